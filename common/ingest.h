/* ingest.h — the one pipeline that turns a log's bytes into rule state
 * (DESIGN principle 3, STYLE §6 and §14).
 *
 * Every consumer that judges entries of a log goes through here: the node's
 * submissions, the node's and the hub's start-up, the hub's sync, the audit,
 * `giamsat roster` and the check of rule-violation evidence (kind d). So
 * there is exactly one place where bytes become a verdict, and the node, the
 * hub and the auditor cannot disagree about the same sequence.
 *
 * A gs_ingest holds one log's rule state and the Merkle frontier of what it
 * has taken in. gs_ingest_push takes the next entries of the log:
 *   1. opens each one (decode + Ed25519 over the bytes that arrived), on the
 *      worker pool when there is one;
 *   2. applies the rule book in order. References to entries of the same
 *      push (a Finding and the Response to it, sent back to back) are looked
 *      up among the entries already accepted in this push, and earlier ones
 *      through the caller's entry_at (the store, a leaf record, memory);
 *   3. advances the frontier, so the caller can compare roots it knows;
 *   4. with a log configured, stages what it keeps into the store's open
 *      transaction (gs_log_stage), so the caller's commit decides its fate.
 *
 * Two modes, because a log's history and a submission differ in one way:
 *   - GS_INGEST_HISTORY (start-up, hub sync, audit, roster, evidence): every
 *     entry is part of the log; the clock is not checked. The first entry
 *     refused breaks the pipeline: later entries are still opened and
 *     hashed into the frontier (so the root of what was served can be
 *     compared) but are not judged (verdict.judged false).
 *   - GS_INGEST_SUBMISSION (the node's batch, the hub's own log): the clock
 *     is checked (max_skew); a refused entry is dropped and the next one is
 *     judged at the same index; only accepted entries enter the frontier and
 *     the store. A broken pipeline (its history broke the rule book) refuses
 *     every submission.
 * The mode is given per push: a node replays its store as history at
 * start-up, then judges submissions with the same pipeline.
 *
 * Invariant: gs_ingest_size == the frontier's size == the number of entries
 * the pipeline holds; while not broken, it also equals the number of
 * statements applied to the rule state.
 *
 * Ownership: a gs_ingest owns its rule state; gs_ingest_rules lends it
 * (valid until the next push, reset or free). Entries pushed are borrowed
 * for the duration of the call.
 */
#ifndef GS_INGEST_H
#define GS_INGEST_H

#include <stdbool.h>

#include "error.h"
#include "log.h"
#include "merkle.h"
#include "pool.h"
#include "crypto.h"
#include "rules.h"
#include "store.h"
#include "types.h"
#include "wire.h"

#define GS_INGEST_WARN GS_MUST_USE

typedef enum {
    GS_INGEST_HISTORY = 0,
    GS_INGEST_SUBMISSION,
} gs_ingest_mode;

typedef struct gs_ingest gs_ingest;

/* The verdict on one entry pushed. */
typedef struct {
    bool judged;           /* false: the entry follows a refused one (history mode) */
    bool accepted;         /* judged and accepted */
    int code;              /* 0 when accepted, else a negative GS_E… code */
    gs_rule_reason reason; /* GS_RULE_OK when accepted; [bad-signature] or
                              [malformed] when the bytes did not open */
    char message[GS_ERROR_MSG_MAX];
    uint64_t index;    /* the index the entry has (history) or takes (accepted) */
    gs_hash leaf;      /* its leaf hash */
    bool opened;       /* the bytes decoded and the signature verified */
    gs_body_kind kind; /* when opened */
    gs_pubkey signer;  /* when opened */
} gs_ingest_verdict;

/* Called once per entry pushed, in order, after it was judged and (if kept)
 * hashed into the frontier: gs_ingest_size(in) is then the size of the tree
 * that ends with it (when it was kept). st is NULL when the entry did not
 * open. A non-zero return stops the push with that code. */
typedef int (*gs_ingest_entry_fn)(void *ctx, const gs_ingest *in, const gs_ingest_verdict *v,
                                  const gs_statement *st, gs_error *err);

typedef struct {
    /* Signature checks in parallel; NULL: in the calling thread. */
    gs_pool *pool;
    /* Submission mode: ±seconds around `now` that issued_at may be; 0: not
     * checked. */
    int64_t max_skew;
    /* Leaf hash and kind of an entry ingested before the current push (see
     * rules.h). NULL: the pipeline answers from the entries it was pushed
     * in this process only while they fit in memory it keeps — it keeps
     * none, so references to earlier pushes are then refused
     * [entry-unavailable]. */
    gs_rules_entry_fn entry_at;
    void *entry_ctx;
    /* When set, the entries kept are staged into this log in the store's
     * open transaction (the caller began it and commits it). */
    gs_log *stage;
    gs_ingest_entry_fn on_entry;
    void *on_entry_ctx;
} gs_ingest_config;

/* A pipeline for the empty log of origin. cfg is copied. Caller owns the
 * result. */
int gs_ingest_new(gs_ingest **out, const char *origin, const gs_ingest_config *cfg,
                  gs_error *err) GS_INGEST_WARN;
/* A deep copy (rule state, frontier, configuration), e.g. for a sync that is
 * dropped when it fails. */
int gs_ingest_clone(gs_ingest **out, const gs_ingest *in, gs_error *err) GS_INGEST_WARN;
/* Frees *ip and sets it to NULL; safe on NULL. */
void gs_ingest_free(gs_ingest **ip);
/* Back to the empty log (a node whose commit failed replays its store). */
int gs_ingest_reset(gs_ingest *in, gs_error *err) GS_INGEST_WARN;

/* Changes where kept entries are staged (NULL: nowhere). */
void gs_ingest_set_stage(gs_ingest *in, gs_log *stage);
/* Changes the per-entry callback (fn NULL: none). */
void gs_ingest_set_on_entry(gs_ingest *in, gs_ingest_entry_fn fn, void *ctx);

/* Takes the next n entries of the log (see the header comment). v, when
 * not NULL, receives n verdicts. Returns 0 when every entry was processed —
 * refusals are verdicts, not errors — or a negative code when the pipeline
 * itself failed (out of memory, the store, the on_entry callback); the
 * pipeline is then unusable until gs_ingest_reset. `now` is the time a
 * submission is judged at. */
int gs_ingest_push(gs_ingest *in, gs_ingest_mode mode, const gs_bytes *entries, size_t n,
                   int64_t now, gs_ingest_verdict *v, gs_error *err) GS_INGEST_WARN;

/* Step 1 ahead of the push. A node opens the submissions of a group commit
 * as they arrive, while it waits for the rest (node/node.c gather), so the
 * signature checks overlap the wait instead of following it. Opening is a
 * function of the bytes alone (leaf hash, decode, Ed25519 over them), so an
 * entry opened ahead gets the verdict its bytes get from gs_ingest_push.
 * Fill `entry` (borrowed until gs_ingest_opening_clear) of a zeroed
 * gs_ingest_opening; the other fields are the pipeline's. */
typedef struct {
    gs_bytes entry;
    bool opened; /* the fields below are set */
    int rc;      /* 0: decoded and verified */
    gs_error err;
    gs_statement st; /* owned, when rc == 0 */
    gs_hash leaf;
} gs_ingest_opening;

/* Opens every entry of o[0..n) not opened yet, on pool when there is one
 * (NULL: in the calling thread). */
void gs_ingest_open(gs_pool *pool, gs_ingest_opening *o, size_t n);
/* gs_ingest_push of the entries of o[0..n), those not opened yet opened
 * first (on the pipeline's pool). o stays the caller's. */
int gs_ingest_push_opened(gs_ingest *in, gs_ingest_mode mode, gs_ingest_opening *o, size_t n,
                          int64_t now, gs_ingest_verdict *v, gs_error *err) GS_INGEST_WARN;
/* Frees what opening o took and zeroes it. */
void gs_ingest_opening_clear(gs_ingest_opening *o);

/* Replays entries [gs_ingest_size(in), size) of l, page by page, in history
 * mode. With `trusted`, l is the daemon's own store whose entries were
 * verified when they arrived (and whose bytes the store checks against their
 * leaf hash): they are decoded only, not verified again, so restarting a hub
 * with millions of entries is a replay of the rule book. Only this call
 * trusts: every push verifies. *first_refused gets the verdict of the first
 * entry refused (judged false when none was); an entry whose stored bytes
 * were altered (GS_ECORRUPT) is returned as an error naming it, once every
 * entry before it was taken in. */
int gs_ingest_replay_log(gs_ingest *in, gs_log *l, uint64_t size, bool trusted,
                         gs_ingest_verdict *first_refused, gs_error *err) GS_INGEST_WARN;

/* The entries held: accepted (submission) or taken in (history). */
uint64_t gs_ingest_size(const gs_ingest *in);
/* The root of those entries. */
void gs_ingest_root(const gs_ingest *in, gs_hash *out);
/* True once an entry was refused in history mode (until reset). */
bool gs_ingest_broken(const gs_ingest *in);
/* The rule state (borrowed). */
const gs_rules_state *gs_ingest_rules(const gs_ingest *in);
const char *gs_ingest_origin(const gs_ingest *in);

/* "reason-name: sentence", as rejections are reported everywhere. */
void gs_ingest_verdict_text(const gs_ingest_verdict *v, char *out, size_t cap);

/* entry_at reading a gs_log (committed or staged entries), for consumers
 * that hold the log in a store; ctx is the gs_log. */
int gs_ingest_log_entry_at(void *ctx, uint64_t index, gs_hash *leaf, gs_body_kind *kind,
                           gs_error *err);

/* ---- rule-state snapshots ----------------------------------------------
 * A node starts in seconds at any size by loading the rule state it saved
 * at a checkpoint and replaying only the entries after it (signatures
 * checked). A snapshot is the state's bytes (rules.h) bound to the tree size
 * and root it belongs to by a seal: the keyed BLAKE2b-256
 * (crypto_generichash, 32-byte output) under the seal key of
 *   "giamsat/rule-snapshot/v1\n" || origin || "\n" || size (8 bytes,
 *   big-endian) || root || state
 * (docs/formats.md). The seal key is derived from the secret of the node
 * that wrote it, so a snapshot is taken only from the node itself: damage,
 * a snapshot copied from another log or node, or one written by whoever
 * could write the database but does not hold the node's key, is ignored.
 * `giamsat-node --verify-all` compares a full replay with the snapshots
 * byte for byte. */

typedef void (*gs_ingest_say_fn)(void *ctx, const char *line);

typedef struct {
    uint8_t b[32];
} gs_ingest_seal_key;

/* BLAKE2b-256 keyed by the key pair's seed of "giamsat/rule-snapshot-key/v1". */
void gs_ingest_seal_key_derive(const gs_keypair *kp, gs_ingest_seal_key *out);
/* The seal above. */
void gs_ingest_snapshot_check(const gs_ingest_seal_key *key, const char *origin, uint64_t size,
                              const gs_hash *root, gs_bytes state, gs_hash *out);
/* Saves the rule state held, at gs_ingest_size with gs_ingest_root, sealed
 * with key, as a snapshot of the store's log log_id (gs_store_put_snapshot:
 * in the open transaction if there is one). Refused when broken or
 * empty. */
int gs_ingest_snapshot_save(const gs_ingest *in, gs_store *store, int64_t log_id,
                            const gs_ingest_seal_key *key, gs_error *err) GS_INGEST_WARN;

typedef struct {
    uint64_t size;    /* the snapshot loaded; 0: none (the pipeline is empty) */
    unsigned ignored; /* snapshots found bad and skipped (each said) */
    gs_buf state;     /* the bytes of the one loaded, to compare later */
} gs_ingest_snapshot_use;

/* Resets in, then loads the newest good snapshot of l whose size is at most
 * at_most: its seal (under key) matches, its root is the log's root at its
 * size (gs_log_root_at, proven from the stored tree), the stored tree hashes
 * give its frontier, its bytes parse to a state of that size. Each one found
 * bad is said through say (may be NULL), one line naming why, and the next
 * older one is tried. Returns 0 whether one was loaded or not (use->size
 * says; free use with gs_ingest_snapshot_use_clear); < 0 when the store
 * fails. The caller then replays the rest (gs_ingest_replay_log). */
int gs_ingest_snapshot_load(gs_ingest *in, gs_store *store, gs_log *l, uint64_t at_most,
                            const gs_ingest_seal_key *key, gs_ingest_snapshot_use *use,
                            gs_ingest_say_fn say, void *say_ctx, gs_error *err) GS_INGEST_WARN;
void gs_ingest_snapshot_use_clear(gs_ingest_snapshot_use *use);
/* *same: the rule state held writes exactly these bytes (false when
 * broken). */
int gs_ingest_snapshot_compare(const gs_ingest *in, gs_bytes state, bool *same,
                               gs_error *err) GS_INGEST_WARN;

#endif
