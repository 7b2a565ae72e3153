/* audit.h — the audit engine (DESIGN §5 flows 5–6): a log read from an
 * entry source, every signature checked, every entry replayed through the
 * rule book, the Merkle root recomputed against a checkpoint the trust file
 * believes, and every root a hub observed for the log compared with the same
 * leaves; then, for a whole hub, every log its own log observed.
 *
 * Nothing here knows where entries come from: a gs_audit_source reads
 * checkpoints and pages of entries (the CLI's over ZeroMQ; a web view or a
 * database-backed service may bring its own). Nothing here knows what is
 * made of them either: a gs_audit_sink is told each log's entries and
 * outcome (common/report.h builds the accountability report from them).
 * The source and the sink are trusted by nobody: the engine believes an
 * entry only as far as its signature, the rule book and the trust file's
 * keys say, and a piece of evidence only as far as gs_evidence_verify says
 * (the evidence a hub holds, in its log and through GetEvidence, and what a
 * monitor recorded, are part of the audit: see "evidence" below).
 *
 * Memory does not grow with the number of entries: a log is read page by
 * page (at most GS_MAX_ENTRIES at a time, the next page in flight while one
 * is checked), each page's signatures are checked on the worker pool, its
 * leaves go into the Merkle frontier and into the leaf record (an unlinked
 * temporary file), its statements into the rule state. Only the rule
 * states' rosters and commitments, what the sink keeps, and one page stay in
 * memory.
 *
 * Every function that can fail returns 0 or a negative GS_E… code with err
 * filled (STYLE §3). Call gs_crypto_init first.
 */
#ifndef GS_AUDIT_H
#define GS_AUDIT_H

#include <stdbool.h>

#include "error.h"
#include "keychain.h"
#include "note.h"
#include "policy.h"
#include "pool.h"
#include "rules.h"
#include "wire.h"

/* ------------------------------------------------------ trusted checkpoint */

/* What a trusted checkpoint says, after the policy accepted it. Owns its
 * parts (gs_audit_trusted_clear) and borrows the witness names from the
 * policy it was checked against. */
typedef struct {
    gs_note *note;
    gs_checkpoint cp;
    gs_vkey log_key;      /* the log key that signed it: the trust file's, or the key
                             the log's rotations of its key made (keychain.h) */
    size_t n_witnesses;   /* cosignatures by listed witnesses that verified */
    const char **witness; /* their names in the trust file */
    int64_t *witness_time;
    char quorum[GS_VKEY_NAME_MAX + 1];
} gs_audit_trusted;

/* Checks a cosigned checkpoint note of origin against the policy: a log line
 * for origin, its signature, the witness quorum. GS_EVERIFY with the reason
 * ("origin X is not a log in the trust file", "checkpoint below quorum: …").
 * On failure *out holds nothing to clear. */
int gs_audit_trust_checkpoint(const gs_policy *pol, const char *origin, const char *note,
                              size_t len, gs_audit_trusted *out, gs_error *err)
    __attribute__((warn_unused_result));
/* The same with the log's signature checked through kc, a key chain anchored
 * at the trust file's key for origin (keychain.h): the note must be signed by
 * the key kc gives for its size (gs_keychain_verify_note); the quorum is then
 * checked as above. */
int gs_audit_trust_checkpoint_chain(const gs_policy *pol, const char *origin, const char *note,
                                    size_t len, const gs_keychain *kc, gs_audit_trusted *out,
                                    gs_error *err) __attribute__((warn_unused_result));
void gs_audit_trusted_clear(gs_audit_trusted *t);

/* ------------------------------------------------------------ entry source */

/* Where the engine reads logs from. The engine calls it from the thread that
 * runs the audit and from one helper thread (the page in flight), never from
 * two threads at once, and hands it over between them under a mutex (a full
 * memory barrier), so a ZeroMQ socket may sit behind it.
 *
 * Return codes: GS_EUNAVAIL or GS_ENOMEM when the source itself is gone (the
 * audit stops); any other code is a failure of that one log, recorded, and
 * the audit goes on with the next. */
typedef struct {
    void *ctx;
    /* The latest (cosigned) checkpoint note of origin exactly as served,
     * malloc'd and NUL-terminated; origin "" asks for the source's own log
     * (a hub's log, or a node's one log). */
    int (*read_checkpoint)(void *ctx, const char *origin, char **note, gs_error *err);
    /* Entries [start, start + *n) of origin, 1 <= *n <= count: a malloc'd
     * array of *n malloc'd buffers (gs_audit_entries_free). A short page is
     * fine (the engine asks again from where it ends). */
    int (*read_page)(void *ctx, const char *origin, uint64_t start, uint32_t count,
                     gs_buf **entries, size_t *n, gs_error *err);
    /* May be NULL (a source that holds no evidence). The evidence the source
     * holds about origin, as served: a malloc'd array of *n malloc'd
     * SignedStatement buffers (gs_audit_entries_free). Asked only of a hub.
     * What it serves is judged like any evidence (gs_audit_evidence_check):
     * the hub's word proves nothing. */
    int (*read_evidence)(void *ctx, const char *origin, gs_buf **items, size_t *n, gs_error *err);
    /* May be NULL. The rotations of origin's log key below size, proven in
     * the tree of that size (GetKeyChain): a malloc'd array of *n links
     * (gs_key_links_free). Asked only when a checkpoint is signed by a key
     * the trust file does not name, before the log is read; the entries
     * read decide in the end (keychain.h). */
    int (*read_key_chain)(void *ctx, const char *origin, uint64_t size, gs_key_link **links,
                          size_t *n, gs_error *err);
} gs_audit_source;

/* Frees what read_page returned; safe on NULL. */
void gs_audit_entries_free(gs_buf *entries, size_t n);

/* ------------------------------------------------------------ name index */

/* A hash index from a string (an origin) to a number (a log, a record), so
 * nothing at national scale (3,400 logs, tens of thousands of people) looks
 * a name up by walking a list. Keys are borrowed: the caller keeps each key
 * alive, unchanged, as long as it is in the index. Zero-initialise. Call
 * gs_crypto_init first. */
typedef struct {
    const char **key;
    size_t *val;
    size_t cap, n;
    /* SipHash key, random, drawn at the first put: the names come from
     * logs (a hub's Observations), so a hostile log cannot choose names
     * that all land in one slot. */
    uint8_t hash_key[16];
} gs_audit_index;

/* Maps key to val (replacing what key mapped to). */
int gs_audit_index_put(gs_audit_index *ix, const char *key, size_t val, gs_error *err)
    __attribute__((warn_unused_result));
/* What key maps to; SIZE_MAX when nothing. */
size_t gs_audit_index_get(const gs_audit_index *ix, const char *key);
/* Frees the index (never the keys); safe twice. */
void gs_audit_index_clear(gs_audit_index *ix);

/* ------------------------------------------------------------ leaf record */

/* Every leaf read, its hash, body kind, signer and (for a Progress, an
 * Outcome or a Revision) the commitment it is about, by (log, index), in an
 * unlinked temporary file: the rule book's entry_at, the cross-log reference
 * checks, "who signed the entry this finding is about" and "which
 * commitment this verdict judges" read it. Logs are written one after
 * another, each as one contiguous run of fixed-size records. */
typedef struct gs_audit_leafdb gs_audit_leafdb;

typedef struct {
    gs_hash leaf;
    gs_body_kind kind; /* GS_BODY_NONE when the entry did not open */
    gs_pubkey signer;
    /* The entry index, in the same log, of the Commitment a Progress,
     * Outcome or Revision the rule book accepted is about; UINT64_MAX for
     * every other entry. */
    uint64_t commitment;
} gs_audit_leaf;

/* Caller owns *out (gs_audit_leafdb_close). Nothing is left on disk,
 * whatever happens to the process. */
int gs_audit_leafdb_open(gs_audit_leafdb **out, gs_error *err);
/* Closes *dbp and sets it to NULL; safe on NULL. */
void gs_audit_leafdb_close(gs_audit_leafdb **dbp);
/* Starts the run of origin; returns its log number in *log. Refused when
 * origin already has one. */
int gs_audit_leafdb_begin(gs_audit_leafdb *db, const char *origin, size_t *log, gs_error *err);
/* Appends the next leaves of the current run. */
int gs_audit_leafdb_append(gs_audit_leafdb *db, const gs_audit_leaf *v, size_t n, gs_error *err);
/* The log number of origin; GS_ENOTFOUND when it was not read. */
int gs_audit_leafdb_find(const gs_audit_leafdb *db, const char *origin, size_t *log);
uint64_t gs_audit_leafdb_size(const gs_audit_leafdb *db, size_t log);
const char *gs_audit_leafdb_origin(const gs_audit_leafdb *db, size_t log);
/* Leaf index of log; GS_ENOTFOUND beyond what was read. */
int gs_audit_leafdb_get(gs_audit_leafdb *db, size_t log, uint64_t index, gs_audit_leaf *out,
                        gs_error *err);

/* ---------------------------------------------------------------- replay */

/* One root a hub observed for the log (an Observation in its own log): the
 * replay compares it with the root of the leaves read at that size. */
typedef struct {
    uint64_t size;
    gs_hash root;
    bool checked; /* set by the replay when the size was reached */
    bool matched;
} gs_audit_observed;

/* Called for every entry the rule book accepted, in log order; s is the
 * state after it. A non-zero return stops the replay with that code. */
typedef int (*gs_audit_entry_fn)(void *ctx, uint64_t index, const gs_statement *st,
                                 const gs_hash *leaf, const gs_rules_state *s, gs_error *err);

#define GS_AUDIT_MAX_FAILURES 20 /* failures kept word for word per log */

/* One log's replay: the caller fills "in", gs_audit_replay_run fills "out";
 * gs_audit_replay_clear frees what it owns (the state and the failures). */
typedef struct {
    /* in */
    const char *origin;
    uint64_t size;               /* read entries [0, size) */
    gs_pool *pool;               /* may be NULL: everything on this thread */
    gs_audit_leafdb *db;         /* may be NULL: then nothing that references an
                                    earlier entry of the log can be replayed */
    gs_audit_observed *observed; /* sorted by size; may be NULL */
    size_t n_observed;
    gs_audit_entry_fn on_entry; /* may be NULL */
    void *ctx;
    /* out */
    gs_rules_state *state; /* owned by the caller afterwards */
    uint64_t verified;     /* entries whose signature verified */
    uint64_t replayed;     /* entries the rule book accepted, from 0 on */
    bool broken;           /* the rule book refused an entry: replay stopped */
    gs_hash root;          /* of the leaves read */
    uint64_t n_failures;   /* everything that failed */
    char *failures[GS_AUDIT_MAX_FAILURES];
    size_t n_kept;
} gs_audit_replay;

/* Reads the entries of r->origin from src page by page and replays them. A
 * failure of the log (a signature, a rule, an observed root) is recorded in
 * r->failures and the reading goes on; only an error that stops the reading
 * (the source, memory, the disk) is returned, with err filled. */
int gs_audit_replay_run(const gs_audit_source *src, gs_audit_replay *r, gs_error *err)
    __attribute__((warn_unused_result));
void gs_audit_replay_clear(gs_audit_replay *r);
/* Records a failure of the log (printf-style, kept when there is room). */
void gs_audit_replay_fail(gs_audit_replay *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --------------------------------------------------------------- evidence */

/* Evidence is part of the audit (DESIGN §2.6; issue 9 part 4): what a hub
 * holds (its answer to GetEvidence, and the Evidence entries of its own log)
 * and what a monitor recorded. Every piece is verified here with
 * gs_evidence_verify against the trust file's key for the accused log, as
 * the hub and the monitor verified it: from the same bytes the audit reaches
 * the same verdict, and the detector's word counts for nothing. A piece that
 * does not verify is kept and reported as unverifiable, with the check that
 * failed and the detector that signed it; it is never proof against the log. */

/* Where a piece was found (bits of gs_audit_evidence.from). */
#define GS_AUDIT_FROM_HUB 1u     /* the hub's answer to GetEvidence */
#define GS_AUDIT_FROM_HUB_LOG 2u /* an Evidence entry of the hub's own log */
#define GS_AUDIT_FROM_MONITOR 4u /* a monitor's record (giamsat audit --monitor) */

#define GS_AUDIT_EVIDENCE_TEXT 512

/* One piece of evidence and the audit's verdict on it. Plain data: copy it
 * freely. Every string is the detector's (untrusted, never a format). */
typedef struct {
    /* RFC 6962 leaf hash of the SignedStatement bytes: the piece's identity,
     * and its leaf when it is an entry of a hub's log. */
    gs_hash leaf;
    /* Where it was found: GS_AUDIT_FROM_… bits, the entry of the hub's log
     * (with GS_AUDIT_FROM_HUB_LOG), the monitor's record (with
     * GS_AUDIT_FROM_MONITOR). */
    unsigned from;
    uint64_t hub_log_index;
    char monitor[GS_AUDIT_EVIDENCE_TEXT];
    /* What the bytes say. decoded: they are an Evidence statement (else only
     * the detector, when it could be read, and why are set). The detector is
     * the key that signed the statement (as claimed when its signature does
     * not verify), its origin (a hub's log, or for a monitor, which keeps no
     * log, the accused origin) and its name as a witness of the trust file
     * ("" when it is none). */
    bool decoded;
    bool reporter_signed;
    gs_pubkey reporter;
    char reporter_origin[GS_MAX_ORIGIN + 1];
    char reporter_witness[GS_VKEY_NAME_MAX + 1];
    int64_t reported_at;
    gs_evidence_kind kind;
    char origin[GS_MAX_ORIGIN + 1]; /* the accused log */
    char description[GS_AUDIT_EVIDENCE_TEXT];
    char reason[GS_AUDIT_EVIDENCE_TEXT]; /* the detector's words */
    int64_t detected_at;
    /* The checkpoints involved, as their bodies say (their signatures are
     * checked only as part of the verdict); first_index and n_entries for
     * kinds (c) and (d). */
    bool has_a, has_b;
    uint64_t size_a, size_b;
    gs_hash root_a, root_b;
    uint64_t first_index;
    size_t n_entries;
    /* The verdict. proof: gs_evidence_verify accepted it. against_log: a
     * proof of kind (a), (b) or (d), the log key signed what is proven and
     * the log is frozen (as a hub freezes the origin); a proof of kind (c) is
     * against the source that served the entries, not the log. why: when not
     * proof, the check that failed. */
    bool proof;
    bool against_log;
    char why[GS_ERROR_MSG_MAX + 128];
    /* A split history form of kind (d) (evidence.h): part (from 1) of parts
     * (both 0 when the piece is whole), this part's chain hash
     * (gs_wire_evidence_hash) and the one it names as previous_part. A part
     * alone is never proof; when the audit holds all the parts of one chain
     * it verifies them together (gs_evidence_verify_parts) and every part
     * takes the verdict of the whole. */
    uint32_t part, parts;
    gs_hash part_hash, previous_part;
} gs_audit_evidence;

/* Judges data, a SignedStatement that should carry an Evidence: the
 * detector's signature, then gs_evidence_verify against pol's key for the
 * accused origin. The verdict is in *out (always filled); only GS_ENOMEM is
 * returned as an error. */
int gs_audit_evidence_check(const gs_policy *pol, gs_bytes data, gs_audit_evidence *out,
                            gs_error *err) __attribute__((warn_unused_result));
/* "split-view", "rollback", "bad-entries", "rule-violation" (as `giamsat
 * evidence` names them). */
const char *gs_audit_evidence_kind_name(gs_evidence_kind k);
/* What a proof of kind k proves, in plain words. */
const char *gs_audit_evidence_proves(gs_evidence_kind k);

/* -------------------------------------------------------------- a whole hub */

/* What the audit tells about each log it reads. ctx is the sink's. */
typedef struct {
    void *ctx;
    /* Before a log's replay (only for logs whose checkpoint was trusted). */
    int (*begin_log)(void *ctx, const char *origin, gs_error *err);
    /* Each accepted entry of the log begun (may be NULL). */
    gs_audit_entry_fn on_entry;
    /* The log's outcome: rp->state is its final rule state (NULL when the
     * log was skipped), t its trusted checkpoint (NULL when skipped), and
     * skipped the reason it could not be read at all (else NULL). */
    int (*end_log)(void *ctx, const gs_audit_replay *rp, const gs_audit_trusted *t,
                   const char *skipped, gs_error *err);
    /* May be NULL. Each piece of evidence the audit met, once each (the same
     * bytes found in several places are one piece), judged, after every log;
     * ev is borrowed for the call. */
    int (*on_evidence)(void *ctx, const gs_audit_evidence *ev, gs_error *err);
} gs_audit_sink;

/* One audit of a source: its own log first (a hub's holds the Observations
 * that list the logs it follows and the roots it cosigned for them), then
 * every log observed, or only the origins asked for, each with the roots
 * observed for it. */
typedef struct {
    /* in */
    const gs_audit_source *source;
    const gs_audit_sink *sink;
    const gs_policy *policy;
    gs_pool *pool;              /* may be NULL */
    gs_audit_leafdb *db;        /* required: cross-log references read it */
    const char *const *origins; /* n_origins > 0: audit only these */
    size_t n_origins;
    /* out */
    char own_origin[GS_MAX_ORIGIN + 1]; /* the source's own log */
    bool hub;                           /* it is a hub's log */
    /* Every piece of evidence met, judged, each once (gs_audit_add_evidence
     * adds before the run; the run adds the hub's). Owned: gs_audit_clear. */
    gs_audit_evidence *evidence;
    size_t n_evidence, cap_evidence;
    /* For each piece that is a part of a split evidence, its Statement's
     * bytes (to join the parts); empty for whole pieces. */
    gs_buf *part_statement;
} gs_audit;

/* Runs the audit. Failures of a log go to the sink (end_log); only what
 * stops the audit itself (the source, memory, the disk, an own checkpoint
 * that does not parse) is returned. */
int gs_audit_run(gs_audit *a, gs_error *err) __attribute__((warn_unused_result));
/* Adds evidence found elsewhere (a monitor's record: from, and where it was
 * found, e.g. the file) to the audit, judged against a->policy; call before
 * gs_audit_run. The same bytes found twice are one piece. A log proven to
 * misbehave is audited even when the hub observed nothing for it. */
int gs_audit_add_evidence(gs_audit *a, gs_bytes data, unsigned from, const char *where,
                          gs_error *err) __attribute__((warn_unused_result));
/* Frees what the audit owns (its evidence); safe twice. */
void gs_audit_clear(gs_audit *a);

#endif
