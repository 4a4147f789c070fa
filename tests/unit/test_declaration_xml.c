/*
 * test_declaration_xml.c - unit tests of declaration_xml.c against declaration_xml.h: the
 * record form sniffing (XML when the first non-whitespace byte is '<', JSON otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "declaration_xml.h"

static bool sniff(const char *s)
{
    return declaration_xml_is_xml(s, strlen(s));
}

static void test_is_xml(void **state)
{
    (void)state;
    assert_true(sniff("<CEB603Message/>"));
    assert_true(sniff("<?xml version=\"1.0\"?><a/>"));
    assert_true(sniff(" \t\r\n<a/>"));
    assert_false(sniff("{\"logisticsNo\":\"L1\"}"));
    assert_false(sniff("  {\"a\":\"<\"}"));
    assert_false(sniff(""));
    assert_false(sniff(" \n\t"));
    assert_false(sniff("\xef\xbb\xbf<a/>")); /* a byte-order mark is not whitespace */
    /* the length bounds the scan: the '<' after len is not looked at */
    assert_false(declaration_xml_is_xml("  <a/>", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_xml),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
