/* localtime.c — a unit's local time. See localtime.h. */
#define _GNU_SOURCE /* timegm, tm_gmtoff */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "localtime.h"
#include "wire.h"

#define ZONEINFO "/usr/share/zoneinfo/"
#define DEFAULT_OFFSET (7 * 3600)

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static char tz_current[GS_MAX_TIME_ZONE + 2]; /* what TZ is set to, under tz_lock */

bool gs_tz_name_valid(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > GS_MAX_TIME_ZONE)
        return false;
    if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
        return false;
    size_t comp = 0; /* bytes in the current component */
    for (size_t i = 0; i <= n; i++) {
        char c = name[i];
        if (c == '/' || c == '\0') {
            if (comp == 0)
                return false;
            if ((comp == 1 && name[i - 1] == '.') ||
                (comp == 2 && name[i - 1] == '.' && name[i - 2] == '.'))
                return false;
            comp = 0;
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-'))
            return false;
        comp++;
    }
    return true;
}

static const char *zone_or_default(const char *tz)
{
    return tz != NULL && tz[0] != '\0' ? tz : GS_DEFAULT_TIME_ZONE;
}

/* Whether this machine's tzdata holds the zone: a TZif file under
 * ZONEINFO. Without it the C library would silently use UTC. */
static bool zone_known(const char *tz)
{
    char path[sizeof ZONEINFO + GS_MAX_TIME_ZONE];
    char magic[4];
    if (strcmp(tz, "UTC") == 0)
        return true;
    if (!gs_tz_name_valid(tz))
        return false;
    snprintf(path, sizeof path, "%s%s", ZONEINFO, tz);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

/* The last zone zone_known was asked about and its answer, under tz_lock.
 * A report converts hundreds of thousands of times in a handful of zones
 * (every deadline, sample and finding), and opening the TZif file for each
 * was a large part of the audit's single-threaded time (issue 13 item 5).
 * The answer is asked again after ZONE_RECHECK_S, so tzdata installed or
 * removed while a process runs is seen. */
#define ZONE_RECHECK_S 60
static char zone_cached[GS_MAX_TIME_ZONE + 1];
static bool zone_cached_known;
static int64_t zone_cached_at;

static bool zone_known_cached(const char *tz)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (strlen(tz) > GS_MAX_TIME_ZONE)
        return false; /* gs_tz_name_valid refuses it too */
    pthread_mutex_lock(&tz_lock);
    bool hit = zone_cached[0] != '\0' && strcmp(zone_cached, tz) == 0 &&
               ts.tv_sec - zone_cached_at < ZONE_RECHECK_S;
    bool known = zone_cached_known;
    pthread_mutex_unlock(&tz_lock);
    if (hit)
        return known;
    known = zone_known(tz);
    pthread_mutex_lock(&tz_lock);
    snprintf(zone_cached, sizeof zone_cached, "%s", tz);
    zone_cached_known = known;
    zone_cached_at = ts.tv_sec;
    pthread_mutex_unlock(&tz_lock);
    return known;
}

/* Sets TZ to the zone; tz_lock held. */
static void zone_set(const char *tz)
{
    char want[GS_MAX_TIME_ZONE + 2];
    snprintf(want, sizeof want, ":%s", tz);
    if (strcmp(want, tz_current) == 0)
        return;
    setenv("TZ", want, 1);
    tzset();
    memcpy(tz_current, want, sizeof want);
}

/* Years 0001 to 9999 with a day to spare: what RFC 3339 can write and the C
 * library converts. A statement may carry any int64 time (a replay accepts
 * it), and such a time is shown in UTC by gs_time_format instead. */
static bool in_range(int64_t t)
{
    return t >= -62135596800LL + 86400 && t <= 253402300799LL - 86400;
}

static void fill_tm(const struct tm *tm, int offset, bool known, gs_local_time *out)
{
    out->year = tm->tm_year + 1900;
    out->month = tm->tm_mon + 1;
    out->day = tm->tm_mday;
    out->hour = tm->tm_hour;
    out->minute = tm->tm_min;
    out->second = tm->tm_sec;
    out->offset = offset;
    out->known = known;
}

static void fill_utc(int64_t t, int offset, bool known, gs_local_time *out)
{
    struct tm tm;
    time_t tt = (time_t)(t + offset);
    if (gmtime_r(&tt, &tm) == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    fill_tm(&tm, offset, known, out);
}

void gs_time_local(int64_t t, const char *tz, gs_local_time *out)
{
    tz = zone_or_default(tz);
    memset(out, 0, sizeof *out);
    if (!in_range(t))
        return; /* known false, every field 0: callers print UTC instead */
    if (!zone_known_cached(tz)) {
        if (strcmp(tz, GS_DEFAULT_TIME_ZONE) == 0)
            fill_utc(t, DEFAULT_OFFSET, true, out);
        else
            fill_utc(t, 0, false, out);
        return;
    }
    struct tm tm;
    time_t tt = (time_t)t;
    pthread_mutex_lock(&tz_lock);
    zone_set(tz);
    bool ok = localtime_r(&tt, &tm) != NULL;
    pthread_mutex_unlock(&tz_lock);
    if (!ok) {
        fill_utc(t, 0, false, out);
        return;
    }
    fill_tm(&tm, (int)tm.tm_gmtoff, true, out);
}

void gs_time_offset_format(int offset, char *out, size_t cap)
{
    int a = offset < 0 ? -offset : offset;
    snprintf(out, cap, "%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600 % 100, a / 60 % 60);
}

void gs_time_format_local(int64_t t, const char *tz, char *out, size_t cap)
{
    gs_local_time lt;
    char off[8];
    if (!in_range(t)) {
        gs_time_format(t, out, cap);
        return;
    }
    gs_time_local(t, tz, &lt);
    if (!lt.known || (lt.offset == 0 && strcmp(zone_or_default(tz), "UTC") == 0))
        snprintf(off, sizeof off, "Z");
    else
        gs_time_offset_format(lt.offset, off, sizeof off);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s", lt.year % 10000, lt.month % 100,
             lt.day % 100, lt.hour % 100, lt.minute % 100, lt.second % 100, off);
}

void gs_time_quarter(int64_t t, const char *tz, char *out, size_t cap)
{
    gs_local_time lt;
    if (!in_range(t)) {
        snprintf(out, cap, "none");
        return;
    }
    gs_time_local(t, tz, &lt);
    snprintf(out, cap, "%04d-Q%d", lt.year % 10000, (lt.month - 1) / 3 + 1);
}

int gs_time_end_of_day(int year, int month, int day, const char *tz, int64_t *out, gs_error *err)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    tz = zone_or_default(tz);
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
        day > mdays[month - 1] ||
        (month == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))))
        return gs_error_set(err, GS_EINVAL, "%04d-%02d-%02d: no such day", year, month, day);
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = 23,
                    .tm_min = 59,
                    .tm_sec = 59};
    if (!zone_known_cached(tz)) {
        if (strcmp(tz, GS_DEFAULT_TIME_ZONE) != 0)
            return gs_error_set(err, GS_EINVAL,
                                "time zone %s is not known on this machine (install tzdata), so "
                                "the end of %04d-%02d-%02d there cannot be computed; give the "
                                "deadline in RFC 3339 with its offset instead",
                                tz, year, month, day);
        *out = (int64_t)timegm(&tm) - DEFAULT_OFFSET;
        return 0;
    }
    tm.tm_isdst = -1;
    pthread_mutex_lock(&tz_lock);
    zone_set(tz);
    time_t t = mktime(&tm);
    pthread_mutex_unlock(&tz_lock);
    if (t == (time_t)-1)
        return gs_error_set(err, GS_EINVAL, "the end of %04d-%02d-%02d in %s cannot be computed",
                            year, month, day, tz);
    *out = (int64_t)t;
    return 0;
}
