/* replay.c — one log read page by page, every signature checked, every
 * entry replayed through the rule book, the Merkle root recomputed; and the
 * leaf record on disk that lets later checks look entries up without keeping
 * them in memory. See audit.h. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

/* ----------------------------------------------------------- leaf record */

/* One record on disk: leaf hash, signer, kind. */
#define REC_SIZE 65

typedef struct {
    char *origin;
    uint64_t base; /* first record */
    uint64_t size;
} leaf_run;

struct cli_leafdb {
    FILE *f;
    int fd;
    leaf_run *runs;
    size_t n_runs, cap_runs;
    uint64_t records;
    /* Records not yet written, so the current page can be read back while
     * it is being replayed. */
    uint8_t *pend;
    size_t n_pend, cap_pend;
};

int cli_leafdb_open(cli_leafdb **out, gs_error *err)
{
    cli_leafdb *db = calloc(1, sizeof *db);
    if (db == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    /* tmpfile() is unlinked already: nothing is left behind, whatever
     * happens to this process. */
    if ((db->f = tmpfile()) == NULL) {
        free(db);
        return gs_error_set(err, GS_EIO, "cannot create a temporary file for the leaf record: %s",
                            strerror(errno));
    }
    db->fd = fileno(db->f);
    *out = db;
    return 0;
}

void cli_leafdb_close(cli_leafdb **dbp)
{
    cli_leafdb *db = *dbp;
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->n_runs; i++)
        free(db->runs[i].origin);
    free(db->runs);
    free(db->pend);
    fclose(db->f);
    free(db);
    *dbp = NULL;
}

static int flush_pending(cli_leafdb *db, gs_error *err)
{
    size_t done = 0;
    uint64_t first = db->records - db->n_pend / REC_SIZE;
    while (done < db->n_pend) {
        ssize_t w =
            pwrite(db->fd, db->pend + done, db->n_pend - done, (off_t)(first * REC_SIZE + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return gs_error_set(err, GS_EIO, "cannot write the leaf record (temporary file): %s",
                                w < 0 ? strerror(errno) : "disk full");
        done += (size_t)w;
    }
    db->n_pend = 0;
    return 0;
}

int cli_leafdb_begin(cli_leafdb *db, const char *origin, size_t *log, gs_error *err)
{
    size_t dummy;
    int rc;
    if (cli_leafdb_find(db, origin, &dummy) == 0)
        return gs_error_set(err, GS_ECONFLICT, "%s was read twice", origin);
    if ((rc = flush_pending(db, err)) != 0)
        return rc;
    if (db->n_runs == db->cap_runs) {
        size_t cap = db->cap_runs ? db->cap_runs * 2 : 16;
        leaf_run *v = realloc(db->runs, cap * sizeof *v);
        if (v == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        db->runs = v;
        db->cap_runs = cap;
    }
    leaf_run *r = &db->runs[db->n_runs];
    if ((r->origin = strdup(origin)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    r->base = db->records;
    r->size = 0;
    *log = db->n_runs++;
    return 0;
}

int cli_leafdb_append(cli_leafdb *db, const cli_leaf *v, size_t n, gs_error *err)
{
    int rc;
    if (db->n_runs == 0)
        return gs_error_set(err, GS_EINVAL, "leaf record: no log begun");
    for (size_t i = 0; i < n; i++) {
        if (db->n_pend + REC_SIZE > db->cap_pend) {
            if (db->n_pend > 0 && (rc = flush_pending(db, err)) != 0)
                return rc;
            if (db->cap_pend == 0) {
                db->cap_pend = REC_SIZE * 1024;
                if ((db->pend = malloc(db->cap_pend)) == NULL)
                    return gs_error_set(err, GS_ENOMEM, "out of memory");
            }
        }
        uint8_t *p = db->pend + db->n_pend;
        memcpy(p, v[i].leaf.b, 32);
        memcpy(p + 32, v[i].signer.b, 32);
        p[64] = (uint8_t)v[i].kind;
        db->n_pend += REC_SIZE;
        db->records++;
        db->runs[db->n_runs - 1].size++;
    }
    return 0;
}

int cli_leafdb_find(const cli_leafdb *db, const char *origin, size_t *log)
{
    for (size_t i = 0; i < db->n_runs; i++)
        if (strcmp(db->runs[i].origin, origin) == 0) {
            *log = i;
            return 0;
        }
    return GS_ENOTFOUND;
}

uint64_t cli_leafdb_size(const cli_leafdb *db, size_t log)
{
    return log < db->n_runs ? db->runs[log].size : 0;
}

const char *cli_leafdb_origin(const cli_leafdb *db, size_t log)
{
    return log < db->n_runs ? db->runs[log].origin : "";
}

int cli_leafdb_get(cli_leafdb *db, size_t log, uint64_t index, cli_leaf *out, gs_error *err)
{
    uint8_t rec[REC_SIZE];
    const uint8_t *p;
    if (log >= db->n_runs || index >= db->runs[log].size)
        return gs_error_set(err, GS_ENOTFOUND, "entry %llu of %s was not read",
                            (unsigned long long)index, cli_leafdb_origin(db, log));
    uint64_t at = db->runs[log].base + index;
    uint64_t pend_first = db->records - db->n_pend / REC_SIZE;
    if (at >= pend_first) {
        p = db->pend + (at - pend_first) * REC_SIZE;
    } else {
        ssize_t r;
        do
            r = pread(db->fd, rec, sizeof rec, (off_t)(at * REC_SIZE));
        while (r < 0 && errno == EINTR);
        if (r != (ssize_t)sizeof rec)
            return gs_error_set(err, GS_EIO, "cannot read the leaf record (temporary file): %s",
                                r < 0 ? strerror(errno) : "short read");
        p = rec;
    }
    memcpy(out->leaf.b, p, 32);
    memcpy(out->signer.b, p + 32, 32);
    out->kind = (gs_body_kind)p[64];
    return 0;
}

/* ------------------------------------------------------------- replay */

void cli_replay_fail(cli_replay *r, const char *fmt, ...)
{
    r->n_failures++;
    if (r->n_kept >= CLI_MAX_FAILURES)
        return;
    char buf[GS_ERROR_MSG_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = strdup(buf);
    if (s != NULL)
        r->failures[r->n_kept++] = s;
}

void cli_replay_clear(cli_replay *r)
{
    gs_rules_state_free(&r->state);
    for (size_t i = 0; i < r->n_kept; i++)
        free(r->failures[i]);
    r->n_kept = 0;
}

/* One page: the entries as served, and what opening each one gave. */
typedef struct {
    gs_buf *entries;
    size_t n;
    gs_statement *st;
    gs_hash *leaf;
    int *rc;
    gs_error *err;
} page;

/* Runs on the pool's threads: touches only item i. */
static void open_one(void *ctx, size_t i)
{
    page *pg = ctx;
    gs_bytes e = gs_bytes_of(pg->entries[i].p, pg->entries[i].n);
    gs_merkle_leaf_hash(e, &pg->leaf[i]);
    pg->rc[i] = gs_wire_open_entry(e, &pg->st[i], &pg->err[i]);
}

typedef struct {
    cli_leafdb *db;
    size_t log;
} entry_ctx;

/* The rule book's entry_at: earlier entries of this log, from the record. */
static int entry_at(void *ctx, uint64_t index, gs_hash *leaf_hash, gs_body_kind *kind,
                    gs_error *err)
{
    entry_ctx *ec = ctx;
    cli_leaf l = {0};
    int rc = cli_leafdb_get(ec->db, ec->log, index, &l, err);
    if (rc != 0)
        return rc;
    *leaf_hash = l.leaf;
    *kind = l.kind;
    return 0;
}

static int fetch_page(cli_conn *cn, const char *origin, uint64_t start, uint32_t count,
                      gs_response *rs, gs_error *err)
{
    gs_request rq = {0};
    rq.op = GS_OP_GET_ENTRIES;
    rq.origin = (char *)origin;
    rq.u.get_entries.start = start;
    rq.u.get_entries.count = count;
    int rc = cli_call(cn, &rq, rs, err);
    if (rc != 0)
        return rc;
    /* A page must start where we asked and hold at least one entry, or the
     * loop would never end; more than asked is a broken server. */
    if (rs->result != GS_RESULT_ENTRIES || rs->u.entries.start != start || rs->u.entries.n == 0 ||
        rs->u.entries.n > count) {
        gs_response_clear(rs);
        return gs_error_set(err, GS_ENOTFOUND, "the endpoint did not serve entry %llu of %s",
                            (unsigned long long)start, origin);
    }
    return 0;
}

/* The next page is fetched by one helper thread while this one checks the
 * current page, so the endpoint serves while we verify. One thread for the
 * whole replay (not one per page), so the allocator keeps one arena for it
 * and memory stays flat. The connection is used by one thread at a time,
 * handed over under the mutex (the full memory barrier ZeroMQ asks for when
 * a socket changes threads). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool job, done, quit;
    cli_conn *cn;
    const char *origin;
    uint64_t start;
    uint32_t count;
    gs_response rs;
    gs_error err;
    int rc;
} prefetch;

static void *prefetch_run(void *arg)
{
    prefetch *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->job && !f->quit)
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->quit)
            break;
        pthread_mutex_unlock(&f->mu);
        int rc = fetch_page(f->cn, f->origin, f->start, f->count, &f->rs, &f->err);
        pthread_mutex_lock(&f->mu);
        f->rc = rc;
        f->job = false;
        f->done = true;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void prefetch_start(prefetch *f, uint64_t start, uint32_t count)
{
    pthread_mutex_lock(&f->mu);
    f->start = start;
    f->count = count;
    memset(&f->rs, 0, sizeof f->rs);
    f->done = false;
    f->job = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void prefetch_wait(prefetch *f)
{
    pthread_mutex_lock(&f->mu);
    while (f->job)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

static uint32_t page_count(uint64_t at, uint64_t size)
{
    uint64_t left = size - at;
    return (uint32_t)(left < GS_MAX_ENTRIES ? left : GS_MAX_ENTRIES);
}

int cli_replay_run(cli_conn *cn, cli_replay *r, gs_error *err)
{
    pthread_t th;
    bool threaded = false;
    prefetch pf = {.cn = cn, .origin = r->origin};
    gs_merkle_frontier fr;
    gs_response rs = {0};
    page pg = {0};
    cli_leaf *leaves = NULL;
    entry_ctx ec = {r->db, 0};
    size_t next_obs = 0;
    int rc;

    gs_merkle_frontier_init(&fr);
    if ((rc = gs_rules_state_new(&r->state, r->origin, err)) != 0)
        return rc;
    if (r->db != NULL && (rc = cli_leafdb_begin(r->db, r->origin, &ec.log, err)) != 0)
        return rc;
    size_t cap = GS_MAX_ENTRIES;
    if ((pg.st = calloc(cap, sizeof *pg.st)) == NULL ||
        (pg.leaf = calloc(cap, sizeof *pg.leaf)) == NULL ||
        (pg.rc = calloc(cap, sizeof *pg.rc)) == NULL ||
        (pg.err = calloc(cap, sizeof *pg.err)) == NULL ||
        (leaves = calloc(cap, sizeof *leaves)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    gs_rules_params p = {.now = (int64_t)time(NULL),
                         .replay = true,
                         .entry_at = r->db != NULL ? entry_at : NULL,
                         .entry_ctx = &ec};
    /* Observations at size 0 say nothing to check. */
    while (next_obs < r->n_observed && r->observed[next_obs].size == 0)
        next_obs++;
    if (r->size > 0 && (rc = fetch_page(cn, r->origin, 0, page_count(0, r->size), &rs, err)) != 0)
        goto out;
    for (uint64_t at = 0; at < r->size;) {
        uint64_t after = at + rs.u.entries.n;
        if (after < r->size) {
            if (!threaded) {
                pthread_mutex_init(&pf.mu, NULL);
                pthread_cond_init(&pf.cv, NULL);
                if (pthread_create(&th, NULL, prefetch_run, &pf) == 0) {
                    threaded = true;
                } else {
                    pthread_mutex_destroy(&pf.mu);
                    pthread_cond_destroy(&pf.cv);
                }
            }
            if (threaded)
                prefetch_start(&pf, after, page_count(after, r->size));
            else
                pf.rc =
                    fetch_page(cn, r->origin, after, page_count(after, r->size), &pf.rs, &pf.err);
        }
        pg.entries = rs.u.entries.entries;
        pg.n = rs.u.entries.n;
        if (r->pool != NULL)
            gs_pool_run(r->pool, open_one, &pg, pg.n);
        else
            for (size_t i = 0; i < pg.n; i++)
                open_one(&pg, i);
        for (size_t i = 0; i < pg.n; i++) {
            leaves[i].leaf = pg.leaf[i];
            leaves[i].kind = pg.rc[i] == 0 ? pg.st[i].kind : GS_BODY_NONE;
            memset(leaves[i].signer.b, 0, 32);
            if (pg.rc[i] == 0)
                leaves[i].signer = pg.st[i].signer;
        }
        /* The record first, so entry_at finds this page's earlier entries. */
        if (r->db != NULL && (rc = cli_leafdb_append(r->db, leaves, pg.n, err)) != 0)
            goto out;
        for (size_t i = 0; i < pg.n; i++) {
            uint64_t index = at + i;
            gs_merkle_frontier_append(&fr, &pg.leaf[i], NULL, NULL);
            while (next_obs < r->n_observed && r->observed[next_obs].size == fr.size) {
                cli_observed *o = &r->observed[next_obs++];
                gs_hash root;
                gs_merkle_frontier_root(&fr, &root);
                o->checked = true;
                o->matched = memcmp(root.b, o->root.b, 32) == 0;
                if (!o->matched)
                    cli_replay_fail(r,
                                    "the hub observed a root at size %llu that the entries served "
                                    "do not give: the two checkpoints are not consistent",
                                    (unsigned long long)o->size);
            }
            if (pg.rc[i] != 0) {
                cli_replay_fail(r, "entry %llu: %s", (unsigned long long)index,
                                pg.rc[i] == GS_EVERIFY
                                    ? "its signature does not verify: the entry was altered"
                                    : pg.err[i].msg);
                if (!r->broken) {
                    r->broken = true;
                    cli_replay_fail(r, "the replay stopped at entry %llu",
                                    (unsigned long long)index);
                }
                continue;
            }
            r->verified++;
            if (r->broken)
                continue;
            gs_rule_verdict v = {0};
            if (gs_rules_apply(r->state, &pg.st[i], &pg.leaf[i], index, &p, &v) != 0) {
                r->broken = true;
                cli_replay_fail(r, "entry %llu breaks the rule book: %s [%s]; the replay stopped",
                                (unsigned long long)index, v.message,
                                gs_rules_reason_name(v.reason));
                continue;
            }
            r->replayed++;
            if (r->on_entry != NULL &&
                (rc = r->on_entry(r->ctx, index, &pg.st[i], &pg.leaf[i], r->state, err)) != 0)
                goto out;
        }
        for (size_t i = 0; i < pg.n; i++)
            gs_statement_clear(&pg.st[i]);
        at += pg.n;
        gs_response_clear(&rs);
        if (at < r->size) {
            if (threaded)
                prefetch_wait(&pf);
            if (pf.rc != 0) {
                *err = pf.err;
                rc = pf.rc;
                goto out;
            }
            rs = pf.rs;
            memset(&pf.rs, 0, sizeof pf.rs);
        }
    }
    gs_merkle_frontier_root(&fr, &r->root);
    rc = 0;
out:
    if (threaded) {
        prefetch_wait(&pf);
        pthread_mutex_lock(&pf.mu);
        pf.quit = true;
        pthread_cond_broadcast(&pf.cv);
        pthread_mutex_unlock(&pf.mu);
        pthread_join(th, NULL);
        pthread_mutex_destroy(&pf.mu);
        pthread_cond_destroy(&pf.cv);
    }
    gs_response_clear(&pf.rs);
    for (size_t i = 0; pg.st != NULL && i < cap; i++)
        gs_statement_clear(&pg.st[i]);
    gs_response_clear(&rs);
    free(pg.st);
    free(pg.leaf);
    free(pg.rc);
    free(pg.err);
    free(leaves);
    return rc;
}
