/*
 * documents.h - the other CEB documents of a parcel, as JSON: the e-commerce order (CEB303
 * 电子订单, OrderHead + OrderList), the logistics waybill (CEB505 物流运单, LogisticsHead)
 * and the receipt of payment (CEB403 收款单, Receipts). See docs/DESIGN.md "Orders, waybills
 * and payments" and docs/DOMAIN.md sections 0, 1 and 4 (#20). Field names keep the CEB
 * spelling. Pure: no I/O.
 *
 * Decoding takes the declaration's steps (declaration.h: decl_record_parse,
 * decl_decode_fields, decl_decode_list) and refuses (-> quarantine) what they refuse: a
 * record too large or empty, not strict UTF-8 JSON, not an object, duplicate keys (any
 * depth), nesting deeper than 8, no usable key member (orderNo for orders and payments,
 * logisticsNo for waybills: missing, not a string, empty, U+0000, too long). A readable
 * document (an object with a usable key member) is returned; every way it breaks its
 * format (a fault as for declarations, a required field absent, a text longer than its
 * standard length or not of its fixed length, an order without lines or with a line
 * without gnum, a gnum given twice, the second key member absent) is a *problem*: the
 * document is then rejected (100) with a receipt to its sender naming the problems, and
 * stored nowhere but in customs.document_rejections.
 *
 * There are no rules for these documents: their format is the whole check here; whether
 * they match a declaration is not decided on decoding.
 */
#ifndef CUSTOMSD_DOCUMENTS_H
#define CUSTOMSD_DOCUMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "declaration.h"

#define DOC_MAX_LINES 100 /* OrderList entries of one order (as CEB603 items) */

/*
 * The fields, one line each, as DECL_HEAD_FIELDS in declaration.h:
 *   X(name, kind, max_len, min_len, required, column)
 * Lengths are the China E-Port's published ones (E-Port XSD 2018-05 for CEB303, CEB505,
 * CEB403; docs/DOMAIN.md section 1). The buyer and consignee members of an export order,
 * and the consignee of a waybill, have the lengths of the import order and waybill
 * (CEB311, CEB511), whose fields they are. Every column is sent in the batch document.
 */
/* clang-format off */
#define DOC_ORDER_FIELDS(X)                                                \
    X(guid,               STRING,    36,   36, REQUIRED, COLUMN)           \
    X(appType,            STRING,     1,    1, REQUIRED, COLUMN)           \
    X(appTime,            STRING,    14,   14, REQUIRED, COLUMN)           \
    X(appStatus,          STRING,     1,    1, REQUIRED, COLUMN)           \
    X(orderType,          STRING,     1,    1, REQUIRED, COLUMN)           \
    X(orderNo,            STRING,    60,    0, REQUIRED, COLUMN)           \
    X(ebpCode,            STRING,    50,    0, REQUIRED, COLUMN)           \
    X(ebpName,            STRING,   100,    0, REQUIRED, COLUMN)           \
    X(ebcCode,            STRING,    18,    0, REQUIRED, COLUMN)           \
    X(ebcName,            STRING,   100,    0, REQUIRED, COLUMN)           \
    X(goodsValue,         DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(freight,            DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(currency,           STRING,     3,    3, REQUIRED, COLUMN)           \
    X(buyerRegNo,         STRING,    60,    0, OPTIONAL, COLUMN)           \
    X(buyerName,          STRING,    60,    0, OPTIONAL, COLUMN)           \
    X(buyerTelephone,     STRING,    30,    0, OPTIONAL, COLUMN)           \
    X(consignee,          STRING,   100,    0, OPTIONAL, COLUMN)           \
    X(consigneeTelephone, STRING,    50,    0, OPTIONAL, COLUMN)           \
    X(consigneeAddress,   STRING,   200,    0, OPTIONAL, COLUMN)           \
    X(consigneeCountry,   STRING,     3,    3, OPTIONAL, COLUMN)           \
    X(note,               STRING,  1000,    0, OPTIONAL, COLUMN)

#define DOC_ORDER_LINE_FIELDS(X)                                           \
    X(gnum,               INTEGER,    5,    0, REQUIRED, COLUMN)           \
    X(itemNo,             STRING,    30,    0, OPTIONAL, COLUMN)           \
    X(itemName,           STRING,   250,    0, REQUIRED, COLUMN)           \
    X(gcode,              STRING,    10,   10, OPTIONAL, COLUMN)           \
    X(itemDescribe,       STRING,  1000,    0, OPTIONAL, COLUMN)           \
    X(barCode,            STRING,    50,    0, OPTIONAL, COLUMN)           \
    X(unit,               STRING,     3,    3, REQUIRED, COLUMN)           \
    X(currency,           STRING,     3,    3, REQUIRED, COLUMN)           \
    X(qty,                DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(price,              DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(totalPrice,         DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(note,               STRING,  1000,    0, OPTIONAL, COLUMN)

#define DOC_WAYBILL_FIELDS(X)                                              \
    X(guid,               STRING,    36,   36, REQUIRED, COLUMN)           \
    X(appType,            STRING,     1,    1, REQUIRED, COLUMN)           \
    X(appTime,            STRING,    14,   14, REQUIRED, COLUMN)           \
    X(appStatus,          STRING,     1,    1, REQUIRED, COLUMN)           \
    X(logisticsCode,      STRING,    18,    0, REQUIRED, COLUMN)           \
    X(logisticsName,      STRING,   100,    0, REQUIRED, COLUMN)           \
    X(logisticsNo,        STRING,    80,    0, REQUIRED, COLUMN)           \
    X(consignee,          STRING,   100,    0, OPTIONAL, COLUMN)           \
    X(consigneeTelephone, STRING,    50,    0, OPTIONAL, COLUMN)           \
    X(consigneeAddress,   STRING,   200,    0, OPTIONAL, COLUMN)           \
    X(freight,            DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(insuredFee,         DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(currency,           STRING,     3,    3, REQUIRED, COLUMN)           \
    X(grossWeight,        DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(packNo,             INTEGER,    9,    0, REQUIRED, COLUMN)           \
    X(goodsInfo,          STRING,   200,    0, REQUIRED, COLUMN)           \
    X(note,               STRING,  1000,    0, OPTIONAL, COLUMN)

#define DOC_PAYMENT_FIELDS(X)                                              \
    X(guid,               STRING,    36,   36, REQUIRED, COLUMN)           \
    X(appType,            STRING,     1,    1, REQUIRED, COLUMN)           \
    X(appTime,            STRING,    14,   14, REQUIRED, COLUMN)           \
    X(appStatus,          STRING,     1,    1, REQUIRED, COLUMN)           \
    X(ebpCode,            STRING,    50,    0, OPTIONAL, COLUMN)           \
    X(ebpName,            STRING,   100,    0, OPTIONAL, COLUMN)           \
    X(ebcCode,            STRING,    18,    0, REQUIRED, COLUMN)           \
    X(ebcName,            STRING,   100,    0, REQUIRED, COLUMN)           \
    X(orderNo,            STRING,    60,    0, REQUIRED, COLUMN)           \
    X(payCode,            STRING,    18,    0, OPTIONAL, COLUMN)           \
    X(payName,            STRING,   100,    0, REQUIRED, COLUMN)           \
    X(payNo,              STRING,    60,    0, OPTIONAL, COLUMN)           \
    X(charge,             DECIMAL,   19,    0, REQUIRED, COLUMN)           \
    X(currency,           STRING,     3,    3, REQUIRED, COLUMN)           \
    X(accountingDate,     STRING,    14,   14, REQUIRED, COLUMN)           \
    X(note,               STRING,  1000,    0, OPTIONAL, COLUMN)
/* clang-format on */

struct doc_order {
    DOC_ORDER_FIELDS(DECL_MEMBER)
};
struct doc_order_line {
    DOC_ORDER_LINE_FIELDS(DECL_MEMBER)
};
struct doc_waybill {
    DOC_WAYBILL_FIELDS(DECL_MEMBER)
};
struct doc_payment {
    DOC_PAYMENT_FIELDS(DECL_MEMBER)
};

enum doc_type { DOC_ORDER, DOC_WAYBILL, DOC_PAYMENT };

/*
 * What differs between the documents: one entry each in doc_specs[], indexed by enum
 * doc_type. The key of a document is (key_a, key_b) as the standard keys it: an order by
 * (ebpCode, orderNo), a waybill by (logisticsCode, logisticsNo), a payment by (ebcCode,
 * orderNo); key_b is the member the record is read by.
 */
struct doc_spec {
    enum doc_type type;
    const char *name;     /* "order" | "waybill" | "payment": the batch document's "doc" */
    const char *standard; /* "CEB303" | "CEB505" | "CEB403": rule ids, fault texts */
    const char *key_a;    /* "ebpCode" | "logisticsCode" | "ebcCode" */
    const char *key_b;    /* "orderNo" | "logisticsNo" | "orderNo" */
    const struct decl_field *head;
    size_t n_head;
    size_t head_size;
    const char *lines_name; /* "items" for an order's OrderList; NULL: no lines */
    const struct decl_field *lines;
    size_t n_lines;
    size_t line_size;
};

extern const struct doc_spec doc_specs[3];

/* A reason a readable document breaks its format ("orderNo: missing"). */
#define DOC_PROBLEM_MAX  192
#define DOC_MAX_PROBLEMS 16

/* One decoded document. */
struct document {
    const struct doc_spec *spec;
    void *head;  /* struct doc_order | doc_waybill | doc_payment */
    void *lines; /* n_lines struct doc_order_line (orders only), NULL when none */
    size_t n_lines;
    size_t n_faults;           /* format faults of decoding, as for declarations */
    struct decl_fault *faults; /* the first min(n_faults, DECL_MAX_FAULTS) */
    size_t n_problems;         /* every problem counted (faults included) */
    char problems[DOC_MAX_PROBLEMS][DOC_PROBLEM_MAX]; /* the first DOC_MAX_PROBLEMS */
};

/*
 * Decode one Kafka record value of document type `type`: `data` of `len` bytes, `max_bytes`
 * the size limit (0 = DECL_DEFAULT_MAX_BYTES). Returns a new document (document_free), whose
 * n_problems > 0 when it breaks its format (see the top), or NULL with the reason in err
 * (e.g. "orderNo: missing (it is the order's key)", "invalid JSON at byte 3: ...", "out of
 * memory"). *key_out (if not NULL) receives a malloc'd copy of the key member (orderNo or
 * logisticsNo) when it could be read, else NULL (also for a record refused for a key given
 * twice when that key is the key member itself); the caller frees it.
 */
struct document *document_decode(enum doc_type type, const char *data, size_t len, size_t max_bytes,
                                 char **key_out, char *err, size_t errlen);

/* A text member of the head by name (NULL when absent or not a text field). */
const char *document_string(const struct document *doc, const char *name);

/* Free a document and everything it owns. Accepts NULL. */
void document_free(struct document *doc);

#endif
