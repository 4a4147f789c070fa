/*
 * declaration.h - one parcel declaration: the CEB603 export inventory list (China E-Port
 * 出口申报清单, InventoryHead + 1..100 InventoryList) as JSON, see shared DESIGN.md
 * "Declaration message" and DOMAIN.md section 1. Field names keep the CEB603 spelling.
 *
 * Decoding is pure (no I/O). It enforces what storage needs; everything a customs pre-check
 * says about content (required fields, exact CEB603 lengths, code tables, arithmetic) is
 * the rules engine's job, so that such a declaration is rejected with a receipt rather than
 * quarantined. The decoder refuses (-> quarantine) a record that:
 *   - is larger than the configured maximum message size, or empty;
 *   - is not valid UTF-8 JSON (RFC 8259), or is not a JSON object, or has duplicate keys in
 *     any object (refused, never last-wins), or nests deeper than 8 levels;
 *   - has no usable key: `logisticsNo` missing, not a string, empty, or over 80 characters;
 *   - has a known field of the wrong JSON type (strings for text and codes; strings or
 *     numbers for decimals; integers or digit strings for packNo and gnum; an array of
 *     objects for items);
 *   - has a decimal that is not exact N19,5 (see decimal.h) or NaN/Infinity;
 *   - has a string containing U+0000 or longer than 1000 characters (the largest CEB603
 *     field, note C..1000);
 *   - has more than 100 items (CEB603: 1..100 InventoryList).
 * Unknown keys are ignored (forward compatibility), but still count for size and depth.
 * A JSON null for a field means the field is absent.
 */
#ifndef CUSTOMSD_DECLARATION_H
#define CUSTOMSD_DECLARATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decimal.h"

#define DECL_MAX_ITEMS         100
#define DECL_MAX_STRING        1000 /* characters (code points) */
#define DECL_MAX_KEY           80   /* logisticsNo C..80 */
#define DECL_DEFAULT_MAX_BYTES (1024 * 1024)

/* An N19,5 field: absent, or an exact decimal. */
struct decl_decimal {
    bool present;
    struct decimal value;
};

/* An integer field (packNo: 9 digits; gnum: 5 digits). */
struct decl_integer {
    bool present;
    long long value;
};

/* One InventoryList entry. Strings are NUL-terminated UTF-8, NULL when absent. */
struct decl_item {
    struct decl_integer gnum;
    char *itemNo, *itemRecordNo, *itemName, *gcode, *gname, *gmodel, *barCode;
    char *country, *currency;
    struct decl_decimal qty, qty1, qty2;
    char *unit, *unit1, *unit2;
    struct decl_decimal price, totalPrice;
    char *note;
};

/* One InventoryHead with its items. Strings are NUL-terminated UTF-8, NULL when absent. */
struct declaration {
    char *guid, *appType, *appTime, *appStatus, *customsCode;
    char *ebpCode, *ebpName, *orderNo, *logisticsCode, *logisticsName, *logisticsNo, *copNo;
    char *preNo, *invtNo, *ieFlag, *portCode, *ieDate, *statisticsFlag;
    char *agentCode, *agentName, *ebcCode, *ebcName, *ownerCode, *ownerName;
    char *iacCode, *iacName, *emsNo, *tradeMode, *trafMode, *trafName, *voyageNo, *billNo;
    char *totalPackageNo, *loctNo, *licenseNo, *country, *POD;
    struct decl_decimal freight, insuredFee;
    char *fCurrency, *fFlag, *iCurrency, *iFlag, *wrapType;
    struct decl_integer packNo;
    struct decl_decimal grossWeight, netWeight;
    char *note;
    size_t n_items;
    struct decl_item *items; /* n_items entries (0 when the key is absent or []) */
};

/*
 * Field table, so that the rules engine can address fields by their CEB603 name at load
 * time and read them by offset at evaluation time (no string compares per declaration).
 */
enum decl_kind { DECL_STRING, DECL_DECIMAL, DECL_INTEGER };

struct decl_field {
    const char *name; /* CEB603 name, e.g. "grossWeight" */
    enum decl_kind kind;
    size_t offset;    /* offsetof in struct declaration or struct decl_item */
    unsigned max_len; /* CEB603 maximum length in characters (C..n, C n) or digits; 0 none */
    unsigned min_len; /* CEB603 fixed length (C n) = max_len; C3..4 -> 3; 0 otherwise */
    bool required;    /* CEB603 minOccurs 1 (general 9610 export) */
};

extern const struct decl_field decl_head_fields[];
extern const size_t decl_head_field_count;
extern const struct decl_field decl_item_fields[];
extern const size_t decl_item_field_count;

/* Look up a header (items=false) or item (items=true) field by CEB603 name; NULL if none. */
const struct decl_field *decl_field_find(bool items, const char *name);

/* Accessors for a field of a header or item record (base = declaration or decl_item). */
const char *decl_get_string(const void *base, const struct decl_field *f);
const struct decl_decimal *decl_get_decimal(const void *base, const struct decl_field *f);
const struct decl_integer *decl_get_integer(const void *base, const struct decl_field *f);

/*
 * Decode one Kafka record value. Input: `data` of `len` bytes (not NUL-terminated),
 * `max_bytes` the size limit (0 = DECL_DEFAULT_MAX_BYTES).
 * Returns a new declaration (free with declaration_free), or NULL with a precise reason in
 * err, e.g. "invalid JSON at byte 17: unexpected character", "duplicate key \"gcode\" in
 * items[2]", "items[0].price: more than 5 digits after the decimal point",
 * "logisticsNo: missing". When the record was a JSON object whose logisticsNo could be read
 * (so the sender can be sent a receipt), *key_out (if not NULL) receives a malloc'd copy of
 * it, else NULL; the caller frees it.
 */
struct declaration *declaration_decode(const char *data, size_t len, size_t max_bytes,
                                       char **key_out, char *err, size_t errlen);

/* Free a declaration and everything it owns. Accepts NULL. */
void declaration_free(struct declaration *d);

/* Number of Unicode code points in a valid UTF-8 string (CEB603 lengths count characters). */
size_t utf8_length(const char *s);

#endif
