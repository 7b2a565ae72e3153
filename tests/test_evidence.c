/* test_evidence.c — evidence of every kind, built from REAL logs (gs_store +
 * gs_log in a temporary folder, statements signed with gs_wire_sign_statement,
 * checkpoints signed as C2SP notes), verified by gs_evidence_verify; then every
 * way of spoiling it is refused with the reason.
 *
 * The misbehaving logs are made the way a dishonest node would make them:
 * - log A is honest; log B shares A's first FORK entries and then diverges,
 *   and both are signed by the same node key (a rewritten history / a split
 *   view);
 * - log C holds an entry whose signature was spoiled (a forged entry);
 * - log D holds an officer appointing a head, which the rule book forbids
 *   (rule 8: a head is appointed by the log key only).
 * Frontiers and the "wrong" roots the tests expect are computed here
 * independently with libsodium, never taken from the code under test. */
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
#define OTHER_ORIGIN "giamsat/commune/binh-an"
#define HUB_ORIGIN "giamsat/hub/ha-noi"
#define FORK 3 /* A and B share entries [0, FORK) */
#define LOG_SIZE 16
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static char tmpdir[256];

static gs_keypair node_kp, other_kp, hub_kp, head_kp, officer_kp, citizen_kp;

typedef struct {
    gs_store *store;
    gs_log *log;
    gs_buf entries[LOG_SIZE];
    size_t n;
} test_log;

static test_log log_a, log_b, log_c, log_d;

static void seed_key(gs_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

/* ---- statements ----------------------------------------------------------- */

static gs_buf sign(gs_statement *st, const gs_keypair *kp)
{
    gs_buf out = {0};
    gs_error err = {0};
    st->signer = kp->pub;
    if (gs_wire_sign_statement(st, kp, &out, &err) != 0)
        fail_msg("signing a statement: %s", err.msg);
    return out;
}

static gs_buf charter(const char *origin, const char *unit)
{
    gs_statement st = {0};
    st.seq = 1;
    st.issued_at = T0;
    st.origin = origin;
    st.kind = GS_BODY_CHARTER;
    st.u.charter.unit = unit;
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xa An Binh";
    return sign(&st, &node_kp);
}

static gs_buf appointment(const gs_keypair *by, uint64_t seq, const gs_keypair *person,
                          gs_role role, const char *name)
{
    gs_statement st = {0};
    st.seq = seq;
    st.issued_at = T0 + (int64_t)seq * 60;
    st.origin = ORIGIN;
    st.kind = GS_BODY_APPOINTMENT;
    st.u.appointment.person = person->pub;
    st.u.appointment.name = name;
    st.u.appointment.role = role;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    return sign(&st, by);
}

/* One feedback a day from the citizen, so the rate limit never bites. */
static gs_buf feedback(uint64_t seq, const char *text)
{
    gs_statement st = {0};
    st.seq = seq;
    st.issued_at = T0 + (int64_t)seq * 86400;
    st.origin = ORIGIN;
    st.kind = GS_BODY_FEEDBACK;
    st.u.feedback.text = text;
    return sign(&st, &citizen_kp);
}

/* ---- logs ------------------------------------------------------------------- */

static void log_open(test_log *t, const char *file)
{
    char path[400];
    gs_error err = {0};
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    memset(t, 0, sizeof *t);
    if (gs_store_open(&t->store, path, &err) != 0 ||
        gs_log_open(&t->log, t->store, ORIGIN, true, &err) != 0)
        fail_msg("opening %s: %s", path, err.msg);
}

static void log_add(test_log *t, gs_buf entry)
{
    gs_error err = {0};
    gs_bytes b = gs_bytes_of(entry.p, entry.n);
    assert_true(t->n < LOG_SIZE);
    if (gs_log_append(t->log, &b, 1, NULL, &err) != 0)
        fail_msg("append: %s", err.msg);
    t->entries[t->n++] = entry;
}

static void log_close(test_log *t)
{
    gs_log_close(&t->log);
    gs_store_close(&t->store);
    for (size_t i = 0; i < t->n; i++)
        gs_buf_free(&t->entries[i]);
    t->n = 0;
}

/* A checkpoint of t at a past size, signed by kp under key name `name`. */
static char *checkpoint_as(test_log *t, uint64_t size, const char *origin, const char *name,
                           const gs_keypair *kp)
{
    gs_hash root;
    char *body = NULL, *note = NULL;
    gs_error err = {0};
    if (gs_log_root_at(t->log, size, &root, &err) != 0 ||
        gs_checkpoint_format(origin, size, &root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), name, kp, &note, &err) != 0)
        fail_msg("checkpoint at %llu: %s", (unsigned long long)size, err.msg);
    free(body);
    return note;
}

static char *checkpoint(test_log *t, uint64_t size)
{
    return checkpoint_as(t, size, ORIGIN, ORIGIN, &node_kp);
}

/* The RFC 9162 consistency proof from m to n in t, with the old root
 * prepended when m is a power of two (evidence.h). */
static size_t consistency(test_log *t, uint64_t m, uint64_t n, gs_hash *proof)
{
    size_t k = 0, got = 0;
    gs_error err = {0};
    if ((m & (m - 1)) == 0) {
        if (gs_log_root_at(t->log, m, &proof[0], &err) != 0)
            fail_msg("root at %llu: %s", (unsigned long long)m, err.msg);
        k = 1;
    }
    if (gs_log_prove_consistency(t->log, m, n, proof + k, &got, &err) != 0)
        fail_msg("consistency %llu->%llu: %s", (unsigned long long)m, (unsigned long long)n,
                 err.msg);
    return k + got;
}

static void setup_logs(void)
{
    char text[64];
    log_open(&log_a, "a.db");
    log_open(&log_b, "b.db");
    log_open(&log_c, "c.db");
    log_open(&log_d, "d.db");

    /* A and B: the same Charter and head, then B rewrites from FORK on. */
    gs_buf c = charter(ORIGIN, "an-binh");
    gs_buf h = appointment(&node_kp, 2, &head_kp, GS_ROLE_HEAD, "Nguyen Van A");
    for (int i = 0; i < 2; i++) {
        test_log *t = i == 0 ? &log_a : &log_b;
        gs_buf cc = {malloc(c.n), c.n}, hh = {malloc(h.n), h.n};
        memcpy(cc.p, c.p, c.n);
        memcpy(hh.p, h.p, h.n);
        log_add(t, cc);
        log_add(t, hh);
    }
    gs_buf_free(&c);
    gs_buf_free(&h);
    for (uint64_t i = 2; i < LOG_SIZE; i++) {
        snprintf(text, sizeof text, "the road to the school is broken (%llu)",
                 (unsigned long long)i);
        log_add(&log_a, feedback(i - 1, text));
        snprintf(text, sizeof text, "all is well (%llu)", (unsigned long long)i);
        log_add(&log_b, i < FORK ? feedback(i - 1, "the road to the school is broken (2)")
                                 : feedback(i - 1, text));
    }

    /* C: an honest log with one entry whose signature was spoiled. */
    log_add(&log_c, charter(ORIGIN, "an-binh"));
    for (uint64_t i = 1; i < 10; i++) {
        snprintf(text, sizeof text, "feedback %llu", (unsigned long long)i);
        gs_buf e = feedback(i, text);
        if (i == 6)
            e.p[e.n - 1] ^= 0x40; /* the signature is the last field */
        log_add(&log_c, e);
    }

    /* D: the officer appoints a head (entry 2), then life goes on. */
    log_add(&log_d, charter(ORIGIN, "an-binh"));
    log_add(&log_d, appointment(&node_kp, 2, &officer_kp, GS_ROLE_OFFICER, "Tran Thi B"));
    log_add(&log_d, appointment(&officer_kp, 1, &head_kp, GS_ROLE_HEAD, "Nguyen Van A"));
    log_add(&log_d, feedback(1, "who appointed this head?"));
    log_add(&log_d, feedback(2, "nobody answers"));
}

static int setup(void **state)
{
    (void)state;
    gs_error err = {0};
    if (gs_crypto_init(&err) != 0)
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs-test-evidence-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    seed_key(&node_kp, 1);
    seed_key(&other_kp, 2);
    seed_key(&hub_kp, 3);
    seed_key(&head_kp, 4);
    seed_key(&officer_kp, 5);
    seed_key(&citizen_kp, 6);
    setup_logs();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    log_close(&log_a);
    log_close(&log_b);
    log_close(&log_c);
    log_close(&log_d);
    gs_keypair_wipe(&node_kp);
    gs_keypair_wipe(&other_kp);
    gs_keypair_wipe(&hub_kp);
    gs_keypair_wipe(&head_kp);
    gs_keypair_wipe(&officer_kp);
    gs_keypair_wipe(&citizen_kp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- independent hashing (libsodium) for frontiers ------------------------- */

static void ind_leaf(const gs_buf *e, gs_hash *out)
{
    crypto_hash_sha256_state st;
    uint8_t z = 0;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &z, 1);
    crypto_hash_sha256_update(&st, e->p, e->n);
    crypto_hash_sha256_final(&st, out->b);
}

/* MTH of a perfect range [begin, begin + len), len a power of two. */
static void ind_mth(const test_log *t, size_t begin, size_t len, gs_hash *out)
{
    if (len == 1) {
        ind_leaf(&t->entries[begin], out);
        return;
    }
    gs_hash l, r;
    uint8_t buf[65];
    ind_mth(t, begin, len / 2, &l);
    ind_mth(t, begin + len / 2, len / 2, &r);
    buf[0] = 1;
    memcpy(buf + 1, l.b, 32);
    memcpy(buf + 33, r.b, 32);
    crypto_hash_sha256(out->b, buf, sizeof buf);
}

/* The roots of the perfect subtrees of t's first m entries, largest first. */
static size_t ind_frontier(const test_log *t, size_t m, gs_hash *out)
{
    size_t n = 0, begin = 0;
    for (int bit = 63; bit >= 0; bit--) {
        size_t len = (size_t)1 << bit;
        if (bit < (int)(8 * sizeof(size_t)) && (m & len)) {
            ind_mth(t, begin, len, &out[n++]);
            begin += len;
        }
    }
    return n;
}

/* ---- evidence helpers ------------------------------------------------------- */

static char log_vkey_str[GS_VKEY_STR_MAX];
static gs_vkey log_vkey;

static void trusted_key(void)
{
    gs_error err = {0};
    if (gs_vkey_make(&log_vkey, ORIGIN, GS_VKEY_ALG_ED25519, &node_kp.pub, &err) != 0 ||
        gs_vkey_format(&log_vkey, log_vkey_str, sizeof log_vkey_str, &err) != 0)
        fail_msg("log key: %s", err.msg);
}

static gs_evidence base(gs_evidence_kind kind)
{
    gs_evidence ev = {0};
    trusted_key();
    ev.kind = kind;
    ev.origin = ORIGIN;
    ev.log_key = log_vkey_str;
    ev.reason = "test";
    ev.detected_at = T0 + 100 * 86400;
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

/* ---- (a) split view ------------------------------------------------------- */

static void test_split_view_same_size(void **state)
{
    (void)state;
    gs_evidence ev = base(GS_EVIDENCE_SPLIT_VIEW);
    ev.checkpoint_a = checkpoint(&log_a, 12);
    ev.checkpoint_b = checkpoint(&log_b, 12);
    expect_ok(&ev, "same size, different roots");
    char line[256];
    gs_evidence_describe(&ev, line, sizeof line);
    assert_string_equal(line, "split view: two checkpoints of size 12 with different roots");

    /* The same checkpoint twice (or two of the same tree) agree. */
    gs_wire_free(ev.checkpoint_b);
    ev.checkpoint_b = checkpoint(&log_a, 12);
    expect_fail(&ev, GS_EVERIFY, "same root", "two equal checkpoints");
    /* Before the fork A and B are the same log. */
    gs_wire_free(ev.checkpoint_a);
    gs_wire_free(ev.checkpoint_b);
    ev.checkpoint_a = checkpoint(&log_a, FORK);
    ev.checkpoint_b = checkpoint(&log_b, FORK);
    expect_fail(&ev, GS_EVERIFY, "same root", "the shared prefix");
    gs_wire_free(ev.checkpoint_a);
    gs_wire_free(ev.checkpoint_b);
}

/* Different sizes: B's size-m checkpoint against A's size-n tree, the proof
 * made from A; every old size from just past the fork, including the powers
 * of two 4 and 8, and both orders of a and b. */
static void test_split_view_rewritten_history(void **state)
{
    (void)state;
    static const uint64_t pairs[][2] = {{4, 12}, {5, 12}, {7, 8}, {8, 16},
                                        {4, 16}, {6, 13}, {8, 9}, {FORK + 1, 5}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        uint64_t m = pairs[i][0], n = pairs[i][1];
        char what[64];
        gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
        gs_evidence ev = base(GS_EVIDENCE_SPLIT_VIEW);
        snprintf(what, sizeof what, "rewritten %llu -> %llu", (unsigned long long)m,
                 (unsigned long long)n);
        ev.consistency_proof = proof;
        ev.n_consistency_proof = consistency(&log_a, m, n, proof);
        ev.checkpoint_a = checkpoint(&log_b, m);
        ev.checkpoint_b = checkpoint(&log_a, n);
        expect_ok(&ev, what);
        /* Either order. */
        const char *t = ev.checkpoint_a;
        ev.checkpoint_a = ev.checkpoint_b;
        ev.checkpoint_b = t;
        expect_ok(&ev, what);
        /* A's own size-m checkpoint is consistent with A's size-n tree. */
        gs_wire_free(ev.checkpoint_b);
        ev.checkpoint_b = checkpoint(&log_a, m);
        expect_fail(&ev, GS_EVERIFY, "consistent, no misbehaviour", what);
        /* A proof that does not reach the signed size-n root fixes nothing. */
        gs_wire_free(ev.checkpoint_b);
        ev.checkpoint_b = checkpoint(&log_b, m);
        proof[ev.n_consistency_proof - 1].b[5] ^= 1;
        expect_fail(&ev, GS_EVERIFY, "does not reach the signed root", what);
        proof[ev.n_consistency_proof - 1].b[5] ^= 1;
        /* Without the prepended old root (powers of two) or a hash short. */
        ev.n_consistency_proof--;
        expect_fail(&ev, GS_EVERIFY, "hashes", what);
        gs_wire_free(ev.checkpoint_a);
        gs_wire_free(ev.checkpoint_b);
    }
    char line[256];
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
    gs_evidence ev = base(GS_EVIDENCE_SPLIT_VIEW);
    ev.consistency_proof = proof;
    ev.n_consistency_proof = consistency(&log_a, 8, 12, proof);
    ev.checkpoint_a = checkpoint(&log_a, 12);
    ev.checkpoint_b = checkpoint(&log_b, 8);
    gs_evidence_describe(&ev, line, sizeof line);
    assert_string_equal(line, "split view: checkpoints of sizes 8 and 12 with different "
                              "histories (the log rewrote its first 8 entries)");
    gs_wire_free(ev.checkpoint_a);
    gs_wire_free(ev.checkpoint_b);
}

/* ---- (b) rollback -------------------------------------------------------- */

static void test_rollback(void **state)
{
    (void)state;
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
    gs_evidence ev = base(GS_EVIDENCE_ROLLBACK);
    char line[256];
    for (uint64_t m = FORK + 1; m < 12; m++) {
        ev.consistency_proof = proof;
        ev.n_consistency_proof = consistency(&log_a, m, 12, proof);
        ev.checkpoint_a = checkpoint(&log_a, 12);
        ev.checkpoint_b = checkpoint(&log_b, m);
        expect_ok(&ev, "rollback");
        if (m == 9) {
            gs_evidence_describe(&ev, line, sizeof line);
            assert_string_equal(line, "rollback from 12 to 9");
        }
        /* An old checkpoint of the same history is not a rollback. */
        gs_wire_free(ev.checkpoint_b);
        ev.checkpoint_b = checkpoint(&log_a, m);
        expect_fail(&ev, GS_EVERIFY, "an old checkpoint, not a rollback", "prefix rollback");
        /* a must be the larger one. */
        const char *t = ev.checkpoint_a;
        ev.checkpoint_a = ev.checkpoint_b;
        ev.checkpoint_b = t;
        expect_fail(&ev, GS_EINVAL, "larger than checkpoint b", "rollback order");
        gs_wire_free(ev.checkpoint_a);
        gs_wire_free(ev.checkpoint_b);
    }
}

/* ---- (c) bad entries ---------------------------------------------------------- */

static void test_bad_entries(void **state)
{
    (void)state;
    gs_hash frontier[64];
    gs_evidence ev = base(GS_EVIDENCE_BAD_ENTRIES);
    char line[256];

    /* From m = 5 (a frontier of two subtrees) to 12: B's entries served for
     * A's checkpoint. */
    ev.checkpoint_a = checkpoint(&log_a, 5);
    ev.checkpoint_b = checkpoint(&log_a, 12);
    ev.frontier = frontier;
    ev.n_frontier = ind_frontier(&log_a, 5, frontier);
    assert_int_equal(ev.n_frontier, 2);
    ev.first_index = 5;
    ev.entries = &log_b.entries[5];
    ev.n_entries = 7;
    expect_ok(&ev, "bad entries from 5");
    gs_evidence_describe(&ev, line, sizeof line);
    assert_string_equal(line, "bad entries: 7 entries served for [5, 12) do not hash to the "
                              "signed root of size 12");

    /* The log's own entries are not evidence. */
    ev.entries = &log_a.entries[5];
    expect_fail(&ev, GS_EVERIFY, "the log's own entries", "correct entries");
    /* A frontier that does not give a's root. */
    ev.entries = &log_b.entries[5];
    ind_frontier(&log_b, 5, frontier);
    expect_fail(&ev, GS_EVERIFY, "frontier does not reproduce", "wrong frontier");
    ind_frontier(&log_a, 5, frontier);
    /* The wrong number of entries or a wrong first index. */
    ev.n_entries = 6;
    expect_fail(&ev, GS_EINVAL, "must carry the 7 entries", "short entries");
    ev.n_entries = 7;
    ev.first_index = 4;
    expect_fail(&ev, GS_EINVAL, "must carry the 7 entries", "first index");
    ev.first_index = 5;
    ev.n_frontier = 1;
    expect_fail(&ev, GS_EINVAL, "subtree roots", "frontier length");
    gs_wire_free(ev.checkpoint_a);
    gs_wire_free(ev.checkpoint_b);

    /* From the empty tree (no checkpoint a), power-of-two size 8. */
    ev = base(GS_EVIDENCE_BAD_ENTRIES);
    ev.checkpoint_b = checkpoint(&log_a, 8);
    ev.entries = log_b.entries;
    ev.n_entries = 8;
    expect_ok(&ev, "bad entries from 0");
    ev.entries = log_a.entries;
    expect_fail(&ev, GS_EVERIFY, "the log's own entries", "correct entries from 0");
    gs_wire_free(ev.checkpoint_b);

    /* From m = 8 (one subtree) to 11. */
    ev = base(GS_EVIDENCE_BAD_ENTRIES);
    ev.checkpoint_a = checkpoint(&log_a, 8);
    ev.checkpoint_b = checkpoint(&log_a, 11);
    ev.frontier = frontier;
    ev.n_frontier = ind_frontier(&log_a, 8, frontier);
    ev.first_index = 8;
    ev.entries = &log_b.entries[8];
    ev.n_entries = 3;
    expect_ok(&ev, "bad entries from 8");
    gs_wire_free(ev.checkpoint_a);
    gs_wire_free(ev.checkpoint_b);
}

/* ---- (d) rule violation ------------------------------------------------------- */

static void test_forged_entry(void **state)
{
    (void)state;
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t n = 0;
    gs_error err = {0};
    gs_evidence ev = base(GS_EVIDENCE_RULE_VIOLATION);
    char line[256];

    /* Independently: entry 6 of C does not open, entry 5 does. */
    gs_statement st = {0};
    assert_int_not_equal(
        gs_wire_open_entry(gs_bytes_of(log_c.entries[6].p, log_c.entries[6].n), &st, &err), 0);
    gs_statement_clear(&st);

    ev.checkpoint_b = checkpoint(&log_c, 10);
    assert_int_equal(gs_log_prove_inclusion(log_c.log, 6, 10, proof, &n, &err), 0);
    ev.first_index = 6;
    ev.entries = &log_c.entries[6];
    ev.n_entries = 1;
    ev.inclusion_proof = proof;
    ev.n_inclusion_proof = n;
    expect_ok(&ev, "forged entry");
    gs_evidence_describe(&ev, line, sizeof line);
    assert_string_equal(line, "rule violation: entry 6 carries a signature that does not verify");

    /* The proof must reach the signed root. */
    proof[0].b[0] ^= 1;
    expect_fail(&ev, GS_EVERIFY, "not proven to be in checkpoint b", "bad inclusion proof");
    proof[0].b[0] ^= 1;
    /* A forged entry the log does not hold (proof for another index). */
    ev.first_index = 7;
    expect_fail(&ev, GS_EVERIFY, "not proven to be in checkpoint b", "wrong index");
    /* A valid entry proves nothing by itself. */
    assert_int_equal(gs_log_prove_inclusion(log_c.log, 5, 10, proof, &n, &err), 0);
    ev.first_index = 5;
    ev.entries = &log_c.entries[5];
    ev.n_inclusion_proof = n;
    expect_fail(&ev, GS_EVERIFY, "validly signed statement", "valid entry");
    /* Two entries are not the forged form. */
    ev.n_entries = 2;
    expect_fail(&ev, GS_EINVAL, "exactly one entry", "two entries");
    gs_wire_free(ev.checkpoint_b);
}

static void test_history_violation(void **state)
{
    (void)state;
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t n = 0;
    gs_error err = {0};
    char line[256];
    gs_evidence ev = base(GS_EVIDENCE_RULE_VIOLATION);

    /* Entries [0, 3), the last being the officer's head appointment, in
     * the signed tree of size 5. */
    ev.checkpoint_b = checkpoint(&log_d, 5);
    assert_int_equal(gs_log_prove_consistency(log_d.log, 3, 5, proof, &n, &err), 0);
    ev.first_index = 0;
    ev.entries = log_d.entries;
    ev.n_entries = 3;
    ev.consistency_proof = proof;
    ev.n_consistency_proof = n;
    expect_ok(&ev, "history violation");
    gs_evidence_describe(&ev, line, sizeof line);
    assert_string_equal(line, "rule violation: entry 2 breaks the rule book (history of 3 "
                              "entries)");

    /* The consistency proof must tie the entries to the signed root. */
    proof[0].b[1] ^= 1;
    expect_fail(&ev, GS_EVERIFY, "not proven to be the start", "bad consistency proof");
    proof[0].b[1] ^= 1;
    /* Entries the rule book accepts prove nothing. */
    ev.n_entries = 2;
    assert_int_equal(gs_log_prove_consistency(log_d.log, 2, 5, proof, &n, &err), 0);
    ev.n_consistency_proof = n;
    expect_fail(&ev, GS_EVERIFY, "accepts every one", "valid entries");
    /* Going past the offending entry. */
    ev.n_entries = 4;
    assert_int_equal(gs_log_prove_consistency(log_d.log, 4, 5, proof, &n, &err), 0);
    ev.n_consistency_proof = n;
    expect_fail(&ev, GS_EVERIFY, "already refused by the rule book [role-forbids]",
                "past the offender");
    gs_wire_free(ev.checkpoint_b);

    /* e = size(b): the whole signed tree, no proof. */
    ev.checkpoint_b = checkpoint(&log_d, 3);
    ev.n_entries = 3;
    ev.consistency_proof = NULL;
    ev.n_consistency_proof = 0;
    expect_ok(&ev, "history violation, whole tree");
    /* A's honest history of the same origin does not hash to D's root. */
    ev.entries = log_a.entries;
    expect_fail(&ev, GS_EVERIFY, "do not hash to the signed root", "other entries");
    gs_wire_free(ev.checkpoint_b);

    /* A forged entry inside a history (entry 6 of C) is proof too. */
    ev = base(GS_EVIDENCE_RULE_VIOLATION);
    ev.checkpoint_b = checkpoint(&log_c, 10);
    assert_int_equal(gs_log_prove_consistency(log_c.log, 7, 10, proof, &n, &err), 0);
    ev.entries = log_c.entries;
    ev.n_entries = 7;
    ev.consistency_proof = proof;
    ev.n_consistency_proof = n;
    expect_ok(&ev, "history ending in a forged entry");
    gs_wire_free(ev.checkpoint_b);
}

/* ---- keys, signers, origins ------------------------------------------------------ */

static void test_wrong_keys_and_origins(void **state)
{
    (void)state;
    gs_error err = {0};
    gs_evidence ev = base(GS_EVIDENCE_SPLIT_VIEW);
    ev.checkpoint_a = checkpoint(&log_a, 12);
    ev.checkpoint_b = checkpoint(&log_b, 12);
    expect_ok(&ev, "baseline");

    /* The verifier trusts another key for the origin: the evidence's key
     * is not the trusted one. */
    gs_vkey other;
    char other_str[GS_VKEY_STR_MAX];
    assert_int_equal(gs_vkey_make(&other, ORIGIN, GS_VKEY_ALG_ED25519, &other_kp.pub, &err), 0);
    assert_int_equal(gs_evidence_verify(&ev, &other, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "not the trusted key"));
    /* Evidence naming the other key, checked against it: the checkpoints
     * were not signed by it. */
    assert_int_equal(gs_vkey_format(&other, other_str, sizeof other_str, &err), 0);
    ev.log_key = other_str;
    assert_int_equal(gs_evidence_verify(&ev, &other, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "checkpoint a is not signed by the log key"));
    ev.log_key = log_vkey_str;

    /* One checkpoint signed by another key under the log's name. */
    gs_wire_free(ev.checkpoint_b);
    ev.checkpoint_b = checkpoint_as(&log_b, 12, ORIGIN, ORIGIN, &other_kp);
    expect_fail(&ev, GS_EVERIFY, "checkpoint b is not signed by the log key", "foreign signer");

    /* A checkpoint of another origin, signed by the log key. */
    gs_wire_free(ev.checkpoint_b);
    ev.checkpoint_b = checkpoint_as(&log_b, 12, OTHER_ORIGIN, ORIGIN, &node_kp);
    expect_fail(&ev, GS_EVERIFY, "not of the accused log", "mismatched checkpoint origin");

    /* Evidence about another origin than the trusted key's. */
    ev.origin = OTHER_ORIGIN;
    expect_fail(&ev, GS_EVERIFY, "but the evidence accuses", "mismatched evidence origin");
    ev.origin = ORIGIN;

    /* A cosigner key is not a log key; a garbled key string; a garbled
     * note; no checkpoint. */
    gs_vkey cos;
    assert_int_equal(gs_vkey_make(&cos, ORIGIN, GS_VKEY_ALG_COSIGNATURE_V1, &node_kp.pub, &err), 0);
    assert_int_equal(gs_evidence_verify(&ev, &cos, &err), GS_EINVAL);
    ev.log_key = "giamsat/commune/an-binh+00000000+AQ==";
    expect_fail(&ev, GS_EINVAL, "the evidence's log key", "garbled key");
    ev.log_key = log_vkey_str;
    gs_wire_free(ev.checkpoint_b);
    ev.checkpoint_b = strdup("not a note");
    expect_fail(&ev, GS_EINVAL, "checkpoint b", "garbled note");
    gs_wire_free(ev.checkpoint_b);
    ev.checkpoint_b = NULL;
    expect_fail(&ev, GS_EINVAL, "has no checkpoint b", "missing note");
    ev.kind = (gs_evidence_kind)9;
    expect_fail(&ev, GS_EINVAL, "unknown evidence kind", "unknown kind");
    assert_int_equal(gs_evidence_verify(NULL, &log_vkey, &err), GS_EINVAL);
    gs_wire_free(ev.checkpoint_a);
}

/* The path the hub and the CLI take: the evidence travels as the body of a
 * Statement signed by the hub, is decoded by gs_wire_open_entry and checked. */
static void test_wire_round_trip(void **state)
{
    (void)state;
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
    gs_error err = {0};
    gs_statement st = {0}, back = {0};
    st.seq = 7;
    st.issued_at = T0 + 200 * 86400;
    st.origin = HUB_ORIGIN;
    st.kind = GS_BODY_EVIDENCE;
    st.u.evidence = base(GS_EVIDENCE_ROLLBACK);
    st.u.evidence.consistency_proof = proof;
    st.u.evidence.n_consistency_proof = consistency(&log_a, 8, 14, proof);
    st.u.evidence.checkpoint_a = checkpoint(&log_a, 14);
    st.u.evidence.checkpoint_b = checkpoint(&log_b, 8);
    gs_buf entry = sign(&st, &hub_kp);
    assert_int_equal(gs_wire_open_entry(gs_bytes_of(entry.p, entry.n), &back, &err), 0);
    assert_int_equal(back.kind, GS_BODY_EVIDENCE);
    assert_memory_equal(back.signer.b, hub_kp.pub.b, 32);
    expect_ok(&back.u.evidence, "decoded rollback");
    gs_statement_clear(&back);
    gs_wire_free(st.u.evidence.checkpoint_a);
    gs_wire_free(st.u.evidence.checkpoint_b);
    gs_buf_free(&entry);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_view_same_size),
        cmocka_unit_test(test_split_view_rewritten_history),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_forged_entry),
        cmocka_unit_test(test_history_violation),
        cmocka_unit_test(test_wrong_keys_and_origins),
        cmocka_unit_test(test_wire_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
