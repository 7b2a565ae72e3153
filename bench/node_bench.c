/* node_bench.c — durable statements per second through a real giamsat-node.
 *
 * A node is made with `giamsat node init` and started as its own process,
 * listening on tcp:// with CURVE. For N = 1, 8, 64 concurrent clients (each
 * an appointed officer with its own CURVE connection), every client sends
 * pre-signed Progress statements one after another and waits for each
 * receipt (one load-generator thread drives all the connections), so every
 * figure counts statements that were on disk before they were answered.
 * Prints, per N: statements_per_s_cN, p50_ms_cN, p99_ms_cN, the node's CPU
 * time per statement; then the node's peak_rss_mib, and its RSS after each
 * run to show it does not grow with the log.
 *
 * The figures it replaces come first, in the same run: a node in
 * receipt_mode = single (one signature per receipt, as before batch
 * receipts) at 64 clients (`…_single`), and the receipt signing cost per
 * statement both ways, measured in this process.
 *
 * With --before OTHER_BUILD_DIR, a node built from other sources (the code
 * before a change: `git worktree add` the old commit and build it) also runs
 * at 64 clients, between the two, with the defaults (`…_before`): a change
 * to the node is compared with what it replaces in the same run.
 *
 * With --clients N[,N...], the default node runs at those numbers of
 * clients instead of 1, 8 and 64 (at most 256): more clients in flight
 * show whether the rate was waiting on them.
 *
 * usage: node_bench BUILD_DIR [--quick] [--before OTHER_BUILD_DIR] [--clients LIST]
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "it_util.h"

typedef struct {
    const it_node *node;
    void *zctx;
    gs_keypair key;
    uint64_t seq;
    gs_buf *frames; /* encoded Submit requests, ready to send */
    size_t n;
    double *latency_ms;
    int failed;
} client;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double node_rss_mib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kib = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            kib = strtod(line + strlen(field), NULL);
    fclose(f);
    return kib / 1024.0;
}

/* CPU seconds (user + system, every thread: ZeroMQ's I/O thread, which
 * does the CURVE boxes, included) this load generator used so far. */
static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The machine's idle and total CPU time so far, in clock ticks over every
 * core (the first line of /proc/stat: idle and iowait are the idle). */
static bool machine_ticks(double *idle, double *total)
{
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    int got = f != NULL ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                                 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7])
                        : 0;
    if (f != NULL)
        fclose(f);
    if (got != 8)
        return false;
    *idle = (double)(v[3] + v[4]);
    *total = 0;
    for (int i = 0; i < 8; i++)
        *total += (double)v[i];
    return true;
}

/* One thread drives every client's DEALER socket through zmq_poll, one
 * request in flight per client: the load generator spends its CPU on the
 * sockets, not on thread switches, leaving the cores to the node. */
static int drive(client *cs, int n_clients, void *zctx, const it_node *node)
{
    void **socks = calloc((size_t)n_clients, sizeof *socks);
    zmq_pollitem_t *items = calloc((size_t)n_clients, sizeof *items);
    size_t *next = calloc((size_t)n_clients, sizeof *next);
    double *sent_at = calloc((size_t)n_clients, sizeof *sent_at);
    gs_error err;
    int rc = 0, done = 0;
    for (int i = 0; i < n_clients; i++) {
        gs_net_curve curve;
        if (gs_net_curve_client(&curve, &node->key.pub, &cs[i].key, &err) != 0 ||
            gs_net_dealer_open(&socks[i], zctx, node->tcp, &curve,
                               GS_MAX_MESSAGE + GS_NET_FRAME_SLACK, &err) != 0)
            it_die("%s", err.msg);
        items[i] = (zmq_pollitem_t){.socket = socks[i], .events = ZMQ_POLLIN};
        sent_at[i] = gs_bench_now();
        zmq_send(socks[i], cs[i].frames[0].p, cs[i].frames[0].n, 0);
    }
    while (done < n_clients) {
        int r = zmq_poll(items, n_clients, 30000);
        if (r <= 0) {
            fprintf(stderr, "no answer from the node within 30 s\n");
            rc = -1;
            break;
        }
        for (int i = 0; i < n_clients; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, socks[i], 0) < 0) {
                zmq_msg_close(&m);
                continue;
            }
            client *c = &cs[i];
            c->latency_ms[next[i]] = (gs_bench_now() - sent_at[i]) * 1000.0;
            gs_response rs = {0};
            if (gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                        GS_MAX_MESSAGE, &rs, &err) != 0 ||
                rs.code != GS_STATUS_OK) {
                fprintf(stderr, "statement refused: %s\n",
                        rs.message != NULL ? rs.message : err.msg);
                c->failed = 1;
            }
            gs_response_clear(&rs);
            zmq_msg_close(&m);
            if (++next[i] == c->n || c->failed) {
                items[i].events = 0;
                done++;
                continue;
            }
            sent_at[i] = gs_bench_now();
            zmq_send(socks[i], c->frames[next[i]].p, c->frames[next[i]].n, 0);
        }
    }
    for (int i = 0; i < n_clients; i++)
        zmq_close(socks[i]);
    free(socks);
    free(items);
    free(next);
    free(sent_at);
    return rc;
}

static void submit_or_die(gs_net_client *c, gs_statement *st, const gs_keypair *kp,
                          const char *origin, uint64_t seq)
{
    gs_buf e = it_sign(st, kp, origin, seq);
    char msg[600];
    int code = it_submit(c, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg);
    gs_buf_free(&e);
    if (code != GS_STATUS_OK)
        it_die("setup statement refused: %s", msg);
}

static void run(it_node *node, void *zctx, gs_net_client *admin, uint64_t *admin_seq, int n_clients,
                size_t per_client, int round, const char *suffix)
{
    if (n_clients <= 0 || per_client == 0)
        return;
    client *cs = calloc((size_t)n_clients, sizeof *cs);
    for (int i = 0; i < n_clients; i++) {
        client *c = &cs[i];
        c->node = node;
        c->zctx = zctx;
        gs_keypair_generate(&c->key);
        char name[64], id[64];
        snprintf(name, sizeof name, "Officer %d.%d", round, i);
        snprintf(id, sizeof id, "bench-%d-%d", round, i);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = c->key.pub;
        st.u.appointment.name = name;
        st.u.appointment.role = GS_ROLE_OFFICER;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        submit_or_die(admin, &st, &node->key, node->origin, (*admin_seq)++);
        st = (gs_statement){.kind = GS_BODY_COMMITMENT};
        st.u.commitment.id = id;
        st.u.commitment.title = "Vaccinate every child";
        st.u.commitment.indicator = "children vaccinated";
        st.u.commitment.unit_of_measure = "children";
        st.u.commitment.target = 5000 * (int64_t)GS_FIXED_SCALE;
        st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
        submit_or_die(admin, &st, &c->key, node->origin, 1);
        /* Pre-sign everything: the figure is the node's, not the signer's. */
        c->n = per_client;
        c->frames = calloc(per_client, sizeof *c->frames);
        c->latency_ms = calloc(per_client, sizeof *c->latency_ms);
        for (size_t k = 0; k < per_client; k++) {
            gs_statement p = {.kind = GS_BODY_PROGRESS};
            p.u.progress.commitment_id = id;
            p.u.progress.value = (int64_t)k * GS_FIXED_SCALE;
            p.u.progress.note = "weekly count from the health station";
            gs_buf entry = it_sign(&p, &c->key, node->origin, 2 + k);
            gs_request rq = {.version = 1, .id = k + 1, .op = GS_OP_SUBMIT, .origin = ""};
            rq.u.submit.entry = entry;
            gs_error err;
            if (gs_wire_encode_request(&rq, &c->frames[k], &err) != 0)
                it_die("%s", err.msg);
            gs_buf_free(&entry);
        }
    }
    double cpu0 = gs_bench_proc_cpu_s(node->pid), self0 = self_cpu_s();
    double io0 = gs_bench_threads_cpu_s(node->pid, "ZMQbg/");
    double idle0 = 0, total0 = 0, idle1 = 0, total1 = 0;
    bool ticks = machine_ticks(&idle0, &total0);
    double t0 = gs_bench_now();
    if (drive(cs, n_clients, zctx, node) != 0)
        it_die("the load generator failed; see %s", node->log);
    double secs = gs_bench_now() - t0;
    double cpu = gs_bench_proc_cpu_s(node->pid) - cpu0;
    double self = self_cpu_s() - self0;
    double io = gs_bench_threads_cpu_s(node->pid, "ZMQbg/") - io0;
    ticks = ticks && machine_ticks(&idle1, &total1) && total1 > total0;

    size_t total = (size_t)n_clients * per_client;
    double *all = calloc(total, sizeof *all);
    size_t k = 0;
    int failed = 0;
    for (int i = 0; i < n_clients; i++) {
        failed |= cs[i].failed;
        memcpy(all + k, cs[i].latency_ms, per_client * sizeof *all);
        k += per_client;
    }
    if (failed)
        it_die("a client failed; see %s", node->log);
    qsort(all, total, sizeof *all, cmp_double);
    char name[64];
    snprintf(name, sizeof name, "statements_per_s_c%d%s", n_clients, suffix);
    gs_bench_figure(name, (double)total / secs, "statements/s");
    snprintf(name, sizeof name, "p50_ms_c%d%s", n_clients, suffix);
    gs_bench_figure(name, all[total / 2], "ms");
    snprintf(name, sizeof name, "p99_ms_c%d%s", n_clients, suffix);
    gs_bench_figure(name, all[(size_t)((double)total * 0.99)], "ms");
    snprintf(name, sizeof name, "node_cpu_us_per_statement_c%d%s", n_clients, suffix);
    gs_bench_figure(name, cpu * 1e6 / (double)total, "us");
    /* What the clients cost, and how much of the machine stayed idle: on
     * a machine whose cores the clients share with the node, the cores
     * are full at cores / (node + clients' CPU per statement), whatever
     * the node's loop does (bench/README.md). */
    if (io0 >= 0 && io >= 0) {
        snprintf(name, sizeof name, "node_zmq_io_cpu_us_per_statement_c%d%s", n_clients, suffix);
        gs_bench_figure(name, io * 1e6 / (double)total, "us");
    }
    snprintf(name, sizeof name, "clients_cpu_us_per_statement_c%d%s", n_clients, suffix);
    gs_bench_figure(name, self * 1e6 / (double)total, "us");
    if (ticks) {
        snprintf(name, sizeof name, "machine_idle_pct_c%d%s", n_clients, suffix);
        gs_bench_figure(name, 100.0 * (idle1 - idle0) / (total1 - total0), "%");
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > 0 && cpu + self > 0) {
        snprintf(name, sizeof name, "cores_full_statements_per_s_c%d%s", n_clients, suffix);
        gs_bench_figure(name, (double)cores * (double)total / (cpu + self), "statements/s");
    }
    snprintf(name, sizeof name, "node_rss_mib_after_c%d%s", n_clients, suffix);
    gs_bench_figure(name, node_rss_mib(node->pid, "VmRSS:"), "MiB");
    free(all);
    for (int i = 0; i < n_clients; i++) {
        for (size_t j = 0; j < cs[i].n; j++)
            gs_buf_free(&cs[i].frames[j]);
        free(cs[i].frames);
        free(cs[i].latency_ms);
        gs_keypair_wipe(&cs[i].key);
    }
    free(cs);
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the node spends per receipt, in CPU time of this thread (so the load
 * of the machine does not count): one signature each (receipt_mode =
 * single), or one signature per group commit of 64 plus the Merkle tree and
 * the paths (batch). */
static void receipt_cost(bool quick)
{
    enum { BATCH = 64 };
    size_t rounds = quick ? 20 : 200;
    gs_keypair kp;
    gs_keypair_generate(&kp);
    gs_receipt rs[BATCH];
    gs_buf out[BATCH];
    gs_error err;
    for (size_t i = 0; i < BATCH; i++) {
        rs[i] = (gs_receipt){.origin = "giamsat/commune/bench", .index = 1000 + i, .time = 1};
        memset(rs[i].leaf_hash.b, (int)i, 32);
    }
    double t0 = thread_cpu_s();
    for (size_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < BATCH; i++) {
            if (gs_wire_sign_receipt(&rs[i], &kp, &out[i], &err) != 0)
                it_die("%s", err.msg);
            gs_buf_free(&out[i]);
        }
    double single = thread_cpu_s() - t0;
    t0 = thread_cpu_s();
    for (size_t r = 0; r < rounds; r++) {
        if (gs_wire_sign_receipt_batch(rs, BATCH, &kp, out, &err) != 0)
            it_die("%s", err.msg);
        for (size_t i = 0; i < BATCH; i++)
            gs_buf_free(&out[i]);
    }
    double batch = thread_cpu_s() - t0;
    gs_bench_figure("receipt_sign_us_single", single * 1e6 / (double)(rounds * BATCH), "us");
    gs_bench_figure("receipt_sign_us_batch64", batch * 1e6 / (double)(rounds * BATCH), "us");
    gs_keypair_wipe(&kp);
}

/* One node, made and started afresh, through the runs of ns[]; suffix ends
 * every figure's name ("" for the node as configured by default). */
static void bench_node(const char *bin, bool quick, const char *name, const char *extra_conf,
                       const int *ns, int n_ns, const char *suffix)
{
    gs_error err;
    char conf[512];
    snprintf(conf, sizeof conf,
             "[node]\nlog_level = warn\nmax_clock_skew = 0\nverify_threads = 1\n%s", extra_conf);
    it_node node;
    it_node_init(&node, bin, name, true, conf);
    it_node_start(&node, bin);
    void *zctx = zmq_ctx_new();
    it_node_wait_ready(&node, zctx);
    gs_net_client *admin = NULL;
    if (gs_net_client_open(&admin, zctx, node.ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err))
        it_die("%s", err.msg);
    uint64_t admin_seq = it_next_seq(admin, &node.key.pub);

    for (int r = 0; r < n_ns; r++) {
        size_t total = quick ? (ns[r] == 1 ? 500 : 4000) : (ns[r] == 1 ? 3000 : 40000);
        run(&node, zctx, admin, &admin_seq, ns[r], total / (size_t)ns[r], r, suffix);
    }
    char fig[64];
    snprintf(fig, sizeof fig, "peak_rss_mib%s", suffix);
    gs_bench_figure(fig, node_rss_mib(node.pid, "VmHWM:"), "MiB");
    gs_net_client_close(&admin);
    it_node_stop(&node, SIGTERM);
    zmq_ctx_term(zctx);
    gs_keypair_wipe(&node.key);
}

int main(int argc, char **argv)
{
    const char *before = NULL;
    int ns[16] = {1, 8, 64}, n_ns = 3;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--before") == 0 && i + 1 < argc)
            before = argv[++i];
        else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc) {
            char *p = argv[++i], *end = p;
            for (n_ns = 0; n_ns < 16 && *p != '\0'; p = *end == ',' ? end + 1 : end) {
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 256 || (*end != ',' && *end != '\0')) {
                    n_ns = 0;
                    break;
                }
                ns[n_ns++] = (int)v;
            }
            if (n_ns == 0 || *p != '\0')
                argc = 0; /* a bad list: the usage line */
        } else if (strcmp(argv[i], "--quick") != 0)
            argc = 0; /* unknown: the usage line */
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: node_bench BUILD_DIR [--quick] [--before OTHER_BUILD_DIR] "
                        "[--clients N[,N...]]\n");
        return 2;
    }
    const char *bin = argv[1];
    bool quick = gs_bench_quick(argc, argv);
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    double load = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &load) != 1)
            load = -1;
        fclose(f);
    }
    gs_bench_figure("load_avg_1m", load, "load");

    receipt_cost(quick);
    /* The old way first, in the same run: one signature per receipt
     * (receipt_mode = single), at 64 clients. Then the default (batch
     * receipts: one signature per group commit) at 1, 8 and 64. */
    static const int old_ns[] = {64};
    bench_node(bin, quick, "bench-single", "receipt_mode = single\ngroup_commit_wait_us = 0\n",
               old_ns, 1, "_single");
    if (before != NULL)
        bench_node(before, quick, "bench-before", "", old_ns, 1, "_before");
    bench_node(bin, quick, "bench", "", ns, n_ns, "");
    return 0;
}
