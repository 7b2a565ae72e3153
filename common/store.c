/* store.c — see store.h. Chooses a backend per store from the database
 * string and forwards every call to it (store_backend.h): a libpq URI is
 * PostgreSQL (store_pg.c), anything else an SQLite file (store_sqlite.c).
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "store_backend.h"

struct gs_store {
    /* Exactly one is set. */
    gs_store_sqlite *sq;
    gs_store_pg *pg;
};

bool gs_store_is_pg(const char *database)
{
    return database != NULL && (strncmp(database, "postgresql://", 13) == 0 ||
                                strncmp(database, "postgres://", 11) == 0);
}

/* Forwards a call to the store's backend. */
#define FORWARD(s, name, ...)                                                                      \
    ((s)->pg != NULL ? gs_store_pg_##name((s)->pg, __VA_ARGS__)                                    \
                     : gs_store_sqlite_##name((s)->sq, __VA_ARGS__))
#define FORWARD0(s, name)                                                                          \
    ((s)->pg != NULL ? gs_store_pg_##name((s)->pg) : gs_store_sqlite_##name((s)->sq))

int gs_store_open(gs_store **out, const char *path, gs_error *err)
{
    *out = NULL;
    gs_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory opening a store");
    int rc = gs_store_is_pg(path) ? gs_store_pg_open(&s->pg, path, err)
                                  : gs_store_sqlite_open(&s->sq, path, err);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void gs_store_close(gs_store **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    gs_store_pg_close(&(*sp)->pg);
    gs_store_sqlite_close(&(*sp)->sq);
    free(*sp);
    *sp = NULL;
}

int gs_store_schema_version(const gs_store *s)
{
    return FORWARD0(s, schema_version);
}

int gs_store_claim(gs_store *s, gs_error *err)
{
    return FORWARD(s, claim, err);
}

int gs_store_log_find(gs_store *s, const char *origin, bool create, gs_store_log_state *out,
                      gs_error *err)
{
    return FORWARD(s, log_find, origin, create, out, err);
}

int gs_store_log_list(gs_store *s, gs_store_log_fn fn, void *ctx, gs_error *err)
{
    return FORWARD(s, log_list, fn, ctx, err);
}

int gs_store_begin(gs_store *s, gs_error *err)
{
    return FORWARD(s, begin, err);
}

int gs_store_commit(gs_store *s, gs_error *err)
{
    return FORWARD(s, commit, err);
}

void gs_store_rollback(gs_store *s)
{
    if (s != NULL)
        FORWARD0(s, rollback);
}

bool gs_store_in_transaction(const gs_store *s)
{
    return FORWARD0(s, in_transaction);
}

int gs_store_on_txn_end(gs_store *s, gs_store_txn_fn fn, void *ctx, gs_error *err)
{
    return FORWARD(s, on_txn_end, fn, ctx, err);
}

void gs_store_forget_txn_hook(gs_store *s, void *ctx)
{
    FORWARD(s, forget_txn_hook, ctx);
}

int gs_store_append(gs_store *s, int64_t log_id, uint64_t index, gs_bytes data,
                    const gs_hash *hashes, unsigned n, gs_error *err)
{
    return FORWARD(s, append, log_id, index, data, hashes, n, err);
}

int gs_store_set_tree(gs_store *s, int64_t log_id, uint64_t size, const gs_hash *root,
                      gs_error *err)
{
    return FORWARD(s, set_tree, log_id, size, root, err);
}

int gs_store_truncate(gs_store *s, int64_t log_id, uint64_t size, gs_error *err)
{
    return FORWARD(s, truncate, log_id, size, err);
}

int gs_store_read_begin(gs_store *s, bool *opened, gs_error *err)
{
    return FORWARD(s, read_begin, opened, err);
}

void gs_store_read_end(gs_store *s, bool opened)
{
    FORWARD(s, read_end, opened);
}

int gs_store_get_hash(gs_store *s, int64_t log_id, unsigned level, uint64_t index, gs_hash *out,
                      gs_error *err)
{
    return FORWARD(s, get_hash, log_id, level, index, out, err);
}

int gs_store_get_entry(gs_store *s, int64_t log_id, uint64_t index, gs_buf *out, gs_error *err)
{
    return FORWARD(s, get_entry, log_id, index, out, err);
}

int gs_store_put_checkpoint(gs_store *s, int64_t log_id, uint64_t size, const char *text,
                            bool *stored, gs_error *err)
{
    return FORWARD(s, put_checkpoint, log_id, size, text, stored, err);
}

int gs_store_latest_checkpoint(gs_store *s, int64_t log_id, char **text, uint64_t *size,
                               gs_error *err)
{
    return FORWARD(s, latest_checkpoint, log_id, text, size, err);
}

int gs_store_get_checkpoint(gs_store *s, int64_t log_id, uint64_t size, char **text, gs_error *err)
{
    return FORWARD(s, get_checkpoint, log_id, size, text, err);
}

int gs_store_put_evidence(gs_store *s, const char *origin, gs_bytes data, int64_t *id,
                          gs_error *err)
{
    return FORWARD(s, put_evidence, origin, data, id, err);
}

int gs_store_list_evidence(gs_store *s, const char *origin, gs_store_evidence_fn fn, void *ctx,
                           gs_error *err)
{
    return FORWARD(s, list_evidence, origin, fn, ctx, err);
}

int gs_store_backup(const char *src, const char *out, gs_error *err)
{
    if (gs_store_is_pg(src))
        return gs_error_set(err, GS_EINVAL,
                            "the database is on PostgreSQL: back it up with PostgreSQL's own "
                            "tools (pg_basebackup, a streaming replica or pg_dump; "
                            "docs/operations.md), not `giamsat backup`");
    return gs_store_sqlite_backup(src, out, err);
}

int gs_store_put_snapshot(gs_store *s, int64_t log_id, uint64_t size, const gs_hash *root,
                          gs_bytes state, const gs_hash *check, gs_error *err)
{
    return FORWARD(s, put_snapshot, log_id, size, root, state, check, err);
}

int gs_store_get_snapshot(gs_store *s, int64_t log_id, uint64_t at_most, gs_store_snapshot *out,
                          gs_error *err)
{
    return FORWARD(s, get_snapshot, log_id, at_most, out, err);
}

int gs_store_drop_snapshots(gs_store *s, int64_t log_id, gs_error *err)
{
    return FORWARD(s, drop_snapshots, log_id, err);
}

void gs_store_snapshot_clear(gs_store_snapshot *snap)
{
    if (snap != NULL)
        gs_buf_free(&snap->state);
}
