/* attack_bench.c — real daemons under hostile clients (issue 9 part 5).
 *
 * 1. Poison. A node names a hub as its witness; the hub follows it. A
 *    hostile client sends the hub 20 poisoned AddCheckpoints a second: the
 *    node's latest checkpoint with an extra line under the hub's own name
 *    and key ID and a spoiled signature, with the right consistency proof
 *    from what the hub cosigned. Meanwhile an honest client submits a
 *    statement per round; the lag is the time from the node serving a
 *    checkpoint of the new size to the hub serving its cosignature of it.
 *    Figures: cosign_lag_ms_under_poison (the worst round),
 *    cosign_lag_ms_under_poison_p50.
 * 2. A non-reader. Four peers flood the node with GetEntries(0, 1000) and
 *    GetCheckpoint and never read an answer; an honest client submits
 *    statements one after another. Figures: submit_p99_ms_with_nonreader,
 *    submit_p50_ms_with_nonreader; then SIGTERM while the flood goes on:
 *    sigterm_ms_under_read_flood (time until the node has exited).
 * 3. Memory. Four peers send 1 MiB junk frames and four speak raw ZMTP,
 *    each sending one multipart message that never ends (64 KiB frames),
 *    none reading; an honest client keeps submitting. The node's resident
 *    set is sampled every 50 ms. Figures: node_rss_mib_under_flood (the
 *    largest sample), node_peak_rss_mib_under_flood (VmHWM),
 *    receipts_under_memory_flood, sigterm_ms_under_memory_flood.
 *
 * Targets (issue 9): lag < 2000 ms, p99 < 100 ms, RSS < 256 MiB, SIGTERM
 * < 5000 ms. Run it on a Release build.
 *
 * usage: attack_bench BUILD_DIR [--quick]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bench_util.h"
#include "it_util.h"
#include "note.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ an honest client */

typedef struct {
    it_node *node;
    gs_net_client *c;
    gs_keypair officer;
    uint64_t seq;
} honest;

static void honest_setup(honest *h, it_node *node, void *zctx, int timeout_ms)
{
    gs_error err;
    h->node = node;
    if (gs_net_client_open(&h->c, zctx, node->ipc, NULL, NULL, timeout_ms, GS_MAX_MESSAGE, &err))
        it_die("%s", err.msg);
    gs_keypair_generate(&h->officer);
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = h->officer.pub;
    st.u.appointment.name = "Officer";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    char msg[600];
    gs_buf e = it_sign(&st, &node->key, node->origin, it_next_seq(h->c, &node->key.pub));
    if (it_submit(h->c, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg) != GS_STATUS_OK)
        it_die("appointment refused: %s", msg);
    gs_buf_free(&e);
    st = (gs_statement){.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = "roads";
    st.u.commitment.title = "Paved roads";
    st.u.commitment.indicator = "km paved";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 12 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 90;
    e = it_sign(&st, &h->officer, node->origin, 1);
    if (it_submit(h->c, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg) != GS_STATUS_OK)
        it_die("commitment refused: %s", msg);
    gs_buf_free(&e);
    h->seq = 2;
}

/* One Progress statement; returns the status (negative: no answer) and the
 * receipt's index. After no answer the next seq is asked again (the
 * statement may or may not have been committed). */
static int honest_submit(honest *h, uint64_t *index)
{
    gs_statement st = {.kind = GS_BODY_PROGRESS};
    st.u.progress.commitment_id = "roads";
    st.u.progress.value = (int64_t)h->seq;
    st.u.progress.note = "weekly count";
    gs_buf e = it_sign(&st, &h->officer, h->node->origin, h->seq);
    gs_receipt r = {0};
    int code = it_submit(h->c, gs_bytes_of(e.p, e.n), NULL, &r, NULL, 0);
    gs_buf_free(&e);
    if (code == GS_STATUS_OK) {
        h->seq++;
        if (index != NULL)
            *index = r.index;
    } else {
        gs_request rq = {.version = 1, .op = GS_OP_GET_SIGNER_STATE, .origin = ""};
        rq.u.get_signer_state.signer = h->officer.pub;
        gs_response rs = {0};
        gs_error err;
        if (gs_net_client_call(h->c, &rq, &rs, &err) == 0 && rs.code == GS_STATUS_OK)
            h->seq = rs.u.signer_state.next_seq;
        gs_response_clear(&rs);
    }
    gs_receipt_clear(&r);
    return code;
}

static void honest_clear(honest *h)
{
    gs_net_client_close(&h->c);
    gs_keypair_wipe(&h->officer);
}

/* SIGTERM, and the milliseconds until the daemon has exited. */
static double stop_ms(pid_t pid, const char *log)
{
    double t0 = gs_bench_now();
    kill(pid, SIGTERM);
    int st = it_wait_for(pid, IT_WAIT_MS);
    if (st < 0)
        it_die("no exit within %d s of SIGTERM; see %s", IT_WAIT_MS / 1000, log);
    return (gs_bench_now() - t0) * 1000.0;
}

/* ------------------------------------------------------------ 1. poison */

typedef struct {
    const it_node *node;
    const it_hub *hub;
    atomic_bool stop;
    atomic_uint_fast64_t sent;
} poisoner;

/* The node's checkpoint with a line under the hub's name and key ID whose
 * signature is spoiled. */
static char *poison(const char *note, const it_hub *hub)
{
    gs_note *n = NULL;
    gs_error err;
    char *line = NULL;
    size_t tlen;
    if (gs_note_parse(note, strlen(note), &n, &err) != 0)
        return NULL;
    const char *text = gs_note_text(n, &tlen);
    if (gs_cosignature_sign(text, tlen, hub->origin, &hub->key, (int64_t)time(NULL), &line, &err))
        it_die("cosignature: %s", err.msg);
    gs_note_free(&n);
    line[strcspn(line, "\n")] = '\0';
    size_t len = strlen(line);
    line[len - 10] = line[len - 10] == 'A' ? 'B' : 'A';
    size_t cap = strlen(note) + len + 2;
    char *out = malloc(cap);
    if (out != NULL)
        snprintf(out, cap, "%s%s\n", note, line);
    free(line);
    return out;
}

static void *poison_thread(void *arg)
{
    poisoner *p = arg;
    gs_error err;
    void *zctx = zmq_ctx_new();
    gs_net_client *node = NULL, *hub = NULL;
    void *push = NULL;
    if (gs_net_client_open(&node, zctx, p->node->ipc, NULL, NULL, 2000, GS_MAX_MESSAGE, &err) ||
        gs_net_client_open(&hub, zctx, p->hub->ipc, NULL, NULL, 2000, GS_MAX_MESSAGE, &err) ||
        gs_net_dealer_open(&push, zctx, p->hub->ipc, NULL, GS_MAX_MESSAGE, &err))
        it_die("poisoner: %s", err.msg);
    uint64_t id = 1u << 30;
    while (!atomic_load(&p->stop)) {
        double next = gs_bench_now() + 0.05; /* 20 a second */
        gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = ""};
        gs_response cp = {0}, hc = {0}, pr = {0};
        if (gs_net_client_call(node, &rq, &cp, &err) != 0 || cp.code != GS_STATUS_OK)
            goto next;
        uint64_t n = it_checkpoint_size(cp.u.checkpoint), m = 0;
        rq.origin = p->node->origin;
        if (gs_net_client_call(hub, &rq, &hc, &err) == 0 && hc.code == GS_STATUS_OK)
            m = it_checkpoint_size(hc.u.checkpoint);
        rq = (gs_request){.version = 1, .op = GS_OP_GET_CONSISTENCY_PROOF, .origin = ""};
        rq.u.get_consistency_proof.old_size = m;
        rq.u.get_consistency_proof.new_size = n;
        if (m > 0 && m < n &&
            (gs_net_client_call(node, &rq, &pr, &err) != 0 || pr.code != GS_STATUS_OK))
            goto next;
        char *bad = poison(cp.u.checkpoint, p->hub);
        if (bad == NULL)
            goto next;
        rq = (gs_request){.version = 1, .id = id++, .op = GS_OP_ADD_CHECKPOINT, .origin = ""};
        rq.u.add_checkpoint.old_size = m;
        rq.u.add_checkpoint.checkpoint = bad;
        if (m > 0 && m < n) {
            rq.u.add_checkpoint.proof = pr.u.proof.hashes;
            rq.u.add_checkpoint.n_proof = pr.u.proof.n;
        }
        gs_buf frame = {0};
        if (gs_wire_encode_request(&rq, &frame, &err) == 0 &&
            zmq_send(push, frame.p, frame.n, ZMQ_DONTWAIT) >= 0)
            atomic_fetch_add(&p->sent, 1);
        gs_buf_free(&frame);
        free(bad);
        /* Answers are read and thrown away, as a client would. */
        for (zmq_msg_t m2; zmq_msg_init(&m2) == 0 && zmq_msg_recv(&m2, push, ZMQ_DONTWAIT) >= 0;)
            zmq_msg_close(&m2);
    next:
        gs_response_clear(&cp);
        gs_response_clear(&hc);
        gs_response_clear(&pr);
        double left = next - gs_bench_now();
        if (left > 0)
            it_sleep_ms((long)(left * 1000));
    }
    gs_net_client_close(&node);
    gs_net_client_close(&hub);
    zmq_close(push);
    zmq_ctx_term(zctx);
    return NULL;
}

/* The size of the checkpoint endpoint serves for origin (with the hub's
 * cosignature line when hub_name is not NULL), 0 when none. */
static uint64_t served_size(gs_net_client *c, const char *origin, const char *hub_name)
{
    gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = origin};
    gs_response rs = {0};
    gs_error err;
    uint64_t size = 0;
    if (gs_net_client_call(c, &rq, &rs, &err) == 0 && rs.code == GS_STATUS_OK) {
        char want[GS_MAX_ORIGIN + 8];
        snprintf(want, sizeof want, "\n\u2014 %s ", hub_name != NULL ? hub_name : "");
        if (hub_name == NULL || strstr(rs.u.checkpoint, want) != NULL)
            size = it_checkpoint_size(rs.u.checkpoint);
    }
    gs_response_clear(&rs);
    return size;
}

static void bench_poison(const char *bin, void *zctx, bool quick)
{
    it_hub hub;
    it_hub_init(&hub, bin, "attack", false, "[hub]\nlog_level = warn\n");
    it_node node;
    char extra[2048];
    /* The node's conf is written before the hub's key is known to it:
     * the witness line names the hub's endpoint and log key. */
    snprintf(extra, sizeof extra,
             "[node]\ncheckpoint_interval_ms = 100\nlog_level = warn\n[witness]\nwitness = "
             "%s,%s\n",
             hub.ipc, hub.log_key);
    it_node_init(&node, bin, "poisoned", false, extra);
    char node_vkey[GS_VKEY_STR_MAX];
    it_vkey(node_vkey, node.origin, 0x01, &node.key.pub);
    const char *sources[] = {node.ipc};
    it_hub_follow(&hub, bin, node.origin, node_vkey, sources, 1);
    it_node_start(&node, bin);
    it_hub_start(&hub, bin);
    it_node_wait_ready(&node, zctx);
    it_hub_wait_ready(&hub, zctx);
    honest h;
    honest_setup(&h, &node, zctx, IT_WAIT_MS);
    gs_net_client *nc = NULL, *hc = NULL;
    gs_error err;
    if (gs_net_client_open(&nc, zctx, node.ipc, NULL, NULL, 5000, GS_MAX_MESSAGE, &err) ||
        gs_net_client_open(&hc, zctx, hub.ipc, NULL, NULL, 5000, GS_MAX_MESSAGE, &err))
        it_die("%s", err.msg);
    free(it_hub_wait_cosigned(zctx, hub.ipc, node.origin, 3, IT_WAIT_MS, hub.log));

    poisoner p = {.node = &node, .hub = &hub};
    atomic_init(&p.stop, false);
    atomic_init(&p.sent, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, poison_thread, &p) != 0)
        it_die("cannot start the poisoner");
    it_sleep_ms(1000); /* the attack is under way before the first round */
    int rounds = quick ? 8 : 30;
    double *lag = calloc((size_t)rounds, sizeof *lag);
    double t_start = gs_bench_now();
    for (int i = 0; i < rounds; i++) {
        uint64_t index = 0;
        if (honest_submit(&h, &index) != GS_STATUS_OK)
            it_die("a submission was refused; see %s", node.log);
        uint64_t want = index + 1;
        double t_cp = 0, t_cos = 0;
        for (double end = gs_bench_now() + 120; gs_bench_now() < end;) {
            if (t_cp == 0 && served_size(nc, "", NULL) >= want)
                t_cp = gs_bench_now();
            if (t_cp != 0 && served_size(hc, node.origin, hub.origin) >= want) {
                t_cos = gs_bench_now();
                break;
            }
            it_sleep_ms(5);
        }
        if (t_cos == 0)
            it_die("the hub did not cosign size %llu within 120 s under the poison; see %s",
                   (unsigned long long)want, hub.log);
        lag[i] = (t_cos - t_cp) * 1000.0;
    }
    double secs = gs_bench_now() - t_start;
    atomic_store(&p.stop, true);
    pthread_join(t, NULL);
    qsort(lag, (size_t)rounds, sizeof *lag, cmp_double);
    gs_bench_figure("cosign_lag_ms_under_poison", lag[rounds - 1], "ms");
    gs_bench_figure("cosign_lag_ms_under_poison_p50", lag[rounds / 2], "ms");
    gs_bench_figure("poisoned_add_checkpoints_per_s", (double)atomic_load(&p.sent) / (secs + 1),
                    "requests/s");
    free(lag);
    gs_net_client_close(&nc);
    gs_net_client_close(&hc);
    honest_clear(&h);
    gs_bench_figure("hub_sigterm_ms", stop_ms(hub.pid, hub.log), "ms");
    hub.pid = 0;
    it_node_stop(&node, SIGTERM);
    gs_keypair_wipe(&hub.key);
    gs_keypair_wipe(&node.key);
}

/* ------------------------------------------------------------ 2. a non-reader */

static void bench_nonreader(const char *bin, void *zctx, bool quick)
{
    it_node node;
    it_node_init(&node, bin, "nonreader", false, "[node]\nlog_level = warn\n");
    it_node_start(&node, bin);
    it_node_wait_ready(&node, zctx);
    honest h;
    honest_setup(&h, &node, zctx, IT_WAIT_MS);
    int n = quick ? 300 : 2000;
    double *ms = calloc((size_t)n, sizeof *ms);
    /* The same client on the same node without the flood first: what the
     * machine gives (a shared machine's figures are read against it). */
    for (int round = 0; round < 2; round++) {
        it_flood *f = NULL;
        if (round == 1) {
            f = it_flood_start(node.ipc, NULL, IT_FLOOD_READS, 4);
            it_sleep_ms(1000); /* the flood is under way */
        }
        for (int i = 0; i < n; i++) {
            double t0 = gs_bench_now();
            if (honest_submit(&h, NULL) != GS_STATUS_OK)
                it_die("a submission was not receipted; see %s", node.log);
            ms[i] = (gs_bench_now() - t0) * 1000.0;
        }
        qsort(ms, (size_t)n, sizeof *ms, cmp_double);
        if (round == 0) {
            gs_bench_figure("submit_p99_ms_without_flood", ms[(size_t)(n * 0.99)], "ms");
            gs_bench_figure("submit_p50_ms_without_flood", ms[n / 2], "ms");
            continue;
        }
        gs_bench_figure("submit_p99_ms_with_nonreader", ms[(size_t)(n * 0.99)], "ms");
        gs_bench_figure("submit_p50_ms_with_nonreader", ms[n / 2], "ms");
        honest_clear(&h);
        gs_bench_figure("sigterm_ms_under_read_flood", stop_ms(node.pid, node.log), "ms");
        node.pid = 0;
        gs_bench_figure("hostile_reads_sent", (double)it_flood_stop(&f), "requests");
    }
    free(ms);
    gs_keypair_wipe(&node.key);
}

/* ------------------------------------------------------------ 3. memory */

static void bench_memory(const char *bin, void *zctx, bool quick)
{
    it_node node;
    it_node_init(&node, bin, "memory", false, "[node]\nlog_level = warn\n");
    it_node_start(&node, bin);
    it_node_wait_ready(&node, zctx);
    honest h;
    honest_setup(&h, &node, zctx, 3000);
    it_flood *large = it_flood_start(node.ipc, NULL, IT_FLOOD_LARGE, 4);
    it_flood *multi = it_flood_start(node.ipc, NULL, IT_FLOOD_MULTIPART, 4);
    double worst = 0;
    int receipts = 0;
    for (double end = gs_bench_now() + (quick ? 5 : 20); gs_bench_now() < end;) {
        if (honest_submit(&h, NULL) == GS_STATUS_OK)
            receipts++;
        double rss = it_rss_mib(node.pid, false);
        if (rss > worst)
            worst = rss;
        it_sleep_ms(50);
    }
    gs_bench_figure("node_rss_mib_under_flood", worst, "MiB");
    gs_bench_figure("node_peak_rss_mib_under_flood", it_rss_mib(node.pid, true), "MiB");
    gs_bench_figure("receipts_under_memory_flood", receipts, "statements");
    honest_clear(&h);
    gs_bench_figure("sigterm_ms_under_memory_flood", stop_ms(node.pid, node.log), "ms");
    node.pid = 0;
    uint64_t sent = it_flood_stop(&large) + it_flood_stop(&multi);
    gs_bench_figure("hostile_frames_sent", (double)sent, "frames");
    gs_keypair_wipe(&node.key);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: attack_bench BUILD_DIR [--quick]\n");
        return 2;
    }
    const char *bin = argv[1];
    bool quick = gs_bench_quick(argc, argv);
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    void *zctx = zmq_ctx_new();
    bench_poison(bin, zctx, quick);
    bench_nonreader(bin, zctx, quick);
    bench_memory(bin, zctx, quick);
    zmq_ctx_term(zctx);
    it_cleanup();
    return 0;
}
