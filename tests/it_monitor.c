/* it_monitor.c — `giamsat monitor` against real nodes on loopback (issue 5).
 *
 * One monitor polls three nodes and acts as a witness:
 * - node A serves its true checkpoint; a second checkpoint of the SAME size
 *   with another root, signed with A's key, is shown to the monitor as an
 *   AddCheckpoint: the monitor reports a split view, writes evidence, and
 *   `giamsat verify-evidence` accepts it; the witness then refuses to cosign
 *   anything more for A;
 * - node B names the monitor as its witness: a consistent sequence of
 *   checkpoints gets cosigned (the cosignature verifies with the cosigner
 *   key `giamsat key show --cosigner` prints, and meets the trust file's
 *   quorum) and produces no evidence;
 * - node C has its history rewritten on disk (truncated and regrown to a
 *   larger size, re-signed with its key): the consistency proof C itself
 *   serves reaches the new root from another root of the old size, which
 *   the monitor reports as evidence with the proof.
 * The witness's refusals (unknown log, bad signature, wrong old size) are
 * checked on the way, and the exit status says evidence was found.
 *
 * Expected values are computed here independently: roots from the notes the
 * nodes serve, the forged root from SHA-256 of a fixed string, the cosigner
 * key from the key file's public key. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evidence.h"
#include "it_util.h"
#include "note.h"
#include "policy.h"

static const char *bin;
static char cli[600];

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20, n;
    char *buf = malloc(cap + 1);
    n = fread(buf, 1, cap, f);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* Waits until the file at path contains needle. */
static void wait_for_text(const char *path, const char *needle, int timeout_ms)
{
    for (int64_t end = it_now_ms() + timeout_ms; it_now_ms() < end;) {
        char *s = slurp(path, NULL);
        bool found = s != NULL && strstr(s, needle) != NULL;
        free(s);
        if (found)
            return;
        it_sleep_ms(100);
    }
    it_die("no \"%s\" in %s within %d ms", needle, path, timeout_ms);
}

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void wait_for_file(const char *path, int timeout_ms, const char *log)
{
    for (int64_t end = it_now_ms() + timeout_ms; it_now_ms() < end;) {
        if (file_exists(path))
            return;
        it_sleep_ms(100);
    }
    it_die("%s was not written within %d ms; see %s", path, timeout_ms, log);
}

/* A checkpoint note (origin, size, root) signed with kp under name. */
static char *sign_note(const char *origin, uint64_t size, const gs_hash *root, const char *name,
                       const gs_keypair *kp)
{
    gs_error err;
    char *body = NULL, *note = NULL;
    if (gs_checkpoint_format(origin, size, root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), name, kp, &note, &err) != 0)
        it_die("sign note: %s", err.msg);
    free(body);
    return note;
}

static void note_root(const char *note, gs_checkpoint *cp)
{
    gs_note *n = NULL;
    gs_error err;
    size_t tl;
    if (gs_note_parse(note, strlen(note), &n, &err) != 0)
        it_die("note: %s", err.msg);
    const char *text = gs_note_text(n, &tl);
    if (gs_checkpoint_parse(text, tl, cp, &err) != 0)
        it_die("checkpoint: %s", err.msg);
    gs_note_free(&n);
}

/* Sends AddCheckpoint to the monitor; returns the status, with the
 * conflict size or the cosignature line (malloc'd) when there is one. */
static int add_checkpoint(void *zctx, const char *ep, uint64_t old, const gs_hash *proof, size_t np,
                          const char *note, uint64_t *conflict, char **cosig, char *message,
                          size_t cap)
{
    gs_net_client *c = NULL;
    gs_error err;
    if (gs_net_client_open(&c, zctx, ep, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("connect %s: %s", ep, err.msg);
    gs_request rq = {.version = 1, .op = GS_OP_ADD_CHECKPOINT, .origin = ""};
    rq.u.add_checkpoint.old_size = old;
    rq.u.add_checkpoint.proof = proof;
    rq.u.add_checkpoint.n_proof = np;
    rq.u.add_checkpoint.checkpoint = note;
    gs_response rs = {0};
    if (gs_net_client_call(c, &rq, &rs, &err) != 0)
        it_die("AddCheckpoint to %s: %s", ep, err.msg);
    int code = (int)rs.code;
    if (conflict != NULL)
        *conflict = rs.result == GS_RESULT_CONFLICT ? rs.u.conflict_size : UINT64_MAX;
    if (cosig != NULL)
        *cosig = rs.result == GS_RESULT_COSIGNATURE ? strdup(rs.u.cosignature) : NULL;
    if (message != NULL)
        snprintf(message, cap, "%s", rs.message != NULL ? rs.message : "");
    gs_response_clear(&rs);
    gs_net_client_close(&c);
    return code;
}

static void submit_feedback(void *zctx, it_node *n, const gs_keypair *citizen, const char *text)
{
    gs_net_client *c = NULL;
    gs_error err;
    char msg[512];
    if (gs_net_client_open(&c, zctx, n->ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("connect: %s", err.msg);
    uint64_t seq = it_next_seq(c, &citizen->pub);
    gs_statement st = {.kind = GS_BODY_FEEDBACK};
    st.u.feedback.text = text;
    gs_buf entry = it_sign(&st, citizen, n->origin, seq);
    gs_receipt receipt = {0};
    int code = it_submit(c, gs_bytes_of(entry.p, entry.n), &n->key.pub, &receipt, msg, sizeof msg);
    CHECK(code == GS_STATUS_OK, "feedback to %s refused: %s", n->origin, msg);
    gs_receipt_clear(&receipt);
    gs_buf_free(&entry);
    gs_net_client_close(&c);
}

/* Waits until node n serves a checkpoint of exactly size cosigned by the
 * witness key vk; returns the note. */
static char *wait_cosigned(void *zctx, it_node *n, uint64_t size, const gs_vkey *vk,
                           const char *mon_log)
{
    for (int64_t end = it_now_ms() + IT_WAIT_MS; it_now_ms() < end;) {
        char *note = it_get_checkpoint(zctx, n->ipc, "", NULL);
        if (note != NULL && it_checkpoint_size(note) == size) {
            gs_note *parsed = NULL;
            gs_error err;
            int64_t ts = 0;
            bool ok = gs_note_parse(note, strlen(note), &parsed, &err) == 0 &&
                      gs_cosignature_verify(parsed, vk, &ts, &err) == 0;
            gs_note_free(&parsed);
            if (ok) {
                int64_t now = (int64_t)time(NULL);
                CHECK(ts > now - 120 && ts <= now + 5, "cosignature time %lld is not now",
                      (long long)ts);
                return note;
            }
        }
        free(note);
        it_sleep_ms(100);
    }
    it_die("%s was not cosigned by the monitor at size %llu; see %s and %s", n->origin,
           (unsigned long long)size, n->log, mon_log);
}

/* Reads an evidence file and opens it (signature checked). */
static void open_evidence_file(const char *path, gs_statement *st)
{
    size_t len = 0;
    char *data = slurp(path, &len);
    gs_error err;
    CHECK(data != NULL, "cannot read %s", path);
    if (gs_wire_open_entry(gs_bytes_of(data, len), st, &err) != 0)
        it_die("%s is not a signed statement: %s", path, err.msg);
    CHECK(st->kind == GS_BODY_EVIDENCE, "%s is not evidence", path);
    free(data);
}

static char cli_out[65536];

/* Runs a command, expecting its exit status and (when not NULL) a text in
 * its output, which stays in cli_out. */
static void run_cli(char **argv, int want, const char *want_text)
{
    char *out = cli_out;
    int st = it_run(argv, out, sizeof cli_out);
    CHECK(st == want, "%s %s exited %d, not %d: %s", argv[1], argv[2] != NULL ? argv[2] : "", st,
          want, out);
    CHECK(want_text == NULL || strstr(out, want_text) != NULL, "%s: no \"%s\" in: %s", argv[1],
          want_text, out);
}

int main(int argc, char **argv)
{
    gs_error err;
    if (argc < 2) {
        fprintf(stderr, "usage: it_monitor BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    const char *tmp = it_tmpdir();
    void *zctx = zmq_ctx_new();

    /* The monitor's witness key and the cosigner key people put in trust
     * files and node.conf. */
    char wkey[600], kshow[4096], cosigner[GS_VKEY_STR_MAX];
    snprintf(wkey, sizeof wkey, "%s/press.key", tmp);
    run_cli((char *[]){cli, "key", "new", "--out", wkey, NULL}, 0, NULL);
    gs_keypair press;
    if (gs_keyfile_read(wkey, NULL, &press, &err) != 0)
        it_die("%s", err.msg);
    it_vkey(cosigner, "press-monitor", GS_VKEY_ALG_COSIGNATURE_V1, &press.pub);
    CHECK(
        it_run((char *[]){cli, "key", "show", wkey, "--name", "press-monitor", "--cosigner", NULL},
               kshow, sizeof kshow) == 0,
        "key show failed");
    kshow[strcspn(kshow, "\n")] = '\0';
    CHECK(strcmp(kshow, cosigner) == 0, "key show --cosigner printed %s, expected %s", kshow,
          cosigner);
    gs_vkey cosigner_vk;
    if (gs_vkey_parse(cosigner, &cosigner_vk, &err) != 0)
        it_die("%s", err.msg);

    char mon_ep[600], mon_dir[600], mon_db[700], mon_log[700], trust[600];
    snprintf(mon_ep, sizeof mon_ep, "ipc://%s/monitor.sock", tmp);
    snprintf(mon_dir, sizeof mon_dir, "%s/monitor", tmp);
    snprintf(mon_db, sizeof mon_db, "%s/monitor.db", mon_dir);
    snprintf(mon_log, sizeof mon_log, "%s/monitor.log", tmp);
    snprintf(trust, sizeof trust, "%s/trust.policy", tmp);
    mkdir(mon_dir, 0700);

    /* Three nodes; B sends its checkpoints to the monitor. */
    it_node a, b, c;
    char b_conf[1024];
    snprintf(b_conf, sizeof b_conf, "[witness]\nwitness = %s,%s\n", mon_ep, cosigner);
    it_node_init(&a, bin, "an-binh", false, NULL);
    it_node_init(&b, bin, "binh-minh", false, b_conf);
    it_node_init(&c, bin, "cam-thanh", false, NULL);
    char ka[GS_VKEY_STR_MAX], kb[GS_VKEY_STR_MAX], kc[GS_VKEY_STR_MAX];
    it_vkey(ka, a.origin, GS_VKEY_ALG_ED25519, &a.key.pub);
    it_vkey(kb, b.origin, GS_VKEY_ALG_ED25519, &b.key.pub);
    it_vkey(kc, c.origin, GS_VKEY_ALG_ED25519, &c.key.pub);
    FILE *f = fopen(trust, "w");
    CHECK(f != NULL, "cannot write %s", trust);
    fprintf(f, "# it_monitor\nlog %s\nlog %s\nlog %s\nwitness press %s\nquorum press\n", ka, kb, kc,
            cosigner);
    fclose(f);

    gs_keypair citizen;
    gs_keypair_generate(&citizen);
    char citizen_key[600];
    snprintf(citizen_key, sizeof citizen_key, "%s/citizen.key", tmp);
    if (gs_keyfile_write(citizen_key, &citizen, NULL, &err) != 0)
        it_die("%s", err.msg);

    it_node_start(&a, bin);
    it_node_start(&c, bin);
    it_node_wait_ready(&a, zctx);
    it_node_wait_ready(&c, zctx);
    it_node_wait_checkpoint(&a, zctx, 1);
    submit_feedback(zctx, &c, &citizen, "the road to the market floods every year");
    submit_feedback(zctx, &c, &citizen, "thank you for the new school roof");
    it_node_wait_checkpoint(&c, zctx, 3);
    char *c_true3 = it_get_checkpoint(zctx, c.ipc, "", NULL);

    char *mon_argv[] = {cli,
                        "monitor",
                        "--trust",
                        trust,
                        "--connect",
                        a.ipc,
                        "--connect",
                        b.ipc,
                        "--connect",
                        c.ipc,
                        "--witness-key",
                        wkey,
                        "--witness-name",
                        "press-monitor",
                        "--listen",
                        mon_ep,
                        "--db",
                        mon_db,
                        "--interval",
                        "200",
                        "--timeout",
                        "2000",
                        NULL};
    pid_t mon = it_spawn(mon_argv, mon_log);
    char want[256];
    snprintf(want, sizeof want, "checkpoint %s size 1 ", a.origin);
    wait_for_text(mon_log, want, IT_WAIT_MS);
    snprintf(want, sizeof want, "checkpoint %s size 3 ", c.origin);
    wait_for_text(mon_log, want, IT_WAIT_MS);

    /* ---- the witness refuses what it must refuse */
    gs_keypair stranger;
    gs_keypair_generate(&stranger);
    gs_hash forged_root;
    gs_sha256(gs_bytes_of("a history that never was", 24), &forged_root);
    char msg[1024];
    uint64_t conflict = 0;
    char *note =
        sign_note("giamsat/commune/unknown", 1, &forged_root, "giamsat/commune/unknown", &stranger);
    CHECK(add_checkpoint(zctx, mon_ep, 0, NULL, 0, note, NULL, NULL, msg, sizeof msg) ==
              GS_STATUS_NOT_FOUND,
          "a log outside the trust file was not NOT_FOUND: %s", msg);
    free(note);
    note = sign_note(a.origin, 1, &forged_root, a.origin, &stranger);
    CHECK(add_checkpoint(zctx, mon_ep, 1, NULL, 0, note, NULL, NULL, msg, sizeof msg) ==
              GS_STATUS_UNAUTHENTICATED,
          "a checkpoint not signed by the log key was not UNAUTHENTICATED: %s", msg);
    free(note);

    /* ---- node A: a second checkpoint of the same size, another root */
    char *a_true = it_get_checkpoint(zctx, a.ipc, "", NULL);
    gs_checkpoint a_cp = {0};
    note_root(a_true, &a_cp);
    CHECK(memcmp(a_cp.root.b, forged_root.b, 32) != 0, "the forged root is the true one");
    char *forged = sign_note(a.origin, 1, &forged_root, a.origin, &a.key);
    /* The monitor polled size 1: old size 0 is a conflict naming 1. */
    CHECK(add_checkpoint(zctx, mon_ep, 0, NULL, 0, forged, &conflict, NULL, msg, sizeof msg) ==
                  GS_STATUS_CONFLICT &&
              conflict == 1,
          "old size 0 was not CONFLICT with size 1 (conflict %llu): %s",
          (unsigned long long)conflict, msg);
    char *cosig = NULL;
    int code = add_checkpoint(zctx, mon_ep, 1, NULL, 0, forged, NULL, &cosig, msg, sizeof msg);
    CHECK(code == GS_STATUS_CONFLICT && cosig == NULL && strstr(msg, "split view") != NULL,
          "the forged checkpoint was answered %d (%s)", code, msg);

    char ev1[700];
    snprintf(ev1, sizeof ev1, "%s/1-split-view.evidence", mon_dir);
    wait_for_file(ev1, IT_WAIT_MS, mon_log);
    run_cli((char *[]){cli, "verify-evidence", ev1, "--trust", trust, NULL}, 0, "PROOF");
    run_cli((char *[]){cli, "verify-evidence", ev1, "--trust", trust, NULL}, 0,
            "the reporter is the witness press listed in the trust file");
    gs_statement st = {0};
    open_evidence_file(ev1, &st);
    CHECK(memcmp(st.signer.b, press.pub.b, 32) == 0, "the evidence is not signed by the monitor");
    CHECK(strcmp(st.origin, a.origin) == 0 && strcmp(st.u.evidence.origin, a.origin) == 0,
          "the evidence is not about %s", a.origin);
    CHECK(st.u.evidence.kind == GS_EVIDENCE_SPLIT_VIEW, "not a split view");
    {
        gs_checkpoint x = {0}, y = {0};
        note_root(st.u.evidence.checkpoint_a, &x);
        note_root(st.u.evidence.checkpoint_b, &y);
        CHECK(x.size == 1 && y.size == 1, "the two checkpoints are not of size 1");
        CHECK(memcmp(x.root.b, a_cp.root.b, 32) == 0 && memcmp(y.root.b, forged_root.b, 32) == 0,
              "the evidence does not hold the true and the forged checkpoint");
        gs_checkpoint_clear(&x);
        gs_checkpoint_clear(&y);
    }
    gs_statement_clear(&st);
    /* The witness cosigns nothing more for a log it holds evidence against. */
    CHECK(add_checkpoint(zctx, mon_ep, 1, NULL, 0, a_true, NULL, NULL, msg, sizeof msg) ==
              GS_STATUS_PERMISSION_DENIED,
          "after the split view, A's checkpoint was not refused: %s", msg);

    /* ---- node B: consistent checkpoints, cosigned by the monitor */
    it_node_start(&b, bin);
    it_node_wait_ready(&b, zctx);
    free(wait_cosigned(zctx, &b, 1, &cosigner_vk, mon_log));
    submit_feedback(zctx, &b, &citizen, "the clinic opens late on Mondays");
    submit_feedback(zctx, &b, &citizen, "please publish the budget");
    free(wait_cosigned(zctx, &b, 3, &cosigner_vk, mon_log));
    submit_feedback(zctx, &b, &citizen, "the new bridge is good");
    submit_feedback(zctx, &b, &citizen, "street lights are out on road 4");
    char *b5 = wait_cosigned(zctx, &b, 5, &cosigner_vk, mon_log);
    gs_policy *pol = NULL;
    if (gs_policy_load(trust, &pol, &err) != 0)
        it_die("%s", err.msg);
    if (gs_policy_verify_checkpoint(pol, b5, strlen(b5), NULL, &err) != 0)
        it_die("B's cosigned checkpoint does not meet the quorum: %s", err.msg);
    gs_policy_free(&pol);
    free(b5);

    /* ---- node C: history rewritten below size 3, regrown to size 5 */
    char c_db[700], c_key[700];
    snprintf(c_db, sizeof c_db, "%s/node.db", c.dir);
    snprintf(c_key, sizeof c_key, "%s/node.key", c.dir);
    it_node_stop(&c, SIGTERM);
    char gs_tool[600], seq[32];
    snprintf(gs_tool, sizeof gs_tool, "%s/tests/gs_tool", bin);
    run_cli((char *[]){gs_tool, "truncate", c_db, c.origin, "2", NULL}, 0, NULL);
    for (int i = 0; i < 3; i++) {
        char text[64];
        snprintf(text, sizeof text, "rewritten words %d", i);
        /* Seqs 2, 3, 4 of the citizen key: its first statement went to
         * index 1 with seq 1 (it_next_seq starts at 1). */
        snprintf(seq, sizeof seq, "%d", 2 + i);
        run_cli(
            (char *[]){gs_tool, "append-feedback", c_db, c.origin, citizen_key, seq, text, NULL}, 0,
            NULL);
    }
    run_cli((char *[]){gs_tool, "sign-checkpoint", c_db, c.origin, c_key, NULL}, 0, NULL);
    it_node_start(&c, bin);
    it_node_wait_ready(&c, zctx);
    it_node_wait_checkpoint(&c, zctx, 5);
    char ev2[700];
    snprintf(ev2, sizeof ev2, "%s/2-split-view.evidence", mon_dir);
    wait_for_file(ev2, IT_WAIT_MS, mon_log);
    run_cli((char *[]){cli, "verify-evidence", ev2, "--trust", trust, NULL}, 0, "PROOF");
    open_evidence_file(ev2, &st);
    CHECK(strcmp(st.u.evidence.origin, c.origin) == 0, "evidence 2 is not about %s", c.origin);
    CHECK(st.u.evidence.n_consistency_proof > 0, "evidence 2 carries no consistency proof");
    {
        gs_checkpoint x = {0}, y = {0}, t = {0};
        note_root(st.u.evidence.checkpoint_a, &x);
        note_root(st.u.evidence.checkpoint_b, &y);
        note_root(c_true3, &t);
        CHECK(x.size == 3 && y.size == 5, "evidence 2 is about sizes %llu and %llu, not 3 and 5",
              (unsigned long long)x.size, (unsigned long long)y.size);
        CHECK(memcmp(x.root.b, t.root.b, 32) == 0,
              "evidence 2 does not hold the size-3 checkpoint the node first served");
        gs_checkpoint_clear(&x);
        gs_checkpoint_clear(&y);
        gs_checkpoint_clear(&t);
    }
    gs_statement_clear(&st);

    /* ---- nothing against B; the exit status says evidence was found */
    /* Once the monitor has taken in B's next checkpoint, whatever it made of
     * B's earlier ones is written. */
    submit_feedback(zctx, &b, &citizen, "the market is clean now");
    free(wait_cosigned(zctx, &b, 6, &cosigner_vk, mon_log));
    snprintf(want, sizeof want, "checkpoint %s size 6 ", b.origin);
    wait_for_text(mon_log, want, IT_WAIT_MS);
    char ev3[700];
    snprintf(ev3, sizeof ev3, "%s/3-split-view.evidence", mon_dir);
    CHECK(!file_exists(ev3), "a third piece of evidence was written");
    char *log = slurp(mon_log, NULL);
    snprintf(want, sizeof want, "EVIDENCE against %s", b.origin);
    CHECK(log != NULL && strstr(log, want) == NULL, "evidence against the consistent log B");
    free(log);
    int status = it_kill(mon, SIGTERM);
    CHECK(status == 1, "the monitor exited %d after finding evidence, not 1; see %s", status,
          mon_log);

    /* ---- --once on a fresh history of B alone (size 6): consistent, exit 0 */
    char once_dir[600], once_db[700];
    snprintf(once_dir, sizeof once_dir, "%s/once", tmp);
    snprintf(once_db, sizeof once_db, "%s/m.db", once_dir);
    mkdir(once_dir, 0700);
    snprintf(want, sizeof want, "checkpoint %s size 6 ", b.origin);
    run_cli((char *[]){cli, "monitor", "--trust", trust, "--connect", b.ipc, "--db", once_db,
                       "--once", NULL},
            0, want);
    /* B's note carries the monitor's cosignature: the quorum is met */
    CHECK(strstr(cli_out, ": quorum met") != NULL, "B's checkpoint not reported at quorum: %s",
          cli_out);
    /* A's true checkpoint, never cosigned, is reported below the quorum; one
     * source alone shows no split view */
    run_cli((char *[]){cli, "monitor", "--trust", trust, "--connect", a.ipc, "--connect", b.ipc,
                       "--db", once_db, "--once", "--timeout", "3000", NULL},
            0, "quorum not met");

    /* ---- --subscribe: a hub's PUB endpoint (played here by a PUB socket)
     * publishing a checkpoint, a text notice and an evidence alert */
    char pub_ep[600], sub_dir[600], sub_db[700], sub_log[700], sub_ev[700];
    snprintf(pub_ep, sizeof pub_ep, "ipc://%s/pub.sock", tmp);
    snprintf(sub_dir, sizeof sub_dir, "%s/sub", tmp);
    snprintf(sub_db, sizeof sub_db, "%s/m.db", sub_dir);
    snprintf(sub_log, sizeof sub_log, "%s/sub.log", tmp);
    snprintf(sub_ev, sizeof sub_ev, "%s/1-split-view.evidence", sub_dir);
    mkdir(sub_dir, 0700);
    void *pub = zmq_socket(zctx, ZMQ_PUB);
    CHECK(pub != NULL && zmq_bind(pub, pub_ep) == 0, "cannot bind %s", pub_ep);
    char *sub_argv[] = {cli,    "monitor", "--trust", trust, "--subscribe",
                        pub_ep, "--db",    sub_db,    NULL};
    pid_t sub = it_spawn(sub_argv, sub_log);
    size_t ev1_len = 0;
    char *ev1_bytes = slurp(ev1, &ev1_len);
    char a_topic[256], alert_topic[256];
    snprintf(a_topic, sizeof a_topic, "checkpoint/%s", a.origin);
    snprintf(alert_topic, sizeof alert_topic, "alert/%s", a.origin);
    snprintf(want, sizeof want, "checkpoint %s size 1 ", a.origin);
    /* PUB drops what is sent before the subscriber joined: resend until
     * the monitor has it (it records each distinct event once). */
    bool seen = false;
    for (int64_t end = it_now_ms() + IT_WAIT_MS; !seen && it_now_ms() < end;) {
        zmq_send(pub, a_topic, strlen(a_topic), ZMQ_SNDMORE);
        zmq_send(pub, a_true, strlen(a_true), 0);
        zmq_send(pub, alert_topic, strlen(alert_topic), ZMQ_SNDMORE);
        zmq_send(pub, "source unreachable since 10:00", 30, 0);
        zmq_send(pub, alert_topic, strlen(alert_topic), ZMQ_SNDMORE);
        zmq_send(pub, ev1_bytes, ev1_len, 0);
        it_sleep_ms(200);
        char *l = slurp(sub_log, NULL);
        seen = l != NULL && strstr(l, want) != NULL && file_exists(sub_ev);
        free(l);
    }
    CHECK(seen, "the subscribed monitor did not record the checkpoint and the evidence; see %s",
          sub_log);
    wait_for_text(sub_log, "source unreachable since 10:00", IT_WAIT_MS);
    wait_for_text(sub_log, "verified", IT_WAIT_MS);
    size_t sub_ev_len = 0;
    char *sub_ev_bytes = slurp(sub_ev, &sub_ev_len);
    CHECK(sub_ev_len == ev1_len && memcmp(sub_ev_bytes, ev1_bytes, ev1_len) == 0,
          "the saved alert is not the published evidence, byte for byte");
    free(sub_ev_bytes);
    free(ev1_bytes);
    status = it_kill(sub, SIGTERM);
    CHECK(status == 1, "the subscribed monitor exited %d after verified evidence, not 1; see %s",
          status, sub_log);
    zmq_close(pub);

    /* ---- usage errors exit 2 */
    run_cli((char *[]){cli, "monitor", "--connect", b.ipc, NULL}, 2, NULL);
    run_cli((char *[]){cli, "monitor", "--trust", trust, "--listen", mon_ep, NULL}, 2, NULL);

    free(a_true);
    free(forged);
    free(c_true3);
    gs_checkpoint_clear(&a_cp);
    it_node_stop(&a, SIGTERM);
    it_node_stop(&b, SIGTERM);
    it_node_stop(&c, SIGTERM);
    gs_keypair_wipe(&press);
    gs_keypair_wipe(&citizen);
    gs_keypair_wipe(&stranger);
    zmq_ctx_term(zctx);
    it_cleanup();
    printf("it_monitor: ok\n");
    return 0;
}
