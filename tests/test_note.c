/* test_note.c — signed notes, checkpoints and cosignature/v1 against the
 * published examples (Go sumdb/note, C2SP signed-note, tlog-checkpoint,
 * tlog-cosignature, transparency-dev/formats) and against malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"
#include "wire.h"

/* A note the parser accepts is a note the wire carries. */
_Static_assert(GS_NOTE_MAX == GS_MAX_NOTE, "note.h GS_NOTE_MAX and wire.h GS_MAX_NOTE differ");

#define EM "\xe2\x80\x94"

static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";

/* ---- vector files: header lines, "---", then the note bytes ---- */

typedef struct {
    char *buf;
    const char *header; /* NUL-terminated, ends before "---" */
    const char *note;
    size_t note_len;
} vector;

static void vector_load(vector *v, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", GS_VECTORS, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    v->buf = malloc((size_t)n + 1);
    assert_non_null(v->buf);
    assert_int_equal(fread(v->buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    v->buf[n] = '\0';
    char *sep = strstr(v->buf, "\n---\n");
    assert_non_null(sep);
    sep[1] = '\0';
    v->header = v->buf;
    v->note = sep + 5;
    v->note_len = (size_t)(v->buf + n - v->note);
}

/* The value of "key: value" in the header; caller frees. */
static char *vector_field(const vector *v, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = v->header; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        if (strncmp(p, key, kl) == 0 && p[kl] == ':' && p[kl + 1] == ' ') {
            const char *val = p + kl + 2;
            size_t len = (size_t)(nl - val);
            char *out = malloc(len + 1);
            assert_non_null(out);
            memcpy(out, val, len);
            out[len] = '\0';
            return out;
        }
        p = nl + 1;
    }
    fail_msg("vector has no field %s", key);
    return NULL;
}

static void vector_free(vector *v)
{
    free(v->buf);
    memset(v, 0, sizeof *v);
}

static void vkey_of(const vector *v, const char *field, gs_vkey *vk)
{
    gs_error err;
    char *s = vector_field(v, field);
    if (gs_vkey_parse(s, vk, &err) != 0)
        fail_msg("vkey %s: %s", s, err.msg);
    free(s);
}

static int setup(void **state)
{
    (void)state;
    gs_error err;
    return gs_crypto_init(&err);
}

static gs_note *parse_ok(const char *msg, size_t len)
{
    gs_note *n = NULL;
    gs_error err;
    if (gs_note_parse(msg, len, &n, &err) != 0)
        fail_msg("parse: %s", err.msg);
    return n;
}

static void keypair_of(gs_keypair *kp, uint8_t fill)
{
    uint8_t seed[32];
    memset(seed, fill, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

/* ---- published vectors ---- */

static void test_go_example_verifies(void **state)
{
    (void)state;
    vector v;
    gs_vkey peter;
    gs_error err;
    vector_load(&v, "note_go_peterneumann.txt");
    vkey_of(&v, "vkey", &peter);

    gs_note *n = parse_ok(v.note, v.note_len);
    size_t text_len;
    const char *text = gs_note_text(n, &text_len);
    assert_int_equal(text_len, strlen(go_text));
    assert_memory_equal(text, go_text, text_len);
    /* ExampleOpen prints "PeterNeumann (c74f20a3):" */
    assert_int_equal(gs_note_sig_count(n), 1);
    assert_string_equal(gs_note_sig_at(n, 0)->name, "PeterNeumann");
    assert_int_equal(gs_note_sig_at(n, 0)->key_hash, 0xc74f20a3);

    gs_note_result res[1];
    size_t nv = 0;
    if (gs_note_verify(n, &peter, 1, res, &nv, &err) != 0)
        fail_msg("verify: %s", err.msg);
    assert_int_equal(nv, 1);
    assert_int_equal(res[0].verified, 1);

    char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(gs_note_format(n, &out, &out_len, &err), 0);
    assert_int_equal(out_len, v.note_len);
    assert_memory_equal(out, v.note, v.note_len);
    free(out);
    gs_note_free(&n);
    assert_null(n);
    vector_free(&v);
}

/* Go's signer key is PRIVATE+KEY+<name>+<hash>+base64(0x01 || seed). */
static void go_skey_seed(const char *skey, uint8_t seed[32])
{
    const char *p = skey;
    for (int i = 0; i < 4; i++) {
        p = strchr(p, '+');
        assert_non_null(p);
        p++;
    }
    uint8_t raw[33];
    size_t got = 0;
    gs_error err;
    assert_int_equal(gs_base64_decode(raw, sizeof raw, &got, p, strlen(p), &err), 0);
    assert_int_equal(got, 33);
    assert_int_equal(raw[0], GS_VKEY_ALG_ED25519);
    memcpy(seed, raw + 1, 32);
}

static void test_go_example_signs_byte_for_byte(void **state)
{
    (void)state;
    vector v;
    gs_vkey peter;
    gs_error err;
    gs_keypair kp;
    uint8_t seed[32];
    vector_load(&v, "note_go_peterneumann.txt");
    vkey_of(&v, "vkey", &peter);
    char *skey = vector_field(&v, "skey");
    go_skey_seed(skey, seed);
    gs_keypair_from_seed(&kp, seed);
    assert_memory_equal(kp.pub.b, peter.key.b, 32);

    char *out = NULL;
    if (gs_note_sign(go_text, strlen(go_text), "PeterNeumann", &kp, &out, &err) != 0)
        fail_msg("sign: %s", err.msg);
    assert_int_equal(strlen(out), v.note_len);
    assert_memory_equal(out, v.note, v.note_len);
    free(out);
    free(skey);
    gs_keypair_wipe(&kp);
    vector_free(&v);
}

static void test_go_example_add_signature(void **state)
{
    (void)state;
    vector one, two;
    gs_vkey keys[2];
    gs_error err;
    gs_keypair enoch;
    vector_load(&one, "note_go_peterneumann.txt");
    vector_load(&two, "note_go_enochroot.txt");
    vkey_of(&two, "vkey", &keys[0]);
    vkey_of(&two, "vkey2", &keys[1]);

    /* ExampleSign_add_signatures generates EnochRoot from the zero seed;
     * TestVerifierList publishes the verifier key it must give. */
    keypair_of(&enoch, 0);
    gs_vkey derived;
    char vk_str[GS_VKEY_STR_MAX];
    char *want_vk = vector_field(&two, "vkey2");
    assert_int_equal(gs_vkey_make(&derived, "EnochRoot", GS_VKEY_ALG_ED25519, &enoch.pub, &err), 0);
    assert_int_equal(gs_vkey_format(&derived, vk_str, sizeof vk_str, &err), 0);
    assert_string_equal(vk_str, want_vk);
    free(want_vk);

    /* Sign the text as EnochRoot and add the line to Peter's note: the
     * result is the published two-signature note, byte for byte. */
    char *signed_by_enoch = NULL;
    assert_int_equal(
        gs_note_sign(go_text, strlen(go_text), "EnochRoot", &enoch, &signed_by_enoch, &err), 0);
    const char *line = signed_by_enoch + strlen(go_text) + 1;
    gs_note *n = parse_ok(one.note, one.note_len);
    if (gs_note_add_signature(n, line, strlen(line), &err) != 0)
        fail_msg("add: %s", err.msg);
    char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(gs_note_format(n, &out, &out_len, &err), 0);
    assert_int_equal(out_len, two.note_len);
    assert_memory_equal(out, two.note, two.note_len);
    free(out);
    gs_note_free(&n);
    free(signed_by_enoch);

    /* Both verify; either alone verifies and ignores the other. */
    n = parse_ok(two.note, two.note_len);
    gs_note_result res[2];
    size_t nv = 0;
    assert_int_equal(gs_note_verify(n, keys, 2, res, &nv, &err), 0);
    assert_int_equal(nv, 2);
    assert_true(res[0].verified && res[1].verified);
    assert_int_equal(gs_note_verify(n, &keys[1], 1, res, &nv, &err), 0);
    assert_int_equal(nv, 1);
    assert_int_equal(gs_note_verify(n, &keys[0], 1, NULL, NULL, &err), 0);
    gs_note_free(&n);
    gs_keypair_wipe(&enoch);
    vector_free(&one);
    vector_free(&two);
}

static void test_c2sp_signed_note_example(void **state)
{
    (void)state;
    vector v;
    gs_vkey vk;
    gs_error err;
    vector_load(&v, "note_c2sp_example.txt");
    vkey_of(&v, "vkey", &vk);
    gs_note *n = parse_ok(v.note, v.note_len);
    size_t len;
    const char *text = gs_note_text(n, &len);
    assert_string_equal(text, "This is an example message.\n");
    size_t nv = 0;
    if (gs_note_verify(n, &vk, 1, NULL, &nv, &err) != 0)
        fail_msg("verify: %s", err.msg);
    assert_int_equal(nv, 1);
    gs_note_free(&n);
    vector_free(&v);
}

static void test_c2sp_cosigned_checkpoint_example(void **state)
{
    (void)state;
    vector v;
    gs_error err;
    vector_load(&v, "checkpoint_c2sp_cosigned_example.txt");
    gs_note *n = parse_ok(v.note, v.note_len);
    assert_int_equal(gs_note_sig_count(n), 2);

    char *origin = vector_field(&v, "origin");
    char *size = vector_field(&v, "size");
    char *root = vector_field(&v, "root");
    char *witness = vector_field(&v, "witness");
    char *time = vector_field(&v, "time");

    size_t len;
    const char *text = gs_note_text(n, &len);
    gs_checkpoint cp;
    if (gs_checkpoint_parse(text, len, &cp, &err) != 0)
        fail_msg("checkpoint: %s", err.msg);
    assert_string_equal(cp.origin, origin);
    assert_int_equal(cp.size, strtoull(size, NULL, 10));
    uint8_t want_root[32];
    size_t got = 0;
    assert_int_equal(gs_base64_decode(want_root, 32, &got, root, strlen(root), &err), 0);
    assert_memory_equal(cp.root.b, want_root, 32);
    assert_int_equal(cp.n_ext, 0);

    /* Formatting the parsed fields gives the published body back. */
    char *body = NULL;
    assert_int_equal(gs_checkpoint_format(cp.origin, cp.size, &cp.root, &body, &err), 0);
    assert_int_equal(strlen(body), len);
    assert_memory_equal(body, text, len);
    free(body);
    gs_checkpoint_clear(&cp);

    const gs_note_sig *s = gs_note_sig_at(n, 1);
    assert_string_equal(s->name, witness);
    int64_t ts = 0;
    assert_int_equal(gs_cosignature_timestamp(s, &ts, &err), 0);
    assert_int_equal(ts, strtoll(time, NULL, 10));
    /* The log's own line is an Ed25519 signature, not a cosignature. */
    assert_int_equal(gs_cosignature_timestamp(gs_note_sig_at(n, 0), &ts, &err), GS_EINVAL);

    char *out = NULL;
    assert_int_equal(gs_note_format(n, &out, NULL, &err), 0);
    assert_memory_equal(out, v.note, v.note_len);
    free(out);
    free(origin);
    free(size);
    free(root);
    free(witness);
    free(time);
    gs_note_free(&n);
    vector_free(&v);
}

static void test_cosignature_timestamp_vector(void **state)
{
    (void)state;
    vector v;
    gs_error err;
    vector_load(&v, "cosignature_v1_timestamp.txt");
    char *time = vector_field(&v, "time");
    gs_note *n = parse_ok(v.note, v.note_len);
    int64_t ts = 0;
    assert_int_equal(gs_cosignature_timestamp(gs_note_sig_at(n, 0), &ts, &err), 0);
    assert_int_equal(ts, strtoll(time, NULL, 10));
    assert_int_equal(gs_cosignature_timestamp(gs_note_sig_at(n, 1), &ts, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "not a cosignature/v1"));
    free(time);
    gs_note_free(&n);
    vector_free(&v);
}

/* ---- round trips: a log checkpoint and two witnesses ---- */

typedef struct {
    gs_keypair log, w1, w2;
    gs_vkey keys[3]; /* log (0x01), w1 (0x04), w2 (0x04) */
    char *body;      /* checkpoint text */
    char *signed_note;
} world;

static const char origin[] = "giamsat/commune/xa-dong";

static void world_init(world *w, uint64_t size, uint8_t root_fill)
{
    gs_error err;
    gs_hash root;
    memset(w, 0, sizeof *w);
    memset(root.b, root_fill, sizeof root.b);
    keypair_of(&w->log, 1);
    keypair_of(&w->w1, 2);
    keypair_of(&w->w2, 3);
    assert_int_equal(gs_vkey_make(&w->keys[0], origin, GS_VKEY_ALG_ED25519, &w->log.pub, &err), 0);
    assert_int_equal(
        gs_vkey_make(&w->keys[1], "hub.example/w1", GS_VKEY_ALG_COSIGNATURE_V1, &w->w1.pub, &err),
        0);
    assert_int_equal(
        gs_vkey_make(&w->keys[2], "hub.example/w2", GS_VKEY_ALG_COSIGNATURE_V1, &w->w2.pub, &err),
        0);
    assert_int_equal(gs_checkpoint_format(origin, size, &root, &w->body, &err), 0);
    assert_int_equal(gs_note_sign(w->body, strlen(w->body), origin, &w->log, &w->signed_note, &err),
                     0);
}

static void world_free(world *w)
{
    gs_keypair_wipe(&w->log);
    gs_keypair_wipe(&w->w1);
    gs_keypair_wipe(&w->w2);
    free(w->body);
    free(w->signed_note);
}

static char *cosign(const world *w, const gs_keypair *kp, const char *name, int64_t ts)
{
    char *line = NULL;
    gs_error err;
    if (gs_cosignature_sign(w->body, strlen(w->body), name, kp, ts, &line, &err) != 0)
        fail_msg("cosign: %s", err.msg);
    return line;
}

static void test_checkpoint_sign_parse_verify(void **state)
{
    (void)state;
    world w;
    gs_error err;
    world_init(&w, 1234567, 0xab);
    /* The body is the three lines of c2sp.org/tlog-checkpoint. */
    char want[128];
    char b64[64];
    uint8_t root[32];
    memset(root, 0xab, sizeof root);
    sodium_bin2base64(b64, sizeof b64, root, sizeof root, sodium_base64_VARIANT_ORIGINAL);
    snprintf(want, sizeof want, "%s\n1234567\n%s\n", origin, b64);
    assert_string_equal(w.body, want);

    gs_note *n = parse_ok(w.signed_note, strlen(w.signed_note));
    size_t nv = 0;
    assert_int_equal(gs_note_verify(n, &w.keys[0], 1, NULL, &nv, &err), 0);
    assert_int_equal(nv, 1);
    size_t len;
    const char *text = gs_note_text(n, &len);
    gs_checkpoint cp;
    assert_int_equal(gs_checkpoint_parse(text, len, &cp, &err), 0);
    assert_string_equal(cp.origin, origin);
    assert_int_equal(cp.size, 1234567);
    assert_memory_equal(cp.root.b, root, 32);
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    world_free(&w);
}

static void test_two_cosignatures_round_trip(void **state)
{
    (void)state;
    world w;
    gs_error err;
    world_init(&w, 42, 0x11);
    char *l1 = cosign(&w, &w.w1, "hub.example/w1", 1700000000);
    char *l2 = cosign(&w, &w.w2, "hub.example/w2", 1700000123);

    gs_note *n = parse_ok(w.signed_note, strlen(w.signed_note));
    assert_int_equal(gs_note_add_signature(n, l1, strlen(l1), &err), 0);
    assert_int_equal(gs_note_add_signature(n, l2, strlen(l2), &err), 0);
    /* The same line again changes nothing. */
    assert_int_equal(gs_note_add_signature(n, l1, strlen(l1), &err), 0);
    assert_int_equal(gs_note_sig_count(n), 3);

    char *out = NULL;
    assert_int_equal(gs_note_format(n, &out, NULL, &err), 0);
    gs_note_free(&n);
    /* Arrival order: log, w1, w2. */
    size_t want_len = strlen(w.signed_note) + strlen(l1) + strlen(l2);
    assert_int_equal(strlen(out), want_len);
    assert_memory_equal(out, w.signed_note, strlen(w.signed_note));
    n = parse_ok(out, strlen(out));
    free(out);

    gs_note_result res[3];
    size_t nv = 0;
    if (gs_note_verify(n, w.keys, 3, res, &nv, &err) != 0)
        fail_msg("verify: %s", err.msg);
    assert_int_equal(nv, 3);
    assert_true(res[0].verified && res[1].verified && res[2].verified);
    assert_int_equal(res[0].timestamp, 0);
    assert_int_equal(res[1].timestamp, 1700000000);
    assert_int_equal(res[2].timestamp, 1700000123);

    int64_t ts = 0;
    assert_int_equal(gs_cosignature_verify(n, &w.keys[1], &ts, &err), 0);
    assert_int_equal(ts, 1700000000);
    assert_int_equal(gs_cosignature_verify(n, &w.keys[2], &ts, &err), 0);
    assert_int_equal(ts, 1700000123);
    /* The log key is not a cosigner key. */
    assert_int_equal(gs_cosignature_verify(n, &w.keys[0], &ts, &err), GS_EINVAL);

    gs_note_free(&n);
    free(l1);
    free(l2);
    world_free(&w);
}

/* The signed message, rebuilt here from c2sp.org/tlog-cosignature and checked
 * with libsodium directly: "cosignature/v1\ntime <t>\n" || body. */
static void test_cosignature_message_layout(void **state)
{
    (void)state;
    world w;
    gs_error err;
    world_init(&w, 7, 0x22);
    char *l1 = cosign(&w, &w.w1, "hub.example/w1", 1679315147);
    const char *prefix = EM " hub.example/w1 ";
    assert_memory_equal(l1, prefix, strlen(prefix));
    const char *b64 = l1 + strlen(prefix);
    uint8_t raw[76];
    size_t raw_len = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, b64, strlen(b64) - 1, NULL, &raw_len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(raw_len, 76);
    assert_int_equal(l1[strlen(l1) - 1], '\n');

    /* key ID = SHA-256(name || "\n" || 0x04 || pubkey)[:4] */
    uint8_t pre[64], h[32];
    size_t nl = strlen("hub.example/w1");
    memcpy(pre, "hub.example/w1\n", nl + 1);
    pre[nl + 1] = 0x04;
    memcpy(pre + nl + 2, w.w1.pub.b, 32);
    crypto_hash_sha256(h, pre, nl + 2 + 32);
    assert_memory_equal(raw, h, 4);
    /* 1679315147 = 0x641850cb, big-endian u64 */
    const uint8_t want_ts[8] = {0, 0, 0, 0, 0x64, 0x18, 0x50, 0xcb};
    assert_memory_equal(raw + 4, want_ts, 8);

    char msg[256];
    int ml = snprintf(msg, sizeof msg, "cosignature/v1\ntime 1679315147\n%s", w.body);
    assert_int_equal(
        crypto_sign_verify_detached(raw + 12, (const uint8_t *)msg, (size_t)ml, w.w1.pub.b), 0);
    free(l1);
    world_free(&w);
    (void)err;
}

static void test_merge_cosigned_notes(void **state)
{
    (void)state;
    world w;
    gs_error err;
    world_init(&w, 100, 0x33);
    char *l1 = cosign(&w, &w.w1, "hub.example/w1", 1700000000);
    char *l2 = cosign(&w, &w.w2, "hub.example/w2", 1700000001);
    gs_note *a = parse_ok(w.signed_note, strlen(w.signed_note));
    gs_note *b = parse_ok(w.signed_note, strlen(w.signed_note));
    assert_int_equal(gs_note_add_signature(a, l1, strlen(l1), &err), 0);
    assert_int_equal(gs_note_add_signature(b, l2, strlen(l2), &err), 0);
    assert_int_equal(gs_note_merge(a, b, &err), 0);
    assert_int_equal(gs_note_sig_count(a), 3);
    assert_int_equal(gs_note_verify(a, w.keys, 3, NULL, NULL, &err), 0);

    /* The same witness at another time is a second, different line. */
    char *l1b = cosign(&w, &w.w1, "hub.example/w1", 1700000999);
    assert_int_equal(gs_note_add_signature(a, l1b, strlen(l1b), &err), GS_ECONFLICT);
    assert_non_null(strstr(err.msg, "hub.example/w1"));

    /* Notes over different texts do not merge. */
    world other;
    world_init(&other, 101, 0x33);
    gs_note *c = parse_ok(other.signed_note, strlen(other.signed_note));
    assert_int_equal(gs_note_merge(a, c, &err), GS_ECONFLICT);
    assert_non_null(strstr(err.msg, "different texts"));

    gs_note_free(&a);
    gs_note_free(&b);
    gs_note_free(&c);
    free(l1);
    free(l2);
    free(l1b);
    world_free(&w);
    world_free(&other);
}

/* ---- verification failures ---- */

static void test_tampered_text_fails(void **state)
{
    (void)state;
    vector v;
    gs_vkey peter;
    gs_error err;
    vector_load(&v, "note_go_peterneumann.txt");
    vkey_of(&v, "vkey", &peter);
    char *copy = malloc(v.note_len + 1);
    assert_non_null(copy);
    memcpy(copy, v.note, v.note_len);
    copy[v.note_len] = '\0';
    char *p = strstr(copy, "cryptography");
    assert_non_null(p);
    p[0] = 'C';
    gs_note *n = parse_ok(copy, v.note_len);
    assert_int_equal(gs_note_verify(n, &peter, 1, NULL, NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "PeterNeumann+c74f20a3"));
    assert_non_null(strstr(err.msg, "does not verify"));
    gs_note_free(&n);
    free(copy);
    vector_free(&v);
}

static void test_unknown_key_only_fails(void **state)
{
    (void)state;
    vector one, two;
    gs_vkey keys[2];
    gs_error err;
    vector_load(&one, "note_go_peterneumann.txt");
    vector_load(&two, "note_go_enochroot.txt");
    vkey_of(&two, "vkey2", &keys[0]); /* EnochRoot did not sign note one */
    gs_note *n = parse_ok(one.note, one.note_len);
    assert_int_equal(gs_note_verify(n, keys, 1, NULL, NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "no signature from a known key"));
    assert_non_null(strstr(err.msg, "EnochRoot+af0cfe78"));
    /* No trusted keys at all. */
    assert_int_equal(gs_note_verify(n, keys, 0, NULL, NULL, &err), GS_EVERIFY);
    /* Same name, other key ID: an unknown key, ignored (c2sp.org/signed-note). */
    vkey_of(&one, "vkey", &keys[1]);
    keys[1].key_hash ^= 1;
    assert_int_equal(gs_note_verify(n, &keys[1], 1, NULL, NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "no signature from a known key"));
    /* Same name and key ID, other public key: a bad signature from that key. */
    keys[1].key_hash ^= 1;
    keys[1].key.b[0] ^= 1;
    assert_int_equal(gs_note_verify(n, &keys[1], 1, NULL, NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "does not verify"));
    gs_note_free(&n);
    vector_free(&one);
    vector_free(&two);
}

static void test_cosignature_over_other_checkpoint_fails(void **state)
{
    (void)state;
    world a, b;
    gs_error err;
    world_init(&a, 10, 0x44);
    world_init(&b, 11, 0x44); /* same keys, other size */
    char *line = cosign(&a, &a.w1, "hub.example/w1", 1700000000);
    gs_note *n = parse_ok(b.signed_note, strlen(b.signed_note));
    assert_int_equal(gs_note_add_signature(n, line, strlen(line), &err), 0);
    int64_t ts = 0;
    assert_int_equal(gs_cosignature_verify(n, &b.keys[1], &ts, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "hub.example/w1"));
    assert_int_equal(gs_note_verify(n, b.keys, 2, NULL, NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "hub.example/w1"));
    /* A witness that has not cosigned is not found. */
    assert_int_equal(gs_cosignature_verify(n, &b.keys[2], &ts, &err), GS_ENOTFOUND);
    gs_note_free(&n);
    free(line);
    world_free(&a);
    world_free(&b);
}

static void test_cosignature_sign_refuses(void **state)
{
    (void)state;
    world w;
    gs_error err;
    char *line = NULL;
    world_init(&w, 1, 0);
    assert_int_equal(gs_cosignature_sign("hello\n", 6, "w", &w.w1, 1, &line, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "refusing to cosign"));
    assert_int_equal(gs_cosignature_sign(w.body, strlen(w.body), "w", &w.w1, -1, &line, &err),
                     GS_EINVAL);
    assert_int_equal(gs_cosignature_sign(w.body, strlen(w.body), "bad name", &w.w1, 1, &line, &err),
                     GS_EINVAL);
    assert_null(line);
    world_free(&w);
}

static void test_sign_refuses(void **state)
{
    (void)state;
    gs_keypair kp;
    gs_error err;
    char *out = NULL;
    keypair_of(&kp, 9);
    assert_int_equal(gs_note_sign("no newline", 10, "k", &kp, &out, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "does not end with a newline"));
    assert_int_equal(gs_note_sign("", 0, "k", &kp, &out, &err), GS_EINVAL);
    assert_int_equal(gs_note_sign("a\tb\n", 4, "k", &kp, &out, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "control character"));
    assert_int_equal(gs_note_sign("ok\n", 3, "a+b", &kp, &out, &err), GS_EINVAL);
    assert_int_equal(gs_note_sign("ok\n", 3, "a b", &kp, &out, &err), GS_EINVAL);
    char *big = malloc(GS_NOTE_MAX + 1);
    assert_non_null(big);
    memset(big, 'x', GS_NOTE_MAX);
    big[GS_NOTE_MAX - 1] = '\n';
    assert_int_equal(gs_note_sign(big, GS_NOTE_MAX, "k", &kp, &out, &err), GS_ETOOBIG);
    free(big);
    assert_null(out);
    gs_keypair_wipe(&kp);
}

/* ---- malformed notes ---- */

#define SIG_B64                                                                                    \
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
#define GOOD_LINE EM " PeterNeumann " SIG_B64 "\n"

static const struct {
    const char *name;
    const char *msg;
    int want;
    const char *reason;
} bad_notes[] = {
    {"missing blank line", "text\n" GOOD_LINE, GS_EINVAL, "no blank line"},
    {"no signature lines", "text\n\n", GS_EINVAL, "no signature lines"},
    {"empty", "", GS_EINVAL, "does not end with a newline"},
    {"no final newline", "text\n\n" EM " PeterNeumann " SIG_B64, GS_EINVAL,
     "does not end with a newline"},
    {"bad base64", "text\n\n" EM " k AAA!AAAA\n", GS_EINVAL, "not valid base64"},
    {"base64 not padded", "text\n\n" EM " k AAAAAAA\n", GS_EINVAL, "not valid base64"},
    {"truncated signature", "text\n\n" EM " k AAAA\n", GS_EINVAL, "too short"},
    {"key ID only", "text\n\n" EM " k AAAAAA==\n", GS_EINVAL, "too short"},
    {"hyphen not em dash", "text\n\n- PeterNeumann " SIG_B64 "\n", GS_EINVAL,
     "does not start with an em dash"},
    {"en dash", "text\n\n\xe2\x80\x93 PeterNeumann " SIG_B64 "\n", GS_EINVAL,
     "does not start with an em dash"},
    {"em dash without space", "text\n\n" EM "PeterNeumann " SIG_B64 "\n", GS_EINVAL,
     "does not start with an em dash"},
    {"no space before signature", "text\n\n" EM " PeterNeumann\n", GS_EINVAL, "no space"},
    {"empty key name", "text\n\n" EM "  " SIG_B64 "\n", GS_EINVAL, "empty key name"},
    {"two spaces", "text\n\n" EM " PeterNeumann " SIG_B64 " x\n", GS_EINVAL, "space inside"},
    {"plus in key name", "text\n\n" EM " a+b " SIG_B64 "\n", GS_EINVAL, "not valid"},
    /* c2sp.org/signed-note makes these malformed for every verifier, known
     * key or not (Go's Open refuses them too). */
    {"no-break space in key name",
     "text\n\n" EM " a\xc2\xa0"
     "b " SIG_B64 "\n",
     GS_EINVAL, "not valid"},
    {"ideographic space in key name",
     "text\n\n" EM " a\xe3\x80\x80"
     "b " SIG_B64 "\n",
     GS_EINVAL, "not valid"},
    {"next line in key name", "text\n\n" EM " a\xc2\x85 " SIG_B64 "\n", GS_EINVAL, "not valid"},
    {"bad base64 on an unknown line", "text\n\n" GOOD_LINE EM " unknown AAAAAAA*\n", GS_EINVAL,
     "signature line 2 (key unknown): signature is not valid base64"},
    {"padding inside base64", "text\n\n" EM " k AA=AAAAA\n", GS_EINVAL, "not valid base64"},
    {"non-canonical and short", "text\n\n" EM " k AAAAAB==\n", GS_EINVAL, "too short"},
    {"bad line after good", "text\n\n" GOOD_LINE "garbage\n", GS_EINVAL,
     "signature line 2 does not start"},
    {"invalid UTF-8", "te\xffxt\n\n" GOOD_LINE, GS_EINVAL, "not valid UTF-8"},
    {"overlong UTF-8", "te\xc0\xafxt\n\n" GOOD_LINE, GS_EINVAL, "not valid UTF-8"},
    {"surrogate", "te\xed\xa0\x80xt\n\n" GOOD_LINE, GS_EINVAL, "not valid UTF-8"},
    {"truncated UTF-8 at end", "text\n\n" EM " PeterNeumann " SIG_B64 "\xe2\x80", GS_EINVAL,
     "not valid UTF-8"},
    {"control character", "te\rxt\n\n" GOOD_LINE, GS_EINVAL, "control character 0x0d"},
    {"NUL byte", "te\0xt\n\n" GOOD_LINE, GS_EINVAL, "control character 0x00"},
};

static void test_malformed_notes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_notes / sizeof bad_notes[0]; i++) {
        gs_note *n = NULL;
        gs_error err;
        gs_error_clear(&err);
        size_t len = strlen(bad_notes[i].msg);
        if (strcmp(bad_notes[i].name, "NUL byte") == 0)
            len = sizeof("te\0xt\n\n" GOOD_LINE) - 1;
        int rc = gs_note_parse(bad_notes[i].msg, len, &n, &err);
        if (rc != bad_notes[i].want || strstr(err.msg, bad_notes[i].reason) == NULL)
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", bad_notes[i].name, rc, err.msg,
                     bad_notes[i].want, bad_notes[i].reason);
        assert_null(n);
    }
}

static void test_note_limits(void **state)
{
    (void)state;
    gs_error err;
    gs_note *n = NULL;
    /* One byte over the size limit. */
    char *big = malloc(GS_NOTE_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', GS_NOTE_MAX + 1);
    big[GS_NOTE_MAX + 1] = '\0';
    assert_int_equal(gs_note_parse(big, GS_NOTE_MAX + 1, &n, &err), GS_ETOOBIG);
    assert_non_null(strstr(err.msg, "limit"));
    free(big);

    /* GS_NOTE_MAX_SIGS distinct signatures parse; one more does not. */
    size_t cap = 8 + (GS_NOTE_MAX_SIGS + 1) * 40;
    char *msg = malloc(cap);
    assert_non_null(msg);
    size_t off = (size_t)snprintf(msg, cap, "t\n\n");
    for (int i = 0; i < GS_NOTE_MAX_SIGS; i++)
        off += (size_t)snprintf(msg + off, cap - off, EM " k%d AAAAAAAA\n", i);
    assert_int_equal(gs_note_parse(msg, off, &n, &err), 0);
    assert_int_equal(gs_note_sig_count(n), GS_NOTE_MAX_SIGS);
    assert_int_equal(
        gs_note_add_signature(n, EM " extra AAAAAAAA", strlen(EM " extra AAAAAAAA"), &err),
        GS_ETOOBIG);
    gs_note_free(&n);
    off += (size_t)snprintf(msg + off, cap - off, EM " k%d AAAAAAAA\n", GS_NOTE_MAX_SIGS);
    assert_int_equal(gs_note_parse(msg, off, &n, &err), GS_ETOOBIG);
    assert_non_null(strstr(err.msg, "more than 100 signatures"));
    assert_null(n);
    free(msg);
}

static void test_add_signature_refuses(void **state)
{
    (void)state;
    gs_error err;
    gs_note *n = parse_ok("t\n\n" GOOD_LINE, strlen("t\n\n" GOOD_LINE));
    assert_int_equal(gs_note_add_signature(n, "garbage", 7, &err), GS_EINVAL);
    assert_int_equal(gs_note_add_signature(n, EM " a AAAAAAAA\n" EM " b AAAAAAAA\n",
                                           strlen(EM " a AAAAAAAA\n" EM " b AAAAAAAA\n"), &err),
                     GS_EINVAL);
    assert_non_null(strstr(err.msg, "newline"));
    assert_int_equal(gs_note_add_signature(n, EM " a\x01 AAAAAAAA", 14, &err), GS_EINVAL);
    assert_int_equal(gs_note_sig_count(n), 1);
    gs_note_free(&n);
}

/* ---- what other ecosystems send (c2sp.org/signed-note, Go's note.Open) ---- */

static char *dup_str(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    assert_non_null(d);
    return strcpy(d, s);
}

/* "— <name> <base64(id || n bytes)>\n", the bytes filled with fill. */
static char *unknown_line(const char *name, uint32_t id, size_t n, uint8_t fill)
{
    uint8_t *raw = malloc(4 + n);
    assert_non_null(raw);
    raw[0] = (uint8_t)(id >> 24), raw[1] = (uint8_t)(id >> 16), raw[2] = (uint8_t)(id >> 8);
    raw[3] = (uint8_t)id;
    memset(raw + 4, fill, n);
    size_t cap = strlen(name) + gs_base64_encoded_len(4 + n) + 8;
    char *line = malloc(cap);
    assert_non_null(line);
    int w = snprintf(line, cap, EM " %s ", name);
    assert_int_equal(gs_base64_encode(line + w, cap - (size_t)w, gs_bytes_of(raw, 4 + n)), 0);
    strcat(line, "\n");
    free(raw);
    return line;
}

/* The same line with the last base64 character before the padding given a
 * non-zero unused bit: a second spelling of the same bytes. */
static void make_noncanonical(char *line)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = strlen(line) - 1; /* the '\n' */
    assert_true(line[k - 1] == '=');
    while (line[k - 1] == '=')
        k--;
    const char *c = strchr(alphabet, line[k - 1]);
    assert_non_null(c);
    line[k - 1] = alphabet[(size_t)(c - alphabet) ^ 1];
}

/* note + extra lines, malloc'd. */
static char *with_lines(const char *note, char *const *lines, size_t n)
{
    size_t len = strlen(note) + 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(lines[i]);
    char *out = malloc(len);
    assert_non_null(out);
    strcpy(out, note);
    for (size_t i = 0; i < n; i++)
        strcat(out, lines[i]);
    return out;
}

#define MLDSA44_COSIG 2432 /* timestamp (8) || ML-DSA-44 signature (2420) ... plus key ID */
#define MAX_EXTRA 24

static void test_accepts_what_verifiers_must(void **state)
{
    (void)state;
    world w;
    world_init(&w, 77, 0x55);
    char *log_line = strstr(w.signed_note, "\n\n" EM) + 2;
    char long_name[301];
    memset(long_name, 'n', 300);
    long_name[300] = '\0';
    char *ln[MAX_EXTRA + 1];
    struct {
        const char *name;
        size_t n; /* lines added after the log's signature */
    } cases[] = {
        {"a repeated line from an unknown key", 2},
        {"two lines with the same unknown name and key ID", 2},
        {"an unknown key name with U+007F", 1},
        {"an unknown key name of 300 bytes", 1},
        {"an unknown key name of 300 bytes sharing the log name's first 256", 1},
        {"non-canonical base64 on an unknown line", 1},
        {"five ML-DSA-44-sized cosignatures", 5},
        {"seven ML-DSA-44-sized cosignatures", 7},
        {"sixteen Ed25519-sized cosignatures, eight of them twice", 24},
        {"the log's line repeated identically", 1},
        {"a second, bad line with the log's name and key ID", 1},
        {"a non-canonical line with the log's name, other key ID", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = cases[c].n > MAX_EXTRA ? MAX_EXTRA : cases[c].n;
        memset(ln, 0, sizeof ln);
        switch (c) {
        case 0:
            ln[0] = unknown_line("other.example/w", 0x01020304, 72, 1);
            ln[1] = dup_str(ln[0]);
            break;
        case 1:
            ln[0] = unknown_line("other.example/w", 0x01020304, 72, 1);
            ln[1] = unknown_line("other.example/w", 0x01020304, 72, 2);
            break;
        case 2: ln[0] = unknown_line("del\x7fname", 0x01020304, 64, 3); break;
        case 3: ln[0] = unknown_line(long_name, 0x01020304, 64, 4); break;
        case 4: {
            /* Truncated to 256 bytes it would be the log key's name. */
            char nm[400];
            snprintf(nm, sizeof nm, "%s%0*d", origin, 300 - (int)strlen(origin), 0);
            ln[0] = unknown_line(nm, w.keys[0].key_hash, 64, 5);
            break;
        }
        case 5:
            ln[0] = unknown_line("other.example/w", 0x01020304, 64, 6); /* 68 bytes: one '=' */
            make_noncanonical(ln[0]);
            break;
        case 6:
        case 7:
            for (size_t i = 0; i < n; i++) {
                char nm[64];
                snprintf(nm, sizeof nm, "pq.example/witness-%zu", i);
                ln[i] = unknown_line(nm, 0x06000000u + (uint32_t)i, MLDSA44_COSIG, (uint8_t)i);
            }
            break;
        case 8:
            /* 16 cosignatures by 16 unknown witnesses, 8 of them twice. */
            n = 24;
            for (size_t i = 0; i < 16; i++) {
                char nm[64];
                snprintf(nm, sizeof nm, "w%zu.example", i);
                ln[i] = unknown_line(nm, (uint32_t)i, 72, (uint8_t)i);
            }
            for (size_t i = 16; i < 24; i++)
                ln[i] = dup_str(ln[i - 16]);
            break;
        case 9: ln[0] = dup_str(log_line); break;
        case 10: ln[0] = unknown_line(origin, w.keys[0].key_hash, 64, 0xee); break;
        case 11:
            ln[0] = unknown_line(origin, w.keys[0].key_hash ^ 1, 64, 7);
            make_noncanonical(ln[0]);
            break;
        }
        char *msg = with_lines(w.signed_note, ln, n);
        gs_note *note = NULL;
        gs_error err;
        gs_error_clear(&err);
        if (gs_note_parse(msg, strlen(msg), &note, &err) != 0)
            fail_msg("%s (%zu bytes): parse refused: %s", cases[c].name, strlen(msg), err.msg);
        assert_int_equal(gs_note_sig_count(note), 1 + n);
        /* Kept as it arrived. */
        char *out = NULL;
        size_t out_len = 0;
        assert_int_equal(gs_note_format(note, &out, &out_len, &err), 0);
        assert_int_equal(out_len, strlen(msg));
        assert_memory_equal(out, msg, out_len);
        free(out);
        /* The log's key verifies; every other line is ignored. */
        gs_note_result res[3];
        size_t nv = 0;
        if (gs_note_verify(note, w.keys, 3, res, &nv, &err) != 0)
            fail_msg("%s: verify refused: %s", cases[c].name, err.msg);
        assert_int_equal(nv, 1);
        assert_true(res[0].verified);
        gs_note_free(&note);
        free(msg);
        for (size_t i = 0; i < n; i++)
            free(ln[i]);
    }
    world_free(&w);
}

/* A known key's line stays as strict as ever: the first line of a known
 * (name, key ID) is verified and its failure rejects the note. */
static void test_known_key_stays_strict(void **state)
{
    (void)state;
    world w;
    gs_error err;
    world_init(&w, 78, 0x66);
    char *cosig = cosign(&w, &w.w1, "hub.example/w1", 1700000000);
    char *bad = unknown_line(origin, w.keys[0].key_hash, 64, 0xee);
    const char *log_line = strstr(w.signed_note, "\n\n" EM) + 2;
    char *noncanon_log = dup_str(log_line);
    make_noncanonical(noncanon_log);
    char *noncanon_cosig = dup_str(cosig); /* 4 + 72 bytes: "==" */
    make_noncanonical(noncanon_cosig);

    /* A bad line from the log key BEFORE its good one: Go verifies the
     * first line by a key, and so does this parser. */
    size_t tlen = strlen(w.body);
    char *msg = malloc(strlen(w.signed_note) + strlen(bad) + 1);
    assert_non_null(msg);
    memcpy(msg, w.body, tlen);
    msg[tlen] = '\n';
    strcpy(msg + tlen + 1, bad);
    strcat(msg, log_line);
    gs_note *n = parse_ok(msg, strlen(msg));
    assert_int_equal(gs_note_verify(n, w.keys, 1, NULL, NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "does not verify"));
    gs_note_free(&n);
    free(msg);

    /* A line whose 300-byte name starts with the log key's name, with the
     * log's key ID, before the log's line: it names no key (a truncated
     * name must not match), so the log's line is the one verified. */
    char long_log[400];
    snprintf(long_log, sizeof long_log, "%s%0*d", origin, 300 - (int)strlen(origin), 0);
    char *pre = unknown_line(long_log, w.keys[0].key_hash, 64, 0xee);
    msg = malloc(strlen(w.signed_note) + strlen(pre) + 1);
    assert_non_null(msg);
    memcpy(msg, w.body, tlen);
    msg[tlen] = '\n';
    strcpy(msg + tlen + 1, pre);
    strcat(msg, log_line);
    n = parse_ok(msg, strlen(msg));
    assert_string_equal(gs_note_sig_at(n, 0)->name, "");
    assert_int_equal(gs_note_verify(n, w.keys, 1, NULL, NULL, &err), 0);
    gs_note_free(&n);
    free(msg);
    free(pre);

    /* The log's own line in a second spelling: Go would verify the same
     * bytes; a known key's line is refused here, as it always was. */
    char *lines[1] = {NULL};
    size_t cut = (size_t)(log_line - w.signed_note);
    msg = malloc(cut + strlen(noncanon_log) + 1);
    assert_non_null(msg);
    memcpy(msg, w.signed_note, cut);
    strcpy(msg + cut, noncanon_log);
    n = parse_ok(msg, strlen(msg));
    assert_true(gs_note_sig_at(n, 0)->noncanonical);
    assert_int_equal(gs_note_verify(n, w.keys, 1, NULL, NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "not canonical base64"));
    gs_note_free(&n);
    free(msg);

    /* A witness's cosignature in a second spelling: not counted. */
    lines[0] = noncanon_cosig;
    msg = with_lines(w.signed_note, lines, 1);
    n = parse_ok(msg, strlen(msg));
    int64_t ts = 0;
    assert_int_equal(gs_cosignature_verify(n, &w.keys[1], &ts, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "not canonical base64"));
    assert_int_equal(gs_note_verify(n, w.keys, 2, NULL, NULL, &err), GS_EVERIFY);
    gs_note_free(&n);
    free(msg);

    /* The good cosignature first, then another line by the same witness:
     * the repeat is dropped unverified, the cosignature counts. */
    char *both[2] = {cosig, bad};
    char *wbad = unknown_line("hub.example/w1", w.keys[1].key_hash, 72, 0xee);
    both[1] = wbad;
    msg = with_lines(w.signed_note, both, 2);
    n = parse_ok(msg, strlen(msg));
    assert_int_equal(gs_cosignature_verify(n, &w.keys[1], &ts, &err), 0);
    assert_int_equal(ts, 1700000000);
    gs_note_free(&n);
    free(msg);
    /* ... and the other way round, the bad one first: refused. */
    both[0] = wbad;
    both[1] = cosig;
    msg = with_lines(w.signed_note, both, 2);
    n = parse_ok(msg, strlen(msg));
    assert_int_equal(gs_cosignature_verify(n, &w.keys[1], &ts, &err), GS_EVERIFY);
    gs_note_free(&n);
    free(msg);

    /* Adding lines stays strict: what a key of ours or a witness makes. */
    n = parse_ok(w.signed_note, strlen(w.signed_note));
    assert_int_equal(gs_note_add_signature(n, noncanon_cosig, strlen(noncanon_cosig), &err),
                     GS_EINVAL);
    assert_non_null(strstr(err.msg, "not canonical"));
    char *del = unknown_line("del\x7fname", 1, 64, 1);
    assert_int_equal(gs_note_add_signature(n, del, strlen(del), &err), GS_EINVAL);
    char long_name[301];
    memset(long_name, 'n', 300);
    long_name[300] = '\0';
    char *lng = unknown_line(long_name, 1, 64, 1);
    assert_int_equal(gs_note_add_signature(n, lng, strlen(lng), &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "the limit is 256"));
    assert_int_equal(gs_note_sig_count(n), 1);
    gs_note_free(&n);

    free(del);
    free(lng);
    free(wbad);
    free(cosig);
    free(bad);
    free(noncanon_log);
    free(noncanon_cosig);
    world_free(&w);
}

/* Eight ML-DSA-44-sized cosignatures do not fit GS_NOTE_MAX: refused as
 * too big, not as malformed. */
static void test_size_limit_with_pq_lines(void **state)
{
    (void)state;
    world w;
    world_init(&w, 79, 0x77);
    char *ln[8];
    for (size_t i = 0; i < 8; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "pq.example/witness-%zu", i);
        ln[i] = unknown_line(nm, (uint32_t)i, MLDSA44_COSIG, (uint8_t)i);
    }
    char *msg = with_lines(w.signed_note, ln, 8);
    assert_true(strlen(msg) > GS_NOTE_MAX);
    gs_note *n = NULL;
    gs_error err;
    assert_int_equal(gs_note_parse(msg, strlen(msg), &n, &err), GS_ETOOBIG);
    assert_null(n);
    free(msg);
    for (size_t i = 0; i < 8; i++)
        free(ln[i]);
    world_free(&w);
}

/* ---- checkpoints ---- */

#define ROOT0 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
/* base64(SHA-256("")), the root of the empty tree. */
#define EMPTY_ROOT "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static const struct {
    const char *name;
    const char *text;
    const char *reason;
} bad_checkpoints[] = {
    {"leading zero", "o\n07\n" ROOT0 "\n", "leading zero"},
    {"zero with leading zero", "o\n00\n" ROOT0 "\n", "leading zero"},
    {"non-digit size", "o\n7a\n" ROOT0 "\n", "not a decimal number"},
    {"negative size", "o\n-7\n" ROOT0 "\n", "not a decimal number"},
    {"plus size", "o\n+7\n" ROOT0 "\n", "not a decimal number"},
    {"size with space", "o\n 7\n" ROOT0 "\n", "not a decimal number"},
    {"empty size", "o\n\n" ROOT0 "\n", "tree size line is empty"},
    {"size overflows", "o\n18446744073709551616\n" ROOT0 "\n", "does not fit in 64 bits"},
    {"root too short", "o\n7\nAAAA\n", "44"},
    {"root 33 bytes", "o\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "33 bytes"},
    {"root bad base64", "o\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!=\n", "not valid base64"},
    {"missing root line", "o\n7\n", "missing the root hash line"},
    {"missing size line", "o\n", "missing the tree size line"},
    {"empty", "", "does not end with a newline"},
    {"empty origin", "\n7\n" ROOT0 "\n", "origin line is empty"},
    {"empty extension line", "o\n7\n" ROOT0 "\n\next\n", "extension line 1 is empty"},
    {"trailing empty line", "o\n7\n" ROOT0 "\next\n\n", "extension line 2 is empty"},
    {"no final newline", "o\n7\n" ROOT0, "does not end with a newline"},
    {"no final newline after extension", "o\n7\n" ROOT0 "\next", "does not end with a newline"},
    {"control character", "o\t\n7\n" ROOT0 "\n", "control character"},
    /* RFC 6962 §2.1 (c2sp.org/tlog-checkpoint's root hash): one empty tree. */
    {"size 0, zero root", "o\n0\n" ROOT0 "\n", "size 0 has a root other than the empty tree"},
    {"size 0, root of size 1", "o\n0\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
     "size 0 has a root other than the empty tree"},
};

static void test_malformed_checkpoints(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_checkpoints / sizeof bad_checkpoints[0]; i++) {
        gs_checkpoint cp;
        gs_error err;
        gs_error_clear(&err);
        int rc = gs_checkpoint_parse(bad_checkpoints[i].text, strlen(bad_checkpoints[i].text), &cp,
                                     &err);
        if (rc != GS_EINVAL || strstr(err.msg, bad_checkpoints[i].reason) == NULL)
            fail_msg("%s: got %d \"%s\", want \"%s\"", bad_checkpoints[i].name, rc, err.msg,
                     bad_checkpoints[i].reason);
        assert_null(cp.origin);
        assert_null(cp.ext);
    }
}

static void test_checkpoint_edges_and_extensions(void **state)
{
    (void)state;
    gs_checkpoint cp;
    gs_error err;
    char *out = NULL;

    const char *max = "o\n18446744073709551615\n" ROOT0 "\n";
    assert_int_equal(gs_checkpoint_parse(max, strlen(max), &cp, &err), 0);
    assert_true(cp.size == UINT64_MAX);
    gs_checkpoint_clear(&cp);

    const char *zero = "o\n0\n" EMPTY_ROOT "\n";
    assert_int_equal(gs_checkpoint_parse(zero, strlen(zero), &cp, &err), 0);
    assert_int_equal(cp.size, 0);
    assert_int_equal(gs_checkpoint_format(cp.origin, cp.size, &cp.root, &out, &err), 0);
    assert_string_equal(out, zero);
    free(out);
    gs_checkpoint_clear(&cp);

    /* Extension lines are kept exactly and written back. */
    const char *ext = "example.com/log\n5\n" ROOT0 "\nfirst ext\n  second — ext \n";
    assert_int_equal(gs_checkpoint_parse(ext, strlen(ext), &cp, &err), 0);
    assert_int_equal(cp.n_ext, 2);
    assert_string_equal(cp.ext[0], "first ext");
    assert_string_equal(cp.ext[1], "  second — ext ");
    assert_int_equal(gs_checkpoint_format_full(&cp, &out, &err), 0);
    assert_string_equal(out, ext);
    free(out);
    /* gs_checkpoint_format leaves extensions out. */
    assert_int_equal(gs_checkpoint_format(cp.origin, cp.size, &cp.root, &out, &err), 0);
    assert_string_equal(out, "example.com/log\n5\n" ROOT0 "\n");
    free(out);
    gs_checkpoint_clear(&cp);
    gs_checkpoint_clear(&cp); /* safe twice */

    gs_hash root;
    memset(&root, 0, sizeof root);
    assert_int_equal(gs_checkpoint_format("", 1, &root, &out, &err), GS_EINVAL);
    assert_int_equal(gs_checkpoint_format("a\nb", 1, &root, &out, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "newline"));
    assert_int_equal(gs_checkpoint_format("a\x7f\x01", 1, &root, &out, &err), GS_EINVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_go_example_verifies),
        cmocka_unit_test(test_go_example_signs_byte_for_byte),
        cmocka_unit_test(test_go_example_add_signature),
        cmocka_unit_test(test_c2sp_signed_note_example),
        cmocka_unit_test(test_c2sp_cosigned_checkpoint_example),
        cmocka_unit_test(test_cosignature_timestamp_vector),
        cmocka_unit_test(test_checkpoint_sign_parse_verify),
        cmocka_unit_test(test_two_cosignatures_round_trip),
        cmocka_unit_test(test_cosignature_message_layout),
        cmocka_unit_test(test_merge_cosigned_notes),
        cmocka_unit_test(test_tampered_text_fails),
        cmocka_unit_test(test_unknown_key_only_fails),
        cmocka_unit_test(test_cosignature_over_other_checkpoint_fails),
        cmocka_unit_test(test_cosignature_sign_refuses),
        cmocka_unit_test(test_sign_refuses),
        cmocka_unit_test(test_malformed_notes),
        cmocka_unit_test(test_note_limits),
        cmocka_unit_test(test_add_signature_refuses),
        cmocka_unit_test(test_accepts_what_verifiers_must),
        cmocka_unit_test(test_known_key_stays_strict),
        cmocka_unit_test(test_size_limit_with_pq_lines),
        cmocka_unit_test(test_malformed_checkpoints),
        cmocka_unit_test(test_checkpoint_edges_and_extensions),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
