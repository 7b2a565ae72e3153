/* store_pg.c — see store.h and store_backend.h. The PostgreSQL backend
 * (libpq), for a central hub (DESIGN §8).
 *
 * The same schema shape as the SQLite backend, in the connection's current
 * schema (version 1):
 *   giamsat_schema(version)                    the schema version, one row
 *   logs(id, origin UNIQUE, size, root)        committed tree state per log
 *   entries(id, hashes, data)                  id = (log id << 40) | index
 *   checkpoints(log_id, size, note)            one note per (log, size)
 *   evidence(id, origin, data)
 * Origins, hashes, entries and notes are bytea: bytes go in and come out
 * unchanged, whatever the database's text encoding.
 *
 * Durability: every write transaction ends with COMMIT under
 * synchronous_commit on (or stronger), so gs_store_pg_commit returns only
 * once the commit record is flushed to the server's disk (and to its
 * synchronous standbys, if any). A server with fsync off is refused at
 * open: its commits are not durable. Statements are prepared once per
 * connection and exchange binary values. A lost connection is never
 * re-established behind the caller's back: the server it would reach (a
 * promoted replica) may hold less than this process already acknowledged,
 * so only a fresh open, with its checks, may use it.
 */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "store_backend.h"

#define INDEX_BITS 40
#define MAX_LOG_ID ((INT64_C(1) << (63 - INDEX_BITS)) - 1)
/* The advisory lock key of gs_store_pg_claim: 'gsat', as the SQLite file's
 * application_id. Advisory locks are scoped to one database. */
#define CLAIM_KEY INT64_C(0x67736174)
/* The key held while the schema is created or migrated. */
#define MIGRATE_KEY INT64_C(0x67736175)
/* Evidence items read per query while listing (each up to 16 MiB). */
#define EVIDENCE_BATCH 8
/* How long gs_store_pg_claim waits for another session's lock. */
#define GS_STORE_PG_CLAIM_WAIT "5s"

/* PostgreSQL type OIDs (pg_type.h) of the parameters. */
#define OID_BYTEA 17
#define OID_INT8 20

enum {
    ST_INSERT_ENTRY,
    ST_GET_HASHES,
    ST_GET_ENTRY,
    ST_LAST_ENTRY,
    ST_RANGE,
    ST_RANGE_HASHES,
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
    ST_CLAIM,
    ST_COUNT
};

static const struct {
    const char *sql;
    int nparams;
    Oid types[3];
} stmts[ST_COUNT] = {
    [ST_INSERT_ENTRY] = {"INSERT INTO entries(id, hashes, data) VALUES ($1, $2, $3)",
                         3,
                         {OID_INT8, OID_BYTEA, OID_BYTEA}},
    [ST_GET_HASHES] = {"SELECT hashes FROM entries WHERE id = $1", 1, {OID_INT8}},
    [ST_GET_ENTRY] = {"SELECT hashes, data FROM entries WHERE id = $1", 1, {OID_INT8}},
    [ST_LAST_ENTRY] = {"SELECT id FROM entries WHERE id BETWEEN $1 AND $2 ORDER BY id DESC "
                       "LIMIT 1",
                       2,
                       {OID_INT8, OID_INT8}},
    [ST_RANGE] = {"SELECT id, hashes, data FROM entries WHERE id BETWEEN $1 AND $2 ORDER BY id",
                  2,
                  {OID_INT8, OID_INT8}},
    [ST_RANGE_HASHES] = {"SELECT id, hashes FROM entries WHERE id BETWEEN $1 AND $2 ORDER BY id",
                         2,
                         {OID_INT8, OID_INT8}},
    [ST_SET_TREE] = {"UPDATE logs SET size = $1, root = $2 WHERE id = $3",
                     3,
                     {OID_INT8, OID_BYTEA, OID_INT8}},
    [ST_FIND_LOG] = {"SELECT id, size, root FROM logs WHERE origin = $1", 1, {OID_BYTEA}},
    [ST_ADD_LOG] = {"INSERT INTO logs(origin, size, root) VALUES ($1, 0, $2) RETURNING id",
                    2,
                    {OID_BYTEA, OID_BYTEA}},
    [ST_LIST_LOGS] = {"SELECT id, origin, size, root FROM logs ORDER BY id", 0, {0}},
    [ST_ORIGIN] = {"SELECT origin FROM logs WHERE id = $1", 1, {OID_INT8}},
    [ST_GET_CP] = {"SELECT note FROM checkpoints WHERE log_id = $1 AND size = $2",
                   2,
                   {OID_INT8, OID_INT8}},
    [ST_PUT_CP] = {"INSERT INTO checkpoints(log_id, size, note) VALUES ($1, $2, $3) "
                   "ON CONFLICT (log_id, size) DO UPDATE SET note = EXCLUDED.note",
                   3,
                   {OID_INT8, OID_INT8, OID_BYTEA}},
    [ST_LATEST_CP] = {"SELECT size, note FROM checkpoints WHERE log_id = $1 "
                      "ORDER BY size DESC LIMIT 1",
                      1,
                      {OID_INT8}},
    [ST_PUT_EV] = {"INSERT INTO evidence(origin, data) VALUES ($1, $2) RETURNING id",
                   2,
                   {OID_BYTEA, OID_BYTEA}},
    [ST_LIST_EV] = {"SELECT id, origin, data FROM evidence "
                    "WHERE ($1::bytea IS NULL OR origin = $1) AND id > $2 ORDER BY id LIMIT 8",
                    2,
                    {OID_BYTEA, OID_INT8}},
    [ST_LOG_SIZE] = {"SELECT size FROM logs WHERE id = $1", 1, {OID_INT8}},
    [ST_TRUNC_ENTRIES] = {"DELETE FROM entries WHERE id BETWEEN $1 AND $2",
                          2,
                          {OID_INT8, OID_INT8}},
    [ST_TRUNC_CPS] = {"DELETE FROM checkpoints WHERE log_id = $1 AND size > $2",
                      2,
                      {OID_INT8, OID_INT8}},
    [ST_CLAIM] = {"SELECT pg_advisory_lock($1)", 1, {OID_INT8}},
};
_Static_assert(EVIDENCE_BATCH == 8, "ST_LIST_EV's LIMIT");

/* Migration i takes schema version i to i + 1, as in store_sqlite.c. Append
 * only; each runs inside the opening transaction. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    ("CREATE TABLE giamsat_schema (version integer NOT NULL);"
     "INSERT INTO giamsat_schema VALUES (0);"
     "CREATE TABLE logs ("
     "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     "  origin bytea NOT NULL UNIQUE,"
     "  size bigint NOT NULL CHECK (size >= 0),"
     "  root bytea NOT NULL CHECK (length(root) = 32));"
     "CREATE TABLE entries ("
     "  id bigint PRIMARY KEY,"
     "  hashes bytea NOT NULL,"
     "  data bytea NOT NULL);"
     "CREATE TABLE checkpoints ("
     "  log_id bigint NOT NULL REFERENCES logs(id),"
     "  size bigint NOT NULL,"
     "  note bytea NOT NULL,"
     "  PRIMARY KEY (log_id, size));"
     "CREATE TABLE evidence ("
     "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
     "  origin bytea NOT NULL,"
     "  data bytea NOT NULL);"
     "CREATE INDEX evidence_by_origin ON evidence(origin, id);"),
};
_Static_assert(sizeof migrations / sizeof migrations[0] == GS_STORE_SCHEMA_VERSION,
               "one migration per schema version");

typedef struct {
    gs_store_txn_fn fn;
    void *ctx;
} txn_hook;

struct gs_store_pg {
    PGconn *conn;
    char *path; /* the URI with any password masked: for error sentences */
    int version;
    bool in_txn;
    bool aborted; /* the open transaction was rolled back after a failed write */
    bool in_read; /* a read snapshot (gs_store_read_begin) is open */
    bool prepared[ST_COUNT];
    char state[6]; /* the SQLSTATE of the last failure */
    txn_hook *hooks;
    size_t nhooks, caphooks;
};

/* Up to three parameters of a prepared statement, in binary. */
typedef struct {
    int n;
    const char *v[3];
    int len[3];
    int fmt[3];
    uint8_t ints[3][8];
} params;

static void p_int(params *p, int64_t x)
{
    uint64_t u = (uint64_t)x;
    for (int i = 0; i < 8; i++)
        p->ints[p->n][i] = (uint8_t)(u >> (56 - 8 * i));
    p->v[p->n] = (const char *)p->ints[p->n];
    p->len[p->n] = 8;
    p->fmt[p->n] = 1;
    p->n++;
}

/* A zero-length value still needs a non-NULL pointer, or it is NULL. */
static const char empty_value[1];

static void p_bytes(params *p, const void *b, size_t n)
{
    p->v[p->n] = n ? (const char *)b : empty_value;
    p->len[p->n] = (int)n;
    p->fmt[p->n] = 1;
    p->n++;
}

static void p_null(params *p)
{
    p->v[p->n] = NULL;
    p->len[p->n] = 0;
    p->fmt[p->n] = 1;
    p->n++;
}

static int64_t col_int(const PGresult *r, int row, int col)
{
    const uint8_t *b = (const uint8_t *)PQgetvalue(r, row, col);
    uint64_t u = 0;
    if (PQgetlength(r, row, col) != 8)
        return -1;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | b[i];
    return (int64_t)u;
}

static gs_bytes col_bytes(const PGresult *r, int row, int col)
{
    return gs_bytes_of(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

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

/* Turns a PostgreSQL failure into an error sentence, with the same codes as
 * the SQLite backend: the SQLSTATEs a person can act on get their own words
 * (a full disk, a damaged database, a lost server). */
static int db_error(gs_store_pg *s, gs_error *err, const PGresult *r, const char *what)
{
    const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(s->state, sizeof s->state, "%s", state != NULL ? state : "");
    if (msg == NULL)
        msg = PQerrorMessage(s->conn);
    char m[512];
    snprintf(m, sizeof m, "%s", msg != NULL ? msg : "unknown error");
    m[strcspn(m, "\n")] = '\0';
    if (PQstatus(s->conn) == CONNECTION_BAD)
        return gs_error_set(err, GS_EIO,
                            "store %s: the connection to PostgreSQL is lost (%s) while %s; "
                            "nothing of it was acknowledged; restart the daemon once the "
                            "server is back",
                            s->path, m, what);
    if (state != NULL && strcmp(state, "53100") == 0)
        return gs_error_set(err, GS_EIO,
                            "store %s: disk full while %s; nothing of it was kept; free some "
                            "space on the PostgreSQL server and retry",
                            s->path, what);
    if (state != NULL && strncmp(state, "53", 2) == 0)
        return gs_error_set(err, GS_EIO,
                            "store %s: the PostgreSQL server is out of resources (%s) while %s; "
                            "nothing of it was kept",
                            s->path, m, what);
    if (state != NULL && (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0))
        return gs_error_set(err, GS_ECORRUPT,
                            "store %s is damaged (%s) while %s; restore it from a replica or "
                            "a backup",
                            s->path, m, what);
    if (state != NULL && (strcmp(state, "25006") == 0 || strcmp(state, "42501") == 0))
        return gs_error_set(err, GS_EIO,
                            "store %s cannot be written (%s) while %s; is it a read-only "
                            "standby, or does the role lack the rights?",
                            s->path, m, what);
    return gs_error_set(err, GS_EIO, "store %s: %s while %s", s->path, m, what);
}

/* Runs prepared statement i. *out receives the result (PQclear it) when the
 * statement succeeded; otherwise the error is set and *out is NULL. */
static int run(gs_store_pg *s, int i, const params *p, PGresult **out, gs_error *err,
               const char *what)
{
    *out = NULL;
    char name[8];
    snprintf(name, sizeof name, "s%d", i);
    if (!s->prepared[i]) {
        PGresult *r = PQprepare(s->conn, name, stmts[i].sql, stmts[i].nparams, stmts[i].types);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            int rc = db_error(s, err, r, what);
            PQclear(r);
            return rc;
        }
        PQclear(r);
        s->prepared[i] = true;
    }
    static const params none = {0};
    if (p == NULL)
        p = &none;
    PGresult *r = PQexecPrepared(s->conn, name, p->n, p->v, p->len, p->fmt, 1);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = db_error(s, err, r, what);
        PQclear(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Runs a statement that returns nothing of use. */
static int run_done(gs_store_pg *s, int i, const params *p, gs_error *err, const char *what)
{
    PGresult *r;
    int rc = run(s, i, p, &r, err, what);
    PQclear(r);
    return rc;
}

/* Runs plain SQL (no parameters, text results). */
static int exec(gs_store_pg *s, const char *sql, gs_error *err, const char *what)
{
    PGresult *r = PQexec(s->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = db_error(s, err, r, what);
    PQclear(r);
    return rc;
}

/* The origin of a log, for error sentences. */
static const char *origin_of(gs_store_pg *s, int64_t log_id, char *buf, size_t cap)
{
    snprintf(buf, cap, "#%lld", (long long)log_id);
    if (PQtransactionStatus(s->conn) == PQTRANS_INERROR)
        return buf;
    params p = {0};
    p_int(&p, log_id);
    PGresult *r = NULL;
    gs_error e2;
    if (run(s, ST_ORIGIN, &p, &r, &e2, "naming a log") == 0 && PQntuples(r) == 1) {
        gs_bytes o = col_bytes(r, 0, 0);
        snprintf(buf, cap, "%.*s", (int)(o.n < cap ? o.n : cap - 1), (const char *)o.p);
    }
    PQclear(r);
    return buf;
}

/* ---- transactions --------------------------------------------------------- */

static void run_hooks(gs_store_pg *s, bool committed)
{
    /* A hook may not register another; take the list first. */
    size_t n = s->nhooks;
    s->nhooks = 0;
    for (size_t i = 0; i < n; i++)
        s->hooks[i].fn(s->hooks[i].ctx, committed);
}

static void rollback_now(gs_store_pg *s)
{
    if (!s->in_txn)
        return;
    PQclear(PQexec(s->conn, "ROLLBACK"));
    s->in_txn = false;
    run_hooks(s, false);
}

/* A write inside a transaction failed: roll everything back at once (a
 * failed statement leaves a PostgreSQL transaction unusable anyway). */
static int abort_txn(gs_store_pg *s, int rc)
{
    if (s->in_txn) {
        rollback_now(s);
        s->aborted = true;
    }
    return rc;
}

int gs_store_pg_begin(gs_store_pg *s, gs_error *err)
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
    int rc = exec(s, "BEGIN", err, "starting a transaction");
    if (rc != 0)
        return rc;
    s->in_txn = true;
    return 0;
}

int gs_store_pg_commit(gs_store_pg *s, gs_error *err)
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
    PGresult *r = PQexec(s->conn, "COMMIT");
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = db_error(s, err, r, "committing");
    else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
        /* A transaction that failed on the server answers COMMIT with
         * ROLLBACK. */
        rc = gs_error_set(err, GS_EIO,
                          "store %s: the server rolled the transaction back instead of "
                          "committing it",
                          s->path);
    PQclear(r);
    if (rc != 0) {
        if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
            PQclear(PQexec(s->conn, "ROLLBACK"));
        s->in_txn = false;
        run_hooks(s, false);
        return rc;
    }
    s->in_txn = false;
    run_hooks(s, true);
    return 0;
}

void gs_store_pg_rollback(gs_store_pg *s)
{
    if (s == NULL)
        return;
    s->aborted = false;
    rollback_now(s);
}

int gs_store_pg_read_begin(gs_store_pg *s, bool *opened, gs_error *err)
{
    *opened = false;
    if (s->in_txn || s->in_read)
        return 0;
    int rc = exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, "starting a read");
    if (rc != 0)
        return rc;
    s->in_read = true;
    *opened = true;
    return 0;
}

void gs_store_pg_read_end(gs_store_pg *s, bool opened)
{
    if (!opened || !s->in_read)
        return;
    /* A read-only transaction: COMMIT only releases the snapshot. */
    PQclear(PQexec(s->conn, "COMMIT"));
    s->in_read = false;
}

bool gs_store_pg_in_transaction(const gs_store_pg *s)
{
    return s->in_txn;
}

int gs_store_pg_on_txn_end(gs_store_pg *s, gs_store_txn_fn fn, void *ctx, gs_error *err)
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

void gs_store_pg_forget_txn_hook(gs_store_pg *s, void *ctx)
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
static int auto_begin(gs_store_pg *s, bool *own, gs_error *err)
{
    *own = false;
    if (s->in_txn)
        return 0;
    int rc = gs_store_pg_begin(s, err);
    if (rc == 0)
        *own = true;
    return rc;
}

static int auto_end(gs_store_pg *s, bool own, int rc, gs_error *err)
{
    if (!own)
        return rc;
    if (rc != 0) {
        gs_store_pg_rollback(s);
        return rc;
    }
    return gs_store_pg_commit(s, err);
}

/* ---- writes --------------------------------------------------------------- */

static int check_log_id(gs_store_pg *s, int64_t log_id, gs_error *err)
{
    if (log_id < 1 || log_id > MAX_LOG_ID)
        return gs_error_set(err, GS_EINVAL, "store %s: %lld is not a log id", s->path,
                            (long long)log_id);
    return 0;
}

int gs_store_pg_append(gs_store_pg *s, int64_t log_id, uint64_t index, gs_bytes data,
                       const gs_hash *hashes, unsigned n, gs_error *err)
{
    if (!s->in_txn)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: appending needs a transaction: call gs_store_begin first",
                            s->path);
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
    params p = {0};
    p_int(&p, entry_id(log_id, index));
    p_bytes(&p, hashes, n * sizeof(gs_hash));
    p_bytes(&p, data.p, data.n);
    char what[64];
    snprintf(what, sizeof what, "appending entry %llu", (unsigned long long)index);
    rc = run_done(s, ST_INSERT_ENTRY, &p, err, what);
    if (rc != 0) {
        /* A duplicate key is the one failure with its own code; the origin
         * is looked up once the transaction is gone. */
        bool dup = strcmp(s->state, "23505") == 0;
        abort_txn(s, rc);
        if (dup) {
            char o[GS_STORE_MAX_ORIGIN + 1];
            rc =
                gs_error_set(err, GS_ECONFLICT, "store %s: entry %llu of log %s is already held",
                             s->path, (unsigned long long)index, origin_of(s, log_id, o, sizeof o));
        }
        return rc;
    }
    return 0;
}

int gs_store_pg_set_tree(gs_store_pg *s, int64_t log_id, uint64_t size, const gs_hash *root,
                         gs_error *err)
{
    if (!s->in_txn)
        return gs_error_set(err, GS_EINVAL,
                            "store %s: setting a tree state needs a transaction: call "
                            "gs_store_begin first",
                            s->path);
    int rc = check_log_id(s, log_id, err);
    if (rc != 0)
        return abort_txn(s, rc);
    if (size > GS_STORE_MAX_LOG_SIZE)
        return abort_txn(s, gs_error_set(err, GS_ETOOBIG,
                                         "store %s: a log holds at most 2^40 entries", s->path));
    params p = {0};
    p_int(&p, (int64_t)size);
    p_bytes(&p, root->b, 32);
    p_int(&p, log_id);
    PGresult *r;
    if ((rc = run(s, ST_SET_TREE, &p, &r, err, "saving a tree state")) != 0)
        return abort_txn(s, rc);
    bool one = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!one)
        return abort_txn(s, gs_error_set(err, GS_ENOTFOUND, "store %s: there is no log %lld",
                                         s->path, (long long)log_id));
    return 0;
}

typedef struct {
    gs_store_pg *s;
    int64_t log_id;
} get_ctx;

static int get_cb(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    get_ctx *g = ctx;
    return gs_store_pg_get_hash(g->s, g->log_id, level, index, out, err);
}

int gs_store_pg_truncate(gs_store_pg *s, int64_t log_id, uint64_t size, gs_error *err)
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
    params p = {0};
    p_int(&p, log_id);
    PGresult *r;
    if ((rc = run(s, ST_LOG_SIZE, &p, &r, err, "reading a log's size")) != 0)
        goto out;
    int64_t held = PQntuples(r) == 1 ? col_int(r, 0, 0) : -1;
    PQclear(r);
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
    p = (params){0};
    p_int(&p, entry_id(log_id, size));
    p_int(&p, entry_id(log_id, GS_STORE_MAX_LOG_SIZE - 1));
    if ((rc = run_done(s, ST_TRUNC_ENTRIES, &p, err, "truncating a log")) != 0)
        goto out;
    /* A checkpoint above the new size names entries that are gone. */
    p = (params){0};
    p_int(&p, log_id);
    p_int(&p, (int64_t)size);
    if ((rc = run_done(s, ST_TRUNC_CPS, &p, err, "truncating a log's checkpoints")) != 0)
        goto out;
    p = (params){0};
    p_int(&p, (int64_t)size);
    p_bytes(&p, root.b, 32);
    p_int(&p, log_id);
    rc = run_done(s, ST_SET_TREE, &p, err, "saving a tree state");
out:
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

/* ---- reads ---------------------------------------------------------------- */

/* Checks a row's hash record and returns its hashes, or GS_ECORRUPT. */
static int row_blob(gs_store_pg *s, const PGresult *r, int row, int col, int64_t log_id,
                    uint64_t leaf, const uint8_t **hashes, unsigned *n, const char *refusal,
                    gs_error *err)
{
    gs_bytes b = col_bytes(r, row, col);
    unsigned want = row_hashes(leaf);
    if (b.n != want * sizeof(gs_hash)) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        return gs_error_set(err, GS_ECORRUPT,
                            "entry %llu of log %s has a damaged tree hash record (%zu bytes, "
                            "expected %u): the database was altered; %s",
                            (unsigned long long)leaf, origin_of(s, log_id, o, sizeof o), b.n,
                            want * 32, refusal);
    }
    *hashes = b.p;
    *n = want;
    return 0;
}

int gs_store_pg_get_hash(gs_store_pg *s, int64_t log_id, unsigned level, uint64_t index,
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
    params p = {0};
    p_int(&p, entry_id(log_id, leaf));
    PGresult *r;
    if ((rc = run(s, ST_GET_HASHES, &p, &r, err, "reading a tree hash")) != 0)
        return rc;
    if (PQntuples(r) == 0) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        PQclear(r);
        return gs_error_set(err, GS_ENOTFOUND,
                            "log %s does not hold subtree (level %u, index %llu): entry %llu is "
                            "not stored",
                            origin_of(s, log_id, o, sizeof o), level, (unsigned long long)index,
                            (unsigned long long)leaf);
    }
    const uint8_t *h = NULL;
    unsigned n = 0;
    rc = row_blob(s, r, 0, 0, log_id, leaf, &h, &n, "refusing to serve it", err);
    if (rc == 0)
        memcpy(out->b, h + 32 * (size_t)level, 32);
    PQclear(r);
    return rc;
}

int gs_store_pg_get_entry(gs_store_pg *s, int64_t log_id, uint64_t index, gs_buf *out,
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
    params p = {0};
    p_int(&p, entry_id(log_id, index));
    PGresult *r;
    if ((rc = run(s, ST_GET_ENTRY, &p, &r, err, "reading an entry")) != 0)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return gs_error_set(err, GS_ENOTFOUND, "log %s has no entry %llu",
                            origin_of(s, log_id, o, sizeof o), (unsigned long long)index);
    }
    const uint8_t *hashes = NULL;
    unsigned n = 0;
    rc = row_blob(s, r, 0, 0, log_id, index, &hashes, &n, "refusing to serve it", err);
    if (rc != 0)
        goto out;
    gs_bytes data = col_bytes(r, 0, 1);
    gs_hash leaf;
    gs_merkle_leaf_hash(data, &leaf);
    if (memcmp(leaf.b, hashes, 32) != 0) {
        rc = gs_error_set(err, GS_ECORRUPT,
                          "entry %llu of log %s does not match its stored leaf hash: the "
                          "database was altered; refusing to serve it",
                          (unsigned long long)index, origin_of(s, log_id, o, sizeof o));
        goto out;
    }
    out->p = malloc(data.n ? data.n : 1);
    if (out->p == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory reading entry %llu",
                          (unsigned long long)index);
        goto out;
    }
    if (data.n)
        memcpy(out->p, data.p, data.n);
    out->n = data.n;
    rc = 0;
out:
    PQclear(r);
    return rc;
}

/* ---- logs ----------------------------------------------------------------- */

static int read_log_row(const PGresult *r, int row, int id_col, int size_col, int root_col,
                        gs_store_log_state *out)
{
    int64_t size = col_int(r, row, size_col);
    gs_bytes root = col_bytes(r, row, root_col);
    if (size < 0 || (uint64_t)size > GS_STORE_MAX_LOG_SIZE || root.n != 32)
        return -1;
    out->id = col_int(r, row, id_col);
    out->size = (uint64_t)size;
    memcpy(out->root.b, root.p, 32);
    return 0;
}

int gs_store_pg_log_find(gs_store_pg *s, const char *origin, bool create, gs_store_log_state *out,
                         gs_error *err)
{
    size_t len = origin != NULL ? strlen(origin) : 0;
    if (len == 0 || len > GS_STORE_MAX_ORIGIN)
        return gs_error_set(err, GS_EINVAL, "a log origin must be 1 to %d bytes long",
                            GS_STORE_MAX_ORIGIN);
    params p = {0};
    p_bytes(&p, origin, len);
    PGresult *r;
    int rc = run(s, ST_FIND_LOG, &p, &r, err, "looking up a log");
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 1) {
        if (read_log_row(r, 0, 0, 1, 2, out) != 0)
            rc = gs_error_set(err, GS_ECORRUPT,
                              "log %s has a damaged tree state in store %s: the database was "
                              "altered",
                              origin, s->path);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    if (!create)
        return gs_error_set(err, GS_ENOTFOUND, "store %s holds no log %s", s->path, origin);

    bool own;
    if ((rc = auto_begin(s, &own, err)) != 0)
        return rc;
    gs_hash empty;
    gs_merkle_empty_root(&empty);
    p = (params){0};
    p_bytes(&p, origin, len);
    p_bytes(&p, empty.b, 32);
    rc = run(s, ST_ADD_LOG, &p, &r, err, "adding a log");
    if (rc == 0) {
        int64_t id = PQntuples(r) == 1 ? col_int(r, 0, 0) : -1;
        if (id < 1 || id > MAX_LOG_ID)
            rc = gs_error_set(err, GS_ETOOBIG, "store %s holds too many logs", s->path);
        out->id = id;
        out->size = 0;
        out->root = empty;
        PQclear(r);
    }
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

int gs_store_pg_log_list(gs_store_pg *s, gs_store_log_fn fn, void *ctx, gs_error *err)
{
    /* The whole list is read first (a few hundred bytes a log), so fn may
     * use this store's connection. */
    PGresult *r;
    int rc = run(s, ST_LIST_LOGS, NULL, &r, err, "listing logs");
    if (rc != 0)
        return rc;
    char origin[GS_STORE_MAX_ORIGIN + 1];
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        gs_store_log_state ls;
        gs_bytes o = col_bytes(r, i, 1);
        if (o.n == 0 || o.n > GS_STORE_MAX_ORIGIN || memchr(o.p, 0, o.n) != NULL ||
            read_log_row(r, i, 0, 2, 3, &ls) != 0) {
            rc = gs_error_set(err, GS_ECORRUPT,
                              "store %s has a damaged log row: the database was altered", s->path);
            break;
        }
        memcpy(origin, o.p, o.n);
        origin[o.n] = '\0';
        rc = fn(ctx, origin, &ls);
    }
    PQclear(r);
    return rc;
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

static int dup_text(gs_bytes b, char **out, gs_error *err)
{
    *out = malloc(b.n + 1);
    if (*out == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory reading a checkpoint");
    if (b.n)
        memcpy(*out, b.p, b.n);
    (*out)[b.n] = '\0';
    return 0;
}

int gs_store_pg_get_checkpoint(gs_store_pg *s, int64_t log_id, uint64_t size, char **text,
                               gs_error *err)
{
    *text = NULL;
    params p = {0};
    p_int(&p, log_id);
    p_int(&p, (int64_t)size);
    PGresult *r;
    int rc = run(s, ST_GET_CP, &p, &r, err, "reading a checkpoint");
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        PQclear(r);
        return gs_error_set(err, GS_ENOTFOUND, "log %s has no checkpoint at size %llu",
                            origin_of(s, log_id, o, sizeof o), (unsigned long long)size);
    }
    rc = dup_text(col_bytes(r, 0, 0), text, err);
    PQclear(r);
    return rc;
}

int gs_store_pg_put_checkpoint(gs_store_pg *s, int64_t log_id, uint64_t size, const char *text,
                               bool *stored, gs_error *err)
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
    if ((rc = auto_begin(s, &own, err)) != 0)
        return rc;
    char *old = NULL;
    gs_error e2;
    int r = gs_store_pg_get_checkpoint(s, log_id, size, &old, &e2);
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
        params p = {0};
        p_int(&p, log_id);
        p_int(&p, (int64_t)size);
        p_bytes(&p, text, len);
        if ((rc = run_done(s, ST_PUT_CP, &p, err, "saving a checkpoint")) != 0)
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

int gs_store_pg_latest_checkpoint(gs_store_pg *s, int64_t log_id, char **text, uint64_t *size,
                                  gs_error *err)
{
    *text = NULL;
    params p = {0};
    p_int(&p, log_id);
    PGresult *r;
    int rc = run(s, ST_LATEST_CP, &p, &r, err, "reading a checkpoint");
    if (rc != 0)
        return rc;
    if (PQntuples(r) == 0) {
        char o[GS_STORE_MAX_ORIGIN + 1];
        PQclear(r);
        return gs_error_set(err, GS_ENOTFOUND, "log %s has no checkpoint yet",
                            origin_of(s, log_id, o, sizeof o));
    }
    if (size != NULL)
        *size = (uint64_t)col_int(r, 0, 0);
    rc = dup_text(col_bytes(r, 0, 1), text, err);
    PQclear(r);
    return rc;
}

/* ---- evidence ------------------------------------------------------------- */

int gs_store_pg_put_evidence(gs_store_pg *s, const char *origin, gs_bytes data, int64_t *id,
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
    params p = {0};
    p_bytes(&p, origin, olen);
    p_bytes(&p, data.p, data.n);
    PGresult *r;
    rc = run(s, ST_PUT_EV, &p, &r, err, "saving evidence");
    if (rc == 0) {
        if (id != NULL)
            *id = PQntuples(r) == 1 ? col_int(r, 0, 0) : -1;
        PQclear(r);
    }
    if (rc != 0 && !own)
        return abort_txn(s, rc);
    return auto_end(s, own, rc, err);
}

int gs_store_pg_list_evidence(gs_store_pg *s, const char *origin, gs_store_evidence_fn fn,
                              void *ctx, gs_error *err)
{
    /* A few items at a time, by id: memory stays bounded however much
     * evidence is held, and fn may use this store's connection. */
    int64_t after = 0;
    char o[GS_STORE_MAX_ORIGIN + 1];
    for (;;) {
        params p = {0};
        if (origin != NULL)
            p_bytes(&p, origin, strlen(origin));
        else
            p_null(&p);
        p_int(&p, after);
        PGresult *r;
        int rc = run(s, ST_LIST_EV, &p, &r, err, "listing evidence");
        if (rc != 0)
            return rc;
        int rows = PQntuples(r);
        for (int i = 0; i < rows && rc == 0; i++) {
            gs_bytes ob = col_bytes(r, i, 1);
            size_t on = ob.n < sizeof o ? ob.n : sizeof o - 1;
            memcpy(o, ob.p, on);
            o[on] = '\0';
            after = col_int(r, i, 0);
            rc = fn(ctx, after, o, col_bytes(r, i, 2));
        }
        PQclear(r);
        if (rc != 0)
            return rc;
        if (rows < EVIDENCE_BATCH)
            return 0;
    }
}

/* ---- open: the server, the schema and the check of every log --------------- */

/* Reads one text value of plain SQL into buf. */
static int query_text(gs_store_pg *s, const char *sql, char *buf, size_t cap, gs_error *err,
                      const char *what)
{
    PGresult *r = PQexec(s->conn, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = db_error(s, err, r, what);
    else if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
        buf[0] = '\0';
    else
        snprintf(buf, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

/* Brings the schema to GS_STORE_SCHEMA_VERSION in one transaction, or
 * refuses a database that holds another program's tables or comes from a
 * newer giamsat. Two daemons opening one new database at once take turns
 * (a transaction-scoped advisory lock). */
static int migrate(gs_store_pg *s, gs_error *err)
{
    char v[64], sql[128];
    int rc = exec(s, "BEGIN", err, "opening");
    if (rc != 0)
        return rc;
    snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%lld)", (long long)MIGRATE_KEY);
    if ((rc = exec(s, sql, err, "opening")) != 0)
        goto out;
    if ((rc = query_text(s, "SELECT to_regclass('giamsat_schema') IS NOT NULL", v, sizeof v, err,
                         "reading the schema")) != 0)
        goto out;
    long long version = 0;
    if (strcmp(v, "t") == 0) {
        if ((rc = query_text(s, "SELECT max(version) FROM giamsat_schema", v, sizeof v, err,
                             "reading the schema version")) != 0)
            goto out;
        char *end;
        version = strtoll(v, &end, 10);
        if (v[0] == '\0' || *end != '\0') {
            rc = gs_error_set(err, GS_ECORRUPT, "store %s has a damaged schema version", s->path);
            goto out;
        }
    } else {
        if ((rc = query_text(s,
                             "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                             "n.oid = c.relnamespace WHERE n.nspname = current_schema() AND "
                             "c.relkind IN ('r', 'p', 'v', 'm')",
                             v, sizeof v, err, "reading the schema")) != 0)
            goto out;
        if (strcmp(v, "0") != 0) {
            rc = gs_error_set(err, GS_EINVAL,
                              "%s is not a giamsat store: the database holds tables of another "
                              "program",
                              s->path);
            goto out;
        }
    }
    if (version > GS_STORE_SCHEMA_VERSION) {
        rc = gs_error_set(err, GS_EINVAL,
                          "store %s has schema version %lld, newer than this giamsat knows "
                          "(%d): upgrade giamsat to open it",
                          s->path, version, GS_STORE_SCHEMA_VERSION);
        goto out;
    }
    if (version < 0) {
        rc = gs_error_set(err, GS_ECORRUPT, "store %s has a negative schema version", s->path);
        goto out;
    }
    for (long long i = version; i < GS_STORE_SCHEMA_VERSION; i++) {
        char what[64];
        snprintf(what, sizeof what, "migrating the schema to version %lld", i + 1);
        if ((rc = exec(s, migrations[i], err, what)) != 0)
            goto out;
    }
    if (version < GS_STORE_SCHEMA_VERSION) {
        snprintf(sql, sizeof sql, "UPDATE giamsat_schema SET version = %d",
                 GS_STORE_SCHEMA_VERSION);
        if ((rc = exec(s, sql, err, "setting the schema version")) != 0)
            goto out;
    }
    rc = exec(s, "COMMIT", err, "saving the schema");
    if (rc == 0)
        s->version = GS_STORE_SCHEMA_VERSION;
    return rc;
out:
    PQclear(PQexec(s->conn, "ROLLBACK"));
    return rc;
}

typedef struct {
    gs_store_pg *s;
    gs_error *err;
} check_ctx;

/* The check of store.h, as in store_sqlite.c: in the last
 * GS_STORE_OPEN_CHECK_TREE rows every stored interior hash is the node over
 * its two children (RFC 6962 §2.1), one pass over the hash records; the
 * left child of (L, k) is (L-1, 2k), kept from the earlier row that closed
 * it, and only before the window's first rows is it looked up. With data,
 * the rows are the last GS_STORE_OPEN_CHECK and each also rehashes its
 * entry against its stored leaf hash. */
static int check_rows(gs_store_pg *s, const char *origin, const gs_store_log_state *ls,
                      uint64_t window, bool data, gs_error *err)
{
    uint64_t first = ls->size > window ? ls->size - window : 0;
    gs_hash even[INDEX_BITS + 1];
    uint64_t even_at[INDEX_BITS + 1];
    for (unsigned L = 0; L <= INDEX_BITS; L++)
        even_at[L] = UINT64_MAX;
    params p = {0};
    p_int(&p, entry_id(ls->id, first));
    p_int(&p, entry_id(ls->id, ls->size - 1));
    PGresult *r;
    int rc = run(s, data ? ST_RANGE : ST_RANGE_HASHES, &p, &r, err, "checking a log's tree");
    if (rc != 0)
        return rc;
    uint64_t want = first;
    int rows = PQntuples(r);
    for (int row = 0; row < rows; row++, want++) {
        uint64_t i = (uint64_t)col_int(r, row, 0) & (GS_STORE_MAX_LOG_SIZE - 1);
        const uint8_t *h = NULL;
        unsigned n = 0;
        if (i != want)
            break;
        if ((rc = row_blob(s, r, row, 1, ls->id, i, &h, &n, "refusing to open it", err)) != 0)
            goto out;
        if (data) {
            gs_hash calc;
            gs_merkle_leaf_hash(col_bytes(r, row, 2), &calc);
            if (memcmp(calc.b, h, 32) != 0) {
                rc = gs_error_set(err, GS_ECORRUPT,
                                  "entry %llu of log %s does not match its stored leaf hash: "
                                  "the database %s was altered; refusing to open it",
                                  (unsigned long long)i, origin, s->path);
                goto out;
            }
        }
        for (unsigned L = 1; L < n; L++) {
            gs_hash left, right, calc;
            uint64_t k = i >> L;
            memcpy(right.b, h + 32 * (L - 1), 32);
            if (even_at[L - 1] == 2 * k) {
                left = even[L - 1];
            } else {
                gs_error e2;
                if (gs_store_pg_get_hash(s, ls->id, L - 1, 2 * k, &left, &e2) != 0) {
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
    if (want != ls->size)
        rc = gs_error_set(err, GS_ECORRUPT,
                          "log %s in store %s is missing entry %llu: the database was "
                          "altered; refusing to open it",
                          origin, s->path, (unsigned long long)want);
out:
    PQclear(r);
    return rc;
}

static int check_log(void *ctx, const char *origin, const gs_store_log_state *ls)
{
    check_ctx *c = ctx;
    gs_store_pg *s = c->s;
    gs_error *err = c->err;
    params p = {0};
    p_int(&p, entry_id(ls->id, 0));
    p_int(&p, entry_id(ls->id, GS_STORE_MAX_LOG_SIZE - 1));
    PGresult *r;
    int rc = run(s, ST_LAST_ENTRY, &p, &r, err, "checking a log");
    if (rc != 0)
        return rc;
    int64_t last = -1;
    if (PQntuples(r) == 1)
        last = (int64_t)((uint64_t)col_int(r, 0, 0) & (GS_STORE_MAX_LOG_SIZE - 1));
    PQclear(r);
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
    if (ls->size > GS_STORE_OPEN_CHECK &&
        (rc = check_rows(s, origin, ls, GS_STORE_OPEN_CHECK_TREE, false, err)) != 0)
        return rc;
    gs_hash root;
    if (ls->size == 0) {
        gs_merkle_empty_root(&root);
    } else {
        if ((rc = check_rows(s, origin, ls, GS_STORE_OPEN_CHECK, true, err)) != 0)
            return rc;
        get_ctx g = {s, ls->id};
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

/* The URI for error sentences: a password in it (user:password@) is
 * masked, and so is a password=… parameter. Better kept in a .pgpass file
 * (docs/operations.md). */
static char *mask_password(const char *uri)
{
    size_t n = strlen(uri);
    char *m = malloc(n + 4);
    if (m == NULL)
        return NULL;
    const char *scheme = strstr(uri, "://");
    const char *host = scheme != NULL ? scheme + 3 : uri;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');
    const char *colon = strchr(host, ':');
    if (at != NULL && (slash == NULL || at < slash) && colon != NULL && colon < at)
        snprintf(m, n + 4, "%.*s***%s", (int)(colon + 1 - uri), uri, at);
    else
        snprintf(m, n + 4, "%s", uri);
    char *pw = strstr(m, "password=");
    if (pw != NULL) {
        char *end = pw + 9 + strcspn(pw + 9, "&");
        memmove(pw + 9 + 3, end, strlen(end) + 1);
        memcpy(pw + 9, "***", 3);
    }
    return m;
}

/* PostgreSQL's notices (e.g. "relation already exists, skipping") are not
 * the daemon's to print. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int gs_store_pg_open(gs_store_pg **out, const char *uri, gs_error *err)
{
    *out = NULL;
    gs_store_pg *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = mask_password(uri)) == NULL) {
        free(s);
        return gs_error_set(err, GS_ENOMEM, "out of memory opening a store");
    }
    int rc;
    char v[64];
    s->conn = PQconnectdb(uri);
    if (s->conn == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory opening store %s", s->path);
        goto fail;
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char m[512];
        snprintf(m, sizeof m, "%s", PQerrorMessage(s->conn));
        m[strcspn(m, "\n")] = '\0';
        rc = gs_error_set(err, GS_EIO, "store %s: cannot connect to PostgreSQL: %s", s->path, m);
        goto fail;
    }
    PQsetNoticeProcessor(s->conn, quiet, NULL);
    /* DESIGN §6: an acknowledged write survives a crash. A server that does
     * not flush its WAL cannot promise it; synchronous_commit off would let
     * COMMIT return before the flush, so it is turned on for this session
     * (any stronger setting, e.g. remote_apply, is kept). */
    if ((rc = query_text(s, "SHOW fsync", v, sizeof v, err, "checking durability")) != 0)
        goto fail;
    if (strcmp(v, "on") != 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "store %s: the PostgreSQL server runs with fsync = %s, so a commit "
                          "is not durable; giamsat needs fsync = on",
                          s->path, v);
        goto fail;
    }
    if ((rc = query_text(s, "SHOW synchronous_commit", v, sizeof v, err, "checking durability")) !=
        0)
        goto fail;
    if (strcmp(v, "off") == 0 &&
        (rc = exec(s, "SET synchronous_commit = on", err, "setting up")) != 0)
        goto fail;
    if ((rc = query_text(s, "SHOW synchronous_commit", v, sizeof v, err, "checking durability")) !=
        0)
        goto fail;
    if (strcmp(v, "off") == 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "store %s: synchronous_commit stays off; giamsat needs it on", s->path);
        goto fail;
    }
    if ((rc = exec(s, "SET client_min_messages = warning", err, "setting up")) != 0)
        goto fail;
    if ((rc = migrate(s, err)) != 0)
        goto fail;
    check_ctx c = {s, err};
    if ((rc = gs_store_pg_log_list(s, check_log, &c, err)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    gs_store_pg_close(&s);
    return rc;
}

int gs_store_pg_claim(gs_store_pg *s, gs_error *err)
{
    /* A daemon writes: a standby (read-only, in recovery) is refused now
     * rather than at its first write. */
    char v[16];
    int rc = query_text(s, "SELECT pg_is_in_recovery()", v, sizeof v, err, "checking the server");
    if (rc != 0)
        return rc;
    if (strcmp(v, "f") != 0)
        return gs_error_set(err, GS_EINVAL,
                            "store %s is on a standby server (read-only, in recovery); point "
                            "the daemon at the primary",
                            s->path);
    /* The lock of a daemon that just stopped is released when the server
     * has ended its session, a moment after the daemon closed it: wait for
     * it a while (as SQLite's busy timeout does) instead of failing at once. */
    rc =
        exec(s, "SET lock_timeout = '" GS_STORE_PG_CLAIM_WAIT "'", err, "taking the daemon's lock");
    if (rc != 0)
        return rc;
    params p = {0};
    p_int(&p, CLAIM_KEY);
    rc = run_done(s, ST_CLAIM, &p, err, "taking the daemon's lock");
    bool busy = rc != 0 && strcmp(s->state, "55P03") == 0;
    gs_error e2;
    int r2 = exec(s, "SET lock_timeout = 0", &e2, "taking the daemon's lock");
    if (rc == 0 && r2 != 0) {
        if (err != NULL)
            *err = e2;
        return r2;
    }
    if (busy)
        return gs_error_set(err, GS_ECONFLICT,
                            "database %s is in use by another daemon (it holds the giamsat "
                            "advisory lock); stop it first, or give this daemon its own database",
                            s->path);
    return rc;
}

void gs_store_pg_close(gs_store_pg **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    gs_store_pg *s = *sp;
    if (s->in_txn)
        gs_store_pg_rollback(s);
    gs_store_pg_read_end(s, s->in_read);
    PQfinish(s->conn);
    free(s->hooks);
    free(s->path);
    free(s);
    *sp = NULL;
}

int gs_store_pg_schema_version(const gs_store_pg *s)
{
    return s->version;
}

/* Rule-state snapshots are a node's start-up cache and nodes keep SQLite
 * stores; a hub on PostgreSQL replays its replicas trusted (ingest.h). So
 * this backend keeps none: saving one is refused, and there is never one to
 * load (a full replay, which is always right). */
int gs_store_pg_put_snapshot(gs_store_pg *s, int64_t log_id, uint64_t size, const gs_hash *root,
                             gs_bytes state, const gs_hash *check, gs_error *err)
{
    (void)s;
    (void)log_id;
    (void)size;
    (void)root;
    (void)state;
    (void)check;
    return gs_error_set(err, GS_EINVAL,
                        "a PostgreSQL store keeps no rule snapshots (SQLite stores only)");
}

int gs_store_pg_get_snapshot(gs_store_pg *s, int64_t log_id, uint64_t at_most,
                             gs_store_snapshot *out, gs_error *err)
{
    (void)s;
    (void)log_id;
    memset(out, 0, sizeof *out);
    return gs_error_set(err, GS_ENOTFOUND, "no rule snapshot at or below size %llu",
                        (unsigned long long)at_most);
}

int gs_store_pg_drop_snapshots(gs_store_pg *s, int64_t log_id, gs_error *err)
{
    (void)s;
    (void)log_id;
    (void)err;
    return 0; /* it holds none */
}
