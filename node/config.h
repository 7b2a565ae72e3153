/* config.h — giamsat-node's configuration file (INI, read with inih).
 * The format is documented in docs/formats.md ("node.conf"); `giamsat node
 * init` writes one. Relative paths are resolved against the folder of the
 * configuration file, so a node folder can be moved as a whole. */
#ifndef GS_NODE_CONFIG_H
#define GS_NODE_CONFIG_H

#include <stdbool.h>

#include "daemon.h"
#include "error.h"
#include "net.h"
#include "types.h"
#include "crypto.h"
#include "wire.h"

#define GS_NODE_MAX_WITNESSES 16
#define GS_NODE_MAX_SIGNING_KEYS 16

typedef enum {
    GS_NODE_LOG_DEBUG = GS_DAEMON_LOG_DEBUG,
    GS_NODE_LOG_INFO = GS_DAEMON_LOG_INFO,
    GS_NODE_LOG_WARN = GS_DAEMON_LOG_WARN,
    GS_NODE_LOG_ERROR = GS_DAEMON_LOG_ERROR
} gs_node_log_level;

typedef enum {
    GS_NODE_CHECKPOINT_ADAPTIVE = 0,
    GS_NODE_CHECKPOINT_FIXED,
} gs_node_checkpoint_mode;

/* The default checkpoint_min_interval_ms: the spacing of two checkpoints in
 * adaptive mode when the witnesses answer at once. */
#define GS_NODE_CHECKPOINT_MIN_INTERVAL_MS 5

typedef struct {
    char *origin;
    char *key_path;
    char *passphrase_file; /* NULL when the key is not protected */
    /* [node] signing_key = FILE[,PASSPHRASE_FILE] (repeatable): more secret
     * keys the node may sign its log with. `key` stays the node's transport
     * identity (CURVE, receipts); the log key starts as that same key and
     * follows the log's KeyRotations, and the node signs with whichever of
     * key and these is the log key in force (docs/architecture.md). */
    char *signing_keys[GS_NODE_MAX_SIGNING_KEYS];
    char *signing_passphrases[GS_NODE_MAX_SIGNING_KEYS]; /* NULL: not protected */
    size_t n_signing_keys;
    char *database;
    char *listen[GS_NET_MAX_ENDPOINTS];
    size_t n_listen;
    /* [node] publish = EP (repeatable): a PUB socket announcing
     * checkpoint/<origin> whenever the node signs a checkpoint or merges a
     * cosignature, so hubs subscribed need not poll (tcp:// with CURVE and
     * the access of reads, as listen). */
    char *publish[GS_NET_MAX_ENDPOINTS];
    size_t n_publish;
    /* The longest a committed entry waits for a checkpoint (both modes). */
    int64_t checkpoint_interval_ms;
    /* adaptive (the default): a checkpoint as soon as a commit lands while
     * no witness has one in flight, at least checkpoint_min_interval_ms
     * after the previous one; fixed: one per checkpoint_interval_ms, as
     * before (see maybe_checkpoint in node.c). */
    gs_node_checkpoint_mode checkpoint_mode;
    int64_t checkpoint_min_interval_ms;
    size_t max_message;
    int64_t max_clock_skew;
    unsigned verify_threads;
    size_t max_batch;
    /* receipt_mode: true = single (one signature per receipt, the form
     * clients before batch receipts read); false = batch (the default: one
     * signature per group commit, docs/formats.md "Receipts"). */
    bool receipt_single;
    /* group_commit_wait_us: how long (at most; never longer than the last
     * commit took) a batch smaller than the recent ones waits for the
     * clients missing from it (node.c gather). 0: take a batch as it is. */
    int64_t group_commit_wait_us;
    gs_node_log_level log_level;
    char *http; /* "ADDR:PORT" of the HTTP face (docs/http.md), NULL: off */
    /* At start, submissions wait (at most this long) until every witness
     * said what it holds of the log: a restored node must not go back
     * (common/refill.h). 0: do not wait. */
    int64_t start_check_ms;
    bool open_submission;
    bool public_read;
    gs_pubkey *writers;
    size_t n_writers;
    /* [witness] witness = <endpoint>,<verifier key>: where checkpoints go */
    char *witness_endpoints[GS_NODE_MAX_WITNESSES];
    gs_vkey witness_keys[GS_NODE_MAX_WITNESSES];
    size_t n_witnesses;
} gs_node_config;

/* Reads and checks path; a wrong or missing setting is an error naming the
 * setting. A rule parameter (feedback_per_day) is refused with the command
 * that changes it: it lives in the log (DESIGN §2.8, rules.h rule 18). */
int gs_node_config_load(const char *path, gs_node_config *out, gs_error *err);
void gs_node_config_clear(gs_node_config *c);
/* "adaptive" or "fixed", as node.conf spells it. */
const char *gs_node_checkpoint_mode_name(gs_node_checkpoint_mode m);

/* ------------------------------------------------------------ reload
 * On SIGHUP the node reads node.conf again (DESIGN §7, docs/operations.md
 * "Changing the configuration"): what the diff says changed is applied
 * while it runs, without dropping its state or connections; the settings a
 * running node cannot change (origin, key, passphrase_file, database,
 * listen, publish, http, max_message, verify_threads, max_batch,
 * max_clock_skew)
 * are said to take effect at the next restart. */

/* What gs_node_config_diff found that the running node must apply. */
enum {
    GS_NODE_CHANGED_WITNESSES = 1u << 0, /* the [witness] lines */
    GS_NODE_CHANGED_ACCESS = 1u << 1,    /* public_read, open_submission, writer */
    GS_NODE_CHANGED_LIVE = 1u << 2,      /* log_level, checkpoint_*, start_check_ms */
    GS_NODE_CHANGED_RESTART = 1u << 3,   /* a setting read at start only */
};

/* Compares the running configuration with the one read again: calls say
 * once per change with one sentence ("witness giamsat/hub/x at tcp://...
 * added", "[node] listen changed; it takes effect at the next restart") and
 * returns the GS_NODE_CHANGED_ bits. */
unsigned gs_node_config_diff(const gs_node_config *running, const gs_node_config *next,
                             void (*say)(void *ctx, const char *line), void *ctx);

/* Moves the settings read at start only from running into next (and
 * next's into running), so next describes what runs once adopted; with
 * keep_witnesses the [witness] lines too (a reload that cannot change them
 * now). running is then cleared by the caller. */
void gs_node_config_keep(gs_node_config *running, gs_node_config *next, bool keep_witnesses);

#endif
