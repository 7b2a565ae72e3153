/* it_hub_basic.c — a real giamsat-hub following two real giamsat-nodes.
 *
 * 1. Two nodes (made with `giamsat node init`) hold a few statements; a hub
 *    (`giamsat hub init`, `giamsat hub follow`) polls them and cosigns their
 *    checkpoints: the cosignature verifies with the hub's cosigner key
 *    (cosignature/v1), the log signature with the node key, and a
 *    checkpoint/<origin> event is published.
 * 2. The hub serves the replica: the same entries as the node, byte for
 *    byte, an inclusion proof that verifies against the cosigned root, and a
 *    consistency proof.
 * 3. AddCheckpoint by hand (tlog-witness semantics): a newer node
 *    checkpoint with a consistency proof is answered with a cosignature line
 *    that verifies; asking again returns it again; a wrong old size is
 *    CONFLICT with the hub's size; a note the log did not sign is
 *    UNAUTHENTICATED; an origin not followed is NOT_FOUND.
 * 4. After a restart the hub follows by polling alone.
 * 5. An entry altered in the node's database (data and stored leaf hash
 *    changed with sqlite3 while the node runs, so the node serves it) gives
 *    evidence (c), an alert/<origin> event and no cosignature.
 * 6. A node log truncated and regrown past the cosigned size gives (a)
 *    (the node's own consistency proof shows the rewrite) and the origin is
 *    frozen (AddCheckpoint: PERMISSION_DENIED); a log truncated and regrown
 *    to less than the cosigned size gives (b).
 * 7. A central hub follows the province hub's own log and witnesses it: the
 *    province hub pushes its checkpoints (common/witness.h) and serves them
 *    with the central hub's cosignature.
 * Every evidence is checked with gs_evidence_verify against the node's key.
 *
 * usage: it_hub_basic BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evidence.h"
#include "it_util.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "store.h"

#define WAIT_MS IT_WAIT_MS

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
    gs_vkey vkey;
    gs_keypair officer;
    uint64_t node_seq;    /* the node key's next seq */
    uint64_t officer_seq; /* the officer's next seq */
    uint64_t size;        /* entries submitted so far, Charter included */
} unit;

static gs_net_client *connect_ipc(const char *ep)
{
    gs_net_client *c = NULL;
    gs_error err;
    if (gs_net_client_open(&c, zctx, ep, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    return c;
}

static void submit(unit *u, gs_statement *st, const gs_keypair *kp, uint64_t *seq)
{
    gs_net_client *c = connect_ipc(u->n.ipc);
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

static void make_unit(unit *u, const char *name)
{
    memset(u, 0, sizeof *u);
    it_node_init(&u->n, bin, name, false, NULL);
    it_vkey(u->log_key, u->n.origin, GS_VKEY_ALG_ED25519, &u->n.key.pub);
    gs_error err;
    if (gs_vkey_parse(u->log_key, &u->vkey, &err) != 0)
        it_die("%s", err.msg);
    it_node_start(&u->n, bin);
    it_node_wait_ready(&u->n, zctx);
    u->size = 1;
    u->node_seq = 2;
    u->officer_seq = 1;
    gs_keypair_generate(&u->officer);
    gs_statement st = {.kind = GS_BODY_APPOINTMENT};
    st.u.appointment.person = u->officer.pub;
    st.u.appointment.name = "Nguyen Van A";
    st.u.appointment.role = GS_ROLE_OFFICER;
    st.u.appointment.title = "";
    st.u.appointment.decision = "";
    submit(u, &st, &u->n.key, &u->node_seq);
    st = (gs_statement){.kind = GS_BODY_COMMITMENT};
    st.u.commitment.id = "roads";
    st.u.commitment.title = "Pave the commune roads";
    st.u.commitment.indicator = "km paved";
    st.u.commitment.unit_of_measure = "km";
    st.u.commitment.target = 12 * GS_FIXED_SCALE;
    st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
    st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
    submit(u, &st, &u->officer, &u->officer_seq);
}

/* The note verifies with the log key and carries the hub's cosignature. */
static void check_cosigned(const char *note, const unit *u, const it_hub *h, uint64_t size)
{
    gs_note *n = NULL;
    gs_error err;
    gs_vkey cosigner;
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "cosigned note: %s", err.msg);
    CHECK(gs_note_verify(n, &u->vkey, 1, NULL, NULL, &err) == 0, "log signature: %s", err.msg);
    CHECK(gs_vkey_parse(h->cosigner_key, &cosigner, &err) == 0, "%s", err.msg);
    CHECK(cosigner.alg == GS_VKEY_ALG_COSIGNATURE_V1, "the cosigner key is not alg 0x04");
    int64_t ts = 0;
    CHECK(gs_cosignature_verify(n, &cosigner, &ts, &err) == 0, "hub cosignature: %s", err.msg);
    CHECK(ts > 0 && ts <= (int64_t)time(NULL) + 1, "cosignature time %lld", (long long)ts);
    CHECK(it_checkpoint_size(note) == size, "cosigned size %llu, expected %llu",
          (unsigned long long)it_checkpoint_size(note), (unsigned long long)size);
    gs_note_free(&n);
}

static gs_response call(const char *ep, gs_request *rq)
{
    gs_net_client *c = connect_ipc(ep);
    gs_response rs = {0};
    gs_error err;
    rq->version = 1;
    if (gs_net_client_call(c, rq, &rs, &err) != 0)
        it_die("call %s: %s", ep, err.msg);
    gs_net_client_close(&c);
    return rs;
}

/* 2: the replica served by the hub is the node's log. */
static void check_replica(const unit *u, const it_hub *h, const char *cosigned)
{
    uint64_t size = it_checkpoint_size(cosigned);
    gs_request rq = {.op = GS_OP_GET_ENTRIES, .origin = u->n.origin};
    rq.u.get_entries.start = 0;
    rq.u.get_entries.count = 1000;
    gs_response a = call(h->ipc, &rq), b = call(u->n.ipc, &rq);
    CHECK(a.code == GS_STATUS_OK && a.u.entries.n == size, "hub served %zu entries, not %llu",
          a.u.entries.n, (unsigned long long)size);
    for (size_t i = 0; i < size; i++)
        CHECK(a.u.entries.entries[i].n == b.u.entries.entries[i].n &&
                  memcmp(a.u.entries.entries[i].p, b.u.entries.entries[i].p,
                         a.u.entries.entries[i].n) == 0,
              "entry %zu differs between hub and node", i);
    gs_hash leaf;
    gs_merkle_leaf_hash(
        gs_bytes_of(a.u.entries.entries[size - 2].p, a.u.entries.entries[size - 2].n), &leaf);
    gs_response_clear(&a);
    gs_response_clear(&b);
    /* Beyond the cosigned size: nothing. */
    rq.u.get_entries.start = size;
    a = call(h->ipc, &rq);
    CHECK(a.code == GS_STATUS_NOT_FOUND, "hub served entries beyond the cosigned size");
    gs_response_clear(&a);

    gs_checkpoint cp;
    gs_error err;
    gs_note *n = NULL;
    size_t tl;
    CHECK(gs_note_parse(cosigned, strlen(cosigned), &n, &err) == 0, "%s", err.msg);
    const char *text = gs_note_text(n, &tl);
    CHECK(gs_checkpoint_parse(text, tl, &cp, &err) == 0, "%s", err.msg);
    gs_note_free(&n);
    rq = (gs_request){.op = GS_OP_GET_INCLUSION_PROOF, .origin = u->n.origin};
    rq.u.get_inclusion_proof.index = size - 2;
    rq.u.get_inclusion_proof.size = size;
    a = call(h->ipc, &rq);
    CHECK(a.code == GS_STATUS_OK, "inclusion proof: %s", a.message);
    CHECK(gs_merkle_verify_inclusion(&leaf, size - 2, size, a.u.proof.hashes, a.u.proof.n, &cp.root,
                                     &err) == 0,
          "the hub's inclusion proof does not verify: %s", err.msg);
    gs_response_clear(&a);
    rq = (gs_request){.op = GS_OP_GET_CONSISTENCY_PROOF, .origin = u->n.origin};
    rq.u.get_consistency_proof.old_size = 3;
    rq.u.get_consistency_proof.new_size = size;
    a = call(h->ipc, &rq);
    b = call(u->n.ipc, &rq);
    CHECK(a.code == GS_STATUS_OK && b.code == GS_STATUS_OK && a.u.proof.n == b.u.proof.n &&
              memcmp(a.u.proof.hashes, b.u.proof.hashes, a.u.proof.n * sizeof(gs_hash)) == 0,
          "the hub's consistency proof differs from the node's");
    gs_response_clear(&a);
    gs_response_clear(&b);
    gs_checkpoint_clear(&cp);
}

static gs_response add_checkpoint(const it_hub *h, uint64_t old, const char *note,
                                  const gs_hash *proof, size_t np)
{
    gs_request rq = {.op = GS_OP_ADD_CHECKPOINT, .origin = ""};
    rq.u.add_checkpoint.old_size = old;
    rq.u.add_checkpoint.proof = proof;
    rq.u.add_checkpoint.n_proof = np;
    rq.u.add_checkpoint.checkpoint = note;
    return call(h->ipc, &rq);
}

/* 3: AddCheckpoint with tlog-witness semantics. */
static void check_add_checkpoint(unit *u, const it_hub *h, uint64_t cosigned)
{
    progress(u, 4);
    it_node_wait_checkpoint(&u->n, zctx, u->size);
    char *note = it_get_checkpoint(zctx, u->n.ipc, "", NULL);
    gs_request rq = {.op = GS_OP_GET_CONSISTENCY_PROOF, .origin = ""};
    rq.u.get_consistency_proof.old_size = cosigned;
    rq.u.get_consistency_proof.new_size = u->size;
    gs_response pr = call(u->n.ipc, &rq);
    CHECK(pr.code == GS_STATUS_OK, "node proof: %s", pr.message);

    gs_response rs = add_checkpoint(h, cosigned + 1, note, pr.u.proof.hashes, pr.u.proof.n);
    CHECK(rs.code == GS_STATUS_CONFLICT && rs.result == GS_RESULT_CONFLICT &&
              rs.u.conflict_size == cosigned,
          "a wrong old size: expected CONFLICT with size %llu, got %s %s",
          (unsigned long long)cosigned, gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);

    /* Sent with a line planted under the hub's own name and key ID (a
     * spoiled signature), as any client could: the hub ignores every line
     * but the log's (DESIGN principle 10) and still cosigns. */
    gs_note *pn = NULL;
    gs_error perr;
    char *planted = NULL;
    size_t plen;
    CHECK(gs_note_parse(note, strlen(note), &pn, &perr) == 0, "%s", perr.msg);
    const char *ptext = gs_note_text(pn, &plen);
    CHECK(gs_cosignature_sign(ptext, plen, h->origin, &h->key, (int64_t)time(NULL), &planted,
                              &perr) == 0,
          "%s", perr.msg);
    gs_note_free(&pn);
    planted[strcspn(planted, "\n")] = '\0';
    planted[strlen(planted) - 10] = planted[strlen(planted) - 10] == 'A' ? 'B' : 'A';
    size_t poisoned_cap = strlen(note) + strlen(planted) + 2;
    char *poisoned = malloc(poisoned_cap);
    CHECK(poisoned != NULL, "out of memory");
    snprintf(poisoned, poisoned_cap, "%s%s\n", note, planted);
    free(planted);
    rs = add_checkpoint(h, cosigned, poisoned, pr.u.proof.hashes, pr.u.proof.n);
    free(poisoned);
    CHECK(rs.code == GS_STATUS_OK && rs.result == GS_RESULT_COSIGNATURE,
          "AddCheckpoint with a line planted under the hub's name: %s: %s", gs_status_name(rs.code),
          rs.message);
    /* The line verifies as a cosignature/v1 over the node's checkpoint. */
    gs_note *n = NULL;
    gs_error err;
    gs_vkey cosigner;
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "%s", err.msg);
    CHECK(gs_note_add_signature(n, rs.u.cosignature, strlen(rs.u.cosignature), &err) == 0, "%s",
          err.msg);
    CHECK(gs_vkey_parse(h->cosigner_key, &cosigner, &err) == 0, "%s", err.msg);
    int64_t ts2 = 0;
    CHECK(gs_cosignature_verify(n, &cosigner, &ts2, &err) == 0,
          "the cosignature answered does not verify: %s", err.msg);
    gs_note_free(&n);
    char *line = strdup(rs.u.cosignature);
    gs_response_clear(&rs);

    /* Again: the same line (the hub already holds and cosigned it). */
    rs = add_checkpoint(h, u->size, note, NULL, 0);
    CHECK(rs.code == GS_STATUS_OK && strcmp(rs.u.cosignature, line) == 0,
          "AddCheckpoint of a cosigned checkpoint: %s %s", gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    free(line);

    /* A note the log did not sign: the hub's key signs it instead. */
    char *body = NULL;
    char *forged = NULL;
    const char *blank = strstr(note, "\n\n");
    body = strndup(note, (size_t)(blank - note) + 1);
    CHECK(gs_note_sign(body, strlen(body), u->n.origin, &h->key, &forged, &err) == 0, "%s",
          err.msg);
    rs = add_checkpoint(h, u->size, forged, NULL, 0);
    CHECK(rs.code == GS_STATUS_UNAUTHENTICATED, "forged note: expected UNAUTHENTICATED, got %s",
          gs_status_name(rs.code));
    gs_response_clear(&rs);
    free(forged);
    free(body);

    char *other = NULL, *other_body = NULL;
    gs_hash zero = {{0}};
    CHECK(gs_checkpoint_format("giamsat/commune/nowhere", 3, &zero, &other_body, &err) == 0, "x");
    CHECK(gs_note_sign(other_body, strlen(other_body), "giamsat/commune/nowhere", &h->key, &other,
                       &err) == 0,
          "x");
    rs = add_checkpoint(h, 0, other, NULL, 0);
    CHECK(rs.code == GS_STATUS_NOT_FOUND, "unknown origin: expected NOT_FOUND, got %s",
          gs_status_name(rs.code));
    gs_response_clear(&rs);
    free(other);
    free(other_body);
    gs_response_clear(&pr);
    free(note);
}

/* Evidence held by the hub about origin: exactly `count` items, the last of
 * kind `kind`, accepted by gs_evidence_verify against the log key. */
static void check_evidence(const it_hub *h, const unit *u, size_t count, gs_evidence_kind kind)
{
    gs_buf *items = NULL;
    size_t n = 0;
    int code = it_get_evidence(zctx, h->ipc, u->n.origin, &items, &n);
    CHECK(code == GS_STATUS_OK && n == count, "GetEvidence(%s): status %d, %zu items, expected %zu",
          u->n.origin, code, n, count);
    gs_statement st = {0};
    gs_error err;
    CHECK(gs_wire_open_entry(gs_bytes_of(items[n - 1].p, items[n - 1].n), &st, &err) == 0,
          "evidence entry: %s", err.msg);
    CHECK(st.kind == GS_BODY_EVIDENCE && st.u.evidence.kind == kind,
          "evidence of kind %d, expected %d", (int)st.u.evidence.kind, (int)kind);
    CHECK(memcmp(st.signer.b, h->key.pub.b, 32) == 0, "evidence not signed by the hub");
    CHECK(gs_evidence_verify(&st.u.evidence, &u->vkey, &err) == 0,
          "the hub's evidence does not verify: %s", err.msg);
    char what[300];
    gs_evidence_describe(&st.u.evidence, what, sizeof what);
    printf("evidence about %s: %s\n", u->n.origin, what);
    gs_statement_clear(&st);
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&items[i]);
    free(items);
}

/* 5: changes entry `index` of the node's database and its stored leaf hash
 * so the node serves the altered bytes (the database holds one log, id 1). */
static void alter_entry(const unit *u, uint64_t index, uint8_t *saved_data, int *saved_len,
                        uint8_t *saved_hashes, int *saved_hlen, bool restore)
{
    char path[700];
    snprintf(path, sizeof path, "%s/node.db", u->n.dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK, "sqlite3 open %s", path);
    sqlite3_busy_timeout(db, 5000);
    int64_t id = (int64_t)((UINT64_C(1) << 40) | index);
    if (!restore) {
        CHECK(sqlite3_prepare_v2(db, "SELECT data, hashes FROM entries WHERE id = ?1", -1, &st,
                                 NULL) == SQLITE_OK,
              "prepare");
        sqlite3_bind_int64(st, 1, id);
        CHECK(sqlite3_step(st) == SQLITE_ROW, "entry %llu not found", (unsigned long long)index);
        *saved_len = sqlite3_column_bytes(st, 0);
        memcpy(saved_data, sqlite3_column_blob(st, 0), (size_t)*saved_len);
        *saved_hlen = sqlite3_column_bytes(st, 1);
        memcpy(saved_hashes, sqlite3_column_blob(st, 1), (size_t)*saved_hlen);
        sqlite3_finalize(st);
    }
    uint8_t data[4096], hashes[41 * 32];
    memcpy(data, saved_data, (size_t)*saved_len);
    memcpy(hashes, saved_hashes, (size_t)*saved_hlen);
    if (!restore) {
        data[*saved_len - 3] ^= 0x01; /* a byte of the signature */
        gs_hash leaf;
        gs_merkle_leaf_hash(gs_bytes_of(data, (size_t)*saved_len), &leaf);
        memcpy(hashes, leaf.b, 32);
    }
    CHECK(sqlite3_prepare_v2(db, "UPDATE entries SET data = ?1, hashes = ?2 WHERE id = ?3", -1, &st,
                             NULL) == SQLITE_OK,
          "prepare");
    sqlite3_bind_blob(st, 1, data, *saved_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hashes, *saved_hlen, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, id);
    CHECK(sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1, "update entry");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* 6: with the node stopped, cuts its log back to keep entries, then
 * appends appointments signed by the node key up to new_size and signs a
 * checkpoint there: a history that contradicts what the hub cosigned. */
static void rewrite(unit *u, uint64_t keep, uint64_t new_size)
{
    char path[700];
    snprintf(path, sizeof path, "%s/node.db", u->n.dir);
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    CHECK(gs_store_open(&s, path, &err) == 0, "%s", err.msg);
    CHECK(gs_log_open(&l, s, u->n.origin, false, &err) == 0, "%s", err.msg);
    CHECK(gs_log_truncate(l, keep, &err) == 0, "truncate: %s", err.msg);
    /* Entries 0..2 hold the node key's seqs 1 and 2; keep >= 3. */
    uint64_t seq = 3;
    for (uint64_t i = keep; i < new_size; i++) {
        gs_keypair p;
        gs_keypair_generate(&p);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = p.pub;
        st.u.appointment.name = "Tran Thi B";
        st.u.appointment.role = GS_ROLE_INSPECTOR;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        gs_buf e = it_sign(&st, &u->n.key, u->n.origin, seq++);
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
    u->size = new_size;
}

static bool is_pow2(uint64_t x)
{
    return (x & (x - 1)) == 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: it_hub_basic BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    zctx = zmq_ctx_new();
    unit a, b;
    make_unit(&a, "an-binh");
    make_unit(&b, "tan-hoa");
    progress(&a, 4); /* a: 7 entries */
    progress(&b, 3); /* b: 6 entries */
    it_node_wait_checkpoint(&a.n, zctx, a.size);
    it_node_wait_checkpoint(&b.n, zctx, b.size);

    /* 1. A hub that polls once at start and then only every ten minutes,
     *    so step 3's AddCheckpoint is not overtaken by a poll. */
    it_hub h;
    it_hub_init(&h, bin, "prov", false, "[hub]\npoll_interval_ms = 600000\n");
    const char *src_a[] = {a.n.ipc}, *src_b[] = {b.n.ipc};
    it_hub_follow(&h, bin, a.n.origin, a.log_key, src_a, 1);
    it_hub_follow(&h, bin, b.n.origin, b.log_key, src_b, 1);
    void *sub = it_sub_open(zctx, h.pub, NULL, "");
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    char *note = it_hub_wait_cosigned(zctx, h.ipc, a.n.origin, a.size, WAIT_MS, h.log);
    check_cosigned(note, &a, &h, a.size);
    char *note_b = it_hub_wait_cosigned(zctx, h.ipc, b.n.origin, b.size, WAIT_MS, h.log);
    check_cosigned(note_b, &b, &h, b.size);
    free(note_b);
    printf("ok 1 - the hub polled both nodes and cosigned %s at %llu and %s at %llu\n", a.n.origin,
           (unsigned long long)a.size, b.n.origin, (unsigned long long)b.size);

    /* 2. */
    check_replica(&a, &h, note);
    free(note);
    printf("ok 2 - the hub serves the replica's entries and proofs\n");

    /* 3. The subscriber was opened before the hub bound its PUB socket: it
     *    is known to be subscribed once it hears the hub's own checkpoint,
     *    which the hub publishes again every second. An event published
     *    before that could be lost, and this step would wait in vain. */
    gs_buf ev = {0};
    char topic[256];
    snprintf(topic, sizeof topic, "checkpoint/%s", h.origin);
    CHECK(it_sub_wait(sub, topic, &ev, WAIT_MS) == 1,
          "the subscriber never heard the hub's own checkpoint on %s; see %s", h.pub, h.log);
    gs_buf_free(&ev);
    uint64_t before = a.size;
    check_add_checkpoint(&a, &h, before);
    snprintf(topic, sizeof topic, "checkpoint/%s", a.n.origin);
    /* The subscriber also holds step 1's event for the earlier size: wait
     * for the one of this size. */
    CHECK(it_sub_wait_checkpoint(sub, topic, a.size, &ev, WAIT_MS) == 1,
          "no %s event for size %llu within %d ms; see %s", topic, (unsigned long long)a.size,
          WAIT_MS, h.log);
    check_cosigned((char *)ev.p, &a, &h, a.size);
    gs_buf_free(&ev);
    printf("ok 3 - AddCheckpoint %llu -> %llu cosigned; CONFLICT, UNAUTHENTICATED, NOT_FOUND as "
           "tlog-witness says; %s published\n",
           (unsigned long long)before, (unsigned long long)a.size, topic);

    /* 4. Restarted with a 200 ms poll: it follows by polling. */
    it_hub_stop(&h, SIGTERM);
    FILE *f = fopen(h.conf, "a");
    fputs("[hub]\npoll_interval_ms = 200\n", f);
    fclose(f);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    progress(&a, 3); /* 14 */
    if (is_pow2(a.size))
        progress(&a, 1);
    it_node_wait_checkpoint(&a.n, zctx, a.size);
    note = it_hub_wait_cosigned(zctx, h.ipc, a.n.origin, a.size, WAIT_MS, h.log);
    check_cosigned(note, &a, &h, a.size);
    free(note);
    uint64_t cosigned_a = a.size;
    printf("ok 4 - after a restart the hub follows %s by polling, up to %llu\n", a.n.origin,
           (unsigned long long)cosigned_a);

    /* 5. With the hub stopped, the node takes more statements; then one of
     *    them is altered in its database while it runs, and the hub
     *    started. */
    it_hub_stop(&h, SIGTERM);
    progress(&a, 5);
    it_node_wait_checkpoint(&a.n, zctx, a.size);
    uint8_t saved[4096], saved_h[41 * 32];
    int saved_len = 0, saved_hlen = 0;
    alter_entry(&a, cosigned_a + 2, saved, &saved_len, saved_h, &saved_hlen, false);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    for (int64_t end = it_now_ms() + WAIT_MS; it_now_ms() < end;) {
        gs_buf *items = NULL;
        size_t n = 0;
        it_get_evidence(zctx, h.ipc, a.n.origin, &items, &n);
        for (size_t k = 0; k < n; k++)
            gs_buf_free(&items[k]);
        free(items);
        if (n > 0)
            break;
        it_sleep_ms(100);
    }
    check_evidence(&h, &a, 1, GS_EVIDENCE_BAD_ENTRIES);
    note = it_get_checkpoint(zctx, h.ipc, a.n.origin, NULL);
    CHECK(it_checkpoint_size(note) == cosigned_a,
          "the hub cosigned %llu after entries that do not hash to the root",
          (unsigned long long)it_checkpoint_size(note));
    free(note);
    printf("ok 5 - an altered entry served by the node: evidence (c), no cosignature\n");

    /* 6. With the hub running (and the subscriber connected to it): node b
     *    cut to 3 entries and regrown past its cosigned size with other
     *    entries; node a (repaired) cut to 5 and regrown to 10, below its
     *    cosigned size. */
    /* A fresh subscriber on the running hub: a SUB reconnecting to a
     * restarted PUB may miss events until its subscription gets there. It
     * is known to be there once it receives an event published after it
     * was opened: b's next cosigned checkpoint. */
    zmq_close(sub);
    sub = it_sub_open(zctx, h.pub, NULL, "");
    snprintf(topic, sizeof topic, "checkpoint/%s", b.n.origin);
    uint64_t cosigned_b = 0;
    for (int64_t end = it_now_ms() + WAIT_MS; cosigned_b == 0 && it_now_ms() < end;) {
        progress(&b, 1);
        it_node_wait_checkpoint(&b.n, zctx, b.size);
        if (it_sub_wait_checkpoint(sub, topic, b.size, &ev, 2000) == 1)
            cosigned_b = b.size;
        else /* published before the subscription arrived: try again */
            free(it_hub_wait_cosigned(zctx, h.ipc, b.n.origin, b.size, WAIT_MS, h.log));
    }
    CHECK(cosigned_b > 0, "the subscriber never received an event of %s; see %s", h.pub, h.log);
    gs_buf_free(&ev);
    it_node_stop(&b.n, SIGTERM);
    rewrite(&b, 3, cosigned_b + 3);
    it_node_start(&b.n, bin);
    it_node_wait_ready(&b.n, zctx);
    snprintf(topic, sizeof topic, "alert/%s", b.n.origin);
    CHECK(it_sub_wait(sub, topic, &ev, WAIT_MS) == 1, "no %s event after the rewrite; see %s",
          topic, h.log);
    gs_statement st = {0};
    CHECK(gs_wire_open_entry(gs_bytes_of(ev.p, ev.n), &st, &err) == 0 &&
              st.kind == GS_BODY_EVIDENCE && st.u.evidence.kind == GS_EVIDENCE_SPLIT_VIEW,
          "the alert does not carry evidence (a)");
    gs_statement_clear(&st);
    gs_buf_free(&ev);
    check_evidence(&h, &b, 1, GS_EVIDENCE_SPLIT_VIEW);
    /* Frozen: nothing further is cosigned, and pushing says why. */
    note = it_get_checkpoint(zctx, b.n.ipc, "", NULL);
    gs_response rs = add_checkpoint(&h, cosigned_b, note, NULL, 0);
    CHECK(rs.code == GS_STATUS_PERMISSION_DENIED && strstr(rs.message, "evidence") != NULL,
          "AddCheckpoint to a frozen origin: %s %s", gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    free(note);
    note = it_get_checkpoint(zctx, h.ipc, b.n.origin, NULL);
    CHECK(it_checkpoint_size(note) == cosigned_b, "the hub cosigned past the rewrite");
    free(note);

    it_node_stop(&a.n, SIGTERM);
    alter_entry(&a, cosigned_a + 2, saved, &saved_len, saved_h, &saved_hlen, true);
    rewrite(&a, 5, 10);
    it_node_start(&a.n, bin);
    it_node_wait_ready(&a.n, zctx);
    snprintf(topic, sizeof topic, "alert/%s", a.n.origin);
    CHECK(it_sub_wait(sub, topic, &ev, WAIT_MS) == 1, "no %s event after the rollback; see %s",
          topic, h.log);
    gs_buf_free(&ev);
    check_evidence(&h, &a, 2, GS_EVIDENCE_ROLLBACK);
    /* Still served after a restart: what the hub held, and the freeze. */
    it_hub_stop(&h, SIGTERM);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    note = it_get_checkpoint(zctx, a.n.ipc, "", NULL);
    rs = add_checkpoint(&h, cosigned_a, note, NULL, 0);
    CHECK(rs.code == GS_STATUS_PERMISSION_DENIED, "frozen after a restart: %s %s",
          gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    free(note);
    note = it_get_checkpoint(zctx, h.ipc, a.n.origin, NULL);
    CHECK(it_checkpoint_size(note) == cosigned_a, "the hub no longer serves %s at %llu", a.n.origin,
          (unsigned long long)cosigned_a);
    free(note);
    printf("ok 6 - a rewritten log gives (a), a rolled-back log gives (b), alerts are published "
           "and both origins stay frozen across a restart\n");

    /* 7. Up a tier: a central hub follows the province hub's own log (its
     *    Observations and Evidence, judged by the hub rule book) and
     *    witnesses it: the province hub pushes its checkpoints there
     *    (common/witness.h) and serves them with the central cosignature. */
    it_hub central;
    it_hub_init(&central, bin, "central", false, "[hub]\npoll_interval_ms = 200\n");
    const char *src_h[] = {h.ipc};
    it_hub_follow(&central, bin, h.origin, h.log_key, src_h, 1);
    it_hub_start(&central, bin);
    it_hub_wait_ready(&central, zctx);
    it_hub_stop(&h, SIGTERM);
    f = fopen(h.conf, "a");
    fprintf(f, "[witness]\nwitness = %s,%s\n", central.ipc, central.log_key);
    fclose(f);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    char *own = it_get_checkpoint(zctx, h.ipc, "", NULL);
    uint64_t own_size = it_checkpoint_size(own);
    free(own);
    note = it_hub_wait_cosigned(zctx, central.ipc, h.origin, own_size, WAIT_MS, central.log);
    free(note);
    gs_vkey hub_vk, central_cosigner;
    CHECK(gs_vkey_parse(h.log_key, &hub_vk, &err) == 0 &&
              gs_vkey_parse(central.cosigner_key, &central_cosigner, &err) == 0,
          "%s", err.msg);
    bool witnessed = false;
    for (int64_t end = it_now_ms() + WAIT_MS; !witnessed && it_now_ms() < end;) {
        own = it_get_checkpoint(zctx, h.ipc, "", NULL);
        gs_note *n = NULL;
        int64_t ts = 0;
        if (own != NULL && gs_note_parse(own, strlen(own), &n, &err) == 0 &&
            gs_note_verify(n, &hub_vk, 1, NULL, NULL, &err) == 0 &&
            gs_cosignature_verify(n, &central_cosigner, &ts, &err) == 0)
            witnessed = true;
        gs_note_free(&n);
        free(own);
        if (!witnessed)
            it_sleep_ms(100);
    }
    CHECK(witnessed,
          "the province hub's checkpoint never carried the central cosignature; see %s "
          "and %s",
          h.log, central.log);
    printf("ok 7 - a central hub follows and witnesses the province hub's own log\n");
    it_hub_stop(&central, SIGTERM);
    gs_keypair_wipe(&central.key);

    zmq_close(sub);
    it_hub_stop(&h, SIGTERM);
    it_node_stop(&a.n, SIGTERM);
    it_node_stop(&b.n, SIGTERM);
    gs_keypair_wipe(&a.officer);
    gs_keypair_wipe(&b.officer);
    gs_keypair_wipe(&a.n.key);
    gs_keypair_wipe(&b.n.key);
    gs_keypair_wipe(&h.key);
    zmq_ctx_term(zctx);
    return 0;
}
