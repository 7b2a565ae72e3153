/* rules.h — the rule book (DESIGN §4, STYLE §6).
 *
 * Validity is a pure function of (state, statement, parameters) → accept, or
 * a reason. The node runs it before it appends, the hub while it replicates,
 * the auditor while it replays; none of them re-implements a rule, so they
 * cannot disagree. Time comes in as a parameter, so tests never sleep.
 *
 * Every limit a rule uses is read from the log itself (DESIGN §2.8): the
 * Charter declares the rule parameters (gs_rule_parameters, defaults where it
 * names none) and a ParameterChange of the log key changes them for every
 * statement after it (rule 18). The state holds the parameters in force; no
 * caller can pass another value, so no daemon's configuration can make two
 * verifiers disagree.
 *
 * A gs_rules_state describes one log (one origin). It holds what the log has
 * established so far and nothing per entry: the roster (every tenure — who
 * held which role, with which key, from when to when and how it ended), every
 * key seen with its last seq and its rotation, the log key, the commitments
 * (id, owner, status, the target and deadline in force and the original
 * ones, revisions, index, leaf hash) and the number of
 * statements. Memory grows with people and commitments, not with entries.
 * References to other entries of the log are checked through the caller's
 * entry_at callback (see gs_rules_params), which reads its store.
 *
 * Signatures are not checked here: gs_wire_open_entry verifies each one over
 * the bytes that arrived before the statement reaches the rule book.
 *
 * ======================================================================
 * THE RULE BOOK
 * Every rule below has its reason code (gs_rule_reason) in brackets. Rules
 * 0–6 apply to every statement, in that order (a Charter's contents, rule 2,
 * are checked after rule 6); then the rule of the statement's body. The
 * first check that fails is the verdict.
 *
 * 0. Shape. The statement names a known body and carries its required
 *    fields: an origin, a charter's unit, tier and display name, an
 *    appointee's name and a known role, a commitment id and a known
 *    direction, a known severity and verdict (none, confirms, contests), an
 *    observation's origin, a parameter change's value (at least one), a
 *    revision's commitment id and reason.                    [malformed]
 *    At submission (params.replay false, as rule 6), names, ids and texts
 *    (everything but Observation and Evidence) carry no bidi control
 *    (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and no
 *    zero-width character (U+200B–U+200D, U+2060, U+FEFF), which could
 *    reverse or hide text in a report; replays accept them, since older
 *    logs may hold them, and reports escape them.            [malformed]
 *
 * 1. Address. The statement's origin is exactly the log's origin, so a
 *    statement signed for one log can never be replayed into another.
 *                                                          [wrong-origin]
 *
 * 2. The Charter. Entry 0 is a Charter [charter-not-first]; there is never
 *    a second one [second-charter]. Its signer becomes the log key. Its
 *    tier and unit spell the log's origin: giamsat/<commune|province|
 *    central>/<unit> with the matching tier, or giamsat/hub/<name> with tier
 *    hub [charter-mismatch]. A parent, when named, is a valid origin of a
 *    strictly higher node tier (commune < province < central) and comes with
 *    the parent's log key; a central or hub log names no parent, and a parent
 *    key never comes without a parent origin [charter-parent]. The rule
 *    parameters it names are in range, as in rule 18 [bad-parameter]; those
 *    it does not name take their defaults (GS_RULES_FEEDBACK_PER_DAY; no
 *    open budget, so that logs made before open_feedback_per_day existed
 *    keep their verdicts — `giamsat node init` always names it;
 *    GS_RULES_PARTIAL_PERCENT). Its time zone, when named, has the shape of
 *    an IANA name (gs_tz_name_valid: shape only, never whether a machine
 *    knows the zone, so no verifier's tzdata decides a verdict); an empty
 *    one means GS_DEFAULT_TIME_ZONE.                        [bad-time-zone]
 *
 * 3. Log kind. A hub log holds only its Charter, Observations, Evidence and
 *    the hub key's own KeyRotations (so no ParameterChange and no Revision);
 *    a node log holds no Observation or Evidence.         [wrong-log-kind]
 *
 * 4. Retired keys. A key that was rotated away signs nothing ever again, is
 *    never appointed, dismissed or rotated to again.        [key-rotated]
 *
 * 5. Replay. seq is strictly increasing per signer in this log; the first
 *    seq of a key is at least 1.                           [replayed-seq]
 *
 * 6. Clock. At submission (params.replay false) with params.max_skew > 0,
 *    issued_at is within ±max_skew of params.now. Replays (hubs, auditors)
 *    do not check it: history is judged by the rules, not by today's clock.
 *                                                            [clock-skew]
 *
 * 7. Standing. Acts of office (resign, rotate, commit, progress, outcome,
 *    revision, finding, response) need the signer to be an active member. A member
 *    who resigned or was dismissed signs nothing after [resigned]
 *    [dismissed] except Feedback, as any citizen may; a key that never held
 *    office is [not-member]. The log key is the unit's machine key, not a
 *    person: it signs the Charter, Appointments, Dismissals, its own
 *    KeyRotations, ParameterChanges and, in hub logs, Observations and
 *    Evidence — nothing else [role-forbids].
 *
 * 8. Appointment. A head is appointed by the log key only; other roles by
 *    the log key or the head in office [role-forbids]. The appointee is a
 *    person's key, never the log key [key-in-use]; not already an active
 *    member (dismiss first: one role at a time) [already-member]. There is one head at a time: a
 * new head needs the old one to have resigned or been dismissed [head-in-office]. A former member
 * (resigned or dismissed) may be appointed again; their seq continues.
 *
 * 9. Resignation. Signed by an active member about themselves (rule 7).
 *
 * 10. Dismissal. Signed by the log key or the head in office
 *    [role-forbids]. The head does not dismiss themselves — they resign —
 *    so only the log key dismisses a head [self-dismissal]. The person is
 *    an active member [target-not-member].
 *
 * 11. KeyRotation. Signed by an active member or by the log key. The new
 *    key is unused in this log: it has never signed, never been appointed
 *    and is not the log key [key-in-use]. Afterwards the old key is retired
 *    (rule 4); a member's tenure ends "rotated" and a new tenure with the
 *    same role, name and title starts on the new key (the head stays head);
 *    a rotated log key makes the new key the log key. The new key's seq
 *    starts at 1, since it has no history. Commitments follow their owner to
 *    the new key.
 *
 * 12. Commitment. Signed by an active head, deputy or officer, who becomes
 *    its owner; inspectors supervise and do not own the unit's promises
 *    [role-forbids]. The id is unique in the log
 *    [duplicate-commitment]. deadline > issued_at [bad-deadline]. A parent
 *    reference into this log names an existing entry [reference-not-found]
 *    whose leaf hash matches [reference-mismatch] and which is a
 *    Commitment [reference-wrong-kind] — all read from the state, without
 *    entry_at; a parent in another log is the auditor's to check.
 *
 * 13. Progress and Outcome. The commitment exists [no-such-commitment] and
 *    is open: an Outcome closes it, and nothing follows an Outcome
 *    [commitment-closed]. The signer is the owner (through any key
 *    rotations) while the owner is an active member; once the owner has
 *    resigned or been dismissed, the head in office answers for it
 *    [not-owner].
 *
 * 14. Finding. Signed by an active inspector of this log [role-forbids].
 *    An `about` reference into this log must exist and match (rule 12's
 *    reference checks, read through entry_at); one into another log is the
 *    auditor's to check. A finding with a verdict (confirms or contests)
 *    judges a claim: its `about` names a Progress or an Outcome
 *    [reference-wrong-kind]; without a verdict it may name any entry.
 *
 * 15. Feedback. Any key that is not retired and is not the log key
 *    [role-forbids] — citizens need no appointment. Its rating is 0 (none)
 *    or 1 (worst) to 5 (best) [bad-rating]. At most
 *    feedback_per_day (the parameter in force, rule 18) Feedback statements
 *    per key whose issued_at falls in the 24 hours before this one's
 *    issued_at (or after it), counted from the state, so a replay reaches
 *    the same verdict [rate-limited]. Feedback from a key outside the roster
 *    (never appointed in this log: an "open" submission) also counts
 *    against the log's budget open_feedback_per_day (the parameter in
 *    force, rule 18; none when the Charter named none): at most that many
 *    open Feedback statements per UTC day of issued_at, for the whole log
 *    [open-budget]. So a client with fresh
 *    keys cannot flood a log, and the state needed stays bounded: the log's
 *    clock is the largest issued_at it holds, a Feedback dated two days or
 *    more before it counts for nothing any more (its per-key record is
 *    dropped), and an open Feedback dated before yesterday (by that clock)
 *    is counted on yesterday. A key's seq (rule 5) is kept forever. An
 *    `about` reference into this log is checked as in rule 12.
 *
 * 16. Response. Signed by an active member (rule 7). `to` points into this
 *    log [reference-other-log], to an existing entry with a matching leaf
 *    hash that is a Finding or a Feedback [reference-wrong-kind].
 *
 * 17. Observation and Evidence. Only in hub logs (rule 3), signed only by
 *    the hub's log key, as is a KeyRotation in a hub log [role-forbids].
 *
 * 18. ParameterChange. Node logs only (rule 3), signed by the log key only
 *    [role-forbids]. Every value it names is in range — feedback_per_day
 *    1..GS_RULES_FEEDBACK_MAX, open_feedback_per_day
 *    1..GS_RULES_OPEN_FEEDBACK_MAX, partial_percent 1..99 (the share of a
 *    target an outcome must reach to count as partially delivered; the
 *    audit's threshold, no rule here uses it) [bad-parameter]. The values it names replace
 *    those in force for every statement after it (its own index is judged
 *    before it takes effect); the values it does not name stay. Counts such
 *    as rule 15's window include the statements before the change: lowering
 *    a limit binds at once, raising it frees at once.
 *
 * 19. Revision. A dated change of a commitment's target and/or deadline
 *    with a reason; the original stays as the baseline (the state keeps it)
 *    and every revision stays in the log. Signed as rule 13 (rule 7's
 *    standing, then): the commitment exists [no-such-commitment] and is
 *    open [commitment-closed]; the signer is its owner (through rotations)
 *    while the owner is in office, else the head in office [not-owner].
 *    Its issued_at is not after the deadline in force — the Commitment's,
 *    or the last accepted Revision's: a missed deadline stands
 *    [revision-after-deadline]. It changes something: a new target
 *    (has_target) and/or a new deadline (non-zero), at least one of them
 *    different from the one in force; a new deadline is after its
 *    issued_at [bad-revision]. From the next entry on, the target and
 *    deadline in force are the revised ones (rules 13 and 19 judge against
 *    them); the direction never changes.
 *
 * Caller errors have their own reasons: a NULL argument or a caller
 * parameter out of range [bad-argument], gs_rules_apply at an index other
 * than the number of statements held [out-of-order], an entry_at callback
 * that is missing or fails [entry-unavailable], memory exhausted in apply
 * [no-memory]. [bad-signature] and [malformed] for bytes that do not decode
 * are verdicts of the ingestion pipeline (common/ingest.h) that feeds the rule
 * book: this module never sees signatures and never returns bad-signature.
 * ======================================================================
 */
#ifndef GS_RULES_H
#define GS_RULES_H

#include <stdbool.h>

#include "error.h"
#include "types.h"
#include "wire.h"

/* One value per rule; values are stable (they may be stored or compared). */
typedef enum {
    GS_RULE_OK = 0,
    GS_RULE_BAD_ARGUMENT,
    GS_RULE_OUT_OF_ORDER,
    GS_RULE_MALFORMED,
    GS_RULE_WRONG_ORIGIN,
    GS_RULE_CHARTER_NOT_FIRST,
    GS_RULE_SECOND_CHARTER,
    GS_RULE_CHARTER_MISMATCH,
    GS_RULE_CHARTER_PARENT,
    GS_RULE_WRONG_LOG_KIND,
    GS_RULE_KEY_ROTATED,
    GS_RULE_REPLAYED_SEQ,
    GS_RULE_CLOCK_SKEW,
    GS_RULE_NOT_MEMBER,
    GS_RULE_RESIGNED,
    GS_RULE_DISMISSED,
    GS_RULE_ROLE_FORBIDS,
    GS_RULE_KEY_IN_USE,
    GS_RULE_ALREADY_MEMBER,
    GS_RULE_HEAD_IN_OFFICE,
    GS_RULE_TARGET_NOT_MEMBER,
    GS_RULE_SELF_DISMISSAL,
    GS_RULE_DUPLICATE_COMMITMENT,
    GS_RULE_BAD_DEADLINE,
    GS_RULE_NO_SUCH_COMMITMENT,
    GS_RULE_COMMITMENT_CLOSED,
    GS_RULE_NOT_OWNER,
    GS_RULE_REFERENCE_NOT_FOUND,
    GS_RULE_REFERENCE_MISMATCH,
    GS_RULE_REFERENCE_WRONG_KIND,
    GS_RULE_REFERENCE_OTHER_LOG,
    GS_RULE_RATE_LIMITED,
    GS_RULE_ENTRY_UNAVAILABLE,
    GS_RULE_NO_MEMORY,
    GS_RULE_BAD_SIGNATURE, /* not returned here: see the end of the rule book */
    GS_RULE_BAD_PARAMETER,
    GS_RULE_OPEN_BUDGET,
    /* issue 10 */
    GS_RULE_REVISION_AFTER_DEADLINE,
    GS_RULE_BAD_REVISION,
    GS_RULE_BAD_RATING,
    GS_RULE_BAD_TIME_ZONE,
} gs_rule_reason;

/* Rule 0's texts: when the UTF-8 string s starts with a bidi control or a
 * zero-width character (the list in rule 0), its code point into *cp and its
 * length in bytes; 0 otherwise. For printing older history safely too. */
size_t gs_rules_invisible(const char *s, uint32_t *cp);

/* A stable short name: "replayed-seq", "not-owner", …; "unknown" otherwise. */
const char *gs_rules_reason_name(gs_rule_reason r);

/* The verdict: reason GS_RULE_OK and code 0 on accept; otherwise the rule
 * that refused, the GS_E… code the call returned (EINVAL for malformed or
 * misaddressed input, EPERM for authority, ECONFLICT for what contradicts
 * the log, ENOTFOUND for what it does not hold, EVERIFY for a hash that does
 * not match, ETOOBIG for the feedback limits) and a sentence a person can act
 * on. */
typedef struct {
    gs_rule_reason reason;
    int code;
    char message[GS_ERROR_MSG_MAX];
} gs_rule_verdict;

/* Reads the leaf hash and body kind of entry `index` (< the number of
 * statements held) of this log from the caller's store. Returns 0, or a
 * negative GS_E… code with err filled; the rule book then refuses with
 * [entry-unavailable] and that code. */
typedef int (*gs_rules_entry_fn)(void *ctx, uint64_t index, gs_hash *leaf_hash, gs_body_kind *kind,
                                 gs_error *err);

#define GS_RULES_FEEDBACK_PER_DAY 10 /* rule 15's limit when the Charter names none */
#define GS_RULES_FEEDBACK_MAX 32     /* the largest limit a state can count */
/* rule 15's budget of open Feedback (keys outside the roster) per day for
 * the whole log, as `giamsat node init` names it by default (a Charter that
 * names none sets no budget: 0 in force), and its largest value */
#define GS_RULES_OPEN_FEEDBACK_PER_DAY 1000
#define GS_RULES_OPEN_FEEDBACK_MAX 1000000
/* the audit's partially_delivered threshold (percent of the target) when the
 * Charter names none */
#define GS_RULES_PARTIAL_PERCENT 75

/* What the caller brings to a verdict: the clock and a way to read entries.
 * Nothing here may change what is valid in a replay (rule parameters live in
 * the log, rule 18). */
typedef struct {
    int64_t now;      /* unix seconds */
    int64_t max_skew; /* seconds; 0: issued_at is not checked */
    bool replay;      /* hub/auditor replaying history: skew is not checked */
    /* Needed only for statements that reference an entry of this log
     * (Finding, Feedback with about, Response, Commitment parents are read
     * from the state). NULL: such statements are refused. */
    gs_rules_entry_fn entry_at;
    void *entry_ctx;
} gs_rules_params;

typedef struct gs_rules_state gs_rules_state;

/* A state for the empty log of origin (checked with gs_origin_valid).
 * Caller owns the result. */
int gs_rules_state_new(gs_rules_state **out, const char *origin, gs_error *err);
/* A deep copy, e.g. to try a batch and drop it if the commit fails. */
int gs_rules_state_clone(gs_rules_state **out, const gs_rules_state *s, gs_error *err);
/* Frees *sp and sets it to NULL; safe on NULL. */
void gs_rules_state_free(gs_rules_state **sp);

/* Would the statement be accepted as the next entry (index = statements
 * held)? Pure: s is not modified. leaf_hash is the statement's own leaf hash
 * (may be NULL here; apply needs it). Returns 0, or the negative code also
 * put in v->code. */
int gs_rules_check(const gs_rules_state *s, const gs_statement *st, const gs_hash *leaf_hash,
                   const gs_rules_params *p, gs_rule_verdict *v) GS_MUST_USE;
/* gs_rules_check, then records the statement as entry `index`, which must be
 * the number of statements held. On any refusal s is unchanged. */
int gs_rules_apply(gs_rules_state *s, const gs_statement *st, const gs_hash *leaf_hash,
                   uint64_t index, const gs_rules_params *p, gs_rule_verdict *v) GS_MUST_USE;

/* ------------------------------------------------------------- queries
 * Strings returned are borrowed from the state: valid until the next
 * gs_rules_apply on it or gs_rules_state_free. */

const char *gs_rules_origin(const gs_rules_state *s);
uint64_t gs_rules_size(const gs_rules_state *s); /* statements applied */
/* The current log key; GS_ENOTFOUND before the Charter. */
int gs_rules_log_key(const gs_rules_state *s, gs_pubkey *out);
/* The Charter's tier; 0 before the Charter. */
gs_tier gs_rules_tier(const gs_rules_state *s);
/* The rule parameters in force for the next statement, every field at its
 * effective value (defaults before the Charter). *since_index (may be NULL)
 * is the entry that last set them: 0 for the Charter, else the latest
 * ParameterChange. */
void gs_rules_parameters(const gs_rules_state *s, gs_rule_parameters *out, uint64_t *since_index);

/* For GetSignerState: the seq the key's next statement must at least carry
 * (1 for an unknown key), and whether the key may sign acts of office now
 * (the log key, or an active member). A retired key reports active false. */
void gs_rules_signer_state(const gs_rules_state *s, const gs_pubkey *key, uint64_t *next_seq,
                           bool *active);

typedef enum {
    GS_TENURE_ACTIVE = 0, /* still in office */
    GS_TENURE_RESIGNED,
    GS_TENURE_DISMISSED,
    GS_TENURE_ROTATED, /* continued on a new key: see successor */
} gs_tenure_end;

const char *gs_tenure_end_name(gs_tenure_end e); /* "active", "resigned", … */

/* One tenure: one key holding one role from one entry to another. A person
 * re-appointed, or continuing on a rotated key, has several. */
typedef struct {
    gs_pubkey key;
    const char *name;
    const char *title;    /* "" when none */
    const char *decision; /* "" when none */
    gs_role role;
    uint64_t since_index; /* the Appointment, or the KeyRotation that began it */
    int64_t since_time;   /* that statement's issued_at */
    gs_pubkey appointed_by;
    gs_tenure_end ended;  /* GS_TENURE_ACTIVE while in office */
    uint64_t until_index; /* set when ended != GS_TENURE_ACTIVE */
    int64_t until_time;
    gs_pubkey ended_by;   /* who resigned, dismissed or rotated */
    bool has_predecessor; /* began by a KeyRotation from this key */
    gs_pubkey predecessor;
    bool has_successor; /* ended by a KeyRotation to this key */
    gs_pubkey successor;
} gs_rules_member;

/* Tenures in the order they began. */
size_t gs_rules_member_count(const gs_rules_state *s);
int gs_rules_member_at(const gs_rules_state *s, size_t i, gs_rules_member *out);
/* The latest tenure of key (active or not); GS_ENOTFOUND if never appointed. */
int gs_rules_member_by_key(const gs_rules_state *s, const gs_pubkey *key, gs_rules_member *out);
/* The head in office; GS_ENOTFOUND when there is none. */
int gs_rules_head(const gs_rules_state *s, gs_rules_member *out);

typedef struct {
    const char *id;
    gs_pubkey owner;         /* the key that signed the Commitment */
    gs_pubkey owner_current; /* the owner's key after any rotations */
    bool open;               /* false once its Outcome is applied */
    int64_t target;          /* in force: the last Revision's, else the Commitment's */
    gs_direction direction;
    int64_t deadline;          /* in force, as target */
    int64_t baseline_target;   /* the Commitment's own */
    int64_t baseline_deadline; /* the Commitment's own */
    uint64_t revision_count;   /* Revisions accepted */
    int64_t issued_at;
    uint64_t index;
    gs_hash leaf_hash;
    uint64_t progress_count;
    int64_t outcome_value;  /* set when !open */
    uint64_t outcome_index; /* set when !open */
    gs_pubkey outcome_by;   /* set when !open */
} gs_rules_commitment;

/* Commitments in log order. */
size_t gs_rules_commitment_count(const gs_rules_state *s);
int gs_rules_commitment_at(const gs_rules_state *s, size_t i, gs_rules_commitment *out);
/* GS_ENOTFOUND when no commitment has this id. */
int gs_rules_commitment_get(const gs_rules_state *s, const char *id, gs_rules_commitment *out);

/* ------------------------------------------------------------- snapshots
 * A node persists its rule state at checkpoints so that it starts without
 * replaying its whole log (common/ingest.h, gs_ingest_snapshot_save). The
 * bytes hold every field that decides a verdict, in a fixed order (format:
 * docs/formats.md "Rule-state snapshots"): two states that hold the same
 * history write the same bytes, so a full replay can be compared with a
 * snapshot byte for byte. The bytes carry no integrity check of their own:
 * the caller binds them to a tree size and root and hashes them. */

/* Writes the state into *out (malloc'd; gs_buf_free). */
int gs_rules_snapshot_write(const gs_rules_state *s, gs_buf *out, gs_error *err) GS_MUST_USE;
/* A state for origin from bytes gs_rules_snapshot_write made. Bytes that do
 * not parse, name another origin or hold references out of range are
 * GS_ECORRUPT (never a crash, whatever the bytes). Caller owns the result. */
int gs_rules_snapshot_read(gs_rules_state **out, const char *origin, gs_bytes blob,
                           gs_error *err) GS_MUST_USE;

/* The log keys the log has had, oldest first: keys[0] is the Charter's
 * signer, keys[i] (i > 0) became the log key by the KeyRotation at entry
 * at[i] (at[0] is 0). Fills at most cap of each; returns how many there are
 * (0 before the Charter). What a key chain (common/keychain.h) learns from
 * the same entries, without reading them again. */
size_t gs_rules_log_key_history(const gs_rules_state *s, gs_pubkey *keys, uint64_t *at, size_t cap);

#endif
