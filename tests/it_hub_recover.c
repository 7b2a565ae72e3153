/* it_hub_recover.c — a hub that is restarted, restored or interrupted
 * neither forgets what it cosigned nor what it proved (issue 9, parts 2–3).
 *
 * Sources here are either real giamsat-nodes or a fake source run by this
 * test (a thread answering GetCheckpoint, GetEntries and proofs from a copy
 * of a node's database, with the common/serve read path): it can stop
 * serving entries from a given index, alter one entry, or serve a fork.
 *
 * 1. Interrupted sync: the source stops serving entries at 17 of 40 and the
 *    hub is stopped. Its replica keeps the 17 verified entries (read from
 *    its database, stopped); restarted, it proves them with a consistency
 *    proof and asks the source for nothing below 17; it cosigns 40.
 * 2. A bad source stays bad: a source serving an altered entry gives
 *    evidence (c); restarted with only that source and the node down, the
 *    hub asks it for no entry at all, and once the node is back it cosigns
 *    the new size; the evidence count stays 1.
 * 3. Restored from an old backup: the hub cosigned 6, was backed up,
 *    cosigned 11; its database is restored to the backup (marker kept) and
 *    a hostile source serves a log-signed fork at 11 while the node is
 *    down. The hub refuses it (AddCheckpoint: UNAVAILABLE while recovering,
 *    then CONFLICT at size 11, no evidence), and once the node is back and
 *    has grown, cosigns the honest log's new size; its replica holds the
 *    honest tree at 11, its own log holds no Observation of the fork, and
 *    no evidence was recorded against the honest node.
 * (In 3 and 4 the marker of the hub's own log goes back too: a hub whose
 * own log is behind what it signed, with no witness to refill it, stays
 * read-only by design; it_hub_restore.sh shows that refill.)
 * 4. The whole folder restored (database and marker at 6) while the node,
 *    whose witness the hub is, serves its note at 11 with the hub's line:
 *    the hub learns from its own verified line that it cosigned 11, and the
 *    fork at 11 served meanwhile is proven a split view of the log (two
 *    notes the log signed) instead of being cosigned.
 * 5. One record per fault: the same bad source named twice is caught twice,
 *    and the second time the hub finds the evidence already recorded.
 *
 * usage: it_hub_recover BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "evidence.h"
#include "it_util.h"
#include "log.h"
#include "merkle.h"
#include "net.h"
#include "note.h"
#include "serve.h"
#include "store.h"

#define WAIT_MS IT_WAIT_MS

static const char *bin;
static void *zctx;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

/* ------------------------------------------------------------ units */

typedef struct {
    it_node n;
    char log_key[GS_VKEY_STR_MAX];
    gs_vkey vkey;
    gs_keypair officer;
    uint64_t node_seq, officer_seq, size;
} unit;

static void submit(unit *u, gs_statement *st, const gs_keypair *kp, uint64_t *seq)
{
    gs_net_client *c = NULL;
    gs_error err;
    CHECK(gs_net_client_open(&c, zctx, u->n.ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) == 0,
          "%s", err.msg);
    gs_buf e = it_sign(st, kp, u->n.origin, (*seq)++);
    char msg[600];
    int code = it_submit(c, gs_bytes_of(e.p, e.n), &u->n.key.pub, NULL, msg, sizeof msg);
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

static void make_unit_conf(unit *u, const char *name, const char *extra_conf)
{
    memset(u, 0, sizeof *u);
    it_node_init(&u->n, bin, name, false, extra_conf);
    it_vkey(u->log_key, u->n.origin, GS_VKEY_ALG_ED25519, &u->n.key.pub);
    gs_error err;
    CHECK(gs_vkey_parse(u->log_key, &u->vkey, &err) == 0, "%s", err.msg);
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

static void make_unit(unit *u, const char *name)
{
    make_unit_conf(u, name, NULL);
}

/* ------------------------------------------------------------ files */

static void copy_file(const char *from, const char *to)
{
    char *argv[] = {"cp", "-f", it_arg(from), it_arg(to), NULL};
    CHECK(it_run(argv, NULL, 0) == 0, "cp %s %s", from, to);
}

static void remove_file(const char *path)
{
    if (unlink(path) != 0 && access(path, F_OK) == 0)
        it_die("cannot remove %s", path);
}

/* A copy of a stopped daemon's SQLite file, with its -wal when one is left. */
static void copy_db(const char *from, const char *to)
{
    char a[800], b[800];
    copy_file(from, to);
    snprintf(a, sizeof a, "%s-wal", from);
    snprintf(b, sizeof b, "%s-wal", to);
    remove_file(b);
    if (access(a, F_OK) == 0)
        copy_file(a, b);
    snprintf(b, sizeof b, "%s-shm", to);
    remove_file(b);
}

/* Where a daemon's log ends now: what it says after a restart is read from
 * there (the log is appended to across restarts). */
static long log_mark(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    fseek(f, 0, SEEK_END);
    long at = ftell(f);
    fclose(f);
    return at;
}

static bool log_has_since(const char *path, long from, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    fseek(f, from, SEEK_SET);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static void wait_log(const char *path, long from, const char *needle)
{
    for (int64_t end = it_now_ms() + WAIT_MS; it_now_ms() < end; it_sleep_ms(50))
        if (log_has_since(path, from, needle))
            return;
    it_die("no \"%s\" in %s within %d ms", needle, path, WAIT_MS);
}

/* The committed size of origin's log in a stopped daemon's database. */
static uint64_t stored_size(const char *db, const char *origin)
{
    gs_store *s = NULL;
    gs_store_log_state ls;
    gs_error err;
    CHECK(gs_store_open(&s, db, &err) == 0, "%s", err.msg);
    CHECK(gs_store_log_find(s, origin, false, &ls, &err) == 0, "%s", err.msg);
    gs_store_close(&s);
    return ls.size;
}

/* ------------------------------------------------------------ a fake source */

typedef struct {
    char ep[600];
    char db[700];
    pthread_t thread;
    pthread_mutex_t mu;
    gs_keypair key;
    volatile int stop;
    /* Under mu: */
    bool serving;           /* false: GetCheckpoint NOT_FOUND, like a hub that has nothing */
    uint64_t entries_limit; /* GetEntries from here on answered UNAVAILABLE */
    int64_t alter;          /* the entry served with one byte flipped, -1 none */
    uint64_t n_entries_requests, min_start, n_refused;
} fake_source;

static void fake_answer(fake_source *fs, gs_net_server *srv, const gs_net_request *nrq)
{
    gs_request rq = {0};
    gs_status_code status;
    char msg[600];
    gs_response rs = {.code = GS_STATUS_OK, .message = ""};
    if (!gs_serve_decode(nrq->payload, GS_MAX_MESSAGE, &rq, &status, msg, sizeof msg)) {
        rs.code = status;
        rs.message = msg;
        gs_error err;
        (void)gs_net_server_respond(srv, nrq->socket, nrq->identity, nrq->identity_len, &rs, &err);
        return;
    }
    rs.id = rq.id;
    pthread_mutex_lock(&fs->mu);
    bool serving = fs->serving;
    uint64_t limit = fs->entries_limit;
    int64_t alter = fs->alter;
    if (rq.op == GS_OP_GET_ENTRIES) {
        fs->n_entries_requests++;
        if (rq.u.get_entries.start < fs->min_start)
            fs->min_start = rq.u.get_entries.start;
        if (rq.u.get_entries.start >= limit)
            fs->n_refused++;
    }
    pthread_mutex_unlock(&fs->mu);
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    gs_serve_reply reply;
    bool have_reply = false;
    if (!serving || !gs_serve_is_read(rq.op)) {
        rs.code = rq.op == GS_OP_GET_CHECKPOINT ? GS_STATUS_NOT_FOUND : GS_STATUS_UNAVAILABLE;
        rs.message = "this source holds nothing now";
    } else if (rq.op == GS_OP_GET_ENTRIES && rq.u.get_entries.start >= limit) {
        rs.code = GS_STATUS_UNAVAILABLE;
        rs.message = "this source stopped serving entries";
    } else if (gs_store_open(&s, fs->db, &err) != 0 ||
               gs_log_open(&l, s, rq.origin != NULL ? rq.origin : "", false, &err) != 0) {
        rs.code = GS_STATUS_UNAVAILABLE;
        rs.message = "the fake source cannot open its store";
    } else {
        uint64_t size = gs_log_committed_size(l);
        gs_serve_log src = {.log = l,
                            .limit = rq.op == GS_OP_GET_ENTRIES && limit < size ? limit : size,
                            .default_size = size,
                            .budget = GS_MAX_MESSAGE / 2,
                            .server = "fake source"};
        (void)gs_serve_read(&src, &rq, &reply, &err);
        have_reply = true;
        if (rq.op == GS_OP_GET_ENTRIES && reply.rs.code == GS_STATUS_OK && alter >= 0) {
            uint64_t start = reply.rs.u.entries.start;
            for (size_t i = 0; i < reply.rs.u.entries.n; i++)
                if (start + i == (uint64_t)alter) {
                    gs_buf *e = &reply.rs.u.entries.entries[i];
                    e->p[e->n - 3] ^= 0x01; /* a byte of the signature */
                }
        }
        reply.rs.id = rq.id;
    }
    (void)gs_net_server_respond(srv, nrq->socket, nrq->identity, nrq->identity_len,
                                have_reply ? &reply.rs : &rs, &err);
    if (have_reply)
        gs_serve_reply_clear(&reply);
    gs_log_close(&l);
    gs_store_close(&s);
    gs_request_clear(&rq);
}

static void *fake_main(void *arg)
{
    fake_source *fs = arg;
    gs_net_server *srv = NULL;
    gs_error err;
    const char *eps[] = {fs->ep};
    gs_net_server_config sc = {.endpoints = eps,
                               .n_endpoints = 1,
                               .key = &fs->key,
                               .max_message = GS_MAX_MESSAGE,
                               .public_read = true};
    if (gs_net_server_open(&srv, zctx, &sc, &err) != 0)
        it_die("fake source %s: %s", fs->ep, err.msg);
    zmq_pollitem_t items[GS_NET_MAX_ENDPOINTS + 1];
    while (!fs->stop) {
        size_t n = gs_net_server_pollitems(srv, items, GS_NET_MAX_ENDPOINTS + 1);
        zmq_poll(items, (int)n, 100);
        gs_net_request nrq;
        while (gs_net_server_recv(srv, &nrq, &err) > 0)
            fake_answer(fs, srv, &nrq);
    }
    gs_net_server_close(&srv);
    return NULL;
}

static void fake_start(fake_source *fs, const char *name, const char *db)
{
    memset(fs, 0, sizeof *fs);
    snprintf(fs->ep, sizeof fs->ep, "ipc://%s/%s.sock", it_tmpdir(), name);
    snprintf(fs->db, sizeof fs->db, "%s", db);
    pthread_mutex_init(&fs->mu, NULL);
    gs_keypair_generate(&fs->key);
    fs->entries_limit = UINT64_MAX;
    fs->alter = -1;
    fs->min_start = UINT64_MAX;
    pthread_create(&fs->thread, NULL, fake_main, fs);
}

static void fake_stop(fake_source *fs)
{
    fs->stop = 1;
    pthread_join(fs->thread, NULL);
    pthread_mutex_destroy(&fs->mu);
    gs_keypair_wipe(&fs->key);
}

static void fake_set(fake_source *fs, bool serving, uint64_t limit, int64_t alter)
{
    pthread_mutex_lock(&fs->mu);
    fs->serving = serving;
    fs->entries_limit = limit;
    fs->alter = alter;
    fs->n_entries_requests = fs->n_refused = 0;
    fs->min_start = UINT64_MAX;
    pthread_mutex_unlock(&fs->mu);
}

static void fake_counts(fake_source *fs, uint64_t *requests, uint64_t *min_start, uint64_t *refused)
{
    pthread_mutex_lock(&fs->mu);
    *requests = fs->n_entries_requests;
    *min_start = fs->min_start;
    *refused = fs->n_refused;
    pthread_mutex_unlock(&fs->mu);
}

/* ------------------------------------------------------------ hub calls */

static gs_response call(const char *ep, gs_request *rq)
{
    gs_net_client *c = NULL;
    gs_error err;
    CHECK(gs_net_client_open(&c, zctx, ep, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) == 0, "%s",
          err.msg);
    gs_response rs = {0};
    rq->version = 1;
    CHECK(gs_net_client_call(c, rq, &rs, &err) == 0, "call %s: %s", ep, err.msg);
    gs_net_client_close(&c);
    return rs;
}

static size_t evidence_count(const it_hub *h, const char *origin)
{
    gs_buf *items = NULL;
    size_t n = 0;
    CHECK(it_get_evidence(zctx, h->ipc, origin, &items, &n) == GS_STATUS_OK, "GetEvidence");
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&items[i]);
    free(items);
    return n;
}

/* The root of a checkpoint note (log signature checked). */
static gs_hash note_root(const char *note, const gs_vkey *key, uint64_t *size)
{
    gs_note *n = NULL;
    gs_checkpoint cp;
    gs_error err;
    size_t tl;
    CHECK(note != NULL && gs_note_parse(note, strlen(note), &n, &err) == 0, "note: %s", err.msg);
    CHECK(gs_note_verify(n, key, 1, NULL, NULL, &err) == 0, "log signature: %s", err.msg);
    const char *text = gs_note_text(n, &tl);
    CHECK(gs_checkpoint_parse(text, tl, &cp, &err) == 0, "%s", err.msg);
    gs_hash r = cp.root;
    if (size != NULL)
        *size = cp.size;
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return r;
}

static void check_cosigned_by(const char *note, const it_hub *h)
{
    gs_note *n = NULL;
    gs_error err;
    gs_vkey cosigner;
    int64_t ts;
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "%s", err.msg);
    CHECK(gs_vkey_parse(h->cosigner_key, &cosigner, &err) == 0, "%s", err.msg);
    CHECK(gs_cosignature_verify(n, &cosigner, &ts, &err) == 0, "hub cosignature: %s", err.msg);
    gs_note_free(&n);
}

static void start_hub(it_hub *h)
{
    it_hub_start(h, bin);
    it_hub_wait_ready(h, zctx);
}

/* ------------------------------------------------------------ 1 */

static void interrupted_sync(void)
{
    unit a;
    make_unit(&a, "an-binh");
    progress(&a, 37); /* 40 */
    it_node_wait_checkpoint(&a.n, zctx, a.size);
    char node_db[700], src_db[700];
    snprintf(node_db, sizeof node_db, "%s/node.db", a.n.dir);
    snprintf(src_db, sizeof src_db, "%s/source1.db", it_tmpdir());
    it_node_stop(&a.n, SIGTERM);
    copy_db(node_db, src_db);
    fake_source fs;
    fake_start(&fs, "source1", src_db);
    fake_set(&fs, true, 17, -1);

    it_hub h;
    it_hub_init(&h, bin, "hub1", false, "[hub]\npoll_interval_ms = 200\nbatch_size = 5\n");
    const char *src[] = {fs.ep};
    it_hub_follow(&h, bin, a.n.origin, a.log_key, src, 1);
    start_hub(&h);
    uint64_t requests = 0, min_start = 0, refused = 0;
    for (int64_t end = it_now_ms() + WAIT_MS; refused == 0 && it_now_ms() < end; it_sleep_ms(50))
        fake_counts(&fs, &requests, &min_start, &refused);
    CHECK(refused > 0, "the hub never asked beyond entry 17; see %s", h.log);
    it_hub_stop(&h, SIGTERM);
    char hub_db[700];
    snprintf(hub_db, sizeof hub_db, "%s/hub.db", h.dir);
    uint64_t kept = stored_size(hub_db, a.n.origin);
    CHECK(kept == 17, "the stopped hub's replica holds %llu entries, not the 17 it verified",
          (unsigned long long)kept);
    printf("ok 1a - the source stopped at 17 of %llu: the stopped hub kept the 17 entries it "
           "verified\n",
           (unsigned long long)a.size);

    fake_set(&fs, true, UINT64_MAX, -1);
    long mark = log_mark(h.log);
    start_hub(&h);
    char *note = it_hub_wait_cosigned(zctx, h.ipc, a.n.origin, a.size, WAIT_MS, h.log);
    check_cosigned_by(note, &h);
    uint64_t size;
    note_root(note, &a.vkey, &size);
    CHECK(size == a.size, "cosigned %llu", (unsigned long long)size);
    free(note);
    fake_counts(&fs, &requests, &min_start, &refused);
    CHECK(requests > 0 && min_start >= 17,
          "after the restart the hub fetched entries from %llu again (kept 17)",
          (unsigned long long)min_start);
    CHECK(log_has_since(h.log, mark, "resuming at 17"), "no resume at 17 in %s", h.log);
    printf("ok 1b - restarted, the hub proved the kept entries, fetched from %llu on and cosigned "
           "%llu\n",
           (unsigned long long)min_start, (unsigned long long)a.size);
    it_hub_stop(&h, SIGTERM);
    fake_stop(&fs);
    gs_keypair_wipe(&h.key);
    gs_keypair_wipe(&a.officer);
    gs_keypair_wipe(&a.n.key);
}

/* ------------------------------------------------------------ 2 */

static void bad_source_stays_bad(void)
{
    unit a;
    make_unit(&a, "tan-hoa");
    progress(&a, 5); /* 8 */
    it_node_wait_checkpoint(&a.n, zctx, a.size);
    char node_db[700], src_db[700];
    snprintf(node_db, sizeof node_db, "%s/node.db", a.n.dir);
    snprintf(src_db, sizeof src_db, "%s/source2.db", it_tmpdir());
    it_node_stop(&a.n, SIGTERM);
    copy_db(node_db, src_db);
    fake_source fs;
    fake_start(&fs, "source2", src_db);
    fake_set(&fs, true, UINT64_MAX, 3);

    /* The node is down: the hub can only sync from the bad source first. */
    it_hub h;
    it_hub_init(&h, bin, "hub2", false, "[hub]\npoll_interval_ms = 200\n");
    const char *src[] = {fs.ep, a.n.ipc};
    it_hub_follow(&h, bin, a.n.origin, a.log_key, src, 2);
    start_hub(&h);
    for (int64_t end = it_now_ms() + WAIT_MS;
         evidence_count(&h, a.n.origin) == 0 && it_now_ms() < end;)
        it_sleep_ms(100);
    CHECK(evidence_count(&h, a.n.origin) == 1, "no evidence (c) about the bad source; see %s",
          h.log);
    it_node_start(&a.n, bin);
    it_node_wait_ready(&a.n, zctx);
    free(it_hub_wait_cosigned(zctx, h.ipc, a.n.origin, a.size, WAIT_MS, h.log));
    printf("ok 2a - a source serving an altered entry: evidence (c); the node's log cosigned\n");

    /* The log grows; the bad source serves the new size with a bad entry in
     * it; the hub restarts while the node is down. */
    it_hub_stop(&h, SIGTERM);
    progress(&a, 4); /* 12 */
    it_node_wait_checkpoint(&a.n, zctx, a.size);
    it_node_stop(&a.n, SIGTERM);
    fake_set(&fs, false, UINT64_MAX, -1);
    copy_db(node_db, src_db);
    fake_set(&fs, true, UINT64_MAX, (int64_t)a.size - 2);
    long mark = log_mark(h.log);
    start_hub(&h);
    /* The hub has heard the new size from the bad source and picked the
     * node (down) to fetch it from. */
    char want[900];
    snprintf(want, sizeof want, "sync %s from 8 to 12 from %s", a.n.origin, a.n.ipc);
    wait_log(h.log, mark, want);
    uint64_t requests, min_start, refused;
    fake_counts(&fs, &requests, &min_start, &refused);
    CHECK(requests == 0, "the restarted hub asked the bad source for entries %llu times",
          (unsigned long long)requests);
    it_node_start(&a.n, bin);
    it_node_wait_ready(&a.n, zctx);
    free(it_hub_wait_cosigned(zctx, h.ipc, a.n.origin, a.size, WAIT_MS, h.log));
    fake_counts(&fs, &requests, &min_start, &refused);
    CHECK(requests == 0, "the hub asked the bad source for entries after its restart");
    CHECK(log_has_since(h.log, mark, "is not synced from"), "no word of the bad source in %s",
          h.log);
    CHECK(evidence_count(&h, a.n.origin) == 1, "the evidence count grew to %zu",
          evidence_count(&h, a.n.origin));
    printf("ok 2b - restarted, the bad source stays bad (no entry asked of it), the node's new "
           "size is cosigned, one evidence\n");
    it_hub_stop(&h, SIGTERM);
    it_node_stop(&a.n, SIGTERM);
    fake_stop(&fs);
    gs_keypair_wipe(&h.key);
    gs_keypair_wipe(&a.officer);
    gs_keypair_wipe(&a.n.key);
}

/* ------------------------------------------------------------ 3 */

/* Grows the log in db (a copy of the node's, node stopped) from its size to
 * size with other statements signed by the log key, and signs a checkpoint:
 * a fork. Returns the note. */
static char *fork_log(unit *u, const char *db, uint64_t size)
{
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    CHECK(gs_store_open(&s, db, &err) == 0, "%s", err.msg);
    CHECK(gs_log_open(&l, s, u->n.origin, false, &err) == 0, "%s", err.msg);
    uint64_t seq = u->node_seq + 100;
    for (uint64_t i = gs_log_committed_size(l); i < size; i++) {
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
    gs_log_close(&l);
    gs_store_close(&s);
    return note;
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

static void restored_from_backup(void)
{
    unit b;
    make_unit(&b, "phu-loc");
    progress(&b, 3); /* 6 */
    it_node_wait_checkpoint(&b.n, zctx, b.size);
    char fork_db[700], node_db[700];
    snprintf(node_db, sizeof node_db, "%s/node.db", b.n.dir);
    snprintf(fork_db, sizeof fork_db, "%s/fork.db", it_tmpdir());
    fake_source x;
    fake_start(&x, "hostile", fork_db);

    it_hub h;
    it_hub_init(&h, bin, "hub3", false, "[hub]\npoll_interval_ms = 200\n");
    const char *src[] = {b.n.ipc, x.ep};
    it_hub_follow(&h, bin, b.n.origin, b.log_key, src, 2);
    start_hub(&h);
    free(it_hub_wait_cosigned(zctx, h.ipc, b.n.origin, 6, WAIT_MS, h.log));

    /* The backup: the hub's database at 6 (hub stopped). The node's state
     * at 6, for the fork. */
    char hub_db[700], backup[700], path[800], own_marker[700], own_backup[700];
    snprintf(hub_db, sizeof hub_db, "%s/hub.db", h.dir);
    snprintf(backup, sizeof backup, "%s/hub3-backup.db", it_tmpdir());
    /* The marker of what the hub's key signed of its OWN log goes back
     * with the database: this hub has no witness for its own log, and a hub
     * whose own log is behind what it signed stays read-only until its
     * witnesses refill it (it_hub_restore.sh). Here the point is what it
     * cosigned of the logs it follows: the marker folder of those stays. */
    snprintf(own_marker, sizeof own_marker, "%s/hub.signed-checkpoint", h.dir);
    snprintf(own_backup, sizeof own_backup, "%s/hub3-backup.signed-checkpoint", it_tmpdir());
    it_hub_stop(&h, SIGTERM);
    copy_db(hub_db, backup);
    copy_file(own_marker, own_backup);
    it_node_stop(&b.n, SIGTERM);
    copy_db(node_db, fork_db);
    it_node_start(&b.n, bin);
    it_node_wait_ready(&b.n, zctx);
    start_hub(&h);
    progress(&b, 5); /* 11 */
    it_node_wait_checkpoint(&b.n, zctx, b.size);
    char *honest = it_hub_wait_cosigned(zctx, h.ipc, b.n.origin, 11, WAIT_MS, h.log);
    uint64_t size;
    gs_hash root11 = note_root(honest, &b.vkey, &size);
    CHECK(size == 11, "the hub cosigned %llu, not 11", (unsigned long long)size);
    free(honest);

    /* The fork at 11, signed by the log key, served by the hostile source. */
    char *fork = fork_log(&b, fork_db, 11);
    gs_hash fork_root = note_root(fork, &b.vkey, NULL);
    CHECK(memcmp(fork_root.b, root11.b, 32) != 0, "the fork has the honest root");
    fake_set(&x, true, UINT64_MAX, -1);

    /* The hub's database goes back to the backup (the marker beside it
     * stays); the node is down. */
    it_hub_stop(&h, SIGTERM);
    it_node_stop(&b.n, SIGTERM);
    copy_db(backup, hub_db);
    copy_file(own_backup, own_marker);
    long mark = log_mark(h.log);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);

    /* The fork pushed as a client would: never cosigned. */
    gs_store *fs = NULL;
    gs_log *fl = NULL;
    gs_error err;
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t np = 0;
    CHECK(gs_store_open(&fs, fork_db, &err) == 0 &&
              gs_log_open(&fl, fs, b.n.origin, false, &err) == 0,
          "%s", err.msg);
    CHECK(gs_log_prove_consistency(fl, 6, 11, proof, &np, &err) == 0, "%s", err.msg);
    gs_log_close(&fl);
    gs_store_close(&fs);
    gs_response rs = add_checkpoint(&h, 6, fork, proof, np);
    CHECK(rs.code != GS_STATUS_OK, "the restored hub cosigned the fork pushed to it");
    CHECK(rs.code == GS_STATUS_UNAVAILABLE || rs.code == GS_STATUS_CONFLICT,
          "AddCheckpoint of the fork while recovering: %s %s", gs_status_name(rs.code), rs.message);
    printf("ok 3a - the restored hub answers the fork %s: %s\n", gs_status_name(rs.code),
           rs.message);
    gs_response_clear(&rs);
    wait_log(h.log, mark, "cosigned state recovered");
    snprintf(path, sizeof path, "refusing the checkpoint of size 11 from %s", x.ep);
    for (int64_t end = it_now_ms() + WAIT_MS; !log_has_since(h.log, mark, path);) {
        char *held = it_get_checkpoint(zctx, h.ipc, b.n.origin, NULL);
        uint64_t at = it_checkpoint_size(held);
        free(held);
        CHECK(at == 6, "the restored hub cosigned size %llu (the fork); see %s",
              (unsigned long long)at, h.log);
        CHECK(it_now_ms() < end, "no \"%s\" in %s", path, h.log);
        it_sleep_ms(50);
    }
    rs = add_checkpoint(&h, 6, fork, proof, np);
    CHECK(rs.code == GS_STATUS_CONFLICT && rs.result == GS_RESULT_CONFLICT &&
              rs.u.conflict_size == 11,
          "AddCheckpoint(6 -> fork 11) after recovery: %s %s (expected CONFLICT at 11)",
          gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    rs = add_checkpoint(&h, 11, fork, NULL, 0);
    CHECK(rs.code == GS_STATUS_CONFLICT, "AddCheckpoint(11 -> fork 11): %s %s",
          gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    char *held = it_get_checkpoint(zctx, h.ipc, b.n.origin, NULL);
    CHECK(it_checkpoint_size(held) == 6, "the restored hub serves size %llu",
          (unsigned long long)it_checkpoint_size(held));
    free(held);
    CHECK(evidence_count(&h, b.n.origin) == 0, "evidence recorded about %s", b.n.origin);
    printf("ok 3b - recovered from its marker: the fork at 11 is refused (CONFLICT at 11), no "
           "evidence\n");

    /* The hostile source goes; the node comes back and grows. */
    fake_set(&x, false, UINT64_MAX, -1);
    it_node_start(&b.n, bin);
    it_node_wait_ready(&b.n, zctx);
    progress(&b, 3); /* 14 */
    it_node_wait_checkpoint(&b.n, zctx, b.size);
    char *note = it_hub_wait_cosigned(zctx, h.ipc, b.n.origin, 14, WAIT_MS, h.log);
    check_cosigned_by(note, &h);
    gs_hash root14 = note_root(note, &b.vkey, &size);
    free(note);
    gs_request rq = {.op = GS_OP_GET_CONSISTENCY_PROOF, .origin = b.n.origin};
    rq.u.get_consistency_proof.old_size = 11;
    rq.u.get_consistency_proof.new_size = size;
    rs = call(h.ipc, &rq);
    CHECK(rs.code == GS_STATUS_OK &&
              gs_merkle_verify_consistency(11, size, &root11, &root14, rs.u.proof.hashes,
                                           rs.u.proof.n, &err) == 0,
          "the hub's tree at 11 is not the honest one it cosigned");
    gs_response_clear(&rs);
    CHECK(evidence_count(&h, b.n.origin) == 0, "evidence recorded against the honest node");
    /* No Observation of the fork in the hub's own log. */
    rq = (gs_request){.op = GS_OP_GET_ENTRIES, .origin = ""};
    rq.u.get_entries.start = 0;
    rq.u.get_entries.count = 1000;
    rs = call(h.ipc, &rq);
    CHECK(rs.code == GS_STATUS_OK, "own log: %s", rs.message);
    for (size_t i = 0; i < rs.u.entries.n; i++) {
        gs_statement st = {0};
        CHECK(gs_wire_open_entry(gs_bytes_of(rs.u.entries.entries[i].p, rs.u.entries.entries[i].n),
                                 &st, &err) == 0,
              "%s", err.msg);
        CHECK(!(st.kind == GS_BODY_OBSERVATION &&
                memcmp(st.u.observation.root.b, fork_root.b, 32) == 0),
              "the hub's own log observed the fork");
        gs_statement_clear(&st);
    }
    gs_response_clear(&rs);
    printf("ok 3c - the node back and grown: the hub cosigned %llu, consistent with the honest "
           "11; no Observation of the fork, no evidence\n",
           (unsigned long long)size);
    free(fork);
    it_hub_stop(&h, SIGTERM);
    it_node_stop(&b.n, SIGTERM);
    fake_stop(&x);
    gs_keypair_wipe(&h.key);
    gs_keypair_wipe(&b.officer);
    gs_keypair_wipe(&b.n.key);
}

/* ------------------------------------------------------------ 4 */

static void copy_tree(const char *from, const char *to)
{
    char *rm[] = {"rm", "-rf", it_arg(to), NULL};
    char *cp[] = {"cp", "-R", it_arg(from), it_arg(to), NULL};
    CHECK(it_run(rm, NULL, 0) == 0 && it_run(cp, NULL, 0) == 0, "cp -R %s %s", from, to);
}

/* Waits until the node serves a checkpoint of size carrying h's verified
 * cosignature (the node collects it as the hub's witness client). */
static void wait_node_cosigned(unit *u, const it_hub *h, uint64_t size)
{
    gs_vkey cosigner;
    gs_error err;
    CHECK(gs_vkey_parse(h->cosigner_key, &cosigner, &err) == 0, "%s", err.msg);
    for (int64_t end = it_now_ms() + WAIT_MS; it_now_ms() < end; it_sleep_ms(50)) {
        char *note = it_get_checkpoint(zctx, u->n.ipc, "", NULL);
        gs_note *n = NULL;
        int64_t ts;
        bool ok = note != NULL && it_checkpoint_size(note) == size &&
                  gs_note_parse(note, strlen(note), &n, &err) == 0 &&
                  gs_cosignature_verify(n, &cosigner, &ts, &err) == 0;
        gs_note_free(&n);
        free(note);
        if (ok)
            return;
    }
    it_die("node %s never served size %llu with %s's cosignature; see %s", u->n.origin,
           (unsigned long long)size, h->origin, u->n.log);
}

static void restored_whole_folder(void)
{
    it_hub h;
    it_hub_init(&h, bin, "hub4", false, "[hub]\npoll_interval_ms = 200\n");
    char extra[1200];
    snprintf(extra, sizeof extra, "[witness]\nwitness = %s,%s\n", h.ipc, h.cosigner_key);
    unit c;
    make_unit_conf(&c, "long-an", extra);
    progress(&c, 3); /* 6 */
    char fork_db[700], node_db[700], hub_db[700], marker[800], backup[700], path[900], own[800];
    snprintf(node_db, sizeof node_db, "%s/node.db", c.n.dir);
    snprintf(fork_db, sizeof fork_db, "%s/fork4.db", it_tmpdir());
    snprintf(hub_db, sizeof hub_db, "%s/hub.db", h.dir);
    snprintf(marker, sizeof marker, "%s/hub.db.cosigned", h.dir);
    snprintf(backup, sizeof backup, "%s/hub4-backup", it_tmpdir());
    fake_source x;
    fake_start(&x, "hostile4", fork_db);
    const char *src[] = {c.n.ipc, x.ep};
    it_hub_follow(&h, bin, c.n.origin, c.log_key, src, 2);
    start_hub(&h);
    wait_node_cosigned(&c, &h, 6);

    /* The whole folder's state at 6: database and marker. */
    it_hub_stop(&h, SIGTERM);
    CHECK(mkdir(backup, 0700) == 0, "mkdir %s", backup);
    snprintf(path, sizeof path, "%s/hub.db", backup);
    copy_db(hub_db, path);
    snprintf(path, sizeof path, "%s/hub.db.cosigned", backup);
    copy_tree(marker, path);
    snprintf(path, sizeof path, "%s/hub.signed-checkpoint", backup);
    snprintf(own, sizeof own, "%s/hub.signed-checkpoint", h.dir);
    copy_file(own, path);
    it_node_stop(&c.n, SIGTERM);
    copy_db(node_db, fork_db);
    it_node_start(&c.n, bin);
    it_node_wait_ready(&c.n, zctx);
    start_hub(&h);
    progress(&c, 5); /* 11 */
    wait_node_cosigned(&c, &h, 11);
    char *honest = it_get_checkpoint(zctx, c.n.ipc, "", NULL);
    uint64_t size;
    gs_hash root11 = note_root(honest, &c.vkey, &size);
    free(honest);
    char *fork = fork_log(&c, fork_db, 11);
    gs_hash fork_root = note_root(fork, &c.vkey, NULL);
    free(fork);
    fake_set(&x, true, UINT64_MAX, -1);

    /* Everything back to the backup; the node keeps serving its note at 11
     * with the hub's line on it. */
    it_hub_stop(&h, SIGTERM);
    snprintf(path, sizeof path, "%s/hub.db", backup);
    copy_db(path, hub_db);
    snprintf(path, sizeof path, "%s/hub.db.cosigned", backup);
    copy_tree(path, marker);
    snprintf(path, sizeof path, "%s/hub.signed-checkpoint", backup);
    copy_file(path, own);
    long mark = log_mark(h.log);
    start_hub(&h);
    snprintf(path, sizeof path, "cosigned size 11 (its own cosignature on a note from %s)",
             c.n.ipc);
    wait_log(h.log, mark, path);
    wait_log(h.log, mark, "cosigned state recovered");
    /* The fork is refused: as a split view proven by two notes the log
     * signed, the one recovered from the node and the fork. */
    for (int64_t end = it_now_ms() + WAIT_MS; evidence_count(&h, c.n.origin) == 0;) {
        CHECK(it_now_ms() < end, "no evidence of the fork; see %s", h.log);
        it_sleep_ms(100);
    }
    gs_buf *items = NULL;
    size_t n = 0;
    gs_error err;
    CHECK(it_get_evidence(zctx, h.ipc, c.n.origin, &items, &n) == GS_STATUS_OK && n == 1,
          "%zu evidence items", n);
    gs_statement st = {0};
    CHECK(gs_wire_open_entry(gs_bytes_of(items[0].p, items[0].n), &st, &err) == 0 &&
              st.kind == GS_BODY_EVIDENCE && st.u.evidence.kind == GS_EVIDENCE_SPLIT_VIEW,
          "not a split view");
    CHECK(gs_evidence_verify(&st.u.evidence, &c.vkey, &err) == 0,
          "the evidence does not verify: %s", err.msg);
    gs_statement_clear(&st);
    gs_buf_free(&items[0]);
    free(items);
    char *held = it_get_checkpoint(zctx, h.ipc, c.n.origin, NULL);
    gs_hash held_root = note_root(held, &c.vkey, &size);
    CHECK(size == 6 || (size == 11 && memcmp(held_root.b, root11.b, 32) == 0),
          "the restored hub serves size %llu%s", (unsigned long long)size,
          memcmp(held_root.b, fork_root.b, 32) == 0 ? " (the fork)" : "");
    free(held);
    printf("ok 4 - a whole folder restored: the hub recovered size 11 from its own line on the "
           "node's note and proved the fork a split view of the log instead of cosigning it\n");
    it_hub_stop(&h, SIGTERM);
    it_node_stop(&c.n, SIGTERM);
    fake_stop(&x);
    gs_keypair_wipe(&h.key);
    gs_keypair_wipe(&c.officer);
    gs_keypair_wipe(&c.n.key);
}

/* ------------------------------------------------------------ 5 */

static void one_record_per_fault(void)
{
    unit d;
    make_unit(&d, "ha-tinh");
    progress(&d, 4); /* 7 */
    it_node_wait_checkpoint(&d.n, zctx, d.size);
    char node_db[700], src_db[700];
    snprintf(node_db, sizeof node_db, "%s/node.db", d.n.dir);
    snprintf(src_db, sizeof src_db, "%s/source5.db", it_tmpdir());
    it_node_stop(&d.n, SIGTERM);
    copy_db(node_db, src_db);
    fake_source fs;
    fake_start(&fs, "source5", src_db);
    fake_set(&fs, true, UINT64_MAX, 4);
    /* The same bad source named twice: the second detection of the same
     * fault finds it recorded. */
    it_hub h;
    it_hub_init(&h, bin, "hub5", false, "[hub]\npoll_interval_ms = 200\n");
    const char *src[] = {fs.ep, fs.ep};
    it_hub_follow(&h, bin, d.n.origin, d.log_key, src, 2);
    start_hub(&h);
    wait_log(h.log, 0, "already recorded as evidence #");
    CHECK(evidence_count(&h, d.n.origin) == 1, "%zu evidence records of one fault",
          evidence_count(&h, d.n.origin));
    printf("ok 5 - the same fault detected twice is recorded once\n");
    it_hub_stop(&h, SIGTERM);
    fake_stop(&fs);
    gs_keypair_wipe(&h.key);
    gs_keypair_wipe(&d.officer);
    gs_keypair_wipe(&d.n.key);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: it_hub_recover BUILD_DIR\n");
        return 2;
    }
    bin = argv[1];
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        it_die("%s", err.msg);
    zctx = zmq_ctx_new();
    /* GS_IT_ONLY=N runs part N alone (when working on it). */
    const char *only = getenv("GS_IT_ONLY");
    if (only == NULL || strcmp(only, "1") == 0)
        interrupted_sync();
    if (only == NULL || strcmp(only, "2") == 0)
        bad_source_stays_bad();
    if (only == NULL || strcmp(only, "3") == 0)
        restored_from_backup();
    if (only == NULL || strcmp(only, "4") == 0)
        restored_whole_folder();
    if (only == NULL || strcmp(only, "5") == 0)
        one_record_per_fault();
    zmq_ctx_term(zctx);
    return 0;
}
