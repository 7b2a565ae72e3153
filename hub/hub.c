/* hub.c — giamsat-hub: follows logs, replicates and verifies them, cosigns
 * their checkpoints, keeps its own log of what it observed, and proves every
 * rewrite, fork and rollback it sees (DESIGN §2 principles 5–7, §5 flows 2–4).
 * This file holds the loop, start-up and the hub's own log; hub.h says what
 * the other parts (sync.c, fault.c, serve.c) do.
 *
 * One zmq_poll loop (STYLE §7) over the ROUTER sockets that serve requests,
 * one DEALER per (followed log, source) (peer.h: non-blocking requests with
 * deadlines) and one DEALER per witness of the hub's own log. A turn:
 *   1. answers requests waiting on the ROUTER sockets (serve.c); an
 *      AddCheckpoint that needs entries the hub does not hold yet starts (or
 *      joins) a sync and is answered when the sync ends;
 *   2. takes answers off the source sockets: checkpoints from polling,
 *      batches of entries for a sync, consistency proofs (sync.c);
 *   3. expires requests past their deadline, sends due polls, checkpoints
 *      its own log and pushes it to its witnesses.
 *
 * Never go back (DESIGN principle 9, common/refill.h), for the hub's own
 * log: when it is smaller than what the hub key signed (the marker next to
 * hub.db, or a witness answering CONFLICT with a larger size) nothing is
 * staged in it — no Observation, so no cosignature; no Evidence — and it is
 * neither checkpointed nor pushed until the refill brought it back from the
 * hubs that witness it. At start it also waits (at most HUB_START_CHECK_MS)
 * for every witness to say what it holds. The refill runs from this loop, so
 * reads are served and SIGTERM is seen meanwhile.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "daemon.h"
#include "hub.h"
#include "merkle.h"
#include "webui.h"

/* How long, at most, the own log waits at start for its witnesses to say
 * what they hold of it. */
#define HUB_START_CHECK_MS 10000

void hub_log(const hub *h, gs_hub_log_level level, const char *fmt, ...)
{
    if (h != NULL && level < h->cfg.log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    gs_daemon_logv("giamsat-hub", (gs_daemon_log_level)level, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ publishing */

void hub_publish(hub *h, const char *kind, const char *origin, gs_bytes payload)
{
    char topic[GS_MAX_ORIGIN + 32];
    int n = snprintf(topic, sizeof topic, "%s/%s", kind, origin);
    for (size_t i = 0; i < h->n_pub; i++) {
        /* PUB never blocks: a slow subscriber loses messages, not the hub. */
        if (zmq_send(h->pub[i], topic, (size_t)n, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
            zmq_send(h->pub[i], payload.p, payload.n, ZMQ_DONTWAIT) < 0)
            hub_log(h, GS_HUB_LOG_WARN, "publish %s: %s", topic, zmq_strerror(errno));
    }
}

/* ------------------------------------------------------------ replies */

void hub_send_response(hub *h, unsigned socket, const uint8_t *identity, size_t identity_len,
                       gs_response *rs)
{
    gs_error err;
    if (gs_net_server_respond(h->server, socket, identity, identity_len, rs, &err) != 0)
        hub_log(h, GS_HUB_LOG_WARN, "%s", err.msg);
}

void hub_send_status(hub *h, unsigned socket, const uint8_t *identity, size_t identity_len,
                     uint64_t id, gs_status_code code, const char *message)
{
    gs_response rs = {.id = id, .code = code, .message = message};
    hub_send_response(h, socket, identity, identity_len, &rs);
}

/* ------------------------------------------------------------ the rule book */

/* The own log's replay at start: the largest Observation of each followed
 * log, what the hub vouched for (recover.c). */
static int saw_own_entry(void *ctx, const gs_ingest *in, const gs_ingest_verdict *v,
                         const gs_statement *st, gs_error *err)
{
    hub *h = ctx;
    (void)in;
    (void)err;
    if (st == NULL || !v->accepted || st->kind != GS_BODY_OBSERVATION)
        return 0;
    struct hub_observed *o = hub_observed_find(h, st->u.observation.origin);
    if (o != NULL && st->u.observation.size > o->size) {
        o->size = st->u.observation.size;
        o->root = st->u.observation.root;
    }
    return 0;
}

/* A replica's replay at start: every entry goes to the log's key chain. */
static int saw_replica_entry(void *ctx, const gs_ingest *in, const gs_ingest_verdict *v,
                             const gs_statement *st, gs_error *err)
{
    gs_keychain *kc = ctx;
    (void)in;
    if (st != NULL)
        return gs_keychain_observe(kc, v->index, st, err) < 0 ? -1 : 0;
    if (v->index != kc->next_index)
        return gs_error_set(err, GS_EINVAL, "key chain of %s: entry %llu out of order", kc->origin,
                            (unsigned long long)v->index);
    kc->next_index++; /* an entry that does not open is no rotation */
    return 0;
}

/* A pipeline for the log in l (its store holds the entries it looks up),
 * rebuilt from the first size entries. The entries were verified (signature
 * and rule book) before they were stored, and each is checked against its
 * stored leaf hash as it is read; so they are decoded without checking their
 * signatures again, which keeps a restart of a hub holding millions of
 * entries to a replay of the rule book. */
static int replay(hub *h, gs_log *l, uint64_t size, gs_keychain *kc, gs_ingest **out, gs_error *err)
{
    gs_ingest_verdict bad;
    gs_ingest_config ic = {.pool = h->pool, .entry_at = gs_ingest_log_entry_at, .entry_ctx = l};
    if (l == h->own) {
        ic.on_entry = saw_own_entry;
        ic.on_entry_ctx = h;
    } else if (kc != NULL) {
        ic.on_entry = saw_replica_entry;
        ic.on_entry_ctx = kc;
    }
    gs_ingest_free(out);
    int rc = gs_ingest_new(out, gs_log_origin(l), &ic, err);
    if (rc == 0)
        rc = gs_ingest_replay_log(*out, l, size, true, &bad, err);
    if (*out != NULL)
        gs_ingest_set_on_entry(*out, NULL, NULL);
    if (rc == 0 && bad.judged) {
        char why[2 * GS_ERROR_MSG_MAX];
        gs_ingest_verdict_text(&bad, why, sizeof why);
        rc = gs_error_set(err, bad.code, "entry %llu of %s: %s", (unsigned long long)bad.index,
                          gs_log_origin(l), why);
    }
    return rc;
}

/* ------------------------------------------------------------ own log */

/* Why the own log takes nothing now, or NULL: it refills, or the start
 * check waits for a witness. */
static const char *own_hold(hub *h)
{
    if (h->refill != NULL && gs_refill_holding(h->refill))
        return gs_refill_status(h->refill);
    if (h->start_check_until_ms == 0)
        return NULL;
    bool all = true;
    for (size_t i = 0; i < h->n_witnesses && all; i++)
        all = gs_witness_client_answered(h->witnesses[i]);
    int64_t now = gs_daemon_now_ms();
    if (all || now >= h->start_check_until_ms) {
        if (!all)
            hub_log(h, GS_HUB_LOG_WARN,
                    "start check: not every witness of %s answered within %d s; going on",
                    h->cfg.origin, HUB_START_CHECK_MS / 1000);
        h->start_check_until_ms = 0;
        return NULL;
    }
    snprintf(h->hold_status, sizeof h->hold_status,
             "starting: waiting for the witnesses of %s to say what they hold of it",
             h->cfg.origin);
    return h->hold_status;
}

int hub_own_stage(hub *h, gs_statement *st, gs_buf *entry, gs_ingest **trial, gs_error *err)
{
    gs_buf e = {0};
    uint64_t seq = 1;
    bool active = false;
    gs_ingest_verdict v;
    *trial = NULL;
    const char *hold = own_hold(h);
    if (hold != NULL)
        return gs_error_set(err, GS_EUNAVAIL, "the hub's own log takes nothing now: %s", hold);
    gs_rules_signer_state(gs_ingest_rules(h->own_ingest), &h->key.pub, &seq, &active);
    st->signer = h->key.pub;
    st->seq = seq;
    st->issued_at = (int64_t)time(NULL);
    st->origin = h->cfg.origin;
    int rc = gs_wire_sign_statement(st, &h->key, &e, err);
    if (rc != 0)
        return rc;
    /* Judged and staged by the same pipeline as every other log, on a copy
     * the caller adopts once the transaction commits. */
    gs_bytes b = gs_bytes_of(e.p, e.n);
    if ((rc = gs_ingest_clone(trial, h->own_ingest, err)) != 0)
        goto out;
    gs_ingest_set_stage(*trial, h->own);
    rc = gs_ingest_push(*trial, GS_INGEST_SUBMISSION, &b, 1, st->issued_at, &v, err);
    gs_ingest_set_stage(*trial, NULL);
    if (rc != 0)
        goto out;
    if (!v.accepted) {
        char why[2 * GS_ERROR_MSG_MAX];
        gs_ingest_verdict_text(&v, why, sizeof why);
        rc = gs_error_set(err, v.code, "the hub's own statement is refused: %s", why);
        goto out;
    }
    if (entry != NULL) {
        *entry = e;
        e = (gs_buf){0};
    }
out:
    if (rc != 0)
        gs_ingest_free(trial);
    gs_buf_free(&e);
    return rc;
}

void hub_own_adopt(hub *h, gs_ingest **trial)
{
    gs_ingest_free(&h->own_ingest);
    h->own_ingest = *trial;
    *trial = NULL;
}

/* The hub's latest own checkpoint (as its witnesses cosigned it) again on
 * PUB, every second when nothing new was published: a subscriber that
 * (re)connected — to a restarted hub, whose PUB socket is new — knows it
 * hears the hub again, without waiting for the hub's log to grow. */
static void heartbeat(hub *h, int64_t now)
{
    if (now - h->last_publish_ms < 1000 || h->own_checkpoint_size == 0)
        return;
    h->last_publish_ms = now;
    char *note = NULL;
    if (gs_log_latest_checkpoint(h->own, &note, NULL, NULL) == 0)
        hub_publish(h, "checkpoint", h->cfg.origin, gs_bytes_of(note, strlen(note)));
    free(note);
}

static void maybe_checkpoint(hub *h, bool force)
{
    uint64_t size = gs_log_committed_size(h->own);
    int64_t now = gs_daemon_now_ms();
    if (size == h->own_checkpoint_size || gs_refill_holding(h->refill)) {
        /* Behind what it signed, nothing is signed until refilled; the
         * latest checkpoint it holds is still a true prefix, and is
         * published again like any other. */
        if (!force)
            heartbeat(h, now);
        return;
    }
    if (!force && now - h->last_checkpoint_ms < h->cfg.checkpoint_interval_ms)
        return;
    char *note = NULL;
    gs_error err;
    if (gs_log_sign_checkpoint(h->own, &h->key, &note, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "cannot sign a checkpoint of %s: %s", h->cfg.origin, err.msg);
        snprintf(h->store_error, sizeof h->store_error, "cannot store a checkpoint: %s", err.msg);
        return;
    }
    h->store_error[0] = '\0';
    /* The marker records it before anyone can see it. */
    if (gs_refill_signed(h->refill, note, size, &err) != 0)
        hub_log(h, GS_HUB_LOG_ERROR, "%s", err.msg);
    hub_publish(h, "checkpoint", h->cfg.origin, gs_bytes_of(note, strlen(note)));
    free(note);
    h->own_checkpoint_size = size;
    h->last_checkpoint_ms = now;
    h->last_publish_ms = now;
    hub_log(h, GS_HUB_LOG_INFO, "checkpoint %s size %llu", h->cfg.origin, (unsigned long long)size);
}

/* ------------------------------------------------------------ the loop */

/* Whether f is due for a poll now: its interval passed (the slow one for a
 * log with a subscribe), or an announcement asks for one (subscribe.c). */
static bool poll_due(hub *h, followed *f, int64_t now)
{
    if (f->hinted && hub_seen_size(f) >= f->hint_size)
        f->hinted = false; /* a poll in flight brought it */
    bool hint = f->hinted && now >= f->hint_after_ms;
    if ((now < f->next_poll_ms && !hint) || f->frozen)
        return false;
    if (now >= f->next_poll_ms)
        f->next_poll_ms = now + (f->cfg->subscribe.endpoint != NULL ? h->cfg.silent_poll_interval_ms
                                                                    : h->cfg.poll_interval_ms);
    return true;
}

/* Whether f takes one of the HUB_MAX_BUSY_LOGS places: a sync running, or
 * a poll sent less than HUB_BUSY_POLL_MS ago and not all answered. A poll
 * that takes longer (a source down waits for its timeout) lets its place
 * go: sources that do not answer cannot hold back the logs that do. */
static bool log_busy(const followed *f, int64_t now)
{
    if (f->sync.phase != SYNC_IDLE)
        return true;
    if (now - f->polled_ms >= HUB_BUSY_POLL_MS)
        return false;
    for (size_t s = 0; s < f->n_sources; s++)
        if (gs_hub_peer_has(f->sources[s].peer, HUB_TAG_POLL))
            return true;
    return false;
}

/* Polls the logs that are due, at most HUB_MAX_BUSY_LOGS talking to their
 * sources at once; the others stay due and go when a place frees up,
 * starting where the last turn stopped so none waits behind the rest.
 * Closes the connections of sources idle for HUB_PEER_IDLE_MS. */
static void poll_sources(hub *h, int64_t now)
{
    size_t busy = 0;
    h->polls_held = false;
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        for (size_t s = 0; s < f->n_sources; s++)
            gs_hub_peer_close_idle(f->sources[s].peer, now, HUB_PEER_IDLE_MS);
        busy += log_busy(f, now);
    }
    for (size_t k = 0; k < h->n_logs; k++) {
        size_t i = (h->poll_next + k) % h->n_logs;
        followed *f = &h->logs[i];
        if (busy >= HUB_MAX_BUSY_LOGS) {
            /* Held back only when it is due (poll_due, without its
             * changes): otherwise the loop has nothing to wait for. */
            bool due =
                !f->frozen && (now >= f->next_poll_ms || (f->hinted && now >= f->hint_after_ms));
            if (!due)
                continue;
            h->poll_next = i;
            h->polls_held = true;
            break;
        }
        bool was_busy = log_busy(f, now);
        if (!poll_due(h, f, now))
            continue;
        busy += !was_busy;
        f->polled_ms = now;
        /* Recovery waits for the sources' first answers for as long as a
         * request may take from when they were asked, not from the start:
         * a log may wait its turn behind the busy ones (recover.c). */
        if (f->recovering && f->recover_until_ms == INT64_MAX)
            f->recover_until_ms = now + HUB_RECOVER_WAIT_MS;
        bool sent_all = true;
        for (size_t s = 0; s < f->n_sources; s++) {
            hub_source *src = &f->sources[s];
            /* Availability: no answer of any kind for too long. */
            if (!src->alerted && now - src->last_ok_ms > h->cfg.unavailable_after_s * 1000) {
                src->alerted = true;
                char text[600];
                int n = snprintf(
                    text, sizeof text, "unavailable: source %s of %s has not answered for %lld s",
                    src->cfg->endpoint, f->cfg->origin, (long long)(now - src->last_ok_ms) / 1000);
                hub_log(h, GS_HUB_LOG_WARN, "%s", text);
                hub_publish(h, "alert", f->cfg->origin, gs_bytes_of(text, (size_t)n));
            }
            if (gs_hub_peer_has(src->peer, HUB_TAG_POLL)) {
                sent_all = false;
                continue;
            }
            gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT};
            rq.origin = f->cfg->origin;
            int64_t timeout = h->cfg.poll_interval_ms * 5 < HUB_REQUEST_TIMEOUT_MS
                                  ? HUB_REQUEST_TIMEOUT_MS
                                  : h->cfg.poll_interval_ms * 5;
            gs_error err;
            if (gs_hub_peer_send(src->peer, &rq, HUB_TAG_POLL, now + timeout, &err) != 0)
                hub_log(h, GS_HUB_LOG_DEBUG, "poll %s: %s", src->cfg->endpoint, err.msg);
        }
        /* A hint is spent once every source was asked after it came. */
        if (f->hinted && sent_all) {
            f->hinted = false;
            f->hint_after_ms = now + HUB_HINT_SPACING_MS;
        }
    }
}

static void source_answered(hub *h, followed *f, hub_source *src)
{
    if (src->alerted)
        hub_log(h, GS_HUB_LOG_INFO, "source %s of %s answers again", src->cfg->endpoint,
                f->cfg->origin);
    src->alerted = false;
    src->last_ok_ms = gs_daemon_now_ms();
}

static void read_sources(hub *h, int64_t now)
{
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        for (size_t s = 0; s < f->n_sources; s++) {
            hub_source *src = &f->sources[s];
            gs_response rs;
            int tag;
            gs_error err;
            int got;
            /* An idle peer is not read (nor polled, build_items): at
             * thousands of logs the idle loop costs no system call per
             * log. What a source sends unasked waits, bounded by its
             * socket's high-water mark, and is dropped at the next read. */
            if (gs_hub_peer_pending(src->peer) == 0)
                continue;
            while ((got = gs_hub_peer_recv(src->peer, &rs, &tag, &err)) != 0) {
                if (got < 0) {
                    hub_log(h, GS_HUB_LOG_WARN, "%s: %s", f->cfg->origin, err.msg);
                    break;
                }
                source_answered(h, f, src);
                hub_sync_answer(h, f, (int)s, tag, &rs);
                gs_response_clear(&rs);
            }
            while (gs_hub_peer_expire(src->peer, now, &tag) == 1)
                hub_sync_answer(h, f, (int)s, tag, NULL);
        }
        hub_recover_step(h, f, now);
        hub_waiters_expire(h, f, now);
    }
}

/* The Observations among own-log entries [from, to) that a refill brought
 * back: each is what this hub cosigned before it lost them, so the floor of
 * its log rises (hub/recover.c) before anything more is cosigned. The
 * entries were verified by the refill (signatures, rule book, the root the
 * hub's own key signed). */
static void recover_refilled(hub *h, uint64_t from, uint64_t to)
{
    for (uint64_t i = from; i < to; i++) {
        gs_buf e = {0};
        gs_statement st = {0};
        gs_signed_statement ss;
        gs_error err;
        if (gs_log_entry(h->own, i, &e, &err) == 0 &&
            gs_wire_decode_signed_statement(gs_bytes_of(e.p, e.n), &ss, &err) == 0 &&
            gs_wire_decode_statement(ss.statement, &st, &err) == 0 &&
            st.kind == GS_BODY_OBSERVATION)
            hub_recover_observed(h, st.u.observation.origin, st.u.observation.size,
                                 &st.u.observation.root);
        gs_statement_clear(&st);
        gs_buf_free(&e);
    }
}

/* Drives the own log's refill one turn. */
static long step_refill(hub *h, int64_t now)
{
    long next = 1000;
    gs_error err = {0};
    uint64_t before = gs_log_committed_size(h->own);
    gs_refill_event ev = gs_refill_step(h->refill, now, &next, &err);
    if (gs_log_committed_size(h->own) > before)
        recover_refilled(h, before, gs_log_committed_size(h->own));
    switch (ev) {
    case GS_REFILL_PROGRESS:
        hub_log(h, GS_HUB_LOG_INFO, "refill: own log %s holds %llu entries of %llu signed",
                h->cfg.origin, (unsigned long long)gs_log_committed_size(h->own),
                (unsigned long long)gs_refill_signed_size(h->refill));
        break;
    case GS_REFILL_DONE: {
        char *note = NULL;
        if (gs_log_latest_checkpoint(h->own, &note, &h->own_checkpoint_size, NULL) != 0)
            h->own_checkpoint_size = 0;
        free(note);
        hub_log(h, GS_HUB_LOG_INFO, "refill: own log %s holds %llu entries, everything it signed",
                h->cfg.origin, (unsigned long long)gs_log_committed_size(h->own));
        break;
    }
    case GS_REFILL_STUCK_EV: hub_log(h, GS_HUB_LOG_ERROR, "READ-ONLY: %s", err.msg); break;
    case GS_REFILL_WARN: hub_log(h, GS_HUB_LOG_WARN, "%s", err.msg); break;
    default: break;
    }
    return next;
}

static void push_witnesses(hub *h, int64_t now)
{
    h->witness_next_ms = step_refill(h, now);
    /* While the own log refills, nothing goes to its witnesses. */
    for (size_t i = 0; i < h->n_witnesses && !gs_refill_holding(h->refill); i++) {
        uint64_t size = 0;
        long next = 1000;
        gs_error err = {0};
        gs_witness_event ev = gs_witness_client_step(
            h->witnesses[i], h->own, h->own_checkpoint_size, now, &size, &next, &err);
        if (ev == GS_WITNESS_COSIGNED)
            hub_log(h, GS_HUB_LOG_INFO, "witness %s cosigned %s size %llu",
                    gs_witness_client_name(h->witnesses[i]), h->cfg.origin,
                    (unsigned long long)size);
        else if (ev == GS_WITNESS_FAILED)
            hub_log(h, GS_HUB_LOG_WARN, "%s", err.msg);
        else if (ev == GS_WITNESS_AHEAD) {
            char why[GS_VKEY_NAME_MAX + 32];
            snprintf(why, sizeof why, "witness %s", gs_witness_client_name(h->witnesses[i]));
            hub_log(h, GS_HUB_LOG_WARN,
                    "%s holds size %llu of %s, which holds %llu: the own log went back "
                    "(restored backup or lost WAL?); refilling it before anything is cosigned",
                    why, (unsigned long long)size, h->cfg.origin,
                    (unsigned long long)gs_log_committed_size(h->own));
            gs_refill_behind(h->refill, size, why, now);
        }
        if (next < h->witness_next_ms)
            h->witness_next_ms = next;
    }
    if (h->start_check_until_ms != 0)
        (void)own_hold(h); /* ends the start check once every witness answered */
}

static size_t build_items(hub *h)
{
    size_t need = 2 * GS_NET_MAX_ENDPOINTS + 1 + 2 * h->n_witnesses + 3;
    for (size_t i = 0; i < h->n_logs; i++)
        need += h->logs[i].n_sources;
    if (need > h->cap_items) {
        zmq_pollitem_t *p = realloc(h->items, need * sizeof *p);
        if (p == NULL)
            return gs_net_server_pollitems(h->server, h->items, h->cap_items);
        h->items = p;
        h->cap_items = need;
    }
    size_t n = gs_net_server_pollitems(h->server, h->items, GS_NET_MAX_ENDPOINTS + 1);
    n += gs_net_server_monitor_pollitems(h->server, h->items + n, GS_NET_MAX_ENDPOINTS);
    for (size_t i = 0; i < h->n_logs; i++)
        for (size_t s = 0; s < h->logs[i].n_sources; s++) {
            void *sock = gs_hub_peer_socket(h->logs[i].sources[s].peer);
            if (sock != NULL && gs_hub_peer_pending(h->logs[i].sources[s].peer) > 0)
                h->items[n++] = (zmq_pollitem_t){.socket = sock, .events = ZMQ_POLLIN};
        }
    for (size_t i = 0; i < h->n_witnesses && !gs_refill_holding(h->refill); i++) {
        void *sock = gs_witness_client_socket(h->witnesses[i]);
        if (sock != NULL)
            h->items[n++] = (zmq_pollitem_t){.socket = sock, .events = ZMQ_POLLIN};
    }
    if (n + h->n_witnesses <= h->cap_items)
        n += gs_refill_pollitems(h->refill, h->items + n, h->n_witnesses);
    if (h->http != NULL && n < h->cap_items)
        h->items[n++] = (zmq_pollitem_t){.fd = gs_http_fd(h->http), .events = ZMQ_POLLIN};
    if (h->sub != NULL && n + 1 < h->cap_items) {
        h->items[n++] = (zmq_pollitem_t){.socket = h->sub, .events = ZMQ_POLLIN};
        h->items[n++] = (zmq_pollitem_t){.socket = h->sub_monitor, .events = ZMQ_POLLIN};
    }
    return n;
}

static long next_timeout(hub *h, int64_t now)
{
    long t = 1000;
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        long due = (long)(f->next_poll_ms - now);
        bool polling = false;
        for (size_t s = 0; s < f->n_sources; s++) {
            long d = gs_hub_peer_next_deadline(f->sources[s].peer, now);
            if (d >= 0 && d < t)
                t = d;
            polling = polling || gs_hub_peer_has(f->sources[s].peer, HUB_TAG_POLL);
        }
        /* A hinted log is polled once its polls in flight answered (they
         * wake the loop themselves). */
        if (f->hinted && !polling && f->hint_after_ms - now < due)
            due = (long)(f->hint_after_ms - now);
        if (due < t && !h->polls_held)
            t = due;
    }
    /* Logs due but held back wait for a busy one to finish: its answers
     * wake the loop, and a sync may end without one. */
    if (h->polls_held && t > HUB_HELD_POLL_MS)
        t = HUB_HELD_POLL_MS;
    if (gs_log_committed_size(h->own) != h->own_checkpoint_size) {
        long due = (long)(h->last_checkpoint_ms + h->cfg.checkpoint_interval_ms - now);
        if (due < t)
            t = due;
    }
    if (h->witness_next_ms < t)
        t = h->witness_next_ms;
    if (h->start_check_until_ms != 0 && t > 100)
        t = 100; /* the start check ends on a deadline too */
    /* The memory guard runs every turn, and ZeroMQ wakes the poll only for
     * whole messages: an unfinished multipart message grows unseen, so the
     * loop turns at least as often as the guard looks (often only while a
     * client is connected: net.h). */
    if (h->cfg.max_memory_mib != 0) {
        long guard = gs_net_server_guard_ms(h->server);
        if (t > guard)
            t = guard;
    }
    if (h->http != NULL) {
        long ht = gs_http_timeout_ms(h->http);
        if (ht >= 0 && ht < t)
            t = ht;
    }
    return t < 0 ? 0 : t;
}

#define HUB_TURN_REQUESTS 256
#define HUB_TURN_MS 20

static int run(hub *h)
{
    int64_t watchdog_ms = 0;
    while (!gs_daemon_stopping()) {
        gs_daemon_watchdog(&watchdog_ms);
        if (gs_daemon_reload_requested()) {
            gs_daemon_notify_reloading();
            hub_reload(h);
            gs_daemon_notify("READY=1");
        }
        size_t n_items = build_items(h);
        int r = zmq_poll(h->items, (int)n_items, next_timeout(h, gs_daemon_now_ms()));
        if (r < 0 && errno != EINTR) {
            hub_log(h, GS_HUB_LOG_ERROR, "poll: %s", zmq_strerror(errno));
            return 1;
        }
        /* A turn answers at most HUB_TURN_REQUESTS requests and spends at
         * most HUB_TURN_MS on them, so a client flooding reads (or
         * AddCheckpoints) cannot hold back the syncs the sources feed, the
         * hub's own checkpoints, or a stop. */
        gs_net_request nrq;
        gs_error err;
        int64_t turn_end = gs_daemon_now_ms() + HUB_TURN_MS;
        for (int k = 0; k < HUB_TURN_REQUESTS && !gs_daemon_stopping(); k++) {
            if (gs_net_server_recv(h->server, &nrq, &err) <= 0)
                break;
            hub_take_request(h, &nrq);
            if (gs_daemon_now_ms() >= turn_end)
                break;
        }
        if (h->http != NULL)
            gs_http_run(h->http);
        size_t mib = 0;
        size_t ceiling = h->cfg.max_memory_mib;
#if defined(__SANITIZE_ADDRESS__)
        ceiling = ceiling == 0 ? 0 : GS_NET_MEMORY_CEILING_MIB; /* see net.h */
#endif
        int shed = gs_net_server_guard_memory(h->server, ceiling, &mib, &err);
        if (shed < 0) {
            hub_log(h, GS_HUB_LOG_ERROR, "cannot listen again after shedding: %s", err.msg);
            return 1;
        }
        if (shed > 0)
            hub_log(h, GS_HUB_LOG_WARN,
                    "memory at %zu MiB, above max_memory_mib %zu: shed every client connection "
                    "(what clients had queued is dropped; they reconnect)",
                    mib, ceiling);
        int64_t now = gs_daemon_now_ms();
        read_sources(h, now);
        hub_subscribe_read(h);
        poll_sources(h, now);
        maybe_checkpoint(h, false);
        push_witnesses(h, now);
        hub_webdata_step(h, now);
    }
    /* Batches are committed as they arrive; what a running sync fetched
     * above the cosigned size is cut back at the next start. The last
     * checkpoint covers every observation made. */
    for (size_t i = 0; i < h->n_logs; i++)
        hub_waiters_fail(h, &h->logs[i], true, 0, GS_STATUS_UNAVAILABLE, "the hub is stopping");
    maybe_checkpoint(h, true);
    return 0;
}

/* ------------------------------------------------------------ start */

typedef struct {
    followed *f;
    size_t bad; /* sources found bad */
} ev_scan;

/* Whether reason names endpoint as a whole (not the start of a longer
 * endpoint: tcp://h:80 is not tcp://h:8080), whatever punctuation the
 * sentence puts around it. */
static bool endpoint_char(const char *p)
{
    return (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           (*p != '\0' && strchr("._/-", *p) != NULL) || (*p == ':' && p[1] >= '0' && p[1] <= '9');
}

static bool names_endpoint(const char *reason, const char *endpoint)
{
    size_t n = strlen(endpoint);
    for (const char *p = reason; (p = strstr(p, endpoint)) != NULL; p++)
        if ((p == reason || (!endpoint_char(p - 1) && p[-1] != ':')) && !endpoint_char(p + n))
            return true;
    return false;
}

/* The evidence held about f, at start: kinds (a), (b), (d) freeze the
 * origin; kind (c) names the source that served entries that are not the
 * log, which stays bad (derived from the evidence, the one record of it). */
static int scan_evidence(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    (void)origin;
    followed *f = ((ev_scan *)ctx)->f;
    gs_statement st = {0};
    gs_error err;
    bool opened = gs_wire_open_entry(data, &st, &err) == 0 && st.kind == GS_BODY_EVIDENCE;
    if (opened && st.u.evidence.kind == GS_EVIDENCE_BAD_ENTRIES && st.u.evidence.reason != NULL)
        for (size_t s = 0; s < f->n_sources; s++)
            if (names_endpoint(st.u.evidence.reason, f->sources[s].cfg->endpoint) &&
                !f->sources[s].bad) {
                f->sources[s].bad = true;
                ((ev_scan *)ctx)->bad++;
            }
    if (opened && st.u.evidence.kind != GS_EVIDENCE_BAD_ENTRIES && !f->frozen) {
        f->frozen = true;
        char what[400];
        gs_evidence_describe(&st.u.evidence, what, sizeof what);
        snprintf(f->frozen_reason, sizeof f->frozen_reason, "evidence #%lld: %s", (long long)id,
                 what);
    }
    gs_statement_clear(&st);
    return 0;
}

void hub_keychain_changed(hub *h, followed *f)
{
    gs_vkey vk;
    gs_error err;
    f->current_key_str[0] = '\0';
    if (f->keychain.n > 1 &&
        (gs_keychain_vkey_for_size(&f->keychain, f->cosigned_size, &vk, &err) != 0 ||
         gs_vkey_format(&vk, f->current_key_str, sizeof f->current_key_str, &err) != 0)) {
        f->current_key_str[0] = '\0';
        hub_log(h, GS_HUB_LOG_ERROR, "%s: the current log key: %s", f->cfg->origin, err.msg);
    }
}

static int open_followed(hub *h, followed *f, gs_hub_followed *cfg, gs_error *err)
{
    f->cfg = cfg;
    f->next.source = -1;
    int rc = gs_vkey_format(&cfg->log_key, f->log_key_str, sizeof f->log_key_str, err);
    if (rc != 0)
        return rc;
    /* The anchor: the log's entries prove every later key (replay below). */
    if ((rc = gs_keychain_init(&f->keychain, cfg->origin, &cfg->log_key.key, err)) != 0)
        return rc;
    if ((rc = gs_log_open(&f->replica, h->store, cfg->origin, true, err)) != 0)
        return rc;
    char *note = NULL;
    uint64_t size = 0;
    rc = gs_log_latest_checkpoint(f->replica, &note, &size, err);
    if (rc == 0) {
        gs_checkpoint cp;
        /* Signed by a key the entries below its size make the log key:
         * checked once they are replayed. */
        if ((rc = hub_open_note(f, note, strlen(note), &cp, NULL, err)) != 0) {
            free(note);
            return gs_error_wrap(err, "the cosigned checkpoint of %s held in %s", cfg->origin,
                                 h->cfg.database);
        }
        gs_hash at;
        if (cp.size > gs_log_committed_size(f->replica) ||
            gs_log_root_at(f->replica, cp.size, &at, err) != 0 ||
            memcmp(at.b, cp.root.b, 32) != 0) {
            gs_checkpoint_clear(&cp);
            free(note);
            return gs_error_set(err, GS_ECORRUPT,
                                "the replica of %s in %s does not match the "
                                "checkpoint it cosigned: the database was altered",
                                cfg->origin, h->cfg.database);
        }
        f->cosigned_size = cp.size;
        f->cosigned_root = cp.root;
        f->cosigned_note = note;
        gs_checkpoint_clear(&cp);
    } else if (rc == GS_ENOTFOUND) {
        f->cosigned_size = 0;
        gs_merkle_empty_root(&f->cosigned_root);
    } else {
        return rc;
    }
    /* A sync interrupted by a stop or a crash left entries above the
     * cosigned size. They are never served; the next sync builds on them
     * only once a source proves them part of the log's signed tree and the
     * rule book accepts them again (SYNC_RESUMING), else cuts them back. */
    if (gs_log_committed_size(f->replica) > f->cosigned_size)
        hub_log(h, GS_HUB_LOG_INFO,
                "%s: keeping %llu entries of an interrupted sync (%llu..%llu), unserved until "
                "proven",
                cfg->origin,
                (unsigned long long)(gs_log_committed_size(f->replica) - f->cosigned_size),
                (unsigned long long)f->cosigned_size,
                (unsigned long long)gs_log_committed_size(f->replica) - 1);
    if ((rc = replay(h, f->replica, f->cosigned_size, &f->keychain, &f->ingest, err)) != 0)
        return rc;
    if (f->cosigned_note != NULL &&
        (rc = hub_verify_settled(&f->keychain, f->cosigned_note, f->cosigned_size, err)) != 0)
        return gs_error_wrap(err, "the cosigned checkpoint of %s held in %s", cfg->origin,
                             h->cfg.database);
    hub_keychain_changed(h, f);
    if (f->keychain.n > 1) {
        char fp[GS_KEY_FINGERPRINT_LEN];
        gs_key_fingerprint(gs_keychain_current(&f->keychain), fp);
        hub_log(h, GS_HUB_LOG_INFO,
                "%s: the log key was rotated %zu time%s since the key in hub.conf; it is now %s "
                "(rotation at index %llu)",
                cfg->origin, f->keychain.n - 1, f->keychain.n == 2 ? "" : "s", fp,
                (unsigned long long)(f->keychain.links[f->keychain.n - 1].from_size - 1));
    }
    int64_t now = gs_daemon_now_ms();
    if ((f->sources = calloc(cfg->n_sources, sizeof *f->sources)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    f->n_sources = cfg->n_sources;
    for (size_t s = 0; s < cfg->n_sources; s++) {
        hub_source *src = &f->sources[s];
        src->cfg = &cfg->sources[s];
        src->last_ok_ms = now;
        if ((rc = gs_hub_peer_open(&src->peer, h->zctx, src->cfg->endpoint, &src->cfg->key.key,
                                   &h->key, h->cfg.max_message + GS_NET_FRAME_SLACK, err)) != 0)
            return gs_error_wrap(err, "[log %s] source", cfg->origin);
    }
    ev_scan es = {f, 0};
    if ((rc = gs_store_list_evidence(h->store, cfg->origin, scan_evidence, &es, err)) != 0)
        return rc;
    for (size_t s = 0; s < f->n_sources; s++)
        if (f->sources[s].bad)
            hub_log(h, GS_HUB_LOG_WARN,
                    "%s: source %s is not synced from: evidence held shows it served entries "
                    "that are not the log",
                    cfg->origin, f->sources[s].cfg->endpoint);
    return hub_recover_open(h, f, err);
}

int hub_follow_open(hub *h, followed *f, gs_hub_followed *cfg, gs_error *err)
{
    return open_followed(h, f, cfg, err);
}

void hub_follow_close(followed *f)
{
    hub_sync_end(f);
    hub_target_clear(&f->next);
    free(f->waiters);
    free(f->cosigned_note);
    free(f->floor_note);
    free(f->refused_note);
    gs_ingest_free(&f->ingest);
    gs_keychain_clear(&f->keychain);
    for (size_t s = 0; s < f->n_sources; s++)
        gs_hub_peer_close(&f->sources[s].peer);
    free(f->sources);
    f->sources = NULL;
    f->n_sources = 0;
    gs_log_close(&f->replica);
}

static int open_publishers(hub *h, gs_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < h->cfg.n_publish && rc == 0; i++) {
        void *s = NULL;
        rc = gs_net_publisher_open(&s, h->zctx, h->cfg.publish[i], &h->key, 1000, err);
        if (rc == 0)
            h->pub[h->n_pub++] = s;
    }
    return rc;
}

/* ------------------------------------------------------------ HTTP */

/* The largest size of f the hub has seen signed by the log (polled from a
 * source, pushed by AddCheckpoint, or known cosigned before a restore):
 * what it would cosign if it held and had verified everything up to it. */
static uint64_t seen_size(const followed *f)
{
    uint64_t s = f->cosigned_size;
    if (f->sync.phase != SYNC_IDLE && f->sync.t.cp.size > s)
        s = f->sync.t.cp.size;
    if (f->next.text != NULL && f->next.cp.size > s)
        s = f->next.cp.size;
    if (f->failed_size > s)
        s = f->failed_size;
    if (f->floor_size > s)
        s = f->floor_size;
    return s;
}

uint64_t hub_seen_size(const followed *f)
{
    return seen_size(f);
}

/* One gauge per followed log; origins need no escaping in a label. */
static void per_log(FILE *out, const hub *h, const char *name, const char *help,
                    uint64_t (*value)(const followed *f))
{
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    for (size_t i = 0; i < h->n_logs; i++)
        fprintf(out, "%s{origin=\"%s\"} %llu\n", name, h->logs[i].cfg->origin,
                (unsigned long long)value(&h->logs[i]));
}

static uint64_t log_cosigned(const followed *f)
{
    return f->cosigned_size;
}

static uint64_t log_lag(const followed *f)
{
    return seen_size(f) - f->cosigned_size;
}

static uint64_t log_frozen(const followed *f)
{
    return f->frozen ? 1 : 0;
}

/* The hub's lines of /metrics (docs/http.md "Metrics and health"). */
static void hub_metrics(void *ctx, FILE *out)
{
    hub *h = ctx;
    size_t frozen = 0, recovering = 0, syncing = 0, waiters = 0;
    for (size_t i = 0; i < h->n_logs; i++) {
        frozen += h->logs[i].frozen;
        recovering += h->logs[i].recovering;
        syncing += h->logs[i].sync.phase != SYNC_IDLE;
        waiters += h->logs[i].n_waiters;
    }
    fprintf(out,
            "# HELP giamsat_hub_own_entries Entries in the hub's own log.\n"
            "# TYPE giamsat_hub_own_entries gauge\n"
            "giamsat_hub_own_entries{origin=\"%s\"} %llu\n"
            "# HELP giamsat_hub_own_checkpoint_size Size of the latest checkpoint of the hub's "
            "own log.\n"
            "# TYPE giamsat_hub_own_checkpoint_size gauge\n"
            "giamsat_hub_own_checkpoint_size{origin=\"%s\"} %llu\n",
            h->cfg.origin, (unsigned long long)gs_log_committed_size(h->own), h->cfg.origin,
            (unsigned long long)h->own_checkpoint_size);
    per_log(out, h, "giamsat_hub_log_entries",
            "Entries of a followed log the hub verified and cosigned (and serves).", log_cosigned);
    per_log(out, h, "giamsat_hub_sync_lag",
            "Largest size the log was seen to sign minus the size the hub cosigned.", log_lag);
    per_log(out, h, "giamsat_hub_log_frozen",
            "1 when evidence against the log is held (the hub cosigns nothing more of it).",
            log_frozen);
    fprintf(out,
            "# HELP giamsat_hub_cosignatures_given_total Checkpoints of followed logs the hub "
            "cosigned since the start.\n"
            "# TYPE giamsat_hub_cosignatures_given_total counter\n"
            "giamsat_hub_cosignatures_given_total %llu\n"
            "# HELP giamsat_hub_evidence Evidence items held in the hub's store.\n"
            "# TYPE giamsat_hub_evidence gauge\n"
            "giamsat_hub_evidence %llu\n"
            "# HELP giamsat_hub_evidence_recorded_total Evidence items recorded since the start.\n"
            "# TYPE giamsat_hub_evidence_recorded_total counter\n"
            "giamsat_hub_evidence_recorded_total %llu\n"
            "# HELP giamsat_hub_logs Followed logs, by state.\n"
            "# TYPE giamsat_hub_logs gauge\n"
            "giamsat_hub_logs{state=\"followed\"} %zu\n"
            "giamsat_hub_logs{state=\"frozen\"} %zu\n"
            "giamsat_hub_logs{state=\"recovering\"} %zu\n"
            "giamsat_hub_logs{state=\"syncing\"} %zu\n"
            "# HELP giamsat_hub_waiters AddCheckpoint requests waiting for a sync.\n"
            "# TYPE giamsat_hub_waiters gauge\n"
            "giamsat_hub_waiters %zu\n"
            "# HELP giamsat_hub_answers_dropped_total Answers dropped: their clients did not "
            "read.\n"
            "# TYPE giamsat_hub_answers_dropped_total counter\n"
            "giamsat_hub_answers_dropped_total %llu\n"
            "# HELP giamsat_hub_holding 1 while the own log is behind what the hub key signed "
            "(refilling; nothing cosigned).\n"
            "# TYPE giamsat_hub_holding gauge\n"
            "giamsat_hub_holding %d\n",
            (unsigned long long)h->cosigned_total,
            (unsigned long long)(h->evidence_held + h->evidence_total),
            (unsigned long long)h->evidence_total, h->n_logs, frozen, recovering, syncing, waiters,
            (unsigned long long)gs_net_server_dropped(h->server),
            gs_refill_holding(h->refill) ? 1 : 0);
    fprintf(out,
            "# HELP giamsat_hub_announcements_total Announcements heard on the SUB socket "
            "(subscribe), by result.\n"
            "# TYPE giamsat_hub_announcements_total counter\n"
            "giamsat_hub_announcements_total{result=\"taken\"} %llu\n"
            "giamsat_hub_announcements_total{result=\"dropped\"} %llu\n",
            (unsigned long long)h->hints_total, (unsigned long long)h->hints_dropped);
}

/* /healthz: 503 while the hub cannot do its work for a reason its operator
 * must see to (a failed write, its own log behind what its key signed);
 * 200 otherwise, naming logs in recovery or frozen by evidence: a hub that
 * holds evidence is doing its job, and one that recovers serves reads. */
static bool hub_health(void *ctx, char *why, size_t cap)
{
    hub *h = ctx;
    if (h->store_error[0] != '\0') {
        snprintf(why, cap, "cannot write its store: %s", h->store_error);
        return false;
    }
    if (gs_refill_holding(h->refill)) {
        snprintf(why, cap, "cosigning nothing: %s", gs_refill_status(h->refill));
        return false;
    }
    size_t frozen = 0, recovering = 0;
    for (size_t i = 0; i < h->n_logs; i++) {
        frozen += h->logs[i].frozen;
        recovering += h->logs[i].recovering;
    }
    if (recovering > 0 || frozen > 0)
        snprintf(why, cap,
                 "%zu of %zu logs recovering (cosigning nothing until their sources "
                 "answered), %zu frozen by evidence",
                 recovering, h->n_logs, frozen);
    return true;
}

static int count_evidence(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    (void)id;
    (void)origin;
    (void)data;
    (*(uint64_t *)ctx)++;
    return 0;
}

static int start_http(hub *h, gs_error *err)
{
    if (h->cfg.http == NULL)
        return 0;
    int rc = gs_store_list_evidence(h->store, NULL, count_evidence, &h->evidence_held, err);
    if (rc != 0)
        return rc;
    gs_http_config hc = {.listen = h->cfg.http, .name = "giamsat-hub"};
    if ((rc = gs_http_start(&h->http, &hc, err)) != 0)
        return gs_error_wrap(err, "[hub] http");
    gs_http_set_metrics(h->http, hub_metrics, h);
    gs_http_set_health(h->http, hub_health, h);
    /* HTTP routes (docs/http.md) */
    if ((rc = hub_tiles_start(h, err)) != 0)
        return rc;
    if ((rc = hub_witness_http_route(h, h->http, err)) != 0)
        return rc;
    if ((rc = hub_webdata_routes(h, h->http, err)) != 0)
        return rc;
    if ((rc = hub_webui_routes(h->http, err)) != 0)
        return rc;
    return rc;
}

static int start(hub *h, const char *config_path, gs_error *err)
{
    h->config_path = config_path;
    int rc = gs_hub_config_load(config_path, &h->cfg, err);
    if (rc != 0)
        return rc;
    hub_raise_fd_limit(h);
    /* One daemon per data folder, before its database or a socket is touched. */
    if ((rc = gs_daemon_lock(h->cfg.files, NULL, err)) != 0)
        return rc;
    if ((rc = gs_daemon_read_key(h->cfg.key_path, h->cfg.passphrase_file, &h->key, err)) != 0)
        return rc;
    if ((rc = gs_daemon_open_log(&h->store, &h->own, h->cfg.database, h->cfg.origin, "hub", err)) !=
        0)
        return rc;
    /* Before any pipeline is made: they check signatures on it. */
    if ((rc = gs_pool_new(&h->pool, h->cfg.verify_threads, err)) != 0)
        return rc;
    if ((rc = hub_recover_init(h, err)) != 0)
        return rc;
    if (h->cfg.n_logs > 0 && (h->observed = calloc(h->cfg.n_logs, sizeof *h->observed)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (size_t i = 0; i < h->cfg.n_logs; i++)
        h->observed[i].origin = h->cfg.logs[i].origin;
    if (h->cfg.n_logs > 1)
        qsort(h->observed, h->cfg.n_logs, sizeof *h->observed, hub_observed_cmp);
    if ((rc = replay(h, h->own, gs_log_committed_size(h->own), NULL, &h->own_ingest, err)) != 0)
        return rc;
    gs_pubkey log_key;
    if (gs_rules_log_key(gs_ingest_rules(h->own_ingest), &log_key) != 0 ||
        sodium_memcmp(log_key.b, h->key.pub.b, sizeof log_key.b) != 0)
        return gs_error_set(err, GS_EPERM, "key %s is not the log key of %s", h->cfg.key_path,
                            h->cfg.origin);
    char *note = NULL;
    if (gs_log_latest_checkpoint(h->own, &note, &h->own_checkpoint_size, NULL) != 0)
        h->own_checkpoint_size = 0;
    free(note);
    if ((h->zctx = zmq_ctx_new()) == NULL)
        return gs_error_set(err, GS_EIO, "zmq context: %s", zmq_strerror(errno));
    gs_net_server_config sc = {
        .endpoints = (const char *const *)h->cfg.listen,
        .n_endpoints = h->cfg.n_listen,
        .key = &h->key,
        .max_message = h->cfg.max_message,
        .public_read = h->cfg.public_read,
        .open_write = false,
        .writers = h->cfg.writers,
        .n_writers = h->cfg.n_writers,
    };
    if ((rc = gs_net_server_open(&h->server, h->zctx, &sc, err)) != 0)
        return rc;
    if ((rc = open_publishers(h, err)) != 0)
        return rc;
    if (h->cfg.n_logs > 0 && (h->logs = calloc(h->cfg.n_logs, sizeof *h->logs)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (size_t i = 0; i < h->cfg.n_logs; i++) {
        h->n_logs++;
        if ((rc = open_followed(h, &h->logs[i], &h->cfg.logs[i], err)) != 0)
            return rc;
    }
    if ((rc = hub_subscribe_open(h, err)) != 0)
        return rc;
    for (size_t i = 0; i < h->cfg.n_witnesses; i++) {
        if ((rc = gs_witness_client_new(&h->witnesses[i], h->zctx, h->cfg.witnesses[i].endpoint,
                                        &h->cfg.witnesses[i].key, &h->key,
                                        h->cfg.max_message + GS_NET_FRAME_SLACK, err)) != 0)
            return gs_error_wrap(err, "[witness]");
        h->refill_sources[i] = (gs_refill_source){.endpoint = h->cfg.witnesses[i].endpoint,
                                                  .key = &h->cfg.witnesses[i].key};
        h->n_witnesses++;
    }
    if ((h->marker_path = gs_refill_marker_path(h->cfg.files)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    gs_refill_config rc_cfg = {
        .zctx = h->zctx,
        .store = h->store,
        .log = h->own,
        .ingest = &h->own_ingest,
        .log_key = &h->key.pub,
        .client_key = &h->key,
        .sources = h->refill_sources,
        .n_sources = h->n_witnesses,
        .max_message = h->cfg.max_message,
        .marker_path = h->marker_path,
    };
    if ((rc = gs_refill_new(&h->refill, &rc_cfg, err)) != 0)
        return rc;
    if (h->n_witnesses > 0)
        h->start_check_until_ms = gs_daemon_now_ms() + HUB_START_CHECK_MS;
    h->last_checkpoint_ms = gs_daemon_now_ms();
    return start_http(h, err);
}

static void finish(hub *h)
{
    gs_http_free(&h->http);
    hub_webdata_stop(h); /* after the routes that read it; its thread reads the store */
    for (size_t i = 0; i < h->n_logs; i++)
        hub_follow_close(&h->logs[i]);
    free(h->logs);
    free(h->observed);
    free(h->marker_dir);
    gs_refill_free(&h->refill);
    free(h->marker_path);
    for (size_t i = 0; i < h->n_witnesses; i++)
        gs_witness_client_free(&h->witnesses[i]);
    for (size_t i = 0; i < h->n_pub; i++)
        zmq_close(h->pub[i]);
    hub_subscribe_close(h);
    gs_net_server_close(&h->server);
    if (h->zctx != NULL)
        zmq_ctx_term(h->zctx);
    free(h->items);
    gs_pool_free(&h->pool);
    gs_ingest_free(&h->own_ingest);
    hub_tiles_stop(h); /* after the HTTP face: no handler runs any more */
    gs_log_close(&h->own);
    gs_store_close(&h->store);
    gs_keypair_wipe(&h->key);
    gs_hub_config_clear(&h->cfg);
}

static const char usage[] =
    "usage: giamsat-hub --config DIR/hub.conf\n"
    "\n"
    "Follows the logs named in the configuration: fetches and verifies every entry,\n"
    "cosigns checkpoints only once it holds and has verified everything up to them,\n"
    "serves the replicas, records evidence of any fork, rewrite or rollback in its\n"
    "own log, and publishes checkpoint/<origin> and alert/<origin> events.\n"
    "\n"
    "  --config FILE   the hub's configuration, as written by `giamsat hub init`\n"
    "                  and extended by `giamsat hub follow`\n"
    "  --help          this text\n"
    "  --version       the program's version\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT. On SIGHUP reads its configuration again\n"
    "and applies it while it runs (followed logs, witnesses, access, levels), one\n"
    "log line per change. Exit status: 0 clean stop, 1 runtime failure, 2 bad\n"
    "configuration or environment.\n";

int main(int argc, char **argv)
{
    const char *config = NULL;
    int exit_status = gs_daemon_init(argc, argv, "giamsat-hub", usage, &config);
    if (exit_status >= 0)
        return exit_status;
    gs_error err = {0};

    hub h = {0};
    int status = 0;
    if (start(&h, config, &err) != 0) {
        hub_log(NULL, GS_HUB_LOG_ERROR, "cannot start: %s", err.msg);
        status = 2;
    } else {
        hub_log(&h, GS_HUB_LOG_INFO, "hub %s: own log size %llu, following %zu log(s)",
                h.cfg.origin, (unsigned long long)gs_log_committed_size(h.own), h.n_logs);
        for (size_t i = 0; i < h.n_logs; i++)
            hub_log(&h, GS_HUB_LOG_INFO, "following %s: cosigned size %llu%s%s",
                    h.logs[i].cfg->origin, (unsigned long long)h.logs[i].cosigned_size,
                    h.logs[i].frozen ? ", FROZEN: " : "", h.logs[i].frozen_reason);
        for (size_t i = 0; i < h.cfg.n_listen; i++)
            hub_log(&h, GS_HUB_LOG_INFO, "listening on %s", h.cfg.listen[i]);
        for (size_t i = 0; i < h.cfg.n_publish; i++)
            hub_log(&h, GS_HUB_LOG_INFO, "publishing on %s", h.cfg.publish[i]);
        if (h.http != NULL)
            hub_log(&h, GS_HUB_LOG_INFO, "HTTP on %s (port %u)", h.cfg.http, gs_http_port(h.http));
        if (gs_refill_holding(h.refill))
            hub_log(&h, GS_HUB_LOG_WARN, "%s", gs_refill_status(h.refill));
        gs_daemon_notify("READY=1");
        status = run(&h);
        gs_daemon_notify("STOPPING=1");
        hub_log(&h, GS_HUB_LOG_INFO, "stopped: %llu cosigned, %llu evidence, own log size %llu",
                (unsigned long long)h.cosigned_total, (unsigned long long)h.evidence_total,
                (unsigned long long)gs_log_committed_size(h.own));
    }
    finish(&h);
    return status;
}
