/*
 * declaration_xml.c - the CEB603 XML form of a declaration (see the header): a safe libxml2
 * parse (no DTD, no entities, no network, depth and size bounded, UTF-8 only), the
 * CEB603Message / Inventory / InventoryHead / InventoryList structure, and each field
 * element's text into struct declaration through declaration.c's one field setter
 * (decl_set_field), so that both forms decode, fault and refuse alike.
 */
#include "declaration_xml.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "declaration.h"
#include "json_strict.h"

#define CEB_NS "http://www.chinaport.gov.cn/ceb"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* The field tables' sizes as constants, for the per-record arrays of field elements. */
#define XML_COUNT_FIELD(...) +1
enum {
    XML_HEAD_FIELDS = 0 DECL_HEAD_FIELDS(XML_COUNT_FIELD),
    XML_ITEM_FIELDS = 0 DECL_ITEM_FIELDS(XML_COUNT_FIELD),
};

bool declaration_xml_is_xml(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '<';
    }
    return false;
}

/* ------------------------------------------------------------------------------------ */
/* The safe parse.                                                                        */

/* libxml2's global state is set up once, before any thread parses (xmlInitParser is not
 * safe to race with itself). */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

/* What the SAX hooks below refuse, kept in the parser context's _private. */
struct parse_guard {
    int max_depth;
    const char *refusal; /* NULL while nothing was refused */
};

/* A DOCTYPE (internal or external subset) is refused as soon as it is seen, before any
 * entity or DTD declaration is read: no XXE, no entity expansion, no DTD fetched. */
static void guard_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                          const xmlChar *system_id)
{
    (void)name, (void)external_id, (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_guard *g = ctxt->_private;
    g->refusal = "DOCTYPE/entity declarations are not accepted";
    xmlStopParser(ctxt);
}

/* Elements deeper than the limit stop the parse before the tree grows further. */
static void guard_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                                const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                                int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_guard *g = ctxt->_private;
    /* nameNr counts the open elements around this one */
    if (ctxt->nameNr + 1 > g->max_depth) {
        g->refusal = "elements nest too deep";
        xmlStopParser(ctxt);
        return;
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
}

struct _xmlDoc *declaration_xml_parse(const char *data, size_t len, size_t max_bytes, int max_depth,
                                      char *err, size_t errlen)
{
    struct parse_guard guard = {max_depth, NULL};

    pthread_once(&xml_once, xml_init);
    if (len > max_bytes || len > INT_MAX) {
        snprintf(err, errlen, "record too large: %zu bytes, limit %zu bytes", len, max_bytes);
        return NULL;
    }
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
    if (!ctxt) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ctxt->_private = &guard;
    ctxt->sax->internalSubset = guard_doctype;
    ctxt->sax->startElementNs = guard_start_element;
    /* No network, no entity substitution (XML_PARSE_NOENT unset), no DTD loading or
     * validation (XML_PARSE_DTDLOAD, XML_PARSE_DTDVALID unset), no messages on stderr. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlParseDocument(ctxt);
    xmlDocPtr doc = ctxt->wellFormed && !guard.refusal ? ctxt->myDoc : NULL;
    if (!doc && ctxt->myDoc)
        xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = NULL;
    if (guard.refusal) {
        snprintf(err, errlen, "not a declaration: %s", guard.refusal);
    } else if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        snprintf(err, errlen, "invalid XML at line %d: %s", e ? e->line : 0,
                 e && e->message ? e->message : "unreadable");
        /* libxml2 messages end in a newline */
        size_t n = strlen(err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = '\0';
    }
    xmlFreeParserCtxt(ctxt);
    if (!doc)
        return NULL;
    if (doc->intSubset || doc->extSubset) { /* the hook above stops these; kept as a backstop */
        snprintf(err, errlen, "not a declaration: DOCTYPE/entity declarations are not accepted");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (doc->encoding && strcasecmp((const char *)doc->encoding, "UTF-8") != 0) {
        snprintf(err, errlen, "invalid XML: encoding \"%.40s\" declared, only UTF-8 is accepted",
                 (const char *)doc->encoding);
        xmlFreeDoc(doc);
        return NULL;
    }
    if (!xmlDocGetRootElement(doc)) {
        snprintf(err, errlen, "not a declaration: no root element");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* ------------------------------------------------------------------------------------ */
/* The CEB603 structure.                                                                  */

/* Whether n is the element `name` of the CEB namespace. */
static bool is_ceb(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, CEB_NS) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

/* The number of `name` children of parent; *first gets the first (NULL when none). */
static size_t ceb_children(const xmlNode *parent, const char *name, xmlNodePtr *first)
{
    size_t n = 0;
    *first = NULL;
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (!is_ceb(c, name))
            continue;
        if (n++ == 0)
            *first = c;
    }
    return n;
}

/*
 * The field elements of `parent` (an InventoryHead or an InventoryList) into nodes[] by
 * table index (NULL: absent). Elements of other names or namespaces are ignored (forward
 * compatibility, as unknown JSON keys). Returns the name of a field sent twice, else NULL.
 */
static const char *collect_fields(const xmlNode *parent, const struct decl_field *table, size_t n,
                                  xmlNodePtr *nodes)
{
    memset(nodes, 0, n * sizeof(*nodes));
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !c->ns || !c->ns->href ||
            strcmp((const char *)c->ns->href, CEB_NS) != 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (strcmp((const char *)c->name, table[i].name) != 0)
                continue;
            if (nodes[i])
                return table[i].name;
            nodes[i] = c;
            break;
        }
    }
    return NULL;
}

/*
 * The value of a field element n: DECL_VALUE_NULL when it has xsi:nil="true" (or "1"),
 * DECL_VALUE_MARKUP when it has child elements, else DECL_VALUE_TEXT with its text (text
 * and CDATA, comments and processing instructions left out, whitespace kept as sent). The
 * text is *buf (xmlFree it). Returns 0, or -1 when out of memory.
 */
static int element_value(const xmlNode *n, struct decl_value *v, xmlChar **buf)
{
    *buf = NULL;
    v->text = NULL;
    v->len = 0;
    xmlChar *nil = xmlGetNsProp(n, (const xmlChar *)"nil", (const xmlChar *)XSI_NS);
    if (nil) {
        bool absent = strcmp((const char *)nil, "true") == 0 || strcmp((const char *)nil, "1") == 0;
        xmlFree(nil);
        if (absent) {
            v->type = DECL_VALUE_NULL;
            return 0;
        }
    }
    v->type = DECL_VALUE_TEXT;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            v->type = DECL_VALUE_MARKUP;
    }
    *buf = xmlNodeGetContent(n);
    if (!*buf)
        return -1;
    v->text = (const char *)*buf;
    v->len = strlen(v->text);
    return 0;
}

/* Set every field of `table` from its element in nodes[] (table order, as JSON decodes). */
static int set_fields(const struct decl_decode_into *into, long item, xmlNodePtr *nodes,
                      const struct decl_field *table, size_t n, void *base, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        struct decl_value v;
        xmlChar *buf;
        if (!nodes[i])
            continue; /* absent */
        if (element_value(nodes[i], &v, &buf) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int rc = decl_set_field(into, item, &table[i], base, &v, err, errlen);
        xmlFree(buf);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/*
 * The key: the InventoryHead's logisticsNo element (head_nodes[key_index]) as a usable
 * key, in the words of the JSON form. Returns a malloc'd copy, or NULL with err set.
 */
static char *usable_key(xmlNodePtr node, char *err, size_t errlen)
{
    struct decl_value v;
    xmlChar *buf;
    char *key = NULL;

    if (!node) {
        snprintf(err, errlen, "logisticsNo: missing (it is the declaration's key)");
        return NULL;
    }
    if (element_value(node, &v, &buf) < 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (v.type == DECL_VALUE_NULL)
        snprintf(err, errlen, "logisticsNo: missing (it is the declaration's key)");
    else if (v.type == DECL_VALUE_MARKUP)
        snprintf(err, errlen, "logisticsNo: expected text, got child elements");
    else if (decl_check_text(v.text, v.len, "logisticsNo", DECL_MAX_KEY, true, err, errlen) == 0 &&
             !(key = strndup(v.text, v.len)))
        snprintf(err, errlen, "out of memory");
    xmlFree(buf);
    return key;
}

/*
 * The CEB603 structure of doc: one Inventory with one InventoryHead. Returns the
 * InventoryHead and sets *inventory, or NULL with the refusal in err.
 */
static xmlNodePtr inventory_head(xmlDocPtr doc, xmlNodePtr *inventory, char *err, size_t errlen)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), head;

    if (!is_ceb(root, "CEB603Message")) {
        snprintf(err, errlen,
                 "not a declaration: the root element is <%.40s>%s%.60s%s, a CEB603Message of "
                 "namespace " CEB_NS " expected",
                 (const char *)root->name, root->ns && root->ns->href ? " of namespace " : "",
                 root->ns && root->ns->href ? (const char *)root->ns->href : "",
                 root->ns && root->ns->href ? "" : " (no namespace)");
        return NULL;
    }
    size_t n = ceb_children(root, "Inventory", inventory);
    if (n != 1) {
        snprintf(err, errlen,
                 "not a declaration: %zu Inventory elements in the CEB603Message, "
                 "one per record expected",
                 n);
        return NULL;
    }
    n = ceb_children(*inventory, "InventoryHead", &head);
    if (n != 1) {
        snprintf(err, errlen,
                 "not a declaration: %zu InventoryHead elements in the Inventory, one expected", n);
        return NULL;
    }
    return head;
}

/*
 * The InventoryList elements into d->items (as decl_decode_list does a JSON items list).
 * Returns 0, 1 when an item repeats a field (the refusal in err), or -1 when out of memory.
 */
static int decode_items(xmlNodePtr inventory, struct declaration *d,
                        const struct decl_decode_into *into, char *err, size_t errlen)
{
    xmlNodePtr first, nodes[XML_ITEM_FIELDS];
    size_t count = ceb_children(inventory, "InventoryList", &first), i = 0;

    if (count > DECL_MAX_ITEMS)
        return decl_add_fault(into, -1, "items", NULL, err, errlen,
                              "has %zu entries, %s allows at most %d", count, into->std,
                              DECL_MAX_ITEMS);
    /* A repeated field refuses the record (as a duplicate JSON key does): before decoding. */
    for (xmlNodePtr c = first; c; c = c->next) {
        if (!is_ceb(c, "InventoryList"))
            continue;
        i++;
        const char *dup = collect_fields(c, decl_item_fields, decl_item_field_count, nodes);
        if (dup) {
            snprintf(err, errlen, "duplicate element \"%s\" in InventoryList[%zu]", dup, i);
            return 1;
        }
    }
    if (count == 0)
        return 0;
    d->items = calloc(count, sizeof(*d->items));
    if (!d->items) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    i = 0;
    for (xmlNodePtr c = first; c; c = c->next) {
        if (!is_ceb(c, "InventoryList"))
            continue;
        d->n_items = i + 1; /* so that declaration_free frees what was decoded */
        (void)collect_fields(c, decl_item_fields, decl_item_field_count, nodes);
        if (set_fields(into, (long)i, nodes, decl_item_fields, decl_item_field_count, &d->items[i],
                       err, errlen) < 0)
            return -1;
        i++;
    }
    return 0;
}

struct declaration *declaration_xml_decode(const char *data, size_t len, size_t max_bytes,
                                           char **key_out, char *err, size_t errlen)
{
    xmlNodePtr inventory, head, head_nodes[XML_HEAD_FIELDS];
    struct declaration *d = NULL;
    char *key = NULL;

    if (key_out)
        *key_out = NULL;
    if (max_bytes == 0)
        max_bytes = DECL_DEFAULT_MAX_BYTES;
    if (len == 0) {
        snprintf(err, errlen, "empty record");
        return NULL;
    }
    if (len > max_bytes) {
        snprintf(err, errlen, "record too large: %zu bytes, limit %zu bytes", len, max_bytes);
        return NULL;
    }
    /* What is stored is the record as sent: it must be text a text column holds, and
     * libxml2 must not read it as another encoding. */
    if (!json_strict_text(data, len)) {
        snprintf(err, errlen,
                 "invalid XML: not UTF-8 text (a CEB603 XML record is UTF-8, "
                 "without NUL bytes)");
        return NULL;
    }
    xmlDocPtr doc = declaration_xml_parse(data, len, max_bytes, DECL_XML_MAX_DEPTH, err, errlen);
    if (!doc)
        return NULL;
    head = inventory_head(doc, &inventory, err, errlen);
    if (!head)
        goto out;

    /* A field sent twice refuses the record; the sender still gets a receipt unless the
     * repeated field is the key itself (then which one is the sender's is unclear). */
    const char *dup = collect_fields(head, decl_head_fields, decl_head_field_count, head_nodes);
    size_t key_index = (size_t)(decl_field_find(false, "logisticsNo") - decl_head_fields);
    char key_err[256];
    if (!dup || strcmp(dup, "logisticsNo") != 0)
        key = usable_key(head_nodes[key_index], key_err, sizeof(key_err));
    if (dup) {
        snprintf(err, errlen, "duplicate element \"%s\" in InventoryHead", dup);
        goto out;
    }
    if (!key) {
        snprintf(err, errlen, "%s", key_err);
        goto out;
    }

    d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    struct decl_decode_into into = {&d->n_faults, &d->faults, "CEB603"};
    int rc =
        set_fields(&into, -1, head_nodes, decl_head_fields, decl_head_field_count, d, err, errlen);
    if (rc == 0)
        rc = decode_items(inventory, d, &into, err, errlen);
    if (rc != 0) {
        declaration_free(d);
        d = NULL;
    }
out:
    if (key_out && key) {
        *key_out = key; /* ownership moves to the caller */
        key = NULL;
    }
    free(key);
    xmlFreeDoc(doc);
    return d;
}
