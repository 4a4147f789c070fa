/*
 * test_scan.c - unit tests for the warehouse scan decoder (scan.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan.h"

static struct warehouse_scan *decode(const char *json, char **key, char *err, size_t errlen)
{
    return scan_decode(json, strlen(json), 0, key, err, errlen);
}

static void test_arrival_ceb_time(void **state)
{
    (void)state;
    char err[256], *key = NULL;
    struct warehouse_scan *s =
        decode("{\"logisticsNo\":\"YL1\",\"scan\":\"arrival\",\"scannedAt\":\"20240512103000\","
               "\"loctNo\":\"1900W00001\",\"totalPackageNo\":\"PKG-7\"}",
               &key, err, sizeof(err));
    assert_non_null(s);
    assert_string_equal(s->logisticsNo, "YL1");
    assert_int_equal(s->kind, SCAN_ARRIVAL);
    /* CEB times are China Standard Time */
    assert_string_equal(s->scanned_at, "2024-05-12T10:30:00+08:00");
    assert_string_equal(s->loctNo, "1900W00001");
    assert_string_equal(s->totalPackageNo, "PKG-7");
    assert_string_equal(key, "YL1");
    assert_string_equal(scan_kind_name(s->kind), "arrival");
    free(key);
    scan_free(s);
}

static void test_departure_iso_time(void **state)
{
    (void)state;
    char err[256];
    const char *ok[] = {"2024-05-12T02:30:00Z", "2024-05-12T10:30:00.123+08:00",
                        "2024-02-29 23:59:59-03:30"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{\"logisticsNo\":\"YL2\",\"scan\":\"departure\",\"scannedAt\":\"%s\"}", ok[i]);
        struct warehouse_scan *s = decode(json, NULL, err, sizeof(err));
        assert_non_null(s);
        assert_int_equal(s->kind, SCAN_DEPARTURE);
        assert_null(s->loctNo);
        assert_int_equal(strlen(s->scanned_at), strlen(ok[i]));
        assert_int_equal(s->scanned_at[10], 'T');
        scan_free(s);
    }
}

static void expect_refused(const char *json, const char *reason_part, const char *want_key)
{
    char err[256] = "", *key = NULL;
    struct warehouse_scan *s = decode(json, &key, err, sizeof(err));
    if (s || !strstr(err, reason_part))
        print_error("input %s: got %s / err '%s', want reason with '%s'\n", json,
                    s ? "a scan" : "NULL", err, reason_part);
    assert_null(s);
    assert_non_null(strstr(err, reason_part));
    if (want_key)
        assert_string_equal(key, want_key);
    else
        assert_null(key);
    free(key);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused("", "empty", NULL);
    expect_refused("{\"logisticsNo\":\"YL3\"", "invalid JSON", NULL);
    expect_refused("[1]", "not an object", NULL);
    expect_refused("{\"scan\":\"arrival\",\"scannedAt\":\"20240512103000\"}", "logisticsNo", NULL);
    expect_refused("{\"logisticsNo\":7,\"scan\":\"arrival\"}", "logisticsNo", NULL);
    expect_refused(
        "{\"logisticsNo\":\"YL3\",\"scan\":\"arrived\",\"scannedAt\":\"20240512103000\"}",
        "neither \"arrival\"", "YL3");
    expect_refused("{\"logisticsNo\":\"YL3\",\"scan\":\"arrival\"}", "scannedAt: missing", "YL3");
    expect_refused(
        "{\"logisticsNo\":\"YL3\",\"scan\":\"arrival\",\"scannedAt\":\"20240230103000\"}",
        "scannedAt", "YL3");
    expect_refused(
        "{\"logisticsNo\":\"YL3\",\"scan\":\"arrival\",\"scannedAt\":\"2024-05-12T10:30:00\"}",
        "offset", "YL3");
    expect_refused("{\"logisticsNo\":\"YL3\",\"scan\":\"arrival\",\"scan\":\"departure\"}",
                   "duplicate key", NULL);
    expect_refused("{\"logisticsNo\":\"YL3\",\"scan\":\"arrival\",\"scannedAt\":"
                   "\"20240512103000\",\"loctNo\":\"12345678901\"}",
                   "loctNo: longer than 10", "YL3");
    expect_refused("{\"logisticsNo\":\"YL\\u0000\",\"scan\":\"arrival\"}", "NUL", NULL);
}

/* The prologue's refusals in the scan's own words, exactly. */
static void test_exact_reasons(void **state)
{
    (void)state;
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"[1]", "not a warehouse scan: the record is a JSON array, not an object"},
        {"{\"scan\":\"arrival\"}", "logisticsNo: missing"},
        {"{\"logisticsNo\":null}", "logisticsNo: missing"},
        {"{\"logisticsNo\":[]}", "logisticsNo: expected a string, got array"},
        {"12", "invalid JSON: continue"},
        {"{\"logisticsNo\":\"YL5\",\"scan\":\"arrival\",\"scan\":\"arrival\"}",
         "duplicate key \"scan\" in the top-level object"},
        {"{\"logisticsNo\":\"YL5\",\"x\":[[[[1]]]]}",
         "invalid JSON at byte 28: nesting deeper than 4 levels"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "", *key = NULL;
        struct warehouse_scan *s = decode(cases[i].json, &key, err, sizeof(err));
        assert_null(s);
        assert_null(key);
        if (strcmp(err, cases[i].want) != 0)
            print_error("input %s: got '%s', want '%s'\n", cases[i].json, err, cases[i].want);
        assert_string_equal(err, cases[i].want);
    }
    /* the default limit is 64 KiB */
    size_t big = 64 * 1024 + 1;
    char *json = malloc(big);
    char err[256];
    assert_non_null(json);
    memset(json, ' ', big);
    json[0] = '{';
    json[big - 1] = '}';
    assert_null(scan_decode(json, big, 0, NULL, err, sizeof(err)));
    assert_string_equal(err, "record too large: 65537 bytes, limit 65536 bytes");
    free(json);
}

/*
 * The field refusals, exactly: the words of the declaration's text fields
 * (decl_check_string), the field table's CEB603 lengths for loctNo and totalPackageNo.
 */
static void test_exact_field_reasons(void **state)
{
    (void)state;
#define SCAN_OK "\"logisticsNo\":\"YL6\",\"scan\":\"arrival\",\"scannedAt\":\"20240512103000\""
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"logisticsNo\":\"YL6\",\"scan\":7}", "scan: expected a string, got int"},
        {"{\"logisticsNo\":\"YL6\",\"scan\":\"\"}", "scan: empty"},
        {"{\"logisticsNo\":\"YL6\",\"scan\":\"arrival\",\"scannedAt\":\"2024\\u0000\"}",
         "scannedAt: contains a NUL character (\\u0000)"},
        {"{\"logisticsNo\":\"YL6\",\"scan\":\"arrival\",\"scannedAt\":"
         "\"2024-05-12T10:30:00.123456789+08:00:00:00\"}",
         "scannedAt: longer than 40 characters"},
        {"{" SCAN_OK ",\"loctNo\":true}", "loctNo: expected a string, got boolean"},
        {"{" SCAN_OK ",\"loctNo\":\"\\u00001\"}", "loctNo: contains a NUL character (\\u0000)"},
        {"{" SCAN_OK ",\"loctNo\":\"鸡西鸡西鸡西鸡西鸡西鸡\"}",
         "loctNo: longer than 10 characters"},
        {"{" SCAN_OK ",\"totalPackageNo\":\"1234567890123456789012345678901234567890"
         "123456789012345678901\"}",
         "totalPackageNo: longer than 60 characters"},
    };
#undef SCAN_OK
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "", *key = NULL;
        struct warehouse_scan *s = decode(cases[i].json, &key, err, sizeof(err));
        assert_null(s);
        assert_string_equal(key, "YL6");
        free(key);
        if (strcmp(err, cases[i].want) != 0)
            print_error("input %s: got '%s', want '%s'\n", cases[i].json, err, cases[i].want);
        assert_string_equal(err, cases[i].want);
    }
    /* empty optional fields and exactly the CEB603 lengths pass */
    struct warehouse_scan *s =
        decode("{"
               "\"logisticsNo\":\"YL6\",\"scan\":\"arrival\",\"scannedAt\":\"20240512103000\""
               ",\"loctNo\":\"鸡西鸡西鸡西鸡西鸡西\",\"totalPackageNo\":\"\"}",
               NULL, (char[256]){0}, 256);
    assert_non_null(s);
    assert_string_equal(s->loctNo, "鸡西鸡西鸡西鸡西鸡西");
    scan_free(s);
}

static void test_size_limit(void **state)
{
    (void)state;
    char err[256];
    const char *json = "{\"logisticsNo\":\"YL4\",\"scan\":\"arrival\",\"scannedAt\":"
                       "\"20240512103000\"}";
    assert_null(scan_decode(json, strlen(json), 20, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "too large"));
    struct warehouse_scan *s = scan_decode(json, strlen(json), strlen(json), NULL, err, 256);
    assert_non_null(s);
    scan_free(s);
    scan_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arrival_ceb_time),
        cmocka_unit_test(test_departure_iso_time),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_exact_reasons),
        cmocka_unit_test(test_exact_field_reasons),
        cmocka_unit_test(test_size_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
