/* test_crypto.c — keys, key files, Ed25519 with domains, base64, verifier
 * keys. Expected values come from published vectors (tests/vectors/: RFC
 * 8032 §7.1, RFC 4648 §10, FIPS 180-2 App. B), from Go's sumdb/note and
 * transparency-dev/formats documentation, or from libsodium used directly. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto.h"

/* ---- helpers ------------------------------------------------------------ */

static char tmpdir[256];

static void path_in_tmp(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", tmpdir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    if (n > 0)
        assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

/* Reads a whole small file into a NUL-terminated malloc'd string. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 8192);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 8191, f);
    fclose(f);
    *len = n;
    return buf;
}

static void hex_to_bin(const char *hex, uint8_t *out, size_t want)
{
    size_t got = 0;
    if (strcmp(hex, "-") == 0) {
        assert_int_equal(want, 0);
        return;
    }
    assert_int_equal(sodium_hex2bin(out, want, hex, strlen(hex), NULL, &got, NULL), 0);
    assert_int_equal(got, want);
}

static int group_setup(void **state)
{
    (void)state;
    if (gs_crypto_init(NULL) != 0)
        return -1;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/giamsat-test-crypto-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- RFC 8032 §7.1 ------------------------------------------------------ */

typedef struct {
    char name[16];
    uint8_t seed[32];
    gs_pubkey pub;
    uint8_t msg[64];
    size_t msg_len;
    gs_sig sig;
} ed_vector;

static size_t load_rfc8032(ed_vector *v, size_t cap)
{
    FILE *f = fopen(GS_VECTORS "/rfc8032-ed25519.txt", "r");
    assert_non_null(f);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        assert_true(n < cap);
        char name[16], seed[65], pub[65], msg[129], sig[129];
        assert_int_equal(sscanf(line, "%15s %64s %64s %128s %128s", name, seed, pub, msg, sig), 5);
        memcpy(v[n].name, name, sizeof name);
        hex_to_bin(seed, v[n].seed, 32);
        hex_to_bin(pub, v[n].pub.b, 32);
        v[n].msg_len = strcmp(msg, "-") == 0 ? 0 : strlen(msg) / 2;
        hex_to_bin(msg, v[n].msg, v[n].msg_len);
        hex_to_bin(sig, v[n].sig.b, 64);
        n++;
    }
    fclose(f);
    return n;
}

static void test_rfc8032_vectors(void **state)
{
    (void)state;
    ed_vector v[8];
    size_t n = load_rfc8032(v, 8);
    assert_int_equal(n, 3); /* TEST 1, 2, 3 */
    for (size_t i = 0; i < n; i++) {
        gs_keypair kp;
        gs_sig sig;
        gs_keypair_from_seed(&kp, v[i].seed);
        assert_memory_equal(kp.pub.b, v[i].pub.b, 32);
        gs_bytes msg = gs_bytes_of(v[i].msg, v[i].msg_len);
        gs_sign_raw(&kp, msg, &sig);
        assert_memory_equal(sig.b, v[i].sig.b, 64);
        assert_int_equal(gs_verify_raw(&v[i].pub, msg, &v[i].sig), 0);

        /* A flipped bit anywhere in message, signature or key is refused. */
        uint8_t longer[65];
        memcpy(longer, v[i].msg, v[i].msg_len);
        if (v[i].msg_len > 0) {
            longer[0] ^= 0x01;
            assert_int_equal(gs_verify_raw(&v[i].pub, gs_bytes_of(longer, v[i].msg_len), &sig),
                             GS_EVERIFY);
        } else {
            longer[0] = 0; /* the empty message grows by one byte */
            assert_int_equal(gs_verify_raw(&v[i].pub, gs_bytes_of(longer, 1), &sig), GS_EVERIFY);
        }
        for (size_t bit = 0; bit < 512; bit += 37) {
            gs_sig bad = sig;
            bad.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(gs_verify_raw(&v[i].pub, msg, &bad), GS_EVERIFY);
        }
        for (size_t bit = 0; bit < 256; bit += 29) {
            gs_pubkey bad = v[i].pub;
            bad.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(gs_verify_raw(&bad, msg, &sig), GS_EVERIFY);
        }
        /* Another vector's key. */
        assert_int_equal(gs_verify_raw(&v[(i + 1) % n].pub, msg, &sig), GS_EVERIFY);
        gs_keypair_wipe(&kp);
        uint8_t zero[sizeof kp] = {0};
        assert_memory_equal(&kp, zero, sizeof kp);
    }
}

/* ---- domain separation -------------------------------------------------- */

static void check_domain(size_t msg_len)
{
    gs_keypair kp;
    gs_sig sig;
    gs_keypair_generate(&kp);
    uint8_t *msg = malloc(msg_len + 1);
    assert_non_null(msg);
    randombytes_buf(msg, msg_len);
    gs_bytes m = gs_bytes_of(msg, msg_len);

    gs_sign(&kp, GS_DOMAIN_STATEMENT, m, &sig);
    assert_int_equal(gs_verify(&kp.pub, GS_DOMAIN_STATEMENT, m, &sig), 0);
    assert_int_equal(gs_verify(&kp.pub, GS_DOMAIN_RECEIPT, m, &sig), GS_EVERIFY);
    assert_int_equal(gs_verify_raw(&kp.pub, m, &sig), GS_EVERIFY);

    /* It is plain Ed25519 over domain || msg, checked here by libsodium
     * directly, so other ecosystems can verify it. */
    size_t dlen = strlen(GS_DOMAIN_STATEMENT);
    uint8_t *cat = malloc(dlen + msg_len);
    assert_non_null(cat);
    memcpy(cat, GS_DOMAIN_STATEMENT, dlen);
    memcpy(cat + dlen, msg, msg_len);
    assert_int_equal(crypto_sign_verify_detached(sig.b, cat, dlen + msg_len, kp.pub.b), 0);

    /* A receipt signature does not pass as a statement signature. */
    gs_sign(&kp, GS_DOMAIN_RECEIPT, m, &sig);
    assert_int_equal(gs_verify(&kp.pub, GS_DOMAIN_RECEIPT, m, &sig), 0);
    assert_int_equal(gs_verify(&kp.pub, GS_DOMAIN_STATEMENT, m, &sig), GS_EVERIFY);

    /* A raw signature does not pass under any domain. */
    gs_sign_raw(&kp, m, &sig);
    assert_int_equal(gs_verify(&kp.pub, GS_DOMAIN_STATEMENT, m, &sig), GS_EVERIFY);
    assert_int_equal(gs_verify(&kp.pub, GS_DOMAIN_RECEIPT, m, &sig), GS_EVERIFY);
    free(cat);
    free(msg);
    gs_keypair_wipe(&kp);
}

static void test_domain_separation(void **state)
{
    (void)state;
    check_domain(0);
    check_domain(100);
    check_domain(100000); /* larger than the stack buffer */
}

/* ---- SHA-256, hex ------------------------------------------------------- */

static void test_sha256_fips180(void **state)
{
    (void)state;
    FILE *f = fopen(GS_VECTORS "/fips180-sha256.txt", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *bar = strstr(line, " | ");
        assert_non_null(bar);
        *bar = '\0';
        char *hex = bar + 3;
        hex[strcspn(hex, "\n")] = '\0';
        gs_hash want, got;
        hex_to_bin(hex, want.b, 32);
        gs_sha256(gs_bytes_of(line, strlen(line)), &got);
        assert_memory_equal(got.b, want.b, 32);
        char out[65];
        gs_hex(out, gs_bytes_of(got.b, 32));
        assert_string_equal(out, hex); /* lowercase */
        n++;
    }
    fclose(f);
    assert_int_equal(n, 2);
}

static void test_hex(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x0f, 0xab, 0xff};
    char out[9];
    gs_hex(out, gs_bytes_of(in, sizeof in));
    assert_string_equal(out, "000fabff");
    gs_hex(out, gs_bytes_of(NULL, 0));
    assert_string_equal(out, "");
}

/* ---- base64 ------------------------------------------------------------- */

static void test_base64_rfc4648(void **state)
{
    (void)state;
    FILE *f = fopen(GS_VECTORS "/rfc4648-base64.txt", "r");
    assert_non_null(f);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char text[64], b64[64];
        assert_int_equal(sscanf(line, "%63s %63s", text, b64), 2);
        if (strcmp(text, "-") == 0)
            text[0] = '\0';
        if (strcmp(b64, "-") == 0)
            b64[0] = '\0';
        size_t tlen = strlen(text);

        char enc[64];
        assert_int_equal(gs_base64_encoded_len(tlen), strlen(b64) + 1);
        assert_int_equal(gs_base64_encode(enc, sizeof enc, gs_bytes_of(text, tlen)), 0);
        assert_string_equal(enc, b64);
        /* One byte short of room is refused. */
        assert_int_equal(gs_base64_encode(enc, strlen(b64), gs_bytes_of(text, tlen)), GS_EINVAL);

        uint8_t dec[64];
        size_t dlen = 99;
        gs_error err;
        assert_int_equal(gs_base64_decode(dec, tlen, &dlen, b64, strlen(b64), &err), 0);
        assert_int_equal(dlen, tlen);
        assert_memory_equal(dec, text, tlen);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 7);
}

static void test_base64_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t cap;
        int want;
        const char *reason;
    } cases[] = {
        {"Zg", 8, GS_EINVAL, "multiple of 4"},
        {"Zg=", 8, GS_EINVAL, "multiple of 4"},
        {"Zg==\n", 8, GS_EINVAL, "multiple of 4"},
        {"Zh==", 8, GS_EINVAL, "not canonical"}, /* "f" is Zg== */
        {"Zm9=", 8, GS_EINVAL, "not canonical"}, /* "fo" is Zm8= */
        {"Zg=a", 8, GS_EINVAL, "padding at position 2"},
        {"Zg==Zg==", 8, GS_EINVAL, "padding at position 2"},
        {"====", 8, GS_EINVAL, "padding at position 0"},
        {"Zm9v====", 8, GS_EINVAL, "padding at position 4"},
        {" Zg=", 8, GS_EINVAL, "whitespace at position 0"},
        {"Zm9v Zm8", 8, GS_EINVAL, "whitespace at position 4"},
        {"Zm9v\tZm8", 8, GS_EINVAL, "whitespace at position 4"},
        {"Zm!v", 8, GS_EINVAL, "not base64 at position 2"},
        {"Zm-v", 8, GS_EINVAL, "not base64 at position 2"}, /* URL alphabet */
        {"Zm9v", 2, GS_ETOOBIG, "decodes to 3 bytes, more than the 2"},
        {"Zm9vYmFy", 5, GS_ETOOBIG, "decodes to 6 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[8];
        size_t n = 99;
        gs_error err;
        gs_error_clear(&err);
        int rc = gs_base64_decode(out, cases[i].cap, &n, cases[i].in, strlen(cases[i].in), &err);
        if (rc != cases[i].want || strstr(err.msg, cases[i].reason) == NULL)
            fail_msg("case %zu (%s): got %d '%s', want %d '%s'", i, cases[i].in, rc, err.msg,
                     cases[i].want, cases[i].reason);
        assert_int_equal(n, 0);
    }
    /* An embedded NUL is not base64 either. */
    uint8_t out[8];
    size_t n;
    gs_error err;
    assert_int_equal(gs_base64_decode(out, sizeof out, &n, "Zm\0v", 4, &err), GS_EINVAL);
}

/* ---- key files ---------------------------------------------------------- */

static const char *const PASS = "correct horse battery staple";

static void test_keyfile_roundtrip(void **state)
{
    (void)state;
    const char *passes[] = {NULL, PASS};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        path_in_tmp(path, sizeof path, i == 0 ? "plain.key" : "protected.key");
        gs_keypair kp, back;
        gs_error err;
        gs_keypair_generate(&kp);
        assert_int_equal(gs_keyfile_write(path, &kp, passes[i], &err), 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(gs_keyfile_read(path, passes[i], &back, &err), 0);
        assert_memory_equal(&back, &kp, sizeof kp);
        gs_pubkey pub;
        assert_int_equal(gs_keyfile_read_public(path, &pub, &err), 0);
        assert_memory_equal(pub.b, kp.pub.b, 32);

        /* The seed never appears in clear in a protected file. */
        size_t len;
        char *text = read_file(path, &len);
        char seed64[64];
        gs_base64_encode(seed64, sizeof seed64, gs_bytes_of(kp.sec, 32));
        if (passes[i] != NULL)
            assert_null(strstr(text, seed64));
        else
            assert_non_null(strstr(text, seed64));
        free(text);
        gs_keypair_wipe(&kp);
        gs_keypair_wipe(&back);
    }
}

/* A key file written by hand from docs/formats.md with the RFC 8032 TEST 1
 * seed (base64 computed independently) reads back to TEST 1's public key. */
static const char TEST1_FILE[] = "giamsat secret key v1\n"
                                 "kdf none\n"
                                 "public 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
                                 "key nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n";

static void test_keyfile_documented_format(void **state)
{
    (void)state;
    ed_vector v[8];
    assert_int_equal(load_rfc8032(v, 8), 3);
    char path[512];
    path_in_tmp(path, sizeof path, "test1.key");
    write_file(path, TEST1_FILE, strlen(TEST1_FILE), 0600);
    gs_keypair kp;
    gs_error err;
    assert_int_equal(gs_keyfile_read(path, NULL, &kp, &err), 0);
    assert_memory_equal(kp.pub.b, v[0].pub.b, 32);
    assert_memory_equal(kp.sec, v[0].seed, 32);
    /* A passphrase given for an unprotected file is not needed, not wrong. */
    assert_int_equal(gs_keyfile_read(path, PASS, &kp, &err), 0);
    gs_keypair_wipe(&kp);
    unlink(path);

    /* Writing the same key gives exactly the documented text. */
    gs_keypair_from_seed(&kp, v[0].seed);
    assert_int_equal(gs_keyfile_write(path, &kp, NULL, &err), 0);
    size_t len;
    char *text = read_file(path, &len);
    assert_string_equal(text, TEST1_FILE);
    free(text);
    gs_keypair_wipe(&kp);
}

static void test_keyfile_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int want;
        const char *reason;
    } cases[] = {
        {"", GS_EINVAL, "not a giamsat secret key file"},
        {"hello\n", GS_EINVAL, "not a giamsat secret key file"},
        {"giamsat secret key v2\nkdf none\n", GS_EINVAL, "format version"},
        {"giamsat secret key v1", GS_EINVAL, "ends after its first line"},
        {"giamsat secret key v1\r\nkdf none\r\n", GS_EINVAL, "CRLF line endings"},
        {"giamsat secret key v1\nkdf scrypt 1 2 AAAA\n", GS_EINVAL, "unknown KDF"},
        {"giamsat secret key v1\nkdf argon2id13 2 67108864\n", GS_EINVAL, "should read"},
        {"giamsat secret key v1\nkdf argon2id13 2 67108864 AAAAAAAAAAAAAAAAAAAAAA== x\n", GS_EINVAL,
         "should read"},
        {"giamsat secret key v1\nkdf argon2id13 0 67108864 AAAAAAAAAAAAAAAAAAAAAA==\n", GS_EINVAL,
         "opslimit"},
        {"giamsat secret key v1\nkdf argon2id13 02 67108864 AAAAAAAAAAAAAAAAAAAAAA==\n", GS_EINVAL,
         "opslimit"},
        {"giamsat secret key v1\nkdf argon2id13 2 99999999999999 AAAAAAAAAAAAAAAAAAAAAA==\n",
         GS_EINVAL, "memlimit"},
        /* Issue 9: a tampered cost above libsodium's SENSITIVE one is refused
         * before the KDF allocates anything (4 GiB was accepted before). */
        {"giamsat secret key v1\nkdf argon2id13 2 4294967296 AAAAAAAAAAAAAAAAAAAAAA==\n", GS_EINVAL,
         "refusing to allocate"},
        {"giamsat secret key v1\nkdf argon2id13 2 1073741825 AAAAAAAAAAAAAAAAAAAAAA==\n", GS_EINVAL,
         "memlimit"},
        {"giamsat secret key v1\nkdf argon2id13 5 67108864 AAAAAAAAAAAAAAAAAAAAAA==\n", GS_EINVAL,
         "refusing to run the KDF"},
        {"giamsat secret key v1\nkdf argon2id13 64 67108864 AAAAAAAAAAAAAAAAAAAAAA==\n", GS_EINVAL,
         "opslimit"},
        {"giamsat secret key v1\nkdf argon2id13 2 67108864 AAAA\n", GS_EINVAL, "salt"},
        {"giamsat secret key v1\nkdf none\n", GS_EINVAL, "ends before the 'public' line"},
        {"giamsat secret key v1\nkdf none\npublic 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n",
         GS_EINVAL, "ends before the 'key' line"},
        {"giamsat secret key v1\nkdf none\npublic 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
         "key nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
         GS_EINVAL, "no end of line"},
        {"giamsat secret key v1\nkdf none\npublic 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
         "key nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n\n",
         GS_EINVAL, "nothing may"},
        {"giamsat secret key v1\nkdf none\npublic 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
         "key  nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n",
         GS_EINVAL, "the seed"},
        {"giamsat secret key v1\nkdf none\npublic 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
         "key nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n",
         GS_EINVAL, "the seed"},
        {"giamsat secret key v1\nkdf none\npublic 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
         "nonce AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
         GS_EINVAL, "should start with 'key '"},
        {"giamsat secret key v1\nkdf none\nkey nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n",
         GS_EINVAL, "should start with 'public '"},
        /* Public key of TEST 2 with the seed of TEST 1. */
        {"giamsat secret key v1\nkdf none\npublic PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\n"
         "key nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n",
         GS_ECORRUPT, "does not match its secret key"},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "bad.key");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].text, strlen(cases[i].text), 0600);
        gs_keypair kp;
        gs_error err;
        gs_error_clear(&err);
        int rc = gs_keyfile_read(path, NULL, &kp, &err);
        if (rc != cases[i].want || strstr(err.msg, cases[i].reason) == NULL ||
            strstr(err.msg, path) == NULL)
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, rc, err.msg, cases[i].want,
                     cases[i].reason);
        /* Never the secret in an error message. */
        assert_null(strstr(err.msg, "nWGxne"));
    }
    /* A NUL byte inside. */
    write_file(path, "giamsat secret key v1\nkdf\0none\n", 31, 0600);
    gs_keypair kp;
    gs_error err;
    assert_int_equal(gs_keyfile_read(path, NULL, &kp, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "NUL"));
    /* Far too large to be a key file. */
    char big[5000];
    memset(big, 'a', sizeof big);
    write_file(path, big, sizeof big, 0600);
    assert_int_equal(gs_keyfile_read(path, NULL, &kp, &err), GS_ETOOBIG);
    /* A FIFO is not read (and does not hang the reader). */
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(gs_keyfile_read(path, NULL, &kp, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "not a regular file"));
    /* Missing. */
    unlink(path);
    assert_int_equal(gs_keyfile_read(path, NULL, &kp, &err), GS_ENOTFOUND);
    assert_non_null(strstr(err.msg, path));
}

/* Every proper prefix of a valid file is refused with a sentence. */
static void test_keyfile_truncated(void **state)
{
    (void)state;
    const char *passes[] = {NULL, PASS};
    for (size_t p = 0; p < 2; p++) {
        char path[512], cut[512];
        path_in_tmp(path, sizeof path, "full.key");
        path_in_tmp(cut, sizeof cut, "cut.key");
        unlink(path);
        gs_keypair kp;
        gs_error err;
        gs_keypair_generate(&kp);
        assert_int_equal(gs_keyfile_write(path, &kp, passes[p], &err), 0);
        size_t len;
        char *text = read_file(path, &len);
        size_t magic = strlen("giamsat secret key v1");
        for (size_t n = 0; n < len; n++) {
            write_file(cut, text, n, 0600);
            gs_keypair back;
            gs_error_clear(&err);
            int rc = gs_keyfile_read(cut, passes[p], &back, &err);
            assert_int_equal(rc, GS_EINVAL);
            if (n > magic && strstr(err.msg, "truncated or malformed") == NULL)
                fail_msg("prefix of %zu bytes: '%s'", n, err.msg);
        }
        free(text);
        gs_keypair_wipe(&kp);
    }
}

/* Replaces the base64 value of the line starting with field in the file at
 * path by base64(decoded value with one bit flipped). */
static void tamper_field(const char *path, const char *field, size_t byte)
{
    size_t len;
    char *text = read_file(path, &len);
    char *line = strstr(text, field);
    assert_non_null(line);
    char *v = line + strlen(field);
    size_t vlen = strcspn(v, "\n");
    uint8_t raw[64];
    size_t n;
    gs_error err;
    assert_int_equal(gs_base64_decode(raw, sizeof raw, &n, v, vlen, &err), 0);
    assert_true(byte < n);
    raw[byte] ^= 0x01;
    char enc[100];
    assert_int_equal(gs_base64_encode(enc, sizeof enc, gs_bytes_of(raw, n)), 0);
    assert_int_equal(strlen(enc), vlen);
    memcpy(v, enc, vlen);
    write_file(path, text, len, 0600);
    free(text);
}

static void test_keyfile_passphrase(void **state)
{
    (void)state;
    char path[512];
    path_in_tmp(path, sizeof path, "pass.key");
    unlink(path);
    gs_keypair kp, back;
    gs_error err;
    gs_keypair_generate(&kp);
    assert_int_equal(gs_keyfile_write(path, &kp, PASS, &err), 0);

    gs_error_clear(&err);
    assert_int_equal(gs_keyfile_read(path, "correct horse battery stapler", &back, &err), GS_EPASS);
    assert_non_null(strstr(err.msg, "wrong passphrase for key file"));
    assert_non_null(strstr(err.msg, path));
    assert_null(strstr(err.msg, "stapler"));

    gs_error_clear(&err);
    assert_int_equal(gs_keyfile_read(path, NULL, &back, &err), GS_EPASS);
    assert_non_null(strstr(err.msg, "passphrase-protected; give --passphrase-file"));

    /* The public key is readable without the passphrase. */
    gs_pubkey pub;
    assert_int_equal(gs_keyfile_read_public(path, &pub, &err), 0);
    assert_memory_equal(pub.b, kp.pub.b, 32);

    /* An empty passphrase is refused when writing. */
    char other[512];
    path_in_tmp(other, sizeof other, "empty-pass.key");
    assert_int_equal(gs_keyfile_write(other, &kp, "", &err), GS_EINVAL);
    assert_int_equal(access(other, F_OK), -1);
    gs_keypair_wipe(&kp);
}

static void test_keyfile_tampered(void **state)
{
    (void)state;
    static const struct {
        const char *field;
        size_t byte;
        const char *pass;
        int want;
    } cases[] = {
        {"\nkey ", 0, PASS, GS_EPASS},       /* MAC */
        {"\nkey ", 20, PASS, GS_EPASS},      /* ciphertext */
        {"\nkey ", 47, PASS, GS_EPASS},      /* ciphertext, last byte */
        {"\nnonce ", 3, PASS, GS_EPASS},     /* nonce */
        {"\npublic ", 5, PASS, GS_ECORRUPT}, /* public key */
        {"\npublic ", 5, NULL, GS_ECORRUPT},
        {"\nkey ", 7, NULL, GS_ECORRUPT}, /* clear seed: no longer matches public */
    };
    char path[512];
    path_in_tmp(path, sizeof path, "tamper.key");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unlink(path);
        gs_keypair kp, back;
        gs_error err;
        gs_keypair_generate(&kp);
        assert_int_equal(gs_keyfile_write(path, &kp, cases[i].pass, &err), 0);
        tamper_field(path, cases[i].field, cases[i].byte);
        gs_error_clear(&err);
        int rc = gs_keyfile_read(path, cases[i].pass, &back, &err);
        if (rc != cases[i].want)
            fail_msg("case %zu: got %d '%s', want %d", i, rc, err.msg, cases[i].want);
        assert_true(strlen(err.msg) > 0);
        gs_keypair_wipe(&kp);
    }
}

static void test_keyfile_permissions(void **state)
{
    (void)state;
    static const struct {
        mode_t mode;
        const char *reason;
    } cases[] = {
        {0644, "is readable by others; chmod 600 it"},
        {0640, "is readable by others; chmod 600 it"},
        {0604, "is readable by others; chmod 600 it"},
        {0620, "is writable by others; chmod 600 it"},
        {0602, "is writable by others; chmod 600 it"},
        {0610, "chmod 600 it"},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "mode.key");
    unlink(path);
    gs_keypair kp, back;
    gs_error err;
    gs_keypair_generate(&kp);
    assert_int_equal(gs_keyfile_write(path, &kp, NULL, &err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(chmod(path, cases[i].mode), 0);
        gs_error_clear(&err);
        assert_int_equal(gs_keyfile_read(path, NULL, &back, &err), GS_EPERM);
        if (strstr(err.msg, cases[i].reason) == NULL || strstr(err.msg, path) == NULL)
            fail_msg("mode %o: '%s'", (unsigned)cases[i].mode, err.msg);
        assert_int_equal(gs_keyfile_read_public(path, &back.pub, &err), GS_EPERM);
    }
    assert_int_equal(chmod(path, 0400), 0); /* read-only for the owner is fine */
    assert_int_equal(gs_keyfile_read(path, NULL, &back, &err), 0);
    assert_int_equal(chmod(path, 0600), 0);
    gs_keypair_wipe(&kp);
    gs_keypair_wipe(&back);
}

static void test_keyfile_no_overwrite(void **state)
{
    (void)state;
    char path[512];
    path_in_tmp(path, sizeof path, "once.key");
    unlink(path);
    gs_keypair first, second, back;
    gs_error err;
    gs_keypair_generate(&first);
    gs_keypair_generate(&second);
    assert_int_equal(gs_keyfile_write(path, &first, NULL, &err), 0);
    gs_error_clear(&err);
    assert_int_equal(gs_keyfile_write(path, &second, NULL, &err), GS_ECONFLICT);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_non_null(strstr(err.msg, path));
    /* The first key is untouched. */
    assert_int_equal(gs_keyfile_read(path, NULL, &back, &err), 0);
    assert_memory_equal(&back, &first, sizeof first);
    gs_keypair_wipe(&first);
    gs_keypair_wipe(&second);
    gs_keypair_wipe(&back);
}

static void test_keyfile_symlink(void **state)
{
    (void)state;
    char real[512], link[512], dangling[512], target[512];
    path_in_tmp(real, sizeof real, "real.key");
    path_in_tmp(link, sizeof link, "link.key");
    path_in_tmp(dangling, sizeof dangling, "dangling.key");
    path_in_tmp(target, sizeof target, "target.key");
    unlink(real);
    unlink(link);
    unlink(dangling);
    unlink(target);
    gs_keypair kp, back;
    gs_error err;
    gs_keypair_generate(&kp);
    assert_int_equal(gs_keyfile_write(real, &kp, NULL, &err), 0);
    assert_int_equal(symlink(real, link), 0);
    gs_error_clear(&err);
    assert_int_equal(gs_keyfile_read(link, NULL, &back, &err), GS_EPERM);
    assert_non_null(strstr(err.msg, "symbolic link"));
    /* Writing through a symlink, even a dangling one, creates nothing. */
    assert_int_equal(symlink(target, dangling), 0);
    assert_int_not_equal(gs_keyfile_write(dangling, &kp, NULL, &err), 0);
    assert_int_equal(access(target, F_OK), -1);
    gs_keypair_wipe(&kp);
}

/* ---- passphrase files --------------------------------------------------- */

static void test_passphrase_file(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        size_t cap;
        int want;
        const char *pass; /* or the reason when want != 0 */
    } cases[] = {
        {"hunter2\n", 8, 64, 0, "hunter2"},
        {"hunter2\r\n", 9, 64, 0, "hunter2"},
        {"hunter2", 7, 64, 0, "hunter2"},
        {"first\nsecond\n", 13, 64, 0, "first"},
        {"with space \n", 12, 64, 0, "with space "},
        {"1234567\n", 8, 8, 0, "1234567"}, /* exactly cap - 1 */
        {"1234567", 7, 8, 0, "1234567"},
        {"12345678\n", 9, 8, GS_ETOOBIG, "too long"},
        {"12345678", 8, 8, GS_ETOOBIG, "too long"},
        {"\n", 1, 64, GS_EINVAL, "is empty"},
        {"\r\n", 2, 64, GS_EINVAL, "is empty"},
        {"", 0, 64, GS_EINVAL, "is empty"},
        {"a\0b\n", 4, 64, GS_EINVAL, "NUL"},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "pass.txt");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].text, cases[i].len, 0600);
        char buf[64];
        memset(buf, 'x', sizeof buf);
        gs_error err;
        gs_error_clear(&err);
        int rc = gs_passphrase_read_file(path, buf, cases[i].cap, &err);
        if (rc != cases[i].want)
            fail_msg("case %zu: got %d '%s', want %d", i, rc, err.msg, cases[i].want);
        if (rc == 0) {
            assert_string_equal(buf, cases[i].pass);
            /* Nothing after the first line is left in the buffer. */
            for (size_t j = strlen(buf); j < cases[i].cap; j++)
                assert_int_equal(buf[j], 0);
        } else {
            assert_non_null(strstr(err.msg, cases[i].pass));
            for (size_t j = 0; j < cases[i].cap; j++)
                assert_int_equal(buf[j], 0);
        }
    }
    char buf[16];
    gs_error err;
    /* Issue 9: a passphrase others can read is refused like a key file. */
    static const struct {
        mode_t mode;
        const char *why;
    } modes[] = {
        {0644, "is readable by others; chmod 600 it"},
        {0640, "is readable by others; chmod 600 it"},
        {0620, "is writable by others; chmod 600 it"},
        {0601, "is accessible by others; chmod 600 it"},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        write_file(path, "hunter2\n", 8, modes[i].mode);
        memset(buf, 'x', sizeof buf);
        gs_error_clear(&err);
        assert_int_equal(gs_passphrase_read_file(path, buf, sizeof buf, &err), GS_EPERM);
        assert_non_null(strstr(err.msg, modes[i].why));
        assert_non_null(strstr(err.msg, path));
        for (size_t j = 0; j < sizeof buf; j++)
            assert_int_equal(buf[j], 0);
    }
    write_file(path, "hunter2\n", 8, 0400);
    assert_int_equal(gs_passphrase_read_file(path, buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "hunter2");
    unlink(path);
    assert_int_equal(gs_passphrase_read_file(path, buf, sizeof buf, &err), GS_ENOTFOUND);
}

/* ---- CURVE keys --------------------------------------------------------- */

static void test_curve(void **state)
{
    (void)state;
    gs_keypair kp;
    uint8_t cpub[32], csec[32], cpub2[32], derived[32];
    gs_error err;
    gs_keypair_generate(&kp);
    assert_int_equal(gs_keypair_to_curve(&kp, cpub, csec, &err), 0);
    /* The converted secret is the X25519 key of the converted public. */
    assert_int_equal(crypto_scalarmult_base(derived, csec), 0);
    assert_memory_equal(derived, cpub, 32);
    assert_int_equal(gs_pubkey_to_curve(&kp.pub, cpub2, &err), 0);
    assert_memory_equal(cpub2, cpub, 32);

    /* The identity point has small order: no CURVE key. */
    gs_pubkey bad = {{1}};
    gs_error_clear(&err);
    assert_int_equal(gs_pubkey_to_curve(&bad, cpub2, &err), GS_EINVAL);
    assert_true(strlen(err.msg) > 0);
    sodium_memzero(csec, sizeof csec);
    gs_keypair_wipe(&kp);
}

/* ---- verifier keys ------------------------------------------------------ */

/* Published verifier keys. PeterNeumann: golang.org/x/mod/sumdb/note package
 * documentation. TEST (base64 holding a '+') and remora.n621.de (alg 0x04):
 * transparency-dev/formats note/note_cosigv1_test.go. Key bytes are the
 * base64 decoded independently (Python base64). */
static const struct {
    const char *vkey;
    const char *name;
    uint32_t hash;
    uint8_t alg;
    const char *key_hex;
} known_vkeys[] = {
    {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "PeterNeumann",
     0xc74f20a3, 0x01, "1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6"},
    {"TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6", "TEST", 0x7997405c, 0x01,
     "0702f854d529fd239537470d8deb6debe69cac713e38a0097955b467ba448afa"},
    {"remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2", "remora.n621.de",
     0xda77ade7, 0x04, "ebcdeb78e7fdb2ef9227b2c1ef11e94600b55b4d6d9a57877e31ee89e59adc36"},
};

static void test_vkey_published(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof known_vkeys / sizeof known_vkeys[0]; i++) {
        gs_vkey vk;
        gs_error err;
        gs_error_clear(&err);
        if (gs_vkey_parse(known_vkeys[i].vkey, &vk, &err) != 0)
            fail_msg("%s: %s", known_vkeys[i].vkey, err.msg);
        assert_string_equal(vk.name, known_vkeys[i].name);
        assert_int_equal(vk.key_hash, known_vkeys[i].hash);
        assert_int_equal(vk.alg, known_vkeys[i].alg);
        gs_pubkey want;
        hex_to_bin(known_vkeys[i].key_hex, want.b, 32);
        assert_memory_equal(vk.key.b, want.b, 32);
        assert_int_equal(gs_vkey_hash(known_vkeys[i].name, known_vkeys[i].alg, &want),
                         known_vkeys[i].hash);

        char out[GS_VKEY_STR_MAX];
        assert_int_equal(gs_vkey_format(&vk, out, sizeof out, &err), 0);
        assert_string_equal(out, known_vkeys[i].vkey);
        /* Too small a buffer is refused. */
        assert_int_equal(gs_vkey_format(&vk, out, strlen(known_vkeys[i].vkey), &err), GS_ETOOBIG);

        gs_vkey made;
        assert_int_equal(gs_vkey_make(&made, known_vkeys[i].name, known_vkeys[i].alg, &want, &err),
                         0);
        assert_memory_equal(&made, &vk, sizeof vk);
    }
}

static void test_vkey_roundtrip(void **state)
{
    (void)state;
    const char *names[] = {"giamsat/commune/xa-an-phu", "giamsat/hub/central", "h\xc3\xa9llo", "a"};
    const uint8_t algs[] = {GS_VKEY_ALG_ED25519, GS_VKEY_ALG_COSIGNATURE_V1};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (size_t a = 0; a < 2; a++) {
            gs_keypair kp;
            gs_vkey vk, back;
            gs_error err;
            char s[GS_VKEY_STR_MAX];
            gs_keypair_generate(&kp);
            assert_int_equal(gs_vkey_make(&vk, names[i], algs[a], &kp.pub, &err), 0);
            assert_int_equal(gs_vkey_format(&vk, s, sizeof s, &err), 0);
            assert_int_equal(gs_vkey_parse(s, &back, &err), 0);
            assert_memory_equal(&back, &vk, sizeof vk);

            /* The hash is SHA-256(name || "\n" || alg || key)[:4], big-endian. */
            uint8_t h[32];
            crypto_hash_sha256_state st;
            crypto_hash_sha256_init(&st);
            crypto_hash_sha256_update(&st, (const uint8_t *)names[i], strlen(names[i]));
            crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
            crypto_hash_sha256_update(&st, &algs[a], 1);
            crypto_hash_sha256_update(&st, kp.pub.b, 32);
            crypto_hash_sha256_final(&st, h);
            uint32_t want =
                (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
            assert_int_equal(vk.key_hash, want);
            gs_keypair_wipe(&kp);
        }
    }
}

static void test_vkey_rejects(void **state)
{
    (void)state;
    /* Key strings built independently (Python: hashlib + base64) where the
     * hash has to be right for the case to reach its check. */
    static const struct {
        const char *vkey;
        const char *reason;
    } cases[] = {
        {"", "no key hash"},
        {"PeterNeumann", "no key hash"},
        {"PeterNeumann+c74f20a3", "has no key"},
        {"PeterNeumann+c74f20a3+", "no key after the key hash"},
        {"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "name is not valid: it is empty"},
        {"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "contains a space"},
        {"Peter\xe3\x80\x80Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "contains a space"},
        {"Peter\xffNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "UTF-8"},
        {"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"},
        {"PeterNeumann+c74f20a3a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"},
        {"PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not 8 hex digits"},
        {"PeterNeumann+-74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not 8 hex digits"},
        {"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "key hash does not match the key"},
        {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TV",
         "key hash does not match the key"},
        {"PeterNeumann+775c2e74+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
         "unknown algorithm 0x02"},
        {"PeterNeumann+a3fe51bc+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10Q=", "is 31 bytes"},
        {"PeterNeumann+5bdbe860+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==", "is 33 bytes"},
        {"PeterNeumann+a3fe51bc+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10R=", "not canonical"},
        {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "multiple of 4"},
        {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ", "multiple of 4"},
        {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiB fsVkmqq/LDE4izWy10T", "whitespace"},
        {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW", "not base64"},
        {"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
         "private signer key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gs_vkey vk;
        gs_error err;
        gs_error_clear(&err);
        int rc = gs_vkey_parse(cases[i].vkey, &vk, &err);
        if (rc != GS_EINVAL || strstr(err.msg, cases[i].reason) == NULL)
            fail_msg("case %zu (%s): got %d '%s', want '%s'", i, cases[i].vkey, rc, err.msg,
                     cases[i].reason);
        /* The private key material is never echoed back. */
        assert_null(strstr(err.msg, "AYEKFALV"));
    }
    /* Longer than any verifier key can be. */
    char longkey[GS_VKEY_STR_MAX + 10];
    memset(longkey, 'a', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    gs_vkey vk;
    gs_error err;
    assert_int_equal(gs_vkey_parse(longkey, &vk, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "longer than"));
}

static void test_vkey_names(void **state)
{
    (void)state;
    char max[GS_VKEY_NAME_MAX + 2];
    memset(max, 'n', GS_VKEY_NAME_MAX);
    max[GS_VKEY_NAME_MAX] = '\0';
    char over[GS_VKEY_NAME_MAX + 2];
    memset(over, 'n', GS_VKEY_NAME_MAX + 1);
    over[GS_VKEY_NAME_MAX + 1] = '\0';
    const struct {
        const char *name;
        int want;
    } cases[] = {
        {"a", 0},
        {"example.com/foo", 0},
        {"giamsat/commune/xa-an-phu", 0},
        {"h\xc3\xa9llo", 0},             /* é */
        {"\xe6\x97\xa5\xe6\x9c\xac", 0}, /* CJK */
        {max, 0},
        {over, GS_EINVAL},
        {"", GS_EINVAL},
        {"a+b", GS_EINVAL},
        {"+", GS_EINVAL},
        {"a b", GS_EINVAL},
        {"a\tb", GS_EINVAL},
        {"a\nb", GS_EINVAL},
        {"a\xc2\x85"
         "b",
         GS_EINVAL}, /* U+0085 NEL */
        {"a\xc2\xa0"
         "b",
         GS_EINVAL}, /* U+00A0 NBSP */
        {"a\xe1\x9a\x80"
         "b",
         GS_EINVAL}, /* U+1680 */
        {"a\xe2\x80\x80"
         "b",
         GS_EINVAL}, /* U+2000 */
        {"a\xe2\x80\xa8"
         "b",
         GS_EINVAL}, /* U+2028 */
        {"a\xe3\x80\x80"
         "b",
         GS_EINVAL}, /* U+3000 */
        {"a\x01"
         "b",
         GS_EINVAL},                     /* control */
        {"\xc0\xaf", GS_EINVAL},         /* overlong '/' */
        {"\xed\xa0\x80", GS_EINVAL},     /* surrogate */
        {"\xf4\x90\x80\x80", GS_EINVAL}, /* above U+10FFFF */
        {"\xe6\x97", GS_EINVAL},         /* cut short */
        {"\xff", GS_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (gs_vkey_name_valid(cases[i].name) != cases[i].want)
            fail_msg("case %zu: want %d", i, cases[i].want);
        gs_keypair kp;
        gs_vkey vk;
        gs_error err;
        gs_keypair_generate(&kp);
        gs_error_clear(&err);
        assert_int_equal(gs_vkey_make(&vk, cases[i].name, GS_VKEY_ALG_ED25519, &kp.pub, &err),
                         cases[i].want);
        if (cases[i].want != 0)
            assert_non_null(strstr(err.msg, "is not valid"));
        gs_keypair_wipe(&kp);
    }
    gs_keypair kp;
    gs_vkey vk;
    gs_error err;
    gs_keypair_generate(&kp);
    assert_int_equal(gs_vkey_make(&vk, "ok", 0x02, &kp.pub, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "unknown verifier key algorithm 0x02"));
    gs_keypair_wipe(&kp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_vectors),
        cmocka_unit_test(test_domain_separation),
        cmocka_unit_test(test_sha256_fips180),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_base64_rejects),
        cmocka_unit_test(test_keyfile_roundtrip),
        cmocka_unit_test(test_keyfile_documented_format),
        cmocka_unit_test(test_keyfile_malformed),
        cmocka_unit_test(test_keyfile_truncated),
        cmocka_unit_test(test_keyfile_passphrase),
        cmocka_unit_test(test_keyfile_tampered),
        cmocka_unit_test(test_keyfile_permissions),
        cmocka_unit_test(test_keyfile_no_overwrite),
        cmocka_unit_test(test_keyfile_symlink),
        cmocka_unit_test(test_passphrase_file),
        cmocka_unit_test(test_curve),
        cmocka_unit_test(test_vkey_published),
        cmocka_unit_test(test_vkey_roundtrip),
        cmocka_unit_test(test_vkey_rejects),
        cmocka_unit_test(test_vkey_names),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
