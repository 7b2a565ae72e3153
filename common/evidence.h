/* evidence.h — self-contained, offline-verifiable proof that a log
 * misbehaved (DESIGN §2.6: evidence, not accusation).
 *
 * An Evidence (gs_evidence in wire.h) names the accused log (origin and its
 * verifier key string) and carries everything a verifier needs, with no
 * network and no other state than the log's trusted key. What each kind
 * carries and what makes it proof:
 *
 * (a) GS_EVIDENCE_SPLIT_VIEW — two checkpoints signed by the log key that
 *     cannot both be true.
 *     checkpoint_a, checkpoint_b: signed notes of the same origin, both
 *     carrying a valid signature by log_key.
 *     - same size, different roots: nothing else is needed;
 *     - different sizes m < n (either order in a/b): consistency_proof is a
 *       proof from m to n that, run through RFC 9162 §2.1.4.2, reproduces the
 *       size-n root exactly and yields a size-m root different from the
 *       size-m checkpoint's root. Because the proof reaches the signed n
 *       root, the root of the first m leaves of that tree is fixed; the log
 *       signed another one for size m. When m is a power of two the RFC proof
 *       omits the old root; here it is then prepended as the proof's first
 *       hash (the subtree of the first m leaves as the n tree has it).
 *     - the one-node form (node_hash_b set), whatever the sizes: one node of
 *       both trees, the perfect subtree N = [first_index, first_index +
 *       2^level) with first_index a multiple of 2^level and N inside both
 *       trees (first_index + 2^level <= min(size(a), size(b))); level 0 is a
 *       single leaf. node_hash_a is N's hash in a's tree, proven by
 *       inclusion_proof_a; node_hash_b its hash in b's tree, proven by
 *       inclusion_proof; the two differ. A path is an RFC 9162 inclusion
 *       proof in the tree seen from N's level (NODE PATHS below). A perfect
 *       subtree's hash depends on its leaves only, so two trees of which one
 *       extends the other have the same hash for N: the log signed two
 *       histories that disagree inside N. This form stays small whatever
 *       the size of the rewrite (two paths of at most 64 hashes), and it
 *       needs no consistency proof, so a power-of-two size is no special
 *       case. Hubs make it by bisection (gs_bisect below).
 *
 * (b) GS_EVIDENCE_ROLLBACK — a signed checkpoint smaller than one the
 *     detector already cosigned, and not a prefix of it. checkpoint_a is the
 *     larger (cosigned) one, checkpoint_b the smaller; the proof is as in (a)
 *     from size(b) to size(a) (made by the detector from its replica). A
 *     smaller checkpoint that IS a prefix is an old checkpoint, not evidence.
 *
 * (c) GS_EVIDENCE_BAD_ENTRIES — entries served for a signed checkpoint that
 *     do not hash to its root. checkpoint_a (size m, may be absent when
 *     m = 0) and checkpoint_b (size n > m) are signed by log_key; frontier
 *     holds the roots of the perfect subtrees of the size-m tree, largest
 *     first (gs_merkle_frontier), which must reproduce a's root; entries are
 *     the n - m entries served for [m, n) (first_index = m). Appending their
 *     leaf hashes to the frontier gives a root that differs from b's. reason
 *     names the source that served them: this is evidence that the source
 *     served data that is not the log, which the log's own node may not be.
 *     The one-node form (node_hash_b set; no checkpoint_a, no frontier) is
 *     bounded: N is the node of b's tree covering [first_index,
 *     min(first_index + 2^level, size(b))) (first_index a multiple of
 *     2^level, below size(b); at the right edge N may be imperfect);
 *     node_hash_b is N's hash in b's tree, proven by inclusion_proof (a node
 *     path); entries are the entries served for N, exactly N's leaves in
 *     order, and their RFC 6962 tree hash differs from node_hash_b. Level 0
 *     is one entry.
 *
 * (d) GS_EVIDENCE_RULE_VIOLATION — an entry inside a signed log that breaks
 *     the rule book. checkpoint_b is signed by log_key. Two forms:
 *     - a forged entry: entries holds exactly one entry, at index
 *       first_index; inclusion_proof proves it is in checkpoint_b's tree;
 *       and its statement signature does not verify (or it is not a
 *       statement at all). The log accepted what nobody signed.
 *     - a broken rule that needs history to see: first_index = 0 and
 *       entries is the whole log up to and including the offending entry
 *       (e entries). Their leaf hashes give the root of the size-e tree, and
 *       consistency_proof proves it consistent with checkpoint_b's root
 *       (RFC 9162, from e to size(b); empty when e = size(b)). Replaying
 *       them through the rule book (replay mode) accepts every entry but the
 *       last, and refuses the last.
 *     The history form cannot be made smaller: the rule book's verdict on
 *     an entry depends on everything before it (who was appointed, who
 *     resigned, which seqs a key used), and only the whole prefix lets a
 *     verifier reach the verdict the node, the hub and the audit reach
 *     (DESIGN principles 3 and 8); a subset with inclusion proofs could not
 *     show that no omitted entry changes it. When it does not fit in one
 *     entry it is SPLIT into parts, each its own Evidence (and its own
 *     entry of the hub's log), made deterministically: part k of parts
 *     (part and parts set, from 1) carries the next entries in order
 *     (first_index = how many the earlier parts carry), as many as fit; part
 *     1 carries checkpoint_b, consistency_proof and reason, the others only
 *     origin, log_key, detected_at and their entries; part k > 1 carries
 *     previous_part, the SHA-256 of part k-1's canonical Evidence encoding
 *     (gs_wire_evidence_hash), so the parts form a hash chain that names
 *     its own order. A part alone proves nothing and is refused by
 *     gs_evidence_verify; gs_evidence_verify_parts checks the chain, joins
 *     the parts and verifies the whole as above.
 *
 * NODE PATHS. For a level l, the nodes of a tree of size n at level l are
 * the blocks [k*2^l, min((k+1)*2^l, n)); RFC 6962 splits a tree at the
 * largest power of two below its size, so above level l the tree is the
 * tree of ceil(n / 2^l) "leaves" that are those blocks' hashes. A node's
 * path is therefore the RFC 9162 inclusion proof of leaf k in a tree of
 * size ceil(n / 2^l), with the node's hash in place of a leaf hash (for
 * l = 0, the ordinary inclusion proof). It fixes the node's hash as the
 * signed root fixes everything below it.
 *
 * Verification never trusts the detector: it checks every signature, proof
 * and hash itself. The hub that found the evidence signs the Statement that
 * carries it (an Evidence entry in the hub's own log); that signature says
 * who reported it, not whether it is true.
 */
#ifndef GS_EVIDENCE_H
#define GS_EVIDENCE_H

#include "crypto.h"
#include "error.h"
#include "merkle.h"
#include "wire.h"

/* Returns 0 when ev proves what its kind claims against the log whose
 * trusted key is log_key (its name must be ev->origin, and ev->log_key must
 * name the same key). Otherwise GS_EVERIFY (or GS_EINVAL for a malformed
 * evidence) with a sentence saying which check failed. Kind (d) replays the
 * entries with the rule parameters the log itself declares (rules.h). */
int gs_evidence_verify(const gs_evidence *ev, const gs_vkey *log_key, gs_error *err) GS_MUST_USE;

/* The most parts a split evidence may have (at most
 * GS_MAX_EVIDENCE_ENTRIES entries each). */
#define GS_MAX_EVIDENCE_PARTS 100000

/* Verifies the parts of a split history form of kind (d), given in order
 * (parts[k] is part k + 1): the chain, then the joined evidence as
 * gs_evidence_verify does. GS_EINVAL when they are not the n parts of one
 * split evidence, in order. */
int gs_evidence_verify_parts(const gs_evidence *const *parts, size_t n, const gs_vkey *log_key,
                             gs_error *err) GS_MUST_USE;

/* Bytes of entries one part (or an unsplit history form) carries at most,
 * so that with a checkpoint note, a proof and a reason it fits in one entry
 * (GS_MAX_ENTRY); an entry larger than this travels alone in its part. */
#define GS_EVIDENCE_PART_BYTES 40000

/* Splits a history form of kind (d) into its parts (evidence.h, above),
 * deterministically: entries in order, each part as many as fit in
 * GS_EVIDENCE_PART_BYTES and GS_MAX_EVIDENCE_ENTRIES. whole's origin,
 * log_key and detected_at must be set (the chain covers them). When it fits
 * in one, *n = 1 and parts[0] is whole unsplit. *out (malloc'd; free() it)
 * borrows whole's strings, proofs and entries. */
int gs_evidence_split(const gs_evidence *whole, gs_evidence **out, size_t *n, gs_error *err);

/* The path of the node (level, first) of the tree of size `size` (NODE
 * PATHS above), read through get: first must be a multiple of 2^level below
 * size; at level 0 it is gs_merkle_prove_inclusion. path must hold
 * GS_MERKLE_MAX_PROOF hashes. Also gives the node's hash when hash is not
 * NULL. */
int gs_evidence_node_path(unsigned level, uint64_t first, uint64_t size, gs_merkle_get_fn get,
                          void *ctx, gs_hash *hash, gs_hash *path, size_t *n, gs_error *err);

/* ---- Bisection: narrowing a mismatch down to one node.
 *
 * The detector holds a tree of size n (its replica, read through get) whose
 * root differs from the root r the log signed for size n. A source serves
 * the signed tree's inclusion proofs. The search walks down the signed tree
 * from r: for a node whose signed hash is known, it asks the inclusion
 * proofs of the first leaf of each child; the child hashes they carry are
 * believed only when they hash to the node's known hash (so nothing the
 * source says is trusted, and a source that lies stops the search without
 * misleading it). Of the two children it goes into the leftmost whose
 * signed hash differs from the detector's own (one must). Each level costs
 * two proofs; at most 64 levels. The search ends at one leaf (FOUND), or
 * STUCK at the smallest node shown to differ when the source's proofs do
 * not agree with the signed tree (or the caller gives up, e.g. on a
 * timeout). Either way the result is a node of the size-n tree, its signed
 * hash, which differs from the detector's, and its path to r: the one-node
 * forms of (a) and (c) are built from it.
 *
 * Owns its state; the get callback and ctx are borrowed for its lifetime. */
typedef struct gs_bisect gs_bisect;

typedef enum {
    GS_BISECT_ASKING = 0, /* wants the proofs gs_bisect_wanted names */
    GS_BISECT_FOUND,      /* narrowed down to one leaf */
    GS_BISECT_STUCK,      /* the source's proofs do not fit the signed tree */
} gs_bisect_state;

/* Starts the search. GS_EINVAL when the detector's root of size n equals r
 * (there is nothing to find) or n is 0. */
int gs_bisect_new(gs_bisect **out, uint64_t size, const gs_hash *root, gs_merkle_get_fn get,
                  void *ctx, gs_error *err) GS_MUST_USE;
void gs_bisect_free(gs_bisect **bp);
gs_bisect_state gs_bisect_state_of(const gs_bisect *b);
/* The leaves whose inclusion proofs in the tree of size n the search waits
 * for (0 to 2 of them; 0 unless ASKING). */
size_t gs_bisect_wanted(const gs_bisect *b, uint64_t leaves[2]);
/* A source's inclusion proof of `leaf` in the tree of size n. Proofs for
 * leaves not wanted are ignored. When both proofs of a level are in, the
 * search moves down one level (or ends). Returns 0, or a GS_E… code for an
 * internal failure (reading the detector's hashes); a proof that does not
 * fit is no error: it makes the search STUCK (gs_bisect_result says why). */
int gs_bisect_take(gs_bisect *b, uint64_t leaf, const gs_hash *proof, size_t n, gs_error *err);
/* Stops the search where it is (STUCK): the source did not answer. */
void gs_bisect_give_up(gs_bisect *b, const char *why);
/* The result so far: the smallest node known to differ, (level, first), its
 * hash in the signed tree and its path to the signed root (path must hold
 * GS_MERKLE_MAX_PROOF hashes). why: why the search is stuck ("" otherwise). */
void gs_bisect_result(const gs_bisect *b, unsigned *level, uint64_t *first, gs_hash *hash,
                      gs_hash *path, size_t *n, const char **why);

/* A one-line description for people: "split view: two checkpoints of size 12
 * with different roots", "rollback from 40 to 31", … out is NUL-terminated. */
void gs_evidence_describe(const gs_evidence *ev, char *out, size_t cap);
/* The same for the n parts of a split evidence, joined (unverified). */
void gs_evidence_describe_parts(const gs_evidence *const *parts, size_t n, char *out, size_t cap);

#endif
