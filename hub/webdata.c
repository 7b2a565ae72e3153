/* webdata.c — the data behind the hub's web view and feeds (docs/http.md
 * "Data and feeds"): the accountability report (common/report.h), the
 * events per unit, person and commitment and their Atom feeds
 * (common/feed.h), all from one audit of the hub's own store
 * (common/audit.h), the same audit `giamsat audit` runs against the hub.
 *
 * The audit reads every entry of every log, so it runs on a thread of its
 * own with its own store handle (SQLite in WAL mode: it reads a snapshot
 * while the loop writes) and never touches the loop's state. The loop hands
 * it a snapshot {origin, note} of what the hub serves: its own log's latest
 * checkpoint and, for every followed log, the note it cosigned. The audit's
 * source reads a log only up to that note's size, so nothing above a
 * cosigned size is ever read, let alone published. A new snapshot is handed
 * over only when a size changed, and at most every web_refresh seconds
 * (hub.conf, default 10).
 *
 * The thread builds a complete result (the report's JSON bytes, the feed
 * collector) and leaves it under the mutex; the loop picks it up at its next
 * turn and swaps it in, freeing the old one. HTTP handlers run on the loop
 * (common/http.h), so they read the current result without locks; bodies
 * that outlive a request (the report) are reference counted.
 *
 * A build that fails keeps the previous result, says why in status.json and
 * in the hub's log, and is tried again with the next snapshot. The trust
 * policy the audit uses is the one the hub suggests to readers
 * (/data/trust.txt): a log line for its own log and each followed log, the
 * hub as witness (its cosigner key) and the hub as quorum. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <malloc.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "feed.h"
#include "http.h"
#include "hub.h"
#include "policy.h"
#include "report.h"
#include "serve.h"

#define RESPONSE_DAYS 30

/* Bytes shared by the current result and the responses still sending them. */
typedef struct {
    unsigned refs;
    size_t len;
    char data[];
} blob;

static blob *blob_new(const char *s, size_t len)
{
    blob *b = malloc(sizeof *b + len + 1);
    if (b == NULL)
        return NULL;
    b->refs = 1;
    b->len = len;
    memcpy(b->data, s, len);
    b->data[len] = '\0';
    return b;
}

static void blob_unref(void *p)
{
    blob *b = p;
    if (b != NULL && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(b);
}

typedef struct {
    char *origin;
    char *note; /* NULL in a result's list */
    uint64_t size;
    /* A followed log's key chain as the loop held it (keychain.h): the
     * audit asks for its proven links when the note is signed by a key the
     * trust file does not name (a rotated log key). */
    gs_keychain kc;
    bool has_kc;
} web_log;

static void logs_free(web_log *v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].origin);
        free(v[i].note);
        if (v[i].has_kc)
            gs_keychain_clear(&v[i].kc);
    }
    free(v);
}

/* One build's outcome. */
typedef struct {
    blob *report; /* NULL when the build failed */
    gs_feed *feed;
    int64_t built_at;
    int64_t took_ms;
    web_log *logs; /* what was audited: origin and size */
    size_t n_logs;
    char error[GS_ERROR_MSG_MAX + 64]; /* "" when it worked */
} web_result;

static void result_free(web_result **rp)
{
    web_result *r = *rp;
    if (r == NULL)
        return;
    blob_unref(r->report);
    gs_feed_free(&r->feed);
    logs_free(r->logs, r->n_logs);
    free(r);
    *rp = NULL;
}

/* Rendered events and feeds of the current result, so a feed polled by
 * many readers is drawn once per build, not once per request on the loop.
 * Bounded in entries and bytes; the least recently used goes first; emptied
 * when a new result comes in. */
#define CACHE_ENTRIES 256
#define CACHE_BYTES (32u << 20)

typedef struct {
    char *key; /* NULL: free slot */
    blob *b;
    uint64_t used;
} cache_ent;

struct hub_webdata {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool started;
    /* Under mu. */
    bool stop;
    bool building;
    web_log *todo; /* a snapshot to build from, NULL: none */
    size_t n_todo;
    web_result *done; /* a finished build, NULL: none */
    /* The thread's own (set before it starts). */
    char *database;
    char *own_origin;
    gs_policy *policy;
    /* The loop's own. */
    web_result *cur; /* the latest build that worked */
    char last_error[GS_ERROR_MSG_MAX + 64];
    int64_t error_at;
    uint64_t *sizes; /* handed last: own log, then each followed log */
    bool handed;
    int64_t handed_ms;
    blob *trust;
    cache_ent cache[CACHE_ENTRIES];
    size_t cache_bytes;
    uint64_t cache_clock;
};

static void cache_drop(hub_webdata *w, cache_ent *c)
{
    if (c->key == NULL)
        return;
    w->cache_bytes -= c->b->len;
    free(c->key);
    blob_unref(c->b);
    c->key = NULL;
    c->b = NULL;
}

static void cache_clear(hub_webdata *w)
{
    for (size_t i = 0; i < CACHE_ENTRIES; i++)
        cache_drop(w, &w->cache[i]);
}

static blob *cache_get(hub_webdata *w, const char *key)
{
    for (size_t i = 0; i < CACHE_ENTRIES; i++)
        if (w->cache[i].key != NULL && strcmp(w->cache[i].key, key) == 0) {
            w->cache[i].used = ++w->cache_clock;
            return w->cache[i].b;
        }
    return NULL;
}

/* Keeps b under key, taking the caller's reference (released at once when
 * b is too large to keep or memory runs out). */
static void cache_put(hub_webdata *w, const char *key, blob *b)
{
    if (b->len > CACHE_BYTES / 4) {
        blob_unref(b);
        return;
    }
    cache_ent *victim = &w->cache[0];
    for (size_t i = 0; i < CACHE_ENTRIES; i++) {
        if (w->cache[i].key == NULL) {
            victim = &w->cache[i];
            break;
        }
        if (w->cache[i].used < victim->used)
            victim = &w->cache[i];
    }
    cache_drop(w, victim);
    while (w->cache_bytes + b->len > CACHE_BYTES) {
        cache_ent *old = NULL;
        for (size_t i = 0; i < CACHE_ENTRIES; i++)
            if (w->cache[i].key != NULL && (old == NULL || w->cache[i].used < old->used))
                old = &w->cache[i];
        if (old == NULL)
            break;
        cache_drop(w, old);
    }
    if ((victim->key = strdup(key)) == NULL) {
        blob_unref(b);
        return;
    }
    victim->b = b;
    victim->used = ++w->cache_clock;
    w->cache_bytes += b->len;
}

/* ------------------------------------------------- the audit's source */

typedef struct {
    hub_webdata *w;
    gs_store *store;
    const web_log *logs;
    size_t n;
} web_source;

static const web_log *snap_find(const web_source *s, const char *origin)
{
    if (origin[0] == '\0')
        origin = s->w->own_origin;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->logs[i].origin, origin) == 0)
            return &s->logs[i];
    return NULL;
}

static bool stopping(hub_webdata *w)
{
    pthread_mutex_lock(&w->mu);
    bool s = w->stop;
    pthread_mutex_unlock(&w->mu);
    return s;
}

static int src_checkpoint(void *ctx, const char *origin, char **note, gs_error *err)
{
    web_source *s = ctx;
    const web_log *l = snap_find(s, origin);
    if (l == NULL)
        return gs_error_set(err, GS_ENOTFOUND, "the hub holds no cosigned checkpoint of %s",
                            origin);
    if ((*note = strdup(l->note)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return 0;
}

static int src_page(void *ctx, const char *origin, uint64_t start, uint32_t count, gs_buf **out,
                    size_t *n, gs_error *err)
{
    web_source *s = ctx;
    const web_log *l = snap_find(s, origin);
    gs_store_log_state st;
    bool opened = false;
    int rc;
    if (stopping(s->w))
        return gs_error_set(err, GS_EUNAVAIL, "the hub is stopping");
    if (l == NULL || start >= l->size)
        return gs_error_set(err, GS_ENOTFOUND, "no entry %llu of %s at the cosigned size",
                            (unsigned long long)start, origin);
    /* Never above the note handed over: the cosigned size. */
    uint64_t k = l->size - start;
    if (k > count)
        k = count;
    if ((rc = gs_store_log_find(s->store, l->origin, false, &st, err)) != 0)
        return rc;
    gs_buf *v = calloc(k, sizeof *v);
    if (v == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if ((rc = gs_store_read_begin(s->store, &opened, err)) != 0)
        goto fail;
    for (uint64_t i = 0; i < k; i++)
        if ((rc = gs_store_get_entry(s->store, st.id, start + i, &v[i], err)) != 0)
            break;
    gs_store_read_end(s->store, opened);
    if (rc != 0)
        goto fail;
    *out = v;
    *n = (size_t)k;
    return 0;
fail:
    gs_audit_entries_free(v, (size_t)k);
    return rc;
}

typedef struct {
    gs_buf *v;
    size_t n, cap;
} ev_list;

static int take_evidence(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    ev_list *l = ctx;
    (void)id;
    (void)origin;
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 8;
        gs_buf *v = realloc(l->v, c * sizeof *v);
        if (v == NULL)
            return GS_ENOMEM;
        l->v = v;
        l->cap = c;
    }
    if ((l->v[l->n].p = malloc(data.n ? data.n : 1)) == NULL)
        return GS_ENOMEM;
    memcpy(l->v[l->n].p, data.p, data.n);
    l->v[l->n++].n = data.n;
    return 0;
}

/* The rotations of a followed log's key below size, proven from this
 * thread's own store (the loop's chain says where they are). */
static int src_key_chain(void *ctx, const char *origin, uint64_t size, gs_key_link **links,
                         size_t *n, gs_error *err)
{
    web_source *s = ctx;
    const web_log *l = snap_find(s, origin);
    gs_log *log = NULL;
    bool opened = false;
    if (l == NULL || !l->has_kc || size > l->size)
        return gs_error_set(err, GS_ENOTFOUND, "no key chain of %s at size %llu", origin,
                            (unsigned long long)size);
    int rc = gs_log_open(&log, s->store, l->origin, false, err);
    if (rc == 0 && (rc = gs_store_read_begin(s->store, &opened, err)) == 0) {
        rc = gs_serve_key_links(log, &l->kc, size, links, n, err);
        gs_store_read_end(s->store, opened);
    }
    gs_log_close(&log);
    return rc;
}

static int src_evidence(void *ctx, const char *origin, gs_buf **items, size_t *n, gs_error *err)
{
    web_source *s = ctx;
    ev_list l = {0};
    int rc = gs_store_list_evidence(s->store, origin, take_evidence, &l, err);
    if (rc == GS_ENOMEM)
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
    if (rc != 0) {
        gs_audit_entries_free(l.v, l.n);
        return rc;
    }
    *items = l.v != NULL ? l.v : calloc(1, sizeof(gs_buf));
    *n = l.n;
    return *items != NULL ? 0 : gs_error_set(err, GS_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------- one build */

static int build(hub_webdata *w, gs_store **store, const web_log *logs, size_t n, web_result *r,
                 gs_error *err)
{
    web_source ws = {w, NULL, logs, n};
    gs_audit_source src = {&ws, src_checkpoint, src_page, src_evidence, src_key_chain};
    gs_audit_leafdb *db = NULL;
    gs_report *rep = NULL;
    gs_audit_sink rsink, fsink;
    gs_audit a = {0};
    char *json = NULL;
    int rc;

    /* Opened once and kept: the store checks its last entries at open. */
    if (*store == NULL && (rc = gs_store_open(store, w->database, err)) != 0)
        return rc;
    ws.store = *store;
    r->built_at = (int64_t)time(NULL);
    if ((rc = gs_audit_leafdb_open(&db, err)) != 0 ||
        (rc = gs_report_new(&rep, r->built_at, RESPONSE_DAYS, err)) != 0 ||
        (rc = gs_feed_new(&r->feed, db, err)) != 0)
        goto out;
    gs_report_sink(rep, &rsink);
    gs_feed_sink(r->feed, &rsink, &fsink);
    a.source = &src;
    a.sink = &fsink;
    a.policy = w->policy;
    a.db = db;
    if ((rc = gs_audit_run(&a, err)) != 0)
        goto out;
    if (a.hub)
        gs_report_set_hub(rep, a.own_origin);
    if ((rc = gs_report_finish(rep, db, err)) != 0)
        goto out;
    if ((rc = gs_feed_finish(r->feed, err)) != 0)
        goto out;
    if ((json = json_dumps(gs_report_json(rep), JSON_COMPACT)) == NULL ||
        (r->report = blob_new(json, strlen(json))) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(json);
    gs_audit_clear(&a);
    gs_report_free(&rep);
    gs_audit_leafdb_close(&db);
    if (rc != 0)
        gs_feed_free(&r->feed);
    return rc;
}

static void *thread_main(void *arg)
{
    hub_webdata *w = arg;
    gs_store *store = NULL;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && w->todo == NULL)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        web_log *logs = w->todo;
        size_t n = w->n_todo;
        w->todo = NULL;
        w->building = true;
        pthread_mutex_unlock(&w->mu);

        gs_error err = {0};
        int64_t t0 = gs_daemon_now_ms();
        web_result *r = calloc(1, sizeof *r);
        if (r != NULL) {
            if (build(w, &store, logs, n, r, &err) != 0) {
                snprintf(r->error, sizeof r->error, "%s", err.msg[0] ? err.msg : "failed");
                /* A store that failed may be the reason: opened afresh next time. */
                gs_store_close(&store);
            }
            r->took_ms = gs_daemon_now_ms() - t0;
            /* The result lists what it audited, without the notes. */
            for (size_t i = 0; i < n; i++) {
                free(logs[i].note);
                logs[i].note = NULL;
            }
            r->logs = logs;
            r->n_logs = n;
            logs = NULL;
        }
        logs_free(logs, n);
        /* A build allocates in proportion to the logs and frees it all but
         * the result; glibc keeps what this thread freed in its arena, so
         * the hub's memory would stay at the build's peak. Given back. */
        malloc_trim(0);

        pthread_mutex_lock(&w->mu);
        w->building = false;
        result_free(&w->done); /* the loop did not pick the last one up: replaced */
        w->done = r;
    }
    pthread_mutex_unlock(&w->mu);
    gs_store_close(&store);
    return NULL;
}

/* --------------------------------------------------------- the loop's */

static int trust_text(hub *h, char **out, gs_error *err)
{
    char *buf = NULL, vk[GS_VKEY_STR_MAX];
    size_t len = 0;
    gs_vkey own;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    int rc = gs_vkey_make(&own, h->cfg.origin, GS_VKEY_ALG_ED25519, &h->key.pub, err);
    if (rc == 0)
        rc = gs_vkey_format(&own, vk, sizeof vk, err);
    if (rc == 0) {
        fprintf(m,
                "# The trust policy hub %s suggests (c2sp.org/tlog-policy): the\n"
                "# logs it serves, itself as witness and quorum. Check the keys\n"
                "# against a source you trust before you rely on them.\n",
                h->cfg.origin);
        fprintf(m, "log %s\n", vk);
        for (size_t i = 0; i < h->n_logs; i++)
            fprintf(m, "log %s\n", h->logs[i].log_key_str);
        rc = gs_vkey_format(&h->cosigner, vk, sizeof vk, err);
        fprintf(m, "witness %s %s\nquorum %s\n", h->cfg.name, vk, h->cfg.name);
    }
    if (fclose(m) != 0 && rc == 0)
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    return 0;
}

int hub_webdata_start(hub *h, gs_error *err)
{
    hub_webdata *w = calloc(1, sizeof *w);
    char *trust = NULL;
    int rc;
    if (w == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    h->web = w;
    if ((rc = trust_text(h, &trust, err)) != 0)
        return rc;
    if ((w->trust = blob_new(trust, strlen(trust))) == NULL ||
        (w->database = strdup(h->cfg.database)) == NULL ||
        (w->own_origin = strdup(h->cfg.origin)) == NULL ||
        (w->sizes = calloc(h->n_logs + 1, sizeof *w->sizes)) == NULL) {
        free(trust);
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    rc = gs_policy_parse(trust, strlen(trust), "the hub's suggested policy", &w->policy, err);
    free(trust);
    if (rc != 0)
        return rc;
    if ((rc = pthread_create(&w->th, NULL, thread_main, w)) != 0)
        return gs_error_set(err, GS_EIO, "cannot start the web data thread: %s", strerror(rc));
    w->started = true;
    return 0;
}

void hub_webdata_stop(hub *h)
{
    hub_webdata *w = h->web;
    if (w == NULL)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
    }
    logs_free(w->todo, w->n_todo);
    cache_clear(w);
    result_free(&w->done);
    result_free(&w->cur);
    blob_unref(w->trust);
    gs_policy_free(&w->policy);
    free(w->database);
    free(w->own_origin);
    free(w->sizes);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    h->web = NULL;
}

/* The snapshot of what the hub serves now: its own latest checkpoint and
 * every followed log's cosigned note. */
static int snapshot(hub *h, web_log **out, size_t *n_out)
{
    web_log *v = calloc(h->n_logs + 1, sizeof *v);
    size_t n = 0;
    char *note = NULL;
    uint64_t size = 0;
    if (v == NULL)
        return GS_ENOMEM;
    if (gs_log_latest_checkpoint(h->own, &note, &size, NULL) == 0) {
        v[n].origin = strdup(h->cfg.origin);
        v[n].note = note;
        v[n].size = size;
        if (v[n++].origin == NULL)
            goto fail;
    }
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        if (f->cosigned_note == NULL)
            continue;
        v[n].origin = strdup(f->cfg->origin);
        v[n].note = strdup(f->cosigned_note);
        v[n].size = f->cosigned_size;
        if (f->keychain.next_index >= f->cosigned_size &&
            gs_keychain_copy(&v[n].kc, &f->keychain, NULL) == 0)
            v[n].has_kc = true;
        if (v[n++].origin == NULL || v[n - 1].note == NULL)
            goto fail;
    }
    *out = v;
    *n_out = n;
    return 0;
fail:
    logs_free(v, n);
    return GS_ENOMEM;
}

void hub_webdata_step(hub *h, int64_t now)
{
    hub_webdata *w = h->web;
    web_result *r = NULL;
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    r = w->done;
    w->done = NULL;
    bool busy = w->building || w->todo != NULL;
    pthread_mutex_unlock(&w->mu);
    if (r != NULL) {
        if (r->error[0] != '\0') {
            hub_log(h, GS_HUB_LOG_ERROR,
                    "web data: the build failed (the last good one is kept): %s", r->error);
            snprintf(w->last_error, sizeof w->last_error, "%s", r->error);
            w->error_at = r->built_at;
            result_free(&r);
        } else {
            hub_log(h, GS_HUB_LOG_INFO,
                    "web data: built in %lld ms: %zu log(s), %zu subjects, %zu events",
                    (long long)r->took_ms, r->n_logs, gs_feed_subject_count(r->feed),
                    gs_feed_event_count(r->feed));
            w->last_error[0] = '\0';
            cache_clear(w);
            result_free(&w->cur);
            w->cur = r;
        }
    }
    /* Nothing to audit before the hub signed its own first checkpoint. */
    if (busy || h->own_checkpoint_size == 0 ||
        (w->handed && now - w->handed_ms < h->cfg.web_refresh_s * 1000))
        return;
    /* Rebuilt only when a served size changed. */
    bool changed = !w->handed || h->own_checkpoint_size != w->sizes[0];
    for (size_t i = 0; i < h->n_logs && !changed; i++)
        changed = h->logs[i].cosigned_size != w->sizes[i + 1];
    if (!changed)
        return;
    web_log *logs = NULL;
    size_t n = 0;
    if (snapshot(h, &logs, &n) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "web data: out of memory");
        return;
    }
    w->sizes[0] = h->own_checkpoint_size;
    for (size_t i = 0; i < h->n_logs; i++)
        w->sizes[i + 1] = h->logs[i].cosigned_size;
    w->handed = true;
    w->handed_ms = now;
    pthread_mutex_lock(&w->mu);
    w->todo = logs;
    w->n_todo = n;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* ----------------------------------------------------------- HTTP */

#define JSON_TYPE "application/json; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define ATOM_TYPE "application/atom+xml; charset=utf-8"
#define DATA_CACHE "public, max-age=5"

/* Answers with a shared blob: the body stays alive until sent. (The
 * helpers of http.h copy or take a malloc'd body; this one is shared.) */
static int send_blob(gs_http_response *rs, const char *type, blob *b)
{
    __atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
    memset(rs, 0, sizeof *rs);
    rs->status = 200;
    rs->content_type = type;
    rs->cache_control = DATA_CACHE;
    rs->body = b->data;
    rs->len = b->len;
    rs->free_body = blob_unref;
    rs->free_cls = b;
    return GS_HTTP_DONE;
}

/* Serves what was just rendered (malloc'd out) and keeps it for the next
 * request of the same key. */
static int serve_rendered(hub_webdata *w, const char *key, const char *type, char *out, size_t len,
                          gs_http_response *rs)
{
    blob *b = blob_new(out, len);
    free(out);
    if (b == NULL)
        return gs_http_text(rs, 503, "out of memory\n");
    int r = send_blob(rs, type, b);
    cache_put(w, key, b);
    return r;
}

static int not_ready(hub_webdata *w, gs_http_response *rs)
{
    if (w->last_error[0] != '\0')
        return gs_http_text(rs, 503,
                            "the web data could not be built yet: %s\n"
                            "(see /data/status.json; it is tried again as the logs grow)\n",
                            w->last_error);
    return gs_http_text(rs, 503,
                        "the web data is being built (the first audit since the hub started); "
                        "try again in a few seconds\n");
}

static int status_json(hub_webdata *w, gs_http_response *rs)
{
    json_t *o = json_object(), *logs = json_array();
    char t[32];
    bool building;
    pthread_mutex_lock(&w->mu);
    building = w->building || w->todo != NULL;
    pthread_mutex_unlock(&w->mu);
    if (o == NULL || logs == NULL) {
        json_decref(o);
        json_decref(logs);
        return gs_http_text(rs, 500, "out of memory\n");
    }
    if (w->cur != NULL) {
        gs_time_format(w->cur->built_at, t, sizeof t);
        json_object_set_new(o, "built_at", json_string(t));
        for (size_t i = 0; i < w->cur->n_logs; i++) {
            json_t *l = json_object();
            json_object_set_new(l, "origin", json_string(w->cur->logs[i].origin));
            json_object_set_new(l, "size", json_integer((json_int_t)w->cur->logs[i].size));
            json_array_append_new(logs, l);
        }
    } else {
        json_object_set_new(o, "built_at", json_null());
    }
    json_object_set_new(o, "logs", logs);
    json_object_set_new(o, "building", json_boolean(building));
    json_object_set_new(o, "error",
                        w->last_error[0] != '\0' ? json_string(w->last_error) : json_null());
    if (w->cur != NULL) {
        json_object_set_new(o, "subjects",
                            json_integer((json_int_t)gs_feed_subject_count(w->cur->feed)));
        json_object_set_new(o, "events",
                            json_integer((json_int_t)gs_feed_event_count(w->cur->feed)));
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s == NULL)
        return gs_http_text(rs, 500, "out of memory\n");
    gs_http_take(rs, 200, JSON_TYPE, "no-cache", s, strlen(s));
    return GS_HTTP_DONE;
}

/* A subject in a path, up to suffix: an origin, a person's URL key, or
 * "<origin>/<index>". Refuses anything else, so nothing odd reaches a
 * lookup or a log line. */
static bool subject_ok(gs_feed_kind k, const char *s)
{
    gs_error e = {0};
    if (k == GS_FEED_UNIT)
        return gs_origin_valid(s, &e) == 0;
    if (k == GS_FEED_PERSON) {
        if (strlen(s) != 43)
            return false;
        for (const char *p = s; *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                return false;
        return true;
    }
    const char *slash = strrchr(s, '/');
    char origin[GS_MAX_ORIGIN + 1];
    if (slash == NULL || slash[1] == '\0' || (size_t)(slash - s) > GS_MAX_ORIGIN ||
        strlen(slash + 1) > 15)
        return false;
    for (const char *p = slash + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    if (slash[1] == '0' && slash[2] != '\0')
        return false;
    memcpy(origin, s, (size_t)(slash - s));
    origin[slash - s] = '\0';
    return gs_origin_valid(origin, &e) == 0;
}

/* rest = "<kind>/<subject><suffix>": the kind and the subject (copied into
 * subj). False when it is not that shape. */
static bool parse_subject(const char *rest, const char *suffix, gs_feed_kind *k, char *subj,
                          size_t cap)
{
    const char *slash = strchr(rest, '/');
    char kind[16];
    size_t sl = strlen(suffix), n;
    if (slash == NULL || (size_t)(slash - rest) >= sizeof kind)
        return false;
    memcpy(kind, rest, (size_t)(slash - rest));
    kind[slash - rest] = '\0';
    int kk = gs_feed_kind_parse(kind);
    n = strlen(slash + 1);
    if (kk < 0 || n <= sl || n - sl >= cap || strcmp(slash + 1 + n - sl, suffix) != 0)
        return false;
    memcpy(subj, slash + 1, n - sl);
    subj[n - sl] = '\0';
    *k = (gs_feed_kind)kk;
    return subject_ok(*k, subj);
}

static int on_data(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    hub *h = ctx;
    hub_webdata *w = h->web;
    const char *p = rq->path + strlen("/data/");
    if (strcmp(p, "trust.txt") == 0)
        return send_blob(rs, TEXT_TYPE, w->trust);
    if (strcmp(p, "status.json") == 0)
        return status_json(w, rs);
    if (strcmp(p, "report.json") != 0 && strncmp(p, "events/", 7) != 0)
        return gs_http_text(rs, 404, "no such data: see docs/http.md\n");
    if (w->cur == NULL)
        return not_ready(w, rs);
    if (strcmp(p, "report.json") == 0)
        return send_blob(rs, JSON_TYPE, w->cur->report);
    gs_feed_kind k;
    char subj[GS_MAX_ORIGIN + 32];
    if (!parse_subject(p + 7, ".json", &k, subj, sizeof subj))
        return gs_http_text(rs, 404,
                            "expected /data/events/unit/<origin>.json, /data/events/person/<key>"
                            ".json or /data/events/commitment/<origin>/<index>.json\n");
    blob *hit = cache_get(w, rq->path);
    if (hit != NULL)
        return send_blob(rs, JSON_TYPE, hit);
    char *out = NULL;
    size_t len = 0;
    gs_error err = {0};
    int rc = gs_feed_events_json(w->cur->feed, k, subj, w->cur->built_at, &out, &len, &err);
    if (rc == GS_ENOTFOUND)
        return gs_http_text(rs, 404, "%s\n", err.msg);
    if (rc != 0)
        return gs_http_text(rs, 500, "events: %s\n", err.msg);
    return serve_rendered(w, rq->path, JSON_TYPE, out, len, rs);
}

/* Where links in a feed point: the configured public_url, else the Host
 * the reader asked (only when it looks like a host: it is written into
 * every link). */
static void base_url(const hub *h, const gs_http_request *rq, char *out, size_t cap)
{
    if (h->cfg.public_url != NULL) {
        snprintf(out, cap, "%s", h->cfg.public_url);
        return;
    }
    const char *host = rq->host;
    bool ok = host != NULL && host[0] != '\0' && strlen(host) < 256;
    for (const char *p = host; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr(".-:[]", *p) != NULL;
    snprintf(out, cap, "http://%s", ok ? host : "localhost");
}

static const char *query_lang(const char *q)
{
    for (const char *p = q; p != NULL && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, "lang=en", 7) == 0 && (p[7] == '\0' || p[7] == '&'))
            return "en";
        if (strncmp(p, "lang=vi", 7) == 0 && (p[7] == '\0' || p[7] == '&'))
            return "vi";
    }
    return "vi";
}

static int on_feeds(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    hub *h = ctx;
    hub_webdata *w = h->web;
    gs_feed_kind k;
    char subj[GS_MAX_ORIGIN + 32], base[300];
    if (!parse_subject(rq->path + strlen("/feeds/"), ".atom", &k, subj, sizeof subj))
        return gs_http_text(rs, 404,
                            "expected /feeds/unit/<origin>.atom, /feeds/person/<key>.atom or "
                            "/feeds/commitment/<origin>/<index>.atom\n");
    if (w->cur == NULL)
        return not_ready(w, rs);
    base_url(h, rq, base, sizeof base);
    gs_feed_atom_opts o = {.base = base,
                           .lang = query_lang(rq->query),
                           .hub = h->cfg.origin,
                           .built_at = w->cur->built_at};
    /* The same path in another language or at another address is another
     * document. */
    char key[GS_HTTP_MAX_PATH + 320];
    snprintf(key, sizeof key, "%s\n%s\n%s", rq->path, o.lang, base);
    blob *hit = cache_get(w, key);
    if (hit != NULL)
        return send_blob(rs, ATOM_TYPE, hit);
    char *out = NULL;
    size_t len = 0;
    gs_error err = {0};
    int rc = gs_feed_atom(w->cur->feed, k, subj, &o, &out, &len, &err);
    if (rc == GS_ENOTFOUND)
        return gs_http_text(rs, 404, "%s\n", err.msg);
    if (rc != 0)
        return gs_http_text(rs, 500, "feed: %s\n", err.msg);
    return serve_rendered(w, key, ATOM_TYPE, out, len, rs);
}

int hub_webdata_routes(hub *h, gs_http *http, gs_error *err)
{
    int rc;
    if (http == NULL)
        return 0; /* HTTP is off: nothing to build the data for */
    if ((rc = hub_webdata_start(h, err)) != 0)
        return rc;
    if ((rc = gs_http_route(http, "GET", "/data/", false, "data", on_data, h, err)) != 0 ||
        (rc = gs_http_route(http, "GET", "/feeds/", false, "feeds", on_feeds, h, err)) != 0)
        return rc;
    return 0;
}
