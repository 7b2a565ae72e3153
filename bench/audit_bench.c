/* audit_bench.c — a full `giamsat audit` of logs holding 1,000,000
 * statements in total (--quick: 50,000).
 *
 * The logs are built fast: each node is made with the real `giamsat node
 * init`, then its store is written directly with gs_log_append of
 * statements signed here (in parallel) and checked with the rule book as
 * they are made, so every log is valid: a head appointed by the node key,
 * officers appointed by the head, commitments, then Progress reports, then
 * Outcomes. The node signs a checkpoint over everything, and real
 * giamsat-node processes serve the logs. The audit itself is the real
 * `giamsat audit` process run against each node in turn (--format json to
 * /dev/null): fetching every page over ZeroMQ, checking every signature,
 * replaying every entry, recomputing every root, building the report.
 *
 * Figures: audit_statements_per_s (all statements / the audits' wall time),
 * peak_rss_mib (the largest peak RSS, VmHWM, of an auditing process: it
 * must not grow with the log, compare --quick), build_statements_per_s,
 * and html_report_ms: gs_report_write(GS_REPORT_HTML) of a report of
 * HTML_COMMITMENTS commitments (with Progress, Outcomes, a delegation and
 * rated Feedback), built in this process through the report's sink.
 *
 * usage: audit_bench BUILD_DIR [--quick]
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "it_util.h"
#include "log.h"
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

int main(int argc, char **argv)
{
    if (argc < 2)
        it_die("usage: audit_bench BUILD_DIR [--quick]");
    const char *bin_dir = argv[1];
    bool quick = gs_bench_quick(argc, argv);
    int n_logs = quick ? 2 : 4;
    uint64_t per_log = (quick ? 50000 : 1000000) / (uint64_t)n_logs;
    gs_error err;
    gs_pool *pool = NULL;
    it_node nodes[4];
    char trust[700];
    void *zctx = zmq_ctx_new();

    if (gs_crypto_init(&err) != 0 || gs_pool_new(&pool, 1, &err) != 0)
        die_err("init", &err);
    for (int o = 0; o < OFFICERS; o++) {
        snprintf(names[o], sizeof names[o], "Officer %d", o);
        for (int k = 0; k < COMMITMENTS_PER_OFFICER; k++)
            snprintf(ids[o][k], sizeof ids[o][k], "c%d-%d", o, k);
    }
    snprintf(names[OFFICERS], sizeof names[OFFICERS], "Head");
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
    gs_bench_figure("build_statements_per_s", (double)total / built, "statements/s");
    gs_bench_figure("audit_statements_per_s", (double)total / took, "statements/s");
    gs_bench_figure("peak_rss_mib", (double)peak / 1024.0, "MiB");
    gs_bench_figure("html_report_ms", html_report_ms(), "ms");
    zmq_ctx_term(zctx);
    it_cleanup();
    return 0;
}
