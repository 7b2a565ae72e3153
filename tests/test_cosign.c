/* test_cosign.c — the witness side of AddCheckpoint: every verdict of
 * cosign.h's order, from real checkpoints (C2SP signed notes over real
 * RFC 6962 trees kept in a real store) and real consistency proofs, and the
 * tampered requests a hostile client would send. */
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

#include "cosign.h"
#include "log.h"

#define ORIGIN "giamsat/commune/an-binh"

static char tmpdir[256];
static gs_keypair log_kp, other_kp;

/* Two logs sharing their first 3 entries, then different: a rewrite. */
static gs_store *store_a, *store_b;
static gs_log *log_a, *log_b;

/* The witness under test: what a hub or monitor would answer from. */
typedef struct {
    bool follows;
    bool frozen;
    uint64_t size;
    gs_hash root;
} fake_witness;

static int w_log_key(void *ctx, const char *origin, gs_vkey *key, gs_error *err)
{
    fake_witness *f = ctx;
    if (!f->follows || strcmp(origin, ORIGIN) != 0)
        return gs_error_set(err, GS_ENOTFOUND, "this witness does not follow %s", origin);
    gs_error e = {0};
    if (gs_vkey_make(key, ORIGIN, GS_VKEY_ALG_ED25519, &log_kp.pub, &e) != 0)
        fail_msg("verifier key: %s", e.msg);
    return 0;
}

static bool w_frozen(void *ctx, const char *origin, char *why, size_t cap)
{
    (void)origin;
    fake_witness *f = ctx;
    if (f->frozen && why != NULL)
        snprintf(why, cap, "a split view recorded earlier");
    return f->frozen;
}

static int w_latest(void *ctx, const char *origin, uint64_t *size, gs_hash *root, gs_error *err)
{
    (void)origin;
    (void)err;
    fake_witness *f = ctx;
    *size = f->size;
    *root = f->root;
    return 0;
}

static gs_cosign_witness witness_of(fake_witness *f)
{
    gs_cosign_witness w = {.log_key = w_log_key,
                           .frozen = w_frozen,
                           .latest = w_latest,
                           .ctx = f,
                           .name = "witness giamsat/hub/test",
                           .max_size = 1000};
    return w;
}

static void add_entries(gs_log *l, const char *tag, int from, int to)
{
    gs_error err = {0};
    for (int i = from; i < to; i++) {
        char e[64];
        int n = snprintf(e, sizeof e, "%s entry %d", tag, i);
        gs_bytes b = gs_bytes_of((const uint8_t *)e, (size_t)n);
        if (gs_log_append(l, &b, 1, NULL, &err) != 0)
            fail_msg("append: %s", err.msg);
    }
}

static char *checkpoint(gs_log *l, uint64_t size, const gs_keypair *kp)
{
    gs_hash root;
    char *body = NULL, *note = NULL;
    gs_error err = {0};
    if (gs_log_root_at(l, size, &root, &err) != 0 ||
        gs_checkpoint_format(ORIGIN, size, &root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), ORIGIN, kp, &note, &err) != 0)
        fail_msg("checkpoint: %s", err.msg);
    free(body);
    return note;
}

static void root_at(gs_log *l, uint64_t size, gs_hash *out)
{
    gs_error err = {0};
    if (gs_log_root_at(l, size, out, &err) != 0)
        fail_msg("root: %s", err.msg);
}

static size_t proof(gs_log *l, uint64_t m, uint64_t n, gs_hash *out)
{
    size_t np = 0;
    gs_error err = {0};
    if (gs_log_prove_consistency(l, m, n, out, &np, &err) != 0)
        fail_msg("proof: %s", err.msg);
    return np;
}

static gs_cosign_verdict judge(fake_witness *f, const char *note, uint64_t old, const gs_hash *p,
                               size_t np, gs_cosign_result *r)
{
    gs_cosign_witness w = witness_of(f);
    gs_error err = {0};
    if (gs_cosign_judge(&w, note, old, p, np, r, &err) != 0)
        fail_msg("judge failed: %s", err.msg);
    return r->verdict;
}

static void test_verdicts(void **state)
{
    (void)state;
    gs_cosign_result r;
    gs_hash p[GS_MERKLE_MAX_PROOF];
    char *cp5 = checkpoint(log_a, 5, &log_kp), *cp8 = checkpoint(log_a, 8, &log_kp);
    fake_witness f = {.follows = true};

    /* A first checkpoint: nothing held yet, old size 0. */
    assert_int_equal(judge(&f, cp5, 0, NULL, 0, &r), GS_COSIGN_PROCEED);
    assert_int_equal(r.cp.size, 5);
    gs_cosign_result_clear(&r);

    /* The witness now holds 5. */
    f.size = 5;
    root_at(log_a, 5, &f.root);
    size_t np = proof(log_a, 5, 8, p);
    assert_int_equal(judge(&f, cp8, 5, p, np, &r), GS_COSIGN_PROCEED);
    assert_int_equal(gs_cosign_status(r.verdict), GS_STATUS_OK);
    gs_cosign_result_clear(&r);

    /* The same checkpoint again, whatever old size is claimed. */
    assert_int_equal(judge(&f, cp5, 3, NULL, 0, &r), GS_COSIGN_SAME);
    gs_cosign_result_clear(&r);

    /* A stale old size: CONFLICT with the witness's size. */
    assert_int_equal(judge(&f, cp8, 4, p, np, &r), GS_COSIGN_CONFLICT);
    assert_int_equal(r.latest_size, 5);
    assert_int_equal(gs_cosign_status(r.verdict), GS_STATUS_CONFLICT);
    assert_non_null(strstr(r.message, "size 5"));
    gs_cosign_result_clear(&r);

    /* old > size (the same checkpoint would have been answered first). */
    assert_int_equal(judge(&f, cp8, 9, NULL, 0, &r), GS_COSIGN_BAD_REQUEST);
    assert_non_null(strstr(r.message, "larger than"));
    gs_cosign_result_clear(&r);

    /* A proof that is not a proof (one hash flipped). */
    p[0].b[0] ^= 1;
    assert_int_equal(judge(&f, cp8, 5, p, np, &r), GS_COSIGN_BAD_PROOF);
    assert_non_null(strstr(r.message, "does not verify"));
    assert_int_equal(gs_cosign_status(r.verdict), GS_STATUS_INVALID_ARGUMENT);
    gs_cosign_result_clear(&r);

    /* From old size 0 the proof must be empty (tlog-witness). */
    f.size = 0;
    assert_int_equal(judge(&f, cp8, 0, p, 1, &r), GS_COSIGN_BAD_PROOF);
    assert_non_null(strstr(r.message, "needs no consistency proof"));
    gs_cosign_result_clear(&r);
    assert_int_equal(judge(&f, cp8, 0, NULL, 0, &r), GS_COSIGN_PROCEED);
    gs_cosign_result_clear(&r);

    free(cp5);
    free(cp8);
}

static void test_refusals(void **state)
{
    (void)state;
    gs_cosign_result r;
    char *cp5 = checkpoint(log_a, 5, &log_kp);
    char *forged = checkpoint(log_a, 5, &other_kp);
    fake_witness f = {.follows = true};

    assert_int_equal(judge(&f, "not a note", 0, NULL, 0, &r), GS_COSIGN_BAD_REQUEST);
    gs_cosign_result_clear(&r);
    assert_int_equal(judge(&f, NULL, 0, NULL, 0, &r), GS_COSIGN_BAD_REQUEST);
    gs_cosign_result_clear(&r);

    /* Signed by another key under the log's name. */
    assert_int_equal(judge(&f, forged, 0, NULL, 0, &r), GS_COSIGN_BAD_SIGNATURE);
    assert_int_equal(gs_cosign_status(r.verdict), GS_STATUS_UNAUTHENTICATED);
    gs_cosign_result_clear(&r);

    fake_witness stranger = {.follows = false};
    assert_int_equal(judge(&stranger, cp5, 0, NULL, 0, &r), GS_COSIGN_UNKNOWN_LOG);
    assert_int_equal(gs_cosign_status(r.verdict), GS_STATUS_NOT_FOUND);
    gs_cosign_result_clear(&r);

    fake_witness frozen = {.follows = true, .frozen = true};
    assert_int_equal(judge(&frozen, cp5, 0, NULL, 0, &r), GS_COSIGN_FROZEN);
    assert_non_null(strstr(r.message, "split view recorded earlier"));
    assert_int_equal(gs_cosign_status(r.verdict), GS_STATUS_PERMISSION_DENIED);
    gs_cosign_result_clear(&r);

    /* Beyond what the witness records. */
    fake_witness small = {.follows = true};
    gs_cosign_witness w = witness_of(&small);
    w.max_size = 4;
    gs_error err = {0};
    assert_int_equal(gs_cosign_judge(&w, cp5, 0, NULL, 0, &r, &err), 0);
    assert_int_equal(r.verdict, GS_COSIGN_BAD_REQUEST);
    gs_cosign_result_clear(&r);

    free(cp5);
    free(forged);
}

/* Log b shares a's first 3 entries and then differs. */
static void test_split_view_and_rewrite(void **state)
{
    (void)state;
    gs_cosign_result r;
    gs_hash p[GS_MERKLE_MAX_PROOF];
    fake_witness f = {.follows = true, .size = 5};
    root_at(log_a, 5, &f.root);

    /* b's checkpoint at the witness's size, another root. */
    char *b5 = checkpoint(log_b, 5, &log_kp);
    assert_int_equal(judge(&f, b5, 5, NULL, 0, &r), GS_COSIGN_SPLIT_VIEW);
    assert_int_equal(gs_cosign_status(r.verdict), GS_STATUS_CONFLICT);
    gs_cosign_result_clear(&r);

    /* b's checkpoint at 8 with b's own honest proof from ITS size 5: the
     * proof reaches b's signed root from b's root at 5, not the one the
     * witness holds — a rewritten history (5 is not a power of two). */
    char *b8 = checkpoint(log_b, 8, &log_kp);
    size_t np = proof(log_b, 5, 8, p);
    assert_int_equal(judge(&f, b8, 5, p, np, &r), GS_COSIGN_REWRITE);
    assert_non_null(strstr(r.message, "rewrote its history"));
    gs_cosign_result_clear(&r);

    /* From a power-of-two size the proof cannot show its old root: it just
     * does not verify. */
    fake_witness g = {.follows = true, .size = 4};
    root_at(log_a, 4, &g.root);
    np = proof(log_b, 4, 8, p);
    assert_int_equal(judge(&g, b8, 4, p, np, &r), GS_COSIGN_BAD_PROOF);
    gs_cosign_result_clear(&r);

    free(b5);
    free(b8);
}

static int setup(void **state)
{
    (void)state;
    gs_error err = {0};
    char path[400];
    uint8_t seed[32];
    if (sodium_init() < 0)
        return -1;
    memset(seed, 7, sizeof seed);
    gs_keypair_from_seed(&log_kp, seed);
    memset(seed, 8, sizeof seed);
    gs_keypair_from_seed(&other_kp, seed);
    snprintf(tmpdir, sizeof tmpdir, "%s/gs-test-cosign-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/a.db", tmpdir);
    if (gs_store_open(&store_a, path, &err) != 0 ||
        gs_log_open(&log_a, store_a, ORIGIN, true, &err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/b.db", tmpdir);
    if (gs_store_open(&store_b, path, &err) != 0 ||
        gs_log_open(&log_b, store_b, ORIGIN, true, &err) != 0)
        return -1;
    add_entries(log_a, "same", 0, 3);
    add_entries(log_b, "same", 0, 3);
    add_entries(log_a, "a", 3, 8);
    add_entries(log_b, "b", 3, 8);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    gs_log_close(&log_a);
    gs_log_close(&log_b);
    gs_store_close(&store_a);
    gs_store_close(&store_b);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The tlog-witness request body: what parses, and each malformed shape
 * refused with a sentence. */
static void test_parse_body(void **state)
{
    (void)state;
    gs_hash proof[GS_COSIGN_MAX_PROOF_LINES];
    size_t np;
    uint64_t old;
    const char *note;
    size_t nl;
    gs_error err;
    static const char note_text[] =
        "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 o AAAA\n";
    char *b = NULL;
    size_t bl = 0;

#define PARSE(s) gs_cosign_parse_body((s), strlen(s), &old, proof, &np, &note, &nl, &err)
    const char *good = "old 20852014\n"
                       "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
                       "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
                       "\n"
                       "example.com/behind-the-sofa\n20852163\n";
    assert_int_equal(PARSE(good), 0);
    assert_int_equal(old, 20852014);
    assert_int_equal(np, 2);
    assert_int_equal(proof[0].b[0], 0x3e);
    assert_string_equal(note, "example.com/behind-the-sofa\n20852163\n");
    assert_int_equal(PARSE("old 0\n\nx\n"), 0);
    assert_int_equal(old, 0);
    assert_int_equal(np, 0);

    static const struct {
        const char *body, *why;
    } bad[] = {
        {"", "\"old <size>\""},
        {"old 5", "\"old <size>\""},
        {"old \n\nx", "\"old <size>\""},
        {"Old 5\n\nx", "\"old <size>\""},
        {"old 05\n\nx", "leading zero"},
        {"old -1\n\nx", "not a decimal"},
        {"old 5 \n\nx", "not a decimal"},
        {"old 5\r\n\r\nx", "byte 0x0d at position 2"},
        {"old 99999999999999999999\n\nx", "64 bits"},
        {"old 100000000000000000000\n\nx", "21 characters"},
        {"old 5\nx", "no empty line"},
        {"old 5\n", "no empty line"},
        {"old 5\n\n", "no checkpoint"},
        {"old 5\nnot base64\n\nx", "line 1 is not the base64"},
        {"old 5\nAAAA\n\nx", "line 1 is not the base64"},
        {"old 5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\nx", "line 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_error_clear(&err);
        if (PARSE(bad[i].body) != GS_EINVAL || strstr(err.msg, bad[i].why) == NULL)
            fail_msg("body %zu (%s): want \"%s\", got \"%s\"", i, bad[i].body, bad[i].why, err.msg);
    }
    /* A NUL inside the note. */
    assert_int_equal(
        gs_cosign_parse_body("old 0\n\na\0b\n", 10, &old, proof, &np, &note, &nl, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "NUL"));

    /* 63 proof lines parse, 64 do not. */
    FILE *m = open_memstream(&b, &bl);
    assert_non_null(m);
    fputs("old 7\n", m);
    for (int i = 0; i < GS_COSIGN_MAX_PROOF_LINES; i++)
        fputs("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", m);
    fputs("\n", m);
    fputs(note_text, m);
    fclose(m);
    assert_int_equal(PARSE(b), 0);
    assert_int_equal(np, GS_COSIGN_MAX_PROOF_LINES);
    free(b);
    m = open_memstream(&b, &bl);
    assert_non_null(m);
    fputs("old 7\n", m);
    for (int i = 0; i <= GS_COSIGN_MAX_PROOF_LINES; i++)
        fputs("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", m);
    fputs("\n", m);
    fputs(note_text, m);
    fclose(m);
    assert_int_equal(PARSE(b), GS_EINVAL);
    assert_non_null(strstr(err.msg, "more than 63"));
    free(b);

    /* A note beyond GS_NOTE_MAX, and a body beyond GS_COSIGN_MAX_BODY. */
    size_t big = GS_COSIGN_MAX_BODY + 1;
    b = malloc(big + 1);
    assert_non_null(b);
    memcpy(b, "old 0\n\n", 7);
    memset(b + 7, 'a', big - 7);
    b[GS_NOTE_MAX + 8] = '\0';
    assert_int_equal(PARSE(b), GS_EINVAL);
    assert_non_null(strstr(err.msg, "limit"));
    b[GS_NOTE_MAX + 8] = 'a';
    b[big] = '\0';
    assert_int_equal(PARSE(b), GS_ETOOBIG);
    free(b);
#undef PARSE
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_split_view_and_rewrite),
        cmocka_unit_test(test_parse_body),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
