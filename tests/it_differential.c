/* it_differential.c — issue 8's differential test: the node, the hub and the
 * audit judge the same statements with one rule book, so they must reach the
 * same verdict on every statement (DESIGN principle 3).
 *
 * A corpus of statement sequences — hand-written ones that aim at one story
 * or one rule each (references inside one batch, key rotations, resignations
 * and re-appointments, dismissals, the feedback limit, delegations, every
 * reason of the rule book that a log can give) and generated ones — is
 * described once, independently of any log: a sequence says who signs what
 * about which earlier statement. It is rendered into signed entries for any
 * origin, and every judge gets its own log:
 *   node, batch of 1    a real giamsat-node; each Submit waits for its answer.
 *   node, batch of many a second real node; every Submit of the sequence is
 *                       queued while the node is stopped (SIGSTOP), so they
 *                       reach it together and are judged in one group commit.
 *   hub                 a real giamsat-hub follows both nodes' logs: it must
 *                       cosign their full size with no evidence. For every
 *                       statement the nodes refuse, a third log holds the
 *                       accepted prefix plus that statement, written straight
 *                       into a node store and served by a real node (which
 *                       starts QUARANTINED and serves reads); the hub must
 *                       record rule-violation evidence (d) naming that index
 *                       and the reason, and cosign nothing of it.
 *   audit               the real `giamsat audit --format json`, through the
 *                       hub for the nodes' logs, and at the quarantined node
 *                       for each refused statement's log: it must verify the
 *                       former entirely and fail the latter at that index
 *                       with that reason.
 * A verdict is "accepted" or the rule's stable reason name (rules.h). The
 * one difference the rule book itself writes down: [clock-skew] is judged at
 * submission only (rule 6), so a log that holds a statement the node refused
 * for its clock is valid history for the hub and the audit.
 *
 * The rule book in this process (common/ingest) renders the sequences: it
 * gives the index each statement takes, so references and the batch of many
 * can be built before any answer; and it checks that each hand-written
 * expectation is what the rule book says, so every sequence exercises what it
 * claims.
 *
 * Reasons a log cannot give are not in the corpus: the caller errors
 * (bad-argument, out-of-order, entry-unavailable, no-memory), and the
 * Charter's own rules (charter-not-first, charter-mismatch, charter-parent),
 * which judge entry 0 only: `giamsat node init` writes a valid one and a
 * node does not start on a log whose Charter is refused (it has no log key).
 *
 * Sequences run in waves (one hub per wave, every node of a wave at once) to
 * keep the processes on the machine few. Every wait has a deadline; nothing
 * depends on the machine's speed: statement times are set explicitly around
 * the test's start, within the nodes' max_clock_skew (three days here, so the
 * 24-hour feedback window can be tested).
 *
 * Output: one line per sequence with its verdicts ("ok" for accepted), a
 * FAIL line per statement the judges disagree on, naming every verdict, and
 * a summary (refusals by reason, how many batches of many took one commit).
 *
 * usage: it_differential BUILD_DIR
 *   GS_DIFF_SEED=N     other generated sequences (the seed is printed)
 *   GS_DIFF_ONLY=WORD  only the sequences whose name holds WORD
 *   GS_DIFF_VERBOSE=1  also print the hub's evidence sentences
 *   GS_IT_KEEP=1       keep the folders (it_util.h) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "evidence.h"
#include "ingest.h"
#include "it_util.h"
#include "log.h"
#include "note.h"
#include "rules.h"
#include "store.h"

#define MAX_ACTORS 16
#define MAX_STEPS 48
#define MAX_SEQS 96
#define MAX_RUNS 64 /* logs in one wave */
#define WAVE_SEQS 16
#define PARALLEL 6 /* CLI processes run at once */
#define DAY 86400
/* Every node accepts issued_at within three days of its clock, so the
 * feedback window (24 h) can be tested with times set explicitly. */
#define NODE_SKEW (3 * DAY)
#define WAIT_MS 120000
#define VERDICT_MAX 48

static const char *bin;
static void *zctx;
static int64_t T0; /* the time statements are issued around */

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

/* ================================================================ corpus */

/* The people of a sequence. L is the log key (the node key of whichever log
 * the sequence is rendered for); the others are keys derived from the
 * sequence's name, the same in every log. K1..K7 are fresh keys for
 * rotations. */
enum { L, H, H2, D, O, O2, I, C, C2, K1, K2, K3, K4, K5, K6, K7 };
static const char *const actor_names[MAX_ACTORS] = {"L",  "H",  "H2", "D",  "O",  "O2", "I",  "C",
                                                    "C2", "K1", "K2", "K3", "K4", "K5", "K6", "K7"};

typedef enum {
    REF_NONE = 0,
    REF_STEP,     /* the entry an earlier step became */
    REF_BAD_LEAF, /* that entry's index with another leaf hash */
    REF_BEYOND,   /* an index the log does not hold yet */
    REF_OTHER,    /* an entry of another log */
    REF_CHARTER,  /* entry 0 */
} ref_kind;

typedef struct {
    ref_kind kind;
    int step;
} ref_desc;

typedef enum {
    TAMPER_NONE = 0,
    TAMPER_SIGNATURE,   /* a signature byte flipped */
    TAMPER_GARBAGE,     /* bytes that are no SignedStatement */
    TAMPER_UNDECODABLE, /* validly signed bytes that are no Statement */
    TAMPER_ORIGIN,      /* signed for another log */
    TAMPER_COPY,        /* the very bytes of an earlier step, again */
} tamper_kind;

#define SEQ_AUTO 0     /* the signer's next seq */
#define SEQ_ZERO (-1)  /* seq 0 */
#define SEQ_AGAIN (-2) /* the seq the signer used last */

typedef struct {
    gs_body_kind kind;
    int signer;
    long seq;         /* SEQ_AUTO, SEQ_ZERO, SEQ_AGAIN or the seq itself */
    int64_t at;       /* issued_at - T0 */
    int person;       /* appointment, dismissal; rotation: the new key */
    gs_role role;     /* appointment */
    const char *id;   /* commitment, progress, outcome */
    int64_t deadline; /* commitment: deadline - issued_at; 0: a year */
    ref_desc ref;     /* commitment.parent, finding.about, feedback.about, response.to */
    uint32_t value;   /* parameter change: feedback_per_day */
    tamper_kind tamper;
    int copy_of;            /* TAMPER_COPY */
    char want[VERDICT_MAX]; /* the expected verdict */
} step;

typedef struct {
    char name[48];
    bool generated;
    step steps[MAX_STEPS];
    size_t n;
} seqdesc;

static seqdesc corpus[MAX_SEQS];
static size_t n_corpus;

#define OK NULL

static seqdesc *seq_new(const char *name)
{
    CHECK(n_corpus < MAX_SEQS, "corpus: too many sequences");
    seqdesc *s = &corpus[n_corpus++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* Adds a step; want NULL means accepted. Returns its number. */
static int add(seqdesc *s, gs_body_kind kind, int signer, const char *want)
{
    CHECK(s->n < MAX_STEPS, "corpus: sequence %s is too long", s->name);
    step *p = &s->steps[s->n];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->signer = signer;
    p->at = (int64_t)s->n; /* a second apart, in order */
    snprintf(p->want, sizeof p->want, "%s", want != NULL ? want : "accepted");
    return (int)s->n++;
}

static step *last(seqdesc *s)
{
    return &s->steps[s->n - 1];
}

static ref_desc R(int at)
{
    return (ref_desc){REF_STEP, at};
}
static ref_desc RBAD(int at)
{
    return (ref_desc){REF_BAD_LEAF, at};
}
static const ref_desc RBEYOND = {REF_BEYOND, 0};
static const ref_desc ROTHER = {REF_OTHER, 0};
static const ref_desc RCHARTER = {REF_CHARTER, 0};
static const ref_desc RNONE = {REF_NONE, 0};

static int appoint(seqdesc *s, int signer, int person, gs_role role, const char *want)
{
    int i = add(s, GS_BODY_APPOINTMENT, signer, want);
    s->steps[i].person = person;
    s->steps[i].role = role;
    return i;
}

static int resign(seqdesc *s, int signer, const char *want)
{
    return add(s, GS_BODY_RESIGNATION, signer, want);
}

static int dismiss(seqdesc *s, int signer, int person, const char *want)
{
    int i = add(s, GS_BODY_DISMISSAL, signer, want);
    s->steps[i].person = person;
    return i;
}

static int rotate(seqdesc *s, int signer, int new_key, const char *want)
{
    int i = add(s, GS_BODY_KEY_ROTATION, signer, want);
    s->steps[i].person = new_key;
    return i;
}

static int commit(seqdesc *s, int signer, const char *id, ref_desc parent, const char *want)
{
    int i = add(s, GS_BODY_COMMITMENT, signer, want);
    s->steps[i].id = id;
    s->steps[i].ref = parent;
    return i;
}

static int progress(seqdesc *s, int signer, const char *id, const char *want)
{
    int i = add(s, GS_BODY_PROGRESS, signer, want);
    s->steps[i].id = id;
    return i;
}

static int outcome(seqdesc *s, int signer, const char *id, const char *want)
{
    int i = add(s, GS_BODY_OUTCOME, signer, want);
    s->steps[i].id = id;
    return i;
}

static int finding(seqdesc *s, int signer, ref_desc about, const char *want)
{
    int i = add(s, GS_BODY_FINDING, signer, want);
    s->steps[i].ref = about;
    return i;
}

static int feedback(seqdesc *s, int signer, ref_desc about, const char *want)
{
    int i = add(s, GS_BODY_FEEDBACK, signer, want);
    s->steps[i].ref = about;
    return i;
}

static int respond(seqdesc *s, int signer, ref_desc to, const char *want)
{
    int i = add(s, GS_BODY_RESPONSE, signer, want);
    s->steps[i].ref = to;
    return i;
}

/* A unit with a head, an officer and an inspector: steps 0..2. */
static void staff(seqdesc *s)
{
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    appoint(s, H, O, GS_ROLE_OFFICER, OK);
    appoint(s, L, I, GS_ROLE_INSPECTOR, OK);
}

/* ---------------------------------------------------- hand-written sequences */

static void hand_written(void)
{
    seqdesc *s;
    int a, b, c;

    s = seq_new("promise-kept");
    staff(s);
    commit(s, O, "roads", RNONE, OK);
    progress(s, O, "roads", OK);
    progress(s, O, "roads", OK);
    outcome(s, O, "roads", OK);

    /* A Finding and the Response to it, back to back: in the batch of many
     * the Response references an entry of its own batch. */
    s = seq_new("finding-then-response");
    staff(s);
    a = commit(s, O, "school", RNONE, OK);
    b = finding(s, I, R(a), OK);
    respond(s, H, R(b), OK);
    respond(s, O, R(b), OK);

    s = seq_new("chain-in-one-batch");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    appoint(s, H, I, GS_ROLE_INSPECTOR, OK);
    a = appoint(s, H, O, GS_ROLE_OFFICER, OK);
    b = commit(s, O, "water", RNONE, OK);
    c = commit(s, O, "water-north", R(b), OK);
    a = finding(s, I, R(c), OK);
    b = feedback(s, C, R(a), OK);
    respond(s, O, R(a), OK);
    respond(s, H, R(b), OK);
    feedback(s, C2, R(c), OK);
    progress(s, O, "water-north", OK);

    s = seq_new("feedback-and-responses");
    staff(s);
    a = commit(s, O, "clinic", RNONE, OK);
    b = feedback(s, C, R(a), OK);
    c = feedback(s, C2, RNONE, OK);
    respond(s, O, R(b), OK);
    respond(s, H, R(c), OK);
    feedback(s, C, RCHARTER, OK);
    feedback(s, C, ROTHER, OK);

    /* Rotations: the commitment follows its owner; the old key signs nothing
     * again and is never appointed or rotated to again. */
    s = seq_new("member-rotation");
    staff(s);
    commit(s, O, "bridge", RNONE, OK);
    rotate(s, O, K1, OK);
    progress(s, K1, "bridge", OK);
    progress(s, O, "bridge", "key-rotated");
    appoint(s, H, O, GS_ROLE_OFFICER, "key-rotated");
    rotate(s, K1, O, "key-rotated");
    rotate(s, K1, K2, OK);
    outcome(s, K2, "bridge", OK);

    s = seq_new("rotation-to-used-keys");
    staff(s);
    feedback(s, C, RNONE, OK);
    rotate(s, O, I, "key-in-use");
    rotate(s, O, L, "key-in-use");
    rotate(s, O, C, "key-in-use");
    rotate(s, O, K3, OK);
    commit(s, K3, "lamps", RNONE, OK);

    s = seq_new("head-rotation");
    staff(s);
    rotate(s, H, K1, OK);
    appoint(s, K1, D, GS_ROLE_DEPUTY, OK);
    appoint(s, H, O2, GS_ROLE_OFFICER, "key-rotated");
    dismiss(s, K1, O, OK);
    dismiss(s, L, H, "key-rotated");
    dismiss(s, L, K1, OK);

    /* The log key itself rotates: the new key governs. */
    s = seq_new("log-key-rotation");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    rotate(s, L, K4, OK);
    appoint(s, K4, O, GS_ROLE_OFFICER, OK);
    appoint(s, L, I, GS_ROLE_INSPECTOR, "key-rotated");
    appoint(s, K4, K4, GS_ROLE_INSPECTOR, "key-in-use");
    commit(s, O, "market", RNONE, OK);

    s = seq_new("resign-and-reappoint");
    staff(s);
    commit(s, O, "park", RNONE, OK);
    resign(s, O, OK);
    progress(s, O, "park", "resigned");
    resign(s, O, "resigned");
    feedback(s, O, RNONE, OK); /* as any citizen */
    appoint(s, H, O, GS_ROLE_OFFICER, OK);
    progress(s, O, "park", OK);
    commit(s, O, "park-2", RNONE, OK);

    s = seq_new("head-resigns-and-returns");
    staff(s);
    resign(s, H, OK);
    appoint(s, H, O2, GS_ROLE_OFFICER, "resigned");
    appoint(s, L, H2, GS_ROLE_HEAD, OK);
    resign(s, H2, OK);
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    appoint(s, H, O2, GS_ROLE_OFFICER, OK);

    s = seq_new("dismiss-and-reappoint");
    staff(s);
    commit(s, O, "canal", RNONE, OK);
    dismiss(s, H, O, OK);
    progress(s, O, "canal", "dismissed");
    a = feedback(s, O, RNONE, OK);
    respond(s, O, R(a), "dismissed");
    progress(s, H, "canal", OK); /* the head answers for a dismissed owner */
    appoint(s, H, O, GS_ROLE_DEPUTY, OK);
    progress(s, O, "canal", OK);

    s = seq_new("dismissals");
    staff(s);
    appoint(s, H, O2, GS_ROLE_OFFICER, OK);
    dismiss(s, H, H, "self-dismissal");
    dismiss(s, O, O2, "role-forbids");
    dismiss(s, H, C, "target-not-member");
    resign(s, O2, OK);
    dismiss(s, H, O2, "target-not-member");
    dismiss(s, L, H, OK);
    appoint(s, H, C, GS_ROLE_OFFICER, "dismissed");
    dismiss(s, L, H, "target-not-member");

    s = seq_new("one-head-at-a-time");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    appoint(s, L, H2, GS_ROLE_HEAD, "head-in-office");
    appoint(s, L, H, GS_ROLE_DEPUTY, "already-member");
    appoint(s, H, H2, GS_ROLE_HEAD, "role-forbids");
    resign(s, H, OK);
    appoint(s, L, H2, GS_ROLE_HEAD, OK);
    appoint(s, L, L, GS_ROLE_OFFICER, "key-in-use");

    s = seq_new("role-forbids");
    staff(s);
    appoint(s, O, C, GS_ROLE_OFFICER, "role-forbids");
    commit(s, L, "by-log-key", RNONE, "role-forbids");
    commit(s, I, "by-inspector", RNONE, "role-forbids");
    a = commit(s, O, "ok-one", RNONE, OK);
    finding(s, O, R(a), "role-forbids");
    feedback(s, L, RNONE, "role-forbids");
    resign(s, L, "role-forbids");
    appoint(s, L, D, GS_ROLE_DEPUTY, OK);
    appoint(s, D, C, GS_ROLE_OFFICER, "role-forbids");
    commit(s, D, "by-deputy", RNONE, OK);

    s = seq_new("not-member");
    staff(s);
    commit(s, C, "citizen-promise", RNONE, "not-member");
    resign(s, C, "not-member");
    a = feedback(s, C2, RNONE, OK);
    respond(s, C, R(a), "not-member");
    rotate(s, C, K5, "not-member");
    progress(s, C, "nothing", "not-member");

    s = seq_new("commitments");
    staff(s);
    commit(s, O, "trees", RNONE, OK);
    commit(s, O, "trees", RNONE, "duplicate-commitment");
    commit(s, O, "late", RNONE, "bad-deadline");
    last(s)->deadline = -60;
    progress(s, O, "no-such", "no-such-commitment");
    appoint(s, H, O2, GS_ROLE_OFFICER, OK);
    progress(s, O2, "trees", "not-owner");
    outcome(s, O, "trees", OK);
    progress(s, O, "trees", "commitment-closed");
    outcome(s, O, "trees", "commitment-closed");

    /* Once the owner left, the head answers; with no head, nobody can. */
    s = seq_new("owner-left");
    staff(s);
    appoint(s, H, O2, GS_ROLE_OFFICER, OK);
    commit(s, O, "housing", RNONE, OK);
    resign(s, O, OK);
    progress(s, O2, "housing", "not-owner");
    resign(s, H, OK);
    progress(s, O2, "housing", "not-owner");
    appoint(s, L, H2, GS_ROLE_HEAD, OK);
    progress(s, H2, "housing", OK);
    outcome(s, H2, "housing", OK);

    s = seq_new("delegation");
    staff(s);
    a = commit(s, O, "province-goal", RNONE, OK);
    commit(s, O, "part-a", R(a), OK);
    appoint(s, H, O2, GS_ROLE_OFFICER, OK);
    b = commit(s, O2, "part-b", R(a), OK);
    commit(s, O2, "part-b-1", R(b), OK);
    commit(s, O, "from-province", ROTHER, OK);
    commit(s, O, "bad-kind", R(1), "reference-wrong-kind");
    commit(s, O, "bad-index", RBEYOND, "reference-not-found");
    commit(s, O, "bad-leaf", RBAD(a), "reference-mismatch");
    commit(s, O, "parent-is-charter", RCHARTER, "reference-wrong-kind");

    s = seq_new("finding-references");
    staff(s);
    a = commit(s, O, "fences", RNONE, OK);
    finding(s, I, R(a), OK);
    finding(s, I, RCHARTER, OK);
    finding(s, I, ROTHER, OK);
    finding(s, I, RBEYOND, "reference-not-found");
    finding(s, I, RBAD(a), "reference-mismatch");
    feedback(s, C, RBEYOND, "reference-not-found");
    feedback(s, C, RBAD(a), "reference-mismatch");

    s = seq_new("response-references");
    staff(s);
    a = commit(s, O, "drains", RNONE, OK);
    b = finding(s, I, R(a), OK);
    c = respond(s, H, R(b), OK);
    respond(s, H, R(a), "reference-wrong-kind");
    respond(s, H, R(c), "reference-wrong-kind");
    respond(s, H, ROTHER, "reference-other-log");
    respond(s, H, RBEYOND, "reference-not-found");
    respond(s, H, RBAD(b), "reference-mismatch");
    respond(s, H, RCHARTER, "reference-wrong-kind");

    /* The default limit: 10 Feedback statements per key per 24 hours. */
    s = seq_new("feedback-limit");
    staff(s);
    for (int k = 0; k < 10; k++)
        feedback(s, C, RNONE, OK);
    feedback(s, C, RNONE, "rate-limited");
    feedback(s, C2, RNONE, OK);
    feedback(s, C, RNONE, "rate-limited");

    /* The window: older than 24 h does not count, later ones do. */
    s = seq_new("feedback-window");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    for (int k = 0; k < 10; k++) {
        feedback(s, C, RNONE, OK);
        last(s)->at = -DAY - 3600 + k; /* 25 hours ago */
    }
    feedback(s, C, RNONE, OK); /* now: the ten are outside the window */
    last(s)->at = 0;
    for (int k = 0; k < 9; k++) {
        feedback(s, C, RNONE, OK);
        last(s)->at = k + 1;
    }
    feedback(s, C, RNONE, "rate-limited");
    last(s)->at = 20;
    feedback(s, C, RNONE, "rate-limited"); /* within a day of the first of today's ten */
    last(s)->at = DAY - 1;
    feedback(s, C, RNONE, OK); /* a day after the first two: eight in the window */
    last(s)->at = DAY + 1;

    s = seq_new("feedback-from-the-future");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    for (int k = 0; k < 10; k++) {
        feedback(s, C, RNONE, OK);
        last(s)->at = 2 * 3600 + k; /* two hours ahead */
    }
    feedback(s, C, RNONE, "rate-limited"); /* earlier, but they count */
    last(s)->at = 0;
    feedback(s, C2, RNONE, OK);
    last(s)->at = 0;

    s = seq_new("feedback-limit-per-key");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    for (int k = 0; k < 10; k++) {
        feedback(s, k % 2 ? C : C2, RNONE, OK);
        feedback(s, k % 2 ? C2 : C, RNONE, OK);
    }
    feedback(s, C, RNONE, "rate-limited");
    feedback(s, C2, RNONE, "rate-limited");
    feedback(s, K6, RNONE, OK);
    rotate(s, C, K7, "not-member");

    s = seq_new("replayed-seq");
    staff(s);
    commit(s, O, "seq-a", RNONE, OK);
    last(s)->seq = 5;
    commit(s, O, "seq-b", RNONE, "replayed-seq");
    last(s)->seq = SEQ_AGAIN;
    commit(s, O, "seq-c", RNONE, "replayed-seq");
    last(s)->seq = 3;
    feedback(s, C, RNONE, "replayed-seq");
    last(s)->seq = SEQ_ZERO;
    commit(s, O, "seq-d", RNONE, OK);
    last(s)->seq = 6;
    feedback(s, C, RNONE, OK);
    last(s)->seq = 1000;

    s = seq_new("same-bytes-twice");
    staff(s);
    a = commit(s, O, "copy", RNONE, OK);
    add(s, GS_BODY_COMMITMENT, O, "replayed-seq");
    last(s)->tamper = TAMPER_COPY;
    last(s)->copy_of = a;
    b = feedback(s, C, RNONE, OK);
    add(s, GS_BODY_FEEDBACK, C, "replayed-seq");
    last(s)->tamper = TAMPER_COPY;
    last(s)->copy_of = b;

    s = seq_new("wrong-origin");
    staff(s);
    commit(s, O, "elsewhere", RNONE, "wrong-origin");
    last(s)->tamper = TAMPER_ORIGIN;
    commit(s, O, "here", RNONE, OK);
    feedback(s, C, RNONE, "wrong-origin");
    last(s)->tamper = TAMPER_ORIGIN;

    s = seq_new("log-kinds");
    staff(s);
    add(s, GS_BODY_CHARTER, L, "second-charter");
    add(s, GS_BODY_OBSERVATION, L, "wrong-log-kind");
    add(s, GS_BODY_OBSERVATION, O, "wrong-log-kind");
    commit(s, O, "after", RNONE, OK);

    s = seq_new("bad-signature");
    staff(s);
    commit(s, O, "forged", RNONE, "bad-signature");
    last(s)->tamper = TAMPER_SIGNATURE;
    commit(s, O, "signed", RNONE, OK);
    appoint(s, L, C, GS_ROLE_OFFICER, "bad-signature");
    last(s)->tamper = TAMPER_SIGNATURE;

    s = seq_new("malformed");
    staff(s);
    add(s, GS_BODY_NONE, O, "malformed");
    last(s)->tamper = TAMPER_GARBAGE;
    commit(s, O, "undecodable", RNONE, "malformed");
    last(s)->tamper = TAMPER_UNDECODABLE;
    commit(s, O, "fine", RNONE, OK);

    /* Rule 6: the node refuses a statement out of its clock's reach; the
     * hub and the audit judge history and accept a log that holds it. */
    s = seq_new("clock-skew");
    staff(s);
    commit(s, O, "future", RNONE, "clock-skew");
    last(s)->at = 10 * DAY;
    last(s)->deadline = 400 * DAY;
    feedback(s, C, RNONE, "clock-skew");
    last(s)->at = -10 * DAY;
    commit(s, O, "present", RNONE, OK);

    s = seq_new("inspector-life");
    staff(s);
    a = commit(s, O, "audit-me", RNONE, OK);
    b = finding(s, I, R(a), OK);
    resign(s, I, OK);
    finding(s, I, R(a), "resigned");
    appoint(s, H, I, GS_ROLE_INSPECTOR, OK);
    c = finding(s, I, R(b), OK);
    dismiss(s, L, I, OK);
    finding(s, I, R(c), "dismissed");
    respond(s, O, R(c), OK);

    s = seq_new("deputy-and-officers");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    appoint(s, H, D, GS_ROLE_DEPUTY, OK);
    appoint(s, H, O, GS_ROLE_OFFICER, OK);
    appoint(s, H, O2, GS_ROLE_OFFICER, OK);
    commit(s, D, "d-1", RNONE, OK);
    commit(s, O, "o-1", RNONE, OK);
    progress(s, D, "o-1", "not-owner");
    progress(s, H, "o-1", "not-owner");
    dismiss(s, H, O, OK);
    progress(s, H, "o-1", OK);
    progress(s, D, "o-1", "not-owner");
    outcome(s, D, "d-1", OK);

    s = seq_new("rotated-dismissal");
    staff(s);
    rotate(s, O, K2, OK);
    dismiss(s, H, O, "key-rotated");
    dismiss(s, H, K2, OK);
    appoint(s, H, K2, GS_ROLE_OFFICER, OK);
    rotate(s, K2, K2, "key-in-use");

    s = seq_new("reappointed-seq-continues");
    staff(s);
    commit(s, O, "first", RNONE, OK);
    last(s)->seq = 7;
    resign(s, O, OK);
    appoint(s, H, O, GS_ROLE_OFFICER, OK);
    commit(s, O, "again", RNONE, "replayed-seq");
    last(s)->seq = 2;
    commit(s, O, "again", RNONE, OK);
}

/* ---------------------------------------------------------- params (issue 8)
 * Changing the feedback limit by a statement of the log key (the params
 * statement: GS_BODY_PARAMETER_CHANGE, docs/formats.md). */
/* With the parameters in the log, evidence is checked without any. */
#define evidence_verify(ev, key, err) gs_evidence_verify((ev), (key), (err))

static void parameter_sequences(void)
{
    seqdesc *s = seq_new("parameter-change");
    appoint(s, L, H, GS_ROLE_HEAD, OK);
    for (int k = 0; k < 10; k++)
        feedback(s, C, RNONE, OK);
    feedback(s, C, RNONE, "rate-limited");
    add(s, GS_BODY_PARAMETER_CHANGE, H, "role-forbids");
    last(s)->value = 12;
    add(s, GS_BODY_PARAMETER_CHANGE, L, "bad-parameter");
    last(s)->value = GS_RULES_FEEDBACK_MAX + 1;
    add(s, GS_BODY_PARAMETER_CHANGE, L, OK);
    last(s)->value = 12;
    feedback(s, C, RNONE, OK);
    feedback(s, C, RNONE, OK);
    feedback(s, C, RNONE, "rate-limited");
}

/* ================================================================ render */

/* A sequence made into entries for one log, judged by the rule book in this
 * process as each is made: the index each takes, and what it expects. */
typedef struct {
    const seqdesc *sd;
    char origin[GS_MAX_ORIGIN + 1];
    gs_keypair keys[MAX_ACTORS];
    gs_ingest *book;
    gs_buf charter;
    gs_hash leaf_at[MAX_STEPS + 1]; /* by log index */
    gs_body_kind kind_at[MAX_STEPS + 1];
    uint64_t size;
    uint64_t next_seq[MAX_ACTORS];
    gs_buf entry[MAX_STEPS];
    char verdict[MAX_STEPS][VERDICT_MAX];
    uint64_t index[MAX_STEPS]; /* taken when accepted, else judged at */
    gs_pubkey log_key_before[MAX_STEPS];
} render;

static void actor_key(const seqdesc *sd, int actor, gs_keypair *out)
{
    char label[128];
    snprintf(label, sizeof label, "giamsat differential test/%s/%s", sd->name, actor_names[actor]);
    gs_hash seed;
    gs_sha256(gs_bytes_of((const uint8_t *)label, strlen(label)), &seed);
    gs_keypair_from_seed(out, seed.b);
}

static int book_entry_at(void *ctx, uint64_t index, gs_hash *leaf, gs_body_kind *kind,
                         gs_error *err)
{
    render *r = ctx;
    if (index >= r->size)
        return gs_error_set(err, GS_ENOTFOUND, "no entry %" PRIu64, index);
    *leaf = r->leaf_at[index];
    *kind = r->kind_at[index];
    return 0;
}

static void render_free(render *r)
{
    gs_ingest_free(&r->book);
    gs_buf_free(&r->charter);
    for (size_t i = 0; i < MAX_STEPS; i++)
        gs_buf_free(&r->entry[i]);
    for (size_t i = 0; i < MAX_ACTORS; i++)
        gs_keypair_wipe(&r->keys[i]);
}

static gs_hash hash_of_text(const char *s)
{
    gs_hash h;
    gs_sha256(gs_bytes_of((const uint8_t *)s, strlen(s)), &h);
    return h;
}

static gs_ref make_ref(render *r, ref_desc d, size_t i)
{
    gs_ref ref = {.origin = r->origin};
    switch (d.kind) {
    case REF_STEP:
    case REF_BAD_LEAF:
        CHECK(d.step >= 0 && (size_t)d.step < i && strcmp(r->verdict[d.step], "accepted") == 0,
              "corpus: %s step %zu refers to step %d, which is not an accepted earlier one",
              r->sd->name, i, d.step);
        ref.index = r->index[d.step];
        gs_merkle_leaf_hash(gs_bytes_of(r->entry[d.step].p, r->entry[d.step].n), &ref.leaf_hash);
        if (d.kind == REF_BAD_LEAF)
            ref.leaf_hash = hash_of_text("not this entry");
        break;
    case REF_BEYOND:
        ref.index = r->size + 3;
        ref.leaf_hash = hash_of_text("an entry to come");
        break;
    case REF_OTHER:
        ref.origin = "giamsat/province/elsewhere";
        ref.index = 2;
        ref.leaf_hash = hash_of_text("an entry of another log");
        break;
    case REF_CHARTER:
        ref.index = 0;
        ref.leaf_hash = r->leaf_at[0];
        break;
    case REF_NONE: break;
    }
    return ref;
}

/* The entry for step i. */
static gs_buf make_entry(render *r, size_t i)
{
    const step *p = &r->sd->steps[i];
    gs_error err;
    gs_buf e = {0};
    if (p->tamper == TAMPER_COPY) {
        const gs_buf *src = &r->entry[p->copy_of];
        e.p = malloc(src->n);
        CHECK(e.p != NULL, "out of memory");
        memcpy(e.p, src->p, src->n);
        e.n = src->n;
        return e;
    }
    if (p->tamper == TAMPER_GARBAGE) {
        static const uint8_t junk[] = {0x07, 0x00, 0x01, 0x02, 0x03}; /* wire type 7 */
        e.p = malloc(sizeof junk);
        CHECK(e.p != NULL, "out of memory");
        memcpy(e.p, junk, sizeof junk);
        e.n = sizeof junk;
        return e;
    }
    const gs_keypair *kp = &r->keys[p->signer];
    uint64_t *next = &r->next_seq[p->signer];
    uint64_t seq = p->seq == SEQ_AUTO    ? *next
                   : p->seq == SEQ_ZERO  ? 0
                   : p->seq == SEQ_AGAIN ? (*next > 1 ? *next - 1 : 0)
                                         : (uint64_t)p->seq;
    if (seq + 1 > *next)
        *next = seq + 1;
    gs_statement st = {.kind = p->kind};
    st.signer = kp->pub;
    st.seq = seq;
    st.issued_at = T0 + p->at;
    st.origin = p->tamper == TAMPER_ORIGIN ? "giamsat/commune/elsewhere" : r->origin;
    char name[64];
    snprintf(name, sizeof name, "Person %s", actor_names[p->person]);
    char title[GS_MAX_NAME];
    switch (p->kind) {
    case GS_BODY_CHARTER:
        st.u.charter.unit = strrchr(r->origin, '/') + 1;
        st.u.charter.tier = GS_TIER_COMMUNE;
        st.u.charter.display_name = "A second charter";
        break;
    case GS_BODY_APPOINTMENT:
        st.u.appointment.person = r->keys[p->person].pub;
        st.u.appointment.name = name;
        st.u.appointment.role = p->role;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        break;
    case GS_BODY_RESIGNATION: st.u.resignation.reason = "stepping down"; break;
    case GS_BODY_DISMISSAL:
        st.u.dismissal.person = r->keys[p->person].pub;
        st.u.dismissal.reason = "reassigned";
        break;
    case GS_BODY_KEY_ROTATION: st.u.key_rotation.new_key = r->keys[p->person].pub; break;
    case GS_BODY_COMMITMENT:
        snprintf(title, sizeof title, "Promise %s", p->id);
        st.u.commitment.id = p->id;
        st.u.commitment.title = title;
        st.u.commitment.indicator = "count";
        st.u.commitment.unit_of_measure = "items";
        st.u.commitment.target = 10 * GS_FIXED_SCALE;
        st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st.u.commitment.deadline = st.issued_at + (p->deadline != 0 ? p->deadline : 365 * DAY);
        if (p->ref.kind != REF_NONE) {
            st.u.commitment.has_parent = true;
            st.u.commitment.parent = make_ref(r, p->ref, i);
        }
        break;
    case GS_BODY_PROGRESS:
        st.u.progress.commitment_id = p->id;
        st.u.progress.value = 4 * GS_FIXED_SCALE;
        st.u.progress.note = "on the way";
        break;
    case GS_BODY_OUTCOME:
        st.u.outcome.commitment_id = p->id;
        st.u.outcome.value = 11 * GS_FIXED_SCALE;
        break;
    case GS_BODY_FINDING:
        st.u.finding.about = make_ref(r, p->ref, i);
        st.u.finding.severity = GS_SEVERITY_MEDIUM;
        st.u.finding.text = "the work is behind its plan";
        break;
    case GS_BODY_FEEDBACK:
        st.u.feedback.has_about = p->ref.kind != REF_NONE;
        if (st.u.feedback.has_about)
            st.u.feedback.about = make_ref(r, p->ref, i);
        st.u.feedback.text = "please hurry";
        break;
    case GS_BODY_RESPONSE:
        st.u.response.to = make_ref(r, p->ref, i);
        st.u.response.text = "we are on it";
        break;
    case GS_BODY_OBSERVATION:
        st.u.observation.origin = "giamsat/commune/elsewhere";
        st.u.observation.size = 1;
        st.u.observation.root = hash_of_text("a root");
        st.u.observation.time = st.issued_at;
        break;
    case GS_BODY_PARAMETER_CHANGE:
        st.u.parameter_change.parameters.feedback_per_day = p->value;
        break;
    default: it_die("corpus: %s step %zu has no body to render", r->sd->name, i);
    }
    if (p->tamper == TAMPER_UNDECODABLE) {
        /* Signed as it is, but with a field no decoder accepts. */
        gs_buf body = {0};
        CHECK(gs_wire_encode_statement(&st, &body, &err) == 0, "encode: %s", err.msg);
        uint8_t *grown = realloc(body.p, body.n + 3);
        CHECK(grown != NULL, "out of memory");
        body.p = grown;
        body.p[body.n++] = 0xf8; /* field 127, varint */
        body.p[body.n++] = 0x07;
        body.p[body.n++] = 0x01;
        gs_sig sig;
        gs_sign(kp, GS_DOMAIN_STATEMENT, gs_bytes_of(body.p, body.n), &sig);
        CHECK(gs_wire_encode_signed_statement(gs_bytes_of(body.p, body.n), &sig, &e, &err) == 0,
              "encode: %s", err.msg);
        gs_buf_free(&body);
        return e;
    }
    CHECK(gs_wire_sign_statement(&st, kp, &e, &err) == 0, "corpus: %s step %zu: %s", r->sd->name, i,
          err.msg);
    if (p->tamper == TAMPER_SIGNATURE)
        e.p[e.n - 5] ^= 0x20; /* inside the signature, the last field */
    return e;
}

/* Renders sd for the log origin whose Charter is charter and whose node key
 * is node_key; dies when a verdict of the rule book is not what the corpus
 * expects of it. */
static void render_for(render *r, const seqdesc *sd, const char *origin, const gs_keypair *node_key,
                       gs_bytes charter)
{
    gs_error err;
    memset(r, 0, sizeof *r);
    r->sd = sd;
    snprintf(r->origin, sizeof r->origin, "%s", origin);
    for (int a = 0; a < MAX_ACTORS; a++)
        actor_key(sd, a, &r->keys[a]);
    r->keys[L] = *node_key;
    gs_ingest_config cfg = {.max_skew = NODE_SKEW, .entry_at = book_entry_at, .entry_ctx = r};
    CHECK(gs_ingest_new(&r->book, origin, &cfg, &err) == 0, "%s", err.msg);
    r->charter.p = malloc(charter.n);
    CHECK(r->charter.p != NULL, "out of memory");
    memcpy(r->charter.p, charter.p, charter.n);
    r->charter.n = charter.n;
    gs_ingest_verdict v;
    CHECK(gs_ingest_push(r->book, GS_INGEST_HISTORY, &charter, 1, 0, &v, &err) == 0 && v.accepted,
          "the Charter of %s: %s", origin, v.message);
    r->leaf_at[0] = v.leaf;
    r->kind_at[0] = GS_BODY_CHARTER;
    r->size = 1;
    gs_statement cst = {0};
    CHECK(gs_wire_open_entry(charter, &cst, &err) == 0, "%s", err.msg);
    for (int a = 0; a < MAX_ACTORS; a++)
        r->next_seq[a] = 1;
    r->next_seq[L] = cst.seq + 1;
    gs_statement_clear(&cst);

    for (size_t i = 0; i < sd->n; i++) {
        CHECK(gs_rules_log_key(gs_ingest_rules(r->book), &r->log_key_before[i]) == 0, "no log key");
        r->entry[i] = make_entry(r, i);
        gs_bytes b = gs_bytes_of(r->entry[i].p, r->entry[i].n);
        CHECK(gs_ingest_push(r->book, GS_INGEST_SUBMISSION, &b, 1, T0, &v, &err) == 0, "%s",
              err.msg);
        if (v.accepted) {
            r->index[i] = v.index;
            r->leaf_at[r->size] = v.leaf;
            r->kind_at[r->size] = v.kind;
            r->size++;
            snprintf(r->verdict[i], VERDICT_MAX, "accepted");
        } else {
            r->index[i] = r->size;
            snprintf(r->verdict[i], VERDICT_MAX, "%s", gs_rules_reason_name(v.reason));
        }
    }
}

/* The rule book agrees with what the corpus says of every step. */
static void check_corpus_expectations(const render *r)
{
    for (size_t i = 0; i < r->sd->n; i++)
        CHECK(strcmp(r->verdict[i], r->sd->steps[i].want) == 0,
              "corpus: sequence %s step %zu (%s by %s): expected %s, but the rule book says %s",
              r->sd->name, i, gs_body_name(r->sd->steps[i].kind),
              actor_names[r->sd->steps[i].signer], r->sd->steps[i].want, r->verdict[i]);
}

/* ============================================================= generated */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible from the printed seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

/* A Charter for the generator's own model log (never served). */
static gs_buf model_charter(const char *origin, const gs_keypair *kp)
{
    gs_statement st = {.kind = GS_BODY_CHARTER};
    st.u.charter.unit = strrchr(origin, '/') + 1;
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Model";
    gs_buf e = it_sign(&st, kp, origin, 1);
    return e;
}

/* Proposes one step for a unit in the state the rule book holds. Mostly
 * what a careful official would do; now and then a mistake. */
static void propose(seqdesc *s, const render *r, step *p)
{
    const gs_rules_state *rs = gs_ingest_rules(r->book);
    int members[MAX_ACTORS], n_members = 0, heads = -1, inspectors[MAX_ACTORS], n_insp = 0;
    int owners[MAX_ACTORS], n_own = 0, fresh[MAX_ACTORS], n_fresh = 0;
    for (int a = H; a < MAX_ACTORS; a++) {
        gs_rules_member m;
        uint64_t next;
        bool active;
        gs_rules_signer_state(rs, &r->keys[a].pub, &next, &active);
        if (gs_rules_member_by_key(rs, &r->keys[a].pub, &m) == 0 && m.ended == GS_TENURE_ACTIVE) {
            members[n_members++] = a;
            if (m.role == GS_ROLE_HEAD)
                heads = a;
            else if (m.role == GS_ROLE_INSPECTOR)
                inspectors[n_insp++] = a;
            if (m.role != GS_ROLE_INSPECTOR)
                owners[n_own++] = a;
        } else if (next == 1 && a >= K1) {
            fresh[n_fresh++] = a;
        }
    }
    int accepted[MAX_STEPS], n_acc = 0, answerable[MAX_STEPS], n_ans = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(r->verdict[i], "accepted") != 0)
            continue;
        accepted[n_acc++] = (int)i;
        if (s->steps[i].kind == GS_BODY_FINDING || s->steps[i].kind == GS_BODY_FEEDBACK)
            answerable[n_ans++] = (int)i;
    }
    size_t n_commits = gs_rules_commitment_count(rs);
    memset(p, 0, sizeof *p);
    p->at = (int64_t)s->n;
    bool mistake = pick(100) < 12;
    int any = H + pick(MAX_ACTORS - H);
    switch (pick(12)) {
    case 0:
    case 1: {
        p->kind = GS_BODY_APPOINTMENT;
        p->signer = heads >= 0 && pick(2) ? heads : L;
        p->person = H + pick(K1 - H);
        p->role = heads < 0 && p->signer == L ? GS_ROLE_HEAD : (gs_role)(2 + pick(3));
        break;
    }
    case 2:
        p->kind = GS_BODY_COMMITMENT;
        p->signer = n_own ? owners[pick(n_own)] : any;
        {
            static char ids[MAX_SEQS][MAX_STEPS][16];
            snprintf(ids[s - corpus][s->n], 16, "g%zu", pick(8) ? s->n : (size_t)pick(4));
            p->id = ids[s - corpus][s->n];
        }
        if (n_acc && pick(3) == 0) {
            int j = accepted[pick(n_acc)];
            p->ref = s->steps[j].kind == GS_BODY_COMMITMENT || pick(4) == 0 ? R(j) : RNONE;
        }
        break;
    case 3:
    case 4:
        if (n_commits == 0) {
            p->kind = GS_BODY_FEEDBACK;
            p->signer = C + pick(2);
            break;
        }
        {
            gs_rules_commitment cm;
            (void)gs_rules_commitment_at(rs, (size_t)pick((int)n_commits), &cm);
            p->kind = pick(4) ? GS_BODY_PROGRESS : GS_BODY_OUTCOME;
            p->signer = heads >= 0 ? heads : any;
            for (int a = H; a < MAX_ACTORS; a++)
                if (memcmp(r->keys[a].pub.b, cm.owner_current.b, 32) == 0 && pick(5))
                    p->signer = a;
            /* the id lives in the sequence's own steps */
            for (size_t i = 0; i < s->n; i++)
                if (s->steps[i].kind == GS_BODY_COMMITMENT && s->steps[i].id != NULL &&
                    strcmp(s->steps[i].id, cm.id) == 0)
                    p->id = s->steps[i].id;
            if (p->id == NULL)
                p->id = "g0";
        }
        break;
    case 5:
        p->kind = GS_BODY_FINDING;
        p->signer = n_insp ? inspectors[pick(n_insp)] : any;
        p->ref = n_acc ? R(accepted[pick(n_acc)]) : RCHARTER;
        break;
    case 6:
    case 7:
        p->kind = GS_BODY_FEEDBACK;
        p->signer = pick(3) ? C + pick(2) : any;
        if (n_acc && pick(2))
            p->ref = R(accepted[pick(n_acc)]);
        break;
    case 8:
        p->kind = GS_BODY_RESPONSE;
        p->signer = n_members ? members[pick(n_members)] : any;
        p->ref = n_ans ? R(answerable[pick(n_ans)]) : RCHARTER;
        break;
    case 9:
        p->kind = GS_BODY_RESIGNATION;
        p->signer = n_members ? members[pick(n_members)] : any;
        break;
    case 10:
        p->kind = GS_BODY_DISMISSAL;
        p->signer = heads >= 0 && pick(2) ? heads : L;
        p->person = n_members ? members[pick(n_members)] : any;
        break;
    default:
        p->kind = GS_BODY_KEY_ROTATION;
        p->signer = n_members ? members[pick(n_members)] : any;
        p->person = n_fresh ? fresh[pick(n_fresh)] : any;
        break;
    }
    if (mistake) {
        switch (pick(5)) {
        case 0: p->signer = pick(MAX_ACTORS); break;
        case 1: p->seq = SEQ_AGAIN; break;
        case 2: p->tamper = TAMPER_SIGNATURE; break;
        case 3:
            if (p->ref.kind == REF_STEP)
                p->ref.kind = pick(2) ? REF_BAD_LEAF : REF_BEYOND;
            else
                p->signer = pick(MAX_ACTORS);
            break;
        default: p->at = pick(2) ? 5 * DAY : -5 * DAY; break;
        }
    }
}

/* A sequence of len steps grown one at a time against the rule book, with
 * at most max_refused refusals (a refusal costs one more served log). */
static void generate(int number, size_t len, int max_refused)
{
    char name[48];
    snprintf(name, sizeof name, "generated-%d", number);
    seqdesc *s = seq_new(name);
    s->generated = true;
    /* A unit with people in it, so that most proposals are acts of office
     * that may or may not be allowed, not strangers refused at once. */
    staff(s);
    const char *origin = "giamsat/commune/model";
    gs_keypair lk;
    actor_key(s, L, &lk); /* the model's log key; each real log has its own */
    gs_buf ch = model_charter(origin, &lk);
    int refused = 0;
    render r;
    render_for(&r, s, origin, &lk, gs_bytes_of(ch.p, ch.n));
    for (int tries = 0; s->n < len && tries < 400; tries++) {
        step p;
        propose(s, &r, &p);
        s->steps[s->n++] = p;
        render_free(&r);
        render_for(&r, s, origin, &lk, gs_bytes_of(ch.p, ch.n));
        const char *v = r.verdict[s->n - 1];
        bool ok = strcmp(v, "accepted") == 0;
        if (!ok && refused >= max_refused) {
            s->n--;
            continue;
        }
        if (!ok)
            refused++;
    }
    for (size_t i = 0; i < s->n; i++)
        snprintf(s->steps[i].want, VERDICT_MAX, "%s", r.verdict[i]);
    render_free(&r);
    gs_buf_free(&ch);
    gs_keypair_wipe(&lk);
}

/* ================================================================ judges */

typedef enum { RUN_ONE, RUN_MANY, RUN_VARIANT } run_kind;

/* One log of a wave: a node fed one sequence (batch of 1 or of many), or a
 * log written with the prefix a refused statement was judged against. */
typedef struct {
    run_kind kind;
    size_t seq;  /* in the corpus */
    size_t step; /* RUN_VARIANT: the refused statement it ends with */
    char unit[48];
    it_node n;
    pid_t init_pid;
    render r;
    char vkey[GS_VKEY_STR_MAX]; /* the key its checkpoints are signed with */
    gs_vkey vk;
    uint64_t size; /* entries it holds once fed or written */
    int commits;   /* RUN_MANY: group commits that carried its statements */
    char node_v[MAX_STEPS][VERDICT_MAX];
    char hub_v[MAX_STEPS][VERDICT_MAX];
    char audit_v[MAX_STEPS][VERDICT_MAX];
    bool hub_done;
    char hub_note[1024];
    char audit_out[600];
    char trust[600];
} run;

typedef struct {
    int seqs, statements, disagreements, hand, gen;
    int refusals[128]; /* by gs_rule_reason */
    int named_from_sentence_hub, named_from_sentence_audit;
    int many_one_commit, many_total;
} totals;

static totals tot;

static const char *reason_known(const char *s, size_t n)
{
    for (int r = 0; r < 128; r++) {
        const char *name = gs_rules_reason_name((gs_rule_reason)r);
        if (strcmp(name, "unknown") != 0 && strlen(name) == n && strncmp(s, name, n) == 0)
            return name;
    }
    return NULL;
}

static int reason_index(const char *name)
{
    for (int r = 0; r < 128; r++)
        if (strcmp(gs_rules_reason_name((gs_rule_reason)r), name) == 0)
            return r;
    return -1;
}

/* The node answers "reason-name: sentence". */
static void node_verdict(int code, const char *msg, uint64_t got_index, uint64_t want_index,
                         char *out)
{
    if (code == GS_STATUS_OK) {
        if (got_index == want_index)
            snprintf(out, VERDICT_MAX, "accepted");
        else
            snprintf(out, VERDICT_MAX, "accepted-at-%" PRIu64, got_index);
        return;
    }
    if (code < 0) {
        snprintf(out, VERDICT_MAX, "no-answer");
        return;
    }
    const char *colon = strchr(msg, ':');
    const char *name = colon != NULL ? reason_known(msg, (size_t)(colon - msg)) : NULL;
    if (name != NULL)
        snprintf(out, VERDICT_MAX, "%s", name);
    else
        snprintf(out, VERDICT_MAX, "unnamed-%s", gs_status_name((gs_status_code)code));
}

/* The earliest reason name in text written as "name:" or "[name]" (after
 * the start, a space, '(' or '['): for sentences whose layout this test does
 * not know. NULL when there is none. */
static const char *reason_token(const char *text)
{
    const char *best = NULL, *best_at = NULL;
    for (int r = 1; r < 128; r++) {
        const char *name = gs_rules_reason_name((gs_rule_reason)r);
        size_t n = strlen(name);
        if (strcmp(name, "unknown") == 0)
            continue;
        for (const char *p = strstr(text, name); p != NULL; p = strstr(p + 1, name)) {
            bool before = p == text || p[-1] == ' ' || p[-1] == '(' || p[-1] == '[';
            bool after = p[n] == ':' || p[n] == ']';
            if (before && after && (best_at == NULL || p < best_at)) {
                best = name;
                best_at = p;
            }
        }
    }
    return best;
}

/* The hub (hub/hub.c) and the audit (cli/replay.c) of this branch name the
 * rule for a statement the rule book refused, but say in words only that an
 * entry does not open (its signature, its encoding). Those two verdicts are
 * read from the sentence, and counted: see the summary. */
static const char *reason_from_open_failure(const char *text)
{
    return strstr(text, "signature does not verify") != NULL ? "bad-signature" : "malformed";
}

/* ------------------------------------------------------------ feeding */

static void feed_one(run *x)
{
    gs_net_client *c = NULL;
    gs_error err;
    CHECK(gs_net_client_open(&c, zctx, x->n.ipc, NULL, NULL, 30000, GS_MAX_MESSAGE, &err) == 0,
          "%s", err.msg);
    for (size_t i = 0; i < x->r.sd->n; i++) {
        char msg[1024] = "";
        gs_receipt rc = {0};
        int code = it_submit(c, gs_bytes_of(x->r.entry[i].p, x->r.entry[i].n), &x->n.key.pub, &rc,
                             msg, sizeof msg);
        node_verdict(code, msg, rc.index, x->r.index[i], x->node_v[i]);
        gs_receipt_clear(&rc);
    }
    gs_net_client_close(&c);
}

static void send_request(void *sock, gs_request *rq)
{
    gs_buf frame = {0};
    gs_error err;
    CHECK(gs_wire_encode_request(rq, &frame, &err) == 0, "%s", err.msg);
    CHECK(zmq_send(sock, frame.p, frame.n, 0) == (int)frame.n, "send: %s", zmq_strerror(errno));
    gs_buf_free(&frame);
}

/* One response, or 0 after the deadline. */
static int recv_response(void *sock, int64_t deadline_ms, gs_response *rs)
{
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        if (now >= deadline_ms)
            return 0;
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, (long)(deadline_ms - now)) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        gs_error err;
        int rc = gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                         GS_MAX_MESSAGE, rs, &err);
        zmq_msg_close(&m);
        CHECK(rc == 0, "a response that does not decode: %s", err.msg);
        return 1;
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every Submit queued while the node is stopped, so that they reach its
 * loop together: one drain, one group commit (max_batch is 4096). */
static void feed_many(run *x)
{
    void *sock = NULL;
    gs_error err;
    CHECK(gs_net_dealer_open(&sock, zctx, x->n.ipc, NULL, GS_MAX_MESSAGE, &err) == 0, "%s",
          err.msg);
    /* The connection is up before the node stops. */
    gs_request rq = {.version = 1, .id = 1, .op = GS_OP_GET_CHECKPOINT, .origin = ""};
    send_request(sock, &rq);
    gs_response rs = {0};
    CHECK(recv_response(sock, mono_ms() + 30000, &rs) == 1 && rs.id == 1,
          "%s did not answer GetCheckpoint", x->n.origin);
    gs_response_clear(&rs);

    size_t n = x->r.sd->n;
    CHECK(kill(x->n.pid, SIGSTOP) == 0, "SIGSTOP: %s", strerror(errno));
    for (size_t i = 0; i < n; i++) {
        rq = (gs_request){.version = 1, .id = 100 + i, .op = GS_OP_SUBMIT, .origin = ""};
        rq.u.submit.entry = x->r.entry[i];
        send_request(sock, &rq);
    }
    CHECK(kill(x->n.pid, SIGCONT) == 0, "SIGCONT: %s", strerror(errno));
    for (size_t i = 0; i < n; i++)
        snprintf(x->node_v[i], VERDICT_MAX, "no-answer");
    int64_t deadline = mono_ms() + 60000;
    for (size_t got = 0; got < n;) {
        rs = (gs_response){0};
        if (recv_response(sock, deadline, &rs) == 0)
            break;
        if (rs.id >= 100 && rs.id < 100 + n) {
            size_t i = (size_t)(rs.id - 100);
            gs_receipt rc = {0};
            if (rs.code == GS_STATUS_OK) {
                CHECK(rs.result == GS_RESULT_RECEIPT &&
                          gs_wire_open_receipt(gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n),
                                               &x->n.key.pub, &rc, &err) == 0,
                      "%s: a receipt that does not verify", x->n.origin);
            }
            node_verdict((int)rs.code, rs.message != NULL ? rs.message : "", rc.index,
                         x->r.index[i], x->node_v[i]);
            gs_receipt_clear(&rc);
            got++;
        }
        gs_response_clear(&rs);
    }
    zmq_close(sock);
}

/* Group commits that carried statements, from the node's debug log: it
 * writes "committed N statements, log size S" after it answered, so the
 * lines are awaited until one reaches the size the log has; -1 if none
 * does in time. */
static int count_commits(const char *log_path, uint64_t size)
{
    if (size <= 1)
        return 0;
    for (int64_t deadline = mono_ms() + 20000; mono_ms() < deadline;) {
        FILE *f = fopen(log_path, "r");
        CHECK(f != NULL, "cannot read %s", log_path);
        char line[2048];
        int n = 0;
        unsigned long long got, at = 0;
        while (fgets(line, sizeof line, f) != NULL) {
            const char *p = strstr(line, "committed ");
            if (p != NULL && sscanf(p, "committed %*u statements, log size %llu", &got) == 1) {
                n++;
                at = got;
            }
        }
        fclose(f);
        if (at >= size)
            return n;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* ------------------------------------------------------------ making logs */

#define NODE_CONF "[node]\nmax_clock_skew = 259200\nlog_level = debug\n"

/* `giamsat node init`, started; finished by node_init_end. (it_node_init
 * runs one to completion; a wave makes dozens, so they run side by side.) */
static pid_t node_init_begin(it_node *n, const char *unit)
{
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "%s/%s", it_tmpdir(), unit);
    snprintf(n->conf, sizeof n->conf, "%s/node.conf", n->dir);
    snprintf(n->log, sizeof n->log, "%s/node.log", n->dir);
    snprintf(n->ipc, sizeof n->ipc, "ipc://%s/node.sock", n->dir);
    snprintf(n->origin, sizeof n->origin, "giamsat/commune/%s", unit);
    char cli[600], name[128], init_log[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    snprintf(name, sizeof name, "Commune %s", unit);
    snprintf(init_log, sizeof init_log, "%s/%s.init.log", it_tmpdir(), unit);
    char *argv[] = {cli,      "node",       "init",   "--dir", n->dir,     "--tier", "commune",
                    "--unit", it_arg(unit), "--name", name,    "--listen", n->ipc,   NULL};
    return it_spawn(argv, init_log);
}

static void node_init_end(it_node *n, pid_t pid, const char *unit)
{
    int st = it_wait(pid);
    CHECK(st == 0, "giamsat node init %s exited %d; see %s/%s.init.log", unit, st, it_tmpdir(),
          unit);
    FILE *f = fopen(n->conf, "a");
    CHECK(f != NULL, "cannot append to %s", n->conf);
    fputs(NODE_CONF, f);
    fclose(f);
    char key_path[600];
    snprintf(key_path, sizeof key_path, "%s/node.key", n->dir);
    gs_error err;
    CHECK(gs_keyfile_read(key_path, NULL, &n->key, &err) == 0, "%s", err.msg);
}

static gs_buf read_charter(const it_node *n)
{
    char path[700];
    snprintf(path, sizeof path, "%s/node.db", n->dir);
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    gs_buf e = {0};
    CHECK(gs_store_open(&s, path, &err) == 0, "%s", err.msg);
    CHECK(gs_log_open(&l, s, n->origin, false, &err) == 0, "%s", err.msg);
    CHECK(gs_log_entry(l, 0, &e, &err) == 0, "%s", err.msg);
    gs_log_close(&l);
    gs_store_close(&s);
    return e;
}

static int actor_of(const render *r, const gs_pubkey *k)
{
    for (int a = 0; a < MAX_ACTORS; a++)
        if (memcmp(r->keys[a].pub.b, k->b, 32) == 0)
            return a;
    return -1;
}

/* The operator's part of a rotation of the log key (docs/operations.md
 * "Rotating a log key"): the node is given the new key's secret, a
 * signing_key line, before the rotation reaches it, or it refuses the
 * rotation at its door (UNAVAILABLE: it could not sign its log after it).
 * Every rotation of the sequence signed by the log key in force there, the
 * ones the rules refuse too. */
static void give_signing_keys(run *x)
{
    const render *r = &x->r;
    const seqdesc *sd = r->sd;
    FILE *f = NULL;
    for (size_t i = 0; i < sd->n; i++) {
        const step *p = &sd->steps[i];
        if (p->kind != GS_BODY_KEY_ROTATION || p->person < 0 ||
            memcmp(r->keys[p->signer].pub.b, r->log_key_before[i].b, 32) != 0)
            continue;
        char key_path[700];
        gs_error err;
        snprintf(key_path, sizeof key_path, "%s/signing-%zu.key", x->n.dir, i);
        CHECK(gs_keyfile_write(key_path, &r->keys[p->person], NULL, &err) == 0, "%s", err.msg);
        if (f == NULL)
            CHECK((f = fopen(x->n.conf, "a")) != NULL, "cannot append to %s", x->n.conf);
        fprintf(f, "signing_key = %s\n", key_path);
    }
    if (f != NULL)
        fclose(f);
}

/* The variant log: the statements accepted before step k, then step k,
 * written into the store with the common library, and a checkpoint signed
 * by the log key in force (a node whose log key was rotated gets the new
 * key, or it would not start). */
static void write_variant(run *x)
{
    const render *r = &x->r;
    size_t k = x->step;
    int key_actor = actor_of(r, &r->log_key_before[k]);
    CHECK(key_actor >= 0, "the log key before step %zu is nobody's", k);
    const gs_keypair *kp = &r->keys[key_actor];
    if (key_actor != L) {
        char key_path[600];
        snprintf(key_path, sizeof key_path, "%s/node.key", x->n.dir);
        gs_error err;
        CHECK(unlink(key_path) == 0, "unlink %s: %s", key_path, strerror(errno));
        CHECK(gs_keyfile_write(key_path, kp, NULL, &err) == 0, "%s", err.msg);
        x->n.key = *kp;
    }
    gs_bytes b[MAX_STEPS];
    size_t nb = 0;
    for (size_t i = 0; i < k; i++)
        if (strcmp(r->verdict[i], "accepted") == 0)
            b[nb++] = gs_bytes_of(r->entry[i].p, r->entry[i].n);
    b[nb++] = gs_bytes_of(r->entry[k].p, r->entry[k].n);
    /* the Charter and the nb - 1 accepted before it: step k's index */
    CHECK(nb == r->index[k], "variant %s: %zu entries before step %zu, index %" PRIu64, x->unit, nb,
          k, r->index[k]);
    char path[700];
    snprintf(path, sizeof path, "%s/node.db", x->n.dir);
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    char *note = NULL;
    CHECK(gs_store_open(&s, path, &err) == 0, "%s", err.msg);
    CHECK(gs_log_open(&l, s, x->n.origin, false, &err) == 0, "%s", err.msg);
    CHECK(gs_log_append(l, b, nb, NULL, &err) == 0, "%s", err.msg);
    CHECK(gs_log_sign_checkpoint(l, kp, &note, &err) == 0, "%s", err.msg);
    free(note);
    gs_log_close(&l);
    gs_store_close(&s);
    x->size = 1 + nb;
    it_vkey(x->vkey, x->n.origin, GS_VKEY_ALG_ED25519, &kp->pub);
}

/* ------------------------------------------------------------ the hub */

/* `giamsat hub follow` for every log, PARALLEL at a time (as it_hub_follow
 * does one by one): each appends its [log] section to hub.conf in one
 * write to a file opened for appending, so they do not mix. */
static void hub_follow_all(const it_hub *h, run *runs, size_t nr)
{
    char cli[600], log_path[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    snprintf(log_path, sizeof log_path, "%s/follow.log", h->dir);
    pid_t pids[PARALLEL];
    for (size_t i = 0; i < nr; i += PARALLEL) {
        size_t m = nr - i < PARALLEL ? nr - i : PARALLEL;
        for (size_t k = 0; k < m; k++) {
            run *x = &runs[i + k];
            char *argv[] = {cli,        "hub",       "follow",    "--config", it_arg(h->conf),
                            "--origin", x->n.origin, "--log-key", x->vkey,    "--source",
                            x->n.ipc,   NULL};
            pids[k] = it_spawn(argv, log_path);
        }
        for (size_t k = 0; k < m; k++) {
            int st = it_wait(pids[k]);
            CHECK(st == 0, "giamsat hub follow exited %d; see %s", st, log_path);
        }
    }
}

static bool hub_holds(const it_hub *h, run *x)
{
    char *note = it_get_checkpoint(zctx, h->ipc, x->n.origin, NULL);
    uint64_t cosigned = it_checkpoint_size(note);
    free(note);
    gs_buf *items = NULL;
    size_t ne = 0;
    it_get_evidence(zctx, h->ipc, x->n.origin, &items, &ne);
    for (size_t i = 0; i < ne; i++)
        gs_buf_free(&items[i]);
    free(items);
    return ne > 0 || cosigned >= x->size;
}

/* The log index a step of this run took or was judged at, or -1 when the
 * run's log does not hold it. */
static int64_t index_in_run(const run *x, size_t i)
{
    if (x->kind == RUN_VARIANT) {
        if (i == x->step)
            return (int64_t)x->r.index[i];
        if (i > x->step || strcmp(x->r.verdict[i], "accepted") != 0)
            return -1;
        return (int64_t)x->r.index[i];
    }
    return strcmp(x->r.verdict[i], "accepted") == 0 ? (int64_t)x->r.index[i] : -1;
}

/* Verdicts per step from a judge that accepted [0, good) of the log and,
 * when bad_index >= 0, refused entry bad_index with reason; short_of names
 * what is beyond good otherwise. */
static void spread(const run *x, char v[][VERDICT_MAX], int64_t good, int64_t bad_index,
                   const char *reason, const char *short_of)
{
    for (size_t i = 0; i < x->r.sd->n; i++) {
        int64_t at = index_in_run(x, i);
        if (at < 0)
            continue;
        if (bad_index >= 0 && at == bad_index)
            snprintf(v[i], VERDICT_MAX, "%s", reason);
        else if (bad_index >= 0 && at > bad_index)
            snprintf(v[i], VERDICT_MAX, "not-judged");
        else if (at < good)
            snprintf(v[i], VERDICT_MAX, "accepted");
        else
            snprintf(v[i], VERDICT_MAX, "%s", short_of);
    }
}

/* The hub's cosigned checkpoint of x's log. A request the hub did not
 * answer within the client's timeout (a loaded machine) or answered
 * UNAVAILABLE is asked again, until WAIT_MS: a missing answer is no verdict
 * (read as size 0 it made every entry of an honest log "not-cosigned"). */
static char *hub_checkpoint(const it_hub *h, const run *x)
{
    int64_t deadline = mono_ms() + WAIT_MS;
    for (int tries = 1;; tries++) {
        int code = -1;
        char *note = it_get_checkpoint(zctx, h->ipc, x->n.origin, &code);
        bool last = mono_ms() > deadline;
        if (note != NULL || (code != -1 && code != GS_STATUS_UNAVAILABLE) || last) {
            if (tries > 1 || (note == NULL && (code == -1 || code == GS_STATUS_UNAVAILABLE)))
                printf("# %s: GetCheckpoint at the hub: %s after %d tries (last code %d)\n",
                       x->n.origin, note != NULL ? "a checkpoint" : "none", tries, code);
            return note;
        }
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void hub_verdicts(const it_hub *h, run *x)
{
    gs_error err;
    char *note = hub_checkpoint(h, x);
    uint64_t cosigned = it_checkpoint_size(note);
    free(note);
    gs_buf *items = NULL;
    size_t ne = 0;
    it_get_evidence(zctx, h->ipc, x->n.origin, &items, &ne);
    int64_t bad = -1;
    char reason[VERDICT_MAX] = "", whole[VERDICT_MAX] = "";
    for (size_t k = 0; k < ne; k++) {
        gs_statement st = {0};
        if (bad < 0 && whole[0] == '\0' &&
            gs_wire_open_entry(gs_bytes_of(items[k].p, items[k].n), &st, &err) == 0 &&
            st.kind == GS_BODY_EVIDENCE) {
            const gs_evidence *ev = &st.u.evidence;
            /* Any other evidence, or one that proves nothing, is a
             * verdict against the whole log. */
            if (ev->kind != GS_EVIDENCE_RULE_VIOLATION) {
                snprintf(whole, sizeof whole, "evidence-kind-%d", (int)ev->kind);
            } else if (evidence_verify(ev, &x->vk, &err) != 0) {
                snprintf(whole, sizeof whole, "evidence-does-not-verify");
                snprintf(x->hub_note, sizeof x->hub_note, "%s", err.msg);
            } else {
                /* Both forms of (d) end with the offending entry. */
                bad = (int64_t)(ev->first_index + ev->n_entries - 1);
                const char *why = ev->reason != NULL ? ev->reason : "";
                const char *p = strstr(why, "breaks the rule book: ");
                const char *name = NULL;
                if (p != NULL) {
                    p += strlen("breaks the rule book: ");
                    const char *colon = strchr(p, ':');
                    name = colon != NULL ? reason_known(p, (size_t)(colon - p)) : NULL;
                } else if ((name = reason_token(why)) == NULL &&
                           strstr(why, "is not a validly signed statement") != NULL) {
                    name = reason_from_open_failure(why);
                    tot.named_from_sentence_hub++;
                }
                snprintf(reason, sizeof reason, "%s", name != NULL ? name : "unnamed");
                /* The sentence names the same entry as the proof. */
                unsigned long long said;
                if (sscanf(why, "entry %llu of", &said) != 1 || (int64_t)said != bad)
                    snprintf(reason, sizeof reason, "evidence-names-another-entry");
                snprintf(x->hub_note, sizeof x->hub_note, "%s", why);
            }
        }
        gs_statement_clear(&st);
        gs_buf_free(&items[k]);
    }
    free(items);
    /* Cosigning anything that holds the refused entry is accepting it. */
    if (bad >= 0 && cosigned > (uint64_t)bad) {
        snprintf(reason, sizeof reason, "cosigned-%" PRIu64, cosigned);
    }
    if (whole[0] != '\0')
        spread(x, x->hub_v, 0, -1, "", whole);
    else
        spread(x, x->hub_v, (int64_t)cosigned, bad, reason, "not-cosigned");
}

/* ------------------------------------------------------------ the audit */

static void write_trust(const char *path, run **xs, size_t n, const it_hub *h)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    fprintf(f, "# differential test\n");
    if (h != NULL)
        fprintf(f, "log %s\n", h->log_key);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "log %s\n", xs[i]->vkey);
    fprintf(f, "quorum none\n");
    fclose(f);
}

static const char *str_or(const char *s, const char *dflt)
{
    return s != NULL ? s : dflt;
}

static void audit_verdicts(run *x, json_t *root)
{
    json_t *logs = json_object_get(root, "logs");
    json_t *log = NULL;
    for (size_t i = 0; i < json_array_size(logs); i++) {
        json_t *o = json_array_get(logs, i);
        if (strcmp(str_or(json_string_value(json_object_get(o, "origin")), ""), x->n.origin) == 0)
            log = o;
    }
    if (log == NULL) {
        spread(x, x->audit_v, 0, -1, "", "not-audited");
        return;
    }
    const char *status = str_or(json_string_value(json_object_get(log, "status")), "");
    json_int_t replayed = json_integer_value(json_object_get(log, "entries_replayed"));
    json_t *failures = json_object_get(log, "failures");
    int64_t bad = -1;
    char reason[VERDICT_MAX] = "";
    for (size_t i = 0; bad < 0 && i < json_array_size(failures); i++) {
        const char *f = json_string_value(json_array_get(failures, i));
        unsigned long long at;
        int used = 0;
        if (f == NULL || sscanf(f, "entry %llu%n", &at, &used) != 1)
            continue;
        bad = (int64_t)at;
        const char *rest = f + used;
        if (strncmp(rest, " breaks the rule book: ", 23) == 0) {
            const char *end = strstr(rest, "]; the replay stopped");
            const char *open = end;
            while (open != NULL && open > rest && *open != '[')
                open--;
            const char *name = end != NULL && *open == '['
                                   ? reason_known(open + 1, (size_t)(end - open - 1))
                                   : NULL;
            snprintf(reason, sizeof reason, "%s", name != NULL ? name : "unnamed");
        } else if (reason_token(rest) != NULL) {
            snprintf(reason, sizeof reason, "%s", reason_token(rest));
        } else if (strncmp(rest, ": ", 2) == 0) {
            snprintf(reason, sizeof reason, "%s", reason_from_open_failure(rest));
            tot.named_from_sentence_audit++;
        } else {
            snprintf(reason, sizeof reason, "unnamed");
        }
    }
    if (bad < 0 && strcmp(status, "verified") != 0) {
        spread(x, x->audit_v, 0, -1, "", status[0] ? status : "no-status");
        return;
    }
    if (bad >= 0 && replayed != bad) {
        /* every entry before the refused one is accepted, none after */
        snprintf(reason, sizeof reason, "replayed-%lld-of-%lld", (long long)replayed,
                 (long long)bad);
    }
    spread(x, x->audit_v, (int64_t)replayed, bad, reason, "not-replayed");
    /* A cross-log reference the audit found wrong is its verdict on the
     * statement that holds it. */
    json_t *failed = json_object_get(json_object_get(root, "references"), "failed");
    for (size_t k = 0; k < json_array_size(failed); k++) {
        const char *from = json_string_value(json_object_get(json_array_get(failed, k), "from"));
        size_t on = strlen(x->n.origin);
        if (from == NULL || strncmp(from, x->n.origin, on) != 0 || from[on] != ':')
            continue;
        int64_t at = (int64_t)strtoll(from + on + 1, NULL, 10);
        for (size_t i = 0; i < x->r.sd->n; i++)
            if (index_in_run(x, i) == at)
                snprintf(x->audit_v[i], VERDICT_MAX, "reference-failed");
    }
}

/* Runs audits (argv lists) PARALLEL at a time. */
static void run_audits(char ***argvs, const char **logs, size_t n)
{
    pid_t pids[MAX_RUNS + 1];
    for (size_t i = 0; i < n; i += PARALLEL) {
        size_t m = n - i < PARALLEL ? n - i : PARALLEL;
        for (size_t k = 0; k < m; k++)
            pids[k] = it_spawn(argvs[i + k], logs[i + k]);
        for (size_t k = 0; k < m; k++) {
            int st = it_wait(pids[k]);
            /* 0 verified, 1 failures found; 2 would be a usage error. */
            CHECK(st == 0 || st == 1, "giamsat audit exited %d; see %s", st, logs[i + k]);
        }
    }
}

/* ================================================================ a wave */

static const char *want_of(const seqdesc *sd, size_t i)
{
    return sd->steps[i].want;
}

static void combine(char *out, const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        snprintf(out, VERDICT_MAX, "%s", a);
    else
        snprintf(out, VERDICT_MAX, "%.20s|%.20s", a, b);
}

static void judge_sequence(size_t q, run *one, run *many, run **variants, size_t n_variants)
{
    const seqdesc *sd = &corpus[q];
    char line[8192];
    int used = 0;
    bool ok_all = true;
    for (size_t i = 0; i < sd->n; i++) {
        const char *want = want_of(sd, i);
        bool accepted = strcmp(want, "accepted") == 0;
        char hub[VERDICT_MAX], audit[VERDICT_MAX];
        if (accepted) {
            combine(hub, one->hub_v[i], many->hub_v[i]);
            combine(audit, one->audit_v[i], many->audit_v[i]);
        } else {
            run *v = NULL;
            for (size_t k = 0; k < n_variants; k++)
                if (variants[k]->step == i)
                    v = variants[k];
            CHECK(v != NULL, "no variant log for %s step %zu", sd->name, i);
            snprintf(hub, sizeof hub, "%s", v->hub_v[i]);
            snprintf(audit, sizeof audit, "%s", v->audit_v[i]);
            int r = reason_index(want);
            if (r >= 0 && r < 128)
                tot.refusals[r]++;
        }
        /* Rule 6 is a submission rule: history holding such a statement is
         * valid for every replay. */
        const char *history_want = strcmp(want, "clock-skew") == 0 ? "accepted" : want;
        bool agree = strcmp(one->node_v[i], want) == 0 && strcmp(many->node_v[i], want) == 0 &&
                     strcmp(hub, history_want) == 0 && strcmp(audit, history_want) == 0;
        tot.statements++;
        if (!agree) {
            ok_all = false;
            tot.disagreements++;
            const step *p = &sd->steps[i];
            printf("FAIL sequence %zu \"%s\" statement %zu (%s by %s, index %" PRIu64
                   "): node (batch of 1) %s, node (batch of many) %s, hub %s, audit %s; the "
                   "rule book in this process says %s%s\n",
                   q + 1, sd->name, i, gs_body_name(p->kind), actor_names[p->signer],
                   one->r.index[i], one->node_v[i], many->node_v[i], hub, audit, want,
                   strcmp(want, history_want) != 0 ? " (accepted in history)" : "");
        }
        used += snprintf(line + used, sizeof line - (size_t)used, " %s%s",
                         strcmp(want, "accepted") == 0 ? "ok" : want,
                         strcmp(want, history_want) != 0 ? "(node only)" : "");
        if (used >= (int)sizeof line - 64)
            used = (int)sizeof line - 64;
    }
    tot.seqs++;
    if (sd->generated)
        tot.gen++;
    else
        tot.hand++;
    tot.many_total++;
    if (many->commits == 1)
        tot.many_one_commit++;
    printf("%s %zu - %s: %zu statements, %zu refused, batch of many in %d commit(s):%s\n",
           ok_all ? "ok" : "not ok", q + 1, sd->name, sd->n, n_variants, many->commits, line);
    fflush(stdout);
}

static void run_wave(int wave, size_t first, size_t count)
{
    run *runs = calloc(MAX_RUNS, sizeof *runs);
    CHECK(runs != NULL, "out of memory");
    size_t nr = 0;
    for (size_t q = first; q < first + count; q++) {
        const seqdesc *sd = &corpus[q];
        for (int k = 0; k < 2; k++) {
            CHECK(nr < MAX_RUNS, "wave %d: too many logs", wave);
            run *x = &runs[nr++];
            x->kind = k == 0 ? RUN_ONE : RUN_MANY;
            x->seq = q;
            snprintf(x->unit, sizeof x->unit, "s%zu-%s", q + 1, k == 0 ? "one" : "many");
        }
        for (size_t i = 0; i < sd->n; i++) {
            if (strcmp(sd->steps[i].want, "accepted") == 0)
                continue;
            CHECK(nr < MAX_RUNS, "wave %d: too many logs", wave);
            run *x = &runs[nr++];
            x->kind = RUN_VARIANT;
            x->seq = q;
            x->step = i;
            snprintf(x->unit, sizeof x->unit, "s%zu-v%zu", q + 1, i);
        }
    }

    int64_t t_start = mono_ms(), t_init, t_render, t_nodes, t_feed, t_hub, t_audit;
    /* 1. The nodes' folders, side by side. */
    for (size_t i = 0; i < nr; i += PARALLEL) {
        size_t m = nr - i < PARALLEL ? nr - i : PARALLEL;
        for (size_t k = 0; k < m; k++)
            runs[i + k].init_pid = node_init_begin(&runs[i + k].n, runs[i + k].unit);
        for (size_t k = 0; k < m; k++)
            node_init_end(&runs[i + k].n, runs[i + k].init_pid, runs[i + k].unit);
    }
    t_init = mono_ms();
    /* 2. Every log's entries; the variants written into their stores. */
    for (size_t i = 0; i < nr; i++) {
        run *x = &runs[i];
        gs_buf ch = read_charter(&x->n);
        render_for(&x->r, &corpus[x->seq], x->n.origin, &x->n.key, gs_bytes_of(ch.p, ch.n));
        gs_buf_free(&ch);
        check_corpus_expectations(&x->r);
        give_signing_keys(x);
        if (x->kind == RUN_VARIANT) {
            write_variant(x);
        } else {
            x->size = x->r.size;
            it_vkey(x->vkey, x->n.origin, GS_VKEY_ALG_ED25519, &x->n.key.pub);
        }
        gs_error err;
        CHECK(gs_vkey_parse(x->vkey, &x->vk, &err) == 0, "%s", err.msg);
    }
    t_render = mono_ms();
    /* 3. Every node of the wave, then the two ways of feeding. */
    for (size_t i = 0; i < nr; i++)
        it_node_start(&runs[i].n, bin);
    for (size_t i = 0; i < nr; i++)
        it_node_wait_ready(&runs[i].n, zctx);
    t_nodes = mono_ms();
    for (size_t i = 0; i < nr; i++) {
        if (runs[i].kind == RUN_ONE)
            feed_one(&runs[i]);
        else if (runs[i].kind == RUN_MANY) {
            feed_many(&runs[i]);
            runs[i].commits = count_commits(runs[i].n.log, runs[i].r.size);
        }
    }

    t_feed = mono_ms();
    /* 4. One hub follows every log of the wave. */
    it_hub h;
    char hub_name[32];
    snprintf(hub_name, sizeof hub_name, "wave-%d", wave);
    it_hub_init(&h, bin, hub_name, false, "[hub]\npoll_interval_ms = 200\n");
    hub_follow_all(&h, runs, nr);
    int64_t t_follow = mono_ms();
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    int64_t deadline = mono_ms() + WAIT_MS;
    for (;;) {
        size_t pending = 0;
        for (size_t i = 0; i < nr; i++) {
            if (!runs[i].hub_done)
                runs[i].hub_done = hub_holds(&h, &runs[i]);
            pending += !runs[i].hub_done;
        }
        if (pending == 0 || mono_ms() > deadline)
            break;
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < nr; i++)
        hub_verdicts(&h, &runs[i]);

    t_hub = mono_ms();
    /* 5. The audits: the nodes' logs through the hub, in one run; each
     *    variant at its own (quarantined) node. */
    char cli[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    char ***argvs = calloc(MAX_RUNS + 1, sizeof *argvs);
    const char **logs = calloc(MAX_RUNS + 1, sizeof *logs);
    char(*log_paths)[600] = calloc(MAX_RUNS + 1, sizeof *log_paths);
    CHECK(argvs != NULL && logs != NULL && log_paths != NULL, "out of memory");
    size_t na = 0;
    run *fed[MAX_RUNS];
    size_t nf = 0;
    for (size_t i = 0; i < nr; i++)
        if (runs[i].kind != RUN_VARIANT)
            fed[nf++] = &runs[i];
    char hub_trust[600], hub_out[600];
    snprintf(hub_trust, sizeof hub_trust, "%s/wave-%d.trust", it_tmpdir(), wave);
    snprintf(hub_out, sizeof hub_out, "%s/wave-%d.audit.json", it_tmpdir(), wave);
    write_trust(hub_trust, fed, nf, &h);
    {
        char **argv = calloc(16 + 2 * nf, sizeof *argv);
        CHECK(argv != NULL, "out of memory");
        size_t k = 0;
        argv[k++] = cli;
        argv[k++] = "audit";
        argv[k++] = "--connect";
        argv[k++] = h.ipc;
        argv[k++] = "--trust";
        argv[k++] = hub_trust;
        argv[k++] = "--format";
        argv[k++] = "json";
        argv[k++] = "--out";
        argv[k++] = hub_out;
        for (size_t i = 0; i < nf; i++) {
            argv[k++] = "--origin";
            argv[k++] = fed[i]->n.origin;
        }
        argv[k] = NULL;
        snprintf(log_paths[na], 600, "%s/wave-%d.audit.log", it_tmpdir(), wave);
        logs[na] = log_paths[na];
        argvs[na++] = argv;
    }
    for (size_t i = 0; i < nr; i++) {
        run *x = &runs[i];
        if (x->kind != RUN_VARIANT)
            continue;
        snprintf(x->trust, sizeof x->trust, "%s/%s.trust", it_tmpdir(), x->unit);
        snprintf(x->audit_out, sizeof x->audit_out, "%s/%s.audit.json", it_tmpdir(), x->unit);
        write_trust(x->trust, &x, 1, NULL);
        char **argv = calloc(16, sizeof *argv);
        CHECK(argv != NULL, "out of memory");
        size_t k = 0;
        argv[k++] = cli;
        argv[k++] = "audit";
        argv[k++] = "--connect";
        argv[k++] = x->n.ipc;
        argv[k++] = "--trust";
        argv[k++] = x->trust;
        argv[k++] = "--format";
        argv[k++] = "json";
        argv[k++] = "--out";
        argv[k++] = x->audit_out;
        argv[k] = NULL;
        snprintf(log_paths[na], 600, "%s/%s.audit.log", it_tmpdir(), x->unit);
        logs[na] = log_paths[na];
        argvs[na++] = argv;
    }
    run_audits(argvs, logs, na);
    json_error_t jerr;
    json_t *root = json_load_file(hub_out, 0, &jerr);
    CHECK(root != NULL, "%s: %s", hub_out, jerr.text);
    for (size_t i = 0; i < nf; i++)
        audit_verdicts(fed[i], root);
    json_decref(root);
    for (size_t i = 0; i < nr; i++) {
        run *x = &runs[i];
        if (x->kind != RUN_VARIANT)
            continue;
        root = json_load_file(x->audit_out, 0, &jerr);
        CHECK(root != NULL, "%s: %s", x->audit_out, jerr.text);
        audit_verdicts(x, root);
        json_decref(root);
    }
    for (size_t i = 0; i < na; i++)
        free(argvs[i]);
    free(argvs);
    free(logs);
    free(log_paths);

    t_audit = mono_ms();
    printf("# wave %d: %zu logs; seconds: node init %.1f, render %.1f, nodes up %.1f, feeding "
           "%.1f, hub follow %.1f, hub sync %.1f, audits %.1f\n",
           wave, nr, (t_init - t_start) / 1e3, (t_render - t_init) / 1e3,
           (t_nodes - t_render) / 1e3, (t_feed - t_nodes) / 1e3, (t_follow - t_feed) / 1e3,
           (t_hub - t_follow) / 1e3, (t_audit - t_hub) / 1e3);
    /* 6. Statement by statement. */
    for (size_t q = first; q < first + count; q++) {
        run *one = NULL, *many = NULL, *variants[MAX_STEPS];
        size_t nv = 0;
        for (size_t i = 0; i < nr; i++) {
            if (runs[i].seq != q)
                continue;
            if (runs[i].kind == RUN_ONE)
                one = &runs[i];
            else if (runs[i].kind == RUN_MANY)
                many = &runs[i];
            else
                variants[nv++] = &runs[i];
        }
        judge_sequence(q, one, many, variants, nv);
    }
    for (size_t i = 0; i < nr; i++) {
        if (runs[i].hub_note[0] != '\0' && getenv("GS_DIFF_VERBOSE") != NULL)
            printf("# %s: %s\n", runs[i].unit, runs[i].hub_note);
    }

    it_hub_stop(&h, SIGTERM);
    gs_keypair_wipe(&h.key);
    for (size_t i = 0; i < nr; i++) {
        it_node_stop(&runs[i].n, SIGTERM);
        gs_keypair_wipe(&runs[i].n.key);
        render_free(&runs[i].r);
    }
    free(runs);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: it_differential BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    gs_error err;
    CHECK(gs_crypto_init(&err) == 0, "%s", err.msg);
    zctx = zmq_ctx_new();
    T0 = (int64_t)time(NULL);
    const char *seed_s = getenv("GS_DIFF_SEED");
    uint64_t seed = seed_s != NULL ? strtoull(seed_s, NULL, 10) : 20261201;
    rng_state = seed != 0 ? seed : 1;

    hand_written();
    parameter_sequences();
    size_t n_hand = n_corpus;
    for (int g = 1; g <= 12; g++)
        generate(g, 14 + (size_t)pick(18), 1 + pick(2));
    printf("# %zu sequences (%zu hand-written, %zu generated with GS_DIFF_SEED=%" PRIu64 ")\n",
           n_corpus, n_hand, n_corpus - n_hand, seed);
    /* GS_DIFF_ONLY=WORD: only the sequences whose name holds WORD (to look
     * at one closely; the full corpus is the test). */
    const char *only = getenv("GS_DIFF_ONLY");
    if (only != NULL) {
        size_t kept = 0;
        for (size_t q = 0; q < n_corpus; q++)
            if (strstr(corpus[q].name, only) != NULL)
                corpus[kept++] = corpus[q];
        n_corpus = kept;
        printf("# GS_DIFF_ONLY=%s: %zu sequences\n", only, n_corpus);
    }

    int wave = 0;
    for (size_t q = 0; q < n_corpus;) {
        /* A wave: up to WAVE_SEQS sequences, and at most MAX_RUNS logs. */
        size_t count = 0, logs = 0;
        while (q + count < n_corpus && count < WAVE_SEQS) {
            size_t need = 2;
            for (size_t i = 0; i < corpus[q + count].n; i++)
                need += strcmp(corpus[q + count].steps[i].want, "accepted") != 0;
            if (logs + need > MAX_RUNS && count > 0)
                break;
            logs += need;
            count++;
        }
        run_wave(++wave, q, count);
        q += count;
    }

    printf("# %d sequences (%d hand-written, %d generated), %d statements, %d disagreements\n",
           tot.seqs, tot.hand, tot.gen, tot.statements, tot.disagreements);
    printf("# refusals by reason:");
    int total_refused = 0;
    for (int r = 0; r < 128; r++)
        if (tot.refusals[r] > 0) {
            printf(" %s %d", gs_rules_reason_name((gs_rule_reason)r), tot.refusals[r]);
            total_refused += tot.refusals[r];
        }
    printf(" (%d in all)\n", total_refused);
    printf("# batch of many: %d of %d sequences judged in one group commit\n", tot.many_one_commit,
           tot.many_total);
    if (tot.named_from_sentence_hub + tot.named_from_sentence_audit > 0)
        printf("# NOTE: %d hub and %d audit verdicts (bad-signature, malformed) were read from a "
               "sentence: those judges do not name these two reasons\n",
               tot.named_from_sentence_hub, tot.named_from_sentence_audit);
    zmq_ctx_term(zctx);
    if (tot.disagreements > 0) {
        printf("FAIL: %d statements on which the node, the hub and the audit disagree\n",
               tot.disagreements);
        return 1;
    }
    return 0;
}
