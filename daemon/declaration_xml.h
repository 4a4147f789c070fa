/*
 * declaration_xml.h - the CEB603 XML form of a declaration: the E-Port's own message, read
 * by libxml2 into the same struct declaration as the JSON form (declaration.h), through the
 * same field tables and the same field setter (decl_set_field), so that both forms give the
 * same fields, exact decimals, lengths, faults and refusals. declaration_decode
 * (declaration.h) is the one entry point: it calls declaration_xml_decode for a record in
 * the XML form (declaration_xml_is_xml); nothing else needs to.
 *
 * The message (docs/DOMAIN.md section 1; E-Port XSD 2018-05), namespace
 * http://www.chinaport.gov.cn/ceb (any prefix, or the default namespace):
 *
 *   <ceb:CEB603Message guid="..." version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb">
 *     <ceb:Inventory>
 *       <ceb:InventoryHead> <ceb:guid>...</ceb:guid> ... <ceb:note/> </ceb:InventoryHead>
 *       <ceb:InventoryList> <ceb:gnum>1</ceb:gnum> ... </ceb:InventoryList>   (1..100)
 *     </ceb:Inventory>
 *     <ceb:BaseTransfer> ... </ceb:BaseTransfer>                              (optional)
 *   </ceb:CEB603Message>
 *
 * What maps to what (JSON form -> XML form):
 *   - the header object's keys -> InventoryHead's child elements, by the same CEB603 name
 *     (decl_head_fields); the "items" array -> the InventoryList elements, each one item
 *     (decl_item_fields), in document order;
 *   - a JSON string -> an element's text (text and CDATA, the five predefined entities and
 *     character references resolved; comments and processing instructions left out;
 *     whitespace kept as sent, as in a JSON string, but for XML's own line-end rule: CR LF
 *     in the text is read as LF unless written &#13;). XML has only text: a decimal (N19,5)
 *     or an integer (packNo, gnum) is the element's text, read as the same text in a JSON
 *     string is (so "1.50" is exact, "1e3" and " 1" are faults); where JSON allows a
 *     number, XML writes its digits;
 *   - JSON null (absent) -> no element, or an element with xsi:nil="true"; an empty element
 *     (<ceb:note/>) is the empty text, as "" is in JSON;
 *   - a JSON object or array where text is expected -> an element with child elements: a
 *     fault ("is an element with child elements, text expected");
 *   - a duplicate JSON key (refused) -> a field element sent twice in InventoryHead or in one
 *     InventoryList (refused: "duplicate element \"gcode\" in InventoryList[3]", the 1-based
 *     position of that InventoryList); the sender still gets a receipt unless the repeated
 *     element is logisticsNo;
 *   - more than 100 items -> more than 100 InventoryList: none is decoded, and the fault is
 *     named "items" as in JSON (faults name the decoded declaration's fields, so that the
 *     rejection and the receipt say the same whatever the form);
 *   - unknown keys (ignored) -> elements of other names, or of another namespace, anywhere
 *     (ignored); the CEB603Message attributes guid and version and the BaseTransfer element
 *     (the transfer envelope: copCode, copName, dxpMode, dxpId, note) are not fields of the
 *     declaration: ignored, kept in the stored record as sent.
 *
 * Refused (-> quarantine), besides what the JSON form refuses alike (empty, over the size
 * limit, no usable logisticsNo, in the same words):
 *   - any DOCTYPE: an internal or external DTD subset, hence any entity declaration (XXE,
 *     billion laughs): "not a declaration: DOCTYPE/entity declarations are not accepted",
 *     refused as soon as the DOCTYPE is read, before anything in it; no entity is ever
 *     substituted, no DTD or other file is loaded, no network is used;
 *   - elements nested deeper than DECL_XML_MAX_DEPTH (the root counting 1): "not a
 *     declaration: elements nest too deep", stopped while parsing;
 *   - not UTF-8 text (or a NUL byte; a byte-order mark is not accepted either: such a record
 *     is not sniffed as XML), or another declared encoding: the record is stored as text;
 *   - not well-formed XML: "invalid XML at line N: <libxml2's words>" (an undeclared entity
 *     reference is one of these);
 *   - not a CEB603Message of the CEB namespace, not exactly one Inventory in it, not exactly
 *     one InventoryHead in that: "not a declaration: ...".
 */
#ifndef CUSTOMSD_DECLARATION_XML_H
#define CUSTOMSD_DECLARATION_XML_H

#include <stdbool.h>
#include <stddef.h>

/* Elements may nest this deep in a CEB603 XML record (the CEB603Message counting 1; a field
 * is at 4, room is left for a BaseTransfer or an XML signature). */
#define DECL_XML_MAX_DEPTH 16

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
 * or external subset, hence any entity declaration) is refused as soon as it is read, as is
 * one whose elements nest deeper than max_depth (the root counting 1, stopped while
 * parsing), one over max_bytes, one with no root element, or one declaring an encoding
 * other than UTF-8. Returns the document (free with xmlFreeDoc), or NULL with the reason in
 * err, e.g. "not a declaration: DOCTYPE/entity declarations are not accepted".
 */
struct _xmlDoc *declaration_xml_parse(const char *data, size_t len, size_t max_bytes, int max_depth,
                                      char *err, size_t errlen);

struct declaration;

/*
 * Decode one Kafka record in the XML form (see the top of this file); the contract is
 * declaration_decode's (declaration.h): `data` of `len` bytes (not NUL-terminated),
 * `max_bytes` the size limit (0 = DECL_DEFAULT_MAX_BYTES). Returns a new declaration (free
 * with declaration_free; format faults in d->faults), or NULL with the reason in err. When
 * the record's logisticsNo could be read, *key_out (if not NULL) receives a malloc'd copy of
 * it (the caller frees it), else NULL.
 */
struct declaration *declaration_xml_decode(const char *data, size_t len, size_t max_bytes,
                                           char **key_out, char *err, size_t errlen);

#endif
