/* test_log.c — a log over the store: appends, roots at past sizes, proofs,
 * group commit over several logs, checkpoints, and durability under kill -9.
 *
 * Expected values come from the RFC 6962 reference vectors
 * (tests/vectors/rfc6962-roots.txt, rfc6962-proofs.txt), from an independent
 * recursive MTH and an independent frontier written here with libsodium, and
 * from Ed25519 verification with libsodium. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "log.h"
#include "note.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs-test-log-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void db_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void assert_contains(const char *msg, const char *want)
{
    if (strstr(msg, want) == NULL)
        fail_msg("message \"%s\" does not contain \"%s\"", msg, want);
}

/* ---- independent RFC 6962 hashing (libsodium) ------------------------------ */

static void leaf_hash(const uint8_t *p, size_t n, uint8_t out[32])
{
    crypto_hash_sha256_state st;
    uint8_t z = 0;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &z, 1);
    crypto_hash_sha256_update(&st, p, n);
    crypto_hash_sha256_final(&st, out);
}

static void node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
    crypto_hash_sha256_state st;
    uint8_t one = 1;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &one, 1);
    crypto_hash_sha256_update(&st, l, 32);
    crypto_hash_sha256_update(&st, r, 32);
    crypto_hash_sha256_final(&st, out);
}

static size_t make_entry(uint64_t i, uint8_t *buf, size_t cap)
{
    size_t len = 20 + (size_t)(i * 13 % 200);
    char tag[32];
    int t = snprintf(tag, sizeof tag, "statement %llu|", (unsigned long long)i);
    if (len > cap)
        len = cap;
    for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)tag[k % (size_t)t];
    return len;
}

static void mth(uint64_t begin, uint64_t end, uint8_t out[32])
{
    if (end == begin) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    if (end - begin == 1) {
        uint8_t buf[256];
        size_t n = make_entry(begin, buf, sizeof buf);
        leaf_hash(buf, n, out);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < end - begin)
        k *= 2;
    uint8_t l[32], r[32];
    mth(begin, begin + k, l);
    mth(begin + k, end, r);
    node_hash(l, r, out);
}

/* A stack of perfect subtrees (sizes strictly decreasing), merged as leaves
 * come: the root is the stack folded from the right. */
typedef struct {
    uint8_t h[64][32];
    uint64_t sz[64];
    int n;
} stack_tree;

static void stack_push(stack_tree *t, const uint8_t leaf[32])
{
    memcpy(t->h[t->n], leaf, 32);
    t->sz[t->n] = 1;
    t->n++;
    while (t->n >= 2 && t->sz[t->n - 1] == t->sz[t->n - 2]) {
        node_hash(t->h[t->n - 2], t->h[t->n - 1], t->h[t->n - 2]);
        t->sz[t->n - 2] *= 2;
        t->n--;
    }
}

static void stack_root(const stack_tree *t, uint8_t out[32])
{
    if (t->n == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    memcpy(out, t->h[t->n - 1], 32);
    for (int i = t->n - 2; i >= 0; i--)
        node_hash(t->h[i], out, out);
}

/* ---- helpers ---------------------------------------------------------------- */

static void open_log(const char *name, gs_store **s, gs_log **l, const char *origin)
{
    char path[300];
    gs_error err;
    db_path(path, sizeof path, name);
    if (gs_store_open(s, path, &err) != 0)
        fail_msg("open store: %s", err.msg);
    if (gs_log_open(l, *s, origin, true, &err) != 0)
        fail_msg("open log: %s", err.msg);
}

/* Appends entries [from, to) of the sequence in one durable batch. */
static void append_seq(gs_log *l, uint64_t from, uint64_t to)
{
    static uint8_t bufs[512][256];
    gs_bytes e[512];
    gs_error err;
    assert_true(to - from <= 512);
    for (uint64_t i = from; i < to; i++) {
        size_t n = make_entry(i, bufs[i - from], sizeof bufs[0]);
        e[i - from] = gs_bytes_of(bufs[i - from], n);
    }
    uint64_t first = 0;
    if (gs_log_append(l, e, (size_t)(to - from), &first, &err) != 0)
        fail_msg("append: %s", err.msg);
    assert_int_equal(first, from);
}

static size_t hexline(char *line, const char *prefix, unsigned *a, unsigned *b, gs_hash *hs,
                      size_t cap)
{
    size_t pl = strlen(prefix);
    if (strncmp(line, prefix, pl) != 0)
        return (size_t)-1;
    char *p = line + pl, *end;
    *a = (unsigned)strtoul(p, &end, 10);
    p = end;
    *b = (unsigned)strtoul(p, &end, 10);
    p = end;
    size_t n = 0;
    while (n < cap) {
        while (*p == ' ')
            p++;
        if (strlen(p) < 64)
            break;
        assert_int_equal(sodium_hex2bin(hs[n].b, 32, p, 64, NULL, NULL, NULL), 0);
        n++;
        p += 64;
    }
    return n;
}

/* ---- tests -------------------------------------------------------------------- */

/* The RFC 6962 reference leaves appended one per batch: roots at every size
 * and the proofs the log produces are the published ones. */
static void test_rfc6962_vectors(void **state)
{
    (void)state;
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    open_log("vec.db", &s, &l, "vectors");

    FILE *f = fopen(GS_VECTORS "/rfc6962-roots.txt", "r");
    assert_non_null(f);
    uint8_t roots[9][32];
    char line[1024];
    while (fgets(line, sizeof line, f) != NULL) {
        char hex[200];
        unsigned a;
        if (sscanf(line, "leaf %u %199s", &a, hex) == 2) {
            uint8_t buf[64];
            size_t n = 0;
            if (strcmp(hex, "-") != 0)
                assert_int_equal(sodium_hex2bin(buf, sizeof buf, hex, strlen(hex), NULL, &n, NULL),
                                 0);
            gs_bytes e = gs_bytes_of(buf, n);
            uint64_t first;
            assert_int_equal(gs_log_append(l, &e, 1, &first, &err), 0);
            assert_int_equal(first, a);
        } else if (sscanf(line, "root %u %199s", &a, hex) == 2 && a <= 8) {
            assert_int_equal(sodium_hex2bin(roots[a], 32, hex, 64, NULL, NULL, NULL), 0);
        }
    }
    fclose(f);
    assert_int_equal(gs_log_size(l), 8);
    for (uint64_t m = 0; m <= 8; m++) {
        gs_hash r;
        if (gs_log_root_at(l, m, &r, &err) != 0)
            fail_msg("root_at %llu: %s", (unsigned long long)m, err.msg);
        assert_memory_equal(r.b, roots[m], 32);
    }

    f = fopen(GS_VECTORS "/rfc6962-proofs.txt", "r");
    assert_non_null(f);
    int checked = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        gs_hash want[GS_MERKLE_MAX_PROOF], got[GS_MERKLE_MAX_PROOF];
        unsigned a, b;
        size_t n, gn = 0;
        if ((n = hexline(line, "inclusion ", &a, &b, want, GS_MERKLE_MAX_PROOF)) != (size_t)-1) {
            if (gs_log_prove_inclusion(l, a, b, got, &gn, &err) != 0)
                fail_msg("inclusion %u %u: %s", a, b, err.msg);
        } else if ((n = hexline(line, "consistency ", &a, &b, want, GS_MERKLE_MAX_PROOF)) !=
                   (size_t)-1) {
            if (gs_log_prove_consistency(l, a, b, got, &gn, &err) != 0)
                fail_msg("consistency %u %u: %s", a, b, err.msg);
        } else {
            continue;
        }
        assert_int_equal(gn, n);
        for (size_t k = 0; k < n; k++)
            assert_memory_equal(got[k].b, want[k].b, 32);
        checked++;
    }
    fclose(f);
    assert_true(checked >= 10);
    gs_log_close(&l);
    gs_store_close(&s);
}

/* Batches of every size from 1 to 24 (300 entries): every root at a past
 * size is the independent MTH, every inclusion proof at many sizes and every
 * consistency proof between sampled sizes verifies. */
static void test_proofs_many_sizes(void **state)
{
    (void)state;
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    open_log("many.db", &s, &l, "giamsat/commune/many");
    uint64_t n = 0;
    for (uint64_t b = 1; n < 300; b++) {
        uint64_t to = n + b > 300 ? 300 : n + b;
        append_seq(l, n, to);
        n = to;
        gs_hash root;
        uint8_t want[32];
        gs_log_root(l, &root);
        mth(0, n, want);
        assert_memory_equal(root.b, want, 32);
    }
    /* Reopen: the log is rebuilt from the store. */
    gs_log_close(&l);
    gs_store_close(&s);
    open_log("many.db", &s, &l, "giamsat/commune/many");
    assert_int_equal(gs_log_size(l), 300);

    gs_hash roots[301];
    for (uint64_t m = 0; m <= 300; m++) {
        uint8_t want[32];
        assert_int_equal(gs_log_root_at(l, m, &roots[m], &err), 0);
        mth(0, m, want);
        assert_memory_equal(roots[m].b, want, 32);
    }
    static const uint64_t sizes[] = {1,   2,   3,   7,   8,   9,   31,  64,
                                     100, 127, 128, 129, 255, 256, 299, 300};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint64_t m = sizes[k];
        for (uint64_t i = 0; i < m; i++) {
            gs_hash proof[GS_MERKLE_MAX_PROOF], leaf;
            size_t pn;
            assert_int_equal(gs_log_prove_inclusion(l, i, m, proof, &pn, &err), 0);
            assert_int_equal(gs_log_leaf_hash(l, i, &leaf, &err), 0);
            if (gs_merkle_verify_inclusion(&leaf, i, m, proof, pn, &roots[m], &err) != 0)
                fail_msg("inclusion %llu in %llu: %s", (unsigned long long)i, (unsigned long long)m,
                         err.msg);
        }
        for (size_t j = 0; j <= k; j++) {
            gs_hash proof[GS_MERKLE_MAX_PROOF];
            size_t pn;
            uint64_t old = sizes[j];
            assert_int_equal(gs_log_prove_consistency(l, old, m, proof, &pn, &err), 0);
            if (gs_merkle_verify_consistency(old, m, &roots[old], &roots[m], proof, pn, &err) != 0)
                fail_msg("consistency %llu -> %llu: %s", (unsigned long long)old,
                         (unsigned long long)m, err.msg);
        }
    }
    /* Out of range requests are refused with a reason. */
    gs_hash proof[GS_MERKLE_MAX_PROOF], h;
    size_t pn;
    assert_int_equal(gs_log_prove_inclusion(l, 5, 301, proof, &pn, &err), GS_ENOTFOUND);
    assert_contains(err.msg, "has 300 entries, not 301");
    assert_int_equal(gs_log_prove_inclusion(l, 10, 10, proof, &pn, &err), GS_EINVAL);
    assert_int_equal(gs_log_prove_consistency(l, 0, 10, proof, &pn, &err), GS_EINVAL);
    assert_int_equal(gs_log_prove_consistency(l, 11, 10, proof, &pn, &err), GS_EINVAL);
    assert_int_equal(gs_log_root_at(l, 301, &h, &err), GS_ENOTFOUND);
    gs_buf e = {0};
    assert_int_equal(gs_log_entry(l, 300, &e, &err), GS_ENOTFOUND);
    assert_int_equal(gs_log_entry(l, 299, &e, &err), 0);
    uint8_t buf[256];
    size_t len = make_entry(299, buf, sizeof buf);
    assert_int_equal(e.n, len);
    assert_memory_equal(e.p, buf, len);
    gs_buf_free(&e);
    gs_log_close(&l);
    gs_store_close(&s);
}

/* A caller-controlled transaction over two logs of one store: size and root
 * include staged entries; a rollback restores both; a commit keeps both. */
static void test_group_commit_two_logs(void **state)
{
    (void)state;
    char path[300];
    gs_store *s = NULL;
    gs_log *a = NULL, *b = NULL;
    gs_error err;
    uint8_t want[32];
    gs_hash root;
    db_path(path, sizeof path, "group.db");
    assert_int_equal(gs_store_open(&s, path, &err), 0);
    assert_int_equal(gs_log_open(&a, s, "giamsat/hub/a", false, &err), GS_ENOTFOUND);
    assert_int_equal(gs_log_open(&a, s, "giamsat/hub/a", true, &err), 0);
    assert_int_equal(gs_log_open(&b, s, "giamsat/province/b", true, &err), 0);
    append_seq(a, 0, 10);

    uint8_t bufs[20][256];
    gs_bytes e[20];
    for (uint64_t i = 0; i < 20; i++)
        e[i] = gs_bytes_of(bufs[i], make_entry(i, bufs[i], sizeof bufs[i]));

    /* A log is created outside transactions only. */
    gs_log *c = NULL;
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_log_open(&c, s, "giamsat/hub/c", true, &err), GS_EINVAL);
    assert_contains(err.msg, "create it outside a transaction");
    assert_null(c);
    gs_store_rollback(s);

    /* Staging needs the caller's transaction. */
    assert_int_equal(gs_log_stage(a, e + 10, 5, NULL, &err), GS_EINVAL);

    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_log_append(a, e, 1, NULL, &err), GS_EINVAL); /* own txn refused */
    assert_int_equal(gs_log_stage(a, e + 10, 5, NULL, &err), 0);
    assert_int_equal(gs_log_stage(b, e, 7, NULL, &err), 0);
    assert_int_equal(gs_log_size(a), 15);
    assert_int_equal(gs_log_committed_size(a), 10);
    assert_int_equal(gs_log_size(b), 7);
    gs_log_root(b, &root);
    mth(0, 7, want);
    assert_memory_equal(root.b, want, 32);
    /* No checkpoint may cover entries that can still be rolled back. */
    gs_keypair kp;
    uint8_t seed[32] = {1};
    gs_keypair_from_seed(&kp, seed);
    char *note = NULL;
    assert_int_equal(gs_log_sign_checkpoint(a, &kp, &note, &err), GS_EINVAL);
    assert_contains(err.msg, "commit before signing a checkpoint");
    gs_store_rollback(s);
    assert_int_equal(gs_log_size(a), 10);
    assert_int_equal(gs_log_size(b), 0);
    gs_log_root(a, &root);
    mth(0, 10, want);
    assert_memory_equal(root.b, want, 32);

    /* Bad input leaves the caller's transaction as it was. */
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_log_stage(a, e + 10, 10, NULL, &err), 0);
    gs_bytes big = gs_bytes_of(bufs[0], (size_t)GS_STORE_MAX_ENTRY + 1);
    assert_int_equal(gs_log_stage(b, &big, 1, NULL, &err), GS_ETOOBIG);
    assert_true(gs_store_in_transaction(s));
    assert_int_equal(gs_log_stage(b, e, 3, NULL, &err), 0);
    assert_int_equal(gs_store_commit(s, &err), 0);
    assert_int_equal(gs_log_committed_size(a), 20);
    assert_int_equal(gs_log_size(b), 3);
    gs_hash ra, rb;
    gs_log_root(a, &ra);
    gs_log_root(b, &rb);
    gs_log_close(&a);
    gs_log_close(&b);
    gs_store_close(&s);

    /* What was committed is what a fresh open sees. */
    assert_int_equal(gs_store_open(&s, path, &err), 0);
    assert_int_equal(gs_log_open(&a, s, "giamsat/hub/a", false, &err), 0);
    assert_int_equal(gs_log_open(&b, s, "giamsat/province/b", false, &err), 0);
    assert_int_equal(gs_log_size(a), 20);
    gs_log_root(a, &root);
    assert_memory_equal(root.b, ra.b, 32);
    mth(0, 20, want);
    assert_memory_equal(root.b, want, 32);
    gs_log_root(b, &root);
    assert_memory_equal(root.b, rb.b, 32);
    gs_log_close(&a);
    gs_log_close(&b);
    gs_store_close(&s);
    gs_keypair_wipe(&kp);
}

/* A hub writes a replica's cosigned checkpoint and the Observation of it in
 * its own log in one transaction: both are kept, or neither. */
static void test_checkpoint_and_entry_one_transaction(void **state)
{
    (void)state;
    char path[300];
    gs_store *s = NULL;
    gs_log *own = NULL, *replica = NULL;
    gs_error err;
    char *held = NULL;
    db_path(path, sizeof path, "onetxn.db");
    assert_int_equal(gs_store_open(&s, path, &err), 0);
    assert_int_equal(gs_log_open(&own, s, "giamsat/hub/h", true, &err), 0);
    assert_int_equal(gs_log_open(&replica, s, "giamsat/province/r", true, &err), 0);
    append_seq(replica, 0, 8);
    uint8_t buf[256];
    gs_bytes obs = gs_bytes_of(buf, make_entry(100, buf, sizeof buf));
    /* A note with the replica's true root: the log checks the latest one it
     * holds against its stored tree when it opens. */
    gs_hash root8;
    char *body = NULL, note[512];
    gs_log_root(replica, &root8);
    assert_int_equal(gs_checkpoint_format("giamsat/province/r", 8, &root8, &body, &err), 0);
    snprintf(note, sizeof note, "%s\n— giamsat/province/r AAAAAAAAAAAAAAAAAAAAAA==\n", body);
    free(body);

    /* Rolled back: neither the note nor the entry. */
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_log_put_checkpoint(replica, 8, note, NULL, &err), 0);
    assert_int_equal(gs_log_stage(own, &obs, 1, NULL, &err), 0);
    assert_true(gs_store_in_transaction(s));
    gs_store_rollback(s);
    assert_int_equal(gs_log_get_checkpoint(replica, 8, &held, &err), GS_ENOTFOUND);
    assert_int_equal(gs_log_size(own), 0);

    /* Committed: both, as a fresh open sees them. */
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_log_put_checkpoint(replica, 8, note, NULL, &err), 0);
    assert_int_equal(gs_log_stage(own, &obs, 1, NULL, &err), 0);
    assert_int_equal(gs_store_commit(s, &err), 0);
    gs_log_close(&own);
    gs_log_close(&replica);
    gs_store_close(&s);
    assert_int_equal(gs_store_open(&s, path, &err), 0);
    assert_int_equal(gs_log_open(&own, s, "giamsat/hub/h", false, &err), 0);
    assert_int_equal(gs_log_open(&replica, s, "giamsat/province/r", false, &err), 0);
    assert_int_equal(gs_log_committed_size(own), 1);
    assert_int_equal(gs_log_get_checkpoint(replica, 8, &held, &err), 0);
    assert_string_equal(held, note);
    free(held);
    gs_log_close(&own);
    gs_log_close(&replica);
    gs_store_close(&s);
}

/* The checkpoint is a C2SP signed note over "<origin>\n<size>\n<b64 root>\n"
 * whose Ed25519 signature verifies under the log key; it is kept. */
static void test_checkpoint_signed_and_stored(void **state)
{
    (void)state;
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    gs_keypair kp;
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 3 + 1);
    gs_keypair_from_seed(&kp, seed);
    const char *origin = "giamsat/commune/phu-my";
    open_log("cp.db", &s, &l, origin);
    append_seq(l, 0, 37);

    char *note = NULL;
    if (gs_log_sign_checkpoint(l, &kp, &note, &err) != 0)
        fail_msg("%s", err.msg);
    uint8_t root[32];
    mth(0, 37, root);
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, root, 32, sodium_base64_VARIANT_ORIGINAL);
    char body[512];
    int bl = snprintf(body, sizeof body, "%s\n37\n%s\n", origin, b64);
    assert_true(strncmp(note, body, (size_t)bl) == 0);
    /* "\n— <origin> <base64(key id || sig)>\n" */
    char prefix[300];
    int pl = snprintf(prefix, sizeof prefix, "\n\xe2\x80\x94 %s ", origin);
    assert_true(strncmp(note + bl, prefix, (size_t)pl) == 0);
    const char *sigb64 = note + bl + pl;
    size_t slen = strcspn(sigb64, "\n");
    uint8_t sig[68];
    size_t sn = 0;
    assert_int_equal(sodium_base642bin(sig, sizeof sig, sigb64, slen, NULL, &sn, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(sn, 68);
    /* key id = SHA-256(name || "\n" || 0x01 || pubkey)[:4] (C2SP signed-note) */
    uint8_t kh[32];
    crypto_hash_sha256_state hs;
    uint8_t alg = 1;
    crypto_hash_sha256_init(&hs);
    crypto_hash_sha256_update(&hs, (const uint8_t *)origin, strlen(origin));
    crypto_hash_sha256_update(&hs, (const uint8_t *)"\n", 1);
    crypto_hash_sha256_update(&hs, &alg, 1);
    crypto_hash_sha256_update(&hs, kp.pub.b, 32);
    crypto_hash_sha256_final(&hs, kh);
    assert_memory_equal(sig, kh, 4);
    assert_int_equal(
        crypto_sign_verify_detached(sig + 4, (const uint8_t *)body, (size_t)bl, kp.pub.b), 0);

    char *held = NULL;
    uint64_t size = 0;
    assert_int_equal(gs_log_latest_checkpoint(l, &held, &size, &err), 0);
    assert_int_equal(size, 37);
    assert_string_equal(held, note);
    free(held);
    free(note);
    gs_log_close(&l);
    gs_store_close(&s);

    /* Kept across reopen. */
    open_log("cp.db", &s, &l, origin);
    assert_int_equal(gs_log_latest_checkpoint(l, &held, &size, &err), 0);
    assert_int_equal(size, 37);
    free(held);
    gs_log_close(&l);
    gs_store_close(&s);
    gs_keypair_wipe(&kp);
}

/* kill -9 durability: a child appends batches in a loop and reports each
 * committed size on a pipe as soon as the commit returns; the parent kills it
 * with SIGKILL at a random moment. On reopen the log holds at least every
 * reported entry, and its root is a fresh recomputation over all the stored
 * entries (each read back and checked against the sequence). */
static void child_loop(const char *path, int fd)
{
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    if (gs_store_open(&s, path, &err) != 0 ||
        gs_log_open(&l, s, "giamsat/commune/crash", true, &err) != 0) {
        fprintf(stderr, "child: %s\n", err.msg);
        _exit(2);
    }
    static uint8_t bufs[64][256];
    gs_bytes e[64];
    for (unsigned k = 1;; k++) {
        uint64_t n = gs_log_size(l);
        size_t count = 1 + (k * 7) % 40;
        for (size_t i = 0; i < count; i++)
            e[i] = gs_bytes_of(bufs[i], make_entry(n + i, bufs[i], sizeof bufs[i]));
        if (gs_log_append(l, e, count, NULL, &err) != 0) {
            fprintf(stderr, "child: %s\n", err.msg);
            _exit(3);
        }
        uint64_t size = gs_log_size(l);
        if (write(fd, &size, sizeof size) != (ssize_t)sizeof size)
            _exit(4);
    }
}

static void test_kill9_durability(void **state)
{
    (void)state;
    char path[300];
    db_path(path, sizeof path, "crash.db");
    srand((unsigned)time(NULL));
    uint64_t last_reported = 0;
    for (int round = 0; round < 6; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_loop(path, fds[1]);
            _exit(0);
        }
        close(fds[1]);
        /* Wait for the first commit of this round, then let it run a random
         * short while so the kill lands anywhere in the append cycle. */
        uint64_t size;
        ssize_t r = read(fds[0], &size, sizeof size);
        assert_int_equal(r, (ssize_t)sizeof size);
        struct timespec ts = {0, (long)(rand() % 150) * 1000000L};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        uint64_t reported = size;
        while ((r = read(fds[0], &size, sizeof size)) == (ssize_t)sizeof size)
            reported = size;
        close(fds[0]);
        assert_true(reported >= last_reported);
        last_reported = reported;

        gs_store *s = NULL;
        gs_log *l = NULL;
        gs_error err;
        if (gs_store_open(&s, path, &err) != 0)
            fail_msg("round %d: reopen: %s", round, err.msg);
        assert_int_equal(gs_log_open(&l, s, "giamsat/commune/crash", false, &err), 0);
        uint64_t n = gs_log_size(l);
        if (n < reported)
            fail_msg("round %d: child reported %llu committed entries, store holds %llu", round,
                     (unsigned long long)reported, (unsigned long long)n);
        print_message("round %d: child reported %llu committed, store holds %llu\n", round,
                      (unsigned long long)reported, (unsigned long long)n);
        stack_tree t = {.n = 0};
        for (uint64_t i = 0; i < n; i++) {
            gs_buf e = {0};
            if (gs_log_entry(l, i, &e, &err) != 0)
                fail_msg("round %d: entry %llu: %s", round, (unsigned long long)i, err.msg);
            uint8_t buf[256];
            size_t len = make_entry(i, buf, sizeof buf);
            assert_int_equal(e.n, len);
            assert_memory_equal(e.p, buf, len);
            uint8_t lh[32];
            leaf_hash(e.p, e.n, lh);
            stack_push(&t, lh);
            gs_buf_free(&e);
        }
        uint8_t want[32];
        gs_hash root;
        stack_root(&t, want);
        gs_log_root(l, &root);
        assert_memory_equal(root.b, want, 32);
        gs_log_close(&l);
        gs_store_close(&s);
    }
    assert_true(last_reported > 0);
}

/* A write that fails at the disk (here: the file size limit, RLIMIT_FSIZE)
 * is GS_EIO naming the file; nothing of the batch is kept, in memory or on
 * disk, and the store works again once the disk does. */
static void test_disk_failure_keeps_nothing(void **state)
{
    (void)state;
    char path[300];
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    open_log("full.db", &s, &l, "giamsat/commune/full");
    append_seq(l, 0, 100);
    gs_hash before;
    gs_log_root(l, &before);

    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    low = old;
    low.rlim_cur = 64 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
    static uint8_t big[400][300];
    gs_bytes e[400];
    for (size_t i = 0; i < 400; i++) {
        memset(big[i], (int)i, sizeof big[i]);
        e[i] = gs_bytes_of(big[i], sizeof big[i]);
    }
    int rc = gs_log_append(l, e, 400, NULL, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, GS_EIO);
    db_path(path, sizeof path, "full.db");
    assert_contains(err.msg, path);
    assert_contains(err.msg, "nothing of it was kept");
    assert_int_equal(gs_log_size(l), 100);
    gs_hash after;
    gs_log_root(l, &after);
    assert_memory_equal(after.b, before.b, 32);

    /* The disk is back: appends resume where the committed log ends. */
    append_seq(l, 100, 150);
    gs_log_close(&l);
    gs_store_close(&s);
    open_log("full.db", &s, &l, "giamsat/commune/full");
    assert_int_equal(gs_log_size(l), 150);
    uint8_t want[32];
    mth(0, 150, want);
    gs_log_root(l, &after);
    assert_memory_equal(after.b, want, 32);
    gs_log_close(&l);
    gs_store_close(&s);
}

/* Truncating a log to every size of a 21-entry log gives back the
 * independently computed root of that prefix, in memory and after reopening;
 * proofs work at the new size; the log then regrows with other entries and
 * staged truncation is refused. */
static void test_truncate(void **state)
{
    (void)state;
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    gs_hash root;
    uint8_t want[32];
    open_log("trunc.db", &s, &l, "test/trunc");
    for (uint64_t k = 21; k-- > 0;) {
        gs_log_close(&l);
        assert_int_equal(gs_log_open(&l, s, "test/trunc", false, &err), 0);
        if (gs_log_size(l) < 21)
            append_seq(l, gs_log_size(l), 21);
        assert_int_equal(gs_log_truncate(l, k, &err), 0);
        assert_int_equal(gs_log_size(l), k);
        assert_int_equal(gs_log_committed_size(l), k);
        gs_log_root(l, &root);
        if (k == 0)
            crypto_hash_sha256(want, NULL, 0);
        else
            mth(0, k, want);
        assert_memory_equal(root.b, want, 32);
        if (k > 1) {
            gs_hash proof[GS_MERKLE_MAX_PROOF];
            size_t np;
            gs_hash leaf;
            assert_int_equal(gs_log_prove_inclusion(l, k - 1, k, proof, &np, &err), 0);
            assert_int_equal(gs_log_leaf_hash(l, k - 1, &leaf, &err), 0);
            assert_int_equal(gs_merkle_verify_inclusion(&leaf, k - 1, k, proof, np, &root, &err),
                             0);
        }
    }
    assert_int_equal(gs_log_truncate(l, 1, &err), GS_EINVAL);
    assert_contains(err.msg, "cannot be truncated to 1");
    /* Regrow with different bytes: the root follows the new entries. */
    uint8_t other[] = "another entry";
    gs_bytes e = gs_bytes_of(other, sizeof other);
    assert_int_equal(gs_log_append(l, &e, 1, NULL, &err), 0);
    leaf_hash(other, sizeof other, want);
    gs_log_root(l, &root);
    assert_memory_equal(root.b, want, 32);
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_log_truncate(l, 0, &err), GS_EINVAL);
    assert_contains(err.msg, "transaction open");
    gs_store_rollback(s);
    gs_log_close(&l);
    gs_store_close(&s);
    open_log("trunc.db", &s, &l, "test/trunc");
    assert_int_equal(gs_log_size(l), 1);
    gs_log_root(l, &root);
    assert_memory_equal(root.b, want, 32);
    gs_log_close(&l);
    gs_store_close(&s);
}

/* Runs SQL on the file directly, as someone holding the disk could. */
static void tamper_db(const char *name, const char *sql)
{
    char path[300];
    sqlite3 *db = NULL;
    db_path(path, sizeof path, name);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("tamper %s: %s", sql, msg);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
}

#define BIG 5000 /* more than GS_STORE_OPEN_CHECK_TREE rows */

/* A log of BIG entries (log id 1 in its store) with a signed checkpoint. */
static void make_big(const char *name)
{
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    char path[300];
    db_path(path, sizeof path, name);
    unlink(path);
    open_log(name, &s, &l, "test/big");
    for (uint64_t i = 0; i < BIG; i += 500)
        append_seq(l, i, i + 500);
    gs_keypair kp;
    char *note = NULL;
    gs_keypair_generate(&kp);
    assert_int_equal(gs_log_sign_checkpoint(l, &kp, &note, &err), 0);
    free(note);
    gs_keypair_wipe(&kp);
    gs_log_close(&l);
    gs_store_close(&s);
}

/* Issue 9: an interior hash altered on disk is never served. In the last
 * GS_STORE_OPEN_CHECK_TREE rows it stops the store from opening, naming the
 * subtree; deeper, every proof built from it is checked against the root the
 * log holds before it leaves, and refused (GS_ECORRUPT) instead. */
static void test_altered_interior_hash(void **state)
{
    (void)state;
    _Static_assert(BIG > GS_STORE_OPEN_CHECK_TREE + 16, "rows 0..15 are outside the window");
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    char path[300];
    db_path(path, sizeof path, "interior.db");

    /* Recent: row 4991 (…1111111) closes levels 0..7; its level-5 hash. */
    make_big("interior.db");
    tamper_db("interior.db", "UPDATE entries SET hashes = substr(hashes, 1, 160) || zeroblob(32) "
                             "|| substr(hashes, 193) WHERE id = (1 << 40) | 4991");
    gs_error_clear(&err);
    assert_int_equal(gs_store_open(&s, path, &err), GS_ECORRUPT);
    assert_contains(err.msg, "the stored hash of subtree (level 5, index 155) ending at entry "
                             "4991 does not match its children");

    /* Deep: row 11 holds subtree (2, 2), a frontier root of size 12, and row
     * 5 holds (1, 2), a sibling in proofs of leaves 6 and 7. */
    make_big("interior.db");
    tamper_db("interior.db", "UPDATE entries SET hashes = substr(hashes, 1, 64) || zeroblob(32) "
                             "|| substr(hashes, 97) WHERE id = (1 << 40) | 11");
    tamper_db("interior.db", "UPDATE entries SET hashes = substr(hashes, 1, 32) || zeroblob(32) "
                             "WHERE id = (1 << 40) | 5");
    if (gs_store_open(&s, path, &err) != 0)
        fail_msg("the deep alteration is outside the open check: %s", err.msg);
    assert_int_equal(gs_log_open(&l, s, "test/big", false, &err), 0);
    gs_hash proof[GS_MERKLE_MAX_PROOF], root;
    size_t np;
    static const struct {
        bool inclusion;
        uint64_t a, b; /* index and size, or old and new size */
        bool corrupt;
    } cases[] = {
        {true, 6, BIG, true},    {true, 7, 12, true},         {true, 13, BIG, true},
        {true, 0, BIG, false},   {true, BIG - 1, BIG, false}, {true, 4, 16, false},
        {false, 12, BIG, true},  {false, 12, 13, true},       {false, 7, 8, true},
        {false, 16, BIG, false}, {false, 100, BIG, false},    {false, 4, 4, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gs_error_clear(&err);
        int rc = cases[i].inclusion
                     ? gs_log_prove_inclusion(l, cases[i].a, cases[i].b, proof, &np, &err)
                     : gs_log_prove_consistency(l, cases[i].a, cases[i].b, proof, &np, &err);
        if (rc != (cases[i].corrupt ? GS_ECORRUPT : 0))
            fail_msg("case %zu: %s %llu %llu: %d %s", i,
                     cases[i].inclusion ? "inclusion" : "consistency",
                     (unsigned long long)cases[i].a, (unsigned long long)cases[i].b, rc, err.msg);
        if (rc != 0)
            assert_contains(err.msg, "a stored interior hash was altered");
    }
    /* A past root resting on the altered hash is an error, not a wrong root. */
    assert_int_equal(gs_log_root_at(l, 12, &root, &err), GS_ECORRUPT);
    assert_contains(err.msg, "root at size 12 that is not consistent with the root at size 5000");
    assert_int_equal(gs_log_root_at(l, 16, &root, &err), 0);
    uint8_t want[32];
    mth(0, 16, want);
    assert_memory_equal(root.b, want, 32);
    gs_log_close(&l);
    gs_store_close(&s);
}

/* Issue 9: the latest checkpoint held is checked at open against the root
 * the stored hashes give at its size; one above the stored size is left to
 * the daemon (a log behind what it signed). */
static void test_latest_checkpoint_checked_at_open(void **state)
{
    (void)state;
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    gs_hash wrong;
    char *body = NULL, note[512];
    memset(wrong.b, 0x42, sizeof wrong.b);
    make_big("cp.db");
    open_log("cp.db", &s, &l, "test/big");
    assert_int_equal(gs_checkpoint_format("test/big", BIG + 10, &wrong, &body, &err), 0);
    snprintf(note, sizeof note, "%s\n— test/big AAAAAAAAAAAAAAAAAAAAAA==\n", body);
    free(body);
    assert_int_equal(gs_log_put_checkpoint(l, BIG + 10, note, NULL, &err), 0);
    gs_log_close(&l);
    assert_int_equal(gs_log_open(&l, s, "test/big", false, &err), 0);
    gs_log_close(&l);
    gs_store_close(&s);

    make_big("cp.db");
    open_log("cp.db", &s, &l, "test/big");
    assert_int_equal(gs_checkpoint_format("test/big", BIG, &wrong, &body, &err), 0);
    snprintf(note, sizeof note, "%s\n— test/big AAAAAAAAAAAAAAAAAAAAAA==\n", body);
    free(body);
    char sql[1024];
    snprintf(sql, sizeof sql, "UPDATE checkpoints SET note = '%s' WHERE size = %d", note, BIG);
    gs_log_close(&l);
    gs_store_close(&s);
    tamper_db("cp.db", sql);
    char path[300];
    db_path(path, sizeof path, "cp.db");
    assert_int_equal(gs_store_open(&s, path, &err), 0);
    gs_error_clear(&err);
    assert_int_equal(gs_log_open(&l, s, "test/big", false, &err), GS_ECORRUPT);
    assert_null(l);
    assert_contains(err.msg, "the latest checkpoint held (size 5000) names a root the stored tree "
                             "hashes do not give");
    gs_store_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6962_vectors),
        cmocka_unit_test(test_proofs_many_sizes),
        cmocka_unit_test(test_group_commit_two_logs),
        cmocka_unit_test(test_checkpoint_and_entry_one_transaction),
        cmocka_unit_test(test_checkpoint_signed_and_stored),
        cmocka_unit_test(test_kill9_durability),
        cmocka_unit_test(test_disk_failure_keeps_nothing),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_altered_interior_hash),
        cmocka_unit_test(test_latest_checkpoint_checked_at_open),
    };
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        return 1;
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
