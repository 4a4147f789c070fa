/*
 * test_pattern.c - unit tests of pattern.c against pattern.h: pattern_match gives the same
 * answer as regexec (regcomp REG_EXTENDED | REG_NOSUB, compiled here independently) on
 * fixed-shape patterns, which the byte-set matcher decides, and on the patterns it must
 * leave to regexec; every byte value against bracket classes and escapes; matching
 * examples, their one-byte mutations, random strings and all lengths around the
 * patterns'; and compile errors carrying regerror's text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <regex.h>

#include "pattern.h"
#include "util.h"

/* Patterns the byte-set matcher takes, each with values that match. */
static const struct {
    const char *re;
    const char *examples[4];
} fixed[] = {
    {"^[0-9]{10}$", {"0123456789", "9999999999"}},
    {"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$",
     {"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9"}},
    {"^([0-9A-Z]{10}|[0-9A-Z]{18}|NO)$", {"NO", "ABCDE12345", "ABCDEFGHI123456789"}},
    {"^19[0-9]{2}$", {"1900", "1999"}},
    {"^[0-9]$", {"0", "9"}},
    {"^A\\.B-[a-c]{2}$", {"A.B-ab", "A.B-cc"}},
    {"^(E|I)$", {"E", "I"}},
    {"^[A-Z]{2}[0-9]{3}$", {"CN142", "RU643"}},
    {"^\\$[0-9]{2}\\^$", {"$12^"}},
    {"^[-a]{2}$", {"-a", "a-", "--"}},
    {"^[a-]x$", {"ax", "-x"}},
    {"^(a|b|c|d|e|f|g|h)$", {"a", "h"}},
    {"^[!-/]{3}$", {"!#/", "+,-"}},
    {"^(\\(x\\)|\\|)$", {"(x)", "|"}},
    {"^[0-9]{64}$", {"0123456789012345678901234567890123456789012345678901234567890123"}},
};

/* Patterns left to regexec (still matched correctly). */
static const struct {
    const char *re;
    const char *examples[4];
} general[] = {
    {"^[0-9]{1,3}$", {"1", "123"}},
    {"^[0-9]+$", {"1", "1234567"}},
    {"^a*$", {"", "aaa"}},
    {"^.$", {"x", "-"}},
    {"^[^0-9]$", {"x", "-"}},
    {"^a|b$", {"a", "xb", "abc"}},
    {"[0-9]{10}", {"x0123456789y"}},
    {"^[[:digit:]]{3}$", {"123"}},
    {"^a{0}b$", {"b"}},
    {"^(ab)(cd)$", {"abcd"}},
    {"^\xc3\xa9$", {"\xc3\xa9"}},
    {"^[a-z]{65}$", {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm"}},
    {"^(a|b|c|d|e|f|g|h|i)$", {"a", "i"}},
    {"^(a|)$", {"a", ""}},
    {"^(|a)$", {"a", ""}},
    {"^[a\\]]$", {"a]"}},
    {"^[]a]$", {"]", "a"}},
    {"^a?$", {"", "a"}},
    {"^x\\d$", {"xd"}},
    {"^[0-9]{2}{3}$", {"123456"}},
    {"^\\$", {"$"}},
    {"^$", {""}},
    {"^[\t]$", {"\t"}},
    {"^[A-Z]{2}|[0-9]{3}$", {"AB", "xAB", "123", "AB123"}}, /* (^..)|(..$), not ^(..|..)$ */
    {"^[0-9]{99}$", {"1"}},
};

static regex_t compile_libc(const char *re)
{
    regex_t r;

    if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
        fail_msg("regcomp refused %s", re);
    return r;
}

/* pattern_match and regexec agree on s, or the test fails naming both. */
static void agree(const struct pattern *p, const regex_t *r, const char *re, const char *s)
{
    bool want = regexec(r, s, 0, NULL, 0) == 0;

    if (pattern_match(p, s) != want)
        fail_msg("%s on '%s': pattern_match %d, regexec %d", re, s, !want, want);
}

static const char alphabet[] = "0123456789ABCDEFINOXZabchxz-.$^|()!#+,/]\t \x7f\xc3\xa9\x80\xff";

/* Examples, each with every one-byte change, deletion and insertion; random strings. */
static size_t exercise(const char *re, const char *const *examples, unsigned *seed)
{
    struct pattern *p = NULL;
    regex_t r = compile_libc(re);
    char err[256], s[160];
    size_t matched = 0;

    assert_int_equal(pattern_compile(re, &p, err, sizeof(err)), 0);
    assert_non_null(p);
    for (size_t e = 0; e < 4 && examples[e]; e++) {
        const char *ex = examples[e];
        size_t n = strlen(ex);
        agree(p, &r, re, ex);
        matched += pattern_match(p, ex);
        for (size_t i = 0; i <= n; i++) {
            for (size_t a = 0; a < sizeof(alphabet) - 1; a++) {
                /* replace byte i */
                if (i < n) {
                    memcpy(s, ex, n + 1);
                    s[i] = alphabet[a];
                    agree(p, &r, re, s);
                }
                /* insert before byte i */
                memcpy(s, ex, i);
                s[i] = alphabet[a];
                memcpy(s + i + 1, ex + i, n - i + 1);
                agree(p, &r, re, s);
            }
            /* delete byte i */
            if (i < n) {
                memcpy(s, ex, i);
                memcpy(s + i, ex + i + 1, n - i);
                agree(p, &r, re, s);
            }
        }
    }
    for (int k = 0; k < 4000; k++) {
        size_t len = (size_t)(rand_r(seed) % 70);
        for (size_t i = 0; i < len; i++)
            s[i] = alphabet[rand_r(seed) % (sizeof(alphabet) - 1)];
        s[len] = '\0';
        agree(p, &r, re, s);
    }
    regfree(&r);
    pattern_free(p);
    return matched;
}

static void test_fixed_shapes_agree_with_regexec(void **state)
{
    unsigned seed = 20240512;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
        struct pattern *p = NULL;
        char err[256];
        size_t n_examples = 0;

        assert_int_equal(pattern_compile(fixed[i].re, &p, err, sizeof(err)), 0);
        if (!pattern_is_fixed(p))
            fail_msg("%s: expected the byte-set matcher", fixed[i].re);
        pattern_free(p);
        while (n_examples < 4 && fixed[i].examples[n_examples])
            n_examples++;
        /* Every example matches: the comparison is not only among non-matches. */
        assert_int_equal(exercise(fixed[i].re, fixed[i].examples, &seed), n_examples);
    }
}

static void test_general_patterns_use_regexec(void **state)
{
    unsigned seed = 7;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(general); i++) {
        struct pattern *p = NULL;
        char err[256];

        assert_int_equal(pattern_compile(general[i].re, &p, err, sizeof(err)), 0);
        if (pattern_is_fixed(p))
            fail_msg("%s: must be left to regexec", general[i].re);
        pattern_free(p);
        exercise(general[i].re, general[i].examples, &seed);
    }
}

/* Each byte 1..255 alone, and between two letters, against classes, ranges and escapes. */
static void test_every_byte(void **state)
{
    static const char *const res[] = {
        "^[0-9]$",   "^[!-/]$",  "^[a-cx-z]$", "^[A-Z0-9_]$", "^\\.$",
        "^\\\\$",    "^[-]$",    "^[ -~]$",    "^a[b-d]c$",   "^[a]{1}$",
        "^(\\.|-)$", "^\\[\\]$", "^[}{]$",     "^\\{$",       "^[|]$",
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(res); i++) {
        struct pattern *p = NULL;
        regex_t r = compile_libc(res[i]);
        char err[256], s[4];

        assert_int_equal(pattern_compile(res[i], &p, err, sizeof(err)), 0);
        for (unsigned b = 1; b < 256; b++) {
            s[0] = (char)b;
            s[1] = '\0';
            agree(p, &r, res[i], s);
            s[0] = 'a';
            s[1] = (char)b;
            s[2] = 'c';
            s[3] = '\0';
            agree(p, &r, res[i], s);
        }
        regfree(&r);
        pattern_free(p);
    }
}

/* A fixed-shape pattern looks only at the value's length first: every length 0..80. */
static void test_lengths(void **state)
{
    static const char *const res[] = {"^[0-9]{10}$", "^([0-9]{2}|[0-9]{5}|x)$", "^[0-9]{64}$"};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(res); i++) {
        struct pattern *p = NULL;
        regex_t r = compile_libc(res[i]);
        char err[256], s[81];
        size_t matched = 0;

        assert_int_equal(pattern_compile(res[i], &p, err, sizeof(err)), 0);
        assert_true(pattern_is_fixed(p));
        for (size_t len = 0; len <= 80; len++) {
            memset(s, '7', len);
            s[len] = '\0';
            agree(p, &r, res[i], s);
            matched += pattern_match(p, s);
        }
        assert_true(matched >= 1);
        regfree(&r);
        pattern_free(p);
    }
}

static void test_compile_errors(void **state)
{
    static const char *const bad[] = {"^[0-9{10}$", "a{2,1}", "(ab",      "x)",
                                      "[[:nope:]]", "\\",     "^[a-c-e]$"};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct pattern *p = (struct pattern *)&p; /* not NULL: must be reset */
        regex_t r;
        char err[256] = "", want[256] = "";
        int rc = regcomp(&r, bad[i], REG_EXTENDED | REG_NOSUB);

        if (rc == 0) {
            regfree(&r); /* this libc accepts it: then pattern_compile must too */
            assert_int_equal(pattern_compile(bad[i], &p, err, sizeof(err)), 0);
            pattern_free(p);
            continue;
        }
        regerror(rc, &r, want, sizeof(want));
        assert_int_equal(pattern_compile(bad[i], &p, err, sizeof(err)), -1);
        assert_null(p);
        assert_string_equal(err, want);
        assert_true(err[0] != '\0');
    }
    /* The rules file example: an unclosed bracket. */
    {
        struct pattern *p = NULL;
        char err[256];
        assert_int_equal(pattern_compile("^[0-9{10}$", &p, err, sizeof(err)), -1);
        assert_string_equal(err, "Unmatched [, [^, [:, [., or [=");
    }
    pattern_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_shapes_agree_with_regexec),
        cmocka_unit_test(test_general_patterns_use_regexec),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_compile_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
