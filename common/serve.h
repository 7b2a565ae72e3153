/* serve.h — the read path every daemon shares: GetCheckpoint, GetEntries,
 * GetInclusionProof, GetConsistencyProof and GetKeyChain for one log
 * (DESIGN §5).
 *
 * A node serves its committed entries; a hub serves a replica up to the
 * size it cosigned (never what a running sync fetched above it) and its own
 * log up to its committed size. The caller says which log, how far it may
 * be read and how large a reply may grow; this module answers, so the two
 * daemons cannot drift apart in what they serve or how they refuse.
 *
 * Ownership: a gs_serve_log borrows everything it points to for the call.
 * gs_serve_read fills a gs_serve_reply whose response borrows the reply's
 * own buffers; send it, then release them with gs_serve_reply_clear.
 */
#ifndef GS_SERVE_H
#define GS_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "keychain.h"
#include "log.h"
#include "merkle.h"
#include "wire.h"

/* What a daemon may serve of one log. */
typedef struct {
    gs_log *log;
    /* Entries [0, limit) may be served: the committed size (node, a hub's
     * own log) or the cosigned size (a hub's replica). */
    uint64_t limit;
    /* The tree size a proof request naming size 0 is answered for: the
     * size of the checkpoint the daemon serves. */
    uint64_t default_size;
    /* The note GetCheckpoint answers; NULL: the latest held in the store. */
    const char *checkpoint;
    /* GetEntries stops once the entries reach this many bytes, so the reply
     * stays well inside the frame limit and reaches the client. */
    size_t budget;
    /* Who serves, for the sentences of refusals ("node giamsat/commune/x",
     * "hub giamsat/hub/y"). */
    const char *server;
    /* The log's key chain, fed with its entries up to at least limit
     * (keychain.h): GetKeyChain is answered from it. NULL: GetKeyChain is
     * refused NOT_FOUND. */
    const gs_keychain *keychain;
} gs_serve_log;

/* An answer and the buffers it borrows. */
typedef struct {
    gs_response rs;
    char msg[GS_ERROR_MSG_MAX + 256];
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    gs_buf *entries;
    size_t n_entries;
    char *note;
    gs_key_link *links;
    size_t n_links;
} gs_serve_reply;

/* True for the five operations gs_serve_read answers. */
bool gs_serve_is_read(gs_op op);

/* Decodes one request frame of at most max bytes. On failure returns false
 * with *status and msg (cap bytes) saying why, ready to send with request id
 * 0: RESOURCE_EXHAUSTED for a frame above max, INVALID_ARGUMENT for one that
 * does not decode. The same answer from every daemon. */
bool gs_serve_decode(gs_bytes payload, size_t max, gs_request *rq, gs_status_code *status,
                     char *msg, size_t cap);

/* Answers rq (gs_serve_is_read(rq->op)) from src into out->rs, with the
 * request's id. A request the log cannot answer (out of range, bad sizes)
 * gets a refusal that says why, and 0 is returned. When the store fails,
 * the answer carries the failure and a negative GS_E… code is returned with
 * err filled, so the daemon can log it. Release out with
 * gs_serve_reply_clear in either case. */
int gs_serve_read(const gs_serve_log *src, const gs_request *rq, gs_serve_reply *out,
                  gs_error *err);
void gs_serve_reply_clear(gs_serve_reply *out);

/* The proven links of kc (keychain.h) for the tree of size `size` of log:
 * every rotation of the log key at an index below size, in order, with its
 * entry and its inclusion proof in that tree (what GetKeyChain answers, a
 * bundle and evidence carry). kc must have observed the entries below size
 * (GS_EINVAL otherwise). *out is NULL when there are none; free it with
 * gs_key_links_free(*out, *n). */
int gs_serve_key_links(gs_log *log, const gs_keychain *kc, uint64_t size, gs_key_link **out,
                       size_t *n, gs_error *err) GS_MUST_USE;

#endif
