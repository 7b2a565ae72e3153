/* store_backend.h — the two backends behind store.h, for store.c only.
 *
 * store.c chooses one per gs_store from the database string given to
 * gs_store_open: a libpq URI (postgresql://… or postgres://…) is
 * PostgreSQL (store_pg.c), anything else the SQLite file of that path
 * (store_sqlite.c). Each backend implements every call of store.h with the
 * same meaning, invariants and errors; store.c only forwards.
 */
#ifndef GS_STORE_BACKEND_H
#define GS_STORE_BACKEND_H

#include "store.h"

/* The calls of store.h for backend P with handle type T. */
#define GS_STORE_BACKEND(P, T)                                                                     \
    typedef struct T T;                                                                            \
    int P##_open(T **out, const char *path, gs_error *err);                                        \
    void P##_close(T **sp);                                                                        \
    int P##_schema_version(const T *s);                                                            \
    int P##_log_find(T *s, const char *origin, bool create, gs_store_log_state *out,               \
                     gs_error *err);                                                               \
    int P##_log_list(T *s, gs_store_log_fn fn, void *ctx, gs_error *err);                          \
    int P##_begin(T *s, gs_error *err);                                                            \
    int P##_commit(T *s, gs_error *err);                                                           \
    void P##_rollback(T *s);                                                                       \
    bool P##_in_transaction(const T *s);                                                           \
    int P##_on_txn_end(T *s, gs_store_txn_fn fn, void *ctx, gs_error *err);                        \
    void P##_forget_txn_hook(T *s, void *ctx);                                                     \
    int P##_append(T *s, int64_t log_id, uint64_t index, gs_bytes data, const gs_hash *hashes,     \
                   unsigned n, gs_error *err);                                                     \
    int P##_set_tree(T *s, int64_t log_id, uint64_t size, const gs_hash *root, gs_error *err);     \
    int P##_truncate(T *s, int64_t log_id, uint64_t size, gs_error *err);                          \
    int P##_read_begin(T *s, bool *opened, gs_error *err);                                         \
    void P##_read_end(T *s, bool opened);                                                          \
    int P##_get_hash(T *s, int64_t log_id, unsigned level, uint64_t index, gs_hash *out,           \
                     gs_error *err);                                                               \
    int P##_get_entry(T *s, int64_t log_id, uint64_t index, gs_buf *out, gs_error *err);           \
    int P##_put_checkpoint(T *s, int64_t log_id, uint64_t size, const char *text, bool *stored,    \
                           gs_error *err);                                                         \
    int P##_latest_checkpoint(T *s, int64_t log_id, char **text, uint64_t *size, gs_error *err);   \
    int P##_get_checkpoint(T *s, int64_t log_id, uint64_t size, char **text, gs_error *err);       \
    int P##_put_evidence(T *s, const char *origin, gs_bytes data, int64_t *id, gs_error *err);     \
    int P##_list_evidence(T *s, const char *origin, gs_store_evidence_fn fn, void *ctx,            \
                          gs_error *err);                                                          \
    int P##_claim(T *s, gs_error *err);                                                            \
    int P##_put_snapshot(T *s, int64_t log_id, uint64_t size, const gs_hash *root, gs_bytes state, \
                         const gs_hash *check, gs_error *err);                                     \
    int P##_get_snapshot(T *s, int64_t log_id, uint64_t at_most, gs_store_snapshot *out,           \
                         gs_error *err);                                                           \
    int P##_drop_snapshots(T *s, int64_t log_id, gs_error *err)

GS_STORE_BACKEND(gs_store_sqlite, gs_store_sqlite);
int gs_store_sqlite_backup(const char *src, const char *out, gs_error *err);

GS_STORE_BACKEND(gs_store_pg, gs_store_pg);

#endif
