/* it_hub_rewrite.c — a real giamsat-hub and real giamsat-nodes that rewrite
 * their cosigned history, at power-of-two cosigned sizes and over a long
 * history (issue 9, "every fault is provable").
 *
 * Three nodes hold histories of 8, 64 and 1,024 entries (planted in their
 * stores with valid statements, as a node would have written them), and the
 * hub cosigns them. Then each node, stopped, has its log cut back and
 * regrown with other entries, and signs the new history: the last cosigned
 * entry rewritten (size 8), a middle one (64), and 1,021 of 1,024 entries
 * (1,024). Every cosigned size is a power of two, whose RFC 9162 consistency
 * proof does not carry the old root, and the last rewrite is far beyond
 * what one evidence could carry entry by entry.
 *
 * For each, the hub must record split-view evidence (a) in its one-node
 * form: the first rewritten entry, its hash in both signed trees with both
 * inclusion proofs, in one small entry that gs_evidence_verify accepts
 * against the node's key; and the origin must be frozen (AddCheckpoint is
 * PERMISSION_DENIED, the hub still serves the size it cosigned).
 *
 * usage: it_hub_rewrite BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "it_util.h"
#include "log.h"
#include "store.h"

#define WAIT_MS IT_WAIT_MS

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

static const char *bin;
static void *zctx;

typedef struct {
    const char *name;
    uint64_t cosigned; /* a power of two */
    uint64_t keep;     /* entries kept by the rewrite: the first rewritten */
    uint64_t rewritten;
    it_node n;
    char log_key[GS_VKEY_STR_MAX];
    gs_vkey vkey;
} unit;

/* With the node stopped: cuts its log to keep entries and appends
 * appointments signed by the node key up to size (entry i > 0 carries the
 * node key's seq i + 1, as the Charter carries seq 1), then signs a
 * checkpoint of the new size. `who` makes the entries differ between two
 * histories. */
static void plant(unit *u, uint64_t keep, uint64_t size, const char *who)
{
    char path[700];
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    snprintf(path, sizeof path, "%s/node.db", u->n.dir);
    CHECK(gs_store_open(&s, path, &err) == 0, "%s", err.msg);
    CHECK(gs_log_open(&l, s, u->n.origin, false, &err) == 0, "%s", err.msg);
    if (gs_log_size(l) > keep)
        CHECK(gs_log_truncate(l, keep, &err) == 0, "truncate: %s", err.msg);
    for (uint64_t i = gs_log_size(l); i < size; i++) {
        gs_keypair p;
        gs_keypair_generate(&p);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = p.pub;
        st.u.appointment.name = who;
        st.u.appointment.role = GS_ROLE_INSPECTOR;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        gs_buf e = it_sign(&st, &u->n.key, u->n.origin, i + 1);
        gs_bytes b = gs_bytes_of(e.p, e.n);
        CHECK(gs_log_append(l, &b, 1, NULL, &err) == 0, "%s", err.msg);
        gs_buf_free(&e);
        gs_keypair_wipe(&p);
    }
    char *note = NULL;
    CHECK(gs_log_sign_checkpoint(l, &u->n.key, &note, &err) == 0, "%s", err.msg);
    free(note);
    gs_log_close(&l);
    gs_store_close(&s);
}

static gs_response call(const char *ep, gs_request *rq)
{
    gs_net_client *c = NULL;
    gs_response rs = {0};
    gs_error err;
    if (gs_net_client_open(&c, zctx, ep, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    rq->version = 1;
    if (gs_net_client_call(c, rq, &rs, &err) != 0)
        it_die("call %s: %s", ep, err.msg);
    gs_net_client_close(&c);
    return rs;
}

/* Waits for the hub's evidence against u and checks it is the one-node
 * split view at the first rewritten entry. Returns the entry's size. */
static size_t check_evidence(const it_hub *h, const unit *u)
{
    gs_buf *items = NULL;
    size_t n = 0;
    for (int64_t end = it_now_ms() + WAIT_MS; it_now_ms() < end;) {
        it_get_evidence(zctx, h->ipc, u->n.origin, &items, &n);
        if (n > 0)
            break;
        free(items);
        items = NULL;
        it_sleep_ms(100);
    }
    CHECK(n == 1, "%zu pieces of evidence against %s, expected 1; see %s", n, u->n.origin, h->log);
    gs_statement st = {0};
    gs_error err = {0};
    CHECK(gs_wire_open_entry(gs_bytes_of(items[0].p, items[0].n), &st, &err) == 0,
          "the evidence entry does not open: %s", err.msg);
    const gs_evidence *ev = &st.u.evidence;
    CHECK(st.kind == GS_BODY_EVIDENCE && ev->kind == GS_EVIDENCE_SPLIT_VIEW,
          "%s: the evidence is not a split view (kind %d); see %s", u->n.origin, (int)ev->kind,
          h->log);
    CHECK(ev->has_node_hash_a && ev->has_node_hash_b && ev->level == 0 &&
              ev->first_index == u->keep && ev->n_entries == 0,
          "%s: not the one-leaf form at entry %llu (level %u, index %llu)", u->n.origin,
          (unsigned long long)u->keep, (unsigned)ev->level, (unsigned long long)ev->first_index);
    CHECK(gs_evidence_verify(ev, &u->vkey, &err) == 0, "%s: the evidence does not verify: %s",
          u->n.origin, err.msg);
    size_t size = items[0].n;
    gs_statement_clear(&st);
    for (size_t k = 0; k < n; k++)
        gs_buf_free(&items[k]);
    free(items);
    return size;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: it_hub_rewrite BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    zctx = zmq_ctx_new();
    unit units[] = {
        {.name = "tan-an", .cosigned = 8, .keep = 7, .rewritten = 12},
        {.name = "tan-binh", .cosigned = 64, .keep = 30, .rewritten = 70},
        {.name = "tan-chau", .cosigned = 1024, .keep = 3, .rewritten = 1100},
    };
    const size_t nu = sizeof units / sizeof units[0];

    it_hub h;
    it_hub_init(&h, bin, "prov", false, "[hub]\npoll_interval_ms = 200\n");
    for (size_t i = 0; i < nu; i++) {
        unit *u = &units[i];
        it_node_init(&u->n, bin, u->name, false, NULL);
        it_vkey(u->log_key, u->n.origin, GS_VKEY_ALG_ED25519, &u->n.key.pub);
        CHECK(gs_vkey_parse(u->log_key, &u->vkey, &err) == 0, "%s", err.msg);
        plant(u, UINT64_MAX, u->cosigned, "Nguyen Van A");
        it_node_start(&u->n, bin);
        it_node_wait_ready(&u->n, zctx);
        const char *src[] = {u->n.ipc};
        it_hub_follow(&h, bin, u->n.origin, u->log_key, src, 1);
    }
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    for (size_t i = 0; i < nu; i++)
        free(it_hub_wait_cosigned(zctx, h.ipc, units[i].n.origin, units[i].cosigned, WAIT_MS,
                                  h.log));
    printf("ok 1 - the hub cosigned histories of 8, 64 and 1024 entries\n");

    for (size_t i = 0; i < nu; i++) {
        unit *u = &units[i];
        it_node_stop(&u->n, SIGTERM);
        plant(u, u->keep, u->rewritten, "Tran Thi B");
        it_node_start(&u->n, bin);
        it_node_wait_ready(&u->n, zctx);
    }
    for (size_t i = 0; i < nu; i++) {
        unit *u = &units[i];
        size_t size = check_evidence(&h, u);
        CHECK(size < 8192, "the evidence against %s takes %zu bytes", u->n.origin, size);
        printf("ok %zu - %s cosigned at %llu, rewritten from entry %llu (%llu entries): one-leaf "
               "split view at entry %llu in %zu bytes\n",
               i + 2, u->n.origin, (unsigned long long)u->cosigned, (unsigned long long)u->keep,
               (unsigned long long)(u->cosigned - u->keep), (unsigned long long)u->keep, size);
    }

    /* Frozen: pushing the new history is refused with the reason, and the
     * hub still serves what it cosigned. */
    for (size_t i = 0; i < nu; i++) {
        unit *u = &units[i];
        char *note = it_get_checkpoint(zctx, u->n.ipc, "", NULL);
        CHECK(note != NULL && it_checkpoint_size(note) == u->rewritten,
              "%s does not serve its rewritten history", u->n.origin);
        gs_request rq = {.op = GS_OP_ADD_CHECKPOINT, .origin = ""};
        rq.u.add_checkpoint.old_size = u->cosigned;
        rq.u.add_checkpoint.checkpoint = note;
        gs_response rs = call(h.ipc, &rq);
        CHECK(rs.code == GS_STATUS_PERMISSION_DENIED && strstr(rs.message, "evidence") != NULL,
              "AddCheckpoint of %s after the rewrite: %s %s", u->n.origin, gs_status_name(rs.code),
              rs.message);
        gs_response_clear(&rs);
        free(note);
        note = it_get_checkpoint(zctx, h.ipc, u->n.origin, NULL);
        CHECK(note != NULL && it_checkpoint_size(note) == u->cosigned,
              "the hub no longer serves %s at %llu", u->n.origin, (unsigned long long)u->cosigned);
        free(note);
    }
    printf("ok 5 - every rewritten origin is frozen\n");

    it_hub_stop(&h, SIGTERM);
    for (size_t i = 0; i < nu; i++) {
        it_node_stop(&units[i].n, SIGTERM);
        gs_keypair_wipe(&units[i].n.key);
    }
    gs_keypair_wipe(&h.key);
    zmq_ctx_term(zctx);
    return 0;
}
