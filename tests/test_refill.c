/* test_refill.c — common/refill: a log behind its signed history refills
 * from a source only what the log's own key signed, entry by entry checked.
 *
 * A source is played by this test: a ROUTER on inproc:// answering with
 * common/serve from a log of its choosing, and a checkpoint of its choosing.
 *   - honest: the marker says 10, the local log holds 3; chunks of 3 entries
 *     are each proven a prefix of the signed root (consistency proofs), the
 *     last one reproduces it; the log, its root and its checkpoint are the
 *     source's, and the marker is not lowered;
 *   - tampered entries under the true checkpoint, from a source that holds
 *     the true tree (its proofs are true) but alters entries from 7 on: the
 *     chunk before the tampered entry is stored (it is a proven prefix), the
 *     one holding it is refused: the log stops at 6 entries, every one of
 *     them true, and the refill is STUCK (writes held);
 *   - the same entries with the tampered tree's own proofs: nothing is a
 *     proven prefix of the signed root, nothing is stored;
 *   - a checkpoint of the tampered log signed by another key for the same
 *     origin: never a target; nothing is fetched, the refill is STUCK;
 *   - a marker that does not verify stops the daemon from starting. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "ingest.h"
#include "refill.h"
#include "serve.h"

#define ORIGIN "giamsat/commune/an-binh"
#define T0 1767225600
#define N 10
#define LOCAL 3
#define TAMPERED_FROM 7

static char tmpdir[256];
static gs_keypair node_kp, other_kp;
static void *zctx;

static gs_buf sign(gs_statement *st, const gs_keypair *kp, uint64_t seq)
{
    gs_buf out = {0};
    gs_error err = {0};
    st->signer = kp->pub;
    st->seq = seq;
    st->origin = ORIGIN;
    st->issued_at = T0 + (int64_t)seq * 60;
    if (gs_wire_sign_statement(st, kp, &out, &err) != 0)
        fail_msg("signing a statement: %s", err.msg);
    return out;
}

/* Entry i of the true log (tampered: another text from TAMPERED_FROM on). */
static gs_buf entry(size_t i, bool tampered)
{
    if (i == 0) {
        gs_statement st = {.kind = GS_BODY_CHARTER};
        st.u.charter.unit = "an-binh";
        st.u.charter.tier = GS_TIER_COMMUNE;
        st.u.charter.display_name = "Xa An Binh";
        return sign(&st, &node_kp, 1);
    }
    uint8_t seed[32];
    gs_keypair citizen;
    memset(seed, (int)(10 + i), sizeof seed);
    gs_keypair_from_seed(&citizen, seed);
    gs_statement st = {.kind = GS_BODY_FEEDBACK};
    st.u.feedback.text = tampered && i >= TAMPERED_FROM ? "all is well" : "the road is broken";
    return sign(&st, &citizen, 1);
}

typedef struct {
    gs_store *store;
    gs_log *log;
} db;

static void db_make(db *d, const char *file, size_t n, bool tampered)
{
    char path[400];
    gs_error err = {0};
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    unlink(path);
    if (gs_store_open(&d->store, path, &err) != 0 ||
        gs_log_open(&d->log, d->store, ORIGIN, true, &err) != 0)
        fail_msg("opening %s: %s", path, err.msg);
    for (size_t i = 0; i < n; i++) {
        gs_buf e = entry(i, tampered);
        gs_bytes b = gs_bytes_of(e.p, e.n);
        if (gs_log_append(d->log, &b, 1, NULL, &err) != 0)
            fail_msg("append: %s", err.msg);
        gs_buf_free(&e);
    }
}

static void db_close(db *d)
{
    gs_log_close(&d->log);
    gs_store_close(&d->store);
}

static char *signed_note(db *d, const gs_keypair *kp)
{
    char *note = NULL;
    gs_error err = {0};
    if (gs_log_sign_checkpoint(d->log, kp, &note, &err) != 0)
        fail_msg("sign: %s", err.msg);
    return note;
}

/* Answers every request waiting on the ROUTER from src; proofs from
 * prover when not NULL (a source that holds the true tree but alters some
 * entries it serves). */
static void serve_pending(void *router, const gs_serve_log *src, const gs_serve_log *prover)
{
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            return;
        }
        assert_true(zmq_msg_recv(&body, router, 0) >= 0);
        gs_request rq = {0};
        gs_error err = {0};
        assert_int_equal(
            gs_wire_decode_request(gs_bytes_of(zmq_msg_data(&body), zmq_msg_size(&body)),
                                   GS_MAX_MESSAGE, &rq, &err),
            0);
        gs_serve_reply reply;
        const gs_serve_log *from =
            prover != NULL && rq.op == GS_OP_GET_CONSISTENCY_PROOF ? prover : src;
        assert_int_equal(gs_serve_read(from, &rq, &reply, &err), 0);
        gs_buf out = {0};
        assert_int_equal(gs_wire_encode_response(&reply.rs, &out, &err), 0);
        zmq_msg_send(&id, router, ZMQ_SNDMORE);
        assert_true(zmq_send(router, out.p, out.n, 0) >= 0);
        gs_buf_free(&out);
        gs_serve_reply_clear(&reply);
        gs_request_clear(&rq);
        zmq_msg_close(&body);
    }
}

typedef struct {
    db local;
    gs_ingest *ingest;
    gs_refill *refill;
    void *router;
    gs_vkey source_key;
    gs_refill_source source;
    char endpoint[64];
    char marker[400];
} fixture;

/* A local log of LOCAL true entries, its pipeline, and a refill whose one
 * source is this test's ROUTER. */
static void fixture_open(fixture *f, const char *name, const char *marker_note)
{
    static int seq;
    gs_error err = {0};
    char file[64];
    snprintf(file, sizeof file, "%s.db", name);
    db_make(&f->local, file, LOCAL, false);
    gs_ingest_config ic = {.entry_at = gs_ingest_log_entry_at, .entry_ctx = f->local.log};
    gs_ingest_verdict bad;
    if (gs_ingest_new(&f->ingest, ORIGIN, &ic, &err) != 0 ||
        gs_ingest_replay_log(f->ingest, f->local.log, LOCAL, false, &bad, &err) != 0)
        fail_msg("pipeline: %s", err.msg);
    snprintf(f->endpoint, sizeof f->endpoint, "inproc://refill-%d", ++seq);
    f->router = zmq_socket(zctx, ZMQ_ROUTER);
    assert_int_equal(zmq_bind(f->router, f->endpoint), 0);
    assert_int_equal(
        gs_vkey_make(&f->source_key, "giamsat/hub/test", GS_VKEY_ALG_ED25519, &other_kp.pub, &err),
        0);
    f->source = (gs_refill_source){.endpoint = f->endpoint, .key = &f->source_key};
    snprintf(f->marker, sizeof f->marker, "%s/%s.signed-checkpoint", tmpdir, name);
    unlink(f->marker);
    if (marker_note != NULL)
        assert_int_equal(gs_refill_marker_write(f->marker, marker_note, &err), 0);
    gs_refill_config rc = {
        .zctx = zctx,
        .store = f->local.store,
        .log = f->local.log,
        .ingest = &f->ingest,
        .log_key = &node_kp.pub,
        .sources = &f->source,
        .n_sources = 1,
        .max_message = GS_MAX_MESSAGE,
        .marker_path = f->marker,
        .chunk_entries = 3,
    };
    if (gs_refill_new(&f->refill, &rc, &err) != 0)
        fail_msg("gs_refill_new: %s", err.msg);
}

static void fixture_close(fixture *f)
{
    gs_refill_free(&f->refill);
    gs_ingest_free(&f->ingest);
    zmq_close(f->router);
    db_close(&f->local);
}

static int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Steps the refill and the source until the refill is IDLE or STUCK. */
static gs_refill_phase run(fixture *f, const gs_serve_log *src, const gs_serve_log *prover,
                           bool *warned)
{
    int64_t end = clock_ms() + 120000;
    *warned = false;
    while (clock_ms() < end) {
        long next;
        gs_error err = {0};
        gs_refill_event ev = gs_refill_step(f->refill, clock_ms(), &next, &err);
        if (ev == GS_REFILL_WARN || ev == GS_REFILL_STUCK_EV)
            *warned = true;
        gs_refill_phase p = gs_refill_phase_of(f->refill);
        if (p == GS_REFILL_IDLE || p == GS_REFILL_STUCK)
            return p;
        zmq_pollitem_t it = {.socket = f->router, .events = ZMQ_POLLIN};
        zmq_poll(&it, 1, 20);
        serve_pending(f->router, src, prover);
    }
    fail_msg("the refill did not settle within 120 s");
    return GS_REFILL_IDLE; /* not reached */
}

static void test_honest(void **state)
{
    (void)state;
    db full;
    db_make(&full, "honest-src.db", N, false);
    char *note = signed_note(&full, &node_kp);
    fixture f;
    fixture_open(&f, "honest", note);
    /* The marker alone says the log went back: held from the start. */
    assert_true(gs_refill_holding(f.refill));
    assert_non_null(strstr(gs_refill_status(f.refill),
                           "refilling: log is behind its signed checkpoint 10 (restored backup or "
                           "lost WAL?)"));
    gs_serve_log src = {
        .log = full.log, .limit = N, .default_size = N, .budget = 1 << 20, .server = "test"};
    bool warned;
    assert_int_equal(run(&f, &src, NULL, &warned), GS_REFILL_IDLE);
    assert_false(warned);
    assert_int_equal(gs_log_committed_size(f.local.log), N);
    gs_hash a, b;
    gs_log_root(f.local.log, &a);
    gs_log_root(full.log, &b);
    assert_memory_equal(a.b, b.b, 32);
    assert_int_equal(gs_ingest_size(f.ingest), N);
    char *held = NULL;
    uint64_t size = 0;
    gs_error err = {0};
    assert_int_equal(gs_log_latest_checkpoint(f.local.log, &held, &size, &err), 0);
    assert_int_equal(size, N);
    free(held);
    /* The marker still says 10. */
    assert_int_equal(gs_refill_marker_read(f.marker, ORIGIN, &node_kp.pub, &size, NULL, &err), 0);
    assert_int_equal(size, N);
    fixture_close(&f);
    free(note);
    db_close(&full);
}

static void test_tampered_entries(void **state)
{
    (void)state;
    db full, bad;
    db_make(&full, "tamper-true.db", N, false);
    db_make(&bad, "tamper-bad.db", N, true);
    char *note = signed_note(&full, &node_kp); /* the true checkpoint */
    fixture f;
    fixture_open(&f, "tamper", NULL);
    gs_refill_behind(f.refill, N, "a test", clock_ms());
    assert_true(gs_refill_holding(f.refill));
    gs_serve_log src = {.log = bad.log,
                        .limit = N,
                        .default_size = N,
                        .checkpoint = note,
                        .budget = 1 << 20,
                        .server = "test"};
    gs_serve_log prover = src;
    prover.log = full.log;
    bool warned;
    assert_int_equal(run(&f, &src, &prover, &warned), GS_REFILL_STUCK);
    assert_true(warned);
    assert_true(gs_refill_holding(f.refill));
    /* [3,6) is a proven prefix of the signed log and was kept; the chunk
     * holding entry 7 was refused. */
    assert_int_equal(gs_log_committed_size(f.local.log), 6);
    assert_int_equal(gs_ingest_size(f.ingest), 6);
    for (uint64_t i = 0; i < 6; i++) {
        gs_hash x, y;
        gs_error err = {0};
        assert_int_equal(gs_log_leaf_hash(f.local.log, i, &x, &err), 0);
        assert_int_equal(gs_log_leaf_hash(full.log, i, &y, &err), 0);
        assert_memory_equal(x.b, y.b, 32);
    }
    fixture_close(&f);
    free(note);
    db_close(&bad);
    db_close(&full);
}

static void test_tampered_tree(void **state)
{
    (void)state;
    db full, bad;
    db_make(&full, "tree-true.db", N, false);
    db_make(&bad, "tree-bad.db", N, true);
    char *note = signed_note(&full, &node_kp);
    fixture f;
    fixture_open(&f, "tree", NULL);
    gs_refill_behind(f.refill, N, "a test", clock_ms());
    gs_serve_log src = {.log = bad.log,
                        .limit = N,
                        .default_size = N,
                        .checkpoint = note,
                        .budget = 1 << 20,
                        .server = "test"};
    bool warned;
    assert_int_equal(run(&f, &src, NULL, &warned), GS_REFILL_STUCK);
    assert_int_equal(gs_log_committed_size(f.local.log), LOCAL);
    fixture_close(&f);
    free(note);
    db_close(&bad);
    db_close(&full);
}

static void test_other_key(void **state)
{
    (void)state;
    db bad;
    db_make(&bad, "other-bad.db", N, true);
    char *note = signed_note(&bad, &other_kp); /* the right origin, another key */
    fixture f;
    fixture_open(&f, "other", NULL);
    gs_refill_behind(f.refill, N, "a test", clock_ms());
    gs_serve_log src = {.log = bad.log,
                        .limit = N,
                        .default_size = N,
                        .checkpoint = note,
                        .budget = 1 << 20,
                        .server = "test"};
    bool warned;
    assert_int_equal(run(&f, &src, NULL, &warned), GS_REFILL_STUCK);
    assert_int_equal(gs_log_committed_size(f.local.log), LOCAL);
    assert_non_null(strstr(gs_refill_status(f.refill), "operator must act"));
    fixture_close(&f);
    free(note);
    db_close(&bad);
}

static void test_bad_marker(void **state)
{
    (void)state;
    db bad;
    db_make(&bad, "marker-bad.db", N, true);
    char *note = signed_note(&bad, &other_kp);
    char path[400];
    gs_error err = {0};
    snprintf(path, sizeof path, "%s/bad.signed-checkpoint", tmpdir);
    assert_int_equal(gs_refill_marker_write(path, note, &err), 0);
    uint64_t size = 0;
    assert_int_equal(gs_refill_marker_read(path, ORIGIN, &node_kp.pub, &size, NULL, &err),
                     GS_ECORRUPT);
    assert_non_null(strstr(err.msg, "does not hold a checkpoint signed by this log's key"));
    /* No marker at all is a fresh folder, not an error. */
    snprintf(path, sizeof path, "%s/none.signed-checkpoint", tmpdir);
    assert_int_equal(gs_refill_marker_read(path, ORIGIN, &node_kp.pub, &size, NULL, &err), 0);
    assert_int_equal(size, 0);
    /* A daemon whose marker names more than its log holds, but not under
     * its key, does not start: it cannot tell what it signed. */
    db local;
    db_make(&local, "marker-local.db", LOCAL, false);
    gs_ingest *in = NULL;
    gs_ingest_config ic = {0};
    assert_int_equal(gs_ingest_new(&in, ORIGIN, &ic, &err), 0);
    snprintf(path, sizeof path, "%s/bad.signed-checkpoint", tmpdir);
    gs_refill_config rc = {.zctx = zctx,
                           .store = local.store,
                           .log = local.log,
                           .ingest = &in,
                           .log_key = &node_kp.pub,
                           .max_message = GS_MAX_MESSAGE,
                           .marker_path = path};
    gs_refill *r = NULL;
    assert_int_equal(gs_refill_new(&r, &rc, &err), GS_ECORRUPT);
    assert_null(r);
    gs_ingest_free(&in);
    db_close(&local);
    char *p = gs_refill_marker_path("/srv/x/node.db");
    assert_string_equal(p, "/srv/x/node.signed-checkpoint");
    free(p);
    free(note);
    db_close(&bad);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/gs-test-refill-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmpdir) == NULL || sodium_init() < 0)
        return -1;
    uint8_t seed[32];
    memset(seed, 1, sizeof seed);
    gs_keypair_from_seed(&node_kp, seed);
    memset(seed, 2, sizeof seed);
    gs_keypair_from_seed(&other_kp, seed);
    zctx = zmq_ctx_new();
    if (zctx != NULL)
        zmq_ctx_set(zctx, ZMQ_BLOCKY, 0); /* no linger: teardown never waits */
    return zctx != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    zmq_ctx_term(zctx);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_honest),        cmocka_unit_test(test_tampered_entries),
        cmocka_unit_test(test_tampered_tree), cmocka_unit_test(test_other_key),
        cmocka_unit_test(test_bad_marker),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
