/* refill.c — see refill.h. */
#define _POSIX_C_SOURCE 200809L
#include "refill.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merkle.h"
#include "net.h"
#include "note.h"
#include "wire.h"

/* Every request to a source is answered from committed data at once; a
 * source silent this long is treated as down (Lazy Pirate: a fresh socket). */
#define REQUEST_TIMEOUT_MS 10000
/* How long an ask waits for every source before deciding with what it has. */
#define ASK_TIMEOUT_MS 10000
/* A chunk: what is held in memory, verified, then stored in one
 * transaction. */
#define CHUNK_BYTES (16u * 1024u * 1024u)
#define RETRY_MIN_MS 2000
#define RETRY_MAX_MS 60000
#define STATUS_MAX 1024

typedef struct {
    const gs_refill_source *cfg;
    gs_net_curve curve;
    void *sock;
    bool in_flight;
    uint64_t request_id;
    int64_t deadline_ms;
    /* The ask: answered (or failed), and the note it holds signed by the
     * log key alone (NULL: none). */
    bool answered;
    char *note;
    uint64_t size;
    gs_hash root;
    bool tried; /* failed as a source of entries in this round */
} source;

struct gs_refill {
    gs_refill_config cfg;
    char origin[GS_STORE_MAX_ORIGIN + 1];
    gs_vkey log_vkey; /* alg 0x01, named after the origin */
    source *src;
    gs_refill_phase phase;
    uint64_t signed_size; /* the largest size the log key is known to have signed */
    char why[300];        /* who said so */
    uint64_t marker_size; /* the marker's size, for gs_refill_marker_write */
    bool marker_failed;   /* a write failed during the refill (not fatal) */
    int64_t ask_deadline_ms;
    int64_t retry_at_ms;
    long backoff_ms;
    /* FETCHING / PROVING: the source, its note, and the chunk in memory. */
    int cur;
    uint64_t next;        /* the next entry to ask for */
    uint64_t chunk_start; /* the log's committed size when the chunk began */
    gs_ingest *clone;     /* the daemon's pipeline plus the chunk, verified */
    gs_buf *chunk;
    size_t n_chunk;
    size_t chunk_bytes;
    char status[STATUS_MAX];
};

#ifndef NDEBUG
/* The transitions of the table in refill.h: allowed[from][to]. */
static const bool allowed[5][5] = {
    [GS_REFILL_IDLE] = {[GS_REFILL_ASKING] = true},
    [GS_REFILL_ASKING] =
        {[GS_REFILL_IDLE] = true, [GS_REFILL_FETCHING] = true, [GS_REFILL_STUCK] = true},
    [GS_REFILL_FETCHING] = {[GS_REFILL_PROVING] = true,
                            [GS_REFILL_IDLE] = true,
                            [GS_REFILL_FETCHING] = true,
                            [GS_REFILL_STUCK] = true},
    [GS_REFILL_PROVING] = {[GS_REFILL_FETCHING] = true, [GS_REFILL_STUCK] = true},
    [GS_REFILL_STUCK] = {[GS_REFILL_ASKING] = true},
};
#endif

static void set_phase(gs_refill *r, gs_refill_phase to)
{
    assert(allowed[r->phase][to]);
    r->phase = to;
    /* Coherence of the phase entered. */
    assert(to == GS_REFILL_FETCHING || to == GS_REFILL_PROVING || r->clone == NULL);
    assert(to != GS_REFILL_PROVING || r->cur >= 0);
}

static uint64_t local_size(const gs_refill *r)
{
    return gs_log_committed_size(r->cfg.log);
}

/* ------------------------------------------------------------ sources */

static void drop_socket(source *s)
{
    if (s->sock != NULL)
        zmq_close(s->sock);
    s->sock = NULL;
    s->in_flight = false;
}

static int send_request(gs_refill *r, source *s, gs_request *rq, int64_t now, gs_error *err)
{
    gs_buf frame = {0};
    int rc = 0;
    if (s->sock == NULL &&
        (rc = gs_net_dealer_open(&s->sock, r->cfg.zctx, s->cfg->endpoint, &s->curve,
                                 r->cfg.max_message + GS_NET_FRAME_SLACK, err)) != 0)
        return rc;
    rq->version = 1;
    rq->id = ++s->request_id;
    rq->origin = r->origin;
    if ((rc = gs_wire_encode_request(rq, &frame, err)) != 0)
        return rc;
    if (zmq_send(s->sock, frame.p, frame.n, ZMQ_DONTWAIT) < 0) {
        rc = gs_error_set(err, GS_EUNAVAIL, "%s at %s: %s", s->cfg->key->name, s->cfg->endpoint,
                          zmq_strerror(errno));
        drop_socket(s);
    } else {
        s->in_flight = true;
        s->deadline_ms = now + REQUEST_TIMEOUT_MS;
    }
    gs_buf_free(&frame);
    return rc;
}

/* 1: an answer to the request in flight is in *rs (the caller clears it);
 * 0: nothing yet; -1: the source did not answer in time or sent garbage
 * (err says so; the socket was reset). */
static int take_answer(gs_refill *r, source *s, int64_t now, gs_response *rs, gs_error *err)
{
    while (s->in_flight && s->sock != NULL) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        memset(rs, 0, sizeof *rs);
        int rc = gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                         r->cfg.max_message + GS_NET_FRAME_SLACK, rs, err);
        zmq_msg_close(&m);
        if (rc != 0) {
            gs_error_wrap(err, "%s sent a malformed answer", s->cfg->key->name);
            drop_socket(s);
            return -1;
        }
        if (rs->id == s->request_id) {
            s->in_flight = false;
            return 1;
        }
        gs_response_clear(rs); /* a late answer to a request given up on */
    }
    if (s->in_flight && now >= s->deadline_ms) {
        gs_error_set(err, GS_EUNAVAIL, "%s at %s did not answer within %d s", s->cfg->key->name,
                     s->cfg->endpoint, REQUEST_TIMEOUT_MS / 1000);
        drop_socket(s);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ notes */

/* Keeps of a served note only the log key's own signature, verified, and
 * its checkpoint: *own is "<body>\n<the log's line>\n". Lines by anyone else
 * (a witness's cosignature, a forged line) are not trusted here (DESIGN
 * principle 10): the daemon's witness clients collect them again. */
static int own_note(const gs_refill *r, const char *text, char **own, uint64_t *size, gs_hash *root,
                    gs_error *err)
{
    gs_note *n = NULL, *trial = NULL;
    gs_checkpoint cp = {0};
    char *out = NULL;
    *own = NULL;
    int rc = gs_note_parse(text, strlen(text), &n, err);
    if (rc != 0)
        goto out;
    size_t blen;
    const char *body = gs_note_text(n, &blen);
    rc = gs_error_set(err, GS_EVERIFY, "the checkpoint is not signed by this log's key (%s)",
                      r->origin);
    for (size_t i = 0; i < gs_note_sig_count(n); i++) {
        const gs_note_sig *s = gs_note_sig_at(n, i);
        if (strcmp(s->name, r->origin) != 0)
            continue;
        free(out);
        if ((out = malloc(blen + s->line_len + 3)) == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(out, body, blen);
        out[blen] = '\n';
        memcpy(out + blen + 1, s->line, s->line_len);
        memcpy(out + blen + 1 + s->line_len, "\n", 2);
        gs_note_free(&trial);
        if (gs_note_parse(out, strlen(out), &trial, NULL) == 0 &&
            gs_note_verify(trial, &r->log_vkey, 1, NULL, NULL, NULL) == 0) {
            rc = 0;
            break;
        }
    }
    if (rc != 0)
        goto out;
    if ((rc = gs_checkpoint_parse(body, blen, &cp, err)) != 0)
        goto out;
    if (strcmp(cp.origin, r->origin) != 0) {
        rc =
            gs_error_set(err, GS_EVERIFY, "the checkpoint is for %s, not %s", cp.origin, r->origin);
        goto out;
    }
    *size = cp.size;
    *root = cp.root;
    *own = out;
    out = NULL;
out:
    gs_checkpoint_clear(&cp);
    gs_note_free(&trial);
    gs_note_free(&n);
    free(out);
    return rc;
}

/* ------------------------------------------------------------ status */

static void update_status(gs_refill *r)
{
    unsigned long long held = local_size(r), want = r->signed_size;
    const char *head = "refilling: log is behind its signed checkpoint";
    switch (r->phase) {
    case GS_REFILL_IDLE: r->status[0] = '\0'; break;
    case GS_REFILL_ASKING:
        snprintf(r->status, sizeof r->status,
                 "%s %llu (restored backup or lost WAL?); it holds %llu entries and is asking its "
                 "witnesses for the rest (%s said so); retry later",
                 head, want, held, r->why);
        break;
    case GS_REFILL_FETCHING:
    case GS_REFILL_PROVING:
        snprintf(r->status, sizeof r->status,
                 "%s %llu (restored backup or lost WAL?); it holds %llu entries and is fetching "
                 "and checking the rest from %s; retry later",
                 head, want, held, r->src[r->cur].cfg->key->name);
        break;
    case GS_REFILL_STUCK:
        snprintf(r->status, sizeof r->status,
                 "%s %llu (restored backup or lost WAL?); it holds %llu entries and no witness "
                 "could serve the missing ones (%s said so): it accepts nothing until they are "
                 "refilled; its operator must act (docs/operations.md, Restore)",
                 head, want, held, r->why);
        break;
    }
}

/* ------------------------------------------------------------ lifecycle */

static int marker_size_unverified(const char *path, const char *origin, uint64_t *size);

/* The marker says how far this log key signed. A folder without one (made
 * before markers existed) gets one from the latest checkpoint its store
 * holds. */
static int read_marker(gs_refill *r, gs_error *err)
{
    char *note = NULL;
    uint64_t size = 0;
    int rc = gs_refill_marker_read(r->cfg.marker_path, r->origin, r->cfg.log_key, &size, NULL, err);
    if (rc == GS_ECORRUPT && marker_size_unverified(r->cfg.marker_path, r->origin, &size) == 0 &&
        size <= local_size(r)) {
        /* Signed by an earlier log key (rotated since), and the log holds
         * all it names: nothing was lost; replaced below. */
        size = 0;
        rc = 0;
    }
    if (rc != 0)
        return rc;
    r->marker_size = size;
    if (size > r->signed_size) {
        r->signed_size = size;
        snprintf(r->why, sizeof r->why, "its signed-checkpoint marker %s", r->cfg.marker_path);
    }
    if (gs_log_latest_checkpoint(r->cfg.log, &note, &size, NULL) == 0 && size > r->marker_size)
        rc = gs_refill_signed(r, note, size, err);
    free(note);
    return rc;
}

int gs_refill_new(gs_refill **out, const gs_refill_config *cfg, gs_error *err)
{
    int rc;
    *out = NULL;
    gs_refill *r = calloc(1, sizeof *r);
    if (r == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    r->cfg = *cfg;
    if (r->cfg.chunk_entries == 0 || r->cfg.chunk_entries > GS_REFILL_CHUNK_ENTRIES)
        r->cfg.chunk_entries = GS_REFILL_CHUNK_ENTRIES;
    r->cur = -1;
    r->backoff_ms = RETRY_MIN_MS;
    const char *origin = gs_log_origin(cfg->log);
    snprintf(r->origin, sizeof r->origin, "%s", origin);
    if ((rc = gs_vkey_make(&r->log_vkey, origin, GS_VKEY_ALG_ED25519, cfg->log_key, err)) != 0)
        goto out;
    if (cfg->n_sources > 0 && (r->src = calloc(cfg->n_sources, sizeof *r->src)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        source *s = &r->src[i];
        s->cfg = &cfg->sources[i];
        randombytes_buf(&s->request_id, sizeof s->request_id);
        s->request_id >>= 1;
        if (strncmp(s->cfg->endpoint, "tcp://", 6) == 0 &&
            (rc = gs_net_curve_client(&s->curve, &s->cfg->key->key, cfg->client_key, err)) != 0)
            goto out;
    }
    r->signed_size = local_size(r);
    if (cfg->marker_path != NULL && (rc = read_marker(r, err)) != 0)
        goto out;
    if (r->signed_size > local_size(r)) {
        /* Behind from the start: hold at once; the first step asks (its
         * deadline is set then, from the daemon's clock). */
        set_phase(r, GS_REFILL_ASKING);
        r->ask_deadline_ms = 0;
        update_status(r);
    }
    *out = r;
    r = NULL;
    rc = 0;
out:
    gs_refill_free(&r);
    return rc;
}

static void drop_chunk(gs_refill *r)
{
    for (size_t i = 0; i < r->n_chunk; i++)
        gs_buf_free(&r->chunk[i]);
    free(r->chunk);
    r->chunk = NULL;
    r->n_chunk = 0;
    r->chunk_bytes = 0;
    gs_ingest_free(&r->clone);
}

void gs_refill_free(gs_refill **rp)
{
    gs_refill *r = *rp;
    if (r == NULL)
        return;
    drop_chunk(r);
    for (size_t i = 0; i < r->cfg.n_sources && r->src != NULL; i++) {
        drop_socket(&r->src[i]);
        free(r->src[i].note);
        sodium_memzero(&r->src[i].curve, sizeof r->src[i].curve);
    }
    free(r->src);
    free(r);
    *rp = NULL;
}

bool gs_refill_holding(const gs_refill *r)
{
    return r->phase != GS_REFILL_IDLE;
}

gs_refill_phase gs_refill_phase_of(const gs_refill *r)
{
    return r->phase;
}

uint64_t gs_refill_signed_size(const gs_refill *r)
{
    return r->signed_size;
}

const char *gs_refill_status(const gs_refill *r)
{
    return r->status;
}

void gs_refill_set_log_key(gs_refill *r, const gs_pubkey *key)
{
    gs_vkey vk;
    r->cfg.log_key = key;
    if (gs_vkey_make(&vk, r->origin, GS_VKEY_ALG_ED25519, key, NULL) == 0)
        r->log_vkey = vk;
}

int gs_refill_signed(gs_refill *r, const char *note, uint64_t size, gs_error *err)
{
    if (r->cfg.marker_path == NULL || size <= r->marker_size)
        return 0;
    int rc = gs_refill_marker_write(r->cfg.marker_path, note, err);
    if (rc == 0)
        r->marker_size = size;
    if (size > r->signed_size)
        r->signed_size = size;
    return rc;
}

size_t gs_refill_pollitems(gs_refill *r, zmq_pollitem_t *items, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->cfg.n_sources && n < cap; i++)
        if (r->src[i].in_flight && r->src[i].sock != NULL)
            items[n++] = (zmq_pollitem_t){.socket = r->src[i].sock, .events = ZMQ_POLLIN};
    return n;
}

/* ------------------------------------------------------------ asking */

static void start_ask(gs_refill *r, int64_t now)
{
    set_phase(r, GS_REFILL_ASKING);
    r->ask_deadline_ms = now + ASK_TIMEOUT_MS;
    for (size_t i = 0; i < r->cfg.n_sources; i++) {
        source *s = &r->src[i];
        s->answered = false;
        s->tried = false;
        free(s->note);
        s->note = NULL;
        s->size = 0;
        /* A request of the previous round still in flight is forgotten. */
        if (s->in_flight)
            drop_socket(s);
    }
    update_status(r);
}

void gs_refill_behind(gs_refill *r, uint64_t size, const char *why, int64_t now_ms)
{
    if (size <= r->signed_size)
        return;
    r->signed_size = size;
    snprintf(r->why, sizeof r->why, "%s", why);
    if (size <= local_size(r))
        return;
    if (r->phase == GS_REFILL_IDLE || r->phase == GS_REFILL_STUCK) {
        r->backoff_ms = RETRY_MIN_MS;
        start_ask(r, now_ms);
    }
    update_status(r);
}

static gs_refill_event enter_stuck(gs_refill *r, int64_t now, gs_error *err)
{
    drop_chunk(r);
    r->cur = -1;
    set_phase(r, GS_REFILL_STUCK);
    r->retry_at_ms = now + r->backoff_ms;
    r->backoff_ms = r->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : r->backoff_ms * 2;
    update_status(r);
    gs_error_set(err, GS_EUNAVAIL, "%s; retrying in %ld s", r->status,
                 (long)((r->retry_at_ms - now) / 1000));
    return GS_REFILL_STUCK_EV;
}

static gs_refill_event finish(gs_refill *r)
{
    drop_chunk(r);
    r->cur = -1;
    set_phase(r, GS_REFILL_IDLE);
    r->backoff_ms = RETRY_MIN_MS;
    update_status(r);
    return GS_REFILL_DONE;
}

static gs_refill_event fetch_next(gs_refill *r, int64_t now, gs_error *err);

/* Every source has answered (or the ask timed out): refill from the best
 * one, or go on when nothing signed is above the log. */
static gs_refill_event decide(gs_refill *r, int64_t now, gs_error *err)
{
    for (size_t i = 0; i < r->cfg.n_sources; i++)
        if (r->src[i].note != NULL && r->src[i].size > r->signed_size) {
            r->signed_size = r->src[i].size;
            snprintf(r->why, sizeof r->why, "%s holds it", r->src[i].cfg->key->name);
        }
    if (r->signed_size <= local_size(r))
        return finish(r);
    return fetch_next(r, now, err);
}

static void on_checkpoint(gs_refill *r, source *s, const gs_response *rs)
{
    s->answered = true;
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_CHECKPOINT || rs->u.checkpoint == NULL)
        return; /* a witness that holds nothing of this log (NOT_FOUND), or no hub */
    char *own = NULL;
    uint64_t size = 0;
    gs_hash root;
    if (own_note(r, rs->u.checkpoint, &own, &size, &root, NULL) != 0)
        return; /* not signed by this log's key: proves nothing; never a target */
    s->note = own;
    s->size = size;
    s->root = root;
}

/* ------------------------------------------------------------ fetching */

static int ask_entries(gs_refill *r, int64_t now, gs_error *err)
{
    source *s = &r->src[r->cur];
    uint64_t end = r->chunk_start + r->cfg.chunk_entries;
    if (end > s->size)
        end = s->size;
    uint64_t want = end - r->next;
    gs_request rq = {.op = GS_OP_GET_ENTRIES};
    rq.u.get_entries.start = r->next;
    rq.u.get_entries.count = (uint32_t)(want > GS_MAX_ENTRIES ? GS_MAX_ENTRIES : want);
    return send_request(r, s, &rq, now, err);
}

static int begin_chunk(gs_refill *r, int64_t now, gs_error *err)
{
    drop_chunk(r);
    r->chunk_start = local_size(r);
    r->next = r->chunk_start;
    int rc = gs_ingest_clone(&r->clone, *r->cfg.ingest, err);
    if (rc != 0)
        return rc;
    gs_ingest_set_stage(r->clone, NULL);
    if (gs_ingest_size(r->clone) != r->chunk_start)
        return gs_error_set(
            err, GS_EINVAL, "the daemon's pipeline holds %llu entries, its log %llu",
            (unsigned long long)gs_ingest_size(r->clone), (unsigned long long)r->chunk_start);
    if ((r->chunk = calloc(r->cfg.chunk_entries, sizeof *r->chunk)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return ask_entries(r, now, err);
}

/* The best source not tried yet whose note is above the log. */
static gs_refill_event fetch_next(gs_refill *r, int64_t now, gs_error *err)
{
    for (;;) {
        int best = -1;
        for (size_t i = 0; i < r->cfg.n_sources; i++) {
            source *s = &r->src[i];
            if (s->note != NULL && !s->tried && s->size > local_size(r) &&
                (best < 0 || s->size > r->src[best].size))
                best = (int)i;
        }
        if (best < 0)
            return enter_stuck(r, now, err);
        drop_chunk(r);
        r->cur = best;
        if (r->phase != GS_REFILL_FETCHING)
            set_phase(r, GS_REFILL_FETCHING);
        update_status(r);
        gs_error e = {0};
        if (begin_chunk(r, now, &e) == 0)
            return GS_REFILL_NOTHING;
        r->src[best].tried = true;
    }
}

/* The current source failed or lied: forget what it gave of this chunk and
 * go to the next. What earlier chunks stored stays: each was proven a
 * prefix of the log's signed history. */
static gs_refill_event source_failed(gs_refill *r, int64_t now, const char *why, gs_error *err)
{
    source *s = &r->src[r->cur];
    char msg[GS_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "refill of %.200s from %.200s: %s", r->origin, s->cfg->key->name,
             why);
    s->tried = true;
    drop_chunk(r);
    if (r->phase == GS_REFILL_PROVING)
        set_phase(r, GS_REFILL_FETCHING);
    gs_refill_event ev = fetch_next(r, now, err);
    if (ev == GS_REFILL_NOTHING) {
        gs_error_set(err, GS_EVERIFY, "%s; trying another witness", msg);
        return GS_REFILL_WARN;
    }
    /* STUCK: say both what failed and what now. */
    char stuck[GS_ERROR_MSG_MAX];
    snprintf(stuck, sizeof stuck, "%s", err->msg);
    gs_error_set(err, GS_EUNAVAIL, "%s; %s", msg, stuck);
    return ev;
}

/* Stores the chunk, proven a prefix of the source's signed note (final:
 * it reaches the note's size, which is then kept as the log's checkpoint). */
static int store_chunk(gs_refill *r, bool final, gs_error *err)
{
    source *s = &r->src[r->cur];
    gs_bytes *b = calloc(r->n_chunk ? r->n_chunk : 1, sizeof *b);
    if (b == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_chunk; i++)
        b[i] = gs_bytes_of(r->chunk[i].p, r->chunk[i].n);
    uint64_t first = 0;
    int rc = gs_store_begin(r->cfg.store, err);
    if (rc == 0)
        rc = gs_log_stage(r->cfg.log, b, r->n_chunk, &first, err);
    if (rc == 0 && first != r->chunk_start)
        rc = gs_error_set(err, GS_EINVAL, "the log moved during the refill (%llu, not %llu)",
                          (unsigned long long)first, (unsigned long long)r->chunk_start);
    if (rc == 0 && final)
        rc = gs_log_put_checkpoint(r->cfg.log, s->size, s->note, NULL, err);
    if (rc == 0)
        rc = gs_store_commit(r->cfg.store, err);
    gs_store_rollback(r->cfg.store); /* after a failure; a no-op after a commit */
    free(b);
    if (rc != 0)
        return rc;
    /* The daemon's rule state is now the verified copy's. */
    gs_ingest_free(r->cfg.ingest);
    *r->cfg.ingest = r->clone;
    r->clone = NULL;
    if (final) {
        /* A marker not written only weakens the next start's check. */
        gs_error e;
        if (gs_refill_signed(r, s->note, s->size, &e) != 0)
            r->marker_failed = true;
    }
    return 0;
}

static gs_refill_event chunk_done(gs_refill *r, int64_t now, gs_error *err)
{
    source *s = &r->src[r->cur];
    gs_hash root;
    gs_ingest_root(r->clone, &root);
    if (r->next == s->size) {
        if (sodium_memcmp(root.b, s->root.b, 32) != 0)
            return source_failed(r, now,
                                 "its entries do not reproduce the root this log signed at "
                                 "that size",
                                 err);
        if (store_chunk(r, true, err) != 0)
            return source_failed(r, now, err->msg, err);
        if (local_size(r) >= r->signed_size)
            return finish(r);
        return fetch_next(r, now, err) == GS_REFILL_NOTHING ? GS_REFILL_PROGRESS
                                                            : GS_REFILL_STUCK_EV;
    }
    gs_request rq = {.op = GS_OP_GET_CONSISTENCY_PROOF};
    rq.u.get_consistency_proof.old_size = r->next;
    rq.u.get_consistency_proof.new_size = s->size;
    if (send_request(r, s, &rq, now, err) != 0)
        return source_failed(r, now, err->msg, err);
    set_phase(r, GS_REFILL_PROVING);
    return GS_REFILL_NOTHING;
}

static gs_refill_event on_entries(gs_refill *r, gs_response *rs, int64_t now, gs_error *err)
{
    source *s = &r->src[r->cur];
    char why[GS_ERROR_MSG_MAX + 128];
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_ENTRIES) {
        snprintf(why, sizeof why, "GetEntries from %llu: %s: %s", (unsigned long long)r->next,
                 gs_status_name(rs->code), rs->message != NULL ? rs->message : "");
        return source_failed(r, now, why, err);
    }
    uint64_t end = r->chunk_start + r->cfg.chunk_entries < s->size
                       ? r->chunk_start + r->cfg.chunk_entries
                       : s->size;
    size_t n = rs->u.entries.n;
    if (rs->u.entries.start != r->next || n == 0 || n > end - r->next)
        return source_failed(r, now, "it answered other entries than asked", err);
    gs_bytes *b = calloc(n, sizeof *b);
    gs_ingest_verdict *v = calloc(n, sizeof *v);
    gs_refill_event ev = GS_REFILL_NOTHING;
    if (b == NULL || v == NULL) {
        ev = source_failed(r, now, "out of memory", err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        b[i] = gs_bytes_of(rs->u.entries.entries[i].p, rs->u.entries.entries[i].n);
    /* The one pipeline, in history mode: every signature checked, the rule
     * book applied in order, the frontier advanced. */
    gs_error e = {0};
    if (gs_ingest_push(r->clone, GS_INGEST_HISTORY, b, n, 0, v, &e) != 0) {
        ev = source_failed(r, now, e.msg, err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (!v[i].accepted) {
            char text[GS_ERROR_MSG_MAX + 64];
            gs_ingest_verdict_text(&v[i], text, sizeof text);
            snprintf(why, sizeof why, "entry %llu it served is refused: %s",
                     (unsigned long long)v[i].index, text);
            ev = source_failed(r, now, why, err);
            goto out;
        }
    for (size_t i = 0; i < n; i++) {
        r->chunk[r->n_chunk++] = rs->u.entries.entries[i]; /* taken over */
        r->chunk_bytes += rs->u.entries.entries[i].n;
        rs->u.entries.entries[i] = (gs_buf){0};
    }
    r->next += n;
    update_status(r);
    if (r->next == end || r->chunk_bytes >= CHUNK_BYTES)
        ev = chunk_done(r, now, err);
    else if (ask_entries(r, now, err) != 0)
        ev = source_failed(r, now, err->msg, err);
out:
    free(b);
    free(v);
    return ev;
}

static gs_refill_event on_proof(gs_refill *r, const gs_response *rs, int64_t now, gs_error *err)
{
    source *s = &r->src[r->cur];
    char why[GS_ERROR_MSG_MAX + 128];
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_PROOF) {
        snprintf(why, sizeof why, "GetConsistencyProof: %s: %s", gs_status_name(rs->code),
                 rs->message != NULL ? rs->message : "");
        return source_failed(r, now, why, err);
    }
    gs_hash root;
    gs_ingest_root(r->clone, &root);
    gs_error e = {0};
    /* RFC 9162 §2.1.4.2: the chunk's root (over the log held and the chunk)
     * is a prefix of the tree whose root this log signed. */
    if (rs->u.proof.index != r->next || rs->u.proof.size != s->size ||
        gs_merkle_verify_consistency(r->next, s->size, &root, &s->root, rs->u.proof.hashes,
                                     rs->u.proof.n, &e) != 0) {
        snprintf(why, sizeof why,
                 "its entries up to %llu are not a prefix of the checkpoint this log signed at "
                 "%llu: %s",
                 (unsigned long long)r->next, (unsigned long long)s->size, e.msg);
        return source_failed(r, now, why, err);
    }
    if (store_chunk(r, false, err) != 0)
        return source_failed(r, now, err->msg, err);
    set_phase(r, GS_REFILL_FETCHING);
    update_status(r);
    if (begin_chunk(r, now, err) != 0)
        return source_failed(r, now, err->msg, err);
    return GS_REFILL_PROGRESS;
}

/* ------------------------------------------------------------ the step */

gs_refill_event gs_refill_step(gs_refill *r, int64_t now, long *next_ms, gs_error *err)
{
    gs_refill_event ev = GS_REFILL_NOTHING;
    gs_response rs;
    *next_ms = 1000;
    if (r->phase == GS_REFILL_STUCK) {
        if (now < r->retry_at_ms) {
            *next_ms = (long)(r->retry_at_ms - now);
            return GS_REFILL_NOTHING;
        }
        start_ask(r, now);
    }
    switch (r->phase) {
    case GS_REFILL_IDLE:
    case GS_REFILL_STUCK: return GS_REFILL_NOTHING;
    case GS_REFILL_ASKING: {
        bool all = true;
        if (r->ask_deadline_ms == 0)
            r->ask_deadline_ms = now + ASK_TIMEOUT_MS;
        for (size_t i = 0; i < r->cfg.n_sources; i++) {
            source *s = &r->src[i];
            if (s->answered)
                continue;
            gs_error e = {0};
            if (!s->in_flight) {
                gs_request rq = {.op = GS_OP_GET_CHECKPOINT};
                if (send_request(r, s, &rq, now, &e) != 0)
                    s->answered = true; /* unreachable: decided without it */
            }
            int got = take_answer(r, s, now, &rs, &e);
            if (got == 1) {
                on_checkpoint(r, s, &rs);
                gs_response_clear(&rs);
            } else if (got < 0) {
                s->answered = true;
            }
            if (!s->answered)
                all = false;
        }
        if (all || now >= r->ask_deadline_ms)
            ev = decide(r, now, err);
        break;
    }
    case GS_REFILL_FETCHING:
    case GS_REFILL_PROVING: {
        source *s = &r->src[r->cur];
        gs_error e = {0};
        int got = take_answer(r, s, now, &rs, &e);
        if (got < 0) {
            ev = source_failed(r, now, e.msg, err);
        } else if (got == 1) {
            ev = r->phase == GS_REFILL_FETCHING ? on_entries(r, &rs, now, err)
                                                : on_proof(r, &rs, now, err);
            gs_response_clear(&rs);
        }
        break;
    }
    }
    if (r->phase == GS_REFILL_ASKING || r->phase == GS_REFILL_FETCHING ||
        r->phase == GS_REFILL_PROVING) {
        /* Answers wake the poll; this bounds the wait for a deadline. */
        *next_ms = 200;
    }
    return ev;
}

/* ------------------------------------------------------------ the marker */

char *gs_refill_marker_path(const char *database)
{
    size_t n = strlen(database);
    if (n > 3 && strcmp(database + n - 3, ".db") == 0)
        n -= 3;
    char *p = malloc(n + sizeof ".signed-checkpoint");
    if (p == NULL)
        return NULL;
    memcpy(p, database, n);
    memcpy(p + n, ".signed-checkpoint", sizeof ".signed-checkpoint");
    return p;
}

/* The marker's text into buf (NUL-terminated); *len 0 when there is no
 * marker. */
static int marker_text(const char *path, char *buf, size_t cap, size_t *len, gs_error *err)
{
    *len = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return gs_error_set(err, GS_EIO, "signed-checkpoint marker %s: %s", path, strerror(errno));
    }
    for (;;) {
        ssize_t got = read(fd, buf + *len, cap - 1 - *len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            close(fd);
            return gs_error_set(err, GS_EIO, "signed-checkpoint marker %s: %s", path,
                                strerror(errno));
        }
        *len += (size_t)got;
        if (got == 0 || *len == cap - 1)
            break;
    }
    close(fd);
    buf[*len] = '\0';
    if (*len == cap - 1)
        return gs_error_set(err, GS_ECORRUPT, "signed-checkpoint marker %s is too large", path);
    return 0;
}

int gs_refill_marker_read(const char *path, const char *origin, const gs_pubkey *log_key,
                          uint64_t *size, char **note, gs_error *err)
{
    *size = 0;
    if (note != NULL)
        *note = NULL;
    char buf[GS_NOTE_MAX + 2];
    size_t len;
    int rc = marker_text(path, buf, sizeof buf, &len, err);
    if (rc != 0 || len == 0)
        return rc;
    /* A gs_refill only to reuse own_note's check. */
    gs_refill r = {0};
    snprintf(r.origin, sizeof r.origin, "%s", origin);
    if ((rc = gs_vkey_make(&r.log_vkey, origin, GS_VKEY_ALG_ED25519, log_key, err)) != 0)
        return rc;
    char *own = NULL;
    gs_hash root;
    if (own_note(&r, buf, &own, size, &root, err) != 0) {
        *size = 0;
        return gs_error_set(err, GS_ECORRUPT,
                            "signed-checkpoint marker %s does not hold a checkpoint signed by "
                            "this log's key; it records the largest size this log signed so a "
                            "restored database cannot go back: restore it from a copy, or "
                            "remove it only if this folder was never restored",
                            path);
    }
    if (note != NULL)
        *note = own;
    else
        free(own);
    return 0;
}

/* The size a marker names, signature unchecked: a marker signed before the
 * log key was rotated (KeyRotation) no longer verifies with the new key. */
static int marker_size_unverified(const char *path, const char *origin, uint64_t *size)
{
    char buf[GS_NOTE_MAX + 2];
    size_t len, blen;
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    int rc = marker_text(path, buf, sizeof buf, &len, NULL);
    if (rc == 0)
        rc = gs_note_parse(buf, len, &n, NULL);
    if (rc == 0) {
        const char *body = gs_note_text(n, &blen);
        rc = gs_checkpoint_parse(body, blen, &cp, NULL);
    }
    if (rc == 0 && strcmp(cp.origin, origin) != 0)
        rc = GS_EINVAL;
    if (rc == 0)
        *size = cp.size;
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return rc;
}

int gs_refill_marker_write(const char *path, const char *note, gs_error *err)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    char *dir = strdup(path);
    int fd = -1, rc = 0;
    if (tmp == NULL || dir == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    uint32_t rnd = randombytes_random();
    snprintf(tmp, n + 32, "%s.tmp-%08x", path, rnd);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = gs_error_set(err, GS_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t len = strlen(note), done = 0;
    while (done < len) {
        ssize_t w = write(fd, note + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    /* The rename is durable once the folder is. */
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            rc = gs_error_set(err, GS_EIO, "cannot sync the folder of %s: %s", path,
                              strerror(errno));
        close(dfd);
    }
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(dir);
    return rc;
}
