/* types.h — the few byte types every module shares.
 * A type says what its bytes are, so a function taking a gs_hash cannot be
 * handed a public key by mistake (STYLE §4). Log indices and sizes are
 * uint64_t; times are int64_t unix seconds. */
#ifndef GS_TYPES_H
#define GS_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* On every function whose result decides trust (a verify, an open, the rule
 * book's apply): the compiler refuses a caller that ignores the verdict
 * (STYLE §13). */
#define GS_MUST_USE __attribute__((warn_unused_result))

typedef struct {
    uint8_t b[32];
} gs_hash; /* SHA-256 */

typedef struct {
    uint8_t b[32];
} gs_pubkey; /* Ed25519 public key */

typedef struct {
    uint8_t b[64];
} gs_sig; /* Ed25519 signature */

/* Borrowed bytes: valid as long as whoever lent them says. */
typedef struct {
    const uint8_t *p;
    size_t n;
} gs_bytes;

/* Owned bytes: p is malloc'd, freed with gs_buf_free. */
typedef struct {
    uint8_t *p;
    size_t n;
} gs_buf;

void gs_buf_free(gs_buf *b);

static inline gs_bytes gs_bytes_of(const void *p, size_t n)
{
    gs_bytes b = {(const uint8_t *)p, n};
    return b;
}

#endif
