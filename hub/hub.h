/* hub.h — giamsat-hub's private state, shared by its parts:
 *   hub.c    the loop, start-up, the hub's own log, publishing;
 *   sync.c   following logs: polling answers, the sync state machine,
 *            cosigning;
 *   fault.c  building and recording evidence (common/evidence.h);
 *   recover.c what the hub cosigned, kept outside SQLite too, and got back
 *            after a restore before it cosigns anything;
 *   serve.c  answering requests (the read path itself is common/serve),
 *            and the AddCheckpoints waiting for a sync (waiters);
 *   witness_http.c  the same AddCheckpoint over HTTP (c2sp.org/tlog-witness
 *            POST /add-checkpoint): a waiter may be an HTTP request.
 *   reload.c hub.conf read again on SIGHUP and applied while it runs.
 *   subscribe.c  the SUB socket: announcements that make a log be polled
 *            now, so logs with a publisher are polled only slowly.
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
 *                  narrowing the mismatch down to one node by bisection
 *                  with the source's inclusion proofs (gs_bisect,
 *                  evidence.h): a node inside the cosigned prefix is a
 *                  rewrite by the log (a), one above it entries the source
 *                  served that are not the log (c). Any cosigned size, a
 *                  power of two included.
 *   SYNC_RESUMING  the replica holds entries [cosigned, k) kept from an
 *                  interrupted sync (a source that stopped answering, a
 *                  restart): each passed its signature and the rule book,
 *                  none is served. Waiting for the source's consistency
 *                  proof from k to the target: only a proof that reaches
 *                  the log-signed root from the replica's root at k lets
 *                  the sync go on from k; anything else cuts them back.
 *
 *   from        to          on
 *   IDLE        FETCHING    a checkpoint beyond the cosigned size, a usable source
 *   FETCHING    FETCHING    a source failed and the next one starts over
 *   FETCHING    REJECTED    an entry fails its signature or the rule book
 *   FETCHING    PROVING     root mismatch, the bisection started
 *   REJECTED    PROVING     the same
 *   REJECTED    FETCHING    root mismatch, no bisection possible: (c); the next source
 *   PROVING     FETCHING    the bisection ended (found, stuck or no answer): the
 *                           evidence recorded; the next source
 *   FETCHING    IDLE        root matches: cosigned; or no source left
 *   REJECTED    IDLE        root matches: evidence (d), the origin frozen; or no source left
 *   PROVING     IDLE        no source left, or the origin frozen
 *   IDLE        RESUMING    a target, entries kept from an interrupted sync
 *   FETCHING    RESUMING    a source stopped answering: what it served is
 *                           kept, the next source is asked for the proof
 *   RESUMING    RESUMING    the source did not answer: the next one
 *   RESUMING    FETCHING    the proof decided: from k, or from the cosigned
 *                           size with what was kept cut back
 *   RESUMING    IDLE        no source left
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
#include "cosign.h"
#include "crypto.h"
#include "error.h"
#include "evidence.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "note.h"
#include "peer.h"
#include "pool.h"
#include "progress.h"
#include "ingest.h"
#include "keychain.h"
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
/* Followed logs talking to their sources at once (a poll in flight or a
 * sync running) that polls may add to; the others wait their turn. A hub
 * started after a while down thus opens this many connections and syncs at
 * a time, not one per log: its memory stays bounded whatever it follows. */
#define HUB_MAX_BUSY_LOGS 64
/* A source's connection is closed once it was not used this long (peer.h):
 * a subscribed log, polled every minute or on an announcement, holds none
 * in between. */
#define HUB_PEER_IDLE_MS 5000
/* A poll holds its log's place among the busy ones this long at most. */
#define HUB_BUSY_POLL_MS 1000
/* How long a recovering log waits for its sources' first answers, from
 * its first poll (recover.c). */
#define HUB_RECOVER_WAIT_MS (HUB_REQUEST_TIMEOUT_MS + 2000)
/* How often the loop looks again while polls are held back. */
#define HUB_HELD_POLL_MS 50

typedef struct {
    gs_hub_source *cfg; /* borrowed from the configuration */
    gs_hub_peer *peer;
    int64_t last_ok_ms; /* last answer of any kind */
    bool alerted;       /* an availability alert went out for this outage */
    bool bad;           /* served entries that are not the log: not synced from */
    uint64_t shown;     /* the largest log-signed size its polls showed (pick_source) */
} hub_source;

/* A deferred AddCheckpoint, and whom to answer (hub_waiter_answer): the
 * ZeroMQ peer (socket, identity, request_id), or when http is not NULL the
 * HTTP request of a POST /add-checkpoint (witness_http.c). */
typedef struct {
    unsigned socket;
    uint8_t identity[GS_NET_IDENTITY_MAX];
    size_t identity_len;
    uint64_t request_id;
    gs_http_conn *http;
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

typedef enum {
    SYNC_IDLE = 0,
    SYNC_FETCHING,
    SYNC_REJECTED,
    SYNC_PROVING,
    SYNC_RESUMING
} hub_sync_phase;

/* A bisection over a replica (fault.c); set exactly in SYNC_PROVING. */
typedef struct hub_bisect hub_bisect;

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
    hub_bisect *bisect;    /* SYNC_PROVING: the search for the node that differs */
    gs_progress *progress; /* a sync far behind, on a terminal (progress.h) */
    /* The log's keys as the entries of this sync show them: f->keychain fed
     * with every entry the clone took in (kc.next_index is the clone's
     * size). The target's signature is only provisional until the sync
     * reaches its size: a rotation in [start, size) may have made the key
     * that signed it, or retired the one it was signed with (hub_open_note).
     * So the target is verified again with kc before anything is cosigned
     * or recorded as evidence, and a note of the target's size with another
     * root (a split view if both are the log's) waits here until then. */
    gs_keychain kc;
    char *conflict;
    char conflict_seen[HUB_MSG_MAX];
} hub_sync;

typedef struct {
    gs_hub_followed *cfg;
    char log_key_str[GS_VKEY_STR_MAX]; /* the anchor, hub.conf's log_key */
    /* The log's keys from the anchor, fed by every entry of the replica up
     * to the cosigned size (the replay at start, then each cosigned sync):
     * next_index == cosigned_size. */
    gs_keychain keychain;
    /* The key of the cosigned size as a vkey string when a rotation
     * replaced the anchor ("" otherwise), for /logs.json (hub_keychain_changed). */
    char current_key_str[GS_VKEY_STR_MAX];
    gs_log *replica;
    gs_ingest *ingest; /* the replica judged, at the cosigned size */
    uint64_t cosigned_size;
    gs_hash cosigned_root;
    char *cosigned_note; /* NULL before the first cosignature */
    hub_source *sources; /* cfg->n_sources of them, owned */
    size_t n_sources;
    bool frozen;
    char frozen_reason[HUB_MSG_MAX];
    hub_sync sync;
    hub_target next; /* the largest checkpoint seen beyond the sync's target */
    /* The last note refused after its entries were fetched: not signed by
     * the key they make the log key for its size (sync.c,
     * sync_refuse_target). The same note shown again (a node still signing
     * with a retired key, polled) is not fetched again. */
    char *refused_note;
    /* A target that failed from every source: not retried until another
     * checkpoint shows up. */
    uint64_t failed_size;
    gs_hash failed_root;
    int64_t failed_until_ms;
    hub_waiter *waiters;
    size_t n_waiters;
    int64_t next_poll_ms;
    int64_t polled_ms; /* when its sources were last polled (log_busy, hub.c) */
    /* An announcement (subscribe.c) of a size beyond what the hub saw: the
     * log is polled at once, at most every HUB_HINT_SPACING_MS. */
    bool hinted;
    uint64_t hint_size;
    int64_t hint_after_ms;
    /* What the hub knows it cosigned beyond what its replica holds (a
     * restored database, a lost -wal file): floor_size > cosigned_size.
     * recover.c says where it is learnt and what it forbids. */
    uint64_t floor_size;
    gs_hash floor_root;
    char *floor_note; /* a log-signed note at floor_size, or NULL */
    char floor_from[HUB_MSG_MAX];
    gs_hash floor_refused; /* the last root refused at floor_size, said once */
    /* Until every source answered its first poll (or the deadline passed),
     * the hub cosigns nothing for this log. */
    bool recovering;
    uint32_t recover_wait; /* bit per source whose first answer is awaited */
    int64_t recover_until_ms;
} followed;

typedef struct {
    gs_hub_config cfg;
    const char *config_path; /* read again on SIGHUP (reload.c) */
    gs_keypair key;
    void *zctx;
    gs_store *store;
    gs_log *own;
    gs_ingest *own_ingest;
    gs_net_server *server;
    void *pub[GS_NET_MAX_ENDPOINTS];
    size_t n_pub;
    gs_pool *pool;
    /* Its logs as tlog-tiles over HTTP (tiles_http.c); NULL without HTTP. */
    struct hub_tiles *tiles;
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
    int64_t last_publish_ms; /* of the own checkpoint (heartbeat, hub.c) */
    long witness_next_ms;
    zmq_pollitem_t *items;
    size_t cap_items;
    size_t poll_next; /* where poll_sources starts its next turn */
    bool polls_held;  /* logs were due but HUB_MAX_BUSY_LOGS were busy */
    uint64_t cosigned_total;
    uint64_t evidence_total;
    uint64_t evidence_held; /* in the store at start (evidence_total: recorded since) */
    /* The HTTP face (docs/http.md): NULL when hub.conf has no http. Its
     * routes are registered in one place, hub.c start_http. */
    gs_http *http;
    /* The POST /add-checkpoint being judged (witness_http.c): its waiter
     * can be answered before the handler returns (a sync refused at once),
     * when common/http cannot take a deferred answer yet; the handler then
     * answers with early. */
    struct {
        gs_http_conn *conn;
        bool answered;
        gs_http_response early;
    } http_judging;
    /* The last write to the store that failed ("" once one succeeded
     * since): /healthz says 503 meanwhile. */
    char store_error[HUB_MSG_MAX];
    unsigned sync_gen;
    gs_vkey cosigner; /* the hub's own cosigner key (alg 0x04), to find its lines */
    char *marker_dir; /* <database>.cosigned: one file per followed log */
    /* The largest Observation per followed log found in the own log at
     * start, sorted by origin (hub_observed_find), for recover.c. */
    struct hub_observed {
        const char *origin; /* borrowed from the configuration */
        uint64_t size;
        gs_hash root;
    } * observed;
    struct hub_webdata *web; /* webdata.c; NULL when HTTP is off */
    /* subscribe.c: the one SUB socket (NULL when no log has subscribe),
     * the indices of h->logs that subscribe, sorted by origin, and what
     * came on it. */
    void *sub;
    void *sub_monitor; /* its connections (ZMQ_EVENT_HANDSHAKE_SUCCEEDED) */
    unsigned sub_generation;
    size_t *sub_index;
    size_t n_sub_index;
    uint64_t hints_total;   /* announcements of followed logs */
    uint64_t hints_dropped; /* malformed or of logs not followed */
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

/* After f's chain changed (start, a cosign): current_key_str. */
void hub_keychain_changed(hub *h, followed *f);

/* A followed log opened while the hub runs, as at start (reload.c): cfg
 * must stay where it is while f follows it. */
int hub_follow_open(hub *h, followed *f, gs_hub_followed *cfg, gs_error *err);
/* Frees what f holds (safe on a log opened halfway); its replica stays in
 * the store. */
void hub_follow_close(followed *f);

/* The largest size of f the hub has seen signed by the log (cosigned,
 * being synced, or waiting for the next sync). */
uint64_t hub_seen_size(const followed *f);

/* ---- subscribe.c */

/* The shortest time between two polls of one log that announcements
 * cause: a publisher flooding announcements costs no more than this. */
#define HUB_HINT_SPACING_MS 100

/* (Re)opens the SUB socket for the logs in h->logs with a subscribe (none:
 * no socket); at start and after a reload changed the logs. */
int hub_subscribe_open(hub *h, gs_error *err);
void hub_subscribe_close(hub *h);
/* Takes what waits on the SUB socket (a bounded number a turn): each
 * announcement of a size beyond what the hub saw marks its log hinted. */
void hub_subscribe_read(hub *h);
/* Raises the soft limit on open files to the hard one (a hub following
 * thousands of logs holds a few descriptors per source), logged. */
void hub_raise_fd_limit(hub *h);

/* ---- reload.c */

/* SIGHUP: hub.conf read again and applied (reload.c says what changes). */
void hub_reload(hub *h);

/* ---- sync.c */

/* Parses a note and checks its log signature and its body, with the key
 * f's chain gives for the note's size. For a size the chain has observed
 * (up to the cosigned size) the answer is final. Above it, a note signed by
 * the newest key the chain knows, or by a key it does not know (a rotation
 * in the entries not seen yet may have made it), passes provisionally:
 * *provisional (may be NULL) is set, and only a sync that fetched the
 * entries up to its size can settle it (hub_sync.kc). GS_EVERIFY when the
 * log did not sign it: a bad signature, a retired key, a key the chain
 * knows only for other sizes. */
int hub_open_note(followed *f, const char *text, size_t len, gs_checkpoint *cp, bool *provisional,
                  gs_error *err);
/* The same for a parsed note n of tree size `size`. */
int hub_verify_note(const followed *f, const gs_note *n, uint64_t size, bool *provisional,
                    gs_error *err);
/* Whether note b is signed by a key of f's chain that signs note a, a note
 * the hub verified in full when it cosigned it (the floor): then that key
 * is the log key for a's size, and b of the same size is the log's word. */
bool hub_same_signer(const followed *f, const char *a, const char *b, gs_error *err);
/* Verifies a note with chain kc at its size, only when kc observed every
 * entry below that size (GS_EVERIFY otherwise): the settled answer. */
int hub_verify_settled(const gs_keychain *kc, const char *text, uint64_t size, gs_error *err);
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

/* Ends a recovery: starts the sync toward the largest checkpoint seen. */
void hub_sync_after_recovery(hub *h, followed *f);

/* ---- recover.c
 * The cosigned state of a followed log, and getting it back. A hub must
 * never cosign two roots for one size, nor a tree that does not hold one it
 * cosigned, even after its database went back in time. What it cosigned is
 * known from: its database (the replica's cosigned note); the marker, a
 * small file per log outside SQLite written and fsynced before any
 * cosignature is released (survives a lost -wal and a database restored
 * from a backup); the Observations of its own log (as refilled from its
 * witnesses); and its own cosignature line, verified, on a note a source or
 * an AddCheckpoint shows. The largest of these above the replica is the
 * floor. */

/* Opens the marker folder and derives the own log's key; at start. */
int hub_recover_init(hub *h, gs_error *err);
/* At start, after the replica is open: the marker and the Observations
 * raise the floor; the log enters recovery when it has sources. */
int hub_recover_open(hub *h, followed *f, gs_error *err);
/* The order h->observed is sorted in (by origin). */
int hub_observed_cmp(const void *a, const void *b);
/* The entry of h->observed for origin (NULL: not followed). */
struct hub_observed *hub_observed_find(hub *h, const char *origin);
/* An Observation of origin the own log took in after start-up (refilled
 * from the hub's witnesses): the hub cosigned (size, root). */
void hub_recover_observed(hub *h, const char *origin, uint64_t size, const gs_hash *root);
/* Writes the marker for (size, root), durably, before a cosignature of it
 * is released. */
int hub_marker_write(hub *h, followed *f, uint64_t size, const gs_hash *root, gs_error *err);
/* A log-signed note from `from`: when it carries the hub's own cosignature
 * (verified), the hub cosigned it, so it raises the floor. */
void hub_recover_note(hub *h, followed *f, const char *text, size_t len, const gs_checkpoint *cp,
                      const char *from);
/* Source s answered its poll (or the poll expired). */
void hub_recover_answered(hub *h, followed *f, int s);
/* Ends the recovery once every source answered or the deadline passed. */
void hub_recover_step(hub *h, followed *f, int64_t now);
/* The size and root of the largest checkpoint the hub is known to have
 * cosigned (the floor, or the replica's cosigned one). */
uint64_t hub_known_size(const followed *f, gs_hash *root);
/* The log-signed note the hub holds at exactly size among what it knows it
 * cosigned (NULL: none). */
const char *hub_known_note(const followed *f, uint64_t size);
/* The last check before a cosignature for t is released, with the replica
 * holding t's tree: false (why says so) when the hub cosigned size
 * floor_size with a root t's tree does not have. */
bool hub_floor_allows(hub *h, followed *f, const hub_target *t, char *why, size_t cap);
/* After a cosignature: the floor is absorbed once the replica reaches it. */
void hub_floor_settle(followed *f);

/* ---- serve.c */

/* Decodes and answers one request from the ROUTER sockets. */
void hub_take_request(hub *h, const gs_net_request *nrq);
/* An AddCheckpoint from either door (ZeroMQ in serve.c, POST
 * /add-checkpoint in witness_http.c): the one witness check (cosign.h) and
 * the hub's part. When the request must wait for a sync, a waiter is made
 * from `from` (whom to answer; its size, root and deadline are set here)
 * and true is returned. Otherwise *rs is the answer (rs->message may point
 * into msg; a cosignature in rs->u.cosignature is malloc'd and the caller
 * frees it) and *verdict the check's verdict. */
bool hub_add_checkpoint(hub *h, const hub_waiter *from, const char *text, uint64_t old,
                        const gs_hash *proof, size_t np, gs_response *rs,
                        gs_cosign_verdict *verdict, char *msg, size_t cap);
/* Answers a waiter through its door. */
void hub_waiter_answer(hub *h, const hub_waiter *w, gs_response *rs);
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

/* ---- tiles_http.c */

typedef struct hub_tiles hub_tiles;
/* With HTTP on: serves the own log and the replicas as tlog-tiles (routes
 * on h->http). After every log is open. */
int hub_tiles_start(hub *h, gs_error *err);
/* After h->http is freed; safe when never started. */
void hub_tiles_stop(hub *h);
/* After the followed logs changed (a reload): serves the new set. */
int hub_tiles_relist(hub *h, gs_error *err);

/* ---- witness_http.c */

/* Registers POST /add-checkpoint (c2sp.org/tlog-witness) on http. */
int hub_witness_http_route(hub *h, gs_http *http, gs_error *err);
/* Answers a deferred HTTP AddCheckpoint (the check said PROCEED) with the
 * tlog-witness status of rs. */
void hub_witness_http_answer(hub *h, gs_http_conn *c, const gs_response *rs);

/* ---- fault.c */

/* Records evidence about f: an Evidence statement in the hub's own log and
 * the same bytes in the store's evidence table (one transaction), an alert
 * on PUB, and the origin frozen (kinds a, b, d: the log key signed what is
 * proven) or, for kind (c), bad_source marked bad (a SOURCE served entries
 * that are not the log; it may be another hub, not the log's node). */
int hub_fault_record(hub *h, followed *f, gs_evidence *ev, int bad_source);
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
/* The bisection of a mismatch (SYNC_PROVING): the replica (at the target's
 * size) against the target's signed root, with the source's inclusion
 * proofs. */
int hub_bisect_start(hub *h, followed *f, const hub_target *t, hub_bisect **out, gs_error *err);
/* The leaves whose inclusion proofs are to be asked now (none when they are
 * already asked or the search is over). */
size_t hub_bisect_to_ask(hub_bisect *b, uint64_t leaves[2]);
/* Whether the search is over (found, stuck or given up). */
bool hub_bisect_done(const hub_bisect *b);
/* A proof answer; anything but a proof for size `size` stops the search. */
void hub_bisect_answer(hub_bisect *b, uint64_t size, const gs_response *rs);
void hub_bisect_give_up(hub_bisect *b, const char *why);
void hub_bisect_free(hub_bisect **bp);
/* A root mismatch, after the bisection b (NULL when none could run): the
 * one-node evidence (a) when the node found lies inside the cosigned
 * prefix (the origin frozen), else (c) against source — one node's entries,
 * or the entries [cosigned size, t.size) when that is smaller, or an
 * unproven alert when too large. reason (at least HUB_MSG_MAX bytes) gets
 * the sentence. */
void hub_fault_mismatch(hub *h, followed *f, int source, const hub_target *t, hub_bisect *b,
                        char *reason);
/* (c): source served entries [start, t.size) that do not hash to t's root.
 * Marks the source bad even when the evidence cannot be built. reason (at
 * least HUB_MSG_MAX bytes) gets the sentence. */
void hub_fault_bad_entries(hub *h, followed *f, int source, uint64_t start, const hub_target *t,
                           char *reason);

/* ---- webdata.c
 * The data behind the web view and the feeds (docs/http.md "Data and
 * feeds"): a thread with its own store handle audits what the hub serves,
 * up to the cosigned sizes, into the report JSON and the feeds. */

typedef struct hub_webdata hub_webdata;

/* With HTTP on (http not NULL): starts the thread and routes /data/ and
 * /feeds/ to it. */
int hub_webdata_routes(hub *h, gs_http *http, gs_error *err);
/* Starts the thread (hub_webdata_routes does). */
int hub_webdata_start(hub *h, gs_error *err);
/* Every turn of the loop: takes a finished build, and hands over a new
 * snapshot when a served size changed and web_refresh seconds passed. */
void hub_webdata_step(hub *h, int64_t now);
/* Stops the thread and frees everything; safe when never started. */
void hub_webdata_stop(hub *h);

#endif
