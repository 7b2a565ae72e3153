/* wire.h — protobuf at the edge (STYLE §5).
 * common/wire.c is the only file that includes the protobuf-c generated
 * header. It decodes bytes into the plain C structs below, checking every
 * limit and required field first, and encodes them back.
 *
 * Ownership: the string fields (and the hash lists of evidence and
 * AddCheckpoint) are const. A struct built for encoding borrows them (string
 * literals, a caller's buffers) and nothing frees them. A decoded struct owns
 * its strings and byte arrays (malloc'd) and is released with the matching
 * gs_…_clear(), which also resets it to all zeros; clear is safe on a zeroed
 * struct. Ownership passes only when a call succeeds: a decoder that fails
 * leaves nothing to free, and a caller that takes a string out of a decoded
 * struct (gs_wire_take) sets the field to NULL before the clear. Where a
 * struct holds gs_bytes (borrowed), the comment says whose bytes they are.
 *
 * Strings from the wire are untrusted: decode refuses any that is not valid
 * UTF-8, contains a NUL or a control character other than '\n' and '\t', or
 * is longer than its limit. Every decoder refuses unknown enum values,
 * missing required fields and wrong-length keys and hashes with a sentence
 * naming the field ("statement.commitment.id: longer than 64 bytes").
 *
 * Decoders accept only the canonical encoding, the one the encoders write:
 * fields in number order, zero values left out, no field twice, no unknown
 * field numbers. So decode(x) succeeds only if encode(decode(x)) == x, and a
 * statement has exactly one encoding. Encoders run the matching decoder over
 * what they wrote and refuse to return bytes a receiver would refuse.
 */
#ifndef GS_WIRE_H
#define GS_WIRE_H

#include <stdbool.h>

#include "crypto.h"
#include "error.h"
#include "types.h"

/* Limits. Everything from the network or a file is checked against these
 * before it is used. */
#define GS_MAX_ENTRY 65536 /* one SignedStatement (a log entry) */
/* The largest entry made or accepted from now on: a C2SP tlog-tiles entry
 * bundle prefixes each entry with a 16-bit length (docs/http.md). Entries of
 * exactly GS_MAX_ENTRY bytes already in a log still decode and verify (a
 * replica or an audit must not refuse an honest log for them); the
 * encoder and a node's Submit door refuse new ones. */
#define GS_MAX_NEW_ENTRY 65535
#define GS_MAX_MESSAGE 4194304 /* one Request or Response frame (default) */
#define GS_MAX_ORIGIN 128      /* "giamsat/province/" + 64 */
#define GS_MAX_UNIT 64         /* [a-z0-9-]{1,64} */
#define GS_MAX_NAME 256        /* names, titles, decision refs, indicators */
#define GS_MAX_TIME_ZONE 64    /* a Charter's IANA zone name */
#define GS_MAX_ID 64           /* commitment ids: [A-Za-z0-9._-]{1,64} */
#define GS_MAX_TEXT 8192       /* reasons, notes, findings, feedback */
#define GS_MAX_NOTE 24576      /* a cosigned checkpoint note (note.h GS_NOTE_MAX) */
#define GS_MAX_ENTRIES 1000    /* entries in one GetEntries reply */
#define GS_MAX_PROOF 128       /* hashes in one proof */
#define GS_MAX_EVIDENCE_ENTRIES 1000
#define GS_MAX_KEY_LINKS 1024 /* rotations of one log's key in a key chain */

typedef enum {
    GS_TIER_COMMUNE = 1,
    GS_TIER_PROVINCE = 2,
    GS_TIER_CENTRAL = 3,
    GS_TIER_HUB = 4,
} gs_tier;

typedef enum {
    GS_ROLE_HEAD = 1,
    GS_ROLE_DEPUTY = 2,
    GS_ROLE_OFFICER = 3,
    GS_ROLE_INSPECTOR = 4,
} gs_role;

typedef enum {
    GS_DIRECTION_AT_LEAST = 1,
    GS_DIRECTION_AT_MOST = 2,
} gs_direction;

typedef enum {
    GS_SEVERITY_LOW = 1,
    GS_SEVERITY_MEDIUM = 2,
    GS_SEVERITY_HIGH = 3,
} gs_severity;

typedef enum {
    GS_BODY_NONE = 0,
    GS_BODY_CHARTER,
    GS_BODY_APPOINTMENT,
    GS_BODY_RESIGNATION,
    GS_BODY_DISMISSAL,
    GS_BODY_KEY_ROTATION,
    GS_BODY_COMMITMENT,
    GS_BODY_PROGRESS,
    GS_BODY_OUTCOME,
    GS_BODY_FINDING,
    GS_BODY_FEEDBACK,
    GS_BODY_RESPONSE,
    GS_BODY_OBSERVATION,
    GS_BODY_EVIDENCE,
    GS_BODY_PARAMETER_CHANGE,
    GS_BODY_REVISION,
} gs_body_kind;

/* A Finding's judgement of the claim it is about (rule 14). */
typedef enum {
    GS_VERDICT_NONE = 0,
    GS_VERDICT_CONFIRMS = 1,
    GS_VERDICT_CONTESTS = 2,
} gs_verdict;

/* "none", "confirms", "contests". */
const char *gs_verdict_name(gs_verdict v);

/* Names as the CLI and reports spell them: "head", "at-least", "high",
 * "commune", "commitment", …; and back (returns 0 for an unknown name). */
const char *gs_tier_name(gs_tier t);
const char *gs_role_name(gs_role r);
const char *gs_direction_name(gs_direction d);
const char *gs_severity_name(gs_severity s);
const char *gs_body_name(gs_body_kind k);
int gs_tier_parse(const char *s);
int gs_role_parse(const char *s);
int gs_direction_parse(const char *s);
int gs_severity_parse(const char *s);

/* Fixed-point measures: value x 10^6. "12.5" <-> 12500000. Parse accepts
 * an optional '-', digits, optionally '.' and 1–6 digits; nothing else. */
#define GS_FIXED_SCALE 1000000
int gs_fixed_parse(const char *s, int64_t *out, gs_error *err);
void gs_fixed_format(int64_t v, char *out, size_t cap); /* shortest exact form */

/* Unix seconds as RFC 3339 in UTC, "2026-12-31T10:00:00Z", as every report
 * and command prints times; out holds at least 32 bytes. */
void gs_time_format(int64_t t, char *out, size_t cap);

/* Origins: giamsat/<commune|province|central>/<unit> or giamsat/hub/<name>. */
int gs_origin_valid(const char *origin, gs_error *err);
/* [a-z0-9-]{1,64}; returns 0 or GS_EINVAL. */
int gs_unit_valid(const char *unit);

/* The owner's view of a const field it owns (see Ownership above):
 * gs_wire_take hands a string to a caller who will free() it, gs_wire_free
 * frees a string or hash list. They take const off through a union, never a
 * cast. (A Proof result's and a gs_bundle's hash lists are not const: a
 * bundle is built from owned proofs, and tests alter decoded ones.) */
char *gs_wire_take(const char *owned);
void gs_wire_free(const void *owned);

typedef struct {
    const char *origin;
    uint64_t index;
    gs_hash leaf_hash;
} gs_ref;

/* The rule book's parameters as a log declares them (RuleParameters on the
 * wire; DESIGN §2.8). A field 0 names no value: in a Charter the default
 * applies, in a ParameterChange the value in force stays. The decoder refuses
 * a RuleParameters that names no value (leave it out instead), so a meaning
 * has one encoding; ranges are the rule book's to check (rules 2 and 18), so
 * that every verifier refuses an out-of-range value with the same reason. */
typedef struct {
    uint32_t feedback_per_day;      /* rule 15: per key per 24 hours */
    uint32_t open_feedback_per_day; /* rule 15: keys outside the roster, per day, whole log */
    uint32_t partial_percent;       /* the audit's partially_delivered threshold, 1..99 */
} gs_rule_parameters;

/* True when p names at least one value. */
bool gs_rule_parameters_set(const gs_rule_parameters *p);

typedef enum {
    GS_EVIDENCE_SPLIT_VIEW = 1,
    GS_EVIDENCE_ROLLBACK = 2,
    GS_EVIDENCE_BAD_ENTRIES = 3,
    GS_EVIDENCE_RULE_VIOLATION = 4,
} gs_evidence_kind;

typedef struct {
    gs_evidence_kind kind;
    const char *origin;
    const char *log_key;      /* verifier key string */
    const char *checkpoint_a; /* signed note texts; may be NULL when not used */
    const char *checkpoint_b;
    const gs_hash *consistency_proof;
    size_t n_consistency_proof;
    uint64_t first_index;
    gs_buf *entries;
    size_t n_entries;
    const gs_hash *inclusion_proof;
    size_t n_inclusion_proof;
    const gs_hash *frontier;
    size_t n_frontier;
    const char *reason;
    int64_t detected_at;
    /* The one-node forms (evidence.h): the node at (level, first_index). */
    uint32_t level;
    bool has_node_hash_b;
    gs_hash node_hash_b;
    bool has_node_hash_a;
    gs_hash node_hash_a;
    const gs_hash *inclusion_proof_a;
    size_t n_inclusion_proof_a;
    /* A split history form of kind d (evidence.h): part (from 1) of parts;
     * both 0 when not split. */
    uint32_t part;
    uint32_t parts;
    bool has_previous_part;
    gs_hash previous_part;
    /* The rotations of the log key below the size of one of the
     * checkpoints, proven in its tree (evidence.h); none when it never
     * rotated. Decoded: owned. */
    struct gs_key_link *log_key_chain;
    size_t n_log_key_chain;
} gs_evidence;

typedef struct {
    gs_pubkey signer;
    uint64_t seq;
    int64_t issued_at;
    const char *origin;
    gs_body_kind kind;
    union {
        struct {
            const char *unit;
            gs_tier tier;
            const char *display_name;
            const char *parent_origin; /* NULL when none */
            bool has_parent_key;
            gs_pubkey parent_key;
            gs_rule_parameters parameters; /* all 0 when the Charter names none */
            const char *time_zone;         /* "" when the Charter names none */
        } charter;
        struct {
            gs_pubkey person;
            const char *name;
            gs_role role;
            const char *title;    /* "" when absent */
            const char *decision; /* "" when absent */
        } appointment;
        struct {
            const char *reason;
        } resignation;
        struct {
            gs_pubkey person;
            const char *reason;
        } dismissal;
        struct {
            gs_pubkey new_key;
        } key_rotation;
        struct {
            const char *id;
            const char *title;
            const char *indicator;
            const char *unit_of_measure;
            int64_t target;
            gs_direction direction;
            int64_t deadline;
            bool has_parent;
            gs_ref parent;
        } commitment;
        struct {
            const char *commitment_id;
            int64_t value;
            const char *note;
            bool has_evidence;
            gs_hash evidence_hash;
        } progress;
        struct {
            const char *commitment_id;
            int64_t value;
            bool has_evidence;
            gs_hash evidence_hash;
        } outcome;
        struct {
            gs_ref about;
            gs_severity severity;
            const char *text;
            bool has_evidence;
            gs_hash evidence_hash;
            gs_verdict verdict;
        } finding;
        struct {
            bool has_about;
            gs_ref about;
            const char *text;
            uint32_t rating; /* 0: none; the rule book wants 1..5 */
        } feedback;
        struct {
            gs_ref to;
            const char *text;
        } response;
        struct {
            const char *origin;
            uint64_t size;
            gs_hash root;
            int64_t time;
        } observation;
        gs_evidence evidence;
        struct {
            gs_rule_parameters parameters; /* names at least one value */
        } parameter_change;
        struct {
            const char *commitment_id;
            bool has_target; /* target is the new target */
            int64_t target;
            int64_t deadline; /* 0: unchanged */
            const char *reason;
        } revision;
    } u;
} gs_statement;

/* A SignedStatement split into its two fields. Both borrow from the bytes it
 * was decoded from. */
typedef struct {
    gs_bytes statement;
    gs_sig signature;
} gs_signed_statement;

int gs_wire_decode_signed_statement(gs_bytes in, gs_signed_statement *out, gs_error *err);
int gs_wire_decode_statement(gs_bytes in, gs_statement *out, gs_error *err);
void gs_statement_clear(gs_statement *st);
int gs_wire_encode_statement(const gs_statement *st, gs_buf *out, gs_error *err);
/* SHA-256 of ev's Evidence message as gs_wire_encode_statement encodes it
 * inside a statement (the one canonical encoding): what a split evidence's
 * next part names as previous_part. */
int gs_wire_evidence_hash(const gs_evidence *ev, gs_hash *out, gs_error *err);
int gs_wire_encode_signed_statement(gs_bytes statement, const gs_sig *sig, gs_buf *out,
                                    gs_error *err);
/* Encodes st, signs it with kp under GS_DOMAIN_STATEMENT and returns the
 * entry bytes (a serialized SignedStatement). st->signer must be kp->pub. */
int gs_wire_sign_statement(const gs_statement *st, const gs_keypair *kp, gs_buf *entry,
                           gs_error *err);
/* Decodes an entry, checks its signature over the bytes that arrived, and
 * decodes the statement inside. The one way the node, hub and auditor read
 * an entry. GS_EVERIFY for a bad signature. */
int gs_wire_open_entry(gs_bytes entry, gs_statement *out, gs_error *err) GS_MUST_USE;

/* Receipts (docs/formats.md "Receipts"). A node's promise that an entry is
 * in its log at an index, in one of two forms, both verifiable offline from
 * the receipt alone and the node's key:
 * - single: the node's signature over GS_DOMAIN_RECEIPT || receipt;
 * - batch: one signature for a whole group commit, over
 *   GS_DOMAIN_RECEIPT_BATCH || uint64 big-endian batch_size || root, root
 *   being the RFC 6962 Merkle root over the batch's serialized Receipts;
 *   each receipt carries its index in the batch and its audit path. */
typedef struct {
    const char *origin;
    uint64_t index;
    gs_hash leaf_hash;
    int64_t time;
    /* Set by gs_wire_open_receipt (ignored when signing): 0 for a single
     * receipt; else the size of the batch it was signed in and its index
     * there. */
    uint64_t batch_size;
    uint64_t batch_index;
} gs_receipt;

void gs_receipt_clear(gs_receipt *r);
/* Encodes and signs under GS_DOMAIN_RECEIPT: out is a serialized SignedReceipt
 * of the single form. */
int gs_wire_sign_receipt(const gs_receipt *r, const gs_keypair *kp, gs_buf *out, gs_error *err);
/* Signs the n >= 1 receipts rs with one signature (batch form): out[i] is the
 * serialized SignedReceipt of rs[i], carrying its path. On failure every
 * out[i] is empty. The caller frees each out[i]. */
int gs_wire_sign_receipt_batch(const gs_receipt *rs, size_t n, const gs_keypair *kp, gs_buf *out,
                               gs_error *err);
/* Decodes a SignedReceipt of either form and verifies it against the node's
 * key: the one receipt verifier (submit, evidence, tests). GS_EVERIFY when
 * the signature or the batch path does not hold, GS_EINVAL when malformed. */
int gs_wire_open_receipt(gs_bytes in, const gs_pubkey *node_key, gs_receipt *out,
                         gs_error *err) GS_MUST_USE;

/* One rotation of a log's key proved included in a tree that the message
 * carrying it names (KeyChainLink: GetKeyChain's answer, a bundle, evidence;
 * docs/formats.md "Key chains"). A decoded link owns entry and proof; one
 * built for encoding may borrow them (nothing frees them then). */
typedef struct gs_key_link {
    uint64_t index; /* leaf index of the KeyRotation */
    gs_buf entry;   /* serialized SignedStatement */
    gs_hash *proof; /* inclusion of entry at index */
    size_t n_proof;
} gs_key_link;

/* Frees the entries and proofs of n owned links and the array itself. */
void gs_key_links_free(gs_key_link *links, size_t n);

/* ------------------------------------------------------------ protocol */

typedef enum {
    GS_STATUS_OK = 0,
    GS_STATUS_INVALID_ARGUMENT = 1,
    GS_STATUS_UNAUTHENTICATED = 2,
    GS_STATUS_PERMISSION_DENIED = 3,
    GS_STATUS_NOT_FOUND = 4,
    GS_STATUS_CONFLICT = 5,
    GS_STATUS_RESOURCE_EXHAUSTED = 6,
    GS_STATUS_UNAVAILABLE = 7,
    GS_STATUS_INTERNAL = 8,
} gs_status_code;

const char *gs_status_name(gs_status_code c); /* "INVALID_ARGUMENT" */
/* Maps a GS_E… error code to the status a daemon answers with. */
gs_status_code gs_status_from_error(int code);

typedef enum {
    GS_OP_NONE = 0,
    GS_OP_SUBMIT,
    GS_OP_GET_CHECKPOINT,
    GS_OP_GET_ENTRIES,
    GS_OP_GET_INCLUSION_PROOF,
    GS_OP_GET_CONSISTENCY_PROOF,
    GS_OP_ADD_CHECKPOINT,
    GS_OP_GET_EVIDENCE,
    GS_OP_GET_SIGNER_STATE,
    GS_OP_GET_KEY_CHAIN,
} gs_op;

typedef struct {
    uint32_t version;
    uint64_t id;
    gs_op op;
    const char *origin; /* every op but SUBMIT and ADD_CHECKPOINT; "" when left out */
    union {
        struct {
            gs_buf entry; /* the SignedStatement bytes, as they arrived */
        } submit;
        struct {
            uint64_t start;
            uint32_t count; /* 0..GS_MAX_ENTRIES; 0: as many as the server gives */
        } get_entries;
        struct {
            uint64_t index;
            uint64_t size;
        } get_inclusion_proof;
        struct {
            uint64_t old_size;
            uint64_t new_size;
        } get_consistency_proof;
        struct {
            uint64_t old_size;
            const gs_hash *proof;
            size_t n_proof;
            const char *checkpoint;
        } add_checkpoint;
        struct {
            gs_pubkey signer;
        } get_signer_state;
        struct {
            uint64_t size; /* 0: the size served now */
        } get_key_chain;
    } u;
} gs_request;

typedef enum {
    GS_RESULT_NONE = 0,
    GS_RESULT_RECEIPT,
    GS_RESULT_CHECKPOINT,
    GS_RESULT_ENTRIES,
    GS_RESULT_PROOF,
    GS_RESULT_COSIGNATURE,
    GS_RESULT_CONFLICT,
    GS_RESULT_EVIDENCE,
    GS_RESULT_SIGNER_STATE,
    GS_RESULT_KEY_CHAIN,
} gs_result_kind;

typedef struct {
    uint64_t id;
    gs_status_code code;
    const char *message; /* "" on OK */
    gs_result_kind result;
    union {
        gs_buf receipt;         /* serialized SignedReceipt */
        const char *checkpoint; /* note text */
        struct {
            uint64_t start;
            gs_buf *entries;
            size_t n;
        } entries;
        struct {
            uint64_t index;
            uint64_t size;
            gs_hash *hashes;
            size_t n;
        } proof;
        const char *cosignature; /* signature lines */
        uint64_t conflict_size;
        struct {
            gs_buf *items;
            size_t n;
        } evidence;
        struct {
            uint64_t next_seq;
            bool active;
        } signer_state;
        struct {
            uint64_t size; /* the tree the proofs are in */
            gs_key_link *links;
            size_t n;
        } key_chain;
    } u;
} gs_response;

/* max is the largest frame accepted (GS_MAX_MESSAGE by default). */
int gs_wire_decode_request(gs_bytes in, size_t max, gs_request *out, gs_error *err);
int gs_wire_encode_request(const gs_request *rq, gs_buf *out, gs_error *err);
void gs_request_clear(gs_request *rq);
int gs_wire_decode_response(gs_bytes in, size_t max, gs_response *out, gs_error *err);
int gs_wire_encode_response(const gs_response *rs, gs_buf *out, gs_error *err);
void gs_response_clear(gs_response *rs);

/* ------------------------------------------------------------- bundles */

typedef struct {
    const char *origin;
    uint64_t index;
    gs_buf entry;
    gs_hash *inclusion_proof;
    size_t n_inclusion_proof;
    const char *checkpoint;
    uint64_t signer_index;
    gs_buf signer_entry;
    gs_hash *signer_inclusion_proof;
    size_t n_signer_inclusion_proof;
    /* rotations of the log key below the checkpoint's size, proven in its
     * tree (none when the key never rotated) */
    gs_key_link *log_key_chain;
    size_t n_log_key_chain;
} gs_bundle;

int gs_wire_decode_bundle(gs_bytes in, gs_bundle *out, gs_error *err);
int gs_wire_encode_bundle(const gs_bundle *b, gs_buf *out, gs_error *err);
void gs_bundle_clear(gs_bundle *b);

#endif
