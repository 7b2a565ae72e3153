/* pg_util.c — see pg_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "pg_util.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base_uri(char *why, size_t whycap)
{
    const char *b = getenv("GIAMSAT_TEST_PG");
    if (b == NULL || strncmp(b, "postgresql://", 13) != 0) {
        snprintf(why, whycap,
                 "GIAMSAT_TEST_PG is not set to a postgresql:// URI: the PostgreSQL tests run "
                 "against the cluster of tests/pg_cluster.sh (ctest starts it: fixture "
                 "pg_cluster; install postgresql)");
        return NULL;
    }
    return b;
}

/* The base URI with its database (the path) replaced by db. */
static int uri_for(const char *base, const char *db, char *out, size_t cap)
{
    const char *host = base + 13;
    const char *path = strchr(host, '/');
    const char *query = strchr(host, '?');
    if (path == NULL || (query != NULL && query < path))
        path = query != NULL ? query : host + strlen(host);
    const char *rest = query != NULL ? query : path + strlen(path);
    int n = snprintf(out, cap, "%.*s/%s%s", (int)(path - base), base, db, rest);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int exec_on(PGconn *c, const char *sql, char *why, size_t whycap)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(why, whycap, "%s: %s", sql, PQerrorMessage(c));
        rc = -1;
    }
    PQclear(r);
    return rc;
}

static PGconn *connect_to(const char *uri, char *why, size_t whycap)
{
    PGconn *c = PQconnectdb(uri);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        snprintf(why, whycap, "cannot connect to %s: %s", uri,
                 c != NULL ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

/* DROP DATABASE waits for a checkpoint (seconds on a busy machine): a fresh
 * database is a new one, named with a generation per name, and the whole
 * cluster is thrown away at the end. */
static struct {
    char name[48];
    int gen;
} gens[128];

static int generation(const char *name, int fresh)
{
    size_t i;
    for (i = 0; i < sizeof gens / sizeof gens[0] && gens[i].name[0] != '\0'; i++)
        if (strcmp(gens[i].name, name) == 0)
            return fresh ? ++gens[i].gen : gens[i].gen;
    if (i == sizeof gens / sizeof gens[0])
        return -1;
    snprintf(gens[i].name, sizeof gens[i].name, "%s", name);
    return gens[i].gen;
}

int gs_pg_test_db(const char *name, int fresh, char *uri, size_t cap, char *why, size_t whycap)
{
    const char *base = base_uri(why, whycap);
    if (base == NULL)
        return -1;
    char db[64];
    int gen = generation(name, fresh);
    if (gen < 0) {
        snprintf(why, whycap, "too many test databases");
        return -1;
    }
    int n = snprintf(db, sizeof db, "gs_%ld_%s_%d", (long)getpid(), name, gen);
    if (n < 0 || (size_t)n >= sizeof db) {
        snprintf(why, whycap, "database name for %s too long", name);
        return -1;
    }
    for (char *p = db; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
        if (!isalnum((unsigned char)*p) && *p != '_')
            *p = '_';
    }
    if (uri_for(base, db, uri, cap) != 0) {
        snprintf(why, whycap, "URI for %s too long", name);
        return -1;
    }
    PGconn *c = connect_to(base, why, whycap);
    if (c == NULL)
        return -1;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT 1 FROM pg_database WHERE datname = '%s'", db);
    PGresult *r = PQexec(c, sql);
    int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    int rc = 0;
    if (!exists) {
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
        rc = exec_on(c, sql, why, whycap);
    }
    PQfinish(c);
    return rc;
}

int gs_pg_test_exec(const char *uri, const char *sql, char *why, size_t whycap)
{
    PGconn *c = connect_to(uri, why, whycap);
    if (c == NULL)
        return -1;
    int rc = exec_on(c, sql, why, whycap);
    PQfinish(c);
    return rc;
}

int gs_pg_test_query(const char *uri, const char *sql, char *out, size_t cap, char *why,
                     size_t whycap)
{
    PGconn *c = connect_to(uri, why, whycap);
    if (c == NULL)
        return -1;
    PGresult *r = PQexec(c, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(why, whycap, "%s: %s", sql, PQerrorMessage(c));
        rc = -1;
    } else {
        snprintf(out, cap, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}
