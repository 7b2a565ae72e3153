/* store_bench.c — durable appends to the store: 300-byte entries, leaf and
 * interior hashing through the merkle frontier, stored tree hashes and the
 * tree state, one commit per batch: on SQLite (WAL + synchronous=FULL) and
 * on PostgreSQL (synchronous_commit on; the server of GIAMSAT_TEST_PG, or a
 * throwaway cluster on this machine: gs_bench_pg).
 *
 * Figures: durable_append_per_s_batch1, _batch100, _batch1000 (entries/s),
 * the same with a _pg suffix. --quick runs about a second per batch size;
 * --no-pg leaves PostgreSQL out. */
#include <libpq-fe.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "merkle.h"
#include "store.h"

#define ENTRY_SIZE 300

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

/* A new database called name on the server of GIAMSAT_TEST_PG; its URI
 * into out. */
static void pg_database(const char *name, char *out, size_t cap)
{
    const char *base = getenv("GIAMSAT_TEST_PG");
    const char *q = base != NULL ? strchr(base, '?') : NULL;
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE gs_store_bench_%ld_%s", (long)getpid(), name);
    PGconn *c = PQconnectdb(base);
    PGresult *r = PQexec(c, sql);
    if (q == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "store_bench: %s: %s\n", sql, PQerrorMessage(c));
        exit(2);
    }
    PQclear(r);
    PQfinish(c);
    snprintf(out, cap, "postgresql:///gs_store_bench_%ld_%s%s", (long)getpid(), name, q);
}

/* Appends batches of `batch` entries for about `seconds`; returns entries/s.
 * dir NULL: on PostgreSQL. */
static double run(const char *dir, const char *name, size_t batch, double seconds)
{
    char path[4200];
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    if (dir != NULL)
        snprintf(path, sizeof path, "%s/%s", dir, name);
    else
        pg_database(name, path, sizeof path);
    if (gs_store_open(&s, path, &err) != 0 ||
        gs_store_log_find(s, "giamsat/bench/store", true, &ls, &err) != 0) {
        fprintf(stderr, "store_bench: %s\n", err.msg);
        exit(2);
    }
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    uint8_t entry[ENTRY_SIZE];
    uint64_t done = 0;
    double t0 = gs_bench_now(), t = t0;
    while (t - t0 < seconds) {
        if (gs_store_begin(s, &err) != 0)
            goto fail;
        for (size_t i = 0; i < batch; i++) {
            uint64_t index = f.size;
            memset(entry, (int)(index & 0xff), sizeof entry);
            memcpy(entry, &index, sizeof index);
            gs_hash leaf;
            row r = {.n = 0};
            gs_merkle_leaf_hash(gs_bytes_of(entry, sizeof entry), &leaf);
            gs_merkle_frontier_append(&f, &leaf, collect, &r);
            if (gs_store_append(s, ls.id, index, gs_bytes_of(entry, sizeof entry), r.h, r.n,
                                &err) != 0)
                goto fail;
        }
        gs_hash root;
        gs_merkle_frontier_root(&f, &root);
        if (gs_store_set_tree(s, ls.id, f.size, &root, &err) != 0 || gs_store_commit(s, &err) != 0)
            goto fail;
        done += batch;
        t = gs_bench_now();
    }
    gs_store_close(&s);
    return (double)done / (t - t0);
fail:
    fprintf(stderr, "store_bench: %s\n", err.msg);
    exit(2);
}

int main(int argc, char **argv)
{
    bool quick = gs_bench_quick(argc, argv);
    char dir[4096];
    if (gs_bench_tmpdir(dir, sizeof dir) != 0) {
        fprintf(stderr, "store_bench: cannot create a temporary directory\n");
        return 2;
    }
    double secs = quick ? 1.0 : 5.0;
    gs_bench_figure("durable_append_per_s_batch1", run(dir, "b1.db", 1, secs), "entries/s");
    gs_bench_figure("durable_append_per_s_batch100", run(dir, "b100.db", 100, secs), "entries/s");
    gs_bench_figure("durable_append_per_s_batch1000", run(dir, "b1000.db", 1000, secs),
                    "entries/s");
    gs_bench_rmdir(dir);
    bool pg = true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--no-pg") == 0)
            pg = false;
    if (pg) {
        if (gs_bench_pg() != 0)
            return 2;
        gs_bench_figure("durable_append_per_s_batch1_pg", run(NULL, "b1", 1, secs), "entries/s");
        gs_bench_figure("durable_append_per_s_batch100_pg", run(NULL, "b100", 100, secs),
                        "entries/s");
        gs_bench_figure("durable_append_per_s_batch1000_pg", run(NULL, "b1000", 1000, secs),
                        "entries/s");
    }
    gs_bench_figure("peak_rss_mib", gs_bench_peak_rss_mib(), "MiB");
    return 0;
}
