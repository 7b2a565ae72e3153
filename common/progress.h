/* progress.h — progress of a long operation for the person watching it:
 * entries done, rate and time left on one line of stderr, redrawn at most
 * four times a second, and only when stderr is a terminal. Anywhere else
 * (a pipe, a file, the journal) it prints nothing, so logs and scripts see
 * exactly what they saw before.
 *
 * Used by `giamsat audit` (per log) and by giamsat-hub for the sync of a
 * log far behind. One line at a time: a progress started while another is
 * on the terminal stays silent until that one ends. Not thread-safe (its
 * callers update progress from one thread at a time). */
#ifndef GS_PROGRESS_H
#define GS_PROGRESS_H

#include <stdint.h>

typedef struct gs_progress gs_progress;

/* Starts the line "<label>: done/total unit (pct) rate, time left" for an
 * operation going from first to total. Returns NULL when stderr is not a
 * terminal (or memory ran out): every call below accepts NULL and does
 * nothing. label is copied. */
gs_progress *gs_progress_start(const char *label, const char *unit, uint64_t first, uint64_t total);
/* done items of total so far (a larger total may be given as it grows). */
void gs_progress_update(gs_progress *p, uint64_t done, uint64_t total);
/* Ends the line: a last redraw, the time taken, a newline. Frees *pp and
 * sets it to NULL; safe on NULL. */
void gs_progress_end(gs_progress **pp);

#endif
