/* merkle_bench.c — a durable log at scale: appends, then proofs read back
 * from the store.
 *
 * Appends 1,000,000 leaves (300-byte entries; --quick: 100,000) to a log in
 * batches of 1000, each batch one durable commit; then inclusion proofs for
 * random indices and consistency proofs from random old sizes, all at the
 * full size, a sample of each verified against the log root.
 *
 * Figures: append_per_s (entries/s), inclusion_proofs_per_s,
 * consistency_proofs_per_s, peak_rss_mib (memory does not grow with the log:
 * only the frontier and SQLite's bounded page cache are held). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "log.h"

#define ENTRY_SIZE 300
#define BATCH 1000

static void die(const char *what, const gs_error *err)
{
    fprintf(stderr, "merkle_bench: %s: %s\n", what, err->msg);
    exit(2);
}

/* xorshift64*: a reproducible stream of indices. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(uint64_t bound)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (rng_state * 0x2545f4914f6cdd1dULL) % bound;
}

int main(int argc, char **argv)
{
    bool quick = gs_bench_quick(argc, argv);
    uint64_t total = quick ? 100000 : 1000000;
    char dir[4096], path[4200];
    gs_error err;
    if (gs_bench_tmpdir(dir, sizeof dir) != 0) {
        fprintf(stderr, "merkle_bench: cannot create a temporary directory\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/log.db", dir);
    gs_store *s = NULL;
    gs_log *l = NULL;
    if (gs_crypto_init(&err) != 0)
        die("init", &err);
    if (gs_store_open(&s, path, &err) != 0 ||
        gs_log_open(&l, s, "giamsat/bench/merkle", true, &err) != 0)
        die("open", &err);

    static uint8_t bufs[BATCH][ENTRY_SIZE];
    static gs_bytes entries[BATCH];
    double t0 = gs_bench_now();
    for (uint64_t n = 0; n < total; n += BATCH) {
        for (size_t i = 0; i < BATCH; i++) {
            uint64_t index = n + i;
            memset(bufs[i], (int)(index & 0xff), ENTRY_SIZE);
            memcpy(bufs[i], &index, sizeof index);
            entries[i] = gs_bytes_of(bufs[i], ENTRY_SIZE);
        }
        if (gs_log_append(l, entries, BATCH, NULL, &err) != 0)
            die("append", &err);
    }
    double t1 = gs_bench_now();
    gs_bench_figure("append_per_s", (double)total / (t1 - t0), "entries/s");

    uint64_t size = gs_log_size(l);
    gs_hash root;
    gs_log_root(l, &root);
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t pn;
    unsigned proofs = quick ? 50000 : 200000;
    t0 = gs_bench_now();
    for (unsigned k = 0; k < proofs; k++) {
        uint64_t index = rnd(size);
        if (gs_log_prove_inclusion(l, index, size, proof, &pn, &err) != 0)
            die("inclusion proof", &err);
        if (k % 1000 == 0) {
            gs_hash leaf;
            if (gs_log_leaf_hash(l, index, &leaf, &err) != 0 ||
                gs_merkle_verify_inclusion(&leaf, index, size, proof, pn, &root, &err) != 0)
                die("inclusion proof does not verify", &err);
        }
    }
    t1 = gs_bench_now();
    gs_bench_figure("inclusion_proofs_per_s", proofs / (t1 - t0), "proofs/s");

    t0 = gs_bench_now();
    for (unsigned k = 0; k < proofs; k++) {
        uint64_t old = 1 + rnd(size);
        if (gs_log_prove_consistency(l, old, size, proof, &pn, &err) != 0)
            die("consistency proof", &err);
        if (k % 1000 == 0) {
            gs_hash old_root;
            if (gs_log_root_at(l, old, &old_root, &err) != 0 ||
                gs_merkle_verify_consistency(old, size, &old_root, &root, proof, pn, &err) != 0)
                die("consistency proof does not verify", &err);
        }
    }
    t1 = gs_bench_now();
    gs_bench_figure("consistency_proofs_per_s", proofs / (t1 - t0), "proofs/s");
    gs_bench_figure("peak_rss_mib", gs_bench_peak_rss_mib(), "MiB");

    gs_log_close(&l);
    gs_store_close(&s);
    gs_bench_rmdir(dir);
    return 0;
}
