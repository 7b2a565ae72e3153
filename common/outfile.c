/* outfile.c — see outfile.h. */
#define _POSIX_C_SOURCE 200809L
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

struct gs_outfile {
    FILE *f;
    char *path;
    char *tmp;
};

static void outfile_free(gs_outfile *o)
{
    free(o->path);
    free(o->tmp);
    free(o);
}

int gs_outfile_open(gs_outfile **out, const char *path, gs_error *err)
{
    int rc = GS_ENOMEM;
    *out = NULL;
    gs_outfile *o = calloc(1, sizeof *o);
    size_t cap = strlen(path) + sizeof ".0123456789abcdef.tmp";
    if (o == NULL || (o->path = strdup(path)) == NULL || (o->tmp = malloc(cap)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto fail;
    }
    int fd = -1;
    /* A random name nobody can plant in advance; O_EXCL|O_NOFOLLOW refuses it
     * anyway if someone did. Another name is drawn on the odd collision. */
    for (int tries = 0; fd < 0 && tries < 16; tries++) {
        uint8_t r[8];
        char hex[17];
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(hex, sizeof hex, r, sizeof r);
        snprintf(o->tmp, cap, "%s.%s.tmp", path, hex);
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0 && errno != EEXIST) {
            rc = gs_error_set(err, GS_EIO, "cannot create a file next to %s: %s", path,
                              strerror(errno));
            goto fail;
        }
    }
    if (fd < 0) {
        rc =
            gs_error_set(err, GS_EIO, "cannot create a file next to %s: every name is taken", path);
        goto fail;
    }
    if ((o->f = fdopen(fd, "wb")) == NULL) {
        rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", o->tmp, strerror(errno));
        close(fd);
        unlink(o->tmp);
        goto fail;
    }
    *out = o;
    return 0;
fail:
    if (o != NULL)
        outfile_free(o);
    return rc;
}

FILE *gs_outfile_stream(gs_outfile *o)
{
    return o->f;
}

/* fsync of the folder holding path, so the new name is durable too. */
static void sync_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir =
        slash == NULL ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (dir == NULL)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: the file itself is already durable */
        close(fd);
    }
    free(dir);
}

int gs_outfile_commit(gs_outfile **op, bool replace, gs_error *err)
{
    gs_outfile *o = *op;
    int rc = GS_EIO;
    *op = NULL;
    FILE *f = o->f;
    o->f = NULL;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", o->path, strerror(errno));
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0) {
        rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", o->path, strerror(errno));
        goto out;
    }
    if (replace) {
        /* rename(2) replaces a symbolic link at path itself, never its target. */
        if (rename(o->tmp, o->path) != 0) {
            rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", o->path, strerror(errno));
            goto out;
        }
    } else if (link(o->tmp, o->path) != 0) {
        /* link(2) fails on any existing name, a dangling symbolic link too. */
        rc = errno == EEXIST
                 ? gs_error_set(err, GS_ECONFLICT, "%s already exists; refusing to overwrite it",
                                o->path)
                 : gs_error_set(err, GS_EIO, "cannot write %s: %s", o->path, strerror(errno));
        goto out;
    } else {
        unlink(o->tmp);
    }
    sync_folder(o->path);
    rc = 0;
out:
    if (rc != 0)
        unlink(o->tmp);
    outfile_free(o);
    return rc;
}

void gs_outfile_abort(gs_outfile **op)
{
    gs_outfile *o = *op;
    if (o == NULL)
        return;
    *op = NULL;
    if (o->f != NULL) {
        fclose(o->f);
        unlink(o->tmp);
    }
    outfile_free(o);
}

int gs_outfile_write(const char *path, gs_bytes data, bool replace, gs_error *err)
{
    gs_outfile *o = NULL;
    int rc = gs_outfile_open(&o, path, err);
    if (rc != 0)
        return rc;
    if (data.n > 0 && fwrite(data.p, 1, data.n, o->f) != data.n) {
        rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", path, strerror(errno));
        gs_outfile_abort(&o);
        return rc;
    }
    return gs_outfile_commit(&o, replace, err);
}
