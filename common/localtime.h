/* localtime.h — a unit's local time (issue 10 part 5).
 *
 * A unit declares its IANA time zone in its Charter (default
 * GS_DEFAULT_TIME_ZONE). Reports show times there, with the offset; the CLI
 * reads a date-only deadline as the end of that day there. A time zone never
 * changes a verdict: statements carry unix seconds, and the rule book checks
 * only the shape of a zone's name (gs_tz_name_valid), never whether this
 * machine knows it.
 *
 * The conversion is the C library's, reading the system's tzdata
 * (/usr/share/zoneinfo): the zone is set through TZ under a mutex, so only
 * one thread converts at a time, and nothing else in the process may read
 * the local time zone (the project prints UTC everywhere else). A zone this
 * machine does not know is shown in UTC and says so (known false), except
 * the default zone, whose offset (+07:00, no daylight saving since 1975) is
 * known without tzdata. */
#ifndef GS_LOCALTIME_H
#define GS_LOCALTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#define GS_DEFAULT_TIME_ZONE "Asia/Ho_Chi_Minh"

/* The shape of an IANA name: 1 to GS_MAX_TIME_ZONE bytes of components made
 * of [A-Za-z0-9_+-], separated by single '/', the first starting with a
 * letter, none "." or "..". "UTC", "Asia/Ho_Chi_Minh", "Etc/GMT+7". */
bool gs_tz_name_valid(const char *name);

/* A local time: the calendar fields in the zone and its offset from UTC. */
typedef struct {
    int year, month, day; /* month 1..12 */
    int hour, minute, second;
    int offset; /* seconds east of UTC */
    bool known; /* false: the zone is unknown here and this is UTC */
} gs_local_time;

/* t in zone tz ("" or NULL: the default zone). Outside the years
 * 0001–9999 every field is 0 and known is false. */
void gs_time_local(int64_t t, const char *tz, gs_local_time *out);
/* RFC 3339 with the zone's offset, "2026-12-31T23:59:59+07:00" ("Z" when
 * the zone is unknown here, and gs_time_format's UTC form outside the years
 * 0001–9999); out holds at least 32 bytes. */
void gs_time_format_local(int64_t t, const char *tz, char *out, size_t cap);
/* The offset as "+07:00". out holds at least 8 bytes. */
void gs_time_offset_format(int offset, char *out, size_t cap);
/* "2026-Q4": the calendar quarter of t in zone tz ("none" for a time
 * outside the years 0001–9999). out holds 8 bytes. */
void gs_time_quarter(int64_t t, const char *tz, char *out, size_t cap);

/* The end (23:59:59) of the day year-month-day in zone tz, as unix
 * seconds: what a date-only deadline means. GS_EINVAL for a day that does
 * not exist and for a zone this machine does not know (the end of the day
 * would be a guess), each with its sentence. */
int gs_time_end_of_day(int year, int month, int day, const char *tz, int64_t *out, gs_error *err);

#endif
