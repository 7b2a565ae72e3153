/* fuzz.h — what every wire fuzz target checks besides "no crash, no leak":
 * a refused input leaves the output struct zeroed and says why; an accepted
 * input encodes back to exactly the bytes that arrived (wire.c accepts only
 * canonical encodings). */
#ifndef GS_FUZZ_H
#define GS_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* The node key seeds.c signs receipts with, so that fuzz_receipt reaches
 * past signature verification. */
#define FUZZ_NODE_SEED 0x42

static inline void fuzz_init(void)
{
    static bool ready;
    gs_error err;
    if (!ready) {
        if (gs_crypto_init(&err) != 0)
            abort();
        ready = true;
    }
}

static inline void fuzz_assert(bool ok)
{
    if (!ok)
        abort();
}

static inline bool fuzz_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* A refusal: negative code, the code in err, a sentence, a zeroed struct. */
static inline void fuzz_refused(int rc, const gs_error *err, const void *out, size_t n)
{
    fuzz_assert(rc < 0 && err->code == rc);
    fuzz_assert(err->msg[0] != '\0' && memchr(err->msg, 0, sizeof err->msg) != NULL);
    fuzz_assert(fuzz_zero(out, n));
}

/* The encoding of a decoded value is the input, byte for byte. */
static inline void fuzz_same(int rc, gs_buf *out, const uint8_t *data, size_t size)
{
    fuzz_assert(rc == 0);
    fuzz_assert(out->n == size && (size == 0 || memcmp(out->p, data, size) == 0));
    gs_buf_free(out);
}

#endif
