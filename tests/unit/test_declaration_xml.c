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

#include <libxml/tree.h>

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

static void expect_refused(const char *xml, const char *reason)
{
    char err[256] = "";
    struct _xmlDoc *doc = declaration_xml_parse(xml, strlen(xml), 1 << 20, 16, err, sizeof err);
    assert_null(doc);
    if (!strstr(err, reason))
        fail_msg("err \"%s\" lacks \"%s\"", err, reason);
}

static void test_parse_ok(void **state)
{
    (void)state;
    const char *xml = "<?xml version=\"1.0\"?><CEB603Message "
                      "xmlns=\"http://www.chinaport.gov.cn/ceb\"><a><b>x</b></a></CEB603Message>";
    char err[256] = "";
    struct _xmlDoc *doc = declaration_xml_parse(xml, strlen(xml), 1 << 20, 16, err, sizeof err);
    assert_non_null(doc);
    assert_string_equal((const char *)xmlDocGetRootElement(doc)->name, "CEB603Message");
    xmlFreeDoc(doc);
}

static void test_parse_refused(void **state)
{
    (void)state;
    /* XXE: an external entity naming a local file */
    expect_refused("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM "
                   "\"file:///etc/passwd\">]><a>&x;</a>",
                   "DOCTYPE/entity declarations are not accepted");
    /* billion laughs */
    expect_refused("<!DOCTYPE a [<!ENTITY l \"lol\"><!ENTITY l1 \"&l;&l;&l;&l;&l;&l;&l;&l;\">"
                   "<!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\">"
                   "<!ENTITY l3 \"&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;\">]><a>&l3;</a>",
                   "not a declaration");
    /* an external DTD */
    expect_refused("<!DOCTYPE a SYSTEM \"http://127.0.0.1:1/x.dtd\"><a/>",
                   "DOCTYPE/entity declarations are not accepted");
    /* depth bomb: 17 levels against a limit of 16 */
    char deep[512] = "";
    for (int i = 0; i < 17; i++)
        strcat(deep, "<d>");
    for (int i = 0; i < 17; i++)
        strcat(deep, "</d>");
    expect_refused(deep, "elements nest too deep");
    expect_refused("<a><b></a>", "invalid XML at line 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_xml),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
