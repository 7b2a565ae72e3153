/* subscribe.c — hearing that a followed log changed, instead of asking.
 *
 * A hub polling every source of every log every second does work in
 * proportion to the logs it follows, changed or not (issue 13: 3,400 logs
 * for the central hub). A log whose node (or a hub holding its replica)
 * publishes checkpoint/<origin> on a PUB socket is given `subscribe = EP` in
 * its [log] section: the hub's one SUB socket connects to every such
 * endpoint (each distinct endpoint once, with the CURVE server key of that
 * endpoint set before its connect) and subscribes to checkpoint/ (one
 * topic, whatever the number of logs: see hub_subscribe_open). Then that
 * log is polled only every
 * silent_poll_interval_ms, as a fall-back for a lost message or a silent
 * publisher, and an announcement makes the hub poll it at once.
 *
 * An announcement is a hint, never the log's word: its note is not
 * verified, stored, cosigned or used as evidence. Only its size is read,
 * to skip hints about what the hub already saw; anything that does not
 * parse, names a log not followed at that endpoint's topic, or is too
 * large is dropped and counted. A hostile publisher can therefore make the
 * hub poll a log at most every HUB_HINT_SPACING_MS (what the old way did
 * every second anyway), or stay silent (then the slow poll still runs).
 * The poll itself goes through the verified path of sync.c as before.
 *
 * Announcements made while the SUB was not connected (the hub starting, a
 * publisher restarting) are lost, as on any PUB socket: so every completed
 * connection (a monitor on the SUB socket, ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
 * hints the logs announced at that endpoint, and they are polled at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <sodium.h>
#include <zmq.h>

#include "hub.h"

/* The announcements one turn of the loop takes off the SUB socket: the
 * rest wait for the next turn, so a flood cannot hold the loop. */
#define HUB_SUB_TURN 4096
/* What the SUB socket queues before ZeroMQ drops announcements: a hint
 * lost is caught by the next one or by the slow poll. */
#define HUB_SUB_HWM 10000

static int by_origin(const void *a, const void *b, void *ctx)
{
    const hub *h = ctx;
    return strcmp(h->logs[*(const size_t *)a].cfg->origin, h->logs[*(const size_t *)b].cfg->origin);
}

/* The followed log of that origin (NULL: none), by bisection of sub_index. */
static followed *find_log(hub *h, const char *origin, size_t len)
{
    size_t lo = 0, hi = h->n_sub_index;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        followed *f = &h->logs[h->sub_index[mid]];
        int c = strncmp(f->cfg->origin, origin, len);
        if (c == 0 && f->cfg->origin[len] != '\0')
            c = 1;
        if (c == 0)
            return f;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void hub_subscribe_close(hub *h)
{
    gs_net_close_monitored(h->sub, h->sub_monitor);
    h->sub_monitor = NULL;
    h->sub = NULL;
    free(h->sub_index);
    h->sub_index = NULL;
    h->n_sub_index = 0;
}

/* Whether log j's subscribe endpoint (and key) is one of logs [0, j). */
static bool connected_before(const hub *h, size_t j)
{
    const gs_hub_source *s = &h->logs[j].cfg->subscribe;
    for (size_t i = 0; i < j; i++) {
        const gs_hub_source *o = &h->logs[i].cfg->subscribe;
        if (o->endpoint != NULL && strcmp(o->endpoint, s->endpoint) == 0 &&
            sodium_memcmp(o->key.key.b, s->key.key.b, sizeof s->key.key.b) == 0)
            return true;
    }
    return false;
}

int hub_subscribe_open(hub *h, gs_error *err)
{
    hub_subscribe_close(h);
    int rc = 0;
    uint8_t curve_pub[32], curve_sec[32];
    size_t n_sub = 0, n_ep = 0;
    for (size_t i = 0; i < h->n_logs; i++)
        if (h->logs[i].cfg->subscribe.endpoint != NULL)
            n_sub++;
    if (n_sub == 0)
        return 0;
    if ((rc = gs_keypair_to_curve(&h->key, curve_pub, curve_sec, err)) != 0)
        return rc;
    h->sub_index = calloc(n_sub, sizeof *h->sub_index);
    h->sub = zmq_socket(h->zctx, ZMQ_SUB);
    if (h->sub_index == NULL || h->sub == NULL) {
        rc = gs_error_set(err, GS_EIO, "subscribe: %s",
                          h->sub == NULL ? zmq_strerror(errno) : "out of memory");
        goto out;
    }
    int linger = 0, hwm = HUB_SUB_HWM;
    int64_t max = (int64_t)h->cfg.max_message;
    if (zmq_setsockopt(h->sub, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(h->sub, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(h->sub, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0) {
        rc = gs_error_set(err, GS_EIO, "subscribe: %s", zmq_strerror(errno));
        goto out;
    }
    /* One subscription, to every checkpoint announcement: ZeroMQ sends each
     * subscription of a SUB socket to every publisher it is connected to,
     * so one topic per log would cost N topics on each of N connections
     * (a thousand logs: a million subscription messages at start, and a
     * thousand topics held in every node's PUB). take_hint drops the
     * announcements of logs not followed, as any other it cannot use. */
    static const char all[] = "checkpoint/";
    if (zmq_setsockopt(h->sub, ZMQ_SUBSCRIBE, all, sizeof all - 1) != 0) {
        rc = gs_error_set(err, GS_EIO, "subscribe %s: %s", all, zmq_strerror(errno));
        goto out;
    }
    /* Before any connect, so no connection goes unseen. */
    char mon[64];
    snprintf(mon, sizeof mon, "inproc://giamsat-hub-sub-%u", ++h->sub_generation);
    if (zmq_socket_monitor(h->sub, mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0 ||
        (h->sub_monitor = zmq_socket(h->zctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(h->sub_monitor, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(h->sub_monitor, mon) != 0) {
        rc = gs_error_set(err, GS_EIO, "subscribe: monitor: %s", zmq_strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < h->n_logs; i++) {
        const gs_hub_followed *c = h->logs[i].cfg;
        if (c->subscribe.endpoint == NULL)
            continue;
        h->sub_index[h->n_sub_index++] = i;
        if (connected_before(h, i))
            continue;
        /* Options are taken at each connect: the server key of this
         * endpoint, CURVE for tcp:// (the hub's own identity, as its
         * requests use) and none for ipc://. */
        const char *ep = c->subscribe.endpoint;
        int r;
        if (strncmp(ep, "tcp://", 6) == 0) {
            uint8_t server[32];
            if ((rc = gs_pubkey_to_curve(&c->subscribe.key.key, server, err)) != 0)
                goto out;
            r = zmq_setsockopt(h->sub, ZMQ_CURVE_SERVERKEY, server, 32) != 0 ||
                zmq_setsockopt(h->sub, ZMQ_CURVE_PUBLICKEY, curve_pub, 32) != 0 ||
                zmq_setsockopt(h->sub, ZMQ_CURVE_SECRETKEY, curve_sec, 32) != 0;
        } else {
            r = zmq_setsockopt(h->sub, ZMQ_PLAIN_USERNAME, NULL, 0) != 0; /* back to NULL */
        }
        if (r != 0 || zmq_connect(h->sub, ep) != 0) {
            rc = gs_error_set(err, GS_EIO, "[log %s] subscribe %s: %s", c->origin, ep,
                              zmq_strerror(errno));
            goto out;
        }
        n_ep++;
    }
    qsort_r(h->sub_index, h->n_sub_index, sizeof *h->sub_index, by_origin, h);
    hub_log(h, GS_HUB_LOG_INFO, "subscribed to %zu log(s) at %zu endpoint(s)", n_sub, n_ep);
out:
    sodium_memzero(curve_sec, sizeof curve_sec);
    if (rc != 0)
        hub_subscribe_close(h);
    return rc;
}

/* The size line of a checkpoint note (the second line: c2sp.org
 * tlog-checkpoint), or -1 when it is not one. Nothing else is read. */
static int64_t hinted_size(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    if (nl == NULL)
        return -1;
    const char *s = nl + 1, *end = p + n;
    uint64_t v = 0; /* 19 digits fit; more are refused unread */
    size_t digits = 0;
    for (; s < end && *s >= '0' && *s <= '9' && digits <= 18; s++, digits++)
        v = v * 10 + (uint64_t)(*s - '0');
    /* At most 18 digits: an int64_t, and far beyond any log. */
    if (digits == 0 || digits > 18 || s == end || *s != '\n' || (digits > 1 && nl[1] == '0'))
        return -1;
    return (int64_t)v;
}

/* One announcement: topic and payload frames. */
static void take_hint(hub *h, zmq_msg_t *topic, zmq_msg_t *payload)
{
    const char *t = zmq_msg_data(topic);
    size_t tn = zmq_msg_size(topic);
    static const char prefix[] = "checkpoint/";
    followed *f = NULL;
    if (tn > sizeof prefix - 1 && tn - (sizeof prefix - 1) <= GS_MAX_ORIGIN &&
        memcmp(t, prefix, sizeof prefix - 1) == 0)
        f = find_log(h, t + sizeof prefix - 1, tn - (sizeof prefix - 1));
    int64_t size = f != NULL ? hinted_size(zmq_msg_data(payload), zmq_msg_size(payload)) : -1;
    if (size < 0) {
        h->hints_dropped++;
        return;
    }
    h->hints_total++;
    /* Known already (a cosignature merged, a repeat): nothing to ask. */
    if (f->frozen || (uint64_t)size <= hub_seen_size(f) ||
        (f->hinted && (uint64_t)size <= f->hint_size))
        return;
    f->hinted = true;
    f->hint_size = (uint64_t)size;
}

/* A connection to endpoint completed: its logs may have announced
 * something meanwhile. An endpoint ZeroMQ names otherwise than hub.conf
 * (a host name resolved) matches no log: then every subscribed log is
 * hinted, which costs one poll each. */
static void connected(hub *h, const char *endpoint, size_t len)
{
    size_t hit = 0;
    for (int pass = 0; pass < 2 && hit == 0; pass++)
        for (size_t k = 0; k < h->n_sub_index; k++) {
            followed *f = &h->logs[h->sub_index[k]];
            const char *ep = f->cfg->subscribe.endpoint;
            if (pass == 0 && (strlen(ep) != len || memcmp(ep, endpoint, len) != 0))
                continue;
            f->hinted = !f->frozen;
            f->hint_size = UINT64_MAX; /* spent by the poll, not by a size seen */
            hit++;
        }
    hub_log(h, GS_HUB_LOG_DEBUG, "subscribed at %.*s: %zu log(s) polled now", (int)len, endpoint,
            hit);
}

static void read_monitor(hub *h)
{
    for (int k = 0; k < HUB_SUB_TURN; k++) {
        zmq_msg_t ev, ep;
        zmq_msg_init(&ev);
        zmq_msg_init(&ep);
        if (zmq_msg_recv(&ev, h->sub_monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            zmq_msg_close(&ep);
            return;
        }
        /* Two frames: event (u16) and value (u32), then the endpoint. */
        if (zmq_msg_more(&ev) && zmq_msg_recv(&ep, h->sub_monitor, 0) >= 0 &&
            zmq_msg_size(&ev) >= 2) {
            uint16_t event;
            memcpy(&event, zmq_msg_data(&ev), sizeof event);
            if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                connected(h, zmq_msg_data(&ep), zmq_msg_size(&ep));
        }
        zmq_msg_close(&ev);
        zmq_msg_close(&ep);
    }
}

void hub_subscribe_read(hub *h)
{
    if (h->sub == NULL)
        return;
    read_monitor(h);
    for (int k = 0; k < HUB_SUB_TURN; k++) {
        zmq_msg_t m[2];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t x;
            zmq_msg_init(&x);
            if (zmq_msg_recv(&x, h->sub, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
                zmq_msg_close(&x);
                break;
            }
            more = zmq_msg_more(&x);
            if (n < 2)
                m[n] = x;
            else
                zmq_msg_close(&x);
            n++;
        }
        if (n == 0)
            return; /* nothing waits */
        if (n == 2)
            take_hint(h, &m[0], &m[1]);
        else
            h->hints_dropped++;
        for (int i = 0; i < n && i < 2; i++)
            zmq_msg_close(&m[i]);
    }
}

void hub_raise_fd_limit(hub *h)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        hub_log(h, GS_HUB_LOG_INFO, "open files limit raised from %llu to %llu (the hard limit)",
                (unsigned long long)was, (unsigned long long)rl.rlim_cur);
}
