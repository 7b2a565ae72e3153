/* test_bundle.c — bundles built from a REAL log (gs_store + gs_log in a
 * temporary folder, statements signed with gs_wire_sign_statement, the
 * checkpoint signed by the log key and cosigned by a witness as C2SP notes,
 * proofs from gs_log), verified by gs_bundle_verify against a trust file
 * written here; then every way of spoiling one is refused with its reason.
 *
 * The log of ORIGIN:
 *   0 Charter                        (log key)
 *   1 Appointment of the head        (log key)
 *   2 Appointment of an officer      (log key)
 *   3 Commitment                     (head)
 *   4 Feedback                       (a citizen)
 *   5 KeyRotation of the head        (head, to head2)
 *   6 Progress                       (head2)
 *   7 Feedback                       (a citizen)
 * and a second log, OTHER_ORIGIN, of OTHER_SIZE entries under another key,
 * which the trust file lists too. */
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

#include "bundle.h"
#include "log.h"
#include "merkle.h"
#include "note.h"

#define ORIGIN "giamsat/commune/an-binh"
#define OTHER_ORIGIN "giamsat/commune/binh-an"
#define WITNESS "w1"
#define LOG_SIZE 8
#define OTHER_SIZE 3
#define T0 1767225600 /* 2026-01-01T00:00:00Z */
#define TITLE "repair the school road"

static char tmpdir[256];
static gs_keypair node_kp, other_kp, head_kp, head2_kp, officer_kp, citizen_kp, witness_kp,
    rogue_kp;

typedef struct {
    gs_store *store;
    gs_log *log;
    gs_buf entries[LOG_SIZE];
    size_t n;
} test_log;

static test_log main_log, other_log;
static gs_policy *policy;
static char *cosigned;       /* main log at LOG_SIZE, signed and cosigned */
static char *other_cosigned; /* other log at OTHER_SIZE, signed and cosigned */

static void seed_key(gs_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

/* ---- statements ------------------------------------------------------------ */

static gs_buf sign(gs_statement *st, const gs_keypair *kp)
{
    gs_buf out = {0};
    gs_error err = {0};
    st->signer = kp->pub;
    if (gs_wire_sign_statement(st, kp, &out, &err) != 0)
        fail_msg("signing a statement: %s", err.msg);
    return out;
}

static gs_statement base(const char *origin, uint64_t seq, gs_body_kind kind)
{
    gs_statement st = {0};
    st.seq = seq;
    st.issued_at = T0 + (int64_t)seq * 3600;
    st.origin = origin;
    st.kind = kind;
    return st;
}

static gs_buf charter(const char *origin, const char *unit, const gs_keypair *kp)
{
    gs_statement st = base(origin, 1, GS_BODY_CHARTER);
    st.u.charter.unit = unit;
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xa An Binh";
    return sign(&st, kp);
}

static gs_buf appointment(uint64_t seq, const gs_keypair *person, gs_role role, const char *name,
                          const char *title)
{
    gs_statement st = base(ORIGIN, seq, GS_BODY_APPOINTMENT);
    st.u.appointment.person = person->pub;
    st.u.appointment.name = name;
    st.u.appointment.role = role;
    st.u.appointment.title = title;
    st.u.appointment.decision = "";
    return sign(&st, &node_kp);
}

static gs_buf commitment(void)
{
    gs_statement st = base(ORIGIN, 1, GS_BODY_COMMITMENT);
    st.u.commitment.id = "road-1";
    st.u.commitment.title = TITLE;
    st.u.commitment.indicator = "km repaired";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 3000000;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = T0 + 90 * 86400;
    return sign(&st, &head_kp);
}

static gs_buf feedback(const char *origin, uint64_t seq, const char *text)
{
    gs_statement st = base(origin, seq, GS_BODY_FEEDBACK);
    st.issued_at = T0 + (int64_t)seq * 86400;
    st.u.feedback.text = text;
    return sign(&st, &citizen_kp);
}

static gs_buf key_rotation(void)
{
    gs_statement st = base(ORIGIN, 2, GS_BODY_KEY_ROTATION);
    st.u.key_rotation.new_key = head2_kp.pub;
    return sign(&st, &head_kp);
}

static gs_buf progress(void)
{
    gs_statement st = base(ORIGIN, 1, GS_BODY_PROGRESS);
    st.u.progress.commitment_id = "road-1";
    st.u.progress.value = 1000000;
    st.u.progress.note = "";
    return sign(&st, &head2_kp);
}

/* ---- logs, checkpoints, the trust file ------------------------------------- */

static void log_open(test_log *t, const char *file, const char *origin)
{
    char path[400];
    gs_error err = {0};
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    memset(t, 0, sizeof *t);
    if (gs_store_open(&t->store, path, &err) != 0 ||
        gs_log_open(&t->log, t->store, origin, true, &err) != 0)
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

/* A checkpoint of t at size, signed by kp under the key name origin, and
 * cosigned by witness (NULL: not cosigned) under WITNESS. */
static char *checkpoint(test_log *t, uint64_t size, const char *origin, const gs_keypair *kp,
                        const gs_keypair *witness)
{
    gs_hash root;
    char *body = NULL, *note = NULL, *line = NULL;
    gs_error err = {0};
    if (gs_log_root_at(t->log, size, &root, &err) != 0 ||
        gs_checkpoint_format(origin, size, &root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), origin, kp, &note, &err) != 0)
        fail_msg("checkpoint at %llu: %s", (unsigned long long)size, err.msg);
    if (witness != NULL) {
        if (gs_cosignature_sign(body, strlen(body), WITNESS, witness, T0 + 86400, &line, &err))
            fail_msg("cosignature: %s", err.msg);
        size_t n = strlen(note), k = strlen(line);
        char *both = malloc(n + k + 1);
        assert_non_null(both);
        memcpy(both, note, n);
        memcpy(both + n, line, k + 1);
        free(note);
        note = both;
    }
    free(body);
    free(line);
    return note;
}

static void vkey_line(char *out, size_t cap, const char *what, const char *name, uint8_t alg,
                      const gs_keypair *kp)
{
    gs_vkey vk;
    char s[GS_VKEY_STR_MAX];
    gs_error err = {0};
    if (gs_vkey_make(&vk, name, alg, &kp->pub, &err) != 0 ||
        gs_vkey_format(&vk, s, sizeof s, &err) != 0)
        fail_msg("vkey %s: %s", name, err.msg);
    size_t n = strlen(out);
    if (strcmp(what, "witness") == 0)
        snprintf(out + n, cap - n, "witness %s %s\n", name, s);
    else
        snprintf(out + n, cap - n, "log %s\n", s);
}

static int setup(void **state)
{
    (void)state;
    gs_error err = {0};
    char trust[2048] = "";
    if (gs_crypto_init(&err) != 0)
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs-test-bundle-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    seed_key(&node_kp, 1);
    seed_key(&other_kp, 2);
    seed_key(&head_kp, 3);
    seed_key(&head2_kp, 4);
    seed_key(&officer_kp, 5);
    seed_key(&citizen_kp, 6);
    seed_key(&witness_kp, 7);
    seed_key(&rogue_kp, 8);

    log_open(&main_log, "main.db", ORIGIN);
    log_add(&main_log, charter(ORIGIN, "an-binh", &node_kp));
    log_add(&main_log, appointment(2, &head_kp, GS_ROLE_HEAD, "Nguyen Van A", "Chu tich"));
    log_add(&main_log, appointment(3, &officer_kp, GS_ROLE_OFFICER, "Tran Thi B", ""));
    log_add(&main_log, commitment());
    log_add(&main_log, feedback(ORIGIN, 1, "the road to the school is broken"));
    log_add(&main_log, key_rotation());
    log_add(&main_log, progress());
    log_add(&main_log, feedback(ORIGIN, 2, "a third of it is done"));
    assert_int_equal(main_log.n, LOG_SIZE);

    log_open(&other_log, "other.db", OTHER_ORIGIN);
    log_add(&other_log, charter(OTHER_ORIGIN, "binh-an", &other_kp));
    log_add(&other_log, feedback(OTHER_ORIGIN, 1, "hello"));
    log_add(&other_log, feedback(OTHER_ORIGIN, 2, "hello again"));
    assert_int_equal(other_log.n, OTHER_SIZE);

    cosigned = checkpoint(&main_log, LOG_SIZE, ORIGIN, &node_kp, &witness_kp);
    other_cosigned = checkpoint(&other_log, OTHER_SIZE, OTHER_ORIGIN, &other_kp, &witness_kp);

    vkey_line(trust, sizeof trust, "log", ORIGIN, GS_VKEY_ALG_ED25519, &node_kp);
    vkey_line(trust, sizeof trust, "log", OTHER_ORIGIN, GS_VKEY_ALG_ED25519, &other_kp);
    vkey_line(trust, sizeof trust, "witness", WITNESS, GS_VKEY_ALG_COSIGNATURE_V1, &witness_kp);
    strcat(trust, "quorum " WITNESS "\n");
    if (gs_policy_parse(trust, strlen(trust), "test.policy", &policy, &err) != 0) {
        fprintf(stderr, "trust file: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    log_close(&main_log);
    log_close(&other_log);
    free(cosigned);
    free(other_cosigned);
    gs_policy_free(&policy);
    gs_keypair_wipe(&node_kp);
    gs_keypair_wipe(&other_kp);
    gs_keypair_wipe(&head_kp);
    gs_keypair_wipe(&head2_kp);
    gs_keypair_wipe(&officer_kp);
    gs_keypair_wipe(&citizen_kp);
    gs_keypair_wipe(&witness_kp);
    gs_keypair_wipe(&rogue_kp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- bundles ----------------------------------------------------------------- */

static gs_buf copy_buf(const gs_buf *b)
{
    gs_buf c = {malloc(b->n), b->n};
    assert_non_null(c.p);
    memcpy(c.p, b->p, b->n);
    return c;
}

static void prove(test_log *t, uint64_t index, uint64_t size, gs_hash **out, size_t *n)
{
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    gs_error err = {0};
    if (gs_log_prove_inclusion(t->log, index, size, proof, n, &err) != 0)
        fail_msg("proof of %llu: %s", (unsigned long long)index, err.msg);
    *out = malloc((*n + 1) * sizeof **out);
    assert_non_null(*out);
    memcpy(*out, proof, *n * sizeof **out);
}

#define NO_SIGNER UINT64_MAX

/* The bundle `giamsat export` would write for entry index of the main log
 * under the cosigned checkpoint, with the signer's appointment at
 * signer_index (NO_SIGNER: none). */
static gs_bundle build(uint64_t index, uint64_t signer_index)
{
    gs_bundle b = {0};
    b.origin = strdup(ORIGIN);
    b.checkpoint = strdup(cosigned);
    assert_non_null(b.origin);
    assert_non_null(b.checkpoint);
    b.index = index;
    b.entry = copy_buf(&main_log.entries[index]);
    prove(&main_log, index, LOG_SIZE, &b.inclusion_proof, &b.n_inclusion_proof);
    if (signer_index != NO_SIGNER) {
        b.signer_index = signer_index;
        b.signer_entry = copy_buf(&main_log.entries[signer_index]);
        prove(&main_log, signer_index, LOG_SIZE, &b.signer_inclusion_proof,
              &b.n_signer_inclusion_proof);
    }
    return b;
}

static int verify(const gs_bundle *b, gs_bundle_result *res, gs_error *err)
{
    gs_buf enc = {0};
    gs_error e = {0};
    if (gs_wire_encode_bundle(b, &enc, &e) != 0)
        fail_msg("encoding the bundle: %s", e.msg);
    int rc = gs_bundle_verify(policy, gs_bytes_of(enc.p, enc.n), res, err);
    gs_buf_free(&enc);
    return rc;
}

static void expect_ok(const gs_bundle *b, gs_bundle_result *res, const char *what)
{
    gs_error err = {0};
    if (verify(b, res, &err) != 0)
        fail_msg("%s: expected it to verify, got %s: %s", what, gs_error_name(err.code), err.msg);
}

/* Refused with GS_EVERIFY and a sentence containing want; what was decoded
 * stays in the result. */
static void expect_fail(const gs_bundle *b, const char *want, const char *what)
{
    gs_bundle_result res;
    gs_error err = {0};
    int rc = verify(b, &res, &err);
    if (rc != GS_EVERIFY)
        fail_msg("%s: expected verify, got %s: %s", what, gs_error_name(rc), err.msg);
    if (strstr(err.msg, want) == NULL)
        fail_msg("%s: message \"%s\" does not contain \"%s\"", what, err.msg, want);
    assert_non_null(res.bundle.origin);
    assert_string_equal(res.bundle.origin, b->origin);
    gs_bundle_result_clear(&res);
}

/* ---- accepted ------------------------------------------------------------------ */

static void test_member(void **state)
{
    (void)state;
    gs_bundle b = build(3, 1);
    gs_bundle_result res;
    gs_hash leaf;
    gs_error err = {0};
    expect_ok(&b, &res, "the head's commitment with the head's appointment");
    assert_int_equal(res.signer, GS_BUNDLE_SIGNER_MEMBER);
    assert_int_equal(res.role, GS_ROLE_HEAD);
    assert_int_equal(res.appointment_kind, GS_BODY_APPOINTMENT);
    assert_string_equal(res.name, "Nguyen Van A");
    assert_string_equal(res.title, "Chu tich");
    assert_null(res.unit);
    assert_int_equal(res.statement.kind, GS_BODY_COMMITMENT);
    assert_string_equal(res.statement.u.commitment.title, TITLE);
    assert_int_equal(gs_log_leaf_hash(main_log.log, 3, &leaf, &err), 0);
    assert_memory_equal(res.leaf.b, leaf.b, 32);
    /* The checkpoint as the trust file sees it: the log key, one witness. */
    assert_string_equal(res.checkpoint.cp.origin, ORIGIN);
    assert_int_equal(res.checkpoint.cp.size, LOG_SIZE);
    assert_string_equal(res.checkpoint.log_key.name, ORIGIN);
    assert_int_equal(res.checkpoint.n_witnesses, 1);
    assert_string_equal(res.checkpoint.witness[0], WITNESS);
    assert_int_equal(res.checkpoint.witness_time[0], T0 + 86400);
    assert_string_equal(res.checkpoint.quorum, WITNESS);
    gs_bundle_result_clear(&res);
    gs_bundle_clear(&b);
}

static void test_citizen_log_key_rotated(void **state)
{
    (void)state;
    gs_bundle_result res;

    gs_bundle b = build(4, NO_SIGNER);
    expect_ok(&b, &res, "a citizen's feedback without an appointment");
    assert_int_equal(res.signer, GS_BUNDLE_SIGNER_CITIZEN);
    assert_null(res.name);
    gs_bundle_result_clear(&res);
    gs_bundle_clear(&b);

    b = build(2, 0);
    expect_ok(&b, &res, "the log key's appointment with the Charter");
    assert_int_equal(res.signer, GS_BUNDLE_SIGNER_LOG_KEY);
    assert_int_equal(res.appointment_kind, GS_BODY_CHARTER);
    assert_string_equal(res.unit, "Xa An Binh");
    gs_bundle_result_clear(&res);
    gs_bundle_clear(&b);

    b = build(6, 5);
    expect_ok(&b, &res, "progress on the head's rotated key");
    assert_int_equal(res.signer, GS_BUNDLE_SIGNER_ROTATED_KEY);
    assert_int_equal(res.appointment_kind, GS_BODY_KEY_ROTATION);
    gs_bundle_result_clear(&res);
    gs_bundle_clear(&b);

    /* The first entry and the last. */
    b = build(0, 0);
    expect_ok(&b, &res, "the Charter standing for itself");
    assert_int_equal(res.signer, GS_BUNDLE_SIGNER_LOG_KEY);
    gs_bundle_result_clear(&res);
    gs_bundle_clear(&b);
    b = build(LOG_SIZE - 1, NO_SIGNER);
    expect_ok(&b, &res, "the last entry");
    gs_bundle_result_clear(&res);
    gs_bundle_clear(&b);
}

/* ---- tampered ------------------------------------------------------------------ */

static uint8_t *find(gs_buf *e, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= e->n; i++)
        if (memcmp(e->p + i, s, k) == 0)
            return e->p + i;
    fail_msg("\"%s\" is not in the entry", s);
    return NULL;
}

static void test_altered_statement(void **state)
{
    (void)state;
    gs_bundle b = build(3, 1);
    /* What the head committed to, rewritten after signing. */
    uint8_t *t = find(&b.entry, TITLE);
    t[0] = 'R';
    expect_fail(&b, "the entry was altered: its signature does not verify", "altered title");
    t[0] = 'r';
    /* The signature itself (the last field). */
    b.entry.p[b.entry.n - 1] ^= 0x40;
    expect_fail(&b, "the entry was altered", "altered signature");
    b.entry.p[b.entry.n - 1] ^= 0x40;
    /* Not a signed statement at all. */
    b.entry.p[0] ^= 0xff;
    expect_fail(&b, "not a well-formed signed statement", "garbled entry");
    b.entry.p[0] ^= 0xff;
    /* The appointment that gives the standing, rewritten. */
    t = find(&b.signer_entry, "Nguyen Van A");
    t[0] = 'X';
    expect_fail(&b, "the signer's appointment was altered", "altered appointment");
    t[0] = 'N';
    gs_bundle_result res;
    expect_ok(&b, &res, "restored");
    gs_bundle_result_clear(&res);
    gs_bundle_clear(&b);
}

static void test_wrong_proof(void **state)
{
    (void)state;
    gs_bundle b = build(3, 1);
    b.inclusion_proof[0].b[7] ^= 1;
    expect_fail(&b, "the inclusion proof does not lead to the checkpoint's root", "flipped hash");
    b.inclusion_proof[0].b[7] ^= 1;
    b.n_inclusion_proof--;
    expect_fail(&b, "the inclusion proof does not lead", "a hash short");
    b.n_inclusion_proof++;
    /* The right proof for the wrong index. */
    b.index = 4;
    expect_fail(&b, "entry 4 is not proven", "another index");
    b.index = 3;
    /* The appointment's proof. */
    b.signer_inclusion_proof[1].b[0] ^= 1;
    expect_fail(&b, "the signer's appointment is not in the checkpoint's tree", "appointment");
    b.signer_inclusion_proof[1].b[0] ^= 1;
    gs_bundle_clear(&b);

    /* An entry that is not in the log at all, with the proof of the one it
     * replaces. */
    b = build(4, NO_SIGNER);
    gs_buf_free(&b.entry);
    b.entry = feedback(ORIGIN, 9, "never logged");
    expect_fail(&b, "the inclusion proof does not lead", "an entry never logged");
    gs_bundle_clear(&b);
}

static void test_checkpoint_of_another_log(void **state)
{
    (void)state;
    gs_bundle b = build(3, 1);
    /* The other log's checkpoint, trusted for that log. */
    gs_wire_free(b.checkpoint);
    b.checkpoint = strdup(other_cosigned);
    expect_fail(&b, "the checkpoint is for " OTHER_ORIGIN ", not " ORIGIN, "other checkpoint");
    /* The bundle claims the other log: the statement says otherwise. */
    gs_wire_free(b.origin);
    b.origin = strdup(OTHER_ORIGIN);
    b.index = 1;
    expect_fail(&b, "the statement is addressed to " ORIGIN ", not to the bundle's log",
                "claimed for another log");
    gs_bundle_clear(&b);

    /* This log's checkpoint, but signed by another log's key. */
    b = build(3, 1);
    gs_wire_free(b.checkpoint);
    b.checkpoint = checkpoint(&main_log, LOG_SIZE, ORIGIN, &other_kp, &witness_kp);
    expect_fail(&b, "not signed by the log key the trust file lists", "wrong log key");
    gs_bundle_clear(&b);

    /* A log the trust file does not list. */
    b = build(3, 1);
    gs_wire_free(b.origin);
    b.origin = strdup("giamsat/commune/unknown");
    gs_wire_free(b.checkpoint);
    b.checkpoint =
        checkpoint(&main_log, LOG_SIZE, "giamsat/commune/unknown", &rogue_kp, &witness_kp);
    expect_fail(&b, "giamsat/commune/unknown", "unlisted log");
    gs_bundle_clear(&b);
}

static void test_missing_quorum(void **state)
{
    (void)state;
    gs_bundle b = build(3, 1);
    gs_wire_free(b.checkpoint);
    b.checkpoint = checkpoint(&main_log, LOG_SIZE, ORIGIN, &node_kp, NULL);
    expect_fail(&b, "checkpoint below quorum: 0 of 1 witnesses", "no cosignature");
    /* A cosignature under the witness's name by a key the trust file does
     * not list does not count. */
    gs_wire_free(b.checkpoint);
    b.checkpoint = checkpoint(&main_log, LOG_SIZE, ORIGIN, &node_kp, &rogue_kp);
    expect_fail(&b, "checkpoint below quorum", "a rogue cosigner");
    gs_bundle_clear(&b);
}

static void test_standing(void **state)
{
    (void)state;
    gs_bundle b = build(3, 2);
    expect_fail(&b, "does not appoint the key that signed the statement", "someone else's");
    gs_bundle_clear(&b);
    b = build(3, NO_SIGNER);
    expect_fail(&b, "carries no appointment for the signer", "a commitment without one");
    gs_bundle_clear(&b);
    b = build(3, 4);
    expect_fail(&b, "comes after the statement", "an appointment after the statement");
    gs_bundle_clear(&b);
    b = build(7, 4);
    expect_fail(&b, "(entry 4) is a feedback, which appoints nobody", "a feedback as appointment");
    gs_bundle_clear(&b);
    b = build(3, 0);
    expect_fail(&b, "does not appoint the key", "the Charter for a member");
    gs_bundle_clear(&b);
    b = build(6, 1);
    expect_fail(&b, "does not appoint the key", "the old key's appointment for the new key");
    gs_bundle_clear(&b);
}

static void test_not_a_bundle(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0x01, 0x02};
    gs_bundle_result res;
    gs_error err = {0};
    assert_int_equal(gs_bundle_verify(policy, gs_bytes_of(junk, sizeof junk), &res, &err),
                     GS_EVERIFY);
    assert_non_null(strstr(err.msg, "this is not a giamsat bundle"));
    assert_null(res.bundle.origin);
    gs_bundle_result_clear(&res);

    /* An entry beyond the checkpoint. */
    gs_bundle b = build(5, NO_SIGNER);
    gs_wire_free(b.checkpoint);
    b.checkpoint = checkpoint(&main_log, 4, ORIGIN, &node_kp, &witness_kp);
    expect_fail(&b, "entry 5 is beyond the checkpoint, which covers 4 entries", "beyond");
    gs_bundle_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member),
        cmocka_unit_test(test_citizen_log_key_rotated),
        cmocka_unit_test(test_altered_statement),
        cmocka_unit_test(test_wrong_proof),
        cmocka_unit_test(test_checkpoint_of_another_log),
        cmocka_unit_test(test_missing_quorum),
        cmocka_unit_test(test_standing),
        cmocka_unit_test(test_not_a_bundle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
