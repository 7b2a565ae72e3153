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
    gs_audit_source s = {m, mem_read_checkpoint, mem_read_page, mem_read_evidence, NULL};
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
    gs_audit_source src = {NULL, mem_read_checkpoint, empty_page, NULL, NULL};
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

/* A hub log of more Observations than the audit buffers (they are streamed
 * to a temporary file and grouped by origin): of the node at every size, in
 * a shuffled order, interleaved with Observations of a log the source does
 * not serve. The node's are all checked (one altered
 * root is one failure); the logs are audited in order of origin. */
#define MANY_OBS 1500
static void test_run_many_observations(void **state)
{
    (void)state;
    gs_buf *hub = calloc(MANY_OBS + 1, sizeof *hub);
    assert_non_null(hub);
    size_t n_hub = 0;
    hub[n_hub++] = charter(HUB, "test", GS_TIER_HUB, &hub_kp);
    for (size_t i = 0; i < MANY_OBS; i++) {
        gs_statement st = base(HUB, i + 2, T0 + (int64_t)i, GS_BODY_OBSERVATION);
        uint64_t size = 1 + (i * 7) % N_NODE;
        st.u.observation.origin = i % 3 == 1 ? "giamsat/commune/elsewhere" : NODE;
        st.u.observation.size = size;
        st.u.observation.root = root_of(node_entries, size);
        if (i == 999)
            st.u.observation.root.b[3] ^= 1; /* i % 3 == 0: the node's */
        st.u.observation.time = st.issued_at;
        hub[n_hub++] = sign(&st, &hub_kp);
    }
    mem_source m;
    source_init(&m, hub, n_hub, &node_kp);
    gs_audit_source src = source_of(&m);
    test_sink ts = {0};
    gs_audit_sink sink = {&ts, sink_begin, sink_entry, sink_end, NULL};
    gs_audit_leafdb *db = NULL;
    gs_error err = {0};
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    gs_audit a = {.source = &src, .sink = &sink, .policy = policy, .db = db};
    assert_int_equal(gs_audit_run(&a, &err), 0);
    assert_int_equal(ts.n, 3);
    assert_string_equal(ts.logs[0].origin, HUB);
    assert_int_equal(ts.logs[0].n_failures, 0);
    assert_string_equal(ts.logs[1].origin, NODE);
    assert_int_equal(ts.logs[1].replayed, N_NODE);
    assert_int_equal(ts.logs[1].n_failures, 1);
    if (strstr(ts.logs[1].first_failure, "the hub observed a root at size") == NULL)
        fail_msg("the failure says \"%s\"", ts.logs[1].first_failure);
    assert_string_equal(ts.logs[2].origin, "giamsat/commune/elsewhere");
    assert_true(ts.logs[2].skipped);
    gs_audit_leafdb_close(&db);
    source_clear(&m, hub, n_hub);
    free(hub);
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
    /* The page leads with the evidence alert, before the summary. */
    assert_non_null(strstr(buf, "id=\"evidence-alert\""));
    assert_non_null(strstr(buf, "id=\"summary\""));
    assert_true(strstr(buf, "id=\"evidence-alert\"") < strstr(buf, "id=\"summary\""));
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

/* ---- the judgement (docs/audit.md, "Judgements") --------------------------------------- */

#define DAY 86400
#define FX(x) ((int64_t)(x)*GS_FIXED_SCALE)

static gs_judge_in judge_in(int64_t target, gs_direction dir, int64_t deadline)
{
    gs_judge_in in = {.issued_at = T0, .target = target, .deadline = deadline, .dir = dir};
    return in;
}

static void with_outcome(gs_judge_in *in, int64_t value, int64_t at)
{
    in->has_outcome = true;
    in->outcome_value = value;
    in->outcome_time = at;
}

static void with_progress(gs_judge_in *in, uint64_t n, int64_t t1, int64_t v1, int64_t t2,
                          int64_t v2)
{
    in->n_progress = n;
    in->first_time = t1;
    in->first_value = v1;
    in->last_time = t2;
    in->last_value = v2;
}

static const char *percent_str(int64_t tenths)
{
    static char s[32];
    gs_percent_format(tenths, s, sizeof s);
    return s;
}

/* Every status with an Outcome, the threshold and percent_of_target. */
static void test_judge_outcome(void **state)
{
    (void)state;
    int64_t as_of = T0 + 100 * DAY, dl = T0 + 30 * DAY;
    gs_judgement j;
    gs_judge_in in = judge_in(FX(100), GS_DIRECTION_AT_LEAST, dl);
    with_outcome(&in, FX(100), dl); /* at the deadline is in time */
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_DELIVERED);
    assert_true(j.has_percent);
    assert_string_equal(percent_str(j.percent), "100.0");
    with_outcome(&in, FX(120), dl + 1);
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_DELIVERED_LATE);
    assert_string_equal(percent_str(j.percent), "120.0");
    with_outcome(&in, FX(75), dl); /* exactly the default 75% */
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_PARTIALLY_DELIVERED);
    assert_string_equal(percent_str(j.percent), "75.0");
    with_outcome(&in, 74999999, dl); /* 74.99999…%: truncated to 74.9 */
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_MISSED);
    assert_string_equal(percent_str(j.percent), "74.9");
    in.partial_percent = 70; /* the log's threshold */
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_PARTIALLY_DELIVERED);
    in.partial_percent = 0;
    /* A late miss is judged by the measure, not the date. */
    with_outcome(&in, FX(80), dl + DAY);
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_PARTIALLY_DELIVERED);
    /* An Outcome is judged as it is, whatever the projection said. */
    assert_false(j.projection || j.silence || j.has_progress_percent);
    /* at-most: at or under is 100%; over is target/value. */
    in = judge_in(FX(10), GS_DIRECTION_AT_MOST, dl);
    with_outcome(&in, FX(4), dl);
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_DELIVERED);
    assert_string_equal(percent_str(j.percent), "100.0");
    with_outcome(&in, FX(12), dl);
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_PARTIALLY_DELIVERED);
    assert_string_equal(percent_str(j.percent), "83.3");
    with_outcome(&in, FX(14), dl);
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_MISSED);
    assert_string_equal(percent_str(j.percent), "71.4");
    /* No percent where it means nothing: at-least with target <= 0. */
    in = judge_in(0, GS_DIRECTION_AT_LEAST, dl);
    with_outcome(&in, -1, dl);
    gs_judge(&in, as_of, &j);
    assert_int_equal(j.status, GS_JUDGED_MISSED);
    assert_false(j.has_percent);
    int64_t t;
    assert_false(gs_judge_percent(-5, -10, GS_DIRECTION_AT_MOST, &t));
    assert_true(gs_judge_percent(FX(-1), FX(200), GS_DIRECTION_AT_LEAST, &t));
    assert_string_equal(percent_str(t), "-0.5");
    assert_true(gs_judge_percent(INT64_MAX, 1, GS_DIRECTION_AT_LEAST, &t));
    assert_int_equal(t, INT64_MAX); /* clamped, never wrapped */
}

/* Without an Outcome: overdue, at risk by projection or silence, open. */
static void test_judge_open(void **state)
{
    (void)state;
    int64_t dl = T0 + 300 * DAY;
    gs_judgement j;
    gs_judge_in in = judge_in(FX(100), GS_DIRECTION_AT_LEAST, dl);
    /* Overdue: the deadline before as_of; at the deadline it is not. */
    gs_judge(&in, dl + 1, &j);
    assert_int_equal(j.status, GS_JUDGED_OVERDUE);
    /* Silence: 100 days of 300 is not more than a third; 100 days and a
     * second is. */
    gs_judge(&in, T0 + 100 * DAY, &j);
    assert_int_equal(j.status, GS_JUDGED_OPEN);
    gs_judge(&in, T0 + 100 * DAY + 1, &j);
    assert_int_equal(j.status, GS_JUDGED_AT_RISK);
    assert_true(j.silence);
    assert_false(j.projection || j.has_projected);
    assert_int_equal(j.silent_since, T0);
    assert_int_equal(j.silent_for, 100 * DAY + 1);
    /* Two reports: 10 at day 100, 20 at day 190 → 32.222222 at day 300. */
    with_progress(&in, 2, T0 + 100 * DAY, FX(10), T0 + 190 * DAY, FX(20));
    gs_judge(&in, T0 + 200 * DAY, &j);
    assert_int_equal(j.status, GS_JUDGED_AT_RISK);
    assert_true(j.projection);
    assert_false(j.silence);
    assert_true(j.has_projected);
    assert_int_equal(j.projected, 32222222);
    assert_true(j.has_progress_percent);
    assert_string_equal(percent_str(j.progress_percent), "20.0");
    assert_int_equal(j.silent_since, T0 + 190 * DAY);
    /* Both warnings. */
    gs_judge(&in, T0 + 291 * DAY, &j);
    assert_true(j.projection && j.silence);
    /* On track: 30 at day 100, 70 at day 190 → 118.888888. */
    with_progress(&in, 5, T0 + 100 * DAY, FX(30), T0 + 190 * DAY, FX(70));
    gs_judge(&in, T0 + 200 * DAY, &j);
    assert_int_equal(j.status, GS_JUDGED_OPEN);
    assert_int_equal(j.projected, 118888888);
    /* One report, at-least: the line from (issued_at, 0): 25 at day 100 →
     * 75 at day 300, short. */
    with_progress(&in, 1, T0 + 100 * DAY, FX(25), T0 + 100 * DAY, FX(25));
    gs_judge(&in, T0 + 120 * DAY, &j);
    assert_int_equal(j.status, GS_JUDGED_AT_RISK);
    assert_true(j.projection);
    assert_int_equal(j.projected, FX(75));
    /* One report, at-most: no projection is made. */
    in = judge_in(FX(10), GS_DIRECTION_AT_MOST, dl);
    with_progress(&in, 1, T0 + 100 * DAY, FX(25), T0 + 100 * DAY, FX(25));
    gs_judge(&in, T0 + 120 * DAY, &j);
    assert_int_equal(j.status, GS_JUDGED_OPEN);
    assert_false(j.has_projected);
    /* at-most, falling too slowly: 30 → 20 over 100 days, 0 by day 300?
     * 20 - 10 * 100/100 = 10 at day 300: on target; 30 → 25 is short. */
    with_progress(&in, 2, T0 + 100 * DAY, FX(30), T0 + 200 * DAY, FX(20));
    gs_judge(&in, T0 + 210 * DAY, &j);
    assert_int_equal(j.projected, FX(10));
    assert_int_equal(j.status, GS_JUDGED_OPEN);
    with_progress(&in, 2, T0 + 100 * DAY, FX(30), T0 + 200 * DAY, FX(25));
    gs_judge(&in, T0 + 210 * DAY, &j);
    assert_int_equal(j.projected, FX(20));
    assert_int_equal(j.status, GS_JUDGED_AT_RISK);
    assert_true(j.projection);
}

/* At most 48 points; the first and the latest always kept. */
static void test_sample(void **state)
{
    (void)state;
    gs_sample s = {0};
    for (int64_t i = 0; i < 48; i++)
        gs_sample_add(&s, i, i);
    assert_int_equal(s.n, 48);
    gs_sample_add(&s, 48, 48); /* full: 0, 2, …, 46, then 48 */
    assert_int_equal(s.n, 25);
    assert_int_equal(s.p[1].time, 2);
    assert_int_equal(s.p[24].time, 48);
    for (int64_t i = 49; i < 1000; i++) {
        gs_sample_add(&s, i, i);
        assert_true(s.n <= GS_REPORT_SAMPLE_MAX);
        assert_int_equal(s.p[0].time, 0);
        assert_int_equal(s.p[s.n - 1].time, i);
        for (size_t k = 1; k < s.n; k++)
            assert_true(s.p[k].time > s.p[k - 1].time);
    }
    assert_int_equal(s.seen, 1000);
}

static void test_mean(void **state)
{
    (void)state;
    char m[32];
    gs_mean_format(13, 3, m, sizeof m);
    assert_string_equal(m, "4.33");
    gs_mean_format(11, 3, m, sizeof m);
    assert_string_equal(m, "3.67");
    gs_mean_format(9, 8, m, sizeof m); /* 1.125: half up */
    assert_string_equal(m, "1.13");
    gs_mean_format(5, 1, m, sizeof m);
    assert_string_equal(m, "5.00");
    gs_mean_format(0, 0, m, sizeof m);
    assert_string_equal(m, "0.00");
}

/* ---- the judgement in a report ----------------------------------------------------------- */

#define JLOG "giamsat/commune/judge"
#define J_ENTRIES 64

static gs_keypair head2_kp, insp_kp;

typedef struct {
    gs_buf e[J_ENTRIES];
    size_t n;
    const gs_keypair *who[8];
    uint64_t seq[8];
} jlog;

static uint64_t jput(jlog *l, gs_statement *st, const gs_keypair *kp)
{
    size_t k = 0;
    while (k < 8 && l->who[k] != NULL && l->who[k] != kp)
        k++;
    assert_true(k < 8);
    l->who[k] = kp;
    st->seq = ++l->seq[k];
    st->origin = JLOG;
    assert_true(l->n < J_ENTRIES);
    l->e[l->n] = sign(st, kp);
    return l->n++;
}

/* The judged commune's Charter, the log's first entry. */
static void jcharter(jlog *l)
{
    gs_statement st = base(JLOG, 0, T0, GS_BODY_CHARTER);
    st.u.charter.unit = "judge";
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xa Judge";
    st.u.charter.time_zone = "";
    jput(l, &st, &node_kp);
}

static uint64_t jappoint(jlog *l, int64_t at, const gs_keypair *who, const char *name, gs_role role)
{
    gs_statement st = base(JLOG, 0, at, GS_BODY_APPOINTMENT);
    st.u.appointment.person = who->pub;
    st.u.appointment.name = name;
    st.u.appointment.role = role;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    return jput(l, &st, &node_kp);
}

static uint64_t jcommit(jlog *l, const char *id, const char *uom, int64_t target, int64_t deadline,
                        int64_t parent)
{
    gs_statement st = base(JLOG, 0, T0 + DAY, GS_BODY_COMMITMENT);
    st.u.commitment.id = id;
    st.u.commitment.title = id;
    st.u.commitment.indicator = "measure";
    st.u.commitment.unit_of_measure = uom;
    st.u.commitment.target = target;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = deadline;
    if (parent >= 0) {
        st.u.commitment.has_parent = true;
        st.u.commitment.parent.origin = JLOG;
        st.u.commitment.parent.index = (uint64_t)parent;
        st.u.commitment.parent.leaf_hash = leaf_of(&l->e[parent]);
    }
    return jput(l, &st, &head_kp);
}

static uint64_t jreport(jlog *l, gs_body_kind kind, const char *id, int64_t value, int64_t at,
                        const gs_keypair *kp)
{
    gs_statement st = base(JLOG, 0, at, kind);
    if (kind == GS_BODY_PROGRESS) {
        st.u.progress.commitment_id = id;
        st.u.progress.value = value;
        st.u.progress.note = "";
    } else {
        st.u.outcome.commitment_id = id;
        st.u.outcome.value = value;
    }
    return jput(l, &st, kp);
}

static uint64_t jfinding(jlog *l, uint64_t about, gs_verdict v, int64_t at)
{
    gs_statement st = base(JLOG, 0, at, GS_BODY_FINDING);
    st.u.finding.about.origin = JLOG;
    st.u.finding.about.index = about;
    st.u.finding.about.leaf_hash = leaf_of(&l->e[about]);
    st.u.finding.severity = GS_SEVERITY_MEDIUM;
    st.u.finding.text = "checked on site";
    st.u.finding.verdict = v;
    return jput(l, &st, &insp_kp);
}

static void jrate(jlog *l, uint32_t rating, int64_t at)
{
    gs_statement st = base(JLOG, 0, at, GS_BODY_FEEDBACK);
    st.u.feedback.text = "rating";
    st.u.feedback.rating = rating;
    jput(l, &st, &citizen_kp);
}

static json_t *jfind(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(json_object_get(v, key));
        if (s != NULL && strcmp(s, value) == 0)
            return v;
    }
    fail_msg("no %s = %s", key, value);
    return NULL;
}

static const char *jstr(json_t *o, const char *path)
{
    /* "a.b.c" */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k != NULL;
         k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    if (json_is_null(v))
        return "null";
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    static char num[32];
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return num;
    }
    if (!json_is_string(v))
        fail_msg("%s is not a value", path);
    return json_string_value(v);
}

static long long jint(json_t *o, const char *path)
{
    return strtoll(jstr(o, path), NULL, 10);
}

/* The log replayed through the real rule book and leaf record into a new
 * report's sink (*sink), its end not yet told: *rp is the replay (the
 * caller clears it), *dbp the leaf record (the caller closes it). */
static gs_report *replay_into_report(jlog *jl, int64_t as_of, gs_audit_leafdb **dbp,
                                     gs_audit_replay *rp, gs_audit_sink *sink)
{
    mem_source m = {.n_logs = 1, .max_page = 5, .spoil = NONE};
    m.logs[0] = (mem_log){.origin = JLOG, .entries = jl->e, .n = jl->n};
    gs_audit_source src = source_of(&m);
    gs_audit_leafdb *db = NULL;
    gs_report *r = NULL;
    gs_error err = {0};
    assert_int_equal(gs_audit_leafdb_open(&db, &err), 0);
    assert_int_equal(gs_report_new(&r, as_of, 30, &err), 0);
    gs_report_sink(r, sink);
    *rp = (gs_audit_replay){
        .origin = JLOG, .size = jl->n, .db = db, .on_entry = sink->on_entry, .ctx = sink->ctx};
    assert_int_equal(sink->begin_log(sink->ctx, JLOG, &err), 0);
    assert_int_equal(gs_audit_replay_run(&src, rp, &err), 0);
    if (rp->n_failures > 0)
        fail_msg("the log does not replay: %s", rp->failures[0]);
    assert_int_equal(rp->replayed, jl->n);
    *dbp = db;
    return r;
}

/* The judged log replayed into a new report's sink (with two Revisions
 * handed to the sink directly), not yet finished. *dbp is the leaf record
 * (the caller closes it). */
static gs_report *judged_report(jlog *jl, int64_t as_of, uint64_t p1, uint64_t o_del,
                                uint64_t f_late, gs_audit_leafdb **dbp)
{
    gs_audit_leafdb *db = NULL;
    gs_audit_sink sink;
    gs_audit_replay rp;
    gs_error err = {0};
    gs_report *r = replay_into_report(jl, as_of, &db, &rp, &sink);
    /* The leaf record names the commitment of a Progress and an Outcome. */
    size_t lg;
    gs_audit_leaf lf;
    assert_int_equal(gs_audit_leafdb_find(db, JLOG, &lg), 0);
    assert_int_equal(gs_audit_leafdb_get(db, lg, p1, &lf, &err), 0);
    assert_int_equal(lf.kind, GS_BODY_PROGRESS);
    assert_int_equal(lf.commitment, 8); /* proj */
    assert_int_equal(gs_audit_leafdb_get(db, lg, o_del, &lf, &err), 0);
    assert_int_equal(lf.commitment, 3); /* del */
    assert_int_equal(gs_audit_leafdb_get(db, lg, f_late, &lf, &err), 0);
    assert_int_equal(lf.commitment, UINT64_MAX);
    /* Revisions of open1, as the rule book will hand them: one before
     * as_of (in force), one after (not counted). */
    gs_statement rv = base(JLOG, 99, T0 + 160 * DAY, GS_BODY_REVISION);
    rv.signer = head2_kp.pub;
    rv.u.revision.commitment_id = "open1";
    rv.u.revision.has_target = true;
    rv.u.revision.target = FX(50);
    rv.u.revision.deadline = T0 + 300 * DAY;
    rv.u.revision.reason = "budget cut";
    gs_hash h0 = {{0}};
    assert_int_equal(sink.on_entry(sink.ctx, jl->n, &rv, &h0, rp.state, &err), 0);
    rv.issued_at = as_of + 10;
    rv.u.revision.target = FX(1);
    assert_int_equal(sink.on_entry(sink.ctx, jl->n + 1, &rv, &h0, rp.state, &err), 0);
    assert_int_equal(sink.end_log(sink.ctx, &rp, NULL, NULL, &err), 0);
    gs_audit_replay_clear(&rp);
    *dbp = db;
    return r;
}

/* One log that holds every status, verdicts, a two-tier roll-up, two heads
 * in turn and ratings over two quarters, replayed through the real rule
 * book and leaf record into the report's sink; the Revisions the rule book
 * does not accept yet are handed to the sink directly. */
static void test_report_judgement(void **state)
{
    (void)state;
    jlog l = {0};
    seed_key(&head2_kp, 21);
    seed_key(&insp_kp, 22);
    int64_t as_of = T0 + 200 * DAY;
    gs_statement st;
    jcharter(&l);
    jappoint(&l, T0, &head_kp, "Head One", GS_ROLE_HEAD);
    jappoint(&l, T0, &insp_kp, "Inspector", GS_ROLE_INSPECTOR);
    jcommit(&l, "del", "x", FX(100), T0 + 10 * DAY, -1);
    jcommit(&l, "late", "x", FX(100), T0 + 10 * DAY, -1);
    jcommit(&l, "part", "x", FX(100), T0 + 20 * DAY, -1);
    jcommit(&l, "miss", "x", FX(100), T0 + 20 * DAY, -1);
    jcommit(&l, "over", "x", FX(100), T0 + 30 * DAY, -1);
    jcommit(&l, "proj", "x", FX(100), T0 + 400 * DAY, -1);
    jcommit(&l, "quiet", "x", FX(100), T0 + 400 * DAY, -1);
    jcommit(&l, "open1", "x", FX(100), T0 + 400 * DAY, -1);
    int64_t road = (int64_t)jcommit(&l, "road", "km", FX(10), T0 + 400 * DAY, -1);
    jcommit(&l, "road-a", "km", FX(5), T0 + 150 * DAY, road);
    int64_t road_b = (int64_t)jcommit(&l, "road-b", "km", FX(5), T0 + 400 * DAY, road);
    jcommit(&l, "road-b1", "km", FX(2), T0 + 150 * DAY, road_b);
    jcommit(&l, "road-c", "m", FX(500), T0 + 150 * DAY, road);
    uint64_t o_del = jreport(&l, GS_BODY_OUTCOME, "del", FX(100), T0 + 5 * DAY, &head_kp);
    jrate(&l, 5, T0 + 10 * DAY);
    jrate(&l, 4, T0 + 11 * DAY);
    jrate(&l, 4, T0 + 12 * DAY);
    uint64_t o_late = jreport(&l, GS_BODY_OUTCOME, "late", FX(120), T0 + 12 * DAY, &head_kp);
    jreport(&l, GS_BODY_OUTCOME, "part", FX(80), T0 + 15 * DAY, &head_kp);
    jreport(&l, GS_BODY_OUTCOME, "miss", 74999999, T0 + 15 * DAY, &head_kp);
    jfinding(&l, o_del, GS_VERDICT_CONFIRMS, T0 + 6 * DAY);
    uint64_t f_late = jfinding(&l, o_late, GS_VERDICT_CONTESTS, T0 + 13 * DAY);
    st = base(JLOG, 0, T0 + 14 * DAY, GS_BODY_RESPONSE);
    st.u.response.to.origin = JLOG;
    st.u.response.to.index = f_late;
    st.u.response.to.leaf_hash = leaf_of(&l.e[f_late]);
    st.u.response.text = "the count was redone";
    jput(&l, &st, &head_kp);
    /* The first head leaves; the second comes. */
    st = base(JLOG, 0, T0 + 25 * DAY, GS_BODY_RESIGNATION);
    st.u.resignation.reason = "moved";
    jput(&l, &st, &head_kp);
    jappoint(&l, T0 + 25 * DAY + 3600, &head2_kp, "Head Two", GS_ROLE_HEAD);
    /* 2026-03-31T23:00:00Z is 2026-04-01 06:00 in Ho Chi Minh City: Q2. */
    jrate(&l, 3, T0 + 89 * DAY + 23 * 3600);
    jrate(&l, 4, T0 + 100 * DAY);
    jrate(&l, 4, T0 + 101 * DAY);
    jrate(&l, 1, as_of + DAY); /* after as_of: not counted */
    uint64_t p1 = jreport(&l, GS_BODY_PROGRESS, "proj", FX(10), T0 + 100 * DAY, &head2_kp);
    jreport(&l, GS_BODY_PROGRESS, "proj", FX(20), T0 + 190 * DAY, &head2_kp);
    jfinding(&l, p1, GS_VERDICT_CONTESTS, T0 + 110 * DAY);
    jfinding(&l, p1, GS_VERDICT_CONFIRMS, T0 + 120 * DAY);
    jreport(&l, GS_BODY_PROGRESS, "open1", FX(60), T0 + 150 * DAY, &head2_kp);
    jreport(&l, GS_BODY_PROGRESS, "open1", FX(99), as_of + DAY, &head2_kp); /* after */
    jreport(&l, GS_BODY_OUTCOME, "road-a", FX(4), T0 + 100 * DAY, &head2_kp);
    jreport(&l, GS_BODY_OUTCOME, "road-b1", FX(2), T0 + 100 * DAY, &head2_kp);
    jreport(&l, GS_BODY_OUTCOME, "road-c", FX(500), T0 + 100 * DAY, &head2_kp);

    gs_audit_leafdb *db = NULL;
    gs_error err = {0};
    gs_report *r = judged_report(&l, as_of, p1, o_del, f_late, &db);
    assert_int_equal(gs_report_finish(r, db, &err), 0);
    json_t *d = gs_report_json(r);

    json_t *head1 = jfind(json_object_get(d, "people"), "name", "Head One");
    json_t *cs = json_object_get(head1, "commitments");
    static const struct {
        const char *id, *status, *percent, *progress_percent, *evidence, *answered;
    } want[] = {
        {"del", "delivered", "100.0", "null", "confirmed", "null"},
        {"late", "delivered_late", "120.0", "null", "contested", "true"},
        {"part", "partially_delivered", "80.0", "null", "self_reported", "null"},
        {"miss", "missed", "74.9", "null", "self_reported", "null"},
        {"over", "overdue", "null", "null", "no_evidence", "null"},
        {"proj", "at_risk", "null", "20.0", "confirmed", "false"},
        {"quiet", "at_risk", "null", "null", "no_evidence", "null"},
        {"open1", "open", "null", "120.0", "self_reported", "null"},
        {"road", "at_risk", "null", "null", "no_evidence", "null"},
        {"road-a", "partially_delivered", "80.0", "null", "self_reported", "null"},
        {"road-b", "at_risk", "null", "null", "no_evidence", "null"},
        {"road-b1", "delivered", "100.0", "null", "self_reported", "null"},
        {"road-c", "delivered", "100.0", "null", "self_reported", "null"},
    };
    assert_int_equal(json_array_size(cs), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *c = jfind(cs, "id", want[i].id);
        if (strcmp(jstr(c, "status"), want[i].status) != 0 ||
            strcmp(jstr(c, "percent_of_target"), want[i].percent) != 0 ||
            strcmp(jstr(c, "progress_percent"), want[i].progress_percent) != 0 ||
            strcmp(jstr(c, "evidence_status"), want[i].evidence) != 0 ||
            strcmp(jstr(c, "contest_answered"), want[i].answered) != 0)
            fail_msg("%s: %s %s %s %s %s", want[i].id, jstr(c, "status"),
                     jstr(c, "percent_of_target"), jstr(c, "progress_percent"),
                     jstr(c, "evidence_status"), jstr(c, "contest_answered"));
    }
    /* Local times in the default zone. */
    json_t *c = jfind(cs, "id", "del");
    assert_string_equal(jstr(c, "deadline_local"), "2026-01-11T07:00:00+07:00");
    assert_int_equal(json_array_size(json_object_get(c, "verdicts")), 1);
    assert_string_equal(jstr(json_array_get(json_object_get(c, "verdicts"), 0), "verdict"),
                        "confirms");
    /* The projection and the silence, with their figures. */
    c = jfind(cs, "id", "proj");
    assert_string_equal(jstr(c, "at_risk.projected"), "43.333333");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(c, "at_risk"), "reasons"), 0)),
                        "projection");
    assert_int_equal(json_array_size(json_object_get(json_object_get(c, "at_risk"), "reasons")), 1);
    assert_int_equal(json_array_size(json_object_get(c, "progress")), 2);
    assert_string_equal(jstr(json_array_get(json_object_get(c, "progress"), 1), "value"), "20");
    assert_int_equal(json_array_size(json_object_get(c, "verdicts")), 2);
    c = jfind(cs, "id", "quiet");
    assert_string_equal(jstr(c, "at_risk.projected"), "null");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(c, "at_risk"), "reasons"), 0)),
                        "silence");
    assert_int_equal(jint(c, "at_risk.silent_days"), 199);
    assert_string_equal(jstr(c, "at_risk.silent_since"), "2026-01-02T00:00:00Z");
    /* The revision in force, the baseline kept; the one after as_of does
     * not count; the Progress after as_of neither. */
    c = jfind(cs, "id", "open1");
    assert_string_equal(jstr(c, "target"), "50");
    assert_string_equal(jstr(c, "deadline"), "2026-10-28T00:00:00Z");
    assert_string_equal(jstr(c, "baseline.target"), "100");
    assert_string_equal(jstr(c, "baseline.deadline"), "2027-02-05T00:00:00Z");
    assert_int_equal(jint(c, "revision_count"), 1);
    json_t *rev = json_array_get(json_object_get(c, "revisions"), 0);
    assert_string_equal(jstr(rev, "target"), "50");
    assert_string_equal(jstr(rev, "reason"), "budget cut");
    assert_string_equal(jstr(rev, "by.name"), "Head Two");
    assert_int_equal(json_array_size(json_object_get(c, "progress")), 1);
    assert_string_equal(jstr(c, "at_risk"), "null");
    /* The roll-up over two tiers: road-a's Outcome 4 and road-b's own
     * roll-up 2 (road-b1's Outcome) are summed; road-c is in metres. */
    c = jfind(cs, "id", "road");
    assert_int_equal(jint(c, "rollup.children"), 3);
    assert_string_equal(jstr(c, "rollup.sum"), "6");
    assert_int_equal(jint(c, "rollup.summed"), 2);
    assert_string_equal(jstr(c, "rollup.percent_of_target"), "60.0");
    assert_int_equal(jint(c, "rollup.by_status.partially_delivered"), 1);
    assert_int_equal(jint(c, "rollup.by_status.at_risk"), 1);
    assert_int_equal(jint(c, "rollup.by_status.delivered"), 1);
    assert_int_equal(jint(c, "rollup.by_status.total"), 3);
    c = jfind(cs, "id", "road-b");
    assert_string_equal(jstr(c, "rollup.sum"), "2");
    assert_string_equal(jstr(c, "rollup.percent_of_target"), "40.0");
    assert_string_equal(jstr(jfind(cs, "id", "del"), "rollup"), "null");

    /* The summary. */
    static const struct {
        const char *k;
        long long n;
    } by[] = {{"delivered", 3}, {"delivered_late", 1}, {"partially_delivered", 2},
              {"missed", 1},    {"overdue", 1},        {"at_risk", 4},
              {"open", 1},      {"total", 13}};
    for (size_t i = 0; i < sizeof by / sizeof by[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "summary.by_status.%s", by[i].k);
        if (jint(d, path) != by[i].n)
            fail_msg("%s = %lld, want %lld", path, jint(d, path), by[i].n);
    }
    assert_int_equal(jint(d, "summary.evidence_status.confirmed"), 2);
    assert_int_equal(jint(d, "summary.evidence_status.contested"), 1);
    assert_int_equal(jint(d, "summary.evidence_status.no_evidence"), 4);
    assert_int_equal(jint(d, "summary.evidence_status.self_reported"), 6);
    /* Heads who answer: the first for late, part, miss and road-a (its
     * deadline fell under the second? no: day 150 is under the second). */
    json_t *ha = json_object_get(json_object_get(d, "summary"), "heads_answering");
    assert_int_equal(json_array_size(ha), 2);
    assert_string_equal(jstr(json_array_get(ha, 0), "name"), "Head One");
    assert_int_equal(jint(json_array_get(ha, 0), "failed"), 3);
    assert_string_equal(jstr(json_array_get(ha, 1), "name"), "Head Two");
    assert_int_equal(jint(json_array_get(ha, 1), "failed"), 2); /* over, road-a */
    assert_int_equal(strlen(jstr(json_array_get(ha, 0), "fingerprint")), 16);

    /* The unit: its zone, counts, satisfaction per quarter, timeline. */
    json_t *u = json_array_get(json_object_get(d, "units"), 0);
    assert_string_equal(jstr(u, "time_zone"), "Asia/Ho_Chi_Minh");
    assert_int_equal(jint(u, "summary.total"), 13);
    json_t *sat = json_object_get(u, "satisfaction");
    assert_int_equal(json_array_size(sat), 2);
    assert_string_equal(jstr(json_array_get(sat, 0), "quarter"), "2026-Q1");
    assert_int_equal(jint(json_array_get(sat, 0), "count"), 3);
    assert_int_equal(jint(json_array_get(sat, 0), "sum"), 13);
    assert_string_equal(jstr(json_array_get(sat, 0), "mean"), "4.33");
    assert_string_equal(jstr(json_array_get(sat, 1), "quarter"), "2026-Q2");
    assert_int_equal(jint(json_array_get(sat, 1), "count"), 3);
    assert_string_equal(jstr(json_array_get(sat, 1), "mean"), "3.67");
    json_t *tl = json_object_get(u, "head_timeline");
    assert_int_equal(json_array_size(tl), 2);
    assert_int_equal(json_array_size(json_object_get(json_array_get(tl, 0), "failed")), 3);
    assert_int_equal(json_array_size(json_object_get(json_array_get(tl, 1), "failed")), 2);
    assert_string_equal(jstr(json_array_get(tl, 1), "until"), "null");
    assert_string_equal(jstr(json_array_get(tl, 0), "until_local"), "2026-01-26T07:00:00+07:00");
    assert_int_equal(json_array_size(json_object_get(u, "deadlines_failed")), 5);

    /* The scorecards. */
    assert_int_equal(jint(head1, "scorecard.own.total"), 13);
    assert_int_equal(jint(head1, "scorecard.own.at_risk"), 4);
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(head1, "scorecard"), "failed_as_head")), 3);
    json_t *s1 = json_object_get(json_object_get(head1, "scorecard"), "satisfaction");
    assert_int_equal(json_array_size(s1), 1);
    assert_string_equal(jstr(json_array_get(s1, 0), "quarter"), "2026-Q1");
    assert_string_equal(jstr(json_array_get(s1, 0), "mean"), "4.33");
    /* Findings addressed to the first head: about del's and late's
     * Outcomes; the one about late was answered in time. */
    assert_int_equal(jint(head1, "scorecard.addressed.total"), 2);
    assert_int_equal(jint(head1, "scorecard.addressed.answered_in_time"), 1);
    assert_int_equal(jint(head1, "scorecard.addressed.unanswered"), 1);
    json_t *head2 = jfind(json_object_get(d, "people"), "name", "Head Two");
    assert_int_equal(jint(head2, "scorecard.own.total"), 0);
    json_t *s2 = json_object_get(json_object_get(head2, "scorecard"), "satisfaction");
    assert_int_equal(json_array_size(s2), 1);
    assert_string_equal(jstr(json_array_get(s2, 0), "quarter"), "2026-Q2");
    assert_int_equal(jint(json_array_get(s2, 0), "sum"), 11);
    /* Items carry their rating and verdict. */
    json_t *its = json_object_get(u, "findings_and_feedback");
    assert_int_equal(jint(json_array_get(its, 0), "rating"), 5);
    assert_string_equal(jstr(json_array_get(its, 0), "verdict"), "null");

    /* The text: one fact per line, grep-friendly. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(gs_report_write(r, GS_REPORT_TEXT, f, &err), 0);
    assert_int_equal(fclose(f), 0);
    static const char *lines[] = {
        "STATUS delivered 3\n",
        "STATUS at_risk 4\n",
        "STATUS total 13\n",
        "EVIDENCE-STATUS contested 1\n",
        "HEAD-ANSWERING Head One (",
        " failed 3 in " JLOG "\n",
        " proj \"proj\" at-least 100, deadline 2027-02-05T00:00:00Z "
        "(2027-02-05T07:00:00+07:00), outcome -\n",
        "at risk: projection (projected 43.333333)",
        "at risk: silence (silent since 2026-01-02T00:00:00Z, 199 days)",
        "partially_delivered " JLOG " part \"part\"",
        "percent 80.0",
        "revisions 1",
        "evidence self_reported",
        "SATISFACTION " JLOG " 2026-Q1 count 3 sum 13 mean 4.33\n",
        "SATISFACTION " JLOG " 2026-Q2 count 3 sum 11 mean 3.67\n",
        "SCORECARD Head One (",
        "rollup 3 children, sum 6 km of 10 (60.0%), summed 2",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (strstr(text, lines[i]) == NULL)
            fail_msg("the text lacks \"%s\":\n%s", lines[i], text);
    free(text);

    /* The JSON form written as it is built (gs_report_finish_json, what
     * `giamsat audit --format json` uses) is byte for byte the whole
     * document's: people, units and the delegation trees included. */
    char *whole = NULL, *streamed = NULL;
    size_t whole_n = 0, streamed_n = 0;
    f = open_memstream(&whole, &whole_n);
    assert_non_null(f);
    assert_int_equal(gs_report_write(r, GS_REPORT_JSON, f, &err), 0);
    assert_int_equal(fclose(f), 0);
    gs_audit_leafdb *db2 = NULL;
    gs_report *r2 = judged_report(&l, as_of, p1, o_del, f_late, &db2);
    f = open_memstream(&streamed, &streamed_n);
    assert_non_null(f);
    assert_int_equal(gs_report_finish_json(r2, db2, f, &err), 0);
    assert_int_equal(fclose(f), 0);
    assert_true(json_array_size(json_object_get(d, "delegation")) > 0);
    assert_true(json_array_size(json_object_get(d, "units")) > 0);
    assert_string_equal(streamed, whole);
    /* What the report says besides is the same; only the head is held. */
    assert_int_equal(gs_report_failed(r2), gs_report_failed(r));
    assert_null(json_object_get(gs_report_json(r2), "people"));
    assert_true(
        json_equal(json_object_get(gs_report_json(r2), "summary"), json_object_get(d, "summary")));
    assert_int_equal(gs_report_write(r2, GS_REPORT_JSON, stdout, &err), GS_EINVAL);
    free(whole);
    free(streamed);
    gs_report_free(&r2);
    gs_audit_leafdb_close(&db2);

    gs_report_free(&r);
    gs_audit_leafdb_close(&db);
    for (size_t i = 0; i < l.n; i++)
        gs_buf_free(&l.e[i]);
}

/* The log replayed into a new report's sink, its end told, not yet
 * finished; *dbp is the leaf record. */
static gs_report *replayed_report(jlog *jl, int64_t as_of, gs_audit_leafdb **dbp)
{
    gs_audit_sink sink;
    gs_audit_replay rp;
    gs_error err = {0};
    gs_report *r = replay_into_report(jl, as_of, dbp, &rp, &sink);
    assert_int_equal(sink.end_log(sink.ctx, &rp, NULL, NULL, &err), 0);
    gs_audit_replay_clear(&rp);
    return r;
}

/* Many more people than the streamed report keeps in flight (its elements
 * are built and dumped on several threads and written in order): the
 * streamed JSON is still byte for byte the whole document's, every person
 * in the order met. */
static void test_report_streamed_many(void **state)
{
    (void)state;
    enum { PEOPLE = 50 };
    static gs_keypair kp[PEOPLE];
    char names[PEOPLE][16];
    jlog l = {0};
    int64_t as_of = T0 + 200 * DAY;
    jcharter(&l);
    jappoint(&l, T0, &head_kp, "Head One", GS_ROLE_HEAD);
    for (int i = 0; i < PEOPLE; i++) {
        seed_key(&kp[i], (uint8_t)(100 + i));
        snprintf(names[i], sizeof names[i], "Officer %02d", i);
        jappoint(&l, T0 + i, &kp[i], names[i], GS_ROLE_OFFICER);
    }
    jcommit(&l, "road", "km", FX(10), T0 + 10 * DAY, -1);
    jreport(&l, GS_BODY_PROGRESS, "road", FX(4), T0 + 5 * DAY, &head_kp);

    gs_error err = {0};
    gs_audit_leafdb *db = NULL, *db2 = NULL;
    gs_report *r = replayed_report(&l, as_of, &db);
    assert_int_equal(gs_report_finish(r, db, &err), 0);
    char *whole = NULL, *streamed = NULL;
    size_t whole_n = 0, streamed_n = 0;
    FILE *f = open_memstream(&whole, &whole_n);
    assert_non_null(f);
    assert_int_equal(gs_report_write(r, GS_REPORT_JSON, f, &err), 0);
    assert_int_equal(fclose(f), 0);
    json_t *people = json_object_get(gs_report_json(r), "people");
    assert_int_equal(json_array_size(people), PEOPLE + 1);
    for (int i = 0; i < PEOPLE; i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(people, i + 1), "name")), names[i]);

    gs_report *r2 = replayed_report(&l, as_of, &db2);
    f = open_memstream(&streamed, &streamed_n);
    assert_non_null(f);
    assert_int_equal(gs_report_finish_json(r2, db2, f, &err), 0);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(streamed, whole);
    free(whole);
    free(streamed);
    gs_report_free(&r2);
    gs_audit_leafdb_close(&db2);
    gs_report_free(&r);
    gs_audit_leafdb_close(&db);
    for (size_t i = 0; i < l.n; i++)
        gs_buf_free(&l.e[i]);
}

/* The name index: every key found, absent keys not, a key put again
 * takes its new value, through several growths. */
static void test_index(void **state)
{
    (void)state;
    gs_audit_index ix = {0};
    gs_error err = {0};
    static char keys[5000][32];
    assert_int_equal(gs_audit_index_get(&ix, "giamsat/commune/none"), SIZE_MAX);
    for (size_t i = 0; i < 5000; i++) {
        snprintf(keys[i], sizeof keys[i], "giamsat/commune/xa-%04zu", i);
        assert_int_equal(gs_audit_index_put(&ix, keys[i], i, &err), 0);
    }
    assert_int_equal(ix.n, 5000);
    for (size_t i = 0; i < 5000; i++)
        assert_int_equal(gs_audit_index_get(&ix, keys[i]), i);
    assert_int_equal(gs_audit_index_get(&ix, "giamsat/commune/xa-5000"), SIZE_MAX);
    assert_int_equal(gs_audit_index_get(&ix, ""), SIZE_MAX);
    assert_int_equal(gs_audit_index_put(&ix, keys[7], 70, &err), 0);
    assert_int_equal(ix.n, 5000);
    assert_int_equal(gs_audit_index_get(&ix, "giamsat/commune/xa-0007"), 70);
    gs_audit_index_clear(&ix);
    gs_audit_index_clear(&ix);
    assert_int_equal(gs_audit_index_get(&ix, keys[0]), SIZE_MAX);
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
        cmocka_unit_test(test_run_many_observations),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_evidence_check),
        cmocka_unit_test(test_report_evidence),
        cmocka_unit_test(test_report_unverifiable_only),
        cmocka_unit_test(test_judge_outcome),
        cmocka_unit_test(test_judge_open),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_mean),
        cmocka_unit_test(test_report_judgement),
        cmocka_unit_test(test_report_streamed_many),
        cmocka_unit_test(test_index),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
