/* log.h — a log = store + merkle + note: append, prove, checkpoint.
 *
 * A gs_log is one origin's append-only Merkle log (RFC 6962) kept in a
 * borrowed gs_store. Only the tree's frontier (at most 64 hashes) is held in
 * memory; every other hash is read from the store's stored subtree hashes, so
 * memory does not grow with the log and any proof is O(log n) reads.
 *
 * Appending: gs_log_append writes a batch durably in a transaction of its
 * own: entries, their stored tree hashes and the new tree state are committed
 * together, and the call returns once they are on disk. A caller that groups
 * work (the node's group commit, a hub replicating several logs at once)
 * opens the transaction itself with gs_store_begin, calls gs_log_stage on one
 * or more logs of that store, and ends with gs_store_commit or
 * gs_store_rollback; each log follows the outcome.
 *
 * gs_log_size and gs_log_root describe the tree including entries staged in
 * the store's open transaction (what the store will hold if it commits), so a
 * replicating hub can compare the root before committing. A checkpoint is
 * only signed over committed entries.
 *
 * A gs_log borrows its store: close every log before closing the store. A
 * store holds at most one open gs_log per origin.
 */
#ifndef GS_LOG_H
#define GS_LOG_H

#include <stdbool.h>

#include "crypto.h"
#include "error.h"
#include "merkle.h"
#include "store.h"
#include "types.h"

typedef struct gs_log gs_log;

/* Opens the log named origin in store; with create, adds it (empty, durably)
 * when the store does not hold it yet (GS_ENOTFOUND otherwise; creating is
 * refused while the store has a transaction open). Rebuilds the frontier
 * from the stored hashes and checks it against the stored root. Caller owns
 * the result. */
int gs_log_open(gs_log **out, gs_store *store, const char *origin, bool create,
                gs_error *err) GS_MUST_USE;
/* Closes *lp and sets it to NULL; safe on NULL. Entries it staged in an open
 * transaction stay staged (the store decides their fate). */
void gs_log_close(gs_log **lp);

const char *gs_log_origin(const gs_log *l);
uint64_t gs_log_size(const gs_log *l);
void gs_log_root(const gs_log *l, gs_hash *out);
/* The committed size and root only (what a checkpoint may claim). */
uint64_t gs_log_committed_size(const gs_log *l);

/* Appends n entries durably (one transaction of its own; GS_EINVAL when the
 * store already has a transaction open: use gs_log_stage then). *first (may
 * be NULL) receives the index of the first entry. On failure nothing of the
 * batch is kept. */
int gs_log_append(gs_log *l, const gs_bytes *entries, size_t n, uint64_t *first, gs_error *err);
/* Stages n entries in the store's open transaction (see above). On a store
 * failure the whole transaction is rolled back; on bad input (an entry above
 * GS_STORE_MAX_ENTRY, a full log) nothing is staged and the transaction is
 * left as it was. */
int gs_log_stage(gs_log *l, const gs_bytes *entries, size_t n, uint64_t *first, gs_error *err);

/* Cuts the log back to its first size entries (size <= committed size),
 * durably, with gs_store_truncate; checkpoints above size are dropped. Refused
 * while the store has a transaction open. */
int gs_log_truncate(gs_log *l, uint64_t size, gs_error *err);

/* Entry index, checked against its stored leaf hash (GS_ECORRUPT when the
 * database was altered). out is malloc'd; free with gs_buf_free. */
int gs_log_entry(gs_log *l, uint64_t index, gs_buf *out, gs_error *err);
/* The stored leaf hash of entry index: one read. */
int gs_log_leaf_hash(gs_log *l, uint64_t index, gs_hash *out, gs_error *err);
/* The root of the tree at a past (or the current) size. */
int gs_log_root_at(gs_log *l, uint64_t size, gs_hash *out, gs_error *err);
/* RFC 9162 §2.1.3.1 inclusion proof of index in the tree of size size
 * (index < size <= gs_log_size). proof holds GS_MERKLE_MAX_PROOF hashes. */
int gs_log_prove_inclusion(gs_log *l, uint64_t index, uint64_t size, gs_hash *proof, size_t *n,
                           gs_error *err);
/* RFC 9162 §2.1.4.1 consistency proof (0 < old_size <= new_size <=
 * gs_log_size). */
int gs_log_prove_consistency(gs_log *l, uint64_t old_size, uint64_t new_size, gs_hash *proof,
                             size_t *n, gs_error *err);

/* Signs a checkpoint of the committed tree with the log key (C2SP
 * tlog-checkpoint as a signed note; key name = origin), keeps it in the store
 * and returns the note text in *note (malloc'd; free()). Refused while this
 * log has entries staged in an open transaction: a signed checkpoint must
 * never cover entries that may still be rolled back. */
int gs_log_sign_checkpoint(gs_log *l, const gs_keypair *kp, char **note, gs_error *err);
/* Keeps a (cosigned) checkpoint note at size; see gs_store_put_checkpoint.
 * The caller has verified it. */
int gs_log_put_checkpoint(gs_log *l, uint64_t size, const char *note, bool *stored, gs_error *err);
/* The latest checkpoint note held (malloc'd; free()); GS_ENOTFOUND when
 * none. size may be NULL. */
int gs_log_latest_checkpoint(gs_log *l, char **note, uint64_t *size, gs_error *err);
/* The checkpoint note held at exactly size (malloc'd; free()); GS_ENOTFOUND
 * when none. */
int gs_log_get_checkpoint(gs_log *l, uint64_t size, char **note, gs_error *err);

#endif
