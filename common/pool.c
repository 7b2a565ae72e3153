/* pool.c — see pool.h. Workers sleep on a condition variable between runs
 * and take items by an atomic counter, so a run costs one wake-up per
 * worker, not one per item. A started run (gs_pool_start) also marks each
 * item done in its own flag, and wakes the calling thread only when it sleeps
 * waiting for one (a Dekker-style handshake on `waiting` and the flag, both
 * sequentially consistent, so the wake-up cannot be lost). */
#define _POSIX_C_SOURCE 200809L
#include "pool.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct gs_pool {
    pthread_t *threads;
    unsigned n_threads;
    pthread_mutex_t mu;
    pthread_cond_t wake; /* a run started, or stop */
    pthread_cond_t done; /* a worker finished its share */
    uint64_t generation; /* bumped per run, so a worker joins each run once */
    bool stop;
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next;
    unsigned busy; /* workers still inside the current run */
    /* A started run: */
    bool started;            /* between gs_pool_start and gs_pool_finish */
    bool ran;                /* it ran whole on the calling thread */
    bool track;              /* items mark done_item (read by workers under mu) */
    atomic_uchar *done_item; /* [n]: item i is done */
    size_t cap_done;
    atomic_int waiting; /* the calling thread sleeps on item_done */
    pthread_cond_t item_done;
};

/* Runs item i and, in a started run, says it is done. */
static void run_item(gs_pool *p, size_t i, bool track)
{
    p->fn(p->ctx, i);
    if (!track)
        return;
    atomic_store(&p->done_item[i], 1); /* seq_cst: see the handshake above */
    if (atomic_load(&p->waiting)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->item_done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void share(gs_pool *p, bool track)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            return;
        run_item(p, i, track);
    }
}

static void *worker(void *arg)
{
    gs_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop)
            break;
        seen = p->generation;
        bool track = p->track;
        pthread_mutex_unlock(&p->mu);
        share(p, track);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int gs_pool_new(gs_pool **out, unsigned threads, gs_error *err)
{
    *out = NULL;
    gs_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    pthread_cond_init(&p->item_done, NULL);
    if (threads > 0) {
        p->threads = calloc(threads, sizeof *p->threads);
        if (p->threads == NULL) {
            gs_pool_free(&p);
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        }
    }
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            gs_pool_free(&p);
            return gs_error_set(err, GS_EIO, "cannot start worker thread %u", i);
        }
        p->n_threads++;
    }
    *out = p;
    return 0;
}

void gs_pool_free(gs_pool **pp)
{
    gs_pool *p = *pp;
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->item_done);
    free(p->done_item);
    free(p);
    *pp = NULL;
}

/* Hands a run of n items to the workers (they take items from next). */
static void dispatch(gs_pool *p, void (*fn)(void *ctx, size_t i), void *ctx, size_t n, bool track)
{
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    p->busy = p->n_threads;
    p->track = track;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
}

void gs_pool_run(gs_pool *p, void (*fn)(void *ctx, size_t i), void *ctx, size_t n)
{
    assert(!p->started);
    if (n == 0)
        return;
    if (p->n_threads == 0 || n == 1) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    dispatch(p, fn, ctx, n, false);
    share(p, false);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* The flags for n items, cleared; false when they cannot be had. */
static bool done_flags(gs_pool *p, size_t n)
{
    if (n > p->cap_done) {
        atomic_uchar *v = realloc(p->done_item, n * sizeof *v);
        if (v == NULL)
            return false;
        p->done_item = v;
        p->cap_done = n;
    }
    for (size_t i = 0; i < n; i++)
        atomic_init(&p->done_item[i], 0);
    return true;
}

void gs_pool_start(gs_pool *p, void (*fn)(void *ctx, size_t i), void *ctx, size_t n)
{
    assert(!p->started);
    p->started = true;
    p->ran = false;
    if (p->n_threads == 0 || n <= 1 || !done_flags(p, n)) {
        /* Nothing to share (or no memory to track it): the run is done
         * before the caller waits for any item. */
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        p->ran = true;
        return;
    }
    dispatch(p, fn, ctx, n, true);
}

void gs_pool_wait_item(gs_pool *p, size_t i)
{
    assert(p->started);
    if (p->ran)
        return;
    assert(i < p->n);
    while (!atomic_load(&p->done_item[i])) {
        /* Items are taken in order: while i is not done, either one at or
         * before it is still free (run it here) or a worker holds i. */
        size_t k = atomic_fetch_add(&p->next, 1);
        if (k < p->n) {
            run_item(p, k, true);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->waiting, 1);
        while (!atomic_load(&p->done_item[i]))
            pthread_cond_wait(&p->item_done, &p->mu);
        atomic_store(&p->waiting, 0);
        pthread_mutex_unlock(&p->mu);
    }
}

void gs_pool_finish(gs_pool *p)
{
    assert(p->started);
    if (!p->ran) {
        share(p, true);
        pthread_mutex_lock(&p->mu);
        while (p->busy > 0)
            pthread_cond_wait(&p->done, &p->mu);
        p->track = false;
        pthread_mutex_unlock(&p->mu);
    }
    p->started = false;
}
