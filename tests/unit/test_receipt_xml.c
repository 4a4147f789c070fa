/*
 * test_receipt_xml.c - unit tests of receipt_xml.c against receipt_xml.h: receipt payloads
 * in the shape customs.outbox_payload builds (sql/repeatable/20_outbox.sql), built here
 * with json-c, converted to CEB604Message documents, and the documents parsed back with
 * libxml2 and compared element by element: every field, the XSD's element order, absent and
 * null values, escaping of < > & " and CR, Chinese and Russian text, a receipt with many
 * reasons, characters XML 1.0 cannot carry, receipts of other documents, and malformed
 * payloads refused with an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "receipt_xml.h"

#define EVENT_ID "7d0c4b1e-9a2f-4c3d-8e5f-0a1b2c3d4e5f"

/* A 100 receipt as customs.outbox_payload builds it (keys and types as 20_outbox.sql). */
static struct json_object *payload_rejected(void)
{
    struct json_object *o = json_object_new_object();
    struct json_object *reasons = json_object_new_array();
    struct json_object *r = json_object_new_object();

    json_object_object_add(r, "rule_id", json_object_new_string("CEB603-GCODE"));
    json_object_object_add(r, "action", json_object_new_string("reject"));
    json_object_object_add(r, "message",
                           json_object_new_string("items[gnum=1].gcode: '92079' is not 10 digits"));
    json_object_object_add(r, "message_zh", json_object_new_string("商品编码(gcode)须为10位数字"));
    json_object_array_add(reasons, r);
    json_object_object_add(o, "event_id", json_object_new_string(EVENT_ID));
    json_object_object_add(o, "type", json_object_new_string("receipt"));
    json_object_object_add(o, "logisticsNo", json_object_new_string("YL2024051200000001"));
    json_object_object_add(o, "copNo", json_object_new_string("COP2024051200000001"));
    json_object_object_add(o, "status_code", json_object_new_int(100));
    json_object_object_add(o, "status", json_object_new_string("rejected"));
    json_object_object_add(o, "occurred_at", json_object_new_string("2024-05-12T02:30:00.123Z"));
    json_object_object_add(o, "invtNo", NULL);
    json_object_object_add(o, "reasons", reasons);
    json_object_object_add(o, "guid",
                           json_object_new_string("0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9"));
    json_object_object_add(o, "returnStatus", json_object_new_string("100"));
    json_object_object_add(o, "returnTime", json_object_new_string("20240512023000123"));
    json_object_object_add(o, "returnInfo",
                           json_object_new_string("海关退单 rejected: CEB603-GCODE: "
                                                  "商品编码(gcode)须为10位数字 (items[gnum=1]."
                                                  "gcode: '92079' is not 10 digits)"));
    return o;
}

static void set(struct json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

/* Convert o (consumed); asserts RECEIPT_XML_OK and returns the document (caller frees). */
static char *convert_ok(struct json_object *o, size_t *len)
{
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    char *out = NULL, err[256] = "";
    size_t n = 0;
    int rc = receipt_xml_from_payload(text, strlen(text), &out, &n, err, sizeof(err));
    if (rc != RECEIPT_XML_OK)
        fail_msg("refused: %s (payload %s)", err, text);
    assert_non_null(out);
    assert_int_equal(n, strlen(out));
    json_object_put(o);
    if (len)
        *len = n;
    return out;
}

/* Convert text; asserts RECEIPT_XML_ERROR with `want` in the message and no output. */
static void convert_refused(const char *text, size_t len, const char *want)
{
    char *out = (char *)"x", err[256] = "";
    size_t n = 7;
    assert_int_equal(receipt_xml_from_payload(text, len, &out, &n, err, sizeof(err)),
                     RECEIPT_XML_ERROR);
    assert_null(out);
    assert_int_equal(n, 0);
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
}

/* The parsed document, its root checked: ceb:CEB604Message in the CEB namespace. */
static xmlDocPtr parse(const char *xml, size_t len)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "receipt.xml", NULL, XML_PARSE_NONET);
    if (!doc)
        fail_msg("not well-formed XML:\n%s", xml);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    assert_non_null(root);
    assert_string_equal((const char *)root->name, "CEB604Message");
    assert_non_null(root->ns);
    assert_string_equal((const char *)root->ns->href, RECEIPT_XML_NS);
    assert_string_equal((const char *)root->ns->prefix, "ceb");
    return doc;
}

static xmlNodePtr next_element(xmlNodePtr n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

/*
 * The InventoryReturn's children must be exactly names[i] = texts[i] for i < n, in order,
 * each in the CEB namespace, with one text child equal to the payload's text.
 */
static void expect_return(xmlDocPtr doc, const char *const *names, const char *const *texts,
                          size_t n)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr ir = next_element(root->children);
    assert_non_null(ir);
    assert_string_equal((const char *)ir->name, "InventoryReturn");
    assert_string_equal((const char *)ir->ns->href, RECEIPT_XML_NS);
    assert_null(next_element(ir->next));
    xmlNodePtr c = next_element(ir->children);
    for (size_t i = 0; i < n; i++, c = next_element(c->next)) {
        if (!c)
            fail_msg("element %zu (%s) missing", i, names[i]);
        assert_string_equal((const char *)c->name, names[i]);
        assert_string_equal((const char *)c->ns->href, RECEIPT_XML_NS);
        xmlChar *t = xmlNodeGetContent(c);
        assert_string_equal((const char *)t, texts[i]);
        xmlFree(t);
    }
    if (c)
        fail_msg("unexpected element %s", (const char *)c->name);
}

static void test_every_field(void **state)
{
    (void)state;
    static const char *const names[] = {
        "guid",  "customsCode", "ebpCode",      "ebcCode",    "agentCode",  "copNo",
        "preNo", "invtNo",      "returnStatus", "returnTime", "returnInfo",
    };
    static const char *const texts[] = {
        "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
        "1900",
        "2303960001",
        "2303960002",
        "2303960004",
        "COP2024051200000001",
        "B20240512000000001",
        "19002024E000000042",
        "399",
        "20240512023000123",
        "海关审结 accepted",
    };
    struct json_object *o = payload_rejected();
    /* Written in another order than the XSD's: the output follows the XSD. */
    set(o, "preNo", texts[6]);
    set(o, "agentCode", texts[4]);
    set(o, "ebcCode", texts[3]);
    set(o, "ebpCode", texts[2]);
    set(o, "customsCode", texts[1]);
    set(o, "invtNo", texts[7]);
    set(o, "returnStatus", texts[8]);
    set(o, "returnInfo", texts[10]);
    json_object_object_add(o, "status_code", json_object_new_int(399));
    json_object_object_add(o, "reasons", json_object_new_array());
    size_t len;
    char *xml = convert_ok(o, &len);
    xmlDocPtr doc = parse(xml, len);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlChar *g = xmlGetProp(root, BAD_CAST "guid"), *v = xmlGetProp(root, BAD_CAST "version");
    /* event_id, upper case: the message's own guid */
    assert_string_equal((const char *)g, "7D0C4B1E-9A2F-4C3D-8E5F-0A1B2C3D4E5F");
    assert_string_equal((const char *)v, "1.0");
    xmlFree(g);
    xmlFree(v);
    assert_string_equal((const char *)doc->encoding, "UTF-8");
    expect_return(doc, names, texts, 11);
    /* Nothing of the JSON that is not CEB604: no status word, no reasons, no logisticsNo. */
    assert_null(strstr(xml, "YL2024051200000001"));
    assert_null(strstr(xml, "occurred_at"));
    assert_null(strstr(xml, "reasons"));
    xmlFreeDoc(doc);
    free(xml);
}

/* What customs.outbox_payload gives today: no codes, invtNo null before acceptance. */
static void test_outbox_shape(void **state)
{
    (void)state;
    static const char *const names[] = {"guid", "copNo", "returnStatus", "returnTime",
                                        "returnInfo"};
    static const char *const texts[] = {
        "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
        "COP2024051200000001",
        "100",
        "20240512023000123",
        "海关退单 rejected: CEB603-GCODE: 商品编码(gcode)须为10位数字 (items[gnum=1].gcode: "
        "'92079' is not 10 digits)",
    };
    size_t len;
    char *xml = convert_ok(payload_rejected(), &len);
    xmlDocPtr doc = parse(xml, len);
    expect_return(doc, names, texts, 5);
    assert_non_null(strstr(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    xmlFreeDoc(doc);
    free(xml);
}

/* A -1 receipt of a record never stored: no guid, no copNo (null in the payload). */
static void test_nulls_left_out(void **state)
{
    (void)state;
    static const char *const names[] = {"returnStatus", "returnTime", "returnInfo"};
    static const char *const texts[] = {"-1", "20240512023000123",
                                        "处理失败 error: decode: not a declaration"};
    struct json_object *o = payload_rejected();
    set(o, "guid", NULL);
    set(o, "copNo", NULL);
    json_object_object_del(o, "invtNo");
    set(o, "returnStatus", "-1");
    set(o, "returnInfo", texts[2]);
    size_t len;
    char *xml = convert_ok(o, &len);
    xmlDocPtr doc = parse(xml, len);
    expect_return(doc, names, texts, 3);
    xmlFreeDoc(doc);
    free(xml);
}

static void test_escaping(void **state)
{
    (void)state;
    static const char *const names[] = {"guid", "copNo", "returnStatus", "returnTime",
                                        "returnInfo"};
    static const char *const texts[] = {
        "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
        "A&B<C>\"D\"'E'",
        "100",
        "20240512023000123",
        "海关退单 rejected: X-1: note: '</ceb:returnInfo><ceb:returnStatus>800"
        "</ceb:returnStatus>&amp; ]]> <!-- x --> <?pi?>'\r\n\tline 2",
    };
    struct json_object *o = payload_rejected();
    set(o, "copNo", texts[1]);
    set(o, "returnInfo", texts[4]);
    size_t len;
    char *xml = convert_ok(o, &len);
    /* Markup in the texts is text: escaped by the writer, read back as it was. */
    assert_non_null(strstr(xml, "A&amp;B&lt;C&gt;"));
    assert_non_null(strstr(xml, "&lt;/ceb:returnInfo&gt;&lt;ceb:returnStatus&gt;800"));
    assert_non_null(strstr(xml, "&amp;amp;"));
    assert_non_null(strstr(xml, "&#13;")); /* CR kept (a raw CR would read back as LF) */
    xmlDocPtr doc = parse(xml, len);
    expect_return(doc, names, texts, 5);
    xmlFreeDoc(doc);
    free(xml);
}

static void test_non_ascii(void **state)
{
    (void)state;
    static const char *const names[] = {"guid", "copNo", "returnStatus", "returnTime",
                                        "returnInfo"};
    static const char *const texts[] = {
        "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
        "密山-Мишань-№7",
        "100",
        "20240512023000123",
        "海关退单 rejected: EAEU-200EUR: 超过欧亚经济联盟免税限额 (Превышен беспошлинный "
        "лимит ЕАЭС: 200 €; gname: 'Электрогитара 电吉他 🎸')",
    };
    struct json_object *o = payload_rejected();
    set(o, "copNo", texts[1]);
    set(o, "returnInfo", texts[4]);
    size_t len;
    char *xml = convert_ok(o, &len);
    /* UTF-8 as is, not character references */
    assert_non_null(strstr(xml, "Превышен беспошлинный"));
    assert_non_null(strstr(xml, "🎸"));
    assert_null(strstr(xml, "&#"));
    xmlDocPtr doc = parse(xml, len);
    expect_return(doc, names, texts, 5);
    xmlFreeDoc(doc);
    free(xml);
}

/* 60 reasons: returnInfo is the payload's text, whole, however long (no cut, no reorder). */
static void test_many_reasons(void **state)
{
    (void)state;
    static const char *const names[] = {"guid", "copNo", "returnStatus", "returnTime",
                                        "returnInfo"};
    struct json_object *o = payload_rejected();
    struct json_object *reasons = json_object_new_array();
    size_t cap = 64 * 1024, used = 0;
    char *info = malloc(cap);
    assert_non_null(info);
    used += (size_t)snprintf(info, cap, "海关退单 rejected:");
    for (int i = 1; i <= 60; i++) {
        char id[32], msg[128];
        snprintf(id, sizeof(id), "RULE-%02d", i);
        snprintf(msg, sizeof(msg), "items[gnum=%d].gname: 'Товар %d 货物' & <%d>", i, i, i);
        struct json_object *r = json_object_new_object();
        json_object_object_add(r, "rule_id", json_object_new_string(id));
        json_object_object_add(r, "action", json_object_new_string("reject"));
        json_object_object_add(r, "message", json_object_new_string(msg));
        json_object_object_add(r, "message_zh", json_object_new_string("规则不符"));
        json_object_array_add(reasons, r);
        used += (size_t)snprintf(info + used, cap - used, "%s %s: 规则不符 (%s)", i > 1 ? ";" : "",
                                 id, msg);
    }
    assert_true(used > 4000);
    json_object_object_add(o, "reasons", reasons);
    set(o, "returnInfo", info);
    const char *const texts[] = {"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9", "COP2024051200000001",
                                 "100", "20240512023000123", info};
    size_t len;
    char *xml = convert_ok(o, &len);
    xmlDocPtr doc = parse(xml, len);
    expect_return(doc, names, texts, 5);
    xmlFreeDoc(doc);
    free(xml);
    free(info);
}

/* Control characters XML 1.0 cannot carry become U+FFFD; tab, LF and CR stay. */
static void test_unrepresentable_characters(void **state)
{
    (void)state;
    static const char *const names[] = {"guid", "copNo", "returnStatus", "returnTime",
                                        "returnInfo"};
    static const char *const texts[] = {
        "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
        "COP\xEF\xBF\xBD"
        "1",
        "100",
        "20240512023000123",
        "note: 'a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD"
        "c\xEF\xBF\xBD"
        "d\te'",
    };
    struct json_object *o = payload_rejected();
    set(o, "copNo",
        "COP\x1B"
        "1");
    set(o, "returnInfo",
        "note: 'a\x01"
        "b\x1F"
        "c\xEF\xBF\xBF"
        "d\te'");
    size_t len;
    char *xml = convert_ok(o, &len);
    xmlDocPtr doc = parse(xml, len);
    expect_return(doc, names, texts, 5);
    xmlFreeDoc(doc);
    free(xml);
}

/* An order's, waybill's or payment's receipt (customs.document_receipt) is not CEB604. */
static void test_document_receipt(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"event_id\": \"" EVENT_ID "\", \"type\": \"receipt\", \"document\": \"order\", "
        "\"ebpCode\": \"2303960001\", \"orderNo\": \"ORD-1\", \"guid\": null, "
        "\"status_code\": 100, \"status\": \"rejected\", \"returnStatus\": \"100\", "
        "\"returnTime\": \"20240512023000123\", \"returnInfo\": \"海关退单 rejected\", "
        "\"reasons\": []}";
    char *out = (char *)"x", err[128] = "";
    size_t n = 3;
    assert_int_equal(receipt_xml_from_payload(doc, strlen(doc), &out, &n, err, sizeof(err)),
                     RECEIPT_XML_NOT_INVENTORY);
    assert_null(out);
    assert_int_equal(n, 0);
}

static void test_malformed(void **state)
{
    (void)state;
    struct json_object *o = payload_rejected();
    const char *good = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    char buf[4096];

    /* the good one itself is accepted, with surrounding whitespace too */
    snprintf(buf, sizeof(buf), " \n%s\n ", good);
    char *out = NULL, err[256];
    size_t n;
    assert_int_equal(receipt_xml_from_payload(buf, strlen(buf), &out, &n, err, sizeof(err)),
                     RECEIPT_XML_OK);
    free(out);

    convert_refused("", 0, "not one JSON text");
    convert_refused("{\"type\": \"receipt\"", 18, "not one JSON text");
    convert_refused("not json", 8, "not one JSON text");
    snprintf(buf, sizeof(buf), "%s {}", good);
    convert_refused(buf, strlen(buf), "text after the value");
    /* len counts: a truncated payload is refused, not read up to its NUL */
    convert_refused(good, strlen(good) - 1, "not one JSON text");
    convert_refused("[1, 2]", 6, "an array, an object expected");
    convert_refused("\"receipt\"", 9, "a string, an object expected");
    convert_refused(NULL, 0, "none");

    static const char *const edits[][3] = {
        /* key, replacement JSON value (NULL: delete), what the error says */
        {"type", "\"release\"", "\"type\" is not \"receipt\""},
        {"type", NULL, "\"type\" is not \"receipt\""},
        {"returnStatus", NULL, "\"returnStatus\" missing"},
        {"returnStatus", "100", "\"returnStatus\" is a number, a string expected"},
        {"returnTime", "null", "\"returnTime\" missing"},
        {"returnInfo", "[\"a\"]", "\"returnInfo\" is an array, a string expected"},
        {"copNo", "12345", "\"copNo\" is a number, a string expected"},
        {"invtNo", "{}", "\"invtNo\" is an object, a string expected"},
        {"guid", "true", "\"guid\" is a boolean, a string expected"},
        {"event_id", NULL, "\"event_id\" missing"},
        {"event_id", "\"not-a-uuid\"", "\"event_id\" is not a UUID"},
        {"returnInfo", "\"a\\u0000b\"", "\"returnInfo\" is not UTF-8 text"},
        {"returnInfo", "\"a\xC3\x28\"", "\"returnInfo\" is not UTF-8 text"},
        {"copNo", "\"\xED\xA0\x80\"", "\"copNo\" is not UTF-8 text"},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        /* the payload with the key last, then edited textually */
        struct json_object *c = NULL;
        json_object_deep_copy(o, &c, NULL);
        json_object_object_del(c, edits[i][0]);
        const char *t = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
        size_t tl = strlen(t);
        if (edits[i][1])
            snprintf(buf, sizeof(buf), "%.*s,\"%s\":%s}", (int)tl - 1, t, edits[i][0], edits[i][1]);
        else
            snprintf(buf, sizeof(buf), "%s", t);
        convert_refused(buf, strlen(buf), edits[i][2]);
        json_object_put(c);
    }
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_outbox_shape),
        cmocka_unit_test(test_nulls_left_out),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_non_ascii),
        cmocka_unit_test(test_many_reasons),
        cmocka_unit_test(test_unrepresentable_characters),
        cmocka_unit_test(test_document_receipt),
        cmocka_unit_test(test_malformed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
