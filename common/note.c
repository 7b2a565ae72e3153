/* note.c — see note.h. Formats: c2sp.org/signed-note, c2sp.org/tlog-checkpoint,
 * c2sp.org/tlog-cosignature (cosignature/v1, Ed25519). */
#include "note.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* U+2014 EM DASH in UTF-8, then U+0020: how every signature line starts. */
#define EM_DASH_SP "\xe2\x80\x94 "
#define EM_DASH_SP_LEN 4
/* An Ed25519 note signature: key ID (4) || signature (64). */
#define ED25519_SIG_LEN 64
/* A cosignature/v1: key ID (4) || timestamp (8) || Ed25519 signature (64). */
#define COSIG_V1_LEN (8 + ED25519_SIG_LEN)
/* base64 of a 32-byte hash, with padding. */
#define ROOT_B64_LEN 44
/* How much of an untrusted string an error message quotes. */
#define QUOTE_MAX 48

typedef struct {
    gs_note_sig pub;
    uint8_t *mem; /* owns pub.line and pub.sig */
} note_sig;

struct gs_note {
    char *text; /* NUL-terminated, final newline included */
    size_t text_len;
    note_sig *sigs;
    size_t nsigs;
    size_t cap;
    size_t total; /* serialized size: text + blank line + every line and its '\n' */
};

/* c2sp.org/signed-note: "Signed notes MUST be valid UTF-8 and MUST NOT
 * contain any ASCII control characters (those below U+0020) other than
 * newline." Overlong forms, surrogates and code points above U+10FFFF are
 * not valid UTF-8 (RFC 3629 §3). */
static int check_text(const char *what, const char *s, size_t len, gs_error *err)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\n')
                return gs_error_set(err, GS_EINVAL,
                                    "%s contains control character 0x%02x at byte %zu; only "
                                    "newline is allowed",
                                    what, c, i);
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            need = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return gs_error_set(err, GS_EINVAL, "%s is not valid UTF-8 (byte %zu is 0x%02x)", what,
                                i, c);
        }
        if (len - i - 1 < need)
            return gs_error_set(err, GS_EINVAL,
                                "%s is not valid UTF-8 (truncated sequence at byte %zu)", what, i);
        for (size_t k = 1; k <= need; k++) {
            uint8_t b = p[i + k];
            if ((b & 0xc0) != 0x80)
                return gs_error_set(err, GS_EINVAL,
                                    "%s is not valid UTF-8 (bad continuation byte at %zu)", what,
                                    i + k);
            cp = (cp << 6) | (b & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return gs_error_set(err, GS_EINVAL,
                                "%s is not valid UTF-8 (invalid code point at byte %zu)", what, i);
        i += need + 1;
    }
    return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void note_sig_free(note_sig *s)
{
    free(s->mem);
    s->mem = NULL;
}

/* Go's unicode.IsSpace, which "Unicode spaces" in signed-note key names
 * means: the ASCII and Latin-1 spaces plus the Unicode White_Space
 * characters (the same list as crypto.c's key-name check). */
static int is_unicode_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* c2sp.org/signed-note: "Key names MUST be non-empty and MUST NOT contain
 * any Unicode spaces or plus (U+002B) characters." Nothing else: a name
 * with U+007F or longer than any verifier key's name is well-formed, it
 * just names no key a verifier can hold. s is valid UTF-8 (checked with
 * the whole line). */
static int spec_name_ok(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp = p[i];
        size_t n = 1;
        if (cp >= 0xf0)
            n = 4, cp &= 0x07;
        else if (cp >= 0xe0)
            n = 3, cp &= 0x0f;
        else if (cp >= 0xc0)
            n = 2, cp &= 0x1f;
        for (size_t k = 1; k < n && i + k < len; k++)
            cp = cp << 6 | (p[i + k] & 0x3f);
        if (cp == '+' || is_unicode_space(cp))
            return 0;
        i += n;
    }
    return 1;
}

/* Decodes padded base64 as Go's base64.StdEncoding does: a last character
 * whose unused low bits are not zero (RFC 4648 §3.5, a second spelling of
 * the same bytes) is decoded as if they were zero and *noncanonical is
 * set. Anything else that is not padded standard base64 is refused. */
static int decode_b64(const char *b64, size_t len, uint8_t *dec, size_t cap, size_t *dec_len,
                      int *noncanonical, gs_error *err)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    *noncanonical = 0;
    size_t pad = 0;
    if (len >= 4 && len % 4 == 0)
        pad = b64[len - 1] != '=' ? 0 : b64[len - 2] != '=' ? 1 : 2;
    const char *last =
        pad > 0 && b64[len - pad - 1] != '\0' ? strchr(alphabet, b64[len - pad - 1]) : NULL;
    unsigned mask = pad == 1 ? 0x03 : 0x0f;
    if (last == NULL || ((unsigned)(last - alphabet) & mask) == 0)
        return gs_base64_decode(dec, cap, dec_len, b64, len, err);
    char *copy = malloc(len);
    if (copy == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory decoding base64");
    memcpy(copy, b64, len);
    copy[len - pad - 1] = alphabet[(unsigned)(last - alphabet) & ~mask];
    int rc = gs_base64_decode(dec, cap, dec_len, copy, len, err);
    free(copy);
    *noncanonical = rc == 0;
    return rc;
}

/* Splits "— <name> <base64>" (no final newline) into a note_sig. lineno is
 * 1-based, for messages; 0 when the line came alone. strict (a line added
 * to a note by gs_note_add_signature) also requires what a verifier key's
 * line has: a gs_vkey_name_valid name and canonical base64. Otherwise the
 * line only has to follow c2sp.org/signed-note, which a verifier must
 * accept even from keys it does not know. */
static int parse_sig_line(const char *line, size_t len, size_t lineno, int strict, note_sig *out,
                          gs_error *err)
{
    char where[48];
    if (lineno > 0)
        snprintf(where, sizeof where, "signature line %zu", lineno);
    else
        snprintf(where, sizeof where, "signature line");

    memset(out, 0, sizeof *out);
    if (len < EM_DASH_SP_LEN || memcmp(line, EM_DASH_SP, EM_DASH_SP_LEN) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "%s does not start with an em dash (U+2014) and a space: \"%.*s\"",
                            where, (int)(len < QUOTE_MAX ? len : QUOTE_MAX), line);
    const char *name = line + EM_DASH_SP_LEN;
    const char *end = line + len;
    const char *sp = memchr(name, ' ', (size_t)(end - name));
    if (sp == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "%s has no space between the key name and the signature", where);
    size_t name_len = (size_t)(sp - name);
    if (name_len == 0)
        return gs_error_set(err, GS_EINVAL, "%s has an empty key name", where);
    if (!spec_name_ok(name, name_len))
        return gs_error_set(err, GS_EINVAL,
                            "%s: key name \"%.*s\" is not valid (it must be non-empty, without "
                            "spaces or '+')",
                            where, (int)(name_len < QUOTE_MAX ? name_len : QUOTE_MAX), name);
    if (name_len > GS_VKEY_NAME_MAX) {
        if (strict)
            return gs_error_set(err, GS_EINVAL, "%s has a key name of %zu bytes; the limit is %d",
                                where, name_len, GS_VKEY_NAME_MAX);
        /* No verifier key has such a name: the line is carried, and its
         * empty name matches no key. */
        out->pub.name[0] = '\0';
    } else {
        memcpy(out->pub.name, name, name_len);
        out->pub.name[name_len] = '\0';
        if (strict && gs_vkey_name_valid(out->pub.name) != 0)
            return gs_error_set(err, GS_EINVAL,
                                "%s: key name \"%.*s\" is not valid for a key (it must be 1 to %d "
                                "bytes, without spaces, '+' or control characters)",
                                where, QUOTE_MAX, out->pub.name, GS_VKEY_NAME_MAX);
    }
    const char *shown = out->pub.name[0] != '\0' ? out->pub.name : "with a long name";

    const char *b64 = sp + 1;
    size_t b64_len = (size_t)(end - b64);
    if (b64_len == 0)
        return gs_error_set(err, GS_EINVAL, "%s (key %s) has no signature after the key name",
                            where, shown);
    if (memchr(b64, ' ', b64_len) != NULL)
        return gs_error_set(err, GS_EINVAL,
                            "%s (key %s) has a space inside its signature; a line is \"— <key "
                            "name> <base64>\"",
                            where, shown);

    /* One block holds the line (NUL-terminated) and the decoded bytes, whose
     * length is bounded by the base64 length (≤ GS_NOTE_MAX). */
    size_t dec_cap = b64_len / 4 * 3 + 3;
    out->mem = malloc(len + 1 + dec_cap);
    if (out->mem == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory parsing %s", where);
    uint8_t *dec = out->mem + len + 1;
    size_t dec_len = 0;
    int noncanonical = 0;
    gs_error inner;
    gs_error_clear(&inner);
    int rc = strict ? gs_base64_decode(dec, dec_cap, &dec_len, b64, b64_len, &inner)
                    : decode_b64(b64, b64_len, dec, dec_cap, &dec_len, &noncanonical, &inner);
    if (rc != 0) {
        note_sig_free(out);
        if (rc == GS_ENOMEM)
            return gs_error_set(err, GS_ENOMEM, "out of memory parsing %s", where);
        return gs_error_set(err, GS_EINVAL, "%s (key %s): signature is not valid base64: %s", where,
                            shown, inner.msg);
    }
    if (dec_len < 5) {
        note_sig_free(out);
        return gs_error_set(err, GS_EINVAL,
                            "%s (key %s): signature is %zu bytes, too short for a 4-byte key ID "
                            "and a signature",
                            where, shown, dec_len);
    }
    memcpy(out->mem, line, len);
    out->mem[len] = '\0';
    out->pub.line = (const char *)out->mem;
    out->pub.line_len = len;
    out->pub.key_hash = get_be32(dec);
    out->pub.sig = dec + 4;
    out->pub.sig_len = dec_len - 4;
    out->pub.noncanonical = noncanonical;
    return 0;
}

/* Stores a parsed line at the end, within the note's limits. Takes
 * ownership of s->mem whatever happens. */
static int note_push(gs_note *n, note_sig *s, gs_error *err)
{
    int rc;
    if (n->nsigs >= GS_NOTE_MAX_SIGS) {
        rc = gs_error_set(err, GS_ETOOBIG, "note has more than %d signatures", GS_NOTE_MAX_SIGS);
        goto out;
    }
    if (n->total + s->pub.line_len + 1 > GS_NOTE_MAX) {
        rc = gs_error_set(err, GS_ETOOBIG,
                          "note would be %zu bytes with the signature by %s; the limit is %d",
                          n->total + s->pub.line_len + 1, s->pub.name, GS_NOTE_MAX);
        goto out;
    }
    if (n->nsigs == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        note_sig *grown = realloc(n->sigs, cap * sizeof *grown);
        if (grown == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory adding a signature");
            goto out;
        }
        n->sigs = grown;
        n->cap = cap;
    }
    n->sigs[n->nsigs++] = *s;
    n->total += s->pub.line_len + 1;
    s->mem = NULL;
    return 0;
out:
    note_sig_free(s);
    return rc;
}

/* Adds a line to a held note (gs_note_add_signature): the identical line
 * already held is a no-op, another line by the same key a conflict. Takes
 * ownership of s->mem whatever happens. */
static int note_append(gs_note *n, note_sig *s, gs_error *err)
{
    for (size_t i = 0; i < n->nsigs; i++) {
        const gs_note_sig *o = &n->sigs[i].pub;
        if (strcmp(o->name, s->pub.name) != 0 || o->key_hash != s->pub.key_hash)
            continue;
        int rc = 0;
        if (o->line_len != s->pub.line_len || memcmp(o->line, s->pub.line, o->line_len) != 0)
            rc = gs_error_set(err, GS_ECONFLICT,
                              "note carries two different signatures by key %s+%08" PRIx32
                              "; a key signs a note once",
                              s->pub.name, s->pub.key_hash);
        note_sig_free(s);
        return rc;
    }
    return note_push(n, s, err);
}

static gs_note *note_new(const char *text, size_t text_len)
{
    gs_note *n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    n->text = malloc(text_len + 1);
    if (n->text == NULL) {
        free(n);
        return NULL;
    }
    memcpy(n->text, text, text_len);
    n->text[text_len] = '\0';
    n->text_len = text_len;
    n->total = text_len + 1;
    return n;
}

int gs_note_parse(const char *msg, size_t len, gs_note **out, gs_error *err)
{
    int rc;
    gs_note *n = NULL;
    *out = NULL;
    if (len > GS_NOTE_MAX)
        return gs_error_set(err, GS_ETOOBIG, "note is %zu bytes; the limit is %d", len,
                            GS_NOTE_MAX);
    if ((rc = check_text("note", msg, len, err)) != 0)
        return rc;
    if (len == 0 || msg[len - 1] != '\n')
        return gs_error_set(err, GS_EINVAL, "note does not end with a newline");

    /* c2sp.org/signed-note: "the text is separated from the signatures by
     * the last empty line in the note". */
    size_t split = len;
    for (size_t i = len - 1; i > 0; i--) {
        if (msg[i] == '\n' && msg[i - 1] == '\n') {
            split = i - 1;
            break;
        }
    }
    if (split == len)
        return gs_error_set(err, GS_EINVAL,
                            "note has no blank line between its text and its signatures");
    size_t text_len = split + 1;
    const char *p = msg + split + 2;
    const char *end = msg + len;
    if (p == end)
        return gs_error_set(err, GS_EINVAL, "note has no signature lines after its blank line");

    n = note_new(msg, text_len);
    if (n == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory parsing a note");
    for (size_t lineno = 1; p < end; lineno++) {
        /* Every line ends in '\n' (the note does) and none is empty (the
         * blank line found above is the last one). */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (lineno > GS_NOTE_MAX_SIGS) {
            rc =
                gs_error_set(err, GS_ETOOBIG, "note has more than %d signatures", GS_NOTE_MAX_SIGS);
            goto out;
        }
        note_sig s;
        if ((rc = parse_sig_line(p, (size_t)(nl - p), lineno, 0, &s, err)) != 0)
            goto out;
        /* Every line is kept as it arrived, repeats included, so the note
         * formats back byte for byte. A verifier reads only the first line
         * of a (name, key ID): later ones are dropped unverified, as
         * golang.org/x/mod/sumdb/note's Open does (gs_note_verify). */
        if ((rc = note_push(n, &s, err)) != 0)
            goto out;
        p = nl + 1;
    }
    *out = n;
    n = NULL;
    rc = 0;
out:
    gs_note_free(&n);
    return rc;
}

void gs_note_free(gs_note **np)
{
    if (np == NULL || *np == NULL)
        return;
    gs_note *n = *np;
    for (size_t i = 0; i < n->nsigs; i++)
        note_sig_free(&n->sigs[i]);
    free(n->sigs);
    free(n->text);
    free(n);
    *np = NULL;
}

const char *gs_note_text(const gs_note *n, size_t *len)
{
    if (len != NULL)
        *len = n->text_len;
    return n->text;
}

size_t gs_note_sig_count(const gs_note *n)
{
    return n->nsigs;
}

const gs_note_sig *gs_note_sig_at(const gs_note *n, size_t i)
{
    return i < n->nsigs ? &n->sigs[i].pub : NULL;
}

int gs_note_format(const gs_note *n, char **out, size_t *out_len, gs_error *err)
{
    *out = NULL;
    char *buf = malloc(n->total + 1);
    if (buf == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory formatting a note");
    size_t off = 0;
    memcpy(buf, n->text, n->text_len);
    off += n->text_len;
    buf[off++] = '\n';
    for (size_t i = 0; i < n->nsigs; i++) {
        memcpy(buf + off, n->sigs[i].pub.line, n->sigs[i].pub.line_len);
        off += n->sigs[i].pub.line_len;
        buf[off++] = '\n';
    }
    buf[off] = '\0';
    *out = buf;
    if (out_len != NULL)
        *out_len = off;
    return 0;
}

int gs_note_add_signature(gs_note *n, const char *line, size_t len, gs_error *err)
{
    int rc;
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > GS_NOTE_MAX)
        return gs_error_set(err, GS_ETOOBIG, "signature line is %zu bytes; a note is at most %d",
                            len, GS_NOTE_MAX);
    if (memchr(line, '\n', len) != NULL)
        return gs_error_set(err, GS_EINVAL, "signature line contains a newline before its end");
    if ((rc = check_text("signature line", line, len, err)) != 0)
        return rc;
    note_sig s;
    if ((rc = parse_sig_line(line, len, 0, 1, &s, err)) != 0)
        return rc;
    return note_append(n, &s, err);
}

int gs_note_merge(gs_note *dst, const gs_note *src, gs_error *err)
{
    if (dst->text_len != src->text_len || memcmp(dst->text, src->text, dst->text_len) != 0)
        return gs_error_set(err, GS_ECONFLICT,
                            "cannot merge signatures of notes with different texts");
    for (size_t i = 0; i < src->nsigs; i++) {
        int rc = gs_note_add_signature(dst, src->sigs[i].pub.line, src->sigs[i].pub.line_len, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* "cosignature/v1\ntime <timestamp>\n" || text (c2sp.org/tlog-cosignature,
 * "Ed25519 signed message"); the timestamp is decimal without leading zeros. */
static int cosig_message(const char *text, size_t text_len, uint64_t timestamp, uint8_t **msg,
                         size_t *msg_len, gs_error *err)
{
    char head[64];
    int h = snprintf(head, sizeof head, GS_COSIGNATURE_V1_HEADER "time %" PRIu64 "\n", timestamp);
    if (h < 0 || (size_t)h >= sizeof head)
        return gs_error_set(err, GS_EINVAL, "cannot format the cosignature header");
    *msg = malloc((size_t)h + text_len);
    if (*msg == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory building a cosignature message");
    memcpy(*msg, head, (size_t)h);
    memcpy(*msg + h, text, text_len);
    *msg_len = (size_t)h + text_len;
    return 0;
}

/* Verifies one signature line already matched to vk by name and key ID. */
static int verify_one(const gs_note *n, const gs_note_sig *s, const gs_vkey *vk, int64_t *timestamp,
                      gs_error *err)
{
    int rc;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    gs_sig sig;
    *timestamp = 0;
    /* Go would decode it and verify the bytes, but a known key's line in a
     * second spelling is refused, as this parser always did. */
    if (s->noncanonical)
        return gs_error_set(err, GS_EVERIFY,
                            "signature by key %s+%08" PRIx32
                            " is not canonical base64 (the character before the padding carries "
                            "bits that must be zero)",
                            vk->name, vk->key_hash);
    if (vk->alg == GS_VKEY_ALG_ED25519) {
        if (s->sig_len != ED25519_SIG_LEN) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "signature by key %s+%08" PRIx32 " is %zu bytes; Ed25519 is %d",
                              vk->name, vk->key_hash, s->sig_len, ED25519_SIG_LEN);
            goto out;
        }
        memcpy(sig.b, s->sig, sizeof sig.b);
        if (gs_verify_raw(&vk->key, gs_bytes_of(n->text, n->text_len), &sig) != 0) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "signature by key %s+%08" PRIx32 " does not verify over the note "
                              "text",
                              vk->name, vk->key_hash);
            goto out;
        }
    } else if (vk->alg == GS_VKEY_ALG_COSIGNATURE_V1) {
        if (s->sig_len != COSIG_V1_LEN) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "cosignature by key %s+%08" PRIx32
                              " is %zu bytes; cosignature/v1 is %d (timestamp and Ed25519)",
                              vk->name, vk->key_hash, s->sig_len, COSIG_V1_LEN);
            goto out;
        }
        uint64_t ts = get_be64(s->sig);
        /* c2sp.org/tlog-cosignature: the timestamp "MUST NOT exceed 2^63 - 1". */
        if (ts > (uint64_t)INT64_MAX) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "cosignature by key %s+%08" PRIx32 " has a timestamp above 2^63-1",
                              vk->name, vk->key_hash);
            goto out;
        }
        if ((rc = cosig_message(n->text, n->text_len, ts, &msg, &msg_len, err)) != 0)
            goto out;
        memcpy(sig.b, s->sig + 8, sizeof sig.b);
        if (gs_verify_raw(&vk->key, gs_bytes_of(msg, msg_len), &sig) != 0) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "cosignature by key %s+%08" PRIx32 " (time %" PRIu64
                              ") does not verify over this checkpoint",
                              vk->name, vk->key_hash, ts);
            goto out;
        }
        *timestamp = (int64_t)ts;
    } else {
        rc = gs_error_set(err, GS_EINVAL, "key %s has algorithm 0x%02x, which notes do not use",
                          vk->name, vk->alg);
        goto out;
    }
    rc = 0;
out:
    free(msg);
    return rc;
}

/* The first line by vk (name and key ID): a repeat is dropped unverified,
 * as golang.org/x/mod/sumdb/note's Open drops repeated signatures by one
 * verifier. A line whose name is longer than any key's has the empty name
 * and matches nothing. */
static const gs_note_sig *find_sig(const gs_note *n, const gs_vkey *vk)
{
    for (size_t i = 0; i < n->nsigs; i++)
        if (n->sigs[i].pub.key_hash == vk->key_hash && strcmp(n->sigs[i].pub.name, vk->name) == 0)
            return &n->sigs[i].pub;
    return NULL;
}

int gs_note_verify(const gs_note *n, const gs_vkey *keys, size_t nkeys, gs_note_result *results,
                   size_t *nverified, gs_error *err)
{
    int rc;
    size_t count = 0;
    if (results != NULL)
        memset(results, 0, nkeys * sizeof *results);
    if (nverified != NULL)
        *nverified = 0;
    if (nkeys == 0)
        return gs_error_set(err, GS_EVERIFY, "no trusted keys to verify the note against");
    /* c2sp.org/signed-note: a line matches a key when both name and key ID
     * match; a matching signature MUST be verified and a failure rejects the
     * whole note; other lines are ignored. A key is checked once even if the
     * caller lists it twice. */
    for (size_t k = 0; k < nkeys; k++) {
        int dup = 0;
        for (size_t j = 0; j < k && !dup; j++)
            dup = keys[j].key_hash == keys[k].key_hash && strcmp(keys[j].name, keys[k].name) == 0;
        if (dup)
            continue;
        const gs_note_sig *s = find_sig(n, &keys[k]);
        if (s == NULL)
            continue;
        int64_t ts;
        if ((rc = verify_one(n, s, &keys[k], &ts, err)) != 0)
            return rc;
        if (results != NULL) {
            results[k].verified = 1;
            results[k].timestamp = ts;
        }
        count++;
    }
    if (count == 0) {
        char list[320];
        size_t off = 0;
        list[0] = '\0';
        for (size_t k = 0; k < nkeys; k++) {
            int w = snprintf(list + off, sizeof list - off, "%s%s+%08" PRIx32, k ? ", " : "",
                             keys[k].name, keys[k].key_hash);
            if (w < 0 || (size_t)w >= sizeof list - off) {
                memcpy(list + sizeof list - 4, "...", 4);
                break;
            }
            off += (size_t)w;
        }
        return gs_error_set(err, GS_EVERIFY,
                            "note has no signature from a known key (looked for %s)", list);
    }
    if (nverified != NULL)
        *nverified = count;
    return 0;
}

/* "— <name> <base64(key ID || sig)>\n", malloc'd. */
static int make_line(const char *name, uint32_t key_hash, const uint8_t *sig, size_t sig_len,
                     char **out, gs_error *err)
{
    uint8_t raw[4 + COSIG_V1_LEN];
    if (sig_len > COSIG_V1_LEN)
        return gs_error_set(err, GS_EINVAL, "signature of %zu bytes is too long", sig_len);
    put_be32(raw, key_hash);
    memcpy(raw + 4, sig, sig_len);
    size_t name_len = strlen(name);
    size_t b64_cap = gs_base64_encoded_len(4 + sig_len);
    size_t cap = EM_DASH_SP_LEN + name_len + 1 + b64_cap + 2;
    char *line = malloc(cap);
    if (line == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory making a signature line");
    memcpy(line, EM_DASH_SP, EM_DASH_SP_LEN);
    memcpy(line + EM_DASH_SP_LEN, name, name_len);
    line[EM_DASH_SP_LEN + name_len] = ' ';
    char *b64 = line + EM_DASH_SP_LEN + name_len + 1;
    if (gs_base64_encode(b64, b64_cap, gs_bytes_of(raw, 4 + sig_len)) != 0) {
        free(line);
        return gs_error_set(err, GS_EINVAL, "cannot encode a signature in base64");
    }
    size_t b64_len = strlen(b64);
    b64[b64_len] = '\n';
    b64[b64_len + 1] = '\0';
    *out = line;
    return 0;
}

static int check_key_name(const char *name, gs_error *err)
{
    if (name == NULL || gs_vkey_name_valid(name) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "key name \"%.*s\" is not valid: it must be 1 to %d bytes, without "
                            "spaces or '+'",
                            QUOTE_MAX, name ? name : "", GS_VKEY_NAME_MAX);
    return 0;
}

static int check_note_text(const char *text, size_t text_len, gs_error *err)
{
    if (text_len > GS_NOTE_MAX)
        return gs_error_set(err, GS_ETOOBIG, "note text is %zu bytes; the limit is %d", text_len,
                            GS_NOTE_MAX);
    if (text_len == 0 || text[text_len - 1] != '\n')
        return gs_error_set(err, GS_EINVAL, "note text does not end with a newline");
    return check_text("note text", text, text_len, err);
}

int gs_note_sign(const char *text, size_t text_len, const char *key_name, const gs_keypair *kp,
                 char **out, gs_error *err)
{
    int rc;
    char *line = NULL;
    *out = NULL;
    if ((rc = check_note_text(text, text_len, err)) != 0)
        return rc;
    if ((rc = check_key_name(key_name, err)) != 0)
        return rc;
    gs_sig sig;
    gs_sign_raw(kp, gs_bytes_of(text, text_len), &sig);
    uint32_t kh = gs_vkey_hash(key_name, GS_VKEY_ALG_ED25519, &kp->pub);
    if ((rc = make_line(key_name, kh, sig.b, sizeof sig.b, &line, err)) != 0)
        return rc;
    size_t line_len = strlen(line);
    if (text_len + 1 + line_len > GS_NOTE_MAX) {
        rc = gs_error_set(err, GS_ETOOBIG, "signed note would be %zu bytes; the limit is %d",
                          text_len + 1 + line_len, GS_NOTE_MAX);
        goto out;
    }
    char *note = malloc(text_len + 1 + line_len + 1);
    if (note == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory signing a note");
        goto out;
    }
    memcpy(note, text, text_len);
    note[text_len] = '\n';
    memcpy(note + text_len + 1, line, line_len + 1);
    *out = note;
    rc = 0;
out:
    free(line);
    return rc;
}

/* ---- checkpoints (c2sp.org/tlog-checkpoint) ---- */

void gs_checkpoint_clear(gs_checkpoint *cp)
{
    if (cp == NULL)
        return;
    free(cp->origin);
    for (size_t i = 0; i < cp->n_ext; i++)
        free(cp->ext[i]);
    free(cp->ext);
    memset(cp, 0, sizeof *cp);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* "the ASCII decimal representation of the number of leaves in the tree,
 * with no leading zeroes (unless the tree is empty ...)" */
static int parse_size(const char *s, size_t len, uint64_t *out, gs_error *err)
{
    int q = (int)(len < QUOTE_MAX ? len : QUOTE_MAX);
    if (len == 0)
        return gs_error_set(err, GS_EINVAL, "checkpoint tree size line is empty");
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return gs_error_set(err, GS_EINVAL,
                                "checkpoint tree size \"%.*s\" is not a decimal number", q, s);
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return gs_error_set(err, GS_EINVAL,
                                "checkpoint tree size \"%.*s\" does not fit in 64 bits", q, s);
        v = v * 10 + d;
    }
    if (len > 1 && s[0] == '0')
        return gs_error_set(err, GS_EINVAL, "checkpoint tree size \"%.*s\" has a leading zero", q,
                            s);
    *out = v;
    return 0;
}

int gs_checkpoint_parse(const char *text, size_t len, gs_checkpoint *out, gs_error *err)
{
    int rc;
    gs_checkpoint cp;
    memset(&cp, 0, sizeof cp);
    memset(out, 0, sizeof *out);
    if (len > GS_NOTE_MAX)
        return gs_error_set(err, GS_ETOOBIG, "checkpoint is %zu bytes; the limit is %d", len,
                            GS_NOTE_MAX);
    if ((rc = check_text("checkpoint", text, len, err)) != 0)
        return rc;
    if (len == 0 || text[len - 1] != '\n')
        return gs_error_set(err, GS_EINVAL, "checkpoint does not end with a newline");

    const char *line[3];
    size_t line_len[3];
    const char *p = text, *end = text + len;
    for (int i = 0; i < 3; i++) {
        static const char *const names[] = {"origin", "tree size", "root hash"};
        if (p == end)
            return gs_error_set(err, GS_EINVAL,
                                "checkpoint has %d line%s; it needs origin, tree size and root "
                                "hash (missing the %s line)",
                                i, i == 1 ? "" : "s", names[i]);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        line[i] = p;
        line_len[i] = (size_t)(nl - p);
        p = nl + 1;
    }
    if (line_len[0] == 0)
        return gs_error_set(err, GS_EINVAL, "checkpoint origin line is empty");
    if ((rc = parse_size(line[1], line_len[1], &cp.size, err)) != 0)
        return rc;
    if (line_len[2] != ROOT_B64_LEN)
        return gs_error_set(err, GS_EINVAL,
                            "checkpoint root hash line is %zu characters; base64 of a 32-byte "
                            "hash is %d",
                            line_len[2], ROOT_B64_LEN);
    uint8_t root[33];
    size_t root_len = 0;
    gs_error inner;
    gs_error_clear(&inner);
    if (gs_base64_decode(root, sizeof root, &root_len, line[2], line_len[2], &inner) != 0)
        return gs_error_set(err, GS_EINVAL, "checkpoint root hash is not valid base64: %s",
                            inner.msg);
    if (root_len != sizeof cp.root.b)
        return gs_error_set(err, GS_EINVAL, "checkpoint root hash is %zu bytes; want 32", root_len);
    memcpy(cp.root.b, root, sizeof cp.root.b);
    /* RFC 6962 §2.1: the empty tree has one root, MTH({}) = SHA-256(""). */
    if (cp.size == 0) {
        gs_hash empty;
        gs_sha256(gs_bytes_of("", 0), &empty);
        if (memcmp(cp.root.b, empty.b, sizeof empty.b) != 0)
            return gs_error_set(err, GS_EINVAL,
                                "checkpoint of size 0 has a root other than the empty tree's, "
                                "SHA-256(\"\")");
    }

    size_t n_ext = 0;
    for (const char *q = p; q < end; q++)
        n_ext += *q == '\n';
    rc = GS_ENOMEM;
    if ((cp.origin = dup_n(line[0], line_len[0])) == NULL)
        goto nomem;
    if (n_ext > 0 && (cp.ext = calloc(n_ext, sizeof *cp.ext)) == NULL)
        goto nomem;
    for (size_t i = 0; i < n_ext; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        /* "Extension lines, if any, MUST be non-empty." */
        if (nl == p) {
            rc = gs_error_set(err, GS_EINVAL, "checkpoint extension line %zu is empty", i + 1);
            goto out;
        }
        if ((cp.ext[i] = dup_n(p, (size_t)(nl - p))) == NULL)
            goto nomem;
        cp.n_ext = i + 1;
        p = nl + 1;
    }
    *out = cp;
    return 0;
nomem:
    rc = gs_error_set(err, GS_ENOMEM, "out of memory parsing a checkpoint");
out:
    cp.n_ext = n_ext;
    gs_checkpoint_clear(&cp);
    return rc;
}

static int format_checkpoint(const char *origin, uint64_t size, const gs_hash *root,
                             char *const *ext, size_t n_ext, char **out, gs_error *err)
{
    int rc;
    *out = NULL;
    if (origin == NULL || origin[0] == '\0')
        return gs_error_set(err, GS_EINVAL, "checkpoint origin is empty");
    size_t origin_len = strlen(origin);
    if (origin_len > GS_NOTE_MAX)
        return gs_error_set(err, GS_ETOOBIG, "checkpoint origin is %zu bytes; the limit is %d",
                            origin_len, GS_NOTE_MAX);
    if (memchr(origin, '\n', origin_len) != NULL)
        return gs_error_set(err, GS_EINVAL, "checkpoint origin contains a newline");
    if ((rc = check_text("checkpoint origin", origin, origin_len, err)) != 0)
        return rc;
    char size_dec[24];
    snprintf(size_dec, sizeof size_dec, "%" PRIu64, size);
    size_t total = origin_len + 1 + strlen(size_dec) + 1 + ROOT_B64_LEN + 1;
    for (size_t i = 0; i < n_ext; i++) {
        size_t l = strlen(ext[i]);
        if (l == 0)
            return gs_error_set(err, GS_EINVAL, "checkpoint extension line %zu is empty", i + 1);
        if (memchr(ext[i], '\n', l) != NULL)
            return gs_error_set(err, GS_EINVAL, "checkpoint extension line %zu contains a newline",
                                i + 1);
        if ((rc = check_text("checkpoint extension line", ext[i], l, err)) != 0)
            return rc;
        if (l > GS_NOTE_MAX || total > GS_NOTE_MAX)
            break; /* refused below; total cannot overflow */
        total += l + 1;
    }
    if (total > GS_NOTE_MAX)
        return gs_error_set(err, GS_ETOOBIG, "checkpoint would be more than %d bytes", GS_NOTE_MAX);
    char *buf = malloc(total + 1);
    if (buf == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory formatting a checkpoint");
    char b64[ROOT_B64_LEN + 1];
    gs_base64_encode(b64, sizeof b64, gs_bytes_of(root->b, sizeof root->b));
    int w = snprintf(buf, total + 1, "%s\n%s\n%s\n", origin, size_dec, b64);
    size_t off = (size_t)w;
    for (size_t i = 0; i < n_ext; i++) {
        size_t l = strlen(ext[i]);
        memcpy(buf + off, ext[i], l);
        off += l;
        buf[off++] = '\n';
    }
    buf[off] = '\0';
    *out = buf;
    return 0;
}

int gs_checkpoint_format(const char *origin, uint64_t size, const gs_hash *root, char **out,
                         gs_error *err)
{
    return format_checkpoint(origin, size, root, NULL, 0, out, err);
}

int gs_checkpoint_format_full(const gs_checkpoint *cp, char **out, gs_error *err)
{
    return format_checkpoint(cp->origin, cp->size, &cp->root, cp->ext, cp->n_ext, out, err);
}

/* ---- cosignature/v1 (c2sp.org/tlog-cosignature) ---- */

int gs_cosignature_sign(const char *text, size_t text_len, const char *name, const gs_keypair *kp,
                        int64_t timestamp, char **line, gs_error *err)
{
    int rc;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    gs_checkpoint cp;
    *line = NULL;
    if (timestamp < 0)
        return gs_error_set(err, GS_EINVAL, "cosignature timestamp %" PRId64 " is negative",
                            timestamp);
    if ((rc = check_key_name(name, err)) != 0)
        return rc;
    /* A witness cosigns checkpoints and nothing else. */
    if ((rc = gs_checkpoint_parse(text, text_len, &cp, err)) != 0) {
        gs_error_wrap(err, "refusing to cosign");
        return rc;
    }
    gs_checkpoint_clear(&cp);
    if ((rc = cosig_message(text, text_len, (uint64_t)timestamp, &msg, &msg_len, err)) != 0)
        return rc;
    uint8_t sig[COSIG_V1_LEN];
    gs_sig ed;
    put_be64(sig, (uint64_t)timestamp);
    gs_sign_raw(kp, gs_bytes_of(msg, msg_len), &ed);
    memcpy(sig + 8, ed.b, sizeof ed.b);
    uint32_t kh = gs_vkey_hash(name, GS_VKEY_ALG_COSIGNATURE_V1, &kp->pub);
    rc = make_line(name, kh, sig, sizeof sig, line, err);
    free(msg);
    return rc;
}

int gs_cosignature_verify(const gs_note *n, const gs_vkey *vk, int64_t *timestamp, gs_error *err)
{
    *timestamp = 0;
    if (vk->alg != GS_VKEY_ALG_COSIGNATURE_V1)
        return gs_error_set(err, GS_EINVAL,
                            "key %s+%08" PRIx32 " has algorithm 0x%02x, not a cosignature/v1 "
                            "key (0x04)",
                            vk->name, vk->key_hash, vk->alg);
    const gs_note_sig *s = find_sig(n, vk);
    if (s == NULL)
        return gs_error_set(err, GS_ENOTFOUND, "note carries no cosignature by key %s+%08" PRIx32,
                            vk->name, vk->key_hash);
    return verify_one(n, s, vk, timestamp, err);
}

int gs_cosignature_timestamp(const gs_note_sig *s, int64_t *timestamp, gs_error *err)
{
    *timestamp = 0;
    if (s->sig_len != COSIG_V1_LEN)
        return gs_error_set(err, GS_EINVAL,
                            "signature by %s is %zu bytes, not a cosignature/v1 (%d bytes)",
                            s->name, s->sig_len, COSIG_V1_LEN);
    uint64_t ts = get_be64(s->sig);
    if (ts > (uint64_t)INT64_MAX)
        return gs_error_set(err, GS_EINVAL, "cosignature by %s has a timestamp above 2^63-1",
                            s->name);
    *timestamp = (int64_t)ts;
    return 0;
}
