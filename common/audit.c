/* audit.c — the audit engine: checkpoints judged against the trust file,
 * logs read from an entry source page by page and replayed through the rule
 * book, the leaf record on disk that lets later checks look entries up
 * without keeping them in memory, and the audit of a whole hub. See
 * audit.h. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "evidence.h"
#include "ingest.h"
#include "merkle.h"

/* ------------------------------------------------------ trusted checkpoint */

void gs_audit_trusted_clear(gs_audit_trusted *t)
{
    gs_note_free(&t->note);
    gs_checkpoint_clear(&t->cp);
    free(t->witness);
    free(t->witness_time);
    memset(t, 0, sizeof *t);
}

/* own_hub: the checkpoint is the hub's own log, read from that hub; it only
 * adds a hint to a quorum failure (the check is gs_policy_verify_checkpoint
 * for every log, docs/trust.md). */
static int trust_checkpoint(const gs_policy *pol, const char *origin, const char *note, size_t len,
                            bool own_hub, const gs_keychain *kc, gs_audit_trusted *out,
                            gs_error *err)
{
    gs_policy_result res = {0};
    size_t body_len = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = gs_note_parse(note, len, &out->note, err)) != 0) {
        gs_error_wrap(err, "the checkpoint is not a signed note");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    const char *body = gs_note_text(out->note, &body_len);
    if ((rc = gs_checkpoint_parse(body, body_len, &out->cp, err)) != 0) {
        gs_error_wrap(err, "the checkpoint");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    if (strcmp(out->cp.origin, origin) != 0) {
        rc = gs_error_set(err, GS_EVERIFY, "the checkpoint is for %s, not %s", out->cp.origin,
                          origin);
        goto out;
    }
    if ((rc = gs_policy_log_key(pol, origin, &out->log_key, err)) != 0) {
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    if (kc != NULL) {
        /* The trust file names the log's first key; its rotations, followed
         * from it (keychain.h), name the key for this size. A note by a
         * retired or unknown key is refused here, with the sentence saying
         * which. */
        if (strcmp(kc->origin, origin) != 0 ||
            memcmp(kc->links[0].key.b, out->log_key.key.b, 32) != 0) {
            rc = gs_error_set(err, GS_EINVAL,
                              "the key chain of %s does not start at the trust file's key", origin);
            goto out;
        }
        if ((rc = gs_keychain_verify_note(kc, out->note, out->cp.size, err)) != 0) {
            if (kc->n == 1)
                gs_error_wrap(err,
                              "the checkpoint of %s is not signed by the log key the trust file "
                              "lists for it (%s+%08x)",
                              origin, out->log_key.name, out->log_key.key_hash);
            rc = err->code = GS_EVERIFY;
            goto out;
        }
        if ((rc = gs_keychain_vkey_for_size(kc, out->cp.size, &out->log_key, err)) != 0)
            goto out;
    }
    rc = gs_policy_verify_checkpoint_key(pol, note, len, kc != NULL ? &out->log_key : NULL, &res,
                                         err);
    if (rc != 0 && res.log_signed && !res.quorum_met) {
        size_t have = 0;
        for (size_t i = 0; i < res.n_witnesses; i++)
            have += res.cosigned[i];
        /* A lone hub's log is cosigned by nobody: say how its trust file
         * lets the hub stand for itself. */
        rc = gs_error_set(err, GS_EVERIFY,
                          "checkpoint below quorum: %zu of %zu witnesses in the trust file "
                          "cosigned %s at size %llu, and the quorum \"%s\" is not met%s",
                          have, res.n_witnesses, origin, (unsigned long long)out->cp.size,
                          gs_policy_quorum_name(pol),
                          own_hub && !res.self_counted
                              ? " (the hub's own log: list the hub's cosigner key as a witness, "
                                "`giamsat trust add-witness`, and it counts for its own log; "
                                "docs/trust.md)"
                              : "");
        goto out;
    }
    if (rc != 0) {
        if (!res.log_signed && rc == GS_EVERIFY)
            gs_error_set(err, GS_EVERIFY,
                         "the checkpoint of %s is not signed by the log key the trust file lists "
                         "for it (%s+%08x)",
                         origin, out->log_key.name, out->log_key.key_hash);
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    if ((out->witness = calloc(res.n_witnesses + 1, sizeof *out->witness)) == NULL ||
        (out->witness_time = calloc(res.n_witnesses + 1, sizeof *out->witness_time)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < res.n_witnesses; i++) {
        const char *name = NULL;
        if (!res.cosigned[i])
            continue;
        gs_policy_witness_at(pol, i, &name, NULL);
        out->witness[out->n_witnesses] = name;
        out->witness_time[out->n_witnesses++] = res.timestamps[i];
    }
    snprintf(out->quorum, sizeof out->quorum, "%s", gs_policy_quorum_name(pol));
    rc = 0;
out:
    gs_policy_result_clear(&res);
    if (rc != 0) {
        gs_note_free(&out->note);
        gs_checkpoint_clear(&out->cp);
        free(out->witness);
        free(out->witness_time);
        out->witness = NULL;
        out->witness_time = NULL;
    }
    return rc;
}

int gs_audit_trust_checkpoint(const gs_policy *pol, const char *origin, const char *note,
                              size_t len, gs_audit_trusted *out, gs_error *err)
{
    return trust_checkpoint(pol, origin, note, len, false, NULL, out, err);
}

int gs_audit_trust_checkpoint_chain(const gs_policy *pol, const char *origin, const char *note,
                                    size_t len, const gs_keychain *kc, gs_audit_trusted *out,
                                    gs_error *err)
{
    return trust_checkpoint(pol, origin, note, len, false, kc, out, err);
}

/* ------------------------------------------------------------ entry source */

void gs_audit_entries_free(gs_buf *entries, size_t n)
{
    for (size_t i = 0; entries != NULL && i < n; i++)
        gs_buf_free(&entries[i]);
    free(entries);
}

/* ------------------------------------------------------------ name index */

static uint64_t name_hash(const gs_audit_index *ix, const char *s)
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, (const unsigned char *)s, strlen(s), ix->hash_key);
    memcpy(&v, h, sizeof v);
    return v;
}

int gs_audit_index_put(gs_audit_index *ix, const char *key, size_t val, gs_error *err)
{
    if (ix->cap == 0)
        randombytes_buf(ix->hash_key, sizeof ix->hash_key);
    if ((ix->n + 1) * 2 > ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        const char **nk = calloc(cap, sizeof *nk);
        size_t *nv = calloc(cap, sizeof *nv);
        if (nk == NULL || nv == NULL) {
            free(nk);
            free(nv);
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < ix->cap; i++) {
            if (ix->key[i] == NULL)
                continue;
            size_t j = name_hash(ix, ix->key[i]) & (cap - 1);
            while (nk[j] != NULL)
                j = (j + 1) & (cap - 1);
            nk[j] = ix->key[i];
            nv[j] = ix->val[i];
        }
        free(ix->key);
        free(ix->val);
        ix->key = nk;
        ix->val = nv;
        ix->cap = cap;
    }
    size_t j = name_hash(ix, key) & (ix->cap - 1);
    while (ix->key[j] != NULL) {
        if (strcmp(ix->key[j], key) == 0) {
            ix->val[j] = val;
            return 0;
        }
        j = (j + 1) & (ix->cap - 1);
    }
    ix->key[j] = key;
    ix->val[j] = val;
    ix->n++;
    return 0;
}

size_t gs_audit_index_get(const gs_audit_index *ix, const char *key)
{
    if (ix->cap == 0)
        return SIZE_MAX;
    size_t j = name_hash(ix, key) & (ix->cap - 1);
    while (ix->key[j] != NULL) {
        if (strcmp(ix->key[j], key) == 0)
            return ix->val[j];
        j = (j + 1) & (ix->cap - 1);
    }
    return SIZE_MAX;
}

void gs_audit_index_clear(gs_audit_index *ix)
{
    free(ix->key);
    free(ix->val);
    memset(ix, 0, sizeof *ix);
}

/* ----------------------------------------------------------- leaf record */

/* One record on disk: leaf hash (32), signer (32), kind (1), the
 * commitment's entry index (8, little-endian; UINT64_MAX for none). */
#define REC_SIZE 73

typedef struct {
    char *origin;
    uint64_t base; /* first record */
    uint64_t size;
} leaf_run;

struct gs_audit_leafdb {
    FILE *f;
    int fd;
    leaf_run *runs;
    size_t n_runs, cap_runs;
    gs_audit_index by_origin; /* origin -> run */
    uint64_t records;
    /* Records not yet written, so the current page can be read back while
     * it is being replayed. */
    uint8_t *pend;
    size_t n_pend, cap_pend;
};

int gs_audit_leafdb_open(gs_audit_leafdb **out, gs_error *err)
{
    gs_audit_leafdb *db = calloc(1, sizeof *db);
    if (db == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    /* tmpfile() is unlinked already: nothing is left behind, whatever
     * happens to this process. */
    if ((db->f = tmpfile()) == NULL) {
        free(db);
        return gs_error_set(err, GS_EIO, "cannot create a temporary file for the leaf record: %s",
                            strerror(errno));
    }
    db->fd = fileno(db->f);
    *out = db;
    return 0;
}

void gs_audit_leafdb_close(gs_audit_leafdb **dbp)
{
    gs_audit_leafdb *db = *dbp;
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->n_runs; i++)
        free(db->runs[i].origin);
    free(db->runs);
    gs_audit_index_clear(&db->by_origin);
    free(db->pend);
    fclose(db->f);
    free(db);
    *dbp = NULL;
}

static int flush_pending(gs_audit_leafdb *db, gs_error *err)
{
    size_t done = 0;
    uint64_t first = db->records - db->n_pend / REC_SIZE;
    while (done < db->n_pend) {
        ssize_t w =
            pwrite(db->fd, db->pend + done, db->n_pend - done, (off_t)(first * REC_SIZE + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return gs_error_set(err, GS_EIO, "cannot write the leaf record (temporary file): %s",
                                w < 0 ? strerror(errno) : "disk full");
        done += (size_t)w;
    }
    db->n_pend = 0;
    return 0;
}

int gs_audit_leafdb_begin(gs_audit_leafdb *db, const char *origin, size_t *log, gs_error *err)
{
    size_t dummy;
    int rc;
    if (gs_audit_leafdb_find(db, origin, &dummy) == 0)
        return gs_error_set(err, GS_ECONFLICT, "%s was read twice", origin);
    if ((rc = flush_pending(db, err)) != 0)
        return rc;
    if (db->n_runs == db->cap_runs) {
        size_t cap = db->cap_runs ? db->cap_runs * 2 : 16;
        leaf_run *v = realloc(db->runs, cap * sizeof *v);
        if (v == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        db->runs = v;
        db->cap_runs = cap;
    }
    leaf_run *r = &db->runs[db->n_runs];
    if ((r->origin = strdup(origin)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if ((rc = gs_audit_index_put(&db->by_origin, r->origin, db->n_runs, err)) != 0) {
        free(r->origin);
        return rc;
    }
    r->base = db->records;
    r->size = 0;
    *log = db->n_runs++;
    return 0;
}

int gs_audit_leafdb_append(gs_audit_leafdb *db, const gs_audit_leaf *v, size_t n, gs_error *err)
{
    int rc;
    if (db->n_runs == 0)
        return gs_error_set(err, GS_EINVAL, "leaf record: no log begun");
    for (size_t i = 0; i < n; i++) {
        if (db->n_pend + REC_SIZE > db->cap_pend) {
            if (db->n_pend > 0 && (rc = flush_pending(db, err)) != 0)
                return rc;
            if (db->cap_pend == 0) {
                db->cap_pend = REC_SIZE * 1024;
                if ((db->pend = malloc(db->cap_pend)) == NULL)
                    return gs_error_set(err, GS_ENOMEM, "out of memory");
            }
        }
        uint8_t *p = db->pend + db->n_pend;
        memcpy(p, v[i].leaf.b, 32);
        memcpy(p + 32, v[i].signer.b, 32);
        p[64] = (uint8_t)v[i].kind;
        for (int b = 0; b < 8; b++)
            p[65 + b] = (uint8_t)(v[i].commitment >> (8 * b));
        db->n_pend += REC_SIZE;
        db->records++;
        db->runs[db->n_runs - 1].size++;
    }
    return 0;
}

int gs_audit_leafdb_find(const gs_audit_leafdb *db, const char *origin, size_t *log)
{
    size_t i = gs_audit_index_get(&db->by_origin, origin);
    if (i == SIZE_MAX)
        return GS_ENOTFOUND;
    *log = i;
    return 0;
}

uint64_t gs_audit_leafdb_size(const gs_audit_leafdb *db, size_t log)
{
    return log < db->n_runs ? db->runs[log].size : 0;
}

const char *gs_audit_leafdb_origin(const gs_audit_leafdb *db, size_t log)
{
    return log < db->n_runs ? db->runs[log].origin : "";
}

int gs_audit_leafdb_get(gs_audit_leafdb *db, size_t log, uint64_t index, gs_audit_leaf *out,
                        gs_error *err)
{
    uint8_t rec[REC_SIZE];
    const uint8_t *p;
    if (log >= db->n_runs || index >= db->runs[log].size)
        return gs_error_set(err, GS_ENOTFOUND, "entry %llu of %s was not read",
                            (unsigned long long)index, gs_audit_leafdb_origin(db, log));
    uint64_t at = db->runs[log].base + index;
    uint64_t pend_first = db->records - db->n_pend / REC_SIZE;
    if (at >= pend_first) {
        p = db->pend + (at - pend_first) * REC_SIZE;
    } else {
        ssize_t r;
        do
            r = pread(db->fd, rec, sizeof rec, (off_t)(at * REC_SIZE));
        while (r < 0 && errno == EINTR);
        if (r != (ssize_t)sizeof rec)
            return gs_error_set(err, GS_EIO, "cannot read the leaf record (temporary file): %s",
                                r < 0 ? strerror(errno) : "short read");
        p = rec;
    }
    memcpy(out->leaf.b, p, 32);
    memcpy(out->signer.b, p + 32, 32);
    out->kind = (gs_body_kind)p[64];
    out->commitment = 0;
    for (int b = 0; b < 8; b++)
        out->commitment |= (uint64_t)p[65 + b] << (8 * b);
    return 0;
}

/* ------------------------------------------------------------- replay */

void gs_audit_replay_fail(gs_audit_replay *r, const char *fmt, ...)
{
    r->n_failures++;
    if (r->n_kept >= GS_AUDIT_MAX_FAILURES)
        return;
    char buf[GS_ERROR_MSG_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = strdup(buf);
    if (s != NULL)
        r->failures[r->n_kept++] = s;
}

void gs_audit_replay_clear(gs_audit_replay *r)
{
    gs_rules_state_free(&r->state);
    for (size_t i = 0; i < r->n_kept; i++)
        free(r->failures[i]);
    r->n_kept = 0;
}

typedef struct {
    gs_audit_leafdb *db;
    size_t log;
} entry_ctx;

/* The rule book's entry_at: earlier entries of this log, from the record. */
static int entry_at(void *ctx, uint64_t index, gs_hash *leaf_hash, gs_body_kind *kind,
                    gs_error *err)
{
    entry_ctx *ec = ctx;
    gs_audit_leaf l = {0};
    int rc = gs_audit_leafdb_get(ec->db, ec->log, index, &l, err);
    if (rc != 0)
        return rc;
    *leaf_hash = l.leaf;
    *kind = l.kind;
    return 0;
}

/* A page as the source served it (owned: gs_audit_entries_free). */
typedef struct {
    gs_buf *entries;
    size_t n;
} served;

static void served_free(served *s)
{
    gs_audit_entries_free(s->entries, s->n);
    s->entries = NULL;
    s->n = 0;
}

static int fetch_page(const gs_audit_source *src, const char *origin, uint64_t start,
                      uint32_t count, served *out, gs_error *err)
{
    out->entries = NULL;
    out->n = 0;
    int rc = src->read_page(src->ctx, origin, start, count, &out->entries, &out->n, err);
    if (rc != 0)
        return rc;
    /* A page must hold at least one entry, or the loop would never end;
     * more than asked is a broken source. */
    if (out->n == 0 || out->n > count) {
        served_free(out);
        return gs_error_set(err, GS_ENOTFOUND, "the endpoint did not serve entry %llu of %s",
                            (unsigned long long)start, origin);
    }
    return 0;
}

/* The next page is fetched by one helper thread while this one checks the
 * current page, so the source serves while we verify. One thread for the
 * whole replay (not one per page), so the allocator keeps one arena for it
 * and memory stays flat. The source is used by one thread at a time, handed
 * over under the mutex (the full memory barrier ZeroMQ asks for when a
 * socket changes threads). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool job, done, quit;
    const gs_audit_source *src;
    const char *origin;
    uint64_t start;
    uint32_t count;
    served pg;
    gs_error err;
    int rc;
} prefetch;

static void *prefetch_run(void *arg)
{
    prefetch *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->job && !f->quit)
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->quit)
            break;
        pthread_mutex_unlock(&f->mu);
        int rc = fetch_page(f->src, f->origin, f->start, f->count, &f->pg, &f->err);
        pthread_mutex_lock(&f->mu);
        f->rc = rc;
        f->job = false;
        f->done = true;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void prefetch_start(prefetch *f, uint64_t start, uint32_t count)
{
    pthread_mutex_lock(&f->mu);
    f->start = start;
    f->count = count;
    memset(&f->pg, 0, sizeof f->pg);
    f->done = false;
    f->job = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void prefetch_wait(prefetch *f)
{
    pthread_mutex_lock(&f->mu);
    while (f->job)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

static uint32_t page_count(uint64_t at, uint64_t size)
{
    uint64_t left = size - at;
    return (uint32_t)(left < GS_MAX_ENTRIES ? left : GS_MAX_ENTRIES);
}

/* What one replay carries from page to page. */
typedef struct {
    gs_ingest *in;         /* the one ingestion pipeline (common/ingest.h) */
    gs_ingest_verdict *v;  /* the page's verdicts (GS_MAX_ENTRIES slots) */
    gs_audit_leaf *leaves; /* its records for the leaf record */
    entry_ctx ec;
    uint64_t page_at; /* the index of leaves[0] */
    size_t next_obs;  /* the first observed root not yet reached */
    gs_audit_replay *r;
} replay_state;

/* The entry index of the commitment an accepted Progress, Outcome or
 * Revision is about (the rule book found it, so it exists), for the leaf
 * record: a Finding's verdict about the entry is resolved to its commitment
 * from there, without the report keeping a record per Progress. */
static uint64_t about_commitment(const gs_statement *st, const gs_rules_state *s)
{
    const char *id = st->kind == GS_BODY_PROGRESS   ? st->u.progress.commitment_id
                     : st->kind == GS_BODY_OUTCOME  ? st->u.outcome.commitment_id
                     : st->kind == GS_BODY_REVISION ? st->u.revision.commitment_id
                                                    : NULL;
    gs_rules_commitment c;
    if (id == NULL || gs_rules_commitment_get(s, id, &c) != 0)
        return UINT64_MAX;
    return c.index;
}

/* Called by the pipeline for each entry, in order, once judged and hashed
 * into the frontier: the roots a hub observed at the size reached are
 * compared, the log's failures recorded, accepted entries handed on. */
static int on_entry(void *ctx, const gs_ingest *in, const gs_ingest_verdict *v,
                    const gs_statement *st, gs_error *err)
{
    replay_state *rs = ctx;
    gs_audit_replay *r = rs->r;
    while (rs->next_obs < r->n_observed && r->observed[rs->next_obs].size == gs_ingest_size(in)) {
        gs_audit_observed *o = &r->observed[rs->next_obs++];
        gs_hash root;
        gs_ingest_root(in, &root);
        o->checked = true;
        o->matched = memcmp(root.b, o->root.b, 32) == 0;
        if (!o->matched)
            gs_audit_replay_fail(r,
                                 "the hub observed a root at size %llu that the entries "
                                 "served do not give: the two checkpoints are not consistent",
                                 (unsigned long long)o->size);
    }
    if (!v->opened) {
        gs_audit_replay_fail(r, "entry %llu: %s [%s]", (unsigned long long)v->index,
                             v->reason == GS_RULE_BAD_SIGNATURE
                                 ? "its signature does not verify: the entry was altered"
                                 : v->message,
                             gs_rules_reason_name(v->reason));
        if (!r->broken) {
            r->broken = true;
            gs_audit_replay_fail(r, "the replay stopped at entry %llu",
                                 (unsigned long long)v->index);
        }
        return 0;
    }
    r->verified++;
    if (!v->judged)
        return 0; /* after the replay stopped */
    if (!v->accepted) {
        r->broken = true;
        gs_audit_replay_fail(r, "entry %llu breaks the rule book: %s [%s]; the replay stopped",
                             (unsigned long long)v->index, v->message,
                             gs_rules_reason_name(v->reason));
        return 0;
    }
    r->replayed++;
    if (v->index >= rs->page_at && v->index - rs->page_at < GS_MAX_ENTRIES)
        rs->leaves[v->index - rs->page_at].commitment = about_commitment(st, gs_ingest_rules(in));
    if (r->on_entry != NULL)
        return r->on_entry(r->ctx, v->index, st, &v->leaf, gs_ingest_rules(in), err);
    return 0;
}

/* THE INGESTION STEP of the audit: entries [at, at + n) of r->origin, as
 * served, go through the one ingestion pipeline in history mode — every
 * signature checked on the pool, the rule book applied in log order with
 * references inside the page seen, the frontier advanced — the same code the
 * node submits through and the hub syncs through. Then the page's leaves go
 * into the leaf record, where later pages look them up. A failure of the log
 * goes to r->failures (the first refusal stops the replay; signatures keep
 * being checked); only what stops the reading (the leaf record, the entry
 * callback) is returned. */
static int ingest_page(gs_audit_replay *r, replay_state *rs, const gs_buf *entries, size_t n,
                       uint64_t at, gs_error *err)
{
    gs_bytes b[GS_MAX_ENTRIES];
    int rc;
    (void)r;
    if (n > GS_MAX_ENTRIES || gs_ingest_size(rs->in) != at)
        return gs_error_set(err, GS_EINVAL, "page of %zu entries at %llu out of order", n,
                            (unsigned long long)at);
    for (size_t i = 0; i < n; i++) {
        b[i] = gs_bytes_of(entries[i].p, entries[i].n);
        rs->leaves[i].commitment = UINT64_MAX; /* on_entry sets it when accepted */
    }
    rs->page_at = at;
    if ((rc = gs_ingest_push(rs->in, GS_INGEST_HISTORY, b, n, 0, rs->v, err)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        rs->leaves[i].leaf = rs->v[i].leaf;
        rs->leaves[i].kind = rs->v[i].opened ? rs->v[i].kind : GS_BODY_NONE;
        memset(rs->leaves[i].signer.b, 0, 32);
        if (rs->v[i].opened)
            rs->leaves[i].signer = rs->v[i].signer;
    }
    if (r->db != NULL && (rc = gs_audit_leafdb_append(r->db, rs->leaves, n, err)) != 0)
        return rc;
    return 0;
}

int gs_audit_replay_run(const gs_audit_source *src, gs_audit_replay *r, gs_error *err)
{
    pthread_t th;
    bool threaded = false;
    prefetch pf = {.src = src, .origin = r->origin};
    served cur = {0};
    replay_state rs = {0};
    size_t cap = GS_MAX_ENTRIES;
    int rc;

    rs.ec.db = r->db;
    rs.r = r;
    gs_rules_state_free(&r->state);
    if (r->db != NULL && (rc = gs_audit_leafdb_begin(r->db, r->origin, &rs.ec.log, err)) != 0)
        return rc;
    gs_ingest_config ic = {.pool = r->pool,
                           .entry_at = r->db != NULL ? entry_at : NULL,
                           .entry_ctx = &rs.ec,
                           .on_entry = on_entry,
                           .on_entry_ctx = &rs};
    if ((rc = gs_ingest_new(&rs.in, r->origin, &ic, err)) != 0)
        return rc;
    if ((rs.v = calloc(cap, sizeof *rs.v)) == NULL ||
        (rs.leaves = calloc(cap, sizeof *rs.leaves)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    /* Observations at size 0 say nothing to check. */
    while (rs.next_obs < r->n_observed && r->observed[rs.next_obs].size == 0)
        rs.next_obs++;
    if (r->size > 0 && (rc = fetch_page(src, r->origin, 0, page_count(0, r->size), &cur, err)) != 0)
        goto out;
    for (uint64_t at = 0; at < r->size;) {
        uint64_t after = at + cur.n;
        if (after < r->size) {
            if (!threaded) {
                pthread_mutex_init(&pf.mu, NULL);
                pthread_cond_init(&pf.cv, NULL);
                if (pthread_create(&th, NULL, prefetch_run, &pf) == 0) {
                    threaded = true;
                } else {
                    pthread_mutex_destroy(&pf.mu);
                    pthread_cond_destroy(&pf.cv);
                }
            }
            if (threaded)
                prefetch_start(&pf, after, page_count(after, r->size));
            else
                pf.rc =
                    fetch_page(src, r->origin, after, page_count(after, r->size), &pf.pg, &pf.err);
        }
        if ((rc = ingest_page(r, &rs, cur.entries, cur.n, at, err)) != 0)
            goto out;
        at = after;
        served_free(&cur);
        if (at < r->size) {
            if (threaded)
                prefetch_wait(&pf);
            if (pf.rc != 0) {
                *err = pf.err;
                rc = pf.rc;
                goto out;
            }
            cur = pf.pg;
            memset(&pf.pg, 0, sizeof pf.pg);
        }
    }
    gs_ingest_root(rs.in, &r->root);
    /* The caller keeps the final rule state. */
    rc = gs_rules_state_clone(&r->state, gs_ingest_rules(rs.in), err);
out:
    if (threaded) {
        prefetch_wait(&pf);
        pthread_mutex_lock(&pf.mu);
        pf.quit = true;
        pthread_cond_broadcast(&pf.cv);
        pthread_mutex_unlock(&pf.mu);
        pthread_join(th, NULL);
        pthread_mutex_destroy(&pf.mu);
        pthread_cond_destroy(&pf.cv);
    }
    served_free(&pf.pg);
    served_free(&cur);
    gs_ingest_free(&rs.in);
    free(rs.v);
    free(rs.leaves);
    return rc;
}

/* --------------------------------------------------------------- evidence */

const char *gs_audit_evidence_kind_name(gs_evidence_kind k)
{
    switch (k) {
    case GS_EVIDENCE_SPLIT_VIEW: return "split-view";
    case GS_EVIDENCE_ROLLBACK: return "rollback";
    case GS_EVIDENCE_BAD_ENTRIES: return "bad-entries";
    case GS_EVIDENCE_RULE_VIOLATION: return "rule-violation";
    }
    return "unknown";
}

const char *gs_audit_evidence_proves(gs_evidence_kind k)
{
    switch (k) {
    case GS_EVIDENCE_SPLIT_VIEW:
        return "the log signed two checkpoints that cannot both be true: it showed "
               "different histories to different parties (a split view, or a rewritten "
               "history)";
    case GS_EVIDENCE_ROLLBACK:
        return "the log signed a smaller tree that is not a prefix of a larger tree it "
               "signed before: it rolled its history back and rewrote it";
    case GS_EVIDENCE_BAD_ENTRIES:
        return "entries served for the log's signed checkpoint do not hash to its root: "
               "the source that served them (see the reason) served data that is not the "
               "log";
    case GS_EVIDENCE_RULE_VIOLATION:
        return "the log signed a tree holding an entry the rule book refuses: it accepted "
               "what it must not";
    }
    return "nothing known";
}

/* Size and root of a checkpoint note, as its body says (not verified). */
static bool note_says(const char *note, uint64_t *size, gs_hash *root)
{
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    gs_error e = {0};
    size_t len = 0;
    bool ok = false;
    if (note != NULL && gs_note_parse(note, strlen(note), &n, &e) == 0) {
        const char *body = gs_note_text(n, &len);
        if (body != NULL && gs_checkpoint_parse(body, len, &cp, &e) == 0) {
            *size = cp.size;
            *root = cp.root;
            ok = true;
        }
    }
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return ok;
}

/* The verdict on an Evidence statement whose detector signature is
 * reporter_signed: what it says, then gs_evidence_verify against the trust
 * file's key for the accused log. */
static void judge_statement(const gs_policy *pol, const gs_statement *st, bool reporter_signed,
                            gs_audit_evidence *out)
{
    const gs_evidence *ev = &st->u.evidence;
    gs_vkey key;
    gs_error why = {0};
    out->decoded = true;
    out->reporter_signed = reporter_signed;
    out->reporter = st->signer;
    snprintf(out->reporter_origin, sizeof out->reporter_origin, "%s",
             st->origin != NULL ? st->origin : "");
    int w = gs_policy_find_witness(pol, &st->signer);
    const char *wname = NULL;
    if (w >= 0)
        gs_policy_witness_at(pol, (size_t)w, &wname, NULL);
    snprintf(out->reporter_witness, sizeof out->reporter_witness, "%s", wname != NULL ? wname : "");
    out->reported_at = st->issued_at;
    out->kind = ev->kind;
    snprintf(out->origin, sizeof out->origin, "%s", ev->origin != NULL ? ev->origin : "");
    gs_evidence_describe(ev, out->description, sizeof out->description);
    snprintf(out->reason, sizeof out->reason, "%s", ev->reason != NULL ? ev->reason : "");
    out->detected_at = ev->detected_at;
    out->has_a = note_says(ev->checkpoint_a, &out->size_a, &out->root_a);
    out->has_b = note_says(ev->checkpoint_b, &out->size_b, &out->root_b);
    out->first_index = ev->first_index;
    out->n_entries = ev->n_entries;
    if (ev->parts > 1) {
        out->part = ev->part;
        out->parts = ev->parts;
        out->previous_part = ev->previous_part;
        if (gs_wire_evidence_hash(ev, &out->part_hash, &why) != 0) {
            snprintf(out->why, sizeof out->why, "%s", why.msg);
            return;
        }
    }
    /* The detector's signature names who reported it; it never makes a
     * piece proof, and a piece whose detector signature fails is not
     * judged at all: someone altered it after it was signed. */
    if (!reporter_signed) {
        snprintf(out->why, sizeof out->why,
                 "the detector's signature does not verify: the evidence was altered after "
                 "it was signed, or it is not by the key it names");
        return;
    }
    if (gs_policy_log_key(pol, out->origin, &key, &why) != 0) {
        snprintf(out->why, sizeof out->why,
                 "origin %s is not a log in the trust file: its key is unknown, so nothing "
                 "about it can be proven",
                 out->origin);
        return;
    }
    if (gs_evidence_verify(ev, &key, &why) != 0) {
        snprintf(out->why, sizeof out->why, "%s", why.msg);
        return;
    }
    out->proof = true;
    out->against_log = ev->kind != GS_EVIDENCE_BAD_ENTRIES;
}

int gs_audit_evidence_check(const gs_policy *pol, gs_bytes data, gs_audit_evidence *out,
                            gs_error *err)
{
    gs_statement st = {0};
    gs_signed_statement ss;
    gs_error why = {0};
    bool reporter_signed = true;
    memset(out, 0, sizeof *out);
    gs_merkle_leaf_hash(data, &out->leaf);
    int rc = gs_wire_open_entry(data, &st, &why);
    if (rc == GS_ENOMEM)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (rc == GS_EVERIFY) {
        /* Read what it claims anyway, to name the detector: an unverifiable
         * piece is reported, never dropped. */
        reporter_signed = false;
        gs_statement_clear(&st);
        memset(&st, 0, sizeof st);
        rc = gs_wire_decode_signed_statement(data, &ss, &why);
        if (rc == 0)
            rc = gs_wire_decode_statement(ss.statement, &st, &why);
        if (rc == GS_ENOMEM)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    if (rc != 0) {
        snprintf(out->why, sizeof out->why, "it is not a signed statement: %s", why.msg);
        goto out;
    }
    if (st.kind != GS_BODY_EVIDENCE) {
        snprintf(out->why, sizeof out->why, "it is a %s statement, not evidence",
                 gs_body_name(st.kind));
        out->reporter = st.signer;
        out->reporter_signed = reporter_signed;
        snprintf(out->reporter_origin, sizeof out->reporter_origin, "%s",
                 st.origin != NULL ? st.origin : "");
        goto out;
    }
    judge_statement(pol, &st, reporter_signed, out);
out:
    gs_statement_clear(&st);
    return 0;
}

/* Adds a judged piece, or merges where it was found into the same piece
 * met before. st: the piece's statement, kept when it is a part of a split
 * evidence so that the parts can be joined (audit_join_parts). */
static int evidence_put(gs_audit *a, const gs_audit_evidence *ev, const gs_statement *st,
                        gs_error *err)
{
    for (size_t i = 0; i < a->n_evidence; i++) {
        gs_audit_evidence *e = &a->evidence[i];
        if (memcmp(e->leaf.b, ev->leaf.b, 32) != 0)
            continue;
        if ((ev->from & GS_AUDIT_FROM_HUB_LOG) && !(e->from & GS_AUDIT_FROM_HUB_LOG))
            e->hub_log_index = ev->hub_log_index;
        if ((ev->from & GS_AUDIT_FROM_MONITOR) && !(e->from & GS_AUDIT_FROM_MONITOR))
            memcpy(e->monitor, ev->monitor, sizeof e->monitor);
        e->from |= ev->from;
        return 0;
    }
    if (a->n_evidence == a->cap_evidence) {
        size_t cap = a->cap_evidence ? a->cap_evidence * 2 : 8;
        gs_audit_evidence *v = realloc(a->evidence, cap * sizeof *v);
        if (v == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        a->evidence = v;
        gs_buf *raw = realloc(a->part_statement, cap * sizeof *raw);
        if (raw == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        memset(raw + a->cap_evidence, 0, (cap - a->cap_evidence) * sizeof *raw);
        a->part_statement = raw;
        a->cap_evidence = cap;
    }
    if (ev->parts > 1 && ev->reporter_signed && st != NULL) {
        int rc = gs_wire_encode_statement(st, &a->part_statement[a->n_evidence], err);
        if (rc != 0)
            return rc;
    }
    a->evidence[a->n_evidence++] = *ev;
    return 0;
}

/* The piece that is part `part` of the chain whose previous part hashes to
 * prev (NULL for part 1 of the chain starting at first), or -1. */
static long find_part(const gs_audit *a, size_t first, uint32_t part, const gs_hash *prev)
{
    if (prev == NULL)
        return (long)first;
    for (size_t i = 0; i < a->n_evidence; i++) {
        const gs_audit_evidence *e = &a->evidence[i];
        if (e->part == part && e->parts == a->evidence[first].parts && a->part_statement[i].n > 0 &&
            memcmp(e->previous_part.b, prev->b, 32) == 0)
            return (long)i;
    }
    return -1;
}

/* Joins the parts of each split evidence the audit holds whole: part 1, then
 * each next part found by the hash chain, verified together with
 * gs_evidence_verify_parts against the trust file's key; every part then
 * takes the whole's verdict. A chain with a part missing stays what each
 * part alone is: not proof, and the report says which part is missing. */
static int audit_join_parts(gs_audit *a, gs_error *err)
{
    for (size_t i = 0; i < a->n_evidence; i++) {
        const gs_audit_evidence *head = &a->evidence[i];
        if (head->part != 1 || head->parts < 2 || a->part_statement[i].n == 0)
            continue;
        uint32_t parts = head->parts;
        long *at = calloc(parts, sizeof *at);
        gs_statement *st = calloc(parts, sizeof *st);
        const gs_evidence **ev = calloc(parts, sizeof *ev);
        gs_error why = {0};
        gs_vkey key;
        int rc = 0;
        uint32_t have = 0;
        if (at == NULL || st == NULL || ev == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto next;
        }
        for (uint32_t k = 0; k < parts; k++) {
            at[k] = find_part(a, i, k + 1, k == 0 ? NULL : &a->evidence[at[k - 1]].part_hash);
            if (at[k] < 0)
                break;
            gs_buf *b = &a->part_statement[at[k]];
            rc = gs_wire_decode_statement(gs_bytes_of(b->p, b->n), &st[k], &why);
            if (rc == GS_ENOMEM) {
                rc = gs_error_set(err, GS_ENOMEM, "out of memory");
                goto next;
            }
            if (rc != 0 || st[k].kind != GS_BODY_EVIDENCE)
                break;
            ev[k] = &st[k].u.evidence;
            have = k + 1;
        }
        rc = 0;
        if (have < parts) {
            for (uint32_t k = 0; k < have; k++)
                snprintf(a->evidence[at[k]].why, sizeof a->evidence[at[k]].why,
                         "part %u of %u of a split evidence: part %u is not held, and a part "
                         "alone proves nothing",
                         (unsigned)(k + 1), (unsigned)parts, (unsigned)(have + 1));
            goto next;
        }
        if (gs_policy_log_key(a->policy, head->origin, &key, &why) != 0)
            goto next; /* each part already says the key is unknown */
        bool proof = gs_evidence_verify_parts(ev, parts, &key, &why) == 0;
        for (uint32_t k = 0; k < parts; k++) {
            gs_audit_evidence *e = &a->evidence[at[k]];
            e->proof = proof;
            e->against_log = proof;
            if (proof) {
                e->why[0] = '\0';
                if (k == 0)
                    gs_evidence_describe_parts(ev, parts, e->description, sizeof e->description);
            } else {
                snprintf(e->why, sizeof e->why, "the %u parts verified together: %s",
                         (unsigned)parts, why.msg);
            }
        }
    next:
        for (uint32_t k = 0; st != NULL && k < parts; k++)
            gs_statement_clear(&st[k]);
        free(st);
        free(ev);
        free(at);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int gs_audit_add_evidence(gs_audit *a, gs_bytes data, unsigned from, const char *where,
                          gs_error *err)
{
    gs_audit_evidence *ev = malloc(sizeof *ev);
    if (ev == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    gs_statement st = {0};
    gs_error why = {0};
    int rc = gs_audit_evidence_check(a->policy, data, ev, err);
    if (rc == 0) {
        ev->from = from;
        if (from & GS_AUDIT_FROM_MONITOR)
            snprintf(ev->monitor, sizeof ev->monitor, "%s", where != NULL ? where : "");
        /* A part is kept as its statement, to be joined with the others;
         * its signature was checked just above (reporter_signed). */
        if (ev->parts > 1 && ev->reporter_signed &&
            gs_wire_open_entry(data, &st, &why) == GS_ENOMEM)
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        if (rc == 0)
            rc = evidence_put(a, ev, st.kind == GS_BODY_EVIDENCE ? &st : NULL, err);
    }
    gs_statement_clear(&st);
    free(ev);
    return rc;
}

void gs_audit_clear(gs_audit *a)
{
    for (size_t i = 0; a->part_statement != NULL && i < a->n_evidence; i++)
        gs_buf_free(&a->part_statement[i]);
    free(a->part_statement);
    a->part_statement = NULL;
    free(a->evidence);
    a->evidence = NULL;
    a->n_evidence = a->cap_evidence = 0;
}

/* Asks the hub for the evidence it holds about origin. A hub that cannot
 * answer is a failure of that log (sentence in *why), not of the audit. */
static int hub_evidence(gs_audit *a, const char *origin, gs_error *why, gs_error *err)
{
    gs_buf *items = NULL;
    size_t n = 0;
    int rc = a->source->read_evidence(a->source->ctx, origin, &items, &n, why);
    if (rc == GS_EUNAVAIL || rc == GS_ENOMEM) {
        *err = *why;
        return rc;
    }
    if (rc != 0)
        return 0;
    gs_error_clear(why);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = gs_audit_add_evidence(a, gs_bytes_of(items[i].p, items[i].n), GS_AUDIT_FROM_HUB, NULL,
                                   err);
    gs_audit_entries_free(items, n);
    return rc;
}

/* -------------------------------------------------------------- a whole hub */

/* The Observations of a hub's own log, streamed: each is written as it is
 * replayed to an unlinked temporary file (OBS_REC bytes: the origin's number,
 * the size, the root), and only the origins are kept in memory, once each,
 * with how many Observations name them. When the hub's log is read, the
 * records are put in order of origin (a counting sort, file to file), and
 * each log's audit reads back only its own. A hub that cosigned 3,400 logs
 * a million times holds 3,400 names here, not a million roots. */
#define OBS_REC 44   /* origin number (4), size (8), root (32); little-endian */
#define OBS_BUF 1024 /* records buffered before a write */

typedef struct {
    char *origin;
    uint64_t count; /* Observations naming it */
    uint64_t first; /* its first record once sorted */
} obs_origin;

typedef struct {
    FILE *f; /* the records as read, then sorted after them */
    int fd;
    uint64_t n; /* records */
    obs_origin *origins;
    size_t n_origins, cap_origins;
    gs_audit_index by_origin; /* origin -> its number */
    size_t *order;            /* origin numbers, sorted by origin */
    uint8_t buf[OBS_BUF * OBS_REC];
    size_t n_buf;
} obs_spill;

typedef struct {
    const gs_audit_sink *sink;
    gs_audit *audit;
    bool hub; /* keep the Observations and the Evidence */
    obs_spill *obs;
} log_ctx;

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (uint8_t)(v >> (8 * b));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)p[b] << (8 * b);
    return v;
}

static int obs_pwrite(int fd, const uint8_t *p, size_t n, uint64_t at, gs_error *err)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, p + done, n - done, (off_t)(at + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return gs_error_set(err, GS_EIO, "cannot write the observations (temporary file): %s",
                                w < 0 ? strerror(errno) : "disk full");
        done += (size_t)w;
    }
    return 0;
}

static int obs_pread(int fd, uint8_t *p, size_t n, uint64_t at, gs_error *err)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, p + done, n - done, (off_t)(at + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return gs_error_set(err, GS_EIO, "cannot read the observations (temporary file): %s",
                                r < 0 ? strerror(errno) : "short read");
        done += (size_t)r;
    }
    return 0;
}

static void obs_free(obs_spill **op)
{
    obs_spill *o = *op;
    if (o == NULL)
        return;
    for (size_t i = 0; i < o->n_origins; i++)
        free(o->origins[i].origin);
    free(o->origins);
    gs_audit_index_clear(&o->by_origin);
    free(o->order);
    if (o->f != NULL)
        fclose(o->f);
    free(o);
    *op = NULL;
}

static int obs_flush(obs_spill *o, gs_error *err)
{
    int rc = 0;
    if (o->n_buf > 0)
        rc = obs_pwrite(o->fd, o->buf, o->n_buf * OBS_REC, (o->n - o->n_buf) * OBS_REC, err);
    o->n_buf = 0;
    return rc;
}

/* One Observation of the hub's log, as it is replayed. */
static int obs_add(log_ctx *c, const char *origin, uint64_t size, const gs_hash *root,
                   gs_error *err)
{
    obs_spill *o = c->obs;
    int rc;
    if (o == NULL) {
        if ((o = calloc(1, sizeof *o)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        c->obs = o;
        if ((o->f = tmpfile()) == NULL)
            return gs_error_set(err, GS_EIO,
                                "cannot create a temporary file for the observations: %s",
                                strerror(errno));
        o->fd = fileno(o->f);
    }
    size_t id = gs_audit_index_get(&o->by_origin, origin);
    if (id == SIZE_MAX) {
        if (o->n_origins == o->cap_origins) {
            size_t cap = o->cap_origins ? o->cap_origins * 2 : 64;
            obs_origin *v = realloc(o->origins, cap * sizeof *v);
            if (v == NULL)
                return gs_error_set(err, GS_ENOMEM, "out of memory");
            o->origins = v;
            o->cap_origins = cap;
        }
        if (o->n_origins >= UINT32_MAX)
            return gs_error_set(err, GS_ENOMEM, "too many origins observed");
        obs_origin *oo = &o->origins[o->n_origins];
        memset(oo, 0, sizeof *oo);
        if ((oo->origin = strdup(origin)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        id = o->n_origins++;
        if ((rc = gs_audit_index_put(&o->by_origin, oo->origin, id, err)) != 0)
            return rc;
    }
    o->origins[id].count++;
    uint8_t *p = o->buf + o->n_buf * OBS_REC;
    for (int b = 0; b < 4; b++)
        p[b] = (uint8_t)(id >> (8 * b));
    put_u64(p + 4, size);
    memcpy(p + 12, root->b, 32);
    o->n_buf++;
    o->n++;
    return o->n_buf == OBS_BUF ? obs_flush(o, err) : 0;
}

typedef struct {
    const char *origin;
    size_t id;
} named;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named *)a)->origin, ((const named *)b)->origin);
}

/* After the hub's log: the origins in order, and the records after the
 * unsorted ones, grouped by origin in that order (each group in log order).
 * Read in blocks, written in place. */
static int obs_sort(obs_spill *o, gs_error *err)
{
    uint8_t *in = NULL;
    uint64_t *next = NULL;
    named *names = NULL;
    int rc;
    if (o == NULL)
        return 0;
    if ((rc = obs_flush(o, err)) != 0)
        return rc;
    if ((o->order = malloc((o->n_origins + 1) * sizeof *o->order)) == NULL ||
        (next = malloc((o->n_origins + 1) * sizeof *next)) == NULL ||
        (names = malloc((o->n_origins + 1) * sizeof *names)) == NULL ||
        (in = malloc(OBS_BUF * OBS_REC)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < o->n_origins; i++)
        names[i] = (named){o->origins[i].origin, i};
    qsort(names, o->n_origins, sizeof *names, cmp_named);
    for (size_t i = 0; i < o->n_origins; i++)
        o->order[i] = names[i].id;
    uint64_t at = 0;
    for (size_t i = 0; i < o->n_origins; i++) {
        obs_origin *oo = &o->origins[o->order[i]];
        oo->first = at;
        next[o->order[i]] = at;
        at += oo->count;
    }
    for (uint64_t done = 0; done < o->n;) {
        size_t k = o->n - done < OBS_BUF ? (size_t)(o->n - done) : OBS_BUF;
        if ((rc = obs_pread(o->fd, in, k * OBS_REC, done * OBS_REC, err)) != 0)
            goto out;
        for (size_t i = 0; i < k; i++) {
            const uint8_t *p = in + i * OBS_REC;
            size_t id = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
            if ((rc = obs_pwrite(o->fd, p, OBS_REC, (o->n + next[id]++) * OBS_REC, err)) != 0)
                goto out;
        }
        done += k;
    }
out:
    free(in);
    free(next);
    free(names);
    return rc;
}

/* The Observations of origin, sorted by size (the replay wants them so):
 * a malloc'd array in *out, or NULL and 0 when there are none. */
static int cmp_observed(const void *a, const void *b)
{
    const gs_audit_observed *x = a, *y = b;
    return x->size < y->size ? -1 : x->size > y->size;
}

static int obs_of(const obs_spill *o, const char *origin, gs_audit_observed **out, size_t *n,
                  gs_error *err)
{
    uint8_t *in = NULL;
    int rc = 0;
    *out = NULL;
    *n = 0;
    size_t id = o != NULL ? gs_audit_index_get(&o->by_origin, origin) : SIZE_MAX;
    if (id == SIZE_MAX)
        return 0;
    const obs_origin *oo = &o->origins[id];
    gs_audit_observed *v = calloc(oo->count, sizeof *v);
    if (v == NULL || (in = malloc(OBS_BUF * OBS_REC)) == NULL) {
        free(v);
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    for (uint64_t done = 0; done < oo->count;) {
        size_t k = oo->count - done < OBS_BUF ? (size_t)(oo->count - done) : OBS_BUF;
        if ((rc = obs_pread(o->fd, in, k * OBS_REC, (o->n + oo->first + done) * OBS_REC, err)) !=
            0) {
            free(v);
            goto out;
        }
        for (size_t i = 0; i < k; i++) {
            v[done + i].size = get_u64(in + i * OBS_REC + 4);
            memcpy(v[done + i].root.b, in + i * OBS_REC + 12, 32);
        }
        done += k;
    }
    qsort(v, oo->count, sizeof *v, cmp_observed);
    *out = v;
    *n = oo->count;
out:
    free(in);
    return rc;
}

static int sink_entry(const gs_audit_sink *sk, uint64_t index, const gs_statement *st,
                      const gs_hash *leaf, const gs_rules_state *s, gs_error *err)
{
    return sk->on_entry != NULL ? sk->on_entry(sk->ctx, index, st, leaf, s, err) : 0;
}

/* Every log's entry callback: the sink's; in a hub's own log, every
 * Observation is kept too. */
static int log_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                     const gs_rules_state *s, gs_error *err)
{
    log_ctx *c = ctx;
    int rc = sink_entry(c->sink, index, st, leaf, s, err);
    if (rc != 0 || !c->hub)
        return rc;
    if (st->kind == GS_BODY_EVIDENCE) {
        /* The hub's signature on it was checked by the replay; what it
         * claims is judged like any evidence. */
        gs_audit_evidence *ev = calloc(1, sizeof *ev);
        if (ev == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        judge_statement(c->audit->policy, st, true, ev);
        ev->leaf = *leaf;
        ev->from = GS_AUDIT_FROM_HUB_LOG;
        ev->hub_log_index = index;
        rc = evidence_put(c->audit, ev, st, err);
        free(ev);
        return rc;
    }
    if (st->kind != GS_BODY_OBSERVATION)
        return 0;
    return obs_add(c, st->u.observation.origin, st->u.observation.size, &st->u.observation.root,
                   err);
}

/* The log's key chain, fed with every entry the replay accepts (in order,
 * from 0: the replay stops at the first it refuses), before the sink's
 * callback. */
typedef struct {
    gs_keychain *kc;
    gs_audit_entry_fn fn;
    void *ctx;
} chain_feed;

static int chain_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                       const gs_rules_state *s, gs_error *err)
{
    chain_feed *c = ctx;
    if (c->kc->n > 0 && gs_keychain_observe(c->kc, index, st, err) < 0)
        return err != NULL && err->code < 0 ? err->code : GS_EINVAL;
    return c->fn != NULL ? c->fn(c->ctx, index, st, leaf, s, err) : 0;
}

/* A checkpoint signed by a key the trust file does not name, which a
 * rotation of the log key may have made the log key: the source proves the
 * rotations below its size (read_key_chain), and the note must be signed by
 * the key they lead to from the trust file's, before the log is read at all.
 * The entries read then decide (audit_log). 0 when they lead there, else
 * the reason in why (a negative code only when the source is gone). */
static int trust_by_served_chain(gs_audit *a, const char *origin, const char *note, bool own_hub,
                                 const gs_keychain *anchor, gs_audit_trusted *t, gs_error *why)
{
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    gs_key_link *links = NULL;
    size_t n_links = 0, blen = 0;
    gs_keychain kc = {0};
    int rc;
    if (a->source->read_key_chain == NULL)
        return gs_error_set(why, GS_EVERIFY, "the source cannot prove rotations of its key");
    if ((rc = gs_note_parse(note, strlen(note), &n, why)) != 0)
        goto out;
    const char *body = gs_note_text(n, &blen);
    if ((rc = gs_checkpoint_parse(body, blen, &cp, why)) != 0)
        goto out;
    if ((rc = a->source->read_key_chain(a->source->ctx, origin, cp.size, &links, &n_links, why)) !=
        0) {
        gs_error_wrap(why, "asking for the rotations of its key (GetKeyChain)");
        goto out;
    }
    if ((rc = gs_keychain_copy(&kc, anchor, why)) != 0 ||
        (rc = gs_keychain_add_links(&kc, links, n_links, cp.size, &cp.root, why)) != 0)
        goto out;
    rc = trust_checkpoint(a->policy, origin, note, strlen(note), own_hub, &kc, t, why);
out:
    gs_keychain_clear(&kc);
    gs_key_links_free(links, n_links);
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return rc;
}

static int sink_end(const gs_audit_sink *sk, const gs_audit_replay *rp, const gs_audit_trusted *t,
                    const char *skipped, gs_error *err)
{
    return sk->end_log != NULL ? sk->end_log(sk->ctx, rp, t, skipped, err) : 0;
}

/* Audits one log: the checkpoint against the trust file, then the replay.
 * Failures of the log go to the sink; only what stops the audit itself (the
 * source, memory, the disk) is returned. own_text, when given, is the
 * checkpoint already read. */
static int audit_log(gs_audit *a, const char *origin, gs_audit_observed *obs, size_t n_obs,
                     gs_audit_entry_fn fn, void *fn_ctx, const char *own_text, gs_error *err)
{
    const gs_audit_sink *sk = a->sink;
    char *text = NULL;
    gs_audit_trusted t = {0};
    gs_audit_replay rp = {0};
    gs_error why = {0};
    gs_keychain kc = {0};
    gs_vkey anchor;
    bool deferred = false, read_all = true;
    int rc;
    /* The source's own log, when the source is a hub: judged with the hub
     * counted as a witness of itself (trust_checkpoint); every log it
     * follows, node or hub, by cosignatures alone. */
    bool own_hub = own_text != NULL && a->hub;
    rp.origin = origin;
    /* The evidence the hub holds about a log it follows is part of that
     * log's audit (its own log's Evidence entries are read with it). */
    if (a->hub && own_text == NULL && a->source->read_evidence != NULL) {
        if ((rc = hub_evidence(a, origin, &why, err)) != 0)
            goto out;
        if (why.msg[0] != '\0')
            gs_audit_replay_fail(&rp,
                                 "the hub did not answer GetEvidence for this log, so the "
                                 "evidence it holds could not be checked: %s",
                                 why.msg);
        gs_error_clear(&why);
    }
    if (own_text == NULL) {
        rc = a->source->read_checkpoint(a->source->ctx, origin, &text, &why);
        if (rc == GS_EUNAVAIL || rc == GS_ENOMEM) {
            *err = why;
            goto out;
        }
        if (rc != 0) {
            rc = sink_end(sk, &rp, NULL, why.msg, err);
            goto out;
        }
        own_text = text;
    }
    /* The log's keys, from the trust file's (its first key) through every
     * rotation of the log key the replay reads. */
    if (gs_policy_log_key(a->policy, origin, &anchor, NULL) == 0 &&
        (rc = gs_keychain_init(&kc, origin, &anchor.key, err)) != 0)
        goto out;
    if (trust_checkpoint(a->policy, origin, own_text, strlen(own_text), own_hub,
                         kc.n > 0 ? &kc : NULL, &t, &why) != 0) {
        /* Perhaps signed by a later key: the source proves the rotations
         * that made it the log key, and the entries read decide below. */
        gs_error first = why;
        gs_error_clear(&why);
        if (kc.n == 0 ||
            (rc = trust_by_served_chain(a, origin, own_text, own_hub, &kc, &t, &why)) != 0) {
            if (rc == GS_EUNAVAIL || rc == GS_ENOMEM) {
                *err = why;
                goto out;
            }
            char msg[2 * GS_ERROR_MSG_MAX + 64];
            snprintf(msg, sizeof msg, "%s%s%s", first.msg,
                     kc.n > 0 ? "; nor by a key its rotations made the log key: " : "",
                     kc.n > 0 ? why.msg : "");
            rc = sink_end(sk, &rp, NULL, msg, err);
            goto out;
        }
        deferred = true;
    }
    chain_feed feed = {.kc = &kc, .fn = fn, .ctx = fn_ctx};
    rp.size = t.cp.size;
    rp.pool = a->pool;
    rp.db = a->db;
    rp.observed = obs;
    rp.n_observed = n_obs;
    rp.on_entry = chain_entry;
    rp.ctx = &feed;
    if (sk->begin_log != NULL && (rc = sk->begin_log(sk->ctx, origin, err)) != 0)
        goto out;
    if ((rc = gs_audit_replay_run(a->source, &rp, err)) != 0) {
        /* The source stopped serving the log: a failure of this log, and
         * the audit goes on with the others unless the source is gone. */
        if (rc == GS_EUNAVAIL || rc == GS_ENOMEM || rc == GS_EIO)
            goto out;
        gs_audit_replay_fail(&rp, "reading the log stopped: %s", err->msg);
        gs_error_clear(err);
        read_all = false;
    }
    /* With every rotation below its size read, the checkpoint is judged
     * again: a note by a key the log retired below its size is not the
     * log's (the old key may be the very one that leaked). */
    if (deferred || kc.n > 1) {
        gs_audit_trusted_clear(&t);
        if (trust_checkpoint(a->policy, origin, own_text, strlen(own_text), own_hub, &kc, &t,
                             &why) != 0) {
            rc = sink_end(sk, &rp, NULL, why.msg, err);
            goto out;
        }
    }
    if (read_all && memcmp(rp.root.b, t.cp.root.b, 32) != 0)
        gs_audit_replay_fail(&rp,
                             "the entries served do not give the root of the cosigned "
                             "checkpoint at size %llu",
                             (unsigned long long)t.cp.size);
    for (size_t i = 0; i < n_obs; i++)
        if (!obs[i].checked)
            gs_audit_replay_fail(&rp,
                                 "the hub observed size %llu but serves a checkpoint of size "
                                 "%llu: the log it serves is smaller than one it cosigned",
                                 (unsigned long long)obs[i].size, (unsigned long long)t.cp.size);
    rc = sink_end(sk, &rp, &t, NULL, err);
out:
    gs_keychain_clear(&kc);
    gs_audit_replay_clear(&rp);
    gs_audit_trusted_clear(&t);
    free(text);
    return rc;
}

/* Whether origin was audited already: observed (own.obs knows), asked
 * for, the source's own, or proven against by an earlier piece. */
static bool audited_before(const gs_audit *a, const log_ctx *own, const char *origin, size_t piece)
{
    if (strcmp(origin, a->own_origin) == 0)
        return true;
    if (own->obs != NULL && gs_audit_index_get(&own->obs->by_origin, origin) != SIZE_MAX)
        return true;
    for (size_t i = 0; i < a->n_origins; i++)
        if (strcmp(a->origins[i], origin) == 0)
            return true;
    for (size_t i = 0; i < piece; i++)
        if (a->evidence[i].proof && strcmp(a->evidence[i].origin, origin) == 0)
            return true;
    return false;
}

int gs_audit_run(gs_audit *a, gs_error *err)
{
    log_ctx own = {.sink = a->sink, .audit = a}, other = {.sink = a->sink, .audit = a};
    char *own_text = NULL;
    gs_note *own_note = NULL;
    gs_checkpoint own_cp = {0};
    gs_audit_observed *ob = NULL;
    const char *body = NULL;
    size_t blen = 0;
    int rc;

    a->own_origin[0] = '\0';
    a->hub = false;
    /* The source's own log first: a hub's holds the Observations that list
     * the logs it follows and the roots it cosigned for them. */
    if ((rc = a->source->read_checkpoint(a->source->ctx, "", &own_text, err)) != 0)
        goto out;
    if (gs_note_parse(own_text, strlen(own_text), &own_note, err) != 0 ||
        (body = gs_note_text(own_note, &blen)) == NULL ||
        gs_checkpoint_parse(body, blen, &own_cp, err) != 0 ||
        gs_origin_valid(own_cp.origin, err) != 0) {
        gs_error_wrap(err, "the endpoint's own checkpoint");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    snprintf(a->own_origin, sizeof a->own_origin, "%s", own_cp.origin);
    own.hub = a->hub = strncmp(own_cp.origin, "giamsat/hub/", 12) == 0;
    if ((rc = audit_log(a, own_cp.origin, NULL, 0, log_entry, &own, own_text, err)) != 0 ||
        (rc = obs_sort(own.obs, err)) != 0)
        goto out;

    /* Then every log observed, in order of origin (or those asked for),
     * each with its observations read back from the spill. */
    size_t n_observed = own.obs != NULL ? own.obs->n_origins : 0;
    for (size_t i = 0; i < (a->n_origins > 0 ? a->n_origins : n_observed); i++) {
        const char *origin =
            a->n_origins > 0 ? a->origins[i] : own.obs->origins[own.obs->order[i]].origin;
        size_t n = 0;
        if (strcmp(origin, own_cp.origin) == 0)
            continue;
        if ((rc = obs_of(own.obs, origin, &ob, &n, err)) != 0)
            goto out;
        rc = audit_log(a, origin, ob, n, log_entry, &other, NULL, err);
        free(ob);
        ob = NULL;
        if (rc != 0)
            goto out;
    }
    /* A log proven to misbehave is audited even when the hub observed
     * nothing for it (it may never have cosigned it): its status must say
     * what the evidence proves. Auditing it may add evidence (the hub's
     * answer for it), so the pieces are counted as they grow, and the
     * origin copied out before. */
    for (size_t i = 0; a->hub && a->n_origins == 0 && i < a->n_evidence; i++) {
        char origin[GS_MAX_ORIGIN + 1];
        if (!a->evidence[i].proof || audited_before(a, &own, a->evidence[i].origin, i))
            continue;
        snprintf(origin, sizeof origin, "%s", a->evidence[i].origin);
        if ((rc = audit_log(a, origin, NULL, 0, log_entry, &other, NULL, err)) != 0)
            goto out;
    }
    if ((rc = audit_join_parts(a, err)) != 0)
        goto out;
    for (size_t i = 0; a->sink->on_evidence != NULL && i < a->n_evidence; i++)
        if ((rc = a->sink->on_evidence(a->sink->ctx, &a->evidence[i], err)) != 0)
            goto out;
    rc = 0;
out:
    obs_free(&own.obs);
    obs_free(&other.obs);
    gs_checkpoint_clear(&own_cp);
    gs_note_free(&own_note);
    free(own_text);
    return rc;
}
