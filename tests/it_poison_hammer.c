/* it_poison_hammer.c — no client can stop a hub from cosigning (issue 9,
 * DESIGN principle 10), with real processes.
 *
 * A real hub follows a real node (polling once at start, then every ten
 * minutes). While the node grows, a hostile client hammers the hub without pause with the node's
 * own latest checkpoint and a correct consistency proof, plus one line planted under the hub's own
 * name and key ID with a spoiled signature: the attack that made a hub throw its replica back and
 * cosign nothing for as long as it lasted. The hub must go on cosigning every size the node
 * reaches, record no evidence against the honest node, and never serve the planted line.
 *
 * Each round waits until the hostile client has been answered a few times
 * since the round began, so the attack is known to run during every
 * round's cosigning (a condition, not a time).
 *
 * usage: it_poison_hammer BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "it_util.h"
#include "note.h"
#include "wire.h"

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

#define ROUNDS 8

static const char *bin;
static void *zctx;
static it_node node;
static it_hub hub;
static gs_vkey node_vkey, hub_cosigner;
static gs_keypair officer;
static uint64_t node_seq = 2, officer_seq = 1, size = 1;

static atomic_bool stop;
static atomic_long answered; /* hostile requests the hub answered */
static atomic_long cosigned; /* ... of which with a cosignature */

static gs_response call(const char *ep, gs_request *rq)
{
    gs_net_client *c = NULL;
    gs_response rs = {0};
    gs_error err;
    if (gs_net_client_open(&c, zctx, ep, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    rq->version = 1;
    if (gs_net_client_call(c, rq, &rs, &err) != 0)
        rs.code = GS_STATUS_UNAVAILABLE; /* counted as unanswered */
    gs_net_client_close(&c);
    return rs;
}

static void submit(gs_statement *st, const gs_keypair *kp, uint64_t *seq)
{
    gs_net_client *c = NULL;
    gs_error err;
    if (gs_net_client_open(&c, zctx, node.ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    gs_buf e = it_sign(st, kp, node.origin, (*seq)++);
    char msg[600];
    gs_receipt r = {0};
    int code = it_submit(c, gs_bytes_of(e.p, e.n), &node.key.pub, &r, msg, sizeof msg);
    gs_receipt_clear(&r);
    gs_buf_free(&e);
    gs_net_client_close(&c);
    CHECK(code == GS_STATUS_OK, "statement refused: %s", msg);
    size++;
}

/* The node's note with a line under the hub's name and key ID whose
 * signature is spoiled (one base64 character changed), and a second line
 * under the node's own name and key ID, spoiled the same way: signed-note
 * verifiers check only the first line of a key and drop the repeat (issue
 * 11), so the note still verifies, and the hub must not keep the repeat. */
static char *poison(const char *note)
{
    gs_note *n = NULL;
    gs_error err;
    size_t tlen;
    char *line = NULL;
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "%s", err.msg);
    const char *text = gs_note_text(n, &tlen);
    CHECK(gs_cosignature_sign(text, tlen, hub.origin, &hub.key, (int64_t)time(NULL), &line, &err) ==
              0,
          "%s", err.msg);
    gs_note_free(&n);
    line[strcspn(line, "\n")] = '\0';
    char *c = &line[strlen(line) - 10];
    *c = *c == 'A' ? 'B' : 'A';
    char needle[GS_MAX_ORIGIN + 8];
    snprintf(needle, sizeof needle, "\n\xe2\x80\x94 %s ", node.origin);
    const char *own = strstr(note, needle);
    CHECK(own != NULL, "the node's note has no line of its own:\n%s", note);
    own++;
    size_t own_len = strcspn(own, "\n");
    char *dup = strndup(own, own_len);
    CHECK(dup != NULL, "out of memory");
    c = &dup[own_len - 10];
    *c = *c == 'A' ? 'B' : 'A';
    size_t cap = strlen(note) + strlen(line) + own_len + 3;
    char *out = malloc(cap);
    CHECK(out != NULL, "out of memory");
    snprintf(out, cap, "%s%s\n%s\n", note, line, dup);
    free(line);
    free(dup);
    return out;
}

/* One poisoned AddCheckpoint: from the size the hub holds now, with the
 * node's own proof, as any client can build it from public data. */
static void hammer_once(void)
{
    char *note = it_get_checkpoint(zctx, node.ipc, "", NULL);
    if (note == NULL)
        return;
    char *held = it_get_checkpoint(zctx, hub.ipc, node.origin, NULL);
    uint64_t from = held != NULL ? it_checkpoint_size(held) : 0;
    uint64_t to = it_checkpoint_size(note);
    free(held);
    gs_response pr = {0};
    if (from > 0 && from < to) {
        gs_request rq = {.op = GS_OP_GET_CONSISTENCY_PROOF, .origin = ""};
        rq.u.get_consistency_proof.old_size = from;
        rq.u.get_consistency_proof.new_size = to;
        pr = call(node.ipc, &rq);
        if (pr.code != GS_STATUS_OK) {
            gs_response_clear(&pr);
            free(note);
            return;
        }
    }
    char *bad = poison(note);
    gs_request rq = {.op = GS_OP_ADD_CHECKPOINT, .origin = ""};
    rq.u.add_checkpoint.old_size = from;
    rq.u.add_checkpoint.proof = pr.u.proof.hashes;
    rq.u.add_checkpoint.n_proof = pr.code == GS_STATUS_OK ? pr.u.proof.n : 0;
    rq.u.add_checkpoint.checkpoint = bad;
    gs_response rs = call(hub.ipc, &rq);
    if (rs.code != GS_STATUS_UNAVAILABLE)
        atomic_fetch_add(&answered, 1);
    if (rs.code == GS_STATUS_OK && rs.result == GS_RESULT_COSIGNATURE)
        atomic_fetch_add(&cosigned, 1);
    gs_response_clear(&rs);
    gs_response_clear(&pr);
    free(bad);
    free(note);
}

static void *hammer(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        hammer_once();
        it_sleep_ms(50); /* 20 requests a second, as the attacker */
    }
    return NULL;
}

/* The hub's note for the node at exactly want: log signature by the node
 * key, the hub's cosignature valid, no planted line. */
static void check_note(const char *note, uint64_t want)
{
    gs_note *n = NULL;
    gs_error err;
    int64_t ts;
    CHECK(it_checkpoint_size(note) == want, "the hub cosigned %llu, expected %llu",
          (unsigned long long)it_checkpoint_size(note), (unsigned long long)want);
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "%s", err.msg);
    CHECK(gs_note_verify(n, &node_vkey, 1, NULL, NULL, &err) == 0, "log signature: %s", err.msg);
    CHECK(gs_cosignature_verify(n, &hub_cosigner, &ts, &err) == 0,
          "the hub's cosignature on size %llu does not verify: %s", (unsigned long long)want,
          err.msg);
    gs_note_free(&n);
    /* One line under the hub's name, not two. */
    char needle[GS_MAX_ORIGIN + 8];
    snprintf(needle, sizeof needle, "\xe2\x80\x94 %s ", hub.origin);
    const char *first = strstr(note, needle);
    CHECK(first != NULL && strstr(first + 1, needle) == NULL,
          "the hub serves %s lines under its own name:\n%s", first == NULL ? "no" : "two", note);
    /* And one under the node's: the planted repeat is not served. */
    snprintf(needle, sizeof needle, "\xe2\x80\x94 %s ", node.origin);
    first = strstr(note, needle);
    CHECK(first != NULL && strstr(first + 1, needle) == NULL,
          "the hub serves %s lines under the node's name:\n%s", first == NULL ? "no" : "two", note);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: it_poison_hammer BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    zctx = zmq_ctx_new();

    it_node_init(&node, bin, "an-binh", false, NULL);
    char log_key[GS_VKEY_STR_MAX];
    it_vkey(log_key, node.origin, GS_VKEY_ALG_ED25519, &node.key.pub);
    CHECK(gs_vkey_parse(log_key, &node_vkey, &err) == 0, "%s", err.msg);
    it_node_start(&node, bin);
    it_node_wait_ready(&node, zctx);
    gs_keypair_generate(&officer);
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = officer.pub;
    st.u.appointment.name = "Nguyen Van A";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    submit(&st, &node.key, &node_seq);
    st = (gs_statement){.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = "roads";
    st.u.commitment.title = "Pave the commune roads";
    st.u.commitment.indicator = "km paved";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 12 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
    submit(&st, &officer, &officer_seq);
    it_node_wait_checkpoint(&node, zctx, size);

    /* It polls once at start and then only every ten minutes: after that,
     * the poisoned pushes are the only way it learns of a new size, so a
     * hub that choked on them would cosign nothing. */
    it_hub_init(&hub, bin, "prov", false, "[hub]\npoll_interval_ms = 600000\n");
    CHECK(gs_vkey_parse(hub.cosigner_key, &hub_cosigner, &err) == 0, "%s", err.msg);
    const char *src[] = {node.ipc};
    it_hub_follow(&hub, bin, node.origin, log_key, src, 1);
    it_hub_start(&hub, bin);
    it_hub_wait_ready(&hub, zctx);
    char *note = it_hub_wait_cosigned(zctx, hub.ipc, node.origin, size, IT_WAIT_MS, hub.log);
    check_note(note, size);
    free(note);

    pthread_t t;
    CHECK(pthread_create(&t, NULL, hammer, NULL) == 0, "pthread_create");
    for (int round = 1; round <= ROUNDS; round++) {
        long before = atomic_load(&answered);
        for (int k = 0; k < 3; k++) {
            gs_statement p = {.kind = GS_BODY_PROGRESS};
            p.u.progress.commitment_id = "roads";
            p.u.progress.value = (int64_t)(size * GS_FIXED_SCALE);
            p.u.progress.note = "monthly count";
            submit(&p, &officer, &officer_seq);
        }
        it_node_wait_checkpoint(&node, zctx, size);
        for (int64_t end = it_now_ms() + IT_WAIT_MS; atomic_load(&answered) < before + 3;) {
            CHECK(it_now_ms() < end, "the hub stopped answering AddCheckpoint (round %d)", round);
            it_sleep_ms(20);
        }
        note = it_hub_wait_cosigned(zctx, hub.ipc, node.origin, size, IT_WAIT_MS, hub.log);
        check_note(note, size);
        free(note);
        printf("ok %d - size %llu cosigned while %ld poisoned AddCheckpoints were answered\n",
               round, (unsigned long long)size, atomic_load(&answered));
    }
    atomic_store(&stop, true);
    pthread_join(t, NULL);

    gs_buf *items = NULL;
    size_t n = 0;
    CHECK(it_get_evidence(zctx, hub.ipc, node.origin, &items, &n) == GS_STATUS_OK,
          "GetEvidence failed");
    for (size_t k = 0; k < n; k++)
        gs_buf_free(&items[k]);
    free(items);
    CHECK(n == 0, "the hub recorded %zu evidence against the honest node; see %s", n, hub.log);
    printf("ok %d - no evidence against the node; %ld poisoned requests answered, %ld of them "
           "with the hub's own cosignature\n",
           ROUNDS + 1, atomic_load(&answered), atomic_load(&cosigned));
    it_hub_stop(&hub, SIGTERM);
    it_node_stop(&node, SIGTERM);
    zmq_ctx_term(zctx);
    it_cleanup();
    return 0;
}
