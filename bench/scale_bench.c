/* scale_bench.c — one hub following many real nodes (issue 13 item 1).
 *
 * N real giamsat-node processes (default 1,000; --nodes N; --quick: 20)
 * are made with `giamsat node init` on ipc:// endpoints, each publishing
 * its checkpoints (`publish`), each log holding its Charter and three more
 * statements (an appointment, a commitment, a progress report) written
 * through the store before the node starts. Then two hubs, one after the
 * other, follow them all:
 *   - subscribe on: every [log] has `subscribe` (the node's PUB), polled
 *     every silent_poll_interval_ms (default 60 s) and on announcements;
 *   - subscribe off (suffix _poll): the old way, every source polled every
 *     poll_interval_ms (default 1 s).
 * For each hub:
 *   scale_idle_cpu_pct  hub CPU (utime + stime from /proc/<pid>/stat) over
 *                       30 s of idle (--quick: 5 s), in % of one core, once
 *                       every log is cosigned;
 *   scale_catchup_s     the hub stopped, one more statement given to every
 *                       node meanwhile, the hub started again: seconds from
 *                       its start until it serves every log cosigned at the
 *                       new size;
 *   scale_catchup_cpu_s the hub's CPU time (user + system) over that catch-up,
 *                       start-up included: on a shared machine the wall
 *                       clock says as much about the neighbours;
 *   scale_rss_mib       the hub's VmHWM at the end (scale_rss_kib_per_log:
 *                       divided by N; scale_idle_rss_mib: its VmRSS while
 *                       idle, before the restart);
 *   scale_nodes_idle_cpu_pct  the CPU of all N nodes over the same idle
 *                       time, in % of one core: what their own wake-ups
 *                       cost the machine.
 * Also scale_nodes, load_avg_1m (the machine is shared) and the hub's open
 * descriptors (scale_hub_fds). Every child is killed at exit, also on
 * failure (atexit, SIGINT, SIGTERM; the nodes also by PR_SET_PDEATHSIG,
 * since it_die leaves with _exit; the hub by it_cleanup).
 *
 * usage: scale_bench BUILD_DIR [--quick] [--nodes N] */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "it_util.h"
#include "log.h"
#include "store.h"

typedef struct {
    it_node n;
    char publish[600];
    char log_key[GS_VKEY_STR_MAX];
    gs_keypair officer;
    uint64_t officer_seq; /* the officer's next seq */
    uint64_t size;        /* entries in the log */
} unit;

static unit *units;
static size_t n_units;
static pid_t *pids; /* every node started, for the kill at exit */
static volatile size_t n_pids;
static pid_t hub_pid;

static void kill_all(void)
{
    for (size_t i = 0; i < n_pids; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
    if (hub_pid > 0)
        kill(hub_pid, SIGKILL);
}

static void on_signal(int sig)
{
    kill_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A node that dies with this process whatever the way out (it_die leaves
 * with _exit, past atexit): the kernel sends it SIGKILL then. */
static pid_t spawn_node(const char *bin, const it_node *n)
{
    char nb[600];
    snprintf(nb, sizeof nb, "%s/node/giamsat-node", bin);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        it_die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
        int fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char *av[] = {nb, "--config", it_arg(n->conf), NULL};
        execv(nb, av);
        _exit(127);
    }
    return pid;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static double load_avg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

/* utime + stime of pid, in seconds; the bench cannot go on without it. */
static double cpu_s(pid_t pid)
{
    double s = gs_bench_proc_cpu_s((int)pid);
    if (s < 0)
        it_die("cannot read the CPU time of process %d", (int)pid);
    return s;
}

/* The CPU time of every node, in seconds: what N idle nodes cost the
 * machine (each wakes for its memory guard and its timers). */
static double nodes_cpu_s(void)
{
    double sum = 0;
    for (size_t i = 0; i < n_pids; i++)
        sum += cpu_s(pids[i]);
    return sum;
}

static size_t count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    size_t n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The Charter is entry 0 (node init); then an appointment by the node key
 * (seq 2), the officer's commitment (seq 1) and a progress report (seq 2),
 * and a signed checkpoint: written before the node starts. */
static void fill(unit *u)
{
    char path[700];
    snprintf(path, sizeof path, "%s/node.db", u->n.dir);
    gs_store *store = NULL;
    gs_log *log = NULL;
    gs_error err;
    if (gs_store_open(&store, path, &err) != 0 ||
        gs_log_open(&log, store, u->n.origin, false, &err) != 0)
        it_die("%s", err.msg);
    gs_keypair_generate(&u->officer);
    gs_buf e[3];
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = u->officer.pub;
    st.u.appointment.name = "Nguyen Van A";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    e[0] = it_sign(&st, &u->n.key, u->n.origin, 2);
    st = (gs_statement){.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = "roads";
    st.u.commitment.title = "Pave the commune roads";
    st.u.commitment.indicator = "km paved";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 12 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
    e[1] = it_sign(&st, &u->officer, u->n.origin, 1);
    st = (gs_statement){.kind = GS_BODY_PROGRESS};
    st.u.progress.commitment_id = "roads";
    st.u.progress.value = 1 * GS_FIXED_SCALE;
    st.u.progress.note = "monthly count";
    e[2] = it_sign(&st, &u->officer, u->n.origin, 2);
    gs_bytes b[3];
    for (int i = 0; i < 3; i++)
        b[i] = gs_bytes_of(e[i].p, e[i].n);
    if (gs_log_append(log, b, 3, NULL, &err) != 0)
        it_die("%s", err.msg);
    for (int i = 0; i < 3; i++)
        gs_buf_free(&e[i]);
    char *note = NULL;
    if (gs_log_sign_checkpoint(log, &u->n.key, &note, &err) != 0)
        it_die("%s", err.msg);
    free(note);
    u->size = gs_log_size(log);
    u->officer_seq = 3;
    gs_log_close(&log);
    gs_store_close(&store);
}

/* One more progress report in every log, through the running nodes. */
static void grow_all(void *zctx)
{
    for (size_t i = 0; i < n_units; i++) {
        unit *u = &units[i];
        gs_net_client *c = NULL;
        gs_error err;
        if (gs_net_client_open(&c, zctx, u->n.ipc, NULL, NULL, 120000, GS_MAX_MESSAGE, &err) != 0)
            it_die("%s", err.msg);
        gs_statement st = {.kind = GS_BODY_PROGRESS};
        st.u.progress.commitment_id = "roads";
        st.u.progress.value = (int64_t)u->size * GS_FIXED_SCALE;
        st.u.progress.note = "monthly count";
        gs_buf e = it_sign(&st, &u->officer, u->n.origin, u->officer_seq);
        char msg[600];
        gs_receipt r = {0};
        int code = it_submit(c, gs_bytes_of(e.p, e.n), &u->n.key.pub, &r, msg, sizeof msg);
        gs_receipt_clear(&r);
        gs_buf_free(&e);
        gs_net_client_close(&c);
        if (code != GS_STATUS_OK)
            it_die("%s refused a statement: %s", u->n.origin, msg);
        u->officer_seq++;
        u->size++;
    }
}

/* The size of the checkpoint endpoint serves for origin ("" for a node's
 * own), 0 when it does not answer. A long timeout: a thousand processes on
 * two cores answer slowly, and a shorter one would never see the answer. */
static uint64_t served_size(void *zctx, const char *endpoint, const char *origin)
{
    gs_net_client *c = NULL;
    gs_error err;
    uint64_t size = 0;
    if (gs_net_client_open(&c, zctx, endpoint, NULL, NULL, 120000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = origin};
    gs_response rs = {0};
    if (gs_net_client_call(c, &rq, &rs, &err) == 0 && rs.code == GS_STATUS_OK &&
        rs.result == GS_RESULT_CHECKPOINT)
        size = it_checkpoint_size(rs.u.checkpoint);
    gs_response_clear(&rs);
    gs_net_client_close(&c);
    return size;
}

/* Waits until every node serves a checkpoint of its size (signed within
 * its checkpoint interval after the last statement). */
static void wait_nodes_signed(void *zctx)
{
    int64_t end = it_now_ms() + 3600000;
    for (size_t i = 0; i < n_units; i++) {
        for (;;) {
            uint64_t s = served_size(zctx, units[i].n.ipc, "");
            if (s == units[i].size)
                break;
            if (it_now_ms() > end)
                it_die("%s does not serve a checkpoint of size %llu; see %s", units[i].n.origin,
                       (unsigned long long)units[i].size, units[i].n.log);
            it_sleep_ms(20);
        }
    }
}

/* Waits until the hub serves every log cosigned at its size; returns the
 * seconds from t0. */
static double wait_all_cosigned(void *zctx, const it_hub *h, double t0)
{
    gs_net_client *c = NULL;
    gs_error err;
    bool *done = calloc(n_units, sizeof *done);
    size_t left = n_units;
    int64_t end = it_now_ms() + 3600000;
    while (left > 0) {
        if (c == NULL &&
            gs_net_client_open(&c, zctx, h->ipc, NULL, NULL, 60000, GS_MAX_MESSAGE, &err) != 0)
            it_die("%s", err.msg);
        for (size_t i = 0; i < n_units; i++) {
            if (done[i])
                continue;
            gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = units[i].n.origin};
            gs_response rs = {0};
            if (gs_net_client_call(c, &rq, &rs, &err) != 0) {
                gs_net_client_close(&c); /* the hub is not answering yet */
                break;
            }
            bool now_done = rs.code == GS_STATUS_OK && rs.result == GS_RESULT_CHECKPOINT &&
                            it_checkpoint_size(rs.u.checkpoint) >= units[i].size;
            gs_response_clear(&rs);
            if (!now_done)
                break; /* the rest next round: the asking must not load the hub */
            done[i] = true;
            left--;
        }
        int st;
        if (waitpid(h->pid, &st, WNOHANG) == h->pid)
            it_die("giamsat-hub exited; see %s", h->log);
        if (it_now_ms() > end)
            it_die("the hub did not cosign every log (%zu left); see %s", left, h->log);
        if (left > 0)
            it_sleep_ms(100);
    }
    double secs = gs_bench_now() - t0;
    gs_net_client_close(&c);
    free(done);
    return secs;
}

static void start_hub(it_hub *h, const char *bin)
{
    it_hub_start(h, bin);
    hub_pid = h->pid;
}

static void stop_hub(it_hub *h)
{
    it_hub_stop(h, SIGTERM);
    hub_pid = 0;
}

/* One hub following every node, subscribed or polling; prints its
 * figures with suffix. */
static void run_hub(void *zctx, const char *bin, bool subscribe, double idle_s, const char *suffix)
{
    it_hub h;
    it_hub_init(&h, bin, subscribe ? "scale-sub" : "scale-poll", false,
                "[hub]\nlog_level = warn\n");
    FILE *f = fopen(h.conf, "a");
    if (f == NULL)
        it_die("cannot append to %s", h.conf);
    for (size_t i = 0; i < n_units; i++) {
        fprintf(f, "\n[log %s]\nlog_key = %s\nsource = %s\n", units[i].n.origin, units[i].log_key,
                units[i].n.ipc);
        if (subscribe)
            fprintf(f, "subscribe = %s\n", units[i].publish);
    }
    fclose(f);

    double t0 = gs_bench_now();
    start_hub(&h, bin);
    double first = wait_all_cosigned(zctx, &h, t0);
    fprintf(stderr, "hub%s: every log cosigned %.1f s after its first start\n", suffix, first);
    /* Idle: nothing changes in any log. */
    it_sleep_ms(2000);
    double n0 = nodes_cpu_s();
    double c0 = cpu_s(h.pid), w0 = gs_bench_now();
    it_sleep_ms((long)(idle_s * 1000));
    double idle = 100.0 * (cpu_s(h.pid) - c0) / (gs_bench_now() - w0);
    double nodes_idle = 100.0 * (nodes_cpu_s() - n0) / (gs_bench_now() - w0);
    double idle_rss = it_rss_mib(h.pid, false);
    size_t fds = count_fds(h.pid);

    /* Catch-up: the logs grow while the hub is down. */
    stop_hub(&h);
    grow_all(zctx);
    wait_nodes_signed(zctx);
    t0 = gs_bench_now();
    start_hub(&h, bin);
    double catchup = wait_all_cosigned(zctx, &h, t0);
    double catchup_cpu = cpu_s(h.pid);
    double rss = it_rss_mib(h.pid, true);
    char name[64];
    snprintf(name, sizeof name, "scale_idle_cpu_pct%s", suffix);
    gs_bench_figure(name, idle, "%core");
    snprintf(name, sizeof name, "scale_catchup_s%s", suffix);
    gs_bench_figure(name, catchup, "s");
    snprintf(name, sizeof name, "scale_catchup_cpu_s%s", suffix);
    gs_bench_figure(name, catchup_cpu, "s");
    snprintf(name, sizeof name, "scale_rss_mib%s", suffix);
    gs_bench_figure(name, rss, "MiB");
    snprintf(name, sizeof name, "scale_rss_kib_per_log%s", suffix);
    gs_bench_figure(name, rss * 1024 / (double)n_units, "KiB");
    snprintf(name, sizeof name, "scale_idle_rss_mib%s", suffix);
    gs_bench_figure(name, idle_rss, "MiB");
    snprintf(name, sizeof name, "scale_hub_fds%s", suffix);
    gs_bench_figure(name, (double)fds, "fds");
    snprintf(name, sizeof name, "scale_nodes_idle_cpu_pct%s", suffix);
    gs_bench_figure(name, nodes_idle, "%core");
    stop_hub(&h);
    gs_keypair_wipe(&h.key);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: scale_bench BUILD_DIR [--quick] [--nodes N]\n");
        return 2;
    }
    const char *bin = argv[1];
    bool quick = gs_bench_quick(argc, argv);
    n_units = quick ? 20 : 1000;
    double idle_s = quick ? 5 : 30;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
            n_units = strtoul(argv[++i], NULL, 10);
    if (n_units == 0 || n_units > 4096) {
        fprintf(stderr, "scale_bench: --nodes takes 1 to 4096\n");
        return 2;
    }
    raise_fd_limit();
    gs_bench_figure("load_avg_1m", load_avg(), "load");
    gs_bench_figure("scale_nodes", (double)n_units, "nodes");
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    units = calloc(n_units, sizeof *units);
    pids = calloc(n_units, sizeof *pids);
    if (units == NULL || pids == NULL)
        it_die("out of memory");
    (void)it_tmpdir(); /* its cleanup runs after kill_all (atexit: last in, first out) */
    atexit(kill_all);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    double t = gs_bench_now();
    for (size_t i = 0; i < n_units; i++) {
        unit *u = &units[i];
        char name[32], extra[900];
        snprintf(name, sizeof name, "n%zu", i);
        /* Made before node init: the publish endpoint is in its folder. */
        snprintf(u->publish, sizeof u->publish, "ipc://%s/%s/pub.sock", it_tmpdir(), name);
        snprintf(extra, sizeof extra,
                 "[node]\nlog_level = warn\nverify_threads = 0\nstart_check_ms = 0\n"
                 "publish = %s\n",
                 u->publish);
        it_node_init(&u->n, bin, name, false, extra);
        it_vkey(u->log_key, u->n.origin, GS_VKEY_ALG_ED25519, &u->n.key.pub);
        fill(u);
    }
    fprintf(stderr, "%zu nodes made in %.1f s\n", n_units, gs_bench_now() - t);
    t = gs_bench_now();
    void *zctx = zmq_ctx_new();
    zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, 65536);
    for (size_t i = 0; i < n_units; i++) {
        pids[i] = units[i].n.pid = spawn_node(bin, &units[i].n);
        n_pids = i + 1;
    }
    wait_nodes_signed(zctx);
    fprintf(stderr, "%zu nodes serving %.1f s after their start\n", n_units, gs_bench_now() - t);

    run_hub(zctx, bin, true, idle_s, "");
    run_hub(zctx, bin, false, idle_s, "_poll");
    gs_bench_figure("load_avg_1m_end", load_avg(), "load");

    kill_all();
    for (size_t i = 0; i < n_units; i++)
        waitpid(pids[i], NULL, 0);
    n_pids = 0;
    for (size_t i = 0; i < n_units; i++) {
        gs_keypair_wipe(&units[i].n.key);
        gs_keypair_wipe(&units[i].officer);
    }
    zmq_ctx_term(zctx);
    free(units);
    free(pids);
    return 0;
}
