/* net.c — see net.h. */
#define _POSIX_C_SOURCE 200809L
#include "net.h"

#include <errno.h>
#include <malloc.h>
#include <sodium.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "giamsat"
#define USER_WRITER "writer"
#define USER_READER "reader"

struct gs_net_server {
    void *zap;
    void *sockets[GS_NET_MAX_ENDPOINTS];
    bool is_tcp[GS_NET_MAX_ENDPOINTS];
    size_t n;
    bool public_read;
    bool open_write;
    uint8_t (*writers)[32]; /* CURVE keys of the write allowlist */
    size_t n_writers;
    zmq_msg_t payload; /* the last request's payload, lent to the caller */
    bool payload_live;
    unsigned next;    /* round-robin start, so one busy socket cannot starve another */
    uint64_t dropped; /* answers not sent: the peer's queue was full or it left */
    /* What a ROUTER socket is opened from again by gs_net_server_shed. */
    void *ctx;
    char *endpoints[GS_NET_MAX_ENDPOINTS];
    size_t max_message;
    uint8_t curve_sec[32]; /* secret: wiped at close */
    int64_t memory_checked_ms;
    int64_t shed_at_ms; /* the last shed, 0 once its memory was given back */
    /* The connections of each ROUTER, seen through a monitor (PAIR) on it:
     * accepted minus disconnected, over every socket. An unfinished
     * multipart message can only grow on a connection, so the memory guard
     * looks often only while there is one (gs_net_server_guard_ms). */
    void *monitors[GS_NET_MAX_ENDPOINTS];
    unsigned monitor_generation;
    size_t connections;
    bool monitors_polled; /* the caller polls them (gs_net_server_monitor_pollitems) */
};

static bool endpoint_is_tcp(const char *ep)
{
    return strncmp(ep, "tcp://", 6) == 0;
}

/* What one peer may make a daemon hold (DESIGN §5, issue 9): ZeroMQ counts
 * its queues in messages, so the limits are derived from the frame limit.
 * Inbound, a peer's queue holds at most GS_NET_PEER_QUEUE_BYTES of frames
 * (and at least 8): beyond it the socket stops reading that connection and
 * TCP pushes back on the peer, nothing is lost. Outbound, a peer that does
 * not read its answers gets at most GS_NET_SEND_HWM of them queued; the rest
 * are dropped and counted (ZMQ_ROUTER_MANDATORY makes the drop visible), so
 * the loop never blocks on it. */
/* The receive high-water mark that holds about GS_NET_PEER_QUEUE_BYTES of
 * frames of up to max_message (at least 8 frames). */
static int peer_queue_hwm(size_t max_message)
{
    size_t per_frame = max_message + GS_NET_FRAME_SLACK;
    int hwm = (int)(GS_NET_PEER_QUEUE_BYTES / per_frame);
    if (hwm < 8)
        hwm = 8;
    if (hwm > GS_NET_SEND_HWM)
        hwm = GS_NET_SEND_HWM;
    return hwm;
}

static int set_common_options(void *sock, size_t max_message, gs_error *err)
{
    /* The socket drops (and disconnects) only frames far above the limit;
     * the ones just above it reach the decoder, which answers
     * RESOURCE_EXHAUSTED, so a client learns why it was refused. */
    int64_t max = (int64_t)(max_message + GS_NET_FRAME_SLACK);
    /* A stopping daemon does not wait for peers that do not read. */
    int linger = 0;
    int rcvhwm = peer_queue_hwm(max_message);
    int sndhwm = GS_NET_SEND_HWM;
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm) != 0 ||
        zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0)
        return gs_error_set(err, GS_EIO, "zmq socket options: %s", zmq_strerror(errno));
    return 0;
}

/* Opens, configures and binds the ROUTER socket of endpoint i. A tcp://
 * endpoint just closed may still be held by the I/O thread for a moment
 * (closing is asynchronous in ZeroMQ), so a bind that finds it in use is
 * tried again for up to a second. */
static int open_router(gs_net_server *s, size_t i, gs_error *err)
{
    const char *ep = s->endpoints[i];
    void *sock = zmq_socket(s->ctx, ZMQ_ROUTER);
    if (sock == NULL)
        return gs_error_set(err, GS_EIO, "zmq socket: %s", zmq_strerror(errno));
    int rc = set_common_options(sock, s->max_message, err);
    if (rc != 0)
        goto out;
    if (s->is_tcp[i]) {
        int one = 1;
        if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
            zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, s->curve_sec, 32) != 0 ||
            zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) != 0) {
            rc = gs_error_set(err, GS_EIO, "curve on %s: %s", ep, zmq_strerror(errno));
            goto out;
        }
    } else if (strncmp(ep, "ipc://", 6) != 0 && strncmp(ep, "inproc://", 9) != 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "listen endpoint %s: only tcp://, ipc:// and inproc:// are served", ep);
        goto out;
    }
    /* Before the bind, so no connection goes unseen. The monitor's queue
     * to us has no high-water mark (rcvhwm 0 makes the inproc pipe
     * unbounded), so no event is dropped and the count does not drift. */
    char mon[96];
    int linger = 0, unbounded = 0;
    snprintf(mon, sizeof mon, "inproc://giamsat-net-monitor-%p-%zu-%u", (void *)s, i,
             ++s->monitor_generation);
    if (zmq_socket_monitor(sock, mon, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0 ||
        (s->monitors[i] = zmq_socket(s->ctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(s->monitors[i], ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s->monitors[i], ZMQ_RCVHWM, &unbounded, sizeof unbounded) != 0 ||
        zmq_connect(s->monitors[i], mon) != 0) {
        rc = gs_error_set(err, GS_EIO, "monitor of %s: %s", ep, zmq_strerror(errno));
        goto out;
    }
    for (int tries = 0;; tries++) {
        if (zmq_bind(sock, ep) == 0)
            break;
        if (errno != EADDRINUSE || tries == 50) {
            rc = gs_error_set(err, GS_EIO, "cannot listen on %s: %s", ep, zmq_strerror(errno));
            goto out;
        }
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    }
    s->sockets[i] = sock;
    sock = NULL;
out:
    gs_net_close_monitored(sock, NULL); /* the PAIR stays in monitors[i] */
    return rc;
}

void gs_net_close_monitored(void *sock, void *monitor)
{
    if (sock != NULL) {
        zmq_socket_monitor(sock, NULL, 0);
        zmq_close(sock);
    }
    if (monitor != NULL)
        zmq_close(monitor);
}

static void close_router(gs_net_server *s, size_t i)
{
    gs_net_close_monitored(s->sockets[i], s->monitors[i]);
    s->sockets[i] = NULL;
    s->monitors[i] = NULL;
}

int gs_net_server_shed(gs_net_server *s, gs_error *err)
{
    if (s->payload_live) {
        zmq_msg_close(&s->payload);
        s->payload_live = false;
    }
    for (size_t i = 0; i < s->n; i++)
        close_router(s, i);
    s->connections = 0;         /* every connection went with its socket */
    s->monitors_polled = false; /* the poll items change */
    for (size_t i = 0; i < s->n; i++) {
        int rc = open_router(s, i, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define MEMORY_SETTLE_MS 500

/* Takes the monitors' events: each is two frames, event (u16) and value
 * (u32), then the endpoint. */
static void read_monitors(gs_net_server *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->monitors[i] == NULL)
            continue;
        for (;;) {
            zmq_msg_t ev, ep;
            zmq_msg_init(&ev);
            zmq_msg_init(&ep);
            if (zmq_msg_recv(&ev, s->monitors[i], ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&ev);
                zmq_msg_close(&ep);
                break;
            }
            if (zmq_msg_more(&ev) && zmq_msg_recv(&ep, s->monitors[i], 0) >= 0 &&
                zmq_msg_size(&ev) >= 2) {
                uint16_t event;
                memcpy(&event, zmq_msg_data(&ev), sizeof event);
                if (event == ZMQ_EVENT_ACCEPTED)
                    s->connections++;
                else if (event == ZMQ_EVENT_DISCONNECTED && s->connections > 0)
                    s->connections--;
            }
            zmq_msg_close(&ev);
            zmq_msg_close(&ep);
        }
    }
}

size_t gs_net_server_monitor_pollitems(gs_net_server *s, zmq_pollitem_t *items, size_t cap)
{
    size_t k = 0;
    bool all = true;
    for (size_t i = 0; i < s->n; i++) {
        if (s->monitors[i] == NULL)
            continue;
        if (k == cap) {
            all = false;
            break;
        }
        items[k++] = (zmq_pollitem_t){.socket = s->monitors[i], .events = ZMQ_POLLIN};
    }
    s->monitors_polled = all;
    return k;
}

size_t gs_net_server_connections(gs_net_server *s)
{
    read_monitors(s);
    return s->connections;
}

long gs_net_server_guard_ms(gs_net_server *s)
{
    read_monitors(s);
    if (!s->monitors_polled || s->connections > 0 || s->shed_at_ms != 0)
        return GS_NET_MEMORY_CHECK_MS;
    return GS_NET_MEMORY_IDLE_CHECK_MS;
}

int gs_net_server_guard_memory(gs_net_server *s, size_t ceiling_mib, size_t *rss_mib, gs_error *err)
{
    int64_t now = mono_ms();
    if (ceiling_mib == 0 || now - s->memory_checked_ms < gs_net_server_guard_ms(s))
        return 0;
    s->memory_checked_ms = now;
    if (s->shed_at_ms != 0) {
        /* ZeroMQ frees what the shed connections held in its own threads,
         * a moment after the close: only then can it go back to the
         * system, and only then does the resident set say anything. */
        if (now - s->shed_at_ms < MEMORY_SETTLE_MS)
            return 0;
        malloc_trim(0);
        s->shed_at_ms = 0;
    }
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    bool read = f != NULL && fscanf(f, "%llu %llu", &size, &resident) == 2;
    if (f != NULL)
        fclose(f);
    if (!read)
        return 0;
    size_t mib = (size_t)(resident * (unsigned long long)sysconf(_SC_PAGESIZE) >> 20);
    if (rss_mib != NULL)
        *rss_mib = mib;
    if (mib < ceiling_mib)
        return 0;
    s->shed_at_ms = now;
    int rc = gs_net_server_shed(s, err);
    return rc != 0 ? rc : 1;
}

int gs_net_server_open(gs_net_server **out, void *ctx, const gs_net_server_config *cfg,
                       gs_error *err)
{
    int rc = GS_EIO;
    uint8_t curve_pub[32];
    gs_net_server *s = calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (cfg->n_endpoints == 0 || cfg->n_endpoints > GS_NET_MAX_ENDPOINTS) {
        rc = gs_error_set(err, GS_EINVAL, "between 1 and %d listen endpoints are needed, got %zu",
                          GS_NET_MAX_ENDPOINTS, cfg->n_endpoints);
        goto out;
    }
    s->public_read = cfg->public_read;
    s->open_write = cfg->open_write;
    if (cfg->n_writers > 0) {
        s->writers = calloc(cfg->n_writers, sizeof *s->writers);
        if (s->writers == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < cfg->n_writers; i++) {
            rc = gs_pubkey_to_curve(&cfg->writers[i], s->writers[i], err);
            if (rc != 0)
                goto out;
        }
        s->n_writers = cfg->n_writers;
    }
    rc = gs_keypair_to_curve(cfg->key, curve_pub, s->curve_sec, err);
    if (rc != 0)
        goto out;
    rc = GS_EIO;
    s->ctx = ctx;
    s->max_message = cfg->max_message;

    /* The ZAP handler must be bound before any CURVE socket binds (RFC 27). */
    s->zap = zmq_socket(ctx, ZMQ_REP);
    if (s->zap == NULL || zmq_bind(s->zap, ZAP_ENDPOINT) != 0) {
        gs_error_set(err, GS_EIO, "zap handler: %s", zmq_strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        if ((s->endpoints[i] = strdup(cfg->endpoints[i])) == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto out;
        }
        s->is_tcp[i] = endpoint_is_tcp(cfg->endpoints[i]);
        s->n++;
        if ((rc = open_router(s, i, err)) != 0)
            goto out;
    }
    *out = s;
    s = NULL;
    rc = 0;
out:
    gs_net_server_close(&s);
    return rc;
}

int gs_net_server_set_access(gs_net_server *s, bool public_read, bool open_write,
                             const gs_pubkey *writers, size_t n_writers, gs_error *err)
{
    uint8_t(*w)[32] = NULL;
    if (n_writers > 0 && (w = calloc(n_writers, sizeof *w)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_writers; i++) {
        int rc = gs_pubkey_to_curve(&writers[i], w[i], err);
        if (rc != 0) {
            free(w);
            return rc;
        }
    }
    free(s->writers);
    s->writers = w;
    s->n_writers = n_writers;
    s->public_read = public_read;
    s->open_write = open_write;
    return 0;
}

void gs_net_server_close(gs_net_server **sp)
{
    gs_net_server *s = *sp;
    if (s == NULL)
        return;
    if (s->payload_live)
        zmq_msg_close(&s->payload);
    for (size_t i = 0; i < s->n; i++) {
        close_router(s, i);
        free(s->endpoints[i]);
    }
    if (s->zap != NULL)
        zmq_close(s->zap);
    sodium_memzero(s->curve_sec, sizeof s->curve_sec);
    free(s->writers);
    free(s);
    *sp = NULL;
}

size_t gs_net_server_pollitems(gs_net_server *s, zmq_pollitem_t *items, size_t cap)
{
    size_t k = 0;
    if (k < cap)
        items[k++] = (zmq_pollitem_t){.socket = s->zap, .events = ZMQ_POLLIN};
    for (size_t i = 0; i < s->n && k < cap; i++)
        if (s->sockets[i] != NULL)
            items[k++] = (zmq_pollitem_t){.socket = s->sockets[i], .events = ZMQ_POLLIN};
    return k;
}

/* Receives every frame of one multipart message; returns the frame count
 * (frames beyond cap are received and dropped) or -1. */
static int recv_frames(void *sock, zmq_msg_t *frames, int cap, int flags)
{
    int n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, n == 0 ? flags : 0) < 0) {
            zmq_msg_close(&m);
            for (int i = 0; i < n && i < cap; i++)
                zmq_msg_close(&frames[i]);
            return -1;
        }
        more = zmq_msg_more(&m);
        if (n < cap)
            frames[n] = m;
        else
            zmq_msg_close(&m);
        n++;
    }
    return n;
}

static bool writer_allowed(const gs_net_server *s, const uint8_t *curve_key)
{
    if (s->open_write)
        return true;
    for (size_t i = 0; i < s->n_writers; i++)
        if (sodium_memcmp(s->writers[i], curve_key, 32) == 0)
            return true;
    return false;
}

/* ZAP (RFC 27): version, request id, domain, address, identity, mechanism,
 * credentials… → version, request id, status code, status text, user id,
 * metadata. */
static void answer_zap(gs_net_server *s)
{
    zmq_msg_t f[8];
    int n = recv_frames(s->zap, f, 8, ZMQ_DONTWAIT);
    if (n < 0)
        return;
    const char *status = "400";
    const char *text = "refused";
    const char *user = "";
    if (n >= 7 && zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
        zmq_msg_size(&f[6]) == 32) {
        const uint8_t *key = zmq_msg_data(&f[6]);
        if (writer_allowed(s, key)) {
            status = "200", text = "OK", user = USER_WRITER;
        } else if (s->public_read) {
            status = "200", text = "OK", user = USER_READER;
        } else {
            text = "client key is not allowed here";
        }
    }
    /* Reply with the request id we were given (frame 1). */
    zmq_send(s->zap, "1.0", 3, ZMQ_SNDMORE);
    if (n >= 2)
        zmq_send(s->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
    else
        zmq_send(s->zap, "", 0, ZMQ_SNDMORE);
    zmq_send(s->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(s->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(s->zap, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(s->zap, "", 0, 0);
    for (int i = 0; i < n && i < 8; i++)
        zmq_msg_close(&f[i]);
}

int gs_net_server_recv(gs_net_server *s, gs_net_request *rq, gs_error *err)
{
    (void)err;
    for (int i = 0; i < 64; i++)
        if (zmq_poll(&(zmq_pollitem_t){.socket = s->zap, .events = ZMQ_POLLIN}, 1, 0) > 0)
            answer_zap(s);
        else
            break;
    if (s->payload_live) {
        zmq_msg_close(&s->payload);
        s->payload_live = false;
    }
    for (size_t k = 0; k < s->n; k++) {
        size_t i = (s->next + k) % s->n;
        if (s->sockets[i] == NULL)
            continue; /* a shed that could not bind it again */
        zmq_msg_t f[2];
        int n = recv_frames(s->sockets[i], f, 2, ZMQ_DONTWAIT);
        if (n < 0)
            continue; /* EAGAIN: nothing on this socket */
        if (n != 2 || zmq_msg_size(&f[0]) > GS_NET_IDENTITY_MAX) {
            /* A DEALER sends exactly one frame; anything else is not ours. */
            for (int j = 0; j < n && j < 2; j++)
                zmq_msg_close(&f[j]);
            continue;
        }
        rq->socket = (unsigned)i;
        rq->identity_len = zmq_msg_size(&f[0]);
        memcpy(rq->identity, zmq_msg_data(&f[0]), rq->identity_len);
        zmq_msg_close(&f[0]);
        if (s->is_tcp[i]) {
            const char *user = zmq_msg_gets(&f[1], "User-Id");
            rq->can_write = user != NULL && strcmp(user, USER_WRITER) == 0;
        } else {
            rq->can_write = true;
        }
        s->payload = f[1];
        s->payload_live = true;
        rq->payload = gs_bytes_of(zmq_msg_data(&s->payload), zmq_msg_size(&s->payload));
        s->next = (unsigned)((i + 1) % s->n);
        return 1;
    }
    return 0;
}

int gs_net_server_reply(gs_net_server *s, unsigned socket, const uint8_t *identity,
                        size_t identity_len, gs_bytes payload, gs_error *err)
{
    if (socket >= s->n)
        return gs_error_set(err, GS_EINVAL, "no socket %u", socket);
    void *sock = s->sockets[socket];
    if (sock == NULL) {
        s->dropped++;
        return 0;
    }
    /* With ZMQ_ROUTER_MANDATORY a full or vanished peer fails the identity
     * frame (EAGAIN, EHOSTUNREACH) and nothing of the answer is queued. */
    if (zmq_send(sock, identity, identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        int e = errno;
        s->dropped++;
        if (e == EAGAIN || e == EHOSTUNREACH)
            return 0; /* dropped by design: counted, see gs_net_server_dropped */
        return gs_error_set(err, GS_EIO, "reply not sent: %s", zmq_strerror(e));
    }
    if (zmq_send(sock, payload.p, payload.n, ZMQ_DONTWAIT) < 0) {
        s->dropped++;
        return gs_error_set(err, GS_EIO, "reply not sent: %s", zmq_strerror(errno));
    }
    return 0;
}

uint64_t gs_net_server_dropped(const gs_net_server *s)
{
    return s->dropped;
}

int gs_net_server_respond(gs_net_server *s, unsigned socket, const uint8_t *identity,
                          size_t identity_len, const gs_response *rs, gs_error *err)
{
    gs_buf frame = {0};
    int rc = gs_wire_encode_response(rs, &frame, err);
    if (rc != 0)
        return gs_error_wrap(err, "cannot encode a response");
    rc = gs_net_server_reply(s, socket, identity, identity_len, gs_bytes_of(frame.p, frame.n), err);
    gs_buf_free(&frame);
    return rc;
}

/* ------------------------------------------------------------- clients */

int gs_net_curve_client(gs_net_curve *out, const gs_pubkey *server_key,
                        const gs_keypair *client_key, gs_error *err)
{
    out->on = true;
    int rc = gs_pubkey_to_curve(server_key, out->server, err);
    if (rc != 0)
        return rc;
    if (client_key != NULL)
        return gs_keypair_to_curve(client_key, out->pub, out->sec, err);
    if (crypto_box_keypair(out->pub, out->sec) != 0)
        return gs_error_set(err, GS_EIO, "cannot make an ephemeral client key");
    return 0;
}

int gs_net_dealer_open(void **out, void *ctx, const char *endpoint, const gs_net_curve *curve,
                       size_t max_message, gs_error *err)
{
    int rc = 0;
    *out = NULL;
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    if (s == NULL)
        return gs_error_set(err, GS_EIO, "zmq socket: %s", zmq_strerror(errno));
    int linger = 0;
    int64_t max = (int64_t)max_message;
    /* A daemon that floods its client (a hostile witness or source) is
     * pushed back once about GS_NET_PEER_QUEUE_BYTES wait to be read. */
    int rcvhwm = peer_queue_hwm(max_message);
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm) != 0) {
        rc = gs_error_set(err, GS_EIO, "zmq socket options: %s", zmq_strerror(errno));
        goto out;
    }
    if (curve != NULL && curve->on &&
        (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, curve->server, 32) != 0 ||
         zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, curve->pub, 32) != 0 ||
         zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, curve->sec, 32) != 0)) {
        rc = gs_error_set(err, GS_EIO, "curve client: %s", zmq_strerror(errno));
        goto out;
    }
    if (zmq_connect(s, endpoint) != 0) {
        rc =
            gs_error_set(err, GS_EINVAL, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
        goto out;
    }
    *out = s;
    s = NULL;
out:
    if (s != NULL)
        zmq_close(s);
    return rc;
}

int gs_net_publisher_open(void **out, void *ctx, const char *endpoint, const gs_keypair *key,
                          int hwm, gs_error *err)
{
    uint8_t curve_pub[32], curve_sec[32];
    *out = NULL;
    int rc = gs_keypair_to_curve(key, curve_pub, curve_sec, err);
    if (rc != 0)
        return rc;
    void *s = zmq_socket(ctx, ZMQ_PUB);
    if (s == NULL) {
        rc = gs_error_set(err, GS_EIO, "zmq socket: %s", zmq_strerror(errno));
        goto out;
    }
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        int one = 1;
        if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, curve_sec, 32) != 0 ||
            zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "giamsat", 7) != 0) {
            rc = gs_error_set(err, GS_EIO, "curve on %s: %s", endpoint, zmq_strerror(errno));
            goto out;
        }
    }
    if (zmq_bind(s, endpoint) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot publish on %s: %s", endpoint, zmq_strerror(errno));
        goto out;
    }
    *out = s;
    s = NULL;
out:
    sodium_memzero(curve_sec, sizeof curve_sec);
    if (s != NULL)
        zmq_close(s);
    return rc;
}

struct gs_net_client {
    void *ctx;
    void *sock;
    char *endpoint;
    gs_net_curve curve;
    int timeout_ms;
    size_t max_message;
    uint64_t next_id;
};

static int client_connect(gs_net_client *c, gs_error *err)
{
    return gs_net_dealer_open(&c->sock, c->ctx, c->endpoint, &c->curve, c->max_message, err);
}

int gs_net_client_open(gs_net_client **out, void *ctx, const char *endpoint,
                       const gs_pubkey *server_key, const gs_keypair *client_key, int timeout_ms,
                       size_t max_message, gs_error *err)
{
    int rc;
    *out = NULL;
    gs_net_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    c->ctx = ctx;
    c->timeout_ms = timeout_ms;
    c->max_message = max_message;
    randombytes_buf(&c->next_id, sizeof c->next_id);
    c->next_id >>= 1;
    c->endpoint = strdup(endpoint);
    if (c->endpoint == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    if (endpoint_is_tcp(endpoint)) {
        if (server_key == NULL) {
            rc = gs_error_set(err, GS_EINVAL,
                              "%s is a tcp:// endpoint: give the daemon's key with --server-key",
                              endpoint);
            goto out;
        }
        rc = gs_net_curve_client(&c->curve, server_key, client_key, err);
        if (rc != 0)
            goto out;
    } else if (strncmp(endpoint, "ipc://", 6) != 0 && strncmp(endpoint, "inproc://", 9) != 0) {
        rc = gs_error_set(err, GS_EINVAL, "endpoint %s: expected tcp://, ipc:// or inproc://",
                          endpoint);
        goto out;
    }
    rc = client_connect(c, err);
    if (rc != 0)
        goto out;
    *out = c;
    c = NULL;
out:
    gs_net_client_close(&c);
    return rc;
}

void gs_net_client_close(gs_net_client **cp)
{
    gs_net_client *c = *cp;
    if (c == NULL)
        return;
    if (c->sock != NULL)
        zmq_close(c->sock);
    sodium_memzero(&c->curve, sizeof c->curve);
    free(c->endpoint);
    free(c);
    *cp = NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gs_net_client_call(gs_net_client *c, gs_request *rq, gs_response *rs, gs_error *err)
{
    gs_buf frame = {0};
    int rc;
    if (c->sock == NULL && (rc = client_connect(c, err)) != 0)
        return rc;
    rq->id = c->next_id++;
    rc = gs_wire_encode_request(rq, &frame, err);
    if (rc != 0)
        return rc;
    if (frame.n > c->max_message) {
        rc = gs_error_set(err, GS_ETOOBIG, "request of %zu bytes is above the limit of %zu",
                          frame.n, c->max_message);
        goto out;
    }
    if (zmq_send(c->sock, frame.p, frame.n, 0) < 0) {
        rc = gs_error_set(err, GS_EIO, "send to %s: %s", c->endpoint, zmq_strerror(errno));
        goto out;
    }
    int64_t deadline = now_ms() + c->timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        zmq_pollitem_t item = {.socket = c->sock, .events = ZMQ_POLLIN};
        if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0) {
            /* Lazy Pirate: a socket that timed out may hold a late reply or
             * a half-done handshake; start the next call on a fresh one. */
            zmq_close(c->sock);
            c->sock = NULL;
            rc = gs_error_set(err, GS_EUNAVAIL,
                              "no answer from %s within %d ms (is the daemon running, and "
                              "is --server-key its key?)",
                              c->endpoint, c->timeout_ms);
            goto out;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->sock, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        gs_response_clear(rs);
        rc = gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                     c->max_message, rs, err);
        zmq_msg_close(&m);
        if (rc != 0)
            goto out;
        if (rs->id == rq->id)
            break;
        /* A late answer to an earlier call: not ours. */
        gs_response_clear(rs);
    }
    rc = 0;
out:
    gs_buf_free(&frame);
    return rc;
}
