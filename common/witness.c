/* witness.c — see witness.h. */
#define _POSIX_C_SOURCE 200809L
#include "witness.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "merkle.h"
#include "net.h"
#include "note.h"
#include "wire.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
/* A witness fetches and verifies the entries before it answers. */
#define REQUEST_TIMEOUT_MS 30000

struct gs_witness_client {
    void *ctx;
    void *sock;
    char *endpoint;
    gs_vkey witness; /* alg 0x04: what its cosignatures verify against */
    gs_net_curve curve;
    size_t max_message;

    uint64_t cosigned_size; /* the witness's size, as last learnt */
    bool size_known;        /* cosigned_size was learnt (not the initial guess) */
    uint64_t merged_size;   /* the size whose cosignature by it we hold */
    bool in_flight;
    uint64_t request_id;
    uint64_t sent_size;
    uint64_t sent_old_size;
    int64_t deadline_ms;
    int64_t next_attempt_ms;
    long backoff_ms;
    uint64_t ahead_reported; /* the larger size the witness holds, once said */
    bool answered;           /* it answered a request since the daemon started */
};

static int open_socket(gs_witness_client *w, gs_error *err)
{
    return gs_net_dealer_open(&w->sock, w->ctx, w->endpoint, &w->curve, w->max_message, err);
}

int gs_witness_client_new(gs_witness_client **out, void *zctx, const char *endpoint,
                          const gs_vkey *witness, const gs_keypair *client_key, size_t max_message,
                          gs_error *err)
{
    int rc;
    *out = NULL;
    gs_witness_client *w = calloc(1, sizeof *w);
    if (w == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    w->ctx = zctx;
    w->max_message = max_message;
    w->backoff_ms = BACKOFF_MIN_MS;
    randombytes_buf(&w->request_id, sizeof w->request_id);
    w->request_id >>= 1;
    w->endpoint = strdup(endpoint);
    if (w->endpoint == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    /* Cosignatures are alg 0x04 whatever key string named the witness. */
    rc = gs_vkey_make(&w->witness, witness->name, GS_VKEY_ALG_COSIGNATURE_V1, &witness->key, err);
    if (rc != 0)
        goto out;
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        if ((rc = gs_net_curve_client(&w->curve, &witness->key, client_key, err)) != 0)
            goto out;
    } else if (strncmp(endpoint, "ipc://", 6) != 0 && strncmp(endpoint, "inproc://", 9) != 0) {
        rc = gs_error_set(err, GS_EINVAL, "witness endpoint %s: expected tcp:// or ipc://",
                          endpoint);
        goto out;
    }
    if ((rc = open_socket(w, err)) != 0)
        goto out;
    *out = w;
    w = NULL;
out:
    gs_witness_client_free(&w);
    return rc;
}

void gs_witness_client_free(gs_witness_client **wp)
{
    gs_witness_client *w = *wp;
    if (w == NULL)
        return;
    if (w->sock != NULL)
        zmq_close(w->sock);
    sodium_memzero(&w->curve, sizeof w->curve);
    free(w->endpoint);
    free(w);
    *wp = NULL;
}

void *gs_witness_client_socket(gs_witness_client *w)
{
    return w->sock;
}

const char *gs_witness_client_name(const gs_witness_client *w)
{
    return w->witness.name;
}

uint64_t gs_witness_client_cosigned_size(const gs_witness_client *w)
{
    return w->cosigned_size;
}

bool gs_witness_client_answered(const gs_witness_client *w)
{
    return w->answered;
}

bool gs_witness_client_in_flight(const gs_witness_client *w)
{
    return w->in_flight;
}

static void back_off(gs_witness_client *w, int64_t now_ms)
{
    w->next_attempt_ms = now_ms + w->backoff_ms;
    w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

/* Keeps, of the lines a witness answered, only its own cosignature over the
 * note held at size, verified, and stores the note with it. Every other line
 * — another witness's name, a forged line under a hub's name — is ignored,
 * never merged (DESIGN principle 10): one witness cannot void another's
 * cosignature by sending a conflicting line in its name. */
static int merge_cosignature(gs_witness_client *w, gs_log *log, uint64_t size, const char *lines,
                             gs_error *err)
{
    char *held = NULL, *merged = NULL;
    gs_note *note = NULL, *trial = NULL;
    bool found = false;
    int rc = gs_log_get_checkpoint(log, size, &held, err);
    if (rc != 0)
        goto out;
    if ((rc = gs_note_parse(held, strlen(held), &note, err)) != 0)
        goto out;
    for (const char *p = lines; *p != '\0' && !found;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        /* Each line alone on the held note: kept only when it is this
         * witness's cosignature and verifies. */
        int64_t ts;
        gs_note_free(&trial);
        if (len > 0 && gs_note_parse(held, strlen(held), &trial, NULL) == 0 &&
            gs_note_add_signature(trial, p, len, NULL) == 0 &&
            gs_cosignature_verify(trial, &w->witness, &ts, NULL) == 0 &&
            gs_note_add_signature(note, p, len, NULL) == 0)
            found = true;
        p += len + (nl != NULL);
    }
    if (!found) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "witness %s answered without a valid cosignature of its own",
                          w->witness.name);
        goto out;
    }
    if ((rc = gs_note_format(note, &merged, NULL, err)) != 0)
        goto out;
    rc = gs_log_put_checkpoint(log, size, merged, NULL, err);
out:
    gs_note_free(&trial);
    gs_note_free(&note);
    free(held);
    free(merged);
    return rc;
}

static gs_witness_event read_reply(gs_witness_client *w, gs_log *log, int64_t now_ms,
                                   uint64_t *size, gs_error *err)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, w->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return GS_WITNESS_IDLE;
    }
    gs_response rs = {0};
    gs_witness_event ev = GS_WITNESS_IDLE;
    int rc = gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                     w->max_message, &rs, err);
    zmq_msg_close(&m);
    if (rc != 0) {
        gs_error_wrap(err, "witness %s sent a malformed answer", w->witness.name);
        w->in_flight = false;
        back_off(w, now_ms);
        return GS_WITNESS_FAILED;
    }
    if (!w->in_flight || rs.id != w->request_id)
        goto out; /* a late answer to a request we gave up on */
    w->in_flight = false;
    w->answered = true;
    if (rs.code == GS_STATUS_OK && rs.result == GS_RESULT_COSIGNATURE) {
        if (merge_cosignature(w, log, w->sent_size, rs.u.cosignature, err) != 0) {
            back_off(w, now_ms);
            ev = GS_WITNESS_FAILED;
            goto out;
        }
        w->cosigned_size = w->sent_size;
        w->size_known = true;
        w->merged_size = w->sent_size;
        w->backoff_ms = BACKOFF_MIN_MS;
        w->next_attempt_ms = now_ms;
        *size = w->sent_size;
        ev = GS_WITNESS_COSIGNED;
    } else if (rs.code == GS_STATUS_CONFLICT && rs.result == GS_RESULT_CONFLICT) {
        /* tlog-witness: the witness tells us the size it holds; resend with
         * a proof from there, at once. */
        bool news = rs.u.conflict_size != w->sent_old_size;
        w->cosigned_size = rs.u.conflict_size;
        w->size_known = true;
        if (rs.u.conflict_size > gs_log_committed_size(log)) {
            /* The witness holds more of this log than the log does: the log
             * went back (a restored backup, a lost WAL). The daemon must
             * refill before it signs anything (common/refill.h); the
             * checkpoint goes out again once it has. */
            w->ahead_reported = rs.u.conflict_size;
            w->next_attempt_ms = now_ms;
            *size = rs.u.conflict_size;
            ev = GS_WITNESS_AHEAD;
        } else if (news) {
            w->next_attempt_ms = now_ms;
        } else {
            /* The witness refuses the very size it names: it is not
             * converging; do not hammer it. */
            gs_error_set(err, GS_ECONFLICT, "witness %s keeps answering CONFLICT at size %llu",
                         w->witness.name, (unsigned long long)rs.u.conflict_size);
            back_off(w, now_ms);
            ev = GS_WITNESS_FAILED;
        }
    } else {
        w->answered = rs.code != GS_STATUS_UNAVAILABLE; /* "retry later" says nothing yet */
        gs_error_set(err, GS_EUNAVAIL, "witness %s refused checkpoint %llu: %s: %s",
                     w->witness.name, (unsigned long long)w->sent_size, gs_status_name(rs.code),
                     rs.message != NULL ? rs.message : "");
        back_off(w, now_ms);
        ev = GS_WITNESS_FAILED;
    }
out:
    gs_response_clear(&rs);
    return ev;
}

static gs_witness_event send_latest(gs_witness_client *w, gs_log *log, int64_t now_ms,
                                    uint64_t *ahead, gs_error *err)
{
    char *note = NULL;
    uint64_t size = 0;
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t np = 0;
    gs_buf frame = {0};
    gs_witness_event ev = GS_WITNESS_IDLE;
    if (gs_log_latest_checkpoint(log, &note, &size, NULL) != 0)
        goto out; /* nothing signed yet */
    /* Equal sizes are sent too: a witness that cosigned this checkpoint on
     * its own (by polling) answers with its line, which we do not hold yet. */
    if (size < w->cosigned_size || size == w->merged_size) {
        if (size < w->cosigned_size && w->cosigned_size > gs_log_committed_size(log) &&
            w->ahead_reported != w->cosigned_size) {
            /* The witness cosigned more than this log holds: the log went
             * back; the daemon refills (GS_WITNESS_AHEAD). */
            w->ahead_reported = w->cosigned_size;
            *ahead = w->cosigned_size;
            ev = GS_WITNESS_AHEAD;
        }
        w->next_attempt_ms = now_ms + BACKOFF_MAX_MS;
        goto out;
    }
    /* Until the witness said what it holds, the first request names the
     * log's own size as the old one: a witness answers that at once —
     * SAME with its cosignature, or CONFLICT with its size, larger (the log
     * went back) or smaller — instead of fetching entries first, so a
     * daemon's start check (refill.h) learns what it holds in one round
     * trip. */
    uint64_t old = w->size_known ? w->cosigned_size : size;
    if (old > 0 && old < size && gs_log_prove_consistency(log, old, size, proof, &np, err) != 0) {
        back_off(w, now_ms);
        ev = GS_WITNESS_FAILED;
        goto out;
    }
    gs_request rq = {.version = 1, .id = ++w->request_id, .op = GS_OP_ADD_CHECKPOINT};
    rq.origin = "";
    rq.u.add_checkpoint.old_size = old;
    rq.u.add_checkpoint.proof = proof;
    rq.u.add_checkpoint.n_proof = np;
    rq.u.add_checkpoint.checkpoint = note;
    if (gs_wire_encode_request(&rq, &frame, err) != 0) {
        back_off(w, now_ms);
        ev = GS_WITNESS_FAILED;
        goto out;
    }
    if (zmq_send(w->sock, frame.p, frame.n, ZMQ_DONTWAIT) < 0) {
        gs_error_set(err, GS_EUNAVAIL, "witness %s: %s", w->witness.name, zmq_strerror(errno));
        back_off(w, now_ms);
        ev = GS_WITNESS_FAILED;
        goto out;
    }
    w->in_flight = true;
    w->sent_size = size;
    w->sent_old_size = old;
    w->deadline_ms = now_ms + REQUEST_TIMEOUT_MS;
    ev = GS_WITNESS_SENT;
out:
    gs_buf_free(&frame);
    free(note);
    return ev;
}

gs_witness_event gs_witness_client_step(gs_witness_client *w, gs_log *log, uint64_t latest_size,
                                        int64_t now_ms, uint64_t *size, long *next_ms,
                                        gs_error *err)
{
    gs_witness_event ev = GS_WITNESS_IDLE;
    uint64_t dummy;
    if (size == NULL)
        size = &dummy;
    if (w->in_flight) {
        ev = read_reply(w, log, now_ms, size, err);
        if (ev == GS_WITNESS_IDLE && w->in_flight && now_ms >= w->deadline_ms) {
            /* Lazy Pirate: a fresh socket drops whatever the old one held. */
            zmq_close(w->sock);
            w->sock = NULL;
            w->in_flight = false;
            gs_error_set(err, GS_EUNAVAIL, "witness %s at %s did not answer within %d s",
                         w->witness.name, w->endpoint, REQUEST_TIMEOUT_MS / 1000);
            back_off(w, now_ms);
            gs_error e2;
            if (open_socket(w, &e2) != 0)
                gs_error_set(err, GS_EIO, "%s", e2.msg);
            ev = GS_WITNESS_FAILED;
        }
    } else if (w->sock != NULL) {
        /* Drain stray late answers. */
        gs_error ignored;
        read_reply(w, log, now_ms, size, &ignored);
    }
    bool due = latest_size != w->merged_size;
    if (ev == GS_WITNESS_IDLE && due && !w->in_flight && w->sock != NULL &&
        now_ms >= w->next_attempt_ms)
        ev = send_latest(w, log, now_ms, size, err);
    long wait = 1000;
    if (w->in_flight)
        wait = (long)(w->deadline_ms - now_ms);
    else if (due && w->next_attempt_ms > now_ms)
        wait = (long)(w->next_attempt_ms - now_ms);
    else if (due)
        wait = 0;
    if (wait < 0)
        wait = 0;
    if (wait > 1000)
        wait = 1000;
    *next_ms = wait;
    return ev;
}
