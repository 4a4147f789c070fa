/*
 * test_declaration_xml.c - unit tests of declaration_xml.c against declaration_xml.h: the
 * record form sniffing (XML when the first non-whitespace byte is '<', JSON otherwise), the
 * safe parse (DOCTYPE, entities, depth, size, encoding), and the CEB603 XML decoding through
 * declaration_decode: the example declaration in both forms decodes to the same struct,
 * and each mapping of declaration_xml.h (text, xsi:nil, markup, duplicates, structure,
 * namespaces) gives what its JSON counterpart gives, in the same words.
 * Data files are read relative to the working directory unless CUSTOMSD_SRCDIR says
 * otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libxml/tree.h>

#include "declaration.h"
#include "declaration_xml.h"
#include "util.h"

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

/* ---- CEB603 XML decoding (declaration_decode on the XML form) ---- */

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

#define CEB_ROOT                                                                                   \
    "<ceb:CEB603Message guid=\"G\" version=\"1.0\" xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" " \
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"

/* A CEB603Message with logisticsNo L1, `head` more header elements and `lists` the
 * InventoryList elements. */
static char *xml_of(const char *head, const char *lists)
{
    return xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" CEB_ROOT
                     "<ceb:Inventory><ceb:InventoryHead><ceb:logisticsNo>L1</ceb:logisticsNo>%s"
                     "</ceb:InventoryHead>%s</ceb:Inventory></ceb:CEB603Message>",
                     head, lists);
}

static struct declaration *decode(const char *data, char **key, char *err, size_t errlen)
{
    *key = NULL;
    return declaration_decode(data, strlen(data), 0, key, err, errlen);
}

/* Decode `xml` that must be accepted; returns it (key checked to be its logisticsNo). */
static struct declaration *xml_ok(const char *xml)
{
    char err[1024] = "", *key;
    struct declaration *d = decode(xml, &key, err, sizeof(err));
    if (!d)
        fail_msg("unexpected refusal: %s\n  input: %.400s", err, xml);
    assert_non_null(key);
    assert_string_equal(key, d->logisticsNo);
    free(key);
    return d;
}

/* `xml` must be refused with a reason containing `reason`, and give want_key (or NULL). */
static void xml_refused(const char *xml, size_t len, const char *want_key, const char *reason)
{
    char err[1024] = "", *key = NULL;
    struct declaration *d = declaration_decode(xml, len, 0, &key, err, sizeof(err));
    if (d) {
        declaration_free(d);
        fail_msg("accepted, want refusal \"%s\": %.400s", reason, xml);
    }
    if (!strstr(err, reason))
        fail_msg("reason \"%s\" lacks \"%s\"", err, reason);
    if (want_key && (!key || strcmp(key, want_key) != 0))
        fail_msg("key %s, want %s (reason %s)", key ? key : "NULL", want_key, err);
    if (!want_key && key)
        fail_msg("key %s, want NULL (reason %s)", key, err);
    free(key);
}

/* The first field of `table` that differs between a and b, or NULL. */
static const char *fields_differ(const struct decl_field *table, size_t n, const void *a,
                                 const void *b)
{
    for (size_t i = 0; i < n; i++) {
        const struct decl_field *f = &table[i];
        bool same;
        if (f->kind == DECL_STRING) {
            const char *x = decl_get_string(a, f), *y = decl_get_string(b, f);
            same = x == y || (x && y && strcmp(x, y) == 0);
        } else if (f->kind == DECL_DECIMAL) {
            const struct decl_decimal *x = decl_get_decimal(a, f), *y = decl_get_decimal(b, f);
            same =
                x->present == y->present && (!x->present || decimal_cmp(x->value, y->value) == 0);
        } else {
            const struct decl_integer *x = decl_get_integer(a, f), *y = decl_get_integer(b, f);
            same = x->present == y->present && (!x->present || x->value == y->value);
        }
        if (!same)
            return f->name;
    }
    return NULL;
}

static void assert_same_decl(const struct declaration *a, const struct declaration *b)
{
    const char *f = fields_differ(decl_head_fields, decl_head_field_count, a, b);
    if (f)
        fail_msg("header field %s differs", f);
    assert_int_equal(a->n_items, b->n_items);
    for (size_t i = 0; i < a->n_items; i++) {
        f = fields_differ(decl_item_fields, decl_item_field_count, &a->items[i], &b->items[i]);
        if (f)
            fail_msg("items[%zu].%s differs", i, f);
    }
    assert_int_equal(a->n_faults, b->n_faults);
    for (size_t k = 0; k < a->n_faults && k < DECL_MAX_FAULTS; k++) {
        const struct decl_fault *x = &a->faults[k], *y = &b->faults[k];
        assert_int_equal(x->item, y->item);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->value, y->value);
        assert_string_equal(x->why, y->why);
        assert_int_equal(x->text, y->text);
    }
}

/* The example declaration in its two forms decodes to the same struct. */
static void test_example_both_forms(void **state)
{
    (void)state;
    size_t jlen, xlen;
    char *json = read_file(src("tests/data/decl/example.json"), &jlen);
    char *xml = read_file(src("tests/data/decl/example.xml"), &xlen);
    char err[1024] = "", *kj = NULL, *kx = NULL;
    assert_non_null(json);
    assert_non_null(xml);
    assert_true(declaration_xml_is_xml(xml, xlen));
    struct declaration *dj = declaration_decode(json, jlen, 0, &kj, err, sizeof(err));
    assert_non_null(dj);
    struct declaration *dx = declaration_decode(xml, xlen, 0, &kx, err, sizeof(err));
    if (!dx)
        fail_msg("example.xml refused: %s", err);
    assert_string_equal(kx, "YL2024051200000001");
    assert_string_equal(kj, kx);
    assert_same_decl(dj, dx);
    /* a few values by hand, so that equal is not equally wrong */
    assert_int_equal(dx->n_items, 2);
    assert_int_equal(dx->n_faults, 0);
    assert_string_equal(dx->POD, "RU01");
    assert_string_equal(dx->note, "");
    assert_string_equal(dx->items[1].note, "赠品\n随货");
    assert_string_equal(dx->items[0].gmodel, "6弦|实木|无品牌");
    char buf[64];
    decimal_format(dx->grossWeight.value, buf, sizeof(buf));
    assert_string_equal(buf, "1.35");
    decimal_format(dx->items[1].qty1.value, buf, sizeof(buf));
    assert_string_equal(buf, "0.35");
    assert_true(dx->packNo.present);
    assert_int_equal(dx->packNo.value, 1);
    assert_int_equal(dx->items[1].gnum.value, 2);
    declaration_free(dj);
    declaration_free(dx);
    free(kj);
    free(kx);
    free(json);
    free(xml);
}

/* A bad value gives the same fault in XML text as in a JSON string: one setter. */
static void test_same_faults(void **state)
{
    (void)state;
    static const struct {
        const char *item; /* NULL: a header field */
        const char *name, *value;
    } cases[] = {
        {"1", "price", "1,234.00"},   {"1", "price", "1e3"}, {"1", "price", "12.3456789"},
        {"1", "qty", " 1.5"},         {"1", "gnum", "1a"},   {NULL, "packNo", "1234567890"},
        {NULL, "grossWeight", "NaN"}, {NULL, "freight", ""}, {NULL, "netWeight", "123456789012345"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *xh, *xl, *json, *xml;
        if (cases[i].item) {
            xh = xasprintf("%s", "");
            xl = xasprintf("<ceb:InventoryList><ceb:%s>%s</ceb:%s></ceb:InventoryList>",
                           cases[i].name, cases[i].value, cases[i].name);
            json = xasprintf("{\"logisticsNo\":\"L1\",\"items\":[{\"%s\":\"%s\"}]}", cases[i].name,
                             cases[i].value);
        } else {
            xh = xasprintf("<ceb:%s>%s</ceb:%s>", cases[i].name, cases[i].value, cases[i].name);
            xl = xasprintf("%s", "");
            json =
                xasprintf("{\"logisticsNo\":\"L1\",\"%s\":\"%s\"}", cases[i].name, cases[i].value);
        }
        xml = xml_of(xh, xl);
        struct declaration *dx = xml_ok(xml), *dj;
        char err[256], *key;
        dj = decode(json, &key, err, sizeof(err));
        assert_non_null(dj);
        free(key);
        if (dx->n_faults != 1)
            fail_msg("%s=\"%s\": %zu faults", cases[i].name, cases[i].value, dx->n_faults);
        assert_true(dx->faults[0].text);
        assert_string_equal(dx->faults[0].value, cases[i].value);
        assert_same_decl(dj, dx);
        declaration_free(dx);
        declaration_free(dj);
        free(xh);
        free(xl);
        free(xml);
        free(json);
    }
    /* a text longer than 1000 characters */
    char big[1100];
    memset(big, 'x', 1001);
    big[1001] = '\0';
    char *h = xasprintf("<ceb:note>%s</ceb:note>", big);
    char *xml = xml_of(h, "");
    struct declaration *d = xml_ok(xml);
    assert_int_equal(d->n_faults, 1);
    assert_null(d->note);
    assert_string_equal(d->faults[0].why,
                        "is longer than 1000 characters (the longest CEB603 field)");
    declaration_free(d);
    free(h);
    free(xml);
}

/* What only XML can say: xsi:nil, empty elements, markup, CDATA, comments, references,
 * namespaces, unknown elements. */
static void test_xml_mappings(void **state)
{
    (void)state;
    char *xml = xml_of("<ceb:ebcName xsi:nil=\"true\"/><ceb:note/><ceb:ownerName>A &amp; B "
                       "&#x4E2D;</ceb:ownerName><x:guid xmlns:x=\"urn:other\">Z</x:guid>"
                       "<ceb:unknown>u</ceb:unknown><ceb:grossWeight><ceb:v>1</ceb:v>"
                       "</ceb:grossWeight><ceb:copNo>\n C1 </ceb:copNo>",
                       "<ceb:InventoryList><ceb:gname><![CDATA[a<b]]></ceb:gname>"
                       "<ceb:gmodel>x<!-- c -->y<?pi z?></ceb:gmodel><ceb:note>"
                       "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" "
                       "href=\"/etc/passwd\" parse=\"text\"/></ceb:note></ceb:InventoryList>");
    struct declaration *d = xml_ok(xml);
    assert_null(d->ebcName);                       /* xsi:nil: absent */
    assert_string_equal(d->note, "");              /* empty element: empty text */
    assert_string_equal(d->ownerName, "A & B 中"); /* references resolved */
    assert_null(d->guid);                          /* another namespace: ignored */
    assert_string_equal(d->copNo, "\n C1 ");       /* whitespace kept as sent */
    assert_false(d->grossWeight.present);
    assert_int_equal(d->n_items, 1);
    assert_string_equal(d->items[0].gname, "a<b");
    assert_string_equal(d->items[0].gmodel, "xy");
    assert_null(d->items[0].note); /* XInclude is not processed: markup, a fault */
    assert_int_equal(d->n_faults, 2);
    assert_string_equal(d->faults[0].name, "grossWeight");
    assert_int_equal(d->faults[0].item, -1);
    assert_string_equal(d->faults[0].value, "1");
    assert_false(d->faults[0].text);
    assert_string_equal(d->faults[0].why,
                        "is an element with child elements, a decimal number expected");
    assert_string_equal(d->faults[1].name, "note");
    assert_int_equal(d->faults[1].item, 0);
    assert_string_equal(d->faults[1].value, ""); /* nothing was read from the file */
    assert_string_equal(d->faults[1].why, "is an element with child elements, text expected");
    declaration_free(d);
    free(xml);

    /* the default namespace, no prologue, whitespace before the root */
    const char *dflt = "\n  <CEB603Message xmlns=\"http://www.chinaport.gov.cn/ceb\"><Inventory>"
                       "<InventoryHead><logisticsNo>L2</logisticsNo><packNo>7</packNo>"
                       "</InventoryHead><InventoryList><gnum>1</gnum></InventoryList>"
                       "</Inventory><BaseTransfer><copCode>C</copCode></BaseTransfer>"
                       "</CEB603Message>\n";
    d = xml_ok(dflt);
    assert_string_equal(d->logisticsNo, "L2");
    assert_int_equal(d->packNo.value, 7);
    assert_int_equal(d->n_items, 1);
    assert_int_equal(d->items[0].gnum.value, 1);
    declaration_free(d);
}

/* More than 100 InventoryList: the fault of 101 JSON items, none decoded. */
static void test_items_101(void **state)
{
    (void)state;
    size_t cap = 101 * 64 + 1;
    char *lists = calloc(1, cap), *jitems = calloc(1, cap);
    assert_non_null(lists);
    assert_non_null(jitems);
    for (int i = 0; i < 101; i++) {
        char one[64];
        snprintf(one, sizeof(one), "<ceb:InventoryList><ceb:gnum>%d</ceb:gnum></ceb:InventoryList>",
                 i + 1);
        strcat(lists, one);
        snprintf(one, sizeof(one), "%s{\"gnum\":%d}", i ? "," : "", i + 1);
        strcat(jitems, one);
    }
    char *xml = xml_of("", lists);
    char *json = xasprintf("{\"logisticsNo\":\"L1\",\"items\":[%s]}", jitems);
    struct declaration *dx = xml_ok(xml), *dj;
    char err[256], *key;
    dj = decode(json, &key, err, sizeof(err));
    assert_non_null(dj);
    free(key);
    assert_int_equal(dx->n_items, 0);
    assert_int_equal(dx->n_faults, 1);
    assert_string_equal(dx->faults[0].name, "items");
    assert_string_equal(dx->faults[0].why, "has 101 entries, CEB603 allows at most 100");
    assert_same_decl(dj, dx);
    declaration_free(dx);
    declaration_free(dj);
    free(xml);
    free(json);
    free(lists);
    free(jitems);
}

static void refused_xml(const char *head, const char *lists, const char *want_key,
                        const char *reason)
{
    char *xml = xml_of(head, lists);
    xml_refused(xml, strlen(xml), want_key, reason);
    free(xml);
}

static void refused_text(const char *xml, const char *want_key, const char *reason)
{
    xml_refused(xml, strlen(xml), want_key, reason);
}

/* What cannot be read as a declaration: refused, the key given when the sender is known. */
static void test_xml_refusals(void **state)
{
    (void)state;
    /* a field sent twice: refused, the sender still known, unless it is the key */
    refused_xml("<ceb:grossWeight>1</ceb:grossWeight><ceb:grossWeight>2</ceb:grossWeight>", "",
                "L1", "duplicate element \"grossWeight\" in InventoryHead");
    refused_xml("<ceb:logisticsNo>L2</ceb:logisticsNo>", "", NULL,
                "duplicate element \"logisticsNo\" in InventoryHead");
    refused_xml("",
                "<ceb:InventoryList/><ceb:InventoryList><ceb:gcode>1</ceb:gcode><ceb:gcode>2"
                "</ceb:gcode></ceb:InventoryList>",
                "L1", "duplicate element \"gcode\" in InventoryList[2]");
    /* the key, in the JSON form's words */
    const char *pre = "<?xml version=\"1.0\"?>" CEB_ROOT "<ceb:Inventory><ceb:InventoryHead>";
    const char *post = "</ceb:InventoryHead></ceb:Inventory></ceb:CEB603Message>";
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s<ceb:copNo>C</ceb:copNo>%s", pre, post);
    refused_text(buf, NULL, "logisticsNo: missing (it is the declaration's key)");
    snprintf(buf, sizeof(buf), "%s<ceb:logisticsNo xsi:nil=\"true\"/>%s", pre, post);
    refused_text(buf, NULL, "logisticsNo: missing (it is the declaration's key)");
    snprintf(buf, sizeof(buf), "%s<ceb:logisticsNo></ceb:logisticsNo>%s", pre, post);
    refused_text(buf, NULL, "logisticsNo: empty");
    snprintf(buf, sizeof(buf), "%s<ceb:logisticsNo><ceb:a>L</ceb:a></ceb:logisticsNo>%s", pre,
             post);
    refused_text(buf, NULL, "logisticsNo: expected text, got child elements");
    char k81[82];
    memset(k81, 'K', 81);
    k81[81] = '\0';
    snprintf(buf, sizeof(buf), "%s<ceb:logisticsNo>%s</ceb:logisticsNo>%s", pre, k81, post);
    refused_text(buf, NULL, "logisticsNo: longer than 80 characters");
    /* 80 characters, multi-byte: a key */
    char k80[300] = "";
    for (int i = 0; i < 80; i++)
        strcat(k80, "中");
    snprintf(buf, sizeof(buf), "%s<ceb:logisticsNo>%s</ceb:logisticsNo>%s", pre, k80, post);
    struct declaration *d = xml_ok(buf);
    declaration_free(d);

    /* the structure */
    refused_text("<Foo/>", NULL, "not a declaration: the root element is <Foo> (no namespace)");
    refused_text("<CEB603Message><Inventory/></CEB603Message>", NULL,
                 "a CEB603Message of namespace http://www.chinaport.gov.cn/ceb expected");
    refused_text("<a:CEB603Message xmlns:a=\"urn:x\"/>", NULL, "of namespace urn:x");
    refused_text(CEB_ROOT "</ceb:CEB603Message>", NULL,
                 "not a declaration: 0 Inventory elements in the CEB603Message");
    refused_text(CEB_ROOT "<ceb:Inventory/><ceb:Inventory/></ceb:CEB603Message>", NULL,
                 "not a declaration: 2 Inventory elements");
    refused_text(CEB_ROOT "<ceb:Inventory/></ceb:CEB603Message>", NULL,
                 "not a declaration: 0 InventoryHead elements in the Inventory");
    refused_text(CEB_ROOT "<ceb:Inventory><ceb:InventoryHead/><ceb:InventoryHead/></ceb:Inventory>"
                          "</ceb:CEB603Message>",
                 NULL, "not a declaration: 2 InventoryHead elements");

    /* the bytes */
    refused_text("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" CEB_ROOT "</ceb:CEB603Message>",
                 NULL, "invalid XML: encoding \"ISO-8859-1\" declared, only UTF-8 is accepted");
    refused_xml("<ceb:note>\xC0\xAF</ceb:note>", "", NULL, "invalid XML: not UTF-8 text");
    const char nul[] = "<a>\0</a>";
    xml_refused(nul, sizeof(nul) - 1, NULL, "invalid XML: not UTF-8 text");
    refused_xml("<ceb:note>&foo;</ceb:note>", "", NULL, "invalid XML at line 2: Entity 'foo'");
    refused_text("<a>", NULL, "invalid XML at line 1");

    /* the size limit, in the JSON form's words */
    char *xml = xml_of("", "");
    char err[256], *key = NULL;
    assert_null(declaration_decode(xml, strlen(xml), 100, &key, err, sizeof(err)));
    assert_null(key);
    char want[128];
    snprintf(want, sizeof(want), "record too large: %zu bytes, limit 100 bytes", strlen(xml));
    assert_string_equal(err, want);
    free(xml);

    /* hostile DTDs, whatever they hold: refused before anything in them is read */
    refused_text("<!DOCTYPE a [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/p.dtd\"> %p;]><a/>", NULL,
                 "not a declaration: DOCTYPE/entity declarations are not accepted");
    refused_text("<?xml version=\"1.0\"?><!DOCTYPE ceb:CEB603Message SYSTEM \"file:///etc/passwd\">"
                 "<ceb:CEB603Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\"/>",
                 NULL, "not a declaration: DOCTYPE/entity declarations are not accepted");
}

/* The depth limit: the CEB603Message counts 1, DECL_XML_MAX_DEPTH levels pass. */
static void test_depth_limit(void **state)
{
    (void)state;
    char deep[1024] = "";
    for (int i = 0; i < 16; i++)
        strcat(deep, "<d>");
    for (int i = 0; i < 16; i++)
        strcat(deep, "</d>");
    char err[256] = "";
    struct _xmlDoc *doc = declaration_xml_parse(deep, strlen(deep), 1 << 20, 16, err, sizeof err);
    assert_non_null(doc);
    xmlFreeDoc(doc);
    /* in a declaration (InventoryHead is at 3): unknown elements nested to the limit pass,
     * one more level refuses the record */
    for (int levels = DECL_XML_MAX_DEPTH - 3; levels <= DECL_XML_MAX_DEPTH - 2; levels++) {
        char head[1024] = "";
        for (int i = 0; i < levels; i++)
            strcat(head, "<ceb:x>");
        for (int i = 0; i < levels; i++)
            strcat(head, "</ceb:x>");
        if (3 + levels > DECL_XML_MAX_DEPTH) {
            refused_xml(head, "", NULL, "not a declaration: elements nest too deep");
        } else {
            char *xml = xml_of(head, "");
            declaration_free(xml_ok(xml));
            free(xml);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_xml),        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_refused), cmocka_unit_test(test_example_both_forms),
        cmocka_unit_test(test_same_faults),   cmocka_unit_test(test_xml_mappings),
        cmocka_unit_test(test_items_101),     cmocka_unit_test(test_xml_refusals),
        cmocka_unit_test(test_depth_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
