/* hub_bench.c — a hub replicating and verifying a large log from a node.
 *
 * A node is made with `giamsat node init` (listening on tcp:// with CURVE);
 * its log is filled directly through the store with 1,000,000 pre-signed
 * statements valid under the rule book (the Charter, appointments of a few
 * officers, one commitment each, then their Progress statements in turn) and
 * a signed checkpoint. The node is started and, once it serves, a hub made
 * with `giamsat hub init` follows it over tcp:// and is started. The clock
 * runs from the hub's start until it serves a cosigned checkpoint of the
 * full size: every entry fetched, signature-checked, judged by the rule
 * book, stored, and the root compared.
 *
 * Prints replicate_entries_per_s, wall_s and the hub's peak_rss_mib (VmHWM
 * from /proc). Targets: >= 25,000 entries/s, < 64 MiB whatever the size.
 * Then a second hub, its database on PostgreSQL (the server of
 * GIAMSAT_TEST_PG, or a throwaway cluster on this machine: gs_bench_pg),
 * follows the same node: the same figures with a _pg suffix.
 *
 * usage: hub_bench BUILD_DIR [--quick] [--no-pg]   (--quick: 50,000 entries) */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "it_util.h"
#include "log.h"
#include "pool.h"
#include "store.h"

#define OFFICERS 8
#define CHUNK 20000

typedef struct {
    const char *origin;
    gs_keypair officers[OFFICERS];
    uint64_t first; /* index of the chunk's first entry */
    uint64_t base;  /* index of the first Progress statement */
    gs_buf *out;
    int64_t now;
} signer;

/* Progress statement k (0-based) is signed by officer k % OFFICERS with seq
 * 2 + k / OFFICERS (seq 1 was the officer's Commitment). */
static void sign_one(void *ctx, size_t i)
{
    signer *s = ctx;
    uint64_t k = s->first + i - s->base;
    unsigned who = (unsigned)(k % OFFICERS);
    char id[16];
    snprintf(id, sizeof id, "c%u", who);
    gs_statement st = {.kind = GS_BODY_PROGRESS};
    st.u.progress.commitment_id = id;
    st.u.progress.value = (int64_t)k * 1000;
    st.u.progress.note = "weekly count from the health station";
    st.signer = s->officers[who].pub;
    st.seq = 2 + k / OFFICERS;
    st.issued_at = s->now;
    st.origin = s->origin;
    gs_error err;
    if (gs_wire_sign_statement(&st, &s->officers[who], &s->out[i], &err) != 0)
        it_die("sign: %s", err.msg);
}

static void fill_log(it_node *n, uint64_t total, gs_pool *pool)
{
    char path[700];
    snprintf(path, sizeof path, "%s/node.db", n->dir);
    gs_store *store = NULL;
    gs_log *log = NULL;
    gs_error err;
    if (gs_store_open(&store, path, &err) != 0 ||
        gs_log_open(&log, store, n->origin, false, &err) != 0)
        it_die("%s", err.msg);
    signer s = {.origin = n->origin, .now = (int64_t)time(NULL)};
    uint64_t node_seq = 2;
    gs_buf setup[2 * OFFICERS];
    size_t ns = 0;
    for (int i = 0; i < OFFICERS; i++) {
        gs_keypair_generate(&s.officers[i]);
        char name[32];
        snprintf(name, sizeof name, "Officer %d", i);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = s.officers[i].pub;
        st.u.appointment.name = name;
        st.u.appointment.role = GS_ROLE_OFFICER;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        setup[ns++] = it_sign(&st, &n->key, n->origin, node_seq++);
    }
    for (int i = 0; i < OFFICERS; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        gs_statement st = {.kind = GS_BODY_COMMITMENT};
        st.u.commitment.id = id;
        st.u.commitment.title = "Vaccinate every child";
        st.u.commitment.indicator = "children vaccinated";
        st.u.commitment.unit_of_measure = "children";
        st.u.commitment.target = 5000 * (int64_t)GS_FIXED_SCALE;
        st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
        setup[ns++] = it_sign(&st, &s.officers[i], n->origin, 1);
    }
    gs_bytes b[2 * OFFICERS];
    for (size_t i = 0; i < ns; i++)
        b[i] = gs_bytes_of(setup[i].p, setup[i].n);
    if (gs_log_append(log, b, ns, NULL, &err) != 0)
        it_die("%s", err.msg);
    for (size_t i = 0; i < ns; i++)
        gs_buf_free(&setup[i]);
    s.base = gs_log_size(log);

    s.out = calloc(CHUNK, sizeof *s.out);
    gs_bytes *bytes = calloc(CHUNK, sizeof *bytes);
    while (gs_log_size(log) < total) {
        uint64_t left = total - gs_log_size(log);
        size_t k = left < CHUNK ? (size_t)left : CHUNK;
        s.first = gs_log_size(log);
        gs_pool_run(pool, sign_one, &s, k);
        for (size_t i = 0; i < k; i++)
            bytes[i] = gs_bytes_of(s.out[i].p, s.out[i].n);
        if (gs_log_append(log, bytes, k, NULL, &err) != 0)
            it_die("%s", err.msg);
        for (size_t i = 0; i < k; i++)
            gs_buf_free(&s.out[i]);
    }
    char *note = NULL;
    if (gs_log_sign_checkpoint(log, &n->key, &note, &err) != 0)
        it_die("%s", err.msg);
    free(note);
    free(s.out);
    free(bytes);
    for (int i = 0; i < OFFICERS; i++)
        gs_keypair_wipe(&s.officers[i]);
    gs_log_close(&log);
    gs_store_close(&store);
}

static double rss_mib(pid_t pid, const char *field)
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

/* A hub called name follows the node and is timed until it cosigns the
 * full size; its figures get the suffix. */
static void run_hub(void *zctx, const char *bin, const it_node *node, uint64_t total,
                    const char *name, const char *suffix)
{
    it_hub hub;
    it_hub_init(&hub, bin, name, false,
                "[hub]\nlog_level = warn\nverify_threads = 1\npoll_interval_ms = 100\n");
    char log_key[GS_VKEY_STR_MAX];
    it_vkey(log_key, node->origin, GS_VKEY_ALG_ED25519, &node->key.pub);
    const char *sources[] = {node->tcp};
    it_hub_follow(&hub, bin, node->origin, log_key, sources, 1);
    double t0 = gs_bench_now();
    it_hub_start(&hub, bin);
    char *note = it_hub_wait_cosigned(zctx, hub.ipc, node->origin, total, 3600 * 1000, hub.log);
    double secs = gs_bench_now() - t0;
    free(note);
    double peak = rss_mib(hub.pid, "VmHWM:");
    char fig[64];
    snprintf(fig, sizeof fig, "replicate_entries_per_s%s", suffix);
    gs_bench_figure(fig, (double)total / secs, "entries/s");
    snprintf(fig, sizeof fig, "wall_s%s", suffix);
    gs_bench_figure(fig, secs, "s");
    snprintf(fig, sizeof fig, "peak_rss_mib%s", suffix);
    gs_bench_figure(fig, peak, "MiB");
    it_hub_stop(&hub, SIGTERM);
    gs_keypair_wipe(&hub.key);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: hub_bench BUILD_DIR [--quick]\n");
        return 2;
    }
    const char *bin = argv[1];
    uint64_t total = gs_bench_quick(argc, argv) ? 50000 : 1000000;
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    gs_pool *pool = NULL;
    if (gs_pool_new(&pool, 1, &err) != 0)
        it_die("%s", err.msg);

    it_node node;
    it_node_init(&node, bin, "bench", true, "[node]\nlog_level = warn\n");
    double t = gs_bench_now();
    fill_log(&node, total, pool);
    gs_pool_free(&pool);
    fprintf(stderr, "node log of %llu entries written in %.1f s\n", (unsigned long long)total,
            gs_bench_now() - t);
    /* The node replays (and signature-checks) its whole log at start. */
    it_node_start(&node, bin);
    void *zctx = zmq_ctx_new();
    char *note = NULL;
    for (int i = 0; i < 6000 && note == NULL; i++) {
        note = it_get_checkpoint(zctx, node.ipc, "", NULL);
        int st;
        if (note == NULL && waitpid(node.pid, &st, WNOHANG) == node.pid)
            it_die("giamsat-node exited; see %s", node.log);
        if (note == NULL) {
            struct timespec ts = {0, 100 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    if (note == NULL || it_checkpoint_size(note) != total)
        it_die("the node does not serve its checkpoint of size %llu; see %s",
               (unsigned long long)total, node.log);
    free(note);

    bool pg = true;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--no-pg") == 0)
            pg = false;
    if (pg && gs_bench_pg() != 0)
        return 2;
    run_hub(zctx, bin, &node, total, "bench-hub", "");
    if (pg) {
        /* it_hub_init gives the hub a new database on the server. */
        setenv("GIAMSAT_TEST_HUB_PG", "1", 1);
        run_hub(zctx, bin, &node, total, "bench-hub-pg", "_pg");
        unsetenv("GIAMSAT_TEST_HUB_PG");
    }
    it_node_stop(&node, SIGTERM);
    zmq_ctx_term(zctx);
    gs_keypair_wipe(&node.key);
    return 0;
}
