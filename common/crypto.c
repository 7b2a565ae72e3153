/* crypto.c — see crypto.h. Every primitive is libsodium's; this file only
 * frames bytes, parses the key file format (docs/formats.md, "Key files")
 * and the signed-note verifier key syntax (C2SP signed-note). */
#define _POSIX_C_SOURCE 200809L
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* ---- init, keypairs, hashing ------------------------------------------ */

int gs_crypto_init(gs_error *err)
{
    if (sodium_init() < 0)
        return gs_error_set(err, GS_EIO,
                            "libsodium could not initialise (no usable random source?)");
    return 0;
}

void gs_keypair_generate(gs_keypair *kp)
{
    crypto_sign_keypair(kp->pub.b, kp->sec);
}

void gs_keypair_from_seed(gs_keypair *kp, const uint8_t seed[32])
{
    crypto_sign_seed_keypair(kp->pub.b, kp->sec, seed);
}

void gs_keypair_wipe(gs_keypair *kp)
{
    if (kp != NULL)
        sodium_memzero(kp, sizeof *kp);
}

/* libsodium wants a non-NULL pointer even for zero bytes. */
static const uint8_t *nonnull_bytes(gs_bytes b)
{
    static const uint8_t empty[1] = {0};
    return b.p != NULL ? b.p : empty;
}

void gs_sha256(gs_bytes msg, gs_hash *out)
{
    crypto_hash_sha256(out->b, nonnull_bytes(msg), msg.n);
}

/* ---- Ed25519 with domain separation ------------------------------------ */

/* Messages up to this size are framed on the stack; statements usually are. */
#define DOMAIN_STACK_MAX 2048

/* Builds domain || msg in stack (when it fits) or in a malloc'd buffer that
 * the caller frees when it differs from stack. Plain Ed25519 over the
 * concatenation (not Ed25519ph/ctx) so any RFC 8032 verifier can check it.
 * Returns NULL when the sizes overflow or malloc fails. */
static uint8_t *frame_domain(const char *domain, gs_bytes msg, uint8_t *stack, size_t stack_cap,
                             size_t *len)
{
    size_t dlen = strlen(domain);
    if (msg.n > SIZE_MAX - dlen)
        return NULL;
    size_t n = dlen + msg.n;
    uint8_t *buf = n <= stack_cap ? stack : malloc(n == 0 ? 1 : n);
    if (buf == NULL)
        return NULL;
    memcpy(buf, domain, dlen);
    if (msg.n > 0)
        memcpy(buf + dlen, msg.p, msg.n);
    *len = n;
    return buf;
}

void gs_sign(const gs_keypair *kp, const char *domain, gs_bytes msg, gs_sig *out)
{
    uint8_t stack[DOMAIN_STACK_MAX];
    size_t n = 0;
    if (domain == NULL) {
        /* A protocol signature without a domain breaks the invariant of
         * crypto.h; there is no safe signature to return. */
        fprintf(stderr, "gs_sign: called without a domain (use gs_sign_raw for notes)\n");
        abort();
    }
    uint8_t *buf = frame_domain(domain, msg, stack, sizeof stack, &n);
    if (buf == NULL) {
        /* gs_sign cannot report failure; an all-zero or partial signature
         * sent out would be worse than stopping here. */
        fprintf(stderr, "gs_sign: out of memory framing a %zu-byte message\n", msg.n);
        abort();
    }
    crypto_sign_detached(out->b, NULL, buf, n, kp->sec);
    if (buf != stack)
        free(buf);
}

int gs_verify(const gs_pubkey *pk, const char *domain, gs_bytes msg, const gs_sig *sig)
{
    uint8_t stack[DOMAIN_STACK_MAX];
    size_t n = 0;
    if (domain == NULL)
        return GS_EINVAL;
    uint8_t *buf = frame_domain(domain, msg, stack, sizeof stack, &n);
    if (buf == NULL)
        return GS_ENOMEM;
    int rc = crypto_sign_verify_detached(sig->b, buf, n, pk->b) == 0 ? 0 : GS_EVERIFY;
    if (buf != stack)
        free(buf);
    return rc;
}

void gs_sign_raw(const gs_keypair *kp, gs_bytes msg, gs_sig *out)
{
    crypto_sign_detached(out->b, NULL, nonnull_bytes(msg), msg.n, kp->sec);
}

int gs_verify_raw(const gs_pubkey *pk, gs_bytes msg, const gs_sig *sig)
{
    if (crypto_sign_verify_detached(sig->b, nonnull_bytes(msg), msg.n, pk->b) != 0)
        return GS_EVERIFY;
    return 0;
}

/* ---- CURVE keys --------------------------------------------------------- */

int gs_keypair_to_curve(const gs_keypair *kp, uint8_t curve_pub[32], uint8_t curve_sec[32],
                        gs_error *err)
{
    if (crypto_sign_ed25519_pk_to_curve25519(curve_pub, kp->pub.b) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "this Ed25519 public key is not a valid curve point, so it has no "
                            "CURVE (X25519) equivalent; generate a new key");
    if (crypto_sign_ed25519_sk_to_curve25519(curve_sec, kp->sec) != 0) {
        sodium_memzero(curve_sec, 32);
        return gs_error_set(err, GS_EINVAL,
                            "this Ed25519 secret key could not be converted to a CURVE key");
    }
    return 0;
}

int gs_pubkey_to_curve(const gs_pubkey *pk, uint8_t curve_pub[32], gs_error *err)
{
    if (crypto_sign_ed25519_pk_to_curve25519(curve_pub, pk->b) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "this Ed25519 public key is not a valid curve point, so it has no "
                            "CURVE (X25519) equivalent; check the server key");
    return 0;
}

/* ---- base64 (RFC 4648 §4, padded) -------------------------------------- */

size_t gs_base64_encoded_len(size_t n)
{
    return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
}

int gs_base64_encode(char *out, size_t out_cap, gs_bytes in)
{
    /* Keep sodium_base64_ENCODED_LEN from overflowing. */
    if (in.n > SIZE_MAX / 4 * 3 - 3)
        return GS_ETOOBIG;
    if (out == NULL || out_cap < gs_base64_encoded_len(in.n))
        return GS_EINVAL;
    if (in.n == 0) {
        out[0] = '\0';
        return 0;
    }
    sodium_bin2base64(out, out_cap, in.p, in.n, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

static bool is_base64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

int gs_base64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t in_len,
                     gs_error *err)
{
    *out_len = 0;
    if (in_len == 0)
        return 0;
    if (in == NULL)
        return gs_error_set(err, GS_EINVAL, "base64 text is missing");
    /* RFC 4648 §4: padded base64 always comes in whole groups of four. */
    if (in_len % 4 != 0)
        return gs_error_set(err, GS_EINVAL,
                            "base64 text is %zu characters long; padded base64 is a multiple of 4",
                            in_len);
    size_t pad = 0;
    if (in[in_len - 1] == '=')
        pad++;
    if (pad == 1 && in[in_len - 2] == '=')
        pad++;
    for (size_t i = 0; i < in_len - pad; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_base64_char(c))
            continue;
        if (c == '=')
            return gs_error_set(err, GS_EINVAL,
                                "base64 text has '=' padding at position %zu, before its end", i);
        if (c == ' ' || (c >= '\t' && c <= '\r'))
            return gs_error_set(err, GS_EINVAL, "base64 text contains whitespace at position %zu",
                                i);
        return gs_error_set(err, GS_EINVAL,
                            "base64 text contains a character that is not base64 at position %zu",
                            i);
    }
    size_t need = in_len / 4 * 3 - pad;
    if (need > cap)
        return gs_error_set(err, GS_ETOOBIG,
                            "base64 text decodes to %zu bytes, more than the %zu expected", need,
                            cap);
    /* The shape is right; what libsodium can still refuse is a last
     * character whose unused low bits are not zero (RFC 4648 §3.5), i.e. a
     * second spelling of the same bytes. */
    size_t got = 0;
    if (sodium_base642bin(out, cap, in, in_len, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) !=
            0 ||
        got != need) {
        sodium_memzero(out, cap);
        return gs_error_set(err, GS_EINVAL,
                            "base64 text is not canonical: the character before the padding "
                            "carries bits that must be zero");
    }
    *out_len = got;
    return 0;
}

/* ---- hex ---------------------------------------------------------------- */

void gs_hex(char *out, gs_bytes in)
{
    if (in.n == 0) {
        out[0] = '\0';
        return;
    }
    sodium_bin2hex(out, 2 * in.n + 1, in.p, in.n);
}

void gs_key_fingerprint(const gs_pubkey *key, char out[GS_KEY_FINGERPRINT_LEN])
{
    gs_hex(out, gs_bytes_of(key->b, 8));
}

/* ---- key files ---------------------------------------------------------- */

#define KEYFILE_MAGIC "giamsat secret key v1"
#define KEYFILE_MAGIC_PREFIX "giamsat secret key "
/* A key file is under 400 bytes; anything much larger is not one. */
#define KEYFILE_MAX 4096
#define SEED_BYTES crypto_sign_SEEDBYTES
#define BOX_BYTES (crypto_secretbox_MACBYTES + SEED_BYTES)
#define SALT_BYTES crypto_pwhash_argon2id_SALTBYTES
/* Bounds on the stored KDF cost, checked before the KDF runs (its cost
 * cannot be authenticated first: the MAC is keyed by its output). A tampered
 * line must not make us allocate gigabytes or spin for minutes, so the
 * ceiling is libsodium's SENSITIVE cost (4 passes over 1 GiB); an honest file
 * may still raise the cost well above the INTERACTIVE defaults written today. */
#define KDF_OPS_MIN crypto_pwhash_argon2id_OPSLIMIT_MIN
#define KDF_OPS_MAX ((unsigned long long)crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE)
#define KDF_MEM_MIN crypto_pwhash_argon2id_MEMLIMIT_MIN
#define KDF_MEM_MAX ((unsigned long long)crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE)
_Static_assert(crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE == 4 &&
                   crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE == 1073741824,
               "parse_kdf's messages name these bounds");

typedef struct {
    bool encrypted;
    unsigned long long opslimit;
    unsigned long long memlimit;
    uint8_t salt[SALT_BYTES];
    gs_pubkey pub;
    uint8_t nonce[crypto_secretbox_NONCEBYTES];
    uint8_t key[BOX_BYTES]; /* the seed, or secretbox(seed) when encrypted */
    size_t key_len;
} keyfile;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The directory entry of a new file is durable only once its directory is
 * synced too. */
static void fsync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int gs_keyfile_write(const char *path, const gs_keypair *kp, const char *passphrase, gs_error *err)
{
    int rc = GS_EIO;
    int fd = -1;
    bool created = false;
    char text[1024];
    uint8_t dk[crypto_secretbox_KEYBYTES];
    uint8_t box[BOX_BYTES];
    char key64[96], pub64[64], salt64[64], nonce64[64];
    keyfile kf;
    memset(&kf, 0, sizeof kf);

    if (sodium_memcmp(kp->pub.b, kp->sec + SEED_BYTES, sizeof kp->pub.b) != 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "cannot write key file %s: the keypair's public key does not match "
                          "its secret key",
                          path);
        goto out;
    }
    gs_base64_encode(pub64, sizeof pub64, gs_bytes_of(kp->pub.b, sizeof kp->pub.b));
    int n;
    if (passphrase != NULL) {
        size_t plen = strlen(passphrase);
        if (plen == 0) {
            rc = gs_error_set(err, GS_EINVAL,
                              "cannot write key file %s: the passphrase is empty; give a "
                              "non-empty one or none",
                              path);
            goto out;
        }
        randombytes_buf(kf.salt, sizeof kf.salt);
        randombytes_buf(kf.nonce, sizeof kf.nonce);
        kf.opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
        kf.memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
        if (crypto_pwhash(dk, sizeof dk, passphrase, plen, kf.salt, kf.opslimit,
                          (size_t)kf.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
            rc = gs_error_set(err, GS_ENOMEM,
                              "cannot write key file %s: not enough memory for argon2id "
                              "(%llu MiB)",
                              path, kf.memlimit >> 20);
            goto out;
        }
        crypto_secretbox_easy(box, kp->sec, SEED_BYTES, kf.nonce, dk);
        gs_base64_encode(key64, sizeof key64, gs_bytes_of(box, sizeof box));
        gs_base64_encode(salt64, sizeof salt64, gs_bytes_of(kf.salt, sizeof kf.salt));
        gs_base64_encode(nonce64, sizeof nonce64, gs_bytes_of(kf.nonce, sizeof kf.nonce));
        n = snprintf(text, sizeof text,
                     KEYFILE_MAGIC "\nkdf argon2id13 %llu %llu %s\npublic %s\nnonce %s\nkey %s\n",
                     kf.opslimit, kf.memlimit, salt64, pub64, nonce64, key64);
    } else {
        gs_base64_encode(key64, sizeof key64, gs_bytes_of(kp->sec, SEED_BYTES));
        n = snprintf(text, sizeof text, KEYFILE_MAGIC "\nkdf none\npublic %s\nkey %s\n", pub64,
                     key64);
    }
    if (n < 0 || (size_t)n >= sizeof text) {
        rc = gs_error_set(err, GS_EINVAL, "cannot write key file %s: internal size error", path);
        goto out;
    }

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        if (e == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            rc = gs_error_set(err, GS_EPERM,
                              "key file %s is a symbolic link; refusing to write through it", path);
        else if (e == EEXIST)
            rc = gs_error_set(err, GS_ECONFLICT,
                              "key file %s already exists; refusing to overwrite it (move it "
                              "away or choose another path)",
                              path);
        else
            rc = gs_error_set(err, GS_EIO, "cannot create key file %s: %s", path, strerror(e));
        goto out;
    }
    created = true;
    if (write_all(fd, text, (size_t)n) != 0 || fsync(fd) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot write key file %s: %s", path, strerror(errno));
        goto out;
    }
    int cfd = fd;
    fd = -1;
    if (close(cfd) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot write key file %s: %s", path, strerror(errno));
        goto out;
    }
    fsync_parent(path);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && created)
        unlink(path);
    sodium_memzero(text, sizeof text);
    sodium_memzero(dk, sizeof dk);
    sodium_memzero(box, sizeof box);
    sodium_memzero(key64, sizeof key64);
    sodium_memzero(&kf, sizeof kf);
    return rc;
}

/* Reads the whole key file into buf (at most KEYFILE_MAX bytes), refusing
 * symlinks, non-regular files and files others can read or write. */
static int keyfile_load(const char *path, char *buf, size_t *len, gs_error *err)
{
    int rc = GS_EIO;
    /* O_NONBLOCK: a FIFO planted at the path must not hang us before the
     * regular-file check; it changes nothing for regular files. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            return gs_error_set(err, GS_EPERM,
                                "key file %s is a symbolic link; refusing to follow it (give "
                                "the path of the file itself)",
                                path);
        if (errno == ENOENT)
            return gs_error_set(err, GS_ENOTFOUND, "key file %s does not exist", path);
        return gs_error_set(err, GS_EIO, "cannot open key file %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot stat key file %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = gs_error_set(err, GS_EINVAL, "key file %s is not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        const char *what = (st.st_mode & 044)   ? "readable"
                           : (st.st_mode & 022) ? "writable"
                                                : "accessible";
        rc = gs_error_set(err, GS_EPERM, "key file %s is %s by others; chmod 600 it", path, what);
        goto out;
    }
    if (st.st_size > KEYFILE_MAX) {
        rc = gs_error_set(err, GS_ETOOBIG,
                          "key file %s is %lld bytes; a giamsat key file is at most %d bytes", path,
                          (long long)st.st_size, KEYFILE_MAX);
        goto out;
    }
    size_t n = 0;
    for (;;) {
        /* One byte of room past the limit tells a file that grew apart. */
        ssize_t r = read(fd, buf + n, KEYFILE_MAX + 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = gs_error_set(err, GS_EIO, "cannot read key file %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > KEYFILE_MAX) {
            rc = gs_error_set(err, GS_ETOOBIG,
                              "key file %s is larger than %d bytes; it is not a giamsat key file",
                              path, KEYFILE_MAX);
            goto out;
        }
    }
    *len = n;
    rc = 0;
out:
    close(fd);
    return rc;
}

typedef struct {
    const char *p;
    const char *end;
    const char *path;
    int line;
    gs_error *err;
} cursor;

static int malformed(cursor *c, const char *what)
{
    return gs_error_set(c->err, GS_EINVAL, "key file %s is truncated or malformed: line %d %s",
                        c->path, c->line, what);
}

/* Next line "<field> <value>\n"; value is everything after the first space. */
static int next_field(cursor *c, const char *field, const char **value, size_t *vlen)
{
    c->line++;
    if (c->p >= c->end)
        return gs_error_set(c->err, GS_EINVAL,
                            "key file %s is truncated or malformed: it ends before the '%s' "
                            "line",
                            c->path, field);
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (nl == NULL)
        return malformed(c, "is cut off (no end of line)");
    size_t flen = strlen(field);
    size_t len = (size_t)(nl - c->p);
    if (len <= flen || memcmp(c->p, field, flen) != 0 || c->p[flen] != ' ') {
        char what[64];
        snprintf(what, sizeof what, "should start with '%s '", field);
        return malformed(c, what);
    }
    *value = c->p + flen + 1;
    *vlen = len - flen - 1;
    c->p = nl + 1;
    return 0;
}

/* Base64 of exactly want bytes. */
static int field_b64(cursor *c, const char *v, size_t vlen, uint8_t *out, size_t want,
                     const char *what)
{
    uint8_t tmp[128];
    size_t got = 0;
    gs_error sub;
    int rc = gs_base64_decode(tmp, sizeof tmp, &got, v, vlen, &sub);
    if (rc == 0 && got == want) {
        memcpy(out, tmp, want);
    } else {
        char msg[128];
        snprintf(msg, sizeof msg, "is not %zu bytes of base64 %s", want, what);
        rc = malformed(c, msg);
    }
    sodium_memzero(tmp, sizeof tmp);
    return rc;
}

/* A decimal number without sign or leading zeros, in [min, max]. */
static bool parse_decimal(const char *s, size_t n, unsigned long long min, unsigned long long max,
                          unsigned long long *out)
{
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* "kdf none" or "kdf argon2id13 <opslimit> <memlimit> <salt base64>". */
static int parse_kdf(cursor *c, const char *v, size_t vlen, keyfile *kf)
{
    if (vlen == 4 && memcmp(v, "none", 4) == 0) {
        kf->encrypted = false;
        return 0;
    }
    const char *tok[4];
    size_t toklen[4];
    size_t ntok = 0;
    const char *p = v, *end = v + vlen;
    bool more = true;
    while (more && ntok < 4) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *e = sp != NULL ? sp : end;
        tok[ntok] = p;
        toklen[ntok] = (size_t)(e - p);
        ntok++;
        if (sp == NULL)
            more = false;
        else
            p = sp + 1;
    }
    if (toklen[0] != 10 || memcmp(tok[0], "argon2id13", 10) != 0)
        return malformed(c, "names an unknown KDF; expected 'kdf none' or 'kdf argon2id13 ...'");
    if (ntok != 4 || more)
        return malformed(c, "should read 'kdf argon2id13 <opslimit> <memlimit> <salt>'");
    if (!parse_decimal(tok[1], toklen[1], KDF_OPS_MIN, KDF_OPS_MAX, &kf->opslimit))
        return malformed(c, "has an argon2id opslimit that is not a number between 1 and 4 "
                            "(libsodium's SENSITIVE cost); refusing to run the KDF");
    if (!parse_decimal(tok[2], toklen[2], KDF_MEM_MIN, KDF_MEM_MAX, &kf->memlimit) ||
        kf->memlimit > SIZE_MAX)
        return malformed(c, "has an argon2id memlimit that is not a number between 8192 and "
                            "1073741824 bytes (1 GiB, libsodium's SENSITIVE cost); refusing to "
                            "allocate it");
    kf->encrypted = true;
    return field_b64(c, tok[3], toklen[3], kf->salt, sizeof kf->salt, "(the argon2id salt)");
}

static int keyfile_parse(const char *path, const char *buf, size_t len, keyfile *kf, gs_error *err)
{
    cursor c = {buf, buf + len, path, 1, err};
    const char *v;
    size_t vlen;
    int rc;
    memset(kf, 0, sizeof *kf);

    if (memchr(buf, '\0', len) != NULL)
        return gs_error_set(err, GS_EINVAL,
                            "key file %s is truncated or malformed: it contains a NUL byte", path);
    const char *nl = memchr(buf, '\n', len);
    size_t first = nl != NULL ? (size_t)(nl - buf) : len;
    size_t mlen = strlen(KEYFILE_MAGIC), plen = strlen(KEYFILE_MAGIC_PREFIX);
    if (first == mlen + 1 && memcmp(buf, KEYFILE_MAGIC "\r", mlen + 1) == 0)
        return gs_error_set(err, GS_EINVAL,
                            "key file %s is truncated or malformed: it has CRLF line endings "
                            "(edited on Windows?); giamsat key files end lines with LF only",
                            path);
    if (first != mlen || memcmp(buf, KEYFILE_MAGIC, mlen) != 0) {
        if (first > plen && memcmp(buf, KEYFILE_MAGIC_PREFIX, plen) == 0)
            return gs_error_set(err, GS_EINVAL,
                                "key file %s is in a format version this giamsat does not read "
                                "(it reads '" KEYFILE_MAGIC "')",
                                path);
        return gs_error_set(err, GS_EINVAL,
                            "key file %s is not a giamsat secret key file (its first line "
                            "should be '" KEYFILE_MAGIC "')",
                            path);
    }
    if (nl == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "key file %s is truncated or malformed: it ends after its first line",
                            path);
    c.p = nl + 1;

    if ((rc = next_field(&c, "kdf", &v, &vlen)) != 0 || (rc = parse_kdf(&c, v, vlen, kf)) != 0)
        return rc;
    if ((rc = next_field(&c, "public", &v, &vlen)) != 0 ||
        (rc = field_b64(&c, v, vlen, kf->pub.b, sizeof kf->pub.b, "(the public key)")) != 0)
        return rc;
    if (kf->encrypted) {
        if ((rc = next_field(&c, "nonce", &v, &vlen)) != 0 ||
            (rc = field_b64(&c, v, vlen, kf->nonce, sizeof kf->nonce, "(the nonce)")) != 0)
            return rc;
    }
    kf->key_len = kf->encrypted ? BOX_BYTES : SEED_BYTES;
    if ((rc = next_field(&c, "key", &v, &vlen)) != 0 ||
        (rc = field_b64(&c, v, vlen, kf->key, kf->key_len,
                        kf->encrypted ? "(the encrypted seed)" : "(the seed)")) != 0)
        return rc;
    if (c.p != c.end) {
        c.line++;
        return malformed(&c, "follows the 'key' line; nothing may");
    }
    return 0;
}

int gs_keyfile_read(const char *path, const char *passphrase, gs_keypair *out, gs_error *err)
{
    int rc;
    char buf[KEYFILE_MAX + 1];
    size_t len = 0;
    keyfile kf;
    uint8_t seed[SEED_BYTES];
    uint8_t dk[crypto_secretbox_KEYBYTES];
    gs_keypair kp;
    memset(&kf, 0, sizeof kf);
    memset(&kp, 0, sizeof kp);

    if ((rc = keyfile_load(path, buf, &len, err)) != 0)
        goto out;
    if ((rc = keyfile_parse(path, buf, len, &kf, err)) != 0)
        goto out;
    if (!kf.encrypted) {
        memcpy(seed, kf.key, SEED_BYTES);
    } else {
        if (passphrase == NULL) {
            rc = gs_error_set(err, GS_EPASS,
                              "key file %s is passphrase-protected; give --passphrase-file", path);
            goto out;
        }
        if (crypto_pwhash(dk, sizeof dk, passphrase, strlen(passphrase), kf.salt, kf.opslimit,
                          (size_t)kf.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
            rc = gs_error_set(err, GS_ENOMEM,
                              "cannot read key file %s: not enough memory for argon2id "
                              "(%llu MiB)",
                              path, kf.memlimit >> 20);
            goto out;
        }
        /* The MAC fails alike for a wrong passphrase and for a file whose
         * salt, cost, nonce or ciphertext was altered. */
        if (crypto_secretbox_open_easy(seed, kf.key, BOX_BYTES, kf.nonce, dk) != 0) {
            rc = gs_error_set(err, GS_EPASS, "wrong passphrase for key file %s", path);
            goto out;
        }
    }
    gs_keypair_from_seed(&kp, seed);
    if (sodium_memcmp(kp.pub.b, kf.pub.b, sizeof kp.pub.b) != 0) {
        rc = gs_error_set(err, GS_ECORRUPT,
                          "key file %s is corrupt: its public key does not match its secret key",
                          path);
        goto out;
    }
    *out = kp;
    rc = 0;
out:
    sodium_memzero(buf, sizeof buf);
    sodium_memzero(&kf, sizeof kf);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(dk, sizeof dk);
    gs_keypair_wipe(&kp);
    return rc;
}

int gs_keyfile_read_public(const char *path, gs_pubkey *out, gs_error *err)
{
    int rc;
    char buf[KEYFILE_MAX + 1];
    size_t len = 0;
    keyfile kf;
    memset(&kf, 0, sizeof kf);
    if ((rc = keyfile_load(path, buf, &len, err)) != 0)
        goto out;
    if ((rc = keyfile_parse(path, buf, len, &kf, err)) != 0)
        goto out;
    *out = kf.pub;
    rc = 0;
out:
    sodium_memzero(buf, sizeof buf);
    sodium_memzero(&kf, sizeof kf);
    return rc;
}

int gs_passphrase_read_file(const char *path, char *buf, size_t cap, gs_error *err)
{
    int rc = GS_EIO;
    if (cap < 2)
        return gs_error_set(err, GS_EINVAL, "no room to read a passphrase from %s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return gs_error_set(err, GS_ENOTFOUND, "passphrase file %s does not exist", path);
        return gs_error_set(err, GS_EIO, "cannot open passphrase file %s: %s", path,
                            strerror(errno));
    }
    /* A passphrase others can read is as good as a key file others can read
     * (keyfile_load). Pipes and terminals (<(…), /dev/stdin) are not files
     * others keep, so only regular files are held to the mode. */
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot stat passphrase file %s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
        const char *what = (st.st_mode & 044)   ? "readable"
                           : (st.st_mode & 022) ? "writable"
                                                : "accessible";
        rc = gs_error_set(err, GS_EPERM, "passphrase file %s is %s by others; chmod 600 it", path,
                          what);
        goto out;
    }
    size_t n = 0;
    bool eof = false;
    char *nl = NULL;
    /* Read no further than the first line, and never more than cap bytes. */
    while (n < cap && nl == NULL) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = gs_error_set(err, GS_EIO, "cannot read passphrase file %s: %s", path,
                              strerror(errno));
            goto out;
        }
        if (r == 0) {
            eof = true;
            break;
        }
        nl = memchr(buf + n, '\n', (size_t)r);
        n += (size_t)r;
    }
    size_t len;
    if (nl != NULL) {
        len = (size_t)(nl - buf);
    } else if (eof && n < cap) {
        len = n; /* last line without a newline */
    } else {
        rc = gs_error_set(err, GS_ETOOBIG,
                          "the passphrase in %s is too long; at most %zu bytes are accepted", path,
                          cap - 1);
        goto out;
    }
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (memchr(buf, '\0', len) != NULL) {
        rc = gs_error_set(err, GS_EINVAL, "passphrase file %s contains a NUL byte", path);
        goto out;
    }
    if (len == 0) {
        rc =
            gs_error_set(err, GS_EINVAL,
                         "passphrase file %s is empty; put the passphrase on its first line", path);
        goto out;
    }
    /* Whatever followed the first line goes too. */
    sodium_memzero(buf + len, cap - len);
    rc = 0;
out:
    if (rc != 0)
        sodium_memzero(buf, cap);
    close(fd);
    return rc;
}

/* ---- verifier keys (C2SP signed-note) ---------------------------------- */

/* Decodes one UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF). Returns its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Go's unicode.IsSpace, which signed-note names refer to: the ASCII and
 * Latin-1 spaces plus the Unicode White_Space characters. */
static bool is_unicode_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* NULL when name (n bytes) is a valid key name, otherwise why not. */
static const char *name_problem(const char *name, size_t n)
{
    if (n == 0)
        return "it is empty";
    if (n > GS_VKEY_NAME_MAX)
        return "it is longer than 256 bytes";
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = utf8_decode(s + i, n - i, &cp);
        if (l == 0)
            return "it is not valid UTF-8";
        if (cp == '+')
            return "it contains '+'";
        if (is_unicode_space(cp))
            return "it contains a space";
        /* Signed notes may not carry control characters, so a name with
         * one could never sign anything. */
        if (cp < 0x20 || cp == 0x7f)
            return "it contains a control character";
        i += l;
    }
    return NULL;
}

int gs_vkey_name_valid(const char *name)
{
    if (name == NULL)
        return GS_EINVAL;
    size_t n = strnlen(name, GS_VKEY_NAME_MAX + 1);
    return name_problem(name, n) == NULL ? 0 : GS_EINVAL;
}

static uint32_t vkey_hash_raw(const char *name, size_t name_len, const uint8_t *raw, size_t raw_len)
{
    crypto_hash_sha256_state st;
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
    crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
    crypto_hash_sha256_update(&st, raw, raw_len);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

uint32_t gs_vkey_hash(const char *name, uint8_t alg, const gs_pubkey *key)
{
    uint8_t raw[1 + sizeof key->b];
    raw[0] = alg;
    memcpy(raw + 1, key->b, sizeof key->b);
    return vkey_hash_raw(name, strlen(name), raw, sizeof raw);
}

static bool alg_known(uint8_t alg)
{
    return alg == GS_VKEY_ALG_ED25519 || alg == GS_VKEY_ALG_COSIGNATURE_V1;
}

/* A label for error messages: printable, bounded, and never more than the
 * name and key hash of the key (the part after could be anything pasted). */
static void vkey_label(char *out, size_t cap, const char *s, size_t n)
{
    const char *p1 = memchr(s, '+', n);
    const char *p2 = p1 != NULL ? memchr(p1 + 1, '+', (size_t)(s + n - p1 - 1)) : NULL;
    size_t keep = p2 != NULL ? (size_t)(p2 - s) : n;
    bool cut = keep < n;
    if (keep > 80)
        keep = 80, cut = true;
    size_t j = 0;
    for (size_t i = 0; i < keep && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (cut && j + 5 < cap) {
        memcpy(out + j, "+...", 4);
        j += 4;
    }
    out[j] = '\0';
}

int gs_vkey_make(gs_vkey *out, const char *name, uint8_t alg, const gs_pubkey *key, gs_error *err)
{
    memset(out, 0, sizeof *out);
    if (name == NULL)
        return gs_error_set(err, GS_EINVAL, "key name is missing");
    size_t n = strnlen(name, GS_VKEY_NAME_MAX + 1);
    const char *why = name_problem(name, n);
    if (why != NULL) {
        char label[100];
        vkey_label(label, sizeof label, name, n);
        return gs_error_set(err, GS_EINVAL, "key name '%s' is not valid: %s", label, why);
    }
    if (!alg_known(alg))
        return gs_error_set(err, GS_EINVAL,
                            "unknown verifier key algorithm 0x%02x; giamsat knows 0x01 (Ed25519) "
                            "and 0x04 (cosignature/v1)",
                            alg);
    memcpy(out->name, name, n);
    out->name[n] = '\0';
    out->alg = alg;
    out->key = *key;
    out->key_hash = gs_vkey_hash(out->name, alg, key);
    return 0;
}

int gs_vkey_format(const gs_vkey *vk, char *out, size_t cap, gs_error *err)
{
    uint8_t raw[1 + sizeof vk->key.b];
    char b64[64];
    if (gs_vkey_name_valid(vk->name) != 0 || !alg_known(vk->alg))
        return gs_error_set(err, GS_EINVAL,
                            "cannot format a verifier key with a bad name or "
                            "algorithm");
    raw[0] = vk->alg;
    memcpy(raw + 1, vk->key.b, sizeof vk->key.b);
    gs_base64_encode(b64, sizeof b64, gs_bytes_of(raw, sizeof raw));
    int n = snprintf(out, cap, "%s+%08" PRIx32 "+%s", vk->name, vk->key_hash, b64);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return gs_error_set(err, GS_ETOOBIG,
                            "verifier key for %s needs %d bytes of room; only %zu given", vk->name,
                            n + 1, cap);
    }
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#define VKEY_SYNTAX "expected <name>+<8 hex key hash>+<base64 key>"

int gs_vkey_parse(const char *s, gs_vkey *out, gs_error *err)
{
    char label[100];
    uint8_t raw[256];
    size_t raw_len = 0;
    memset(out, 0, sizeof *out);
    if (s == NULL)
        return gs_error_set(err, GS_EINVAL, "verifier key is missing");
    size_t n = strnlen(s, GS_VKEY_STR_MAX);
    vkey_label(label, sizeof label, s, n);
    if (n >= GS_VKEY_STR_MAX)
        return gs_error_set(err, GS_EINVAL, "verifier key %s is longer than %d characters", label,
                            GS_VKEY_STR_MAX - 1);
    /* A signed-note signer key starts so; it must never be echoed or used
     * where a public key belongs. */
    if (strncmp(s, "PRIVATE+KEY+", 12) == 0)
        return gs_error_set(err, GS_EINVAL,
                            "this is a private signer key, not a verifier key; keep it secret "
                            "and give the verifier key instead");
    const char *end = s + n;
    const char *p1 = memchr(s, '+', n);
    if (p1 == NULL)
        return gs_error_set(err, GS_EINVAL, "verifier key %s has no key hash: " VKEY_SYNTAX, label);
    const char *p2 = memchr(p1 + 1, '+', (size_t)(end - p1 - 1));
    if (p2 == NULL)
        return gs_error_set(err, GS_EINVAL, "verifier key %s has no key: " VKEY_SYNTAX, label);

    size_t name_len = (size_t)(p1 - s);
    const char *why = name_problem(s, name_len);
    if (why != NULL)
        return gs_error_set(err, GS_EINVAL, "verifier key %s: the name is not valid: %s", label,
                            why);
    if (p2 - p1 - 1 != 8)
        return gs_error_set(err, GS_EINVAL,
                            "verifier key %s: the key hash must be exactly 8 hex digits", label);
    uint32_t hash = 0;
    for (const char *h = p1 + 1; h < p2; h++) {
        int d = hex_value(*h);
        if (d < 0)
            return gs_error_set(err, GS_EINVAL, "verifier key %s: the key hash is not 8 hex digits",
                                label);
        hash = hash << 4 | (uint32_t)d;
    }
    const char *b64 = p2 + 1;
    size_t b64_len = (size_t)(end - b64);
    if (b64_len == 0)
        return gs_error_set(err, GS_EINVAL, "verifier key %s has no key after the key hash", label);
    gs_error sub;
    if (gs_base64_decode(raw, sizeof raw, &raw_len, b64, b64_len, &sub) != 0)
        return gs_error_set(err, GS_EINVAL, "verifier key %s: the key is not valid: %s", label,
                            sub.msg);
    if (!alg_known(raw[0]))
        return gs_error_set(err, GS_EINVAL,
                            "verifier key %s: unknown algorithm 0x%02x; giamsat knows 0x01 "
                            "(Ed25519) and 0x04 (cosignature/v1)",
                            label, raw[0]);
    if (raw_len != 1 + sizeof out->key.b)
        return gs_error_set(err, GS_EINVAL,
                            "verifier key %s: the key is %zu bytes after the algorithm byte; an "
                            "Ed25519 key is 32",
                            label, raw_len - 1);
    if (vkey_hash_raw(s, name_len, raw, raw_len) != hash)
        return gs_error_set(err, GS_EINVAL, "verifier key %s: key hash does not match the key",
                            label);
    memcpy(out->name, s, name_len);
    out->name[name_len] = '\0';
    out->key_hash = hash;
    out->alg = raw[0];
    memcpy(out->key.b, raw + 1, sizeof out->key.b);
    return 0;
}
