/* pool.c — see pool.h. Workers sleep on a condition variable between runs
 * and take items by an atomic counter, so a run costs one wake-up per
 * worker, not one per item. */
#define _POSIX_C_SOURCE 200809L
#include "pool.h"

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
};

static void share(gs_pool *p)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            return;
        p->fn(p->ctx, i);
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
        pthread_mutex_unlock(&p->mu);
        share(p);
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
    free(p);
    *pp = NULL;
}

void gs_pool_run(gs_pool *p, void (*fn)(void *ctx, size_t i), void *ctx, size_t n)
{
    if (n == 0)
        return;
    if (p->n_threads == 0 || n == 1) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    p->busy = p->n_threads;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    share(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
