/*
 * declaration_xml.h - CEB603 XML front end of the declaration decoder (issue 14 item 1).
 *
 * Work in progress: only the content sniffing that tells the record forms apart exists so
 * far. The libxml2 decoder that fills struct declaration through the shared field table
 * is not written yet.
 */
#ifndef CUSTOMSD_DECLARATION_XML_H
#define CUSTOMSD_DECLARATION_XML_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether a Kafka record is in the XML form: its first byte that is not JSON/XML
 * whitespace (space, tab, CR, LF) is '<'. Anything else (including an empty or
 * all-whitespace record) is taken as JSON, so the JSON decoder gives its usual reasons.
 * data: the record bytes, len bytes, not necessarily NUL-terminated. No errors.
 */
bool declaration_xml_is_xml(const char *data, size_t len);

#endif
