/* pool.h — a small fixed pool of worker threads for parallel-for.
 * The daemons' event loops stay single-threaded (STYLE §7); when a batch
 * needs one signature check per item, the loop hands the batch here and the
 * workers and the calling thread share it out. Nothing else crosses threads:
 * fn must touch only item i's own data. */
#ifndef GS_POOL_H
#define GS_POOL_H

#include <stddef.h>

#include "error.h"

typedef struct gs_pool gs_pool;

/* threads extra workers (0: everything runs on the calling thread). */
int gs_pool_new(gs_pool **out, unsigned threads, gs_error *err);
/* Stops and joins the workers; safe on NULL. */
void gs_pool_free(gs_pool **pp);
/* Calls fn(ctx, i) once for every i in [0, n) and returns when all are
 * done. Not reentrant: one run at a time per pool. */
void gs_pool_run(gs_pool *p, void (*fn)(void *ctx, size_t i), void *ctx, size_t n);

/* The same run in three steps, so the calling thread can use items in
 * order while the workers are still on later ones (the audit judges entry
 * i while the workers check the signatures of i + 1, i + 2, …; issue 13
 * item 5). gs_pool_start hands [0, n) to the workers and returns at once;
 * gs_pool_wait_item(p, i) returns once item i is done, running items of the
 * run itself (in order) while it waits, and gives the calling thread
 * fn's writes for item i (items are taken in increasing order, so waiting
 * for i never waits on a worker that is idle); gs_pool_finish returns once
 * every item is done and must end every started run, also when the caller
 * stops early. One run at a time per pool, as above. */
void gs_pool_start(gs_pool *p, void (*fn)(void *ctx, size_t i), void *ctx, size_t n);
void gs_pool_wait_item(gs_pool *p, size_t i);
void gs_pool_finish(gs_pool *p);

#endif
