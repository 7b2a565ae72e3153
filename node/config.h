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
    int64_t checkpoint_interval_ms;
    size_t max_message;
    int64_t max_clock_skew;
    unsigned verify_threads;
    size_t max_batch;
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

#endif
