/* progress.c — one line of progress on a terminal. See progress.h. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

#define REDRAW_MS 250

struct gs_progress {
    char label[160];
    char unit[24];
    uint64_t first, done, total;
    int64_t start_ms, drawn_ms;
};

/* The terminal has one line to redraw, as the process has one stderr: the
 * progress that holds it draws, any other started meanwhile (a hub syncing
 * two logs far behind) waits for it to end and draws nothing before. */
static gs_progress *on_screen;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "1:02:03" or "2:03". */
static void format_duration(int64_t s, char *out, size_t cap)
{
    if (s >= 3600)
        snprintf(out, cap, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    else
        snprintf(out, cap, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
}

static void draw(gs_progress *p, int64_t now, bool last)
{
    if (on_screen == NULL)
        on_screen = p;
    if (on_screen != p)
        return;
    char rate_s[48] = "", left_s[48] = "";
    double secs = (double)(now - p->start_ms) / 1000.0;
    uint64_t moved = p->done > p->first ? p->done - p->first : 0;
    double rate = secs > 0.05 ? (double)moved / secs : 0.0;
    if (rate > 0)
        snprintf(rate_s, sizeof rate_s, ", %.0f/s", rate);
    if (!last && rate > 0 && p->total > p->done) {
        char d[24];
        format_duration((int64_t)((double)(p->total - p->done) / rate) + 1, d, sizeof d);
        snprintf(left_s, sizeof left_s, ", %s left", d);
    } else if (last) {
        char d[24];
        format_duration((int64_t)secs, d, sizeof d);
        snprintf(left_s, sizeof left_s, ", %s", d);
    }
    unsigned pct = p->total > 0 ? (unsigned)((double)p->done * 100.0 / (double)p->total) : 100;
    /* \r and "erase to end of line" (ECMA-48 EL): the line is redrawn in
     * place and a shorter one leaves nothing behind. */
    fprintf(stderr, "\r%s: %llu/%llu %s (%u%%)%s%s\033[K%s", p->label, (unsigned long long)p->done,
            (unsigned long long)p->total, p->unit, pct > 100 ? 100 : pct, rate_s, left_s,
            last ? "\n" : "");
    fflush(stderr);
    p->drawn_ms = now;
    if (last)
        on_screen = NULL;
}

gs_progress *gs_progress_start(const char *label, const char *unit, uint64_t first, uint64_t total)
{
    /* Only for a person: a terminal that can redraw a line. */
    const char *term = getenv("TERM");
    if (!isatty(STDERR_FILENO) || (term != NULL && strcmp(term, "dumb") == 0))
        return NULL;
    gs_progress *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    snprintf(p->label, sizeof p->label, "%s", label);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->first = p->done = first;
    p->total = total;
    p->start_ms = mono_ms();
    draw(p, p->start_ms, false);
    return p;
}

void gs_progress_update(gs_progress *p, uint64_t done, uint64_t total)
{
    if (p == NULL)
        return;
    p->done = done;
    if (total > p->total)
        p->total = total;
    int64_t now = mono_ms();
    if (now - p->drawn_ms >= REDRAW_MS)
        draw(p, now, false);
}

void gs_progress_end(gs_progress **pp)
{
    gs_progress *p = *pp;
    if (p == NULL)
        return;
    if (on_screen == p)
        draw(p, mono_ms(), true);
    free(p);
    *pp = NULL;
}
