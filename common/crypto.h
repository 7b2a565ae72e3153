/* crypto.h — keys, key files, hashing, Ed25519 with domain separation,
 * verifier key strings. Everything here is libsodium; nothing is hand-made.
 *
 * Invariants:
 * - a gs_keypair holds a secret key; wipe it with gs_keypair_wipe before it
 *   goes out of scope (STYLE §10);
 * - every signature giamsat makes over a protocol message is over
 *   domain || message, where domain is one of the GS_DOMAIN_* strings, so a
 *   signature for one purpose can never be replayed for another;
 * - note signatures (checkpoints, cosignatures) follow C2SP signed-note and
 *   are made with gs_sign_raw, whose message already carries its own context.
 */
#ifndef GS_CRYPTO_H
#define GS_CRYPTO_H

#include "error.h"
#include "types.h"

#define GS_DOMAIN_STATEMENT "giamsat/statement/v1\n"
#define GS_DOMAIN_RECEIPT "giamsat/receipt/v1\n"
#define GS_DOMAIN_RECEIPT_BATCH "giamsat/receipt-batch/v1\n"

typedef struct {
    gs_pubkey pub;
    uint8_t sec[64]; /* libsodium Ed25519 secret key: seed || public key */
} gs_keypair;

/* Must be called once before anything else here (wraps sodium_init). */
int gs_crypto_init(gs_error *err);

void gs_keypair_generate(gs_keypair *kp);
void gs_keypair_from_seed(gs_keypair *kp, const uint8_t seed[32]);
void gs_keypair_wipe(gs_keypair *kp);

/* Key files. Written with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; refuses to
 * overwrite. passphrase may be NULL (unprotected file). Reading refuses a
 * file readable or writable by group or others, a truncated or malformed
 * file, a KDF cost above libsodium's SENSITIVE one (before any allocation),
 * and a wrong passphrase (GS_EPASS, "wrong passphrase for key file X").
 * The on-disk format is described in docs/formats.md. */
int gs_keyfile_write(const char *path, const gs_keypair *kp, const char *passphrase, gs_error *err);
int gs_keyfile_read(const char *path, const char *passphrase, gs_keypair *out, gs_error *err);
/* The public key stored in a key file, read without the passphrase (for
 * `giamsat key show`). Same file checks as gs_keyfile_read; the secret part
 * is checked for shape but not decrypted. */
int gs_keyfile_read_public(const char *path, gs_pubkey *out, gs_error *err);
/* Reads a passphrase from the first line of a file (no trailing newline).
 * A regular file readable or writable by group or others is refused
 * (GS_EPERM), as a key file is. buf is wiped by the caller with
 * sodium_memzero when done. */
int gs_passphrase_read_file(const char *path, char *buf, size_t cap, gs_error *err);

/* SHA-256. */
void gs_sha256(gs_bytes msg, gs_hash *out);

/* Ed25519 over domain || msg. gs_verify returns 0 or GS_EVERIFY. */
void gs_sign(const gs_keypair *kp, const char *domain, gs_bytes msg, gs_sig *out);
int gs_verify(const gs_pubkey *pk, const char *domain, gs_bytes msg, const gs_sig *sig) GS_MUST_USE;
/* Ed25519 over msg alone (RFC 8032, signed notes). */
void gs_sign_raw(const gs_keypair *kp, gs_bytes msg, gs_sig *out);
int gs_verify_raw(const gs_pubkey *pk, gs_bytes msg, const gs_sig *sig) GS_MUST_USE;

/* ZeroMQ CURVE keys derived from the Ed25519 identity (DESIGN §4). */
int gs_keypair_to_curve(const gs_keypair *kp, uint8_t curve_pub[32], uint8_t curve_sec[32],
                        gs_error *err);
int gs_pubkey_to_curve(const gs_pubkey *pk, uint8_t curve_pub[32], gs_error *err);

/* Standard base64 with padding (RFC 4648 §4), as signed notes use.
 * gs_base64_encode writes a NUL-terminated string; out_cap must be at least
 * gs_base64_encoded_len(n). gs_base64_decode refuses anything that is not
 * canonical padded base64 and anything longer than cap. */
size_t gs_base64_encoded_len(size_t n);
int gs_base64_encode(char *out, size_t out_cap, gs_bytes in);
int gs_base64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t in_len,
                     gs_error *err);

/* Verifier keys: <name>+<8 hex key hash>+<base64(alg || pubkey)>.
 * key hash = first 4 bytes (big-endian) of SHA-256(name || "\n" || alg || pubkey).
 * alg 0x01: Ed25519 note signatures; alg 0x04: cosignature/v1 (C2SP). */
#define GS_VKEY_ALG_ED25519 0x01
#define GS_VKEY_ALG_COSIGNATURE_V1 0x04
#define GS_VKEY_NAME_MAX 256
#define GS_VKEY_STR_MAX (GS_VKEY_NAME_MAX + 1 + 8 + 1 + 48 + 1)

typedef struct {
    char name[GS_VKEY_NAME_MAX + 1];
    uint32_t key_hash;
    uint8_t alg;
    gs_pubkey key;
} gs_vkey;

/* A note key name: non-empty, at most GS_VKEY_NAME_MAX bytes, no Unicode
 * spaces and no '+' (C2SP signed-note). Returns 0 or GS_EINVAL. */
int gs_vkey_name_valid(const char *name);
uint32_t gs_vkey_hash(const char *name, uint8_t alg, const gs_pubkey *key);
int gs_vkey_make(gs_vkey *out, const char *name, uint8_t alg, const gs_pubkey *key, gs_error *err);
int gs_vkey_format(const gs_vkey *vk, char *out, size_t cap, gs_error *err);
/* Refuses a bad name, a hash that does not match the key, an unknown alg,
 * bad base64 or a wrong length, each with its own sentence. */
int gs_vkey_parse(const char *s, gs_vkey *out, gs_error *err);

/* Hex for logs and messages: out must hold 2*n+1. */
void gs_hex(char *out, gs_bytes in);

/* The one way a person's or a log's key is shown (issue 10): a short
 * fingerprint, the first 8 bytes of the key in lowercase hex
 * ("3f9a0c1d22e4b7a0"), in `entries`, errors, reports and the roster; the
 * full key, when asked for, is its standard base64 (RFC 4648, padded), as
 * every JSON output writes keys. out holds GS_KEY_FINGERPRINT_LEN bytes. */
#define GS_KEY_FINGERPRINT_LEN 17
void gs_key_fingerprint(const gs_pubkey *key, char out[GS_KEY_FINGERPRINT_LEN]);

#endif
