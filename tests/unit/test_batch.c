/*
 * test_batch.c - unit tests of batch.c against the format documented in batch.h: the exact
 * staged rows (COPY text) built from known records (a decided declaration with its COLUMN
 * fields and reasons, warehouse scans, quarantined records with binary payloads), COPY's
 * escapes undone give the bytes back, the fences document, values that are not storable
 * text going as quarantine rows, caller bugs refused, json_strict_text, and the reading of
 * apply_batch's answer: its counts and its per-record report (every outcome letter,
 * details, long notes, and malformed answers refused clearly).
 *
 * Expected rows are written out in full (SHA-256 and hex values computed independently),
 * so any change to what is sent to customs.apply_batch_staged() shows here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "batch.h"
#include "json_strict.h"
#include "util.h"

#define TOPIC_DECL   "customs.declarations"
#define TOPIC_SCAN   "mishan.warehouse.scans"
#define TOPIC_EVENTS "mishan.warehouse.events"
#define TOPIC_RCPT   "customs.receipts"

/* A pretty-printed declaration with a tab escape, quotes and a slash in a string. */
static const char P_DECL[] = "{\n  \"logisticsNo\": \"YL1\", \"ebpName\": \"平台\",\n"
                             "  \"note\": \"say \\\"hi\\\" / 1\\t\"\n}";
static const char P_SCAN[] = "{\"logisticsNo\":\"YL-S1\",\"scan\":\"arrival\","
                             "\"scannedAt\":\"20240512103000\",\"loctNo\":\"1900W00001\"}";
/* Not text: a NUL byte, 0xFF, a lone continuation byte. */
static const char P_BIN[] = "\x00\xff{bad\n\x80\"";

/* The rows these tests expect, byte for byte: columns in BATCH_STAGE_COLUMNS order. */
#define T "\t"
#define N "\\N"
static const char WANT_DECL[] =
    "1" T "declaration" T "customs.declarations" T "2" T "41" T "2024-05-12 02:13:20.000+00" T
    "YL1" T N T N T "1" T "4579daa405ae5b1091f3baf0ada85977f2b1d092bd2d7f23e59c3306f2e36355" T
    /* payload: newlines and backslashes escaped */
    "{\\n  \"logisticsNo\": \"YL1\", \"ebpName\": \"平台\",\\n  "
    "\"note\": \"say \\\\\"hi\\\\\" / 1\\\\t\"\\n}" T "300" T "v1" T
    "[{\"rule_id\":\"R-HEAVY\",\"action\":\"flag\",\"severity\":\"low\","
    "\"message\":\"grossWeight 1.35 kg\"},{\"rule_id\":\"R-VALUE\",\"action\":\"review\","
    "\"severity\":\"high\",\"message\":\"价值 \\\\\"over\\\\\" 150 EUR\","
    "\"message_zh\":\"货值超过150欧元\",\"value\":\"263.31 EUR\"}]" T
        /* decl NULL; the inventory column (a row literal) is checked field by field */
        N T N T N T N T N T N T N "\n";

static const char WANT_FENCES[] =
    "{\"offsets\":[{\"topic\":\"customs.declarations\",\"partition\":2,\"expected\":41,"
    "\"next\":42}],\"topic_events\":\"mishan.warehouse.events\","
    "\"topic_receipts\":\"customs.receipts\"}";

#define SCAN_PAYLOAD                                                                               \
    "cedfdfdd9dd743f8ec668566ff0fc187fb539b00a558988895f9c0e82fdbc0f3" T                           \
    "{\"logisticsNo\":\"YL-S1\",\"scan\":\"arrival\",\"scannedAt\":\"20240512103000\","            \
    "\"loctNo\":\"1900W00001\"}"
static const char WANT_SCAN[] = "1" T "scan" T "mishan.warehouse.scans" T "3" T "9" T N T
                                "YL-S1" T N T N T N T SCAN_PAYLOAD T N T N T N T N T N T N T N T
                                "arrival" T "2024-05-12T10:30:00+08:00" T "1900W00001" T N "\n"
                                "2" T "scan" T "mishan.warehouse.scans" T "3" T "9" T N T
                                "YL-K" T N T N T N T SCAN_PAYLOAD T N T N T N T N T N T N T N T
                                "departure" T "2024-05-12T02:30:00Z" T N T "PKG-7"
                                "\n";

static const char WANT_QUARANTINE[] =
    "1" T "quarantine" T "customs.declarations" T "0" T "42" T "1970-01-01 00:00:00.005+00" T
    "YL-Q1" T N T N T N T N T N T N T N T N T N T N T "\\\\x00ff7b6261640a8022" T
    "invalid JSON at byte 0: unexpected character" T N T N T N T N "\n"
    "2" T "quarantine" T "customs.declarations" T "1" T
    "7" T N T N T N T N T N T N T N T N T N T N T N T N T "\\\\x" T "unknown" T N T N T N T N "\n";

static struct decl_decimal dec(__int128 units)
{
    struct decl_decimal d = {.present = true};
    d.value.units = units;
    return d;
}

/* Build the rows and compare them with `want`, printing both on a mismatch. */
static void expect_rows(const struct batch_record *r, size_t nr, const char *want)
{
    char err[256] = "";
    char *got;
    size_t len;
    if (batch_stage_rows(r, nr, &got, &len, err, sizeof(err)) < 0)
        fail_msg("batch_stage_rows failed: %s", err);
    assert_int_equal(len, strlen(got));
    if (strcmp(got, want) != 0)
        print_error("got:  %s\nwant: %s\n", got, want);
    assert_string_equal(got, want);
    free(got);
}

/* Build the fences and compare them with `want`. */
static void expect_fences(const struct batch_offset *o, size_t no, const char *events,
                          const char *receipts, const char *want)
{
    char err[256] = "";
    char *got = batch_fences(o, no, events, receipts, err, sizeof(err));
    if (!got)
        fail_msg("batch_fences failed: %s", err);
    assert_string_equal(got, want);
    assert_int_equal(json_strict_validate(got, strlen(got), 16, err, sizeof(err)), 0);
    free(got);
}

/*
 * Column `col` (0-based) of row `row` of COPY text `rows`, its escapes undone as COPY's text
 * format reads them (\\ \n \r \t; other bytes as they are): a new string, or NULL for \N.
 * Fails the test when there is no such column.
 */
static char *copy_column(const char *rows, size_t row, size_t col)
{
    const char *p = rows;
    for (size_t k = 0; k < row; k++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    for (size_t k = 0; k < col; k++) {
        while (*p && *p != '\t' && *p != '\n')
            p++;
        assert_int_equal(*p, '\t');
        p++;
    }
    if (p[0] == '\\' && p[1] == 'N' && (p[2] == '\t' || p[2] == '\n'))
        return NULL;
    char *out = malloc(strlen(p) + 1), *o = out;
    assert_non_null(out);
    for (; *p && *p != '\t' && *p != '\n'; p++) {
        if (*p != '\\') {
            *o++ = *p;
            continue;
        }
        p++;
        *o++ = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p;
    }
    *o = '\0';
    return out;
}

/* The JSON text in column `col` of row `row`, parsed (the caller puts it). */
static struct json_object *copy_json(const char *rows, size_t row, size_t col)
{
    char *text = copy_column(rows, row, col);
    assert_non_null(text);
    struct json_object *v = json_tokener_parse(text);
    if (!v)
        fail_msg("not JSON: %s", text);
    free(text);
    return v;
}

/* Column numbers of BATCH_STAGE_COLUMNS, for the tests. */
enum {
    C_KIND = 1,
    C_PAYLOAD = 11,
    C_STATUS = 12,
    C_REASONS = 14,
    C_DECL = 15,
    C_INVENTORY = 16,
    C_RAW = 17
};

/*
 * The fields of row literal `lit` ("(a,\"b\",...)", open '(' close ')') or the elements of
 * array literal `lit` ('{', '}') as PostgreSQL's record_in / array_in read them: double
 * quotes taken off, backslash escapes undone, an empty unquoted field NULL. Fills out[]
 * (new strings, NULL for NULL; the caller frees them) and returns how many; fails the test
 * on a malformed literal or more than `max`.
 */
static size_t literal_split(const char *lit, char open, char close, char **out, size_t max)
{
    assert_non_null(lit);
    assert_int_equal(lit[0], open);
    const char *p = lit + 1;
    size_t n = 0;
    if (open == '{' && *p == close) {
        assert_int_equal(p[1], '\0');
        return 0;
    }
    for (;;) {
        char *buf = malloc(strlen(lit) + 1), *o = buf;
        assert_non_null(buf);
        bool quoted = false, any = false;
        while (*p && (quoted || (*p != ',' && *p != close))) {
            if (*p == '"') {
                quoted = !quoted;
                any = true;
                p++;
                continue;
            }
            if (*p == '\\')
                p++;
            assert_true(*p != '\0');
            *o++ = *p++;
            any = true;
        }
        *o = '\0';
        assert_false(quoted);
        assert_true(n < max);
        if (any) {
            out[n++] = buf;
        } else {
            free(buf);
            out[n++] = NULL;
        }
        if (*p == close) {
            p++;
            break;
        }
        assert_int_equal(*p, ',');
        p++;
    }
    assert_int_equal(*p, '\0');
    return n;
}

static void literal_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

/* The position of COLUMN field `name` in the inventory row literal (items: in an item's). */
static size_t inv_index(bool items, const char *name)
{
    const struct decl_field *t = items ? decl_item_fields : decl_head_fields;
    size_t n = items ? decl_item_field_count : decl_head_field_count, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].column)
            continue;
        if (strcmp(t[i].name, name) == 0)
            return k;
        k++;
    }
    fail_msg("no COLUMN field %s", name);
    return 0;
}

/* Head and item COLUMN fields in the literal: 30 and 18 (declaration.h). */
#define INV_HEAD 30
#define INV_ITEM 18

/* The inventory of row `row` of `rows`: head[INV_HEAD + 1] (the last the items array) and the
 * items' fields, items[k][INV_ITEM]; returns the number of items. */
static size_t inventory_of(const char *rows, size_t row, char *head[INV_HEAD + 1],
                           char *items[][INV_ITEM], size_t max_items)
{
    char *lit = copy_column(rows, row, C_INVENTORY);
    assert_int_equal(literal_split(lit, '(', ')', head, INV_HEAD + 1), INV_HEAD + 1);
    free(lit);
    char *elems[8];
    size_t n = literal_split(head[INV_HEAD], '{', '}', elems, 8);
    assert_true(n <= max_items);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(literal_split(elems[k], '(', ')', items[k], INV_ITEM), INV_ITEM);
        free(elems[k]);
    }
    return n;
}

/* The rows with column `col` of every row taken out (a new string). */
static char *rows_without(const char *rows, size_t col)
{
    char *out = malloc(strlen(rows) + 1), *o = out;
    assert_non_null(out);
    size_t c = 0;
    bool first = true; /* no column of this row written yet */
    const char *start = rows;
    for (const char *p = rows; *p; p++) {
        if (*p != '\t' && *p != '\n')
            continue;
        if (c != col) {
            if (!first)
                *o++ = '\t';
            memcpy(o, start, (size_t)(p - start));
            o += p - start;
            first = false;
        }
        start = p + 1;
        c++;
        if (*p == '\n') {
            *o++ = '\n';
            c = 0;
            first = true;
        }
    }
    *o = '\0';
    return out;
}

/* ---- declarations ---- */

static void test_declaration_record(void **state)
{
    (void)state;
    struct decl_item items[2] = {
        {.gnum = {true, 1},
         .itemNo = "EG-1",
         .qty = dec(200000),
         .qty1 = dec(35000),
         .unit = "011",
         .note = "not sent"},
        {.gcode = "9207900000", .totalPrice = dec(-50000)},
    };
    /* ebpName and note are PAYLOAD fields: in the raw value only. */
    struct declaration d = {.appType = "1",
                            .logisticsNo = "YL1",
                            .ebpName = "平台",
                            .country = "344",
                            .freight = dec(0),
                            .fCurrency = "142",
                            .insuredFee = dec(139900000),
                            .packNo = {true, 2},
                            .grossWeight = dec(135000),
                            .note = "not sent either",
                            .n_items = 2,
                            .items = items};
    struct reason reasons[2] = {
        {.rule_id = "R-HEAVY",
         .action = RULE_FLAG,
         .severity = RULE_SEVERITY_LOW,
         .message = "grossWeight 1.35 kg"},
        {.rule_id = "R-VALUE",
         .action = RULE_REVIEW,
         .severity = RULE_SEVERITY_HIGH,
         .message = "价值 \"over\" 150 EUR",
         .message_zh = "货值超过150欧元",
         .value = "263.31 EUR"},
    };
    struct decision decision = {
        .status_code = 300, .n_reasons = 2, .reasons = reasons, .rules_version = "v1"};
    struct batch_record r = {.kind = BATCH_DECLARATION,
                             .topic = TOPIC_DECL,
                             .partition = 2,
                             .offset = 41,
                             .timestamp_ms = 1715480000000LL,
                             .value = P_DECL,
                             .value_len = strlen(P_DECL),
                             .key = "YL1",
                             .decl = &d,
                             .decision = &decision};
    struct batch_offset o = {.topic = TOPIC_DECL, .partition = 2, .expected = 41, .next = 42};

    char err[256] = "", *rows;
    size_t len;
    assert_int_equal(batch_stage_rows(&r, 1, &rows, &len, err, sizeof(err)), 0);
    char *rest = rows_without(rows, C_INVENTORY);
    if (strcmp(rest, WANT_DECL) != 0)
        print_error("got:  %s\nwant: %s\n", rest, WANT_DECL);
    assert_string_equal(rest, WANT_DECL);
    free(rest);
    /* The inventory: the COLUMN fields present, every other one NULL (ebpName and note are
     * PAYLOAD fields), decimals in canonical form, the items in order. */
    char *head[INV_HEAD + 1], *it[2][INV_ITEM];
    assert_int_equal(inventory_of(rows, 0, head, it, 2), 2);
    static const struct {
        const char *name, *value;
    } want_head[] = {{"appType", "1"}, {"logisticsNo", "YL1"}, {"country", "344"},
                     {"freight", "0"}, {"fCurrency", "142"},   {"insuredFee", "1399"},
                     {"packNo", "2"},  {"grossWeight", "1.35"}};
    size_t seen = 0;
    for (size_t k = 0; k < ARRAY_SIZE(want_head); k++) {
        size_t i = inv_index(false, want_head[k].name);
        assert_non_null(head[i]);
        assert_string_equal(head[i], want_head[k].value);
    }
    for (size_t i = 0; i < INV_HEAD; i++)
        seen += head[i] != NULL;
    assert_int_equal(seen, ARRAY_SIZE(want_head));
    assert_string_equal(it[0][inv_index(true, "gnum")], "1");
    assert_string_equal(it[0][inv_index(true, "itemNo")], "EG-1");
    assert_string_equal(it[0][inv_index(true, "qty")], "2");
    assert_string_equal(it[0][inv_index(true, "qty1")], "0.35");
    assert_string_equal(it[0][inv_index(true, "unit")], "011");
    assert_string_equal(it[1][inv_index(true, "gcode")], "9207900000");
    assert_string_equal(it[1][inv_index(true, "totalPrice")], "-0.5");
    seen = 0;
    for (size_t i = 0; i < INV_ITEM; i++)
        seen += (it[0][i] != NULL) + (it[1][i] != NULL);
    assert_int_equal(seen, 7);
    literal_free(head, INV_HEAD + 1);
    literal_free(it[0], INV_ITEM);
    literal_free(it[1], INV_ITEM);
    free(rows);
    expect_fences(&o, 1, TOPIC_EVENTS, TOPIC_RCPT, WANT_FENCES);
}

/* Whatever bytes the text holds, COPY's reading of the row gives them back. */
static void test_copy_escapes(void **state)
{
    (void)state;
    static const char raw[] = "{\t\"logisticsNo\" : \"Y\\\\1\\n\",\r\n\"x\":\"\\t\\N\"}\n";
    struct declaration d = {.logisticsNo = "Y\\1\n", .copNo = "a\tb\rc\"d,(e)"};
    struct decision decision = {.status_code = 100, .rules_version = "v"};
    struct batch_record r = {.kind = BATCH_DECLARATION,
                             .topic = "t\\x",
                             .value = raw,
                             .value_len = strlen(raw),
                             .timestamp_ms = -1,
                             .decl = &d,
                             .decision = &decision};
    char err[256], *rows, *v;
    size_t len;
    assert_int_equal(batch_stage_rows(&r, 1, &rows, &len, err, sizeof(err)), 0);
    assert_null(strchr(rows, '\r')); /* one line, tab-separated */
    assert_ptr_equal(strchr(rows, '\n'), rows + len - 1);
    v = copy_column(rows, 0, C_PAYLOAD);
    assert_string_equal(v, raw);
    free(v);
    v = copy_column(rows, 0, 2); /* topic */
    assert_string_equal(v, "t\\x");
    free(v);
    v = copy_column(rows, 0, 6); /* logistics_no */
    assert_string_equal(v, "Y\\1\n");
    free(v);
    v = copy_column(rows, 0, 7); /* cop_no */
    assert_string_equal(v, "a\tb\rc\"d,(e)");
    free(v);
    /* the inventory literal: both levels of escapes (COPY's, the literal's) undone */
    char *head[INV_HEAD + 1], *it[1][INV_ITEM];
    assert_int_equal(inventory_of(rows, 0, head, it, 1), 0);
    assert_string_equal(head[inv_index(false, "logisticsNo")], "Y\\1\n");
    assert_string_equal(head[inv_index(false, "copNo")], "a\tb\rc\"d,(e)");
    assert_string_equal(head[INV_HEAD], "{}");
    literal_free(head, INV_HEAD + 1);
    free(rows);

    /* no records: no rows */
    assert_int_equal(batch_stage_rows(NULL, 0, &rows, &len, err, sizeof(err)), 0);
    assert_string_equal(rows, "");
    assert_int_equal(len, 0);
    free(rows);
}

/* Every COLUMN field, and only those, goes into the inventory, in the order of
 * customs.ceb603_inventory (sql/023_ceb603_inventory_type.sql): the columns apply_batch reads. */
static void test_declaration_columns(void **state)
{
    (void)state;
    static const char *const want_head[INV_HEAD] = {
        "guid",       "appType",        "appTime",     "appStatus", "customsCode", "ebpCode",
        "orderNo",    "logisticsCode",  "logisticsNo", "copNo",     "ieFlag",      "portCode",
        "ieDate",     "statisticsFlag", "agentCode",   "ebcCode",   "ebcName",     "ownerCode",
        "tradeMode",  "trafMode",       "country",     "POD",       "freight",     "fCurrency",
        "insuredFee", "iCurrency",      "wrapType",    "packNo",    "grossWeight", "netWeight"};
    static const char *const want_item[INV_ITEM] = {
        "gnum",   "itemNo",  "itemRecordNo", "itemName", "gcode", "gname",
        "gmodel", "barCode", "country",      "currency", "qty",   "qty1",
        "qty2",   "unit",    "unit1",        "unit2",    "price", "totalPrice"};
    struct declaration d = {0};
    struct decl_item item = {0};
    struct decision decision = {.status_code = 399, .rules_version = "v"};
    char err[256];

    /* Every field present: strings "s", decimals 1, integers 7. */
    for (size_t pass = 0; pass < 2; pass++) {
        const struct decl_field *t = pass ? decl_item_fields : decl_head_fields;
        size_t n = pass ? decl_item_field_count : decl_head_field_count;
        void *base = pass ? (void *)&item : (void *)&d;
        for (size_t i = 0; i < n; i++) {
            char *p = (char *)base + t[i].offset;
            if (t[i].kind == DECL_STRING)
                *(const char **)(void *)p = "s";
            else if (t[i].kind == DECL_DECIMAL)
                *(struct decl_decimal *)(void *)p = dec(100000);
            else
                *(struct decl_integer *)(void *)p = (struct decl_integer){true, 7};
        }
    }
    d.n_items = 1;
    d.items = &item;
    struct batch_record r = {.kind = BATCH_DECLARATION,
                             .topic = TOPIC_DECL,
                             .value = "{}",
                             .value_len = 2,
                             .decl = &d,
                             .decision = &decision};
    char *text;
    size_t len;
    assert_int_equal(batch_stage_rows(&r, 1, &text, &len, err, sizeof(err)), 0);
    char *head[INV_HEAD + 1], *it[1][INV_ITEM];
    assert_int_equal(inventory_of(text, 0, head, it, 1), 1);
    for (size_t pass = 0; pass < 2; pass++) {
        const char *const *want = pass ? want_item : want_head;
        size_t n = pass ? INV_ITEM : INV_HEAD;
        for (size_t k = 0; k < n; k++) {
            /* the k-th attribute is the field named there, its value by the field's kind */
            const struct decl_field *f = decl_field_find(pass, want[k]);
            assert_non_null(f);
            assert_true(f->column);
            assert_int_equal(inv_index(pass, want[k]), k);
            const char *v = pass ? it[0][k] : head[k];
            assert_non_null(v);
            assert_string_equal(v, f->kind == DECL_STRING    ? "s"
                                   : f->kind == DECL_DECIMAL ? "1"
                                                             : "7");
        }
    }
    literal_free(head, INV_HEAD + 1);
    literal_free(it[0], INV_ITEM);
    free(text);
}

/* A declaration with fields breaking the CEB603 format (issue 10): the faulted fields are
 * NULL in the inventory (NULL in their columns, so nothing unstorable reaches SQL), the other
 * fields are sent, and the payload is the raw value byte-exact, bad text included. */
static void test_declaration_with_faults(void **state)
{
    (void)state;
    const char *raw = "{\"logisticsNo\":\"YL1\",\"customsCode\":1900,\"grossWeight\":\"1e3\","
                      "\"note\":\"a\\u0000b\",\"ebcName\":\"E\",\"items\":[{\"gnum\":1,"
                      "\"price\":\"1,234.00\",\"qty\":\"2\"},7]}";
    char err[256];
    struct declaration *d = declaration_decode(raw, strlen(raw), 0, NULL, err, sizeof(err));
    assert_non_null(d);
    assert_int_equal(d->n_faults, 5); /* customsCode, grossWeight, note, price, items[1] */
    struct decision decision = {.status_code = 100, .rules_version = "v"};
    struct batch_record r = {.kind = BATCH_DECLARATION,
                             .topic = TOPIC_DECL,
                             .value = raw,
                             .value_len = strlen(raw),
                             .key = d->logisticsNo,
                             .decl = d,
                             .decision = &decision};
    char *text;
    size_t len;
    assert_int_equal(batch_stage_rows(&r, 1, &text, &len, err, sizeof(err)), 0);
    char *head[INV_HEAD + 1], *it[2][INV_ITEM];
    assert_int_equal(inventory_of(text, 0, head, it, 2), 2); /* positions kept */
    assert_null(head[inv_index(false, "customsCode")]);
    assert_null(head[inv_index(false, "grossWeight")]);
    assert_string_equal(head[inv_index(false, "ebcName")], "E");
    assert_null(it[0][inv_index(true, "price")]);
    assert_string_equal(it[0][inv_index(true, "qty")], "2");
    for (size_t i = 0; i < INV_ITEM; i++)
        assert_null(it[1][i]);
    literal_free(head, INV_HEAD + 1);
    literal_free(it[0], INV_ITEM);
    char *payload = copy_column(text, 0, C_PAYLOAD);
    assert_string_equal(payload, raw);
    free(payload);
    free(text);
    declaration_free(d);
}

/* ---- scans ---- */

static void test_scan_records(void **state)
{
    (void)state;
    struct warehouse_scan arrival = {.logisticsNo = "YL-S1",
                                     .kind = SCAN_ARRIVAL,
                                     .scanned_at = "2024-05-12T10:30:00+08:00",
                                     .loctNo = "1900W00001"};
    /* No logisticsNo in the scan: the record key is used. */
    struct warehouse_scan departure = {
        .kind = SCAN_DEPARTURE, .scanned_at = "2024-05-12T02:30:00Z", .totalPackageNo = "PKG-7"};
    struct batch_record r[2] = {
        {.kind = BATCH_SCAN,
         .topic = TOPIC_SCAN,
         .partition = 3,
         .offset = 9,
         .timestamp_ms = -1,
         .value = P_SCAN,
         .value_len = strlen(P_SCAN),
         .key = "YL-S1",
         .scan = &arrival},
        {.kind = BATCH_SCAN,
         .topic = TOPIC_SCAN,
         .partition = 3,
         .offset = 9,
         .timestamp_ms = -1,
         .value = P_SCAN,
         .value_len = strlen(P_SCAN),
         .key = "YL-K",
         .scan = &departure},
    };
    expect_rows(r, 2, WANT_SCAN);
}

/* ---- orders, waybills, payments ---- */

static int parse_answer(const char *text, size_t n, struct batch_result *res,
                        struct batch_outcome *out, char *err, size_t errlen);

static void test_document_records(void **state)
{
    (void)state;
    static const char order[] =
        "{\"guid\":\"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9\",\"appType\":\"1\","
        "\"appTime\":\"20240512103000\",\"appStatus\":\"2\",\"orderType\":\"E\","
        "\"orderNo\":\"O1\",\"ebpCode\":\"E1\",\"ebpName\":\"P\",\"ebcCode\":\"C1\","
        "\"ebcName\":\"C\",\"goodsValue\":\"10.50\",\"freight\":\"0\",\"currency\":\"142\","
        "\"items\":[{\"gnum\":1,\"itemName\":\"x\",\"unit\":\"011\",\"currency\":\"142\","
        "\"qty\":2,\"price\":\"5.25\",\"totalPrice\":\"10.5\"}]}";
    static const char waybill[] = "{\"logisticsNo\":\"YL1\",\"grossWeight\":\"1e3\"}";
    char err[256];
    struct document *o = document_decode(DOC_ORDER, order, strlen(order), 0, NULL, err, 256);
    struct document *w =
        document_decode(DOC_WAYBILL, waybill, strlen(waybill), 0, NULL, err, sizeof(err));
    assert_non_null(o);
    assert_non_null(w);
    struct batch_record r[2] = {
        {.kind = BATCH_DOCUMENT,
         .topic = "customs.orders",
         .partition = 0,
         .offset = 5,
         .timestamp_ms = -1,
         .value = order,
         .value_len = strlen(order),
         .key = "O1",
         .doc = o},
        {.kind = BATCH_DOCUMENT,
         .topic = "customs.waybills",
         .partition = 1,
         .offset = 7,
         .timestamp_ms = -1,
         .value = waybill,
         .value_len = strlen(waybill),
         .key = "YL1",
         .doc = w},
    };
    char *text, *c;
    size_t len;
    assert_int_equal(batch_stage_rows(r, 2, &text, &len, err, sizeof(err)), 0);
    struct json_object *v, *m;
    c = copy_column(text, 0, C_KIND);
    assert_string_equal(c, "order");
    free(c);
    c = copy_column(text, 0, C_STATUS);
    assert_string_equal(c, "120");
    free(c);
    c = copy_column(text, 0, C_REASONS);
    assert_string_equal(c, "[]");
    free(c);
    struct json_object *doc0 = copy_json(text, 0, C_DECL);
    v = doc0;
    /* decimals in their canonical text, the lines under items */
    assert_true(json_object_object_get_ex(v, "goodsValue", &m));
    assert_string_equal(json_object_get_string(m), "10.5");
    assert_true(json_object_object_get_ex(v, "items", &m));
    assert_string_equal(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN),
                        "[{\"gnum\":1,\"itemName\":\"x\",\"unit\":\"011\",\"currency\":\"142\","
                        "\"qty\":\"2\",\"price\":\"5.25\",\"totalPrice\":\"10.5\"}]");
    json_object_put(doc0);
    c = copy_column(text, 1, C_KIND);
    assert_string_equal(c, "waybill");
    free(c);
    c = copy_column(text, 1, C_STATUS);
    assert_string_equal(c, "100");
    free(c);
    struct json_object *reasons1 = copy_json(text, 1, C_REASONS);
    v = reasons1;
    assert_int_equal(json_object_array_length(v), (int)w->n_problems);
    struct json_object *first = json_object_array_get_idx(v, 0);
    assert_true(json_object_object_get_ex(first, "rule_id", &m));
    assert_string_equal(json_object_get_string(m), "CEB505-FORMAT");
    assert_true(json_object_object_get_ex(first, "message", &m));
    assert_string_equal(json_object_get_string(m),
                        "grossWeight: '1e3' is not a plain decimal number (exponent notation)");
    json_object_put(reasons1);
    struct json_object *doc1 = copy_json(text, 1, C_DECL);
    assert_false(json_object_object_get_ex(doc1, "items", &m)); /* a waybill has no lines */
    json_object_put(doc1);
    free(text);

    /* a document record without its document is a caller bug */
    r[0].doc = NULL;
    assert_int_equal(batch_stage_rows(r, 1, &text, &len, err, sizeof(err)), -1);
    assert_null(text);
    assert_string_equal(err, "document record without document");
    document_free(o);
    document_free(w);

    /* the answer: V stored (note), D duplicate, J rejected (status and note) */
    struct batch_result res;
    struct batch_outcome out[3];
    const char *ans = "{\"documents\":1,\"document_duplicates\":1,\"documents_rejected\":1,"
                      "\"outcomes\":\"VDJ\",\"details\":[{\"i\":0,\"note\":\"order version 2\"},"
                      "{\"i\":1,\"note\":\"order: the content of version 1\"},"
                      "{\"i\":2,\"status\":100,\"note\":\"CEB505-FORMAT: x\"}]}";
    assert_int_equal(parse_answer(ans, 3, &res, out, err, sizeof(err)), 0);
    assert_int_equal(res.documents, 1);
    assert_int_equal(res.document_duplicates, 1);
    assert_int_equal(res.documents_rejected, 1);
    assert_int_equal(out[0].code, BATCH_OUT_DOC_STORED);
    assert_string_equal(out[0].note, "order version 2");
    assert_int_equal(out[1].code, BATCH_OUT_DUPLICATE);
    assert_int_equal(out[2].code, BATCH_OUT_DOC_REJECTED);
    assert_int_equal(out[2].status, 100);
    assert_int_equal(batch_outcome_letter(BATCH_OUT_DOC_REJECTED), 'J');
    /* J without its status, V without its note: malformed */
    assert_int_equal(parse_answer("{\"outcomes\":\"J\",\"details\":[{\"i\":0,\"note\":\"x\"}]}", 1,
                                  &res, out, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "record 0 (outcome J): no status");
    assert_int_equal(parse_answer("{\"outcomes\":\"V\"}", 1, &res, out, err, sizeof(err)), -1);
    assert_string_equal(err, "record 0 (outcome V): no note");
}

/* ---- quarantine ---- */

static void test_quarantine_records(void **state)
{
    (void)state;
    struct batch_record r[2] = {
        {.kind = BATCH_QUARANTINE,
         .topic = TOPIC_DECL,
         .partition = 0,
         .offset = 42,
         .timestamp_ms = 5,
         .value = P_BIN,
         .value_len = sizeof(P_BIN) - 1,
         .key = "YL-Q1",
         .reason = "invalid JSON at byte 0: unexpected character"},
        /* an empty value (a tombstone), no key, no reason */
        {.kind = BATCH_QUARANTINE,
         .topic = TOPIC_DECL,
         .partition = 1,
         .offset = 7,
         .timestamp_ms = -1},
    };
    expect_rows(r, 2, WANT_QUARANTINE);
}

/* A declaration or scan whose value is not text goes as a quarantine record. */
static void test_not_text_is_quarantined(void **state)
{
    (void)state;
    static const char bad_utf8[] = "{\"logisticsNo\":\"YL3\xff\"}";
    static const char nul[] = "{\"logisticsNo\":\"YL3\"}\0";
    struct declaration d = {.logisticsNo = "YL3"};
    struct decision decision = {.status_code = 399, .rules_version = "v"};
    struct warehouse_scan sc = {.kind = SCAN_ARRIVAL, .scanned_at = "2024-05-12T10:30:00+08:00"};
    struct batch_record r[2] = {
        {.kind = BATCH_DECLARATION,
         .topic = TOPIC_DECL,
         .offset = 1,
         .timestamp_ms = 2,
         .value = bad_utf8,
         .value_len = sizeof(bad_utf8) - 1,
         .decl = &d,
         .decision = &decision},
        {.kind = BATCH_SCAN,
         .topic = TOPIC_SCAN,
         .offset = 3,
         .timestamp_ms = 4,
         .value = nul,
         .value_len = sizeof(nul) - 1, /* ends with the NUL */
         .key = "YL-N",
         .scan = &sc},
    };
    expect_rows(r, 2,
                "1" T "quarantine" T "customs.declarations" T "0" T "1" T
                "1970-01-01 00:00:00.002+00" T "YL3" T N T N T N T N T N T N T N T N T N T N T
                "\\\\x7b226c6f676973746963734e6f223a22594c33ff227d" T
                "record value is not storable text (NUL byte or invalid UTF-8)" T N T N T N T N "\n"
                "2" T "quarantine" T "mishan.warehouse.scans" T "0" T "3" T
                "1970-01-01 00:00:00.004+00" T "YL-N" T N T N T N T N T N T N T N T N T N T N T
                "\\\\x7b226c6f676973746963734e6f223a22594c33227d00" T
                "record value is not storable text (NUL byte or invalid UTF-8)" T N T N T N T N
                "\n");
}

static void test_text_check(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
        bool ok;
    } cases[] = {
        {"", 0, true},
        {"plain ASCII", 11, true},
        {"\xc3\xa9", 2, true},          /* é */
        {"\xe5\xb9\xb3", 3, true},      /* 平 */
        {"\xf0\x9f\x98\x80", 4, true},  /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, true},  /* U+10FFFF */
        {"\xed\x9f\xbf", 3, true},      /* U+D7FF */
        {"a\0b", 3, false},             /* NUL */
        {"\xc0\xaf", 2, false},         /* overlong '/' */
        {"\xe0\x80\xaf", 3, false},     /* overlong '/' */
        {"\xf0\x8f\xbf\xbf", 4, false}, /* overlong U+FFFF */
        {"\xed\xa0\x80", 3, false},     /* encoded surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, false}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, false}, /* never a lead byte */
        {"\x80", 1, false},             /* lone continuation */
        {"\xe5\xb9", 2, false},         /* truncated */
        {"\xc3\x28", 2, false},         /* bad continuation */
        {"ok\xff", 3, false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (json_strict_text(cases[i].s, cases[i].len) != cases[i].ok)
            fail_msg("case %zu: json_strict_text gives %d", i, !cases[i].ok);
    }
}

/* ---- offsets and bugs ---- */

static void test_offsets(void **state)
{
    (void)state;
    struct batch_offset o[3] = {
        {.topic = TOPIC_DECL, .partition = 0, .expected = -1, .next = 1},
        {.topic = TOPIC_DECL, .partition = 2147483647, .expected = 0, .next = 0},
        {.topic = TOPIC_SCAN, .partition = 5, .expected = 9007199254740993LL, .next = INT64_MAX},
    };
    /* a topic left out when NULL (apply_batch_staged refuses that) */
    expect_fences(o, 3, TOPIC_EVENTS, NULL,
                  "{\"offsets\":[{\"topic\":\"customs.declarations\",\"partition\":0,"
                  "\"expected\":-1,\"next\":1},{\"topic\":\"customs.declarations\","
                  "\"partition\":2147483647,\"expected\":0,\"next\":0},"
                  "{\"topic\":\"mishan.warehouse.scans\",\"partition\":5,"
                  "\"expected\":9007199254740993,\"next\":9223372036854775807}],"
                  "\"topic_events\":\"mishan.warehouse.events\"}");
    expect_fences(NULL, 0, TOPIC_EVENTS, TOPIC_RCPT,
                  "{\"offsets\":[],\"topic_events\":\"mishan.warehouse.events\","
                  "\"topic_receipts\":\"customs.receipts\"}");
}

static void expect_bug(const struct batch_record *r, const char *want)
{
    char err[256] = "";
    char *text = (char *)"unchanged";
    size_t len = 1;
    assert_int_equal(batch_stage_rows(r, 1, &text, &len, err, sizeof(err)), -1);
    assert_null(text);
    assert_int_equal(len, 0);
    assert_string_equal(err, want);
}

static void test_caller_bugs(void **state)
{
    (void)state;
    struct declaration d = {.logisticsNo = "YL1"};
    struct decision decision = {.status_code = 399};
    struct warehouse_scan sc = {.kind = SCAN_ARRIVAL, .scanned_at = "2024-05-12T10:30:00Z"};
    struct warehouse_scan no_time = {.logisticsNo = "YL1", .kind = SCAN_ARRIVAL};

    expect_bug(&(struct batch_record){.kind = BATCH_QUARANTINE, .value = "x", .value_len = 1},
               "record without topic or value");
    expect_bug(&(struct batch_record){.kind = BATCH_QUARANTINE, .topic = "t", .value_len = 3},
               "record without topic or value");
    expect_bug(&(struct batch_record){.kind = BATCH_DECLARATION, .topic = "t", .decl = &d},
               "declaration record without declaration or decision");
    expect_bug(
        &(struct batch_record){.kind = BATCH_DECLARATION, .topic = "t", .decision = &decision},
        "declaration record without declaration or decision");
    expect_bug(&(struct batch_record){.kind = BATCH_SCAN, .topic = "t"},
               "scan record without scan, scannedAt or logisticsNo");
    expect_bug(&(struct batch_record){.kind = BATCH_SCAN, .topic = "t", .scan = &no_time},
               "scan record without scan, scannedAt or logisticsNo");
    /* neither the scan nor the record has a logisticsNo */
    expect_bug(&(struct batch_record){.kind = BATCH_SCAN, .topic = "t", .scan = &sc},
               "scan record without scan, scannedAt or logisticsNo");

    /* A bad record anywhere refuses the whole batch. */
    struct batch_record two[2] = {
        {.kind = BATCH_QUARANTINE, .topic = "t"},
        {.kind = BATCH_SCAN, .topic = "t", .scan = &sc},
    };
    char err[256], *text;
    size_t len;
    assert_int_equal(batch_stage_rows(two, 2, &text, &len, err, sizeof(err)), -1);
    assert_string_equal(err, "scan record without scan, scannedAt or logisticsNo");
}

/* ---- the answer ---- */

static void test_result_parse(void **state)
{
    (void)state;
    struct batch_result res;

    assert_int_equal(batch_result_parse("{\"declarations\": 3, \"duplicates\": 1, \"conflicts\": 2,"
                                        " \"quarantined\": 4, \"events\": 9, \"amendments\": 5,"
                                        " \"cancellations\": 6, \"refused\": 7, \"scans\": 8,"
                                        " \"pending_scans\": 10}",
                                        &res),
                     0);
    assert_int_equal(res.declarations, 3);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(res.conflicts, 2);
    assert_int_equal(res.quarantined, 4);
    assert_int_equal(res.events, 9);
    assert_int_equal(res.amendments, 5);
    assert_int_equal(res.cancellations, 6);
    assert_int_equal(res.refused, 7);
    assert_int_equal(res.scans, 8);
    assert_int_equal(res.pending_scans, 10);

    /* missing and negative counts read as 0; unknown keys are ignored */
    assert_int_equal(batch_result_parse("{\"declarations\": -2, \"scans\": 1, \"new\": 5}", &res),
                     0);
    assert_int_equal(res.declarations, 0);
    assert_int_equal(res.scans, 1);
    assert_int_equal(res.events, 0);

    /* unreadable: -1 and everything zero */
    res.events = 99;
    assert_int_equal(batch_result_parse(NULL, &res), -1);
    assert_int_equal(res.events, 0);
    res.events = 99;
    assert_int_equal(batch_result_parse("{\"events\": 1", &res), -1);
    assert_int_equal(res.events, 0);
}

/* ---- the per-record report ---- */

/* batch_answer_parse without room for earlier scans. */
static int parse_answer(const char *text, size_t n, struct batch_result *res,
                        struct batch_outcome *out, char *err, size_t errlen)
{
    struct batch_report rep = {.outcomes = out};
    return batch_answer_parse(text, n, res, &rep, err, errlen);
}

/* The answer of the upgrade fixture's batch (sql/repeatable/60_apply_batch.sql, as printed
 * by PostgreSQL): every letter, details with and without status and note, UTF-8 notes. */
static const char ANSWER[] =
    "{\"scans\": 3, \"events\": 14, \"details\": [{\"i\": 1, \"status\": 899}, {\"i\": 2, "
    "\"status\": 300}, {\"i\": 3, \"status\": 100}, {\"i\": 4, \"note\": \"amendment (appType 2) "
    "refused: status 502 detained cannot change to 399 accepted\", \"status\": 502}, {\"i\": 5, "
    "\"status\": 399}, {\"i\": 8, \"note\": \"invalid JSON at byte 25\"}, {\"i\": 10, \"note\": "
    "\"released\", \"status\": 800}, {\"i\": 11, \"note\": \"arrival refused: the parcel is "
    "closed (899 结关); nothing changes after that\", \"status\": 899}], \"refused\": 2, "
    "\"outcomes\": \"ADMCRXAAQASRP\", \"conflicts\": 1, \"amendments\": 1, \"duplicates\": 1, "
    "\"quarantined\": 1, \"declarations\": 4, \"cancellations\": 1, \"pending_scans\": 1}";

static void test_answer_parse(void **state)
{
    (void)state;
    struct batch_result res;
    struct batch_outcome out[13];
    char err[256] = "";

    assert_int_equal(parse_answer(ANSWER, 13, &res, out, err, sizeof(err)), 0);
    assert_int_equal(res.declarations, 4);
    assert_int_equal(res.events, 14);
    assert_int_equal(res.pending_scans, 1);
    static const enum batch_outcome_code want[13] = {
        BATCH_OUT_APPLIED,     BATCH_OUT_DUPLICATE, BATCH_OUT_AMENDED, BATCH_OUT_CANCELLED,
        BATCH_OUT_REFUSED,     BATCH_OUT_CONFLICT,  BATCH_OUT_APPLIED, BATCH_OUT_APPLIED,
        BATCH_OUT_QUARANTINED, BATCH_OUT_APPLIED,   BATCH_OUT_SCAN,    BATCH_OUT_REFUSED,
        BATCH_OUT_PENDING};
    static const int want_status[13] = {-1, 899, 300, 100, 502, 399, -1, -1, -1, -1, 800, 899, -1};
    for (size_t i = 0; i < 13; i++) {
        assert_int_equal(out[i].code, want[i]);
        assert_int_equal(out[i].status, want_status[i]);
        assert_int_equal(batch_outcome_letter(out[i].code), "ADMCRXAAQASRP"[i]);
    }
    assert_string_equal(out[0].note, "");
    assert_string_equal(out[4].note,
                        "amendment (appType 2) refused: status 502 detained cannot change to 399 "
                        "accepted");
    assert_string_equal(out[8].note, "invalid JSON at byte 25");
    assert_string_equal(out[10].note, "released");
    assert_string_equal(
        out[11].note,
        "arrival refused: the parcel is closed (899 结关); nothing changes after that");
    assert_int_equal(batch_outcome_letter(BATCH_OUT_UNKNOWN), '?');

    /* plain new declarations: letters only, no details member at all */
    assert_int_equal(parse_answer("{\"outcomes\":\"AAP\"}", 3, &res, out, err, sizeof(err)), 0);
    assert_int_equal(out[2].code, BATCH_OUT_PENDING);
    /* an empty batch */
    assert_int_equal(
        parse_answer("{\"outcomes\":\"\",\"details\":[]}", 0, &res, NULL, err, sizeof(err)), 0);
}

/* A note longer than BATCH_NOTE_MAX is cut at a UTF-8 character boundary. */
static void test_answer_long_note(void **state)
{
    (void)state;
    char text[4 * BATCH_NOTE_MAX];
    size_t k = (size_t)snprintf(text, sizeof(text),
                                "{\"outcomes\":\"R\",\"details\":[{\"i\":0,\"note\":\"x");
    for (int i = 0; i < BATCH_NOTE_MAX; i++) { /* x then 3-byte characters */
        memcpy(text + k, "结", 3);
        k += 3;
    }
    snprintf(text + k, sizeof(text) - k, "\"}]}");
    struct batch_result res;
    struct batch_outcome out[1];
    char err[256];
    assert_int_equal(parse_answer(text, 1, &res, out, err, sizeof(err)), 0);
    size_t len = strlen(out[0].note);
    assert_true(len < BATCH_NOTE_MAX);
    assert_int_equal(len, 1 + (BATCH_NOTE_MAX - 2) / 3 * 3); /* whole characters only */
    assert_true(json_strict_text(out[0].note, len));
}

/* Malformed answers: -1, a clear error, every outcome unknown, counts kept when readable. */
static void test_answer_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t n;
        const char *err;
    } cases[] = {
        {NULL, 1, "no answer"},
        {"", 1, "answer is not a JSON object"},
        {"{\"outcomes\":\"A\"", 1, "answer is not a JSON object"},
        {"[\"A\"]", 1, "answer is not a JSON object"},
        {"\"A\"", 1, "answer is not a JSON object"},
        {"{\"declarations\":1}", 1, "answer has no \"outcomes\" string"},
        {"{\"outcomes\":[\"A\"]}", 1, "answer has no \"outcomes\" string"},
        {"{\"outcomes\":null}", 1, "answer has no \"outcomes\" string"},
        {"{\"outcomes\":\"AA\"}", 1, "outcomes has 2 letters for 1 records"},
        {"{\"outcomes\":\"A\"}", 2, "outcomes has 1 letters for 2 records"},
        {"{\"outcomes\":\"AZ\"}", 2, "unknown outcome 'Z' for record 1"},
        {"{\"outcomes\":\"a\"}", 1, "unknown outcome 'a' for record 0"},
        {"{\"outcomes\":\"?\"}", 1, "unknown outcome '?' for record 0"},
        {"{\"outcomes\":\"A\\u0000\"}", 2, "unknown outcome 0x00 for record 1"},
        {"{\"outcomes\":\"\\u00e9\"}", 2, "unknown outcome 0xc3 for record 0"},
        {"{\"outcomes\":\"A\",\"details\":{}}", 1, "details is not an array"},
        {"{\"outcomes\":\"A\",\"details\":[1]}", 1, "details[0]: not an object"},
        {"{\"outcomes\":\"A\",\"details\":[{}]}", 1, "details[0]: no integer \"i\""},
        {"{\"outcomes\":\"A\",\"details\":[{\"i\":\"0\"}]}", 1, "details[0]: no integer \"i\""},
        {"{\"outcomes\":\"A\",\"details\":[{\"i\":0.5}]}", 1, "details[0]: no integer \"i\""},
        {"{\"outcomes\":\"A\",\"details\":[{\"i\":1}]}", 1,
         "details[0]: \"i\" 1 is not a later record of 1"},
        {"{\"outcomes\":\"A\",\"details\":[{\"i\":-1}]}", 1,
         "details[0]: \"i\" -1 is not a later record of 1"},
        {"{\"outcomes\":\"AD\",\"details\":[{\"i\":1},{\"i\":1}]}", 2,
         "details[1]: \"i\" 1 is not a later record of 2"},
        {"{\"outcomes\":\"AD\",\"details\":[{\"i\":99999999999999999999}]}", 2,
         "details[0]: \"i\" 9223372036854775807 is not a later record of 2"},
        {"{\"outcomes\":\"M\",\"details\":[{\"i\":0,\"status\":\"399\"}]}", 1,
         "details[0]: \"status\" is not a status code"},
        {"{\"outcomes\":\"M\",\"details\":[{\"i\":0,\"status\":1000}]}", 1,
         "details[0]: \"status\" is not a status code"},
        {"{\"outcomes\":\"M\",\"details\":[{\"i\":0,\"status\":-1}]}", 1,
         "details[0]: \"status\" is not a status code"},
        {"{\"outcomes\":\"R\",\"details\":[{\"i\":0,\"note\":5}]}", 1,
         "details[0]: \"note\" is not a string"},
        {"{\"outcomes\":\"M\"}", 1, "record 0 (outcome M): no status"},
        {"{\"outcomes\":\"AX\",\"details\":[{\"i\":1,\"note\":\"x\"}]}", 2,
         "record 1 (outcome X): no status"},
        {"{\"outcomes\":\"S\",\"details\":[{\"i\":0,\"note\":\"released\"}]}", 1,
         "record 0 (outcome S): no status"},
        {"{\"outcomes\":\"R\",\"details\":[{\"i\":0,\"status\":500}]}", 1,
         "record 0 (outcome R): no note"},
        {"{\"outcomes\":\"Q\",\"details\":[{\"i\":0,\"note\":\"\"}]}", 1,
         "record 0 (outcome Q): no note"},
    };
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        struct batch_result res;
        struct batch_outcome out[2] = {{.code = BATCH_OUT_SCAN, .status = 5, .note = "old"},
                                       {.code = BATCH_OUT_SCAN, .status = 5, .note = "old"}};
        char err[256] = "";
        if (parse_answer(cases[c].text, cases[c].n, &res, out, err, sizeof(err)) != -1)
            fail_msg("case %zu accepted: %s", c, cases[c].text);
        if (strcmp(err, cases[c].err) != 0)
            fail_msg("case %zu (%s): error '%s', want '%s'", c, cases[c].text, err, cases[c].err);
        for (size_t i = 0; i < cases[c].n; i++) {
            assert_int_equal(out[i].code, BATCH_OUT_UNKNOWN);
            assert_int_equal(out[i].status, -1);
            assert_string_equal(out[i].note, "");
        }
    }
    /* the counts survive a malformed report */
    struct batch_result res;
    struct batch_outcome out[1];
    char err[256];
    assert_int_equal(
        parse_answer("{\"declarations\":7,\"outcomes\":\"Z\"}", 1, &res, out, err, sizeof(err)),
        -1);
    assert_int_equal(res.declarations, 7);
    /* a tiny error buffer is cut, not overrun */
    char small[8];
    assert_int_equal(parse_answer("{}", 1, &res, out, small, sizeof(small)), -1);
    assert_string_equal(small, "answer ");
}

/* Scans of earlier batches that the batch applied: kept up to the caller's room, counted. */
static void test_answer_earlier_scans(void **state)
{
    (void)state;
    static const char text[] =
        "{\"outcomes\":\"A\",\"earlier_scans\":[{\"note\": \"released\", \"scan\": \"arrival\", "
        "\"topic\": \"mishan.warehouse.scans\", \"offset\": 2, \"status\": 800, \"outcome\": "
        "\"S\", \"partition\": 0, \"scannedAt\": \"2024-05-12T02:32:00Z\", \"logisticsNo\": "
        "\"FX-PEND-1\"},{\"logisticsNo\":\"YL2\",\"scan\":\"departure\",\"scannedAt\":"
        "\"2024-05-12T02:33:00Z\",\"topic\":\"s\",\"partition\":3,\"offset\":9,\"outcome\":\"R\","
        "\"status\":399,\"note\":\"departure refused: the parcel was not released\"}]}";
    struct batch_result res;
    struct batch_outcome out[1];
    struct batch_earlier_scan earlier[1];
    struct batch_report rep = {out, earlier, 1, 99};
    char err[256] = "";
    assert_int_equal(batch_answer_parse(text, 1, &res, &rep, err, sizeof(err)), 0);
    assert_int_equal(rep.n_earlier, 2); /* two reported, one kept */
    assert_int_equal(out[0].code, BATCH_OUT_APPLIED);
    assert_string_equal(earlier[0].logisticsNo, "FX-PEND-1");
    assert_string_equal(earlier[0].topic, "mishan.warehouse.scans");
    assert_int_equal(earlier[0].partition, 0);
    assert_int_equal(earlier[0].offset, 2);
    assert_string_equal(earlier[0].scan, "arrival");
    assert_string_equal(earlier[0].scanned_at, "2024-05-12T02:32:00Z");
    assert_int_equal(earlier[0].outcome.code, BATCH_OUT_SCAN);
    assert_int_equal(earlier[0].outcome.status, 800);
    assert_string_equal(earlier[0].outcome.note, "released");

    /* none: no member */
    rep.n_earlier = 5;
    assert_int_equal(batch_answer_parse("{\"outcomes\":\"P\"}", 1, &res, &rep, err, sizeof(err)),
                     0);
    assert_int_equal(rep.n_earlier, 0);

    static const struct {
        const char *text;
        const char *err;
    } bad[] = {
        {"{\"outcomes\":\"A\",\"earlier_scans\":{}}", "earlier_scans is not an array"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[7]}", "earlier_scans[0]: not an object"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\"}]}",
         "earlier_scans[0]: logisticsNo, topic, scan, scannedAt, partition, offset or outcome "
         "missing, of the wrong type or too long"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival\","
         "\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":-1,\"offset\":1,\"outcome\":\"S\","
         "\"status\":800}]}",
         "earlier_scans[0]: logisticsNo, topic, scan, scannedAt, partition, offset or outcome "
         "missing, of the wrong type or too long"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival and "
         "more\",\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":0,\"offset\":1,\"outcome\":"
         "\"S\","
         "\"status\":800}]}",
         "earlier_scans[0]: logisticsNo, topic, scan, scannedAt, partition, offset or outcome "
         "missing, of the wrong type or too long"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival\","
         "\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":0,\"offset\":1,\"outcome\":\"M\","
         "\"status\":800}]}",
         "earlier_scans[0]: outcome is not S, D or R"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival\","
         "\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":0,\"offset\":1,\"outcome\":\"SS\"}]}",
         "earlier_scans[0]: logisticsNo, topic, scan, scannedAt, partition, offset or outcome "
         "missing, of the wrong type or too long"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival\","
         "\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":0,\"offset\":1,\"outcome\":\"S\"}]}",
         "earlier_scans[0] (outcome S): no status"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival\","
         "\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":0,\"offset\":1,\"outcome\":\"R\","
         "\"status\":800}]}",
         "earlier_scans[0] (outcome R): no note"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival\","
         "\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":0,\"offset\":1,\"outcome\":\"S\","
         "\"status\":8000}]}",
         "earlier_scans[0]: \"status\" is not a status code"},
        {"{\"outcomes\":\"A\",\"earlier_scans\":[{\"logisticsNo\":\"X\",\"scan\":\"arrival\","
         "\"scannedAt\":\"t\",\"topic\":\"s\",\"partition\":0,\"offset\":1,\"outcome\":\"D\","
         "\"note\":[]}]}",
         "earlier_scans[0]: \"note\" is not a string"},
    };
    for (size_t c = 0; c < ARRAY_SIZE(bad); c++) {
        /* a bad entry beyond the caller's room is refused too */
        struct batch_report none = {out, NULL, 0, 7};
        if (batch_answer_parse(bad[c].text, 1, &res, &none, err, sizeof(err)) != -1)
            fail_msg("case %zu accepted: %s", c, bad[c].text);
        if (strcmp(err, bad[c].err) != 0)
            fail_msg("case %zu: error '%s', want '%s'", c, err, bad[c].err);
        assert_int_equal(none.n_earlier, 0);
        assert_int_equal(out[0].code, BATCH_OUT_UNKNOWN);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declaration_record),  cmocka_unit_test(test_copy_escapes),
        cmocka_unit_test(test_declaration_columns), cmocka_unit_test(test_declaration_with_faults),
        cmocka_unit_test(test_scan_records),        cmocka_unit_test(test_document_records),
        cmocka_unit_test(test_quarantine_records),  cmocka_unit_test(test_not_text_is_quarantined),
        cmocka_unit_test(test_text_check),          cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_caller_bugs),         cmocka_unit_test(test_result_parse),
        cmocka_unit_test(test_answer_parse),        cmocka_unit_test(test_answer_long_note),
        cmocka_unit_test(test_answer_malformed),    cmocka_unit_test(test_answer_earlier_scans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
