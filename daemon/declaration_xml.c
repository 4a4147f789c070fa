/*
 * declaration_xml.c - CEB603 XML front end of the declaration decoder (see the header).
 */
#include "declaration_xml.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

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

static int refused_marker;

static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    (void)name, (void)external_id, (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    ctxt->_private = &refused_marker;
    xmlStopParser(ctxt);
}

static int depth_of(xmlNodePtr n, int depth, int max_depth)
{
    int deepest = depth;
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (depth + 1 > max_depth)
            return depth + 1;
        int d = depth_of(c, depth + 1, max_depth);
        if (d > deepest)
            deepest = d;
        if (deepest > max_depth)
            break;
    }
    return deepest;
}

struct _xmlDoc *declaration_xml_parse(const char *data, size_t len, size_t max_bytes, int max_depth,
                                      char *err, size_t errlen)
{
    if (len > max_bytes || len > INT_MAX) {
        snprintf(err, errlen, "not a declaration: record of %zu bytes is over the %zu limit", len,
                 max_bytes);
        return NULL;
    }
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
    if (!ctxt) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* refuse a DOCTYPE as soon as it is seen, before any entity declaration is read */
    ctxt->sax->internalSubset = refuse_doctype;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlParseDocument(ctxt);
    bool refused = ctxt->_private == &refused_marker;
    xmlDocPtr doc = ctxt->wellFormed && !refused ? ctxt->myDoc : NULL;
    if (!doc && ctxt->myDoc)
        xmlFreeDoc(ctxt->myDoc);
    xmlFreeParserCtxt(ctxt);
    if (refused) {
        snprintf(err, errlen, "not a declaration: DOCTYPE/entity declarations are not accepted");
        return NULL;
    }
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        snprintf(err, errlen, "invalid XML at line %d: %s", e ? e->line : 0,
                 e && e->message ? e->message : "unreadable");
        /* libxml2 messages end in a newline */
        size_t n = strlen(err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = '\0';
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        snprintf(err, errlen, "not a declaration: DOCTYPE/entity declarations are not accepted");
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root || depth_of(root, 1, max_depth) > max_depth) {
        snprintf(err, errlen, "not a declaration: %s",
                 root ? "elements nest too deep" : "no root element");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}
