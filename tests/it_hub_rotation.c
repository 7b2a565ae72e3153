/* it_hub_rotation.c — a real giamsat-hub follows a real giamsat-node across
 * a rotation of the node's log key (issue 12, part 2; docs/architecture.md
 * "Key rotation").
 *
 * The hub follows the node with the node's ORIGINAL key as log_key (the
 * anchor) and polls it only at start, so what it learns afterwards comes
 * from the AddCheckpoints of this test. The node holds a few statements, then
 * a KeyRotation of its log key signed by that key (new key K2), then more.
 * Checkpoint notes are signed here with the old key K1 or K2 over the
 * node's own roots (Ed25519 signatures are deterministic: a node that signs
 * with K2 signs the very same notes).
 *
 * 1. The hub cosigns the node at start (K1).
 * 2. A note by K1 above the rotation, sent before the hub has seen the
 *    rotation: the hub fetches the entries, finds the rotation, refuses the
 *    note (UNAUTHENTICATED), no evidence.
 * 3. The note by K2 of the same size and root: the hub fetches, follows the
 *    chain, cosigns (ZeroMQ AddCheckpoint); the note it serves is K2's.
 * 4. Once the hub holds the rotation: a K1 note above it is refused at once,
 *    a note by a key no rotation made is fetched as a trial and refused,
 *    and two K1 notes of one size with different roots (a split view by the
 *    retired key, which may have leaked) are no evidence.
 * 5. A K2 note over HTTP POST /add-checkpoint: cosigned (200, one
 *    cosignature line).
 * 6. The hub restarts, replays the chain and cosigns the next K2 note.
 * 7. No evidence anywhere so far. Then a split view signed by K2 (two notes
 *    of the cosigned size with different roots) is evidence, which
 *    gs_evidence_verify accepts from the ORIGINAL key through the chain the
 *    evidence carries, and so does `giamsat verify-evidence` with a trust
 *    file naming the original key.
 *
 * usage: it_hub_rotation BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "evidence.h"
#include "it_util.h"
#include "merkle.h"
#include "note.h"

static const char *bin;
static void *zctx;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

typedef struct {
    it_node n;
    char log_key[GS_VKEY_STR_MAX];
    gs_keypair officer;
    uint64_t node_seq, officer_seq;
    uint64_t size;
} unit;

static gs_response call(const char *ep, gs_request *rq)
{
    gs_net_client *c = NULL;
    gs_response rs = {0};
    gs_error err;
    if (gs_net_client_open(&c, zctx, ep, NULL, NULL, 60000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    rq->version = 1;
    if (gs_net_client_call(c, rq, &rs, &err) != 0)
        it_die("call %s: %s", ep, err.msg);
    gs_net_client_close(&c);
    return rs;
}

static void submit(unit *u, gs_statement *st, const gs_keypair *kp, uint64_t *seq)
{
    gs_net_client *c = NULL;
    gs_error err;
    if (gs_net_client_open(&c, zctx, u->n.ipc, NULL, NULL, 60000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    gs_buf e = it_sign(st, kp, u->n.origin, (*seq)++);
    char msg[600];
    gs_receipt r = {0};
    int code = it_submit(c, gs_bytes_of(e.p, e.n), &u->n.key.pub, &r, msg, sizeof msg);
    gs_receipt_clear(&r);
    gs_buf_free(&e);
    gs_net_client_close(&c);
    CHECK(code == GS_STATUS_OK, "statement refused by %s: %s", u->n.origin, msg);
    u->size++;
}

static void progress(unit *u, int count)
{
    for (int i = 0; i < count; i++) {
        gs_statement st = {.kind = GS_BODY_PROGRESS};
        st.u.progress.commitment_id = "roads";
        st.u.progress.value = (int64_t)(u->size * GS_FIXED_SCALE);
        st.u.progress.note = "monthly count";
        submit(u, &st, &u->officer, &u->officer_seq);
    }
}

/* The root of the node's tree of its current size (u->size). */
static gs_hash node_root(unit *u)
{
    it_node_wait_checkpoint(&u->n, zctx, u->size);
    char *note = it_get_checkpoint(zctx, u->n.ipc, "", NULL);
    CHECK(note != NULL, "no checkpoint from the node");
    gs_note *n = NULL;
    gs_checkpoint cp;
    gs_error err;
    size_t tl;
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "%s", err.msg);
    const char *text = gs_note_text(n, &tl);
    CHECK(gs_checkpoint_parse(text, tl, &cp, &err) == 0, "%s", err.msg);
    CHECK(cp.size == u->size, "the node serves size %llu, not %llu", (unsigned long long)cp.size,
          (unsigned long long)u->size);
    gs_hash root = cp.root;
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    free(note);
    return root;
}

/* A checkpoint note of the node's origin signed by kp. */
static char *sign_note(const unit *u, const gs_keypair *kp, uint64_t size, const gs_hash *root)
{
    char *body = NULL, *note = NULL;
    gs_error err;
    CHECK(gs_checkpoint_format(u->n.origin, size, root, &body, &err) == 0, "%s", err.msg);
    CHECK(gs_note_sign(body, strlen(body), u->n.origin, kp, &note, &err) == 0, "%s", err.msg);
    free(body);
    return note;
}

static gs_response node_proof(unit *u, uint64_t old, uint64_t size)
{
    gs_request rq = {.op = GS_OP_GET_CONSISTENCY_PROOF, .origin = ""};
    rq.u.get_consistency_proof.old_size = old;
    rq.u.get_consistency_proof.new_size = size;
    gs_response pr = call(u->n.ipc, &rq);
    CHECK(pr.code == GS_STATUS_OK, "node proof %llu..%llu: %s", (unsigned long long)old,
          (unsigned long long)size, pr.message);
    return pr;
}

/* AddCheckpoint over ZeroMQ; a hub still recovering after its start says
 * UNAVAILABLE: asked again until the deadline. */
static gs_response add_checkpoint(const it_hub *h, uint64_t old, const char *note,
                                  const gs_response *proof)
{
    int64_t deadline = it_now_ms() + IT_WAIT_MS;
    for (;;) {
        gs_request rq = {.op = GS_OP_ADD_CHECKPOINT, .origin = ""};
        rq.u.add_checkpoint.old_size = old;
        rq.u.add_checkpoint.proof = proof != NULL ? proof->u.proof.hashes : NULL;
        rq.u.add_checkpoint.n_proof = proof != NULL ? proof->u.proof.n : 0;
        rq.u.add_checkpoint.checkpoint = note;
        gs_response rs = call(h->ipc, &rq);
        if (rs.code != GS_STATUS_UNAVAILABLE || it_now_ms() > deadline)
            return rs;
        gs_response_clear(&rs);
        it_sleep_ms(200);
    }
}

static size_t evidence_count(const it_hub *h, const unit *u)
{
    gs_buf *items = NULL;
    size_t n = 0;
    int code = it_get_evidence(zctx, h->ipc, u->n.origin, &items, &n);
    CHECK(code == GS_STATUS_OK, "GetEvidence: status %d", code);
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&items[i]);
    free(items);
    return n;
}

static bool log_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* The HTTP port the hub logged ("HTTP on 127.0.0.1:0 (port N)"). */
static int hub_http_port(const it_hub *h)
{
    int64_t deadline = it_now_ms() + IT_WAIT_MS;
    while (it_now_ms() < deadline) {
        FILE *f = fopen(h->log, "r");
        char line[4096];
        int port = 0;
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            const char *p = strstr(line, "(port ");
            if (p != NULL && strstr(line, "HTTP on") != NULL)
                port = atoi(p + 6);
        }
        if (f != NULL)
            fclose(f);
        if (port > 0)
            return port;
        it_sleep_ms(100);
    }
    it_die("the hub did not log its HTTP port; see %s", h->log);
}

/* POST /add-checkpoint (c2sp.org/tlog-witness); the status, the body in
 * out. One connection, closed by the server after the answer. */
static int http_add_checkpoint(int port, uint64_t old, const gs_response *proof, const char *note,
                               char *out, size_t cap)
{
    size_t bcap = 64 + GS_MERKLE_MAX_PROOF * 48 + strlen(note);
    char *body = malloc(bcap);
    CHECK(body != NULL, "out of memory");
    size_t n = (size_t)snprintf(body, bcap, "old %llu\n", (unsigned long long)old);
    for (size_t i = 0; proof != NULL && i < proof->u.proof.n; i++) {
        char b64[64];
        CHECK(gs_base64_encode(b64, sizeof b64, gs_bytes_of(proof->u.proof.hashes[i].b, 32)) == 0,
              "base64");
        n += (size_t)snprintf(body + n, bcap - n, "%s\n", b64);
    }
    n += (size_t)snprintf(body + n, bcap - n, "\n%s", note);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s >= 0, "socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(s, (struct sockaddr *)&a, sizeof a) == 0, "connect to port %d", port);
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "POST /add-checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                      "%zu\r\nConnection: close\r\n\r\n",
                      n);
    CHECK(write(s, head, (size_t)hn) == hn && write(s, body, n) == (ssize_t)n, "write");
    free(body);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(s, out + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(s);
    int status = 0;
    CHECK(sscanf(out, "HTTP/1.1 %d", &status) == 1, "not an HTTP answer: %s", out);
    return status;
}

/* The note the hub serves for the node: of size `size`, signed by want and
 * not by other. */
static void check_served(const it_hub *h, const unit *u, uint64_t size, const gs_keypair *want,
                         const gs_keypair *other)
{
    char *note = it_hub_wait_cosigned(zctx, h->ipc, u->n.origin, size, IT_WAIT_MS, h->log);
    CHECK(it_checkpoint_size(note) == size, "the hub serves size %llu, not %llu",
          (unsigned long long)it_checkpoint_size(note), (unsigned long long)size);
    gs_note *n = NULL;
    gs_error err;
    gs_vkey vw, vo;
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "%s", err.msg);
    CHECK(gs_vkey_make(&vw, u->n.origin, GS_VKEY_ALG_ED25519, &want->pub, &err) == 0, "%s",
          err.msg);
    CHECK(gs_vkey_make(&vo, u->n.origin, GS_VKEY_ALG_ED25519, &other->pub, &err) == 0, "%s",
          err.msg);
    CHECK(gs_note_verify(n, &vw, 1, NULL, NULL, &err) == 0,
          "the served note is not signed by the expected key: %s", err.msg);
    CHECK(gs_note_verify(n, &vo, 1, NULL, NULL, &err) != 0, "the served note is signed by both");
    gs_note_free(&n);
    free(note);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: it_hub_rotation BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    atexit(it_cleanup);
    zctx = zmq_ctx_new();
    gs_error err;

    /* 1. */
    unit u = {0};
    it_node_init(&u.n, bin, "xa-quay", false, NULL);
    it_vkey(u.log_key, u.n.origin, GS_VKEY_ALG_ED25519, &u.n.key.pub);
    it_node_start(&u.n, bin);
    it_node_wait_ready(&u.n, zctx);
    u.size = 1;
    u.node_seq = 2;
    u.officer_seq = 1;
    gs_keypair_generate(&u.officer);
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = u.officer.pub;
    st.u.appointment.name = "Nguyen Van A";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    submit(&u, &st, &u.n.key, &u.node_seq);
    st = (gs_statement){.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = "roads";
    st.u.commitment.title = "Pave the commune roads";
    st.u.commitment.indicator = "km paved";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 12 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
    submit(&u, &st, &u.officer, &u.officer_seq);
    progress(&u, 2);
    uint64_t s0 = u.size;
    (void)node_root(&u);

    it_hub h;
    it_hub_init(&h, bin, "tinh", false, "[hub]\npoll_interval_ms = 3600000\nhttp = 127.0.0.1:0\n");
    const char *src[] = {u.n.ipc};
    it_hub_follow(&h, bin, u.n.origin, u.log_key, src, 1);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    free(it_hub_wait_cosigned(zctx, h.ipc, u.n.origin, s0, IT_WAIT_MS, h.log));
    printf("ok 1 - the hub cosigned %s at %llu with the original key\n", u.n.origin,
           (unsigned long long)s0);

    /* The rotation: K2's secret goes to node.conf first (a node that signs
     * with the new key accepts a rotation only to a key it holds). */
    gs_keypair k2;
    gs_keypair_generate(&k2);
    char k2_path[700], conf_line[800];
    snprintf(k2_path, sizeof k2_path, "%s/log2.key", u.n.dir);
    CHECK(gs_keyfile_write(k2_path, &k2, NULL, &err) == 0, "%s", err.msg);
    {
        FILE *f = fopen(u.n.conf, "r");
        CHECK(f != NULL, "%s", u.n.conf);
        char *conf = calloc(1, 65536);
        size_t cn = fread(conf, 1, 65535, f);
        fclose(f);
        conf[cn] = '\0';
        char *sect = strstr(conf, "[node]\n");
        CHECK(sect != NULL, "no [node] in %s", u.n.conf);
        sect += strlen("[node]\n");
        snprintf(conf_line, sizeof conf_line, "signing_key = %s\n", k2_path);
        f = fopen(u.n.conf, "w");
        CHECK(f != NULL, "%s", u.n.conf);
        fwrite(conf, 1, (size_t)(sect - conf), f);
        fputs(conf_line, f);
        fputs(sect, f);
        fclose(f);
        free(conf);
    }
    uint64_t r = u.size;
    st = (gs_statement){.kind = GS_BODY_KEY_ROTATION};
    st.u.key_rotation.new_key = k2.pub;
    submit(&u, &st, &u.n.key, &u.node_seq);
    progress(&u, 2);
    uint64_t s1 = u.size;
    gs_hash root1 = node_root(&u);

    /* 2. */
    char *old_note = sign_note(&u, &u.n.key, s1, &root1);
    gs_response pr = node_proof(&u, s0, s1);
    gs_response rs = add_checkpoint(&h, s0, old_note, &pr);
    CHECK(rs.code == GS_STATUS_UNAUTHENTICATED,
          "a note by the retired key above the rotation at %llu: expected UNAUTHENTICATED, got "
          "%s: %s",
          (unsigned long long)r, gs_status_name(rs.code), rs.message);
    printf("ok 2 - a note by the retired key at %llu, above the rotation at %llu the hub had not "
           "seen: refused (%s)\n",
           (unsigned long long)s1, (unsigned long long)r, rs.message);
    gs_response_clear(&rs);
    CHECK(evidence_count(&h, &u) == 0, "evidence after a note by the retired key");

    /* 3. */
    char *new_note = sign_note(&u, &k2, s1, &root1);
    rs = add_checkpoint(&h, s0, new_note, &pr);
    CHECK(rs.code == GS_STATUS_OK && rs.result == GS_RESULT_COSIGNATURE,
          "a note by the new key at %llu: %s: %s", (unsigned long long)s1, gs_status_name(rs.code),
          rs.message);
    gs_response_clear(&rs);
    gs_response_clear(&pr);
    check_served(&h, &u, s1, &k2, &u.n.key);
    printf("ok 3 - the note by the new key at %llu is cosigned over ZeroMQ (the chain followed)\n",
           (unsigned long long)s1);

    /* 4. */
    progress(&u, 1);
    uint64_t s2 = u.size;
    gs_hash root2 = node_root(&u);
    free(old_note);
    old_note = sign_note(&u, &u.n.key, s2, &root2);
    pr = node_proof(&u, s1, s2);
    rs = add_checkpoint(&h, s1, old_note, &pr);
    CHECK(rs.code == GS_STATUS_UNAUTHENTICATED && strstr(rs.message, "retired") != NULL,
          "a note by the retired key once the rotation is held: %s: %s", gs_status_name(rs.code),
          rs.message);
    gs_response_clear(&rs);
    /* A key no rotation made, above the size the hub holds: fetched as a
     * trial, then refused. */
    gs_keypair stranger;
    gs_keypair_generate(&stranger);
    char *strange = sign_note(&u, &stranger, s2, &root2);
    rs = add_checkpoint(&h, s1, strange, &pr);
    CHECK(rs.code == GS_STATUS_UNAUTHENTICATED,
          "a note by a key no rotation made: expected UNAUTHENTICATED, got %s: %s",
          gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    free(strange);
    gs_hash fake = root1;
    fake.b[0] ^= 1;
    char *split_a = sign_note(&u, &u.n.key, s1, &fake);
    rs = add_checkpoint(&h, s1, split_a, NULL);
    CHECK(rs.code == GS_STATUS_UNAUTHENTICATED,
          "another root for the cosigned size by the retired key: %s: %s", gs_status_name(rs.code),
          rs.message);
    gs_response_clear(&rs);
    free(split_a);
    CHECK(evidence_count(&h, &u) == 0, "evidence after a split view by the retired key");
    CHECK(log_has(h.log, "refused an AddCheckpoint") && log_has(h.log, "not evidence"),
          "the refusals of the retired key are not logged; see %s", h.log);
    printf("ok 4 - the retired key above the rotation and its split view: refused, no evidence\n");

    /* 5. */
    free(new_note);
    new_note = sign_note(&u, &k2, s2, &root2);
    int port = hub_http_port(&h);
    char answer[8192];
    int status = http_add_checkpoint(port, s1, &pr, new_note, answer, sizeof answer);
    CHECK(status == 200, "POST /add-checkpoint of the new key's note: %d: %s", status, answer);
    const char *hb = strstr(answer, "\r\n\r\n");
    CHECK(hb != NULL && strncmp(hb + 4, "— ", strlen("— ")) == 0,
          "the 200 does not carry a cosignature line: %s", answer);
    gs_response_clear(&pr);
    check_served(&h, &u, s2, &k2, &u.n.key);
    /* /logs.json keeps the original key (the anchor readers are given) and
     * names the key in force. */
    {
        char k2_vkey[GS_VKEY_STR_MAX], want[GS_VKEY_STR_MAX + 64];
        it_vkey(k2_vkey, u.n.origin, GS_VKEY_ALG_ED25519, &k2.pub);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0, "connect");
        const char *get = "GET /logs.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        CHECK(write(s, get, strlen(get)) == (ssize_t)strlen(get), "write");
        size_t got = 0;
        ssize_t rd;
        while (got + 1 < sizeof answer && (rd = read(s, answer + got, sizeof answer - 1 - got)) > 0)
            got += (size_t)rd;
        answer[got] = '\0';
        close(s);
        snprintf(want, sizeof want, "\"log_key\": \"%s\"", u.log_key);
        CHECK(strstr(answer, want) != NULL, "/logs.json does not name the original key: %s",
              answer);
        snprintf(want, sizeof want, "\"current_log_key\": \"%s\"", k2_vkey);
        CHECK(strstr(answer, want) != NULL, "/logs.json does not name the key in force: %s",
              answer);
    }
    printf("ok 5 - the note by the new key at %llu is cosigned over HTTP\n",
           (unsigned long long)s2);

    /* 6. */
    it_hub_stop(&h, SIGTERM);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    CHECK(log_has(h.log, "the log key was rotated 1 time"),
          "the restarted hub did not replay the rotation; see %s", h.log);
    check_served(&h, &u, s2, &k2, &u.n.key);
    progress(&u, 1);
    uint64_t s3 = u.size;
    gs_hash root3 = node_root(&u);
    free(new_note);
    new_note = sign_note(&u, &k2, s3, &root3);
    pr = node_proof(&u, s2, s3);
    rs = add_checkpoint(&h, s2, new_note, &pr);
    CHECK(rs.code == GS_STATUS_OK && rs.result == GS_RESULT_COSIGNATURE,
          "after a restart, the new key's note at %llu: %s: %s", (unsigned long long)s3,
          gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    gs_response_clear(&pr);
    check_served(&h, &u, s3, &k2, &u.n.key);
    /* The replica's key chain is served (GetKeyChain), for readers that do
     * not replay the log. */
    gs_request kq = {.op = GS_OP_GET_KEY_CHAIN, .origin = u.n.origin};
    rs = call(h.ipc, &kq);
    CHECK(rs.code == GS_STATUS_OK && rs.result == GS_RESULT_KEY_CHAIN && rs.u.key_chain.n == 1 &&
              rs.u.key_chain.links[0].index == r && rs.u.key_chain.size == s3,
          "GetKeyChain from the hub: %s %s", gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    printf("ok 6 - after a restart the hub replays the chain and cosigns %llu\n",
           (unsigned long long)s3);

    /* 7. */
    CHECK(evidence_count(&h, &u) == 0, "evidence against an honest log after its rotation");
    fake = root3;
    fake.b[0] ^= 1;
    char *split_b = sign_note(&u, &k2, s3, &fake);
    rs = add_checkpoint(&h, s3, split_b, NULL);
    CHECK(rs.code != GS_STATUS_OK, "a split view by the new key was cosigned");
    gs_response_clear(&rs);
    free(split_b);
    gs_buf *items = NULL;
    size_t ni = 0;
    CHECK(it_get_evidence(zctx, h.ipc, u.n.origin, &items, &ni) == GS_STATUS_OK && ni == 1,
          "a split view by the new key is not evidence (%zu items)", ni);
    gs_statement evst = {0};
    CHECK(gs_wire_open_entry(gs_bytes_of(items[0].p, items[0].n), &evst, &err) == 0, "%s", err.msg);
    CHECK(evst.kind == GS_BODY_EVIDENCE && evst.u.evidence.kind == GS_EVIDENCE_SPLIT_VIEW,
          "the evidence is not a split view");
    CHECK(evst.u.evidence.n_log_key_chain == 1 && evst.u.evidence.log_key_chain[0].index == r,
          "the evidence carries %zu key chain links, not the rotation at %llu",
          evst.u.evidence.n_log_key_chain, (unsigned long long)r);
    gs_vkey anchor;
    CHECK(gs_vkey_parse(u.log_key, &anchor, &err) == 0, "%s", err.msg);
    CHECK(gs_evidence_verify(&evst.u.evidence, &anchor, &err) == 0,
          "the evidence does not verify from the original key: %s", err.msg);
    /* Without its chain it proves nothing against the original key. */
    size_t keep = evst.u.evidence.n_log_key_chain;
    evst.u.evidence.n_log_key_chain = 0;
    CHECK(gs_evidence_verify(&evst.u.evidence, &anchor, &err) != 0,
          "the evidence verifies from the original key without its chain");
    evst.u.evidence.n_log_key_chain = keep;
    /* Nor with a link that is not where it says. */
    evst.u.evidence.log_key_chain[0].index++;
    CHECK(gs_evidence_verify(&evst.u.evidence, &anchor, &err) != 0,
          "the evidence verifies with a link at the wrong index");
    evst.u.evidence.log_key_chain[0].index--;
    gs_statement_clear(&evst);
    char ev_path[700], trust_path[700], out[4096];
    snprintf(ev_path, sizeof ev_path, "%s/split.evidence", it_tmpdir());
    snprintf(trust_path, sizeof trust_path, "%s/trust.policy", it_tmpdir());
    FILE *ef = fopen(ev_path, "w");
    CHECK(ef != NULL && fwrite(items[0].p, 1, items[0].n, ef) == items[0].n && fclose(ef) == 0,
          "%s", ev_path);
    FILE *tf = fopen(trust_path, "w");
    CHECK(tf != NULL, "%s", trust_path);
    fprintf(tf, "log %s\nquorum none\n", u.log_key);
    fclose(tf);
    char gs[600];
    snprintf(gs, sizeof gs, "%s/cli/giamsat", bin);
    char *const argv_v[] = {it_arg(gs),        it_arg("verify-evidence"), it_arg(ev_path),
                            it_arg("--trust"), it_arg(trust_path),        NULL};
    int vst = it_run(argv_v, out, sizeof out);
    CHECK(vst == 0, "giamsat verify-evidence with the original key: exit %d: %s", vst, out);
    gs_buf_free(&items[0]);
    free(items);
    CHECK(!log_has(h.log, "BUG"), "the hub logged a BUG; see %s", h.log);
    printf("ok 7 - no evidence against the honest log; a split view by the new key is evidence "
           "that carries the rotation and verifies from the original key (giamsat "
           "verify-evidence)\n");

    free(old_note);
    free(new_note);
    it_hub_stop(&h, SIGTERM);
    it_node_stop(&u.n, SIGTERM);
    zmq_ctx_term(zctx);
    return 0;
}
