/* serve.c — the read path shared by giamsat-node and giamsat-hub. */
#define _POSIX_C_SOURCE 200809L
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool gs_serve_is_read(gs_op op)
{
    return op == GS_OP_GET_CHECKPOINT || op == GS_OP_GET_ENTRIES ||
           op == GS_OP_GET_INCLUSION_PROOF || op == GS_OP_GET_CONSISTENCY_PROOF ||
           op == GS_OP_GET_KEY_CHAIN;
}

static void refuse(gs_serve_reply *out, gs_status_code code)
{
    out->rs.code = code;
    out->rs.message = out->msg;
}

/* A store failure: the client is told what failed, the caller logs it. An
 * altered database (GS_ECORRUPT: an entry or a proof that does not match the
 * root the log holds, log.h) answers INTERNAL and nothing of the wrong
 * bytes; the daemon's log line says so in capitals, for the operator. */
static int store_failed(gs_serve_reply *out, const gs_error *e, gs_error *err)
{
    snprintf(out->msg, sizeof out->msg, "%s", e->msg);
    refuse(out, gs_status_from_error(e->code));
    if (err != NULL) {
        *err = *e;
        if (e->code == GS_ECORRUPT)
            gs_error_wrap(err, "DATABASE CORRUPT, answer withheld");
    }
    return e->code < 0 ? e->code : GS_EIO;
}

static int get_checkpoint(const gs_serve_log *src, gs_serve_reply *out, gs_error *err)
{
    gs_error e = {0};
    if (src->checkpoint != NULL) {
        /* A copy, so the reply owns what it sends whatever the source. */
        if ((out->note = strdup(src->checkpoint)) == NULL) {
            snprintf(out->msg, sizeof out->msg, "out of memory");
            refuse(out, GS_STATUS_RESOURCE_EXHAUSTED);
            return 0;
        }
    } else if (gs_log_latest_checkpoint(src->log, &out->note, NULL, &e) != 0) {
        if (e.code == GS_ENOTFOUND) {
            snprintf(out->msg, sizeof out->msg, "%s", e.msg);
            refuse(out, GS_STATUS_NOT_FOUND);
            return 0;
        }
        return store_failed(out, &e, err);
    }
    out->rs.result = GS_RESULT_CHECKPOINT;
    out->rs.u.checkpoint = out->note;
    return 0;
}

static int get_entries(const gs_serve_log *src, const gs_request *rq, gs_serve_reply *out,
                       gs_error *err)
{
    uint64_t start = rq->u.get_entries.start;
    uint32_t count = rq->u.get_entries.count;
    if (count == 0 || count > GS_MAX_ENTRIES)
        count = GS_MAX_ENTRIES;
    if (start >= src->limit) {
        snprintf(out->msg, sizeof out->msg, "entry %llu is beyond the %llu entries %s serves of %s",
                 (unsigned long long)start, (unsigned long long)src->limit, src->server,
                 gs_log_origin(src->log));
        refuse(out, GS_STATUS_NOT_FOUND);
        return 0;
    }
    if (count > src->limit - start)
        count = (uint32_t)(src->limit - start);
    out->entries = calloc(count, sizeof *out->entries);
    if (out->entries == NULL) {
        snprintf(out->msg, sizeof out->msg, "out of memory");
        refuse(out, GS_STATUS_RESOURCE_EXHAUSTED);
        return 0;
    }
    size_t used = 0;
    for (uint32_t i = 0; i < count && used < src->budget; i++) {
        gs_error e = {0};
        if (gs_log_entry(src->log, start + i, &out->entries[out->n_entries], &e) != 0)
            return store_failed(out, &e, err);
        used += out->entries[out->n_entries].n + 8;
        out->n_entries++;
    }
    out->rs.result = GS_RESULT_ENTRIES;
    out->rs.u.entries.start = start;
    out->rs.u.entries.entries = out->entries;
    out->rs.u.entries.n = out->n_entries;
    return 0;
}

static int get_proof(const gs_serve_log *src, const gs_request *rq, gs_serve_reply *out,
                     gs_error *err)
{
    bool inclusion = rq->op == GS_OP_GET_INCLUSION_PROOF;
    /* For an inclusion proof `first` is the index, for a consistency proof
     * the old size; both are answered in the proof's `index` field. */
    uint64_t first =
        inclusion ? rq->u.get_inclusion_proof.index : rq->u.get_consistency_proof.old_size;
    uint64_t size =
        inclusion ? rq->u.get_inclusion_proof.size : rq->u.get_consistency_proof.new_size;
    if (size == 0)
        size = src->default_size;
    gs_error e = {0};
    size_t np = 0;
    int rc;
    if (inclusion) {
        if (size > src->limit || first >= size) {
            snprintf(out->msg, sizeof out->msg,
                     "no inclusion proof of entry %llu in a tree of size %llu: %s serves %llu "
                     "entries of %s",
                     (unsigned long long)first, (unsigned long long)size, src->server,
                     (unsigned long long)src->limit, gs_log_origin(src->log));
            refuse(out, GS_STATUS_NOT_FOUND);
            return 0;
        }
        rc = gs_log_prove_inclusion(src->log, first, size, out->proof, &np, &e);
    } else {
        if (first == 0 || first > size || size > src->limit) {
            snprintf(out->msg, sizeof out->msg,
                     "no consistency proof from size %llu to %llu: %s serves %llu entries of %s",
                     (unsigned long long)first, (unsigned long long)size, src->server,
                     (unsigned long long)src->limit, gs_log_origin(src->log));
            refuse(out,
                   first == 0 || first > size ? GS_STATUS_INVALID_ARGUMENT : GS_STATUS_NOT_FOUND);
            return 0;
        }
        rc = gs_log_prove_consistency(src->log, first, size, out->proof, &np, &e);
    }
    if (rc != 0)
        return store_failed(out, &e, err);
    out->rs.result = GS_RESULT_PROOF;
    out->rs.u.proof.index = first;
    out->rs.u.proof.size = size;
    out->rs.u.proof.hashes = out->proof;
    out->rs.u.proof.n = np;
    return 0;
}

int gs_serve_key_links(gs_log *log, const gs_keychain *kc, uint64_t size, gs_key_link **out,
                       size_t *n, gs_error *err)
{
    *out = NULL;
    *n = 0;
    if (kc->next_index < size)
        return gs_error_set(
            err, GS_EINVAL,
            "the key chain of %s holds %llu entries, not the %llu of the tree asked "
            "for",
            kc->origin, (unsigned long long)kc->next_index, (unsigned long long)size);
    size_t count = 0;
    while (count + 1 < kc->n && kc->links[count + 1].from_size <= size)
        count++;
    if (count == 0)
        return 0;
    gs_key_link *l = calloc(count, sizeof *l);
    if (l == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory for %zu key chain links", count);
    int rc = 0;
    for (size_t k = 0; k < count; k++) {
        /* links[k + 1] was made by the rotation at index from_size - 1 */
        uint64_t index = kc->links[k + 1].from_size - 1;
        gs_hash proof[GS_MERKLE_MAX_PROOF];
        size_t np = 0;
        l[k].index = index;
        if ((rc = gs_log_entry(log, index, &l[k].entry, err)) != 0 ||
            (rc = gs_log_prove_inclusion(log, index, size, proof, &np, err)) != 0)
            break;
        if (np > 0 && (l[k].proof = malloc(np * sizeof *proof)) == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory for a key chain proof");
            break;
        }
        if (np > 0)
            memcpy(l[k].proof, proof, np * sizeof *proof);
        l[k].n_proof = np;
    }
    if (rc != 0) {
        gs_key_links_free(l, count);
        return rc;
    }
    *out = l;
    *n = count;
    return 0;
}

/* GetKeyChain: the links for the served tree (or a smaller one asked for),
 * so a reader given the log's original key can verify its checkpoints. */
static int get_key_chain(const gs_serve_log *src, const gs_request *rq, gs_serve_reply *out,
                         gs_error *err)
{
    uint64_t size = rq->u.get_key_chain.size;
    if (size == 0)
        size = src->default_size;
    if (src->keychain == NULL) {
        snprintf(out->msg, sizeof out->msg, "%s keeps no key chain of %s", src->server,
                 gs_log_origin(src->log));
        refuse(out, GS_STATUS_NOT_FOUND);
        return 0;
    }
    if (size > src->limit || size > src->keychain->next_index) {
        snprintf(out->msg, sizeof out->msg,
                 "no key chain for a tree of size %llu: %s serves %llu entries of %s",
                 (unsigned long long)size, src->server, (unsigned long long)src->limit,
                 gs_log_origin(src->log));
        refuse(out, GS_STATUS_NOT_FOUND);
        return 0;
    }
    gs_error e = {0};
    if (gs_serve_key_links(src->log, src->keychain, size, &out->links, &out->n_links, &e) != 0)
        return store_failed(out, &e, err);
    out->rs.result = GS_RESULT_KEY_CHAIN;
    out->rs.u.key_chain.size = size;
    out->rs.u.key_chain.links = out->links;
    out->rs.u.key_chain.n = out->n_links;
    return 0;
}

int gs_serve_read(const gs_serve_log *src, const gs_request *rq, gs_serve_reply *out, gs_error *err)
{
    memset(&out->rs, 0, sizeof out->rs);
    out->rs.id = rq->id;
    out->rs.code = GS_STATUS_OK;
    out->rs.message = "";
    out->msg[0] = '\0';
    out->entries = NULL;
    out->n_entries = 0;
    out->note = NULL;
    out->links = NULL;
    out->n_links = 0;
    switch (rq->op) {
    case GS_OP_GET_CHECKPOINT: return get_checkpoint(src, out, err);
    case GS_OP_GET_ENTRIES: return get_entries(src, rq, out, err);
    case GS_OP_GET_INCLUSION_PROOF:
    case GS_OP_GET_CONSISTENCY_PROOF: return get_proof(src, rq, out, err);
    case GS_OP_GET_KEY_CHAIN: return get_key_chain(src, rq, out, err);
    default:
        snprintf(out->msg, sizeof out->msg, "not a read operation");
        refuse(out, GS_STATUS_INVALID_ARGUMENT);
        return 0;
    }
}

void gs_serve_reply_clear(gs_serve_reply *out)
{
    for (size_t i = 0; i < out->n_entries; i++)
        gs_buf_free(&out->entries[i]);
    free(out->entries);
    free(out->note);
    gs_key_links_free(out->links, out->n_links);
    out->entries = NULL;
    out->n_entries = 0;
    out->note = NULL;
    out->links = NULL;
    out->n_links = 0;
}

bool gs_serve_decode(gs_bytes payload, size_t max, gs_request *rq, gs_status_code *status,
                     char *msg, size_t cap)
{
    gs_error err = {0};
    if (gs_wire_decode_request(payload, max, rq, &err) == 0)
        return true;
    bool too_big = err.code == GS_ETOOBIG;
    snprintf(msg, cap, "%s: %s", too_big ? "request too large" : "malformed request", err.msg);
    *status = too_big ? GS_STATUS_RESOURCE_EXHAUSTED : GS_STATUS_INVALID_ARGUMENT;
    return false;
}
