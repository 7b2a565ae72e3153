/* test_keychain.c — the log key across rotations: which key signs which
 * tree size, notes signed by the right, a retired and an unseen key, member
 * rotations ignored, gaps refused, truncation after an abandoned sync; proven
 * links (gs_keychain_add_proven) over a real tree of real signed entries. The
 * notes are real Ed25519 signed notes made in the test. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keychain.h"
#include "merkle.h"

#define ORIGIN "giamsat/commune/an-binh"

static gs_keypair k0, k1, k2, member, member2;

static gs_statement rotation(const gs_keypair *signer, const gs_keypair *to)
{
    gs_statement st;
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_KEY_ROTATION;
    st.signer = signer->pub;
    st.u.key_rotation.new_key = to->pub;
    return st;
}

static gs_statement other(const gs_keypair *signer)
{
    gs_statement st;
    memset(&st, 0, sizeof st);
    st.kind = GS_BODY_PROGRESS;
    st.signer = signer->pub;
    return st;
}

static gs_note *signed_checkpoint(uint64_t size, const gs_keypair *kp)
{
    gs_hash root;
    memset(root.b, (int)size, sizeof root.b);
    gs_error err = {0};
    char *text = NULL, *note = NULL;
    assert_int_equal(gs_checkpoint_format(ORIGIN, size, &root, &text, &err), 0);
    assert_int_equal(gs_note_sign(text, strlen(text), ORIGIN, kp, &note, &err), 0);
    gs_note *n = NULL;
    assert_int_equal(gs_note_parse(note, strlen(note), &n, &err), 0);
    free(text);
    free(note);
    return n;
}

/* entries: 0 progress, 1 member rotation (ignored), 2 k0->k1, 3 progress,
 * 4 k1->k2 */
static void build(gs_keychain *kc)
{
    gs_error err = {0};
    assert_int_equal(gs_keychain_init(kc, ORIGIN, &k0.pub, &err), 0);
    gs_statement s[5] = {other(&k0), rotation(&member, &member2), rotation(&k0, &k1), other(&k1),
                         rotation(&k1, &k2)};
    int added[5] = {0, 0, 1, 0, 1};
    for (uint64_t i = 0; i < 5; i++)
        assert_int_equal(gs_keychain_observe(kc, i, &s[i], &err), added[i]);
}

static void key_for_each_size(void **state)
{
    (void)state;
    gs_keychain kc;
    build(&kc);
    assert_int_equal(kc.n, 3);
    /* a rotation at index i moves the key for sizes > i */
    const gs_keypair *want[7] = {&k0, &k0, &k0, &k1, &k1, &k2, &k2};
    for (uint64_t size = 0; size < 7; size++)
        assert_memory_equal(gs_keychain_key_for_size(&kc, size)->b, want[size]->pub.b, 32);
    assert_memory_equal(gs_keychain_current(&kc)->b, k2.pub.b, 32);
    assert_int_equal(gs_keychain_find(&kc, &k1.pub), 1);
    assert_int_equal(gs_keychain_find(&kc, &member2.pub), -1);
    gs_vkey vk;
    gs_error err = {0};
    assert_int_equal(gs_keychain_vkey_for_size(&kc, 4, &vk, &err), 0);
    assert_string_equal(vk.name, ORIGIN);
    assert_memory_equal(vk.key.b, k1.pub.b, 32);
    assert_int_equal(gs_keychain_find_key_hash(&kc, vk.key_hash), 1);
    gs_keychain_clear(&kc);
}

static void notes(void **state)
{
    (void)state;
    gs_keychain kc;
    build(&kc);
    gs_error err = {0};
    struct {
        uint64_t size;
        const gs_keypair *kp;
        int ok;
        const char *says;
    } cases[] = {
        {2, &k0, 1, NULL},
        {3, &k1, 1, NULL},
        {5, &k2, 1, NULL},
        {9, &k2, 1, NULL},             /* beyond what was seen: the newest key */
        {3, &k0, 0, "retired"},        /* k0 signs nothing above size 3 */
        {7, &k1, 0, "retired"},        /* nor k1 above 5 */
        {2, &k1, 0, "only from size"}, /* k1 did not sign before its rotation */
        {9, &member, 0, "may hold one"},
        {4, &member, 0, "checkpoint of"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gs_note *n = signed_checkpoint(cases[i].size, cases[i].kp);
        memset(&err, 0, sizeof err);
        int rc = gs_keychain_verify_note(&kc, n, cases[i].size, &err);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, GS_EVERIFY);
            if (strstr(err.msg, cases[i].says) == NULL)
                fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].says);
        }
        gs_note_free(&n);
    }
    gs_keychain_clear(&kc);
}

static void order_and_truncate(void **state)
{
    (void)state;
    gs_keychain kc, copy;
    build(&kc);
    gs_error err = {0};
    gs_statement s = other(&k2);
    /* a gap could hide a rotation */
    assert_int_equal(gs_keychain_observe(&kc, 6, &s, &err), GS_EINVAL);
    assert_int_equal(gs_keychain_observe(&kc, 4, &s, &err), GS_EINVAL);
    assert_int_equal(kc.next_index, 5);
    assert_int_equal(gs_keychain_copy(&copy, &kc, &err), 0);
    /* an abandoned sync of entries 4.. : the rotation at 4 goes */
    gs_keychain_truncate(&kc, 4);
    assert_int_equal(kc.n, 2);
    assert_int_equal(kc.next_index, 4);
    assert_memory_equal(gs_keychain_current(&kc)->b, k1.pub.b, 32);
    gs_keychain_truncate(&kc, 0);
    assert_int_equal(kc.n, 1);
    assert_memory_equal(gs_keychain_current(&kc)->b, k0.pub.b, 32);
    /* the copy is its own */
    assert_int_equal(copy.n, 3);
    assert_memory_equal(gs_keychain_current(&copy)->b, k2.pub.b, 32);
    /* a rotation signed by a retired key is no link */
    gs_statement late = rotation(&k0, &member);
    assert_int_equal(gs_keychain_observe(&copy, 5, &late, &err), 0);
    assert_int_equal(copy.n, 3);
    gs_keychain_clear(&kc);
    gs_keychain_clear(&copy);
}

/* ---- proven links over a real tree */

#define TREE 6
/* entries: 0 feedback, 1 member rotation (member -> member2), 2 k0 -> k1,
 * 3 feedback, 4 k1 -> k2, 5 feedback; each a real signed entry */
static gs_buf entries[TREE];
static gs_hash nodes[4][TREE]; /* complete subtrees by (level, index) */
static gs_hash root;

static void emit(void *ctx, unsigned level, uint64_t index, const gs_hash *h)
{
    (void)ctx;
    nodes[level][index] = *h;
}

static int get(void *ctx, unsigned level, uint64_t index, gs_hash *out, gs_error *err)
{
    (void)ctx;
    (void)err;
    *out = nodes[level][index];
    return 0;
}

static gs_buf signed_entry(uint64_t i, const gs_keypair *kp, const gs_keypair *to)
{
    gs_statement st;
    memset(&st, 0, sizeof st);
    st.signer = kp->pub;
    st.seq = i + 1;
    st.issued_at = 1700000000 + (int64_t)i;
    st.origin = ORIGIN;
    if (to != NULL) {
        st.kind = GS_BODY_KEY_ROTATION;
        st.u.key_rotation.new_key = to->pub;
    } else {
        st.kind = GS_BODY_FEEDBACK;
        st.u.feedback.text = "the road is paved";
    }
    gs_buf b = {0};
    gs_error err = {0};
    assert_int_equal(gs_wire_sign_statement(&st, kp, &b, &err), 0);
    return b;
}

static void build_tree(void)
{
    const gs_keypair *by[TREE] = {&member, &member, &k0, &member, &k1, &member};
    const gs_keypair *to[TREE] = {NULL, &member2, &k1, NULL, &k2, NULL};
    gs_merkle_frontier f;
    gs_merkle_frontier_init(&f);
    for (uint64_t i = 0; i < TREE; i++) {
        gs_hash leaf;
        entries[i] = signed_entry(i, by[i], to[i]);
        gs_merkle_leaf_hash(gs_bytes_of(entries[i].p, entries[i].n), &leaf);
        gs_merkle_frontier_append(&f, &leaf, emit, NULL);
    }
    gs_merkle_frontier_root(&f, &root);
}

/* A link for entry `entry` claimed at index `index`, with the inclusion
 * proof of leaf `proof_of`. */
typedef struct {
    gs_hash proof[GS_MERKLE_MAX_PROOF];
    gs_keychain_proof p;
} link_buf;

static void make_link(link_buf *l, uint64_t entry, uint64_t index, uint64_t proof_of)
{
    gs_error err = {0};
    size_t n = 0;
    assert_int_equal(gs_merkle_prove_inclusion(proof_of, TREE, get, NULL, l->proof, &n, &err), 0);
    l->p = (gs_keychain_proof){.index = index,
                               .entry = gs_bytes_of(entries[entry].p, entries[entry].n),
                               .proof = l->proof,
                               .n_proof = n};
}

static int add(gs_keychain *kc, link_buf *l, size_t n, gs_error *err)
{
    gs_keychain_proof p[4];
    for (size_t i = 0; i < n; i++)
        p[i] = l[i].p;
    return gs_keychain_add_proven(kc, p, n, TREE, &root, err);
}

static void proven_links(void **state)
{
    (void)state;
    gs_keychain kc;
    gs_error err = {0};
    link_buf l[2];
    gs_note *by_k2 = signed_checkpoint(TREE, &k2);
    /* the note must be of this tree: signed_checkpoint's root is made up,
     * which the key chain does not read (only the links' proofs do) */

    /* the two rotations of the log key, in order: k2 signs size 6 */
    assert_int_equal(gs_keychain_init(&kc, ORIGIN, &k0.pub, &err), 0);
    make_link(&l[0], 2, 2, 2);
    make_link(&l[1], 4, 4, 4);
    assert_int_equal(add(&kc, l, 2, &err), 0);
    assert_int_equal(kc.n, 3);
    assert_int_equal(kc.next_index, TREE);
    assert_memory_equal(gs_keychain_key_for_size(&kc, 3)->b, k1.pub.b, 32);
    assert_memory_equal(gs_keychain_key_for_size(&kc, TREE)->b, k2.pub.b, 32);
    assert_int_equal(gs_keychain_verify_note(&kc, by_k2, TREE, &err), 0);
    /* proven links go on a chain that holds its anchor only */
    assert_int_equal(add(&kc, l, 2, &err), GS_EINVAL);
    gs_keychain_clear(&kc);

    static const struct {
        const char *name;
        uint64_t entry[2], index[2], proof_of[2];
        size_t n;
        const char *says;
    } bad[] = {
        {"wrong order", {4, 2}, {4, 2}, {4, 2}, 2, "not a rotation of the log key in force"},
        {"the same link twice", {2, 2}, {2, 2}, {2, 2}, 2, "out of order"},
        {"a proof for another index", {2, 4}, {2, 4}, {3, 4}, 2, "not in the tree"},
        {"an entry at another index", {2, 4}, {3, 4}, {3, 4}, 2, "not in the tree"},
        {"a link signed by a key not in force",
         {4, 0},
         {4, 0},
         {4, 0},
         1,
         "not a rotation of the log key in force"},
        {"a member's rotation as a link",
         {1, 2},
         {1, 2},
         {1, 2},
         2,
         "not a rotation of the log key in force"},
        {"a feedback as a link",
         {3, 0},
         {3, 0},
         {3, 0},
         1,
         "not a rotation of the log key in force"},
        {"an index beyond the tree", {2, 0}, {TREE, 0}, {2, 0}, 1, "not below size"},
    };
    for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
        assert_int_equal(gs_keychain_init(&kc, ORIGIN, &k0.pub, &err), 0);
        for (size_t i = 0; i < bad[c].n; i++)
            make_link(&l[i], bad[c].entry[i], bad[c].index[i],
                      bad[c].proof_of[i] < TREE ? bad[c].proof_of[i] : 0);
        memset(&err, 0, sizeof err);
        int rc = add(&kc, l, bad[c].n, &err);
        if (rc != GS_EVERIFY || strstr(err.msg, bad[c].says) == NULL)
            fail_msg("%s: %d \"%s\"", bad[c].name, rc, err.msg);
        /* refused whole: kc is as it was */
        assert_int_equal(kc.n, 1);
        assert_int_equal(kc.next_index, 0);
        gs_keychain_clear(&kc);
    }

    /* an altered entry does not open */
    assert_int_equal(gs_keychain_init(&kc, ORIGIN, &k0.pub, &err), 0);
    gs_buf altered = {malloc(entries[2].n), entries[2].n};
    assert_non_null(altered.p);
    memcpy(altered.p, entries[2].p, altered.n);
    altered.p[altered.n - 1] ^= 1;
    make_link(&l[0], 2, 2, 2);
    l[0].p.entry = gs_bytes_of(altered.p, altered.n);
    assert_int_equal(add(&kc, l, 1, &err), GS_EVERIFY);
    assert_int_equal(kc.n, 1);
    gs_buf_free(&altered);

    /* a server that leaves the second rotation out: the chain it gives
     * stops at k1, and k2's note is refused with it */
    make_link(&l[0], 2, 2, 2);
    assert_int_equal(add(&kc, l, 1, &err), 0);
    assert_int_equal(kc.n, 2);
    assert_int_equal(gs_keychain_verify_note(&kc, by_k2, TREE, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "no rotation of the log key below that size"));
    gs_keychain_clear(&kc);

    /* the same over links as the wire carries them */
    assert_int_equal(gs_keychain_init(&kc, ORIGIN, &k0.pub, &err), 0);
    make_link(&l[0], 2, 2, 2);
    make_link(&l[1], 4, 4, 4);
    gs_key_link w[2];
    for (size_t i = 0; i < 2; i++)
        w[i] = (gs_key_link){.index = l[i].p.index,
                             .entry = {entries[l[i].p.index].p, entries[l[i].p.index].n},
                             .proof = l[i].proof,
                             .n_proof = l[i].p.n_proof};
    assert_int_equal(gs_keychain_add_links(&kc, w, 2, TREE, &root, &err), 0);
    assert_int_equal(kc.n, 3);
    gs_keychain_clear(&kc);
    gs_note_free(&by_k2);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    gs_keypair_generate(&k0);
    gs_keypair_generate(&k1);
    gs_keypair_generate(&k2);
    gs_keypair_generate(&member);
    gs_keypair_generate(&member2);
    build_tree();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_for_each_size),
        cmocka_unit_test(notes),
        cmocka_unit_test(order_and_truncate),
        cmocka_unit_test(proven_links),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (size_t i = 0; i < TREE; i++)
        gs_buf_free(&entries[i]);
    return rc;
}
