/* cosign.c — the witness side of AddCheckpoint; see cosign.h. */
#define _POSIX_C_SOURCE 200809L
#include "cosign.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "merkle.h"

static gs_cosign_verdict say(gs_cosign_result *r, gs_cosign_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static gs_cosign_verdict say(gs_cosign_result *r, gs_cosign_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->verdict = v;
    return v;
}

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Steps 9-10 of cosign.h; the earlier ones in gs_cosign_judge. */
static void judge_consistency(const gs_cosign_witness *w, uint64_t old, const gs_hash *proof,
                              size_t n_proof, gs_cosign_result *r)
{
    gs_checkpoint *cp = &r->cp;
    gs_error err = {0};
    if (cp->size == r->latest_size) {
        /* Same size, not the same checkpoint (step 6): another root. */
        say(r, GS_COSIGN_SPLIT_VIEW,
            "this checkpoint and the one %s holds at size %llu have different roots: a split "
            "view of %s",
            w->name, (unsigned long long)cp->size, cp->origin);
        return;
    }
    if (old == 0)
        return;
    if (gs_merkle_verify_consistency(old, cp->size, &r->latest_root, &cp->root, proof, n_proof,
                                     &err) == 0)
        return;
    /* RFC 9162 §2.1.4.2: a proof from a power-of-two size omits the old
     * root, so it cannot show which old root it started from. */
    gs_hash o, n;
    if (!is_pow2(old) &&
        gs_merkle_consistency_roots(old, cp->size, proof, n_proof, &o, &n, NULL) == 0 &&
        memcmp(n.b, cp->root.b, 32) == 0 && memcmp(o.b, r->latest_root.b, 32) != 0) {
        say(r, GS_COSIGN_REWRITE,
            "the consistency proof reaches the signed root of size %llu from another root than "
            "the one %s holds at size %llu: %s rewrote its history",
            (unsigned long long)cp->size, w->name, (unsigned long long)old, cp->origin);
        return;
    }
    say(r, GS_COSIGN_BAD_PROOF, "the consistency proof from %llu to %llu does not verify: %s",
        (unsigned long long)old, (unsigned long long)cp->size, err.msg);
}

int gs_cosign_judge(const gs_cosign_witness *w, const char *text, uint64_t old,
                    const gs_hash *proof, size_t n_proof, gs_cosign_result *r, gs_error *err)
{
    gs_error why = {0};
    gs_vkey key;
    int rc;
    memset(r, 0, sizeof *r);
    if (text == NULL)
        text = "";
    /* 1. */
    if (gs_note_parse(text, strlen(text), &r->note, &why) != 0) {
        say(r, GS_COSIGN_BAD_REQUEST, "the checkpoint is not a signed note: %s", why.msg);
        return 0;
    }
    size_t tlen;
    const char *body = gs_note_text(r->note, &tlen);
    if (gs_checkpoint_parse(body, tlen, &r->cp, &why) != 0) {
        say(r, GS_COSIGN_BAD_REQUEST, "the note is not a checkpoint: %s", why.msg);
        return 0;
    }
    /* 2. */
    rc = w->log_key(w->ctx, r->cp.origin, &key, &why);
    if (rc == GS_ENOTFOUND) {
        say(r, GS_COSIGN_UNKNOWN_LOG, "%s", why.msg);
        return 0;
    }
    if (rc != 0) {
        *err = why;
        return rc;
    }
    /* 3. */
    if (w->verify_note != NULL ? w->verify_note(w->ctx, r->note, &r->cp, &why) != 0
                               : gs_note_verify(r->note, &key, 1, NULL, NULL, &why) != 0) {
        say(r, GS_COSIGN_BAD_SIGNATURE, "the checkpoint is not signed by the log key of %s: %s",
            r->cp.origin, why.msg);
        return 0;
    }
    /* 4. */
    if (w->max_size != 0 && r->cp.size > w->max_size) {
        say(r, GS_COSIGN_BAD_REQUEST, "size %llu is beyond what %s records",
            (unsigned long long)r->cp.size, w->name);
        return 0;
    }
    /* 5. */
    char frozen[GS_ERROR_MSG_MAX / 2] = "";
    if (w->frozen(w->ctx, r->cp.origin, frozen, sizeof frozen)) {
        say(r, GS_COSIGN_FROZEN,
            "%s holds evidence against %s%s%s%s and cosigns nothing further for it", w->name,
            r->cp.origin, frozen[0] ? " (" : "", frozen, frozen[0] ? ")" : "");
        return 0;
    }
    /* 6. */
    if ((rc = w->latest(w->ctx, r->cp.origin, &r->latest_size, &r->latest_root, err)) != 0)
        return rc;
    if (r->latest_size != 0 && r->cp.size == r->latest_size &&
        memcmp(r->cp.root.b, r->latest_root.b, 32) == 0) {
        r->verdict = GS_COSIGN_SAME;
        return 0;
    }
    /* 7. */
    if (old > r->cp.size) {
        say(r, GS_COSIGN_BAD_REQUEST, "old size %llu is larger than the checkpoint's size %llu",
            (unsigned long long)old, (unsigned long long)r->cp.size);
        return 0;
    }
    /* 8. */
    if (old != r->latest_size) {
        say(r, GS_COSIGN_CONFLICT,
            "%s holds %s at size %llu, not %llu: resend with a proof from there", w->name,
            r->cp.origin, (unsigned long long)r->latest_size, (unsigned long long)old);
        return 0;
    }
    /* 9-10. */
    r->verdict = GS_COSIGN_PROCEED;
    if (old == 0 && n_proof != 0)
        say(r, GS_COSIGN_BAD_PROOF,
            "old size 0 needs no consistency proof (the empty tree is consistent with any "
            "tree), but %zu hash%s were sent",
            n_proof, n_proof == 1 ? "" : "es");
    else if (r->latest_size != 0)
        judge_consistency(w, old, proof, n_proof, r);
    if (r->verdict != GS_COSIGN_PROCEED)
        return 0;
    /* 11. */
    if (r->cp.size == 0)
        say(r, GS_COSIGN_BAD_REQUEST, "a checkpoint of an empty log holds nothing to cosign");
    return 0;
}

void gs_cosign_result_clear(gs_cosign_result *r)
{
    gs_checkpoint_clear(&r->cp);
    gs_note_free(&r->note);
    memset(r, 0, sizeof *r);
}

gs_status_code gs_cosign_status(gs_cosign_verdict v)
{
    switch (v) {
    case GS_COSIGN_PROCEED:
    case GS_COSIGN_SAME: return GS_STATUS_OK;
    case GS_COSIGN_UNKNOWN_LOG: return GS_STATUS_NOT_FOUND;
    case GS_COSIGN_BAD_SIGNATURE: return GS_STATUS_UNAUTHENTICATED;
    case GS_COSIGN_FROZEN: return GS_STATUS_PERMISSION_DENIED;
    case GS_COSIGN_CONFLICT:
    case GS_COSIGN_SPLIT_VIEW:
    case GS_COSIGN_REWRITE: return GS_STATUS_CONFLICT;
    case GS_COSIGN_BAD_PROOF:
    case GS_COSIGN_BAD_REQUEST: break;
    }
    return GS_STATUS_INVALID_ARGUMENT;
}

const char *gs_cosign_verdict_name(gs_cosign_verdict v)
{
    switch (v) {
    case GS_COSIGN_PROCEED: return "proceed";
    case GS_COSIGN_SAME: return "same";
    case GS_COSIGN_BAD_REQUEST: return "bad-request";
    case GS_COSIGN_UNKNOWN_LOG: return "unknown-log";
    case GS_COSIGN_BAD_SIGNATURE: return "bad-signature";
    case GS_COSIGN_FROZEN: return "frozen";
    case GS_COSIGN_CONFLICT: return "conflict";
    case GS_COSIGN_SPLIT_VIEW: return "split-view";
    case GS_COSIGN_REWRITE: return "rewrite";
    case GS_COSIGN_BAD_PROOF: return "bad-proof";
    }
    return "unknown";
}

/* One line of body from *p, without its newline; false when no newline is
 * left. */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (nl == NULL)
        return false;
    *line = *p;
    *len = (size_t)(nl - *p);
    *p = nl + 1;
    return true;
}

int gs_cosign_parse_body(const char *body, size_t len, uint64_t *old, gs_hash *proof,
                         size_t *n_proof, const char **note, size_t *note_len, gs_error *err)
{
    const char *p = body, *end = body + len, *line;
    size_t ll;
    *old = 0;
    *n_proof = 0;
    *note = NULL;
    *note_len = 0;
    if (len > GS_COSIGN_MAX_BODY)
        return gs_error_set(err, GS_ETOOBIG, "the request body is %zu bytes; the limit is %d", len,
                            GS_COSIGN_MAX_BODY);
    if (!next_line(&p, end, &line, &ll) || ll < 5 || memcmp(line, "old ", 4) != 0)
        return gs_error_set(err, GS_EINVAL,
                            "the body does not start with an \"old <size>\" line ending in a "
                            "newline");
    const char *digits = line + 4;
    size_t nd = ll - 4;
    uint64_t v = 0;
    if (nd > 20)
        return gs_error_set(err, GS_EINVAL, "old size has %zu characters: not a 64-bit size", nd);
    for (size_t i = 0; i < nd; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return gs_error_set(err, GS_EINVAL,
                                "old size is not a decimal number (byte 0x%02x at position %zu)",
                                (unsigned char)digits[i], i + 1);
        unsigned d = (unsigned)(digits[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return gs_error_set(err, GS_EINVAL, "old size %.*s does not fit in 64 bits", (int)nd,
                                digits);
        v = v * 10 + d;
    }
    if (nd > 1 && digits[0] == '0')
        return gs_error_set(err, GS_EINVAL, "old size %.*s has a leading zero", (int)nd, digits);
    for (;;) {
        if (!next_line(&p, end, &line, &ll))
            return gs_error_set(err, GS_EINVAL,
                                "the body has no empty line between the proof and the checkpoint");
        if (ll == 0)
            break;
        if (*n_proof == GS_COSIGN_MAX_PROOF_LINES)
            return gs_error_set(err, GS_EINVAL, "the body has more than %d consistency proof lines",
                                GS_COSIGN_MAX_PROOF_LINES);
        size_t n = 0;
        uint8_t h[33];
        gs_error why = {0};
        if (gs_base64_decode(h, sizeof h, &n, line, ll, &why) != 0 || n != 32)
            return gs_error_set(
                err, GS_EINVAL,
                "consistency proof line %zu is not the base64 of a 32-byte hash%s%s", *n_proof + 1,
                why.msg[0] ? ": " : "", why.msg);
        memcpy(proof[*n_proof].b, h, 32);
        (*n_proof)++;
    }
    size_t nl = (size_t)(end - p);
    if (nl == 0)
        return gs_error_set(err, GS_EINVAL, "the body holds no checkpoint after the empty line");
    if (nl > GS_NOTE_MAX)
        return gs_error_set(err, GS_EINVAL, "the checkpoint is %zu bytes; the limit is %d", nl,
                            GS_NOTE_MAX);
    if (memchr(p, '\0', nl) != NULL)
        return gs_error_set(err, GS_EINVAL, "the checkpoint holds a NUL byte");
    *old = v;
    *note = p;
    *note_len = nl;
    return 0;
}
