/* peer.h — non-blocking requests from the hub's poll loop to another daemon.
 *
 * gs_net_client_call blocks until its answer comes; a hub talks to many
 * sources at once and must keep serving meanwhile. A gs_hub_peer is one
 * DEALER connected to one daemon, put in the loop's zmq_poll. Requests get
 * ids here and a deadline each; the caller tags each request with a small
 * number saying what it was for (a poll, a batch of a sync, ...), and gets
 * that tag back with the answer, or from gs_hub_peer_expire when the
 * deadline passed. A request that timed out resets the socket (Lazy
 * Pirate): a fresh socket drops late answers and half-done handshakes, and
 * every other request still waiting on that peer is expired with it.
 * The socket exists only while the hub talks to that daemon: opened by a
 * send, closed by a reset or once idle (gs_hub_peer_close_idle). */
#ifndef GS_HUB_PEER_H
#define GS_HUB_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "error.h"
#include "wire.h"

#define GS_HUB_PEER_MAX_PENDING 8

typedef struct gs_hub_peer gs_hub_peer;

/* server_key is required for tcp:// (CURVE); client_key gives the hub's
 * stable CURVE identity (write allowlists). */
int gs_hub_peer_open(gs_hub_peer **out, void *zctx, const char *endpoint,
                     const gs_pubkey *server_key, const gs_keypair *client_key, size_t max_message,
                     gs_error *err);
void gs_hub_peer_close(gs_hub_peer **pp);
/* The DEALER, NULL while closed: it is opened by a send, and closed by a
 * timeout or by gs_hub_peer_close_idle. */
void *gs_hub_peer_socket(gs_hub_peer *p);
/* Closes the socket when nothing is waiting and nothing was sent or
 * answered for idle_ms (now_ms and idle_ms monotonic, as gs_daemon_now_ms);
 * returns whether it closed it. The next send connects again. */
bool gs_hub_peer_close_idle(gs_hub_peer *p, int64_t now_ms, int64_t idle_ms);
const char *gs_hub_peer_endpoint(const gs_hub_peer *p);
/* Requests waiting for an answer. */
size_t gs_hub_peer_pending(const gs_hub_peer *p);
/* Whether a request with this tag is waiting. */
bool gs_hub_peer_has(const gs_hub_peer *p, int tag);

/* Sends rq (its id is set here) without blocking; deadline_ms is absolute
 * (monotonic). GS_ETOOBIG when GS_HUB_PEER_MAX_PENDING are waiting. */
int gs_hub_peer_send(gs_hub_peer *p, gs_request *rq, int tag, int64_t deadline_ms, gs_error *err);
/* Takes one answer off the socket: 1 with *rs and *tag filled (rs owned by
 * the caller: gs_response_clear), 0 when nothing is waiting, negative on a
 * malformed answer (err says so; the request it answered stays pending).
 * Answers to requests no longer waited for are dropped. */
int gs_hub_peer_recv(gs_hub_peer *p, gs_response *rs, int *tag, gs_error *err);
/* When the oldest deadline has passed: returns 1 with *tag of one expired
 * request, after resetting the socket; call again until it returns 0 (the
 * other requests of the reset socket come out one by one). */
int gs_hub_peer_expire(gs_hub_peer *p, int64_t now_ms, int *tag);
/* Milliseconds until the earliest deadline (-1 when nothing is pending). */
long gs_hub_peer_next_deadline(const gs_hub_peer *p, int64_t now_ms);

#endif
