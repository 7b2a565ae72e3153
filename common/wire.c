/* wire.c — see wire.h. The only file that includes the protobuf-c generated
 * header (STYLE §5).
 *
 * Every decoder runs the same four steps before it looks at a single field:
 *   1. the input length is checked against the limit (GS_ETOOBIG);
 *   2. a walk over the raw protobuf refuses unknown field numbers and NUL
 *      bytes inside strings — protobuf-c hands strings back NUL-terminated,
 *      so an embedded NUL would otherwise silently cut a string short;
 *   3. protobuf_c_message_unpack;
 *   4. the message is packed again and must give back exactly the bytes
 *      that arrived. A statement therefore has one encoding: no duplicated
 *      fields whose first copy one parser shows and another ignores, no
 *      zero values written out, no padding, no two bodies.
 * Then every field is checked and copied into the plain C structs of
 * wire.h, and the protobuf-c message is freed.
 *
 * Every encoder packs and then runs its own decoder over the result, so
 * nothing is ever encoded (and signed) that a receiver would refuse. */
#include "wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "giamsat.pb-c.h"
#include "merkle.h"

/* ------------------------------------------------------------- names */

/* A decoded struct's strings were malloc'd here, so taking const off them
 * is sound; a union does it without a cast that drops a qualifier. */
char *gs_wire_take(const char *owned)
{
    union {
        const char *c;
        char *m;
    } u = {.c = owned};
    return u.m;
}

void gs_wire_free(const void *owned)
{
    union {
        const void *c;
        void *m;
    } u = {.c = owned};
    free(u.m);
}

static const char *const tier_names[] = {NULL, "commune", "province", "central", "hub"};
static const char *const role_names[] = {NULL, "head", "deputy", "officer", "inspector"};
static const char *const direction_names[] = {NULL, "at-least", "at-most"};
static const char *const severity_names[] = {NULL, "low", "medium", "high"};
static const char *const body_names[] = {
    "none",        "charter",  "appointment",      "resignation", "dismissal", "key-rotation",
    "commitment",  "progress", "outcome",          "finding",     "feedback",  "response",
    "observation", "evidence", "parameter-change", "revision"};
static const char *const verdict_names[] = {"none", "confirms", "contests"};

const char *gs_verdict_name(gs_verdict v)
{
    return (unsigned)v < 3 ? verdict_names[v] : "unknown";
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int v)
{
    if (v <= 0 || (size_t)v >= n)
        return "unknown";
    return names[v];
}

static int parse_name(const char *const *names, size_t n, const char *s)
{
    if (s == NULL)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return 0;
}

const char *gs_tier_name(gs_tier t)
{
    return name_of(tier_names, COUNT(tier_names), (int)t);
}

const char *gs_role_name(gs_role r)
{
    return name_of(role_names, COUNT(role_names), (int)r);
}

const char *gs_direction_name(gs_direction d)
{
    return name_of(direction_names, COUNT(direction_names), (int)d);
}

const char *gs_severity_name(gs_severity s)
{
    return name_of(severity_names, COUNT(severity_names), (int)s);
}

const char *gs_body_name(gs_body_kind k)
{
    if ((int)k < 0 || (size_t)k >= COUNT(body_names))
        return "unknown";
    return body_names[k];
}

int gs_tier_parse(const char *s)
{
    return parse_name(tier_names, COUNT(tier_names), s);
}

int gs_role_parse(const char *s)
{
    return parse_name(role_names, COUNT(role_names), s);
}

int gs_direction_parse(const char *s)
{
    return parse_name(direction_names, COUNT(direction_names), s);
}

int gs_severity_parse(const char *s)
{
    return parse_name(severity_names, COUNT(severity_names), s);
}

static const char *const status_names[] = {
    "OK",       "INVALID_ARGUMENT",   "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND",
    "CONFLICT", "RESOURCE_EXHAUSTED", "UNAVAILABLE",     "INTERNAL"};

const char *gs_status_name(gs_status_code c)
{
    if ((int)c < 0 || (size_t)c >= COUNT(status_names))
        return "UNKNOWN";
    return status_names[c];
}

gs_status_code gs_status_from_error(int code)
{
    switch (code) {
    case GS_OK: return GS_STATUS_OK;
    case GS_EINVAL: return GS_STATUS_INVALID_ARGUMENT;
    case GS_EVERIFY: return GS_STATUS_UNAUTHENTICATED;
    case GS_EPERM: return GS_STATUS_PERMISSION_DENIED;
    case GS_ENOTFOUND: return GS_STATUS_NOT_FOUND;
    case GS_ECONFLICT: return GS_STATUS_CONFLICT;
    case GS_ETOOBIG: return GS_STATUS_RESOURCE_EXHAUSTED;
    case GS_EUNAVAIL: return GS_STATUS_UNAVAILABLE;
    default: return GS_STATUS_INTERNAL;
    }
}

/* ------------------------------------------------------- fixed point */

int gs_fixed_parse(const char *s, int64_t *out, gs_error *err)
{
    /* The magnitude is gathered as unsigned so that INT64_MIN, whose
     * magnitude is one more than INT64_MAX, can be read too. */
    const char *p = s;
    bool neg = false;
    uint64_t whole = 0, frac = 0;
    int ndigits = 0, nfrac = 0;

    if (s == NULL || out == NULL)
        return gs_error_set(err, GS_EINVAL, "number: missing");
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p >= '0' && *p <= '9'; p++, ndigits++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return gs_error_set(err, GS_EINVAL, "number \"%.40s\": out of range", s);
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (ndigits == 0)
        return gs_error_set(err, GS_EINVAL, "number \"%.40s\": expected digits, e.g. 12 or -3.5",
                            s);
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, nfrac++) {
            if (nfrac == 6)
                return gs_error_set(err, GS_EINVAL,
                                    "number \"%.40s\": at most 6 digits after the point", s);
            frac = frac * 10 + (uint64_t)(*p - '0');
        }
        if (nfrac == 0)
            return gs_error_set(err, GS_EINVAL, "number \"%.40s\": expected digits after the point",
                                s);
        for (int i = nfrac; i < 6; i++)
            frac *= 10;
    }
    if (*p != '\0')
        return gs_error_set(err, GS_EINVAL,
                            "number \"%.40s\": unexpected character; write digits with an "
                            "optional '-' and up to 6 decimals, e.g. 12.5",
                            s);

    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (whole > (limit - frac) / GS_FIXED_SCALE)
        return gs_error_set(err, GS_EINVAL, "number \"%.40s\": out of range", s);
    uint64_t mag = whole * GS_FIXED_SCALE + frac;
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 0;
}

/* The proleptic Gregorian date of a day count since 1970-01-01, counted in
 * 400-year eras of 146097 days. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void gs_time_format(int64_t t, char *out, size_t cap)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

void gs_fixed_format(int64_t v, char *out, size_t cap)
{
    if (out == NULL || cap == 0)
        return;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t whole = mag / GS_FIXED_SCALE;
    uint64_t frac = mag % GS_FIXED_SCALE;
    if (frac == 0) {
        snprintf(out, cap, "%s%" PRIu64, v < 0 ? "-" : "", whole);
        return;
    }
    char digits[8];
    snprintf(digits, sizeof digits, "%06" PRIu64, frac);
    size_t n = 6;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    snprintf(out, cap, "%s%" PRIu64 ".%s", v < 0 ? "-" : "", whole, digits);
}

/* ----------------------------------------------------------- origins */

/* For quoting untrusted text in an error message: printable ASCII only,
 * cut at 64 bytes. */
static const char *printable(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 4 < cap && i < 64; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
    if (s[i] != '\0' && i + 4 <= cap)
        memcpy(buf + i, "...", 3), i += 3;
    buf[i] = '\0';
    return buf;
}

static bool unit_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int gs_unit_valid(const char *unit)
{
    if (unit == NULL)
        return GS_EINVAL;
    size_t n = 0;
    for (; unit[n] != '\0'; n++)
        if (!unit_char(unit[n]) || n >= GS_MAX_UNIT)
            return GS_EINVAL;
    return n == 0 ? GS_EINVAL : 0;
}

int gs_origin_valid(const char *origin, gs_error *err)
{
    static const char *const tiers[] = {"commune/", "province/", "central/", "hub/"};
    char q[80];
    if (origin == NULL || origin[0] == '\0')
        return gs_error_set(err, GS_EINVAL, "origin is empty");
    if (strlen(origin) > GS_MAX_ORIGIN)
        return gs_error_set(err, GS_EINVAL, "origin is longer than %d bytes", GS_MAX_ORIGIN);
    if (strncmp(origin, "giamsat/", 8) == 0) {
        const char *rest = origin + 8;
        for (size_t i = 0; i < COUNT(tiers); i++) {
            size_t n = strlen(tiers[i]);
            if (strncmp(rest, tiers[i], n) == 0 && gs_unit_valid(rest + n) == 0)
                return 0;
        }
    }
    return gs_error_set(err, GS_EINVAL,
                        "origin \"%s\" is not giamsat/<commune|province|central>/<unit> or "
                        "giamsat/hub/<name> with unit and name made of [a-z0-9-], 1 to 64",
                        printable(origin, q, sizeof q));
}

/* ---------------------------------------------------- text and bytes */

enum text_kind {
    TEXT_NAME, /* names, ids, origins, titles: no control characters at all */
    TEXT_BODY, /* reasons, notes, messages, note texts: '\n' and '\t' allowed */
};

/* Checks one string from the wire; empty strings are refused when
 * required. The NUL check already happened on the raw bytes (walk()). */
static int check_text(const char *s, size_t max, enum text_kind kind, bool required,
                      const char *field, gs_error *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    if (n == 0 && required)
        return gs_error_set(err, GS_EINVAL, "%s: missing", field);
    if (n > max)
        return gs_error_set(err, GS_EINVAL, "%s: longer than %zu bytes", field, max);
    for (size_t i = 0; i < n;) {
        uint32_t c = p[i];
        size_t len;
        uint32_t min;
        if (c < 0x80) {
            len = 1, min = 0;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, min = 0x10000, c &= 0x07;
        } else {
            return gs_error_set(err, GS_EINVAL, "%s: not valid UTF-8 (byte %zu)", field, i);
        }
        if (len > n - i)
            return gs_error_set(err, GS_EINVAL, "%s: not valid UTF-8 (truncated at byte %zu)",
                                field, i);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return gs_error_set(err, GS_EINVAL, "%s: not valid UTF-8 (byte %zu)", field, i + k);
            c = (c << 6) | (p[i + k] & 0x3f);
        }
        /* RFC 3629 §3: overlong forms, surrogates and values past U+10FFFF
         * are not UTF-8. */
        if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
            return gs_error_set(err, GS_EINVAL, "%s: not valid UTF-8 (byte %zu)", field, i);
        bool control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
        if (control && !(kind == TEXT_BODY && (c == '\n' || c == '\t')))
            return gs_error_set(err, GS_EINVAL,
                                "%s: contains the control character U+%04X at byte %zu", field,
                                (unsigned)c, i);
        i += len;
    }
    return 0;
}

static int check_origin(const char *s, const char *field, gs_error *err)
{
    int rc = gs_origin_valid(s, err);
    if (rc < 0)
        gs_error_wrap(err, "%s", field);
    return rc;
}

/* Request origins may be left out ("" — the endpoint's only log). */
static int check_origin_optional(const char *s, const char *field, gs_error *err)
{
    return s[0] == '\0' ? 0 : check_origin(s, field, err);
}

static int check_id(const char *s, const char *field, gs_error *err)
{
    size_t n = strlen(s);
    if (n == 0)
        return gs_error_set(err, GS_EINVAL, "%s: missing", field);
    if (n > GS_MAX_ID)
        return gs_error_set(err, GS_EINVAL, "%s: longer than %d bytes", field, GS_MAX_ID);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return gs_error_set(err, GS_EINVAL, "%s: byte %zu is not one of [A-Za-z0-9._-]", field,
                                i);
    }
    return 0;
}

static int check_len(const ProtobufCBinaryData *b, size_t want, const char *field, gs_error *err)
{
    if (b->len == 0)
        return gs_error_set(err, GS_EINVAL, "%s: missing (%zu bytes expected)", field, want);
    if (b->len != want)
        return gs_error_set(err, GS_EINVAL, "%s: %zu bytes, expected %zu", field, b->len, want);
    return 0;
}

static int check_enum(int v, int max, const char *field, gs_error *err)
{
    if (v == 0)
        return gs_error_set(err, GS_EINVAL, "%s: missing", field);
    if (v < 1 || v > max)
        return gs_error_set(err, GS_EINVAL, "%s: unknown value %d", field, v);
    return 0;
}

static int dup_str(const char **out, const char *s, gs_error *err)
{
    size_t n = strlen(s);
    char *m = malloc(n + 1);
    if (m == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory copying %zu bytes", n + 1);
    memcpy(m, s, n + 1);
    *out = m;
    return 0;
}

/* Checks then copies a string; dst is left NULL on error. */
static int take_text(const char **dst, const char *s, size_t max, enum text_kind kind,
                     bool required, const char *field, gs_error *err)
{
    int rc = check_text(s, max, kind, required, field, err);
    return rc < 0 ? rc : dup_str(dst, s, err);
}

static int dup_buf(gs_buf *out, const ProtobufCBinaryData *b, gs_error *err)
{
    out->p = malloc(b->len ? b->len : 1);
    if (out->p == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory copying %zu bytes", b->len);
    if (b->len)
        memcpy(out->p, b->data, b->len);
    out->n = b->len;
    return 0;
}

/* Copies a list of 32-byte hashes after checking count and lengths. */
static int take_hashes(gs_hash **out, size_t *n_out, const ProtobufCBinaryData *in, size_t n,
                       size_t max, const char *field, gs_error *err)
{
    if (n > max)
        return gs_error_set(err, GS_EINVAL, "%s: %zu hashes, at most %zu allowed", field, n, max);
    for (size_t i = 0; i < n; i++)
        if (in[i].len != 32)
            return gs_error_set(err, GS_EINVAL, "%s[%zu]: %zu bytes, expected 32", field, i,
                                in[i].len);
    if (n == 0)
        return 0;
    gs_hash *h = calloc(n, sizeof *h);
    if (h == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory for %zu hashes", n);
    for (size_t i = 0; i < n; i++)
        memcpy(h[i].b, in[i].data, 32);
    *out = h;
    *n_out = n;
    return 0;
}

/* take_hashes into a const field (the lists a struct may borrow). */
static int take_hashes_c(const gs_hash **out, size_t *n_out, const ProtobufCBinaryData *in,
                         size_t n, size_t max, const char *field, gs_error *err)
{
    gs_hash *h = NULL;
    int rc = take_hashes(&h, n_out, in, n, max, field, err);
    *out = h;
    return rc;
}

/* Copies a list of byte strings (entries) after checking count and sizes. */
static int take_bufs(gs_buf **out, size_t *n_out, const ProtobufCBinaryData *in, size_t n,
                     size_t max_n, size_t max_each, const char *field, gs_error *err)
{
    if (n > max_n)
        return gs_error_set(err, GS_EINVAL, "%s: %zu items, at most %zu allowed", field, n, max_n);
    for (size_t i = 0; i < n; i++) {
        if (in[i].len == 0)
            return gs_error_set(err, GS_EINVAL, "%s[%zu]: empty", field, i);
        if (in[i].len > max_each)
            return gs_error_set(err, GS_EINVAL, "%s[%zu]: %zu bytes, above the limit of %zu", field,
                                i, in[i].len, max_each);
    }
    if (n == 0)
        return 0;
    *out = calloc(n, sizeof **out);
    if (*out == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory for %zu items", n);
    *n_out = n; /* set first so that a clear after a failed copy frees what was copied */
    for (size_t i = 0; i < n; i++) {
        int rc = dup_buf(&(*out)[i], &in[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void free_bufs(gs_buf *b, size_t n)
{
    for (size_t i = 0; b != NULL && i < n; i++)
        gs_buf_free(&b[i]);
    free(b);
}

void gs_key_links_free(gs_key_link *links, size_t n)
{
    for (size_t i = 0; links != NULL && i < n; i++) {
        gs_buf_free(&links[i].entry);
        free(links[i].proof);
    }
    free(links);
}

/* Copies a list of KeyChainLinks after checking count and sizes. Whether
 * they are rotations, in order and included is the key chain's to check
 * (keychain.h): this only makes them safe to hold. */
static int take_links(gs_key_link **out, size_t *n_out, Giamsat__V1__KeyChainLink *const *in,
                      size_t n, const char *field, gs_error *err)
{
    if (n > GS_MAX_KEY_LINKS)
        return gs_error_set(err, GS_EINVAL, "%s: %zu links, at most %d allowed", field, n,
                            GS_MAX_KEY_LINKS);
    if (n == 0)
        return 0;
    gs_key_link *l = calloc(n, sizeof *l);
    if (l == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory for %zu key chain links", n);
    *out = l;
    *n_out = n; /* set first so that a clear after a failed copy frees what was copied */
    for (size_t i = 0; i < n; i++) {
        char sub[96];
        int rc;
        snprintf(sub, sizeof sub, "%s[%zu]", field, i);
        if (in[i]->entry.len == 0)
            return gs_error_set(err, GS_EINVAL, "%s.entry: missing", sub);
        if (in[i]->entry.len > GS_MAX_ENTRY)
            return gs_error_set(err, GS_EINVAL, "%s.entry: %zu bytes, above the entry limit of %d",
                                sub, in[i]->entry.len, GS_MAX_ENTRY);
        l[i].index = in[i]->index;
        if ((rc = dup_buf(&l[i].entry, &in[i]->entry, err)) < 0)
            return rc;
        snprintf(sub, sizeof sub, "%s[%zu].inclusion_proof", field, i);
        if ((rc = take_hashes(&l[i].proof, &l[i].n_proof, in[i]->inclusion_proof,
                              in[i]->n_inclusion_proof, GS_MAX_PROOF, sub, err)) < 0)
            return rc;
    }
    return 0;
}

/* -------------------------------------------- unpacking, generically */

static bool read_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *i < n; shift += 7) {
        uint8_t b = p[(*i)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            return true;
    }
    return false;
}

/* Walks the raw protobuf of a message described by d. Refuses unknown field
 * numbers and NUL bytes in strings, naming the field; stops quietly at
 * anything malformed, which protobuf_c_message_unpack then refuses. The
 * recursion follows the schema, which is not recursive, so its depth is
 * bounded by the schema. */
static int walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n, const char *path,
                gs_error *err)
{
    size_t i = 0;
    while (i < n) {
        uint64_t key, len;
        if (!read_varint(p, n, &i, &key))
            return 0;
        uint64_t num = key >> 3;
        const ProtobufCFieldDescriptor *f =
            num <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)num) : NULL;
        if (f == NULL)
            return gs_error_set(err, GS_EINVAL,
                                "%s: unknown field number %" PRIu64
                                "; this build reads giamsat.v1 messages only",
                                path, num);
        switch (key & 7) {
        case 0:
            if (!read_varint(p, n, &i, &len))
                return 0;
            break;
        case 1:
            if (n - i < 8)
                return 0;
            i += 8;
            break;
        case 5:
            if (n - i < 4)
                return 0;
            i += 4;
            break;
        case 2:
            if (!read_varint(p, n, &i, &len) || len > n - i)
                return 0;
            if (f->type == PROTOBUF_C_TYPE_STRING && memchr(p + i, 0, (size_t)len) != NULL)
                return gs_error_set(err, GS_EINVAL, "%s.%s: contains a NUL byte", path, f->name);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                char sub[160];
                snprintf(sub, sizeof sub, "%s.%s", path, f->name);
                int rc = walk(f->descriptor, p + i, (size_t)len, sub, err);
                if (rc < 0)
                    return rc;
            }
            i += (size_t)len;
            break;
        default: return 0;
        }
    }
    return 0;
}

/* Steps 1–4 of the file comment. what names the message in errors. */
static int unpack(const ProtobufCMessageDescriptor *d, gs_bytes in, size_t max, const char *what,
                  ProtobufCMessage **out, gs_error *err)
{
    static const uint8_t empty[1];
    ProtobufCMessage *m = NULL;
    uint8_t *again = NULL;
    int rc;

    *out = NULL;
    if (in.p == NULL && in.n != 0)
        return gs_error_set(err, GS_EINVAL, "%s: no bytes given", what);
    if (in.p == NULL)
        in.p = empty;
    if (in.n > max)
        return gs_error_set(err, GS_ETOOBIG, "%s: %zu bytes, above the limit of %zu bytes", what,
                            in.n, max);
    rc = walk(d, in.p, in.n, what, err);
    if (rc < 0)
        return rc;
    m = protobuf_c_message_unpack(d, NULL, in.n, in.p);
    if (m == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "%s: not a valid %s protobuf message (truncated or malformed)", what,
                            d->name);
    size_t n = protobuf_c_message_get_packed_size(m);
    if (n != in.n) {
        rc = gs_error_set(err, GS_EINVAL,
                          "%s: not in canonical protobuf encoding (a field repeated, a zero "
                          "value written out or a length padded)",
                          what);
        goto out;
    }
    again = malloc(n ? n : 1);
    if (again == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory checking %zu bytes", n);
        goto out;
    }
    protobuf_c_message_pack(m, again);
    if (n != 0 && memcmp(again, in.p, n) != 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "%s: not in canonical protobuf encoding (fields out of order)", what);
        goto out;
    }
    *out = m;
    m = NULL;
    rc = 0;
out:
    free(again);
    if (m != NULL)
        protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int pack(const ProtobufCMessage *m, gs_buf *out, gs_error *err)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    out->p = malloc(n ? n : 1);
    if (out->p == NULL) {
        out->n = 0;
        return gs_error_set(err, GS_ENOMEM, "out of memory encoding %zu bytes", n);
    }
    out->n = protobuf_c_message_pack(m, out->p);
    return 0;
}

static ProtobufCBinaryData bin(const void *p, size_t n)
{
    /* protobuf-c only reads the bytes it encodes; see gs_wire_take */
    union {
        const void *c;
        uint8_t *m;
    } u = {.c = p};
    ProtobufCBinaryData b = {n, u.m};
    return b;
}

/* protobuf-c's structs hold char * even where they only read (encoding);
 * ours hold const char * that may be NULL where a field is absent. */
static char *str(const char *s)
{
    return gs_wire_take(s != NULL ? s : protobuf_c_empty_string);
}

/* --------------------------------------------------------- statements */

static int ref_from_pb(const Giamsat__V1__Reference *r, gs_ref *out, const char *field,
                       gs_error *err)
{
    char f[96];
    snprintf(f, sizeof f, "%s.origin", field);
    int rc = check_origin(r->origin, f, err);
    if (rc < 0)
        return rc;
    snprintf(f, sizeof f, "%s.leaf_hash", field);
    if ((rc = check_len(&r->leaf_hash, 32, f, err)) < 0)
        return rc;
    out->index = r->index;
    memcpy(out->leaf_hash.b, r->leaf_hash.data, 32);
    return dup_str(&out->origin, r->origin, err);
}

static void ref_to_pb(const gs_ref *r, Giamsat__V1__Reference *pb)
{
    giamsat__v1__reference__init(pb);
    pb->origin = str(r->origin);
    pb->index = r->index;
    pb->leaf_hash = bin(r->leaf_hash.b, 32);
}

static int optional_hash(const ProtobufCBinaryData *b, bool *has, gs_hash *out, const char *field,
                         gs_error *err)
{
    if (b->len == 0)
        return 0;
    if (b->len != 32)
        return gs_error_set(err, GS_EINVAL, "%s: %zu bytes, expected 32", field, b->len);
    *has = true;
    memcpy(out->b, b->data, 32);
    return 0;
}

bool gs_rule_parameters_set(const gs_rule_parameters *p)
{
    return p != NULL &&
           (p->feedback_per_day != 0 || p->open_feedback_per_day != 0 || p->partial_percent != 0);
}

/* Copies the values as they are: ranges are the rule book's (rules 2, 18). */
static int parameters_from_pb(const Giamsat__V1__RuleParameters *r, gs_rule_parameters *out,
                              const char *field, gs_error *err)
{
    out->feedback_per_day = r->feedback_per_day;
    out->open_feedback_per_day = r->open_feedback_per_day;
    out->partial_percent = r->partial_percent;
    if (!gs_rule_parameters_set(out))
        return gs_error_set(err, GS_EINVAL,
                            "%s: names no parameter (leave the message out instead)", field);
    return 0;
}

static void parameters_to_pb(const gs_rule_parameters *p, Giamsat__V1__RuleParameters *pb)
{
    giamsat__v1__rule_parameters__init(pb);
    pb->feedback_per_day = p->feedback_per_day;
    pb->open_feedback_per_day = p->open_feedback_per_day;
    pb->partial_percent = p->partial_percent;
}

static int charter_from_pb(const Giamsat__V1__Charter *c, gs_statement *st, gs_error *err)
{
    int rc;
    if (gs_unit_valid(c->unit) < 0) {
        char q[80];
        return gs_error_set(err, GS_EINVAL,
                            "statement.charter.unit: \"%s\" is not [a-z0-9-], 1 to 64 bytes",
                            printable(c->unit, q, sizeof q));
    }
    if ((rc = check_enum(c->tier, GS_TIER_HUB, "statement.charter.tier", err)) < 0)
        return rc;
    st->u.charter.tier = (gs_tier)c->tier;
    if ((rc = take_text(&st->u.charter.unit, c->unit, GS_MAX_UNIT, TEXT_NAME, true,
                        "statement.charter.unit", err)) < 0 ||
        (rc = take_text(&st->u.charter.display_name, c->display_name, GS_MAX_NAME, TEXT_NAME, true,
                        "statement.charter.display_name", err)) < 0)
        return rc;
    if (c->parameters != NULL && (rc = parameters_from_pb(c->parameters, &st->u.charter.parameters,
                                                          "statement.charter.parameters", err)) < 0)
        return rc;
    /* The zone's name only: whether this machine knows it is the
     * report's concern (common/localtime.h), never a verdict. */
    if ((rc = take_text(&st->u.charter.time_zone, c->time_zone, GS_MAX_TIME_ZONE, TEXT_NAME, false,
                        "statement.charter.time_zone", err)) < 0)
        return rc;
    if (c->parent_origin[0] == '\0') {
        if (c->parent_log_key.len != 0)
            return gs_error_set(err, GS_EINVAL,
                                "statement.charter.parent_log_key: set without parent_origin");
        return 0;
    }
    if ((rc = check_origin(c->parent_origin, "statement.charter.parent_origin", err)) < 0 ||
        (rc = check_len(&c->parent_log_key, 32, "statement.charter.parent_log_key", err)) < 0)
        return rc;
    st->u.charter.has_parent_key = true;
    memcpy(st->u.charter.parent_key.b, c->parent_log_key.data, 32);
    return dup_str(&st->u.charter.parent_origin, c->parent_origin, err);
}

static int appointment_from_pb(const Giamsat__V1__Appointment *a, gs_statement *st, gs_error *err)
{
    int rc;
    if ((rc = check_len(&a->person, 32, "statement.appointment.person", err)) < 0 ||
        (rc = check_enum(a->role, GS_ROLE_INSPECTOR, "statement.appointment.role", err)) < 0)
        return rc;
    memcpy(st->u.appointment.person.b, a->person.data, 32);
    st->u.appointment.role = (gs_role)a->role;
    if ((rc = take_text(&st->u.appointment.name, a->name, GS_MAX_NAME, TEXT_NAME, true,
                        "statement.appointment.name", err)) < 0 ||
        (rc = take_text(&st->u.appointment.title, a->title, GS_MAX_NAME, TEXT_NAME, false,
                        "statement.appointment.title", err)) < 0 ||
        (rc = take_text(&st->u.appointment.decision, a->decision, GS_MAX_NAME, TEXT_NAME, false,
                        "statement.appointment.decision", err)) < 0)
        return rc;
    return 0;
}

static int commitment_from_pb(const Giamsat__V1__Commitment *c, gs_statement *st, gs_error *err)
{
    int rc;
    if ((rc = check_id(c->id, "statement.commitment.id", err)) < 0 ||
        (rc = check_enum(c->direction, GS_DIRECTION_AT_MOST, "statement.commitment.direction",
                         err)) < 0)
        return rc;
    if (c->deadline <= 0)
        return gs_error_set(err, GS_EINVAL,
                            "statement.commitment.deadline: missing (unix seconds > 0 expected)");
    st->u.commitment.target = c->target;
    st->u.commitment.direction = (gs_direction)c->direction;
    st->u.commitment.deadline = c->deadline;
    if ((rc = dup_str(&st->u.commitment.id, c->id, err)) < 0 ||
        (rc = take_text(&st->u.commitment.title, c->title, GS_MAX_NAME, TEXT_NAME, true,
                        "statement.commitment.title", err)) < 0 ||
        (rc = take_text(&st->u.commitment.indicator, c->indicator, GS_MAX_NAME, TEXT_NAME, true,
                        "statement.commitment.indicator", err)) < 0 ||
        (rc = take_text(&st->u.commitment.unit_of_measure, c->unit_of_measure, GS_MAX_NAME,
                        TEXT_NAME, true, "statement.commitment.unit_of_measure", err)) < 0)
        return rc;
    if (c->parent != NULL) {
        st->u.commitment.has_parent = true;
        if ((rc = ref_from_pb(c->parent, &st->u.commitment.parent, "statement.commitment.parent",
                              err)) < 0)
            return rc;
    }
    return 0;
}

static int evidence_from_pb(const Giamsat__V1__Evidence *e, gs_evidence *ev, gs_error *err)
{
    int rc;
    if ((rc = check_enum(e->kind, GS_EVIDENCE_RULE_VIOLATION, "statement.evidence.kind", err)) < 0)
        return rc;
    ev->kind = (gs_evidence_kind)e->kind;
    ev->first_index = e->first_index;
    ev->detected_at = e->detected_at;
    if ((e->part == 0) != (e->parts == 0) || e->part > e->parts)
        return gs_error_set(err, GS_EINVAL,
                            "statement.evidence.part: part %" PRIu32 " of %" PRIu32
                            " (both 0, or 1 <= part <= parts)",
                            e->part, e->parts);
    ev->part = e->part;
    ev->parts = e->parts;
    if (e->level > 63)
        return gs_error_set(err, GS_EINVAL, "statement.evidence.level: %" PRIu32 ", at most 63",
                            e->level);
    ev->level = e->level;
    if ((rc = check_origin(e->origin, "statement.evidence.origin", err)) < 0 ||
        (rc = dup_str(&ev->origin, e->origin, err)) < 0 ||
        (rc = take_text(&ev->log_key, e->log_key, GS_VKEY_STR_MAX, TEXT_NAME, true,
                        "statement.evidence.log_key", err)) < 0 ||
        (rc = take_text(&ev->reason, e->reason, GS_MAX_TEXT, TEXT_BODY, false,
                        "statement.evidence.reason", err)) < 0)
        return rc;
    if (e->checkpoint_a[0] != '\0' &&
        (rc = take_text(&ev->checkpoint_a, e->checkpoint_a, GS_MAX_NOTE, TEXT_BODY, true,
                        "statement.evidence.checkpoint_a", err)) < 0)
        return rc;
    if (e->checkpoint_b[0] != '\0' &&
        (rc = take_text(&ev->checkpoint_b, e->checkpoint_b, GS_MAX_NOTE, TEXT_BODY, true,
                        "statement.evidence.checkpoint_b", err)) < 0)
        return rc;
    if ((rc = take_hashes_c(&ev->consistency_proof, &ev->n_consistency_proof, e->consistency_proof,
                            e->n_consistency_proof, GS_MAX_PROOF,
                            "statement.evidence.consistency_proof", err)) < 0 ||
        (rc = take_hashes_c(&ev->inclusion_proof, &ev->n_inclusion_proof, e->inclusion_proof,
                            e->n_inclusion_proof, GS_MAX_PROOF,
                            "statement.evidence.inclusion_proof", err)) < 0 ||
        (rc = take_hashes_c(&ev->frontier, &ev->n_frontier, e->frontier, e->n_frontier, 64,
                            "statement.evidence.frontier", err)) < 0 ||
        (rc = take_hashes_c(&ev->inclusion_proof_a, &ev->n_inclusion_proof_a, e->inclusion_proof_a,
                            e->n_inclusion_proof_a, GS_MAX_PROOF,
                            "statement.evidence.inclusion_proof_a", err)) < 0 ||
        (rc = optional_hash(&e->node_hash_b, &ev->has_node_hash_b, &ev->node_hash_b,
                            "statement.evidence.node_hash_b", err)) < 0 ||
        (rc = optional_hash(&e->node_hash_a, &ev->has_node_hash_a, &ev->node_hash_a,
                            "statement.evidence.node_hash_a", err)) < 0 ||
        (rc = optional_hash(&e->previous_part, &ev->has_previous_part, &ev->previous_part,
                            "statement.evidence.previous_part", err)) < 0 ||
        (rc = take_bufs(&ev->entries, &ev->n_entries, e->entries, e->n_entries,
                        GS_MAX_EVIDENCE_ENTRIES, GS_MAX_ENTRY, "statement.evidence.entries", err)) <
            0 ||
        (rc = take_links(&ev->log_key_chain, &ev->n_log_key_chain, e->log_key_chain,
                         e->n_log_key_chain, "statement.evidence.log_key_chain", err)) < 0)
        return rc;
    return 0;
}

static int body_from_pb(const Giamsat__V1__Statement *m, gs_statement *st, gs_error *err)
{
    int rc = 0;
    switch (m->body_case) {
    case GIAMSAT__V1__STATEMENT__BODY_CHARTER:
        st->kind = GS_BODY_CHARTER;
        return charter_from_pb(m->charter, st, err);
    case GIAMSAT__V1__STATEMENT__BODY_APPOINTMENT:
        st->kind = GS_BODY_APPOINTMENT;
        return appointment_from_pb(m->appointment, st, err);
    case GIAMSAT__V1__STATEMENT__BODY_RESIGNATION:
        st->kind = GS_BODY_RESIGNATION;
        return take_text(&st->u.resignation.reason, m->resignation->reason, GS_MAX_TEXT, TEXT_BODY,
                         false, "statement.resignation.reason", err);
    case GIAMSAT__V1__STATEMENT__BODY_DISMISSAL:
        st->kind = GS_BODY_DISMISSAL;
        if ((rc = check_len(&m->dismissal->person, 32, "statement.dismissal.person", err)) < 0)
            return rc;
        memcpy(st->u.dismissal.person.b, m->dismissal->person.data, 32);
        return take_text(&st->u.dismissal.reason, m->dismissal->reason, GS_MAX_TEXT, TEXT_BODY,
                         true, "statement.dismissal.reason", err);
    case GIAMSAT__V1__STATEMENT__BODY_KEY_ROTATION:
        st->kind = GS_BODY_KEY_ROTATION;
        if ((rc = check_len(&m->key_rotation->new_key, 32, "statement.key_rotation.new_key", err)) <
            0)
            return rc;
        memcpy(st->u.key_rotation.new_key.b, m->key_rotation->new_key.data, 32);
        return 0;
    case GIAMSAT__V1__STATEMENT__BODY_COMMITMENT:
        st->kind = GS_BODY_COMMITMENT;
        return commitment_from_pb(m->commitment, st, err);
    case GIAMSAT__V1__STATEMENT__BODY_PROGRESS: {
        const Giamsat__V1__Progress *p = m->progress;
        st->kind = GS_BODY_PROGRESS;
        st->u.progress.value = p->value;
        if ((rc = check_id(p->commitment_id, "statement.progress.commitment_id", err)) < 0 ||
            (rc = optional_hash(&p->evidence_hash, &st->u.progress.has_evidence,
                                &st->u.progress.evidence_hash, "statement.progress.evidence_hash",
                                err)) < 0 ||
            (rc = dup_str(&st->u.progress.commitment_id, p->commitment_id, err)) < 0)
            return rc;
        return take_text(&st->u.progress.note, p->note, GS_MAX_TEXT, TEXT_BODY, false,
                         "statement.progress.note", err);
    }
    case GIAMSAT__V1__STATEMENT__BODY_OUTCOME: {
        const Giamsat__V1__Outcome *o = m->outcome;
        st->kind = GS_BODY_OUTCOME;
        st->u.outcome.value = o->value;
        if ((rc = check_id(o->commitment_id, "statement.outcome.commitment_id", err)) < 0 ||
            (rc = optional_hash(&o->evidence_hash, &st->u.outcome.has_evidence,
                                &st->u.outcome.evidence_hash, "statement.outcome.evidence_hash",
                                err)) < 0)
            return rc;
        return dup_str(&st->u.outcome.commitment_id, o->commitment_id, err);
    }
    case GIAMSAT__V1__STATEMENT__BODY_FINDING: {
        const Giamsat__V1__Finding *f = m->finding;
        st->kind = GS_BODY_FINDING;
        if (f->about == NULL)
            return gs_error_set(err, GS_EINVAL, "statement.finding.about: missing");
        if ((rc = ref_from_pb(f->about, &st->u.finding.about, "statement.finding.about", err)) <
                0 ||
            (rc = check_enum(f->severity, GS_SEVERITY_HIGH, "statement.finding.severity", err)) <
                0 ||
            (rc = optional_hash(&f->evidence_hash, &st->u.finding.has_evidence,
                                &st->u.finding.evidence_hash, "statement.finding.evidence_hash",
                                err)) < 0)
            return rc;
        st->u.finding.severity = (gs_severity)f->severity;
        if (f->verdict != 0 && (rc = check_enum(f->verdict, GS_VERDICT_CONTESTS,
                                                "statement.finding.verdict", err)) < 0)
            return rc;
        st->u.finding.verdict = (gs_verdict)f->verdict;
        return take_text(&st->u.finding.text, f->text, GS_MAX_TEXT, TEXT_BODY, true,
                         "statement.finding.text", err);
    }
    case GIAMSAT__V1__STATEMENT__BODY_FEEDBACK: {
        const Giamsat__V1__Feedback *f = m->feedback;
        st->kind = GS_BODY_FEEDBACK;
        st->u.feedback.rating = f->rating; /* its range is rule 15's */
        if (f->about != NULL) {
            st->u.feedback.has_about = true;
            if ((rc = ref_from_pb(f->about, &st->u.feedback.about, "statement.feedback.about",
                                  err)) < 0)
                return rc;
        }
        return take_text(&st->u.feedback.text, f->text, GS_MAX_TEXT, TEXT_BODY, true,
                         "statement.feedback.text", err);
    }
    case GIAMSAT__V1__STATEMENT__BODY_RESPONSE: {
        const Giamsat__V1__ResponseBody *r = m->response;
        st->kind = GS_BODY_RESPONSE;
        if (r->to == NULL)
            return gs_error_set(err, GS_EINVAL, "statement.response.to: missing");
        if ((rc = ref_from_pb(r->to, &st->u.response.to, "statement.response.to", err)) < 0)
            return rc;
        return take_text(&st->u.response.text, r->text, GS_MAX_TEXT, TEXT_BODY, true,
                         "statement.response.text", err);
    }
    case GIAMSAT__V1__STATEMENT__BODY_OBSERVATION: {
        const Giamsat__V1__Observation *o = m->observation;
        st->kind = GS_BODY_OBSERVATION;
        if ((rc = check_origin(o->origin, "statement.observation.origin", err)) < 0 ||
            (rc = check_len(&o->root_hash, 32, "statement.observation.root_hash", err)) < 0)
            return rc;
        st->u.observation.size = o->size;
        st->u.observation.time = o->time;
        memcpy(st->u.observation.root.b, o->root_hash.data, 32);
        return dup_str(&st->u.observation.origin, o->origin, err);
    }
    case GIAMSAT__V1__STATEMENT__BODY_EVIDENCE:
        st->kind = GS_BODY_EVIDENCE;
        return evidence_from_pb(m->evidence, &st->u.evidence, err);
    case GIAMSAT__V1__STATEMENT__BODY_REVISION: {
        const Giamsat__V1__Revision *v = m->revision;
        st->kind = GS_BODY_REVISION;
        /* One encoding per meaning: a target without has_target would be
         * a second way to say "unchanged". */
        if (!v->has_target && v->target != 0)
            return gs_error_set(err, GS_EINVAL,
                                "statement.revision.target: set without has_target");
        st->u.revision.has_target = v->has_target;
        st->u.revision.target = v->target;
        st->u.revision.deadline = v->deadline;
        if ((rc = check_id(v->commitment_id, "statement.revision.commitment_id", err)) < 0 ||
            (rc = dup_str(&st->u.revision.commitment_id, v->commitment_id, err)) < 0)
            return rc;
        return take_text(&st->u.revision.reason, v->reason, GS_MAX_TEXT, TEXT_BODY, true,
                         "statement.revision.reason", err);
    }
    case GIAMSAT__V1__STATEMENT__BODY_PARAMETER_CHANGE:
        st->kind = GS_BODY_PARAMETER_CHANGE;
        if (m->parameter_change->parameters == NULL)
            return gs_error_set(err, GS_EINVAL, "statement.parameter_change.parameters: missing");
        return parameters_from_pb(m->parameter_change->parameters,
                                  &st->u.parameter_change.parameters,
                                  "statement.parameter_change.parameters", err);
    default:
        return gs_error_set(err, GS_EINVAL,
                            "statement: has no body (charter, appointment, commitment, …)");
    }
}

static void ref_clear(gs_ref *r)
{
    gs_wire_free(r->origin);
}

static void evidence_clear(gs_evidence *ev)
{
    gs_wire_free(ev->origin);
    gs_wire_free(ev->log_key);
    gs_wire_free(ev->checkpoint_a);
    gs_wire_free(ev->checkpoint_b);
    gs_wire_free(ev->consistency_proof);
    free_bufs(ev->entries, ev->n_entries);
    gs_wire_free(ev->inclusion_proof);
    gs_wire_free(ev->frontier);
    gs_wire_free(ev->inclusion_proof_a);
    gs_wire_free(ev->reason);
    gs_key_links_free(ev->log_key_chain, ev->n_log_key_chain);
}

void gs_statement_clear(gs_statement *st)
{
    if (st == NULL)
        return;
    gs_wire_free(st->origin);
    switch (st->kind) {
    case GS_BODY_CHARTER:
        gs_wire_free(st->u.charter.unit);
        gs_wire_free(st->u.charter.display_name);
        gs_wire_free(st->u.charter.parent_origin);
        gs_wire_free(st->u.charter.time_zone);
        break;
    case GS_BODY_APPOINTMENT:
        gs_wire_free(st->u.appointment.name);
        gs_wire_free(st->u.appointment.title);
        gs_wire_free(st->u.appointment.decision);
        break;
    case GS_BODY_RESIGNATION: gs_wire_free(st->u.resignation.reason); break;
    case GS_BODY_DISMISSAL: gs_wire_free(st->u.dismissal.reason); break;
    case GS_BODY_COMMITMENT:
        gs_wire_free(st->u.commitment.id);
        gs_wire_free(st->u.commitment.title);
        gs_wire_free(st->u.commitment.indicator);
        gs_wire_free(st->u.commitment.unit_of_measure);
        ref_clear(&st->u.commitment.parent);
        break;
    case GS_BODY_PROGRESS:
        gs_wire_free(st->u.progress.commitment_id);
        gs_wire_free(st->u.progress.note);
        break;
    case GS_BODY_OUTCOME: gs_wire_free(st->u.outcome.commitment_id); break;
    case GS_BODY_FINDING:
        ref_clear(&st->u.finding.about);
        gs_wire_free(st->u.finding.text);
        break;
    case GS_BODY_FEEDBACK:
        ref_clear(&st->u.feedback.about);
        gs_wire_free(st->u.feedback.text);
        break;
    case GS_BODY_RESPONSE:
        ref_clear(&st->u.response.to);
        gs_wire_free(st->u.response.text);
        break;
    case GS_BODY_OBSERVATION: gs_wire_free(st->u.observation.origin); break;
    case GS_BODY_EVIDENCE: evidence_clear(&st->u.evidence); break;
    case GS_BODY_REVISION:
        gs_wire_free(st->u.revision.commitment_id);
        gs_wire_free(st->u.revision.reason);
        break;
    default: break;
    }
    memset(st, 0, sizeof *st);
}

int gs_wire_decode_statement(gs_bytes in, gs_statement *out, gs_error *err)
{
    ProtobufCMessage *pm = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    /* A statement travels inside a SignedStatement of at most GS_MAX_ENTRY. */
    rc = unpack(&giamsat__v1__statement__descriptor, in, GS_MAX_ENTRY, "statement", &pm, err);
    if (rc < 0)
        return rc;
    const Giamsat__V1__Statement *m = (const Giamsat__V1__Statement *)pm;
    if ((rc = check_len(&m->signer, 32, "statement.signer", err)) < 0 ||
        (rc = check_origin(m->origin, "statement.origin", err)) < 0)
        goto out;
    memcpy(out->signer.b, m->signer.data, 32);
    out->seq = m->seq;
    out->issued_at = m->issued_at;
    if ((rc = dup_str(&out->origin, m->origin, err)) < 0 || (rc = body_from_pb(m, out, err)) < 0)
        goto out;
    rc = 0;
out:
    protobuf_c_message_free_unpacked(pm, NULL);
    if (rc < 0)
        gs_statement_clear(out);
    return rc;
}

/* KeyChainLinks for encoding, borrowing the links' bytes. */
typedef struct {
    Giamsat__V1__KeyChainLink **ptrs;
    Giamsat__V1__KeyChainLink *msgs;
    size_t n;
} pb_links;

/* Holds the protobuf-c structs an encoded statement points into; they
 * borrow every string and byte array from the gs_statement. */
typedef struct {
    Giamsat__V1__Statement st;
    union {
        Giamsat__V1__Charter charter;
        Giamsat__V1__Appointment appointment;
        Giamsat__V1__Resignation resignation;
        Giamsat__V1__Dismissal dismissal;
        Giamsat__V1__KeyRotation key_rotation;
        Giamsat__V1__Commitment commitment;
        Giamsat__V1__Progress progress;
        Giamsat__V1__Outcome outcome;
        Giamsat__V1__Finding finding;
        Giamsat__V1__Feedback feedback;
        Giamsat__V1__ResponseBody response;
        Giamsat__V1__Observation observation;
        Giamsat__V1__Evidence evidence;
        Giamsat__V1__ParameterChange parameter_change;
        Giamsat__V1__Revision revision;
    } b;
    Giamsat__V1__Reference ref;
    Giamsat__V1__RuleParameters parameters;
    ProtobufCBinaryData *lists[5];
    pb_links links; /* evidence.log_key_chain */
} pb_statement;

static ProtobufCBinaryData *hash_list(const gs_hash *h, size_t n)
{
    ProtobufCBinaryData *l = calloc(n ? n : 1, sizeof *l);
    for (size_t i = 0; l != NULL && i < n; i++)
        l[i] = bin(h[i].b, 32);
    return l;
}

static ProtobufCBinaryData *buf_list(const gs_buf *b, size_t n)
{
    ProtobufCBinaryData *l = calloc(n ? n : 1, sizeof *l);
    for (size_t i = 0; l != NULL && i < n; i++)
        l[i] = bin(b[i].p, b[i].n);
    return l;
}

static void pb_links_free(pb_links *pb)
{
    for (size_t i = 0; pb->msgs != NULL && i < pb->n; i++)
        free(pb->msgs[i].inclusion_proof);
    free(pb->msgs);
    free(pb->ptrs);
    memset(pb, 0, sizeof *pb);
}

static int links_to_pb(const gs_key_link *l, size_t n, pb_links *pb, gs_error *err)
{
    memset(pb, 0, sizeof *pb);
    pb->ptrs = calloc(n ? n : 1, sizeof *pb->ptrs);
    pb->msgs = calloc(n ? n : 1, sizeof *pb->msgs);
    if (pb->ptrs == NULL || pb->msgs == NULL) {
        pb_links_free(pb);
        return gs_error_set(err, GS_ENOMEM, "out of memory encoding a key chain");
    }
    pb->n = n;
    for (size_t i = 0; i < n; i++) {
        Giamsat__V1__KeyChainLink *m = &pb->msgs[i];
        giamsat__v1__key_chain_link__init(m);
        if ((m->inclusion_proof = hash_list(l[i].proof, l[i].n_proof)) == NULL) {
            pb_links_free(pb);
            return gs_error_set(err, GS_ENOMEM, "out of memory encoding a key chain");
        }
        m->n_inclusion_proof = l[i].n_proof;
        m->index = l[i].index;
        m->entry = bin(l[i].entry.p, l[i].entry.n);
        pb->ptrs[i] = m;
    }
    return 0;
}

static int statement_to_pb(const gs_statement *s, pb_statement *pb, gs_error *err)
{
    Giamsat__V1__Statement *m = &pb->st;
    memset(pb, 0, sizeof *pb);
    giamsat__v1__statement__init(m);
    m->signer = bin(s->signer.b, 32);
    m->seq = s->seq;
    m->issued_at = s->issued_at;
    m->origin = str(s->origin);
    switch (s->kind) {
    case GS_BODY_CHARTER:
        giamsat__v1__charter__init(&pb->b.charter);
        pb->b.charter.unit = str(s->u.charter.unit);
        pb->b.charter.tier = (Giamsat__V1__Tier)s->u.charter.tier;
        pb->b.charter.display_name = str(s->u.charter.display_name);
        pb->b.charter.parent_origin = str(s->u.charter.parent_origin);
        if (s->u.charter.has_parent_key)
            pb->b.charter.parent_log_key = bin(s->u.charter.parent_key.b, 32);
        if (gs_rule_parameters_set(&s->u.charter.parameters)) {
            parameters_to_pb(&s->u.charter.parameters, &pb->parameters);
            pb->b.charter.parameters = &pb->parameters;
        }
        pb->b.charter.time_zone = str(s->u.charter.time_zone);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_CHARTER;
        m->charter = &pb->b.charter;
        break;
    case GS_BODY_APPOINTMENT:
        giamsat__v1__appointment__init(&pb->b.appointment);
        pb->b.appointment.person = bin(s->u.appointment.person.b, 32);
        pb->b.appointment.name = str(s->u.appointment.name);
        pb->b.appointment.role = (Giamsat__V1__Role)s->u.appointment.role;
        pb->b.appointment.title = str(s->u.appointment.title);
        pb->b.appointment.decision = str(s->u.appointment.decision);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_APPOINTMENT;
        m->appointment = &pb->b.appointment;
        break;
    case GS_BODY_RESIGNATION:
        giamsat__v1__resignation__init(&pb->b.resignation);
        pb->b.resignation.reason = str(s->u.resignation.reason);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_RESIGNATION;
        m->resignation = &pb->b.resignation;
        break;
    case GS_BODY_DISMISSAL:
        giamsat__v1__dismissal__init(&pb->b.dismissal);
        pb->b.dismissal.person = bin(s->u.dismissal.person.b, 32);
        pb->b.dismissal.reason = str(s->u.dismissal.reason);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_DISMISSAL;
        m->dismissal = &pb->b.dismissal;
        break;
    case GS_BODY_KEY_ROTATION:
        giamsat__v1__key_rotation__init(&pb->b.key_rotation);
        pb->b.key_rotation.new_key = bin(s->u.key_rotation.new_key.b, 32);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_KEY_ROTATION;
        m->key_rotation = &pb->b.key_rotation;
        break;
    case GS_BODY_COMMITMENT: {
        Giamsat__V1__Commitment *c = &pb->b.commitment;
        giamsat__v1__commitment__init(c);
        c->id = str(s->u.commitment.id);
        c->title = str(s->u.commitment.title);
        c->indicator = str(s->u.commitment.indicator);
        c->unit_of_measure = str(s->u.commitment.unit_of_measure);
        c->target = s->u.commitment.target;
        c->direction = (Giamsat__V1__Direction)s->u.commitment.direction;
        c->deadline = s->u.commitment.deadline;
        if (s->u.commitment.has_parent) {
            ref_to_pb(&s->u.commitment.parent, &pb->ref);
            c->parent = &pb->ref;
        }
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_COMMITMENT;
        m->commitment = c;
        break;
    }
    case GS_BODY_PROGRESS: {
        Giamsat__V1__Progress *p = &pb->b.progress;
        giamsat__v1__progress__init(p);
        p->commitment_id = str(s->u.progress.commitment_id);
        p->value = s->u.progress.value;
        p->note = str(s->u.progress.note);
        if (s->u.progress.has_evidence)
            p->evidence_hash = bin(s->u.progress.evidence_hash.b, 32);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_PROGRESS;
        m->progress = p;
        break;
    }
    case GS_BODY_OUTCOME: {
        Giamsat__V1__Outcome *o = &pb->b.outcome;
        giamsat__v1__outcome__init(o);
        o->commitment_id = str(s->u.outcome.commitment_id);
        o->value = s->u.outcome.value;
        if (s->u.outcome.has_evidence)
            o->evidence_hash = bin(s->u.outcome.evidence_hash.b, 32);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_OUTCOME;
        m->outcome = o;
        break;
    }
    case GS_BODY_FINDING: {
        Giamsat__V1__Finding *f = &pb->b.finding;
        giamsat__v1__finding__init(f);
        ref_to_pb(&s->u.finding.about, &pb->ref);
        f->about = &pb->ref;
        f->severity = (Giamsat__V1__Severity)s->u.finding.severity;
        f->text = str(s->u.finding.text);
        if (s->u.finding.has_evidence)
            f->evidence_hash = bin(s->u.finding.evidence_hash.b, 32);
        f->verdict = (Giamsat__V1__Verdict)s->u.finding.verdict;
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_FINDING;
        m->finding = f;
        break;
    }
    case GS_BODY_FEEDBACK: {
        Giamsat__V1__Feedback *f = &pb->b.feedback;
        giamsat__v1__feedback__init(f);
        if (s->u.feedback.has_about) {
            ref_to_pb(&s->u.feedback.about, &pb->ref);
            f->about = &pb->ref;
        }
        f->text = str(s->u.feedback.text);
        f->rating = s->u.feedback.rating;
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_FEEDBACK;
        m->feedback = f;
        break;
    }
    case GS_BODY_RESPONSE: {
        Giamsat__V1__ResponseBody *r = &pb->b.response;
        giamsat__v1__response_body__init(r);
        ref_to_pb(&s->u.response.to, &pb->ref);
        r->to = &pb->ref;
        r->text = str(s->u.response.text);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_RESPONSE;
        m->response = r;
        break;
    }
    case GS_BODY_OBSERVATION: {
        Giamsat__V1__Observation *o = &pb->b.observation;
        giamsat__v1__observation__init(o);
        o->origin = str(s->u.observation.origin);
        o->size = s->u.observation.size;
        o->root_hash = bin(s->u.observation.root.b, 32);
        o->time = s->u.observation.time;
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_OBSERVATION;
        m->observation = o;
        break;
    }
    case GS_BODY_EVIDENCE: {
        const gs_evidence *ev = &s->u.evidence;
        Giamsat__V1__Evidence *e = &pb->b.evidence;
        giamsat__v1__evidence__init(e);
        e->kind = (Giamsat__V1__Evidence__Kind)ev->kind;
        e->origin = str(ev->origin);
        e->log_key = str(ev->log_key);
        e->checkpoint_a = str(ev->checkpoint_a);
        e->checkpoint_b = str(ev->checkpoint_b);
        e->first_index = ev->first_index;
        e->reason = str(ev->reason);
        e->detected_at = ev->detected_at;
        pb->lists[0] = hash_list(ev->consistency_proof, ev->n_consistency_proof);
        pb->lists[1] = buf_list(ev->entries, ev->n_entries);
        pb->lists[2] = hash_list(ev->inclusion_proof, ev->n_inclusion_proof);
        pb->lists[3] = hash_list(ev->frontier, ev->n_frontier);
        pb->lists[4] = hash_list(ev->inclusion_proof_a, ev->n_inclusion_proof_a);
        for (int i = 0; i < 5; i++)
            if (pb->lists[i] == NULL)
                return gs_error_set(err, GS_ENOMEM, "out of memory encoding evidence");
        e->consistency_proof = pb->lists[0];
        e->n_consistency_proof = ev->n_consistency_proof;
        e->entries = pb->lists[1];
        e->n_entries = ev->n_entries;
        e->inclusion_proof = pb->lists[2];
        e->n_inclusion_proof = ev->n_inclusion_proof;
        e->frontier = pb->lists[3];
        e->n_frontier = ev->n_frontier;
        e->level = ev->level;
        if (ev->has_node_hash_b)
            e->node_hash_b = bin(ev->node_hash_b.b, 32);
        if (ev->has_node_hash_a)
            e->node_hash_a = bin(ev->node_hash_a.b, 32);
        e->inclusion_proof_a = pb->lists[4];
        e->n_inclusion_proof_a = ev->n_inclusion_proof_a;
        e->part = ev->part;
        e->parts = ev->parts;
        if (ev->has_previous_part)
            e->previous_part = bin(ev->previous_part.b, 32);
        if (ev->n_log_key_chain > 0) {
            int rc = links_to_pb(ev->log_key_chain, ev->n_log_key_chain, &pb->links, err);
            if (rc != 0)
                return rc;
            e->log_key_chain = pb->links.ptrs;
            e->n_log_key_chain = ev->n_log_key_chain;
        }
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_EVIDENCE;
        m->evidence = e;
        break;
    }
    case GS_BODY_PARAMETER_CHANGE:
        giamsat__v1__parameter_change__init(&pb->b.parameter_change);
        /* Always present, even naming nothing: the decoder run after
         * encoding then refuses it with the field's name. */
        parameters_to_pb(&s->u.parameter_change.parameters, &pb->parameters);
        pb->b.parameter_change.parameters = &pb->parameters;
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_PARAMETER_CHANGE;
        m->parameter_change = &pb->b.parameter_change;
        break;
    case GS_BODY_REVISION:
        giamsat__v1__revision__init(&pb->b.revision);
        pb->b.revision.commitment_id = str(s->u.revision.commitment_id);
        pb->b.revision.has_target = s->u.revision.has_target;
        pb->b.revision.target = s->u.revision.has_target ? s->u.revision.target : 0;
        pb->b.revision.deadline = s->u.revision.deadline;
        pb->b.revision.reason = str(s->u.revision.reason);
        m->body_case = GIAMSAT__V1__STATEMENT__BODY_REVISION;
        m->revision = &pb->b.revision;
        break;
    default: return gs_error_set(err, GS_EINVAL, "statement: has no body (kind %d)", (int)s->kind);
    }
    return 0;
}

static void pb_statement_free(pb_statement *pb)
{
    for (int i = 0; i < 5; i++)
        free(pb->lists[i]);
    pb_links_free(&pb->links);
}

int gs_wire_encode_statement(const gs_statement *st, gs_buf *out, gs_error *err)
{
    pb_statement pb;
    gs_statement check = {0};
    int rc;

    out->p = NULL;
    out->n = 0;
    if ((rc = statement_to_pb(st, &pb, err)) < 0 || (rc = pack(&pb.st.base, out, err)) < 0)
        goto out;
    /* Never hand out (let alone sign) bytes a receiver would refuse. */
    rc = gs_wire_decode_statement(gs_bytes_of(out->p, out->n), &check, err);
    gs_statement_clear(&check);
    if (rc < 0) {
        gs_error_wrap(err, "cannot encode this statement");
        gs_buf_free(out);
    }
out:
    pb_statement_free(&pb);
    return rc;
}

int gs_wire_evidence_hash(const gs_evidence *ev, gs_hash *out, gs_error *err)
{
    pb_statement pb;
    gs_statement st = {.kind = GS_BODY_EVIDENCE};
    gs_buf bytes = {0};
    st.u.evidence = *ev;
    int rc = statement_to_pb(&st, &pb, err);
    if (rc >= 0)
        rc = pack(&pb.b.evidence.base, &bytes, err);
    if (rc >= 0) {
        crypto_hash_sha256(out->b, bytes.p, bytes.n);
        rc = 0;
    }
    gs_buf_free(&bytes);
    pb_statement_free(&pb);
    return rc;
}

/* ---------------------------------------------------- signed statements */

int gs_wire_decode_signed_statement(gs_bytes in, gs_signed_statement *out, gs_error *err)
{
    ProtobufCMessage *pm = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    rc = unpack(&giamsat__v1__signed_statement__descriptor, in, GS_MAX_ENTRY, "signed_statement",
                &pm, err);
    if (rc < 0)
        return rc;
    const Giamsat__V1__SignedStatement *m = (const Giamsat__V1__SignedStatement *)pm;
    if (m->statement.len == 0) {
        rc = gs_error_set(err, GS_EINVAL, "signed_statement.statement: missing");
        goto out;
    }
    if ((rc = check_len(&m->signature, 64, "signed_statement.signature", err)) < 0)
        goto out;
    /* The statement is borrowed from in. The encoding is canonical (unpack
     * checked it), so field 1 comes first: its tag byte, its length as a
     * varint, then the bytes. */
    size_t off = 1;
    for (size_t len = m->statement.len; len >= 0x80; len >>= 7)
        off++;
    off++;
    out->statement = gs_bytes_of(in.p + off, m->statement.len);
    memcpy(out->signature.b, m->signature.data, 64);
    rc = 0;
out:
    protobuf_c_message_free_unpacked(pm, NULL);
    return rc;
}

int gs_wire_encode_signed_statement(gs_bytes statement, const gs_sig *sig, gs_buf *out,
                                    gs_error *err)
{
    Giamsat__V1__SignedStatement m = GIAMSAT__V1__SIGNED_STATEMENT__INIT;
    out->p = NULL;
    out->n = 0;
    if (statement.n == 0)
        return gs_error_set(err, GS_EINVAL, "signed_statement.statement: missing");
    m.statement = bin(statement.p, statement.n);
    m.signature = bin(sig->b, 64);
    if (protobuf_c_message_get_packed_size(&m.base) > GS_MAX_NEW_ENTRY)
        return gs_error_set(err, GS_ETOOBIG,
                            "signed_statement: %zu bytes, above the entry limit of %d bytes",
                            protobuf_c_message_get_packed_size(&m.base), GS_MAX_NEW_ENTRY);
    return pack(&m.base, out, err);
}

int gs_wire_sign_statement(const gs_statement *st, const gs_keypair *kp, gs_buf *entry,
                           gs_error *err)
{
    gs_buf body = {0};
    gs_sig sig;
    int rc;

    entry->p = NULL;
    entry->n = 0;
    if (sodium_memcmp(st->signer.b, kp->pub.b, 32) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "statement.signer: is not the public key of the signing key");
    if ((rc = gs_wire_encode_statement(st, &body, err)) < 0)
        return rc;
    gs_sign(kp, GS_DOMAIN_STATEMENT, gs_bytes_of(body.p, body.n), &sig);
    rc = gs_wire_encode_signed_statement(gs_bytes_of(body.p, body.n), &sig, entry, err);
    gs_buf_free(&body);
    return rc;
}

static const char *hex8(const uint8_t *key, char out[17])
{
    gs_hex(out, gs_bytes_of(key, 8));
    return out;
}

int gs_wire_open_entry(gs_bytes entry, gs_statement *out, gs_error *err)
{
    gs_signed_statement ss;
    char h[17];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = gs_wire_decode_signed_statement(entry, &ss, err)) < 0 ||
        (rc = gs_wire_decode_statement(ss.statement, out, err)) < 0)
        return rc;
    /* DESIGN §2.2: over the bytes as they arrived, never a re-encoding. */
    if (gs_verify(&out->signer, GS_DOMAIN_STATEMENT, ss.statement, &ss.signature) != 0) {
        rc = gs_error_set(err, GS_EVERIFY, "statement signature does not verify for signer %s…",
                          hex8(out->signer.b, h));
        gs_statement_clear(out);
        return rc;
    }
    return 0;
}

/* ----------------------------------------------------------- receipts */

void gs_receipt_clear(gs_receipt *r)
{
    if (r == NULL)
        return;
    gs_wire_free(r->origin);
    memset(r, 0, sizeof *r);
}

static int receipt_decode(gs_bytes in, gs_receipt *out, gs_error *err)
{
    ProtobufCMessage *pm = NULL;
    int rc = unpack(&giamsat__v1__receipt__descriptor, in, GS_MAX_ENTRY, "receipt", &pm, err);
    if (rc < 0)
        return rc;
    const Giamsat__V1__Receipt *m = (const Giamsat__V1__Receipt *)pm;
    if ((rc = check_origin(m->origin, "receipt.origin", err)) < 0 ||
        (rc = check_len(&m->leaf_hash, 32, "receipt.leaf_hash", err)) < 0 ||
        (rc = dup_str(&out->origin, m->origin, err)) < 0)
        goto out;
    out->index = m->index;
    out->time = m->time;
    memcpy(out->leaf_hash.b, m->leaf_hash.data, 32);
out:
    protobuf_c_message_free_unpacked(pm, NULL);
    return rc;
}

int gs_wire_sign_receipt(const gs_receipt *r, const gs_keypair *kp, gs_buf *out, gs_error *err)
{
    Giamsat__V1__Receipt m;
    giamsat__v1__receipt__init(&m); /* the __INIT macro casts const away */
    Giamsat__V1__SignedReceipt sm = GIAMSAT__V1__SIGNED_RECEIPT__INIT;
    gs_receipt check = {0};
    gs_buf body = {0};
    gs_sig sig;
    int rc;

    out->p = NULL;
    out->n = 0;
    m.origin = str(r->origin);
    m.index = r->index;
    m.leaf_hash = bin(r->leaf_hash.b, 32);
    m.time = r->time;
    if ((rc = pack(&m.base, &body, err)) < 0)
        return rc;
    rc = receipt_decode(gs_bytes_of(body.p, body.n), &check, err);
    gs_receipt_clear(&check);
    if (rc < 0) {
        gs_error_wrap(err, "cannot sign this receipt");
        goto out;
    }
    gs_sign(kp, GS_DOMAIN_RECEIPT, gs_bytes_of(body.p, body.n), &sig);
    sm.receipt = bin(body.p, body.n);
    sm.signature = bin(sig.b, 64);
    rc = pack(&sm.base, out, err);
out:
    gs_buf_free(&body);
    return rc;
}

/* The 40 bytes a batch signature covers after its domain line. */
static void receipt_batch_message(uint64_t size, const gs_hash *root, uint8_t out[40])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(size >> (56 - 8 * i));
    memcpy(out + 8, root->b, 32);
}

/* The batch's tree, level by level: level 0 holds the n leaf hashes; a
 * level's last node without a sibling is carried up unchanged, which gives
 * the RFC 6962 tree (its left subtree is always the largest power of two
 * below the size). lv[l] points into the one array h; len[l] its length. */
typedef struct {
    gs_hash *h;
    gs_hash *lv[65];
    size_t len[65];
    unsigned levels;
} receipt_tree;

static int receipt_tree_build(receipt_tree *t, const gs_hash *leaves, size_t n, gs_error *err)
{
    memset(t, 0, sizeof *t);
    t->h = malloc((2 * n + 64) * sizeof *t->h);
    if (t->h == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory building a batch of %zu receipts", n);
    memcpy(t->h, leaves, n * sizeof *leaves);
    t->lv[0] = t->h;
    t->len[0] = n;
    gs_hash *next = t->h + n;
    unsigned l = 0;
    while (t->len[l] > 1) {
        size_t m = t->len[l], up = (m + 1) / 2;
        for (size_t i = 0; i < m / 2; i++)
            gs_merkle_node_hash(&t->lv[l][2 * i], &t->lv[l][2 * i + 1], &next[i]);
        if (m % 2 == 1)
            next[up - 1] = t->lv[l][m - 1];
        t->lv[l + 1] = next;
        t->len[l + 1] = up;
        next += up;
        l++;
    }
    t->levels = l + 1;
    return 0;
}

int gs_wire_sign_receipt_batch(const gs_receipt *rs, size_t n, const gs_keypair *kp, gs_buf *out,
                               gs_error *err)
{
    gs_buf *bodies = NULL;
    gs_hash *leaves = NULL;
    receipt_tree t = {0};
    int rc = 0;

    for (size_t i = 0; i < n; i++)
        out[i] = (gs_buf){0};
    if (n == 0)
        return gs_error_set(err, GS_EINVAL, "a batch of receipts needs at least one receipt");
    bodies = calloc(n, sizeof *bodies);
    leaves = malloc(n * sizeof *leaves);
    if (bodies == NULL || leaves == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory signing %zu receipts", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        Giamsat__V1__Receipt m;
        giamsat__v1__receipt__init(&m);
        /* What receipt_decode would refuse: only the origin can be wrong. */
        if ((rc = check_origin(rs[i].origin != NULL ? rs[i].origin : "", "receipt.origin", err)) <
            0) {
            gs_error_wrap(err, "cannot sign this receipt");
            goto out;
        }
        m.origin = str(rs[i].origin);
        m.index = rs[i].index;
        m.leaf_hash = bin(rs[i].leaf_hash.b, 32);
        m.time = rs[i].time;
        if ((rc = pack(&m.base, &bodies[i], err)) < 0)
            goto out;
        gs_merkle_leaf_hash(gs_bytes_of(bodies[i].p, bodies[i].n), &leaves[i]);
    }
    if ((rc = receipt_tree_build(&t, leaves, n, err)) < 0)
        goto out;
    uint8_t msg[40];
    gs_sig sig;
    receipt_batch_message(n, &t.lv[t.levels - 1][0], msg);
    gs_sign(kp, GS_DOMAIN_RECEIPT_BATCH, gs_bytes_of(msg, sizeof msg), &sig);

    ProtobufCBinaryData path[64];
    for (size_t i = 0; i < n; i++) {
        Giamsat__V1__SignedReceipt sm = GIAMSAT__V1__SIGNED_RECEIPT__INIT;
        size_t np = 0, k = i;
        for (unsigned l = 0; l + 1 < t.levels; l++, k /= 2)
            if ((k ^ 1) < t.len[l])
                path[np++] = bin(t.lv[l][k ^ 1].b, 32);
        sm.receipt = bin(bodies[i].p, bodies[i].n);
        sm.signature = bin(sig.b, 64);
        sm.batch_size = n;
        sm.batch_index = i;
        sm.n_batch_path = np;
        sm.batch_path = path;
        if ((rc = pack(&sm.base, &out[i], err)) < 0)
            goto out;
    }
out:
    for (size_t i = 0; bodies != NULL && i < n; i++)
        gs_buf_free(&bodies[i]);
    if (rc < 0)
        for (size_t i = 0; i < n; i++)
            gs_buf_free(&out[i]);
    free(bodies);
    free(leaves);
    free(t.h);
    return rc;
}

/* RFC 9162 §2.1.3.2 run forward: the root the path leads to from leaf at
 * index in a tree of size. GS_EVERIFY when the path has the wrong length. */
static int receipt_path_root(const gs_hash *leaf, uint64_t index, uint64_t size,
                             const ProtobufCBinaryData *path, size_t n, gs_hash *root,
                             gs_error *err)
{
    uint64_t fn = index, sn = size - 1;
    gs_hash r = *leaf, p;
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return gs_error_set(err, GS_EVERIFY,
                                "receipt batch path: %zu hashes, too many for index %" PRIu64
                                " of a batch of %" PRIu64,
                                n, index, size);
        memcpy(p.b, path[i].data, 32);
        if ((fn & 1) == 1 || fn == sn) {
            gs_merkle_node_hash(&p, &r, &r);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            gs_merkle_node_hash(&r, &p, &r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "receipt batch path: %zu hashes, too few for index %" PRIu64
                            " of a batch of %" PRIu64,
                            n, index, size);
    *root = r;
    return 0;
}

int gs_wire_open_receipt(gs_bytes in, const gs_pubkey *node_key, gs_receipt *out, gs_error *err)
{
    ProtobufCMessage *pm = NULL;
    char h[17];
    int rc;

    memset(out, 0, sizeof *out);
    rc = unpack(&giamsat__v1__signed_receipt__descriptor, in, GS_MAX_ENTRY, "signed_receipt", &pm,
                err);
    if (rc < 0)
        return rc;
    const Giamsat__V1__SignedReceipt *m = (const Giamsat__V1__SignedReceipt *)pm;
    gs_bytes body = gs_bytes_of(m->receipt.data, m->receipt.len);
    gs_sig sig;
    if (m->receipt.len == 0) {
        rc = gs_error_set(err, GS_EINVAL, "signed_receipt.receipt: missing");
        goto out;
    }
    if ((rc = check_len(&m->signature, 64, "signed_receipt.signature", err)) < 0)
        goto out;
    memcpy(sig.b, m->signature.data, 64);
    if (m->batch_size == 0) {
        /* The single form: batch fields make no sense without a size. */
        if (m->batch_index != 0 || m->n_batch_path != 0) {
            rc = gs_error_set(err, GS_EINVAL,
                              "signed_receipt: batch_index or batch_path without batch_size");
            goto out;
        }
        if (gs_verify(node_key, GS_DOMAIN_RECEIPT, body, &sig) != 0) {
            rc = gs_error_set(err, GS_EVERIFY, "receipt signature does not verify for node key %s…",
                              hex8(node_key->b, h));
            goto out;
        }
    } else {
        gs_hash leaf, root;
        uint8_t msg[40];
        if (m->batch_index >= m->batch_size) {
            rc = gs_error_set(err, GS_EINVAL,
                              "signed_receipt.batch_index: %" PRIu64
                              " is not below batch_size %" PRIu64,
                              (uint64_t)m->batch_index, (uint64_t)m->batch_size);
            goto out;
        }
        if (m->n_batch_path > 64) {
            rc = gs_error_set(err, GS_EINVAL, "signed_receipt.batch_path: %zu hashes, above 64",
                              m->n_batch_path);
            goto out;
        }
        for (size_t i = 0; i < m->n_batch_path; i++)
            if ((rc = check_len(&m->batch_path[i], 32, "signed_receipt.batch_path", err)) < 0)
                goto out;
        gs_merkle_leaf_hash(body, &leaf);
        if ((rc = receipt_path_root(&leaf, m->batch_index, m->batch_size, m->batch_path,
                                    m->n_batch_path, &root, err)) < 0)
            goto out;
        receipt_batch_message(m->batch_size, &root, msg);
        if (gs_verify(node_key, GS_DOMAIN_RECEIPT_BATCH, gs_bytes_of(msg, sizeof msg), &sig) != 0) {
            rc = gs_error_set(err, GS_EVERIFY,
                              "batch receipt signature does not verify for node key %s… "
                              "(receipt %" PRIu64 " of %" PRIu64 ")",
                              hex8(node_key->b, h), (uint64_t)m->batch_index,
                              (uint64_t)m->batch_size);
            goto out;
        }
    }
    rc = receipt_decode(body, out, err);
    out->batch_size = m->batch_size;
    out->batch_index = m->batch_index;
out:
    protobuf_c_message_free_unpacked(pm, NULL);
    if (rc < 0)
        gs_receipt_clear(out);
    return rc;
}

/* ----------------------------------------------------------- requests */

void gs_request_clear(gs_request *rq)
{
    if (rq == NULL)
        return;
    gs_wire_free(rq->origin);
    switch (rq->op) {
    case GS_OP_SUBMIT: gs_buf_free(&rq->u.submit.entry); break;
    case GS_OP_ADD_CHECKPOINT:
        gs_wire_free(rq->u.add_checkpoint.proof);
        gs_wire_free(rq->u.add_checkpoint.checkpoint);
        break;
    default: break;
    }
    memset(rq, 0, sizeof *rq);
}

static int request_from_pb(const Giamsat__V1__Request *m, gs_request *rq, gs_error *err)
{
    const char *origin = "";
    int rc;

    if (m->version != 1)
        return gs_error_set(err, GS_EINVAL,
                            "request.version: %" PRIu32 " is not supported; this build speaks 1",
                            m->version);
    rq->version = m->version;
    rq->id = m->id;
    switch (m->op_case) {
    case GIAMSAT__V1__REQUEST__OP_SUBMIT: {
        const ProtobufCBinaryData *e = &m->submit->signed_statement;
        rq->op = GS_OP_SUBMIT;
        if (e->len == 0)
            return gs_error_set(err, GS_EINVAL, "request.submit.signed_statement: missing");
        if (e->len > GS_MAX_ENTRY)
            return gs_error_set(err, GS_ETOOBIG,
                                "request.submit.signed_statement: %zu bytes, above the entry "
                                "limit of %d bytes",
                                e->len, GS_MAX_ENTRY);
        if ((rc = dup_buf(&rq->u.submit.entry, e, err)) < 0)
            return rc;
        break;
    }
    case GIAMSAT__V1__REQUEST__OP_GET_CHECKPOINT:
        rq->op = GS_OP_GET_CHECKPOINT;
        origin = m->get_checkpoint->origin;
        break;
    case GIAMSAT__V1__REQUEST__OP_GET_ENTRIES:
        rq->op = GS_OP_GET_ENTRIES;
        origin = m->get_entries->origin;
        if (m->get_entries->count > GS_MAX_ENTRIES)
            return gs_error_set(err, GS_EINVAL,
                                "request.get_entries.count: %" PRIu32 ", at most %d per request",
                                m->get_entries->count, GS_MAX_ENTRIES);
        rq->u.get_entries.start = m->get_entries->start;
        rq->u.get_entries.count = m->get_entries->count;
        break;
    case GIAMSAT__V1__REQUEST__OP_GET_INCLUSION_PROOF:
        rq->op = GS_OP_GET_INCLUSION_PROOF;
        origin = m->get_inclusion_proof->origin;
        rq->u.get_inclusion_proof.index = m->get_inclusion_proof->index;
        rq->u.get_inclusion_proof.size = m->get_inclusion_proof->size;
        break;
    case GIAMSAT__V1__REQUEST__OP_GET_CONSISTENCY_PROOF:
        rq->op = GS_OP_GET_CONSISTENCY_PROOF;
        origin = m->get_consistency_proof->origin;
        rq->u.get_consistency_proof.old_size = m->get_consistency_proof->old_size;
        rq->u.get_consistency_proof.new_size = m->get_consistency_proof->new_size;
        break;
    case GIAMSAT__V1__REQUEST__OP_ADD_CHECKPOINT: {
        const Giamsat__V1__AddCheckpoint *a = m->add_checkpoint;
        rq->op = GS_OP_ADD_CHECKPOINT;
        rq->u.add_checkpoint.old_size = a->old_size;
        if ((rc = take_hashes_c(&rq->u.add_checkpoint.proof, &rq->u.add_checkpoint.n_proof,
                                a->consistency_proof, a->n_consistency_proof, GS_MAX_PROOF,
                                "request.add_checkpoint.consistency_proof", err)) < 0 ||
            (rc = take_text(&rq->u.add_checkpoint.checkpoint, a->checkpoint, GS_MAX_NOTE, TEXT_BODY,
                            true, "request.add_checkpoint.checkpoint", err)) < 0)
            return rc;
        break;
    }
    case GIAMSAT__V1__REQUEST__OP_GET_EVIDENCE:
        rq->op = GS_OP_GET_EVIDENCE;
        origin = m->get_evidence->origin;
        break;
    case GIAMSAT__V1__REQUEST__OP_GET_SIGNER_STATE:
        rq->op = GS_OP_GET_SIGNER_STATE;
        origin = m->get_signer_state->origin;
        if ((rc = check_len(&m->get_signer_state->signer, 32, "request.get_signer_state.signer",
                            err)) < 0)
            return rc;
        memcpy(rq->u.get_signer_state.signer.b, m->get_signer_state->signer.data, 32);
        break;
    case GIAMSAT__V1__REQUEST__OP_GET_KEY_CHAIN:
        rq->op = GS_OP_GET_KEY_CHAIN;
        origin = m->get_key_chain->origin;
        rq->u.get_key_chain.size = m->get_key_chain->size;
        break;
    default:
        return gs_error_set(err, GS_EINVAL,
                            "request: has no operation (submit, get_checkpoint, get_entries, …)");
    }
    if ((rc = check_origin_optional(origin, "request.origin", err)) < 0)
        return rc;
    return dup_str(&rq->origin, origin, err);
}

int gs_wire_decode_request(gs_bytes in, size_t max, gs_request *out, gs_error *err)
{
    ProtobufCMessage *pm = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = unpack(&giamsat__v1__request__descriptor, in, max, "request", &pm, err)) < 0)
        return rc;
    rc = request_from_pb((const Giamsat__V1__Request *)pm, out, err);
    protobuf_c_message_free_unpacked(pm, NULL);
    if (rc < 0)
        gs_request_clear(out);
    return rc;
}

int gs_wire_encode_request(const gs_request *rq, gs_buf *out, gs_error *err)
{
    Giamsat__V1__Request m = GIAMSAT__V1__REQUEST__INIT;
    union {
        Giamsat__V1__Submit submit;
        Giamsat__V1__GetCheckpoint get_checkpoint;
        Giamsat__V1__GetEntries get_entries;
        Giamsat__V1__GetInclusionProof get_inclusion_proof;
        Giamsat__V1__GetConsistencyProof get_consistency_proof;
        Giamsat__V1__AddCheckpoint add_checkpoint;
        Giamsat__V1__GetEvidence get_evidence;
        Giamsat__V1__GetSignerState get_signer_state;
        Giamsat__V1__GetKeyChain get_key_chain;
    } op;
    ProtobufCBinaryData *list = NULL;
    gs_request check = {0};
    char *origin = str(rq->origin);
    int rc;

    out->p = NULL;
    out->n = 0;
    m.version = rq->version;
    m.id = rq->id;
    switch (rq->op) {
    case GS_OP_SUBMIT:
        giamsat__v1__submit__init(&op.submit);
        op.submit.signed_statement = bin(rq->u.submit.entry.p, rq->u.submit.entry.n);
        m.op_case = GIAMSAT__V1__REQUEST__OP_SUBMIT;
        m.submit = &op.submit;
        break;
    case GS_OP_GET_CHECKPOINT:
        giamsat__v1__get_checkpoint__init(&op.get_checkpoint);
        op.get_checkpoint.origin = origin;
        m.op_case = GIAMSAT__V1__REQUEST__OP_GET_CHECKPOINT;
        m.get_checkpoint = &op.get_checkpoint;
        break;
    case GS_OP_GET_ENTRIES:
        giamsat__v1__get_entries__init(&op.get_entries);
        op.get_entries.origin = origin;
        op.get_entries.start = rq->u.get_entries.start;
        op.get_entries.count = rq->u.get_entries.count;
        m.op_case = GIAMSAT__V1__REQUEST__OP_GET_ENTRIES;
        m.get_entries = &op.get_entries;
        break;
    case GS_OP_GET_INCLUSION_PROOF:
        giamsat__v1__get_inclusion_proof__init(&op.get_inclusion_proof);
        op.get_inclusion_proof.origin = origin;
        op.get_inclusion_proof.index = rq->u.get_inclusion_proof.index;
        op.get_inclusion_proof.size = rq->u.get_inclusion_proof.size;
        m.op_case = GIAMSAT__V1__REQUEST__OP_GET_INCLUSION_PROOF;
        m.get_inclusion_proof = &op.get_inclusion_proof;
        break;
    case GS_OP_GET_CONSISTENCY_PROOF:
        giamsat__v1__get_consistency_proof__init(&op.get_consistency_proof);
        op.get_consistency_proof.origin = origin;
        op.get_consistency_proof.old_size = rq->u.get_consistency_proof.old_size;
        op.get_consistency_proof.new_size = rq->u.get_consistency_proof.new_size;
        m.op_case = GIAMSAT__V1__REQUEST__OP_GET_CONSISTENCY_PROOF;
        m.get_consistency_proof = &op.get_consistency_proof;
        break;
    case GS_OP_ADD_CHECKPOINT:
        giamsat__v1__add_checkpoint__init(&op.add_checkpoint);
        list = hash_list(rq->u.add_checkpoint.proof, rq->u.add_checkpoint.n_proof);
        if (list == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory encoding a request");
        op.add_checkpoint.old_size = rq->u.add_checkpoint.old_size;
        op.add_checkpoint.consistency_proof = list;
        op.add_checkpoint.n_consistency_proof = rq->u.add_checkpoint.n_proof;
        op.add_checkpoint.checkpoint = str(rq->u.add_checkpoint.checkpoint);
        m.op_case = GIAMSAT__V1__REQUEST__OP_ADD_CHECKPOINT;
        m.add_checkpoint = &op.add_checkpoint;
        break;
    case GS_OP_GET_EVIDENCE:
        giamsat__v1__get_evidence__init(&op.get_evidence);
        op.get_evidence.origin = origin;
        m.op_case = GIAMSAT__V1__REQUEST__OP_GET_EVIDENCE;
        m.get_evidence = &op.get_evidence;
        break;
    case GS_OP_GET_SIGNER_STATE:
        giamsat__v1__get_signer_state__init(&op.get_signer_state);
        op.get_signer_state.origin = origin;
        op.get_signer_state.signer = bin(rq->u.get_signer_state.signer.b, 32);
        m.op_case = GIAMSAT__V1__REQUEST__OP_GET_SIGNER_STATE;
        m.get_signer_state = &op.get_signer_state;
        break;
    case GS_OP_GET_KEY_CHAIN:
        giamsat__v1__get_key_chain__init(&op.get_key_chain);
        op.get_key_chain.origin = origin;
        op.get_key_chain.size = rq->u.get_key_chain.size;
        m.op_case = GIAMSAT__V1__REQUEST__OP_GET_KEY_CHAIN;
        m.get_key_chain = &op.get_key_chain;
        break;
    default: return gs_error_set(err, GS_EINVAL, "request: has no operation (op %d)", (int)rq->op);
    }
    if ((rc = pack(&m.base, out, err)) < 0)
        goto out;
    /* The receiver's size limit is its own business; everything else must
     * be what a receiver accepts. */
    rc = gs_wire_decode_request(gs_bytes_of(out->p, out->n), SIZE_MAX, &check, err);
    gs_request_clear(&check);
    if (rc < 0) {
        gs_error_wrap(err, "cannot encode this request");
        gs_buf_free(out);
    }
out:
    free(list);
    return rc;
}

/* ---------------------------------------------------------- responses */

void gs_response_clear(gs_response *rs)
{
    if (rs == NULL)
        return;
    gs_wire_free(rs->message);
    switch (rs->result) {
    case GS_RESULT_RECEIPT: gs_buf_free(&rs->u.receipt); break;
    case GS_RESULT_CHECKPOINT: gs_wire_free(rs->u.checkpoint); break;
    case GS_RESULT_ENTRIES: free_bufs(rs->u.entries.entries, rs->u.entries.n); break;
    case GS_RESULT_PROOF: free(rs->u.proof.hashes); break;
    case GS_RESULT_COSIGNATURE: gs_wire_free(rs->u.cosignature); break;
    case GS_RESULT_EVIDENCE: free_bufs(rs->u.evidence.items, rs->u.evidence.n); break;
    case GS_RESULT_KEY_CHAIN: gs_key_links_free(rs->u.key_chain.links, rs->u.key_chain.n); break;
    default: break;
    }
    memset(rs, 0, sizeof *rs);
}

static int response_from_pb(const Giamsat__V1__Response *m, gs_response *rs, gs_error *err)
{
    int rc;

    rs->id = m->id;
    if (m->status == NULL)
        return gs_error_set(err, GS_EINVAL, "response.status: missing");
    if ((int)m->status->code < 0 || (int)m->status->code > GS_STATUS_INTERNAL)
        return gs_error_set(err, GS_EINVAL, "response.status.code: unknown value %d",
                            (int)m->status->code);
    rs->code = (gs_status_code)m->status->code;
    if ((rc = take_text(&rs->message, m->status->message, GS_MAX_TEXT, TEXT_BODY, false,
                        "response.status.message", err)) < 0)
        return rc;
    switch (m->result_case) {
    case GIAMSAT__V1__RESPONSE__RESULT__NOT_SET: break;
    case GIAMSAT__V1__RESPONSE__RESULT_RECEIPT: {
        /* The nested SignedReceipt was checked canonical with the whole
         * response, so packing it again gives back the bytes that arrived. */
        const Giamsat__V1__SignedReceipt *r = m->receipt;
        rs->result = GS_RESULT_RECEIPT;
        if (r->receipt.len == 0)
            return gs_error_set(err, GS_EINVAL, "response.receipt.receipt: missing");
        if ((rc = check_len(&r->signature, 64, "response.receipt.signature", err)) < 0)
            return rc;
        return pack(&r->base, &rs->u.receipt, err);
    }
    case GIAMSAT__V1__RESPONSE__RESULT_CHECKPOINT:
        rs->result = GS_RESULT_CHECKPOINT;
        return take_text(&rs->u.checkpoint, m->checkpoint->checkpoint, GS_MAX_NOTE, TEXT_BODY, true,
                         "response.checkpoint.checkpoint", err);
    case GIAMSAT__V1__RESPONSE__RESULT_ENTRIES:
        rs->result = GS_RESULT_ENTRIES;
        rs->u.entries.start = m->entries->start;
        return take_bufs(&rs->u.entries.entries, &rs->u.entries.n, m->entries->entries,
                         m->entries->n_entries, GS_MAX_ENTRIES, GS_MAX_ENTRY,
                         "response.entries.entries", err);
    case GIAMSAT__V1__RESPONSE__RESULT_PROOF:
        rs->result = GS_RESULT_PROOF;
        rs->u.proof.index = m->proof->index;
        rs->u.proof.size = m->proof->size;
        return take_hashes(&rs->u.proof.hashes, &rs->u.proof.n, m->proof->hashes,
                           m->proof->n_hashes, GS_MAX_PROOF, "response.proof.hashes", err);
    case GIAMSAT__V1__RESPONSE__RESULT_COSIGNATURE:
        rs->result = GS_RESULT_COSIGNATURE;
        return take_text(&rs->u.cosignature, m->cosignature->signature_lines, GS_MAX_NOTE,
                         TEXT_BODY, true, "response.cosignature.signature_lines", err);
    case GIAMSAT__V1__RESPONSE__RESULT_CONFLICT:
        rs->result = GS_RESULT_CONFLICT;
        rs->u.conflict_size = m->conflict->size;
        break;
    case GIAMSAT__V1__RESPONSE__RESULT_EVIDENCE:
        rs->result = GS_RESULT_EVIDENCE;
        return take_bufs(&rs->u.evidence.items, &rs->u.evidence.n, m->evidence->evidence,
                         m->evidence->n_evidence, GS_MAX_ENTRIES, GS_MAX_ENTRY,
                         "response.evidence.evidence", err);
    case GIAMSAT__V1__RESPONSE__RESULT_SIGNER_STATE:
        rs->result = GS_RESULT_SIGNER_STATE;
        rs->u.signer_state.next_seq = m->signer_state->next_seq;
        rs->u.signer_state.active = m->signer_state->active != 0;
        break;
    case GIAMSAT__V1__RESPONSE__RESULT_KEY_CHAIN:
        rs->result = GS_RESULT_KEY_CHAIN;
        rs->u.key_chain.size = m->key_chain->size;
        return take_links(&rs->u.key_chain.links, &rs->u.key_chain.n, m->key_chain->links,
                          m->key_chain->n_links, "response.key_chain.links", err);
    default:
        return gs_error_set(err, GS_EINVAL, "response: unknown result %d", (int)m->result_case);
    }
    return 0;
}

int gs_wire_decode_response(gs_bytes in, size_t max, gs_response *out, gs_error *err)
{
    ProtobufCMessage *pm = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = unpack(&giamsat__v1__response__descriptor, in, max, "response", &pm, err)) < 0)
        return rc;
    rc = response_from_pb((const Giamsat__V1__Response *)pm, out, err);
    protobuf_c_message_free_unpacked(pm, NULL);
    if (rc < 0)
        gs_response_clear(out);
    return rc;
}

int gs_wire_encode_response(const gs_response *rs, gs_buf *out, gs_error *err)
{
    Giamsat__V1__Response m;
    giamsat__v1__response__init(&m); /* the __INIT macro casts const away */
    Giamsat__V1__Status status;
    giamsat__v1__status__init(&status); /* the __INIT macro casts const away */
    union {
        Giamsat__V1__CheckpointResult checkpoint;
        Giamsat__V1__EntriesResult entries;
        Giamsat__V1__ProofResult proof;
        Giamsat__V1__CosignatureResult cosignature;
        Giamsat__V1__ConflictResult conflict;
        Giamsat__V1__EvidenceResult evidence;
        Giamsat__V1__SignerStateResult signer_state;
        Giamsat__V1__KeyChainResult key_chain;
    } r;
    ProtobufCMessage *receipt = NULL;
    ProtobufCBinaryData *list = NULL;
    pb_links links = {0};
    gs_response check = {0};
    int rc;

    out->p = NULL;
    out->n = 0;
    m.id = rs->id;
    status.code = (Giamsat__V1__Status__Code)rs->code;
    status.message = str(rs->message);
    m.status = &status;
    switch (rs->result) {
    case GS_RESULT_NONE: break;
    case GS_RESULT_RECEIPT:
        rc = unpack(&giamsat__v1__signed_receipt__descriptor,
                    gs_bytes_of(rs->u.receipt.p, rs->u.receipt.n), GS_MAX_ENTRY, "response.receipt",
                    &receipt, err);
        if (rc < 0)
            return rc;
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_RECEIPT;
        m.receipt = (Giamsat__V1__SignedReceipt *)receipt;
        break;
    case GS_RESULT_CHECKPOINT:
        giamsat__v1__checkpoint_result__init(&r.checkpoint);
        r.checkpoint.checkpoint = str(rs->u.checkpoint);
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_CHECKPOINT;
        m.checkpoint = &r.checkpoint;
        break;
    case GS_RESULT_ENTRIES:
        giamsat__v1__entries_result__init(&r.entries);
        if ((list = buf_list(rs->u.entries.entries, rs->u.entries.n)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory encoding a response");
        r.entries.start = rs->u.entries.start;
        r.entries.entries = list;
        r.entries.n_entries = rs->u.entries.n;
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_ENTRIES;
        m.entries = &r.entries;
        break;
    case GS_RESULT_PROOF:
        giamsat__v1__proof_result__init(&r.proof);
        if ((list = hash_list(rs->u.proof.hashes, rs->u.proof.n)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory encoding a response");
        r.proof.index = rs->u.proof.index;
        r.proof.size = rs->u.proof.size;
        r.proof.hashes = list;
        r.proof.n_hashes = rs->u.proof.n;
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_PROOF;
        m.proof = &r.proof;
        break;
    case GS_RESULT_COSIGNATURE:
        giamsat__v1__cosignature_result__init(&r.cosignature);
        r.cosignature.signature_lines = str(rs->u.cosignature);
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_COSIGNATURE;
        m.cosignature = &r.cosignature;
        break;
    case GS_RESULT_CONFLICT:
        giamsat__v1__conflict_result__init(&r.conflict);
        r.conflict.size = rs->u.conflict_size;
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_CONFLICT;
        m.conflict = &r.conflict;
        break;
    case GS_RESULT_EVIDENCE:
        giamsat__v1__evidence_result__init(&r.evidence);
        if ((list = buf_list(rs->u.evidence.items, rs->u.evidence.n)) == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory encoding a response");
        r.evidence.evidence = list;
        r.evidence.n_evidence = rs->u.evidence.n;
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_EVIDENCE;
        m.evidence = &r.evidence;
        break;
    case GS_RESULT_SIGNER_STATE:
        giamsat__v1__signer_state_result__init(&r.signer_state);
        r.signer_state.next_seq = rs->u.signer_state.next_seq;
        r.signer_state.active = rs->u.signer_state.active;
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_SIGNER_STATE;
        m.signer_state = &r.signer_state;
        break;
    case GS_RESULT_KEY_CHAIN:
        giamsat__v1__key_chain_result__init(&r.key_chain);
        if ((rc = links_to_pb(rs->u.key_chain.links, rs->u.key_chain.n, &links, err)) < 0)
            return rc;
        r.key_chain.size = rs->u.key_chain.size;
        r.key_chain.links = links.ptrs;
        r.key_chain.n_links = links.n;
        m.result_case = GIAMSAT__V1__RESPONSE__RESULT_KEY_CHAIN;
        m.key_chain = &r.key_chain;
        break;
    default: return gs_error_set(err, GS_EINVAL, "response: unknown result %d", (int)rs->result);
    }
    if ((rc = pack(&m.base, out, err)) < 0)
        goto out;
    rc = gs_wire_decode_response(gs_bytes_of(out->p, out->n), SIZE_MAX, &check, err);
    gs_response_clear(&check);
    if (rc < 0) {
        gs_error_wrap(err, "cannot encode this response");
        gs_buf_free(out);
    }
out:
    free(list);
    pb_links_free(&links);
    if (receipt != NULL)
        protobuf_c_message_free_unpacked(receipt, NULL);
    return rc;
}

/* ------------------------------------------------------------ bundles */

void gs_bundle_clear(gs_bundle *b)
{
    if (b == NULL)
        return;
    gs_wire_free(b->origin);
    gs_buf_free(&b->entry);
    free(b->inclusion_proof);
    gs_wire_free(b->checkpoint);
    gs_buf_free(&b->signer_entry);
    free(b->signer_inclusion_proof);
    gs_key_links_free(b->log_key_chain, b->n_log_key_chain);
    memset(b, 0, sizeof *b);
}

static int bundle_from_pb(const Giamsat__V1__Bundle *m, gs_bundle *b, gs_error *err)
{
    int rc;
    if ((rc = check_origin(m->origin, "bundle.origin", err)) < 0)
        return rc;
    if (m->entry.len == 0)
        return gs_error_set(err, GS_EINVAL, "bundle.entry: missing");
    if (m->entry.len > GS_MAX_ENTRY || m->signer_entry.len > GS_MAX_ENTRY)
        return gs_error_set(err, GS_EINVAL, "bundle.%s: %zu bytes, above the entry limit of %d",
                            m->entry.len > GS_MAX_ENTRY ? "entry" : "signer_entry",
                            m->entry.len > GS_MAX_ENTRY ? m->entry.len : m->signer_entry.len,
                            GS_MAX_ENTRY);
    b->index = m->index;
    b->signer_index = m->signer_index;
    if ((rc = dup_str(&b->origin, m->origin, err)) < 0 ||
        (rc = dup_buf(&b->entry, &m->entry, err)) < 0 ||
        (rc = take_hashes(&b->inclusion_proof, &b->n_inclusion_proof, m->inclusion_proof,
                          m->n_inclusion_proof, GS_MAX_PROOF, "bundle.inclusion_proof", err)) < 0 ||
        (rc = take_text(&b->checkpoint, m->checkpoint, GS_MAX_NOTE, TEXT_BODY, true,
                        "bundle.checkpoint", err)) < 0 ||
        (rc = take_hashes(&b->signer_inclusion_proof, &b->n_signer_inclusion_proof,
                          m->signer_inclusion_proof, m->n_signer_inclusion_proof, GS_MAX_PROOF,
                          "bundle.signer_inclusion_proof", err)) < 0)
        return rc;
    if (m->signer_entry.len != 0 && (rc = dup_buf(&b->signer_entry, &m->signer_entry, err)) < 0)
        return rc;
    return take_links(&b->log_key_chain, &b->n_log_key_chain, m->log_key_chain, m->n_log_key_chain,
                      "bundle.log_key_chain", err);
}

int gs_wire_decode_bundle(gs_bytes in, gs_bundle *out, gs_error *err)
{
    ProtobufCMessage *pm = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    rc = unpack(&giamsat__v1__bundle__descriptor, in, GS_MAX_MESSAGE, "bundle", &pm, err);
    if (rc < 0)
        return rc;
    rc = bundle_from_pb((const Giamsat__V1__Bundle *)pm, out, err);
    protobuf_c_message_free_unpacked(pm, NULL);
    if (rc < 0)
        gs_bundle_clear(out);
    return rc;
}

int gs_wire_encode_bundle(const gs_bundle *b, gs_buf *out, gs_error *err)
{
    Giamsat__V1__Bundle m;
    giamsat__v1__bundle__init(&m); /* the __INIT macro casts const away */
    ProtobufCBinaryData *proof = hash_list(b->inclusion_proof, b->n_inclusion_proof);
    ProtobufCBinaryData *signer_proof =
        hash_list(b->signer_inclusion_proof, b->n_signer_inclusion_proof);
    gs_bundle check = {0};
    pb_links links = {0};
    int rc;

    out->p = NULL;
    out->n = 0;
    if (proof == NULL || signer_proof == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory encoding a bundle");
        goto out;
    }
    if ((rc = links_to_pb(b->log_key_chain, b->n_log_key_chain, &links, err)) < 0)
        goto out;
    m.origin = str(b->origin);
    m.index = b->index;
    m.entry = bin(b->entry.p, b->entry.n);
    m.inclusion_proof = proof;
    m.n_inclusion_proof = b->n_inclusion_proof;
    m.checkpoint = str(b->checkpoint);
    m.signer_index = b->signer_index;
    m.signer_entry = bin(b->signer_entry.p, b->signer_entry.n);
    m.signer_inclusion_proof = signer_proof;
    m.n_signer_inclusion_proof = b->n_signer_inclusion_proof;
    m.log_key_chain = links.ptrs;
    m.n_log_key_chain = links.n;
    if ((rc = pack(&m.base, out, err)) < 0)
        goto out;
    rc = gs_wire_decode_bundle(gs_bytes_of(out->p, out->n), &check, err);
    gs_bundle_clear(&check);
    if (rc < 0) {
        gs_error_wrap(err, "cannot encode this bundle");
        gs_buf_free(out);
    }
out:
    free(proof);
    free(signer_proof);
    pb_links_free(&links);
    return rc;
}
