/* clientconf.c — client.conf: where it is, what it says, and how it fills
 * the flags a command was not given. See clientconf.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clientconf.h"
#include "daemon.h"

#define MAX_ENDPOINTS 256
#define NAME_MAX_LEN 64

typedef struct {
    char *name, *connect, *server_key, *log_key, *origin, *key, *passphrase_file;
} endpoint_store;

struct cli_clientconf {
    char path[PATH_MAX];
    char dir[PATH_MAX];
    endpoint_store ep[MAX_ENDPOINTS];
    cli_endpoint view[MAX_ENDPOINTS];
    size_t n;
    char *default_endpoint, *key, *passphrase_file;
    int timeout_ms; /* 0: not set */
};

typedef struct {
    cli_clientconf *cc;
    gs_error *err;
    int failed;
} loader;

static int fail(loader *l, const char *section, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(loader *l, const char *section, const char *name, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (!l->failed)
        gs_error_set(l->err, GS_EINVAL, "[%s] %s: %s", section, name, why);
    l->failed = 1;
    return 0;
}

/* A path as written in the file: absolute, "~/…" under $HOME, or relative to
 * the file's folder (as node.conf and hub.conf paths are). */
static char *resolve_path(const cli_clientconf *cc, const char *value)
{
    const char *home = getenv("HOME");
    if (strncmp(value, "~/", 2) == 0 && home != NULL && home[0] != '\0') {
        size_t n = strlen(home) + strlen(value);
        char *p = malloc(n);
        if (p != NULL)
            snprintf(p, n, "%s/%s", home, value + 2);
        return p;
    }
    return gs_daemon_resolve(cc->dir, value);
}

static bool name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

static bool endpoint_like(const char *s)
{
    return strncmp(s, "ipc://", 6) == 0 || strncmp(s, "tcp://", 6) == 0 ||
           strncmp(s, "inproc://", 9) == 0;
}

/* Replaces *slot with a copy of value (or the resolved path). */
static int set_str(loader *l, const char *section, const char *name, char **slot, const char *value,
                   bool path)
{
    char *v = path ? resolve_path(l->cc, value) : strdup(value);
    if (v == NULL)
        return fail(l, section, name, "out of memory");
    free(*slot);
    *slot = v;
    return 1;
}

static int on_endpoint(loader *l, const char *section, const char *name, const char *value)
{
    cli_clientconf *cc = l->cc;
    const char *ep_name = section + strlen("endpoint ");
    endpoint_store *e = NULL;
    gs_error e2 = {0};
    gs_vkey vk;
    if (!name_valid(ep_name))
        return fail(l, section, name,
                    "an endpoint name is letters, digits, '-', '_' and '.' (at most %d), so "
                    "it cannot be mistaken for an endpoint like tcp://HOST:PORT",
                    NAME_MAX_LEN);
    for (size_t i = 0; i < cc->n && e == NULL; i++)
        if (strcmp(cc->ep[i].name, ep_name) == 0)
            e = &cc->ep[i];
    if (e == NULL) {
        if (cc->n == MAX_ENDPOINTS)
            return fail(l, section, name, "at most %d endpoints", MAX_ENDPOINTS);
        e = &cc->ep[cc->n++];
        if ((e->name = strdup(ep_name)) == NULL)
            return fail(l, section, name, "out of memory");
    }
    if (strcmp(name, "connect") == 0) {
        if (!endpoint_like(value))
            return fail(l, section, name, "expected ipc://PATH or tcp://HOST:PORT, got \"%s\"",
                        value);
        return set_str(l, section, name, &e->connect, value, false);
    }
    if (strcmp(name, "server_key") == 0 || strcmp(name, "log_key") == 0) {
        if (gs_vkey_parse(value, &vk, &e2) != 0)
            return fail(l, section, name, "%s", e2.msg);
        return set_str(l, section, name, name[0] == 's' ? &e->server_key : &e->log_key, value,
                       false);
    }
    if (strcmp(name, "origin") == 0) {
        if (gs_origin_valid(value, &e2) != 0)
            return fail(l, section, name, "%s", e2.msg);
        return set_str(l, section, name, &e->origin, value, false);
    }
    if (strcmp(name, "key") == 0)
        return set_str(l, section, name, &e->key, value, true);
    if (strcmp(name, "passphrase_file") == 0)
        return set_str(l, section, name, &e->passphrase_file, value, true);
    return fail(l, section, name,
                "unknown setting (an endpoint takes connect, server_key, log_key, origin, key, "
                "passphrase_file)");
}

static int on_setting(void *user, const char *section, const char *name, const char *value)
{
    loader *l = user;
    cli_clientconf *cc = l->cc;
    if (l->failed)
        return 0;
    if (strncmp(section, "endpoint ", 9) == 0)
        return on_endpoint(l, section, name, value);
    if (strcmp(section, "defaults") != 0)
        return fail(l, section, name,
                    "unknown section (client.conf has [defaults] and [endpoint NAME] sections)");
    if (strcmp(name, "endpoint") == 0)
        return set_str(l, section, name, &cc->default_endpoint, value, false);
    if (strcmp(name, "key") == 0)
        return set_str(l, section, name, &cc->key, value, true);
    if (strcmp(name, "passphrase_file") == 0)
        return set_str(l, section, name, &cc->passphrase_file, value, true);
    if (strcmp(name, "timeout") == 0) {
        int64_t v;
        if (gs_daemon_parse_int(value, 1, 3600000, &v) != 0)
            return fail(l, section, name, "expected milliseconds between 1 and 3600000, got \"%s\"",
                        value);
        cc->timeout_ms = (int)v;
        return 1;
    }
    return fail(l, section, name,
                "unknown setting ([defaults] takes endpoint, key, passphrase_file, timeout)");
}

/* What can only be checked once the whole file is read. */
static int check_whole(const cli_clientconf *cc, gs_error *err)
{
    for (size_t i = 0; i < cc->n; i++) {
        const endpoint_store *e = &cc->ep[i];
        if (e->connect == NULL)
            return gs_error_set(err, GS_EINVAL, "[endpoint %s] has no connect = EP", e->name);
        if (strncmp(e->connect, "tcp://", 6) == 0 && e->server_key == NULL)
            return gs_error_set(err, GS_EINVAL,
                                "[endpoint %s] connects over tcp:// and needs server_key = VKEY "
                                "(the daemon's verifier key: its CURVE key comes from it)",
                                e->name);
        if (e->passphrase_file != NULL && e->key == NULL)
            return gs_error_set(err, GS_EINVAL, "[endpoint %s] passphrase_file without key = FILE",
                                e->name);
    }
    if (cc->passphrase_file != NULL && cc->key == NULL)
        return gs_error_set(err, GS_EINVAL, "[defaults] passphrase_file without key = FILE");
    if (cc->default_endpoint != NULL && !endpoint_like(cc->default_endpoint) &&
        cli_clientconf_find(cc, cc->default_endpoint) == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "[defaults] endpoint = %s: no [endpoint %s] section, and it is not "
                            "an endpoint like ipc://PATH or tcp://HOST:PORT",
                            cc->default_endpoint, cc->default_endpoint);
    return 0;
}

static void conf_free(cli_clientconf *cc)
{
    if (cc == NULL)
        return;
    for (size_t i = 0; i < cc->n; i++) {
        endpoint_store *e = &cc->ep[i];
        free(e->name);
        free(e->connect);
        free(e->server_key);
        free(e->log_key);
        free(e->origin);
        free(e->key);
        free(e->passphrase_file);
    }
    free(cc->default_endpoint);
    free(cc->key);
    free(cc->passphrase_file);
    free(cc);
}

static int conf_load(const char *path, cli_clientconf **out, gs_error *err)
{
    cli_clientconf *cc = calloc(1, sizeof *cc);
    loader l = {.cc = cc, .err = err};
    int rc;
    *out = NULL;
    if (cc == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (strlen(path) >= sizeof cc->path) {
        rc = gs_error_set(err, GS_EINVAL, "client configuration path %.60s… is too long", path);
        goto out;
    }
    snprintf(cc->path, sizeof cc->path, "%s", path);
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(cc->dir, sizeof cc->dir, ".");
    else if (slash == path)
        snprintf(cc->dir, sizeof cc->dir, "/");
    else
        snprintf(cc->dir, sizeof cc->dir, "%.*s", (int)(slash - path), path);
    if ((rc = gs_daemon_config_parse(path, on_setting, &l, &l.failed, err)) != 0)
        goto out;
    /* The view first: check_whole looks endpoints up through it. */
    for (size_t i = 0; i < cc->n; i++)
        cc->view[i] = (cli_endpoint){.name = cc->ep[i].name,
                                     .connect = cc->ep[i].connect,
                                     .server_key = cc->ep[i].server_key,
                                     .log_key = cc->ep[i].log_key,
                                     .origin = cc->ep[i].origin,
                                     .key = cc->ep[i].key,
                                     .passphrase_file = cc->ep[i].passphrase_file};
    if ((rc = check_whole(cc, err)) != 0) {
        gs_error_wrap(err, "config %s", path);
        goto out;
    }
    *out = cc;
    cc = NULL;
out:
    conf_free(cc);
    return rc;
}

/* The default place, in default (PATH_MAX bytes); false when neither
 * $XDG_CONFIG_HOME nor $HOME says where it is. */
static bool default_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    /* XDG Base Directory: a relative $XDG_CONFIG_HOME is invalid and ignored. */
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, cap, "%s/giamsat/client.conf", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, cap, "%s/.config/giamsat/client.conf", home);
    else
        return false;
    return n > 0 && (size_t)n < cap;
}

int cli_clientconf_get(const char *path, const cli_clientconf **out, gs_error *err)
{
    /* One command per process: the configuration is read once, kept until
     * exit, and its strings borrowed by the flags (clientconf.h). */
    static bool loaded;
    static cli_clientconf *conf;
    static gs_error load_err;
    char where[PATH_MAX];
    struct stat sb;
    if (!loaded) {
        loaded = true;
        const char *env = getenv("GIAMSAT_CLIENT_CONFIG");
        if (path == NULL && env != NULL && env[0] != '\0')
            path = env;
        if (path != NULL) {
            conf_load(path, &conf, &load_err);
        } else if (default_path(where, sizeof where)) {
            if (stat(where, &sb) == 0)
                conf_load(where, &conf, &load_err);
            else if (errno != ENOENT && errno != ENOTDIR)
                gs_error_set(&load_err, GS_EIO, "cannot read config %s: %s", where,
                             strerror(errno));
        }
    }
    *out = conf;
    if (load_err.code != 0) {
        *err = load_err;
        return load_err.code;
    }
    return 0;
}

const cli_endpoint *cli_clientconf_find(const cli_clientconf *cc, const char *value)
{
    if (cc == NULL || value == NULL)
        return NULL;
    for (size_t i = 0; i < cc->n; i++)
        if (strcmp(cc->view[i].name, value) == 0)
            return &cc->view[i];
    for (size_t i = 0; i < cc->n; i++)
        if (strcmp(cc->view[i].connect, value) == 0)
            return &cc->view[i];
    return NULL;
}

const char *cli_clientconf_default_endpoint(const cli_clientconf *cc)
{
    return cc != NULL ? cc->default_endpoint : NULL;
}

const char *cli_clientconf_path(const cli_clientconf *cc)
{
    return cc != NULL ? cc->path : NULL;
}

/* The error for a --connect value that is neither an endpoint nor a name of
 * the file. */
static int unknown_name(const cli_clientconf *cc, const char *what, const char *value,
                        gs_error *err)
{
    char known[512] = "";
    size_t k = 0;
    if (cc == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "%s %s: not an endpoint (ipc://PATH or tcp://HOST:PORT), and there "
                            "is no client configuration to name it (client.conf, "
                            "docs/formats.md)",
                            what, value);
    for (size_t i = 0; i < cc->n && k + 1 < sizeof known; i++) {
        int w = snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", cc->view[i].name);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    if (k >= sizeof known)
        k = sizeof known - 1;
    return gs_error_set(err, GS_EINVAL, "%s %s: no [endpoint %s] in %s (%s%s)", what, value, value,
                        cc->path, cc->n ? "it names: " : "it names no endpoint", known);
}

int cli_clientconf_apply(cli_common *c, gs_error *err)
{
    const cli_clientconf *cc = NULL;
    const char *what = "--connect";
    int rc = cli_clientconf_get(c->client_config, &cc, err);
    if (rc != 0)
        return rc;
    const char *value = c->connect;
    if (value == NULL || value[0] == '\0') {
        value = getenv("GIAMSAT_CONNECT");
        what = "GIAMSAT_CONNECT";
    }
    if (value == NULL || value[0] == '\0') {
        value = cli_clientconf_default_endpoint(cc);
        what = "[defaults] endpoint";
    }
    if (value == NULL || value[0] == '\0')
        value = NULL;
    const cli_endpoint *ep = cli_clientconf_find(cc, value);
    if (value != NULL && ep == NULL && strstr(value, "://") == NULL)
        return unknown_name(cc, what, value, err);
    c->connect = ep != NULL ? ep->connect : value;
    if (ep != NULL) {
        if (c->server_key == NULL)
            c->server_key = ep->server_key;
        if (c->log_key == NULL)
            c->log_key = ep->log_key;
        if (c->origin == NULL)
            c->origin = ep->origin;
        if (c->key_file == NULL && ep->key != NULL) {
            c->key_file = ep->key;
            if (c->passphrase_file == NULL)
                c->passphrase_file = ep->passphrase_file;
        }
    }
    if (cc != NULL && c->key_file == NULL && cc->key != NULL) {
        c->key_file = cc->key;
        if (c->passphrase_file == NULL)
            c->passphrase_file = cc->passphrase_file;
    }
    if (cc != NULL && !c->timeout_given && cc->timeout_ms > 0)
        c->timeout_ms = cc->timeout_ms;
    return 0;
}

int cli_clientconf_monitor_spec(const char *client_config, const char *value, char **out,
                                gs_error *err)
{
    const cli_clientconf *cc = NULL;
    int rc = cli_clientconf_get(client_config, &cc, err);
    *out = NULL;
    if (rc != 0)
        return rc;
    const cli_endpoint *ep = strchr(value, ',') == NULL ? cli_clientconf_find(cc, value) : NULL;
    if (ep == NULL) {
        if (strstr(value, "://") == NULL)
            return unknown_name(cc, "--connect", value, err);
        *out = strdup(value);
    } else if (ep->server_key != NULL) {
        size_t n = strlen(ep->connect) + 1 + strlen(ep->server_key) + 1;
        if ((*out = malloc(n)) != NULL)
            snprintf(*out, n, "%s,%s", ep->connect, ep->server_key);
    } else {
        *out = strdup(ep->connect);
    }
    if (*out == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return 0;
}
