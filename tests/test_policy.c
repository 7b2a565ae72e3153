/* test_policy.c — C2SP tlog-policy trust files: the spec's own example
 * (tests/vectors/tlog-policy-example.txt, keys filled in), every malformed
 * line refused with its line number, and quorum evaluation (all, any, k of n,
 * nested groups, a single witness, none) on real checkpoints signed and
 * cosigned in the test. The expected verdicts are worked out by hand from the
 * spec's rules, in the comments next to each case. Then the hub's own log
 * (gs_policy_verify_checkpoint): the witness holding the log's own key
 * counts for it and for nothing else, and the group accessors. */
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
#include <sodium.h>

#include "note.h"
#include "policy.h"

#define ORIGIN "giamsat/commune/an-binh"
#define NW 6 /* witnesses X1 X2 X3 Y1 Y2 Y3 */

static gs_keypair log_kp, other_kp, wit_kp[NW];
static char log_vk[GS_VKEY_STR_MAX], wit_vk[NW][GS_VKEY_STR_MAX], wit_vk01[NW][GS_VKEY_STR_MAX];
static const char *wit_names[NW] = {"X1", "X2", "X3", "Y1", "Y2", "Y3"};
static char wit_keyname[NW][64];

static void key_string(const gs_keypair *kp, const char *name, uint8_t alg, char *out)
{
    gs_vkey vk;
    gs_error err = {0};
    if (gs_vkey_make(&vk, name, alg, &kp->pub, &err) != 0 ||
        gs_vkey_format(&vk, out, GS_VKEY_STR_MAX, &err) != 0)
        fail_msg("vkey: %s", err.msg);
}

static int setup(void **state)
{
    (void)state;
    gs_error err = {0};
    uint8_t seed[32];
    if (gs_crypto_init(&err) != 0)
        return -1;
    memset(seed, 0x11, sizeof seed);
    gs_keypair_from_seed(&log_kp, seed);
    memset(seed, 0x22, sizeof seed);
    gs_keypair_from_seed(&other_kp, seed);
    key_string(&log_kp, ORIGIN, GS_VKEY_ALG_ED25519, log_vk);
    for (int i = 0; i < NW; i++) {
        memset(seed, 0x30 + i, sizeof seed);
        gs_keypair_from_seed(&wit_kp[i], seed);
        snprintf(wit_keyname[i], sizeof wit_keyname[i], "witness.example/%s", wit_names[i]);
        key_string(&wit_kp[i], wit_keyname[i], GS_VKEY_ALG_COSIGNATURE_V1, wit_vk[i]);
        key_string(&wit_kp[i], wit_keyname[i], GS_VKEY_ALG_ED25519, wit_vk01[i]);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gs_keypair_wipe(&log_kp);
    gs_keypair_wipe(&other_kp);
    for (int i = 0; i < NW; i++)
        gs_keypair_wipe(&wit_kp[i]);
    return 0;
}

/* ---- notes ----------------------------------------------------------------- */

/* A checkpoint of ORIGIN signed by kp under `name`, cosigned by the witnesses
 * whose bit is set in mask (bit i = wit_kp[i]) at time 1000 + i. */
static char *cosigned(const gs_keypair *kp, const char *name, unsigned mask)
{
    gs_hash root;
    char *body = NULL, *note = NULL, *out = NULL;
    gs_note *n = NULL;
    gs_error err = {0};
    crypto_hash_sha256(root.b, (const uint8_t *)"root", 4);
    if (gs_checkpoint_format(ORIGIN, 42, &root, &body, &err) != 0 ||
        gs_note_sign(body, strlen(body), name, kp, &note, &err) != 0 ||
        gs_note_parse(note, strlen(note), &n, &err) != 0)
        fail_msg("note: %s", err.msg);
    for (int i = 0; i < NW; i++) {
        if (!(mask & (1u << i)))
            continue;
        char *line = NULL;
        if (gs_cosignature_sign(body, strlen(body), wit_keyname[i], &wit_kp[i], 1000 + i, &line,
                                &err) != 0 ||
            gs_note_add_signature(n, line, strlen(line), &err) != 0)
            fail_msg("cosign: %s", err.msg);
        free(line);
    }
    if (gs_note_format(n, &out, NULL, &err) != 0)
        fail_msg("format: %s", err.msg);
    gs_note_free(&n);
    free(body);
    free(note);
    return out;
}

/* ---- building policy texts -------------------------------------------------------- */

/* The spec example with each "<vkey>" replaced in order by the log key and
 * the six witness keys. */
static char *spec_example(void)
{
    char path[512], *out;
    snprintf(path, sizeof path, "%s/tlog-policy-example.txt", GS_VECTORS);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char raw[8192];
    size_t n = fread(raw, 1, sizeof raw - 1, fp);
    fclose(fp);
    raw[n] = '\0';
    out = calloc(1, sizeof raw + 8 * GS_VKEY_STR_MAX);
    assert_non_null(out);
    const char *keys[1 + NW];
    keys[0] = log_vk;
    for (int i = 0; i < NW; i++)
        keys[1 + i] = wit_vk[i];
    size_t k = 0, o = 0;
    /* Skip the header comment's own mention of "<vkey>": replace only on
     * lines that do not start with '#'. */
    int line_start = 1, comment = 0;
    for (const char *s = raw; *s;) {
        if (line_start)
            comment = *s == '#';
        if (!comment && strncmp(s, "<vkey>", 6) == 0 && k < 1 + NW) {
            o += (size_t)sprintf(out + o, "%s", keys[k++]);
            s += 6;
            line_start = 0;
            continue;
        }
        line_start = *s == '\n';
        out[o++] = *s++;
    }
    assert_int_equal(k, 1 + NW);
    return out;
}

static gs_policy *parse_ok(const char *text)
{
    gs_policy *p = NULL;
    gs_error err = {0};
    if (gs_policy_parse(text, strlen(text), "test.policy", &p, &err) != 0)
        fail_msg("policy refused: %s\n%s", err.msg, text);
    return p;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_spec_example(void **state)
{
    (void)state;
    char *text = spec_example();
    gs_policy *p = parse_ok(text);
    gs_error err = {0};
    assert_int_equal(gs_policy_log_count(p), 1);
    assert_int_equal(gs_policy_witness_count(p), NW);
    assert_string_equal(gs_policy_quorum_name(p), "X-and-Y");
    assert_false(gs_policy_quorum_none(p));
    gs_vkey vk;
    assert_int_equal(gs_policy_log_key(p, ORIGIN, &vk, &err), 0);
    assert_memory_equal(vk.key.b, log_kp.pub.b, 32);
    assert_int_equal(gs_policy_log_key(p, "giamsat/commune/other", &vk, &err), GS_ENOTFOUND);
    const char *name;
    const gs_vkey *w = gs_policy_witness_at(p, 4, &name, NULL);
    assert_string_equal(name, "Y2");
    assert_int_equal(w->alg, GS_VKEY_ALG_COSIGNATURE_V1);
    assert_int_equal(gs_policy_find_witness(p, &wit_kp[2].pub), 2);
    assert_int_equal(gs_policy_find_witness(p, &log_kp.pub), -1);

    /* X-and-Y = all of (2 of X1 X2 X3) and (any of Y1 Y2 Y3). Bits: X1=1,
     * X2=2, X3=4, Y1=8, Y2=16, Y3=32. */
    static const struct {
        unsigned mask;
        bool met;
        const char *why;
    } cases[] = {
        {1 | 2 | 32, true, "two X and one Y"},
        {2 | 4 | 16, true, "two other X and one Y"},
        {1 | 2 | 4 | 8 | 16 | 32, true, "everyone"},
        {1 | 8, false, "one X is not two"},
        {1 | 2 | 4, false, "no Y"},
        {8 | 16 | 32, false, "no X"},
        {0, false, "nobody"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *note = cosigned(&log_kp, ORIGIN, cases[i].mask);
        gs_policy_result r;
        int rc = gs_policy_verify_checkpoint(p, note, strlen(note), &r, &err);
        if ((rc == 0) != cases[i].met)
            fail_msg("%s: got %d (%s)", cases[i].why, rc, err.msg);
        assert_true(r.log_signed);
        assert_int_equal(r.quorum_met, cases[i].met);
        assert_int_equal(r.size, 42);
        assert_string_equal(r.origin, ORIGIN);
        for (int k = 0; k < NW; k++) {
            assert_int_equal(r.cosigned[k], (cases[i].mask >> k) & 1);
            if (r.cosigned[k])
                assert_int_equal(r.timestamps[k], 1000 + k);
        }
        if (!cases[i].met) {
            assert_int_equal(rc, GS_EVERIFY);
            assert_non_null(strstr(err.msg, "does not meet the quorum X-and-Y"));
        }
        gs_policy_result_clear(&r);
        free(note);
    }

    /* The log signature is required: another key under the log's name. */
    char *note = cosigned(&other_kp, ORIGIN, 63);
    assert_int_equal(gs_policy_verify_checkpoint(p, note, strlen(note), NULL, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "not signed by its log key"));
    free(note);
    gs_policy_free(&p);
    assert_null(p);
    free(text);
}

/* One case per quorum shape, each on its own small policy. */
static void test_quorum_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *rules; /* group and quorum lines after the witnesses */
        unsigned mask;
        bool met;
    } cases[] = {
        {"quorum none\n", 0, true},
        {"quorum X1\n", 1, true},
        {"quorum X1\n", 2, false},
        {"group g all X1 X2 X3\nquorum g\n", 7, true},
        {"group g all X1 X2 X3\nquorum g\n", 3, false},
        {"group g any X1 X2 X3\nquorum g\n", 4, true},
        {"group g any X1 X2 X3\nquorum g\n", 8, false},
        {"group g 3 X1 X2 X3 Y1\nquorum g\n", 1 | 4 | 8, true},
        {"group g 3 X1 X2 X3 Y1\nquorum g\n", 1 | 4 | 16, false},
        {"group g 1 X1\nquorum g\n", 1, true},
        /* Nested: (X1 and X2) or (2 of Y1 Y2 Y3). */
        {"group a all X1 X2\ngroup b 2 Y1 Y2 Y3\ngroup c any a b\nquorum c\n", 1 | 2, true},
        {"group a all X1 X2\ngroup b 2 Y1 Y2 Y3\ngroup c any a b\nquorum c\n", 8 | 32, true},
        {"group a all X1 X2\ngroup b 2 Y1 Y2 Y3\ngroup c any a b\nquorum c\n", 1 | 8, false},
        /* Three levels: c needs both a group and a witness. */
        {"group a any X1 X2\ngroup b all a Y1\ngroup c all b X3\nquorum c\n", 2 | 8 | 4, true},
        {"group a any X1 X2\ngroup b all a Y1\ngroup c all b X3\nquorum c\n", 8 | 4, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[8192];
        size_t o = (size_t)snprintf(text, sizeof text, "log %s\n", log_vk);
        for (int k = 0; k < NW; k++)
            o += (size_t)snprintf(text + o, sizeof text - o, "witness %s %s\n", wit_names[k],
                                  wit_vk[k]);
        snprintf(text + o, sizeof text - o, "%s", cases[i].rules);
        gs_policy *p = parse_ok(text);
        gs_error err = {0};
        char *note = cosigned(&log_kp, ORIGIN, cases[i].mask);
        int rc = gs_policy_verify_checkpoint(p, note, strlen(note), NULL, &err);
        if ((rc == 0) != cases[i].met)
            fail_msg("case %zu (%s, mask %u): got %d (%s)", i, cases[i].rules, cases[i].mask, rc,
                     err.msg);
        free(note);
        gs_policy_free(&p);
    }
}

/* Cosignature details: an 0x01 witness key counts as its 0x04 key; a
 * cosignature that does not verify does not count and is marked bad; a
 * checkpoint of an unlisted origin is not trusted. */
static void test_cosignature_details(void **state)
{
    (void)state;
    char text[4096];
    gs_error err = {0};
    snprintf(text, sizeof text,
             "log %s\nwitness X1 %s\nwitness X2 %s\ngroup g all X1 X2\nquorum g\n", log_vk,
             wit_vk01[0], wit_vk[1]);
    gs_policy *p = parse_ok(text);
    assert_int_equal(gs_policy_witness_at(p, 0, NULL, NULL)->alg, GS_VKEY_ALG_COSIGNATURE_V1);
    char *note = cosigned(&log_kp, ORIGIN, 3);
    assert_int_equal(gs_policy_verify_checkpoint(p, note, strlen(note), NULL, &err), 0);

    /* Spoil X2's cosignature: the last base64 characters of the note. */
    size_t len = strlen(note);
    char *bad = strdup(note);
    /* The last line is X2's; change a character inside its signature. */
    bad[len - 6] = bad[len - 6] == 'A' ? 'B' : 'A';
    gs_policy_result r;
    int rc = gs_policy_verify_checkpoint(p, bad, len, &r, &err);
    assert_int_equal(rc, GS_EVERIFY);
    assert_true(r.cosigned[0]);
    assert_false(r.cosigned[1]);
    assert_true(r.bad[1]);
    assert_non_null(strstr(err.msg, "cosigned by X1"));
    gs_policy_result_clear(&r);
    free(bad);
    free(note);
    gs_policy_free(&p);

    /* An origin the policy does not list. */
    snprintf(text, sizeof text, "log %s\nquorum none\n", wit_vk01[0]);
    p = parse_ok(text);
    note = cosigned(&log_kp, ORIGIN, 0);
    assert_int_equal(gs_policy_verify_checkpoint(p, note, strlen(note), NULL, &err), GS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "is not a log in the trust file"));
    assert_int_equal(gs_policy_verify_checkpoint(p, "garbage", 7, NULL, &err), GS_EINVAL);
    free(note);
    gs_policy_free(&p);
}

/* Comments, blank lines, tabs, trailing comments, URLs and a file without a
 * final newline are accepted. */
static void test_layout(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text,
             "# a trust file\n"
             "\n"
             "   \t\n"
             "  # indented comment\n"
             "log\t%s https://node.example/an-binh   # the commune\n"
             "witness  X1 %s\n"
             "group\tg any X1\n"
             "quorum g",
             log_vk, wit_vk[0]);
    gs_policy *p = parse_ok(text);
    const char *url;
    gs_policy_log_at(p, 0, &url);
    assert_string_equal(url, "https://node.example/an-binh");
    gs_policy_witness_at(p, 0, NULL, &url);
    assert_string_equal(url, "");
    gs_policy_free(&p);

    /* Non-ASCII octets are opaque name bytes: "K" and the Kelvin sign differ. */
    snprintf(text, sizeof text,
             "witness K %s\nwitness \xe2\x84\xaa %s\ngroup g all K \xe2\x84\xaa\nquorum g\n",
             wit_vk[0], wit_vk[1]);
    p = parse_ok(text);
    assert_int_equal(gs_policy_witness_count(p), 2);
    gs_policy_free(&p);
}

/* Replaces @L, @1 and @2 with the log key, X1's and X2's cosigner keys. */
static void expand(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *s = in; *s && o + 1 < cap;) {
        const char *k = NULL;
        if (s[0] == '@' && s[1] == 'L')
            k = log_vk;
        else if (s[0] == '@' && s[1] == '1')
            k = wit_vk[0];
        else if (s[0] == '@' && s[1] == '2')
            k = wit_vk[1];
        if (k != NULL) {
            o += (size_t)snprintf(out + o, cap - o, "%s", k);
            s += 2;
        } else {
            out[o++] = *s++;
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

/* Every malformed line is refused, naming the file, the line and why. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text; /* @L log key, @1 X1 (0x04), @2 X2 (0x04) */
        const char *where;
        const char *why;
    } cases[] = {
        {"lgo @L\nquorum none\n", "test.policy:1:", "unknown keyword \"lgo\""},
        {"quorum none\nlog\n", "test.policy:2:", "`log` takes a verifier key"},
        {"log @L url extra\nquorum none\n", "test.policy:1:", "found 3 items"},
        {"log not-a-key\nquorum none\n", "test.policy:1:", "log key"},
        {"log @1\nquorum none\n", "test.policy:1:", "Ed25519 note key (0x01)"},
        {"log @L\nlog @L\nquorum none\n", "test.policy:2:", "same public key as the log on line 1"},
        {"#\nwitness X1 @1\nwitness X1 @2\nquorum none\n",
         "test.policy:3:", "already defined on line 2"},
        {"witness X1 @1\nwitness X2 @1\nquorum none\n",
         "test.policy:2:", "same public key as witness X1 on line 1"},
        {"witness none @1\nquorum none\n", "test.policy:1:", "reserved"},
        {"witness X1\nquorum none\n", "test.policy:1:", "`witness` takes a name"},
        {"witness X1 @1\ngroup g any\nquorum g\n", "test.policy:2:", "at least one member"},
        {"witness X1 @1\ngroup g 0 X1\nquorum g\n", "test.policy:2:", "threshold \"0\""},
        {"witness X1 @1\ngroup g 2 X1\nquorum g\n",
         "test.policy:2:", "threshold 2 is more than the group's 1 members"},
        {"witness X1 @1\ngroup g 01 X1\nquorum g\n", "test.policy:2:", "threshold \"01\""},
        {"witness X1 @1\ngroup g -1 X1\nquorum g\n", "test.policy:2:", "threshold \"-1\""},
        {"witness X1 @1\ngroup g any X9\nquorum g\n",
         "test.policy:2:", "member \"X9\" is not a witness or group defined on an earlier line"},
        {"group g any X1\nwitness X1 @1\nquorum g\n", "test.policy:1:", "member \"X1\""},
        {"witness X1 @1\ngroup g any X1 X1\nquorum g\n", "test.policy:2:", "listed twice"},
        {"witness X1 @1\ngroup g any none\nquorum g\n",
         "test.policy:2:", "\"none\" cannot be a group member"},
        {"witness X1 @1\ngroup X1 any X1\nquorum X1\n", "test.policy:2:", "already defined"},
        {"witness X1 @1\nquorum X1\nquorum X1\n",
         "test.policy:3:", "second quorum line; the quorum is already defined on line 2"},
        {"witness X1 @1\nquorum X2\n", "test.policy:2:", "quorum \"X2\""},
        {"quorum\n", "test.policy:1:", "exactly one name"},
        {"quorum a b\n", "test.policy:1:", "exactly one name"},
        {"quorum g\ngroup g any X1\n", "test.policy:1:", "quorum \"g\""},
        {"log @L\n", "test.policy:", "no quorum line"},
        {"", "test.policy:", "no quorum line"},
        {"log @L\r\nquorum none\r\n", "test.policy:1:", "carriage return"},
        {"# ok\nquorum\001 none\n", "test.policy:2:", "control character 0x01"},
        {"# ok\n\n\nquorum none\x7f\n", "test.policy:4:", "control character 0x7f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[4096];
        gs_policy *p = NULL;
        gs_error err = {0};
        expand(cases[i].text, text, sizeof text);
        int rc = gs_policy_parse(text, strlen(text), "test.policy", &p, &err);
        if (rc == 0)
            fail_msg("case %zu accepted:\n%s", i, text);
        assert_null(p);
        if (strncmp(err.msg, cases[i].where, strlen(cases[i].where)) != 0 ||
            strstr(err.msg, cases[i].why) == NULL)
            fail_msg("case %zu: message \"%s\" lacks \"%s\" … \"%s\"", i, err.msg, cases[i].where,
                     cases[i].why);
    }
}

static void test_load(void **state)
{
    (void)state;
    char path[] = "/tmp/gs-test-policy-XXXXXX";
    gs_policy *p = NULL;
    gs_error err = {0};
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char text[1024];
    int n = snprintf(text, sizeof text, "log %s\nquorum none\n", log_vk);
    assert_int_equal(write(fd, text, (size_t)n), n);
    close(fd);
    assert_int_equal(gs_policy_load(path, &p, &err), 0);
    assert_true(gs_policy_quorum_none(p));
    char *note = cosigned(&log_kp, ORIGIN, 0);
    assert_int_equal(gs_policy_verify_checkpoint(p, note, strlen(note), NULL, &err), 0);
    free(note);
    gs_policy_free(&p);
    gs_policy_free(&p); /* safe on NULL */
    unlink(path);
    assert_int_equal(gs_policy_load(path, &p, &err), GS_EIO);
    assert_non_null(strstr(err.msg, path));
}

/* The hub's own log: the witness holding the log's own key counts for a
 * checkpoint that key signed, and only that witness; for a log whose key is
 * no witness nothing changes. "self" is the log key under its cosigner
 * algorithm, "hub" another key (a hub that cosigns a node's log). Verdicts
 * by hand from the quorum and policy.h. */
static void test_own_log(void **state)
{
    (void)state;
    char self_vk[GS_VKEY_STR_MAX], hub_vk[GS_VKEY_STR_MAX];
    key_string(&log_kp, ORIGIN, GS_VKEY_ALG_COSIGNATURE_V1, self_vk);
    key_string(&other_kp, "giamsat/hub/tinh", GS_VKEY_ALG_COSIGNATURE_V1, hub_vk);
    static const struct {
        bool self_listed; /* a witness "self" wraps the log's own key */
        const char *rules;
        unsigned mask; /* cosignatures by X1.. (bit i) */
        bool trusted;
    } cases[] = {
        /* A lone hub: the quorum is the hub, nobody cosigns its log. */
        {true, "quorum self\n", 0, true},
        /* The hub and another witness both needed: the other still is. */
        {true, "group g all self X1\nquorum g\n", 0, false},
        {true, "group g all self X1\nquorum g\n", 1, true},
        /* Any of the hubs: the hub itself is one. */
        {true, "group g any self X1 X2\nquorum g\n", 0, true},
        /* 2 of 3 with the hub: one other is needed. */
        {true, "group g 2 self X1 X2\nquorum g\n", 0, false},
        {true, "group g 2 self X1 X2\nquorum g\n", 2, true},
        /* A quorum the hub is no part of: its own signature is no help. */
        {true, "quorum X1\n", 0, false},
        {true, "group g any X1 X2\nquorum g\n", 0, false},
        /* A log whose key is no witness (a node's log): cosignatures only. */
        {false, "quorum X1\n", 0, false},
        {false, "quorum X1\n", 1, true},
        {false, "quorum hub\n", 0, false},
        {false, "group g any hub X1\nquorum g\n", 0, false},
        {false, "group g any hub X1\nquorum g\n", 1, true},
        {false, "quorum none\n", 0, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[8192];
        size_t o = (size_t)snprintf(text, sizeof text, "log %s\nwitness hub %s\n", log_vk, hub_vk);
        if (cases[i].self_listed)
            o += (size_t)snprintf(text + o, sizeof text - o, "witness self %s\n", self_vk);
        for (int k = 0; k < NW; k++)
            o += (size_t)snprintf(text + o, sizeof text - o, "witness %s %s\n", wit_names[k],
                                  wit_vk[k]);
        snprintf(text + o, sizeof text - o, "%s", cases[i].rules);
        gs_policy *p = parse_ok(text);
        gs_policy_result res = {0};
        gs_error err = {0};
        char *note = cosigned(&log_kp, ORIGIN, cases[i].mask);
        int rc = gs_policy_verify_checkpoint(p, note, strlen(note), &res, &err);
        if ((rc == 0) != cases[i].trusted)
            fail_msg("case %zu (%s, mask %u): %d (%s)", i, cases[i].rules, cases[i].mask, rc,
                     err.msg);
        /* Counted, never shown as a cosignature it does not carry. */
        assert_int_equal(res.self_counted, cases[i].self_listed);
        if (res.self_counted) {
            const char *name = NULL;
            gs_policy_witness_at(p, res.self_witness, &name, NULL);
            assert_string_equal(name, "self");
            assert_false(res.cosigned[res.self_witness]);
        }
        gs_policy_result_clear(&res);
        free(note);
        gs_policy_free(&p);
    }
}

/* Why counting the log's own key weakens nothing: the key can add that
 * cosignature line itself, and a check that counted only cosignature lines
 * would then accept the checkpoint: with the line or without it, the same
 * verdict. A checkpoint whose log signature fails is refused either way. */
static void test_own_log_equivalence(void **state)
{
    (void)state;
    char self_vk[GS_VKEY_STR_MAX], text[4096], *line = NULL, *out = NULL;
    gs_error err = {0};
    gs_note *n = NULL;
    size_t blen = 0;
    key_string(&log_kp, ORIGIN, GS_VKEY_ALG_COSIGNATURE_V1, self_vk);
    snprintf(text, sizeof text, "log %s\nwitness self %s\nquorum self\n", log_vk, self_vk);
    gs_policy *p = parse_ok(text);
    char *note = cosigned(&log_kp, ORIGIN, 0);
    gs_policy_result res = {0};
    assert_int_equal(gs_policy_verify_checkpoint(p, note, strlen(note), &res, &err), 0);
    assert_true(res.self_counted);
    gs_policy_result_clear(&res);
    assert_int_equal(gs_note_parse(note, strlen(note), &n, &err), 0);
    const char *body = gs_note_text(n, &blen);
    assert_int_equal(gs_cosignature_sign(body, blen, ORIGIN, &log_kp, 1000, &line, &err), 0);
    assert_int_equal(gs_note_add_signature(n, line, strlen(line), &err), 0);
    assert_int_equal(gs_note_format(n, &out, NULL, &err), 0);
    assert_int_equal(gs_policy_verify_checkpoint(p, out, strlen(out), &res, &err), 0);
    assert_true(res.cosigned[res.self_witness]);
    gs_policy_result_clear(&res);
    free(note);
    /* Signed by another key under the log's name: refused either way. */
    note = cosigned(&other_kp, ORIGIN, 0);
    assert_int_equal(gs_policy_verify_checkpoint(p, note, strlen(note), NULL, &err), GS_EVERIFY);
    free(note);
    free(out);
    free(line);
    gs_note_free(&n);
    gs_policy_free(&p);
}

/* The group accessors `giamsat trust show` reads. */
static void test_groups_read_back(void **state)
{
    (void)state;
    char text[8192];
    size_t o = 0, k = 0, n = 0;
    bool grp = true;
    for (int i = 0; i < 3; i++)
        o +=
            (size_t)snprintf(text + o, sizeof text - o, "witness %s %s\n", wit_names[i], wit_vk[i]);
    snprintf(text + o, sizeof text - o, "group a all X1 X2\ngroup c any a X3\nquorum c\n");
    gs_policy *p = parse_ok(text);
    assert_int_equal(gs_policy_group_count(p), 2);
    assert_string_equal(gs_policy_group_at(p, 0, &k, &n), "a");
    assert_true(k == 2 && n == 2);
    assert_string_equal(gs_policy_group_at(p, 1, &k, &n), "c");
    assert_true(k == 1 && n == 2);
    assert_string_equal(gs_policy_group_member(p, 1, 0, &grp), "a");
    assert_true(grp);
    assert_string_equal(gs_policy_group_member(p, 1, 1, &grp), "X3");
    assert_false(grp);
    assert_null(gs_policy_group_member(p, 1, 2, NULL));
    assert_null(gs_policy_group_at(p, 2, NULL, NULL));
    assert_true(gs_policy_name_defined(p, "a"));
    assert_true(gs_policy_name_defined(p, "X2"));
    assert_false(gs_policy_name_defined(p, "none"));
    assert_false(gs_policy_name_defined(p, "Y1"));
    assert_string_equal(gs_policy_quorum_name(p), "c");
    gs_policy_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_example),
        cmocka_unit_test(test_quorum_shapes),
        cmocka_unit_test(test_cosignature_details),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_own_log),
        cmocka_unit_test(test_own_log_equivalence),
        cmocka_unit_test(test_groups_read_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
