/* test_audit.c — the audit engine through an entry source that is not
 * ZeroMQ: logs held in memory and served in short pages, as a web view or a
 * database-backed service would serve them. The replay must reach the same
 * verdicts whatever the page size and with or without the worker pool; an
 * altered entry, a rule broken, an observed root the entries do not give and
 * a checkpoint the trust file does not believe are each reported as a
 * failure of that log; a source that is gone stops the audit. The report
 * built from the same run says the same.
 *
 * The node log (NODE, N_NODE entries): a Charter, the head's Appointment,
 * COMMITS Commitments by the head, then Feedback from a citizen, one a day,
 * each about the first Commitment (a reference the rule book checks through
 * entry_at, i.e. the leaf record, often on an earlier page). The hub log
 * (HUB): its Charter and Observations of the node log. Expected roots are
 * computed here from the entries with gs_merkle. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "merkle.h"
#include "note.h"
#include "report.h"

#define NODE "giamsat/commune/an-binh"
#define HUB "giamsat/hub/test"
#define COMMITS 3
#define N_NODE 25
#define MAX_HUB 8
#define T0 1767225600 /* 2026-01-01T00:00:00Z */
#define NONE UINT64_MAX

static gs_keypair node_kp, hub_kp, head_kp, citizen_kp, rogue_kp;
static gs_buf node_entries[N_NODE];
static gs_policy *policy;
static char node_vkey[GS_VKEY_STR_MAX]; /* the node's verifier key string */

static void seed_key(gs_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

static gs_buf sign(gs_statement *st, const gs_keypair *kp)
{
    gs_buf out = {0};
    gs_error err = {0};
    st->signer = kp->pub;
    if (gs_wire_sign_statement(st, kp, &out, &err) != 0)
        fail_msg("signing a statement: %s", err.msg);
    return out;
}

static gs_statement base(const char *origin, uint64_t seq, int64_t at, gs_body_kind kind)
{
    gs_statement st = {0};
    st.seq = seq;
    st.issued_at = at;
    st.origin = origin;
    st.kind = kind;
    return st;
}

static gs_buf charter(const char *origin, const char *unit, gs_tier tier, const gs_keypair *kp)
{
    gs_statement st = base(origin, 1, T0, GS_BODY_CHARTER);
    st.u.charter.unit = unit;
    st.u.charter.tier = tier;
    /* A bidi override, as an older log may hold (rules.h, rule 0): history
     * accepts it, and the report shows it instead of obeying it. */
    st.u.charter.display_name = "Xa \u202EAn Binh";
    return sign(&st, kp);
}

/* A commitment signed by kp (the head; anyone else breaks rule 7). */
static gs_buf commitment(const gs_keypair *kp, uint64_t seq, const char *id)
{
    gs_statement st = base(NODE, seq, T0 + (int64_t)seq * 60, GS_BODY_COMMITMENT);
    st.u.commitment.id = id;
    st.u.commitment.title = "repair the \u2066school\u2069 road\u200B";
    st.u.commitment.indicator = "km repaired";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 3000000;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = T0 + 90 * 86400;
    return sign(&st, kp);
}

static gs_hash leaf_of(const gs_buf *e)
{
    gs_hash h;
    gs_merkle_leaf_hash(gs_bytes_of(e->p, e->n), &h);
    return h;
}

/* The root of the first n entries. */
static gs_hash root_of(const gs_buf *entries, uint64_t n)
{
    gs_merkle_frontier fr;
    gs_hash root;
    gs_merkle_frontier_init(&fr);
    for (uint64_t i = 0; i < n; i++) {
        gs_hash l = leaf_of(&entries[i]);
        gs_merkle_frontier_append(&fr, &l, NULL, NULL);
    }
    gs_merkle_frontier_root(&fr, &root);
    return root;
}

static char *checkpoint(const char *origin, const gs_buf *entries, uint64_t n, const gs_keypair *kp)
{
    gs_hash root = root_of(entries, n);
    char *body = NULL, *note = NULL;
    gs_error err = {0};
    if (gs_checkpoint_format(origin, n, &root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), origin, kp, &note, &err) != 0)
        fail_msg("checkpoint: %s", err.msg);
    free(body);
    return note;
}

/* ---- an entry source in memory ------------------------------------------------ */

typedef struct {
    const char *origin;
    const gs_buf *entries;
    uint64_t n;
    char *note;
} mem_log;

typedef struct {
    mem_log logs[2]; /* [0] is the source's own log */
    size_t n_logs;
    uint32_t max_page;      /* entries per page at most */
    uint64_t spoil;         /* the node entry served altered, or NONE */
    int checkpoint_error;   /* read_checkpoint(NODE) fails with it (0: no) */
    const gs_buf *evidence; /* what GetEvidence(NODE) answers */
    size_t n_evidence;
} mem_source;

static const mem_log *find_log(const mem_source *m, const char *origin)
{
    for (size_t i = 0; i < m->n_logs; i++)
        if (origin[0] == '\0' ? i == 0 : strcmp(m->logs[i].origin, origin) == 0)
            return &m->logs[i];
    return NULL;
}

static int mem_read_checkpoint(void *ctx, const char *origin, char **note, gs_error *err)
{
    const mem_source *m = ctx;
    const mem_log *l = find_log(m, origin);
    if (m->checkpoint_error != 0 && strcmp(origin, NODE) == 0)
        return gs_error_set(err, m->checkpoint_error, "the source is not answering");
    if (l == NULL)
        return gs_error_set(err, GS_ENOTFOUND, "no log %s here", origin);
    if ((*note = strdup(l->note)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return 0;
}

static int mem_read_page(void *ctx, const char *origin, uint64_t start, uint32_t count,
                         gs_buf **entries, size_t *n, gs_error *err)
{
    const mem_source *m = ctx;
    const mem_log *l = find_log(m, origin);
    if (l == NULL || start >= l->n)
        return gs_error_set(err, GS_ENOTFOUND, "no entry %llu of %s", (unsigned long long)start,
                            origin);
    uint64_t k = l->n - start;
    if (k > count)
        k = count;
    if (k > m->max_page)
        k = m->max_page;
    gs_buf *v = calloc(k, sizeof *v);
    assert_non_null(v);
    for (uint64_t i = 0; i < k; i++) {
        const gs_buf *e = &l->entries[start + i];
        v[i].p = malloc(e->n);
        v[i].n = e->n;
        assert_non_null(v[i].p);
        memcpy(v[i].p, e->p, e->n);
        if (strcmp(origin, NODE) == 0 && start + i == m->spoil)
            v[i].p[v[i].n - 1] ^= 0x40; /* the signature is the last field */
    }
    *entries = v;
    *n = (size_t)k;
    return 0;
}

static int mem_read_evidence(void *ctx, const char *origin, gs_buf **items, size_t *n,
                             gs_error *err)
{
    (void)err;
    const mem_source *m = ctx;
    size_t k = strcmp(origin, NODE) == 0 ? m->n_evidence : 0;
    gs_buf *v = calloc(k + 1, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < k; i++) {
        v[i].p = malloc(m->evidence[i].n);
        assert_non_null(v[i].p);
        memcpy(v[i].p, m->evidence[i].p, m->evidence[i].n);
        v[i].n = m->evidence[i].n;
    }
    *items = v;
    *n = k;
    return 0;
}

static gs_audit_source source_of(mem_source *m)
{
    gs_audit_source s = {m, mem_read_checkpoint, mem_read_page, mem_read_evidence};
    return s;
}

/* ---- a sink that remembers ------------------------------------------------------- */

typedef struct {
    char origin[GS_MAX_ORIGIN + 1];
    bool skipped;
    char reason[GS_ERROR_MSG_MAX];
    uint64_t entries; /* told to on_entry */
    uint64_t verified, replayed, n_failures;
    char first_failure[GS_ERROR_MSG_MAX + 128];
} log_outcome;

typedef struct {
    log_outcome logs[4];
    size_t n;
    uint64_t entries;
} test_sink;

static int sink_begin(void *ctx, const char *origin, gs_error *err)
{
    (void)origin;
    (void)err;
    ((test_sink *)ctx)->entries = 0;
    return 0;
}

static int sink_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                      const gs_rules_state *s, gs_error *err)
{
    (void)st;
    (void)leaf;
    (void)s;
    (void)err;
    test_sink *t = ctx;
    assert_int_equal(index, t->entries); /* in log order, from 0 */
    t->entries++;
    return 0;
}

static int sink_end(void *ctx, const gs_audit_replay *rp, const gs_audit_trusted *t,
                    const char *skipped, gs_error *err)
{
    (void)err;
    test_sink *s = ctx;
    assert_true(s->n < 4);
    log_outcome *o = &s->logs[s->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->origin, sizeof o->origin, "%s", rp->origin);
    o->skipped = skipped != NULL;
    assert_true((skipped != NULL) == (t == NULL));
    if (skipped != NULL)
        snprintf(o->reason, sizeof o->reason, "%s", skipped);
    else
        o->entries = s->entries;
    o->verified = rp->verified;
    o->replayed = rp->replayed;
    o->n_failures = rp->n_failures;
    if (rp->n_kept > 0)
        snprintf(o->first_failure, sizeof o->first_failure, "%s", rp->failures[0]);
    return 0;
}

/* ---- fixtures ----------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    gs_error err = {0};
    if (gs_crypto_init(&err) != 0)
        return -1;
    seed_key(&node_kp, 1);
    seed_key(&hub_kp, 2);
    seed_key(&head_kp, 3);
    seed_key(&citizen_kp, 4);
    seed_key(&rogue_kp, 5);

    size_t n = 0;
    node_entries[n++] = charter(NODE, "an-binh", GS_TIER_COMMUNE, &node_kp);
    gs_statement st = base(NODE, 2, T0 + 60, GS_BODY_APPOINTMENT);
    st.u.appointment.person = head_kp.pub;
    st.u.appointment.name = "Nguyen Van A";
    st.u.appointment.role = GS_ROLE_HEAD;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    node_entries[n++] = sign(&st, &node_kp);
    for (uint64_t i = 0; i < COMMITS; i++) {
        char id[16];
        snprintf(id, sizeof id, "c-%llu", (unsigned long long)i);
        node_entries[n++] = commitment(&head_kp, i + 1, id);
    }
    gs_ref about = {.origin = NODE, .index = 2, .leaf_hash = leaf_of(&node_entries[2])};
    for (uint64_t seq = 1; n < N_NODE; seq++) {
        st = base(NODE, seq, T0 + (int64_t)seq * 86400, GS_BODY_FEEDBACK);
        st.u.feedback.text = "the road is still broken";
        st.u.feedback.has_about = true;
        st.u.feedback.about = about;
        node_entries[n++] = sign(&st, &citizen_kp);
    }

    char trust[1024], a[GS_VKEY_STR_MAX], b[GS_VKEY_STR_MAX];
    gs_vkey va, vb;
    if (gs_vkey_make(&va, NODE, GS_VKEY_ALG_ED25519, &node_kp.pub, &err) != 0 ||
        gs_vkey_format(&va, a, sizeof a, &err) != 0 ||
        gs_vkey_make(&vb, HUB, GS_VKEY_ALG_ED25519, &hub_kp.pub, &err) != 0 ||
        gs_vkey_format(&vb, b, sizeof b, &err) != 0)
        return -1;
    snprintf(node_vkey, sizeof node_vkey, "%s", a);
    snprintf(trust, sizeof trust, "log %s\nlog %s\nquorum none\n", a, b);
    if (gs_policy_parse(trust, strlen(trust), "test.policy", &policy, &err) != 0) {
        fprintf(stderr, "trust file: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_NODE; i++)
        gs_buf_free(&node_entries[i]);
    gs_policy_free(&policy);
    gs_keypair_wipe(&node_kp);
    gs_keypair_wipe(&hub_kp);
    gs_keypair_wipe(&head_kp);
    gs_keypair_wipe(&citizen_kp);
    gs_keypair_wipe(&rogue_kp);
    return 0;
}

/* A hub log observing the node log at each size of sizes (n of them); a
 * size with its bit set in wrong gets a root the node's entries do not
 * give. */
static size_t hub_log(gs_buf *out, const uint64_t *sizes, size_t n, unsigned wrong)
{
    size_t k = 0;
    out[k++] = charter(HUB, "test", GS_TIER_HUB, &hub_kp);
    for (size_t i = 0; i < n; i++) {
        gs_statement st = base(HUB, i + 2, T0 + (int64_t)i * 60, GS_BODY_OBSERVATION);
        st.u.observation.origin = NODE;
        st.u.observation.size = sizes[i];
        st.u.observation.root = root_of(node_entries, sizes[i] < N_NODE ? sizes[i] : N_NODE);
        if (wrong & (1u << i))
            st.u.observation.root.b[0] ^= 1;
        st.u.observation.time = T0 + (int64_t)i * 60;
        out[k++] = sign(&st, &hub_kp);
    }
    return k;
}

static void source_init(mem_source *m, gs_buf *hub, size_t n_hub, const gs_keypair *node_signer)
{
    memset(m, 0, sizeof *m);
    m->logs[0] = (mem_log){HUB, hub, n_hub, checkpoint(HUB, hub, n_hub, &hub_kp)};
    m->logs[1] =
        (mem_log){NODE, node_entries, N_NODE, checkpoint(NODE, node_entries, N_NODE, node_signer)};
    m->n_logs = 2;
    m->max_page = GS_MAX_ENTRIES;
    m->spoil = NONE;
}

static void source_clear(mem_source *m, gs_buf *hub, size_t n_hub)
{
    for (size_t i = 0; i < m->n_logs; i++)
        free(m->logs[i].note);
    for (size_t i = 0; i < n_hub; i++)
        gs_buf_free(&hub[i]);
}

/* ---- one log ---------------------------------------------------------------------------- */

static void test_replay_pages(void **state)
{
    (void)state;
    static const uint32_t pages[] = {1, 3, 7, GS_MAX_ENTRIES};
    gs_hash want = root_of(node_entries, N_NODE);
    gs_buf hub[MAX_HUB];
    size_t n_hub = hub_log(hub, NULL, 0, 0);
    gs_error err = {0};
    gs_pool *pool = NULL;
    assert_int_equal(gs_pool_new(&pool, 2, &err), 0);
    for (size_t i = 0; i < 2 * sizeof pages / sizeof pages[0]; i++) {
        mem_source m;
        source_init(&m, hub, n_hub, &node_kp);
        m.max_page = pages[i / 2];
        gs_audit_source src = source_of(&m);
        gs_audit_leafdb *db = NULL;
        gs_audit_observed obs[] = {
            {.size = 0},
            {.size = 5, .root = root_of(node_entries, 5)},
            {.size = 7, .root = root_of(node_entries, 6)}, /* not the size-7 root */
            {.size = N_NODE, .root = want}};
        test_sink sink = {0};
        gs_audit_replay rp = {.origin = NODE,
                              .size = N_NODE,
                              .pool = i % 2 ? pool : NULL,
                              .observed = obs,
                              .n_observed = 4,
                              .on_entry = sink_entry,
                              .ctx = &sink};
        assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
        rp.db = db;
        if (gs_audit_replay_run(&src, &rp, &err) != 0)
            fail_msg("page %u: %s", pages[i / 2], err.msg);
        assert_int_equal(rp.verified, N_NODE);
        assert_int_equal(rp.replayed, N_NODE);
        assert_int_equal(sink.entries, N_NODE);
        assert_false(rp.broken);
        assert_memory_equal(rp.root.b, want.b, 32);
        assert_false(obs[0].checked); /* size 0 says nothing */
        assert_true(obs[1].checked && obs[1].matched);
        assert_true(obs[2].checked && !obs[2].matched);
        assert_true(obs[3].checked && obs[3].matched);
        assert_int_equal(rp.n_failures, 1);
        assert_non_null(strstr(rp.failures[0], "the hub observed a root at size 7"));
        /* The leaf record holds every leaf, signer and kind. */
        size_t log;
        gs_audit_leaf l;
        assert_int_equal(gs_audit_leafdb_find(db, NODE, &log), 0);
        assert_int_equal(gs_audit_leafdb_size(db, log), N_NODE);
        assert_int_equal(gs_audit_leafdb_get(db, log, 3, &l, &err), 0);
        gs_hash h = leaf_of(&node_entries[3]);
        assert_memory_equal(l.leaf.b, h.b, 32);
        assert_memory_equal(l.signer.b, head_kp.pub.b, 32);
        assert_int_equal(l.kind, GS_BODY_COMMITMENT);
        assert_int_equal(gs_audit_leafdb_get(db, log, N_NODE, &l, &err), GS_ENOTFOUND);
        assert_int_equal(gs_audit_leafdb_begin(db, NODE, &log, &err), GS_ECONFLICT);
        gs_audit_replay_clear(&rp);
        gs_audit_leafdb_close(&db);
        assert_null(db);
        source_clear(&m, NULL, 0);
    }
    source_clear(&(mem_source){0}, hub, n_hub);
    gs_pool_free(&pool);
}

/* An entry altered in transit: its signature fails, the replay stops
 * there, signatures keep being checked, and the root is not the log's. */
static void test_replay_spoiled(void **state)
{
    (void)state;
    gs_buf hub[MAX_HUB];
    size_t n_hub = hub_log(hub, NULL, 0, 0);
    mem_source m;
    source_init(&m, hub, n_hub, &node_kp);
    m.max_page = 4;
    m.spoil = 10;
    gs_audit_source src = source_of(&m);
    gs_audit_leafdb *db = NULL;
    gs_error err = {0};
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    gs_audit_replay rp = {.origin = NODE, .size = N_NODE, .db = db};
    assert_int_equal(gs_audit_replay_run(&src, &rp, &err), 0);
    assert_true(rp.broken);
    assert_int_equal(rp.verified, N_NODE - 1);
    assert_int_equal(rp.replayed, 10);
    assert_int_equal(rp.n_failures, 2);
    assert_string_equal(
        rp.failures[0],
        "entry 10: its signature does not verify: the entry was altered [bad-signature]");
    assert_string_equal(rp.failures[1], "the replay stopped at entry 10");
    gs_hash want = root_of(node_entries, N_NODE);
    assert_memory_not_equal(rp.root.b, want.b, 32);
    gs_audit_replay_clear(&rp);
    gs_audit_leafdb_close(&db);
    source_clear(&m, hub, n_hub);
}

/* A log whose entry breaks the rule book: a commitment by a citizen. */
static void test_replay_rule_broken(void **state)
{
    (void)state;
    gs_buf entries[4];
    entries[0] = charter(NODE, "an-binh", GS_TIER_COMMUNE, &node_kp);
    entries[1] = commitment(&citizen_kp, 1, "c-0");
    entries[2] = commitment(&citizen_kp, 2, "c-1");
    entries[3] = commitment(&head_kp, 1, "c-2");
    mem_source m = {0};
    m.logs[0] = (mem_log){NODE, entries, 4, checkpoint(NODE, entries, 4, &node_kp)};
    m.n_logs = 1;
    m.max_page = 2;
    m.spoil = NONE;
    gs_audit_source src = source_of(&m);
    gs_audit_replay rp = {.origin = NODE, .size = 4};
    gs_error err = {0};
    assert_int_equal(gs_audit_replay_run(&src, &rp, &err), 0);
    assert_true(rp.broken);
    assert_int_equal(rp.verified, 4);
    assert_int_equal(rp.replayed, 1);
    assert_int_equal(rp.n_failures, 1);
    if (strstr(rp.failures[0], "entry 1 breaks the rule book") == NULL ||
        strstr(rp.failures[0], "[not-member]; the replay stopped") == NULL)
        fail_msg("unexpected failure: %s", rp.failures[0]);
    gs_audit_replay_clear(&rp);
    free(m.logs[0].note);
    for (size_t i = 0; i < 4; i++)
        gs_buf_free(&entries[i]);
}

/* A source that serves an empty page would loop forever: refused. */
static int empty_page(void *ctx, const char *origin, uint64_t start, uint32_t count,
                      gs_buf **entries, size_t *n, gs_error *err)
{
    (void)ctx;
    (void)origin;
    (void)start;
    (void)count;
    (void)err;
    *entries = NULL;
    *n = 0;
    return 0;
}

static void test_replay_empty_page(void **state)
{
    (void)state;
    gs_audit_source src = {NULL, mem_read_checkpoint, empty_page, NULL};
    gs_audit_replay rp = {.origin = NODE, .size = 3};
    gs_error err = {0};
    assert_int_equal(gs_audit_replay_run(&src, &rp, &err), GS_ENOTFOUND);
    assert_string_equal(err.msg, "the endpoint did not serve entry 0 of " NODE);
    gs_audit_replay_clear(&rp);
}

/* ---- a whole hub ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    uint64_t sizes[3];
    size_t n_sizes;
    unsigned wrong;
    const gs_keypair *node_signer;
    int checkpoint_error;
    /* want */
    int rc;
    bool skipped;
    uint64_t replayed, n_failures;
    const char *failure;
} run_case;

static const run_case run_cases[] = {
    {"honest", {5, N_NODE}, 2, 0, &node_kp, 0, 0, false, N_NODE, 0, NULL},
    {"an observed root the entries do not give",
     {5, 12, N_NODE},
     3,
     2,
     &node_kp,
     0,
     0,
     false,
     N_NODE,
     1,
     "the hub observed a root at size 12 that the entries served do not give"},
    {"the hub serves less than it cosigned",
     {5, N_NODE + 5},
     2,
     0,
     &node_kp,
     0,
     0,
     false,
     N_NODE,
     1,
     "the hub observed size 30 but serves a checkpoint of size 25"},
    {"a checkpoint the trust file does not believe",
     {5},
     1,
     0,
     &rogue_kp,
     0,
     0,
     true,
     0,
     0,
     "not signed by the log key the trust file lists"},
    {"a checkpoint the source refuses",
     {5},
     1,
     0,
     &node_kp,
     GS_ENOTFOUND,
     0,
     true,
     0,
     0,
     "the source is not answering"},
    {"a source that is gone", {5}, 1, 0, &node_kp, GS_EUNAVAIL, GS_EUNAVAIL, false, 0, 0, NULL},
};

static void test_run(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof run_cases / sizeof run_cases[0]; c++) {
        const run_case *k = &run_cases[c];
        gs_buf hub[MAX_HUB];
        size_t n_hub = hub_log(hub, k->sizes, k->n_sizes, k->wrong);
        mem_source m;
        source_init(&m, hub, n_hub, k->node_signer);
        m.max_page = 6;
        m.checkpoint_error = k->checkpoint_error;
        gs_audit_source src = source_of(&m);
        test_sink ts = {0};
        gs_audit_sink sink = {&ts, sink_begin, sink_entry, sink_end, NULL};
        gs_audit_leafdb *db = NULL;
        gs_error err = {0};
        assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
        gs_audit a = {.source = &src, .sink = &sink, .policy = policy, .db = db};
        int rc = gs_audit_run(&a, &err);
        if (rc != k->rc)
            fail_msg("%s: expected %s, got %s: %s", k->name, gs_error_name(k->rc),
                     gs_error_name(rc), err.msg);
        assert_string_equal(a.own_origin, HUB);
        assert_true(a.hub);
        if (rc == 0) {
            /* The hub's own log first, then the node's. */
            assert_int_equal(ts.n, 2);
            assert_string_equal(ts.logs[0].origin, HUB);
            assert_int_equal(ts.logs[0].n_failures, 0);
            assert_int_equal(ts.logs[0].replayed, n_hub);
            const log_outcome *o = &ts.logs[1];
            assert_string_equal(o->origin, NODE);
            assert_int_equal(o->skipped, k->skipped);
            assert_int_equal(o->replayed, k->replayed);
            assert_int_equal(o->entries, k->replayed);
            assert_int_equal(o->n_failures, k->n_failures);
            const char *why = k->skipped ? o->reason : o->first_failure;
            if (k->failure != NULL && strstr(why, k->failure) == NULL)
                fail_msg("%s: \"%s\" does not say \"%s\"", k->name, why, k->failure);
        }
        gs_audit_leafdb_close(&db);
        source_clear(&m, hub, n_hub);
    }
}

/* --origin: only the logs asked for (and always the source's own). */
static void test_run_origins(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {N_NODE};
    gs_buf hub[MAX_HUB];
    size_t n_hub = hub_log(hub, sizes, 1, 0);
    mem_source m;
    source_init(&m, hub, n_hub, &node_kp);
    gs_audit_source src = source_of(&m);
    test_sink ts = {0};
    gs_audit_sink sink = {&ts, sink_begin, sink_entry, sink_end, NULL};
    gs_audit_leafdb *db = NULL;
    gs_error err = {0};
    const char *const origins[] = {"giamsat/commune/elsewhere"};
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    gs_audit a = {.source = &src,
                  .sink = &sink,
                  .policy = policy,
                  .db = db,
                  .origins = origins,
                  .n_origins = 1};
    assert_int_equal(gs_audit_run(&a, &err), 0);
    assert_int_equal(ts.n, 2);
    assert_string_equal(ts.logs[1].origin, "giamsat/commune/elsewhere");
    assert_true(ts.logs[1].skipped);
    gs_audit_leafdb_close(&db);
    source_clear(&m, hub, n_hub);
}

/* The report drawn from the same run: verified, the hub named, the head
 * with their commitments, each feedback addressed to them. */
static void test_report(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {5, N_NODE};
    gs_buf hub[MAX_HUB];
    size_t n_hub = hub_log(hub, sizes, 2, 0);
    mem_source m;
    source_init(&m, hub, n_hub, &node_kp);
    m.max_page = 4;
    gs_audit_source src = source_of(&m);
    gs_audit_leafdb *db = NULL;
    gs_report *r = NULL;
    gs_audit_sink sink;
    gs_error err = {0};
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    assert_int_equal(gs_report_new(&r, T0 + 365 * 86400, 30, &err), 0);
    gs_report_sink(r, &sink);
    gs_audit a = {.source = &src, .sink = &sink, .policy = policy, .db = db};
    assert_int_equal(gs_audit_run(&a, &err), 0);
    gs_report_set_hub(r, a.own_origin);
    assert_int_equal(gs_report_finish(r, db, &err), 0);
    assert_false(gs_report_failed(r));
    json_t *d = gs_report_json(r);
    assert_true(json_is_true(json_object_get(d, "verified")));
    assert_string_equal(json_string_value(json_object_get(d, "hub")), HUB);
    assert_int_equal(json_array_size(json_object_get(d, "logs")), 2);
    json_t *people = json_object_get(d, "people");
    assert_int_equal(json_array_size(people), 1);
    json_t *head = json_array_get(people, 0);
    assert_string_equal(json_string_value(json_object_get(head, "name")), "Nguyen Van A");
    assert_int_equal(json_array_size(json_object_get(head, "commitments")), COMMITS);
    assert_int_equal(json_array_size(json_object_get(head, "addressed")), N_NODE - 2 - COMMITS);
    json_t *sum = json_object_get(head, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "overdue")), COMMITS);
    assert_int_equal(json_integer_value(json_object_get(sum, "unanswered")), N_NODE - 2 - COMMITS);
    /* Text and HTML show bidi controls and zero-width characters as code
     * points: none reaches the reader raw. */
    static const struct {
        gs_report_format fmt;
        const char *name, *commitment;
    } shown[] = {
        {GS_REPORT_TEXT, "Xa <U+202E>An Binh", "repair the <U+2066>school<U+2069> road<U+200B>"},
        {GS_REPORT_HTML, "Xa &lt;U+202E&gt;An Binh",
         "repair the &lt;U+2066&gt;school&lt;U+2069&gt; road&lt;U+200B&gt;"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        assert_int_equal(gs_report_write(r, shown[i].fmt, f, &err), 0);
        assert_int_equal(fclose(f), 0);
        if (strstr(text, shown[i].name) == NULL || strstr(text, shown[i].commitment) == NULL)
            fail_msg("format %d does not show the characters:\n%s", (int)shown[i].fmt, text);
        assert_null(strstr(text, "\u202E"));
        assert_null(strstr(text, "\u2066"));
        assert_null(strstr(text, "\u2069"));
        assert_null(strstr(text, "\u200B"));
        free(text);
    }
    gs_report_free(&r);
    assert_null(r);
    gs_audit_leafdb_close(&db);
    source_clear(&m, hub, n_hub);
}

/* ---- evidence ------------------------------------------------------------------------- */

/* A note of origin at size with root, signed by kp. */
static char *note_with_root(const char *origin, uint64_t size, const gs_hash *root,
                            const gs_keypair *kp)
{
    char *body = NULL, *note = NULL;
    gs_error err = {0};
    if (gs_checkpoint_format(origin, size, root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), origin, kp, &note, &err) != 0)
        fail_msg("note: %s", err.msg);
    free(body);
    return note;
}

/* How a piece of split-view evidence about NODE at size 5 is spoiled. */
typedef enum {
    EV_TRUE,           /* two log-signed checkpoints of size 5, two roots */
    EV_SAME_TWICE,     /* one checkpoint twice: proves nothing */
    EV_ROGUE_SIGNED,   /* the other checkpoint signed by another key */
    EV_UNKNOWN_ORIGIN, /* about a log the trust file does not list */
    EV_DETECTOR_SIG,   /* a byte of the detector's signature flipped */
} ev_spoil;

/* An Evidence statement, signed by detector, as a hub (origin HUB, seq) or
 * as a monitor (origin = the accused log) would sign it. */
static gs_buf split_view(ev_spoil how, const gs_keypair *detector, bool in_hub_log, uint64_t seq)
{
    gs_hash other = root_of(node_entries, 5);
    other.b[0] ^= 0x55;
    const char *origin = how == EV_UNKNOWN_ORIGIN ? "giamsat/commune/unknown" : NODE;
    char *a = checkpoint(NODE, node_entries, 5, &node_kp);
    char *b = note_with_root(NODE, 5, &other, how == EV_ROGUE_SIGNED ? &rogue_kp : &node_kp);
    gs_statement st =
        base(in_hub_log ? HUB : origin, seq, T0 + 1000 + (int64_t)seq, GS_BODY_EVIDENCE);
    st.u.evidence.kind = GS_EVIDENCE_SPLIT_VIEW;
    st.u.evidence.origin = origin;
    st.u.evidence.log_key = node_vkey;
    st.u.evidence.checkpoint_a = a;
    st.u.evidence.checkpoint_b = how == EV_SAME_TWICE ? a : b;
    st.u.evidence.reason = "two <b>roots</b> for one size";
    st.u.evidence.detected_at = T0 + 1000;
    gs_buf out = sign(&st, detector);
    if (how == EV_DETECTOR_SIG)
        out.p[out.n - 1] ^= 0x01; /* the signature is the last field */
    free(a);
    free(b);
    return out;
}

static const struct {
    const char *name;
    ev_spoil how;
    bool proof, decoded, reporter_signed;
    const char *why; /* part of the reason when not proof */
} evidence_cases[] = {
    {"a true split view", EV_TRUE, true, true, true, NULL},
    {"one checkpoint twice", EV_SAME_TWICE, false, true, true, ""},
    {"a checkpoint the log did not sign", EV_ROGUE_SIGNED, false, true, true, ""},
    {"a log the trust file does not list", EV_UNKNOWN_ORIGIN, false, true, true,
     "is not a log in the trust file"},
    {"an altered detector signature", EV_DETECTOR_SIG, false, true, false,
     "the detector's signature does not verify"},
};

/* gs_audit_evidence_check: proof only when gs_evidence_verify says so; any
 * other piece is kept, unverifiable, with its detector named. */
static void test_evidence_check(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof evidence_cases / sizeof evidence_cases[0]; c++) {
        gs_buf e = split_view(evidence_cases[c].how, &hub_kp, true, 7);
        gs_audit_evidence ev;
        gs_error err = {0};
        assert_int_equal(gs_audit_evidence_check(policy, gs_bytes_of(e.p, e.n), &ev, &err), 0);
        if (ev.proof != evidence_cases[c].proof)
            fail_msg("%s: proof %d, expected %d (%s)", evidence_cases[c].name, ev.proof,
                     evidence_cases[c].proof, ev.why);
        assert_int_equal(ev.decoded, evidence_cases[c].decoded);
        assert_int_equal(ev.reporter_signed, evidence_cases[c].reporter_signed);
        assert_memory_equal(ev.reporter.b, hub_kp.pub.b, 32);
        assert_string_equal(ev.reporter_origin, HUB);
        assert_int_equal(ev.kind, GS_EVIDENCE_SPLIT_VIEW);
        assert_true(ev.has_a && ev.has_b && ev.size_a == 5 && ev.size_b == 5);
        gs_hash leaf = leaf_of(&e);
        assert_memory_equal(ev.leaf.b, leaf.b, 32);
        if (ev.proof) {
            assert_true(ev.against_log);
            assert_string_equal(ev.why, "");
        } else {
            assert_false(ev.against_log);
            if (ev.why[0] == '\0' || strstr(ev.why, evidence_cases[c].why) == NULL)
                fail_msg("%s: \"%s\" does not say \"%s\"", evidence_cases[c].name, ev.why,
                         evidence_cases[c].why);
        }
        gs_buf_free(&e);
    }
    /* Not evidence at all, and not even a statement: kept, not proof. */
    gs_audit_evidence ev;
    gs_error err = {0};
    assert_int_equal(gs_audit_evidence_check(
                         policy, gs_bytes_of(node_entries[0].p, node_entries[0].n), &ev, &err),
                     0);
    assert_false(ev.proof);
    assert_false(ev.decoded);
    assert_non_null(strstr(ev.why, "not evidence"));
    assert_int_equal(gs_audit_evidence_check(policy, gs_bytes_of("\xff\xff", 2), &ev, &err), 0);
    assert_false(ev.proof);
    assert_non_null(strstr(ev.why, "not a signed statement"));
}

/* A hub that holds evidence: in its own log (which observes nothing, so the
 * accused log is audited because of it), in its GetEvidence answer (the
 * same bytes, and a false piece), and a monitor's copy of the true piece
 * with an altered one. Each piece once; the report leads with them; the log
 * frozen by the proof; never "everything verified". */
static void test_report_evidence(void **state)
{
    (void)state;
    gs_buf hub[MAX_HUB], held[2], altered;
    size_t n_hub = hub_log(hub, NULL, 0, 0);
    hub[n_hub++] = split_view(EV_TRUE, &hub_kp, true, 2);
    held[0] = split_view(EV_TRUE, &hub_kp, true, 2); /* the same bytes */
    assert_memory_equal(held[0].p, hub[n_hub - 1].p, held[0].n);
    held[1] = split_view(EV_SAME_TWICE, &rogue_kp, false, 9);
    altered = split_view(EV_DETECTOR_SIG, &citizen_kp, false, 3);
    mem_source m;
    source_init(&m, hub, n_hub, &node_kp);
    m.evidence = held;
    m.n_evidence = 2;
    gs_audit_source src = source_of(&m);
    gs_audit_leafdb *db = NULL;
    gs_report *r = NULL;
    gs_audit_sink sink;
    gs_error err = {0};
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    assert_int_equal(gs_report_new(&r, T0 + 365 * 86400, 30, &err), 0);
    gs_report_sink(r, &sink);
    gs_audit a = {.source = &src, .sink = &sink, .policy = policy, .db = db};
    assert_int_equal(gs_audit_add_evidence(&a, gs_bytes_of(held[0].p, held[0].n),
                                           GS_AUDIT_FROM_MONITOR, "mon/1-split-view.evidence",
                                           &err),
                     0);
    assert_int_equal(gs_audit_add_evidence(&a, gs_bytes_of(altered.p, altered.n),
                                           GS_AUDIT_FROM_MONITOR, "mon/2-split-view.evidence",
                                           &err),
                     0);
    assert_int_equal(gs_audit_run(&a, &err), 0);
    assert_int_equal(a.n_evidence, 3);
    assert_int_equal(a.evidence[0].from,
                     GS_AUDIT_FROM_MONITOR | GS_AUDIT_FROM_HUB | GS_AUDIT_FROM_HUB_LOG);
    assert_int_equal(a.evidence[0].hub_log_index, n_hub - 1);
    gs_report_set_hub(r, a.own_origin);
    assert_int_equal(gs_report_finish(r, db, &err), 0);
    assert_true(gs_report_failed(r));
    size_t proof, unverifiable;
    gs_report_evidence_count(r, &proof, &unverifiable);
    assert_int_equal(proof, 1);
    assert_int_equal(unverifiable, 2);

    json_t *d = gs_report_json(r);
    assert_true(json_is_false(json_object_get(d, "verified")));
    /* The document leads with the evidence: before the logs. */
    const char *first = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(d, key, v)
    {
        if (strcmp(key, "evidence") == 0 || strcmp(key, "logs") == 0) {
            first = key;
            break;
        }
    }
    assert_string_equal(first, "evidence");
    json_t *ev = json_object_get(d, "evidence");
    assert_int_equal(json_array_size(ev), 3);
    json_t *e0 = json_array_get(ev, 0), *e1 = json_array_get(ev, 1), *e2 = json_array_get(ev, 2);
    assert_string_equal(json_string_value(json_object_get(e0, "verdict")), "proof");
    assert_string_equal(json_string_value(json_object_get(e0, "against")), "log");
    assert_string_equal(json_string_value(json_object_get(e0, "kind")), "split-view");
    json_t *in = json_object_get(e0, "found_in");
    assert_true(json_is_true(json_object_get(in, "hub")));
    assert_int_equal(json_integer_value(json_object_get(in, "hub_log_index")), n_hub - 1);
    assert_string_equal(json_string_value(json_object_get(in, "monitor")),
                        "mon/1-split-view.evidence");
    assert_string_equal(json_string_value(json_object_get(e1, "verdict")), "unverifiable");
    assert_true(
        json_is_false(json_object_get(json_object_get(e1, "detector"), "signature_verified")));
    assert_string_equal(json_string_value(json_object_get(e2, "verdict")), "unverifiable");
    assert_true(json_is_null(json_object_get(e2, "against")));
    assert_true(
        json_is_true(json_object_get(json_object_get(e2, "detector"), "signature_verified")));
    json_t *logs = json_object_get(d, "logs");
    assert_int_equal(json_array_size(logs), 2);
    json_t *node = json_array_get(logs, 1);
    assert_string_equal(json_string_value(json_object_get(node, "origin")), NODE);
    assert_string_equal(json_string_value(json_object_get(node, "status")), "evidence");
    assert_true(json_is_true(json_object_get(node, "frozen_by_evidence")));
    assert_int_equal(json_array_size(json_object_get(node, "evidence")), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(logs, 0), "status")),
                        "verified");

    /* Text and HTML: the evidence first, untrusted words escaped, and never
     * "everything verified". */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(gs_report_write(r, GS_REPORT_TEXT, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\nEVIDENCE: 1 verified (proof), 2 unverifiable (not proof)\n"));
    assert_true(strstr(buf, "EVIDENCE:") < strstr(buf, "\nLOGS\n"));
    assert_non_null(strstr(buf, "[1] PROOF split-view against the log " NODE));
    assert_non_null(strstr(buf, "NOT proof, nothing is held against the log"));
    assert_non_null(strstr(buf, "      EVIDENCE [1]: proof of split-view by " HUB "\n"));
    assert_non_null(strstr(buf, "      EVIDENCE [3]: unverifiable split-view by " NODE "\n"));
    assert_null(strstr(buf, "everything verified"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(gs_report_write(r, GS_REPORT_HTML, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "<h2 class=\"s-evidence\">Evidence</h2>"));
    assert_true(strstr(buf, "Evidence</h2>") < strstr(buf, "<p>As of"));
    assert_non_null(strstr(buf, "two &lt;b&gt;roots&lt;/b&gt; for one size"));
    assert_null(strstr(buf, "<b>roots</b>"));
    assert_null(strstr(buf, "everything verified"));
    free(buf);

    gs_report_free(&r);
    gs_audit_clear(&a);
    assert_null(a.evidence);
    gs_audit_leafdb_close(&db);
    source_clear(&m, hub, n_hub);
    gs_buf_free(&held[0]);
    gs_buf_free(&held[1]);
    gs_buf_free(&altered);
}

/* Only a piece that does not verify: listed first, the audit fails, but
 * the log is not accused. */
static void test_report_unverifiable_only(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {N_NODE};
    gs_buf hub[MAX_HUB];
    size_t n_hub = hub_log(hub, sizes, 1, 0);
    gs_buf held = split_view(EV_ROGUE_SIGNED, &hub_kp, true, 3);
    mem_source m;
    source_init(&m, hub, n_hub, &node_kp);
    m.evidence = &held;
    m.n_evidence = 1;
    gs_audit_source src = source_of(&m);
    gs_audit_leafdb *db = NULL;
    gs_report *r = NULL;
    gs_audit_sink sink;
    gs_error err = {0};
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    assert_int_equal(gs_report_new(&r, T0 + 365 * 86400, 30, &err), 0);
    gs_report_sink(r, &sink);
    gs_audit a = {.source = &src, .sink = &sink, .policy = policy, .db = db};
    assert_int_equal(gs_audit_run(&a, &err), 0);
    assert_int_equal(gs_report_finish(r, db, &err), 0);
    assert_true(gs_report_failed(r));
    json_t *d = gs_report_json(r);
    json_t *node = json_array_get(json_object_get(d, "logs"), 1);
    assert_string_equal(json_string_value(json_object_get(node, "status")), "verified");
    assert_true(json_is_false(json_object_get(node, "frozen_by_evidence")));
    assert_int_equal(json_array_size(json_object_get(node, "evidence")), 1);
    json_t *e = json_array_get(json_object_get(d, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "verdict")), "unverifiable");
    assert_true(json_is_string(json_object_get(e, "error")));
    gs_report_free(&r);
    gs_audit_clear(&a);
    gs_audit_leafdb_close(&db);
    source_clear(&m, hub, n_hub);
    gs_buf_free(&held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_pages),
        cmocka_unit_test(test_replay_spoiled),
        cmocka_unit_test(test_replay_rule_broken),
        cmocka_unit_test(test_replay_empty_page),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_run_origins),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_evidence_check),
        cmocka_unit_test(test_report_evidence),
        cmocka_unit_test(test_report_unverifiable_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
