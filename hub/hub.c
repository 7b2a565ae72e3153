/* hub.c — giamsat-hub: follows logs, replicates and verifies them, cosigns
 * their checkpoints, keeps its own log of what it observed, and proves every
 * rewrite, fork and rollback it sees (DESIGN §2 principles 5–7, §5 flows 2–4).
 *
 * One zmq_poll loop (STYLE §7) over the ROUTER sockets that serve requests,
 * one DEALER per (followed log, source) (peer.h: non-blocking requests with
 * deadlines) and one DEALER per witness of the hub's own log. A turn:
 *   1. answers requests waiting on the ROUTER sockets; an AddCheckpoint that
 *      needs entries the hub does not hold yet starts (or joins) a sync and
 *      is answered when the sync ends;
 *   2. takes answers off the source sockets: checkpoints from polling,
 *      batches of entries for a sync, consistency proofs;
 *   3. expires requests past their deadline, sends due polls, checkpoints
 *      its own log and pushes it to its witnesses.
 *
 * A sync of origin O toward a log-signed checkpoint C (size n, root r) from
 * source S streams: GetEntries in batches (two in flight, so the source
 * reads the next batch while the hub verifies this one); each batch is
 * signature-checked on the worker pool, appended durably to the replica,
 * then judged in order by the rule book on a CLONE of O's rule state. Memory
 * stays flat whatever the log's size. At size n the replica's root is
 * compared with r: equal and every entry accepted → the clone becomes the
 * state and the hub cosigns (principle 5: cosigned means held and
 * verified). Otherwise the hub builds evidence (common/evidence.h), cuts
 * the replica back to the cosigned size and tries the next source. Entries
 * above the cosigned size are never served.
 *
 * Evidence of kinds (a), (b) and (d) is signed by the log key itself: the
 * origin is FROZEN (the hub keeps serving what it holds and cosigns nothing
 * further). Kind (c) proves that a SOURCE served entries that are not the
 * log — the source may be another hub, not the log's node — so it marks
 * that source as bad (for syncs, until restart) instead, and the hub keeps
 * following the log through its other sources.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "evidence.h"
#include "log.h"
#include "merkle.h"
#include "net.h"
#include "note.h"
#include "peer.h"
#include "pool.h"
#include "rules.h"
#include "store.h"
#include "wire.h"
#include "witness.h"

/* What a request to a source was for (gs_hub_peer tags). */
enum { TAG_POLL = 1, TAG_ENTRIES, TAG_PROOF };
/* A sync request's tag also carries the sync's generation, so answers to a
 * sync that was abandoned (a source that failed, a timed-out batch) are
 * recognised and dropped. */
#define TAG(kind, gen) ((int)(kind) + 4 * (int)((gen)&0xffffff))
#define TAG_KIND(tag) ((tag)&3)
#define TAG_GEN(tag) ((unsigned)(tag) >> 2)
/* Waiting AddCheckpoints per origin, at most. */
#define MAX_WAITERS 1024

/* GetEntries requests in flight per sync: the source reads batch k+1 while
 * the hub verifies batch k. */
#define SYNC_WINDOW 2
#define REQUEST_TIMEOUT_MS 20000
/* A deferred AddCheckpoint is answered before the witness client's own
 * timeout (30 s in common/witness.c). */
#define WAITER_TIMEOUT_MS 25000
#define MSG_MAX (GS_ERROR_MSG_MAX + 256)

typedef struct {
    gs_hub_source *cfg; /* borrowed from the configuration */
    gs_hub_peer *peer;
    int64_t last_ok_ms; /* last answer of any kind */
    bool alerted;       /* an availability alert went out for this outage */
    bool bad;           /* served entries that are not the log: not synced from */
} src_state;

/* A deferred AddCheckpoint. */
typedef struct {
    unsigned socket;
    uint8_t identity[GS_NET_IDENTITY_MAX];
    size_t identity_len;
    uint64_t request_id;
    uint64_t size;
    gs_hash root;
    int64_t deadline_ms;
} waiter;

/* A log-signed checkpoint the hub may sync toward. */
typedef struct {
    char *text; /* the note as received (NULL: none) */
    gs_checkpoint cp;
    int source; /* the source that showed it, -1 for AddCheckpoint */
} target;

typedef struct {
    bool active;
    target t;
    int source;
    uint32_t tried; /* bit per source index */
    gs_rules_state *clone;
    uint64_t start; /* the cosigned size when the sync began */
    uint64_t next_req;
    uint64_t next_apply;
    unsigned gen; /* bumped whenever fetching (re)starts */
    /* GetEntries in flight, oldest first (answers come back in order). */
    uint64_t req_start[SYNC_WINDOW];
    unsigned in_flight;
    bool proving; /* waiting for the source's consistency proof */
    bool bad;     /* an entry failed its signature or the rule book */
    /* The range holds something besides Observations of this hub's own log.
     * Two hubs witnessing each other would otherwise record each other's
     * observations forever: A observes B, which grows A's log, which B
     * observes, ... An Observation is made only for a range with news. */
    bool news;
    bool bad_sig;
    uint64_t bad_index;
    char bad_reason[MSG_MAX];
} sync_state;

typedef struct {
    gs_hub_followed *cfg;
    char log_key_str[GS_VKEY_STR_MAX];
    gs_log *replica;
    gs_rules_state *rules; /* at the cosigned size */
    uint64_t cosigned_size;
    gs_hash cosigned_root;
    char *cosigned_note; /* NULL before the first cosignature */
    src_state sources[GS_HUB_MAX_SOURCES];
    size_t n_sources;
    bool frozen;
    char frozen_reason[MSG_MAX];
    sync_state sync;
    target next; /* the largest checkpoint seen beyond the sync's target */
    /* A target that failed from every source: not retried until another
     * checkpoint shows up. */
    uint64_t failed_size;
    gs_hash failed_root;
    int64_t failed_until_ms;
    waiter *waiters;
    size_t n_waiters;
    int64_t next_poll_ms;
} followed;

/* One entry of a batch on the worker pool. */
typedef struct {
    gs_bytes entry;
    gs_statement st;
    gs_hash leaf;
    int code;
    char message[GS_ERROR_MSG_MAX];
} vjob;

typedef struct {
    gs_hub_config cfg;
    gs_keypair key;
    void *zctx;
    gs_store *store;
    gs_log *own;
    gs_rules_state *own_rules;
    gs_net_server *server;
    void *pub[GS_NET_MAX_ENDPOINTS];
    size_t n_pub;
    gs_pool *pool;
    vjob *jobs;
    followed *logs;
    size_t n_logs;
    gs_witness_client *witnesses[GS_HUB_MAX_WITNESSES];
    size_t n_witnesses;
    uint64_t own_checkpoint_size;
    int64_t last_checkpoint_ms;
    long witness_next_ms;
    zmq_pollitem_t *items;
    size_t cap_items;
    uint64_t cosigned_total;
    uint64_t evidence_total;
    unsigned sync_gen;
} hub;

/* One line per event on stderr: time, level, text. Never a secret. */
static void logf_(const hub *h, gs_hub_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(const hub *h, gs_hub_log_level level, const char *fmt, ...)
{
    if (h != NULL && level < h->cfg.log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    gs_daemon_logv("giamsat-hub", (gs_daemon_log_level)level, fmt, ap);
    va_end(ap);
}

static int64_t now_ms(void)
{
    return gs_daemon_now_ms();
}

/* A target that failed from every source is tried again after this long
 * (a source may have been down for a while). */
static int64_t retry_after_ms(const hub *h)
{
    int64_t t = h->cfg.poll_interval_ms * 5;
    return t < 5000 ? 5000 : t;
}

static void target_clear(target *t)
{
    free(t->text);
    gs_checkpoint_clear(&t->cp);
    memset(t, 0, sizeof *t);
    t->source = -1;
}

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* ------------------------------------------------------------ publishing */

static void publish(hub *h, const char *kind, const char *origin, gs_bytes payload)
{
    char topic[GS_MAX_ORIGIN + 32];
    int n = snprintf(topic, sizeof topic, "%s/%s", kind, origin);
    for (size_t i = 0; i < h->n_pub; i++) {
        /* PUB never blocks: a slow subscriber loses messages, not the hub. */
        if (zmq_send(h->pub[i], topic, (size_t)n, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
            zmq_send(h->pub[i], payload.p, payload.n, ZMQ_DONTWAIT) < 0)
            logf_(h, GS_HUB_LOG_WARN, "publish %s: %s", topic, zmq_strerror(errno));
    }
}

/* ------------------------------------------------------------ replies */

static void send_response(hub *h, unsigned socket, const uint8_t *identity, size_t identity_len,
                          gs_response *rs)
{
    gs_error err;
    if (gs_net_server_respond(h->server, socket, identity, identity_len, rs, &err) != 0)
        logf_(h, GS_HUB_LOG_WARN, "%s", err.msg);
}

static void send_status(hub *h, unsigned socket, const uint8_t *identity, size_t identity_len,
                        uint64_t id, gs_status_code code, const char *message)
{
    gs_response rs = {.id = id, .code = code, .message = (char *)message};
    send_response(h, socket, identity, identity_len, &rs);
}

static void answer_waiter(hub *h, const waiter *w, gs_response *rs)
{
    rs->id = w->request_id;
    send_response(h, w->socket, w->identity, w->identity_len, rs);
}

static void remove_waiter(followed *f, size_t i)
{
    f->waiters[i] = f->waiters[f->n_waiters - 1];
    f->n_waiters--;
}

/* The hub's own cosignature line on a stored note, found by name. */
static int own_cosignature(hub *h, const char *note_text, char **line, gs_error *err)
{
    gs_note *n = NULL;
    *line = NULL;
    int rc = gs_note_parse(note_text, strlen(note_text), &n, err);
    if (rc != 0)
        return rc;
    rc = gs_error_set(err, GS_ENOTFOUND, "no cosignature by %s on the held note", h->cfg.origin);
    for (size_t i = 0; i < gs_note_sig_count(n); i++) {
        const gs_note_sig *s = gs_note_sig_at(n, i);
        if (strcmp(s->name, h->cfg.origin) == 0) {
            *line = malloc(s->line_len + 2);
            if (*line == NULL) {
                rc = gs_error_set(err, GS_ENOMEM, "out of memory");
                break;
            }
            memcpy(*line, s->line, s->line_len);
            (*line)[s->line_len] = '\n';
            (*line)[s->line_len + 1] = '\0';
            rc = 0;
            break;
        }
    }
    gs_note_free(&n);
    return rc;
}

/* Answers every waiter of f whose checkpoint is now settled: the one at the
 * cosigned size and root gets the cosignature; a smaller or different one is
 * told the hub's size (CONFLICT, as tlog-witness does). */
static void settle_waiters(hub *h, followed *f)
{
    char *line = NULL;
    gs_error err;
    if (f->cosigned_note != NULL && own_cosignature(h, f->cosigned_note, &line, &err) != 0)
        line = NULL;
    for (size_t i = 0; i < f->n_waiters;) {
        waiter *w = &f->waiters[i];
        if (w->size > f->cosigned_size) {
            i++;
            continue;
        }
        gs_response rs = {.code = GS_STATUS_OK, .message = ""};
        if (w->size == f->cosigned_size && line != NULL &&
            memcmp(w->root.b, f->cosigned_root.b, 32) == 0) {
            rs.result = GS_RESULT_COSIGNATURE;
            rs.u.cosignature = line;
        } else {
            rs.code = GS_STATUS_CONFLICT;
            rs.message = "the hub has cosigned a larger size meanwhile";
            rs.result = GS_RESULT_CONFLICT;
            rs.u.conflict_size = f->cosigned_size;
        }
        answer_waiter(h, w, &rs);
        remove_waiter(f, i);
    }
    free(line);
}

static void fail_waiters(hub *h, followed *f, bool all, uint64_t size, gs_status_code code,
                         const char *message)
{
    for (size_t i = 0; i < f->n_waiters;) {
        if (all || f->waiters[i].size == size) {
            gs_response rs = {.code = code, .message = (char *)message};
            answer_waiter(h, &f->waiters[i], &rs);
            remove_waiter(f, i);
        } else {
            i++;
        }
    }
}

/* ------------------------------------------------------------ the rule book */

/* entry_at for a replica's rule book: leaf hash and body kind of an entry
 * already in the replica (committed, possibly above the cosigned size while a
 * sync runs: the batch is stored before it is judged). Its signature was
 * checked when it arrived. */
static int replica_entry_at(void *ctx, uint64_t index, gs_hash *leaf, gs_body_kind *kind,
                            gs_error *err)
{
    gs_log *l = ctx;
    gs_buf e = {0};
    gs_signed_statement ss;
    gs_statement st = {0};
    int rc = gs_log_entry(l, index, &e, err);
    if (rc != 0)
        return rc;
    gs_merkle_leaf_hash(gs_bytes_of(e.p, e.n), leaf);
    if ((rc = gs_wire_decode_signed_statement(gs_bytes_of(e.p, e.n), &ss, err)) == 0 &&
        (rc = gs_wire_decode_statement(ss.statement, &st, err)) == 0)
        *kind = st.kind;
    gs_statement_clear(&st);
    gs_buf_free(&e);
    return rc;
}

static gs_rules_params replay_params(gs_log *l)
{
    gs_rules_params p = {
        .now = (int64_t)time(NULL),
        .replay = true,
        .entry_at = replica_entry_at,
        .entry_ctx = l,
    };
    return p;
}

/* Rebuilds a rule state from the first size entries of l. The entries were
 * verified (signature and rule book) before they were stored, and each is
 * checked against its stored leaf hash as it is read; so they are decoded
 * without checking their signatures again, which keeps a restart of a hub
 * holding millions of entries to a replay of the rule book. */
static int replay(gs_log *l, uint64_t size, gs_rules_state **out, gs_error *err)
{
    gs_rules_state_free(out);
    int rc = gs_rules_state_new(out, gs_log_origin(l), err);
    if (rc != 0)
        return rc;
    gs_rules_params p = replay_params(l);
    for (uint64_t i = 0; i < size; i++) {
        gs_buf e = {0};
        gs_signed_statement ss;
        gs_statement st = {0};
        gs_hash leaf;
        gs_rule_verdict v;
        rc = gs_log_entry(l, i, &e, err);
        if (rc == 0 && (rc = gs_wire_decode_signed_statement(gs_bytes_of(e.p, e.n), &ss, err)) == 0)
            rc = gs_wire_decode_statement(ss.statement, &st, err);
        if (rc == 0) {
            gs_merkle_leaf_hash(gs_bytes_of(e.p, e.n), &leaf);
            if (gs_rules_apply(*out, &st, &leaf, i, &p, &v) != 0)
                rc = gs_error_set(err, v.code, "%s", v.message);
        }
        gs_statement_clear(&st);
        gs_buf_free(&e);
        if (rc != 0)
            return gs_error_wrap(err, "entry %llu of %s", (unsigned long long)i, gs_log_origin(l));
    }
    return 0;
}

/* ------------------------------------------------------------ own log */

/* Signs st as the hub, judges it with the hub log's own rule book, and
 * appends it durably to the hub's log. *entry (may be NULL) gets the bytes. */
static int append_own(hub *h, gs_statement *st, gs_buf *entry, gs_error *err)
{
    gs_buf e = {0};
    uint64_t seq = 1;
    bool active = false;
    gs_rules_signer_state(h->own_rules, &h->key.pub, &seq, &active);
    st->signer = h->key.pub;
    st->seq = seq;
    st->issued_at = (int64_t)time(NULL);
    st->origin = h->cfg.origin;
    int rc = gs_wire_sign_statement(st, &h->key, &e, err);
    if (rc != 0)
        return rc;
    gs_hash leaf;
    gs_merkle_leaf_hash(gs_bytes_of(e.p, e.n), &leaf);
    gs_rules_params p = replay_params(h->own);
    p.replay = false;
    gs_rule_verdict v;
    gs_rules_state *trial = NULL;
    if ((rc = gs_rules_state_clone(&trial, h->own_rules, err)) != 0)
        goto out;
    if (gs_rules_apply(trial, st, &leaf, gs_log_committed_size(h->own), &p, &v) != 0) {
        rc = gs_error_set(err, v.code, "the hub's own statement is refused: %s", v.message);
        goto out;
    }
    gs_bytes b = gs_bytes_of(e.p, e.n);
    if ((rc = gs_log_append(h->own, &b, 1, NULL, err)) != 0)
        goto out;
    gs_rules_state_free(&h->own_rules);
    h->own_rules = trial;
    trial = NULL;
    if (entry != NULL) {
        *entry = e;
        e = (gs_buf){0};
    }
out:
    gs_rules_state_free(&trial);
    gs_buf_free(&e);
    return rc;
}

static void maybe_checkpoint(hub *h, bool force)
{
    uint64_t size = gs_log_committed_size(h->own);
    int64_t now = now_ms();
    if (size == h->own_checkpoint_size)
        return;
    if (!force && now - h->last_checkpoint_ms < h->cfg.checkpoint_interval_ms)
        return;
    char *note = NULL;
    gs_error err;
    if (gs_log_sign_checkpoint(h->own, &h->key, &note, &err) != 0) {
        logf_(h, GS_HUB_LOG_ERROR, "cannot sign a checkpoint of %s: %s", h->cfg.origin, err.msg);
        return;
    }
    publish(h, "checkpoint", h->cfg.origin, gs_bytes_of(note, strlen(note)));
    free(note);
    h->own_checkpoint_size = size;
    h->last_checkpoint_ms = now;
    logf_(h, GS_HUB_LOG_INFO, "checkpoint %s size %llu", h->cfg.origin, (unsigned long long)size);
}

/* ------------------------------------------------------------ evidence */

/* Records evidence about f: an Evidence statement in the hub's own log, the
 * same bytes in the store's evidence table, an alert on PUB, and (for every
 * kind but (c), see the top of this file) the origin frozen. bad_source is
 * the source to stop syncing from for kind (c). */
static int record_evidence(hub *h, followed *f, gs_evidence *ev, int bad_source)
{
    gs_error err = {0};
    char what[512];
    gs_buf entry = {0};
    ev->origin = f->cfg->origin;
    ev->log_key = f->log_key_str;
    ev->detected_at = (int64_t)time(NULL);
    gs_evidence_describe(ev, what, sizeof what);
    /* The hub proves what it claims: check the evidence as any verifier
     * will before signing it. A failure here is a bug in the hub. */
    if (gs_evidence_verify(ev, &f->cfg->log_key, &err) != 0)
        logf_(h, GS_HUB_LOG_ERROR, "BUG: evidence about %s does not verify: %s", f->cfg->origin,
              err.msg);
    gs_statement st = {.kind = GS_BODY_EVIDENCE};
    st.u.evidence = *ev;
    int rc = append_own(h, &st, &entry, &err);
    if (rc == 0)
        rc = gs_store_put_evidence(h->store, f->cfg->origin, gs_bytes_of(entry.p, entry.n), NULL,
                                   &err);
    if (rc != 0) {
        /* Too large for one entry (GS_MAX_ENTRY), or the disk failed: the
         * misbehaviour is still refused and announced, without the proof. */
        logf_(h, GS_HUB_LOG_ERROR, "%s: %s — cannot record the evidence: %s", f->cfg->origin, what,
              err.msg);
        char text[1024];
        int n = snprintf(text, sizeof text, "unrecorded evidence: %s: %s", what, err.msg);
        publish(h, "alert", f->cfg->origin, gs_bytes_of(text, (size_t)n));
    } else {
        h->evidence_total++;
        logf_(h, GS_HUB_LOG_ERROR, "EVIDENCE against %s: %s; recorded as entry %llu of %s",
              f->cfg->origin, what, (unsigned long long)gs_log_committed_size(h->own) - 1,
              h->cfg.origin);
        publish(h, "alert", f->cfg->origin, gs_bytes_of(entry.p, entry.n));
    }
    if (ev->kind == GS_EVIDENCE_BAD_ENTRIES) {
        if (bad_source >= 0)
            f->sources[bad_source].bad = true;
    } else {
        f->frozen = true;
        snprintf(f->frozen_reason, sizeof f->frozen_reason, "%s", what);
    }
    gs_buf_free(&entry);
    return rc;
}

/* RFC 9162 §2.1.4.2 run forward: the old and new roots a consistency proof
 * from m to n commits to. When m is a power of two the proof does not
 * contain the old root; then old_root is taken as given (and returned
 * unchanged). Returns 0 when the proof has the right shape. */
static int proof_roots(uint64_t m, uint64_t n, const gs_hash *proof, size_t np, gs_hash *old_root,
                       gs_hash *new_root)
{
    if (m == 0 || m >= n)
        return -1;
    const gs_hash *path = proof;
    size_t k = np;
    gs_hash first = *old_root;
    size_t i = 0;
    if (!is_pow2(m)) {
        if (np == 0)
            return -1;
        first = proof[0];
        i = 1;
    }
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    gs_hash fr = first, sr = first;
    for (; i < k; i++) {
        if (sn == 0)
            return -1;
        if ((fn & 1) || fn == sn) {
            gs_merkle_node_hash(&path[i], &fr, &fr);
            gs_merkle_node_hash(&path[i], &sr, &sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            gs_merkle_node_hash(&sr, &path[i], &sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return -1;
    *old_root = fr;
    *new_root = sr;
    return 0;
}

/* (a) from a proof: checkpoint_a (size m, log-signed) and checkpoint_b
 * (size n > m), and a proof that reaches b's root from another size-m root.
 * Returns true when the proof does that (and then records the evidence). */
static bool split_view_from_proof(hub *h, followed *f, const char *note_m, uint64_t m,
                                  const gs_hash *root_m, const char *note_n, uint64_t n,
                                  const gs_hash *root_n, const gs_hash *proof, size_t np)
{
    gs_hash old_root = *root_m, new_root;
    if (is_pow2(m) || proof_roots(m, n, proof, np, &old_root, &new_root) != 0)
        return false;
    if (memcmp(new_root.b, root_n->b, 32) != 0 || memcmp(old_root.b, root_m->b, 32) == 0)
        return false;
    gs_evidence ev = {.kind = GS_EVIDENCE_SPLIT_VIEW};
    ev.checkpoint_a = (char *)note_m;
    ev.checkpoint_b = (char *)note_n;
    ev.consistency_proof = (gs_hash *)proof;
    ev.n_consistency_proof = np;
    ev.reason = "a consistency proof reaches the larger checkpoint's root from a root of the "
                "smaller size other than the one the log signed: the log was rewritten";
    record_evidence(h, f, &ev, -1);
    return true;
}

/* (a): two log-signed checkpoints of one size with different roots. */
static void split_view_same_size(hub *h, followed *f, const char *a, const char *b,
                                 const char *seen)
{
    gs_evidence ev = {.kind = GS_EVIDENCE_SPLIT_VIEW};
    char reason[512];
    snprintf(reason, sizeof reason,
             "two checkpoints of one size with different roots, both signed by the log key; "
             "the second came from %s",
             seen);
    ev.checkpoint_a = (char *)a;
    ev.checkpoint_b = (char *)b;
    ev.reason = reason;
    record_evidence(h, f, &ev, -1);
}

/* (b): a signed checkpoint smaller than the cosigned one, and not a prefix
 * of it. The proof comes from the replica, from size k to the cosigned size,
 * with the size-k root prepended when k is a power of two (evidence.h). */
static void rollback(hub *h, followed *f, const char *small_note, uint64_t k, const char *seen)
{
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1];
    size_t np = 0;
    gs_error err;
    gs_hash root_k;
    if (gs_log_root_at(f->replica, k, &root_k, &err) != 0 ||
        gs_log_prove_consistency(f->replica, k, f->cosigned_size, proof + 1, &np, &err) != 0) {
        logf_(h, GS_HUB_LOG_ERROR, "%s: cannot prove a rollback to %llu: %s", f->cfg->origin,
              (unsigned long long)k, err.msg);
        return;
    }
    gs_hash *p = proof + 1;
    if (is_pow2(k)) {
        proof[0] = root_k;
        p = proof;
        np++;
    }
    char reason[512];
    snprintf(reason, sizeof reason,
             "the log signed a checkpoint of size %llu that is not a prefix of the size %llu "
             "this hub cosigned; seen at %s",
             (unsigned long long)k, (unsigned long long)f->cosigned_size, seen);
    gs_evidence ev = {.kind = GS_EVIDENCE_ROLLBACK};
    ev.checkpoint_a = f->cosigned_note;
    ev.checkpoint_b = (char *)small_note;
    ev.consistency_proof = p;
    ev.n_consistency_proof = np;
    ev.reason = reason;
    record_evidence(h, f, &ev, -1);
}

/* Stored subtree hashes of a log, for gs_merkle_frontier_load. */
typedef struct {
    gs_store *store;
    int64_t log_id;
} store_get;

static int store_get_hash(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    store_get *g = ctx;
    return gs_store_get_hash(g->store, g->log_id, level, index, out, err);
}

/* ------------------------------------------------------------ checkpoints in */

/* Parses a note, checks its log signature with f's key and its body.
 * GS_EVERIFY when the log did not sign it. */
static int open_note(followed *f, const char *text, size_t len, gs_checkpoint *cp, gs_error *err)
{
    gs_note *n = NULL;
    memset(cp, 0, sizeof *cp);
    int rc = gs_note_parse(text, len, &n, err);
    if (rc != 0)
        return rc;
    if ((rc = gs_note_verify(n, &f->cfg->log_key, 1, NULL, NULL, err)) != 0) {
        rc = GS_EVERIFY;
        goto out;
    }
    size_t tlen;
    const char *body = gs_note_text(n, &tlen);
    if ((rc = gs_checkpoint_parse(body, tlen, cp, err)) != 0)
        goto out;
    if (strcmp(cp->origin, f->cfg->origin) != 0) {
        rc = gs_error_set(err, GS_EINVAL, "the checkpoint is for %s, not %s", cp->origin,
                          f->cfg->origin);
        gs_checkpoint_clear(cp);
    }
out:
    gs_note_free(&n);
    return rc;
}

/* ------------------------------------------------------------ syncs */

static int pick_source(followed *f, int preferred)
{
    if (preferred >= 0 && (size_t)preferred < f->n_sources && !f->sources[preferred].bad &&
        !(f->sync.tried & (1u << preferred)))
        return preferred;
    for (size_t i = 0; i < f->n_sources; i++)
        if (!f->sources[i].bad && !(f->sync.tried & (1u << i)))
            return (int)i;
    return -1;
}

static void end_sync(followed *f)
{
    gs_rules_state_free(&f->sync.clone);
    target_clear(&f->sync.t);
    memset(&f->sync, 0, sizeof f->sync);
}

/* Cuts the replica back to the cosigned size: what a failed sync fetched is
 * dropped and never served. */
static void cut_back(hub *h, followed *f)
{
    gs_error err;
    if (gs_log_committed_size(f->replica) > f->cosigned_size &&
        gs_log_truncate(f->replica, f->cosigned_size, &err) != 0) {
        logf_(h, GS_HUB_LOG_ERROR, "%s: cannot cut the replica back to %llu: %s; stopping",
              f->cfg->origin, (unsigned long long)f->cosigned_size, err.msg);
        gs_daemon_request_stop();
    }
}

static void start_next(hub *h, followed *f);
static void sync_next_source(hub *h, followed *f, const char *why);
static void send_entries_requests(hub *h, followed *f);

/* Evidence found outside a running sync froze the origin: that sync must
 * not cosign anything either. */
static void stop_if_frozen(hub *h, followed *f)
{
    if (f->frozen && f->sync.active)
        sync_next_source(h, f, "the origin is frozen by evidence");
}

/* (Re)starts the sync's fetching from source s at the cosigned size. */
static int begin_from(hub *h, followed *f, int s, gs_error *err)
{
    sync_state *y = &f->sync;
    gs_rules_state_free(&y->clone);
    int rc = gs_rules_state_clone(&y->clone, f->rules, err);
    if (rc != 0)
        return rc;
    y->source = s;
    y->tried |= 1u << s;
    y->start = f->cosigned_size;
    y->next_req = y->next_apply = f->cosigned_size;
    y->in_flight = 0;
    y->gen = ++h->sync_gen;
    y->proving = false;
    y->bad = false;
    y->news = false;
    logf_(h, GS_HUB_LOG_INFO, "sync %s from %llu to %llu from %s", f->cfg->origin,
          (unsigned long long)f->cosigned_size, (unsigned long long)y->t.cp.size,
          f->sources[s].cfg->endpoint);
    return 0;
}

/* The sync cannot finish from the current source: cut back and try the
 * next one; when none is left, give up on this target. */
static void sync_next_source(hub *h, followed *f, const char *why)
{
    sync_state *y = &f->sync;
    logf_(h, GS_HUB_LOG_WARN, "sync %s to %llu from %s failed: %s", f->cfg->origin,
          (unsigned long long)y->t.cp.size, f->sources[y->source].cfg->endpoint, why);
    cut_back(h, f);
    if (gs_daemon_stopping())
        return;
    int s = f->frozen ? -1 : pick_source(f, -1);
    gs_error err;
    if (s >= 0 && begin_from(h, f, s, &err) == 0) {
        /* Nothing else asks the next source: without this the sync would
         * wait forever for answers to requests never sent. */
        send_entries_requests(h, f);
        return;
    }
    char msg[MSG_MAX];
    if (f->frozen)
        snprintf(msg, sizeof msg,
                 "hub %s holds evidence against %s (%.300s) and cosigns nothing "
                 "further for it",
                 h->cfg.origin, f->cfg->origin, f->frozen_reason);
    else
        snprintf(msg, sizeof msg, "no source could serve %s up to %llu verifiably; last: %.400s",
                 f->cfg->origin, (unsigned long long)y->t.cp.size, why);
    fail_waiters(h, f, false, y->t.cp.size,
                 f->frozen ? GS_STATUS_PERMISSION_DENIED : GS_STATUS_UNAVAILABLE, msg);
    f->failed_size = y->t.cp.size;
    f->failed_root = y->t.cp.root;
    f->failed_until_ms = now_ms() + retry_after_ms(h);
    end_sync(f);
    if (f->frozen)
        fail_waiters(h, f, true, 0, GS_STATUS_PERMISSION_DENIED, msg);
    else
        start_next(h, f);
}

/* Starts a sync toward t (taken over) when none runs. */
static void start_sync(hub *h, followed *f, target *t)
{
    gs_error err;
    if (f->sync.active || f->frozen) {
        target_clear(t);
        return;
    }
    memset(&f->sync, 0, sizeof f->sync);
    f->sync.active = true;
    f->sync.t = *t;
    memset(t, 0, sizeof *t);
    int s = pick_source(f, f->sync.t.source);
    if (s < 0 || begin_from(h, f, s, &err) != 0) {
        char msg[MSG_MAX];
        snprintf(msg, sizeof msg, "no usable source to fetch %s from", f->cfg->origin);
        logf_(h, GS_HUB_LOG_WARN, "%s", msg);
        fail_waiters(h, f, false, f->sync.t.cp.size, GS_STATUS_UNAVAILABLE, msg);
        f->failed_size = f->sync.t.cp.size;
        f->failed_root = f->sync.t.cp.root;
        f->failed_until_ms = now_ms() + retry_after_ms(h);
        end_sync(f);
        return;
    }
    /* A sync started from start_next (after a cosignature or a failure)
     * has no other caller to send its first requests. */
    send_entries_requests(h, f);
}

static void start_next(hub *h, followed *f)
{
    if (f->next.text != NULL && f->next.cp.size > f->cosigned_size && !f->frozen) {
        target t = f->next;
        memset(&f->next, 0, sizeof f->next);
        f->next.source = -1;
        start_sync(h, f, &t);
    } else {
        target_clear(&f->next);
    }
    /* Waiters for sizes nobody is syncing toward any more. */
    if (!f->sync.active)
        fail_waiters(h, f, true, 0, GS_STATUS_UNAVAILABLE,
                     "the hub could not fetch and verify the entries of this checkpoint");
}

/* Remembers a checkpoint beyond the running sync's target (the largest). */
static void remember_next(followed *f, const char *text, size_t len, gs_checkpoint *cp, int source)
{
    if (f->next.text != NULL && f->next.cp.size >= cp->size) {
        gs_checkpoint_clear(cp);
        return;
    }
    char *copy = strndup(text, len);
    if (copy == NULL) {
        gs_checkpoint_clear(cp);
        return;
    }
    target_clear(&f->next);
    f->next.text = copy;
    f->next.cp = *cp;
    f->next.source = source;
    memset(cp, 0, sizeof *cp);
}

static void cosign(hub *h, followed *f)
{
    sync_state *y = &f->sync;
    gs_error err = {0};
    gs_note *n = NULL;
    char *line = NULL, *merged = NULL;
    gs_buf obs = {0};
    size_t tlen;
    int rc = gs_note_parse(y->t.text, strlen(y->t.text), &n, &err);
    if (rc == 0) {
        const char *body = gs_note_text(n, &tlen);
        rc = gs_cosignature_sign(body, tlen, h->cfg.origin, &h->key, (int64_t)time(NULL), &line,
                                 &err);
    }
    if (rc == 0)
        rc = gs_note_add_signature(n, line, strlen(line), &err);
    if (rc == 0)
        rc = gs_note_format(n, &merged, NULL, &err);
    if (rc == 0)
        rc = gs_log_put_checkpoint(f->replica, y->t.cp.size, merged, NULL, &err);
    if (rc != 0) {
        logf_(h, GS_HUB_LOG_ERROR, "cannot cosign %s at %llu: %s", f->cfg->origin,
              (unsigned long long)y->t.cp.size, err.msg);
        gs_note_free(&n);
        free(line);
        free(merged);
        sync_next_source(h, f, "the hub could not store its cosignature");
        return;
    }
    gs_note_free(&n);
    free(line);
    gs_rules_state_free(&f->rules);
    f->rules = y->clone;
    y->clone = NULL;
    f->cosigned_size = y->t.cp.size;
    f->cosigned_root = y->t.cp.root;
    free(f->cosigned_note);
    f->cosigned_note = merged;
    h->cosigned_total++;

    /* The hub's log commits to what it vouched for (see sync_state.news for
     * why a range holding only observations of this hub is not recorded). */
    gs_statement st = {.kind = GS_BODY_OBSERVATION};
    st.u.observation.origin = f->cfg->origin;
    st.u.observation.size = f->cosigned_size;
    st.u.observation.root = f->cosigned_root;
    st.u.observation.time = (int64_t)time(NULL);
    if (y->news && append_own(h, &st, &obs, &err) != 0)
        logf_(h, GS_HUB_LOG_ERROR, "cannot append the observation of %s at %llu: %s",
              f->cfg->origin, (unsigned long long)f->cosigned_size, err.msg);
    gs_buf_free(&obs);
    publish(h, "checkpoint", f->cfg->origin, gs_bytes_of(merged, strlen(merged)));
    logf_(h, GS_HUB_LOG_INFO, "cosigned %s size %llu", f->cfg->origin,
          (unsigned long long)f->cosigned_size);
    end_sync(f);
    settle_waiters(h, f);
    start_next(h, f);
}

/* The replica reached the target's size with another root, or an entry
 * failed: decide which evidence it is. */
static void sync_mismatch(hub *h, followed *f);

static void finish_sync(hub *h, followed *f)
{
    sync_state *y = &f->sync;
    gs_hash root;
    gs_log_root(f->replica, &root);
    bool match = memcmp(root.b, y->t.cp.root.b, 32) == 0;
    if (f->frozen) {
        sync_next_source(h, f, "the origin is frozen by evidence");
        return;
    }
    if (match && !y->bad) {
        cosign(h, f);
        return;
    }
    if (match) {
        /* (d): the log signed a tree holding an entry that breaks the rules. */
        gs_error err;
        gs_evidence ev = {.kind = GS_EVIDENCE_RULE_VIOLATION};
        gs_hash proof[GS_MERKLE_MAX_PROOF];
        size_t np = 0;
        gs_buf *entries = NULL;
        size_t ne = 0;
        int rc = 0;
        ev.checkpoint_b = y->t.text;
        ev.reason = y->bad_reason;
        if (y->bad_sig) {
            entries = calloc(1, sizeof *entries);
            rc = entries == NULL ? GS_ENOMEM : 0;
            if (rc == 0 && (rc = gs_log_entry(f->replica, y->bad_index, &entries[0], &err)) == 0)
                ne = 1;
            if (rc == 0)
                rc = gs_log_prove_inclusion(f->replica, y->bad_index, y->t.cp.size, proof, &np,
                                            &err);
            ev.first_index = y->bad_index;
            ev.inclusion_proof = proof;
            ev.n_inclusion_proof = np;
        } else if (y->bad_index + 1 > GS_MAX_EVIDENCE_ENTRIES) {
            /* The rule form needs the whole prefix; above the cap it cannot
             * be carried in one Evidence (a known limit: see the report). */
            rc = gs_error_set(&err, GS_ETOOBIG,
                              "the offending entry %llu is beyond the %d entries one evidence "
                              "can carry",
                              (unsigned long long)y->bad_index, GS_MAX_EVIDENCE_ENTRIES);
        } else {
            uint64_t e = y->bad_index + 1;
            entries = calloc(e, sizeof *entries);
            rc = entries == NULL ? GS_ENOMEM : 0;
            for (uint64_t i = 0; rc == 0 && i < e; i++, ne++)
                rc = gs_log_entry(f->replica, i, &entries[i], &err);
            if (rc == 0 && e < y->t.cp.size)
                rc = gs_log_prove_consistency(f->replica, e, y->t.cp.size, proof, &np, &err);
            ev.first_index = 0;
            ev.consistency_proof = proof;
            ev.n_consistency_proof = np;
        }
        ev.entries = entries;
        ev.n_entries = ne;
        if (rc == 0) {
            record_evidence(h, f, &ev, -1);
        } else {
            logf_(h, GS_HUB_LOG_ERROR,
                  "%s: entry %llu breaks the rule book (%s) but the "
                  "evidence cannot be built: %s",
                  f->cfg->origin, (unsigned long long)y->bad_index, y->bad_reason, err.msg);
            f->frozen = true;
            snprintf(f->frozen_reason, sizeof f->frozen_reason, "entry %llu: %.400s",
                     (unsigned long long)y->bad_index, y->bad_reason);
        }
        for (size_t i = 0; i < ne; i++)
            gs_buf_free(&entries[i]);
        free(entries);
        sync_next_source(h, f, y->bad_reason);
        return;
    }
    sync_mismatch(h, f);
}

/* Root mismatch. With a cosigned prefix, first ask the source for a proof
 * from the cosigned size: if its proof reaches the signed root from another
 * root at the cosigned size, the LOG rewrote itself (a); otherwise the
 * entries served were not the log's (c). */
static void sync_mismatch(hub *h, followed *f)
{
    sync_state *y = &f->sync;
    if (y->start > 0 && !is_pow2(y->start) && !y->proving) {
        gs_request rq = {.version = 1, .op = GS_OP_GET_CONSISTENCY_PROOF};
        rq.origin = f->cfg->origin;
        rq.u.get_consistency_proof.old_size = y->start;
        rq.u.get_consistency_proof.new_size = y->t.cp.size;
        gs_error err;
        if (gs_hub_peer_send(f->sources[y->source].peer, &rq, TAG(TAG_PROOF, y->gen),
                             now_ms() + REQUEST_TIMEOUT_MS, &err) == 0) {
            y->proving = true;
            return;
        }
    }
    /* (c): the frontier at the cosigned size and the entries served. */
    gs_error err = {0};
    gs_evidence ev = {.kind = GS_EVIDENCE_BAD_ENTRIES};
    gs_merkle_frontier fr;
    gs_buf *entries = NULL;
    size_t ne = 0;
    uint64_t count = y->t.cp.size - y->start;
    char reason[MSG_MAX];
    int rc = 0;
    snprintf(reason, sizeof reason,
             "source %s served entries %llu..%llu of %s that do not hash to the root the log "
             "signed at size %llu",
             f->sources[y->source].cfg->endpoint, (unsigned long long)y->start,
             (unsigned long long)y->t.cp.size - 1, f->cfg->origin,
             (unsigned long long)y->t.cp.size);
    if (count > GS_MAX_EVIDENCE_ENTRIES) {
        /* One Evidence carries at most GS_MAX_EVIDENCE_ENTRIES entries (and
         * GS_MAX_ENTRY bytes): a larger bad range is refused and announced
         * but not proven (a known limit: see the report). */
        rc = gs_error_set(&err, GS_ETOOBIG, "%llu entries are more than one evidence carries",
                          (unsigned long long)count);
    } else {
        entries = calloc(count ? count : 1, sizeof *entries);
        rc = entries == NULL ? gs_error_set(&err, GS_ENOMEM, "out of memory") : 0;
        for (uint64_t i = 0; rc == 0 && i < count; i++, ne++)
            rc = gs_log_entry(f->replica, y->start + i, &entries[i], &err);
    }
    if (rc == 0 && y->start > 0) {
        /* The frontier of the cosigned tree (its perfect subtrees, largest
         * first), from the replica's stored subtree hashes. */
        store_get g = {h->store, 0};
        gs_store_log_state ls;
        if ((rc = gs_store_log_find(h->store, f->cfg->origin, false, &ls, &err)) == 0) {
            g.log_id = ls.id;
            rc = gs_merkle_frontier_load(&fr, y->start, store_get_hash, &g, &err);
        }
        ev.frontier = fr.h;
        ev.n_frontier = fr.n;
    }
    if (rc == 0) {
        char *cp_a = NULL;
        if (y->start > 0)
            cp_a = f->cosigned_note;
        ev.checkpoint_a = cp_a;
        ev.checkpoint_b = y->t.text;
        ev.first_index = y->start;
        ev.entries = entries;
        ev.n_entries = ne;
        ev.reason = reason;
        rc = record_evidence(h, f, &ev, y->source);
    } else {
        logf_(h, GS_HUB_LOG_ERROR, "%s; the evidence cannot be built: %s", reason, err.msg);
        char text[MSG_MAX + 64];
        int n = snprintf(text, sizeof text, "unproven mismatch: %s", reason);
        publish(h, "alert", f->cfg->origin, gs_bytes_of(text, (size_t)n));
        f->sources[y->source].bad = true;
    }
    for (size_t i = 0; i < ne; i++)
        gs_buf_free(&entries[i]);
    free(entries);
    sync_next_source(h, f, reason);
}

/* The source's answer to the consistency proof asked by sync_mismatch. */
static void on_proof(hub *h, followed *f, gs_response *rs)
{
    sync_state *y = &f->sync;
    if (!y->active || !y->proving)
        return;
    if (rs->code == GS_STATUS_OK && rs->result == GS_RESULT_PROOF &&
        rs->u.proof.index == y->start && rs->u.proof.size == y->t.cp.size &&
        split_view_from_proof(h, f, f->cosigned_note, y->start, &f->cosigned_root, y->t.text,
                              y->t.cp.size, &y->t.cp.root, rs->u.proof.hashes, rs->u.proof.n)) {
        sync_next_source(h, f, "the log rewrote its history");
        return;
    }
    /* No proof of a rewrite: the entries served were not the log. */
    sync_mismatch(h, f);
}

static void verify_job(void *ctx, size_t i)
{
    vjob *j = &((hub *)ctx)->jobs[i];
    gs_error err = {0};
    memset(&j->st, 0, sizeof j->st);
    j->code = gs_wire_open_entry(j->entry, &j->st, &err);
    if (j->code != 0)
        snprintf(j->message, sizeof j->message, "%s", err.msg);
    gs_merkle_leaf_hash(j->entry, &j->leaf);
}

static void send_entries_requests(hub *h, followed *f)
{
    sync_state *y = &f->sync;
    while (y->active && !y->proving && y->in_flight < SYNC_WINDOW && y->next_req < y->t.cp.size) {
        uint64_t left = y->t.cp.size - y->next_req;
        uint32_t count = left < h->cfg.batch_size ? (uint32_t)left : h->cfg.batch_size;
        gs_request rq = {.version = 1, .op = GS_OP_GET_ENTRIES};
        rq.origin = f->cfg->origin;
        rq.u.get_entries.start = y->next_req;
        rq.u.get_entries.count = count;
        gs_error err;
        if (gs_hub_peer_send(f->sources[y->source].peer, &rq, TAG(TAG_ENTRIES, y->gen),
                             now_ms() + REQUEST_TIMEOUT_MS, &err) != 0) {
            sync_next_source(h, f, err.msg);
            return;
        }
        y->req_start[y->in_flight++] = y->next_req;
        y->next_req += count;
    }
}

/* A batch of entries for the running sync. */
static void on_entries(hub *h, followed *f, gs_response *rs)
{
    sync_state *y = &f->sync;
    if (!y->active || y->proving)
        return;
    if (y->in_flight > 0) {
        y->in_flight--;
        memmove(&y->req_start[0], &y->req_start[1], y->in_flight * sizeof y->req_start[0]);
    }
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_ENTRIES || rs->u.entries.n == 0) {
        char why[MSG_MAX];
        snprintf(why, sizeof why, "GetEntries from %llu: %s: %s", (unsigned long long)y->next_apply,
                 gs_status_name(rs->code),
                 rs->message != NULL && rs->message[0] ? rs->message : "no entries");
        sync_next_source(h, f, why);
        return;
    }
    if (rs->u.entries.start != y->next_apply) {
        /* An answer to a request made before a short batch: dropped, and
         * the gap is asked for again. */
        send_entries_requests(h, f);
        return;
    }
    size_t n = rs->u.entries.n;
    if (n > y->t.cp.size - y->next_apply)
        n = (size_t)(y->t.cp.size - y->next_apply);
    if (n > GS_MAX_ENTRIES)
        n = GS_MAX_ENTRIES;
    for (size_t i = 0; i < n; i++)
        h->jobs[i].entry = gs_bytes_of(rs->u.entries.entries[i].p, rs->u.entries.entries[i].n);
    gs_pool_run(h->pool, verify_job, h, n);

    /* Stored before it is judged: the rule book may look entries of this
     * batch up (references), and until the root matches nothing above the
     * cosigned size is served. */
    gs_bytes *batch = calloc(n, sizeof *batch);
    gs_error err = {0};
    int rc = batch == NULL ? gs_error_set(&err, GS_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        batch[i] = h->jobs[i].entry;
    if (rc == 0)
        rc = gs_log_append(f->replica, batch, n, NULL, &err);
    free(batch);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            gs_statement_clear(&h->jobs[i].st);
        logf_(h, GS_HUB_LOG_ERROR, "%s: cannot store a batch: %s", f->cfg->origin, err.msg);
        sync_next_source(h, f, "the hub could not store the entries");
        return;
    }
    gs_rules_params p = replay_params(f->replica);
    for (size_t i = 0; i < n; i++) {
        vjob *j = &h->jobs[i];
        uint64_t index = y->next_apply + i;
        if (!y->bad && j->code != 0) {
            y->bad = true;
            y->bad_sig = true;
            y->bad_index = index;
            snprintf(y->bad_reason, sizeof y->bad_reason,
                     "entry %llu of %s is not a validly signed statement: %s",
                     (unsigned long long)index, f->cfg->origin, j->message);
        } else if (!y->bad) {
            gs_rule_verdict v;
            if (j->st.kind != GS_BODY_OBSERVATION ||
                strcmp(j->st.u.observation.origin, h->cfg.origin) != 0)
                y->news = true;
            if (gs_rules_apply(y->clone, &j->st, &j->leaf, index, &p, &v) != 0) {
                y->bad = true;
                y->bad_sig = false;
                y->bad_index = index;
                snprintf(y->bad_reason, sizeof y->bad_reason,
                         "entry %llu of %s breaks the rule book: %s: %s", (unsigned long long)index,
                         f->cfg->origin, gs_rules_reason_name(v.reason), v.message);
            }
        }
        gs_statement_clear(&j->st);
    }
    y->next_apply += n;
    if (y->next_apply == y->t.cp.size) {
        finish_sync(h, f);
        return;
    }
    /* A source may answer fewer entries than asked (its frame budget):
     * then the requests still out start beyond a gap; ask from here. */
    if (y->in_flight == 0 ? y->next_req != y->next_apply : y->req_start[0] != y->next_apply)
        y->next_req = y->next_apply;
    send_entries_requests(h, f);
}

/* A checkpoint seen from a source (poll) or pushed (AddCheckpoint), already
 * verified against the log key. Takes cp over. Returns 0, or the status to
 * answer a pusher with (message in msg). */
static void consider(hub *h, followed *f, const char *text, size_t len, gs_checkpoint *cp,
                     int source, const char *seen)
{
    if (f->frozen || cp->size == 0) {
        gs_checkpoint_clear(cp);
        return;
    }
    char *copy = strndup(text, len);
    if (copy == NULL) {
        gs_checkpoint_clear(cp);
        return;
    }
    if (cp->size == f->cosigned_size && f->cosigned_note != NULL) {
        if (memcmp(cp->root.b, f->cosigned_root.b, 32) != 0) {
            split_view_same_size(h, f, f->cosigned_note, copy, seen);
            stop_if_frozen(h, f);
        }
    } else if (cp->size < f->cosigned_size) {
        gs_hash at;
        gs_error err;
        if (cp->size > 0 && gs_log_root_at(f->replica, cp->size, &at, &err) == 0 &&
            memcmp(at.b, cp->root.b, 32) != 0) {
            rollback(h, f, copy, cp->size, seen);
            stop_if_frozen(h, f);
        }
    } else if (f->sync.active) {
        if (cp->size == f->sync.t.cp.size && memcmp(cp->root.b, f->sync.t.cp.root.b, 32) != 0) {
            split_view_same_size(h, f, f->sync.t.text, copy, seen);
            stop_if_frozen(h, f);
        } else if (cp->size > f->sync.t.cp.size)
            remember_next(f, copy, len, cp, source);
    } else if (!(cp->size == f->failed_size && memcmp(cp->root.b, f->failed_root.b, 32) == 0 &&
                 now_ms() < f->failed_until_ms)) {
        target t = {.text = copy, .cp = *cp, .source = source};
        memset(cp, 0, sizeof *cp);
        copy = NULL;
        start_sync(h, f, &t);
        if (f->sync.active)
            send_entries_requests(h, f);
    }
    free(copy);
    gs_checkpoint_clear(cp);
}

static void on_poll(hub *h, followed *f, int s, gs_response *rs)
{
    if (rs->code == GS_STATUS_NOT_FOUND)
        return; /* a hub that has not cosigned this log yet */
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_CHECKPOINT) {
        logf_(h, GS_HUB_LOG_DEBUG, "%s: GetCheckpoint from %s: %s: %s", f->cfg->origin,
              f->sources[s].cfg->endpoint, gs_status_name(rs->code),
              rs->message != NULL ? rs->message : "");
        return;
    }
    gs_checkpoint cp;
    gs_error err;
    size_t len = strlen(rs->u.checkpoint);
    int rc = open_note(f, rs->u.checkpoint, len, &cp, &err);
    if (rc != 0) {
        /* Not signed by the log: whoever served it, it proves nothing about
         * the log. */
        logf_(h, GS_HUB_LOG_WARN, "%s: source %s served a checkpoint the log did not sign: %s",
              f->cfg->origin, f->sources[s].cfg->endpoint, err.msg);
        return;
    }
    consider(h, f, rs->u.checkpoint, len, &cp, s, f->sources[s].cfg->endpoint);
}

/* ------------------------------------------------------------ serving */

/* AddCheckpoint with C2SP tlog-witness semantics. Returns true when the
 * reply is deferred until a sync ends. */
static bool add_checkpoint(hub *h, const gs_net_request *nrq, gs_request *rq, gs_response *rs,
                           char *msg, size_t cap)
{
    const char *text = rq->u.add_checkpoint.checkpoint;
    size_t len = text != NULL ? strlen(text) : 0;
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    gs_error err;
    followed *f = NULL;
    uint64_t old = rq->u.add_checkpoint.old_size;
    bool deferred = false;

    rs->code = GS_STATUS_INVALID_ARGUMENT;
    rs->message = msg;
    if (gs_note_parse(text != NULL ? text : "", len, &n, &err) != 0) {
        snprintf(msg, cap, "the checkpoint is not a signed note: %s", err.msg);
        goto out;
    }
    size_t tlen;
    const char *body = gs_note_text(n, &tlen);
    if (gs_checkpoint_parse(body, tlen, &cp, &err) != 0) {
        snprintf(msg, cap, "the note is not a checkpoint: %s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < h->n_logs; i++)
        if (strcmp(h->logs[i].cfg->origin, cp.origin) == 0)
            f = &h->logs[i];
    if (f == NULL) {
        snprintf(msg, cap,
                 "hub %s does not follow %s: ask its operator to add it with `giamsat "
                 "hub follow`",
                 h->cfg.origin, cp.origin);
        rs->code = GS_STATUS_NOT_FOUND;
        goto out;
    }
    if (gs_note_verify(n, &f->cfg->log_key, 1, NULL, NULL, &err) != 0) {
        snprintf(msg, cap, "the checkpoint is not signed by the log key of %s: %s", cp.origin,
                 err.msg);
        rs->code = GS_STATUS_UNAUTHENTICATED;
        goto out;
    }
    if (f->frozen) {
        snprintf(msg, cap,
                 "hub %s holds evidence against %s (%.400s) and cosigns nothing further "
                 "for it; see GetEvidence",
                 h->cfg.origin, cp.origin, f->frozen_reason);
        rs->code = GS_STATUS_PERMISSION_DENIED;
        goto out;
    }
    /* The very checkpoint already cosigned (e.g. found by polling before it
     * was pushed): answer with the cosignature whatever old size the pusher
     * assumed, so a witness client that learnt our size from a CONFLICT
     * still collects the line. */
    if (cp.size == f->cosigned_size && f->cosigned_note != NULL &&
        memcmp(cp.root.b, f->cosigned_root.b, 32) == 0) {
        char *line = NULL;
        if (own_cosignature(h, f->cosigned_note, &line, &err) != 0) {
            snprintf(msg, cap, "%s", err.msg);
            rs->code = GS_STATUS_INTERNAL;
            goto out;
        }
        rs->code = GS_STATUS_OK;
        rs->message = "";
        rs->result = GS_RESULT_COSIGNATURE;
        rs->u.cosignature = line; /* freed by the caller */
        goto out;
    }
    if (cp.size < old) {
        snprintf(msg, cap, "old size %llu is larger than the checkpoint's size %llu",
                 (unsigned long long)old, (unsigned long long)cp.size);
        goto out;
    }
    if (old != f->cosigned_size) {
        snprintf(msg, cap,
                 "hub %s has cosigned %s at size %llu, not %llu: resend with a proof "
                 "from there",
                 h->cfg.origin, cp.origin, (unsigned long long)f->cosigned_size,
                 (unsigned long long)old);
        rs->code = GS_STATUS_CONFLICT;
        rs->result = GS_RESULT_CONFLICT;
        rs->u.conflict_size = f->cosigned_size;
        goto out;
    }
    if (cp.size == f->cosigned_size && f->cosigned_note != NULL) {
        if (memcmp(cp.root.b, f->cosigned_root.b, 32) == 0) {
            char *line = NULL;
            if (own_cosignature(h, f->cosigned_note, &line, &err) != 0) {
                snprintf(msg, cap, "%s", err.msg);
                rs->code = GS_STATUS_INTERNAL;
                goto out;
            }
            rs->code = GS_STATUS_OK;
            rs->message = "";
            rs->result = GS_RESULT_COSIGNATURE;
            rs->u.cosignature = line; /* freed by the caller */
            goto out;
        }
        split_view_same_size(h, f, f->cosigned_note, text, "an AddCheckpoint");
        stop_if_frozen(h, f);
        snprintf(msg, cap,
                 "this checkpoint and the one hub %s cosigned at size %llu have "
                 "different roots: recorded as evidence of a split view",
                 h->cfg.origin, (unsigned long long)cp.size);
        rs->code = GS_STATUS_CONFLICT;
        goto out;
    }
    if (old > 0) {
        if (gs_merkle_verify_consistency(old, cp.size, &f->cosigned_root, &cp.root,
                                         rq->u.add_checkpoint.proof, rq->u.add_checkpoint.n_proof,
                                         &err) != 0) {
            if (split_view_from_proof(h, f, f->cosigned_note, old, &f->cosigned_root, text, cp.size,
                                      &cp.root, rq->u.add_checkpoint.proof,
                                      rq->u.add_checkpoint.n_proof)) {
                snprintf(msg, cap,
                         "the log rewrote entries below size %llu: recorded as "
                         "evidence",
                         (unsigned long long)old);
                stop_if_frozen(h, f);
                rs->code = GS_STATUS_CONFLICT;
            } else {
                snprintf(msg, cap, "the consistency proof from %llu to %llu does not verify: %s",
                         (unsigned long long)old, (unsigned long long)cp.size, err.msg);
            }
            goto out;
        }
    }
    if (cp.size == 0) {
        snprintf(msg, cap, "a checkpoint of an empty log holds nothing to cosign");
        goto out;
    }
    if (f->n_waiters >= MAX_WAITERS) {
        snprintf(msg, cap, "too many AddCheckpoint requests for %s are waiting; retry later",
                 cp.origin);
        rs->code = GS_STATUS_RESOURCE_EXHAUSTED;
        goto out;
    }
    /* Defer: answer once the entries are held and verified. */
    waiter *ws = realloc(f->waiters, (f->n_waiters + 1) * sizeof *ws);
    if (ws == NULL) {
        snprintf(msg, cap, "out of memory");
        rs->code = GS_STATUS_RESOURCE_EXHAUSTED;
        goto out;
    }
    f->waiters = ws;
    waiter *w = &f->waiters[f->n_waiters++];
    w->socket = nrq->socket;
    memcpy(w->identity, nrq->identity, nrq->identity_len);
    w->identity_len = nrq->identity_len;
    w->request_id = rq->id;
    w->size = cp.size;
    w->root = cp.root;
    w->deadline_ms = now_ms() + WAITER_TIMEOUT_MS;
    deferred = true;
    consider(h, f, text, len, &cp, -1, "an AddCheckpoint");
out:
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return deferred;
}

typedef struct {
    gs_buf *items;
    size_t n, cap, bytes, budget;
} ev_list;

static int collect_evidence(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    (void)id;
    (void)origin;
    ev_list *l = ctx;
    if (l->bytes + data.n + 16 > l->budget)
        return 1; /* the reply must fit one frame */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        gs_buf *p = realloc(l->items, cap * sizeof *p);
        if (p == NULL)
            return 1;
        l->items = p;
        l->cap = cap;
    }
    gs_buf *b = &l->items[l->n];
    b->p = malloc(data.n ? data.n : 1);
    if (b->p == NULL)
        return 1;
    memcpy(b->p, data.p, data.n);
    b->n = data.n;
    l->n++;
    l->bytes += data.n + 16;
    return 0;
}

static void serve(hub *h, const gs_net_request *nrq, gs_request *rq)
{
    gs_response rs = {.id = rq->id, .code = GS_STATUS_OK, .message = ""};
    char msg[MSG_MAX];
    gs_error err = {0};
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    gs_buf *entries = NULL;
    size_t n_entries = 0;
    char *note = NULL;
    ev_list evl = {0};
    gs_log *l = NULL;
    uint64_t limit = 0; /* what may be served: committed / cosigned size */
    followed *f = NULL;

    if (rq->op == GS_OP_ADD_CHECKPOINT) {
        if (add_checkpoint(h, nrq, rq, &rs, msg, sizeof msg))
            return;
        if (rs.result == GS_RESULT_COSIGNATURE)
            note = rs.u.cosignature;
        goto reply;
    }
    if (rq->op == GS_OP_SUBMIT) {
        rs.code = GS_STATUS_INVALID_ARGUMENT;
        rs.message = "hubs do not take statements: submit to the unit's node";
        goto reply;
    }
    if (rq->op == GS_OP_GET_EVIDENCE) {
        const char *o = rq->origin != NULL && rq->origin[0] ? rq->origin : NULL;
        evl.budget = h->cfg.max_message / 2;
        if (gs_store_list_evidence(h->store, o, collect_evidence, &evl, &err) < 0) {
            snprintf(msg, sizeof msg, "%s", err.msg);
            rs.code = gs_status_from_error(err.code);
            rs.message = msg;
            goto reply;
        }
        rs.result = GS_RESULT_EVIDENCE;
        rs.u.evidence.items = evl.items;
        rs.u.evidence.n = evl.n;
        goto reply;
    }
    const char *origin = rq->origin != NULL ? rq->origin : "";
    if (origin[0] == '\0' || strcmp(origin, h->cfg.origin) == 0) {
        l = h->own;
        limit = gs_log_committed_size(h->own);
    } else {
        for (size_t i = 0; i < h->n_logs; i++)
            if (strcmp(h->logs[i].cfg->origin, origin) == 0)
                f = &h->logs[i];
        if (f == NULL) {
            snprintf(msg, sizeof msg, "hub %s does not follow %s", h->cfg.origin, origin);
            rs.code = GS_STATUS_NOT_FOUND;
            rs.message = msg;
            goto reply;
        }
        l = f->replica;
        limit = f->cosigned_size;
    }
    switch (rq->op) {
    case GS_OP_GET_CHECKPOINT:
        if (f != NULL) {
            if (f->cosigned_note == NULL) {
                snprintf(msg, sizeof msg, "hub %s has not cosigned %s yet", h->cfg.origin, origin);
                rs.code = GS_STATUS_NOT_FOUND;
                rs.message = msg;
                break;
            }
            rs.result = GS_RESULT_CHECKPOINT;
            rs.u.checkpoint = f->cosigned_note;
            break;
        }
        if (gs_log_latest_checkpoint(l, &note, NULL, &err) != 0) {
            snprintf(msg, sizeof msg, "%s", err.msg);
            rs.code = gs_status_from_error(err.code);
            rs.message = msg;
            break;
        }
        rs.result = GS_RESULT_CHECKPOINT;
        rs.u.checkpoint = note;
        break;
    case GS_OP_GET_ENTRIES: {
        uint64_t start = rq->u.get_entries.start;
        uint32_t count = rq->u.get_entries.count;
        if (count == 0 || count > GS_MAX_ENTRIES)
            count = GS_MAX_ENTRIES;
        if (start >= limit) {
            snprintf(msg, sizeof msg, "entry %llu is beyond the %llu entries hub %s serves of %s",
                     (unsigned long long)start, (unsigned long long)limit, h->cfg.origin,
                     gs_log_origin(l));
            rs.code = GS_STATUS_NOT_FOUND;
            rs.message = msg;
            break;
        }
        if (count > limit - start)
            count = (uint32_t)(limit - start);
        entries = calloc(count, sizeof *entries);
        if (entries == NULL) {
            rs.code = GS_STATUS_RESOURCE_EXHAUSTED;
            rs.message = "out of memory";
            break;
        }
        size_t budget = h->cfg.max_message / 2, used = 0;
        for (uint32_t i = 0; i < count; i++) {
            if (gs_log_entry(l, start + i, &entries[n_entries], &err) != 0) {
                logf_(h, GS_HUB_LOG_ERROR, "%s", err.msg);
                snprintf(msg, sizeof msg, "%s", err.msg);
                rs.code = gs_status_from_error(err.code);
                rs.message = msg;
                break;
            }
            used += entries[n_entries].n + 8;
            n_entries++;
            if (used >= budget)
                break;
        }
        if (rs.code != GS_STATUS_OK)
            break;
        rs.result = GS_RESULT_ENTRIES;
        rs.u.entries.start = start;
        rs.u.entries.entries = entries;
        rs.u.entries.n = n_entries;
        break;
    }
    case GS_OP_GET_INCLUSION_PROOF: {
        uint64_t size = rq->u.get_inclusion_proof.size;
        uint64_t index = rq->u.get_inclusion_proof.index;
        if (size == 0)
            size = f != NULL ? limit : h->own_checkpoint_size;
        size_t np = 0;
        if (size > limit || index >= size) {
            snprintf(msg, sizeof msg,
                     "no inclusion proof of entry %llu in a tree of size %llu: "
                     "hub %s serves %llu entries of %s",
                     (unsigned long long)index, (unsigned long long)size, h->cfg.origin,
                     (unsigned long long)limit, gs_log_origin(l));
            rs.code = GS_STATUS_NOT_FOUND;
            rs.message = msg;
            break;
        }
        if (gs_log_prove_inclusion(l, index, size, proof, &np, &err) != 0) {
            snprintf(msg, sizeof msg, "%s", err.msg);
            rs.code = gs_status_from_error(err.code);
            rs.message = msg;
            break;
        }
        rs.result = GS_RESULT_PROOF;
        rs.u.proof.index = index;
        rs.u.proof.size = size;
        rs.u.proof.hashes = proof;
        rs.u.proof.n = np;
        break;
    }
    case GS_OP_GET_CONSISTENCY_PROOF: {
        uint64_t old_size = rq->u.get_consistency_proof.old_size;
        uint64_t size = rq->u.get_consistency_proof.new_size;
        if (size == 0)
            size = f != NULL ? limit : h->own_checkpoint_size;
        size_t np = 0;
        if (old_size == 0 || old_size > size || size > limit) {
            snprintf(msg, sizeof msg,
                     "no consistency proof from size %llu to %llu: hub %s "
                     "serves %llu entries of %s",
                     (unsigned long long)old_size, (unsigned long long)size, h->cfg.origin,
                     (unsigned long long)limit, gs_log_origin(l));
            rs.code =
                old_size == 0 || old_size > size ? GS_STATUS_INVALID_ARGUMENT : GS_STATUS_NOT_FOUND;
            rs.message = msg;
            break;
        }
        if (gs_log_prove_consistency(l, old_size, size, proof, &np, &err) != 0) {
            snprintf(msg, sizeof msg, "%s", err.msg);
            rs.code = gs_status_from_error(err.code);
            rs.message = msg;
            break;
        }
        rs.result = GS_RESULT_PROOF;
        rs.u.proof.index = old_size;
        rs.u.proof.size = size;
        rs.u.proof.hashes = proof;
        rs.u.proof.n = np;
        break;
    }
    default:
        snprintf(msg, sizeof msg, "a hub does not serve this operation (nodes do)");
        rs.code = GS_STATUS_INVALID_ARGUMENT;
        rs.message = msg;
        break;
    }
reply:
    send_response(h, nrq->socket, nrq->identity, nrq->identity_len, &rs);
    for (size_t i = 0; i < n_entries; i++)
        gs_buf_free(&entries[i]);
    free(entries);
    for (size_t i = 0; i < evl.n; i++)
        gs_buf_free(&evl.items[i]);
    free(evl.items);
    free(note);
}

static void take_request(hub *h, const gs_net_request *nrq)
{
    gs_request rq = {0};
    gs_error err = {0};
    char msg[MSG_MAX];
    if (gs_wire_decode_request(nrq->payload, h->cfg.max_message, &rq, &err) != 0) {
        bool too_big = err.code == GS_ETOOBIG;
        snprintf(msg, sizeof msg, "%s: %s", too_big ? "request too large" : "malformed request",
                 err.msg);
        send_status(h, nrq->socket, nrq->identity, nrq->identity_len, 0,
                    too_big ? GS_STATUS_RESOURCE_EXHAUSTED : GS_STATUS_INVALID_ARGUMENT, msg);
        return;
    }
    serve(h, nrq, &rq);
    gs_request_clear(&rq);
}

/* ------------------------------------------------------------ the loop */

static void poll_sources(hub *h, int64_t now)
{
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        if (now < f->next_poll_ms || f->frozen)
            continue;
        f->next_poll_ms = now + h->cfg.poll_interval_ms;
        for (size_t s = 0; s < f->n_sources; s++) {
            src_state *src = &f->sources[s];
            /* Availability: no answer of any kind for too long. */
            if (!src->alerted && now - src->last_ok_ms > h->cfg.unavailable_after_s * 1000) {
                src->alerted = true;
                char text[600];
                int n = snprintf(
                    text, sizeof text, "unavailable: source %s of %s has not answered for %lld s",
                    src->cfg->endpoint, f->cfg->origin, (long long)(now - src->last_ok_ms) / 1000);
                logf_(h, GS_HUB_LOG_WARN, "%s", text);
                publish(h, "alert", f->cfg->origin, gs_bytes_of(text, (size_t)n));
            }
            if (gs_hub_peer_has(src->peer, TAG_POLL))
                continue;
            gs_request rq = {.version = 1, .op = GS_OP_GET_CHECKPOINT};
            rq.origin = f->cfg->origin;
            int64_t timeout = h->cfg.poll_interval_ms * 5 < REQUEST_TIMEOUT_MS
                                  ? REQUEST_TIMEOUT_MS
                                  : h->cfg.poll_interval_ms * 5;
            gs_error err;
            if (gs_hub_peer_send(src->peer, &rq, TAG_POLL, now + timeout, &err) != 0)
                logf_(h, GS_HUB_LOG_DEBUG, "poll %s: %s", src->cfg->endpoint, err.msg);
        }
    }
}

static void source_answered(hub *h, followed *f, src_state *src)
{
    if (src->alerted)
        logf_(h, GS_HUB_LOG_INFO, "source %s of %s answers again", src->cfg->endpoint,
              f->cfg->origin);
    src->alerted = false;
    src->last_ok_ms = now_ms();
}

static void read_sources(hub *h, int64_t now)
{
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        for (size_t s = 0; s < f->n_sources; s++) {
            src_state *src = &f->sources[s];
            gs_response rs;
            int tag;
            gs_error err;
            int got;
            while ((got = gs_hub_peer_recv(src->peer, &rs, &tag, &err)) != 0) {
                if (got < 0) {
                    logf_(h, GS_HUB_LOG_WARN, "%s: %s", f->cfg->origin, err.msg);
                    break;
                }
                source_answered(h, f, src);
                bool for_sync = f->sync.active && (int)s == f->sync.source &&
                                TAG_GEN(tag) == (f->sync.gen & 0xffffff);
                if (tag == TAG_POLL)
                    on_poll(h, f, (int)s, &rs);
                else if (TAG_KIND(tag) == TAG_ENTRIES && for_sync)
                    on_entries(h, f, &rs);
                else if (TAG_KIND(tag) == TAG_PROOF && for_sync)
                    on_proof(h, f, &rs);
                gs_response_clear(&rs);
            }
            while (gs_hub_peer_expire(src->peer, now, &tag) == 1) {
                if ((TAG_KIND(tag) == TAG_ENTRIES || TAG_KIND(tag) == TAG_PROOF) &&
                    f->sync.active && (int)s == f->sync.source &&
                    TAG_GEN(tag) == (f->sync.gen & 0xffffff)) {
                    char why[300];
                    snprintf(why, sizeof why, "%s did not answer within %d s", src->cfg->endpoint,
                             REQUEST_TIMEOUT_MS / 1000);
                    if (TAG_KIND(tag) == TAG_PROOF)
                        sync_mismatch(h, f); /* no proof of a rewrite: (c) */
                    else
                        sync_next_source(h, f, why);
                }
            }
        }
        for (size_t k = 0; k < f->n_waiters;) {
            if (f->waiters[k].deadline_ms <= now) {
                send_status(h, f->waiters[k].socket, f->waiters[k].identity,
                            f->waiters[k].identity_len, f->waiters[k].request_id,
                            GS_STATUS_UNAVAILABLE,
                            "the hub is still fetching and verifying the entries: retry later");
                remove_waiter(f, k);
            } else {
                k++;
            }
        }
    }
}

static void push_witnesses(hub *h, int64_t now)
{
    h->witness_next_ms = 1000;
    for (size_t i = 0; i < h->n_witnesses; i++) {
        uint64_t size = 0;
        long next = 1000;
        gs_error err = {0};
        gs_witness_event ev = gs_witness_client_step(
            h->witnesses[i], h->own, h->own_checkpoint_size, now, &size, &next, &err);
        if (ev == GS_WITNESS_COSIGNED)
            logf_(h, GS_HUB_LOG_INFO, "witness %s cosigned %s size %llu",
                  gs_witness_client_name(h->witnesses[i]), h->cfg.origin, (unsigned long long)size);
        else if (ev == GS_WITNESS_FAILED)
            logf_(h, GS_HUB_LOG_WARN, "%s", err.msg);
        if (next < h->witness_next_ms)
            h->witness_next_ms = next;
    }
}

static size_t build_items(hub *h)
{
    size_t need = GS_NET_MAX_ENDPOINTS + 1 + h->n_witnesses;
    for (size_t i = 0; i < h->n_logs; i++)
        need += h->logs[i].n_sources;
    if (need > h->cap_items) {
        zmq_pollitem_t *p = realloc(h->items, need * sizeof *p);
        if (p == NULL)
            return gs_net_server_pollitems(h->server, h->items, h->cap_items);
        h->items = p;
        h->cap_items = need;
    }
    size_t n = gs_net_server_pollitems(h->server, h->items, GS_NET_MAX_ENDPOINTS + 1);
    for (size_t i = 0; i < h->n_logs; i++)
        for (size_t s = 0; s < h->logs[i].n_sources; s++) {
            void *sock = gs_hub_peer_socket(h->logs[i].sources[s].peer);
            if (sock != NULL)
                h->items[n++] = (zmq_pollitem_t){.socket = sock, .events = ZMQ_POLLIN};
        }
    for (size_t i = 0; i < h->n_witnesses; i++) {
        void *sock = gs_witness_client_socket(h->witnesses[i]);
        if (sock != NULL)
            h->items[n++] = (zmq_pollitem_t){.socket = sock, .events = ZMQ_POLLIN};
    }
    return n;
}

static long next_timeout(hub *h, int64_t now)
{
    long t = 1000;
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        long due = (long)(f->next_poll_ms - now);
        if (due < t)
            t = due;
        for (size_t s = 0; s < f->n_sources; s++) {
            long d = gs_hub_peer_next_deadline(f->sources[s].peer, now);
            if (d >= 0 && d < t)
                t = d;
        }
    }
    if (gs_log_committed_size(h->own) != h->own_checkpoint_size) {
        long due = (long)(h->last_checkpoint_ms + h->cfg.checkpoint_interval_ms - now);
        if (due < t)
            t = due;
    }
    if (h->n_witnesses > 0 && h->witness_next_ms < t)
        t = h->witness_next_ms;
    return t < 0 ? 0 : t;
}

static int run(hub *h)
{
    while (!gs_daemon_stopping()) {
        size_t n_items = build_items(h);
        int r = zmq_poll(h->items, (int)n_items, next_timeout(h, now_ms()));
        if (r < 0 && errno != EINTR) {
            logf_(h, GS_HUB_LOG_ERROR, "poll: %s", zmq_strerror(errno));
            return 1;
        }
        gs_net_request nrq;
        gs_error err;
        for (int k = 0; k < 256; k++) {
            if (gs_net_server_recv(h->server, &nrq, &err) <= 0)
                break;
            take_request(h, &nrq);
        }
        int64_t now = now_ms();
        read_sources(h, now);
        poll_sources(h, now);
        maybe_checkpoint(h, false);
        push_witnesses(h, now);
    }
    /* Batches are committed as they arrive; what a running sync fetched
     * above the cosigned size is cut back at the next start. The last
     * checkpoint covers every observation made. */
    for (size_t i = 0; i < h->n_logs; i++)
        fail_waiters(h, &h->logs[i], true, 0, GS_STATUS_UNAVAILABLE, "the hub is stopping");
    maybe_checkpoint(h, true);
    return 0;
}

/* ------------------------------------------------------------ start */

typedef struct {
    followed *f;
} ev_scan;

static int scan_evidence(void *ctx, int64_t id, const char *origin, gs_bytes data)
{
    (void)origin;
    followed *f = ((ev_scan *)ctx)->f;
    gs_statement st = {0};
    gs_error err;
    if (gs_wire_open_entry(data, &st, &err) == 0 && st.kind == GS_BODY_EVIDENCE &&
        st.u.evidence.kind != GS_EVIDENCE_BAD_ENTRIES && !f->frozen) {
        f->frozen = true;
        char what[400];
        gs_evidence_describe(&st.u.evidence, what, sizeof what);
        snprintf(f->frozen_reason, sizeof f->frozen_reason, "evidence #%lld: %s", (long long)id,
                 what);
    }
    gs_statement_clear(&st);
    return 0;
}

static int open_followed(hub *h, followed *f, gs_hub_followed *cfg, gs_error *err)
{
    f->cfg = cfg;
    f->next.source = -1;
    int rc = gs_vkey_format(&cfg->log_key, f->log_key_str, sizeof f->log_key_str, err);
    if (rc != 0)
        return rc;
    if ((rc = gs_log_open(&f->replica, h->store, cfg->origin, true, err)) != 0)
        return rc;
    char *note = NULL;
    uint64_t size = 0;
    rc = gs_log_latest_checkpoint(f->replica, &note, &size, err);
    if (rc == 0) {
        gs_checkpoint cp;
        if ((rc = open_note(f, note, strlen(note), &cp, err)) != 0) {
            free(note);
            return gs_error_wrap(err, "the cosigned checkpoint of %s held in %s", cfg->origin,
                                 h->cfg.database);
        }
        gs_hash at;
        if (cp.size > gs_log_committed_size(f->replica) ||
            gs_log_root_at(f->replica, cp.size, &at, err) != 0 ||
            memcmp(at.b, cp.root.b, 32) != 0) {
            gs_checkpoint_clear(&cp);
            free(note);
            return gs_error_set(err, GS_ECORRUPT,
                                "the replica of %s in %s does not match the "
                                "checkpoint it cosigned: the database was altered",
                                cfg->origin, h->cfg.database);
        }
        f->cosigned_size = cp.size;
        f->cosigned_root = cp.root;
        f->cosigned_note = note;
        gs_checkpoint_clear(&cp);
    } else if (rc == GS_ENOTFOUND) {
        f->cosigned_size = 0;
        gs_merkle_empty_root(&f->cosigned_root);
    } else {
        return rc;
    }
    /* A sync interrupted by a stop or a crash left entries above the
     * cosigned size: they were never vouched for. */
    if (gs_log_committed_size(f->replica) > f->cosigned_size) {
        logf_(h, GS_HUB_LOG_INFO, "%s: dropping %llu unverified entries of an interrupted sync",
              cfg->origin,
              (unsigned long long)(gs_log_committed_size(f->replica) - f->cosigned_size));
        if ((rc = gs_log_truncate(f->replica, f->cosigned_size, err)) != 0)
            return rc;
    }
    if ((rc = replay(f->replica, f->cosigned_size, &f->rules, err)) != 0)
        return rc;
    ev_scan es = {f};
    if ((rc = gs_store_list_evidence(h->store, cfg->origin, scan_evidence, &es, err)) != 0)
        return rc;
    int64_t now = now_ms();
    f->n_sources = cfg->n_sources;
    for (size_t s = 0; s < cfg->n_sources; s++) {
        src_state *src = &f->sources[s];
        src->cfg = &cfg->sources[s];
        src->last_ok_ms = now;
        if ((rc = gs_hub_peer_open(&src->peer, h->zctx, src->cfg->endpoint, &src->cfg->key.key,
                                   &h->key, h->cfg.max_message + GS_NET_FRAME_SLACK, err)) != 0)
            return gs_error_wrap(err, "[log %s] source", cfg->origin);
    }
    return 0;
}

static int open_publishers(hub *h, gs_error *err)
{
    uint8_t curve_pub[32], curve_sec[32];
    int rc = gs_keypair_to_curve(&h->key, curve_pub, curve_sec, err);
    if (rc != 0)
        return rc;
    rc = 0;
    for (size_t i = 0; i < h->cfg.n_publish && rc == 0; i++) {
        const char *ep = h->cfg.publish[i];
        void *s = zmq_socket(h->zctx, ZMQ_PUB);
        if (s == NULL) {
            rc = gs_error_set(err, GS_EIO, "zmq socket: %s", zmq_strerror(errno));
            break;
        }
        h->pub[h->n_pub++] = s;
        int linger = 0, hwm = 10000;
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        if (strncmp(ep, "tcp://", 6) == 0) {
            /* The same CURVE identity and ZAP domain as the ROUTER sockets,
             * answered by the same handler (net.c). */
            int one = 1;
            if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
                zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, curve_sec, 32) != 0 ||
                zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "giamsat", 7) != 0)
                rc = gs_error_set(err, GS_EIO, "curve on %s: %s", ep, zmq_strerror(errno));
        }
        if (rc == 0 && zmq_bind(s, ep) != 0)
            rc = gs_error_set(err, GS_EIO, "cannot publish on %s: %s", ep, zmq_strerror(errno));
    }
    sodium_memzero(curve_sec, sizeof curve_sec);
    return rc;
}

static int start(hub *h, const char *config_path, gs_error *err)
{
    int rc = gs_hub_config_load(config_path, &h->cfg, err);
    if (rc != 0)
        return rc;
    if ((rc = gs_daemon_read_key(h->cfg.key_path, h->cfg.passphrase_file, &h->key, err)) != 0)
        return rc;
    if ((rc = gs_daemon_open_log(&h->store, &h->own, h->cfg.database, h->cfg.origin, "hub", err)) !=
        0)
        return rc;
    if ((rc = replay(h->own, gs_log_committed_size(h->own), &h->own_rules, err)) != 0)
        return rc;
    gs_pubkey log_key;
    if (gs_rules_log_key(h->own_rules, &log_key) != 0 ||
        sodium_memcmp(log_key.b, h->key.pub.b, sizeof log_key.b) != 0)
        return gs_error_set(err, GS_EPERM, "key %s is not the log key of %s", h->cfg.key_path,
                            h->cfg.origin);
    char *note = NULL;
    if (gs_log_latest_checkpoint(h->own, &note, &h->own_checkpoint_size, NULL) != 0)
        h->own_checkpoint_size = 0;
    free(note);
    if ((h->jobs = calloc(GS_MAX_ENTRIES, sizeof *h->jobs)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if ((rc = gs_pool_new(&h->pool, h->cfg.verify_threads, err)) != 0)
        return rc;
    if ((h->zctx = zmq_ctx_new()) == NULL)
        return gs_error_set(err, GS_EIO, "zmq context: %s", zmq_strerror(errno));
    gs_net_server_config sc = {
        .endpoints = (const char *const *)h->cfg.listen,
        .n_endpoints = h->cfg.n_listen,
        .key = &h->key,
        .max_message = h->cfg.max_message,
        .public_read = h->cfg.public_read,
        .open_write = false,
        .writers = h->cfg.writers,
        .n_writers = h->cfg.n_writers,
    };
    if ((rc = gs_net_server_open(&h->server, h->zctx, &sc, err)) != 0)
        return rc;
    if ((rc = open_publishers(h, err)) != 0)
        return rc;
    if (h->cfg.n_logs > 0 && (h->logs = calloc(h->cfg.n_logs, sizeof *h->logs)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (size_t i = 0; i < h->cfg.n_logs; i++) {
        h->n_logs++;
        if ((rc = open_followed(h, &h->logs[i], &h->cfg.logs[i], err)) != 0)
            return rc;
    }
    for (size_t i = 0; i < h->cfg.n_witnesses; i++) {
        if ((rc = gs_witness_client_new(&h->witnesses[i], h->zctx, h->cfg.witnesses[i].endpoint,
                                        &h->cfg.witnesses[i].key, &h->key,
                                        h->cfg.max_message + GS_NET_FRAME_SLACK, err)) != 0)
            return gs_error_wrap(err, "[witness]");
        h->n_witnesses++;
    }
    h->last_checkpoint_ms = now_ms();
    return 0;
}

static void finish(hub *h)
{
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        end_sync(f);
        target_clear(&f->next);
        free(f->waiters);
        free(f->cosigned_note);
        gs_rules_state_free(&f->rules);
        for (size_t s = 0; s < f->n_sources; s++)
            gs_hub_peer_close(&f->sources[s].peer);
        gs_log_close(&f->replica);
    }
    free(h->logs);
    for (size_t i = 0; i < h->n_witnesses; i++)
        gs_witness_client_free(&h->witnesses[i]);
    for (size_t i = 0; i < h->n_pub; i++)
        zmq_close(h->pub[i]);
    gs_net_server_close(&h->server);
    if (h->zctx != NULL)
        zmq_ctx_term(h->zctx);
    free(h->items);
    free(h->jobs);
    gs_pool_free(&h->pool);
    gs_rules_state_free(&h->own_rules);
    gs_log_close(&h->own);
    gs_store_close(&h->store);
    gs_keypair_wipe(&h->key);
    gs_hub_config_clear(&h->cfg);
}

static const char usage[] =
    "usage: giamsat-hub --config DIR/hub.conf\n"
    "\n"
    "Follows the logs named in the configuration: fetches and verifies every entry,\n"
    "cosigns checkpoints only once it holds and has verified everything up to them,\n"
    "serves the replicas, records evidence of any fork, rewrite or rollback in its\n"
    "own log, and publishes checkpoint/<origin> and alert/<origin> events.\n"
    "\n"
    "  --config FILE   the hub's configuration, as written by `giamsat hub init`\n"
    "                  and extended by `giamsat hub follow`\n"
    "  --help          this text\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 clean stop, 1 runtime\n"
    "failure, 2 bad configuration or environment.\n";

int main(int argc, char **argv)
{
    const char *config = NULL;
    int exit_status = gs_daemon_init(argc, argv, "giamsat-hub", usage, &config);
    if (exit_status >= 0)
        return exit_status;
    gs_error err = {0};

    hub h = {0};
    int status = 0;
    if (start(&h, config, &err) != 0) {
        logf_(NULL, GS_HUB_LOG_ERROR, "cannot start: %s", err.msg);
        status = 2;
    } else {
        logf_(&h, GS_HUB_LOG_INFO, "hub %s: own log size %llu, following %zu log(s)", h.cfg.origin,
              (unsigned long long)gs_log_committed_size(h.own), h.n_logs);
        for (size_t i = 0; i < h.n_logs; i++)
            logf_(&h, GS_HUB_LOG_INFO, "following %s: cosigned size %llu%s%s",
                  h.logs[i].cfg->origin, (unsigned long long)h.logs[i].cosigned_size,
                  h.logs[i].frozen ? ", FROZEN: " : "", h.logs[i].frozen_reason);
        for (size_t i = 0; i < h.cfg.n_listen; i++)
            logf_(&h, GS_HUB_LOG_INFO, "listening on %s", h.cfg.listen[i]);
        for (size_t i = 0; i < h.cfg.n_publish; i++)
            logf_(&h, GS_HUB_LOG_INFO, "publishing on %s", h.cfg.publish[i]);
        status = run(&h);
        logf_(&h, GS_HUB_LOG_INFO, "stopped: %llu cosigned, %llu evidence, own log size %llu",
              (unsigned long long)h.cosigned_total, (unsigned long long)h.evidence_total,
              (unsigned long long)gs_log_committed_size(h.own));
    }
    finish(&h);
    return status;
}
