/*
 * receipt_xml.c - a receipt's outbox payload (JSON, json-c) as a CEB604Message (libxml2's
 * xmlTextWriter). See receipt_xml.h.
 */
#include "receipt_xml.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libxml/xmlwriter.h>

#include "json_strict.h"
#include "util.h"

#define CEB "ceb"

/* InventoryReturn's elements in the XSD's order; required: the payload must have it. */
static const struct {
    const char *name;
    bool required;
} receipt_xml_fields[] = {
    {"guid", false},        {"customsCode", false}, {"ebpCode", false},   {"ebcCode", false},
    {"agentCode", false},   {"copNo", false},       {"preNo", false},     {"invtNo", false},
    {"returnStatus", true}, {"returnTime", true},   {"returnInfo", true},
};

/* A JSON value's type in words, for errors. */
static const char *receipt_xml_type_name(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_boolean:
        return "a boolean";
    case json_type_int:
    case json_type_double:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    default:
        return "null";
    }
}

/*
 * The string value of key in o: 0 and *s, *n (NULL when null or absent and !required),
 * or -1 with err (missing and required, not a string, not strict UTF-8 or with a NUL).
 */
static int receipt_xml_string(struct json_object *o, const char *key, bool required, const char **s,
                              size_t *n, char *err, size_t errlen)
{
    struct json_object *v = NULL;

    *s = NULL;
    *n = 0;
    if (!json_object_object_get_ex(o, key, &v) || !v) {
        if (required)
            return util_errf(err, errlen, "receipt payload: \"%s\" missing", key);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return util_errf(err, errlen, "receipt payload: \"%s\" is %s, a string expected", key,
                         receipt_xml_type_name(v));
    *s = json_object_get_string(v);
    *n = (size_t)json_object_get_string_len(v);
    if (!json_strict_text(*s, *n))
        return util_errf(err, errlen,
                         "receipt payload: \"%s\" is not UTF-8 text (invalid bytes or a NUL)", key);
    return 0;
}

/* Length of the UTF-8 sequence at p (valid: json_strict_text checked it) and its code point. */
static size_t receipt_xml_decode(const unsigned char *p, uint32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] < 0xE0) {
        *cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (p[0] < 0xF0) {
        *cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return 3;
    }
    *cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
          ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    return 4;
}

/* Whether XML 1.0 (section 2.2, Char) can carry code point cp. */
static bool receipt_xml_char_ok(uint32_t cp)
{
    if (cp < 0x20)
        return cp == 0x09 || cp == 0x0A || cp == 0x0D;
    return cp != 0xFFFE && cp != 0xFFFF;
}

/*
 * s[0..n) as XML text: a malloc'd NUL-terminated copy, each character XML 1.0 cannot carry
 * replaced by U+FFFD (3 bytes; what it replaces is 1 to 3 bytes, so 3 * n + 1 suffices).
 * NULL when out of memory.
 */
static char *receipt_xml_text(const char *s, size_t n)
{
    char *t = malloc(3 * n + 1), *q = t;
    if (!t)
        return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = receipt_xml_decode((const unsigned char *)s + i, &cp);
        if (receipt_xml_char_ok(cp)) {
            memcpy(q, s + i, l);
            q += l;
        } else {
            memcpy(q, "\xEF\xBF\xBD", 3);
            q += 3;
        }
        i += l;
    }
    *q = '\0';
    return t;
}

/* Write <ceb:name>s[0..n)</ceb:name>. Returns 0, or -1 (writer failure, out of memory). */
static int receipt_xml_element(xmlTextWriterPtr w, const char *name, const char *s, size_t n)
{
    char *t = receipt_xml_text(s, n);
    if (!t)
        return -1;
    int rc = xmlTextWriterWriteElementNS(w, BAD_CAST CEB, BAD_CAST name, NULL, BAD_CAST t);
    free(t);
    return rc < 0 ? -1 : 0;
}

/* The message guid: event_id (a UUID, 36 characters of hex digits and '-') upper-cased. */
static int receipt_xml_message_guid(struct json_object *o, char guid[37], char *err, size_t errlen)
{
    const char *s;
    size_t n;

    if (receipt_xml_string(o, "event_id", true, &s, &n, err, errlen) < 0)
        return -1;
    if (n != 36 || strspn(s, "0123456789abcdefABCDEF-") != 36)
        return util_errf(err, errlen, "receipt payload: \"event_id\" is not a UUID");
    for (size_t i = 0; i < 36; i++)
        guid[i] = (char)toupper((unsigned char)s[i]);
    guid[36] = '\0';
    return 0;
}

static int receipt_xml_write(struct json_object *o, const char *guid, char **out, size_t *outlen,
                             char *err, size_t errlen)
{
    const char *vals[ARRAY_SIZE(receipt_xml_fields)];
    size_t lens[ARRAY_SIZE(receipt_xml_fields)];

    for (size_t i = 0; i < ARRAY_SIZE(receipt_xml_fields); i++) {
        if (receipt_xml_string(o, receipt_xml_fields[i].name, receipt_xml_fields[i].required,
                               &vals[i], &lens[i], err, errlen) < 0)
            return -1;
    }

    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!w) {
        xmlBufferFree(buf);
        return util_errf(err, errlen, "receipt XML: out of memory");
    }
    int rc = 0;
    rc |= xmlTextWriterSetIndent(w, 1) < 0;
    rc |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
    rc |= xmlTextWriterStartElementNS(w, BAD_CAST CEB, BAD_CAST "CEB604Message",
                                      BAD_CAST RECEIPT_XML_NS) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "guid", BAD_CAST guid) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "1.0") < 0;
    rc |= xmlTextWriterStartElementNS(w, BAD_CAST CEB, BAD_CAST "InventoryReturn", NULL) < 0;
    for (size_t i = 0; !rc && i < ARRAY_SIZE(receipt_xml_fields); i++) {
        if (vals[i])
            rc |= receipt_xml_element(w, receipt_xml_fields[i].name, vals[i], lens[i]) < 0;
    }
    rc |= xmlTextWriterEndElement(w) < 0; /* InventoryReturn */
    rc |= xmlTextWriterEndElement(w) < 0; /* CEB604Message */
    rc |= xmlTextWriterEndDocument(w) < 0;
    xmlFreeTextWriter(w); /* flushes into buf */
    if (rc) {
        xmlBufferFree(buf);
        return util_errf(err, errlen, "receipt XML: the writer failed (out of memory?)");
    }
    size_t n = (size_t)xmlBufferLength(buf);
    *out = malloc(n + 1);
    if (!*out) {
        xmlBufferFree(buf);
        return util_errf(err, errlen, "receipt XML: out of memory");
    }
    memcpy(*out, xmlBufferContent(buf), n);
    (*out)[n] = '\0';
    *outlen = n;
    xmlBufferFree(buf);
    return 0;
}

int receipt_xml_from_payload(const char *json, size_t len, char **out, size_t *outlen, char *err,
                             size_t errlen)
{
    struct json_object *o = NULL, *v = NULL;
    char guid[37];
    int rc = RECEIPT_XML_ERROR;

    *out = NULL;
    *outlen = 0;
    if (!json || len > INT_MAX)
        return util_errf(err, errlen, "receipt payload: none, or too long");
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return util_errf(err, errlen, "receipt payload: out of memory");
    o = json_tokener_parse_ex(tok, json, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (used < len && strchr(" \t\r\n", json[used]))
        used++;
    if (!o || je != json_tokener_success || used != len) {
        util_errf(err, errlen, "receipt payload: not one JSON text (%s)",
                  je != json_tokener_success ? json_tokener_error_desc(je)
                                             : "text after the value");
        goto done;
    }
    if (!json_object_is_type(o, json_type_object)) {
        util_errf(err, errlen, "receipt payload: %s, an object expected", receipt_xml_type_name(o));
        goto done;
    }
    if (!json_object_object_get_ex(o, "type", &v) || !json_object_is_type(v, json_type_string) ||
        strcmp(json_object_get_string(v), "receipt") != 0) {
        util_errf(err, errlen, "receipt payload: \"type\" is not \"receipt\"");
        goto done;
    }
    if (json_object_object_get_ex(o, "document", &v) && v) {
        rc = RECEIPT_XML_NOT_INVENTORY;
        goto done;
    }
    if (receipt_xml_message_guid(o, guid, err, errlen) < 0 ||
        receipt_xml_write(o, guid, out, outlen, err, errlen) < 0)
        goto done;
    rc = RECEIPT_XML_OK;
done:
    json_object_put(o);
    return rc;
}
