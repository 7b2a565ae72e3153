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

#endif
