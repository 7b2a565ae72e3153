/* note.h — C2SP signed notes, tlog checkpoints and cosignature/v1.
 *
 * A signed note (c2sp.org/signed-note) is UTF-8 text ending in '\n', a blank
 * line, and one or more signature lines
 *     "— <key name> <base64(4-byte key ID || signature)>\n"
 * (U+2014 em dash, then a space). The text is everything up to and including
 * the newline before the LAST blank line; it is what Ed25519 (alg 0x01) signs.
 *
 * A checkpoint (c2sp.org/tlog-checkpoint) is a note whose text is
 *     "<origin>\n<decimal size>\n<base64 32-byte root>\n" [extension lines]
 * and a cosignature (c2sp.org/tlog-cosignature, alg 0x04) is a signature line
 * whose signature is key ID || u64 big-endian timestamp || Ed25519 over
 *     "cosignature/v1\ntime <timestamp>\n" || the whole note text
 * (extension lines included, signature lines excluded).
 *
 * Invariants of a gs_note:
 * - the whole serialized note is at most GS_NOTE_MAX bytes and carries at
 *   least one and at most GS_NOTE_MAX_SIGS signature lines;
 * - it is valid UTF-8 without ASCII control characters other than '\n';
 * - signature lines keep the bytes they arrived with, in arrival order,
 *   repeats included, so gs_note_format of a parsed note gives back the
 *   input byte for byte.
 *
 * What a verifier must accept (c2sp.org/signed-note, and what
 * golang.org/x/mod/sumdb/note's Open accepts): a line from a key it does
 * not know is ignored — even repeated, even two different lines with the
 * same unknown name and key ID, even when the name is one no verifier key
 * can have (U+007F, longer than GS_VKEY_NAME_MAX) or the base64 is a
 * non-canonical spelling. Only the FIRST line of a (name, key ID) is ever
 * verified; later lines with that pair are dropped unverified, as Go does.
 * A known key's line that does not verify (wrong length, bad signature,
 * non-canonical base64) still rejects the whole note.
 *
 * Parsing checks syntax only; nothing in a note may be trusted before
 * gs_note_verify has accepted it against keys the caller trusts.
 * Every function returns 0 or a negative GS_E… code with err filled.
 * Call gs_crypto_init once before using this module.
 */
#ifndef GS_NOTE_H
#define GS_NOTE_H

#include "crypto.h"
#include "error.h"
#include "types.h"

/* c2sp.org/signed-note: a verifier "MUST accept at least up to 16
 * signatures", and post-quantum ones approach 5 kB. 24 KiB carries seven
 * ML-DSA-44 cosignature lines (2432 bytes, 3244 in base64) besides a
 * checkpoint, or a hundred Ed25519 lines; two notes still fit in one
 * Evidence entry (GS_MAX_ENTRY, 64 KiB). wire.h's GS_MAX_NOTE is the same
 * number. GS_NOTE_MAX_SIGS is Go's limit (Open refuses a 101st line). */
#define GS_NOTE_MAX (24 * 1024)
#define GS_NOTE_MAX_SIGS 100
/* c2sp.org/tlog-cosignature: the signed message of an Ed25519 cosignature
 * starts with this header line. */
#define GS_COSIGNATURE_V1_HEADER "cosignature/v1\n"

/* One signature line. All pointers borrow from the gs_note that holds it and
 * are valid until gs_note_free. */
typedef struct {
    /* key name; "" when it is longer than GS_VKEY_NAME_MAX bytes (no
     * verifier key has such a name, so the line matches nothing) */
    char name[GS_VKEY_NAME_MAX + 1];
    uint32_t key_hash;  /* key ID, the first 4 signature bytes */
    const uint8_t *sig; /* the signature bytes after the key ID */
    size_t sig_len;
    const char *line; /* the line as it arrived, from the em dash, without '\n' */
    size_t line_len;
    /* 1 when the base64 is a second spelling (non-zero unused bits before
     * the padding, which Go's decoder accepts): carried, but a known key's
     * line in this form does not verify. */
    int noncanonical;
} gs_note_sig;

typedef struct gs_note gs_note;

/* Parses a serialized note. Refuses (GS_ETOOBIG) more than GS_NOTE_MAX bytes
 * or GS_NOTE_MAX_SIGS signature lines, and (GS_EINVAL) invalid UTF-8, control
 * characters, a note not ending in '\n', a missing blank line or no signature
 * line, a line without "— ", an empty key name or one with a Unicode space
 * or '+', a signature that is not padded standard base64 (a non-canonical
 * last character is accepted and flagged), and a signature shorter than key
 * ID + 1 byte: what signed-note makes malformed for every verifier.
 * Repeated lines and lines sharing a (name, key ID) are accepted and kept.
 * Caller owns *out (gs_note_free). */
int gs_note_parse(const char *msg, size_t len, gs_note **out, gs_error *err);
/* Frees *np and sets it to NULL; safe on NULL. */
void gs_note_free(gs_note **np);

/* The note text, final newline included; NUL-terminated, borrowed. */
const char *gs_note_text(const gs_note *n, size_t *len);
size_t gs_note_sig_count(const gs_note *n);
/* i < gs_note_sig_count(n); borrowed. */
const gs_note_sig *gs_note_sig_at(const gs_note *n, size_t i);

/* Serializes the note: text, blank line, signature lines in order.
 * *out is malloc'd and NUL-terminated (caller frees); out_len may be NULL. */
int gs_note_format(const gs_note *n, char **out, size_t *out_len, gs_error *err);

/* Adds one signature line (with or without its final '\n') at the end.
 * The line exactly equal to one already held is a no-op; another line with
 * the same key name and ID is GS_ECONFLICT. Stricter than parsing: the name
 * must be a valid key name (gs_vkey_name_valid) and the base64 canonical,
 * as any line a key of ours or a witness makes is. Does not verify the
 * signature. */
int gs_note_add_signature(gs_note *n, const char *line, size_t len, gs_error *err);
/* Adds every signature of src to dst, in src's order, with the rules of
 * gs_note_add_signature. The texts must be identical (GS_ECONFLICT if not).
 * On error dst may already hold some of src's signatures. */
int gs_note_merge(gs_note *dst, const gs_note *src, gs_error *err);

/* The outcome of gs_note_verify for one trusted key. */
typedef struct {
    int verified;      /* 1 when a signature by this key verified */
    int64_t timestamp; /* cosignature/v1 (alg 0x04) time; 0 otherwise */
} gs_note_result;

/* Verifies n against trusted keys (alg 0x01 and 0x04). A signature line
 * matches a key when both name and key ID match (c2sp.org/signed-note);
 * other lines are ignored, and so are later lines repeating a matched
 * (name, key ID). A first matching signature that does not verify is
 * GS_EVERIFY naming the key; no matching signature at all is GS_EVERIFY
 * naming the keys looked for. results (nkeys entries) and nverified may be
 * NULL; they are filled whenever the note is accepted. */
int gs_note_verify(const gs_note *n, const gs_vkey *keys, size_t nkeys, gs_note_result *results,
                   size_t *nverified, gs_error *err) GS_MUST_USE;

/* Signs text (which must end in '\n') with an alg 0x01 key named key_name
 * and returns the whole note: text, "\n", one signature line. *out is
 * malloc'd and NUL-terminated. */
int gs_note_sign(const char *text, size_t text_len, const char *key_name, const gs_keypair *kp,
                 char **out, gs_error *err);

/* A checkpoint body. origin and ext are owned (gs_checkpoint_clear). */
typedef struct {
    char *origin;  /* non-empty, no newline */
    uint64_t size; /* tree size */
    gs_hash root;  /* RFC 6962 root hash */
    char **ext;    /* extension lines, without '\n', each non-empty */
    size_t n_ext;
} gs_checkpoint;

/* Parses a checkpoint body (a note text). Refuses fewer than three lines, an
 * empty origin, a size that is not canonical decimal (no sign, no leading
 * zero, fits in 64 bits), a root that is not base64 of 32 bytes, size 0
 * with a root other than the empty tree's (SHA-256 of ""), an empty
 * extension line, and a body not ending in '\n'. On success *out owns memory;
 * on failure *out is left empty. */
int gs_checkpoint_parse(const char *text, size_t len, gs_checkpoint *out,
                        gs_error *err) GS_MUST_USE;
void gs_checkpoint_clear(gs_checkpoint *cp);

/* "<origin>\n<size>\n<base64 root>\n", malloc'd and NUL-terminated. */
int gs_checkpoint_format(const char *origin, uint64_t size, const gs_hash *root, char **out,
                         gs_error *err);
/* As gs_checkpoint_format, followed by cp's extension lines. */
int gs_checkpoint_format_full(const gs_checkpoint *cp, char **out, gs_error *err);

/* Makes a cosignature/v1 line "— <name> <base64>\n" over text (a checkpoint
 * body, which is parsed first so a witness never cosigns anything else) at
 * timestamp (unix seconds, >= 0). *line is malloc'd and NUL-terminated; add
 * it to the note with gs_note_add_signature. */
int gs_cosignature_sign(const char *text, size_t text_len, const char *name, const gs_keypair *kp,
                        int64_t timestamp, char **line, gs_error *err);
/* Finds the cosignature by vk (alg 0x04) in n and verifies it; returns its
 * timestamp. GS_ENOTFOUND when n carries no line from vk, GS_EVERIFY when
 * it does not verify. */
int gs_cosignature_verify(const gs_note *n, const gs_vkey *vk, int64_t *timestamp,
                          gs_error *err) GS_MUST_USE;
/* The timestamp a cosignature/v1 line claims, WITHOUT verifying it (for
 * display and for choosing which line to verify). GS_EINVAL when the
 * signature is not 8-byte timestamp || 64-byte signature after the key ID,
 * or the timestamp exceeds 2^63-1. */
int gs_cosignature_timestamp(const gs_note_sig *s, int64_t *timestamp, gs_error *err);

#endif
