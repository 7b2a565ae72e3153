/* test_feed.c — the events per unit, person and commitment, and their Atom
 * form, from a real audit of real statements (common/wire, real keys) served
 * from memory in short pages, so references land on the same page and on
 * earlier ones.
 *
 * The log (NODE): Charter; the head and an inspector appointed; a
 * Commitment by the head; Progress; a Finding about the Progress; a
 * citizen's Feedback about the Commitment with text that needs escaping; the
 * head's Response to it; an Outcome; the inspector resigns. Then a second
 * commitment with more Progress than a feed keeps, to check the bound. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit.h"
#include "feed.h"
#include "merkle.h"
#include "note.h"

#define NODE "giamsat/commune/an-phu"
#define T0 1767225600 /* 2026-01-01T00:00:00Z */
#define DAY 86400
#define MAX_ENTRIES 1200
#define MANY (GS_FEED_MAX_EVENTS + 100)
/* In the feedback: every character XML escapes, Vietnamese, a newline. */
#define NASTY "Đường <b>hỏng</b> & \"sâu\" 'lắm'\n]]> </feed>"

static gs_keypair node_kp, head_kp, insp_kp, citizen_kp;
static gs_policy *policy;

typedef struct {
    gs_buf e[MAX_ENTRIES];
    size_t n;
    const gs_keypair *who[8];
    uint64_t seq[8];
    char *note;
    uint32_t max_page;
} mlog;

static mlog lg;
static uint64_t i_charter, i_head, i_insp, i_commit, i_progress, i_finding, i_feedback, i_response,
    i_outcome, i_resign, i_commit2;

static void seed_key(gs_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

static gs_hash leaf_of(const gs_buf *e)
{
    gs_hash h;
    gs_merkle_leaf_hash(gs_bytes_of(e->p, e->n), &h);
    return h;
}

static uint64_t put(gs_statement *st, const gs_keypair *kp)
{
    size_t k = 0;
    gs_error err = {0};
    while (k < 8 && lg.who[k] != NULL && lg.who[k] != kp)
        k++;
    assert_true(k < 8);
    lg.who[k] = kp;
    st->seq = ++lg.seq[k];
    st->origin = NODE;
    st->signer = kp->pub;
    assert_true(lg.n < MAX_ENTRIES);
    if (gs_wire_sign_statement(st, kp, &lg.e[lg.n], &err) != 0)
        fail_msg("signing: %s", err.msg);
    return lg.n++;
}

static gs_statement base(int64_t at, gs_body_kind kind)
{
    gs_statement st = {0};
    st.issued_at = at;
    st.kind = kind;
    return st;
}

static gs_ref ref_to(uint64_t i)
{
    gs_ref r = {.origin = NODE, .index = i, .leaf_hash = leaf_of(&lg.e[i])};
    return r;
}

static uint64_t appoint(const gs_keypair *who, const char *name, gs_role role, int64_t at)
{
    gs_statement st = base(at, GS_BODY_APPOINTMENT);
    st.u.appointment.person = who->pub;
    st.u.appointment.name = name;
    st.u.appointment.role = role;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    return put(&st, &node_kp);
}

static uint64_t commit(const char *id, const char *title, int64_t at)
{
    gs_statement st = base(at, GS_BODY_COMMITMENT);
    st.u.commitment.id = id;
    st.u.commitment.title = title;
    st.u.commitment.indicator = "km repaired";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 100 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = T0 + 300 * DAY;
    return put(&st, &head_kp);
}

static uint64_t progress(const char *id, int64_t value, int64_t at)
{
    gs_statement st = base(at, GS_BODY_PROGRESS);
    st.u.progress.commitment_id = id;
    st.u.progress.value = value;
    st.u.progress.note = "";
    return put(&st, &head_kp);
}

static void build_log(void)
{
    gs_statement st = base(T0, GS_BODY_CHARTER);
    st.u.charter.unit = "an-phu";
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xã An Phú";
    st.u.charter.time_zone = "";
    i_charter = put(&st, &node_kp);
    i_head = appoint(&head_kp, "Nguyễn Văn A", GS_ROLE_HEAD, T0 + 60);
    i_insp = appoint(&insp_kp, "Trần Thị B", GS_ROLE_INSPECTOR, T0 + 120);
    i_commit = commit("C-12", "Sửa đường <liên xã> & cầu", T0 + DAY);
    i_progress = progress("C-12", 40 * GS_FIXED_SCALE, T0 + 2 * DAY);

    st = base(T0 + 3 * DAY, GS_BODY_FINDING);
    st.u.finding.about = ref_to(i_progress);
    st.u.finding.severity = GS_SEVERITY_HIGH;
    st.u.finding.text = "only 30 km seen on site";
    st.u.finding.verdict = GS_VERDICT_CONTESTS;
    i_finding = put(&st, &insp_kp);

    st = base(T0 + 4 * DAY, GS_BODY_FEEDBACK);
    st.u.feedback.has_about = true;
    st.u.feedback.about = ref_to(i_commit);
    st.u.feedback.text = NASTY;
    st.u.feedback.rating = 2;
    i_feedback = put(&st, &citizen_kp);

    st = base(T0 + 5 * DAY, GS_BODY_RESPONSE);
    st.u.response.to = ref_to(i_feedback);
    st.u.response.text = "we will fix it";
    i_response = put(&st, &head_kp);

    st = base(T0 + 6 * DAY, GS_BODY_OUTCOME);
    st.u.outcome.commitment_id = "C-12";
    st.u.outcome.value = 90 * GS_FIXED_SCALE;
    i_outcome = put(&st, &head_kp);

    st = base(T0 + 7 * DAY, GS_BODY_RESIGNATION);
    st.u.resignation.reason = "moving";
    i_resign = put(&st, &insp_kp);

    i_commit2 = commit("C-13", "trees", T0 + 8 * DAY);
    for (int64_t i = 0; i < MANY; i++)
        progress("C-13", i * GS_FIXED_SCALE, T0 + 9 * DAY + i * 3600);
}

static char *sign_checkpoint(uint64_t n, bool wrong_root)
{
    gs_merkle_frontier fr;
    gs_hash root;
    char *body = NULL, *note = NULL;
    gs_error err = {0};
    gs_merkle_frontier_init(&fr);
    for (uint64_t i = 0; i < n; i++) {
        gs_hash l = leaf_of(&lg.e[i]);
        gs_merkle_frontier_append(&fr, &l, NULL, NULL);
    }
    gs_merkle_frontier_root(&fr, &root);
    if (wrong_root)
        root.b[0] ^= 1;
    if (gs_checkpoint_format(NODE, n, &root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), NODE, &node_kp, &note, &err) != 0)
        fail_msg("checkpoint: %s", err.msg);
    free(body);
    return note;
}

static int mem_checkpoint(void *ctx, const char *origin, char **note, gs_error *err)
{
    mlog *l = ctx;
    if (origin[0] != '\0' && strcmp(origin, NODE) != 0)
        return gs_error_set(err, GS_ENOTFOUND, "no log %s", origin);
    *note = strdup(l->note);
    return *note != NULL ? 0 : gs_error_set(err, GS_ENOMEM, "out of memory");
}

static int mem_page(void *ctx, const char *origin, uint64_t start, uint32_t count, gs_buf **out,
                    size_t *n, gs_error *err)
{
    mlog *l = ctx;
    (void)origin;
    if (start >= l->n)
        return gs_error_set(err, GS_ENOTFOUND, "no entry %llu", (unsigned long long)start);
    uint64_t k = l->n - start;
    if (k > count)
        k = count;
    if (k > l->max_page)
        k = l->max_page;
    gs_buf *v = calloc(k, sizeof *v);
    assert_non_null(v);
    for (uint64_t i = 0; i < k; i++) {
        v[i].p = malloc(l->e[start + i].n);
        assert_non_null(v[i].p);
        memcpy(v[i].p, l->e[start + i].p, l->e[start + i].n);
        v[i].n = l->e[start + i].n;
    }
    *out = v;
    *n = (size_t)k;
    return 0;
}

/* A sink behind the feed's: every call must reach it. */
typedef struct {
    unsigned begins, entries, ends;
} counting;

static int c_begin(void *ctx, const char *origin, gs_error *err)
{
    (void)origin;
    (void)err;
    ((counting *)ctx)->begins++;
    return 0;
}

static int c_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                   const gs_rules_state *s, gs_error *err)
{
    (void)index, (void)st, (void)leaf, (void)s, (void)err;
    ((counting *)ctx)->entries++;
    return 0;
}

static int c_end(void *ctx, const gs_audit_replay *rp, const gs_audit_trusted *t,
                 const char *skipped, gs_error *err)
{
    (void)rp, (void)t, (void)skipped, (void)err;
    ((counting *)ctx)->ends++;
    return 0;
}

/* One audit of the log into a new feed. */
static gs_feed *run(uint32_t max_page, bool wrong_root, counting *c)
{
    gs_audit_source src = {&lg, mem_checkpoint, mem_page, NULL, NULL};
    gs_audit_sink inner = {c, c_begin, c_entry, c_end, NULL}, sink;
    gs_audit_leafdb *db = NULL;
    gs_feed *f = NULL;
    gs_error err = {0};
    lg.max_page = max_page;
    lg.note = sign_checkpoint(lg.n, wrong_root);
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    assert_int_equal(gs_feed_new(&f, db, &err), 0);
    gs_feed_sink(f, &inner, &sink);
    gs_audit a = {.source = &src, .sink = &sink, .policy = policy, .db = db};
    if (gs_audit_run(&a, &err) != 0)
        fail_msg("audit: %s", err.msg);
    /* Sorted once, or at each rendering: the same order either way. */
    if (max_page != 3)
        assert_int_equal(gs_feed_finish(f, &err), 0);
    gs_audit_clear(&a);
    gs_audit_leafdb_close(&db);
    free(lg.note);
    lg.note = NULL;
    return f;
}

static json_t *events(const gs_feed *f, gs_feed_kind k, const char *subject)
{
    char *s = NULL;
    size_t n = 0;
    gs_error err = {0};
    if (gs_feed_events_json(f, k, subject, T0, &s, &n, &err) != 0)
        fail_msg("events %s: %s", subject, err.msg);
    assert_int_equal(strlen(s), n);
    json_error_t je;
    json_t *d = json_loads(s, 0, &je);
    if (d == NULL)
        fail_msg("not JSON (%s): %s", je.text, s);
    free(s);
    return d;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        fail_msg("\"%s\" is not a string", k);
    return json_string_value(v);
}

/* The indices of the events of d, newest first. */
static size_t indices(json_t *d, uint64_t *out, size_t cap)
{
    json_t *ev = json_object_get(d, "events");
    size_t n = json_array_size(ev);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint64_t)json_integer_value(json_object_get(json_array_get(ev, i), "index"));
    return n;
}

static bool has(const uint64_t *v, size_t n, uint64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static char csubj[GS_MAX_ORIGIN + 32];
static const char *commitment_subject(uint64_t index)
{
    snprintf(csubj, sizeof csubj, "%s/%llu", NODE, (unsigned long long)index);
    return csubj;
}

static void check_feed(const gs_feed *f)
{
    char head[GS_FEED_KEY_URL_LEN], insp[GS_FEED_KEY_URL_LEN], cit[GS_FEED_KEY_URL_LEN];
    uint64_t v[GS_FEED_MAX_EVENTS + 1];
    size_t n;
    gs_feed_key_url(&head_kp.pub, head);
    gs_feed_key_url(&insp_kp.pub, insp);
    gs_feed_key_url(&citizen_kp.pub, cit);
    assert_int_equal(strlen(head), 43);
    assert_null(strpbrk(head, "+/="));

    /* The commitment C-12: its Commitment, Progress, the Finding about the
     * Progress, the Feedback about it, the Outcome; newest first. */
    json_t *d = events(f, GS_FEED_COMMITMENT, commitment_subject(i_commit));
    assert_string_equal(jstr(d, "feed"), "commitment");
    assert_string_equal(jstr(d, "subject"), commitment_subject(i_commit));
    assert_string_equal(jstr(d, "title"), "C-12: Sửa đường <liên xã> & cầu");
    assert_string_equal(jstr(d, "updated"), "2026-01-07T00:00:00Z");
    n = indices(d, v, GS_FEED_MAX_EVENTS);
    uint64_t want[] = {i_outcome, i_response, i_feedback, i_finding, i_progress, i_commit};
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i], want[i]);
    json_t *ev = json_object_get(d, "events");
    json_t *p = json_array_get(ev, 4);
    assert_string_equal(jstr(p, "kind"), "progress");
    assert_string_equal(jstr(p, "summary"), "progress 40 of 100 km on C-12");
    assert_string_equal(jstr(p, "issued_at"), "2026-01-03T00:00:00Z");
    assert_string_equal(jstr(p, "issued_at_local"), "2026-01-03T07:00:00+07:00");
    assert_string_equal(jstr(p, "signer_name"), "Nguyễn Văn A");
    assert_string_equal(jstr(p, "origin"), NODE);
    json_t *c = json_object_get(p, "commitment");
    assert_string_equal(jstr(c, "id"), "C-12");
    assert_int_equal(json_integer_value(json_object_get(c, "index")), i_commit);
    char b64[64], fp[GS_KEY_FINGERPRINT_LEN];
    gs_base64_encode(b64, sizeof b64, gs_bytes_of(head_kp.pub.b, 32));
    assert_string_equal(jstr(p, "signer_b64"), b64);
    gs_key_fingerprint(&head_kp.pub, fp);
    assert_string_equal(jstr(p, "signer_fingerprint"), fp);
    gs_hash lh = leaf_of(&lg.e[i_progress]);
    gs_base64_encode(b64, sizeof b64, gs_bytes_of(lh.b, 32));
    assert_string_equal(jstr(p, "leaf_hash_b64"), b64);
    json_t *fb = json_array_get(ev, 2);
    assert_string_equal(jstr(fb, "kind"), "feedback");
    assert_true(json_is_null(json_object_get(fb, "signer_name")));
    assert_string_equal(jstr(fb, "text"), NASTY);
    json_t *fi = json_array_get(ev, 3);
    char want_sum[128];
    snprintf(want_sum, sizeof want_sum, "finding (high, contests) about %s#%llu", NODE,
             (unsigned long long)i_progress);
    assert_string_equal(jstr(fi, "summary"), want_sum);
    json_decref(d);

    /* The head: appointed, signed the commitment and its reports, and is
     * the person the finding (about their progress), the feedback (about
     * their commitment) are about. */
    d = events(f, GS_FEED_PERSON, head);
    assert_string_equal(jstr(d, "title"), "Nguyễn Văn A");
    n = indices(d, v, GS_FEED_MAX_EVENTS);
    assert_int_equal(n, GS_FEED_MAX_EVENTS); /* C-13's Progress fills it */
    json_decref(d);

    /* The inspector: appointed, the finding, the resignation. */
    d = events(f, GS_FEED_PERSON, insp);
    n = indices(d, v, GS_FEED_MAX_EVENTS);
    assert_int_equal(n, 3);
    assert_int_equal(v[0], i_resign);
    assert_int_equal(v[1], i_finding);
    assert_int_equal(v[2], i_insp);
    json_decref(d);

    /* The citizen: their feedback, and the response addressed to them. */
    d = events(f, GS_FEED_PERSON, cit);
    char fpt[GS_KEY_FINGERPRINT_LEN + 8];
    gs_key_fingerprint(&citizen_kp.pub, fp);
    snprintf(fpt, sizeof fpt, "key %s", fp); /* no name: the fingerprint */
    assert_string_equal(jstr(d, "title"), fpt);
    n = indices(d, v, GS_FEED_MAX_EVENTS);
    assert_int_equal(n, 2);
    assert_int_equal(v[0], i_response);
    assert_int_equal(v[1], i_feedback);
    json_decref(d);

    /* The bound: C-13 has MANY Progress; its feed keeps the newest
     * GS_FEED_MAX_EVENTS, newest first, and so does the unit's. */
    d = events(f, GS_FEED_COMMITMENT, commitment_subject(i_commit2));
    n = indices(d, v, GS_FEED_MAX_EVENTS);
    assert_int_equal(n, GS_FEED_MAX_EVENTS);
    assert_int_equal(v[0], lg.n - 1);
    assert_int_equal(v[n - 1], lg.n - GS_FEED_MAX_EVENTS);
    assert_false(has(v, n, i_commit2));
    json_decref(d);
    d = events(f, GS_FEED_UNIT, NODE);
    assert_string_equal(jstr(d, "title"), "Xã An Phú (" NODE ")");
    n = indices(d, v, GS_FEED_MAX_EVENTS);
    assert_int_equal(n, GS_FEED_MAX_EVENTS);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i], lg.n - 1 - i);
    json_decref(d);
    /* Only what some feed holds is in memory. */
    assert_true(gs_feed_event_count(f) <= GS_FEED_MAX_EVENTS + 16);

    /* Unknown subjects. */
    char *s = NULL;
    size_t len;
    gs_error err = {0};
    assert_int_equal(
        gs_feed_events_json(f, GS_FEED_UNIT, "giamsat/commune/nope", T0, &s, &len, &err),
        GS_ENOTFOUND);
    assert_int_equal(gs_feed_events_json(f, GS_FEED_COMMITMENT, commitment_subject(i_progress), T0,
                                         &s, &len, &err),
                     GS_ENOTFOUND);
    assert_int_equal(gs_feed_events_json(f, GS_FEED_PERSON, NODE, T0, &s, &len, &err),
                     GS_ENOTFOUND);
    assert_null(s);
}

static void test_events(void **state)
{
    (void)state;
    static const uint32_t pages[] = {3, 7, GS_MAX_ENTRIES};
    char *first = NULL;
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        counting c = {0};
        gs_feed *f = run(pages[i], false, &c);
        assert_int_equal(c.begins, 1);
        assert_int_equal(c.ends, 1);
        assert_int_equal(c.entries, lg.n);
        check_feed(f);
        /* Joined from the events' JSON made once (finished) or drawn whole:
         * the same bytes. */
        char *doc = NULL;
        size_t len;
        gs_error err = {0};
        assert_int_equal(gs_feed_events_json(f, GS_FEED_COMMITMENT, commitment_subject(i_commit),
                                             T0, &doc, &len, &err),
                         0);
        assert_int_equal(strlen(doc), len);
        if (first == NULL)
            first = doc;
        else {
            assert_string_equal(doc, first);
            free(doc);
        }
        gs_feed_free(&f);
        assert_null(f);
    }
    free(first);
}

/* Entries that do not hash to the trusted root are nobody's news. */
static void test_root_mismatch(void **state)
{
    (void)state;
    counting c = {0};
    gs_feed *f = run(GS_MAX_ENTRIES, true, &c);
    assert_int_equal(c.ends, 1);
    json_t *d = events(f, GS_FEED_UNIT, NODE);
    assert_int_equal(json_array_size(json_object_get(d, "events")), 0);
    assert_string_equal(jstr(d, "updated"), "2026-01-01T00:00:00Z");
    json_decref(d);
    assert_int_equal(gs_feed_event_count(f), 0);
    gs_feed_free(&f);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_atom(void **state)
{
    (void)state;
    counting c = {0};
    gs_feed *f = run(GS_MAX_ENTRIES, false, &c);
    gs_feed_atom_opts o = {
        .base = "https://hub.example", .lang = "en", .hub = "giamsat/hub/h1", .built_at = T0};
    char *a = NULL, *b = NULL;
    size_t n = 0, nb = 0;
    gs_error err = {0};
    const char *subj = commitment_subject(i_commit);
    assert_int_equal(gs_feed_atom(f, GS_FEED_COMMITMENT, subj, &o, &a, &n, &err), 0);
    assert_int_equal(strlen(a), n);
    /* Structure (well-formedness is xmllint's, in it_http_feeds.sh). */
    assert_true(strncmp(a,
                        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed "
                        "xmlns=\"http://www.w3.org/2005/Atom\"",
                        80) == 0);
    assert_int_equal(count(a, "<entry>"), 6);
    assert_int_equal(count(a, "</entry>"), 6);
    assert_int_equal(count(a, "<id>urn:uuid:"), 7);
    assert_int_equal(count(a, "<updated>"), 7);
    assert_int_equal(count(a, "<published>"), 6);
    assert_int_equal(count(a, "<summary type=\"text\">"), 6);
    assert_int_equal(count(a, "<content type=\"text\">"), 6);
    assert_int_equal(count(a, "<author><name>"), 7);
    assert_non_null(strstr(a, "<link rel=\"self\" type=\"application/atom+xml\" "
                              "href=\"https://hub.example/feeds/commitment/" NODE "/3.atom\"/>"));
    assert_non_null(strstr(a, "<link rel=\"alternate\" type=\"text/html\" "
                              "href=\"https://hub.example/web/#/commitment/" NODE "/3\"/>"));
    char link[256];
    snprintf(link, sizeof link, "href=\"https://hub.example/web/#/statement/%s/%llu\"", NODE,
             (unsigned long long)i_progress);
    assert_non_null(strstr(a, link));
    assert_non_null(
        strstr(a, "<title>Commitment: C-12: Sửa đường &lt;liên xã&gt; &amp; cầu</title>"));
    /* Escaped: nothing of the feedback's text can close an element. */
    assert_non_null(strstr(a,
                           "Đường &lt;b&gt;hỏng&lt;/b&gt; &amp; &quot;sâu&quot; &apos;lắm&apos;\n"
                           "]]&gt; &lt;/feed&gt;"));
    assert_int_equal(count(a, "</feed>"), 1);
    assert_null(strstr(a, "<b>"));
    assert_non_null(strstr(a, "<title>Outcome: outcome 90 of 100 km on C-12</title>"));
    assert_non_null(strstr(a, "<updated>2026-01-07T00:00:00Z</updated>"));
    /* Entry ids are stable: the same statement, the same id, and the feed's
     * id does not depend on the address it was asked at. */
    o.base = "http://127.0.0.1:8080";
    o.lang = "vi";
    assert_int_equal(gs_feed_atom(f, GS_FEED_COMMITMENT, subj, &o, &b, &nb, &err), 0);
    const char *ia = strstr(a, "<id>"), *ib = strstr(b, "<id>");
    assert_non_null(ia);
    assert_non_null(ib);
    assert_int_equal(strncmp(ia, ib, 50), 0);
    assert_non_null(strstr(b, "<title>Kết quả: outcome 90 of 100 km on C-12</title>"));
    assert_non_null(strstr(b, "xml:lang=\"vi\""));
    free(a);
    free(b);
    a = NULL;
    assert_int_equal(gs_feed_atom(f, GS_FEED_UNIT, "giamsat/commune/x", &o, &a, &n, &err),
                     GS_ENOTFOUND);
    assert_null(a);
    gs_feed_free(&f);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(gs_feed_kind_parse("unit"), GS_FEED_UNIT);
    assert_int_equal(gs_feed_kind_parse("person"), GS_FEED_PERSON);
    assert_int_equal(gs_feed_kind_parse("commitment"), GS_FEED_COMMITMENT);
    assert_int_equal(gs_feed_kind_parse("units"), -1);
    assert_string_equal(gs_feed_kind_name(GS_FEED_PERSON), "person");
    gs_pubkey k;
    memset(k.b, 0xfb, 32); /* base64 "+/" */
    char u[GS_FEED_KEY_URL_LEN];
    gs_feed_key_url(&k, u);
    assert_string_equal(u, "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s");
}

static int setup(void **state)
{
    (void)state;
    gs_error err = {0};
    if (gs_crypto_init(&err) != 0)
        return -1;
    seed_key(&node_kp, 1);
    seed_key(&head_kp, 2);
    seed_key(&insp_kp, 3);
    seed_key(&citizen_kp, 4);
    build_log();
    char trust[1024], a[GS_VKEY_STR_MAX];
    gs_vkey va;
    if (gs_vkey_make(&va, NODE, GS_VKEY_ALG_ED25519, &node_kp.pub, &err) != 0 ||
        gs_vkey_format(&va, a, sizeof a, &err) != 0)
        return -1;
    snprintf(trust, sizeof trust, "log %s\nquorum none\n", a);
    return gs_policy_parse(trust, strlen(trust), "test.policy", &policy, &err) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < lg.n; i++)
        gs_buf_free(&lg.e[i]);
    gs_policy_free(&policy);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_root_mismatch),
        cmocka_unit_test(test_atom),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
