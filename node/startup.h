/* startup.h — how giamsat-node gets its rule state at start without
 * replaying its whole log every time (issue 13, item 4).
 *
 * The node saves its rule state at checkpoints (common/ingest.h,
 * gs_ingest_snapshot_save) and starts from the newest good snapshot,
 * replaying only the entries after it, every signature checked. What this
 * module adds around that:
 *   - the clean-stop marker: a file next to the database written when the
 *     node stopped cleanly, removed (durably) when it starts; its absence at
 *     start means the last run ended unclean;
 *   - the full verification of a log's history: a replay from the Charter
 *     with every signature checked that compares the rule state, at the size
 *     of each snapshot it is given, with the snapshot byte for byte. It is
 *     `giamsat-node --verify-all` (in the foreground, before serving) and the
 *     background check after an unclean stop;
 *   - the background verifier: a thread of its own, at the lowest CPU
 *     priority, on its own store connection, that runs the full verification
 *     while the node serves and leaves its verdict for the loop to read.
 */
#ifndef GS_NODE_STARTUP_H
#define GS_NODE_STARTUP_H

#include <stdatomic.h>
#include <stdbool.h>

#include "error.h"
#include "ingest.h"
#include "log.h"
#include "store.h"

/* "<database without .db>.clean-stop" (malloc'd), or NULL out of memory. */
char *gs_startup_marker_path(const char *database);
/* Whether the marker is there; removes it, durably, so that a crash from
 * now on is seen at the next start. */
int gs_startup_marker_take(const char *path, bool *clean, gs_error *err) GS_MUST_USE;
/* Writes the marker (fsync'd, then its folder), after the final commit. */
int gs_startup_marker_put(const char *path, uint64_t size, gs_error *err) GS_MUST_USE;

/* One snapshot to compare with: its size and bytes (borrowed). */
typedef struct {
    uint64_t size;
    gs_bytes state;
} gs_startup_expect;

/* The verdict of a full verification. */
typedef struct {
    bool failed;       /* an entry broke the rule book, was altered, or a
                          snapshot differs from the replay */
    uint64_t replayed; /* entries replayed */
    unsigned compared; /* snapshots compared (and matching, unless failed) */
    char message[2 * GS_ERROR_MSG_MAX + 128];
} gs_startup_verdict;

/* Replays l from its Charter up to `size` into in (reset first), every
 * signature checked, comparing at each expect[i].size (ascending, at most
 * size; others are skipped). stop, when not NULL and set, ends it early with
 * GS_EUNAVAIL. Returns 0 with the verdict filled (failed or not), < 0 when
 * the replay itself could not run (the store, memory, stop). */
int gs_startup_verify(gs_ingest *in, gs_log *l, const gs_startup_expect *expect, size_t n,
                      uint64_t size, atomic_bool *stop, gs_startup_verdict *v,
                      gs_error *err) GS_MUST_USE;

/* The background verifier. */
typedef struct gs_startup_bg gs_startup_bg;

/* Starts the full verification of origin's log in database up to size,
 * comparing with the snapshot (snap_size, snap_state: copied). */
int gs_startup_bg_start(gs_startup_bg **out, const char *database, const char *origin,
                        uint64_t size, uint64_t snap_size, gs_bytes snap_state,
                        gs_error *err) GS_MUST_USE;
/* false while it runs; true once done, with *v filled. A run that could not
 * happen (its store did not open) is done, not failed, with the reason in
 * v->message and *ran false. */
bool gs_startup_bg_done(gs_startup_bg *b, gs_startup_verdict *v, bool *ran);
/* Stops it (at its next entry) and frees it; safe on NULL. */
void gs_startup_bg_free(gs_startup_bg **bp);

#endif
