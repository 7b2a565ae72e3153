/* config.h — giamsat-hub's configuration file (INI, read with inih).
 * `giamsat hub init` writes one and `giamsat hub follow` appends [log]
 * sections to it. Relative paths are resolved against the folder of the
 * file, so a hub folder can be moved as a whole.
 *
 *   [hub]
 *   name = <[a-z0-9-]{1,64}>          origin giamsat/hub/<name>   (required)
 *   key = hub.key                                               (required)
 *   passphrase_file = <file>           when hub.key is protected
 *   database = hub.db                                           (required)
 *     or database = postgresql://…     a libpq URI: the store on PostgreSQL
 *                                      (docs/operations.md); the lock and the
 *                                      markers go to <this folder>/hub-pg.*
 *   listen = <tcp:// or ipc://>        repeatable, at least one
 *   publish = <tcp:// or ipc://>       repeatable: PUB for checkpoint/<origin>
 *                                      and alert/<origin> (tcp:// uses CURVE)
 *   poll_interval_ms = 1000            GetCheckpoint to every source
 *   silent_poll_interval_ms = 60000    the same for a log with subscribe: its
 *                                      announcements make it poll at once
 *   batch_size = 1000                  GetEntries count (1..1000)
 *   max_growth = 1000000               entries a checkpoint may add to what the
 *                                      hub cosigned of a log; one beyond is
 *                                      refused, not fetched (0: no limit)
 *   max_memory_mib = 512               resident memory above which every
 *                                      client connection is shed (0: never)
 *   unavailable_after_s = 300          silence before an availability alert
 *   checkpoint_interval_ms = 1000      the hub's own log
 *   max_message = 4194304
 *   verify_threads = 1                 extra threads checking signatures
 *   (feedback_per_day is refused: each log declares its rule parameters
 *    itself, DESIGN §2.8, and the hub judges it by them)
 *   log_level = info                   debug, info, warn, error
 *   web_refresh = 10                   seconds at least between two builds of the
 *                                      web data (report, events, feeds)
 *   public_url = <http(s)://host[:port]>  the hub's address as readers see it,
 *                                      for the links in feeds (default: the
 *                                      request's Host)
 *   http = <ADDR:PORT>                 the HTTP face (docs/http.md); off when absent
 *   [access]
 *   public_read = true                 anyone may connect over tcp:// to read
 *   writer = <key>                     repeatable
 *   [log <origin>]                     one per followed log
 *   log_key = <verifier key, alg 0x01, name = origin>
 *   source = <endpoint>[,<verifier key of the daemon there>]   repeatable;
 *            without a key the log key is used (the log's own node)
 *   subscribe = <endpoint>[,<verifier key>]   at most one: the PUB where
 *            checkpoint/<origin> is announced (same key rule as source)
 *   [witness]
 *   witness = <endpoint>,<verifier key>   repeatable: witnesses of the hub's
 *                                         own log
 */
#ifndef GS_HUB_CONFIG_H
#define GS_HUB_CONFIG_H

/* max_growth's default: far above what an honest log adds between two
 * checkpoints, far below what fills a disk. */
#define GS_HUB_MAX_GROWTH 1000000
/* max_memory_mib's default: a hub's memory grows with the people of the logs
 * it follows, not their entries; far above it is what clients queued. */
#define GS_HUB_MAX_MEMORY_MIB 512

#include <stdbool.h>

#include "crypto.h"
#include "daemon.h"
#include "error.h"
#include "net.h"
#include "types.h"

typedef enum {
    GS_HUB_LOG_DEBUG = GS_DAEMON_LOG_DEBUG,
    GS_HUB_LOG_INFO = GS_DAEMON_LOG_INFO,
    GS_HUB_LOG_WARN = GS_DAEMON_LOG_WARN,
    GS_HUB_LOG_ERROR = GS_DAEMON_LOG_ERROR
} gs_hub_log_level;

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
    /* As many as configured (at most GS_HUB_MAX_SOURCES), owned: a hub
     * following thousands of logs keeps no room for sixteen in each. */
    gs_hub_source *sources;
    size_t n_sources;
    /* subscribe = EP[,VKEY]: the PUB the log's checkpoints are announced on
     * (its node's publish, or a hub's); endpoint NULL when none. A message
     * there only makes the hub poll the log now; then the log is polled
     * every silent_poll_interval_ms instead of poll_interval_ms. */
    gs_hub_source subscribe;
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
    char *database;        /* a file path, or a postgresql:// URI taken as written */
    char *listen[GS_NET_MAX_ENDPOINTS];
    size_t n_listen;
    char *publish[GS_NET_MAX_ENDPOINTS];
    size_t n_publish;
    int64_t poll_interval_ms;
    int64_t silent_poll_interval_ms; /* for logs with a subscribe */
    uint32_t batch_size;
    uint64_t max_growth;   /* 0: no limit */
    size_t max_memory_mib; /* 0: never shed */
    int64_t unavailable_after_s;
    int64_t checkpoint_interval_ms;
    size_t max_message;
    unsigned verify_threads;
    gs_hub_log_level log_level;
    char *http; /* "ADDR:PORT" of the HTTP face (docs/http.md), NULL: off */
    bool public_read;
    gs_pubkey *writers;
    size_t n_writers;
    gs_hub_followed *logs;
    size_t n_logs;
    gs_hub_witness witnesses[GS_HUB_MAX_WITNESSES];
    size_t n_witnesses;
    int64_t web_refresh_s; /* docs/http.md "Data and feeds" */
    char *public_url;      /* NULL: the request's Host */
    /* Where the hub's own files go (lock, cosigned and signed-checkpoint
     * markers): the database path, or <config folder>/hub-pg when the
     * database is on PostgreSQL. */
    char *files;
} gs_hub_config;

/* Reads and checks path; a wrong or missing setting is an error naming the
 * section and the setting. */
int gs_hub_config_load(const char *path, gs_hub_config *out, gs_error *err);
void gs_hub_config_clear(gs_hub_config *c);

/* ------------------------------------------------------------ reload
 * On SIGHUP the hub reads hub.conf again (docs/operations.md "Changing the
 * configuration"): followed logs added, removed or given other sources,
 * [access], log_level and the intervals and limits are applied while it
 * runs, and so are the [witness] lines of its own log; the rest (name,
 * key, passphrase_file, database, listen, publish, http, max_message,
 * verify_threads) takes effect at the next restart. A log's log_key is its anchor (what the hub was
 * given; a rotation is followed from the log itself): a changed one is refused. */

enum {
    GS_HUB_CHANGED_LOGS = 1u << 0,      /* a [log] added, removed, or its sources changed */
    GS_HUB_CHANGED_ACCESS = 1u << 1,    /* public_read, writer */
    GS_HUB_CHANGED_LIVE = 1u << 2,      /* log_level, intervals, limits, web_refresh, public_url */
    GS_HUB_CHANGED_RESTART = 1u << 3,   /* a setting read at start only */
    GS_HUB_CHANGED_REFUSED = 1u << 4,   /* a [log] log_key changed: kept as it runs */
    GS_HUB_CHANGED_WITNESSES = 1u << 5, /* the [witness] lines of the own log */
};

/* The [log origin] section of c, or NULL. */
const gs_hub_followed *gs_hub_config_log(const gs_hub_config *c, const char *origin);
/* Whether a and b follow a log alike: the same origin, log key, sources
 * (in the same order) and subscribe. */
bool gs_hub_followed_same(const gs_hub_followed *a, const gs_hub_followed *b);

/* Compares the running configuration with the one read again: calls say
 * once per change with one sentence ("following giamsat/commune/x (2
 * sources)", "[hub] listen changed; it takes effect at the next restart")
 * and returns the GS_HUB_CHANGED_ bits. */
unsigned gs_hub_config_diff(const gs_hub_config *running, const gs_hub_config *next,
                            void (*say)(void *ctx, const char *line), void *ctx);

/* Makes next describe what will run once adopted: the settings read at
 * start only are swapped with running's, a log whose log_key changed keeps
 * running's key, and with keep_witnesses the [witness] lines are running's
 * too (a reload that cannot change them now). running is then cleared by
 * the caller. */
void gs_hub_config_keep(gs_hub_config *running, gs_hub_config *next, bool keep_witnesses);

/* "<endpoint>[,<vkey>]" as a source line: the endpoint must be ipc:// or
 * tcp://; the key, when given, must parse. has_key says whether it was
 * given. *endpoint is malloc'd. */
int gs_hub_parse_source(const char *value, char **endpoint, gs_vkey *key, bool *has_key,
                        gs_error *err);

#endif
