/* test_evidence_bisect.c — the one-node forms of evidence (a) and (c) and
 * the bisection that builds them (common/evidence.h), on REAL logs (gs_store
 * + gs_log in a temporary folder, checkpoints signed as C2SP notes).
 *
 * The play: a detector holds a replica R = the first m entries of history A
 * (the size it cosigned) followed by the entries a source served for [m, n).
 * The log signed history B at size n. The source answers inclusion proofs
 * of B. The bisection must find the first leaf where B and R differ; below
 * m it is a rewrite of what was cosigned (split view, one node), from m on
 * the source served entries that are not the log (bad entries, one node).
 * Neither form is treated specially here: evidence (a) and (c) are checked
 * by gs_evidence_verify only, then spoiled every way a forger could.
 *
 * Entries are plain bytes there: (a) and (c) never open an entry, they only
 * hash it.
 *
 * Then the history form of (d) that needs 1,503 signed statements (an
 * officer appointing a head after 1,502 valid entries): refused whole, split
 * into hash-chained parts that each fit in one entry, verified joined (also
 * after a trip through the wire), and refused when a part is missing,
 * swapped, changed, or part 1's checkpoint is signed by another key; an
 * honest history split the same way proves nothing. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "evidence.h"
#include "log.h"
#include "note.h"

#define ORIGIN "giamsat/commune/an-binh"
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static char tmpdir[256];
static gs_keypair node_kp, other_kp, hub_kp;
static char log_vkey_str[GS_VKEY_STR_MAX];
static gs_vkey log_vkey;
static int files;

typedef struct {
    gs_store *store;
    gs_log *log;
    int64_t id;
} tlog;

static void seed_key(gs_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

static void tlog_open(tlog *t)
{
    char path[400];
    gs_error err = {0};
    gs_store_log_state ls;
    snprintf(path, sizeof path, "%s/%d.db", tmpdir, files++);
    memset(t, 0, sizeof *t);
    if (gs_store_open(&t->store, path, &err) != 0 ||
        gs_log_open(&t->log, t->store, ORIGIN, true, &err) != 0 ||
        gs_store_log_find(t->store, ORIGIN, false, &ls, &err) != 0)
        fail_msg("opening %s: %s", path, err.msg);
    t->id = ls.id;
}

static void tlog_close(tlog *t)
{
    gs_log_close(&t->log);
    gs_store_close(&t->store);
}

/* Entry i of history `tag`: the same bytes in every log that has it. */
static gs_buf entry_of(const char *tag, uint64_t i)
{
    char text[80];
    int n = snprintf(text, sizeof text, "entry %llu of history %s", (unsigned long long)i, tag);
    gs_buf b = {malloc((size_t)n), (size_t)n};
    memcpy(b.p, text, (size_t)n);
    return b;
}

/* Appends entries [from, to): entry i is history B's from `fork` on, A's
 * below, and junk (no history the log signed) from `junk` on. */
static void tlog_fill(tlog *t, uint64_t from, uint64_t to, uint64_t fork, uint64_t junk)
{
    gs_error err = {0};
    size_t n = (size_t)(to - from);
    gs_buf *e = calloc(n ? n : 1, sizeof *e);
    gs_bytes *b = calloc(n ? n : 1, sizeof *b);
    assert_non_null(e);
    assert_non_null(b);
    for (size_t k = 0; k < n; k++) {
        uint64_t i = from + k;
        e[k] = entry_of(i >= junk ? "junk" : i >= fork ? "B" : "A", i);
        b[k] = gs_bytes_of(e[k].p, e[k].n);
    }
    if (n > 0 && gs_log_append(t->log, b, n, NULL, &err) != 0)
        fail_msg("append: %s", err.msg);
    for (size_t k = 0; k < n; k++)
        gs_buf_free(&e[k]);
    free(e);
    free(b);
}

static int get_hash(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    tlog *t = ctx;
    return gs_store_get_hash(t->store, t->id, level, index, out, err);
}

static char *checkpoint_as(tlog *t, uint64_t size, const gs_keypair *kp)
{
    gs_hash root;
    char *body = NULL, *note = NULL;
    gs_error err = {0};
    if (gs_log_root_at(t->log, size, &root, &err) != 0 ||
        gs_checkpoint_format(ORIGIN, size, &root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), ORIGIN, kp, &note, &err) != 0)
        fail_msg("checkpoint at %llu: %s", (unsigned long long)size, err.msg);
    free(body);
    return note;
}

static gs_evidence base(gs_evidence_kind kind)
{
    gs_evidence ev = {0};
    ev.kind = kind;
    ev.origin = ORIGIN;
    ev.log_key = log_vkey_str;
    ev.reason = "test";
    ev.detected_at = T0;
    return ev;
}

static void expect_ok(const gs_evidence *ev, const char *what)
{
    gs_error err = {0};
    if (gs_evidence_verify(ev, &log_vkey, &err) != 0)
        fail_msg("%s: expected proof, got %s: %s", what, gs_error_name(err.code), err.msg);
}

static void expect_fail(const gs_evidence *ev, int code, const char *want, const char *what)
{
    gs_error err = {0};
    int rc = gs_evidence_verify(ev, &log_vkey, &err);
    if (rc != code)
        fail_msg("%s: expected %s, got %s: %s", what, gs_error_name(code), gs_error_name(rc),
                 err.msg);
    if (strstr(err.msg, want) == NULL)
        fail_msg("%s: message \"%s\" does not contain \"%s\"", what, err.msg, want);
}

/* The evidence as a hub's log entry: it must fit in one. */
static size_t entry_size(const gs_evidence *ev)
{
    gs_statement st = {.kind = GS_BODY_EVIDENCE};
    gs_buf out = {0};
    gs_error err = {0};
    st.signer = hub_kp.pub;
    st.seq = 1;
    st.issued_at = T0;
    st.origin = "giamsat/hub/ha-noi";
    st.u.evidence = *ev;
    if (gs_wire_sign_statement(&st, &hub_kp, &out, &err) != 0)
        fail_msg("the evidence does not make an entry: %s", err.msg);
    size_t n = out.n;
    gs_buf_free(&out);
    return n;
}

/* A source answering with proofs of log `src`; `lie_below` > 0 spoils
 * every proof asked for a node of fewer leaves than that. */
typedef struct {
    tlog *src;
    uint64_t size;
    uint64_t lie_below;
    unsigned asked;
} source;

static gs_bisect_state run(gs_bisect *b, source *s)
{
    uint64_t want[2];
    size_t nw;
    gs_error err = {0};
    while ((nw = gs_bisect_wanted(b, want)) > 0) {
        gs_hash proof[GS_MERKLE_MAX_PROOF];
        size_t np = 0;
        unsigned level;
        uint64_t first;
        gs_hash h, path[GS_MERKLE_MAX_PROOF];
        size_t npath;
        gs_bisect_result(b, &level, &first, &h, path, &npath, NULL);
        for (size_t k = 0; k < nw; k++) {
            if (gs_log_prove_inclusion(s->src->log, want[k], s->size, proof, &np, &err) != 0)
                fail_msg("proof of %llu: %s", (unsigned long long)want[k], err.msg);
            if (s->lie_below > 0 && ((uint64_t)1 << level) < s->lie_below)
                for (size_t i = 0; i < np; i++)
                    proof[i].b[0] ^= 1;
            s->asked++;
            if (gs_bisect_take(b, want[k], proof, np, &err) != 0)
                fail_msg("take: %s", err.msg);
        }
        assert_true(s->asked <= 2 * 64);
    }
    return gs_bisect_state_of(b);
}

/* The play of the header: R = A[0, m) + B[m, n) unless `served` names
 * another history for [m, n); the log signed A at m and B at n; B is A
 * below `fork`. Returns the evidence the detector builds from the
 * bisection (its pointers into *keep). */
typedef struct {
    tlog a, b, r;
    char *note_a, *note_b;
    gs_hash proof_a[GS_MERKLE_MAX_PROOF], proof_b[GS_MERKLE_MAX_PROOF];
    gs_buf entries[2048];
    size_t n_entries;
    gs_bisect_state state;
    unsigned asked;
} play;

static void play_free(play *p)
{
    tlog_close(&p->a);
    tlog_close(&p->b);
    tlog_close(&p->r);
    free(p->note_a);
    free(p->note_b);
    for (size_t i = 0; i < p->n_entries; i++)
        gs_buf_free(&p->entries[i]);
    memset(p, 0, sizeof *p);
}

static gs_evidence play_run(play *p, uint64_t m, uint64_t n, uint64_t fork, uint64_t bad_from,
                            uint64_t lie_below)
{
    gs_error err = {0};
    gs_bisect *b = NULL;
    memset(p, 0, sizeof *p);
    tlog_open(&p->a);
    tlog_open(&p->b);
    tlog_open(&p->r);
    tlog_fill(&p->a, 0, m, UINT64_MAX, UINT64_MAX);
    tlog_fill(&p->b, 0, n, fork, UINT64_MAX);
    /* What the source served for [m, n): B's entries, or from bad_from on
     * entries of no history the log signed. */
    tlog_fill(&p->r, 0, m, UINT64_MAX, UINT64_MAX);
    tlog_fill(&p->r, m, n, fork, bad_from);
    p->note_a = checkpoint_as(&p->a, m, &node_kp);
    p->note_b = checkpoint_as(&p->b, n, &node_kp);
    gs_hash rb;
    if (gs_log_root_at(p->b.log, n, &rb, &err) != 0)
        fail_msg("%s", err.msg);
    if (gs_bisect_new(&b, n, &rb, get_hash, &p->r, &err) != 0)
        fail_msg("bisect: %s", err.msg);
    source s = {&p->b, n, lie_below, 0};
    p->state = run(b, &s);
    p->asked = s.asked;

    unsigned level;
    uint64_t first;
    gs_hash hb;
    size_t npb;
    const char *why;
    gs_bisect_result(b, &level, &first, &hb, p->proof_b, &npb, &why);
    gs_bisect_free(&b);
    uint64_t span = (uint64_t)1 << level;
    gs_evidence ev;
    if (first + span <= m && level < 64) {
        /* Inside what was cosigned: the log rewrote it. */
        size_t npa;
        ev = base(GS_EVIDENCE_SPLIT_VIEW);
        if (gs_evidence_node_path(level, first, m, get_hash, &p->r, &ev.node_hash_a, p->proof_a,
                                  &npa, &err) != 0)
            fail_msg("node path in A: %s", err.msg);
        ev.has_node_hash_a = true;
        ev.checkpoint_a = p->note_a;
        ev.inclusion_proof_a = p->proof_a;
        ev.n_inclusion_proof_a = npa;
    } else {
        /* The entries served for the node are not the log's. */
        ev = base(GS_EVIDENCE_BAD_ENTRIES);
        uint64_t end = n - first > span ? first + span : n;
        assert_true(end - first <= 2048);
        for (uint64_t i = first; i < end; i++)
            if (gs_log_entry(p->r.log, i, &p->entries[p->n_entries++], &err) != 0)
                fail_msg("entry %llu: %s", (unsigned long long)i, err.msg);
        ev.entries = p->entries;
        ev.n_entries = p->n_entries;
    }
    ev.checkpoint_b = p->note_b;
    ev.level = level;
    ev.first_index = first;
    ev.has_node_hash_b = true;
    ev.node_hash_b = hb;
    ev.inclusion_proof = p->proof_b;
    ev.n_inclusion_proof = npb;
    return ev;
}

/* ---- the rewrite of a long history -------------------------------------------- */

static void test_long_rewrite(void **state)
{
    (void)state;
    play p;
    /* 1,200 entries cosigned; the log rewrote them from entry 37 on and
     * signed 1,500: a rewrite of 1,163 cosigned entries. */
    gs_evidence ev = play_run(&p, 1200, 1500, 37, UINT64_MAX, 0);
    assert_int_equal(p.state, GS_BISECT_FOUND);
    assert_int_equal(ev.kind, GS_EVIDENCE_SPLIT_VIEW);
    assert_int_equal(ev.level, 0);
    assert_int_equal(ev.first_index, 37); /* the first entry rewritten */
    expect_ok(&ev, "one-leaf split view of a 1,163-entry rewrite");
    size_t size = entry_size(&ev);
    assert_true(size < 4096);
    print_message("1,163 entries rewritten: %u proofs asked, evidence entry of %zu bytes\n",
                  p.asked, size);
    char what[256];
    gs_evidence_describe(&ev, what, sizeof what);
    assert_non_null(strstr(what, "index 37"));

    /* Every way of spoiling it is refused. */
    gs_evidence bad = ev;
    gs_hash swapped[GS_MERKLE_MAX_PROOF];
    memcpy(swapped, ev.inclusion_proof, ev.n_inclusion_proof * sizeof(gs_hash));
    gs_hash tmp = swapped[0];
    swapped[0] = swapped[1];
    swapped[1] = tmp;
    bad.inclusion_proof = swapped;
    expect_fail(&bad, GS_EVERIFY, "not proven in checkpoint b", "two hashes of b's path swapped");

    bad = ev;
    gs_hash spoiled[GS_MERKLE_MAX_PROOF];
    memcpy(spoiled, ev.inclusion_proof_a, ev.n_inclusion_proof_a * sizeof(gs_hash));
    spoiled[3].b[7] ^= 0x10;
    bad.inclusion_proof_a = spoiled;
    expect_fail(&bad, GS_EVERIFY, "not proven in checkpoint a", "a hash of a's path changed");

    bad = ev;
    bad.first_index = 38;
    expect_fail(&bad, GS_EVERIFY, "not proven", "another index");
    bad.first_index = 36;
    expect_fail(&bad, GS_EVERIFY, "not proven", "another index");

    bad = ev;
    bad.level = 1;
    expect_fail(&bad, GS_EINVAL, "not a perfect subtree", "a leaf claimed as a node of two");
    bad.first_index = 36;
    expect_fail(&bad, GS_EVERIFY, "not proven", "a leaf's path claimed for a node of two");

    bad = ev;
    bad.node_hash_a = ev.node_hash_b;
    expect_fail(&bad, GS_EVERIFY, "not proven in checkpoint a", "b's leaf claimed in a");

    bad = ev;
    bad.first_index = 1300;
    expect_fail(&bad, GS_EINVAL, "inside both trees", "an index beyond the smaller tree");

    bad = ev;
    bad.has_node_hash_a = false;
    expect_fail(&bad, GS_EINVAL, "node_hash_a is missing", "no hash in a");

    bad = ev;
    bad.has_node_hash_b = false;
    expect_fail(&bad, GS_EINVAL, "neither form", "no hash in b");

    /* Checkpoint b signed by another key under the log's name. */
    char *forged = checkpoint_as(&p.b, 1500, &other_kp);
    bad = ev;
    bad.checkpoint_b = forged;
    expect_fail(&bad, GS_EVERIFY, "not signed by the log key", "b signed by another key");
    free(forged);

    /* An entry both trees hold alike: the proofs are right, the hashes the
     * same. */
    gs_error err = {0};
    gs_hash pa[GS_MERKLE_MAX_PROOF], pb[GS_MERKLE_MAX_PROOF];
    size_t npa, npb;
    bad = ev;
    bad.first_index = 36;
    if (gs_evidence_node_path(0, 36, 1200, get_hash, &p.a, &bad.node_hash_a, pa, &npa, &err) != 0 ||
        gs_evidence_node_path(0, 36, 1500, get_hash, &p.b, &bad.node_hash_b, pb, &npb, &err) != 0)
        fail_msg("%s", err.msg);
    bad.inclusion_proof_a = pa;
    bad.n_inclusion_proof_a = npa;
    bad.inclusion_proof = pb;
    bad.n_inclusion_proof = npb;
    expect_fail(&bad, GS_EVERIFY, "same hash", "an entry equal in both trees");

    bad = ev;
    bad.n_consistency_proof = 1;
    bad.consistency_proof = pa;
    expect_fail(&bad, GS_EINVAL, "only the node's hashes", "a stray consistency proof");

    /* Through the wire and back: the same verdict. */
    gs_statement st = {.kind = GS_BODY_EVIDENCE}, back = {0};
    gs_buf bytes = {0};
    st.signer = hub_kp.pub;
    st.seq = 1;
    st.issued_at = T0;
    st.origin = "giamsat/hub/ha-noi";
    st.u.evidence = ev;
    if (gs_wire_sign_statement(&st, &hub_kp, &bytes, &err) != 0 ||
        gs_wire_open_entry(gs_bytes_of(bytes.p, bytes.n), &back, &err) != 0)
        fail_msg("round trip: %s", err.msg);
    assert_true(back.u.evidence.has_node_hash_a && back.u.evidence.has_node_hash_b);
    assert_int_equal(back.u.evidence.n_inclusion_proof_a, ev.n_inclusion_proof_a);
    expect_ok(&back.u.evidence, "the decoded one-leaf split view");
    gs_statement_clear(&back);
    gs_buf_free(&bytes);
    play_free(&p);
}

/* ---- the power-of-two sizes ----------------------------------------------------- */

/* RFC 9162 consistency proofs from a power-of-two size omit the old root,
 * so a source's proof cannot show another one; the bisection does not
 * care. The last old leaf, a middle one and the first are rewritten. */
static void test_power_of_two(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {8, 16, 64};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint64_t m = sizes[k];
        uint64_t forks[] = {m - 1, m / 2, 0};
        for (size_t f = 0; f < 3; f++) {
            play p;
            gs_evidence ev = play_run(&p, m, m + 5, forks[f], UINT64_MAX, 0);
            char what[80];
            snprintf(what, sizeof what, "cosigned %llu, rewritten from %llu", (unsigned long long)m,
                     (unsigned long long)forks[f]);
            assert_int_equal(p.state, GS_BISECT_FOUND);
            assert_int_equal(ev.kind, GS_EVIDENCE_SPLIT_VIEW);
            assert_int_equal(ev.first_index, forks[f]);
            expect_ok(&ev, what);
            /* The same at the size cosigned: a rewrite of the same size. */
            play_free(&p);
            ev = play_run(&p, m, m, forks[f], UINT64_MAX, 0);
            assert_int_equal(ev.kind, GS_EVIDENCE_SPLIT_VIEW);
            expect_ok(&ev, what);
            play_free(&p);
        }
    }
}

/* ---- bad entries: one entry served wrong ------------------------------------------ */

static void test_bad_entry(void **state)
{
    (void)state;
    play p;
    /* The log is honest (B extends A), the source served junk from entry
     * 1,150 on: the first junk entry is the evidence. */
    gs_evidence ev = play_run(&p, 1000, 1300, UINT64_MAX, 1150, 0);
    assert_int_equal(p.state, GS_BISECT_FOUND);
    assert_int_equal(ev.kind, GS_EVIDENCE_BAD_ENTRIES);
    assert_int_equal(ev.first_index, 1150);
    assert_int_equal(ev.n_entries, 1);
    expect_ok(&ev, "one bad entry");
    assert_true(entry_size(&ev) < 4096);

    /* The log's true entry in its place is no evidence. */
    gs_evidence bad = ev;
    gs_buf good = entry_of("A", 1150);
    bad.entries = &good;
    expect_fail(&bad, GS_EVERIFY, "the log's own entries", "the true entry");
    gs_buf_free(&good);

    bad = ev;
    bad.first_index = 1151;
    expect_fail(&bad, GS_EVERIFY, "not proven", "another index");
    bad = ev;
    bad.n_entries = 0;
    expect_fail(&bad, GS_EINVAL, "has 1 leaves", "no entry");
    bad = ev;
    bad.checkpoint_a = p.note_a;
    expect_fail(&bad, GS_EINVAL, "carries checkpoint b", "a stray checkpoint a");
    char *forged = checkpoint_as(&p.b, 1300, &other_kp);
    bad = ev;
    bad.checkpoint_b = forged;
    expect_fail(&bad, GS_EVERIFY, "not signed by the log key", "b signed by another key");
    free(forged);
    play_free(&p);
}

/* ---- a source whose proofs lie ---------------------------------------------------- */

static void test_lying_source(void **state)
{
    (void)state;
    play p;
    /* Lies from the first level: the search stops at the root, proving
     * nothing beyond what the detector knew. */
    gs_evidence ev = play_run(&p, 600, 700, 100, UINT64_MAX, UINT64_MAX);
    assert_int_equal(p.state, GS_BISECT_STUCK);
    assert_int_equal(ev.first_index, 0);
    assert_int_equal(ev.n_inclusion_proof, 0);
    play_free(&p);

    /* Honest for nodes of 8 leaves and more, then lying: the search stops
     * at a node of 4 inside what was cosigned, which is still proof of a
     * rewrite. */
    ev = play_run(&p, 600, 700, 100, UINT64_MAX, 8);
    assert_int_equal(p.state, GS_BISECT_STUCK);
    assert_int_equal(ev.kind, GS_EVIDENCE_SPLIT_VIEW);
    assert_int_equal(ev.level, 2);
    assert_int_equal(ev.first_index, 100);
    expect_ok(&ev, "a split view at a node of 4");
    gs_evidence bad = ev;
    bad.level = 3;
    bad.first_index = 96;
    expect_fail(&bad, GS_EVERIFY, "not proven", "the node's hashes at another level");
    play_free(&p);

    /* Junk served from entry 609 of 611, and a source lying below nodes of
     * 4: the entries served for the node of 2 where it stopped are the
     * evidence. */
    ev = play_run(&p, 600, 611, UINT64_MAX, 609, 4);
    assert_int_equal(p.state, GS_BISECT_STUCK);
    assert_int_equal(ev.kind, GS_EVIDENCE_BAD_ENTRIES);
    assert_true(ev.n_entries <= 4);
    expect_ok(&ev, "bad entries at a node of the right edge");
    play_free(&p);
}

/* ---- node paths, every level, imperfect right edges included ----------------------- */

static void test_node_paths(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {1, 2, 5, 11, 13, 64, 100};
    tlog t;
    gs_error err = {0};
    tlog_open(&t);
    tlog_fill(&t, 0, 100, UINT64_MAX, UINT64_MAX);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint64_t n = sizes[k];
        char *note = checkpoint_as(&t, n, &node_kp);
        for (unsigned level = 0; level <= 7; level++) {
            uint64_t span = (uint64_t)1 << level;
            for (uint64_t first = 0; first < n; first += span) {
                uint64_t end = n - first > span ? first + span : n;
                gs_hash path[GS_MERKLE_MAX_PROOF];
                gs_buf entries[128];
                size_t np = 0;
                gs_evidence ev = base(GS_EVIDENCE_BAD_ENTRIES);
                ev.checkpoint_b = note;
                ev.level = level;
                ev.first_index = first;
                ev.has_node_hash_b = true;
                if (gs_evidence_node_path(level, first, n, get_hash, &t, &ev.node_hash_b, path, &np,
                                          &err) != 0)
                    fail_msg("node path: %s", err.msg);
                if (level == 0) {
                    gs_hash want[GS_MERKLE_MAX_PROOF];
                    size_t nw;
                    if (gs_log_prove_inclusion(t.log, first, n, want, &nw, &err) != 0)
                        fail_msg("%s", err.msg);
                    assert_int_equal(nw, np);
                    assert_memory_equal(want, path, np * sizeof(gs_hash));
                }
                ev.inclusion_proof = path;
                ev.n_inclusion_proof = np;
                for (uint64_t i = first; i < end; i++)
                    entries[i - first] = entry_of("A", i);
                ev.entries = entries;
                ev.n_entries = (size_t)(end - first);
                /* The log's own entries: the path holds, nothing is wrong. */
                expect_fail(&ev, GS_EVERIFY, "the log's own entries", "true entries of a node");
                entries[ev.n_entries - 1].p[0] ^= 0x20;
                expect_ok(&ev, "a node with one entry changed");
                for (size_t i = 0; i < ev.n_entries; i++)
                    gs_buf_free(&entries[i]);
            }
        }
        free(note);
    }
    tlog_close(&t);
}

/* ---- (d) with a long history, split into parts ---------------------------------- */

static gs_buf signed_statement(gs_statement *st, const gs_keypair *kp, uint64_t seq)
{
    gs_buf out = {0};
    gs_error err = {0};
    st->signer = kp->pub;
    st->seq = seq;
    st->issued_at = T0 + (int64_t)seq;
    if (st->origin == NULL)
        st->origin = ORIGIN;
    if (gs_wire_sign_statement(st, kp, &out, &err) != 0)
        fail_msg("signing: %s", err.msg);
    return out;
}

static gs_buf appoint(const gs_keypair *by, uint64_t seq, const gs_pubkey *person, gs_role role)
{
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = *person;
    st.u.appointment.name = "Le Van C";
    st.u.appointment.role = role;
    st.u.appointment.title = "thanh tra vien (inspector) of the commune, appointed by decision";
    st.u.appointment.decision = "";
    return signed_statement(&st, by, seq);
}

/* Entries of a log: the Charter, `inspectors` appointments by the node key,
 * an officer, and (when violate) that officer appointing a head — which
 * only the node key may do (rule 8) — then 6 more appointments. *offending
 * gets the index of the officer's appointment of a head (where it is or
 * would be). */
static size_t history(tlog *t, size_t inspectors, bool violate, gs_keypair *officer,
                      uint64_t *offending)
{
    gs_error err = {0};
    size_t cap = inspectors + 16, n = 0;
    gs_buf *e = calloc(cap, sizeof *e);
    gs_bytes *b = calloc(cap, sizeof *b);
    uint64_t seq = 1;
    assert_non_null(e);
    assert_non_null(b);
    gs_statement st = {.kind = GS_BODY_CHARTER};
    st.u.charter.unit = "an-binh";
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xa An Binh";
    e[n++] = signed_statement(&st, &node_kp, seq++);
    for (size_t i = 0; i < inspectors; i++) {
        gs_pubkey who;
        memset(who.b, 0, sizeof who.b);
        memcpy(who.b, &i, sizeof i);
        who.b[31] = 0x55;
        e[n++] = appoint(&node_kp, seq++, &who, GS_ROLE_INSPECTOR);
    }
    e[n++] = appoint(&node_kp, seq++, &officer->pub, GS_ROLE_OFFICER);
    *offending = n;
    if (violate)
        e[n++] = appoint(officer, 1, &other_kp.pub, GS_ROLE_HEAD);
    for (int i = 0; i < 6; i++) {
        gs_pubkey who;
        memset(who.b, 0x77, sizeof who.b);
        who.b[0] = (uint8_t)i;
        e[n++] = appoint(&node_kp, seq++, &who, GS_ROLE_INSPECTOR);
    }
    for (size_t i = 0; i < n; i++)
        b[i] = gs_bytes_of(e[i].p, e[i].n);
    if (gs_log_append(t->log, b, n, NULL, &err) != 0)
        fail_msg("append: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&e[i]);
    free(e);
    free(b);
    return n;
}

/* The history form up to and including entry `last` of t, in the tree of
 * size `size`: entries into *entries and the note into *note (caller frees
 * both). */
static gs_evidence history_form(tlog *t, uint64_t last, uint64_t size, gs_buf **entries,
                                gs_hash *proof, char **note)
{
    gs_error err = {0};
    size_t np = 0;
    uint64_t e = last + 1;
    *entries = calloc((size_t)e, sizeof **entries);
    assert_non_null(*entries);
    for (uint64_t i = 0; i < e; i++)
        if (gs_log_entry(t->log, i, &(*entries)[i], &err) != 0)
            fail_msg("entry: %s", err.msg);
    if (gs_log_prove_consistency(t->log, e, size, proof, &np, &err) != 0)
        fail_msg("consistency: %s", err.msg);
    *note = checkpoint_as(t, size, &node_kp);
    gs_evidence ev = base(GS_EVIDENCE_RULE_VIOLATION);
    ev.checkpoint_b = *note;
    ev.entries = *entries;
    ev.n_entries = (size_t)e;
    ev.consistency_proof = proof;
    ev.n_consistency_proof = np;
    ev.reason = "an officer appointed a head";
    return ev;
}

static int verify_list(gs_evidence *parts, size_t n, gs_error *err)
{
    const gs_evidence **l = calloc(n ? n : 1, sizeof *l);
    assert_non_null(l);
    for (size_t k = 0; k < n; k++)
        l[k] = &parts[k];
    int rc = gs_evidence_verify_parts(l, n, &log_vkey, err);
    free(l);
    return rc;
}

static void expect_parts_fail(gs_evidence *parts, size_t n, int code, const char *want,
                              const char *what)
{
    gs_error err = {0};
    int rc = verify_list(parts, n, &err);
    if (rc != code)
        fail_msg("%s: expected %s, got %s: %s", what, gs_error_name(code), gs_error_name(rc),
                 err.msg);
    if (strstr(err.msg, want) == NULL)
        fail_msg("%s: message \"%s\" does not contain \"%s\"", what, err.msg, want);
}

static void rechain(gs_evidence *parts, size_t n)
{
    gs_error err = {0};
    for (size_t k = 1; k < n; k++)
        if (gs_wire_evidence_hash(&parts[k - 1], &parts[k].previous_part, &err) != 0)
            fail_msg("hash: %s", err.msg);
}

static void free_history(gs_evidence *whole, gs_buf *entries, char *note)
{
    for (size_t i = 0; i < whole->n_entries; i++)
        gs_buf_free(&entries[i]);
    free(entries);
    free(note);
}

static void test_split_history(void **state)
{
    (void)state;
    tlog t;
    gs_keypair officer;
    uint64_t offending;
    gs_buf *entries = NULL;
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    char *note = NULL;
    gs_error err = {0};
    seed_key(&officer, 9);
    tlog_open(&t);
    size_t size = history(&t, 1500, true, &officer, &offending);
    assert_int_equal(offending, 1502);
    gs_evidence whole = history_form(&t, offending, size, &entries, proof, &note);

    /* One evidence cannot carry it. */
    expect_fail(&whole, GS_ETOOBIG, "more than 1000", "1,503 entries in one");

    gs_evidence *parts = NULL;
    size_t n = 0;
    assert_int_equal(gs_evidence_split(&whole, &parts, &n, &err), 0);
    assert_true(n >= 3);
    size_t biggest = 0;
    for (size_t k = 0; k < n; k++) {
        size_t sz = entry_size(&parts[k]);
        assert_true(sz <= GS_MAX_ENTRY);
        biggest = sz > biggest ? sz : biggest;
        /* A part alone proves nothing. */
        expect_fail(&parts[k], GS_EINVAL, "alone it proves nothing", "one part");
    }
    print_message("a history of 1,503 entries: %zu parts, the largest entry %zu bytes\n", n,
                  biggest);
    if (verify_list(parts, n, &err) != 0)
        fail_msg("the parts do not verify: %s", err.msg);
    char what[200];
    gs_evidence_describe(&parts[1], what, sizeof what);
    assert_non_null(strstr(what, "part 2 of"));

    /* Deterministic: the same evidence splits the same way. */
    gs_evidence *again = NULL;
    size_t n2 = 0;
    assert_int_equal(gs_evidence_split(&whole, &again, &n2, &err), 0);
    assert_int_equal(n2, n);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(again[k].n_entries, parts[k].n_entries);
        assert_memory_equal(&again[k].previous_part, &parts[k].previous_part, sizeof(gs_hash));
    }
    free(again);

    /* Through the wire: each part a hub's entry, decoded again. */
    gs_statement *back = calloc(n, sizeof *back);
    gs_evidence *decoded = calloc(n, sizeof *decoded);
    assert_non_null(back);
    assert_non_null(decoded);
    for (size_t k = 0; k < n; k++) {
        gs_statement st = {.kind = GS_BODY_EVIDENCE};
        st.origin = "giamsat/hub/ha-noi";
        st.u.evidence = parts[k];
        gs_buf bytes = signed_statement(&st, &hub_kp, k + 1);
        if (gs_wire_open_entry(gs_bytes_of(bytes.p, bytes.n), &back[k], &err) != 0)
            fail_msg("part %zu does not open: %s", k + 1, err.msg);
        gs_buf_free(&bytes);
        decoded[k] = back[k].u.evidence;
    }
    if (verify_list(decoded, n, &err) != 0)
        fail_msg("the decoded parts do not verify: %s", err.msg);

    /* Every way of spoiling them is refused. */
    expect_parts_fail(parts, n - 1, GS_EINVAL, "not part", "a part missing");
    expect_parts_fail(parts + 1, n - 1, GS_EINVAL, "not part 1", "the first part missing");
    gs_evidence tmp = parts[0];
    parts[0] = parts[1];
    parts[1] = tmp;
    expect_parts_fail(parts, n, GS_EINVAL, "not part 1", "two parts swapped");
    parts[1] = parts[0];
    parts[0] = tmp;
    /* An entry changed in part 2: the chain breaks at part 3... */
    gs_buf saved = parts[1].entries[5];
    gs_buf changed = {malloc(saved.n), saved.n};
    memcpy(changed.p, saved.p, saved.n);
    changed.p[changed.n - 1] ^= 1;
    parts[1].entries[5] = changed;
    expect_parts_fail(parts, n, GS_EINVAL, "not one chain", "an entry changed in part 2");
    /* ...and with the chain made again, the entries miss the signed root. */
    rechain(parts, n);
    expect_parts_fail(parts, n, GS_EVERIFY, "not proven to be the start",
                      "an entry changed, the chain made again");
    parts[1].entries[5] = saved;
    gs_buf_free(&changed);
    rechain(parts, n);
    if (verify_list(parts, n, &err) != 0)
        fail_msg("restored: %s", err.msg);
    /* Part 1's reason changed: part 2 no longer names it. */
    parts[0].reason = "something else";
    expect_parts_fail(parts, n, GS_EINVAL, "not one chain", "part 1 changed");
    parts[0].reason = whole.reason;
    /* Part 2 claiming a checkpoint. */
    parts[1].checkpoint_b = note;
    expect_parts_fail(parts, n, GS_EINVAL, "only part 1", "a checkpoint in part 2");
    parts[1].checkpoint_b = NULL;
    /* Checkpoint b signed by another key, the chain made again. */
    char *forged = checkpoint_as(&t, size, &other_kp);
    parts[0].checkpoint_b = forged;
    rechain(parts, n);
    expect_parts_fail(parts, n, GS_EVERIFY, "not signed by the log key", "b by another key");
    free(forged);
    if (verify_list(decoded, n, &err) != 0)
        fail_msg("the decoded parts no longer verify: %s", err.msg);

    for (size_t k = 0; k < n; k++)
        gs_statement_clear(&back[k]);
    free(back);
    free(decoded);
    free(parts);
    free_history(&whole, entries, note);
    tlog_close(&t);

    /* An honest history split the same way proves nothing. */
    tlog_open(&t);
    size = history(&t, 1500, false, &officer, &offending);
    whole = history_form(&t, offending, size, &entries, proof, &note);
    assert_int_equal(gs_evidence_split(&whole, &parts, &n, &err), 0);
    assert_true(n >= 3);
    expect_parts_fail(parts, n, GS_EVERIFY, "accepts every one", "an honest history");
    free(parts);
    free_history(&whole, entries, note);
    tlog_close(&t);
    gs_keypair_wipe(&officer);
}

/* ---- nothing to find ------------------------------------------------------------- */

static void test_nothing_differs(void **state)
{
    (void)state;
    tlog t;
    gs_hash root;
    gs_bisect *b = NULL;
    gs_error err = {0};
    tlog_open(&t);
    tlog_fill(&t, 0, 9, UINT64_MAX, UINT64_MAX);
    assert_int_equal(gs_log_root_at(t.log, 9, &root, &err), 0);
    assert_int_equal(gs_bisect_new(&b, 9, &root, get_hash, &t, &err), GS_EINVAL);
    assert_null(b);
    assert_int_equal(gs_bisect_new(&b, 0, &root, get_hash, &t, &err), GS_EINVAL);
    tlog_close(&t);
}

static int setup(void **state)
{
    (void)state;
    gs_error err = {0};
    if (gs_crypto_init(&err) != 0)
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs-test-bisect-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    seed_key(&node_kp, 1);
    seed_key(&other_kp, 2);
    seed_key(&hub_kp, 3);
    if (gs_vkey_make(&log_vkey, ORIGIN, GS_VKEY_ALG_ED25519, &node_kp.pub, &err) != 0 ||
        gs_vkey_format(&log_vkey, log_vkey_str, sizeof log_vkey_str, &err) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    gs_keypair_wipe(&node_kp);
    gs_keypair_wipe(&other_kp);
    gs_keypair_wipe(&hub_kp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_rewrite),  cmocka_unit_test(test_power_of_two),
        cmocka_unit_test(test_bad_entry),     cmocka_unit_test(test_lying_source),
        cmocka_unit_test(test_node_paths),    cmocka_unit_test(test_nothing_differs),
        cmocka_unit_test(test_split_history),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
