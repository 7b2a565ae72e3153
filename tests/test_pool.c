/* test_pool.c — the worker pool: a run calls every item once; a started run
 * (gs_pool_start / gs_pool_wait_item / gs_pool_finish) lets the caller use
 * items in order while later ones are still running, also with no workers,
 * with one item, and when the caller stops early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"

#define ITEMS 5000

typedef struct {
    uint64_t out[ITEMS];
    uint64_t spin[ITEMS]; /* the busy work's result, kept so it is done */
    int calls[ITEMS];
} work;

/* A little work per item, so workers and the caller overlap. */
static void square(void *ctx, size_t i)
{
    work *w = ctx;
    uint64_t v = i;
    for (int k = 0; k < 200; k++)
        v = v * 6364136223846793005ULL + 1442695040888963407ULL;
    w->spin[i] = v;
    w->out[i] = (uint64_t)i * i;
    w->calls[i]++;
}

static void check_all(const work *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(w->calls[i], 1);
        assert_int_equal(w->out[i], (uint64_t)i * i);
    }
}

static void test_run(void **state)
{
    (void)state;
    for (unsigned threads = 0; threads <= 3; threads++) {
        gs_pool *p = NULL;
        gs_error err;
        work *w = calloc(1, sizeof *w);
        assert_non_null(w);
        assert_int_equal(gs_pool_new(&p, threads, &err), 0);
        gs_pool_run(p, square, w, ITEMS);
        check_all(w, ITEMS);
        gs_pool_free(&p);
        assert_null(p);
        free(w);
    }
}

/* The caller reads item i right after waiting for it: fn's writes for i
 * are visible, whoever ran it; every item runs once. Several runs in a row
 * on the same pool, of different sizes (1: nothing to share). */
static void test_started_in_order(void **state)
{
    (void)state;
    static const size_t sizes[] = {ITEMS, 1, 2, 17, ITEMS, 3};
    for (unsigned threads = 0; threads <= 3; threads++) {
        gs_pool *p = NULL;
        gs_error err;
        assert_int_equal(gs_pool_new(&p, threads, &err), 0);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            work *w = calloc(1, sizeof *w);
            assert_non_null(w);
            gs_pool_start(p, square, w, sizes[s]);
            for (size_t i = 0; i < sizes[s]; i++) {
                gs_pool_wait_item(p, i);
                assert_int_equal(w->calls[i], 1);
                assert_int_equal(w->out[i], (uint64_t)i * i);
            }
            gs_pool_finish(p);
            check_all(w, sizes[s]);
            free(w);
        }
        /* An ordinary run after started ones. */
        work *w = calloc(1, sizeof *w);
        assert_non_null(w);
        gs_pool_run(p, square, w, ITEMS);
        check_all(w, ITEMS);
        free(w);
        gs_pool_free(&p);
    }
}

/* The caller stops after a few items (an error mid-batch): finish still
 * runs every item once and returns only when none is running. */
static void test_started_stop_early(void **state)
{
    (void)state;
    gs_pool *p = NULL;
    gs_error err;
    work *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(gs_pool_new(&p, 2, &err), 0);
    gs_pool_start(p, square, w, ITEMS);
    gs_pool_wait_item(p, 3);
    gs_pool_finish(p);
    check_all(w, ITEMS);
    /* Waiting out of order (a later item first) is allowed too. */
    memset(w, 0, sizeof *w);
    gs_pool_start(p, square, w, ITEMS);
    gs_pool_wait_item(p, ITEMS - 1);
    gs_pool_wait_item(p, 0);
    gs_pool_finish(p);
    check_all(w, ITEMS);
    /* Nothing at all. */
    gs_pool_start(p, square, w, 0);
    gs_pool_finish(p);
    gs_pool_free(&p);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_started_in_order),
        cmocka_unit_test(test_started_stop_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
