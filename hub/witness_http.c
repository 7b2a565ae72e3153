/* witness_http.c — giamsat-hub as a c2sp.org/tlog-witness witness over
 * HTTP: POST /add-checkpoint (docs/http.md "Witness").
 *
 * The body (old size line, consistency proof lines, empty line, checkpoint
 * note) is read by gs_cosign_parse_body; the request is then judged by
 * hub_add_checkpoint (serve.c), the very function the ZeroMQ AddCheckpoint
 * calls, so both doors give one verdict. A consistent checkpoint waits, as
 * over ZeroMQ, until the hub holds and has verified its entries: the HTTP
 * request is deferred (GS_HTTP_DEFER) and kept as a hub waiter whose http
 * member is the connection, answered from the loop by hub_waiter_answer.
 *
 * What is answered is a gs_response, turned into the spec's status by the
 * one table below (http_status).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosign.h"
#include "hub.h"

/* The tlog-witness status of an answer. The spec's codes: 200 with
 * cosignature lines; 400 a malformed request (or old size above the
 * checkpoint's); 403 no valid signature by the log's key; 404 a log the
 * witness does not witness; 409 an old size that is not the witness's (the
 * body says its size); 422 a checkpoint that is not consistent with what
 * the witness holds (a proof that does not verify, another root at the
 * same size). The spec has no word for the rest:
 *   - a log the hub holds evidence against (frozen; PERMISSION_DENIED):
 *     403, the witness refuses to cosign for that key, for good — not 409
 *     or 422, which invite a retry with another old size or proof;
 *   - recovering after a start, fetching the entries past the waiter's
 *     deadline, no source that serves them, too many waiters, beyond
 *     max_growth (UNAVAILABLE, RESOURCE_EXHAUSTED): 503, the body says when
 *     to retry;
 *   - the hub failed (INTERNAL): 500. */
static const struct {
    gs_status_code code;
    int http;
} status_map[] = {
    {GS_STATUS_OK, 200},
    {GS_STATUS_INVALID_ARGUMENT, 400},
    {GS_STATUS_UNAUTHENTICATED, 403},
    {GS_STATUS_PERMISSION_DENIED, 403},
    {GS_STATUS_NOT_FOUND, 404},
    {GS_STATUS_CONFLICT, 409},
    {GS_STATUS_RESOURCE_EXHAUSTED, 503},
    {GS_STATUS_UNAVAILABLE, 503},
    {GS_STATUS_INTERNAL, 500},
};

static int http_status(const gs_response *rs, gs_cosign_verdict verdict)
{
    /* Inconsistent with what the witness holds: 422 (the ZeroMQ codes are
     * INVALID_ARGUMENT for a bad proof, CONFLICT for a split view or a
     * rewrite, which over HTTP would claim a size to resend from). */
    if (verdict == GS_COSIGN_BAD_PROOF || verdict == GS_COSIGN_SPLIT_VIEW ||
        verdict == GS_COSIGN_REWRITE)
        return 422;
    /* 409 always tells the size (the spec's body); a conflict without one
     * is an inconsistency. */
    if (rs->code == GS_STATUS_CONFLICT && rs->result != GS_RESULT_CONFLICT)
        return 422;
    for (size_t i = 0; i < sizeof status_map / sizeof status_map[0]; i++)
        if (status_map[i].code == rs->code)
            return status_map[i].http;
    return 500;
}

/* Fills out from rs: 200 with the cosignature line, 409 with the size in a
 * text/x.tlog.size body, anything else with the sentence. */
static int fill(gs_http_response *out, const gs_response *rs, gs_cosign_verdict verdict)
{
    int status = http_status(rs, verdict);
    if (status == 200 && rs->result == GS_RESULT_COSIGNATURE && rs->u.cosignature != NULL) {
        size_t n = strlen(rs->u.cosignature);
        char *body = malloc(n + 1);
        if (body == NULL)
            return gs_http_text(out, 503, "out of memory\n");
        memcpy(body, rs->u.cosignature, n + 1);
        return gs_http_take(out, 200, "text/plain; charset=utf-8", "no-store", body, n);
    }
    if (status == 200)
        return gs_http_text(out, 500, "the hub answered no cosignature\n");
    if (status == 409) {
        char *body = malloc(24);
        if (body == NULL)
            return gs_http_text(out, 503, "out of memory\n");
        int n = snprintf(body, 24, "%llu\n", (unsigned long long)rs->u.conflict_size);
        return gs_http_take(out, 409, "text/x.tlog.size", "no-store", body, (size_t)n);
    }
    return gs_http_text(out, status, "%s\n",
                        rs->message != NULL && rs->message[0] ? rs->message
                                                              : gs_status_name(rs->code));
}

void hub_witness_http_answer(hub *h, gs_http_conn *c, const gs_response *rs)
{
    if (c == h->http_judging.conn) {
        /* Still inside the handler (see add_checkpoint). */
        if (!h->http_judging.answered)
            fill(&h->http_judging.early, rs, GS_COSIGN_PROCEED);
        h->http_judging.answered = true;
        return;
    }
    gs_http_response out = {0};
    fill(&out, rs, GS_COSIGN_PROCEED);
    gs_http_answer(c, &out);
}

static int add_checkpoint(void *ctx, const gs_http_request *rq, gs_http_response *out)
{
    hub *h = ctx;
    gs_hash proof[GS_COSIGN_MAX_PROOF_LINES];
    size_t np = 0, note_len = 0;
    uint64_t old = 0;
    const char *note = NULL;
    gs_error err = {0};

    const char *body = rq->body != NULL ? (const char *)rq->body : "";
    int rc = gs_cosign_parse_body(body, rq->body_len, &old, proof, &np, &note, &note_len, &err);
    if (rc == GS_ETOOBIG)
        return gs_http_text(out, 413, "%s\n", err.msg);
    if (rc != 0)
        return gs_http_text(out, 400, "%s\n", err.msg);
    /* The check reads a C string. */
    char *text = malloc(note_len + 1);
    if (text == NULL)
        return gs_http_text(out, 503, "out of memory\n");
    memcpy(text, note, note_len);
    text[note_len] = '\0';

    hub_waiter from = {.http = rq->handle};
    gs_response rs = {.code = GS_STATUS_OK, .message = ""};
    gs_cosign_verdict verdict;
    char msg[HUB_MSG_MAX];
    int ret = GS_HTTP_DEFER;
    /* A deferred request's waiter may be answered before this returns (the
     * sync it starts is refused at once: max_growth, no usable source);
     * common/http takes a deferred answer only once the handler returned
     * GS_HTTP_DEFER, so that answer is kept and given here. */
    h->http_judging.conn = rq->handle;
    h->http_judging.answered = false;
    bool deferred =
        hub_add_checkpoint(h, &from, text, old, proof, np, &rs, &verdict, msg, sizeof msg);
    h->http_judging.conn = NULL;
    if (!deferred) {
        ret = fill(out, &rs, verdict);
        if (rs.result == GS_RESULT_COSIGNATURE)
            free(gs_wire_take(rs.u.cosignature));
    } else if (h->http_judging.answered) {
        *out = h->http_judging.early;
        ret = GS_HTTP_DONE;
    }
    memset(&h->http_judging, 0, sizeof h->http_judging);
    free(text);
    return ret;
}

int hub_witness_http_route(hub *h, gs_http *http, gs_error *err)
{
    /* POST only: common/http answers any other method 405 with Allow: POST. */
    return gs_http_route(http, "POST", "/add-checkpoint", true, "add_checkpoint", add_checkpoint, h,
                         err);
}
