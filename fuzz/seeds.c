/* seeds.c — writes the seed corpora for the wire fuzz targets from code, so
 * no binary blobs are committed: valid encodings of every statement body
 * (raw and signed), every request operation, every response result, a
 * bundle and a receipt. Usage: fuzz_seeds DIR (writes DIR/corpus-<name>/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static const char *dir;
static int failures;

static void put(const char *name, int n, const gs_buf *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus-%s", dir, name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        failures++;
        return;
    }
    snprintf(path, sizeof path, "%s/corpus-%s/seed-%02d", dir, name, n);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0) {
        perror(path);
        failures++;
    }
}

static void check(int rc, const gs_error *err, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "fuzz_seeds: %s: %s\n", what, err->msg);
        exit(1);
    }
}

static gs_hash hashes[2];

static void fill(gs_statement *st, gs_body_kind kind, const gs_keypair *kp)
{
    static uint8_t e1[] = {0x0a, 0x01, 0x00};
    static gs_buf entries[1] = {{e1, sizeof e1}};
    gs_ref ref = {"giamsat/province/ha-noi", 3, {{0}}};
    memset(ref.leaf_hash.b, 0x11, 32);
    memset(st, 0, sizeof *st);
    st->signer = kp->pub;
    st->seq = (uint64_t)kind + 1;
    st->issued_at = 1700000000;
    st->origin = "giamsat/commune/phuong-1";
    st->kind = kind;
    switch (kind) {
    case GS_BODY_CHARTER:
        st->u.charter.unit = "phuong-1";
        st->u.charter.tier = GS_TIER_COMMUNE;
        st->u.charter.display_name = "Phường 1";
        st->u.charter.parent_origin = "giamsat/province/ha-noi";
        st->u.charter.has_parent_key = true;
        st->u.charter.parameters.feedback_per_day = 20;
        break;
    case GS_BODY_PARAMETER_CHANGE: st->u.parameter_change.parameters.feedback_per_day = 5; break;
    case GS_BODY_APPOINTMENT:
        st->u.appointment.name = "Nguyễn Văn A";
        st->u.appointment.role = GS_ROLE_HEAD;
        st->u.appointment.title = "Chủ tịch";
        st->u.appointment.decision = "QD-1/2026";
        break;
    case GS_BODY_RESIGNATION: st->u.resignation.reason = "health"; break;
    case GS_BODY_DISMISSAL: st->u.dismissal.reason = "reassigned"; break;
    case GS_BODY_KEY_ROTATION: memset(st->u.key_rotation.new_key.b, 7, 32); break;
    case GS_BODY_COMMITMENT:
        st->u.commitment.id = "road-2026.1";
        st->u.commitment.title = "Pave the road";
        st->u.commitment.indicator = "paved length";
        st->u.commitment.unit_of_measure = "km";
        st->u.commitment.target = 12500000;
        st->u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st->u.commitment.deadline = 1767225600;
        st->u.commitment.has_parent = true;
        st->u.commitment.parent = ref;
        break;
    case GS_BODY_PROGRESS:
        st->u.progress.commitment_id = "road-2026.1";
        st->u.progress.value = -3000000;
        st->u.progress.note = "half\ndone";
        st->u.progress.has_evidence = true;
        break;
    case GS_BODY_OUTCOME:
        st->u.outcome.commitment_id = "road-2026.1";
        st->u.outcome.value = 13000000;
        break;
    case GS_BODY_FINDING:
        st->u.finding.about = ref;
        st->u.finding.severity = GS_SEVERITY_HIGH;
        st->u.finding.text = "funds moved";
        break;
    case GS_BODY_FEEDBACK:
        st->u.feedback.has_about = true;
        st->u.feedback.about = ref;
        st->u.feedback.text = "still mud";
        break;
    case GS_BODY_RESPONSE:
        st->u.response.to = ref;
        st->u.response.text = "resumes Monday";
        break;
    case GS_BODY_OBSERVATION:
        st->u.observation.origin = "giamsat/commune/phuong-1";
        st->u.observation.size = 10;
        st->u.observation.time = 1700000001;
        break;
    case GS_BODY_EVIDENCE:
        st->u.evidence.kind = GS_EVIDENCE_SPLIT_VIEW;
        st->u.evidence.origin = "giamsat/commune/phuong-1";
        st->u.evidence.log_key = "giamsat/commune/phuong-1+01234567+AQID";
        st->u.evidence.checkpoint_a = "a\n1\nx\n";
        st->u.evidence.checkpoint_b = "a\n2\ny\n";
        st->u.evidence.consistency_proof = hashes;
        st->u.evidence.n_consistency_proof = 2;
        st->u.evidence.entries = entries;
        st->u.evidence.n_entries = 1;
        st->u.evidence.frontier = hashes;
        st->u.evidence.n_frontier = 1;
        st->u.evidence.reason = "two roots";
        break;
    default: break;
    }
}

int main(int argc, char **argv)
{
    gs_keypair kp, node;
    gs_error err;
    gs_buf b, entry = {0};
    uint8_t seed[32];

    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    dir = argv[1];
    fuzz_init();
    memset(seed, 1, sizeof seed);
    gs_keypair_from_seed(&kp, seed);
    memset(seed, FUZZ_NODE_SEED, sizeof seed);
    gs_keypair_from_seed(&node, seed);
    memset(hashes, 0x22, sizeof hashes);

    int n = 0;
    for (int k = GS_BODY_CHARTER; k <= GS_BODY_PARAMETER_CHANGE; k++) {
        gs_statement st;
        fill(&st, (gs_body_kind)k, &kp);
        check(gs_wire_encode_statement(&st, &b, &err), &err, gs_body_name((gs_body_kind)k));
        put("statement", n++, &b);
        gs_buf_free(&b);
        check(gs_wire_sign_statement(&st, &kp, &b, &err), &err, "sign");
        put("statement", n++, &b);
        if (k == GS_BODY_COMMITMENT)
            entry = b;
        else
            gs_buf_free(&b);
    }

    gs_receipt r = {.origin = "giamsat/commune/phuong-1", .index = 5, .time = 1700000002};
    gs_buf receipt;
    check(gs_wire_sign_receipt(&r, &node, &receipt, &err), &err, "receipt");
    put("receipt", 0, &receipt);
    /* Batch receipts (docs/formats.md "Receipts"): a batch of one, and the
     * last receipt of a batch of three. */
    gs_receipt batch[3] = {r, r, r};
    gs_buf signed_batch[3];
    for (int i = 0; i < 3; i++)
        batch[i].index = 5 + (uint64_t)i;
    check(gs_wire_sign_receipt_batch(batch, 1, &node, signed_batch, &err), &err, "receipt batch");
    put("receipt", 1, &signed_batch[0]);
    gs_buf_free(&signed_batch[0]);
    check(gs_wire_sign_receipt_batch(batch, 3, &node, signed_batch, &err), &err, "receipt batch");
    put("receipt", 2, &signed_batch[2]);
    for (int i = 0; i < 3; i++)
        gs_buf_free(&signed_batch[i]);

    for (int op = GS_OP_SUBMIT; op <= GS_OP_GET_KEY_CHAIN; op++) {
        gs_request rq = {0};
        rq.version = 1;
        rq.id = (uint64_t)op;
        rq.op = (gs_op)op;
        rq.origin = op == GS_OP_GET_EVIDENCE ? "" : "giamsat/commune/phuong-1";
        if (op == GS_OP_SUBMIT)
            rq.u.submit.entry = entry;
        if (op == GS_OP_GET_ENTRIES)
            rq.u.get_entries.count = 100;
        if (op == GS_OP_ADD_CHECKPOINT) {
            rq.u.add_checkpoint.old_size = 1;
            rq.u.add_checkpoint.proof = hashes;
            rq.u.add_checkpoint.n_proof = 2;
            rq.u.add_checkpoint.checkpoint = "giamsat/commune/phuong-1\n2\nroot\n\n— x y\n";
        }
        check(gs_wire_encode_request(&rq, &b, &err), &err, "request");
        put("request", op, &b);
        gs_buf_free(&b);
    }

    gs_key_link link = {.index = 1, .entry = entry, .proof = hashes, .n_proof = 2};
    for (int res = GS_RESULT_NONE; res <= GS_RESULT_KEY_CHAIN; res++) {
        gs_response rs = {0};
        rs.id = 9;
        rs.code = res == GS_RESULT_NONE ? GS_STATUS_PERMISSION_DENIED : GS_STATUS_OK;
        rs.message = res == GS_RESULT_NONE ? "only a head may appoint" : "";
        rs.result = (gs_result_kind)res;
        switch (res) {
        case GS_RESULT_RECEIPT: rs.u.receipt = receipt; break;
        case GS_RESULT_CHECKPOINT: rs.u.checkpoint = "o\n1\nr\n\n— o s\n"; break;
        case GS_RESULT_ENTRIES:
            rs.u.entries.entries = &entry;
            rs.u.entries.n = 1;
            break;
        case GS_RESULT_PROOF:
            rs.u.proof.hashes = hashes;
            rs.u.proof.n = 2;
            rs.u.proof.size = 4;
            break;
        case GS_RESULT_COSIGNATURE: rs.u.cosignature = "— w s\n"; break;
        case GS_RESULT_CONFLICT: rs.u.conflict_size = 3; break;
        case GS_RESULT_EVIDENCE:
            rs.u.evidence.items = &entry;
            rs.u.evidence.n = 1;
            break;
        case GS_RESULT_SIGNER_STATE: rs.u.signer_state.active = true; break;
        case GS_RESULT_KEY_CHAIN:
            rs.u.key_chain.size = 4;
            rs.u.key_chain.links = &link;
            rs.u.key_chain.n = 1;
            break;
        }
        check(gs_wire_encode_response(&rs, &b, &err), &err, "response");
        put("response", res, &b);
        gs_buf_free(&b);
    }

    gs_bundle bd = {0};
    bd.origin = "giamsat/commune/phuong-1";
    bd.index = 5;
    bd.entry = entry;
    bd.inclusion_proof = hashes;
    bd.n_inclusion_proof = 2;
    bd.checkpoint = "giamsat/commune/phuong-1\n6\nroot\n\n— x y\n";
    bd.signer_entry = entry;
    bd.signer_inclusion_proof = hashes;
    bd.n_signer_inclusion_proof = 1;
    bd.log_key_chain = &link;
    bd.n_log_key_chain = 1;
    check(gs_wire_encode_bundle(&bd, &b, &err), &err, "bundle");
    put("bundle", 0, &b);
    gs_buf_free(&b);

    gs_buf_free(&receipt);
    gs_buf_free(&entry);
    gs_keypair_wipe(&kp);
    gs_keypair_wipe(&node);
    return failures ? 1 : 0;
}
