/* serve.c — giamsat-hub answers requests: AddCheckpoint with C2SP
 * tlog-witness semantics, GetEvidence, and the read path for its own log
 * and its replicas (common/serve: the same code as the node's). A replica is
 * served up to the size the hub cosigned, never what a running sync fetched
 * above it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "hub.h"
#include "merkle.h"
#include "serve.h"

static followed *find_followed(hub *h, const char *origin)
{
    for (size_t i = 0; i < h->n_logs; i++)
        if (strcmp(h->logs[i].cfg->origin, origin) == 0)
            return &h->logs[i];
    return NULL;
}

/* ------------------------------------------------------------ waiters */

static void answer_waiter(hub *h, const hub_waiter *w, gs_response *rs)
{
    rs->id = w->request_id;
    hub_send_response(h, w->socket, w->identity, w->identity_len, rs);
}

static void remove_waiter(followed *f, size_t i)
{
    f->waiters[i] = f->waiters[f->n_waiters - 1];
    f->n_waiters--;
}

int hub_own_cosignature(hub *h, const char *note_text, char **line, gs_error *err)
{
    gs_note *n = NULL;
    *line = NULL;
    int rc = gs_note_parse(note_text, strlen(note_text), &n, err);
    if (rc != 0)
        return rc;
    rc = gs_error_set(err, GS_ENOTFOUND, "no cosignature by %s on the held note", h->cfg.origin);
    for (size_t i = 0; i < gs_note_sig_count(n); i++) {
        const gs_note_sig *s = gs_note_sig_at(n, i);
        if (strcmp(s->name, h->cfg.origin) == 0) {
            *line = malloc(s->line_len + 2);
            if (*line == NULL) {
                rc = gs_error_set(err, GS_ENOMEM, "out of memory");
                break;
            }
            memcpy(*line, s->line, s->line_len);
            (*line)[s->line_len] = '\n';
            (*line)[s->line_len + 1] = '\0';
            rc = 0;
            break;
        }
    }
    gs_note_free(&n);
    return rc;
}

/* Answers every waiter of f whose checkpoint is now settled: the one at the
 * cosigned size and root gets the cosignature; a smaller or different one is
 * told the hub's size (CONFLICT, as tlog-witness does). */
void hub_waiters_settle(hub *h, followed *f)
{
    char *line = NULL;
    gs_error err;
    if (f->cosigned_note != NULL && hub_own_cosignature(h, f->cosigned_note, &line, &err) != 0)
        line = NULL;
    for (size_t i = 0; i < f->n_waiters;) {
        hub_waiter *w = &f->waiters[i];
        if (w->size > f->cosigned_size) {
            i++;
            continue;
        }
        gs_response rs = {.code = GS_STATUS_OK, .message = ""};
        if (w->size == f->cosigned_size && line != NULL &&
            memcmp(w->root.b, f->cosigned_root.b, 32) == 0) {
            rs.result = GS_RESULT_COSIGNATURE;
            rs.u.cosignature = line;
        } else {
            rs.code = GS_STATUS_CONFLICT;
            rs.message = "the hub has cosigned a larger size meanwhile";
            rs.result = GS_RESULT_CONFLICT;
            rs.u.conflict_size = f->cosigned_size;
        }
        answer_waiter(h, w, &rs);
        remove_waiter(f, i);
    }
    free(line);
}

void hub_waiters_fail(hub *h, followed *f, bool all, uint64_t size, gs_status_code code,
                      const char *message)
{
    for (size_t i = 0; i < f->n_waiters;) {
        if (all || f->waiters[i].size == size) {
            gs_response rs = {.code = code, .message = (char *)message};
            answer_waiter(h, &f->waiters[i], &rs);
            remove_waiter(f, i);
        } else {
            i++;
        }
    }
}

void hub_waiters_expire(hub *h, followed *f, int64_t now)
{
    for (size_t k = 0; k < f->n_waiters;) {
        hub_waiter *w = &f->waiters[k];
        if (w->deadline_ms <= now) {
            hub_send_status(h, w->socket, w->identity, w->identity_len, w->request_id,
                            GS_STATUS_UNAVAILABLE,
                            "the hub is still fetching and verifying the entries: retry later");
            remove_waiter(f, k);
        } else {
            k++;
        }
    }
}

/* AddCheckpoint with C2SP tlog-witness semantics. Returns true when the
 * reply is deferred until a sync ends. */
static bool add_checkpoint(hub *h, const gs_net_request *nrq, gs_request *rq, gs_response *rs,
                           char *msg, size_t cap)
{
    const char *text = rq->u.add_checkpoint.checkpoint;
    size_t len = text != NULL ? strlen(text) : 0;
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    gs_error err;
    followed *f = NULL;
    uint64_t old = rq->u.add_checkpoint.old_size;
    bool deferred = false;

    rs->code = GS_STATUS_INVALID_ARGUMENT;
    rs->message = msg;
    if (gs_note_parse(text != NULL ? text : "", len, &n, &err) != 0) {
        snprintf(msg, cap, "the checkpoint is not a signed note: %s", err.msg);
        goto out;
    }
    size_t tlen;
    const char *body = gs_note_text(n, &tlen);
    if (gs_checkpoint_parse(body, tlen, &cp, &err) != 0) {
        snprintf(msg, cap, "the note is not a checkpoint: %s", err.msg);
        goto out;
    }
    f = find_followed(h, cp.origin);
    if (f == NULL) {
        snprintf(msg, cap,
                 "hub %s does not follow %s: ask its operator to add it with `giamsat "
                 "hub follow`",
                 h->cfg.origin, cp.origin);
        rs->code = GS_STATUS_NOT_FOUND;
        goto out;
    }
    if (gs_note_verify(n, &f->cfg->log_key, 1, NULL, NULL, &err) != 0) {
        snprintf(msg, cap, "the checkpoint is not signed by the log key of %s: %s", cp.origin,
                 err.msg);
        rs->code = GS_STATUS_UNAUTHENTICATED;
        goto out;
    }
    if (f->frozen) {
        snprintf(msg, cap,
                 "hub %s holds evidence against %s (%.400s) and cosigns nothing further "
                 "for it; see GetEvidence",
                 h->cfg.origin, cp.origin, f->frozen_reason);
        rs->code = GS_STATUS_PERMISSION_DENIED;
        goto out;
    }
    /* The very checkpoint already cosigned (e.g. found by polling before it
     * was pushed): answer with the cosignature whatever old size the pusher
     * assumed, so a witness client that learnt our size from a CONFLICT
     * still collects the line. */
    if (cp.size == f->cosigned_size && f->cosigned_note != NULL &&
        memcmp(cp.root.b, f->cosigned_root.b, 32) == 0) {
        char *line = NULL;
        if (hub_own_cosignature(h, f->cosigned_note, &line, &err) != 0) {
            snprintf(msg, cap, "%s", err.msg);
            rs->code = GS_STATUS_INTERNAL;
            goto out;
        }
        rs->code = GS_STATUS_OK;
        rs->message = "";
        rs->result = GS_RESULT_COSIGNATURE;
        rs->u.cosignature = line; /* freed by the caller */
        goto out;
    }
    if (cp.size < old) {
        snprintf(msg, cap, "old size %llu is larger than the checkpoint's size %llu",
                 (unsigned long long)old, (unsigned long long)cp.size);
        goto out;
    }
    if (old != f->cosigned_size) {
        snprintf(msg, cap,
                 "hub %s has cosigned %s at size %llu, not %llu: resend with a proof "
                 "from there",
                 h->cfg.origin, cp.origin, (unsigned long long)f->cosigned_size,
                 (unsigned long long)old);
        rs->code = GS_STATUS_CONFLICT;
        rs->result = GS_RESULT_CONFLICT;
        rs->u.conflict_size = f->cosigned_size;
        goto out;
    }
    /* The same size with another root (the same root was answered above). */
    if (cp.size == f->cosigned_size && f->cosigned_note != NULL) {
        hub_fault_split_view(h, f, f->cosigned_note, text, "an AddCheckpoint");
        hub_sync_stop_if_frozen(h, f);
        snprintf(msg, cap,
                 "this checkpoint and the one hub %s cosigned at size %llu have "
                 "different roots: recorded as evidence of a split view",
                 h->cfg.origin, (unsigned long long)cp.size);
        rs->code = GS_STATUS_CONFLICT;
        goto out;
    }
    if (old > 0) {
        if (gs_merkle_verify_consistency(old, cp.size, &f->cosigned_root, &cp.root,
                                         rq->u.add_checkpoint.proof, rq->u.add_checkpoint.n_proof,
                                         &err) != 0) {
            if (hub_fault_split_view_proof(h, f, f->cosigned_note, old, &f->cosigned_root, text,
                                           cp.size, &cp.root, rq->u.add_checkpoint.proof,
                                           rq->u.add_checkpoint.n_proof)) {
                snprintf(msg, cap,
                         "the log rewrote entries below size %llu: recorded as "
                         "evidence",
                         (unsigned long long)old);
                hub_sync_stop_if_frozen(h, f);
                rs->code = GS_STATUS_CONFLICT;
            } else {
                snprintf(msg, cap, "the consistency proof from %llu to %llu does not verify: %s",
                         (unsigned long long)old, (unsigned long long)cp.size, err.msg);
            }
            goto out;
        }
    }
    if (cp.size == 0) {
        snprintf(msg, cap, "a checkpoint of an empty log holds nothing to cosign");
        goto out;
    }
    if (f->n_waiters >= HUB_MAX_WAITERS) {
        snprintf(msg, cap, "too many AddCheckpoint requests for %s are waiting; retry later",
                 cp.origin);
        rs->code = GS_STATUS_RESOURCE_EXHAUSTED;
        goto out;
    }
    /* Defer: answer once the entries are held and verified. */
    hub_waiter *ws = realloc(f->waiters, (f->n_waiters + 1) * sizeof *ws);
    if (ws == NULL) {
        snprintf(msg, cap, "out of memory");
        rs->code = GS_STATUS_RESOURCE_EXHAUSTED;
        goto out;
    }
    f->waiters = ws;
    hub_waiter *w = &f->waiters[f->n_waiters++];
    w->socket = nrq->socket;
    memcpy(w->identity, nrq->identity, nrq->identity_len);
    w->identity_len = nrq->identity_len;
    w->request_id = rq->id;
    w->size = cp.size;
    w->root = cp.root;
    w->deadline_ms = gs_daemon_now_ms() + HUB_WAITER_TIMEOUT_MS;
    deferred = true;
    hub_sync_consider(h, f, text, len, &cp, -1, "an AddCheckpoint");
out:
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return deferred;
}

typedef struct {
    gs_buf *items;
    size_t n, cap, bytes, budget;
} ev_list;

static int collect_evidence(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    (void)id;
    (void)origin;
    ev_list *l = ctx;
    if (l->bytes + data.n + 16 > l->budget)
        return 1; /* the reply must fit one frame */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        gs_buf *p = realloc(l->items, cap * sizeof *p);
        if (p == NULL)
            return 1;
        l->items = p;
        l->cap = cap;
    }
    gs_buf *b = &l->items[l->n];
    b->p = malloc(data.n ? data.n : 1);
    if (b->p == NULL)
        return 1;
    memcpy(b->p, data.p, data.n);
    b->n = data.n;
    l->n++;
    l->bytes += data.n + 16;
    return 0;
}

/* The read path: the hub's own log up to its committed size, a replica up
 * to its cosigned size. */
static void serve_read(hub *h, const gs_net_request *nrq, const gs_request *rq)
{
    const char *origin = rq->origin != NULL ? rq->origin : "";
    char server[GS_MAX_ORIGIN + 8];
    snprintf(server, sizeof server, "hub %s", h->cfg.origin);
    gs_serve_log src = {.budget = h->cfg.max_message / 2, .server = server};
    if (origin[0] == '\0' || strcmp(origin, h->cfg.origin) == 0) {
        src.log = h->own;
        src.limit = gs_log_committed_size(h->own);
        src.default_size = h->own_checkpoint_size;
    } else {
        followed *f = find_followed(h, origin);
        char msg[HUB_MSG_MAX];
        if (f == NULL || (rq->op == GS_OP_GET_CHECKPOINT && f->cosigned_note == NULL)) {
            if (f == NULL)
                snprintf(msg, sizeof msg, "hub %s does not follow %s", h->cfg.origin, origin);
            else
                snprintf(msg, sizeof msg, "hub %s has not cosigned %s yet", h->cfg.origin, origin);
            hub_send_status(h, nrq->socket, nrq->identity, nrq->identity_len, rq->id,
                            GS_STATUS_NOT_FOUND, msg);
            return;
        }
        src.log = f->replica;
        src.limit = f->cosigned_size;
        src.default_size = f->cosigned_size;
        src.checkpoint = f->cosigned_note;
    }
    gs_serve_reply reply;
    gs_error err = {0};
    if (gs_serve_read(&src, rq, &reply, &err) != 0)
        hub_log(h, GS_HUB_LOG_ERROR, "%s", err.msg);
    hub_send_response(h, nrq->socket, nrq->identity, nrq->identity_len, &reply.rs);
    gs_serve_reply_clear(&reply);
}

static void serve(hub *h, const gs_net_request *nrq, gs_request *rq)
{
    gs_response rs = {.id = rq->id, .code = GS_STATUS_OK, .message = ""};
    char msg[HUB_MSG_MAX];
    gs_error err = {0};
    char *line = NULL;
    ev_list evl = {0};

    if (gs_serve_is_read(rq->op)) {
        serve_read(h, nrq, rq);
        return;
    }
    switch (rq->op) {
    case GS_OP_ADD_CHECKPOINT:
        if (add_checkpoint(h, nrq, rq, &rs, msg, sizeof msg))
            return;
        if (rs.result == GS_RESULT_COSIGNATURE)
            line = rs.u.cosignature;
        break;
    case GS_OP_SUBMIT:
        rs.code = GS_STATUS_INVALID_ARGUMENT;
        rs.message = "hubs do not take statements: submit to the unit's node";
        break;
    case GS_OP_GET_EVIDENCE: {
        const char *o = rq->origin != NULL && rq->origin[0] ? rq->origin : NULL;
        evl.budget = h->cfg.max_message / 2;
        if (gs_store_list_evidence(h->store, o, collect_evidence, &evl, &err) < 0) {
            snprintf(msg, sizeof msg, "%s", err.msg);
            rs.code = gs_status_from_error(err.code);
            rs.message = msg;
            break;
        }
        rs.result = GS_RESULT_EVIDENCE;
        rs.u.evidence.items = evl.items;
        rs.u.evidence.n = evl.n;
        break;
    }
    default:
        snprintf(msg, sizeof msg, "a hub does not serve this operation (nodes do)");
        rs.code = GS_STATUS_INVALID_ARGUMENT;
        rs.message = msg;
        break;
    }
    hub_send_response(h, nrq->socket, nrq->identity, nrq->identity_len, &rs);
    for (size_t i = 0; i < evl.n; i++)
        gs_buf_free(&evl.items[i]);
    free(evl.items);
    free(line);
}

void hub_take_request(hub *h, const gs_net_request *nrq)
{
    gs_request rq = {0};
    gs_error err = {0};
    char msg[HUB_MSG_MAX];
    if (gs_wire_decode_request(nrq->payload, h->cfg.max_message, &rq, &err) != 0) {
        bool too_big = err.code == GS_ETOOBIG;
        snprintf(msg, sizeof msg, "%s: %s", too_big ? "request too large" : "malformed request",
                 err.msg);
        hub_send_status(h, nrq->socket, nrq->identity, nrq->identity_len, 0,
                        too_big ? GS_STATUS_RESOURCE_EXHAUSTED : GS_STATUS_INVALID_ARGUMENT, msg);
        return;
    }
    serve(h, nrq, &rq);
    gs_request_clear(&rq);
}
