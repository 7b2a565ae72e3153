/* bench_util.h — what every benchmark shares: a clock, the figure line, peak
 * memory. A figure is printed as `figure <name> <value> <unit>` on a line of
 * its own so scripts can collect them. */
#ifndef GS_BENCH_UTIL_H
#define GS_BENCH_UTIL_H

#include <stdbool.h>

/* Monotonic seconds. */
double gs_bench_now(void);
void gs_bench_figure(const char *name, double value, const char *unit);
/* Peak resident set size of this process so far, in MiB (VmHWM). */
double gs_bench_peak_rss_mib(void);
/* CPU seconds (user + system, every thread) process pid used so far, from
 * /proc/PID/stat; -1 when it cannot be read. */
double gs_bench_proc_cpu_s(int pid);
/* The same summed over the threads of pid whose name starts with prefix
 * ("ZMQbg/": ZeroMQ's I/O threads). A thread that ended no longer counts:
 * compare two readings only across a span where the threads live. */
double gs_bench_threads_cpu_s(int pid, const char *prefix);
/* True when argv holds --quick. */
bool gs_bench_quick(int argc, char **argv);
/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); the caller
 * removes it with gs_bench_rmdir when done. */
int gs_bench_tmpdir(char *out, unsigned long cap);
void gs_bench_rmdir(const char *dir);
/* A PostgreSQL server for the _pg figures: the one GIAMSAT_TEST_PG names,
 * or else a throwaway cluster started with tests/pg_cluster.sh (stopped at
 * exit) whose URI is then put in GIAMSAT_TEST_PG. Returns 0, or -1 with a
 * sentence on stderr. Databases on it: tests/pg_util.h. */
int gs_bench_pg(void);

#endif
