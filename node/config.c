/* config.c — see config.h. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "daemon.h"
#include "http.h"
#include "rules.h"

typedef struct {
    gs_node_config *c;
    char dir[PATH_MAX];
    gs_error *err;
    int failed;
    const char *moved; /* a rule parameter set here, which lives in the log now */
    char moved_value[16];
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

static int on_setting(void *user, const char *section, const char *name, const char *value)
{
    loader *l = user;
    gs_node_config *c = l->c;
    int64_t v;
    if (l->failed)
        return 0;
    if (strcmp(section, "node") == 0) {
        if (strcmp(name, "origin") == 0) {
            gs_error e;
            if (gs_origin_valid(value, &e) != 0)
                return fail(l, section, name, e.msg);
            free(c->origin);
            c->origin = strdup(value);
        } else if (strcmp(name, "key") == 0) {
            free(c->key_path);
            c->key_path = resolve(l, value);
        } else if (strcmp(name, "passphrase_file") == 0) {
            free(c->passphrase_file);
            c->passphrase_file = resolve(l, value);
        } else if (strcmp(name, "signing_key") == 0) {
            if (c->n_signing_keys == GS_NODE_MAX_SIGNING_KEYS)
                return fail(l, section, name, "too many signing keys");
            const char *comma = strchr(value, ',');
            if (value[0] == '\0' || comma == value || (comma != NULL && comma[1] == '\0'))
                return fail(l, section, name,
                            "expected FILE or FILE,PASSPHRASE_FILE, e.g. log-2027.key");
            char *file = comma != NULL ? strndup(value, (size_t)(comma - value)) : strdup(value);
            if (file == NULL)
                return fail(l, section, name, "out of memory");
            size_t i = c->n_signing_keys;
            c->signing_keys[i] = resolve(l, file);
            c->signing_passphrases[i] = comma != NULL ? resolve(l, comma + 1) : NULL;
            free(file);
            c->n_signing_keys++;
            if (c->signing_keys[i] == NULL || (comma != NULL && c->signing_passphrases[i] == NULL))
                return fail(l, section, name, "out of memory");
        } else if (strcmp(name, "database") == 0) {
            free(c->database);
            c->database = resolve(l, value);
        } else if (strcmp(name, "listen") == 0) {
            if (c->n_listen == GS_NET_MAX_ENDPOINTS)
                return fail(l, section, name, "too many listen endpoints");
            if (strncmp(value, "tcp://", 6) != 0 && strncmp(value, "ipc://", 6) != 0)
                return fail(l, section, name, "expected a tcp:// or ipc:// endpoint");
            c->listen[c->n_listen++] = strdup(value);
        } else if (strcmp(name, "publish") == 0) {
            if (c->n_publish == GS_NET_MAX_ENDPOINTS)
                return fail(l, section, name, "too many publish endpoints");
            if (strncmp(value, "tcp://", 6) != 0 && strncmp(value, "ipc://", 6) != 0)
                return fail(l, section, name, "expected a tcp:// or ipc:// endpoint");
            c->publish[c->n_publish++] = strdup(value);
        } else if (strcmp(name, "checkpoint_interval_ms") == 0) {
            if (gs_daemon_parse_int(value, 1, 86400000, &v) != 0)
                return fail(l, section, name, "expected milliseconds from 1 to 86400000");
            c->checkpoint_interval_ms = v;
        } else if (strcmp(name, "checkpoint_mode") == 0) {
            if (strcmp(value, "adaptive") == 0)
                c->checkpoint_mode = GS_NODE_CHECKPOINT_ADAPTIVE;
            else if (strcmp(value, "fixed") == 0)
                c->checkpoint_mode = GS_NODE_CHECKPOINT_FIXED;
            else
                return fail(l, section, name, "expected adaptive or fixed");
        } else if (strcmp(name, "checkpoint_min_interval_ms") == 0) {
            if (gs_daemon_parse_int(value, 0, 86400000, &v) != 0)
                return fail(l, section, name, "expected milliseconds from 0 to 86400000");
            c->checkpoint_min_interval_ms = v;
        } else if (strcmp(name, "max_message") == 0) {
            if (gs_daemon_parse_int(value, 4096, 256 * 1024 * 1024, &v) != 0)
                return fail(l, section, name, "expected bytes from 4096 to 268435456");
            c->max_message = (size_t)v;
        } else if (strcmp(name, "max_clock_skew") == 0) {
            if (gs_daemon_parse_int(value, 0, 86400 * 365, &v) != 0)
                return fail(l, section, name, "expected seconds (0 disables the check)");
            c->max_clock_skew = v;
        } else if (strcmp(name, "feedback_per_day") == 0) {
            /* Refused after the whole file is read, so that the message can
             * spell the command with this node's key and endpoint. */
            l->moved = "feedback_per_day";
            snprintf(l->moved_value, sizeof l->moved_value, "%s",
                     gs_daemon_parse_int(value, 1, GS_RULES_FEEDBACK_MAX, &v) == 0 ? value : "N");
        } else if (strcmp(name, "verify_threads") == 0) {
            if (gs_daemon_parse_int(value, 0, 64, &v) != 0)
                return fail(l, section, name, "expected a count from 0 to 64");
            c->verify_threads = (unsigned)v;
        } else if (strcmp(name, "max_batch") == 0) {
            if (gs_daemon_parse_int(value, 1, 100000, &v) != 0)
                return fail(l, section, name, "expected a count from 1 to 100000");
            c->max_batch = (size_t)v;
        } else if (strcmp(name, "receipt_mode") == 0) {
            if (strcmp(value, "batch") != 0 && strcmp(value, "single") != 0)
                return fail(l, section, name, "expected batch or single");
            c->receipt_single = strcmp(value, "single") == 0;
        } else if (strcmp(name, "group_commit_wait_us") == 0) {
            if (gs_daemon_parse_int(value, 0, 1000000, &v) != 0)
                return fail(l, section, name, "expected microseconds from 0 to 1000000");
            c->group_commit_wait_us = v;
        } else if (strcmp(name, "start_check_ms") == 0) {
            if (gs_daemon_parse_int(value, 0, 600000, &v) != 0)
                return fail(l, section, name, "expected milliseconds from 0 to 600000");
            c->start_check_ms = v;
        } else if (strcmp(name, "log_level") == 0) {
            gs_daemon_log_level level;
            if (gs_daemon_parse_log_level(value, &level) != 0)
                return fail(l, section, name, "expected debug, info, warn or error");
            c->log_level = (gs_node_log_level)level;
        } else if (strcmp(name, "http") == 0) {
            gs_error e;
            if (gs_http_listen_check(value, &e) != 0)
                return fail(l, section, name, e.msg);
            free(c->http);
            c->http = strdup(value);
        } else {
            return fail(l, section, name, "unknown setting");
        }
    } else if (strcmp(section, "access") == 0) {
        if (strcmp(name, "open_submission") == 0) {
            if (gs_daemon_parse_bool(value, &c->open_submission) != 0)
                return fail(l, section, name, "expected true or false");
        } else if (strcmp(name, "public_read") == 0) {
            if (gs_daemon_parse_bool(value, &c->public_read) != 0)
                return fail(l, section, name, "expected true or false");
        } else if (strcmp(name, "writer") == 0) {
            gs_error e;
            if (gs_daemon_add_writer(&c->writers, &c->n_writers, value, &e) != 0)
                return fail(l, section, name, e.msg);
        } else {
            return fail(l, section, name, "unknown setting");
        }
    } else if (strcmp(section, "witness") == 0) {
        if (strcmp(name, "witness") != 0)
            return fail(l, section, name, "unknown setting (expected witness = EP,VKEY)");
        if (c->n_witnesses == GS_NODE_MAX_WITNESSES)
            return fail(l, section, name, "too many witnesses");
        const char *comma = strchr(value, ',');
        if (comma == NULL || comma == value)
            return fail(l, section, name,
                        "expected <endpoint>,<verifier key of the witness>, e.g. "
                        "tcp://10.0.0.2:7500,giamsat/hub/ha-noi+1a2b3c4d+BA...");
        char *ep = strndup(value, (size_t)(comma - value));
        if (ep == NULL)
            return fail(l, section, name, "out of memory");
        if (strncmp(ep, "tcp://", 6) != 0 && strncmp(ep, "ipc://", 6) != 0) {
            free(ep);
            return fail(l, section, name, "expected a tcp:// or ipc:// endpoint before the comma");
        }
        gs_error e;
        if (gs_vkey_parse(comma + 1, &c->witness_keys[c->n_witnesses], &e) != 0) {
            free(ep);
            return fail(l, section, name, e.msg);
        }
        c->witness_endpoints[c->n_witnesses++] = ep;
    } else {
        return fail(l, section, name, "unknown section (expected [node], [access] or [witness])");
    }
    return 1;
}

/* A rule parameter in node.conf: whether a statement is valid may depend
 * only on the log (DESIGN §2.8), so the value is declared in the Charter and
 * changed by a ParameterChange the node key signs. The command names an
 * ipc:// endpoint when there is one, since tcp:// also needs the node's
 * verifier key. */
static int refuse_moved(loader *l, const char *path, gs_error *err)
{
    gs_node_config *c = l->c;
    const char *ep = c->listen[0];
    for (size_t i = 0; i < c->n_listen; i++)
        if (strncmp(c->listen[i], "ipc://", 6) == 0) {
            ep = c->listen[i];
            break;
        }
    bool tcp = strncmp(ep, "tcp://", 6) == 0;
    gs_error_set(err, GS_EINVAL,
                 "config %s: [node] %s is no longer read from node.conf: rule parameters live in "
                 "the log, so every hub and auditor judges it alike. Delete the line; to change "
                 "the limit, sign a parameter change with the node key while the node runs: "
                 "giamsat parameters --feedback-per-day %s --key %s --connect %s%s%s%s%s%s",
                 path, l->moved, l->moved_value, c->key_path, ep,
                 tcp ? " --server-key \"$(giamsat key show " : "", tcp ? c->key_path : "",
                 tcp ? " --name " : "", tcp ? c->origin : "", tcp ? ")\"" : "");
    gs_node_config_clear(c);
    return GS_EINVAL;
}

int gs_node_config_load(const char *path, gs_node_config *out, gs_error *err)
{
    memset(out, 0, sizeof *out);
    out->checkpoint_interval_ms = 1000;
    out->checkpoint_mode = GS_NODE_CHECKPOINT_ADAPTIVE;
    out->checkpoint_min_interval_ms = GS_NODE_CHECKPOINT_MIN_INTERVAL_MS;
    out->max_message = GS_MAX_MESSAGE;
    out->max_clock_skew = 300;
    out->verify_threads = 1;
    out->max_batch = 4096;
    out->group_commit_wait_us = 5000;
    out->log_level = GS_NODE_LOG_INFO;
    out->start_check_ms = 10000;
    out->public_read = true;

    loader l = {.c = out, .err = err};
    int rc = gs_daemon_config_dir(path, l.dir, sizeof l.dir, err);
    if (rc != 0)
        return rc;
    if ((rc = gs_daemon_config_parse(path, on_setting, &l, &l.failed, err)) != 0) {
        gs_node_config_clear(out);
        return rc;
    }
    const char *missing = out->origin == NULL     ? "[node] origin"
                          : out->key_path == NULL ? "[node] key"
                          : out->database == NULL ? "[node] database"
                          : out->n_listen == 0    ? "[node] listen"
                                                  : NULL;
    if (missing != NULL) {
        gs_node_config_clear(out);
        return gs_error_set(err, GS_EINVAL, "config %s: %s is missing", path, missing);
    }
    if (l.moved != NULL)
        return refuse_moved(&l, path, err);
    return 0;
}

void gs_node_config_clear(gs_node_config *c)
{
    free(c->origin);
    free(c->key_path);
    free(c->passphrase_file);
    free(c->database);
    free(c->http);
    for (size_t i = 0; i < c->n_listen; i++)
        free(c->listen[i]);
    for (size_t i = 0; i < c->n_publish; i++)
        free(c->publish[i]);
    free(c->writers);
    for (size_t i = 0; i < c->n_signing_keys; i++) {
        free(c->signing_keys[i]);
        free(c->signing_passphrases[i]);
    }
    for (size_t i = 0; i < c->n_witnesses; i++)
        free(c->witness_endpoints[i]);
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

/* Whether witness i of a is in b (same endpoint, same key). */
static bool has_witness(const gs_node_config *b, const gs_node_config *a, size_t i)
{
    for (size_t j = 0; j < b->n_witnesses; j++)
        if (strcmp(b->witness_endpoints[j], a->witness_endpoints[i]) == 0 &&
            same_vkey(&b->witness_keys[j], &a->witness_keys[i]))
            return true;
    return false;
}

static bool same_writers(const gs_node_config *a, const gs_node_config *b)
{
    return a->n_writers == b->n_writers &&
           (a->n_writers == 0 ||
            memcmp(a->writers, b->writers, a->n_writers * sizeof *a->writers) == 0);
}

static bool same_publish(const gs_node_config *a, const gs_node_config *b)
{
    if (a->n_publish != b->n_publish)
        return false;
    for (size_t i = 0; i < a->n_publish; i++)
        if (strcmp(a->publish[i], b->publish[i]) != 0)
            return false;
    return true;
}

static bool same_listen(const gs_node_config *a, const gs_node_config *b)
{
    if (a->n_listen != b->n_listen)
        return false;
    for (size_t i = 0; i < a->n_listen; i++)
        if (strcmp(a->listen[i], b->listen[i]) != 0)
            return false;
    return true;
}

static const char *level_name(gs_node_log_level l)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    return (unsigned)l < 4 ? names[l] : "?";
}

const char *gs_node_checkpoint_mode_name(gs_node_checkpoint_mode m)
{
    return m == GS_NODE_CHECKPOINT_FIXED ? "fixed" : "adaptive";
}

unsigned gs_node_config_diff(const gs_node_config *r, const gs_node_config *n,
                             void (*say)(void *ctx, const char *line), void *ctx)
{
    unsigned changed = 0;
    for (size_t i = 0; i < r->n_witnesses; i++)
        if (!has_witness(n, r, i)) {
            sayf(say, ctx, "witness %s at %s removed", r->witness_keys[i].name,
                 r->witness_endpoints[i]);
            changed |= GS_NODE_CHANGED_WITNESSES;
        }
    for (size_t i = 0; i < n->n_witnesses; i++)
        if (!has_witness(r, n, i)) {
            sayf(say, ctx, "witness %s at %s added", n->witness_keys[i].name,
                 n->witness_endpoints[i]);
            changed |= GS_NODE_CHANGED_WITNESSES;
        }
    if (r->public_read != n->public_read) {
        sayf(say, ctx, "[access] public_read %s -> %s (for connections made from now on)",
             r->public_read ? "true" : "false", n->public_read ? "true" : "false");
        changed |= GS_NODE_CHANGED_ACCESS;
    }
    if (r->open_submission != n->open_submission) {
        sayf(say, ctx, "[access] open_submission %s -> %s (for connections made from now on)",
             r->open_submission ? "true" : "false", n->open_submission ? "true" : "false");
        changed |= GS_NODE_CHANGED_ACCESS;
    }
    if (!same_writers(r, n)) {
        sayf(say, ctx, "[access] writers: %zu -> %zu keys (for connections made from now on)",
             r->n_writers, n->n_writers);
        changed |= GS_NODE_CHANGED_ACCESS;
    }
    if (r->log_level != n->log_level) {
        sayf(say, ctx, "[node] log_level %s -> %s", level_name(r->log_level),
             level_name(n->log_level));
        changed |= GS_NODE_CHANGED_LIVE;
    }
    if (r->checkpoint_interval_ms != n->checkpoint_interval_ms) {
        sayf(say, ctx, "[node] checkpoint_interval_ms %lld -> %lld",
             (long long)r->checkpoint_interval_ms, (long long)n->checkpoint_interval_ms);
        changed |= GS_NODE_CHANGED_LIVE;
    }
    if (r->checkpoint_mode != n->checkpoint_mode) {
        sayf(say, ctx, "[node] checkpoint_mode %s -> %s",
             gs_node_checkpoint_mode_name(r->checkpoint_mode),
             gs_node_checkpoint_mode_name(n->checkpoint_mode));
        changed |= GS_NODE_CHANGED_LIVE;
    }
    if (r->checkpoint_min_interval_ms != n->checkpoint_min_interval_ms) {
        sayf(say, ctx, "[node] checkpoint_min_interval_ms %lld -> %lld",
             (long long)r->checkpoint_min_interval_ms, (long long)n->checkpoint_min_interval_ms);
        changed |= GS_NODE_CHANGED_LIVE;
    }
    if (r->group_commit_wait_us != n->group_commit_wait_us) {
        sayf(say, ctx, "[node] group_commit_wait_us %lld -> %lld",
             (long long)r->group_commit_wait_us, (long long)n->group_commit_wait_us);
        changed |= GS_NODE_CHANGED_LIVE;
    }
    if (r->receipt_single != n->receipt_single) {
        sayf(say, ctx, "[node] receipt_mode %s -> %s", r->receipt_single ? "single" : "batch",
             n->receipt_single ? "single" : "batch");
        changed |= GS_NODE_CHANGED_LIVE;
    }
    if (r->n_signing_keys != n->n_signing_keys) {
        /* Read again when the log key rotates: nothing to apply now. */
        sayf(say, ctx, "[node] signing_key lines: %zu -> %zu (read when the log key rotates)",
             r->n_signing_keys, n->n_signing_keys);
        changed |= GS_NODE_CHANGED_LIVE;
    }
    if (r->start_check_ms != n->start_check_ms) {
        sayf(say, ctx, "[node] start_check_ms %lld -> %lld (used at the next start)",
             (long long)r->start_check_ms, (long long)n->start_check_ms);
        changed |= GS_NODE_CHANGED_LIVE;
    }
    /* Read at start only: the sockets, the store, the key, the pipeline. */
    const char *restart[11];
    size_t k = 0;
    if (str_differ(r->origin, n->origin))
        restart[k++] = "origin";
    if (str_differ(r->key_path, n->key_path))
        restart[k++] = "key";
    if (str_differ(r->passphrase_file, n->passphrase_file))
        restart[k++] = "passphrase_file";
    if (str_differ(r->database, n->database))
        restart[k++] = "database";
    if (!same_listen(r, n))
        restart[k++] = "listen";
    if (!same_publish(r, n))
        restart[k++] = "publish";
    if (str_differ(r->http, n->http))
        restart[k++] = "http";
    if (r->max_message != n->max_message)
        restart[k++] = "max_message";
    if (r->verify_threads != n->verify_threads)
        restart[k++] = "verify_threads";
    if (r->max_batch != n->max_batch)
        restart[k++] = "max_batch";
    if (r->max_clock_skew != n->max_clock_skew)
        restart[k++] = "max_clock_skew";
    for (size_t i = 0; i < k; i++)
        sayf(say, ctx, "[node] %s changed; it takes effect at the next restart", restart[i]);
    if (k > 0)
        changed |= GS_NODE_CHANGED_RESTART;
    return changed;
}

#define SWAP(a, b)                                                                                 \
    do {                                                                                           \
        __typeof__(a) tmp_ = (a);                                                                  \
        (a) = (b);                                                                                 \
        (b) = tmp_;                                                                                \
    } while (0)

void gs_node_config_keep(gs_node_config *r, gs_node_config *n, bool keep_witnesses)
{
    SWAP(r->origin, n->origin);
    SWAP(r->key_path, n->key_path);
    SWAP(r->passphrase_file, n->passphrase_file);
    SWAP(r->database, n->database);
    SWAP(r->http, n->http);
    for (size_t i = 0; i < GS_NET_MAX_ENDPOINTS; i++)
        SWAP(r->listen[i], n->listen[i]);
    SWAP(r->n_listen, n->n_listen);
    for (size_t i = 0; i < GS_NET_MAX_ENDPOINTS; i++)
        SWAP(r->publish[i], n->publish[i]);
    SWAP(r->n_publish, n->n_publish);
    SWAP(r->max_message, n->max_message);
    SWAP(r->verify_threads, n->verify_threads);
    SWAP(r->max_batch, n->max_batch);
    SWAP(r->max_clock_skew, n->max_clock_skew);
    if (keep_witnesses) {
        for (size_t i = 0; i < GS_NODE_MAX_WITNESSES; i++) {
            SWAP(r->witness_endpoints[i], n->witness_endpoints[i]);
            SWAP(r->witness_keys[i], n->witness_keys[i]);
        }
        SWAP(r->n_witnesses, n->n_witnesses);
    }
}
