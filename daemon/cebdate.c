/*
 * cebdate.c - CEB dates and digit runs: leap years, real dates, YYYYMMDD, YYYYMMDDhhmmss and
 * the YYYY-MM-DD of rules files. See cebdate.h.
 */
#include "cebdate.h"

#include <stdio.h>
#include <string.h>

bool cebdate_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool cebdate_real(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && cebdate_is_leap(y));
}

bool cebdate_real_datetime(int y, int mo, int d, int h, int mi, int s)
{
    return cebdate_real(y, mo, d) && h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60;
}

bool cebdate_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

int cebdate_digits_value(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Eight digits YYYYMMDD (already checked to be digits) as yyyymmdd, or 0 if not real. */
static int ymd_digits(const char *s)
{
    int y = cebdate_digits_value(s, 4), m = cebdate_digits_value(s + 4, 2),
        d = cebdate_digits_value(s + 6, 2);

    return cebdate_real(y, m, d) ? y * 10000 + m * 100 + d : 0;
}

int cebdate_date(const char *s)
{
    if (!s || strlen(s) != 8 || !cebdate_all_digits(s, 8))
        return 0;
    return ymd_digits(s);
}

bool cebdate_datetime(const char *s)
{
    if (!s || strlen(s) != 14 || !cebdate_all_digits(s, 14) || !ymd_digits(s))
        return false;
    return cebdate_digits_value(s + 8, 2) < 24 && cebdate_digits_value(s + 10, 2) < 60 &&
           cebdate_digits_value(s + 12, 2) < 60;
}

int cebdate_iso(const char *s)
{
    char compact[9];

    if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
        memcpy(compact, s, 4);
        memcpy(compact + 4, s + 5, 2);
        memcpy(compact + 6, s + 8, 2);
        compact[8] = '\0';
        return cebdate_date(compact);
    }
    return cebdate_date(s);
}

void cebdate_text(int ymd, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
}
