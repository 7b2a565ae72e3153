/* test_http.c — the HTTP server core (common/http.h) against a raw-socket
 * client on loopback: routing by method and longest prefix, exact routes,
 * deferred answers, the refusals (404, 405, 413, 414), HEAD, several
 * requests on one keep-alive connection, /metrics and /healthz, and the
 * 503 that gs_http_free gives a request still waiting.
 *
 * One thread: the test sends a request, then turns the server's loop (poll
 * on its descriptor, bounded by gs_http_timeout_ms, gs_http_run) until the
 * response has arrived, with a deadline of 120 s. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"

#define DEADLINE_S 120
#define MAX_BODY 1024

typedef struct {
    gs_http *h;
    gs_http_conn *held; /* a deferred request */
    int defer_calls;
    bool healthy;
    char last_query[256];
    size_t last_body_len;
} fixture;

typedef struct {
    int status;
    char headers[4096];
    char *body;
    size_t body_len;
    bool closed; /* the server closed the connection */
} response;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- handlers ---- */

typedef struct {
    fixture *fx;
    const char *name;
} tag;

static int h_name(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    const tag *t = ctx;
    fixture *fx = t->fx;
    {
        snprintf(fx->last_query, sizeof fx->last_query, "%s", rq->query ? rq->query : "(none)");
        fx->last_body_len = rq->body_len;
    }
    return gs_http_text(rs, 200, "%s %s %s\n", t->name, rq->method, rq->path);
}

static int h_defer(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    (void)rs;
    fixture *fx = ctx;
    fx->held = rq->handle;
    fx->defer_calls++;
    return GS_HTTP_DEFER;
}

/* Defers, then answers at once from inside the handler (a waiter that
 * settles before the handler returns). */
static int h_defer_now(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    (void)ctx;
    (void)rs;
    gs_http_response now;
    gs_http_text(&now, 201, "at once\n");
    gs_http_answer(rq->handle, &now);
    return GS_HTTP_DEFER;
}

static bool health(void *ctx, char *why, size_t cap)
{
    fixture *fx = ctx;
    snprintf(why, cap, "%s", fx->healthy ? "" : "store not writable");
    return fx->healthy;
}

static void daemon_metrics(void *ctx, FILE *out)
{
    (void)ctx;
    fputs("# HELP test_entries Entries.\n# TYPE test_entries gauge\ntest_entries{log=\"a\"} 7\n",
          out);
}

static tag tag_a, tag_b, tag_x, tag_post;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->healthy = true;
    gs_error err;
    gs_http_config cfg = {.listen = "127.0.0.1:0", .max_body = MAX_BODY, .name = "test-http"};
    if (gs_http_start(&fx->h, &cfg, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    tag_a = (tag){fx, "A"};
    tag_b = (tag){fx, "B"};
    tag_x = (tag){fx, "X"};
    tag_post = (tag){fx, "P"};
    if (gs_http_route(fx->h, "GET", "/a/", false, "a", h_name, &tag_a, &err) ||
        gs_http_route(fx->h, "GET", "/a/b/", false, "b", h_name, &tag_b, &err) ||
        gs_http_route(fx->h, NULL, "/x", true, "x", h_name, &tag_x, &err) ||
        gs_http_route(fx->h, "POST", "/post", true, "post", h_name, &tag_post, &err) ||
        gs_http_route(fx->h, NULL, "/defer", true, "defer", h_defer, fx, &err) ||
        gs_http_route(fx->h, "GET", "/now", true, "now", h_defer_now, fx, &err))
        return -1;
    gs_http_set_health(fx->h, health, fx);
    gs_http_set_metrics(fx->h, daemon_metrics, fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    gs_http_free(&fx->h);
    free(fx);
    return 0;
}

/* ---- the client ---- */

static int connect_to(fixture *fx)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)gs_http_port(fx->h))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    assert_true(r == 0 || errno == EINPROGRESS);
    return fd;
}

/* One turn of the daemon's loop: wait for the server or the client. */
static void turn(fixture *fx, int cfd)
{
    struct pollfd p[2] = {{.fd = gs_http_fd(fx->h), .events = POLLIN},
                          {.fd = cfd, .events = POLLIN}};
    long t = gs_http_timeout_ms(fx->h);
    if (t < 0 || t > 50)
        t = 50;
    (void)poll(p, cfd >= 0 ? 2 : 1, (int)t);
    gs_http_run(fx->h);
}

static void send_all(fixture *fx, int fd, const char *data, size_t len)
{
    int64_t end = now_ms() + DEADLINE_S * 1000;
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        assert_true(n < 0 && (errno == EAGAIN || errno == EINPROGRESS || errno == ENOTCONN));
        assert_true(now_ms() < end);
        turn(fx, -1);
    }
}

/* Parses one response out of buf[0..*len) when complete; shifts the rest. */
static bool parse_response(char *buf, size_t *len, bool head, response *r)
{
    char *eoh = memmem(buf, *len, "\r\n\r\n", 4);
    if (!eoh)
        return false;
    size_t hlen = (size_t)(eoh - buf) + 4;
    size_t clen = 0;
    const char *cl = memmem(buf, hlen, "\r\nContent-Length: ", 18);
    if (cl)
        clen = strtoul(cl + 18, NULL, 10);
    size_t blen = head ? 0 : clen;
    if (*len < hlen + blen)
        return false;
    assert_true(sscanf(buf, "HTTP/1.1 %d ", &r->status) == 1);
    assert_true(hlen < sizeof r->headers);
    memcpy(r->headers, buf, hlen);
    r->headers[hlen] = '\0';
    r->body = malloc(blen + 1);
    assert_non_null(r->body);
    memcpy(r->body, buf + hlen, blen);
    r->body[blen] = '\0';
    r->body_len = blen;
    memmove(buf, buf + hlen + blen, *len - hlen - blen);
    *len -= hlen + blen;
    return true;
}

/* Turns the loop until one response arrived on fd (or fd closed). */
static void read_response(fixture *fx, int fd, bool head, response *r)
{
    static char buf[1 << 20];
    static size_t len;
    memset(r, 0, sizeof *r);
    int64_t end = now_ms() + DEADLINE_S * 1000;
    for (;;) {
        if (parse_response(buf, &len, head, r))
            return;
        ssize_t n = recv(fd, buf + len, sizeof buf - len, 0);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            r->closed = true;
            len = 0;
            return;
        }
        assert_true(errno == EAGAIN);
        assert_true(now_ms() < end);
        turn(fx, fd);
    }
}

static void response_clear(response *r)
{
    free(r->body);
    r->body = NULL;
}

static bool has_header(const response *r, const char *line)
{
    return strstr(r->headers, line) != NULL;
}

static void request(fixture *fx, int fd, const char *req, bool head, response *r)
{
    send_all(fx, fd, req, strlen(req));
    read_response(fx, fd, head, r);
}

/* One request on a fresh connection. */
static void get1(fixture *fx, const char *req, response *r)
{
    int fd = connect_to(fx);
    request(fx, fd, req, strncmp(req, "HEAD ", 5) == 0, r);
    close(fd);
}

/* ---- tests ---- */

static void test_routing(void **state)
{
    fixture *fx = *state;
    static const struct {
        const char *req;
        int status;
        const char *body;
    } cases[] = {
        {"GET /a/b/c HTTP/1.1\r\nHost: t\r\n\r\n", 200, "B GET /a/b/c\n"},
        {"GET /a/b/ HTTP/1.1\r\nHost: t\r\n\r\n", 200, "B GET /a/b/\n"},
        {"GET /a/b HTTP/1.1\r\nHost: t\r\n\r\n", 200, "A GET /a/b\n"},
        {"GET /a/c%20d HTTP/1.1\r\nHost: t\r\n\r\n", 200, "A GET /a/c%20d\n"},
        {"GET /x HTTP/1.1\r\nHost: t\r\n\r\n", 200, "X GET /x\n"},
        {"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc", 200, "X POST /x\n"},
        {"GET /x/ HTTP/1.1\r\nHost: t\r\n\r\n", 404, NULL},
        {"GET /xy HTTP/1.1\r\nHost: t\r\n\r\n", 404, NULL},
        {"GET / HTTP/1.1\r\nHost: t\r\n\r\n", 404, NULL},
        {"GET /b/ HTTP/1.1\r\nHost: t\r\n\r\n", 404, NULL},
        {"POST /a/b/c HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405, NULL},
        {"GET /post HTTP/1.1\r\nHost: t\r\n\r\n", 405, NULL},
        {"PUT /a/b HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi", 405, NULL},
        {"DELETE /x HTTP/1.1\r\nHost: t\r\n\r\n", 405, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        response r;
        get1(fx, cases[i].req, &r);
        if (r.status != cases[i].status)
            fail_msg("case %zu (%s): status %d, want %d", i, cases[i].req, r.status,
                     cases[i].status);
        if (cases[i].body)
            assert_string_equal(r.body, cases[i].body);
        if (r.status == 405)
            assert_true(has_header(&r, "\r\nAllow: "));
        assert_true(has_header(&r, "\r\nServer: test-http\r\n"));
        response_clear(&r);
    }
}

static void test_query_and_body(void **state)
{
    fixture *fx = *state;
    response r;
    get1(fx, "GET /a/q?lang=vi&x=%41 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "A GET /a/q\n");
    assert_string_equal(fx->last_query, "lang=vi&x=%41");
    response_clear(&r);
    get1(fx, "GET /a/q HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_string_equal(fx->last_query, "(none)");
    response_clear(&r);

    /* A body at the limit is handed over whole, also when chunked. */
    char req[MAX_BODY + 256];
    int n = snprintf(req, sizeof req,
                     "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", MAX_BODY);
    memset(req + n, 'z', MAX_BODY);
    req[n + MAX_BODY] = '\0';
    get1(fx, req, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(fx->last_body_len, MAX_BODY);
    response_clear(&r);
    get1(fx,
         "POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
         &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(fx->last_body_len, 11);
    response_clear(&r);
}

static void test_limits(void **state)
{
    fixture *fx = *state;
    response r;
    /* Declared too large: 413 before the body is read. */
    char req[8192];
    snprintf(req, sizeof req, "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
             MAX_BODY + 1);
    get1(fx, req, &r);
    assert_int_equal(r.status, 413);
    response_clear(&r);

    /* Chunked beyond the limit: the connection is dropped. */
    int fd = connect_to(fx);
    char chunk[MAX_BODY + 256];
    int n = snprintf(chunk, sizeof chunk,
                     "POST /post HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n",
                     MAX_BODY + 1);
    memset(chunk + n, 'y', MAX_BODY + 1);
    memcpy(chunk + n + MAX_BODY + 1, "\r\n0\r\n\r\n", 7);
    send_all(fx, fd, chunk, (size_t)n + MAX_BODY + 1 + 7);
    read_response(fx, fd, false, &r);
    assert_true(r.closed || r.status == 413);
    response_clear(&r);
    close(fd);

    /* A path of GS_HTTP_MAX_PATH is routed; one byte more is 414. */
    for (int extra = 0; extra <= 1; extra++) {
        int len = GS_HTTP_MAX_PATH + extra;
        n = snprintf(req, sizeof req, "GET /a/");
        memset(req + n, 'p', (size_t)(len - 3));
        snprintf(req + n + len - 3, sizeof req - (size_t)(n + len - 3),
                 " HTTP/1.1\r\nHost: t\r\n\r\n");
        get1(fx, req, &r);
        assert_int_equal(r.status, extra ? 414 : 200);
        response_clear(&r);
    }
    /* A long query is 414 too. */
    n = snprintf(req, sizeof req, "GET /a/?");
    memset(req + n, 'q', 5000);
    snprintf(req + n + 5000, sizeof req - (size_t)(n + 5000), " HTTP/1.1\r\nHost: t\r\n\r\n");
    get1(fx, req, &r);
    assert_int_equal(r.status, 414);
    response_clear(&r);
}

static void test_head_and_keepalive(void **state)
{
    fixture *fx = *state;
    int fd = connect_to(fx);
    response r;
    const char *body = "B GET /a/b/k\n";
    for (int i = 0; i < 5; i++) {
        request(fx, fd, "GET /a/b/k HTTP/1.1\r\nHost: t\r\n\r\n", false, &r);
        assert_false(r.closed);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, body);
        response_clear(&r);
        /* HEAD: the headers of GET, no body (the next response parses). */
        request(fx, fd, "HEAD /a/b/k HTTP/1.1\r\nHost: t\r\n\r\n", true, &r);
        assert_false(r.closed);
        assert_int_equal(r.status, 200);
        char want[64];
        snprintf(want, sizeof want, "\r\nContent-Length: %zu\r\n", strlen(body));
        assert_true(has_header(&r, want));
        response_clear(&r);
        /* A refusal keeps the connection too. */
        request(fx, fd, "GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n", false, &r);
        assert_false(r.closed);
        assert_int_equal(r.status, 404);
        response_clear(&r);
    }
    /* Pipelined: three at once, three answers in order. */
    const char *three = "GET /a/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\n\r\n"
                        "GET /a/b/2 HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(fx, fd, three, strlen(three));
    const char *want[] = {"A GET /a/1\n", "X GET /x\n", "B GET /a/b/2\n"};
    for (int i = 0; i < 3; i++) {
        read_response(fx, fd, false, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, want[i]);
        response_clear(&r);
    }
    close(fd);
}

/* A connection whose GET /defer the handler has deferred (fx->held). */
static int deferred_request(fixture *fx)
{
    int fd = connect_to(fx);
    send_all(fx, fd, "GET /defer HTTP/1.1\r\nHost: t\r\n\r\n",
             strlen("GET /defer HTTP/1.1\r\nHost: t\r\n\r\n"));
    int64_t end = now_ms() + DEADLINE_S * 1000;
    while (fx->defer_calls == 0) {
        assert_true(now_ms() < end);
        turn(fx, fd);
    }
    return fd;
}

static void test_defer(void **state)
{
    fixture *fx = *state;
    int fd = deferred_request(fx);
    assert_non_null(fx->held);
    /* Nothing is sent while the request waits. */
    for (int i = 0; i < 5; i++)
        turn(fx, -1);
    char b;
    assert_true(recv(fd, &b, 1, 0) < 0 && errno == EAGAIN);
    gs_http_response rs;
    char *body = strdup("later\n");
    assert_non_null(body);
    gs_http_take(&rs, 202, "text/plain", NULL, body, 6);
    gs_http_answer(fx->held, &rs);
    fx->held = NULL;
    assert_int_equal(gs_http_timeout_ms(fx->h), 0);
    response r;
    read_response(fx, fd, false, &r);
    assert_int_equal(r.status, 202);
    assert_string_equal(r.body, "later\n");
    response_clear(&r);
    /* The connection serves the next request. */
    request(fx, fd, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n", false, &r);
    assert_int_equal(r.status, 200);
    response_clear(&r);
    /* Answered from inside the handler that defers: sent at once. */
    request(fx, fd, "GET /now HTTP/1.1\r\nHost: t\r\n\r\n", false, &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "at once\n");
    response_clear(&r);
    close(fd);
}

/* Everything the server sends until it closes the connection. */
static void read_to_close(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_true(poll(&p, 1, DEADLINE_S * 1000) == 1);
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
}

static void test_free_answers_503(void **state)
{
    fixture *fx = *state;
    int fd = deferred_request(fx);
    gs_http_free(&fx->h);
    assert_null(fx->h);
    char buf[4096];
    read_to_close(fd, buf, sizeof buf);
    assert_true(strncmp(buf, "HTTP/1.1 503 ", 13) == 0);
    close(fd);
}

/* An answer the owner gave just before the stop (the hub answering its
 * waiters as it stops) still reaches the client. */
static void test_answer_then_free(void **state)
{
    fixture *fx = *state;
    int fd = deferred_request(fx);
    gs_http_response rs;
    gs_http_text(&rs, 503, "the hub is stopping\n");
    gs_http_answer(fx->held, &rs);
    gs_http_free(&fx->h);
    char buf[4096];
    read_to_close(fd, buf, sizeof buf);
    assert_true(strncmp(buf, "HTTP/1.1 503 ", 13) == 0);
    assert_non_null(strstr(buf, "the hub is stopping"));
    close(fd);
}

static bool metric_value(const char *text, const char *series, double *v)
{
    size_t sl = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, series, sl) == 0 && p[sl] == ' ') {
            *v = strtod(p + sl + 1, NULL);
            return true;
        }
    return false;
}

static void test_metrics_and_health(void **state)
{
    fixture *fx = *state;
    response r;
    for (int i = 0; i < 3; i++) {
        get1(fx, "GET /a/b/m HTTP/1.1\r\nHost: t\r\n\r\n", &r);
        response_clear(&r);
    }
    get1(fx, "GET /zz HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    response_clear(&r);
    get1(fx, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "\r\nContent-Type: text/plain; version=0.0.4"));

    /* Every line is a comment or a sample of the text format 0.0.4. */
    regex_t sample, comment;
    assert_int_equal(regcomp(&sample,
                             "^[a-zA-Z_:][a-zA-Z0-9_:]*"
                             "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})?"
                             " (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(
        regcomp(&comment, "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", REG_EXTENDED | REG_NOSUB),
        0);
    char *save = NULL;
    char *copy = strdup(r.body);
    assert_non_null(copy);
    int lines = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (regexec(line[0] == '#' ? &comment : &sample, line, 0, NULL, 0) != 0)
            fail_msg("not a metric line: %s", line);
        lines++;
    }
    assert_true(lines > 20);
    free(copy);
    regfree(&sample);
    regfree(&comment);

    double v;
    assert_true(metric_value(r.body, "giamsat_http_requests_total{route=\"b\",code=\"2xx\"}", &v));
    assert_true(v >= 3);
    assert_true(
        metric_value(r.body, "giamsat_http_requests_total{route=\"other\",code=\"4xx\"}", &v));
    assert_true(v >= 1);
    assert_true(
        metric_value(r.body, "giamsat_http_request_duration_seconds_count{route=\"b\"}", &v));
    assert_true(v >= 3);
    assert_true(metric_value(
        r.body, "giamsat_http_request_duration_seconds_bucket{route=\"b\",le=\"+Inf\"}", &v));
    assert_true(v >= 3);
    assert_true(metric_value(r.body, "test_entries{log=\"a\"}", &v));
    assert_true(v == 7);
    response_clear(&r);

    get1(fx, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    response_clear(&r);
    fx->healthy = false;
    get1(fx, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "unhealthy: store not writable\n");
    response_clear(&r);
}

/* At max_connections libmicrohttpd accepts no more: a new connection waits
 * in the kernel's backlog until a slot is free (a client leaves, or an idle
 * connection times out), and is answered then. */
static void test_connection_limit(void **state)
{
    (void)state;
    fixture fx = {.healthy = true};
    gs_error err;
    gs_http_config cfg = {.listen = "127.0.0.1:0", .max_connections = 4};
    assert_int_equal(gs_http_start(&fx.h, &cfg, &err), 0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    int fds[4];
    response r;
    for (int i = 0; i < 4; i++) {
        fds[i] = connect_to(&fx);
        request(&fx, fds[i], req, false, &r);
        assert_int_equal(r.status, 200);
        assert_false(has_header(&r, "\r\nConnection: close"));
        response_clear(&r);
    }
    int fifth = connect_to(&fx);
    send_all(&fx, fifth, req, strlen(req));
    for (int i = 0; i < 10; i++)
        turn(&fx, fifth);
    char b;
    assert_true(recv(fifth, &b, 1, 0) < 0 && errno == EAGAIN);
    close(fds[0]);
    read_response(&fx, fifth, false, &r);
    assert_false(r.closed);
    assert_int_equal(r.status, 200);
    response_clear(&r);
    close(fifth);
    for (int i = 1; i < 4; i++)
        close(fds[i]);
    gs_http_free(&fx.h);
}

/* A request line beyond libmicrohttpd's per-connection memory is refused by
 * libmicrohttpd itself, and the server goes on. */
static void test_huge_request_line(void **state)
{
    fixture *fx = *state;
    size_t n = 40000;
    char *req = malloc(n + 64);
    assert_non_null(req);
    memcpy(req, "GET /a/", 7);
    memset(req + 7, 'h', n);
    strcpy(req + 7 + n, " HTTP/1.1\r\nHost: t\r\n\r\n");
    response r;
    int fd = connect_to(fx);
    send_all(fx, fd, req, strlen(req));
    read_response(fx, fd, false, &r);
    assert_true(r.closed || (r.status >= 400 && r.status < 500));
    response_clear(&r);
    close(fd);
    free(req);
    get1(fx, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    response_clear(&r);
}

static void test_bad_config(void **state)
{
    (void)state;
    static const char *bad[] = {"",        "127.0.0.1", "127.0.0.1:99999", "localhost:80",
                                "[::1]80", "1.2.3.4:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_http *h = NULL;
        gs_error err;
        gs_http_config cfg = {.listen = bad[i]};
        assert_int_equal(gs_http_start(&h, &cfg, &err), GS_EINVAL);
        assert_null(h);
        assert_true(strlen(err.msg) > 0);
    }
    /* A port in use says so. */
    gs_http *a = NULL, *b = NULL;
    gs_error err;
    gs_http_config cfg = {.listen = "127.0.0.1:0"};
    assert_int_equal(gs_http_start(&a, &cfg, &err), 0);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", gs_http_port(a));
    cfg.listen = listen;
    assert_int_equal(gs_http_start(&b, &cfg, &err), GS_EIO);
    assert_non_null(strstr(err.msg, "bind"));
    /* A route name labels a histogram in /metrics: one name, one route. */
    assert_int_equal(gs_http_route(a, "GET", "/one", true, "same", h_name, NULL, &err), 0);
    assert_int_equal(gs_http_route(a, "GET", "/two", true, "same", h_name, NULL, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "the name same is taken by /one"));
    gs_http_free(&a);
    gs_http_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_and_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_answers_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_then_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_and_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_request_line, setup, teardown),
        cmocka_unit_test(test_connection_limit),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
