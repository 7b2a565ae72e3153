/* keychain.c — see keychain.h. */
#define _POSIX_C_SOURCE 200809L
#include "keychain.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "merkle.h"

static int push(gs_keychain *kc, const gs_pubkey *key, uint64_t from_size, gs_error *err)
{
    if (kc->n == kc->cap) {
        size_t cap = kc->cap ? kc->cap * 2 : 4;
        gs_keychain_link *l = realloc(kc->links, cap * sizeof *l);
        if (l == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory for the key chain of %s",
                                kc->origin);
        kc->links = l;
        kc->cap = cap;
    }
    kc->links[kc->n].key = *key;
    kc->links[kc->n].from_size = from_size;
    kc->n++;
    return 0;
}

int gs_keychain_init(gs_keychain *kc, const char *origin, const gs_pubkey *anchor, gs_error *err)
{
    memset(kc, 0, sizeof *kc);
    size_t len = strlen(origin);
    if (len == 0 || len > GS_MAX_ORIGIN)
        return gs_error_set(err, GS_EINVAL, "key chain: origin of %zu bytes (1..%d)", len,
                            GS_MAX_ORIGIN);
    memcpy(kc->origin, origin, len + 1);
    return push(kc, anchor, 0, err);
}

void gs_keychain_clear(gs_keychain *kc)
{
    free(kc->links);
    memset(kc, 0, sizeof *kc);
}

int gs_keychain_copy(gs_keychain *dst, const gs_keychain *src, gs_error *err)
{
    gs_keychain c = *src;
    c.links = malloc(src->cap * sizeof *c.links);
    if (c.links == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory for the key chain of %s", src->origin);
    memcpy(c.links, src->links, src->n * sizeof *c.links);
    *dst = c;
    return 0;
}

int gs_keychain_observe(gs_keychain *kc, uint64_t index, const gs_statement *st, gs_error *err)
{
    if (index != kc->next_index)
        return gs_error_set(err, GS_EINVAL,
                            "key chain of %s: entry %" PRIu64 " observed, %" PRIu64 " expected",
                            kc->origin, index, kc->next_index);
    kc->next_index = index + 1;
    if (st->kind != GS_BODY_KEY_ROTATION)
        return 0;
    const gs_pubkey *cur = &kc->links[kc->n - 1].key;
    if (sodium_memcmp(st->signer.b, cur->b, sizeof cur->b) != 0)
        return 0; /* a member's rotation: not the log key */
    int rc = push(kc, &st->u.key_rotation.new_key, index + 1, err);
    if (rc != 0) {
        kc->next_index = index;
        return rc;
    }
    return 1;
}

void gs_keychain_truncate(gs_keychain *kc, uint64_t size)
{
    while (kc->n > 1 && kc->links[kc->n - 1].from_size > size)
        kc->n--;
    if (kc->next_index > size)
        kc->next_index = size;
}

/* The link in force for tree size `size`: the last whose from_size <= size. */
static size_t link_for_size(const gs_keychain *kc, uint64_t size)
{
    size_t k = kc->n - 1;
    while (k > 0 && kc->links[k].from_size > size)
        k--;
    return k;
}

const gs_pubkey *gs_keychain_key_for_size(const gs_keychain *kc, uint64_t size)
{
    return &kc->links[link_for_size(kc, size)].key;
}

int gs_keychain_vkey_for_size(const gs_keychain *kc, uint64_t size, gs_vkey *out, gs_error *err)
{
    return gs_vkey_make(out, kc->origin, GS_VKEY_ALG_ED25519, gs_keychain_key_for_size(kc, size),
                        err);
}

const gs_pubkey *gs_keychain_current(const gs_keychain *kc)
{
    return &kc->links[kc->n - 1].key;
}

ssize_t gs_keychain_find(const gs_keychain *kc, const gs_pubkey *key)
{
    for (size_t k = 0; k < kc->n; k++)
        if (sodium_memcmp(kc->links[k].key.b, key->b, sizeof key->b) == 0)
            return (ssize_t)k;
    return -1;
}

ssize_t gs_keychain_find_key_hash(const gs_keychain *kc, uint32_t key_hash)
{
    for (size_t k = 0; k < kc->n; k++)
        if (gs_vkey_hash(kc->origin, GS_VKEY_ALG_ED25519, &kc->links[k].key) == key_hash)
            return (ssize_t)k;
    return -1;
}

int gs_keychain_verify_note(const gs_keychain *kc, const gs_note *n, uint64_t size, gs_error *err)
{
    size_t want = link_for_size(kc, size);
    gs_vkey vk;
    int rc = gs_vkey_make(&vk, kc->origin, GS_VKEY_ALG_ED25519, &kc->links[want].key, err);
    if (rc != 0)
        return rc;
    gs_error why = {0};
    if (gs_note_verify(n, &vk, 1, NULL, NULL, &why) == 0)
        return 0;
    /* Say which case it is: the signature lines by the origin's name name
     * the key that made them. */
    char fp[GS_KEY_FINGERPRINT_LEN], fp2[GS_KEY_FINGERPRINT_LEN];
    gs_key_fingerprint(&kc->links[want].key, fp);
    for (size_t i = 0; i < gs_note_sig_count(n); i++) {
        const gs_note_sig *s = gs_note_sig_at(n, i);
        if (strcmp(s->name, kc->origin) != 0 || s->key_hash == vk.key_hash)
            continue;
        ssize_t k = gs_keychain_find_key_hash(kc, s->key_hash);
        if (k >= 0 && (size_t)k < want) {
            gs_key_fingerprint(&kc->links[k].key, fp2);
            return gs_error_set(err, GS_EVERIFY,
                                "checkpoint of %s at size %" PRIu64
                                " is signed by the retired log key %s, which a rotation at index "
                                "%" PRIu64 " replaced by %s",
                                kc->origin, size, fp2, kc->links[k + 1].from_size - 1, fp);
        }
        if (k > (ssize_t)want) {
            gs_key_fingerprint(&kc->links[k].key, fp2);
            return gs_error_set(err, GS_EVERIFY,
                                "checkpoint of %s at size %" PRIu64
                                " is signed by log key %s, which signs only from size %" PRIu64
                                " on; the key for this size is %s",
                                kc->origin, size, fp2, kc->links[k].from_size, fp);
        }
        if (k < 0 && size > kc->next_index)
            return gs_error_set(
                err, GS_EVERIFY,
                "checkpoint of %s at size %" PRIu64 " is signed by a key (ID %08" PRIx32
                ") that no rotation in the %" PRIu64
                " entries seen made the log key; entries %" PRIu64 "..%" PRIu64 " may hold one",
                kc->origin, size, s->key_hash, kc->next_index, kc->next_index, size - 1);
        if (k < 0)
            return gs_error_set(err, GS_EVERIFY,
                                "checkpoint of %s at size %" PRIu64
                                " is signed by a key (ID %08" PRIx32
                                ") that no rotation of the log key below that size made the log "
                                "key; the key for this size is %s",
                                kc->origin, size, s->key_hash, fp);
    }
    return gs_error_set(err, GS_EVERIFY, "checkpoint of %s at size %" PRIu64 ": %s", kc->origin,
                        size, why.msg);
}

int gs_keychain_add_proven(gs_keychain *kc, const gs_keychain_proof *links, size_t n, uint64_t size,
                           const gs_hash *root, gs_error *err)
{
    if (kc->n != 1 || kc->next_index != 0)
        return gs_error_set(err, GS_EINVAL,
                            "key chain of %s: proven links go on a chain holding its anchor only",
                            kc->origin);
    gs_keychain t;
    int rc = gs_keychain_copy(&t, kc, err);
    if (rc != 0)
        return rc;
    for (size_t k = 0; k < n && rc == 0; k++) {
        const gs_keychain_proof *l = &links[k];
        gs_statement st;
        memset(&st, 0, sizeof st);
        gs_hash leaf;
        if (l->index >= size || (k > 0 && l->index <= links[k - 1].index)) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "key chain of %s: rotation %zu at index %" PRIu64
                              " is out of order or not below size %" PRIu64,
                              kc->origin, k + 1, l->index, size);
            break;
        }
        if ((rc = gs_wire_open_entry(l->entry, &st, err)) != 0) {
            gs_error_wrap(err, "key chain of %s: the entry at index %" PRIu64, kc->origin,
                          l->index);
            rc = err != NULL && err->code == GS_EVERIFY ? GS_EVERIFY : rc;
            break;
        }
        if (st.kind != GS_BODY_KEY_ROTATION ||
            sodium_memcmp(st.signer.b, gs_keychain_current(&t)->b, 32) != 0) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "key chain of %s: the entry at index %" PRIu64
                              " is not a rotation of the log key in force there",
                              kc->origin, l->index);
        } else {
            gs_merkle_leaf_hash(l->entry, &leaf);
            if ((rc = gs_merkle_verify_inclusion(&leaf, l->index, size, l->proof, l->n_proof, root,
                                                 err)) != 0) {
                gs_error_wrap(err,
                              "key chain of %s: the rotation at index %" PRIu64
                              " is not in the tree of size %" PRIu64,
                              kc->origin, l->index, size);
                rc = GS_EVERIFY;
                if (err != NULL)
                    err->code = GS_EVERIFY;
            } else {
                t.next_index = l->index;
                rc = gs_keychain_observe(&t, l->index, &st, err) < 0 ? GS_EINVAL : 0;
            }
        }
        gs_statement_clear(&st);
    }
    if (rc == 0) {
        t.next_index = size;
        gs_keychain_clear(kc);
        *kc = t;
    } else {
        gs_keychain_clear(&t);
    }
    return rc;
}

int gs_keychain_add_links(gs_keychain *kc, const gs_key_link *links, size_t n, uint64_t size,
                          const gs_hash *root, gs_error *err)
{
    gs_keychain_proof *p = calloc(n ? n : 1, sizeof *p);
    if (p == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory for the key chain of %s", kc->origin);
    for (size_t k = 0; k < n; k++)
        p[k] = (gs_keychain_proof){.index = links[k].index,
                                   .entry = gs_bytes_of(links[k].entry.p, links[k].entry.n),
                                   .proof = links[k].proof,
                                   .n_proof = links[k].n_proof};
    int rc = gs_keychain_add_proven(kc, p, n, size, root, err);
    free(p);
    return rc;
}
