/* config.c — see config.h. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "http.h"
#include "store.h"
#include "wire.h"

typedef struct {
    gs_hub_config *c;
    char dir[PATH_MAX];
    gs_error *err;
    int failed;
    bool has_key[GS_HUB_MAX_LOGS][GS_HUB_MAX_SOURCES];
    bool sub_has_key[GS_HUB_MAX_LOGS];
} loader;

static int fail(loader *l, const char *section, const char *name, const char *why)
{
    if (!l->failed)
        gs_error_set(l->err, GS_EINVAL, "[%s] %s: %s", section, name, why);
    l->failed = 1;
    return 0;
}

/* A path relative to the config file's folder, made absolute. */
static char *resolve(const loader *l, const char *value)
{
    return gs_daemon_resolve(l->dir, value);
}

static bool endpoint_ok(const char *ep)
{
    return (strncmp(ep, "tcp://", 6) == 0 || strncmp(ep, "ipc://", 6) == 0) && ep[6] != '\0';
}

int gs_hub_parse_source(const char *value, char **endpoint, gs_vkey *key, bool *has_key,
                        gs_error *err)
{
    *endpoint = NULL;
    *has_key = false;
    const char *comma = strchr(value, ',');
    size_t n = comma != NULL ? (size_t)(comma - value) : strlen(value);
    char *ep = strndup(value, n);
    if (ep == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (!endpoint_ok(ep)) {
        gs_error_set(err, GS_EINVAL, "\"%s\" is not a tcp:// or ipc:// endpoint", ep);
        free(ep);
        return GS_EINVAL;
    }
    if (comma != NULL) {
        if (gs_vkey_parse(comma + 1, key, err) != 0) {
            free(ep);
            return gs_error_wrap(err, "the key after the endpoint");
        }
        *has_key = true;
    }
    *endpoint = ep;
    return 0;
}

/* Links in feeds start with it: a scheme and a host, nothing XML or a URL
 * would need to escape. */
static bool public_url_ok(const char *s)
{
    const char *h = strncmp(s, "https://", 8) == 0  ? s + 8
                    : strncmp(s, "http://", 7) == 0 ? s + 7
                                                    : NULL;
    if (h == NULL || *h == '\0' || strlen(s) > 256)
        return false;
    for (; *h; h++)
        if (!isalnum((unsigned char)*h) && strchr(".-:[]", *h) == NULL)
            return false;
    return true;
}

static int hub_setting(loader *l, const char *section, const char *name, const char *value)
{
    gs_hub_config *c = l->c;
    int64_t v;
    if (strcmp(name, "name") == 0) {
        if (gs_unit_valid(value) != 0)
            return fail(l, section, name, "expected 1 to 64 of a-z, 0-9 and '-'");
        free(c->name);
        c->name = strdup(value);
    } else if (strcmp(name, "key") == 0) {
        free(c->key_path);
        c->key_path = resolve(l, value);
    } else if (strcmp(name, "passphrase_file") == 0) {
        free(c->passphrase_file);
        c->passphrase_file = resolve(l, value);
    } else if (strcmp(name, "database") == 0) {
        free(c->database);
        /* A PostgreSQL URI names a server, not a path. */
        c->database = gs_store_is_pg(value) ? strdup(value) : resolve(l, value);
    } else if (strcmp(name, "listen") == 0 || strcmp(name, "publish") == 0) {
        bool listen = name[0] == 'l';
        size_t *n = listen ? &c->n_listen : &c->n_publish;
        char **eps = listen ? c->listen : c->publish;
        if (*n == GS_NET_MAX_ENDPOINTS)
            return fail(l, section, name, "too many endpoints (at most 16)");
        if (!endpoint_ok(value))
            return fail(l, section, name, "expected a tcp:// or ipc:// endpoint");
        eps[(*n)++] = strdup(value);
    } else if (strcmp(name, "poll_interval_ms") == 0) {
        if (gs_daemon_parse_int(value, 10, 86400000, &v) != 0)
            return fail(l, section, name, "expected milliseconds from 10 to 86400000");
        c->poll_interval_ms = v;
    } else if (strcmp(name, "silent_poll_interval_ms") == 0) {
        if (gs_daemon_parse_int(value, 10, 86400000, &v) != 0)
            return fail(l, section, name, "expected milliseconds from 10 to 86400000");
        c->silent_poll_interval_ms = v;
    } else if (strcmp(name, "batch_size") == 0) {
        if (gs_daemon_parse_int(value, 1, GS_MAX_ENTRIES, &v) != 0)
            return fail(l, section, name, "expected a count from 1 to 1000");
        c->batch_size = (uint32_t)v;
    } else if (strcmp(name, "max_growth") == 0) {
        if (gs_daemon_parse_int(value, 0, INT64_MAX, &v) != 0)
            return fail(l, section, name,
                        "expected a count of entries (0: no limit), e.g. 1000000");
        c->max_growth = (uint64_t)v;
    } else if (strcmp(name, "max_memory_mib") == 0) {
        if (gs_daemon_parse_int(value, 0, 1 << 20, &v) != 0)
            return fail(l, section, name, "expected MiB from 0 (never shed) to 1048576");
        c->max_memory_mib = (size_t)v;
    } else if (strcmp(name, "unavailable_after_s") == 0) {
        if (gs_daemon_parse_int(value, 1, 86400 * 365, &v) != 0)
            return fail(l, section, name, "expected seconds from 1 to 31536000");
        c->unavailable_after_s = v;
    } else if (strcmp(name, "checkpoint_interval_ms") == 0) {
        if (gs_daemon_parse_int(value, 1, 86400000, &v) != 0)
            return fail(l, section, name, "expected milliseconds from 1 to 86400000");
        c->checkpoint_interval_ms = v;
    } else if (strcmp(name, "max_message") == 0) {
        if (gs_daemon_parse_int(value, 65536 + 4096, 256 * 1024 * 1024, &v) != 0)
            return fail(l, section, name, "expected bytes from 69632 to 268435456");
        c->max_message = (size_t)v;
    } else if (strcmp(name, "verify_threads") == 0) {
        if (gs_daemon_parse_int(value, 0, 64, &v) != 0)
            return fail(l, section, name, "expected a count from 0 to 64");
        c->verify_threads = (unsigned)v;
    } else if (strcmp(name, "web_refresh") == 0) {
        if (gs_daemon_parse_int(value, 1, 86400, &v) != 0)
            return fail(l, section, name, "expected seconds from 1 to 86400");
        c->web_refresh_s = v;
    } else if (strcmp(name, "public_url") == 0) {
        if (!public_url_ok(value))
            return fail(l, section, name,
                        "expected http://HOST[:PORT] or https://HOST[:PORT] with no path, e.g. "
                        "https://giamsat.example.vn");
        free(c->public_url);
        c->public_url = strdup(value);
    } else if (strcmp(name, "feedback_per_day") == 0) {
        /* DESIGN §2.8: validity comes from the log alone. */
        return fail(l, section, name,
                    "no longer read: every log declares its own rule parameters (in its Charter "
                    "and its parameter changes) and the hub judges each log by them. Delete the "
                    "line; a node's operator changes its limit with: giamsat parameters "
                    "--feedback-per-day N --key NODE_DIR/node.key --connect NODE_ENDPOINT");
    } else if (strcmp(name, "log_level") == 0) {
        gs_daemon_log_level level;
        if (gs_daemon_parse_log_level(value, &level) != 0)
            return fail(l, section, name, "expected debug, info, warn or error");
        c->log_level = (gs_hub_log_level)level;
    } else if (strcmp(name, "http") == 0) {
        gs_error e;
        if (gs_http_listen_check(value, &e) != 0)
            return fail(l, section, name, e.msg);
        free(c->http);
        c->http = strdup(value);
    } else {
        return fail(l, section, name, "unknown setting");
    }
    return 1;
}

static gs_hub_followed *find_log(gs_hub_config *c, const char *origin)
{
    for (size_t i = 0; i < c->n_logs; i++)
        if (strcmp(c->logs[i].origin, origin) == 0)
            return &c->logs[i];
    return NULL;
}

static int log_setting(loader *l, const char *section, const char *origin, const char *name,
                       const char *value)
{
    gs_hub_config *c = l->c;
    gs_error e;
    gs_hub_followed *f = find_log(c, origin);
    if (f == NULL) {
        if (gs_origin_valid(origin, &e) != 0)
            return fail(l, section, "origin", e.msg);
        if (c->n_logs == GS_HUB_MAX_LOGS)
            return fail(l, section, name, "too many followed logs (at most 4096)");
        gs_hub_followed *logs = realloc(c->logs, (c->n_logs + 1) * sizeof *logs);
        if (logs == NULL)
            return fail(l, section, name, "out of memory");
        c->logs = logs;
        f = &c->logs[c->n_logs++];
        memset(f, 0, sizeof *f);
        f->origin = strdup(origin);
    }
    size_t li = (size_t)(f - c->logs);
    if (strcmp(name, "log_key") == 0) {
        if (gs_vkey_parse(value, &f->log_key, &e) != 0)
            return fail(l, section, name, e.msg);
        if (f->log_key.alg != GS_VKEY_ALG_ED25519)
            return fail(l, section, name, "expected the log's key (algorithm 0x01)");
        if (strcmp(f->log_key.name, origin) != 0)
            return fail(l, section, name, "the key's name must be the log's origin");
    } else if (strcmp(name, "source") == 0) {
        if (f->n_sources == GS_HUB_MAX_SOURCES)
            return fail(l, section, name, "too many sources (at most 16)");
        gs_hub_source *grown = realloc(f->sources, (f->n_sources + 1) * sizeof *grown);
        if (grown == NULL)
            return fail(l, section, name, "out of memory");
        f->sources = grown;
        gs_hub_source *s = &f->sources[f->n_sources];
        memset(s, 0, sizeof *s);
        bool has_key = false;
        if (gs_hub_parse_source(value, &s->endpoint, &s->key, &has_key, &e) != 0)
            return fail(l, section, name, e.msg);
        l->has_key[li][f->n_sources] = has_key;
        f->n_sources++;
    } else if (strcmp(name, "subscribe") == 0) {
        if (f->subscribe.endpoint != NULL)
            return fail(l, section, name, "at most one subscribe per log");
        if (gs_hub_parse_source(value, &f->subscribe.endpoint, &f->subscribe.key,
                                &l->sub_has_key[li], &e) != 0)
            return fail(l, section, name, e.msg);
    } else {
        return fail(l, section, name, "unknown setting (expected log_key, source or subscribe)");
    }
    return 1;
}

static int on_setting(void *user, const char *section, const char *name, const char *value)
{
    loader *l = user;
    gs_hub_config *c = l->c;
    if (l->failed)
        return 0;
    if (strcmp(section, "hub") == 0)
        return hub_setting(l, section, name, value);
    if (strncmp(section, "log ", 4) == 0)
        return log_setting(l, section, section + 4, name, value);
    if (strcmp(section, "access") == 0) {
        if (strcmp(name, "public_read") == 0) {
            if (gs_daemon_parse_bool(value, &c->public_read) != 0)
                return fail(l, section, name, "expected true or false");
        } else if (strcmp(name, "writer") == 0) {
            gs_error e;
            if (gs_daemon_add_writer(&c->writers, &c->n_writers, value, &e) != 0)
                return fail(l, section, name, e.msg);
        } else {
            return fail(l, section, name, "unknown setting");
        }
        return 1;
    }
    if (strcmp(section, "witness") == 0) {
        if (strcmp(name, "witness") != 0)
            return fail(l, section, name, "unknown setting (expected witness)");
        if (c->n_witnesses == GS_HUB_MAX_WITNESSES)
            return fail(l, section, name, "too many witnesses (at most 32)");
        gs_hub_witness *w = &c->witnesses[c->n_witnesses];
        bool has_key = false;
        gs_error e;
        if (gs_hub_parse_source(value, &w->endpoint, &w->key, &has_key, &e) != 0)
            return fail(l, section, name, e.msg);
        c->n_witnesses++;
        if (!has_key)
            return fail(l, section, name, "expected <endpoint>,<witness verifier key>");
        return 1;
    }
    return fail(l, section, name,
                "unknown section (expected [hub], [access], [witness] or [log <origin>])");
}

int gs_hub_config_load(const char *path, gs_hub_config *out, gs_error *err)
{
    memset(out, 0, sizeof *out);
    out->poll_interval_ms = 1000;
    out->silent_poll_interval_ms = 60000;
    out->batch_size = 1000;
    out->max_growth = GS_HUB_MAX_GROWTH;
    out->max_memory_mib = GS_HUB_MAX_MEMORY_MIB;
    out->unavailable_after_s = 300;
    out->checkpoint_interval_ms = 1000;
    out->max_message = GS_MAX_MESSAGE;
    out->verify_threads = 1;
    out->log_level = GS_HUB_LOG_INFO;
    out->public_read = true;
    out->web_refresh_s = 10;

    loader *l = calloc(1, sizeof *l);
    if (l == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    l->c = out;
    l->err = err;
    int rc = gs_daemon_config_dir(path, l->dir, sizeof l->dir, err);
    if (rc != 0)
        goto out;
    if ((rc = gs_daemon_config_parse(path, on_setting, l, &l->failed, err)) != 0)
        goto out;
    const char *missing = out->name == NULL       ? "[hub] name"
                          : out->key_path == NULL ? "[hub] key"
                          : out->database == NULL ? "[hub] database"
                          : out->n_listen == 0    ? "[hub] listen"
                                                  : NULL;
    if (missing != NULL) {
        rc = gs_error_set(err, GS_EINVAL, "config %s: %s is missing", path, missing);
        goto out;
    }
    for (size_t i = 0; i < out->n_logs; i++) {
        gs_hub_followed *fl = &out->logs[i];
        if (fl->log_key.name[0] == '\0') {
            rc = gs_error_set(err, GS_EINVAL, "config %s: [log %s] log_key is missing", path,
                              fl->origin);
            goto out;
        }
        if (fl->n_sources == 0) {
            rc = gs_error_set(err, GS_EINVAL, "config %s: [log %s] needs at least one source", path,
                              fl->origin);
            goto out;
        }
        /* A source without a key is the log's node itself: its daemon key
         * is the log key. */
        for (size_t k = 0; k < fl->n_sources; k++)
            if (!l->has_key[i][k])
                fl->sources[k].key = fl->log_key;
        if (fl->subscribe.endpoint != NULL && !l->sub_has_key[i])
            fl->subscribe.key = fl->log_key;
    }
    out->files = gs_store_is_pg(out->database) ? resolve(l, "hub-pg") : strdup(out->database);
    if (out->files == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    size_t n = strlen("giamsat/hub/") + strlen(out->name) + 1;
    out->origin = malloc(n);
    if (out->origin == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(out->origin, n, "giamsat/hub/%s", out->name);
    for (size_t i = 0; i < out->n_logs; i++)
        if (strcmp(out->logs[i].origin, out->origin) == 0) {
            rc = gs_error_set(err, GS_EINVAL, "config %s: a hub does not follow its own log %s",
                              path, out->origin);
            goto out;
        }
    rc = 0;
out:
    free(l);
    if (rc != 0)
        gs_hub_config_clear(out);
    return rc;
}

void gs_hub_config_clear(gs_hub_config *c)
{
    free(c->name);
    free(c->origin);
    free(c->key_path);
    free(c->passphrase_file);
    free(c->http);
    free(c->database);
    free(c->files);
    free(c->public_url);
    for (size_t i = 0; i < c->n_listen; i++)
        free(c->listen[i]);
    for (size_t i = 0; i < c->n_publish; i++)
        free(c->publish[i]);
    free(c->writers);
    for (size_t i = 0; i < c->n_logs; i++) {
        free(c->logs[i].origin);
        for (size_t k = 0; k < c->logs[i].n_sources; k++)
            free(c->logs[i].sources[k].endpoint);
        free(c->logs[i].sources);
        free(c->logs[i].subscribe.endpoint);
    }
    free(c->logs);
    for (size_t i = 0; i < c->n_witnesses; i++)
        free(c->witnesses[i].endpoint);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------ reload */

static void sayf(void (*say)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sayf(void (*say)(void *, const char *), void *ctx, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say(ctx, line);
}

static bool str_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static bool same_vkey(const gs_vkey *a, const gs_vkey *b)
{
    return a->alg == b->alg && strcmp(a->name, b->name) == 0 &&
           memcmp(a->key.b, b->key.b, sizeof a->key.b) == 0;
}

static bool same_strings(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

const gs_hub_followed *gs_hub_config_log(const gs_hub_config *c, const char *origin)
{
    for (size_t i = 0; i < c->n_logs; i++)
        if (strcmp(c->logs[i].origin, origin) == 0)
            return &c->logs[i];
    return NULL;
}

bool gs_hub_followed_same(const gs_hub_followed *a, const gs_hub_followed *b)
{
    if (strcmp(a->origin, b->origin) != 0 || !same_vkey(&a->log_key, &b->log_key) ||
        a->n_sources != b->n_sources)
        return false;
    for (size_t i = 0; i < a->n_sources; i++)
        if (strcmp(a->sources[i].endpoint, b->sources[i].endpoint) != 0 ||
            !same_vkey(&a->sources[i].key, &b->sources[i].key))
            return false;
    if ((a->subscribe.endpoint == NULL) != (b->subscribe.endpoint == NULL))
        return false;
    return a->subscribe.endpoint == NULL ||
           (strcmp(a->subscribe.endpoint, b->subscribe.endpoint) == 0 &&
            same_vkey(&a->subscribe.key, &b->subscribe.key));
}

/* Whether witness i of a is in b (same endpoint, same key). */
static bool has_witness(const gs_hub_config *b, const gs_hub_witness *w)
{
    for (size_t j = 0; j < b->n_witnesses; j++)
        if (strcmp(b->witnesses[j].endpoint, w->endpoint) == 0 &&
            same_vkey(&b->witnesses[j].key, &w->key))
            return true;
    return false;
}

static unsigned diff_witnesses(const gs_hub_config *r, const gs_hub_config *n,
                               void (*say)(void *, const char *), void *ctx)
{
    unsigned changed = 0;
    for (size_t i = 0; i < r->n_witnesses; i++)
        if (!has_witness(n, &r->witnesses[i])) {
            sayf(say, ctx, "witness %s at %s removed", r->witnesses[i].key.name,
                 r->witnesses[i].endpoint);
            changed |= GS_HUB_CHANGED_WITNESSES;
        }
    for (size_t i = 0; i < n->n_witnesses; i++)
        if (!has_witness(r, &n->witnesses[i])) {
            sayf(say, ctx, "witness %s at %s added", n->witnesses[i].key.name,
                 n->witnesses[i].endpoint);
            changed |= GS_HUB_CHANGED_WITNESSES;
        }
    return changed;
}

static const char *level_name(gs_hub_log_level l)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    return (unsigned)l < 4 ? names[l] : "?";
}

/* The [log] sections: added, removed, other sources, a log key refused. */
static unsigned diff_logs(const gs_hub_config *r, const gs_hub_config *n,
                          void (*say)(void *, const char *), void *ctx)
{
    unsigned changed = 0;
    for (size_t i = 0; i < r->n_logs; i++)
        if (gs_hub_config_log(n, r->logs[i].origin) == NULL) {
            sayf(say, ctx,
                 "%s no longer followed: not synced, cosigned nor served (its replica stays in "
                 "the database)",
                 r->logs[i].origin);
            changed |= GS_HUB_CHANGED_LOGS;
        }
    for (size_t i = 0; i < n->n_logs; i++) {
        const gs_hub_followed *b = &n->logs[i];
        const gs_hub_followed *a = gs_hub_config_log(r, b->origin);
        if (a == NULL) {
            sayf(say, ctx, "following %s (%zu source%s)", b->origin, b->n_sources,
                 b->n_sources == 1 ? "" : "s");
            changed |= GS_HUB_CHANGED_LOGS;
            continue;
        }
        if (!same_vkey(&a->log_key, &b->log_key)) {
            sayf(say, ctx,
                 "[log %s] log_key changed: refused, the hub keeps the key it was given (the "
                 "anchor: a rotation of this log's key is followed from the log itself, no new "
                 "key is needed)",
                 b->origin);
            changed |= GS_HUB_CHANGED_REFUSED;
        }
        /* Compared as gs_hub_config_keep will adopt it: with the key it
         * runs with, also on its sources without a key of their own. */
        gs_hub_followed same_key = *b;
        gs_hub_source same_sources[GS_HUB_MAX_SOURCES];
        if (b->n_sources > 0)
            memcpy(same_sources, b->sources, b->n_sources * sizeof *same_sources);
        same_key.sources = same_sources; /* changed below, b is not */
        for (size_t s = 0; s < same_key.n_sources; s++)
            if (same_vkey(&same_key.sources[s].key, &b->log_key))
                same_key.sources[s].key = a->log_key;
        if (same_key.subscribe.endpoint != NULL && same_vkey(&same_key.subscribe.key, &b->log_key))
            same_key.subscribe.key = a->log_key;
        same_key.log_key = a->log_key;
        if (!gs_hub_followed_same(a, &same_key)) {
            sayf(say, ctx, "%s: sources changed (%zu -> %zu source%s)", b->origin, a->n_sources,
                 b->n_sources, b->n_sources == 1 ? "" : "s");
            changed |= GS_HUB_CHANGED_LOGS;
        }
    }
    return changed;
}

#define LIVE_INT(field, setting)                                                                   \
    do {                                                                                           \
        if (r->field != n->field) {                                                                \
            sayf(say, ctx, "[hub] %s %lld -> %lld", setting, (long long)r->field,                  \
                 (long long)n->field);                                                             \
            changed |= GS_HUB_CHANGED_LIVE;                                                        \
        }                                                                                          \
    } while (0)

unsigned gs_hub_config_diff(const gs_hub_config *r, const gs_hub_config *n,
                            void (*say)(void *ctx, const char *line), void *ctx)
{
    unsigned changed = diff_logs(r, n, say, ctx) | diff_witnesses(r, n, say, ctx);
    if (r->public_read != n->public_read) {
        sayf(say, ctx, "[access] public_read %s -> %s (for connections made from now on)",
             r->public_read ? "true" : "false", n->public_read ? "true" : "false");
        changed |= GS_HUB_CHANGED_ACCESS;
    }
    if (r->n_writers != n->n_writers ||
        (r->n_writers > 0 && memcmp(r->writers, n->writers, r->n_writers * sizeof *r->writers))) {
        sayf(say, ctx, "[access] writers: %zu -> %zu keys (for connections made from now on)",
             r->n_writers, n->n_writers);
        changed |= GS_HUB_CHANGED_ACCESS;
    }
    if (r->log_level != n->log_level) {
        sayf(say, ctx, "[hub] log_level %s -> %s", level_name(r->log_level),
             level_name(n->log_level));
        changed |= GS_HUB_CHANGED_LIVE;
    }
    LIVE_INT(poll_interval_ms, "poll_interval_ms");
    LIVE_INT(silent_poll_interval_ms, "silent_poll_interval_ms");
    LIVE_INT(batch_size, "batch_size");
    LIVE_INT(max_growth, "max_growth");
    LIVE_INT(max_memory_mib, "max_memory_mib");
    LIVE_INT(unavailable_after_s, "unavailable_after_s");
    LIVE_INT(checkpoint_interval_ms, "checkpoint_interval_ms");
    LIVE_INT(web_refresh_s, "web_refresh");
    if (str_differ(r->public_url, n->public_url)) {
        sayf(say, ctx, "[hub] public_url %s -> %s", r->public_url ? r->public_url : "(none)",
             n->public_url ? n->public_url : "(none)");
        changed |= GS_HUB_CHANGED_LIVE;
    }
    /* Read at start only: the identity, the store, the sockets, the pool. */
    const char *restart[10];
    size_t k = 0;
    if (str_differ(r->name, n->name))
        restart[k++] = "[hub] name";
    if (str_differ(r->key_path, n->key_path))
        restart[k++] = "[hub] key";
    if (str_differ(r->passphrase_file, n->passphrase_file))
        restart[k++] = "[hub] passphrase_file";
    if (str_differ(r->database, n->database))
        restart[k++] = "[hub] database";
    if (!same_strings(r->listen, r->n_listen, n->listen, n->n_listen))
        restart[k++] = "[hub] listen";
    if (!same_strings(r->publish, r->n_publish, n->publish, n->n_publish))
        restart[k++] = "[hub] publish";
    if (str_differ(r->http, n->http))
        restart[k++] = "[hub] http";
    if (r->max_message != n->max_message)
        restart[k++] = "[hub] max_message";
    if (r->verify_threads != n->verify_threads)
        restart[k++] = "[hub] verify_threads";
    for (size_t i = 0; i < k; i++)
        sayf(say, ctx, "%s changed; it takes effect at the next restart", restart[i]);
    if (k > 0)
        changed |= GS_HUB_CHANGED_RESTART;
    return changed;
}

#define SWAP(a, b)                                                                                 \
    do {                                                                                           \
        __typeof__(a) tmp_ = (a);                                                                  \
        (a) = (b);                                                                                 \
        (b) = tmp_;                                                                                \
    } while (0)

void gs_hub_config_keep(gs_hub_config *r, gs_hub_config *n, bool keep_witnesses)
{
    SWAP(r->name, n->name);
    SWAP(r->origin, n->origin);
    SWAP(r->key_path, n->key_path);
    SWAP(r->passphrase_file, n->passphrase_file);
    SWAP(r->database, n->database);
    SWAP(r->http, n->http);
    for (size_t i = 0; i < GS_NET_MAX_ENDPOINTS; i++) {
        SWAP(r->listen[i], n->listen[i]);
        SWAP(r->publish[i], n->publish[i]);
    }
    SWAP(r->n_listen, n->n_listen);
    SWAP(r->n_publish, n->n_publish);
    SWAP(r->max_message, n->max_message);
    SWAP(r->verify_threads, n->verify_threads);
    if (keep_witnesses) {
        for (size_t i = 0; i < GS_HUB_MAX_WITNESSES; i++)
            SWAP(r->witnesses[i], n->witnesses[i]);
        SWAP(r->n_witnesses, n->n_witnesses);
    }
    for (size_t i = 0; i < n->n_logs; i++) {
        const gs_hub_followed *a = gs_hub_config_log(r, n->logs[i].origin);
        if (a != NULL) {
            /* Sources without a key of their own use the log key. */
            for (size_t s = 0; s < n->logs[i].n_sources; s++)
                if (same_vkey(&n->logs[i].sources[s].key, &n->logs[i].log_key))
                    n->logs[i].sources[s].key = a->log_key;
            if (n->logs[i].subscribe.endpoint != NULL &&
                same_vkey(&n->logs[i].subscribe.key, &n->logs[i].log_key))
                n->logs[i].subscribe.key = a->log_key;
            n->logs[i].log_key = a->log_key;
        }
    }
}
