/* it_util.c — see it_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "it_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 64

static char tmpdir[512];
static pid_t children[MAX_CHILDREN];
static size_t n_children;

void it_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    it_cleanup();
    _exit(1);
}

static void remove_tree(const char *dir)
{
    char *argv[] = {"rm", "-rf", (char *)dir, NULL};
    it_run(argv, NULL, 0);
}

void it_cleanup(void)
{
    for (size_t i = 0; i < n_children; i++) {
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
    }
    n_children = 0;
    if (tmpdir[0] != '\0' && getenv("GS_IT_KEEP") == NULL) {
        remove_tree(tmpdir);
        tmpdir[0] = '\0';
    }
}

const char *it_tmpdir(void)
{
    if (tmpdir[0] != '\0')
        return tmpdir;
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/giamsat-it-XXXXXX", base);
    if (mkdtemp(tmpdir) == NULL)
        it_die("mkdtemp: %s", strerror(errno));
    atexit(it_cleanup);
    return tmpdir;
}

static int status_of(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

int it_run(char *const argv[], char *out, size_t cap)
{
    int fds[2];
    if (pipe(fds) != 0)
        it_die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        it_die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    char buf[4096];
    ssize_t r;
    while ((r = read(fds[0], buf, sizeof buf)) > 0) {
        if (out != NULL && used + 1 < cap) {
            size_t k = (size_t)r < cap - 1 - used ? (size_t)r : cap - 1 - used;
            memcpy(out + used, buf, k);
            used += k;
        }
    }
    close(fds[0]);
    if (out != NULL && cap > 0)
        out[used] = '\0';
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return status_of(st);
}

pid_t it_spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid < 0)
        it_die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (n_children < MAX_CHILDREN)
        children[n_children++] = pid;
    return pid;
}

int it_kill(pid_t pid, int sig)
{
    kill(pid, sig);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    for (size_t i = 0; i < n_children; i++)
        if (children[i] == pid)
            children[i] = 0;
    return status_of(st);
}

int it_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        it_die("cannot find a free port: %s", strerror(errno));
    close(s);
    return ntohs(a.sin_port);
}

void it_node_init(it_node *n, const char *bin_dir, const char *unit, bool tcp,
                  const char *extra_conf)
{
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "%s/%s", it_tmpdir(), unit);
    snprintf(n->conf, sizeof n->conf, "%s/node.conf", n->dir);
    snprintf(n->log, sizeof n->log, "%s/node.log", n->dir);
    snprintf(n->ipc, sizeof n->ipc, "ipc://%s/node.sock", n->dir);
    snprintf(n->origin, sizeof n->origin, "giamsat/commune/%s", unit);
    if (tcp)
        snprintf(n->tcp, sizeof n->tcp, "tcp://127.0.0.1:%d", it_free_port());
    char cli[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin_dir);
    char name[128];
    snprintf(name, sizeof name, "Commune %s", unit);
    char *argv[16];
    int k = 0;
    argv[k++] = cli;
    argv[k++] = "node";
    argv[k++] = "init";
    argv[k++] = "--dir";
    argv[k++] = n->dir;
    argv[k++] = "--tier";
    argv[k++] = "commune";
    argv[k++] = "--unit";
    argv[k++] = (char *)unit;
    argv[k++] = "--name";
    argv[k++] = name;
    argv[k++] = "--listen";
    argv[k++] = n->ipc;
    if (tcp) {
        argv[k++] = "--listen";
        argv[k++] = n->tcp;
    }
    argv[k] = NULL;
    char out[4096];
    int st = it_run(argv, out, sizeof out);
    if (st != 0)
        it_die("giamsat node init exited %d: %s", st, out);
    if (extra_conf != NULL) {
        FILE *f = fopen(n->conf, "a");
        if (f == NULL)
            it_die("cannot append to %s", n->conf);
        fputs(extra_conf, f);
        fclose(f);
    }
    char key_path[600];
    snprintf(key_path, sizeof key_path, "%s/node.key", n->dir);
    gs_error err;
    if (gs_keyfile_read(key_path, NULL, &n->key, &err) != 0)
        it_die("%s", err.msg);
}

void it_node_start(it_node *n, const char *bin_dir)
{
    char bin[600];
    snprintf(bin, sizeof bin, "%s/node/giamsat-node", bin_dir);
    char *argv[] = {bin, "--config", n->conf, NULL};
    n->pid = it_spawn(argv, n->log);
}

void it_node_wait_ready(it_node *n, void *zctx)
{
    gs_error err;
    for (int attempt = 0; attempt < 300; attempt++) {
        gs_net_client *c = NULL;
        if (gs_net_client_open(&c, zctx, n->ipc, NULL, NULL, 200, GS_MAX_MESSAGE, &err) == 0) {
            gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = ""};
            gs_response rs = {0};
            int rc = gs_net_client_call(c, &rq, &rs, &err);
            bool ok = rc == 0 && rs.code == GS_STATUS_OK;
            gs_response_clear(&rs);
            gs_net_client_close(&c);
            if (ok)
                return;
        }
        int st;
        if (waitpid(n->pid, &st, WNOHANG) == n->pid)
            it_die("giamsat-node exited (status %d) before it was ready; see %s", status_of(st),
                   n->log);
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    it_die("giamsat-node did not become ready; see %s", n->log);
}

void it_node_stop(it_node *n, int sig)
{
    if (n->pid > 0)
        it_kill(n->pid, sig);
    n->pid = 0;
}

gs_buf it_sign(gs_statement *st, const gs_keypair *kp, const char *origin, uint64_t seq)
{
    gs_buf entry = {0};
    gs_error err;
    st->signer = kp->pub;
    st->seq = seq;
    st->issued_at = (int64_t)time(NULL);
    st->origin = (char *)origin;
    if (gs_wire_sign_statement(st, kp, &entry, &err) != 0)
        it_die("sign: %s", err.msg);
    st->origin = NULL;
    return entry;
}

int it_submit(gs_net_client *c, gs_bytes entry, const gs_pubkey *node_key, gs_receipt *receipt,
              char *message, size_t cap)
{
    gs_request rq = {.version = 1, .op = GS_OP_SUBMIT, .origin = ""};
    rq.u.submit.entry.p = (uint8_t *)entry.p;
    rq.u.submit.entry.n = entry.n;
    gs_response rs = {0};
    gs_error err;
    int rc = gs_net_client_call(c, &rq, &rs, &err);
    if (rc != 0) {
        if (message != NULL)
            snprintf(message, cap, "%s", err.msg);
        gs_response_clear(&rs);
        return rc;
    }
    int code = (int)rs.code;
    if (message != NULL)
        snprintf(message, cap, "%s", rs.message != NULL ? rs.message : "");
    if (rs.code == GS_STATUS_OK) {
        if (rs.result != GS_RESULT_RECEIPT)
            it_die("OK without a receipt");
        if (node_key != NULL) {
            if (gs_wire_open_receipt(gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n), node_key, receipt,
                                     &err) != 0)
                it_die("receipt does not verify: %s", err.msg);
        }
    }
    gs_response_clear(&rs);
    return code;
}

uint64_t it_next_seq(gs_net_client *c, const gs_pubkey *key)
{
    gs_request rq = {.version = 1, .op = GS_OP_GET_SIGNER_STATE, .origin = ""};
    rq.u.get_signer_state.signer = *key;
    gs_response rs = {0};
    gs_error err;
    if (gs_net_client_call(c, &rq, &rs, &err) != 0 || rs.code != GS_STATUS_OK)
        it_die("GetSignerState failed: %s", rs.message != NULL ? rs.message : err.msg);
    uint64_t seq = rs.u.signer_state.next_seq;
    gs_response_clear(&rs);
    return seq;
}
