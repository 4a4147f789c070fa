/*
 * test_cebdate.c - unit tests of cebdate.c against cebdate.h: leap years, real dates (every
 * day of 1600-2400 checked against the C library's calendar, timegm/gmtime_r), times of day,
 * digit runs, and the three text forms: YYYYMMDD (ieDate), YYYYMMDDhhmmss (appTime) and the
 * YYYY-MM-DD of rules files, with their edge cases (29 February, year 0, months 00 and 13,
 * 24:00:00, wrong lengths, signs and spaces).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cebdate.h"

static void test_leap_years(void **state)
{
    (void)state;
    assert_true(cebdate_is_leap(2024));
    assert_true(cebdate_is_leap(2000));
    assert_true(cebdate_is_leap(1600));
    assert_true(cebdate_is_leap(4));
    assert_false(cebdate_is_leap(2023));
    assert_false(cebdate_is_leap(1900));
    assert_false(cebdate_is_leap(2100));
    assert_false(cebdate_is_leap(1));
}

/* The C library's proleptic Gregorian calendar says whether y-m-d exists. */
static int libc_real(int y, int m, int d)
{
    struct tm tm = {0}, back;
    time_t t;

    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = 12;
    t = timegm(&tm);
    if (!gmtime_r(&t, &back))
        return -1;
    return back.tm_year == y - 1900 && back.tm_mon == m - 1 && back.tm_mday == d;
}

static void test_real_dates_against_libc(void **state)
{
    size_t real = 0;

    (void)state;
    for (int y = 1600; y <= 2400; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                int want = libc_real(y, m, d);
                if (want != (int)cebdate_real(y, m, d))
                    fail_msg("%04d-%02d-%02d: cebdate_real %d, libc %d", y, m, d,
                             (int)cebdate_real(y, m, d), want);
                real += (size_t)want;
            }
        }
    }
    /* 801 years of 365 days plus 195 leap days. */
    assert_int_equal(real, 801 * 365 + 195);
}

static void test_real_edges(void **state)
{
    (void)state;
    assert_true(cebdate_real(2024, 2, 29));
    assert_false(cebdate_real(2023, 2, 29));
    assert_false(cebdate_real(1900, 2, 29));
    assert_true(cebdate_real(2000, 2, 29));
    assert_true(cebdate_real(1, 1, 1));
    assert_true(cebdate_real(9999, 12, 31));
    assert_false(cebdate_real(0, 1, 1)); /* there is no year 0 */
    assert_false(cebdate_real(-4, 1, 1));
    assert_false(cebdate_real(2024, 0, 1));
    assert_false(cebdate_real(2024, 13, 1));
    assert_false(cebdate_real(2024, 1, 0));
    assert_false(cebdate_real(2024, 4, 31));
    assert_false(cebdate_real(2024, 12, 32));
    assert_false(cebdate_real(2024, -1, 10));
}

static void test_real_datetime(void **state)
{
    (void)state;
    assert_true(cebdate_real_datetime(2024, 5, 12, 10, 30, 0));
    assert_true(cebdate_real_datetime(2024, 2, 29, 0, 0, 0));
    assert_true(cebdate_real_datetime(2024, 12, 31, 23, 59, 59));
    assert_false(cebdate_real_datetime(2023, 2, 29, 12, 0, 0));
    assert_false(cebdate_real_datetime(2024, 5, 12, 24, 0, 0));
    assert_false(cebdate_real_datetime(2024, 5, 12, 23, 60, 0));
    assert_false(cebdate_real_datetime(2024, 5, 12, 23, 59, 60)); /* no leap seconds */
    assert_false(cebdate_real_datetime(2024, 5, 12, -1, 0, 0));
    assert_false(cebdate_real_datetime(2024, 5, 12, 0, -1, 0));
    assert_false(cebdate_real_datetime(2024, 5, 12, 0, 0, -1));
}

static void test_digits(void **state)
{
    (void)state;
    assert_true(cebdate_all_digits("0123456789", 10));
    assert_true(cebdate_all_digits("", 0));
    assert_true(cebdate_all_digits("12ab", 2)); /* only n bytes are looked at */
    assert_false(cebdate_all_digits("12ab", 3));
    assert_false(cebdate_all_digits("-1", 2));
    assert_false(cebdate_all_digits("+1", 2));
    assert_false(cebdate_all_digits(" 1", 2));
    assert_false(cebdate_all_digits("1/", 2)); /* '/' and ':' border the digits in ASCII */
    assert_false(cebdate_all_digits("1:", 2));
    assert_false(cebdate_all_digits("\xd9\xa1", 2)); /* Arabic-Indic one is not a digit */

    assert_int_equal(cebdate_digits_value("0", 1), 0);
    assert_int_equal(cebdate_digits_value("0412", 4), 412);
    assert_int_equal(cebdate_digits_value("2024", 4), 2024);
    assert_int_equal(cebdate_digits_value("20240512", 4), 2024);
    assert_int_equal(cebdate_digits_value("20240512", 8), 20240512);
    assert_int_equal(cebdate_digits_value("999999999", 9), 999999999);
    assert_int_equal(cebdate_digits_value("7", 0), 0);
}

static void test_ceb_date(void **state)
{
    (void)state;
    assert_int_equal(cebdate_date("20240512"), 20240512);
    assert_int_equal(cebdate_date("20240229"), 20240229);
    assert_int_equal(cebdate_date("00010101"), 10101);
    assert_int_equal(cebdate_date("20230229"), 0);
    assert_int_equal(cebdate_date("00000101"), 0);
    assert_int_equal(cebdate_date("20240001"), 0);
    assert_int_equal(cebdate_date("20241301"), 0);
    assert_int_equal(cebdate_date("20240100"), 0);
    assert_int_equal(cebdate_date("20240431"), 0);
    assert_int_equal(cebdate_date(NULL), 0);
    assert_int_equal(cebdate_date(""), 0);
    assert_int_equal(cebdate_date("2024051"), 0);
    assert_int_equal(cebdate_date("202405120"), 0);
    assert_int_equal(cebdate_date("2024-05-12"), 0); /* the file form is cebdate_iso's */
    assert_int_equal(cebdate_date("2024051 "), 0);
    assert_int_equal(cebdate_date(" 2024051"), 0);
    assert_int_equal(cebdate_date("+2024051"), 0);
    assert_int_equal(cebdate_date("2024O512"), 0);
}

static void test_ceb_datetime(void **state)
{
    (void)state;
    assert_true(cebdate_datetime("20240512103000"));
    assert_true(cebdate_datetime("20240229235959"));
    assert_true(cebdate_datetime("20240101000000"));
    assert_false(cebdate_datetime("20230229120000"));
    assert_false(cebdate_datetime("20240512240000"));
    assert_false(cebdate_datetime("20240512236000"));
    assert_false(cebdate_datetime("20240512235960"));
    assert_false(cebdate_datetime("20241312000000"));
    assert_false(cebdate_datetime(NULL));
    assert_false(cebdate_datetime(""));
    assert_false(cebdate_datetime("20240512"));
    assert_false(cebdate_datetime("2024051210300"));
    assert_false(cebdate_datetime("202405121030000"));
    assert_false(cebdate_datetime("2024-05-12T10:30:00"));
    assert_false(cebdate_datetime("2024051210300 "));
    assert_false(cebdate_datetime("20240512 03000"));
}

static void test_iso(void **state)
{
    (void)state;
    assert_int_equal(cebdate_iso("2024-04-01"), 20240401);
    assert_int_equal(cebdate_iso("20240401"), 20240401);
    assert_int_equal(cebdate_iso("2024-02-29"), 20240229);
    assert_int_equal(cebdate_iso("2023-02-29"), 0);
    assert_int_equal(cebdate_iso("2024-02-30"), 0);
    assert_int_equal(cebdate_iso("0000-01-01"), 0);
    assert_int_equal(cebdate_iso("2024-13-01"), 0);
    assert_int_equal(cebdate_iso("2024-4-01"), 0);
    assert_int_equal(cebdate_iso("2024-04-1"), 0);
    assert_int_equal(cebdate_iso("2024/04/01"), 0);
    assert_int_equal(cebdate_iso("2024-04-01T00:00:00"), 0);
    assert_int_equal(cebdate_iso("2024-0a-01"), 0);
    assert_int_equal(cebdate_iso("2024-+4-01"), 0);
    assert_int_equal(cebdate_iso("+024-04-01"), 0);
    assert_int_equal(cebdate_iso(" 2024-04-01"), 0);
    assert_int_equal(cebdate_iso(""), 0);
    assert_int_equal(cebdate_iso("yesterday"), 0);
}

static void test_text(void **state)
{
    char buf[16], small[5];

    (void)state;
    cebdate_text(20240401, buf, sizeof(buf));
    assert_string_equal(buf, "2024-04-01");
    cebdate_text(10101, buf, sizeof(buf));
    assert_string_equal(buf, "0001-01-01");
    cebdate_text(99991231, buf, sizeof(buf));
    assert_string_equal(buf, "9999-12-31");
    cebdate_text(cebdate_iso("2024-02-29"), buf, sizeof(buf));
    assert_string_equal(buf, "2024-02-29");
    cebdate_text(20240401, small, sizeof(small));
    assert_string_equal(small, "2024");
}

/* The integer form orders like the dates: every day of 2023-2025 is one more than the last. */
static void test_ordering(void **state)
{
    char ymd[9];
    int prev = 0, days = 0;

    (void)state;
    for (int y = 2023; y <= 2025; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                int v;
                snprintf(ymd, sizeof(ymd), "%04d%02d%02d", y, m, d);
                v = cebdate_date(ymd);
                if (!v)
                    continue;
                assert_int_equal(v, y * 10000 + m * 100 + d);
                assert_true(v > prev);
                prev = v;
                days++;
            }
        }
    }
    assert_int_equal(days, 365 + 366 + 365);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leap_years),   cmocka_unit_test(test_real_dates_against_libc),
        cmocka_unit_test(test_real_edges),   cmocka_unit_test(test_real_datetime),
        cmocka_unit_test(test_digits),       cmocka_unit_test(test_ceb_date),
        cmocka_unit_test(test_ceb_datetime), cmocka_unit_test(test_iso),
        cmocka_unit_test(test_text),         cmocka_unit_test(test_ordering),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
