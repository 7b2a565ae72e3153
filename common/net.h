/* net.h — ZeroMQ sockets, CURVE + ZAP, request/response framing (DESIGN §5).
 *
 * A daemon binds ROUTER sockets; clients connect with DEALER. One request or
 * response is one frame: a serialized Request or Response. Every tcp://
 * endpoint uses CURVE with the daemon's key, derived from its Ed25519
 * identity, and a ZAP handler answered from the daemon's own poll loop (no
 * thread): a client whose key is on the write allowlist (or any client when
 * submission is open) may write; any other client may connect only when reads
 * are public, and then only read. ipc:// endpoints rely on file permissions
 * and are treated as write-capable.
 *
 * Every ROUTER socket bounds what one peer can make the daemon hold: at
 * most GS_NET_SEND_HWM answers queued for a peer that does not read (the
 * rest are dropped without blocking, and counted), at most about
 * GS_NET_PEER_QUEUE_BYTES of frames queued from a peer (then TCP pushes
 * back), and no linger at close, so a stopping daemon never waits for a
 * peer.
 *
 * Frames above max_message are refused by the decoder (the daemon answers
 * RESOURCE_EXHAUSTED); frames above max_message + GS_NET_FRAME_SLACK are
 * refused by the socket itself (ZMQ_MAXMSGSIZE: the peer is disconnected
 * without an answer, and nothing that large is ever buffered).
 */
#ifndef GS_NET_H
#define GS_NET_H

#include <stdbool.h>
#include <zmq.h>

#include "crypto.h"
#include "error.h"
#include "wire.h"

#define GS_NET_MAX_ENDPOINTS 16
#define GS_NET_IDENTITY_MAX 256
#define GS_NET_FRAME_SLACK 65536
/* Bounds on what one peer may make a daemon hold (see set_common_options in
 * net.c): answers queued for a peer that does not read them (beyond this
 * they are dropped and counted), and the bytes of frames queued from one
 * peer before the socket stops reading it. */
#define GS_NET_SEND_HWM 64
#define GS_NET_PEER_QUEUE_BYTES (32u << 20)

typedef struct {
    const char *const *endpoints; /* ipc:// or tcp:// */
    size_t n_endpoints;
    const gs_keypair *key; /* the daemon's identity (CURVE server key) */
    size_t max_message;
    bool public_read;         /* anyone may connect over tcp:// to read */
    bool open_write;          /* any client key may write */
    const gs_pubkey *writers; /* Ed25519 keys allowed to write over tcp:// */
    size_t n_writers;
} gs_net_server_config;

typedef struct gs_net_server gs_net_server;

/* One request as it arrived. payload is valid until the next recv on the
 * server. */
typedef struct {
    unsigned socket; /* which bound endpoint */
    uint8_t identity[GS_NET_IDENTITY_MAX];
    size_t identity_len;
    bool can_write; /* ZAP let this peer write */
    gs_bytes payload;
} gs_net_request;

/* Binds every endpoint. ctx is a zmq context the caller owns. */
int gs_net_server_open(gs_net_server **out, void *ctx, const gs_net_server_config *cfg,
                       gs_error *err);
void gs_net_server_close(gs_net_server **sp);
/* Closes a socket that has a monitor, and the PAIR that reads it (either
 * may be NULL). The monitor is stopped first: libzmq (4.3.4) never frees
 * an event it fails to send, and a peer leaving as the daemon stops raises
 * one into a monitor that is already going. Once stopped, the socket
 * raises none. */
void gs_net_close_monitored(void *sock, void *monitor);
/* Replaces who may read and write (a daemon's reload): ZAP answers every
 * connection made from now on with it; a connection already made keeps what
 * it was granted until it reconnects. On failure nothing changes. */
int gs_net_server_set_access(gs_net_server *s, bool public_read, bool open_write,
                             const gs_pubkey *writers, size_t n_writers, gs_error *err);

/* The poll items of the server (ROUTER sockets and the ZAP socket), to put
 * in the daemon's zmq_poll; returns how many were written (<= cap). */
size_t gs_net_server_pollitems(gs_net_server *s, zmq_pollitem_t *items, size_t cap);

/* Answers pending ZAP requests and receives at most one request from any
 * ready socket without blocking. Returns 1 with *rq filled, 0 when nothing
 * is pending, or a negative code. Frames that are not one payload frame are
 * dropped here (logged through err when it is the caller's concern). */
int gs_net_server_recv(gs_net_server *s, gs_net_request *rq, gs_error *err);

/* Sends payload to the peer that sent rq (the identity is copied, so rq may
 * have been recycled). Never blocks: an answer to a peer whose queue is full
 * (it does not read) or that has gone is dropped and counted, and that is
 * not an error. */
int gs_net_server_reply(gs_net_server *s, unsigned socket, const uint8_t *identity,
                        size_t identity_len, gs_bytes payload, gs_error *err);

/* Sheds every connection: closes the ROUTER sockets and binds them again.
 * What peers had queued is freed, answers owed to them are lost, and
 * clients reconnect by themselves (ZeroMQ). The daemon's last resort when
 * its memory passes its ceiling: ZeroMQ keeps an unfinished multipart
 * message, or one made of many frames, whole in memory until its last frame
 * arrives, and no socket option bounds that. The poll items change: take
 * them again with gs_net_server_pollitems. */
int gs_net_server_shed(gs_net_server *s, gs_error *err);

/* The memory ceiling a daemon guards with gs_net_server_guard_memory by
 * default. Under AddressSanitizer the resident set is mostly its quarantine
 * and shadow, and says nothing about the daemon's own memory. */
#if defined(__SANITIZE_ADDRESS__)
#define GS_NET_MEMORY_CEILING_MIB 4096
#else
#define GS_NET_MEMORY_CEILING_MIB 192
#endif

/* How often gs_net_server_guard_memory looks while a peer is connected to
 * the server (what it sends may grow unseen, see below); a loop using it
 * turns at least this often, or as gs_net_server_guard_ms says. */
#define GS_NET_MEMORY_CHECK_MS 100
/* How often it looks while no peer is connected: nothing can grow then but
 * the daemon's own memory. A thousand idle daemons on one machine wake a
 * tenth as often as with GS_NET_MEMORY_CHECK_MS (issue 13). */
#define GS_NET_MEMORY_IDLE_CHECK_MS 1000

/* The server's monitor sockets (one per ROUTER, its connections), to put in
 * the daemon's zmq_poll beside gs_net_server_pollitems: a new connection
 * wakes the loop, so the guard can look often from then on. Returns how
 * many were written (<= cap); gs_net_server_guard_ms trusts the count only
 * when they all were. */
size_t gs_net_server_monitor_pollitems(gs_net_server *s, zmq_pollitem_t *items, size_t cap);
/* Connections to the server's ROUTER sockets now (accepted, not yet
 * disconnected), from its monitors. */
size_t gs_net_server_connections(gs_net_server *s);
/* How long the loop may sleep for the memory guard: GS_NET_MEMORY_CHECK_MS
 * while a peer is connected (or a shed settles, or the monitors are not
 * polled), GS_NET_MEMORY_IDLE_CHECK_MS otherwise. Takes the monitors'
 * events, so call it every turn when they are polled. */
long gs_net_server_guard_ms(gs_net_server *s);

/* Called once a loop turn: at most every gs_net_server_guard_ms reads the process's
 * resident set (into *rss_mib, may be NULL) and, when it is at or above
 * ceiling_mib (0: never), sheds every connection (gs_net_server_shed; the
 * next check waits until the freed queues have been given back to the
 * system). Returns 1 after a shed (take the poll items again), 0 otherwise,
 * or a negative code when a socket could not listen again. */
int gs_net_server_guard_memory(gs_net_server *s, size_t ceiling_mib, size_t *rss_mib,
                               gs_error *err);

/* Answers dropped so far (peers that did not read, or had gone). */
uint64_t gs_net_server_dropped(const gs_net_server *s);

/* Encodes rs and sends it to that peer: the one way a daemon answers. An
 * encoding failure (a message the wire refuses) is reported, not sent. */
int gs_net_server_respond(gs_net_server *s, unsigned socket, const uint8_t *identity,
                          size_t identity_len, const gs_response *rs, gs_error *err);

/* Clients. */

/* The CURVE keys of a client socket, kept by clients that reopen their
 * socket (after a timeout) so the keys are derived once. */
typedef struct {
    bool on;            /* tcp://: CURVE is used */
    uint8_t server[32]; /* the daemon's CURVE key, derived from its Ed25519 key */
    uint8_t pub[32];    /* the client's */
    uint8_t sec[32];    /* secret: wipe with sodium_memzero */
} gs_net_curve;

/* Sets out->on and derives the keys: the server's from server_key, the
 * client's from client_key or, when NULL, an ephemeral pair. */
int gs_net_curve_client(gs_net_curve *out, const gs_pubkey *server_key,
                        const gs_keypair *client_key, gs_error *err);

/* Opens a DEALER socket connected to endpoint: no linger, frames above
 * max_message refused by the socket, about GS_NET_PEER_QUEUE_BYTES of
 * answers queued before the daemon is pushed back, CURVE when curve is not NULL and
 * curve->on. The caller owns *out (zmq_close); NULL on failure. */
int gs_net_dealer_open(void **out, void *ctx, const char *endpoint, const gs_net_curve *curve,
                       size_t max_message, gs_error *err);

/* Binds a PUB socket on endpoint for a daemon's announcements: no linger,
 * at most hwm messages queued per subscriber (one that does not read loses
 * messages, never the daemon's memory); tcp:// under CURVE with the
 * daemon's key and the ZAP domain of its ROUTER sockets, so the same
 * handler decides who may subscribe (who may read). The caller owns *out
 * (zmq_close); NULL on failure. */
int gs_net_publisher_open(void **out, void *ctx, const char *endpoint, const gs_keypair *key,
                          int hwm, gs_error *err);

typedef struct gs_net_client gs_net_client;

/* Connects a DEALER to endpoint. For tcp:// server_key is required (the
 * daemon's Ed25519 key; its CURVE key is derived) and client_key, when not
 * NULL, gives the client a stable CURVE identity (for write allowlists);
 * otherwise an ephemeral one is made. timeout_ms bounds every call. */
int gs_net_client_open(gs_net_client **out, void *ctx, const char *endpoint,
                       const gs_pubkey *server_key, const gs_keypair *client_key, int timeout_ms,
                       size_t max_message, gs_error *err);
void gs_net_client_close(gs_net_client **cp);

/* Sends rq (its id is set here) and waits for the response with the same id.
 * GS_EUNAVAIL when nothing came back in time. rs is owned by the caller
 * (gs_response_clear). A non-OK status is not an error here: the caller
 * reads rs->code and rs->message. */
int gs_net_client_call(gs_net_client *c, gs_request *rq, gs_response *rs, gs_error *err);

#endif
