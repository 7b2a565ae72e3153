/* witness.h — sending a log's checkpoints to its witnesses and collecting
 * their cosignatures (DESIGN §5 flow 2; C2SP tlog-witness add-checkpoint
 * semantics over ZeroMQ), from a daemon's own poll loop, without blocking it.
 *
 * One gs_witness_client per configured witness. Each loop turn the daemon
 * puts gs_witness_client_socket() in its zmq_poll and calls
 * gs_witness_client_step(). The client keeps at most one AddCheckpoint in
 * flight; it sends the log's latest checkpoint when the witness has not
 * cosigned it yet, starting from the size the witness last cosigned with a
 * consistency proof from the log (the first time, the log's own size: the
 * witness answers at once, SAME or CONFLICT with what it holds); on CONFLICT
 * it learns the witness's size and resends with a proof from there, and
 * reports GS_WITNESS_AHEAD when that size is larger than the log (the log
 * went back: refill.h); on a timeout or an
 * error it backs off exponentially (from 500 ms up to 60 s). A cosignature
 * is verified (cosignature/v1 with the witness key) before it is merged into
 * the stored checkpoint note, so the node serves every cosignature collected.
 *
 * A witness daemon may answer AddCheckpoint only after it has fetched and
 * verified the entries, so a reply can take a while: the request timeout is
 * generous and the daemon keeps serving meanwhile.
 */
#ifndef GS_WITNESS_H
#define GS_WITNESS_H

#include <stdbool.h>

#include "crypto.h"
#include "error.h"
#include "log.h"

typedef struct gs_witness_client gs_witness_client;

/* endpoint: ipc:// or tcp:// of the witness daemon. witness: its verifier
 * key; its name is the name on its cosignatures (a hub's origin) and its key
 * the hub's Ed25519 key (alg 0x04 cosigner keys and 0x01 keys are both
 * accepted: the key bytes are the same). client_key gives this daemon's CURVE
 * identity (may be NULL: ephemeral). */
int gs_witness_client_new(gs_witness_client **out, void *zctx, const char *endpoint,
                          const gs_vkey *witness, const gs_keypair *client_key, size_t max_message,
                          gs_error *err);
void gs_witness_client_free(gs_witness_client **wp);

/* The DEALER socket to poll for ZMQ_POLLIN. */
void *gs_witness_client_socket(gs_witness_client *w);

typedef enum {
    GS_WITNESS_IDLE = 0, /* nothing happened */
    GS_WITNESS_SENT,     /* an AddCheckpoint went out */
    GS_WITNESS_COSIGNED, /* a verified cosignature was merged; size in *size */
    GS_WITNESS_FAILED,   /* the witness refused or did not answer; why in err */
    GS_WITNESS_AHEAD,    /* the witness holds a larger size of this log than the log
                            has (answered CONFLICT with it): *size; the log went back
                            and the daemon must refill (refill.h) before it goes on */
} gs_witness_event;

/* Does this turn's work for the log: reads a reply if one is waiting, and
 * sends the latest checkpoint note (read from the store) when latest_size —
 * the size of the log's latest signed checkpoint, which the caller knows —
 * is not what the witness last cosigned and no back-off is pending. Returns
 * the event and fills *size / err accordingly; *next_ms gets how many
 * milliseconds until it wants to run again (for the poll timeout). */
gs_witness_event gs_witness_client_step(gs_witness_client *w, gs_log *log, uint64_t latest_size,
                                        int64_t now_ms, uint64_t *size, long *next_ms,
                                        gs_error *err);

/* The witness's name (its verifier key name) and the size it last cosigned. */
const char *gs_witness_client_name(const gs_witness_client *w);
uint64_t gs_witness_client_cosigned_size(const gs_witness_client *w);
/* True once the witness answered a request (a cosignature, CONFLICT, a
 * refusal): what it holds of the log is then known. A daemon's start check
 * waits for this (refill.h). */
bool gs_witness_client_answered(const gs_witness_client *w);
/* True while an AddCheckpoint is out and neither answered nor timed out: a
 * node checkpointing adaptively waits for it before it signs the next one,
 * so a witness gets the newest checkpoint as soon as it is free. */
bool gs_witness_client_in_flight(const gs_witness_client *w);

#endif
