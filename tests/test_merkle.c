/* test_merkle.c — RFC 6962 / RFC 9162 Merkle trees.
 *
 * Three independent sources of truth:
 *  - the published Certificate Transparency vectors (tests/vectors/rfc6962-*.txt);
 *  - a naive recursive implementation written here straight from the RFC text
 *    (MTH, PATH, SUBPROOF over an in-memory array of leaf hashes, hashing with
 *    one-shot SHA-256 over 0x00||d and 0x01||l||r, not with gs_merkle_*);
 *  - counting (2n - popcount(n) emitted subtrees, O(log n) reads).
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "merkle.h"

/* ---- naive RFC 6962 §2.1 / RFC 9162 §2.1 ---------------------------------- */

static void naive_leaf(const uint8_t *d, size_t n, gs_hash *out)
{
    uint8_t buf[64];
    assert_true(n < sizeof buf);
    buf[0] = 0x00;
    memcpy(buf + 1, d, n);
    crypto_hash_sha256(out->b, buf, n + 1);
}

static void naive_node(const gs_hash *l, const gs_hash *r, gs_hash *out)
{
    uint8_t buf[65];
    buf[0] = 0x01;
    memcpy(buf + 1, l->b, 32);
    memcpy(buf + 33, r->b, 32);
    crypto_hash_sha256(out->b, buf, sizeof buf);
}

/* The largest power of two smaller than n (n > 1), by counting up. */
static size_t naive_k(size_t n)
{
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

/* MTH(D[n]) */
static void naive_mth(const gs_hash *d, size_t n, gs_hash *out)
{
    if (n == 0) {
        crypto_hash_sha256(out->b, (const uint8_t *)"", 0);
        return;
    }
    if (n == 1) {
        *out = d[0];
        return;
    }
    size_t k = naive_k(n);
    gs_hash l, r;
    naive_mth(d, k, &l);
    naive_mth(d + k, n - k, &r);
    naive_node(&l, &r, out);
}

/* PATH(m, D[n]), appended to p[*len]. */
static void naive_path(size_t m, const gs_hash *d, size_t n, gs_hash *p, size_t *len)
{
    if (n <= 1)
        return;
    size_t k = naive_k(n);
    if (m < k) {
        naive_path(m, d, k, p, len);
        naive_mth(d + k, n - k, &p[(*len)++]);
    } else {
        naive_path(m - k, d + k, n - k, p, len);
        naive_mth(d, k, &p[(*len)++]);
    }
}

/* SUBPROOF(m, D[n], b), appended to p[*len]. */
static void naive_subproof(size_t m, const gs_hash *d, size_t n, int b, gs_hash *p, size_t *len)
{
    if (m == n) {
        if (!b)
            naive_mth(d, n, &p[(*len)++]);
        return;
    }
    size_t k = naive_k(n);
    if (m <= k) {
        naive_subproof(m, d, k, b, p, len);
        naive_mth(d + k, n - k, &p[(*len)++]);
    } else {
        naive_subproof(m - k, d + k, n - k, 0, p, len);
        naive_mth(d, k, &p[(*len)++]);
    }
}

/* ---- an in-memory store of complete subtrees ------------------------------ */

#define STORE_LEVELS 64

typedef struct {
    uint64_t cap;                /* leaves it can hold */
    gs_hash *h[STORE_LEVELS];    /* h[level][index] */
    uint8_t *have[STORE_LEVELS]; /* set once emitted */
    uint64_t limit;              /* get refuses subtrees beyond this size */
    uint64_t emitted;
    uint64_t reads;
    int duplicate; /* a subtree was emitted twice */
    int bad_emit;  /* an emitted subtree was not complete */
    uint64_t size; /* leaves appended so far (for the completeness check) */
} store;

static void store_init(store *s, uint64_t cap)
{
    memset(s, 0, sizeof *s);
    s->cap = cap;
    for (unsigned l = 0; l < STORE_LEVELS && (cap >> l) > 0; l++) {
        s->h[l] = calloc(cap >> l, sizeof(gs_hash));
        s->have[l] = calloc(cap >> l, 1);
        assert_non_null(s->h[l]);
        assert_non_null(s->have[l]);
    }
    s->limit = UINT64_MAX;
}

static void store_free(store *s)
{
    for (unsigned l = 0; l < STORE_LEVELS; l++) {
        free(s->h[l]);
        free(s->have[l]);
    }
}

static void store_emit(void *ctx, unsigned level, uint64_t index, const gs_hash *h)
{
    store *s = ctx;
    s->emitted++;
    /* The subtree must be complete in the tree that has just grown to size + 1. */
    if (level >= 64 || ((index + 1) << level) != s->size + 1)
        s->bad_emit = 1;
    if (level >= STORE_LEVELS || s->h[level] == NULL || index >= (s->cap >> level)) {
        s->bad_emit = 1;
        return;
    }
    if (s->have[level][index])
        s->duplicate = 1;
    s->have[level][index] = 1;
    s->h[level][index] = *h;
}

static int store_get(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    store *s = ctx;
    s->reads++;
    if (level >= STORE_LEVELS || s->h[level] == NULL || index >= (s->cap >> level) ||
        !s->have[level][index])
        return gs_error_set(err, GS_ENOTFOUND, "no subtree (%u, %llu) stored", level,
                            (unsigned long long)index);
    if (level < 64 && ((index + 1) << level) > s->limit)
        return gs_error_set(err, GS_EINVAL, "subtree (%u, %llu) is beyond the tree size %llu",
                            level, (unsigned long long)index, (unsigned long long)s->limit);
    *out = s->h[level][index];
    return 0;
}

/* Appends n leaves (hash of the 2-byte entry {i, i * 7}) to the frontier,
 * the store and the array of leaf hashes. */
static void grow(store *s, gs_merkle_frontier *f, gs_hash *leaves, uint64_t n)
{
    for (uint64_t i = f->size; i < n; i++) {
        uint8_t e[3] = {(uint8_t)i, (uint8_t)(i * 7), (uint8_t)(i >> 8)};
        naive_leaf(e, sizeof e, &leaves[i]);
        gs_hash lh;
        gs_merkle_leaf_hash(gs_bytes_of(e, sizeof e), &lh);
        assert_memory_equal(lh.b, leaves[i].b, 32);
        s->size = i;
        gs_merkle_frontier_append(f, &leaves[i], store_emit, s);
        s->size = i + 1;
    }
}

/* ---- vectors files -------------------------------------------------------- */

typedef struct {
    char kind[16];
    uint64_t a, b;
    gs_hash h[GS_MERKLE_MAX_PROOF];
    size_t nh;
    uint8_t data[64];
    size_t ndata;
} record;

static FILE *open_vectors(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GS_VECTORS, name);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    return fp;
}

static void hex32(const char *tok, gs_hash *out)
{
    size_t len = 0;
    assert_int_equal(strlen(tok), 64);
    assert_int_equal(sodium_hex2bin(out->b, 32, tok, 64, NULL, &len, NULL), 0);
    assert_int_equal(len, 32);
}

/* Reads the next record; returns 0 at the end of the file. Leaf lines keep
 * their entry in data; node lines put level, index in a, b and the hash in h[0];
 * other lines put their two numbers in a, b and the hashes in h. */
static int next_record(FILE *fp, record *r)
{
    char line[8192];
    while (fgets(line, sizeof line, fp) != NULL) {
        char *save = NULL;
        char *tok = strtok_r(line, " \t\r\n", &save);
        if (tok == NULL || tok[0] == '#')
            continue;
        memset(r, 0, sizeof *r);
        assert_true(strlen(tok) < sizeof r->kind);
        strcpy(r->kind, tok);
        char *x = strtok_r(NULL, " \t\r\n", &save);
        assert_non_null(x);
        r->a = strtoull(x, NULL, 10);
        if (strcmp(r->kind, "leaf") == 0) {
            x = strtok_r(NULL, " \t\r\n", &save);
            assert_non_null(x);
            if (strcmp(x, "-") != 0)
                assert_int_equal(
                    sodium_hex2bin(r->data, sizeof r->data, x, strlen(x), NULL, &r->ndata, NULL),
                    0);
            return 1;
        }
        if (strcmp(r->kind, "root") == 0) {
            x = strtok_r(NULL, " \t\r\n", &save);
            assert_non_null(x);
            hex32(x, &r->h[0]);
            r->nh = 1;
            return 1;
        }
        x = strtok_r(NULL, " \t\r\n", &save);
        assert_non_null(x);
        r->b = strtoull(x, NULL, 10);
        while ((x = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
            assert_true(r->nh < GS_MERKLE_MAX_PROOF);
            hex32(x, &r->h[r->nh++]);
        }
        return 1;
    }
    return 0;
}

/* The 8 reference leaves, hashed with gs_merkle_leaf_hash. */
static void reference_leaves(gs_hash leaves[8])
{
    FILE *fp = open_vectors("rfc6962-roots.txt");
    record r;
    int seen = 0;
    while (next_record(fp, &r)) {
        if (strcmp(r.kind, "leaf") != 0)
            continue;
        assert_true(r.a < 8);
        gs_merkle_leaf_hash(gs_bytes_of(r.data, r.ndata), &leaves[r.a]);
        seen |= 1 << r.a;
    }
    fclose(fp);
    assert_int_equal(seen, 0xff);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_reference_roots(void **state)
{
    (void)state;
    gs_hash leaves[8];
    reference_leaves(leaves);

    store s;
    store_init(&s, 8);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    gs_hash roots[9];
    gs_merkle_frontier_root(&f, &roots[0]);
    for (unsigned i = 0; i < 8; i++) {
        s.size = i;
        gs_merkle_frontier_append(&f, &leaves[i], store_emit, &s);
        gs_merkle_frontier_root(&f, &roots[i + 1]);
    }

    FILE *fp = open_vectors("rfc6962-roots.txt");
    record r;
    unsigned nroots = 0, nnodes = 0;
    while (next_record(fp, &r)) {
        if (strcmp(r.kind, "root") == 0) {
            assert_true(r.a <= 8);
            assert_memory_equal(roots[r.a].b, r.h[0].b, 32);
            gs_hash got;
            gs_error err;
            assert_int_equal(gs_merkle_root_at(r.a, store_get, &s, &got, &err), 0);
            assert_memory_equal(got.b, r.h[0].b, 32);
            if (r.a == 0) {
                gs_merkle_empty_root(&got);
                assert_memory_equal(got.b, r.h[0].b, 32);
            }
            nroots++;
        } else if (strcmp(r.kind, "node") == 0) {
            /* Every complete subtree the appends emitted, by (level, index). */
            assert_true(r.a < 4 && r.b < (8u >> r.a));
            assert_true(s.have[r.a][r.b]);
            assert_memory_equal(s.h[r.a][r.b].b, r.h[0].b, 32);
            nnodes++;
        }
    }
    fclose(fp);
    assert_int_equal(nroots, 9);
    assert_int_equal(nnodes, 15);
    assert_int_equal(s.emitted, 15);
    store_free(&s);
}

static void test_reference_proofs(void **state)
{
    (void)state;
    gs_hash leaves[8];
    reference_leaves(leaves);
    store s;
    store_init(&s, 8);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    gs_hash roots[9];
    gs_merkle_frontier_root(&f, &roots[0]);
    for (unsigned i = 0; i < 8; i++) {
        s.size = i;
        gs_merkle_frontier_append(&f, &leaves[i], store_emit, &s);
        gs_merkle_frontier_root(&f, &roots[i + 1]);
    }

    FILE *fp = open_vectors("rfc6962-proofs.txt");
    record r;
    unsigned ninc = 0, ncons = 0;
    while (next_record(fp, &r)) {
        gs_hash proof[GS_MERKLE_MAX_PROOF];
        size_t n = 99;
        gs_error err;
        assert_true(r.b <= 8);
        s.limit = r.b;
        if (strcmp(r.kind, "inclusion") == 0) {
            assert_int_equal(gs_merkle_prove_inclusion(r.a, r.b, store_get, &s, proof, &n, &err),
                             0);
            assert_int_equal(n, r.nh);
            if (n > 0)
                assert_memory_equal(proof, r.h, n * sizeof(gs_hash));
            assert_int_equal(
                gs_merkle_verify_inclusion(&leaves[r.a], r.a, r.b, r.h, r.nh, &roots[r.b], &err),
                0);
            ninc++;
        } else if (strcmp(r.kind, "consistency") == 0) {
            assert_int_equal(gs_merkle_prove_consistency(r.a, r.b, store_get, &s, proof, &n, &err),
                             0);
            assert_int_equal(n, r.nh);
            if (n > 0)
                assert_memory_equal(proof, r.h, n * sizeof(gs_hash));
            assert_int_equal(
                gs_merkle_verify_consistency(r.a, r.b, &roots[r.a], &roots[r.b], r.h, r.nh, &err),
                0);
            ncons++;
        } else {
            fail_msg("unknown record %s", r.kind);
        }
    }
    fclose(fp);
    assert_int_equal(ninc, 5);
    assert_int_equal(ncons, 5);
    store_free(&s);
}

#define NAIVE_MAX 64

/* Sizes 1..64: frontier root, root_at, every inclusion proof and every
 * consistency proof against the naive recursion, and every proof verifies. */
static void test_against_naive(void **state)
{
    (void)state;
    store s;
    store_init(&s, NAIVE_MAX);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    gs_hash leaves[NAIVE_MAX];
    gs_hash roots[NAIVE_MAX + 1];
    gs_error err;

    naive_mth(leaves, 0, &roots[0]);
    for (uint64_t size = 1; size <= NAIVE_MAX; size++) {
        grow(&s, &f, leaves, size);
        naive_mth(leaves, size, &roots[size]);
        gs_hash got;
        gs_merkle_frontier_root(&f, &got);
        assert_memory_equal(got.b, roots[size].b, 32);
    }

    for (uint64_t size = 1; size <= NAIVE_MAX; size++) {
        /* Past sizes answer from the same store, reading only their own tree. */
        s.limit = size;
        gs_hash got;
        assert_int_equal(gs_merkle_root_at(size, store_get, &s, &got, &err), 0);
        assert_memory_equal(got.b, roots[size].b, 32);

        for (uint64_t i = 0; i < size; i++) {
            gs_hash want[GS_MERKLE_MAX_PROOF], proof[GS_MERKLE_MAX_PROOF];
            size_t nwant = 0, n = 0;
            naive_path(i, leaves, size, want, &nwant);
            assert_int_equal(gs_merkle_prove_inclusion(i, size, store_get, &s, proof, &n, &err), 0);
            assert_int_equal(n, nwant);
            if (n > 0)
                assert_memory_equal(proof, want, n * sizeof(gs_hash));
            if (gs_merkle_verify_inclusion(&leaves[i], i, size, proof, n, &roots[size], &err) != 0)
                fail_msg("inclusion %llu/%llu: %s", (unsigned long long)i, (unsigned long long)size,
                         err.msg);
        }
        for (uint64_t m = 1; m <= size; m++) {
            gs_hash want[GS_MERKLE_MAX_PROOF], proof[GS_MERKLE_MAX_PROOF];
            size_t nwant = 0, n = 0;
            naive_subproof(m, leaves, size, 1, want, &nwant);
            assert_int_equal(gs_merkle_prove_consistency(m, size, store_get, &s, proof, &n, &err),
                             0);
            assert_int_equal(n, nwant);
            if (n > 0)
                assert_memory_equal(proof, want, n * sizeof(gs_hash));
            if (gs_merkle_verify_consistency(m, size, &roots[m], &roots[size], proof, n, &err) != 0)
                fail_msg("consistency %llu->%llu: %s", (unsigned long long)m,
                         (unsigned long long)size, err.msg);
        }
    }
    store_free(&s);
}

/* Every way of spoiling a good proof is refused with GS_EVERIFY. */
static void test_tampered_inclusion(void **state)
{
    (void)state;
    enum { MAX = 40 };
    store s;
    store_init(&s, MAX);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    gs_hash leaves[MAX];
    grow(&s, &f, leaves, MAX);
    gs_error err;
    unsigned checked = 0;

    for (uint64_t size = 1; size <= MAX; size++) {
        gs_hash root;
        naive_mth(leaves, size, &root);
        for (uint64_t i = 0; i < size; i++) {
            gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
            size_t n = 0;
            assert_int_equal(gs_merkle_prove_inclusion(i, size, store_get, &s, proof, &n, &err), 0);
            assert_int_equal(gs_merkle_verify_inclusion(&leaves[i], i, size, proof, n, &root, &err),
                             0);

            /* A flipped byte in any hash. */
            for (size_t k = 0; k < n; k++) {
                for (size_t byte = 0; byte < 32; byte += 31) {
                    proof[k].b[byte] ^= 0x08;
                    assert_int_equal(
                        gs_merkle_verify_inclusion(&leaves[i], i, size, proof, n, &root, &err),
                        GS_EVERIFY);
                    proof[k].b[byte] ^= 0x08;
                    checked++;
                }
            }
            /* Wrong index: the neighbours, and one two leaves away. */
            uint64_t wrong_index[] = {i - 1, i + 1, i ^ 2};
            for (size_t w = 0; w < 3; w++) {
                if (wrong_index[w] == i || (i == 0 && w == 0))
                    continue;
                assert_int_equal(gs_merkle_verify_inclusion(&leaves[i], wrong_index[w], size, proof,
                                                            n, &root, &err),
                                 GS_EVERIFY);
                checked++;
            }
            /* Wrong size: twice or half the tree (sizes with the same path
             * shape, e.g. leaf 0 of 3 and of 4, are not distinguishable by
             * the proof alone — the root commits to the size). */
            assert_int_equal(
                gs_merkle_verify_inclusion(&leaves[i], i, size * 2, proof, n, &root, &err),
                GS_EVERIFY);
            assert_int_equal(
                gs_merkle_verify_inclusion(&leaves[i], i, size / 2, proof, n, &root, &err),
                GS_EVERIFY);
            /* Truncated, extended by one hash. */
            if (n > 0)
                assert_int_equal(
                    gs_merkle_verify_inclusion(&leaves[i], i, size, proof, n - 1, &root, &err),
                    GS_EVERIFY);
            proof[n] = root;
            assert_int_equal(
                gs_merkle_verify_inclusion(&leaves[i], i, size, proof, n + 1, &root, &err),
                GS_EVERIFY);
            /* Wrong root, wrong leaf. */
            gs_hash bad = root;
            bad.b[7] ^= 1;
            assert_int_equal(gs_merkle_verify_inclusion(&leaves[i], i, size, proof, n, &bad, &err),
                             GS_EVERIFY);
            assert_non_null(strstr(err.msg, "does not lead to the given root"));
            bad = leaves[i];
            bad.b[0] ^= 1;
            assert_int_equal(gs_merkle_verify_inclusion(&bad, i, size, proof, n, &root, &err),
                             GS_EVERIFY);
            checked += 6;
        }
    }
    assert_true(checked > 1000);
    store_free(&s);
}

static void test_tampered_consistency(void **state)
{
    (void)state;
    enum { MAX = 40 };
    store s;
    store_init(&s, MAX);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    gs_hash leaves[MAX];
    grow(&s, &f, leaves, MAX);
    gs_hash roots[MAX + 1];
    for (uint64_t size = 0; size <= MAX; size++)
        naive_mth(leaves, size, &roots[size]);
    gs_error err;
    unsigned checked = 0;

    for (uint64_t size = 2; size <= MAX; size++) {
        for (uint64_t m = 1; m < size; m++) {
            gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
            size_t n = 0;
            assert_int_equal(gs_merkle_prove_consistency(m, size, store_get, &s, proof, &n, &err),
                             0);
            const gs_hash *r1 = &roots[m], *r2 = &roots[size];
            assert_int_equal(gs_merkle_verify_consistency(m, size, r1, r2, proof, n, &err), 0);
            assert_true(n > 0);

            for (size_t k = 0; k < n; k++) {
                proof[k].b[k % 32] ^= 0x10;
                assert_int_equal(gs_merkle_verify_consistency(m, size, r1, r2, proof, n, &err),
                                 GS_EVERIFY);
                proof[k].b[k % 32] ^= 0x10;
                checked++;
            }
            /* Wrong old size (with the old root it does not belong to). */
            uint64_t wrong_old[] = {m - 1, m + 1, m ^ 2};
            for (size_t w = 0; w < 3; w++) {
                if (wrong_old[w] == 0 || wrong_old[w] == m || wrong_old[w] > size)
                    continue;
                assert_int_equal(
                    gs_merkle_verify_consistency(wrong_old[w], size, r1, r2, proof, n, &err),
                    GS_EVERIFY);
                checked++;
            }
            /* Wrong new size. */
            assert_int_equal(gs_merkle_verify_consistency(m, size * 2, r1, r2, proof, n, &err),
                             GS_EVERIFY);
            if (size / 2 >= m)
                assert_int_equal(gs_merkle_verify_consistency(m, size / 2, r1, r2, proof, n, &err),
                                 GS_EVERIFY);
            /* Truncated, empty, extended by one hash. */
            assert_int_equal(gs_merkle_verify_consistency(m, size, r1, r2, proof, n - 1, &err),
                             GS_EVERIFY);
            assert_int_equal(gs_merkle_verify_consistency(m, size, r1, r2, NULL, 0, &err),
                             GS_EVERIFY);
            proof[n] = *r2;
            assert_int_equal(gs_merkle_verify_consistency(m, size, r1, r2, proof, n + 1, &err),
                             GS_EVERIFY);
            /* Wrong roots: either one, or swapped. */
            gs_hash bad = *r1;
            bad.b[3] ^= 0x40;
            assert_int_equal(gs_merkle_verify_consistency(m, size, &bad, r2, proof, n, &err),
                             GS_EVERIFY);
            /* When m is a power of two the old root is not rebuilt but used
             * as the first subtree of the new tree: the new root is missed. */
            if ((m & (m - 1)) != 0)
                assert_non_null(strstr(err.msg, "does not lead to the old root"));
            else
                assert_non_null(strstr(err.msg, "does not lead to the new root"));
            bad = *r2;
            bad.b[3] ^= 0x40;
            assert_int_equal(gs_merkle_verify_consistency(m, size, r1, &bad, proof, n, &err),
                             GS_EVERIFY);
            assert_non_null(strstr(err.msg, "does not lead to the new root"));
            assert_int_equal(gs_merkle_verify_consistency(m, size, r2, r1, proof, n, &err),
                             GS_EVERIFY);
            checked += 7;
        }
    }
    assert_true(checked > 1000);
    store_free(&s);
}

/* After n appends, exactly the 2n - popcount(n) complete subtrees were
 * emitted, each once, each complete when emitted (checked in store_emit). */
static void test_emit_count(void **state)
{
    (void)state;
    enum { MAX = 1000 };
    store s;
    store_init(&s, MAX);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    gs_hash *leaves = calloc(MAX, sizeof *leaves);
    assert_non_null(leaves);
    for (uint64_t n = 1; n <= MAX; n++) {
        grow(&s, &f, leaves, n);
        assert_int_equal(s.emitted, 2 * n - (uint64_t)__builtin_popcountll(n));
        assert_int_equal(f.size, n);
        assert_int_equal(f.n, __builtin_popcountll(n));
    }
    assert_false(s.duplicate);
    assert_false(s.bad_emit);
    /* Every complete subtree of the 1000-leaf tree is there, with its hash. */
    for (unsigned l = 0; (MAX >> l) > 0; l++) {
        for (uint64_t i = 0; i < (uint64_t)(MAX >> l); i++) {
            assert_true(s.have[l][i]);
            gs_hash want;
            naive_mth(leaves + (i << l), (size_t)1 << l, &want);
            assert_memory_equal(s.h[l][i].b, want.b, 32);
        }
    }
    /* Appending without a callback gives the same frontier. */
    gs_merkle_frontier g;
    gs_merkle_frontier_init(&g);
    for (uint64_t i = 0; i < MAX; i++)
        gs_merkle_frontier_append(&g, &leaves[i], NULL, NULL);
    assert_memory_equal(&g, &f, sizeof g);
    free(leaves);
    store_free(&s);
}

static void test_frontier_load(void **state)
{
    (void)state;
    store s;
    store_init(&s, NAIVE_MAX);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    gs_hash leaves[NAIVE_MAX];
    gs_error err;
    for (uint64_t size = 0; size <= NAIVE_MAX; size++) {
        grow(&s, &f, leaves, size);
        gs_merkle_frontier g;
        memset(&g, 0xa5, sizeof g);
        s.reads = 0;
        s.limit = size;
        assert_int_equal(gs_merkle_frontier_load(&g, size, store_get, &s, &err), 0);
        assert_int_equal(s.reads, __builtin_popcountll(size));
        assert_int_equal(g.size, f.size);
        assert_int_equal(g.n, f.n);
        if (f.n > 0)
            assert_memory_equal(g.h, f.h, f.n * sizeof(gs_hash));
        /* And the loaded frontier keeps growing like the original. */
        if (size < NAIVE_MAX) {
            gs_merkle_frontier_append(&g, &leaves[0], NULL, NULL);
            gs_merkle_frontier h = f;
            gs_merkle_frontier_append(&h, &leaves[0], NULL, NULL);
            gs_hash a, b;
            gs_merkle_frontier_root(&g, &a);
            gs_merkle_frontier_root(&h, &b);
            assert_memory_equal(a.b, b.b, 32);
        }
    }
    /* A missing hash is reported, and the frontier is left untouched. */
    s.limit = UINT64_MAX;
    gs_merkle_frontier g = f;
    assert_int_equal(gs_merkle_frontier_load(&g, 200, store_get, &s, &err), GS_ENOTFOUND);
    assert_int_equal(err.code, GS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "reading Merkle subtree (level 7, index 0)"));
    assert_memory_equal(&g, &f, sizeof g);
    store_free(&s);
}

/* A get function for a huge tree that derives each stored hash from its
 * position and counts the reads. */
typedef struct {
    uint64_t reads;
    uint64_t size;
    int out_of_tree;
} synthetic;

static int synthetic_get(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    synthetic *sy = ctx;
    sy->reads++;
    if (level >= 64 || index >= (sy->size >> level)) {
        sy->out_of_tree = 1;
        return gs_error_set(err, GS_ENOTFOUND, "not in the tree");
    }
    uint8_t in[9];
    in[0] = (uint8_t)level;
    for (int k = 0; k < 8; k++)
        in[1 + k] = (uint8_t)(index >> (8 * k));
    crypto_hash_sha256(out->b, in, sizeof in);
    return 0;
}

static void test_read_count(void **state)
{
    (void)state;
    const uint64_t sizes[] = {1000000, 1048576, 1048575, ((uint64_t)1 << 40) + 12345, UINT64_MAX};
    gs_error err;
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        synthetic sy = {0, sizes[z], 0};
        uint64_t max_incl = 0, max_cons = 0;
        unsigned depth = 64 - (unsigned)__builtin_clzll(sizes[z] - 1);
        const uint64_t points[] = {0, 1, sizes[z] / 3, sizes[z] / 2, sizes[z] - 2, sizes[z] - 1};
        for (size_t p = 0; p < sizeof points / sizeof points[0]; p++) {
            gs_hash proof[GS_MERKLE_MAX_PROOF];
            size_t n = 0;
            sy.reads = 0;
            assert_int_equal(
                gs_merkle_prove_inclusion(points[p], sizes[z], synthetic_get, &sy, proof, &n, &err),
                0);
            assert_true(n <= depth);
            assert_true(sy.reads <= 2 * (uint64_t)depth);
            if (sy.reads > max_incl)
                max_incl = sy.reads;

            uint64_t old = points[p] + 1;
            sy.reads = 0;
            assert_int_equal(
                gs_merkle_prove_consistency(old, sizes[z], synthetic_get, &sy, proof, &n, &err), 0);
            assert_true(n <= depth + 1);
            assert_true(sy.reads <= 2 * (uint64_t)depth + 1);
            if (sy.reads > max_cons)
                max_cons = sy.reads;

            sy.reads = 0;
            gs_hash root;
            assert_int_equal(gs_merkle_root_at(sizes[z], synthetic_get, &sy, &root, &err), 0);
            assert_int_equal(sy.reads, __builtin_popcountll(sizes[z]));
        }
        assert_false(sy.out_of_tree);
        print_message("size %llu: at most %llu reads for an inclusion proof, %llu for a "
                      "consistency proof\n",
                      (unsigned long long)sizes[z], (unsigned long long)max_incl,
                      (unsigned long long)max_cons);
    }
}

static int failing_get(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    (void)ctx;
    (void)level;
    (void)index;
    (void)out;
    return gs_error_set(err, GS_EIO, "disk on fire");
}

static void test_bad_input(void **state)
{
    (void)state;
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
    memset(proof, 0, sizeof proof);
    gs_hash h, root;
    memset(&h, 1, sizeof h);
    memset(&root, 2, sizeof root);
    size_t n = 7;
    gs_error err;
    synthetic sy = {0, 100, 0};

    static const struct {
        const char *name;
        uint64_t index, size;
        size_t n;
        const char *reason;
    } inclusion[] = {
        {"index equal to size", 8, 8, 3, "the index must be smaller than the size"},
        {"index beyond size", 9, 8, 3, "the index must be smaller than the size"},
        {"empty tree", 0, 0, 0, "the index must be smaller than the size"},
        {"too many hashes", 2, 8, 5, "inclusion proof has 5 hashes, a tree of size 8 needs 3"},
        {"too few hashes", 2, 8, 2, "inclusion proof has 2 hashes, a tree of size 8 needs 3"},
        {"proof for size 1", 0, 1, 1, "inclusion proof has 1 hashes, a tree of size 1 needs 0"},
        {"longer than any tree", 5, UINT64_MAX, GS_MERKLE_MAX_PROOF + 1, "needs 64"},
    };
    for (size_t c = 0; c < sizeof inclusion / sizeof inclusion[0]; c++) {
        gs_error_clear(&err);
        int rc = gs_merkle_verify_inclusion(&h, inclusion[c].index, inclusion[c].size, proof,
                                            inclusion[c].n, &root, &err);
        if (rc != GS_EVERIFY || strstr(err.msg, inclusion[c].reason) == NULL)
            fail_msg("%s: got %d \"%s\"", inclusion[c].name, rc, err.msg);
    }

    static const struct {
        const char *name;
        uint64_t old_size, new_size;
        size_t n;
        int same_roots;
        const char *reason;
    } consistency[] = {
        {"from the empty tree", 0, 5, 0, 1, "from the empty tree proves nothing"},
        {"shrinking", 6, 5, 2, 0, "a log never shrinks"},
        {"same size, hashes", 5, 5, 1, 1, "must be empty, it has 1 hashes"},
        {"same size, other root", 5, 5, 0, 0, "two different roots for the same tree size 5"},
        {"empty proof", 3, 8, 0, 0, "consistency proof has 0 hashes, going from size 3 to 8"},
        {"long proof", 4, 8, GS_MERKLE_MAX_PROOF + 1, 0, "going from size 4 to 8 needs 1"},
    };
    for (size_t c = 0; c < sizeof consistency / sizeof consistency[0]; c++) {
        gs_error_clear(&err);
        int rc = gs_merkle_verify_consistency(consistency[c].old_size, consistency[c].new_size,
                                              &root, consistency[c].same_roots ? &root : &h, proof,
                                              consistency[c].n, &err);
        if (rc != GS_EVERIFY || strstr(err.msg, consistency[c].reason) == NULL)
            fail_msg("%s: got %d \"%s\"", consistency[c].name, rc, err.msg);
    }
    /* old == new with an empty proof and equal roots is consistent. */
    assert_int_equal(gs_merkle_verify_consistency(5, 5, &root, &root, NULL, 0, &err), 0);
    /* A NULL proof with a count is a caller bug, not a crash. */
    assert_int_equal(gs_merkle_verify_inclusion(&h, 0, 2, NULL, 1, &root, &err), GS_EINVAL);
    assert_int_equal(gs_merkle_verify_consistency(1, 2, &root, &h, NULL, 1, &err), GS_EINVAL);

    /* Proving what cannot be proved. */
    assert_int_equal(gs_merkle_prove_inclusion(100, 100, synthetic_get, &sy, proof, &n, &err),
                     GS_EINVAL);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.msg, "leaf 100 in a tree of size 100"));
    assert_int_equal(gs_merkle_prove_consistency(0, 100, synthetic_get, &sy, proof, &n, &err),
                     GS_EINVAL);
    assert_int_equal(gs_merkle_prove_consistency(101, 100, synthetic_get, &sy, proof, &n, &err),
                     GS_EINVAL);
    assert_non_null(strstr(err.msg, "from size 101 to the smaller size 100"));
    assert_int_equal(gs_merkle_prove_consistency(100, 100, synthetic_get, &sy, proof, &n, &err), 0);
    assert_int_equal(n, 0);

    /* Ranges that are not nodes of any tree. */
    assert_int_equal(gs_merkle_range_hash(4, 4, synthetic_get, &sy, &h, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "holds no leaves"));
    assert_int_equal(gs_merkle_range_hash(5, 4, synthetic_get, &sy, &h, &err), GS_EINVAL);
    assert_int_equal(gs_merkle_range_hash(1, 4, synthetic_get, &sy, &h, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "is not a node of the tree"));
    assert_int_equal(gs_merkle_range_hash(4, 9, synthetic_get, &sy, &h, &err), GS_EINVAL);
    assert_int_equal(gs_merkle_range_hash(1, UINT64_MAX, synthetic_get, &sy, &h, &err), GS_EINVAL);
    sy.reads = 0;
    assert_int_equal(gs_merkle_range_hash(16, 29, synthetic_get, &sy, &h, &err), 0);
    assert_int_equal(sy.reads, 3); /* 8 + 4 + 1 */

    /* A failing store: its code comes back, with where it failed. */
    assert_int_equal(gs_merkle_prove_inclusion(3, 10, failing_get, NULL, proof, &n, &err), GS_EIO);
    assert_int_equal(err.code, GS_EIO);
    assert_non_null(strstr(err.msg, "reading Merkle subtree"));
    assert_non_null(strstr(err.msg, "disk on fire"));
    assert_int_equal(gs_merkle_prove_consistency(3, 10, failing_get, NULL, proof, &n, &err),
                     GS_EIO);
    assert_int_equal(gs_merkle_root_at(10, failing_get, NULL, &h, &err), GS_EIO);
    assert_int_equal(gs_merkle_root_at(10, failing_get, NULL, &h, NULL), GS_EIO);
    /* The empty tree needs no read. */
    assert_int_equal(gs_merkle_root_at(0, failing_get, NULL, &h, &err), 0);
}

/* gs_merkle_consistency_roots gives back exactly the two roots an independent
 * MTH computes, for every pair of sizes, from the proofs RFC 9162 §2.1.4.1
 * defines (naive SUBPROOF, with the old root prepended when the old size is
 * a power of two); a proof of the wrong length or sizes out of range are
 * refused. */
static void test_consistency_roots(void **state)
{
    (void)state;
    gs_hash leaves[NAIVE_MAX];
    for (size_t i = 0; i < NAIVE_MAX; i++) {
        uint8_t d[8] = {'r', 'o', 'o', 't', (uint8_t)i, (uint8_t)(i >> 8), 0, 0};
        naive_leaf(d, sizeof d, &leaves[i]);
    }
    gs_error err;
    for (size_t size = 2; size <= NAIVE_MAX; size++) {
        gs_hash want_new;
        naive_mth(leaves, size, &want_new);
        for (size_t m = 1; m < size; m++) {
            gs_hash want_old, proof[GS_MERKLE_MAX_PROOF + 1];
            naive_mth(leaves, m, &want_old);
            size_t n = 0;
            int pow2 = (m & (m - 1)) == 0;
            if (pow2)
                proof[n++] = want_old;
            naive_subproof(m, leaves, size, 1, proof, &n);
            gs_hash got_old, got_new;
            if (gs_merkle_consistency_roots(m, size, proof, n, &got_old, &got_new, &err) != 0)
                fail_msg("roots %zu->%zu: %s", m, size, err.msg);
            assert_memory_equal(got_old.b, want_old.b, 32);
            assert_memory_equal(got_new.b, want_new.b, 32);
            /* Without the prepended old root (or with a hash missing) the
             * length is wrong. */
            assert_int_equal(
                gs_merkle_consistency_roots(m, size, proof + 1, n - 1, &got_old, &got_new, &err),
                GS_EVERIFY);
            assert_non_null(strstr(err.msg, "hashes"));
            /* A spoiled hash reconstructs other roots, never the true pair. */
            proof[n - 1].b[0] ^= 1;
            assert_int_equal(
                gs_merkle_consistency_roots(m, size, proof, n, &got_old, &got_new, &err), 0);
            assert_true(memcmp(got_new.b, want_new.b, 32) != 0);
        }
    }
    gs_hash a, b, p[2] = {{{0}}, {{0}}};
    assert_int_equal(gs_merkle_consistency_roots(0, 4, p, 1, &a, &b, &err), GS_EINVAL);
    assert_int_equal(gs_merkle_consistency_roots(4, 4, p, 1, &a, &b, &err), GS_EINVAL);
    assert_int_equal(gs_merkle_consistency_roots(5, 4, p, 1, &a, &b, &err), GS_EINVAL);
    assert_int_equal(gs_merkle_consistency_roots(1, 2, NULL, 2, &a, &b, &err), GS_EINVAL);
    assert_int_equal(gs_merkle_consistency_roots(1, 2, p, 0, &a, &b, &err), GS_EVERIFY);
    /* 1 -> 2: the old root (leaf 0) and leaf 1. */
    assert_int_equal(gs_merkle_consistency_roots(1, 2, p, 2, &a, &b, &err), 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_roots),
        cmocka_unit_test(test_reference_proofs),
        cmocka_unit_test(test_against_naive),
        cmocka_unit_test(test_tampered_inclusion),
        cmocka_unit_test(test_tampered_consistency),
        cmocka_unit_test(test_emit_count),
        cmocka_unit_test(test_frontier_load),
        cmocka_unit_test(test_read_count),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_consistency_roots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
