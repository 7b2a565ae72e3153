/* refill.h — never go back (DESIGN principle 9): a daemon whose log is
 * behind its own signed history (a restored backup, a lost -wal file, a
 * truncated disk) holds its writes and refills what it is missing from the
 * daemons that replicate its log (its witnesses: hubs serve the logs they
 * cosign with GetCheckpoint and GetEntries), checking every entry, before it
 * receipts or signs anything again.
 *
 * How a daemon knows it is behind (it tells the refill with
 * gs_refill_behind):
 *   - the signed-checkpoint marker: a small file next to the database
 *     (gs_refill_marker_path) holding the largest checkpoint this log key
 *     signed, written and fsynced as soon as the checkpoint is signed,
 *     before it is served or sent. A database restored from a backup, or
 *     one that lost its -wal file, is smaller than the marker says;
 *   - a witness's answer: AddCheckpoint answered CONFLICT with a size
 *     larger than the log (common/witness.h, GS_WITNESS_AHEAD).
 *
 * What the refill trusts: nothing but this log's own key. It asks every
 * source for the checkpoint it holds of the log (GetCheckpoint) and takes as
 * a target only a note signed by the log key (other lines ignored) for this
 * origin. It then fetches the missing entries in chunks (GetEntries); every
 * chunk goes through the one ingest pipeline (common/ingest.h, history
 * mode, every signature checked, the rule book applied) on a copy of the
 * daemon's pipeline, and is stored only when its Merkle root is proven to be
 * a prefix of the signed target: equal to the target's root for the last
 * chunk, or by an RFC 9162 consistency proof from the chunk's size to the
 * target's signed root (asked of the same source) for the others. So memory
 * holds one chunk, every stored chunk is a verified prefix of what the log
 * signed (a crash mid-refill leaves a shorter, still true, log), and a source
 * that serves other entries, or a checkpoint signed by another key, changes
 * nothing: it is dropped and the next source tried. When no source can
 * bring the log up to what it signed, the refill stays STUCK (writes held)
 * and retries with a back-off: forking the log is never an option; the
 * operator must act.
 *
 * It is driven from the daemon's own zmq_poll loop, never blocking it: the
 * daemon keeps serving reads while it refills (so hubs polling it see a
 * consistent, smaller checkpoint, not an outage), and SIGTERM stops it at
 * the next turn like any other work.
 *
 * The state machine (gs_refill_phase):
 *   IDLE      -> ASKING    gs_refill_behind: a signed size above the log
 *   ASKING    -> IDLE      every source answered (or the ask deadline
 *                          passed) and nothing signed is above the log
 *   ASKING    -> FETCHING  a source holds a note the log key signed, larger
 *                          than the log
 *   ASKING    -> STUCK     behind, and no source holds a usable note
 *   FETCHING  -> PROVING   a chunk short of the target: its consistency proof
 *   PROVING   -> FETCHING  the chunk proven and stored: the next one
 *   FETCHING  -> IDLE      the last chunk reproduced the target's root, and
 *                          the log is at or above every signed size known
 *   FETCHING  -> FETCHING  a source failed: the next candidate source
 *   FETCHING/PROVING -> STUCK   every candidate failed, or the target was
 *                          reached and the log is still behind
 *   STUCK     -> ASKING    after the back-off
 *
 * Ownership: a gs_refill borrows everything in its configuration for its
 * life; *cfg.ingest is the daemon's pipeline, which the refill replaces
 * (frees and swaps in a verified copy) after each chunk it stores.
 */
#ifndef GS_REFILL_H
#define GS_REFILL_H

#include <stdbool.h>
#include <stdint.h>

#include <zmq.h>

#include "crypto.h"
#include "error.h"
#include "ingest.h"
#include "log.h"
#include "store.h"

/* One daemon that replicates the log: a witness hub (its ROUTER endpoint). */
typedef struct {
    const char *endpoint; /* tcp:// or ipc:// */
    const gs_vkey *key;   /* its verifier key: the CURVE server key for tcp://, and its name */
} gs_refill_source;

typedef struct {
    void *zctx;
    gs_store *store; /* the store holding log */
    gs_log *log;     /* the log to refill */
    /* The daemon's pipeline for log, at its committed size (see Ownership). */
    gs_ingest **ingest;
    /* The key that signs this log's checkpoints: the daemon's own. */
    const gs_pubkey *log_key;
    /* This daemon's CURVE identity toward the sources (NULL: ephemeral). */
    const gs_keypair *client_key;
    const gs_refill_source *sources;
    size_t n_sources;
    size_t max_message;
    /* The marker file (gs_refill_marker_path); NULL: none is kept. */
    const char *marker_path;
    /* Entries per chunk; 0: GS_REFILL_CHUNK_ENTRIES (tests use small ones). */
    size_t chunk_entries;
} gs_refill_config;

#define GS_REFILL_CHUNK_ENTRIES 4096

typedef struct gs_refill gs_refill;

typedef enum {
    GS_REFILL_IDLE = 0,
    GS_REFILL_ASKING,
    GS_REFILL_FETCHING,
    GS_REFILL_PROVING,
    GS_REFILL_STUCK,
} gs_refill_phase;

typedef enum {
    GS_REFILL_NOTHING = 0,
    GS_REFILL_PROGRESS, /* a verified chunk was stored: the log grew */
    GS_REFILL_DONE,     /* back to IDLE: writes may go on */
    GS_REFILL_STUCK_EV, /* entered STUCK: err says why and what to do */
    GS_REFILL_WARN,     /* a source failed or lied; err says which (the refill goes on) */
} gs_refill_event;

int gs_refill_new(gs_refill **out, const gs_refill_config *cfg, gs_error *err) GS_MUST_USE;
void gs_refill_free(gs_refill **rp);

/* The log key changed (a KeyRotation of it was committed): checkpoints of
 * this log are verified with key from now on (the pointer is kept). */
void gs_refill_set_log_key(gs_refill *r, const gs_pubkey *key);

/* This log's key signed a checkpoint of `size` (the marker says so, or a
 * witness holds it): when the log is smaller, writes are held and the
 * sources are asked (now, or after a running ask). `why` names who said so,
 * for the status ("its signed-checkpoint marker", "witness giamsat/hub/x"). */
void gs_refill_behind(gs_refill *r, uint64_t size, const char *why, int64_t now_ms);

/* The daemon signed a checkpoint of `size` (note: the signed note): the
 * marker is replaced when size is above it, before the daemon serves or
 * sends the checkpoint. A failure is returned (the daemon logs it). At
 * gs_refill_new the marker is read (GS_ECORRUPT when it does not verify:
 * the daemon must not start) and, when it is above the log, the refill
 * starts holding at once; a folder without a marker gets one from the
 * store's latest checkpoint. */
int gs_refill_signed(gs_refill *r, const char *note, uint64_t size, gs_error *err) GS_MUST_USE;

/* True while the daemon must accept no write and sign nothing: any phase
 * but IDLE. */
bool gs_refill_holding(const gs_refill *r);
gs_refill_phase gs_refill_phase_of(const gs_refill *r);
/* The largest size this log's key is known to have signed. */
uint64_t gs_refill_signed_size(const gs_refill *r);
/* The sentence a refused submission gets while holding, e.g. "refilling:
 * log is behind its signed checkpoint 13 (restored backup or lost WAL?);
 * 10 entries held, fetching from hub ...". */
const char *gs_refill_status(const gs_refill *r);

/* The sockets to poll for ZMQ_POLLIN (those with a request in flight);
 * returns how many were written (at most cap). */
size_t gs_refill_pollitems(gs_refill *r, zmq_pollitem_t *items, size_t cap);

/* Does this turn's work: reads answers, stores a verified chunk, sends the
 * next request. *next_ms gets how long until it wants to run again. Returns
 * the event of the turn (err filled for STUCK_EV and WARN). */
gs_refill_event gs_refill_step(gs_refill *r, int64_t now_ms, long *next_ms, gs_error *err);

/* ---- the signed-checkpoint marker ---------------------------------------- */

/* The marker's path for a database: "<database without .db>.signed-checkpoint"
 * in the same folder (so `rm node.db*` does not remove it). malloc'd. */
char *gs_refill_marker_path(const char *database);
/* Reads the marker: the note the log key signed last, checked (signed by
 * log_key for origin). *size gets its size; 0 and *note NULL when the file
 * does not exist. A marker that does not verify is GS_ECORRUPT. note may
 * be NULL. */
int gs_refill_marker_read(const char *path, const char *origin, const gs_pubkey *log_key,
                          uint64_t *size, char **note, gs_error *err) GS_MUST_USE;
/* Replaces the marker with note (signed by the log key): written to a fresh
 * file created with O_EXCL|O_NOFOLLOW, fsynced, renamed into place, and the
 * folder fsynced. gs_refill_signed calls it only for a larger size. */
int gs_refill_marker_write(const char *path, const char *note, gs_error *err) GS_MUST_USE;

#endif
