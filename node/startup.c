/* startup.c — see startup.h. */
#define _GNU_SOURCE /* syscall(SYS_gettid): the background thread's own priority */
#include "startup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

char *gs_startup_marker_path(const char *database)
{
    size_t n = strlen(database);
    if (n > 3 && strcmp(database + n - 3, ".db") == 0)
        n -= 3;
    char *p = malloc(n + sizeof ".clean-stop");
    if (p == NULL)
        return NULL;
    memcpy(p, database, n);
    memcpy(p + n, ".clean-stop", sizeof ".clean-stop");
    return p;
}

/* fsync of the folder holding path, so a new or removed name is durable. */
static int sync_folder(const char *path, gs_error *err)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return gs_error_set(err, GS_EINVAL, "path too long: %s", path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return gs_error_set(err, GS_EIO, "cannot open the folder of %s: %s", path, strerror(errno));
    int rc = fsync(fd) == 0 ? 0
                            : gs_error_set(err, GS_EIO, "cannot sync the folder of %s: %s", path,
                                           strerror(errno));
    close(fd);
    return rc;
}

int gs_startup_marker_take(const char *path, bool *clean, gs_error *err)
{
    *clean = false;
    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return 0;
        return gs_error_set(err, GS_EIO, "cannot remove the clean-stop marker %s: %s", path,
                            strerror(errno));
    }
    *clean = true;
    return sync_folder(path, err);
}

int gs_startup_marker_put(const char *path, uint64_t size, gs_error *err)
{
    char text[96];
    int n =
        snprintf(text, sizeof text, "stopped cleanly at log size %llu\n", (unsigned long long)size);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return gs_error_set(err, GS_EIO, "cannot write the clean-stop marker %s: %s", path,
                            strerror(errno));
    ssize_t w = write(fd, text, (size_t)n);
    int rc = 0;
    if (w != n || fsync(fd) != 0)
        rc = gs_error_set(err, GS_EIO, "cannot write the clean-stop marker %s: %s", path,
                          strerror(errno));
    close(fd);
    if (rc == 0)
        rc = sync_folder(path, err);
    return rc;
}

/* ------------------------------------------------------------ verification */

static int stop_check(void *ctx, const gs_ingest *in, const gs_ingest_verdict *v,
                      const gs_statement *st, gs_error *err)
{
    (void)in;
    (void)v;
    (void)st;
    atomic_bool *stop = ctx;
    if (atomic_load_explicit(stop, memory_order_relaxed))
        return gs_error_set(err, GS_EUNAVAIL, "the verification was stopped");
    return 0;
}

int gs_startup_verify(gs_ingest *in, gs_log *l, const gs_startup_expect *expect, size_t n,
                      uint64_t size, atomic_bool *stop, gs_startup_verdict *v, gs_error *err)
{
    memset(v, 0, sizeof *v);
    int rc = gs_ingest_reset(in, err);
    if (rc != 0)
        return rc;
    if (stop != NULL)
        gs_ingest_set_on_entry(in, stop_check, stop);
    const char *origin = gs_ingest_origin(in);
    gs_ingest_verdict bad = {0};
    size_t k = 0;
    for (;;) {
        while (k < n && (expect[k].size > size || expect[k].size < gs_ingest_size(in)))
            k++; /* above the verified size, or out of order: not compared */
        uint64_t to = k < n ? expect[k].size : size;
        rc = gs_ingest_replay_log(in, l, to, false, &bad, err);
        v->replayed = gs_ingest_size(in);
        if (rc == GS_ECORRUPT) {
            v->failed = true;
            snprintf(v->message, sizeof v->message, "an entry of %s is altered on disk (%s)",
                     origin, err->msg);
            rc = 0;
            break;
        }
        if (rc != 0)
            break;
        if (bad.judged) {
            char why[GS_ERROR_MSG_MAX + 64];
            gs_ingest_verdict_text(&bad, why, sizeof why);
            v->failed = true;
            snprintf(v->message, sizeof v->message, "entry %llu of %s breaks the rule book (%s)",
                     (unsigned long long)bad.index, origin, why);
            /* the rest is still taken in (hashed, not judged), as a
             * replay does, so the node serves all it holds */
            rc = gs_ingest_replay_log(in, l, size, false, &bad, err);
            break;
        }
        if (k == n) {
            snprintf(v->message, sizeof v->message,
                     "all %llu entries of %s verified (every signature, the rule book from the "
                     "Charter on); %u rule snapshot(s) compared and equal",
                     (unsigned long long)v->replayed, origin, v->compared);
            break;
        }
        bool same = false;
        if ((rc = gs_ingest_snapshot_compare(in, expect[k].state, &same, err)) != 0)
            break;
        if (!same) {
            v->failed = true;
            snprintf(v->message, sizeof v->message,
                     "the rule snapshot of %s at size %llu differs from the rule state a full "
                     "replay gives at that size: the store was altered (or a bug): the "
                     "snapshot must not be trusted",
                     origin, (unsigned long long)expect[k].size);
            rc = gs_ingest_replay_log(in, l, size, false, &bad, err);
            break;
        }
        v->compared++;
        k++;
    }
    if (stop != NULL)
        gs_ingest_set_on_entry(in, NULL, NULL);
    return rc;
}

/* ------------------------------------------------------------ background */

struct gs_startup_bg {
    pthread_t thread;
    char *database;
    char *origin;
    uint64_t size;
    uint64_t snap_size;
    gs_buf snap_state;
    atomic_bool stop;
    atomic_bool done;
    bool ran;
    gs_startup_verdict verdict; /* written by the thread before done */
};

static void *bg_main(void *arg)
{
    gs_startup_bg *b = arg;
    /* The lowest priority, for this thread only (Linux: a thread has its
     * own nice value): the node's loop and its pool go first. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    gs_store *store = NULL;
    gs_log *log = NULL;
    gs_ingest *in = NULL;
    gs_error err = {0};
    int rc = gs_store_open(&store, b->database, &err);
    if (rc == 0)
        rc = gs_log_open(&log, store, b->origin, false, &err);
    gs_ingest_config ic = {.entry_at = gs_ingest_log_entry_at, .entry_ctx = log};
    if (rc == 0)
        rc = gs_ingest_new(&in, b->origin, &ic, &err);
    if (rc == 0) {
        gs_startup_expect e = {b->snap_size, gs_bytes_of(b->snap_state.p, b->snap_state.n)};
        rc = gs_startup_verify(in, log, &e, b->snap_size > 0 ? 1 : 0, b->size, &b->stop,
                               &b->verdict, &err);
    }
    if (rc != 0) {
        b->verdict.failed = false;
        snprintf(b->verdict.message, sizeof b->verdict.message,
                 "the background verification could not run: %s", err.msg);
    }
    b->ran = rc == 0;
    gs_ingest_free(&in);
    gs_log_close(&log);
    gs_store_close(&store);
    atomic_store_explicit(&b->done, true, memory_order_release);
    return NULL;
}

int gs_startup_bg_start(gs_startup_bg **out, const char *database, const char *origin,
                        uint64_t size, uint64_t snap_size, gs_bytes snap_state, gs_error *err)
{
    *out = NULL;
    gs_startup_bg *b = calloc(1, sizeof *b);
    if (b == NULL || (b->database = strdup(database)) == NULL ||
        (b->origin = strdup(origin)) == NULL ||
        (snap_state.n > 0 && (b->snap_state.p = malloc(snap_state.n)) == NULL))
        goto nomem;
    if (snap_state.n > 0)
        memcpy(b->snap_state.p, snap_state.p, snap_state.n);
    b->snap_state.n = snap_state.n;
    b->size = size;
    b->snap_size = snap_size;
    atomic_init(&b->stop, false);
    atomic_init(&b->done, false);
    int r = pthread_create(&b->thread, NULL, bg_main, b);
    if (r != 0) {
        gs_buf_free(&b->snap_state);
        free(b->origin);
        free(b->database);
        free(b);
        return gs_error_set(err, GS_EIO, "cannot start the background verification: %s",
                            strerror(r));
    }
    *out = b;
    return 0;
nomem:
    if (b != NULL) {
        free(b->origin);
        free(b->database);
    }
    free(b);
    return gs_error_set(err, GS_ENOMEM, "out of memory");
}

bool gs_startup_bg_done(gs_startup_bg *b, gs_startup_verdict *v, bool *ran)
{
    if (b == NULL || !atomic_load_explicit(&b->done, memory_order_acquire))
        return false;
    *v = b->verdict;
    *ran = b->ran;
    return true;
}

void gs_startup_bg_free(gs_startup_bg **bp)
{
    gs_startup_bg *b = *bp;
    if (b == NULL)
        return;
    atomic_store(&b->stop, true);
    pthread_join(b->thread, NULL);
    gs_buf_free(&b->snap_state);
    free(b->origin);
    free(b->database);
    free(b);
    *bp = NULL;
}
