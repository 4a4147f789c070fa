/*
 * test_declaration.c - unit tests of declaration.c against declaration.h: a full CEB603
 * declaration (tests/data/decl/example.json) decoded field by field, decimals as strings
 * and numbers, integers, null as absent, unknown keys, every refusal class with the field
 * named in the reason and the key (logisticsNo) handed back for receipts, size and depth
 * limits, the field table against the CEB603 lengths of docs/DOMAIN.md section 1, the
 * accessors, decl_utf8_length, and the JSONTestSuite corpus (raw and inside an unknown key).
 *
 * Fixtures live in tests/data/decl/; paths are relative to the source tree, which is the
 * working directory unless CUSTOMSD_SRCDIR says otherwise. The JSONTestSuite directory is
 * $CUSTOMSD_JSONTESTSUITE, default tests/data/jsontestsuite/test_parsing in the source tree;
 * that test is skipped when the directory is missing.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "declaration.h"
#include "scan.h"
#include "util.h"

static char path_buf[4096];

/* A path inside the source tree. */
static const char *src(const char *rel)
{
    const char *dir = getenv("CUSTOMSD_SRCDIR");

    if (dir && *dir)
        snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, rel);
    else
        snprintf(path_buf, sizeof(path_buf), "%s", rel);
    return path_buf;
}

/* ---- helpers ---- */

/* Passed as want_key: the key may be anything (or NULL); only that it is freed matters. */
static const char KEY_ANY[] = "<any key>";

/* Sentinel stored in *key_out before each call, to see that the decoder always sets it. */
static char key_unset;

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        fail_msg("out of memory");
    va_end(ap);
    return s;
}

/* `unit` repeated n times; caller frees. */
static char *repeat(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = malloc(ul * n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * n] = '\0';
    return s;
}

/*
 * Check the key handed back, then free it (also on failure, so that a failing test does not
 * show up as a leak in the decoder under ASan).
 */
static void check_key(char *key, const char *want_key, const char *what)
{
    char msg[1024] = "";

    if (key == &key_unset) {
        fail_msg("%s: *key_out was not set", what);
        return;
    }
    if (want_key == KEY_ANY)
        ;
    else if (!want_key && key)
        snprintf(msg, sizeof(msg), "%s: key \"%s\", want NULL", what, key);
    else if (want_key && !key)
        snprintf(msg, sizeof(msg), "%s: key NULL, want \"%s\"", what, want_key);
    else if (want_key && strcmp(key, want_key) != 0)
        snprintf(msg, sizeof(msg), "%s: key \"%s\", want \"%s\"", what, key, want_key);
    free(key);
    if (msg[0])
        fail_msg("%s", msg);
}

/* Decode bytes that must be accepted; the key handed back must be the logisticsNo. */
static struct declaration *decode_ok_len(const char *data, size_t len, size_t max_bytes)
{
    char err[1024] = "";
    char *key = &key_unset;
    struct declaration *d = declaration_decode(data, len, max_bytes, &key, err, sizeof(err));

    if (!d) {
        if (key != &key_unset)
            free(key);
        fail_msg("unexpected refusal: %s\n  input: %.300s", err, data);
    }
    assert_non_null(d->logisticsNo);
    check_key(key, d->logisticsNo, "accepted declaration");
    return d;
}

static struct declaration *decode_ok(const char *json)
{
    return decode_ok_len(json, strlen(json), 0);
}

static bool contains_ci(const char *hay, const char *needle)
{
    return needle == NULL || strcasestr(hay, needle) != NULL;
}

/*
 * Decode bytes that must be refused. The reason must contain `sub1` and `sub2` (either may
 * be NULL; case-insensitive), the key must be want_key (NULL = must be NULL, KEY_ANY).
 */
static void refused_len(const char *data, size_t len, size_t max_bytes, const char *want_key,
                        const char *sub1, const char *sub2)
{
    char err[1024] = "";
    char *key = &key_unset;
    struct declaration *d = declaration_decode(data, len, max_bytes, &key, err, sizeof(err));

    if (d) {
        declaration_free(d);
        if (key != &key_unset)
            free(key);
        fail_msg("accepted, want a refusal\n  input: %.300s", data);
    }
    check_key(key, want_key, err); /* frees key */
    if (err[0] == '\0')
        fail_msg("refused without a reason\n  input: %.300s", data);
    if (!contains_ci(err, sub1) || !contains_ci(err, sub2))
        fail_msg("reason \"%s\" lacks \"%s\"%s%s%s\n  input: %.300s", err, sub1 ? sub1 : "",
                 sub2 ? " and \"" : "", sub2 ? sub2 : "", sub2 ? "\"" : "", data);
}

static void refused(const char *json, const char *want_key, const char *sub1, const char *sub2)
{
    refused_len(json, strlen(json), 0, want_key, sub1, sub2);
}

/*
 * Decode a readable declaration with a field that breaks the CEB603 format: it must decode
 * (key = "YL1") with at least one fault; the first fault, written as the rule CEB603-FORMAT
 * words it ("items[0].price: '1,5' is not ..."), must contain `sub1` and `sub2` (either may
 * be NULL; case-insensitive), and the faulted member must be absent.
 */
static void faulted(const char *json, const char *sub1, const char *sub2)
{
    struct declaration *d = decode_ok(json);
    char text[1024];

    if (d->n_faults == 0) {
        declaration_free(d);
        fail_msg("decoded without a fault\n  input: %.300s", json);
    }
    assert_non_null(d->faults);
    const struct decl_fault *f = &d->faults[0];
    char loc[64];
    if (f->item < 0)
        snprintf(loc, sizeof(loc), "%s", f->name);
    else
        snprintf(loc, sizeof(loc), "items[%ld]%s%s", f->item, f->name[0] ? "." : "", f->name);
    snprintf(text, sizeof(text), "%s: %s%s%s %s", loc, f->text ? "'" : "", f->value,
             f->text ? "'" : "", f->why);
    if (!contains_ci(text, sub1) || !contains_ci(text, sub2))
        fail_msg("fault \"%s\" lacks \"%s\" or \"%s\"\n  input: %.300s", text, sub1 ? sub1 : "",
                 sub2 ? sub2 : "", json);
    if (f->why[0] == '\0')
        fail_msg("fault without a reason: %s", text);
    /* The member is left absent: nothing unreadable reaches a column. */
    const void *base = f->item < 0                    ? (const void *)d
                       : (size_t)f->item < d->n_items ? (const void *)&d->items[f->item]
                                                      : NULL;
    const struct decl_field *fd = f->name[0] ? decl_field_find(f->item >= 0, f->name) : NULL;
    if (base && fd) {
        bool present = fd->kind == DECL_STRING    ? decl_get_string(base, fd) != NULL
                       : fd->kind == DECL_DECIMAL ? decl_get_decimal(base, fd)->present
                                                  : decl_get_integer(base, fd)->present;
        if (present)
            fail_msg("%s: faulted, but present in the declaration", text);
    }
    for (size_t k = 0; k < d->n_faults && k < DECL_MAX_FAULTS; k++) {
        for (const char *c = d->faults[k].value; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                fail_msg("fault value with a control character: %s", d->faults[k].value);
        }
    }
    declaration_free(d);
}

/* Reason contains at least one of a / b (case-insensitive). */
static void refused_either(const char *data, size_t len, size_t max_bytes, const char *a,
                           const char *b)
{
    char err[1024] = "";
    char *key = &key_unset;
    struct declaration *d = declaration_decode(data, len, max_bytes, &key, err, sizeof(err));

    if (d) {
        declaration_free(d);
        if (key != &key_unset)
            free(key);
        fail_msg("accepted, want a refusal\n  input: %.200s", data);
    }
    check_key(key, KEY_ANY, err); /* frees key */
    if (!strcasestr(err, a) && !strcasestr(err, b))
        fail_msg("reason \"%s\" has neither \"%s\" nor \"%s\"", err, a, b);
}

static void assert_decimal(const struct decl_decimal *v, const char *want, const char *what)
{
    char buf[DECIMAL_TEXT_MAX];

    if (!v->present)
        fail_msg("%s: absent, want %s", what, want);
    decimal_format(v->value, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("%s: %s, want %s", what, buf, want);
}

static void assert_integer(const struct decl_integer *v, long long want, const char *what)
{
    if (!v->present)
        fail_msg("%s: absent, want %lld", what, want);
    if (v->value != want)
        fail_msg("%s: %lld, want %lld", what, v->value, want);
}

/* ---- valid declarations ---- */

static void test_example_fields(void **state)
{
    size_t len = 0;
    char *json = read_file(src("tests/data/decl/example.json"), &len);
    struct declaration *d;
    const struct decl_item *it;

    (void)state;
    assert_non_null(json);
    d = decode_ok_len(json, len, 0);

    assert_string_equal(d->guid, "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9");
    assert_string_equal(d->appType, "1");
    assert_string_equal(d->appTime, "20240512103000");
    assert_string_equal(d->appStatus, "2");
    assert_string_equal(d->customsCode, "1900");
    assert_string_equal(d->portCode, "1900");
    assert_string_equal(d->ieFlag, "E");
    assert_string_equal(d->ieDate, "20240512");
    assert_string_equal(d->ebpCode, "2301960001");
    assert_string_equal(d->ebpName, "密山跨境电商平台");
    assert_string_equal(d->orderNo, "ORD20240512000001");
    assert_string_equal(d->ebcCode, "2301960002");
    assert_string_equal(d->ebcName, "鸡西乐器贸易有限公司");
    assert_string_equal(d->logisticsCode, "2301960003");
    assert_string_equal(d->logisticsName, "密山国际物流有限公司");
    assert_string_equal(d->logisticsNo, "YL2024051200000001");
    assert_string_equal(d->copNo, "COP2024051200000001");
    assert_string_equal(d->preNo, "B20240512000000001");
    assert_string_equal(d->invtNo, "19002024E000000001");
    assert_string_equal(d->agentCode, "2301960004");
    assert_string_equal(d->agentName, "黑龙江报关代理有限公司");
    assert_string_equal(d->ownerCode, "NO");
    assert_string_equal(d->ownerName, "个体卖家");
    assert_string_equal(d->iacCode, "2301960005");
    assert_string_equal(d->iacName, "密山保税仓储有限公司");
    assert_string_equal(d->emsNo, "T1900W000001");
    assert_string_equal(d->tradeMode, "9610");
    assert_string_equal(d->statisticsFlag, "A");
    assert_string_equal(d->trafMode, "4");
    assert_string_equal(d->trafName, "黑C12345");
    assert_string_equal(d->voyageNo, "V20240512");
    assert_string_equal(d->billNo, "BL2024051200000001");
    assert_string_equal(d->totalPackageNo, "PKG-0001");
    assert_string_equal(d->loctNo, "1901W");
    assert_string_equal(d->licenseNo, "L-0001");
    assert_string_equal(d->country, "344");
    assert_string_equal(d->POD, "RU01");
    assert_decimal(&d->freight, "0", "freight");
    assert_string_equal(d->fCurrency, "142");
    assert_string_equal(d->fFlag, "3");
    assert_decimal(&d->insuredFee, "0", "insuredFee");
    assert_string_equal(d->iCurrency, "142");
    assert_string_equal(d->iFlag, "3");
    assert_string_equal(d->wrapType, "2");
    assert_integer(&d->packNo, 1, "packNo");
    assert_decimal(&d->grossWeight, "1.35", "grossWeight");
    assert_decimal(&d->netWeight, "1.2", "netWeight");
    /* An empty string is present and empty, not absent. */
    assert_non_null(d->note);
    assert_string_equal(d->note, "");

    assert_int_equal(d->n_items, 2);
    it = &d->items[0];
    assert_integer(&it->gnum, 1, "items[0].gnum");
    assert_string_equal(it->itemNo, "EG-ST-001");
    assert_string_equal(it->itemRecordNo, "REC-001");
    assert_string_equal(it->itemName, "电吉他");
    assert_string_equal(it->gcode, "9207900000");
    assert_string_equal(it->gname, "电吉他");
    assert_string_equal(it->gmodel, "6弦|实木|无品牌");
    assert_string_equal(it->barCode, "无");
    assert_string_equal(it->barCode, "\xe6\x97\xa0"); /* U+65E0 as UTF-8 bytes */
    assert_string_equal(it->country, "344");
    assert_string_equal(it->currency, "142");
    assert_decimal(&it->qty, "1", "items[0].qty");
    assert_string_equal(it->unit, "011");
    assert_decimal(&it->qty1, "1", "items[0].qty1");
    assert_string_equal(it->unit1, "011");
    assert_false(it->qty2.present);
    assert_null(it->unit2);
    assert_decimal(&it->price, "1399", "items[0].price");
    assert_decimal(&it->totalPrice, "1399", "items[0].totalPrice");
    assert_null(it->note);

    it = &d->items[1];
    assert_integer(&it->gnum, 2, "items[1].gnum");
    assert_string_equal(it->itemNo, "EG-CB-002");
    assert_null(it->itemRecordNo);
    assert_string_equal(it->itemName, "吉他连接线");
    assert_string_equal(it->gcode, "8544422100");
    assert_string_equal(it->gname, "乐器连接线");
    assert_string_equal(it->gmodel, "3米|6.35mm");
    assert_string_equal(it->barCode, "6901234567892");
    assert_string_equal(it->country, "344");
    assert_string_equal(it->currency, "142");
    assert_decimal(&it->qty, "2", "items[1].qty");
    assert_string_equal(it->unit, "015");
    assert_decimal(&it->qty1, "0.35", "items[1].qty1");
    assert_string_equal(it->unit1, "035");
    assert_decimal(&it->qty2, "2", "items[1].qty2");
    assert_string_equal(it->unit2, "015");
    assert_decimal(&it->price, "25.5", "items[1].price");
    assert_decimal(&it->totalPrice, "51", "items[1].totalPrice");
    assert_string_equal(it->note, "赠品\n随货");

    declaration_free(d);
    free(json);
}

static void test_minimal(void **state)
{
    struct declaration *d = decode_ok("{\"logisticsNo\":\"YL1\"}");

    (void)state;
    assert_string_equal(d->logisticsNo, "YL1");
    for (size_t i = 0; i < decl_head_field_count; i++) {
        const struct decl_field *f = &decl_head_fields[i];

        if (strcmp(f->name, "logisticsNo") == 0)
            continue;
        if (f->kind == DECL_STRING && decl_get_string(d, f) != NULL)
            fail_msg("%s present in a declaration without it", f->name);
        if (f->kind == DECL_DECIMAL && decl_get_decimal(d, f)->present)
            fail_msg("%s present in a declaration without it", f->name);
        if (f->kind == DECL_INTEGER && decl_get_integer(d, f)->present)
            fail_msg("%s present in a declaration without it", f->name);
    }
    assert_int_equal(d->n_items, 0);
    declaration_free(d);
    declaration_free(NULL);
}

static void test_decimals_as_numbers(void **state)
{
    const char *as_numbers = "{\"logisticsNo\":\"YL1\",\"grossWeight\":1399.00,\"netWeight\":0.1,"
                             "\"freight\":100,\"insuredFee\":-0.5,\"items\":[{\"price\":150.0,"
                             "\"qty\":0.12345,\"totalPrice\":0,\"qty1\":-0}]}";
    const char *as_strings = "{\"logisticsNo\":\"YL1\",\"grossWeight\":\"1399.00\",\"netWeight\":"
                             "\"0.1\",\"freight\":\"100\",\"insuredFee\":\"-0.5\",\"items\":[{"
                             "\"price\":\"150.0\",\"qty\":\"0.12345\",\"totalPrice\":\"0\","
                             "\"qty1\":\"-0\"}]}";
    const char *texts[] = {as_numbers, as_strings};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct declaration *d = decode_ok(texts[i]);

        assert_decimal(&d->grossWeight, "1399", "grossWeight");
        assert_decimal(&d->netWeight, "0.1", "netWeight");
        assert_decimal(&d->freight, "100", "freight");
        assert_decimal(&d->insuredFee, "-0.5", "insuredFee");
        assert_int_equal(d->n_items, 1);
        assert_decimal(&d->items[0].price, "150", "items[0].price");
        assert_decimal(&d->items[0].qty, "0.12345", "items[0].qty");
        assert_decimal(&d->items[0].totalPrice, "0", "items[0].totalPrice");
        assert_decimal(&d->items[0].qty1, "0", "items[0].qty1");
        assert_false(d->items[0].qty2.present);
        declaration_free(d);
    }

    /* A decimal string may carry leading zeros; a JSON number may not (RFC 8259). */
    struct declaration *d = decode_ok("{\"logisticsNo\":\"YL1\",\"grossWeight\":\"0012.50\"}");
    assert_decimal(&d->grossWeight, "12.5", "grossWeight \"0012.50\"");
    declaration_free(d);
    refused("{\"logisticsNo\":\"YL1\",\"grossWeight\":0012.50}", NULL, NULL, NULL);
    /* The largest and smallest N19,5 values as numbers. */
    d = decode_ok("{\"logisticsNo\":\"YL1\",\"grossWeight\":99999999999999.99999,"
                  "\"netWeight\":-99999999999999.99999}");
    assert_decimal(&d->grossWeight, "99999999999999.99999", "grossWeight max");
    assert_decimal(&d->netWeight, "-99999999999999.99999", "netWeight min");
    declaration_free(d);
}

static void test_bad_decimals(void **state)
{
    static const struct {
        const char *json, *field, *reason;
    } cases[] = {
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"1.000001\"}", "grossWeight",
         "more than 5 digits after the decimal point"},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":1.000001}", "grossWeight",
         "more than 5 digits after the decimal point"},
        {"{\"logisticsNo\":\"YL1\",\"netWeight\":1e-6}", "netWeight",
         "more than 5 digits after the decimal point"},
        {"{\"logisticsNo\":\"YL1\",\"freight\":\"123456789012345\"}", "freight",
         "more than 14 digits before the decimal point"},
        {"{\"logisticsNo\":\"YL1\",\"freight\":123456789012345}", "freight",
         "more than 14 digits before the decimal point"},
        {"{\"logisticsNo\":\"YL1\",\"insuredFee\":1e999999999999}", "insuredFee", NULL},
        {"{\"logisticsNo\":\"YL1\",\"insuredFee\":\"1e999999999999\"}", "insuredFee", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\" 1\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"1 \"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"1,5\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"+1\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"0x10\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"NaN\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"Infinity\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":\"-Infinity\"}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"price\":1.000001}]}", "items[0].price",
         "more than 5 digits after the decimal point"},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1},{\"qty\":\"1.5.\"}]}", "items[1]",
         "qty"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        faulted(cases[i].json, cases[i].field, cases[i].reason);
}

/* Issue 10: a readable declaration with an amount that is not a plain decimal, a field
 * too long, a wrong type: a fault naming the field and the value, never a refusal; several
 * faults are all kept, in decoding order. */
static void test_format_faults(void **state)
{
    (void)state;
    faulted("{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1,\"price\":\"1,234.00\"}]}",
            "items[0].price: '1,234.00'", "not a decimal number");
    faulted("{\"logisticsNo\":\"YL1\",\"items\":[{\"price\":\"12.345678\"}]}", "price: '12.345678'",
            "more than 5 digits after the decimal point");
    faulted("{\"logisticsNo\":\"YL1\",\"items\":[{\"price\":\"1e3\"}]}", "price: '1e3'",
            "exponent");
    faulted("{\"logisticsNo\":\"YL1\",\"freight\":1e3}", "freight: 1e3 is", "exponent");
    faulted("{\"logisticsNo\":\"YL1\",\"freight\":1.5E+2}", "freight: 1.5E+2", "exponent");
    faulted("{\"logisticsNo\":\"YL1\",\"grossWeight\":\"NaN\"}", "grossWeight: 'NaN'",
            "not a decimal");
    faulted("{\"logisticsNo\":\"YL1\",\"ebcName\":{\"a\":1}}", "ebcName: {\"a\":1}",
            "is an object, text expected");
    faulted("{\"logisticsNo\":\"YL1\",\"customsCode\":1900}", "customsCode: 1900",
            "is a number, text expected");
    faulted("{\"logisticsNo\":\"YL1\",\"packNo\":\"abc\"}", "packNo: 'abc'", "whole number");
    /* json-c clamps an integer beyond 64 bits: the fault says so instead of a wrong value. */
    faulted("{\"logisticsNo\":\"YL1\",\"grossWeight\":123456789012345678901234567890}",
            "grossWeight:", "19 or more digits, too large for CEB603 N19,5");
    faulted("{\"logisticsNo\":\"YL1\",\"packNo\":-123456789012345678901234567890}",
            "packNo:", "19 or more digits, too large for CEB603 N9");
    faulted("{\"logisticsNo\":\"YL1\",\"items\":{\"gnum\":1}}", "items: {\"gnum\":1}", "list");
    faulted("{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1},7]}", "items[1]: 7", "object");

    /* A long value is cut in the fault, never a control character in it. */
    char *s = repeat("x", 1001);
    char *json = xasprintf("{\"logisticsNo\":\"YL1\",\"note\":\"%s\\n\"}", s);
    struct declaration *d = decode_ok(json);
    assert_int_equal(d->n_faults, 1);
    assert_null(d->note);
    assert_int_equal(strlen(d->faults[0].value), DECL_FAULT_SHOW + 3);
    assert_string_equal(d->faults[0].value + DECL_FAULT_SHOW, "...");
    declaration_free(d);
    free(json);
    free(s);

    /* Every bad field is found; the good ones around them are decoded. */
    d = decode_ok("{\"logisticsNo\":\"YL1\",\"guid\":\"G\",\"freight\":\"1,0\",\"packNo\":true,"
                  "\"items\":[{\"gnum\":2,\"price\":\"x\",\"qty\":\"3\"},[]]}");
    assert_int_equal(d->n_faults, 4);
    assert_string_equal(d->guid, "G");
    assert_false(d->freight.present);
    assert_false(d->packNo.present);
    assert_int_equal(d->n_items, 2);
    assert_integer(&d->items[0].gnum, 2, "items[0].gnum");
    assert_decimal(&d->items[0].qty, "3", "items[0].qty");
    assert_false(d->items[0].price.present);
    assert_string_equal(d->faults[0].name, "freight");
    assert_string_equal(d->faults[1].name, "packNo");
    assert_string_equal(d->faults[2].name, "price");
    assert_int_equal(d->faults[2].item, 0);
    assert_string_equal(d->faults[3].name, "");
    assert_int_equal(d->faults[3].item, 1);
    declaration_free(d);

    /* More faults than are kept: all counted. */
    char *items = malloc(30 * 24);
    assert_non_null(items);
    char *p = items;
    for (int i = 0; i < 30; i++)
        p += sprintf(p, "%s{\"price\":\"a\"}", i ? "," : "");
    json = xasprintf("{\"logisticsNo\":\"YL1\",\"items\":[%s]}", items);
    d = decode_ok(json);
    assert_int_equal(d->n_faults, 30);
    assert_int_equal(d->faults[DECL_MAX_FAULTS - 1].item, DECL_MAX_FAULTS - 1);
    declaration_free(d);
    free(json);
    free(items);

    /* Clean declarations have no faults. */
    d = decode_ok("{\"logisticsNo\":\"YL1\",\"freight\":\"1234.00\"}");
    assert_int_equal(d->n_faults, 0);
    assert_null(d->faults);
    declaration_free(d);
}

static void test_nan_infinity_literals(void **state)
{
    static const char *cases[] = {
        "{\"logisticsNo\":\"YL1\",\"grossWeight\":NaN}",
        "{\"logisticsNo\":\"YL1\",\"grossWeight\":nan}",
        "{\"logisticsNo\":\"YL1\",\"grossWeight\":Infinity}",
        "{\"logisticsNo\":\"YL1\",\"grossWeight\":-Infinity}",
        "{\"logisticsNo\":\"YL1\",\"grossWeight\":-NaN}",
        "{\"logisticsNo\":\"YL1\",\"items\":[{\"price\":NaN}]}",
        "{\"logisticsNo\":\"YL1\",\"x\":Infinity}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        refused(cases[i], KEY_ANY, NULL, NULL);
}

static void test_integers(void **state)
{
    struct declaration *d =
        decode_ok("{\"logisticsNo\":\"YL1\",\"packNo\":\"12\",\"items\":[{\"gnum\":\"3\"},"
                  "{\"gnum\":100},{\"gnum\":0}]}");

    (void)state;
    assert_integer(&d->packNo, 12, "packNo \"12\"");
    assert_int_equal(d->n_items, 3);
    assert_integer(&d->items[0].gnum, 3, "items[0].gnum \"3\"");
    assert_integer(&d->items[1].gnum, 100, "items[1].gnum");
    assert_integer(&d->items[2].gnum, 0, "items[2].gnum");
    declaration_free(d);

    d = decode_ok("{\"logisticsNo\":\"YL1\",\"packNo\":999999999}");
    assert_integer(&d->packNo, 999999999, "packNo 999999999");
    declaration_free(d);
}

static void test_null_is_absent(void **state)
{
    struct declaration *d = decode_ok(
        "{\"logisticsNo\":\"YL1\",\"guid\":null,\"grossWeight\":null,\"packNo\":null,"
        "\"note\":null,\"items\":[{\"gnum\":null,\"gcode\":null,\"price\":null,\"qty\":1}]}");

    (void)state;
    assert_null(d->guid);
    assert_false(d->grossWeight.present);
    assert_false(d->packNo.present);
    assert_null(d->note);
    assert_int_equal(d->n_items, 1);
    assert_false(d->items[0].gnum.present);
    assert_null(d->items[0].gcode);
    assert_false(d->items[0].price.present);
    assert_decimal(&d->items[0].qty, "1", "items[0].qty");
    declaration_free(d);

    d = decode_ok("{\"logisticsNo\":\"YL1\",\"items\":null}");
    assert_int_equal(d->n_items, 0);
    declaration_free(d);
}

static void test_unknown_keys_ignored(void **state)
{
    struct declaration *d =
        decode_ok("{\"logisticsNo\":\"YL1\",\"version\":2,\"ext\":{\"a\":[1,2.5e300,{\"b\":null}],"
                  "\"c\":\"x\"},\"pod\":\"lowercase is not POD\",\"LogisticsNo\":\"not the key\","
                  "\"items\":[{\"gnum\":1,\"future\":true,\"GCODE\":\"no\"}],\"z\":[]}");

    (void)state;
    assert_string_equal(d->logisticsNo, "YL1");
    assert_null(d->POD);
    assert_int_equal(d->n_items, 1);
    assert_integer(&d->items[0].gnum, 1, "items[0].gnum");
    assert_null(d->items[0].gcode);
    declaration_free(d);

    /* Keys are case-sensitive: "LogisticsNo" alone is no key at all. */
    refused("{\"LogisticsNo\":\"YL1\"}", NULL, "logisticsNo", NULL);
}

static void test_items_empty_and_count(void **state)
{
    struct declaration *d = decode_ok("{\"logisticsNo\":\"YL1\",\"items\":[]}");
    char *items, *json, *p;

    (void)state;
    assert_int_equal(d->n_items, 0);
    declaration_free(d);

    /* 100 items (the CEB603 maximum) decode in order; 101 are refused. */
    items = malloc(101 * 32);
    assert_non_null(items);
    p = items;
    for (int i = 1; i <= 101; i++)
        p += sprintf(p, "%s{\"gnum\":%d}", i > 1 ? "," : "", i);
    /* Cut before the 101st item. */
    json = xasprintf("{\"logisticsNo\":\"YL1\",\"items\":[%.*s]}",
                     (int)(strstr(items, ",{\"gnum\":101}") - items), items);
    d = decode_ok(json);
    assert_int_equal(d->n_items, 100);
    for (size_t i = 0; i < 100; i++)
        assert_integer(&d->items[i].gnum, (long long)i + 1, "gnum");
    declaration_free(d);
    free(json);

    json = xasprintf("{\"logisticsNo\":\"YL1\",\"items\":[%s]}", items);
    faulted(json, "has 101 entries", "at most 100");
    d = decode_ok(json);
    assert_int_equal(d->n_items, 0); /* none decoded: the raw record keeps them */
    declaration_free(d);
    free(json);
    free(items);
}

static void test_strings_escapes_utf8(void **state)
{
    struct declaration *d = decode_ok(
        "{\"logisticsNo\":\"YL1\",\"note\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\","
        "\"ebpName\":\"\\u00e9\\u9e21\\u897f\",\"ebcName\":\"\\ud83d\\ude00\","
        "\"agentName\":\"\xf0\x9f\x98\x80 \xe9\xb8\xa1\xe8\xa5\xbf\",\"ownerName\":\"\\uFFFF\"}");

    (void)state;
    assert_string_equal(d->note, "q\"b\\s/n\nt\tr\rb\bf\f");
    assert_string_equal(d->ebpName, "\xc3\xa9\xe9\xb8\xa1\xe8\xa5\xbf"); /* é鸡西 */
    assert_string_equal(d->ebcName, "\xf0\x9f\x98\x80");                 /* U+1F600 */
    assert_string_equal(d->agentName, "\xf0\x9f\x98\x80 鸡西");
    assert_string_equal(d->ownerName, "\xef\xbf\xbf");
    declaration_free(d);
}

/* ---- refusals ---- */

static void test_not_json(void **state)
{
    static const char *cases[] = {
        "garbage",
        "{",
        "{\"logisticsNo\":\"YL1\"",
        "{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1",
        "{\"logisticsNo\":\"YL1",
        "{\"logisticsNo\":\"YL1\",}",
        "{\"logisticsNo\":'YL1'}",
        "{'logisticsNo':\"YL1\"}",
        "{logisticsNo:\"YL1\"}",
        "{\"logisticsNo\":\"YL1\" /* c */}",
        "{\"logisticsNo\":\"YL1\",\"x\":[1,]}",
        "{\"logisticsNo\":\"YL1\",\"x\":01}",
        "{\"logisticsNo\":\"YL1\",\"x\":.5}",
        "{\"logisticsNo\":\"YL1\",\"x\":1.}",
        "{\"logisticsNo\":\"YL1\",\"x\":+1}",
        "{\"logisticsNo\":\"YL1\",\"x\":0x10}",
        "{\"logisticsNo\":\"YL1\",\"x\":True}",
        "{\"logisticsNo\":\"YL1\",\"x\":\"tab\there\"}", /* raw control character */
        "{\"logisticsNo\":\"YL1\",\"x\":\"\\x41\"}",     /* invalid escape */
        "{\"logisticsNo\":\"YL1\",\"x\":\"\\u12\"}",
        "   ",
        "\xef\xbb\xbf{\"logisticsNo\":\"YL1\"}", /* a BOM is not JSON text */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        refused(cases[i], NULL, NULL, NULL);
}

static void test_empty_input(void **state)
{
    (void)state;
    refused_len("", 0, 0, NULL, NULL, NULL);
    refused_len("{\"logisticsNo\":\"YL1\"}", 0, 0, NULL, NULL, NULL);
}

static void test_trailing_garbage(void **state)
{
    static const char *cases[] = {
        "{\"logisticsNo\":\"YL1\"} x",
        "{\"logisticsNo\":\"YL1\"}{}",
        "{\"logisticsNo\":\"YL1\"}]",
        "{\"logisticsNo\":\"YL1\"},",
        "{\"logisticsNo\":\"YL1\"}{\"logisticsNo\":\"YL2\"}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        refused(cases[i], KEY_ANY, NULL, NULL);
    /* A NUL byte after the object is data too (the length says so). */
    refused_len("{\"logisticsNo\":\"YL1\"}\0", 22, 0, KEY_ANY, NULL, NULL);
    refused_len("{\"logisticsNo\":\"YL1\"}\0}", 23, 0, KEY_ANY, NULL, NULL);
}

static void test_whitespace_around_object(void **state)
{
    struct declaration *d = decode_ok(" \n\t\r{ \"logisticsNo\" : \"YL1\" }\r\n ");

    (void)state;
    assert_string_equal(d->logisticsNo, "YL1");
    declaration_free(d);
}

static void test_not_an_object(void **state)
{
    static const char *cases[] = {
        "[]", "[{\"logisticsNo\":\"YL1\"}]", "\"YL1\"", "1", "null", "true", "false",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        refused(cases[i], NULL, NULL, NULL);
}

/* The input is `len` bytes: no NUL is needed and nothing after it is read. */
static void test_length_not_nul_terminated(void **state)
{
    const char *json = "{\"logisticsNo\":\"YL1\",\"grossWeight\":1.5}";
    size_t len = strlen(json);
    char *exact = malloc(len);
    struct declaration *d;
    char *more;

    (void)state;
    assert_non_null(exact);
    memcpy(exact, json, len);
    d = decode_ok_len(exact, len, 0); /* ASan flags any read past len */
    assert_decimal(&d->grossWeight, "1.5", "grossWeight");
    declaration_free(d);
    /* A number at the very end of the buffer: "...:1.5}" cut to "...:1.5" is truncated. */
    refused_len(exact, len - 1, 0, NULL, NULL, NULL);
    free(exact);

    more = xasprintf("%s garbage after the length", json);
    d = decode_ok_len(more, len, 0);
    declaration_free(d);
    free(more);
}

static void test_duplicate_keys(void **state)
{
    struct declaration *d;

    (void)state;
    refused("{\"logisticsNo\":\"YL1\",\"guid\":\"a\",\"guid\":\"b\"}", "YL1", "duplicate key",
            "guid");
    refused("{\"logisticsNo\":\"YL1\",\"guid\":\"a\",\"guid\":\"a\"}", "YL1", "duplicate key",
            "guid");
    refused("{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1,\"gcode\":\"a\"},"
            "{\"gnum\":2,\"gcode\":\"9207900000\",\"gcode\":\"8544422100\"}]}",
            "YL1", "duplicate key", "items[1]");
    refused("{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1},"
            "{\"gnum\":2,\"gcode\":\"9207900000\",\"gcode\":\"8544422100\"}]}",
            "YL1", "duplicate key", "gcode");
    /* Unknown keys too, however deep. */
    refused("{\"logisticsNo\":\"YL1\",\"ext\":{\"a\":1,\"a\":2}}", KEY_ANY, "duplicate key", NULL);
    refused("{\"logisticsNo\":\"YL1\",\"x\":1,\"x\":1}", KEY_ANY, "duplicate key", NULL);
    refused("{\"logisticsNo\":\"YL1\",\"ext\":[[{\"k\":1,\"z\":0,\"k\":null}]]}", KEY_ANY,
            "duplicate key", NULL);
    /* Keys are compared after unescaping. */
    refused("{\"logisticsNo\":\"YL1\",\"guid\":\"a\",\"gu\\u0069d\":\"b\"}", KEY_ANY,
            "duplicate key", NULL);
    /* Two logisticsNo: which one is the key is anyone's guess, so refuse. */
    refused("{\"logisticsNo\":\"YL1\",\"logisticsNo\":\"YL2\"}", KEY_ANY, "duplicate key",
            "logisticsNo");

    /* Not duplicates: the same key in different objects, keys differing in case or escape. */
    d = decode_ok("{\"logisticsNo\":\"YL1\",\"x\":{\"guid\":1,\"y\":{\"guid\":2}},\"guid\":\"g\","
                  "\"items\":[{\"gcode\":\"1\",\"gnum\":1},{\"gcode\":\"2\",\"gnum\":2}],"
                  "\"a\":1,\"A\":2,\"\\u0062\":3}");
    assert_string_equal(d->guid, "g");
    assert_string_equal(d->items[1].gcode, "2");
    declaration_free(d);
}

static void test_invalid_utf8(void **state)
{
    static const char *in_note[] = {
        "\xff",                 /* never valid */
        "a\x80z",               /* lone continuation byte */
        "\xc0\xaf",             /* overlong '/' */
        "\xe0\x80\xaf",         /* overlong, 3 bytes */
        "\xed\xa0\x80",         /* UTF-16 surrogate encoded in UTF-8 */
        "\xf4\x90\x80\x80",     /* above U+10FFFF */
        "\xe9\xb8",             /* truncated sequence at the end of the string */
        "\xe9\xb8z",            /* truncated sequence inside the string */
        "\xf8\x88\x80\x80\x80", /* 5-byte form */
    };
    char *json;

    (void)state;
    for (size_t i = 0; i < sizeof(in_note) / sizeof(in_note[0]); i++) {
        json = xasprintf("{\"logisticsNo\":\"YL1\",\"note\":\"%s\"}", in_note[i]);
        refused(json, KEY_ANY, "UTF-8", NULL);
        free(json);
    }
    /* In a key, in an unknown value, in an item, and in the key itself. */
    refused("{\"logisticsNo\":\"YL1\",\"\xff\":1}", KEY_ANY, "UTF-8", NULL);
    refused("{\"logisticsNo\":\"YL1\",\"x\":[\"\xc3\"]}", KEY_ANY, "UTF-8", NULL);
    refused("{\"logisticsNo\":\"YL1\",\"items\":[{\"gname\":\"\xe9\xb8\"}]}", KEY_ANY, "UTF-8",
            NULL);
    refused("{\"logisticsNo\":\"YL\xff\"}", KEY_ANY, "UTF-8", NULL);
}

static void test_surrogates_and_nul(void **state)
{
    static const char *bad_note[] = {
        "\\ud800",        "\\udc00",        "\\ud800\\u0041", "\\ud800x",
        "\\udbff\\udbff", "\\ude00\\ud83d", "\\uD800",
    };
    char *json;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_note) / sizeof(bad_note[0]); i++) {
        json = xasprintf("{\"logisticsNo\":\"YL1\",\"note\":\"%s\"}", bad_note[i]);
        refused(json, KEY_ANY, NULL, NULL);
        free(json);
    }
    /* U+0000 cannot live in a C string or a PostgreSQL text column. */
    faulted("{\"logisticsNo\":\"YL1\",\"note\":\"a\\u0000b\"}", "note: 'a\\u0000b'", "NUL");
    faulted("{\"logisticsNo\":\"YL1\",\"items\":[{\"gname\":\"\\u0000\"}]}", "items[0].gname",
            "NUL");
    refused("{\"logisticsNo\":\"YL\\u0000\"}", KEY_ANY, "logisticsNo", NULL);
    /* ... but an escaped backslash followed by u0000 is just text. */
    struct declaration *d = decode_ok("{\"logisticsNo\":\"YL1\",\"note\":\"\\\\u0000\"}");
    assert_string_equal(d->note, "\\u0000");
    declaration_free(d);
}

static void test_logistics_no(void **state)
{
    char *s, *json;
    struct declaration *d;

    (void)state;
    refused("{\"guid\":\"x\"}", NULL, "logisticsNo", NULL);
    refused("{}", NULL, "logisticsNo", NULL);
    refused("{\"logisticsNo\":null}", NULL, "logisticsNo", NULL);
    refused("{\"logisticsNo\":12345}", NULL, "logisticsNo", NULL);
    refused("{\"logisticsNo\":true}", NULL, "logisticsNo", NULL);
    refused("{\"logisticsNo\":[\"YL1\"]}", NULL, "logisticsNo", NULL);
    refused("{\"logisticsNo\":{\"v\":\"YL1\"}}", NULL, "logisticsNo", NULL);
    refused("{\"logisticsNo\":\"\"}", KEY_ANY, "logisticsNo", NULL);

    /* 80 characters is the CEB603 maximum, 81 is refused; characters, not bytes. */
    s = repeat("A", 80);
    json = xasprintf("{\"logisticsNo\":\"%s\"}", s);
    d = decode_ok(json);
    assert_string_equal(d->logisticsNo, s);
    declaration_free(d);
    free(json);
    free(s);
    s = repeat("A", 81);
    json = xasprintf("{\"logisticsNo\":\"%s\"}", s);
    refused(json, KEY_ANY, "logisticsNo", NULL);
    free(json);
    free(s);
    s = repeat("鸡", 80);
    json = xasprintf("{\"logisticsNo\":\"%s\"}", s);
    d = decode_ok(json);
    assert_string_equal(d->logisticsNo, s);
    declaration_free(d);
    free(json);
    free(s);
    s = repeat("鸡", 81);
    json = xasprintf("{\"logisticsNo\":\"%s\"}", s);
    refused(json, KEY_ANY, "logisticsNo", NULL);
    free(json);
    free(s);
    /* Escapes count as the character they stand for. */
    s = repeat("\\u0041", 80);
    json = xasprintf("{\"logisticsNo\":\"%s\"}", s);
    d = decode_ok(json);
    assert_int_equal(strlen(d->logisticsNo), 80);
    declaration_free(d);
    free(json);
    free(s);
}

static void test_string_length(void **state)
{
    static const struct {
        const char *unit; /* one character */
        size_t n;
        bool ok;
    } cases[] = {
        {"a", 1000, true},   {"a", 1001, false},
        {"鸡", 1000, true},  {"鸡", 1001, false}, /* 3000 bytes is fine */
        {"😀", 1000, true},   {"😀", 1001, false},  /* 4000 bytes is fine */
        {"\\n", 1000, true}, {"\\n", 1001, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = repeat(cases[i].unit, cases[i].n);
        char *json = xasprintf("{\"logisticsNo\":\"YL1\",\"note\":\"%s\"}", s);

        if (cases[i].ok) {
            struct declaration *d = decode_ok(json);

            assert_int_equal(decl_utf8_length(d->note), cases[i].n);
            declaration_free(d);
        } else {
            faulted(json, "note", "longer than 1000");
        }
        free(json);
        free(s);
    }

    char *s = repeat("x", 1001);
    char *json =
        xasprintf("{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1,\"gname\":\"%s\"}]}", s);
    faulted(json, "items[0].gname", "longer than 1000");
    free(json);
    json = xasprintf("{\"logisticsNo\":\"YL1\",\"guid\":\"%s\"}", s);
    faulted(json, "guid", NULL);
    free(json);
    free(s);
}

static void test_wrong_types(void **state)
{
    static const struct {
        const char *json, *sub1, *sub2;
    } cases[] = {
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gcode\":9207900000}]}", "items[0]", "gcode"},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1},{\"gname\":[]}]}", "items[1]", "gname"},
        {"{\"logisticsNo\":\"YL1\",\"items\":{\"gnum\":1}}", "items", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":\"none\"}", "items", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":1}", "items", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":[1]}", "items", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1},\"x\"]}", "items", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":[[]]}", "items", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":[null]}", "items", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":\"abc\"}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":1.5}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":\"1.5\"}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":\"\"}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":\" 1\"}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":true}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":[1]}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":99999999999999999999}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"packNo\":\"99999999999999999999\"}", "packNo", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1.5}]}", "items[0]", "gnum"},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":\"1a\"}]}", "items[0]", "gnum"},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":\"\"}]}", "items[0]", "gnum"},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":{}}]}", "items[0]", "gnum"},
        {"{\"logisticsNo\":\"YL1\",\"guid\":1}", "guid", NULL},
        {"{\"logisticsNo\":\"YL1\",\"guid\":true}", "guid", NULL},
        {"{\"logisticsNo\":\"YL1\",\"guid\":{}}", "guid", NULL},
        {"{\"logisticsNo\":\"YL1\",\"guid\":[\"x\"]}", "guid", NULL},
        {"{\"logisticsNo\":\"YL1\",\"customsCode\":1900}", "customsCode", NULL},
        {"{\"logisticsNo\":\"YL1\",\"note\":5}", "note", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":true}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":{}}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"grossWeight\":[1]}", "grossWeight", NULL},
        {"{\"logisticsNo\":\"YL1\",\"items\":[{\"price\":[]}]}", "items[0]", "price"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        faulted(cases[i].json, cases[i].sub1, cases[i].sub2);
}

static void test_size_limit(void **state)
{
    const char *json = "{\"logisticsNo\":\"YL1\",\"grossWeight\":\"1.35\"}";
    size_t len = strlen(json), n;
    struct declaration *d;
    char *big, *p;

    (void)state;
    d = decode_ok_len(json, len, len); /* exactly the limit */
    declaration_free(d);
    refused_either(json, len, len - 1, "too large", "bytes");
    refused_either(json, len, 1, "too large", "bytes");

    /* Over the default (1 MiB) with max_bytes 0, fine with a larger limit. */
    n = DECL_DEFAULT_MAX_BYTES / 2 + 16;
    big = malloc(n * 2 + 64);
    assert_non_null(big);
    p = big + sprintf(big, "{\"logisticsNo\":\"YL1\",\"pad\":[0");
    for (size_t i = 1; i < n; i++) {
        *p++ = ',';
        *p++ = '0';
    }
    p += sprintf(p, "]}");
    assert_true((size_t)(p - big) > DECL_DEFAULT_MAX_BYTES);
    refused_either(big, (size_t)(p - big), 0, "too large", "bytes");
    refused_either(big, (size_t)(p - big), DECL_DEFAULT_MAX_BYTES, "too large", "bytes");
    d = decode_ok_len(big, (size_t)(p - big), 2 * DECL_DEFAULT_MAX_BYTES);
    assert_string_equal(d->logisticsNo, "YL1");
    declaration_free(d);
    free(big);
}

/* Depth: the top-level object is level 1. */
static char *nested(size_t levels_inside_x)
{
    char *open = repeat("[", levels_inside_x), *close = repeat("]", levels_inside_x);
    char *json = xasprintf("{\"logisticsNo\":\"YL1\",\"x\":%s1%s}", open, close);

    free(open);
    free(close);
    return json;
}

static void test_nesting(void **state)
{
    char *json, *open, *close;
    struct declaration *d;

    (void)state;
    json = nested(7); /* object + 7 arrays = 8 levels */
    d = decode_ok(json);
    declaration_free(d);
    free(json);
    json = nested(8); /* 9 levels */
    refused_either(json, strlen(json), 0, "depth", "nest");
    free(json);
    /* Items count too: object, items array, item object, 5 arrays = 8; 6 arrays = 9. */
    d = decode_ok("{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1,\"x\":[[[[[1]]]]]}]}");
    declaration_free(d);
    json = strdup("{\"logisticsNo\":\"YL1\",\"items\":[{\"gnum\":1,\"x\":[[[[[[1]]]]]]}]}");
    refused_either(json, strlen(json), 0, "depth", "nest");
    free(json);

    /* Bombs: 100000 levels, well-formed, inside an unknown key. */
    json = nested(100000);
    refused_either(json, strlen(json), 0, "depth", "nest");
    free(json);
    open = repeat("{\"a\":", 100000);
    close = repeat("}", 100000);
    json = xasprintf("{\"logisticsNo\":\"YL1\",\"x\":%s1%s}", open, close);
    refused_either(json, strlen(json), 0, "depth", "nest");
    free(json);
    free(open);
    free(close);
    /* ... and unclosed at the top. */
    open = repeat("[", 100000);
    refused(open, NULL, NULL, NULL);
    free(open);
}

/* Errors respect errlen and are NUL-terminated; nothing past errlen is written. */
static void test_err_truncated(void **state)
{
    char buf[64], *key = &key_unset;
    const char *json = "{\"logisticsNo\":\"YL1\",\"grossWeight\":\"1\",\"grossWeight\":\"2\"}";

    (void)state;
    memset(buf, 'Z', sizeof(buf));
    assert_null(declaration_decode(json, strlen(json), 0, &key, buf, 8));
    assert_true(memchr(buf, '\0', 8) != NULL);
    for (size_t i = 8; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 'Z');
    check_key(key, "YL1", buf);
}

/* key_out may be NULL, on success and on refusal (ASan checks that nothing leaks). */
static void test_key_out_null(void **state)
{
    char err[256] = "";
    const char *ok = "{\"logisticsNo\":\"YL1\"}",
               *bad = "{\"logisticsNo\":\"YL1\",\"packNo\":1,\"packNo\":2}";
    struct declaration *d = declaration_decode(ok, strlen(ok), 0, NULL, err, sizeof(err));

    (void)state;
    assert_non_null(d);
    declaration_free(d);
    assert_null(declaration_decode(bad, strlen(bad), 0, NULL, err, sizeof(err)));
    assert_true(strstr(err, "packNo") != NULL);
}

/* ---- field table and accessors ---- */

struct want_field {
    const char *name;
    enum decl_kind kind;
    unsigned max_len, min_len; /* max_len ~0u: not checked (decimals) */
    bool required;
};

#define S   DECL_STRING
#define D   DECL_DECIMAL
#define N   DECL_INTEGER
#define ANY (~0u)

/* docs/DOMAIN.md section 1, InventoryHead: C36 -> 36/36, C..60 -> 60/0, C3..4 -> 4/3. */
static const struct want_field want_head[] = {
    {"guid", S, 36, 36, true},
    {"appType", S, 1, 1, true},
    {"appTime", S, 14, 14, true},
    {"appStatus", S, 1, 1, true},
    {"customsCode", S, 4, 4, true},
    {"ebpCode", S, 50, 0, true},
    {"ebpName", S, 100, 0, true},
    {"orderNo", S, 60, 0, true},
    {"logisticsCode", S, 18, 0, true},
    {"logisticsName", S, 100, 0, true},
    {"logisticsNo", S, 80, 0, true},
    {"copNo", S, 30, 0, true},
    {"preNo", S, 18, 18, false},
    {"invtNo", S, 18, 18, false},
    {"ieFlag", S, 1, 1, true},
    {"portCode", S, 4, 4, true},
    {"ieDate", S, 8, 8, true},
    {"statisticsFlag", S, 1, 1, true},
    {"agentCode", S, 18, 0, true},
    {"agentName", S, 100, 0, true},
    {"ebcCode", S, 18, 0, true},
    {"ebcName", S, 100, 0, true},
    {"ownerCode", S, 18, 0, true},
    {"ownerName", S, 100, 0, true},
    {"iacCode", S, 18, 0, false},
    {"iacName", S, 100, 0, false},
    {"emsNo", S, 30, 0, false},
    {"tradeMode", S, 4, 4, true},
    {"trafMode", S, 1, 1, true},
    {"trafName", S, 100, 0, false},
    {"voyageNo", S, 32, 0, false},
    {"billNo", S, 37, 0, false},
    {"totalPackageNo", S, 60, 0, false},
    {"loctNo", S, 10, 0, false},
    {"licenseNo", S, 19, 0, false},
    {"country", S, 3, 3, true},
    {"POD", S, 4, 3, true},
    {"freight", D, ANY, 0, true},
    {"insuredFee", D, ANY, 0, true},
    {"fCurrency", S, 3, 3, true},
    {"iCurrency", S, 3, 3, true},
    {"fFlag", S, 1, 1, true},
    {"iFlag", S, 1, 1, true},
    {"wrapType", S, 1, 1, true},
    {"packNo", N, 9, 0, true},
    {"grossWeight", D, ANY, 0, true},
    {"netWeight", D, ANY, 0, true},
    {"note", S, 1000, 0, false},
};

/* docs/DOMAIN.md section 1, InventoryList. */
static const struct want_field want_item[] = {
    {"gnum", N, 5, 0, true},        {"itemNo", S, 20, 0, true},  {"itemRecordNo", S, 30, 0, false},
    {"itemName", S, 250, 0, false}, {"gcode", S, 10, 10, true},  {"gname", S, 250, 0, true},
    {"gmodel", S, 250, 0, true},    {"barCode", S, 50, 0, true}, {"country", S, 3, 3, true},
    {"currency", S, 3, 3, true},    {"qty", D, ANY, 0, true},    {"qty1", D, ANY, 0, true},
    {"qty2", D, ANY, 0, false},     {"unit", S, 3, 3, true},     {"unit1", S, 3, 3, true},
    {"unit2", S, 3, 3, false},      {"price", D, ANY, 0, true},  {"totalPrice", D, ANY, 0, true},
    {"note", S, 1000, 0, false},
};

#undef S
#undef D
#undef N

static void check_table(bool items, const struct want_field *want, size_t n_want,
                        const struct decl_field *table, size_t n_table, size_t struct_size)
{
    assert_int_equal(n_table, n_want);
    for (size_t i = 0; i < n_want; i++) {
        const struct decl_field *f = decl_field_find(items, want[i].name);

        if (!f)
            fail_msg("%s field %s: not found", items ? "item" : "head", want[i].name);
        assert_true(f >= table && f < table + n_table);
        assert_string_equal(f->name, want[i].name);
        if (f->kind != want[i].kind)
            fail_msg("%s: kind %d, want %d", f->name, f->kind, want[i].kind);
        if (want[i].max_len != ANY && f->max_len != want[i].max_len)
            fail_msg("%s: max_len %u, want %u", f->name, f->max_len, want[i].max_len);
        if (f->min_len != want[i].min_len)
            fail_msg("%s: min_len %u, want %u", f->name, f->min_len, want[i].min_len);
        if (f->required != want[i].required)
            fail_msg("%s: required %d, want %d", f->name, f->required, want[i].required);
        assert_true(f->offset < struct_size);
        /* Offsets are distinct: no two fields share storage. */
        for (size_t j = 0; j < n_table; j++)
            if (&table[j] != f && table[j].offset == f->offset)
                fail_msg("%s and %s share offset %zu", f->name, table[j].name, f->offset);
    }
}

static void test_field_table(void **state)
{
    const struct decl_field *f;

    (void)state;
    check_table(false, want_head, ARRAY_SIZE(want_head), decl_head_fields, decl_head_field_count,
                sizeof(struct declaration));
    check_table(true, want_item, ARRAY_SIZE(want_item), decl_item_fields, decl_item_field_count,
                sizeof(struct decl_item));

    f = decl_field_find(true, "gcode");
    assert_non_null(f);
    assert_int_equal(f->offset, offsetof(struct decl_item, gcode));
    assert_null(decl_field_find(false, "gcode")); /* an item field, not a header field */
    f = decl_field_find(false, "grossWeight");
    assert_non_null(f);
    assert_int_equal(f->kind, DECL_DECIMAL);
    assert_int_equal(f->offset, offsetof(struct declaration, grossWeight));
    assert_null(decl_field_find(true, "grossWeight"));
    /* country exists in both, at different places. */
    assert_int_equal(decl_field_find(false, "country")->offset,
                     offsetof(struct declaration, country));
    assert_int_equal(decl_field_find(true, "country")->offset, offsetof(struct decl_item, country));
    assert_null(decl_field_find(false, "nope"));
    assert_null(decl_field_find(false, ""));
    assert_null(decl_field_find(false, "items"));
    assert_null(decl_field_find(false, "pod")); /* names are case-sensitive */
    assert_null(decl_field_find(true, "GCODE"));
    assert_null(decl_field_find(false, "n_items"));
}

/*
 * Every field of the table, in header and items, set to a value derived from its name or
 * position; read back through the accessors and so through the table's offsets.
 */
static void append(char **buf, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char **buf, size_t *len, const char *fmt, ...)
{
    va_list ap;
    char *piece = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&piece, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    *buf = realloc(*buf, *len + (size_t)n + 1);
    assert_non_null(*buf);
    memcpy(*buf + *len, piece, (size_t)n + 1);
    *len += (size_t)n;
    free(piece);
}

static void fields_json(char **buf, size_t *len, const struct decl_field *t, size_t n,
                        const char *tag)
{
    for (size_t i = 0; i < n; i++) {
        const char *sep = i ? "," : "";

        if (strcmp(t[i].name, "logisticsNo") == 0)
            append(buf, len, "%s\"logisticsNo\":\"YL1\"", sep);
        else if (t[i].kind == DECL_STRING)
            append(buf, len, "%s\"%s\":\"%s%s\"", sep, t[i].name, t[i].name, tag);
        else if (t[i].kind == DECL_DECIMAL)
            append(buf, len, "%s\"%s\":\"%zu.%s\"", sep, t[i].name, i + 1, *tag ? "5" : "25");
        else
            append(buf, len, "%s\"%s\":%zu", sep, t[i].name, i + 1);
    }
}

static void check_fields(const void *base, const struct decl_field *t, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++) {
        char want[128];

        if (strcmp(t[i].name, "logisticsNo") == 0) {
            assert_string_equal(decl_get_string(base, &t[i]), "YL1");
        } else if (t[i].kind == DECL_STRING) {
            snprintf(want, sizeof(want), "%s%s", t[i].name, tag);
            if (!decl_get_string(base, &t[i]) || strcmp(decl_get_string(base, &t[i]), want))
                fail_msg("%s: got %s, want %s", t[i].name, decl_get_string(base, &t[i]), want);
        } else if (t[i].kind == DECL_DECIMAL) {
            snprintf(want, sizeof(want), "%zu.%s", i + 1, *tag ? "5" : "25");
            assert_decimal(decl_get_decimal(base, &t[i]), want, t[i].name);
        } else {
            assert_integer(decl_get_integer(base, &t[i]), (long long)i + 1, t[i].name);
        }
    }
}

static void test_accessors_every_field(void **state)
{
    char *json = NULL;
    size_t len = 0;
    struct declaration *d;

    (void)state;
    append(&json, &len, "{");
    fields_json(&json, &len, decl_head_fields, decl_head_field_count, "");
    append(&json, &len, ",\"items\":[{");
    fields_json(&json, &len, decl_item_fields, decl_item_field_count, "#0");
    append(&json, &len, "},{");
    fields_json(&json, &len, decl_item_fields, decl_item_field_count, "#1");
    append(&json, &len, "}]}");

    d = decode_ok(json);
    check_fields(d, decl_head_fields, decl_head_field_count, "");
    assert_int_equal(d->n_items, 2);
    check_fields(&d->items[0], decl_item_fields, decl_item_field_count, "#0");
    check_fields(&d->items[1], decl_item_fields, decl_item_field_count, "#1");
    /* Spot checks through the struct members themselves. */
    assert_string_equal(d->POD, "POD");
    assert_string_equal(d->guid, "guid");
    assert_string_equal(d->items[1].gcode, "gcode#1");
    assert_string_equal(d->items[0].unit2, "unit2#0");
    declaration_free(d);
    free(json);
}

static void test_utf8_length(void **state)
{
    (void)state;
    assert_int_equal(decl_utf8_length("鸡西"), 2);
    assert_int_equal(decl_utf8_length(""), 0);
    assert_int_equal(decl_utf8_length("abc"), 3);
    assert_int_equal(decl_utf8_length("\xc3\xa9"), 1);
    assert_int_equal(decl_utf8_length("\xf0\x9f\x98\x80"), 1);
    assert_int_equal(decl_utf8_length("a鸡\xf0\x9f\x98\x80z"), 4);
    assert_int_equal(decl_utf8_length("密山海关 Mishan"), 11);
}

/* ---- the record prologue (decl_record_parse), shared with scan_decode ---- */

/* Parse with `spec`; check the refusal text and the key handed back. */
static void expect_prologue_refusal(const struct decl_record_spec *spec, const char *data,
                                    size_t len, const char *want_err, const char *want_key)
{
    char err[256] = "";
    char *key = &key_unset;
    struct json_object *root = decl_record_parse(data, len, 0, spec, &key, NULL, err, sizeof(err));

    if (root)
        fail_msg("accepted: %.200s", data);
    if (strcmp(err, want_err) != 0)
        print_error("input %.200s: got '%s', want '%s'\n", data, err, want_err);
    assert_string_equal(err, want_err);
    check_key(key, want_key, data);
}

static void test_record_prologue(void **state)
{
    (void)state;
    struct decl_record_spec spec = {.what = "a thing",
                                    .default_max_bytes = 40,
                                    .max_depth = 2,
                                    .key_missing = "logisticsNo: none here"};
    char long_key[128];
    char err[256];

    /* the spec's words, limits and key text */
    expect_prologue_refusal(&spec, "", 0, "empty record", NULL);
    expect_prologue_refusal(&spec, "{\"logisticsNo\":\"YL1\",\"note\":\"x1234567\"}", 41,
                            "record too large: 41 bytes, limit 40 bytes", NULL);
    expect_prologue_refusal(&spec, "[1]", 3,
                            "not a thing: the record is a JSON array, not an object", NULL);
    expect_prologue_refusal(&spec, "\"YL1\"", 5,
                            "not a thing: the record is a JSON string, not an object", NULL);
    expect_prologue_refusal(&spec, "{\"a\":{\"b\":{}}}", 14,
                            "invalid JSON at byte 10: nesting deeper than 2 levels", NULL);
    expect_prologue_refusal(&spec, "{}", 2, "logisticsNo: none here", NULL);
    expect_prologue_refusal(&spec, "{\"logisticsNo\":null}", 20, "logisticsNo: none here", NULL);
    expect_prologue_refusal(&spec, "{\"logisticsNo\":7}", 17,
                            "logisticsNo: expected a string, got int", NULL);
    expect_prologue_refusal(&spec, "{\"logisticsNo\":\"\"}", 18, "logisticsNo: empty", NULL);
    expect_prologue_refusal(&spec, "{\"logisticsNo\":\"Y\\u0000\"}", 25,
                            "logisticsNo: contains a NUL character (\\u0000)", NULL);
    /* a bare number json-c cannot tell is complete: the two wordings */
    expect_prologue_refusal(&spec, "12", 2, "invalid JSON: unexpected end of input after 2 bytes",
                            NULL);
    spec.json_c_words = true;
    expect_prologue_refusal(&spec, "12", 2, "invalid JSON: continue", NULL);
    spec.json_c_words = false;

    /* duplicates: refused; the key is handed back only with key_despite_duplicate */
    const char *dup = "{\"logisticsNo\":\"YL1\",\"a\":1,\"a\":2}";
    expect_prologue_refusal(&spec, dup, strlen(dup), "duplicate key \"a\" in the top-level object",
                            NULL);
    spec.key_despite_duplicate = true;
    expect_prologue_refusal(&spec, dup, strlen(dup), "duplicate key \"a\" in the top-level object",
                            "YL1");
    const char *dup_key = "{\"logisticsNo\":\"YL1\",\"logisticsNo\":\"YL2\"}";
    spec.default_max_bytes = 1000;
    expect_prologue_refusal(&spec, dup_key, strlen(dup_key),
                            "duplicate key \"logisticsNo\" in the top-level object", NULL);

    /* 81 characters: too long */
    snprintf(long_key, sizeof(long_key), "{\"logisticsNo\":\"%081d\"}", 0);
    expect_prologue_refusal(&spec, long_key, strlen(long_key),
                            "logisticsNo: longer than 80 characters", NULL);

    /* accepted: the object, the key inside it, and a copy */
    const char *ok = " {\"logisticsNo\":\"鸡西-1\",\"x\":[1]}\n";
    const char *k = NULL;
    char *key = &key_unset;
    struct json_object *root =
        decl_record_parse(ok, strlen(ok), 0, &spec, &key, &k, err, sizeof(err));
    assert_non_null(root);
    assert_string_equal(k, "鸡西-1");
    check_key(key, "鸡西-1", "accepted record");
    json_object_put(root);
    /* neither key pointer is required */
    root = decl_record_parse(ok, strlen(ok), 0, &spec, NULL, NULL, err, sizeof(err));
    assert_non_null(root);
    json_object_put(root);
}

/* declaration_decode and scan_decode refuse a bad record prologue in the same words. */
static void test_prologue_shared_with_scans(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *want;
        const char *decl_key; /* the declaration hands back the key on a duplicate */
    } cases[] = {
        {"", "empty record", NULL},
        {"{\"logisticsNo\":\"YL1\"", "invalid JSON at byte 20: unexpected end of input", NULL},
        {"{\"logisticsNo\":7}", "logisticsNo: expected a string, got int", NULL},
        {"{\"logisticsNo\":\"\"}", "logisticsNo: empty", NULL},
        {"{\"logisticsNo\":\"YL\\u0000\"}", "logisticsNo: contains a NUL character (\\u0000)",
         NULL},
        {"{\"logisticsNo\":\"YL1\",\"scan\":1,\"scan\":2}",
         "duplicate key \"scan\" in the top-level object", "YL1"},
        {"{\"logisticsNo\":\"YL1\",\"x\":{\"a\":1,\"a\":1}}", "duplicate key \"a\" in x", "YL1"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char derr[256] = "", serr[256] = "";
        char *dkey = &key_unset, *skey = &key_unset;
        size_t len = strlen(cases[i].json);
        struct declaration *d = declaration_decode(cases[i].json, len, 0, &dkey, derr, 256);
        struct warehouse_scan *sc = scan_decode(cases[i].json, len, 0, &skey, serr, 256);

        assert_null(d);
        assert_null(sc);
        assert_string_equal(derr, cases[i].want);
        assert_string_equal(serr, cases[i].want);
        check_key(dkey, cases[i].decl_key, cases[i].json);
        check_key(skey, NULL, cases[i].json);
    }
}

/* ---- JSONTestSuite ---- */

static const char *suite_dir(void)
{
    const char *dir = getenv("CUSTOMSD_JSONTESTSUITE");

    return dir && *dir ? dir : src("tests/data/jsontestsuite/test_parsing");
}

/*
 * One file raw: never crash; n_ must be refused; a refusal has a reason. Returns the number
 * of contract violations (each printed), so that one run lists them all.
 */
static int suite_raw(const char *name, const char *data, size_t len)
{
    char err[1024] = "";
    char *key = &key_unset;
    struct declaration *d = declaration_decode(data, len, 0, &key, err, sizeof(err));

    if (key == &key_unset)
        fail_msg("%s: *key_out not set", name);
    free(key);
    if (d) {
        declaration_free(d);
        if (name[0] == 'n') {
            print_error("%s: invalid JSON accepted\n", name);
            return 1;
        }
        return 0;
    }
    if (err[0] == '\0') {
        print_error("%s: refused without a reason\n", name);
        return 1;
    }
    return 0;
}

/*
 * One file as the value of an unknown key of a valid declaration: the JSON grammar is the
 * same there, so an n_ value must be refused and a y_ value accepted - except values that
 * a declaration refuses on purpose (duplicate keys, U+0000).
 */
static int suite_wrapped(const char *name, const char *data, size_t len, size_t *checked)
{
    static const char head[] = "{\"logisticsNo\":\"YL1\",\"x\":";
    size_t n = sizeof(head) - 1;
    char *buf = malloc(n + len + 1), err[1024] = "", *key = &key_unset;
    struct declaration *d;
    int bad = 0;
    bool expect_ok = name[0] == 'y' && !strstr(name, "duplicated_key") &&
                     !strstr(name, "null_escape") && !strstr(name, "escaped_null");

    assert_non_null(buf);
    memcpy(buf, head, n);
    memcpy(buf + n, data, len);
    buf[n + len] = '}';
    d = declaration_decode(buf, n + len + 1, 0, &key, err, sizeof(err));
    if (key == &key_unset)
        fail_msg("%s wrapped: *key_out not set", name);
    free(key);
    free(buf);
    if (name[0] == 'n' && d) {
        print_error("%s wrapped: invalid JSON accepted\n", name);
        bad++;
    }
    if (expect_ok && !d) {
        print_error("%s wrapped: valid JSON refused: %s\n", name, err);
        bad++;
    }
    if (name[0] == 'n' || expect_ok)
        (*checked)++;
    if (!d && err[0] == '\0') {
        print_error("%s wrapped: refused without a reason\n", name);
        bad++;
    }
    declaration_free(d);
    return bad;
}

static void test_jsontestsuite(void **state)
{
    const char *dir = suite_dir();
    DIR *dh = opendir(dir);
    struct dirent *e;
    size_t n_cases = 0, y_cases = 0, i_cases = 0, wrapped_checked = 0;
    int bad = 0;

    (void)state;
    if (!dh) {
        fail_msg("JSONTestSuite not found at %s (vendored under tests/data/jsontestsuite; "
                 "CUSTOMSD_JSONTESTSUITE overrides)",
                 dir);
    }
    while ((e = readdir(dh)) != NULL) {
        char path[4096];
        size_t len = 0;
        char *data, *copy;
        size_t nl = strlen(e->d_name);

        if (nl < 6 || strcmp(e->d_name + nl - 5, ".json") != 0)
            continue;
        if (e->d_name[0] != 'n' && e->d_name[0] != 'y' && e->d_name[0] != 'i')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        data = read_file(path, &len);
        if (!data)
            fail_msg("%s: cannot read", path);
        /* An exact-size copy without NUL, so ASan sees any read past the length. */
        copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, data, len);
        bad += suite_raw(e->d_name, copy, len);
        bad += suite_wrapped(e->d_name, copy, len, &wrapped_checked);
        free(copy);
        free(data);
        if (e->d_name[0] == 'n')
            n_cases++;
        else if (e->d_name[0] == 'y')
            y_cases++;
        else
            i_cases++;
    }
    closedir(dh);
    print_message("JSONTestSuite %s: %zu n_, %zu y_, %zu i_ files; %zu wrapped n_/y_ outcomes "
                  "checked; %d violations\n",
                  dir, n_cases, y_cases, i_cases, wrapped_checked, bad);
    assert_true(n_cases > 0);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_fields),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_decimals_as_numbers),
        cmocka_unit_test(test_bad_decimals),
        cmocka_unit_test(test_format_faults),
        cmocka_unit_test(test_nan_infinity_literals),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_null_is_absent),
        cmocka_unit_test(test_unknown_keys_ignored),
        cmocka_unit_test(test_items_empty_and_count),
        cmocka_unit_test(test_strings_escapes_utf8),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_whitespace_around_object),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_length_not_nul_terminated),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_surrogates_and_nul),
        cmocka_unit_test(test_logistics_no),
        cmocka_unit_test(test_string_length),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_err_truncated),
        cmocka_unit_test(test_key_out_null),
        cmocka_unit_test(test_field_table),
        cmocka_unit_test(test_accessors_every_field),
        cmocka_unit_test(test_utf8_length),
        cmocka_unit_test(test_record_prologue),
        cmocka_unit_test(test_prologue_shared_with_scans),
        cmocka_unit_test(test_jsontestsuite),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
