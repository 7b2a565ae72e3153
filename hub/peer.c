/* peer.c — see peer.h. */
#define _POSIX_C_SOURCE 200809L
#include "peer.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "daemon.h"
#include "net.h"

typedef struct {
    uint64_t id;
    int tag;
    int64_t deadline_ms;
} pending;

struct gs_hub_peer {
    void *ctx;
    void *sock;
    char *endpoint;
    gs_net_curve curve;
    size_t max_message;
    uint64_t next_id;
    pending p[GS_HUB_PEER_MAX_PENDING];
    size_t n;
    bool draining;   /* the socket was reset: the rest of p[] is expired too */
    int64_t used_ms; /* the last request sent or answered (monotonic) */
};

static int open_socket(gs_hub_peer *p, gs_error *err)
{
    return gs_net_dealer_open(&p->sock, p->ctx, p->endpoint, &p->curve, p->max_message, err);
}

int gs_hub_peer_open(gs_hub_peer **out, void *zctx, const char *endpoint,
                     const gs_pubkey *server_key, const gs_keypair *client_key, size_t max_message,
                     gs_error *err)
{
    int rc;
    *out = NULL;
    gs_hub_peer *p = calloc(1, sizeof *p);
    if (p == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    p->ctx = zctx;
    p->max_message = max_message;
    randombytes_buf(&p->next_id, sizeof p->next_id);
    p->next_id >>= 1;
    if ((p->endpoint = strdup(endpoint)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        if (server_key == NULL) {
            rc = gs_error_set(err, GS_EINVAL, "%s is a tcp:// endpoint: its daemon key is needed",
                              endpoint);
            goto out;
        }
        if ((rc = gs_net_curve_client(&p->curve, server_key, client_key, err)) != 0)
            goto out;
    } else if (strncmp(endpoint, "ipc://", 6) != 0 && strncmp(endpoint, "inproc://", 9) != 0) {
        rc = gs_error_set(err, GS_EINVAL, "endpoint %s: expected tcp:// or ipc://", endpoint);
        goto out;
    }
    /* The socket is opened by the first request and closed once idle
     * (gs_hub_peer_close_idle): a hub following thousands of logs holds a
     * connection, with its ZeroMQ pipes and buffers, only to the sources it
     * is talking to. Opened once here so a bad endpoint is said at start. */
    if ((rc = open_socket(p, err)) != 0)
        goto out;
    zmq_close(p->sock);
    p->sock = NULL;
    *out = p;
    p = NULL;
out:
    gs_hub_peer_close(&p);
    return rc;
}

void gs_hub_peer_close(gs_hub_peer **pp)
{
    gs_hub_peer *p = *pp;
    if (p == NULL)
        return;
    if (p->sock != NULL)
        zmq_close(p->sock);
    sodium_memzero(&p->curve, sizeof p->curve);
    free(p->endpoint);
    free(p);
    *pp = NULL;
}

bool gs_hub_peer_close_idle(gs_hub_peer *p, int64_t now_ms, int64_t idle_ms)
{
    if (p->sock == NULL || p->n > 0 || now_ms - p->used_ms < idle_ms)
        return false;
    zmq_close(p->sock);
    p->sock = NULL;
    return true;
}

void *gs_hub_peer_socket(gs_hub_peer *p)
{
    return p->sock;
}

const char *gs_hub_peer_endpoint(const gs_hub_peer *p)
{
    return p->endpoint;
}

size_t gs_hub_peer_pending(const gs_hub_peer *p)
{
    return p->n;
}

bool gs_hub_peer_has(const gs_hub_peer *p, int tag)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->p[i].tag == tag)
            return true;
    return false;
}

int gs_hub_peer_send(gs_hub_peer *p, gs_request *rq, int tag, int64_t deadline_ms, gs_error *err)
{
    if (p->n == GS_HUB_PEER_MAX_PENDING)
        return gs_error_set(err, GS_ETOOBIG, "%s: too many requests waiting", p->endpoint);
    if (p->sock == NULL) {
        int rc = open_socket(p, err);
        if (rc != 0)
            return rc;
    }
    gs_buf frame = {0};
    rq->id = p->next_id++;
    int rc = gs_wire_encode_request(rq, &frame, err);
    if (rc != 0)
        return rc;
    /* A DEALER with no connected peer yet queues the frame (up to its
     * high-water mark), so this does not block; EAGAIN means it is full. */
    if (zmq_send(p->sock, frame.p, frame.n, ZMQ_DONTWAIT) < 0) {
        rc = gs_error_set(err, GS_EUNAVAIL, "send to %s: %s", p->endpoint, zmq_strerror(errno));
        gs_buf_free(&frame);
        return rc;
    }
    gs_buf_free(&frame);
    p->p[p->n++] = (pending){.id = rq->id, .tag = tag, .deadline_ms = deadline_ms};
    p->used_ms = gs_daemon_now_ms();
    return 0;
}

static void remove_at(gs_hub_peer *p, size_t i)
{
    memmove(&p->p[i], &p->p[i + 1], (p->n - i - 1) * sizeof p->p[0]);
    p->n--;
}

int gs_hub_peer_recv(gs_hub_peer *p, gs_response *rs, int *tag, gs_error *err)
{
    for (;;) {
        if (p->sock == NULL)
            return 0;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, p->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return 0;
        }
        memset(rs, 0, sizeof *rs);
        int rc = gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                         p->max_message, rs, err);
        zmq_msg_close(&m);
        if (rc != 0)
            return gs_error_wrap(err, "%s sent a malformed answer", p->endpoint);
        for (size_t i = 0; i < p->n; i++) {
            if (p->p[i].id == rs->id) {
                *tag = p->p[i].tag;
                remove_at(p, i);
                p->used_ms = gs_daemon_now_ms();
                return 1;
            }
        }
        gs_response_clear(rs); /* a late answer to something we gave up on */
    }
}

int gs_hub_peer_expire(gs_hub_peer *p, int64_t now_ms, int *tag)
{
    if (p->n == 0) {
        p->draining = false;
        return 0;
    }
    if (!p->draining) {
        bool due = false;
        for (size_t i = 0; i < p->n; i++)
            if (p->p[i].deadline_ms <= now_ms)
                due = true;
        if (!due)
            return 0;
        zmq_close(p->sock);
        p->sock = NULL; /* a fresh one at the next send */
        p->draining = true;
    }
    *tag = p->p[0].tag;
    remove_at(p, 0);
    if (p->n == 0)
        p->draining = false;
    return 1;
}

long gs_hub_peer_next_deadline(const gs_hub_peer *p, int64_t now_ms)
{
    if (p->n == 0)
        return -1;
    int64_t best = p->p[0].deadline_ms;
    for (size_t i = 1; i < p->n; i++)
        if (p->p[i].deadline_ms < best)
            best = p->p[i].deadline_ms;
    return best <= now_ms ? 0 : (long)(best - now_ms);
}
