/* test_tiles.c — the tlog-tiles handlers (common/tiles.h) called directly:
 * tile bytes against Merkle hashes computed here from the entries, bundles
 * against the entries, the path spelling the spec allows, what is served
 * at and beyond the served size, cache headers and the full-tile cache. */
#define _GNU_SOURCE /* mkdtemp, strndup */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "merkle.h"
#include "store.h"
#include "tiles.h"

static char tmpdir[256];

/* ---- the logs ------------------------------------------------------------- */

/* A log as the test knows it: every entry's leaf hash, kept here so tiles
 * are checked against hashes this file computes, not the store's. */
typedef struct {
    const char *origin;
    uint64_t stored; /* entries in the store */
    uint64_t served; /* the served size given to the handler */
    int64_t id;
    gs_hash *leaves;
    const char *note; /* the note the lookup hands over (NULL: the store's) */
    bool listed;
} test_log;

static test_log logs[] = {
    {.origin = "giamsat/commune/empty", .stored = 0, .served = 0},
    {.origin = "giamsat/commune/one", .stored = 1, .served = 1},
    {.origin = "giamsat/commune/a255", .stored = 255, .served = 255},
    {.origin = "giamsat/commune/a256", .stored = 256, .served = 256},
    /* Holds more than it serves (a hub's replica above its cosigned size). */
    {.origin = "giamsat/commune/a257", .stored = 600, .served = 257},
    /* A unit called "tile": the origin ends where a served log is found. */
    {.origin = "giamsat/commune/tile", .stored = 3, .served = 3},
    {.origin = "giamsat/hub/big", .stored = 65536 + 3, .served = 65536 + 3},
};
#define N_LOGS (sizeof logs / sizeof logs[0])
enum { EMPTY, ONE, A255, A256, A257, TILE, BIG };

static gs_store *store;

static size_t make_entry(size_t log, uint64_t i, uint8_t *buf)
{
    size_t n = 1 + (size_t)((i * 7 + log * 13) % 300);
    for (size_t k = 0; k < n; k++)
        buf[k] = (uint8_t)(i * 31 + k * 17 + log);
    return n;
}

typedef struct {
    gs_hash h[41];
    unsigned n;
} row;

static void collect(void *ctx, unsigned level, uint64_t index, const gs_hash *h)
{
    (void)index;
    row *r = ctx;
    r->h[level] = *h;
    r->n = level + 1;
}

static void fill_log(size_t k)
{
    test_log *l = &logs[k];
    gs_error err;
    gs_store_log_state st;
    gs_merkle_frontier f;
    uint8_t buf[512];

    assert_int_equal(gs_store_log_find(store, l->origin, true, &st, &err), 0);
    l->id = st.id;
    l->leaves = calloc(l->stored + 1, sizeof *l->leaves);
    assert_non_null(l->leaves);
    gs_merkle_frontier_init(&f);
    assert_int_equal(gs_store_begin(store, &err), 0);
    for (uint64_t i = 0; i < l->stored; i++) {
        size_t n = make_entry(k, i, buf);
        row r = {.n = 0};
        gs_merkle_leaf_hash(gs_bytes_of(buf, n), &l->leaves[i]);
        gs_merkle_frontier_append(&f, &l->leaves[i], collect, &r);
        if (gs_store_append(store, l->id, i, gs_bytes_of(buf, n), r.h, r.n, &err) != 0)
            fail_msg("append %llu: %s", (unsigned long long)i, err.msg);
    }
    gs_hash root;
    gs_merkle_frontier_root(&f, &root);
    assert_int_equal(gs_store_set_tree(store, l->id, f.size, &root, &err), 0);
    if (gs_store_commit(store, &err) != 0)
        fail_msg("commit: %s", err.msg);
    if (l->served > 0 || k == EMPTY) {
        char note[200];
        snprintf(note, sizeof note, "%s\n%llu\nstored-note-%zu\n", l->origin,
                 (unsigned long long)l->served, k);
        if (k != EMPTY)
            assert_int_equal(gs_store_put_checkpoint(store, l->id, l->served, note, NULL, &err), 0);
    }
    l->listed = true;
}

/* MTH(D[begin:end]) from the leaf hashes (RFC 6962 §2.1). */
static void mth(const test_log *l, uint64_t begin, uint64_t end, gs_hash *out)
{
    if (end - begin == 1) {
        *out = l->leaves[begin];
        return;
    }
    uint64_t k = 1;
    while (2 * k < end - begin)
        k *= 2;
    gs_hash a, b;
    mth(l, begin, begin + k, &a);
    mth(l, begin + k, end, &b);
    gs_merkle_node_hash(&a, &b, out);
}

static bool lookup(void *ctx, const char *origin, gs_tiles_log *out)
{
    (void)ctx;
    for (size_t k = 0; k < N_LOGS; k++)
        if (logs[k].listed && strcmp(logs[k].origin, origin) == 0) {
            *out = (gs_tiles_log){.log_id = logs[k].id,
                                  .size = logs[k].served,
                                  .note = logs[k].note,
                                  .log_key = "key+01234567+AQ=="};
            return true;
        }
    return false;
}

static const char *origin_at(void *ctx, size_t i)
{
    (void)ctx;
    return i < N_LOGS ? logs[i].origin : NULL;
}

static int setup(void **state)
{
    (void)state;
    char path[300];
    gs_error err;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs-test-tiles-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/store.db", tmpdir);
    if (gs_store_open(&store, path, &err) != 0)
        return -1;
    for (size_t k = 0; k < N_LOGS; k++)
        fill_log(k);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    gs_store_close(&store);
    for (size_t k = 0; k < N_LOGS; k++)
        free(logs[k].leaves);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- calling the handler -------------------------------------------------- */

static gs_tiles *new_tiles(size_t cache_bytes)
{
    gs_tiles *t = NULL;
    gs_error err;
    gs_tiles_config cfg = {
        .store = store, .lookup = lookup, .origin_at = origin_at, .cache_bytes = cache_bytes};
    assert_int_equal(gs_tiles_new(&t, &cfg, &err), 0);
    return t;
}

static gs_http_response get(gs_tiles *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static gs_http_response get(gs_tiles *t, const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    gs_http_request rq = {.method = "GET", .path = path};
    gs_http_response rs;
    memset(&rs, 0x5a, sizeof rs);
    assert_int_equal(gs_tiles_handle(t, &rq, &rs), GS_HTTP_DONE);
    return rs;
}

static void release(gs_http_response *rs)
{
    if (rs->free_body != NULL)
        rs->free_body(rs->free_cls);
    rs->free_body = NULL;
}

/* Answers status, releasing the body. */
static void expect_status(gs_tiles *t, int status, const char *path)
{
    gs_http_response rs = get(t, "%s", path);
    if (rs.status != status)
        fail_msg("%s: status %d, want %d: %.*s", path, rs.status, status, (int)rs.len,
                 (const char *)rs.body);
    if (status >= 400)
        assert_string_equal(rs.cache_control, GS_TILES_CACHE_ERROR);
    release(&rs);
}

/* The canonical spelling of index n (tlog-tiles): 1234067 = x001/x234/067. */
static void spell(uint64_t n, char *out, size_t cap)
{
    unsigned groups[8];
    int k = 0;
    do {
        groups[k++] = (unsigned)(n % 1000);
        n /= 1000;
    } while (n > 0);
    size_t w = 0;
    for (int i = k - 1; i >= 0; i--)
        w += (size_t)snprintf(out + w, cap - w, "%s%s%03u", i < k - 1 ? "/" : "", i > 0 ? "x" : "",
                              groups[i]);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_parse_path(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        bool ok;
        unsigned level;
        uint64_t n;
        unsigned width;
    } cases[] = {
        {"tile/0/000", true, 0, 0, 256},
        {"tile/0/001", true, 0, 1, 256},
        {"tile/1/255.p/17", true, 1, 255, 17},
        {"tile/0/x001/x234/067", true, 0, 1234067, 256},
        {"tile/3/x001/000", true, 3, 1000, 256},
        {"tile/63/999", true, 63, 999, 256},
        {"tile/entries/000.p/1", true, GS_TILES_ENTRIES, 0, 1},
        {"tile/entries/x001/x234/067.p/255", true, GS_TILES_ENTRIES, 1234067, 255},
        {"tile/0/1", false, 0, 0, 0},          /* three digits */
        {"tile/0/0001", false, 0, 0, 0},       /* three digits */
        {"tile/0/x000/001", false, 0, 0, 0},   /* a leading zero group */
        {"tile/0/x001/x000", false, 0, 0, 0},  /* the last group has no x */
        {"tile/0/001/002", false, 0, 0, 0},    /* inner groups need an x */
        {"tile/0/x1/002", false, 0, 0, 0},     /* x + three digits */
        {"tile/00/000", false, 0, 0, 0},       /* L without leading zeros */
        {"tile/01/000", false, 0, 0, 0},       /* L without leading zeros */
        {"tile/64/000", false, 0, 0, 0},       /* L at most 63 */
        {"tile/-1/000", false, 0, 0, 0},       /* L a decimal */
        {"tile//000", false, 0, 0, 0},         /* L present */
        {"tile/0/000.p/0", false, 0, 0, 0},    /* W at least 1 */
        {"tile/0/000.p/256", false, 0, 0, 0},  /* W at most 255 */
        {"tile/0/000.p/017", false, 0, 0, 0},  /* W without leading zeros */
        {"tile/0/000.p/", false, 0, 0, 0},     /* W present */
        {"tile/0/000.p", false, 0, 0, 0},      /* W present */
        {"tile/0/000/", false, 0, 0, 0},       /* nothing after N */
        {"tile/0/000.p/17/", false, 0, 0, 0},  /* nothing after W */
        {"tile/0/000.gz", false, 0, 0, 0},     /* nothing after N */
        {"tile/data/000", false, 0, 0, 0},     /* "entries", not Go's "data" */
        {"tile/entries/000/", false, 0, 0, 0}, /* nothing after N */
        {"tile/entries", false, 0, 0, 0},      /* N present */
        {"tile/0", false, 0, 0, 0},            /* N present */
        {"tile/", false, 0, 0, 0},             /* L present */
        {"tiles/0/000", false, 0, 0, 0},       /* "tile" */
        {"tile/0/x999/x999/x999/x999/x999/x999/x999/999", false, 0, 0, 0}, /* > 2^64 */
        {"tile/0/abc", false, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gs_tiles_path p;
        bool ok = gs_tiles_parse_path(cases[i].path, &p);
        if (ok != cases[i].ok)
            fail_msg("%s: parsed %d, want %d", cases[i].path, ok, cases[i].ok);
        if (!ok)
            continue;
        assert_int_equal(p.level, cases[i].level);
        assert_true(p.n == cases[i].n);
        assert_int_equal(p.width, cases[i].width);
    }
}

/* Checks hash tile (level, n, width) of log k against mth(). */
static void check_hash_tile(gs_tiles *t, size_t k, unsigned level, uint64_t n, unsigned width)
{
    test_log *l = &logs[k];
    char ns[64];
    spell(n, ns, sizeof ns);
    gs_http_response rs = width == GS_TILES_WIDTH
                              ? get(t, "/%s/tile/%u/%s", l->origin, level, ns)
                              : get(t, "/%s/tile/%u/%s.p/%u", l->origin, level, ns, width);
    if (rs.status != 200)
        fail_msg("%s tile %u/%s w%u: status %d: %.*s", l->origin, level, ns, width, rs.status,
                 (int)rs.len, (const char *)rs.body);
    assert_string_equal(rs.content_type, "application/octet-stream");
    assert_string_equal(rs.cache_control,
                        width == GS_TILES_WIDTH ? GS_TILES_CACHE_FULL : GS_TILES_CACHE_PARTIAL);
    assert_int_equal(rs.len, 32 * (size_t)width);
    uint64_t span = UINT64_C(1) << (8 * level);
    for (unsigned i = 0; i < width; i++) {
        gs_hash want;
        uint64_t begin = (n * 256 + i) * span;
        mth(l, begin, begin + span, &want);
        if (memcmp((const uint8_t *)rs.body + 32 * i, want.b, 32) != 0)
            fail_msg("%s tile %u/%s hash %u differs", l->origin, level, ns, i);
    }
    release(&rs);
}

static void check_bundle(gs_tiles *t, size_t k, uint64_t n, unsigned width)
{
    test_log *l = &logs[k];
    char ns[64];
    spell(n, ns, sizeof ns);
    gs_http_response rs = width == GS_TILES_WIDTH
                              ? get(t, "/%s/tile/entries/%s", l->origin, ns)
                              : get(t, "/%s/tile/entries/%s.p/%u", l->origin, ns, width);
    if (rs.status != 200)
        fail_msg("%s bundle %s w%u: status %d: %.*s", l->origin, ns, width, rs.status, (int)rs.len,
                 (const char *)rs.body);
    assert_string_equal(rs.content_type, "application/octet-stream");
    assert_string_equal(rs.cache_control,
                        width == GS_TILES_WIDTH ? GS_TILES_CACHE_FULL : GS_TILES_CACHE_PARTIAL);
    const uint8_t *p = rs.body, *end = p + rs.len;
    for (unsigned i = 0; i < width; i++) {
        uint8_t want[512];
        size_t wn = make_entry(k, n * 256 + i, want);
        assert_true(end - p >= 2);
        size_t len = (size_t)p[0] << 8 | p[1];
        assert_int_equal(len, wn);
        assert_true((size_t)(end - p - 2) >= len);
        assert_memory_equal(p + 2, want, wn);
        /* And it hashes to the level-0 leaf (tlog-tiles "Log entries"). */
        gs_hash h;
        gs_merkle_leaf_hash(gs_bytes_of(p + 2, len), &h);
        assert_memory_equal(h.b, l->leaves[n * 256 + i].b, 32);
        p += 2 + len;
    }
    assert_ptr_equal(p, end);
    release(&rs);
}

/* Every tile of every log: served exactly when tlog-tiles says a tree of
 * the served size has it, and right. */
static void test_tiles_of_every_size(void **state)
{
    (void)state;
    gs_tiles *t = new_tiles(0);
    for (size_t k = 0; k < N_LOGS; k++) {
        uint64_t s = logs[k].served;
        char ns[64];
        for (unsigned level = 0; level <= 3; level++) {
            unsigned shift = 8 * level;
            uint64_t full = s >> (shift + 8);
            unsigned w = (unsigned)((s >> shift) & 255);
            for (uint64_t n = 0; n < full; n++)
                check_hash_tile(t, k, level, n, GS_TILES_WIDTH);
            if (w > 0)
                check_hash_tile(t, k, level, full, w);
            /* The full tile of the partial one, other widths, the next tile. */
            spell(full, ns, sizeof ns);
            char path[300];
            snprintf(path, sizeof path, "/%s/tile/%u/%s", logs[k].origin, level, ns);
            expect_status(t, 404, path);
            for (unsigned ow = 1; ow < 256; ow += (ow < 5 || ow > 250) ? 1 : 37) {
                if (ow == w)
                    continue;
                snprintf(path, sizeof path, "/%s/tile/%u/%s.p/%u", logs[k].origin, level, ns, ow);
                expect_status(t, 404, path);
            }
            spell(full + 1, ns, sizeof ns);
            snprintf(path, sizeof path, "/%s/tile/%u/%s.p/1", logs[k].origin, level, ns);
            expect_status(t, 404, path);
            if (full > 0) { /* a partial tile of a full one */
                snprintf(path, sizeof path, "/%s/tile/%u/000.p/1", logs[k].origin, level);
                expect_status(t, 404, path);
            }
        }
        uint64_t full = s >> 8;
        for (uint64_t n = 0; n < full; n++)
            check_bundle(t, k, n, GS_TILES_WIDTH);
        if (s % 256 > 0)
            check_bundle(t, k, full, (unsigned)(s % 256));
        spell(full, ns, sizeof ns);
        char path[300];
        snprintf(path, sizeof path, "/%s/tile/entries/%s", logs[k].origin, ns);
        expect_status(t, 404, path);
        snprintf(path, sizeof path, "/%s/tile/entries/%s.p/%u", logs[k].origin, ns,
                 (unsigned)(s % 256) + 1);
        expect_status(t, s % 256 == 255 ? 400 : 404, path); /* W 256 is malformed */
    }
    /* What the store holds above the served size is never reachable. */
    expect_status(t, 404, "/giamsat/commune/a257/tile/0/001");
    expect_status(t, 404, "/giamsat/commune/a257/tile/0/002.p/88");
    expect_status(t, 404, "/giamsat/commune/a257/tile/entries/001.p/2");
    expect_status(t, 404, "/giamsat/commune/a257/tile/1/000.p/2");
    expect_status(t, 200, "/giamsat/commune/a257/tile/1/000.p/1");
    gs_tiles_free(&t);
}

static void test_paths_refused(void **state)
{
    (void)state;
    gs_tiles *t = new_tiles(0);
    static const struct {
        const char *path;
        int status;
    } cases[] = {
        {"/giamsat/hub/big/tile/0/000", 200},
        {"/giamsat/hub/big/tile/0/x000/000", 400},
        {"/giamsat/hub/big/tile/0/0", 400},
        {"/giamsat/hub/big/tile/00/000", 400},
        {"/giamsat/hub/big/tile/1/000.p/01", 400},
        {"/giamsat/hub/big/tile/1/000.p/256", 400},
        {"/giamsat/hub/big/tile/64/000", 400},
        {"/giamsat/hub/big/tile/63/000", 404},
        {"/giamsat/hub/big/tile/63/000.p/1", 404},
        {"/giamsat/hub/big/tile/5/000.p/1", 404},
        {"/giamsat/hub/big/tile/2/000.p/1", 200},
        {"/giamsat/hub/big/tile/0/x999/x999/x999/x999/x999/999", 404},
        {"/giamsat/hub/big/tile/0/x999/x999/x999/x999/x999/x999/999", 400}, /* > 2^64 */
        {"/giamsat/hub/big/tile/entries/x001/000", 404},
        {"/giamsat/hub/big/tile/", 400},
        {"/giamsat/hub/big/tile/0/000?x=1", 400}, /* the query is not in path */
        {"/giamsat/hub/big/checkpoint/", 404},
        {"/giamsat/hub/big/", 404},
        {"/giamsat/hub/big", 404},
        {"/giamsat/hub/nobody/checkpoint", 404},
        {"/giamsat/hub/nobody/tile/0/000", 404},
        {"/giamsat/hub/big/../big/checkpoint", 404},
        {"/giamsat/hub//big/checkpoint", 404},
        {"//checkpoint", 404},
        {"/checkpoint", 404},
        {"/giamsat/", 404},
        {"giamsat/hub/big/checkpoint", 404},
        {"", 404},
        /* The unit called "tile" and the tile path after it. */
        {"/giamsat/commune/tile/tile/0/000.p/3", 200},
        {"/giamsat/commune/tile/checkpoint", 200},
        {"/giamsat/commune/tile/tile/0/000", 404},
        /* The empty log serves nothing, not even a checkpoint it has not. */
        {"/giamsat/commune/empty/checkpoint", 404},
        {"/giamsat/commune/empty/tile/0/000.p/1", 404},
        {"/giamsat/commune/empty/tile/entries/000", 404},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_status(t, cases[i].status, cases[i].path);
    /* A path of every byte value never crashes. */
    char path[64];
    for (int c = 1; c < 256; c++) {
        snprintf(path, sizeof path, "/giamsat/hub/big/tile/%c/0%c0", c, c);
        gs_http_response rs = get(t, "%s", path);
        assert_true(rs.status == 400 || rs.status == 404 || rs.status == 200);
        release(&rs);
    }
    gs_tiles_free(&t);
}

static void test_checkpoint(void **state)
{
    (void)state;
    gs_tiles *t = new_tiles(0);
    gs_http_response rs = get(t, "/giamsat/commune/a257/checkpoint");
    assert_int_equal(rs.status, 200);
    assert_string_equal(rs.content_type, "text/plain; charset=utf-8");
    assert_string_equal(rs.cache_control, GS_TILES_CACHE_CHECKPOINT);
    static const char want[] = "giamsat/commune/a257\n257\nstored-note-4\n";
    assert_int_equal(rs.len, sizeof want - 1);
    assert_memory_equal(rs.body, want, rs.len);
    release(&rs);
    /* The note the daemon hands over (a hub's cosigned note) wins. */
    logs[A256].note = "giamsat/commune/a256\n256\ncosigned\n";
    rs = get(t, "/giamsat/commune/a256/checkpoint");
    assert_int_equal(rs.status, 200);
    assert_int_equal(rs.len, strlen(logs[A256].note));
    assert_memory_equal(rs.body, logs[A256].note, rs.len);
    logs[A256].note = NULL;
    release(&rs);
    gs_tiles_free(&t);
}

/* Repeated full tiles cost no store reads; the cache stays within its
 * bound; a body evicted while being sent stays valid until released. */
static void test_cache(void **state)
{
    (void)state;
    gs_tiles_stats st;
    /* Room for three hash tiles. */
    size_t bound = 3 * (8192 + 128);
    gs_tiles *t = new_tiles(bound);
    gs_http_response a = get(t, "/giamsat/hub/big/tile/0/000");
    gs_http_response b = get(t, "/giamsat/hub/big/tile/0/000");
    assert_int_equal(a.status, 200);
    assert_int_equal(b.status, 200);
    assert_ptr_equal(a.body, b.body); /* one body, shared */
    gs_tiles_get_stats(t, &st);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.hits, 1);
    /* Evict tile 000 while a and b still hold it. */
    for (unsigned n = 1; n <= 5; n++) {
        gs_http_response c = get(t, "/giamsat/hub/big/tile/0/%03u", n);
        assert_int_equal(c.status, 200);
        release(&c);
    }
    gs_tiles_get_stats(t, &st);
    assert_true(st.cache_bytes <= bound);
    assert_int_equal(st.cache_tiles, 3);
    assert_int_equal(st.misses, 6);
    gs_hash want;
    mth(&logs[BIG], 0, 1, &want);
    assert_memory_equal(a.body, want.b, 32); /* still readable (ASan says so too) */
    release(&a);
    /* Freed with a body still out: it outlives the cache. */
    gs_http_response c = get(t, "/giamsat/hub/big/tile/1/000");
    assert_int_equal(c.status, 200);
    gs_tiles_free(&t);
    mth(&logs[BIG], 0, 256, &want);
    assert_memory_equal(c.body, want.b, 32);
    release(&c);
    release(&b);
    /* Partial tiles are read each time, never cached. */
    t = new_tiles(0);
    for (int i = 0; i < 3; i++) {
        gs_http_response p = get(t, "/giamsat/hub/big/tile/0/x001/000.p/3");
        assert_int_equal(p.status, 404); /* 65539 = 256 full + 3: tile 256 */
        release(&p);
        p = get(t, "/giamsat/hub/big/tile/0/256.p/3");
        assert_int_equal(p.status, 200);
        release(&p);
    }
    gs_tiles_get_stats(t, &st);
    assert_int_equal(st.reads, 3);
    assert_int_equal(st.cache_tiles, 0);
    /* A bound smaller than one bundle keeps none, and still answers. */
    gs_tiles_free(&t);
    t = new_tiles(1024);
    gs_http_response e = get(t, "/giamsat/hub/big/tile/entries/000");
    assert_int_equal(e.status, 200);
    release(&e);
    gs_tiles_get_stats(t, &st);
    assert_int_equal(st.cache_tiles, 0);
    gs_tiles_free(&t);
}

/* An entry of 65536 bytes (GS_MAX_ENTRY, which a SignedStatement may
 * reach) cannot be put in a bundle: the bundle fails with a sentence. */
static void test_entry_too_big_for_bundle(void **state)
{
    (void)state;
    gs_error err;
    gs_store_log_state st;
    static uint8_t big[65536];
    memset(big, 'b', sizeof big);
    assert_int_equal(gs_store_log_find(store, "giamsat/commune/huge", true, &st, &err), 0);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    assert_int_equal(gs_store_begin(store, &err), 0);
    for (uint64_t i = 0; i < 2; i++) {
        size_t n = i == 0 ? 65535 : 65536;
        gs_hash leaf;
        row r = {.n = 0};
        gs_merkle_leaf_hash(gs_bytes_of(big, n), &leaf);
        gs_merkle_frontier_append(&f, &leaf, collect, &r);
        assert_int_equal(gs_store_append(store, st.id, i, gs_bytes_of(big, n), r.h, r.n, &err), 0);
    }
    gs_hash root;
    gs_merkle_frontier_root(&f, &root);
    assert_int_equal(gs_store_set_tree(store, st.id, 2, &root, &err), 0);
    assert_int_equal(gs_store_commit(store, &err), 0);

    test_log saved = logs[ONE];
    logs[ONE] = (test_log){
        .origin = "giamsat/commune/huge", .stored = 2, .served = 1, .id = st.id, .listed = true};
    gs_tiles *t = new_tiles(0);
    gs_http_response rs = get(t, "/giamsat/commune/huge/tile/entries/000.p/1");
    assert_int_equal(rs.status, 200);
    assert_int_equal(rs.len, 2 + 65535);
    assert_int_equal(((const uint8_t *)rs.body)[0], 0xff);
    assert_int_equal(((const uint8_t *)rs.body)[1], 0xff);
    release(&rs);
    logs[ONE].served = 2;
    rs = get(t, "/giamsat/commune/huge/tile/entries/000.p/2");
    assert_int_equal(rs.status, 500);
    assert_non_null(strstr((const char *)rs.body, "entry 1 is 65536 bytes"));
    release(&rs);
    expect_status(t, 200, "/giamsat/commune/huge/tile/0/000.p/2");
    gs_tiles_free(&t);
    logs[ONE] = saved;
}

static void test_logs_json(void **state)
{
    (void)state;
    gs_tiles *t = new_tiles(0);
    gs_http_request rq = {.method = "GET", .path = "/logs.json"};
    gs_http_response rs;
    logs[EMPTY].listed = false; /* not served (a hub that cosigned nothing yet) */
    assert_int_equal(gs_tiles_handle_logs(t, &rq, &rs), GS_HTTP_DONE);
    logs[EMPTY].listed = true;
    assert_int_equal(rs.status, 200);
    assert_string_equal(rs.content_type, "application/json");
    char *s = strndup(rs.body, rs.len);
    assert_null(strstr(s, "giamsat/commune/empty"));
    assert_non_null(strstr(s, "{\"origin\": \"giamsat/commune/a257\", \"size\": 257, \"prefix\": "
                              "\"/giamsat/commune/a257/\", \"log_key\": \"key+01234567+AQ==\"}"));
    assert_non_null(strstr(s, "\"giamsat/hub/big\", \"size\": 65539,"));
    assert_int_equal(s[0], '[');
    free(s);
    release(&rs);
    gs_tiles_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_path),    cmocka_unit_test(test_tiles_of_every_size),
        cmocka_unit_test(test_paths_refused), cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_cache),         cmocka_unit_test(test_entry_too_big_for_bundle),
        cmocka_unit_test(test_logs_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
