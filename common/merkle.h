/* merkle.h — RFC 6962 / RFC 9162 Merkle trees: hashing, the append
 * frontier, inclusion and consistency proofs.
 *
 * Leaf hash = SHA-256(0x00 || entry); interior = SHA-256(0x01 || left || right);
 * the root of the empty tree is SHA-256("").
 *
 * A tree of n leaves keeps only its frontier (the roots of its perfect
 * subtrees, at most 64 hashes) in memory; every other hash is read through a
 * gs_merkle_get_fn callback, so memory does not grow with the log.
 *
 * Stored hashes are addressed as (level, index): the root of the perfect
 * subtree over leaves [index * 2^level, (index + 1) * 2^level). Level 0 holds
 * the leaf hashes. Only complete subtrees are ever stored or asked for.
 */
#ifndef GS_MERKLE_H
#define GS_MERKLE_H

#include "error.h"
#include "types.h"

#define GS_MERKLE_MAX_PROOF 128

void gs_merkle_leaf_hash(gs_bytes entry, gs_hash *out);
void gs_merkle_node_hash(const gs_hash *left, const gs_hash *right, gs_hash *out);
void gs_merkle_empty_root(gs_hash *out);

/* The frontier of a tree: the roots of its perfect subtrees, largest (leftmost)
 * first. For size n there is one subtree per bit set in n. */
typedef struct {
    uint64_t size;
    unsigned n;
    gs_hash h[64];
} gs_merkle_frontier;

void gs_merkle_frontier_init(gs_merkle_frontier *f);

/* Called for every complete subtree the append closes, bottom up, starting
 * with the leaf itself at level 0, so a store can persist exactly the hashes
 * of complete subtrees. All the subtrees closed by leaf i end at leaf i.
 * h is valid only during the call: copy it. */
typedef void (*gs_merkle_emit_fn)(void *ctx, unsigned level, uint64_t index, const gs_hash *h);

/* Appends a leaf hash. emit may be NULL. */
void gs_merkle_frontier_append(gs_merkle_frontier *f, const gs_hash *leaf, gs_merkle_emit_fn emit,
                               void *ctx);
/* The root of the tree the frontier describes (SHA-256("") when empty). */
void gs_merkle_frontier_root(const gs_merkle_frontier *f, gs_hash *out);

/* Reads the stored hash of the complete subtree (level, index). Returns 0 or a
 * negative GS_E… code with err filled. */
typedef int (*gs_merkle_get_fn)(void *ctx, unsigned level, uint64_t index, gs_hash *out,
                                gs_error *err);

/* Rebuilds the frontier of a tree of the given size from stored hashes
 * (one read per bit set in size). */
int gs_merkle_frontier_load(gs_merkle_frontier *f, uint64_t size, gs_merkle_get_fn get, void *ctx,
                            gs_error *err);

/* MTH(D[begin:end]) for a node of the tree of size end' >= end: the range is
 * either a perfect subtree or a right edge [begin, end) with begin aligned;
 * reads O(log n) stored hashes. */
int gs_merkle_range_hash(uint64_t begin, uint64_t end, gs_merkle_get_fn get, void *ctx,
                         gs_hash *out, gs_error *err);
/* The root of the tree of the given (past or current) size. */
int gs_merkle_root_at(uint64_t size, gs_merkle_get_fn get, void *ctx, gs_hash *out, gs_error *err);

/* RFC 9162 §2.1.3.1: inclusion proof of leaf index in the tree of size size.
 * proof must hold GS_MERKLE_MAX_PROOF hashes. O(log n) reads. */
int gs_merkle_prove_inclusion(uint64_t index, uint64_t size, gs_merkle_get_fn get, void *ctx,
                              gs_hash *proof, size_t *n, gs_error *err);
/* RFC 9162 §2.1.4.1: consistency proof from old_size to new_size
 * (0 < old_size <= new_size). O(log n) reads. */
int gs_merkle_prove_consistency(uint64_t old_size, uint64_t new_size, gs_merkle_get_fn get,
                                void *ctx, gs_hash *proof, size_t *n, gs_error *err);

/* RFC 9162 §2.1.3.2. Returns 0 when the proof shows leaf at index in the
 * tree of size with the given root; GS_EVERIFY (with the reason) otherwise. */
int gs_merkle_verify_inclusion(const gs_hash *leaf, uint64_t index, uint64_t size,
                               const gs_hash *proof, size_t n, const gs_hash *root,
                               gs_error *err) GS_MUST_USE;
/* RFC 9162 §2.1.4.2. old_size == new_size needs an empty proof and equal
 * roots; old_size == 0 is refused (nothing to prove). */
int gs_merkle_verify_consistency(uint64_t old_size, uint64_t new_size, const gs_hash *old_root,
                                 const gs_hash *new_root, const gs_hash *proof, size_t n,
                                 gs_error *err) GS_MUST_USE;
/* RFC 9162 §2.1.4.2 run without the roots to compare against: returns the
 * old and new roots the proof reconstructs (0 < old_size < new_size), so a
 * caller can check one of them against a signed root and compare the other
 * (evidence of a rewritten history, evidence.h). For a power-of-two
 * old_size, whose RFC proof omits the old root, the old root must be
 * prepended as the proof's first hash: the proof then always has one hash
 * more than the subtrees of the walk. GS_EVERIFY when the proof has the
 * wrong number of hashes for the two sizes, GS_EINVAL for sizes out of
 * range. */
int gs_merkle_consistency_roots(uint64_t old_size, uint64_t new_size, const gs_hash *proof,
                                size_t n, gs_hash *old_root, gs_hash *new_root, gs_error *err);

#endif
