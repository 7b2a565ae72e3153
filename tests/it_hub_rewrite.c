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
 * A fourth node holds 1,500 valid entries, then an officer appointing a
 * head (rule 8 forbids it): the rule-violation evidence needs the whole
 * history (1,503 entries), far more than one entry of the hub's log. The
 * hub must record it in hash-chained parts that verify together
 * (gs_evidence_verify_parts, and `giamsat verify-evidence` given every part
 * file), and freeze the origin.
 *
 * usage: it_hub_rewrite BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

/* With the node stopped: `count` appointments of inspectors by the node
 * key, an officer, and the officer appointing a head (rule 8: only the node
 * key may), then a checkpoint. Returns the offending entry's index. */
static uint64_t plant_violation(unit *u, uint64_t count)
{
    char path[700];
    gs_store *s = NULL;
    gs_log *l = NULL;
    gs_error err;
    gs_keypair officer;
    gs_keypair_generate(&officer);
    snprintf(path, sizeof path, "%s/node.db", u->n.dir);
    CHECK(gs_store_open(&s, path, &err) == 0, "%s", err.msg);
    CHECK(gs_log_open(&l, s, u->n.origin, false, &err) == 0, "%s", err.msg);
    uint64_t seq = gs_log_size(l) + 1;
    for (uint64_t i = 0; i <= count + 1; i++) {
        gs_keypair p;
        gs_keypair_generate(&p);
        bool last = i == count + 1;
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = i == count ? officer.pub : p.pub;
        st.u.appointment.name = "Pham Van D";
        st.u.appointment.role = last         ? GS_ROLE_HEAD
                                : i == count ? GS_ROLE_OFFICER
                                             : GS_ROLE_INSPECTOR;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        gs_buf e = last ? it_sign(&st, &officer, u->n.origin, 1)
                        : it_sign(&st, &u->n.key, u->n.origin, seq++);
        gs_bytes b = gs_bytes_of(e.p, e.n);
        CHECK(gs_log_append(l, &b, 1, NULL, &err) == 0, "%s", err.msg);
        gs_buf_free(&e);
        gs_keypair_wipe(&p);
    }
    uint64_t offending = gs_log_size(l) - 1;
    char *note = NULL;
    CHECK(gs_log_sign_checkpoint(l, &u->n.key, &note, &err) == 0, "%s", err.msg);
    free(note);
    gs_log_close(&l);
    gs_store_close(&s);
    gs_keypair_wipe(&officer);
    return offending;
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

/* `giamsat audit` of the hub finds the parts in the hub's log and in its
 * GetEvidence answer, joins them by their chain and reports each as proof
 * against the log (a part alone is not), and exits 1. */
static void check_audit_joins(const it_hub *h, const unit *d, size_t n_parts)
{
    char trust[700], cli[700];
    snprintf(trust, sizeof trust, "%s/audit.policy", it_tmpdir());
    FILE *tf = fopen(trust, "w");
    CHECK(tf != NULL, "cannot write %s", trust);
    fprintf(tf, "log %s\nlog %s\nwitness prov %s\nquorum none\n", d->log_key, h->log_key,
            h->cosigner_key);
    fclose(tf);
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    char *argv_a[] = {
        it_arg(cli), it_arg("audit"),    it_arg("--connect"), it_arg(h->ipc),   it_arg("--trust"),
        trust,       it_arg("--origin"), it_arg(d->n.origin), it_arg("--json"), NULL};
    size_t cap = 16 << 20;
    char *out = malloc(cap);
    CHECK(out != NULL, "out of memory");
    int status = it_run(argv_a, out, cap);
    json_error_t je;
    json_t *doc = json_loads(out, 0, &je);
    CHECK(doc != NULL, "giamsat audit --json (exit %d) is not JSON: %s", status, je.text);
    CHECK(status == 1, "giamsat audit exited %d with proven evidence", status);
    size_t i, proven = 0;
    json_t *e;
    uint64_t seen = 0;
    json_array_foreach(json_object_get(doc, "evidence"), i, e)
    {
        const char *origin = json_string_value(json_object_get(e, "origin"));
        const char *kind = json_string_value(json_object_get(e, "kind"));
        if (origin == NULL || strcmp(origin, d->n.origin) != 0 || kind == NULL ||
            strcmp(kind, "rule-violation") != 0)
            continue;
        json_int_t part = json_integer_value(json_object_get(e, "part"));
        CHECK(strcmp(json_string_value(json_object_get(e, "verdict")), "proof") == 0,
              "the audit did not join part %lld: %s", (long long)part,
              json_string_value(json_object_get(e, "error")));
        CHECK(json_integer_value(json_object_get(e, "parts")) == (json_int_t)n_parts && part >= 1 &&
                  part <= (json_int_t)n_parts && part <= 64 && !(seen & (1ull << (part - 1))),
              "the audit reports part %lld of %lld", (long long)part,
              (long long)json_integer_value(json_object_get(e, "parts")));
        seen |= 1ull << (part - 1);
        proven++;
    }
    CHECK(proven == n_parts, "the audit reports %zu of the %zu parts as proof", proven, n_parts);
    json_decref(doc);
    free(out);
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

    /* 6. The long history with a broken rule. */
    unit d = {.name = "tan-dinh"};
    it_node_init(&d.n, bin, d.name, false, NULL);
    it_vkey(d.log_key, d.n.origin, GS_VKEY_ALG_ED25519, &d.n.key.pub);
    CHECK(gs_vkey_parse(d.log_key, &d.vkey, &err) == 0, "%s", err.msg);
    uint64_t offending = plant_violation(&d, 1500);
    it_node_start(&d.n, bin);
    it_node_wait_ready(&d.n, zctx);
    it_hub_stop(&h, SIGTERM);
    const char *src_d[] = {d.n.ipc};
    it_hub_follow(&h, bin, d.n.origin, d.log_key, src_d, 1);
    it_hub_start(&h, bin);
    it_hub_wait_ready(&h, zctx);
    gs_buf *items = NULL;
    size_t n_items = 0;
    for (int64_t end = it_now_ms() + WAIT_MS; it_now_ms() < end;) {
        it_get_evidence(zctx, h.ipc, d.n.origin, &items, &n_items);
        if (n_items > 0)
            break;
        free(items);
        items = NULL;
        it_sleep_ms(100);
    }
    CHECK(n_items >= 2, "%zu evidence entries against %s, expected its parts; see %s", n_items,
          d.n.origin, h.log);
    gs_statement *sts = calloc(n_items, sizeof *sts);
    const gs_evidence **parts = calloc(n_items, sizeof *parts);
    CHECK(sts != NULL && parts != NULL, "out of memory");
    char trust[700], cmdline_files[64][700];
    CHECK(n_items <= 64, "%zu parts", n_items);
    snprintf(trust, sizeof trust, "%s/trust.policy", it_tmpdir());
    FILE *tf = fopen(trust, "w");
    CHECK(tf != NULL, "cannot write %s", trust);
    fprintf(tf, "log %s\nquorum none\n", d.log_key);
    fclose(tf);
    for (size_t k = 0; k < n_items; k++) {
        CHECK(gs_wire_open_entry(gs_bytes_of(items[k].p, items[k].n), &sts[k], &err) == 0 &&
                  sts[k].kind == GS_BODY_EVIDENCE,
              "evidence entry %zu: %s", k, err.msg);
        parts[k] = &sts[k].u.evidence;
        CHECK(parts[k]->kind == GS_EVIDENCE_RULE_VIOLATION && parts[k]->part == k + 1 &&
                  parts[k]->parts == n_items,
              "entry %zu is not part %zu of %zu", k, k + 1, n_items);
        CHECK(gs_evidence_verify(parts[k], &d.vkey, &err) != 0, "part %zu alone verified", k + 1);
        /* Written in reverse order: the command puts them in order. */
        snprintf(cmdline_files[n_items - 1 - k], sizeof cmdline_files[0], "%s/part-%zu.evidence",
                 it_tmpdir(), k + 1);
        FILE *pf = fopen(cmdline_files[n_items - 1 - k], "wb");
        CHECK(pf != NULL && fwrite(items[k].p, 1, items[k].n, pf) == items[k].n,
              "cannot write a part");
        fclose(pf);
    }
    CHECK(gs_evidence_verify_parts(parts, n_items, &d.vkey, &err) == 0,
          "the parts do not verify together: %s", err.msg);
    uint64_t carried = 0;
    for (size_t k = 0; k < n_items; k++)
        carried += parts[k]->n_entries;
    CHECK(carried == offending + 1, "the parts carry %llu entries, not %llu",
          (unsigned long long)carried, (unsigned long long)offending + 1);
    char cli[700], out[8192];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    char *argv_v[80];
    size_t a = 0;
    argv_v[a++] = it_arg(cli);
    argv_v[a++] = it_arg("verify-evidence");
    for (size_t k = 0; k < n_items; k++)
        argv_v[a++] = cmdline_files[k];
    argv_v[a++] = it_arg("--trust");
    argv_v[a++] = trust;
    argv_v[a] = NULL;
    int status = it_run(argv_v, out, sizeof out);
    CHECK(status == 0 && strstr(out, "PROOF") != NULL,
          "giamsat verify-evidence with the %zu parts: exit %d: %s", n_items, status, out);
    char *one[] = {argv_v[0], argv_v[1], argv_v[2], it_arg("--trust"), trust, NULL};
    status = it_run(one, out, sizeof out);
    CHECK(status == 1 && strstr(out, "NOT PROOF") != NULL,
          "giamsat verify-evidence with one part: exit %d: %s", status, out);
    check_audit_joins(&h, &d, n_items);
    char *note = it_get_checkpoint(zctx, d.n.ipc, "", NULL);
    gs_request rq = {.op = GS_OP_ADD_CHECKPOINT, .origin = ""};
    rq.u.add_checkpoint.old_size = 0;
    rq.u.add_checkpoint.checkpoint = note;
    gs_response rs = call(h.ipc, &rq);
    CHECK(rs.code == GS_STATUS_PERMISSION_DENIED, "AddCheckpoint of %s after (d): %s %s",
          d.n.origin, gs_status_name(rs.code), rs.message);
    gs_response_clear(&rs);
    free(note);
    printf("ok 6 - a broken rule after 1,502 entries: rule-violation evidence in %zu parts of "
           "at most %d entries, verified together (and by giamsat verify-evidence), the origin "
           "frozen\n",
           n_items, GS_MAX_EVIDENCE_ENTRIES);
    for (size_t k = 0; k < n_items; k++) {
        gs_statement_clear(&sts[k]);
        gs_buf_free(&items[k]);
    }
    free(items);
    free(sts);
    free(parts);
    it_node_stop(&d.n, SIGTERM);
    gs_keypair_wipe(&d.n.key);

    it_hub_stop(&h, SIGTERM);
    for (size_t i = 0; i < nu; i++) {
        it_node_stop(&units[i].n, SIGTERM);
        gs_keypair_wipe(&units[i].n.key);
    }
    gs_keypair_wipe(&h.key);
    zmq_ctx_term(zctx);
    return 0;
}
