/*
 * declaration_xml.h - CEB603 XML front end of the declaration decoder (issue 14 item 1).
 *
 * Work in progress: the content sniffing that tells the record forms apart and the safe
 * libxml2 parse exist; the CEB603 decoder that fills struct declaration through the
 * shared field table is not written yet, and nothing calls this module so far.
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

struct _xmlDoc;

/*
 * Parses an XML record safely: from memory, no network (XML_PARSE_NONET), no entity
 * substitution (no XML_PARSE_NOENT), no DTD loading; a document with a DOCTYPE (internal
 * or external subset, hence any entity declaration) is refused outright, as is one whose
 * elements nest deeper than max_depth (the root counting 1) or that is over max_bytes.
 * Returns the document (free with xmlFreeDoc), or NULL with the reason in err, e.g.
 * "not a declaration: DOCTYPE/entity declarations are not accepted".
 */
struct _xmlDoc *declaration_xml_parse(const char *data, size_t len, size_t max_bytes, int max_depth,
                                      char *err, size_t errlen);

#endif
