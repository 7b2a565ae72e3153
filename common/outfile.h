/* outfile.h — a file written whole or not at all: every `--out` of the CLI.
 *
 * The bytes go to a temporary in the same folder, "<path>.<16 random hex>.tmp",
 * created with O_CREAT|O_EXCL|O_NOFOLLOW (a name planted in advance, symbolic
 * link or not, is never opened, let alone followed), then are fsync'ed and
 * the temporary is moved into place: renamed over path (replace), or linked
 * to path so that an existing path, symbolic links included, is never
 * touched (no replace: GS_ECONFLICT). A reader never sees half a file, and
 * the folder is fsync'ed so the name survives a crash.
 *
 * A gs_outfile owns its stream and its temporary until commit or abort.
 */
#ifndef GS_OUTFILE_H
#define GS_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "types.h"

typedef struct gs_outfile gs_outfile;

/* Creates the temporary for path (mode 0644 less the umask). Caller owns the
 * result and ends it with gs_outfile_commit or gs_outfile_abort. */
int gs_outfile_open(gs_outfile **out, const char *path, gs_error *err) GS_MUST_USE;
/* The stream to write to; valid until commit or abort. */
FILE *gs_outfile_stream(gs_outfile *o);
/* Flushes, fsyncs and moves the temporary into place (see above), then frees
 * *op and sets it to NULL, whatever the result; on failure the temporary is
 * removed and path is as it was. */
int gs_outfile_commit(gs_outfile **op, bool replace, gs_error *err) GS_MUST_USE;
/* Closes and removes the temporary, frees *op and sets it to NULL; safe on
 * NULL. */
void gs_outfile_abort(gs_outfile **op);

/* open + write data + commit. */
int gs_outfile_write(const char *path, gs_bytes data, bool replace, gs_error *err) GS_MUST_USE;

#endif
