/*
 * test_documents.c - unit tests for the CEB303 order, CEB505 waybill and CEB403 payment
 * decoders (documents.h): what decodes, what is a problem (rejected with a receipt), what
 * is refused (quarantined), exact decimals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decimal.h"
#include "documents.h"

static const char ORDER[] =
    "{\"guid\":\"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9\",\"appType\":\"1\","
    "\"appTime\":\"20240512103000\",\"appStatus\":\"2\",\"orderType\":\"E\","
    "\"orderNo\":\"ORD1\",\"ebpCode\":\"2301960001\",\"ebpName\":\"P\","
    "\"ebcCode\":\"2301960002\",\"ebcName\":\"C\",\"goodsValue\":\"1399.10\","
    "\"freight\":0,\"currency\":\"142\",\"consignee\":\"Ivanov\",%s"
    "\"items\":[{\"gnum\":1,\"itemNo\":\"EG-1\",\"itemName\":\"Guitar\","
    "\"gcode\":\"9207900000\",\"unit\":\"011\",\"currency\":\"142\",\"qty\":\"1\","
    "\"price\":\"1399.10\",\"totalPrice\":1399.10}%s]}";

static const char WAYBILL[] =
    "{\"guid\":\"1A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9\",\"appType\":\"1\","
    "\"appTime\":\"20240512103000\",\"appStatus\":\"2\",\"logisticsCode\":\"2301960003\","
    "\"logisticsName\":\"L\",\"logisticsNo\":\"YL1\",\"consignee\":\"Ivanov\","
    "\"freight\":\"12.5\",\"insuredFee\":\"0\",\"currency\":\"142\","
    "\"grossWeight\":%s,\"packNo\":%s,\"goodsInfo\":\"guitar\"}";

static const char PAYMENT[] =
    "{\"guid\":\"2A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9\",\"appType\":\"1\","
    "\"appTime\":\"20240512103000\",\"appStatus\":\"2\",\"ebcCode\":\"2301960002\","
    "\"ebcName\":\"C\",\"orderNo\":\"ORD1\",\"payName\":\"Pay\",\"charge\":%s,"
    "\"currency\":\"142\",\"accountingDate\":\"%s\"}";

static struct document *decode(enum doc_type t, const char *json, char **key, char *err)
{
    return document_decode(t, json, strlen(json), 0, key, err, 256);
}

static int has_problem(const struct document *d, const char *text)
{
    for (size_t i = 0; i < d->n_problems && i < DOC_MAX_PROBLEMS; i++) {
        if (strstr(d->problems[i], text))
            return 1;
    }
    return 0;
}

static void test_order_valid(void **state)
{
    (void)state;
    char json[2048], err[256], *key = NULL, buf[DECIMAL_TEXT_MAX];
    snprintf(json, sizeof(json), ORDER, "", "");
    struct document *d = decode(DOC_ORDER, json, &key, err);
    assert_non_null(d);
    assert_int_equal(d->n_problems, 0);
    assert_string_equal(key, "ORD1");
    const struct doc_order *o = d->head;
    assert_string_equal(o->ebpCode, "2301960001");
    assert_string_equal(o->consignee, "Ivanov");
    assert_true(o->goodsValue.present);
    decimal_format(o->goodsValue.value, buf, sizeof(buf));
    assert_string_equal(buf, "1399.1");
    assert_int_equal(d->n_lines, 1);
    const struct doc_order_line *l = d->lines;
    assert_int_equal(l[0].gnum.value, 1);
    decimal_format(l[0].totalPrice.value, buf, sizeof(buf)); /* a JSON number, kept exact */
    assert_string_equal(buf, "1399.1");
    assert_string_equal(document_string(d, "orderNo"), "ORD1");
    assert_null(document_string(d, "goodsValue"));
    free(key);
    document_free(d);
}

static void test_order_problems(void **state)
{
    (void)state;
    char json[2048], err[256];
    /* a second line with the same gnum, a qty in exponent notation, currency of 2 chars */
    snprintf(json, sizeof(json), ORDER, "\"consigneeCountry\":\"34\",",
             ",{\"gnum\":1,\"itemName\":\"x\",\"unit\":\"011\",\"currency\":\"142\","
             "\"qty\":1e3,\"price\":\"1\",\"totalPrice\":\"1\"}");
    struct document *d = decode(DOC_ORDER, json, NULL, err);
    assert_non_null(d);
    assert_true(has_problem(d, "items[1].qty: 1e3 is not a plain decimal number"));
    assert_true(has_problem(d, "items[1].gnum: 1 given twice (also items[0])"));
    assert_true(has_problem(d, "consigneeCountry: '34' has 2 characters, CEB303 C3"));
    /* the faulted qty is not reported missing as well */
    assert_false(has_problem(d, "items[1].qty: missing"));
    assert_int_equal(d->n_problems, 3);
    document_free(d);

    /* no lines, no ebpCode (the second key member): rejected, not quarantined */
    const char *bare = "{\"orderNo\":\"O2\",\"items\":[]}";
    char *key = NULL;
    d = decode(DOC_ORDER, bare, &key, err);
    assert_non_null(d);
    assert_string_equal(key, "O2");
    assert_true(has_problem(d, "ebpCode: missing (required in CEB303)"));
    assert_true(has_problem(d, "items: no order line"));
    assert_int_equal(d->n_problems, 13); /* the 12 required head fields but orderNo, no line */
    free(key);
    document_free(d);

    /* items not a list: one fault, not also "no order line" */
    d = decode(DOC_ORDER, "{\"orderNo\":\"O3\",\"items\":{}}", NULL, err);
    assert_non_null(d);
    assert_true(has_problem(d, "items: {} is an object, a list of items expected"));
    assert_false(has_problem(d, "no order line"));
    document_free(d);
}

static void test_refused(void **state)
{
    (void)state;
    char err[256], *key = (char *)1;
    assert_null(decode(DOC_ORDER, "{\"ebpCode\":\"E\"}", &key, err));
    assert_string_equal(err, "orderNo: missing (it is the order's key)");
    assert_null(key);
    assert_null(decode(DOC_WAYBILL, "{\"logisticsNo\":\"\"}", &key, err));
    assert_string_equal(err, "logisticsNo: empty");
    assert_null(decode(DOC_PAYMENT, "[1]", &key, err));
    assert_string_equal(err, "not a payment: the record is a JSON array, not an object");
    assert_null(decode(DOC_ORDER, "{\"orderNo\":\"A\",\"orderNo\":\"B\"}", &key, err));
    assert_non_null(strstr(err, "duplicate key \"orderNo\""));
    assert_null(key);
    /* another key twice: refused, but the sender is known (a -1 receipt for a waybill) */
    assert_null(
        decode(DOC_WAYBILL, "{\"logisticsNo\":\"YL9\",\"packNo\":1,\"packNo\":2}", &key, err));
    assert_non_null(strstr(err, "duplicate key \"packNo\""));
    assert_string_equal(key, "YL9");
    free(key);
    key = NULL;
    assert_null(decode(DOC_WAYBILL, "{\"logisticsNo\":\"YL1\",", &key, err));
    assert_non_null(strstr(err, "invalid JSON"));
    /* orderNo is C..60 */
    char longkey[128];
    snprintf(longkey, sizeof(longkey), "{\"orderNo\":\"%061d\"}", 0);
    assert_null(decode(DOC_PAYMENT, longkey, &key, err));
    assert_string_equal(err, "orderNo: longer than 60 characters");
    assert_null(document_decode(DOC_ORDER, "", 0, 0, &key, err, sizeof(err)));
    assert_string_equal(err, "empty record");
}

static void test_waybill(void **state)
{
    (void)state;
    char json[1024], err[256], *key = NULL, buf[DECIMAL_TEXT_MAX];
    snprintf(json, sizeof(json), WAYBILL, "\"1.35000\"", "\"2\"");
    struct document *d = decode(DOC_WAYBILL, json, &key, err);
    assert_non_null(d);
    assert_int_equal(d->n_problems, 0);
    assert_string_equal(key, "YL1");
    const struct doc_waybill *w = d->head;
    decimal_format(w->grossWeight.value, buf, sizeof(buf));
    assert_string_equal(buf, "1.35");
    assert_int_equal(w->packNo.value, 2);
    assert_string_equal(w->logisticsCode, "2301960003");
    free(key);
    document_free(d);

    snprintf(json, sizeof(json), WAYBILL, "\"1,35\"", "-1");
    d = decode(DOC_WAYBILL, json, NULL, err);
    assert_non_null(d);
    assert_int_equal(d->n_problems, 2);
    assert_true(has_problem(d, "grossWeight: '1,35' is not a decimal number"));
    assert_true(has_problem(d, "packNo: -1 is not a whole number (digits only, CEB505 N9)"));
    document_free(d);
}

static void test_payment(void **state)
{
    (void)state;
    char json[1024], err[256], buf[DECIMAL_TEXT_MAX];
    snprintf(json, sizeof(json), PAYMENT, "\"1399.00001\"", "20240512103000");
    struct document *d = decode(DOC_PAYMENT, json, NULL, err);
    assert_non_null(d);
    assert_int_equal(d->n_problems, 0);
    const struct doc_payment *p = d->head;
    decimal_format(p->charge.value, buf, sizeof(buf));
    assert_string_equal(buf, "1399.00001");
    assert_null(p->payCode);
    document_free(d);

    snprintf(json, sizeof(json), PAYMENT, "\"0.000001\"", "2024");
    d = decode(DOC_PAYMENT, json, NULL, err);
    assert_non_null(d);
    assert_true(has_problem(
        d, "charge: '0.000001' has more than 5 digits after the decimal point (CEB403 N19,5)"));
    assert_true(has_problem(d, "accountingDate: '2024' has 4 characters, CEB403 C14 expected"));
    document_free(d);

    /* a value with a control character is not shown */
    snprintf(json, sizeof(json), PAYMENT, "1", "2024\\n");
    d = decode(DOC_PAYMENT, json, NULL, err);
    assert_non_null(d);
    assert_true(has_problem(d, "accountingDate: '...' has 5 characters, CEB403 C14 expected"));
    document_free(d);
}

static void test_specs(void **state)
{
    (void)state;
    /* one entry per document, keyed as the standard keys it */
    assert_string_equal(doc_specs[DOC_ORDER].key_a, "ebpCode");
    assert_string_equal(doc_specs[DOC_ORDER].key_b, "orderNo");
    assert_string_equal(doc_specs[DOC_WAYBILL].key_a, "logisticsCode");
    assert_string_equal(doc_specs[DOC_WAYBILL].key_b, "logisticsNo");
    assert_string_equal(doc_specs[DOC_PAYMENT].key_a, "ebcCode");
    assert_string_equal(doc_specs[DOC_PAYMENT].key_b, "orderNo");
    for (int t = 0; t < 3; t++) {
        const struct doc_spec *sp = &doc_specs[t];
        int a = 0, b = 0;
        for (size_t i = 0; i < sp->n_head; i++) {
            a += strcmp(sp->head[i].name, sp->key_a) == 0 && sp->head[i].required;
            b += strcmp(sp->head[i].name, sp->key_b) == 0 && sp->head[i].required;
        }
        assert_int_equal(a, 1);
        assert_int_equal(b, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_valid), cmocka_unit_test(test_order_problems),
        cmocka_unit_test(test_refused),     cmocka_unit_test(test_waybill),
        cmocka_unit_test(test_payment),     cmocka_unit_test(test_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
