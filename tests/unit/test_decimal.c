/*
 * test_decimal.c - unit tests of decimal.c against decimal.h: the parse grammar (JSON
 * number plus leading zeros), the N19,5 range with exponents (including absurd ones),
 * canonical formatting, comparison and predicates, and exact add/sub/mul with overflow
 * and half-away-from-zero rounding.
 *
 * Expected values are written as units of 10^-5 built from (whole, fraction) pairs, so a
 * parse result is checked against an independent number, not against decimal_format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decimal.h"

#define SCALE 100000LL /* 10^DECIMAL_SCALE */

/* whole * 10^5 + frac (frac in 10^-5 units), negated when neg; fits any N19,5 value. */
static struct decimal units_of(int neg, long long whole, long long frac)
{
    struct decimal d;

    d.units = (__int128)whole * SCALE + frac;
    if (neg)
        d.units = -d.units;
    return d;
}

static struct decimal max_value(void)
{
    return units_of(0, 99999999999999LL, 99999);
}

/* Print a 128-bit unit count for failure messages. */
static const char *units_text(__int128 u, char *buf, size_t len)
{
    char tmp[64];
    size_t n = 0;
    unsigned __int128 v = u < 0 ? -(unsigned __int128)u : (unsigned __int128)u;

    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v && n < sizeof(tmp));
    size_t o = 0;
    if (u < 0 && o + 1 < len)
        buf[o++] = '-';
    while (n && o + 1 < len)
        buf[o++] = tmp[--n];
    buf[o] = '\0';
    return buf;
}

static void assert_units(struct decimal got, struct decimal want, const char *what)
{
    char a[64], b[64];

    if (got.units != want.units)
        fail_msg("%s: got units %s, want %s", what, units_text(got.units, a, sizeof(a)),
                 units_text(want.units, b, sizeof(b)));
}

/* Parse `text` (NUL-terminated here; see the dedicated test for the length contract). */
static struct decimal parse_ok(const char *text)
{
    struct decimal d = {0};
    char err[256] = "";

    if (decimal_parse(text, strlen(text), &d, err, sizeof(err)) != 0)
        fail_msg("\"%s\": unexpected refusal: %s", text, err);
    return d;
}

/* Expect a refusal; when `reason` is not NULL the error must contain it. */
static void parse_refused(const char *text, size_t len, const char *reason)
{
    struct decimal d = {0};
    char err[256] = "";

    if (decimal_parse(text, len, &d, err, sizeof(err)) != -1)
        fail_msg("\"%.*s\": accepted, want a refusal", (int)len, text);
    if (err[0] == '\0')
        fail_msg("\"%.*s\": refused without a reason", (int)len, text);
    if (reason && !strstr(err, reason))
        fail_msg("\"%.*s\": reason \"%s\" does not contain \"%s\"", (int)len, text, err, reason);
}

static void refused(const char *text, const char *reason)
{
    parse_refused(text, strlen(text), reason);
}

static const char *fmt(struct decimal d, char *buf)
{
    size_t n = decimal_format(d, buf, DECIMAL_TEXT_MAX);

    assert_int_equal(n, strlen(buf));
    return buf;
}

/* ---- parse: accepted forms ---- */

static void test_parse_valid(void **state)
{
    static const struct {
        const char *text;
        int neg;
        long long whole, frac;
    } cases[] = {
        {"0", 0, 0, 0},
        {"-0", 0, 0, 0},
        {"0.0", 0, 0, 0},
        {"-0.00000", 0, 0, 0},
        {"1", 0, 1, 0},
        {"1399", 0, 1399, 0},
        {"1399.00", 0, 1399, 0},
        {"1.35", 0, 1, 35000},
        {"1.2", 0, 1, 20000},
        {"-0.5", 1, 0, 50000},
        {"-42", 1, 42, 0},
        {"007", 0, 7, 0},
        {"0012.50", 0, 12, 50000},
        {"00000000000000000001", 0, 1, 0}, /* leading zeros are not significant digits */
        {"1.500000", 0, 1, 50000},         /* trailing zeros are not digits after the point */
        {"1.00000000000000000000", 0, 1, 0},
        {"0.00001", 0, 0, 1},
        {"-0.00001", 1, 0, 1},
        {"12345678901234", 0, 12345678901234LL, 0},
        {"99999999999999.99999", 0, 99999999999999LL, 99999},
        {"-99999999999999.99999", 1, 99999999999999LL, 99999},
        {"99999999999999.999990000", 0, 99999999999999LL, 99999},
        /* exponents */
        {"1e2", 0, 100, 0},
        {"1E2", 0, 100, 0},
        {"1e+2", 0, 100, 0},
        {"1.5e2", 0, 150, 0},
        {"1.5E+2", 0, 150, 0},
        {"12345e-5", 0, 0, 12345},
        {"-12345e-5", 1, 0, 12345},
        {"100000e-5", 0, 1, 0},
        {"1.0e-5", 0, 0, 1},
        {"0.1e-4", 0, 0, 1},
        {"0.000001e1", 0, 0, 1},
        {"123.45e-2", 0, 1, 23450},
        {"123.456789e3", 0, 123456, 78900},
        {"1e13", 0, 10000000000000LL, 0},
        {"100000000000000e-1", 0, 10000000000000LL, 0}, /* 15 digits written, 14 in value */
        {"9.999999999999999999e13", 0, 99999999999999LL, 99999},
        {"1000000000e-9", 0, 1, 0},
        {"0e5", 0, 0, 0},
        {"0e-5", 0, 0, 0},
        {"0.0e+1", 0, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct decimal d = parse_ok(cases[i].text);

        assert_units(d, units_of(cases[i].neg, cases[i].whole, cases[i].frac), cases[i].text);
    }
}

/* The input is `len` bytes, not a C string: the parser must stop there and read no further. */
static void test_parse_length_not_nul(void **state)
{
    struct decimal d = {0};
    char err[128] = "";
    char *exact;

    (void)state;
    assert_int_equal(decimal_parse("1.25", 3, &d, err, sizeof(err)), 0);
    assert_units(d, units_of(0, 1, 20000), "\"1.25\" len 3");
    assert_int_equal(decimal_parse("12345", 2, &d, err, sizeof(err)), 0);
    assert_units(d, units_of(0, 12, 0), "\"12345\" len 2");
    /* "1.5e2" cut before the exponent digits is "1.5e": refused. */
    parse_refused("1.5e2", 4, NULL);

    /* An exact-size heap buffer without NUL: ASan reports any read past it. */
    exact = malloc(7);
    assert_non_null(exact);
    memcpy(exact, "1399.50", 7);
    assert_int_equal(decimal_parse(exact, 7, &d, err, sizeof(err)), 0);
    assert_units(d, units_of(0, 1399, 50000), "exact buffer \"1399.50\"");
    memcpy(exact, "1399.5e", 7);
    assert_int_equal(decimal_parse(exact, 7, &d, err, sizeof(err)), -1);
    free(exact);

    /* An embedded NUL is a byte like any other, and not a digit. */
    parse_refused("1\0", 2, NULL);
    parse_refused("\0", 1, NULL);
}

/* ---- parse: refusals ---- */

static void test_parse_grammar_refused(void **state)
{
    static const char *bad[] = {
        "",
        "-",
        ".5",
        "5.",
        "+1",
        " 1",
        "1 ",
        "\t1",
        "1\n",
        "0x10",
        "NaN",
        "nan",
        "-NaN",
        "Inf",
        "Infinity",
        "-Infinity",
        "1e",
        "1e+",
        "1e-",
        "1E",
        "e5",
        "-e5",
        ".e5",
        "1.e5",
        "-.5",
        "1.2.3",
        "1..2",
        "--1",
        "-+1",
        "1,5",
        "1_000",
        "1 000",
        "one",
        "1a",
        "a1",
        "1.5f",
        "1e5.5",
        "1e+-5",
        "1ee5",
        "0.5.",
        "\xd9\xa1" /* ARABIC-INDIC DIGIT ONE */,
        "\xef\xbc\x91" /* FULLWIDTH 1 */,
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(bad[i], NULL);
}

static void test_parse_reasons(void **state)
{
    (void)state;
    refused("1.000001", "more than 5 digits after the decimal point");
    refused("0.123456", "more than 5 digits after the decimal point");
    refused("-0.000001", "more than 5 digits after the decimal point");
    refused("1e-6", "more than 5 digits after the decimal point");
    refused("12345.6789e-3", "more than 5 digits after the decimal point");
    refused("123456789012345", "more than 14 digits before the decimal point");
    refused("-123456789012345", "more than 14 digits before the decimal point");
    refused("100000000000000.5", "more than 14 digits before the decimal point");
    refused("1e14", "more than 14 digits before the decimal point");
    refused("0.1e15", "more than 14 digits before the decimal point");
    refused("abc", "not a decimal number");
    refused("", "not a decimal number");
    refused("1.5.", "not a decimal number");
}

/*
 * Expect a refusal whose reason is one of the three that decimal.h documents (the exact one
 * for absurd inputs is the implementation's choice).
 */
static void refused_documented(const char *text)
{
    struct decimal d = {0};
    char err[256] = "";

    if (decimal_parse(text, strlen(text), &d, err, sizeof(err)) != -1)
        fail_msg("\"%.40s...\": accepted, want a refusal", text);
    if (!strstr(err, "more than 5 digits after the decimal point") &&
        !strstr(err, "more than 14 digits before the decimal point") &&
        !strstr(err, "not a decimal number"))
        fail_msg("\"%.40s...\": undocumented reason \"%s\"", text, err);
}

/* Exponents far outside any int range must be refused (or zero), never wrap or overflow. */
static void test_parse_huge_exponents(void **state)
{
    char buf[512];

    (void)state;
    refused_documented("1e999999999999");
    refused_documented("1e99999999999999999999999999999999");
    refused_documented("1e-999999999999");
    refused_documented("1e-99999999999999999999999999999999");
    refused_documented("1e2147483648");
    refused_documented("1e-2147483649");
    refused_documented("1e9223372036854775807");
    refused_documented("1e9223372036854775808");
    refused_documented("1e-9223372036854775808");
    refused_documented("-1e18446744073709551616");
    /* The digits and the exponent can cancel: 10^20 * 10^-20 = 1, exactly representable. */
    assert_units(parse_ok("100000000000000000000e-20"), units_of(0, 1, 0),
                 "100000000000000000000e-20");
    assert_units(parse_ok("0.00000000000000000001e20"), units_of(0, 1, 0),
                 "0.00000000000000000001e20");
    /* Zero with any exponent is still exactly zero. */
    assert_units(parse_ok("0e999999999"), units_of(0, 0, 0), "0e999999999");
    assert_units(parse_ok("0e-999999999"), units_of(0, 0, 0), "0e-999999999");
    assert_units(parse_ok("-0.0e99999999999999999999"), units_of(0, 0, 0),
                 "-0.0e99999999999999999999");

    /* A 400-digit integer. */
    memset(buf, '0', 400);
    buf[0] = '1';
    buf[400] = '\0';
    refused_documented(buf);
    /* ... negative, and 400 significant fraction digits. */
    buf[0] = '-';
    buf[1] = '1';
    refused_documented(buf);
    memset(buf, '1', 400);
    buf[1] = '.';
    refused_documented(buf);
    /* 400 nines with a matching negative exponent: 0.999...9 (400 digits after). */
    memset(buf, '9', 400);
    snprintf(buf + 400, 100, "e-400");
    refused_documented(buf);
}

/* Errors respect errlen and are NUL-terminated; no byte past errlen is written. */
static void test_parse_err_truncated(void **state)
{
    char buf[64];
    struct decimal d;

    (void)state;
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(decimal_parse("1.000001", 8, &d, buf, 8), -1);
    assert_true(memchr(buf, '\0', 8) != NULL);
    for (size_t i = 8; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 'Z');
}

/* ---- format ---- */

static void test_format(void **state)
{
    static const struct {
        int neg;
        long long whole, frac;
        const char *want;
    } cases[] = {
        {0, 1399, 0, "1399"},
        {0, 1, 35000, "1.35"},
        {1, 0, 50000, "-0.5"},
        {0, 0, 0, "0"},
        {0, 0, 1, "0.00001"},
        {1, 0, 1, "-0.00001"},
        {0, 10, 0, "10"},
        {0, 100, 10000, "100.1"},
        {0, 0, 12345, "0.12345"},
        {1, 42, 0, "-42"},
        {0, 99999999999999LL, 99999, "99999999999999.99999"},
        {1, 99999999999999LL, 99999, "-99999999999999.99999"},
    };
    char buf[DECIMAL_TEXT_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct decimal d = units_of(cases[i].neg, cases[i].whole, cases[i].frac);

        assert_string_equal(fmt(d, buf), cases[i].want);
    }
    /* Negative zero from parsing formats as "0", never "-0". */
    assert_string_equal(fmt(parse_ok("-0"), buf), "0");
    assert_string_equal(fmt(parse_ok("-0.00000e3"), buf), "0");
    /* Round trip: canonical text parses back to the same value. */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct decimal d = units_of(cases[i].neg, cases[i].whole, cases[i].frac);

        assert_units(parse_ok(fmt(d, buf)), d, cases[i].want);
    }
    /* Canonical form of inputs with leading zeros, exponents, trailing zeros. */
    assert_string_equal(fmt(parse_ok("0012.50"), buf), "12.5");
    assert_string_equal(fmt(parse_ok("1.5e2"), buf), "150");
    assert_string_equal(fmt(parse_ok("1399.00"), buf), "1399");
    assert_string_equal(fmt(parse_ok("12345e-5"), buf), "0.12345");
}

/* ---- construction, comparison, predicates ---- */

static void test_from_int(void **state)
{
    char buf[DECIMAL_TEXT_MAX];

    (void)state;
    assert_units(decimal_from_int(3), units_of(0, 3, 0), "from_int(3)");
    assert_units(decimal_from_int(0), units_of(0, 0, 0), "from_int(0)");
    assert_units(decimal_from_int(-7), units_of(1, 7, 0), "from_int(-7)");
    assert_units(decimal_from_int(99999999999999LL), units_of(0, 99999999999999LL, 0),
                 "from_int(max whole)");
    assert_string_equal(fmt(decimal_from_int(1399), buf), "1399");
}

static void test_cmp_and_predicates(void **state)
{
    struct decimal a = parse_ok("1.35"), b = parse_ok("1.350"), c = parse_ok("1.34999");
    struct decimal neg = parse_ok("-0.00001"), zero = parse_ok("0"), nzero = parse_ok("-0");

    (void)state;
    assert_int_equal(decimal_cmp(a, b), 0);
    assert_int_equal(decimal_cmp(a, c), 1);
    assert_int_equal(decimal_cmp(c, a), -1);
    assert_int_equal(decimal_cmp(neg, zero), -1);
    assert_int_equal(decimal_cmp(zero, nzero), 0);
    assert_int_equal(decimal_cmp(max_value(), decimal_abs(units_of(1, 99999999999999LL, 99999))),
                     0);
    assert_int_equal(decimal_cmp(units_of(1, 99999999999999LL, 99999), max_value()), -1);

    assert_true(decimal_is_zero(zero));
    assert_true(decimal_is_zero(nzero));
    assert_false(decimal_is_zero(neg));
    assert_true(decimal_is_negative(neg));
    assert_false(decimal_is_negative(zero));
    assert_false(decimal_is_negative(nzero));
    assert_false(decimal_is_negative(a));

    assert_true(decimal_is_integer(parse_ok("150")));
    assert_true(decimal_is_integer(parse_ok("1.5e2")));
    assert_true(decimal_is_integer(parse_ok("-3.000")));
    assert_true(decimal_is_integer(zero));
    assert_false(decimal_is_integer(parse_ok("1.5")));
    assert_false(decimal_is_integer(parse_ok("-2.00001")));
    assert_false(decimal_is_integer(parse_ok("0.5")));

    assert_units(decimal_abs(parse_ok("-0.5")), units_of(0, 0, 50000), "abs(-0.5)");
    assert_units(decimal_abs(parse_ok("0.5")), units_of(0, 0, 50000), "abs(0.5)");
    assert_units(decimal_abs(units_of(1, 99999999999999LL, 99999)), max_value(), "abs(min)");
}

/* ---- arithmetic ---- */

static void test_add_sub(void **state)
{
    struct decimal r, unit = units_of(0, 0, 1), min = units_of(1, 99999999999999LL, 99999);
    char buf[DECIMAL_TEXT_MAX];

    (void)state;
    /* The classic binary floating point failure is exact here. */
    assert_int_equal(decimal_add(parse_ok("0.1"), parse_ok("0.2"), &r), 0);
    assert_int_equal(decimal_cmp(r, parse_ok("0.3")), 0);
    assert_string_equal(fmt(r, buf), "0.3");

    assert_int_equal(decimal_add(parse_ok("1399"), parse_ok("-1399.00001"), &r), 0);
    assert_units(r, units_of(1, 0, 1), "1399 + -1399.00001");
    assert_int_equal(decimal_sub(parse_ok("1.35"), parse_ok("1.2"), &r), 0);
    assert_units(r, units_of(0, 0, 15000), "1.35 - 1.2");
    assert_int_equal(decimal_sub(parse_ok("1.2"), parse_ok("1.35"), &r), 0);
    assert_units(r, units_of(1, 0, 15000), "1.2 - 1.35");

    /* Edges of the range: reaching them is fine, passing them is -1. */
    assert_int_equal(decimal_add(max_value(), min, &r), 0);
    assert_true(decimal_is_zero(r));
    assert_int_equal(decimal_add(units_of(0, 99999999999999LL, 99998), unit, &r), 0);
    assert_units(r, max_value(), "max-1 + 0.00001");
    assert_int_equal(decimal_add(max_value(), unit, &r), -1);
    assert_int_equal(decimal_add(min, units_of(1, 0, 1), &r), -1);
    assert_int_equal(decimal_add(max_value(), max_value(), &r), -1);
    assert_int_equal(decimal_add(min, min, &r), -1);
    assert_int_equal(decimal_sub(min, unit, &r), -1);
    assert_int_equal(decimal_sub(max_value(), units_of(1, 0, 1), &r), -1);
    assert_int_equal(decimal_sub(max_value(), min, &r), -1);
    assert_int_equal(decimal_sub(decimal_from_int(0), max_value(), &r), 0);
    assert_units(r, min, "0 - max");
    assert_int_equal(decimal_sub(decimal_from_int(0), min, &r), 0);
    assert_units(r, max_value(), "0 - min");
}

static void mul_is(const char *a, const char *b, int neg, long long whole, long long frac)
{
    struct decimal r = {0};
    char what[128];

    snprintf(what, sizeof(what), "%s * %s", a, b);
    if (decimal_mul(parse_ok(a), parse_ok(b), &r) != 0)
        fail_msg("%s: unexpected overflow", what);
    assert_units(r, units_of(neg, whole, frac), what);
}

static void test_mul(void **state)
{
    struct decimal r, min = units_of(1, 99999999999999LL, 99999);

    (void)state;
    mul_is("3", "0.1", 0, 0, 30000);
    mul_is("1399", "1", 0, 1399, 0);
    mul_is("2.5", "1.5", 0, 3, 75000);
    mul_is("0.33333", "3", 0, 0, 99999);
    mul_is("-2", "0.5", 1, 1, 0);
    mul_is("-2", "-0.5", 0, 1, 0);
    mul_is("0", "-5", 0, 0, 0);
    /* Rounding to 5 places, half away from zero (not half-even, not truncation). */
    mul_is("0.00001", "0.5", 0, 0, 1);         /* 0.000005 -> 0.00001 */
    mul_is("-0.00001", "0.5", 1, 0, 1);        /* -0.000005 -> -0.00001 */
    mul_is("0.00001", "-0.5", 1, 0, 1);        /* -0.000005 -> -0.00001 */
    mul_is("0.00001", "0.4", 0, 0, 0);         /* 0.000004 -> 0 */
    mul_is("0.00001", "0.49999", 0, 0, 0);     /* 0.0000049999 -> 0 */
    mul_is("0.00001", "0.50001", 0, 0, 1);     /* 0.0000050001 -> 0.00001 */
    mul_is("-0.00001", "0.4", 0, 0, 0);        /* -0.000004 -> 0 */
    mul_is("0.00001", "0.00001", 0, 0, 0);     /* 1e-10 -> 0 */
    mul_is("0.00015", "0.1", 0, 0, 2);         /* 0.000015 -> 0.00002 */
    mul_is("0.00025", "0.1", 0, 0, 3);         /* 0.000025 -> 0.00003 (half-even would give 2) */
    mul_is("-0.00025", "0.1", 1, 0, 3);        /* -0.000025 -> -0.00003 */
    mul_is("1.23456", "1.00001", 0, 1, 23457); /* 1.2345723456 */
    mul_is("-1.23456", "1.00001", 1, 1, 23457);
    mul_is("2.99999", "0.99999", 0, 2, 99996); /* 2.9999600001 */
    mul_is("9999999", "10000000", 0, 99999990000000LL, 0);
    mul_is("99999999999999.99999", "1", 0, 99999999999999LL, 99999);
    mul_is("99999999999999.99999", "-1", 1, 99999999999999LL, 99999);
    mul_is("99999999999999.99999", "0.00001", 0, 1000000000, 0); /* 999999999.9999999999 */
    mul_is("12345678.12345", "0.5", 0, 6172839, 6173);           /* 6172839.061725 */

    /* Overflow: the exact product, or its rounding, leaves the range. */
    assert_int_equal(decimal_mul(parse_ok("10000000"), parse_ok("10000000"), &r), -1);
    assert_int_equal(decimal_mul(parse_ok("2"), max_value(), &r), -1);
    assert_int_equal(decimal_mul(max_value(), parse_ok("1.00001"), &r), -1);
    assert_int_equal(decimal_mul(max_value(), max_value(), &r), -1);
    assert_int_equal(decimal_mul(min, max_value(), &r), -1);
    assert_int_equal(decimal_mul(min, min, &r), -1);
    /* Exact product 99999999999999.9999999990 is in range before rounding, not after. */
    assert_int_equal(decimal_mul(parse_ok("99999000009999.9"), parse_ok("1.00001"), &r), -1);
    /* Exact product 99999999999999.9999940002 rounds down onto the maximum. */
    assert_int_equal(decimal_mul(parse_ok("99998000039999.20001"), parse_ok("1.00002"), &r), 0);
    assert_units(r, max_value(), "99998000039999.20001 * 1.00002");
    assert_int_equal(decimal_mul(parse_ok("33333333333333.33333"), parse_ok("3.00001"), &r), -1);
}

static void mul_round_is(const char *a, const char *b, unsigned scale, const char *want)
{
    struct decimal r = {0};
    char got[DECIMAL_TEXT_MAX];

    if (decimal_mul_round(parse_ok(a), parse_ok(b), scale, &r) != 0)
        fail_msg("%s * %s to %u places: unexpected failure", a, b, scale);
    decimal_format(r, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s * %s to %u places: got %s, want %s", a, b, scale, got, want);
}

/* One rounding from the exact product, half away from zero, to 0..5 places. */
static void test_mul_round(void **state)
{
    struct decimal r;

    (void)state;
    mul_round_is("3", "89.9", 2, "269.7");
    mul_round_is("0.333", "3", 2, "1");         /* 0.999 -> 1.00 */
    mul_round_is("1.23", "45.67", 2, "56.17");  /* 56.1741 */
    mul_round_is("0.005", "1", 2, "0.01");      /* half up */
    mul_round_is("0.00499", "1", 2, "0");       /* below half */
    mul_round_is("-0.005", "1", 2, "-0.01");    /* half away from zero */
    mul_round_is("0.00999", "0.5", 2, "0");     /* 0.004995: no double rounding via 0.00500 */
    mul_round_is("0.00999", "0.5", 5, "0.005"); /* the same product to 5 places */
    mul_round_is("2.5", "1", 0, "3");
    mul_round_is("2.49999", "1", 0, "2");
    mul_round_is("1.23456", "1.00001", 5, "1.23457"); /* scale 5 is decimal_mul */
    mul_round_is("99999999999999.99", "1", 2, "99999999999999.99");
    assert_int_equal(decimal_mul_round(parse_ok("1"), parse_ok("1"), 6, &r), -1);
    /* 99999999999999.995 rounds to 100000000000000.00: out of range. */
    assert_int_equal(decimal_mul_round(parse_ok("99999999999999.995"), parse_ok("1"), 2, &r), -1);
    assert_int_equal(decimal_mul_round(parse_ok("10000000"), parse_ok("10000000"), 2, &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_length_not_nul),
        cmocka_unit_test(test_parse_grammar_refused),
        cmocka_unit_test(test_parse_reasons),
        cmocka_unit_test(test_parse_huge_exponents),
        cmocka_unit_test(test_parse_err_truncated),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_from_int),
        cmocka_unit_test(test_cmp_and_predicates),
        cmocka_unit_test(test_add_sub),
        cmocka_unit_test(test_mul),
        cmocka_unit_test(test_mul_round),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
