/* daemon.c — see daemon.h. */
#define _POSIX_C_SOURCE 200809L
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ini.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <systemd/sd-daemon.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* The one mutable global of a daemon: set from the signal handler. */
static volatile sig_atomic_t stop_requested;
/* Set by SIGHUP, consumed by gs_daemon_reload_requested. */
static volatile sig_atomic_t reload_requested;

/* Whether stderr is the journal: systemd names the stream it connected as
 * "device:inode" in $JOURNAL_STREAM. Compared with stderr itself, so a
 * child whose stderr was redirected elsewhere keeps its own timestamps. */
static bool stderr_is_journal(void)
{
    const char *stream = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    char end;
    if (stream == NULL || sscanf(stream, "%llu:%llu%c", &dev, &ino, &end) != 2)
        return false;
    struct stat st;
    return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

void gs_daemon_logv(const char *program, gs_daemon_log_level level, const char *fmt, va_list ap)
{
    char text[2048];
    vsnprintf(text, sizeof text, fmt, ap);
    const char *name = (unsigned)level < 4 ? level_names[level] : "error";
    /* The journal stamps every line itself and reads its priority from a
     * syslog prefix: <7> debug, <6> info, <4> warning, <3> error. */
    if (stderr_is_journal()) {
        static const char prio[] = {'7', '6', '4', '3'};
        fprintf(stderr, "<%c>%s %s: %s\n", (unsigned)level < 4 ? prio[level] : '3', name, program,
                text);
        return;
    }
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s %s %s: %s\n", when, name, program, text);
}

static void log_line(const char *program, gs_daemon_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void log_line(const char *program, gs_daemon_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gs_daemon_logv(program, level, fmt, ap);
    va_end(ap);
}

int gs_daemon_parse_log_level(const char *value, gs_daemon_log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(value, level_names[i]) == 0) {
            *out = (gs_daemon_log_level)i;
            return 0;
        }
    return -1;
}

int64_t gs_daemon_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else
        stop_requested = 1;
}

void gs_daemon_catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool gs_daemon_stopping(void)
{
    return stop_requested != 0;
}

void gs_daemon_request_stop(void)
{
    stop_requested = 1;
}

bool gs_daemon_reload_requested(void)
{
    if (reload_requested == 0)
        return false;
    reload_requested = 0;
    return true;
}

void gs_daemon_notify(const char *state)
{
    /* sd_notify does nothing without $NOTIFY_SOCKET; a failure to tell the
     * service manager is not a reason to stop serving. */
    (void)sd_notify(0, state);
}

void gs_daemon_notify_reloading(void)
{
    struct timespec ts;
    char state[64];
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    gs_daemon_notify(state);
}

void gs_daemon_watchdog(int64_t *last_ms)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0)
        return;
    /* Twice per interval, as sd_watchdog_enabled(3) advises: a ping late by
     * one slow turn still arrives in time. */
    int64_t now = gs_daemon_now_ms();
    if (*last_ms != 0 && now - *last_ms < (int64_t)(usec / 2000))
        return;
    *last_ms = now;
    gs_daemon_notify("WATCHDOG=1");
}

int gs_daemon_init(int argc, char **argv, const char *program, const char *usage,
                   const char **config)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *config = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': *config = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': printf("%s %s\n", program, GS_VERSION); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (*config == NULL || optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    gs_error err = {0};
    if (gs_crypto_init(&err) != 0) {
        log_line(program, GS_DAEMON_LOG_ERROR, "%s", err.msg);
        return 2;
    }
    gs_daemon_catch_signals();
    return -1;
}

int gs_daemon_read_key(const char *key_path, const char *passphrase_file, gs_keypair *out,
                       gs_error *err)
{
    char pass[1024];
    const char *passphrase = NULL;
    /* A service started with LoadCredential=passphrase:… finds it here
     * (systemd.exec(5)) unless the configuration names a file itself. */
    char credential[4096];
    const char *credentials = getenv("CREDENTIALS_DIRECTORY");
    if (passphrase_file == NULL && credentials != NULL && credentials[0] == '/' &&
        (size_t)snprintf(credential, sizeof credential, "%s/passphrase", credentials) <
            sizeof credential &&
        access(credential, F_OK) == 0)
        passphrase_file = credential;
    if (passphrase_file != NULL) {
        int rc = gs_passphrase_read_file(passphrase_file, pass, sizeof pass, err);
        if (rc != 0)
            return rc;
        passphrase = pass;
    }
    int rc = gs_keyfile_read(key_path, passphrase, out, err);
    sodium_memzero(pass, sizeof pass);
    return rc;
}

/* The pid a holder wrote in the lock file, or 0 when it has not yet. */
static long lock_holder(int fd)
{
    char text[32] = {0};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return 0;
    char *end;
    errno = 0;
    long pid = strtol(text, &end, 10);
    if (errno != 0 || end == text || pid <= 0)
        return 0;
    return pid;
}

int gs_daemon_lock(const char *database, int *fd_out, gs_error *err)
{
    int rc = GS_EIO;
    char path[4096], dir[4096];
    if (fd_out != NULL)
        *fd_out = -1;
    if ((size_t)snprintf(path, sizeof path, "%s.lock", database) >= sizeof path)
        return gs_error_set(err, GS_EINVAL, "database path %s is too long", database);
    if ((rc = gs_daemon_config_dir(database, dir, sizeof dir, err)) != 0)
        return rc;
    /* flock, not fcntl: an fcntl lock would vanish when SQLite closes any
     * descriptor of this process, and would not conflict within one process. */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
    if (fd < 0)
        return gs_error_set(err, GS_EIO, "cannot open the lock file %s: %s", path,
                            errno == ELOOP ? "it is a symbolic link" : strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gs_error_set(err, GS_EINVAL, "lock file %s is not a regular file", path);
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            rc = gs_error_set(err, GS_EIO, "cannot lock %s: %s", path, strerror(errno));
            goto out;
        }
        long pid = lock_holder(fd);
        char who[48] = "another process";
        if (pid > 0)
            snprintf(who, sizeof who, "pid %ld", pid);
        rc = gs_error_set(err, GS_ECONFLICT,
                          "data folder %s is in use: %s holds %s (a daemon on the same "
                          "database); stop it first, or give this daemon its own folder",
                          dir, who, path);
        goto out;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n) {
        rc = gs_error_set(err, GS_EIO, "cannot write the lock file %s: %s", path, strerror(errno));
        goto out;
    }
    /* Without fd_out the descriptor is kept open on purpose: the lock is the
     * process's until it exits. */
    if (fd_out != NULL)
        *fd_out = fd;
    fd = -1;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

int gs_daemon_lock_holder(const char *database, long *pid, gs_error *err)
{
    char path[4096];
    *pid = 0;
    if ((size_t)snprintf(path, sizeof path, "%s.lock", database) >= sizeof path)
        return gs_error_set(err, GS_EINVAL, "database path %s is too long", database);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* no daemon ever ran on this folder */
        return gs_error_set(err, GS_EIO, "cannot open the lock file %s: %s", path, strerror(errno));
    }
    int rc = 0;
    /* A shared lock we can take means nobody holds the exclusive one: the
     * pid in the file is then a daemon that stopped. */
    if (flock(fd, LOCK_SH | LOCK_NB) == 0)
        flock(fd, LOCK_UN);
    else if (errno != EWOULDBLOCK)
        rc = gs_error_set(err, GS_EIO, "cannot test the lock %s: %s", path, strerror(errno));
    else if ((*pid = lock_holder(fd)) == 0)
        rc = gs_error_set(err, GS_EUNAVAIL,
                          "%s is held but names no pid yet (a daemon starting?); try again", path);
    close(fd);
    return rc;
}

void gs_daemon_unlock(int *fd)
{
    if (*fd < 0)
        return;
    close(*fd); /* closing the only descriptor drops the flock */
    *fd = -1;
}

int gs_daemon_open_log(gs_store **store, gs_log **log, const char *database, const char *origin,
                       const char *kind, gs_error *err)
{
    int rc = gs_store_open(store, database, err);
    if (rc != 0)
        return rc;
    /* A database on a server is not covered by the lock file: claim it. */
    if ((rc = gs_store_claim(*store, err)) != 0)
        return rc;
    if ((rc = gs_log_open(log, *store, origin, false, err)) != 0)
        return gs_error_wrap(err, "database %s (made by `giamsat %s init`?)", database, kind);
    /* Every rule follows from the Charter: without one there is no log. */
    if (gs_log_committed_size(*log) == 0)
        return gs_error_set(err, GS_EINVAL, "database %s holds no Charter for %s", database,
                            origin);
    return 0;
}

/* ---------------------------------------------------------- configuration */

int gs_daemon_config_dir(const char *path, char *dir, size_t cap, gs_error *err)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        if (getcwd(dir, cap) == NULL)
            return gs_error_set(err, GS_EIO, "cannot read the working directory");
        return 0;
    }
    size_t n = (size_t)(slash - path);
    if (n >= cap)
        return gs_error_set(err, GS_EINVAL, "config path too long");
    memcpy(dir, path, n);
    dir[n] = '\0';
    if (n == 0 && cap >= 2)
        strcpy(dir, "/");
    return 0;
}

char *gs_daemon_resolve(const char *dir, const char *value)
{
    if (value[0] == '/')
        return strdup(value);
    size_t n = strlen(dir) + 1 + strlen(value) + 1;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", dir, value);
    return p;
}

int gs_daemon_parse_int(const char *value, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int gs_daemon_parse_bool(const char *value, bool *out)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
        *out = true;
    else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* A writer is a base64 Ed25519 key or a verifier key string. */
static int parse_key(const char *value, gs_pubkey *out)
{
    gs_vkey vk;
    if (strchr(value, '+') != NULL && gs_vkey_parse(value, &vk, NULL) == 0) {
        *out = vk.key;
        return 0;
    }
    size_t n = 0;
    if (gs_base64_decode(out->b, sizeof out->b, &n, value, strlen(value), NULL) != 0 || n != 32)
        return -1;
    return 0;
}

int gs_daemon_add_writer(gs_pubkey **writers, size_t *n_writers, const char *value, gs_error *err)
{
    gs_pubkey k;
    if (parse_key(value, &k) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "expected a base64 Ed25519 public key or a verifier key");
    gs_pubkey *w = realloc(*writers, (*n_writers + 1) * sizeof *w);
    if (w == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    *writers = w;
    w[(*n_writers)++] = k;
    return 0;
}

int gs_daemon_config_parse(const char *path,
                           int (*handler)(void *user, const char *section, const char *name,
                                          const char *value),
                           void *user, const int *failed, gs_error *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return gs_error_set(err, GS_EIO, "cannot read config %s: %s", path, strerror(errno));
    int r = ini_parse_file(f, handler, user);
    fclose(f);
    if (*failed)
        return gs_error_wrap(err, "config %s", path);
    if (r != 0)
        return gs_error_set(err, GS_EINVAL, "config %s: line %d is not an INI setting", path, r);
    return 0;
}
