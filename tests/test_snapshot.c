/* test_snapshot.c — rule-state snapshots (rules.h "snapshots", ingest.h
 * "rule-state snapshots"), over real stores and statements signed with real
 * keys.
 *
 * What must hold, each shown here:
 * - a state written and read back writes the same bytes, answers every query
 *   the same, and judges the next statements exactly as the original (a
 *   rich history: roster, rotations of a member's key and of the log key,
 *   commitments, revisions, outcomes, findings, responses, feedback);
 * - bytes cut short anywhere, or any one byte flipped, never crash the
 *   reader: they are refused (GS_ECORRUPT) or read as some state;
 * - the history of log keys is the key chain's;
 * - a snapshot saved by the pipeline is loaded from the store and the rest
 *   replayed gives the full replay's state byte for byte; one sealed with
 *   another key, bound to another root, or holding another log's state is
 *   ignored (said), and the older one or none is used. */
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
static gs_keypair node_kp, node2_kp, head_kp, head2_kp, officer_kp, inspector_kp, citizen_kp;

static void seed_key(gs_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

static gs_buf sign_at(gs_statement *st, const gs_keypair *kp, uint64_t seq, int64_t at)
{
    gs_buf out = {0};
    gs_error err = {0};
    st->signer = kp->pub;
    st->seq = seq;
    st->origin = ORIGIN;
    st->issued_at = at;
    if (gs_wire_sign_statement(st, kp, &out, &err) != 0)
        fail_msg("signing a statement: %s", err.msg);
    return out;
}

/* The history: entries[0..n) of one log, each valid in order. */
static gs_buf entries[64];
static size_t n_entries;

static void add(gs_statement *st, const gs_keypair *kp, uint64_t seq)
{
    entries[n_entries] = sign_at(st, kp, seq, T0 + (int64_t)n_entries * 3600);
    n_entries++;
}

static gs_ref ref_to(size_t index)
{
    gs_ref r = {.origin = ORIGIN, .index = index};
    gs_merkle_leaf_hash(gs_bytes_of(entries[index].p, entries[index].n), &r.leaf_hash);
    return r;
}

static void build_history(void)
{
    gs_statement st;
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_CHARTER;
    st.u.charter.unit = "an-binh";
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xa An Binh";
    st.u.charter.parameters.open_feedback_per_day = 100;
    add(&st, &node_kp, 1); /* 0 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_APPOINTMENT;
    st.u.appointment.person = head_kp.pub;
    st.u.appointment.name = "Nguyen Van A";
    st.u.appointment.role = GS_ROLE_HEAD;
    st.u.appointment.title = "Chu tich";
    st.u.appointment.decision = "QD 1/2026";
    add(&st, &node_kp, 2); /* 1 */
    st.u.appointment.person = officer_kp.pub;
    st.u.appointment.name = "Tran Thi B";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    add(&st, &node_kp, 3); /* 2 */
    st.u.appointment.person = inspector_kp.pub;
    st.u.appointment.name = "Le Van C";
    st.u.appointment.role = GS_ROLE_INSPECTOR;
    add(&st, &node_kp, 4); /* 3 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_COMMITMENT;
    st.u.commitment.id = "road-1";
    st.u.commitment.title = "Repair the road";
    st.u.commitment.indicator = "km";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 12;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = T0 + 400 * 86400;
    add(&st, &head_kp, 1); /* 4 */
    st.u.commitment.id = "school-2";
    st.u.commitment.target = 3;
    st.u.commitment.direction = GS_DIRECTION_AT_MOST;
    add(&st, &officer_kp, 1); /* 5 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_PROGRESS;
    st.u.progress.commitment_id = "road-1";
    st.u.progress.value = 4;
    st.u.progress.note = "first part";
    add(&st, &head_kp, 2); /* 6 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_FINDING;
    st.u.finding.about = ref_to(6);
    st.u.finding.severity = GS_SEVERITY_HIGH;
    st.u.finding.text = "not 4 km";
    add(&st, &inspector_kp, 1); /* 7 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_RESPONSE;
    st.u.response.to = ref_to(7);
    st.u.response.text = "measured again";
    add(&st, &head_kp, 3); /* 8 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_FEEDBACK;
    st.u.feedback.text = "the road is still broken";
    st.u.feedback.rating = 2;
    add(&st, &citizen_kp, 1); /* 9 */
    add(&st, &citizen_kp, 2); /* 10 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_OUTCOME;
    st.u.outcome.commitment_id = "school-2";
    st.u.outcome.value = 2;
    add(&st, &officer_kp, 2); /* 11 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_KEY_ROTATION;
    st.u.key_rotation.new_key = head2_kp.pub;
    add(&st, &head_kp, 4); /* 12: the head's key */
    st.u.key_rotation.new_key = node2_kp.pub;
    add(&st, &node_kp, 5); /* 13: the log key */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_DISMISSAL;
    st.u.dismissal.person = officer_kp.pub;
    st.u.dismissal.reason = "moved";
    add(&st, &node2_kp, 1); /* 14 */
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_PROGRESS;
    st.u.progress.commitment_id = "road-1";
    st.u.progress.value = 9;
    st.u.progress.note = "second part";
    add(&st, &head2_kp, 1); /* 15 */
}

static int entry_at(void *ctx, uint64_t index, gs_hash *leaf, gs_body_kind *kind, gs_error *err)
{
    (void)ctx;
    gs_statement st = {0};
    if (index >= n_entries)
        return gs_error_set(err, GS_ENOTFOUND, "no entry %llu", (unsigned long long)index);
    if (gs_wire_open_entry(gs_bytes_of(entries[index].p, entries[index].n), &st, err) != 0)
        return GS_EINVAL;
    gs_merkle_leaf_hash(gs_bytes_of(entries[index].p, entries[index].n), leaf);
    *kind = st.kind;
    gs_statement_clear(&st);
    return 0;
}

static gs_rules_state *replay_with_refs(size_t upto)
{
    gs_rules_state *s = NULL;
    gs_error err = {0};
    assert_int_equal(gs_rules_state_new(&s, ORIGIN, &err), 0);
    for (size_t i = 0; i < upto; i++) {
        gs_statement st = {0};
        gs_hash leaf;
        gs_rule_verdict v;
        assert_int_equal(gs_wire_open_entry(gs_bytes_of(entries[i].p, entries[i].n), &st, &err), 0);
        gs_merkle_leaf_hash(gs_bytes_of(entries[i].p, entries[i].n), &leaf);
        gs_rules_params p = {.replay = true, .entry_at = entry_at};
        if (gs_rules_apply(s, &st, &leaf, i, &p, &v) != 0)
            fail_msg("entry %zu refused: %s", i, v.message);
        gs_statement_clear(&st);
    }
    return s;
}

static gs_buf bytes_of(const gs_rules_state *s)
{
    gs_buf b = {0};
    gs_error err = {0};
    assert_int_equal(gs_rules_snapshot_write(s, &b, &err), 0);
    return b;
}

static void round_trip_judges_alike(void **state)
{
    (void)state;
    for (size_t cut = 1; cut <= n_entries; cut++) {
        gs_rules_state *a = replay_with_refs(cut);
        gs_buf ab = bytes_of(a);
        gs_rules_state *b = NULL;
        gs_error err = {0};
        assert_int_equal(gs_rules_snapshot_read(&b, ORIGIN, gs_bytes_of(ab.p, ab.n), &err), 0);
        gs_buf bb = bytes_of(b);
        assert_int_equal(ab.n, bb.n);
        assert_memory_equal(ab.p, bb.p, ab.n);
        assert_int_equal(gs_rules_size(b), cut);
        assert_int_equal(gs_rules_member_count(a), gs_rules_member_count(b));
        assert_int_equal(gs_rules_commitment_count(a), gs_rules_commitment_count(b));
        gs_rules_commitment ca, cb;
        if (gs_rules_commitment_get(a, "road-1", &ca) == 0) {
            assert_int_equal(gs_rules_commitment_get(b, "road-1", &cb), 0);
            assert_int_equal(ca.progress_count, cb.progress_count);
            assert_memory_equal(ca.owner_current.b, cb.owner_current.b, 32);
        }
        /* the rest of the history, judged by both: same verdicts, same bytes */
        for (size_t i = cut; i < n_entries; i++) {
            gs_statement st = {0};
            gs_hash leaf;
            gs_rule_verdict va, vb;
            assert_int_equal(gs_wire_open_entry(gs_bytes_of(entries[i].p, entries[i].n), &st, &err),
                             0);
            gs_merkle_leaf_hash(gs_bytes_of(entries[i].p, entries[i].n), &leaf);
            gs_rules_params p = {.replay = true, .entry_at = entry_at};
            assert_int_equal(gs_rules_apply(a, &st, &leaf, i, &p, &va), 0);
            assert_int_equal(gs_rules_apply(b, &st, &leaf, i, &p, &vb), 0);
            gs_statement_clear(&st);
        }
        /* and a replayed statement is refused by both for the same reason */
        {
            gs_statement st = {0};
            gs_rule_verdict va, vb;
            assert_int_equal(gs_wire_open_entry(gs_bytes_of(entries[9].p, entries[9].n), &st, &err),
                             0);
            gs_rules_params p = {.replay = true, .entry_at = entry_at};
            assert_int_not_equal(gs_rules_check(a, &st, NULL, &p, &va), 0);
            assert_int_not_equal(gs_rules_check(b, &st, NULL, &p, &vb), 0);
            assert_int_equal(va.reason, vb.reason);
            gs_statement_clear(&st);
        }
        gs_buf fa = bytes_of(a), fb = bytes_of(b);
        assert_int_equal(fa.n, fb.n);
        assert_memory_equal(fa.p, fb.p, fa.n);
        gs_buf_free(&fa);
        gs_buf_free(&fb);
        gs_buf_free(&ab);
        gs_buf_free(&bb);
        gs_rules_state_free(&a);
        gs_rules_state_free(&b);
    }
}

static void damaged_bytes_never_crash(void **state)
{
    (void)state;
    gs_rules_state *a = replay_with_refs(n_entries);
    gs_buf ab = bytes_of(a);
    gs_error err = {0};
    gs_rules_state *b = NULL;
    for (size_t cut = 0; cut < ab.n; cut++) {
        assert_int_equal(gs_rules_snapshot_read(&b, ORIGIN, gs_bytes_of(ab.p, cut), &err),
                         GS_ECORRUPT);
        assert_null(b);
    }
    for (size_t i = 0; i < ab.n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            ab.p[i] ^= (uint8_t)(1u << bit);
            int rc = gs_rules_snapshot_read(&b, ORIGIN, gs_bytes_of(ab.p, ab.n), &err);
            assert_true(rc == 0 || rc == GS_ECORRUPT);
            gs_rules_state_free(&b);
            ab.p[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* another log's name */
    assert_int_equal(
        gs_rules_snapshot_read(&b, "giamsat/commune/other", gs_bytes_of(ab.p, ab.n), &err),
        GS_ECORRUPT);
    gs_buf_free(&ab);
    gs_rules_state_free(&a);
}

static void log_key_history(void **state)
{
    (void)state;
    gs_rules_state *a = replay_with_refs(n_entries);
    gs_pubkey keys[4];
    uint64_t at[4];
    assert_int_equal(gs_rules_log_key_history(a, keys, at, 4), 2);
    assert_memory_equal(keys[0].b, node_kp.pub.b, 32);
    assert_int_equal(at[0], 0);
    assert_memory_equal(keys[1].b, node2_kp.pub.b, 32);
    assert_int_equal(at[1], 13);
    gs_rules_state_free(&a);
    gs_rules_state *b = replay_with_refs(13);
    assert_int_equal(gs_rules_log_key_history(b, keys, at, 4), 1);
    gs_rules_state_free(&b);
}

/* ---- through the pipeline and a real store ------------------------------- */

typedef struct {
    char lines[8][GS_ERROR_MSG_MAX + 256];
    size_t n;
} said;

static void say(void *ctx, const char *line)
{
    said *s = ctx;
    if (s->n < 8)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s", line);
}

static bool said_has(const said *s, const char *what)
{
    for (size_t i = 0; i < s->n; i++)
        if (strstr(s->lines[i], what) != NULL)
            return true;
    return false;
}

static void push(gs_ingest *in, gs_store *st, gs_log *l, size_t from, size_t to)
{
    gs_error err = {0};
    gs_bytes b[64];
    for (size_t i = from; i < to; i++)
        b[i - from] = gs_bytes_of(entries[i].p, entries[i].n);
    assert_int_equal(gs_store_begin(st, &err), 0);
    gs_ingest_set_stage(in, l);
    assert_int_equal(gs_ingest_push(in, GS_INGEST_HISTORY, b, to - from, 0, NULL, &err), 0);
    gs_ingest_set_stage(in, NULL);
    assert_int_equal(gs_store_commit(st, &err), 0);
    assert_false(gs_ingest_broken(in));
}

static void store_load_and_refusals(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/snap.db", tmpdir);
    gs_error err = {0};
    gs_store *st = NULL;
    gs_log *l = NULL;
    gs_ingest *in = NULL, *full = NULL;
    assert_int_equal(gs_store_open(&st, path, &err), 0);
    assert_int_equal(gs_log_open(&l, st, ORIGIN, true, &err), 0);
    gs_ingest_config ic = {.entry_at = gs_ingest_log_entry_at, .entry_ctx = l};
    assert_int_equal(gs_ingest_new(&in, ORIGIN, &ic, &err), 0);
    assert_int_equal(gs_ingest_new(&full, ORIGIN, &ic, &err), 0);
    gs_store_log_state ls;
    assert_int_equal(gs_store_log_find(st, ORIGIN, false, &ls, &err), 0);
    gs_ingest_seal_key key, other;
    gs_ingest_seal_key_derive(&node_kp, &key);
    gs_ingest_seal_key_derive(&citizen_kp, &other);

    push(in, st, l, 0, 6);
    assert_int_equal(gs_ingest_snapshot_save(in, st, ls.id, &key, &err), 0);
    push(in, st, l, 6, 11);
    assert_int_equal(gs_ingest_snapshot_save(in, st, ls.id, &key, &err), 0);
    push(in, st, l, 11, n_entries);

    /* the newest good one is loaded; the rest replayed equals a full replay */
    said s = {0};
    gs_ingest_snapshot_use use;
    assert_int_equal(gs_ingest_snapshot_load(in, st, l, n_entries, &key, &use, say, &s, &err), 0);
    assert_int_equal(use.size, 11);
    assert_int_equal(use.ignored, 0);
    gs_ingest_verdict bad;
    assert_int_equal(gs_ingest_replay_log(in, l, n_entries, false, &bad, &err), 0);
    assert_false(bad.judged);
    assert_int_equal(gs_ingest_replay_log(full, l, n_entries, false, &bad, &err), 0);
    gs_buf want = bytes_of(gs_ingest_rules(full));
    bool same = false;
    assert_int_equal(gs_ingest_snapshot_compare(in, gs_bytes_of(want.p, want.n), &same, &err), 0);
    assert_true(same);
    gs_hash r1, r2;
    gs_ingest_root(in, &r1);
    gs_ingest_root(full, &r2);
    assert_memory_equal(r1.b, r2.b, 32);
    /* compare is byte for byte: the state at 11 is not the state at n */
    assert_int_equal(
        gs_ingest_snapshot_compare(in, gs_bytes_of(use.state.p, use.state.n), &same, &err), 0);
    assert_false(same);
    gs_ingest_snapshot_use_clear(&use);

    /* at most 6: the older one */
    assert_int_equal(gs_ingest_snapshot_load(in, st, l, 10, &key, &use, say, &s, &err), 0);
    assert_int_equal(use.size, 6);
    assert_int_equal(gs_ingest_size(in), 6);
    gs_ingest_snapshot_use_clear(&use);

    /* sealed with another key: both ignored, nothing loaded */
    memset(&s, 0, sizeof s);
    assert_int_equal(gs_ingest_snapshot_load(in, st, l, n_entries, &other, &use, say, &s, &err), 0);
    assert_int_equal(use.size, 0);
    assert_int_equal(use.ignored, 2);
    assert_int_equal(gs_ingest_size(in), 0);
    assert_true(said_has(&s, "its seal does not match"));
    gs_ingest_snapshot_use_clear(&use);

    /* another root at 11, sealed right: ignored, 6 used */
    gs_store_snapshot snap;
    assert_int_equal(gs_store_get_snapshot(st, ls.id, UINT64_MAX, &snap, &err), 0);
    assert_int_equal(snap.size, 11);
    snap.root.b[5] ^= 0x40;
    gs_ingest_snapshot_check(&key, ORIGIN, snap.size, &snap.root,
                             gs_bytes_of(snap.state.p, snap.state.n), &snap.check);
    assert_int_equal(gs_store_put_snapshot(st, ls.id, snap.size, &snap.root,
                                           gs_bytes_of(snap.state.p, snap.state.n), &snap.check,
                                           &err),
                     0);
    gs_store_snapshot_clear(&snap);
    memset(&s, 0, sizeof s);
    assert_int_equal(gs_ingest_snapshot_load(in, st, l, n_entries, &key, &use, say, &s, &err), 0);
    assert_int_equal(use.size, 6);
    assert_int_equal(use.ignored, 1);
    assert_true(said_has(&s, "belongs to another tree"));
    gs_ingest_snapshot_use_clear(&use);

    /* another log's state at the right size and root, sealed right:
     * ignored (it names another origin) */
    {
        gs_rules_state *o = NULL;
        assert_int_equal(gs_rules_state_new(&o, "giamsat/commune/other", &err), 0);
        gs_buf ob = bytes_of(o);
        gs_hash root, check;
        assert_int_equal(gs_log_root_at(l, 11, &root, &err), 0);
        gs_ingest_snapshot_check(&key, ORIGIN, 11, &root, gs_bytes_of(ob.p, ob.n), &check);
        assert_int_equal(
            gs_store_put_snapshot(st, ls.id, 11, &root, gs_bytes_of(ob.p, ob.n), &check, &err), 0);
        gs_buf_free(&ob);
        gs_rules_state_free(&o);
    }
    memset(&s, 0, sizeof s);
    assert_int_equal(gs_ingest_snapshot_load(in, st, l, n_entries, &key, &use, say, &s, &err), 0);
    assert_int_equal(use.size, 6);
    assert_true(said_has(&s, "does not parse"));
    gs_ingest_snapshot_use_clear(&use);

    /* only the newest GS_STORE_SNAPSHOTS_KEPT are kept */
    assert_int_equal(gs_ingest_replay_log(in, l, n_entries, false, &bad, &err), 0);
    assert_int_equal(gs_ingest_snapshot_save(in, st, ls.id, &key, &err), 0);
    assert_int_equal(gs_store_get_snapshot(st, ls.id, 10, &snap, &err), GS_ENOTFOUND);
    gs_store_snapshot_clear(&snap);

    gs_buf_free(&want);
    gs_ingest_free(&in);
    gs_ingest_free(&full);
    gs_log_close(&l);
    gs_store_close(&st);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/gs-test-snapshot-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        return -1;
    seed_key(&node_kp, 1);
    seed_key(&node2_kp, 2);
    seed_key(&head_kp, 3);
    seed_key(&head2_kp, 4);
    seed_key(&officer_kp, 5);
    seed_key(&inspector_kp, 6);
    seed_key(&citizen_kp, 7);
    build_history();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_entries; i++)
        gs_buf_free(&entries[i]);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_judges_alike),
        cmocka_unit_test(damaged_bytes_never_crash),
        cmocka_unit_test(log_key_history),
        cmocka_unit_test(store_load_and_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
