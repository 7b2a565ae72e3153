/* fault.c — giamsat-hub's evidence: building the four kinds of
 * common/evidence.h from what a sync or a poll found, and recording them
 * (DESIGN §2 principle 6: evidence, not accusation).
 *
 * The hub proves what it claims: every evidence is checked with
 * gs_evidence_verify, as any verifier will check it, before it is signed
 * into the hub's own log. Evidence of kinds (a), (b) and (d) is signed by
 * the log key itself and freezes the origin (the hub keeps serving what it
 * holds and cosigns nothing further); kind (c) proves that a SOURCE served
 * entries that are not the log, so only that source is dropped.
 *
 * Every evidence fits in the hub's log: a root mismatch is narrowed down to
 * one node by bisection (hub_bisect_*, over gs_bisect) and proven with the
 * one-node forms of (a) and (c); the history form of (d), which must carry
 * the whole prefix, is split into parts recorded in one transaction.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub.h"
#include "merkle.h"
#include "serve.h"

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* The Evidence statement in the hub's log and the evidence table are
 * written in one transaction: the hub never holds evidence its own log
 * does not show, nor the reverse. */
static int store_evidence(hub *h, followed *f, gs_evidence *ev, gs_buf *entry, gs_error *err)
{
    gs_statement st = {.kind = GS_BODY_EVIDENCE};
    gs_ingest *trial = NULL;
    st.u.evidence = *ev;
    int rc = gs_store_begin(h->store, err);
    if (rc != 0)
        return rc;
    if ((rc = hub_own_stage(h, &st, entry, &trial, err)) == 0 &&
        (rc = gs_store_put_evidence(h->store, f->cfg->origin, gs_bytes_of(entry->p, entry->n), NULL,
                                    err)) == 0 &&
        (rc = gs_store_commit(h->store, err)) == 0)
        hub_own_adopt(h, &trial);
    gs_store_rollback(h->store);
    gs_ingest_free(&trial);
    return rc;
}

/* Two notes with the same signed text (their signature lines aside). */
static bool same_body(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    const char *ea = strstr(a, "\n\n"), *eb = strstr(b, "\n\n");
    size_t na = ea != NULL ? (size_t)(ea - a) : strlen(a);
    size_t nb = eb != NULL ? (size_t)(eb - b) : strlen(b);
    return na == nb && memcmp(a, b, na) == 0;
}

/* One fault, one record: the same kind about the same checkpoints (in
 * either order) and, for (c), the same source and range is recorded once,
 * whatever restarts and detections happen. */
typedef struct {
    const gs_evidence *ev;
    int64_t id;
} known_scan;

static int find_known(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    (void)origin;
    known_scan *k = ctx;
    const gs_evidence *ev = k->ev;
    gs_statement st = {0};
    gs_error err;
    if (gs_wire_open_entry(data, &st, &err) == 0 && st.kind == GS_BODY_EVIDENCE) {
        const gs_evidence *o = &st.u.evidence;
        bool pair = (same_body(o->checkpoint_a, ev->checkpoint_a) &&
                     same_body(o->checkpoint_b, ev->checkpoint_b)) ||
                    (same_body(o->checkpoint_a, ev->checkpoint_b) &&
                     same_body(o->checkpoint_b, ev->checkpoint_a));
        if (o->kind == ev->kind && pair &&
            (ev->kind != GS_EVIDENCE_BAD_ENTRIES ||
             (o->first_index == ev->first_index && o->reason != NULL && ev->reason != NULL &&
              strcmp(o->reason, ev->reason) == 0)))
            k->id = id;
    }
    gs_statement_clear(&st);
    return k->id != 0;
}

/* The rotations of f's log key that a verifier given hub.conf's log_key
 * (the anchor) needs for ev (docs/formats.md "Key chains"): proven in the
 * tree of one of ev's checkpoints that the replica holds, by the chain that
 * followed the entries below its size (the cosigned chain, or the running
 * sync's). ev borrows them until detach_key_chain. */
static void attach_key_chain(hub *h, followed *f, gs_evidence *ev)
{
    const char *cand[2] = {ev->checkpoint_b, ev->checkpoint_a};
    bool sync = f->sync.phase != SYNC_IDLE;
    ev->log_key_chain = NULL;
    ev->n_log_key_chain = 0;
    if (f->keychain.n == 1 && !(sync && f->sync.kc.n > 1))
        return; /* never rotated */
    gs_error err = {0};
    for (int c = 0; c < 2; c++) {
        gs_note *n = NULL;
        gs_checkpoint cp;
        gs_hash at;
        size_t tl;
        memset(&cp, 0, sizeof cp);
        if (cand[c] == NULL || gs_note_parse(cand[c], strlen(cand[c]), &n, &err) != 0)
            continue;
        const char *body = gs_note_text(n, &tl);
        const gs_keychain *kc = NULL;
        if (gs_checkpoint_parse(body, tl, &cp, &err) == 0 && cp.size > 0 &&
            cp.size <= gs_log_committed_size(f->replica) &&
            gs_log_root_at(f->replica, cp.size, &at, &err) == 0 && memcmp(at.b, cp.root.b, 32) == 0)
            kc = cp.size <= f->keychain.next_index          ? &f->keychain
                 : sync && f->sync.kc.next_index >= cp.size ? &f->sync.kc
                                                            : NULL;
        if (kc != NULL && gs_serve_key_links(f->replica, kc, cp.size, &ev->log_key_chain,
                                             &ev->n_log_key_chain, &err) != 0)
            hub_log(h, GS_HUB_LOG_ERROR, "%s: the key chain for evidence: %s", f->cfg->origin,
                    err.msg);
        gs_checkpoint_clear(&cp);
        gs_note_free(&n);
        if (kc != NULL)
            return;
    }
}

static int fault_record(hub *h, followed *f, gs_evidence *ev, int bad_source);

static void detach_key_chain(gs_evidence *ev)
{
    gs_key_links_free(ev->log_key_chain, ev->n_log_key_chain);
    ev->log_key_chain = NULL;
    ev->n_log_key_chain = 0;
}

/* gs_evidence_verify as a verifier given hub.conf's log_key will run it,
 * the key chain attached. */
static int verify_as_reader(hub *h, followed *f, gs_evidence *ev, gs_error *err)
{
    attach_key_chain(h, f, ev);
    int rc = gs_evidence_verify(ev, &f->cfg->log_key, err);
    detach_key_chain(ev);
    return rc;
}

int hub_fault_record(hub *h, followed *f, gs_evidence *ev, int bad_source)
{
    attach_key_chain(h, f, ev);
    int rc = fault_record(h, f, ev, bad_source);
    detach_key_chain(ev);
    return rc;
}

static int fault_record(hub *h, followed *f, gs_evidence *ev, int bad_source)
{
    gs_error err = {0};
    char what[512];
    gs_buf entry = {0};
    ev->origin = f->cfg->origin;
    ev->log_key = f->log_key_str;
    ev->detected_at = (int64_t)time(NULL);
    gs_evidence_describe(ev, what, sizeof what);
    known_scan ks = {ev, 0};
    if (gs_store_list_evidence(h->store, f->cfg->origin, find_known, &ks, &err) > 0 && ks.id > 0) {
        hub_log(h, GS_HUB_LOG_WARN, "%s: %s — already recorded as evidence #%lld", f->cfg->origin,
                what, (long long)ks.id);
        if (ev->kind == GS_EVIDENCE_BAD_ENTRIES) {
            if (bad_source >= 0)
                f->sources[bad_source].bad = true;
        } else {
            f->frozen = true;
            snprintf(f->frozen_reason, sizeof f->frozen_reason, "%s", what);
        }
        return 0;
    }
    /* A failure here is a bug in the hub. */
    if (gs_evidence_verify(ev, &f->cfg->log_key, &err) != 0)
        hub_log(h, GS_HUB_LOG_ERROR, "BUG: evidence about %s does not verify: %s", f->cfg->origin,
                err.msg);
    int rc = store_evidence(h, f, ev, &entry, &err);
    if (rc != 0) {
        /* Too large for one entry (GS_MAX_ENTRY), or the disk failed: the
         * misbehaviour is still refused and announced, without the proof. */
        hub_log(h, GS_HUB_LOG_ERROR, "%s: %s — cannot record the evidence: %s", f->cfg->origin,
                what, err.msg);
        char text[1024];
        int n = snprintf(text, sizeof text, "unrecorded evidence: %s: %s", what, err.msg);
        hub_publish(h, "alert", f->cfg->origin, gs_bytes_of(text, (size_t)n));
    } else {
        h->evidence_total++;
        hub_log(h, GS_HUB_LOG_ERROR, "EVIDENCE against %s: %s; recorded as entry %llu of %s",
                f->cfg->origin, what, (unsigned long long)gs_log_committed_size(h->own) - 1,
                h->cfg.origin);
        hub_publish(h, "alert", f->cfg->origin, gs_bytes_of(entry.p, entry.n));
    }
    if (ev->kind == GS_EVIDENCE_BAD_ENTRIES) {
        if (bad_source >= 0)
            f->sources[bad_source].bad = true;
    } else {
        f->frozen = true;
        snprintf(f->frozen_reason, sizeof f->frozen_reason, "%s", what);
    }
    gs_buf_free(&entry);
    return rc;
}

void hub_fault_split_view(hub *h, followed *f, const char *a, const char *b, const char *seen)
{
    gs_evidence ev = {.kind = GS_EVIDENCE_SPLIT_VIEW};
    char reason[512];
    snprintf(reason, sizeof reason,
             "two checkpoints of one size with different roots, both signed by the log key; "
             "the second came from %s",
             seen);
    ev.checkpoint_a = a;
    ev.checkpoint_b = b;
    ev.reason = reason;
    hub_fault_record(h, f, &ev, -1);
}

/* The proof comes from the replica, from size k to the cosigned size, with
 * the size-k root prepended when k is a power of two (evidence.h). */
void hub_fault_rollback(hub *h, followed *f, const char *small_note, uint64_t k, const char *seen)
{
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
    size_t np = 0;
    gs_error err;
    gs_hash root_k;
    if (gs_log_root_at(f->replica, k, &root_k, &err) != 0 ||
        gs_log_prove_consistency(f->replica, k, f->cosigned_size, proof + 1, &np, &err) != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "%s: cannot prove a rollback to %llu: %s", f->cfg->origin,
                (unsigned long long)k, err.msg);
        return;
    }
    gs_hash *p = proof + 1;
    if (is_pow2(k)) {
        proof[0] = root_k;
        p = proof;
        np++;
    }
    char reason[512];
    snprintf(reason, sizeof reason,
             "the log signed a checkpoint of size %llu that is not a prefix of the size %llu "
             "this hub cosigned; seen at %s",
             (unsigned long long)k, (unsigned long long)f->cosigned_size, seen);
    gs_evidence ev = {.kind = GS_EVIDENCE_ROLLBACK};
    ev.checkpoint_a = f->cosigned_note;
    ev.checkpoint_b = small_note;
    ev.consistency_proof = p;
    ev.n_consistency_proof = np;
    ev.reason = reason;
    hub_fault_record(h, f, &ev, -1);
}

/* Entries [first, first + count) of the replica, for an evidence. */
static int read_entries(followed *f, uint64_t first, uint64_t count, gs_buf **out, size_t *n,
                        gs_error *err)
{
    *n = 0;
    *out = calloc(count ? count : 1, sizeof **out);
    if (*out == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < count; i++, (*n)++) {
        int rc = gs_log_entry(f->replica, first + i, &(*out)[i], err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void free_entries(gs_buf *entries, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&entries[i]);
    free(entries);
}

/* The parts of a split evidence, each an Evidence statement of the hub's
 * log, all in one transaction (store_evidence's rule): the hub's rule
 * state moves from part to part and is kept only if all commit. */
static int store_parts(hub *h, followed *f, gs_evidence *parts, size_t n, gs_buf *entries,
                       gs_error *err)
{
    gs_ingest *before = h->own_ingest, *trial = NULL;
    int rc = gs_store_begin(h->store, err);
    if (rc != 0)
        return rc;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        gs_statement st = {.kind = GS_BODY_EVIDENCE};
        st.u.evidence = parts[k];
        if ((rc = hub_own_stage(h, &st, &entries[k], &trial, err)) == 0 &&
            (rc = gs_store_put_evidence(h->store, f->cfg->origin,
                                        gs_bytes_of(entries[k].p, entries[k].n), NULL, err)) == 0) {
            /* The next part is judged after this one. */
            if (h->own_ingest != before)
                gs_ingest_free(&h->own_ingest);
            h->own_ingest = trial;
            trial = NULL;
        }
    }
    gs_ingest_free(&trial);
    if (rc == 0)
        rc = gs_store_commit(h->store, err);
    gs_store_rollback(h->store);
    if (rc != 0) {
        if (h->own_ingest != before)
            gs_ingest_free(&h->own_ingest);
        h->own_ingest = before;
    } else if (h->own_ingest != before) {
        gs_ingest_free(&before);
    }
    return rc;
}

/* (d), history form: one evidence when it fits in one entry, else its
 * parts (evidence.h), checked together as any verifier will. */
static void record_history(hub *h, followed *f, gs_evidence *ev)
{
    gs_error err = {0};
    gs_evidence *parts = NULL;
    size_t n = 0;
    char what[512];
    ev->origin = f->cfg->origin;
    ev->log_key = f->log_key_str;
    ev->detected_at = (int64_t)time(NULL);
    attach_key_chain(h, f, ev);
    if (gs_evidence_split(ev, &parts, &n, &err) != 0 || n == 1) {
        if (n != 1)
            hub_log(h, GS_HUB_LOG_ERROR, "%s: cannot split the evidence: %s", f->cfg->origin,
                    err.msg);
        free(parts);
        fault_record(h, f, ev, -1);
        detach_key_chain(ev);
        return;
    }
    const gs_evidence **list = calloc(n, sizeof *list);
    gs_buf *entries = calloc(n, sizeof *entries);
    int rc = list == NULL || entries == NULL ? gs_error_set(&err, GS_ENOMEM, "out of memory") : 0;
    for (size_t k = 0; rc == 0 && k < n; k++)
        list[k] = &parts[k];
    /* A failure here is a bug in the hub. */
    if (rc == 0 && gs_evidence_verify_parts(list, n, &f->cfg->log_key, &err) != 0)
        hub_log(h, GS_HUB_LOG_ERROR, "BUG: evidence about %s in %zu parts does not verify: %s",
                f->cfg->origin, n, err.msg);
    gs_evidence_describe(ev, what, sizeof what);
    if (rc == 0)
        rc = store_parts(h, f, parts, n, entries, &err);
    if (rc != 0) {
        hub_log(h, GS_HUB_LOG_ERROR, "%s: %s — cannot record the evidence in %zu parts: %s",
                f->cfg->origin, what, n, err.msg);
        char text[1024];
        int len = snprintf(text, sizeof text, "unrecorded evidence: %s: %s", what, err.msg);
        hub_publish(h, "alert", f->cfg->origin, gs_bytes_of(text, (size_t)len));
    } else {
        h->evidence_total++;
        hub_log(h, GS_HUB_LOG_ERROR,
                "EVIDENCE against %s: %s; recorded in %zu parts as entries %llu..%llu of %s",
                f->cfg->origin, what, n, (unsigned long long)(gs_log_committed_size(h->own) - n),
                (unsigned long long)gs_log_committed_size(h->own) - 1, h->cfg.origin);
        for (size_t k = 0; k < n; k++)
            hub_publish(h, "alert", f->cfg->origin, gs_bytes_of(entries[k].p, entries[k].n));
    }
    f->frozen = true;
    snprintf(f->frozen_reason, sizeof f->frozen_reason, "%s", what);
    for (size_t k = 0; entries != NULL && k < n; k++)
        gs_buf_free(&entries[k]);
    free(entries);
    free(list);
    free(parts);
    detach_key_chain(ev);
}

void hub_fault_rule_violation(hub *h, followed *f, const hub_target *t, uint64_t index,
                              bool bad_sig, const char *reason)
{
    gs_error err = {0};
    gs_evidence ev = {.kind = GS_EVIDENCE_RULE_VIOLATION};
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t np = 0;
    gs_buf *entries = NULL;
    size_t ne = 0;
    int rc = 0;
    ev.checkpoint_b = t->text;
    ev.reason = reason;
    if (bad_sig) {
        /* The signature form: the entry and its inclusion proof. */
        if ((rc = read_entries(f, index, 1, &entries, &ne, &err)) == 0)
            rc = gs_log_prove_inclusion(f->replica, index, t->cp.size, proof, &np, &err);
        ev.first_index = index;
        ev.inclusion_proof = proof;
        ev.n_inclusion_proof = np;
    } else {
        /* The rule form: the prefix up to the entry, and a proof from there
         * to the signed size; split into parts when it does not fit in one
         * entry (evidence.h). */
        uint64_t e = index + 1;
        if ((rc = read_entries(f, 0, e, &entries, &ne, &err)) == 0 && e < t->cp.size)
            rc = gs_log_prove_consistency(f->replica, e, t->cp.size, proof, &np, &err);
        ev.first_index = 0;
        ev.consistency_proof = proof;
        ev.n_consistency_proof = np;
    }
    ev.entries = entries;
    ev.n_entries = ne;
    if (rc == 0 && !bad_sig) {
        record_history(h, f, &ev);
    } else if (rc == 0) {
        hub_fault_record(h, f, &ev, -1);
    } else {
        hub_log(h, GS_HUB_LOG_ERROR,
                "%s: entry %llu breaks the rule book (%s) but the evidence cannot be built: %s",
                f->cfg->origin, (unsigned long long)index, reason, err.msg);
        f->frozen = true;
        snprintf(f->frozen_reason, sizeof f->frozen_reason, "entry %llu: %.400s",
                 (unsigned long long)index, reason);
    }
    free_entries(entries, ne);
}

/* Stored subtree hashes of a log, for gs_merkle_frontier_load. */
typedef struct {
    gs_store *store;
    int64_t log_id;
} store_get;

static int store_get_hash(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    store_get *g = ctx;
    return gs_store_get_hash(g->store, g->log_id, level, index, out, err);
}

void hub_fault_bad_entries(hub *h, followed *f, int source, uint64_t start, const hub_target *t,
                           char *reason)
{
    gs_error err = {0};
    gs_evidence ev = {.kind = GS_EVIDENCE_BAD_ENTRIES};
    gs_merkle_frontier fr;
    gs_buf *entries = NULL;
    size_t ne = 0;
    uint64_t count = t->cp.size - start;
    int rc = 0;
    snprintf(reason, HUB_MSG_MAX,
             "source %s served entries %llu..%llu of %s that do not hash to the root the log "
             "signed at size %llu",
             f->sources[source].cfg->endpoint, (unsigned long long)start,
             (unsigned long long)t->cp.size - 1, f->cfg->origin, (unsigned long long)t->cp.size);
    if (count > GS_MAX_EVIDENCE_ENTRIES) {
        /* One Evidence carries at most GS_MAX_EVIDENCE_ENTRIES entries (and
         * GS_MAX_ENTRY bytes): a larger bad range is refused and announced
         * but not proven (a known limit: see docs/architecture.md). */
        rc = gs_error_set(&err, GS_ETOOBIG, "%llu entries are more than one evidence carries",
                          (unsigned long long)count);
    } else {
        rc = read_entries(f, start, count, &entries, &ne, &err);
    }
    if (rc == 0 && start > 0) {
        /* The frontier of the cosigned tree (its perfect subtrees, largest
         * first), from the replica's stored subtree hashes. */
        store_get g = {h->store, 0};
        gs_store_log_state ls;
        if ((rc = gs_store_log_find(h->store, f->cfg->origin, false, &ls, &err)) == 0) {
            g.log_id = ls.id;
            rc = gs_merkle_frontier_load(&fr, start, store_get_hash, &g, &err);
        }
        ev.frontier = fr.h;
        ev.n_frontier = fr.n;
    }
    if (rc == 0) {
        ev.checkpoint_a = start > 0 ? f->cosigned_note : NULL;
        ev.checkpoint_b = t->text;
        ev.first_index = start;
        ev.entries = entries;
        ev.n_entries = ne;
        ev.reason = reason;
        hub_fault_record(h, f, &ev, source);
    } else {
        hub_log(h, GS_HUB_LOG_ERROR, "%s; the evidence cannot be built: %s", reason, err.msg);
        char text[HUB_MSG_MAX + 64];
        int n = snprintf(text, sizeof text, "unproven mismatch: %s", reason);
        hub_publish(h, "alert", f->cfg->origin, gs_bytes_of(text, (size_t)n));
        f->sources[source].bad = true;
    }
    free_entries(entries, ne);
}

/* ------------------------------------------------------------ bisection */

struct hub_bisect {
    store_get g; /* the replica's stored hashes */
    gs_bisect *b;
    uint64_t asked[2]; /* the last pair of leaves asked */
    bool asked_any;
};

int hub_bisect_start(hub *h, followed *f, const hub_target *t, hub_bisect **out, gs_error *err)
{
    gs_store_log_state ls;
    hub_bisect *hb = calloc(1, sizeof *hb);
    int rc;
    *out = NULL;
    if (hb == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    hb->g.store = h->store;
    if ((rc = gs_store_log_find(h->store, f->cfg->origin, false, &ls, err)) != 0 ||
        (hb->g.log_id = ls.id,
         rc = gs_bisect_new(&hb->b, t->cp.size, &t->cp.root, store_get_hash, &hb->g, err)) != 0) {
        free(hb);
        return rc;
    }
    *out = hb;
    return 0;
}

size_t hub_bisect_to_ask(hub_bisect *b, uint64_t leaves[2])
{
    size_t n = gs_bisect_wanted(b->b, leaves);
    /* Both proofs of a level are asked at once; a level is asked once. */
    if (n != 2 || (b->asked_any && b->asked[0] == leaves[0] && b->asked[1] == leaves[1]))
        return 0;
    b->asked[0] = leaves[0];
    b->asked[1] = leaves[1];
    b->asked_any = true;
    return 2;
}

bool hub_bisect_done(const hub_bisect *b)
{
    return gs_bisect_state_of(b->b) != GS_BISECT_ASKING;
}

void hub_bisect_give_up(hub_bisect *b, const char *why)
{
    gs_bisect_give_up(b->b, why);
}

void hub_bisect_answer(hub_bisect *b, uint64_t size, const gs_response *rs)
{
    char why[HUB_MSG_MAX];
    gs_error err = {0};
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_PROOF || rs->u.proof.size != size) {
        snprintf(why, sizeof why, "the source answered an inclusion proof request with %s: %.400s",
                 gs_status_name(rs->code),
                 rs->message != NULL && rs->message[0] ? rs->message : "no proof of that size");
        gs_bisect_give_up(b->b, why);
        return;
    }
    if (gs_bisect_take(b->b, rs->u.proof.index, rs->u.proof.hashes, rs->u.proof.n, &err) != 0) {
        snprintf(why, sizeof why, "the hub could not read its replica: %.400s", err.msg);
        gs_bisect_give_up(b->b, why);
    }
}

void hub_bisect_free(hub_bisect **bp)
{
    if (bp == NULL || *bp == NULL)
        return;
    gs_bisect_free(&(*bp)->b);
    free(*bp);
    *bp = NULL;
}

/* (a), one node: the log signed, for a node inside the prefix this hub
 * cosigned, another hash in the target's tree. */
static int record_split_node(hub *h, followed *f, int source, const hub_target *t, hub_bisect *hb,
                             unsigned level, uint64_t first, const gs_hash *hash_b,
                             const gs_hash *path_b, size_t np_b, char *reason, gs_error *err)
{
    gs_hash path_a[GS_MERKLE_MAX_PROOF];
    size_t np_a = 0;
    gs_evidence ev = {.kind = GS_EVIDENCE_SPLIT_VIEW};
    int rc = gs_evidence_node_path(level, first, f->cosigned_size, store_get_hash, &hb->g,
                                   &ev.node_hash_a, path_a, &np_a, err);
    if (rc != 0)
        return rc;
    if (level == 0)
        snprintf(reason, HUB_MSG_MAX,
                 "the log signed at size %llu a history whose entry %llu differs from the one "
                 "in the size %llu this hub cosigned: the log rewrote its history (found by "
                 "bisection with inclusion proofs from %s)",
                 (unsigned long long)t->cp.size, (unsigned long long)first,
                 (unsigned long long)f->cosigned_size, f->sources[source].cfg->endpoint);
    else
        snprintf(reason, HUB_MSG_MAX,
                 "the log signed at size %llu a history that differs inside entries "
                 "[%llu, %llu) from the size %llu this hub cosigned: the log rewrote its history "
                 "(the source's proofs went no deeper)",
                 (unsigned long long)t->cp.size, (unsigned long long)first,
                 (unsigned long long)(first + ((uint64_t)1 << level)),
                 (unsigned long long)f->cosigned_size);
    ev.has_node_hash_a = true;
    ev.checkpoint_a = f->cosigned_note;
    ev.inclusion_proof_a = path_a;
    ev.n_inclusion_proof_a = np_a;
    ev.checkpoint_b = t->text;
    ev.level = level;
    ev.first_index = first;
    ev.has_node_hash_b = true;
    ev.node_hash_b = *hash_b;
    ev.inclusion_proof = path_b;
    ev.n_inclusion_proof = np_b;
    ev.reason = reason;
    /* Checked before anything is recorded or frozen: a replica whose stored
     * hashes were damaged must not make a log look rewritten. */
    ev.origin = f->cfg->origin;
    ev.log_key = f->log_key_str;
    if ((rc = verify_as_reader(h, f, &ev, err)) != 0)
        return rc;
    hub_fault_record(h, f, &ev, -1);
    return 0;
}

/* (c), one node: the entries source served for the node are not the
 * log's. */
static int record_bad_node(hub *h, followed *f, int source, const hub_target *t, unsigned level,
                           uint64_t first, uint64_t end, const gs_hash *hash_b,
                           const gs_hash *path_b, size_t np_b, char *reason, gs_error *err)
{
    gs_buf *entries = NULL;
    size_t ne = 0;
    gs_evidence ev = {.kind = GS_EVIDENCE_BAD_ENTRIES};
    int rc = read_entries(f, first, end - first, &entries, &ne, err);
    if (rc == 0) {
        snprintf(reason, HUB_MSG_MAX,
                 "source %s served entries of %s that are not the log's: the tree the log signed "
                 "at size %llu holds others at [%llu, %llu)",
                 f->sources[source].cfg->endpoint, f->cfg->origin, (unsigned long long)t->cp.size,
                 (unsigned long long)first, (unsigned long long)end);
        ev.checkpoint_b = t->text;
        ev.level = level;
        ev.first_index = first;
        ev.has_node_hash_b = true;
        ev.node_hash_b = *hash_b;
        ev.inclusion_proof = path_b;
        ev.n_inclusion_proof = np_b;
        ev.entries = entries;
        ev.n_entries = ne;
        ev.reason = reason;
        ev.origin = f->cfg->origin;
        ev.log_key = f->log_key_str;
        if ((rc = verify_as_reader(h, f, &ev, err)) == 0)
            hub_fault_record(h, f, &ev, source);
    }
    free_entries(entries, ne);
    return rc;
}

void hub_fault_mismatch(hub *h, followed *f, int source, const hub_target *t, hub_bisect *hb,
                        char *reason)
{
    uint64_t m = f->cosigned_size;
    gs_error err = {0};
    if (hb != NULL) {
        unsigned level;
        uint64_t first;
        gs_hash hash, path[GS_MERKLE_MAX_PROOF];
        size_t np;
        const char *why;
        gs_bisect_result(hb->b, &level, &first, &hash, path, &np, &why);
        uint64_t span = (uint64_t)1 << level;
        uint64_t end = t->cp.size - first > span ? first + span : t->cp.size;
        if (why[0] != '\0')
            hub_log(h, GS_HUB_LOG_WARN,
                    "%s: the bisection stopped at entries [%llu, %llu) of %llu: %s", f->cfg->origin,
                    (unsigned long long)first, (unsigned long long)end,
                    (unsigned long long)t->cp.size, why);
        if (m > 0 && first < m && m - first >= span && f->cosigned_note != NULL) {
            if (record_split_node(h, f, source, t, hb, level, first, &hash, path, np, reason,
                                  &err) == 0)
                return;
        } else if (end - first <= GS_MAX_EVIDENCE_ENTRIES && end - first <= t->cp.size - m) {
            if (record_bad_node(h, f, source, t, level, first, end, &hash, path, np, reason,
                                &err) == 0)
                return;
        }
        if (err.msg[0] != '\0')
            hub_log(h, GS_HUB_LOG_ERROR, "%s: cannot build one-node evidence: %s", f->cfg->origin,
                    err.msg);
    }
    /* No node small enough: the entries served since the cosigned size. */
    hub_fault_bad_entries(h, f, source, m, t, reason);
}
