/* keychain.h — the keys of one log across rotations of its log key.
 *
 * A follower is given one key for a log (a trust file's `log` line, a hub's
 * `log_key`): the trust anchor. The log itself records every later key: a
 * KeyRotation signed by the log key in force makes its new key the log key
 * (rules.h rule 11). A rotation at index i moves the key for every checkpoint
 * whose tree holds it, so the key in force for tree size s is the key of the
 * last rotation at an index below s, or the anchor. The retired key signs no
 * checkpoint of a larger size (rule 4): a note of size > i signed by it is
 * not the log's.
 *
 * The chain is built by feeding the log's entries in order
 * (gs_keychain_observe). It is the same computation as gs_rules_log_key over
 * the same entries, but keeps the history, which a verifier of an older
 * checkpoint (evidence, a split view at a size before the rotation) needs,
 * and needs no rule state. Entries that break the rules are the caller's
 * concern: a rule-following log never holds a KeyRotation by a retired key,
 * and one that does is evidence (rule-violation) anyway. */
#ifndef GS_KEYCHAIN_H
#define GS_KEYCHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto.h"
#include "error.h"
#include "note.h"
#include "wire.h"

typedef struct {
    gs_pubkey key;
    /* the first tree size this key signs: 0 for the anchor, i + 1 for the
     * key a rotation at index i made */
    uint64_t from_size;
} gs_keychain_link;

typedef struct {
    char origin[GS_MAX_ORIGIN + 1];
    gs_keychain_link *links; /* links[0] is the anchor; from_size grows */
    size_t n, cap;
    uint64_t next_index; /* entries below it were observed */
} gs_keychain;

/* Starts a chain at anchor for origin (the note key name of every link). */
int gs_keychain_init(gs_keychain *kc, const char *origin, const gs_pubkey *anchor,
                     gs_error *err) GS_MUST_USE;
void gs_keychain_clear(gs_keychain *kc);
int gs_keychain_copy(gs_keychain *dst, const gs_keychain *src, gs_error *err) GS_MUST_USE;

/* Observes entry `index` of the log; entries are fed in order, each once
 * (index must equal kc->next_index: GS_EINVAL otherwise, so a gap cannot
 * hide a rotation). A KeyRotation signed by the key in force at index adds
 * a link; every other statement only moves next_index. Returns 1 when a
 * link was added, 0 when not, < 0 on error. */
int gs_keychain_observe(gs_keychain *kc, uint64_t index, const gs_statement *st, gs_error *err);

/* Forgets what was observed from index `size` on (a sync whose entries were
 * not kept): links made at indexes >= size go, next_index becomes size when
 * it was larger. */
void gs_keychain_truncate(gs_keychain *kc, uint64_t size);

/* The key that signs checkpoints of tree size `size`. Only sizes up to
 * next_index are known: for a larger size it is the newest key observed,
 * and a rotation in the unobserved entries may have moved it. */
const gs_pubkey *gs_keychain_key_for_size(const gs_keychain *kc, uint64_t size);
/* The same as a verifier key named origin. */
int gs_keychain_vkey_for_size(const gs_keychain *kc, uint64_t size, gs_vkey *out,
                              gs_error *err) GS_MUST_USE;
/* The newest key observed. */
const gs_pubkey *gs_keychain_current(const gs_keychain *kc);
/* The link holding key, or -1. */
ssize_t gs_keychain_find(const gs_keychain *kc, const gs_pubkey *key);
/* The link whose verifier key has this note key ID (name = origin), or -1:
 * lets a caller tell a note signed by a later key it has not seen the
 * rotation to yet (-1) from one signed by a retired key. */
ssize_t gs_keychain_find_key_hash(const gs_keychain *kc, uint32_t key_hash);

/* Verifies checkpoint note n of tree size `size` with the key for that size.
 * GS_EVERIFY with a sentence that says which case it is: signed by a retired
 * key (naming the rotation that retired it), by a key the chain does not
 * hold (a rotation not observed yet, or not the log's), or a bad signature. */
int gs_keychain_verify_note(const gs_keychain *kc, const gs_note *n, uint64_t size,
                            gs_error *err) GS_MUST_USE;

/* One rotation of the log key as a server proves it (GetKeyChain, bundles,
 * evidence: docs/formats.md "Key chains"): the KeyRotation entry at index,
 * with its inclusion proof in a tree the caller names. Borrowed. */
typedef struct {
    uint64_t index;
    gs_bytes entry; /* serialized SignedStatement */
    const gs_hash *proof;
    size_t n_proof;
} gs_keychain_proof;

/* Extends kc, which holds only its anchor (nothing observed), with proven
 * links for the tree (size, root): indexes strictly growing and below size;
 * each entry opens (its signature verifies), is a KeyRotation signed by the
 * key in force at its index, and is included at its index. GS_EVERIFY naming
 * the link otherwise, and kc is left as it was. After it kc.next_index is
 * size: what the server showed is taken as every rotation below size. Only a
 * reader of every entry (a hub, a monitor, an audit) can tell a rotation
 * left out; a light client relies on the witnesses, which are such readers,
 * for that, as it does for everything else in the log. */
int gs_keychain_add_proven(gs_keychain *kc, const gs_keychain_proof *links, size_t n, uint64_t size,
                           const gs_hash *root, gs_error *err) GS_MUST_USE;
/* The same over links as the wire carries them (wire.h gs_key_link). */
int gs_keychain_add_links(gs_keychain *kc, const gs_key_link *links, size_t n, uint64_t size,
                          const gs_hash *root, gs_error *err) GS_MUST_USE;

#endif
