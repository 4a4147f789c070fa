/*
 * cebdate.h - dates and digit runs as CEB messages write them: "YYYYMMDD" (CEB603 ieDate,
 * 出口日期), "YYYYMMDDhhmmss" (appTime, a warehouse scan's scannedAt), and the "YYYY-MM-DD"
 * a person writes in a rules or rates file. Proleptic Gregorian calendar with leap years;
 * no time zones (CEB times are China Standard Time, the caller says so).
 *
 * Pure functions: no allocation, no locale, no I/O; any thread may call them. A date is
 * handed around as the integer yyyymmdd (20240401), which orders like the date itself; 0
 * means "not a date".
 */
#ifndef CUSTOMSD_CEBDATE_H
#define CUSTOMSD_CEBDATE_H

#include <stdbool.h>
#include <stddef.h>

/* A leap year of the Gregorian calendar (2024, 2000; not 1900, 2023). */
bool cebdate_is_leap(int year);

/*
 * year-month-day is a day of the calendar: year >= 1, month 1 to 12, day 1 to the month's
 * length (29 February only in a leap year).
 */
bool cebdate_real(int year, int month, int day);

/* A real date (cebdate_real) and a time of day: hour 0-23, minute 0-59, second 0-59. */
bool cebdate_real_datetime(int year, int month, int day, int hour, int minute, int second);

/* The n bytes at s are all ASCII digits '0'-'9' (true for n = 0). */
bool cebdate_all_digits(const char *s, size_t n);

/*
 * The number the n digits at s spell ("0412" -> 412). The caller has checked them with
 * cebdate_all_digits; n is at most 9, so the value fits an int.
 */
int cebdate_digits_value(const char *s, size_t n);

/*
 * "YYYYMMDD" (CEB603 ieDate): exactly 8 digits that make a real date, as yyyymmdd; 0 for
 * anything else (NULL, other lengths, non-digits, 20230229).
 */
int cebdate_date(const char *s);

/*
 * "YYYYMMDDhhmmss" (CEB603 appTime): exactly 14 digits that make a real date and time of
 * day. NULL is false.
 */
bool cebdate_datetime(const char *s);

/*
 * A date as written in a rules or rates file, "2024-04-01" (or "20240401"), as yyyymmdd;
 * 0 when it is not a real date in one of these two forms. s must not be NULL.
 */
int cebdate_iso(const char *s);

/* yyyymmdd -> "2024-04-01" in buf (11 bytes or more; shorter buffers get a cut string). */
void cebdate_text(int ymd, char *buf, size_t buflen);

#endif
