/* it_node_durability.c — nothing acknowledged is ever lost.
 *
 * A real giamsat-node on ipc://; four client threads, each an appointed
 * officer, stream 10,000 signed statements between them while the main
 * thread kills the node with SIGKILL at random points of the stream (a
 * random count of statements into each fifth, so the kills land while the
 * clients stream however fast the machine is), several times, and restarts
 * it. A client whose call times out retries the same bytes; if the
 * node then says the seq was already used, the statement was committed but
 * its receipt lost, and the check at the end must find it in the log.
 *
 * Afterwards, with the node stopped, the test opens the database itself and
 * checks that every receipted statement is at its receipted index with its
 * receipted leaf hash, that no statement appears twice, and that the stored
 * root equals a fresh recomputation over every entry. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "it_util.h"
#include "log.h"
#include "merkle.h"
#include "rules.h"
#include "store.h"

#define CLIENTS 4
#define TOTAL 10000
#define PER_CLIENT (TOTAL / CLIENTS)
#define KILLS 5

typedef struct {
    uint64_t index;
    gs_hash leaf;
    bool receipted; /* false: committed before a crash, receipt lost */
} sent;

typedef struct {
    int id;
    const it_node *node;
    void *zctx;
    gs_keypair key;
    sent *log;
    size_t n;
    char failure[1024];
} client;

static atomic_int clients_done;
static atomic_int statements_done; /* answered, by all clients */

/* Submits until the node answers, riding out crashes. Returns the status. */
static int submit_retrying(client *c, gs_net_client **conn, gs_bytes entry, gs_receipt *r,
                           char *msg, size_t cap)
{
    for (int64_t end = it_now_ms() + IT_WAIT_MS; it_now_ms() < end;) {
        gs_error err;
        if (*conn == NULL && gs_net_client_open(conn, c->zctx, c->node->ipc, NULL, NULL, 1000,
                                                GS_MAX_MESSAGE, &err) != 0) {
            it_sleep_ms(50);
            continue;
        }
        int code = it_submit(*conn, entry, &c->node->key.pub, r, msg, cap);
        if (code >= 0)
            return code;
        /* Unavailable: the node is down or restarting. */
        gs_net_client_close(conn);
        it_sleep_ms(20);
    }
    return -1;
}

static void *client_main(void *arg)
{
    client *c = arg;
    gs_net_client *conn = NULL;
    uint64_t seq = 1;
    for (size_t i = 0; i < PER_CLIENT; i++, seq++) {
        gs_statement st = {0};
        char id[32];
        snprintf(id, sizeof id, "c%d", c->id);
        if (i == 0) {
            st.kind = GS_BODY_COMMITMENT;
            st.u.commitment.id = id;
            st.u.commitment.title = "Pave the roads";
            st.u.commitment.indicator = "km paved";
            st.u.commitment.unit_of_measure = "km";
            st.u.commitment.target = 100 * GS_FIXED_SCALE;
            st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
            st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
        } else {
            st.kind = GS_BODY_PROGRESS;
            st.u.progress.commitment_id = id;
            st.u.progress.value = (int64_t)i * 1000;
            st.u.progress.note = "";
        }
        gs_buf entry = it_sign(&st, &c->key, c->node->origin, seq);
        gs_hash leaf;
        gs_merkle_leaf_hash(gs_bytes_of(entry.p, entry.n), &leaf);
        gs_receipt r = {0};
        char msg[600];
        int code = submit_retrying(c, &conn, gs_bytes_of(entry.p, entry.n), &r, msg, sizeof msg);
        gs_buf_free(&entry);
        sent *s = &c->log[c->n++];
        s->leaf = leaf;
        if (code == GS_STATUS_OK) {
            if (memcmp(r.leaf_hash.b, leaf.b, 32) != 0) {
                snprintf(c->failure, sizeof c->failure, "receipt for a different leaf");
                gs_receipt_clear(&r);
                break;
            }
            s->index = r.index;
            s->receipted = true;
        } else if (strstr(msg, "seq") != NULL) {
            /* Committed before the crash; its receipt was lost with it. */
            s->receipted = false;
        } else {
            snprintf(c->failure, sizeof c->failure, "client %d statement %zu: status %d: %s", c->id,
                     i, code, msg);
            gs_receipt_clear(&r);
            break;
        }
        gs_receipt_clear(&r);
        atomic_fetch_add(&statements_done, 1);
    }
    gs_net_client_close(&conn);
    atomic_fetch_add(&clients_done, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        it_die("usage: %s BUILD_DIR", argv[0]);
    const char *bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    it_node node;
    it_node_init(&node, bin, "durable", false, "[node]\ncheckpoint_interval_ms = 50\n");
    it_node_start(&node, bin);
    void *zctx = zmq_ctx_new();
    it_node_wait_ready(&node, zctx);

    /* Four officers, appointed by the node key. */
    client clients[CLIENTS];
    gs_net_client *admin = NULL;
    if (gs_net_client_open(&admin, zctx, node.ipc, NULL, NULL, 5000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    uint64_t seq = it_next_seq(admin, &node.key.pub);
    for (int i = 0; i < CLIENTS; i++) {
        client *c = &clients[i];
        memset(c, 0, sizeof *c);
        c->id = i;
        c->node = &node;
        c->zctx = zctx;
        gs_keypair_generate(&c->key);
        c->log = calloc(PER_CLIENT, sizeof *c->log);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        char name[32];
        snprintf(name, sizeof name, "Officer %d", i);
        st.u.appointment.person = c->key.pub;
        st.u.appointment.name = name;
        st.u.appointment.role = GS_ROLE_OFFICER;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        gs_buf e = it_sign(&st, &node.key, node.origin, seq++);
        char msg[600];
        gs_receipt r = {0};
        int code = it_submit(admin, gs_bytes_of(e.p, e.n), &node.key.pub, &r, msg, sizeof msg);
        gs_buf_free(&e);
        gs_receipt_clear(&r);
        if (code != GS_STATUS_OK)
            it_die("appointment refused: %s", msg);
    }
    gs_net_client_close(&admin);

    pthread_t threads[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        pthread_create(&threads[i], NULL, client_main, &clients[i]);

    /* Kill the node at a random point of each of the first KILLS parts of
     * the stream: counted in statements, not in time, so every kill lands
     * while the clients stream on a fast machine as on a loaded one. */
    int kills = 0;
    const int part = TOTAL / (KILLS + 1);
    while (kills < KILLS && atomic_load(&clients_done) < CLIENTS) {
        int at = kills * part + part / 4 + rand() % (part / 2);
        while (atomic_load(&statements_done) < at && atomic_load(&clients_done) < CLIENTS)
            it_sleep_ms(2);
        if (atomic_load(&clients_done) == CLIENTS)
            break;
        it_node_stop(&node, SIGKILL);
        kills++;
        fprintf(stderr, "killed the node with SIGKILL (%d)\n", kills);
        it_sleep_ms(rand() % 200);
        it_node_start(&node, bin);
    }
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(threads[i], NULL);
    it_node_stop(&node, SIGTERM);
    zmq_ctx_term(zctx);
    if (kills < 3)
        it_die("the node was killed only %d times before the clients finished", kills);

    for (int i = 0; i < CLIENTS; i++)
        if (clients[i].failure[0] != '\0')
            it_die("%s", clients[i].failure);

    /* The check: open the database the node left behind. */
    char db[700];
    snprintf(db, sizeof db, "%s/node.db", node.dir);
    gs_store *store = NULL;
    gs_log *log = NULL;
    if (gs_store_open(&store, db, &err) != 0 || gs_log_open(&log, store, node.origin, false, &err))
        it_die("reopening the store: %s", err.msg);
    uint64_t size = gs_log_size(log);
    gs_hash *leaves = calloc(size, sizeof *leaves);
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    for (uint64_t i = 0; i < size; i++) {
        gs_buf e = {0};
        if (gs_log_entry(log, i, &e, &err) != 0)
            it_die("entry %llu: %s", (unsigned long long)i, err.msg);
        gs_merkle_leaf_hash(gs_bytes_of(e.p, e.n), &leaves[i]);
        gs_merkle_frontier_append(&f, &leaves[i], NULL, NULL);
        gs_buf_free(&e);
    }
    gs_hash root, stored_root;
    gs_merkle_frontier_root(&f, &root);
    gs_log_root(log, &stored_root);
    if (memcmp(root.b, stored_root.b, 32) != 0)
        it_die("the stored root differs from a recomputation over the %llu entries",
               (unsigned long long)size);

    size_t receipted = 0, recovered = 0;
    for (int i = 0; i < CLIENTS; i++) {
        for (size_t k = 0; k < clients[i].n; k++) {
            sent *s = &clients[i].log[k];
            if (s->receipted) {
                if (s->index >= size || memcmp(leaves[s->index].b, s->leaf.b, 32) != 0)
                    it_die("client %d statement %zu: receipted at index %llu but not there", i, k,
                           (unsigned long long)s->index);
                receipted++;
            } else {
                bool found = false;
                for (uint64_t j = 0; j < size && !found; j++)
                    found = memcmp(leaves[j].b, s->leaf.b, 32) == 0;
                if (!found)
                    it_die("client %d statement %zu: its seq was consumed but it is not in the "
                           "log",
                           i, k);
                recovered++;
            }
        }
    }
    /* No statement twice (n^2/2 memcmp over 10^4 leaves is fine here). */
    for (uint64_t i = 0; i < size; i++)
        for (uint64_t j = i + 1; j < size; j++)
            if (memcmp(leaves[i].b, leaves[j].b, 32) == 0)
                it_die("entries %llu and %llu are the same statement", (unsigned long long)i,
                       (unsigned long long)j);
    /* Charter + 4 appointments + every statement the clients sent. */
    if (size != 1 + CLIENTS + TOTAL)
        it_die("the log holds %llu entries, expected %d", (unsigned long long)size,
               1 + CLIENTS + TOTAL);
    printf("ok: %d kills, %zu receipted, %zu committed with a lost receipt, log size %llu, root "
           "verified\n",
           kills, receipted, recovered, (unsigned long long)size);
    free(leaves);
    gs_log_close(&log);
    gs_store_close(&store);
    for (int i = 0; i < CLIENTS; i++) {
        free(clients[i].log);
        gs_keypair_wipe(&clients[i].key);
    }
    gs_keypair_wipe(&node.key);
    return 0;
}
