/* feed.c — events per unit, person and commitment, as JSON and Atom (see
 * feed.h). */
#define _POSIX_C_SOURCE 200809L

#include "feed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "localtime.h"
#include "rules.h"
#include "wire.h"

/* The last accepted entries of the log being read: references inside the
 * page being replayed are not in the leaf record yet (it is written after
 * the page). A page holds at most GS_MAX_ENTRIES entries. */
#define RING 1024
#define MAX_SUBJECTS_PER_EVENT 8

/* A Finding or Feedback of the log that concerns a commitment (the leaf
 * record knows that only for Progress, Outcome and Revision): so a Response
 * to it reaches the commitment's feed. 16 bytes per such entry. */
typedef struct {
    uint64_t index, commitment;
} about_rec;

typedef struct {
    char *origin;
    char *time_zone;  /* the Charter's; NULL: the default */
    about_rec *about; /* in index order */
    size_t n_about, cap_about;
} log_rec;

typedef struct {
    bool used;
    uint64_t index;
    gs_hash leaf;
    gs_body_kind kind;
    gs_pubkey signer;
    uint64_t commitment; /* the commitment the entry concerns; UINT64_MAX: none */
} ring_rec;

typedef struct {
    unsigned refs; /* feeds holding it */
    size_t log;
    uint64_t index;
    gs_hash leaf;
    gs_body_kind kind;
    int64_t issued_at;
    gs_pubkey signer;
    char *signer_name; /* NULL: not a member (the log key, a citizen) */
    bool has_commitment;
    size_t c_log; /* in the feed's logs */
    uint64_t c_index;
    char *c_id; /* NULL when unknown */
    char *summary;
    char *text;     /* the statement's own words, cut; NULL when none */
    char *json;     /* the event's JSON, made by gs_feed_finish; NULL before */
    char local[48]; /* issued_at in the unit's time zone, made by gs_feed_finish
                       for the events kept only (a conversion reads tzdata) */
} event;

typedef struct {
    gs_feed_kind kind;
    char *key;     /* kind letter, ':', subject */
    char *title;   /* cut */
    char *c_id;    /* commitments: the id */
    char *measure; /* commitments: unit of measure */
    int64_t target;
    event **heap; /* a min-heap by age: heap[0] is the oldest kept */
    size_t cap;   /* grows to GS_FEED_MAX_EVENTS: most people sign a few */
    size_t n;
} subject;

/* A reference into a log not read yet (a finding or feedback about an
 * entry of another log, read later in the same audit): resolved by
 * gs_feed_finish. Holds a reference on its event. */
typedef struct {
    event *e;
    size_t log; /* in the feed's logs */
    uint64_t index;
    gs_hash leaf;
} pending_ref;

#define MAX_PENDING 100000 /* beyond: not resolved (the report checks them all) */

struct gs_feed {
    gs_audit_leafdb *db;
    gs_audit_sink next;
    log_rec *logs;
    size_t n_logs, cap_logs;
    size_t cur; /* the log being read; SIZE_MAX: none */
    ring_rec ring[RING];
    subject **tab; /* open addressing, a power of two */
    size_t cap_tab, n_subjects;
    size_t n_events; /* live events */
    bool finished;   /* every feed sorted newest first (gs_feed_finish) */
    pending_ref *pending;
    size_t n_pending, cap_pending;
};

/* ------------------------------------------------------------- helpers */

static char *cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return strdup(s);
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    char *o = malloc(n + 4);
    if (o == NULL)
        return NULL;
    memcpy(o, s, n);
    memcpy(o + n, "…", 4);
    return o;
}

static int set_str(char **dst, const char *s, size_t max)
{
    char *v = cut(s != NULL ? s : "", max);
    if (v == NULL)
        return GS_ENOMEM;
    free(*dst);
    *dst = v;
    return 0;
}

void gs_feed_key_url(const gs_pubkey *key, char out[GS_FEED_KEY_URL_LEN])
{
    char b[48];
    size_t j = 0;
    gs_base64_encode(b, sizeof b, gs_bytes_of(key->b, 32));
    for (size_t i = 0; b[i] != '\0' && j < GS_FEED_KEY_URL_LEN - 1; i++) {
        if (b[i] == '=')
            break;
        out[j++] = b[i] == '+' ? '-' : b[i] == '/' ? '_' : b[i];
    }
    out[j] = '\0';
}

static const char *kind_names[] = {"unit", "person", "commitment"};

const char *gs_feed_kind_name(gs_feed_kind k)
{
    return (unsigned)k < 3 ? kind_names[k] : "unknown";
}

int gs_feed_kind_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return i;
    return -1;
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static char *subject_key(gs_feed_kind k, const char *subj)
{
    size_t n = strlen(subj);
    char *key = malloc(n + 3);
    if (key == NULL)
        return NULL;
    key[0] = "upc"[k];
    key[1] = ':';
    memcpy(key + 2, subj, n + 1);
    return key;
}

static subject *find(const gs_feed *f, const char *key)
{
    if (f->cap_tab == 0)
        return NULL;
    for (size_t i = fnv(key) & (f->cap_tab - 1);; i = (i + 1) & (f->cap_tab - 1)) {
        if (f->tab[i] == NULL)
            return NULL;
        if (strcmp(f->tab[i]->key, key) == 0)
            return f->tab[i];
    }
}

static subject *lookup(const gs_feed *f, gs_feed_kind k, const char *subj)
{
    char *key = subject_key(k, subj);
    subject *s = key != NULL ? find(f, key) : NULL;
    free(key);
    return s;
}

static int grow(gs_feed *f)
{
    size_t cap = f->cap_tab ? f->cap_tab * 2 : 256;
    subject **t = calloc(cap, sizeof *t);
    if (t == NULL)
        return GS_ENOMEM;
    for (size_t j = 0; j < f->cap_tab; j++) {
        if (f->tab[j] == NULL)
            continue;
        size_t i = fnv(f->tab[j]->key) & (cap - 1);
        while (t[i] != NULL)
            i = (i + 1) & (cap - 1);
        t[i] = f->tab[j];
    }
    free(f->tab);
    f->tab = t;
    f->cap_tab = cap;
    return 0;
}

/* The subject (kind, subj), added when new with title (NULL: subj). */
static subject *get_subject(gs_feed *f, gs_feed_kind k, const char *subj, const char *title)
{
    char *key = subject_key(k, subj);
    if (key == NULL)
        return NULL;
    subject *s = find(f, key);
    if (s != NULL) {
        free(key);
        return s;
    }
    if ((f->n_subjects + 1) * 2 > f->cap_tab && grow(f) != 0)
        goto fail;
    if ((s = calloc(1, sizeof *s)) == NULL)
        goto fail;
    s->kind = k;
    s->key = key;
    if ((s->title = cut(title != NULL ? title : subj, GS_MAX_NAME)) == NULL) {
        free(s->title);
        free(s);
        goto fail;
    }
    size_t i = fnv(key) & (f->cap_tab - 1);
    while (f->tab[i] != NULL)
        i = (i + 1) & (f->cap_tab - 1);
    f->tab[i] = s;
    f->n_subjects++;
    return s;
fail:
    free(key);
    return NULL;
}

static void event_free(event *e)
{
    free(e->signer_name);
    free(e->c_id);
    free(e->summary);
    free(e->text);
    free(e->json);
    free(e);
}

static void release(gs_feed *f, event *e)
{
    if (--e->refs == 0) {
        event_free(e);
        f->n_events--;
    }
}

/* a is newer than b: by issued_at, then origin, then index. */
static bool newer(const gs_feed *f, const event *a, const event *b)
{
    if (a->issued_at != b->issued_at)
        return a->issued_at > b->issued_at;
    if (a->log != b->log) {
        int c = strcmp(f->logs[a->log].origin, f->logs[b->log].origin);
        if (c != 0)
            return c > 0;
    }
    return a->index > b->index;
}

static void sift_down(const gs_feed *f, subject *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && newer(f, s->heap[m], s->heap[l]))
            m = l;
        if (r < s->n && newer(f, s->heap[m], s->heap[r]))
            m = r;
        if (m == i)
            return;
        event *t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

/* Keeps e in s when it is among the GS_FEED_MAX_EVENTS newest. An event
 * is added once to a subject (the targets are distinct). */
static int add_event(gs_feed *f, subject *s, event *e)
{
    if (s->n < GS_FEED_MAX_EVENTS) {
        if (s->n == s->cap) {
            size_t c = s->cap ? s->cap * 2 : 4;
            if (c > GS_FEED_MAX_EVENTS)
                c = GS_FEED_MAX_EVENTS;
            event **v = realloc(s->heap, c * sizeof *v);
            if (v == NULL)
                return GS_ENOMEM;
            s->heap = v;
            s->cap = c;
        }
        size_t i = s->n++;
        s->heap[i] = e;
        while (i > 0 && newer(f, s->heap[(i - 1) / 2], s->heap[i])) {
            event *t = s->heap[i];
            s->heap[i] = s->heap[(i - 1) / 2];
            s->heap[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (newer(f, e, s->heap[0])) {
        release(f, s->heap[0]);
        s->heap[0] = e;
        sift_down(f, s, 0);
    } else {
        return 0;
    }
    e->refs++;
    return 0;
}

int gs_feed_new(gs_feed **out, gs_audit_leafdb *db, gs_error *err)
{
    gs_feed *f = calloc(1, sizeof *f);
    if (f == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    f->db = db;
    f->cur = SIZE_MAX;
    *out = f;
    return 0;
}

void gs_feed_free(gs_feed **fp)
{
    gs_feed *f = fp != NULL ? *fp : NULL;
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_pending; i++)
        release(f, f->pending[i].e);
    free(f->pending);
    for (size_t i = 0; i < f->cap_tab; i++) {
        subject *s = f->tab[i];
        if (s == NULL)
            continue;
        for (size_t j = 0; j < s->n; j++)
            release(f, s->heap[j]);
        free(s->heap);
        free(s->key);
        free(s->title);
        free(s->c_id);
        free(s->measure);
        free(s);
    }
    free(f->tab);
    for (size_t i = 0; i < f->n_logs; i++) {
        free(f->logs[i].origin);
        free(f->logs[i].time_zone);
        free(f->logs[i].about);
    }
    free(f->logs);
    free(f);
    *fp = NULL;
}

size_t gs_feed_subject_count(const gs_feed *f)
{
    return f->n_subjects;
}

size_t gs_feed_event_count(const gs_feed *f)
{
    return f->n_events;
}

/* ---------------------------------------------------------- collecting */

static int log_of(gs_feed *f, const char *origin, size_t *at)
{
    if (f->cur != SIZE_MAX && strcmp(f->logs[f->cur].origin, origin) == 0) {
        *at = f->cur; /* nearly always: most references stay in their log */
        return 0;
    }
    for (size_t i = 0; i < f->n_logs; i++)
        if (strcmp(f->logs[i].origin, origin) == 0) {
            *at = i;
            return 0;
        }
    if (f->n_logs == f->cap_logs) {
        size_t c = f->cap_logs ? f->cap_logs * 2 : 16;
        log_rec *v = realloc(f->logs, c * sizeof *v);
        if (v == NULL)
            return GS_ENOMEM;
        f->logs = v;
        f->cap_logs = c;
    }
    log_rec *l = &f->logs[f->n_logs];
    memset(l, 0, sizeof *l);
    if ((l->origin = strdup(origin)) == NULL)
        return GS_ENOMEM;
    *at = f->n_logs++;
    return 0;
}

static int feed_begin_log(void *ctx, const char *origin, gs_error *err)
{
    gs_feed *f = ctx;
    if (log_of(f, origin, &f->cur) != 0)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    memset(f->ring, 0, sizeof f->ring);
    if (get_subject(f, GS_FEED_UNIT, origin, NULL) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return f->next.begin_log != NULL ? f->next.begin_log(f->next.ctx, origin, err) : 0;
}

/* What an entry a reference names is: from the ring for the log being
 * read, else from the leaf record. False when it cannot be told or its
 * leaf hash is not the one named. */
static bool resolve(gs_feed *f, const gs_ref *ref, ring_rec *out)
{
    if (ref->origin == NULL)
        return false;
    if (f->cur != SIZE_MAX && strcmp(ref->origin, f->logs[f->cur].origin) == 0) {
        ring_rec *r = &f->ring[ref->index % RING];
        if (r->used && r->index == ref->index) {
            *out = *r;
            return memcmp(r->leaf.b, ref->leaf_hash.b, 32) == 0;
        }
    }
    size_t log;
    gs_audit_leaf lf;
    gs_error e = {0};
    if (f->db == NULL || gs_audit_leafdb_find(f->db, ref->origin, &log) != 0 ||
        gs_audit_leafdb_get(f->db, log, ref->index, &lf, &e) != 0 ||
        memcmp(lf.leaf.b, ref->leaf_hash.b, 32) != 0 || lf.kind == GS_BODY_NONE)
        return false;
    out->used = true;
    out->index = ref->index;
    out->leaf = lf.leaf;
    out->kind = lf.kind;
    out->signer = lf.signer;
    out->commitment = lf.kind == GS_BODY_COMMITMENT ? ref->index : lf.commitment;
    if (lf.kind == GS_BODY_FINDING || lf.kind == GS_BODY_FEEDBACK) {
        size_t fl = f->n_logs;
        if (f->cur != SIZE_MAX && strcmp(f->logs[f->cur].origin, ref->origin) == 0)
            fl = f->cur;
        for (size_t i = 0; i < f->n_logs && fl == f->n_logs; i++)
            if (strcmp(f->logs[i].origin, ref->origin) == 0)
                fl = i;
        if (fl < f->n_logs) {
            const log_rec *l = &f->logs[fl];
            size_t lo = 0, hi = l->n_about;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (l->about[mid].index < ref->index)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < l->n_about && l->about[lo].index == ref->index)
                out->commitment = l->about[lo].commitment;
        }
    }
    return true;
}

static int push_about(log_rec *l, uint64_t index, uint64_t commitment)
{
    if (l->n_about == l->cap_about) {
        size_t c = l->cap_about ? l->cap_about * 2 : 64;
        about_rec *v = realloc(l->about, c * sizeof *v);
        if (v == NULL)
            return GS_ENOMEM;
        l->about = v;
        l->cap_about = c;
    }
    l->about[l->n_about++] = (about_rec){index, commitment};
    return 0;
}

typedef struct {
    subject *s[MAX_SUBJECTS_PER_EVENT];
    size_t n;
    bool failed;
} targets;

static void target(targets *t, subject *s)
{
    if (s == NULL) {
        t->failed = true;
        return;
    }
    for (size_t i = 0; i < t->n; i++)
        if (t->s[i] == s)
            return;
    if (t->n < MAX_SUBJECTS_PER_EVENT)
        t->s[t->n++] = s;
}

static void target_person(gs_feed *f, targets *t, const gs_pubkey *k, const char *name)
{
    char url[GS_FEED_KEY_URL_LEN], fp[GS_KEY_FINGERPRINT_LEN], title[GS_MAX_NAME + 32];
    gs_feed_key_url(k, url);
    gs_key_fingerprint(k, fp);
    snprintf(title, sizeof title, "key %s", fp);
    subject *s = get_subject(f, GS_FEED_PERSON, url, name != NULL ? name : title);
    if (s != NULL && name != NULL && name[0] != '\0' && strcmp(s->title, name) != 0 &&
        set_str(&s->title, name, GS_MAX_NAME) != 0)
        s = NULL;
    target(t, s);
}

static const char *member_name(const gs_rules_state *st, const gs_pubkey *k)
{
    gs_rules_member m;
    return gs_rules_member_by_key(st, k, &m) == 0 ? m.name : NULL;
}

static subject *commitment_subject(gs_feed *f, const char *origin, uint64_t index)
{
    char subj[GS_MAX_ORIGIN + 32];
    snprintf(subj, sizeof subj, "%s/%llu", origin, (unsigned long long)index);
    return lookup(f, GS_FEED_COMMITMENT, subj);
}

/* The commitment (origin, index) the event concerns: its feed, and the
 * person who owns it (the signer of the Commitment, and the key it rotated
 * to in this log). */
static void target_commitment(gs_feed *f, targets *t, event *e, const char *origin, uint64_t index,
                              const gs_rules_state *st)
{
    subject *c = commitment_subject(f, origin, index);
    if (c == NULL)
        return; /* a log not read (yet): not resolved */
    size_t log;
    if (log_of(f, origin, &log) != 0) {
        t->failed = true;
        return;
    }
    e->has_commitment = true;
    e->c_log = log;
    e->c_index = index;
    if (c->c_id != NULL && (e->c_id = strdup(c->c_id)) == NULL)
        t->failed = true;
    target(t, c);
    ring_rec r;
    ring_rec *rr = f->cur != SIZE_MAX && strcmp(origin, f->logs[f->cur].origin) == 0
                       ? &f->ring[index % RING]
                       : NULL;
    if (rr != NULL && rr->used && rr->index == index) {
        r = *rr;
    } else {
        size_t l;
        gs_audit_leaf lf;
        gs_error err = {0};
        if (f->db == NULL || gs_audit_leafdb_find(f->db, origin, &l) != 0 ||
            gs_audit_leafdb_get(f->db, l, index, &lf, &err) != 0)
            return;
        r.signer = lf.signer;
    }
    const char *name = NULL;
    if (st != NULL && strcmp(origin, gs_rules_origin(st)) == 0) {
        gs_rules_member m;
        if (gs_rules_member_by_key(st, &r.signer, &m) == 0) {
            name = m.name;
            if (m.has_successor) {
                /* The owner rotated: their commitments follow them. */
                gs_rules_member now;
                if (gs_rules_member_by_key(st, &m.successor, &now) == 0)
                    target_person(f, t, &m.successor, now.name);
            }
        }
    }
    target_person(f, t, &r.signer, name);
}

static void fixed(int64_t v, char *out, size_t cap)
{
    gs_fixed_format(v, out, cap);
}

static void ref_text(const gs_ref *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s#%llu", r->origin != NULL ? r->origin : "?",
             (unsigned long long)r->index);
}

/* The one line in English, and the statement's own words (NULL: none). */
static void describe(gs_feed *f, const gs_statement *st, const gs_rules_state *rs, char *out,
                     size_t cap, const char **text)
{
    char a[48], b[48], r[GS_MAX_ORIGIN + 32];
    const char *who = member_name(rs, &st->signer);
    subject *c = NULL;
    const char *id = NULL;
    *text = NULL;
    switch (st->kind) {
    case GS_BODY_PROGRESS:
    case GS_BODY_OUTCOME:
    case GS_BODY_REVISION: {
        gs_rules_commitment rc;
        id = st->kind == GS_BODY_PROGRESS  ? st->u.progress.commitment_id
             : st->kind == GS_BODY_OUTCOME ? st->u.outcome.commitment_id
                                           : st->u.revision.commitment_id;
        if (gs_rules_commitment_get(rs, id, &rc) == 0)
            c = commitment_subject(f, gs_rules_origin(rs), rc.index);
        break;
    }
    default: break;
    }
    switch (st->kind) {
    case GS_BODY_CHARTER:
        snprintf(out, cap, "charter of %s (%s, %s)", st->u.charter.display_name, st->origin,
                 gs_tier_name(st->u.charter.tier));
        break;
    case GS_BODY_APPOINTMENT:
        snprintf(out, cap, "%s appointed %s%s%s", st->u.appointment.name,
                 gs_role_name(st->u.appointment.role),
                 st->u.appointment.title != NULL && st->u.appointment.title[0] ? ", " : "",
                 st->u.appointment.title != NULL ? st->u.appointment.title : "");
        break;
    case GS_BODY_RESIGNATION:
        snprintf(out, cap, "%s resigned", who != NULL ? who : "a member");
        *text = st->u.resignation.reason;
        break;
    case GS_BODY_DISMISSAL: {
        const char *n = member_name(rs, &st->u.dismissal.person);
        snprintf(out, cap, "%s dismissed", n != NULL ? n : "a member");
        *text = st->u.dismissal.reason;
        break;
    }
    case GS_BODY_KEY_ROTATION:
        gs_key_fingerprint(&st->u.key_rotation.new_key, a);
        snprintf(out, cap, "%s rotated to key %s", who != NULL ? who : "the log key", a);
        break;
    case GS_BODY_COMMITMENT: {
        char d[32];
        fixed(st->u.commitment.target, a, sizeof a);
        gs_time_format(st->u.commitment.deadline, d, sizeof d);
        snprintf(out, cap, "commitment %s: %s, %s %s %s by %s", st->u.commitment.id,
                 st->u.commitment.title, gs_direction_name(st->u.commitment.direction), a,
                 st->u.commitment.unit_of_measure, d);
        break;
    }
    case GS_BODY_PROGRESS:
    case GS_BODY_OUTCOME:
        fixed(st->kind == GS_BODY_PROGRESS ? st->u.progress.value : st->u.outcome.value, a,
              sizeof a);
        if (c != NULL) {
            fixed(c->target, b, sizeof b);
            snprintf(out, cap, "%s %s of %s %s on %s", gs_body_name(st->kind), a, b,
                     c->measure != NULL ? c->measure : "", id);
        } else {
            snprintf(out, cap, "%s %s on %s", gs_body_name(st->kind), a, id);
        }
        if (st->kind == GS_BODY_PROGRESS)
            *text = st->u.progress.note;
        break;
    case GS_BODY_REVISION: {
        char d[32] = "";
        int n = snprintf(out, cap, "revision of %s:", id);
        if (st->u.revision.has_target) {
            fixed(st->u.revision.target, a, sizeof a);
            n += snprintf(out + n, cap - (size_t)n, " target %s", a);
        }
        if (st->u.revision.deadline != 0) {
            gs_time_format(st->u.revision.deadline, d, sizeof d);
            snprintf(out + n, cap - (size_t)n, " deadline %s", d);
        }
        *text = st->u.revision.reason;
        break;
    }
    case GS_BODY_FINDING:
        ref_text(&st->u.finding.about, r, sizeof r);
        snprintf(out, cap, "finding (%s%s%s) about %s", gs_severity_name(st->u.finding.severity),
                 st->u.finding.verdict != GS_VERDICT_NONE ? ", " : "",
                 st->u.finding.verdict != GS_VERDICT_NONE ? gs_verdict_name(st->u.finding.verdict)
                                                          : "",
                 r);
        *text = st->u.finding.text;
        break;
    case GS_BODY_FEEDBACK: {
        int n = snprintf(out, cap, "feedback");
        if (st->u.feedback.rating != 0)
            n += snprintf(out + n, cap - (size_t)n, " rated %u of 5", st->u.feedback.rating);
        if (st->u.feedback.has_about) {
            ref_text(&st->u.feedback.about, r, sizeof r);
            snprintf(out + n, cap - (size_t)n, " about %s", r);
        }
        *text = st->u.feedback.text;
        break;
    }
    case GS_BODY_RESPONSE:
        ref_text(&st->u.response.to, r, sizeof r);
        snprintf(out, cap, "response to %s", r);
        *text = st->u.response.text;
        break;
    case GS_BODY_EVIDENCE:
        snprintf(out, cap, "evidence against %s", st->u.evidence.origin);
        *text = st->u.evidence.reason;
        break;
    case GS_BODY_PARAMETER_CHANGE: snprintf(out, cap, "rule parameters changed"); break;
    default: snprintf(out, cap, "%s", gs_body_name(st->kind)); break;
    }
    if (*text != NULL && (*text)[0] == '\0')
        *text = NULL;
}

static int feed_on_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                         const gs_rules_state *rs, gs_error *err)
{
    gs_feed *f = ctx;
    char line[1024];
    const char *text;
    targets t = {0};
    event *e = NULL;
    const char *origin = f->logs[f->cur].origin;
    ring_rec *rr = &f->ring[index % RING];
    ring_rec about;
    gs_rules_commitment rc;

    rr->used = true;
    rr->index = index;
    rr->leaf = *leaf;
    rr->kind = st->kind;
    rr->signer = st->signer;
    rr->commitment = st->kind == GS_BODY_COMMITMENT ? index : UINT64_MAX;

    if (st->kind == GS_BODY_OBSERVATION)
        goto next; /* the hub's bookkeeping, not news */
    if (st->kind == GS_BODY_CHARTER) {
        char title[GS_MAX_NAME + GS_MAX_ORIGIN + 8];
        subject *u = get_subject(f, GS_FEED_UNIT, origin, NULL);
        snprintf(title, sizeof title, "%s (%s)", st->u.charter.display_name, origin);
        if (u == NULL || set_str(&u->title, title, GS_MAX_NAME + GS_MAX_ORIGIN) != 0 ||
            set_str(&f->logs[f->cur].time_zone, st->u.charter.time_zone, GS_MAX_TIME_ZONE) != 0)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    if (st->kind == GS_BODY_COMMITMENT) {
        char subj[GS_MAX_ORIGIN + 32], title[2 * GS_MAX_NAME];
        snprintf(subj, sizeof subj, "%s/%llu", origin, (unsigned long long)index);
        snprintf(title, sizeof title, "%s: %s", st->u.commitment.id, st->u.commitment.title);
        subject *c = get_subject(f, GS_FEED_COMMITMENT, subj, title);
        if (c == NULL || set_str(&c->c_id, st->u.commitment.id, GS_MAX_ID) != 0 ||
            set_str(&c->measure, st->u.commitment.unit_of_measure, GS_MAX_NAME) != 0)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        c->target = st->u.commitment.target;
    }
    if (st->kind == GS_BODY_REVISION && st->u.revision.has_target &&
        gs_rules_commitment_get(rs, st->u.revision.commitment_id, &rc) == 0) {
        subject *c = commitment_subject(f, origin, rc.index);
        if (c != NULL)
            c->target = st->u.revision.target;
    }

    if ((e = calloc(1, sizeof *e)) == NULL)
        goto nomem;
    f->n_events++;
    e->log = f->cur;
    e->index = index;
    e->leaf = *leaf;
    e->kind = st->kind;
    e->issued_at = st->issued_at;
    e->signer = st->signer;
    const char *name = member_name(rs, &st->signer);
    if (name != NULL && (e->signer_name = cut(name, GS_MAX_NAME)) == NULL)
        goto nomem;
    describe(f, st, rs, line, sizeof line, &text);
    if ((e->summary = cut(line, 300)) == NULL ||
        (text != NULL && (e->text = cut(text, GS_FEED_TEXT_MAX)) == NULL))
        goto nomem;

    target(&t, get_subject(f, GS_FEED_UNIT, origin, NULL));
    target_person(f, &t, &st->signer, name);
    const gs_ref *ref = NULL;
    switch (st->kind) {
    case GS_BODY_APPOINTMENT:
        target_person(f, &t, &st->u.appointment.person, st->u.appointment.name);
        break;
    case GS_BODY_DISMISSAL:
        target_person(f, &t, &st->u.dismissal.person, member_name(rs, &st->u.dismissal.person));
        break;
    case GS_BODY_KEY_ROTATION: target_person(f, &t, &st->u.key_rotation.new_key, name); break;
    case GS_BODY_COMMITMENT: target_commitment(f, &t, e, origin, index, rs); break;
    case GS_BODY_PROGRESS:
    case GS_BODY_OUTCOME:
    case GS_BODY_REVISION: {
        const char *id = st->kind == GS_BODY_PROGRESS  ? st->u.progress.commitment_id
                         : st->kind == GS_BODY_OUTCOME ? st->u.outcome.commitment_id
                                                       : st->u.revision.commitment_id;
        if (gs_rules_commitment_get(rs, id, &rc) == 0) {
            rr->commitment = rc.index;
            target_commitment(f, &t, e, origin, rc.index, rs);
        }
        break;
    }
    case GS_BODY_FINDING: ref = &st->u.finding.about; break;
    case GS_BODY_FEEDBACK: ref = st->u.feedback.has_about ? &st->u.feedback.about : NULL; break;
    case GS_BODY_RESPONSE: ref = &st->u.response.to; break;
    case GS_BODY_EVIDENCE:
        target(&t, get_subject(f, GS_FEED_UNIT, st->u.evidence.origin, NULL));
        break;
    default: break;
    }
    bool resolved = ref != NULL && resolve(f, ref, &about);
    bool later = ref != NULL && !resolved && strcmp(ref->origin, origin) != 0;
    if (resolved) {
        /* The person it is about: who signed what it names. */
        const char *an = strcmp(ref->origin, origin) == 0 ? member_name(rs, &about.signer) : NULL;
        target_person(f, &t, &about.signer, an);
        if (about.commitment != UINT64_MAX) {
            rr->commitment = about.commitment;
            target_commitment(f, &t, e, ref->origin, about.commitment, rs);
            if ((st->kind == GS_BODY_FINDING || st->kind == GS_BODY_FEEDBACK) &&
                strcmp(ref->origin, origin) == 0 &&
                push_about(&f->logs[f->cur], index, about.commitment) != 0)
                t.failed = true;
        }
    }
    if (t.failed)
        goto nomem;
    for (size_t i = 0; i < t.n; i++)
        if (add_event(f, t.s[i], e) != 0)
            t.failed = true;
    if (later && !t.failed && f->n_pending < MAX_PENDING) {
        if (f->n_pending == f->cap_pending) {
            size_t c = f->cap_pending ? f->cap_pending * 2 : 64;
            pending_ref *v = realloc(f->pending, c * sizeof *v);
            if (v == NULL)
                goto nomem;
            f->pending = v;
            f->cap_pending = c;
        }
        pending_ref *pr = &f->pending[f->n_pending];
        if (log_of(f, ref->origin, &pr->log) != 0)
            goto nomem;
        pr->e = e;
        pr->index = ref->index;
        pr->leaf = ref->leaf_hash;
        e->refs++;
        f->n_pending++;
    }
    if (t.failed)
        goto nomem;
    if (e->refs == 0) {
        event_free(e);
        f->n_events--;
    }
next:
    return f->next.on_entry != NULL ? f->next.on_entry(f->next.ctx, index, st, leaf, rs, err) : 0;
nomem:
    /* Whatever feeds took e hold a reference; freed with the feed. */
    if (e != NULL) {
        if (e->refs == 0) {
            event_free(e);
            f->n_events--;
        }
    }
    return gs_error_set(err, GS_ENOMEM, "out of memory");
}

/* Drops every event of log from every feed. */
static void drop_log(gs_feed *f, size_t log)
{
    for (size_t i = 0; i < f->cap_tab; i++) {
        subject *s = f->tab[i];
        if (s == NULL)
            continue;
        size_t k = 0;
        for (size_t j = 0; j < s->n; j++) {
            if (s->heap[j]->log == log)
                release(f, s->heap[j]);
            else
                s->heap[k++] = s->heap[j];
        }
        s->n = k;
        for (size_t j = s->n / 2; j-- > 0;)
            sift_down(f, s, j);
    }
}

static int feed_end_log(void *ctx, const gs_audit_replay *rp, const gs_audit_trusted *t,
                        const char *skipped, gs_error *err)
{
    gs_feed *f = ctx;
    /* An event is news only when its entry is in the tree the trusted
     * checkpoint commits to. */
    if (f->cur != SIZE_MAX &&
        (skipped != NULL || t == NULL || memcmp(rp->root.b, t->cp.root.b, 32) != 0))
        drop_log(f, f->cur);
    f->cur = SIZE_MAX;
    return f->next.end_log != NULL ? f->next.end_log(f->next.ctx, rp, t, skipped, err) : 0;
}

static int feed_on_evidence(void *ctx, const gs_audit_evidence *ev, gs_error *err)
{
    gs_feed *f = ctx;
    return f->next.on_evidence != NULL ? f->next.on_evidence(f->next.ctx, ev, err) : 0;
}

void gs_feed_sink(gs_feed *f, const gs_audit_sink *next, gs_audit_sink *out)
{
    f->next = *next;
    out->ctx = f;
    out->begin_log = feed_begin_log;
    out->on_entry = feed_on_entry;
    out->end_log = feed_end_log;
    out->on_evidence = feed_on_evidence;
}

static json_t *event_json(const gs_feed *f, const event *e);

int gs_feed_finish(gs_feed *f, gs_error *err)
{
    if (f->finished)
        return 0;
    /* References into logs read after the entry that made them: every log
     * is in the leaf record now. */
    f->cur = SIZE_MAX;
    for (size_t i = 0; i < f->n_pending; i++) {
        pending_ref *pr = &f->pending[i];
        gs_ref ref = {.origin = f->logs[pr->log].origin, .index = pr->index, .leaf_hash = pr->leaf};
        ring_rec about;
        targets t = {0};
        if (resolve(f, &ref, &about)) {
            target_person(f, &t, &about.signer, NULL);
            if (about.commitment != UINT64_MAX)
                target_commitment(f, &t, pr->e, ref.origin, about.commitment, NULL);
            for (size_t j = 0; j < t.n && !t.failed; j++) {
                bool held = false; /* the signer may also be who it is about */
                for (size_t k = 0; k < t.s[j]->n && !held; k++)
                    held = t.s[j]->heap[k] == pr->e;
                if (!held && add_event(f, t.s[j], pr->e) != 0)
                    t.failed = true;
            }
        }
        if (t.failed)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < f->n_pending; i++)
        release(f, f->pending[i].e);
    free(f->pending);
    f->pending = NULL;
    f->n_pending = f->cap_pending = 0;
    /* Heapsort in place: the min-heap gives up its oldest event to the end
     * of the array, again and again, leaving it newest first. */
    for (size_t i = 0; i < f->cap_tab; i++) {
        subject *s = f->tab[i];
        if (s == NULL)
            continue;
        size_t n = s->n;
        while (s->n > 1) {
            event *t = s->heap[0];
            s->heap[0] = s->heap[s->n - 1];
            s->heap[--s->n] = t;
            sift_down(f, s, 0);
        }
        s->n = n;
        /* Each event's JSON once, on the audit's thread: a request then
         * only joins them. */
        for (size_t j = 0; j < n; j++) {
            event *e = s->heap[j];
            if (e->json != NULL)
                continue;
            gs_time_format_local(e->issued_at, f->logs[e->log].time_zone, e->local,
                                 sizeof e->local);
            json_t *o = event_json(f, e);
            e->json = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
            json_decref(o);
            if (e->json == NULL)
                return gs_error_set(err, GS_ENOMEM, "out of memory");
        }
    }
    f->finished = true;
    return 0;
}

/* ----------------------------------------------------------- rendering */

/* The subject's events, newest first (malloc'd copy of the pointers). */
static int sorted(const gs_feed *f, const subject *s, event ***out)
{
    event **v = malloc((s->n ? s->n : 1) * sizeof *v);
    if (v == NULL)
        return GS_ENOMEM;
    memcpy(v, s->heap, s->n * sizeof *v);
    if (f->finished) {
        *out = v;
        return 0;
    }
    /* Insertion sort: at most GS_FEED_MAX_EVENTS, and no global context. */
    for (size_t i = 1; i < s->n; i++) {
        event *e = v[i];
        size_t j = i;
        while (j > 0 && newer(f, e, v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = e;
    }
    *out = v;
    return 0;
}

static const subject *subject_of(const gs_feed *f, gs_feed_kind k, const char *subj, gs_error *err)
{
    const subject *s = (unsigned)k < 3 ? lookup(f, k, subj) : NULL;
    if (s == NULL)
        gs_error_set(err, GS_ENOTFOUND, "no %s \"%s\" in the data", gs_feed_kind_name(k), subj);
    return s;
}

static json_t *jb64(const uint8_t *p, size_t n)
{
    char b[64];
    gs_base64_encode(b, sizeof b, gs_bytes_of(p, n));
    return json_string(b);
}

static json_t *jtime(int64_t t)
{
    char s[32];
    gs_time_format(t, s, sizeof s);
    return json_string(s);
}

static json_t *jstr_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *event_json(const gs_feed *f, const event *e)
{
    char fp[GS_KEY_FINGERPRINT_LEN], local[48];
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    gs_key_fingerprint(&e->signer, fp);
    if (e->local[0] != '\0')
        memcpy(local, e->local, sizeof local);
    else
        gs_time_format_local(e->issued_at, f->logs[e->log].time_zone, local, sizeof local);
    int bad = 0;
    bad |= json_object_set_new(o, "origin", json_string(f->logs[e->log].origin));
    bad |= json_object_set_new(o, "index", json_integer((json_int_t)e->index));
    bad |= json_object_set_new(o, "leaf_hash_b64", jb64(e->leaf.b, 32));
    bad |= json_object_set_new(o, "kind", json_string(gs_body_name(e->kind)));
    bad |= json_object_set_new(o, "issued_at", jtime(e->issued_at));
    bad |= json_object_set_new(o, "issued_at_local", json_string(local));
    bad |= json_object_set_new(o, "signer_b64", jb64(e->signer.b, 32));
    bad |= json_object_set_new(o, "signer_fingerprint", json_string(fp));
    bad |= json_object_set_new(o, "signer_name", jstr_or_null(e->signer_name));
    if (e->has_commitment) {
        json_t *c = json_object();
        if (c != NULL) {
            bad |= json_object_set_new(c, "origin", json_string(f->logs[e->c_log].origin));
            bad |= json_object_set_new(c, "index", json_integer((json_int_t)e->c_index));
            bad |= json_object_set_new(c, "id", jstr_or_null(e->c_id));
        }
        bad |= json_object_set_new(o, "commitment", c);
    } else {
        bad |= json_object_set_new(o, "commitment", json_null());
    }
    bad |= json_object_set_new(o, "summary", json_string(e->summary));
    bad |= json_object_set_new(o, "text", jstr_or_null(e->text));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int gs_feed_events_json(const gs_feed *f, gs_feed_kind k, const char *subject_s, int64_t built_at,
                        char **out, size_t *len, gs_error *err)
{
    const subject *s = subject_of(f, k, subject_s, err);
    event **v = NULL;
    json_t *doc = NULL, *arr = NULL;
    char *head = NULL;
    int rc = GS_ENOMEM;
    if (s == NULL)
        return GS_ENOTFOUND;
    if (sorted(f, s, &v) != 0 || (doc = json_object()) == NULL || (arr = json_array()) == NULL)
        goto out;
    int bad = 0;
    bad |= json_object_set_new(doc, "feed", json_string(gs_feed_kind_name(k)));
    bad |= json_object_set_new(doc, "subject", json_string(s->key + 2));
    bad |= json_object_set_new(doc, "title", json_string(s->title));
    bad |= json_object_set_new(doc, "updated", jtime(s->n > 0 ? v[0]->issued_at : built_at));
    for (size_t i = 0; i < s->n && !bad && !f->finished; i++)
        bad |= json_array_append_new(arr, event_json(f, v[i]));
    bad |= json_object_set(doc, "events", arr);
    if (bad || (head = json_dumps(doc, JSON_COMPACT)) == NULL)
        goto out;
    size_t hl = strlen(head);
    if (!f->finished) {
        *out = head;
        *len = hl;
        head = NULL;
        rc = 0;
        goto out;
    }
    /* "events" is the document's last member, written "[]}": the events'
     * JSON made by gs_feed_finish goes between the brackets. */
    if (hl < 3 || strcmp(head + hl - 3, "[]}") != 0)
        goto out;
    size_t total = hl;
    for (size_t i = 0; i < s->n; i++)
        total += strlen(v[i]->json) + 1;
    char *d = malloc(total + 1), *p;
    if (d == NULL)
        goto out;
    memcpy(d, head, hl - 2);
    p = d + hl - 2;
    for (size_t i = 0; i < s->n; i++) {
        size_t el = strlen(v[i]->json);
        if (i > 0)
            *p++ = ',';
        memcpy(p, v[i]->json, el);
        p += el;
    }
    memcpy(p, "]}", 3);
    *out = d;
    *len = (size_t)(p + 2 - d);
    rc = 0;
out:
    free(head);
    if (rc != 0)
        gs_error_set(err, GS_ENOMEM, "out of memory");
    json_decref(arr);
    json_decref(doc);
    free(v);
    return rc;
}

/* XML 1.0 text: & < > " ' escaped; the code points XML forbids (C0
 * controls but tab and newline, U+FFFE, U+FFFF; statements carry no others)
 * become U+FFFD. */
static void xml(FILE *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    /* Plain bytes go out in runs (a character at a time takes the stream's
     * lock each time). */
#define FLUSH()                                                                                    \
    do {                                                                                           \
        if (p > run)                                                                               \
            fwrite(run, 1, (size_t)(p - run), o);                                                  \
    } while (0)
    for (; *p; p++) {
        const char *rep = NULL;
        size_t skip = 0;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
                rep = "\xEF\xBF\xBD";
            else if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) {
                rep = "\xEF\xBF\xBD";
                skip = 2;
            }
        }
        if (rep == NULL)
            continue;
        FLUSH();
        fputs(rep, o);
        p += skip;
        run = p + 1;
    }
    FLUSH();
#undef FLUSH
}

/* A stable IRI for a name: urn:uuid of the first 16 bytes of its SHA-256,
 * marked as an RFC 9562 version 8 (custom) UUID. */
static void urn(FILE *o, const char *name)
{
    gs_hash h;
    gs_sha256(gs_bytes_of(name, strlen(name)), &h);
    h.b[6] = (uint8_t)((h.b[6] & 0x0f) | 0x80);
    h.b[8] = (uint8_t)((h.b[8] & 0x3f) | 0x80);
    fputs("urn:uuid:", o);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            fputc('-', o);
        fprintf(o, "%02x", h.b[i]);
    }
}

static const char *label(gs_body_kind k, bool vi)
{
    switch (k) {
    case GS_BODY_CHARTER: return vi ? "Điều lệ" : "Charter";
    case GS_BODY_APPOINTMENT: return vi ? "Bổ nhiệm" : "Appointment";
    case GS_BODY_RESIGNATION: return vi ? "Từ chức" : "Resignation";
    case GS_BODY_DISMISSAL: return vi ? "Miễn nhiệm" : "Dismissal";
    case GS_BODY_KEY_ROTATION: return vi ? "Đổi khóa" : "Key rotation";
    case GS_BODY_COMMITMENT: return vi ? "Cam kết" : "Commitment";
    case GS_BODY_PROGRESS: return vi ? "Tiến độ" : "Progress";
    case GS_BODY_OUTCOME: return vi ? "Kết quả" : "Outcome";
    case GS_BODY_FINDING: return vi ? "Kết luận thanh tra" : "Finding";
    case GS_BODY_FEEDBACK: return vi ? "Phản ánh" : "Feedback";
    case GS_BODY_RESPONSE: return vi ? "Trả lời" : "Response";
    case GS_BODY_EVIDENCE: return vi ? "Bằng chứng" : "Evidence";
    case GS_BODY_PARAMETER_CHANGE: return vi ? "Đổi tham số" : "Parameter change";
    case GS_BODY_REVISION: return vi ? "Điều chỉnh" : "Revision";
    default: return gs_body_name(k);
    }
}

static const char *page_of(gs_feed_kind k)
{
    return k == GS_FEED_UNIT ? "unit" : k == GS_FEED_PERSON ? "person" : "commitment";
}

int gs_feed_atom(const gs_feed *f, gs_feed_kind k, const char *subject_s,
                 const gs_feed_atom_opts *o, char **out, size_t *len, gs_error *err)
{
    const subject *s = subject_of(f, k, subject_s, err);
    bool vi = o->lang == NULL || strcmp(o->lang, "en") != 0;
    event **v = NULL;
    char *buf = NULL, t[32], name[GS_MAX_ORIGIN + 64];
    size_t n = 0;
    FILE *m = NULL;
    if (s == NULL)
        return GS_ENOTFOUND;
    if (sorted(f, s, &v) != 0 || (m = open_memstream(&buf, &n)) == NULL) {
        free(v);
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    const char *subj = s->key + 2;
    fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
          "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"",
          m);
    fputs(vi ? "vi" : "en", m);
    fputs("\">\n  <id>", m);
    snprintf(name, sizeof name, "giamsat feed\n%s\n", gs_feed_kind_name(k));
    {
        size_t nl = strlen(name) + strlen(subj) + 1;
        char *nm = malloc(nl);
        if (nm == NULL) {
            fclose(m);
            free(buf);
            free(v);
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        }
        snprintf(nm, nl, "%s%s", name, subj);
        urn(m, nm);
        free(nm);
    }
    fputs("</id>\n  <title>", m);
    fputs(k == GS_FEED_UNIT     ? (vi ? "Đơn vị: " : "Unit: ")
          : k == GS_FEED_PERSON ? (vi ? "Cá nhân: " : "Person: ")
                                : (vi ? "Cam kết: " : "Commitment: "),
          m);
    xml(m, s->title);
    gs_time_format(s->n > 0 ? v[0]->issued_at : o->built_at, t, sizeof t);
    fprintf(m, "</title>\n  <updated>%s</updated>\n", t);
    fputs("  <link rel=\"self\" type=\"application/atom+xml\" href=\"", m);
    xml(m, o->base);
    fprintf(m, "/feeds/%s/", gs_feed_kind_name(k));
    xml(m, subj);
    fputs(".atom\"/>\n  <link rel=\"alternate\" type=\"text/html\" href=\"", m);
    xml(m, o->base);
    fprintf(m, "/web/#/%s/", page_of(k));
    xml(m, subj);
    fputs("\"/>\n  <author><name>", m);
    xml(m, o->hub != NULL ? o->hub : "giamsat");
    fputs("</name></author>\n  <generator>giamsat</generator>\n", m);
    for (size_t i = 0; i < s->n; i++) {
        const event *e = v[i];
        const char *origin = f->logs[e->log].origin;
        char idx[24], fp[GS_KEY_FINGERPRINT_LEN], hex[65];
        snprintf(idx, sizeof idx, "%llu", (unsigned long long)e->index);
        gs_time_format(e->issued_at, t, sizeof t);
        gs_key_fingerprint(&e->signer, fp);
        gs_hex(hex, gs_bytes_of(e->leaf.b, 32));
        fputs("  <entry>\n    <id>", m);
        {
            char nm[GS_MAX_ORIGIN + 128];
            snprintf(nm, sizeof nm, "giamsat statement\n%s\n%s\n%s", origin, idx, hex);
            urn(m, nm);
        }
        fputs("</id>\n    <title>", m);
        xml(m, label(e->kind, vi));
        fputs(": ", m);
        xml(m, e->summary);
        fprintf(m, "</title>\n    <updated>%s</updated>\n    <published>%s</published>\n", t, t);
        fputs("    <author><name>", m);
        xml(m, e->signer_name != NULL ? e->signer_name : fp);
        fputs("</name></author>\n    <link rel=\"alternate\" type=\"text/html\" href=\"", m);
        xml(m, o->base);
        fputs("/web/#/statement/", m);
        xml(m, origin);
        fprintf(m, "/%s\"/>\n    <summary type=\"text\">", idx);
        xml(m, e->summary);
        fputs("</summary>\n    <content type=\"text\">", m);
        xml(m, e->summary);
        fputs("\n", m);
        if (e->text != NULL) {
            xml(m, e->text);
            fputs("\n", m);
        }
        fprintf(m, "%s %s, ", vi ? "Ký bởi" : "Signed by", fp);
        xml(m, origin);
        fprintf(m, " #%s, leaf %s", idx, hex);
        fputs("</content>\n  </entry>\n", m);
    }
    fputs("</feed>\n", m);
    free(v);
    if (fclose(m) != 0 || buf == NULL) {
        free(buf);
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    *out = buf;
    *len = n;
    return 0;
}
