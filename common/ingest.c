/* ingest.c — the one ingestion and replay pipeline; see ingest.h. */
#define _POSIX_C_SOURCE 200809L
#include "ingest.h"

#include <assert.h>
#include <sodium.h>
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

typedef gs_ingest_opening opening;

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
    if (o->opened)
        return; /* opened ahead (gs_ingest_open): the same bytes, the same result */
    o->opened = true;
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

static void open_all(gs_pool *pool, opening *o, size_t n, bool trust)
{
    open_ctx oc = {o, trust};
    size_t todo = 0;
    for (size_t i = 0; i < n; i++)
        todo += !o[i].opened;
    if (pool != NULL && todo > 1)
        gs_pool_run(pool, open_one, &oc, n);
    else
        for (size_t i = 0; i < n && todo > 0; i++)
            open_one(&oc, i);
}

void gs_ingest_open(gs_pool *pool, gs_ingest_opening *o, size_t n)
{
    open_all(pool, o, n, false);
}

void gs_ingest_opening_clear(gs_ingest_opening *o)
{
    if (o->opened)
        gs_statement_clear(&o->st);
    memset(o, 0, sizeof *o);
}

int gs_ingest_push(gs_ingest *in, gs_ingest_mode mode, const gs_bytes *entries, size_t n,
                   int64_t now, gs_ingest_verdict *verdicts, gs_error *err)
{
    if (n == 0)
        return 0;
    opening *o = calloc(n, sizeof *o);
    if (o == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory ingesting %zu entries", n);
    for (size_t i = 0; i < n; i++)
        o[i].entry = entries[i];
    int rc = gs_ingest_push_opened(in, mode, o, n, now, verdicts, err);
    for (size_t i = 0; i < n; i++)
        gs_ingest_opening_clear(&o[i]);
    free(o);
    return rc;
}

int gs_ingest_push_opened(gs_ingest *in, gs_ingest_mode mode, gs_ingest_opening *o, size_t n,
                          int64_t now, gs_ingest_verdict *verdicts, gs_error *err)
{
    int rc = 0;
    gs_bytes *kept = NULL;
    size_t n_kept = 0;
    bool pooled = false;
    if (n == 0)
        return 0;
    coherent(in);
    if ((kept = calloc(n, sizeof *kept)) == NULL || grow_push(in, n, err) != 0) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory ingesting %zu entries", n);
        goto out;
    }
    open_ctx oc = {o, in->trusting};
    size_t todo = 0;
    for (size_t i = 0; i < n; i++)
        todo += !o[i].opened;
    /* Entry i is judged as soon as it is open, while the pool opens the
     * next ones: the rule book's time overlaps the signature checks. Those
     * opened ahead (gs_ingest_open) are skipped by open_one. */
    pooled = in->cfg.pool != NULL && todo > 1;
    if (pooled)
        gs_pool_start(in->cfg.pool, open_one, &oc, n);
    else
        for (size_t i = 0; i < n; i++)
            open_one(&oc, i);

    /* The rule book is a sequence: judge in order. */
    in->push_base = in->frontier.size;
    in->push_n = 0;
    for (size_t i = 0; i < n; i++) {
        gs_ingest_verdict local, *v = verdicts != NULL ? &verdicts[i] : &local;
        if (pooled)
            gs_pool_wait_item(in->cfg.pool, i);
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
            kept[n_kept++] = o[i].entry;
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
    if (pooled)
        gs_pool_finish(in->cfg.pool);
    in->push_n = 0;
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

/* ------------------------------------------------------------ snapshots */

#define SNAPSHOT_DOMAIN "giamsat/rule-snapshot/v1\n"

#define SEAL_KEY_DOMAIN "giamsat/rule-snapshot-key/v1"

void gs_ingest_seal_key_derive(const gs_keypair *kp, gs_ingest_seal_key *out)
{
    /* the seed (the first half of libsodium's secret key) keys the hash */
    crypto_generichash(out->b, sizeof out->b, (const uint8_t *)SEAL_KEY_DOMAIN,
                       sizeof SEAL_KEY_DOMAIN - 1, kp->sec, 32);
}

void gs_ingest_snapshot_check(const gs_ingest_seal_key *key, const char *origin, uint64_t size,
                              const gs_hash *root, gs_bytes state, gs_hash *out)
{
    crypto_generichash_state h;
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(size >> (56 - 8 * i));
    crypto_generichash_init(&h, key->b, sizeof key->b, sizeof out->b);
    crypto_generichash_update(&h, (const uint8_t *)SNAPSHOT_DOMAIN, sizeof SNAPSHOT_DOMAIN - 1);
    crypto_generichash_update(&h, (const uint8_t *)origin, strlen(origin));
    crypto_generichash_update(&h, (const uint8_t *)"\n", 1);
    crypto_generichash_update(&h, be, sizeof be);
    crypto_generichash_update(&h, root->b, sizeof root->b);
    crypto_generichash_update(&h, state.p, state.n);
    crypto_generichash_final(&h, out->b, sizeof out->b);
}

int gs_ingest_snapshot_save(const gs_ingest *in, gs_store *store, int64_t log_id,
                            const gs_ingest_seal_key *key, gs_error *err)
{
    if (in->broken)
        return gs_error_set(err, GS_EINVAL,
                            "the log of %s broke the rule book at entry %llu: no snapshot of it",
                            in->origin, (unsigned long long)in->broken_at);
    if (gs_ingest_size(in) == 0)
        return gs_error_set(err, GS_EINVAL, "the log of %s is empty: nothing to snapshot",
                            in->origin);
    gs_buf state = {0};
    gs_hash root, check;
    int rc = gs_rules_snapshot_write(in->rules, &state, err);
    if (rc != 0)
        return rc;
    gs_ingest_root(in, &root);
    gs_bytes b = gs_bytes_of(state.p, state.n);
    gs_ingest_snapshot_check(key, in->origin, gs_ingest_size(in), &root, b, &check);
    rc = gs_store_put_snapshot(store, log_id, gs_ingest_size(in), &root, b, &check, err);
    gs_buf_free(&state);
    return rc;
}

typedef struct {
    gs_store *store;
    int64_t log_id;
} store_get_ctx;

static int store_get(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    store_get_ctx *g = ctx;
    return gs_store_get_hash(g->store, g->log_id, level, index, out, err);
}

static void say_ignored(gs_ingest_say_fn say, void *ctx, const char *origin, uint64_t size,
                        const char *why)
{
    if (say == NULL)
        return;
    char line[GS_ERROR_MSG_MAX + 256];
    snprintf(line, sizeof line,
             "ignoring the rule snapshot of %s at size %llu: %s; an older one or a full replay "
             "is used instead",
             origin, (unsigned long long)size, why);
    say(ctx, line);
}

/* One snapshot held, checked: integrity hash, root against the log's own
 * (proven) root at that size, bytes that parse to a state of that size.
 * 1 with the state in *rules and the frontier in *f; 0 when it is bad (said);
 * < 0 when the store failed. */
static int snapshot_good(const gs_ingest *in, gs_store *store, int64_t log_id, gs_log *l,
                         const gs_ingest_seal_key *key, const gs_store_snapshot *snap,
                         gs_rules_state **rules, gs_merkle_frontier *f, gs_ingest_say_fn say,
                         void *say_ctx, gs_error *err)
{
    gs_hash check, root, fr;
    gs_error e = {0};
    char why[GS_ERROR_MSG_MAX + 64];
    gs_bytes b = gs_bytes_of(snap->state.p, snap->state.n);
    gs_ingest_snapshot_check(key, in->origin, snap->size, &snap->root, b, &check);
    if (sodium_memcmp(check.b, snap->check.b, sizeof check.b) != 0) {
        say_ignored(say, say_ctx, in->origin, snap->size,
                    "its seal does not match its bytes (altered or damaged on disk, or sealed "
                    "with another node key)");
        return 0;
    }
    int rc = gs_log_root_at(l, snap->size, &root, &e);
    if (rc == GS_ENOMEM || rc == GS_EIO) {
        if (err != NULL)
            *err = e;
        return rc;
    }
    if (rc != 0) {
        snprintf(why, sizeof why, "the log's root at that size cannot be read (%s)", e.msg);
        say_ignored(say, say_ctx, in->origin, snap->size, why);
        return 0;
    }
    if (sodium_memcmp(root.b, snap->root.b, sizeof root.b) != 0) {
        say_ignored(say, say_ctx, in->origin, snap->size,
                    "it belongs to another tree (its root is not the log's root at that size)");
        return 0;
    }
    store_get_ctx g = {store, log_id};
    if ((rc = gs_merkle_frontier_load(f, snap->size, store_get, &g, &e)) != 0) {
        snprintf(why, sizeof why, "the tree hashes at that size cannot be read (%s)", e.msg);
        say_ignored(say, say_ctx, in->origin, snap->size, why);
        return 0;
    }
    gs_merkle_frontier_root(f, &fr);
    if (sodium_memcmp(fr.b, root.b, sizeof fr.b) != 0) {
        say_ignored(say, say_ctx, in->origin, snap->size,
                    "the stored tree hashes at that size do not give the log's root");
        return 0;
    }
    if ((rc = gs_rules_snapshot_read(rules, in->origin, b, &e)) != 0) {
        if (rc == GS_ENOMEM) {
            if (err != NULL)
                *err = e;
            return rc;
        }
        say_ignored(say, say_ctx, in->origin, snap->size, e.msg);
        return 0;
    }
    if (gs_rules_size(*rules) != snap->size) {
        gs_rules_state_free(rules);
        say_ignored(say, say_ctx, in->origin, snap->size, "the state it holds is of another size");
        return 0;
    }
    return 1;
}

int gs_ingest_snapshot_load(gs_ingest *in, gs_store *store, gs_log *l, uint64_t at_most,
                            const gs_ingest_seal_key *key, gs_ingest_snapshot_use *use,
                            gs_ingest_say_fn say, void *say_ctx, gs_error *err)
{
    memset(use, 0, sizeof *use);
    int rc = gs_ingest_reset(in, err);
    if (rc != 0)
        return rc;
    gs_store_log_state ls;
    if ((rc = gs_store_log_find(store, in->origin, false, &ls, err)) != 0)
        return rc;
    while (at_most > 0) {
        gs_store_snapshot snap;
        gs_error e = {0};
        rc = gs_store_get_snapshot(store, ls.id, at_most, &snap, &e);
        if (rc == GS_ENOTFOUND)
            return 0;
        if (rc != 0) {
            if (err != NULL)
                *err = e;
            return rc;
        }
        gs_rules_state *rules = NULL;
        gs_merkle_frontier f;
        int good = snapshot_good(in, store, ls.id, l, key, &snap, &rules, &f, say, say_ctx, err);
        at_most = snap.size - 1;
        if (good > 0) {
            gs_rules_state_free(&in->rules);
            in->rules = rules;
            in->frontier = f;
            use->size = snap.size;
            use->state = snap.state; /* taken over */
            snap.state = (gs_buf){0};
        } else {
            use->ignored++;
        }
        gs_store_snapshot_clear(&snap);
        if (good != 0)
            return good < 0 ? good : 0;
    }
    return 0;
}

void gs_ingest_snapshot_use_clear(gs_ingest_snapshot_use *use)
{
    if (use != NULL)
        gs_buf_free(&use->state);
}

int gs_ingest_snapshot_compare(const gs_ingest *in, gs_bytes state, bool *same, gs_error *err)
{
    gs_buf mine = {0};
    *same = false;
    if (in->broken)
        return 0;
    int rc = gs_rules_snapshot_write(in->rules, &mine, err);
    if (rc != 0)
        return rc;
    *same = mine.n == state.n && memcmp(mine.p, state.p, mine.n) == 0;
    gs_buf_free(&mine);
    return 0;
}
