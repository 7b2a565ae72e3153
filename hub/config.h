/* config.h — giamsat-hub's configuration file (INI, read with inih).
 * `giamsat hub init` writes one and `giamsat hub follow` appends [log]
 * sections to it; the format is described in docs/formats.md ("hub.conf").
 * Relative paths are resolved against the folder of the file. */
#ifndef GS_HUB_CONFIG_H
#define GS_HUB_CONFIG_H

#include <stdbool.h>

#include "crypto.h"
#include "error.h"
#include "net.h"
#include "types.h"

typedef enum { GS_HUB_LOG_DEBUG = 0, GS_HUB_LOG_INFO, GS_HUB_LOG_WARN, GS_HUB_LOG_ERROR } gs_hub_log_level;

#define GS_HUB_MAX_SOURCES 16
#define GS_HUB_MAX_LOGS 4096
#define GS_HUB_MAX_WITNESSES 32

/* One place a followed log can be fetched from: the node itself or another
 * hub holding a replica. key is the daemon's key (CURVE server key for
 * tcp://); when the config names none, the log's own key. */
typedef struct {
    char *endpoint;
    gs_vkey key;
} gs_hub_source;

/* [log <origin>] */
typedef struct {
    char *origin;
    gs_vkey log_key; /* alg 0x01, name = origin */
    gs_hub_source sources[GS_HUB_MAX_SOURCES];
    size_t n_sources;
} gs_hub_followed;

/* [witness] witness = <endpoint>,<vkey> */
typedef struct {
    char *endpoint;
    gs_vkey key;
} gs_hub_witness;

typedef struct {
    char *name;   /* the hub's origin is giamsat/hub/<name> */
    char *origin; /* derived */
    char *key_path;
    char *passphrase_file; /* NULL when the key is not protected */
    char *database;
    char *listen[GS_NET_MAX_ENDPOINTS];
    size_t n_listen;
    char *publish[GS_NET_MAX_ENDPOINTS];
    size_t n_publish;
    int64_t poll_interval_ms;
    uint32_t batch_size;
    int64_t unavailable_after_s;
    int64_t checkpoint_interval_ms;
    size_t max_message;
    unsigned verify_threads;
    gs_hub_log_level log_level;
    uint32_t feedback_per_day;
    bool public_read;
    gs_pubkey *writers;
    size_t n_writers;
    gs_hub_followed *logs;
    size_t n_logs;
    gs_hub_witness witnesses[GS_HUB_MAX_WITNESSES];
    size_t n_witnesses;
} gs_hub_config;

/* Reads and checks path; a wrong or missing setting is an error naming the
 * section and the setting. */
int gs_hub_config_load(const char *path, gs_hub_config *out, gs_error *err);
void gs_hub_config_clear(gs_hub_config *c);

/* "<endpoint>[,<vkey>]" as a source line: the endpoint must be ipc:// or
 * tcp://; the key, when given, must parse. has_key says whether it was
 * given. *endpoint is malloc'd. */
int gs_hub_parse_source(const char *value, char **endpoint, gs_vkey *key, bool *has_key,
                        gs_error *err);

#endif
