/* test_rules.c — the rule book (common/rules.h), case by case.
 *
 * A small scenario builder: keys come from fixed seeds, statements are built
 * as structs (no encoding), leaf hashes are RFC 6962 leaf hashes of a label
 * naming the entry. Each table case starts from a base log, applies its setup
 * steps (each must be accepted), then checks one final statement and asserts
 * the exact code, reason and, for some, a phrase of the message. Every case
 * also asserts that gs_rules_check left the state untouched and that
 * gs_rules_apply reaches the same verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "merkle.h"
#include "rules.h"
#include "wire.h"

/* ----------------------------------------------------------- the world */

enum { K_LOG, K_HEAD, K_DEPUTY, K_OFFICER, K_INSPECTOR, K_CITIZEN, K_NEW1, K_NEW2, K_X, N_KEYS };

typedef enum {
    OP_END = 0,
    OP_CHARTER,
    OP_APPOINT,
    OP_RESIGN,
    OP_DISMISS,
    OP_ROTATE,
    OP_COMMIT,
    OP_PROGRESS,
    OP_OUTCOME,
    OP_FINDING,
    OP_FEEDBACK,
    OP_RESPONSE,
    OP_OBSERVATION,
    OP_EVIDENCE,
    OP_PARAMS,
    OP_OPEN_PARAMS, /* a ParameterChange naming open_feedback_per_day = value */
    OP_REVISE,      /* a Revision of commitment id; what it names: F_REV_* */
} op_kind;

/* Tweaks to one step. */
#define F_SEQ_REPLAY (1u << 0)    /* reuse the signer's last seq */
#define F_SEQ_ZERO (1u << 1)      /* seq 0 */
#define F_SEQ_JUMP (1u << 2)      /* skip 10 seqs ahead */
#define F_SKEW_AHEAD (1u << 3)    /* issued_at one hour after now */
#define F_SKEW_BEHIND (1u << 4)   /* issued_at one hour before now */
#define F_REPLAY (1u << 5)        /* judged as a replay (skew not checked) */
#define F_WRONG_ORIGIN (1u << 6)  /* addressed to another log */
#define F_BAD_HASH (1u << 7)      /* reference with a wrong leaf hash */
#define F_REF_FUTURE (1u << 8)    /* reference beyond the log */
#define F_REF_OTHER (1u << 9)     /* reference into another log */
#define F_DEADLINE_NOW (1u << 10) /* deadline == issued_at */
#define F_CHARTER_TIER (1u << 11) /* charter tier province in a commune log */
#define F_PARENT_SAME (1u << 12)  /* parent of the same tier */
#define F_PARENT_NOKEY (1u << 13) /* parent origin without its key */
#define F_NO_ENTRY_FN (1u << 14)  /* params without entry_at */
#define F_NEXT_DAY (1u << 15)     /* issued_at a day and a second later (replay) */
#define F_LATE_NOW (1u << 16)     /* the judge's clock is ten years on */
/* Revisions (rule 19); the commitment's deadline is issued_at + 90 days. */
#define F_REV_TARGET (1u << 17)       /* new target 10 (in force: 12) */
#define F_REV_SAME_TARGET (1u << 18)  /* "new" target 12, the one in force */
#define F_REV_DEADLINE (1u << 19)     /* new deadline issued_at + 30 days */
#define F_REV_DEADLINE_NOW (1u << 20) /* new deadline == issued_at */
#define F_AFTER_DEADLINE (1u << 21)   /* issued_at 91 days on (replay) */
#define F_AFTER_REVISED (1u << 22)    /* issued_at 31 days on (replay) */

typedef struct {
    op_kind op;
    int by;         /* signer */
    int who;        /* appointee, dismissed person, new key */
    int role;       /* appointment role */
    const char *id; /* commitment id; "c1" when NULL */
    int ref;        /* R(index) for parent, about, to; 0: none */
    unsigned flags;
    /* feedback_per_day named by OP_PARAMS (0: none) or OP_CHARTER (0:
     * FEEDBACK_LIMIT, NO_PARAMS: the Charter names no parameters). */
    int64_t value;
    /* Replaces the body's first name or text (display name, name, reason,
     * title, note, text) when not NULL. */
    const char *text;
    const char *tz;   /* OP_CHARTER: its time zone (NULL: none) */
    uint32_t partial; /* OP_CHARTER, OP_PARAMS: partial_percent named (0: none) */
} op;

#define NO_PARAMS (-1)

#define R(i) ((i) + 1)
#define MAX_ENTRIES 64
#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define SKEW 300
#define FEEDBACK_LIMIT 3

typedef enum { B_EMPTY, B_CHARTER, B_UNIT, B_HUB_EMPTY, B_HUB } base_kind;

typedef struct {
    gs_keypair kp[N_KEYS];
    uint64_t seq[N_KEYS];
    const char *origin;
    bool hub;
    gs_rules_state *s;
    gs_hash leaf[MAX_ENTRIES];
    gs_body_kind kind[MAX_ENTRIES];
    size_t n;
} world;

static int entry_at(void *ctx, uint64_t index, gs_hash *leaf_hash, gs_body_kind *kind,
                    gs_error *err)
{
    const world *w = ctx;
    if (index >= w->n)
        return gs_error_set(err, GS_ENOTFOUND, "no entry %llu", (unsigned long long)index);
    *leaf_hash = w->leaf[index];
    *kind = w->kind[index];
    return 0;
}

static void leaf_for(const world *w, size_t index, gs_hash *out)
{
    char label[160];
    int n = snprintf(label, sizeof label, "test entry %zu of %s", index, w->origin);
    gs_merkle_leaf_hash(gs_bytes_of(label, (size_t)n), out);
}

static gs_rules_params params_for(world *w, unsigned flags)
{
    gs_rules_params p;
    memset(&p, 0, sizeof p);
    p.now = (flags & F_LATE_NOW) ? NOW + 10 * 365 * 86400LL : NOW;
    p.max_skew = SKEW;
    p.replay = (flags & (F_REPLAY | F_NEXT_DAY | F_AFTER_DEADLINE | F_AFTER_REVISED)) != 0;
    p.entry_at = (flags & F_NO_ENTRY_FN) ? NULL : entry_at;
    p.entry_ctx = w;
    return p;
}

static void make_ref(const world *w, int ref, unsigned flags, gs_ref *out)
{
    uint64_t i = ref > 0 ? (uint64_t)(ref - 1) : 0;
    out->origin = (flags & F_REF_OTHER) ? "giamsat/province/tinh-b" : w->origin;
    out->index = (flags & F_REF_FUTURE) ? w->n + 5 : i;
    if (i < w->n)
        out->leaf_hash = w->leaf[i];
    else
        memset(&out->leaf_hash, 0x55, sizeof out->leaf_hash);
    if (flags & F_BAD_HASH)
        out->leaf_hash.b[7] ^= 0x01;
}

static void build(const world *w, const op *o, gs_statement *st)
{
    memset(st, 0, sizeof *st);
    st->signer = w->kp[o->by].pub;
    st->seq = w->seq[o->by] + 1;
    if (o->flags & F_SEQ_REPLAY)
        st->seq = w->seq[o->by];
    if (o->flags & F_SEQ_ZERO)
        st->seq = 0;
    if (o->flags & F_SEQ_JUMP)
        st->seq = w->seq[o->by] + 11;
    st->issued_at = NOW;
    if (o->flags & F_SKEW_AHEAD)
        st->issued_at = NOW + 3600;
    if (o->flags & F_SKEW_BEHIND)
        st->issued_at = NOW - 3600;
    if (o->flags & F_NEXT_DAY)
        st->issued_at = NOW + 86401;
    if (o->flags & F_AFTER_DEADLINE)
        st->issued_at = NOW + 91 * 86400;
    if (o->flags & F_AFTER_REVISED)
        st->issued_at = NOW + 31 * 86400;
    st->origin = (o->flags & F_WRONG_ORIGIN) ? "giamsat/commune/xa-b" : w->origin;
    const char *id = o->id != NULL ? o->id : "c1";
    switch (o->op) {
    case OP_CHARTER:
        st->kind = GS_BODY_CHARTER;
        st->u.charter.unit = w->hub ? "hub-a" : "xa-a";
        st->u.charter.tier = w->hub ? GS_TIER_HUB : GS_TIER_COMMUNE;
        if (o->flags & F_CHARTER_TIER)
            st->u.charter.tier = GS_TIER_PROVINCE;
        st->u.charter.display_name = "Xã A";
        if (!w->hub) {
            st->u.charter.parent_origin = "giamsat/province/tinh-a";
            st->u.charter.has_parent_key = true;
            st->u.charter.parent_key = w->kp[K_X].pub;
        }
        if (o->flags & F_PARENT_SAME)
            st->u.charter.parent_origin = "giamsat/commune/xa-b";
        if (o->flags & F_PARENT_NOKEY)
            st->u.charter.has_parent_key = false;
        if (o->value != NO_PARAMS)
            st->u.charter.parameters.feedback_per_day =
                (uint32_t)(o->value != 0 ? o->value : FEEDBACK_LIMIT);
        st->u.charter.parameters.partial_percent = o->partial;
        st->u.charter.time_zone = o->tz != NULL ? o->tz : "";
        break;
    case OP_PARAMS:
        st->kind = GS_BODY_PARAMETER_CHANGE;
        st->u.parameter_change.parameters.feedback_per_day = (uint32_t)o->value;
        st->u.parameter_change.parameters.partial_percent = o->partial;
        break;
    case OP_REVISE:
        st->kind = GS_BODY_REVISION;
        st->u.revision.commitment_id = id;
        st->u.revision.has_target = (o->flags & (F_REV_TARGET | F_REV_SAME_TARGET)) != 0;
        if (o->flags & F_REV_TARGET)
            st->u.revision.target = 10 * GS_FIXED_SCALE;
        if (o->flags & F_REV_SAME_TARGET)
            st->u.revision.target = 12 * GS_FIXED_SCALE;
        if (o->flags & F_REV_DEADLINE)
            st->u.revision.deadline = st->issued_at + 30 * 86400;
        if (o->flags & F_REV_DEADLINE_NOW)
            st->u.revision.deadline = st->issued_at;
        st->u.revision.reason = "the budget was cut by the province";
        break;
    case OP_OPEN_PARAMS:
        st->kind = GS_BODY_PARAMETER_CHANGE;
        st->u.parameter_change.parameters.open_feedback_per_day = (uint32_t)o->value;
        break;
    case OP_APPOINT:
        st->kind = GS_BODY_APPOINTMENT;
        st->u.appointment.person = w->kp[o->who].pub;
        st->u.appointment.name = "Nguyễn Văn A";
        st->u.appointment.role = (gs_role)o->role;
        st->u.appointment.title = "Chủ tịch";
        st->u.appointment.decision = "QD-1/2026";
        break;
    case OP_RESIGN:
        st->kind = GS_BODY_RESIGNATION;
        st->u.resignation.reason = "health";
        break;
    case OP_DISMISS:
        st->kind = GS_BODY_DISMISSAL;
        st->u.dismissal.person = w->kp[o->who].pub;
        st->u.dismissal.reason = "reassigned";
        break;
    case OP_ROTATE:
        st->kind = GS_BODY_KEY_ROTATION;
        st->u.key_rotation.new_key = w->kp[o->who].pub;
        break;
    case OP_COMMIT:
        st->kind = GS_BODY_COMMITMENT;
        st->u.commitment.id = id;
        st->u.commitment.title = "Paved roads";
        st->u.commitment.indicator = "km of road paved";
        st->u.commitment.unit_of_measure = "km";
        st->u.commitment.target = 12 * GS_FIXED_SCALE;
        st->u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st->u.commitment.deadline =
            (o->flags & F_DEADLINE_NOW) ? st->issued_at : st->issued_at + 90 * 86400;
        if (o->ref) {
            st->u.commitment.has_parent = true;
            make_ref(w, o->ref, o->flags, &st->u.commitment.parent);
        }
        break;
    case OP_PROGRESS:
        st->kind = GS_BODY_PROGRESS;
        st->u.progress.commitment_id = id;
        st->u.progress.value = 3 * GS_FIXED_SCALE;
        st->u.progress.note = "first section";
        break;
    case OP_OUTCOME:
        st->kind = GS_BODY_OUTCOME;
        st->u.outcome.commitment_id = id;
        st->u.outcome.value = 12 * GS_FIXED_SCALE;
        break;
    case OP_FINDING:
        st->kind = GS_BODY_FINDING;
        make_ref(w, o->ref ? o->ref : R(0), o->flags, &st->u.finding.about);
        st->u.finding.severity = GS_SEVERITY_MEDIUM;
        st->u.finding.text = "report late";
        st->u.finding.verdict = (gs_verdict)o->value;
        break;
    case OP_FEEDBACK:
        st->kind = GS_BODY_FEEDBACK;
        st->u.feedback.has_about = o->ref != 0;
        if (o->ref)
            make_ref(w, o->ref, o->flags, &st->u.feedback.about);
        st->u.feedback.text = "the road is not paved";
        st->u.feedback.rating = (uint32_t)o->value;
        break;
    case OP_RESPONSE:
        st->kind = GS_BODY_RESPONSE;
        make_ref(w, o->ref ? o->ref : R(0), o->flags, &st->u.response.to);
        st->u.response.text = "we will fix it";
        break;
    case OP_OBSERVATION:
        st->kind = GS_BODY_OBSERVATION;
        st->u.observation.origin = "giamsat/commune/xa-a";
        st->u.observation.size = 10;
        st->u.observation.time = NOW;
        break;
    case OP_EVIDENCE:
        st->kind = GS_BODY_EVIDENCE;
        st->u.evidence.kind = GS_EVIDENCE_SPLIT_VIEW;
        st->u.evidence.origin = "giamsat/commune/xa-a";
        st->u.evidence.reason = "two checkpoints of size 10 with different roots";
        st->u.evidence.detected_at = NOW;
        break;
    case OP_END: break;
    }
    if (o->text != NULL) {
        switch (st->kind) {
        case GS_BODY_CHARTER: st->u.charter.display_name = o->text; break;
        case GS_BODY_APPOINTMENT: st->u.appointment.name = o->text; break;
        case GS_BODY_RESIGNATION: st->u.resignation.reason = o->text; break;
        case GS_BODY_DISMISSAL: st->u.dismissal.reason = o->text; break;
        case GS_BODY_COMMITMENT: st->u.commitment.title = o->text; break;
        case GS_BODY_PROGRESS: st->u.progress.note = o->text; break;
        case GS_BODY_FINDING: st->u.finding.text = o->text; break;
        case GS_BODY_FEEDBACK: st->u.feedback.text = o->text; break;
        case GS_BODY_RESPONSE: st->u.response.text = o->text; break;
        case GS_BODY_REVISION: st->u.revision.reason = o->text; break;
        default: break;
        }
    }
}

/* Applies one step to w; returns the code and fills v. */
static int world_apply(world *w, const op *o, gs_rule_verdict *v)
{
    gs_statement st;
    gs_hash leaf;
    build(w, o, &st);
    leaf_for(w, w->n, &leaf);
    gs_rules_params p = params_for(w, o->flags);
    int rc = gs_rules_apply(w->s, &st, &leaf, w->n, &p, v);
    if (rc == 0) {
        assert_true(w->n < MAX_ENTRIES);
        w->leaf[w->n] = leaf;
        w->kind[w->n] = st.kind;
        w->n++;
        w->seq[o->by] = st.seq;
    }
    return rc;
}

static void world_must(world *w, const op *o, const char *context)
{
    gs_rule_verdict v;
    int rc = world_apply(w, o, &v);
    if (rc != 0)
        fail_msg("%s: setup step %d by key %d refused: %s: %s", context, (int)o->op, o->by,
                 gs_rules_reason_name(v.reason), v.message);
}

/* The unit base: 0 charter, 1 head, 2 deputy (by the head), 3 officer (by the
 * log key), 4 inspector (by the head). */
static const op unit_base[] = {
    {OP_CHARTER, .by = K_LOG},
    {OP_APPOINT, .by = K_LOG, .who = K_HEAD, .role = GS_ROLE_HEAD},
    {OP_APPOINT, .by = K_HEAD, .who = K_DEPUTY, .role = GS_ROLE_DEPUTY},
    {OP_APPOINT, .by = K_LOG, .who = K_OFFICER, .role = GS_ROLE_OFFICER},
    {OP_APPOINT, .by = K_HEAD, .who = K_INSPECTOR, .role = GS_ROLE_INSPECTOR},
    {.op = OP_END},
};

static void world_init(world *w, base_kind base)
{
    memset(w, 0, sizeof *w);
    for (int i = 0; i < N_KEYS; i++) {
        uint8_t seed[32];
        memset(seed, 0xa0 + i, sizeof seed);
        gs_keypair_from_seed(&w->kp[i], seed);
    }
    w->hub = base == B_HUB || base == B_HUB_EMPTY;
    w->origin = w->hub ? "giamsat/hub/hub-a" : "giamsat/commune/xa-a";
    gs_error err;
    assert_int_equal(gs_rules_state_new(&w->s, w->origin, &err), 0);
    if (base == B_CHARTER || base == B_HUB) {
        op charter = {OP_CHARTER, .by = K_LOG};
        world_must(w, &charter, "base");
    }
    if (base == B_UNIT)
        for (const op *o = unit_base; o->op != OP_END; o++)
            world_must(w, o, "base");
}

static void world_free(world *w)
{
    gs_rules_state_free(&w->s);
    assert_null(w->s);
    for (int i = 0; i < N_KEYS; i++)
        gs_keypair_wipe(&w->kp[i]);
}

/* Everything the queries can see of a state, as text, to compare states. */
static void fingerprint(const world *w, const gs_rules_state *s, char *out, size_t cap)
{
    size_t n = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k = snprintf(out + n, cap - n, __VA_ARGS__);                                           \
        assert_true(k >= 0 && (size_t)k < cap - n);                                                \
        n += (size_t)k;                                                                            \
    } while (0)
    char hex[65];
    gs_pubkey lk;
    PUT("size %llu tier %d\n", (unsigned long long)gs_rules_size(s), (int)gs_rules_tier(s));
    gs_rule_parameters rp;
    uint64_t since;
    gs_rules_parameters(s, &rp, &since);
    PUT("feedback_per_day %u open %u partial %u since %llu\n", rp.feedback_per_day,
        rp.open_feedback_per_day, rp.partial_percent, (unsigned long long)since);
    if (gs_rules_log_key(s, &lk) == 0) {
        gs_hex(hex, gs_bytes_of(lk.b, 32));
        PUT("log %s\n", hex);
    }
    for (size_t i = 0; i < gs_rules_member_count(s); i++) {
        gs_rules_member m;
        assert_int_equal(gs_rules_member_at(s, i, &m), 0);
        gs_hex(hex, gs_bytes_of(m.key.b, 32));
        PUT("member %s %s %s %s %d since %llu/%lld end %d until %llu/%lld p%d s%d\n", hex, m.name,
            m.title, m.decision, (int)m.role, (unsigned long long)m.since_index,
            (long long)m.since_time, (int)m.ended, (unsigned long long)m.until_index,
            (long long)m.until_time, m.has_predecessor, m.has_successor);
    }
    for (size_t i = 0; i < gs_rules_commitment_count(s); i++) {
        gs_rules_commitment c;
        assert_int_equal(gs_rules_commitment_at(s, i, &c), 0);
        gs_hex(hex, gs_bytes_of(c.owner_current.b, 32));
        PUT("commitment %s %s open %d at %llu progress %llu outcome %lld target %lld/%lld "
            "deadline %lld/%lld revisions %llu\n",
            c.id, hex, c.open, (unsigned long long)c.index, (unsigned long long)c.progress_count,
            (long long)c.outcome_value, (long long)c.target, (long long)c.baseline_target,
            (long long)c.deadline, (long long)c.baseline_deadline,
            (unsigned long long)c.revision_count);
    }
    for (int i = 0; i < N_KEYS; i++) {
        uint64_t next;
        bool active;
        gs_rules_signer_state(s, &w->kp[i].pub, &next, &active);
        PUT("key %d next %llu active %d\n", i, (unsigned long long)next, active);
    }
#undef PUT
}

/* ---------------------------------------------------------- the table */

typedef struct {
    const char *name;
    base_kind base;
    op setup[6];
    op final;
    int want;
    gs_rule_reason reason;
    const char *phrase; /* in the message, or NULL */
} rule_case;

/* Steps, for the table and the history below. */
/* clang-format off */
#define COMMIT_BY(k) {OP_COMMIT, .by = (k)}
#define APPOINT(by_, who_, role_) {OP_APPOINT, .by = (by_), .who = (who_), .role = (role_)}
#define RESIGN(k) {OP_RESIGN, .by = (k)}
#define DISMISS(by_, who_) {OP_DISMISS, .by = (by_), .who = (who_)}
#define ROTATE(by_, new_) {OP_ROTATE, .by = (by_), .who = (new_)}
#define PROGRESS(k) {OP_PROGRESS, .by = (k)}
#define OUTCOME(k) {OP_OUTCOME, .by = (k)}
#define FEEDBACK(k) {OP_FEEDBACK, .by = (k)}
#define PARAMS(k, limit) {OP_PARAMS, .by = (k), .value = (limit)}
#define OPEN_PARAMS(k, limit) {OP_OPEN_PARAMS, .by = (k), .value = (limit)}
#define REVISE(k, what) {OP_REVISE, .by = (k), .flags = (what)}
#define RATING(k, n) {OP_FEEDBACK, .by = (k), .value = (n)}
#define VERDICT(about, v) {OP_FINDING, .by = K_INSPECTOR, .ref = (about), .value = (v)}
#define PARTIAL(k, pct) {OP_PARAMS, .by = (k), .partial = (pct)}
/* clang-format on */

/* In B_UNIT the next entry is 5. Layout: name, base, setup steps;
 * then the final statement, the code, the reason and a phrase of the message. */
/* clang-format off */
static const rule_case cases[] = {
    /* Rules 1–2: address and charter. */
    {"charter opens the log", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG}, 0, GS_RULE_OK, NULL},
    {"appointment before the charter", B_EMPTY, {{0}},
     APPOINT(K_LOG, K_HEAD, GS_ROLE_HEAD), GS_EINVAL, GS_RULE_CHARTER_NOT_FIRST, "must be its charter"},
    {"second charter", B_CHARTER, {{0}},
     {OP_CHARTER, .by = K_LOG}, GS_ECONFLICT, GS_RULE_SECOND_CHARTER, NULL},
    {"charter tier does not spell the origin", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .flags = F_CHARTER_TIER}, GS_EINVAL, GS_RULE_CHARTER_MISMATCH, "giamsat/province/xa-a"},
    {"charter parent of the same tier", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .flags = F_PARENT_SAME}, GS_EINVAL, GS_RULE_CHARTER_PARENT, NULL},
    {"charter parent without its key", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .flags = F_PARENT_NOKEY}, GS_EINVAL, GS_RULE_CHARTER_PARENT, "log key"},
    {"hub charter opens a hub log", B_HUB_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG}, 0, GS_RULE_OK, NULL},
    {"charter addressed to another log", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .flags = F_WRONG_ORIGIN}, GS_EINVAL, GS_RULE_WRONG_ORIGIN, NULL},
    {"commitment addressed to another log", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .flags = F_WRONG_ORIGIN}, GS_EINVAL, GS_RULE_WRONG_ORIGIN, "giamsat/commune/xa-b"},

    /* Rules 5–6: replay and clock. */
    {"replayed seq", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_HEAD, .flags = F_SEQ_REPLAY}, GS_ECONFLICT, GS_RULE_REPLAYED_SEQ, "is not above the last accepted seq 2"},
    {"first seq is zero", B_UNIT, {{0}},
     {OP_FEEDBACK, .by = K_CITIZEN, .flags = F_SEQ_ZERO}, GS_ECONFLICT, GS_RULE_REPLAYED_SEQ, "first seq in a log is 1"},
    {"seq may skip ahead", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .flags = F_SEQ_JUMP}, 0, GS_RULE_OK, NULL},
    {"issued an hour ahead", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .flags = F_SKEW_AHEAD}, GS_EINVAL, GS_RULE_CLOCK_SKEW, "3600 seconds ahead"},
    {"issued an hour behind", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .flags = F_SKEW_BEHIND}, GS_EINVAL, GS_RULE_CLOCK_SKEW, "behind"},
    {"skew is not checked on replay", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .flags = F_SKEW_AHEAD | F_REPLAY}, 0, GS_RULE_OK, NULL},

    /* Rule 8: appointment. */
    {"log key appoints the head", B_CHARTER, {{0}},
     APPOINT(K_LOG, K_HEAD, GS_ROLE_HEAD), 0, GS_RULE_OK, NULL},
    {"head appoints an officer", B_UNIT, {{0}},
     APPOINT(K_HEAD, K_X, GS_ROLE_OFFICER), 0, GS_RULE_OK, NULL},
    {"head appoints a head", B_UNIT, {{0}},
     APPOINT(K_HEAD, K_X, GS_ROLE_HEAD), GS_EPERM, GS_RULE_ROLE_FORBIDS, "only the log key may appoint a head"},
    {"deputy appoints an officer", B_UNIT, {{0}},
     APPOINT(K_DEPUTY, K_X, GS_ROLE_OFFICER), GS_EPERM, GS_RULE_ROLE_FORBIDS, "is a deputy"},
    {"stranger appoints", B_UNIT, {{0}},
     APPOINT(K_X, K_NEW1, GS_ROLE_OFFICER), GS_EPERM, GS_RULE_NOT_MEMBER, NULL},
    {"appoint an active member again", B_UNIT, {{0}},
     APPOINT(K_LOG, K_DEPUTY, GS_ROLE_OFFICER), GS_ECONFLICT, GS_RULE_ALREADY_MEMBER, "dismiss them first"},
    {"second head while one is in office", B_UNIT, {{0}},
     APPOINT(K_LOG, K_X, GS_ROLE_HEAD), GS_ECONFLICT, GS_RULE_HEAD_IN_OFFICE, NULL},
    {"appoint the log key", B_UNIT, {{0}},
     APPOINT(K_HEAD, K_LOG, GS_ROLE_OFFICER), GS_ECONFLICT, GS_RULE_KEY_IN_USE, NULL},
    {"appoint a key that was rotated away", B_UNIT, {ROTATE(K_OFFICER, K_NEW1)},
     APPOINT(K_LOG, K_OFFICER, GS_ROLE_OFFICER), GS_EPERM, GS_RULE_KEY_ROTATED, "can never be appointed again"},
    {"reappoint after resignation", B_UNIT, {RESIGN(K_OFFICER)},
     APPOINT(K_LOG, K_OFFICER, GS_ROLE_OFFICER), 0, GS_RULE_OK, NULL},
    {"new head after the old one resigned", B_UNIT, {RESIGN(K_HEAD)},
     APPOINT(K_LOG, K_X, GS_ROLE_HEAD), 0, GS_RULE_OK, NULL},
    {"resigned head appoints", B_UNIT, {RESIGN(K_HEAD)},
     APPOINT(K_HEAD, K_X, GS_ROLE_OFFICER), GS_EPERM, GS_RULE_RESIGNED, "resigned at index 5"},
    {"appointment with an unknown role", B_UNIT, {{0}},
     APPOINT(K_LOG, K_X, 9), GS_EINVAL, GS_RULE_MALFORMED, NULL},

    /* Rule 9: resignation. */
    {"member resigns", B_UNIT, {{0}},
     RESIGN(K_DEPUTY), 0, GS_RULE_OK, NULL},
    {"resigns twice", B_UNIT, {RESIGN(K_DEPUTY)},
     RESIGN(K_DEPUTY), GS_EPERM, GS_RULE_RESIGNED, NULL},
    {"stranger resigns", B_UNIT, {{0}},
     RESIGN(K_X), GS_EPERM, GS_RULE_NOT_MEMBER, NULL},
    {"log key resigns", B_UNIT, {{0}},
     RESIGN(K_LOG), GS_EPERM, GS_RULE_ROLE_FORBIDS, "machine key"},

    /* Rule 10: dismissal. */
    {"log key dismisses the head", B_UNIT, {{0}},
     DISMISS(K_LOG, K_HEAD), 0, GS_RULE_OK, NULL},
    {"head dismisses the deputy", B_UNIT, {{0}},
     DISMISS(K_HEAD, K_DEPUTY), 0, GS_RULE_OK, NULL},
    {"head dismisses themselves", B_UNIT, {{0}},
     DISMISS(K_HEAD, K_HEAD), GS_EPERM, GS_RULE_SELF_DISMISSAL, "resignation"},
    {"deputy dismisses the officer", B_UNIT, {{0}},
     DISMISS(K_DEPUTY, K_OFFICER), GS_EPERM, GS_RULE_ROLE_FORBIDS, NULL},
    {"dismiss someone never appointed", B_UNIT, {{0}},
     DISMISS(K_LOG, K_X), GS_ENOTFOUND, GS_RULE_TARGET_NOT_MEMBER, "never held office"},
    {"dismiss someone who resigned", B_UNIT, {RESIGN(K_OFFICER)},
     DISMISS(K_HEAD, K_OFFICER), GS_ENOTFOUND, GS_RULE_TARGET_NOT_MEMBER, "resigned at index 5"},
    {"dismissed officer commits", B_UNIT, {DISMISS(K_HEAD, K_OFFICER)},
     COMMIT_BY(K_OFFICER), GS_EPERM, GS_RULE_DISMISSED, "dismissed at index 5"},

    /* Rules 11 and 4: key rotation. */
    {"officer rotates their key", B_UNIT, {{0}},
     ROTATE(K_OFFICER, K_NEW1), 0, GS_RULE_OK, NULL},
    {"old key signs after rotation", B_UNIT, {ROTATE(K_OFFICER, K_NEW1)},
     COMMIT_BY(K_OFFICER), GS_EPERM, GS_RULE_KEY_ROTATED, "signs nothing after it"},
    {"new key signs after rotation, seq fresh", B_UNIT, {ROTATE(K_OFFICER, K_NEW1)},
     COMMIT_BY(K_NEW1), 0, GS_RULE_OK, NULL},
    {"rotate to a member's key", B_UNIT, {{0}},
     ROTATE(K_OFFICER, K_DEPUTY), GS_ECONFLICT, GS_RULE_KEY_IN_USE, "it was appointed"},
    {"rotate to the log key", B_UNIT, {{0}},
     ROTATE(K_OFFICER, K_LOG), GS_ECONFLICT, GS_RULE_KEY_IN_USE, "it is the log key"},
    {"rotate to a key that gave feedback", B_UNIT, {FEEDBACK(K_CITIZEN)},
     ROTATE(K_OFFICER, K_CITIZEN), GS_ECONFLICT, GS_RULE_KEY_IN_USE, "it has signed statements"},
    {"rotate to a retired key", B_UNIT, {ROTATE(K_OFFICER, K_NEW1)},
     ROTATE(K_DEPUTY, K_OFFICER), GS_EPERM, GS_RULE_KEY_ROTATED, NULL},
    {"stranger rotates", B_UNIT, {{0}},
     ROTATE(K_X, K_NEW1), GS_EPERM, GS_RULE_NOT_MEMBER, NULL},
    {"new log key appoints", B_UNIT, {ROTATE(K_LOG, K_NEW1)},
     APPOINT(K_NEW1, K_X, GS_ROLE_OFFICER), 0, GS_RULE_OK, NULL},
    {"old log key appoints after rotation", B_UNIT, {ROTATE(K_LOG, K_NEW1)},
     APPOINT(K_LOG, K_X, GS_ROLE_OFFICER), GS_EPERM, GS_RULE_KEY_ROTATED, NULL},
    {"rotated head is still head", B_UNIT, {ROTATE(K_HEAD, K_NEW1)},
     APPOINT(K_NEW1, K_X, GS_ROLE_OFFICER), 0, GS_RULE_OK, NULL},
    {"rotated head still blocks a second head", B_UNIT, {ROTATE(K_HEAD, K_NEW1)},
     APPOINT(K_LOG, K_X, GS_ROLE_HEAD), GS_ECONFLICT, GS_RULE_HEAD_IN_OFFICE, NULL},

    /* Rule 12: commitment. */
    {"officer commits", B_UNIT, {{0}},
     COMMIT_BY(K_OFFICER), 0, GS_RULE_OK, NULL},
    {"inspector commits", B_UNIT, {{0}},
     COMMIT_BY(K_INSPECTOR), GS_EPERM, GS_RULE_ROLE_FORBIDS, "inspector"},
    {"log key commits", B_UNIT, {{0}},
     COMMIT_BY(K_LOG), GS_EPERM, GS_RULE_ROLE_FORBIDS, NULL},
    {"citizen commits", B_UNIT, {{0}},
     COMMIT_BY(K_CITIZEN), GS_EPERM, GS_RULE_NOT_MEMBER, NULL},
    {"duplicate commitment id", B_UNIT, {COMMIT_BY(K_OFFICER)},
     COMMIT_BY(K_DEPUTY), GS_ECONFLICT, GS_RULE_DUPLICATE_COMMITMENT, "already used at index 5"},
    {"deadline not after issue time", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .flags = F_DEADLINE_NOW}, GS_EINVAL, GS_RULE_BAD_DEADLINE, NULL},
    {"parent commitment in this log", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_COMMIT, .by = K_DEPUTY, .id = "c2", .ref = R(5)}, 0, GS_RULE_OK, NULL},
    {"parent entry is not a commitment", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_COMMIT, .by = K_DEPUTY, .id = "c2", .ref = R(1)}, GS_EINVAL, GS_RULE_REFERENCE_WRONG_KIND, "not a commitment"},
    {"parent leaf hash does not match", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_COMMIT, .by = K_DEPUTY, .id = "c2", .ref = R(5), .flags = F_BAD_HASH}, GS_EVERIFY, GS_RULE_REFERENCE_MISMATCH, NULL},
    {"parent beyond the log", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_DEPUTY, .ref = R(0), .flags = F_REF_FUTURE}, GS_ENOTFOUND, GS_RULE_REFERENCE_NOT_FOUND, "holds only 5 entries"},
    {"parent in another log is not checked here", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_DEPUTY, .ref = R(3), .flags = F_REF_OTHER | F_BAD_HASH}, 0, GS_RULE_OK, NULL},

    /* Rule 13: progress and outcome. */
    {"owner reports progress", B_UNIT, {COMMIT_BY(K_OFFICER)},
     PROGRESS(K_OFFICER), 0, GS_RULE_OK, NULL},
    {"progress on an unknown commitment", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_PROGRESS, .by = K_OFFICER, .id = "c9"}, GS_ENOTFOUND, GS_RULE_NO_SUCH_COMMITMENT, "c9"},
    {"head reports for an owner in office", B_UNIT, {COMMIT_BY(K_OFFICER)},
     PROGRESS(K_HEAD), GS_EPERM, GS_RULE_NOT_OWNER, "still in office"},
    {"progress after the outcome", B_UNIT, {COMMIT_BY(K_OFFICER), OUTCOME(K_OFFICER)},
     PROGRESS(K_OFFICER), GS_ECONFLICT, GS_RULE_COMMITMENT_CLOSED, "closed by its outcome at index 6"},
    {"second outcome", B_UNIT, {COMMIT_BY(K_OFFICER), OUTCOME(K_OFFICER)},
     OUTCOME(K_OFFICER), GS_ECONFLICT, GS_RULE_COMMITMENT_CLOSED, NULL},
    {"head answers for an owner who resigned", B_UNIT, {COMMIT_BY(K_OFFICER), RESIGN(K_OFFICER)},
     OUTCOME(K_HEAD), 0, GS_RULE_OK, NULL},
    {"deputy cannot answer for a dismissed owner", B_UNIT, {COMMIT_BY(K_OFFICER), DISMISS(K_HEAD, K_OFFICER)},
     PROGRESS(K_DEPUTY), GS_EPERM, GS_RULE_NOT_OWNER, "head in office"},
    {"owner's new key reports after rotation", B_UNIT, {COMMIT_BY(K_OFFICER), ROTATE(K_OFFICER, K_NEW1)},
     PROGRESS(K_NEW1), 0, GS_RULE_OK, NULL},
    {"owner left and there is no head", B_UNIT, {COMMIT_BY(K_OFFICER), RESIGN(K_OFFICER), RESIGN(K_HEAD)},
     PROGRESS(K_DEPUTY), GS_EPERM, GS_RULE_NOT_OWNER, "no head in office"},
    {"resigned owner reports", B_UNIT, {COMMIT_BY(K_OFFICER), RESIGN(K_OFFICER)},
     PROGRESS(K_OFFICER), GS_EPERM, GS_RULE_RESIGNED, NULL},

    /* Rule 14: finding. */
    {"inspector files a finding", B_UNIT, {{0}},
     {OP_FINDING, .by = K_INSPECTOR, .ref = R(3)}, 0, GS_RULE_OK, NULL},
    {"officer files a finding", B_UNIT, {{0}},
     {OP_FINDING, .by = K_OFFICER, .ref = R(3)}, GS_EPERM, GS_RULE_ROLE_FORBIDS, "only an inspector"},
    {"finding with a wrong leaf hash", B_UNIT, {{0}},
     {OP_FINDING, .by = K_INSPECTOR, .ref = R(3), .flags = F_BAD_HASH}, GS_EVERIFY, GS_RULE_REFERENCE_MISMATCH, "does not match entry 3"},
    {"finding beyond the log", B_UNIT, {{0}},
     {OP_FINDING, .by = K_INSPECTOR, .ref = R(3), .flags = F_REF_FUTURE}, GS_ENOTFOUND, GS_RULE_REFERENCE_NOT_FOUND, NULL},
    {"finding with no way to read entries", B_UNIT, {{0}},
     {OP_FINDING, .by = K_INSPECTOR, .ref = R(3), .flags = F_NO_ENTRY_FN}, GS_EINVAL, GS_RULE_ENTRY_UNAVAILABLE, "entry_at"},
    {"finding about another log", B_UNIT, {{0}},
     {OP_FINDING, .by = K_INSPECTOR, .ref = R(40), .flags = F_REF_OTHER | F_NO_ENTRY_FN}, 0, GS_RULE_OK, NULL},

    /* Rule 15: feedback. */
    {"citizen gives feedback", B_UNIT, {{0}},
     {OP_FEEDBACK, .by = K_CITIZEN, .ref = R(3)}, 0, GS_RULE_OK, NULL},
    {"former member gives feedback", B_UNIT, {RESIGN(K_OFFICER)},
     FEEDBACK(K_OFFICER), 0, GS_RULE_OK, NULL},
    {"log key gives feedback", B_UNIT, {{0}},
     FEEDBACK(K_LOG), GS_EPERM, GS_RULE_ROLE_FORBIDS, NULL},
    {"rotated key gives feedback", B_UNIT, {ROTATE(K_OFFICER, K_NEW1)},
     FEEDBACK(K_OFFICER), GS_EPERM, GS_RULE_KEY_ROTATED, NULL},
    {"feedback over the daily limit", B_UNIT, {FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN)},
     FEEDBACK(K_CITIZEN), GS_ETOOBIG, GS_RULE_RATE_LIMITED, "the limit is 3 a day"},
    {"feedback limit is per key", B_UNIT, {FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN)},
     FEEDBACK(K_X), 0, GS_RULE_OK, NULL},
    {"feedback limit rolls over after a day", B_UNIT, {FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN)},
     {OP_FEEDBACK, .by = K_CITIZEN, .flags = F_NEXT_DAY}, 0, GS_RULE_OK, NULL},
    {"feedback about an entry with a wrong hash", B_UNIT, {{0}},
     {OP_FEEDBACK, .by = K_CITIZEN, .ref = R(2), .flags = F_BAD_HASH}, GS_EVERIFY, GS_RULE_REFERENCE_MISMATCH, NULL},

    /* Rule 16: response. */
    {"officer responds to feedback", B_UNIT, {FEEDBACK(K_CITIZEN)},
     {OP_RESPONSE, .by = K_OFFICER, .ref = R(5)}, 0, GS_RULE_OK, NULL},
    {"head responds to a finding", B_UNIT, {{OP_FINDING, .by = K_INSPECTOR, .ref = R(3)}},
     {OP_RESPONSE, .by = K_HEAD, .ref = R(5)}, 0, GS_RULE_OK, NULL},
    {"response to an appointment", B_UNIT, {{0}},
     {OP_RESPONSE, .by = K_OFFICER, .ref = R(1)}, GS_EINVAL, GS_RULE_REFERENCE_WRONG_KIND, "is an appointment, not a finding or feedback"},
    {"response into another log", B_UNIT, {FEEDBACK(K_CITIZEN)},
     {OP_RESPONSE, .by = K_OFFICER, .ref = R(5), .flags = F_REF_OTHER}, GS_EINVAL, GS_RULE_REFERENCE_OTHER_LOG, NULL},
    {"citizen responds", B_UNIT, {FEEDBACK(K_CITIZEN)},
     {OP_RESPONSE, .by = K_CITIZEN, .ref = R(5)}, GS_EPERM, GS_RULE_NOT_MEMBER, NULL},

    /* Rules 3 and 17: hub logs. */
    {"hub key records an observation", B_HUB, {{0}},
     {OP_OBSERVATION, .by = K_LOG}, 0, GS_RULE_OK, NULL},
    {"hub key records evidence", B_HUB, {{0}},
     {OP_EVIDENCE, .by = K_LOG}, 0, GS_RULE_OK, NULL},
    {"observation in a node log", B_UNIT, {{0}},
     {OP_OBSERVATION, .by = K_LOG}, GS_EINVAL, GS_RULE_WRONG_LOG_KIND, "belongs in hub logs"},
    {"commitment in a hub log", B_HUB, {{0}},
     COMMIT_BY(K_OFFICER), GS_EINVAL, GS_RULE_WRONG_LOG_KIND, "hub log"},
    {"observation by another key", B_HUB, {{0}},
     {OP_OBSERVATION, .by = K_X}, GS_EPERM, GS_RULE_ROLE_FORBIDS, NULL},
    {"hub key rotates", B_HUB, {{0}},
     ROTATE(K_LOG, K_NEW1), 0, GS_RULE_OK, NULL},
    {"another key rotates in a hub log", B_HUB, {{0}},
     ROTATE(K_X, K_NEW1), GS_EPERM, GS_RULE_ROLE_FORBIDS, "only the hub's log key"},
    {"old hub key signs after rotation", B_HUB, {ROTATE(K_LOG, K_NEW1)},
     {OP_OBSERVATION, .by = K_LOG}, GS_EPERM, GS_RULE_KEY_ROTATED, NULL},
    {"new hub key records an observation", B_HUB, {ROTATE(K_LOG, K_NEW1)},
     {OP_OBSERVATION, .by = K_NEW1}, 0, GS_RULE_OK, NULL},

    /* Rules 2 and 18: rule parameters live in the log. */
    {"charter without parameters", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .value = NO_PARAMS}, 0, GS_RULE_OK, NULL},
    {"charter with the largest limit", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .value = GS_RULES_FEEDBACK_MAX}, 0, GS_RULE_OK, NULL},
    {"charter with a limit out of range", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .value = GS_RULES_FEEDBACK_MAX + 1}, GS_EINVAL, GS_RULE_BAD_PARAMETER, "must be 1 to 32"},
    {"log key changes the feedback limit", B_UNIT, {{0}},
     PARAMS(K_LOG, 20), 0, GS_RULE_OK, NULL},
    {"head changes the feedback limit", B_UNIT, {{0}},
     PARAMS(K_HEAD, 20), GS_EPERM, GS_RULE_ROLE_FORBIDS, "only the log key"},
    {"officer changes the feedback limit", B_UNIT, {{0}},
     PARAMS(K_OFFICER, 20), GS_EPERM, GS_RULE_ROLE_FORBIDS, "only the log key"},
    {"citizen changes the feedback limit", B_UNIT, {{0}},
     PARAMS(K_CITIZEN, 20), GS_EPERM, GS_RULE_ROLE_FORBIDS, NULL},
    {"old log key changes the limit after rotation", B_UNIT, {ROTATE(K_LOG, K_NEW1)},
     PARAMS(K_LOG, 20), GS_EPERM, GS_RULE_KEY_ROTATED, NULL},
    {"new log key changes the limit after rotation", B_UNIT, {ROTATE(K_LOG, K_NEW1)},
     PARAMS(K_NEW1, 20), 0, GS_RULE_OK, NULL},
    {"feedback limit above the maximum", B_UNIT, {{0}},
     PARAMS(K_LOG, GS_RULES_FEEDBACK_MAX + 1), GS_EINVAL, GS_RULE_BAD_PARAMETER, "feedback_per_day to 33"},
    {"parameter change naming nothing", B_UNIT, {{0}},
     PARAMS(K_LOG, 0), GS_EINVAL, GS_RULE_MALFORMED, "a parameter to change"},
    {"parameter change in a hub log", B_HUB, {{0}},
     PARAMS(K_LOG, 20), GS_EINVAL, GS_RULE_WRONG_LOG_KIND, "hub log"},
    {"lowered limit binds from the next entry", B_UNIT, {FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN), PARAMS(K_LOG, 2)},
     FEEDBACK(K_CITIZEN), GS_ETOOBIG, GS_RULE_RATE_LIMITED, "the limit is 2 a day"},
    {"raised limit frees from the next entry", B_UNIT, {FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN), FEEDBACK(K_CITIZEN), PARAMS(K_LOG, 4)},
     FEEDBACK(K_CITIZEN), 0, GS_RULE_OK, NULL},
    /* Rule 0, texts (issue 9): bidi controls and zero-width characters are
     * refused at submission, accepted in a replay of older history. */
    {"feedback with a right-to-left override", B_UNIT, {{0}},
     {OP_FEEDBACK, .by = K_CITIZEN, .text = "paid \u202E0001 dong"}, GS_EINVAL, GS_RULE_MALFORMED,
     "the feedback's text contains the invisible bidi control character U+202E at byte 5"},
    {"appointee name with a zero-width space", B_UNIT, {DISMISS(K_LOG, K_OFFICER)},
     {OP_APPOINT, .by = K_LOG, .who = K_OFFICER, .role = GS_ROLE_OFFICER, .text = "Nguy\u200Bễn"},
     GS_EINVAL, GS_RULE_MALFORMED, "appointee's name contains the invisible zero-width character U+200B"},
    {"charter display name with a first-strong isolate", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .text = "X\u2068ã A"}, GS_EINVAL, GS_RULE_MALFORMED, "U+2068"},
    {"commitment id with a zero-width joiner", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .id = "c\u200D1"}, GS_EINVAL, GS_RULE_MALFORMED,
     "commitment's id contains the invisible zero-width character U+200D"},
    {"commitment title with a word joiner", B_UNIT, {{0}},
     {OP_COMMIT, .by = K_OFFICER, .text = "Roads\u2060"}, GS_EINVAL, GS_RULE_MALFORMED, "U+2060"},
    {"progress note with a left-to-right mark", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_PROGRESS, .by = K_OFFICER, .text = "\u200Edone"}, GS_EINVAL, GS_RULE_MALFORMED, "U+200E at byte 0"},
    {"finding with a byte order mark", B_UNIT, {{0}},
     {OP_FINDING, .by = K_INSPECTOR, .text = "late\uFEFF"}, GS_EINVAL, GS_RULE_MALFORMED,
     "zero-width character U+FEFF"},
    {"response with an Arabic letter mark", B_UNIT, {FEEDBACK(K_CITIZEN)},
     {OP_RESPONSE, .by = K_HEAD, .ref = R(5), .text = "ok\u061C"}, GS_EINVAL, GS_RULE_MALFORMED,
     "bidi control character U+061C"},
    {"resignation with a pop directional isolate", B_UNIT, {{0}},
     {OP_RESIGN, .by = K_DEPUTY, .text = "health\u2069"}, GS_EINVAL, GS_RULE_MALFORMED, "U+2069"},
    {"dismissal with a right-to-left mark", B_UNIT, {{0}},
     {OP_DISMISS, .by = K_LOG, .who = K_DEPUTY, .text = "\u200Freassigned"}, GS_EINVAL,
     GS_RULE_MALFORMED, "U+200F"},
    {"replayed feedback with an override is history", B_UNIT, {{0}},
     {OP_FEEDBACK, .by = K_CITIZEN, .flags = F_REPLAY, .text = "paid \u202E0001 dong"}, 0,
     GS_RULE_OK, NULL},
    {"neighbours of the refused characters pass", B_UNIT, {{0}},
     {OP_FEEDBACK, .by = K_CITIZEN, .text = "Đường – 5‰ ⁰ \u2028 \u202F \u206A \uFEFE"}, 0,
     GS_RULE_OK, NULL},

    /* Rule 15: the log's budget of open feedback (keys outside the roster). */
    {"open feedback within the log's budget", B_UNIT, {OPEN_PARAMS(K_LOG, 2), FEEDBACK(K_CITIZEN)},
     FEEDBACK(K_X), 0, GS_RULE_OK, NULL},
    {"open feedback over the log's daily budget", B_UNIT, {OPEN_PARAMS(K_LOG, 2), FEEDBACK(K_CITIZEN), FEEDBACK(K_X)},
     FEEDBACK(K_NEW1), GS_ETOOBIG, GS_RULE_OPEN_BUDGET, "its limit is 2 a day"},
    {"the open budget is for the whole log, not per key", B_UNIT, {OPEN_PARAMS(K_LOG, 1), FEEDBACK(K_X)},
     FEEDBACK(K_CITIZEN), GS_ETOOBIG, GS_RULE_OPEN_BUDGET, "outside its roster"},
    {"members' feedback does not use the open budget", B_UNIT, {OPEN_PARAMS(K_LOG, 1), FEEDBACK(K_OFFICER), FEEDBACK(K_HEAD)},
     FEEDBACK(K_CITIZEN), 0, GS_RULE_OK, NULL},
    {"a former member is in the roster", B_UNIT, {OPEN_PARAMS(K_LOG, 1), FEEDBACK(K_CITIZEN), RESIGN(K_OFFICER)},
     FEEDBACK(K_OFFICER), 0, GS_RULE_OK, NULL},
    {"open budget rolls over the next day", B_UNIT, {OPEN_PARAMS(K_LOG, 1), FEEDBACK(K_CITIZEN)},
     {OP_FEEDBACK, .by = K_X, .flags = F_NEXT_DAY}, 0, GS_RULE_OK, NULL},
    {"raised open budget frees from the next entry", B_UNIT, {OPEN_PARAMS(K_LOG, 1), FEEDBACK(K_CITIZEN), OPEN_PARAMS(K_LOG, 2)},
     FEEDBACK(K_X), 0, GS_RULE_OK, NULL},
    {"open budget above the maximum", B_UNIT, {{0}},
     OPEN_PARAMS(K_LOG, GS_RULES_OPEN_FEEDBACK_MAX + 1), GS_EINVAL, GS_RULE_BAD_PARAMETER, "open_feedback_per_day to 1000001"},
    {"no open budget when the charter names none", B_UNIT, {FEEDBACK(K_CITIZEN), FEEDBACK(K_X), FEEDBACK(K_NEW1)},
     FEEDBACK(K_NEW2), 0, GS_RULE_OK, NULL},
    {"open budget changed by another key", B_UNIT, {{0}},
     OPEN_PARAMS(K_HEAD, 5), GS_EPERM, GS_RULE_ROLE_FORBIDS, "only the log key"},

    /* Rule 19: revision (issue 10). c1 is entry 5, deadline 90 days on. */
    {"owner revises the target", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_TARGET), 0, GS_RULE_OK, NULL},
    {"owner revises the deadline", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_DEADLINE), 0, GS_RULE_OK, NULL},
    {"owner revises target and deadline", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_TARGET | F_REV_DEADLINE), 0, GS_RULE_OK, NULL},
    {"owner revises twice", B_UNIT, {COMMIT_BY(K_OFFICER), REVISE(K_OFFICER, F_REV_TARGET)},
     REVISE(K_OFFICER, F_REV_DEADLINE), 0, GS_RULE_OK, NULL},
    {"head revises for an owner who resigned", B_UNIT, {COMMIT_BY(K_OFFICER), RESIGN(K_OFFICER)},
     REVISE(K_HEAD, F_REV_TARGET), 0, GS_RULE_OK, NULL},
    {"owner's new key revises after rotation", B_UNIT, {COMMIT_BY(K_OFFICER), ROTATE(K_OFFICER, K_NEW1)},
     REVISE(K_NEW1, F_REV_DEADLINE), 0, GS_RULE_OK, NULL},
    {"revision a month on, before the deadline", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_TARGET | F_AFTER_REVISED), 0, GS_RULE_OK, NULL},
    {"progress after a revision", B_UNIT, {COMMIT_BY(K_OFFICER), REVISE(K_OFFICER, F_REV_TARGET)},
     PROGRESS(K_OFFICER), 0, GS_RULE_OK, NULL},
    {"outcome after a revision", B_UNIT, {COMMIT_BY(K_OFFICER), REVISE(K_OFFICER, F_REV_DEADLINE)},
     OUTCOME(K_OFFICER), 0, GS_RULE_OK, NULL},
    {"someone else revises", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_DEPUTY, F_REV_TARGET), GS_EPERM, GS_RULE_NOT_OWNER, "only they may revise it"},
    {"head revises for an owner in office", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_HEAD, F_REV_TARGET), GS_EPERM, GS_RULE_NOT_OWNER, "still in office"},
    {"deputy revises for an owner who resigned", B_UNIT, {COMMIT_BY(K_OFFICER), RESIGN(K_OFFICER)},
     REVISE(K_DEPUTY, F_REV_TARGET), GS_EPERM, GS_RULE_NOT_OWNER, "head in office"},
    {"citizen revises", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_CITIZEN, F_REV_TARGET), GS_EPERM, GS_RULE_NOT_MEMBER, NULL},
    {"log key revises", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_LOG, F_REV_TARGET), GS_EPERM, GS_RULE_ROLE_FORBIDS, "machine key"},
    {"resigned owner revises", B_UNIT, {COMMIT_BY(K_OFFICER), RESIGN(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_TARGET), GS_EPERM, GS_RULE_RESIGNED, NULL},
    {"revision after the deadline", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_TARGET | F_AFTER_DEADLINE), GS_ECONFLICT, GS_RULE_REVISION_AFTER_DEADLINE,
     "a missed deadline stands"},
    {"revision after the revised deadline", B_UNIT, {COMMIT_BY(K_OFFICER), REVISE(K_OFFICER, F_REV_DEADLINE)},
     REVISE(K_OFFICER, F_REV_TARGET | F_AFTER_REVISED), GS_ECONFLICT, GS_RULE_REVISION_AFTER_DEADLINE,
     "deadline in force"},
    {"late revision that would move the deadline", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_DEADLINE | F_AFTER_DEADLINE), GS_ECONFLICT,
     GS_RULE_REVISION_AFTER_DEADLINE, NULL},
    {"revision of a closed commitment", B_UNIT, {COMMIT_BY(K_OFFICER), OUTCOME(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_TARGET), GS_ECONFLICT, GS_RULE_COMMITMENT_CLOSED, "closed by its outcome"},
    {"revision of an unknown commitment", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_REVISE, .by = K_OFFICER, .id = "c9", .flags = F_REV_TARGET}, GS_ENOTFOUND,
     GS_RULE_NO_SUCH_COMMITMENT, "c9"},
    {"revision changing nothing", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, 0), GS_EINVAL, GS_RULE_BAD_REVISION, "changes nothing"},
    {"revision to the target in force", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_SAME_TARGET), GS_EINVAL, GS_RULE_BAD_REVISION, "changes nothing"},
    {"revision to the deadline in force", B_UNIT, {COMMIT_BY(K_OFFICER), REVISE(K_OFFICER, F_REV_DEADLINE)},
     REVISE(K_OFFICER, F_REV_DEADLINE), GS_EINVAL, GS_RULE_BAD_REVISION, "changes nothing"},
    {"revised deadline not after the issue time", B_UNIT, {COMMIT_BY(K_OFFICER)},
     REVISE(K_OFFICER, F_REV_TARGET | F_REV_DEADLINE_NOW), GS_EINVAL, GS_RULE_BAD_REVISION,
     "is not after its issue time"},
    {"revision without a reason", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_REVISE, .by = K_OFFICER, .flags = F_REV_TARGET, .text = ""}, GS_EINVAL, GS_RULE_MALFORMED,
     "needs a reason"},
    {"revision reason with a right-to-left override", B_UNIT, {COMMIT_BY(K_OFFICER)},
     {OP_REVISE, .by = K_OFFICER, .flags = F_REV_TARGET, .text = "cut \u202Etegdub"}, GS_EINVAL,
     GS_RULE_MALFORMED, "the revision's reason contains the invisible bidi control character U+202E"},
    {"revision in a hub log", B_HUB, {{0}},
     REVISE(K_LOG, F_REV_TARGET), GS_EINVAL, GS_RULE_WRONG_LOG_KIND, "hub log"},

    /* Rule 15: the rating of a feedback (issue 10). */
    {"feedback rated 1", B_UNIT, {{0}}, RATING(K_CITIZEN, 1), 0, GS_RULE_OK, NULL},
    {"feedback rated 5", B_UNIT, {{0}}, RATING(K_CITIZEN, 5), 0, GS_RULE_OK, NULL},
    {"feedback without a rating", B_UNIT, {{0}}, RATING(K_CITIZEN, 0), 0, GS_RULE_OK, NULL},
    {"feedback rated 6", B_UNIT, {{0}},
     RATING(K_CITIZEN, 6), GS_EINVAL, GS_RULE_BAD_RATING, "rating 6 is out of range"},
    {"feedback rated 6 by a former member", B_UNIT, {RESIGN(K_OFFICER)},
     RATING(K_OFFICER, 6), GS_EINVAL, GS_RULE_BAD_RATING, NULL},

    /* Rule 14: the verdict of a finding (issue 10). Entry 6 is c1's progress. */
    {"finding confirms a progress report", B_UNIT, {COMMIT_BY(K_OFFICER), PROGRESS(K_OFFICER)},
     VERDICT(R(6), GS_VERDICT_CONFIRMS), 0, GS_RULE_OK, NULL},
    {"finding contests an outcome", B_UNIT, {COMMIT_BY(K_OFFICER), OUTCOME(K_OFFICER)},
     VERDICT(R(6), GS_VERDICT_CONTESTS), 0, GS_RULE_OK, NULL},
    {"finding contests a feedback", B_UNIT, {FEEDBACK(K_CITIZEN)},
     VERDICT(R(5), GS_VERDICT_CONTESTS), GS_EINVAL, GS_RULE_REFERENCE_WRONG_KIND,
     "entry 5 is a feedback, not a progress report or outcome"},
    {"finding confirms a commitment", B_UNIT, {COMMIT_BY(K_OFFICER)},
     VERDICT(R(5), GS_VERDICT_CONFIRMS), GS_EINVAL, GS_RULE_REFERENCE_WRONG_KIND, NULL},
    {"finding without a verdict about a feedback", B_UNIT, {FEEDBACK(K_CITIZEN)},
     VERDICT(R(5), GS_VERDICT_NONE), 0, GS_RULE_OK, NULL},
    {"verdict about another log is the auditor's", B_UNIT, {{0}},
     {OP_FINDING, .by = K_INSPECTOR, .ref = R(40), .value = GS_VERDICT_CONTESTS, .flags = F_REF_OTHER | F_NO_ENTRY_FN},
     0, GS_RULE_OK, NULL},
    {"finding with an unknown verdict", B_UNIT, {COMMIT_BY(K_OFFICER), PROGRESS(K_OFFICER)},
     VERDICT(R(6), 3), GS_EINVAL, GS_RULE_MALFORMED, "verdict 3"},

    /* Rule 2: the unit's time zone (issue 10). */
    {"charter in Asia/Ho_Chi_Minh", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .tz = "Asia/Ho_Chi_Minh"}, 0, GS_RULE_OK, NULL},
    {"charter in Etc/GMT+7", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .tz = "Etc/GMT+7"}, 0, GS_RULE_OK, NULL},
    {"charter in a zone no machine knows has a valid shape", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .tz = "Mars/Olympus_Mons"}, 0, GS_RULE_OK, NULL},
    {"charter with a space in its time zone", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .tz = "Ho Chi Minh"}, GS_EINVAL, GS_RULE_BAD_TIME_ZONE,
     "is not an IANA zone name"},
    {"charter with a dot-dot time zone", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .tz = "Asia/../etc"}, GS_EINVAL, GS_RULE_BAD_TIME_ZONE, NULL},
    {"charter with an absolute time zone path", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .tz = "/etc/localtime"}, GS_EINVAL, GS_RULE_BAD_TIME_ZONE, NULL},

    /* Rules 2 and 18: partial_percent (issue 10). */
    {"charter with partial_percent 99", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .partial = 99}, 0, GS_RULE_OK, NULL},
    {"charter with partial_percent 100", B_EMPTY, {{0}},
     {OP_CHARTER, .by = K_LOG, .partial = 100}, GS_EINVAL, GS_RULE_BAD_PARAMETER,
     "partial_percent to 100; it must be 1 to 99"},
    {"log key sets partial_percent 1", B_UNIT, {{0}},
     PARTIAL(K_LOG, 1), 0, GS_RULE_OK, NULL},
    {"log key sets partial_percent 100", B_UNIT, {{0}},
     PARTIAL(K_LOG, 100), GS_EINVAL, GS_RULE_BAD_PARAMETER, "partial_percent to 100"},
    {"head sets partial_percent", B_UNIT, {{0}},
     PARTIAL(K_HEAD, 50), GS_EPERM, GS_RULE_ROLE_FORBIDS, "only the log key"},
};
/* clang-format on */

static void run_case(const rule_case *c)
{
    world w;
    world_init(&w, c->base);
    for (size_t i = 0; i < sizeof c->setup / sizeof c->setup[0] && c->setup[i].op != OP_END; i++)
        world_must(&w, &c->setup[i], c->name);

    gs_statement st;
    gs_hash leaf;
    build(&w, &c->final, &st);
    leaf_for(&w, w.n, &leaf);
    gs_rules_params p = params_for(&w, c->final.flags);

    static char before[16384], after[16384];
    fingerprint(&w, w.s, before, sizeof before);
    gs_rule_verdict v;
    int rc = gs_rules_check(w.s, &st, &leaf, &p, &v);
    fingerprint(&w, w.s, after, sizeof after);
    if (strcmp(before, after) != 0)
        fail_msg("%s: gs_rules_check changed the state", c->name);
    if (rc != c->want || v.reason != c->reason)
        fail_msg("%s: want %s/%s, got %s/%s: %s", c->name, gs_error_name(c->want),
                 gs_rules_reason_name(c->reason), gs_error_name(rc), gs_rules_reason_name(v.reason),
                 v.message);
    assert_int_equal(v.code, rc);
    if (rc != 0 && v.message[0] == '\0')
        fail_msg("%s: refused without a message", c->name);
    if (c->phrase != NULL && strstr(v.message, c->phrase) == NULL)
        fail_msg("%s: message \"%s\" lacks \"%s\"", c->name, v.message, c->phrase);

    /* apply reaches the same verdict; a refusal leaves the state as it was. */
    gs_rule_verdict v2;
    int rc2 = gs_rules_apply(w.s, &st, &leaf, w.n, &p, &v2);
    assert_int_equal(rc2, rc);
    assert_int_equal(v2.reason, v.reason);
    fingerprint(&w, w.s, after, sizeof after);
    if (rc != 0 && strcmp(before, after) != 0)
        fail_msg("%s: a refused gs_rules_apply changed the state", c->name);
    if (rc == 0)
        assert_int_equal(gs_rules_size(w.s), w.n + 1);
    world_free(&w);
}

static void test_table(void **state)
{
    (void)state;
    size_t n = sizeof cases / sizeof cases[0];
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i]);
    printf("[ rules    ] %zu rule cases passed\n", n);
}

/* Every rule the table exercises at least once, accepting and refusing. */
static void test_table_covers_every_rule(void **state)
{
    (void)state;
    /* Every reason the enum names (up to the first without a name), so a rule
     * added later needs a case too; the caller errors are tested apart
     * (test_check_is_pure_and_apply_in_order, test_bad_arguments), and
     * bad-signature is the pipeline's verdict for a signature the rule book
     * never sees (test_reason_names holds its name stable). */
    for (int r = GS_RULE_OK; strcmp(gs_rules_reason_name((gs_rule_reason)r), "unknown") != 0; r++) {
        if (r == GS_RULE_BAD_ARGUMENT || r == GS_RULE_OUT_OF_ORDER || r == GS_RULE_NO_MEMORY ||
            r == GS_RULE_BAD_SIGNATURE)
            continue;
        bool seen = false;
        for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++)
            seen = seen || cases[j].reason == (gs_rule_reason)r;
        if (!seen)
            fail_msg("no table case for rule %s", gs_rules_reason_name((gs_rule_reason)r));
    }
}

/* ------------------------------------------------- whole histories */

/* A history touching every kind of roster change. Indexes in comments. */
static const op history[] = {
    {OP_CHARTER, .by = K_LOG},                            /* 0 */
    APPOINT(K_LOG, K_HEAD, GS_ROLE_HEAD),                 /* 1 */
    APPOINT(K_HEAD, K_DEPUTY, GS_ROLE_DEPUTY),            /* 2 */
    APPOINT(K_LOG, K_OFFICER, GS_ROLE_OFFICER),           /* 3 */
    APPOINT(K_HEAD, K_INSPECTOR, GS_ROLE_INSPECTOR),      /* 4 */
    COMMIT_BY(K_OFFICER),                                 /* 5 c1 */
    {OP_COMMIT, .by = K_DEPUTY, .id = "c2", .ref = R(5)}, /* 6 */
    {OP_PROGRESS, .by = K_OFFICER},                       /* 7 */
    {OP_ROTATE, .by = K_OFFICER, .who = K_NEW1},          /* 8 */
    {OP_PROGRESS, .by = K_NEW1},                          /* 9 */
    {OP_FEEDBACK, .by = K_CITIZEN, .ref = R(5)},          /* 10 */
    {OP_RESPONSE, .by = K_NEW1, .ref = R(10)},            /* 11 */
    {OP_FINDING, .by = K_INSPECTOR, .ref = R(7)},         /* 12 */
    {OP_RESIGN, .by = K_DEPUTY},                          /* 13 */
    {OP_OUTCOME, .by = K_HEAD, .id = "c2"},               /* 14 */
    {OP_DISMISS, .by = K_LOG, .who = K_HEAD},             /* 15 */
    {OP_ROTATE, .by = K_LOG, .who = K_NEW2},              /* 16 */
    APPOINT(K_NEW2, K_X, GS_ROLE_HEAD),                   /* 17 */
    {OP_OUTCOME, .by = K_NEW1},                           /* 18 c1 */
    APPOINT(K_NEW2, K_DEPUTY, GS_ROLE_DEPUTY),            /* 19 */
    {.op = OP_END},
};

static void play_history(world *w, unsigned extra_flags)
{
    for (const op *o = history; o->op != OP_END; o++) {
        op step = *o;
        step.flags |= extra_flags;
        world_must(w, &step, "history");
    }
}

static void test_replay_reproduces_roster(void **state)
{
    (void)state;
    world live, replay;
    world_init(&live, B_EMPTY);
    world_init(&replay, B_EMPTY);
    play_history(&live, 0);
    /* The auditor replays the same statements years later: far from its
     * clock, yet replay mode accepts all and derives the same state. */
    play_history(&replay, F_REPLAY | F_LATE_NOW);
    static char a[16384], b[16384];
    fingerprint(&live, live.s, a, sizeof a);
    fingerprint(&replay, replay.s, b, sizeof b);
    assert_string_equal(a, b);
    assert_int_equal(gs_rules_size(replay.s), 20);

    /* Submission with a clock ten years on refuses the first statement. */
    world late;
    world_init(&late, B_EMPTY);
    op charter = {OP_CHARTER, .by = K_LOG, .flags = F_LATE_NOW};
    gs_rule_verdict v;
    assert_int_equal(world_apply(&late, &charter, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_CLOCK_SKEW);
    world_free(&late);

    /* A clone is the same state, and changing it leaves the original. */
    gs_rules_state *copy = NULL;
    gs_error err;
    assert_int_equal(gs_rules_state_clone(&copy, live.s, &err), 0);
    fingerprint(&live, copy, b, sizeof b);
    assert_string_equal(a, b);
    gs_rules_state *orig = live.s;
    live.s = copy;
    op more = {OP_RESIGN, .by = K_X};
    world_must(&live, &more, "clone");
    live.s = orig;
    fingerprint(&live, live.s, b, sizeof b);
    assert_string_equal(a, b);
    gs_rules_state_free(&copy);

    world_free(&live);
    world_free(&replay);
}

static void assert_key(const gs_pubkey *got, const gs_keypair *want)
{
    assert_memory_equal(got->b, want->pub.b, 32);
}

static void test_roster_reports(void **state)
{
    (void)state;
    world w;
    world_init(&w, B_EMPTY);
    play_history(&w, 0);
    const gs_rules_state *s = w.s;

    gs_pubkey lk;
    assert_int_equal(gs_rules_log_key(s, &lk), 0);
    assert_key(&lk, &w.kp[K_NEW2]);
    assert_int_equal(gs_rules_tier(s), GS_TIER_COMMUNE);
    assert_string_equal(gs_rules_origin(s), "giamsat/commune/xa-a");
    assert_int_equal(gs_rules_size(s), 20);

    /* Tenures in order: head, deputy, officer, inspector, officer on NEW1,
     * head X, deputy again. */
    assert_int_equal(gs_rules_member_count(s), 7);
    gs_rules_member m;
    assert_int_equal(gs_rules_member_at(s, 0, &m), 0);
    assert_key(&m.key, &w.kp[K_HEAD]);
    assert_int_equal(m.role, GS_ROLE_HEAD);
    assert_int_equal(m.ended, GS_TENURE_DISMISSED);
    assert_int_equal(m.since_index, 1);
    assert_int_equal(m.until_index, 15);
    assert_key(&m.ended_by, &w.kp[K_LOG]);
    assert_key(&m.appointed_by, &w.kp[K_LOG]);

    assert_int_equal(gs_rules_member_at(s, 1, &m), 0);
    assert_key(&m.key, &w.kp[K_DEPUTY]);
    assert_int_equal(m.ended, GS_TENURE_RESIGNED);
    assert_int_equal(m.until_index, 13);
    assert_key(&m.appointed_by, &w.kp[K_HEAD]);

    assert_int_equal(gs_rules_member_at(s, 2, &m), 0);
    assert_key(&m.key, &w.kp[K_OFFICER]);
    assert_int_equal(m.ended, GS_TENURE_ROTATED);
    assert_int_equal(m.until_index, 8);
    assert_true(m.has_successor);
    assert_key(&m.successor, &w.kp[K_NEW1]);

    assert_int_equal(gs_rules_member_at(s, 4, &m), 0);
    assert_key(&m.key, &w.kp[K_NEW1]);
    assert_int_equal(m.role, GS_ROLE_OFFICER);
    assert_int_equal(m.ended, GS_TENURE_ACTIVE);
    assert_int_equal(m.since_index, 8);
    assert_true(m.has_predecessor);
    assert_key(&m.predecessor, &w.kp[K_OFFICER]);
    assert_string_equal(m.name, "Nguyễn Văn A");
    assert_string_equal(m.title, "Chủ tịch");
    assert_string_equal(m.decision, "QD-1/2026");
    assert_string_equal(gs_tenure_end_name(GS_TENURE_ROTATED), "rotated");

    /* The head in office is X, appointed by the rotated log key. */
    assert_int_equal(gs_rules_head(s, &m), 0);
    assert_key(&m.key, &w.kp[K_X]);
    assert_key(&m.appointed_by, &w.kp[K_NEW2]);
    assert_int_equal(m.since_index, 17);

    /* The deputy came back: the latest tenure of the key is the new one. */
    assert_int_equal(gs_rules_member_by_key(s, &w.kp[K_DEPUTY].pub, &m), 0);
    assert_int_equal(m.ended, GS_TENURE_ACTIVE);
    assert_int_equal(m.since_index, 19);
    assert_int_equal(gs_rules_member_by_key(s, &w.kp[K_CITIZEN].pub, &m), GS_ENOTFOUND);

    /* GetSignerState. */
    uint64_t next;
    bool active;
    gs_rules_signer_state(s, &w.kp[K_OFFICER].pub, &next, &active);
    assert_int_equal(next, 4); /* signed 5, 7 and the rotation at 8 */
    assert_false(active);      /* rotated */
    gs_rules_signer_state(s, &w.kp[K_NEW1].pub, &next, &active);
    assert_int_equal(next, 4); /* a fresh start: signed 9, 11 and 18 */
    assert_true(active);
    gs_rules_signer_state(s, &w.kp[K_HEAD].pub, &next, &active);
    assert_false(active); /* dismissed */
    gs_rules_signer_state(s, &w.kp[K_NEW2].pub, &next, &active);
    assert_true(active); /* the log key */
    assert_int_equal(next, 3);
    gs_rules_signer_state(s, &w.kp[K_LOG].pub, &next, &active);
    assert_false(active); /* the old log key */
    gs_rules_signer_state(s, &w.kp[K_CITIZEN].pub, &next, &active);
    assert_int_equal(next, 2);
    assert_false(active); /* citizens hold no office */
    gs_keypair unknown;
    uint8_t seed[32] = {0};
    gs_keypair_from_seed(&unknown, seed);
    gs_rules_signer_state(s, &unknown.pub, &next, &active);
    assert_int_equal(next, 1);
    assert_false(active);

    /* Commitments: c1 followed its owner to the new key; c2's owner resigned
     * and the head closed it. */
    gs_rules_commitment c;
    assert_int_equal(gs_rules_commitment_count(s), 2);
    assert_int_equal(gs_rules_commitment_get(s, "c1", &c), 0);
    assert_key(&c.owner, &w.kp[K_OFFICER]);
    assert_key(&c.owner_current, &w.kp[K_NEW1]);
    assert_false(c.open);
    assert_int_equal(c.index, 5);
    assert_memory_equal(c.leaf_hash.b, w.leaf[5].b, 32);
    assert_int_equal(c.progress_count, 2);
    assert_int_equal(c.outcome_index, 18);
    assert_int_equal(c.outcome_value, 12 * GS_FIXED_SCALE);
    assert_int_equal(c.direction, GS_DIRECTION_AT_LEAST);
    assert_int_equal(c.target, 12 * GS_FIXED_SCALE);
    assert_int_equal(gs_rules_commitment_get(s, "c2", &c), 0);
    assert_key(&c.owner, &w.kp[K_DEPUTY]);
    assert_key(&c.outcome_by, &w.kp[K_HEAD]);
    assert_int_equal(gs_rules_commitment_get(s, "c3", &c), GS_ENOTFOUND);
    world_free(&w);
}

/* check never mutates, even across a long run of accepted and refused
 * statements; apply at the wrong index is refused and changes nothing. */
static void test_check_is_pure_and_apply_in_order(void **state)
{
    (void)state;
    world w;
    world_init(&w, B_UNIT);
    static char before[16384], after[16384];
    fingerprint(&w, w.s, before, sizeof before);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].base != B_UNIT)
            continue;
        gs_statement st;
        gs_rule_verdict v;
        gs_rules_params p = params_for(&w, cases[i].final.flags);
        build(&w, &cases[i].final, &st);
        /* Only purity is checked here: the verdict is the table test's. */
        if (gs_rules_check(w.s, &st, NULL, &p, &v) != 0)
            assert_int_not_equal(v.reason, GS_RULE_OK);
    }
    fingerprint(&w, w.s, after, sizeof after);
    assert_string_equal(before, after);

    op o = COMMIT_BY(K_OFFICER);
    gs_statement st;
    gs_hash leaf;
    gs_rule_verdict v;
    build(&w, &o, &st);
    leaf_for(&w, w.n, &leaf);
    gs_rules_params p = params_for(&w, 0);
    assert_int_equal(gs_rules_apply(w.s, &st, &leaf, w.n + 1, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_OUT_OF_ORDER);
    assert_int_equal(gs_rules_apply(w.s, &st, NULL, w.n, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_BAD_ARGUMENT);
    fingerprint(&w, w.s, after, sizeof after);
    assert_string_equal(before, after);
    world_free(&w);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    gs_rules_state *s = NULL;
    gs_error err;
    assert_int_equal(gs_rules_state_new(&s, "giamsat/village/x", &err), GS_EINVAL);
    assert_null(s);
    assert_int_equal(gs_rules_state_new(&s, NULL, &err), GS_EINVAL);
    gs_rules_state_free(&s); /* safe on NULL */
    gs_rules_state_free(NULL);

    world w;
    world_init(&w, B_UNIT);
    gs_statement st;
    gs_rule_verdict v;
    gs_rules_params p = params_for(&w, 0);
    op o = COMMIT_BY(K_OFFICER);
    build(&w, &o, &st);
    assert_int_equal(gs_rules_check(NULL, &st, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_BAD_ARGUMENT);
    assert_int_equal(gs_rules_check(w.s, NULL, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(gs_rules_check(w.s, &st, NULL, NULL, &v), GS_EINVAL);
    assert_int_equal(gs_rules_check(w.s, &st, NULL, &p, NULL), GS_EINVAL);
    p.max_skew = -1;
    assert_int_equal(gs_rules_check(w.s, &st, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_BAD_ARGUMENT);
    p = params_for(&w, 0);
    st.kind = GS_BODY_NONE;
    assert_int_equal(gs_rules_check(w.s, &st, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_MALFORMED);
    build(&w, &o, &st);
    st.origin = NULL;
    assert_int_equal(gs_rules_check(w.s, &st, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_MALFORMED);
    build(&w, &o, &st);
    st.u.commitment.id = "";
    assert_int_equal(gs_rules_check(w.s, &st, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_MALFORMED);
    /* Extreme times do not overflow the skew arithmetic. */
    build(&w, &o, &st);
    st.issued_at = INT64_MIN;
    st.u.commitment.deadline = INT64_MAX;
    assert_int_equal(gs_rules_check(w.s, &st, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_CLOCK_SKEW);
    st.issued_at = INT64_MAX;
    assert_int_equal(gs_rules_check(w.s, &st, NULL, &p, &v), GS_EINVAL);
    assert_int_equal(v.reason, GS_RULE_CLOCK_SKEW);
    world_free(&w);
}

static void test_reason_names(void **state)
{
    (void)state;
    assert_string_equal(gs_rules_reason_name(GS_RULE_REPLAYED_SEQ), "replayed-seq");
    assert_string_equal(gs_rules_reason_name(GS_RULE_CHARTER_NOT_FIRST), "charter-not-first");
    assert_string_equal(gs_rules_reason_name(GS_RULE_NOT_OWNER), "not-owner");
    assert_string_equal(gs_rules_reason_name(GS_RULE_BAD_SIGNATURE), "bad-signature");
    assert_string_equal(gs_rules_reason_name(GS_RULE_BAD_PARAMETER), "bad-parameter");
    /* Issue 10's, appended: the values before them did not move. */
    assert_int_equal(GS_RULE_OPEN_BUDGET, 36);
    assert_int_equal(GS_RULE_REVISION_AFTER_DEADLINE, 37);
    assert_string_equal(gs_rules_reason_name(GS_RULE_REVISION_AFTER_DEADLINE),
                        "revision-after-deadline");
    assert_string_equal(gs_rules_reason_name(GS_RULE_BAD_REVISION), "bad-revision");
    assert_string_equal(gs_rules_reason_name(GS_RULE_BAD_RATING), "bad-rating");
    assert_string_equal(gs_rules_reason_name(GS_RULE_BAD_TIME_ZONE), "bad-time-zone");
    assert_string_equal(gs_rules_reason_name((gs_rule_reason)999), "unknown");
    /* Every reason up to the last has its own name. */
    int last = GS_RULE_OK;
    while (strcmp(gs_rules_reason_name((gs_rule_reason)(last + 1)), "unknown") != 0)
        last++;
    assert_true(last >= GS_RULE_BAD_PARAMETER);
    for (int a = GS_RULE_OK; a <= last; a++) {
        const char *na = gs_rules_reason_name((gs_rule_reason)a);
        assert_string_not_equal(na, "unknown");
        for (int b = a + 1; b <= last; b++)
            assert_string_not_equal(na, gs_rules_reason_name((gs_rule_reason)b));
    }
}

/* Rule 18 over a whole day of feedback: a Charter naming no parameters has
 * the default limit of 10; the log key raises it to 20, and from the next
 * entry on the 11th to 20th feedback of the same key are accepted while the
 * 11th was refused before the change. A replay reaches the same verdicts. */
static void feedback_story(world *w, unsigned flags)
{
    op charter = {OP_CHARTER, .by = K_LOG, .value = NO_PARAMS, .flags = flags};
    op fb = {OP_FEEDBACK, .by = K_CITIZEN, .flags = flags};
    op raise = {OP_PARAMS, .by = K_LOG, .value = 20, .flags = flags};
    gs_rule_verdict v;
    gs_rule_parameters rp;
    uint64_t since = 99;
    world_must(w, &charter, "charter");
    gs_rules_parameters(w->s, &rp, &since);
    assert_int_equal(rp.feedback_per_day, GS_RULES_FEEDBACK_PER_DAY);
    assert_int_equal(since, 0);
    for (int i = 0; i < GS_RULES_FEEDBACK_PER_DAY; i++)
        world_must(w, &fb, "feedback under the default limit");
    assert_int_equal(world_apply(w, &fb, &v), GS_ETOOBIG);
    assert_int_equal(v.reason, GS_RULE_RATE_LIMITED);
    assert_non_null(strstr(v.message, "the limit is 10 a day"));

    world_must(w, &raise, "raise the limit");
    uint64_t change_at = w->n - 1;
    gs_rules_parameters(w->s, &rp, &since);
    assert_int_equal(rp.feedback_per_day, 20);
    assert_int_equal(since, change_at);
    for (int i = GS_RULES_FEEDBACK_PER_DAY; i < 20; i++)
        world_must(w, &fb, "feedback under the raised limit");
    assert_int_equal(world_apply(w, &fb, &v), GS_ETOOBIG);
    assert_int_equal(v.reason, GS_RULE_RATE_LIMITED);
    assert_non_null(strstr(v.message, "the limit is 20 a day"));
}

static void test_parameters_from_the_log(void **state)
{
    (void)state;
    world live, replay;
    world_init(&live, B_EMPTY);
    world_init(&replay, B_EMPTY);
    gs_rule_parameters rp;
    gs_rules_parameters(live.s, &rp, NULL);
    assert_int_equal(rp.feedback_per_day, GS_RULES_FEEDBACK_PER_DAY);
    feedback_story(&live, 0);
    feedback_story(&replay, F_REPLAY | F_LATE_NOW);
    static char a[16384], b[16384];
    fingerprint(&live, live.s, a, sizeof a);
    fingerprint(&replay, replay.s, b, sizeof b);
    assert_string_equal(a, b);

    /* A clone carries the parameters in force. */
    gs_rules_state *copy = NULL;
    gs_error err;
    assert_int_equal(gs_rules_state_clone(&copy, live.s, &err), 0);
    gs_rules_parameters(copy, &rp, NULL);
    assert_int_equal(rp.feedback_per_day, 20);
    gs_rules_state_free(&copy);
    world_free(&live);
    world_free(&replay);
}

/* Rule 19: a Revision changes the target and deadline in force and keeps
 * the Commitment's as the baseline; later revisions are judged against the
 * deadline in force; a clone carries all of it. Rules 2 and 18: the
 * partial_percent in force defaults to 75, and a ParameterChange that does
 * not name it (0) leaves it as it was. */
static void test_revision_state(void **state)
{
    (void)state;
    world w;
    world_init(&w, B_UNIT);
    gs_rule_parameters rp;
    gs_rules_parameters(w.s, &rp, NULL);
    assert_int_equal(rp.partial_percent, GS_RULES_PARTIAL_PERCENT);
    gs_rules_parameters(NULL, &rp, NULL);
    assert_int_equal(rp.partial_percent, GS_RULES_PARTIAL_PERCENT);
    op partial = PARTIAL(K_LOG, 60);
    op other = PARAMS(K_LOG, 5); /* names feedback_per_day only */
    world_must(&w, &partial, "partial 60");
    world_must(&w, &other, "feedback limit 5");
    gs_rules_parameters(w.s, &rp, NULL);
    assert_int_equal(rp.partial_percent, 60);
    assert_int_equal(rp.feedback_per_day, 5);

    op commit = COMMIT_BY(K_OFFICER);
    op target = REVISE(K_OFFICER, F_REV_TARGET);
    op deadline = REVISE(K_OFFICER, F_REV_DEADLINE);
    world_must(&w, &commit, "commit");
    gs_rules_commitment c;
    assert_int_equal(gs_rules_commitment_get(w.s, "c1", &c), 0);
    assert_int_equal(c.revision_count, 0);
    assert_int_equal(c.target, c.baseline_target);
    assert_int_equal(c.deadline, c.baseline_deadline);
    world_must(&w, &target, "revise the target");
    world_must(&w, &deadline, "revise the deadline");
    assert_int_equal(gs_rules_commitment_get(w.s, "c1", &c), 0);
    assert_int_equal(c.revision_count, 2);
    assert_int_equal(c.baseline_target, 12 * GS_FIXED_SCALE);
    assert_int_equal(c.baseline_deadline, NOW + 90 * 86400);
    assert_int_equal(c.target, 10 * GS_FIXED_SCALE);
    assert_int_equal(c.deadline, NOW + 30 * 86400);
    assert_true(c.open);

    gs_rules_state *copy = NULL;
    gs_error err;
    assert_int_equal(gs_rules_state_clone(&copy, w.s, &err), 0);
    gs_rules_commitment cc;
    assert_int_equal(gs_rules_commitment_get(copy, "c1", &cc), 0);
    assert_int_equal(cc.revision_count, 2);
    assert_int_equal(cc.baseline_target, c.baseline_target);
    assert_int_equal(cc.baseline_deadline, c.baseline_deadline);
    assert_int_equal(cc.target, c.target);
    assert_int_equal(cc.deadline, c.deadline);
    gs_rules_parameters(copy, &rp, NULL);
    assert_int_equal(rp.partial_percent, 60);
    static char a[16384], b[16384];
    fingerprint(&w, w.s, a, sizeof a);
    fingerprint(&w, copy, b, sizeof b);
    assert_string_equal(a, b);
    gs_rules_state_free(&copy);

    /* 31 days on, past the revised deadline but before the original: the
     * deadline in force decides, so the miss stands. */
    op late = REVISE(K_OFFICER, F_REV_TARGET | F_AFTER_REVISED);
    gs_rule_verdict v;
    assert_int_equal(world_apply(&w, &late, &v), GS_ECONFLICT);
    assert_int_equal(v.reason, GS_RULE_REVISION_AFTER_DEADLINE);
    world_free(&w);
}

/* Applies o dated at (a replay: the clock is not checked). */
static int apply_at(world *w, const op *o, int64_t at, gs_rule_verdict *v)
{
    gs_statement st;
    gs_hash leaf;
    build(w, o, &st);
    st.issued_at = at;
    leaf_for(w, w->n, &leaf);
    gs_rules_params p = params_for(w, F_REPLAY);
    int rc = gs_rules_apply(w->s, &st, &leaf, w->n, &p, v);
    if (rc == 0) {
        w->leaf[w->n] = leaf;
        w->kind[w->n] = st.kind;
        w->n++;
        w->seq[o->by] = st.seq;
    }
    return rc;
}

/* Rule 15's state is bounded: once the log's clock (its largest issued_at)
 * is two days past a Feedback, it counts for nothing and its per-key record
 * is dropped; open Feedback dated before yesterday counts on yesterday. The
 * verdicts say so, identically in a clone. */
static void test_feedback_state_is_bounded(void **state)
{
    (void)state;
    world w;
    world_init(&w, B_UNIT);
    gs_rule_verdict v;
    op fb = FEEDBACK(K_CITIZEN), open1 = OPEN_PARAMS(K_LOG, 1);
    for (int i = 0; i < FEEDBACK_LIMIT; i++)
        assert_int_equal(apply_at(&w, &fb, NOW, &v), 0);
    assert_int_equal(apply_at(&w, &fb, NOW, &v), GS_ETOOBIG);
    assert_int_equal(v.reason, GS_RULE_RATE_LIMITED);
    assert_int_equal(apply_at(&w, &open1, NOW, &v), 0);

    /* The log's clock moves three days on (a member's statement). */
    op progress = COMMIT_BY(K_OFFICER);
    assert_int_equal(apply_at(&w, &progress, NOW + 3 * 86400, &v), 0);
    /* The same key, dated in the same old window: its old feedback is
     * forgotten, so it is not rate-limited; and the open budget counts it
     * on yesterday (by the log's clock), which was empty. */
    assert_int_equal(apply_at(&w, &fb, NOW, &v), 0);
    gs_rules_state *copy = NULL;
    gs_error err;
    assert_int_equal(gs_rules_state_clone(&copy, w.s, &err), 0);
    /* Yesterday's budget (1) is now used: another old-dated open feedback
     * is refused, today's is not. */
    op fx = FEEDBACK(K_X);
    gs_statement st;
    gs_hash leaf;
    build(&w, &fx, &st);
    st.issued_at = NOW + 86400;
    leaf_for(&w, w.n, &leaf);
    gs_rules_params p = params_for(&w, F_REPLAY);
    assert_int_equal(gs_rules_check(w.s, &st, &leaf, &p, &v), GS_ETOOBIG);
    assert_int_equal(v.reason, GS_RULE_OPEN_BUDGET);
    assert_int_equal(gs_rules_check(copy, &st, &leaf, &p, &v), GS_ETOOBIG);
    st.issued_at = NOW + 3 * 86400;
    assert_int_equal(gs_rules_check(w.s, &st, &leaf, &p, &v), 0);
    assert_int_equal(gs_rules_check(copy, &st, &leaf, &p, &v), 0);
    gs_rules_state_free(&copy);

    /* Thousands of fresh keys over many days: every verdict as the budget
     * says, and (under ASan) every dropped record freed. */
    world_free(&w);
    world_init(&w, B_UNIT);
    op budget = OPEN_PARAMS(K_LOG, GS_RULES_OPEN_FEEDBACK_PER_DAY);
    assert_int_equal(apply_at(&w, &budget, NOW, &v), 0);
    gs_rules_params pp = params_for(&w, F_REPLAY);
    uint64_t seed = 1;
    for (int day = 0; day < 5; day++) {
        int accepted = 0;
        for (int i = 0; i < GS_RULES_OPEN_FEEDBACK_PER_DAY + 20; i++) {
            gs_keypair k;
            uint8_t sd[32] = {0};
            memcpy(sd, &seed, sizeof seed);
            seed++;
            gs_keypair_from_seed(&k, sd);
            memset(&st, 0, sizeof st);
            st.kind = GS_BODY_FEEDBACK;
            st.signer = k.pub;
            st.seq = 1;
            st.issued_at = NOW + day * 86400 + i;
            st.origin = w.origin;
            st.u.feedback.text = "flood";
            gs_merkle_leaf_hash(gs_bytes_of(sd, sizeof sd), &leaf);
            int rc = gs_rules_apply(w.s, &st, &leaf, gs_rules_size(w.s), &pp, &v);
            if (rc == 0)
                accepted++;
            else
                assert_int_equal(v.reason, GS_RULE_OPEN_BUDGET);
        }
        assert_int_equal(accepted, GS_RULES_OPEN_FEEDBACK_PER_DAY);
    }
    /* world_free frees the state; w.n was not advanced past the base, which
     * is all entry_at is asked about here. */
    world_free(&w);
}

/* Many citizens and commitments: the hash indexes grow and still find
 * everything (and ASan sees every byte they touch). */
static void test_many_people(void **state)
{
    (void)state;
    world w;
    world_init(&w, B_UNIT);
    gs_rules_params p = params_for(&w, 0);
    uint64_t index = w.n;
    for (int i = 0; i < 500; i++) {
        uint8_t seed[32] = {0};
        seed[0] = (uint8_t)i;
        seed[1] = (uint8_t)(i >> 8);
        seed[2] = 0x77;
        gs_keypair kp;
        gs_keypair_from_seed(&kp, seed);
        gs_statement st;
        op o = {OP_FEEDBACK, .by = K_CITIZEN};
        build(&w, &o, &st);
        st.signer = kp.pub;
        st.seq = 1;
        gs_hash leaf;
        memset(&leaf, i & 0xff, sizeof leaf);
        gs_rule_verdict v;
        assert_int_equal(gs_rules_apply(w.s, &st, &leaf, index++, &p, &v), 0);
        char id[16];
        snprintf(id, sizeof id, "k%d", i);
        op c = {OP_COMMIT, .by = K_OFFICER, .id = id};
        build(&w, &c, &st);
        st.seq = w.seq[K_OFFICER] + 1;
        if (gs_rules_apply(w.s, &st, &leaf, index++, &p, &v) != 0)
            fail_msg("commitment %s: %s", id, v.message);
        w.seq[K_OFFICER] = st.seq;
        gs_keypair_wipe(&kp);
    }
    assert_int_equal(gs_rules_commitment_count(w.s), 500);
    gs_rules_commitment c;
    assert_int_equal(gs_rules_commitment_get(w.s, "k0", &c), 0);
    assert_int_equal(gs_rules_commitment_get(w.s, "k499", &c), 0);
    assert_int_equal(c.index, index - 1);
    assert_int_equal(gs_rules_commitment_get(w.s, "k500", &c), GS_ENOTFOUND);
    uint64_t next;
    bool active;
    gs_rules_signer_state(w.s, &w.kp[K_OFFICER].pub, &next, &active);
    assert_int_equal(next, 501);
    assert_true(active);
    world_free(&w);
}

int main(void)
{
    gs_error err;
    if (gs_crypto_init(&err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_covers_every_rule),
        cmocka_unit_test(test_replay_reproduces_roster),
        cmocka_unit_test(test_roster_reports),
        cmocka_unit_test(test_check_is_pure_and_apply_in_order),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_parameters_from_the_log),
        cmocka_unit_test(test_feedback_state_is_bounded),
        cmocka_unit_test(test_many_people),
        cmocka_unit_test(test_revision_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
