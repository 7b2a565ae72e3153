/* cosign.h — the witness side of AddCheckpoint (c2sp.org/tlog-witness):
 * one check, in one order, for every witness this project runs (the hub and
 * the monitor acting as a witness), so the same request gets the same answer
 * from both.
 *
 * The order (each step only runs when the previous ones passed):
 *   1. the request carries a signed note whose text is a checkpoint
 *      [BAD_REQUEST];
 *   2. the witness witnesses that origin [UNKNOWN_LOG];
 *   3. the log key signed it — lines by anyone else are ignored, never
 *      trusted or merged (DESIGN principle 10) [BAD_SIGNATURE];
 *   4. the size is within what the witness records [BAD_REQUEST];
 *   5. the witness holds no evidence against the log [FROZEN];
 *   6. the very checkpoint the witness cosigned last: answered with its
 *      cosignature whatever old size the sender assumed, so a client that
 *      learnt the size from a CONFLICT still collects the line [SAME];
 *   7. old size <= the checkpoint's size [BAD_REQUEST];
 *   8. old size is the witness's latest size [CONFLICT, with that size];
 *   9. the same size with another root is a split view [SPLIT_VIEW];
 *  10. from a non-zero old size, the consistency proof verifies from the
 *      witness's root to the new one; when it reaches the new signed root
 *      from ANOTHER old root, the log rewrote its history [REWRITE];
 *      otherwise a failing proof is [BAD_PROOF]; from old size 0 the proof
 *      is empty (the empty tree is consistent with any tree) [BAD_PROOF];
 *  11. an empty log holds nothing to cosign [BAD_REQUEST];
 * then [PROCEED]: the caller holds what it must (a hub replicates and
 * verifies every entry first; DESIGN principle 5) and cosigns.
 */
#ifndef GS_COSIGN_H
#define GS_COSIGN_H

#include <stdbool.h>

#include "crypto.h"
#include "error.h"
#include "note.h"
#include "types.h"
#include "wire.h"

typedef enum {
    GS_COSIGN_PROCEED = 0,
    GS_COSIGN_SAME,
    GS_COSIGN_BAD_REQUEST,
    GS_COSIGN_UNKNOWN_LOG,
    GS_COSIGN_BAD_SIGNATURE,
    GS_COSIGN_FROZEN,
    GS_COSIGN_CONFLICT,
    GS_COSIGN_SPLIT_VIEW,
    GS_COSIGN_REWRITE,
    /* A consistency proof that does not verify (tlog-witness answers 422;
     * over ZeroMQ it is INVALID_ARGUMENT like BAD_REQUEST). */
    GS_COSIGN_BAD_PROOF,
} gs_cosign_verdict;

/* What the check asks of the witness. Every callback gets ctx. */
typedef struct {
    /* The key of origin's log; GS_ENOTFOUND when the witness does not
     * witness it (err then says why, e.g. how to add it). */
    int (*log_key)(void *ctx, const char *origin, gs_vkey *key, gs_error *err);
    /* Optional: checks the log's signature on note, a checkpoint of cp's
     * size, instead of the key log_key gave (a witness that follows the
     * rotations of the log key: the key depends on the size). Non-zero:
     * not signed by the log (BAD_SIGNATURE, err says why). */
    int (*verify_note)(void *ctx, const gs_note *note, const gs_checkpoint *cp, gs_error *err);
    /* True when the witness holds evidence against origin; why (may be
     * NULL) gets a sentence. */
    bool (*frozen)(void *ctx, const char *origin, char *why, size_t cap);
    /* The latest checkpoint the witness holds for origin (size 0 when
     * none). */
    int (*latest)(void *ctx, const char *origin, uint64_t *size, gs_hash *root, gs_error *err);
    void *ctx;
    const char *name;  /* the witness, for messages: "hub giamsat/hub/ha-noi" */
    uint64_t max_size; /* 0: no limit */
} gs_cosign_witness;

/* The outcome. Owns cp and note; release with gs_cosign_result_clear. */
typedef struct {
    gs_cosign_verdict verdict;
    gs_checkpoint cp;     /* parsed (from step 1 on) */
    gs_note *note;        /* parsed (from step 1 on) */
    uint64_t latest_size; /* the witness's latest size (from step 6 on) */
    gs_hash latest_root;
    char message[GS_ERROR_MSG_MAX]; /* a sentence for the sender; "" on PROCEED and SAME */
} gs_cosign_result;

/* Judges an AddCheckpoint. Returns 0 with out->verdict set, or a negative
 * code when the witness itself failed (a callback's error, no memory). */
int gs_cosign_judge(const gs_cosign_witness *w, const char *note_text, uint64_t old_size,
                    const gs_hash *proof, size_t n_proof, gs_cosign_result *out, gs_error *err)
    __attribute__((warn_unused_result));
void gs_cosign_result_clear(gs_cosign_result *r);

/* The status a verdict is answered with (tlog-witness: 400, 404, 403, 409
 * map to INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED/PERMISSION_DENIED,
 * CONFLICT; its 422 is INVALID_ARGUMENT too, told apart by the verdict). */
gs_status_code gs_cosign_status(gs_cosign_verdict v);
const char *gs_cosign_verdict_name(gs_cosign_verdict v);

/* The c2sp.org/tlog-witness add-checkpoint request body:
 *   "old <size>\n", at most GS_COSIGN_MAX_PROOF_LINES lines of one base64
 *   hash each, "\n", then the checkpoint note (the rest of the body).
 * The size is decimal without leading zeroes ("0" for zero); each hash is
 * canonical padded base64 of exactly 32 bytes. The note is only located
 * here (gs_cosign_judge parses it), but must be non-empty, at most
 * GS_NOTE_MAX bytes and hold no NUL byte. */
#define GS_COSIGN_MAX_PROOF_LINES 63
/* The largest body that can be well formed: the old line (4 + 20 digits +
 * newline), 63 proof lines of 44 characters and a newline, the empty line
 * and the note. */
#define GS_COSIGN_MAX_BODY (25 + GS_COSIGN_MAX_PROOF_LINES * 45 + 1 + GS_NOTE_MAX)
/* Parses body. proof must hold GS_COSIGN_MAX_PROOF_LINES hashes. On success
 * *note points into body (*note_len bytes). GS_EINVAL with a sentence that
 * names what is wrong when the body is malformed, GS_ETOOBIG when it is
 * larger than GS_COSIGN_MAX_BODY. */
int gs_cosign_parse_body(const char *body, size_t len, uint64_t *old, gs_hash *proof,
                         size_t *n_proof, const char **note, size_t *note_len, gs_error *err)
    __attribute__((warn_unused_result));

#endif
