/* it_flood.c — a node under hostile clients (issue 9 part 5): clients that
 * flood reads (and junk frames of a MiB) and never read an answer must not
 * keep an honest client's submissions from being receipted, and SIGTERM must
 * stop the node while the flood goes on, leaving its store intact.
 *
 *   1. a node with an officer and a commitment; four peers flood GetEntries
 *      and GetCheckpoint and one floods 1 MiB junk frames, none reading;
 *   2. an honest client submits 200 Progress statements one after another:
 *      every one is receipted (a verified receipt, in order);
 *   3. SIGTERM while the flood goes on: the node exits (within the usual
 *      120 s deadline; how fast is attack_bench's figure) with status 0;
 *   4. restarted without the flood, the node replays its store (a broken
 *      one would quarantine it), serves every receipted entry at its index,
 *      and accepts a new statement at the next index.
 * No timing is asserted: only that everything completes.
 *
 * usage: it_flood BUILD_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "it_util.h"
#include "merkle.h"

#define N_SUBMISSIONS 200

static void submit_ok(gs_net_client *c, const it_node *node, gs_statement *st, const gs_keypair *kp,
                      uint64_t seq, gs_receipt *r, const char *what)
{
    gs_buf e = it_sign(st, kp, node->origin, seq);
    char msg[600];
    int code = it_submit(c, gs_bytes_of(e.p, e.n), &node->key.pub, r, msg, sizeof msg);
    gs_buf_free(&e);
    if (code != GS_STATUS_OK)
        it_die("%s: not receipted (%d): %s; see %s", what, code, msg, node->log);
}

static uint64_t node_size(void *zctx, const it_node *node)
{
    int code = 0;
    char *note = it_get_checkpoint(zctx, node->ipc, "", &code);
    uint64_t size = note != NULL ? it_checkpoint_size(note) : 0;
    free(note);
    return size;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        it_die("usage: it_flood BUILD_DIR");
    const char *bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    it_node node;
    it_node_init(&node, bin, "flood", false, "[node]\ncheckpoint_interval_ms = 100\n");
    it_node_start(&node, bin);
    void *zctx = zmq_ctx_new();
    it_node_wait_ready(&node, zctx);
    gs_net_client *c = NULL;
    if (gs_net_client_open(&c, zctx, node.ipc, NULL, NULL, IT_WAIT_MS, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);

    /* 1. An officer with a commitment. */
    gs_keypair officer;
    gs_keypair_generate(&officer);
    uint64_t log_seq = it_next_seq(c, &node.key.pub);
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = officer.pub;
    st.u.appointment.name = "Officer";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    gs_receipt r = {0};
    submit_ok(c, &node, &st, &node.key, log_seq, &r, "the appointment");
    gs_receipt_clear(&r);
    st = (gs_statement){.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = "roads";
    st.u.commitment.title = "Paved roads";
    st.u.commitment.indicator = "km paved";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 12 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 90;
    submit_ok(c, &node, &st, &officer, 1, &r, "the commitment");
    uint64_t first = r.index + 1;
    gs_receipt_clear(&r);

    it_flood *reads = it_flood_start(node.ipc, NULL, IT_FLOOD_READS, 4);
    it_flood *junk = it_flood_start(node.ipc, NULL, IT_FLOOD_LARGE, 1);

    /* 2. Every submission is receipted, at the next index each time. */
    gs_hash leaves[N_SUBMISSIONS];
    for (uint64_t k = 0; k < N_SUBMISSIONS; k++) {
        st = (gs_statement){.kind = GS_BODY_PROGRESS};
        st.u.progress.commitment_id = "roads";
        st.u.progress.value = (int64_t)k * GS_FIXED_SCALE;
        st.u.progress.note = "weekly count";
        char what[64];
        snprintf(what, sizeof what, "submission %llu under the flood", (unsigned long long)k);
        submit_ok(c, &node, &st, &officer, 2 + k, &r, what);
        if (r.index != first + k)
            it_die("%s: receipted at index %llu, expected %llu", what, (unsigned long long)r.index,
                   (unsigned long long)(first + k));
        leaves[k] = r.leaf_hash;
        gs_receipt_clear(&r);
    }
    printf("ok 1 - %d submissions receipted while 5 peers flooded the node\n", N_SUBMISSIONS);

    /* 3. SIGTERM under the flood. */
    gs_net_client_close(&c);
    kill(node.pid, SIGTERM);
    int status = it_wait_for(node.pid, IT_WAIT_MS);
    uint64_t sent = it_flood_stop(&reads) + it_flood_stop(&junk);
    if (status < 0)
        it_die("the node did not stop within %d s of SIGTERM under a flood; see %s",
               IT_WAIT_MS / 1000, node.log);
    if (status != 0)
        it_die("the node exited with status %d after SIGTERM; see %s", status, node.log);
    node.pid = 0;
    printf("ok 2 - SIGTERM under the flood (%llu hostile frames sent): the node exited cleanly\n",
           (unsigned long long)sent);

    /* 4. The store is intact: replayed at start, every entry where its
     * receipt says, and the log goes on. */
    it_node_start(&node, bin);
    it_node_wait_ready(&node, zctx);
    if (gs_net_client_open(&c, zctx, node.ipc, NULL, NULL, IT_WAIT_MS, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    for (int64_t end = it_now_ms() + IT_WAIT_MS; node_size(zctx, &node) != first + N_SUBMISSIONS;) {
        if (it_now_ms() > end)
            it_die("the restarted node does not serve size %llu; see %s",
                   (unsigned long long)(first + N_SUBMISSIONS), node.log);
        it_sleep_ms(50);
    }
    gs_request rq = {.version = 1, .op = GS_OP_GET_ENTRIES, .origin = ""};
    rq.u.get_entries.start = first;
    rq.u.get_entries.count = N_SUBMISSIONS;
    for (uint64_t got = 0; got < N_SUBMISSIONS;) {
        gs_response rs = {0};
        rq.u.get_entries.start = first + got;
        rq.u.get_entries.count = (uint32_t)(N_SUBMISSIONS - got);
        if (gs_net_client_call(c, &rq, &rs, &err) != 0 || rs.code != GS_STATUS_OK ||
            rs.u.entries.n == 0)
            it_die("GetEntries after the restart: %s", rs.message != NULL ? rs.message : err.msg);
        for (size_t i = 0; i < rs.u.entries.n; i++) {
            gs_hash h;
            gs_merkle_leaf_hash(gs_bytes_of(rs.u.entries.entries[i].p, rs.u.entries.entries[i].n),
                                &h);
            if (memcmp(h.b, leaves[got + i].b, 32) != 0)
                it_die("entry %llu is not the one receipted",
                       (unsigned long long)(first + got + i));
        }
        got += rs.u.entries.n;
        gs_response_clear(&rs);
    }
    st = (gs_statement){.kind = GS_BODY_PROGRESS};
    st.u.progress.commitment_id = "roads";
    st.u.progress.value = 1;
    st.u.progress.note = "after the restart";
    submit_ok(c, &node, &st, &officer, 2 + N_SUBMISSIONS, &r, "a submission after the restart");
    if (r.index != first + N_SUBMISSIONS)
        it_die("the restarted node receipted index %llu, expected %llu",
               (unsigned long long)r.index, (unsigned long long)(first + N_SUBMISSIONS));
    gs_receipt_clear(&r);
    printf("ok 3 - after the restart: every receipted entry at its index, the log goes on\n");

    gs_net_client_close(&c);
    it_node_stop(&node, SIGTERM);
    zmq_ctx_term(zctx);
    gs_keypair_wipe(&officer);
    gs_keypair_wipe(&node.key);
    it_cleanup();
    return 0;
}
