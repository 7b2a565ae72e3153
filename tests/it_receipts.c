/* it_receipts.c — batch receipts from a real node (issue 13 item 3,
 * docs/formats.md "Receipts"):
 *
 *   1. a node in the default receipt_mode (batch) with 24 officers, each
 *      with a commitment and its own connection; rounds of one Progress
 *      per officer sent at once, so that group commits hold several
 *      statements, until a receipt signed for a batch of at least two came
 *      back (a condition with the usual deadline, no timing asserted);
 *      every receipt verifies against the node key, names the statement
 *      sent (origin, leaf hash) at an index no other receipt names;
 *   2. meanwhile `giamsat commit` runs for 8 clerks at once: the CLI checks
 *      each receipt itself and must exit 0;
 *   3. the node stopped, every receipt kept still verifies from its bytes
 *      alone and the node key, as evidence against the node would; each
 *      batch receipt with a bit of its path changed, or put under another
 *      batch's signature, does not; and the node serves each receipted
 *      entry at its index after a restart;
 *   4. receipt_mode = single (node.conf, applied on SIGHUP): receipts in
 *      the single form, still verified by the same verifier.
 *
 * usage: it_receipts BUILD_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "it_util.h"
#include "merkle.h"

#define N_OFFICERS 24
#define N_CLERKS 8

typedef struct {
    gs_buf bytes; /* the SignedReceipt as it came back */
    gs_hash leaf;
    uint64_t index;
    uint64_t batch_size;
} kept;

static kept *keep;
static size_t n_keep, cap_keep;

static void keep_receipt(gs_bytes b, const gs_hash *leaf, const gs_receipt *r)
{
    if (n_keep == cap_keep) {
        cap_keep = cap_keep * 2 + 64;
        keep = realloc(keep, cap_keep * sizeof *keep);
        if (keep == NULL)
            it_die("out of memory");
    }
    kept *k = &keep[n_keep++];
    k->bytes.p = malloc(b.n);
    if (k->bytes.p == NULL)
        it_die("out of memory");
    memcpy(k->bytes.p, b.p, b.n);
    k->bytes.n = b.n;
    k->leaf = *leaf;
    k->index = r->index;
    k->batch_size = r->batch_size;
}

/* One round: a Progress from every officer at once, every answer read and
 * its receipt checked. Returns the largest batch a receipt was signed in. */
static uint64_t round_trip(void **socks, const gs_keypair *officers, uint64_t *seqs,
                           const it_node *node, int round)
{
    gs_hash leaves[N_OFFICERS];
    for (int i = 0; i < N_OFFICERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "c-%d", i);
        gs_statement p = {.kind = GS_BODY_PROGRESS};
        p.u.progress.commitment_id = id;
        p.u.progress.value = (int64_t)round * GS_FIXED_SCALE;
        p.u.progress.note = "weekly count";
        gs_buf entry = it_sign(&p, &officers[i], node->origin, seqs[i]++);
        gs_merkle_leaf_hash(gs_bytes_of(entry.p, entry.n), &leaves[i]);
        gs_request rq = {.version = 1, .id = (uint64_t)i + 1, .op = GS_OP_SUBMIT, .origin = ""};
        rq.u.submit.entry = entry;
        gs_buf frame = {0};
        gs_error err;
        if (gs_wire_encode_request(&rq, &frame, &err) != 0)
            it_die("%s", err.msg);
        if (zmq_send(socks[i], frame.p, frame.n, 0) < 0)
            it_die("send: %s", zmq_strerror(zmq_errno()));
        gs_buf_free(&frame);
        gs_buf_free(&entry);
    }
    uint64_t largest = 0;
    for (int i = 0; i < N_OFFICERS; i++) {
        zmq_pollitem_t item = {.socket = socks[i], .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, IT_WAIT_MS) != 1)
            it_die("officer %d: no answer within %d ms; see %s", i, IT_WAIT_MS, node->log);
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, socks[i], 0) < 0)
            it_die("recv: %s", zmq_strerror(zmq_errno()));
        gs_response rs = {0};
        gs_error err;
        if (gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&m), zmq_msg_size(&m)), GS_MAX_MESSAGE,
                                    &rs, &err) != 0)
            it_die("officer %d: %s", i, err.msg);
        if (rs.code != GS_STATUS_OK || rs.result != GS_RESULT_RECEIPT)
            it_die("officer %d: refused: %s; see %s", i, rs.message, node->log);
        gs_receipt r;
        gs_bytes b = gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n);
        if (gs_wire_open_receipt(b, &node->key.pub, &r, &err) != 0)
            it_die("officer %d: the receipt does not verify: %s", i, err.msg);
        if (strcmp(r.origin, node->origin) != 0 || memcmp(r.leaf_hash.b, leaves[i].b, 32) != 0)
            it_die("officer %d: the receipt names another statement", i);
        if (r.batch_size == 0)
            it_die("officer %d: a single receipt from a node in receipt_mode batch", i);
        if (r.batch_size > largest)
            largest = r.batch_size;
        keep_receipt(b, &leaves[i], &r);
        gs_receipt_clear(&r);
        gs_response_clear(&rs);
        zmq_msg_close(&m);
    }
    return largest;
}

/* Flips one bit of the last batch_path hash (field 5, 32 bytes: the last 32
 * bytes of the message, which encodes fields in number order). */
static int open_with_path_bit_flipped(const kept *k, const gs_pubkey *key)
{
    gs_buf t = {malloc(k->bytes.n), k->bytes.n};
    if (t.p == NULL)
        it_die("out of memory");
    memcpy(t.p, k->bytes.p, t.n);
    t.p[t.n - 1] ^= 1;
    gs_receipt r;
    gs_error err;
    int rc = gs_wire_open_receipt(gs_bytes_of(t.p, t.n), key, &r, &err);
    gs_receipt_clear(&r);
    gs_buf_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        it_die("usage: it_receipts BUILD_DIR");
    const char *bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    it_node node;
    it_node_init(&node, bin, "receipts", false, "[node]\nmax_clock_skew = 0\n");
    it_node_start(&node, bin);
    void *zctx = zmq_ctx_new();
    it_node_wait_ready(&node, zctx);
    gs_net_client *admin = NULL;
    if (gs_net_client_open(&admin, zctx, node.ipc, NULL, NULL, IT_WAIT_MS, GS_MAX_MESSAGE, &err))
        it_die("%s", err.msg);
    uint64_t admin_seq = it_next_seq(admin, &node.key.pub);

    /* 1. officers, commitments, connections */
    gs_keypair officers[N_OFFICERS];
    uint64_t seqs[N_OFFICERS];
    void *socks[N_OFFICERS];
    for (int i = 0; i < N_OFFICERS; i++) {
        gs_keypair_generate(&officers[i]);
        char name[32], id[32], msg[600];
        snprintf(name, sizeof name, "Officer %d", i);
        snprintf(id, sizeof id, "c-%d", i);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = officers[i].pub;
        st.u.appointment.name = name;
        st.u.appointment.role = GS_ROLE_OFFICER;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        gs_buf e = it_sign(&st, &node.key, node.origin, admin_seq++);
        if (it_submit(admin, gs_bytes_of(e.p, e.n), &node.key.pub, NULL, msg, sizeof msg) !=
            GS_STATUS_OK)
            it_die("appointment refused: %s", msg);
        gs_buf_free(&e);
        st = (gs_statement){.kind = GS_BODY_COMMITMENT};
        st.u.commitment.id = id;
        st.u.commitment.title = "Vaccinate every child";
        st.u.commitment.indicator = "children vaccinated";
        st.u.commitment.unit_of_measure = "children";
        st.u.commitment.target = 5000 * (int64_t)GS_FIXED_SCALE;
        st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
        e = it_sign(&st, &officers[i], node.origin, 1);
        if (it_submit(admin, gs_bytes_of(e.p, e.n), &node.key.pub, NULL, msg, sizeof msg) !=
            GS_STATUS_OK)
            it_die("commitment refused: %s", msg);
        gs_buf_free(&e);
        seqs[i] = 2;
        if (gs_net_dealer_open(&socks[i], zctx, node.ipc, NULL, GS_MAX_MESSAGE + GS_NET_FRAME_SLACK,
                               &err) != 0)
            it_die("%s", err.msg);
    }

    /* 2. the CLI, at the same time: clerks appointed, then committing at once */
    char script[4096];
    snprintf(script, sizeof script,
             "set -e; gs=%s/cli/giamsat; d=%s; export GIAMSAT_CONNECT=%s\n"
             "for i in $(seq %d); do\n"
             "  $gs key new --out $d/clerk$i.key >/dev/null\n"
             "  $gs appoint --key $d/node.key --person \"$($gs key show $d/clerk$i.key)\" "
             "--name \"Clerk $i\" --role officer >/dev/null\n"
             "done\n"
             "pids=\n"
             "for i in $(seq %d); do\n"
             "  $gs commit --key $d/clerk$i.key --id clerk-$i --title 'Open the clinic' "
             "--indicator days --unit-of-measure days --target 30 --direction at-most "
             "--deadline 2030-06-30 --json >$d/clerk$i.json 2>$d/clerk$i.err & pids=\"$pids $!\"\n"
             "done\n"
             "for p in $pids; do wait $p; done\n",
             bin, node.dir, node.ipc, N_CLERKS, N_CLERKS);
    pid_t cli = fork();
    if (cli < 0)
        it_die("fork failed");
    if (cli == 0) {
        execl("/bin/bash", "bash", "-c", script, (char *)NULL);
        _exit(127);
    }

    uint64_t largest = 0;
    int rounds = 0;
    for (int64_t end = it_now_ms() + IT_WAIT_MS; largest < 2 || rounds < 3; rounds++) {
        if (it_now_ms() >= end)
            it_die("no receipt signed for a batch of two or more after %d rounds; see %s", rounds,
                   node.log);
        uint64_t l = round_trip(socks, officers, seqs, &node, rounds);
        if (l > largest)
            largest = l;
    }
    printf("ok   %d rounds of %d concurrent submissions: every receipt verifies (largest batch "
           "%llu)\n",
           rounds, N_OFFICERS, (unsigned long long)largest);
    int status = 0;
    if (waitpid(cli, &status, 0) != cli || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        it_die("giamsat commit of the clerks failed (status %d); see %s/clerk*.err and %s", status,
               node.dir, node.log);
    for (int i = 1; i <= N_CLERKS; i++) {
        char path[700], text[2048] = "";
        snprintf(path, sizeof path, "%s/clerk%d.json", node.dir, i);
        FILE *f = fopen(path, "r");
        size_t got = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
        text[got] = '\0';
        if (f == NULL || strstr(text, "\"index\"") == NULL ||
            strstr(text, "\"leaf_hash_b64\"") == NULL)
            it_die("giamsat commit --json of clerk %d printed no receipt: %s", i, text);
        fclose(f);
    }
    printf("ok   %d concurrent `giamsat commit`: each verified its receipt\n", N_CLERKS);
    for (int i = 0; i < N_OFFICERS; i++)
        zmq_close(socks[i]);

    /* 3. offline, from the bytes alone */
    gs_net_client_close(&admin);
    it_node_stop(&node, SIGTERM);
    const kept *batched = NULL;
    for (size_t i = 0; i < n_keep; i++) {
        gs_receipt r;
        if (gs_wire_open_receipt(gs_bytes_of(keep[i].bytes.p, keep[i].bytes.n), &node.key.pub, &r,
                                 &err) != 0)
            it_die("kept receipt %zu no longer verifies: %s", i, err.msg);
        if (r.index != keep[i].index || memcmp(r.leaf_hash.b, keep[i].leaf.b, 32) != 0)
            it_die("kept receipt %zu reads differently", i);
        for (size_t j = 0; j < i; j++)
            if (keep[j].index == keep[i].index)
                it_die("two receipts for index %llu", (unsigned long long)keep[i].index);
        if (keep[i].batch_size >= 2) {
            batched = &keep[i];
            if (open_with_path_bit_flipped(&keep[i], &node.key.pub) != GS_EVERIFY)
                it_die("a batch receipt with a changed path verifies");
        }
        gs_receipt_clear(&r);
    }
    if (batched == NULL)
        it_die("no batch receipt of two or more kept");
    printf("ok   %zu receipts verify offline; a changed path is refused\n", n_keep);

    /* ... and the entries are where they say, after a restart */
    it_node_start(&node, bin);
    it_node_wait_ready(&node, zctx);
    gs_net_client *c = NULL;
    if (gs_net_client_open(&c, zctx, node.ipc, NULL, NULL, IT_WAIT_MS, GS_MAX_MESSAGE, &err))
        it_die("%s", err.msg);
    for (size_t i = 0; i < n_keep; i += 7) {
        gs_request rq = {.version = 1, .op = GS_OP_GET_ENTRIES, .origin = ""};
        rq.u.get_entries.start = keep[i].index;
        rq.u.get_entries.count = 1;
        gs_response rs = {0};
        if (gs_net_client_call(c, &rq, &rs, &err) != 0 || rs.code != GS_STATUS_OK ||
            rs.u.entries.n < 1)
            it_die("entry %llu not served: %s", (unsigned long long)keep[i].index,
                   rs.message != NULL ? rs.message : err.msg);
        gs_hash leaf;
        gs_merkle_leaf_hash(gs_bytes_of(rs.u.entries.entries[0].p, rs.u.entries.entries[0].n),
                            &leaf);
        if (memcmp(leaf.b, keep[i].leaf.b, 32) != 0)
            it_die("entry %llu is not the receipted statement", (unsigned long long)keep[i].index);
        gs_response_clear(&rs);
    }
    printf("ok   receipted entries served at their indexes after a restart\n");

    /* 4. receipt_mode = single, applied live */
    FILE *f = fopen(node.conf, "a");
    if (f == NULL || fputs("receipt_mode = single\n", f) < 0 || fclose(f) != 0)
        it_die("cannot edit %s", node.conf);
    kill(node.pid, SIGHUP);
    gs_keypair *o = &officers[0];
    int64_t end = it_now_ms() + IT_WAIT_MS;
    for (int k = 0;; k++) {
        gs_statement p = {.kind = GS_BODY_PROGRESS};
        p.u.progress.commitment_id = "c-0";
        p.u.progress.value = 1000 + k;
        p.u.progress.note = "after the reload";
        gs_buf e = it_sign(&p, o, node.origin, seqs[0]++);
        gs_receipt r = {0};
        char msg[600];
        if (it_submit(c, gs_bytes_of(e.p, e.n), &node.key.pub, &r, msg, sizeof msg) != GS_STATUS_OK)
            it_die("refused after the reload: %s", msg);
        gs_buf_free(&e);
        bool single = r.batch_size == 0;
        gs_receipt_clear(&r);
        if (single)
            break;
        if (it_now_ms() >= end)
            it_die("receipt_mode = single not applied after SIGHUP; see %s", node.log);
        it_sleep_ms(50);
    }
    printf("ok   receipt_mode = single: single receipts, verified by the same verifier\n");

    gs_net_client_close(&c);
    it_node_stop(&node, SIGTERM);
    zmq_ctx_term(zctx);
    for (size_t i = 0; i < n_keep; i++)
        gs_buf_free(&keep[i].bytes);
    free(keep);
    for (int i = 0; i < N_OFFICERS; i++)
        gs_keypair_wipe(&officers[i]);
    gs_keypair_wipe(&node.key);
    printf("PASS it_receipts\n");
    return 0;
}
