/* test_daemon.c — the pieces of common/daemon.c a test can reach without a
 * daemon: the one-daemon-per-folder lock. (Two real daemons on one folder:
 * tests/it_harden.sh.) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs_test_daemon_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_lock(void **state)
{
    (void)state;
    char db[300], lock[320];
    snprintf(db, sizeof db, "%s/node.db", tmpdir);
    snprintf(lock, sizeof lock, "%s.lock", db);
    gs_error err;
    int a = -1, b = -1;
    assert_int_equal(gs_daemon_lock(db, &a, &err), 0);
    assert_true(a >= 0);
    struct stat st;
    assert_int_equal(stat(lock, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* A second holder, even in this process (flock, not fcntl), is refused
     * at once with the folder and the pid that holds it. */
    gs_error_clear(&err);
    assert_int_equal(gs_daemon_lock(db, &b, &err), GS_ECONFLICT);
    assert_int_equal(b, -1);
    char want[64];
    snprintf(want, sizeof want, "pid %ld holds", (long)getpid());
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, tmpdir));
    assert_non_null(strstr(err.msg, "data folder"));
    /* Another process is refused the same way. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        gs_error e2;
        int c = -1;
        _exit(gs_daemon_lock(db, &c, &e2) == GS_ECONFLICT ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Released, it can be taken again; the file stays. */
    gs_daemon_unlock(&a);
    assert_int_equal(a, -1);
    gs_daemon_unlock(&a); /* safe on -1 */
    assert_int_equal(gs_daemon_lock(db, &b, &err), 0);
    gs_daemon_unlock(&b);
    assert_int_equal(stat(lock, &st), 0);
}

static void test_lock_refuses_symlink(void **state)
{
    (void)state;
    char db[300], lock[320], target[320];
    snprintf(db, sizeof db, "%s/hub.db", tmpdir);
    snprintf(lock, sizeof lock, "%s.lock", db);
    snprintf(target, sizeof target, "%s/elsewhere", tmpdir);
    assert_int_equal(symlink(target, lock), 0);
    gs_error err;
    int fd = -1;
    gs_error_clear(&err);
    assert_int_not_equal(gs_daemon_lock(db, &fd, &err), 0);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(err.msg, "symbolic link"));
    /* Nothing was created through it. */
    assert_int_equal(access(target, F_OK), -1);
    unlink(lock);
}

/* --reload finds the running daemon by its lock: the pid while held, 0
 * once released or when no daemon ever ran on the folder. */
static void test_lock_holder(void **state)
{
    (void)state;
    char db[300];
    snprintf(db, sizeof db, "%s/hub.db", tmpdir);
    gs_error err;
    long pid = -1;
    assert_int_equal(gs_daemon_lock_holder(db, &pid, &err), 0);
    assert_int_equal(pid, 0);
    int fd = -1;
    assert_int_equal(gs_daemon_lock(db, &fd, &err), 0);
    assert_int_equal(gs_daemon_lock_holder(db, &pid, &err), 0);
    assert_int_equal(pid, (long)getpid());
    gs_daemon_unlock(&fd);
    assert_int_equal(gs_daemon_lock_holder(db, &pid, &err), 0);
    assert_int_equal(pid, 0);
}

/* SIGHUP asks for a reload, once, and does not ask the loop to stop. */
static void test_reload_signal(void **state)
{
    (void)state;
    gs_daemon_catch_signals();
    assert_false(gs_daemon_reload_requested());
    raise(SIGHUP);
    raise(SIGHUP);
    assert_true(gs_daemon_reload_requested());
    assert_false(gs_daemon_reload_requested());
    assert_false(gs_daemon_stopping());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_lock_refuses_symlink),
        cmocka_unit_test(test_lock_holder),
        cmocka_unit_test(test_reload_signal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
