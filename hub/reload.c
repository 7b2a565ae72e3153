/* reload.c — hub.conf read again on SIGHUP, applied while the hub runs
 * (config.h "reload", docs/operations.md "Changing the configuration").
 *
 * What a reload keeps: the store, the own log and its refill, the ROUTER
 * and PUB sockets (so every client connection), and every followed log
 * whose [log] section did not change, with its sync, waiters and peers as
 * they are. What it changes:
 *   - a [log] added: opened as at start (hub.c hub_follow_open): the
 *     replica, the evidence held, the marker and the Observations of the
 *     hub's own log (the floor: a log followed before, unfollowed and
 *     followed again is never cosigned below what the hub vouched for),
 *     then polled like the others;
 *   - a [log] removed: its sync abandoned, its waiters answered
 *     UNAVAILABLE, its peers closed; its replica stays in the database (a
 *     later follow takes it up again) but is neither synced, cosigned nor
 *     served;
 *   - a [log] with other sources: closed and opened again, the same way:
 *     what a sync fetched above the cosigned size is kept and proven again
 *     (SYNC_RESUMING) from the new sources;
 *   - the [witness] lines of the own log: a witness kept keeps its client,
 *     the refill is made anew on the list (not while it refills);
 *   - [access], log_level, the intervals and limits: taken as they are.
 * A file that does not load changes nothing. The HTTP face follows: tiles
 * are served for the new set of logs, and the web data (its suggested
 * trust policy names every followed log) is rebuilt.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "hub.h"

static void say_reload(void *ctx, const char *line)
{
    hub_log(ctx, GS_HUB_LOG_INFO, "reload: %s", line);
}

/* The largest Observation of each log next follows, for recover.c: kept
 * from h->observed for the logs followed already, looked for in the hub's
 * own log for the others. Sorted by origin (hub_observed_find). */
static int observed_for(hub *h, const gs_hub_config *next, struct hub_observed **out, gs_error *err)
{
    struct hub_observed *v = calloc(next->n_logs + 1, sizeof *v);
    bool *scan = calloc(next->n_logs + 1, sizeof *scan);
    bool any = false;
    int rc = 0;
    if (v == NULL || scan == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < next->n_logs; i++) {
        v[i].origin = next->logs[i].origin;
        const struct hub_observed *o = hub_observed_find(h, v[i].origin);
        if (o != NULL) {
            v[i].size = o->size;
            v[i].root = o->root;
        } else {
            scan[i] = any = true;
        }
    }
    /* Entries of the own log were verified before they were stored. */
    uint64_t size = any ? gs_log_committed_size(h->own) : 0;
    for (uint64_t k = 0; k < size && rc == 0; k++) {
        gs_buf e = {0};
        gs_statement st = {0};
        gs_signed_statement ss;
        if ((rc = gs_log_entry(h->own, k, &e, err)) == 0 &&
            gs_wire_decode_signed_statement(gs_bytes_of(e.p, e.n), &ss, err) == 0 &&
            gs_wire_decode_statement(ss.statement, &st, err) == 0 && st.kind == GS_BODY_OBSERVATION)
            for (size_t i = 0; i < next->n_logs; i++)
                if (scan[i] && strcmp(v[i].origin, st.u.observation.origin) == 0 &&
                    st.u.observation.size > v[i].size) {
                    v[i].size = st.u.observation.size;
                    v[i].root = st.u.observation.root;
                }
        gs_statement_clear(&st);
        gs_buf_free(&e);
    }
    if (rc != 0)
        goto out;
    if (next->n_logs > 1)
        qsort(v, next->n_logs, sizeof *v, hub_observed_cmp);
    *out = v;
    v = NULL;
out:
    free(v);
    free(scan);
    return rc;
}

/* Points f and its sources at cfg (a followed log moved, or its
 * configuration replaced by an equal one). */
static void point_at(followed *f, gs_hub_followed *cfg)
{
    f->cfg = cfg;
    for (size_t s = 0; s < f->n_sources; s++)
        f->sources[s].cfg = &cfg->sources[s];
}

/* The [log origin] section of c (one there is). */
static gs_hub_followed *section_of(gs_hub_config *c, const char *origin)
{
    for (size_t i = 0; i < c->n_logs; i++)
        if (strcmp(c->logs[i].origin, origin) == 0)
            return &c->logs[i];
    return NULL;
}

/* Drops log i from next and from the observed array of next (a log that
 * could not be opened: not followed). */
static void drop_log(gs_hub_config *next, struct hub_observed *obs, size_t i)
{
    gs_hub_followed *l = &next->logs[i];
    size_t n = next->n_logs;
    for (size_t k = 0; k < n; k++)
        if (obs[k].origin == l->origin) {
            memmove(&obs[k], &obs[k + 1], (n - k - 1) * sizeof *obs);
            break;
        }
    free(l->origin);
    for (size_t s = 0; s < l->n_sources; s++)
        free(l->sources[s].endpoint);
    free(l->sources);
    free(l->subscribe.endpoint);
    memmove(l, l + 1, (n - i - 1) * sizeof *l);
    next->n_logs--;
}

/* The followed logs of next: kept ones moved over, new or changed ones
 * opened (the changed ones closed first: one handle per replica). h->cfg is
 * next already (hub_observed_find and the open read it); old holds the
 * running logs, indexed as old_cfg's. */
static void apply_logs(hub *h, followed *old, size_t n_old, const gs_hub_config *old_cfg)
{
    gs_hub_config *c = &h->cfg;
    followed *logs = calloc(c->n_logs + 1, sizeof *logs);
    int *from = calloc(c->n_logs + 1, sizeof *from);
    bool *kept = calloc(n_old + 1, sizeof *kept);
    if (logs == NULL || from == NULL || kept == NULL) {
        hub_log(h, GS_HUB_LOG_ERROR, "reload: out of memory; stopping");
        free(logs);
        free(from);
        free(kept);
        /* The running logs stay as they are until the stop frees them. */
        h->logs = old;
        h->n_logs = n_old;
        gs_daemon_request_stop();
        return;
    }
    for (size_t j = 0; j < c->n_logs; j++) {
        from[j] = -1;
        for (size_t i = 0; i < n_old && from[j] < 0; i++)
            if (gs_hub_followed_same(&old_cfg->logs[i], &c->logs[j])) {
                from[j] = (int)i;
                kept[i] = true;
            }
    }
    for (size_t i = 0; i < n_old; i++)
        if (!kept[i])
            hub_follow_close(&old[i]);
    /* logs[j] is c->logs[j]'s; a log that cannot be opened is dropped
     * from both afterwards. */
    size_t n_want = c->n_logs;
    for (size_t j = 0; j < n_want; j++) {
        if (from[j] >= 0) {
            logs[j] = old[from[j]];
            continue;
        }
        gs_error err = {0};
        if (hub_follow_open(h, &logs[j], &c->logs[j], &err) != 0) {
            hub_log(h, GS_HUB_LOG_ERROR, "reload: %s is not followed: %s", c->logs[j].origin,
                    err.msg);
            hub_follow_close(&logs[j]);
            from[j] = -2;
        }
    }
    size_t n = n_want;
    for (size_t j = n_want; j-- > 0;)
        if (from[j] == -2) {
            drop_log(c, h->observed, j);
            memmove(&logs[j], &logs[j + 1], (n - j - 1) * sizeof *logs);
            n--;
        }
    /* c->logs may have moved down (drop_log): every log points at its
     * section again. */
    for (size_t k = 0; k < n; k++)
        point_at(&logs[k], &c->logs[k]);
    free(old);
    free(from);
    free(kept);
    h->logs = logs;
    h->n_logs = n;
}

/* Answers what waits on the logs a reload closes, before they close. */
static void release_logs(hub *h, const gs_hub_config *next)
{
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        const gs_hub_followed *want = gs_hub_config_log(next, f->cfg->origin);
        if (want != NULL && gs_hub_followed_same(f->cfg, want))
            continue;
        char why[GS_MAX_ORIGIN + 128];
        snprintf(why, sizeof why,
                 want == NULL ? "the hub no longer follows %s"
                              : "the hub's sources for %s changed; try again",
                 f->cfg->origin);
        hub_waiters_fail(h, f, true, 0, GS_STATUS_UNAVAILABLE, why);
        hub_sync_end(f);
    }
}

/* Whether witness i of a and witness j of b are the same. */
static bool same_witness(const gs_hub_witness *a, const gs_hub_witness *b)
{
    return strcmp(a->endpoint, b->endpoint) == 0 && a->key.alg == b->key.alg &&
           strcmp(a->key.name, b->key.name) == 0 &&
           memcmp(a->key.key.b, b->key.key.b, sizeof a->key.key.b) == 0;
}

/* The witnesses of the own log from next's [witness] lines: a witness that
 * stays keeps its client (what it cosigned, its backoff), the refill is
 * made anew on the new list (its sources are h->refill_sources). On failure
 * nothing changes. */
static int reload_witnesses(hub *h, gs_hub_config *next, gs_error *err)
{
    gs_witness_client *w[GS_HUB_MAX_WITNESSES] = {0};
    bool taken[GS_HUB_MAX_WITNESSES] = {0};
    gs_refill_source saved[GS_HUB_MAX_WITNESSES];
    gs_refill *refill = NULL;
    int rc = 0;
    for (size_t i = 0; i < next->n_witnesses && rc == 0; i++) {
        for (size_t j = 0; j < h->n_witnesses && w[i] == NULL; j++)
            if (!taken[j] && same_witness(&h->cfg.witnesses[j], &next->witnesses[i])) {
                w[i] = h->witnesses[j];
                taken[j] = true;
            }
        if (w[i] == NULL &&
            (rc = gs_witness_client_new(&w[i], h->zctx, next->witnesses[i].endpoint,
                                        &next->witnesses[i].key, &h->key,
                                        h->cfg.max_message + GS_NET_FRAME_SLACK, err)) != 0)
            gs_error_wrap(err, "[witness] %s", next->witnesses[i].endpoint);
    }
    memcpy(saved, h->refill_sources, sizeof saved);
    for (size_t i = 0; i < next->n_witnesses; i++)
        h->refill_sources[i] = (gs_refill_source){.endpoint = next->witnesses[i].endpoint,
                                                  .key = &next->witnesses[i].key};
    gs_refill_config rc_cfg = {
        .zctx = h->zctx,
        .store = h->store,
        .log = h->own,
        .ingest = &h->own_ingest,
        .log_key = &h->key.pub,
        .client_key = &h->key,
        .sources = h->refill_sources,
        .n_sources = next->n_witnesses,
        .max_message = h->cfg.max_message,
        .marker_path = h->marker_path,
    };
    if (rc == 0)
        rc = gs_refill_new(&refill, &rc_cfg, err);
    if (rc != 0) {
        memcpy(h->refill_sources, saved, sizeof saved);
        for (size_t i = 0; i < next->n_witnesses; i++) {
            bool kept = false;
            for (size_t j = 0; j < h->n_witnesses && !kept; j++)
                kept = w[i] == h->witnesses[j];
            if (!kept)
                gs_witness_client_free(&w[i]);
        }
        return rc;
    }
    for (size_t j = 0; j < h->n_witnesses; j++)
        if (!taken[j])
            gs_witness_client_free(&h->witnesses[j]);
    gs_refill_free(&h->refill);
    memcpy(h->witnesses, w, sizeof w);
    h->n_witnesses = next->n_witnesses;
    h->refill = refill;
    return 0;
}

void hub_reload(hub *h)
{
    gs_hub_config next;
    gs_error err = {0};
    if (gs_hub_config_load(h->config_path, &next, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "reload refused, the running configuration is kept: %s",
                err.msg);
        return;
    }
    unsigned changed = gs_hub_config_diff(&h->cfg, &next, say_reload, h);
    if (changed == 0)
        hub_log(h, GS_HUB_LOG_INFO, "reload: %s: nothing changed", h->config_path);
    struct hub_observed *obs = NULL;
    if ((changed & GS_HUB_CHANGED_LOGS) && observed_for(h, &next, &obs, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "reload refused, the running configuration is kept: %s",
                err.msg);
        gs_hub_config_clear(&next);
        return;
    }
    bool keep_witnesses = false;
    if ((changed & GS_HUB_CHANGED_WITNESSES) && gs_refill_holding(h->refill)) {
        /* The refill is asking them for what the own log lacks: it is not
         * cut off halfway. */
        hub_log(h, GS_HUB_LOG_WARN,
                "reload: the witnesses are not changed while the own log refills from them "
                "(%s); send SIGHUP again once it is done",
                gs_refill_status(h->refill));
        keep_witnesses = true;
    } else if ((changed & GS_HUB_CHANGED_WITNESSES) && reload_witnesses(h, &next, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "reload: the witnesses are not changed: %s", err.msg);
        keep_witnesses = true;
    }
    gs_hub_config_keep(&h->cfg, &next, keep_witnesses);
    if ((changed & GS_HUB_CHANGED_ACCESS) &&
        gs_net_server_set_access(h->server, next.public_read, false, next.writers, next.n_writers,
                                 &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "reload: [access] is not changed: %s", err.msg);
        next.public_read = h->cfg.public_read;
        gs_pubkey *w = next.writers;
        size_t nw = next.n_writers;
        next.writers = h->cfg.writers, next.n_writers = h->cfg.n_writers;
        h->cfg.writers = w, h->cfg.n_writers = nw;
    }
    if (changed & GS_HUB_CHANGED_LOGS)
        release_logs(h, &next);
    /* From here the hub runs on next: the running followed logs point into
     * old until apply_logs points them at next's sections. */
    gs_hub_config old = h->cfg;
    h->cfg = next;
    if (changed & GS_HUB_CHANGED_LOGS) {
        free(h->observed);
        h->observed = obs;
        followed *logs = h->logs;
        size_t n = h->n_logs;
        h->logs = NULL;
        h->n_logs = 0;
        apply_logs(h, logs, n, &old);
    } else {
        /* The same logs, the same sources: each points at its section of
         * next, and observed borrows next's origins (same order: the same
         * strings). */
        for (size_t i = 0; i < h->n_logs; i++)
            point_at(&h->logs[i], section_of(&h->cfg, h->logs[i].cfg->origin));
        for (size_t i = 0; i < h->cfg.n_logs && h->observed != NULL; i++)
            h->observed[i].origin = gs_hub_config_log(&h->cfg, h->observed[i].origin)->origin;
    }
    gs_hub_config_clear(&old);
    /* The refill reads its sources through h->refill_sources: they name
     * what is in h->cfg now, not the local copy read above. */
    for (size_t i = 0; i < h->n_witnesses; i++)
        h->refill_sources[i] = (gs_refill_source){.endpoint = h->cfg.witnesses[i].endpoint,
                                                  .key = &h->cfg.witnesses[i].key};
    if ((changed & GS_HUB_CHANGED_LOGS) && h->http != NULL) {
        if (hub_tiles_relist(h, &err) != 0)
            hub_log(h, GS_HUB_LOG_ERROR, "reload: tiles: %s", err.msg);
        /* Its suggested trust policy lists every followed log. */
        hub_webdata_stop(h);
        if (hub_webdata_start(h, &err) != 0)
            hub_log(h, GS_HUB_LOG_ERROR, "reload: web data: %s", err.msg);
    }
    if (changed & GS_HUB_CHANGED_LOGS) {
        /* The SUB socket follows the logs: opened again on the new set
         * (an announcement lost meanwhile is made up for by polling every
         * subscribed log once now). */
        if (hub_subscribe_open(h, &err) != 0)
            hub_log(h, GS_HUB_LOG_ERROR, "reload: subscriptions: %s (logs are polled instead)",
                    err.msg);
        for (size_t i = 0; i < h->n_logs; i++)
            if (h->logs[i].cfg->subscribe.endpoint != NULL)
                h->logs[i].next_poll_ms = 0;
        hub_log(h, GS_HUB_LOG_INFO, "reload: following %zu log(s)", h->n_logs);
    }
}
