/* test_localtime.c — a unit's local time (issue 10 part 5). Expected
 * instants were computed outside this code (Python's datetime in UTC) from
 * the zones' published rules: Asia/Ho_Chi_Minh is +07:00 with no daylight
 * saving; Europe/Berlin moves from +01:00 to +02:00 at 01:00 UTC on the last
 * Sunday of March (29 March 2026). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "localtime.h"

static void test_name_shape(void **state)
{
    (void)state;
    assert_true(gs_tz_name_valid("Asia/Ho_Chi_Minh"));
    assert_true(gs_tz_name_valid("UTC"));
    assert_true(gs_tz_name_valid("Etc/GMT+7"));
    assert_true(gs_tz_name_valid("America/Argentina/Buenos_Aires"));
    assert_false(gs_tz_name_valid(""));
    assert_false(gs_tz_name_valid(NULL));
    assert_false(gs_tz_name_valid("/etc/passwd"));
    assert_false(gs_tz_name_valid("Asia/../../etc/passwd"));
    assert_false(gs_tz_name_valid("Asia//Saigon"));
    assert_false(gs_tz_name_valid("Asia/"));
    assert_false(gs_tz_name_valid("7Asia"));
    assert_false(gs_tz_name_valid("Asia/Ho Chi Minh"));
    char long_name[80];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false(gs_tz_name_valid(long_name));
}

static void test_end_of_day(void **state)
{
    (void)state;
    int64_t t = 0;
    gs_error err = {0};
    assert_int_equal(gs_time_end_of_day(2026, 3, 31, "Asia/Ho_Chi_Minh", &t, &err), 0);
    assert_int_equal(t, 1774976399);
    /* "" is the default zone, the same instant. */
    assert_int_equal(gs_time_end_of_day(2026, 3, 31, "", &t, &err), 0);
    assert_int_equal(t, 1774976399);
    assert_int_equal(gs_time_end_of_day(2024, 2, 29, NULL, &t, &err), 0);
    assert_int_equal(t, 1709225999);
    /* Daylight saving: the day it starts ends at +02:00, the day before at
     * +01:00. */
    assert_int_equal(gs_time_end_of_day(2026, 3, 29, "Europe/Berlin", &t, &err), 0);
    assert_int_equal(t, 1774821599);
    assert_int_equal(gs_time_end_of_day(2026, 3, 28, "Europe/Berlin", &t, &err), 0);
    assert_int_equal(t, 1774738799);
    /* No such day; a zone this machine does not know. */
    assert_int_equal(gs_time_end_of_day(2026, 2, 29, NULL, &t, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "no such day"));
    assert_int_equal(gs_time_end_of_day(2026, 13, 1, NULL, &t, &err), GS_EINVAL);
    assert_int_equal(gs_time_end_of_day(2026, 3, 31, "Mars/Olympus_Mons", &t, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "not known on this machine"));
}

static void test_format_and_quarter(void **state)
{
    (void)state;
    char s[40];
    gs_time_format_local(1774976399, NULL, s, sizeof s);
    assert_string_equal(s, "2026-03-31T23:59:59+07:00");
    gs_time_format_local(1774821599, "Europe/Berlin", s, sizeof s);
    assert_string_equal(s, "2026-03-29T23:59:59+02:00");
    gs_time_format_local(1774738799, "Europe/Berlin", s, sizeof s);
    assert_string_equal(s, "2026-03-28T23:59:59+01:00");
    gs_time_format_local(1774976399, "UTC", s, sizeof s);
    assert_string_equal(s, "2026-03-31T16:59:59Z");
    /* A zone unknown here is shown in UTC and says so with Z. */
    gs_time_format_local(1774976399, "Mars/Olympus_Mons", s, sizeof s);
    assert_string_equal(s, "2026-03-31T16:59:59Z");
    gs_local_time lt;
    gs_time_local(1774976399, "Mars/Olympus_Mons", &lt);
    assert_false(lt.known);
    gs_time_local(1774976399, NULL, &lt);
    assert_true(lt.known);
    assert_int_equal(lt.offset, 7 * 3600);
    /* 31 March 18:00 UTC is 1 April 01:00 at +07:00: the second quarter. */
    gs_time_quarter(1774980000, NULL, s, sizeof s);
    assert_string_equal(s, "2026-Q2");
    gs_time_quarter(1774980000, "UTC", s, sizeof s);
    assert_string_equal(s, "2026-Q1");
    /* A time no calendar writes: UTC's own form, no quarter. */
    gs_time_format_local(INT64_MAX, NULL, s, sizeof s);
    assert_null(strstr(s, "+07:00"));
    gs_time_quarter(INT64_MAX, NULL, s, sizeof s);
    assert_string_equal(s, "none");
    gs_time_local(INT64_MIN, NULL, &lt);
    assert_false(lt.known);
    gs_time_offset_format(-(3 * 3600 + 30 * 60), s, sizeof s);
    assert_string_equal(s, "-03:30");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_shape),
        cmocka_unit_test(test_end_of_day),
        cmocka_unit_test(test_format_and_quarter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
