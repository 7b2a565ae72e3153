/* witness_bench.c — time to witnessed: from a statement's receipt to a
 * checkpoint holding it cosigned by both hubs that witness its log (issue 13,
 * item 2; this network's confirmation time).
 *
 * The network is the country's in small: a commune node whose witnesses are
 * its province hub and the central hub; the province hub follows the node;
 * the central hub follows the node (sources: the province hub's replica,
 * then the node, in the order deploy/network.sh writes them) and the
 * province hub's own log, and witnesses it. Every
 * daemon is real, made by `giamsat node init` / `giamsat hub init` /
 * `giamsat hub follow`, and talks tcp:// with CURVE; the node pushes its
 * checkpoints to both hubs (AddCheckpoint) as it runs.
 *
 * Sixteen officers (appointed, one commitment each) submit pre-signed
 * Progress statements over tcp+CURVE at a fixed rate (200/s, open loop:
 * statement k leaves at t0 + k/rate whatever the answers), for --seconds
 * (default 30, --quick 5). Meanwhile the benchmark polls, every POLL_MS,
 * GetCheckpoint of the node and of the commune's log at each hub (ipc://, one
 * request in flight each; no PUB socket is used). A hub is seen to have
 * cosigned size S when a note of size S served by it carries its valid
 * cosignature, or when the node serves a note of size S carrying it. A
 * statement at leaf index i is witnessed when both hubs were seen to have
 * cosigned a size > i; its time to witnessed is that moment minus the moment
 * its receipt arrived (0 when the checkpoint was seen first). Polling adds up
 * to POLL_MS to each figure.
 *
 * Figures: witnessed_p50_ms, witnessed_p99_ms, witnessed_max_ms with the
 * node in checkpoint_mode = adaptive (the default), and the same with the
 * suffix _fixed, from a second network whose node runs checkpoint_mode =
 * fixed with checkpoint_interval_ms = 1000 (what every node did before);
 * receipt_p50_ms (submission to receipt) for both. Target: witnessed_p99_ms
 * below 1000.
 *
 * usage: witness_bench BUILD_DIR [--quick] [--seconds N] [--rate R] */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "it_util.h"
#include "note.h"

#define OFFICERS 16
#define POLL_MS 2
/* How long the end waits for the last statements to be witnessed. */
#define DRAIN_MS 120000

enum { WATCH_NODE = 0, WATCH_PROVINCE, WATCH_CENTRAL, N_WATCH };

typedef struct {
    it_node node;
    it_hub prov, cent;
    gs_vkey cos[2]; /* the province's and the centre's cosigner keys */
    gs_keypair officers[OFFICERS];
} network;

/* A size seen cosigned by a hub, and when. */
typedef struct {
    uint64_t size;
    double at;
} seen;

typedef struct {
    seen *v;
    size_t n, cap;
} seen_list;

static void seen_add(seen_list *l, uint64_t size, double at)
{
    if (l->n > 0 && l->v[l->n - 1].size >= size)
        return; /* sizes only grow: the first moment a size was seen counts */
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (l->v == NULL)
            it_die("out of memory");
    }
    l->v[l->n++] = (seen){size, at};
}

/* The first moment a size > index was seen; -1 when never. */
static double seen_past(const seen_list *l, uint64_t index)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->v[mid].size > index)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo < l->n ? l->v[lo].at : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void submit_or_die(gs_net_client *c, gs_statement *st, const gs_keypair *kp,
                          const char *origin, uint64_t seq)
{
    gs_buf e = it_sign(st, kp, origin, seq);
    char msg[600];
    int code = it_submit(c, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg);
    gs_buf_free(&e);
    if (code != GS_STATUS_OK)
        it_die("setup statement refused: %s", msg);
}

static void net_up(network *w, const char *bin, void *zctx, const char *tag, bool fixed)
{
    char name[64], text[4096], log_key[GS_VKEY_STR_MAX];
    gs_error err;
    snprintf(name, sizeof name, "trung-uong-%s", tag);
    it_hub_init(&w->cent, bin, name, true, "[hub]\nlog_level = warn\n");
    /* The province hub's own log is witnessed by the centre, as in a real
     * deployment: the centre's load includes it. */
    snprintf(name, sizeof name, "tinh-%s", tag);
    snprintf(text, sizeof text, "[hub]\nlog_level = warn\n[witness]\nwitness = %s,%s\n",
             w->cent.tcp, w->cent.cosigner_key);
    it_hub_init(&w->prov, bin, name, true, text);
    snprintf(name, sizeof name, "xa-%s", tag);
    snprintf(text, sizeof text,
             "[node]\nlog_level = warn\ncheckpoint_mode = %s\ncheckpoint_interval_ms = 1000\n"
             "[witness]\nwitness = %s,%s\nwitness = %s,%s\n",
             fixed ? "fixed" : "adaptive", w->prov.tcp, w->prov.cosigner_key, w->cent.tcp,
             w->cent.cosigner_key);
    it_node_init(&w->node, bin, name, true, text);
    if (gs_vkey_parse(w->prov.cosigner_key, &w->cos[0], &err) != 0 ||
        gs_vkey_parse(w->cent.cosigner_key, &w->cos[1], &err) != 0)
        it_die("%s", err.msg);

    it_vkey(log_key, w->node.origin, GS_VKEY_ALG_ED25519, &w->node.key.pub);
    const char *from_node[] = {w->node.tcp};
    it_hub_follow(&w->prov, bin, w->node.origin, log_key, from_node, 1);
    char prov_src[GS_VKEY_STR_MAX + 160];
    snprintf(prov_src, sizeof prov_src, "%s,%s", w->prov.tcp, w->prov.log_key);
    const char *both[] = {prov_src, w->node.tcp};
    it_hub_follow(&w->cent, bin, w->node.origin, log_key, both, 2);
    const char *from_prov[] = {prov_src};
    it_hub_follow(&w->cent, bin, w->prov.origin, w->prov.log_key, from_prov, 1);

    it_hub_start(&w->cent, bin);
    it_hub_start(&w->prov, bin);
    it_hub_wait_ready(&w->cent, zctx);
    it_hub_wait_ready(&w->prov, zctx);
    it_node_start(&w->node, bin);
    it_node_wait_ready(&w->node, zctx);

    /* The officers: appointed by the node's key, one commitment each. */
    gs_net_client *admin = NULL;
    if (gs_net_client_open(&admin, zctx, w->node.ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err))
        it_die("%s", err.msg);
    uint64_t seq = it_next_seq(admin, &w->node.key.pub);
    for (int i = 0; i < OFFICERS; i++) {
        gs_keypair_generate(&w->officers[i]);
        char who[32], id[16];
        snprintf(who, sizeof who, "Officer %d", i);
        snprintf(id, sizeof id, "c%d", i);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = w->officers[i].pub;
        st.u.appointment.name = who;
        st.u.appointment.role = GS_ROLE_OFFICER;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        submit_or_die(admin, &st, &w->node.key, w->node.origin, seq++);
        st = (gs_statement){.kind = GS_BODY_COMMITMENT};
        st.u.commitment.id = id;
        st.u.commitment.title = "Vaccinate every child";
        st.u.commitment.indicator = "children vaccinated";
        st.u.commitment.unit_of_measure = "children";
        st.u.commitment.target = 5000 * (int64_t)GS_FIXED_SCALE;
        st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
        submit_or_die(admin, &st, &w->officers[i], w->node.origin, 1);
    }
    gs_net_client_close(&admin);
}

static void net_down(network *w)
{
    it_node_stop(&w->node, SIGTERM);
    it_hub_stop(&w->prov, SIGTERM);
    it_hub_stop(&w->cent, SIGTERM);
    for (int i = 0; i < OFFICERS; i++)
        gs_keypair_wipe(&w->officers[i]);
    gs_keypair_wipe(&w->node.key);
    gs_keypair_wipe(&w->prov.key);
    gs_keypair_wipe(&w->cent.key);
}

/* One watched endpoint: a GetCheckpoint in flight at most. */
typedef struct {
    void *sock;
    const char *origin; /* "" for the node's own */
    bool in_flight;
    double next_at;
    uint64_t best; /* the largest size seen */
} watch;

static void watch_send(watch *wt, double now)
{
    gs_request rq = {.version = 1, .id = 1, .op = GS_OP_GET_CHECKPOINT, .origin = wt->origin};
    gs_buf frame = {0};
    gs_error err;
    if (gs_wire_encode_request(&rq, &frame, &err) != 0)
        it_die("%s", err.msg);
    if (zmq_send(wt->sock, frame.p, frame.n, 0) < 0)
        it_die("GetCheckpoint: %s", zmq_strerror(zmq_errno()));
    gs_buf_free(&frame);
    wt->in_flight = true;
    wt->next_at = now + POLL_MS / 1000.0;
}

/* Reads a GetCheckpoint answer of watch k and records what it shows. */
static void watch_read(network *w, watch *wt, int k, seen_list cosigned[3], double now)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, wt->sock, 0) < 0) {
        zmq_msg_close(&m);
        return;
    }
    wt->in_flight = false;
    gs_response rs = {0};
    gs_error err;
    if (gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)), GS_MAX_MESSAGE,
                                &rs, &err) == 0 &&
        rs.code == GS_STATUS_OK && rs.result == GS_RESULT_CHECKPOINT) {
        uint64_t size = it_checkpoint_size(rs.u.checkpoint);
        gs_note *note = NULL;
        if (k == WATCH_NODE)
            seen_add(&cosigned[2], size, now); /* signed by the node */
        if (size > wt->best &&
            gs_note_parse(rs.u.checkpoint, strlen(rs.u.checkpoint), &note, &err) == 0) {
            bool all = true;
            for (int h = 0; h < 2; h++) {
                if (k != WATCH_NODE && k - 1 != h)
                    continue;
                int64_t ts;
                if (gs_cosignature_verify(note, &w->cos[h], &ts, NULL) == 0)
                    seen_add(&cosigned[h], size, now);
                else
                    all = false;
            }
            if (all)
                wt->best = size; /* nothing more to learn from this size */
        }
        gs_note_free(&note);
    }
    gs_response_clear(&rs);
    zmq_msg_close(&m);
}

/* Submits total statements at rate over tcp+CURVE and measures; prints the
 * figures with suffix. */
static void measure(network *w, void *zctx, double rate, double seconds, const char *suffix)
{
    size_t total = (size_t)(rate * seconds);
    gs_error err;
    gs_buf *frames = calloc(total, sizeof *frames);
    double *sent_at = calloc(total, sizeof *sent_at);
    double *receipt_at = calloc(total, sizeof *receipt_at);
    uint64_t *index = calloc(total, sizeof *index);
    if (frames == NULL || sent_at == NULL || receipt_at == NULL || index == NULL)
        it_die("out of memory");
    /* Pre-signed: the figure is the network's, not the signer's. */
    for (size_t k = 0; k < total; k++) {
        char id[16];
        snprintf(id, sizeof id, "c%zu", k % OFFICERS);
        gs_statement p = {.kind = GS_BODY_PROGRESS};
        p.u.progress.commitment_id = id;
        p.u.progress.value = (int64_t)k * GS_FIXED_SCALE;
        p.u.progress.note = "weekly count from the health station";
        gs_buf entry = it_sign(&p, &w->officers[k % OFFICERS], w->node.origin, 2 + k / OFFICERS);
        gs_request rq = {.version = 1, .id = k + 1, .op = GS_OP_SUBMIT, .origin = ""};
        rq.u.submit.entry = entry;
        if (gs_wire_encode_request(&rq, &frames[k], &err) != 0)
            it_die("%s", err.msg);
        gs_buf_free(&entry);
    }
    zmq_pollitem_t items[OFFICERS + N_WATCH];
    void *socks[OFFICERS];
    for (int i = 0; i < OFFICERS; i++) {
        gs_net_curve curve;
        if (gs_net_curve_client(&curve, &w->node.key.pub, &w->officers[i], &err) != 0 ||
            gs_net_dealer_open(&socks[i], zctx, w->node.tcp, &curve,
                               GS_MAX_MESSAGE + GS_NET_FRAME_SLACK, &err) != 0)
            it_die("%s", err.msg);
        items[i] = (zmq_pollitem_t){.socket = socks[i], .events = ZMQ_POLLIN};
    }
    watch watches[N_WATCH] = {
        {.origin = ""}, {.origin = w->node.origin}, {.origin = w->node.origin}};
    const char *eps[N_WATCH] = {w->node.ipc, w->prov.ipc, w->cent.ipc};
    for (int k = 0; k < N_WATCH; k++) {
        if (gs_net_dealer_open(&watches[k].sock, zctx, eps[k], NULL, GS_MAX_MESSAGE, &err) != 0)
            it_die("%s", err.msg);
        items[OFFICERS + k] = (zmq_pollitem_t){.socket = watches[k].sock, .events = ZMQ_POLLIN};
    }
    /* [0] the province hub, [1] the centre, [2] the node's own signature */
    seen_list cosigned[3] = {{0}, {0}, {0}};
    size_t next = 0, answered = 0;
    uint64_t last_index = 0;
    double t0 = gs_bench_now(), end = 0;
    for (;;) {
        double now = gs_bench_now();
        while (next < total && now >= t0 + (double)next / rate) {
            if (zmq_send(socks[next % OFFICERS], frames[next].p, frames[next].n, 0) < 0)
                it_die("submit: %s", zmq_strerror(zmq_errno()));
            sent_at[next++] = now;
        }
        if (answered == total) {
            if (end == 0)
                end = now + DRAIN_MS / 1000.0;
            bool done = true;
            for (int h = 0; h < 2; h++)
                done = done && seen_past(&cosigned[h], last_index) >= 0;
            if (done)
                break;
            if (now > end)
                it_die("statements not witnessed within %d s after the last receipt; see %s, %s, "
                       "%s",
                       DRAIN_MS / 1000, w->node.log, w->prov.log, w->cent.log);
        }
        double wake = now + 0.1;
        if (next < total && t0 + (double)next / rate < wake)
            wake = t0 + (double)next / rate;
        for (int k = 0; k < N_WATCH; k++) {
            if (!watches[k].in_flight && now >= watches[k].next_at)
                watch_send(&watches[k], now);
            if (!watches[k].in_flight && watches[k].next_at < wake)
                wake = watches[k].next_at;
        }
        long timeout = wake > now ? (long)((wake - now) * 1000.0) : 0;
        if (zmq_poll(items, OFFICERS + N_WATCH, timeout) < 0)
            continue;
        now = gs_bench_now();
        for (int i = 0; i < OFFICERS; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT) >= 0) {
                gs_response rs = {0};
                gs_receipt r = {0};
                if (gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                            GS_MAX_MESSAGE, &rs, &err) != 0 ||
                    rs.code != GS_STATUS_OK || rs.result != GS_RESULT_RECEIPT)
                    it_die("statement refused: %s; see %s",
                           rs.message != NULL ? rs.message : err.msg, w->node.log);
                if (rs.id == 0 || rs.id > total)
                    it_die("an answer to a request never sent (%llu)", (unsigned long long)rs.id);
                if (gs_wire_open_receipt(gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n),
                                         &w->node.key.pub, &r, &err) != 0)
                    it_die("receipt: %s", err.msg);
                size_t k = (size_t)(rs.id - 1);
                receipt_at[k] = now;
                index[k] = r.index;
                if (r.index > last_index)
                    last_index = r.index;
                answered++;
                gs_receipt_clear(&r);
                gs_response_clear(&rs);
                zmq_msg_close(&m);
                zmq_msg_init(&m);
            }
            zmq_msg_close(&m);
        }
        for (int k = 0; k < N_WATCH; k++)
            if (items[OFFICERS + k].revents & ZMQ_POLLIN)
                watch_read(w, &watches[k], k, cosigned, now);
    }

    double *wit = calloc(total, sizeof *wit), *rec = calloc(total, sizeof *rec);
    double *part[3];
    for (int h = 0; h < 3; h++)
        if ((part[h] = calloc(total, sizeof *part[h])) == NULL)
            it_die("out of memory");
    if (wit == NULL || rec == NULL)
        it_die("out of memory");
    for (size_t k = 0; k < total; k++) {
        double at = 0;
        for (int h = 0; h < 2; h++) {
            double t = seen_past(&cosigned[h], index[k]);
            if (t > at)
                at = t;
        }
        wit[k] = at > receipt_at[k] ? (at - receipt_at[k]) * 1000.0 : 0;
        for (int h = 0; h < 3; h++) {
            double t = seen_past(&cosigned[h], index[k]);
            part[h][k] = t > receipt_at[k] ? (t - receipt_at[k]) * 1000.0 : 0;
        }
        rec[k] = (receipt_at[k] - sent_at[k]) * 1000.0;
    }
    qsort(wit, total, sizeof *wit, cmp_double);
    qsort(rec, total, sizeof *rec, cmp_double);
    char name[64];
    snprintf(name, sizeof name, "witnessed_p50_ms%s", suffix);
    gs_bench_figure(name, wit[total / 2], "ms");
    snprintf(name, sizeof name, "witnessed_p99_ms%s", suffix);
    gs_bench_figure(name, wit[(size_t)((double)total * 0.99)], "ms");
    snprintf(name, sizeof name, "witnessed_max_ms%s", suffix);
    gs_bench_figure(name, wit[total - 1], "ms");
    snprintf(name, sizeof name, "receipt_p50_ms%s", suffix);
    gs_bench_figure(name, rec[total / 2], "ms");
    snprintf(name, sizeof name, "witnessed_statements%s", suffix);
    gs_bench_figure(name, (double)total, "statements");
    /* Where the time goes: the node's checkpoint, then each hub's line. */
    static const char *const parts[3] = {"province", "central", "checkpointed"};
    for (int h = 0; h < 3; h++) {
        qsort(part[h], total, sizeof *part[h], cmp_double);
        snprintf(name, sizeof name, "%s_p50_ms%s", parts[h], suffix);
        gs_bench_figure(name, part[h][total / 2], "ms");
        snprintf(name, sizeof name, "%s_p99_ms%s", parts[h], suffix);
        gs_bench_figure(name, part[h][(size_t)((double)total * 0.99)], "ms");
        free(part[h]);
    }
    free(wit);
    free(rec);
    for (int i = 0; i < OFFICERS; i++)
        zmq_close(socks[i]);
    for (int k = 0; k < N_WATCH; k++)
        zmq_close(watches[k].sock);
    for (int h = 0; h < 3; h++)
        free(cosigned[h].v);
    for (size_t k = 0; k < total; k++)
        gs_buf_free(&frames[k]);
    free(frames);
    free(sent_at);
    free(receipt_at);
    free(index);
}

static void load_figure(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = -1;
    if (f != NULL) {
        if (fscanf(f, "%lf", &l1) != 1)
            l1 = -1;
        fclose(f);
    }
    gs_bench_figure("load_avg_1m", l1, "load");
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: witness_bench BUILD_DIR [--quick] [--seconds N] [--rate R]\n");
        return 2;
    }
    const char *bin = argv[1];
    double seconds = gs_bench_quick(argc, argv) ? 5 : 30, rate = 200;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            rate = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--quick") != 0) {
            fprintf(stderr, "witness_bench: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!(seconds > 0 && seconds <= 3600 && rate > 0 && rate <= 100000)) {
        fprintf(stderr, "witness_bench: expected --seconds in (0, 3600] and --rate in (0, "
                        "100000]\n");
        return 2;
    }
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    load_figure();
    gs_bench_figure("witness_rate", rate, "statements/s");
    void *zctx = zmq_ctx_new();
    static const struct {
        const char *tag, *suffix;
        bool fixed;
    } modes[] = {{"a", "", false}, {"f", "_fixed", true}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        network w;
        memset(&w, 0, sizeof w);
        net_up(&w, bin, zctx, modes[i].tag, modes[i].fixed);
        measure(&w, zctx, rate, seconds, modes[i].suffix);
        net_down(&w);
    }
    zmq_ctx_term(zctx);
    return 0;
}
