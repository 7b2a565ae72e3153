/* pg_util.h — databases on the throwaway PostgreSQL cluster of the tests
 * (tests/pg_cluster.sh, ctest fixture pg_cluster). GIAMSAT_TEST_PG holds
 * its URI; without it every call fails with a sentence saying so: the
 * PostgreSQL variants of the tests fail, never skip. */
#ifndef GS_PG_UTIL_H
#define GS_PG_UTIL_H

#include <stddef.h>

/* Writes into uri (cap bytes) the URI of database `name` on the test
 * cluster (name: letters, digits, '_' and '.', made into a database name
 * with this process's id, so parallel tests never share one). With fresh,
 * a new empty database takes the name over; otherwise the last one is
 * reused, created when missing.
 * Returns 0, or -1 with a sentence in why. */
int gs_pg_test_db(const char *name, int fresh, char *uri, size_t cap, char *why, size_t whycap);
/* Runs sql (one or more statements) on the database at uri. Returns 0, or
 * -1 with the server's sentence in why. */
int gs_pg_test_exec(const char *uri, const char *sql, char *why, size_t whycap);
/* The first column of the first row of sql's result into out ("" when
 * none). Returns 0, or -1 with a sentence in why. */
int gs_pg_test_query(const char *uri, const char *sql, char *out, size_t cap, char *why,
                     size_t whycap);

#endif
