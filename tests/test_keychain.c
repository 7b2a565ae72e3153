/* test_keychain.c — the log key across rotations: which key signs which
 * tree size, notes signed by the right, a retired and an unseen key, member
 * rotations ignored, gaps refused, truncation after an abandoned sync. The
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

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    gs_keypair_generate(&k0);
    gs_keypair_generate(&k1);
    gs_keypair_generate(&k2);
    gs_keypair_generate(&member);
    gs_keypair_generate(&member2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_for_each_size),
        cmocka_unit_test(notes),
        cmocka_unit_test(order_and_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
