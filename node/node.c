/* node.c — giamsat-node: accepts signed statements for one unit, appends
 * them durably to the unit's log, checkpoints, and serves entries and proofs.
 *
 * One zmq_poll loop (STYLE §7). A turn of the loop:
 *   1. drains the requests waiting on the sockets, within the turn's bounds
 *      (see drain: max_batch submissions, a queue of reads, a few MiB);
 *      reads are queued, and answered after step 4 for a bounded time, from
 *      committed data only, so a flood of reads cannot hold submissions
 *      back;
 *   2. hands the batch's submissions to the ingestion pipeline
 *      (common/ingest.h) — the same one hubs and auditors replay logs with:
 *      decode + Ed25519 in parallel on the worker pool (the one cost that
 *      would otherwise pin the loop's core), the rule book in arrival order,
 *      a statement able to reference one accepted earlier in the same batch;
 *   3. the pipeline stages the accepted ones, and they are committed in ONE
 *      transaction (group commit: everything that arrived while the previous
 *      commit was on disk is in this one);
 *   4. only after the commit is durable, signs a receipt per statement (on
 *      the pool) and replies.
 * A request is never acknowledged before its entry is on disk; a failed
 * commit answers UNAVAILABLE and rebuilds the rule state from the log.
 *
 * Never go back (DESIGN principle 9, common/refill.h): a node whose log is
 * smaller than what its key signed (its signed-checkpoint marker says so, or
 * a witness answers CONFLICT with a larger size) accepts no submission,
 * signs no checkpoint and sends none to its witnesses until it has refilled
 * the missing entries from them, each checked; at start it also waits (at
 * most start_check_ms) until every witness has said what it holds. The
 * refill is driven from this loop rather than as a blocking step at start:
 * the node keeps serving reads meanwhile (hubs polling it see a smaller,
 * consistent checkpoint, not an outage), a witness can reveal at any time
 * that the node went back, and SIGTERM is seen at the next turn.
 *
 * Transport identity and log key (D1 of issue 12, docs/architecture.md):
 * `key` of node.conf is the node's CURVE identity and signs its receipts;
 * it never changes. The log key signs checkpoints: it starts as the Charter's
 * signer and follows the log's KeyRotations (rules.h rule 11). The node holds
 * the secrets of `key` and of the `signing_key` lines it needs, and signs
 * with the log key in force: it refuses to start when it holds none, takes a
 * KeyRotation of the log key only when it holds the new key's secret, and
 * switches keys when the rotation commits, before any checkpoint of a larger
 * size is signed.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "ingest.h"
#include "keychain.h"
#include "log.h"
#include "merkle.h"
#include "net.h"
#include "note.h"
#include "pool.h"
#include "refill.h"
#include "rules.h"
#include "serve.h"
#include "startup.h"
#include "store.h"
#include "tiles.h"
#include "wire.h"
#include "witness.h"

/* One submission in flight through a turn of the loop. */
typedef struct {
    unsigned socket;
    uint8_t identity[GS_NET_IDENTITY_MAX];
    size_t identity_len;
    uint64_t request_id;
    gs_buf entry;
    /* filled by the pipeline */
    int code;
    char message[GS_ERROR_MSG_MAX + 64];
    gs_hash leaf;
    /* filled after the commit */
    uint64_t index;
    bool accepted;
    gs_buf receipt;
} job;

/* A read taken off the sockets and answered after the turn's commit (see
 * drain). Decoded read requests are small: the queue holds no frame. */
typedef struct {
    gs_net_request from; /* socket and identity; the payload is not kept */
    gs_request rq;       /* owned */
} pending_read;

#define NODE_READ_QUEUE 64

/* How often node.conf is read again while the log key's secret is missing. */
#define NODE_KEY_RETRY_MS 5000

/* Rotations of the log key one batch may carry (each new key may sign the
 * next): more wait for the next turn. */
#define NODE_BATCH_ROTATIONS 4

/* Rule-state snapshots (node/startup.h): one is saved at a checkpoint once
 * NODE_SNAPSHOT_ENTRIES entries came since the last (so a start replays at
 * most about that many, a few seconds of signature checks), or
 * NODE_SNAPSHOT_MS passed with anything new; never sooner after the last
 * than NODE_SNAPSHOT_COST times what saving it took, so saving costs at
 * most ~2% of the loop whatever the state's size. And at every clean
 * stop. */
#define NODE_SNAPSHOT_ENTRIES 50000
#define NODE_SNAPSHOT_MS (10 * 60 * 1000)
#define NODE_SNAPSHOT_COST 50

typedef struct {
    bool enabled;            /* the store keeps snapshots (SQLite) */
    bool verify_all;         /* --verify-all: a full replay, compared with them */
    gs_ingest_seal_key seal; /* from the node's key: only it seals them */
    int64_t log_id;
    uint64_t size;     /* the newest snapshot saved or loaded */
    int64_t saved_ms;  /* when it was (0: not since the start) */
    int64_t cost_ms;   /* what saving the last one took */
    uint64_t saves;    /* since the start, for /metrics */
    uint64_t loaded;   /* the size of the one the start loaded; 0: none */
    uint64_t replayed; /* entries the start replayed, signatures checked */
    gs_buf used;       /* the bytes of the snapshot loaded, for the check */
    char *marker_path; /* the clean-stop marker */
    bool unclean;      /* the last run did not stop cleanly */
    /* The full verification after an unclean stop, or --verify-all's:
     * 0 none, 1 running, 2 passed, 3 failed. */
    int verification;
    gs_startup_bg *bg;
} node_snap;

typedef struct {
    gs_node_config cfg;
    const char *config_path; /* re-read for signing_key lines at a rotation */
    gs_keypair key;          /* the transport identity: CURVE, receipts */
    /* The secrets the node holds for its log: held[0] is key's; the others
     * come from signing_key lines, loaded when they are (or are about to
     * become) the log key. log_key is the one that is the log key in force
     * (log_pub, from the rule state); NULL when the node holds none, and then
     * log_key_missing says so and nothing is signed or accepted. */
    gs_keypair held[GS_NODE_MAX_SIGNING_KEYS + 1];
    size_t n_held;
    const gs_keypair *log_key;
    gs_pubkey log_pub;
    char log_key_missing[GS_ERROR_MSG_MAX + 512];
    int64_t log_key_retry_ms;
    /* Keys that may be the log key once the batch being taken is applied:
     * the log key in force and the new keys of the rotations it joined. */
    gs_pubkey batch_keys[NODE_BATCH_ROTATIONS + 1];
    size_t n_batch_keys;
    void *zctx;
    gs_store *store;
    gs_log *log;
    gs_ingest *ingest; /* the log's rule state: what it holds, judged */
    node_snap snap;    /* rule-state snapshots and start-up checks */
    /* The log's keys across rotations (common/keychain.h), anchored at the
     * Charter's signer, for GetKeyChain; see keychain_catch_up. */
    gs_keychain keychain;
    /* The log as tlog-tiles over HTTP (common/tiles.h); NULL without HTTP. */
    gs_tiles *tiles;
    int64_t tiles_log_id;
    char tiles_key[GS_VKEY_STR_MAX]; /* the log's verifier key, for /logs.json */
    gs_net_server *server;
    gs_pool *pool;
    job *jobs;
    /* opened[i]: jobs[i]'s entry opened (decoded, signature checked) ahead
     * of its push while the batch gathers (gather). */
    gs_ingest_opening *opened;
    size_t n_jobs;
    pending_read reads[NODE_READ_QUEUE]; /* a ring: first at reads_head */
    size_t reads_head, n_reads;
    uint64_t reads_shed; /* reads answered "try again": the queue was full */
    uint64_t shed_reported;
    int64_t last_checkpoint_ms;
    int64_t checkpoint_cost_us; /* what signing the last one took (maybe_checkpoint) */
    int64_t idle_us;            /* the loop's time waiting in its poll since then */
    int64_t checkpoint_said_ms; /* the last info lines of each kind (chatty_level) */
    int64_t cosigned_said_ms[GS_NODE_MAX_WITNESSES];
    uint64_t checkpoint_size;
    int64_t receipt_time; /* one clock reading per batch */
    uint64_t accepted_total;
    uint64_t rejected_total;
    uint64_t dropped_reported; /* answers dropped (peers not reading), last said */
    int64_t dropped_reported_ms;
    gs_witness_client *witnesses[GS_NODE_MAX_WITNESSES];
    size_t n_witnesses;
    /* Never go back: the refill, its sources (the witnesses), the marker,
     * and the start check's deadline (0 once every witness answered). */
    gs_refill *refill;
    gs_refill_source sources[GS_NODE_MAX_WITNESSES];
    char *marker_path;
    int64_t start_check_until_ms;
    char start_status[256];
    /* Set when the log on disk breaks the rule book (a compromised key, an
     * altered database): the node then serves what it holds, so witnesses
     * and auditors can record the evidence, and accepts nothing new. */
    bool quarantined;
    char quarantine_reason[2 * GS_ERROR_MSG_MAX + 128];
    /* The HTTP face (docs/http.md): NULL when node.conf has no http. */
    gs_http *http;
    /* [node] publish: PUB sockets announcing checkpoint/<origin>, and
     * whether the checkpoint served changed since it was last announced (a
     * new one signed, a cosignature merged). */
    void *pub[GS_NET_MAX_ENDPOINTS];
    size_t n_pub;
    bool publish_due;
    uint64_t checkpoints_signed;     /* since start, for /metrics */
    uint64_t cosignatures_collected; /* since start, for /metrics */
    size_t last_batch;               /* statements judged in the last group commit */
    size_t prev_batch;               /* ... and in the one before (gather) */
    int64_t commit_us;               /* how long the last group commit took (gather) */
    /* The last write to the store that failed ("" once one succeeded
     * since): /healthz says 503 meanwhile. */
    char store_error[GS_ERROR_MSG_MAX + 64];
} node;

/* One line per event on stderr: time, level, text. Never a secret. */
static void logf_(const node *n, gs_node_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(const node *n, gs_node_log_level level, const char *fmt, ...)
{
    if (n != NULL && level < n->cfg.log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    gs_daemon_logv("giamsat-node", (gs_daemon_log_level)level, fmt, ap);
    va_end(ap);
}

static int64_t now_ms(void)
{
    return gs_daemon_now_ms();
}

/* ------------------------------------------------------------ replies */

static void send_response(node *n, unsigned socket, const uint8_t *identity, size_t identity_len,
                          gs_response *rs)
{
    gs_error err;
    if (gs_net_server_respond(n->server, socket, identity, identity_len, rs, &err) != 0)
        logf_(n, GS_NODE_LOG_WARN, "%s", err.msg);
}

static void send_status(node *n, unsigned socket, const uint8_t *identity, size_t identity_len,
                        uint64_t id, gs_status_code code, const char *message)
{
    gs_response rs = {.id = id, .code = code, .message = message};
    send_response(n, socket, identity, identity_len, &rs);
}

/* ------------------------------------------------------------ the rule book */

static void say_snapshot(void *ctx, const char *line)
{
    logf_(ctx, GS_NODE_LOG_WARN, "%s", line);
}

/* A verdict of the full verification (--verify-all or the background one):
 * logged, and a failure quarantines, as an entry breaking the rule book
 * does. */
static void take_verdict(node *n, const gs_startup_verdict *v, const char *how)
{
    n->snap.verification = v->failed ? 3 : 2;
    if (!v->failed) {
        logf_(n, GS_NODE_LOG_INFO, "%s: %s", how, v->message);
        return;
    }
    logf_(n, GS_NODE_LOG_ERROR, "%s FAILED: %s; accepting nothing from now on", how, v->message);
    /* No snapshot is trusted any more: the next start replays in full, so a
     * fault of the log quarantines it again by itself, and a snapshot that
     * lied is never loaded again. */
    gs_error err = {0};
    if (n->snap.enabled && gs_store_drop_snapshots(n->store, n->snap.log_id, &err) != 0)
        logf_(n, GS_NODE_LOG_ERROR, "cannot drop the rule snapshots: %s", err.msg);
    if (!n->quarantined) {
        n->quarantined = true;
        snprintf(n->quarantine_reason, sizeof n->quarantine_reason, "%s", v->message);
    }
}

/* --verify-all: the whole log replayed from its Charter, every signature
 * checked, compared with every snapshot held. */
static int verify_all(node *n, gs_error *err)
{
    gs_store_snapshot snaps[GS_STORE_SNAPSHOTS_KEPT];
    gs_startup_expect expect[GS_STORE_SNAPSHOTS_KEPT];
    size_t k = 0;
    uint64_t at_most = gs_log_committed_size(n->log);
    int rc = 0;
    memset(snaps, 0, sizeof snaps);
    while (n->snap.enabled && k < GS_STORE_SNAPSHOTS_KEPT && at_most > 0) {
        gs_error e = {0};
        if ((rc = gs_store_get_snapshot(n->store, n->snap.log_id, at_most, &snaps[k], &e)) != 0)
            break;
        gs_hash check;
        gs_bytes b = gs_bytes_of(snaps[k].state.p, snaps[k].state.n);
        gs_ingest_snapshot_check(&n->snap.seal, n->cfg.origin, snaps[k].size, &snaps[k].root, b,
                                 &check);
        at_most = snaps[k].size - 1;
        if (sodium_memcmp(check.b, snaps[k].check.b, sizeof check.b) != 0) {
            /* damage, not a lie: a start ignores it too */
            say_snapshot(n, "--verify-all: a rule snapshot does not match its seal: ignored");
            gs_store_snapshot_clear(&snaps[k]);
            continue;
        }
        k++;
    }
    if (rc != 0 && rc != GS_ENOTFOUND)
        logf_(n, GS_NODE_LOG_WARN, "--verify-all: cannot read the rule snapshots");
    for (size_t i = 0; i < k; i++) /* ascending */
        expect[i] = (gs_startup_expect){
            snaps[k - 1 - i].size, gs_bytes_of(snaps[k - 1 - i].state.p, snaps[k - 1 - i].state.n)};
    gs_startup_verdict v;
    int64_t t0 = now_ms();
    n->snap.verification = 1;
    rc = gs_startup_verify(n->ingest, n->log, expect, k, gs_log_committed_size(n->log), NULL, &v,
                           err);
    for (size_t i = 0; i < k; i++)
        gs_store_snapshot_clear(&snaps[i]);
    if (rc != 0)
        return rc;
    n->snap.replayed = v.replayed;
    take_verdict(n, &v, "--verify-all");
    logf_(n, GS_NODE_LOG_INFO, "rule state of %s: full replay of %llu entries in %lld ms",
          n->cfg.origin, (unsigned long long)v.replayed, (long long)(now_ms() - t0));
    return 0;
}

/* Derives the rule state (roster, seqs, commitments) through the pipeline:
 * from the newest good rule snapshot (common/ingest.h: its integrity hash,
 * its root against the log's own at its size), replaying only the entries
 * after it, or from the Charter when there is none. Every entry replayed
 * has its signature checked again; the entries before the snapshot were
 * checked when the snapshot's state was built, and --verify-all (or the
 * background check after an unclean stop) checks them all again. An entry
 * that breaks the rule book (or whose signature fails, or whose bytes were
 * altered on disk) quarantines the node instead of stopping it; a read
 * failure is an error. */
static int replay_log(node *n, gs_error *err)
{
    gs_ingest_verdict bad;
    int rc;
    int64_t t0 = now_ms();
    uint64_t size = gs_log_committed_size(n->log);
    if (n->snap.enabled) {
        gs_ingest_snapshot_use use;
        rc = gs_ingest_snapshot_load(n->ingest, n->store, n->log, size, &n->snap.seal, &use,
                                     say_snapshot, n, err);
        if (rc != 0)
            return rc;
        gs_buf_free(&n->snap.used);
        n->snap.used = use.state; /* taken over */
        n->snap.loaded = use.size;
        if (use.size > n->snap.size)
            n->snap.size = use.size;
    } else if ((rc = gs_ingest_reset(n->ingest, err)) != 0) {
        return rc;
    }
    uint64_t from = gs_ingest_size(n->ingest);
    gs_ingest_set_stage(n->ingest, NULL);
    rc = gs_ingest_replay_log(n->ingest, n->log, size, false, &bad, err);
    n->snap.replayed = gs_ingest_size(n->ingest) - from;
    if (from > 0)
        logf_(n, GS_NODE_LOG_INFO,
              "rule state of %s: loaded the rule snapshot at size %llu and replayed the %llu "
              "entries after it in %lld ms",
              n->cfg.origin, (unsigned long long)from, (unsigned long long)n->snap.replayed,
              (long long)(now_ms() - t0));
    else
        logf_(n, GS_NODE_LOG_INFO,
              "rule state of %s: no rule snapshot; replayed all %llu entries in %lld ms",
              n->cfg.origin, (unsigned long long)n->snap.replayed, (long long)(now_ms() - t0));
    if (rc == GS_ECORRUPT) {
        /* Bytes on disk that do not hash to their stored leaf: the node
         * keeps serving everything else (and refuses this entry with the
         * same sentence at every read), so a person sees which entry was
         * altered while witnesses and auditors keep what is intact. */
        n->quarantined = true;
        snprintf(n->quarantine_reason, sizeof n->quarantine_reason,
                 "an entry of this log is altered on disk (%s)", err->msg);
        return 0;
    }
    if (rc != 0)
        return rc;
    if (bad.judged) {
        char why[GS_ERROR_MSG_MAX + 64];
        gs_ingest_verdict_text(&bad, why, sizeof why);
        n->quarantined = true;
        snprintf(n->quarantine_reason, sizeof n->quarantine_reason,
                 "entry %llu of this log breaks the rule book (%s)", (unsigned long long)bad.index,
                 why);
    }
    return 0;
}

/* Saves the rule state as a snapshot (see NODE_SNAPSHOT_ENTRIES), when the
 * state is exactly the committed log's and a checkpoint of that size was
 * signed; force (a clean stop) skips the spacing. Also reads the background
 * verification's verdict once it is in. */
static void maybe_snapshot(node *n, bool force)
{
    if (n->snap.bg != NULL) {
        gs_startup_verdict v;
        bool ran;
        if (gs_startup_bg_done(n->snap.bg, &v, &ran)) {
            gs_startup_bg_free(&n->snap.bg);
            if (ran) {
                take_verdict(n, &v, "background verification after an unclean stop");
            } else {
                n->snap.verification = 0;
                logf_(n, GS_NODE_LOG_ERROR, "%s", v.message);
            }
        }
    }
    uint64_t size = gs_log_committed_size(n->log);
    if (!n->snap.enabled || n->quarantined || gs_ingest_broken(n->ingest) ||
        gs_ingest_size(n->ingest) != size || size <= n->snap.size ||
        (!force && n->checkpoint_size != size))
        return;
    int64_t now = now_ms();
    if (!force && (now - n->snap.saved_ms < NODE_SNAPSHOT_COST * n->snap.cost_ms ||
                   (size - n->snap.size < NODE_SNAPSHOT_ENTRIES &&
                    now - n->snap.saved_ms < NODE_SNAPSHOT_MS)))
        return;
    gs_error err = {0};
    if (gs_ingest_snapshot_save(n->ingest, n->store, n->snap.log_id, &n->snap.seal, &err) != 0) {
        logf_(n, GS_NODE_LOG_WARN, "cannot save the rule snapshot at size %llu: %s",
              (unsigned long long)size, err.msg);
        n->snap.saved_ms = now; /* try again later, not every turn */
        return;
    }
    n->snap.cost_ms = now_ms() - now;
    n->snap.saved_ms = now;
    n->snap.size = size;
    n->snap.saves++;
    logf_(n, force ? GS_NODE_LOG_INFO : GS_NODE_LOG_DEBUG,
          "rule snapshot of %s saved at size %llu in %lld ms", n->cfg.origin,
          (unsigned long long)size, (long long)n->snap.cost_ms);
}

/* The snapshot lines of /metrics (docs/http.md). */
static void snapshot_metrics(node *n, FILE *out)
{
    fprintf(out,
            "# HELP giamsat_node_start_replayed_entries Entries the start replayed with their "
            "signatures checked (after the rule snapshot it loaded, or all).\n"
            "# TYPE giamsat_node_start_replayed_entries gauge\n"
            "giamsat_node_start_replayed_entries %llu\n"
            "# HELP giamsat_node_start_snapshot_size Size of the rule snapshot the start loaded "
            "(0: none).\n"
            "# TYPE giamsat_node_start_snapshot_size gauge\n"
            "giamsat_node_start_snapshot_size %llu\n"
            "# HELP giamsat_node_snapshot_size Size of the newest rule snapshot held.\n"
            "# TYPE giamsat_node_snapshot_size gauge\n"
            "giamsat_node_snapshot_size %llu\n"
            "# HELP giamsat_node_snapshots_saved_total Rule snapshots saved since the start.\n"
            "# TYPE giamsat_node_snapshots_saved_total counter\n"
            "giamsat_node_snapshots_saved_total %llu\n"
            "# HELP giamsat_node_verification Full verification of the log (--verify-all, or in "
            "the background after an unclean stop): 0 none, 1 running, 2 passed, 3 failed.\n"
            "# TYPE giamsat_node_verification gauge\n"
            "giamsat_node_verification %d\n",
            (unsigned long long)n->snap.replayed, (unsigned long long)n->snap.loaded,
            (unsigned long long)n->snap.size, (unsigned long long)n->snap.saves,
            n->snap.verification);
}

/* At start, before the rule state: whether the last run stopped cleanly
 * (the marker is taken away now, so a crash from here on is seen), and
 * where the snapshots are. */
static int snapshot_start(node *n, gs_error *err)
{
    n->snap.enabled = !gs_store_is_pg(n->cfg.database);
    gs_ingest_seal_key_derive(&n->key, &n->snap.seal);
    gs_store_log_state ls;
    int rc = gs_store_log_find(n->store, n->cfg.origin, false, &ls, err);
    if (rc != 0)
        return rc;
    n->snap.log_id = ls.id;
    if ((n->snap.marker_path = gs_startup_marker_path(n->cfg.database)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    bool clean = false;
    if ((rc = gs_startup_marker_take(n->snap.marker_path, &clean, err)) != 0)
        return rc;
    n->snap.unclean = !clean;
    n->snap.saved_ms = now_ms(); /* the spacing counts from the start */
    return 0;
}

/* After an unclean stop, a start from a snapshot trusts what it did not
 * replay: the whole log is verified again in the background while the
 * node serves. */
static void snapshot_after_start(node *n)
{
    if (!n->snap.unclean || n->snap.loaded == 0 || n->snap.verify_all)
        return;
    gs_error err = {0};
    if (gs_startup_bg_start(&n->snap.bg, n->cfg.database, n->cfg.origin, n->snap.loaded,
                            n->snap.loaded, gs_bytes_of(n->snap.used.p, n->snap.used.n),
                            &err) != 0) {
        logf_(n, GS_NODE_LOG_ERROR, "the last run did not stop cleanly, and %s", err.msg);
        return;
    }
    n->snap.verification = 1;
    logf_(n, GS_NODE_LOG_WARN,
          "the last run did not stop cleanly: verifying the %llu entries below the rule snapshot "
          "again in the background (lowest priority) while serving",
          (unsigned long long)n->snap.loaded);
}

/* A clean stop: a snapshot of the final state, then the marker. */
static void snapshot_stop(node *n)
{
    gs_startup_bg_free(&n->snap.bg); /* its verdict is not needed: the start repeats it */
    maybe_snapshot(n, true);
    gs_error err = {0};
    if (n->snap.marker_path != NULL &&
        gs_startup_marker_put(n->snap.marker_path, gs_log_committed_size(n->log), &err) != 0)
        logf_(n, GS_NODE_LOG_WARN, "%s", err.msg);
}

/* The key chain from the rule state's history of log keys, instead of
 * decoding every entry again: O(keys), whatever the log's size. */
static void keychain_from_rules(node *n)
{
    if (gs_ingest_broken(n->ingest) || n->quarantined ||
        gs_ingest_size(n->ingest) != gs_log_committed_size(n->log))
        return; /* keychain_catch_up reads the entries */
    const gs_rules_state *rs = gs_ingest_rules(n->ingest);
    size_t count = gs_rules_log_key_history(rs, NULL, NULL, 0);
    gs_pubkey *keys = calloc(count ? count : 1, sizeof *keys);
    uint64_t *at = calloc(count ? count : 1, sizeof *at);
    gs_error err = {0};
    int rc = keys == NULL || at == NULL || count == 0 ? GS_ENOMEM : 0;
    if (rc == 0) {
        gs_rules_log_key_history(rs, keys, at, count);
        gs_keychain_clear(&n->keychain);
        rc = gs_keychain_init(&n->keychain, n->cfg.origin, &keys[0], &err);
    }
    for (size_t i = 1; rc == 0 && i < count; i++) {
        /* what gs_keychain_observe reads of the KeyRotation at at[i] */
        gs_statement st;
        memset(&st, 0, sizeof st);
        st.kind = GS_BODY_KEY_ROTATION;
        st.signer = keys[i - 1];
        st.u.key_rotation.new_key = keys[i];
        n->keychain.next_index = at[i];
        rc = gs_keychain_observe(&n->keychain, at[i], &st, &err) == 1 ? 0 : GS_EINVAL;
    }
    if (rc == 0)
        n->keychain.next_index = gs_log_committed_size(n->log);
    else
        gs_keychain_clear(&n->keychain); /* keychain_catch_up reads the entries */
    free(keys);
    free(at);
}

/* ------------------------------------------------------------ the log key */

static bool same_key(const gs_pubkey *a, const gs_pubkey *b)
{
    return sodium_memcmp(a->b, b->b, sizeof a->b) == 0;
}

/* "3f9a0c1d22e4b7a0 (base64 …)": how a key is named to the operator. */
static void describe_key(const gs_pubkey *k, char *out, size_t cap)
{
    char fp[GS_KEY_FINGERPRINT_LEN], b64[45];
    gs_key_fingerprint(k, fp);
    gs_base64_encode(b64, sizeof b64, gs_bytes_of(k->b, sizeof k->b));
    snprintf(out, cap, "%s (base64 %s)", fp, b64);
}

static const gs_keypair *held_secret(const node *n, const gs_pubkey *key)
{
    for (size_t i = 0; i < n->n_held; i++)
        if (same_key(&n->held[i].pub, key))
            return &n->held[i];
    return NULL;
}

/* The secret of key: held already, or read from the signing_key line of cfg
 * whose file holds it (public parts are read first, so only that line's
 * passphrase is used). NULL when none does: err then says why when a line
 * could not be read, and *named is set when the line naming key did not
 * open (a wrong passphrase). */
static const gs_keypair *load_secret(node *n, const gs_node_config *cfg, const gs_pubkey *key,
                                     bool *named, gs_error *err)
{
    *named = false;
    const gs_keypair *kp = held_secret(n, key);
    if (kp != NULL)
        return kp;
    for (size_t i = 0; i < cfg->n_signing_keys; i++) {
        gs_pubkey pub;
        gs_error e;
        if (gs_keyfile_read_public(cfg->signing_keys[i], &pub, &e) != 0) {
            gs_error_set(err, e.code, "[node] signing_key %s: %s", cfg->signing_keys[i], e.msg);
            continue;
        }
        if (!same_key(&pub, key))
            continue;
        *named = true;
        if (n->n_held == sizeof n->held / sizeof n->held[0]) {
            gs_error_set(err, GS_ETOOBIG, "the node holds %zu keys already; restart it", n->n_held);
            return NULL;
        }
        if (gs_daemon_read_key(cfg->signing_keys[i], cfg->signing_passphrases[i],
                               &n->held[n->n_held], &e) != 0) {
            gs_error_set(err, e.code, "[node] signing_key %s: %s", cfg->signing_keys[i], e.msg);
            return NULL;
        }
        *named = false;
        return &n->held[n->n_held++];
    }
    return NULL;
}

/* The same, reading node.conf again: a signing_key line added while the node
 * runs is used without a restart. */
static const gs_keypair *reload_secret(node *n, const gs_pubkey *key, gs_error *err)
{
    const gs_keypair *kp = held_secret(n, key);
    if (kp != NULL)
        return kp;
    gs_node_config cfg;
    bool named;
    if (gs_node_config_load(n->config_path, &cfg, err) != 0)
        return NULL;
    kp = load_secret(n, &cfg, key, &named, err);
    gs_node_config_clear(&cfg);
    return kp;
}

static int keychain_catch_up(node *n, gs_error *err);

/* The entry whose KeyRotation made key the log key, from the log's key
 * chain; false when none did (the Charter's signer). */
static bool rotation_index(node *n, const gs_pubkey *key, uint64_t *index)
{
    gs_error err;
    if (keychain_catch_up(n, &err) != 0)
        logf_(n, GS_NODE_LOG_ERROR, "key chain: %s", err.msg);
    ssize_t i = n->keychain.n > 0 ? gs_keychain_find(&n->keychain, key) : -1;
    if (i <= 0)
        return false;
    *index = n->keychain.links[i].from_size - 1;
    return true;
}

/* "made by the KeyRotation at entry 42" or "the Charter's signer". */
static void key_origin_text(node *n, const gs_pubkey *key, char *out, size_t cap)
{
    uint64_t at;
    if (rotation_index(n, key, &at))
        snprintf(out, cap, "made the log key by the KeyRotation at entry %llu",
                 (unsigned long long)at);
    else
        snprintf(out, cap, "the Charter's signer");
}

/* Follows the log key of the rule state: called after every change to the
 * log (a commit, a replay, a refill) and before a checkpoint is signed, so
 * that no checkpoint of a size above a rotation is signed with the key it
 * retired. */
static void follow_log_key(node *n)
{
    gs_pubkey k;
    if (gs_rules_log_key(gs_ingest_rules(n->ingest), &k) != 0 || same_key(&k, &n->log_pub))
        return;
    gs_error err = {0};
    const gs_keypair *kp = reload_secret(n, &k, &err);
    char name[128], how[96];
    describe_key(&k, name, sizeof name);
    key_origin_text(n, &k, how, sizeof how);
    n->log_pub = k;
    n->log_key = kp;
    n->batch_keys[0] = k;
    n->n_batch_keys = 1;
    if (n->refill != NULL)
        gs_refill_set_log_key(n->refill, &n->log_pub);
    if (kp != NULL) {
        n->log_key_missing[0] = '\0';
        logf_(n, GS_NODE_LOG_INFO,
              "the log key of %s is now key %s, %s: checkpoints are signed with it from now on",
              n->cfg.origin, name, how);
        return;
    }
    snprintf(n->log_key_missing, sizeof n->log_key_missing,
             "the log key of %s is now key %s, %s, and this node holds no secret for it%s%s%s: "
             "add `signing_key = FILE` naming its key file to [node] of %s (read again every "
             "%d s)",
             n->cfg.origin, name, how, err.msg[0] != '\0' ? " (" : "", err.msg,
             err.msg[0] != '\0' ? ")" : "", n->config_path, NODE_KEY_RETRY_MS / 1000);
    n->log_key_retry_ms = now_ms() + NODE_KEY_RETRY_MS;
    logf_(n, GS_NODE_LOG_ERROR, "%s; signing nothing and accepting nothing meanwhile",
          n->log_key_missing);
}

/* While the node holds no secret for the log key in force, node.conf is read
 * again now and then: a signing_key line added brings it back without a
 * restart. */
static void retry_log_key(node *n)
{
    if (n->log_key != NULL || now_ms() < n->log_key_retry_ms)
        return;
    gs_error err = {0};
    n->log_key_retry_ms = now_ms() + NODE_KEY_RETRY_MS;
    if ((n->log_key = reload_secret(n, &n->log_pub, &err)) == NULL)
        return;
    char name[128];
    describe_key(&n->log_pub, name, sizeof name);
    n->log_key_missing[0] = '\0';
    logf_(n, GS_NODE_LOG_INFO, "the log key %s of %s is held now (a signing_key line): signing",
          name, n->cfg.origin);
}

/* At start: the log key in force, and its secret, or a refusal that names
 * the key the node needs. */
static int choose_log_key(node *n, gs_error *err)
{
    gs_pubkey k;
    if (gs_rules_log_key(gs_ingest_rules(n->ingest), &k) != 0)
        return gs_error_set(err, GS_EPERM, "the log of %s holds no Charter", n->cfg.origin);
    n->held[0] = n->key;
    n->n_held = 1;
    /* A line that names nothing readable is said, not fatal: it may name a
     * retired key whose file was destroyed. */
    for (size_t i = 0; i < n->cfg.n_signing_keys; i++) {
        gs_pubkey pub;
        gs_error e;
        if (gs_keyfile_read_public(n->cfg.signing_keys[i], &pub, &e) != 0)
            logf_(n, GS_NODE_LOG_WARN, "[node] signing_key %s: %s", n->cfg.signing_keys[i], e.msg);
    }
    gs_error lerr = {0};
    bool named;
    const gs_keypair *kp = load_secret(n, &n->cfg, &k, &named, &lerr);
    if (kp == NULL && named) /* the line naming the key in force did not open */
        return gs_error_set(err, lerr.code, "%s", lerr.msg);
    if (kp == NULL) {
        char name[128], how[96];
        describe_key(&k, name, sizeof name);
        key_origin_text(n, &k, how, sizeof how);
        return gs_error_set(err, GS_EPERM,
                            "the log key of %s is key %s, %s; this node holds no secret for it "
                            "(neither key = %s nor any of its %zu signing_key lines): add "
                            "`signing_key = FILE` naming that key's file to [node] of %s and "
                            "start again",
                            n->cfg.origin, name, how, n->cfg.key_path, n->cfg.n_signing_keys,
                            n->config_path);
    }
    n->log_pub = k;
    n->log_key = kp;
    n->batch_keys[0] = k;
    n->n_batch_keys = 1;
    if (kp != &n->held[0]) {
        char name[128];
        describe_key(&k, name, sizeof name);
        logf_(n, GS_NODE_LOG_INFO, "signing %s with log key %s, from a signing_key line",
              n->cfg.origin, name);
    }
    return 0;
}

/* The door of a KeyRotation of the log key (signed by the log key in force,
 * or by the key an earlier rotation of the same batch makes it): taken only
 * when the node holds the new key's secret, read from node.conf now if need
 * be. Otherwise the node would commit a rotation to a key it cannot sign with
 * and stop. Anything else passes (the rule book judges it). */
static gs_status_code door_rotation(node *n, const gs_buf *entry, char *msg, size_t cap)
{
    gs_signed_statement ss;
    gs_statement st = {0};
    gs_status_code code = GS_STATUS_OK;
    if (gs_wire_decode_signed_statement(gs_bytes_of(entry->p, entry->n), &ss, NULL) != 0 ||
        gs_wire_decode_statement(ss.statement, &st, NULL) != 0)
        goto out; /* the pipeline says why */
    if (st.kind != GS_BODY_KEY_ROTATION)
        goto out;
    bool by_log_key = false;
    for (size_t i = 0; i < n->n_batch_keys && !by_log_key; i++)
        by_log_key = same_key(&st.signer, &n->batch_keys[i]);
    if (!by_log_key)
        goto out; /* a member's rotation */
    const gs_pubkey *nk = &st.u.key_rotation.new_key;
    gs_error err = {0};
    if (reload_secret(n, nk, &err) == NULL) {
        char name[128];
        describe_key(nk, name, sizeof name);
        code = GS_STATUS_UNAVAILABLE;
        snprintf(msg, cap,
                 "this KeyRotation makes key %s the log key of %s, and this node holds no secret "
                 "for it%s%s%s: add `signing_key = FILE` naming the new key's file to [node] of "
                 "%s first, then submit it again (`giamsat node rotate-key` does both)",
                 name, n->cfg.origin, err.msg[0] != '\0' ? " (" : "", err.msg,
                 err.msg[0] != '\0' ? ")" : "", n->config_path);
        goto out;
    }
    if (n->n_batch_keys == sizeof n->batch_keys / sizeof n->batch_keys[0]) {
        code = GS_STATUS_UNAVAILABLE;
        snprintf(msg, cap, "too many rotations of the log key at once; retry shortly");
        goto out;
    }
    n->batch_keys[n->n_batch_keys++] = *nk;
out:
    gs_statement_clear(&st);
    return code;
}

/* ------------------------------------------------------------ reads */

static bool origin_ok(node *n, const gs_request *rq, gs_response *rs, char *msg, size_t cap)
{
    if (rq->origin == NULL || rq->origin[0] == '\0' || strcmp(rq->origin, n->cfg.origin) == 0)
        return true;
    snprintf(msg, cap, "this node serves %s only, not %s", n->cfg.origin, rq->origin);
    rs->code = GS_STATUS_NOT_FOUND;
    rs->message = msg;
    return false;
}

/* Feeds the key chain the committed entries it has not seen. They were
 * verified when they were accepted (or at start-up) and the store checks
 * their bytes against their leaf hashes, so they are decoded, not verified
 * again: a read asking for the chain costs the entries committed since the
 * last one. */
static int keychain_catch_up(node *n, gs_error *err)
{
    uint64_t size = gs_log_committed_size(n->log);
    int rc = 0;
    while (rc == 0 && n->keychain.next_index < size) {
        uint64_t i = n->keychain.next_index;
        gs_buf entry = {0};
        gs_signed_statement ss;
        gs_statement st;
        memset(&st, 0, sizeof st);
        if ((rc = gs_log_entry(n->log, i, &entry, err)) == 0 &&
            (rc = gs_wire_decode_signed_statement(gs_bytes_of(entry.p, entry.n), &ss, err)) == 0 &&
            (rc = gs_wire_decode_statement(ss.statement, &st, err)) == 0) {
            /* entry 0, the Charter, is signed by the first log key */
            if (i == 0)
                rc = gs_keychain_init(&n->keychain, n->cfg.origin, &st.signer, err);
            if (rc == 0)
                rc = gs_keychain_observe(&n->keychain, i, &st, err) < 0 ? -1 : 0;
        }
        gs_statement_clear(&st);
        gs_buf_free(&entry);
    }
    return rc;
}

static void serve_read(node *n, const gs_net_request *nrq, gs_request *rq)
{
    gs_response rs = {.id = rq->id, .code = GS_STATUS_OK, .message = ""};
    char msg[GS_ERROR_MSG_MAX];
    gs_serve_reply reply;
    gs_error err = {0};

    if (!origin_ok(n, rq, &rs, msg, sizeof msg)) {
        send_response(n, nrq->socket, nrq->identity, nrq->identity_len, &rs);
        return;
    }
    if (gs_serve_is_read(rq->op)) {
        char server[GS_MAX_ORIGIN + 8];
        snprintf(server, sizeof server, "node %s", n->cfg.origin);
        gs_serve_log src = {
            .log = n->log,
            .limit = gs_log_committed_size(n->log),
            .default_size = n->checkpoint_size,
            /* Stay well inside the frame limit: the reply must reach the client. */
            .budget = n->cfg.max_message / 2,
            .server = server,
        };
        if (rq->op == GS_OP_GET_KEY_CHAIN) {
            /* on failure the chain covers fewer entries, and serve says so */
            if (keychain_catch_up(n, &err) != 0)
                logf_(n, GS_NODE_LOG_ERROR, "key chain: %s", err.msg);
            if (n->keychain.n > 0)
                src.keychain = &n->keychain;
        }
        if (gs_serve_read(&src, rq, &reply, &err) != 0)
            logf_(n, GS_NODE_LOG_ERROR, "%s", err.msg);
        send_response(n, nrq->socket, nrq->identity, nrq->identity_len, &reply.rs);
        gs_serve_reply_clear(&reply);
        return;
    }
    if (rq->op == GS_OP_GET_SIGNER_STATE) {
        uint64_t next_seq = 1;
        bool active = false;
        gs_rules_signer_state(gs_ingest_rules(n->ingest), &rq->u.get_signer_state.signer, &next_seq,
                              &active);
        rs.result = GS_RESULT_SIGNER_STATE;
        rs.u.signer_state.next_seq = next_seq;
        rs.u.signer_state.active = active;
    } else {
        snprintf(msg, sizeof msg, "a node does not serve this operation (hubs do)");
        rs.code = GS_STATUS_INVALID_ARGUMENT;
        rs.message = msg;
    }
    send_response(n, nrq->socket, nrq->identity, nrq->identity_len, &rs);
}

/* The node's log over HTTP as tlog-tiles (docs/http.md "Tiles"): at the
 * size of its latest signed checkpoint, with the store's note of that size
 * (the one with the cosignatures its witnesses returned). */
static bool tiles_lookup(void *ctx, const char *origin, gs_tiles_log *out)
{
    node *n = ctx;
    if (strcmp(origin, n->cfg.origin) != 0)
        return false;
    *out = (gs_tiles_log){
        .log_id = n->tiles_log_id, .size = n->checkpoint_size, .log_key = n->tiles_key};
    return true;
}

static const char *tiles_origin_at(void *ctx, size_t i)
{
    node *n = ctx;
    return i == 0 ? n->cfg.origin : NULL;
}

static int tiles_start(node *n, gs_http *http, gs_error *err)
{
    gs_store_log_state st;
    gs_vkey vk;
    int rc;
    /* /logs.json names the log's anchor, the Charter's signer, as every
     * follower's configuration does (D2); readers follow the rotations. */
    const gs_pubkey *anchor = n->keychain.n > 0 ? &n->keychain.links[0].key : &n->key.pub;
    if ((rc = gs_store_log_find(n->store, n->cfg.origin, false, &st, err)) != 0 ||
        (rc = gs_vkey_make(&vk, n->cfg.origin, GS_VKEY_ALG_ED25519, anchor, err)) != 0 ||
        (rc = gs_vkey_format(&vk, n->tiles_key, sizeof n->tiles_key, err)) != 0)
        return rc;
    n->tiles_log_id = st.id;
    gs_tiles_config tc = {
        .store = n->store, .lookup = tiles_lookup, .origin_at = tiles_origin_at, .ctx = n};
    if ((rc = gs_tiles_new(&n->tiles, &tc, err)) != 0)
        return rc;
    if ((rc = gs_http_route(http, "GET", GS_TILES_PREFIX, false, "tiles", gs_tiles_handle, n->tiles,
                            err)) != 0)
        return rc;
    return gs_http_route(http, "GET", GS_TILES_LOGS_PATH, true, "logs", gs_tiles_handle_logs,
                         n->tiles, err);
}

/* ------------------------------------------------------------ submissions */

static void sign_receipt_job(void *ctx, size_t i)
{
    node *n = ctx;
    job *j = &n->jobs[i];
    if (!j->accepted)
        return;
    gs_receipt r = {
        .origin = n->cfg.origin, .index = j->index, .leaf_hash = j->leaf, .time = n->receipt_time};
    gs_error err;
    if (gs_wire_sign_receipt(&r, &n->key, &j->receipt, &err) != 0) {
        j->code = err.code;
        snprintf(j->message, sizeof j->message, "%s", err.msg);
    }
}

/* The batch form (docs/formats.md "Receipts"): one signature for every
 * receipt of the group commit, over the Merkle root of their receipts; each
 * carries its path. The hashing is cheap next to the signatures it saves. */
static void sign_receipt_batch(node *n)
{
    gs_receipt *rs = calloc(n->n_jobs, sizeof *rs);
    gs_buf *out = calloc(n->n_jobs, sizeof *out);
    gs_error err = {0};
    size_t k = 0;
    int rc = 0;
    if (rs == NULL || out == NULL)
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory signing the receipts");
    for (size_t i = 0; rc == 0 && i < n->n_jobs; i++) {
        const job *j = &n->jobs[i];
        if (j->accepted && j->code == 0)
            rs[k++] = (gs_receipt){.origin = n->cfg.origin,
                                   .index = j->index,
                                   .leaf_hash = j->leaf,
                                   .time = n->receipt_time};
    }
    if (rc == 0 && k > 0)
        rc = gs_wire_sign_receipt_batch(rs, k, &n->key, out, &err);
    /* out[m] is the receipt of the m-th job that was collected above. */
    for (size_t i = 0, m = 0; i < n->n_jobs; i++) {
        job *j = &n->jobs[i];
        if (!j->accepted || j->code != 0)
            continue;
        if (rc == 0) {
            j->receipt = out[m++];
        } else {
            j->code = err.code;
            snprintf(j->message, sizeof j->message, "%s", err.msg);
        }
    }
    free(rs);
    free(out);
}

static void drain(node *n);

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Group commit gathers everyone. Clients that wait for their receipt send
 * their next statement when it comes back, so a batch taken the moment the
 * first of them is back splits the clients into two groups that then take
 * turns, each paying a whole commit (an fsync) for half of them. When fewer
 * submissions wait than were in either of the last two commits, wait for
 * the others a little — never longer than a commit takes, which is what the
 * split would cost them — and take them into this batch. A client that
 * stopped sending costs this wait at most twice: the count follows the
 * batches actually taken. node.conf group_commit_wait_us bounds the wait
 * (0: no wait, a batch is what the turn drained). */
static void gather(node *n)
{
    size_t expect = n->last_batch > n->prev_batch ? n->last_batch : n->prev_batch;
    if (expect > n->cfg.max_batch)
        expect = n->cfg.max_batch;
    if (n->n_jobs == 0 || n->n_jobs >= expect || n->cfg.group_commit_wait_us == 0)
        return;
    int64_t cap = n->cfg.group_commit_wait_us;
    int64_t wait_us = n->commit_us < cap ? n->commit_us : cap;
    int64_t end = mono_us() + wait_us;
    zmq_pollitem_t items[GS_NET_MAX_ENDPOINTS + 1];
    size_t n_items = gs_net_server_pollitems(n->server, items, GS_NET_MAX_ENDPOINTS + 1);
    while (n->n_jobs < expect && !gs_daemon_stopping()) {
        /* The signatures of those here are checked while the others come,
         * rather than all of them after: the wait does the work that
         * followed it. What arrived meanwhile waits in the sockets: once
         * the deadline passed, one more drain that does not wait takes it
         * (only one: a flood of reads must not hold the batch back). */
        gs_ingest_open(n->pool, n->opened, n->n_jobs);
        int64_t left = end - mono_us();
        bool last = left <= 0;
        /* zmq_poll counts milliseconds: round up, the deadline decides */
        if (zmq_poll(items, (int)n_items, last ? 0 : (long)((left + 999) / 1000)) <= 0)
            break;
        drain(n);
        if (last)
            break;
    }
}

static void clear_jobs(node *n)
{
    for (size_t i = 0; i < n->n_jobs; i++) {
        job *j = &n->jobs[i];
        gs_ingest_opening_clear(&n->opened[i]);
        gs_buf_free(&j->entry);
        gs_buf_free(&j->receipt);
    }
    n->n_jobs = 0;
    n->batch_keys[0] = n->log_pub;
    n->n_batch_keys = 1;
}

static void process_batch(node *n)
{
    gs_error err = {0};
    size_t accepted = 0;
    gather(n);
    gs_ingest_verdict *v = calloc(n->n_jobs, sizeof *v);
    if (v == NULL) {
        for (size_t i = 0; i < n->n_jobs; i++)
            send_status(n, n->jobs[i].socket, n->jobs[i].identity, n->jobs[i].identity_len,
                        n->jobs[i].request_id, GS_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        clear_jobs(n);
        return;
    }
    n->prev_batch = n->last_batch;
    n->last_batch = n->n_jobs;

    /* Judged in arrival order and staged in one transaction: the group
     * commit. */
    int rc = gs_store_begin(n->store, &err);
    if (rc == 0) {
        gs_ingest_set_stage(n->ingest, n->log);
        rc = gs_ingest_push_opened(n->ingest, GS_INGEST_SUBMISSION, n->opened, n->n_jobs,
                                   (int64_t)time(NULL), v, &err);
        gs_ingest_set_stage(n->ingest, NULL);
    }
    bool judged = rc == 0; /* every job has its verdict */
    for (size_t i = 0; judged && i < n->n_jobs; i++) {
        job *j = &n->jobs[i];
        j->leaf = v[i].leaf;
        if (v[i].accepted) {
            j->accepted = true;
            j->index = v[i].index;
            accepted++;
        } else {
            /* The reason's stable name first, so scripts can tell rules
             * apart; then the sentence for the person. */
            j->code = v[i].code;
            gs_ingest_verdict_text(&v[i], j->message, sizeof j->message);
        }
    }
    if (rc == 0 && accepted > 0) {
        int64_t t0 = mono_us();
        rc = gs_store_commit(n->store, &err);
        n->commit_us = mono_us() - t0;
    } else
        gs_store_rollback(n->store); /* nothing accepted, or the pipeline failed */
    if (rc != 0) {
        /* Nothing of the batch is on disk: say so, and forget what the
         * rule book learnt from it by replaying the durable log. */
        logf_(n, GS_NODE_LOG_ERROR, "commit of %zu statements failed: %s",
              judged ? accepted : n->n_jobs, err.msg);
        snprintf(n->store_error, sizeof n->store_error, "a commit failed: %s", err.msg);
        for (size_t i = 0; i < n->n_jobs; i++) {
            job *j = &n->jobs[i];
            if (judged && !j->accepted)
                continue; /* refused by the rule book: that stays its answer */
            j->accepted = false;
            j->code = GS_EUNAVAIL;
            snprintf(j->message, sizeof j->message, "not stored, try again: %s", err.msg);
        }
        accepted = 0;
        gs_error rerr;
        if (replay_log(n, &rerr) != 0) {
            logf_(n, GS_NODE_LOG_ERROR, "cannot rebuild the rule state: %s; stopping", rerr.msg);
            gs_daemon_request_stop();
        }
    }
    /* A rotation of the log key committed in this batch: the new key signs
     * the next checkpoint, whose size is above it. */
    follow_log_key(n);
    free(v);

    n->receipt_time = (int64_t)time(NULL);
    if (n->cfg.receipt_single)
        gs_pool_run(n->pool, sign_receipt_job, n, n->n_jobs);
    else
        sign_receipt_batch(n);

    for (size_t i = 0; i < n->n_jobs; i++) {
        job *j = &n->jobs[i];
        gs_response rs = {.id = j->request_id};
        if (j->accepted && j->code == 0) {
            rs.code = GS_STATUS_OK;
            rs.message = "";
            rs.result = GS_RESULT_RECEIPT;
            rs.u.receipt = j->receipt;
            n->accepted_total++;
        } else {
            rs.code = gs_status_from_error(j->code);
            rs.message = j->message;
            n->rejected_total++;
            logf_(n, GS_NODE_LOG_INFO, "rejected a statement: %s: %s", gs_status_name(rs.code),
                  j->message);
        }
        send_response(n, j->socket, j->identity, j->identity_len, &rs);
    }
    if (accepted > 0)
        n->store_error[0] = '\0';
    if (accepted > 0)
        logf_(n, GS_NODE_LOG_DEBUG, "committed %zu statements, log size %llu", accepted,
              (unsigned long long)gs_log_committed_size(n->log));
    clear_jobs(n);
}

/* Why submissions wait, or NULL when they may go on: the refill holds
 * (the log is behind what its key signed), or the start check still waits
 * for a witness to say what it holds. */
static const char *write_hold(node *n)
{
    if (n->log_key_missing[0] != '\0')
        return n->log_key_missing;
    if (n->refill != NULL && gs_refill_holding(n->refill))
        return gs_refill_status(n->refill);
    if (n->start_check_until_ms == 0)
        return NULL;
    bool all = true;
    for (size_t i = 0; i < n->n_witnesses && all; i++)
        all = gs_witness_client_answered(n->witnesses[i]);
    int64_t now = now_ms();
    if (all || now >= n->start_check_until_ms) {
        if (!all)
            logf_(n, GS_NODE_LOG_WARN,
                  "start check: not every witness answered within %lld ms; accepting "
                  "submissions (a witness that later holds more of this log stops them again)",
                  (long long)n->cfg.start_check_ms);
        n->start_check_until_ms = 0;
        return NULL;
    }
    snprintf(n->start_status, sizeof n->start_status,
             "starting: waiting up to %lld s for its witnesses to say what they hold of this log "
             "(a restored node must not go back); retry shortly",
             (long long)(n->start_check_until_ms - now + 999) / 1000);
    return n->start_status;
}

/* Takes one request off the sockets. Returns true when it joined the batch. */
static bool take_request(node *n, const gs_net_request *nrq)
{
    gs_request rq = {0};
    gs_status_code status;
    char msg[3 * GS_ERROR_MSG_MAX];
    if (!gs_serve_decode(nrq->payload, n->cfg.max_message, &rq, &status, msg, sizeof msg)) {
        send_status(n, nrq->socket, nrq->identity, nrq->identity_len, 0, status, msg);
        return false;
    }
    bool joined = false;
    const char *hold = NULL;
    if (rq.op != GS_OP_SUBMIT && n->n_reads < NODE_READ_QUEUE) {
        pending_read *p = &n->reads[(n->reads_head + n->n_reads++) % NODE_READ_QUEUE];
        p->from = *nrq;
        p->from.payload = (gs_bytes){0};
        p->rq = rq; /* taken over */
        return false;
    } else if (rq.op != GS_OP_SUBMIT) {
        /* More reads wait than a turn answers: shed this one cheaply
         * rather than stop taking requests (a submission may be next). */
        n->reads_shed++;
        send_status(n, nrq->socket, nrq->identity, nrq->identity_len, rq.id,
                    GS_STATUS_RESOURCE_EXHAUSTED,
                    "the node has more reads waiting than it answers at a time; try again in "
                    "a moment");
    } else if (n->quarantined) {
        snprintf(msg, sizeof msg, "this node accepts nothing: %s; its operator must investigate",
                 n->quarantine_reason);
        send_status(n, nrq->socket, nrq->identity, nrq->identity_len, rq.id, GS_STATUS_UNAVAILABLE,
                    msg);
    } else if (!nrq->can_write) {
        send_status(n, nrq->socket, nrq->identity, nrq->identity_len, rq.id,
                    GS_STATUS_PERMISSION_DENIED,
                    "this client key may read but not submit: ask the node's operator to add "
                    "it as a writer");
    } else if (rq.u.submit.entry.n > GS_MAX_NEW_ENTRY) {
        /* The one size the decoder takes that no tlog-tiles entry bundle
         * can carry (wire.h). */
        snprintf(msg, sizeof msg,
                 "statement of %zu bytes: above the entry limit of %d bytes (a tlog-tiles "
                 "entry bundle carries no larger entry)",
                 rq.u.submit.entry.n, GS_MAX_NEW_ENTRY);
        send_status(n, nrq->socket, nrq->identity, nrq->identity_len, rq.id,
                    GS_STATUS_INVALID_ARGUMENT, msg);
    } else if ((hold = write_hold(n)) != NULL) {
        send_status(n, nrq->socket, nrq->identity, nrq->identity_len, rq.id, GS_STATUS_UNAVAILABLE,
                    hold);
    } else if ((status = door_rotation(n, &rq.u.submit.entry, msg, sizeof msg)) != GS_STATUS_OK) {
        logf_(n, GS_NODE_LOG_WARN, "refused a rotation of the log key: %s", msg);
        send_status(n, nrq->socket, nrq->identity, nrq->identity_len, rq.id, status, msg);
    } else {
        job *j = &n->jobs[n->n_jobs++];
        memset(j, 0, sizeof *j);
        j->socket = nrq->socket;
        memcpy(j->identity, nrq->identity, nrq->identity_len);
        j->identity_len = nrq->identity_len;
        j->request_id = rq.id;
        j->entry = rq.u.submit.entry; /* taken over from the request */
        rq.u.submit.entry = (gs_buf){0};
        n->opened[n->n_jobs - 1] =
            (gs_ingest_opening){.entry = gs_bytes_of(j->entry.p, j->entry.n)};
        joined = true;
    }
    gs_request_clear(&rq);
    return joined;
}

/* When checkpoints are signed (docs/architecture.md, "Checkpoint
 * scheduling"). The time to witnessed — from a receipt to a checkpoint
 * holding the entry cosigned by the witnesses — is what a person waits for,
 * so in adaptive mode a commit is checkpointed at once when the witnesses
 * are free (no AddCheckpoint in flight), and under load the checkpoints
 * batch themselves: the next one waits until the witnesses answered the
 * previous one (each then gets the newest at once), so they are never sent
 * more than they can take, and a checkpoint covers what arrived meanwhile.
 * Two more bounds: checkpoint_min_interval_ms between two checkpoints, and
 * what signing one costs (a signature and durable writes: the note, the
 * marker; milliseconds on a slow disk) is paid from the loop's idle time:
 * a checkpoint is signed once the loop waited in its poll at least as long
 * as the last one took since it was signed, or else — a node saturated
 * with submissions, which never waits — once NODE_CHECKPOINT_COST_SHARE
 * times that cost has passed, so checkpoints take at most about a tenth of
 * a busy loop's time, whatever the witnesses (or none) answer.
 * checkpoint_interval_ms is the upper bound an entry waits whatever the
 * witnesses do (one may hold a request for its whole 30 s timeout); in fixed
 * mode it is the only rule, as before. */
#define NODE_CHECKPOINT_COST_SHARE 10

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Adaptive mode signs many checkpoints a second under load: a line for each
 * (and each cosignature) is said at info level at most every
 * NODE_CHATTY_MS, the others at debug level; /metrics counts them all. In
 * fixed mode every one is said, as before. */
#define NODE_CHATTY_MS 10000

static gs_node_log_level chatty_level(const node *n, int64_t *said_ms)
{
    int64_t now = now_ms();
    if (n->cfg.checkpoint_mode != GS_NODE_CHECKPOINT_FIXED && *said_ms != 0 &&
        now - *said_ms < NODE_CHATTY_MS)
        return GS_NODE_LOG_DEBUG;
    *said_ms = now;
    return GS_NODE_LOG_INFO;
}

static bool witnesses_in_flight(const node *n)
{
    for (size_t i = 0; i < n->n_witnesses; i++)
        if (gs_witness_client_in_flight(n->witnesses[i]))
            return true;
    return false;
}

/* The monotonic time (ms) at which the next checkpoint is due; INT64_MAX
 * when none is wanted (nothing new, or the log is behind what it signed). */
static int64_t checkpoint_due_ms(const node *n)
{
    if (gs_log_committed_size(n->log) == n->checkpoint_size || gs_refill_holding(n->refill))
        return INT64_MAX;
    int64_t bound = n->last_checkpoint_ms + n->cfg.checkpoint_interval_ms;
    if (n->cfg.checkpoint_mode == GS_NODE_CHECKPOINT_FIXED || witnesses_in_flight(n))
        return bound;
    int64_t soon = n->last_checkpoint_ms + n->cfg.checkpoint_min_interval_ms;
    int64_t unpaid_us = n->checkpoint_cost_us - n->idle_us;
    if (unpaid_us > 0) {
        /* Paid by idling that long from now, or by the share of a busy
         * loop's time, whichever comes first. */
        int64_t idle = now_ms() + (unpaid_us + 999) / 1000;
        int64_t share = n->last_checkpoint_ms +
                        (n->checkpoint_cost_us * NODE_CHECKPOINT_COST_SHARE + 999) / 1000;
        int64_t paid = idle < share ? idle : share;
        if (paid > soon)
            soon = paid;
    }
    return soon < bound ? soon : bound;
}

static void maybe_checkpoint(node *n, bool force)
{
    uint64_t size = gs_log_committed_size(n->log);
    int64_t now = now_ms();
    if (size == n->checkpoint_size || gs_refill_holding(n->refill))
        return; /* behind what it signed: nothing is signed until refilled */
    if (!force && now < checkpoint_due_ms(n))
        return;
    /* Signed with the key for this size, never one a rotation below it
     * retired; none when the node holds no secret for it. */
    follow_log_key(n);
    retry_log_key(n);
    if (n->log_key == NULL)
        return;
    char *note = NULL;
    gs_error err;
    int64_t t0 = now_us();
    if (gs_log_sign_checkpoint(n->log, n->log_key, &note, &err) != 0) {
        logf_(n, GS_NODE_LOG_ERROR, "cannot sign a checkpoint: %s", err.msg);
        snprintf(n->store_error, sizeof n->store_error, "cannot store a checkpoint: %s", err.msg);
        return;
    }
    n->store_error[0] = '\0';
    n->checkpoints_signed++;
    /* The marker records it before anyone can see it. */
    if (gs_refill_signed(n->refill, note, size, &err) != 0)
        logf_(n, GS_NODE_LOG_ERROR, "%s", err.msg);
    free(note);
    n->checkpoint_cost_us = now_us() - t0;
    n->idle_us = 0;
    n->checkpoint_size = size;
    n->last_checkpoint_ms = now;
    n->publish_due = true;
    logf_(n, chatty_level(n, &n->checkpoint_said_ms), "checkpoint %s size %llu", n->cfg.origin,
          (unsigned long long)size);
}

/* Sends the latest checkpoint to every witness that has not cosigned it
 * and merges the cosignatures that came back; returns the poll timeout the
 * witnesses want. */
static long step_witnesses(node *n)
{
    long timeout = 1000;
    /* While it refills, nothing goes to the witnesses: what they would be
     * sent is older than what they hold. */
    for (size_t i = 0; i < n->n_witnesses && !gs_refill_holding(n->refill); i++) {
        gs_error err = {0};
        uint64_t size = 0;
        long next = 1000;
        gs_witness_event ev = gs_witness_client_step(n->witnesses[i], n->log, n->checkpoint_size,
                                                     now_ms(), &size, &next, &err);
        if (ev == GS_WITNESS_COSIGNED) {
            n->cosignatures_collected++;
            n->publish_due = true;
            logf_(n, chatty_level(n, &n->cosigned_said_ms[i]), "checkpoint %llu cosigned by %s",
                  (unsigned long long)size, gs_witness_client_name(n->witnesses[i]));
        } else if (ev == GS_WITNESS_FAILED)
            logf_(n, GS_NODE_LOG_WARN, "%s", err.msg);
        else if (ev == GS_WITNESS_AHEAD) {
            char why[GS_VKEY_NAME_MAX + 32];
            snprintf(why, sizeof why, "witness %s", gs_witness_client_name(n->witnesses[i]));
            logf_(n, GS_NODE_LOG_WARN,
                  "%s holds size %llu of this log, which holds %llu: the log went back "
                  "(restored backup or lost WAL?); holding submissions and refilling",
                  why, (unsigned long long)size, (unsigned long long)gs_log_committed_size(n->log));
            gs_refill_behind(n->refill, size, why, now_ms());
        }
        if (next < timeout)
            timeout = next;
    }
    return timeout;
}

/* What one turn of the loop takes off the sockets. Reads used to be
 * answered as they were taken, so a client flooding reads (it need not even
 * read the answers) kept the loop draining and starved every submission.
 * Now a turn takes requests off the sockets without answering reads (each
 * is decoded and queued, at most NODE_READ_QUEUE of them; a read beyond is
 * answered RESOURCE_EXHAUSTED at once, as are refusals: they cost
 * nothing, and the drain goes on to the submissions), at most max_batch
 * submissions,
 * NODE_TURN_BYTES of frames and NODE_TURN_TAKEN requests in all; then the
 * batch is committed and receipted; then the queued reads are answered for
 * at most NODE_TURN_READ_MS, the rest in the next turns. A submission thus
 * waits for at most one turn's reads, whatever the flood, and reads keep
 * their share: every turn answers some. */
#define NODE_TURN_READ_MS 10
#define NODE_TURN_BYTES (16u << 20)
#define NODE_TURN_TAKEN 1024

static void drain(node *n)
{
    size_t taken = 0, bytes = 0;
    while (n->n_jobs < n->cfg.max_batch && bytes < NODE_TURN_BYTES && taken < NODE_TURN_TAKEN &&
           !gs_daemon_stopping()) {
        gs_net_request nrq;
        gs_error err;
        if (gs_net_server_recv(n->server, &nrq, &err) <= 0)
            break;
        bytes += nrq.payload.n;
        taken++;
        take_request(n, &nrq);
    }
}

/* Answers queued reads, oldest first, for at most budget_ms (all of them
 * when budget_ms < 0), from committed data. */
static void answer_reads(node *n, long budget_ms)
{
    int64_t deadline = now_ms() + budget_ms;
    while (n->n_reads > 0) {
        pending_read *p = &n->reads[n->reads_head];
        serve_read(n, &p->from, &p->rq);
        gs_request_clear(&p->rq);
        n->reads_head = (n->reads_head + 1) % NODE_READ_QUEUE;
        n->n_reads--;
        if (budget_ms >= 0 && (now_ms() >= deadline || gs_daemon_stopping()))
            break;
    }
}

/* Answers dropped because a peer did not read them: said once in a while,
 * not once per answer (a flood would flood the log too). */
static void report_dropped(node *n)
{
    uint64_t dropped = gs_net_server_dropped(n->server);
    int64_t now = now_ms();
    if ((dropped == n->dropped_reported && n->reads_shed == n->shed_reported) ||
        now - n->dropped_reported_ms < 10000)
        return;
    logf_(n, GS_NODE_LOG_WARN,
          "under a flood: %llu answers dropped in all (%llu since the last report; their clients "
          "did not read them), %llu reads answered \"try again\" in all",
          (unsigned long long)dropped, (unsigned long long)(dropped - n->dropped_reported),
          (unsigned long long)n->reads_shed);
    n->dropped_reported = dropped;
    n->shed_reported = n->reads_shed;
    n->dropped_reported_ms = now;
}

/* The node's memory ceiling (see gs_net_server_guard_memory): its own
 * memory does not grow with its log (DESIGN §6), so what is above it is what
 * peers queued. */
#define NODE_MEMORY_CEILING_MIB GS_NET_MEMORY_CEILING_MIB

/* Drives the refill (common/refill.h) one turn and says what happened. */
static long step_refill(node *n)
{
    long next = 1000;
    gs_error err = {0};
    gs_refill_event ev = gs_refill_step(n->refill, now_ms(), &next, &err);
    switch (ev) {
    case GS_REFILL_PROGRESS:
        follow_log_key(n); /* the refilled entries may rotate the log key */
        logf_(n, GS_NODE_LOG_INFO, "refill: the log holds %llu entries of %llu signed",
              (unsigned long long)gs_log_committed_size(n->log),
              (unsigned long long)gs_refill_signed_size(n->refill));
        break;
    case GS_REFILL_DONE: {
        char *note = NULL;
        if (gs_log_latest_checkpoint(n->log, &note, &n->checkpoint_size, NULL) != 0)
            n->checkpoint_size = 0;
        free(note);
        logf_(n, GS_NODE_LOG_INFO,
              "refill: the log holds %llu entries, everything it signed; accepting submissions",
              (unsigned long long)gs_log_committed_size(n->log));
        break;
    }
    case GS_REFILL_STUCK_EV: logf_(n, GS_NODE_LOG_ERROR, "READ-ONLY: %s", err.msg); break;
    case GS_REFILL_WARN: logf_(n, GS_NODE_LOG_WARN, "%s", err.msg); break;
    default: break;
    }
    return next;
}

/* ------------------------------------------------------------ reload */

static void say_reload(void *ctx, const char *line)
{
    logf_(ctx, GS_NODE_LOG_INFO, "reload: %s", line);
}

/* Whether witness i of a and witness j of b are the same hub. */
static bool same_witness(const gs_node_config *a, size_t i, const gs_node_config *b, size_t j)
{
    const gs_vkey *x = &a->witness_keys[i], *y = &b->witness_keys[j];
    return strcmp(a->witness_endpoints[i], b->witness_endpoints[j]) == 0 && x->alg == y->alg &&
           strcmp(x->name, y->name) == 0 && memcmp(x->key.b, y->key.b, sizeof x->key.b) == 0;
}

/* Builds the witness clients and the refill of next's [witness] lines into
 * the node (the old ones freed; a witness kept keeps its client: what it
 * cosigned, its backoff). The refill is made anew: its sources point into
 * the configuration, which the reload replaces. On failure nothing
 * changes. */
static int reload_witnesses(node *n, gs_node_config *next, gs_error *err)
{
    gs_witness_client *w[GS_NODE_MAX_WITNESSES] = {0};
    bool taken[GS_NODE_MAX_WITNESSES] = {0};
    gs_refill_source saved[GS_NODE_MAX_WITNESSES];
    gs_refill *refill = NULL;
    int rc = 0;
    for (size_t i = 0; i < next->n_witnesses && rc == 0; i++) {
        for (size_t j = 0; j < n->n_witnesses && w[i] == NULL; j++)
            if (!taken[j] && same_witness(&n->cfg, j, next, i)) {
                w[i] = n->witnesses[j];
                taken[j] = true;
            }
        if (w[i] == NULL && (rc = gs_witness_client_new(&w[i], n->zctx, next->witness_endpoints[i],
                                                        &next->witness_keys[i], &n->key,
                                                        n->cfg.max_message, err)) != 0)
            gs_error_wrap(err, "[witness] %s", next->witness_endpoints[i]);
    }
    /* The refill keeps a pointer to n->sources: filled before it is made,
     * put back when it cannot be. */
    memcpy(saved, n->sources, sizeof saved);
    for (size_t i = 0; i < next->n_witnesses; i++)
        n->sources[i] = (gs_refill_source){.endpoint = next->witness_endpoints[i],
                                           .key = &next->witness_keys[i]};
    gs_refill_config rc_cfg = {
        .zctx = n->zctx,
        .store = n->store,
        .log = n->log,
        .ingest = &n->ingest,
        .log_key = &n->log_pub, /* as at start: the log key in force */
        .client_key = &n->key,
        .sources = n->sources,
        .n_sources = next->n_witnesses,
        .max_message = n->cfg.max_message,
        .marker_path = n->marker_path,
    };
    if (rc == 0)
        rc = gs_refill_new(&refill, &rc_cfg, err);
    if (rc != 0) {
        memcpy(n->sources, saved, sizeof saved);
        for (size_t i = 0; i < next->n_witnesses; i++) {
            bool kept = false;
            for (size_t j = 0; j < n->n_witnesses && !kept; j++)
                kept = w[i] == n->witnesses[j];
            if (!kept)
                gs_witness_client_free(&w[i]);
        }
        return rc;
    }
    for (size_t j = 0; j < n->n_witnesses; j++)
        if (!taken[j])
            gs_witness_client_free(&n->witnesses[j]);
    gs_refill_free(&n->refill);
    memcpy(n->witnesses, w, sizeof w);
    n->n_witnesses = next->n_witnesses;
    n->refill = refill;
    return 0;
}

/* SIGHUP: node.conf read again and what changed applied at once, the log,
 * the rule state and the connections kept (config.h "reload"). A file that
 * does not load changes nothing. */
static void reload(node *n)
{
    gs_node_config next;
    gs_error err = {0};
    if (gs_node_config_load(n->config_path, &next, &err) != 0) {
        logf_(n, GS_NODE_LOG_ERROR, "reload refused, the running configuration is kept: %s",
              err.msg);
        return;
    }
    unsigned changed = gs_node_config_diff(&n->cfg, &next, say_reload, n);
    if (changed == 0)
        logf_(n, GS_NODE_LOG_INFO, "reload: %s: nothing changed", n->config_path);
    bool keep_witnesses = false;
    if ((changed & GS_NODE_CHANGED_WITNESSES) && gs_refill_holding(n->refill)) {
        /* The refill is asking the witnesses for what the log lacks: it
         * is not cut off halfway. */
        logf_(n, GS_NODE_LOG_WARN,
              "reload: the witnesses are not changed while the node refills its log from them "
              "(%s); send SIGHUP again once it is done",
              gs_refill_status(n->refill));
        keep_witnesses = true;
    } else if (changed & GS_NODE_CHANGED_WITNESSES) {
        if (reload_witnesses(n, &next, &err) != 0) {
            logf_(n, GS_NODE_LOG_ERROR, "reload: the witnesses are not changed: %s", err.msg);
            keep_witnesses = true;
        }
    }
    if ((changed & GS_NODE_CHANGED_ACCESS) &&
        gs_net_server_set_access(n->server, next.public_read, next.open_submission, next.writers,
                                 next.n_writers, &err) != 0) {
        logf_(n, GS_NODE_LOG_ERROR, "reload: [access] is not changed: %s", err.msg);
        next.public_read = n->cfg.public_read;
        next.open_submission = n->cfg.open_submission;
        gs_pubkey *w = next.writers;
        size_t nw = next.n_writers;
        next.writers = n->cfg.writers, next.n_writers = n->cfg.n_writers;
        n->cfg.writers = w, n->cfg.n_writers = nw;
    }
    gs_node_config_keep(&n->cfg, &next, keep_witnesses);
    gs_node_config_clear(&n->cfg);
    n->cfg = next;
    /* The refill reads its sources through n->sources: they name what is
     * in n->cfg now, not the local copy read above. */
    for (size_t i = 0; i < n->n_witnesses; i++)
        n->sources[i] = (gs_refill_source){.endpoint = n->cfg.witness_endpoints[i],
                                           .key = &n->cfg.witness_keys[i]};
}

/* The checkpoint GetCheckpoint serves now (the latest signed, with the
 * cosignatures merged so far) on every PUB socket, as checkpoint/<origin>.
 * A subscriber takes it as a hint to fetch and verify, never as the log's
 * word. One message per new checkpoint or cosignature, no heartbeat: at
 * thousands of logs a per-second heartbeat would be thousands of messages
 * a second into a hub, and hubs poll silent logs slowly anyway. */
static void publish_checkpoint(node *n)
{
    n->publish_due = false;
    if (n->n_pub == 0 || n->checkpoint_size == 0)
        return;
    char *note = NULL;
    if (gs_log_get_checkpoint(n->log, n->checkpoint_size, &note, NULL) != 0)
        return;
    char topic[GS_MAX_ORIGIN + 16];
    int len = snprintf(topic, sizeof topic, "checkpoint/%s", n->cfg.origin);
    for (size_t i = 0; i < n->n_pub; i++)
        /* PUB never blocks: a subscriber that does not read loses messages. */
        if (zmq_send(n->pub[i], topic, (size_t)len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
            zmq_send(n->pub[i], note, strlen(note), ZMQ_DONTWAIT) < 0)
            logf_(n, GS_NODE_LOG_DEBUG, "publish %s on %s: %s", topic, n->cfg.publish[i],
                  zmq_strerror(errno));
    free(note);
}

static int run(node *n)
{
    zmq_pollitem_t items[2 * GS_NET_MAX_ENDPOINTS + 1 + 2 * GS_NODE_MAX_WITNESSES + 1];
    size_t n_base = gs_net_server_pollitems(n->server, items, GS_NET_MAX_ENDPOINTS + 1);
    n_base += gs_net_server_monitor_pollitems(n->server, items + n_base, GS_NET_MAX_ENDPOINTS);
    int64_t watchdog_ms = 0;
    while (!gs_daemon_stopping()) {
        gs_daemon_watchdog(&watchdog_ms);
        if (gs_daemon_reload_requested()) {
            gs_daemon_notify_reloading();
            reload(n);
            gs_daemon_notify("READY=1");
        }
        long timeout = step_refill(n);
        long wt = step_witnesses(n);
        if (wt < timeout)
            timeout = wt;
        if (n->start_check_until_ms != 0 && write_hold(n) != NULL && timeout > 100)
            timeout = 100; /* the start check ends on a deadline too */
        size_t n_items = n_base;
        /* A witness client reopens its socket after a timeout; while the
         * node refills its witnesses are not stepped, so not polled. */
        for (size_t i = 0; i < n->n_witnesses && !gs_refill_holding(n->refill); i++) {
            void *sock = gs_witness_client_socket(n->witnesses[i]);
            if (sock != NULL)
                items[n_items++] = (zmq_pollitem_t){.socket = sock, .events = ZMQ_POLLIN};
        }
        n_items += gs_refill_pollitems(n->refill, items + n_items, GS_NODE_MAX_WITNESSES);
        if (n->log_key != NULL) {
            int64_t due = checkpoint_due_ms(n);
            if (due != INT64_MAX && due - now_ms() < timeout)
                timeout = due - now_ms() < 0 ? 0 : (long)(due - now_ms());
        }
        if (n->n_reads > 0)
            timeout = 0; /* reads wait in the queue: no sleeping */
        /* The memory guard runs every turn, and ZeroMQ wakes the poll only
         * for whole messages: an unfinished multipart message grows unseen,
         * so the loop turns at least as often as the guard looks. It looks
         * every 100 ms only while a peer is connected (a new connection
         * wakes the loop through the server's monitors): an idle node
         * wakes about once a second, so a thousand of them on one machine
         * cost little. */
        long guard = gs_net_server_guard_ms(n->server);
        if (timeout > guard)
            timeout = guard;
        if (n->http != NULL) {
            items[n_items++] = (zmq_pollitem_t){.fd = gs_http_fd(n->http), .events = ZMQ_POLLIN};
            long ht = gs_http_timeout_ms(n->http);
            if (ht >= 0 && ht < timeout)
                timeout = ht;
        }
        int64_t poll_from = now_us();
        int r = zmq_poll(items, (int)n_items, timeout);
        n->idle_us += now_us() - poll_from;
        if (r < 0 && errno != EINTR) {
            logf_(n, GS_NODE_LOG_ERROR, "poll: %s", zmq_strerror(errno));
            return 1;
        }
        drain(n);
        if (n->n_jobs > 0)
            process_batch(n);
        answer_reads(n, NODE_TURN_READ_MS);
        if (n->http != NULL)
            gs_http_run(n->http);
        maybe_checkpoint(n, false);
        if (n->publish_due)
            publish_checkpoint(n);
        maybe_snapshot(n, false);
        report_dropped(n);
        gs_error err;
        size_t mib = 0;
        int shed = gs_net_server_guard_memory(n->server, NODE_MEMORY_CEILING_MIB, &mib, &err);
        if (shed < 0) {
            logf_(n, GS_NODE_LOG_ERROR, "cannot listen again after shedding: %s", err.msg);
            return 1;
        }
        if (shed > 0) {
            logf_(n, GS_NODE_LOG_WARN,
                  "memory at %zu MiB, above the ceiling of %d MiB: shed every connection (what "
                  "peers had queued is dropped; clients reconnect)",
                  mib, NODE_MEMORY_CEILING_MIB);
            n_base = gs_net_server_pollitems(n->server, items, GS_NET_MAX_ENDPOINTS + 1);
            n_base +=
                gs_net_server_monitor_pollitems(n->server, items + n_base, GS_NET_MAX_ENDPOINTS);
        }
    }
    /* Everything taken off the sockets is answered (the queued reads are
     * few); sign what is committed so the last checkpoint covers it. */
    answer_reads(n, -1);
    maybe_checkpoint(n, true);
    return 0;
}

/* ------------------------------------------------------------ HTTP */

/* The node's lines of /metrics (docs/http.md "Metrics and health"). Origins
 * need no escaping in a label: they are [a-z0-9/-]. */
static void node_metrics(void *ctx, FILE *out)
{
    node *n = ctx;
    const char *o = n->cfg.origin;
    fprintf(out,
            "# HELP giamsat_node_entries Entries committed to the node's log.\n"
            "# TYPE giamsat_node_entries gauge\n"
            "giamsat_node_entries{origin=\"%s\"} %llu\n"
            "# HELP giamsat_node_checkpoint_size Size of the latest checkpoint the node signed.\n"
            "# TYPE giamsat_node_checkpoint_size gauge\n"
            "giamsat_node_checkpoint_size{origin=\"%s\"} %llu\n"
            "# HELP giamsat_node_checkpoints_signed_total Checkpoints signed since the start.\n"
            "# TYPE giamsat_node_checkpoints_signed_total counter\n"
            "giamsat_node_checkpoints_signed_total %llu\n"
            "# HELP giamsat_node_cosignatures_collected_total Cosignatures the witnesses returned "
            "since the start.\n"
            "# TYPE giamsat_node_cosignatures_collected_total counter\n"
            "giamsat_node_cosignatures_collected_total %llu\n"
            "# HELP giamsat_node_statements_total Submissions answered since the start, by "
            "result.\n"
            "# TYPE giamsat_node_statements_total counter\n"
            "giamsat_node_statements_total{result=\"accepted\"} %llu\n"
            "giamsat_node_statements_total{result=\"rejected\"} %llu\n"
            "# HELP giamsat_node_last_batch Statements judged in the last group commit.\n"
            "# TYPE giamsat_node_last_batch gauge\n"
            "giamsat_node_last_batch %zu\n"
            "# HELP giamsat_node_read_queue Reads waiting to be answered.\n"
            "# TYPE giamsat_node_read_queue gauge\n"
            "giamsat_node_read_queue %zu\n"
            "# HELP giamsat_node_reads_shed_total Reads answered \"try again\" (queue full).\n"
            "# TYPE giamsat_node_reads_shed_total counter\n"
            "giamsat_node_reads_shed_total %llu\n"
            "# HELP giamsat_node_answers_dropped_total Answers dropped: their clients did not "
            "read.\n"
            "# TYPE giamsat_node_answers_dropped_total counter\n"
            "giamsat_node_answers_dropped_total %llu\n"
            "# HELP giamsat_node_quarantined 1 when the log breaks the rule book or was altered "
            "on disk (the node accepts nothing).\n"
            "# TYPE giamsat_node_quarantined gauge\n"
            "giamsat_node_quarantined %d\n"
            "# HELP giamsat_node_holding 1 while the log is behind what its key signed "
            "(refilling; submissions held).\n"
            "# TYPE giamsat_node_holding gauge\n"
            "giamsat_node_holding %d\n",
            o, (unsigned long long)gs_log_committed_size(n->log), o,
            (unsigned long long)n->checkpoint_size, (unsigned long long)n->checkpoints_signed,
            (unsigned long long)n->cosignatures_collected, (unsigned long long)n->accepted_total,
            (unsigned long long)n->rejected_total, n->last_batch, n->n_reads,
            (unsigned long long)n->reads_shed, (unsigned long long)gs_net_server_dropped(n->server),
            n->quarantined ? 1 : 0, gs_refill_holding(n->refill) ? 1 : 0);
    snapshot_metrics(n, out);
}

/* /healthz: 503 while the node cannot take submissions for a reason its
 * operator must see to (a failed write, a quarantine, a log behind what its
 * key signed); 200 otherwise, saying so while the start check waits. */
static bool node_health(void *ctx, char *why, size_t cap)
{
    node *n = ctx;
    if (n->store_error[0] != '\0') {
        snprintf(why, cap, "cannot write its store: %s", n->store_error);
        return false;
    }
    if (n->quarantined) {
        snprintf(why, cap, "quarantined: %s", n->quarantine_reason);
        return false;
    }
    if (n->log_key_missing[0] != '\0') {
        snprintf(why, cap, "%s", n->log_key_missing);
        return false;
    }
    if (gs_refill_holding(n->refill)) {
        snprintf(why, cap, "holding submissions: %s", gs_refill_status(n->refill));
        return false;
    }
    if (n->start_check_until_ms != 0)
        snprintf(why, cap, "starting: waiting for its witnesses to say what they hold");
    return true;
}

static int start_http(node *n, gs_error *err)
{
    if (n->cfg.http == NULL)
        return 0;
    gs_http_config hc = {.listen = n->cfg.http, .name = "giamsat-node"};
    int rc = gs_http_start(&n->http, &hc, err);
    if (rc != 0)
        return gs_error_wrap(err, "[node] http");
    gs_http_set_metrics(n->http, node_metrics, n);
    gs_http_set_health(n->http, node_health, n);
    /* HTTP routes (docs/http.md) */
    if ((rc = tiles_start(n, n->http, err)) != 0)
        return rc;
    return rc;
}

/* [node] publish: PUB sockets with the identity and access of the ROUTER
 * ones (tcp:// under CURVE with the node's key, answered by the same ZAP
 * handler in net.c: who may read may subscribe). */
static int open_publishers(node *n, gs_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < n->cfg.n_publish && rc == 0; i++) {
        void *s = NULL;
        rc = gs_net_publisher_open(&s, n->zctx, n->cfg.publish[i], &n->key, 64, err);
        if (rc == 0)
            n->pub[n->n_pub++] = s;
    }
    if (rc != 0)
        gs_error_wrap(err, "[node] publish");
    return rc;
}

static int start(node *n, const char *config_path, gs_error *err)
{
    n->config_path = config_path;
    int rc = gs_node_config_load(config_path, &n->cfg, err);
    if (rc != 0)
        return rc;
    /* One daemon per data folder, before its database or a socket is touched. */
    if ((rc = gs_daemon_lock(n->cfg.database, NULL, err)) != 0)
        return rc;
    if ((rc = gs_daemon_read_key(n->cfg.key_path, n->cfg.passphrase_file, &n->key, err)) != 0)
        return rc;
    if ((rc = gs_daemon_open_log(&n->store, &n->log, n->cfg.database, n->cfg.origin, "node",
                                 err)) != 0)
        return rc;
    if ((rc = gs_pool_new(&n->pool, n->cfg.verify_threads, err)) != 0)
        return rc;
    gs_ingest_config ic = {
        .pool = n->pool,
        .max_skew = n->cfg.max_clock_skew,
        .entry_at = gs_ingest_log_entry_at,
        .entry_ctx = n->log,
    };
    if ((rc = gs_ingest_new(&n->ingest, n->cfg.origin, &ic, err)) != 0)
        return rc;
    if ((rc = snapshot_start(n, err)) != 0)
        return rc;
    if ((rc = n->snap.verify_all ? verify_all(n, err) : replay_log(n, err)) != 0)
        return rc;
    snapshot_after_start(n);
    if ((rc = choose_log_key(n, err)) != 0)
        return rc;
    char *note = NULL;
    if (gs_log_latest_checkpoint(n->log, &note, &n->checkpoint_size, NULL) != 0)
        n->checkpoint_size = 0;
    free(note);
    /* Now, while nothing is served, rather than at the first GetKeyChain;
     * from the rule state when it holds the whole log. */
    keychain_from_rules(n);
    gs_error kerr = {0};
    if (keychain_catch_up(n, &kerr) != 0)
        logf_(n, GS_NODE_LOG_ERROR, "key chain: %s", kerr.msg);
    n->jobs = calloc(n->cfg.max_batch, sizeof *n->jobs);
    n->opened = calloc(n->cfg.max_batch, sizeof *n->opened);
    if (n->jobs == NULL || n->opened == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    n->zctx = zmq_ctx_new();
    if (n->zctx == NULL)
        return gs_error_set(err, GS_EIO, "zmq context: %s", zmq_strerror(errno));
    gs_net_server_config sc = {
        .endpoints = (const char *const *)n->cfg.listen,
        .n_endpoints = n->cfg.n_listen,
        .key = &n->key,
        .max_message = n->cfg.max_message,
        .public_read = n->cfg.public_read,
        .open_write = n->cfg.open_submission,
        .writers = n->cfg.writers,
        .n_writers = n->cfg.n_writers,
    };
    if ((rc = gs_net_server_open(&n->server, n->zctx, &sc, err)) != 0)
        return rc;
    /* After the server: its ZAP handler must be bound before a CURVE
     * socket binds (RFC 27). */
    if ((rc = open_publishers(n, err)) != 0)
        return rc;
    for (size_t i = 0; i < n->cfg.n_witnesses; i++) {
        rc = gs_witness_client_new(&n->witnesses[i], n->zctx, n->cfg.witness_endpoints[i],
                                   &n->cfg.witness_keys[i], &n->key, n->cfg.max_message, err);
        if (rc != 0)
            return gs_error_wrap(err, "[witness] %s", n->cfg.witness_endpoints[i]);
        n->sources[i] = (gs_refill_source){.endpoint = n->cfg.witness_endpoints[i],
                                           .key = &n->cfg.witness_keys[i]};
        n->n_witnesses++;
    }
    if ((n->marker_path = gs_refill_marker_path(n->cfg.database)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    gs_refill_config rc_cfg = {
        .zctx = n->zctx,
        .store = n->store,
        .log = n->log,
        .ingest = &n->ingest,
        .log_key = &n->log_pub,
        .client_key = &n->key,
        .sources = n->sources,
        .n_sources = n->n_witnesses,
        .max_message = n->cfg.max_message,
        .marker_path = n->marker_path,
    };
    if ((rc = gs_refill_new(&n->refill, &rc_cfg, err)) != 0)
        return rc;
    if (n->n_witnesses > 0 && n->cfg.start_check_ms > 0)
        n->start_check_until_ms = now_ms() + n->cfg.start_check_ms;
    return start_http(n, err);
}

static void finish(node *n)
{
    gs_http_free(&n->http);
    clear_jobs(n);
    for (; n->n_reads > 0; n->n_reads--, n->reads_head = (n->reads_head + 1) % NODE_READ_QUEUE)
        gs_request_clear(&n->reads[n->reads_head].rq);
    free(n->jobs);
    free(n->opened);
    gs_refill_free(&n->refill);
    free(n->marker_path);
    gs_startup_bg_free(&n->snap.bg);
    free(n->snap.marker_path);
    gs_buf_free(&n->snap.used);
    for (size_t i = 0; i < n->n_witnesses; i++)
        gs_witness_client_free(&n->witnesses[i]);
    for (size_t i = 0; i < n->n_pub; i++)
        zmq_close(n->pub[i]);
    gs_net_server_close(&n->server);
    if (n->zctx != NULL)
        zmq_ctx_term(n->zctx);
    gs_pool_free(&n->pool);
    gs_ingest_free(&n->ingest);
    gs_keychain_clear(&n->keychain);
    gs_tiles_free(&n->tiles); /* after the HTTP face: no handler runs any more */
    gs_log_close(&n->log);
    gs_store_close(&n->store);
    gs_keypair_wipe(&n->key);
    sodium_memzero(&n->snap.seal, sizeof n->snap.seal);
    for (size_t i = 0; i < n->n_held; i++)
        gs_keypair_wipe(&n->held[i]);
    gs_node_config_clear(&n->cfg);
}

static const char usage[] =
    "usage: giamsat-node --config DIR/node.conf [--verify-all]\n"
    "\n"
    "Serves one unit's log: accepts signed statements (Submit), appends them\n"
    "durably, signs checkpoints, and serves entries and proofs.\n"
    "\n"
    "  --config FILE   the node's configuration, as written by `giamsat node init`\n"
    "                  (e.g. giamsat-node --config /srv/giamsat/xa-an-binh/node.conf)\n"
    "  --verify-all    before serving, replay the whole log from its Charter with\n"
    "                  every signature checked and compare it with the rule\n"
    "                  snapshots held (a start otherwise replays only the entries\n"
    "                  after the newest snapshot); a mismatch quarantines\n"
    "  --help          this text\n"
    "  --version       the program's version\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT: what was received is answered and\n"
    "committed first. On SIGHUP reads node.conf again and applies it while it\n"
    "runs (witnesses, access, levels), one log line per change. Exit status: 0\n"
    "clean stop, 1 runtime failure, 2 bad configuration or environment.\n";

int main(int argc, char **argv)
{
    const char *config = NULL;
    /* --verify-all is the node's own; the rest is every daemon's. */
    bool verify = false;
    int kept = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--verify-all") == 0)
            verify = true;
        else
            argv[kept++] = argv[i];
    }
    argv[kept] = NULL;
    int exit_status = gs_daemon_init(kept, argv, "giamsat-node", usage, &config);
    if (exit_status >= 0)
        return exit_status;
    gs_error err = {0};

    node n = {0};
    n.snap.verify_all = verify;
    int status = 0;
    if (start(&n, config, &err) != 0) {
        logf_(NULL, GS_NODE_LOG_ERROR, "cannot start: %s", err.msg);
        status = 2;
    } else {
        logf_(&n, GS_NODE_LOG_INFO, "serving %s, log size %llu, on %zu endpoint(s)%s", n.cfg.origin,
              (unsigned long long)gs_log_committed_size(n.log), n.cfg.n_listen,
              n.cfg.open_submission ? ", open submission" : "");
        for (size_t i = 0; i < n.cfg.n_listen; i++)
            logf_(&n, GS_NODE_LOG_INFO, "listening on %s", n.cfg.listen[i]);
        if (n.http != NULL)
            logf_(&n, GS_NODE_LOG_INFO, "HTTP on %s (port %u)", n.cfg.http, gs_http_port(n.http));
        for (size_t i = 0; i < n.n_witnesses; i++)
            logf_(&n, GS_NODE_LOG_INFO, "witness %s at %s", gs_witness_client_name(n.witnesses[i]),
                  n.cfg.witness_endpoints[i]);
        if (n.quarantined)
            logf_(&n, GS_NODE_LOG_ERROR, "QUARANTINED: %s; serving reads only",
                  n.quarantine_reason);
        if (gs_refill_holding(n.refill))
            logf_(&n, GS_NODE_LOG_WARN, "%s", gs_refill_status(n.refill));
        gs_daemon_notify("READY=1");
        status = run(&n);
        if (status == 0)
            snapshot_stop(&n);
        gs_daemon_notify("STOPPING=1");
        logf_(&n, GS_NODE_LOG_INFO, "stopped: %llu accepted, %llu rejected, log size %llu",
              (unsigned long long)n.accepted_total, (unsigned long long)n.rejected_total,
              (unsigned long long)gs_log_committed_size(n.log));
    }
    finish(&n);
    return status;
}
