/*
 * receipt_xml.h - a declarer receipt as the E-Port's CEB604 XML message (CEB604Message /
 * InventoryReturn) instead of JSON, when receipts.format is xml (relay.c publishes it).
 *
 * Pure: no I/O, no database, no clock. The content of a receipt has one definition, the
 * JSON payload customs.outbox_payload builds (sql/repeatable/20_outbox.sql, docs/DESIGN.md
 * "Receipts and warehouse events"); this module only writes the same values in the CEB604
 * shape, with libxml2's xmlTextWriter. Nothing is computed, reformatted or looked up.
 */
#ifndef CUSTOMSD_RECEIPT_XML_H
#define CUSTOMSD_RECEIPT_XML_H

#include <stddef.h>

#define RECEIPT_XML_NS "http://www.chinaport.gov.cn/ceb"

enum receipt_xml_result {
    RECEIPT_XML_OK = 0,            /* converted */
    RECEIPT_XML_NOT_INVENTORY = 1, /* a receipt of an order, waybill or payment: stays JSON */
    RECEIPT_XML_ERROR = -1,        /* the payload is not a receipt this module can read */
};

/*
 * Convert one receipt's outbox payload to a CEB604Message document.
 *
 * Input: json[0..len), the text of customs.outbox.payload of a receipt row (need not be
 * NUL-terminated): one JSON object with
 *   "type": "receipt" (required);
 *   "event_id": the row's UUID (required, 36 characters): the message's guid attribute,
 *       in upper case (the E-Port's guids are upper case; stable across re-publication);
 *   "returnStatus", "returnTime" (yyyyMMddHHmmssfff), "returnInfo": strings (required);
 *   "guid", "copNo", "invtNo": string, or null / absent (a -1 receipt of a record that was
 *       never stored has no guid and no copNo; invtNo is null before acceptance);
 *   "customsCode", "ebpCode", "ebcCode", "agentCode", "preNo": the other InventoryReturn
 *       fields, written when the payload carries them as strings (customs.outbox_payload
 *       does not carry them today), left out when null or absent;
 *   "document" (a receipt of a CEB303 order, CEB505 waybill or CEB403 payment, whose
 *       E-Port receipts are other messages): RECEIPT_XML_NOT_INVENTORY, nothing written;
 *   any other key (event_id aside: logisticsNo, status_code, status, occurred_at,
 *       reasons) is not part of CEB604 and is ignored. The reasons are in returnInfo
 *       already, as the JSON receipt has them (customs.return_info).
 *
 * Output: *out, a malloc'd NUL-terminated UTF-8 XML 1.0 document of *outlen bytes:
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <ceb:CEB604Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="EVENT-ID"
 *                      version="1.0">
 *    <ceb:InventoryReturn>
 *     <ceb:guid/> <ceb:customsCode/> <ceb:ebpCode/> <ceb:ebcCode/> <ceb:agentCode/>
 *     <ceb:copNo/> <ceb:preNo/> <ceb:invtNo/> <ceb:returnStatus/> <ceb:returnTime/>
 *     <ceb:returnInfo/>
 *    </ceb:InventoryReturn>
 *   </ceb:CEB604Message>
 * in the XSD's element order (docs/DOMAIN.md; E-Port XSD 2018-05), each element only when
 * the payload has its value. Texts are the payload's, byte for byte, with <, >, & (and CR)
 * escaped by the writer; the one exception are characters XML 1.0 cannot carry at all
 * (control characters other than tab, LF and CR; U+FFFE, U+FFFF), each written as U+FFFD.
 * Free *out with free().
 *
 * Returns RECEIPT_XML_OK; RECEIPT_XML_NOT_INVENTORY (*out NULL); or RECEIPT_XML_ERROR
 * (*out NULL) with err saying what is wrong: not JSON, not an object, "type" not
 * "receipt", a required key missing, a value of the wrong JSON type, a text that is not
 * strict UTF-8 or holds a NUL, out of memory or a writer failure.
 */
int receipt_xml_from_payload(const char *json, size_t len, char **out, size_t *outlen, char *err,
                             size_t errlen) __attribute__((warn_unused_result));

#endif
