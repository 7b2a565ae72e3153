/* log.c — see log.h. */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <stdlib.h>
#include <string.h>

#include "note.h"

/* Hashes one row can hold: levels 0..40 (store.h: indices below 2^40). */
#define ROW_HASHES_MAX 41

/* The tree as committed in the store, and as it will be if the store's open
 * transaction commits. They differ only while staged is true. */
struct gs_log {
    gs_store *store;
    int64_t id;
    char *origin;
    gs_merkle_frontier committed;
    gs_merkle_frontier pending;
    gs_hash committed_root;
    gs_hash pending_root;
    bool staged; /* entries of this log are in the store's open transaction */
    /* The last past root trusted_root proved (0: none); stored hashes of a
     * past size never change but by gs_log_truncate, which forgets it. */
    uint64_t anchor_size;
    gs_hash anchor_root;
};

static void txn_end(void *ctx, bool committed)
{
    gs_log *l = ctx;
    if (committed) {
        l->committed = l->pending;
        l->committed_root = l->pending_root;
    } else {
        l->pending = l->committed;
        l->pending_root = l->committed_root;
    }
    l->staged = false;
}

/* Reads stored hashes for the merkle module, refusing subtrees that are not
 * complete in the tree as it stands (staged entries included). */
static int get_hash(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    gs_log *l = ctx;
    if (level >= 64 || index >= (l->pending.size >> level))
        return gs_error_set(
            err, GS_ENOTFOUND, "log %s of size %llu has no complete subtree (level %u, index %llu)",
            l->origin, (unsigned long long)l->pending.size, level, (unsigned long long)index);
    return gs_store_get_hash(l->store, l->id, level, index, out, err);
}

static int trusted_root(gs_log *l, uint64_t size, gs_hash *out, gs_error *err);

/* At open: the latest checkpoint held is what was signed (or cosigned), so
 * the stored hashes must give its root at its size (trusted_root: its
 * frontier, proven consistent with the stored root). A checkpoint above the
 * stored size is not judged here: that log is behind what it signed. */
static int check_latest_checkpoint(gs_log *l, gs_error *err)
{
    char *text = NULL;
    uint64_t size = 0;
    gs_note *note = NULL;
    gs_checkpoint cp = {0};
    gs_hash root;
    int rc = gs_store_latest_checkpoint(l->store, l->id, &text, &size, err);
    if (rc == GS_ENOTFOUND) {
        gs_error_clear(err);
        return 0;
    }
    if (rc != 0)
        return rc;
    if (size == 0 || size > l->committed.size)
        goto out;
    const char *body;
    size_t len;
    gs_error e = {0};
    if (gs_note_parse(text, strlen(text), &note, &e) != 0 ||
        (body = gs_note_text(note, &len), gs_checkpoint_parse(body, len, &cp, &e)) != 0) {
        rc = gs_error_set(err, GS_ECORRUPT,
                          "log %s: the checkpoint held at size %llu does not parse (%s): the "
                          "database was altered; refusing to serve it",
                          l->origin, (unsigned long long)size, e.msg);
        goto out;
    }
    if ((rc = trusted_root(l, size, &root, err)) != 0)
        goto out;
    if (cp.size != size || memcmp(cp.root.b, root.b, 32) != 0)
        rc = gs_error_set(err, GS_ECORRUPT,
                          "log %s: the latest checkpoint held (size %llu) names a root the stored "
                          "tree hashes do not give at that size: the database was altered; "
                          "refusing to serve it",
                          l->origin, (unsigned long long)size);
out:
    gs_checkpoint_clear(&cp);
    gs_note_free(&note);
    free(text);
    return rc;
}

int gs_log_open(gs_log **out, gs_store *store, const char *origin, bool create, gs_error *err)
{
    *out = NULL;
    gs_store_log_state st;
    int rc = gs_store_log_find(store, origin, false, &st, err);
    if (rc == GS_ENOTFOUND && create) {
        /* A log created inside a transaction that is then rolled back would
         * leave this object holding the id of a log that does not exist. */
        if (gs_store_in_transaction(store))
            return gs_error_set(err, GS_EINVAL,
                                "log %s does not exist yet: create it outside a transaction",
                                origin);
        rc = gs_store_log_find(store, origin, true, &st, err);
    }
    if (rc != 0)
        return rc;
    gs_log *l = calloc(1, sizeof *l);
    if (l == NULL || (l->origin = strdup(origin)) == NULL) {
        free(l);
        return gs_error_set(err, GS_ENOMEM, "out of memory opening log %s", origin);
    }
    l->store = store;
    l->id = st.id;
    l->pending.size = st.size; /* get_hash bounds reads by it while loading */
    rc = gs_merkle_frontier_load(&l->committed, st.size, get_hash, l, err);
    if (rc != 0) {
        gs_error_wrap(err, "opening log %s", origin);
        goto fail;
    }
    gs_merkle_frontier_root(&l->committed, &l->committed_root);
    if (memcmp(l->committed_root.b, st.root.b, 32) != 0) {
        rc = gs_error_set(err, GS_ECORRUPT,
                          "log %s: the root rebuilt from the stored tree hashes at size %llu does "
                          "not match the stored root: the database was altered; refusing to "
                          "serve it",
                          origin, (unsigned long long)st.size);
        goto fail;
    }
    l->pending = l->committed;
    l->pending_root = l->committed_root;
    if ((rc = check_latest_checkpoint(l, err)) != 0)
        goto fail;
    *out = l;
    return 0;
fail:
    free(l->origin);
    free(l);
    return rc;
}

void gs_log_close(gs_log **lp)
{
    if (lp == NULL || *lp == NULL)
        return;
    gs_log *l = *lp;
    gs_store_forget_txn_hook(l->store, l);
    free(l->origin);
    free(l);
    *lp = NULL;
}

const char *gs_log_origin(const gs_log *l)
{
    return l->origin;
}

uint64_t gs_log_size(const gs_log *l)
{
    return l->pending.size;
}

void gs_log_root(const gs_log *l, gs_hash *out)
{
    *out = l->pending_root;
}

uint64_t gs_log_committed_size(const gs_log *l)
{
    return l->committed.size;
}

/* Collects the hashes gs_merkle_frontier_append emits for one leaf: the
 * complete subtrees ending at it, level 0 first — exactly one store row. */
typedef struct {
    gs_hash h[ROW_HASHES_MAX];
    unsigned n;
} row_hashes;

static void collect(void *ctx, unsigned level, uint64_t index, const gs_hash *h)
{
    (void)index;
    row_hashes *r = ctx;
    if (level < ROW_HASHES_MAX) {
        r->h[level] = *h;
        r->n = level + 1;
    }
}

int gs_log_stage(gs_log *l, const gs_bytes *entries, size_t n, uint64_t *first, gs_error *err)
{
    if (!gs_store_in_transaction(l->store))
        return gs_error_set(err, GS_EINVAL,
                            "log %s: staging entries needs an open store transaction "
                            "(gs_store_begin), or use gs_log_append",
                            l->origin);
    if (n > 0 && entries == NULL)
        return gs_error_set(err, GS_EINVAL, "log %s: no entries given", l->origin);
    /* Check the whole batch before writing any of it, so bad input leaves
     * the caller's transaction untouched. */
    if (n > GS_STORE_MAX_LOG_SIZE - l->pending.size)
        return gs_error_set(err, GS_ETOOBIG, "log %s is full: a log holds at most 2^40 entries",
                            l->origin);
    for (size_t i = 0; i < n; i++) {
        if (entries[i].n > GS_STORE_MAX_ENTRY)
            return gs_error_set(err, GS_ETOOBIG,
                                "log %s: entry %zu of the batch is %zu bytes, above the limit "
                                "of %u",
                                l->origin, i, entries[i].n, GS_STORE_MAX_ENTRY);
        if (entries[i].n > 0 && entries[i].p == NULL)
            return gs_error_set(err, GS_EINVAL, "log %s: entry %zu of the batch has no bytes",
                                l->origin, i);
    }
    if (first != NULL)
        *first = l->pending.size;
    if (n == 0)
        return 0;
    int rc = gs_store_on_txn_end(l->store, txn_end, l, err);
    if (rc != 0)
        return rc;
    l->staged = true;
    for (size_t i = 0; i < n; i++) {
        uint64_t index = l->pending.size;
        row_hashes r;
        gs_hash leaf;
        r.n = 0;
        gs_merkle_leaf_hash(entries[i], &leaf);
        gs_merkle_frontier_append(&l->pending, &leaf, collect, &r);
        /* On failure the store rolls the transaction back, and txn_end
         * resets the pending tree to the committed one. */
        rc = gs_store_append(l->store, l->id, index, entries[i], r.h, r.n, err);
        if (rc != 0) {
            gs_error_wrap(err, "log %s", l->origin);
            return rc;
        }
    }
    gs_merkle_frontier_root(&l->pending, &l->pending_root);
    rc = gs_store_set_tree(l->store, l->id, l->pending.size, &l->pending_root, err);
    if (rc != 0) {
        gs_error_wrap(err, "log %s", l->origin);
        return rc;
    }
    return 0;
}

int gs_log_append(gs_log *l, const gs_bytes *entries, size_t n, uint64_t *first, gs_error *err)
{
    if (gs_store_in_transaction(l->store))
        return gs_error_set(err, GS_EINVAL,
                            "log %s: the store has a transaction open; stage entries with "
                            "gs_log_stage and commit it",
                            l->origin);
    int rc = gs_store_begin(l->store, err);
    if (rc != 0)
        return rc;
    rc = gs_log_stage(l, entries, n, first, err);
    if (rc != 0) {
        gs_store_rollback(l->store);
        return rc;
    }
    return gs_store_commit(l->store, err);
}

int gs_log_truncate(gs_log *l, uint64_t size, gs_error *err)
{
    if (gs_store_in_transaction(l->store))
        return gs_error_set(err, GS_EINVAL,
                            "log %s: cannot truncate while the store has a transaction open",
                            l->origin);
    if (size > l->committed.size)
        return gs_error_set(err, GS_EINVAL,
                            "log %s holds %llu entries; it cannot be truncated "
                            "to %llu",
                            l->origin, (unsigned long long)l->committed.size,
                            (unsigned long long)size);
    gs_merkle_frontier f;
    int rc = gs_merkle_frontier_load(&f, size, get_hash, l, err);
    if (rc != 0)
        return gs_error_wrap(err, "truncating log %s", l->origin);
    gs_hash root, want;
    gs_merkle_frontier_root(&f, &root);
    if (size > 0 && (rc = trusted_root(l, size, &want, err)) != 0)
        return gs_error_wrap(err, "truncating log %s", l->origin);
    if (size > 0 && memcmp(root.b, want.b, 32) != 0)
        return gs_error_set(err, GS_ECORRUPT,
                            "log %s: the stored frontier at size %llu does not give the root "
                            "proven for that size: a stored hash was altered; refusing to "
                            "truncate",
                            l->origin, (unsigned long long)size);
    if ((rc = gs_store_truncate(l->store, l->id, size, err)) != 0)
        return rc;
    l->anchor_size = 0;
    l->committed = f;
    gs_merkle_frontier_root(&f, &l->committed_root);
    l->pending = l->committed;
    l->pending_root = l->committed_root;
    return 0;
}

/* The root of the tree at size (0 < size <= pending size), as the log holds
 * it rather than as stored interior hashes say: the in-memory roots of the
 * current sizes (the frontier the appends built, checked against the stored
 * root at open); for a past size, the root rebuilt from stored hashes only
 * once a consistency proof read from the same hashes leads from it to the
 * current root. An altered interior hash therefore shows here as
 * GS_ECORRUPT, never as a wrong root or a wrong proof (issue 9). The
 * proving callers hold a read snapshot, so all of it reads one state. */
static int trusted_root(gs_log *l, uint64_t size, gs_hash *out, gs_error *err)
{
    if (size == l->pending.size) {
        *out = l->pending_root;
        return 0;
    }
    if (size == l->committed.size) {
        *out = l->committed_root;
        return 0;
    }
    if (size == l->anchor_size) {
        *out = l->anchor_root;
        return 0;
    }
    /* Against the committed root when size is within it: staged entries
     * decide nothing about the past. */
    bool within = size < l->committed.size;
    uint64_t to = within ? l->committed.size : l->pending.size;
    const gs_hash *to_root = within ? &l->committed_root : &l->pending_root;
    gs_hash root, proof[GS_MERKLE_MAX_PROOF];
    size_t n = 0;
    gs_error e = {0};
    int rc = gs_merkle_root_at(size, get_hash, l, &root, err);
    if (rc == 0)
        rc = gs_merkle_prove_consistency(size, to, get_hash, l, proof, &n, err);
    if (rc != 0)
        return rc;
    if (gs_merkle_verify_consistency(size, to, &root, to_root, proof, n, &e) != 0)
        return gs_error_set(err, GS_ECORRUPT,
                            "log %s: the stored tree hashes give a root at size %llu that is not "
                            "consistent with the root at size %llu (%s): a stored interior hash "
                            "was altered; refusing to use it",
                            l->origin, (unsigned long long)size, (unsigned long long)to, e.msg);
    if (within) {
        l->anchor_size = size;
        l->anchor_root = root;
    }
    *out = root;
    return 0;
}

static int check_size(const gs_log *l, uint64_t size, gs_error *err)
{
    if (size > l->pending.size)
        return gs_error_set(err, GS_ENOTFOUND, "log %s has %llu entries, not %llu", l->origin,
                            (unsigned long long)l->pending.size, (unsigned long long)size);
    return 0;
}

int gs_log_entry(gs_log *l, uint64_t index, gs_buf *out, gs_error *err)
{
    out->p = NULL;
    out->n = 0;
    if (index >= l->pending.size)
        return gs_error_set(err, GS_ENOTFOUND, "log %s has %llu entries: there is no entry %llu",
                            l->origin, (unsigned long long)l->pending.size,
                            (unsigned long long)index);
    return gs_store_get_entry(l->store, l->id, index, out, err);
}

int gs_log_leaf_hash(gs_log *l, uint64_t index, gs_hash *out, gs_error *err)
{
    if (index >= l->pending.size)
        return gs_error_set(err, GS_ENOTFOUND, "log %s has %llu entries: there is no entry %llu",
                            l->origin, (unsigned long long)l->pending.size,
                            (unsigned long long)index);
    return get_hash(l, 0, index, out, err);
}

int gs_log_root_at(gs_log *l, uint64_t size, gs_hash *out, gs_error *err)
{
    int rc = check_size(l, size, err);
    if (rc != 0)
        return rc;
    if (size == 0) {
        gs_merkle_empty_root(out);
        return 0;
    }
    bool opened;
    if ((rc = gs_store_read_begin(l->store, &opened, err)) != 0)
        return rc;
    rc = trusted_root(l, size, out, err);
    gs_store_read_end(l->store, opened);
    return rc;
}

int gs_log_prove_inclusion(gs_log *l, uint64_t index, uint64_t size, gs_hash *proof, size_t *n,
                           gs_error *err)
{
    int rc = check_size(l, size, err);
    if (rc != 0)
        return rc;
    if (index >= size)
        return gs_error_set(err, GS_EINVAL, "log %s: entry %llu is not in the tree of size %llu",
                            l->origin, (unsigned long long)index, (unsigned long long)size);
    bool opened;
    if ((rc = gs_store_read_begin(l->store, &opened, err)) != 0)
        return rc;
    rc = gs_merkle_prove_inclusion(index, size, get_hash, l, proof, n, err);
    /* Every proof is checked before it leaves: from the stored leaf hash to
     * the root the log holds for size. */
    gs_hash leaf, root;
    gs_error e = {0};
    if (rc == 0 && (rc = get_hash(l, 0, index, &leaf, err)) == 0 &&
        (rc = trusted_root(l, size, &root, err)) == 0 &&
        gs_merkle_verify_inclusion(&leaf, index, size, proof, *n, &root, &e) != 0)
        rc = gs_error_set(err, GS_ECORRUPT,
                          "log %s: the inclusion proof of entry %llu in the tree of size %llu "
                          "read from the stored hashes does not lead to its root (%s): a stored "
                          "interior hash was altered; refusing to serve it",
                          l->origin, (unsigned long long)index, (unsigned long long)size, e.msg);
    gs_store_read_end(l->store, opened);
    return rc;
}

int gs_log_prove_consistency(gs_log *l, uint64_t old_size, uint64_t new_size, gs_hash *proof,
                             size_t *n, gs_error *err)
{
    int rc = check_size(l, new_size, err);
    if (rc != 0)
        return rc;
    if (old_size == 0 || old_size > new_size)
        return gs_error_set(err, GS_EINVAL,
                            "log %s: a consistency proof needs 0 < old size <= new size (got "
                            "%llu and %llu)",
                            l->origin, (unsigned long long)old_size, (unsigned long long)new_size);
    bool opened;
    if ((rc = gs_store_read_begin(l->store, &opened, err)) != 0)
        return rc;
    rc = gs_merkle_prove_consistency(old_size, new_size, get_hash, l, proof, n, err);
    /* Checked before it leaves, between the roots the log holds. */
    gs_hash old_root, new_root;
    gs_error e = {0};
    if (rc == 0 && (rc = trusted_root(l, old_size, &old_root, err)) == 0 &&
        (rc = trusted_root(l, new_size, &new_root, err)) == 0 &&
        gs_merkle_verify_consistency(old_size, new_size, &old_root, &new_root, proof, *n, &e) != 0)
        rc = gs_error_set(err, GS_ECORRUPT,
                          "log %s: the consistency proof from size %llu to %llu read from the "
                          "stored hashes does not join their roots (%s): a stored interior hash "
                          "was altered; refusing to serve it",
                          l->origin, (unsigned long long)old_size, (unsigned long long)new_size,
                          e.msg);
    gs_store_read_end(l->store, opened);
    return rc;
}

int gs_log_sign_checkpoint(gs_log *l, const gs_keypair *kp, char **note, gs_error *err)
{
    *note = NULL;
    if (l->staged)
        return gs_error_set(err, GS_EINVAL,
                            "log %s has entries in an uncommitted transaction: commit before "
                            "signing a checkpoint",
                            l->origin);
    char *body = NULL;
    char *signed_note = NULL;
    int rc = gs_checkpoint_format(l->origin, l->committed.size, &l->committed_root, &body, err);
    if (rc != 0)
        goto out;
    rc = gs_note_sign(body, strlen(body), l->origin, kp, &signed_note, err);
    if (rc != 0)
        goto out;
    rc = gs_store_put_checkpoint(l->store, l->id, l->committed.size, signed_note, NULL, err);
    if (rc != 0)
        goto out;
    *note = signed_note;
    signed_note = NULL;
out:
    free(body);
    free(signed_note);
    return rc;
}

int gs_log_put_checkpoint(gs_log *l, uint64_t size, const char *note, bool *stored, gs_error *err)
{
    return gs_store_put_checkpoint(l->store, l->id, size, note, stored, err);
}

int gs_log_latest_checkpoint(gs_log *l, char **note, uint64_t *size, gs_error *err)
{
    return gs_store_latest_checkpoint(l->store, l->id, note, size, err);
}

int gs_log_get_checkpoint(gs_log *l, uint64_t size, char **note, gs_error *err)
{
    return gs_store_get_checkpoint(l->store, l->id, size, note, err);
}
