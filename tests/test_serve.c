/* test_serve.c — the read path both daemons answer with (common/serve.h):
 * what may be served of a log, the frame budget of GetEntries, the size a
 * proof is given for, and how requests out of range are refused. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "serve.h"

#define N_ENTRIES 10
#define ENTRY_BYTES 100

typedef struct {
    char dir[64];
    gs_store *store;
    gs_log *log;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    gs_error err;
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/gs-test-serve-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/serve.db", fx->dir);
    if (gs_store_open(&fx->store, path, &err) != 0 ||
        gs_log_open(&fx->log, fx->store, "giamsat/commune/x", true, &err) != 0)
        return -1;
    static uint8_t bufs[N_ENTRIES][ENTRY_BYTES];
    gs_bytes e[N_ENTRIES];
    for (size_t i = 0; i < N_ENTRIES; i++) {
        memset(bufs[i], (int)i + 1, ENTRY_BYTES);
        e[i] = gs_bytes_of(bufs[i], ENTRY_BYTES);
    }
    if (gs_log_append(fx->log, e, N_ENTRIES, NULL, &err) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[128];
    gs_log_close(&fx->log);
    gs_store_close(&fx->store);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* A daemon that may serve 7 of the 10 entries held (a hub whose replica
 * holds more than it cosigned), with proofs for size 5 by default. */
static gs_serve_log source(fixture *fx, size_t budget)
{
    gs_serve_log s = {
        .log = fx->log,
        .limit = 7,
        .default_size = 5,
        .budget = budget,
        .server = "hub giamsat/hub/test",
    };
    return s;
}

static const struct {
    const char *name;
    gs_op op;
    uint64_t a, b; /* start,count / index,size / old,new */
    size_t budget;
    gs_status_code want;
    uint64_t want_n;     /* entries served */
    uint64_t want_size;  /* proof size */
    const char *message; /* part of the refusal */
} cases[] = {
    {"entries: all that may be served", GS_OP_GET_ENTRIES, 0, 0, 1 << 20, GS_STATUS_OK, 7, 0, ""},
    {"entries: as many as asked", GS_OP_GET_ENTRIES, 2, 3, 1 << 20, GS_STATUS_OK, 3, 0, ""},
    {"entries: stop at the frame budget", GS_OP_GET_ENTRIES, 0, 0, 250, GS_STATUS_OK, 3, 0, ""},
    {"entries: at least one however small the budget", GS_OP_GET_ENTRIES, 4, 0, 1, GS_STATUS_OK, 1,
     0, ""},
    {"entries: held but not servable", GS_OP_GET_ENTRIES, 7, 1, 1 << 20, GS_STATUS_NOT_FOUND, 0, 0,
     "beyond the 7 entries hub giamsat/hub/test serves"},
    {"inclusion: default size", GS_OP_GET_INCLUSION_PROOF, 3, 0, 0, GS_STATUS_OK, 0, 5, ""},
    {"inclusion: explicit size", GS_OP_GET_INCLUSION_PROOF, 6, 7, 0, GS_STATUS_OK, 0, 7, ""},
    {"inclusion: index not in the tree", GS_OP_GET_INCLUSION_PROOF, 5, 5, 0, GS_STATUS_NOT_FOUND, 0,
     0, "no inclusion proof of entry 5 in a tree of size 5"},
    {"inclusion: size beyond what is served", GS_OP_GET_INCLUSION_PROOF, 1, 8, 0,
     GS_STATUS_NOT_FOUND, 0, 0, "serves 7 entries"},
    {"consistency: default size", GS_OP_GET_CONSISTENCY_PROOF, 3, 0, 0, GS_STATUS_OK, 0, 5, ""},
    {"consistency: explicit size", GS_OP_GET_CONSISTENCY_PROOF, 3, 7, 0, GS_STATUS_OK, 0, 7, ""},
    {"consistency: from the empty tree", GS_OP_GET_CONSISTENCY_PROOF, 0, 5, 0,
     GS_STATUS_INVALID_ARGUMENT, 0, 0, "from size 0 to 5"},
    {"consistency: old above new", GS_OP_GET_CONSISTENCY_PROOF, 6, 5, 0, GS_STATUS_INVALID_ARGUMENT,
     0, 0, "from size 6 to 5"},
    {"consistency: size beyond what is served", GS_OP_GET_CONSISTENCY_PROOF, 3, 8, 0,
     GS_STATUS_NOT_FOUND, 0, 0, "serves 7 entries"},
};

static void test_cases(void **state)
{
    fixture *fx = *state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gs_request rq = {.version = 1, .id = 40 + k, .op = cases[k].op};
        if (rq.op == GS_OP_GET_ENTRIES) {
            rq.u.get_entries.start = cases[k].a;
            rq.u.get_entries.count = (uint32_t)cases[k].b;
        } else if (rq.op == GS_OP_GET_INCLUSION_PROOF) {
            rq.u.get_inclusion_proof.index = cases[k].a;
            rq.u.get_inclusion_proof.size = cases[k].b;
        } else {
            rq.u.get_consistency_proof.old_size = cases[k].a;
            rq.u.get_consistency_proof.new_size = cases[k].b;
        }
        gs_serve_log src = source(fx, cases[k].budget);
        gs_serve_reply out;
        gs_error err;
        assert_true(gs_serve_is_read(rq.op));
        assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
        if (out.rs.code != cases[k].want || strstr(out.rs.message, cases[k].message) == NULL)
            fail_msg("%s: got %s \"%s\"", cases[k].name, gs_status_name(out.rs.code),
                     out.rs.message);
        assert_int_equal(out.rs.id, 40 + k);
        if (out.rs.code == GS_STATUS_OK && rq.op == GS_OP_GET_ENTRIES) {
            assert_int_equal(out.rs.result, GS_RESULT_ENTRIES);
            assert_int_equal(out.rs.u.entries.start, cases[k].a);
            assert_int_equal(out.rs.u.entries.n, cases[k].want_n);
            for (size_t i = 0; i < out.rs.u.entries.n; i++) {
                gs_buf *e = &out.rs.u.entries.entries[i];
                assert_int_equal(e->n, ENTRY_BYTES);
                assert_int_equal(e->p[0], (uint8_t)(cases[k].a + i + 1));
            }
        }
        if (out.rs.code == GS_STATUS_OK && rq.op == GS_OP_GET_INCLUSION_PROOF) {
            /* The proof is one a verifier accepts for the tree it names. */
            gs_hash root, leaf;
            uint8_t entry[ENTRY_BYTES];
            memset(entry, (int)cases[k].a + 1, sizeof entry);
            gs_merkle_leaf_hash(gs_bytes_of(entry, sizeof entry), &leaf);
            assert_int_equal(out.rs.u.proof.size, cases[k].want_size);
            assert_int_equal(gs_log_root_at(fx->log, cases[k].want_size, &root, &err), 0);
            assert_int_equal(gs_merkle_verify_inclusion(&leaf, cases[k].a, out.rs.u.proof.size,
                                                        out.rs.u.proof.hashes, out.rs.u.proof.n,
                                                        &root, &err),
                             0);
        }
        if (out.rs.code == GS_STATUS_OK && rq.op == GS_OP_GET_CONSISTENCY_PROOF) {
            gs_hash old_root, new_root;
            assert_int_equal(out.rs.u.proof.index, cases[k].a);
            assert_int_equal(out.rs.u.proof.size, cases[k].want_size);
            assert_int_equal(gs_log_root_at(fx->log, cases[k].a, &old_root, &err), 0);
            assert_int_equal(gs_log_root_at(fx->log, cases[k].want_size, &new_root, &err), 0);
            assert_int_equal(
                gs_merkle_verify_consistency(cases[k].a, out.rs.u.proof.size, &old_root, &new_root,
                                             out.rs.u.proof.hashes, out.rs.u.proof.n, &err),
                0);
        }
        gs_serve_reply_clear(&out);
    }
}

/* GetCheckpoint answers the note the daemon names (a hub's cosigned note)
 * or the latest one in the store (a node), and NOT_FOUND before any. */
static void test_checkpoint(void **state)
{
    fixture *fx = *state;
    gs_request rq = {.version = 1, .id = 7, .op = GS_OP_GET_CHECKPOINT};
    gs_serve_log src = source(fx, 1 << 20);
    gs_serve_reply out;
    gs_error err;

    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
    assert_int_equal(out.rs.code, GS_STATUS_NOT_FOUND);
    gs_serve_reply_clear(&out);

    char given[] = "the cosigned note";
    src.checkpoint = given;
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
    assert_int_equal(out.rs.code, GS_STATUS_OK);
    assert_int_equal(out.rs.result, GS_RESULT_CHECKPOINT);
    assert_string_equal(out.rs.u.checkpoint, given);
    assert_ptr_not_equal(out.rs.u.checkpoint, given); /* the reply owns a copy */
    gs_serve_reply_clear(&out);

    gs_keypair kp;
    uint8_t seed[32] = {9};
    char *note = NULL;
    gs_keypair_from_seed(&kp, seed);
    assert_int_equal(gs_log_sign_checkpoint(fx->log, &kp, &note, &err), 0);
    src.checkpoint = NULL;
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
    assert_int_equal(out.rs.code, GS_STATUS_OK);
    assert_string_equal(out.rs.u.checkpoint, note);
    gs_serve_reply_clear(&out);
    free(note);
    gs_keypair_wipe(&kp);
}

/* A chain anchored at key 1 that rotated at index 3 (to key 2) and at index
 * 6 (to key 3). The fixture's entries are not statements: observe only
 * reads the kind, signer and new key, which this gives it. */
static void chain(gs_keychain *kc, uint64_t observed)
{
    gs_pubkey k[3];
    gs_error err;
    for (int i = 0; i < 3; i++)
        memset(k[i].b, i + 1, 32);
    assert_int_equal(gs_keychain_init(kc, "giamsat/commune/x", &k[0], &err), 0);
    for (uint64_t i = 0; i < observed; i++) {
        gs_statement st;
        memset(&st, 0, sizeof st);
        st.kind = GS_BODY_PROGRESS;
        if (i == 3 || i == 6) {
            st.kind = GS_BODY_KEY_ROTATION;
            st.signer = k[i == 3 ? 0 : 1];
            st.u.key_rotation.new_key = k[i == 3 ? 1 : 2];
        }
        assert_true(gs_keychain_observe(kc, i, &st, &err) >= 0);
    }
}

/* GetKeyChain: the rotations below the size asked for (the served one by
 * default), each with its entry and an inclusion proof in that tree;
 * refused without a chain, above the served size and above what the chain
 * observed. */
static void test_key_chain(void **state)
{
    fixture *fx = *state;
    gs_request rq = {.version = 1, .id = 8, .op = GS_OP_GET_KEY_CHAIN};
    gs_serve_log src = source(fx, 1 << 20);
    gs_serve_reply out;
    gs_error err;
    gs_keychain kc;
    chain(&kc, N_ENTRIES);

    assert_true(gs_serve_is_read(GS_OP_GET_KEY_CHAIN));
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0); /* no chain kept */
    assert_int_equal(out.rs.code, GS_STATUS_NOT_FOUND);
    assert_non_null(strstr(out.rs.message, "keeps no key chain"));
    gs_serve_reply_clear(&out);

    src.keychain = &kc;
    static const struct {
        uint64_t asked, size;
        size_t links;
    } ok[] = {{0, 5, 1}, {3, 3, 0}, {4, 4, 1}, {7, 7, 2}, {1, 1, 0}};
    for (size_t c = 0; c < sizeof ok / sizeof ok[0]; c++) {
        rq.u.get_key_chain.size = ok[c].asked;
        assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
        assert_int_equal(out.rs.code, GS_STATUS_OK);
        assert_int_equal(out.rs.id, 8);
        assert_int_equal(out.rs.result, GS_RESULT_KEY_CHAIN);
        assert_int_equal(out.rs.u.key_chain.size, ok[c].size);
        assert_int_equal(out.rs.u.key_chain.n, ok[c].links);
        gs_hash root;
        assert_int_equal(gs_log_root_at(fx->log, ok[c].size, &root, &err), 0);
        for (size_t k = 0; k < ok[c].links; k++) {
            const gs_key_link *l = &out.rs.u.key_chain.links[k];
            gs_buf want = {0};
            gs_hash leaf;
            assert_int_equal(l->index, k == 0 ? 3 : 6);
            assert_int_equal(gs_log_entry(fx->log, l->index, &want, &err), 0);
            assert_int_equal(l->entry.n, want.n);
            assert_memory_equal(l->entry.p, want.p, want.n);
            gs_merkle_leaf_hash(gs_bytes_of(l->entry.p, l->entry.n), &leaf);
            assert_int_equal(gs_merkle_verify_inclusion(&leaf, l->index, ok[c].size, l->proof,
                                                        l->n_proof, &root, &err),
                             0);
            gs_buf_free(&want);
        }
        /* it encodes: the reply is what goes on the wire */
        gs_buf b = {0};
        assert_int_equal(gs_wire_encode_response(&out.rs, &b, &err), 0);
        gs_buf_free(&b);
        gs_serve_reply_clear(&out);
    }

    rq.u.get_key_chain.size = 8; /* above the 7 entries served */
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
    assert_int_equal(out.rs.code, GS_STATUS_NOT_FOUND);
    assert_non_null(strstr(out.rs.message, "size 8"));
    gs_serve_reply_clear(&out);

    /* a chain that has seen only 4 entries cannot say what 5 hold */
    gs_keychain_clear(&kc);
    chain(&kc, 4);
    rq.u.get_key_chain.size = 0;
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
    assert_int_equal(out.rs.code, GS_STATUS_NOT_FOUND);
    gs_serve_reply_clear(&out);
    gs_key_link *l = NULL;
    size_t n = 0;
    assert_int_equal(gs_serve_key_links(fx->log, &kc, 5, &l, &n, &err), GS_EINVAL);
    assert_int_equal(gs_serve_key_links(fx->log, &kc, 4, &l, &n, &err), 0);
    assert_int_equal(n, 1);
    gs_key_links_free(l, n);
    gs_keychain_clear(&kc);
}

static void test_not_a_read(void **state)
{
    fixture *fx = *state;
    static const gs_op others[] = {GS_OP_SUBMIT, GS_OP_ADD_CHECKPOINT, GS_OP_GET_EVIDENCE,
                                   GS_OP_GET_SIGNER_STATE};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        gs_request rq = {.version = 1, .op = others[i]};
        gs_serve_log src = source(fx, 1 << 20);
        gs_serve_reply out;
        gs_error err;
        assert_false(gs_serve_is_read(others[i]));
        assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
        assert_int_equal(out.rs.code, GS_STATUS_INVALID_ARGUMENT);
        gs_serve_reply_clear(&out);
    }
}

/* Issue 9: a proof built from an interior hash altered on disk is checked
 * before it is sent and withheld: INTERNAL for the client, GS_ECORRUPT with
 * the sentence for the daemon's log. Runs last: it spoils the fixture. */
static void test_corrupt_proof_withheld(void **state)
{
    fixture *fx = *state;
    char path[128];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/serve.db", fx->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* Row 1 holds subtree (1, 0), the sibling of leaves 2 and 3. */
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE entries SET hashes = substr(hashes, 1, 32) || "
                                  "zeroblob(32) WHERE id = (1 << 40) | 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    gs_serve_log src = source(fx, 1 << 20);
    gs_request rq = {.version = 1, .id = 7, .op = GS_OP_GET_INCLUSION_PROOF};
    rq.u.get_inclusion_proof.index = 2;
    rq.u.get_inclusion_proof.size = 5;
    gs_serve_reply out;
    gs_error err = {0};
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), GS_ECORRUPT);
    assert_int_equal(out.rs.code, GS_STATUS_INTERNAL);
    assert_int_equal(out.rs.id, 7);
    assert_int_not_equal(out.rs.result, GS_RESULT_PROOF);
    assert_non_null(strstr(err.msg, "inclusion proof of entry 2 in the tree of size 5"));
    assert_non_null(strstr(err.msg, "refusing to serve it"));
    gs_serve_reply_clear(&out);
    /* A proof that does not rest on it is still served. */
    rq.u.get_inclusion_proof.index = 4;
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), 0);
    assert_int_equal(out.rs.code, GS_STATUS_OK);
    gs_serve_reply_clear(&out);
    rq.op = GS_OP_GET_CONSISTENCY_PROOF;
    rq.u.get_consistency_proof.old_size = 3;
    rq.u.get_consistency_proof.new_size = 7;
    assert_int_equal(gs_serve_read(&src, &rq, &out, &err), GS_ECORRUPT);
    assert_int_equal(out.rs.code, GS_STATUS_INTERNAL);
    gs_serve_reply_clear(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_not_a_read),
        cmocka_unit_test(test_key_chain),
        cmocka_unit_test(test_corrupt_proof_withheld),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
