/* merkle.c — see merkle.h.
 *
 * The tree is the one of RFC 6962 §2.1 (restated in RFC 9162 §2.1.1): for a
 * list D[n] of n > 1 leaves, let k be the largest power of two smaller than n;
 * then MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). The left part
 * is always a perfect tree of k leaves; only the right edge of the tree can be
 * incomplete. So every node of the tree of size n is a range
 * [a * 2^j, min((a + 1) * 2^j, n)): a perfect subtree, except on the right
 * edge, where it is the hash of the perfect subtrees that make up the bits of
 * its length, folded right to left. That is why storing the hashes of the
 * complete subtrees (level, index) is enough to answer for every past size,
 * and why the frontier (one perfect subtree per bit of n) is enough to append.
 *
 * Proofs are produced top-down (RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF
 * unrolled into loops: each step halves the range at k and keeps the half
 * holding the leaf or the old boundary, recording the other half as a proof
 * node) and then reversed, because the recursive definitions list the
 * deepest node first. Verification is the bit-twiddling of RFC 9162 §2.1.3.2
 * and §2.1.4.2, which never needs the tree shape explicitly.
 */
#include "merkle.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

/* RFC 6962 §2.1: domain separation between leaves and interior nodes, so a
 * leaf can never be passed off as a node (second-preimage resistance). */
static const uint8_t leaf_prefix = 0x00;
static const uint8_t node_prefix = 0x01;

void gs_merkle_leaf_hash(gs_bytes entry, gs_hash *out)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &leaf_prefix, 1);
    if (entry.n > 0)
        crypto_hash_sha256_update(&st, entry.p, entry.n);
    crypto_hash_sha256_final(&st, out->b);
}

/* out may alias left or right: both are absorbed before out is written. */
void gs_merkle_node_hash(const gs_hash *left, const gs_hash *right, gs_hash *out)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &node_prefix, 1);
    crypto_hash_sha256_update(&st, left->b, sizeof left->b);
    crypto_hash_sha256_update(&st, right->b, sizeof right->b);
    crypto_hash_sha256_final(&st, out->b);
}

/* RFC 6962 §2.1: MTH({}) = SHA-256(""). */
void gs_merkle_empty_root(gs_hash *out)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_final(&st, out->b);
}

/* Number of bits needed to write x (0 for 0). */
static unsigned bit_length(uint64_t x)
{
    return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

/* The k of RFC 6962 §2.1: the largest power of two smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (bit_length(n - 1) - 1);
}

/* ---- the frontier ---------------------------------------------------------- */

void gs_merkle_frontier_init(gs_merkle_frontier *f)
{
    memset(f, 0, sizeof *f);
}

/* The frontier is a binary counter: h[] holds one perfect subtree per bit set
 * in size, largest first, so the last entry is the subtree of the lowest set
 * bit. Appending leaf i (= old size) adds 1 to the counter: the leaf is a
 * perfect subtree (0, i); while bit `level` of i is 1 there is already a
 * subtree of that height to its left, so the carry merges the two into
 * (level + 1, i >> (level + 1)). Every subtree formed this way is complete and
 * ends at leaf i, and each is emitted as soon as it exists, bottom up:
 * (0, i, leaf), then (1, i >> 1, …) while the low bits of i are 1. After n
 * appends, sum over levels of floor(n / 2^level) = 2n - popcount(n) subtrees
 * have been emitted, each exactly once. */
void gs_merkle_frontier_append(gs_merkle_frontier *f, const gs_hash *leaf, gs_merkle_emit_fn emit,
                               void *ctx)
{
    /* A tree of 2^64 - 1 leaves cannot grow: its size would not fit. Reaching
     * it takes 2^64 appends, so this is a guard, not a case. */
    if (f->size == UINT64_MAX || f->n > 64)
        return;
    uint64_t i = f->size;
    gs_hash cur = *leaf;
    unsigned level = 0;
    if (emit != NULL)
        emit(ctx, 0, i, &cur);
    while ((i >> level) & 1) {
        /* The counter invariant: bit `level` of size is set, so the last
         * frontier entry is the subtree of that height just left of cur. */
        gs_merkle_node_hash(&f->h[f->n - 1], &cur, &cur);
        f->n--;
        level++;
        if (emit != NULL)
            emit(ctx, level, i >> level, &cur);
    }
    f->h[f->n++] = cur;
    f->size = i + 1;
    /* The frontier holds one subtree per bit set in its size. */
    assert(f->n == (unsigned)__builtin_popcountll(f->size));
}

/* RFC 6962 §2.1: the right edge folds right to left — the smallest subtree is
 * the deepest right child. */
void gs_merkle_frontier_root(const gs_merkle_frontier *f, gs_hash *out)
{
    if (f->n == 0 || f->n > 64) {
        gs_merkle_empty_root(out);
        return;
    }
    gs_hash r = f->h[f->n - 1];
    for (unsigned k = f->n - 1; k-- > 0;)
        gs_merkle_node_hash(&f->h[k], &r, &r);
    *out = r;
}

/* ---- reading stored hashes ------------------------------------------------ */

/* One read of the complete subtree (level, index), with the position added to
 * whatever the store said. */
static int read_subtree(gs_merkle_get_fn get, void *ctx, unsigned level, uint64_t index,
                        gs_hash *out, gs_error *err)
{
    gs_error_clear(err);
    int rc = get(ctx, level, index, out, err);
    if (rc == 0)
        return 0;
    if (rc > 0)
        rc =
            gs_error_set(err, GS_EIO, "the hash store returned %d, which is not an error code", rc);
    if (err != NULL) {
        if (err->msg[0] == '\0')
            gs_error_set(err, rc, "the hash store failed (%s)", gs_error_name(rc));
        err->code = rc;
        gs_error_wrap(err, "reading Merkle subtree (level %u, index %" PRIu64 ")", level, index);
    }
    return rc;
}

int gs_merkle_frontier_load(gs_merkle_frontier *f, uint64_t size, gs_merkle_get_fn get, void *ctx,
                            gs_error *err)
{
    if (f == NULL || get == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "gs_merkle_frontier_load needs a frontier and a "
                            "get function");
    gs_merkle_frontier tmp;
    gs_merkle_frontier_init(&tmp);
    /* One perfect subtree per bit of size, largest (leftmost) first. */
    uint64_t begin = 0;
    for (unsigned level = 64; level-- > 0;) {
        if (!((size >> level) & 1))
            continue;
        int rc = read_subtree(get, ctx, level, begin >> level, &tmp.h[tmp.n], err);
        if (rc != 0)
            return rc;
        tmp.n++;
        begin += (uint64_t)1 << level;
    }
    tmp.size = size;
    *f = tmp;
    return 0;
}

/* Only nodes of some RFC 6962 tree can be built from stored subtrees: begin
 * must be a multiple of the smallest power of two >= end - begin. For such a
 * range the §2.1 recursion splits at the top bit of the length every time, so
 * MTH(D[begin:end]) is the perfect subtrees of the length's bits, left to
 * right, folded right to left with node_hash. A range like [1, 4) is not a
 * node (MTH would split it at 2, inside a stored subtree) and is refused. */
int gs_merkle_range_hash(uint64_t begin, uint64_t end, gs_merkle_get_fn get, void *ctx,
                         gs_hash *out, gs_error *err)
{
    if (get == NULL || out == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "gs_merkle_range_hash needs a get function and an "
                            "output hash");
    if (end <= begin)
        return gs_error_set(err, GS_EINVAL,
                            "Merkle range [%" PRIu64 ", %" PRIu64 ") holds no leaves", begin, end);
    uint64_t len = end - begin;
    unsigned width = bit_length(len - 1); /* len <= 2^width */
    if (width < 64 && (begin & (((uint64_t)1 << width) - 1)) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "Merkle range [%" PRIu64 ", %" PRIu64
                            ") is not a node of the tree: %" PRIu64
                            " is not a multiple of %" PRIu64,
                            begin, end, begin, (uint64_t)1 << width);
    if (width == 64 && begin != 0)
        return gs_error_set(err, GS_EINVAL,
                            "Merkle range [%" PRIu64 ", %" PRIu64 ") is not a node of the tree",
                            begin, end);

    gs_hash parts[64];
    unsigned n = 0;
    uint64_t at = begin;
    for (unsigned level = 64; level-- > 0;) {
        if (!((len >> level) & 1))
            continue;
        int rc = read_subtree(get, ctx, level, at >> level, &parts[n], err);
        if (rc != 0)
            return rc;
        n++;
        at += (uint64_t)1 << level;
    }
    gs_hash r = parts[n - 1];
    for (unsigned k = n - 1; k-- > 0;)
        gs_merkle_node_hash(&parts[k], &r, &r);
    *out = r;
    return 0;
}

int gs_merkle_root_at(uint64_t size, gs_merkle_get_fn get, void *ctx, gs_hash *out, gs_error *err)
{
    if (out == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_merkle_root_at needs an output hash");
    if (size == 0) {
        gs_merkle_empty_root(out);
        return 0;
    }
    return gs_merkle_range_hash(0, size, get, ctx, out, err);
}

/* ---- proofs ---------------------------------------------------------------- */

/* A proof node waiting to be read: the range [begin, end). */
typedef struct {
    uint64_t begin, end;
} span;

/* Reads the collected spans in reverse (deepest first, as PATH and SUBPROOF
 * order them) into proof, after `first` entries already there. Only the first
 * right-edge span can be incomplete: once the walk turns left, the range it
 * keeps is a perfect subtree. So the reads are at most depth + popcount(size)
 * <= 128, one per perfect subtree. */
static int read_spans(const span *s, size_t count, size_t first, gs_merkle_get_fn get, void *ctx,
                      gs_hash *proof, gs_error *err)
{
    for (size_t k = 0; k < count; k++) {
        const span *p = &s[count - 1 - k];
        int rc = gs_merkle_range_hash(p->begin, p->end, get, ctx, &proof[first + k], err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* RFC 9162 §2.1.3.1:
 *   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      if m < k
 *                 = PATH(m - k, D[k:n]) : MTH(D[0:k])  if m >= k
 * and PATH(0, {d0}) = {}. Walking down from the root, each step keeps the half
 * holding leaf m and records the other half; there are at most 64 steps. */
int gs_merkle_prove_inclusion(uint64_t index, uint64_t size, gs_merkle_get_fn get, void *ctx,
                              gs_hash *proof, size_t *n, gs_error *err)
{
    if (get == NULL || proof == NULL || n == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "gs_merkle_prove_inclusion needs a get function, a "
                            "proof buffer and a count");
    *n = 0;
    if (index >= size)
        return gs_error_set(err, GS_EINVAL,
                            "no inclusion proof for leaf %" PRIu64 " in a tree of size %" PRIu64
                            ": the index must be smaller than the size",
                            index, size);
    span s[64];
    size_t count = 0;
    uint64_t begin = 0, end = size;
    while (end - begin > 1) {
        uint64_t mid = begin + split_point(end - begin);
        if (index < mid) {
            s[count++] = (span){mid, end};
            end = mid;
        } else {
            s[count++] = (span){begin, mid};
            begin = mid;
        }
    }
    int rc = read_spans(s, count, 0, get, ctx, proof, err);
    if (rc != 0)
        return rc;
    *n = count;
    return 0;
}

/* RFC 9162 §2.1.4.1:
 *   PROOF(m, D[n]) = SUBPROOF(m, D[n], true)
 *   SUBPROOF(m, D[m], true)  = {}
 *   SUBPROOF(m, D[m], false) = {MTH(D[m])}
 *   SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          if m <= k
 *                        = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  if m > k
 * The walk keeps the half holding the old boundary m until the kept range
 * ends exactly at m. That range is a subtree of both trees; the verifier knows
 * its hash already when it is the whole old tree (b still true: m is a power
 * of two), otherwise it is sent first. */
int gs_merkle_prove_consistency(uint64_t old_size, uint64_t new_size, gs_merkle_get_fn get,
                                void *ctx, gs_hash *proof, size_t *n, gs_error *err)
{
    if (get == NULL || proof == NULL || n == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "gs_merkle_prove_consistency needs a get function, a "
                            "proof buffer and a count");
    *n = 0;
    if (old_size == 0)
        return gs_error_set(err, GS_EINVAL,
                            "no consistency proof from the empty tree: every tree extends it");
    if (old_size > new_size)
        return gs_error_set(err, GS_EINVAL,
                            "no consistency proof from size %" PRIu64
                            " to the smaller size %" PRIu64,
                            old_size, new_size);
    span s[64];
    size_t count = 0;
    uint64_t begin = 0, end = new_size;
    int whole_old_tree = 1; /* the b of SUBPROOF */
    while (end != old_size) {
        uint64_t mid = begin + split_point(end - begin);
        if (old_size <= mid) {
            s[count++] = (span){mid, end};
            end = mid;
        } else {
            s[count++] = (span){begin, mid};
            begin = mid;
            whole_old_tree = 0;
        }
    }
    size_t first = 0;
    if (!whole_old_tree) {
        int rc = gs_merkle_range_hash(begin, end, get, ctx, &proof[0], err);
        if (rc != 0)
            return rc;
        first = 1;
    }
    int rc = read_spans(s, count, first, get, ctx, proof, err);
    if (rc != 0)
        return rc;
    *n = first + count;
    return 0;
}

/* ---- verification ----------------------------------------------------------- */

/* The loop shared by RFC 9162 §2.1.3.2 step 4 and §2.1.4.2 step 6, with fn the
 * position of the node being rebuilt and sn the last position at that level.
 * If fn is odd or fn == sn, the proof hash is a left sibling (when fn == sn and
 * fn is even the node has no right sibling at this level: it is carried up
 * unchanged until it becomes a right child or reaches the left edge);
 * otherwise it is a right sibling. Called with hashes == NULL it only counts
 * the steps, which is the number of hashes a valid proof has. */
typedef struct {
    uint64_t fn, sn;
} walk;

static size_t walk_length(walk w)
{
    size_t steps = 0;
    while (w.sn != 0) {
        if ((w.fn & 1) || w.fn == w.sn) {
            if (!(w.fn & 1)) {
                while (!(w.fn & 1) && w.fn != 0) {
                    w.fn >>= 1;
                    w.sn >>= 1;
                }
            }
        }
        w.fn >>= 1;
        w.sn >>= 1;
        steps++;
    }
    return steps;
}

int gs_merkle_verify_inclusion(const gs_hash *leaf, uint64_t index, uint64_t size,
                               const gs_hash *proof, size_t n, const gs_hash *root, gs_error *err)
{
    if (leaf == NULL || root == NULL || (proof == NULL && n > 0))
        return gs_error_set(err, GS_EINVAL,
                            "gs_merkle_verify_inclusion needs a leaf hash, a "
                            "root and the proof hashes");
    /* RFC 9162 §2.1.3.2 step 1. */
    if (index >= size)
        return gs_error_set(err, GS_EVERIFY,
                            "inclusion proof for leaf %" PRIu64 " in a tree of size %" PRIu64
                            ": the index must be smaller than the size",
                            index, size);
    /* Step 2. */
    walk w = {index, size - 1};
    /* Steps 4a and 5 fail a proof whose length is not exactly the walk's;
     * checking first gives the reason. */
    size_t need = walk_length(w);
    if (n != need)
        return gs_error_set(err, GS_EVERIFY,
                            "inclusion proof has %zu hashes, a tree of size %" PRIu64
                            " needs %zu for leaf %" PRIu64,
                            n, size, need, index);
    /* Steps 3 and 4. */
    gs_hash r = *leaf;
    for (size_t k = 0; k < n; k++) {
        if ((w.fn & 1) || w.fn == w.sn) {
            gs_merkle_node_hash(&proof[k], &r, &r);
            while (!(w.fn & 1) && w.fn != 0) {
                w.fn >>= 1;
                w.sn >>= 1;
            }
        } else {
            gs_merkle_node_hash(&r, &proof[k], &r);
        }
        w.fn >>= 1;
        w.sn >>= 1;
    }
    /* Step 5 (sn == 0 holds: the length matched the walk). */
    if (w.sn != 0 || memcmp(r.b, root->b, sizeof r.b) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "inclusion proof for leaf %" PRIu64 " in a tree of size %" PRIu64
                            " does not lead to the given root",
                            index, size);
    return 0;
}

int gs_merkle_verify_consistency(uint64_t old_size, uint64_t new_size, const gs_hash *old_root,
                                 const gs_hash *new_root, const gs_hash *proof, size_t n,
                                 gs_error *err)
{
    if (old_root == NULL || new_root == NULL || (proof == NULL && n > 0))
        return gs_error_set(err, GS_EINVAL,
                            "gs_merkle_verify_consistency needs both roots and "
                            "the proof hashes");
    if (old_size == 0)
        return gs_error_set(err, GS_EVERIFY,
                            "consistency proof from the empty tree proves nothing; "
                            "start from a tree of at least one leaf");
    if (old_size > new_size)
        return gs_error_set(err, GS_EVERIFY,
                            "consistency proof from size %" PRIu64 " to the smaller size %" PRIu64
                            ": a log never shrinks",
                            old_size, new_size);
    if (old_size == new_size) {
        if (n != 0)
            return gs_error_set(err, GS_EVERIFY,
                                "consistency proof between two trees of size %" PRIu64
                                " must be empty, it has %zu hashes",
                                old_size, n);
        if (memcmp(old_root->b, new_root->b, sizeof old_root->b) != 0)
            return gs_error_set(err, GS_EVERIFY,
                                "two different roots for the same tree size %" PRIu64, old_size);
        return 0;
    }

    /* Step 2: when old_size is a power of two the old tree is itself the
     * first subtree of the new one, and its root is not sent. */
    int old_is_subtree = (old_size & (old_size - 1)) == 0;
    /* Steps 3 and 4: start at the largest subtree that is complete in both
     * trees — strip the low set bits of old_size - 1 (the old tree's right
     * edge nodes that are complete). */
    walk w = {old_size - 1, new_size - 1};
    while (w.fn & 1) {
        w.fn >>= 1;
        w.sn >>= 1;
    }
    size_t need = walk_length(w) + (old_is_subtree ? 0 : 1);
    /* Step 1, and the length checks of steps 6a and 7, with the reason. */
    if (n != need)
        return gs_error_set(err, GS_EVERIFY,
                            "consistency proof has %zu hashes, going from size %" PRIu64
                            " to %" PRIu64 " needs %zu",
                            n, old_size, new_size, need);

    /* Step 5. */
    size_t k = 0;
    gs_hash fr, sr;
    if (old_is_subtree) {
        fr = *old_root;
    } else {
        fr = proof[0];
        k = 1;
    }
    sr = fr;
    /* Step 6. */
    for (; k < n; k++) {
        if ((w.fn & 1) || w.fn == w.sn) {
            gs_merkle_node_hash(&proof[k], &fr, &fr);
            gs_merkle_node_hash(&proof[k], &sr, &sr);
            while (!(w.fn & 1) && w.fn != 0) {
                w.fn >>= 1;
                w.sn >>= 1;
            }
        } else {
            gs_merkle_node_hash(&sr, &proof[k], &sr);
        }
        w.fn >>= 1;
        w.sn >>= 1;
    }
    /* Step 7. */
    if (w.sn != 0 || memcmp(fr.b, old_root->b, sizeof fr.b) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "consistency proof from size %" PRIu64 " to %" PRIu64
                            " does not lead to the old root",
                            old_size, new_size);
    if (memcmp(sr.b, new_root->b, sizeof sr.b) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "consistency proof from size %" PRIu64 " to %" PRIu64
                            " does not lead to the new root",
                            old_size, new_size);
    return 0;
}

int gs_merkle_consistency_roots(uint64_t old_size, uint64_t new_size, const gs_hash *proof,
                                size_t n, gs_hash *old_root, gs_hash *new_root, gs_error *err)
{
    if (old_root == NULL || new_root == NULL || (proof == NULL && n > 0))
        return gs_error_set(err, GS_EINVAL,
                            "gs_merkle_consistency_roots needs the proof hashes and two "
                            "output roots");
    if (old_size == 0 || old_size >= new_size)
        return gs_error_set(err, GS_EINVAL,
                            "no consistency proof reconstructs roots from size %" PRIu64
                            " to %" PRIu64 ": the old size must be at least 1 and smaller",
                            old_size, new_size);
    /* Steps 3 and 4, as in gs_merkle_verify_consistency. Step 2 (prepend
     * the old root for a power-of-two old_size) is the caller's: the proof
     * carries its first node either way, so it always has one hash more
     * than the walk. */
    walk w = {old_size - 1, new_size - 1};
    while (w.fn & 1) {
        w.fn >>= 1;
        w.sn >>= 1;
    }
    size_t need = walk_length(w) + 1;
    if (n != need)
        return gs_error_set(err, GS_EVERIFY,
                            "consistency proof has %zu hashes, reconstructing the roots of "
                            "sizes %" PRIu64 " and %" PRIu64 " needs %zu%s",
                            n, old_size, new_size, need,
                            (old_size & (old_size - 1)) == 0
                                ? " (the old root first, as the old size is a power of two)"
                                : "");
    /* Steps 5 and 6. */
    gs_hash fr = proof[0], sr = proof[0];
    for (size_t k = 1; k < n; k++) {
        if ((w.fn & 1) || w.fn == w.sn) {
            gs_merkle_node_hash(&proof[k], &fr, &fr);
            gs_merkle_node_hash(&proof[k], &sr, &sr);
            while (!(w.fn & 1) && w.fn != 0) {
                w.fn >>= 1;
                w.sn >>= 1;
            }
        } else {
            gs_merkle_node_hash(&sr, &proof[k], &sr);
        }
        w.fn >>= 1;
        w.sn >>= 1;
    }
    /* Step 7's sn == 0 holds: the length matched the walk. */
    *old_root = fr;
    *new_root = sr;
    return 0;
}
