/* tiles.c — the C2SP tlog-tiles read API (tiles.h). */
#define _GNU_SOURCE /* vasprintf, open_memstream */
#include "tiles.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bundle's length prefix is a big-endian uint16 (tlog-tiles "Log
 * entries"): a longer entry cannot be put in one. */
#define BUNDLE_ENTRY_MAX 65535u

static const char CT_OCTETS[] = "application/octet-stream";
static const char CT_TEXT[] = "text/plain; charset=utf-8";
static const char CT_JSON[] = "application/json";

/* One cached tile or bundle, full or partial: a partial tile of width W
 * never changes either (it is the first W hashes of its full tile), it
 * only stops being served once the size moves on, and then ages out. refs
 * counts the cache's own reference (while it is in the table) and one per
 * response still being sent; the last release frees it. */
typedef struct tile {
    struct tile *prev, *next; /* LRU list, most recent first */
    struct tile *hnext;       /* hash chain */
    int64_t log_id;
    unsigned kind; /* KIND(level, width) */
    uint64_t n;
    unsigned refs;
    size_t len;
    uint8_t data[];
} tile;

/* The level (0..63, or GS_TILES_ENTRIES) and the width (1..256) of a tile
 * in one key. */
#define KIND(level, width) ((unsigned)(level) | (unsigned)(width) << 7)

struct gs_tiles {
    gs_tiles_config cfg;
    tile **buckets;
    size_t n_buckets; /* a power of two */
    tile *head, *tail;
    size_t bytes, count;
    gs_tiles_stats stats;
};

static void tile_release(void *cls)
{
    tile *t = cls;
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(t);
}

static size_t tile_cost(const tile *t)
{
    return sizeof *t + t->len;
}

static size_t bucket_of(const gs_tiles *ts, int64_t log_id, unsigned kind, uint64_t n)
{
    uint64_t h = (uint64_t)log_id * UINT64_C(0x9E3779B97F4A7C15);
    h ^= (n ^ ((uint64_t)kind << 40)) * UINT64_C(0xC2B2AE3D27D4EB4F);
    h ^= h >> 29;
    return (size_t)h & (ts->n_buckets - 1);
}

static void lru_unlink(gs_tiles *ts, tile *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        ts->head = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    else
        ts->tail = t->prev;
    t->prev = t->next = NULL;
}

static void lru_push(gs_tiles *ts, tile *t)
{
    t->prev = NULL;
    t->next = ts->head;
    if (ts->head != NULL)
        ts->head->prev = t;
    ts->head = t;
    if (ts->tail == NULL)
        ts->tail = t;
}

static tile *cache_find(gs_tiles *ts, int64_t log_id, unsigned kind, uint64_t n)
{
    for (tile *t = ts->buckets[bucket_of(ts, log_id, kind, n)]; t != NULL; t = t->hnext)
        if (t->log_id == log_id && t->kind == kind && t->n == n) {
            if (ts->head != t) {
                lru_unlink(ts, t);
                lru_push(ts, t);
            }
            return t;
        }
    return NULL;
}

static void cache_drop(gs_tiles *ts, tile *t)
{
    tile **pp = &ts->buckets[bucket_of(ts, t->log_id, t->kind, t->n)];
    while (*pp != t)
        pp = &(*pp)->hnext;
    *pp = t->hnext;
    lru_unlink(ts, t);
    ts->bytes -= tile_cost(t);
    ts->count--;
    tile_release(t);
}

/* Keeps t (with a reference of the cache's own), evicting the least
 * recently used tiles to make room; a tile larger than the whole cache is
 * not kept. */
static void cache_put(gs_tiles *ts, tile *t)
{
    if (tile_cost(t) > ts->cfg.cache_bytes)
        return;
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
    while (ts->bytes + tile_cost(t) > ts->cfg.cache_bytes && ts->tail != NULL)
        cache_drop(ts, ts->tail);
    size_t b = bucket_of(ts, t->log_id, t->kind, t->n);
    t->hnext = ts->buckets[b];
    ts->buckets[b] = t;
    lru_push(ts, t);
    ts->bytes += tile_cost(t);
    ts->count++;
}

int gs_tiles_new(gs_tiles **out, const gs_tiles_config *cfg, gs_error *err)
{
    *out = NULL;
    if (cfg->store == NULL || cfg->lookup == NULL || cfg->origin_at == NULL)
        return gs_error_set(err, GS_EINVAL, "tiles: a store, a lookup and an origin list needed");
    gs_tiles *ts = calloc(1, sizeof *ts);
    if (ts == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    ts->cfg = *cfg;
    if (ts->cfg.cache_bytes == 0)
        ts->cfg.cache_bytes = GS_TILES_CACHE_DEFAULT;
    /* About one bucket per full hash tile the cache can hold. */
    ts->n_buckets = 64;
    while (ts->n_buckets < ts->cfg.cache_bytes / 8192 && ts->n_buckets < (1u << 20))
        ts->n_buckets *= 2;
    ts->buckets = calloc(ts->n_buckets, sizeof *ts->buckets);
    if (ts->buckets == NULL) {
        free(ts);
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    *out = ts;
    return 0;
}

void gs_tiles_free(gs_tiles **tp)
{
    if (tp == NULL || *tp == NULL)
        return;
    gs_tiles *ts = *tp;
    while (ts->tail != NULL)
        cache_drop(ts, ts->tail);
    free(ts->buckets);
    free(ts);
    *tp = NULL;
}

void gs_tiles_get_stats(const gs_tiles *t, gs_tiles_stats *out)
{
    *out = t->stats;
    out->cache_bytes = t->bytes;
    out->cache_tiles = t->count;
}

/* ---- answers -------------------------------------------------------------- */

static int answer(gs_http_response *rs, int status, const char *type, const char *cache,
                  const void *body, size_t len, void (*free_body)(void *), void *cls)
{
    *rs = (gs_http_response){
        .status = status,
        .content_type = type,
        .cache_control = cache,
        .body = body,
        .len = len,
        .free_body = free_body,
        .free_cls = cls,
    };
    return GS_HTTP_DONE;
}

static int answer_text(gs_http_response *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int answer_text(gs_http_response *rs, int status, const char *fmt, ...)
{
    static const char oom[] = "out of memory\n";
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return answer(rs, 503, CT_TEXT, GS_TILES_CACHE_ERROR, oom, sizeof oom - 1, NULL, NULL);
    return answer(rs, status, CT_TEXT, GS_TILES_CACHE_ERROR, s, (size_t)n, free, s);
}

/* ---- paths ---------------------------------------------------------------- */

/* A decimal without leading zeros ("0" itself allowed), at most max; *s
 * moves past it. */
static bool parse_decimal(const char **s, unsigned max, unsigned *out)
{
    const char *p = *s;
    unsigned v = 0;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > max)
            return false;
    }
    *out = v;
    *s = p;
    return true;
}

static bool three_digits(const char *p, unsigned *out)
{
    for (int i = 0; i < 3; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    *out = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
    return true;
}

bool gs_tiles_parse_path(const char *s, gs_tiles_path *out)
{
    if (strncmp(s, "tile/", 5) != 0)
        return false;
    s += 5;
    if (strncmp(s, "entries/", 8) == 0) {
        out->level = GS_TILES_ENTRIES;
        s += 8;
    } else {
        if (!parse_decimal(&s, 63, &out->level) || *s != '/')
            return false;
        s++;
    }
    /* <N>: "xDDD/" groups, then the last "DDD". The first group of a
     * number with several is not zero: one spelling per index. */
    uint64_t n = 0;
    unsigned groups = 0, d;
    while (*s == 'x') {
        if (!three_digits(s + 1, &d) || s[4] != '/' || (groups == 0 && d == 0))
            return false;
        if (n > (UINT64_MAX - 999) / 1000)
            return false;
        n = n * 1000 + d;
        groups++;
        s += 5;
    }
    if (!three_digits(s, &d) || n > (UINT64_MAX - 999) / 1000)
        return false;
    out->n = n * 1000 + d;
    s += 3;
    out->width = GS_TILES_WIDTH;
    if (*s == '\0')
        return true;
    if (strncmp(s, ".p/", 3) != 0)
        return false;
    s += 3;
    if (!parse_decimal(&s, GS_TILES_WIDTH - 1, &out->width) || out->width == 0 || *s != '\0')
        return false;
    return true;
}

/* Whether tile p exists in the tree of size `size` (tiles.h). */
static bool tile_served(const gs_tiles_path *p, uint64_t size)
{
    unsigned level = p->level == GS_TILES_ENTRIES ? 0 : p->level;
    unsigned shift = 8 * level; /* hashes of this tile cover 2^shift leaves each */
    if (shift + 8 >= 64)
        return false;                    /* a tile covering 2^64 leaves or more: none in any log */
    uint64_t full = size >> (shift + 8); /* full tiles at this level */
    if (p->width == GS_TILES_WIDTH)
        return p->n < full;
    return p->n == full && p->width == ((size >> shift) & 255);
}

/* ---- reading tiles -------------------------------------------------------- */

static tile *tile_alloc(const gs_tiles_path *p, int64_t log_id, size_t len)
{
    tile *t = malloc(sizeof *t + len);
    if (t == NULL)
        return NULL;
    *t = (tile){
        .log_id = log_id, .kind = KIND(p->level, p->width), .n = p->n, .refs = 1, .len = len};
    return t;
}

static int read_hashes(gs_tiles *ts, const gs_tiles_log *lg, const gs_tiles_path *p, tile *t,
                       gs_error *err)
{
    unsigned level = 8 * p->level;
    for (unsigned i = 0; i < p->width; i++) {
        gs_hash h;
        int rc =
            gs_store_get_hash(ts->cfg.store, lg->log_id, level, p->n * GS_TILES_WIDTH + i, &h, err);
        if (rc != 0)
            return rc;
        memcpy(t->data + 32 * (size_t)i, h.b, 32);
    }
    return 0;
}

/* The bundle of p: each entry as a big-endian uint16 length and its bytes.
 * Returns a tile (refs 1) or NULL with err filled. */
static tile *read_bundle(gs_tiles *ts, const gs_tiles_log *lg, const gs_tiles_path *p,
                         gs_error *err)
{
    gs_buf e[GS_TILES_WIDTH] = {{0}};
    tile *t = NULL;
    size_t len = 0;
    unsigned i;
    for (i = 0; i < p->width; i++) {
        uint64_t index = p->n * GS_TILES_WIDTH + i;
        if (gs_store_get_entry(ts->cfg.store, lg->log_id, index, &e[i], err) != 0)
            goto out;
        if (e[i].n > BUNDLE_ENTRY_MAX) {
            gs_error_set(err, GS_ETOOBIG,
                         "entry %llu is %zu bytes, more than the %u an entry bundle's uint16 "
                         "length prefix can carry (tlog-tiles)",
                         (unsigned long long)index, e[i].n, BUNDLE_ENTRY_MAX);
            i++;
            goto out;
        }
        len += 2 + e[i].n;
    }
    if ((t = tile_alloc(p, lg->log_id, len)) == NULL) {
        gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    uint8_t *w = t->data;
    for (unsigned j = 0; j < p->width; j++) {
        w[0] = (uint8_t)(e[j].n >> 8);
        w[1] = (uint8_t)e[j].n;
        if (e[j].n > 0)
            memcpy(w + 2, e[j].p, e[j].n);
        w += 2 + e[j].n;
    }
out:
    for (unsigned j = 0; j < i && j < p->width; j++)
        gs_buf_free(&e[j]);
    return t;
}

/* Reads tile p of lg from the store in one snapshot. */
static tile *read_tile(gs_tiles *ts, const gs_tiles_log *lg, const gs_tiles_path *p, gs_error *err)
{
    bool opened = false;
    tile *t = NULL;
    if (gs_store_read_begin(ts->cfg.store, &opened, err) != 0)
        return NULL;
    if (p->level == GS_TILES_ENTRIES) {
        t = read_bundle(ts, lg, p, err);
    } else if ((t = tile_alloc(p, lg->log_id, 32 * (size_t)p->width)) == NULL) {
        gs_error_set(err, GS_ENOMEM, "out of memory");
    } else if (read_hashes(ts, lg, p, t, err) != 0) {
        tile_release(t);
        t = NULL;
    }
    gs_store_read_end(ts->cfg.store, opened);
    return t;
}

static int serve_tile(gs_tiles *ts, const char *origin, const gs_tiles_log *lg,
                      const gs_tiles_path *p, gs_http_response *rs)
{
    if (!tile_served(p, lg->size))
        return answer_text(rs, 404,
                           "no such tile in %s at its served size %llu (tlog-tiles: full tiles "
                           "inside the size, and the partial ones of that size only)\n",
                           origin, (unsigned long long)lg->size);
    bool full = p->width == GS_TILES_WIDTH;
    tile *t = cache_find(ts, lg->log_id, KIND(p->level, p->width), p->n);
    if (t != NULL) {
        ts->stats.hits++;
        __atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL); /* the response's */
    } else {
        gs_error err = {0};
        if ((t = read_tile(ts, lg, p, &err)) == NULL) {
            if (err.code == GS_ENOMEM)
                return answer_text(rs, 503, "out of memory\n");
            return answer_text(rs, 500, "%s: cannot read this tile: %s\n", origin, err.msg);
        }
        /* The reference read_tile returned is the response's. */
        ts->stats.misses++;
        cache_put(ts, t);
    }
    return answer(rs, 200, CT_OCTETS, full ? GS_TILES_CACHE_FULL : GS_TILES_CACHE_PARTIAL, t->data,
                  t->len, tile_release, t);
}

static int serve_checkpoint(gs_tiles *ts, const char *origin, const gs_tiles_log *lg,
                            gs_http_response *rs)
{
    char *text = NULL;
    if (lg->note != NULL) {
        if ((text = strdup(lg->note)) == NULL)
            return answer_text(rs, 503, "out of memory\n");
    } else {
        gs_error err = {0};
        int rc = gs_store_get_checkpoint(ts->cfg.store, lg->log_id, lg->size, &text, &err);
        if (rc == GS_ENOTFOUND)
            return answer_text(rs, 404, "%s has no checkpoint to serve yet\n", origin);
        if (rc != 0)
            return answer_text(rs, 500, "%s: cannot read its checkpoint: %s\n", origin, err.msg);
    }
    return answer(rs, 200, CT_TEXT, GS_TILES_CACHE_CHECKPOINT, text, strlen(text), free, text);
}

int gs_tiles_handle(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    gs_tiles *ts = ctx;
    const char *path = rq->path;
    char origin[GS_STORE_MAX_ORIGIN + 1];
    gs_tiles_log lg;

    if (path[0] != '/')
        return answer_text(rs, 404, "not found\n");
    /* The origin is the first prefix that names a served log and is
     * followed by "/checkpoint" or "/tile/": a unit may well be called
     * "tile", so every such split is tried. */
    for (const char *slash = strchr(path + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        const char *rest = slash + 1;
        if (strcmp(rest, "checkpoint") != 0 && strncmp(rest, "tile/", 5) != 0)
            continue;
        size_t olen = (size_t)(slash - (path + 1));
        if (olen == 0 || olen > GS_STORE_MAX_ORIGIN)
            continue;
        memcpy(origin, path + 1, olen);
        origin[olen] = '\0';
        memset(&lg, 0, sizeof lg);
        if (!ts->cfg.lookup(ts->cfg.ctx, origin, &lg))
            continue;
        if (rest[0] == 'c')
            return serve_checkpoint(ts, origin, &lg, rs);
        gs_tiles_path p;
        if (!gs_tiles_parse_path(rest, &p))
            return answer_text(rs, 400,
                               "malformed tile path: tile/<L>/<N>[.p/<W>] or "
                               "tile/entries/<N>[.p/<W>], L 0-63 and W 1-255 without leading "
                               "zeros, N as x001/x234/067 (c2sp.org/tlog-tiles)\n");
        return serve_tile(ts, origin, &lg, &p, rs);
    }
    return answer_text(rs, 404, "no log is served at this path\n");
}

/* ---- /logs.json ----------------------------------------------------------- */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int gs_tiles_handle_logs(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    gs_tiles *ts = ctx;
    char *buf = NULL;
    size_t len = 0;
    (void)rq;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return answer_text(rs, 503, "out of memory\n");
    fputc('[', f);
    const char *origin;
    bool first = true;
    for (size_t i = 0; (origin = ts->cfg.origin_at(ts->cfg.ctx, i)) != NULL; i++) {
        gs_tiles_log lg = {0};
        if (!ts->cfg.lookup(ts->cfg.ctx, origin, &lg))
            continue; /* followed but not served yet (a hub that cosigned nothing) */
        char prefix[GS_STORE_MAX_ORIGIN + 3];
        snprintf(prefix, sizeof prefix, "/%.*s/", GS_STORE_MAX_ORIGIN, origin);
        fputs(first ? "\n" : ",\n", f);
        first = false;
        fputs(" {\"origin\": ", f);
        json_string(f, origin);
        fprintf(f, ", \"size\": %llu, \"prefix\": ", (unsigned long long)lg.size);
        json_string(f, prefix);
        fputs(", \"log_key\": ", f);
        json_string(f, lg.log_key != NULL ? lg.log_key : "");
        if (lg.current_log_key != NULL) {
            fputs(", \"current_log_key\": ", f);
            json_string(f, lg.current_log_key);
        }
        fputc('}', f);
    }
    fputs(first ? "]\n" : "\n]\n", f);
    if (fclose(f) != 0 || buf == NULL) {
        free(buf);
        return answer_text(rs, 503, "out of memory\n");
    }
    return answer(rs, 200, CT_JSON, GS_TILES_CACHE_CHECKPOINT, buf, len, free, buf);
}
