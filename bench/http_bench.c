/* http_bench.c — tlog-tiles over HTTP from a real giamsat-node (issue 11).
 *
 * A node made by `giamsat node init` (with an open-feedback budget large
 * enough for the filler) gets ENTRIES feedback statements appended on disk
 * by `gs_tool append-feedbacks` (one process, one transaction), then runs
 * as a real giamsat-node serving HTTP on loopback. Once it serves a
 * checkpoint of the full size, one client thread drives 64 keep-alive
 * connections from one epoll loop, one request in flight per connection:
 * random full tiles (hash tiles at levels 0 and 1, entry bundles) and,
 * one request in 16, the checkpoint. A warm-up pass asks for every tile
 * once first (the daemon's tile cache holds them all afterwards, as it
 * would for a log read by many), then the load runs for a fixed time.
 *
 * Then a hub follows the node, verifies and cosigns the whole log, and the
 * same load runs against the hub's replica (served at the cosigned size).
 *
 * Figures, for the node (http_...) and then the hub (http_hub_...):
 * tiles_per_s (full tiles answered per second), requests_per_s (with the
 * checkpoints), tile_p50_ms, tile_p99_ms, checkpoint_p99_ms (from the
 * request written to the whole answer read), rss_before_mib and
 * rss_warm_mib and rss_after_mib (the daemon's VmRSS before the warm-up,
 * after it: the tile cache filled, and after the load),
 * daemon_cpu_us_per_request and client_cpu_us_per_request (CPU time per
 * answer during the load, from /proc: what an answer costs whoever else
 * uses the machine), and the load average as a line: on a machine others
 * use too, rates and latencies say as much about the scheduler as about
 * the daemon.
 *
 * Target (issue 11): >= 20,000 tile requests/s with p99 < 10 ms on the
 * 2-core machine. Run it on a Release build.
 *
 * usage: http_bench BUILD_DIR [--quick]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bench_util.h"
#include "it_util.h"

#define CONNS 64
#define BUF_CAP (1u << 20)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double vm_rss_mib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kib = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtod(line + 6, NULL);
            break;
        }
    fclose(f);
    return kib < 0 ? -1 : kib / 1024.0;
}

/* ---- the node --------------------------------------------------------------- */

/* it_node_init with --open-feedback-per-day raised: the filler is tens of
 * thousands of open feedbacks on one day, which the default budget of the
 * rule book (1000 a day) would call a breach. */
static void node_init(it_node *n, const char *bin, int port)
{
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "%s/httpbench", it_tmpdir());
    snprintf(n->conf, sizeof n->conf, "%s/node.conf", n->dir);
    snprintf(n->log, sizeof n->log, "%s/node.log", n->dir);
    snprintf(n->ipc, sizeof n->ipc, "ipc://%s/node.sock", n->dir);
    snprintf(n->origin, sizeof n->origin, "giamsat/commune/httpbench");
    char cli[600], out[4096];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    char *argv[] = {
        cli,       "node",      "init",   "--dir", n->dir,     "--tier", "commune",
        "--unit",  "httpbench", "--name", "Bench", "--listen", n->ipc,   "--open-feedback-per-day",
        "1000000", NULL};
    int st = it_run(argv, out, sizeof out);
    if (st != 0)
        it_die("giamsat node init exited %d: %s", st, out);
    FILE *f = fopen(n->conf, "a");
    if (f == NULL)
        it_die("cannot append to %s", n->conf);
    fprintf(f, "[node]\nhttp = 127.0.0.1:%d\nlog_level = warn\n", port);
    fclose(f);
    char key_path[600];
    snprintf(key_path, sizeof key_path, "%s/node.key", n->dir);
    gs_error err;
    if (gs_keyfile_read(key_path, NULL, &n->key, &err) != 0)
        it_die("%s", err.msg);
}

static void fill(const it_node *n, const char *bin, long count)
{
    char tool[600], db[600], num[32], out[256];
    snprintf(tool, sizeof tool, "%s/tests/gs_tool", bin);
    snprintf(db, sizeof db, "%s/node.db", n->dir);
    snprintf(num, sizeof num, "%ld", count);
    char *argv[] = {tool, "append-feedbacks", db, it_arg(n->origin), num, "tile bench", NULL};
    int st = it_run(argv, out, sizeof out);
    if (st != 0)
        it_die("gs_tool append-feedbacks exited %d: %s", st, out);
}

/* ---- the client -------------------------------------------------------------- */

typedef struct {
    int fd;
    char *buf;
    size_t got;
    double sent;
    bool checkpoint; /* what is in flight */
} conn;

typedef struct {
    char (*paths)[256];
    size_t n_paths;
    char checkpoint[256];
    double *tile_ms, *cp_ms;
    size_t n_tile, n_cp, cap;
    uint64_t errors;
    uint64_t bytes;
    unsigned seed;
    bool record;
} load;

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        it_die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_request(load *ld, conn *c, const char *path)
{
    char rq[512];
    int n = snprintf(rq, sizeof rq, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    c->got = 0;
    c->sent = gs_bench_now();
    c->checkpoint = path == ld->checkpoint;
    for (int off = 0; off < n;) {
        ssize_t w = write(c->fd, rq + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            it_die("write: %s", strerror(errno));
        off += (int)w;
    }
}

static const char *next_path(load *ld)
{
    unsigned r = rand_r(&ld->seed);
    if (r % 16 == 0)
        return ld->checkpoint;
    return ld->paths[(r / 16) % ld->n_paths];
}

/* True once c holds a whole answer (Content-Length framing: the daemon
 * answers with a known length). */
static bool complete(load *ld, conn *c)
{
    char *end = memmem(c->buf, c->got, "\r\n\r\n", 4);
    if (end == NULL)
        return false;
    size_t head = (size_t)(end - c->buf) + 4;
    const char *cl = strcasestr(c->buf, "\r\ncontent-length:");
    if (cl == NULL || cl > end)
        it_die("an answer without Content-Length: %.200s", c->buf);
    size_t len = strtoul(cl + 17, NULL, 10);
    if (c->got < head + len)
        return false;
    if (c->got > head + len)
        it_die("more bytes than one answer (nothing was pipelined)");
    if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0)
        ld->errors++;
    ld->bytes += len;
    return true;
}

/* Runs the load for secs (or, with paths_once, until every path was asked
 * once): returns the answers received. */
static uint64_t run(load *ld, conn *cs, int ep, double secs, bool paths_once)
{
    uint64_t answers = 0;
    size_t next_once = 0;
    double end = gs_bench_now() + secs;
    int in_flight = 0;
    for (int i = 0; i < CONNS; i++) {
        const char *p =
            paths_once ? (next_once < ld->n_paths ? ld->paths[next_once++] : NULL) : next_path(ld);
        if (p == NULL)
            break;
        send_request(ld, &cs[i], p);
        in_flight++;
    }
    struct epoll_event evs[CONNS];
    while (in_flight > 0) {
        int n = epoll_wait(ep, evs, CONNS, 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            it_die("epoll_wait: %s", strerror(errno));
        double now = gs_bench_now();
        for (int i = 0; i < n; i++) {
            conn *c = &cs[evs[i].data.u32];
            ssize_t r = read(c->fd, c->buf + c->got, BUF_CAP - 1 - c->got);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0)
                it_die("the daemon closed a keep-alive connection (%s)",
                       r < 0 ? strerror(errno) : "EOF");
            c->got += (size_t)r;
            c->buf[c->got] = '\0';
            if (!complete(ld, c))
                continue;
            answers++;
            if (ld->record) {
                double ms = (now - c->sent) * 1000;
                if (c->checkpoint && ld->n_cp < ld->cap)
                    ld->cp_ms[ld->n_cp++] = ms;
                else if (!c->checkpoint && ld->n_tile < ld->cap)
                    ld->tile_ms[ld->n_tile++] = ms;
            }
            const char *p = NULL;
            if (paths_once)
                p = next_once < ld->n_paths ? ld->paths[next_once++] : NULL;
            else if (now < end)
                p = next_path(ld);
            if (p != NULL)
                send_request(ld, c, p);
            else
                in_flight--;
        }
    }
    return answers;
}

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

/* Loads the daemon pid serving origin (size entries) on port for secs and
 * prints the figures, named prefix_... */
/* One GET on a fresh connection; the whole answer into buf (NUL-ended). */
static void get_once(int port, const char *path, char *buf, size_t cap)
{
    int fd = connect_to(port);
    char rq[512];
    int n = snprintf(rq, sizeof rq,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (write(fd, rq, (size_t)n) != n)
        it_die("write: %s", strerror(errno));
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || got + (size_t)r >= cap - 1) {
            if (r > 0)
                got += (size_t)r;
            break;
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
}

/* The hub builds its web data (report, events, feeds) on a thread once it
 * cosigned: waited for, so the load below measures serving, not the build,
 * and the build's own cost is a figure of its own. */
static void wait_web_data(int port, const char *origin, uint64_t size, pid_t pid)
{
    char want[256], buf[8192];
    snprintf(want, sizeof want, "\"origin\":\"%s\",\"size\":%llu}", origin,
             (unsigned long long)size);
    double t0 = gs_bench_now(), rss_before = vm_rss_mib(pid), peak = rss_before;
    for (;;) {
        get_once(port, "/data/status.json", buf, sizeof buf);
        double rss = vm_rss_mib(pid);
        if (rss > peak)
            peak = rss;
        if (strstr(buf, want) != NULL && strstr(buf, "\"building\":false") != NULL)
            break;
        if (gs_bench_now() - t0 > IT_WAIT_MS / 1000.0)
            it_die("the hub's web data does not cover %s at %llu: %s", origin,
                   (unsigned long long)size, buf);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    gs_bench_figure("http_hub_data_build_s", gs_bench_now() - t0, "s");
    gs_bench_figure("http_hub_data_rss_before_mib", rss_before, "MiB");
    gs_bench_figure("http_hub_data_rss_peak_mib", peak, "MiB");
    gs_bench_figure("http_hub_data_rss_after_mib", vm_rss_mib(pid), "MiB");
}

static void measure(const char *prefix, pid_t pid, int port, const char *origin, uint64_t size,
                    double secs, const char *log_path)
{
    load ld = {.seed = 11, .cap = 4000000};
    snprintf(ld.checkpoint, sizeof ld.checkpoint, "/%s/checkpoint", origin);
    size_t full0 = (size_t)(size / 256), full1 = (size_t)(size / 65536);
    ld.paths = calloc(2 * full0 + full1 + 1, sizeof *ld.paths);
    ld.tile_ms = malloc(ld.cap * sizeof *ld.tile_ms);
    ld.cp_ms = malloc(ld.cap * sizeof *ld.cp_ms);
    if (ld.paths == NULL || ld.tile_ms == NULL || ld.cp_ms == NULL)
        it_die("out of memory");
    char ns[64];
    for (size_t i = 0; i < full0; i++) {
        spell(i, ns, sizeof ns);
        snprintf(ld.paths[ld.n_paths++], sizeof ld.paths[0], "/%s/tile/0/%s", origin, ns);
        snprintf(ld.paths[ld.n_paths++], sizeof ld.paths[0], "/%s/tile/entries/%s", origin, ns);
    }
    for (size_t i = 0; i < full1; i++) {
        spell(i, ns, sizeof ns);
        snprintf(ld.paths[ld.n_paths++], sizeof ld.paths[0], "/%s/tile/1/%s", origin, ns);
    }
    printf("%s: %zu full tiles (%zu at level 0, %zu bundles, %zu at level 1)\n", prefix, ld.n_paths,
           full0, full0, full1);

    int ep = epoll_create1(0);
    conn cs[CONNS];
    for (int i = 0; i < CONNS; i++) {
        cs[i] = (conn){.fd = connect_to(port), .buf = malloc(BUF_CAP)};
        if (cs[i].buf == NULL)
            it_die("out of memory");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) != 0)
            it_die("epoll_ctl: %s", strerror(errno));
    }

    double rss_before = vm_rss_mib(pid);
    double t0 = gs_bench_now();
    run(&ld, cs, ep, 0, true);
    printf("%s: warm-up: every tile once in %.2f s\n", prefix, gs_bench_now() - t0);
    if (ld.errors != 0)
        it_die("%llu answers were not 200 during the warm-up; see %s",
               (unsigned long long)ld.errors, log_path);

    double rss_warm = vm_rss_mib(pid);
    ld.record = true;
    double cpu0 = gs_bench_proc_cpu_s(pid), self0 = gs_bench_proc_cpu_s(getpid());
    t0 = gs_bench_now();
    run(&ld, cs, ep, secs, false);
    double elapsed = gs_bench_now() - t0;
    double cpu = gs_bench_proc_cpu_s(pid) - cpu0, self = gs_bench_proc_cpu_s(getpid()) - self0;
    double rss_after = vm_rss_mib(pid);
    if (ld.errors != 0)
        it_die("%llu answers were not 200; see %s", (unsigned long long)ld.errors, log_path);

    qsort(ld.tile_ms, ld.n_tile, sizeof *ld.tile_ms, cmp_double);
    qsort(ld.cp_ms, ld.n_cp, sizeof *ld.cp_ms, cmp_double);
    printf("%s: %zu tile and %zu checkpoint answers in %.2f s, %.1f MiB of bodies, %d "
           "connections\n",
           prefix, ld.n_tile, ld.n_cp, elapsed, (double)ld.bytes / (1024.0 * 1024.0), CONNS);
    char name[64];
#define FIGURE(suffix, value, unit)                                                                \
    do {                                                                                           \
        snprintf(name, sizeof name, "%s_%s", prefix, suffix);                                      \
        gs_bench_figure(name, value, unit);                                                        \
    } while (0)
    FIGURE("tiles_per_s", (double)ld.n_tile / elapsed, "req/s");
    FIGURE("requests_per_s", (double)(ld.n_tile + ld.n_cp) / elapsed, "req/s");
    if (ld.n_tile > 0) {
        FIGURE("tile_p50_ms", ld.tile_ms[ld.n_tile / 2], "ms");
        FIGURE("tile_p99_ms", ld.tile_ms[ld.n_tile * 99 / 100], "ms");
    }
    if (ld.n_cp > 0)
        FIGURE("checkpoint_p99_ms", ld.cp_ms[ld.n_cp * 99 / 100], "ms");
    /* What each answer costs the daemon's one thread, whoever else uses
     * the machine: 1e6 / this is what one free core would serve. */
    size_t answers = ld.n_tile + ld.n_cp;
    if (answers > 0 && cpu >= 0)
        FIGURE("daemon_cpu_us_per_request", cpu * 1e6 / (double)answers, "us");
    if (answers > 0 && self >= 0)
        FIGURE("client_cpu_us_per_request", self * 1e6 / (double)answers, "us");
    FIGURE("rss_before_mib", rss_before, "MiB");
    FIGURE("rss_warm_mib", rss_warm, "MiB");
    FIGURE("rss_after_mib", rss_after, "MiB");
#undef FIGURE
    char la[128] = "";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fgets(la, sizeof la, f) == NULL)
            la[0] = '\0';
        fclose(f);
    }
    printf("%s: load average: %s", prefix, la);

    for (int i = 0; i < CONNS; i++) {
        close(cs[i].fd);
        free(cs[i].buf);
    }
    close(ep);
    free(ld.paths);
    free(ld.tile_ms);
    free(ld.cp_ms);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: http_bench BUILD_DIR [--quick]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress lines show as they come */
    const char *bin = argv[1];
    bool quick = gs_bench_quick(argc, argv);
    long entries = quick ? 20000 : 70000;
    double secs = quick ? 3 : 15;

    it_node n;
    int node_port = it_free_port();
    node_init(&n, bin, node_port);
    double t0 = gs_bench_now();
    fill(&n, bin, entries);
    uint64_t size = (uint64_t)entries + 1; /* the Charter */
    printf("filled %llu entries in %.1f s\n", (unsigned long long)size, gs_bench_now() - t0);
    void *zctx = zmq_ctx_new();
    it_node_start(&n, bin);
    it_node_wait_ready(&n, zctx);
    it_node_wait_checkpoint(&n, zctx, size);
    measure("http", n.pid, node_port, n.origin, size, secs, n.log);

    /* The same log as a hub's replica, served at the size it cosigned. */
    it_hub h;
    int hub_port = it_free_port();
    char extra[128];
    snprintf(extra, sizeof extra, "[hub]\nhttp = 127.0.0.1:%d\nlog_level = warn\n", hub_port);
    it_hub_init(&h, bin, "httpbench", false, extra);
    char node_key[GS_VKEY_STR_MAX];
    it_vkey(node_key, n.origin, GS_VKEY_ALG_ED25519, &n.key.pub);
    const char *sources[] = {n.ipc};
    it_hub_follow(&h, bin, n.origin, node_key, sources, 1);
    t0 = gs_bench_now();
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    free(it_hub_wait_cosigned(zctx, h.ipc, n.origin, size, IT_WAIT_MS, h.log));
    printf("the hub verified and cosigned %llu entries in %.1f s\n", (unsigned long long)size,
           gs_bench_now() - t0);
    wait_web_data(hub_port, n.origin, size, h.pid);
    measure("http_hub", h.pid, hub_port, n.origin, size, secs, h.log);

    it_hub_stop(&h, SIGTERM);
    it_node_stop(&n, SIGTERM);
    zmq_ctx_term(zctx);
    it_cleanup();
    return 0;
}
