/* evidence.c — see evidence.h.
 *
 * Every kind comes down to one question: is there a pair of facts, each
 * fixed by the log's own signature, that cannot both hold? A checkpoint's
 * signature fixes its root; a proof or a list of entries that reaches that
 * root exactly fixes everything below it (RFC 9162 §2.1, second-preimage
 * resistance of SHA-256 with the 0x00/0x01 prefixes). So each check first
 * anchors the carried data to a signed root, and only then compares. Data
 * that does not reach a signed root proves nothing and is refused, however
 * suspicious it looks: the detector is not trusted.
 */
#include "evidence.h"
#include "ingest.h"
#include "keychain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "note.h"
#include "rules.h"

/* A checkpoint of the accused log, verified against its trusted key. */
typedef struct {
    gs_note *note;
    gs_checkpoint cp;
} signed_cp;

static void signed_cp_clear(signed_cp *s)
{
    gs_note_free(&s->note);
    gs_checkpoint_clear(&s->cp);
}

static int hash_equal(const gs_hash *a, const gs_hash *b)
{
    return memcmp(a->b, b->b, sizeof a->b) == 0;
}

/* ---------------------------------------------------------------- node paths */

/* The largest power of two strictly below x (x >= 2): where RFC 6962
 * §2.1.1 splits a tree of x leaves. */
static uint64_t split_of(uint64_t x)
{
    return (uint64_t)1 << (63 - __builtin_clzll(x - 1));
}

/* The subtrees whose hashes make PATH(k, D[0:n]) of RFC 6962 §2.1.1, in
 * proof order (deepest first): [lo[i], hi[i]). Returns how many. */
static size_t path_ranges(uint64_t k, uint64_t n, uint64_t lo[64], uint64_t hi[64])
{
    uint64_t tlo[64], thi[64], a = 0, b = n;
    size_t c = 0;
    while (b - a > 1 && c < 64) {
        uint64_t s = split_of(b - a);
        if (k < a + s) {
            tlo[c] = a + s;
            thi[c++] = b;
            b = a + s;
        } else {
            tlo[c] = a;
            thi[c++] = a + s;
            a += s;
        }
    }
    for (size_t i = 0; i < c; i++) {
        lo[i] = tlo[c - 1 - i];
        hi[i] = thi[c - 1 - i];
    }
    return c;
}

/* Checks that (level, first) names a node of the tree of size `size` and
 * gives its end and its place in the tree seen from its level: leaf k of a
 * tree of `layer` leaves (evidence.h, NODE PATHS). */
static int node_place(unsigned level, uint64_t first, uint64_t size, uint64_t *end, uint64_t *k,
                      uint64_t *layer, gs_error *err)
{
    if (level > 63)
        return gs_error_set(err, GS_EINVAL, "node level %u is above 63", level);
    uint64_t span = (uint64_t)1 << level;
    if (first >= size || (first & (span - 1)) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "(level %u, first leaf %" PRIu64 ") is not a node of a tree of size "
                            "%" PRIu64,
                            level, first, size);
    *end = size - first > span ? first + span : size;
    *k = first >> level;
    *layer = ((size - 1) >> level) + 1;
    return 0;
}

int gs_evidence_node_path(unsigned level, uint64_t first, uint64_t size, gs_merkle_get_fn get,
                          void *ctx, gs_hash *hash, gs_hash *path, size_t *n, gs_error *err)
{
    uint64_t end = 0, k = 0, layer = 0, lo[64], hi[64];
    int rc = node_place(level, first, size, &end, &k, &layer, err);
    if (rc != 0)
        return rc;
    size_t c = path_ranges(k, layer, lo, hi);
    for (size_t i = 0; i < c; i++) {
        uint64_t a = lo[i] << level, b = hi[i] >= layer ? size : hi[i] << level;
        if ((rc = gs_merkle_range_hash(a, b, get, ctx, &path[i], err)) != 0)
            return rc;
    }
    *n = c;
    if (hash != NULL)
        return gs_merkle_range_hash(first, end, get, ctx, hash, err);
    return 0;
}

/* The node's hash and path reach root (NODE PATHS). */
static int verify_node(const gs_hash *hash, unsigned level, uint64_t first, uint64_t size,
                       const gs_hash *path, size_t n, const gs_hash *root, gs_error *err)
{
    uint64_t end = 0, k = 0, layer = 0;
    int rc = node_place(level, first, size, &end, &k, &layer, err);
    if (rc != 0)
        return rc;
    if (n > 0 && path == NULL)
        return gs_error_set(err, GS_EINVAL, "the node's path is missing");
    return gs_merkle_verify_inclusion(hash, k, layer, path, n, root, err);
}

/* ---------------------------------------------------------------- bisection */

struct gs_bisect {
    uint64_t size;
    gs_merkle_get_fn get;
    void *ctx;
    gs_bisect_state state;
    /* The node [lo, hi) of the signed tree: its signed hash is `hash`
     * (fixed by the path `up` from the root, top first) and differs from
     * the detector's. */
    uint64_t lo, hi;
    gs_hash hash;
    gs_hash up[64];
    size_t n_up;
    /* The children's signed hashes, as the proofs of their first leaves
     * give them: the proof of leaf lo carries the right child's hash, the
     * proof of the right child's first leaf the left child's. */
    bool have_left, have_right;
    gs_hash left, right;
    char why[GS_ERROR_MSG_MAX];
};

int gs_bisect_new(gs_bisect **out, uint64_t size, const gs_hash *root, gs_merkle_get_fn get,
                  void *ctx, gs_error *err)
{
    gs_hash mine;
    int rc;
    *out = NULL;
    if (size == 0)
        return gs_error_set(err, GS_EINVAL, "the empty tree has nothing to bisect");
    if ((rc = gs_merkle_root_at(size, get, ctx, &mine, err)) != 0)
        return rc;
    if (hash_equal(&mine, root))
        return gs_error_set(err, GS_EINVAL,
                            "the tree of size %" PRIu64 " held here has the signed root: nothing "
                            "differs",
                            size);
    gs_bisect *b = calloc(1, sizeof *b);
    if (b == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    b->size = size;
    b->get = get;
    b->ctx = ctx;
    b->lo = 0;
    b->hi = size;
    b->hash = *root;
    b->state = size == 1 ? GS_BISECT_FOUND : GS_BISECT_ASKING;
    *out = b;
    return 0;
}

void gs_bisect_free(gs_bisect **bp)
{
    if (bp == NULL || *bp == NULL)
        return;
    free(*bp);
    *bp = NULL;
}

gs_bisect_state gs_bisect_state_of(const gs_bisect *b)
{
    return b->state;
}

size_t gs_bisect_wanted(const gs_bisect *b, uint64_t leaves[2])
{
    size_t n = 0;
    if (b->state != GS_BISECT_ASKING)
        return 0;
    if (!b->have_right)
        leaves[n++] = b->lo;
    if (!b->have_left)
        leaves[n++] = b->lo + split_of(b->hi - b->lo);
    return n;
}

void gs_bisect_give_up(gs_bisect *b, const char *why)
{
    if (b->state != GS_BISECT_ASKING)
        return;
    b->state = GS_BISECT_STUCK;
    snprintf(b->why, sizeof b->why, "%s", why);
}

/* Both children are in: believe them only if they hash to the node's signed
 * hash, then go down into the leftmost that differs from the detector's. */
static int bisect_descend(gs_bisect *b, gs_error *err)
{
    gs_hash h, mine;
    uint64_t s = split_of(b->hi - b->lo);
    int rc;
    gs_merkle_node_hash(&b->left, &b->right, &h);
    if (!hash_equal(&h, &b->hash)) {
        snprintf(b->why, sizeof b->why,
                 "the source's inclusion proofs of leaves %" PRIu64 " and %" PRIu64
                 " give children of [%" PRIu64 ", %" PRIu64
                 ") that do not hash to the signed tree's node",
                 b->lo, b->lo + s, b->lo, b->hi);
        b->state = GS_BISECT_STUCK;
        return 0;
    }
    if ((rc = gs_merkle_range_hash(b->lo, b->lo + s, b->get, b->ctx, &mine, err)) != 0)
        return rc;
    if (!hash_equal(&mine, &b->left)) {
        b->up[b->n_up++] = b->right;
        b->hi = b->lo + s;
        b->hash = b->left;
    } else {
        /* The node differs and its left child does not: the right one does. */
        b->up[b->n_up++] = b->left;
        b->lo += s;
        b->hash = b->right;
    }
    b->have_left = b->have_right = false;
    if (b->hi - b->lo == 1)
        b->state = GS_BISECT_FOUND;
    return 0;
}

int gs_bisect_take(gs_bisect *b, uint64_t leaf, const gs_hash *proof, size_t n, gs_error *err)
{
    uint64_t lo[64], hi[64], s, want_lo, want_hi;
    bool *have;
    gs_hash *into;
    if (b->state != GS_BISECT_ASKING)
        return 0;
    s = split_of(b->hi - b->lo);
    if (leaf == b->lo && !b->have_right) {
        have = &b->have_right;
        into = &b->right;
        want_lo = b->lo + s;
        want_hi = b->hi;
    } else if (leaf == b->lo + s && !b->have_left) {
        have = &b->have_left;
        into = &b->left;
        want_lo = b->lo;
        want_hi = b->lo + s;
    } else {
        return 0;
    }
    size_t c = path_ranges(leaf, b->size, lo, hi);
    if (n != c || (n > 0 && proof == NULL)) {
        snprintf(b->why, sizeof b->why,
                 "the source's inclusion proof of leaf %" PRIu64 " in the tree of size %" PRIu64
                 " has %zu hashes, not %zu",
                 leaf, b->size, n, c);
        b->state = GS_BISECT_STUCK;
        return 0;
    }
    for (size_t i = 0; i < c; i++)
        if (lo[i] == want_lo && hi[i] == want_hi) {
            *into = proof[i];
            *have = true;
        }
    /* Every child of a node is a sibling on its other child's paths, so
     * this cannot happen; were it to, the search must end, not wait. */
    if (!*have) {
        snprintf(b->why, sizeof b->why,
                 "internal: the path of leaf %" PRIu64 " does not pass by [%" PRIu64 ", %" PRIu64
                 ")",
                 leaf, want_lo, want_hi);
        b->state = GS_BISECT_STUCK;
        return 0;
    }
    if (b->have_left && b->have_right)
        return bisect_descend(b, err);
    return 0;
}

void gs_bisect_result(const gs_bisect *b, unsigned *level, uint64_t *first, gs_hash *hash,
                      gs_hash *path, size_t *n, const char **why)
{
    uint64_t len = b->hi - b->lo;
    *level = len == 1 ? 0 : 64 - (unsigned)__builtin_clzll(len - 1);
    *first = b->lo;
    *hash = b->hash;
    for (size_t i = 0; i < b->n_up; i++)
        path[i] = b->up[b->n_up - 1 - i];
    *n = b->n_up;
    if (why != NULL)
        *why = b->why;
}

/* ---------------------------------------------------------------- checkpoints */

/* Parses the note `text` (called `what` in messages), checks that it is a
 * checkpoint of origin and that the key kc gives for its size signed it. */
static int open_checkpoint(const char *text, const char *what, const gs_keychain *kc,
                           const char *origin, signed_cp *out, gs_error *err)
{
    int rc;
    const char *body;
    size_t body_len;
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return gs_error_set(err, GS_EINVAL, "the evidence has no %s", what);
    if ((rc = gs_note_parse(text, strlen(text), &out->note, err)) != 0) {
        gs_error_wrap(err, "%s", what);
        goto fail;
    }
    body = gs_note_text(out->note, &body_len);
    if ((rc = gs_checkpoint_parse(body, body_len, &out->cp, err)) != 0) {
        gs_error_wrap(err, "%s", what);
        goto fail;
    }
    if (strcmp(out->cp.origin, origin) != 0) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "%s is a checkpoint of \"%s\", not of the accused log \"%s\"", what,
                          out->cp.origin, origin);
        goto fail;
    }
    if ((rc = gs_keychain_verify_note(kc, out->note, out->cp.size, err)) != 0) {
        gs_error_wrap(err, "%s is not signed by the log key", what);
        if (err != NULL)
            err->code = rc = GS_EVERIFY;
        goto fail;
    }
    return 0;
fail:
    signed_cp_clear(out);
    return rc;
}

/* The heart of (a) and (b): small and big are signed checkpoints with
 * size(small) < size(big). Proves that the log signed, for size(small), a
 * root other than the one its size(big) tree has for its first
 * size(small) leaves. */
static int prove_inconsistent(const gs_evidence *ev, const gs_checkpoint *small,
                              const char *small_name, const gs_checkpoint *big,
                              const char *big_name, gs_error *err)
{
    int rc;
    gs_hash old_root, new_root;
    if (small->size == 0) {
        /* RFC 6962 §2.1: the empty tree has exactly one root. */
        gs_merkle_empty_root(&old_root);
        if (hash_equal(&old_root, &small->root))
            return gs_error_set(err, GS_EVERIFY,
                                "%s is the empty tree with its true root; every tree extends it, "
                                "so it is consistent with %s: no misbehaviour",
                                small_name, big_name);
        return 0;
    }
    if (ev->n_consistency_proof > 0 && ev->consistency_proof == NULL)
        return gs_error_set(err, GS_EINVAL, "the evidence's consistency proof is missing");
    if ((rc = gs_merkle_consistency_roots(small->size, big->size, ev->consistency_proof,
                                          ev->n_consistency_proof, &old_root, &new_root, err)) != 0)
        return gs_error_wrap(err, "consistency proof from %" PRIu64 " to %" PRIu64, small->size,
                             big->size);
    if (!hash_equal(&new_root, &big->root))
        return gs_error_set(err, GS_EVERIFY,
                            "the consistency proof from %" PRIu64 " to %" PRIu64
                            " does not reach the signed root of %s, so it fixes nothing",
                            small->size, big->size, big_name);
    if (hash_equal(&old_root, &small->root))
        return gs_error_set(err, GS_EVERIFY,
                            "%s (size %" PRIu64 ") is a prefix of %s (size %" PRIu64
                            "): the two checkpoints are consistent, no misbehaviour",
                            small_name, small->size, big_name, big->size);
    return 0;
}

/* (a), one-node form: a perfect subtree inside both signed trees, with a
 * different hash in each. */
static int verify_split_node(const gs_evidence *ev, const signed_cp *a, const signed_cp *b,
                             gs_error *err)
{
    int rc;
    uint64_t span, small = a->cp.size < b->cp.size ? a->cp.size : b->cp.size;
    if (!ev->has_node_hash_a)
        return gs_error_set(err, GS_EINVAL,
                            "the one-node form needs the node's hash in both trees; "
                            "node_hash_a is missing");
    if (ev->n_consistency_proof != 0 || ev->n_entries != 0 || ev->n_frontier != 0)
        return gs_error_set(err, GS_EINVAL,
                            "the one-node form carries only the node's hashes and paths");
    if (ev->level > 63)
        return gs_error_set(err, GS_EINVAL, "node level %" PRIu32 " is above 63", ev->level);
    span = (uint64_t)1 << ev->level;
    if ((ev->first_index & (span - 1)) != 0 || ev->first_index >= small ||
        small - ev->first_index < span)
        return gs_error_set(err, GS_EINVAL,
                            "the node [%" PRIu64 ", +2^%" PRIu32 ") is not a perfect subtree "
                            "inside both trees (sizes %" PRIu64 " and %" PRIu64 ")",
                            ev->first_index, ev->level, a->cp.size, b->cp.size);
    if ((rc = verify_node(&ev->node_hash_a, ev->level, ev->first_index, a->cp.size,
                          ev->inclusion_proof_a, ev->n_inclusion_proof_a, &a->cp.root, err)) != 0) {
        gs_error_wrap(err, "the node's hash is not proven in checkpoint a's tree");
        if (err != NULL && rc != GS_ENOMEM)
            err->code = rc = GS_EVERIFY;
        return rc;
    }
    if ((rc = verify_node(&ev->node_hash_b, ev->level, ev->first_index, b->cp.size,
                          ev->inclusion_proof, ev->n_inclusion_proof, &b->cp.root, err)) != 0) {
        gs_error_wrap(err, "the node's hash is not proven in checkpoint b's tree");
        if (err != NULL && rc != GS_ENOMEM)
            err->code = rc = GS_EVERIFY;
        return rc;
    }
    if (hash_equal(&ev->node_hash_a, &ev->node_hash_b))
        return gs_error_set(err, GS_EVERIFY,
                            "both trees have the same hash for the node [%" PRIu64 ", +2^%" PRIu32
                            "): they agree there, no misbehaviour",
                            ev->first_index, ev->level);
    return 0;
}

/* (a): two signed checkpoints that cannot both be true. */
static int verify_split_view(const gs_evidence *ev, const gs_keychain *kc, gs_error *err)
{
    signed_cp a, b;
    int rc = open_checkpoint(ev->checkpoint_a, "checkpoint a", kc, ev->origin, &a, err);
    if (rc != 0)
        return rc;
    if ((rc = open_checkpoint(ev->checkpoint_b, "checkpoint b", kc, ev->origin, &b, err)) != 0)
        goto out;
    if (ev->has_node_hash_b) {
        rc = verify_split_node(ev, &a, &b, err);
        goto out;
    }
    if (ev->has_node_hash_a || ev->n_inclusion_proof_a != 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "node_hash_a without node_hash_b: neither form of split-view evidence");
        goto out;
    }
    if (a.cp.size == b.cp.size) {
        if (hash_equal(&a.cp.root, &b.cp.root))
            rc = gs_error_set(err, GS_EVERIFY,
                              "both checkpoints are of size %" PRIu64
                              " with the same root: they agree, no misbehaviour",
                              a.cp.size);
        goto out;
    }
    if (a.cp.size < b.cp.size)
        rc = prove_inconsistent(ev, &a.cp, "checkpoint a", &b.cp, "checkpoint b", err);
    else
        rc = prove_inconsistent(ev, &b.cp, "checkpoint b", &a.cp, "checkpoint a", err);
out:
    signed_cp_clear(&a);
    signed_cp_clear(&b);
    return rc;
}

/* (b): a smaller signed checkpoint that is not a prefix of a larger one. */
static int verify_rollback(const gs_evidence *ev, const gs_keychain *kc, gs_error *err)
{
    signed_cp a, b;
    int rc = open_checkpoint(ev->checkpoint_a, "checkpoint a", kc, ev->origin, &a, err);
    if (rc != 0)
        return rc;
    if ((rc = open_checkpoint(ev->checkpoint_b, "checkpoint b", kc, ev->origin, &b, err)) != 0)
        goto out;
    if (b.cp.size >= a.cp.size) {
        rc = gs_error_set(err, GS_EINVAL,
                          "rollback evidence needs checkpoint a (the cosigned one, size %" PRIu64
                          ") larger than checkpoint b (size %" PRIu64 ")",
                          a.cp.size, b.cp.size);
        goto out;
    }
    rc = prove_inconsistent(ev, &b.cp, "checkpoint b", &a.cp, "checkpoint a", err);
    if (rc == GS_EVERIFY && err != NULL && strstr(err->msg, "consistent") != NULL)
        gs_error_set(err, GS_EVERIFY,
                     "checkpoint b (size %" PRIu64 ") is a prefix of checkpoint a (size %" PRIu64
                     "): an old checkpoint, not a rollback",
                     b.cp.size, a.cp.size);
out:
    signed_cp_clear(&a);
    signed_cp_clear(&b);
    return rc;
}

static int entries_present(const gs_evidence *ev, gs_error *err)
{
    if (ev->n_entries > GS_MAX_EVIDENCE_ENTRIES)
        return gs_error_set(err, GS_ETOOBIG, "the evidence carries %zu entries, more than %d",
                            ev->n_entries, GS_MAX_EVIDENCE_ENTRIES);
    if (ev->n_entries > 0 && ev->entries == NULL)
        return gs_error_set(err, GS_EINVAL, "the evidence's entries are missing");
    for (size_t i = 0; i < ev->n_entries; i++)
        if (ev->entries[i].n > 0 && ev->entries[i].p == NULL)
            return gs_error_set(err, GS_EINVAL, "entry %zu of the evidence is missing", i);
    return 0;
}

/* MTH of entries (RFC 6962 §2.1), through the append frontier. */
static void entries_root(const gs_evidence *ev, gs_hash *root)
{
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    for (size_t i = 0; i < ev->n_entries; i++) {
        gs_hash leaf;
        gs_merkle_leaf_hash(gs_bytes_of(ev->entries[i].p, ev->entries[i].n), &leaf);
        gs_merkle_frontier_append(&f, &leaf, NULL, NULL);
    }
    gs_merkle_frontier_root(&f, root);
}

/* (c), one-node form: the entries served for one node of b's tree do not
 * hash to the node's signed hash. */
static int verify_bad_node(const gs_evidence *ev, const gs_keychain *kc, gs_error *err)
{
    signed_cp b;
    uint64_t end = 0, k = 0, layer = 0;
    gs_hash mth;
    int rc = open_checkpoint(ev->checkpoint_b, "checkpoint b", kc, ev->origin, &b, err);
    if (rc != 0)
        return rc;
    if (ev->checkpoint_a != NULL || ev->n_frontier != 0 || ev->has_node_hash_a ||
        ev->n_inclusion_proof_a != 0 || ev->n_consistency_proof != 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "the one-node form of bad-entries evidence carries checkpoint b, the "
                          "node's hash and path, and the entries only");
        goto out;
    }
    if ((rc = node_place(ev->level, ev->first_index, b.cp.size, &end, &k, &layer, err)) != 0 ||
        (rc = entries_present(ev, err)) != 0)
        goto out;
    if (ev->n_entries != end - ev->first_index) {
        rc = gs_error_set(err, GS_EINVAL,
                          "the node [%" PRIu64 ", %" PRIu64 ") has %" PRIu64
                          " leaves; the evidence carries %zu entries",
                          ev->first_index, end, end - ev->first_index, ev->n_entries);
        goto out;
    }
    if ((rc = verify_node(&ev->node_hash_b, ev->level, ev->first_index, b.cp.size,
                          ev->inclusion_proof, ev->n_inclusion_proof, &b.cp.root, err)) != 0) {
        gs_error_wrap(err, "the node's hash is not proven in checkpoint b's tree");
        if (err != NULL && rc != GS_ENOMEM)
            err->code = rc = GS_EVERIFY;
        goto out;
    }
    entries_root(ev, &mth);
    if (hash_equal(&mth, &ev->node_hash_b)) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the %zu entries hash to the signed tree's node [%" PRIu64 ", %" PRIu64
                          "): they are the log's own entries, no misbehaviour",
                          ev->n_entries, ev->first_index, end);
        goto out;
    }
    rc = 0;
out:
    signed_cp_clear(&b);
    return rc;
}

/* (c): entries served for [m, n) that do not hash to the signed size-n root. */
static int verify_bad_entries(const gs_evidence *ev, const gs_keychain *kc, gs_error *err)
{
    signed_cp a = {0}, b;
    int have_a = ev->checkpoint_a != NULL;
    gs_merkle_frontier f;
    gs_hash root;
    uint64_t m = 0;
    if (ev->has_node_hash_b)
        return verify_bad_node(ev, kc, err);
    if (ev->has_node_hash_a || ev->n_inclusion_proof_a != 0)
        return gs_error_set(err, GS_EINVAL,
                            "node_hash_a belongs to split-view evidence, not to bad entries");
    int rc = open_checkpoint(ev->checkpoint_b, "checkpoint b", kc, ev->origin, &b, err);
    if (rc != 0)
        return rc;
    if (have_a &&
        (rc = open_checkpoint(ev->checkpoint_a, "checkpoint a", kc, ev->origin, &a, err)) != 0)
        goto out;
    if (have_a)
        m = a.cp.size;
    if (m >= b.cp.size) {
        rc = gs_error_set(err, GS_EINVAL,
                          "bad-entries evidence needs checkpoint b (size %" PRIu64
                          ") larger than checkpoint a (size %" PRIu64 ")",
                          b.cp.size, m);
        goto out;
    }
    if ((rc = entries_present(ev, err)) != 0)
        goto out;
    if (ev->first_index != m || ev->n_entries != b.cp.size - m) {
        rc = gs_error_set(err, GS_EINVAL,
                          "bad-entries evidence must carry the %" PRIu64 " entries [%" PRIu64
                          ", %" PRIu64 "); it carries %zu from index %" PRIu64,
                          b.cp.size - m, m, b.cp.size, ev->n_entries, ev->first_index);
        goto out;
    }
    /* The frontier of the size-m tree: one perfect subtree per bit of m. */
    unsigned want = (unsigned)__builtin_popcountll(m);
    if (ev->n_frontier != want || (want > 0 && ev->frontier == NULL)) {
        rc = gs_error_set(err, GS_EINVAL,
                          "the frontier of a tree of size %" PRIu64
                          " has %u subtree roots; the evidence carries %zu",
                          m, want, ev->n_frontier);
        goto out;
    }
    gs_merkle_frontier_init(&f);
    f.size = m;
    f.n = want;
    if (want > 0)
        memcpy(f.h, ev->frontier, want * sizeof(gs_hash));
    gs_merkle_frontier_root(&f, &root);
    /* Without checkpoint a, m = 0 and the frontier is empty: nothing to fix. */
    if (have_a && !hash_equal(&root, &a.cp.root)) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the frontier does not reproduce the signed root of checkpoint a "
                          "(size %" PRIu64 "), so it fixes nothing",
                          m);
        goto out;
    }
    for (size_t i = 0; i < ev->n_entries; i++) {
        gs_hash leaf;
        gs_merkle_leaf_hash(gs_bytes_of(ev->entries[i].p, ev->entries[i].n), &leaf);
        gs_merkle_frontier_append(&f, &leaf, NULL, NULL);
    }
    gs_merkle_frontier_root(&f, &root);
    if (hash_equal(&root, &b.cp.root)) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the %zu entries hash to the signed root of size %" PRIu64
                          ": they are the log's own entries, no misbehaviour",
                          ev->n_entries, b.cp.size);
        goto out;
    }
    rc = 0;
out:
    signed_cp_clear(&a);
    signed_cp_clear(&b);
    return rc;
}

/* (d), forged form: one entry proven in the signed tree whose signature
 * does not verify. */
static int verify_forged_entry(const gs_evidence *ev, const signed_cp *b, gs_error *err)
{
    int rc;
    gs_hash leaf;
    gs_statement st;
    gs_error why = {0};
    if (ev->n_entries != 1)
        return gs_error_set(err, GS_EINVAL,
                            "rule-violation evidence with an inclusion proof carries exactly one "
                            "entry; this one carries %zu",
                            ev->n_entries);
    if (ev->n_inclusion_proof > 0 && ev->inclusion_proof == NULL)
        return gs_error_set(err, GS_EINVAL, "the evidence's inclusion proof is missing");
    gs_merkle_leaf_hash(gs_bytes_of(ev->entries[0].p, ev->entries[0].n), &leaf);
    if ((rc = gs_merkle_verify_inclusion(&leaf, ev->first_index, b->cp.size, ev->inclusion_proof,
                                         ev->n_inclusion_proof, &b->cp.root, err)) != 0) {
        gs_error_wrap(err, "entry %" PRIu64 " is not proven to be in checkpoint b",
                      ev->first_index);
        if (err != NULL)
            err->code = GS_EVERIFY;
        return GS_EVERIFY;
    }
    memset(&st, 0, sizeof st);
    rc = gs_wire_open_entry(gs_bytes_of(ev->entries[0].p, ev->entries[0].n), &st, &why);
    gs_statement_clear(&st);
    if (rc == 0)
        return gs_error_set(err, GS_EVERIFY,
                            "entry %" PRIu64
                            " is a validly signed statement: alone it proves nothing; a broken "
                            "rule needs the log's history up to it",
                            ev->first_index);
    if (rc == GS_ENOMEM)
        return gs_error_set(err, GS_ENOMEM, "out of memory opening entry %" PRIu64,
                            ev->first_index);
    return 0;
}

/* (d), history form: entries [0, e) reach checkpoint b's root; the rule book
 * accepts [0, e-1) and refuses entry e-1. The entries go through the same
 * ingestion pipeline as the node's submissions and the hub's sync, in one
 * push, so every reference among them is seen. */
static int verify_history(const gs_evidence *ev, const signed_cp *b, gs_error *err)
{
    int rc;
    uint64_t e = ev->n_entries;
    gs_hash root;
    gs_ingest *in = NULL;
    gs_bytes *entries = NULL;
    gs_ingest_verdict *v = NULL;
    if (e == 0)
        return gs_error_set(err, GS_EINVAL, "rule-violation evidence carries no entry");
    if (e > b->cp.size)
        return gs_error_set(err, GS_EINVAL,
                            "rule-violation evidence carries %" PRIu64
                            " entries, more than checkpoint b's size %" PRIu64,
                            e, b->cp.size);
    gs_ingest_config cfg = {0};
    if ((entries = calloc((size_t)e, sizeof *entries)) == NULL ||
        (v = calloc((size_t)e, sizeof *v)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory replaying %" PRIu64 " entries", e);
        goto out;
    }
    for (uint64_t i = 0; i < e; i++)
        entries[i] = gs_bytes_of(ev->entries[i].p, ev->entries[i].n);
    if ((rc = gs_ingest_new(&in, ev->origin, &cfg, err)) != 0 ||
        (rc = gs_ingest_push(in, GS_INGEST_HISTORY, entries, (size_t)e, 0, v, err)) != 0)
        goto out;
    /* Anchor the entries to the signed root first. */
    gs_ingest_root(in, &root);
    if (e == b->cp.size) {
        if (ev->n_consistency_proof != 0) {
            rc = gs_error_set(err, GS_EINVAL,
                              "the entries are the whole signed tree; the consistency proof must "
                              "be empty, it has %zu hashes",
                              ev->n_consistency_proof);
            goto out;
        }
        if (!hash_equal(&root, &b->cp.root)) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "the %" PRIu64 " entries do not hash to the signed root of "
                              "checkpoint b, so they are not the log's",
                              e);
            goto out;
        }
    } else {
        if (ev->n_consistency_proof > 0 && ev->consistency_proof == NULL) {
            rc = gs_error_set(err, GS_EINVAL, "the evidence's consistency proof is missing");
            goto out;
        }
        if ((rc = gs_merkle_verify_consistency(e, b->cp.size, &root, &b->cp.root,
                                               ev->consistency_proof, ev->n_consistency_proof,
                                               err)) != 0) {
            gs_error_wrap(err,
                          "the %" PRIu64 " entries are not proven to be the start of "
                          "checkpoint b's tree",
                          e);
            if (err != NULL)
                err->code = GS_EVERIFY;
            rc = GS_EVERIFY;
            goto out;
        }
    }
    /* The verdicts of the one rule book, as the node, the hub and the
     * auditor reach them. */
    for (uint64_t i = 0; i < e; i++) {
        bool last = i + 1 == e;
        if (v[i].accepted)
            continue;
        switch (v[i].reason) {
        case GS_RULE_BAD_ARGUMENT:
        case GS_RULE_OUT_OF_ORDER:
        case GS_RULE_ENTRY_UNAVAILABLE:
        case GS_RULE_NO_MEMORY:
            /* The replay failed; the rule book did not judge the entry. */
            rc = gs_error_set(err, v[i].reason == GS_RULE_NO_MEMORY ? GS_ENOMEM : GS_EINVAL,
                              "replaying entry %" PRIu64 " failed: %s", i, v[i].message);
            goto out;
        default: break;
        }
        if (last) {
            rc = 0; /* the log accepted what the rule book refuses */
            goto out;
        }
        if (!v[i].opened)
            rc = gs_error_set(err, GS_EVERIFY,
                              "entry %" PRIu64 " is already refused (%s); the evidence must end "
                              "at the first offending entry, not at %" PRIu64,
                              i, v[i].message, e - 1);
        else
            rc = gs_error_set(err, GS_EVERIFY,
                              "entry %" PRIu64 " is already refused by the rule book [%s]: %s; "
                              "the evidence must end at the first offending entry, not at %" PRIu64,
                              i, gs_rules_reason_name(v[i].reason), v[i].message, e - 1);
        goto out;
    }
    rc = gs_error_set(err, GS_EVERIFY,
                      "the rule book accepts every one of the %" PRIu64
                      " entries, the last included: no rule is broken",
                      e);
out:
    gs_ingest_free(&in);
    free(entries);
    free(v);
    return rc;
}

/* (d): an entry inside the signed log that breaks the rule book. */
static int verify_rule_violation(const gs_evidence *ev, const gs_keychain *kc, gs_error *err)
{
    signed_cp b;
    int rc = open_checkpoint(ev->checkpoint_b, "checkpoint b", kc, ev->origin, &b, err);
    if (rc != 0)
        return rc;
    if ((rc = entries_present(ev, err)) != 0)
        goto out;
    /* The history form starts at entry 0 and proves its place with a
     * consistency proof; anything else names one entry and proves it with an
     * inclusion proof. Entry 0 of a one-entry tree needs neither proof: both
     * forms then coincide (its leaf hash is the root). */
    if (ev->first_index == 0 && ev->n_inclusion_proof == 0)
        rc = verify_history(ev, &b, err);
    else
        rc = verify_forged_entry(ev, &b, err);
out:
    signed_cp_clear(&b);
    return rc;
}

/* The checks every evidence starts with: the accused log and its key. */
static int check_accused(const gs_evidence *ev, const gs_vkey *log_key, gs_error *err)
{
    int rc;
    gs_vkey named;
    if (ev == NULL || log_key == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_evidence_verify needs evidence and a log key");
    if (ev->origin == NULL || ev->origin[0] == '\0')
        return gs_error_set(err, GS_EINVAL, "the evidence names no origin");
    if (log_key->alg != GS_VKEY_ALG_ED25519)
        return gs_error_set(err, GS_EINVAL,
                            "the trusted key %s is not a log key (algorithm 0x%02x, not 0x01)",
                            log_key->name, log_key->alg);
    /* signed-note: a log's key name is its origin. */
    if (strcmp(log_key->name, ev->origin) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "the trusted key is the key of \"%s\", but the evidence accuses "
                            "\"%s\"",
                            log_key->name, ev->origin);
    if (ev->log_key == NULL)
        return gs_error_set(err, GS_EINVAL, "the evidence names no log key");
    if ((rc = gs_vkey_parse(ev->log_key, &named, err)) != 0)
        return gs_error_wrap(err, "the evidence's log key");
    if (named.alg != log_key->alg || strcmp(named.name, log_key->name) != 0 ||
        memcmp(named.key.b, log_key->key.b, sizeof named.key.b) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "the evidence names the log key %s, which is not the trusted key "
                            "%s+%08" PRIx32 " of %s",
                            ev->log_key, log_key->name, log_key->key_hash, ev->origin);
    return 0;
}

/* The log's keys from the trusted key (the anchor), extended with the
 * rotations the evidence carries (log_key_chain), proven in the tree of one
 * of its checkpoints. */
static int evidence_chain(const gs_evidence *ev, const gs_vkey *log_key, gs_keychain *kc,
                          gs_error *err)
{
    int rc = gs_keychain_init(kc, ev->origin, &log_key->key, err);
    if (rc != 0 || ev->n_log_key_chain == 0)
        return rc;
    gs_keychain_proof *proofs = calloc(ev->n_log_key_chain, sizeof *proofs);
    if (proofs == NULL) {
        gs_keychain_clear(kc);
        return gs_error_set(err, GS_ENOMEM, "out of memory for the evidence's key chain");
    }
    for (size_t k = 0; k < ev->n_log_key_chain; k++) {
        const struct gs_key_link *l = &ev->log_key_chain[k];
        proofs[k] = (gs_keychain_proof){.index = l->index,
                                        .entry = gs_bytes_of(l->entry.p, l->entry.n),
                                        .proof = l->proof,
                                        .n_proof = l->n_proof};
    }
    /* The links are proven in the tree of one of the checkpoints, which the
     * key they lead to for its size must have signed: that checkpoint's root
     * is then the log's, and so are the links. */
    const char *cand[2] = {ev->checkpoint_b, ev->checkpoint_a};
    rc = gs_error_set(err, GS_EVERIFY, "the evidence carries a key chain but no checkpoint");
    for (int c = 0; c < 2 && rc != 0; c++) {
        gs_note *n = NULL;
        gs_checkpoint cp;
        gs_keychain t;
        size_t tl;
        memset(&cp, 0, sizeof cp);
        if (cand[c] == NULL || gs_note_parse(cand[c], strlen(cand[c]), &n, err) != 0)
            continue;
        const char *body = gs_note_text(n, &tl);
        if (gs_checkpoint_parse(body, tl, &cp, err) == 0 &&
            gs_keychain_init(&t, ev->origin, &log_key->key, err) == 0) {
            if (gs_keychain_add_proven(&t, proofs, ev->n_log_key_chain, cp.size, &cp.root, err) ==
                    0 &&
                gs_keychain_verify_note(&t, n, cp.size, err) == 0) {
                gs_keychain_clear(kc);
                *kc = t;
                rc = 0;
            } else {
                gs_keychain_clear(&t);
            }
        }
        gs_checkpoint_clear(&cp);
        gs_note_free(&n);
    }
    free(proofs);
    if (rc != 0) {
        gs_keychain_clear(kc);
        gs_error_wrap(err, "the log key chain the evidence carries");
        rc = GS_EVERIFY;
        if (err != NULL)
            err->code = GS_EVERIFY;
    }
    return rc;
}

static int verify_one(const gs_evidence *ev, const gs_keychain *kc, gs_error *err)
{
    switch (ev->kind) {
    case GS_EVIDENCE_SPLIT_VIEW: return verify_split_view(ev, kc, err);
    case GS_EVIDENCE_ROLLBACK: return verify_rollback(ev, kc, err);
    case GS_EVIDENCE_BAD_ENTRIES: return verify_bad_entries(ev, kc, err);
    case GS_EVIDENCE_RULE_VIOLATION: return verify_rule_violation(ev, kc, err);
    }
    return gs_error_set(err, GS_EINVAL, "unknown evidence kind %d", (int)ev->kind);
}

int gs_evidence_verify(const gs_evidence *ev, const gs_vkey *log_key, gs_error *err)
{
    int rc = check_accused(ev, log_key, err);
    if (rc != 0)
        return rc;
    if (ev->part != 0 || ev->parts != 0 || ev->has_previous_part)
        return gs_error_set(err, GS_EINVAL,
                            "this is part %" PRIu32 " of %" PRIu32
                            " of a split rule-violation evidence: alone it proves nothing; "
                            "verify all %" PRIu32 " parts together",
                            ev->part, ev->parts, ev->parts);
    if ((ev->kind == GS_EVIDENCE_ROLLBACK || ev->kind == GS_EVIDENCE_RULE_VIOLATION) &&
        (ev->has_node_hash_a || ev->has_node_hash_b || ev->n_inclusion_proof_a != 0 ||
         ev->level != 0))
        return gs_error_set(err, GS_EINVAL,
                            "only split-view and bad-entries evidence have a one-node form");
    gs_keychain kc;
    if ((rc = evidence_chain(ev, log_key, &kc, err)) != 0)
        return rc;
    rc = verify_one(ev, &kc, err);
    gs_keychain_clear(&kc);
    return rc;
}

/* Part k (from 1) of n of one split evidence, chained to prev (NULL for
 * the first), holding its entries from index `at`. */
static int check_part(const gs_evidence *p, const gs_evidence *first, const gs_evidence *prev,
                      size_t k, size_t n, uint64_t at, gs_error *err)
{
    int rc;
    gs_hash h;
    if (p->kind != GS_EVIDENCE_RULE_VIOLATION || p->part != k || p->parts != n)
        return gs_error_set(err, GS_EINVAL,
                            "item %zu is not part %zu of %zu of a rule-violation evidence (it "
                            "says part %" PRIu32 " of %" PRIu32 ")",
                            k, k, n, p->part, p->parts);
    if (p->origin == NULL || p->log_key == NULL || strcmp(p->origin, first->origin) != 0 ||
        strcmp(p->log_key, first->log_key) != 0)
        return gs_error_set(err, GS_EINVAL, "part %zu accuses another log than part 1", k);
    if (p->has_node_hash_a || p->has_node_hash_b || p->n_inclusion_proof_a != 0 ||
        p->n_inclusion_proof != 0 || p->n_frontier != 0 || p->level != 0 || p->checkpoint_a != NULL)
        return gs_error_set(err, GS_EINVAL,
                            "part %zu carries fields a split rule-violation evidence has not", k);
    if (p->n_entries == 0 || p->n_entries > GS_MAX_EVIDENCE_ENTRIES || p->entries == NULL)
        return gs_error_set(err, GS_EINVAL, "part %zu carries %zu entries (1 to %d)", k,
                            p->n_entries, GS_MAX_EVIDENCE_ENTRIES);
    if (p->first_index != at)
        return gs_error_set(err, GS_EINVAL,
                            "part %zu starts at entry %" PRIu64
                            "; the parts before it end at %" PRIu64,
                            k, p->first_index, at);
    if (prev == NULL) {
        if (p->has_previous_part || p->checkpoint_b == NULL)
            return gs_error_set(err, GS_EINVAL,
                                "part 1 carries checkpoint b and names no previous part");
        return 0;
    }
    if (p->checkpoint_b != NULL || p->n_consistency_proof != 0)
        return gs_error_set(err, GS_EINVAL,
                            "part %zu carries a checkpoint or proof: only part 1 does", k);
    if ((rc = gs_wire_evidence_hash(prev, &h, err)) != 0)
        return rc;
    if (!p->has_previous_part || !hash_equal(&h, &p->previous_part))
        return gs_error_set(err, GS_EINVAL,
                            "part %zu does not name part %zu's hash as its previous part: they "
                            "are not one chain",
                            k, k - 1);
    return 0;
}

int gs_evidence_verify_parts(const gs_evidence *const *parts, size_t n, const gs_vkey *log_key,
                             gs_error *err)
{
    int rc;
    uint64_t total = 0;
    gs_buf *joined = NULL;
    signed_cp b;
    if (parts == NULL || n == 0)
        return gs_error_set(err, GS_EINVAL, "no parts to verify");
    if (n > GS_MAX_EVIDENCE_PARTS)
        return gs_error_set(err, GS_ETOOBIG, "%zu parts, more than %d", n, GS_MAX_EVIDENCE_PARTS);
    if ((rc = check_accused(parts[0], log_key, err)) != 0)
        return rc;
    for (size_t k = 0; k < n; k++) {
        if ((rc = check_part(parts[k], parts[0], k > 0 ? parts[k - 1] : NULL, k + 1, n, total,
                             err)) != 0)
            return rc;
        total += parts[k]->n_entries;
    }
    if ((joined = calloc((size_t)total, sizeof *joined)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory joining %" PRIu64 " entries", total);
    for (size_t k = 0, at = 0; k < n; k++)
        for (size_t i = 0; i < parts[k]->n_entries; i++)
            joined[at++] = parts[k]->entries[i];
    gs_evidence whole = *parts[0];
    whole.part = whole.parts = 0;
    whole.entries = joined;
    whole.n_entries = (size_t)total;
    gs_keychain kc;
    if ((rc = evidence_chain(&whole, log_key, &kc, err)) == 0 &&
        (rc = open_checkpoint(whole.checkpoint_b, "checkpoint b", &kc, whole.origin, &b, err)) ==
            0) {
        rc = verify_history(&whole, &b, err);
        signed_cp_clear(&b);
    }
    gs_keychain_clear(&kc);
    free(joined);
    return rc;
}

int gs_evidence_split(const gs_evidence *whole, gs_evidence **out, size_t *n, gs_error *err)
{
    size_t cap = 0, np = 0, used = 0;
    gs_evidence *parts = NULL;
    int rc;
    *out = NULL;
    *n = 0;
    if (whole->kind != GS_EVIDENCE_RULE_VIOLATION || whole->first_index != 0 ||
        whole->n_inclusion_proof != 0 || whole->n_entries == 0 || whole->parts != 0)
        return gs_error_set(err, GS_EINVAL,
                            "only the history form of rule-violation evidence is split");
    /* Count first: entries in order, as many per part as fit. */
    for (size_t i = 0; i < whole->n_entries; np++) {
        size_t k = 0, bytes = 0;
        while (i < whole->n_entries && k < GS_MAX_EVIDENCE_ENTRIES &&
               (k == 0 || bytes + whole->entries[i].n <= GS_EVIDENCE_PART_BYTES)) {
            bytes += whole->entries[i++].n;
            k++;
        }
    }
    if (np > GS_MAX_EVIDENCE_PARTS)
        return gs_error_set(err, GS_ETOOBIG, "the evidence would take %zu parts, more than %d", np,
                            GS_MAX_EVIDENCE_PARTS);
    cap = np;
    if ((parts = calloc(cap, sizeof *parts)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory splitting the evidence");
    for (size_t k = 0; k < np; k++) {
        gs_evidence *p = &parts[k];
        size_t count = 0, bytes = 0;
        while (used + count < whole->n_entries && count < GS_MAX_EVIDENCE_ENTRIES &&
               (count == 0 || bytes + whole->entries[used + count].n <= GS_EVIDENCE_PART_BYTES))
            bytes += whole->entries[used + count++].n;
        p->kind = whole->kind;
        p->origin = whole->origin;
        p->log_key = whole->log_key;
        p->detected_at = whole->detected_at;
        p->first_index = used;
        p->entries = whole->entries + used;
        p->n_entries = count;
        if (np > 1) {
            p->part = (uint32_t)k + 1;
            p->parts = (uint32_t)np;
        }
        if (k == 0) {
            p->checkpoint_b = whole->checkpoint_b;
            p->log_key_chain = whole->log_key_chain;
            p->n_log_key_chain = whole->n_log_key_chain;
            p->consistency_proof = whole->consistency_proof;
            p->n_consistency_proof = whole->n_consistency_proof;
            p->reason = whole->reason;
        } else {
            p->has_previous_part = true;
            if ((rc = gs_wire_evidence_hash(&parts[k - 1], &p->previous_part, err)) != 0) {
                free(parts);
                return rc;
            }
        }
        used += count;
    }
    *out = parts;
    *n = np;
    return 0;
}

/* The size a checkpoint note claims, unverified (for describing only);
 * -1 when it does not parse. */
static int peek_size(const char *text, uint64_t *size)
{
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    const char *body;
    size_t len;
    int ok = -1;
    if (text == NULL || gs_note_parse(text, strlen(text), &n, NULL) != 0)
        return -1;
    body = gs_note_text(n, &len);
    if (gs_checkpoint_parse(body, len, &cp, NULL) == 0) {
        *size = cp.size;
        ok = 0;
    }
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return ok;
}

void gs_evidence_describe(const gs_evidence *ev, char *out, size_t cap)
{
    uint64_t sa = 0, sb = 0;
    int ha, hb;
    if (out == NULL || cap == 0)
        return;
    if (ev == NULL) {
        snprintf(out, cap, "no evidence");
        return;
    }
    ha = peek_size(ev->checkpoint_a, &sa) == 0;
    hb = peek_size(ev->checkpoint_b, &sb) == 0;
    switch (ev->kind) {
    case GS_EVIDENCE_SPLIT_VIEW:
        if (ev->has_node_hash_b && ev->level == 0)
            snprintf(out, cap,
                     "split view: the log signed two histories with different entries at index "
                     "%" PRIu64,
                     ev->first_index);
        else if (ev->has_node_hash_b)
            snprintf(out, cap,
                     "split view: the log signed two histories that differ inside entries "
                     "[%" PRIu64 ", %" PRIu64 ")",
                     ev->first_index,
                     ev->first_index + (ev->level < 64 ? (uint64_t)1 << ev->level : 0));
        else if (ha && hb && sa == sb)
            snprintf(out, cap,
                     "split view: two checkpoints of size %" PRIu64 " with different roots", sa);
        else if (ha && hb)
            snprintf(out, cap,
                     "split view: checkpoints of sizes %" PRIu64 " and %" PRIu64
                     " with different histories (the log rewrote its first %" PRIu64 " entries)",
                     sa < sb ? sa : sb, sa < sb ? sb : sa, sa < sb ? sa : sb);
        else
            snprintf(out, cap, "split view: two checkpoints that cannot both be true");
        return;
    case GS_EVIDENCE_ROLLBACK:
        if (ha && hb)
            snprintf(out, cap, "rollback from %" PRIu64 " to %" PRIu64, sa, sb);
        else
            snprintf(out, cap, "rollback to a smaller tree that is not a prefix");
        return;
    case GS_EVIDENCE_BAD_ENTRIES:
        if (ev->has_node_hash_b)
            snprintf(out, cap,
                     "bad entries: %zu entries served from index %" PRIu64
                     " are not the log's (the signed tree holds others there)",
                     ev->n_entries, ev->first_index);
        else if (hb)
            snprintf(out, cap,
                     "bad entries: %zu entries served for [%" PRIu64 ", %" PRIu64
                     ") do not hash to the signed root of size %" PRIu64,
                     ev->n_entries, ev->first_index, sb, sb);
        else
            snprintf(out, cap, "bad entries: %zu entries served do not hash to the signed root",
                     ev->n_entries);
        return;
    case GS_EVIDENCE_RULE_VIOLATION:
        if (ev->parts > 0)
            snprintf(out, cap,
                     "rule violation, part %" PRIu32 " of %" PRIu32 ": entries %" PRIu64
                     "..%" PRIu64 " of the history up to the offending "
                     "entry",
                     ev->part, ev->parts, ev->first_index,
                     ev->first_index + ev->n_entries - (ev->n_entries > 0));
        else if (ev->first_index == 0 && ev->n_inclusion_proof == 0 && ev->n_entries > 0)
            snprintf(out, cap,
                     "rule violation: entry %zu breaks the rule book (history of %zu entries)",
                     ev->n_entries - 1, ev->n_entries);
        else
            snprintf(out, cap,
                     "rule violation: entry %" PRIu64 " carries a signature that does not verify",
                     ev->first_index);
        return;
    }
    snprintf(out, cap, "unknown evidence kind %d", (int)ev->kind);
}

void gs_evidence_describe_parts(const gs_evidence *const *parts, size_t n, char *out, size_t cap)
{
    uint64_t total = 0;
    if (out == NULL || cap == 0)
        return;
    if (parts == NULL || n == 0) {
        snprintf(out, cap, "no evidence");
        return;
    }
    if (n == 1) {
        gs_evidence_describe(parts[0], out, cap);
        return;
    }
    for (size_t k = 0; k < n; k++)
        total += parts[k]->n_entries;
    snprintf(out, cap,
             "rule violation: entry %" PRIu64 " breaks the rule book (history of %" PRIu64
             " entries, in %zu parts)",
             total > 0 ? total - 1 : 0, total, n);
}
