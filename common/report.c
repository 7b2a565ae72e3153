/* report.c — the accountability report of an audit (DESIGN §2 principle 1:
 * personal, not collective). See report.h.
 *
 * The report learns from the replay, entry by entry, through its sink
 * (gs_report_sink); it checks cross-log references and resolves who each
 * finding is about in gs_report_finish, from the leaf record. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "localtime.h"
#include "report.h"
#include "report_html.h"
#include "rules.h"

#define TEXT_KEEP 280     /* bytes of a finding's or feedback's text shown */
#define REVISIONS_KEPT 32 /* the latest revisions listed per commitment */
#define TREE_DEPTH 64     /* delegation depth followed (links cannot loop: a guard) */

/* -------------------------------------------------------------- judgement */

static const char *const status_names[GS_JUDGED_COUNT] = {
    "delivered", "delivered_late", "partially_delivered", "missed", "overdue", "at_risk", "open",
};

const char *gs_judged_name(gs_judged s)
{
    return (unsigned)s < GS_JUDGED_COUNT ? status_names[s] : "open";
}

bool gs_judged_failed(gs_judged s)
{
    return s == GS_JUDGED_MISSED || s == GS_JUDGED_OVERDUE || s == GS_JUDGED_DELIVERED_LATE ||
           s == GS_JUDGED_PARTIALLY_DELIVERED;
}

static int64_t clamp128(__int128 v)
{
    return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

bool gs_judge_percent(int64_t value, int64_t target, gs_direction dir, int64_t *tenths)
{
    /* Fixed point over fixed point: the scale cancels; 128 bits cannot
     * overflow, and C division truncates toward zero. */
    if (dir == GS_DIRECTION_AT_MOST) {
        if (value <= target) {
            *tenths = 1000;
            return true;
        }
        if (value <= 0)
            return false;
        *tenths = clamp128((__int128)target * 1000 / value);
        return true;
    }
    if (target <= 0)
        return false;
    *tenths = clamp128((__int128)value * 1000 / target);
    return true;
}

/* The early warnings of an open commitment whose deadline has not passed. */
static void judge_risk(const gs_judge_in *in, int64_t as_of, gs_judgement *out)
{
    /* Projection: the line through the first and the last report, or for a
     * single at-least report the line from (issued_at, 0) through it,
     * extended to the deadline. */
    if (in->n_progress >= 1 && in->first_time != in->last_time) {
        __int128 p = (__int128)in->first_value + ((__int128)in->last_value - in->first_value) *
                                                     ((__int128)in->deadline - in->first_time) /
                                                     ((__int128)in->last_time - in->first_time);
        out->has_projected = true;
        out->projected = clamp128(p);
    } else if (in->n_progress >= 1 && in->dir == GS_DIRECTION_AT_LEAST &&
               in->last_time > in->issued_at) {
        __int128 p = (__int128)in->last_value * ((__int128)in->deadline - in->issued_at) /
                     ((__int128)in->last_time - in->issued_at);
        out->has_projected = true;
        out->projected = clamp128(p);
    }
    if (out->has_projected)
        out->projection = in->dir == GS_DIRECTION_AT_MOST ? out->projected > in->target
                                                          : out->projected < in->target;
    /* Silence: nothing reported for more than a third of the time given. */
    out->silent_since = in->n_progress > 0 ? in->last_time : in->issued_at;
    out->silent_for = as_of - out->silent_since;
    out->silence =
        (__int128)as_of - out->silent_since > ((__int128)in->deadline - in->issued_at) / 3;
}

void gs_judge(const gs_judge_in *in, int64_t as_of, gs_judgement *out)
{
    memset(out, 0, sizeof *out);
    if (in->has_outcome) {
        bool met = in->dir == GS_DIRECTION_AT_MOST ? in->outcome_value <= in->target
                                                   : in->outcome_value >= in->target;
        uint32_t partial = in->partial_percent ? in->partial_percent : GS_REPORT_PARTIAL_PERCENT;
        out->has_percent = gs_judge_percent(in->outcome_value, in->target, in->dir, &out->percent);
        if (met)
            out->status =
                in->outcome_time > in->deadline ? GS_JUDGED_DELIVERED_LATE : GS_JUDGED_DELIVERED;
        else if (out->has_percent && out->percent >= (int64_t)partial * 10)
            out->status = GS_JUDGED_PARTIALLY_DELIVERED;
        else
            out->status = GS_JUDGED_MISSED;
        return;
    }
    if (in->n_progress > 0)
        out->has_progress_percent =
            gs_judge_percent(in->last_value, in->target, in->dir, &out->progress_percent);
    if (in->deadline < as_of) {
        out->status = GS_JUDGED_OVERDUE;
        return;
    }
    judge_risk(in, as_of, out);
    out->status = out->projection || out->silence ? GS_JUDGED_AT_RISK : GS_JUDGED_OPEN;
}

void gs_percent_format(int64_t tenths, char *out, size_t cap)
{
    uint64_t m = tenths < 0 ? (uint64_t)0 - (uint64_t)tenths : (uint64_t)tenths;
    snprintf(out, cap, "%s%llu.%llu", tenths < 0 ? "-" : "", (unsigned long long)(m / 10),
             (unsigned long long)(m % 10));
}

void gs_mean_format(uint64_t sum, uint64_t count, char *out, size_t cap)
{
    if (count == 0) {
        snprintf(out, cap, "0.00");
        return;
    }
    /* hundredths, half up: (200 sum + count) / (2 count) */
    unsigned __int128 h = ((unsigned __int128)sum * 200 + count) / ((unsigned __int128)count * 2);
    unsigned long long v = h > UINT64_MAX ? UINT64_MAX : (unsigned long long)h;
    snprintf(out, cap, "%llu.%02llu", v / 100, v % 100);
}

void gs_sample_add(gs_sample *s, int64_t time, int64_t value)
{
    if (s->n == GS_REPORT_SAMPLE_MAX) {
        /* Keep the even points (the first among them); the new point is
         * the last. */
        size_t k = 0;
        for (size_t i = 0; i < s->n; i += 2)
            s->p[k++] = s->p[i];
        s->n = k;
    }
    s->p[s->n].time = time;
    s->p[s->n].value = value;
    s->n++;
    s->seen++;
}

typedef struct {
    char *origin;
    char *name;
    gs_tier tier;
    char *parent;
    /* verification */
    bool verified_done;
    char *skipped;
    uint64_t size;
    gs_hash root;
    uint64_t entries_verified, entries_replayed;
    uint64_t n_failures;
    json_t *failures;
    json_t *witnesses;
    size_t first_tenure, n_tenures;
    size_t first_commit, n_commits;
    size_t first_item, n_items;
    char *time_zone;               /* the Charter's ("" or NULL: the default) */
    bool replayed;                 /* the parameters below were read from the log */
    gs_rule_parameters parameters; /* in force at the end of the replay */
    uint64_t parameters_since;     /* the entry that set them */
} log_rec;

typedef struct {
    size_t log;
    size_t person;
    gs_pubkey key;
    gs_role role;
    char *title;
    int64_t since, until;
    uint64_t since_index, until_index;
    gs_tenure_end ended;
} tenure_rec;

typedef struct {
    char *name;
    gs_pubkey key; /* the first key seen */
} person_rec;

typedef struct {
    uint64_t index;
    int64_t issued_at;
    gs_pubkey by;
    bool has_target;
    int64_t target;
    int64_t deadline; /* 0: unchanged */
    char *reason;
} revision_rec;

typedef struct {
    size_t log;
    uint64_t index;
    gs_hash leaf;
    char *id, *title, *indicator, *uom;
    int64_t target, deadline, issued_at; /* target and deadline in force */
    int64_t base_target, base_deadline;  /* the Commitment's own: the baseline */
    gs_direction dir;
    gs_pubkey owner;
    uint64_t revision_count; /* Revisions at or before as_of */
    revision_rec *revs;      /* the latest REVISIONS_KEPT of them, in log order */
    size_t n_revs;
    gs_sample *sample; /* Progress at or before as_of; NULL before the first */
    bool has_outcome;
    int64_t outcome_value, outcome_time;
    uint64_t outcome_index;
    uint64_t progress_count;
    bool has_parent;
    char *parent_origin;
    uint64_t parent_index;
    gs_hash parent_leaf;
    /* computed in finish */
    gs_judgement j;
    int evidence;         /* EV_… */
    int contest_answered; /* -1: no contesting finding counted; else 0 or 1 */
    size_t first_verdict; /* items with a verdict about it, in order; SIZE_MAX: none */
    size_t parent;        /* SIZE_MAX: none */
    size_t first_child, next_sibling;
    bool rollup_done;
    size_t n_children;
    uint64_t rollup_by[GS_JUDGED_COUNT];
    bool has_rollup_sum;
    int64_t rollup_sum;
    uint64_t rollup_summed;
} commit_rec;

enum { EV_NONE = 0, EV_SELF, EV_CONFIRMED, EV_CONTESTED, EV_COUNT };
static const char *const evidence_names[EV_COUNT] = {"no_evidence", "self_reported", "confirmed",
                                                     "contested"};

typedef struct {
    size_t log;
    uint64_t index;
    gs_body_kind kind;
    gs_pubkey signer;
    int64_t issued_at;
    gs_severity severity;
    gs_verdict verdict; /* a Finding's */
    uint32_t rating;    /* a Feedback's, 0: none */
    char *text;
    bool has_about;
    char *about_origin;
    uint64_t about_index;
    gs_hash about_leaf;
    bool responded;
    int64_t response_time;
    uint64_t response_index;
    gs_pubkey response_by;
    /* computed */
    bool has_addressee;
    gs_pubkey addressee;
    size_t commit;       /* the commitment a verdict judges; SIZE_MAX: none */
    bool about_outcome;  /* …through its Outcome (else a Progress) */
    size_t next_verdict; /* the next verdict about the same commitment */
} item_rec;

typedef struct {
    size_t log;
    uint64_t index;
    const char *field;
    char *origin;
    uint64_t to_index;
    gs_hash leaf;
    gs_body_kind want; /* GS_BODY_NONE: any */
} xref_rec;

/* An open-addressing map from a key to a person. */
typedef struct {
    gs_pubkey *k;
    size_t *v;
    size_t cap, n;
} keymap;

#define VEC(T)                                                                                     \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }

struct gs_report {
    int64_t as_of, response_days;
    char *hub;
    char lang[4];
    VEC(log_rec) logs;
    gs_audit_index log_index; /* origin -> log */
    VEC(tenure_rec) tenures;
    VEC(person_rec) people;
    VEC(commit_rec) commits;
    VEC(item_rec) items;
    VEC(xref_rec) xrefs;
    keymap persons;
    VEC(gs_audit_evidence) evidence; /* every piece the audit met, judged */
    size_t cur;                      /* the log being replayed */
    bool failed;
    json_t *doc;
    bool streamed; /* finished with gs_report_finish_json: doc holds only the head */
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, c * size);
    if (p == NULL)
        return GS_ENOMEM;
    *v = p;
    *cap = c;
    return 0;
}

#define PUSH(vec, err)                                                                             \
    (grow((void **)&(vec).v, &(vec).cap, (vec).n, sizeof *(vec).v) != 0                            \
         ? gs_error_set(err, GS_ENOMEM, "out of memory for the report")                            \
         : (memset(&(vec).v[(vec).n], 0, sizeof *(vec).v), (vec).n++, 0))

static uint64_t key_slot(const gs_pubkey *k)
{
    uint64_t h;
    memcpy(&h, k->b, 8); /* keys are uniformly random */
    return h;
}

static int keymap_put(keymap *m, const gs_pubkey *k, size_t v)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        gs_pubkey *nk = calloc(cap, sizeof *nk);
        size_t *nv = malloc(cap * sizeof *nv);
        if (nk == NULL || nv == NULL) {
            free(nk);
            free(nv);
            return GS_ENOMEM;
        }
        for (size_t i = 0; i < cap; i++)
            nv[i] = SIZE_MAX;
        for (size_t i = 0; i < m->cap; i++) {
            if (m->v[i] == SIZE_MAX)
                continue;
            size_t j = key_slot(&m->k[i]) & (cap - 1);
            while (nv[j] != SIZE_MAX)
                j = (j + 1) & (cap - 1);
            nk[j] = m->k[i];
            nv[j] = m->v[i];
        }
        free(m->k);
        free(m->v);
        m->k = nk;
        m->v = nv;
        m->cap = cap;
    }
    size_t j = key_slot(k) & (m->cap - 1);
    while (m->v[j] != SIZE_MAX) {
        if (memcmp(m->k[j].b, k->b, 32) == 0) {
            m->v[j] = v;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->k[j] = *k;
    m->v[j] = v;
    m->n++;
    return 0;
}

static size_t keymap_get(const keymap *m, const gs_pubkey *k)
{
    if (m->cap == 0)
        return SIZE_MAX;
    size_t j = key_slot(k) & (m->cap - 1);
    while (m->v[j] != SIZE_MAX) {
        if (memcmp(m->k[j].b, k->b, 32) == 0)
            return m->v[j];
        j = (j + 1) & (m->cap - 1);
    }
    return SIZE_MAX;
}

json_t *gs_report_json_b64(const uint8_t *p, size_t n)
{
    size_t cap = gs_base64_encoded_len(n);
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    gs_base64_encode(s, cap, gs_bytes_of(p, n));
    json_t *v = json_string(s);
    free(s);
    return v;
}

static char *xstrdup(const char *s)
{
    return strdup(s != NULL ? s : "");
}

/* At most TEXT_KEEP bytes, cut at a UTF-8 character boundary. */
static char *short_text(const char *s)
{
    size_t n = strlen(s);
    if (n <= TEXT_KEEP)
        return strdup(s);
    n = TEXT_KEEP;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    char *o = malloc(n + 4);
    if (o == NULL)
        return NULL;
    memcpy(o, s, n);
    memcpy(o + n, "…", 4);
    return o;
}

int gs_report_new(gs_report **out, int64_t as_of, int64_t response_days, gs_error *err)
{
    gs_report *r = calloc(1, sizeof *r);
    if (r == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    r->as_of = as_of;
    r->response_days = response_days;
    r->cur = SIZE_MAX;
    memcpy(r->lang, "en", 3);
    *out = r;
    return 0;
}

void gs_report_free(gs_report **rp)
{
    gs_report *r = *rp;
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->logs.n; i++) {
        log_rec *l = &r->logs.v[i];
        free(l->origin);
        free(l->name);
        free(l->parent);
        free(l->skipped);
        free(l->time_zone);
        json_decref(l->failures);
        json_decref(l->witnesses);
    }
    for (size_t i = 0; i < r->tenures.n; i++)
        free(r->tenures.v[i].title);
    for (size_t i = 0; i < r->people.n; i++)
        free(r->people.v[i].name);
    for (size_t i = 0; i < r->commits.n; i++) {
        commit_rec *c = &r->commits.v[i];
        free(c->id);
        free(c->title);
        free(c->indicator);
        free(c->uom);
        free(c->parent_origin);
        for (size_t k = 0; k < c->n_revs; k++)
            free(c->revs[k].reason);
        free(c->revs);
        free(c->sample);
    }
    for (size_t i = 0; i < r->items.n; i++) {
        free(r->items.v[i].text);
        free(r->items.v[i].about_origin);
    }
    for (size_t i = 0; i < r->xrefs.n; i++)
        free(r->xrefs.v[i].origin);
    free(r->logs.v);
    gs_audit_index_clear(&r->log_index);
    free(r->tenures.v);
    free(r->people.v);
    free(r->commits.v);
    free(r->items.v);
    free(r->xrefs.v);
    free(r->evidence.v);
    free(r->persons.k);
    free(r->persons.v);
    free(r->hub);
    json_decref(r->doc);
    free(r);
    *rp = NULL;
}

void gs_report_set_lang(gs_report *r, const char *lang)
{
    memcpy(r->lang, lang != NULL && strcmp(lang, "vi") == 0 ? "vi" : "en", 3);
}

void gs_report_set_hub(gs_report *r, const char *origin)
{
    free(r->hub);
    r->hub = origin != NULL ? strdup(origin) : NULL;
}

static size_t find_log(const gs_report *r, const char *origin)
{
    return gs_audit_index_get(&r->log_index, origin);
}

static int add_log_rec(gs_report *r, const char *origin, size_t *at, gs_error *err)
{
    size_t i = find_log(r, origin);
    if (i != SIZE_MAX) {
        *at = i;
        return 0;
    }
    if (PUSH(r->logs, err) != 0)
        return GS_ENOMEM;
    log_rec *l = &r->logs.v[r->logs.n - 1];
    if ((l->origin = strdup(origin)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (gs_audit_index_put(&r->log_index, l->origin, r->logs.n - 1, err) != 0)
        return GS_ENOMEM;
    l->first_commit = r->commits.n;
    l->first_item = r->items.n;
    l->first_tenure = r->tenures.n;
    *at = r->logs.n - 1;
    return 0;
}

static int report_begin_log(void *ctx, const char *origin, gs_error *err)
{
    gs_report *r = ctx;
    int rc = add_log_rec(r, origin, &r->cur, err);
    if (rc == 0) {
        log_rec *l = &r->logs.v[r->cur];
        l->first_commit = r->commits.n;
        l->first_item = r->items.n;
    }
    return rc;
}

/* The record of the commitment at entry index of the current log. */
static commit_rec *commit_at(gs_report *r, uint64_t index)
{
    log_rec *l = &r->logs.v[r->cur];
    size_t lo = l->first_commit, hi = r->commits.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->commits.v[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->commits.n && r->commits.v[lo].index == index ? &r->commits.v[lo] : NULL;
}

static item_rec *item_at(gs_report *r, size_t log, uint64_t index)
{
    log_rec *l = &r->logs.v[log];
    size_t lo = l->first_item, hi = l->first_item + l->n_items;
    if (log == r->cur)
        hi = r->items.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->items.v[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->items.n && r->items.v[lo].log == log && r->items.v[lo].index == index
               ? &r->items.v[lo]
               : NULL;
}

static int add_xref(gs_report *r, uint64_t index, const char *field, const gs_ref *ref,
                    gs_body_kind want, gs_error *err)
{
    const char *origin = r->logs.v[r->cur].origin;
    if (strcmp(ref->origin, origin) == 0)
        return 0; /* the rule book checked it during the replay */
    if (PUSH(r->xrefs, err) != 0)
        return GS_ENOMEM;
    xref_rec *x = &r->xrefs.v[r->xrefs.n - 1];
    x->log = r->cur;
    x->index = index;
    x->field = field;
    x->to_index = ref->index;
    x->leaf = ref->leaf_hash;
    x->want = want;
    if ((x->origin = strdup(ref->origin)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return 0;
}

/* A Revision of c (entry index): counted, and in force, only when issued at
 * or before as_of; the latest REVISIONS_KEPT are listed. */
static int add_revision(gs_report *r, commit_rec *c, uint64_t index, const gs_statement *st,
                        gs_error *err)
{
    if (st->issued_at > r->as_of)
        return 0;
    c->revision_count++;
    if (st->u.revision.has_target)
        c->target = st->u.revision.target;
    if (st->u.revision.deadline != 0)
        c->deadline = st->u.revision.deadline;
    if (c->revs == NULL && (c->revs = calloc(REVISIONS_KEPT, sizeof *c->revs)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (c->n_revs == REVISIONS_KEPT) {
        free(c->revs[0].reason);
        memmove(&c->revs[0], &c->revs[1], (REVISIONS_KEPT - 1) * sizeof *c->revs);
        c->n_revs--;
    }
    revision_rec *v = &c->revs[c->n_revs];
    memset(v, 0, sizeof *v);
    v->index = index;
    v->issued_at = st->issued_at;
    v->by = st->signer;
    v->has_target = st->u.revision.has_target;
    v->target = st->u.revision.target;
    v->deadline = st->u.revision.deadline;
    if ((v->reason = short_text(st->u.revision.reason != NULL ? st->u.revision.reason : "")) ==
        NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    c->n_revs++;
    return 0;
}

static int report_on_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                           const gs_rules_state *s, gs_error *err)
{
    gs_report *r = ctx;
    log_rec *l = &r->logs.v[r->cur];
    gs_rules_commitment rc_;
    commit_rec *c;
    switch (st->kind) {
    case GS_BODY_CHARTER:
        free(l->name);
        free(l->parent);
        l->name = xstrdup(st->u.charter.display_name);
        l->tier = st->u.charter.tier;
        l->parent = st->u.charter.parent_origin ? strdup(st->u.charter.parent_origin) : NULL;
        free(l->time_zone);
        l->time_zone = xstrdup(st->u.charter.time_zone);
        if (l->name == NULL || l->time_zone == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        break;
    case GS_BODY_COMMITMENT:
        if (PUSH(r->commits, err) != 0)
            return GS_ENOMEM;
        c = &r->commits.v[r->commits.n - 1];
        c->log = r->cur;
        c->index = index;
        c->leaf = *leaf;
        c->target = c->base_target = st->u.commitment.target;
        c->deadline = c->base_deadline = st->u.commitment.deadline;
        c->issued_at = st->issued_at;
        c->dir = st->u.commitment.direction;
        c->owner = st->signer;
        c->parent = SIZE_MAX;
        c->first_child = c->next_sibling = c->first_verdict = SIZE_MAX;
        if ((c->id = xstrdup(st->u.commitment.id)) == NULL ||
            (c->title = xstrdup(st->u.commitment.title)) == NULL ||
            (c->indicator = xstrdup(st->u.commitment.indicator)) == NULL ||
            (c->uom = xstrdup(st->u.commitment.unit_of_measure)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        if (st->u.commitment.has_parent) {
            c->has_parent = true;
            c->parent_index = st->u.commitment.parent.index;
            c->parent_leaf = st->u.commitment.parent.leaf_hash;
            if ((c->parent_origin = xstrdup(st->u.commitment.parent.origin)) == NULL)
                return gs_error_set(err, GS_ENOMEM, "out of memory");
            return add_xref(r, index, "commitment.parent", &st->u.commitment.parent,
                            GS_BODY_COMMITMENT, err);
        }
        break;
    case GS_BODY_PROGRESS:
    case GS_BODY_OUTCOME:
    case GS_BODY_REVISION: {
        const char *id = st->kind == GS_BODY_PROGRESS  ? st->u.progress.commitment_id
                         : st->kind == GS_BODY_OUTCOME ? st->u.outcome.commitment_id
                                                       : st->u.revision.commitment_id;
        if (gs_rules_commitment_get(s, id, &rc_) != 0 || (c = commit_at(r, rc_.index)) == NULL)
            break; /* the rule book accepted it, so it exists: nothing to add */
        if (st->kind == GS_BODY_REVISION)
            return add_revision(r, c, index, st, err);
        if (st->kind == GS_BODY_PROGRESS) {
            c->progress_count++;
            if (st->issued_at > r->as_of)
                break; /* not yet reported as of the report */
            if (c->sample == NULL && (c->sample = calloc(1, sizeof *c->sample)) == NULL)
                return gs_error_set(err, GS_ENOMEM, "out of memory");
            gs_sample_add(c->sample, st->issued_at, st->u.progress.value);
        } else {
            c->has_outcome = true;
            c->outcome_value = st->u.outcome.value;
            c->outcome_time = st->issued_at;
            c->outcome_index = index;
        }
        break;
    }
    case GS_BODY_FINDING:
    case GS_BODY_FEEDBACK: {
        if (PUSH(r->items, err) != 0)
            return GS_ENOMEM;
        item_rec *it = &r->items.v[r->items.n - 1];
        const gs_ref *about = NULL;
        it->log = r->cur;
        it->index = index;
        it->kind = st->kind;
        it->signer = st->signer;
        it->issued_at = st->issued_at;
        it->commit = it->next_verdict = SIZE_MAX;
        if (st->kind == GS_BODY_FINDING) {
            it->severity = st->u.finding.severity;
            it->verdict = st->u.finding.verdict;
            it->text = short_text(st->u.finding.text);
            about = &st->u.finding.about;
        } else {
            it->text = short_text(st->u.feedback.text);
            it->rating = st->u.feedback.rating;
            if (st->u.feedback.has_about)
                about = &st->u.feedback.about;
        }
        if (it->text == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        if (about != NULL) {
            it->has_about = true;
            it->about_index = about->index;
            it->about_leaf = about->leaf_hash;
            if ((it->about_origin = xstrdup(about->origin)) == NULL)
                return gs_error_set(err, GS_ENOMEM, "out of memory");
            return add_xref(r, index,
                            st->kind == GS_BODY_FINDING ? "finding.about" : "feedback.about", about,
                            GS_BODY_NONE, err);
        }
        break;
    }
    case GS_BODY_RESPONSE: {
        item_rec *it = item_at(r, r->cur, st->u.response.to.index);
        if (it != NULL && !it->responded) {
            it->responded = true;
            it->response_time = st->issued_at;
            it->response_index = index;
            it->response_by = st->signer;
        }
        break;
    }
    default: break;
    }
    return 0;
}

static size_t person_for(gs_report *r, const gs_pubkey *k, const char *name, gs_error *err)
{
    size_t p = keymap_get(&r->persons, k);
    if (p != SIZE_MAX)
        return p;
    if (PUSH(r->people, err) != 0)
        return SIZE_MAX;
    person_rec *pr = &r->people.v[r->people.n - 1];
    pr->key = *k;
    if ((pr->name = xstrdup(name)) == NULL || keymap_put(&r->persons, k, r->people.n - 1) != 0) {
        gs_error_set(err, GS_ENOMEM, "out of memory");
        return SIZE_MAX;
    }
    return r->people.n - 1;
}

static int take_roster(gs_report *r, const gs_rules_state *s, gs_error *err)
{
    log_rec *l = &r->logs.v[r->cur];
    l->first_tenure = r->tenures.n;
    l->n_commits = r->commits.n - l->first_commit;
    l->n_items = r->items.n - l->first_item;
    l->replayed = true;
    gs_rules_parameters(s, &l->parameters, &l->parameters_since);
    size_t nm = gs_rules_member_count(s);
    for (size_t i = 0; i < nm; i++) {
        gs_rules_member m;
        if (gs_rules_member_at(s, i, &m) != 0)
            continue;
        size_t p = SIZE_MAX;
        /* A rotated key is the same person. */
        if (m.has_predecessor)
            p = keymap_get(&r->persons, &m.predecessor);
        if (p == SIZE_MAX && (p = person_for(r, &m.key, m.name, err)) == SIZE_MAX)
            return GS_ENOMEM;
        if (keymap_put(&r->persons, &m.key, p) != 0 || PUSH(r->tenures, err) != 0)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        tenure_rec *t = &r->tenures.v[r->tenures.n - 1];
        l = &r->logs.v[r->cur];
        t->log = r->cur;
        t->person = p;
        t->key = m.key;
        t->role = m.role;
        t->since = m.since_time;
        t->since_index = m.since_index;
        t->ended = m.ended;
        t->until = m.until_time;
        t->until_index = m.until_index;
        if ((t->title = xstrdup(m.title)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        /* The latest name a person was appointed under is theirs. */
        free(r->people.v[p].name);
        if ((r->people.v[p].name = xstrdup(m.name)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    l->n_tenures = r->tenures.n - l->first_tenure;
    /* Commitments follow their owner through key rotations. */
    for (size_t i = l->first_commit; i < r->commits.n; i++) {
        gs_rules_commitment c;
        if (gs_rules_commitment_get(s, r->commits.v[i].id, &c) == 0)
            r->commits.v[i].owner = c.owner_current;
    }
    r->cur = SIZE_MAX;
    return 0;
}

static int add_log_outcome(gs_report *r, const gs_audit_replay *rp, const gs_audit_trusted *t,
                           const char *skipped_reason, gs_error *err)
{
    size_t at = 0;
    int rc = add_log_rec(r, rp->origin, &at, err);
    if (rc != 0)
        return rc;
    log_rec *l = &r->logs.v[at];
    l->verified_done = true;
    l->entries_verified = rp->verified;
    l->entries_replayed = rp->replayed;
    l->n_failures = rp->n_failures;
    if ((l->failures = json_array()) == NULL || (l->witnesses = json_array()) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (size_t i = 0; i < rp->n_kept; i++)
        json_array_append_new(l->failures, json_string(rp->failures[i]));
    if (skipped_reason != NULL) {
        l->skipped = strdup(skipped_reason);
        json_array_append_new(l->failures, json_string(skipped_reason));
        l->n_failures++;
    }
    if (t != NULL && t->note != NULL) {
        l->size = t->cp.size;
        l->root = t->cp.root;
        for (size_t i = 0; i < t->n_witnesses; i++) {
            char ts[32];
            json_t *w = json_object();
            gs_time_format(t->witness_time[i], ts, sizeof ts);
            json_object_set_new(w, "name", json_string(t->witness[i]));
            json_object_set_new(w, "time", json_string(ts));
            json_array_append_new(l->witnesses, w);
        }
    }
    if (l->n_failures > 0)
        r->failed = true;
    return 0;
}

/* The sink's end_log: the roster and commitments from the final state of a
 * log that was replayed, then its verification outcome. */
static int report_end_log(void *ctx, const gs_audit_replay *rp, const gs_audit_trusted *t,
                          const char *skipped, gs_error *err)
{
    gs_report *r = ctx;
    int rc;
    if (rp->state != NULL && (rc = take_roster(r, rp->state, err)) != 0)
        return rc;
    return add_log_outcome(r, rp, t, skipped, err);
}

/* The sink's on_evidence: every piece is kept, proof or not. Any piece
 * fails the audit (exit 1): a proof shows misbehaviour, and a piece that
 * does not verify is a detector's claim the inspector must look at; only a
 * proof of kind (a), (b) or (d) changes its log's status. */
static int report_on_evidence(void *ctx, const gs_audit_evidence *ev, gs_error *err)
{
    gs_report *r = ctx;
    int rc = PUSH(r->evidence, err);
    if (rc != 0)
        return rc;
    r->evidence.v[r->evidence.n - 1] = *ev;
    r->failed = true;
    return 0;
}

void gs_report_sink(gs_report *r, gs_audit_sink *out)
{
    out->ctx = r;
    out->begin_log = report_begin_log;
    out->on_entry = report_on_entry;
    out->end_log = report_end_log;
    out->on_evidence = report_on_evidence;
}

bool gs_report_failed(const gs_report *r)
{
    return r->failed;
}

void gs_report_evidence_count(const gs_report *r, size_t *proof, size_t *unverifiable)
{
    *proof = *unverifiable = 0;
    for (size_t i = 0; i < r->evidence.n; i++) {
        if (r->evidence.v[i].proof)
            (*proof)++;
        else
            (*unverifiable)++;
    }
}

/* ---------------------------------------------------------------- finish */

static const char *item_status(const gs_report *r, const item_rec *it)
{
    int64_t due = it->issued_at + r->response_days * 86400;
    if (it->responded && it->response_time <= r->as_of)
        return it->response_time <= due ? "responded" : "responded-late";
    return r->as_of > due ? "unanswered" : "pending";
}

static json_t *jtime(int64_t t)
{
    char s[32];
    gs_time_format(t, s, sizeof s);
    return json_string(s);
}

/* t in the zone of log (its Charter's; the default when it names none). */
static json_t *jlocal(const gs_report *r, size_t log, int64_t t)
{
    char s[48];
    gs_time_format_local(t, log < r->logs.n ? r->logs.v[log].time_zone : NULL, s, sizeof s);
    return json_string(s);
}

static const char *log_zone(const gs_report *r, size_t log)
{
    const char *tz = r->logs.v[log].time_zone;
    return tz != NULL && tz[0] != '\0' ? tz : GS_DEFAULT_TIME_ZONE;
}

static json_t *jkey(const gs_pubkey *k)
{
    return gs_report_json_b64(k->b, 32);
}

static json_t *jfingerprint(const gs_pubkey *k)
{
    char fp[GS_KEY_FINGERPRINT_LEN];
    gs_key_fingerprint(k, fp);
    return json_string(fp);
}

static json_t *jfixed(int64_t v)
{
    char s[48];
    gs_fixed_format(v, s, sizeof s);
    return json_string(s);
}

static json_t *jpercent(bool has, int64_t tenths)
{
    char s[32];
    if (!has)
        return json_null();
    gs_percent_format(tenths, s, sizeof s);
    return json_string(s);
}

/* STATUS_COUNTS (docs/audit.md): every status, always, and the total. */
static json_t *status_counts(const uint64_t by[GS_JUDGED_COUNT])
{
    json_t *o = json_object();
    uint64_t total = 0;
    for (int s = 0; s < GS_JUDGED_COUNT; s++) {
        json_object_set_new(o, gs_judged_name((gs_judged)s), json_integer((json_int_t)by[s]));
        total += by[s];
    }
    json_object_set_new(o, "total", json_integer((json_int_t)total));
    return o;
}

static json_t *person_ref(gs_report *r, const gs_pubkey *k)
{
    json_t *o = json_object();
    size_t p = keymap_get(&r->persons, k);
    json_object_set_new(o, "name", p != SIZE_MAX ? json_string(r->people.v[p].name) : json_null());
    json_object_set_new(o, "key", jkey(k));
    json_object_set_new(o, "fingerprint", jfingerprint(k));
    return o;
}

/* The head of log at time t, or NULL. */
static const tenure_rec *head_at(const gs_report *r, size_t log, int64_t t)
{
    const log_rec *l = &r->logs.v[log];
    for (size_t i = l->first_tenure; i < l->first_tenure + l->n_tenures; i++) {
        const tenure_rec *tr = &r->tenures.v[i];
        if (tr->role == GS_ROLE_HEAD && tr->since <= t &&
            (tr->ended == GS_TENURE_ACTIVE || tr->until > t))
            return tr;
    }
    return NULL;
}

static bool outcome_counted(const gs_report *r, const commit_rec *c)
{
    return c->has_outcome && c->outcome_time <= r->as_of;
}

/* The judgement of c as of r->as_of (gs_judge), with its log's threshold. */
static void judge_commit(const gs_report *r, commit_rec *c)
{
    const log_rec *l = &r->logs.v[c->log];
    gs_judge_in in = {
        .issued_at = c->issued_at,
        .target = c->target,
        .deadline = c->deadline,
        .dir = c->dir,
        .has_outcome = outcome_counted(r, c),
        .outcome_value = c->outcome_value,
        .outcome_time = c->outcome_time,
        .partial_percent = l->replayed ? l->parameters.partial_percent : 0,
    };
    if (c->sample != NULL && c->sample->n > 0) {
        in.n_progress = c->sample->seen;
        in.first_time = c->sample->p[0].time;
        in.first_value = c->sample->p[0].value;
        in.last_time = c->sample->p[c->sample->n - 1].time;
        in.last_value = c->sample->p[c->sample->n - 1].value;
    }
    gs_judge(&in, r->as_of, &c->j);
}

/* A verdict counts over another when issued later, then later in log order. */
static bool item_later(const item_rec *a, const item_rec *b)
{
    if (a->issued_at != b->issued_at)
        return a->issued_at > b->issued_at;
    if (a->log != b->log)
        return a->log > b->log;
    return a->index > b->index;
}

/* Evidence status: the latest verdict about the Outcome, else about any
 * Progress; a contesting finding counted says whether it was answered. */
static void judge_evidence(const gs_report *r, commit_rec *c)
{
    const item_rec *best[2] = {NULL, NULL}, *contest[2] = {NULL, NULL};
    bool outcome = outcome_counted(r, c);
    c->contest_answered = -1;
    if (!outcome && (c->sample == NULL || c->sample->n == 0)) {
        c->evidence = EV_NONE;
        return;
    }
    for (size_t k = c->first_verdict; k != SIZE_MAX; k = r->items.v[k].next_verdict) {
        const item_rec *it = &r->items.v[k];
        if (it->about_outcome && !outcome)
            continue; /* about an Outcome issued after as_of */
        int tier = it->about_outcome ? 0 : 1;
        if (best[tier] == NULL || item_later(it, best[tier]))
            best[tier] = it;
        if (it->verdict == GS_VERDICT_CONTESTS &&
            (contest[tier] == NULL || item_later(it, contest[tier])))
            contest[tier] = it;
    }
    int tier = best[0] != NULL ? 0 : 1;
    if (best[tier] == NULL) {
        c->evidence = EV_SELF;
        return;
    }
    c->evidence = best[tier]->verdict == GS_VERDICT_CONTESTS ? EV_CONTESTED : EV_CONFIRMED;
    if (contest[tier] != NULL)
        c->contest_answered = contest[tier]->responded && contest[tier]->response_time <= r->as_of;
}

/* The value a child brings to its parent's roll-up: its Outcome, else its
 * latest Progress, else its own roll-up sum. */
static bool child_value(const gs_report *r, const commit_rec *c, int64_t *v)
{
    if (outcome_counted(r, c))
        *v = c->outcome_value;
    else if (c->sample != NULL && c->sample->n > 0)
        *v = c->sample->p[c->sample->n - 1].value;
    else if (c->has_rollup_sum)
        *v = c->rollup_sum;
    else
        return false;
    return true;
}

/* The roll-up of commitment ci over its delegated children, theirs first;
 * rollup_done guards against a loop, depth against a deep chain. */
static void rollup(gs_report *r, size_t ci, int depth)
{
    commit_rec *c = &r->commits.v[ci];
    if (c->rollup_done)
        return;
    c->rollup_done = true;
    for (size_t k = c->first_child; k != SIZE_MAX; k = r->commits.v[k].next_sibling) {
        if (depth < TREE_DEPTH)
            rollup(r, k, depth + 1);
        const commit_rec *ch = &r->commits.v[k];
        int64_t v, sum;
        c = &r->commits.v[ci];
        c->n_children++;
        c->rollup_by[ch->j.status]++;
        if (strcmp(ch->uom, c->uom) != 0 || !child_value(r, ch, &v))
            continue;
        if (__builtin_add_overflow(c->rollup_sum, v, &sum))
            continue; /* beyond any measure: not summed */
        c->rollup_sum = sum;
        c->has_rollup_sum = true;
        c->rollup_summed++;
    }
}

static json_t *rollup_json(const commit_rec *c)
{
    if (c->n_children == 0)
        return json_null();
    json_t *o = json_object();
    int64_t pct = 0;
    bool has_pct = c->has_rollup_sum && gs_judge_percent(c->rollup_sum, c->target, c->dir, &pct);
    json_object_set_new(o, "children", json_integer((json_int_t)c->n_children));
    json_object_set_new(o, "by_status", status_counts(c->rollup_by));
    json_object_set_new(o, "unit_of_measure", json_string(c->uom));
    json_object_set_new(o, "sum", c->has_rollup_sum ? jfixed(c->rollup_sum) : json_null());
    json_object_set_new(o, "summed", json_integer((json_int_t)c->rollup_summed));
    json_object_set_new(o, "percent_of_target", jpercent(has_pct, pct));
    return o;
}

static json_t *at_risk_json(const commit_rec *c)
{
    if (c->j.status != GS_JUDGED_AT_RISK)
        return json_null();
    json_t *o = json_object(), *why = json_array();
    if (c->j.projection)
        json_array_append_new(why, json_string("projection"));
    if (c->j.silence)
        json_array_append_new(why, json_string("silence"));
    json_object_set_new(o, "reasons", why);
    json_object_set_new(o, "projected", c->j.has_projected ? jfixed(c->j.projected) : json_null());
    json_object_set_new(o, "silent_since", jtime(c->j.silent_since));
    json_object_set_new(o, "silent_days", json_integer((json_int_t)(c->j.silent_for / 86400)));
    return o;
}

static json_t *verdicts_json(gs_report *r, const commit_rec *c)
{
    json_t *a = json_array();
    for (size_t k = c->first_verdict; k != SIZE_MAX; k = r->items.v[k].next_verdict) {
        const item_rec *it = &r->items.v[k];
        char ref[GS_MAX_ORIGIN + 32];
        json_t *o = json_object();
        snprintf(ref, sizeof ref, "%s:%llu", it->about_origin, (unsigned long long)it->about_index);
        json_object_set_new(o, "origin", json_string(r->logs.v[it->log].origin));
        json_object_set_new(o, "index", json_integer((json_int_t)it->index));
        json_object_set_new(o, "verdict", json_string(gs_verdict_name(it->verdict)));
        json_object_set_new(o, "about", json_string(ref));
        json_object_set_new(o, "about_kind",
                            json_string(it->about_outcome ? "outcome" : "progress"));
        json_object_set_new(o, "by", person_ref(r, &it->signer));
        json_object_set_new(o, "issued_at", jtime(it->issued_at));
        json_object_set_new(o, "responded",
                            json_boolean(it->responded && it->response_time <= r->as_of));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *commitment_json(gs_report *r, const commit_rec *c)
{
    json_t *o = json_object(), *base = json_object(), *revs = json_array(), *prog = json_array();
    size_t lg = c->log;
    json_object_set_new(o, "origin", json_string(r->logs.v[c->log].origin));
    json_object_set_new(o, "index", json_integer((json_int_t)c->index));
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "title", json_string(c->title));
    json_object_set_new(o, "indicator", json_string(c->indicator));
    json_object_set_new(o, "unit_of_measure", json_string(c->uom));
    json_object_set_new(o, "target", jfixed(c->target));
    json_object_set_new(o, "direction", json_string(gs_direction_name(c->dir)));
    json_object_set_new(o, "deadline", jtime(c->deadline));
    json_object_set_new(o, "deadline_local", jlocal(r, lg, c->deadline));
    json_object_set_new(o, "status", json_string(gs_judged_name(c->j.status)));
    json_object_set_new(o, "owner", person_ref(r, &c->owner));
    if (outcome_counted(r, c)) {
        json_object_set_new(o, "outcome", jfixed(c->outcome_value));
        json_object_set_new(o, "outcome_time", jtime(c->outcome_time));
        json_object_set_new(o, "outcome_time_local", jlocal(r, lg, c->outcome_time));
        json_object_set_new(o, "late", json_boolean(c->outcome_time > c->deadline));
    } else {
        json_object_set_new(o, "outcome", json_null());
    }
    json_object_set_new(o, "percent_of_target", jpercent(c->j.has_percent, c->j.percent));
    json_object_set_new(o, "progress_percent",
                        jpercent(c->j.has_progress_percent, c->j.progress_percent));
    json_object_set_new(o, "progress_reports", json_integer((json_int_t)c->progress_count));
    if (c->has_parent) {
        char ref[GS_MAX_ORIGIN + 32];
        snprintf(ref, sizeof ref, "%s:%llu", c->parent_origin, (unsigned long long)c->parent_index);
        json_object_set_new(o, "parent", json_string(ref));
    } else {
        json_object_set_new(o, "parent", json_null());
    }
    json_object_set_new(base, "target", jfixed(c->base_target));
    json_object_set_new(base, "deadline", jtime(c->base_deadline));
    json_object_set_new(base, "deadline_local", jlocal(r, lg, c->base_deadline));
    json_object_set_new(o, "baseline", base);
    for (size_t k = 0; k < c->n_revs; k++) {
        const revision_rec *v = &c->revs[k];
        json_t *x = json_object();
        json_object_set_new(x, "index", json_integer((json_int_t)v->index));
        json_object_set_new(x, "issued_at", jtime(v->issued_at));
        json_object_set_new(x, "issued_at_local", jlocal(r, lg, v->issued_at));
        json_object_set_new(x, "by", person_ref(r, &v->by));
        json_object_set_new(x, "target", v->has_target ? jfixed(v->target) : json_null());
        json_object_set_new(x, "deadline", v->deadline != 0 ? jtime(v->deadline) : json_null());
        json_object_set_new(x, "deadline_local",
                            v->deadline != 0 ? jlocal(r, lg, v->deadline) : json_null());
        json_object_set_new(x, "reason", json_string(v->reason));
        json_array_append_new(revs, x);
    }
    json_object_set_new(o, "revisions", revs);
    json_object_set_new(o, "revision_count", json_integer((json_int_t)c->revision_count));
    json_object_set_new(o, "evidence_status", json_string(evidence_names[c->evidence]));
    json_object_set_new(o, "contest_answered",
                        c->contest_answered < 0 ? json_null()
                                                : json_boolean(c->contest_answered != 0));
    json_object_set_new(o, "verdicts", verdicts_json(r, c));
    json_object_set_new(o, "at_risk", at_risk_json(c));
    for (size_t k = 0; c->sample != NULL && k < c->sample->n; k++) {
        json_t *x = json_object();
        json_object_set_new(x, "time", jtime(c->sample->p[k].time));
        json_object_set_new(x, "time_local", jlocal(r, lg, c->sample->p[k].time));
        json_object_set_new(x, "value", jfixed(c->sample->p[k].value));
        json_array_append_new(prog, x);
    }
    json_object_set_new(o, "progress", prog);
    json_object_set_new(o, "progress_sampled",
                        json_boolean(c->sample != NULL && c->sample->seen > c->sample->n));
    json_object_set_new(o, "rollup", rollup_json(c));
    return o;
}

static json_t *item_json(gs_report *r, const item_rec *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(gs_body_name(it->kind)));
    json_object_set_new(o, "origin", json_string(r->logs.v[it->log].origin));
    json_object_set_new(o, "index", json_integer((json_int_t)it->index));
    json_object_set_new(o, "issued_at", jtime(it->issued_at));
    json_object_set_new(o, "issued_at_local", jlocal(r, it->log, it->issued_at));
    json_object_set_new(o, "by", person_ref(r, &it->signer));
    if (it->kind == GS_BODY_FINDING)
        json_object_set_new(o, "severity", json_string(gs_severity_name(it->severity)));
    json_object_set_new(o, "text", json_string(it->text));
    if (it->has_about) {
        char ref[GS_MAX_ORIGIN + 32];
        snprintf(ref, sizeof ref, "%s:%llu", it->about_origin, (unsigned long long)it->about_index);
        json_object_set_new(o, "about", json_string(ref));
    } else {
        json_object_set_new(o, "about", json_null());
    }
    json_object_set_new(o, "rating",
                        it->kind == GS_BODY_FEEDBACK && it->rating >= 1 && it->rating <= 5
                            ? json_integer(it->rating)
                            : json_null());
    json_object_set_new(o, "verdict",
                        it->kind == GS_BODY_FINDING && it->verdict != GS_VERDICT_NONE
                            ? json_string(gs_verdict_name(it->verdict))
                            : json_null());
    json_object_set_new(o, "addressed_to",
                        it->has_addressee ? person_ref(r, &it->addressee) : json_null());
    json_object_set_new(o, "response_due", jtime(it->issued_at + r->response_days * 86400));
    json_object_set_new(o, "status", json_string(item_status(r, it)));
    if (it->responded && it->response_time <= r->as_of) {
        json_object_set_new(o, "responded_at", jtime(it->response_time));
        json_object_set_new(o, "response_index", json_integer((json_int_t)it->response_index));
        json_object_set_new(o, "response_by", person_ref(r, &it->response_by));
    }
    return o;
}

static size_t find_commit(const gs_report *r, size_t log, uint64_t index)
{
    const log_rec *l = &r->logs.v[log];
    size_t lo = l->first_commit, hi = l->first_commit + l->n_commits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->commits.v[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->first_commit + l->n_commits && r->commits.v[lo].index == index ? lo : SIZE_MAX;
}

static json_t *tree_json(gs_report *r, size_t ci, int depth)
{
    const commit_rec *c = &r->commits.v[ci];
    json_t *o = json_object(), *kids = json_array();
    json_object_set_new(o, "origin", json_string(r->logs.v[c->log].origin));
    json_object_set_new(o, "index", json_integer((json_int_t)c->index));
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "title", json_string(c->title));
    json_object_set_new(o, "owner", person_ref(r, &c->owner));
    json_object_set_new(o, "status", json_string(gs_judged_name(c->j.status)));
    json_object_set_new(o, "deadline", jtime(c->deadline));
    json_object_set_new(o, "rollup", rollup_json(c));
    /* Links need a matching leaf hash into an earlier entry, so they cannot
     * loop; the depth bound is a second guard. */
    if (depth < TREE_DEPTH)
        for (size_t k = c->first_child; k != SIZE_MAX; k = r->commits.v[k].next_sibling)
            json_array_append_new(kids, tree_json(r, k, depth + 1));
    json_object_set_new(o, "children", kids);
    return o;
}

/* Ratings per quarter ("2026-Q4"), sorted by quarter: a unit's, or a
 * head's over their tenures. */
typedef struct {
    char quarter[8];
    uint64_t count, sum;
} quarter_rec;

typedef VEC(quarter_rec) quarter_vec;

static int quarter_add(quarter_vec *v, const char *quarter, uint32_t rating, gs_error *err)
{
    size_t i = 0;
    while (i < v->n && strcmp(v->v[i].quarter, quarter) < 0)
        i++;
    if (i == v->n || strcmp(v->v[i].quarter, quarter) != 0) {
        if (PUSH(*v, err) != 0)
            return GS_ENOMEM;
        memmove(&v->v[i + 1], &v->v[i], (v->n - 1 - i) * sizeof *v->v);
        memset(&v->v[i], 0, sizeof *v->v);
        snprintf(v->v[i].quarter, sizeof v->v[i].quarter, "%s", quarter);
    }
    v->v[i].count++;
    v->v[i].sum += rating;
    return 0;
}

static json_t *quarters_json(const quarter_vec *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++) {
        char mean[32];
        json_t *o = json_object();
        gs_mean_format(v->v[i].sum, v->v[i].count, mean, sizeof mean);
        json_object_set_new(o, "quarter", json_string(v->v[i].quarter));
        json_object_set_new(o, "count", json_integer((json_int_t)v->v[i].count));
        json_object_set_new(o, "sum", json_integer((json_int_t)v->v[i].sum));
        json_object_set_new(o, "mean", json_string(mean));
        json_array_append_new(a, o);
    }
    return a;
}

/* { "index", "id", "status", "deadline" } of a failed deadline, with its
 * origin when asked. */
static json_t *failed_ref(gs_report *r, const commit_rec *c, bool origin)
{
    json_t *o = json_object();
    if (origin)
        json_object_set_new(o, "origin", json_string(r->logs.v[c->log].origin));
    json_object_set_new(o, "index", json_integer((json_int_t)c->index));
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "status", json_string(gs_judged_name(c->j.status)));
    json_object_set_new(o, "deadline", jtime(c->deadline));
    return o;
}

static json_t *checkpoint_ref(uint64_t size, const gs_hash *root)
{
    json_t *o = json_object();
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    json_object_set_new(o, "root_b64", gs_report_json_b64(root->b, 32));
    return o;
}

/* One piece of evidence as the report shows it (docs/audit.md, EVIDENCE). */
static json_t *evidence_json(const gs_audit_evidence *e, size_t n)
{
    json_t *o = json_object(), *det = json_object(), *cps = json_array(), *in = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "verdict", json_string(e->proof ? "proof" : "unverifiable"));
    json_object_set_new(
        o, "kind", e->decoded ? json_string(gs_audit_evidence_kind_name(e->kind)) : json_null());
    json_object_set_new(o, "origin", e->decoded ? json_string(e->origin) : json_null());
    json_object_set_new(o, "against",
                        !e->proof        ? json_null()
                        : e->against_log ? json_string("log")
                                         : json_string("source"));
    json_object_set_new(o, "description", json_string(e->decoded ? e->description : ""));
    json_object_set_new(o, "proves",
                        e->proof ? json_string(gs_audit_evidence_proves(e->kind)) : json_null());
    json_object_set_new(o, "error", e->proof ? json_null() : json_string(e->why));
    json_object_set_new(o, "reason", json_string(e->reason));
    /* A part of a split (d): which, of how many (null for a whole piece). */
    json_object_set_new(o, "part", e->parts > 1 ? json_integer(e->part) : json_null());
    json_object_set_new(o, "parts", e->parts > 1 ? json_integer(e->parts) : json_null());
    json_object_set_new(o, "detected_at", e->detected_at > 0 ? jtime(e->detected_at) : json_null());
    json_object_set_new(o, "detected_at_unix", json_integer(e->detected_at));
    json_object_set_new(det, "key", jkey(&e->reporter));
    json_object_set_new(det, "fingerprint", jfingerprint(&e->reporter));
    json_object_set_new(det, "origin", json_string(e->reporter_origin));
    json_object_set_new(det, "witness",
                        e->reporter_witness[0] != '\0' ? json_string(e->reporter_witness)
                                                       : json_null());
    json_object_set_new(det, "signature_verified", json_boolean(e->reporter_signed));
    json_object_set_new(o, "detector", det);
    json_object_set_new(o, "reported_at", e->reported_at > 0 ? jtime(e->reported_at) : json_null());
    if (e->has_a)
        json_array_append_new(cps, checkpoint_ref(e->size_a, &e->root_a));
    if (e->has_b)
        json_array_append_new(cps, checkpoint_ref(e->size_b, &e->root_b));
    json_object_set_new(o, "checkpoints", cps);
    json_object_set_new(o, "first_index", json_integer((json_int_t)e->first_index));
    json_object_set_new(o, "entries", json_integer((json_int_t)e->n_entries));
    json_object_set_new(in, "hub", json_boolean((e->from & GS_AUDIT_FROM_HUB) != 0));
    json_object_set_new(in, "hub_log_index",
                        (e->from & GS_AUDIT_FROM_HUB_LOG)
                            ? json_integer((json_int_t)e->hub_log_index)
                            : json_null());
    json_object_set_new(in, "monitor",
                        (e->from & GS_AUDIT_FROM_MONITOR) ? json_string(e->monitor) : json_null());
    json_object_set_new(o, "found_in", in);
    json_object_set_new(o, "leaf_hash_b64", gs_report_json_b64(e->leaf.b, 32));
    return o;
}

/* What finish counts per person and per unit. */
typedef struct {
    uint64_t own[GS_JUDGED_COUNT];
    json_t *failed; /* failed_as_head */
    json_t *units;  /* where */
    quarter_vec q;  /* ratings to their unit during their tenure as head */
    /* Their tenures, the commitments they own and the findings and feedback
     * addressed to them, each a list in report order through the next
     * arrays of finish: one pass over each, never people x commitments. */
    size_t tenure_first, tenure_last, commit_first, commit_last, item_first, item_last;
} person_card;

/* Appends i to the list (*first, *last) threaded through next. */
static void list_add(size_t *first, size_t *last, size_t *next, size_t i)
{
    next[i] = SIZE_MAX;
    if (*first == SIZE_MAX)
        *first = i;
    else
        next[*last] = i;
    *last = i;
}

/* The heads answering in the summary: most failures first, then by name,
 * then in the order people were met (as the insertion it replaces kept). */
typedef struct {
    size_t person, failed;
    const char *name;
} answering;

static int cmp_answering(const void *a, const void *b)
{
    const answering *x = a, *y = b;
    if (x->failed != y->failed)
        return x->failed > y->failed ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->person < y->person ? -1 : x->person > y->person;
}

typedef struct {
    uint64_t by[GS_JUDGED_COUNT];
    quarter_vec q;
} unit_card;

/* The JSON form written as it is built (gs_report_finish_json): the
 * document's head (every member before "people") as json_dumpf would write
 * it, then each person and each unit as it is made, indented as inside the
 * whole document, and freed; the output is byte for byte what
 * gs_report_write(GS_REPORT_JSON) writes of the whole document. */

/* v dumped as JSON_INDENT(2) with every line after the first indented depth
 * levels more, as it sits inside the whole document; NULL when out of
 * memory. */
static char *dump_indented(json_t *v, int depth, size_t *len)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s == NULL)
        return NULL;
    size_t pad = (size_t)depth * 2, n = 0, lines = 0;
    for (const char *p = s; *p != '\0'; p++, n++)
        lines += *p == '\n';
    char *out = malloc(n + lines * pad + 1), *o = out;
    if (out == NULL) {
        free(s);
        return NULL;
    }
    for (const char *p = s; *p != '\0'; p++) {
        *o++ = *p;
        if (*p == '\n') {
            memset(o, ' ', pad);
            o += pad;
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    free(s);
    return out;
}

/* v dumped as JSON_INDENT(2) at depth levels in. */
static int stream_value(FILE *f, json_t *v, int depth, gs_error *err)
{
    size_t len = 0;
    char *s = dump_indented(v, depth, &len);
    if (s == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    fwrite(s, 1, len, f);
    free(s);
    return ferror(f) ? gs_error_set(err, GS_EIO, "cannot write the report") : 0;
}

/* Each element of people and units is built, dumped to text and freed on
 * other threads while this one hands out the next: writing the report was
 * the audit's longest stretch with the signature workers idle, and one
 * dumping thread fed by this one building every element was still its
 * bottleneck (issue 13 item 5: 9.5 of the 41 s of a 1,000,000-statement
 * audit). Up to DUMP_RING elements are in flight, taken in order by one
 * thread per core (at most DUMP_THREADS_MAX); this thread writes their
 * texts in the order they were put, so the bytes are those of the whole
 * document. Building an element only reads the report (its records, cards
 * and key map are complete by then; local times take the zone lock of
 * localtime.c), and the JSON an element shares with others (pc[p].failed)
 * is only referenced (jansson's reference counts are atomic). When no
 * thread can start, every element is built and written here. */
#define DUMP_THREADS_MAX 4
#define DUMP_RING 16

/* An element: build(ctx, index), dumped at depth. */
typedef json_t *(*element_fn)(void *ctx, size_t index);

typedef struct {
    element_fn build;
    void *ctx;
    size_t index;
    int depth;
    bool first; /* the first element of its array */
    bool done;
    char *text; /* its bytes, for this thread to write; NULL: out of memory */
    size_t len;
} dump_slot;

typedef struct {
    pthread_t th[DUMP_THREADS_MAX];
    unsigned n_threads;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was put, or quit */
    pthread_cond_t done; /* a job was dumped */
    dump_slot ring[DUMP_RING];
    uint64_t put, taken, written; /* jobs put, taken by a thread, written: in that order */
    bool quit;
} dumper;

static void *dumper_run(void *arg)
{
    dumper *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->quit && d->taken == d->put)
            pthread_cond_wait(&d->work, &d->mu);
        if (d->taken == d->put)
            break; /* quit, and nothing left */
        dump_slot *sl = &d->ring[d->taken++ % DUMP_RING];
        dump_slot job = *sl;
        pthread_mutex_unlock(&d->mu);
        size_t len = 0;
        json_t *o = job.build(job.ctx, job.index);
        char *text = o != NULL ? dump_indented(o, job.depth, &len) : NULL;
        json_decref(o);
        pthread_mutex_lock(&d->mu);
        sl->text = text;
        sl->len = len;
        sl->done = true;
        pthread_cond_broadcast(&d->done);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void dumper_start(dumper *d)
{
    memset(d, 0, sizeof *d);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want = cores < 1 ? 1 : cores > DUMP_THREADS_MAX ? DUMP_THREADS_MAX : (unsigned)cores;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->work, NULL);
    pthread_cond_init(&d->done, NULL);
    while (d->n_threads < want && pthread_create(&d->th[d->n_threads], NULL, dumper_run, d) == 0)
        d->n_threads++;
    if (d->n_threads == 0) {
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->work);
        pthread_cond_destroy(&d->done);
    }
}

static bool dumper_running(const dumper *d)
{
    return d != NULL && d->n_threads > 0;
}

/* What comes before a streamed array's element: the array's opening
 * bracket before the first, a comma before the others (each on a line of
 * its own, indented as jansson would at depth 2; stream_next closes it). */
static void element_start(FILE *f, bool first)
{
    fputs(first ? "[\n    " : ",\n    ", f);
}

/* Waits for the oldest element not yet written and writes it. */
static int dumper_write_one(dumper *d, FILE *f, gs_error *err)
{
    pthread_mutex_lock(&d->mu);
    dump_slot *sl = &d->ring[d->written % DUMP_RING];
    while (!sl->done)
        pthread_cond_wait(&d->done, &d->mu);
    char *text = sl->text;
    size_t len = sl->len;
    bool first = sl->first;
    sl->text = NULL;
    sl->done = false;
    d->written++;
    pthread_mutex_unlock(&d->mu);
    if (text == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    element_start(f, first);
    fwrite(text, 1, len, f);
    free(text);
    return ferror(f) ? gs_error_set(err, GS_EIO, "cannot write the report") : 0;
}

/* Writes every element put, in order. */
static int dumper_drain(dumper *d, FILE *f, gs_error *err)
{
    int rc = 0;
    while (rc == 0 && dumper_running(d) && d->written < d->put)
        rc = dumper_write_one(d, f, err);
    return rc;
}

/* Hands element index to the threads, once the ring has room. */
static int dumper_put(dumper *d, FILE *f, element_fn build, void *ctx, size_t index, int depth,
                      bool first, gs_error *err)
{
    if (d->put - d->written == DUMP_RING) {
        int rc = dumper_write_one(d, f, err);
        if (rc != 0)
            return rc;
    }
    pthread_mutex_lock(&d->mu);
    dump_slot *sl = &d->ring[d->put++ % DUMP_RING];
    sl->build = build;
    sl->ctx = ctx;
    sl->index = index;
    sl->depth = depth;
    sl->first = first;
    sl->done = false;
    pthread_cond_signal(&d->work);
    pthread_mutex_unlock(&d->mu);
    return 0;
}

/* Lets the threads finish what they hold (dropping the texts not written)
 * and ends them; safe on a dumper that never started. */
static void dumper_stop(dumper *d)
{
    if (!dumper_running(d))
        return;
    pthread_mutex_lock(&d->mu);
    d->quit = true;
    pthread_cond_broadcast(&d->work);
    pthread_mutex_unlock(&d->mu);
    for (unsigned i = 0; i < d->n_threads; i++)
        pthread_join(d->th[i], NULL);
    for (; d->written < d->put; d->written++)
        free(d->ring[d->written % DUMP_RING].text);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->work);
    pthread_cond_destroy(&d->done);
    d->n_threads = 0;
}

/* The head: the document so far without its closing "\n}", then the
 * opening of "people". */
static int stream_head(json_t *doc, FILE *f, gs_error *err)
{
    char *s = json_dumps(doc, JSON_INDENT(2));
    if (s == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    size_t n = strlen(s);
    if (n >= 2 && strcmp(s + n - 2, "\n}") == 0)
        n -= 2;
    fwrite(s, 1, n, f);
    free(s);
    fputs(",\n  \"people\": ", f);
    return ferror(f) ? gs_error_set(err, GS_EIO, "cannot write the report") : 0;
}

/* Element index of people or units: built and appended to the array, or
 * written (built and dumped by the dumper's threads when they run, in
 * order). */
static int emit(FILE *f, json_t *array, element_fn build, void *ctx, size_t index, size_t *n,
                dumper *d, gs_error *err)
{
    if (f == NULL) {
        json_t *o = build(ctx, index);
        if (o == NULL || json_array_append_new(array, o) != 0)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        return 0;
    }
    bool first = *n == 0;
    (*n)++;
    if (dumper_running(d))
        return dumper_put(d, f, build, ctx, index, 2, first, err);
    json_t *o = build(ctx, index);
    int rc = o == NULL ? gs_error_set(err, GS_ENOMEM, "out of memory") : 0;
    if (rc == 0) {
        element_start(f, first);
        rc = stream_value(f, o, 2, err);
    }
    json_decref(o);
    return rc;
}

/* Closes the array of n elements, opens member name. */
static int stream_next(FILE *f, const char *name, size_t n, gs_error *err)
{
    fprintf(f, "%s,\n  \"%s\": ", n == 0 ? "[]" : "\n  ]", name);
    return ferror(f) ? gs_error_set(err, GS_EIO, "cannot write the report") : 0;
}

static int stream_tail(json_t *trees, FILE *f, gs_error *err)
{
    int rc = stream_value(f, trees, 1, err);
    if (rc == 0 && (fputs("\n}\n", f) == EOF || fflush(f) != 0 || ferror(f)))
        rc = gs_error_set(err, GS_EIO, "cannot write the report");
    return rc;
}

static int finish(gs_report *r, gs_audit_leafdb *db, FILE *stream, gs_error *err);

int gs_report_finish(gs_report *r, gs_audit_leafdb *db, gs_error *err)
{
    return finish(r, db, NULL, err);
}

int gs_report_finish_json(gs_report *r, gs_audit_leafdb *db, FILE *out, gs_error *err)
{
    return finish(r, db, out, err);
}

/* What the people and units are built from: read only by then, so the
 * dumper's threads build elements side by side (person_json, unit_json). */
typedef struct {
    gs_report *r;
    const person_card *pc;
    const unit_card *uc;
    const size_t *t_next, *c_next, *i_next;
} cards;

/* Person p of the report's people (NULL when out of memory). */
static json_t *person_json(void *ctx, size_t p)
{
    const cards *cd = ctx;
    gs_report *r = cd->r;
    const person_card *pc = cd->pc;
    const size_t *t_next = cd->t_next, *c_next = cd->c_next, *i_next = cd->i_next;
    json_t *o = json_object(), *roles = json_array(), *cs = json_array(), *ad = json_array(),
           *keys = json_array(), *sum = json_object(), *card = json_object(), *adc = json_object();
    uint64_t n_unans = 0, n_in_time = 0, n_late = 0, n_pending = 0, n_total = 0;
    json_object_set_new(o, "name", json_string(r->people.v[p].name));
    json_object_set_new(o, "key", jkey(&r->people.v[p].key));
    json_object_set_new(o, "fingerprint", jfingerprint(&r->people.v[p].key));
    for (size_t i = pc[p].tenure_first; i != SIZE_MAX; i = t_next[i]) {
        const tenure_rec *t = &r->tenures.v[i];
        json_t *x = json_object();
        json_object_set_new(x, "origin", json_string(r->logs.v[t->log].origin));
        json_object_set_new(x, "role", json_string(gs_role_name(t->role)));
        json_object_set_new(x, "title", json_string(t->title));
        json_object_set_new(x, "key", jkey(&t->key));
        json_object_set_new(x, "fingerprint", jfingerprint(&t->key));
        json_object_set_new(x, "since", jtime(t->since));
        json_object_set_new(x, "since_local", jlocal(r, t->log, t->since));
        json_object_set_new(x, "since_index", json_integer((json_int_t)t->since_index));
        json_object_set_new(x, "until",
                            t->ended == GS_TENURE_ACTIVE ? json_null() : jtime(t->until));
        json_object_set_new(x, "until_local",
                            t->ended == GS_TENURE_ACTIVE ? json_null()
                                                         : jlocal(r, t->log, t->until));
        json_object_set_new(x, "ended", json_string(gs_tenure_end_name(t->ended)));
        json_array_append_new(roles, x);
        bool seen = false;
        for (size_t k = 0; k < json_array_size(keys); k++) {
            json_t *kk = jkey(&t->key);
            seen |= json_equal(kk, json_array_get(keys, k));
            json_decref(kk);
        }
        if (!seen)
            json_array_append_new(keys, jkey(&t->key));
    }
    for (size_t i = pc[p].commit_first; i != SIZE_MAX; i = c_next[i])
        json_array_append_new(cs, commitment_json(r, &r->commits.v[i]));
    for (size_t i = pc[p].item_first; i != SIZE_MAX; i = i_next[i]) {
        const item_rec *it = &r->items.v[i];
        const char *st = item_status(r, it);
        n_total++;
        n_unans += strcmp(st, "unanswered") == 0;
        n_in_time += strcmp(st, "responded") == 0;
        n_late += strcmp(st, "responded-late") == 0;
        n_pending += strcmp(st, "pending") == 0;
        json_array_append_new(ad, item_json(r, it));
    }
    for (int k = 0; k < GS_JUDGED_COUNT; k++)
        json_object_set_new(sum, gs_judged_name((gs_judged)k),
                            json_integer((json_int_t)pc[p].own[k]));
    json_object_set_new(sum, "unanswered", json_integer((json_int_t)n_unans));
    json_object_set_new(adc, "total", json_integer((json_int_t)n_total));
    json_object_set_new(adc, "answered_in_time", json_integer((json_int_t)n_in_time));
    json_object_set_new(adc, "answered_late", json_integer((json_int_t)n_late));
    json_object_set_new(adc, "unanswered", json_integer((json_int_t)n_unans));
    json_object_set_new(adc, "pending", json_integer((json_int_t)n_pending));
    json_object_set_new(card, "own", status_counts(pc[p].own));
    json_object_set_new(card, "failed_as_head",
                        pc[p].failed != NULL ? json_incref(pc[p].failed) : json_array());
    json_object_set_new(card, "addressed", adc);
    json_object_set_new(card, "satisfaction", quarters_json(&pc[p].q));
    json_object_set_new(o, "keys", keys);
    json_object_set_new(o, "roles", roles);
    json_object_set_new(o, "commitments", cs);
    json_object_set_new(o, "addressed", ad);
    json_object_set_new(o, "summary", sum);
    json_object_set_new(o, "scorecard", card);
    return o;
}

/* The unit of log i (a commune, province or centre; NULL when out of
 * memory). */
static json_t *unit_json(void *ctx, size_t i)
{
    const cards *cd = ctx;
    gs_report *r = cd->r;
    const unit_card *uc = cd->uc;
    const log_rec *l = &r->logs.v[i];
    json_t *o = json_object(), *heads = json_array(), *dl = json_array(), *its = json_array(),
           *line = json_array();
    json_object_set_new(o, "origin", json_string(l->origin));
    json_object_set_new(o, "name", json_string(l->name));
    json_object_set_new(o, "tier", json_string(gs_tier_name(l->tier)));
    json_object_set_new(o, "parent", l->parent ? json_string(l->parent) : json_null());
    json_object_set_new(o, "time_zone", json_string(log_zone(r, i)));
    json_object_set_new(o, "summary", status_counts(uc[i].by));
    json_object_set_new(o, "satisfaction", quarters_json(&uc[i].q));
    for (size_t k = l->first_tenure; k < l->first_tenure + l->n_tenures; k++) {
        const tenure_rec *t = &r->tenures.v[k];
        if (t->role != GS_ROLE_HEAD)
            continue;
        json_t *h = person_ref(r, &t->key);
        json_object_set_new(h, "since", jtime(t->since));
        json_object_set_new(h, "until",
                            t->ended == GS_TENURE_ACTIVE ? json_null() : jtime(t->until));
        json_object_set_new(h, "ended", json_string(gs_tenure_end_name(t->ended)));
        json_array_append_new(heads, h);
        /* The timeline: each tenure with the deadlines failed in it. */
        json_t *tl = person_ref(r, &t->key), *failed = json_array();
        json_object_set_new(tl, "since", jtime(t->since));
        json_object_set_new(tl, "until",
                            t->ended == GS_TENURE_ACTIVE ? json_null() : jtime(t->until));
        json_object_set_new(tl, "since_local", jlocal(r, i, t->since));
        json_object_set_new(tl, "until_local",
                            t->ended == GS_TENURE_ACTIVE ? json_null() : jlocal(r, i, t->until));
        for (size_t m = l->first_commit; m < l->first_commit + l->n_commits; m++) {
            const commit_rec *c = &r->commits.v[m];
            if (gs_judged_failed(c->j.status) && head_at(r, i, c->deadline) == t)
                json_array_append_new(failed, failed_ref(r, c, false));
        }
        json_object_set_new(tl, "failed", failed);
        json_array_append_new(line, tl);
    }
    for (size_t k = l->first_commit; k < l->first_commit + l->n_commits; k++) {
        const commit_rec *c = &r->commits.v[k];
        if (!gs_judged_failed(c->j.status))
            continue;
        json_t *d = json_object();
        const tenure_rec *h = head_at(r, i, c->deadline);
        json_object_set_new(d, "index", json_integer((json_int_t)c->index));
        json_object_set_new(d, "id", json_string(c->id));
        json_object_set_new(d, "title", json_string(c->title));
        json_object_set_new(d, "deadline", jtime(c->deadline));
        json_object_set_new(d, "deadline_local", jlocal(r, i, c->deadline));
        json_object_set_new(d, "status", json_string(gs_judged_name(c->j.status)));
        json_object_set_new(d, "owner", person_ref(r, &c->owner));
        if (h != NULL) {
            json_t *hj = person_ref(r, &h->key);
            json_object_set_new(hj, "still_in_office", json_boolean(h->ended == GS_TENURE_ACTIVE));
            json_object_set_new(d, "head_at_deadline", hj);
        } else {
            json_object_set_new(d, "head_at_deadline", json_null());
        }
        json_array_append_new(dl, d);
    }
    for (size_t k = l->first_item; k < l->first_item + l->n_items; k++)
        json_array_append_new(its, item_json(r, &r->items.v[k]));
    json_object_set_new(o, "heads", heads);
    json_object_set_new(o, "head_timeline", line);
    json_object_set_new(o, "deadlines_failed", dl);
    json_object_set_new(o, "findings_and_feedback", its);
    return o;
}

static int finish(gs_report *r, gs_audit_leafdb *db, FILE *stream, gs_error *err)
{
    json_t *doc = json_object(), *logs = json_array(), *refs = json_object(),
           *ref_failed = json_array(), *ref_unchecked = json_array(), *people = json_array(),
           *units = json_array(), *trees = json_array(), *evidence = json_array(),
           *ev_count = json_object(), *summary = json_object();
    uint64_t ref_ok = 0, n_proof = 0, n_unverifiable = 0;
    uint64_t all_by[GS_JUDGED_COUNT] = {0}, ev_by[EV_COUNT] = {0};
    person_card *pc = NULL;
    unit_card *uc = NULL;
    size_t *t_next = NULL, *c_next = NULL, *i_next = NULL, n_people = 0, n_units = 0;
    dumper dm = {0};
    int rc = 0;
    if (doc == NULL || logs == NULL || refs == NULL || ref_failed == NULL ||
        ref_unchecked == NULL || people == NULL || units == NULL || trees == NULL ||
        evidence == NULL || ev_count == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    /* Cross-log references against what was fetched. */
    for (size_t i = 0; i < r->xrefs.n; i++) {
        const xref_rec *x = &r->xrefs.v[i];
        char from[GS_MAX_ORIGIN + 32], to[GS_MAX_ORIGIN + 32];
        size_t log;
        gs_audit_leaf lf = {0};
        gs_error gerr = {0};
        snprintf(from, sizeof from, "%s:%llu", r->logs.v[x->log].origin,
                 (unsigned long long)x->index);
        snprintf(to, sizeof to, "%s:%llu", x->origin, (unsigned long long)x->to_index);
        json_t *o = json_object();
        json_object_set_new(o, "from", json_string(from));
        json_object_set_new(o, "field", json_string(x->field));
        json_object_set_new(o, "to", json_string(to));
        const char *why = NULL;
        if (gs_audit_leafdb_find(db, x->origin, &log) != 0) {
            json_object_set_new(o, "reason", json_string("that log was not audited"));
            json_array_append_new(ref_unchecked, o);
            continue;
        }
        if (gs_audit_leafdb_get(db, log, x->to_index, &lf, &gerr) != 0)
            why = gerr.code == GS_ENOTFOUND ? "no such entry in the log as audited"
                                            : "the leaf record could not be read";
        else if (memcmp(lf.leaf.b, x->leaf.b, 32) != 0)
            why = "the leaf hash does not match the entry at that index";
        else if (x->want != GS_BODY_NONE && lf.kind != x->want)
            why = "the entry at that index is not a commitment";
        if (why != NULL) {
            json_object_set_new(o, "reason", json_string(why));
            json_array_append_new(ref_failed, o);
            r->failed = true;
        } else {
            json_decref(o);
            ref_ok++;
        }
    }
    /* Who each finding and feedback is addressed to: the signer of the
     * entry it is about, as the leaf record has it (hash checked). */
    for (size_t i = 0; i < r->items.n; i++) {
        item_rec *it = &r->items.v[i];
        size_t log;
        gs_audit_leaf lf = {0};
        if (it->has_about && gs_audit_leafdb_find(db, it->about_origin, &log) == 0 &&
            gs_audit_leafdb_get(db, log, it->about_index, &lf, NULL) == 0 &&
            memcmp(lf.leaf.b, it->about_leaf.b, 32) == 0 && lf.kind != GS_BODY_NONE) {
            it->has_addressee = true;
            it->addressee = lf.signer;
            /* A verdict judges the commitment of the Progress or Outcome
             * it is about, as the leaf record has it. */
            size_t lg = find_log(r, it->about_origin);
            if (it->kind == GS_BODY_FINDING && it->verdict != GS_VERDICT_NONE &&
                it->issued_at <= r->as_of &&
                (lf.kind == GS_BODY_PROGRESS || lf.kind == GS_BODY_OUTCOME) &&
                lf.commitment != UINT64_MAX && lg != SIZE_MAX) {
                it->commit = find_commit(r, lg, lf.commitment);
                it->about_outcome = lf.kind == GS_BODY_OUTCOME;
            }
        }
    }
    /* Each commitment's verdicts in report order: link from the last. */
    for (size_t i = r->items.n; i-- > 0;) {
        item_rec *it = &r->items.v[i];
        if (it->commit == SIZE_MAX)
            continue;
        it->next_verdict = r->commits.v[it->commit].first_verdict;
        r->commits.v[it->commit].first_verdict = i;
    }
    for (size_t i = 0; i < r->commits.n; i++) {
        judge_commit(r, &r->commits.v[i]);
        judge_evidence(r, &r->commits.v[i]);
    }
    /* Delegation links: a parent that is a commitment with the same leaf. */
    for (size_t i = 0; i < r->commits.n; i++) {
        commit_rec *c = &r->commits.v[i];
        size_t log = c->has_parent ? find_log(r, c->parent_origin) : SIZE_MAX;
        size_t p = log != SIZE_MAX ? find_commit(r, log, c->parent_index) : SIZE_MAX;
        if (p == SIZE_MAX || memcmp(r->commits.v[p].leaf.b, c->parent_leaf.b, 32) != 0)
            continue;
        c->parent = p;
    }
    /* Children in log order: link from the last so the list reads forward. */
    for (size_t i = r->commits.n; i-- > 0;) {
        commit_rec *c = &r->commits.v[i];
        if (c->parent == SIZE_MAX)
            continue;
        c->next_sibling = r->commits.v[c->parent].first_child;
        r->commits.v[c->parent].first_child = i;
    }
    for (size_t i = 0; i < r->commits.n; i++)
        rollup(r, i, 0);
    for (size_t i = 0; i < r->commits.n; i++)
        if (r->commits.v[i].parent == SIZE_MAX && r->commits.v[i].first_child != SIZE_MAX)
            json_array_append_new(trees, tree_json(r, i, 0));

    /* Evidence first: the report leads with it. */
    for (size_t i = 0; i < r->evidence.n; i++) {
        json_t *e = evidence_json(&r->evidence.v[i], i + 1);
        if (e == NULL || json_array_append_new(evidence, e) != 0) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto out;
        }
        if (r->evidence.v[i].proof)
            n_proof++;
        else
            n_unverifiable++;
    }
    /* Logs. A proof against the log (kinds a, b, d) gives it the status
     * "evidence", as the hub freezes the origin for it; a piece that does
     * not verify is listed with the log, never held against it. */
    for (size_t i = 0; i < r->logs.n; i++) {
        log_rec *l = &r->logs.v[i];
        json_t *o = json_object(), *cp = json_object(), *ev = json_array();
        bool frozen = false;
        for (size_t k = 0; k < r->evidence.n; k++) {
            const gs_audit_evidence *e = &r->evidence.v[k];
            if (!e->decoded || strcmp(e->origin, l->origin) != 0)
                continue;
            json_array_append_new(ev, json_integer((json_int_t)(k + 1)));
            frozen |= e->proof && e->against_log;
        }
        json_object_set_new(o, "origin", json_string(l->origin));
        json_object_set_new(o, "name", l->name ? json_string(l->name) : json_null());
        json_object_set_new(o, "status",
                            json_string(frozen              ? "evidence"
                                        : l->skipped        ? "skipped"
                                        : l->n_failures > 0 ? "failed"
                                                            : "verified"));
        json_object_set_new(o, "frozen_by_evidence", json_boolean(frozen));
        json_object_set_new(o, "evidence", ev);
        json_object_set_new(cp, "size", json_integer((json_int_t)l->size));
        json_object_set_new(cp, "root_b64", gs_report_json_b64(l->root.b, 32));
        json_object_set_new(cp, "witnesses",
                            l->witnesses ? json_incref(l->witnesses) : json_array());
        json_object_set_new(o, "checkpoint", l->skipped ? json_null() : cp);
        if (l->skipped)
            json_decref(cp);
        json_object_set_new(o, "entries_verified", json_integer((json_int_t)l->entries_verified));
        json_object_set_new(o, "entries_replayed", json_integer((json_int_t)l->entries_replayed));
        json_object_set_new(o, "failure_count", json_integer((json_int_t)l->n_failures));
        json_object_set_new(o, "failures", l->failures ? json_incref(l->failures) : json_array());
        json_t *pm = NULL;
        if (l->replayed && (pm = json_object()) != NULL) {
            json_object_set_new(pm, "feedback_per_day",
                                json_integer((json_int_t)l->parameters.feedback_per_day));
            json_object_set_new(pm, "open_feedback_per_day",
                                json_integer((json_int_t)l->parameters.open_feedback_per_day));
            json_object_set_new(pm, "partial_percent",
                                json_integer(l->parameters.partial_percent
                                                 ? (json_int_t)l->parameters.partial_percent
                                                 : GS_REPORT_PARTIAL_PERCENT));
            json_object_set_new(pm, "since_index", json_integer((json_int_t)l->parameters_since));
        }
        json_object_set_new(o, "time_zone",
                            l->name != NULL ? json_string(log_zone(r, i)) : json_null());
        json_object_set_new(o, "parameters", pm != NULL ? pm : json_null());
        json_array_append_new(logs, o);
    }
    /* What the scorecards, the units and the summary count, in one pass
     * over the commitments and one over the items. */
    if ((pc = calloc(r->people.n + 1, sizeof *pc)) == NULL ||
        (uc = calloc(r->logs.n + 1, sizeof *uc)) == NULL ||
        (t_next = malloc((r->tenures.n + 1) * sizeof *t_next)) == NULL ||
        (c_next = malloc((r->commits.n + 1) * sizeof *c_next)) == NULL ||
        (i_next = malloc((r->items.n + 1) * sizeof *i_next)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t p = 0; p < r->people.n; p++)
        pc[p].tenure_first = pc[p].commit_first = pc[p].item_first = SIZE_MAX;
    for (size_t i = 0; i < r->tenures.n; i++) {
        size_t p = r->tenures.v[i].person;
        if (p < r->people.n)
            list_add(&pc[p].tenure_first, &pc[p].tenure_last, t_next, i);
    }
    for (size_t i = 0; i < r->commits.n; i++) {
        size_t p = keymap_get(&r->persons, &r->commits.v[i].owner);
        if (p < r->people.n)
            list_add(&pc[p].commit_first, &pc[p].commit_last, c_next, i);
    }
    for (size_t i = 0; i < r->items.n; i++) {
        const item_rec *it = &r->items.v[i];
        size_t p = it->has_addressee ? keymap_get(&r->persons, &it->addressee) : SIZE_MAX;
        if (p < r->people.n)
            list_add(&pc[p].item_first, &pc[p].item_last, i_next, i);
    }
    for (size_t i = 0; i < r->commits.n; i++) {
        const commit_rec *c = &r->commits.v[i];
        size_t owner = keymap_get(&r->persons, &c->owner);
        all_by[c->j.status]++;
        ev_by[c->evidence]++;
        uc[c->log].by[c->j.status]++;
        if (owner != SIZE_MAX)
            pc[owner].own[c->j.status]++;
        const tenure_rec *h =
            gs_judged_failed(c->j.status) ? head_at(r, c->log, c->deadline) : NULL;
        if (h == NULL)
            continue;
        person_card *hp = &pc[h->person];
        if (hp->failed == NULL && (hp->failed = json_array()) == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto out;
        }
        json_array_append_new(hp->failed, failed_ref(r, c, true));
        if (hp->units == NULL)
            hp->units = json_array();
        bool listed = false;
        for (size_t k = 0; k < json_array_size(hp->units); k++)
            listed |= strcmp(json_string_value(json_array_get(hp->units, k)),
                             r->logs.v[c->log].origin) == 0;
        if (!listed)
            json_array_append_new(hp->units, json_string(r->logs.v[c->log].origin));
    }
    for (size_t i = 0; i < r->items.n; i++) {
        const item_rec *it = &r->items.v[i];
        char q[8];
        if (it->kind != GS_BODY_FEEDBACK || it->rating < 1 || it->rating > 5 ||
            it->issued_at > r->as_of)
            continue;
        gs_time_quarter(it->issued_at, r->logs.v[it->log].time_zone, q, sizeof q);
        if ((rc = quarter_add(&uc[it->log].q, q, it->rating, err)) != 0)
            goto out;
        const tenure_rec *h = head_at(r, it->log, it->issued_at);
        if (h != NULL && (rc = quarter_add(&pc[h->person].q, q, it->rating, err)) != 0)
            goto out;
    }
    /* The summary: counts first, then the heads who answer for failures,
     * most failures first. */
    {
        json_t *evc = json_object(), *ha = json_array();
        answering *order = malloc((r->people.n + 1) * sizeof *order);
        size_t n_order = 0;
        if (summary == NULL || evc == NULL || ha == NULL || order == NULL) {
            json_decref(evc);
            json_decref(ha);
            free(order);
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto out;
        }
        for (int k = 0; k < EV_COUNT; k++)
            json_object_set_new(evc, evidence_names[k], json_integer((json_int_t)ev_by[k]));
        for (size_t p = 0; p < r->people.n; p++)
            if (pc[p].failed != NULL && json_array_size(pc[p].failed) > 0)
                order[n_order++] =
                    (answering){p, json_array_size(pc[p].failed), r->people.v[p].name};
        qsort(order, n_order, sizeof *order, cmp_answering);
        for (size_t k = 0; k < n_order; k++) {
            size_t p = order[k].person;
            json_t *h = json_object();
            json_object_set_new(h, "name", json_string(r->people.v[p].name));
            json_object_set_new(h, "key", jkey(&r->people.v[p].key));
            json_object_set_new(h, "fingerprint", jfingerprint(&r->people.v[p].key));
            json_object_set_new(h, "failed",
                                json_integer((json_int_t)json_array_size(pc[p].failed)));
            json_object_set_new(h, "units", json_incref(pc[p].units));
            json_array_append_new(ha, h);
        }
        free(order);
        json_object_set_new(summary, "by_status", status_counts(all_by));
        json_object_set_new(summary, "evidence_status", evc);
        json_object_set_new(summary, "heads_answering", ha);
    }
    json_object_set_new(refs, "checked", json_integer((json_int_t)ref_ok));
    json_object_set_new(refs, "failed", ref_failed);
    json_object_set_new(refs, "unchecked", ref_unchecked);
    ref_failed = ref_unchecked = NULL;
    json_object_set_new(doc, "as_of", jtime(r->as_of));
    json_object_set_new(doc, "as_of_unix", json_integer(r->as_of));
    json_object_set_new(doc, "response_days", json_integer(r->response_days));
    json_object_set_new(doc, "hub", r->hub ? json_string(r->hub) : json_null());
    json_object_set_new(doc, "verified", json_boolean(!r->failed));
    json_object_set_new(doc, "summary", summary);
    summary = NULL;
    json_object_set_new(ev_count, "proof", json_integer((json_int_t)n_proof));
    json_object_set_new(ev_count, "unverifiable", json_integer((json_int_t)n_unverifiable));
    json_object_set_new(doc, "evidence_count", ev_count);
    json_object_set_new(doc, "evidence", evidence);
    ev_count = evidence = NULL;
    json_object_set_new(doc, "logs", logs);
    json_object_set_new(doc, "references", refs);
    logs = refs = NULL;
    /* Streaming: everything above, as the whole document would show it,
     * then people and units one at a time (see emit). */
    if (stream != NULL && (rc = stream_head(doc, stream, err)) != 0)
        goto out;
    if (stream != NULL)
        dumper_start(&dm);
    /* People. */
    cards cd = {.r = r, .pc = pc, .uc = uc, .t_next = t_next, .c_next = c_next, .i_next = i_next};
    for (size_t p = 0; p < r->people.n; p++)
        if ((rc = emit(stream, people, person_json, &cd, p, &n_people, &dm, err)) != 0)
            goto out;
    if (stream != NULL && ((rc = dumper_drain(&dm, stream, err)) != 0 ||
                           (rc = stream_next(stream, "units", n_people, err)) != 0))
        goto out;
    /* Units: heads over time, and who was head at each deadline failed
     * (missed, overdue, delivered late or in part). */
    for (size_t i = 0; i < r->logs.n; i++) {
        const log_rec *l = &r->logs.v[i];
        if (l->name == NULL || l->tier == GS_TIER_HUB)
            continue; /* not replayed, or a hub: hubs hold no offices */
        if ((rc = emit(stream, units, unit_json, &cd, i, &n_units, &dm, err)) != 0)
            goto out;
    }
    if (stream != NULL) {
        rc = dumper_drain(&dm, stream, err);
        if (rc == 0)
            rc = stream_next(stream, "delegation", n_units, err);
        if (rc == 0)
            rc = stream_tail(trees, stream, err);
        if (rc != 0)
            goto out;
        r->streamed = true;
    }
    if (stream == NULL) {
        json_object_set_new(doc, "people", people);
        json_object_set_new(doc, "units", units);
        json_object_set_new(doc, "delegation", trees);
        people = units = trees = NULL;
    }
    json_decref(r->doc);
    r->doc = doc;
    doc = NULL;
out:
    dumper_stop(&dm);
    json_decref(doc);
    json_decref(logs);
    json_decref(refs);
    json_decref(ref_failed);
    json_decref(ref_unchecked);
    json_decref(people);
    json_decref(units);
    json_decref(trees);
    json_decref(evidence);
    json_decref(ev_count);
    json_decref(summary);
    for (size_t p = 0; pc != NULL && p < r->people.n; p++) {
        json_decref(pc[p].failed);
        json_decref(pc[p].units);
        free(pc[p].q.v);
    }
    for (size_t i = 0; uc != NULL && i < r->logs.n; i++)
        free(uc[i].q.v);
    free(pc);
    free(uc);
    free(t_next);
    free(c_next);
    free(i_next);
    return rc;
}

json_t *gs_report_json(gs_report *r)
{
    return r->doc;
}

/* ---------------------------------------------------------------- output */

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s != NULL ? s : "-";
}

static long long ji(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void put_flat(FILE *f, const char *s);

/* A person for people: their name, else their key's fingerprint. */
static const char *who(json_t *p)
{
    const char *n = json_string_value(json_object_get(p, "name"));
    return n != NULL ? n : js(p, "fingerprint");
}

/* The SUMMARY block of the text: counts by status and by evidence status,
 * one per line, then the heads who answer for failed deadlines. */
static void write_summary_text(json_t *d, FILE *f)
{
    json_t *sum = json_object_get(d, "summary"), *by = json_object_get(sum, "by_status"), *v;
    size_t i, j;
    for (int k = 0; k < GS_JUDGED_COUNT; k++)
        fprintf(f, "STATUS %s %lld\n", gs_judged_name((gs_judged)k),
                ji(by, gs_judged_name((gs_judged)k)));
    fprintf(f, "STATUS total %lld\n", ji(by, "total"));
    by = json_object_get(sum, "evidence_status");
    for (int k = 0; k < EV_COUNT; k++)
        fprintf(f, "EVIDENCE-STATUS %s %lld\n", evidence_names[k], ji(by, evidence_names[k]));
    json_array_foreach(json_object_get(sum, "heads_answering"), i, v)
    {
        json_t *u;
        fputs("HEAD-ANSWERING ", f);
        put_flat(f, js(v, "name"));
        fprintf(f, " (%s) failed %lld in ", js(v, "fingerprint"), ji(v, "failed"));
        json_array_foreach(json_object_get(v, "units"), j, u)
        {
            fputs(j ? ", " : "", f);
            put_flat(f, json_string_value(u));
        }
        fputc('\n', f);
    }
}

/* A commitment's judgement after its line: percent, revisions, evidence,
 * each at-risk reason and the roll-up, one fact per line. */
static void write_commitment_text(FILE *f, json_t *w)
{
    json_t *risk = json_object_get(w, "at_risk"), *ru = json_object_get(w, "rollup"), *x;
    size_t k;
    fprintf(f, "        percent %s, progress %s, revisions %lld, evidence %s",
            js(w, "percent_of_target"), js(w, "progress_percent"), ji(w, "revision_count"),
            js(w, "evidence_status"));
    if (json_is_boolean(json_object_get(w, "contest_answered")))
        fprintf(f, " (contest %s)",
                json_is_true(json_object_get(w, "contest_answered")) ? "answered" : "unanswered");
    fputc('\n', f);
    json_array_foreach(json_object_get(risk, "reasons"), k, x)
    {
        if (strcmp(json_string_value(x), "projection") == 0)
            fprintf(f, "        at risk: projection (projected %s)\n", js(risk, "projected"));
        else
            fprintf(f, "        at risk: silence (silent since %s, %lld days)\n",
                    js(risk, "silent_since"), ji(risk, "silent_days"));
    }
    json_array_foreach(json_object_get(w, "revisions"), k, x)
    {
        fprintf(f, "        revision %s:%lld at %s: target %s, deadline %s: ", js(w, "origin"),
                ji(x, "index"), js(x, "issued_at"), js(x, "target"), js(x, "deadline"));
        put_flat(f, js(x, "reason"));
        fputc('\n', f);
    }
    if (json_is_object(ru)) {
        json_t *by = json_object_get(ru, "by_status");
        fprintf(f, "        rollup %lld children, sum %s ", ji(ru, "children"), js(ru, "sum"));
        put_flat(f, js(ru, "unit_of_measure"));
        fprintf(f, " of %s (%s%%), summed %lld;", js(w, "target"), js(ru, "percent_of_target"),
                ji(ru, "summed"));
        for (int s = 0; s < GS_JUDGED_COUNT; s++)
            if (ji(by, gs_judged_name((gs_judged)s)) > 0)
                fprintf(f, " %s %lld", gs_judged_name((gs_judged)s),
                        ji(by, gs_judged_name((gs_judged)s)));
        fputc('\n', f);
    }
}

/* Text: untrusted strings are printed as they are, but never as a format,
 * and control characters never reach here (wire.h refuses them) except
 * newlines and tabs, which are flattened. Bidi controls and zero-width
 * characters, which older logs may hold (rules.h, rule 0), are shown as
 * "<U+202E>" so they cannot reverse or hide a line. */
static void put_flat(FILE *f, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        uint32_t cp;
        size_t n = gs_rules_invisible(s, &cp);
        if (n > 0) {
            fprintf(f, "<U+%04X>", (unsigned)cp);
            s += n - 1;
            continue;
        }
        fputc(*s == '\n' || *s == '\t' ? ' ' : *s, f);
    }
}

static void write_tree_text(FILE *f, json_t *n, int depth)
{
    fprintf(f, "  %*s- ", depth * 4, "");
    put_flat(f, js(n, "origin"));
    fputc(' ', f);
    put_flat(f, js(n, "id"));
    fprintf(f, " \"");
    put_flat(f, js(n, "title"));
    fprintf(f, "\" owner ");
    put_flat(f, who(json_object_get(n, "owner")));
    fprintf(f, ": %s (deadline %s)\n", js(n, "status"), js(n, "deadline"));
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(n, "children"), i, k) write_tree_text(f, k, depth + 1);
}

/* Where a piece of evidence was found, for people. */
static void put_found_in(FILE *f, json_t *in)
{
    const char *sep = "";
    if (json_is_true(json_object_get(in, "hub"))) {
        fputs("the hub's GetEvidence", f);
        sep = ", ";
    }
    if (json_is_integer(json_object_get(in, "hub_log_index"))) {
        fprintf(f, "%sentry %lld of the hub's log", sep, ji(in, "hub_log_index"));
        sep = ", ";
    }
    if (json_is_string(json_object_get(in, "monitor"))) {
        fprintf(f, "%sthe monitor record ", sep);
        put_flat(f, js(in, "monitor"));
    }
}

/* The evidence section, first in the text report. */
static void write_evidence_text(json_t *d, FILE *f)
{
    size_t i, j;
    json_t *v, *w, *c = json_object_get(d, "evidence_count");
    if (json_array_size(json_object_get(d, "evidence")) == 0) {
        fprintf(f, "EVIDENCE: none\n");
        return;
    }
    fprintf(f, "EVIDENCE: %lld verified (proof), %lld unverifiable (not proof)\n", ji(c, "proof"),
            ji(c, "unverifiable"));
    json_array_foreach(json_object_get(d, "evidence"), i, v)
    {
        json_t *det = json_object_get(v, "detector");
        bool proof = strcmp(js(v, "verdict"), "proof") == 0;
        fprintf(f, "  [%lld] %s %s ", ji(v, "n"), proof ? "PROOF" : "UNVERIFIABLE", js(v, "kind"));
        if (proof && strcmp(js(v, "against"), "log") == 0) {
            fputs("against the log ", f);
            put_flat(f, js(v, "origin"));
            fputs(" (frozen by evidence)\n", f);
        } else if (proof) {
            fputs("against a source of the log ", f);
            put_flat(f, js(v, "origin"));
            fputs(" (see the reason), not against the log\n", f);
        } else {
            fputs("about ", f);
            put_flat(f, js(v, "origin"));
            fputs(": NOT proof, nothing is held against the log\n", f);
        }
        if (js(v, "description")[0] != '\0' && strcmp(js(v, "description"), "-") != 0) {
            fputs("      what:     ", f);
            put_flat(f, js(v, "description"));
            fputc('\n', f);
        }
        if (proof) {
            fprintf(f, "      proven:   %s\n", js(v, "proves"));
        } else {
            fputs("      why not:  ", f);
            put_flat(f, js(v, "error"));
            fputc('\n', f);
        }
        json_array_foreach(json_object_get(v, "checkpoints"), j, w)
            fprintf(f, "      checkpoint: size %lld root %s%s\n", ji(w, "size"), js(w, "root_b64"),
                    proof ? "" : " (as it says, unverified)");
        fputs("      detector: ", f);
        put_flat(f, js(det, "origin"));
        fprintf(f, " (key %s)", js(det, "key"));
        if (json_is_string(json_object_get(det, "witness"))) {
            fputs(", the witness ", f);
            put_flat(f, js(det, "witness"));
            fputs(" of the trust file", f);
        }
        fputs(json_is_true(json_object_get(det, "signature_verified"))
                  ? "; its signature verified\n"
                  : "; its signature does NOT verify (named as the piece claims)\n",
              f);
        if (js(v, "reason")[0] != '\0' && strcmp(js(v, "reason"), "-") != 0) {
            fputs("      it says:  ", f);
            put_flat(f, js(v, "reason"));
            fputc('\n', f);
        }
        fprintf(f, "      detected %s, reported %s; found in ", js(v, "detected_at"),
                js(v, "reported_at"));
        put_found_in(f, json_object_get(v, "found_in"));
        fputc('\n', f);
    }
}

static void write_text(json_t *d, FILE *f)
{
    size_t i, j;
    json_t *v, *w, *c = json_object_get(d, "evidence_count");
    fprintf(f, "giamsat audit as of %s%s%s\n", js(d, "as_of"),
            json_is_string(json_object_get(d, "hub")) ? " from hub " : "",
            json_is_string(json_object_get(d, "hub")) ? js(d, "hub") : "");
    write_evidence_text(d, f);
    /* "everything verified" only when nothing failed and no evidence at all
     * was met (gs_report_failed). */
    fprintf(f, "verification: %s\n",
            json_is_true(json_object_get(d, "verified")) ? "everything verified"
            : ji(c, "proof") > 0 ? "FAILED: verified evidence of misbehaviour (see EVIDENCE above)"
            : ji(c, "unverifiable") > 0
                ? "FAILED: evidence that does not verify (see EVIDENCE above)"
                : "FAILED (see below)");
    write_summary_text(d, f);
    fputc('\n', f);
    fprintf(f, "LOGS\n  %-40s %-9s %10s %10s %10s  %s\n", "origin", "status", "size", "verified",
            "replayed", "witnesses");
    json_array_foreach(json_object_get(d, "logs"), i, v)
    {
        json_t *cp = json_object_get(v, "checkpoint");
        fprintf(f, "  %-40s %-9s %10lld %10lld %10lld  ", js(v, "origin"), js(v, "status"),
                cp ? ji(cp, "size") : 0LL, ji(v, "entries_verified"), ji(v, "entries_replayed"));
        json_array_foreach(json_object_get(cp, "witnesses"), j, w)
            fprintf(f, "%s%s", j ? ", " : "", js(w, "name"));
        fputc('\n', f);
        json_array_foreach(json_object_get(v, "evidence"), j, w)
        {
            json_t *e =
                json_array_get(json_object_get(d, "evidence"), (size_t)json_integer_value(w) - 1);
            fprintf(f, "      EVIDENCE [%lld]: %s %s by ", (long long)json_integer_value(w),
                    strcmp(js(e, "verdict"), "proof") == 0 ? "proof of" : "unverifiable",
                    js(e, "kind"));
            put_flat(f, js(json_object_get(e, "detector"), "origin"));
            fputc('\n', f);
        }
        json_array_foreach(json_object_get(v, "failures"), j, w)
        {
            fprintf(f, "      FAILED: ");
            put_flat(f, json_string_value(w));
            fputc('\n', f);
        }
    }
    json_t *refs = json_object_get(d, "references");
    fprintf(f, "\nCROSS-LOG REFERENCES: %lld checked, %zu failed, %zu unchecked\n",
            ji(refs, "checked"), json_array_size(json_object_get(refs, "failed")),
            json_array_size(json_object_get(refs, "unchecked")));
    json_array_foreach(json_object_get(refs, "failed"), i, v)
    {
        fprintf(f, "  FAILED %s %s -> %s: ", js(v, "from"), js(v, "field"), js(v, "to"));
        put_flat(f, js(v, "reason"));
        fputc('\n', f);
    }
    json_array_foreach(json_object_get(refs, "unchecked"), i, v)
    {
        fprintf(f, "  unchecked %s %s -> %s: ", js(v, "from"), js(v, "field"), js(v, "to"));
        put_flat(f, js(v, "reason"));
        fputc('\n', f);
    }

    fprintf(f, "\nPEOPLE\n");
    json_array_foreach(json_object_get(d, "people"), i, v)
    {
        json_t *s = json_object_get(v, "summary");
        fprintf(f, "  ");
        put_flat(f, js(v, "name"));
        fprintf(f,
                " (%s): %lld delivered, %lld missed, %lld overdue, %lld open, %lld "
                "unanswered\n",
                js(v, "fingerprint"), ji(s, "delivered"), ji(s, "missed"), ji(s, "overdue"),
                ji(s, "open"), ji(s, "unanswered"));
        json_t *card = json_object_get(v, "scorecard"), *own = json_object_get(card, "own"),
               *adr = json_object_get(card, "addressed");
        fputs("  SCORECARD ", f);
        put_flat(f, js(v, "name"));
        fprintf(f, " (%s): own", js(v, "fingerprint"));
        for (int k = 0; k < GS_JUDGED_COUNT; k++)
            fprintf(f, " %s %lld,", gs_judged_name((gs_judged)k),
                    ji(own, gs_judged_name((gs_judged)k)));
        fprintf(f,
                " total %lld; failed as head %zu; addressed %lld: %lld answered in time, %lld "
                "late, %lld unanswered, %lld pending",
                ji(own, "total"), json_array_size(json_object_get(card, "failed_as_head")),
                ji(adr, "total"), ji(adr, "answered_in_time"), ji(adr, "answered_late"),
                ji(adr, "unanswered"), ji(adr, "pending"));
        json_array_foreach(json_object_get(card, "satisfaction"), j, w)
            fprintf(f, "; satisfaction %s count %lld mean %s", js(w, "quarter"), ji(w, "count"),
                    js(w, "mean"));
        fputc('\n', f);
        json_array_foreach(json_object_get(card, "failed_as_head"), j, w)
        {
            fprintf(f, "      failed as head: %s %s ", js(w, "status"), js(w, "origin"));
            put_flat(f, js(w, "id"));
            fprintf(f, " (deadline %s)\n", js(w, "deadline"));
        }
        json_array_foreach(json_object_get(v, "roles"), j, w)
        {
            fprintf(f, "      %-9s %s  %s .. %s (%s)", js(w, "role"), js(w, "origin"),
                    js(w, "since"), json_is_null(json_object_get(w, "until")) ? "" : js(w, "until"),
                    js(w, "ended"));
            fputc('\n', f);
        }
        json_array_foreach(json_object_get(v, "commitments"), j, w)
        {
            fprintf(f, "      %-9s %s ", js(w, "status"), js(w, "origin"));
            put_flat(f, js(w, "id"));
            fprintf(f, " \"");
            put_flat(f, js(w, "title"));
            fprintf(f, "\" %s %s, deadline %s (%s), outcome %s\n", js(w, "direction"),
                    js(w, "target"), js(w, "deadline"), js(w, "deadline_local"), js(w, "outcome"));
            write_commitment_text(f, w);
        }
        json_array_foreach(json_object_get(v, "addressed"), j, w)
        {
            fprintf(f, "      %s %s:%lld by ", js(w, "kind"), js(w, "origin"), ji(w, "index"));
            put_flat(f, who(json_object_get(w, "by")));
            fprintf(f, ": %s (due %s)\n", js(w, "status"), js(w, "response_due"));
        }
    }
    fprintf(f, "\nUNITS\n");
    json_array_foreach(json_object_get(d, "units"), i, v)
    {
        fprintf(f, "  %s (", js(v, "origin"));
        put_flat(f, js(v, "name"));
        fprintf(f, ")\n      time zone %s\n      summary:", js(v, "time_zone"));
        json_t *us = json_object_get(v, "summary");
        for (int k = 0; k < GS_JUDGED_COUNT; k++)
            fprintf(f, " %s %lld,", gs_judged_name((gs_judged)k),
                    ji(us, gs_judged_name((gs_judged)k)));
        fprintf(f, " total %lld\n", ji(us, "total"));
        json_array_foreach(json_object_get(v, "satisfaction"), j, w)
            fprintf(f, "      SATISFACTION %s %s count %lld sum %lld mean %s\n", js(v, "origin"),
                    js(w, "quarter"), ji(w, "count"), ji(w, "sum"), js(w, "mean"));
        json_array_foreach(json_object_get(v, "heads"), j, w)
        {
            fprintf(f, "      head ");
            put_flat(f, who(w));
            fprintf(f, " %s .. %s\n", js(w, "since"),
                    json_is_null(json_object_get(w, "until")) ? "" : js(w, "until"));
        }
        json_array_foreach(json_object_get(v, "deadlines_failed"), j, w)
        {
            json_t *h = json_object_get(w, "head_at_deadline");
            fprintf(f, "      %s ", js(w, "status"));
            put_flat(f, js(w, "id"));
            fprintf(f, " \"");
            put_flat(f, js(w, "title"));
            fprintf(f, "\" deadline %s: head at the deadline ", js(w, "deadline"));
            put_flat(f, json_is_object(h) ? who(h) : "(none)");
            if (json_is_object(h) && !json_is_true(json_object_get(h, "still_in_office")))
                fprintf(f, " (since left)");
            fputc('\n', f);
        }
    }
    fprintf(f, "\nDELEGATION\n");
    json_array_foreach(json_object_get(d, "delegation"), i, v) write_tree_text(f, v, 0);
}

/* HTML: every string goes through html_put, statements are untrusted. */
int gs_report_write(gs_report *r, gs_report_format fmt, FILE *out, gs_error *err)
{
    if (r->doc == NULL)
        return gs_error_set(err, GS_EINVAL, "the report is not finished");
    if (r->streamed)
        return gs_error_set(err, GS_EINVAL, "the report was written as it was finished");
    switch (fmt) {
    case GS_REPORT_JSON:
        if (json_dumpf(r->doc, out, JSON_INDENT(2)) != 0 || fputc('\n', out) == EOF)
            return gs_error_set(err, GS_EIO, "cannot write the report");
        break;
    case GS_REPORT_HTML: return gs_report_html_write(r->doc, r->lang, out, err);
    default: write_text(r->doc, out); break;
    }
    if (fflush(out) != 0 || ferror(out))
        return gs_error_set(err, GS_EIO, "cannot write the report");
    return 0;
}
