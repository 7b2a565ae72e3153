/* gs_tool.c — the attacker's kit for the integration tests. It does what a
 * compromised key or a tampered disk could do, so the tests can check that
 * every such act is caught with evidence. Never built into anything a user
 * runs.
 *
 *   gs_tool note KEYFILE ORIGIN SIZE ROOT_B64
 *       print a checkpoint note for (origin, size, root) signed with KEYFILE
 *   gs_tool add-checkpoint EP SERVER_VKEY|- OLD_SIZE NOTEFILE [DB]
 *       send AddCheckpoint to a witness; with DB, the consistency proof from
 *       OLD_SIZE is made from that store's log for the note's origin;
 *       prints the status name and message (exit 0 on OK, 1 otherwise)
 *   gs_tool alter-entry DB ORIGIN INDEX [--fix-leaf]
 *       flip one byte of an entry's data on disk; with --fix-leaf also
 *       rewrite its stored leaf hash so the store serves the altered bytes
 *   gs_tool truncate DB ORIGIN SIZE
 *       cut a log back to SIZE entries (a rollback on disk)
 *   gs_tool append-forged DB ORIGIN SIGNER_KEYFILE
 *       append, bypassing the rule book, a statement claiming to be signed
 *       by SIGNER_KEYFILE's key but carrying a signature that is not its own
 *   gs_tool append-feedback DB ORIGIN KEYFILE SEQ TEXT
 *       append, bypassing the node, a valid feedback statement (to regrow a
 *       truncated log with different entries)
 *   gs_tool append-feedbacks DB ORIGIN COUNT TEXT
 *       append COUNT valid feedback statements at once, each from a fresh
 *       citizen key (so no daily limit applies), text "TEXT-<k>"; one
 *       process and one transaction for what would take COUNT submissions
 *   gs_tool sign-checkpoint DB ORIGIN KEYFILE
 *       sign and store a checkpoint of the log's current size
 *   gs_tool root DB ORIGIN [SIZE]
 *       print the log's size and base64 root (at SIZE when given)
 *   gs_tool append-observation DB ORIGIN HUB_KEYFILE SEQ
 *       append, bypassing the hub, a valid Observation statement signed by
 *       the hub key (a made-up origin, size and root) to a hub's own log (to
 *       regrow a rewritten hub log with entries the rule book accepts)
 *   gs_tool verify-note NOTEFILE TRUSTFILE
 *       check a checkpoint note against a trust policy (common/policy.h):
 *       print "log-signed ORIGIN SIZE" when a listed log key signed it, then
 *       one line "cosigned NAME" per witness of the policy whose
 *       cosignature/v1 line verifies (NAME is the witness's policy name);
 *       exit 0 when the log signature verifies, 1 otherwise (the quorum
 *       does not matter here: the caller checks the names it needs)
 *   gs_tool false-evidence KEYFILE IN OUT
 *       read an evidence file IN (a SignedStatement with an Evidence body),
 *       make its claim false (checkpoint_b replaced by checkpoint_a: one
 *       checkpoint twice proves nothing) and sign it anew with KEYFILE as a
 *       monitor would (origin = the accused log): a lying detector
 *   gs_tool subscribe EP SECONDS
 *       subscribe to a hub's PUB endpoint (ipc://) and print one line per
 *       event: the topic, and for alerts the evidence kind when the payload
 *       is an evidence entry; stops after SECONDS
 *   gs_tool report-html JSON_FILE LANG OUT_FILE
 *       draw the HTML report (common/report_html.h) of an audit's JSON
 *       document in LANG (en or vi); exit 2 on a bad document or language
 *   gs_tool witness-body DB OLD_SIZE NOTEFILE
 *       print the c2sp.org/tlog-witness add-checkpoint body for the note:
 *       "old OLD_SIZE", the consistency proof from OLD_SIZE to the note's
 *       size made from DB's log for the note's origin (none from 0), an
 *       empty line, the note
 *   gs_tool add-checkpoint-body EP SERVER_VKEY|- BODYFILE
 *       send the request a tlog-witness body says (gs_cosign_parse_body)
 *       as a ZeroMQ AddCheckpoint; print the status name on one line, then
 *       what the HTTP door would put in its body: the cosignature line, the
 *       size of a CONFLICT, or the message; exit 0 on OK, 1 otherwise
 *   gs_tool forge-snapshot DB ORIGIN flip|root|state [KEYFILE]
 *       alter the newest rule snapshot of the log: flip one byte of its
 *       state (seal left as it was); or, sealed again with KEYFILE's seal
 *       key (the node's own key: an attacker holding it), give it another
 *       root, or raise the first key's last seq by one in its state (bytes
 *       that parse, a state the log does not give); prints its size
 */
#define _POSIX_C_SOURCE 200809L
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cosign.h"
#include "ingest.h"
#include "crypto.h"
#include "log.h"
#include "merkle.h"
#include "net.h"
#include "note.h"
#include "policy.h"
#include "report_html.h"
#include "store.h"
#include "wire.h"

static int die(const char *what, const char *arg)
{
    fprintf(stderr, "gs_tool: %s%s\n", what, arg);
    exit(2);
}

static void check(int rc, const gs_error *err)
{
    if (rc != 0)
        die("", err->msg);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        die("cannot read ", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void open_log(const char *db, const char *origin, gs_store **st, gs_log **log)
{
    gs_error err;
    check(gs_store_open(st, db, &err), &err);
    check(gs_log_open(log, *st, origin, false, &err), &err);
}

static int cmd_note(char **a)
{
    gs_error err;
    gs_keypair kp;
    check(gs_keyfile_read(a[0], NULL, &kp, &err), &err);
    gs_hash root;
    size_t n = 0;
    check(gs_base64_decode(root.b, 32, &n, a[3], strlen(a[3]), &err), &err);
    char *body = NULL, *note = NULL;
    check(gs_checkpoint_format(a[1], strtoull(a[2], NULL, 10), &root, &body, &err), &err);
    check(gs_note_sign(body, strlen(body), a[1], &kp, &note, &err), &err);
    fputs(note, stdout);
    free(body);
    free(note);
    gs_keypair_wipe(&kp);
    return 0;
}

static int cmd_add_checkpoint(char **a, int argc)
{
    gs_error err;
    char *note = read_file(a[3]);
    uint64_t old = strtoull(a[2], NULL, 10);
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t np = 0;
    if (argc > 4 && old > 0) {
        gs_note *n = NULL;
        gs_checkpoint cp = {0};
        size_t tl;
        check(gs_note_parse(note, strlen(note), &n, &err), &err);
        const char *text = gs_note_text(n, &tl);
        check(gs_checkpoint_parse(text, tl, &cp, &err), &err);
        gs_store *st = NULL;
        gs_log *log = NULL;
        open_log(a[4], cp.origin, &st, &log);
        check(gs_log_prove_consistency(log, old, cp.size, proof, &np, &err), &err);
        gs_log_close(&log);
        gs_store_close(&st);
        gs_checkpoint_clear(&cp);
        gs_note_free(&n);
    }
    gs_vkey vk;
    const gs_pubkey *server = NULL;
    if (strcmp(a[1], "-") != 0) {
        check(gs_vkey_parse(a[1], &vk, &err), &err);
        server = &vk.key;
    }
    void *ctx = zmq_ctx_new();
    gs_net_client *c = NULL;
    check(gs_net_client_open(&c, ctx, a[0], server, NULL, 30000, GS_MAX_MESSAGE, &err), &err);
    gs_request rq = {.version = 1, .op = GS_OP_ADD_CHECKPOINT, .origin = ""};
    rq.u.add_checkpoint.old_size = old;
    rq.u.add_checkpoint.proof = proof;
    rq.u.add_checkpoint.n_proof = np;
    rq.u.add_checkpoint.checkpoint = note;
    gs_response rs = {0};
    check(gs_net_client_call(c, &rq, &rs, &err), &err);
    printf("%s %s\n", gs_status_name(rs.code), rs.message != NULL ? rs.message : "");
    int status = rs.code == GS_STATUS_OK ? 0 : 1;
    gs_response_clear(&rs);
    gs_net_client_close(&c);
    zmq_ctx_term(ctx);
    free(note);
    return status;
}

/* The store's row id of an entry: (log id << 40) | index (store.c). */
static int cmd_alter_entry(char **a, int argc)
{
    gs_error err;
    gs_store *st = NULL;
    gs_store_log_state ls;
    check(gs_store_open(&st, a[0], &err), &err);
    check(gs_store_log_find(st, a[1], false, &ls, &err), &err);
    gs_store_close(&st);
    sqlite3_int64 id = (sqlite3_int64)(((uint64_t)ls.id << 40) | strtoull(a[2], NULL, 10));
    sqlite3 *db;
    if (sqlite3_open(a[0], &db) != SQLITE_OK)
        die("cannot open ", a[0]);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT data, hashes FROM entries WHERE id = ?", -1, &q, NULL);
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) != SQLITE_ROW)
        die("no entry ", a[2]);
    size_t n = (size_t)sqlite3_column_bytes(q, 0);
    size_t hn = (size_t)sqlite3_column_bytes(q, 1);
    uint8_t *data = malloc(n), *hashes = malloc(hn);
    memcpy(data, sqlite3_column_blob(q, 0), n);
    memcpy(hashes, sqlite3_column_blob(q, 1), hn);
    sqlite3_finalize(q);
    /* A byte inside the statement's text: the signature will not verify. */
    data[n / 2] ^= 0x20;
    if (argc > 3 && strcmp(a[3], "--fix-leaf") == 0) {
        gs_hash leaf;
        gs_merkle_leaf_hash(gs_bytes_of(data, n), &leaf);
        memcpy(hashes, leaf.b, 32);
    }
    sqlite3_prepare_v2(db, "UPDATE entries SET data = ?, hashes = ? WHERE id = ?", -1, &q, NULL);
    sqlite3_bind_blob(q, 1, data, (int)n, SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, hashes, (int)hn, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, id);
    if (sqlite3_step(q) != SQLITE_DONE)
        die("update failed: ", sqlite3_errmsg(db));
    sqlite3_finalize(q);
    sqlite3_close(db);
    free(data);
    free(hashes);
    return 0;
}

static int cmd_truncate(char **a)
{
    gs_error err;
    gs_store *st = NULL;
    gs_log *log = NULL;
    open_log(a[0], a[1], &st, &log);
    check(gs_log_truncate(log, strtoull(a[2], NULL, 10), &err), &err);
    gs_log_close(&log);
    gs_store_close(&st);
    return 0;
}

static void append_raw(const char *db, const char *origin, gs_bytes entry)
{
    gs_error err;
    gs_store *st = NULL;
    gs_log *log = NULL;
    open_log(db, origin, &st, &log);
    uint64_t first;
    check(gs_log_append(log, &entry, 1, &first, &err), &err);
    printf("%llu\n", (unsigned long long)first);
    gs_log_close(&log);
    gs_store_close(&st);
}

static int cmd_append_forged(char **a)
{
    gs_error err;
    gs_keypair victim, forger;
    check(gs_keyfile_read(a[2], NULL, &victim, &err), &err);
    gs_keypair_generate(&forger);
    gs_statement s = {.kind = GS_BODY_FEEDBACK};
    s.signer = victim.pub;
    s.seq = 999999;
    s.issued_at = (int64_t)time(NULL);
    s.origin = a[1];
    s.u.feedback.text = "forged words in another's name";
    gs_buf stmt = {0}, entry = {0};
    check(gs_wire_encode_statement(&s, &stmt, &err), &err);
    gs_sig sig;
    gs_sign(&forger, GS_DOMAIN_STATEMENT, gs_bytes_of(stmt.p, stmt.n), &sig);
    check(gs_wire_encode_signed_statement(gs_bytes_of(stmt.p, stmt.n), &sig, &entry, &err), &err);
    append_raw(a[0], a[1], gs_bytes_of(entry.p, entry.n));
    gs_buf_free(&stmt);
    gs_buf_free(&entry);
    gs_keypair_wipe(&victim);
    gs_keypair_wipe(&forger);
    return 0;
}

static int cmd_append_feedback(char **a)
{
    gs_error err;
    gs_keypair kp;
    check(gs_keyfile_read(a[2], NULL, &kp, &err), &err);
    gs_statement s = {.kind = GS_BODY_FEEDBACK};
    s.signer = kp.pub;
    s.seq = strtoull(a[3], NULL, 10);
    s.issued_at = (int64_t)time(NULL);
    s.origin = a[1];
    s.u.feedback.text = a[4];
    gs_buf entry = {0};
    check(gs_wire_sign_statement(&s, &kp, &entry, &err), &err);
    append_raw(a[0], a[1], gs_bytes_of(entry.p, entry.n));
    gs_buf_free(&entry);
    gs_keypair_wipe(&kp);
    return 0;
}

static int cmd_append_feedbacks(char **a)
{
    gs_error err;
    long count = strtol(a[2], NULL, 10);
    if (count <= 0 || count > 100000)
        return die("append-feedbacks: COUNT must be 1..100000, got ", a[2]);
    gs_buf *entries = calloc((size_t)count, sizeof *entries);
    gs_bytes *views = calloc((size_t)count, sizeof *views);
    if (entries == NULL || views == NULL)
        return die("out of memory", "");
    size_t tl = strlen(a[3]) + 24;
    char *text = malloc(tl);
    if (text == NULL)
        return die("out of memory", "");
    for (long k = 0; k < count; k++) {
        gs_keypair kp;
        gs_keypair_generate(&kp);
        snprintf(text, tl, "%s-%ld", a[3], k);
        gs_statement s = {.kind = GS_BODY_FEEDBACK};
        s.signer = kp.pub;
        s.seq = 1;
        s.issued_at = (int64_t)time(NULL);
        s.origin = a[1];
        s.u.feedback.text = text;
        check(gs_wire_sign_statement(&s, &kp, &entries[k], &err), &err);
        views[k] = gs_bytes_of(entries[k].p, entries[k].n);
        gs_keypair_wipe(&kp);
    }
    gs_store *st = NULL;
    gs_log *log = NULL;
    open_log(a[0], a[1], &st, &log);
    uint64_t first;
    check(gs_log_append(log, views, (size_t)count, &first, &err), &err);
    printf("%llu\n", (unsigned long long)(first + (uint64_t)count - 1));
    gs_log_close(&log);
    gs_store_close(&st);
    for (long k = 0; k < count; k++)
        gs_buf_free(&entries[k]);
    free(entries);
    free(views);
    free(text);
    return 0;
}

static int cmd_append_observation(char **a)
{
    gs_error err;
    gs_keypair kp;
    check(gs_keyfile_read(a[2], NULL, &kp, &err), &err);
    gs_statement s = {.kind = GS_BODY_OBSERVATION};
    s.signer = kp.pub;
    s.seq = strtoull(a[3], NULL, 10);
    s.issued_at = (int64_t)time(NULL);
    s.origin = a[1];
    s.u.observation.origin = "giamsat/commune/invented";
    s.u.observation.size = s.seq;
    crypto_hash_sha256(s.u.observation.root.b, (const unsigned char *)a[3], strlen(a[3]));
    s.u.observation.time = s.issued_at;
    gs_buf entry = {0};
    check(gs_wire_sign_statement(&s, &kp, &entry, &err), &err);
    append_raw(a[0], a[1], gs_bytes_of(entry.p, entry.n));
    gs_buf_free(&entry);
    gs_keypair_wipe(&kp);
    return 0;
}

static int cmd_verify_note(char **a)
{
    gs_error err;
    gs_policy *pol = NULL;
    check(gs_policy_load(a[1], &pol, &err), &err);
    char *note = read_file(a[0]);
    gs_policy_result res = {0};
    /* The quorum may be unmet on purpose (a cosignature still missing):
     * only the log signature decides the exit status. */
    int quorum_met = gs_policy_verify_checkpoint(pol, note, strlen(note), &res, &err) == 0;
    (void)quorum_met;
    int status = 1;
    if (res.log_signed) {
        status = 0;
        printf("log-signed %s %llu\n", res.origin, (unsigned long long)res.size);
        for (size_t i = 0; i < res.n_witnesses; i++) {
            const char *name = NULL;
            gs_policy_witness_at(pol, i, &name, NULL);
            if (res.cosigned != NULL && res.cosigned[i])
                printf("cosigned %s\n", name);
        }
    } else {
        fprintf(stderr, "gs_tool: the note is not signed by a log of %s: %s\n", a[1], err.msg);
    }
    gs_policy_result_clear(&res);
    gs_policy_free(&pol);
    free(note);
    return status;
}

static int cmd_sign_checkpoint(char **a)
{
    gs_error err;
    gs_keypair kp;
    check(gs_keyfile_read(a[2], NULL, &kp, &err), &err);
    gs_store *st = NULL;
    gs_log *log = NULL;
    open_log(a[0], a[1], &st, &log);
    char *note = NULL;
    check(gs_log_sign_checkpoint(log, &kp, &note, &err), &err);
    fputs(note, stdout);
    free(note);
    gs_log_close(&log);
    gs_store_close(&st);
    gs_keypair_wipe(&kp);
    return 0;
}

static int cmd_root(char **a, int argc)
{
    gs_error err;
    gs_store *st = NULL;
    gs_log *log = NULL;
    open_log(a[0], a[1], &st, &log);
    uint64_t size = argc > 2 ? strtoull(a[2], NULL, 10) : gs_log_size(log);
    gs_hash root;
    check(gs_log_root_at(log, size, &root, &err), &err);
    char b64[64];
    gs_base64_encode(b64, sizeof b64, gs_bytes_of(root.b, 32));
    printf("%llu %s\n", (unsigned long long)size, b64);
    gs_log_close(&log);
    gs_store_close(&st);
    return 0;
}

static int cmd_subscribe(char **a)
{
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(sub, a[0]) != 0)
        die("cannot connect to ", a[0]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    time_t end = time(NULL) + strtol(a[1], NULL, 10);
    while (time(NULL) < end) {
        zmq_pollitem_t it = {.socket = sub, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, 200) <= 0)
            continue;
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&topic, sub, 0) < 0)
            continue;
        if (zmq_msg_more(&topic))
            zmq_msg_recv(&body, sub, 0);
        printf("%.*s", (int)zmq_msg_size(&topic), (const char *)zmq_msg_data(&topic));
        if (strncmp(zmq_msg_data(&topic), "alert/", 6) == 0) {
            gs_statement st = {0};
            gs_error err;
            if (gs_wire_open_entry(gs_bytes_of(zmq_msg_data(&body), zmq_msg_size(&body)), &st,
                                   &err) == 0 &&
                st.kind == GS_BODY_EVIDENCE)
                printf(" evidence-kind=%d", (int)st.u.evidence.kind);
            gs_statement_clear(&st);
        }
        printf("\n");
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return 0;
}

static int cmd_false_evidence(char **a)
{
    gs_error err;
    gs_keypair kp;
    size_t n = 0;
    char *in = NULL;
    FILE *f = fopen(a[1], "rb");
    if (f == NULL)
        die("cannot read ", a[1]);
    in = malloc(GS_MAX_ENTRY + 1);
    n = fread(in, 1, GS_MAX_ENTRY + 1, f);
    fclose(f);
    gs_statement st = {0};
    check(gs_wire_open_entry(gs_bytes_of(in, n), &st, &err), &err);
    if (st.kind != GS_BODY_EVIDENCE || st.u.evidence.checkpoint_a == NULL)
        die("not evidence with a checkpoint_a: ", a[1]);
    check(gs_keyfile_read(a[0], NULL, &kp, &err), &err);
    const char *keep_origin = st.origin, *keep_b = st.u.evidence.checkpoint_b;
    st.u.evidence.checkpoint_b = st.u.evidence.checkpoint_a;
    st.origin = st.u.evidence.origin;
    st.signer = kp.pub;
    st.seq = (uint64_t)time(NULL) * 1000;
    gs_buf out = {0};
    check(gs_wire_sign_statement(&st, &kp, &out, &err), &err);
    st.origin = keep_origin;
    st.u.evidence.checkpoint_b = keep_b;
    f = fopen(a[2], "wb");
    if (f == NULL || fwrite(out.p, 1, out.n, f) != out.n || fclose(f) != 0)
        die("cannot write ", a[2]);
    gs_buf_free(&out);
    gs_statement_clear(&st);
    gs_keypair_wipe(&kp);
    free(in);
    return 0;
}

static int cmd_report_html(char **a)
{
    gs_error err;
    json_error_t jerr;
    json_t *doc = json_load_file(a[0], 0, &jerr);
    if (doc == NULL)
        die("cannot read the JSON document: ", jerr.text);
    FILE *f = fopen(a[2], "w");
    if (f == NULL)
        die("cannot write ", a[2]);
    int rc = gs_report_html_write(doc, a[1], f, &err);
    if (fclose(f) != 0 && rc == 0)
        die("cannot write ", a[2]);
    json_decref(doc);
    check(rc, &err);
    return 0;
}

static int cmd_witness_body(char **a)
{
    gs_error err;
    char *note = read_file(a[2]);
    uint64_t old = strtoull(a[1], NULL, 10);
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    size_t np = 0;
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    size_t tl;
    check(gs_note_parse(note, strlen(note), &n, &err), &err);
    const char *text = gs_note_text(n, &tl);
    check(gs_checkpoint_parse(text, tl, &cp, &err), &err);
    if (old > 0 && old < cp.size) {
        gs_store *st = NULL;
        gs_log *log = NULL;
        open_log(a[0], cp.origin, &st, &log);
        check(gs_log_prove_consistency(log, old, cp.size, proof, &np, &err), &err);
        gs_log_close(&log);
        gs_store_close(&st);
    }
    printf("old %llu\n", (unsigned long long)old);
    for (size_t i = 0; i < np; i++) {
        char b64[64];
        gs_base64_encode(b64, sizeof b64, gs_bytes_of(proof[i].b, 32));
        printf("%s\n", b64);
    }
    printf("\n%s", note);
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    free(note);
    return 0;
}

static int cmd_add_checkpoint_body(char **a)
{
    gs_error err;
    char *body = read_file(a[2]);
    uint64_t old;
    gs_hash proof[GS_COSIGN_MAX_PROOF_LINES];
    size_t np, nl;
    const char *note;
    check(gs_cosign_parse_body(body, strlen(body), &old, proof, &np, &note, &nl, &err), &err);
    gs_vkey vk;
    const gs_pubkey *server = NULL;
    if (strcmp(a[1], "-") != 0) {
        check(gs_vkey_parse(a[1], &vk, &err), &err);
        server = &vk.key;
    }
    void *ctx = zmq_ctx_new();
    gs_net_client *c = NULL;
    check(gs_net_client_open(&c, ctx, a[0], server, NULL, 30000, GS_MAX_MESSAGE, &err), &err);
    gs_request rq = {.version = 1, .op = GS_OP_ADD_CHECKPOINT, .origin = ""};
    rq.u.add_checkpoint.old_size = old;
    rq.u.add_checkpoint.proof = proof;
    rq.u.add_checkpoint.n_proof = np;
    rq.u.add_checkpoint.checkpoint = note; /* the rest of the body */
    gs_response rs = {0};
    check(gs_net_client_call(c, &rq, &rs, &err), &err);
    printf("%s\n", gs_status_name(rs.code));
    if (rs.result == GS_RESULT_COSIGNATURE && rs.u.cosignature != NULL)
        fputs(rs.u.cosignature, stdout);
    else if (rs.result == GS_RESULT_CONFLICT)
        printf("%llu\n", (unsigned long long)rs.u.conflict_size);
    else
        printf("%s\n", rs.message != NULL ? rs.message : "");
    int status = rs.code == GS_STATUS_OK ? 0 : 1;
    gs_response_clear(&rs);
    gs_net_client_close(&c);
    zmq_ctx_term(ctx);
    free(body);
    return status;
}

static int cmd_forge_snapshot(char **a, int argc)
{
    gs_error err;
    gs_store *st = NULL;
    gs_log *log = NULL;
    open_log(a[0], a[1], &st, &log);
    gs_store_log_state ls;
    check(gs_store_log_find(st, a[1], false, &ls, &err), &err);
    gs_store_snapshot snap;
    check(gs_store_get_snapshot(st, ls.id, UINT64_MAX, &snap, &err), &err);
    gs_ingest_seal_key key;
    if (strcmp(a[2], "flip") == 0) {
        snap.state.p[snap.state.n / 2] ^= 0x01;
    } else if (argc == 4 && (strcmp(a[2], "root") == 0 || strcmp(a[2], "state") == 0)) {
        gs_keypair kp;
        check(gs_keyfile_read(a[3], NULL, &kp, &err), &err);
        gs_ingest_seal_key_derive(&kp, &key);
        gs_keypair_wipe(&kp);
        if (strcmp(a[2], "root") == 0) {
            snap.root.b[0] ^= 0x01;
        } else {
            /* rules.c's layout: magic, origin, then 8+4+12+8+4+4+8+8+8
             * bytes of fields, the key count, the first key's 32 bytes,
             * then its last seq (little-endian) */
            size_t at = 16 + 4 + strlen(a[1]) + 64 + 8 + 32;
            if (at + 8 > snap.state.n)
                return die("forge-snapshot: the state holds no key", "");
            snap.state.p[at] += 1;
        }
        gs_ingest_snapshot_check(&key, a[1], snap.size, &snap.root,
                                 gs_bytes_of(snap.state.p, snap.state.n), &snap.check);
    } else {
        return die("forge-snapshot: flip, root KEYFILE or state KEYFILE, not ", a[2]);
    }
    check(gs_store_put_snapshot(st, ls.id, snap.size, &snap.root,
                                gs_bytes_of(snap.state.p, snap.state.n), &snap.check, &err),
          &err);
    printf("%llu\n", (unsigned long long)snap.size);
    gs_store_snapshot_clear(&snap);
    gs_log_close(&log);
    gs_store_close(&st);
    return 0;
}

int main(int argc, char **argv)
{
    gs_error err;
    check(gs_crypto_init(&err), &err);
    if (argc < 2)
        return die("usage: see the comment at the top of tests/gs_tool.c", "");
    const char *cmd = argv[1];
    char **a = argv + 2;
    int n = argc - 2;
    if (strcmp(cmd, "note") == 0 && n == 4)
        return cmd_note(a);
    if (strcmp(cmd, "add-checkpoint") == 0 && n >= 4)
        return cmd_add_checkpoint(a, n);
    if (strcmp(cmd, "alter-entry") == 0 && n >= 3)
        return cmd_alter_entry(a, n);
    if (strcmp(cmd, "truncate") == 0 && n == 3)
        return cmd_truncate(a);
    if (strcmp(cmd, "append-forged") == 0 && n == 3)
        return cmd_append_forged(a);
    if (strcmp(cmd, "append-feedback") == 0 && n == 5)
        return cmd_append_feedback(a);
    if (strcmp(cmd, "append-feedbacks") == 0 && n == 4)
        return cmd_append_feedbacks(a);
    if (strcmp(cmd, "sign-checkpoint") == 0 && n == 3)
        return cmd_sign_checkpoint(a);
    if (strcmp(cmd, "append-observation") == 0 && n == 4)
        return cmd_append_observation(a);
    if (strcmp(cmd, "verify-note") == 0 && n == 2)
        return cmd_verify_note(a);
    if (strcmp(cmd, "false-evidence") == 0 && n == 3)
        return cmd_false_evidence(a);
    if (strcmp(cmd, "subscribe") == 0 && n == 2)
        return cmd_subscribe(a);
    if (strcmp(cmd, "root") == 0 && n >= 2)
        return cmd_root(a, n);
    if (strcmp(cmd, "report-html") == 0 && n == 3)
        return cmd_report_html(a);
    if (strcmp(cmd, "witness-body") == 0 && n == 3)
        return cmd_witness_body(a);
    if (strcmp(cmd, "add-checkpoint-body") == 0 && n == 3)
        return cmd_add_checkpoint_body(a);
    if (strcmp(cmd, "forge-snapshot") == 0 && (n == 3 || n == 4))
        return cmd_forge_snapshot(a, n);
    return die("unknown command or wrong arguments: ", cmd);
}
