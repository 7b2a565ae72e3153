/* hub.h — giamsat-hub's private state, shared by its parts:
 *   hub.c    the loop, start-up, the hub's own log, publishing;
 *   sync.c   following logs: polling answers, the sync state machine,
 *            cosigning;
 *   fault.c  building and recording evidence (common/evidence.h);
 *   serve.c  answering requests (the read path itself is common/serve),
 *            and the AddCheckpoints waiting for a sync (waiters).
 * Names shared between these files start with hub_; everything else is
 * static in its file. Nothing here is used outside hub/.
 *
 * A hub follows logs (DESIGN §5 flows 2–4): one `followed` per log, with one
 * DEALER per source (peer.h) and a replica in the hub's one store. Entries
 * of a replica above its cosigned size are never served.
 *
 * The sync of a followed log toward a log-signed checkpoint (the target) is
 * a state machine, one phase at a time (sync_state.phase):
 *
 *   SYNC_IDLE      no target.
 *   SYNC_FETCHING  GetEntries in flight from one source; every entry
 *                  stored so far passed its signature and the rule book
 *                  (judged in order on a clone of the rule state).
 *   SYNC_REJECTED  an entry failed (the first one is recorded); the rest
 *                  is still fetched and stored so the root can be compared:
 *                  only a matching root makes the failure the log's fault.
 *   SYNC_PROVING   the replica reached the target's size with another root;
 *                  waiting for the source's consistency proof from the
 *                  cosigned size, which tells a rewrite by the log (a) from
 *                  bad entries served by the source (c).
 *
 *   from        to          on
 *   IDLE        FETCHING    a checkpoint beyond the cosigned size, a usable source
 *   FETCHING    FETCHING    a source failed and the next one starts over
 *   FETCHING    REJECTED    an entry fails its signature or the rule book
 *   FETCHING    PROVING     root mismatch, cosigned prefix of non-power-of-two size
 *   REJECTED    PROVING     the same
 *   REJECTED    FETCHING    root mismatch proven (c) at once: the next source
 *   PROVING     FETCHING    the proof (or its absence) decided; the next source
 *   FETCHING    IDLE        root matches: cosigned; or no source left
 *   REJECTED    IDLE        root matches: evidence (d), the origin frozen; or no source left
 *   PROVING     IDLE        no source left, or the origin frozen
 *   any         IDLE        the hub is stopping
 *
 * When a sync ends, the largest checkpoint seen meanwhile (followed.next)
 * starts the next one. The event handlers change state and send nothing
 * but the consistency-proof request that enters PROVING; then the hub_sync_*
 * entry points call one pump that sends the GetEntries FETCHING and
 * REJECTED need and moves on to the next source when a send fails, so no
 * handler calls back into another. In a debug build every transition is
 * checked against this table and the state it enters is checked for
 * coherence (sync.c, sync_set).
 */
#ifndef GS_HUB_H
#define GS_HUB_H

#include <stdbool.h>
#include <stdint.h>

#include <zmq.h>

#include "config.h"
#include "crypto.h"
#include "error.h"
#include "evidence.h"
#include "log.h"
#include "net.h"
#include "note.h"
#include "peer.h"
#include "pool.h"
#include "ingest.h"
#include "refill.h"
#include "rules.h"
#include "store.h"
#include "wire.h"
#include "witness.h"

/* What a request to a source was for (gs_hub_peer tags). A sync request's
 * tag also carries the sync's generation, so answers to a sync that was
 * abandoned (a source that failed, a timed-out batch) are recognised and
 * dropped. */
enum { HUB_TAG_POLL = 1, HUB_TAG_ENTRIES, HUB_TAG_PROOF };
#define HUB_TAG(kind, gen) ((int)(kind) + 4 * (int)((gen)&0xffffff))
#define HUB_TAG_KIND(tag) ((tag)&3)
#define HUB_TAG_GEN(tag) ((unsigned)(tag) >> 2)

/* Waiting AddCheckpoints per origin, at most. */
#define HUB_MAX_WAITERS 1024
/* GetEntries requests in flight per sync: the source reads batch k+1 while
 * the hub verifies batch k. */
#define HUB_SYNC_WINDOW 2
#define HUB_REQUEST_TIMEOUT_MS 20000
/* A deferred AddCheckpoint is answered before the witness client's own
 * timeout (30 s in common/witness.c). */
#define HUB_WAITER_TIMEOUT_MS 25000
#define HUB_MSG_MAX (GS_ERROR_MSG_MAX + 256)

typedef struct {
    gs_hub_source *cfg; /* borrowed from the configuration */
    gs_hub_peer *peer;
    int64_t last_ok_ms; /* last answer of any kind */
    bool alerted;       /* an availability alert went out for this outage */
    bool bad;           /* served entries that are not the log: not synced from */
} hub_source;

/* A deferred AddCheckpoint. */
typedef struct {
    unsigned socket;
    uint8_t identity[GS_NET_IDENTITY_MAX];
    size_t identity_len;
    uint64_t request_id;
    uint64_t size;
    gs_hash root;
    int64_t deadline_ms;
} hub_waiter;

/* A log-signed checkpoint the hub may sync toward. Owns text and cp. */
typedef struct {
    char *text; /* the note as received (NULL: none) */
    gs_checkpoint cp;
    int source; /* the source that showed it, -1 for AddCheckpoint */
} hub_target;

typedef enum { SYNC_IDLE = 0, SYNC_FETCHING, SYNC_REJECTED, SYNC_PROVING } hub_sync_phase;

/* One followed log's sync (see the table above). Every field but phase is
 * meaningful only outside SYNC_IDLE. */
typedef struct {
    hub_sync_phase phase;
    hub_target t;
    int source;
    uint32_t tried; /* bit per source index */
    gs_ingest *clone;
    uint64_t start; /* the cosigned size when the sync began */
    uint64_t next_req;
    uint64_t next_apply;
    unsigned gen; /* bumped whenever fetching (re)starts */
    /* GetEntries in flight, oldest first (answers come back in order). */
    uint64_t req_start[HUB_SYNC_WINDOW];
    unsigned in_flight;
    /* The range holds something besides Observations of this hub's own log.
     * Two hubs witnessing each other would otherwise record each other's
     * observations forever: A observes B, which grows A's log, which B
     * observes, ... An Observation is made only for a range with news. */
    bool news;
    const char *own_origin; /* the hub's own origin, for news */
    /* SYNC_REJECTED: the first entry that failed, and how. */
    bool bad_sig;
    uint64_t bad_index;
    char bad_reason[HUB_MSG_MAX];
} hub_sync;

typedef struct {
    gs_hub_followed *cfg;
    char log_key_str[GS_VKEY_STR_MAX];
    gs_log *replica;
    gs_ingest *ingest; /* the replica judged, at the cosigned size */
    uint64_t cosigned_size;
    gs_hash cosigned_root;
    char *cosigned_note; /* NULL before the first cosignature */
    hub_source sources[GS_HUB_MAX_SOURCES];
    size_t n_sources;
    bool frozen;
    char frozen_reason[HUB_MSG_MAX];
    hub_sync sync;
    hub_target next; /* the largest checkpoint seen beyond the sync's target */
    /* A target that failed from every source: not retried until another
     * checkpoint shows up. */
    uint64_t failed_size;
    gs_hash failed_root;
    int64_t failed_until_ms;
    hub_waiter *waiters;
    size_t n_waiters;
    int64_t next_poll_ms;
} followed;

typedef struct {
    gs_hub_config cfg;
    gs_keypair key;
    void *zctx;
    gs_store *store;
    gs_log *own;
    gs_ingest *own_ingest;
    gs_net_server *server;
    void *pub[GS_NET_MAX_ENDPOINTS];
    size_t n_pub;
    gs_pool *pool;
    followed *logs;
    size_t n_logs;
    gs_witness_client *witnesses[GS_HUB_MAX_WITNESSES];
    size_t n_witnesses;
    /* Never go back (common/refill.h): the own log refilled from the hubs
     * that witness it; nothing is staged in it (no cosignature, no
     * evidence) while it refills or the start check waits (hub.c). */
    gs_refill *refill;
    gs_refill_source refill_sources[GS_HUB_MAX_WITNESSES];
    char *marker_path;
    int64_t start_check_until_ms; /* 0 once every witness answered */
    char hold_status[256];
    uint64_t own_checkpoint_size;
    int64_t last_checkpoint_ms;
    long witness_next_ms;
    zmq_pollitem_t *items;
    size_t cap_items;
    uint64_t cosigned_total;
    uint64_t evidence_total;
    unsigned sync_gen;
} hub;

/* ---- hub.c */

/* One line per event on stderr: time, level, text. Never a secret. h may be
 * NULL (before the configuration is read). */
void hub_log(const hub *h, gs_hub_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void hub_publish(hub *h, const char *kind, const char *origin, gs_bytes payload);
void hub_send_response(hub *h, unsigned socket, const uint8_t *identity, size_t identity_len,
                       gs_response *rs);
void hub_send_status(hub *h, unsigned socket, const uint8_t *identity, size_t identity_len,
                     uint64_t id, gs_status_code code, const char *message);
/* Rule-book parameters for judging entries of l (references are looked up
 * in l, including entries above its cosigned size while a sync runs). */
/* Inside an open store transaction: signs st as the hub, judges it with the
 * hub log's rule book into *trial (a new state, caller owns it) and stages
 * it in the hub's log; *entry (may be NULL) gets its bytes. Once the
 * transaction commits, hub_own_adopt makes *trial the hub log's state. So a
 * statement of the hub's log is written in the same transaction as what it
 * records. */
int hub_own_stage(hub *h, gs_statement *st, gs_buf *entry, gs_ingest **trial, gs_error *err);
void hub_own_adopt(hub *h, gs_ingest **trial);

/* ---- sync.c */

/* Parses a note and checks its log signature with f's key and its body.
 * GS_EVERIFY when the log did not sign it. */
int hub_open_note(followed *f, const char *text, size_t len, gs_checkpoint *cp, gs_error *err);
/* An answer (or an expired request, rs NULL) from source s of f. */
void hub_sync_answer(hub *h, followed *f, int s, int tag, gs_response *rs);
/* A checkpoint seen from a source (poll) or pushed (AddCheckpoint),
 * already verified against the log key: starts a sync, is remembered for
 * the next one, or proves a fault. Takes cp over. */
void hub_sync_consider(hub *h, followed *f, const char *text, size_t len, gs_checkpoint *cp,
                       int source, const char *seen);
/* Evidence found outside a running sync froze the origin: that sync must
 * not cosign anything either. */
void hub_sync_stop_if_frozen(hub *h, followed *f);
/* Abandons f's sync (at shutdown); safe when idle. */
void hub_sync_end(followed *f);
void hub_target_clear(hub_target *t);

/* ---- serve.c */

/* Decodes and answers one request from the ROUTER sockets. */
void hub_take_request(hub *h, const gs_net_request *nrq);
/* Answers every waiter of f whose checkpoint is now settled by the
 * cosigned size: the cosignature, or CONFLICT with the hub's size. */
void hub_waiters_settle(hub *h, followed *f);
/* Answers the waiters of f for size (or all) with code and message. */
void hub_waiters_fail(hub *h, followed *f, bool all, uint64_t size, gs_status_code code,
                      const char *message);
/* Answers the waiters past their deadline. */
void hub_waiters_expire(hub *h, followed *f, int64_t now);
/* The hub's own cosignature line on a stored note (malloc'd; free()). */
int hub_own_cosignature(hub *h, const char *note_text, char **line, gs_error *err);

/* ---- fault.c */

/* Records evidence about f: an Evidence statement in the hub's own log and
 * the same bytes in the store's evidence table (one transaction), an alert
 * on PUB, and the origin frozen (kinds a, b, d: the log key signed what is
 * proven) or, for kind (c), bad_source marked bad (a SOURCE served entries
 * that are not the log; it may be another hub, not the log's node). */
int hub_fault_record(hub *h, followed *f, gs_evidence *ev, int bad_source);
/* (a) from a proof: note_m (size m, log-signed, m not a power of two) and
 * note_n (size n > m), and a proof that reaches note_n's root from another
 * size-m root. Returns true when the proof does that (and then records the
 * evidence). */
bool hub_fault_split_view_proof(hub *h, followed *f, const char *note_m, uint64_t m,
                                const gs_hash *root_m, const char *note_n, uint64_t n,
                                const gs_hash *root_n, const gs_hash *proof, size_t np);
/* (a): two log-signed checkpoints of one size with different roots. */
void hub_fault_split_view(hub *h, followed *f, const char *a, const char *b, const char *seen);
/* (b): a signed checkpoint of size k smaller than the cosigned one, and not a
 * prefix of it. */
void hub_fault_rollback(hub *h, followed *f, const char *small_note, uint64_t k, const char *seen);
/* (d): the tree the log signed (t) holds entry index that fails its
 * signature (bad_sig) or the rule book (reason). Freezes the origin even
 * when the evidence cannot be built. */
void hub_fault_rule_violation(hub *h, followed *f, const hub_target *t, uint64_t index,
                              bool bad_sig, const char *reason);
/* (c): source served entries [start, t.size) that do not hash to t's root.
 * Marks the source bad even when the evidence cannot be built. reason (at
 * least HUB_MSG_MAX bytes) gets the sentence. */
void hub_fault_bad_entries(hub *h, followed *f, int source, uint64_t start, const hub_target *t,
                           char *reason);

#endif
