/* rules.c — see rules.h, whose header comment is the rule book; every check
 * below names the rule it enforces.
 *
 * Layout of the state: three arrays (keys, tenures, commitments) that only
 * grow, two hash indexes over them (key bytes → key record, commitment id →
 * commitment). The indexes hash with SipHash (crypto_shorthash) under a
 * per-state random key, because citizens choose their own keys and could
 * otherwise grind collisions to slow every lookup down.
 *
 * gs_rules_apply never leaves a half-applied statement: it first makes every
 * allocation the update will need, and only then mutates. */
#define _POSIX_C_SOURCE 200809L /* strdup, strnlen */
#include "rules.h"

#include "crypto.h"
#include "localtime.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE (-1)
#define DAY 86400

typedef struct {
    gs_pubkey key;
    uint64_t last_seq;      /* 0: has not signed in this log */
    int32_t tenure;         /* latest tenure of this key, NONE if never appointed */
    int32_t successor;      /* key record it was rotated to, NONE */
    uint64_t rotated_index; /* set with successor */
    int64_t *feedback;      /* ring of GS_RULES_FEEDBACK_MAX issued_at, NULL until first */
    uint32_t feedback_n;    /* entries used in the ring */
    uint32_t feedback_next; /* next slot to overwrite */
} key_rec;

typedef struct {
    int32_t key;
    char *name;
    char *title;
    char *decision;
    gs_role role;
    uint64_t since_index;
    int64_t since_time;
    int32_t appointed_by;
    gs_tenure_end ended;
    uint64_t until_index;
    int64_t until_time;
    int32_t ended_by;
    int32_t predecessor; /* key records, NONE */
    int32_t successor;
} tenure;

typedef struct {
    char *id;
    int32_t owner;  /* key record of the signer of the Commitment */
    int64_t target; /* in force: the last Revision's, else the Commitment's */
    gs_direction direction;
    int64_t deadline; /* in force, as target */
    int64_t baseline_target;
    int64_t baseline_deadline;
    uint64_t revision_count;
    int64_t issued_at;
    uint64_t index;
    gs_hash leaf_hash;
    uint64_t progress_count;
    bool open;
    int64_t outcome_value;
    uint64_t outcome_index;
    int32_t outcome_by;
} commitment;

/* Open addressing with linear probing; slot values are array indexes, NONE
 * for empty; cap is 0 or a power of two, kept at least twice the count. */
typedef struct {
    int32_t *slot;
    size_t cap;
} table;

struct gs_rules_state {
    char *origin;
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
    uint64_t size;
    gs_tier tier;              /* 0 before the Charter */
    gs_rule_parameters params; /* in force, every field set (rule 18) */
    uint64_t params_index;     /* the entry that last set them */
    int32_t log_key;           /* key record, NONE before the Charter */
    int32_t head;              /* tenure of the head in office, NONE */
    key_rec *keys;
    size_t n_keys, cap_keys;
    table key_index;
    tenure *tenures;
    size_t n_tenures, cap_tenures;
    commitment *commits;
    size_t n_commits, cap_commits;
    table commit_index;
    /* Rule 15's clock: the largest issued_at the log holds (valid once the
     * Charter is applied). Feedback counted in rule 15's windows and open
     * budget reaches at most two days behind it, so what is older is
     * dropped: the state for Feedback stays bounded by a day's traffic. */
    int64_t horizon;
    int64_t swept_day;    /* day of horizon at the last sweep of per-key rings */
    uint32_t open_day[2]; /* open Feedback counted on day(horizon) - 1 and day(horizon) */
};

/* ------------------------------------------------------------ verdicts */

const char *gs_rules_reason_name(gs_rule_reason r)
{
    switch (r) {
    case GS_RULE_OK: return "ok";
    case GS_RULE_BAD_ARGUMENT: return "bad-argument";
    case GS_RULE_OUT_OF_ORDER: return "out-of-order";
    case GS_RULE_MALFORMED: return "malformed";
    case GS_RULE_WRONG_ORIGIN: return "wrong-origin";
    case GS_RULE_CHARTER_NOT_FIRST: return "charter-not-first";
    case GS_RULE_SECOND_CHARTER: return "second-charter";
    case GS_RULE_CHARTER_MISMATCH: return "charter-mismatch";
    case GS_RULE_CHARTER_PARENT: return "charter-parent";
    case GS_RULE_WRONG_LOG_KIND: return "wrong-log-kind";
    case GS_RULE_KEY_ROTATED: return "key-rotated";
    case GS_RULE_REPLAYED_SEQ: return "replayed-seq";
    case GS_RULE_CLOCK_SKEW: return "clock-skew";
    case GS_RULE_NOT_MEMBER: return "not-member";
    case GS_RULE_RESIGNED: return "resigned";
    case GS_RULE_DISMISSED: return "dismissed";
    case GS_RULE_ROLE_FORBIDS: return "role-forbids";
    case GS_RULE_KEY_IN_USE: return "key-in-use";
    case GS_RULE_ALREADY_MEMBER: return "already-member";
    case GS_RULE_HEAD_IN_OFFICE: return "head-in-office";
    case GS_RULE_TARGET_NOT_MEMBER: return "target-not-member";
    case GS_RULE_SELF_DISMISSAL: return "self-dismissal";
    case GS_RULE_DUPLICATE_COMMITMENT: return "duplicate-commitment";
    case GS_RULE_BAD_DEADLINE: return "bad-deadline";
    case GS_RULE_NO_SUCH_COMMITMENT: return "no-such-commitment";
    case GS_RULE_COMMITMENT_CLOSED: return "commitment-closed";
    case GS_RULE_NOT_OWNER: return "not-owner";
    case GS_RULE_REFERENCE_NOT_FOUND: return "reference-not-found";
    case GS_RULE_REFERENCE_MISMATCH: return "reference-mismatch";
    case GS_RULE_REFERENCE_WRONG_KIND: return "reference-wrong-kind";
    case GS_RULE_REFERENCE_OTHER_LOG: return "reference-other-log";
    case GS_RULE_RATE_LIMITED: return "rate-limited";
    case GS_RULE_OPEN_BUDGET: return "open-budget";
    case GS_RULE_ENTRY_UNAVAILABLE: return "entry-unavailable";
    case GS_RULE_NO_MEMORY: return "no-memory";
    case GS_RULE_BAD_SIGNATURE: return "bad-signature";
    case GS_RULE_BAD_PARAMETER: return "bad-parameter";
    case GS_RULE_REVISION_AFTER_DEADLINE: return "revision-after-deadline";
    case GS_RULE_BAD_REVISION: return "bad-revision";
    case GS_RULE_BAD_RATING: return "bad-rating";
    case GS_RULE_BAD_TIME_ZONE: return "bad-time-zone";
    }
    return "unknown";
}

static int reason_code(gs_rule_reason r)
{
    switch (r) {
    case GS_RULE_OK: return 0;
    case GS_RULE_KEY_ROTATED:
    case GS_RULE_NOT_MEMBER:
    case GS_RULE_RESIGNED:
    case GS_RULE_DISMISSED:
    case GS_RULE_ROLE_FORBIDS:
    case GS_RULE_SELF_DISMISSAL:
    case GS_RULE_NOT_OWNER: return GS_EPERM;
    case GS_RULE_REPLAYED_SEQ:
    case GS_RULE_SECOND_CHARTER:
    case GS_RULE_KEY_IN_USE:
    case GS_RULE_ALREADY_MEMBER:
    case GS_RULE_HEAD_IN_OFFICE:
    case GS_RULE_DUPLICATE_COMMITMENT:
    case GS_RULE_COMMITMENT_CLOSED:
    case GS_RULE_REVISION_AFTER_DEADLINE: return GS_ECONFLICT;
    case GS_RULE_TARGET_NOT_MEMBER:
    case GS_RULE_NO_SUCH_COMMITMENT:
    case GS_RULE_REFERENCE_NOT_FOUND: return GS_ENOTFOUND;
    case GS_RULE_REFERENCE_MISMATCH:
    case GS_RULE_BAD_SIGNATURE: return GS_EVERIFY;
    case GS_RULE_RATE_LIMITED:
    case GS_RULE_OPEN_BUDGET: return GS_ETOOBIG;
    case GS_RULE_ENTRY_UNAVAILABLE: return GS_EIO;
    case GS_RULE_NO_MEMORY: return GS_ENOMEM;
    default: return GS_EINVAL;
    }
}

static int deny_code(gs_rule_verdict *v, gs_rule_reason r, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int deny_code(gs_rule_verdict *v, gs_rule_reason r, int code, const char *fmt, ...)
{
    va_list ap;
    v->reason = r;
    v->code = code;
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof v->message, fmt, ap);
    va_end(ap);
    return code;
}

#define deny(v, r, ...) deny_code((v), (r), reason_code(r), __VA_ARGS__)

/* A hash as messages show it: its first 4 bytes in hex and an ellipsis,
 * enough to tell entries apart. C11 §6.2.4: the array lives until the end of
 * the full expression using it. */
typedef struct {
    char s[16];
} short_hash;

static short_hash hx(const gs_hash *h)
{
    short_hash x;
    sodium_bin2hex(x.s, 9, h->b, 4);
    memcpy(x.s + 8, "\xe2\x80\xa6", 4); /* U+2026 and the NUL */
    return x;
}

/* A key as messages show it: gs_key_fingerprint, the one short key display
 * of entries, reports and the roster, so a person finds it there. */
typedef struct {
    char s[GS_KEY_FINGERPRINT_LEN];
} short_key;

static short_key kx(const gs_pubkey *k)
{
    short_key x;
    gs_key_fingerprint(k, x.s);
    return x;
}

#define U64(x) ((unsigned long long)(x))
#define I64(x) ((long long)(x))

/* --------------------------------------------------------- hash indexes */

static uint64_t hash_of(const gs_rules_state *s, const void *p, size_t n)
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t x;
    crypto_shorthash(h, p, n, s->hash_key);
    memcpy(&x, h, sizeof x);
    return x;
}

static uint64_t key_hash(const gs_rules_state *s, int32_t i)
{
    return hash_of(s, s->keys[i].key.b, sizeof s->keys[i].key.b);
}

static uint64_t commit_hash(const gs_rules_state *s, int32_t i)
{
    return hash_of(s, s->commits[i].id, strlen(s->commits[i].id));
}

static void table_put(const gs_rules_state *s, table *t, int32_t i,
                      uint64_t (*h)(const gs_rules_state *, int32_t))
{
    size_t mask = t->cap - 1;
    size_t at = (size_t)h(s, i) & mask;
    while (t->slot[at] != NONE)
        at = (at + 1) & mask;
    t->slot[at] = i;
}

/* Makes room for `count` items; rebuilding does not change any lookup. */
static int table_reserve(const gs_rules_state *s, table *t, size_t count,
                         uint64_t (*h)(const gs_rules_state *, int32_t))
{
    if (count <= t->cap / 2)
        return 0;
    size_t cap = t->cap ? t->cap : 16;
    while (count > cap / 2) {
        if (cap > SIZE_MAX / 2 / sizeof(int32_t))
            return GS_ENOMEM;
        cap *= 2;
    }
    int32_t *slot = malloc(cap * sizeof *slot);
    if (slot == NULL)
        return GS_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        slot[i] = NONE;
    table old = *t;
    t->slot = slot;
    t->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i] != NONE)
            table_put(s, t, old.slot[i], h);
    free(old.slot);
    return 0;
}

static int32_t key_find(const gs_rules_state *s, const gs_pubkey *k)
{
    if (s->key_index.cap == 0)
        return NONE;
    size_t mask = s->key_index.cap - 1;
    size_t at = (size_t)hash_of(s, k->b, sizeof k->b) & mask;
    for (;;) {
        int32_t i = s->key_index.slot[at];
        if (i == NONE || memcmp(s->keys[i].key.b, k->b, sizeof k->b) == 0)
            return i;
        at = (at + 1) & mask;
    }
}

static int32_t commit_find(const gs_rules_state *s, const char *id)
{
    if (s->commit_index.cap == 0)
        return NONE;
    size_t mask = s->commit_index.cap - 1;
    size_t at = (size_t)hash_of(s, id, strlen(id)) & mask;
    for (;;) {
        int32_t i = s->commit_index.slot[at];
        if (i == NONE || strcmp(s->commits[i].id, id) == 0)
            return i;
        at = (at + 1) & mask;
    }
}

/* Commitments are appended in log order, so their indexes are sorted. */
static int32_t commit_at_index(const gs_rules_state *s, uint64_t index)
{
    size_t lo = 0, hi = s->n_commits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->commits[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_commits && s->commits[lo].index == index)
        return (int32_t)lo;
    return NONE;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    if (need > INT32_MAX)
        return GS_ENOMEM; /* indexes are int32_t */
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (q == NULL)
        return GS_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

/* ---------------------------------------------------------- lifecycle */

int gs_rules_state_new(gs_rules_state **out, const char *origin, gs_error *err)
{
    if (out == NULL || origin == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_rules_state_new needs an origin");
    *out = NULL;
    int rc = gs_origin_valid(origin, err);
    if (rc != 0)
        return rc;
    if (sodium_init() < 0)
        return gs_error_set(err, GS_EIO, "libsodium failed to initialize");
    gs_rules_state *s = calloc(1, sizeof *s);
    if (s == NULL || (s->origin = strdup(origin)) == NULL) {
        free(s);
        return gs_error_set(err, GS_ENOMEM, "out of memory creating the rule state for %s", origin);
    }
    randombytes_buf(s->hash_key, sizeof s->hash_key);
    s->log_key = NONE;
    s->head = NONE;
    s->params.feedback_per_day = GS_RULES_FEEDBACK_PER_DAY;
    s->params.open_feedback_per_day = 0; /* no budget unless the log names one */
    s->params.partial_percent = GS_RULES_PARTIAL_PERCENT;
    *out = s;
    return 0;
}

static void tenure_free(tenure *t)
{
    free(t->name);
    free(t->title);
    free(t->decision);
}

void gs_rules_state_free(gs_rules_state **sp)
{
    if (sp == NULL || *sp == NULL)
        return;
    gs_rules_state *s = *sp;
    for (size_t i = 0; i < s->n_keys; i++)
        free(s->keys[i].feedback);
    for (size_t i = 0; i < s->n_tenures; i++)
        tenure_free(&s->tenures[i]);
    for (size_t i = 0; i < s->n_commits; i++)
        free(s->commits[i].id);
    free(s->keys);
    free(s->tenures);
    free(s->commits);
    free(s->key_index.slot);
    free(s->commit_index.slot);
    free(s->origin);
    sodium_memzero(s->hash_key, sizeof s->hash_key);
    free(s);
    *sp = NULL;
}

static void *dup_mem(const void *p, size_t n)
{
    if (n == 0)
        return NULL;
    void *q = malloc(n);
    if (q != NULL)
        memcpy(q, p, n);
    return q;
}

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return 0;
    *dst = strdup(src);
    return *dst == NULL ? GS_ENOMEM : 0;
}

int gs_rules_state_clone(gs_rules_state **out, const gs_rules_state *s, gs_error *err)
{
    if (out == NULL || s == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_rules_state_clone needs a state");
    *out = NULL;
    gs_rules_state *c = calloc(1, sizeof *c);
    if (c == NULL)
        goto nomem;
    *c = *s;
    /* Nothing below is shared with s; set every pointer before any can fail
     * so that gs_rules_state_free is safe on a partial copy. */
    c->origin = NULL;
    c->keys = NULL;
    c->tenures = NULL;
    c->commits = NULL;
    c->key_index.slot = NULL;
    c->commit_index.slot = NULL;
    c->n_keys = c->n_tenures = c->n_commits = 0;
    c->cap_keys = c->cap_tenures = c->cap_commits = 0;
    c->key_index.cap = c->commit_index.cap = 0;
    if (dup_str(&c->origin, s->origin) != 0)
        goto nomem;
    if (s->key_index.cap != 0) {
        if ((c->key_index.slot = dup_mem(s->key_index.slot, s->key_index.cap * sizeof(int32_t))) ==
            NULL)
            goto nomem;
        c->key_index.cap = s->key_index.cap;
    }
    if (s->commit_index.cap != 0) {
        if ((c->commit_index.slot =
                 dup_mem(s->commit_index.slot, s->commit_index.cap * sizeof(int32_t))) == NULL)
            goto nomem;
        c->commit_index.cap = s->commit_index.cap;
    }
    if (grow((void **)&c->keys, &c->cap_keys, s->n_keys, sizeof *c->keys) != 0 ||
        grow((void **)&c->tenures, &c->cap_tenures, s->n_tenures, sizeof *c->tenures) != 0 ||
        grow((void **)&c->commits, &c->cap_commits, s->n_commits, sizeof *c->commits) != 0)
        goto nomem;
    for (size_t i = 0; i < s->n_keys; i++) {
        c->keys[i] = s->keys[i];
        c->keys[i].feedback = NULL;
        c->n_keys++;
        if (s->keys[i].feedback != NULL &&
            (c->keys[i].feedback =
                 dup_mem(s->keys[i].feedback, GS_RULES_FEEDBACK_MAX * sizeof(int64_t))) == NULL)
            goto nomem;
    }
    for (size_t i = 0; i < s->n_tenures; i++) {
        tenure *t = &c->tenures[i];
        *t = s->tenures[i];
        t->name = t->title = t->decision = NULL;
        c->n_tenures++;
        if (dup_str(&t->name, s->tenures[i].name) != 0 ||
            dup_str(&t->title, s->tenures[i].title) != 0 ||
            dup_str(&t->decision, s->tenures[i].decision) != 0)
            goto nomem;
    }
    for (size_t i = 0; i < s->n_commits; i++) {
        c->commits[i] = s->commits[i];
        c->commits[i].id = NULL;
        c->n_commits++;
        if (dup_str(&c->commits[i].id, s->commits[i].id) != 0)
            goto nomem;
    }
    *out = c;
    return 0;
nomem:
    gs_rules_state_free(&c);
    return gs_error_set(err, GS_ENOMEM, "out of memory copying the rule state");
}

/* -------------------------------------------------------------- checks */

/* What one check knows about its signer. */
typedef struct {
    const gs_rules_state *s;
    const gs_statement *st;
    const gs_rules_params *p;
    gs_rule_verdict *v;
    int32_t signer;  /* key record, NONE for a key never seen */
    bool is_log_key; /* the current log key */
} check_ctx;

static int32_t active_tenure(const gs_rules_state *s, int32_t key)
{
    if (key == NONE)
        return NONE;
    int32_t t = s->keys[key].tenure;
    if (t != NONE && s->tenures[t].ended == GS_TENURE_ACTIVE)
        return t;
    return NONE;
}

static const char *str_or_empty(const char *p)
{
    return p != NULL ? p : "";
}

static bool str_missing(const char *p)
{
    return p == NULL || p[0] == '\0';
}

static bool str_longer(const char *p, size_t max)
{
    return p != NULL && strnlen(p, max + 1) > max;
}

static const char *role_word(gs_role r)
{
    switch (r) {
    case GS_ROLE_HEAD: return "head";
    case GS_ROLE_DEPUTY: return "deputy";
    case GS_ROLE_OFFICER: return "officer";
    case GS_ROLE_INSPECTOR: return "inspector";
    }
    return "member";
}

static const char *body_word(gs_body_kind k)
{
    switch (k) {
    case GS_BODY_NONE: return "empty statement";
    case GS_BODY_CHARTER: return "charter";
    case GS_BODY_APPOINTMENT: return "appointment";
    case GS_BODY_RESIGNATION: return "resignation";
    case GS_BODY_DISMISSAL: return "dismissal";
    case GS_BODY_KEY_ROTATION: return "key rotation";
    case GS_BODY_COMMITMENT: return "commitment";
    case GS_BODY_PROGRESS: return "progress report";
    case GS_BODY_OUTCOME: return "outcome";
    case GS_BODY_FINDING: return "finding";
    case GS_BODY_FEEDBACK: return "feedback";
    case GS_BODY_RESPONSE: return "response";
    case GS_BODY_OBSERVATION: return "observation";
    case GS_BODY_EVIDENCE: return "evidence";
    case GS_BODY_PARAMETER_CHANGE: return "parameter change";
    case GS_BODY_REVISION: return "revision";
    }
    return "statement of an unknown kind";
}

static const char *article(const char *noun)
{
    return strchr("aeiou", noun[0]) != NULL ? "an" : "a";
}

/* The path segment of a tier in an origin (DESIGN §4). */
static const char *tier_path(gs_tier t)
{
    switch (t) {
    case GS_TIER_COMMUNE: return "commune";
    case GS_TIER_PROVINCE: return "province";
    case GS_TIER_CENTRAL: return "central";
    case GS_TIER_HUB: return "hub";
    }
    return NULL;
}

static gs_tier origin_tier(const char *origin)
{
    for (int t = GS_TIER_COMMUNE; t <= GS_TIER_HUB; t++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "giamsat/%s/", tier_path((gs_tier)t));
        if (strncmp(origin, prefix, strlen(prefix)) == 0)
            return (gs_tier)t;
    }
    return 0;
}

/* Rule 0. */
static int check_shape(const gs_statement *st, gs_rule_verdict *v)
{
    if (st->kind < GS_BODY_CHARTER || st->kind > GS_BODY_REVISION)
        return deny(v, GS_RULE_MALFORMED, "the statement carries no known body (kind %d)",
                    (int)st->kind);
    if (str_missing(st->origin) || str_longer(st->origin, GS_MAX_ORIGIN))
        return deny(v, GS_RULE_MALFORMED, "the statement names no origin (the log it is for)");
    switch (st->kind) {
    case GS_BODY_CHARTER:
        if (str_missing(st->u.charter.unit) || str_missing(st->u.charter.display_name) ||
            tier_path(st->u.charter.tier) == NULL)
            return deny(v, GS_RULE_MALFORMED,
                        "a charter needs a unit, a known tier and a display name");
        break;
    case GS_BODY_APPOINTMENT:
        if (str_missing(st->u.appointment.name) ||
            str_longer(st->u.appointment.name, GS_MAX_NAME) ||
            str_longer(st->u.appointment.title, GS_MAX_NAME) ||
            str_longer(st->u.appointment.decision, GS_MAX_NAME))
            return deny(v, GS_RULE_MALFORMED,
                        "an appointment needs the person's name (at most %d bytes, as are its "
                        "title and decision)",
                        GS_MAX_NAME);
        if (st->u.appointment.role < GS_ROLE_HEAD || st->u.appointment.role > GS_ROLE_INSPECTOR)
            return deny(v, GS_RULE_MALFORMED,
                        "appointment role %d is not head, deputy, officer or inspector",
                        (int)st->u.appointment.role);
        break;
    case GS_BODY_COMMITMENT:
        if (str_missing(st->u.commitment.id) || str_longer(st->u.commitment.id, GS_MAX_ID))
            return deny(v, GS_RULE_MALFORMED, "a commitment needs an id of 1 to %d bytes",
                        GS_MAX_ID);
        if (st->u.commitment.direction != GS_DIRECTION_AT_LEAST &&
            st->u.commitment.direction != GS_DIRECTION_AT_MOST)
            return deny(v, GS_RULE_MALFORMED,
                        "commitment %s: direction %d is not at-least or at-most",
                        st->u.commitment.id, (int)st->u.commitment.direction);
        if (st->u.commitment.has_parent && str_missing(st->u.commitment.parent.origin))
            return deny(v, GS_RULE_MALFORMED, "commitment %s: its parent names no origin",
                        st->u.commitment.id);
        break;
    case GS_BODY_PROGRESS:
        if (str_missing(st->u.progress.commitment_id) ||
            str_longer(st->u.progress.commitment_id, GS_MAX_ID))
            return deny(v, GS_RULE_MALFORMED, "a progress report needs a commitment id");
        break;
    case GS_BODY_OUTCOME:
        if (str_missing(st->u.outcome.commitment_id) ||
            str_longer(st->u.outcome.commitment_id, GS_MAX_ID))
            return deny(v, GS_RULE_MALFORMED, "an outcome needs a commitment id");
        break;
    case GS_BODY_FINDING:
        if (st->u.finding.severity < GS_SEVERITY_LOW || st->u.finding.severity > GS_SEVERITY_HIGH)
            return deny(v, GS_RULE_MALFORMED, "finding severity %d is not low, medium or high",
                        (int)st->u.finding.severity);
        if (st->u.finding.verdict != GS_VERDICT_NONE &&
            st->u.finding.verdict != GS_VERDICT_CONFIRMS &&
            st->u.finding.verdict != GS_VERDICT_CONTESTS)
            return deny(v, GS_RULE_MALFORMED,
                        "finding verdict %d is not none, confirms or contests",
                        (int)st->u.finding.verdict);
        if (str_missing(st->u.finding.about.origin))
            return deny(v, GS_RULE_MALFORMED, "a finding needs the reference it is about");
        break;
    case GS_BODY_FEEDBACK:
        if (st->u.feedback.has_about && str_missing(st->u.feedback.about.origin))
            return deny(v, GS_RULE_MALFORMED, "feedback: its reference names no origin");
        break;
    case GS_BODY_RESPONSE:
        if (str_missing(st->u.response.to.origin))
            return deny(v, GS_RULE_MALFORMED, "a response needs the reference it answers");
        break;
    case GS_BODY_OBSERVATION:
        if (str_missing(st->u.observation.origin))
            return deny(v, GS_RULE_MALFORMED, "an observation needs the origin it observed");
        break;
    case GS_BODY_PARAMETER_CHANGE:
        if (!gs_rule_parameters_set(&st->u.parameter_change.parameters))
            return deny(v, GS_RULE_MALFORMED, "a parameter change needs a parameter to change");
        break;
    case GS_BODY_REVISION:
        if (str_missing(st->u.revision.commitment_id) ||
            str_longer(st->u.revision.commitment_id, GS_MAX_ID))
            return deny(v, GS_RULE_MALFORMED, "a revision needs a commitment id of 1 to %d bytes",
                        GS_MAX_ID);
        if (str_missing(st->u.revision.reason) || str_longer(st->u.revision.reason, GS_MAX_TEXT))
            return deny(v, GS_RULE_MALFORMED,
                        "revision of %s: a revision needs a reason (at most %d bytes)",
                        st->u.revision.commitment_id, GS_MAX_TEXT);
        break;
    default: break;
    }
    return 0;
}

size_t gs_rules_invisible(const char *s, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t c;
    size_t len;
    /* Lead bytes only (0xd8, 0xe2, 0xef never continue a character), and
     * each test stops at a NUL, so nothing past the string is read. */
    if (p[0] == 0xd8 && p[1] == 0x9c)
        return *cp = 0x061c, 2;
    if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        return *cp = 0xfeff, 3;
    if (p[0] != 0xe2 || (p[1] != 0x80 && p[1] != 0x81) || (p[2] & 0xc0) != 0x80)
        return 0;
    c = 0x2000 | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    len = 3;
    if ((c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || c == 0x2060 ||
        (c >= 0x2066 && c <= 0x2069))
        return *cp = c, len;
    return 0;
}

/* Rule 0, at submission: the first such character in s, as its code point
 * and byte offset. They can reverse or hide text in an audit line (Trojan
 * Source, CVE-2021-42574). */
static bool invisible_at(const char *s, uint32_t *cp, size_t *at)
{
    for (size_t i = 0; s[i] != '\0'; i++)
        if (gs_rules_invisible(s + i, cp) != 0) {
            *at = i;
            return true;
        }
    return false;
}

static int check_invisible(const gs_statement *st, gs_rule_verdict *v)
{
    const char *f[8] = {0};
    const char *names[8] = {0};
    size_t n = 0;
#define FIELD(expr, name) (f[n] = (expr), names[n++] = (name))
    switch (st->kind) {
    case GS_BODY_CHARTER:
        FIELD(st->u.charter.unit, "the charter's unit");
        FIELD(st->u.charter.display_name, "the charter's display name");
        break;
    case GS_BODY_APPOINTMENT:
        FIELD(st->u.appointment.name, "the appointee's name");
        FIELD(st->u.appointment.title, "the appointment's title");
        FIELD(st->u.appointment.decision, "the appointment's decision");
        break;
    case GS_BODY_RESIGNATION: FIELD(st->u.resignation.reason, "the resignation's reason"); break;
    case GS_BODY_DISMISSAL: FIELD(st->u.dismissal.reason, "the dismissal's reason"); break;
    case GS_BODY_COMMITMENT:
        FIELD(st->u.commitment.id, "the commitment's id");
        FIELD(st->u.commitment.title, "the commitment's title");
        FIELD(st->u.commitment.indicator, "the commitment's indicator");
        FIELD(st->u.commitment.unit_of_measure, "the commitment's unit of measure");
        break;
    case GS_BODY_PROGRESS:
        FIELD(st->u.progress.commitment_id, "the commitment id");
        FIELD(st->u.progress.note, "the progress note");
        break;
    case GS_BODY_OUTCOME: FIELD(st->u.outcome.commitment_id, "the commitment id"); break;
    case GS_BODY_FINDING: FIELD(st->u.finding.text, "the finding's text"); break;
    case GS_BODY_FEEDBACK: FIELD(st->u.feedback.text, "the feedback's text"); break;
    case GS_BODY_RESPONSE: FIELD(st->u.response.text, "the response's text"); break;
    case GS_BODY_REVISION:
        FIELD(st->u.revision.commitment_id, "the commitment id");
        FIELD(st->u.revision.reason, "the revision's reason");
        break;
    default: break;
    }
#undef FIELD
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        size_t at;
        if (f[i] != NULL && invisible_at(f[i], &cp, &at))
            return deny(v, GS_RULE_MALFORMED,
                        "%s contains the invisible %s character U+%04X at byte %zu; names and "
                        "texts carry no bidi controls or zero-width characters (they can "
                        "reverse or hide text in a report)",
                        names[i],
                        (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 || cp == 0xfeff
                            ? "zero-width"
                            : "bidi control",
                        (unsigned)cp, at);
    }
    return 0;
}

/* Rules 2 and 18: every value a Charter or a ParameterChange names is in
 * range; 0 names no value. */
static int check_parameters(const check_ctx *c, const gs_rule_parameters *p, const char *what)
{
    if (p->feedback_per_day > GS_RULES_FEEDBACK_MAX)
        return deny(c->v, GS_RULE_BAD_PARAMETER,
                    "%s sets feedback_per_day to %u; it must be 1 to %d (feedback statements per "
                    "key per 24 hours)",
                    what, p->feedback_per_day, GS_RULES_FEEDBACK_MAX);
    if (p->open_feedback_per_day > GS_RULES_OPEN_FEEDBACK_MAX)
        return deny(c->v, GS_RULE_BAD_PARAMETER,
                    "%s sets open_feedback_per_day to %u; it must be 1 to %d (feedback "
                    "statements from keys outside the roster per day, for the whole log)",
                    what, p->open_feedback_per_day, GS_RULES_OPEN_FEEDBACK_MAX);
    if (p->partial_percent > 99)
        return deny(c->v, GS_RULE_BAD_PARAMETER,
                    "%s sets partial_percent to %u; it must be 1 to 99 (the share of a "
                    "commitment's target an outcome must reach to count as partially delivered)",
                    what, p->partial_percent);
    return 0;
}

/* Rule 18. */
static int check_parameter_change(const check_ctx *c)
{
    if (!c->is_log_key)
        return deny(c->v, GS_RULE_ROLE_FORBIDS,
                    "only the log key of %s may change its rule parameters; signer %s is not it",
                    c->s->origin, kx(&c->st->signer).s);
    return check_parameters(c, &c->st->u.parameter_change.parameters, "the parameter change");
}

/* Rule 2: the values a Charter declares for the log: its rule parameters
 * and its time zone's name (shape only: whether a machine knows the zone is
 * its reports' concern, never a verdict). */
static int check_charter_values(const check_ctx *c)
{
    const gs_statement *st = c->st;
    int rc = check_parameters(c, &st->u.charter.parameters, "the charter");
    if (rc != 0)
        return rc;
    const char *tz = st->u.charter.time_zone;
    if (!str_missing(tz) && !gs_tz_name_valid(tz))
        return deny(c->v, GS_RULE_BAD_TIME_ZONE,
                    "the charter's time zone \"%.*s\" is not an IANA zone name such as "
                    "Asia/Ho_Chi_Minh or UTC (letters, digits, _+- in parts separated by /, at "
                    "most %d bytes); leave it empty for %s",
                    GS_MAX_TIME_ZONE + 1, tz, GS_MAX_TIME_ZONE, GS_DEFAULT_TIME_ZONE);
    return 0;
}

/* Rule 2: the Charter's contents. */
static int check_charter(const check_ctx *c)
{
    const gs_statement *st = c->st;
    char want[GS_MAX_ORIGIN + 64];
    snprintf(want, sizeof want, "giamsat/%s/%s", tier_path(st->u.charter.tier), st->u.charter.unit);
    if (strcmp(want, c->s->origin) != 0)
        return deny(c->v, GS_RULE_CHARTER_MISMATCH,
                    "the charter describes %.140s (tier %s, unit %.64s) but this log is %s", want,
                    tier_path(st->u.charter.tier), st->u.charter.unit, c->s->origin);
    const char *po = st->u.charter.parent_origin;
    if (str_missing(po)) {
        if (st->u.charter.has_parent_key)
            return deny(c->v, GS_RULE_CHARTER_PARENT,
                        "the charter gives a parent log key but no parent origin");
        return check_charter_values(c);
    }
    gs_tier tier = st->u.charter.tier;
    if (tier == GS_TIER_CENTRAL || tier == GS_TIER_HUB)
        return deny(c->v, GS_RULE_CHARTER_PARENT,
                    "a %s log has no parent, but the charter names %.140s", tier_path(tier), po);
    gs_error e = {0};
    if (gs_origin_valid(po, &e) != 0)
        return deny(c->v, GS_RULE_CHARTER_PARENT, "the charter's parent origin: %s", e.msg);
    gs_tier pt = origin_tier(po);
    if (pt == 0 || pt == GS_TIER_HUB || pt <= tier)
        return deny(c->v, GS_RULE_CHARTER_PARENT,
                    "the parent of a %s log is a log of a higher tier (province or central), "
                    "not %.140s",
                    tier_path(tier), po);
    if (!st->u.charter.has_parent_key)
        return deny(c->v, GS_RULE_CHARTER_PARENT,
                    "the charter names parent %.140s but not the parent's log key", po);
    return check_charter_values(c);
}

/* Rule 7: the signer's standing for an act of office. On success *t is the
 * signer's active tenure. */
static int need_member(const check_ctx *c, int32_t *t)
{
    const gs_statement *st = c->st;
    const char *what = body_word(st->kind);
    if (c->is_log_key)
        return deny(c->v, GS_RULE_ROLE_FORBIDS,
                    "the log key %s is the unit's machine key and cannot sign %s %s; a member "
                    "must sign it with their own key",
                    kx(&st->signer).s, article(what), what);
    int32_t k = c->signer;
    int32_t last = k == NONE ? NONE : c->s->keys[k].tenure;
    if (last == NONE)
        return deny(c->v, GS_RULE_NOT_MEMBER,
                    "signer %s holds no office in %s; %s %s must be signed by an appointed "
                    "member",
                    kx(&st->signer).s, c->s->origin, article(what), what);
    const tenure *tn = &c->s->tenures[last];
    if (tn->ended == GS_TENURE_RESIGNED)
        return deny(c->v, GS_RULE_RESIGNED,
                    "signer %s (%.64s) resigned at index %llu and may sign nothing in this log "
                    "after it but feedback",
                    kx(&st->signer).s, tn->name, U64(tn->until_index));
    if (tn->ended == GS_TENURE_DISMISSED)
        return deny(c->v, GS_RULE_DISMISSED,
                    "signer %s (%.64s) was dismissed at index %llu and may sign nothing in this "
                    "log after it but feedback",
                    kx(&st->signer).s, tn->name, U64(tn->until_index));
    if (tn->ended != GS_TENURE_ACTIVE) /* rotated: rule 4 already refused */
        return deny(c->v, GS_RULE_KEY_ROTATED, "signer %s was rotated away", kx(&st->signer).s);
    *t = last;
    return 0;
}

/* A reference's target for rules 12, 14, 15, 16. kinds: bit set of the body
 * kinds allowed (0: any). References into other logs are the auditor's. */
static int check_ref(const check_ctx *c, const gs_ref *ref, const char *label, unsigned kinds,
                     const char *kinds_word)
{
    const gs_rules_state *s = c->s;
    if (strcmp(ref->origin, s->origin) != 0)
        return 0;
    if (ref->index >= s->size)
        return deny(c->v, GS_RULE_REFERENCE_NOT_FOUND,
                    "%s points to entry %llu of %s, which holds only %llu entries", label,
                    U64(ref->index), s->origin, U64(s->size));
    if (c->p->entry_at == NULL)
        return deny_code(c->v, GS_RULE_ENTRY_UNAVAILABLE, GS_EINVAL,
                         "cannot check %s: the caller gave no way to read entry %llu "
                         "(gs_rules_params.entry_at)",
                         label, U64(ref->index));
    gs_error e = {0};
    gs_hash h;
    gs_body_kind k = GS_BODY_NONE;
    int rc = c->p->entry_at(c->p->entry_ctx, ref->index, &h, &k, &e);
    if (rc != 0)
        return deny_code(c->v, GS_RULE_ENTRY_UNAVAILABLE, rc < 0 ? rc : GS_EIO,
                         "cannot read entry %llu to check %s: %s", U64(ref->index), label,
                         e.msg[0] ? e.msg : "the store gave no reason");
    if (sodium_memcmp(h.b, ref->leaf_hash.b, sizeof h.b) != 0)
        return deny(c->v, GS_RULE_REFERENCE_MISMATCH,
                    "%s: leaf hash %s does not match entry %llu of this log (%s)", label,
                    hx(&ref->leaf_hash).s, U64(ref->index), hx(&h).s);
    if (kinds != 0 && ((int)k < 0 || (int)k > 31 || !(kinds & (1u << k))))
        return deny(c->v, GS_RULE_REFERENCE_WRONG_KIND, "%s: entry %llu is %s %s, not a %s", label,
                    U64(ref->index), article(body_word(k)), body_word(k), kinds_word);
    return 0;
}

/* Rule 8. */
static int check_appointment(const check_ctx *c)
{
    const gs_rules_state *s = c->s;
    const gs_statement *st = c->st;
    gs_role role = st->u.appointment.role;
    if (!c->is_log_key) {
        int32_t t = NONE;
        int rc = need_member(c, &t);
        if (rc != 0)
            return rc;
        if (s->tenures[t].role != GS_ROLE_HEAD)
            return deny(c->v, GS_RULE_ROLE_FORBIDS,
                        "only the log key or the head in office may appoint; signer %s is %s %s",
                        kx(&st->signer).s, article(role_word(s->tenures[t].role)),
                        role_word(s->tenures[t].role));
        if (role == GS_ROLE_HEAD)
            return deny(c->v, GS_RULE_ROLE_FORBIDS,
                        "only the log key may appoint a head; signer %s is the head in office",
                        kx(&st->signer).s);
    }
    const gs_pubkey *person = &st->u.appointment.person;
    int32_t pk = key_find(s, person);
    if (pk != NONE && pk == s->log_key)
        return deny(c->v, GS_RULE_KEY_IN_USE,
                    "key %s is the log key; a person is appointed with their own key",
                    kx(person).s);
    if (pk != NONE && s->keys[pk].successor != NONE)
        return deny(c->v, GS_RULE_KEY_ROTATED,
                    "key %s was rotated to %s at index %llu and can never be appointed again",
                    kx(person).s, kx(&s->keys[s->keys[pk].successor].key).s,
                    U64(s->keys[pk].rotated_index));
    int32_t pt = active_tenure(s, pk);
    if (pt != NONE)
        return deny(c->v, GS_RULE_ALREADY_MEMBER,
                    "%s (%.64s) is already in office as %s since index %llu; dismiss them "
                    "first",
                    kx(person).s, s->tenures[pt].name, role_word(s->tenures[pt].role),
                    U64(s->tenures[pt].since_index));
    if (role == GS_ROLE_HEAD && s->head != NONE)
        return deny(c->v, GS_RULE_HEAD_IN_OFFICE,
                    "%s (%.64s) is head of %s since index %llu; there is one head at a time, "
                    "so they must resign or be dismissed first",
                    kx(&s->keys[s->tenures[s->head].key].key).s, s->tenures[s->head].name,
                    s->origin, U64(s->tenures[s->head].since_index));
    return 0;
}

/* Rule 10. */
static int check_dismissal(const check_ctx *c)
{
    const gs_rules_state *s = c->s;
    const gs_statement *st = c->st;
    if (!c->is_log_key) {
        int32_t t = NONE;
        int rc = need_member(c, &t);
        if (rc != 0)
            return rc;
        if (s->tenures[t].role != GS_ROLE_HEAD)
            return deny(c->v, GS_RULE_ROLE_FORBIDS,
                        "only the log key or the head in office may dismiss; signer %s is %s %s",
                        kx(&st->signer).s, article(role_word(s->tenures[t].role)),
                        role_word(s->tenures[t].role));
    }
    const gs_pubkey *person = &st->u.dismissal.person;
    int32_t pk = key_find(s, person);
    if (pk != NONE && s->keys[pk].successor != NONE)
        return deny(c->v, GS_RULE_KEY_ROTATED,
                    "key %s was rotated to %s at index %llu; dismiss the new key", kx(person).s,
                    kx(&s->keys[s->keys[pk].successor].key).s, U64(s->keys[pk].rotated_index));
    if (!c->is_log_key && pk == c->signer)
        return deny(c->v, GS_RULE_SELF_DISMISSAL,
                    "the head does not dismiss themselves: sign a resignation instead (only the "
                    "log key dismisses a head)");
    int32_t pt = active_tenure(s, pk);
    if (pt == NONE) {
        int32_t last = pk == NONE ? NONE : s->keys[pk].tenure;
        if (last == NONE)
            return deny(c->v, GS_RULE_TARGET_NOT_MEMBER,
                        "%s has never held office in %s; there is nobody to dismiss", kx(person).s,
                        s->origin);
        return deny(c->v, GS_RULE_TARGET_NOT_MEMBER,
                    "%s (%.64s) already left office (%s at index %llu)", kx(person).s,
                    s->tenures[last].name, gs_tenure_end_name(s->tenures[last].ended),
                    U64(s->tenures[last].until_index));
    }
    return 0;
}

/* Rule 11. */
static int check_rotation(const check_ctx *c)
{
    const gs_rules_state *s = c->s;
    const gs_statement *st = c->st;
    if (s->tier == GS_TIER_HUB && !c->is_log_key)
        return deny(c->v, GS_RULE_ROLE_FORBIDS,
                    "only the hub's log key may rotate in %s; signer %s is not it", s->origin,
                    kx(&st->signer).s);
    if (!c->is_log_key) {
        int32_t t = NONE;
        int rc = need_member(c, &t);
        if (rc != 0)
            return rc;
    }
    const gs_pubkey *nk = &st->u.key_rotation.new_key;
    int32_t k = key_find(s, nk);
    if (k != NONE && s->keys[k].successor != NONE)
        return deny(c->v, GS_RULE_KEY_ROTATED,
                    "new key %s was itself rotated away at index %llu and can never be used "
                    "again",
                    kx(nk).s, U64(s->keys[k].rotated_index));
    if (k != NONE)
        return deny(c->v, GS_RULE_KEY_IN_USE,
                    "new key %s already has a history in %s (%s); rotate to a fresh key", kx(nk).s,
                    s->origin,
                    k == s->log_key             ? "it is the log key"
                    : s->keys[k].tenure != NONE ? "it was appointed"
                                                : "it has signed statements");
    return 0;
}

/* Rule 12. */
static int check_commitment(const check_ctx *c)
{
    const gs_rules_state *s = c->s;
    const gs_statement *st = c->st;
    int32_t t = NONE;
    int rc = need_member(c, &t);
    if (rc != 0)
        return rc;
    if (s->tenures[t].role == GS_ROLE_INSPECTOR)
        return deny(c->v, GS_RULE_ROLE_FORBIDS,
                    "inspectors supervise and do not own commitments; signer %s is an inspector",
                    kx(&st->signer).s);
    const char *id = st->u.commitment.id;
    int32_t dup = commit_find(s, id);
    if (dup != NONE)
        return deny(c->v, GS_RULE_DUPLICATE_COMMITMENT,
                    "commitment id %s is already used at index %llu of this log; choose "
                    "another id",
                    id, U64(s->commits[dup].index));
    if (st->u.commitment.deadline <= st->issued_at)
        return deny(c->v, GS_RULE_BAD_DEADLINE,
                    "commitment %s: deadline %lld is not after its issue time %lld", id,
                    I64(st->u.commitment.deadline), I64(st->issued_at));
    if (st->u.commitment.has_parent) {
        const gs_ref *ref = &st->u.commitment.parent;
        if (strcmp(ref->origin, s->origin) != 0)
            return 0;
        if (ref->index >= s->size)
            return deny(c->v, GS_RULE_REFERENCE_NOT_FOUND,
                        "commitment %s: parent points to entry %llu of %s, which holds only "
                        "%llu entries",
                        id, U64(ref->index), s->origin, U64(s->size));
        int32_t pc = commit_at_index(s, ref->index);
        if (pc == NONE)
            return deny(c->v, GS_RULE_REFERENCE_WRONG_KIND,
                        "commitment %s: parent entry %llu of this log is not a commitment", id,
                        U64(ref->index));
        if (sodium_memcmp(s->commits[pc].leaf_hash.b, ref->leaf_hash.b, sizeof ref->leaf_hash.b) !=
            0)
            return deny(c->v, GS_RULE_REFERENCE_MISMATCH,
                        "commitment %s: parent leaf hash %s does not match entry %llu (%s)", id,
                        hx(&ref->leaf_hash).s, U64(ref->index), hx(&s->commits[pc].leaf_hash).s);
    }
    return 0;
}

/* The owner's key now, following rotations (rule 11). Rotation targets are
 * always fresh keys, so the chain has no cycle; the bound is belt and braces. */
static int32_t current_key(const gs_rules_state *s, int32_t k)
{
    for (size_t n = 0; n < s->n_keys && s->keys[k].successor != NONE; n++)
        k = s->keys[k].successor;
    return k;
}

/* Rules 13 and 19: the commitment id names an open commitment that the
 * signer (active tenure t) answers for — its owner through any rotations
 * while in office, else the head in office. On success *ci is it. */
static int need_answerable(const check_ctx *c, int32_t t, const char *id, const char *verb,
                           int32_t *ci)
{
    const gs_rules_state *s = c->s;
    int32_t i = commit_find(s, id);
    if (i == NONE)
        return deny(c->v, GS_RULE_NO_SUCH_COMMITMENT,
                    "there is no commitment %s in %s; check the id", id, s->origin);
    const commitment *cm = &s->commits[i];
    if (!cm->open)
        return deny(c->v, GS_RULE_COMMITMENT_CLOSED,
                    "commitment %s was closed by its outcome at index %llu; nothing follows an "
                    "outcome",
                    id, U64(cm->outcome_index));
    int32_t owner = current_key(s, cm->owner);
    if (active_tenure(s, owner) != NONE) {
        if (owner != c->signer)
            return deny(c->v, GS_RULE_NOT_OWNER,
                        "commitment %s belongs to %s, who is still in office; only they may "
                        "%s it",
                        id, kx(&s->keys[owner].key).s, verb);
        *ci = i;
        return 0;
    }
    if (s->head == NONE)
        return deny(c->v, GS_RULE_NOT_OWNER,
                    "the owner of commitment %s (%s) has left office and there is no head in "
                    "office to answer for it; appoint a head first",
                    id, kx(&s->keys[owner].key).s);
    if (t != s->head)
        return deny(c->v, GS_RULE_NOT_OWNER,
                    "the owner of commitment %s (%s) has left office; the head in office (%s) "
                    "answers for it",
                    id, kx(&s->keys[owner].key).s, kx(&s->keys[s->tenures[s->head].key].key).s);
    *ci = i;
    return 0;
}

/* Rule 13. */
static int check_report(const check_ctx *c)
{
    const gs_statement *st = c->st;
    int32_t t = NONE, ci = NONE;
    int rc = need_member(c, &t);
    if (rc != 0)
        return rc;
    const char *id =
        st->kind == GS_BODY_PROGRESS ? st->u.progress.commitment_id : st->u.outcome.commitment_id;
    return need_answerable(c, t, id, "report on", &ci);
}

/* Rule 19. The deadline in force is checked before the contents, so that a
 * late revision is always named for what it is: the miss stands. */
static int check_revision(const check_ctx *c)
{
    const gs_statement *st = c->st;
    int32_t t = NONE, ci = NONE;
    int rc = need_member(c, &t);
    if (rc != 0)
        return rc;
    const char *id = st->u.revision.commitment_id;
    if ((rc = need_answerable(c, t, id, "revise", &ci)) != 0)
        return rc;
    const commitment *cm = &c->s->commits[ci];
    if (st->issued_at > cm->deadline)
        return deny(c->v, GS_RULE_REVISION_AFTER_DEADLINE,
                    "commitment %s: its deadline in force (%lld) passed before this revision "
                    "(issued at %lld); a missed deadline stands and cannot be revised",
                    id, I64(cm->deadline), I64(st->issued_at));
    bool new_target = st->u.revision.has_target && st->u.revision.target != cm->target;
    bool new_deadline = st->u.revision.deadline != 0 && st->u.revision.deadline != cm->deadline;
    if (!new_target && !new_deadline)
        return deny(c->v, GS_RULE_BAD_REVISION,
                    "revision of %s changes nothing: it needs a new target and/or a new "
                    "deadline, different from those in force",
                    id);
    if (st->u.revision.deadline != 0 && st->u.revision.deadline <= st->issued_at)
        return deny(c->v, GS_RULE_BAD_REVISION,
                    "revision of %s: the new deadline %lld is not after its issue time %lld", id,
                    I64(st->u.revision.deadline), I64(st->issued_at));
    return 0;
}

/* Rule 15's days: UTC days since the epoch, rounded down for any time. */
static int64_t day_of(int64_t t)
{
    return t >= 0 ? t / DAY : -((-(t + 1)) / DAY) - 1;
}

/* Rule 15: Feedback older than two days before the horizon is forgotten,
 * whether or not its ring was swept yet (so the sweep's timing decides
 * nothing). Computed without signed overflow. */
static bool feedback_forgotten(const gs_rules_state *s, int64_t t)
{
    return t < s->horizon && (uint64_t)s->horizon - (uint64_t)t >= 2 * DAY;
}

/* Rule 15: Feedback statements of this key within a day of issued_at. */
static uint32_t feedback_in_window(const gs_rules_state *s, const key_rec *k, int64_t at)
{
    uint32_t n = 0;
    for (uint32_t i = 0; k->feedback != NULL && i < k->feedback_n; i++) {
        int64_t t = k->feedback[i];
        if (feedback_forgotten(s, t))
            continue;
        /* t within (at - DAY, +inf), computed without signed overflow */
        if (t > at || (uint64_t)at - (uint64_t)t < DAY)
            n++;
    }
    return n;
}

/* Rule 15: a key outside the roster (never appointed in this log) gives
 * open Feedback. */
static bool is_open_signer(const gs_rules_state *s, int32_t signer)
{
    return signer == NONE || s->keys[signer].tenure == NONE;
}

/* Rule 15: the day an open Feedback is counted on — its own, or the day
 * before the horizon's when it is older (older days are forgotten). */
static int64_t open_day(const gs_rules_state *s, int64_t at)
{
    int64_t d = day_of(at), h = day_of(s->horizon);
    return d < h - 1 ? h - 1 : d;
}

static uint32_t open_count(const gs_rules_state *s, int64_t day)
{
    int64_t h = day_of(s->horizon);
    return day == h ? s->open_day[1] : day == h - 1 ? s->open_day[0] : 0;
}

/* Rule 18: how a ParameterChange (or the Charter) overlays the values in
 * force. */
static void parameters_overlay(gs_rule_parameters *in_force, const gs_rule_parameters *named)
{
    if (named->feedback_per_day != 0)
        in_force->feedback_per_day = named->feedback_per_day;
    if (named->open_feedback_per_day != 0)
        in_force->open_feedback_per_day = named->open_feedback_per_day;
    if (named->partial_percent != 0)
        in_force->partial_percent = named->partial_percent;
}

static int check_body(const check_ctx *c)
{
    const gs_rules_state *s = c->s;
    const gs_statement *st = c->st;
    int32_t t = NONE;
    int rc;
    switch (st->kind) {
    case GS_BODY_CHARTER: return check_charter(c);
    case GS_BODY_APPOINTMENT: return check_appointment(c);
    case GS_BODY_RESIGNATION: return need_member(c, &t);
    case GS_BODY_DISMISSAL: return check_dismissal(c);
    case GS_BODY_KEY_ROTATION: return check_rotation(c);
    case GS_BODY_COMMITMENT: return check_commitment(c);
    case GS_BODY_PROGRESS:
    case GS_BODY_OUTCOME: return check_report(c);
    case GS_BODY_FINDING:
        if ((rc = need_member(c, &t)) != 0)
            return rc;
        if (s->tenures[t].role != GS_ROLE_INSPECTOR)
            return deny(c->v, GS_RULE_ROLE_FORBIDS,
                        "only an inspector of this log may sign a finding; signer %s is %s %s",
                        kx(&st->signer).s, article(role_word(s->tenures[t].role)),
                        role_word(s->tenures[t].role));
        /* A verdict judges a claim: a Progress or an Outcome. */
        if (st->u.finding.verdict != GS_VERDICT_NONE)
            return check_ref(c, &st->u.finding.about, "finding.about (with a verdict)",
                             (1u << GS_BODY_PROGRESS) | (1u << GS_BODY_OUTCOME),
                             "progress report or outcome");
        return check_ref(c, &st->u.finding.about, "finding.about", 0, NULL);
    case GS_BODY_FEEDBACK:
        if (c->is_log_key)
            return deny(c->v, GS_RULE_ROLE_FORBIDS,
                        "the log key %s is the unit's machine key; feedback comes from a "
                        "person's key",
                        kx(&st->signer).s);
        if (st->u.feedback.rating > 5)
            return deny(c->v, GS_RULE_BAD_RATING,
                        "feedback rating %u is out of range: give 1 (worst) to 5 (best), or no "
                        "rating",
                        st->u.feedback.rating);
        if (c->signer != NONE) {
            uint32_t n = feedback_in_window(s, &s->keys[c->signer], st->issued_at);
            if (n >= s->params.feedback_per_day)
                return deny(c->v, GS_RULE_RATE_LIMITED,
                            "key %s already gave %u feedback statements in the 24 hours before "
                            "this one; the limit is %u a day, so try again later",
                            kx(&st->signer).s, n, s->params.feedback_per_day);
        }
        if (s->params.open_feedback_per_day != 0 && is_open_signer(s, c->signer)) {
            uint32_t n = open_count(s, open_day(s, st->issued_at));
            if (n >= s->params.open_feedback_per_day)
                return deny(c->v, GS_RULE_OPEN_BUDGET,
                            "%s already holds %u feedback statements from keys outside its roster "
                            "on this day (UTC); its limit is %u a day, so try again tomorrow",
                            s->origin, n, s->params.open_feedback_per_day);
        }
        if (st->u.feedback.has_about)
            return check_ref(c, &st->u.feedback.about, "feedback.about", 0, NULL);
        return 0;
    case GS_BODY_RESPONSE:
        if ((rc = need_member(c, &t)) != 0)
            return rc;
        if (strcmp(st->u.response.to.origin, s->origin) != 0)
            return deny(c->v, GS_RULE_REFERENCE_OTHER_LOG,
                        "a response answers a finding or feedback in its own log %s, not in "
                        "%.140s",
                        s->origin, st->u.response.to.origin);
        return check_ref(c, &st->u.response.to, "response.to",
                         (1u << GS_BODY_FINDING) | (1u << GS_BODY_FEEDBACK), "finding or feedback");
    case GS_BODY_OBSERVATION:
    case GS_BODY_EVIDENCE:
        if (!c->is_log_key)
            return deny(c->v, GS_RULE_ROLE_FORBIDS,
                        "only the hub's log key may sign %s in %s; signer %s is not it",
                        st->kind == GS_BODY_OBSERVATION ? "observations" : "evidence", s->origin,
                        kx(&st->signer).s);
        return 0;
    case GS_BODY_PARAMETER_CHANGE: return check_parameter_change(c);
    case GS_BODY_REVISION: return check_revision(c);
    default: break;
    }
    return deny(c->v, GS_RULE_MALFORMED, "the statement carries no known body");
}

int gs_rules_check(const gs_rules_state *s, const gs_statement *st, const gs_hash *leaf_hash,
                   const gs_rules_params *p, gs_rule_verdict *v)
{
    (void)leaf_hash; /* a statement's own hash decides nothing; apply records it */
    if (v == NULL)
        return GS_EINVAL;
    memset(v, 0, sizeof *v);
    if (s == NULL || st == NULL || p == NULL)
        return deny(v, GS_RULE_BAD_ARGUMENT,
                    "gs_rules_check needs a state, a statement and parameters");
    if (p->max_skew < 0)
        return deny(v, GS_RULE_BAD_ARGUMENT, "gs_rules_params.max_skew must not be negative");

    int rc = check_shape(st, v);
    if (rc != 0)
        return rc;
    /* Rule 0, texts: at submission only, like rule 6; older logs may hold
     * such characters, and history is judged by the rules it was written
     * under (reports escape them: common/report.c). */
    if (!p->replay && (rc = check_invisible(st, v)) != 0)
        return rc;

    /* Rule 1. */
    if (strcmp(st->origin, s->origin) != 0)
        return deny(v, GS_RULE_WRONG_ORIGIN,
                    "the statement is addressed to %s but this log is %s; sign it again for "
                    "this log",
                    st->origin, s->origin);

    /* Rule 2. */
    if (s->size == 0 && st->kind != GS_BODY_CHARTER)
        return deny(v, GS_RULE_CHARTER_NOT_FIRST, "entry 0 of %s must be its charter, not %s %s",
                    s->origin, article(body_word(st->kind)), body_word(st->kind));
    if (s->size > 0 && st->kind == GS_BODY_CHARTER)
        return deny(v, GS_RULE_SECOND_CHARTER,
                    "%s already has its charter at entry 0; a log has exactly one", s->origin);

    /* Rule 3. */
    bool hub = s->tier == GS_TIER_HUB;
    if (s->size > 0) {
        bool hub_body = st->kind == GS_BODY_OBSERVATION || st->kind == GS_BODY_EVIDENCE;
        if (hub_body && !hub)
            return deny(v, GS_RULE_WRONG_LOG_KIND, "%s belongs in hub logs; %s is a node log",
                        st->kind == GS_BODY_OBSERVATION ? "an observation" : "evidence", s->origin);
        if (hub && !hub_body && st->kind != GS_BODY_KEY_ROTATION)
            return deny(v, GS_RULE_WRONG_LOG_KIND,
                        "%s %s belongs in a node log; %s is a hub log, which holds "
                        "observations and evidence",
                        article(body_word(st->kind)), body_word(st->kind), s->origin);
    }

    check_ctx c = {s, st, p, v, key_find(s, &st->signer), false};
    c.is_log_key = c.signer != NONE && c.signer == s->log_key;

    /* Rule 4. */
    if (c.signer != NONE && s->keys[c.signer].successor != NONE)
        return deny(v, GS_RULE_KEY_ROTATED,
                    "signer %s was rotated to %s at index %llu and signs nothing after it",
                    kx(&st->signer).s, kx(&s->keys[s->keys[c.signer].successor].key).s,
                    U64(s->keys[c.signer].rotated_index));

    /* Rule 5. */
    uint64_t last = c.signer == NONE ? 0 : s->keys[c.signer].last_seq;
    if (st->seq <= last) {
        if (last == 0)
            return deny(v, GS_RULE_REPLAYED_SEQ,
                        "seq 0 is not allowed: a signer's first seq in a log is 1");
        return deny(v, GS_RULE_REPLAYED_SEQ,
                    "seq %llu for signer %s is not above the last accepted seq %llu (replayed "
                    "statement?)",
                    U64(st->seq), kx(&st->signer).s, U64(last));
    }

    /* Rule 6. Differences in unsigned arithmetic: no signed overflow. */
    if (!p->replay && p->max_skew > 0) {
        uint64_t skew = (uint64_t)p->max_skew;
        if (st->issued_at > p->now && (uint64_t)st->issued_at - (uint64_t)p->now > skew)
            return deny(v, GS_RULE_CLOCK_SKEW,
                        "issued_at %lld is %llu seconds ahead of this node's clock (%lld); the "
                        "limit is %lld seconds, so check the signer's clock",
                        I64(st->issued_at), U64((uint64_t)st->issued_at - (uint64_t)p->now),
                        I64(p->now), I64(p->max_skew));
        if (st->issued_at < p->now && (uint64_t)p->now - (uint64_t)st->issued_at > skew)
            return deny(v, GS_RULE_CLOCK_SKEW,
                        "issued_at %lld is %llu seconds behind this node's clock (%lld); the "
                        "limit is %lld seconds, so sign it again now",
                        I64(st->issued_at), U64((uint64_t)p->now - (uint64_t)st->issued_at),
                        I64(p->now), I64(p->max_skew));
    }

    return check_body(&c);
}

/* --------------------------------------------------------------- apply */

static int32_t key_add(gs_rules_state *s, const gs_pubkey *k)
{
    int32_t i = (int32_t)s->n_keys++;
    key_rec *r = &s->keys[i];
    memset(r, 0, sizeof *r);
    r->key = *k;
    r->tenure = NONE;
    r->successor = NONE;
    table_put(s, &s->key_index, i, key_hash);
    return i;
}

static int32_t tenure_add(gs_rules_state *s, int32_t key, gs_role role, char *name, char *title,
                          char *decision, uint64_t index, int64_t time, int32_t by)
{
    int32_t i = (int32_t)s->n_tenures++;
    tenure *t = &s->tenures[i];
    memset(t, 0, sizeof *t);
    t->key = key;
    t->role = role;
    t->name = name;
    t->title = title;
    t->decision = decision;
    t->since_index = index;
    t->since_time = time;
    t->appointed_by = by;
    t->ended = GS_TENURE_ACTIVE;
    t->ended_by = NONE;
    t->predecessor = NONE;
    t->successor = NONE;
    s->keys[key].tenure = i;
    if (role == GS_ROLE_HEAD)
        s->head = i;
    return i;
}

static void tenure_end(gs_rules_state *s, int32_t t, gs_tenure_end how, uint64_t index,
                       int64_t time, int32_t by)
{
    s->tenures[t].ended = how;
    s->tenures[t].until_index = index;
    s->tenures[t].until_time = time;
    s->tenures[t].ended_by = by;
    if (s->head == t)
        s->head = NONE;
}

/* Rule 15's clock moves on: the open counters shift with the day, and once
 * a day the per-key rings holding only forgotten Feedback are freed. */
static void advance_horizon(gs_rules_state *s, int64_t at)
{
    if (s->size == 0) {
        s->horizon = at;
        s->swept_day = day_of(at);
        s->open_day[0] = s->open_day[1] = 0;
        return;
    }
    if (at <= s->horizon)
        return;
    int64_t from = day_of(s->horizon), to = day_of(at);
    s->horizon = at;
    if (to == from + 1) {
        s->open_day[0] = s->open_day[1];
        s->open_day[1] = 0;
    } else if (to != from) {
        s->open_day[0] = s->open_day[1] = 0;
    }
    if (to == s->swept_day)
        return;
    s->swept_day = to;
    for (size_t i = 0; i < s->n_keys; i++) {
        key_rec *k = &s->keys[i];
        bool live = false;
        for (uint32_t j = 0; k->feedback != NULL && j < k->feedback_n && !live; j++)
            live = !feedback_forgotten(s, k->feedback[j]);
        if (k->feedback != NULL && !live) {
            free(k->feedback);
            k->feedback = NULL;
            k->feedback_n = k->feedback_next = 0;
        }
    }
}

int gs_rules_apply(gs_rules_state *s, const gs_statement *st, const gs_hash *leaf_hash,
                   uint64_t index, const gs_rules_params *p, gs_rule_verdict *v)
{
    if (v == NULL)
        return GS_EINVAL;
    if (s != NULL && index != s->size) {
        memset(v, 0, sizeof *v);
        return deny(v, GS_RULE_OUT_OF_ORDER,
                    "entry %llu cannot be applied to %s, which holds %llu statements; apply "
                    "entries in order",
                    U64(index), s->origin, U64(s->size));
    }
    int rc = gs_rules_check(s, st, leaf_hash, p, v);
    if (rc != 0)
        return rc;
    if (leaf_hash == NULL)
        return deny(v, GS_RULE_BAD_ARGUMENT, "gs_rules_apply needs the statement's leaf hash");

    /* Phase 1: every allocation, so that phase 2 cannot fail. */
    int32_t signer = key_find(s, &st->signer);
    const gs_pubkey *other = NULL; /* a second key the statement may introduce */
    if (st->kind == GS_BODY_APPOINTMENT)
        other = &st->u.appointment.person;
    else if (st->kind == GS_BODY_KEY_ROTATION)
        other = &st->u.key_rotation.new_key;
    size_t new_keys = (signer == NONE) + (other != NULL && key_find(s, other) == NONE);
    bool member_rotation = st->kind == GS_BODY_KEY_ROTATION && signer != s->log_key;
    size_t new_tenures = st->kind == GS_BODY_APPOINTMENT || member_rotation;
    char *name = NULL, *title = NULL, *decision = NULL, *id = NULL;
    int64_t *ring = NULL;
    if (grow((void **)&s->keys, &s->cap_keys, s->n_keys + new_keys, sizeof *s->keys) != 0 ||
        table_reserve(s, &s->key_index, s->n_keys + new_keys, key_hash) != 0 ||
        grow((void **)&s->tenures, &s->cap_tenures, s->n_tenures + new_tenures,
             sizeof *s->tenures) != 0)
        goto nomem;
    if (st->kind == GS_BODY_APPOINTMENT) {
        if (dup_str(&name, st->u.appointment.name) != 0 ||
            dup_str(&title, str_or_empty(st->u.appointment.title)) != 0 ||
            dup_str(&decision, str_or_empty(st->u.appointment.decision)) != 0)
            goto nomem;
    } else if (member_rotation) {
        const tenure *old = &s->tenures[s->keys[signer].tenure];
        if (dup_str(&name, old->name) != 0 || dup_str(&title, old->title) != 0 ||
            dup_str(&decision, old->decision) != 0)
            goto nomem;
    } else if (st->kind == GS_BODY_COMMITMENT) {
        if (grow((void **)&s->commits, &s->cap_commits, s->n_commits + 1, sizeof *s->commits) !=
                0 ||
            table_reserve(s, &s->commit_index, s->n_commits + 1, commit_hash) != 0 ||
            dup_str(&id, st->u.commitment.id) != 0)
            goto nomem;
    } else if (st->kind == GS_BODY_FEEDBACK && (signer == NONE || !s->keys[signer].feedback)) {
        if ((ring = calloc(GS_RULES_FEEDBACK_MAX, sizeof *ring)) == NULL)
            goto nomem;
    }

    /* Phase 2: the update. */
    bool open_feedback = st->kind == GS_BODY_FEEDBACK && is_open_signer(s, signer);
    int64_t counted_on = s->size > 0 ? open_day(s, st->issued_at) : 0;
    if (signer == NONE)
        signer = key_add(s, &st->signer);
    key_rec *k = &s->keys[signer];
    k->last_seq = st->seq;
    switch (st->kind) {
    case GS_BODY_CHARTER:
        s->log_key = signer;
        s->tier = st->u.charter.tier;
        parameters_overlay(&s->params, &st->u.charter.parameters);
        s->params_index = index;
        break;
    case GS_BODY_PARAMETER_CHANGE:
        parameters_overlay(&s->params, &st->u.parameter_change.parameters);
        s->params_index = index;
        break;
    case GS_BODY_APPOINTMENT: {
        int32_t pk = key_find(s, &st->u.appointment.person);
        if (pk == NONE)
            pk = key_add(s, &st->u.appointment.person);
        tenure_add(s, pk, st->u.appointment.role, name, title, decision, index, st->issued_at,
                   signer);
        break;
    }
    case GS_BODY_RESIGNATION:
        tenure_end(s, s->keys[signer].tenure, GS_TENURE_RESIGNED, index, st->issued_at, signer);
        break;
    case GS_BODY_DISMISSAL: {
        int32_t pk = key_find(s, &st->u.dismissal.person);
        tenure_end(s, s->keys[pk].tenure, GS_TENURE_DISMISSED, index, st->issued_at, signer);
        break;
    }
    case GS_BODY_KEY_ROTATION: {
        int32_t nk = key_add(s, &st->u.key_rotation.new_key);
        k = &s->keys[signer];
        k->successor = nk;
        k->rotated_index = index;
        if (signer == s->log_key) {
            s->log_key = nk;
        } else {
            int32_t old = k->tenure;
            gs_role role = s->tenures[old].role;
            int32_t by = s->tenures[old].appointed_by;
            tenure_end(s, old, GS_TENURE_ROTATED, index, st->issued_at, signer);
            s->tenures[old].successor = nk;
            int32_t t = tenure_add(s, nk, role, name, title, decision, index, st->issued_at, by);
            s->tenures[t].predecessor = signer;
        }
        break;
    }
    case GS_BODY_COMMITMENT: {
        int32_t i = (int32_t)s->n_commits++;
        commitment *cm = &s->commits[i];
        memset(cm, 0, sizeof *cm);
        cm->id = id;
        cm->owner = signer;
        cm->target = st->u.commitment.target;
        cm->direction = st->u.commitment.direction;
        cm->deadline = st->u.commitment.deadline;
        cm->baseline_target = cm->target;
        cm->baseline_deadline = cm->deadline;
        cm->issued_at = st->issued_at;
        cm->index = index;
        cm->leaf_hash = *leaf_hash;
        cm->open = true;
        cm->outcome_by = NONE;
        table_put(s, &s->commit_index, i, commit_hash);
        break;
    }
    case GS_BODY_PROGRESS:
        s->commits[commit_find(s, st->u.progress.commitment_id)].progress_count++;
        break;
    case GS_BODY_OUTCOME: {
        commitment *cm = &s->commits[commit_find(s, st->u.outcome.commitment_id)];
        cm->open = false;
        cm->outcome_value = st->u.outcome.value;
        cm->outcome_index = index;
        cm->outcome_by = signer;
        break;
    }
    case GS_BODY_REVISION: {
        commitment *cm = &s->commits[commit_find(s, st->u.revision.commitment_id)];
        if (st->u.revision.has_target)
            cm->target = st->u.revision.target;
        if (st->u.revision.deadline != 0)
            cm->deadline = st->u.revision.deadline;
        cm->revision_count++;
        break;
    }
    case GS_BODY_FEEDBACK:
        if (k->feedback == NULL)
            k->feedback = ring;
        k->feedback[k->feedback_next] = st->issued_at;
        k->feedback_next = (k->feedback_next + 1) % GS_RULES_FEEDBACK_MAX;
        if (k->feedback_n < GS_RULES_FEEDBACK_MAX)
            k->feedback_n++;
        break;
    default: break;
    }
    advance_horizon(s, st->issued_at);
    if (open_feedback) {
        /* counted_on is day(horizon) or the day before (see open_day). */
        int64_t h = day_of(s->horizon);
        if (counted_on == h)
            s->open_day[1]++;
        else if (counted_on == h - 1)
            s->open_day[0]++;
    }
    s->size++;
    return 0;
nomem:
    free(name);
    free(title);
    free(decision);
    free(id);
    free(ring);
    return deny(v, GS_RULE_NO_MEMORY, "out of memory recording entry %llu of %s", U64(index),
                s->origin);
}

/* ------------------------------------------------------------- queries */

const char *gs_rules_origin(const gs_rules_state *s)
{
    return s != NULL ? s->origin : NULL;
}

uint64_t gs_rules_size(const gs_rules_state *s)
{
    return s != NULL ? s->size : 0;
}

int gs_rules_log_key(const gs_rules_state *s, gs_pubkey *out)
{
    if (s == NULL || out == NULL || s->log_key == NONE)
        return GS_ENOTFOUND;
    *out = s->keys[s->log_key].key;
    return 0;
}

gs_tier gs_rules_tier(const gs_rules_state *s)
{
    return s != NULL ? s->tier : 0;
}

void gs_rules_parameters(const gs_rules_state *s, gs_rule_parameters *out, uint64_t *since_index)
{
    static const gs_rule_parameters defaults = {.feedback_per_day = GS_RULES_FEEDBACK_PER_DAY,
                                                .partial_percent = GS_RULES_PARTIAL_PERCENT};
    if (out != NULL)
        *out = s != NULL ? s->params : defaults;
    if (since_index != NULL)
        *since_index = s != NULL ? s->params_index : 0;
}

void gs_rules_signer_state(const gs_rules_state *s, const gs_pubkey *key, uint64_t *next_seq,
                           bool *active)
{
    uint64_t next = 1;
    bool act = false;
    if (s != NULL && key != NULL) {
        int32_t k = key_find(s, key);
        if (k != NONE) {
            uint64_t last = s->keys[k].last_seq;
            next = last == UINT64_MAX ? UINT64_MAX : last + 1;
            act = s->keys[k].successor == NONE && (k == s->log_key || active_tenure(s, k) != NONE);
        }
    }
    if (next_seq != NULL)
        *next_seq = next;
    if (active != NULL)
        *active = act;
}

const char *gs_tenure_end_name(gs_tenure_end e)
{
    switch (e) {
    case GS_TENURE_ACTIVE: return "active";
    case GS_TENURE_RESIGNED: return "resigned";
    case GS_TENURE_DISMISSED: return "dismissed";
    case GS_TENURE_ROTATED: return "rotated";
    }
    return "unknown";
}

static void member_fill(const gs_rules_state *s, int32_t i, gs_rules_member *out)
{
    const tenure *t = &s->tenures[i];
    static const gs_pubkey zero;
    memset(out, 0, sizeof *out);
    out->key = s->keys[t->key].key;
    out->name = t->name;
    out->title = t->title;
    out->decision = t->decision;
    out->role = t->role;
    out->since_index = t->since_index;
    out->since_time = t->since_time;
    out->appointed_by = t->appointed_by != NONE ? s->keys[t->appointed_by].key : zero;
    out->ended = t->ended;
    out->until_index = t->until_index;
    out->until_time = t->until_time;
    out->ended_by = t->ended_by != NONE ? s->keys[t->ended_by].key : zero;
    out->has_predecessor = t->predecessor != NONE;
    if (out->has_predecessor)
        out->predecessor = s->keys[t->predecessor].key;
    out->has_successor = t->successor != NONE;
    if (out->has_successor)
        out->successor = s->keys[t->successor].key;
}

size_t gs_rules_member_count(const gs_rules_state *s)
{
    return s != NULL ? s->n_tenures : 0;
}

int gs_rules_member_at(const gs_rules_state *s, size_t i, gs_rules_member *out)
{
    if (s == NULL || out == NULL || i >= s->n_tenures)
        return GS_ENOTFOUND;
    member_fill(s, (int32_t)i, out);
    return 0;
}

int gs_rules_member_by_key(const gs_rules_state *s, const gs_pubkey *key, gs_rules_member *out)
{
    if (s == NULL || key == NULL || out == NULL)
        return GS_EINVAL;
    int32_t k = key_find(s, key);
    if (k == NONE || s->keys[k].tenure == NONE)
        return GS_ENOTFOUND;
    member_fill(s, s->keys[k].tenure, out);
    return 0;
}

int gs_rules_head(const gs_rules_state *s, gs_rules_member *out)
{
    if (s == NULL || out == NULL)
        return GS_EINVAL;
    if (s->head == NONE)
        return GS_ENOTFOUND;
    member_fill(s, s->head, out);
    return 0;
}

static void commitment_fill(const gs_rules_state *s, int32_t i, gs_rules_commitment *out)
{
    const commitment *c = &s->commits[i];
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->owner = s->keys[c->owner].key;
    out->owner_current = s->keys[current_key(s, c->owner)].key;
    out->open = c->open;
    out->target = c->target;
    out->direction = c->direction;
    out->deadline = c->deadline;
    out->baseline_target = c->baseline_target;
    out->baseline_deadline = c->baseline_deadline;
    out->revision_count = c->revision_count;
    out->issued_at = c->issued_at;
    out->index = c->index;
    out->leaf_hash = c->leaf_hash;
    out->progress_count = c->progress_count;
    if (!c->open) {
        out->outcome_value = c->outcome_value;
        out->outcome_index = c->outcome_index;
        out->outcome_by = s->keys[c->outcome_by].key;
    }
}

size_t gs_rules_commitment_count(const gs_rules_state *s)
{
    return s != NULL ? s->n_commits : 0;
}

int gs_rules_commitment_at(const gs_rules_state *s, size_t i, gs_rules_commitment *out)
{
    if (s == NULL || out == NULL || i >= s->n_commits)
        return GS_ENOTFOUND;
    commitment_fill(s, (int32_t)i, out);
    return 0;
}

int gs_rules_commitment_get(const gs_rules_state *s, const char *id, gs_rules_commitment *out)
{
    if (s == NULL || id == NULL || out == NULL)
        return GS_EINVAL;
    int32_t i = commit_find(s, id);
    if (i == NONE)
        return GS_ENOTFOUND;
    commitment_fill(s, i, out);
    return 0;
}

/* ------------------------------------------------------------ snapshots */

/* The snapshot format (docs/formats.md "Rule-state snapshots"): the magic,
 * then every field of the state in a fixed order, integers little-endian of
 * a fixed width, strings as a u32 length (0xffffffff: none) and their bytes,
 * a key's Feedback ring in slot order (feedback_n slots, then next). The
 * hash indexes are not written: they are rebuilt under a fresh SipHash key,
 * and lookups do not depend on it. Two states that judge alike write the
 * same bytes, which is what --verify-all compares. */
#define SNAP_MAGIC "giamsat-rules-v1"
#define SNAP_NO_STRING UINT32_MAX
#define SNAP_MAX_STRING (1u << 20)

typedef struct {
    uint8_t *p;
    size_t n, cap;
    bool failed;
} snap_w;

static void w_raw(snap_w *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n)
            cap *= 2;
        uint8_t *q = realloc(w->p, cap);
        if (q == NULL) {
            w->failed = true;
            return;
        }
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->n, p, n);
    w->n += n;
}

static void w_u64(snap_w *w, uint64_t x)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    w_raw(w, b, 8);
}

static void w_u32(snap_w *w, uint32_t x)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    w_raw(w, b, 4);
}

static void w_i64(snap_w *w, int64_t x)
{
    w_u64(w, (uint64_t)x);
}

static void w_i32(snap_w *w, int32_t x)
{
    w_u32(w, (uint32_t)x);
}

static void w_str(snap_w *w, const char *s)
{
    if (s == NULL) {
        w_u32(w, SNAP_NO_STRING);
        return;
    }
    size_t n = strlen(s);
    w_u32(w, (uint32_t)n);
    w_raw(w, s, n);
}

int gs_rules_snapshot_write(const gs_rules_state *s, gs_buf *out, gs_error *err)
{
    if (s == NULL || out == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_rules_snapshot_write needs a state");
    *out = (gs_buf){0};
    snap_w w = {0};
    w_raw(&w, SNAP_MAGIC, sizeof SNAP_MAGIC - 1);
    w_str(&w, s->origin);
    w_u64(&w, s->size);
    w_u32(&w, (uint32_t)s->tier);
    w_u32(&w, s->params.feedback_per_day);
    w_u32(&w, s->params.open_feedback_per_day);
    w_u32(&w, s->params.partial_percent);
    w_u64(&w, s->params_index);
    w_i32(&w, s->log_key);
    w_i32(&w, s->head);
    w_i64(&w, s->horizon);
    w_i64(&w, s->swept_day);
    w_u32(&w, s->open_day[0]);
    w_u32(&w, s->open_day[1]);
    w_u64(&w, s->n_keys);
    for (size_t i = 0; i < s->n_keys; i++) {
        const key_rec *k = &s->keys[i];
        w_raw(&w, k->key.b, sizeof k->key.b);
        w_u64(&w, k->last_seq);
        w_i32(&w, k->tenure);
        w_i32(&w, k->successor);
        w_u64(&w, k->rotated_index);
        uint32_t used = k->feedback != NULL ? k->feedback_n : 0;
        w_u32(&w, k->feedback != NULL ? 1 : 0);
        w_u32(&w, used);
        w_u32(&w, k->feedback != NULL ? k->feedback_next : 0);
        for (uint32_t j = 0; j < used; j++)
            w_i64(&w, k->feedback[j]);
    }
    w_u64(&w, s->n_tenures);
    for (size_t i = 0; i < s->n_tenures; i++) {
        const tenure *t = &s->tenures[i];
        w_i32(&w, t->key);
        w_str(&w, t->name);
        w_str(&w, t->title);
        w_str(&w, t->decision);
        w_u32(&w, (uint32_t)t->role);
        w_u64(&w, t->since_index);
        w_i64(&w, t->since_time);
        w_i32(&w, t->appointed_by);
        w_u32(&w, (uint32_t)t->ended);
        w_u64(&w, t->until_index);
        w_i64(&w, t->until_time);
        w_i32(&w, t->ended_by);
        w_i32(&w, t->predecessor);
        w_i32(&w, t->successor);
    }
    w_u64(&w, s->n_commits);
    for (size_t i = 0; i < s->n_commits; i++) {
        const commitment *c = &s->commits[i];
        w_str(&w, c->id);
        w_i32(&w, c->owner);
        w_i64(&w, c->target);
        w_u32(&w, (uint32_t)c->direction);
        w_i64(&w, c->deadline);
        w_i64(&w, c->baseline_target);
        w_i64(&w, c->baseline_deadline);
        w_u64(&w, c->revision_count);
        w_i64(&w, c->issued_at);
        w_u64(&w, c->index);
        w_raw(&w, c->leaf_hash.b, sizeof c->leaf_hash.b);
        w_u64(&w, c->progress_count);
        w_u32(&w, c->open ? 1 : 0);
        w_i64(&w, c->outcome_value);
        w_u64(&w, c->outcome_index);
        w_i32(&w, c->outcome_by);
    }
    if (w.failed) {
        free(w.p);
        return gs_error_set(err, GS_ENOMEM, "out of memory writing the rule state");
    }
    out->p = w.p;
    out->n = w.n;
    return 0;
}

typedef struct {
    const uint8_t *p;
    size_t n, at;
    bool bad;
} snap_r;

static const uint8_t *r_raw(snap_r *r, size_t n)
{
    if (r->bad || n > r->n - r->at) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->at;
    r->at += n;
    return p;
}

static uint64_t r_u64(snap_r *r)
{
    const uint8_t *b = r_raw(r, 8);
    uint64_t x = 0;
    for (int i = 0; b != NULL && i < 8; i++)
        x |= (uint64_t)b[i] << (8 * i);
    return x;
}

static uint32_t r_u32(snap_r *r)
{
    const uint8_t *b = r_raw(r, 4);
    uint32_t x = 0;
    for (int i = 0; b != NULL && i < 4; i++)
        x |= (uint32_t)b[i] << (8 * i);
    return x;
}

static int64_t r_i64(snap_r *r)
{
    return (int64_t)r_u64(r);
}

/* A reference to a record among n: NONE or 0..n-1. */
static int32_t r_ref(snap_r *r, size_t n)
{
    int32_t x = (int32_t)r_u32(r);
    if (x != NONE && (x < 0 || (size_t)x >= n))
        r->bad = true;
    return x;
}

/* A string of the state: NULL allowed only where allow_null; no NUL byte. */
static int r_str(snap_r *r, char **out, bool allow_null)
{
    *out = NULL;
    uint32_t n = r_u32(r);
    if (r->bad)
        return 0;
    if (n == SNAP_NO_STRING) {
        if (!allow_null)
            r->bad = true;
        return 0;
    }
    const uint8_t *p = n <= SNAP_MAX_STRING ? r_raw(r, n) : NULL;
    if (p == NULL || memchr(p, 0, n) != NULL) {
        r->bad = true;
        return 0;
    }
    if ((*out = malloc((size_t)n + 1)) == NULL)
        return GS_ENOMEM;
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    return 0;
}

/* A count of records each at least min_bytes long, so a forged count cannot
 * make the reader allocate more than the blob could describe. */
static size_t r_count(snap_r *r, size_t min_bytes)
{
    uint64_t n = r_u64(r);
    if (r->bad || n > INT32_MAX || n > (r->n - r->at) / min_bytes) {
        r->bad = true;
        return 0;
    }
    return (size_t)n;
}

int gs_rules_snapshot_read(gs_rules_state **out, const char *origin, gs_bytes blob, gs_error *err)
{
    if (out == NULL || origin == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_rules_snapshot_read needs an origin");
    *out = NULL;
    gs_rules_state *s = NULL;
    char *o = NULL;
    int rc = gs_rules_state_new(&s, origin, err);
    if (rc != 0)
        return rc;
    snap_r r = {.p = blob.p, .n = blob.n};
    const uint8_t *magic = r_raw(&r, sizeof SNAP_MAGIC - 1);
    if (magic == NULL || memcmp(magic, SNAP_MAGIC, sizeof SNAP_MAGIC - 1) != 0)
        goto bad;
    if ((rc = r_str(&r, &o, false)) != 0)
        goto nomem;
    if (r.bad || strcmp(o, origin) != 0)
        goto bad;
    s->size = r_u64(&r);
    uint32_t tier = r_u32(&r);
    if (tier > GS_TIER_HUB)
        goto bad;
    s->tier = (gs_tier)tier;
    s->params.feedback_per_day = r_u32(&r);
    s->params.open_feedback_per_day = r_u32(&r);
    s->params.partial_percent = r_u32(&r);
    s->params_index = r_u64(&r);
    int32_t log_key = (int32_t)r_u32(&r);
    int32_t head = (int32_t)r_u32(&r);
    s->horizon = r_i64(&r);
    s->swept_day = r_i64(&r);
    s->open_day[0] = r_u32(&r);
    s->open_day[1] = r_u32(&r);
    size_t nk = r_count(&r, 32 + 8 + 4 + 4 + 8 + 12);
    if (r.bad || grow((void **)&s->keys, &s->cap_keys, nk, sizeof *s->keys) != 0)
        goto bad_or_nomem;
    for (size_t i = 0; i < nk; i++) {
        key_rec *k = &s->keys[i];
        memset(k, 0, sizeof *k);
        const uint8_t *kb = r_raw(&r, sizeof k->key.b);
        if (kb != NULL)
            memcpy(k->key.b, kb, sizeof k->key.b);
        k->last_seq = r_u64(&r);
        k->tenure = (int32_t)r_u32(&r); /* checked once tenures are read */
        k->successor = r_ref(&r, nk);
        k->rotated_index = r_u64(&r);
        uint32_t has = r_u32(&r), used = r_u32(&r), next = r_u32(&r);
        if (r.bad || has > 1 || used > GS_RULES_FEEDBACK_MAX || next >= GS_RULES_FEEDBACK_MAX ||
            (has == 0 && (used != 0 || next != 0)))
            goto bad;
        s->n_keys++;
        if (has) {
            if ((k->feedback = calloc(GS_RULES_FEEDBACK_MAX, sizeof(int64_t))) == NULL)
                goto nomem;
            for (uint32_t j = 0; j < used; j++)
                k->feedback[j] = r_i64(&r);
            k->feedback_n = used;
            k->feedback_next = next;
        }
    }
    size_t nt = r_count(&r, 4 + 12 + 4 + 8 + 8 + 4 + 4 + 8 + 8 + 12);
    if (r.bad || grow((void **)&s->tenures, &s->cap_tenures, nt, sizeof *s->tenures) != 0)
        goto bad_or_nomem;
    for (size_t i = 0; i < nt; i++) {
        tenure *t = &s->tenures[i];
        memset(t, 0, sizeof *t);
        s->n_tenures++;
        t->key = r_ref(&r, nk);
        if (r_str(&r, &t->name, true) != 0 || r_str(&r, &t->title, true) != 0 ||
            r_str(&r, &t->decision, true) != 0)
            goto nomem;
        t->role = (gs_role)r_u32(&r);
        t->since_index = r_u64(&r);
        t->since_time = r_i64(&r);
        t->appointed_by = r_ref(&r, nk);
        t->ended = (gs_tenure_end)r_u32(&r);
        t->until_index = r_u64(&r);
        t->until_time = r_i64(&r);
        t->ended_by = r_ref(&r, nk);
        t->predecessor = r_ref(&r, nk);
        t->successor = r_ref(&r, nk);
        if (r.bad || t->key == NONE || t->ended > GS_TENURE_ROTATED || t->role < GS_ROLE_HEAD ||
            t->role > GS_ROLE_INSPECTOR)
            goto bad;
    }
    for (size_t i = 0; i < nk; i++)
        if (s->keys[i].tenure != NONE && (s->keys[i].tenure < 0 || (size_t)s->keys[i].tenure >= nt))
            goto bad;
    if ((log_key != NONE && (log_key < 0 || (size_t)log_key >= nk)) ||
        (head != NONE && (head < 0 || (size_t)head >= nt)))
        goto bad;
    s->log_key = log_key;
    s->head = head;
    size_t nc = r_count(&r, 4 + 4 + 8 + 4 + 8 * 8 + 32 + 4 + 4);
    if (r.bad || grow((void **)&s->commits, &s->cap_commits, nc, sizeof *s->commits) != 0)
        goto bad_or_nomem;
    for (size_t i = 0; i < nc; i++) {
        commitment *c = &s->commits[i];
        memset(c, 0, sizeof *c);
        s->n_commits++;
        if (r_str(&r, &c->id, false) != 0)
            goto nomem;
        c->owner = r_ref(&r, nk);
        c->target = r_i64(&r);
        c->direction = (gs_direction)r_u32(&r);
        c->deadline = r_i64(&r);
        c->baseline_target = r_i64(&r);
        c->baseline_deadline = r_i64(&r);
        c->revision_count = r_u64(&r);
        c->issued_at = r_i64(&r);
        c->index = r_u64(&r);
        const uint8_t *lh = r_raw(&r, sizeof c->leaf_hash.b);
        if (lh != NULL)
            memcpy(c->leaf_hash.b, lh, sizeof c->leaf_hash.b);
        c->progress_count = r_u64(&r);
        uint32_t open = r_u32(&r);
        c->open = open == 1;
        c->outcome_value = r_i64(&r);
        c->outcome_index = r_u64(&r);
        c->outcome_by = r_ref(&r, nk);
        if (r.bad || c->owner == NONE || open > 1 || (!c->open && c->outcome_by == NONE) ||
            (c->direction != GS_DIRECTION_AT_LEAST && c->direction != GS_DIRECTION_AT_MOST) ||
            (i > 0 && c->index <= s->commits[i - 1].index))
            goto bad;
    }
    if (r.bad || r.at != r.n)
        goto bad;
    /* The indexes: a key or an id twice would make lookups ambiguous. */
    if (table_reserve(s, &s->key_index, s->n_keys, key_hash) != 0 ||
        table_reserve(s, &s->commit_index, s->n_commits, commit_hash) != 0)
        goto nomem;
    for (size_t i = 0; i < s->n_keys; i++) {
        if (key_find(s, &s->keys[i].key) != NONE)
            goto bad;
        table_put(s, &s->key_index, (int32_t)i, key_hash);
    }
    for (size_t i = 0; i < s->n_commits; i++) {
        if (commit_find(s, s->commits[i].id) != NONE)
            goto bad;
        table_put(s, &s->commit_index, (int32_t)i, commit_hash);
    }
    free(o);
    *out = s;
    return 0;
bad_or_nomem:
    if (r.bad)
        goto bad;
nomem:
    free(o);
    gs_rules_state_free(&s);
    return gs_error_set(err, GS_ENOMEM, "out of memory reading a rule-state snapshot");
bad:
    free(o);
    gs_rules_state_free(&s);
    return gs_error_set(err, GS_ECORRUPT,
                        "the rule-state snapshot of %s does not parse (byte %zu of %zu)", origin,
                        r.at, r.n);
}

size_t gs_rules_log_key_history(const gs_rules_state *s, gs_pubkey *keys, uint64_t *at, size_t cap)
{
    if (s == NULL || s->log_key == NONE)
        return 0;
    /* Walk back from the log key in force: a rotation's new key is unused in
     * the log (rule 11), so each key has at most one predecessor. */
    size_t n = 1;
    int32_t k = s->log_key;
    for (;;) {
        int32_t prev = NONE;
        for (size_t i = 0; i < s->n_keys && prev == NONE; i++)
            if (s->keys[i].successor == k)
                prev = (int32_t)i;
        if (prev == NONE || n > s->n_keys)
            break;
        k = prev;
        n++;
    }
    /* k is the Charter's signer; walk forward filling the first cap. */
    uint64_t rotated_at = 0;
    for (size_t i = 0; i < n && k != NONE; i++) {
        if (i < cap) {
            keys[i] = s->keys[k].key;
            at[i] = rotated_at;
        }
        rotated_at = s->keys[k].rotated_index;
        k = s->keys[k].successor;
    }
    return n;
}
