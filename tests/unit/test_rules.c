/*
 * test_rules.c - unit tests of the rules engine (rules.h, daemon/rules*.c): the shipped
 * Mishan rule set (config/rules.yaml) on a valid declaration and on one defect per rule,
 * decision precedence, messages (field, item gnum, value, escaping, truncation),
 * declarations with missing fields or no items, the explicit forms of each check, and load
 * errors with file:line:column.
 *
 * Declarations are built from JSON text with declaration_decode: the valid one is
 * tests/data/rules/valid.json, each defect is a textual replacement in it, so the test
 * shows exactly what was broken. Paths are relative to the source tree, which is the
 * working directory unless CUSTOMSD_SRCDIR says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "declaration.h"
#include "rules.h"
#include "status.h"
#include "util.h"

static char path_buf[4096];

static const char *src(const char *rel)
{
    const char *dir = getenv("CUSTOMSD_SRCDIR");

    if (dir && *dir)
        snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, rel);
    else
        snprintf(path_buf, sizeof(path_buf), "%s", rel);
    return path_buf;
}

/* Shared by every test: the shipped rule set and the valid declaration's text. */
static struct rules *mishan;
static char *valid_json;

static int setup(void **state)
{
    char err[1024] = "";

    (void)state;
    if (rules_load(src("config/rules.yaml"), &mishan, err, sizeof(err)) != 0) {
        fprintf(stderr, "config/rules.yaml: %s\n", err);
        return -1;
    }
    valid_json = read_file(src("tests/data/rules/valid.json"), NULL);
    return valid_json ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rules_free(mishan);
    free(valid_json);
    return 0;
}

/* text with `from` (which must occur exactly once) replaced by `to`; caller frees. */
static char *replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    char *out;

    if (!at)
        fail_msg("'%s' not found in the declaration text", from);
    if (strstr(at + 1, from))
        fail_msg("'%s' occurs more than once in the declaration text", from);
    if (asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) < 0)
        fail_msg("out of memory");
    return out;
}

static struct declaration *decode(const char *json)
{
    char err[512] = "";
    struct declaration *d = declaration_decode(json, strlen(json), 0, NULL, err, sizeof(err));

    if (!d)
        fail_msg("test declaration does not decode: %s", err);
    return d;
}

static void decide_text(const struct rules *r, const char *json, struct decision *dec)
{
    struct declaration *d = decode(json);

    memset(dec, 0, sizeof(*dec));
    assert_int_equal(rules_evaluate(r, d, dec), 0);
    declaration_free(d);
}

/* Decide the valid declaration with up to two replacements (NULL pairs are skipped). */
static void decide_with(const struct rules *r, const char *from1, const char *to1,
                        const char *from2, const char *to2, struct decision *dec)
{
    char *t1 = from1 ? replace_once(valid_json, from1, to1) : strdup(valid_json);
    char *t2 = from2 ? replace_once(t1, from2, to2) : strdup(t1);

    decide_text(r, t2, dec);
    free(t1);
    free(t2);
}

static const struct reason *find_reason(const struct decision *dec, const char *rule_id)
{
    for (size_t i = 0; i < dec->n_reasons; i++) {
        if (strcmp(dec->reasons[i].rule_id, rule_id) == 0)
            return &dec->reasons[i];
    }
    return NULL;
}

static void dump(const struct decision *dec)
{
    fprintf(stderr, "decision %d, %zu reasons:\n", dec->status_code, dec->n_reasons);
    for (size_t i = 0; i < dec->n_reasons; i++)
        fprintf(stderr, "  %s %s: %s\n", dec->reasons[i].rule_id,
                rule_action_name(dec->reasons[i].action), dec->reasons[i].message);
}

/* The decision has a reason from rule_id with that action whose message contains text. */
static void expect_reason(const struct decision *dec, const char *rule_id, enum rule_action action,
                          const char *text)
{
    const struct reason *r = find_reason(dec, rule_id);

    if (!r) {
        dump(dec);
        fail_msg("no reason from rule %s", rule_id);
    }
    assert_int_equal(r->action, action);
    if (!strstr(r->message, text)) {
        dump(dec);
        fail_msg("rule %s: message '%s' does not contain '%s'", rule_id, r->message, text);
    }
}

/* Exactly these rule ids matched, in this order. */
static void expect_rules(const struct decision *dec, const char *const *ids, size_t n)
{
    if (dec->n_reasons != n) {
        dump(dec);
        fail_msg("expected %zu reasons, got %zu", n, dec->n_reasons);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(dec->reasons[i].rule_id, ids[i]);
}

/* ------------------------------------------------------------------------------------ */

/*
 * The shipped rule set: one rule per "  - id:" line of the file; the version is the
 * SHA-256 of the bundle (the file, then each referenced list and the rates table with a
 * marker line), not of the rules file alone.
 */
static void test_load_default_rules(void **state)
{
    size_t len = 0, ids = 0;
    char *text = read_file(src("config/rules.yaml"), &len);
    const char *bundle, *s;
    char hex[65];

    (void)state;
    assert_non_null(text);
    for (s = text; (s = strstr(s, "\n  - id: ")); s++)
        ids++;
    assert_true(ids >= 30);
    assert_int_equal(rules_count(mishan), ids);
    bundle = rules_text(mishan);
    assert_int_equal(strncmp(bundle, text, len), 0);
    assert_int_equal(sha256_hex(bundle, strlen(bundle), hex), 0);
    assert_string_equal(rules_version(mishan), hex);
    assert_int_equal(sha256_hex(text, len, hex), 0);
    assert_string_not_equal(rules_version(mishan), hex);
    assert_int_equal(rules_file_count(mishan), 8);
    for (size_t i = 0; i < rules_file_count(mishan); i++) {
        char marker[256], rel[256];
        size_t flen = 0;
        char *ftext;
        snprintf(rel, sizeof(rel), "config/%s", rules_file_name(mishan, i));
        ftext = read_file(src(rel), &flen);
        assert_non_null(ftext);
        snprintf(marker, sizeof(marker), "\n# ---- customsd rule set bundle: %s (%zu bytes)\n",
                 rules_file_name(mishan, i), flen);
        s = strstr(bundle, marker);
        assert_non_null(s);
        assert_int_equal(strncmp(s + strlen(marker), ftext, flen), 0);
        free(ftext);
    }
    assert_non_null(strstr(bundle, "rules.yaml") ? bundle : NULL);
    free(text);
}

/*
 * message_zh: every shipped rule has one (the declarer's receipt is in Chinese), and a
 * matched rule's reason carries it beside the English message; a rule without one (the
 * language allows it) gives a reason without it, so the receipt falls back to English.
 */
static void test_message_zh(void **state)
{
    static const char *const len_gcode[] = {"CEB603-LEN", "CEB603-GCODE"};
    const char *text = "version: 1\n"
                       "rules:\n"
                       "  - id: R1\n"
                       "    message_zh: \"缺少系统唯一序号\"\n"
                       "    action: reject\n"
                       "    check: required\n"
                       "    fields: [guid]\n"
                       "  - id: R2\n"
                       "    action: flag\n"
                       "    check: required\n"
                       "    fields: [guid]\n";
    size_t len = 0, n_zh = 0;
    char *file = read_file(src("config/rules.yaml"), &len);
    struct rules *r = NULL;
    struct decision dec;
    char err[512];
    const char *s;

    (void)state;
    assert_non_null(file);
    for (s = file; (s = strstr(s, "\n    message_zh: \"")); s++)
        n_zh++;
    free(file);
    assert_int_equal(n_zh, rules_count(mishan));

    decide_with(mishan, "\"gcode\": \"6110200000\"", "\"gcode\": \"92079\"", NULL, NULL, &dec);
    expect_rules(&dec, len_gcode, 2);
    assert_non_null(dec.reasons[1].message_zh);
    assert_string_equal(dec.reasons[0].message_zh, "字段长度超出CEB603规定");
    assert_string_equal(dec.reasons[1].message_zh, "商品编码(gcode)须为10位数字");
    assert_non_null(strstr(dec.reasons[1].message, "gcode"));
    decision_clear(&dec);

    if (rules_load_buffer("zh", text, strlen(text), &r, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    decide_with(r, "\"guid\": \"", "\"guidX\": \"", NULL, NULL, &dec);
    assert_int_equal(dec.n_reasons, 2);
    assert_string_equal(dec.reasons[0].message_zh, "缺少系统唯一序号");
    assert_null(dec.reasons[1].message_zh);
    decision_clear(&dec);
    rules_free(r);
}

static void test_valid_accepted(void **state)
{
    struct decision dec;

    (void)state;
    decide_with(mishan, NULL, NULL, NULL, NULL, &dec);
    if (dec.n_reasons)
        dump(&dec);
    assert_int_equal(dec.status_code, 399);
    assert_int_equal(dec.n_reasons, 0);
    assert_ptr_equal(dec.rules_version, rules_version(mishan));
    decision_clear(&dec);
    assert_int_equal(dec.n_reasons, 0);
    assert_null(dec.reasons);
    decision_clear(&dec); /* a cleared decision may be cleared again */
}

static void test_required_head(void **state)
{
    static const char *const only_req_head[] = {"CEB603-REQ-HEAD"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"ebpName\": \"鸡西跨境电商平台有限公司\", ", "", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, only_req_head, 1);
    assert_string_equal(dec.reasons[0].message, "ebpName: missing");
    assert_int_equal(dec.reasons[0].action, RULE_REJECT);
    decision_clear(&dec);

    /* Present but only spaces counts as empty; two defects, one reason naming both. */
    decide_with(mishan, "\"ownerName\": \"密山市北方乐器贸易有限公司\"", "\"ownerName\": \"  \"",
                "\"packNo\": 1", "\"packNo\": null", &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, only_req_head, 1);
    assert_string_equal(dec.reasons[0].message, "ownerName: empty; packNo: missing");
    decision_clear(&dec);

    /* An empty code is reported once, by `required`: value checks skip empty values. */
    decide_with(mishan, "\"ieFlag\": \"E\"", "\"ieFlag\": \"\"",
                "\"unit\": \"011\", \"qty1\": \"0.9\"", "\"unit\": \"\", \"qty1\": \"0.9\"", &dec);
    assert_int_equal(dec.status_code, 100);
    {
        static const char *const ids[] = {"CEB603-REQ-HEAD", "CEB603-REQ-ITEM"};
        expect_rules(&dec, ids, 2);
    }
    assert_string_equal(dec.reasons[0].message, "ieFlag: empty");
    assert_string_equal(dec.reasons[1].message, "items[gnum=2].unit: empty");
    decision_clear(&dec);
}

static void test_required_item(void **state)
{
    static const char *const only_req_item[] = {"CEB603-REQ-ITEM"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"gmodel\": \"男式 100%棉 针织\", ", "", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, only_req_item, 1);
    assert_string_equal(dec.reasons[0].message, "items[gnum=2].gmodel: missing");
    decision_clear(&dec);
}

/* Make one field of a decoded record absent, as if the sender had left it out. */
static void make_absent(void *base, const struct decl_field *f)
{
    char *p = (char *)base + f->offset;

    switch (f->kind) {
    case DECL_STRING:
        free(*(char **)p);
        *(char **)p = NULL;
        break;
    case DECL_DECIMAL:
        ((struct decl_decimal *)p)->present = false;
        break;
    case DECL_INTEGER:
        ((struct decl_integer *)p)->present = false;
        break;
    }
}

/*
 * The shipped required rules cover exactly the CEB603 Y fields of the declaration field
 * table: each required field, left out alone, gives "<field>: missing" from the right rule,
 * and an optional field left out changes nothing.
 */
static void test_required_matches_ceb603(void **state)
{
    (void)state;
    for (size_t pass = 0; pass < 2; pass++) {
        const struct decl_field *table = pass ? decl_item_fields : decl_head_fields;
        size_t count = pass ? decl_item_field_count : decl_head_field_count;

        for (size_t i = 0; i < count; i++) {
            const struct decl_field *f = &table[i];
            struct declaration *d = decode(valid_json);
            struct decision dec = {0};
            char want[128];

            make_absent(pass ? (void *)&d->items[0] : (void *)d, f);
            assert_int_equal(rules_evaluate(mishan, d, &dec), 0);
            if (!f->required) {
                if (dec.n_reasons)
                    dump(&dec);
                assert_int_equal(dec.status_code, 399);
            } else {
                if (!pass)
                    snprintf(want, sizeof(want), "%s: missing", f->name);
                else if (strcmp(f->name, "gnum") == 0)
                    snprintf(want, sizeof(want), "items[0].gnum: missing");
                else
                    snprintf(want, sizeof(want), "items[gnum=1].%s: missing", f->name);
                assert_int_equal(dec.status_code, 100);
                expect_reason(&dec, pass ? "CEB603-REQ-ITEM" : "CEB603-REQ-HEAD", RULE_REJECT,
                              want);
                assert_string_equal(dec.reasons[0].message, want);
            }
            decision_clear(&dec);
            declaration_free(d);
        }
    }
}

/* No items at all: the header rule says so; item rules have nothing to check. */
static void test_no_items(void **state)
{
    static const char *const ids[] = {"CEB603-REQ-HEAD", "CEB603-ITEM-COUNT"};
    struct decision dec;

    (void)state;
    /* The items move to an unknown key, which the decoder ignores. */
    decide_with(mishan, "\"items\": [", "\"items\": [], \"was_items\": [", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 2);
    assert_string_equal(dec.reasons[0].message, "items: none declared (CEB603 requires 1 to 100)");
    assert_string_equal(dec.reasons[1].message, "items: 0 declared, at least 1 required");
    decision_clear(&dec);
}

/* Almost nothing present: no crash, every check copes with NULL fields. */
static void test_missing_everything(void **state)
{
    static const char *const req[] = {"CEB603-REQ-HEAD", "CEB603-REQ-ITEM"};
    struct decision dec;

    (void)state;
    decide_text(mishan, "{\"logisticsNo\": \"YL1\"}", &dec);
    assert_int_equal(dec.status_code, 100);
    {
        static const char *const ids[] = {"CEB603-REQ-HEAD", "CEB603-ITEM-COUNT"};
        expect_rules(&dec, ids, 2);
    }
    expect_reason(&dec, "CEB603-REQ-HEAD", RULE_REJECT, "guid: missing; appType: missing");
    expect_reason(&dec, "CEB603-REQ-HEAD", RULE_REJECT, "more");
    decision_clear(&dec);

    /* One item with nothing in it: named by position since it has no gnum. */
    decide_text(mishan, "{\"logisticsNo\": \"YL1\", \"items\": [{}]}", &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, req, 2);
    expect_reason(&dec, "CEB603-REQ-ITEM", RULE_REJECT,
                  "items[0].gnum: missing; items[0].itemNo: missing");
    decision_clear(&dec);
}

static void test_length(void **state)
{
    struct decision dec;
    char name[101 * 3 + 64], *json, *big;

    (void)state;
    decide_with(mishan, "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
                "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F", "\"itemNo\": \"SW-CT-002\"",
                "\"itemNo\": \"SW-CT-002-ABCDEFGHIJK\"", &dec);
    assert_int_equal(dec.status_code, 100);
    expect_reason(&dec, "CEB603-LEN", RULE_REJECT,
                  "guid: '0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F' has 35 characters, exactly 36 "
                  "allowed (CEB603)");
    expect_reason(&dec, "CEB603-LEN", RULE_REJECT,
                  "items[gnum=2].itemNo: 'SW-CT-002-ABCDEFGHIJK' has 21 characters, at most 20 "
                  "allowed (CEB603)");
    decision_clear(&dec);

    /* Lengths count characters, not bytes: 100 Chinese characters fit ebpName C..100. */
    strcpy(name, "\"ebpName\": \"");
    for (int i = 0; i < 100; i++)
        strcat(name, "鸡");
    strcat(name, "\"");
    json = replace_once(valid_json, "\"ebpName\": \"鸡西跨境电商平台有限公司\"", name);
    decide_text(mishan, json, &dec);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
    name[strlen(name) - 1] = '\0';
    strcat(name, "鸡\"");
    big = replace_once(valid_json, "\"ebpName\": \"鸡西跨境电商平台有限公司\"", name);
    decide_text(mishan, big, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_reason(&dec, "CEB603-LEN", RULE_REJECT, "has 101 characters, at most 100 allowed");
    expect_reason(&dec, "CEB603-LEN", RULE_REJECT, "ebpName: '鸡鸡鸡");
    decision_clear(&dec);
    free(json);
    free(big);
}

static void test_ie_flag(void **state)
{
    static const char *const ids[] = {"CEB603-IEFLAG"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"ieFlag\": \"E\"", "\"ieFlag\": \"I\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 1);
    assert_string_equal(dec.reasons[0].message, "ieFlag: 'I' is not one of E");
    decision_clear(&dec);
}

static void test_trade_mode(void **state)
{
    static const char *const ids[] = {"CEB603-TRADEMODE"};
    static const char *const good[] = {"9710", "9810"};
    static const char *const bonded[] = {"1210", "1239"};
    struct decision dec;
    char to[64];

    (void)state;
    /* The official sample's bad value (docs/DOMAIN.md section 4 rule 25). */
    decide_with(mishan, "\"tradeMode\": \"9610\"", "\"tradeMode\": \"0101\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 1);
    assert_string_equal(dec.reasons[0].message,
                        "tradeMode: '0101' is not one of the 5 codes of lists/trade-modes.yaml");
    decision_clear(&dec);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(to, sizeof(to), "\"tradeMode\": \"%s\"", good[i]);
        decide_with(mishan, "\"tradeMode\": \"9610\"", to, NULL, NULL, &dec);
        assert_int_equal(dec.status_code, 399);
        decision_clear(&dec);
    }
    /* Bonded modes are valid codes but need the zone enterprise and account book
     * (docs/DOMAIN.md section 4 rule 6): a `when` on tradeMode. */
    for (size_t i = 0; i < sizeof(bonded) / sizeof(bonded[0]); i++) {
        static const char *const req[] = {"CEB603-REQ-BONDED"};
        snprintf(to, sizeof(to), "\"tradeMode\": \"%s\"", bonded[i]);
        decide_with(mishan, "\"tradeMode\": \"9610\"", to, NULL, NULL, &dec);
        assert_int_equal(dec.status_code, 100);
        expect_rules(&dec, req, 1);
        assert_string_equal(dec.reasons[0].message,
                            "iacCode: missing; iacName: missing; emsNo: missing; "
                            "items[gnum=1].itemRecordNo: missing; "
                            "items[gnum=2].itemRecordNo: missing");
        decision_clear(&dec);
    }
}

static void test_gcode(void **state)
{
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"gcode\": \"6110200000\"", "\"gcode\": \"92079\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_reason(&dec, "CEB603-GCODE", RULE_REJECT,
                  "items[gnum=2].gcode: '92079' is not 10 digits");
    assert_string_equal(find_reason(&dec, "CEB603-GCODE")->message,
                        "items[gnum=2].gcode: '92079' is not 10 digits");
    decision_clear(&dec);

    /* Ten characters, not all digits. */
    decide_with(mishan, "\"gcode\": \"9207900000\"", "\"gcode\": \"92079000O0\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    assert_string_equal(find_reason(&dec, "CEB603-GCODE")->message,
                        "items[gnum=1].gcode: '92079000O0' is not 10 digits");
    assert_null(find_reason(&dec, "CEB603-LEN"));
    decision_clear(&dec);

    /* Ten digits in chapter 77 (reserved) or 99: no such HS code; 78 exists. */
    decide_with(mishan, "\"gcode\": \"9207900000\"", "\"gcode\": \"9907900000\"",
                "\"gcode\": \"6110200000\"", "\"gcode\": \"7710200000\"", &dec);
    assert_int_equal(dec.status_code, 100);
    assert_null(find_reason(&dec, "CEB603-GCODE"));
    assert_string_equal(find_reason(&dec, "CEB603-HS-CHAPTER")->message,
                        "items[gnum=1].gcode: '9907900000' is not in an HS chapter: chapters are "
                        "01-97 and 77 is reserved (HS prefix 99); items[gnum=2].gcode: "
                        "'7710200000' is not in an HS chapter: chapters are 01-97 and 77 is "
                        "reserved (HS prefix 77)");
    decision_clear(&dec);
    decide_with(mishan, "\"gcode\": \"6110200000\"", "\"gcode\": \"7810200000\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
}

/* Code fields against the list files (docs/DOMAIN.md section 3), leading zeros kept. */
static void test_code_fields(void **state)
{
    static const char *const ids[] = {"CEB603-CURRENCY", "CEB603-UNIT"};
    static const char *const country[] = {"CEB603-COUNTRY"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"fCurrency\": \"142\"", "\"fCurrency\": \"RMB\"",
                "\"unit\": \"011\", \"qty1\": \"0.9\"", "\"unit\": \"aaa\", \"qty1\": \"0.9\"",
                &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 2);
    assert_string_equal(dec.reasons[0].message,
                        "fCurrency: 'RMB' is not one of the 6 codes of lists/currencies.yaml");
    assert_string_equal(dec.reasons[1].message,
                        "items[gnum=2].unit: 'aaa' is not one of the 17 codes of lists/units.yaml");
    decision_clear(&dec);

    /* The official sample's bad country 001 (docs/DOMAIN.md section 4 rule 25); "11" is not
     * unit "011"; 035 and 001 are. */
    decide_with(mishan, "\"country\": \"344\", \"POD\"", "\"country\": \"001\", \"POD\"", NULL,
                NULL, &dec);
    expect_rules(&dec, country, 1);
    assert_string_equal(dec.reasons[0].message,
                        "country: '001' is not one of the 6 codes of lists/countries.yaml");
    decision_clear(&dec);
    decide_with(mishan, "\"unit\": \"011\", \"qty1\": \"0.9\"",
                "\"unit\": \"11\", \"qty1\": \"0.9\"", NULL, NULL, &dec);
    expect_reason(&dec, "CEB603-UNIT", RULE_REJECT, "'11' is not one of");
    decision_clear(&dec);
    decide_with(mishan, "\"unit\": \"011\", \"qty1\": \"0.9\"",
                "\"unit\": \"035\", \"qty1\": \"0.9\"", "\"unit\": \"011\", \"qty1\": \"1\"",
                "\"unit\": \"001\", \"qty1\": \"1\"", &dec);
    if (dec.n_reasons)
        dump(&dec);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
}

static void test_gnum_sequence(void **state)
{
    static const char *const ids[] = {"CEB603-GNUM"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"gnum\": 2", "\"gnum\": 3", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 1);
    assert_string_equal(dec.reasons[0].message,
                        "items[1].gnum: 3, expected 2 (consecutive from 1)");
    decision_clear(&dec);

    /* Starting from 0 is wrong too; only the first break is reported. */
    decide_with(mishan, "\"gnum\": 1", "\"gnum\": 0", "\"gnum\": 2", "\"gnum\": 1", &dec);
    expect_rules(&dec, ids, 1);
    assert_string_equal(dec.reasons[0].message,
                        "items[0].gnum: 0, expected 1 (consecutive from 1)");
    decision_clear(&dec);
}

static void test_total_price(void **state)
{
    static const char *const ids[] = {"CEB603-TOTALPRICE"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"totalPrice\": \"269.70\"", "\"totalPrice\": \"269.72\"", NULL, NULL,
                &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 1);
    assert_string_equal(dec.reasons[0].message,
                        "items[gnum=2].totalPrice: 269.72, expected qty × price = 3 × 89.9 = "
                        "269.7 (rounded half up to 2 decimals)");
    decision_clear(&dec);

    /* One cent off is not a tolerance: the rounding to fen is the only one. */
    decide_with(mishan, "\"totalPrice\": \"269.70\"", "\"totalPrice\": \"269.69\"", NULL, NULL,
                &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 1);
    decision_clear(&dec);

    /* 3 x 89.995 = 269.985: half up gives 269.99 (half-even or cutting would give 269.98). */
    decide_with(mishan, "\"price\": \"89.90\", \"totalPrice\": \"269.70\"",
                "\"price\": \"89.995\", \"totalPrice\": \"269.99\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
    decide_with(mishan, "\"price\": \"89.90\", \"totalPrice\": \"269.70\"",
                "\"price\": \"89.995\", \"totalPrice\": \"269.98\"", NULL, NULL, &dec);
    expect_reason(&dec, "CEB603-TOTALPRICE", RULE_REJECT,
                  "269.98, expected qty × price = 3 × 89.995 = 269.99 (rounded");
    decision_clear(&dec);
    /* 3 x 0.00333 = 0.00999 -> 0.01; the trailing zeros of 0.010 do not matter. */
    decide_with(mishan, "\"price\": \"89.90\", \"totalPrice\": \"269.70\"",
                "\"price\": \"0.00333\", \"totalPrice\": \"0.010\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
}

static void test_weights_and_packages(void **state)
{
    static const char *const gross[] = {"CEB603-WEIGHT-GROSS-NET"};
    static const char *const net[] = {"CEB603-WEIGHT-NET"};
    static const char *const pack[] = {"CEB603-PACKNO"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"grossWeight\": \"6.35\"", "\"grossWeight\": \"5.1\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, gross, 1);
    assert_string_equal(dec.reasons[0].message, "grossWeight: 5.1 is not >= netWeight 5.2");
    decision_clear(&dec);

    /* Equal weights are allowed. */
    decide_with(mishan, "\"grossWeight\": \"6.35\"", "\"grossWeight\": \"5.20000\"", NULL, NULL,
                &dec);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);

    decide_with(mishan, "\"netWeight\": \"5.2\"", "\"netWeight\": 0", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_reason(&dec, "CEB603-WEIGHT-NET", RULE_REJECT, "netWeight: 0 is not > 0");
    /* ... and the 0.9 kg declared as item 2's legal quantity no longer fits (a flag). */
    expect_reason(&dec, "CEB603-KG-NETWEIGHT", RULE_FLAG,
                  "sum of items[].qty1 of the matching items (1 items) = 0.9 is not <= "
                  "netWeight 0");
    assert_int_equal(dec.n_reasons, 2);
    (void)net;
    decision_clear(&dec);

    decide_with(mishan, "\"packNo\": 1", "\"packNo\": 0", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, pack, 1);
    assert_string_equal(dec.reasons[0].message, "packNo: 0 is not >= 1");
    decision_clear(&dec);
}

static void test_hs_watch_list(void **state)
{
    static const char *const ids[] = {"MISHAN-HS-WATCH"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"gcode\": \"6110200000\"", "\"gcode\": \"3801100000\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 500);
    expect_rules(&dec, ids, 1);
    assert_int_equal(dec.reasons[0].action, RULE_INSPECT);
    assert_string_equal(dec.reasons[0].message,
                        "items[gnum=2].gcode: '3801100000' is on the watch list (HS prefix 3801)");
    decision_clear(&dec);
}

static void test_reject_beats_inspect(void **state)
{
    static const char *const ids[] = {"CEB603-IEFLAG", "MISHAN-HS-WATCH"};
    struct decision dec;

    (void)state;
    decide_with(mishan, "\"gcode\": \"6110200000\"", "\"gcode\": \"8806100000\"",
                "\"ieFlag\": \"E\"", "\"ieFlag\": \"I\"", &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 2); /* rule-file order */
    assert_int_equal(dec.reasons[0].action, RULE_REJECT);
    assert_int_equal(dec.reasons[1].action, RULE_INSPECT);
    decision_clear(&dec);
}

/* Trace callback: counts the rules reported, and those reported as skipped. */
struct format_trace {
    size_t calls, skipped;
};

static void format_trace_fn(void *ctx, const struct rule_trace *t)
{
    struct format_trace *ft = ctx;
    ft->calls++;
    ft->skipped += t->outcome == RULE_OUTCOME_SKIPPED && strstr(t->why, RULES_FORMAT_ID);
}

/*
 * The built-in pre-rule CEB603-FORMAT (issue 10): a readable declaration with a field that
 * breaks the CEB603 format is rejected with one reason naming the field (by gnum, as the
 * rules do) and the value as sent; no rule of the file runs on the incomplete declaration
 * (CEB603-REQ-ITEM would say "price: missing", CEB603-TOTALPRICE would misjudge).
 */
static void test_format_pre_rule(void **state)
{
    static const char *const ids[] = {RULES_FORMAT_ID};
    static const struct {
        const char *from, *to, *text;
    } cases[] = {
        {"\"price\": \"1099.00\"", "\"price\": \"1,234.00\"",
         "items[gnum=1].price: '1,234.00' is not a decimal number"},
        {"\"price\": \"1099.00\"", "\"price\": \"12.345678\"",
         "items[gnum=1].price: '12.345678' has more than 5 digits after the decimal point"},
        {"\"price\": \"1099.00\"", "\"price\": \"1e3\"",
         "items[gnum=1].price: '1e3' is not a plain decimal number (exponent notation)"},
        {"\"price\": \"1099.00\"", "\"price\": 1e3", "items[gnum=1].price: 1e3 is not a plain"},
        {"\"grossWeight\": \"6.35\"", "\"grossWeight\": true",
         "grossWeight: true is a boolean, a decimal number expected"},
        {"\"gnum\": 1,", "\"gnum\": \"one\",", "items[0].gnum: 'one' is not a whole number"},
        {"\"packNo\": 1", "\"packNo\": {\"n\": 1}", "packNo: {\"n\":1} is an object"},
    };
    struct decision dec;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        decide_with(mishan, cases[i].from, cases[i].to, NULL, NULL, &dec);
        assert_int_equal(dec.status_code, 100);
        expect_rules(&dec, ids, 1);
        expect_reason(&dec, RULES_FORMAT_ID, RULE_REJECT, cases[i].text);
        assert_int_equal(dec.reasons[0].severity, RULE_SEVERITY_HIGH);
        assert_string_equal(dec.reasons[0].message_zh, RULES_FORMAT_MESSAGE_ZH);
        assert_non_null(dec.rules_version);
        decision_clear(&dec);
    }

    /* Two bad fields: one reason naming both, in decoding order; every rule of the file is
     * traced as skipped, saying why. */
    char *t1 = replace_once(valid_json, "\"price\": \"89.90\"", "\"price\": \"89,90\"");
    char *t2 = replace_once(t1, "\"netWeight\": \"5.2\"", "\"netWeight\": [5.2]");
    struct declaration *d = decode(t2);
    struct format_trace ft = {0};
    memset(&dec, 0, sizeof(dec));
    assert_int_equal(rules_evaluate_trace(mishan, d, &dec, format_trace_fn, &ft), 0);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 1);
    expect_reason(&dec, RULES_FORMAT_ID, RULE_REJECT,
                  "netWeight: [5.2] is an array, a decimal number expected; "
                  "items[gnum=2].price: '89,90' is not a decimal number");
    assert_int_equal(ft.calls, rules_count(mishan));
    assert_int_equal(ft.skipped, rules_count(mishan));
    decision_clear(&dec);
    declaration_free(d);
    free(t1);
    free(t2);
}

/* Traces of a saved declaration: every rule skipped, saying why. */
static void saved_trace_fn(void *ctx, const struct rule_trace *t)
{
    struct format_trace *ft = ctx;
    ft->calls++;
    ft->skipped += t->outcome == RULE_OUTCOME_SKIPPED && strstr(t->why, "appStatus 1");
}

/*
 * appStatus 1 (暂存, saved; pre-check 22): status 1, no reasons, no rule of the file run
 * (a 9-digit gcode, rejected when declared, is saved as it is); a format fault is still
 * rejected by the pre-rule; appStatus 2 with the same content is decided.
 */
static void test_saved(void **state)
{
    static const char *const ids[] = {RULES_FORMAT_ID};
    struct decision dec;
    (void)state;

    decide_with(mishan, "\"appStatus\": \"2\"", "\"appStatus\": \"1\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, STATUS_SAVED);
    assert_int_equal(dec.n_reasons, 0);
    decision_clear(&dec);

    decide_with(mishan, "\"appStatus\": \"2\"", "\"appStatus\": \"1\"", "\"9207900000\"",
                "\"920790000\"", &dec);
    assert_int_equal(dec.status_code, STATUS_SAVED);
    assert_int_equal(dec.n_reasons, 0);
    decision_clear(&dec);
    decide_with(mishan, "\"9207900000\"", "\"920790000\"", NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    decision_clear(&dec);

    decide_with(mishan, "\"appStatus\": \"2\"", "\"appStatus\": \"1\"", "\"price\": \"1099.00\"",
                "\"price\": \"1,234.00\"", &dec);
    assert_int_equal(dec.status_code, 100);
    expect_rules(&dec, ids, 1);
    decision_clear(&dec);

    char *t = replace_once(valid_json, "\"appStatus\": \"2\"", "\"appStatus\": \"1\"");
    struct declaration *d = decode(t);
    struct format_trace ft = {0};
    memset(&dec, 0, sizeof(dec));
    assert_int_equal(rules_evaluate_trace(mishan, d, &dec, saved_trace_fn, &ft), 0);
    assert_int_equal(dec.status_code, STATUS_SAVED);
    assert_int_equal(ft.calls, rules_count(mishan));
    assert_int_equal(ft.skipped, rules_count(mishan));
    decision_clear(&dec);
    declaration_free(d);
    free(t);
}

/* A lookup for `unique` keys: one stored parcel holding one key (fields and values). */
struct fake_holder {
    const char *fields[2], *values[2];
    const char *holder;
    const char *asked_by; /* the logisticsNo of the last question */
    int calls;
};

static const char *fake_holder_fn(void *ctx, const struct rules_key *k, const char *lno)
{
    struct fake_holder *h = ctx;

    h->calls++;
    h->asked_by = lno;
    if (k->n != 2)
        return NULL;
    for (size_t i = 0; i < 2; i++) {
        if (strcmp(k->fields[i], h->fields[i]) != 0 || strcmp(k->values[i], h->values[i]) != 0)
            return NULL;
    }
    return strcmp(h->holder, lno) != 0 ? h->holder : NULL;
}

static void count_key(void *ctx, const struct rules_key *k)
{
    (void)k;
    (*(int *)ctx)++;
}

/* Pre-check 19: `unique` keys, asked of the caller's lookup; skipped without one. */
static void test_unique(void **state)
{
    struct fake_holder h = {
        {"ebpCode", "orderNo"}, {"2301960001", "ORD20240512000001"}, "YL-OTHER", NULL, 0};
    struct rules_lookup lookup = {fake_holder_fn, &h};
    struct declaration *d = decode(valid_json);
    struct decision dec = {0};
    int keys = 0;
    (void)state;

    assert_true(rules_has_unique(mishan));
    rules_unique_keys(mishan, d, count_key, &keys);
    assert_int_equal(keys, 2); /* [ebpCode, orderNo] and [agentCode, copNo] */

    /* Without a lookup the rule is not evaluated. */
    assert_int_equal(rules_evaluate(mishan, d, &dec), 0);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);

    /* Another parcel holds the order: rejected, naming it. */
    assert_int_equal(rules_evaluate_lookup(mishan, d, &lookup, &dec, NULL, NULL), 0);
    assert_int_equal(dec.status_code, 100);
    expect_reason(&dec, "CEB603-UNIQUE-ORDERNO", RULE_REJECT,
                  "ebpCode '2301960001', orderNo 'ORD20240512000001' already declared for "
                  "parcel 'YL-OTHER'");
    assert_non_null(find_reason(&dec, "CEB603-UNIQUE-ORDERNO")->message_zh);
    assert_null(find_reason(&dec, "CEB603-UNIQUE-COPNO"));
    assert_string_equal(h.asked_by, "YL2024051200000001");
    assert_int_equal(h.calls, 2);
    decision_clear(&dec);

    /* The holder is the parcel itself (a redelivery, an amendment): no collision. */
    h.holder = "YL2024051200000001";
    assert_int_equal(rules_evaluate_lookup(mishan, d, &lookup, &dec, NULL, NULL), 0);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
    declaration_free(d);

    /* Another platform's order of the same number is another key. */
    h.holder = "YL-OTHER";
    char *t =
        replace_once(valid_json, "\"2301960001\", \"ebpName\"", "\"2301960009\", \"ebpName\"");
    d = decode(t);
    assert_int_equal(rules_evaluate_lookup(mishan, d, &lookup, &dec, NULL, NULL), 0);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
    declaration_free(d);
    free(t);

    /* No copNo: one key. Saved (appStatus 1): none, the rules do not judge it. */
    t = replace_once(valid_json, "\"COP2024051200000001\"", "\"  \"");
    d = decode(t);
    keys = 0;
    rules_unique_keys(mishan, d, count_key, &keys);
    assert_int_equal(keys, 1);
    declaration_free(d);
    free(t);
    t = replace_once(valid_json, "\"appStatus\": \"2\"", "\"appStatus\": \"1\"");
    d = decode(t);
    keys = 0;
    rules_unique_keys(mishan, d, count_key, &keys);
    assert_int_equal(keys, 0);
    declaration_free(d);
    free(t);

    /* Load errors, at the position of the offending node. */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"version: 1\nrules:\n  - {id: U, action: reject, check: unique}\n",
         "t.yaml:3:5: missing 'fields'"},
        {"version: 1\nrules:\n  - {id: U, action: reject, check: unique, fields: [ebpCode, "
         "\"items[].gcode\"]}\n",
         "t.yaml:3:62: fields: 'items[].gcode' cannot be part of a key"},
        {"version: 1\nrules:\n  - {id: U, action: reject, check: unique, fields: [grossWeight]}\n",
         "t.yaml:3:53: fields: field 'grossWeight' is a decimal; this check reads text"},
        {"version: 1\nrules:\n  - {id: U, action: reject, check: unique, fields: [ebpCode, "
         "orderNo, copNo, agentCode, ebcCode]}\n",
         "t.yaml:3:52: fields: a key has one to 4 fields, not 5"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rules *r = NULL;
        char err[512] = "";
        assert_int_equal(
            rules_load_buffer("t.yaml", bad[i].text, strlen(bad[i].text), &r, err, sizeof(err)),
            -1);
        if (!strstr(err, bad[i].want))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, bad[i].want);
    }
}

/* reject > review > inspect > accept; flag never changes the status. */
static void test_precedence(void **state)
{
    static const char text[] = "version: 1\n"
                               "rules:\n"
                               "  - {id: R-REJECT, action: reject, check: one_of, field: ieFlag,"
                               " values: [E]}\n"
                               "  - {id: R-REVIEW, action: review, check: hs_prefix,"
                               " field: \"items[].gcode\", prefixes: [\"61\"]}\n"
                               "  - {id: R-INSPECT, action: inspect, check: hs_prefix,"
                               " field: \"items[].gcode\", prefixes: [\"38\"]}\n"
                               "  - {id: R-FLAG, action: flag, check: hs_prefix,"
                               " field: \"items[].gcode\", prefixes: [\"92\"]}\n";
    static const struct {
        const char *gcode1, *gcode2, *ie_flag;
        int status;
        const char *ids[4];
    } cases[] = {
        {"9207900000", "6110200000", "E", 300, {"R-REVIEW", "R-FLAG"}},
        {"9207900000", "3801100000", "E", 500, {"R-INSPECT", "R-FLAG"}},
        {"9207900000", "3801100000", "I", 100, {"R-REJECT", "R-INSPECT", "R-FLAG"}},
        {"3801100000", "6110200000", "E", 300, {"R-REVIEW", "R-INSPECT"}},
        {"9207900000", "8471300000", "E", 399, {"R-FLAG"}},
        {"8517130000", "8471300000", "E", 399, {NULL}},
    };
    struct rules *r = NULL;
    char err[512] = "";

    (void)state;
    if (rules_load_buffer("precedence", text, strlen(text), &r, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(rules_count(r), 4);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char g1[64], g2[64], ie[64], *t1, *t2, *t3;
        struct decision dec;
        size_t n = 0;

        snprintf(g1, sizeof(g1), "\"gcode\": \"%s\"", cases[i].gcode1);
        snprintf(g2, sizeof(g2), "\"gcode\": \"%s\"", cases[i].gcode2);
        snprintf(ie, sizeof(ie), "\"ieFlag\": \"%s\"", cases[i].ie_flag);
        t1 = replace_once(valid_json, "\"gcode\": \"9207900000\"", "\"gcode\": \"G1\"");
        t2 = replace_once(t1, "\"gcode\": \"6110200000\"", g2);
        t3 = replace_once(t2, "\"gcode\": \"G1\"", g1);
        free(t1);
        t1 = replace_once(t3, "\"ieFlag\": \"E\"", ie);
        decide_text(r, t1, &dec);
        while (n < 4 && cases[i].ids[n])
            n++;
        assert_int_equal(dec.status_code, cases[i].status);
        expect_rules(&dec, cases[i].ids, n);
        decision_clear(&dec);
        free(t1);
        free(t2);
        free(t3);
    }
    rules_free(r);
}

/* Many findings of one rule: one reason, bounded, ending with how many were left out. */
static void test_message_truncation(void **state)
{
    char *json = malloc(64 * 1024), *p;
    struct decision dec;
    const struct reason *reason;
    size_t shown = 0, more = 0;
    const char *s;

    (void)state;
    assert_non_null(json);
    p = json + sprintf(json, "{\"logisticsNo\": \"YL1\", \"items\": [");
    for (int i = 1; i <= 100; i++)
        p += sprintf(p, "%s{\"gnum\": %d, \"gcode\": \"%d\"}", i > 1 ? ", " : "", i, i);
    strcpy(p, "]}");
    decide_text(mishan, json, &dec);
    reason = find_reason(&dec, "CEB603-GCODE");
    assert_non_null(reason);
    assert_true(strlen(reason->message) < 512);
    assert_non_null(strstr(reason->message, "items[gnum=1].gcode: '1' is not 10 digits; "
                                            "items[gnum=2].gcode: '2' is not 10 digits"));
    for (s = reason->message; (s = strstr(s, "is not 10 digits")); s++)
        shown++;
    s = strstr(reason->message, "; and ");
    assert_non_null(s);
    assert_int_equal(sscanf(s, "; and %zu more", &more), 1);
    assert_true(shown > 1);
    assert_int_equal(shown + more, 100);
    decision_clear(&dec);
    free(json);
}

/* Sender text is quoted with control characters and quotes escaped, and cut when long. */
static void test_value_escaping(void **state)
{
    struct decision dec;
    char long_code[200], *json;

    (void)state;
    decide_with(mishan, "\"gcode\": \"9207900000\"", "\"gcode\": \"92'07\\n\\\\\"", NULL, NULL,
                &dec);
    assert_string_equal(find_reason(&dec, "CEB603-GCODE")->message,
                        "items[gnum=1].gcode: '92\\'07\\x0a\\\\' is not 10 digits");
    decision_clear(&dec);

    memset(long_code, 'A', 150);
    strcpy(long_code + 150, "\"");
    json = NULL;
    {
        char to[256];
        snprintf(to, sizeof(to), "\"gcode\": \"%s", long_code);
        json = replace_once(valid_json, "\"gcode\": \"9207900000\"", to);
    }
    decide_text(mishan, json, &dec);
    {
        char want[128];
        memset(want, 'A', 64);
        strcpy(want + 64, "...' is not 10 digits");
        expect_reason(&dec, "CEB603-GCODE", RULE_REJECT, want);
        assert_null(strstr(find_reason(&dec, "CEB603-GCODE")->message,
                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    }
    decision_clear(&dec);
    free(json);
}

/* The explicit forms of the checks, which the shipped rule set does not use. */
static void test_explicit_checks(void **state)
{
    static const char text[] = "version: 1\n"
                               "rules:\n"
                               "  - id: ORDERNO-MAX\n"
                               "    action: flag\n"
                               "    check: length\n"
                               "    field: orderNo\n"
                               "    max: 10\n"
                               "  - id: COUNTRY-EXACT\n"
                               "    action: flag\n"
                               "    check: length\n"
                               "    fields: [country, \"items[].country\"]\n"
                               "    exact: 3\n"
                               "  - id: QTY1-POSITIVE\n"
                               "    action: review\n"
                               "    check: compare\n"
                               "    left: items[].qty1\n"
                               "    op: \">\"\n"
                               "    value: \"0.9\"\n"
                               "  - id: PRICE-VS-FREIGHT\n"
                               "    action: flag\n"
                               "    check: compare\n"
                               "    left: items[].price\n"
                               "    op: \"!=\"\n"
                               "    right: freight\n"
                               "  - id: RUSSIA\n"
                               "    description: destination is Russia (344) everywhere\n"
                               "    action: flag\n"
                               "    check: one_of\n"
                               "    fields: [country, \"items[].country\"]\n"
                               "    values: [\"344\"]\n"
                               "  - id: APPTIME\n"
                               "    action: reject\n"
                               "    check: pattern\n"
                               "    field: appTime\n"
                               "    regex: '^20[0-9]{12}$'\n"
                               "  - id: DISABLED\n"
                               "    action: reject\n"
                               "    enabled: false\n"
                               "    check: one_of\n"
                               "    field: ieFlag\n"
                               "    values: [X]\n"
                               "  - id: HEADER-PRODUCT\n"
                               "    action: flag\n"
                               "    check: product\n"
                               "    factors: [packNo, netWeight]\n"
                               "    equals: grossWeight\n";
    struct rules *r = NULL;
    struct decision dec;
    char err[512] = "";

    (void)state;
    if (rules_load_buffer("explicit", text, strlen(text), &r, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(rules_count(r), 8);

    decide_with(r, NULL, NULL, NULL, NULL, &dec);
    /* qty1 0.9 of item 2 is not > 0.9; packNo 1 x netWeight 5.2 != grossWeight 6.35. */
    assert_int_equal(dec.status_code, 300);
    {
        static const char *const ids[] = {"ORDERNO-MAX", "QTY1-POSITIVE", "HEADER-PRODUCT"};
        expect_rules(&dec, ids, 3);
    }
    expect_reason(&dec, "ORDERNO-MAX", RULE_FLAG,
                  "orderNo: 'ORD20240512000001' has 17 characters, at most 10 allowed");
    assert_null(strstr(find_reason(&dec, "ORDERNO-MAX")->message, "CEB603"));
    assert_string_equal(find_reason(&dec, "QTY1-POSITIVE")->message,
                        "items[gnum=2].qty1: 0.9 is not > 0.9");
    assert_string_equal(find_reason(&dec, "HEADER-PRODUCT")->message,
                        "grossWeight: 6.35, expected packNo × netWeight = 1 × 5.2 = 5.2 "
                        "(tolerance 0)");
    decision_clear(&dec);

    decide_with(r, "\"country\": \"344\", \"POD\"", "\"country\": \"3440\", \"POD\"",
                "\"price\": \"89.90\"", "\"price\": \"0\"", &dec);
    expect_reason(&dec, "COUNTRY-EXACT", RULE_FLAG,
                  "country: '3440' has 4 characters, exactly 3 allowed");
    expect_reason(&dec, "RUSSIA", RULE_FLAG, "country: '3440' is not one of 344");
    /* Item 2's price 0 equals the header freight 0. */
    expect_reason(&dec, "PRICE-VS-FREIGHT", RULE_FLAG,
                  "items[gnum=2].price: 0 is not != freight 0");
    decision_clear(&dec);

    decide_with(r, "\"appTime\": \"20240512103000\"", "\"appTime\": \"2024-05-12 10:30\"", NULL,
                NULL, &dec);
    assert_int_equal(dec.status_code, 100);
    expect_reason(&dec, "APPTIME", RULE_REJECT,
                  "appTime: '2024-05-12 10:30' does not match ^20[0-9]{12}$");
    decision_clear(&dec);
    rules_free(r);
}

static void test_version_is_content_hash(void **state)
{
    static const char a[] = "version: 1\nrules:\n  - {id: A, action: flag, check: required, "
                            "field: guid}\n";
    static const char b[] = "version: 1\nrules:\n  - {id: A, action: flag, check: required, "
                            "field: guid}  \n";
    struct rules *ra = NULL, *rb = NULL;
    char err[512] = "", hex[65];

    (void)state;
    assert_int_equal(rules_load_buffer("a", a, strlen(a), &ra, err, sizeof(err)), 0);
    assert_int_equal(rules_load_buffer("b", b, strlen(b), &rb, err, sizeof(err)), 0);
    assert_int_equal(sha256_hex(a, strlen(a), hex), 0);
    assert_string_equal(rules_version(ra), hex);
    assert_string_not_equal(rules_version(ra), rules_version(rb));
    assert_string_equal(rules_text(rb), b);
    rules_free(ra);
    rules_free(rb);
    rules_free(NULL);
}

static void expect_load_error(const char *name, int line, int column, const char *what)
{
    struct rules *r = (struct rules *)0x1;
    char rel[256], path[4200], err[1024] = "", want[4600];

    snprintf(rel, sizeof(rel), "tests/data/rules/%s", name);
    snprintf(path, sizeof(path), "%s", src(rel));
    assert_int_equal(rules_load(path, &r, err, sizeof(err)), -1);
    assert_null(r);
    snprintf(want, sizeof(want), "%s:%d:%d: %s", path, line, column, what);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("%s:\n  got:  %s\n  want: %s...", name, err, want);
}

static void test_load_errors(void **state)
{
    (void)state;
    expect_load_error(
        "err_unknown_check.yaml", 9, 12,
        "check: unknown check 'regex' (known: required, together, length, one_of, "
        "pattern, same, absent, decimal, date, count, sequence, product, sum, compare, "
        "hs_prefix, "
        "threshold, unique, always)");
    expect_load_error("err_unknown_field.yaml", 10, 9,
                      "fields: unknown item field 'items[].hsCode'");
    expect_load_error("err_header_item_field.yaml", 6, 12,
                      "field: unknown header field 'gcode' (the item field is written "
                      "items[].gcode)");
    expect_load_error("err_bad_regex.yaml", 7, 12, "regex: bad regular expression '^[0-9{10}$': ");
    expect_load_error("err_duplicate_key.yaml", 8, 5,
                      "duplicate key 'action' (first at line 4 column 5)");
    expect_load_error("err_tab.yaml", 5, 1, "tab character");
    expect_load_error("err_unknown_key.yaml", 7, 5, "unknown key 'value' in a 'one_of' rule");
    expect_load_error("err_duplicate_id.yaml", 7, 9, "duplicate rule id 'R1' (first at line 3)");
    expect_load_error("err_version.yaml", 1, 10, "version: unsupported rules format version '2'");
    expect_load_error("err_field_kind.yaml", 6, 12,
                      "field: field 'grossWeight' is a decimal; this check reads text");
    expect_load_error("err_action.yaml", 4, 13, "action: unknown action 'deny'");
    /* message_zh: one line of Chinese text (an English text cannot stand in for it). */
    expect_load_error("err_message_zh_english.yaml", 4, 17,
                      "message_zh: 'guid is missing' has no Chinese character");
    expect_load_error("err_message_zh_list.yaml", 4, 17, "message_zh: expected a scalar");
    expect_load_error("err_message_zh_empty.yaml", 4, 17, "message_zh: must not be empty");
    expect_load_error("err_message_zh_newline.yaml", 4, 17,
                      "message_zh: control character 0x0a (one line of text)");
    expect_load_error("err_enabled.yaml", 5, 14, "enabled: expected true or false, got 'no'");
    expect_load_error("err_alias.yaml", 6, 13, "anchors are not supported");
    expect_load_error("err_empty_rules.yaml", 2, 8, "rules: must not be empty");
    expect_load_error("err_op.yaml", 7, 9, "op: unknown operator '=>'");
    expect_load_error("err_prefix.yaml", 7, 24,
                      "prefixes: an HS prefix is 2 to 10 digits, got '38O1'");
    expect_load_error("err_tolerance.yaml", 8, 16, "tolerance: '0.000001' is not an N19,5 decimal");
    /* YAML safety: an alias bomb stops at its first anchor; tags; a condition's key. */
    expect_load_error("err_alias_bomb.yaml", 2, 4, "anchors are not supported");
    expect_load_error("err_tag.yaml", 4, 13, "tags are not supported");
    expect_load_error("err_flow_item_field.yaml", 6, 25, "did not find expected ',' or ']'");
    expect_load_error("err_when.yaml", 8, 30, "all: unknown key 'is' in a condition");
    expect_load_error("err_effective.yaml", 5, 21,
                      "effective_from: '2024-02-30' is not a real date (write YYYY-MM-DD)");
    expect_load_error("err_sample.yaml", 6, 13, "sample: a fraction above 0 and at most 1");
    expect_load_error("err_severity.yaml", 5, 15, "severity: unknown severity 'urgent'");
    expect_load_error("err_threshold_norates.yaml", 9, 21,
                      "limit_currency: a threshold converts currencies: the rule set needs a "
                      "rates table");
    expect_load_error("err_list_missing.yaml", 7, 11, "cannot read '");
}

/* Errors inside a referenced file point into that file. */
static void test_referenced_file_errors(void **state)
{
    struct rules *r = (struct rules *)0x1;
    char err[1024] = "", want[2048];

    (void)state;
    assert_int_equal(
        rules_load(src("tests/data/rules/err_list_duplicate.yaml"), &r, err, sizeof(err)), -1);
    assert_null(r);
    snprintf(want, sizeof(want), "%s:5:3: duplicate key '344' (first at line 3 column 3)",
             src("tests/data/rules/lists/duplicate.yaml"));
    assert_string_equal(err, want);
    assert_int_equal(
        rules_load(src("tests/data/rules/err_rates_overlap.yaml"), &r, err, sizeof(err)), -1);
    snprintf(want, sizeof(want),
             "%s:7:7: rates: the periods from 2024-01-01 and from 2024-06-30 overlap",
             src("tests/data/rules/rates_overlap.yaml"));
    assert_string_equal(err, want);
}

static void test_missing_file(void **state)
{
    struct rules *r = (struct rules *)0x1;
    char err[512] = "";

    (void)state;
    assert_int_equal(rules_load("/nonexistent/rules.yaml", &r, err, sizeof(err)), -1);
    assert_null(r);
    assert_string_equal(err, "/nonexistent/rules.yaml: No such file or directory");
}

/* ------------------------------------------------------------------------------------ */
/* The language beyond the first cut                                                    */
/* ------------------------------------------------------------------------------------ */

static struct rules *load_text(const char *name, const char *text)
{
    struct rules *r = NULL;
    char err[1024] = "";

    if (rules_load_buffer(name, text, strlen(text), &r, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return r;
}

/* The valid declaration with `field` (a header text field) set to `value`. */
static void decide_field(const struct rules *r, const char *from, const char *value,
                         struct decision *dec)
{
    char to[256];

    snprintf(to, sizeof(to), "%.*s\"%s\"", (int)(strchr(from, ':') - from + 2), from, value);
    decide_with(r, from, to, NULL, NULL, dec);
}

/*
 * YAML 1.1 would read NO/no/on as booleans and 007/0123 as octal numbers; here every
 * scalar is the text as written (country and unit codes keep their zeros, NO is an
 * ownerCode), and so are list files.
 */
static void test_yaml_scalars_as_written(void **state)
{
    static const char text[] = "version: 1\n"
                               "rules:\n"
                               "  - id: OWNER\n"
                               "    action: reject\n"
                               "    check: one_of\n"
                               "    field: ownerCode\n"
                               "    values: [NO, no, on, 007, 0123, 1e3, 2024-04-01, ~, null]\n";
    static const char *const ok[] = {"NO",  "no",         "on", "007", "0123",
                                     "1e3", "2024-04-01", "~",  "null"};
    static const char *const bad[] = {"0", "7", "123", "83", "false", "true", "1000", "On"};
    const char *from = "\"ownerCode\": \"NO\"";
    struct rules *r = load_text("scalars", text);
    struct decision dec;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        decide_field(r, from, ok[i], &dec);
        if (dec.status_code != 399)
            fail_msg("ownerCode '%s' should be one of the values", ok[i]);
        decision_clear(&dec);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        decide_field(r, from, bad[i], &dec);
        if (dec.status_code != 100)
            fail_msg("ownerCode '%s' should not be one of the values", bad[i]);
        decision_clear(&dec);
    }
    rules_free(r);

    /* A list file given as a sequence: "007" and NO as written; the message names it. */
    r = NULL;
    {
        char err[1024] = "";
        const char *path = src("tests/data/rules/lists-rule.yaml");
        static const char rule[] = "version: 1\nrules:\n  - id: L\n    action: reject\n"
                                   "    check: one_of\n    field: ownerCode\n"
                                   "    list: lists/codes.yaml\n";
        if (rules_load_buffer(path, rule, strlen(rule), &r, err, sizeof(err)) != 0)
            fail_msg("%s", err);
    }
    decide_field(r, from, "NO", &dec);
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
    decide_field(r, from, "7", &dec);
    assert_int_equal(dec.status_code, 100);
    assert_string_equal(dec.reasons[0].message,
                        "ownerCode: '7' is not one of the 3 codes of lists/codes.yaml");
    decision_clear(&dec);
    assert_int_equal(rules_file_count(r), 1);
    assert_string_equal(rules_file_name(r, 0), "lists/codes.yaml");
    assert_non_null(strstr(rules_text(r), "codes: [\"007\", \"035\", NO]"));
    rules_free(r);
}

struct trace_log {
    size_t n;
    enum rule_outcome outcome[16];
    char why[16][160];
    char note[16][256];
};

static void trace_into(void *ctx, const struct rule_trace *t)
{
    struct trace_log *log = ctx;

    assert_true(t->index < 16);
    log->n = t->index + 1;
    log->outcome[t->index] = t->outcome;
    snprintf(log->why[t->index], sizeof(log->why[t->index]), "%s", t->why);
    snprintf(log->note[t->index], sizeof(log->note[t->index]), "%s", t->note);
}

/* Effective dates apply by the declaration's ieDate, inclusive at both ends. */
static void test_effective_dates(void **state)
{
    static const char text[] = "version: 1\n"
                               "rules:\n"
                               "  - id: APRIL\n"
                               "    action: review\n"
                               "    effective_from: 2024-04-01\n"
                               "    effective_to: 2024-04-30\n"
                               "    check: always\n"
                               "    message: in April\n"
                               "  - id: FROM-MAY\n"
                               "    action: flag\n"
                               "    effective_from: \"20240501\"\n"
                               "    check: always\n";
    static const struct {
        const char *ie_date;
        int status;
        size_t n;
    } cases[] = {
        {"20240331", 399, 0}, {"20240401", 300, 1}, {"20240430", 300, 1},
        {"20240501", 399, 1}, {"20991231", 399, 1}, {"20240431", 399, 0}, /* no such day */
    };
    const char *from = "\"ieDate\": \"20240512\"";
    struct rules *r = load_text("dates", text);
    struct trace_log log;
    struct decision dec;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        decide_field(r, from, cases[i].ie_date, &dec);
        if (dec.status_code != cases[i].status || dec.n_reasons != cases[i].n) {
            dump(&dec);
            fail_msg("ieDate %s", cases[i].ie_date);
        }
        decision_clear(&dec);
    }
    /* The trace says why a rule did not apply. */
    {
        char *t = replace_once(valid_json, from, "\"ieDate\": \"20240331\"");
        struct declaration *d = decode(t);
        memset(&log, 0, sizeof(log));
        memset(&dec, 0, sizeof(dec));
        assert_int_equal(rules_evaluate_trace(r, d, &dec, trace_into, &log), 0);
        assert_int_equal(log.n, 2);
        assert_int_equal(log.outcome[0], RULE_OUTCOME_SKIPPED);
        assert_string_equal(log.why[0],
                            "not in effect on ieDate 2024-03-31 (in effect from 2024-04-01 to "
                            "2024-04-30)");
        assert_string_equal(log.why[1], "not in effect on ieDate 2024-03-31 (in effect from "
                                        "2024-05-01)");
        decision_clear(&dec);
        declaration_free(d);
        free(t);
    }
    rules_free(r);
}

/* when: all / any / not, header and item leaves; an item leaf at rule level means "any item". */
static void test_when(void **state)
{
    static const char text[] = "version: 1\n"
                               "rules:\n"
                               "  - id: RU-9610\n"
                               "    action: flag\n"
                               "    when: {all: [{field: country, equals: \"344\"}, {field: "
                               "tradeMode, equals: \"9610\"}]}\n"
                               "    check: always\n"
                               "  - id: NOT-RU-OR-HEAVY\n"
                               "    action: flag\n"
                               "    when:\n"
                               "      any:\n"
                               "        - not: {field: country, equals: \"344\"}\n"
                               "        - {field: grossWeight, op: \">\", value: \"6\"}\n"
                               "    check: always\n"
                               "  - id: ANY-ITEM-KG\n"
                               "    action: flag\n"
                               "    when: {field: \"items[].unit1\", equals: \"035\"}\n"
                               "    check: always\n"
                               "  - id: NO-IAC\n"
                               "    action: flag\n"
                               "    when: [{field: iacCode, present: false}, {field: tradeMode, "
                               "in: [\"9610\", \"9710\"]}]\n"
                               "    check: always\n";
    struct rules *r = load_text("when", text);
    struct decision dec;

    (void)state;
    decide_with(r, NULL, NULL, NULL, NULL, &dec);
    {
        static const char *const ids[] = {"RU-9610", "NOT-RU-OR-HEAVY", "ANY-ITEM-KG", "NO-IAC"};
        expect_rules(&dec, ids, 4); /* grossWeight 6.35 > 6 */
    }
    assert_string_equal(dec.reasons[0].message, "applies to this declaration");
    decision_clear(&dec);

    decide_with(r, "\"grossWeight\": \"6.35\"", "\"grossWeight\": \"5.5\"", "\"unit1\": \"035\"",
                "\"unit1\": \"011\"", &dec);
    {
        static const char *const ids[] = {"RU-9610", "NO-IAC"};
        expect_rules(&dec, ids, 2);
    }
    decision_clear(&dec);

    decide_with(r, "\"country\": \"344\", \"POD\"", "\"country\": \"145\", \"POD\"",
                "\"tradeMode\": \"9610\"", "\"tradeMode\": \"1210\"", &dec);
    {
        static const char *const ids[] = {"NOT-RU-OR-HEAVY", "ANY-ITEM-KG"};
        expect_rules(&dec, ids, 2);
    }
    decision_clear(&dec);
    rules_free(r);
}

/*
 * Sampling is a function of (seed, logisticsNo): the same parcel is always drawn the same
 * way, about `sample` of all parcels are drawn, and another seed draws others.
 */
static void test_sample(void **state)
{
    static const char fmt[] = "version: 1\n"
                              "rules:\n"
                              "  - id: S\n"
                              "    action: inspect\n"
                              "    check: always\n"
                              "    sample: %s\n"
                              "    seed: %s\n";
    char text[256];
    struct rules *a, *b, *all;
    struct declaration *d = decode(valid_json);
    char *saved = d->logisticsNo, key[32];
    size_t drawn_a = 0, drawn_b = 0, both = 0;
    const size_t n = 20000;

    (void)state;
    snprintf(text, sizeof(text), fmt, "0.02", "mishan-2024");
    a = load_text("a", text);
    snprintf(text, sizeof(text), fmt, "\"0.02\"", "other-seed");
    b = load_text("b", text);
    snprintf(text, sizeof(text), fmt, "1", "x");
    all = load_text("all", text);
    d->logisticsNo = key;
    for (size_t i = 0; i < n; i++) {
        struct decision da, db, dc;
        snprintf(key, sizeof(key), "YL2024%012zu", i);
        memset(&da, 0, sizeof(da));
        memset(&db, 0, sizeof(db));
        memset(&dc, 0, sizeof(dc));
        assert_int_equal(rules_evaluate(a, d, &da), 0);
        assert_int_equal(rules_evaluate(b, d, &db), 0);
        assert_int_equal(rules_evaluate(all, d, &dc), 0);
        drawn_a += da.status_code == 500;
        drawn_b += db.status_code == 500;
        both += da.status_code == 500 && db.status_code == 500;
        assert_int_equal(dc.status_code, 500);
        if (i == 7) {
            struct decision again = {0};
            assert_int_equal(rules_evaluate(a, d, &again), 0);
            assert_int_equal(again.status_code, da.status_code);
            decision_clear(&again);
        }
        decision_clear(&da);
        decision_clear(&db);
        decision_clear(&dc);
    }
    /* 2 % of 20,000 is 400; a fair draw stays within +-25 % with overwhelming odds. */
    assert_in_range(drawn_a, 300, 500);
    assert_in_range(drawn_b, 300, 500);
    /* Independent seeds overlap about 2 % x 2 % = 8 parcels, far from the same 400. */
    assert_true(both < 40);
    d->logisticsNo = saved;
    declaration_free(d);
    rules_free(a);
    rules_free(b);
    rules_free(all);
}

static struct rules *load_fixture(const char *name)
{
    char rel[256], err[1024] = "";
    struct rules *r = NULL;

    snprintf(rel, sizeof(rel), "tests/data/rules/%s", name);
    if (rules_load(src(rel), &r, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return r;
}

/*
 * Currency thresholds: amounts converted with the rate valid on ieDate (rates_test.yaml:
 * 2 CNY per EUR in the first half of 2024, 3 after), rounded half away from zero to cents,
 * compared exactly; the reason carries the value.
 */
static void test_threshold(void **state)
{
    struct rules *r = load_fixture("thresholds.yaml");
    struct decision dec;
    struct trace_log log;
    char *t1, *t2;

    (void)state;
    /* 1099 + 269.70 = 1368.70 CNY / 2 = 684.35 EUR on 2024-05-12. */
    decide_with(r, NULL, NULL, NULL, NULL, &dec);
    assert_int_equal(dec.status_code, 300);
    expect_reason(&dec, "VALUE-200", RULE_REVIEW,
                  "sum of items[].totalPrice 684.35 EUR (1368.7 CNY at 2 CNY per EUR, rate of "
                  "2024-01-01 to 2024-06-30) is over the limit of 200 EUR");
    assert_string_equal(dec.reasons[0].value, "684.35 EUR");
    assert_int_equal(dec.reasons[0].severity, RULE_SEVERITY_HIGH);
    decision_clear(&dec);

    /* Exactly at the limit is not over it; one cent more is. */
    t1 = replace_once(valid_json, "\"price\": \"1099.00\", \"totalPrice\": \"1099.00\"",
                      "\"price\": \"130.30\", \"totalPrice\": \"130.30\"");
    decide_text(r, t1, &dec); /* 130.30 + 269.70 = 400 CNY = 200.00 EUR */
    assert_int_equal(dec.status_code, 399);
    decision_clear(&dec);
    t2 = replace_once(t1, "\"totalPrice\": \"130.30\"", "\"totalPrice\": \"130.32\"");
    decide_text(r, t2, &dec); /* 400.02 CNY = 200.01 EUR */
    expect_reason(&dec, "VALUE-200", RULE_REVIEW, "200.01 EUR");
    decision_clear(&dec);
    free(t2);

    /* The passed rule's note says what it computed. */
    {
        struct declaration *d = decode(t1);
        memset(&log, 0, sizeof(log));
        memset(&dec, 0, sizeof(dec));
        assert_int_equal(rules_evaluate_trace(r, d, &dec, trace_into, &log), 0);
        assert_int_equal(log.outcome[0], RULE_OUTCOME_PASSED);
        assert_string_equal(log.note[0], "sum of items[].totalPrice 200.00 EUR (400 CNY at 2 CNY "
                                         "per EUR, rate of 2024-01-01 to 2024-06-30) is within "
                                         "the limit of 200 EUR");
        decision_clear(&dec);
        declaration_free(d);
    }
    free(t1);

    /* Rounding half away from zero: 1 CNY / 3 = 0.333 -> 0.33; + 200 EUR. */
    t1 = replace_once(valid_json, "\"ieDate\": \"20240512\"", "\"ieDate\": \"20240801\"");
    t2 = replace_once(t1, "\"currency\": \"142\",\n      \"qty\": \"1\"",
                      "\"currency\": \"300\",\n      \"qty\": \"1\"");
    free(t1);
    t1 = replace_once(t2, "\"totalPrice\": \"269.70\"", "\"totalPrice\": \"1\"");
    decide_text(r, t1, &dec); /* 1099 EUR + 1 CNY at 3 */
    expect_reason(&dec, "VALUE-200", RULE_REVIEW,
                  "1099.33 EUR (1099 EUR + 1 CNY at 3 CNY per EUR, rate of 2024-07-01 to "
                  "2024-12-31)");
    decision_clear(&dec);
    free(t1);
    free(t2);

    /* No rate for the day, or for the currency: the rule matches and says why. */
    decide_with(r, "\"ieDate\": \"20240512\"", "\"ieDate\": \"20250102\"", NULL, NULL, &dec);
    expect_reason(&dec, "VALUE-200", RULE_REVIEW,
                  "sum of items[].totalPrice: no CNY rate valid on 2025-01-02 in the rates "
                  "table rates_test.yaml");
    assert_null(dec.reasons[0].value);
    decision_clear(&dec);
    decide_with(r, "\"fCurrency\": \"142\"", "\"fCurrency\": \"303\"", "\"freight\": \"0\"",
                "\"freight\": \"12\"", &dec);
    expect_reason(&dec, "FREIGHT-10", RULE_FLAG,
                  "freight: cannot convert currency '303' to EUR: not in the rates table "
                  "rates_test.yaml");
    decision_clear(&dec);
    /* 12.5 USD at 1.25 = 10.00 EUR: not over; 12.51 is. */
    decide_with(r, "\"fCurrency\": \"142\"", "\"fCurrency\": \"502\"", "\"freight\": \"0\"",
                "\"freight\": \"12.5\"", &dec);
    assert_null(find_reason(&dec, "FREIGHT-10"));
    decision_clear(&dec);
    decide_with(r, "\"fCurrency\": \"142\"", "\"fCurrency\": \"502\"", "\"freight\": \"0\"",
                "\"freight\": \"12.51\"", &dec);
    expect_reason(&dec, "FREIGHT-10", RULE_FLAG, "freight 10.01 EUR (12.51 USD at 1.25 USD");
    decision_clear(&dec);
    /* An invalid ieDate cannot pick a rate. */
    decide_with(r, "\"ieDate\": \"20240512\"", "\"ieDate\": \"2024-05-12\"", NULL, NULL, &dec);
    expect_reason(&dec, "VALUE-200", RULE_REVIEW, "cannot convert CNY to EUR: ieDate is not a");
    decision_clear(&dec);
    rules_free(r);
}

/* decimal, date, count, together and sum, in their explicit forms. */
static void test_more_checks(void **state)
{
    static const char text[] = "version: 1\n"
                               "rules:\n"
                               "  - id: PRICE\n"
                               "    action: flag\n"
                               "    check: decimal\n"
                               "    field: items[].price\n"
                               "    min: \"10\"\n"
                               "    below: \"1000\"\n"
                               "    scale: 1\n"
                               "  - id: WEIGHT\n"
                               "    action: flag\n"
                               "    check: decimal\n"
                               "    fields: [grossWeight, packNo]\n"
                               "    above: \"1\"\n"
                               "    max: \"6\"\n"
                               "    digits: 2\n"
                               "  - id: APPTIME\n"
                               "    action: flag\n"
                               "    check: date\n"
                               "    field: appTime\n"
                               "    format: YYYYMMDDhhmmss\n"
                               "  - id: TWO-ITEMS\n"
                               "    action: flag\n"
                               "    check: count\n"
                               "    field: items\n"
                               "    max: 1\n"
                               "  - id: NAMES\n"
                               "    action: flag\n"
                               "    check: together\n"
                               "    fields: [iacCode, iacName, emsNo]\n"
                               "  - id: TOTAL\n"
                               "    action: flag\n"
                               "    check: sum\n"
                               "    sum: items[].totalPrice\n"
                               "    op: \"=\"\n"
                               "    value: \"1368.69\"\n"
                               "    tolerance: \"0.005\"\n"
                               "  - id: KG\n"
                               "    action: flag\n"
                               "    check: sum\n"
                               "    sum: items[].qty1\n"
                               "    where: {not: {field: \"items[].unit1\", equals: \"011\"}}\n"
                               "    op: \">=\"\n"
                               "    right: netWeight\n";
    struct rules *r = load_text("more", text);
    struct decision dec;

    (void)state;
    decide_with(r, NULL, NULL, NULL, NULL, &dec);
    {
        static const char *const ids[] = {"PRICE", "WEIGHT", "TWO-ITEMS", "TOTAL", "KG"};
        expect_rules(&dec, ids, 5);
    }
    /* 1099 is not below 1000; 89.90 has one decimal (trailing zeros do not count). */
    assert_string_equal(find_reason(&dec, "PRICE")->message,
                        "items[gnum=1].price: 1099 is not below 1000");
    assert_string_equal(find_reason(&dec, "WEIGHT")->message,
                        "grossWeight: 6.35 is above the maximum 6; grossWeight: 6.35 has 3 "
                        "digits, at most 2 allowed; packNo: 1 is not above 1");
    assert_string_equal(find_reason(&dec, "TWO-ITEMS")->message,
                        "items: 2 declared, at most 1 allowed");
    assert_string_equal(find_reason(&dec, "TOTAL")->message,
                        "sum of items[].totalPrice (2 items) = 1368.7 is not = 1368.69 within "
                        "0.005");
    assert_string_equal(find_reason(&dec, "KG")->message,
                        "sum of items[].qty1 of the matching items (1 items) = 0.9 is not >= "
                        "netWeight 5.2");
    decision_clear(&dec);

    decide_with(r, "\"price\": \"89.90\"", "\"price\": \"9.95\"", "\"appTime\": \"20240512103000\"",
                "\"appTime\": \"20240229235959\"", &dec);
    expect_reason(&dec, "PRICE", RULE_FLAG,
                  "items[gnum=2].price: 9.95 is below the minimum 10; items[gnum=2].price: 9.95 "
                  "has 2 digits after the point, at most 1 allowed");
    assert_null(find_reason(&dec, "APPTIME")); /* 2024 is a leap year */
    decision_clear(&dec);
    decide_with(r, "\"appTime\": \"20240512103000\"", "\"appTime\": \"20230229000000\"",
                "\"ownerCode\": \"NO\"", "\"ownerCode\": \"NO\", \"emsNo\": \"T1\"", &dec);
    assert_string_equal(find_reason(&dec, "APPTIME")->message,
                        "appTime: '20230229000000' is not a real date and time (YYYYMMDDhhmmss)");
    assert_string_equal(find_reason(&dec, "NAMES")->message,
                        "header: emsNo present but iacCode, iacName missing (give all or none)");
    decision_clear(&dec);
    rules_free(r);
}

/* product with round, same, absent and threshold into a non-base currency with a message. */
static void test_precheck_checks(void **state)
{
    static const char text[] = "version: 1\n"
                               "rates: rates_test.yaml\n"
                               "rules:\n"
                               "  - id: TOTAL-CENTS\n"
                               "    action: reject\n"
                               "    check: product\n"
                               "    factors: [\"items[].qty\", \"items[].price\"]\n"
                               "    equals: items[].totalPrice\n"
                               "    round: 1\n"
                               "    tolerance: \"0.1\"\n"
                               "  - id: ONE-CURRENCY\n"
                               "    action: review\n"
                               "    check: same\n"
                               "    fields: [fCurrency, \"items[].currency\"]\n"
                               "  - id: NO-EMS\n"
                               "    action: flag\n"
                               "    check: absent\n"
                               "    fields: [emsNo, \"items[].qty2\"]\n"
                               "  - id: NO-LICENCE\n"
                               "    action: flag\n"
                               "    check: absent\n"
                               "    field: licenseNo\n"
                               "    message: needs a declaration form\n"
                               "  - id: CNY-1000\n"
                               "    action: reject\n"
                               "    check: threshold\n"
                               "    amount: items[].totalPrice\n"
                               "    currency: items[].currency\n"
                               "    max: \"1000\"\n"
                               "    limit_currency: \"142\"\n"
                               "    label: ticket\n"
                               "    message: a customs declaration form is required\n";
    char path[4200], *t1, *t2;
    struct rules *r = NULL;
    struct decision dec;
    char err[1024] = "";

    (void)state;
    snprintf(path, sizeof(path), "%s", src("tests/data/rules/precheck"));
    if (rules_load_buffer(path, text, strlen(text), &r, err, sizeof(err)) != 0)
        fail_msg("%s", err);

    /* 1099 + 269.70 CNY: over 1000 CNY, no conversion needed. */
    decide_with(r, NULL, NULL, NULL, NULL, &dec);
    {
        static const char *const ids[] = {"CNY-1000"};
        expect_rules(&dec, ids, 1);
    }
    assert_string_equal(dec.reasons[0].message,
                        "ticket 1368.70 CNY (1368.7 CNY) is over the limit of 1000 CNY: a "
                        "customs declaration form is required");
    assert_string_equal(dec.reasons[0].value, "1368.70 CNY");
    decision_clear(&dec);

    /* 269.70 off by 0.2 is outside round 1 + tolerance 0.1; item 1 in USD: 1099 USD at
     * 1.25 USD per EUR and 2 CNY per EUR = 1758.40 CNY, + 269.9 CNY. */
    t1 = replace_once(valid_json, "\"currency\": \"142\",\n      \"qty\": \"1\"",
                      "\"currency\": \"502\",\n      \"qty\": \"1\"");
    t2 = replace_once(t1, "\"totalPrice\": \"269.70\"", "\"totalPrice\": \"269.9\"");
    decide_text(r, t2, &dec);
    assert_int_equal(dec.status_code, 100);
    assert_string_equal(find_reason(&dec, "TOTAL-CENTS")->message,
                        "items[gnum=2].totalPrice: 269.9, expected qty × price = 3 × 89.9 = 269.7 "
                        "(rounded half up to 1 decimals, tolerance 0.1)");
    assert_string_equal(find_reason(&dec, "ONE-CURRENCY")->message,
                        "items[gnum=1].currency: '502' differs from fCurrency '142' (all must be "
                        "the same)");
    assert_string_equal(find_reason(&dec, "CNY-1000")->message,
                        "ticket 2028.30 CNY (1099 USD at 1.25 USD per EUR, rate of 2024-01-01 to "
                        "2024-12-31 and 2 CNY per EUR, rate of 2024-01-01 to 2024-06-30 + 269.9 "
                        "CNY) is over the limit of 1000 CNY: a customs declaration form is "
                        "required");
    decision_clear(&dec);
    free(t2);

    /* 269.75 is within 0.1 of 269.7; the EUR item converts at 2 CNY per EUR. */
    t2 = replace_once(valid_json, "\"totalPrice\": \"269.70\"", "\"totalPrice\": \"269.75\"");
    free(t1);
    t1 = replace_once(t2, "\"currency\": \"142\",\n      \"qty\": \"1\"",
                      "\"currency\": \"300\",\n      \"qty\": \"1\"");
    decide_text(r, t1, &dec);
    assert_null(find_reason(&dec, "TOTAL-CENTS"));
    expect_reason(&dec, "CNY-1000", RULE_REJECT,
                  "ticket 2467.75 CNY (1099 EUR at 2 CNY per EUR, rate of 2024-01-01 to "
                  "2024-06-30 + 269.75 CNY)");
    expect_reason(&dec, "ONE-CURRENCY", RULE_REVIEW,
                  "items[gnum=1].currency: '300' differs from fCurrency '142'");
    decision_clear(&dec);
    free(t1);
    free(t2);

    /* Present values are findings of `absent`, numbers included; blank text is absent. */
    decide_with(r, "\"ownerCode\": \"NO\"",
                "\"ownerCode\": \"NO\", \"emsNo\": \"T1900\", \"licenseNo\": \"XK1\"",
                "\"qty\": 3,", "\"qty\": 3, \"qty2\": \"0.9\",", &dec);
    assert_string_equal(find_reason(&dec, "NO-EMS")->message,
                        "emsNo: 'T1900' is given; it must be absent; items[gnum=2].qty2: 0.9 is "
                        "given; it must be absent");
    assert_string_equal(find_reason(&dec, "NO-LICENCE")->message,
                        "licenseNo: 'XK1' needs a declaration form");
    decision_clear(&dec);
    decide_with(r, "\"ownerCode\": \"NO\"", "\"ownerCode\": \"NO\", \"licenseNo\": \"  \"", NULL,
                NULL, &dec);
    assert_null(find_reason(&dec, "NO-LICENCE"));
    assert_null(find_reason(&dec, "NO-EMS"));
    decision_clear(&dec);

    /* A limit currency the table cannot convert to: no rate of CNY on 2025-01-02. */
    decide_with(r, "\"ieDate\": \"20240512\"", "\"ieDate\": \"20250102\"",
                "\"currency\": \"142\",\n      \"qty\": \"1\"",
                "\"currency\": \"300\",\n      \"qty\": \"1\"", &dec);
    expect_reason(&dec, "CNY-1000", RULE_REJECT,
                  "ticket: no CNY rate valid on 2025-01-02 in the rates table rates_test.yaml");
    decision_clear(&dec);
    rules_free(r);
}

/* Load errors of the keys and checks the pre-checks added, with file:line:column. */
static void test_precheck_load_errors(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"version: 1\nrules:\n  - id: A\n    action: reject\n    check: product\n"
         "    factors: [\"items[].qty\", \"items[].price\"]\n    equals: items[].totalPrice\n"
         "    round: 6\n",
         "t.yaml:8:12: round: expected an integer from 0 to 5"},
        {"version: 1\nrules:\n  - id: A\n    action: reject\n    check: product\n"
         "    factors: [\"items[].qty\", \"items[].price\"]\n    equals: items[].totalPrice\n"
         "    round: two\n",
         "t.yaml:8:12: round: expected an integer"},
        {"version: 1\nrules:\n  - id: A\n    action: reject\n    check: same\n"
         "    field: items[].qty\n",
         "t.yaml:6:12: field: field 'items[].qty' is a decimal; this check reads text"},
        {"version: 1\nrules:\n  - id: A\n    action: reject\n    check: same\n",
         "t.yaml:3:5: missing 'field' or 'fields'"},
        {"version: 1\nrules:\n  - id: A\n    action: reject\n    check: absent\n"
         "    field: licenseNo\n    message: \"\"\n",
         "t.yaml:7:14: message: must not be empty"},
        {"version: 1\nrules:\n  - id: A\n    action: reject\n    check: absent\n"
         "    field: licence\n",
         "t.yaml:6:12: field: unknown field 'licence'"},
        {"version: 1\nrates: rates_test.yaml\nrules:\n  - id: A\n    action: reject\n"
         "    check: threshold\n    amount: items[].totalPrice\n    currency: items[].currency\n"
         "    max: \"5000\"\n    limit_currency: \"116\"\n",
         "t.yaml:10:21: limit_currency: '116' is neither the base currency '300' nor a currency "
         "of the rates table rates_test.yaml"},
        {"version: 1\nrates: rates_test.yaml\nrules:\n  - id: A\n    action: reject\n"
         "    check: threshold\n    amount: items[].totalPrice\n    currency: items[].currency\n"
         "    max: \"5000\"\n    limit_currency: \"142\"\n    message: [a]\n",
         "t.yaml:11:14: message: expected a scalar"},
    };
    char name[4200], want[4400];

    (void)state;
    snprintf(name, sizeof(name), "%s", src("tests/data/rules/t.yaml"));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rules *r = (struct rules *)0x1;
        char err[1024] = "";

        assert_int_equal(
            rules_load_buffer(name, cases[i].text, strlen(cases[i].text), &r, err, sizeof(err)),
            -1);
        assert_null(r);
        /* the directory of name, then the expected "t.yaml:line:column: what" */
        snprintf(want, sizeof(want), "%.*s%s", (int)(strlen(name) - strlen("t.yaml")), name,
                 cases[i].want);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("case %zu:\n  got:  %s\n  want: %s...", i, err, want);
    }
}

/*
 * The fixed-shape pattern matcher gives the same answers as regexec: each pattern is
 * loaded as written (fast path) and with {n} spelt {n,n} (which the fast path refuses),
 * and both decide the same on random and edge-case values.
 */
static void test_pattern_fast_path(void **state)
{
    static const char *const patterns[][2] = {
        {"^[0-9]{10}$", "^[0-9]{10,10}$"},
        {"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$",
         "^[0-9A-F]{8,8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$"},
        {"^([0-9A-Z]{10}|[0-9A-Z]{18}|NO)$", "^([0-9A-Z]{10,10}|[0-9A-Z]{18}|NO)$"},
        {"^19[0-9]{2}$", "^19[0-9]{2,2}$"},
        {"^[0-9]$", "^[0-9]{1,1}$"},
        {"^A\\.B-[a-c]{2}$", "^A\\.B-[a-c]{2,2}$"},
    };
    static const char alphabet[] = "0123456789ABCDEFNOZaz-.1 \xc3\xa9";
    unsigned seed = 12345;
    char *json;

    (void)state;
    for (size_t p = 0; p < ARRAY_SIZE(patterns); p++) {
        char text[512];
        struct rules *fast, *slow;

        snprintf(text, sizeof(text),
                 "version: 1\nrules:\n  - id: P\n    action: reject\n    check: pattern\n"
                 "    field: guid\n    regex: '%s'\n",
                 patterns[p][0]);
        fast = load_text("fast", text);
        snprintf(text, sizeof(text),
                 "version: 1\nrules:\n  - id: P\n    action: reject\n    check: pattern\n"
                 "    field: guid\n    regex: '%s'\n",
                 patterns[p][1]);
        slow = load_text("slow", text);
        for (int k = 0; k < 3000; k++) {
            char value[64], to[128];
            struct decision a, b;
            size_t len = (size_t)(rand_r(&seed) % 40) + 1;
            if (k % 3 == 0) {
                /* Mostly-matching values: digits and hex of the usual lengths. */
                static const size_t lens[] = {1, 2, 4, 10, 18, 36};
                len = lens[rand_r(&seed) % ARRAY_SIZE(lens)];
                for (size_t i = 0; i < len; i++)
                    value[i] = "0123456789ABCDEF"[rand_r(&seed) % 16];
                if (len == 36)
                    value[8] = value[13] = value[18] = value[23] = '-';
                if (len == 4 && k % 2)
                    value[0] = '1', value[1] = '9';
            } else {
                for (size_t i = 0; i < len; i++)
                    value[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
            }
            value[len] = '\0';
            if (k == 1)
                strcpy(value, "NO");
            if (k == 2)
                strcpy(value, "A.B-ca");
            if (k == 4)
                strcpy(value, "AxB-ca");
            /* Keep the JSON valid: no quotes or backslashes are in the alphabet; a lone
             * UTF-8 lead byte is replaced. */
            for (size_t i = 0; i < len; i++)
                if ((unsigned char)value[i] == 0xc3 && (unsigned char)value[i + 1] != 0xa9)
                    value[i] = 'x';
                else if ((unsigned char)value[i] == 0xa9 &&
                         (i == 0 || (unsigned char)value[i - 1] != 0xc3))
                    value[i] = 'y';
            snprintf(to, sizeof(to), "\"guid\": \"%s\"", value);
            json =
                replace_once(valid_json, "\"guid\": \"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9\"", to);
            decide_text(fast, json, &a);
            decide_text(slow, json, &b);
            if (a.status_code != b.status_code)
                fail_msg("pattern %s on '%s': fast %d, regexec %d", patterns[p][0], value,
                         a.status_code, b.status_code);
            decision_clear(&a);
            decision_clear(&b);
            free(json);
        }
        rules_free(fast);
        rules_free(slow);
    }
}

struct trace_count {
    size_t calls, skipped, passed, matched;
    int in_order;
};

static void count_trace(void *ctx, const struct rule_trace *t)
{
    struct trace_count *c = ctx;

    if (t->index != c->calls)
        c->in_order = 0;
    c->calls++;
    c->skipped += t->outcome == RULE_OUTCOME_SKIPPED;
    c->passed += t->outcome == RULE_OUTCOME_PASSED;
    c->matched += t->outcome == RULE_OUTCOME_MATCHED;
}

/* The trace reports every rule once, in order; severity travels with a reason. */
static void test_trace_and_reason_fields(void **state)
{
    struct trace_count c = {0, 0, 0, 0, 1};
    struct declaration *d;
    struct decision dec = {0};
    char *t = replace_once(valid_json, "\"ieFlag\": \"E\"", "\"ieFlag\": \"I\"");

    (void)state;
    d = decode(t);
    assert_int_equal(rules_evaluate_trace(mishan, d, &dec, count_trace, &c), 0);
    assert_int_equal(c.calls, rules_count(mishan));
    assert_true(c.in_order);
    assert_int_equal(c.matched, 1);
    /* Not applicable to a 9610 parcel of 2024-05-12: the bonded-mode rule and the two
     * 9710/9810 rules (`when`), the EAEU limits of 2020, 2022 and 2026 (effective dates),
     * and the two `unique` rules (no lookup of stored parcels here). */
    assert_int_equal(c.skipped, 8);
    assert_int_equal(c.passed, rules_count(mishan) - 9);
    assert_int_equal(dec.n_reasons, 1);
    assert_string_equal(dec.reasons[0].rule_id, "CEB603-IEFLAG");
    assert_int_equal(dec.reasons[0].severity, RULE_SEVERITY_MEDIUM);
    assert_null(dec.reasons[0].value);
    assert_string_equal(rule_severity_name(RULE_SEVERITY_CRITICAL), "critical");
    decision_clear(&dec);
    declaration_free(d);
    free(t);

    decide_with(mishan, "\"ebcCode\": \"2301960002\", ", "", NULL, NULL, &dec);
    assert_int_equal(dec.reasons[0].severity, RULE_SEVERITY_HIGH);
    decision_clear(&dec);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/*
 * The version covers the files a rule set references: changing a list file changes the
 * version (and the recorded text), changing it back restores it.
 */
static void test_version_covers_lists(void **state)
{
    char dir[] = "/tmp/customsd-test-rules.XXXXXX", path[256], lists[256], list[256];
    char v1[65], v2[65], err[1024] = "";
    struct rules *r = NULL;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/rules.yaml", dir);
    snprintf(lists, sizeof(lists), "%s/lists", dir);
    snprintf(list, sizeof(list), "%s/lists/flags.yaml", dir);
    assert_int_equal(mkdir(lists, 0700), 0);
    write_text(path, "version: 1\nrules:\n  - id: IEFLAG\n    action: reject\n"
                     "    check: one_of\n    field: ieFlag\n    list: lists/flags.yaml\n");
    write_text(list, "codes: [E]\n");
    assert_int_equal(rules_load(path, &r, err, sizeof(err)), 0);
    snprintf(v1, sizeof(v1), "%s", rules_version(r));
    rules_free(r);

    write_text(list, "codes: [E, I]\n");
    assert_int_equal(rules_load(path, &r, err, sizeof(err)), 0);
    snprintf(v2, sizeof(v2), "%s", rules_version(r));
    assert_string_not_equal(v1, v2);
    assert_non_null(strstr(rules_text(r), "\n# ---- customsd rule set bundle: lists/flags.yaml "
                                          "(14 bytes)\ncodes: [E, I]\n"));
    rules_free(r);

    write_text(list, "codes: [E]\n");
    assert_int_equal(rules_load(path, &r, err, sizeof(err)), 0);
    assert_string_equal(rules_version(r), v1);
    rules_free(r);

    /* A list that goes bad fails the whole load, naming the list file's position. */
    write_text(list, "codes: [E, E]\n");
    assert_int_equal(rules_load(path, &r, err, sizeof(err)), -1);
    assert_null(r);
    {
        char want[512];
        snprintf(want, sizeof(want), "%s:1:12: codes: 'E' is listed twice", list);
        assert_string_equal(err, want);
    }
    unlink(list);
    rmdir(lists);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_default_rules),
        cmocka_unit_test(test_valid_accepted),
        cmocka_unit_test(test_required_head),
        cmocka_unit_test(test_required_item),
        cmocka_unit_test(test_required_matches_ceb603),
        cmocka_unit_test(test_no_items),
        cmocka_unit_test(test_missing_everything),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_ie_flag),
        cmocka_unit_test(test_trade_mode),
        cmocka_unit_test(test_gcode),
        cmocka_unit_test(test_code_fields),
        cmocka_unit_test(test_gnum_sequence),
        cmocka_unit_test(test_total_price),
        cmocka_unit_test(test_weights_and_packages),
        cmocka_unit_test(test_hs_watch_list),
        cmocka_unit_test(test_reject_beats_inspect),
        cmocka_unit_test(test_format_pre_rule),
        cmocka_unit_test(test_saved),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_message_truncation),
        cmocka_unit_test(test_value_escaping),
        cmocka_unit_test(test_explicit_checks),
        cmocka_unit_test(test_version_is_content_hash),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_message_zh),
        cmocka_unit_test(test_referenced_file_errors),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_yaml_scalars_as_written),
        cmocka_unit_test(test_effective_dates),
        cmocka_unit_test(test_when),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_more_checks),
        cmocka_unit_test(test_precheck_checks),
        cmocka_unit_test(test_precheck_load_errors),
        cmocka_unit_test(test_pattern_fast_path),
        cmocka_unit_test(test_trace_and_reason_fields),
        cmocka_unit_test(test_version_covers_lists),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
