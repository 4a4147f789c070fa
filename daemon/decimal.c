/*
 * decimal.c - exact N19,5 decimals on a 128-bit integer of 10^-5 units. See decimal.h.
 */
#include "decimal.h"

#include <stdio.h>
#include <string.h>

#define DECIMAL_UNIT ((__int128)100000)
/* 99999999999999.99999 in units: 10^19 - 1. */
#define DECIMAL_MAX    ((__int128)9999999999999999999ULL)
#define EXPONENT_CLAMP 1000000L /* beyond this the value is out of range anyway */

static int set_err(char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", what);
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int decimal_parse(const char *text, size_t len, struct decimal *out, char *err, size_t errlen)
{
    size_t i = 0;
    int neg = 0;

    if (len == 0)
        return set_err(err, errlen, "not a decimal number (empty)");
    if (text[i] == '-') {
        neg = 1;
        i++;
    }
    /* Integer part: one or more digits (leading zeros allowed, as senders write "007"). */
    size_t int_start = i;
    while (i < len && is_digit(text[i]))
        i++;
    size_t int_end = i;
    if (int_end == int_start)
        return set_err(err, errlen, "not a decimal number");
    size_t frac_start = i, frac_end = i;
    if (i < len && text[i] == '.') {
        i++;
        frac_start = i;
        while (i < len && is_digit(text[i]))
            i++;
        frac_end = i;
        if (frac_end == frac_start)
            return set_err(err, errlen, "not a decimal number (no digit after the point)");
    }
    long exp = 0;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        int eneg = 0;
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-')) {
            eneg = text[i] == '-';
            i++;
        }
        size_t exp_start = i;
        while (i < len && is_digit(text[i])) {
            if (exp < EXPONENT_CLAMP)
                exp = exp * 10 + (text[i] - '0');
            i++;
        }
        if (i == exp_start)
            return set_err(err, errlen, "not a decimal number (no digit in the exponent)");
        if (eneg)
            exp = -exp;
    }
    if (i != len)
        return set_err(err, errlen, "not a decimal number");

    /*
     * The digits D = integer digits then fraction digits, with the decimal point after
     * `point` of them (point may be negative or beyond D after the exponent). Strip leading
     * and trailing zeros, which change neither the value nor what it needs to be exact.
     */
    size_t n_int = int_end - int_start, n_frac = frac_end - frac_start;
    size_t n_digits = n_int + n_frac;
    long point = (long)n_int + exp;
    size_t lead = 0;
#define DIGIT_AT(k) ((k) < n_int ? text[int_start + (k)] : text[frac_start + (k)-n_int])
    while (lead < n_digits && DIGIT_AT(lead) == '0')
        lead++;
    if (lead == n_digits) {
        out->units = 0;
        return 0;
    }
    size_t last = n_digits; /* one past the last nonzero digit */
    while (last > lead && DIGIT_AT(last - 1) == '0')
        last--;
    long sig = (long)(last - lead);
    point -= (long)lead;
    long frac_digits = sig - point;
    if (frac_digits > DECIMAL_SCALE)
        return set_err(err, errlen, "more than 5 digits after the decimal point");
    if (point > DECIMAL_PRECISION - DECIMAL_SCALE)
        return set_err(err, errlen, "more than 14 digits before the decimal point");

    __int128 v = 0;
    for (size_t k = lead; k < last; k++)
        v = v * 10 + (DIGIT_AT(k) - '0');
#undef DIGIT_AT
    for (long s = frac_digits; s < DECIMAL_SCALE; s++)
        v *= 10;
    out->units = neg ? -v : v;
    return 0;
}

size_t decimal_format(struct decimal d, char *buf, size_t buflen)
{
    unsigned long long mag =
        d.units < 0 ? (unsigned long long)(-d.units) : (unsigned long long)d.units;
    unsigned long long ip = mag / 100000ULL, fp = mag % 100000ULL;
    char frac[8];
    int n;

    if (fp == 0) {
        n = snprintf(buf, buflen, "%s%llu", d.units < 0 ? "-" : "", ip);
    } else {
        snprintf(frac, sizeof(frac), "%05llu", fp);
        size_t fl = 5;
        while (fl > 0 && frac[fl - 1] == '0')
            frac[--fl] = '\0';
        n = snprintf(buf, buflen, "%s%llu.%s", d.units < 0 ? "-" : "", ip, frac);
    }
    return n < 0 ? 0 : (size_t)n;
}

struct decimal decimal_from_int(long long v)
{
    struct decimal d = {(__int128)v * DECIMAL_UNIT};
    return d;
}

int decimal_cmp(struct decimal a, struct decimal b)
{
    return a.units < b.units ? -1 : a.units > b.units ? 1 : 0;
}

bool decimal_is_zero(struct decimal d)
{
    return d.units == 0;
}

bool decimal_is_negative(struct decimal d)
{
    return d.units < 0;
}

bool decimal_is_integer(struct decimal d)
{
    return d.units % DECIMAL_UNIT == 0;
}

static int in_range(__int128 v)
{
    return v <= DECIMAL_MAX && v >= -DECIMAL_MAX;
}

int decimal_add(struct decimal a, struct decimal b, struct decimal *out)
{
    out->units = a.units + b.units; /* both within 10^19: no 128-bit overflow */
    return in_range(out->units) ? 0 : -1;
}

int decimal_sub(struct decimal a, struct decimal b, struct decimal *out)
{
    out->units = a.units - b.units;
    return in_range(out->units) ? 0 : -1;
}

int decimal_mul(struct decimal a, struct decimal b, struct decimal *out)
{
    return decimal_mul_round(a, b, DECIMAL_SCALE, out);
}

int decimal_mul_round(struct decimal a, struct decimal b, unsigned scale, struct decimal *out)
{
    __int128 div = DECIMAL_UNIT, back = 1;

    if (scale > DECIMAL_SCALE || !in_range(a.units) || !in_range(b.units))
        return -1;
    for (unsigned s = scale; s < DECIMAL_SCALE; s++) {
        div *= 10;
        back *= 10;
    }
    /* |a*b| < 10^38 < 2^127: the scale-10 product fits; it is rounded once, from exact. */
    __int128 p = a.units * b.units;
    int neg = p < 0;
    if (neg)
        p = -p;
    __int128 q = p / div, r = p % div;
    if (r * 2 >= div)
        q++;
    q *= back;
    out->units = neg ? -q : q;
    return in_range(out->units) ? 0 : -1;
}

struct decimal decimal_abs(struct decimal d)
{
    if (d.units < 0)
        d.units = -d.units;
    return d;
}
