/* test_ingest.c — the one ingestion pipeline, over REAL stores (gs_store +
 * gs_log in a temporary folder) and statements signed with real keys.
 *
 * What it must guarantee, each shown here:
 * - a statement may reference one accepted earlier in the same push (a
 *   Finding and the Response to it sent back to back): the node's batch and
 *   a replay of the log it wrote reach the same verdicts;
 * - submission mode drops a refused entry and judges the next at the same
 *   index; history mode breaks at the first refusal, keeps hashing what
 *   follows (the root is the root of what was served) and judges no more;
 * - a spoiled signature is [bad-signature], bytes that do not decode are
 *   [malformed];
 * - staging: what the pipeline keeps is staged in the caller's transaction
 *   and the store's root equals the pipeline's;
 * - a clone is independent of its source.
 * Expected roots are computed here from the entry bytes with libsodium's
 * SHA-256, never taken from the code under test. */
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

#include "ingest.h"

#define ORIGIN "giamsat/commune/an-binh"
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static char tmpdir[256];
static gs_keypair node_kp, head_kp, inspector_kp, citizen_kp;

static void seed_key(gs_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

static gs_buf sign(gs_statement *st, const gs_keypair *kp, uint64_t seq)
{
    gs_buf out = {0};
    gs_error err = {0};
    st->signer = kp->pub;
    st->seq = seq;
    st->origin = ORIGIN;
    if (st->issued_at == 0)
        st->issued_at = T0 + (int64_t)seq * 60;
    if (gs_wire_sign_statement(st, kp, &out, &err) != 0)
        fail_msg("signing a statement: %s", err.msg);
    return out;
}

static gs_buf charter(void)
{
    gs_statement st = {.kind = GS_BODY_CHARTER};
    st.u.charter.unit = "an-binh";
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xa An Binh";
    return sign(&st, &node_kp, 1);
}

static gs_buf appoint(uint64_t seq, const gs_keypair *person, gs_role role, const char *name)
{
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = person->pub;
    st.u.appointment.name = name;
    st.u.appointment.role = role;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    return sign(&st, &node_kp, seq);
}

static gs_ref ref_to(uint64_t index, const gs_buf *entry)
{
    gs_ref r = {.origin = ORIGIN, .index = index};
    gs_merkle_leaf_hash(gs_bytes_of(entry->p, entry->n), &r.leaf_hash);
    return r;
}

static gs_buf finding(uint64_t seq, gs_ref about)
{
    gs_statement st = {.kind = GS_BODY_FINDING};
    st.u.finding.about = about;
    st.u.finding.severity = GS_SEVERITY_HIGH;
    st.u.finding.text = "the register was not kept";
    return sign(&st, &inspector_kp, seq);
}

static gs_buf response(uint64_t seq, gs_ref to)
{
    gs_statement st = {.kind = GS_BODY_RESPONSE};
    st.u.response.to = to;
    st.u.response.text = "it is kept from today";
    return sign(&st, &head_kp, seq);
}

static gs_buf feedback(uint64_t seq)
{
    gs_statement st = {.kind = GS_BODY_FEEDBACK};
    st.u.feedback.text = "the road is broken";
    return sign(&st, &citizen_kp, seq);
}

/* ---- an independent RFC 6962 root ---------------------------------------- */

static void leaf_of(const gs_buf *e, uint8_t out[32])
{
    crypto_hash_sha256_state s;
    uint8_t zero = 0;
    crypto_hash_sha256_init(&s);
    crypto_hash_sha256_update(&s, &zero, 1);
    crypto_hash_sha256_update(&s, e->p, e->n);
    crypto_hash_sha256_final(&s, out);
}

/* MTH(D[0:n]) by RFC 6962 §2.1's recursion: split at the largest power of
 * two below n. */
static void mth(uint8_t (*leaves)[32], size_t n, uint8_t out[32])
{
    if (n == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    if (n == 1) {
        memcpy(out, leaves[0], 32);
        return;
    }
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t buf[65];
    buf[0] = 1;
    mth(leaves, k, buf + 1);
    mth(leaves + k, n - k, buf + 33);
    crypto_hash_sha256(out, buf, sizeof buf);
}

static void expect_root(const gs_ingest *in, const gs_buf *entries, size_t n)
{
    uint8_t(*leaves)[32] = calloc(n ? n : 1, 32);
    uint8_t want[32];
    gs_hash got;
    assert_non_null(leaves);
    for (size_t i = 0; i < n; i++)
        leaf_of(&entries[i], leaves[i]);
    mth(leaves, n, want);
    gs_ingest_root(in, &got);
    assert_memory_equal(got.b, want, 32);
    free(leaves);
}

/* ---- fixtures ---------------------------------------------------------------- */

typedef struct {
    gs_store *store;
    gs_log *log;
} db;

static void db_open(db *d, const char *file)
{
    char path[400];
    gs_error err = {0};
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    unlink(path);
    if (gs_store_open(&d->store, path, &err) != 0 ||
        gs_log_open(&d->log, d->store, ORIGIN, true, &err) != 0)
        fail_msg("opening %s: %s", path, err.msg);
}

static void db_close(db *d)
{
    gs_log_close(&d->log);
    gs_store_close(&d->store);
}

static gs_ingest *new_ingest(gs_log *lookup)
{
    gs_ingest *in = NULL;
    gs_error err = {0};
    gs_ingest_config c = {.entry_at = lookup ? gs_ingest_log_entry_at : NULL, .entry_ctx = lookup};
    if (gs_ingest_new(&in, ORIGIN, &c, &err) != 0)
        fail_msg("gs_ingest_new: %s", err.msg);
    return in;
}

static void push(gs_ingest *in, gs_ingest_mode mode, gs_buf *e, size_t n, gs_ingest_verdict *v)
{
    gs_bytes b[16];
    gs_error err = {0};
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        b[i] = gs_bytes_of(e[i].p, e[i].n);
    if (gs_ingest_push(in, mode, b, n, T0 + 3600, v, &err) != 0)
        fail_msg("gs_ingest_push: %s", err.msg);
}

/* The opening of the log every test uses: Charter, head, inspector. */
enum { N_OPENING = 3 };
static void opening(gs_buf *e)
{
    e[0] = charter();
    e[1] = appoint(2, &head_kp, GS_ROLE_HEAD, "Nguyen Van A");
    e[2] = appoint(3, &inspector_kp, GS_ROLE_INSPECTOR, "Tran Thi B");
}

static void free_all(gs_buf *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&e[i]);
}

/* ---- tests ------------------------------------------------------------------ */

/* The node's batch: a Finding about an entry already in the store and the
 * head's Response to that Finding, in ONE push staged into one transaction.
 * Both accepted; then a history replay of the store agrees entry by entry. */
static void test_reference_inside_one_push(void **state)
{
    (void)state;
    db d;
    gs_error err = {0};
    gs_buf e[5];
    gs_ingest_verdict v[5];
    db_open(&d, "batch.db");
    gs_ingest *in = new_ingest(d.log);
    opening(e);
    gs_ingest_set_stage(in, d.log);
    assert_int_equal(gs_store_begin(d.store, &err), 0);
    push(in, GS_INGEST_SUBMISSION, e, N_OPENING, v);
    assert_int_equal(gs_store_commit(d.store, &err), 0);

    e[3] = finding(1, ref_to(1, &e[1]));
    e[4] = response(1, ref_to(3, &e[3]));
    assert_int_equal(gs_store_begin(d.store, &err), 0);
    push(in, GS_INGEST_SUBMISSION, e + 3, 2, v + 3);
    assert_int_equal(gs_store_commit(d.store, &err), 0);
    for (size_t i = 0; i < 5; i++) {
        if (!v[i].accepted)
            fail_msg("entry %zu refused: %s", i, v[i].message);
        assert_int_equal(v[i].index, i);
    }
    assert_int_equal(gs_log_committed_size(d.log), 5);
    expect_root(in, e, 5);
    gs_hash store_root;
    gs_log_root(d.log, &store_root);
    gs_hash mine;
    gs_ingest_root(in, &mine);
    assert_memory_equal(store_root.b, mine.b, 32);

    /* The same bytes replayed from the store, as a hub or the node at
     * start-up would: the same verdicts, the same roster. */
    gs_ingest *again = new_ingest(d.log);
    gs_ingest_verdict bad;
    assert_int_equal(gs_ingest_replay_log(again, d.log, 5, false, &bad, &err), 0);
    assert_false(bad.judged);
    assert_int_equal(gs_ingest_size(again), 5);
    assert_int_equal(gs_rules_size(gs_ingest_rules(again)), 5);
    assert_int_equal(gs_rules_member_count(gs_ingest_rules(again)),
                     gs_rules_member_count(gs_ingest_rules(in)));

    /* Without the lookup of the same push the Response could not be judged:
     * a pipeline with no store lookup still accepts it within one push. */
    gs_ingest *bare = new_ingest(NULL);
    gs_ingest_verdict w[5];
    push(bare, GS_INGEST_HISTORY, e, 5, w);
    for (size_t i = 0; i < 5; i++)
        assert_true(w[i].accepted);
    /* ...but not across pushes, where only the caller's entry_at can see. */
    gs_ingest *split = new_ingest(NULL);
    push(split, GS_INGEST_HISTORY, e, 4, w);
    push(split, GS_INGEST_HISTORY, e + 4, 1, w + 4);
    assert_false(w[4].accepted);
    assert_int_equal(w[4].reason, GS_RULE_ENTRY_UNAVAILABLE);

    gs_ingest_free(&split);
    gs_ingest_free(&bare);
    gs_ingest_free(&again);
    gs_ingest_free(&in);
    free_all(e, 5);
    db_close(&d);
}

/* Submission drops a refusal and judges the next entry at the same index;
 * history breaks, keeps hashing, judges nothing more. */
static void test_modes(void **state)
{
    (void)state;
    gs_buf e[6];
    gs_ingest_verdict v[6];
    opening(e);
    e[3] = feedback(1);
    e[4] = feedback(1); /* replayed seq */
    e[5] = feedback(2);

    gs_ingest *sub = new_ingest(NULL);
    push(sub, GS_INGEST_SUBMISSION, e, 6, v);
    assert_true(v[3].accepted);
    assert_false(v[4].accepted);
    assert_true(v[4].judged);
    assert_int_equal(v[4].reason, GS_RULE_REPLAYED_SEQ);
    assert_int_equal(v[4].code, GS_ECONFLICT);
    assert_true(v[5].accepted);
    assert_int_equal(v[5].index, 4); /* the refused entry took no index */
    assert_int_equal(gs_ingest_size(sub), 5);
    gs_buf kept[5] = {e[0], e[1], e[2], e[3], e[5]};
    expect_root(sub, kept, 5);
    assert_false(gs_ingest_broken(sub));

    gs_ingest *hist = new_ingest(NULL);
    push(hist, GS_INGEST_HISTORY, e, 6, v);
    assert_true(v[3].accepted);
    assert_int_equal(v[4].reason, GS_RULE_REPLAYED_SEQ);
    assert_false(v[5].judged); /* after the break */
    assert_false(v[5].accepted);
    assert_true(v[5].opened);
    assert_int_equal(v[5].index, 5);
    assert_true(gs_ingest_broken(hist));
    assert_int_equal(gs_ingest_size(hist), 6);
    assert_int_equal(gs_rules_size(gs_ingest_rules(hist)), 4);
    expect_root(hist, e, 6);
    /* A broken history accepts no submission. */
    gs_buf more = feedback(3);
    push(hist, GS_INGEST_SUBMISSION, &more, 1, v);
    assert_false(v[0].accepted);
    assert_true(v[0].judged);

    gs_buf_free(&more);
    gs_ingest_free(&hist);
    gs_ingest_free(&sub);
    free_all(e, 6);
}

/* Spoiled bytes: [bad-signature] for a signature that does not verify,
 * [malformed] for bytes that do not decode; trusted stores skip the check. */
static void test_bad_bytes(void **state)
{
    (void)state;
    gs_buf e[5];
    gs_ingest_verdict v[5];
    opening(e);
    e[3] = feedback(1);
    e[3].p[e[3].n - 1] ^= 0x01; /* inside the signature */
    e[4] = (gs_buf){malloc(3), 3};
    memcpy(e[4].p, "\xff\xff\xff", 3);

    gs_ingest *a = new_ingest(NULL);
    push(a, GS_INGEST_SUBMISSION, e, 5, v);
    assert_false(v[3].accepted);
    assert_int_equal(v[3].reason, GS_RULE_BAD_SIGNATURE);
    assert_int_equal(v[3].code, GS_EVERIFY);
    assert_false(v[3].opened);
    assert_false(v[4].accepted);
    assert_int_equal(v[4].reason, GS_RULE_MALFORMED);
    char text[600];
    gs_ingest_verdict_text(&v[3], text, sizeof text);
    assert_non_null(strstr(text, "bad-signature: "));

    /* A daemon's own store was verified when its entries came in: a trusted
     * replay decodes only; an untrusted one verifies; and after a trusted
     * replay, what is pushed is verified again (a hub's sync clones the
     * pipeline it replayed its replica with). */
    db d;
    gs_error err = {0};
    gs_ingest_verdict bad;
    db_open(&d, "spoiled.db");
    gs_bytes b[4];
    for (size_t i = 0; i < 4; i++)
        b[i] = gs_bytes_of(e[i].p, e[i].n);
    assert_int_equal(gs_log_append(d.log, b, 4, NULL, &err), 0);
    gs_ingest *t = new_ingest(d.log);
    assert_int_equal(gs_ingest_replay_log(t, d.log, 4, true, &bad, &err), 0);
    assert_false(bad.judged);
    assert_int_equal(gs_rules_size(gs_ingest_rules(t)), 4);
    gs_ingest *u = new_ingest(d.log);
    assert_int_equal(gs_ingest_replay_log(u, d.log, 4, false, &bad, &err), 0);
    assert_true(bad.judged);
    assert_int_equal(bad.index, 3);
    assert_int_equal(bad.reason, GS_RULE_BAD_SIGNATURE);
    gs_ingest *c = NULL;
    assert_int_equal(gs_ingest_clone(&c, t, &err), 0);
    gs_buf spoiled = feedback(2);
    spoiled.p[spoiled.n - 1] ^= 0x01;
    push(c, GS_INGEST_HISTORY, &spoiled, 1, v);
    assert_int_equal(v[0].reason, GS_RULE_BAD_SIGNATURE);
    push(t, GS_INGEST_SUBMISSION, &spoiled, 1, v);
    assert_int_equal(v[0].reason, GS_RULE_BAD_SIGNATURE);

    gs_buf_free(&spoiled);
    gs_ingest_free(&c);
    gs_ingest_free(&u);
    gs_ingest_free(&t);
    db_close(&d);
    gs_ingest_free(&a);
    free_all(e, 5);
}

/* A clone goes its own way: a sync that fails drops it, the source stays. */
static void test_clone(void **state)
{
    (void)state;
    gs_buf e[5];
    gs_ingest_verdict v[5];
    gs_error err = {0};
    opening(e);
    e[3] = feedback(1);
    e[4] = feedback(2);
    gs_ingest *in = new_ingest(NULL);
    push(in, GS_INGEST_HISTORY, e, 3, v);
    gs_ingest *c = NULL;
    assert_int_equal(gs_ingest_clone(&c, in, &err), 0);
    push(c, GS_INGEST_HISTORY, e + 3, 2, v);
    assert_true(v[0].accepted && v[1].accepted);
    assert_int_equal(gs_ingest_size(c), 5);
    assert_int_equal(gs_ingest_size(in), 3);
    expect_root(in, e, 3);
    expect_root(c, e, 5);
    assert_int_equal(gs_ingest_reset(c, &err), 0);
    assert_int_equal(gs_ingest_size(c), 0);
    gs_ingest_free(&c);
    gs_ingest_free(&in);
    free_all(e, 5);
}

/* A node opens submissions while their group commit gathers
 * (gs_ingest_open), some on the pool, some not at all before the push:
 * the verdicts and the root are those of pushing the same bytes, spoiled
 * signature, malformed bytes and replayed seq included. */
static void test_opened_ahead(void **state)
{
    (void)state;
    enum { N = 8 };
    gs_buf e[N];
    gs_ingest_verdict v[N], w[N];
    gs_error err = {0};
    opening(e);
    e[3] = feedback(1);
    e[4] = feedback(2);
    e[4].p[e[4].n - 1] ^= 0x01; /* inside the signature */
    e[5] = (gs_buf){malloc(3), 3};
    memcpy(e[5].p, "\xff\xff\xff", 3);
    e[6] = feedback(1); /* replayed seq */
    e[7] = feedback(3);

    gs_ingest *bytes = new_ingest(NULL);
    push(bytes, GS_INGEST_SUBMISSION, e, N, v);

    gs_pool *pool = NULL;
    assert_int_equal(gs_pool_new(&pool, 1, &err), 0);
    gs_ingest_opening o[N];
    memset(o, 0, sizeof o);
    for (size_t i = 0; i < N; i++)
        o[i].entry = gs_bytes_of(e[i].p, e[i].n);
    gs_ingest_open(pool, o, 3);     /* the first three on the pool */
    gs_ingest_open(NULL, o + 4, 2); /* the spoiled two in this thread */
    assert_true(o[0].opened && o[4].opened && o[5].opened);
    assert_false(o[3].opened || o[6].opened);
    assert_int_equal(o[4].rc, GS_EVERIFY);
    gs_ingest *ahead = new_ingest(NULL);
    assert_int_equal(gs_ingest_push_opened(ahead, GS_INGEST_SUBMISSION, o, N, T0 + 3600, w, &err),
                     0);
    for (size_t i = 0; i < N; i++) {
        assert_true(o[i].opened);
        assert_int_equal(w[i].accepted, v[i].accepted);
        assert_int_equal(w[i].judged, v[i].judged);
        assert_int_equal(w[i].code, v[i].code);
        assert_int_equal(w[i].reason, v[i].reason);
        assert_int_equal(w[i].index, v[i].index);
        assert_int_equal(w[i].opened, v[i].opened);
        assert_memory_equal(w[i].leaf.b, v[i].leaf.b, 32);
        assert_string_equal(w[i].message, v[i].message);
    }
    assert_false(v[4].accepted);
    assert_int_equal(v[4].reason, GS_RULE_BAD_SIGNATURE);
    assert_int_equal(v[5].reason, GS_RULE_MALFORMED);
    assert_int_equal(v[6].reason, GS_RULE_REPLAYED_SEQ);
    assert_true(v[7].accepted);
    gs_hash a, b;
    gs_ingest_root(bytes, &a);
    gs_ingest_root(ahead, &b);
    assert_memory_equal(a.b, b.b, 32);
    assert_int_equal(gs_ingest_size(ahead), 5);

    for (size_t i = 0; i < N; i++) {
        gs_ingest_opening_clear(&o[i]);
        assert_false(o[i].opened);
    }
    gs_ingest_free(&ahead);
    gs_ingest_free(&bytes);
    gs_pool_free(&pool);
    free_all(e, N);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/gs-test-ingest-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    if (sodium_init() < 0)
        return -1;
    seed_key(&node_kp, 1);
    seed_key(&head_kp, 2);
    seed_key(&inspector_kp, 3);
    seed_key(&citizen_kp, 4);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_inside_one_push),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_opened_ahead),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
