/* http.c — the daemons' HTTP face on libmicrohttpd (see http.h).
 *
 * libmicrohttpd runs in "external epoll" mode: it owns one epoll descriptor
 * (listening socket, connections, its wake-up eventfd) and does work only
 * inside MHD_run(), which the daemon calls from its zmq_poll loop. There is
 * no thread here, so handlers, gs_http_answer() and the counters behind
 * /metrics all run on the loop's thread and share state without locks.
 *
 * One gs_http_conn per request, taken from a free list in the URI callback
 * (the first thing libmicrohttpd tells us about a request) and given back in
 * the completion callback, so a busy server does not allocate per request
 * beyond what libmicrohttpd itself does for a response. A request is in one
 * state at a time:
 *
 *   NEW --headers--> BODY --final call--> answered at once (back to free list
 *                                 |        when libmicrohttpd completes it)
 *                                 +--GS_HTTP_DEFER--> DEFERRED (suspended)
 *                                          --gs_http_answer--> ANSWERED
 *                                          --resumed, queued--> completed
 *   BODY --gs_http_answer inside the handler--> ANSWERED, queued when the
 *                                               handler returns
 *
 * A DEFERRED request whose connection libmicrohttpd drops anyway becomes an
 * orphan: it stays off the free list until its owner answers it, because the
 * owner still holds the handle.
 */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GS_HTTP_MAX_ROUTES 62
#define GS_HTTP_MAX_QUERY 2048
/* Route slot 0 of the counters is "other": requests no route took. */
#define GS_HTTP_SLOTS (GS_HTTP_MAX_ROUTES + 1)

/* Latency histogram bucket bounds (seconds, as printed) and in nanoseconds. */
static const char *const bucket_le[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                                        "0.01",   "0.025",   "0.05",   "0.1",   "0.25",   "0.5",
                                        "1",      "2.5",     "5",      "10"};
static const int64_t bucket_ns[] = {
    100000,   250000,    500000,    1000000,   2500000,    5000000,    10000000,   25000000,
    50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000};
#define GS_HTTP_BUCKETS (sizeof bucket_ns / sizeof bucket_ns[0])

enum conn_state { CONN_NEW, CONN_BODY, CONN_DEFERRED, CONN_ANSWERED, CONN_DONE };

struct gs_http_conn {
    gs_http *h;
    struct MHD_Connection *mc;
    gs_http_conn *next, *prev; /* free list (next only) or deferred list */
    enum conn_state state;
    int slot;          /* counter slot: 0 other, 1 + route index */
    bool uri_too_long; /* path or query beyond its limit: 414 */
    bool orphan;       /* deferred, but libmicrohttpd dropped the connection */
    bool draining;     /* a deferred request answered, not yet sent */
    int64_t t0_ns;     /* when the request line arrived */
    const char *query; /* into uri, or NULL */
    uint8_t *body;     /* kept across requests; capacity body_cap */
    size_t body_len, body_cap;
    gs_http_response pending; /* a deferred request's answer */
    char uri[GS_HTTP_MAX_PATH + 1 + GS_HTTP_MAX_QUERY + 1];
};

typedef struct {
    char *method; /* "GET", "POST" or NULL (both) */
    char *prefix;
    size_t prefix_len;
    bool exact;
    char *name;
    gs_http_handler fn;
    void *ctx;
} route;

typedef struct {
    uint64_t by_class[5]; /* 1xx … 5xx */
    uint64_t buckets[GS_HTTP_BUCKETS];
    uint64_t count;
    int64_t sum_ns;
} route_stats;

struct gs_http {
    struct MHD_Daemon *d;
    int listen_fd; /* owned by d once it started */
    int epoll_fd;  /* libmicrohttpd's */
    unsigned port;
    size_t max_body;
    char *name;
    route routes[GS_HTTP_MAX_ROUTES];
    size_t n_routes;
    route_stats stats[GS_HTTP_SLOTS];
    gs_http_conn *free_conns;
    gs_http_conn *deferred; /* doubly linked */
    bool kick;              /* a deferred request was answered: run again at once */
    unsigned draining;      /* deferred answers not yet completed */
    gs_http_metrics_fn metrics_fn;
    void *metrics_ctx;
    gs_http_health_fn health_fn;
    void *health_ctx;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- responses ---- */

static const char oom_body[] = "out of memory\n";

int gs_http_take(gs_http_response *rs, int status, const char *content_type,
                 const char *cache_control, void *body, size_t len)
{
    memset(rs, 0, sizeof *rs);
    rs->status = status;
    rs->content_type = content_type;
    rs->cache_control = cache_control;
    rs->body = body;
    rs->len = len;
    rs->free_body = free;
    rs->free_cls = body;
    return GS_HTTP_DONE;
}

int gs_http_static(gs_http_response *rs, int status, const char *content_type,
                   const char *cache_control, const void *body, size_t len)
{
    memset(rs, 0, sizeof *rs);
    rs->status = status;
    rs->content_type = content_type;
    rs->cache_control = cache_control;
    rs->body = body;
    rs->len = len;
    return GS_HTTP_DONE;
}

int gs_http_text(gs_http_response *rs, int status, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return gs_http_static(rs, 503, NULL, "no-store", oom_body, sizeof oom_body - 1);
    return gs_http_take(rs, status, NULL, NULL, s, (size_t)n);
}

static void release_body(const gs_http_response *rs)
{
    if (rs->free_body)
        rs->free_body(rs->free_cls);
}

static void count(gs_http *h, int slot, int status, int64_t t0_ns)
{
    route_stats *st = &h->stats[slot];
    int cls = status / 100 - 1;
    if (cls < 0 || cls > 4)
        cls = 4;
    st->by_class[cls]++;
    int64_t dt = now_ns() - t0_ns;
    if (dt < 0)
        dt = 0;
    for (size_t i = 0; i < GS_HTTP_BUCKETS; i++)
        if (dt <= bucket_ns[i])
            st->buckets[i]++;
    st->count++;
    st->sum_ns += dt;
}

/* Hands rs to libmicrohttpd (which then owns the body) and counts it. */
static enum MHD_Result queue(gs_http_conn *c, const gs_http_response *rs, const char *allow)
{
    const void *body = rs->body ? rs->body : "";
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        rs->len, (void *)(uintptr_t)body, rs->free_body, rs->free_cls);
    if (!r) {
        release_body(rs);
        return MHD_NO;
    }
    bool ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                      rs->content_type ? rs->content_type
                                                       : "text/plain; charset=utf-8") == MHD_YES;
    if (rs->cache_control)
        ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, rs->cache_control) ==
                       MHD_YES;
    if (rs->location)
        ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location) == MHD_YES;
    if (allow)
        ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) == MHD_YES;
    ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, c->h->name) == MHD_YES;
    enum MHD_Result res = ok ? MHD_queue_response(c->mc, (unsigned)rs->status, r) : MHD_NO;
    MHD_destroy_response(r);
    if (res == MHD_YES)
        count(c->h, c->slot, rs->status, c->t0_ns);
    c->state = CONN_DONE;
    return res;
}

static enum MHD_Result queue_text(gs_http_conn *c, int status, const char *text, const char *allow)
{
    gs_http_response rs;
    gs_http_static(&rs, status, NULL, "no-store", text, strlen(text));
    return queue(c, &rs, allow);
}

/* ---- built-in routes ---- */

static void print_label(FILE *out, const char *name)
{
    /* Route names are chosen by the daemon, but escape as the text format
     * asks so that /metrics parses whatever they are. */
    for (const char *p = name; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', out);
        if (*p == '\n')
            fputs("\\n", out);
        else
            fputc(*p, out);
    }
}

static int metrics_handler(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    (void)rq;
    gs_http *h = ctx;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return gs_http_static(rs, 503, NULL, "no-store", oom_body, sizeof oom_body - 1);
    static const char *const cls[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    fputs("# HELP giamsat_http_requests_total HTTP requests answered, by route and status "
          "class.\n# TYPE giamsat_http_requests_total counter\n",
          out);
    for (size_t s = 0; s <= h->n_routes; s++) {
        const char *name = s ? h->routes[s - 1].name : "other";
        for (int k = 0; k < 5; k++) {
            fputs("giamsat_http_requests_total{route=\"", out);
            print_label(out, name);
            fprintf(out, "\",code=\"%s\"} %llu\n", cls[k],
                    (unsigned long long)h->stats[s].by_class[k]);
        }
    }
    fputs("# HELP giamsat_http_request_duration_seconds Time from a request's arrival to its "
          "response being queued.\n# TYPE giamsat_http_request_duration_seconds histogram\n",
          out);
    for (size_t s = 0; s <= h->n_routes; s++) {
        const char *name = s ? h->routes[s - 1].name : "other";
        const route_stats *st = &h->stats[s];
        for (size_t i = 0; i < GS_HTTP_BUCKETS; i++) {
            fputs("giamsat_http_request_duration_seconds_bucket{route=\"", out);
            print_label(out, name);
            fprintf(out, "\",le=\"%s\"} %llu\n", bucket_le[i], (unsigned long long)st->buckets[i]);
        }
        fputs("giamsat_http_request_duration_seconds_bucket{route=\"", out);
        print_label(out, name);
        fprintf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)st->count);
        fputs("giamsat_http_request_duration_seconds_sum{route=\"", out);
        print_label(out, name);
        fprintf(out, "\"} %.9f\n", (double)st->sum_ns / 1e9);
        fputs("giamsat_http_request_duration_seconds_count{route=\"", out);
        print_label(out, name);
        fprintf(out, "\"} %llu\n", (unsigned long long)st->count);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    fprintf(out,
            "# HELP giamsat_http_connections Open HTTP connections.\n"
            "# TYPE giamsat_http_connections gauge\ngiamsat_http_connections %u\n",
            di ? di->num_connections : 0);
    if (h->metrics_fn)
        h->metrics_fn(h->metrics_ctx, out);
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) {
        free(buf);
        return gs_http_static(rs, 503, NULL, "no-store", oom_body, sizeof oom_body - 1);
    }
    gs_http_take(rs, 200, "text/plain; version=0.0.4; charset=utf-8", "no-store", buf, len);
    return GS_HTTP_DONE;
}

static int health_handler(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    (void)rq;
    gs_http *h = ctx;
    char why[256] = "";
    bool ok = h->health_fn ? h->health_fn(h->health_ctx, why, sizeof why) : true;
    why[sizeof why - 1] = '\0';
    int st = ok ? 200 : 503;
    if (why[0])
        gs_http_text(rs, st, "%s: %s\n", ok ? "ok" : "unhealthy", why);
    else
        gs_http_text(rs, st, "%s\n", ok ? "ok" : "unhealthy");
    rs->cache_control = "no-store";
    return GS_HTTP_DONE;
}

/* ---- routing ---- */

static bool method_fits(const route *r, const char *method)
{
    return !r->method || strcmp(r->method, method) == 0;
}

static bool path_fits(const route *r, const char *path, size_t path_len)
{
    if (r->exact)
        return path_len == r->prefix_len && memcmp(path, r->prefix, path_len) == 0;
    return path_len >= r->prefix_len && memcmp(path, r->prefix, r->prefix_len) == 0;
}

/* The route for method and path: the longest prefix among those that take
 * the method; -1 with *allow set when routes match the path but none takes
 * the method (405), -1 with *allow NULL when none matches it (404). */
static int find_route(const gs_http *h, const char *method, const char *path, const char **allow)
{
    size_t path_len = strlen(path);
    int best = -1;
    bool get = false, post = false;
    for (size_t i = 0; i < h->n_routes; i++) {
        const route *r = &h->routes[i];
        if (!path_fits(r, path, path_len))
            continue;
        get = get || !r->method || strcmp(r->method, "GET") == 0;
        post = post || !r->method || strcmp(r->method, "POST") == 0;
        if (method_fits(r, method) && (best < 0 || r->prefix_len > h->routes[best].prefix_len))
            best = (int)i;
    }
    *allow = NULL;
    if (best < 0 && (get || post))
        *allow = get && post ? "GET, HEAD, POST" : get ? "GET, HEAD" : "POST";
    return best;
}

/* ---- libmicrohttpd callbacks ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
    gs_http *h = cls;
    gs_http_conn *c = h->free_conns;
    if (c) {
        h->free_conns = c->next;
    } else {
        c = calloc(1, sizeof *c);
        if (!c)
            return NULL; /* on_request refuses the request */
        c->h = h;
    }
    c->mc = mc;
    c->next = c->prev = NULL;
    c->state = CONN_NEW;
    c->slot = 0;
    c->orphan = c->draining = false;
    c->t0_ns = now_ns();
    c->body_len = 0;
    c->query = NULL;
    c->uri_too_long = false;
    const char *q = strchr(uri, '?');
    size_t path_len = q ? (size_t)(q - uri) : strlen(uri);
    size_t query_len = q ? strlen(q + 1) : 0;
    if (path_len > GS_HTTP_MAX_PATH || query_len > GS_HTTP_MAX_QUERY) {
        c->uri_too_long = true;
        c->uri[0] = '\0';
        return c;
    }
    memcpy(c->uri, uri, path_len);
    c->uri[path_len] = '\0';
    if (q) {
        memcpy(c->uri + path_len + 1, q + 1, query_len + 1);
        c->query = c->uri + path_len + 1;
    }
    return c;
}

static void put_back(gs_http *h, gs_http_conn *c)
{
    c->mc = NULL;
    c->next = h->free_conns;
    h->free_conns = c;
}

static void unlink_deferred(gs_http *h, gs_http_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        h->deferred = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)mc;
    (void)toe;
    gs_http *h = cls;
    gs_http_conn *c = *con_cls;
    *con_cls = NULL;
    if (!c)
        return;
    if (c->draining && h->draining > 0)
        h->draining--;
    if (c->state == CONN_DEFERRED) {
        /* The owner still holds the handle: keep c until it answers. */
        c->orphan = true;
        c->mc = NULL;
        return;
    }
    if (c->state == CONN_ANSWERED)
        release_body(&c->pending); /* resumed but never queued */
    put_back(h, c);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)url; /* percent-decoded by libmicrohttpd; the raw path is in c->uri */
    (void)version;
    gs_http *h = cls;
    gs_http_conn *c = *con_cls;
    if (!c)
        return MHD_NO;
    c->mc = mc;
    switch (c->state) {
    case CONN_NEW: {
        c->state = CONN_BODY;
        /* A declared body beyond the limit is refused before it is read
         * (libmicrohttpd then closes the connection instead of reading it). */
        const char *cl =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            errno = 0;
            char *end;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || end == cl || n > h->max_body)
                return queue_text(c, 413, "request body too large\n", NULL);
        }
        return MHD_YES;
    }
    case CONN_BODY: break;
    case CONN_DEFERRED:
        return MHD_YES; /* not answered yet (libmicrohttpd does not call a suspended one) */
    case CONN_ANSWERED: {
        gs_http_response rs = c->pending;
        memset(&c->pending, 0, sizeof c->pending);
        return queue(c, &rs, NULL);
    }
    case CONN_DONE: return MHD_NO;
    }

    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (n > h->max_body - c->body_len)
            return MHD_NO; /* a chunked body beyond the limit: drop the connection */
        if (c->body_len + n > c->body_cap) {
            size_t cap = c->body_cap ? c->body_cap : 1024;
            while (cap < c->body_len + n)
                cap *= 2;
            if (cap > h->max_body)
                cap = h->max_body;
            uint8_t *b = realloc(c->body, cap);
            if (!b)
                return MHD_NO;
            c->body = b;
            c->body_cap = cap;
        }
        memcpy(c->body + c->body_len, upload_data, n);
        c->body_len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }

    /* The whole request is here. */
    bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (head)
        method = MHD_HTTP_METHOD_GET;
    else if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return queue_text(c, 405, "method not allowed\n", "GET, HEAD, POST");
    if (c->uri_too_long)
        return queue_text(c, 414, "URI too long\n", NULL);
    const char *allow;
    int ri = find_route(h, method, c->uri, &allow);
    if (ri < 0)
        return allow ? queue_text(c, 405, "method not allowed\n", allow)
                     : queue_text(c, 404, "not found\n", NULL);
    c->slot = ri + 1;
    const route *r = &h->routes[ri];
    gs_http_request rq = {
        .method = method,
        .path = c->uri,
        .query = c->query,
        .host = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
        .accept = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
        .body = c->body_len ? c->body : (const uint8_t *)"",
        .body_len = c->body_len,
        .handle = c,
    };
    gs_http_response rs;
    memset(&rs, 0, sizeof rs);
    int how = r->fn(r->ctx, &rq, &rs);
    if (c->state == CONN_ANSWERED) {
        /* The handler answered its own request with gs_http_answer before
         * returning (a waiter settled at once): that answer stands. */
        if (how != GS_HTTP_DEFER)
            release_body(&rs);
        rs = c->pending;
        memset(&c->pending, 0, sizeof c->pending);
        return queue(c, &rs, NULL);
    }
    if (how == GS_HTTP_DEFER) {
        c->state = CONN_DEFERRED;
        c->prev = NULL;
        c->next = h->deferred;
        if (h->deferred)
            h->deferred->prev = c;
        h->deferred = c;
        MHD_suspend_connection(mc);
        return MHD_YES;
    }
    if (rs.status < 100 || rs.status > 599) {
        release_body(&rs);
        return queue_text(c, 500, "handler gave no answer\n", NULL);
    }
    return queue(c, &rs, NULL);
}

void gs_http_answer(gs_http_conn *c, const gs_http_response *rs)
{
    gs_http *h = c->h;
    if (c->state == CONN_BODY) {
        /* From inside the request's own handler, before it returned: kept
         * for on_request to queue. */
        c->pending = *rs;
        if (c->pending.status < 100 || c->pending.status > 599)
            c->pending.status = 500;
        c->state = CONN_ANSWERED;
        return;
    }
    if (c->state != CONN_DEFERRED) {
        release_body(rs); /* answered twice: a bug in the caller; keep the first */
        return;
    }
    unlink_deferred(h, c);
    if (c->orphan) {
        release_body(rs);
        put_back(h, c);
        return;
    }
    c->pending = *rs;
    if (c->pending.status < 100 || c->pending.status > 599)
        c->pending.status = 500;
    c->state = CONN_ANSWERED;
    /* Counted until sent, so that a stop lets it reach the client (the hub
     * answers its waiters just before it frees the server). */
    c->draining = true;
    h->draining++;
    MHD_resume_connection(c->mc);
    h->kick = true;
}

/* ---- lifecycle ---- */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                        gs_error *err)
{
    char host[256];
    const char *port;
    if (!listen || !*listen)
        return gs_error_set(err, GS_EINVAL, "http: no listen address (want ADDR:PORT)");
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            return gs_error_set(err, GS_EINVAL,
                                "http: bad listen address \"%s\" (want [IPv6]:PORT)", listen);
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host || strchr(listen, ':') != colon)
            return gs_error_set(err, GS_EINVAL, "http: bad listen address \"%s\" (want ADDR:PORT)",
                                listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port = colon + 1;
    }
    char *end;
    errno = 0;
    unsigned long p = strtoul(port, &end, 10);
    if (!*port || *end || errno || p > 65535)
        return gs_error_set(err, GS_EINVAL, "http: bad port in \"%s\" (want 0 to 65535)", listen);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p);
        *len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p);
        *len = sizeof *v6;
    } else {
        return gs_error_set(err, GS_EINVAL,
                            "http: \"%s\" is not an IPv4 or IPv6 address (in \"%s\")", host,
                            listen);
    }
    return 0;
}

int gs_http_listen_check(const char *listen, gs_error *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    return parse_listen(listen, &ss, &sl, err);
}

int gs_http_start(gs_http **out, const gs_http_config *cfg, gs_error *err)
{
    int rc = GS_ENOMEM;
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    gs_http *h = calloc(1, sizeof *h);
    if (!h) {
        gs_error_set(err, GS_ENOMEM, "http: out of memory");
        goto fail;
    }
    h->listen_fd = -1;
    h->max_body = cfg->max_body ? cfg->max_body : 64 * 1024;
    h->name = strdup(cfg->name && *cfg->name ? cfg->name : "giamsat");
    if (!h->name) {
        gs_error_set(err, GS_ENOMEM, "http: out of memory");
        goto fail;
    }
    rc = parse_listen(cfg->listen, &ss, &sl, err);
    if (rc)
        goto fail;

    /* The socket is bound here rather than by libmicrohttpd so that a
     * failure says why (address in use, permission). */
    rc = GS_EIO;
    h->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->listen_fd < 0) {
        gs_error_set(err, GS_EIO, "http %s: socket: %s", cfg->listen, strerror(errno));
        goto fail;
    }
    int one = 1;
    (void)setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        (void)setsockopt(h->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(h->listen_fd, (struct sockaddr *)&ss, sl) != 0) {
        gs_error_set(err, GS_EIO, "http %s: bind: %s", cfg->listen, strerror(errno));
        goto fail;
    }
    if (listen(h->listen_fd, 511) != 0) {
        gs_error_set(err, GS_EIO, "http %s: listen: %s", cfg->listen, strerror(errno));
        goto fail;
    }
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    if (getsockname(h->listen_fd, (struct sockaddr *)&bound, &bl) != 0) {
        gs_error_set(err, GS_EIO, "http %s: getsockname: %s", cfg->listen, strerror(errno));
        goto fail;
    }
    h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);

    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->max_connections ? cfg->max_connections : 512),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : 30),
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_END);
    if (!h->d) {
        gs_error_set(err, GS_EIO, "http %s: libmicrohttpd did not start", cfg->listen);
        goto fail;
    }
    h->listen_fd = -1; /* libmicrohttpd closes it at stop */
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di || di->epoll_fd < 0) {
        gs_error_set(err, GS_EIO, "http %s: libmicrohttpd has no epoll descriptor", cfg->listen);
        goto fail;
    }
    h->epoll_fd = di->epoll_fd;
    rc = gs_http_route(h, NULL, "/metrics", true, "metrics", metrics_handler, h, err);
    if (!rc)
        rc = gs_http_route(h, NULL, "/healthz", true, "healthz", health_handler, h, err);
    if (rc)
        goto fail;
    *out = h;
    return 0;
fail:
    gs_http_free(&h);
    return rc;
}

void gs_http_free(gs_http **hp)
{
    gs_http *h = hp ? *hp : NULL;
    if (!h)
        return;
    if (h->d) {
        static const char bye[] = "server shutting down\n";
        while (h->deferred) {
            gs_http_conn *c = h->deferred;
            gs_http_response rs;
            gs_http_static(&rs, 503, NULL, "no-store", bye, sizeof bye - 1);
            gs_http_answer(c, &rs);
        }
        /* Let those 503s, and every deferred answer given just before, reach
         * their clients before the connections close;
         * bounded, as a client that does not read must not hold the stop. */
        int fd = gs_http_fd(h);
        for (int i = 0; i < 200 && h->draining > 0; i++) {
            MHD_run(h->d);
            if (h->draining == 0)
                break;
            struct pollfd p = {.fd = fd, .events = POLLIN};
            (void)poll(&p, 1, 10);
        }
        MHD_stop_daemon(h->d);
    }
    if (h->listen_fd >= 0)
        close(h->listen_fd);
    while (h->deferred) { /* orphans nobody answered */
        gs_http_conn *c = h->deferred;
        unlink_deferred(h, c);
        free(c->body);
        free(c);
    }
    while (h->free_conns) {
        gs_http_conn *c = h->free_conns;
        h->free_conns = c->next;
        free(c->body);
        free(c);
    }
    for (size_t i = 0; i < h->n_routes; i++) {
        free(h->routes[i].method);
        free(h->routes[i].prefix);
        free(h->routes[i].name);
    }
    free(h->name);
    free(h);
    *hp = NULL;
}

unsigned gs_http_port(const gs_http *h)
{
    return h->port;
}

int gs_http_route(gs_http *h, const char *method, const char *prefix, bool exact, const char *name,
                  gs_http_handler fn, void *ctx, gs_error *err)
{
    if (!prefix || prefix[0] != '/' || !name || !*name || !fn)
        return gs_error_set(err, GS_EINVAL,
                            "http: a route needs a path starting with /, a "
                            "name and a handler");
    if (method && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        return gs_error_set(err, GS_EINVAL, "http: route %s: method must be GET, POST or NULL",
                            prefix);
    if (h->n_routes == GS_HTTP_MAX_ROUTES)
        return gs_error_set(err, GS_ETOOBIG, "http: route %s: more than %d routes", prefix,
                            GS_HTTP_MAX_ROUTES);
    /* The name labels the route's histogram in /metrics: two routes under
     * one name would make it unparseable. */
    for (size_t i = 0; i < h->n_routes; i++)
        if (strcmp(h->routes[i].name, name) == 0)
            return gs_error_set(err, GS_EINVAL, "http: route %s: the name %s is taken by %s",
                                prefix, name, h->routes[i].prefix);
    route *r = &h->routes[h->n_routes];
    memset(r, 0, sizeof *r);
    r->method = method ? strdup(method) : NULL;
    r->prefix = strdup(prefix);
    r->name = strdup(name);
    if ((method && !r->method) || !r->prefix || !r->name) {
        free(r->method);
        free(r->prefix);
        free(r->name);
        memset(r, 0, sizeof *r);
        return gs_error_set(err, GS_ENOMEM, "http: out of memory");
    }
    r->prefix_len = strlen(prefix);
    r->exact = exact;
    r->fn = fn;
    r->ctx = ctx;
    h->n_routes++;
    return 0;
}

void gs_http_set_metrics(gs_http *h, gs_http_metrics_fn fn, void *ctx)
{
    h->metrics_fn = fn;
    h->metrics_ctx = ctx;
}

void gs_http_set_health(gs_http *h, gs_http_health_fn fn, void *ctx)
{
    h->health_fn = fn;
    h->health_ctx = ctx;
}

int gs_http_fd(const gs_http *h)
{
    return h->epoll_fd;
}

long gs_http_timeout_ms(gs_http *h)
{
    if (h->kick)
        return 0;
    MHD_UNSIGNED_LONG_LONG t;
    if (MHD_get_timeout(h->d, &t) != MHD_YES)
        return -1;
    return t > LONG_MAX ? LONG_MAX : (long)t;
}

void gs_http_run(gs_http *h)
{
    h->kick = false;
    MHD_run(h->d);
}
