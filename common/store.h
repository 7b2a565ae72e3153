/* store.h — durable storage for logs, checkpoints and evidence (DESIGN §6).
 *
 * One store is one database: an SQLite file (WAL mode, synchronous=FULL;
 * store_sqlite.c) or, when the database string is a libpq URI
 * (postgresql://… or postgres://…), a PostgreSQL database reached over one
 * connection (synchronous_commit on; store_pg.c). It may hold several logs,
 * each named by its origin: a hub keeps its own log and the replicas of the
 * logs it follows in one database. Both backends keep the invariants below
 * and return the same errors; nothing in this header depends on which.
 *
 * Invariants the store keeps:
 * - a log's committed tree state (size, root) changes only in the transaction
 *   that writes its entries, so a reader never sees entries without the root
 *   that covers them, nor a root without its entries;
 * - the row of entry i also holds the hashes of every complete Merkle subtree
 *   that ends at leaf i (levels 0..t, t = number of trailing 1 bits of i),
 *   exactly what gs_merkle_frontier_append emits for that leaf; so any stored
 *   hash is one lookup and any proof O(log n) lookups;
 * - an entry is served only when SHA-256(0x00 || data) equals its stored leaf
 *   hash, and a store whose last entries or root disagree with its stored tree
 *   state is refused at open (GS_ECORRUPT) instead of serving a wrong root;
 *   so is one whose interior hashes in its last GS_STORE_OPEN_CHECK_TREE rows
 *   do not match their children (older ones are caught when a proof built
 *   from them is checked before it is served: log.h).
 *
 * Writes happen inside a transaction: gs_store_begin, any number of appends
 * (to one or several logs), tree states, checkpoints, evidence, then
 * gs_store_commit, which returns only once the transaction is durable. Any
 * failed write rolls the whole transaction back; nothing half-written is ever
 * visible. gs_store_put_checkpoint and gs_store_put_evidence also work
 * outside a transaction (they then commit on their own).
 *
 * A gs_store is used by one thread at a time.
 */
#ifndef GS_STORE_H
#define GS_STORE_H

#include <stdbool.h>

#include "error.h"
#include "types.h"

typedef struct gs_store gs_store;

/* The schema version this build writes; a store from a newer version is
 * refused at open. */
#define GS_STORE_SCHEMA_VERSION 1
/* Entry indices are below 2^40 and a store holds fewer than 2^23 logs. */
#define GS_STORE_MAX_LOG_SIZE (UINT64_C(1) << 40)
/* Limits on what is stored, checked before anything is written. */
#define GS_STORE_MAX_ENTRY (16u * 1024u * 1024u)
#define GS_STORE_MAX_NOTE (1024u * 1024u)
#define GS_STORE_MAX_EVIDENCE (16u * 1024u * 1024u)
#define GS_STORE_MAX_ORIGIN 256
/* How many of a log's last entries are rehashed when the store is opened. */
#define GS_STORE_OPEN_CHECK 64
/* How many of a log's last rows have their interior hashes checked against
 * their children when the store is opened (hash records only: one pass).
 * Older hashes are checked whenever a proof or a past root is built from
 * them (log.h). Kept at 128 while a hub's evidence of bad entries must fit
 * one entry: tests/it_network.sh alters a row just below this window and
 * needs the hubs to prove the mismatch over the whole window. */
#define GS_STORE_OPEN_CHECK_TREE 128

/* Whether a database string names a PostgreSQL database (a libpq URI:
 * postgresql://… or postgres://…) rather than an SQLite file. */
bool gs_store_is_pg(const char *database);

/* Opens the store at path (a file path, or a libpq URI for PostgreSQL),
 * creating it (and its schema) when the file does not exist or the database
 * holds no giamsat tables, migrating an older schema, and checking every
 * log's stored tree state against its last entries (see above). Caller owns
 * the result. */
int gs_store_open(gs_store **out, const char *path, gs_error *err) GS_MUST_USE;
/* Closes *sp (rolling back an open transaction) and sets it to NULL; safe on
 * NULL. */
void gs_store_close(gs_store **sp);
/* The schema version of the open store (GS_STORE_SCHEMA_VERSION once open). */
int gs_store_schema_version(const gs_store *s);
/* One daemon per database. A daemon calls it on its main store right after
 * opening it. SQLite: nothing to do (the lock file next to the database,
 * gs_daemon_lock, already makes sure). PostgreSQL: takes an advisory lock in
 * the database, held by this store's connection until it is closed, so two
 * daemons cannot write one database even from two machines; GS_ECONFLICT
 * when another connection holds it. */
int gs_store_claim(gs_store *s, gs_error *err) GS_MUST_USE;

/* ---- logs ---------------------------------------------------------------- */

/* A log's committed tree state. */
typedef struct {
    int64_t id; /* the store's handle for the log; stable for the file's life */
    uint64_t size;
    gs_hash root;
} gs_store_log_state;

/* Finds the log named origin; with create, adds it (empty) when missing.
 * GS_ENOTFOUND when missing and !create. Creating a log outside a
 * transaction commits on its own. */
int gs_store_log_find(gs_store *s, const char *origin, bool create, gs_store_log_state *out,
                      gs_error *err);
/* Calls fn for every log in the store, in the order they were added. A
 * non-zero return from fn stops the walk and is returned. */
typedef int (*gs_store_log_fn)(void *ctx, const char *origin, const gs_store_log_state *st);
int gs_store_log_list(gs_store *s, gs_store_log_fn fn, void *ctx, gs_error *err);

/* ---- transactions --------------------------------------------------------- */

int gs_store_begin(gs_store *s, gs_error *err);
/* Makes the transaction durable (SQLite: WAL + synchronous=FULL, on disk
 * when this returns; PostgreSQL: COMMIT with synchronous_commit on, in the
 * server's WAL on disk, and on its synchronous standbys if it has any, when
 * this returns). On failure the transaction is rolled back. A full disk is
 * GS_EIO with "disk full" in the message. */
int gs_store_commit(gs_store *s, gs_error *err);
/* Abandons the open transaction; safe when none is open. */
void gs_store_rollback(gs_store *s);
bool gs_store_in_transaction(const gs_store *s);

/* Called once when the open transaction ends: committed is true after a
 * durable commit, false after a rollback. Lets a log keep its in-memory tree
 * state in step with what the store holds. At most one hook per ctx per
 * transaction; registering again with the same ctx is a no-op. */
typedef void (*gs_store_txn_fn)(void *ctx, bool committed);
int gs_store_on_txn_end(gs_store *s, gs_store_txn_fn fn, void *ctx, gs_error *err);
/* Forgets a registered hook (a log being closed mid-transaction). */
void gs_store_forget_txn_hook(gs_store *s, void *ctx);

/* Inside a transaction: stores entry `index` of log `log_id` with the hashes
 * of the complete subtrees ending at it (hashes[L] = subtree (L, index >> L),
 * n = 1 + trailing 1 bits of index). The caller computed them with the merkle
 * frontier; the store checks their count, not their values. */
int gs_store_append(gs_store *s, int64_t log_id, uint64_t index, gs_bytes data,
                    const gs_hash *hashes, unsigned n, gs_error *err);
/* Inside a transaction: the log's new tree state, written with its entries. */
int gs_store_set_tree(gs_store *s, int64_t log_id, uint64_t size, const gs_hash *root,
                      gs_error *err);

/* Cuts a log back to its first `size` entries (size <= the committed size):
 * deletes the entries from index `size` on and every checkpoint above `size`,
 * and sets the tree state to the root rebuilt from the stored subtree hashes
 * of the size-`size` tree. For a replica that fetched entries which did not
 * hash to the signed root: they are dropped, never served. Inside an open
 * transaction it joins it; outside, it commits on its own. */
int gs_store_truncate(gs_store *s, int64_t log_id, uint64_t size, gs_error *err);

/* ---- reads ---------------------------------------------------------------- */

/* Groups several reads (a proof's O(log n) lookups) into one snapshot, so
 * they see one consistent state and take the file lock once instead of once
 * per lookup. *opened says whether this call opened the snapshot (false when
 * a transaction or snapshot is already open); pass it to gs_store_read_end.
 * No writes while a snapshot is open. */
int gs_store_read_begin(gs_store *s, bool *opened, gs_error *err);
void gs_store_read_end(gs_store *s, bool opened);

/* The stored hash of the complete subtree (level, index) of a log: one
 * lookup. GS_ENOTFOUND when that subtree is not complete in the store. */
int gs_store_get_hash(gs_store *s, int64_t log_id, unsigned level, uint64_t index, gs_hash *out,
                      gs_error *err);
/* Entry `index` of a log into out (malloc'd; free with gs_buf_free), after
 * checking it against its stored leaf hash (GS_ECORRUPT when it does not
 * match). */
int gs_store_get_entry(gs_store *s, int64_t log_id, uint64_t index, gs_buf *out, gs_error *err);

/* ---- checkpoints ---------------------------------------------------------- */

/* Keeps a signed (or cosigned) checkpoint note of a log at `size`. When a
 * note for that size is already held, the one with more signature lines is
 * kept (a cosigned note replaces the bare one; a note with fewer signatures
 * never replaces one with more). *stored (may be NULL) says whether text is
 * now the stored note. The caller verifies the signatures. */
int gs_store_put_checkpoint(gs_store *s, int64_t log_id, uint64_t size, const char *text,
                            bool *stored, gs_error *err);
/* The note with the largest size (malloc'd NUL-terminated text; free()).
 * GS_ENOTFOUND when the log has none. size may be NULL. */
int gs_store_latest_checkpoint(gs_store *s, int64_t log_id, char **text, uint64_t *size,
                               gs_error *err);
/* The note at exactly `size`; GS_ENOTFOUND when none. */
int gs_store_get_checkpoint(gs_store *s, int64_t log_id, uint64_t size, char **text, gs_error *err);

/* ---- evidence ------------------------------------------------------------- */

/* Appends evidence bytes about origin (which need not be a log in this
 * store). *id (may be NULL) receives its number. */
int gs_store_put_evidence(gs_store *s, const char *origin, gs_bytes data, int64_t *id,
                          gs_error *err);
/* Calls fn for each evidence item about origin (origin NULL: all), oldest
 * first. data is valid during the call only. A non-zero return from fn stops
 * the walk and is returned. */
typedef int (*gs_store_evidence_fn)(void *ctx, int64_t id, const char *origin, gs_bytes data);
int gs_store_list_evidence(gs_store *s, const char *origin, gs_store_evidence_fn fn, void *ctx,
                           gs_error *err);

/* ---- rule-state snapshots ------------------------------------------------- */

/* A log's rule state at a tree size (common/ingest.h writes and checks it;
 * the store keeps the bytes as given). The newest GS_STORE_SNAPSHOTS_KEPT
 * per log are kept, so that one found bad still leaves an older one. */
#define GS_STORE_SNAPSHOTS_KEPT 2
#define GS_STORE_MAX_SNAPSHOT (256u * 1024u * 1024u)

typedef struct {
    uint64_t size;
    gs_hash root;  /* the log's root at size, as the writer saw it */
    gs_hash check; /* the writer's integrity hash (ingest.h) */
    gs_buf state;  /* the rule state's bytes (rules.h) */
} gs_store_snapshot;

/* Keeps a snapshot of log_id at size (replacing one at the same size) and
 * drops all but the newest GS_STORE_SNAPSHOTS_KEPT. Inside a transaction it
 * joins it; outside, it commits on its own. SQLite only: a PostgreSQL store
 * refuses (GS_EINVAL) and holds none. A truncate drops those above its
 * size. */
int gs_store_put_snapshot(gs_store *s, int64_t log_id, uint64_t size, const gs_hash *root,
                          gs_bytes state, const gs_hash *check, gs_error *err);
/* The newest snapshot of log_id whose size is at most at_most; GS_ENOTFOUND
 * when none. Free with gs_store_snapshot_clear. */
int gs_store_get_snapshot(gs_store *s, int64_t log_id, uint64_t at_most, gs_store_snapshot *out,
                          gs_error *err);
void gs_store_snapshot_clear(gs_store_snapshot *snap);
/* Drops every snapshot of log_id (one found lying: the next start replays
 * in full). Joins an open transaction or commits on its own. */
int gs_store_drop_snapshots(gs_store *s, int64_t log_id, gs_error *err);

/* ---- backup --------------------------------------------------------------- */

/* SQLite only (a PostgreSQL database is refused: its own tools back it up).
 * Writes a consistent copy of the store file at src (which a daemon may be
 * using: an online backup, one snapshot, the daemon keeps writing) to a new
 * file out; refuses an out that exists. The copy is checked, fsynced and
 * put in place only when whole. Restoring it is copying it back over the
 * daemon's database while the daemon is stopped (docs/operations.md). */
int gs_store_backup(const char *src, const char *out, gs_error *err) GS_MUST_USE;

#endif
