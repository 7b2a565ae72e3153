/* bench_util.c — see bench_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "bench_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double gs_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void gs_bench_figure(const char *name, double value, const char *unit)
{
    printf("figure %s %.2f %s\n", name, value, unit);
    fflush(stdout);
}

double gs_bench_peak_rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    double kib = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtod(line + 6, NULL);
            break;
        }
    }
    fclose(f);
    return kib < 0 ? -1 : kib / 1024.0;
}

bool gs_bench_quick(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--quick") == 0)
            return true;
    return false;
}

int gs_bench_tmpdir(char *out, unsigned long cap)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if ((unsigned long)snprintf(out, cap, "%s/giamsat-bench-XXXXXX", base) >= cap)
        return -1;
    return mkdtemp(out) == NULL ? -1 : 0;
}

void gs_bench_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static char pg_dir[64];

static void pg_stop(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "'%s/tests/pg_cluster.sh' stop '%s'", GS_SOURCE_DIR, pg_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not stop the PostgreSQL cluster in %s\n", pg_dir);
}

int gs_bench_pg(void)
{
    const char *uri = getenv("GIAMSAT_TEST_PG");
    if (uri != NULL && uri[0] != '\0')
        return 0;
    /* A short path: the server's Unix socket lives in it. */
    snprintf(pg_dir, sizeof pg_dir, "/tmp/gs-bench-pg-%ld", (long)getpid());
    char cmd[256], line[512] = "";
    snprintf(cmd, sizeof cmd, "'%s/tests/pg_cluster.sh' start '%s'", GS_SOURCE_DIR, pg_dir);
    FILE *p = popen(cmd, "r");
    if (p == NULL || fgets(line, sizeof line, p) == NULL) {
        if (p != NULL)
            pclose(p);
        fprintf(stderr, "bench: cannot start PostgreSQL (tests/pg_cluster.sh); install "
                        "postgresql or set GIAMSAT_TEST_PG\n");
        return -1;
    }
    if (pclose(p) != 0) {
        fprintf(stderr, "bench: tests/pg_cluster.sh start failed\n");
        return -1;
    }
    atexit(pg_stop);
    line[strcspn(line, "\n")] = '\0';
    return setenv("GIAMSAT_TEST_PG", line, 1);
}

/* utime + stime of one /proc stat file, in seconds; the command name
 * (between the parentheses) into comm when comm is not NULL. */
static double stat_cpu_s(const char *path, char *comm, size_t cap)
{
    char buf[2048];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name (which may hold spaces): state is
     * field 3, utime and stime fields 14 and 15. */
    const char *open = strchr(buf, '(');
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (open == NULL || p == NULL || p < open ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    if (comm != NULL)
        snprintf(comm, cap, "%.*s", (int)(p - open - 1), open + 1);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double gs_bench_proc_cpu_s(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    return stat_cpu_s(path, NULL, 0);
}

double gs_bench_threads_cpu_s(int pid, const char *prefix)
{
    char path[96], comm[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    double sum = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.16s/stat", pid, e->d_name);
        double s = stat_cpu_s(path, comm, sizeof comm);
        if (s > 0 && strncmp(comm, prefix, strlen(prefix)) == 0)
            sum += s;
    }
    closedir(d);
    return sum;
}
