/* it_util.c — see it_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "it_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "pg_util.h"

#define MAX_CHILDREN 128

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

char *it_arg(const char *s)
{
    union {
        const char *c;
        char *m;
    } u = {.c = s};
    return u.m;
}

static void remove_tree(const char *dir)
{
    char *argv[] = {"rm", "-rf", it_arg(dir), NULL};
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
    /* Slots of reaped children are reused: a test may start hundreds. */
    size_t slot = 0;
    while (slot < n_children && children[slot] != 0)
        slot++;
    if (slot < MAX_CHILDREN) {
        children[slot] = pid;
        if (slot == n_children)
            n_children++;
    }
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

int it_wait(pid_t pid)
{
    return it_kill(pid, 0);
}

int it_wait_for(pid_t pid, int timeout_ms)
{
    int64_t end = it_now_ms() + timeout_ms;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            for (size_t i = 0; i < n_children; i++)
                if (children[i] == pid)
                    children[i] = 0;
            return status_of(st);
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (it_now_ms() >= end)
            return -1;
        it_sleep_ms(20);
    }
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
    if (snprintf(n->dir, sizeof n->dir, "%s/%s", it_tmpdir(), unit) >= (int)sizeof n->dir)
        it_die("temporary folder name too long");
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
    argv[k++] = it_arg(unit);
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

int64_t it_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void it_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

void it_node_wait_ready(it_node *n, void *zctx)
{
    gs_error err;
    for (int64_t end = it_now_ms() + IT_WAIT_MS; it_now_ms() < end;) {
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
        it_sleep_ms(50);
    }
    it_die("giamsat-node did not become ready within %d ms; see %s", IT_WAIT_MS, n->log);
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
    st->origin = origin;
    if (gs_wire_sign_statement(st, kp, &entry, &err) != 0)
        it_die("sign: %s", err.msg);
    st->origin = NULL;
    return entry;
}

int it_submit(gs_net_client *c, gs_bytes entry, const gs_pubkey *node_key, gs_receipt *receipt,
              char *message, size_t cap)
{
    /* A SUBMIT request holds its entry as a gs_buf: copy the borrowed bytes. */
    gs_request rq = {.version = 1, .op = GS_OP_SUBMIT, .origin = ""};
    rq.u.submit.entry.p = malloc(entry.n ? entry.n : 1);
    if (rq.u.submit.entry.p == NULL)
        it_die("out of memory");
    memcpy(rq.u.submit.entry.p, entry.p, entry.n);
    rq.u.submit.entry.n = entry.n;
    gs_response rs = {0};
    gs_error err;
    /* A node just started holds writes while its start check asks its
     * witnesses what they hold (node.conf start_check_ms): "starting: …
     * retry shortly" is waited out, on a deadline like every other wait. */
    int rc;
    for (int64_t end = it_now_ms() + IT_WAIT_MS;;) {
        rc = gs_net_client_call(c, &rq, &rs, &err);
        if (rc != 0 || rs.code != GS_STATUS_UNAVAILABLE || rs.message == NULL ||
            strncmp(rs.message, "starting:", 9) != 0 || it_now_ms() >= end)
            break;
        gs_response_clear(&rs);
        it_sleep_ms(50);
    }
    gs_buf_free(&rq.u.submit.entry);
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
            gs_receipt local = {0};
            gs_receipt *r = receipt != NULL ? receipt : &local;
            if (gs_wire_open_receipt(gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n), node_key, r,
                                     &err) != 0)
                it_die("receipt does not verify: %s", err.msg);
            gs_receipt_clear(&local);
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

/* ------------------------------------------------------------------ hubs */

static void read_line_value(const char *out, const char *label, char *dst, size_t cap)
{
    const char *p = strstr(out, label);
    if (p == NULL)
        it_die("no \"%s\" in: %s", label, out);
    p += strlen(label);
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\n");
    if (n >= cap)
        it_die("value of %s too long", label);
    memcpy(dst, p, n);
    dst[n] = '\0';
}

void it_hub_init(it_hub *h, const char *bin_dir, const char *name, bool tcp, const char *extra_conf)
{
    memset(h, 0, sizeof *h);
    if (snprintf(h->dir, sizeof h->dir, "%s/%s", it_tmpdir(), name) >= (int)sizeof h->dir)
        it_die("hub folder name too long");
    snprintf(h->conf, sizeof h->conf, "%s/hub.conf", h->dir);
    snprintf(h->log, sizeof h->log, "%s/hub.log", h->dir);
    snprintf(h->ipc, sizeof h->ipc, "ipc://%s/hub.sock", h->dir);
    snprintf(h->pub, sizeof h->pub, "ipc://%s/hub.pub", h->dir);
    if (tcp)
        snprintf(h->tcp, sizeof h->tcp, "tcp://127.0.0.1:%d", it_free_port());
    char cli[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin_dir);
    char *argv[20];
    int k = 0;
    argv[k++] = cli;
    argv[k++] = "hub";
    argv[k++] = "init";
    argv[k++] = "--dir";
    argv[k++] = h->dir;
    argv[k++] = "--name";
    argv[k++] = it_arg(name);
    argv[k++] = "--listen";
    argv[k++] = h->ipc;
    if (tcp) {
        argv[k++] = "--listen";
        argv[k++] = h->tcp;
    }
    argv[k++] = "--publish";
    argv[k++] = h->pub;
    /* GIAMSAT_TEST_HUB_PG (the _pg variants of the hub tests): the hub's
     * database on the test cluster, a new one per hub. */
    char uri[1024], why[512];
    if (getenv("GIAMSAT_TEST_HUB_PG") != NULL) {
        if (gs_pg_test_db(name, 1, uri, sizeof uri, why, sizeof why) != 0)
            it_die("%s", why);
        argv[k++] = "--database";
        argv[k++] = uri;
    }
    argv[k] = NULL;
    char out[4096];
    int st = it_run(argv, out, sizeof out);
    if (st != 0)
        it_die("giamsat hub init exited %d: %s", st, out);
    read_line_value(out, "origin:", h->origin, sizeof h->origin);
    read_line_value(out, "log key:", h->log_key, sizeof h->log_key);
    read_line_value(out, "cosigner key:", h->cosigner_key, sizeof h->cosigner_key);
    if (extra_conf != NULL) {
        FILE *f = fopen(h->conf, "a");
        if (f == NULL)
            it_die("cannot append to %s", h->conf);
        fputs(extra_conf, f);
        fclose(f);
    }
    char key_path[600];
    snprintf(key_path, sizeof key_path, "%s/hub.key", h->dir);
    gs_error err;
    if (gs_keyfile_read(key_path, NULL, &h->key, &err) != 0)
        it_die("%s", err.msg);
}

void it_hub_follow(it_hub *h, const char *bin_dir, const char *origin, const char *log_key,
                   const char *const *sources, size_t n_sources)
{
    char cli[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin_dir);
    char *argv[48];
    int k = 0;
    argv[k++] = cli;
    argv[k++] = "hub";
    argv[k++] = "follow";
    argv[k++] = "--config";
    argv[k++] = h->conf;
    argv[k++] = "--origin";
    argv[k++] = it_arg(origin);
    argv[k++] = "--log-key";
    argv[k++] = it_arg(log_key);
    for (size_t i = 0; i < n_sources && k < 44; i++) {
        argv[k++] = "--source";
        argv[k++] = it_arg(sources[i]);
    }
    argv[k] = NULL;
    char out[4096];
    int st = it_run(argv, out, sizeof out);
    if (st != 0)
        it_die("giamsat hub follow exited %d: %s", st, out);
}

void it_hub_start(it_hub *h, const char *bin_dir)
{
    char bin[600];
    snprintf(bin, sizeof bin, "%s/hub/giamsat-hub", bin_dir);
    char *argv[] = {bin, "--config", h->conf, NULL};
    h->pid = it_spawn(argv, h->log);
}

void it_hub_wait_ready(it_hub *h, void *zctx)
{
    for (int64_t end = it_now_ms() + IT_WAIT_MS; it_now_ms() < end;) {
        int code = -1;
        char *note = it_get_checkpoint(zctx, h->ipc, "", &code);
        free(note);
        if (code == GS_STATUS_OK)
            return;
        int st;
        if (waitpid(h->pid, &st, WNOHANG) == h->pid)
            it_die("giamsat-hub exited (status %d) before it was ready; see %s", status_of(st),
                   h->log);
        it_sleep_ms(50);
    }
    it_die("giamsat-hub did not become ready within %d ms; see %s", IT_WAIT_MS, h->log);
}

void it_hub_stop(it_hub *h, int sig)
{
    if (h->pid > 0)
        it_kill(h->pid, sig);
    h->pid = 0;
}

void it_vkey(char *out, const char *name, uint8_t alg, const gs_pubkey *key)
{
    gs_vkey vk;
    gs_error err;
    if (gs_vkey_make(&vk, name, alg, key, &err) != 0 ||
        gs_vkey_format(&vk, out, GS_VKEY_STR_MAX, &err) != 0)
        it_die("vkey: %s", err.msg);
}

char *it_get_checkpoint(void *zctx, const char *endpoint, const char *origin, int *code)
{
    gs_net_client *c = NULL;
    gs_error err;
    char *note = NULL;
    if (code != NULL)
        *code = -1;
    if (gs_net_client_open(&c, zctx, endpoint, NULL, NULL, 2000, GS_MAX_MESSAGE, &err) != 0)
        return NULL;
    gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = origin};
    gs_response rs = {0};
    if (gs_net_client_call(c, &rq, &rs, &err) == 0) {
        if (code != NULL)
            *code = (int)rs.code;
        if (rs.code == GS_STATUS_OK && rs.result == GS_RESULT_CHECKPOINT)
            note = strdup(rs.u.checkpoint);
    }
    gs_response_clear(&rs);
    gs_net_client_close(&c);
    return note;
}

uint64_t it_checkpoint_size(const char *note)
{
    const char *nl = note != NULL ? strchr(note, '\n') : NULL;
    return nl != NULL ? strtoull(nl + 1, NULL, 10) : 0;
}

char *it_hub_wait_cosigned(void *zctx, const char *endpoint, const char *origin, uint64_t size,
                           int timeout_ms, const char *log_path)
{
    uint64_t seen = 0;
    for (int64_t end = it_now_ms() + timeout_ms; it_now_ms() < end;) {
        char *note = it_get_checkpoint(zctx, endpoint, origin, NULL);
        seen = it_checkpoint_size(note);
        if (note != NULL && seen >= size)
            return note;
        free(note);
        it_sleep_ms(100);
    }
    it_die("the hub at %s did not cosign %s at size %llu within %d ms (it serves size %llu); "
           "see %s",
           endpoint, origin, (unsigned long long)size, timeout_ms, (unsigned long long)seen,
           log_path);
}

void it_node_wait_checkpoint(it_node *n, void *zctx, uint64_t size)
{
    uint64_t seen = 0;
    for (int64_t end = it_now_ms() + IT_WAIT_MS; it_now_ms() < end;) {
        char *note = it_get_checkpoint(zctx, n->ipc, "", NULL);
        seen = it_checkpoint_size(note);
        free(note);
        if (seen == size)
            return;
        it_sleep_ms(50);
    }
    it_die("node %s did not sign a checkpoint of size %llu within %d ms (it serves %llu); see %s",
           n->origin, (unsigned long long)size, IT_WAIT_MS, (unsigned long long)seen, n->log);
}

int it_get_evidence(void *zctx, const char *endpoint, const char *origin, gs_buf **items, size_t *n)
{
    gs_net_client *c = NULL;
    gs_error err;
    *items = NULL;
    *n = 0;
    /* A missing answer ends the test: wait as long as a daemon on a
     * saturated machine may take (5 s was missed under the CPU hog). */
    if (gs_net_client_open(&c, zctx, endpoint, NULL, NULL, 30000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    gs_request rq = {.version = 1, .op = GS_OP_GET_EVIDENCE, .origin = origin};
    gs_response rs = {0};
    if (gs_net_client_call(c, &rq, &rs, &err) != 0)
        it_die("GetEvidence: %s", err.msg);
    int code = (int)rs.code;
    if (rs.code == GS_STATUS_OK && rs.result == GS_RESULT_EVIDENCE) {
        *items = rs.u.evidence.items;
        *n = rs.u.evidence.n;
        rs.u.evidence.items = NULL;
        rs.u.evidence.n = 0;
    }
    gs_response_clear(&rs);
    gs_net_client_close(&c);
    return code;
}

void *it_sub_open(void *zctx, const char *endpoint, const gs_pubkey *server_key, const char *prefix)
{
    void *s = zmq_socket(zctx, ZMQ_SUB);
    int linger = 0;
    if (s == NULL || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0)
        it_die("zmq SUB: %s", zmq_strerror(errno));
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        uint8_t server[32], pub[32], sec[32];
        gs_error err;
        if (server_key == NULL || gs_pubkey_to_curve(server_key, server, &err) != 0)
            it_die("SUB on %s needs the hub's key", endpoint);
        crypto_box_keypair(pub, sec);
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 32);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 32);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 32);
    }
    if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefix, strlen(prefix)) != 0 ||
        zmq_connect(s, endpoint) != 0)
        it_die("SUB %s: %s", endpoint, zmq_strerror(errno));
    return s;
}

int it_sub_recv(void *sub, char *topic, size_t cap, gs_buf *payload, int timeout_ms)
{
    zmq_pollitem_t item = {.socket = sub, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sub, 0) < 0)
        it_die("SUB recv: %s", zmq_strerror(errno));
    size_t n = zmq_msg_size(&m) < cap - 1 ? zmq_msg_size(&m) : cap - 1;
    memcpy(topic, zmq_msg_data(&m), n);
    topic[n] = '\0';
    int more = zmq_msg_more(&m);
    zmq_msg_close(&m);
    payload->p = NULL;
    payload->n = 0;
    if (more) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sub, 0) < 0)
            it_die("SUB recv: %s", zmq_strerror(errno));
        payload->n = zmq_msg_size(&m);
        payload->p = malloc(payload->n + 1);
        memcpy(payload->p, zmq_msg_data(&m), payload->n);
        payload->p[payload->n] = 0;
        while (zmq_msg_more(&m)) {
            zmq_msg_close(&m);
            zmq_msg_init(&m);
            zmq_msg_recv(&m, sub, 0);
        }
        zmq_msg_close(&m);
    }
    return 1;
}

int it_sub_wait(void *sub, const char *topic, gs_buf *payload, int timeout_ms)
{
    for (int64_t end = it_now_ms() + timeout_ms, left; (left = end - it_now_ms()) > 0;) {
        char t[GS_MAX_ORIGIN + 64];
        gs_buf p = {0};
        if (it_sub_recv(sub, t, sizeof t, &p, (int)left) != 1)
            return 0;
        if (strcmp(t, topic) == 0) {
            *payload = p;
            return 1;
        }
        gs_buf_free(&p);
    }
    return 0;
}

int it_sub_wait_checkpoint(void *sub, const char *topic, uint64_t size, gs_buf *payload,
                           int timeout_ms)
{
    for (int64_t end = it_now_ms() + timeout_ms, left; (left = end - it_now_ms()) > 0;) {
        gs_buf p = {0};
        if (it_sub_wait(sub, topic, &p, (int)left) != 1)
            return 0;
        if (p.p != NULL && it_checkpoint_size((const char *)p.p) == size) {
            *payload = p;
            return 1;
        }
        gs_buf_free(&p); /* an earlier size: published before this step */
    }
    return 0;
}

/* ------------------------------------------------------------------ floods */

struct it_flood {
    pthread_t *threads;
    int n;
    void *zctx;
    char endpoint[600];
    gs_pubkey key;
    bool has_key;
    it_flood_kind kind;
    atomic_bool stop;
    atomic_uint_fast64_t sent;
    pthread_mutex_t lock; /* guards fds */
    int *fds;             /* raw sockets of the multipart peers, -1 when closed */
};

/* A peer over ZeroMQ: requests (or big junk frames) as fast as the socket
 * takes them, never a read. */
static void flood_dealer(it_flood *f)
{
    gs_error err;
    gs_net_curve curve = {0};
    if (f->has_key && gs_net_curve_client(&curve, &f->key, NULL, &err) != 0)
        it_die("flood: %s", err.msg);
    void *s = NULL;
    if (gs_net_dealer_open(&s, f->zctx, f->endpoint, f->has_key ? &curve : NULL, GS_MAX_MESSAGE,
                           &err) != 0)
        it_die("flood: %s", err.msg);
    sodium_memzero(&curve, sizeof curve);
    gs_buf frames[2] = {{0}, {0}};
    size_t n_frames = 0;
    if (f->kind == IT_FLOOD_READS) {
        gs_request rq = {.version = 1, .id = 1, .op = GS_OP_GET_ENTRIES, .origin = ""};
        rq.u.get_entries.start = 0;
        rq.u.get_entries.count = GS_MAX_ENTRIES;
        if (gs_wire_encode_request(&rq, &frames[n_frames++], &err) != 0)
            it_die("flood: %s", err.msg);
        rq = (gs_request){.version = 1, .id = 2, .op = GS_OP_GET_CHECKPOINT, .origin = ""};
        if (gs_wire_encode_request(&rq, &frames[n_frames++], &err) != 0)
            it_die("flood: %s", err.msg);
    } else {
        frames[0].n = 1u << 20;
        frames[0].p = malloc(frames[0].n);
        if (frames[0].p == NULL)
            it_die("flood: out of memory");
        memset(frames[0].p, 0xff, frames[0].n); /* decodes to nothing */
        n_frames = 1;
    }
    for (uint64_t k = 0; !atomic_load(&f->stop); k++) {
        const gs_buf *b = &frames[k % n_frames];
        if (zmq_send(s, b->p, b->n, ZMQ_DONTWAIT) >= 0) {
            atomic_fetch_add(&f->sent, 1);
            continue;
        }
        zmq_pollitem_t item = {.socket = s, .events = ZMQ_POLLOUT};
        zmq_poll(&item, 1, 10);
    }
    for (size_t i = 0; i < n_frames; i++)
        gs_buf_free(&frames[i]);
    zmq_close(s);
}

/* A peer speaking raw ZMTP 3.0 (NULL mechanism) on an ipc:// endpoint: a
 * greeting, READY as a DEALER, then frames of one message that never ends
 * (the MORE flag on every one). libzmq never sends such a message (it
 * flushes a message only once it is whole), a hostile peer does. */
static void flood_multipart(it_flood *f, int slot)
{
    if (strncmp(f->endpoint, "ipc://", 6) != 0)
        it_die("flood: unfinished multipart messages are sent on ipc:// endpoints only");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->endpoint + 6);
    uint8_t hello[64 + 2 + 28] = {0xff, [9] = 0x7f, [10] = 3, [11] = 0};
    memcpy(hello + 12, "NULL", 4);
    uint8_t *r = hello + 64;
    *r++ = 0x04; /* a short command */
    *r++ = 28;
    *r++ = 5;
    memcpy(r, "READY", 5), r += 5;
    *r++ = 11;
    memcpy(r, "Socket-Type", 11), r += 11;
    *r++ = 0, *r++ = 0, *r++ = 0, *r++ = 6;
    memcpy(r, "DEALER", 6);
    size_t body = 64 * 1024;
    uint8_t *frame = calloc(1, 9 + body);
    if (frame == NULL)
        it_die("flood: out of memory");
    frame[0] = 0x03; /* MORE | LONG */
    for (int i = 0; i < 8; i++)
        frame[1 + i] = (uint8_t)((uint64_t)body >> (56 - 8 * i));
    /* When the daemon drops the connection, the peer comes back with a new
     * one: it never stops on its own. */
    while (!atomic_load(&f->stop)) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            if (fd >= 0)
                close(fd);
            it_sleep_ms(10);
            continue;
        }
        pthread_mutex_lock(&f->lock);
        f->fds[slot] = fd;
        pthread_mutex_unlock(&f->lock);
        bool ok = send(fd, hello, sizeof hello, MSG_NOSIGNAL) == (ssize_t)sizeof hello;
        while (ok && !atomic_load(&f->stop)) {
            size_t off = 0;
            while (ok && off < 9 + body) {
                ssize_t w = send(fd, frame + off, 9 + body - off, MSG_NOSIGNAL);
                ok = w > 0;
                off += ok ? (size_t)w : 0;
            }
            if (ok)
                atomic_fetch_add(&f->sent, 1);
        }
        pthread_mutex_lock(&f->lock);
        f->fds[slot] = -1;
        pthread_mutex_unlock(&f->lock);
        close(fd);
    }
    free(frame);
}

typedef struct {
    it_flood *f;
    int slot;
} flood_arg;

static void *flood_thread(void *arg)
{
    flood_arg a = *(flood_arg *)arg;
    free(arg);
    if (a.f->kind == IT_FLOOD_MULTIPART)
        flood_multipart(a.f, a.slot);
    else
        flood_dealer(a.f);
    return NULL;
}

it_flood *it_flood_start(const char *endpoint, const gs_pubkey *server_key, it_flood_kind kind,
                         int n_peers)
{
    it_flood *f = calloc(1, sizeof *f);
    if (f == NULL || (f->threads = calloc((size_t)n_peers, sizeof *f->threads)) == NULL ||
        (f->fds = calloc((size_t)n_peers, sizeof *f->fds)) == NULL)
        it_die("flood: out of memory");
    snprintf(f->endpoint, sizeof f->endpoint, "%s", endpoint);
    if (server_key != NULL) {
        f->key = *server_key;
        f->has_key = true;
    }
    f->kind = kind;
    atomic_init(&f->stop, false);
    atomic_init(&f->sent, 0);
    pthread_mutex_init(&f->lock, NULL);
    if ((f->zctx = zmq_ctx_new()) == NULL)
        it_die("flood: zmq context: %s", zmq_strerror(errno));
    for (int i = 0; i < n_peers; i++) {
        f->fds[i] = -1;
        flood_arg *a = malloc(sizeof *a);
        if (a == NULL)
            it_die("flood: out of memory");
        *a = (flood_arg){f, i};
        if (pthread_create(&f->threads[i], NULL, flood_thread, a) != 0)
            it_die("flood: cannot start a thread");
        f->n++;
    }
    return f;
}

uint64_t it_flood_stop(it_flood **fp)
{
    it_flood *f = *fp;
    if (f == NULL)
        return 0;
    atomic_store(&f->stop, true);
    /* A raw peer may be blocked in write(): shutting its socket down ends
     * the write. */
    pthread_mutex_lock(&f->lock);
    for (int i = 0; i < f->n; i++)
        if (f->fds[i] >= 0)
            shutdown(f->fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&f->lock);
    for (int i = 0; i < f->n; i++)
        pthread_join(f->threads[i], NULL);
    uint64_t sent = atomic_load(&f->sent);
    zmq_ctx_term(f->zctx);
    pthread_mutex_destroy(&f->lock);
    free(f->threads);
    free(f->fds);
    free(f);
    *fp = NULL;
    return sent;
}

double it_rss_mib(pid_t pid, bool peak)
{
    char path[64], line[256];
    const char *field = peak ? "VmHWM:" : "VmRSS:";
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kib = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            kib = strtod(line + strlen(field), NULL);
    fclose(f);
    return kib < 0 ? -1 : kib / 1024.0;
}
