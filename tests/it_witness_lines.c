/* it_witness_lines.c — a witness signs only its own line (DESIGN principle
 * 10), seen from a real giamsat-node.
 *
 * A real node names one witness (a press monitor's key) in its node.conf.
 * The witness here is played by this test on a ROUTER socket, as a
 * dishonest one would play it: it answers the node's AddCheckpoint with its
 * own valid cosignature AND a forged line under a hub's name and key ID
 * (the right key ID, a spoiled signature). The node must keep the witness's
 * own line and nothing else: the checkpoint it serves carries the press
 * cosignature, no line under the hub's name, and the hub's real cosignature
 * can still be added to it. A second answer holding only the forged line
 * must leave the served note as it was.
 *
 * usage: it_witness_lines BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "it_util.h"
#include "note.h"
#include "wire.h"

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

#define HUB_NAME "giamsat/hub/ha-noi"

static gs_keypair press, hub;

/* A cosignature line (no final newline) by kp under name over the note's
 * text; with spoil, one base64 character of the signature is changed, so the
 * name and key ID stay right and the signature is wrong. */
static char *line_for(const char *note_text, const char *name, const gs_keypair *kp, bool spoil)
{
    gs_note *n = NULL;
    gs_error err = {0};
    char *line = NULL;
    size_t tlen;
    if (gs_note_parse(note_text, strlen(note_text), &n, &err) != 0)
        it_die("the node's checkpoint does not parse: %s", err.msg);
    const char *text = gs_note_text(n, &tlen);
    if (gs_cosignature_sign(text, tlen, name, kp, (int64_t)time(NULL), &line, &err) != 0)
        it_die("cosignature: %s", err.msg);
    gs_note_free(&n);
    line[strcspn(line, "\n")] = '\0';
    if (spoil) {
        /* 76 bytes are 104 base64 characters ending "==": change one well
         * inside the signature. */
        size_t len = strlen(line);
        char *c = &line[len - 10];
        *c = *c == 'A' ? 'B' : 'A';
    }
    return line;
}

/* Answers one AddCheckpoint waiting on the ROUTER with `lines`; returns the
 * note the node sent (malloc'd), or NULL when none came in time. */
static char *answer_one(void *router, const char *press_lines_fmt_hub_only, bool hub_only)
{
    (void)press_lines_fmt_hub_only;
    int64_t end = it_now_ms() + IT_WAIT_MS;
    while (it_now_ms() < end) {
        zmq_pollitem_t it = {.socket = router, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, 200) <= 0)
            continue;
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, router, 0) < 0 || zmq_msg_recv(&body, router, 0) < 0)
            it_die("witness recv: %s", zmq_strerror(zmq_errno()));
        gs_request rq = {0};
        gs_error err = {0};
        if (gs_wire_decode_request(gs_bytes_of(zmq_msg_data(&body), zmq_msg_size(&body)),
                                   GS_MAX_MESSAGE, &rq, &err) != 0)
            it_die("the node sent a request that does not decode: %s", err.msg);
        CHECK(rq.op == GS_OP_ADD_CHECKPOINT, "the node sent op %d, not AddCheckpoint", (int)rq.op);
        char *note = strdup(rq.u.add_checkpoint.checkpoint);
        char *forged = line_for(note, HUB_NAME, &hub, true);
        char *own = line_for(note, "press-monitor", &press, false);
        char lines[2048];
        if (hub_only)
            snprintf(lines, sizeof lines, "%s\n", forged);
        else
            snprintf(lines, sizeof lines, "%s\n%s\n", own, forged);
        gs_response rs = {.id = rq.id, .code = GS_STATUS_OK, .message = ""};
        rs.result = GS_RESULT_COSIGNATURE;
        rs.u.cosignature = lines;
        gs_buf out = {0};
        if (gs_wire_encode_response(&rs, &out, &err) != 0)
            it_die("encode: %s", err.msg);
        zmq_msg_send(&id, router, ZMQ_SNDMORE);
        if (zmq_send(router, out.p, out.n, 0) < 0)
            it_die("witness send: %s", zmq_strerror(zmq_errno()));
        gs_buf_free(&out);
        zmq_msg_close(&body);
        free(forged);
        free(own);
        gs_request_clear(&rq);
        return note;
    }
    return NULL;
}

/* Waits until the node serves a note for which ok() holds. */
static char *wait_note(void *zctx, it_node *n, bool (*ok)(const char *note), const char *what)
{
    int64_t end = it_now_ms() + IT_WAIT_MS;
    while (it_now_ms() < end) {
        int code = 0;
        char *note = it_get_checkpoint(zctx, n->ipc, n->origin, &code);
        if (note != NULL && ok(note))
            return note;
        free(note);
        it_sleep_ms(100);
    }
    it_die("after %d s: %s", IT_WAIT_MS / 1000, what);
}

static gs_vkey press_vk, hub_vk;

static bool press_cosigned(const char *note)
{
    gs_note *n = NULL;
    int64_t ts;
    bool ok = gs_note_parse(note, strlen(note), &n, NULL) == 0 &&
              gs_cosignature_verify(n, &press_vk, &ts, NULL) == 0;
    gs_note_free(&n);
    return ok;
}

int main(int argc, char **argv)
{
    gs_error err = {0};
    if (argc < 2) {
        fprintf(stderr, "usage: it_witness_lines BUILD_DIR\n");
        return 2;
    }
    const char *bin = argv[1];
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    gs_keypair_generate(&press);
    gs_keypair_generate(&hub);
    if (gs_vkey_make(&press_vk, "press-monitor", GS_VKEY_ALG_COSIGNATURE_V1, &press.pub, &err) !=
            0 ||
        gs_vkey_make(&hub_vk, HUB_NAME, GS_VKEY_ALG_COSIGNATURE_V1, &hub.pub, &err) != 0)
        it_die("%s", err.msg);
    char press_str[GS_VKEY_STR_MAX];
    it_vkey(press_str, "press-monitor", GS_VKEY_ALG_COSIGNATURE_V1, &press.pub);

    void *zctx = zmq_ctx_new();
    char ep[700];
    snprintf(ep, sizeof ep, "ipc://%s/press.sock", it_tmpdir());
    void *router = zmq_socket(zctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
    CHECK(zmq_bind(router, ep) == 0, "bind %s: %s", ep, zmq_strerror(zmq_errno()));

    char extra[1200];
    snprintf(extra, sizeof extra, "[witness]\nwitness = %s,%s\n", ep, press_str);
    it_node n;
    it_node_init(&n, bin, "an-binh", false, extra);
    it_node_start(&n, bin);
    it_node_wait_ready(&n, zctx);

    /* 1. Its own line and a forged hub line: only its own is kept. */
    char *sent = answer_one(router, NULL, false);
    CHECK(sent != NULL, "the node never sent its checkpoint to its witness");
    char *note = wait_note(zctx, &n, press_cosigned,
                           "the node serves no checkpoint cosigned by its witness");
    CHECK(strstr(note, "\xe2\x80\x94 " HUB_NAME " ") == NULL,
          "the node stored a line under %s that its witness sent:\n%s", HUB_NAME, note);
    printf("ok   the node keeps its witness's own cosignature and drops the forged %s line\n",
           HUB_NAME);

    /* The honest hub's real cosignature still joins the note. */
    gs_note *nn = NULL;
    if (gs_note_parse(note, strlen(note), &nn, &err) != 0)
        it_die("%s", err.msg);
    char *real = line_for(note, HUB_NAME, &hub, false);
    CHECK(gs_note_add_signature(nn, real, strlen(real), &err) == 0,
          "the hub's real cosignature is refused by the note the node serves: %s", err.msg);
    int64_t ts;
    CHECK(gs_cosignature_verify(nn, &hub_vk, &ts, &err) == 0 &&
              gs_cosignature_verify(nn, &press_vk, &ts, &err) == 0,
          "the note with both cosignatures does not verify: %s", err.msg);
    printf("ok   the honest hub's cosignature can still be added and verifies\n");
    gs_note_free(&nn);
    free(real);
    free(sent);

    /* 2. A new checkpoint answered with the forged line only: the node
     * merges nothing, and keeps serving a note without it. */
    gs_net_client *c = NULL;
    if (gs_net_client_open(&c, zctx, n.ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    gs_statement st = {.kind = GS_BODY_FEEDBACK};
    st.u.feedback.text = "the bridge needs repair";
    gs_keypair citizen;
    gs_keypair_generate(&citizen);
    gs_buf e = it_sign(&st, &citizen, n.origin, 1);
    gs_receipt r = {0};
    CHECK(it_submit(c, gs_bytes_of(e.p, e.n), &n.key.pub, &r, NULL, 0) == 0,
          "the node refused a feedback");
    gs_receipt_clear(&r);
    gs_buf_free(&e);
    gs_net_client_close(&c);
    char *sent2 = answer_one(router, NULL, true);
    CHECK(sent2 != NULL, "the node never sent its second checkpoint to its witness");
    CHECK(it_checkpoint_size(sent2) == 2, "the second checkpoint has size %llu, not 2",
          (unsigned long long)it_checkpoint_size(sent2));
    /* The node's answer to the forged-only reply lands before its next
     * request: wait for that retry (it backs off and asks again), then look
     * at what it serves. */
    char *sent3 = answer_one(router, NULL, false);
    CHECK(sent3 != NULL, "the node did not ask its witness again after a reply without its line");
    char *note2 = wait_note(zctx, &n, press_cosigned,
                            "the node serves no cosigned checkpoint after the retry");
    CHECK(it_checkpoint_size(note2) == 2, "served size %llu, not 2",
          (unsigned long long)it_checkpoint_size(note2));
    CHECK(strstr(note2, "\xe2\x80\x94 " HUB_NAME " ") == NULL,
          "a forged-only answer left a line under %s:\n%s", HUB_NAME, note2);
    printf("ok   an answer with no line of the witness's own is refused and retried; nothing "
           "forged is kept\n");
    free(sent2);
    free(sent3);
    free(note2);
    free(note);

    it_node_stop(&n, SIGTERM);
    zmq_close(router);
    zmq_ctx_term(zctx);
    it_cleanup();
    return 0;
}
