/* test_outfile.c — files written whole or not at all, never through a
 * symbolic link (issue 9: `--out F` wrote F.tmp with fopen). */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "outfile.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs_test_outfile_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", tmpdir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static void assert_content(const char *path, const char *want)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
}

/* The number of names in the folder, so a test sees no temporary is left. */
static int entries(void)
{
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void clean(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void test_write_and_replace(void **state)
{
    (void)state;
    clean();
    char path[320];
    path_of(path, sizeof path, "report.txt");
    gs_error err;
    assert_int_equal(gs_outfile_write(path, gs_bytes_of("one", 3), true, &err), 0);
    assert_content(path, "one");
    assert_int_equal(gs_outfile_write(path, gs_bytes_of("two", 3), true, &err), 0);
    assert_content(path, "two");
    /* Without replace an existing file is kept as it was. */
    gs_error_clear(&err);
    assert_int_equal(gs_outfile_write(path, gs_bytes_of("three", 5), false, &err), GS_ECONFLICT);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_content(path, "two");
    assert_int_equal(entries(), 1);
}

static void test_stream_and_abort(void **state)
{
    (void)state;
    clean();
    char path[320];
    path_of(path, sizeof path, "audit.html");
    gs_error err;
    gs_outfile *o = NULL;
    assert_int_equal(gs_outfile_open(&o, path, &err), 0);
    fputs("half a rep", gs_outfile_stream(o));
    /* Until the commit nothing is at path: a reader never sees half a file. */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(entries(), 1);
    gs_outfile_abort(&o);
    assert_null(o);
    gs_outfile_abort(&o); /* safe on NULL */
    assert_int_equal(entries(), 0);
    assert_int_equal(gs_outfile_open(&o, path, &err), 0);
    fputs("a report", gs_outfile_stream(o));
    assert_int_equal(gs_outfile_commit(&o, true, &err), 0);
    assert_null(o);
    assert_content(path, "a report");
    assert_int_equal(entries(), 1);
}

static void test_symlinks_not_followed(void **state)
{
    (void)state;
    clean();
    char path[320], victim[320], tmp[340];
    path_of(path, sizeof path, "out.bundle");
    path_of(victim, sizeof victim, "victim");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    gs_error err;
    /* A link planted at the old temporary name (F.tmp) is never opened. */
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(gs_outfile_write(path, gs_bytes_of("bundle", 6), true, &err), 0);
    assert_content(victim, "precious");
    assert_content(path, "bundle");
    struct stat st;
    assert_int_equal(lstat(tmp, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* A link at the path itself: replace swaps the link out, never writes
     * through it. */
    unlink(path);
    assert_int_equal(symlink(victim, path), 0);
    assert_int_equal(gs_outfile_write(path, gs_bytes_of("bundle", 6), true, &err), 0);
    assert_content(victim, "precious");
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    /* Without replace, a link (even a dangling one) is an existing name. */
    char ev[320], nowhere[320];
    path_of(ev, sizeof ev, "1-split-view.evidence");
    path_of(nowhere, sizeof nowhere, "nowhere");
    assert_int_equal(symlink(nowhere, ev), 0);
    gs_error_clear(&err);
    assert_int_equal(gs_outfile_write(ev, gs_bytes_of("ev", 2), false, &err), GS_ECONFLICT);
    assert_int_equal(access(nowhere, F_OK), -1);
    /* victim, out.bundle, out.bundle.tmp, the link: no temporary is left. */
    assert_int_equal(entries(), 4);
}

static void test_missing_folder(void **state)
{
    (void)state;
    clean();
    char path[320];
    path_of(path, sizeof path, "no/such/folder/report.txt");
    gs_error err;
    gs_error_clear(&err);
    assert_int_equal(gs_outfile_write(path, gs_bytes_of("x", 1), true, &err), GS_EIO);
    assert_non_null(strstr(err.msg, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_replace),
        cmocka_unit_test(test_stream_and_abort),
        cmocka_unit_test(test_symlinks_not_followed),
        cmocka_unit_test(test_missing_folder),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
