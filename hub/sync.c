/* sync.c — giamsat-hub follows logs: checkpoints from polling and from
 * AddCheckpoint, the sync state machine of hub.h, cosigning, and the
 * AddCheckpoints waiting for a sync (DESIGN §5 flow 3).
 *
 * A sync of origin O toward a log-signed checkpoint C (size n, root r) from
 * source S streams: GetEntries in batches (HUB_SYNC_WINDOW in flight, so
 * the source reads the next batch while the hub verifies this one); each
 * batch is signature-checked on the worker pool, appended durably to the
 * replica, then judged in order by the rule book on a CLONE of O's rule
 * state (sync_judge_batch). Memory stays flat whatever the log's size. At
 * size n the replica's root is compared with r: equal and every entry
 * accepted → the clone becomes the state and the hub cosigns (principle 5:
 * cosigned means held and verified). Otherwise the hub builds evidence
 * (fault.c), cuts the replica back to the cosigned size and tries the next
 * source. Entries above the cosigned size are never served.
 */
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "hub.h"
#include "merkle.h"

/* RFC 9162 consistency proofs omit the old root when the old size is a
 * power of two; evidence (a) then carries it first (evidence.h). */
static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* A target that failed from every source is tried again after this long
 * (a source may have been down for a while). */
static int64_t retry_after_ms(const hub *h)
{
    int64_t t = h->cfg.poll_interval_ms * 5;
    return t < 5000 ? 5000 : t;
}

void hub_target_clear(hub_target *t)
{
    free(t->text);
    gs_checkpoint_clear(&t->cp);
    memset(t, 0, sizeof *t);
    t->source = -1;
}

/* ------------------------------------------------------------ checkpoints in */

/* Whether n carries a signature line by the origin's name whose key the
 * chain does not hold: a key a rotation not observed yet may have made. */
static bool signed_by_unseen_key(const gs_keychain *kc, const gs_note *n)
{
    for (size_t i = 0; i < gs_note_sig_count(n); i++) {
        const gs_note_sig *s = gs_note_sig_at(n, i);
        if (strcmp(s->name, kc->origin) == 0 && gs_keychain_find_key_hash(kc, s->key_hash) < 0)
            return true;
    }
    return false;
}

int hub_verify_note(const followed *f, const gs_note *n, uint64_t size, bool *provisional,
                    gs_error *err)
{
    const gs_keychain *kc = &f->keychain;
    if (provisional != NULL)
        *provisional = false;
    /* Above what the chain observed, the key for the size is not known
     * yet: the newest key observed passes, and so does a key the chain has
     * never seen, until a sync fetches the entries (hub_sync.kc). */
    bool above = size > kc->next_index;
    int rc = gs_keychain_verify_note(kc, n, size, err);
    if (rc != 0 && above && signed_by_unseen_key(kc, n))
        rc = 0;
    else if (rc != 0)
        return GS_EVERIFY;
    if (provisional != NULL)
        *provisional = above;
    return 0;
}

int hub_open_note(followed *f, const char *text, size_t len, gs_checkpoint *cp, bool *provisional,
                  gs_error *err)
{
    gs_note *n = NULL;
    memset(cp, 0, sizeof *cp);
    int rc = gs_note_parse(text, len, &n, err);
    if (rc != 0)
        return rc;
    size_t tlen;
    const char *body = gs_note_text(n, &tlen);
    if ((rc = gs_checkpoint_parse(body, tlen, cp, err)) != 0)
        goto out;
    if (strcmp(cp->origin, f->cfg->origin) != 0) {
        rc = gs_error_set(err, GS_EINVAL, "the checkpoint is for %s, not %s", cp->origin,
                          f->cfg->origin);
        goto out;
    }
    rc = hub_verify_note(f, n, cp->size, provisional, err);
out:
    if (rc != 0)
        gs_checkpoint_clear(cp);
    gs_note_free(&n);
    return rc;
}

int hub_verify_settled(const gs_keychain *kc, const char *text, uint64_t size, gs_error *err)
{
    if (size > kc->next_index)
        return gs_error_set(err, GS_EVERIFY,
                            "the key that signs size %llu of %s is not known: only %llu entries "
                            "were followed",
                            (unsigned long long)size, kc->origin,
                            (unsigned long long)kc->next_index);
    gs_note *n = NULL;
    int rc = gs_note_parse(text, strlen(text), &n, err);
    if (rc == 0)
        rc = gs_keychain_verify_note(kc, n, size, err);
    gs_note_free(&n);
    return rc;
}

/* ------------------------------------------------------------ the state machine */

#ifndef NDEBUG
/* The transitions of the table in hub.h: allowed[from][to]. */
static const bool allowed[5][5] = {
    [SYNC_IDLE] = {[SYNC_FETCHING] = true, [SYNC_RESUMING] = true},
    [SYNC_FETCHING] = {[SYNC_FETCHING] = true,
                       [SYNC_REJECTED] = true,
                       [SYNC_PROVING] = true,
                       [SYNC_RESUMING] = true,
                       [SYNC_IDLE] = true},
    [SYNC_REJECTED] = {[SYNC_FETCHING] = true, [SYNC_PROVING] = true, [SYNC_IDLE] = true},
    [SYNC_PROVING] = {[SYNC_FETCHING] = true, [SYNC_IDLE] = true},
    [SYNC_RESUMING] = {[SYNC_RESUMING] = true, [SYNC_FETCHING] = true, [SYNC_IDLE] = true},
};

/* The debug checker: the state f's sync is in is coherent. */
static void sync_check(const followed *f)
{
    const hub_sync *y = &f->sync;
    assert((y->phase == SYNC_PROVING) == (y->bisect != NULL));
    if (y->phase == SYNC_IDLE) {
        assert(y->clone == NULL && y->t.text == NULL);
        assert(y->in_flight == 0 && y->tried == 0);
        return;
    }
    assert(y->t.text != NULL && y->clone != NULL);
    assert(y->kc.next_index == gs_ingest_size(y->clone));
    assert(y->t.cp.size > y->start);
    assert(y->source >= 0 && (size_t)y->source < f->n_sources);
    assert(y->tried & (1u << y->source));
    assert(y->start == f->cosigned_size);
    assert(y->start <= y->next_apply && y->next_apply <= y->t.cp.size);
    assert(y->next_req <= y->t.cp.size);
    assert(y->in_flight <= HUB_SYNC_WINDOW);
    /* Every batch judged is durable in the replica. */
    assert(gs_log_committed_size(f->replica) >= y->next_apply);
    switch (y->phase) {
    case SYNC_FETCHING: assert(y->bad_reason[0] == '\0'); break;
    case SYNC_REJECTED:
        assert(y->bad_reason[0] != '\0');
        assert(y->bad_index >= y->start && y->bad_index < y->t.cp.size);
        break;
    case SYNC_PROVING: assert(y->next_apply == y->t.cp.size); break;
    case SYNC_RESUMING:
        /* The kept entries are durable, none judged beyond them. */
        assert(y->next_apply > y->start && y->next_apply < y->t.cp.size);
        assert(gs_log_committed_size(f->replica) == y->next_apply);
        assert(gs_ingest_size(y->clone) <= y->next_apply);
        assert(y->in_flight == 0 && y->bad_reason[0] == '\0');
        break;
    default: assert(!"unknown sync phase");
    }
}

#else
#define sync_check(f) ((void)(f))
#endif

/* Every change of phase goes through here. */
static void sync_set(followed *f, hub_sync_phase to)
{
    assert(allowed[f->sync.phase][to]);
    f->sync.phase = to;
    sync_check(f);
}

/* The source to fetch the target from: the one that showed it when there is
 * one (preferred), else — a checkpoint pushed by AddCheckpoint, or the next
 * source after a failure — the first source whose polls showed the target's
 * size, else the one that showed the largest (the first of equals: the
 * order of hub.conf when nothing is known). A replica listed first (the
 * province hub's, for a central hub) holds a checkpoint the node just pushed
 * to both hubs only once that hub has cosigned it: asked first, it answers
 * "beyond the entries it serves", which costs a round trip and makes this
 * hub's cosignature wait for the other hub's (issue 13 item 2). What the
 * polls showed is only a hint: the entries are verified whoever serves
 * them. */
static int pick_source(followed *f, int preferred)
{
    if (preferred >= 0 && (size_t)preferred < f->n_sources && !f->sources[preferred].bad &&
        !(f->sync.tried & (1u << preferred)))
        return preferred;
    int best = -1;
    for (size_t i = 0; i < f->n_sources; i++) {
        if (f->sources[i].bad || (f->sync.tried & (1u << i)))
            continue;
        if (f->sources[i].shown >= f->sync.t.cp.size)
            return (int)i;
        if (best < 0 || f->sources[i].shown > f->sources[best].shown)
            best = (int)i;
    }
    return best;
}

/* → IDLE: forgets the target and the clone. */
void hub_sync_end(followed *f)
{
    hub_sync *y = &f->sync;
    hub_sync_phase from = y->phase;
    hub_bisect_free(&y->bisect);
    gs_ingest_free(&y->clone);
    gs_keychain_clear(&y->kc);
    free(y->conflict);
    hub_target_clear(&y->t);
    gs_progress_end(&y->progress);
    memset(y, 0, sizeof *y);
    y->t.source = -1;
    if (from != SYNC_IDLE) {
        y->phase = from;
        sync_set(f, SYNC_IDLE);
    }
}

/* Cuts the replica back to the cosigned size: what a failed sync fetched is
 * dropped and never served. */
static void cut_back(hub *h, followed *f)
{
    gs_error err;
    if (gs_log_committed_size(f->replica) > f->cosigned_size &&
        gs_log_truncate(f->replica, f->cosigned_size, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "%s: cannot cut the replica back to %llu: %s; stopping",
                f->cfg->origin, (unsigned long long)f->cosigned_size, err.msg);
        gs_daemon_request_stop();
    }
}

/* The pipeline's callback during a sync: every entry goes to the sync's
 * key chain (a refused entry too: the chain follows the tree the log signed,
 * and the target is judged against it); anything but the Observations of
 * hubs witnessing this one is news worth an Observation of our own. */
static int saw_entry(void *ctx, const gs_ingest *in, const gs_ingest_verdict *v,
                     const gs_statement *st, gs_error *err)
{
    hub_sync *y = ctx;
    (void)in;
    if (st != NULL &&
        (st->kind != GS_BODY_OBSERVATION || strcmp(st->u.observation.origin, y->own_origin) != 0))
        y->news = true;
    if (st != NULL)
        return gs_keychain_observe(&y->kc, v->index, st, err) < 0 ? -1 : 0;
    /* An entry that does not open is no rotation (a rotation counts only
     * signed by the key in force), but the chain must not lose its place. */
    if (v->index != y->kc.next_index)
        return gs_error_set(err, GS_EINVAL, "key chain of %s: entry %llu out of order",
                            y->kc.origin, (unsigned long long)v->index);
    y->kc.next_index++;
    return 0;
}

/* A fresh clone of the rule state at the cosigned size. */
static int fresh_clone(hub *h, followed *f, gs_error *err)
{
    hub_sync *y = &f->sync;
    gs_ingest_free(&y->clone);
    gs_keychain_clear(&y->kc);
    int rc = gs_ingest_clone(&y->clone, f->ingest, err);
    if (rc == 0)
        rc = gs_keychain_copy(&y->kc, &f->keychain, err);
    if (rc != 0) {
        gs_ingest_free(&y->clone);
        return rc;
    }
    y->own_origin = h->cfg.origin;
    gs_ingest_set_on_entry(y->clone, saw_entry, y);
    y->news = false;
    return 0;
}

/* Asks source s for the proof that the kept entries [cosigned, k) are the
 * log's: a consistency proof from k to the target. */
static int ask_resume_proof(hub *h, followed *f, int s, uint64_t k, gs_error *err)
{
    hub_sync *y = &f->sync;
    gs_request rq = {.version = 1, .op = GS_OP_GET_CONSISTENCY_PROOF};
    rq.origin = f->cfg->origin;
    rq.u.get_consistency_proof.old_size = k;
    rq.u.get_consistency_proof.new_size = y->t.cp.size;
    (void)h;
    return gs_hub_peer_send(f->sources[s].peer, &rq, HUB_TAG(HUB_TAG_PROOF, y->gen),
                            gs_daemon_now_ms() + HUB_REQUEST_TIMEOUT_MS, err);
}

/* → FETCHING from source s at the cosigned size; or → RESUMING when the
 * replica holds entries kept from an interrupted sync below the target (the
 * clone is kept when it already judged them, else rebuilt once they are
 * proven). Sends nothing but the proof request: the pump sends the rest. */
static int sync_begin(hub *h, followed *f, int s, gs_error *err)
{
    hub_sync *y = &f->sync;
    uint64_t k = gs_log_committed_size(f->replica);
    y->source = s;
    y->tried |= 1u << s;
    y->start = f->cosigned_size;
    y->in_flight = 0;
    y->gen = ++h->sync_gen;
    y->bad_sig = false;
    y->bad_index = 0;
    y->bad_reason[0] = '\0';
    if (k > f->cosigned_size && k < y->t.cp.size) {
        if (y->clone == NULL || gs_ingest_size(y->clone) != k) {
            int rc = fresh_clone(h, f, err);
            if (rc != 0)
                return rc;
        }
        y->next_req = y->next_apply = k;
        if (ask_resume_proof(h, f, s, k, err) == 0) {
            hub_log(h, GS_HUB_LOG_INFO,
                    "sync %s to %llu: %llu entries kept from an interrupted sync; asking %s for "
                    "a proof from %llu",
                    f->cfg->origin, (unsigned long long)y->t.cp.size,
                    (unsigned long long)(k - f->cosigned_size), f->sources[s].cfg->endpoint,
                    (unsigned long long)k);
            sync_set(f, SYNC_RESUMING);
            return 0;
        }
        /* The proof cannot be asked for: start over. */
    }
    if (k > f->cosigned_size) {
        hub_log(h, GS_HUB_LOG_INFO, "%s: dropping %llu unproven entries above the cosigned size",
                f->cfg->origin, (unsigned long long)(k - f->cosigned_size));
        cut_back(h, f);
    }
    int rc = fresh_clone(h, f, err);
    if (rc != 0)
        return rc;
    y->next_req = y->next_apply = f->cosigned_size;
    hub_log(h, GS_HUB_LOG_INFO, "sync %s from %llu to %llu from %s", f->cfg->origin,
            (unsigned long long)f->cosigned_size, (unsigned long long)y->t.cp.size,
            f->sources[s].cfg->endpoint);
    sync_set(f, SYNC_FETCHING);
    return 0;
}

/* The target failed from every source (or no source is usable): → IDLE,
 * the waiters for its size told why, the target not retried for a while. */
static void sync_give_up(hub *h, followed *f, gs_status_code code, const char *msg)
{
    hub_sync *y = &f->sync;
    hub_waiters_fail(h, f, false, y->t.cp.size, code, msg);
    f->failed_size = y->t.cp.size;
    f->failed_root = y->t.cp.root;
    f->failed_until_ms = gs_daemon_now_ms() + retry_after_ms(h);
    hub_sync_end(f);
}

/* Starts a sync toward t (taken over) when none runs: IDLE → FETCHING, or
 * stays IDLE when no source is usable. */
static void sync_start(hub *h, followed *f, hub_target *t)
{
    gs_error err;
    hub_sync *y = &f->sync;
    if (y->phase != SYNC_IDLE || f->frozen) {
        hub_target_clear(t);
        return;
    }
    y->t = *t;
    memset(t, 0, sizeof *t);
    t->source = -1;
    if (h->cfg.max_growth > 0 && y->t.cp.size - f->cosigned_size > h->cfg.max_growth) {
        /* The growth quota: a log (or whoever holds its key) that signs a
         * huge checkpoint must not make the hub fetch and store millions of
         * entries before anything can be judged. Refused before any entry
         * is asked for; the hub cannot cosign a size in between (no
         * signature of the log's covers it), so the operator of an honest
         * log that grew this much raises max_growth. */
        char msg[HUB_MSG_MAX];
        snprintf(msg, sizeof msg,
                 "checkpoint of %s at size %llu adds %llu entries to the %llu this hub has "
                 "cosigned, more than its max_growth of %llu (hub.conf): not fetched",
                 f->cfg->origin, (unsigned long long)y->t.cp.size,
                 (unsigned long long)(y->t.cp.size - f->cosigned_size),
                 (unsigned long long)f->cosigned_size, (unsigned long long)h->cfg.max_growth);
        hub_log(h, GS_HUB_LOG_WARN, "%s", msg);
        sync_give_up(h, f, GS_STATUS_RESOURCE_EXHAUSTED, msg);
        return;
    }
    int s = pick_source(f, y->t.source);
    if (s < 0 || sync_begin(h, f, s, &err) != 0) {
        char msg[HUB_MSG_MAX];
        snprintf(msg, sizeof msg, "no usable source to fetch %s from", f->cfg->origin);
        hub_log(h, GS_HUB_LOG_WARN, "%s", msg);
        sync_give_up(h, f, GS_STATUS_UNAVAILABLE, msg);
    }
}

/* After a sync ended: the largest checkpoint seen meanwhile starts the
 * next one; waiters for sizes nobody syncs toward any more are answered. */
static void sync_take_next(hub *h, followed *f)
{
    if (f->next.text != NULL && f->next.cp.size > f->cosigned_size && !f->frozen) {
        hub_target t = f->next;
        memset(&f->next, 0, sizeof f->next);
        f->next.source = -1;
        sync_start(h, f, &t);
    } else {
        hub_target_clear(&f->next);
    }
    if (f->sync.phase == SYNC_IDLE)
        hub_waiters_fail(h, f, true, 0, GS_STATUS_UNAVAILABLE,
                         "the hub could not fetch and verify the entries of this checkpoint");
}

/* The sync cannot finish from the current source: cut back and → FETCHING
 * from the next one; when none is left, give up on this target (→ IDLE)
 * and take the next. With keep (the source stopped answering, nothing was
 * refused), what was fetched and judged so far stays in the replica, unserved,
 * for the next source or the next start to resume from once proven
 * (SYNC_RESUMING). Sends nothing but a proof request. */
static void sync_fail(hub *h, followed *f, const char *why, bool keep)
{
    hub_sync *y = &f->sync;
    hub_log(h, GS_HUB_LOG_WARN, "sync %s to %llu from %s failed: %s", f->cfg->origin,
            (unsigned long long)y->t.cp.size, f->sources[y->source].cfg->endpoint, why);
    hub_bisect_free(&y->bisect);
    if (!keep || (y->phase != SYNC_FETCHING && y->phase != SYNC_RESUMING))
        cut_back(h, f);
    if (gs_daemon_stopping()) {
        /* The waiters are answered as the loop ends. */
        hub_sync_end(f);
        return;
    }
    int s = f->frozen ? -1 : pick_source(f, -1);
    gs_error err;
    if (s >= 0 && sync_begin(h, f, s, &err) == 0)
        return;
    char msg[HUB_MSG_MAX];
    if (f->frozen) {
        snprintf(msg, sizeof msg,
                 "hub %s holds evidence against %s (%.300s) and cosigns nothing further for it",
                 h->cfg.origin, f->cfg->origin, f->frozen_reason);
        sync_give_up(h, f, GS_STATUS_PERMISSION_DENIED, msg);
        hub_waiters_fail(h, f, true, 0, GS_STATUS_PERMISSION_DENIED, msg);
        return;
    }
    snprintf(msg, sizeof msg, "no source could serve %s up to %llu verifiably; last: %.400s",
             f->cfg->origin, (unsigned long long)y->t.cp.size, why);
    sync_give_up(h, f, GS_STATUS_UNAVAILABLE, msg);
    sync_take_next(h, f);
}

/* Fills the window of GetEntries requests. Non-zero (why filled) when a
 * request cannot be sent. */
static int send_entries_requests(hub *h, followed *f, char *why, size_t cap)
{
    hub_sync *y = &f->sync;
    while (y->in_flight < HUB_SYNC_WINDOW && y->next_req < y->t.cp.size) {
        uint64_t left = y->t.cp.size - y->next_req;
        uint32_t count = left < h->cfg.batch_size ? (uint32_t)left : h->cfg.batch_size;
        gs_request rq = {.version = 1, .op = GS_OP_GET_ENTRIES};
        rq.origin = f->cfg->origin;
        rq.u.get_entries.start = y->next_req;
        rq.u.get_entries.count = count;
        gs_error err;
        if (gs_hub_peer_send(f->sources[y->source].peer, &rq, HUB_TAG(HUB_TAG_ENTRIES, y->gen),
                             gs_daemon_now_ms() + HUB_REQUEST_TIMEOUT_MS, &err) != 0) {
            snprintf(why, cap, "%s", err.msg);
            return -1;
        }
        y->req_start[y->in_flight++] = y->next_req;
        y->next_req += count;
    }
    return 0;
}

/* The one place requests of a sync are sent: what FETCHING and REJECTED
 * need. A send that fails moves to the next source, which the loop then
 * feeds; it ends because each failure uses up a source or the target. */
static void sync_pump(hub *h, followed *f)
{
    char why[HUB_MSG_MAX];
    while ((f->sync.phase == SYNC_FETCHING || f->sync.phase == SYNC_REJECTED) &&
           send_entries_requests(h, f, why, sizeof why) != 0)
        sync_fail(h, f, why, true);
}

void hub_sync_stop_if_frozen(hub *h, followed *f)
{
    if (f->frozen && f->sync.phase != SYNC_IDLE) {
        sync_fail(h, f, "the origin is frozen by evidence", false);
        sync_pump(h, f);
    }
}

/* Remembers a checkpoint beyond the running sync's target, the largest
 * one: takes *text and *cp over when it keeps them. */
static void remember_next(followed *f, char **text, gs_checkpoint *cp, int source)
{
    if (f->next.text != NULL && f->next.cp.size >= cp->size)
        return;
    hub_target_clear(&f->next);
    f->next.text = *text;
    f->next.cp = *cp;
    f->next.source = source;
    *text = NULL;
    memset(cp, 0, sizeof *cp);
}

/* ------------------------------------------------------------ ending a sync */

/* The replica holds the target and every entry was accepted: the hub
 * cosigns. The cosigned note and the Observation that records it in the
 * hub's own log are written in ONE transaction, so no crash can leave a
 * cosignature the hub's log does not show. → IDLE (then the next target). */
/* The note the hub keeps and serves for a checkpoint: its text and the
 * log's own signature line — the FIRST line with the log key's name and key
 * ID, the one gs_note_verify checked (note.h: later lines with that pair are
 * dropped unverified, as Go's note.Open does) — and nothing else the sender
 * attached. Lines by anyone else in a request are ignored, never merged
 * (DESIGN principle 10), so nobody can plant a line under the hub's own name
 * and make it refuse to cosign, nor a second, unverified line under the
 * log's name that the hub would then serve. */
static int log_signed_only(const gs_vkey *log_key, const char *text, gs_note **out, gs_error *err)
{
    gs_note *n = NULL;
    char *buf = NULL;
    size_t tlen;
    int rc = gs_note_parse(text, strlen(text), &n, err);
    if (rc != 0)
        return rc;
    const char *body = gs_note_text(n, &tlen);
    size_t cap = tlen + 2, used;
    for (size_t i = 0; i < gs_note_sig_count(n); i++)
        cap += gs_note_sig_at(n, i)->line_len + 1;
    if ((buf = malloc(cap)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(buf, body, tlen);
    buf[tlen] = '\n';
    used = tlen + 1;
    for (size_t i = 0; i < gs_note_sig_count(n); i++) {
        const gs_note_sig *s = gs_note_sig_at(n, i);
        if (strcmp(s->name, log_key->name) != 0 || s->key_hash != log_key->key_hash)
            continue;
        memcpy(buf + used, s->line, s->line_len);
        used += s->line_len;
        buf[used++] = '\n';
        break;
    }
    buf[used] = '\0';
    rc = gs_note_parse(buf, used, out, err);
out:
    free(buf);
    gs_note_free(&n);
    return rc;
}

/* (a) against the log: it signed floor_note (size m) and the target (size
 * n > m), whose tree has another root at m. The proof comes from the
 * replica, which holds the target's tree; for a power-of-two m the size-m
 * root is prepended (evidence.h). */
static void fork_of_floor_evidence(hub *h, followed *f)
{
    hub_sync *y = &f->sync;
    uint64_t m = f->floor_size;
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
    size_t np = 0;
    gs_error err;
    if (gs_log_root_at(f->replica, m, &proof[0], &err) != 0 ||
        gs_log_prove_consistency(f->replica, m, y->t.cp.size, proof + 1, &np, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "%s: cannot prove the fork at %llu: %s", f->cfg->origin,
                (unsigned long long)m, err.msg);
        return;
    }
    gs_evidence ev = {.kind = GS_EVIDENCE_SPLIT_VIEW};
    ev.checkpoint_a = f->floor_note;
    ev.checkpoint_b = y->t.text;
    ev.consistency_proof = is_pow2(m) ? proof : proof + 1;
    ev.n_consistency_proof = is_pow2(m) ? np + 1 : np;
    ev.reason = "the log signed a checkpoint whose tree holds another root at the size of a "
                "checkpoint it signed before";
    hub_fault_record(h, f, &ev, -1);
}

static void cosign(hub *h, followed *f)
{
    hub_sync *y = &f->sync;
    gs_error err = {0};
    gs_note *n = NULL;
    char *line = NULL, *merged = NULL;
    gs_ingest *trial = NULL;
    size_t tlen;
    char why[HUB_MSG_MAX];
    if (!hub_floor_allows(h, f, &y->t, why, sizeof why)) {
        /* Every source serves the same log-signed tree for this target:
         * refused for good, the entries dropped. */
        hub_log(h, GS_HUB_LOG_WARN, "%s: refusing to cosign size %llu: %s", f->cfg->origin,
                (unsigned long long)y->t.cp.size, why);
        if (f->floor_note != NULL && y->t.cp.size > f->floor_size)
            fork_of_floor_evidence(h, f);
        cut_back(h, f);
        sync_give_up(h, f, GS_STATUS_CONFLICT, why);
        /* That tree never becomes acceptable: not fetched again. */
        f->failed_until_ms = INT64_MAX;
        sync_take_next(h, f);
        return;
    }
    /* The key for the target's size, as the sync's chain says (the target
     * was settled with it in sync_reached). */
    gs_vkey log_key;
    int rc = gs_keychain_vkey_for_size(&y->kc, y->t.cp.size, &log_key, &err);
    if (rc == 0)
        rc = log_signed_only(&log_key, y->t.text, &n, &err);
    if (rc == 0) {
        const char *body = gs_note_text(n, &tlen);
        rc = gs_cosignature_sign(body, tlen, h->cfg.origin, &h->key, (int64_t)time(NULL), &line,
                                 &err);
    }
    if (rc == 0)
        rc = gs_note_add_signature(n, line, strlen(line), &err);
    if (rc == 0)
        rc = gs_note_format(n, &merged, NULL, &err);
    gs_note_free(&n);
    free(line);
    /* The marker first: once it is on disk, no restore of the database makes
     * the hub forget this cosignature (recover.c). */
    if (rc == 0)
        rc = hub_marker_write(h, f, y->t.cp.size, &y->t.cp.root, &err);
    if (rc == 0)
        rc = gs_store_begin(h->store, &err);
    if (rc == 0)
        rc = gs_log_put_checkpoint(f->replica, y->t.cp.size, merged, NULL, &err);
    if (rc == 0 && y->news) {
        /* The hub's log commits to what it vouched for (see hub_sync.news
         * for why a range holding only observations of this hub is not
         * recorded). */
        gs_statement st = {.kind = GS_BODY_OBSERVATION};
        st.u.observation.origin = f->cfg->origin;
        st.u.observation.size = y->t.cp.size;
        st.u.observation.root = y->t.cp.root;
        st.u.observation.time = (int64_t)time(NULL);
        rc = hub_own_stage(h, &st, NULL, &trial, &err);
    }
    if (rc == 0)
        rc = gs_store_commit(h->store, &err);
    gs_store_rollback(h->store); /* after a failure; a no-op after a commit */
    if (rc != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "cannot cosign %s at %llu: %s", f->cfg->origin,
                (unsigned long long)y->t.cp.size, err.msg);
        if (rc == GS_EIO)
            snprintf(h->store_error, sizeof h->store_error, "cannot store a cosignature: %s",
                     err.msg);
        gs_ingest_free(&trial);
        free(merged);
        sync_fail(h, f, "the hub could not store its cosignature and observation", false);
        return;
    }
    if (trial != NULL)
        hub_own_adopt(h, &trial);
    gs_ingest_free(&f->ingest);
    f->ingest = y->clone;
    y->clone = NULL;
    size_t keys_before = f->keychain.n;
    gs_keychain_clear(&f->keychain);
    f->keychain = y->kc;
    memset(&y->kc, 0, sizeof y->kc);
    if (f->keychain.n != keys_before) {
        char fp[GS_KEY_FINGERPRINT_LEN];
        gs_key_fingerprint(gs_keychain_current(&f->keychain), fp);
        hub_log(h, GS_HUB_LOG_INFO, "%s: the log key is now %s (rotation at index %llu)",
                f->cfg->origin, fp,
                (unsigned long long)(f->keychain.links[f->keychain.n - 1].from_size - 1));
    }
    f->cosigned_size = y->t.cp.size;
    f->cosigned_root = y->t.cp.root;
    hub_keychain_changed(h, f);
    free(f->cosigned_note);
    f->cosigned_note = merged;
    hub_floor_settle(f);
    h->cosigned_total++;
    h->store_error[0] = '\0';
    hub_publish(h, "checkpoint", f->cfg->origin, gs_bytes_of(merged, strlen(merged)));
    hub_log(h, GS_HUB_LOG_INFO, "cosigned %s size %llu", f->cfg->origin,
            (unsigned long long)f->cosigned_size);
    hub_sync_end(f);
    hub_waiters_settle(h, f);
    sync_take_next(h, f);
}

/* The bisection is over (or could not run): the evidence it allows, then
 * the next source. */
static void sync_proven(hub *h, followed *f)
{
    hub_sync *y = &f->sync;
    char reason[HUB_MSG_MAX];
    hub_fault_mismatch(h, f, y->source, &y->t, y->bisect, reason);
    sync_fail(h, f, reason, false);
}

/* Asks the source for the inclusion proofs the bisection wants next.
 * False when the bisection is over (a failed send ends it too). */
static bool bisect_ask(followed *f)
{
    hub_sync *y = &f->sync;
    uint64_t leaves[2];
    size_t n = hub_bisect_to_ask(y->bisect, leaves);
    for (size_t k = 0; k < n; k++) {
        gs_request rq = {.version = 1, .op = GS_OP_GET_INCLUSION_PROOF};
        rq.origin = f->cfg->origin;
        rq.u.get_inclusion_proof.index = leaves[k];
        rq.u.get_inclusion_proof.size = y->t.cp.size;
        gs_error err;
        if (gs_hub_peer_send(f->sources[y->source].peer, &rq, HUB_TAG(HUB_TAG_PROOF, y->gen),
                             gs_daemon_now_ms() + HUB_REQUEST_TIMEOUT_MS, &err) != 0)
            hub_bisect_give_up(y->bisect, err.msg);
    }
    return !hub_bisect_done(y->bisect);
}

/* Root mismatch: narrow it down to one node of the signed tree by
 * bisection with the source's inclusion proofs (→ PROVING; gs_bisect in
 * evidence.h). A node inside the cosigned prefix proves the LOG rewrote
 * itself (a), whatever the cosigned size; a node above it, that the source
 * served entries that are not the log (c), and the next source is tried. */
static void sync_mismatch(hub *h, followed *f)
{
    hub_sync *y = &f->sync;
    gs_error err;
    if (hub_bisect_start(h, f, &y->t, &y->bisect, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "%s: cannot bisect the mismatch at %llu: %s", f->cfg->origin,
                (unsigned long long)y->t.cp.size, err.msg);
        sync_proven(h, f);
        return;
    }
    sync_set(f, SYNC_PROVING);
    if (!bisect_ask(f))
        sync_proven(h, f);
}

/* The target is not the log's (docs/architecture.md, the hub, "Following the log key"):
 * its tree is the one fetched, and the key that tree makes the log key for
 * its size did not sign it (a retired key, possibly leaked; a key no
 * rotation made). Nothing is cosigned and nothing is evidence; the target is
 * not fetched again. */
static void sync_refuse_target(hub *h, followed *f, const char *why)
{
    hub_sync *y = &f->sync;
    char msg[HUB_MSG_MAX];
    snprintf(msg, sizeof msg, "refusing the checkpoint of %s at size %llu: %.600s; not evidence",
             f->cfg->origin, (unsigned long long)y->t.cp.size, why);
    hub_log(h, GS_HUB_LOG_WARN, "%s", msg);
    cut_back(h, f);
    free(f->refused_note);
    f->refused_note = strdup(y->t.text); /* NULL (no memory): fetched again if shown again */
    sync_give_up(h, f, GS_STATUS_UNAUTHENTICATED, msg);
    /* The tree is not at fault: the log's own note for it is welcome. */
    f->failed_size = 0;
    f->failed_until_ms = 0;
    sync_take_next(h, f);
}

/* A note of the target's size with another root, seen while the sync ran
 * (hub_sync.conflict), now that the target is settled and the entries
 * match it: a split view only when the same chain makes its signer the log
 * key for that size. True when it froze the origin. */
static bool sync_settle_conflict(hub *h, followed *f)
{
    hub_sync *y = &f->sync;
    if (y->conflict == NULL)
        return false;
    gs_error err = {0};
    bool frozen = false;
    if (hub_verify_settled(&y->kc, y->conflict, y->t.cp.size, &err) == 0) {
        hub_fault_split_view(h, f, y->t.text, y->conflict, y->conflict_seen);
        frozen = f->frozen;
    } else {
        hub_log(h, GS_HUB_LOG_WARN,
                "%s: the checkpoint of size %llu with another root from %s is not the log's: "
                "%s; not evidence",
                f->cfg->origin, (unsigned long long)y->t.cp.size, y->conflict_seen, err.msg);
    }
    free(y->conflict);
    y->conflict = NULL;
    return frozen;
}

/* The replica reached the target's size: cosign, or decide which evidence
 * it is. The target's signature is settled first with the sync's key
 * chain: nothing above is done on a provisional one. */
static void sync_reached(hub *h, followed *f)
{
    hub_sync *y = &f->sync;
    gs_hash root;
    gs_log_root(f->replica, &root);
    bool match = memcmp(root.b, y->t.cp.root.b, 32) == 0;
    gs_error err = {0};
    bool settled = !f->frozen && hub_verify_settled(&y->kc, y->t.text, y->t.cp.size, &err) == 0;
    if (f->frozen) {
        sync_fail(h, f, "the origin is frozen by evidence", false);
    } else if (!settled && match) {
        sync_refuse_target(h, f, err.msg);
    } else if (!settled) {
        /* Entries that are not the target's tree say nothing about the key
         * of its size: another source may serve the log. */
        char why[HUB_MSG_MAX];
        snprintf(why, sizeof why,
                 "the entries served do not hash to the checkpoint's root, and the checkpoint "
                 "is not signed by the key they make the log key (%.600s); not evidence",
                 err.msg);
        free(y->conflict);
        y->conflict = NULL;
        sync_fail(h, f, why, false);
    } else if (match && sync_settle_conflict(h, f)) {
        sync_fail(h, f, "the origin is frozen by evidence", false);
    } else if (match && y->phase == SYNC_FETCHING) {
        cosign(h, f);
    } else if (match) {
        /* (d): the log signed a tree holding an entry that breaks the rules. */
        hub_fault_rule_violation(h, f, &y->t, y->bad_index, y->bad_sig, y->bad_reason);
        char why[HUB_MSG_MAX];
        snprintf(why, sizeof why, "%s", y->bad_reason);
        sync_fail(h, f, why, false);
    } else {
        sync_mismatch(h, f);
    }
}

/* RESUMING: the source's proof that the kept entries [start, k) are the
 * log's. A proof from k that reaches the log-signed root from the replica's
 * root at k fixes those k entries (RFC 9162 §2.1.4.2): they are judged again
 * if this process did not judge them, and the sync goes on from k.
 * Anything else: they are cut back and fetched again from the cosigned
 * size. → FETCHING either way. */
static void on_resume_proof(hub *h, followed *f, gs_response *rs)
{
    hub_sync *y = &f->sync;
    uint64_t k = y->next_apply;
    gs_hash root_k;
    gs_error err = {0};
    bool ok = rs->code == GS_STATUS_OK && rs->result == GS_RESULT_PROOF && rs->u.proof.index == k &&
              rs->u.proof.size == y->t.cp.size &&
              gs_log_root_at(f->replica, k, &root_k, &err) == 0 &&
              gs_merkle_verify_consistency(k, y->t.cp.size, &root_k, &y->t.cp.root,
                                           rs->u.proof.hashes, rs->u.proof.n, &err) == 0;
    if (ok && gs_ingest_size(y->clone) < k) {
        /* Judged in an earlier run: every signature and rule again. */
        gs_ingest_verdict bad;
        if (gs_ingest_replay_log(y->clone, f->replica, k, false, &bad, &err) != 0) {
            ok = false;
        } else if (bad.judged) {
            ok = false;
            snprintf(err.msg, sizeof err.msg, "kept entry %llu is refused",
                     (unsigned long long)bad.index);
        }
    }
    if (ok) {
        hub_log(h, GS_HUB_LOG_INFO,
                "sync %s: resuming at %llu: entries %llu..%llu of an interrupted sync kept, "
                "proven by %s to be in the log's tree of size %llu",
                f->cfg->origin, (unsigned long long)k, (unsigned long long)y->start,
                (unsigned long long)k - 1, f->sources[y->source].cfg->endpoint,
                (unsigned long long)y->t.cp.size);
        y->next_req = k;
        sync_set(f, SYNC_FETCHING);
        return;
    }
    hub_log(h, GS_HUB_LOG_WARN,
            "sync %s: the %llu kept entries are not proven (%s%s%s): fetching again from %llu",
            f->cfg->origin, (unsigned long long)(k - y->start), gs_status_name(rs->code),
            err.msg[0] ? ": " : "", err.msg, (unsigned long long)y->start);
    cut_back(h, f);
    if (fresh_clone(h, f, &err) != 0) {
        sync_fail(h, f, err.msg, false);
        return;
    }
    y->next_req = y->next_apply = y->start;
    sync_set(f, SYNC_FETCHING);
}

/* The source's answer to an inclusion proof the bisection asked, or in
 * RESUMING to the consistency proof of the kept entries. */
static void on_proof(hub *h, followed *f, gs_response *rs)
{
    hub_sync *y = &f->sync;
    if (y->phase == SYNC_RESUMING) {
        on_resume_proof(h, f, rs);
        return;
    }
    if (y->phase != SYNC_PROVING)
        return;
    hub_bisect_answer(y->bisect, y->t.cp.size, rs);
    if (!bisect_ask(f))
        sync_proven(h, f);
}

/* Judges one batch of f's sync: entries [next_apply, next_apply + n) of the
 * log, appended durably to the replica (until the root matches nothing above
 * the cosigned size is served; the root is compared over every entry
 * served) and taken by the sync's copy of the ingestion pipeline — the same
 * code the node submits through and the audit replays with: signatures on
 * the worker pool, the rule book in order, references inside the batch seen.
 * The first entry refused moves the sync to REJECTED; after that, entries
 * are stored and hashed but not judged. Returns 0 with next_apply advanced by
 * n, or a GS_E… code when the batch could not be stored (nothing of it
 * kept). */
static int sync_judge_batch(followed *f, const gs_buf *entries, size_t n, gs_error *err)
{
    hub_sync *y = &f->sync;
    gs_bytes *batch = calloc(n ? n : 1, sizeof *batch);
    gs_ingest_verdict *v = calloc(n ? n : 1, sizeof *v);
    int rc = batch == NULL || v == NULL ? gs_error_set(err, GS_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        batch[i] = gs_bytes_of(entries[i].p, entries[i].n);
    if (rc == 0)
        rc = gs_log_append(f->replica, batch, n, NULL, err);
    if (rc == 0)
        rc = gs_ingest_push(y->clone, GS_INGEST_HISTORY, batch, n, 0, v, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (y->phase != SYNC_FETCHING || !v[i].judged || v[i].accepted)
            continue;
        y->bad_sig = !v[i].opened;
        y->bad_index = v[i].index;
        if (y->bad_sig)
            snprintf(y->bad_reason, sizeof y->bad_reason,
                     "entry %llu of %s is not a validly signed statement: %s: %s",
                     (unsigned long long)v[i].index, f->cfg->origin,
                     gs_rules_reason_name(v[i].reason), v[i].message);
        else
            snprintf(y->bad_reason, sizeof y->bad_reason,
                     "entry %llu of %s breaks the rule book: %s: %s",
                     (unsigned long long)v[i].index, f->cfg->origin,
                     gs_rules_reason_name(v[i].reason), v[i].message);
        sync_set(f, SYNC_REJECTED);
    }
    free(batch);
    free(v);
    if (rc != 0)
        return rc;
    y->next_apply += n;
    return 0;
}

/* A person who starts a hub by hand sees a log far behind being caught up
 * (progress.h: on a terminal only, so a service's journal sees nothing). */
#define HUB_PROGRESS_MIN 10000
static void sync_show_progress(followed *f)
{
    hub_sync *y = &f->sync;
    if (y->progress == NULL && y->t.cp.size - y->next_apply >= HUB_PROGRESS_MIN) {
        char label[GS_MAX_ORIGIN + 16];
        snprintf(label, sizeof label, "sync %s", f->cfg->origin);
        y->progress = gs_progress_start(label, "entries", y->next_apply, y->t.cp.size);
    }
    gs_progress_update(y->progress, y->next_apply, y->t.cp.size);
}

/* A batch of entries for the running sync. */
static void on_entries(hub *h, followed *f, gs_response *rs)
{
    hub_sync *y = &f->sync;
    if (y->phase != SYNC_FETCHING && y->phase != SYNC_REJECTED)
        return;
    if (y->in_flight > 0) {
        y->in_flight--;
        memmove(&y->req_start[0], &y->req_start[1], y->in_flight * sizeof y->req_start[0]);
    }
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_ENTRIES || rs->u.entries.n == 0) {
        char why[HUB_MSG_MAX];
        snprintf(why, sizeof why, "GetEntries from %llu: %s: %s", (unsigned long long)y->next_apply,
                 gs_status_name(rs->code),
                 rs->message != NULL && rs->message[0] ? rs->message : "no entries");
        sync_fail(h, f, why, true);
        return;
    }
    /* An answer to a request made before a short batch is dropped; the pump
     * asks for the gap again. */
    if (rs->u.entries.start != y->next_apply)
        return;
    size_t n = rs->u.entries.n;
    if (n > y->t.cp.size - y->next_apply)
        n = (size_t)(y->t.cp.size - y->next_apply);
    if (n > GS_MAX_ENTRIES)
        n = GS_MAX_ENTRIES;
    gs_error err = {0};
    if (sync_judge_batch(f, rs->u.entries.entries, n, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "%s: cannot store a batch: %s", f->cfg->origin, err.msg);
        sync_fail(h, f, "the hub could not store the entries", false);
        return;
    }
    sync_show_progress(f);
    if (y->next_apply == y->t.cp.size) {
        sync_reached(h, f);
        return;
    }
    /* A source may answer fewer entries than asked (its frame budget):
     * then the requests still out start beyond a gap; ask from here. */
    if (y->in_flight == 0 ? y->next_req != y->next_apply : y->req_start[0] != y->next_apply)
        y->next_req = y->next_apply;
}

/* ------------------------------------------------------------ entry points */

bool hub_same_signer(const followed *f, const char *a, const char *b, gs_error *err)
{
    gs_note *na = NULL, *nb = NULL;
    bool same = false;
    if (gs_note_parse(a, strlen(a), &na, err) != 0 || gs_note_parse(b, strlen(b), &nb, err) != 0)
        goto out;
    for (size_t k = 0; k < f->keychain.n && !same; k++) {
        gs_vkey vk;
        if (gs_vkey_make(&vk, f->cfg->origin, GS_VKEY_ALG_ED25519, &f->keychain.links[k].key,
                         err) != 0)
            goto out;
        same = gs_note_verify(na, &vk, 1, NULL, NULL, err) == 0 &&
               gs_note_verify(nb, &vk, 1, NULL, NULL, err) == 0;
    }
    if (!same)
        gs_error_set(err, GS_EVERIFY, "no key of the chain signed both");
out:
    gs_note_free(&na);
    gs_note_free(&nb);
    return same;
}

void hub_sync_consider(hub *h, followed *f, const char *text, size_t len, gs_checkpoint *cp,
                       int source, const char *seen)
{
    hub_sync *y = &f->sync;
    if (f->frozen || cp->size == 0) {
        gs_checkpoint_clear(cp);
        return;
    }
    char *copy = strndup(text, len);
    if (copy == NULL) {
        gs_checkpoint_clear(cp);
        return;
    }
    hub_recover_note(h, f, copy, len, cp, seen);
    if (f->refused_note != NULL && strcmp(copy, f->refused_note) == 0) {
        hub_log(h, GS_HUB_LOG_DEBUG, "%s: size %llu from %s: the note refused before",
                f->cfg->origin, (unsigned long long)cp->size, seen);
        free(copy);
        gs_checkpoint_clear(cp);
        return;
    }
    bool owed = f->floor_size > f->cosigned_size;
    if (owed && cp->size < f->floor_size && cp->size > f->cosigned_size) {
        /* Smaller than what the hub cosigned: never cosigned again, and
         * not checkable against entries the hub no longer holds. */
        hub_log(h, GS_HUB_LOG_DEBUG, "%s: ignoring size %llu from %s: cosigned up to %llu before",
                f->cfg->origin, (unsigned long long)cp->size, seen,
                (unsigned long long)f->floor_size);
    } else if (owed && cp->size == f->floor_size && memcmp(cp->root.b, f->floor_root.b, 32) != 0) {
        gs_error err;
        if (f->floor_note != NULL && !hub_same_signer(f, f->floor_note, copy, &err)) {
            /* Above the chain the hub holds now: its signer may be a key a
             * rotation retired (D4). */
            hub_log(h, GS_HUB_LOG_WARN,
                    "%s: refusing the checkpoint of size %llu from %s: this hub cosigned that "
                    "size with another root, and this note is not signed by the key that signed "
                    "it (%s); not evidence",
                    f->cfg->origin, (unsigned long long)cp->size, seen, err.msg);
        } else if (f->floor_note != NULL) {
            hub_fault_split_view(h, f, f->floor_note, copy, seen);
            hub_sync_stop_if_frozen(h, f);
        } else if (memcmp(cp->root.b, f->floor_refused.b, 32) != 0) {
            /* The hub's own word is no proof against the log. Said once
             * per fork, not at every poll. */
            f->floor_refused = cp->root;
            hub_log(h, GS_HUB_LOG_WARN,
                    "%s: refusing the checkpoint of size %llu from %s: this hub cosigned that "
                    "size with another root (%s); no evidence recorded: the hub holds no note "
                    "the log signed for it",
                    f->cfg->origin, (unsigned long long)cp->size, seen, f->floor_from);
        }
    } else if (f->recovering && cp->size > f->cosigned_size) {
        /* Nothing is cosigned before every source said what it holds. */
        remember_next(f, &copy, cp, source);
    } else if (cp->size == f->cosigned_size && f->cosigned_note != NULL) {
        if (memcmp(cp->root.b, f->cosigned_root.b, 32) != 0) {
            hub_fault_split_view(h, f, f->cosigned_note, copy, seen);
            hub_sync_stop_if_frozen(h, f);
        }
    } else if (cp->size < f->cosigned_size) {
        gs_hash at;
        gs_error err;
        if (cp->size > 0 && gs_log_root_at(f->replica, cp->size, &at, &err) == 0 &&
            memcmp(at.b, cp->root.b, 32) != 0) {
            hub_fault_rollback(h, f, copy, cp->size, seen);
            hub_sync_stop_if_frozen(h, f);
        }
    } else if (y->phase != SYNC_IDLE) {
        if (cp->size == y->t.cp.size && memcmp(cp->root.b, y->t.cp.root.b, 32) != 0) {
            /* Two notes above what the chain observed: both may be signed
             * by a key a rotation in the entries being fetched retired, and
             * the leaked old key is what a rotation is for (D4). Judged
             * once the sync holds the entries (sync_settle_conflict). */
            if (y->conflict == NULL) {
                y->conflict = copy;
                copy = NULL;
                snprintf(y->conflict_seen, sizeof y->conflict_seen, "%s", seen);
                hub_log(h, GS_HUB_LOG_WARN,
                        "%s: %s shows size %llu with another root than the checkpoint being "
                        "synced: judged once the entries are held",
                        f->cfg->origin, seen, (unsigned long long)cp->size);
            }
        } else if (cp->size > y->t.cp.size) {
            remember_next(f, &copy, cp, source);
        }
    } else if (!(cp->size == f->failed_size && memcmp(cp->root.b, f->failed_root.b, 32) == 0 &&
                 gs_daemon_now_ms() < f->failed_until_ms)) {
        hub_target t = {.text = copy, .cp = *cp, .source = source};
        memset(cp, 0, sizeof *cp);
        copy = NULL;
        sync_start(h, f, &t);
        sync_pump(h, f);
    }
    free(copy);
    gs_checkpoint_clear(cp);
}

void hub_sync_after_recovery(hub *h, followed *f)
{
    if (f->next.text == NULL)
        return;
    hub_target t = f->next;
    memset(&f->next, 0, sizeof f->next);
    f->next.source = -1;
    hub_sync_consider(h, f, t.text, strlen(t.text), &t.cp, t.source,
                      t.source >= 0 ? f->sources[t.source].cfg->endpoint : "an AddCheckpoint");
    free(t.text);
}

static void on_poll(hub *h, followed *f, int s, gs_response *rs)
{
    if (rs->code == GS_STATUS_NOT_FOUND)
        return; /* a hub that has not cosigned this log yet */
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_CHECKPOINT) {
        hub_log(h, GS_HUB_LOG_DEBUG, "%s: GetCheckpoint from %s: %s: %s", f->cfg->origin,
                f->sources[s].cfg->endpoint, gs_status_name(rs->code),
                rs->message != NULL ? rs->message : "");
        return;
    }
    gs_checkpoint cp;
    gs_error err;
    size_t len = strlen(rs->u.checkpoint);
    if (hub_open_note(f, rs->u.checkpoint, len, &cp, NULL, &err) != 0) {
        /* Not signed by the log: whoever served it, it proves nothing about
         * the log. */
        hub_log(h, GS_HUB_LOG_WARN, "%s: source %s served a checkpoint the log did not sign: %s",
                f->cfg->origin, f->sources[s].cfg->endpoint, err.msg);
        return;
    }
    if (cp.size > f->sources[s].shown)
        f->sources[s].shown = cp.size;
    hub_sync_consider(h, f, rs->u.checkpoint, len, &cp, s, f->sources[s].cfg->endpoint);
}

void hub_sync_answer(hub *h, followed *f, int s, int tag, gs_response *rs)
{
    hub_sync *y = &f->sync;
    if (tag == HUB_TAG_POLL && f->recovering) {
        /* Its answer (taken below first) or its silence: either way this
         * source has said what it holds. */
        if (rs != NULL)
            on_poll(h, f, s, rs);
        hub_recover_answered(h, f, s);
        hub_recover_step(h, f, gs_daemon_now_ms());
        sync_pump(h, f);
        return;
    }
    bool for_sync =
        y->phase != SYNC_IDLE && s == y->source && HUB_TAG_GEN(tag) == (y->gen & 0xffffff);
    if (rs != NULL && tag == HUB_TAG_POLL) {
        on_poll(h, f, s, rs);
    } else if (!for_sync) {
        return; /* an answer to an abandoned sync */
    } else if (rs != NULL && HUB_TAG_KIND(tag) == HUB_TAG_ENTRIES) {
        on_entries(h, f, rs);
    } else if (rs != NULL && HUB_TAG_KIND(tag) == HUB_TAG_PROOF) {
        on_proof(h, f, rs);
    } else if (rs == NULL && HUB_TAG_KIND(tag) == HUB_TAG_PROOF) {
        if (y->phase == SYNC_PROVING) {
            char why[300];
            snprintf(why, sizeof why, "%s did not answer an inclusion proof within %d s",
                     f->sources[s].cfg->endpoint, HUB_REQUEST_TIMEOUT_MS / 1000);
            hub_bisect_give_up(y->bisect, why);
            sync_proven(h, f);
        } else if (y->phase == SYNC_RESUMING) {
            sync_fail(h, f, "no answer to the proof of the kept entries", true);
        }
    } else if (rs == NULL && HUB_TAG_KIND(tag) == HUB_TAG_ENTRIES) {
        char why[300];
        snprintf(why, sizeof why, "%s did not answer within %d s", f->sources[s].cfg->endpoint,
                 HUB_REQUEST_TIMEOUT_MS / 1000);
        sync_fail(h, f, why, true);
    }
    sync_pump(h, f);
}
