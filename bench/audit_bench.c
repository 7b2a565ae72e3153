/* audit_bench.c — the audit at national scale (issue 13 item 5), and a
 * full `giamsat audit` of real nodes (--nodes).
 *
 * National (the default): 1,000,000 statements spread over 3,400 commune
 * logs (--quick: 20,000 over 68) and the hub log that observed them all,
 * audited in this machine's memory budget through the audit engine and the
 * report (gs_audit_run, gs_report_finish, the JSON written to /dev/null) with
 * an entry source that reads a file: what `giamsat audit` does after the
 * bytes arrived, without ZeroMQ in the way. The logs are generated once per
 * run (a few signers per log: the node key, a head, OFFICERS officers; every
 * statement signed on the worker pool) into an unlinked file; each log is a
 * Charter, the head's Appointment, the officers' Appointments, their
 * Commitments, Progress reports, then Outcomes; the hub log observes every
 * log every OBS_EVERY entries. Every prefix of such a log is a valid log, so
 * the same file serves a run at a quarter of the statements (the same logs,
 * people and commitments, a quarter of the Progress): its peak RSS against
 * the full run's says whether memory is flat in the number of statements.
 * Each audit runs in a child process forked from this small one, so its
 * VmHWM is the audit's.
 *
 * Figures: audit_statements_per_s (statements of the full run / its wall
 * time), audit_statements_per_s_250k, audit_peak_rss_mib (the full run's),
 * audit_peak_rss_mib_250k and audit_peak_rss_mib_1m (both runs; with
 * --quick the names stay, the sizes are 5,000 and 20,000),
 * audit_build_statements_per_s, audit_statements, audit_logs,
 * audit_cpu_us_per_statement and audit_main_cpu_us_per_statement (the full
 * run's CPU per statement, the audit process's and its main thread's: on a
 * busy machine these say more than the rate), audit_report_cpu_us_per_statement
 * (the part of the main thread's spent writing the report), and
 * html_report_ms: gs_report_write(GS_REPORT_HTML) of a report of
 * HTML_COMMITMENTS commitments (with Progress, Outcomes, a delegation and
 * rated Feedback), built in this process through the report's sink.
 *
 * --nodes: the logs are written into the stores of real `giamsat node init`
 * nodes (four, 1,000,000 statements; --quick two, 50,000), served by real
 * giamsat-node processes, and audited by the real `giamsat audit` process:
 * figures nodes_audit_statements_per_s, nodes_peak_rss_mib,
 * nodes_build_statements_per_s.
 *
 * --json FILE: the whole run's report (JSON) goes to FILE instead of
 * /dev/null. The national logs' keys are made from a counter and the
 * report's "now" is fixed, so the same arguments give the same report from
 * any build: `cmp` of two builds' files says an optimisation changed no
 * verdict.
 *
 * usage: audit_bench BUILD_DIR [--quick] [--nodes] [--logs N] [--statements N]
 *                    [--json FILE]
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "it_util.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "pool.h"
#include "report.h"
#include "rules.h"
#include "store.h"

#define OFFICERS 8
#define COMMITMENTS_PER_OFFICER 4
#define BATCH 1000
#define HTML_COMMITMENTS 1000
#define HTML_PROGRESS 8 /* per commitment */

typedef struct {
    gs_statement *st;
    const gs_keypair **kp;
    gs_buf *out;
    int *rc;
} sign_job;

static void sign_one(void *ctx, size_t i)
{
    sign_job *j = ctx;
    gs_error err;
    j->rc[i] = gs_wire_sign_statement(&j->st[i], j->kp[i], &j->out[i], &err);
}

typedef struct {
    gs_log *log;
    gs_rules_state *rules;
    gs_pool *pool;
    const char *origin;
    uint64_t *seq; /* per key below */
    gs_statement st[BATCH];
    const gs_keypair *kp[BATCH];
    uint64_t *seq_of[BATCH];
    size_t n;
} builder;

static void die_err(const char *what, const gs_error *err)
{
    it_die("%s: %s", what, err->msg);
}

/* Signs the batch in parallel, checks it with the rule book, appends it. */
static void flush(builder *b)
{
    gs_buf out[BATCH] = {{0}};
    int rcs[BATCH];
    gs_bytes e[BATCH];
    gs_error err;
    sign_job j = {b->st, b->kp, out, rcs};
    if (b->n == 0)
        return;
    gs_pool_run(b->pool, sign_one, &j, b->n);
    uint64_t at = gs_rules_size(b->rules);
    gs_rules_params p = {.now = (int64_t)time(NULL), .replay = true};
    for (size_t i = 0; i < b->n; i++) {
        gs_hash leaf;
        gs_rule_verdict v;
        if (rcs[i] != 0)
            it_die("signing a statement failed");
        gs_merkle_leaf_hash(gs_bytes_of(out[i].p, out[i].n), &leaf);
        if (gs_rules_apply(b->rules, &b->st[i], &leaf, at + i, &p, &v) != 0)
            it_die("the bench made a statement the rule book refuses: %s", v.message);
        e[i] = gs_bytes_of(out[i].p, out[i].n);
    }
    if (gs_log_append(b->log, e, b->n, NULL, &err) != 0)
        die_err("append", &err);
    for (size_t i = 0; i < b->n; i++) {
        gs_buf_free(&out[i]);
        /* Strings in the statements point at static or builder-owned text. */
        memset(&b->st[i], 0, sizeof b->st[i]);
    }
    b->n = 0;
}

static gs_statement *next(builder *b, const gs_keypair *kp, uint64_t *seq, int64_t t)
{
    if (b->n == BATCH)
        flush(b);
    gs_statement *st = &b->st[b->n];
    memset(st, 0, sizeof *st);
    st->signer = kp->pub;
    st->seq = (*seq)++;
    st->issued_at = t;
    st->origin = b->origin;
    b->kp[b->n] = kp;
    b->n++;
    return st;
}

static char ids[OFFICERS][COMMITMENTS_PER_OFFICER][16];
static char names[OFFICERS + 1][32];

/* Fills node n's log up to total entries. */
static void build_log(it_node *n, gs_pool *pool, uint64_t total)
{
    gs_store *store = NULL;
    gs_error err;
    builder b = {0};
    gs_keypair head, off[OFFICERS];
    uint64_t head_seq = 1, off_seq[OFFICERS], node_seq;
    int64_t t0 = (int64_t)time(NULL) - 86400;
    char path[700];
    snprintf(path, sizeof path, "%s/node.db", n->dir);
    if (gs_store_open(&store, path, &err) != 0)
        die_err(path, &err);
    if (gs_log_open(&b.log, store, n->origin, false, &err) != 0)
        die_err("open log", &err);
    if (gs_rules_state_new(&b.rules, n->origin, &err) != 0)
        die_err("rules", &err);
    b.pool = pool;
    b.origin = n->origin;
    /* The Charter, through the rule book, so the state knows the log key. */
    gs_buf charter = {0};
    gs_statement cst = {0};
    gs_hash leaf;
    gs_rule_verdict v;
    gs_rules_params p = {.now = (int64_t)time(NULL), .replay = true};
    bool active;
    if (gs_log_entry(b.log, 0, &charter, &err) != 0 ||
        gs_wire_open_entry(gs_bytes_of(charter.p, charter.n), &cst, &err) != 0)
        die_err("charter", &err);
    gs_merkle_leaf_hash(gs_bytes_of(charter.p, charter.n), &leaf);
    if (gs_rules_apply(b.rules, &cst, &leaf, 0, &p, &v) != 0)
        it_die("charter refused: %s", v.message);
    gs_statement_clear(&cst);
    gs_buf_free(&charter);
    gs_rules_signer_state(b.rules, &n->key.pub, &node_seq, &active);

    gs_keypair_generate(&head);
    gs_statement *st = next(&b, &n->key, &node_seq, t0);
    st->kind = GS_BODY_APPOINTMENT;
    st->u.appointment.person = head.pub;
    st->u.appointment.name = names[OFFICERS];
    st->u.appointment.role = GS_ROLE_HEAD;
    st->u.appointment.title = "";
    st->u.appointment.decision = "";
    for (int o = 0; o < OFFICERS; o++) {
        gs_keypair_generate(&off[o]);
        off_seq[o] = 1;
        st = next(&b, &head, &head_seq, t0);
        st->kind = GS_BODY_APPOINTMENT;
        st->u.appointment.person = off[o].pub;
        st->u.appointment.name = names[o];
        st->u.appointment.role = GS_ROLE_OFFICER;
        st->u.appointment.title = "";
        st->u.appointment.decision = "";
    }
    for (int o = 0; o < OFFICERS; o++)
        for (int k = 0; k < COMMITMENTS_PER_OFFICER; k++) {
            st = next(&b, &off[o], &off_seq[o], t0);
            st->kind = GS_BODY_COMMITMENT;
            st->u.commitment.id = ids[o][k];
            st->u.commitment.title = "Pave the commune roads";
            st->u.commitment.indicator = "road paved";
            st->u.commitment.unit_of_measure = "km";
            st->u.commitment.target = 100 * GS_FIXED_SCALE;
            st->u.commitment.direction = GS_DIRECTION_AT_LEAST;
            st->u.commitment.deadline = t0 + 365 * 86400;
        }
    uint64_t outcomes = OFFICERS * COMMITMENTS_PER_OFFICER / 2;
    uint64_t fixed = 1 + 1 + OFFICERS + OFFICERS * COMMITMENTS_PER_OFFICER + outcomes;
    if (total < fixed)
        it_die("a log of %llu entries is too small", (unsigned long long)total);
    for (uint64_t i = 0; i < total - fixed; i++) {
        int o = (int)(i % OFFICERS);
        int k = (int)(i / OFFICERS % COMMITMENTS_PER_OFFICER);
        st = next(&b, &off[o], &off_seq[o], t0 + (int64_t)(i / 1000));
        st->kind = GS_BODY_PROGRESS;
        st->u.progress.commitment_id = ids[o][k];
        st->u.progress.value = (int64_t)(i % 100) * GS_FIXED_SCALE;
        st->u.progress.note = "weekly report";
    }
    for (uint64_t i = 0; i < outcomes; i++) {
        int o = (int)(i % OFFICERS);
        int k = (int)(i / OFFICERS % COMMITMENTS_PER_OFFICER);
        st = next(&b, &off[o], &off_seq[o], t0 + 3600);
        st->kind = GS_BODY_OUTCOME;
        st->u.outcome.commitment_id = ids[o][k];
        st->u.outcome.value = (int64_t)(90 + i % 20) * GS_FIXED_SCALE;
    }
    flush(&b);
    if (gs_log_size(b.log) != total)
        it_die("built %llu entries, wanted %llu", (unsigned long long)gs_log_size(b.log),
               (unsigned long long)total);
    char *note = NULL;
    if (gs_log_sign_checkpoint(b.log, &n->key, &note, &err) != 0)
        die_err("checkpoint", &err);
    free(note);
    gs_rules_state_free(&b.rules);
    gs_log_close(&b.log);
    gs_store_close(&store);
    gs_keypair_wipe(&head);
    for (int o = 0; o < OFFICERS; o++)
        gs_keypair_wipe(&off[o]);
}

/* Applies st as the next entry of s and tells the report's sink. */
static void html_feed(const gs_audit_sink *sink, gs_rules_state *s, gs_statement *st)
{
    gs_rules_params p = {.replay = true};
    gs_rule_verdict v;
    gs_hash leaf = {{0}};
    gs_error err;
    uint64_t at = gs_rules_size(s);
    memcpy(leaf.b, &at, sizeof at); /* distinct; nothing checks leaves here */
    if (gs_rules_apply(s, st, &leaf, at, &p, &v) != 0)
        it_die("html bench: the rule book refuses a statement: %s", v.message);
    if (sink->on_entry(sink->ctx, at, st, &leaf, s, &err) != 0)
        die_err("html bench", &err);
}

/* html_report_ms: a report of HTML_COMMITMENTS commitments written as HTML.
 * Statements go through the rule book (no signatures: the report never
 * sees them) into the sink, as the audit would hand them. */
static double html_report_ms(void)
{
    const char *origin = "giamsat/commune/html-bench";
    gs_keypair node, head, citizen;
    gs_rules_state *s = NULL;
    gs_report *r = NULL;
    gs_audit_leafdb *db = NULL;
    gs_audit_sink sink;
    gs_error err;
    uint64_t node_seq = 1, head_seq = 1, cit_seq = 1;
    int64_t t0 = 1767225600; /* 2026-01-01 */
    static char id[HTML_COMMITMENTS][16];
    gs_keypair_generate(&node);
    gs_keypair_generate(&head);
    gs_keypair_generate(&citizen);
    if (gs_rules_state_new(&s, origin, &err) != 0 || gs_audit_leafdb_open(&db, &err) != 0 ||
        gs_report_new(&r, t0 + 200 * 86400, 30, &err) != 0)
        die_err("html bench", &err);
    gs_report_sink(r, &sink);
    if (sink.begin_log(sink.ctx, origin, &err) != 0)
        die_err("html bench", &err);
    gs_statement st = {.signer = node.pub,
                       .seq = node_seq++,
                       .issued_at = t0,
                       .origin = origin,
                       .kind = GS_BODY_CHARTER};
    st.u.charter.unit = "html-bench";
    st.u.charter.tier = GS_TIER_COMMUNE;
    st.u.charter.display_name = "Xã Bench";
    st.u.charter.time_zone = "";
    html_feed(&sink, s, &st);
    st = (gs_statement){.signer = node.pub,
                        .seq = node_seq++,
                        .issued_at = t0,
                        .origin = origin,
                        .kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = head.pub;
    st.u.appointment.name = "Nguyễn Văn Bench";
    st.u.appointment.role = GS_ROLE_HEAD;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    html_feed(&sink, s, &st);
    for (int i = 0; i < HTML_COMMITMENTS; i++) {
        snprintf(id[i], sizeof id[i], "h%d", i);
        st = (gs_statement){.signer = head.pub,
                            .seq = head_seq++,
                            .issued_at = t0 + 86400,
                            .origin = origin,
                            .kind = GS_BODY_COMMITMENT};
        st.u.commitment.id = id[i];
        st.u.commitment.title = "Làm đường giao thông nông thôn";
        st.u.commitment.indicator = "road paved";
        st.u.commitment.unit_of_measure = "km";
        st.u.commitment.target = 100 * GS_FIXED_SCALE;
        st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st.u.commitment.deadline = t0 + (int64_t)(30 + i % 300) * 86400;
        if (i > 0 && i % 10 != 0) { /* tens of children under every tenth */
            gs_rules_commitment pc;
            if (gs_rules_commitment_get(s, id[i - i % 10], &pc) != 0)
                it_die("html bench: no parent");
            st.u.commitment.has_parent = true;
            st.u.commitment.parent = (gs_ref){origin, pc.index, pc.leaf_hash};
        }
        html_feed(&sink, s, &st);
    }
    for (int k = 0; k < HTML_PROGRESS; k++)
        for (int i = 0; i < HTML_COMMITMENTS; i++) {
            st = (gs_statement){.signer = head.pub,
                                .seq = head_seq++,
                                .issued_at = t0 + (int64_t)(10 + k * 20) * 86400,
                                .origin = origin,
                                .kind = GS_BODY_PROGRESS};
            st.u.progress.commitment_id = id[i];
            st.u.progress.value = (int64_t)(k * 10 + i % 7) * GS_FIXED_SCALE;
            st.u.progress.note = "";
            html_feed(&sink, s, &st);
        }
    for (int i = 0; i < HTML_COMMITMENTS; i += 2) {
        st = (gs_statement){.signer = head.pub,
                            .seq = head_seq++,
                            .issued_at = t0 + 170 * 86400,
                            .origin = origin,
                            .kind = GS_BODY_OUTCOME};
        st.u.outcome.commitment_id = id[i];
        st.u.outcome.value = (int64_t)(60 + i % 50) * GS_FIXED_SCALE;
        html_feed(&sink, s, &st);
    }
    for (int d = 0; d < 180; d++) {
        st = (gs_statement){.signer = citizen.pub,
                            .seq = cit_seq++,
                            .issued_at = t0 + (int64_t)d * 86400,
                            .origin = origin,
                            .kind = GS_BODY_FEEDBACK};
        st.u.feedback.text = "Đường đẹp";
        st.u.feedback.rating = (uint32_t)(1 + d % 5);
        html_feed(&sink, s, &st);
    }
    gs_audit_replay rp = {.origin = origin, .state = s};
    if (sink.end_log(sink.ctx, &rp, NULL, NULL, &err) != 0 || gs_report_finish(r, db, &err) != 0)
        die_err("html bench", &err);
    FILE *f = fopen("/dev/null", "w");
    if (f == NULL)
        it_die("cannot open /dev/null");
    double t = gs_bench_now();
    if (gs_report_write(r, GS_REPORT_HTML, f, &err) != 0)
        die_err("html bench", &err);
    double ms = (gs_bench_now() - t) * 1000.0;
    fclose(f);
    gs_report_free(&r);
    gs_audit_leafdb_close(&db);
    gs_rules_state_free(&s);
    gs_keypair_wipe(&node);
    gs_keypair_wipe(&head);
    gs_keypair_wipe(&citizen);
    return ms;
}

/* ------------------------------------------------------------- national */

#define HUB_ORIGIN "giamsat/hub/bench"
#define OBS_EVERY 32  /* the hub observes every log every OBS_EVERY entries */
#define T0 1767225600 /* 2026-01-01T00:00:00Z */
/* The report's "now": fixed, so the report depends only on the logs. */
#define NAT_NOW (T0 + 335 * 86400)

static const char *json_out; /* --json: where the whole run's report goes */

/* One log in the file: its entries, length-prefixed (u32 LE), from off;
 * then the offsets of its n + 1 entry boundaries (u64 LE) at tab. The
 * checkpoint notes of the two runs: [0] the quarter, [1] the whole. */
typedef struct {
    char origin[GS_MAX_ORIGIN + 1];
    uint64_t n;
    uint64_t tab;
    uint64_t size[2];
    char *note[2];
} nat_log;

typedef struct {
    int fd;
    uint64_t end;  /* where the next write goes */
    nat_log *logs; /* [0] is the hub's */
    size_t n_logs; /* including the hub's */
    int run;       /* 0: the quarter, 1: the whole */
} nat;

static void nat_write(nat *w, const void *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = pwrite(w->fd, (const uint8_t *)p + done, n - done, (off_t)(w->end + done));
        if (k <= 0)
            it_die("writing the bench file failed");
        done += (size_t)k;
    }
    w->end += n;
}

static void nat_read(const nat *w, void *p, size_t n, uint64_t at)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(w->fd, (uint8_t *)p + done, n - done, (off_t)(at + done));
        if (k <= 0)
            it_die("reading the bench file failed");
        done += (size_t)k;
    }
}

static const nat_log *nat_find(const nat *w, const char *origin)
{
    unsigned i;
    char tail;
    if (origin[0] == '\0' || strcmp(origin, HUB_ORIGIN) == 0)
        return &w->logs[0];
    if (sscanf(origin, "giamsat/commune/xa-%u%c", &i, &tail) != 1 || i + 1 >= w->n_logs)
        return NULL;
    return &w->logs[i + 1];
}

static int nat_read_checkpoint(void *ctx, const char *origin, char **note, gs_error *err)
{
    const nat *w = ctx;
    const nat_log *l = nat_find(w, origin);
    if (l == NULL)
        return gs_error_set(err, GS_ENOTFOUND, "no log %s here", origin);
    if ((*note = strdup(l->note[w->run])) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return 0;
}

/* A page is two reads: its boundaries, then its bytes. */
static int nat_read_page(void *ctx, const char *origin, uint64_t start, uint32_t count,
                         gs_buf **entries, size_t *n, gs_error *err)
{
    const nat *w = ctx;
    const nat_log *l = nat_find(w, origin);
    if (l == NULL || start >= l->size[w->run])
        return gs_error_set(err, GS_ENOTFOUND, "no entry %llu of %s", (unsigned long long)start,
                            origin);
    uint64_t k = l->size[w->run] - start;
    if (k > count)
        k = count;
    uint8_t tb[(GS_MAX_ENTRIES + 1) * 8];
    uint64_t at[GS_MAX_ENTRIES + 1];
    nat_read(w, tb, (size_t)(k + 1) * 8, l->tab + start * 8);
    for (uint64_t i = 0; i <= k; i++) {
        at[i] = 0;
        for (int b = 0; b < 8; b++)
            at[i] |= (uint64_t)tb[i * 8 + (uint64_t)b] << (8 * b);
    }
    uint8_t *raw = malloc(at[k] - at[0]);
    gs_buf *v = calloc(k, sizeof *v);
    if (raw == NULL || v == NULL)
        it_die("out of memory");
    nat_read(w, raw, at[k] - at[0], at[0]);
    for (uint64_t i = 0; i < k; i++) {
        size_t len = (size_t)(at[i + 1] - at[i] - 4);
        if ((v[i].p = malloc(len)) == NULL)
            it_die("out of memory");
        memcpy(v[i].p, raw + (at[i] - at[0]) + 4, len);
        v[i].n = len;
    }
    free(raw);
    *entries = v;
    *n = (size_t)k;
    return 0;
}

/* Appends the signed entries of one log to the file (entries, then their
 * boundaries) and returns the roots at every OBS_EVERY and at the sizes
 * asked (roots[r] for size (r + 1) * OBS_EVERY). */
static void nat_put_log(nat *w, nat_log *l, gs_buf *e, size_t n, gs_hash *roots, size_t n_roots,
                        const gs_keypair *kp)
{
    uint64_t *offs = malloc((n + 1) * sizeof *offs);
    uint8_t *tb = malloc((n + 1) * 8);
    gs_merkle_frontier fr;
    gs_error err;
    if (offs == NULL || tb == NULL)
        it_die("out of memory");
    gs_merkle_frontier_init(&fr);
    l->n = n;
    for (size_t i = 0; i < n; i++) {
        uint8_t len[4] = {(uint8_t)e[i].n, (uint8_t)(e[i].n >> 8), (uint8_t)(e[i].n >> 16),
                          (uint8_t)(e[i].n >> 24)};
        gs_hash leaf;
        offs[i] = w->end;
        nat_write(w, len, 4);
        nat_write(w, e[i].p, e[i].n);
        gs_merkle_leaf_hash(gs_bytes_of(e[i].p, e[i].n), &leaf);
        gs_merkle_frontier_append(&fr, &leaf, NULL, NULL);
        uint64_t size = i + 1;
        if (size % OBS_EVERY == 0 && size / OBS_EVERY <= n_roots)
            gs_merkle_frontier_root(&fr, &roots[size / OBS_EVERY - 1]);
        for (int r = 0; r < 2; r++)
            if (size == l->size[r]) {
                gs_hash root;
                char *body = NULL;
                gs_merkle_frontier_root(&fr, &root);
                if (gs_checkpoint_format(l->origin, size, &root, &body, &err) != 0 ||
                    gs_note_sign(body, strlen(body), l->origin, kp, &l->note[r], &err) != 0)
                    die_err("checkpoint", &err);
                free(body);
            }
    }
    offs[n] = w->end;
    for (size_t i = 0; i <= n; i++)
        for (int b = 0; b < 8; b++)
            tb[i * 8 + (size_t)b] = (uint8_t)(offs[i] >> (8 * b));
    l->tab = w->end;
    nat_write(w, tb, (n + 1) * 8);
    free(offs);
    free(tb);
}

typedef struct {
    gs_statement *st;
    const gs_keypair **kp;
    size_t n, cap;
} nat_batch;

/* The national logs' keys come from a counter, not from the random source:
 * the same arguments build the same logs, so two builds of the audit can be
 * compared on the report they write (--json), byte for byte. */
static void nat_key(gs_keypair *kp)
{
    static uint64_t next;
    uint8_t seed[32] = {0};
    uint64_t k = ++next;
    for (int b = 0; b < 8; b++)
        seed[b] = (uint8_t)(k >> (8 * b));
    gs_keypair_from_seed(kp, seed);
}

static gs_statement *nat_next(nat_batch *b, const gs_keypair *kp, uint64_t *seq, int64_t t,
                              const char *origin, gs_body_kind kind)
{
    if (b->n == b->cap)
        it_die("nat batch full");
    gs_statement *st = &b->st[b->n];
    memset(st, 0, sizeof *st);
    st->signer = kp->pub;
    st->seq = (*seq)++;
    st->issued_at = t;
    st->origin = origin;
    st->kind = kind;
    b->kp[b->n++] = kp;
    return st;
}

static void nat_sign(gs_pool *pool, nat_batch *b, gs_buf *out)
{
    int *rcs = calloc(b->n, sizeof *rcs);
    if (rcs == NULL)
        it_die("out of memory");
    sign_job j = {b->st, b->kp, out, rcs};
    gs_pool_run(pool, sign_one, &j, b->n);
    for (size_t i = 0; i < b->n; i++)
        if (rcs[i] != 0)
            it_die("signing a statement failed");
    free(rcs);
}

/* Builds every log into w; returns the trust file's text. per_log: entries
 * of each commune log; quarter: the size of the quarter run. */
static char *nat_build(nat *w, gs_pool *pool, size_t n_communes, uint64_t per_log, uint64_t quarter)
{
    size_t rounds = (size_t)(per_log / OBS_EVERY);
    gs_hash *roots = calloc(n_communes * rounds + 1, sizeof *roots);
    nat_batch b = {0};
    gs_buf *out;
    gs_keypair hub, node, head, off[OFFICERS];
    gs_error err;
    size_t cap_trust = (n_communes + 2) * (GS_VKEY_STR_MAX + 8), trust_n = 0;
    char *trust = malloc(cap_trust), vk[GS_VKEY_STR_MAX];
    gs_vkey v;
    b.cap = per_log > 1 + n_communes * rounds ? per_log : 1 + n_communes * rounds;
    b.st = calloc(b.cap, sizeof *b.st);
    b.kp = calloc(b.cap, sizeof *b.kp);
    out = calloc(b.cap, sizeof *out);
    if (roots == NULL || trust == NULL || b.st == NULL || b.kp == NULL || out == NULL)
        it_die("out of memory");
    w->n_logs = n_communes + 1;
    if ((w->logs = calloc(w->n_logs, sizeof *w->logs)) == NULL)
        it_die("out of memory");
    nat_key(&hub);
    for (size_t c = 0; c < n_communes; c++) {
        nat_log *l = &w->logs[c + 1];
        uint64_t node_seq = 1, head_seq = 1, off_seq[OFFICERS];
        int64_t t0 = T0;
        snprintf(l->origin, sizeof l->origin, "giamsat/commune/xa-%04zu", c);
        l->size[0] = quarter;
        l->size[1] = per_log;
        nat_key(&node);
        nat_key(&head);
        b.n = 0;
        gs_statement *st = nat_next(&b, &node, &node_seq, t0, l->origin, GS_BODY_CHARTER);
        st->u.charter.unit = l->origin + strlen("giamsat/commune/");
        st->u.charter.tier = GS_TIER_COMMUNE;
        st->u.charter.display_name = "Xã Bench";
        st->u.charter.time_zone = "";
        st = nat_next(&b, &node, &node_seq, t0, l->origin, GS_BODY_APPOINTMENT);
        st->u.appointment.person = head.pub;
        st->u.appointment.name = names[OFFICERS];
        st->u.appointment.role = GS_ROLE_HEAD;
        st->u.appointment.title = "";
        st->u.appointment.decision = "";
        for (int o = 0; o < OFFICERS; o++) {
            nat_key(&off[o]);
            off_seq[o] = 1;
            st = nat_next(&b, &head, &head_seq, t0, l->origin, GS_BODY_APPOINTMENT);
            st->u.appointment.person = off[o].pub;
            st->u.appointment.name = names[o];
            st->u.appointment.role = GS_ROLE_OFFICER;
            st->u.appointment.title = "";
            st->u.appointment.decision = "";
        }
        for (int o = 0; o < OFFICERS; o++)
            for (int k = 0; k < COMMITMENTS_PER_OFFICER; k++) {
                st = nat_next(&b, &off[o], &off_seq[o], t0, l->origin, GS_BODY_COMMITMENT);
                st->u.commitment.id = ids[o][k];
                st->u.commitment.title = "Pave the commune roads";
                st->u.commitment.indicator = "road paved";
                st->u.commitment.unit_of_measure = "km";
                st->u.commitment.target = 100 * GS_FIXED_SCALE;
                st->u.commitment.direction = GS_DIRECTION_AT_LEAST;
                st->u.commitment.deadline = t0 + 365 * 86400;
            }
        uint64_t outcomes = OFFICERS * COMMITMENTS_PER_OFFICER / 2;
        uint64_t fixed = b.n + outcomes;
        if (per_log < fixed || quarter > per_log - outcomes || quarter < b.n)
            it_die("a log of %llu entries is too small", (unsigned long long)per_log);
        for (uint64_t i = 0; i < per_log - fixed; i++) {
            int o = (int)(i % OFFICERS);
            int k = (int)(i / OFFICERS % COMMITMENTS_PER_OFFICER);
            st = nat_next(&b, &off[o], &off_seq[o], t0 + 60 + (int64_t)i * 60, l->origin,
                          GS_BODY_PROGRESS);
            st->u.progress.commitment_id = ids[o][k];
            st->u.progress.value = (int64_t)(i % 100) * GS_FIXED_SCALE;
            st->u.progress.note = "weekly report";
        }
        for (uint64_t i = 0; i < outcomes; i++) {
            int o = (int)(i % OFFICERS);
            int k = (int)(i / OFFICERS % COMMITMENTS_PER_OFFICER);
            st = nat_next(&b, &off[o], &off_seq[o], t0 + 30 * 86400, l->origin, GS_BODY_OUTCOME);
            st->u.outcome.commitment_id = ids[o][k];
            st->u.outcome.value = (int64_t)(90 + i % 20) * GS_FIXED_SCALE;
        }
        nat_sign(pool, &b, out);
        nat_put_log(w, l, out, b.n, &roots[c * rounds], rounds, &node);
        for (size_t i = 0; i < b.n; i++)
            gs_buf_free(&out[i]);
        if (gs_vkey_make(&v, l->origin, GS_VKEY_ALG_ED25519, &node.pub, &err) != 0 ||
            gs_vkey_format(&v, vk, sizeof vk, &err) != 0)
            die_err("vkey", &err);
        trust_n += (size_t)snprintf(trust + trust_n, cap_trust - trust_n, "log %s\n", vk);
        gs_keypair_wipe(&node);
        gs_keypair_wipe(&head);
        for (int o = 0; o < OFFICERS; o++)
            gs_keypair_wipe(&off[o]);
    }
    /* The hub's log: its Charter, then round after round an Observation of
     * every log at (round + 1) * OBS_EVERY, so the quarter run's hub log is
     * a prefix of the whole run's. */
    nat_log *h = &w->logs[0];
    uint64_t hub_seq = 1;
    snprintf(h->origin, sizeof h->origin, "%s", HUB_ORIGIN);
    b.n = 0;
    gs_statement *st = nat_next(&b, &hub, &hub_seq, T0, HUB_ORIGIN, GS_BODY_CHARTER);
    st->u.charter.unit = "bench";
    st->u.charter.tier = GS_TIER_HUB;
    st->u.charter.display_name = "Hub";
    st->u.charter.time_zone = "";
    h->size[0] = 1;
    for (size_t r = 0; r < rounds; r++)
        for (size_t c = 0; c < n_communes; c++) {
            st = nat_next(&b, &hub, &hub_seq, T0 + 60 + (int64_t)r * 3600, HUB_ORIGIN,
                          GS_BODY_OBSERVATION);
            st->u.observation.origin = w->logs[c + 1].origin;
            st->u.observation.size = (r + 1) * OBS_EVERY;
            st->u.observation.root = roots[c * rounds + r];
            st->u.observation.time = st->issued_at;
            if ((r + 1) * OBS_EVERY <= quarter)
                h->size[0] = b.n;
        }
    h->size[1] = b.n;
    nat_sign(pool, &b, out);
    nat_put_log(w, h, out, b.n, NULL, 0, &hub);
    for (size_t i = 0; i < b.n; i++)
        gs_buf_free(&out[i]);
    if (gs_vkey_make(&v, HUB_ORIGIN, GS_VKEY_ALG_ED25519, &hub.pub, &err) != 0 ||
        gs_vkey_format(&v, vk, sizeof vk, &err) != 0)
        die_err("vkey", &err);
    trust_n += (size_t)snprintf(trust + trust_n, cap_trust - trust_n, "log %s\nquorum none\n", vk);
    gs_keypair_wipe(&hub);
    free(b.st);
    free(b.kp);
    free(out);
    free(roots);
    return trust;
}

typedef struct {
    double secs, peak_mib;
    double cpu_s;        /* the audit process's CPU (every thread), user + system */
    double main_cpu_s;   /* the CPU of the thread that runs gs_audit_run */
    double finish_cpu_s; /* of which writing the report (gs_report_finish_json) */
    double finish_secs;  /* the wall time of writing the report */
    uint64_t statements;
    int failed;
} nat_result;

/* user + system seconds of who (RUSAGE_SELF, RUSAGE_THREAD). */
static double cpu_s(int who)
{
    struct rusage ru;
    if (getrusage(who, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* One audit of the run asked, in a child process: the engine and the
 * report as `giamsat audit --format json` runs them. */
static nat_result nat_audit(nat *w, const char *trust, int run, unsigned threads)
{
    int fds[2];
    nat_result res = {0};
    if (pipe(fds) != 0)
        it_die("pipe failed");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        it_die("fork failed");
    if (pid == 0) {
        gs_error err;
        gs_policy *pol = NULL;
        gs_pool *pool = NULL;
        gs_audit_leafdb *db = NULL;
        gs_report *r = NULL;
        gs_audit_sink sink;
        close(fds[0]);
        w->run = run;
        gs_audit_source src = {
            .ctx = w, .read_checkpoint = nat_read_checkpoint, .read_page = nat_read_page};
        double t = gs_bench_now(), cpu0 = cpu_s(RUSAGE_SELF), main0 = cpu_s(RUSAGE_THREAD);
        if (gs_policy_parse(trust, strlen(trust), "bench.policy", &pol, &err) != 0 ||
            gs_pool_new(&pool, threads, &err) != 0 || gs_audit_leafdb_open(&db, &err) != 0 ||
            gs_report_new(&r, NAT_NOW, 30, &err) != 0)
            die_err("audit", &err);
        gs_report_sink(r, &sink);
        gs_audit a = {.source = &src, .sink = &sink, .policy = pol, .pool = pool, .db = db};
        if (gs_audit_run(&a, &err) != 0)
            die_err("audit", &err);
        gs_report_set_hub(r, a.own_origin);
        double finish0 = cpu_s(RUSAGE_THREAD), finish_t0 = gs_bench_now();
        const char *to = run == 1 && json_out != NULL ? json_out : "/dev/null";
        FILE *f = fopen(to, "w");
        if (f == NULL)
            it_die("cannot write %s", to);
        if (gs_report_finish_json(r, db, f, &err) != 0)
            die_err("report", &err);
        if (fclose(f) != 0)
            it_die("cannot write %s", to);
        res.secs = gs_bench_now() - t;
        res.finish_secs = gs_bench_now() - finish_t0;
        res.finish_cpu_s = cpu_s(RUSAGE_THREAD) - finish0;
        res.cpu_s = cpu_s(RUSAGE_SELF) - cpu0;
        res.main_cpu_s = cpu_s(RUSAGE_THREAD) - main0;
        res.peak_mib = gs_bench_peak_rss_mib();
        res.failed = gs_report_failed(r);
        for (size_t i = 0; i < w->n_logs; i++)
            res.statements += w->logs[i].size[run];
        if (res.failed) {
            /* The head of the document is held: it has the logs. */
            json_t *logs = json_object_get(gs_report_json(r), "logs");
            json_t *l0 = json_array_get(logs, 0), *l1 = json_array_get(logs, 1);
            char *s0 = json_dumps(json_object_get(l0, "failures"), 0);
            char *s1 = json_dumps(json_object_get(l1, "failures"), 0);
            fprintf(stderr, "audit failed: %s / %s\n", s0 ? s0 : "", s1 ? s1 : "");
            free(s0);
            free(s1);
        }
        if (write(fds[1], &res, sizeof res) != (ssize_t)sizeof res)
            _exit(1);
        gs_report_free(&r);
        gs_audit_clear(&a);
        gs_audit_leafdb_close(&db);
        gs_pool_free(&pool);
        gs_policy_free(&pol);
        _exit(0);
    }
    close(fds[1]);
    ssize_t k = read(fds[0], &res, sizeof res);
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        k != (ssize_t)sizeof res)
        it_die("the audit child failed (status %d)", status);
    if (res.failed)
        it_die("the audit of the bench logs found failures: the bench built something wrong");
    return res;
}

static double load_avg(void)
{
    double v = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static void run_national(bool quick, size_t n_communes, uint64_t total)
{
    gs_error err;
    gs_pool *pool = NULL;
    nat w = {0};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = ncpu > 1 ? (unsigned)(ncpu - 1) : 0;
    if (threads > 7)
        threads = 7;
    if (n_communes == 0)
        n_communes = quick ? 68 : 3400;
    if (total == 0)
        total = quick ? 20000 : 1000000;
    uint64_t per_log = total / n_communes;
    uint64_t quarter = per_log / 4;
    char dir[600], path[700];
    if (gs_bench_tmpdir(dir, sizeof dir) != 0)
        it_die("cannot make a temporary folder");
    snprintf(path, sizeof path, "%s/logs.bin", dir);
    if ((w.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
        it_die("cannot create %s", path);
    unlink(path);
    gs_bench_rmdir(dir);
    /* The logs are built in a child: what building them leaves in the heap
     * stays there, and every audit child forked from here starts from this
     * small process. The child sends back where the logs' description lies
     * in the file (after the logs). */
    int fds[2];
    uint64_t hdr[3]; /* where the description starts, its length, build time in µs */
    if (pipe(fds) != 0)
        it_die("pipe failed");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        it_die("fork failed");
    if (pid == 0) {
        close(fds[0]);
        if (gs_pool_new(&pool, (unsigned)(ncpu > 1 ? ncpu - 1 : 0), &err) != 0)
            die_err("pool", &err);
        double t0 = gs_bench_now();
        char *trust = nat_build(&w, pool, n_communes, per_log, quarter);
        uint64_t took = (uint64_t)((gs_bench_now() - t0) * 1e6);
        uint64_t start = w.end;
        for (size_t i = 0; i < w.n_logs; i++) {
            const nat_log *l = &w.logs[i];
            uint64_t v[6] = {
                l->n, l->tab, l->size[0], l->size[1], strlen(l->note[0]), strlen(l->note[1])};
            nat_write(&w, v, sizeof v);
            nat_write(&w, l->note[0], strlen(l->note[0]));
            nat_write(&w, l->note[1], strlen(l->note[1]));
        }
        uint64_t tl = strlen(trust);
        nat_write(&w, &tl, sizeof tl);
        nat_write(&w, trust, tl);
        uint64_t out[3] = {start, w.end - start, took};
        if (write(fds[1], out, sizeof out) != (ssize_t)sizeof out)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], hdr, sizeof hdr);
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        got != (ssize_t)sizeof hdr)
        it_die("building the logs failed (status %d)", status);
    double built = (double)hdr[2] / 1e6;
    uint8_t *meta = malloc(hdr[1]), *mp = meta;
    if (meta == NULL)
        it_die("out of memory");
    nat_read(&w, meta, hdr[1], hdr[0]);
    w.n_logs = n_communes + 1;
    if ((w.logs = calloc(w.n_logs, sizeof *w.logs)) == NULL)
        it_die("out of memory");
    for (size_t i = 0; i < w.n_logs; i++) {
        nat_log *l = &w.logs[i];
        uint64_t v[6];
        memcpy(v, mp, sizeof v);
        mp += sizeof v;
        if (i == 0)
            snprintf(l->origin, sizeof l->origin, "%s", HUB_ORIGIN);
        else
            snprintf(l->origin, sizeof l->origin, "giamsat/commune/xa-%04zu", i - 1);
        l->n = v[0];
        l->tab = v[1];
        l->size[0] = v[2];
        l->size[1] = v[3];
        for (int r = 0; r < 2; r++) {
            if ((l->note[r] = malloc(v[4 + r] + 1)) == NULL)
                it_die("out of memory");
            memcpy(l->note[r], mp, v[4 + r]);
            l->note[r][v[4 + r]] = '\0';
            mp += v[4 + r];
        }
    }
    uint64_t tl;
    memcpy(&tl, mp, sizeof tl);
    mp += sizeof tl;
    char *trust = malloc(tl + 1);
    if (trust == NULL)
        it_die("out of memory");
    memcpy(trust, mp, tl);
    trust[tl] = '\0';
    free(meta);
    uint64_t all = 0;
    for (size_t i = 0; i < w.n_logs; i++)
        all += w.logs[i].size[1];
    gs_bench_figure("audit_logs", (double)n_communes, "logs");
    gs_bench_figure("audit_build_statements_per_s", (double)all / built, "statements/s");
    nat_result q = nat_audit(&w, trust, 0, threads);
    printf("audited %zu logs and the hub's, %llu statements (a quarter run) in %.2f s\n",
           n_communes, (unsigned long long)q.statements, q.secs);
    gs_bench_figure("audit_statements_250k", (double)q.statements, "statements");
    gs_bench_figure("audit_statements_per_s_250k", (double)q.statements / q.secs, "statements/s");
    gs_bench_figure("audit_peak_rss_mib_250k", q.peak_mib, "MiB");
    nat_result f = nat_audit(&w, trust, 1, threads);
    printf("audited %zu logs and the hub's, %llu statements in %.2f s\n", n_communes,
           (unsigned long long)f.statements, f.secs);
    gs_bench_figure("audit_statements", (double)f.statements, "statements");
    gs_bench_figure("audit_statements_per_s", (double)f.statements / f.secs, "statements/s");
    /* What transfers from a loaded machine: the CPU per statement, in all
     * and on the thread that judges in order (its time bounds the rate
     * however many cores check signatures). */
    gs_bench_figure("audit_cpu_us_per_statement", f.cpu_s * 1e6 / (double)f.statements, "us");
    gs_bench_figure("audit_main_cpu_us_per_statement", f.main_cpu_s * 1e6 / (double)f.statements,
                    "us");
    gs_bench_figure("audit_report_cpu_us_per_statement",
                    f.finish_cpu_s * 1e6 / (double)f.statements, "us");
    gs_bench_figure("audit_report_s", f.finish_secs, "s");
    gs_bench_figure("audit_peak_rss_mib_1m", f.peak_mib, "MiB");
    gs_bench_figure("audit_peak_rss_mib", f.peak_mib, "MiB");
    for (size_t i = 0; i < w.n_logs; i++) {
        free(w.logs[i].note[0]);
        free(w.logs[i].note[1]);
    }
    free(w.logs);
    free(trust);
    close(w.fd);
}

/* Runs `giamsat audit` against one node; returns its peak RSS in KiB. */
static long run_audit(const char *bin_dir, const it_node *n, const char *trust)
{
    char gs[600];
    snprintf(gs, sizeof gs, "%s/cli/giamsat", bin_dir);
    char *argv[] = {gs,         "audit", "--connect", it_arg(n->ipc), "--trust", it_arg(trust),
                    "--format", "json",  "--out",     "/dev/null",    NULL};
    pid_t pid = fork();
    if (pid < 0)
        it_die("fork failed");
    if (pid == 0) {
        execv(gs, argv);
        _exit(127);
    }
    /* The child's own peak (VmHWM of the image it exec'd), sampled until it
     * exits: getrusage/wait4 would also count the pages it shared with this
     * process between fork and exec. VmHWM only grows, so the last sample is
     * the peak up to a few milliseconds before the end. */
    int status;
    long peak = 0;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0)
            it_die("waitpid failed");
        FILE *f = fopen(path, "r");
        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            if (strncmp(line, "VmHWM:", 6) == 0 && strtol(line + 6, NULL, 10) > peak)
                peak = strtol(line + 6, NULL, 10);
        if (f != NULL)
            fclose(f);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        it_die("giamsat audit of %s failed (status %d)", n->origin, status);
    return peak;
}

static void run_nodes(const char *bin_dir, bool quick)
{
    int n_logs = quick ? 2 : 4;
    uint64_t per_log = (quick ? 50000 : 1000000) / (uint64_t)n_logs;
    gs_error err;
    gs_pool *pool = NULL;
    it_node nodes[4];
    char trust[700];
    void *zctx = zmq_ctx_new();

    if (gs_pool_new(&pool, 1, &err) != 0)
        die_err("init", &err);
    snprintf(trust, sizeof trust, "%s/trust.policy", it_tmpdir());
    FILE *tf = fopen(trust, "w");
    if (tf == NULL)
        it_die("cannot write %s", trust);

    double t0 = gs_bench_now();
    for (int i = 0; i < n_logs; i++) {
        char unit[32], vk[GS_VKEY_STR_MAX];
        snprintf(unit, sizeof unit, "xa-%d", i);
        it_node_init(&nodes[i], bin_dir, unit, false, NULL);
        build_log(&nodes[i], pool, per_log);
        it_vkey(vk, nodes[i].origin, GS_VKEY_ALG_ED25519, &nodes[i].key.pub);
        fprintf(tf, "log %s\n", vk);
    }
    fprintf(tf, "quorum none\n");
    fclose(tf);
    double built = gs_bench_now() - t0;
    gs_pool_free(&pool);
    for (int i = 0; i < n_logs; i++) {
        it_node_start(&nodes[i], bin_dir);
        it_node_wait_ready(&nodes[i], zctx);
    }

    long peak = 0;
    double t1 = gs_bench_now();
    for (int i = 0; i < n_logs; i++) {
        long kib = run_audit(bin_dir, &nodes[i], trust);
        if (kib > peak)
            peak = kib;
    }
    double took = gs_bench_now() - t1;
    for (int i = 0; i < n_logs; i++)
        it_node_stop(&nodes[i], SIGTERM);
    uint64_t total = per_log * (uint64_t)n_logs;
    printf("audited %d logs of %llu statements each (%llu in total) in %.2f s\n", n_logs,
           (unsigned long long)per_log, (unsigned long long)total, took);
    gs_bench_figure("nodes_build_statements_per_s", (double)total / built, "statements/s");
    gs_bench_figure("nodes_audit_statements_per_s", (double)total / took, "statements/s");
    gs_bench_figure("nodes_peak_rss_mib", (double)peak / 1024.0, "MiB");
    zmq_ctx_term(zctx);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        it_die("usage: audit_bench BUILD_DIR [--quick] [--nodes] [--logs N] [--statements N] "
               "[--json FILE]");
    const char *bin_dir = argv[1];
    bool quick = gs_bench_quick(argc, argv), nodes = false;
    size_t n_logs = 0;
    uint64_t total = 0;
    gs_error err;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--nodes") == 0)
            nodes = true;
        else if (strcmp(argv[i], "--logs") == 0 && i + 1 < argc)
            n_logs = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--statements") == 0 && i + 1 < argc)
            total = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json_out = argv[++i];
        else if (strcmp(argv[i], "--quick") != 0)
            it_die("unknown argument %s", argv[i]);
    }
    gs_bench_figure("load_avg_1m", load_avg(), "load");
    if (gs_crypto_init(&err) != 0)
        die_err("init", &err);
    for (int o = 0; o < OFFICERS; o++) {
        snprintf(names[o], sizeof names[o], "Officer %d", o);
        for (int k = 0; k < COMMITMENTS_PER_OFFICER; k++)
            snprintf(ids[o][k], sizeof ids[o][k], "c%d-%d", o, k);
    }
    snprintf(names[OFFICERS], sizeof names[OFFICERS], "Head");
    if (nodes)
        run_nodes(bin_dir, quick);
    else
        run_national(quick, n_logs, total);
    gs_bench_figure("html_report_ms", html_report_ms(), "ms");
    it_cleanup();
    return 0;
}
