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
#include "wire.h"

/* Returns 0 when ev proves what its kind claims against the log whose
 * trusted key is log_key (its name must be ev->origin, and ev->log_key must
 * name the same key). Otherwise GS_EVERIFY (or GS_EINVAL for a malformed
 * evidence) with a sentence saying which check failed. Kind (d) replays the
 * entries with the rule parameters the log itself declares (rules.h). */
int gs_evidence_verify(const gs_evidence *ev, const gs_vkey *log_key, gs_error *err) GS_MUST_USE;

/* A one-line description for people: "split view: two checkpoints of size 12
 * with different roots", "rollback from 40 to 31", … out is NUL-terminated. */
void gs_evidence_describe(const gs_evidence *ev, char *out, size_t cap);

#endif
