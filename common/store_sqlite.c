/* store_sqlite.c — see store.h and store_backend.h. The SQLite backend.
 *
 * Schema (version 1):
 *   logs(id, origin UNIQUE, size, root)       committed tree state per log
 *   entries(id, hashes, data)                 id = (log id << 40) | index
 *   checkpoints(log_id, size, note)           one note per (log, size)
 *   evidence(id, origin, data)
 *
 * entries is a rowid table appended in key order, so an append touches only
 * the rightmost B-tree pages; hashes comes before data so that reading a
 * stored tree hash never touches the overflow pages of a large entry.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merkle.h"

/* 'gsat': marks the file as ours in the SQLite header (PRAGMA application_id). */
#define GS_STORE_APP_ID 0x67736174
#define INDEX_BITS 40
#define MAX_LOG_ID ((INT64_C(1) << (63 - INDEX_BITS)) - 1)
/* Hashes in one row: levels 0..t with t < INDEX_BITS. */
#define MAX_ROW_HASHES (INDEX_BITS + 1)

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_BEGIN_READ,
    ST_INSERT_ENTRY,
    ST_GET_HASHES,
    ST_GET_ENTRY,
    ST_LAST_ENTRY,
    ST_RANGE,
    ST_SET_TREE,
    ST_FIND_LOG,
    ST_ADD_LOG,
    ST_LIST_LOGS,
    ST_ORIGIN,
    ST_GET_CP,
    ST_PUT_CP,
    ST_LATEST_CP,
    ST_PUT_EV,
    ST_LIST_EV,
    ST_LOG_SIZE,
    ST_TRUNC_ENTRIES,
    ST_TRUNC_CPS,
    ST_PUT_SNAP,
    ST_GET_SNAP,
    ST_TRIM_SNAPS,
    ST_TRUNC_SNAPS,
    ST_DROP_SNAPS,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_BEGIN_READ] = "BEGIN DEFERRED",
    [ST_INSERT_ENTRY] = "INSERT INTO entries(id, hashes, data) VALUES (?1, ?2, ?3)",
    [ST_GET_HASHES] = "SELECT hashes FROM entries WHERE id = ?1",
    [ST_GET_ENTRY] = "SELECT hashes, data FROM entries WHERE id = ?1",
    [ST_LAST_ENTRY] = "SELECT id FROM entries WHERE id BETWEEN ?1 AND ?2 ORDER BY id DESC LIMIT 1",
    [ST_RANGE] = "SELECT id, hashes, data FROM entries WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    [ST_SET_TREE] = "UPDATE logs SET size = ?1, root = ?2 WHERE id = ?3",
    [ST_FIND_LOG] = "SELECT id, size, root FROM logs WHERE origin = ?1",
    [ST_ADD_LOG] = "INSERT INTO logs(origin, size, root) VALUES (?1, 0, ?2)",
    [ST_LIST_LOGS] = "SELECT id, origin, size, root FROM logs ORDER BY id",
    [ST_ORIGIN] = "SELECT origin FROM logs WHERE id = ?1",
    [ST_GET_CP] = "SELECT note FROM checkpoints WHERE log_id = ?1 AND size = ?2",
    [ST_PUT_CP] = "INSERT OR REPLACE INTO checkpoints(log_id, size, note) VALUES (?1, ?2, ?3)",
    [ST_LATEST_CP] =
        "SELECT size, note FROM checkpoints WHERE log_id = ?1 ORDER BY size DESC LIMIT 1",
    [ST_PUT_EV] = "INSERT INTO evidence(origin, data) VALUES (?1, ?2)",
    [ST_LIST_EV] = ("SELECT id, origin, data FROM evidence WHERE ?1 IS NULL OR origin = ?1 "
                    "ORDER BY id"),
    [ST_LOG_SIZE] = "SELECT size FROM logs WHERE id = ?1",
    [ST_TRUNC_ENTRIES] = "DELETE FROM entries WHERE id BETWEEN ?1 AND ?2",
    [ST_TRUNC_CPS] = "DELETE FROM checkpoints WHERE log_id = ?1 AND size > ?2",
    [ST_PUT_SNAP] = ("INSERT OR REPLACE INTO rule_snapshots(log_id, size, root, state, check_hash) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)"),
    [ST_GET_SNAP] = ("SELECT size, root, state, check_hash FROM rule_snapshots WHERE log_id = ?1 "
                     "AND size <= ?2 ORDER BY size DESC LIMIT 1"),
    [ST_TRIM_SNAPS] = ("DELETE FROM rule_snapshots WHERE log_id = ?1 AND size NOT IN (SELECT size "
                       "FROM rule_snapshots WHERE log_id = ?1 ORDER BY size DESC LIMIT ?2)"),
    [ST_TRUNC_SNAPS] = "DELETE FROM rule_snapshots WHERE log_id = ?1 AND size > ?2",
    [ST_DROP_SNAPS] = "DELETE FROM rule_snapshots WHERE log_id = ?1",
};

/* Rule-state snapshots (store.h): a table added without a schema version, so
 * that an older build still opens the store (it ignores the table) and a
 * downgrade costs only a full replay. Created at every open when missing. */
static const char snapshots_sql[] = "CREATE TABLE IF NOT EXISTS rule_snapshots ("
                                    "  log_id INTEGER NOT NULL REFERENCES logs(id),"
                                    "  size INTEGER NOT NULL,"
                                    "  root BLOB NOT NULL,"
                                    "  state BLOB NOT NULL,"
                                    "  check_hash BLOB NOT NULL,"
                                    "  PRIMARY KEY (log_id, size)) WITHOUT ROWID;";

/* Migration i takes schema version i to i + 1. Append only: never edit a
 * migration that has shipped. Each runs inside the opening transaction. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    ("CREATE TABLE logs ("
     "  id INTEGER PRIMARY KEY,"
     "  origin TEXT NOT NULL UNIQUE,"
     "  size INTEGER NOT NULL CHECK (size >= 0),"
     "  root BLOB NOT NULL CHECK (length(root) = 32));"
     "CREATE TABLE entries ("
     "  id INTEGER PRIMARY KEY,"
     "  hashes BLOB NOT NULL,"
     "  data BLOB NOT NULL);"
     "CREATE TABLE checkpoints ("
     "  log_id INTEGER NOT NULL REFERENCES logs(id),"
     "  size INTEGER NOT NULL,"
     "  note BLOB NOT NULL,"
     "  PRIMARY KEY (log_id, size)) WITHOUT ROWID;"
     "CREATE TABLE evidence ("
     "  id INTEGER PRIMARY KEY,"
     "  origin TEXT NOT NULL,"
     "  data BLOB NOT NULL);"
     "CREATE INDEX evidence_by_origin ON evidence(origin, id);"),
};
_Static_assert(sizeof migrations / sizeof migrations[0] == GS_STORE_SCHEMA_VERSION,
               "one migration per schema version");

typedef struct {
    gs_store_txn_fn fn;
    void *ctx;
} txn_hook;

struct gs_store_sqlite {
    sqlite3 *db;
    char *path;
    int version;
    bool in_txn;
    bool aborted; /* the open transaction was rolled back after a failed write */
    bool in_read; /* a read snapshot (gs_store_sqlite_read_begin) is open */
    sqlite3_stmt *st[ST_COUNT];
    txn_hook *hooks;
    size_t nhooks, caphooks;
};

/* A zero-length blob must be bound through a non-NULL pointer, or SQLite
 * stores NULL. */
static const uint8_t empty_blob[1];

static int64_t entry_id(int64_t log_id, uint64_t index)
{
    return (int64_t)(((uint64_t)log_id << INDEX_BITS) | index);
}

/* Number of hashes stored in the row of leaf i: 1 + trailing 1 bits of i. */
static unsigned row_hashes(uint64_t i)
{
    unsigned n = 1;
    while (i & 1) {
        n++;
        i >>= 1;
    }
    return n;
}

/* Turns an SQLite failure into an error sentence. The codes a person can act
 * on get their own words: a full disk, a locked file, a damaged file. */
static int db_error(gs_store_sqlite *s, gs_error *err, int rc, const char *what)
{
    const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    int sys = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
    if ((rc & 0xff) == SQLITE_IOERR && sys == ENOSPC)
        rc = SQLITE_FULL;
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return gs_error_set(err, GS_EIO,
                            "store %s: disk full while %s; nothing of it was kept; free some "
                            "space and retry",
                            s->path, what);
    case SQLITE_NOTADB:
        return gs_error_set(err, GS_EINVAL, "%s is not a giamsat store: file is not a database",
                            s->path);
    case SQLITE_CORRUPT:
        return gs_error_set(err, GS_ECORRUPT,
                            "store %s is damaged (%s) while %s; restore it from a replica or "
                            "a backup",
                            s->path, msg, what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return gs_error_set(err, GS_EIO,
                            "store %s is locked by another process while %s; is another "
                            "daemon using it?",
                            s->path, what);
    case SQLITE_IOERR:
        return gs_error_set(err, GS_EIO,
                            "store %s: %s%s%s while %s; nothing of it was kept; check the disk "
                            "(free space, file size limit, hardware)",
                            s->path, msg, sys ? ": " : "", sys ? strerror(sys) : "", what);
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return gs_error_set(err, GS_EIO, "store %s cannot be written or opened (%s) while %s",
                            s->path, msg, what);
    }
    return gs_error_set(err, GS_EIO, "store %s: %s while %s", s->path, msg, what);
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int step_done(gs_store_sqlite *s, sqlite3_stmt *st, gs_error *err, const char *what)
{
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = db_error(s, err, rc, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

static void finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* The origin of a log, for error sentences. */
static const char *origin_of(gs_store_sqlite *s, int64_t log_id, char *buf, size_t cap)
{
    sqlite3_stmt *st = s->st[ST_ORIGIN];
    snprintf(buf, cap, "#%lld", (long long)log_id);
    if (st == NULL)
        return buf;
    sqlite3_bind_int64(st, 1, log_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *o = sqlite3_column_text(st, 0);
        if (o != NULL)
            snprintf(buf, cap, "%s", (const char *)o);
    }
    finish(st);
    return buf;
}

/* ---- transactions --------------------------------------------------------- */

static void run_hooks(gs_store_sqlite *s, bool committed)
{
    /* A hook may not register another; take the list first. */
    size_t n = s->nhooks;
    s->nhooks = 0;
    for (size_t i = 0; i < n; i++)
        s->hooks[i].fn(s->hooks[i].ctx, committed);
}

static void rollback_now(gs_store_sqlite *s)
{
    if (!s->in_txn)
        return;
    sqlite3_step(s->st[ST_ROLLBACK]);
    sqlite3_reset(s->st[ST_ROLLBACK]);
    s->in_txn = false;
    run_hooks(s, false);
}

/* A write inside a transaction failed: roll everything back at once, so no
 * part of the transaction can be committed by mistake. */
static int abort_txn(gs_store_sqlite *s, int rc)
{
    if (s->in_txn) {
        rollback_now(s);
        s->aborted = true;
    }
    return rc;
}

int gs_store_sqlite_begin(gs_store_sqlite *s, gs_error *err)
{
    if (s->in_read)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: a read snapshot is open; end it before writing", s->path);
    if (s->in_txn)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: a transaction is already open; commit or roll it back "
                            "first",
                            s->path);
    s->aborted = false;
    int rc = step_done(s, s->st[ST_BEGIN], err, "starting a transaction");
    if (rc != 0)
        return rc;
    s->in_txn = true;
    return 0;
}

int gs_store_sqlite_commit(gs_store_sqlite *s, gs_error *err)
{
    if (!s->in_txn) {
        if (s->aborted) {
            s->aborted = false;
            return gs_error_set(err, GS_EIO,
                                "store %s: nothing was committed: the transaction was rolled "
                                "back after an earlier error",
                                s->path);
        }
        return gs_error_set(err, GS_EINVAL, "store %s: no transaction is open to commit", s->path);
    }
    int rc = step_done(s, s->st[ST_COMMIT], err, "committing");
    if (rc != 0) {
        /* SQLite may leave the transaction open after a failed COMMIT
         * (SQLITE_BUSY); either way nothing of it is durable. */
        if (!sqlite3_get_autocommit(s->db)) {
            sqlite3_step(s->st[ST_ROLLBACK]);
            sqlite3_reset(s->st[ST_ROLLBACK]);
        }
        s->in_txn = false;
        run_hooks(s, false);
        return rc;
    }
    s->in_txn = false;
    run_hooks(s, true);
    return 0;
}

void gs_store_sqlite_rollback(gs_store_sqlite *s)
{
    if (s == NULL)
        return;
    s->aborted = false;
    rollback_now(s);
}

int gs_store_sqlite_read_begin(gs_store_sqlite *s, bool *opened, gs_error *err)
{
    *opened = false;
    if (s->in_txn || s->in_read)
        return 0;
    int rc = step_done(s, s->st[ST_BEGIN_READ], err, "starting a read");
    if (rc != 0)
        return rc;
    s->in_read = true;
    *opened = true;
    return 0;
}

void gs_store_sqlite_read_end(gs_store_sqlite *s, bool opened)
{
    if (!opened || !s->in_read)
        return;
    /* A read-only transaction: COMMIT only releases the snapshot. */
    sqlite3_step(s->st[ST_COMMIT]);
    sqlite3_reset(s->st[ST_COMMIT]);
    s->in_read = false;
}

bool gs_store_sqlite_in_transaction(const gs_store_sqlite *s)
{
    return s->in_txn;
}

int gs_store_sqlite_on_txn_end(gs_store_sqlite *s, gs_store_txn_fn fn, void *ctx, gs_error *err)
{
    if (!s->in_txn)
        return gs_error_set(err, GS_EINVAL, "store %s: no transaction is open", s->path);
    for (size_t i = 0; i < s->nhooks; i++)
        if (s->hooks[i].ctx == ctx)
            return 0;
    if (s->nhooks == s->caphooks) {
        size_t cap = s->caphooks == 0 ? 8 : s->caphooks * 2;
        txn_hook *h = realloc(s->hooks, cap * sizeof *h);
        if (h == NULL)
            return abort_txn(s, gs_error_set(err, GS_ENOMEM, "store %s: out of memory", s->path));
        s->hooks = h;
        s->caphooks = cap;
    }
    s->hooks[s->nhooks].fn = fn;
    s->hooks[s->nhooks].ctx = ctx;
    s->nhooks++;
    return 0;
}

void gs_store_sqlite_forget_txn_hook(gs_store_sqlite *s, void *ctx)
{
    for (size_t i = 0; i < s->nhooks; i++) {
        if (s->hooks[i].ctx == ctx) {
            s->hooks[i] = s->hooks[s->nhooks - 1];
            s->nhooks--;
            return;
        }
    }
}

/* Writes outside a transaction get one of their own. */
static int auto_begin(gs_store_sqlite *s, bool *own, gs_error *err)
{
    *own = false;
    if (s->in_txn)
        return 0;
    int rc = gs_store_sqlite_begin(s, err);
    if (rc == 0)
        *own = true;
    return rc;
}

static int auto_end(gs_store_sqlite *s, bool own, int rc, gs_error *err)
{
    if (!own)
        return rc;
    if (rc != 0) {
        gs_store_sqlite_rollback(s);
        return rc;
    }
    return gs_store_sqlite_commit(s, err);
}

/* ---- writes --------------------------------------------------------------- */

static int check_log_id(gs_store_sqlite *s, int64_t log_id, gs_error *err)
{
    if (log_id < 1 || log_id > MAX_LOG_ID)
        return gs_error_set(err, GS_EINVAL, "store %s: %lld is not a log id", s->path,
                            (long long)log_id);
    return 0;
}

int gs_store_sqlite_append(gs_store_sqlite *s, int64_t log_id, uint64_t index, gs_bytes data,
                           const gs_hash *hashes, unsigned n, gs_error *err)
{
    if (!s->in_txn)
        return gs_error_set(
            err, GS_EINVAL,
            "store %s: appending needs a transaction: call gs_store_sqlite_begin first", s->path);
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return abort_txn(s, rc);
    if (index >= GS_STORE_MAX_LOG_SIZE)
        return abort_txn(s, gs_error_set(err, GS_ETOOBIG,
                                         "store %s: a log holds at most 2^40 entries", s->path));
    if (data.n > GS_STORE_MAX_ENTRY)
        return abort_txn(s, gs_error_set(err, GS_ETOOBIG,
                                         "store %s: entry %llu is %zu bytes, above the limit of "
                                         "%u",
                                         s->path, (unsigned long long)index, data.n,
                                         GS_STORE_MAX_ENTRY));
    if (n != row_hashes(index) || hashes == NULL)
        return abort_txn(s, gs_error_set(err, GS_EINVAL,
                                         "store %s: entry %llu closes %u subtrees and needs "
                                         "that many hashes, not %u",
                                         s->path, (unsigned long long)index, row_hashes(index), n));
    sqlite3_stmt *st = s->st[ST_INSERT_ENTRY];
    sqlite3_bind_int64(st, 1, entry_id(log_id, index));
    sqlite3_bind_blob(st, 2, hashes, (int)(n * sizeof(gs_hash)), SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, data.n ? (const void *)data.p : (const void *)empty_blob, (int)data.n,
                      SQLITE_STATIC);
    rc = sqlite3_step(st);
    finish(st);
    if (rc != SQLITE_DONE) {
        char what[64];
        snprintf(what, sizeof what, "appending entry %llu", (unsigned long long)index);
        if ((rc & 0xff) == SQLITE_CONSTRAINT) {
            char o[GS_STORE_MAX_ORIGIN + 1];
            rc =
                gs_error_set(err, GS_ECONFLICT, "store %s: entry %llu of log %s is already held",
                             s->path, (unsigned long long)index, origin_of(s, log_id, o, sizeof o));
        } else
            rc = db_error(s, err, rc, what);
        return abort_txn(s, rc);
    }
    return 0;
}

int gs_store_sqlite_set_tree(gs_store_sqlite *s, int64_t log_id, uint64_t size, const gs_hash *root,
                             gs_error *err)
{
    if (!s->in_txn)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: setting a tree state needs a transaction: call "
                            "gs_store_sqlite_begin first",
                            s->path);
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return abort_txn(s, rc);
    if (size > GS_STORE_MAX_LOG_SIZE)
        return abort_txn(s, gs_error_set(err, GS_ETOOBIG,
                                         "store %s: a log holds at most 2^40 entries", s->path));
    sqlite3_stmt *st = s->st[ST_SET_TREE];
    sqlite3_bind_int64(st, 1, (int64_t)size);
    sqlite3_bind_blob(st, 2, root->b, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, log_id);
    rc = step_done(s, st, err, "saving a tree state");
    if (rc != 0)
        return abort_txn(s, rc);
    if (sqlite3_changes(s->db) != 1)
        return abort_txn(s, gs_error_set(err, GS_ENOTFOUND, "store %s: there is no log %lld",
                                         s->path, (long long)log_id));
    return 0;
}

typedef struct {
    gs_store_sqlite *s;
    int64_t log_id;
} get_ctx;

static int get_cb(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err);

int gs_store_sqlite_truncate(gs_store_sqlite *s, int64_t log_id, uint64_t size, gs_error *err)
{
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return rc;
    if (s->in_read)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: a read snapshot is open; end it before writing", s->path);
    bool own;
    if ((rc = auto_begin(s, &own, err)) != 0)
        return rc;
    char o[GS_STORE_MAX_ORIGIN + 1];
    sqlite3_stmt *st = s->st[ST_LOG_SIZE];
    sqlite3_bind_int64(st, 1, log_id);
    int r = sqlite3_step(st);
    int64_t held = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    finish(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = db_error(s, err, r, "reading a log's size");
        goto out;
    }
    if (held < 0) {
        rc = gs_error_set(err, GS_ENOTFOUND, "store %s: there is no log %lld", s->path,
                          (long long)log_id);
        goto out;
    }
    if (size > (uint64_t)held) {
        rc = gs_error_set(
            err, GS_EINVAL, "store %s: log %s holds %lld entries; it cannot be truncated to %llu",
            s->path, origin_of(s, log_id, o, sizeof o), (long long)held, (unsigned long long)size);
        goto out;
    }
    /* The subtrees of the size-n tree all end below n, so their stored
     * hashes survive the delete: the new root is rebuilt from them. */
    gs_merkle_frontier f;
    gs_hash root;
    get_ctx g = {s, log_id};
    if ((rc = gs_merkle_frontier_load(&f, size, get_cb, &g, err)) != 0)
        goto out;
    gs_merkle_frontier_root(&f, &root);
    st = s->st[ST_TRUNC_ENTRIES];
    sqlite3_bind_int64(st, 1, entry_id(log_id, size));
    sqlite3_bind_int64(st, 2, entry_id(log_id, GS_STORE_MAX_LOG_SIZE - 1));
    if ((rc = step_done(s, st, err, "truncating a log")) != 0)
        goto out;
    /* A checkpoint above the new size names entries that are gone. */
    st = s->st[ST_TRUNC_CPS];
    sqlite3_bind_int64(st, 1, log_id);
    sqlite3_bind_int64(st, 2, (int64_t)size);
    if ((rc = step_done(s, st, err, "truncating a log's checkpoints")) != 0)
        goto out;
    st = s->st[ST_TRUNC_SNAPS]; /* and so does a rule state above it */
    sqlite3_bind_int64(st, 1, log_id);
    sqlite3_bind_int64(st, 2, (int64_t)size);
    if ((rc = step_done(s, st, err, "truncating a log's rule snapshots")) != 0)
        goto out;
    st = s->st[ST_SET_TREE];
    sqlite3_bind_int64(st, 1, (int64_t)size);
    sqlite3_bind_blob(st, 2, root.b, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, log_id);
    rc = step_done(s, st, err, "saving a tree state");
out:
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

/* ---- reads ---------------------------------------------------------------- */

/* Checks a row's hash blob and returns its hashes, or GS_ECORRUPT. */
static int row_blob(gs_store_sqlite *s, sqlite3_stmt *st, int col, int64_t log_id, uint64_t leaf,
                    const uint8_t **hashes, unsigned *n, const char *refusal, gs_error *err)
{
    const void *p = sqlite3_column_blob(st, col);
    int bytes = sqlite3_column_bytes(st, col);
    unsigned want = row_hashes(leaf);
    if (p == NULL || bytes != (int)(want * sizeof(gs_hash))) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        return gs_error_set(err, GS_ECORRUPT,
                            "entry %llu of log %s has a damaged tree hash record (%d bytes, "
                            "expected %u): the database was altered; %s",
                            (unsigned long long)leaf, origin_of(s, log_id, o, sizeof o), bytes,
                            want * 32, refusal);
    }
    *hashes = p;
    *n = want;
    return 0;
}

int gs_store_sqlite_get_hash(gs_store_sqlite *s, int64_t log_id, unsigned level, uint64_t index,
                             gs_hash *out, gs_error *err)
{
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return rc;
    if (level >= INDEX_BITS || index >= (GS_STORE_MAX_LOG_SIZE >> level))
        return gs_error_set(err, GS_ENOTFOUND,
                            "store %s: there is no subtree (level %u, index %llu) in a log",
                            s->path, level, (unsigned long long)index);
    /* The subtree (level, index) ends at leaf (index + 1) * 2^level - 1, and
     * its hash is the level-th hash stored in that leaf's row. */
    uint64_t leaf = ((index + 1) << level) - 1;
    sqlite3_stmt *st = s->st[ST_GET_HASHES];
    sqlite3_bind_int64(st, 1, entry_id(log_id, leaf));
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const uint8_t *h = NULL;
        unsigned n = 0;
        rc = row_blob(s, st, 0, log_id, leaf, &h, &n, "refusing to serve it", err);
        if (rc == 0)
            memcpy(out->b, h + 32 * (size_t)level, 32);
    } else if (rc == SQLITE_DONE) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        finish(st);
        return gs_error_set(err, GS_ENOTFOUND,
                            "log %s does not hold subtree (level %u, index %llu): entry %llu is "
                            "not stored",
                            origin_of(s, log_id, o, sizeof o), level, (unsigned long long)index,
                            (unsigned long long)leaf);
    } else {
        rc = db_error(s, err, rc, "reading a tree hash");
    }
    finish(st);
    return rc;
}

int gs_store_sqlite_get_entry(gs_store_sqlite *s, int64_t log_id, uint64_t index, gs_buf *out,
                              gs_error *err)
{
    out->p = NULL;
    out->n = 0;
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return rc;
    char o[GS_STORE_MAX_ORIGIN + 1];
    if (index >= GS_STORE_MAX_LOG_SIZE)
        return gs_error_set(err, GS_ENOTFOUND, "log %s has no entry %llu",
                            origin_of(s, log_id, o, sizeof o), (unsigned long long)index);
    sqlite3_stmt *st = s->st[ST_GET_ENTRY];
    sqlite3_bind_int64(st, 1, entry_id(log_id, index));
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        finish(st);
        return gs_error_set(err, GS_ENOTFOUND, "log %s has no entry %llu",
                            origin_of(s, log_id, o, sizeof o), (unsigned long long)index);
    }
    if (rc != SQLITE_ROW) {
        rc = db_error(s, err, rc, "reading an entry");
        finish(st);
        return rc;
    }
    const uint8_t *hashes = NULL;
    unsigned n = 0;
    rc = row_blob(s, st, 0, log_id, index, &hashes, &n, "refusing to serve it", err);
    if (rc != 0)
        goto out;
    const void *data = sqlite3_column_blob(st, 1);
    size_t len = (size_t)sqlite3_column_bytes(st, 1);
    gs_hash leaf;
    gs_merkle_leaf_hash(gs_bytes_of(data, len), &leaf);
    if (memcmp(leaf.b, hashes, 32) != 0) {
        rc = gs_error_set(err, GS_ECORRUPT,
                          "entry %llu of log %s does not match its stored leaf hash: the "
                          "database was altered; refusing to serve it",
                          (unsigned long long)index, origin_of(s, log_id, o, sizeof o));
        goto out;
    }
    out->p = malloc(len ? len : 1);
    if (out->p == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory reading entry %llu",
                          (unsigned long long)index);
        goto out;
    }
    if (len)
        memcpy(out->p, data, len);
    out->n = len;
    rc = 0;
out:
    finish(st);
    return rc;
}

/* ---- logs ----------------------------------------------------------------- */

static int read_log_row(sqlite3_stmt *st, int id_col, int size_col, int root_col,
                        gs_store_log_state *out)
{
    int64_t size = sqlite3_column_int64(st, size_col);
    const void *root = sqlite3_column_blob(st, root_col);
    if (size < 0 || (uint64_t)size > GS_STORE_MAX_LOG_SIZE || root == NULL ||
        sqlite3_column_bytes(st, root_col) != 32)
        return -1;
    out->id = sqlite3_column_int64(st, id_col);
    out->size = (uint64_t)size;
    memcpy(out->root.b, root, 32);
    return 0;
}

int gs_store_sqlite_log_find(gs_store_sqlite *s, const char *origin, bool create,
                             gs_store_log_state *out, gs_error *err)
{
    size_t len = origin != NULL ? strlen(origin) : 0;
    if (len == 0 || len > GS_STORE_MAX_ORIGIN)
        return gs_error_set(err, GS_EINVAL, "a log origin must be 1 to %d bytes long",
                            GS_STORE_MAX_ORIGIN);
    sqlite3_stmt *st = s->st[ST_FIND_LOG];
    sqlite3_bind_text(st, 1, origin, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (read_log_row(st, 0, 1, 2, out) != 0)
            rc = gs_error_set(err, GS_ECORRUPT,
                              "log %s has a damaged tree state in store %s: the database was "
                              "altered",
                              origin, s->path);
        else
            rc = 0;
        finish(st);
        return rc;
    }
    finish(st);
    if (rc != SQLITE_DONE)
        return db_error(s, err, rc, "looking up a log");
    if (!create)
        return gs_error_set(err, GS_ENOTFOUND, "store %s holds no log %s", s->path, origin);

    bool own;
    rc = auto_begin(s, &own, err);
    if (rc != 0)
        return rc;
    gs_hash empty;
    gs_merkle_empty_root(&empty);
    st = s->st[ST_ADD_LOG];
    sqlite3_bind_text(st, 1, origin, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, empty.b, 32, SQLITE_STATIC);
    rc = step_done(s, st, err, "adding a log");
    if (rc == 0) {
        int64_t id = sqlite3_last_insert_rowid(s->db);
        if (id > MAX_LOG_ID)
            rc = gs_error_set(err, GS_ETOOBIG, "store %s holds too many logs", s->path);
        out->id = id;
        out->size = 0;
        out->root = empty;
    }
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

int gs_store_sqlite_log_list(gs_store_sqlite *s, gs_store_log_fn fn, void *ctx, gs_error *err)
{
    sqlite3_stmt *st = s->st[ST_LIST_LOGS];
    int rc;
    /* The statement stays busy while fn runs, so fn may use other statements
     * of this store but must not list logs itself. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        gs_store_log_state ls;
        const unsigned char *origin = sqlite3_column_text(st, 1);
        if (origin == NULL || read_log_row(st, 0, 2, 3, &ls) != 0) {
            finish(st);
            return gs_error_set(err, GS_ECORRUPT,
                                "store %s has a damaged log row: the database was altered",
                                s->path);
        }
        int r = fn(ctx, (const char *)origin, &ls);
        if (r != 0) {
            finish(st);
            return r;
        }
    }
    finish(st);
    if (rc != SQLITE_DONE)
        return db_error(s, err, rc, "listing logs");
    return 0;
}

/* ---- checkpoints ---------------------------------------------------------- */

/* Signature lines of a C2SP signed note: after the blank line that ends the
 * body, each line starts with an em dash and a space. */
static unsigned signature_lines(const char *text, size_t len)
{
    const char *end = text + len;
    const char *p = NULL;
    for (const char *q = text; q + 1 < end; q++) {
        if (q[0] == '\n' && q[1] == '\n') {
            p = q + 2;
            break;
        }
    }
    if (p == NULL)
        return 0;
    unsigned n = 0;
    while (p < end) {
        if (end - p >= 4 && memcmp(p, "\xe2\x80\x94 ", 4) == 0)
            n++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return n;
}

static int dup_text(const void *p, size_t n, char **out, gs_error *err)
{
    *out = malloc(n + 1);
    if (*out == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory reading a checkpoint");
    if (n)
        memcpy(*out, p, n);
    (*out)[n] = '\0';
    return 0;
}

int gs_store_sqlite_get_checkpoint(gs_store_sqlite *s, int64_t log_id, uint64_t size, char **text,
                                   gs_error *err)
{
    *text = NULL;
    sqlite3_stmt *st = s->st[ST_GET_CP];
    sqlite3_bind_int64(st, 1, log_id);
    sqlite3_bind_int64(st, 2, (int64_t)size);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rc = dup_text(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), text, err);
    } else if (rc == SQLITE_DONE) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        finish(st);
        return gs_error_set(err, GS_ENOTFOUND, "log %s has no checkpoint at size %llu",
                            origin_of(s, log_id, o, sizeof o), (unsigned long long)size);
    } else {
        rc = db_error(s, err, rc, "reading a checkpoint");
    }
    finish(st);
    return rc;
}

int gs_store_sqlite_put_checkpoint(gs_store_sqlite *s, int64_t log_id, uint64_t size,
                                   const char *text, bool *stored, gs_error *err)
{
    if (stored != NULL)
        *stored = false;
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return rc;
    size_t len = text != NULL ? strnlen(text, GS_STORE_MAX_NOTE + 1) : 0;
    if (len == 0 || len > GS_STORE_MAX_NOTE)
        return gs_error_set(err, GS_EINVAL, "a checkpoint note must be 1 to %u bytes long",
                            GS_STORE_MAX_NOTE);
    if (size > GS_STORE_MAX_LOG_SIZE)
        return gs_error_set(err, GS_ETOOBIG, "a log holds at most 2^40 entries");
    bool own;
    rc = auto_begin(s, &own, err);
    if (rc != 0)
        return rc;
    char *old = NULL;
    gs_error e2;
    int r = gs_store_sqlite_get_checkpoint(s, log_id, size, &old, &e2);
    if (r != 0 && r != GS_ENOTFOUND) {
        if (err != NULL)
            *err = e2;
        rc = r;
        goto out;
    }
    bool replace = true;
    if (r == 0) {
        unsigned had = signature_lines(old, strlen(old));
        unsigned has = signature_lines(text, len);
        replace = has > had;
        if (!replace && strcmp(old, text) == 0 && stored != NULL)
            *stored = true;
    }
    if (replace) {
        sqlite3_stmt *st = s->st[ST_PUT_CP];
        sqlite3_bind_int64(st, 1, log_id);
        sqlite3_bind_int64(st, 2, (int64_t)size);
        sqlite3_bind_blob(st, 3, text, (int)len, SQLITE_STATIC);
        rc = step_done(s, st, err, "saving a checkpoint");
        if (rc != 0)
            goto out;
        if (stored != NULL)
            *stored = true;
    }
    rc = 0;
out:
    free(old);
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

int gs_store_sqlite_latest_checkpoint(gs_store_sqlite *s, int64_t log_id, char **text,
                                      uint64_t *size, gs_error *err)
{
    *text = NULL;
    sqlite3_stmt *st = s->st[ST_LATEST_CP];
    sqlite3_bind_int64(st, 1, log_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (size != NULL)
            *size = (uint64_t)sqlite3_column_int64(st, 0);
        rc = dup_text(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), text, err);
    } else if (rc == SQLITE_DONE) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        finish(st);
        return gs_error_set(err, GS_ENOTFOUND, "log %s has no checkpoint yet",
                            origin_of(s, log_id, o, sizeof o));
    } else {
        rc = db_error(s, err, rc, "reading a checkpoint");
    }
    finish(st);
    return rc;
}

/* ---- rule-state snapshots ------------------------------------------------- */

int gs_store_sqlite_put_snapshot(gs_store_sqlite *s, int64_t log_id, uint64_t size,
                                 const gs_hash *root, gs_bytes state, const gs_hash *check,
                                 gs_error *err)
{
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return rc;
    if (size == 0 || size > GS_STORE_MAX_LOG_SIZE || state.n == 0 ||
        state.n > GS_STORE_MAX_SNAPSHOT)
        return gs_error_set(err, GS_EINVAL,
                            "a rule snapshot needs a size of 1 to 2^40 and 1 to %u bytes",
                            GS_STORE_MAX_SNAPSHOT);
    if (s->in_read)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: a read snapshot is open; end it before writing", s->path);
    bool own;
    if ((rc = auto_begin(s, &own, err)) != 0)
        return rc;
    sqlite3_stmt *st = s->st[ST_PUT_SNAP];
    sqlite3_bind_int64(st, 1, log_id);
    sqlite3_bind_int64(st, 2, (int64_t)size);
    sqlite3_bind_blob(st, 3, root->b, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, state.p, (int)state.n, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, check->b, 32, SQLITE_STATIC);
    if ((rc = step_done(s, st, err, "saving a rule snapshot")) != 0)
        goto out;
    st = s->st[ST_TRIM_SNAPS];
    sqlite3_bind_int64(st, 1, log_id);
    sqlite3_bind_int64(st, 2, GS_STORE_SNAPSHOTS_KEPT);
    rc = step_done(s, st, err, "dropping older rule snapshots");
out:
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

int gs_store_sqlite_drop_snapshots(gs_store_sqlite *s, int64_t log_id, gs_error *err)
{
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return rc;
    if (s->in_read)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: a read snapshot is open; end it before writing", s->path);
    bool own;
    if ((rc = auto_begin(s, &own, err)) != 0)
        return rc;
    sqlite3_stmt *st = s->st[ST_DROP_SNAPS];
    sqlite3_bind_int64(st, 1, log_id);
    rc = step_done(s, st, err, "dropping rule snapshots");
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

int gs_store_sqlite_get_snapshot(gs_store_sqlite *s, int64_t log_id, uint64_t at_most,
                                 gs_store_snapshot *out, gs_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = s->st[ST_GET_SNAP];
    sqlite3_bind_int64(st, 1, log_id);
    sqlite3_bind_int64(
        st, 2, at_most > GS_STORE_MAX_LOG_SIZE ? (int64_t)GS_STORE_MAX_LOG_SIZE : (int64_t)at_most);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        finish(st);
        return gs_error_set(err, GS_ENOTFOUND, "no rule snapshot at or below size %llu",
                            (unsigned long long)at_most);
    }
    if (rc != SQLITE_ROW) {
        rc = db_error(s, err, rc, "reading a rule snapshot");
        finish(st);
        return rc;
    }
    /* Sizes that are not 32 bytes are the caller's to refuse (a hash that
     * cannot match), not a failure to read. */
    int64_t size = sqlite3_column_int64(st, 0);
    out->size = size > 0 ? (uint64_t)size : 0;
    const void *p = sqlite3_column_blob(st, 1);
    if (p != NULL && sqlite3_column_bytes(st, 1) == 32)
        memcpy(out->root.b, p, 32);
    p = sqlite3_column_blob(st, 3);
    if (p != NULL && sqlite3_column_bytes(st, 3) == 32)
        memcpy(out->check.b, p, 32);
    p = sqlite3_column_blob(st, 2);
    size_t n = (size_t)sqlite3_column_bytes(st, 2);
    rc = 0;
    if (n > 0 && (out->state.p = malloc(n)) == NULL)
        rc = gs_error_set(err, GS_ENOMEM, "out of memory reading a rule snapshot");
    else if (n > 0) {
        memcpy(out->state.p, p, n);
        out->state.n = n;
    }
    finish(st);
    return rc;
}

/* ---- evidence ------------------------------------------------------------- */

int gs_store_sqlite_put_evidence(gs_store_sqlite *s, const char *origin, gs_bytes data, int64_t *id,
                                 gs_error *err)
{
    size_t olen = origin != NULL ? strlen(origin) : 0;
    if (olen == 0 || olen > GS_STORE_MAX_ORIGIN)
        return gs_error_set(err, GS_EINVAL, "an evidence origin must be 1 to %d bytes long",
                            GS_STORE_MAX_ORIGIN);
    if (data.n == 0 || data.n > GS_STORE_MAX_EVIDENCE)
        return gs_error_set(err, GS_EINVAL, "evidence must be 1 to %u bytes long",
                            GS_STORE_MAX_EVIDENCE);
    bool own;
    int rc = auto_begin(s, &own, err);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st = s->st[ST_PUT_EV];
    sqlite3_bind_text(st, 1, origin, (int)olen, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, data.p, (int)data.n, SQLITE_STATIC);
    rc = step_done(s, st, err, "saving evidence");
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

int gs_store_sqlite_list_evidence(gs_store_sqlite *s, const char *origin, gs_store_evidence_fn fn,
                                  void *ctx, gs_error *err)
{
    sqlite3_stmt *st = s->st[ST_LIST_EV];
    if (origin != NULL)
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *o = sqlite3_column_text(st, 1);
        const void *p = sqlite3_column_blob(st, 2);
        size_t n = (size_t)sqlite3_column_bytes(st, 2);
        int r = fn(ctx, sqlite3_column_int64(st, 0), o != NULL ? (const char *)o : "",
                   gs_bytes_of(p != NULL ? p : empty_blob, n));
        if (r != 0) {
            finish(st);
            return r;
        }
    }
    finish(st);
    if (rc != SQLITE_DONE)
        return db_error(s, err, rc, "listing evidence");
    return 0;
}

/* ---- open: schema and the check of every log ------------------------------ */

static int exec(gs_store_sqlite *s, const char *sql, gs_error *err, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_error(s, err, rc, what);
    return 0;
}

static int pragma_int(gs_store_sqlite *s, const char *sql, int64_t *out, gs_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_error(s, err, rc, "reading the file header");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        rc = db_error(s, err, rc, "reading the file header");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Brings the schema to GS_STORE_SCHEMA_VERSION in one transaction, or
 * refuses a file that is not ours or comes from a newer giamsat. */
static int migrate(gs_store_sqlite *s, gs_error *err)
{
    int rc = exec(s, "BEGIN IMMEDIATE", err, "opening");
    if (rc != 0)
        return rc;
    int64_t app_id = 0, version = 0, objects = 0;
    if ((rc = pragma_int(s, "PRAGMA application_id", &app_id, err)) != 0 ||
        (rc = pragma_int(s, "PRAGMA user_version", &version, err)) != 0 ||
        (rc = pragma_int(s, "SELECT count(*) FROM sqlite_master", &objects, err)) != 0)
        goto out;
    if (app_id != GS_STORE_APP_ID && !(app_id == 0 && version == 0 && objects == 0)) {
        rc = gs_error_set(err, GS_EINVAL,
                          "%s is not a giamsat store: it is an SQLite database of another "
                          "program",
                          s->path);
        goto out;
    }
    if (version > GS_STORE_SCHEMA_VERSION) {
        rc = gs_error_set(err, GS_EINVAL,
                          "store %s has schema version %lld, newer than this giamsat knows "
                          "(%d): upgrade giamsat to open it",
                          s->path, (long long)version, GS_STORE_SCHEMA_VERSION);
        goto out;
    }
    if (version < 0) {
        rc = gs_error_set(err, GS_ECORRUPT, "store %s has a negative schema version", s->path);
        goto out;
    }
    for (int64_t v = version; v < GS_STORE_SCHEMA_VERSION; v++) {
        char what[64];
        snprintf(what, sizeof what, "migrating the schema to version %lld", (long long)v + 1);
        if ((rc = exec(s, migrations[v], err, what)) != 0)
            goto out;
    }
    if (version < GS_STORE_SCHEMA_VERSION) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
                 GS_STORE_APP_ID, GS_STORE_SCHEMA_VERSION);
        if ((rc = exec(s, sql, err, "setting the schema version")) != 0)
            goto out;
    }
    if ((rc = exec(s, snapshots_sql, err, "adding the rule-snapshot table")) != 0)
        goto out;
    rc = exec(s, "COMMIT", err, "saving the schema");
    if (rc == 0)
        s->version = GS_STORE_SCHEMA_VERSION;
    return rc;
out:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int get_cb(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    get_ctx *g = ctx;
    return gs_store_sqlite_get_hash(g->s, g->log_id, level, index, out, err);
}

/* The check at open (see store.h): the last entry held is size - 1, the last
 * GS_STORE_OPEN_CHECK entries are contiguous, hash to their stored leaf
 * hashes and to the stored interior hashes above them, and the root rebuilt
 * from the stored frontier is the stored root. */
typedef struct {
    gs_store_sqlite *s;
    gs_error *err;
} check_ctx;

/* The wider part of the check at open: in the last GS_STORE_OPEN_CHECK_TREE
 * rows of a log, every stored interior hash is the node over its two
 * children (RFC 6962 §2.1), read in one pass over the hash records (no entry
 * data). The left child of (L, k) is (L-1, 2k), kept from the earlier row
 * that closed it; only before the window's first rows is it looked up. */
static int check_tree_window(gs_store_sqlite *s, const char *origin, const gs_store_log_state *ls,
                             gs_error *err)
{
    uint64_t first = ls->size > GS_STORE_OPEN_CHECK_TREE ? ls->size - GS_STORE_OPEN_CHECK_TREE : 0;
    gs_hash even[INDEX_BITS + 1];
    uint64_t even_at[INDEX_BITS + 1];
    for (unsigned L = 0; L <= INDEX_BITS; L++)
        even_at[L] = UINT64_MAX;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, hashes FROM entries WHERE id BETWEEN ?1 AND ?2 "
                                "ORDER BY id",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_error(s, err, rc, "checking a log's tree");
    sqlite3_bind_int64(st, 1, entry_id(ls->id, first));
    sqlite3_bind_int64(st, 2, entry_id(ls->id, ls->size - 1));
    uint64_t want = first;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t i = (uint64_t)sqlite3_column_int64(st, 0) & (GS_STORE_MAX_LOG_SIZE - 1);
        const uint8_t *h = NULL;
        unsigned n = 0;
        if (i != want++) {
            rc = gs_error_set(err, GS_ECORRUPT,
                              "log %s in store %s is missing entry %llu: the database was "
                              "altered; refusing to open it",
                              origin, s->path, (unsigned long long)(want - 1));
            goto out;
        }
        if ((rc = row_blob(s, st, 1, ls->id, i, &h, &n, "refusing to open it", err)) != 0)
            goto out;
        for (unsigned L = 1; L < n; L++) {
            gs_hash left, right, calc;
            uint64_t k = i >> L;
            memcpy(right.b, h + 32 * (L - 1), 32);
            if (even_at[L - 1] == 2 * k) {
                left = even[L - 1];
            } else {
                gs_error e2;
                if (gs_store_sqlite_get_hash(s, ls->id, L - 1, 2 * k, &left, &e2) != 0) {
                    rc = gs_error_set(err, GS_ECORRUPT,
                                      "log %s in store %s: %s; refusing to open it", origin,
                                      s->path, e2.msg);
                    goto out;
                }
            }
            gs_merkle_node_hash(&left, &right, &calc);
            if (memcmp(calc.b, h + 32 * L, 32) != 0) {
                rc = gs_error_set(err, GS_ECORRUPT,
                                  "log %s in store %s: the stored hash of subtree (level %u, "
                                  "index %llu) ending at entry %llu does not match its children: "
                                  "the database was altered; refusing to open it",
                                  origin, s->path, L, (unsigned long long)k, (unsigned long long)i);
                goto out;
            }
        }
        for (unsigned L = 0; L < n; L++)
            if (((i >> L) & 1) == 0) {
                memcpy(even[L].b, h + 32 * L, 32);
                even_at[L] = i >> L;
            }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(s, err, rc, "checking a log's tree");
out:
    sqlite3_finalize(st);
    return rc;
}

static int check_log(void *ctx, const char *origin, const gs_store_log_state *ls)
{
    check_ctx *c = ctx;
    gs_store_sqlite *s = c->s;
    gs_error *err = c->err;
    sqlite3_stmt *st = s->st[ST_LAST_ENTRY];
    int rc;

    sqlite3_bind_int64(st, 1, entry_id(ls->id, 0));
    sqlite3_bind_int64(st, 2, entry_id(ls->id, GS_STORE_MAX_LOG_SIZE - 1));
    rc = sqlite3_step(st);
    int64_t last = -1;
    if (rc == SQLITE_ROW)
        last = (int64_t)((uint64_t)sqlite3_column_int64(st, 0) & (GS_STORE_MAX_LOG_SIZE - 1));
    finish(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(s, err, rc, "checking a log");
    if (last != (int64_t)ls->size - 1) {
        if (last < (int64_t)ls->size - 1)
            return gs_error_set(err, GS_ECORRUPT,
                                "log %s in store %s has stored size %llu but entry %llu is "
                                "missing (the last entry held is %lld): the database was "
                                "altered; refusing to open it",
                                origin, s->path, (unsigned long long)ls->size,
                                (unsigned long long)ls->size - 1, (long long)last);
        return gs_error_set(err, GS_ECORRUPT,
                            "log %s in store %s has stored size %llu but holds entry %lld "
                            "beyond it: the database was altered; refusing to open it",
                            origin, s->path, (unsigned long long)ls->size, (long long)last);
    }

    if (ls->size > GS_STORE_OPEN_CHECK && (rc = check_tree_window(s, origin, ls, err)) != 0)
        return rc;

    get_ctx g = {s, ls->id};
    gs_hash root;
    if (ls->size == 0) {
        gs_merkle_empty_root(&root);
    } else {
        uint64_t first = ls->size > GS_STORE_OPEN_CHECK ? ls->size - GS_STORE_OPEN_CHECK : 0;
        uint64_t want = first;
        st = s->st[ST_RANGE];
        sqlite3_bind_int64(st, 1, entry_id(ls->id, first));
        sqlite3_bind_int64(st, 2, entry_id(ls->id, ls->size - 1));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            uint64_t i = (uint64_t)sqlite3_column_int64(st, 0) & (GS_STORE_MAX_LOG_SIZE - 1);
            if (i != want) {
                finish(st);
                return gs_error_set(err, GS_ECORRUPT,
                                    "log %s in store %s is missing entry %llu: the database "
                                    "was altered; refusing to open it",
                                    origin, s->path, (unsigned long long)want);
            }
            const uint8_t *h = NULL;
            unsigned n = 0;
            gs_hash calc;
            if ((rc = row_blob(s, st, 1, ls->id, i, &h, &n, "refusing to open it", err)) != 0) {
                finish(st);
                return rc;
            }
            const void *data = sqlite3_column_blob(st, 2);
            gs_merkle_leaf_hash(gs_bytes_of(data, (size_t)sqlite3_column_bytes(st, 2)), &calc);
            if (memcmp(calc.b, h, 32) != 0) {
                finish(st);
                return gs_error_set(err, GS_ECORRUPT,
                                    "entry %llu of log %s does not match its stored leaf hash: "
                                    "the database %s was altered; refusing to open it",
                                    (unsigned long long)i, origin, s->path);
            }
            /* Each interior hash of this row is the node over its left
             * sibling subtree (stored in an earlier row) and the subtree one
             * level down in this row. */
            for (unsigned L = 1; L < n; L++) {
                gs_hash left, right;
                gs_error e2;
                memcpy(right.b, h + 32 * (L - 1), 32);
                if (gs_store_sqlite_get_hash(s, ls->id, L - 1, 2 * (i >> L), &left, &e2) != 0) {
                    finish(st);
                    return gs_error_set(err, GS_ECORRUPT,
                                        "log %s in store %s: %s; refusing to open it", origin,
                                        s->path, e2.msg);
                }
                gs_merkle_node_hash(&left, &right, &calc);
                if (memcmp(calc.b, h + 32 * L, 32) != 0) {
                    finish(st);
                    return gs_error_set(err, GS_ECORRUPT,
                                        "log %s in store %s: the stored hash of subtree (level "
                                        "%u, index %llu) ending at entry %llu does not match "
                                        "its children: the database was altered; refusing to "
                                        "open it",
                                        origin, s->path, L, (unsigned long long)(i >> L),
                                        (unsigned long long)i);
                }
            }
            want++;
        }
        finish(st);
        if (rc != SQLITE_DONE)
            return db_error(s, err, rc, "checking a log");
        if (want != ls->size)
            return gs_error_set(err, GS_ECORRUPT,
                                "log %s in store %s is missing entry %llu: the database was "
                                "altered; refusing to open it",
                                origin, s->path, (unsigned long long)want);
        gs_merkle_frontier f;
        gs_error e2;
        if (gs_merkle_frontier_load(&f, ls->size, get_cb, &g, &e2) != 0)
            return gs_error_set(err, GS_ECORRUPT,
                                "log %s in store %s: cannot rebuild the tree of size %llu (%s); "
                                "refusing to open it",
                                origin, s->path, (unsigned long long)ls->size, e2.msg);
        gs_merkle_frontier_root(&f, &root);
    }
    if (memcmp(root.b, ls->root.b, 32) != 0)
        return gs_error_set(err, GS_ECORRUPT,
                            "log %s in store %s: the root recomputed from the stored tree "
                            "hashes at size %llu does not match the stored root: the database "
                            "was altered; refusing to open it",
                            origin, s->path, (unsigned long long)ls->size);
    return 0;
}

int gs_store_sqlite_open(gs_store_sqlite **out, const char *path, gs_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return gs_error_set(err, GS_EINVAL, "a store needs a file path");
    gs_store_sqlite *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return gs_error_set(err, GS_ENOMEM, "out of memory opening store %s", path);
    }
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                 SQLITE_OPEN_EXRESCODE,
                             NULL);
    if (rc != SQLITE_OK) {
        rc = db_error(s, err, rc, "opening");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* The first read of the header: a file that is not a database fails
     * here. WAL + synchronous=FULL: a commit is on disk when it returns
     * (DESIGN §6). */
    int64_t ignored;
    if ((rc = pragma_int(s, "PRAGMA application_id", &ignored, err)) != 0)
        goto fail;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        rc = db_error(s, err, rc, "switching to WAL mode");
        goto fail;
    }
    const unsigned char *mode = sqlite3_column_text(st, 0);
    bool wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(st);
    if (!wal) {
        rc = gs_error_set(err, GS_EIO,
                          "store %s cannot use write-ahead logging (is it on a network file "
                          "system?); giamsat needs it for durability",
                          path);
        goto fail;
    }
    if ((rc = exec(s,
                   "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
                   "PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 4096",
                   err, "setting up")) != 0)
        goto fail;
    if ((rc = migrate(s, err)) != 0)
        goto fail;
    for (int i = 0; i < ST_COUNT; i++) {
        int r =
            sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (r != SQLITE_OK) {
            rc = db_error(s, err, r, "preparing statements");
            goto fail;
        }
    }
    check_ctx c = {s, err};
    if ((rc = gs_store_sqlite_log_list(s, check_log, &c, err)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    gs_store_sqlite_close(&s);
    return rc;
}

void gs_store_sqlite_close(gs_store_sqlite **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    gs_store_sqlite *s = *sp;
    if (s->in_txn)
        gs_store_sqlite_rollback(s);
    gs_store_sqlite_read_end(s, s->in_read);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s->hooks);
    free(s->path);
    free(s);
    *sp = NULL;
}

int gs_store_sqlite_schema_version(const gs_store_sqlite *s)
{
    return s->version;
}

/* One daemon per SQLite file is the lock file next to it (gs_daemon_lock). */
int gs_store_sqlite_claim(gs_store_sqlite *s, gs_error *err)
{
    (void)s;
    (void)err;
    return 0;
}

/* ---- backup --------------------------------------------------------------- */

/* Copies the store at src into a new file at out with the SQLite online
 * backup API: one step over every page (sqlite3_backup_step(-1)) reads one
 * consistent snapshot, and in WAL mode the daemon keeps writing meanwhile
 * (a reader never blocks the writer). The copy is made under a fresh name
 * created with O_EXCL|O_NOFOLLOW next to out, checked, fsynced and linked
 * into place (link refuses to replace a file that appeared meanwhile). */
int gs_store_sqlite_backup(const char *src_path, const char *out_path, gs_error *err)
{
    gs_store_sqlite src = {0};
    gs_store_sqlite dst = {0};
    sqlite3_backup *b = NULL;
    char *tmp = NULL, *dir = NULL;
    int rc = 0, fd = -1;
    struct stat stt;
    if (lstat(out_path, &stt) == 0)
        return gs_error_set(err, GS_EINVAL, "%s already exists: choose a new name for the backup",
                            out_path);
    if (lstat(src_path, &stt) != 0)
        return gs_error_set(err, GS_EIO, "store %s: %s", src_path, strerror(errno));
    size_t n = strlen(out_path);
    if ((tmp = malloc(n + 32)) == NULL || (dir = strdup(out_path)) == NULL ||
        (src.path = strdup(src_path)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    /* A name of this process's own; O_EXCL refuses anything already there. */
    snprintf(tmp, n + 32, "%s.tmp-%ld", out_path, (long)getpid());
    dst.path = tmp;
    int r = sqlite3_open_v2(src_path, &src.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL);
    if (r != SQLITE_OK) {
        rc = db_error(&src, err, r, "opening it for a backup");
        goto out;
    }
    sqlite3_busy_timeout(src.db, 5000);
    int64_t app_id = 0;
    if ((rc = pragma_int(&src, "PRAGMA application_id", &app_id, err)) != 0)
        goto out;
    if (app_id != GS_STORE_APP_ID) {
        rc = gs_error_set(err, GS_EINVAL, "%s is not a giamsat store", src_path);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = gs_error_set(err, GS_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    if ((r = sqlite3_open_v2(tmp, &dst.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL)) !=
        SQLITE_OK) {
        rc = db_error(&dst, err, r, "creating the backup");
        goto out;
    }
    if ((b = sqlite3_backup_init(dst.db, "main", src.db, "main")) == NULL) {
        rc = db_error(&dst, err, sqlite3_errcode(dst.db), "starting the backup");
        goto out;
    }
    /* The writer holds its lock only while it commits: a busy source is
     * retried for a while. */
    for (int tries = 0;; tries++) {
        r = sqlite3_backup_step(b, -1);
        if (r == SQLITE_DONE)
            break;
        if ((r == SQLITE_BUSY || r == SQLITE_LOCKED) && tries < 600) {
            sqlite3_sleep(50);
            continue;
        }
        rc = db_error(&dst, err, r, "copying pages");
        goto out;
    }
    r = sqlite3_backup_finish(b);
    b = NULL;
    if (r != SQLITE_OK) {
        rc = db_error(&dst, err, r, "finishing the backup");
        goto out;
    }
    char *msg = NULL;
    sqlite3_stmt *st = NULL;
    if ((r = sqlite3_prepare_v2(dst.db, "PRAGMA quick_check", -1, &st, NULL)) == SQLITE_OK &&
        (r = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        if (v == NULL || strcmp((const char *)v, "ok") != 0)
            msg = strdup(v != NULL ? (const char *)v : "?");
        r = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (r != SQLITE_OK || msg != NULL) {
        rc = gs_error_set(err, GS_EIO, "the backup %s does not check: %s", tmp,
                          msg != NULL ? msg : sqlite3_errmsg(dst.db));
        free(msg);
        goto out;
    }
    sqlite3_close(dst.db);
    dst.db = NULL;
    if (fsync(fd) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (link(tmp, out_path) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot put the backup in place as %s: %s", out_path,
                          strerror(errno));
        goto out;
    }
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            rc = gs_error_set(err, GS_EIO, "cannot sync the folder of %s: %s", out_path,
                              strerror(errno));
        close(dfd);
    }
out:
    if (b != NULL)
        sqlite3_backup_finish(b);
    if (dst.db != NULL)
        sqlite3_close(dst.db);
    if (src.db != NULL)
        sqlite3_close(src.db);
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(dir);
    free(src.path);
    return rc;
}
