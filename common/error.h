/* error.h — error codes and the sentence that goes with them.
 * Functions that can fail return 0 or a negative GS_E… code and fill a
 * caller-provided gs_error with a sentence a person can act on (STYLE §3).
 * err may be NULL when the caller only wants the code. */
#ifndef GS_ERROR_H
#define GS_ERROR_H

#include "types.h"

enum {
    GS_OK = 0,
    GS_EINVAL = -1,    /* malformed input or bad argument */
    GS_EIO = -2,       /* file, database or socket failure */
    GS_ENOMEM = -3,    /* allocation failed */
    GS_EVERIFY = -4,   /* a signature, hash or proof does not verify */
    GS_EPERM = -5,     /* the rule book refuses: not authorized */
    GS_ECONFLICT = -6, /* contradicts what is already held */
    GS_ENOTFOUND = -7, /* no such entry, log, key */
    GS_ETOOBIG = -8,   /* above a configured limit */
    GS_ECORRUPT = -9,  /* stored data does not match its own hashes */
    GS_EPASS = -10,    /* wrong passphrase */
    GS_EUNAVAIL = -11, /* peer unreachable or timed out */
};

#define GS_ERROR_MSG_MAX 512

typedef struct {
    int code;
    char msg[GS_ERROR_MSG_MAX];
} gs_error;

/* Sets err (when not NULL) and returns code, so callers can write
 * `return gs_error_set(err, GS_EINVAL, "…");`. */
int gs_error_set(gs_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with more context: "ctx: old message". */
int gs_error_wrap(gs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gs_error_clear(gs_error *err);
/* A short stable name for a code: "invalid", "io", "verify", … */
const char *gs_error_name(int code);

#endif
