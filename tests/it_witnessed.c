/* it_witnessed.c — checkpoint scheduling (node.c maybe_checkpoint, issue 13
 * item 2) with a real giamsat-node and a real giamsat-hub as its witness.
 *
 *   1. adaptive mode (the default) with checkpoint_interval_ms at its
 *      largest, a day: every statement still gets into a checkpoint
 *      cosigned by the hub, one at a time and in a burst — the checkpoints
 *      come from the commits, not from the interval;
 *   2. checkpoint_mode = fixed, applied by SIGHUP: a statement committed
 *      now is not in a checkpoint before the interval (a day) is over —
 *      the old behaviour; back to adaptive by SIGHUP, it is checkpointed and
 *      cosigned at once;
 *   3. a second witness that takes AddCheckpoints and never answers: the
 *      node waits for it at most checkpoint_interval_ms (here 1 s), and the
 *      statements still get the hub's cosignature.
 * No step is timed: each waits for its condition on the IT_WAIT_MS
 * deadline. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_util.h"
#include "note.h"

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

static const char *bin;
static void *zctx;

/* Replaces the first `from` in the file with `to`. */
static void edit_conf(const char *path, const char *from, const char *to)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot read %s", path);
    static char text[1 << 16], out[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *at = strstr(text, from);
    CHECK(at != NULL, "%s holds no \"%s\"", path, from);
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    fputs(out, f);
    fclose(f);
}

/* Whether the file holds the text (a daemon's log). */
static bool file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static void wait_log(const char *path, const char *text)
{
    for (int64_t end = it_now_ms() + IT_WAIT_MS; !file_has(path, text); it_sleep_ms(50))
        CHECK(it_now_ms() < end, "no \"%s\" in %s", text, path);
}

/* The size of the node's checkpoint when it carries a valid cosignature by
 * the witness, else 0. */
static uint64_t cosigned_size(const it_node *n, const gs_vkey *witness)
{
    char *text = it_get_checkpoint(zctx, n->ipc, "", NULL);
    gs_note *note = NULL;
    int64_t ts;
    uint64_t size = 0;
    if (text != NULL && gs_note_parse(text, strlen(text), &note, NULL) == 0 &&
        gs_cosignature_verify(note, witness, &ts, NULL) == 0)
        size = it_checkpoint_size(text);
    gs_note_free(&note);
    free(text);
    return size;
}

static void wait_cosigned(const it_node *n, const gs_vkey *witness, uint64_t size, const char *why)
{
    for (int64_t end = it_now_ms() + IT_WAIT_MS; cosigned_size(n, witness) < size; it_sleep_ms(20))
        CHECK(it_now_ms() < end,
              "%s: the node never served a checkpoint of size %llu cosigned by "
              "%s; see %s",
              why, (unsigned long long)size, witness->name, n->log);
}

typedef struct {
    gs_keypair officer;
    uint64_t seq;
    gs_net_client *c;
} writer;

/* Appoints an officer with one commitment (by the node's key). */
static void writer_open(writer *w, it_node *n)
{
    gs_error err;
    CHECK(gs_net_client_open(&w->c, zctx, n->ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) == 0,
          "%s", err.msg);
    gs_keypair_generate(&w->officer);
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = w->officer.pub;
    st.u.appointment.name = "Officer";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    gs_buf e = it_sign(&st, &n->key, n->origin, it_next_seq(w->c, &n->key.pub));
    char msg[600];
    CHECK(it_submit(w->c, gs_bytes_of(e.p, e.n), &n->key.pub, NULL, msg, sizeof msg) ==
              GS_STATUS_OK,
          "appointment refused: %s", msg);
    gs_buf_free(&e);
    st = (gs_statement){.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = "c1";
    st.u.commitment.title = "Vaccinate every child";
    st.u.commitment.indicator = "children vaccinated";
    st.u.commitment.unit_of_measure = "children";
    st.u.commitment.target = 5000 * (int64_t)GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = 4102444800; /* 2100 */
    e = it_sign(&st, &w->officer, n->origin, 1);
    CHECK(it_submit(w->c, gs_bytes_of(e.p, e.n), &n->key.pub, NULL, msg, sizeof msg) ==
              GS_STATUS_OK,
          "commitment refused: %s", msg);
    gs_buf_free(&e);
    w->seq = 2;
}

/* Submits one Progress statement; returns its leaf index. */
static uint64_t progress(writer *w, it_node *n)
{
    gs_statement st = {.kind = GS_BODY_PROGRESS};
    st.u.progress.commitment_id = "c1";
    st.u.progress.value = (int64_t)w->seq * GS_FIXED_SCALE;
    st.u.progress.note = "weekly count";
    gs_buf e = it_sign(&st, &w->officer, n->origin, w->seq++);
    gs_receipt r = {0};
    char msg[600];
    CHECK(it_submit(w->c, gs_bytes_of(e.p, e.n), &n->key.pub, &r, msg, sizeof msg) == GS_STATUS_OK,
          "progress refused: %s", msg);
    gs_buf_free(&e);
    uint64_t index = r.index;
    gs_receipt_clear(&r);
    return index;
}

static void writer_close(writer *w)
{
    gs_net_client_close(&w->c);
    gs_keypair_wipe(&w->officer);
}

/* Sends SIGHUP and waits for the node to say it applied the line. */
static void reload(it_node *n, const char *line)
{
    CHECK(kill(n->pid, SIGHUP) == 0, "kill -HUP");
    wait_log(n->log, line);
}

int main(int argc, char **argv)
{
    gs_error err;
    if (argc < 2) {
        fprintf(stderr, "usage: it_witnessed BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    CHECK(gs_crypto_init(&err) == 0, "%s", err.msg);
    zctx = zmq_ctx_new();

    it_hub h;
    it_hub_init(&h, bin, "tinh", false, "[hub]\nlog_level = info\n");
    gs_vkey hub_vk;
    CHECK(gs_vkey_parse(h.cosigner_key, &hub_vk, &err) == 0, "%s", err.msg);
    char extra[1200];
    snprintf(extra, sizeof extra, "[witness]\nwitness = %s,%s\n", h.ipc, h.cosigner_key);
    it_node n;
    it_node_init(&n, bin, "an-binh", false, extra);
    edit_conf(n.conf, "checkpoint_interval_ms = 1000\n",
              "checkpoint_interval_ms = 86400000\ncheckpoint_mode = adaptive\n");
    char log_key[GS_VKEY_STR_MAX];
    it_vkey(log_key, n.origin, GS_VKEY_ALG_ED25519, &n.key.pub);
    const char *src[] = {n.ipc};
    it_hub_follow(&h, bin, n.origin, log_key, src, 1);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    it_node_start(&n, bin);
    it_node_wait_ready(&n, zctx);

    /* 1. */
    writer w;
    writer_open(&w, &n);
    for (int i = 0; i < 5; i++) {
        uint64_t at = progress(&w, &n);
        wait_cosigned(&n, &hub_vk, at + 1, "adaptive, one at a time");
    }
    uint64_t last = 0;
    for (int i = 0; i < 40; i++)
        last = progress(&w, &n);
    wait_cosigned(&n, &hub_vk, last + 1, "adaptive, a burst");
    printf("ok 1 - adaptive checkpoints with a checkpoint_interval_ms of a day: every statement "
           "was checkpointed and cosigned by the hub (up to size %llu)\n",
           (unsigned long long)(last + 1));

    /* 2. */
    edit_conf(n.conf, "checkpoint_mode = adaptive", "checkpoint_mode = fixed");
    reload(&n, "reload: [node] checkpoint_mode adaptive -> fixed");
    uint64_t held = progress(&w, &n);
    char *note = it_get_checkpoint(zctx, n.ipc, "", NULL);
    CHECK(note != NULL && it_checkpoint_size(note) <= held,
          "fixed mode: entry %llu is in a checkpoint (size %llu) before the interval of a day",
          (unsigned long long)held, (unsigned long long)it_checkpoint_size(note));
    free(note);
    edit_conf(n.conf, "checkpoint_mode = fixed", "checkpoint_mode = adaptive");
    reload(&n, "reload: [node] checkpoint_mode fixed -> adaptive");
    wait_cosigned(&n, &hub_vk, held + 1, "back to adaptive");
    printf("ok 2 - checkpoint_mode = fixed (by SIGHUP) left entry %llu out of any checkpoint; "
           "back to adaptive, it was checkpointed and cosigned at once\n",
           (unsigned long long)held);

    /* 3. A witness that takes requests and never answers. */
    it_node_stop(&n, SIGTERM);
    gs_keypair mute;
    gs_keypair_generate(&mute);
    char mute_vk[GS_VKEY_STR_MAX], mute_ep[700], line[GS_VKEY_STR_MAX + 800];
    it_vkey(mute_vk, "giamsat/hub/mute", GS_VKEY_ALG_COSIGNATURE_V1, &mute.pub);
    snprintf(mute_ep, sizeof mute_ep, "ipc://%s/mute.sock", it_tmpdir());
    void *router = zmq_socket(zctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
    CHECK(zmq_bind(router, mute_ep) == 0, "bind %s: %s", mute_ep, zmq_strerror(zmq_errno()));
    snprintf(line, sizeof line, "[witness]\nwitness = %s,%s\n", mute_ep, mute_vk);
    edit_conf(n.conf, "[witness]\n", line);
    edit_conf(n.conf, "checkpoint_interval_ms = 86400000", "checkpoint_interval_ms = 1000");
    it_node_start(&n, bin);
    it_node_wait_ready(&n, zctx);
    gs_net_client_close(&w.c);
    CHECK(gs_net_client_open(&w.c, zctx, n.ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) == 0, "%s",
          err.msg);
    /* The start check waits for the mute witness (start_check_ms) before
     * the node takes submissions; it_submit waits that out. */
    for (int i = 0; i < 3; i++)
        last = progress(&w, &n);
    wait_cosigned(&n, &hub_vk, last + 1, "a mute second witness");
    /* It was asked: the node did send to it. */
    zmq_pollitem_t it = {.socket = router, .events = ZMQ_POLLIN};
    CHECK(zmq_poll(&it, 1, 0) == 1, "the mute witness got no AddCheckpoint");
    printf("ok 3 - a second witness that never answers holds checkpoints back at most "
           "checkpoint_interval_ms: entries up to %llu cosigned by the hub\n",
           (unsigned long long)last);

    writer_close(&w);
    zmq_close(router);
    it_node_stop(&n, SIGTERM);
    it_hub_stop(&h, SIGTERM);
    zmq_ctx_term(zctx);
    gs_keypair_wipe(&mute);
    gs_keypair_wipe(&n.key);
    gs_keypair_wipe(&h.key);
    return 0;
}
