/* ingest.c — the one ingestion and replay pipeline; see ingest.h. */
#define _POSIX_C_SOURCE 200809L
#include "ingest.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries read from a store per page when replaying it. */
#define REPLAY_PAGE 256

struct gs_ingest {
    char *origin;
    gs_ingest_config cfg;
    gs_rules_state *rules;
    gs_merkle_frontier frontier;
    bool broken;
    bool trusting;      /* inside gs_ingest_replay_log of a trusted store only */
    uint64_t broken_at; /* the entry refused, when broken */
    /* During a push: the entries of this push accepted so far, so a later
     * entry of the same push can reference them (leaf and kind by index). */
    uint64_t push_base;
    size_t push_n;
    gs_hash *push_leaf;
    gs_body_kind *push_kind;
    size_t push_cap;
};

/* One entry being opened, on the pool. */
typedef struct {
    gs_bytes entry;
    int rc;
    gs_error err;
    gs_statement st;
    gs_hash leaf;
} opening;

typedef struct {
    opening *o;
    bool trust;
} open_ctx;

static void coherent(const gs_ingest *in)
{
    /* The frontier describes exactly the entries held; unbroken, the rule
     * state has judged each of them. */
    assert(in->frontier.n <= 64);
    assert(in->broken || gs_rules_size(in->rules) == in->frontier.size);
    (void)in;
}

static int entry_lookup(void *ctx, uint64_t index, gs_hash *leaf, gs_body_kind *kind, gs_error *err)
{
    gs_ingest *in = ctx;
    if (index >= in->push_base && index - in->push_base < in->push_n) {
        size_t k = (size_t)(index - in->push_base);
        *leaf = in->push_leaf[k];
        *kind = in->push_kind[k];
        return 0;
    }
    if (in->cfg.entry_at == NULL)
        return gs_error_set(err, GS_ENOTFOUND, "entry %llu of %s is not available to this check",
                            (unsigned long long)index, in->origin);
    return in->cfg.entry_at(in->cfg.entry_ctx, index, leaf, kind, err);
}

int gs_ingest_new(gs_ingest **out, const char *origin, const gs_ingest_config *cfg, gs_error *err)
{
    gs_ingest *in = calloc(1, sizeof *in);
    if (in == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    int rc = GS_ENOMEM;
    in->cfg = *cfg;
    if ((in->origin = strdup(origin)) == NULL) {
        gs_error_set(err, GS_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = gs_rules_state_new(&in->rules, origin, err)) != 0)
        goto fail;
    gs_merkle_frontier_init(&in->frontier);
    *out = in;
    return 0;
fail:
    gs_ingest_free(&in);
    return rc;
}

int gs_ingest_clone(gs_ingest **out, const gs_ingest *src, gs_error *err)
{
    gs_ingest *in = calloc(1, sizeof *in);
    if (in == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    int rc = GS_ENOMEM;
    in->cfg = src->cfg;
    in->frontier = src->frontier;
    in->broken = src->broken;
    in->broken_at = src->broken_at;
    if ((in->origin = strdup(src->origin)) == NULL) {
        gs_error_set(err, GS_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = gs_rules_state_clone(&in->rules, src->rules, err)) != 0)
        goto fail;
    *out = in;
    return 0;
fail:
    gs_ingest_free(&in);
    return rc;
}

void gs_ingest_free(gs_ingest **ip)
{
    gs_ingest *in = *ip;
    if (in == NULL)
        return;
    gs_rules_state_free(&in->rules);
    free(in->push_leaf);
    free(in->push_kind);
    free(in->origin);
    free(in);
    *ip = NULL;
}

int gs_ingest_reset(gs_ingest *in, gs_error *err)
{
    gs_rules_state *fresh = NULL;
    int rc = gs_rules_state_new(&fresh, in->origin, err);
    if (rc != 0)
        return rc;
    gs_rules_state_free(&in->rules);
    in->rules = fresh;
    gs_merkle_frontier_init(&in->frontier);
    in->broken = false;
    return 0;
}

void gs_ingest_set_stage(gs_ingest *in, gs_log *stage)
{
    in->cfg.stage = stage;
}

void gs_ingest_set_on_entry(gs_ingest *in, gs_ingest_entry_fn fn, void *ctx)
{
    in->cfg.on_entry = fn;
    in->cfg.on_entry_ctx = ctx;
}

uint64_t gs_ingest_size(const gs_ingest *in)
{
    return in->frontier.size;
}

void gs_ingest_root(const gs_ingest *in, gs_hash *out)
{
    gs_merkle_frontier_root(&in->frontier, out);
}

bool gs_ingest_broken(const gs_ingest *in)
{
    return in->broken;
}

const gs_rules_state *gs_ingest_rules(const gs_ingest *in)
{
    return in->rules;
}

const char *gs_ingest_origin(const gs_ingest *in)
{
    return in->origin;
}

void gs_ingest_verdict_text(const gs_ingest_verdict *v, char *out, size_t cap)
{
    if (v->accepted)
        snprintf(out, cap, "accepted as entry %llu", (unsigned long long)v->index);
    else if (!v->judged)
        snprintf(out, cap, "not judged: %s", v->message);
    else
        snprintf(out, cap, "%s: %s", gs_rules_reason_name(v->reason), v->message);
}

/* Decode, and verify the signature over the bytes that arrived unless the
 * caller's store already did when they came in. */
static void open_one(void *ctx, size_t i)
{
    open_ctx *c = ctx;
    opening *o = &c->o[i];
    memset(&o->st, 0, sizeof o->st);
    o->err = (gs_error){0};
    gs_merkle_leaf_hash(o->entry, &o->leaf);
    if (!c->trust) {
        o->rc = gs_wire_open_entry(o->entry, &o->st, &o->err);
        return;
    }
    gs_signed_statement ss;
    o->rc = gs_wire_decode_signed_statement(o->entry, &ss, &o->err);
    if (o->rc == 0)
        o->rc = gs_wire_decode_statement(ss.statement, &o->st, &o->err);
}

static int grow_push(gs_ingest *in, size_t n, gs_error *err)
{
    if (n <= in->push_cap)
        return 0;
    gs_hash *l = realloc(in->push_leaf, n * sizeof *l);
    if (l == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    in->push_leaf = l;
    gs_body_kind *k = realloc(in->push_kind, n * sizeof *k);
    if (k == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    in->push_kind = k;
    in->push_cap = n;
    return 0;
}

/* Judges one opened entry at the pipeline's next index; fills v. */
static void judge(gs_ingest *in, gs_ingest_mode mode, const opening *o, int64_t now,
                  gs_ingest_verdict *v)
{
    v->index = in->frontier.size;
    v->leaf = o->leaf;
    if (o->rc != 0) {
        v->judged = true;
        v->code = o->rc == GS_ENOMEM ? GS_ENOMEM : o->rc == GS_EVERIFY ? GS_EVERIFY : GS_EINVAL;
        v->reason = o->rc == GS_EVERIFY ? GS_RULE_BAD_SIGNATURE : GS_RULE_MALFORMED;
        snprintf(v->message, sizeof v->message, "%s", o->err.msg);
        return;
    }
    v->opened = true;
    v->kind = o->st.kind;
    v->signer = o->st.signer;
    if (in->broken) {
        snprintf(v->message, sizeof v->message,
                 "it follows entry %llu of %s, which the rule book refused",
                 (unsigned long long)in->broken_at, in->origin);
        if (mode == GS_INGEST_SUBMISSION) {
            /* Nothing is appended to a log whose history is broken. */
            v->judged = true;
            v->code = GS_ECONFLICT;
            v->reason = GS_RULE_OUT_OF_ORDER;
        }
        return;
    }
    gs_rules_params p = {
        .now = now,
        .max_skew = mode == GS_INGEST_SUBMISSION ? in->cfg.max_skew : 0,
        .replay = mode == GS_INGEST_HISTORY,
        .entry_at = entry_lookup,
        .entry_ctx = in,
    };
    gs_rule_verdict rv = {0};
    v->judged = true;
    if (gs_rules_apply(in->rules, &o->st, &o->leaf, in->frontier.size, &p, &rv) != 0) {
        v->code = rv.code;
        v->reason = rv.reason;
        snprintf(v->message, sizeof v->message, "%s", rv.message);
        return;
    }
    v->accepted = true;
    v->reason = GS_RULE_OK;
}

int gs_ingest_push(gs_ingest *in, gs_ingest_mode mode, const gs_bytes *entries, size_t n,
                   int64_t now, gs_ingest_verdict *verdicts, gs_error *err)
{
    int rc = 0;
    opening *o = NULL;
    gs_bytes *kept = NULL;
    size_t n_kept = 0;
    if (n == 0)
        return 0;
    coherent(in);
    if ((o = calloc(n, sizeof *o)) == NULL || (kept = calloc(n, sizeof *kept)) == NULL ||
        grow_push(in, n, err) != 0) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory ingesting %zu entries", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        o[i].entry = entries[i];
    open_ctx oc = {o, in->trusting};
    if (in->cfg.pool != NULL && n > 1)
        gs_pool_run(in->cfg.pool, open_one, &oc, n);
    else
        for (size_t i = 0; i < n; i++)
            open_one(&oc, i);

    /* The rule book is a sequence: judge in order. */
    in->push_base = in->frontier.size;
    in->push_n = 0;
    for (size_t i = 0; i < n; i++) {
        gs_ingest_verdict local, *v = verdicts != NULL ? &verdicts[i] : &local;
        memset(v, 0, sizeof *v);
        judge(in, mode, &o[i], now, v);
        if (v->code == GS_ENOMEM || v->reason == GS_RULE_NO_MEMORY) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory judging entry %llu",
                              (unsigned long long)v->index);
            goto out;
        }
        bool keep = mode == GS_INGEST_HISTORY || v->accepted;
        if (mode == GS_INGEST_HISTORY && v->judged && !v->accepted && !in->broken) {
            in->broken = true;
            in->broken_at = v->index;
        }
        if (keep) {
            gs_merkle_frontier_append(&in->frontier, &o[i].leaf, NULL, NULL);
            in->push_leaf[in->push_n] = o[i].leaf;
            in->push_kind[in->push_n] = v->opened ? o[i].st.kind : GS_BODY_NONE;
            in->push_n++;
            kept[n_kept++] = entries[i];
        }
        coherent(in);
        if (in->cfg.on_entry != NULL &&
            (rc = in->cfg.on_entry(in->cfg.on_entry_ctx, in, v, v->opened ? &o[i].st : NULL,
                                   err)) != 0)
            goto out;
    }
    if (in->cfg.stage != NULL && n_kept > 0) {
        uint64_t first = 0;
        if ((rc = gs_log_stage(in->cfg.stage, kept, n_kept, &first, err)) != 0)
            goto out;
        /* The store and the pipeline describe the same log. */
        assert(first == in->push_base);
    }
out:
    in->push_n = 0;
    for (size_t i = 0; o != NULL && i < n; i++)
        gs_statement_clear(&o[i].st);
    free(o);
    free(kept);
    return rc;
}

int gs_ingest_replay_log(gs_ingest *in, gs_log *l, uint64_t size, bool trusted,
                         gs_ingest_verdict *first_refused, gs_error *err)
{
    gs_buf page[REPLAY_PAGE];
    gs_bytes b[REPLAY_PAGE];
    gs_ingest_verdict *v = calloc(REPLAY_PAGE, sizeof *v);
    int rc = 0;
    if (v == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (first_refused != NULL)
        memset(first_refused, 0, sizeof *first_refused);
    memset(page, 0, sizeof page);
    bool found = false;
    in->trusting = trusted;
    while (rc == 0 && gs_ingest_size(in) < size) {
        uint64_t at = gs_ingest_size(in);
        size_t n = size - at < REPLAY_PAGE ? (size_t)(size - at) : REPLAY_PAGE;
        size_t got = 0;
        for (; got < n; got++) {
            if ((rc = gs_log_entry(l, at + got, &page[got], err)) != 0) {
                gs_error_wrap(err, "entry %llu of %s", (unsigned long long)(at + got), in->origin);
                break;
            }
            b[got] = gs_bytes_of(page[got].p, page[got].n);
        }
        /* What was read before an unreadable entry is still taken in: a
         * node whose entry 4 was altered on disk still knows its Charter
         * and roster, and serves everything else. */
        int prc = 0;
        gs_error scratch = {0};
        if (got > 0)
            prc = gs_ingest_push(in, GS_INGEST_HISTORY, b, got, 0, v, rc == 0 ? err : &scratch);
        if (prc != 0)
            rc = prc;
        for (size_t i = 0; prc == 0 && !found && i < got; i++) {
            if (v[i].judged && !v[i].accepted) {
                found = true;
                if (first_refused != NULL)
                    *first_refused = v[i];
            }
        }
        for (size_t i = 0; i < got; i++)
            gs_buf_free(&page[i]);
    }
    in->trusting = false;
    free(v);
    return rc;
}

int gs_ingest_log_entry_at(void *ctx, uint64_t index, gs_hash *leaf, gs_body_kind *kind,
                           gs_error *err)
{
    gs_log *l = ctx;
    gs_buf e = {0};
    gs_signed_statement ss;
    gs_statement st = {0};
    int rc = gs_log_entry(l, index, &e, err);
    if (rc != 0)
        return rc;
    gs_merkle_leaf_hash(gs_bytes_of(e.p, e.n), leaf);
    /* Its signature was checked when it was ingested. */
    if ((rc = gs_wire_decode_signed_statement(gs_bytes_of(e.p, e.n), &ss, err)) == 0 &&
        (rc = gs_wire_decode_statement(ss.statement, &st, err)) == 0)
        *kind = st.kind;
    gs_statement_clear(&st);
    gs_buf_free(&e);
    return rc;
}
