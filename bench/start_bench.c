/* start_bench.c — how long a node takes to start, by log size (issue 13,
 * item 4): from its rule snapshot (node/startup.h) against the old full
 * replay.
 *
 * For each size (10,000,000 and 100,000 entries; --quick: 200,000 and
 * 20,000) a node is made with the real `giamsat node init`, then its log is
 * filled through the store API in big batches: Feedback statements from
 * 1,024 citizen keys, each signed once (on both cores), dated so that no
 * rule-15 limit refuses them, judged by the rule book as they are appended.
 * Where the node's own policy would have left its last snapshot in the worst
 * case (NODE_SNAPSHOT_ENTRIES = 50,000 entries before the end; half the log
 * when smaller) the bench saves the rule state sealed with the node's key,
 * as the node does at a checkpoint. The filled folder is kept under
 * $TMPDIR/giamsat-start-bench-<size> and reused by later runs (delete it to
 * build again; --build-only fills them and times nothing).
 *
 * Then real giamsat-node starts are timed, from spawn to its first answer
 * to GetCheckpoint:
 *   - node_start_s_<size>: after a crash (no clean-stop marker) with the
 *     snapshot 50,000 entries behind: the start loads it and replays the
 *     rest with every signature checked (the worst case of the policy; the
 *     background re-verification begins meanwhile at the lowest priority);
 *   - node_start_clean_s_<size>: after the clean stop of that run, which
 *     saved a snapshot of the whole log: nothing to replay;
 *   - node_start_full_s_<small size>: the old start, the whole log replayed
 *     with every signature checked (`--verify-all`, which is that plus two
 *     byte comparisons). At the large size it would take about an hour of
 *     one core, so it is extrapolated from the small one
 *     (node_start_full_s_<size>_extrapolated, linear: the replay is).
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bench_util.h"
#include "crypto.h"
#include "ingest.h"
#include "it_util.h"
#include "log.h"
#include "net.h"
#include "pool.h"
#include "rules.h"
#include "store.h"
#include "wire.h"

#define SIGNERS 1024
#define BATCH 20000
#define TAIL 50000    /* node.c NODE_SNAPSHOT_ENTRIES */
#define ROUND_S 10000 /* one statement per key per ROUND_S: 8 in any 24 h */

static void die(const char *what, const gs_error *err)
{
    fprintf(stderr, "start_bench: %s: %s\n", what, err != NULL ? err->msg : "");
    exit(2);
}

typedef struct {
    gs_keypair keys[SIGNERS];
    const char *origin;
    int64_t base;
    uint64_t first; /* log index of job 0 */
    gs_statement st[BATCH];
    gs_buf entry[BATCH];
    char text[BATCH][32];
} batch_ctx;

static void sign_one(void *ctx, size_t i)
{
    batch_ctx *b = ctx;
    uint64_t m = b->first + i - 1; /* 0-based among the feedbacks */
    gs_statement *st = &b->st[i];
    memset(st, 0, sizeof *st);
    st->kind = GS_BODY_FEEDBACK;
    st->signer = b->keys[m % SIGNERS].pub;
    st->seq = m / SIGNERS + 1;
    st->issued_at = b->base + (int64_t)(m / SIGNERS) * ROUND_S + (int64_t)(m % SIGNERS);
    st->origin = b->origin;
    snprintf(b->text[i], sizeof b->text[i], "bench feedback %llu", (unsigned long long)m);
    st->u.feedback.text = b->text[i];
    gs_error err;
    if (gs_wire_sign_statement(st, &b->keys[m % SIGNERS], &b->entry[i], &err) != 0)
        die("sign", &err);
}

static void save_snapshot(gs_store *s, const char *origin, const gs_rules_state *rules, gs_log *l,
                          const gs_keypair *node_key)
{
    gs_error err;
    gs_store_log_state ls;
    gs_buf state = {0};
    gs_hash root, check;
    gs_ingest_seal_key seal;
    if (gs_store_log_find(s, origin, false, &ls, &err) != 0 ||
        gs_rules_snapshot_write(rules, &state, &err) != 0)
        die("snapshot", &err);
    gs_log_root(l, &root);
    gs_ingest_seal_key_derive(node_key, &seal);
    gs_ingest_snapshot_check(&seal, origin, gs_rules_size(rules), &root,
                             gs_bytes_of(state.p, state.n), &check);
    if (gs_store_put_snapshot(s, ls.id, gs_rules_size(rules), &root, gs_bytes_of(state.p, state.n),
                              &check, &err) != 0)
        die("snapshot", &err);
    gs_buf_free(&state);
}

/* The node folder for `size` entries, built unless a previous run left it. */
static void build(const char *bin, it_node *n, uint64_t size, uint64_t snap_at)
{
    char done[700], cmd[2048];
    snprintf(done, sizeof done, "%s/built", n->dir);
    struct stat sb;
    if (stat(done, &sb) == 0) {
        printf("# reusing %s (%llu entries)\n", n->dir, (unsigned long long)size);
        return;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", n->dir);
    if (system(cmd) != 0)
        die("cannot clear the folder", NULL);
    char cli[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    char *argv[] = {cli,           "node",
                    "init",        "--dir",
                    n->dir,        "--tier",
                    "commune",     "--unit",
                    "start-bench", "--name",
                    "Start bench", "--listen",
                    n->ipc,        "--open-feedback-per-day",
                    "1000000",     NULL};
    char out[4096];
    if (it_run(argv, out, sizeof out) != 0)
        die(out, NULL);
    gs_error err;
    char keyfile[700];
    snprintf(keyfile, sizeof keyfile, "%s/node.key", n->dir);
    if (gs_keyfile_read(keyfile, NULL, &n->key, &err) != 0)
        die("node key", &err);

    double t0 = gs_bench_now();
    gs_store *s = NULL;
    gs_log *l = NULL;
    char db[700];
    snprintf(db, sizeof db, "%s/node.db", n->dir);
    if (gs_store_open(&s, db, &err) != 0 || gs_log_open(&l, s, n->origin, false, &err) != 0)
        die("open", &err);
    gs_rules_state *rules = NULL;
    if (gs_rules_state_new(&rules, n->origin, &err) != 0)
        die("rules", &err);
    gs_rules_params p = {.replay = true};
    gs_rule_verdict v;
    {
        gs_buf e0 = {0};
        gs_statement st = {0};
        gs_hash leaf;
        if (gs_log_entry(l, 0, &e0, &err) != 0 ||
            gs_wire_open_entry(gs_bytes_of(e0.p, e0.n), &st, &err) != 0)
            die("charter", &err);
        gs_merkle_leaf_hash(gs_bytes_of(e0.p, e0.n), &leaf);
        if (gs_rules_apply(rules, &st, &leaf, 0, &p, &v) != 0)
            die(v.message, NULL);
        gs_statement_clear(&st);
        gs_buf_free(&e0);
    }
    batch_ctx *b = calloc(1, sizeof *b);
    gs_pool *pool = NULL;
    if (b == NULL || gs_pool_new(&pool, 2, &err) != 0)
        die("out of memory", NULL);
    for (size_t i = 0; i < SIGNERS; i++) {
        uint8_t seed[32] = {0};
        memcpy(seed, &i, sizeof i);
        seed[31] = 0x5b;
        gs_keypair_from_seed(&b->keys[i], seed);
    }
    b->origin = n->origin;
    b->base = (int64_t)time(NULL) + 1;
    gs_bytes views[BATCH];
    for (uint64_t at = 1; at < size;) {
        size_t cnt = size - at < BATCH ? (size_t)(size - at) : BATCH;
        if (at < snap_at && at + cnt > snap_at)
            cnt = (size_t)(snap_at - at); /* the snapshot falls between batches */
        b->first = at;
        gs_pool_run(pool, sign_one, b, cnt);
        for (size_t i = 0; i < cnt; i++) {
            gs_hash leaf;
            gs_merkle_leaf_hash(gs_bytes_of(b->entry[i].p, b->entry[i].n), &leaf);
            if (gs_rules_apply(rules, &b->st[i], &leaf, at + i, &p, &v) != 0)
                die(v.message, NULL);
            views[i] = gs_bytes_of(b->entry[i].p, b->entry[i].n);
        }
        uint64_t first;
        if (gs_log_append(l, views, cnt, &first, &err) != 0)
            die("append", &err);
        for (size_t i = 0; i < cnt; i++)
            gs_buf_free(&b->entry[i]);
        at += cnt;
        if (at == snap_at)
            save_snapshot(s, n->origin, rules, l, &n->key);
        if ((at / BATCH) % 50 == 0 || at == size) {
            printf("# built %llu of %llu entries (%.0f s)\n", (unsigned long long)at,
                   (unsigned long long)size, gs_bench_now() - t0);
            fflush(stdout);
        }
    }
    for (size_t i = 0; i < SIGNERS; i++)
        gs_keypair_wipe(&b->keys[i]);
    free(b);
    gs_pool_free(&pool);
    gs_rules_state_free(&rules);
    gs_log_close(&l);
    gs_store_close(&s);
    FILE *f = fopen(done, "w");
    if (f == NULL)
        die("cannot write the built marker", NULL);
    fprintf(f, "%llu %llu\n", (unsigned long long)size, (unsigned long long)snap_at);
    fclose(f);
    printf("# built %s: %llu entries in %.0f s\n", n->dir, (unsigned long long)size,
           gs_bench_now() - t0);
}

/* Back to the worst case: only the snapshot at snap_at, no clean-stop
 * marker (what a crash leaves). */
static void to_worst_case(it_node *n, uint64_t snap_at)
{
    char db[700], marker[700], sql[128];
    snprintf(db, sizeof db, "%s/node.db", n->dir);
    snprintf(marker, sizeof marker, "%s/node.clean-stop", n->dir);
    unlink(marker);
    sqlite3 *h = NULL;
    snprintf(sql, sizeof sql, "DELETE FROM rule_snapshots WHERE size > %llu",
             (unsigned long long)snap_at);
    if (sqlite3_open(db, &h) != SQLITE_OK || sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
        die("cannot reset the snapshots", NULL);
    sqlite3_close(h);
}

/* Polls GetCheckpoint until the node answers: as it_node_wait_ready, with a
 * deadline long enough for a full replay on a loaded machine. */
static void wait_ready(it_node *n, void *zctx)
{
    gs_error err;
    for (double end = gs_bench_now() + 3600; gs_bench_now() < end;) {
        gs_net_client *c = NULL;
        if (gs_net_client_open(&c, zctx, n->ipc, NULL, NULL, 200, GS_MAX_MESSAGE, &err) == 0) {
            gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = ""};
            gs_response rs = {0};
            int rc = gs_net_client_call(c, &rq, &rs, &err);
            bool ok = rc == 0 && rs.code == GS_STATUS_OK;
            gs_response_clear(&rs);
            gs_net_client_close(&c);
            if (ok)
                return;
        }
        if (kill(n->pid, 0) != 0)
            die("giamsat-node exited before it was ready; see its log", NULL);
        it_sleep_ms(20);
    }
    die("giamsat-node did not become ready within an hour", NULL);
}

/* Seconds from spawn to the first answer; *cpu: the CPU seconds the node
 * had used by then. */
static double timed_start(const char *bin, it_node *n, void *zctx, bool verify_all, double *cpu)
{
    char node_bin[600];
    snprintf(node_bin, sizeof node_bin, "%s/node/giamsat-node", bin);
    char *argv[] = {node_bin, "--config", n->conf, verify_all ? "--verify-all" : NULL, NULL};
    double t0 = gs_bench_now();
    n->pid = it_spawn(argv, n->log);
    wait_ready(n, zctx);
    double t = gs_bench_now() - t0;
    *cpu = gs_bench_proc_cpu_s(n->pid);
    int st = it_kill(n->pid, SIGTERM);
    n->pid = 0;
    if (st != 0)
        die("giamsat-node did not stop cleanly", NULL);
    return t;
}

static void load_avg(void)
{
    double l1 = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &l1) != 1)
            l1 = 0;
        fclose(f);
    }
    gs_bench_figure("load_avg_1m", l1, "load");
}

static void node_at(it_node *n, uint64_t size)
{
    memset(n, 0, sizeof *n);
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(n->dir, sizeof n->dir, "%s/giamsat-start-bench-%llu", base, (unsigned long long)size);
    snprintf(n->conf, sizeof n->conf, "%s/node.conf", n->dir);
    snprintf(n->log, sizeof n->log, "%s/node.log", n->dir);
    snprintf(n->ipc, sizeof n->ipc, "ipc://%s/node.sock", n->dir);
    snprintf(n->origin, sizeof n->origin, "giamsat/commune/start-bench");
}

static const char *size_name(uint64_t size, char *buf, size_t cap)
{
    if (size % 1000000 == 0)
        snprintf(buf, cap, "%llum", (unsigned long long)(size / 1000000));
    else
        snprintf(buf, cap, "%lluk", (unsigned long long)(size / 1000));
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: start_bench BUILD_DIR [--quick] [--build-only]\n");
        return 2;
    }
    const char *bin = argv[1];
    bool quick = gs_bench_quick(argc, argv);
    bool build_only = false; /* --build-only: fill the cached folders, time nothing */
    for (int i = 2; i < argc; i++)
        build_only = build_only || strcmp(argv[i], "--build-only") == 0;
    uint64_t big = quick ? 200000 : 10000000, small = quick ? 20000 : 100000;
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        die("init", &err);
    load_avg();
    void *zctx = zmq_ctx_new();
    double full_small = 0, full_cpu_small = 0, cpu = 0;
    uint64_t sizes[2] = {small, big};
    for (int k = 0; k < 2; k++) {
        uint64_t size = sizes[k];
        uint64_t tail = size / 2 < TAIL ? size / 2 : TAIL;
        char nm[32], fig[96];
        size_name(size, nm, sizeof nm);
        it_node n;
        node_at(&n, size);
        build(bin, &n, size, size - tail);
        if (build_only)
            continue;
        if (k == 0) {
            to_worst_case(&n, size - tail);
            full_small = timed_start(bin, &n, zctx, true, &cpu);
            snprintf(fig, sizeof fig, "node_start_full_s_%s", nm);
            gs_bench_figure(fig, full_small, "s");
            snprintf(fig, sizeof fig, "node_start_full_cpu_s_%s", nm);
            gs_bench_figure(fig, cpu, "s");
            full_cpu_small = cpu;
        }
        to_worst_case(&n, size - tail);
        double t = timed_start(bin, &n, zctx, false, &cpu);
        snprintf(fig, sizeof fig, "node_start_s_%s", nm);
        gs_bench_figure(fig, t, "s");
        snprintf(fig, sizeof fig, "node_start_cpu_s_%s", nm);
        gs_bench_figure(fig, cpu, "s");
        snprintf(fig, sizeof fig, "node_start_replayed_%s", nm);
        gs_bench_figure(fig, (double)tail, "entries");
        t = timed_start(bin, &n, zctx, false, &cpu);
        snprintf(fig, sizeof fig, "node_start_clean_s_%s", nm);
        gs_bench_figure(fig, t, "s");
        snprintf(fig, sizeof fig, "node_start_clean_cpu_s_%s", nm);
        gs_bench_figure(fig, cpu, "s");
        if (k == 1) {
            snprintf(fig, sizeof fig, "node_start_full_s_%s_extrapolated", nm);
            gs_bench_figure(fig, full_small * (double)big / (double)small, "s");
            snprintf(fig, sizeof fig, "node_start_full_cpu_s_%s_extrapolated", nm);
            gs_bench_figure(fig, full_cpu_small * (double)big / (double)small, "s");
        }
        load_avg();
    }
    zmq_ctx_term(zctx);
    it_cleanup();
    return 0;
}
