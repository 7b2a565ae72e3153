/* serve.c — giamsat-hub answers requests: AddCheckpoint with C2SP
 * tlog-witness semantics (hub_add_checkpoint, also behind the HTTP POST
 * /add-checkpoint of witness_http.c), GetEvidence, and the read path for
 * its own log and its replicas (common/serve: the same code as the node's).
 * A replica is served up to the size the hub cosigned, never what a running
 * sync fetched above it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosign.h"
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

void hub_waiter_answer(hub *h, const hub_waiter *w, gs_response *rs)
{
    if (w->http != NULL) {
        hub_witness_http_answer(h, w->http, rs);
        return;
    }
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
        hub_waiter_answer(h, w, &rs);
        remove_waiter(f, i);
    }
    free(line);
}

void hub_waiters_fail(hub *h, followed *f, bool all, uint64_t size, gs_status_code code,
                      const char *message)
{
    for (size_t i = 0; i < f->n_waiters;) {
        if (all || f->waiters[i].size == size) {
            gs_response rs = {.code = code, .message = message};
            hub_waiter_answer(h, &f->waiters[i], &rs);
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
            gs_response rs = {
                .code = GS_STATUS_UNAVAILABLE,
                .message = "the hub is still fetching and verifying the entries: retry later"};
            hub_waiter_answer(h, w, &rs);
            remove_waiter(f, k);
        } else {
            k++;
        }
    }
}

/* The hub as a witness, for cosign.h's check. */
static int witness_log_key(void *ctx, const char *origin, gs_vkey *key, gs_error *err)
{
    hub *h = ctx;
    followed *f = find_followed(h, origin);
    if (f == NULL)
        return gs_error_set(err, GS_ENOTFOUND,
                            "hub %s does not follow %s: ask its operator to add it with `giamsat "
                            "hub follow`",
                            h->cfg.origin, origin);
    *key = f->cfg->log_key;
    return 0;
}

/* The log's signature through the chain of its keys: the key for the
 * checkpoint's size; a key the chain has not seen yet above what it observed
 * defers to the sync like a size not seen yet (hub_open_note). */
static int witness_verify_note(void *ctx, const gs_note *note, const gs_checkpoint *cp,
                               gs_error *err)
{
    followed *f = find_followed(ctx, cp->origin);
    if (f == NULL)
        return gs_error_set(err, GS_ENOTFOUND, "not followed");
    return hub_verify_note(f, note, cp->size, NULL, err);
}

static bool witness_frozen(void *ctx, const char *origin, char *why, size_t cap)
{
    followed *f = find_followed(ctx, origin);
    if (f == NULL || !f->frozen)
        return false;
    snprintf(why, cap, "%.400s; see GetEvidence", f->frozen_reason);
    return true;
}

/* What the hub knows it cosigned: after a restore, more than its replica
 * holds (recover.c), so a client is told that size. */
static int witness_latest(void *ctx, const char *origin, uint64_t *size, gs_hash *root,
                          gs_error *err)
{
    (void)err;
    followed *f = find_followed(ctx, origin);
    *size = f != NULL ? hub_known_size(f, root) : 0;
    return 0;
}

/* AddCheckpoint, from either door: the one witness-side check
 * (common/cosign.h, shared with the monitor), then the hub's part —
 * evidence for a split view or a rewrite, and for a consistent checkpoint a
 * deferred answer once the entries are held and verified (DESIGN principle
 * 5). Returns true when the request waits. */
bool hub_add_checkpoint(hub *h, const hub_waiter *from, const char *text, uint64_t old,
                        const gs_hash *proof, size_t np, gs_response *rs,
                        gs_cosign_verdict *verdict, char *msg, size_t cap)
{
    char name[GS_MAX_ORIGIN + 8];
    gs_cosign_result r = {0};
    gs_error err = {0};
    bool deferred = false;
    followed *f = NULL;

    snprintf(name, sizeof name, "hub %s", h->cfg.origin);
    gs_cosign_witness w = {.log_key = witness_log_key,
                           .verify_note = witness_verify_note,
                           .frozen = witness_frozen,
                           .latest = witness_latest,
                           .ctx = h,
                           .name = name};
    rs->message = msg;
    *verdict = GS_COSIGN_BAD_REQUEST;
    for (int pass = 0; pass < 2; pass++) {
        gs_cosign_result_clear(&r);
        if (gs_cosign_judge(&w, text, old, proof, np, &r, &err) != 0) {
            snprintf(msg, cap, "%s", err.msg);
            rs->code = GS_STATUS_INTERNAL;
            goto out;
        }
        if (r.verdict == GS_COSIGN_BAD_REQUEST || r.verdict == GS_COSIGN_UNKNOWN_LOG ||
            r.verdict == GS_COSIGN_BAD_SIGNATURE || r.verdict == GS_COSIGN_FROZEN)
            break;
        /* A note carrying the hub's own verified cosignature tells what the
         * hub cosigned (recover.c); judged again when it says more. */
        f = find_followed(h, r.cp.origin);
        gs_hash known_root;
        uint64_t known = hub_known_size(f, &known_root);
        hub_recover_note(h, f, text, strlen(text), &r.cp, "an AddCheckpoint");
        if (hub_known_size(f, &known_root) == known)
            break;
    }
    if (r.verdict != GS_COSIGN_BAD_REQUEST && r.verdict != GS_COSIGN_UNKNOWN_LOG)
        f = find_followed(h, r.cp.origin);
    /* A note by a key the chain has not seen passed the signature step only
     * because a rotation in the entries above the hub's size may have made
     * it; one that comes with a proof that does not hold is nothing the log
     * is known to have said: refused as unsigned, as before a rotation. */
    if (f != NULL && (r.verdict == GS_COSIGN_BAD_PROOF || r.verdict == GS_COSIGN_REWRITE) &&
        gs_keychain_verify_note(&f->keychain, r.note, r.cp.size, &err) != 0) {
        r.verdict = GS_COSIGN_BAD_SIGNATURE;
        snprintf(r.message, sizeof r.message, "the checkpoint is not signed by the log key: %.400s",
                 err.msg);
    }
    rs->code = gs_cosign_status(r.verdict);
    *verdict = r.verdict;
    snprintf(msg, cap, "%s", r.message);
    if (r.verdict == GS_COSIGN_BAD_SIGNATURE && f != NULL && f->keychain.n > 1)
        /* After a rotation a refused signature may be the retired key at
         * work, which the operator must hear of (D4: never evidence). */
        hub_log(h, GS_HUB_LOG_WARN, "%s: refused an AddCheckpoint: %s", f->cfg->origin, r.message);
    /* Recovering, the hub signs nothing new (a PROCEED, or a SAME it no
     * longer holds); what it knows already it says: a CONFLICT names the
     * largest size it knows it cosigned (the floor included), which is what a
     * node's start check asks (common/witness.h), and a proof of a split
     * view or a rewrite needs no more than the log's own signatures. */
    if (f != NULL && f->recovering &&
        (r.verdict == GS_COSIGN_PROCEED ||
         (r.verdict == GS_COSIGN_SAME && f->cosigned_size < r.cp.size))) {
        snprintf(msg, cap,
                 "hub %s is recovering what it cosigned for %s after a start (asking its "
                 "sources): retry in a few seconds",
                 h->cfg.origin, f->cfg->origin);
        rs->code = GS_STATUS_UNAVAILABLE;
        goto out;
    }
    const char *known_note = NULL;
    if (f != NULL && r.verdict != GS_COSIGN_BAD_REQUEST)
        known_note = hub_known_note(f, r.latest_size);
    switch (r.verdict) {
    case GS_COSIGN_SAME:
        if (f->cosigned_size < r.cp.size)
            break; /* cosigned before, no longer held: synced again first */
        {
            /* The very checkpoint already cosigned (e.g. found by polling before
             * it was pushed). */
            char *line = NULL;
            if (hub_own_cosignature(h, f->cosigned_note, &line, &err) != 0) {
                snprintf(msg, cap, "%s", err.msg);
                rs->code = GS_STATUS_INTERNAL;
                goto out;
            }
            rs->message = "";
            rs->result = GS_RESULT_COSIGNATURE;
            rs->u.cosignature = line; /* freed by the caller */
            goto out;
        }
    case GS_COSIGN_CONFLICT:
        rs->result = GS_RESULT_CONFLICT;
        rs->u.conflict_size = r.latest_size;
        goto out;
    case GS_COSIGN_SPLIT_VIEW:
        if (known_note == NULL) {
            /* Known from the hub's marker or own log only: its own word is
             * no proof against the log. */
            snprintf(msg, cap,
                     "%s; no evidence recorded: hub %s holds no note the log signed at that size",
                     r.message, h->cfg.origin);
            goto out;
        }
        if (r.cp.size > f->keychain.next_index && !hub_same_signer(f, known_note, text, &err)) {
            /* Above the entries the hub followed: the signer may be a key
             * a rotation retired (docs/architecture.md, "Following the log key"). */
            snprintf(msg, cap, "%s; not evidence: %s (%s)", r.message,
                     "the note is not signed by the key that signed the one the hub cosigned",
                     err.msg);
            goto out;
        }
        hub_fault_split_view(h, f, known_note, text, "an AddCheckpoint");
        hub_sync_stop_if_frozen(h, f);
        snprintf(msg, cap, "%s: recorded as evidence of a split view", r.message);
        goto out;
    case GS_COSIGN_REWRITE:
        if (known_note == NULL) {
            snprintf(msg, cap,
                     "%s; no evidence recorded: hub %s holds no note the log signed at size %llu",
                     r.message, h->cfg.origin, (unsigned long long)old);
            goto out;
        }
        /* The note is above the entries the hub followed, so whether its
         * signer is the log key for its size is not known yet (a rotation
         * in them may have retired it, and a retired key may have leaked):
         * no evidence from it alone. The hub fetches those entries as for
         * any larger checkpoint; if the log rewrote its history, the sync
         * finds the node that differs and records that (sync.c). */
        snprintf(msg, cap,
                 "%s; the hub fetches the entries up to size %llu to check it, and records "
                 "evidence only once it holds them",
                 r.message, (unsigned long long)r.cp.size);
        hub_sync_consider(h, f, text, strlen(text), &r.cp, -1, "an AddCheckpoint");
        goto out;
    case GS_COSIGN_PROCEED: break;
    default: goto out;
    }
    if (f->n_waiters >= HUB_MAX_WAITERS) {
        snprintf(msg, cap, "too many AddCheckpoint requests for %s are waiting; retry later",
                 r.cp.origin);
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
    hub_waiter *wt = &f->waiters[f->n_waiters++];
    *wt = *from;
    wt->size = r.cp.size;
    wt->root = r.cp.root;
    wt->deadline_ms = gs_daemon_now_ms() + HUB_WAITER_TIMEOUT_MS;
    deferred = true;
    hub_sync_consider(h, f, text, strlen(text), &r.cp, -1, "an AddCheckpoint");
out:
    gs_cosign_result_clear(&r);
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
        src.keychain = &f->keychain; /* followed up to the cosigned size */
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
    case GS_OP_ADD_CHECKPOINT: {
        hub_waiter from = {
            .socket = nrq->socket, .identity_len = nrq->identity_len, .request_id = rq->id};
        memcpy(from.identity, nrq->identity, nrq->identity_len);
        const char *text =
            rq->u.add_checkpoint.checkpoint != NULL ? rq->u.add_checkpoint.checkpoint : "";
        gs_cosign_verdict verdict;
        if (hub_add_checkpoint(h, &from, text, rq->u.add_checkpoint.old_size,
                               rq->u.add_checkpoint.proof, rq->u.add_checkpoint.n_proof, &rs,
                               &verdict, msg, sizeof msg))
            return;
        if (rs.result == GS_RESULT_COSIGNATURE)
            line = gs_wire_take(rs.u.cosignature);
        break;
    }
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
    gs_status_code status;
    char msg[HUB_MSG_MAX];
    if (!gs_serve_decode(nrq->payload, h->cfg.max_message, &rq, &status, msg, sizeof msg)) {
        hub_send_status(h, nrq->socket, nrq->identity, nrq->identity_len, 0, status, msg);
        return;
    }
    serve(h, nrq, &rq);
    gs_request_clear(&rq);
}
