/* fuzz_note.c — libFuzzer target for the signed-note, checkpoint and verifier
 * key parsers (common/note.c, gs_vkey_parse in common/crypto.c).
 * Whatever the input: no crash, no leak, no out-of-bounds read; and what
 * parses formats back to the very same bytes (note.h promises it). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"

static gs_vkey keys[2];
static int ready;

static void init(void)
{
    gs_error err;
    if (gs_crypto_init(&err) != 0)
        abort();
    /* Go's sumdb/note example key, and a cosigner key, so verification
     * paths run whenever an input names them. */
    if (gs_vkey_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                      &keys[0], &err) != 0)
        abort();
    gs_pubkey pk = keys[0].key;
    if (gs_vkey_make(&keys[1], "w", GS_VKEY_ALG_COSIGNATURE_V1, &pk, &err) != 0)
        abort();
    ready = 1;
}

static void fuzz_note(const uint8_t *data, size_t size)
{
    gs_note *n = NULL;
    gs_error err;
    if (gs_note_parse((const char *)data, size, &n, &err) != 0)
        return;
    char *out = NULL;
    size_t out_len = 0;
    if (gs_note_format(n, &out, &out_len, &err) != 0 || out_len != size ||
        memcmp(out, data, size) != 0)
        __builtin_trap();
    free(out);
    for (size_t i = 0; i < gs_note_sig_count(n); i++) {
        int64_t ts;
        (void)gs_cosignature_timestamp(gs_note_sig_at(n, i), &ts, &err);
    }
    gs_note_result res[2];
    (void)gs_note_verify(n, keys, 2, res, NULL, &err);
    int64_t ts;
    (void)gs_cosignature_verify(n, &keys[1], &ts, &err);

    size_t text_len;
    const char *text = gs_note_text(n, &text_len);
    gs_checkpoint cp;
    if (gs_checkpoint_parse(text, text_len, &cp, &err) == 0)
        gs_checkpoint_clear(&cp);
    gs_note_free(&n);
}

static void fuzz_checkpoint(const uint8_t *data, size_t size)
{
    gs_checkpoint cp;
    gs_error err;
    if (gs_checkpoint_parse((const char *)data, size, &cp, &err) != 0)
        return;
    char *out = NULL;
    if (gs_checkpoint_format_full(&cp, &out, &err) != 0 || strlen(out) != size ||
        memcmp(out, data, size) != 0)
        __builtin_trap();
    free(out);
    gs_checkpoint_clear(&cp);
}

static void fuzz_vkey(const uint8_t *data, size_t size)
{
    char buf[GS_VKEY_STR_MAX + 64];
    if (size >= sizeof buf)
        size = sizeof buf - 1;
    memcpy(buf, data, size);
    buf[size] = '\0';
    gs_vkey vk;
    gs_error err;
    (void)gs_vkey_parse(buf, &vk, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        init();
    fuzz_note(data, size);
    fuzz_checkpoint(data, size);
    fuzz_vkey(data, size);
    return 0;
}
