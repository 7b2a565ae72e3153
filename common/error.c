/* error.c — see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gs_buf_free(gs_buf *b)
{
    if (b == NULL)
        return;
    free(b->p);
    b->p = NULL;
    b->n = 0;
}

int gs_error_set(gs_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int gs_error_wrap(gs_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return GS_EINVAL;
    char prefix[GS_ERROR_MSG_MAX];
    char old[GS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* A message cut at GS_ERROR_MSG_MAX is still the best we can say. */
    if (snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old) >= (int)sizeof err->msg)
        err->msg[sizeof err->msg - 1] = '\0';
    return err->code;
}

void gs_error_clear(gs_error *err)
{
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *gs_error_name(int code)
{
    switch (code) {
    case GS_OK: return "ok";
    case GS_EINVAL: return "invalid";
    case GS_EIO: return "io";
    case GS_ENOMEM: return "nomem";
    case GS_EVERIFY: return "verify";
    case GS_EPERM: return "permission";
    case GS_ECONFLICT: return "conflict";
    case GS_ENOTFOUND: return "notfound";
    case GS_ETOOBIG: return "toobig";
    case GS_ECORRUPT: return "corrupt";
    case GS_EPASS: return "passphrase";
    case GS_EUNAVAIL: return "unavailable";
    }
    return "unknown";
}
