/* it_node_bad_input.c — bad input gets the right status and a clear
 * message, and the node keeps serving.
 *
 * A real giamsat-node with an ipc:// endpoint (write access by file
 * permissions) and a tcp:// endpoint with CURVE whose write allowlist holds
 * one key. Every case sends its bytes over a real socket and checks the
 * status code and the reason in the answer; after each, the node must still
 * answer GetCheckpoint. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "it_util.h"
#include "merkle.h"

#define MAX_MESSAGE 65536

static int failures;
static void *zctx;
static it_node node;

static void check(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void check(bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: ", ok ? "ok  " : "FAIL", name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (!ok)
        failures++;
}

/* Sends one raw frame on a fresh DEALER and waits for one answer. Returns
 * false when nothing came back within timeout_ms. */
static bool raw_call(const char *ep, const void *frame, size_t n, int timeout_ms, gs_response *rs)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(s, ep);
    zmq_send(s, frame, n, 0);
    zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
    bool got = false;
    if (zmq_poll(&it, 1, timeout_ms) > 0) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) >= 0) {
            gs_error err;
            got = gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)),
                                          GS_MAX_MESSAGE, rs, &err) == 0;
        }
        zmq_msg_close(&m);
    }
    zmq_close(s);
    return got;
}

static void expect_raw(const char *name, const void *frame, size_t n, gs_status_code want,
                       const char *phrase)
{
    gs_response rs = {0};
    bool got = raw_call(node.ipc, frame, n, 5000, &rs);
    check(got && rs.code == want && strstr(rs.message, phrase) != NULL, name,
          "want %s with \"%s\", got %s: %s", gs_status_name(want), phrase,
          got ? gs_status_name(rs.code) : "no answer", got ? rs.message : "");
    gs_response_clear(&rs);
}

static void still_serving(const char *after)
{
    gs_net_client *c = NULL;
    gs_error err;
    gs_response rs = {0};
    bool ok = false;
    if (gs_net_client_open(&c, zctx, node.ipc, NULL, NULL, 5000, GS_MAX_MESSAGE, &err) == 0) {
        gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = ""};
        ok = gs_net_client_call(c, &rq, &rs, &err) == 0 && rs.code == GS_STATUS_OK;
    }
    gs_response_clear(&rs);
    gs_net_client_close(&c);
    if (!ok)
        it_die("the node stopped serving after: %s (see %s)", after, node.log);
}

typedef struct {
    gs_keypair key;
    uint64_t seq;
} signer;

static gs_net_client *ipc_client;

/* Signs st as s (next seq), submits over ipc, and checks the status. */
static void expect_submit(const char *name, signer *s, gs_statement *st, gs_status_code want,
                          const char *phrase)
{
    gs_buf e = it_sign(st, &s->key, node.origin, s->seq);
    gs_receipt r = {0};
    char msg[1024];
    int code = it_submit(ipc_client, gs_bytes_of(e.p, e.n), &node.key.pub, &r, msg, sizeof msg);
    if (code == GS_STATUS_OK)
        s->seq++;
    check(code == (int)want && strstr(msg, phrase) != NULL, name, "want %s with \"%s\", got %s: %s",
          gs_status_name(want), phrase,
          code >= 0 ? gs_status_name((gs_status_code)code) : "no answer", msg);
    gs_receipt_clear(&r);
    gs_buf_free(&e);
    still_serving(name);
}

static gs_statement appointment(const gs_pubkey *person, const char *name, gs_role role)
{
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = *person;
    st.u.appointment.name = name;
    st.u.appointment.role = role;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    return st;
}

static gs_statement commitment(const char *id)
{
    gs_statement st = {.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = id;
    st.u.commitment.title = "Clean water for every household";
    st.u.commitment.indicator = "households connected";
    st.u.commitment.unit_of_measure = "%";
    st.u.commitment.target = 95 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 90;
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        it_die("usage: %s BUILD_DIR", argv[0]);
    const char *bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);

    signer writer = {0};
    gs_keypair_generate(&writer.key);
    char writer_b64[64];
    gs_base64_encode(writer_b64, sizeof writer_b64, gs_bytes_of(writer.key.pub.b, 32));
    char extra[512];
    snprintf(extra, sizeof extra,
             "[node]\nmax_message = %d\nmax_clock_skew = 300\n"
             "[access]\nopen_submission = false\npublic_read = true\nwriter = %s\n",
             MAX_MESSAGE, writer_b64);
    it_node_init(&node, bin, "bad-input", true, extra);
    it_node_start(&node, bin);
    zctx = zmq_ctx_new();
    it_node_wait_ready(&node, zctx);
    if (gs_net_client_open(&ipc_client, zctx, node.ipc, NULL, NULL, 5000, GS_MAX_MESSAGE, &err))
        it_die("%s", err.msg);

    /* ---- frames that are not a valid request */
    uint8_t noise[512];
    randombytes_buf(noise, sizeof noise);
    noise[0] = 0xff; /* never a valid protobuf tag start for Request */
    expect_raw("random bytes", noise, sizeof noise, GS_STATUS_INVALID_ARGUMENT, "malformed");
    still_serving("random bytes");

    gs_request gc = {.version = 1, .id = 7, .op = GS_OP_GET_ENTRIES, .origin = node.origin};
    gc.u.get_entries.start = 0;
    gc.u.get_entries.count = 10;
    gs_buf frame = {0};
    if (gs_wire_encode_request(&gc, &frame, &err) != 0)
        it_die("%s", err.msg);
    expect_raw("truncated frame", frame.p, frame.n - 3, GS_STATUS_INVALID_ARGUMENT, "malformed");
    still_serving("truncated frame");
    gs_buf_free(&frame);

    size_t big = MAX_MESSAGE + 1000;
    uint8_t *huge = calloc(1, 4 * 1024 * 1024);
    expect_raw("oversized frame", huge, big, GS_STATUS_RESOURCE_EXHAUSTED, "above the limit");
    still_serving("oversized frame");
    {
        gs_response rs = {0};
        bool got = raw_call(node.ipc, huge, 4 * 1024 * 1024, 1500, &rs);
        check(!got, "frame far above the limit", "the socket must drop it and disconnect, got %s",
              got ? gs_status_name(rs.code) : "no answer");
        gs_response_clear(&rs);
        still_serving("frame far above the limit");
    }
    free(huge);

    /* A valid protobuf of another type: a SignedStatement where a Request
     * belongs. */
    signer head = {0}, officer = {0}, leaver = {0}, rotator = {0}, stranger = {0};
    signer nodekey = {.key = node.key};
    nodekey.seq = it_next_seq(ipc_client, &node.key.pub);
    gs_keypair_generate(&head.key);
    gs_keypair_generate(&officer.key);
    gs_keypair_generate(&leaver.key);
    gs_keypair_generate(&rotator.key);
    gs_keypair_generate(&stranger.key);
    head.seq = officer.seq = leaver.seq = rotator.seq = stranger.seq = 1;
    {
        gs_statement st = commitment("wrong-type");
        gs_buf e = it_sign(&st, &officer.key, node.origin, 1);
        expect_raw("valid protobuf of the wrong type", e.p, e.n, GS_STATUS_INVALID_ARGUMENT,
                   "malformed");
        gs_buf_free(&e);
        still_serving("wrong type");
    }

    /* ---- the roster the rule cases need */
    gs_statement st;
    st = appointment(&head.key.pub, "Nguyen Van Truong", GS_ROLE_HEAD);
    expect_submit("node key appoints a head", &nodekey, &st, GS_STATUS_OK, "");
    st = appointment(&officer.key.pub, "Tran Thi Mai", GS_ROLE_OFFICER);
    expect_submit("head appoints an officer", &head, &st, GS_STATUS_OK, "");
    st = appointment(&leaver.key.pub, "Le Van Di", GS_ROLE_OFFICER);
    expect_submit("head appoints a second officer", &head, &st, GS_STATUS_OK, "");
    st = appointment(&rotator.key.pub, "Pham Thi Xoay", GS_ROLE_DEPUTY);
    expect_submit("node key appoints a deputy", &nodekey, &st, GS_STATUS_OK, "");
    st = commitment("water-2026");
    expect_submit("officer commits", &officer, &st, GS_STATUS_OK, "");

    /* ---- statements the rule book refuses */
    {
        gs_statement c = commitment("forged");
        gs_buf e = it_sign(&c, &officer.key, node.origin, officer.seq);
        e.p[e.n - 1] ^= 0x01; /* the last byte is inside the signature */
        char msg[1024];
        int code = it_submit(ipc_client, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg);
        check(code == GS_STATUS_UNAUTHENTICATED && strstr(msg, "signature") != NULL,
              "bad signature", "got %d: %s", code, msg);
        gs_buf_free(&e);
        still_serving("bad signature");
    }
    {
        officer.seq--; /* the officer's last seq, again */
        st = commitment("replayed");
        expect_submit("replayed seq", &officer, &st, GS_STATUS_CONFLICT, "replayed-seq");
        officer.seq++;
    }
    {
        gs_statement c = commitment("elsewhere");
        gs_buf e = it_sign(&c, &officer.key, "giamsat/commune/another-unit", officer.seq);
        char msg[1024];
        int code = it_submit(ipc_client, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg);
        check(code == GS_STATUS_INVALID_ARGUMENT && strstr(msg, "wrong-origin") != NULL,
              "statement for another origin", "got %d: %s", code, msg);
        gs_buf_free(&e);
        still_serving("another origin");
    }
    signer usurper = {0};
    gs_keypair_generate(&usurper.key);
    st = appointment(&usurper.key.pub, "Ke Tiem Quyen", GS_ROLE_HEAD);
    expect_submit("officer appoints a head", &officer, &st, GS_STATUS_PERMISSION_DENIED,
                  "role-forbids");

    st = (gs_statement){.kind = GS_BODY_RESIGNATION};
    st.u.resignation.reason = "moving to the province";
    expect_submit("officer resigns", &leaver, &st, GS_STATUS_OK, "");
    st = commitment("after-leaving");
    expect_submit("resigned official still signing", &leaver, &st, GS_STATUS_PERMISSION_DENIED,
                  "resigned");

    gs_keypair new_key;
    gs_keypair_generate(&new_key);
    st = (gs_statement){.kind = GS_BODY_KEY_ROTATION};
    st.u.key_rotation.new_key = new_key.pub;
    expect_submit("deputy rotates key", &rotator, &st, GS_STATUS_OK, "");
    st = commitment("old-key");
    expect_submit("old key after rotation", &rotator, &st, GS_STATUS_PERMISSION_DENIED,
                  "key-rotated");
    gs_keypair_wipe(&new_key);

    {
        gs_statement c = commitment("late");
        c.signer = officer.key.pub;
        c.seq = officer.seq;
        c.issued_at = (int64_t)time(NULL) - 3600;
        c.origin = node.origin;
        gs_buf e = {0};
        if (gs_wire_sign_statement(&c, &officer.key, &e, &err) != 0)
            it_die("%s", err.msg);
        char msg[1024];
        int code = it_submit(ipc_client, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg);
        check(code == GS_STATUS_INVALID_ARGUMENT && strstr(msg, "clock-skew") != NULL,
              "issued_at outside the skew", "got %d: %s", code, msg);
        gs_buf_free(&e);
        still_serving("clock skew");
    }
    st = commitment("water-2026");
    expect_submit("duplicate commitment id", &officer, &st, GS_STATUS_CONFLICT,
                  "duplicate-commitment");
    st = (gs_statement){.kind = GS_BODY_PROGRESS};
    st.u.progress.commitment_id = "no-such-thing";
    st.u.progress.value = 5 * GS_FIXED_SCALE;
    st.u.progress.note = "";
    expect_submit("progress on a commitment that does not exist", &officer, &st,
                  GS_STATUS_NOT_FOUND, "no-such-commitment");

    /* ---- tcp:// with CURVE: the allowlist decides who writes */
    {
        gs_net_client *tc = NULL;
        gs_statement c = commitment("from-tcp");
        gs_buf e = it_sign(&c, &officer.key, node.origin, officer.seq);
        char msg[1024];
        /* A client key not on the allowlist: reads are public, writes not. */
        if (gs_net_client_open(&tc, zctx, node.tcp, &node.key.pub, &stranger.key, 5000,
                               GS_MAX_MESSAGE, &err) != 0)
            it_die("%s", err.msg);
        int code = it_submit(tc, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg);
        check(code == GS_STATUS_PERMISSION_DENIED && strstr(msg, "writer") != NULL,
              "client key not allowlisted cannot write", "got %d: %s", code, msg);
        gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT, .origin = ""};
        gs_response rs = {0};
        code = gs_net_client_call(tc, &rq, &rs, &err) == 0 ? (int)rs.code : -1;
        check(code == GS_STATUS_OK, "client key not allowlisted may read", "got %d", code);
        gs_response_clear(&rs);
        gs_net_client_close(&tc);

        /* The allowlisted key writes over CURVE. */
        if (gs_net_client_open(&tc, zctx, node.tcp, &node.key.pub, &writer.key, 5000,
                               GS_MAX_MESSAGE, &err) != 0)
            it_die("%s", err.msg);
        gs_receipt r = {0};
        code = it_submit(tc, gs_bytes_of(e.p, e.n), &node.key.pub, &r, msg, sizeof msg);
        check(code == GS_STATUS_OK, "allowlisted client key writes over tcp", "got %d: %s", code,
              msg);
        gs_receipt_clear(&r);
        gs_net_client_close(&tc);

        /* A client that does not know the server's key cannot even connect. */
        gs_keypair wrong;
        gs_keypair_generate(&wrong);
        if (gs_net_client_open(&tc, zctx, node.tcp, &wrong.pub, &writer.key, 1000, GS_MAX_MESSAGE,
                               &err) != 0)
            it_die("%s", err.msg);
        code = it_submit(tc, gs_bytes_of(e.p, e.n), NULL, NULL, msg, sizeof msg);
        check(code == GS_EUNAVAIL, "wrong server key gets no answer", "got %d: %s", code, msg);
        gs_net_client_close(&tc);
        gs_keypair_wipe(&wrong);
        gs_buf_free(&e);
        still_serving("tcp cases");
    }

    gs_net_client_close(&ipc_client);
    int st_exit = 0;
    st_exit = it_kill(node.pid, SIGTERM);
    node.pid = 0;
    check(st_exit == 0, "clean stop on SIGTERM", "exit status %d", st_exit);
    zmq_ctx_term(zctx);
    gs_keypair_wipe(&node.key);
    if (failures > 0) {
        fprintf(stderr, "%d case(s) failed; node log: %s\n", failures, node.log);
        return 1;
    }
    printf("ok: every bad input refused with its reason; the node kept serving\n");
    return 0;
}
