/* http.h — the daemons' HTTP face (DESIGN §5 "HTTP face", docs/http.md).
 *
 * One libmicrohttpd daemon per giamsat daemon, driven from the daemon's own
 * zmq_poll loop (STYLE §7): no thread of its own. Every turn of the loop
 * polls gs_http_fd() for input (an epoll descriptor that is readable when
 * any connection or the listening socket is), bounds its wait by
 * gs_http_timeout_ms(), and calls gs_http_run(), which does all the work
 * that is ready and returns. Handlers therefore run on the loop's thread and
 * may read the daemon's state without locks.
 *
 * Requests are routed by method and path prefix (the longest matching
 * prefix wins). A handler answers at once, or defers (GS_HTTP_DEFER): it
 * keeps rq->handle and answers later with gs_http_answer() from the loop's
 * thread (hub: a POST /add-checkpoint waiting for its sync). A deferred
 * request must be answered exactly once (possibly already inside the
 * handler, before it returns GS_HTTP_DEFER); gs_http_free() answers the
 * ones still waiting with 503.
 *
 * Bounded (docs/http.md): a connection limit, a per-connection idle
 * timeout, a body limit (413 beyond it, before the handler is called), only
 * GET, HEAD and POST (405 else), paths longer than GS_HTTP_MAX_PATH refused
 * (414). A path no route matches is 404. HEAD is answered as GET without
 * the body.
 *
 * Counted for /metrics: requests per route and status class, and a latency
 * histogram per route (from the request's arrival to the response being
 * queued). /metrics and /healthz are served by this module: the daemon adds
 * its own lines (gs_http_set_metrics) and its health (gs_http_set_health).
 *
 * Every function that can fail returns 0 or a negative GS_E… code with err
 * filled (STYLE §3).
 */
#ifndef GS_HTTP_H
#define GS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

typedef struct gs_http gs_http;
typedef struct gs_http_conn gs_http_conn; /* one request in flight */

#define GS_HTTP_MAX_PATH 1024

typedef struct {
    const char *listen;       /* "ADDR:PORT" (IPv4 or [IPv6]); port 0 picks one */
    unsigned max_connections; /* 0: 512 */
    unsigned timeout_s;       /* idle timeout of a connection; 0: 30 */
    size_t max_body;          /* POST body limit; 0: 64 KiB */
    const char *name;         /* for log lines and the Server header, e.g. "giamsat-hub" */
} gs_http_config;

/* A request as a handler sees it; valid during the handler's call only
 * (handle stays valid until answered when the handler defers). */
typedef struct {
    const char *method; /* "GET" (also for HEAD) or "POST" */
    const char *path;   /* the URL path as sent (not percent-decoded), without the query */
    const char *query;  /* the raw query string without '?', or NULL */
    const char *host;   /* the Host header, or NULL */
    const char *accept; /* the Accept header, or NULL */
    const uint8_t *body;
    size_t body_len;
    gs_http_conn *handle; /* for GS_HTTP_DEFER */
} gs_http_request;

/* What a handler answers. body is released with free_body(free_cls) once
 * sent (free_body NULL: body is static or outlives the server); for malloc'd
 * bytes set free_body = free and free_cls = the pointer. Use the helpers
 * below rather than filling it by hand. content_type and cache_control are
 * static strings (or NULL: text/plain; charset=utf-8, and no header). */
typedef struct {
    int status;
    const char *content_type;
    const char *cache_control;
    const char *location; /* a Location header (redirects), static or NULL */
    const void *body;
    size_t len;
    void (*free_body)(void *cls);
    void *free_cls;
} gs_http_response;

#define GS_HTTP_DONE 0
#define GS_HTTP_DEFER 1
/* Fills rs and returns GS_HTTP_DONE, or keeps rq->handle and returns
 * GS_HTTP_DEFER. A handler that fails answers 500 itself (with a message
 * that names what failed); it never returns anything else. */
typedef int (*gs_http_handler)(void *ctx, const gs_http_request *rq, gs_http_response *rs);

/* Appends the daemon's own metric lines (Prometheus text format 0.0.4,
 * with # HELP and # TYPE lines) to out. */
typedef void (*gs_http_metrics_fn)(void *ctx, FILE *out);
/* The daemon's health: true when it serves; why (may be left empty) says
 * what is wrong or what it is doing. */
typedef bool (*gs_http_health_fn)(void *ctx, char *why, size_t cap);

/* Checks a listen address ("ADDR:PORT", "[IPv6]:PORT") as gs_http_start
 * would, without binding: for configuration files. */
int gs_http_listen_check(const char *listen, gs_error *err) GS_MUST_USE;
/* Starts listening. Caller owns *out (gs_http_free). */
int gs_http_start(gs_http **out, const gs_http_config *cfg, gs_error *err) GS_MUST_USE;
/* Answers every deferred request still waiting with 503, closes every
 * connection and the listening socket, frees *hp and sets it to NULL; safe
 * on NULL. */
void gs_http_free(gs_http **hp);
/* The port actually bound (for port 0). */
unsigned gs_http_port(const gs_http *h);

/* Routes method ("GET", "POST", or NULL for both) and paths starting with
 * prefix (exact: the path must equal prefix) to fn. name labels the route in
 * /metrics (e.g. "tile", "checkpoint", "add_checkpoint"); one name per route,
 * a name used twice is refused. */
int gs_http_route(gs_http *h, const char *method, const char *prefix, bool exact, const char *name,
                  gs_http_handler fn, void *ctx, gs_error *err) GS_MUST_USE;
void gs_http_set_metrics(gs_http *h, gs_http_metrics_fn fn, void *ctx);
void gs_http_set_health(gs_http *h, gs_http_health_fn fn, void *ctx);

/* The loop's side: poll gs_http_fd() for ZMQ_POLLIN, wait at most
 * gs_http_timeout_ms() (-1: no bound of its own), then call gs_http_run()
 * (cheap when nothing is ready). */
int gs_http_fd(const gs_http *h);
long gs_http_timeout_ms(gs_http *h);
void gs_http_run(gs_http *h);

/* Answers a deferred request (copies what rs says; rs->body is released as
 * for a direct answer). */
void gs_http_answer(gs_http_conn *c, const gs_http_response *rs);

/* Helpers that fill rs. Each returns GS_HTTP_DONE, so a handler can
 * `return gs_http_text(rs, 404, "no such tile\n");`. When memory runs out
 * they answer 503 with a static body. */
int gs_http_text(gs_http_response *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes ownership of body (malloc'd). */
int gs_http_take(gs_http_response *rs, int status, const char *content_type,
                 const char *cache_control, void *body, size_t len);
/* Borrows body, which must outlive the server or be static. */
int gs_http_static(gs_http_response *rs, int status, const char *content_type,
                   const char *cache_control, const void *body, size_t len);

#endif
