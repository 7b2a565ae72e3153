/* tiles.h — the C2SP tlog-tiles read API over HTTP (docs/http.md "Tiles").
 *
 * Every log a daemon serves is served under its origin as URL prefix:
 *   /<origin>/checkpoint                   the note (text/plain; charset=utf-8)
 *   /<origin>/tile/<L>/<N>[.p/<W>]         hash tiles
 *   /<origin>/tile/entries/<N>[.p/<W>]     entry bundles
 * and /logs.json lists them. <N> is written in groups of three digits, all
 * but the last prefixed with x (1234067 = x001/x234/067); <L> and <W> are
 * decimal without leading zeros. Only the canonical spelling of a resource
 * is served (as Go's tlog.ParseTilePath), so a cache holds one copy of each.
 *
 * What is served is decided by the daemon through a lookup callback: for an
 * origin, the store's log id, the served size s and the note to serve at s.
 * Tile (L, N) holds the stored hashes of the complete subtrees at Merkle
 * level 8L numbered N*256 .. N*256+255 (tlog-tiles: each hash is the root
 * of a full tile of the level below), entry bundle N the entries
 * N*256 .. N*256+255, each as a big-endian uint16 length and the bytes.
 * Against s:
 *   - a full tile is served when it lies inside s: (N+1) * 256^(L+1) <= s;
 *   - a partial tile only as the one the checkpoint of size s needs:
 *     N = floor(s / 256^(L+1)) and W = floor(s / 256^L) mod 256;
 *   - anything else, at or beyond s, is 404; a malformed path 400.
 * So nothing above the served size (a hub: the cosigned size) is ever
 * reachable, whatever the store holds above it.
 *
 * A tile never changes once served: a full tile lies inside s, which a
 * store only cuts back above, and a partial tile of width W is the first W
 * hashes of its full tile. So every tile read is kept in an LRU cache of
 * bounded bytes, keyed by (log, level, N, width): repeated tiles cost no
 * store read. A cached body is refcounted and released through
 * gs_http_response.free_body, so an evicted tile still being sent lives
 * until it is sent. Full tiles are sent immutable; partial tiles and the
 * checkpoint are for HTTP caches to keep a few seconds only (a partial
 * tile stops being served once the size moves on). The checkpoint is read
 * from the daemon (or the store) each time.
 *
 * The handlers run on the daemon's loop thread (http.h) and read the
 * daemon's store there, one read snapshot per tile. A gs_tiles is used by
 * one thread at a time; the bodies it hands out may be released from any
 * thread.
 *
 * This module uses only the types of http.h: the daemon routes the two
 * handlers (gs_http_route: GET, prefix "/giamsat/", and exact "/logs.json").
 */
#ifndef GS_TILES_H
#define GS_TILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http.h"
#include "store.h"

/* The route prefix every origin of this network starts under. */
#define GS_TILES_PREFIX "/giamsat/"
#define GS_TILES_LOGS_PATH "/logs.json"
/* Hashes (or entries) in a full tile. */
#define GS_TILES_WIDTH 256
/* Cache-Control of each kind of answer. */
#define GS_TILES_CACHE_FULL "public, max-age=31536000, immutable"
#define GS_TILES_CACHE_PARTIAL "public, max-age=10"
#define GS_TILES_CACHE_CHECKPOINT "public, max-age=5"
#define GS_TILES_CACHE_ERROR "no-store"

/* What the daemon serves of one log. Everything is borrowed for the
 * duration of the call that asked for it. */
typedef struct {
    int64_t log_id;      /* the store's id of the log */
    uint64_t size;       /* the served size: nothing at or beyond it is served */
    const char *note;    /* the checkpoint at exactly size; NULL: the store's one */
    const char *log_key; /* the log's verifier key (vkey text), for /logs.json */
    /* The key that signs the served checkpoint when a rotation of the log
     * key replaced log_key (the trust anchor); NULL otherwise. */
    const char *current_log_key;
} gs_tiles_log;

/* True and *out filled when origin is served; false when it is not. */
typedef bool (*gs_tiles_lookup_fn)(void *ctx, const char *origin, gs_tiles_log *out);
/* The i-th origin served (from 0), NULL past the last: for /logs.json. */
typedef const char *(*gs_tiles_origin_fn)(void *ctx, size_t i);

typedef struct {
    gs_store *store; /* borrowed; outlives the gs_tiles */
    gs_tiles_lookup_fn lookup;
    gs_tiles_origin_fn origin_at;
    void *ctx;
    size_t cache_bytes; /* the tile cache's bound; 0: GS_TILES_CACHE_DEFAULT */
} gs_tiles_config;

#define GS_TILES_CACHE_DEFAULT (64u * 1024u * 1024u)

typedef struct gs_tiles gs_tiles;

/* Caller owns *out (gs_tiles_free). */
int gs_tiles_new(gs_tiles **out, const gs_tiles_config *cfg, gs_error *err) GS_MUST_USE;
/* Drops the cache's references (bodies still being sent live on) and frees
 * *tp; safe on NULL. */
void gs_tiles_free(gs_tiles **tp);

/* gs_http_handler for GS_TILES_PREFIX: checkpoints, hash tiles, bundles.
 * ctx is the gs_tiles. */
int gs_tiles_handle(void *ctx, const gs_http_request *rq, gs_http_response *rs);
/* gs_http_handler for GS_TILES_LOGS_PATH:
 * [{"origin","size","prefix":"/<origin>/","log_key"}], in origin_at order. */
int gs_tiles_handle_logs(void *ctx, const gs_http_request *rq, gs_http_response *rs);

/* Counters, for the daemon's /metrics and the tests. */
typedef struct {
    uint64_t hits;      /* tiles answered from the cache */
    uint64_t misses;    /* tiles read from the store */
    size_t cache_bytes; /* bytes held by the cache now */
    size_t cache_tiles;
} gs_tiles_stats;
void gs_tiles_get_stats(const gs_tiles *t, gs_tiles_stats *out);

/* A tile path after the origin, parsed: "tile/<L>/<N>[.p/<W>]" or
 * "tile/entries/<N>[.p/<W>]". level is GS_TILES_ENTRIES for a bundle; width
 * is GS_TILES_WIDTH for a full tile. Returns false for anything that is not
 * the canonical spelling of a tile. */
#define GS_TILES_ENTRIES 64
typedef struct {
    unsigned level;
    uint64_t n;
    unsigned width;
} gs_tiles_path;
bool gs_tiles_parse_path(const char *s, gs_tiles_path *out);

#endif
