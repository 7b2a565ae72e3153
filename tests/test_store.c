/* test_store.c — the store: schema, appends, stored tree hashes,
 * refusal of altered databases, transactions, checkpoints, evidence.
 * `test_store` runs every case on the SQLite backend, `test_store pg` on
 * the PostgreSQL one (a fresh database per case on the cluster named by
 * GIAMSAT_TEST_PG: tests/pg_util.h), with the same expectations.
 *
 * Expected tree hashes come from the RFC 6962 reference vectors
 * (tests/vectors/rfc6962-roots.txt) and from an independent recursive MTH
 * computed here with libsodium; databases are altered with the sqlite3 C API
 * or SQL over libpq directly, the way an attacker with the file or the
 * server would. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "merkle.h"
#include "pg_util.h"
#include "store.h"

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs-test-store-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* true: the cases run on PostgreSQL. */
static bool pg;

/* The database called name: a file in tmpdir, or a database on the test
 * cluster (created when missing; emptied first with fresh). */
static void db_at(char *out, size_t cap, const char *name, bool fresh)
{
    if (!pg) {
        snprintf(out, cap, "%s/%s", tmpdir, name);
        if (fresh)
            unlink(out);
        return;
    }
    char why[512];
    if (gs_pg_test_db(name, fresh, out, cap, why, sizeof why) != 0)
        fail_msg("%s", why);
}

static void db_path(char *out, size_t cap, const char *name)
{
    db_at(out, cap, name, false);
}

/* Independent RFC 6962 §2.1 hashing with libsodium. */
static void leaf_hash(const uint8_t *p, size_t n, uint8_t out[32])
{
    crypto_hash_sha256_state st;
    uint8_t z = 0;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &z, 1);
    crypto_hash_sha256_update(&st, p, n);
    crypto_hash_sha256_final(&st, out);
}

static void node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
    crypto_hash_sha256_state st;
    uint8_t one = 1;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &one, 1);
    crypto_hash_sha256_update(&st, l, 32);
    crypto_hash_sha256_update(&st, r, 32);
    crypto_hash_sha256_final(&st, out);
}

/* Test entries: entry i is "entry <i>" repeated to a length that varies. */
static size_t make_entry(uint64_t i, uint8_t *buf, size_t cap)
{
    size_t len = 10 + (size_t)(i * 7 % 90);
    char tag[32];
    int t = snprintf(tag, sizeof tag, "entry %llu;", (unsigned long long)i);
    if (len > cap)
        len = cap;
    for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)tag[k % (size_t)t];
    return len;
}

/* MTH(D[begin:end]) recomputed from the entries, RFC 6962 §2.1 recursion. */
static void mth(uint64_t begin, uint64_t end, uint8_t out[32])
{
    if (end - begin == 1) {
        uint8_t buf[128];
        size_t n = make_entry(begin, buf, sizeof buf);
        leaf_hash(buf, n, out);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < end - begin)
        k *= 2;
    uint8_t l[32], r[32];
    mth(begin, begin + k, l);
    mth(begin + k, end, r);
    node_hash(l, r, out);
}

typedef struct {
    gs_hash h[41];
    unsigned n;
} row;

static void collect(void *ctx, unsigned level, uint64_t index, const gs_hash *h)
{
    (void)index;
    row *r = ctx;
    r->h[level] = *h;
    r->n = level + 1;
}

/* Appends entries [from, to) of the test sequence to a log in one
 * transaction, with the hashes the merkle frontier emits. */
static void append_range(gs_store *s, const gs_store_log_state *ls, gs_merkle_frontier *f,
                         uint64_t from, uint64_t to)
{
    gs_error err;
    assert_int_equal(gs_store_begin(s, &err), 0);
    for (uint64_t i = from; i < to; i++) {
        uint8_t buf[128];
        size_t n = make_entry(i, buf, sizeof buf);
        gs_hash leaf;
        row r = {.n = 0};
        gs_merkle_leaf_hash(gs_bytes_of(buf, n), &leaf);
        gs_merkle_frontier_append(f, &leaf, collect, &r);
        int rc = gs_store_append(s, ls->id, i, gs_bytes_of(buf, n), r.h, r.n, &err);
        if (rc != 0)
            fail_msg("append %llu: %s", (unsigned long long)i, err.msg);
    }
    gs_hash root;
    gs_merkle_frontier_root(f, &root);
    assert_int_equal(gs_store_set_tree(s, ls->id, f->size, &root, &err), 0);
    if (gs_store_commit(s, &err) != 0)
        fail_msg("commit: %s", err.msg);
}

/* A fresh store at name holding log "test/a" with n entries. */
static void make_store(const char *name, uint64_t n)
{
    char path[300];
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    gs_merkle_frontier f;
    db_at(path, sizeof path, name, true);
    if (gs_store_open(&s, path, &err) != 0)
        fail_msg("open: %s", err.msg);
    assert_int_equal(gs_store_log_find(s, "test/a", true, &ls, &err), 0);
    gs_merkle_frontier_init(&f);
    append_range(s, &ls, &f, 0, n);
    gs_store_close(&s);
}

/* Runs SQL on the file (sql) or the server (pg_sql) directly, as someone
 * holding the disk or the database's role could. */
static void tamper(const char *name, const char *sql, const char *pg_sql)
{
    char path[300];
    sqlite3 *db = NULL;
    db_path(path, sizeof path, name);
    if (pg) {
        char why[512];
        if (gs_pg_test_exec(path, pg_sql, why, sizeof why) != 0)
            fail_msg("tamper: %s", why);
        return;
    }
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("tamper %s: %s", sql, msg);
    assert_int_equal(sqlite3_changes(db) >= 0, 1);
    sqlite3_close(db);
}

static int open_named(const char *name, gs_store **s, gs_error *err)
{
    char path[300];
    db_path(path, sizeof path, name);
    return gs_store_open(s, path, err);
}

static void assert_contains(const char *msg, const char *want)
{
    if (strstr(msg, want) == NULL)
        fail_msg("message \"%s\" does not contain \"%s\"", msg, want);
}

typedef struct {
    gs_store *s;
    int64_t id;
} get_ctx_t;

static int get_hash_cb(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    get_ctx_t *g = ctx;
    return gs_store_get_hash(g->s, g->id, level, index, out, err);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_create_schema_reopen(void **state)
{
    (void)state;
    char path[300];
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state a, b;
    db_path(path, sizeof path, "create.db");
    if (gs_store_open(&s, path, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(gs_store_schema_version(s), GS_STORE_SCHEMA_VERSION);
    assert_int_equal(gs_store_log_find(s, "giamsat/commune/a", false, &a, &err), GS_ENOTFOUND);
    assert_int_equal(gs_store_log_find(s, "giamsat/commune/a", true, &a, &err), 0);
    assert_int_equal(gs_store_log_find(s, "giamsat/hub/b", true, &b, &err), 0);
    assert_int_not_equal(a.id, b.id);
    assert_int_equal(a.size, 0);
    uint8_t empty[32];
    crypto_hash_sha256(empty, NULL, 0);
    assert_memory_equal(a.root.b, empty, 32);
    gs_store_close(&s);
    assert_null(s);

    if (pg) {
        /* The database says what it is: our schema version. */
        char v[64], why[512];
        if (gs_pg_test_query(path, "SELECT version FROM giamsat_schema", v, sizeof v, why,
                             sizeof why) != 0)
            fail_msg("%s", why);
        assert_int_equal(atoi(v), GS_STORE_SCHEMA_VERSION);
    }
    /* The file says what it is: WAL, our schema version, our application. */
    sqlite3 *db = NULL;
    if (!pg) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), GS_STORE_SCHEMA_VERSION);
        sqlite3_finalize(st);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(db);
    }

    if (gs_store_open(&s, path, &err) != 0)
        fail_msg("%s", err.msg);
    gs_store_log_state again;
    assert_int_equal(gs_store_log_find(s, "giamsat/hub/b", false, &again, &err), 0);
    assert_int_equal(again.id, b.id);
    assert_int_equal(gs_store_log_find(s, "", true, &again, &err), GS_EINVAL);
    gs_store_close(&s);
    gs_store_close(&s); /* safe on NULL */
}

/* The 8 reference leaves of RFC 6962 (tests/vectors/rfc6962-roots.txt):
 * after appending them, every stored (level, index) hash is the published
 * node hash and the stored root the published root. */
static void test_stored_hashes_match_rfc6962_vectors(void **state)
{
    (void)state;
    char path[300];
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    db_path(path, sizeof path, "vectors.db");
    assert_int_equal(gs_store_open(&s, path, &err), 0);
    assert_int_equal(gs_store_log_find(s, "vectors", true, &ls, &err), 0);

    FILE *f = fopen(GS_VECTORS "/rfc6962-roots.txt", "r");
    assert_non_null(f);
    uint8_t leaves[8][64];
    size_t lens[8] = {0};
    struct {
        unsigned level;
        uint64_t index;
        uint8_t h[32];
    } nodes[32];
    size_t nnodes = 0;
    uint8_t root8[32] = {0};
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        char hex[200];
        unsigned a, b;
        if (sscanf(line, "leaf %u %199s", &a, hex) == 2 && a < 8) {
            if (strcmp(hex, "-") != 0)
                assert_int_equal(
                    sodium_hex2bin(leaves[a], 64, hex, strlen(hex), NULL, &lens[a], NULL), 0);
        } else if (sscanf(line, "node %u %u %199s", &a, &b, hex) == 3 && nnodes < 32) {
            nodes[nnodes].level = a;
            nodes[nnodes].index = b;
            assert_int_equal(sodium_hex2bin(nodes[nnodes].h, 32, hex, 64, NULL, NULL, NULL), 0);
            nnodes++;
        } else if (sscanf(line, "root %u %199s", &a, hex) == 2 && a == 8) {
            assert_int_equal(sodium_hex2bin(root8, 32, hex, 64, NULL, NULL, NULL), 0);
        }
    }
    fclose(f);
    assert_int_equal(nnodes, 15);

    gs_merkle_frontier fr;
    gs_merkle_frontier_init(&fr);
    assert_int_equal(gs_store_begin(s, &err), 0);
    for (uint64_t i = 0; i < 8; i++) {
        gs_hash leaf;
        row r = {.n = 0};
        gs_merkle_leaf_hash(gs_bytes_of(leaves[i], lens[i]), &leaf);
        gs_merkle_frontier_append(&fr, &leaf, collect, &r);
        assert_int_equal(
            gs_store_append(s, ls.id, i, gs_bytes_of(leaves[i], lens[i]), r.h, r.n, &err), 0);
    }
    gs_hash root;
    gs_merkle_frontier_root(&fr, &root);
    assert_memory_equal(root.b, root8, 32);
    assert_int_equal(gs_store_set_tree(s, ls.id, 8, &root, &err), 0);
    assert_int_equal(gs_store_commit(s, &err), 0);
    gs_store_close(&s);

    /* Reopen (which checks the tree) and read every node back. */
    if (gs_store_open(&s, path, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(gs_store_log_find(s, "vectors", false, &ls, &err), 0);
    assert_int_equal(ls.size, 8);
    assert_memory_equal(ls.root.b, root8, 32);
    for (size_t k = 0; k < nnodes; k++) {
        gs_hash h;
        if (gs_store_get_hash(s, ls.id, nodes[k].level, nodes[k].index, &h, &err) != 0)
            fail_msg("(%u, %llu): %s", nodes[k].level, (unsigned long long)nodes[k].index, err.msg);
        assert_memory_equal(h.b, nodes[k].h, 32);
    }
    /* Subtrees that are not complete are not there. */
    gs_hash h;
    assert_int_equal(gs_store_get_hash(s, ls.id, 0, 8, &h, &err), GS_ENOTFOUND);
    assert_int_equal(gs_store_get_hash(s, ls.id, 4, 0, &h, &err), GS_ENOTFOUND);
    assert_int_equal(gs_store_get_hash(s, ls.id, 39, UINT64_MAX, &h, &err), GS_ENOTFOUND);
    assert_int_equal(gs_store_get_hash(s, ls.id, 200, 0, &h, &err), GS_ENOTFOUND);
    /* Entry 0 is the empty string: stored and served as zero bytes. */
    gs_buf e = {0};
    assert_int_equal(gs_store_get_entry(s, ls.id, 0, &e, &err), 0);
    assert_int_equal(e.n, 0);
    gs_buf_free(&e);
    assert_int_equal(gs_store_get_entry(s, ls.id, 7, &e, &err), 0);
    assert_int_equal(e.n, lens[7]);
    assert_memory_equal(e.p, leaves[7], lens[7]);
    gs_buf_free(&e);
    gs_store_close(&s);
}

/* Larger log: entries read back as written, and every complete subtree of
 * size 300 read by (level, index) equals an independent recursive MTH. */
static void test_append_read_and_addressing(void **state)
{
    (void)state;
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    make_store("addr.db", 300);
    if (open_named("addr.db", &s, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    assert_int_equal(ls.size, 300);
    uint8_t want[32];
    mth(0, 300, want);
    assert_memory_equal(ls.root.b, want, 32);
    for (uint64_t i = 0; i < 300; i++) {
        uint8_t buf[128];
        size_t n = make_entry(i, buf, sizeof buf);
        gs_buf e = {0};
        assert_int_equal(gs_store_get_entry(s, ls.id, i, &e, &err), 0);
        assert_int_equal(e.n, n);
        assert_memory_equal(e.p, buf, n);
        gs_buf_free(&e);
    }
    gs_buf e = {0};
    assert_int_equal(gs_store_get_entry(s, ls.id, 300, &e, &err), GS_ENOTFOUND);
    assert_null(e.p);
    for (unsigned level = 0; level < 9; level++) {
        for (uint64_t k = 0; ((k + 1) << level) <= 300; k++) {
            gs_hash h;
            if (gs_store_get_hash(s, ls.id, level, k, &h, &err) != 0)
                fail_msg("(%u, %llu): %s", level, (unsigned long long)k, err.msg);
            mth(k << level, (k + 1) << level, want);
            assert_memory_equal(h.b, want, 32);
        }
    }
    gs_store_close(&s);
}

/* Altering one entry in the middle is not seen at open (only the last
 * entries are rehashed there) but is refused when that entry is read. */
static void test_tampered_entry_refused_at_read(void **state)
{
    (void)state;
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    make_store("t1.db", 200);
    tamper("t1.db", "UPDATE entries SET data = X'41414141' WHERE id = (1 << 40) | 10",
           "UPDATE entries SET data = '\\x41414141' WHERE id = (1::bigint << 40) | 10");
    if (open_named("t1.db", &s, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    gs_buf e = {0};
    assert_int_equal(gs_store_get_entry(s, ls.id, 10, &e, &err), GS_ECORRUPT);
    assert_null(e.p);
    assert_string_equal(err.msg, "entry 10 of log test/a does not match its stored leaf hash: "
                                 "the database was altered; refusing to serve it");
    assert_int_equal(gs_store_get_entry(s, ls.id, 11, &e, &err), 0);
    gs_buf_free(&e);
    gs_store_close(&s);
}

static const struct {
    const char *name;
    const char *sql;
    const char *pg_sql; /* the same on PostgreSQL */
    const char *reason; /* a part of the refusal sentence */
} tamper_cases[] = {
    {"last entry changed", "UPDATE entries SET data = X'00' WHERE id = (1 << 40) | 199",
     "UPDATE entries SET data = '\\x00' WHERE id = (1::bigint << 40) | 199",
     "entry 199 of log test/a does not match its stored leaf hash"},
    {"entry near the end changed", "UPDATE entries SET data = X'00' WHERE id = (1 << 40) | 150",
     "UPDATE entries SET data = '\\x00' WHERE id = (1::bigint << 40) | 150",
     "entry 150 of log test/a does not match its stored leaf hash"},
    {"last row deleted", "DELETE FROM entries WHERE id = (1 << 40) | 199",
     "DELETE FROM entries WHERE id = (1::bigint << 40) | 199", "log test/a in store"},
    {"row in the checked range deleted", "DELETE FROM entries WHERE id = (1 << 40) | 180",
     "DELETE FROM entries WHERE id = (1::bigint << 40) | 180", "is missing entry 180"},
    {"stored root changed", "UPDATE logs SET root = zeroblob(32) WHERE origin = 'test/a'",
     "UPDATE logs SET root = decode(repeat('00', 32), 'hex') WHERE origin = 'test/a'",
     "the root recomputed from the stored tree hashes at size 200 does not match the stored "
     "root"},
    {"stored size grown", "UPDATE logs SET size = 201 WHERE origin = 'test/a'",
     "UPDATE logs SET size = 201 WHERE origin = 'test/a'",
     "has stored size 201 but entry 200 is missing"},
    {"stored size shrunk", "UPDATE logs SET size = 150 WHERE origin = 'test/a'",
     "UPDATE logs SET size = 150 WHERE origin = 'test/a'",
     "has stored size 150 but holds entry 199 beyond it"},
    /* Entry 199 (binary ...000111) closes subtrees at levels 0..3: replace its
     * level-1 hash with zeros. */
    {"interior hash changed",
     "UPDATE entries SET hashes = substr(hashes, 1, 32) || zeroblob(32) || substr(hashes, 65) "
     "WHERE id = (1 << 40) | 199",
     "UPDATE entries SET hashes = substr(hashes, 1, 32) || decode(repeat('00', 32), 'hex') || "
     "substr(hashes, 65) WHERE id = (1::bigint << 40) | 199",
     "the stored hash of subtree (level 1, index 99) ending at entry 199 does not match its "
     "children"},
    /* Row 127 is older than the GS_STORE_OPEN_CHECK entries rehashed, but in
     * the GS_STORE_OPEN_CHECK_TREE rows whose interior hashes are checked. */
    {"interior hash below the rehashed entries",
     "UPDATE entries SET hashes = substr(hashes, 1, 96) || zeroblob(32) || substr(hashes, 129) "
     "WHERE id = (1 << 40) | 127",
     "UPDATE entries SET hashes = substr(hashes, 1, 96) || decode(repeat('00', 32), 'hex') || "
     "substr(hashes, 129) WHERE id = (1::bigint << 40) | 127",
     "the stored hash of subtree (level 3, index 15) ending at entry 127 does not match its "
     "children"},
    {"hash record cut short",
     "UPDATE entries SET hashes = substr(hashes, 1, 32) WHERE id = (1 << 40) | 199",
     "UPDATE entries SET hashes = substr(hashes, 1, 32) WHERE id = (1::bigint << 40) | 199",
     "entry 199 of log test/a has a damaged tree hash record (32 bytes, expected 128)"},
};

static void test_tampering_refused_at_open(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof tamper_cases / sizeof tamper_cases[0]; i++) {
        gs_error err = {0};
        gs_store *s = NULL;
        make_store("t2.db", 200);
        tamper("t2.db", tamper_cases[i].sql, tamper_cases[i].pg_sql);
        int rc = open_named("t2.db", &s, &err);
        if (rc != GS_ECORRUPT)
            fail_msg("%s: open returned %d (%s)", tamper_cases[i].name, rc, err.msg);
        assert_null(s);
        assert_contains(err.msg, tamper_cases[i].reason);
        assert_contains(err.msg, "refusing to open it");
    }
    /* The deleted last row names the missing entry. */
    gs_error err;
    gs_store *s = NULL;
    make_store("t3.db", 200);
    tamper("t3.db", "DELETE FROM entries WHERE id = (1 << 40) | 199",
           "DELETE FROM entries WHERE id = (1::bigint << 40) | 199");
    assert_int_equal(open_named("t3.db", &s, &err), GS_ECORRUPT);
    assert_contains(err.msg, "has stored size 200 but entry 199 is missing (the last entry held "
                             "is 198)");
}

static void test_garbage_file_refused(void **state)
{
    (void)state;
    char path[300];
    gs_error err;
    gs_store *s = NULL;
    if (pg) {
        char want[400];
        /* A database holding another program's tables. */
        db_at(path, sizeof path, "other.db", true);
        tamper("other.db", NULL, "CREATE TABLE t(x integer)");
        assert_int_equal(gs_store_open(&s, path, &err), GS_EINVAL);
        assert_null(s);
        snprintf(want, sizeof want,
                 "%s is not a giamsat store: the database holds tables of another program", path);
        assert_string_equal(err.msg, want);
        /* A server that is not there: GS_EIO, and the password in the URI
         * is not repeated in the sentence. */
        assert_int_equal(gs_store_open(&s, "postgresql://gs:secret@/x?host=/nonexistent-dir", &err),
                         GS_EIO);
        assert_null(s);
        assert_contains(err.msg, "cannot connect to PostgreSQL");
        assert_contains(err.msg, "postgresql://gs:***@/x?host=/nonexistent-dir");
        assert_null(strstr(err.msg, "secret"));
        return;
    }
    db_path(path, sizeof path, "garbage.db");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database. ", f);
    fclose(f);
    assert_int_equal(gs_store_open(&s, path, &err), GS_EINVAL);
    assert_null(s);
    char want[400];
    snprintf(want, sizeof want, "%s is not a giamsat store: file is not a database", path);
    assert_string_equal(err.msg, want);

    /* A store cut short: refused with an error naming the file, no crash. */
    make_store("cut.db", 2000);
    db_path(path, sizeof path, "cut.db");
    assert_int_equal(truncate(path, 3000), 0);
    int rc = gs_store_open(&s, path, &err);
    assert_int_not_equal(rc, 0);
    assert_null(s);
    assert_contains(err.msg, path);

    /* Another program's SQLite database. */
    db_path(path, sizeof path, "other.db");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(gs_store_open(&s, path, &err), GS_EINVAL);
    snprintf(want, sizeof want,
             "%s is not a giamsat store: it is an SQLite database of another "
             "program",
             path);
    assert_string_equal(err.msg, want);

    /* A path that cannot be created. */
    assert_int_equal(gs_store_open(&s, "/nonexistent-dir/x/y.db", &err), GS_EIO);
    assert_contains(err.msg, "/nonexistent-dir/x/y.db");
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    gs_error err;
    gs_store *s = NULL;
    make_store("newer.db", 3);
    tamper("newer.db", "PRAGMA user_version = 99", "UPDATE giamsat_schema SET version = 99");
    assert_int_equal(open_named("newer.db", &s, &err), GS_EINVAL);
    assert_null(s);
    assert_contains(err.msg, "has schema version 99, newer than this giamsat knows (1): upgrade "
                             "giamsat to open it");
}

static int hook_calls;
static int hook_committed;
static void hook(void *ctx, bool committed)
{
    (void)ctx;
    hook_calls++;
    hook_committed = committed;
}

/* The frontier of entries [0, n) of the test sequence. */
static void frontier_of(uint64_t n, gs_merkle_frontier *f)
{
    gs_merkle_frontier_init(f);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t buf[128];
        size_t len = make_entry(i, buf, sizeof buf);
        gs_hash leaf;
        gs_merkle_leaf_hash(gs_bytes_of(buf, len), &leaf);
        gs_merkle_frontier_append(f, &leaf, NULL, NULL);
    }
}

static gs_error stage_err;

static void stage_entry(gs_store *s, int64_t id, gs_merkle_frontier *f, uint64_t i, int want)
{
    uint8_t buf[128];
    size_t len = make_entry(i, buf, sizeof buf);
    gs_hash leaf;
    row r = {.n = 0};
    gs_merkle_leaf_hash(gs_bytes_of(buf, len), &leaf);
    gs_merkle_frontier_append(f, &leaf, collect, &r);
    assert_int_equal(gs_store_append(s, id, i, gs_bytes_of(buf, len), r.h, r.n, &stage_err), want);
}

static void test_rollback_leaves_nothing(void **state)
{
    (void)state;
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    gs_merkle_frontier f;
    gs_buf e = {0};
    gs_hash root;
    uint8_t want[32];
    make_store("rb.db", 5);
    assert_int_equal(open_named("rb.db", &s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);

    /* Writes need a transaction. */
    frontier_of(5, &f);
    stage_entry(s, ls.id, &f, 5, GS_EINVAL);
    assert_int_equal(gs_store_set_tree(s, ls.id, 6, &ls.root, &err), GS_EINVAL);

    /* An explicit rollback: the hook hears it, nothing stays. */
    hook_calls = 0;
    frontier_of(5, &f);
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_store_begin(s, &err), GS_EINVAL); /* no nesting */
    assert_int_equal(gs_store_on_txn_end(s, hook, &f, &err), 0);
    assert_int_equal(gs_store_on_txn_end(s, hook, &f, &err), 0); /* once per ctx */
    for (uint64_t i = 5; i < 10; i++)
        stage_entry(s, ls.id, &f, i, 0);
    gs_merkle_frontier_root(&f, &root);
    assert_int_equal(gs_store_set_tree(s, ls.id, 10, &root, &err), 0);
    assert_int_equal(gs_store_put_evidence(s, "x", gs_bytes_of("ev", 2), NULL, &err), 0);
    gs_store_rollback(s);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_committed, 0);
    assert_false(gs_store_in_transaction(s));
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    assert_int_equal(ls.size, 5);
    mth(0, 5, want);
    assert_memory_equal(ls.root.b, want, 32);
    assert_int_equal(gs_store_get_entry(s, ls.id, 5, &e, &err), GS_ENOTFOUND);

    /* A failed write rolls the whole transaction back at once: the entry
     * written before it is gone and commit says nothing was committed. */
    hook_calls = 0;
    frontier_of(5, &f);
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_store_on_txn_end(s, hook, &f, &err), 0);
    stage_entry(s, ls.id, &f, 5, 0);
    frontier_of(3, &f);
    stage_entry(s, ls.id, &f, 3, GS_ECONFLICT);
    assert_contains(stage_err.msg, "entry 3 of log test/a is already held");
    assert_false(gs_store_in_transaction(s));
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_committed, 0);
    assert_int_equal(gs_store_commit(s, &err), GS_EIO);
    assert_contains(err.msg, "nothing was committed");
    assert_int_equal(gs_store_get_entry(s, ls.id, 5, &e, &err), GS_ENOTFOUND);

    /* A wrong number of hashes for the row is refused and aborts too. */
    assert_int_equal(gs_store_begin(s, &err), 0);
    gs_hash two[2];
    memset(two, 0, sizeof two);
    assert_int_equal(gs_store_append(s, ls.id, 5, gs_bytes_of("x", 1), two, 1, &err), GS_EINVAL);
    assert_contains(err.msg, "entry 5 closes 2 subtrees and needs that many hashes, not 1");
    assert_false(gs_store_in_transaction(s));
    gs_store_rollback(s);

    /* No writes while a read snapshot is open. */
    bool opened;
    assert_int_equal(gs_store_read_begin(s, &opened, &err), 0);
    assert_true(opened);
    assert_int_equal(gs_store_begin(s, &err), GS_EINVAL);
    assert_contains(err.msg, "a read snapshot is open");
    bool inner;
    assert_int_equal(gs_store_read_begin(s, &inner, &err), 0);
    assert_false(inner);
    gs_store_read_end(s, inner);
    gs_store_read_end(s, opened);

    /* Closing with a transaction open rolls it back. */
    frontier_of(5, &f);
    assert_int_equal(gs_store_begin(s, &err), 0);
    stage_entry(s, ls.id, &f, 5, 0);
    gs_store_close(&s);
    assert_int_equal(open_named("rb.db", &s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    assert_int_equal(ls.size, 5);

    /* And a commit keeps everything, hook told. */
    hook_calls = 0;
    frontier_of(5, &f);
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_store_on_txn_end(s, hook, &f, &err), 0);
    for (uint64_t i = 5; i < 10; i++)
        stage_entry(s, ls.id, &f, i, 0);
    gs_merkle_frontier_root(&f, &root);
    assert_int_equal(gs_store_set_tree(s, ls.id, 10, &root, &err), 0);
    assert_int_equal(gs_store_commit(s, &err), 0);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_committed, 1);
    gs_store_close(&s);
    assert_int_equal(open_named("rb.db", &s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    assert_int_equal(ls.size, 10);
    mth(0, 10, want);
    assert_memory_equal(ls.root.b, want, 32);
    gs_store_close(&s);
}

/* Notes with one and with two signature lines (C2SP signed-note shape). */
static const char note1[] = "test/a\n5\nAAAA\n\n\xe2\x80\x94 test/a abcd\n";
static const char note2[] = "test/a\n5\nAAAA\n\n\xe2\x80\x94 test/a abcd\n"
                            "\xe2\x80\x94 witness efgh\n";
static const char note7[] = "test/a\n7\nBBBB\n\n\xe2\x80\x94 test/a ijkl\n";

typedef struct {
    int n;
    int64_t ids[8];
    char origins[8][32];
    char data[8][32];
} ev_list;

static int ev_collect(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    ev_list *l = ctx;
    if (l->n >= 8)
        return -1;
    l->ids[l->n] = id;
    snprintf(l->origins[l->n], sizeof l->origins[0], "%s", origin);
    snprintf(l->data[l->n], sizeof l->data[0], "%.*s", (int)data.n, (const char *)data.p);
    l->n++;
    return 0;
}

static void test_checkpoints_and_evidence(void **state)
{
    (void)state;
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    char *text = NULL;
    uint64_t size = 0;
    bool stored;
    make_store("cp.db", 8);
    assert_int_equal(open_named("cp.db", &s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);

    assert_int_equal(gs_store_latest_checkpoint(s, ls.id, &text, &size, &err), GS_ENOTFOUND);
    assert_contains(err.msg, "log test/a has no checkpoint yet");
    assert_int_equal(gs_store_put_checkpoint(s, ls.id, 5, note1, &stored, &err), 0);
    assert_true(stored);
    /* More cosignatures replace; fewer never do. */
    assert_int_equal(gs_store_put_checkpoint(s, ls.id, 5, note2, &stored, &err), 0);
    assert_true(stored);
    assert_int_equal(gs_store_put_checkpoint(s, ls.id, 5, note1, &stored, &err), 0);
    assert_false(stored);
    assert_int_equal(gs_store_get_checkpoint(s, ls.id, 5, &text, &err), 0);
    assert_string_equal(text, note2);
    free(text);
    assert_int_equal(gs_store_put_checkpoint(s, ls.id, 7, note7, &stored, &err), 0);
    assert_int_equal(gs_store_put_checkpoint(s, ls.id, 7, "", &stored, &err), GS_EINVAL);
    gs_store_close(&s);

    /* Durable across reopen; latest is the largest size. */
    assert_int_equal(open_named("cp.db", &s, &err), 0);
    assert_int_equal(gs_store_latest_checkpoint(s, ls.id, &text, &size, &err), 0);
    assert_int_equal(size, 7);
    assert_string_equal(text, note7);
    free(text);
    assert_int_equal(gs_store_get_checkpoint(s, ls.id, 5, &text, &err), 0);
    assert_string_equal(text, note2);
    free(text);
    assert_int_equal(gs_store_get_checkpoint(s, ls.id, 6, &text, &err), GS_ENOTFOUND);
    assert_null(text);

    /* Evidence: appended in order, listed per origin or all. */
    int64_t id1, id2, id3;
    assert_int_equal(
        gs_store_put_evidence(s, "giamsat/commune/x", gs_bytes_of("one", 3), &id1, &err), 0);
    assert_int_equal(
        gs_store_put_evidence(s, "giamsat/commune/y", gs_bytes_of("two", 3), &id2, &err), 0);
    assert_int_equal(
        gs_store_put_evidence(s, "giamsat/commune/x", gs_bytes_of("three", 5), &id3, &err), 0);
    assert_true(id1 < id2 && id2 < id3);
    assert_int_equal(gs_store_put_evidence(s, "giamsat/commune/x", gs_bytes_of("", 0), NULL, &err),
                     GS_EINVAL);
    assert_int_equal(gs_store_put_evidence(s, NULL, gs_bytes_of("a", 1), NULL, &err), GS_EINVAL);
    gs_store_close(&s);
    assert_int_equal(open_named("cp.db", &s, &err), 0);
    ev_list l = {0};
    assert_int_equal(gs_store_list_evidence(s, "giamsat/commune/x", ev_collect, &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.ids[0], id1);
    assert_string_equal(l.data[0], "one");
    assert_int_equal(l.ids[1], id3);
    assert_string_equal(l.data[1], "three");
    assert_string_equal(l.origins[1], "giamsat/commune/x");
    memset(&l, 0, sizeof l);
    assert_int_equal(gs_store_list_evidence(s, NULL, ev_collect, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.data[1], "two");
    memset(&l, 0, sizeof l);
    assert_int_equal(gs_store_list_evidence(s, "giamsat/none", ev_collect, &l, &err), 0);
    assert_int_equal(l.n, 0);
    gs_store_close(&s);
}

typedef struct {
    int n;
    char origins[4][32];
    uint64_t sizes[4];
} log_list;

static int log_collect(void *ctx, const char *origin, const gs_store_log_state *st)
{
    log_list *l = ctx;
    if (l->n >= 4)
        return -1;
    snprintf(l->origins[l->n], sizeof l->origins[0], "%s", origin);
    l->sizes[l->n] = st->size;
    l->n++;
    return 0;
}

/* One transaction over two logs (a hub replicating two logs at once). */
static void test_two_logs_one_transaction(void **state)
{
    (void)state;
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state a, b;
    gs_merkle_frontier fa, fb;
    make_store("two.db", 3);
    assert_int_equal(open_named("two.db", &s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &a, &err), 0);
    assert_int_equal(gs_store_begin(s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/b", true, &b, &err), 0);
    frontier_of(3, &fa);
    frontier_of(0, &fb);
    stage_entry(s, a.id, &fa, 3, 0);
    for (uint64_t i = 0; i < 4; i++)
        stage_entry(s, b.id, &fb, i, 0);
    gs_hash ra, rb;
    gs_merkle_frontier_root(&fa, &ra);
    gs_merkle_frontier_root(&fb, &rb);
    assert_int_equal(gs_store_set_tree(s, a.id, 4, &ra, &err), 0);
    assert_int_equal(gs_store_set_tree(s, b.id, 4, &rb, &err), 0);
    assert_int_equal(gs_store_commit(s, &err), 0);
    gs_store_close(&s);
    assert_int_equal(open_named("two.db", &s, &err), 0);
    log_list l = {0};
    assert_int_equal(gs_store_log_list(s, log_collect, &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.origins[0], "test/a");
    assert_string_equal(l.origins[1], "test/b");
    assert_int_equal(l.sizes[0], 4);
    assert_int_equal(l.sizes[1], 4);
    /* Both logs hold the same entries 0..3 of the sequence: same root. */
    assert_int_equal(gs_store_log_find(s, "test/b", false, &b, &err), 0);
    uint8_t want[32];
    mth(0, 4, want);
    assert_memory_equal(b.root.b, want, 32);
    gs_store_close(&s);
}

/* Truncation keeps exactly the first n entries: the root is the RFC 6962
 * root of the prefix (recomputed independently), entries and checkpoints
 * above it are gone, the store reopens clean, and the log can regrow. */
static void test_truncate(void **state)
{
    (void)state;
    gs_error err;
    gs_store *s = NULL;
    gs_store_log_state ls;
    gs_buf e = {0};
    char *text = NULL;
    uint64_t size = 0;
    uint8_t want[32];
    make_store("trunc.db", 13);
    assert_int_equal(open_named("trunc.db", &s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    assert_int_equal(
        gs_store_put_checkpoint(s, ls.id, 5, "five\n\n\xe2\x80\x94 k AAAA\n", NULL, &err), 0);
    assert_int_equal(
        gs_store_put_checkpoint(s, ls.id, 13, "thirteen\n\n\xe2\x80\x94 k AAAA\n", NULL, &err), 0);

    assert_int_equal(gs_store_truncate(s, ls.id, 14, &err), GS_EINVAL);
    assert_contains(err.msg, "cannot be truncated to 14");
    assert_int_equal(gs_store_truncate(s, ls.id, 6, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    assert_int_equal(ls.size, 6);
    mth(0, 6, want);
    assert_memory_equal(ls.root.b, want, 32);
    assert_int_equal(gs_store_get_entry(s, ls.id, 5, &e, &err), 0);
    gs_buf_free(&e);
    assert_int_equal(gs_store_get_entry(s, ls.id, 6, &e, &err), GS_ENOTFOUND);
    assert_int_equal(gs_store_latest_checkpoint(s, ls.id, &text, &size, &err), 0);
    assert_int_equal(size, 5);
    free(text);
    gs_store_close(&s);

    /* The open check accepts the truncated file, and the log regrows. */
    assert_int_equal(open_named("trunc.db", &s, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    gs_merkle_frontier f;
    get_ctx_t g = {s, ls.id};
    assert_int_equal(gs_merkle_frontier_load(&f, 6, get_hash_cb, &g, &err), 0);
    append_range(s, &ls, &f, 6, 9);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    mth(0, 9, want);
    assert_memory_equal(ls.root.b, want, 32);
    /* To zero: the empty tree's root. */
    assert_int_equal(gs_store_truncate(s, ls.id, 0, &err), 0);
    assert_int_equal(gs_store_log_find(s, "test/a", false, &ls, &err), 0);
    crypto_hash_sha256(want, NULL, 0);
    assert_int_equal(ls.size, 0);
    assert_memory_equal(ls.root.b, want, 32);
    assert_int_equal(gs_store_truncate(s, 999, 0, &err), GS_ENOTFOUND);
    gs_store_close(&s);
    assert_int_equal(open_named("trunc.db", &s, &err), 0);
    gs_store_close(&s);
}

/* One daemon per database (gs_store_claim): on PostgreSQL a second claim
 * is refused while the first store is open; SQLite leaves it to the lock
 * file next to the database (test_daemon). */
static void test_claim(void **state)
{
    (void)state;
    gs_error err;
    gs_store *a = NULL, *b = NULL;
    make_store("claim.db", 1);
    assert_int_equal(open_named("claim.db", &a, &err), 0);
    assert_int_equal(open_named("claim.db", &b, &err), 0);
    assert_int_equal(gs_store_claim(a, &err), 0);
    if (pg) {
        assert_int_equal(gs_store_claim(b, &err), GS_ECONFLICT);
        assert_contains(err.msg, "is in use by another daemon");
        gs_store_close(&a);
        assert_int_equal(gs_store_claim(b, &err), 0);
    } else {
        assert_int_equal(gs_store_claim(b, &err), 0);
    }
    gs_store_close(&a);
    gs_store_close(&b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_schema_reopen),
        cmocka_unit_test(test_stored_hashes_match_rfc6962_vectors),
        cmocka_unit_test(test_append_read_and_addressing),
        cmocka_unit_test(test_tampered_entry_refused_at_read),
        cmocka_unit_test(test_tampering_refused_at_open),
        cmocka_unit_test(test_garbage_file_refused),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_rollback_leaves_nothing),
        cmocka_unit_test(test_checkpoints_and_evidence),
        cmocka_unit_test(test_two_logs_one_transaction),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_claim),
    };
    pg = argc > 1 && strcmp(argv[1], "pg") == 0;
    if (sodium_init() < 0)
        return 1;
    if (pg)
        return cmocka_run_group_tests_name("store_pg", tests, setup_dir, teardown_dir);
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
