/*
 * declaration.h - one parcel declaration: the CEB603 export inventory list (China E-Port
 * 出口申报清单, InventoryHead + 1..100 InventoryList) as JSON or as the E-Port's CEB603 XML
 * (declaration_xml.h says how that maps onto the JSON form), see docs/DESIGN.md
 * "Declaration message" and docs/DOMAIN.md section 1. Field names keep the CEB603 spelling.
 * Both forms decode into the same struct through the same field tables and the one field
 * setter (decl_set_field); what follows is said of JSON, and holds for XML as its header
 * maps it.
 *
 * Decoding is pure (no I/O). It enforces what storage needs; everything a customs pre-check
 * says about content (required fields, exact CEB603 lengths, code tables, arithmetic) is
 * the rules engine's job, so that such a declaration is rejected with a receipt rather than
 * quarantined. The decoder refuses (-> quarantine) only a record that cannot be read as a
 * declaration at all:
 *   - larger than the configured maximum message size, or empty;
 *   - not valid UTF-8 JSON (RFC 8259), not a JSON object, duplicate keys in any object
 *     (refused, never last-wins), or nesting deeper than 8 levels;
 *   - no usable key: `logisticsNo` missing, not a string, empty, containing U+0000, or over
 *     80 characters.
 * A record that is read (a JSON object with a usable logisticsNo) is a declaration even when
 * a known field breaks the CEB603 format. Such a field is a *fault* (struct decl_fault, in
 * d->faults with its name and the value as sent) and is left absent in the decoded
 * declaration (so nothing unstorable reaches a column; the raw record keeps the value), and
 * the rules engine rejects the declaration (rule CEB603-FORMAT, rules.h). Faults:
 *   - a known field of the wrong JSON type (text fields take strings; decimals strings or
 *     numbers; packNo and gnum integers or digit strings; items an array of objects);
 *   - a decimal that is not a plain exact N19,5 decimal: not a number ("1,234.00", "NaN"),
 *     exponent notation ("1e3"), more than 5 decimals ("12.345678") or 14 integer digits;
 *   - an integer with a character other than a digit, or more digits than CEB603 allows;
 *   - a string containing U+0000 or longer than 1000 characters (the largest CEB603 field,
 *     note C..1000; shorter CEB603 lengths are checked by the rules, CEB603-LEN);
 *   - more than 100 items (CEB603: 1..100 InventoryList; none is decoded then), an item
 *     that is not an object (it is decoded as an item with no field).
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

/*
 * The CEB603 fields (E-Port XSD 2018-05, docs/DOMAIN.md section 1), one line each. The members
 * of struct declaration and struct decl_item, the field tables below (what the decoder
 * reads, what the rules engine addresses by name) and the `decl` object of the batch
 * document (batch.h) are all made from these two lists, so a new field is one line here
 * (and, for a COLUMN, its column in sql/). Table order is decoding order: the first bad
 * field is the one a refusal names.
 *
 *   X(name, kind, max_len, min_len, required, column)
 *   name     the CEB603 name, kept as spelled (it is the JSON key and the member name)
 *   kind     STRING (char *, NUL-terminated UTF-8, NULL when absent), DECIMAL (N19,5,
 *            struct decl_decimal) or INTEGER (struct decl_integer)
 *   max_len  CEB603 maximum length in characters (C..n, C n) or digits; 0 none
 *   min_len  CEB603 fixed length (C n) = max_len; C3..4 -> 3; 0 otherwise
 *   required REQUIRED (CEB603 minOccurs 1, general 9610 export) or OPTIONAL
 *   column   COLUMN: sent decoded to customs.apply_batch(), which stores it in a column of
 *            customs.declarations / customs.declaration_items; PAYLOAD: kept only in the
 *            raw payload
 */
/* clang-format off */
#define DECL_HEAD_FIELDS(X)                                                \
    X(guid,           STRING,    36,   36, REQUIRED, COLUMN)               \
    X(appType,        STRING,     1,    1, REQUIRED, COLUMN)               \
    X(appTime,        STRING,    14,   14, REQUIRED, COLUMN)               \
    X(appStatus,      STRING,     1,    1, REQUIRED, COLUMN)               \
    X(customsCode,    STRING,     4,    4, REQUIRED, COLUMN)               \
    X(ebpCode,        STRING,    50,    0, REQUIRED, COLUMN)               \
    X(ebpName,        STRING,   100,    0, REQUIRED, PAYLOAD)              \
    X(orderNo,        STRING,    60,    0, REQUIRED, COLUMN)               \
    X(logisticsCode,  STRING,    18,    0, REQUIRED, COLUMN)               \
    X(logisticsName,  STRING,   100,    0, REQUIRED, PAYLOAD)              \
    X(logisticsNo,    STRING,    80,    0, REQUIRED, COLUMN)               \
    X(copNo,          STRING,    30,    0, REQUIRED, COLUMN)               \
    X(preNo,          STRING,    18,   18, OPTIONAL, PAYLOAD)              \
    X(invtNo,         STRING,    18,   18, OPTIONAL, PAYLOAD)              \
    X(ieFlag,         STRING,     1,    1, REQUIRED, COLUMN)               \
    X(portCode,       STRING,     4,    4, REQUIRED, COLUMN)               \
    X(ieDate,         STRING,     8,    8, REQUIRED, COLUMN)               \
    X(statisticsFlag, STRING,     1,    1, REQUIRED, COLUMN)               \
    X(agentCode,      STRING,    18,    0, REQUIRED, COLUMN)               \
    X(agentName,      STRING,   100,    0, REQUIRED, PAYLOAD)              \
    X(ebcCode,        STRING,    18,    0, REQUIRED, COLUMN)               \
    X(ebcName,        STRING,   100,    0, REQUIRED, COLUMN)               \
    X(ownerCode,      STRING,    18,    0, REQUIRED, COLUMN)               \
    X(ownerName,      STRING,   100,    0, REQUIRED, PAYLOAD)              \
    X(iacCode,        STRING,    18,    0, OPTIONAL, PAYLOAD)              \
    X(iacName,        STRING,   100,    0, OPTIONAL, PAYLOAD)              \
    X(emsNo,          STRING,    30,    0, OPTIONAL, PAYLOAD)              \
    X(tradeMode,      STRING,     4,    4, REQUIRED, COLUMN)               \
    X(trafMode,       STRING,     1,    1, REQUIRED, COLUMN)               \
    X(trafName,       STRING,   100,    0, OPTIONAL, PAYLOAD)              \
    X(voyageNo,       STRING,    32,    0, OPTIONAL, PAYLOAD)              \
    X(billNo,         STRING,    37,    0, OPTIONAL, PAYLOAD)              \
    X(totalPackageNo, STRING,    60,    0, OPTIONAL, PAYLOAD)              \
    X(loctNo,         STRING,    10,    0, OPTIONAL, PAYLOAD)              \
    X(licenseNo,      STRING,    19,    0, OPTIONAL, PAYLOAD)              \
    X(country,        STRING,     3,    3, REQUIRED, COLUMN)               \
    X(POD,            STRING,     4,    3, REQUIRED, COLUMN)               \
    X(freight,        DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(fCurrency,      STRING,     3,    3, REQUIRED, COLUMN)               \
    X(fFlag,          STRING,     1,    1, REQUIRED, PAYLOAD)              \
    X(insuredFee,     DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(iCurrency,      STRING,     3,    3, REQUIRED, COLUMN)               \
    X(iFlag,          STRING,     1,    1, REQUIRED, PAYLOAD)              \
    X(wrapType,       STRING,     1,    1, REQUIRED, COLUMN)               \
    X(packNo,         INTEGER,    9,    0, REQUIRED, COLUMN)               \
    X(grossWeight,    DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(netWeight,      DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(note,           STRING,  1000,    0, OPTIONAL, PAYLOAD)

#define DECL_ITEM_FIELDS(X)                                                \
    X(gnum,           INTEGER,    5,    0, REQUIRED, COLUMN)               \
    X(itemNo,         STRING,    20,    0, REQUIRED, COLUMN)               \
    X(itemRecordNo,   STRING,    30,    0, OPTIONAL, COLUMN)               \
    X(itemName,       STRING,   250,    0, OPTIONAL, COLUMN)               \
    X(gcode,          STRING,    10,   10, REQUIRED, COLUMN)               \
    X(gname,          STRING,   250,    0, REQUIRED, COLUMN)               \
    X(gmodel,         STRING,   250,    0, REQUIRED, COLUMN)               \
    X(barCode,        STRING,    50,    0, REQUIRED, COLUMN)               \
    X(country,        STRING,     3,    3, REQUIRED, COLUMN)               \
    X(currency,       STRING,     3,    3, REQUIRED, COLUMN)               \
    X(qty,            DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(qty1,           DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(qty2,           DECIMAL,   19,    0, OPTIONAL, COLUMN)               \
    X(unit,           STRING,     3,    3, REQUIRED, COLUMN)               \
    X(unit1,          STRING,     3,    3, REQUIRED, COLUMN)               \
    X(unit2,          STRING,     3,    3, OPTIONAL, COLUMN)               \
    X(price,          DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(totalPrice,     DECIMAL,   19,    0, REQUIRED, COLUMN)               \
    X(note,           STRING,  1000,    0, OPTIONAL, PAYLOAD)
/* clang-format on */

/*
 * A header field's max_len as a compile-time constant: DECL_HEAD_MAX_LEN(loctNo) is 10,
 * for decoders of other records that carry the same CEB603 field (scan.c).
 */
#define DECL_HEAD_MAX_LEN_ENUM(name, kind, max_len, min_len, required, column)                     \
    DECL_HEAD_MAX_LEN_##name = max_len,
enum decl_head_max_len { DECL_HEAD_FIELDS(DECL_HEAD_MAX_LEN_ENUM) };
#define DECL_HEAD_MAX_LEN(name) ((size_t)DECL_HEAD_MAX_LEN_##name)

/* The C type of a member of each kind. */
#define DECL_CTYPE_STRING  char *
#define DECL_CTYPE_DECIMAL struct decl_decimal
#define DECL_CTYPE_INTEGER struct decl_integer

/* One member of struct declaration or struct decl_item. */
#define DECL_MEMBER(name, kind, max_len, min_len, required, column) DECL_CTYPE_##kind name;

/* One InventoryList entry: a member per DECL_ITEM_FIELDS line. */
struct decl_item {
    DECL_ITEM_FIELDS(DECL_MEMBER)
};

/* At most this many faults are kept per declaration (n_faults counts them all). */
#define DECL_MAX_FAULTS 16
/* Code points of a bad value kept in a fault (longer ones are cut and end in "..."). */
#define DECL_FAULT_SHOW 60

/*
 * A known field of a readable declaration that breaks the CEB603 format (see the top of
 * this file): where it is, the value as sent, and what is wrong, so that the rule
 * CEB603-FORMAT can name it. The decoded member is left absent.
 */
struct decl_fault {
    long item;     /* 0-based index in the items array, -1 for a header field or the list */
    char name[24]; /* the CEB603 name ("price"), "items" for the list itself, "" for an
                      items entry that is not an object */
    bool text;     /* value is the text of a JSON string (quote it); else JSON text as sent
                      (a number as written, true, {"a":1}) */
    /* The value, NUL-terminated UTF-8 without control characters: U+0000..U+001F and
     * U+007F written \u00XX; cut after DECL_FAULT_SHOW code points with "..."; "" when
     * the fault is about the whole list (more than 100 items). */
    char value[DECL_FAULT_SHOW * 6 + 4];
    char why[96]; /* "is not a plain decimal number (exponent notation)" */
};

/* One InventoryHead (a member per DECL_HEAD_FIELDS line) with its items. */
struct declaration {
    DECL_HEAD_FIELDS(DECL_MEMBER)
    size_t n_items;
    struct decl_item *items;   /* n_items entries (0 when the key is absent or [], or when
                                  there are more than DECL_MAX_ITEMS: a fault) */
    size_t n_faults;           /* fields that break the CEB603 format; 0 for most */
    struct decl_fault *faults; /* the first min(n_faults, DECL_MAX_FAULTS), in decoding
                                  order (table order, header then items); NULL when none */
};

/*
 * Field table, so that the rules engine can address fields by their CEB603 name at load
 * time and read them by offset at evaluation time (no string compares per declaration).
 * One entry per line of DECL_HEAD_FIELDS / DECL_ITEM_FIELDS, in that order.
 */
enum decl_kind { DECL_STRING, DECL_DECIMAL, DECL_INTEGER };

struct decl_field {
    const char *name; /* CEB603 name, e.g. "grossWeight" */
    enum decl_kind kind;
    size_t offset;    /* offsetof in struct declaration or struct decl_item */
    unsigned max_len; /* CEB603 maximum length in characters (C..n, C n) or digits; 0 none */
    unsigned min_len; /* CEB603 fixed length (C n) = max_len; C3..4 -> 3; 0 otherwise */
    bool required;    /* CEB603 minOccurs 1 (general 9610 export) */
    bool column;      /* sent decoded in the batch document (batch.h) for a database column */
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
 * Decode one Kafka record value, in either form: a record whose first byte after whitespace
 * is '<' is CEB603 XML (declaration_xml_decode, declaration_xml.h), anything else JSON.
 * Input: `data` of `len` bytes (not NUL-terminated), `max_bytes` the size limit (0 =
 * DECL_DEFAULT_MAX_BYTES).
 * Returns a new declaration (free with declaration_free), or NULL with a precise reason in
 * err, e.g. "invalid JSON at byte 17: unexpected character", "duplicate key \"gcode\" in
 * items[2]", "logisticsNo: missing (it is the declaration's key)", "not a declaration:
 * DOCTYPE/entity declarations are not accepted", "out of memory".
 * A declaration with fields that break the CEB603 format is returned, with d->n_faults > 0
 * and those fields absent (see the top of this file). When the record was a JSON object
 * whose logisticsNo could be read (so the sender can be sent a receipt), *key_out (if not
 * NULL) receives a malloc'd copy of it, else NULL; the caller frees it.
 */
struct declaration *declaration_decode(const char *data, size_t len, size_t max_bytes,
                                       char **key_out, char *err, size_t errlen);

/*
 * The first steps of decoding any customs Kafka record that is a JSON object keyed by
 * logisticsNo (declaration_decode, scan_decode), so that both refuse alike and in the same
 * words. A spec says what differs between the decoders.
 */
struct decl_record_spec {
    const char *what;           /* "a declaration": "not a declaration: the record is a JSON
                                   array, not an object" */
    size_t default_max_bytes;   /* the size limit when the caller passes 0 */
    int max_depth;              /* nesting limit of objects/arrays, the top level counting 1 */
    const char *key_missing;    /* the refusal when logisticsNo is missing or null */
    bool key_despite_duplicate; /* a duplicate key still yields *key_out (the sender gets a
                                   receipt), unless the duplicated key is a logisticsNo */
    bool json_c_words;          /* when json-c refuses what the validator took (a bare top-level
                                   number, "12"): "invalid JSON: <json-c's words>" instead of the
                                   byte position */
    const char *key_name;       /* the key member; NULL = "logisticsNo" (documents.h: "orderNo") */
    size_t key_max;             /* its longest length in characters; 0 = DECL_MAX_KEY */
};

struct json_object;

/*
 * Refuse, with the reason in err, a record (`data`, `len` bytes) that: is empty ("empty
 * record"); is larger than `max_bytes` (0 = spec->default_max_bytes; "record too large: N
 * bytes, limit M bytes"); is not strict JSON (json_strict.h: "invalid JSON at byte N...",
 * "duplicate key ..."); is not a JSON object; has no usable logisticsNo: missing or null
 * (spec->key_missing), not a string, empty, containing U+0000, or longer than DECL_MAX_KEY
 * characters ("logisticsNo: expected a string, got int", "logisticsNo: empty", ...).
 * Otherwise returns the parsed object (the caller json_object_put()s it) and, if `key` is
 * not NULL, points *key at logisticsNo inside it.
 * *key_out (if not NULL) receives a malloc'd copy of logisticsNo when the record is a JSON
 * object with a usable one, else NULL; the caller frees it. A record refused for a
 * duplicate key yields it only with spec->key_despite_duplicate and when the duplicated
 * key is not a logisticsNo (at any depth).
 */
struct json_object *decl_record_parse(const char *data, size_t len, size_t max_bytes,
                                      const struct decl_record_spec *spec, char **key_out,
                                      const char **key, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * The one check of a JSON text member, shared by the declaration's text fields, the record
 * key and the scan fields so that all refuse in the same words. `v` is the member's value
 * (json-c's NULL for JSON null), `name` how the refusal names it ("logisticsNo",
 * "items[2].gcode"). Passes a string without U+0000, not empty when `nonempty`, of at most
 * `max_chars` code points: returns it (inside v, NUL-terminated; *len = its bytes when len
 * is not NULL). Otherwise returns NULL with err set to, in this order of checks:
 *   "NAME: expected a string, got TYPE"         (json-c's type name: "int", "null", ...)
 *   "NAME: contains a NUL character (\u0000)"
 *   "NAME: empty"                               (only when nonempty)
 *   "NAME: longer than MAX characters"
 */
const char *decl_check_string(struct json_object *v, const char *name, size_t max_chars,
                              bool nonempty, size_t *len, char *err, size_t errlen);

/*
 * The field decoding every record with a field table shares (declarations here, the orders,
 * waybills and payments of documents.h): where the faults go and which standard their texts
 * cite ("CEB603": "has more than 9 digits (CEB603 N9)").
 */
struct decl_decode_into {
    size_t *n_faults;           /* counts every fault */
    struct decl_fault **faults; /* allocated at the first fault: DECL_MAX_FAULTS entries */
    const char *std;            /* "CEB603", "CEB303", ... */
};

/*
 * Decode the fields of `table` (n entries) from the JSON object `obj` into the struct at
 * `base` (members at the table's offsets, zeroed by the caller): absent or null fields stay
 * absent, a field breaking its format is a fault (see the top of this file) and stays
 * absent. Returns 0, or -1 when out of memory (err set); the caller frees the strings with
 * decl_free_fields either way.
 */
int decl_decode_fields(struct json_object *obj, const struct decl_field *table, size_t n,
                       void *base, const struct decl_decode_into *into, char *err, size_t errlen);

/*
 * Decode the array member `list` of `obj` ("items") into *entries: a calloc'd array of
 * *n_entries structs of entry_size bytes, each decoded with `table` as decl_decode_fields
 * does. Absent or null: nothing. Faults: not an array, more than `max` entries (none
 * decoded), an entry that is not an object (kept without fields). Returns 0, or -1 when out
 * of memory (err set); *entries and *n_entries cover what was decoded either way.
 */
int decl_decode_list(struct json_object *obj, const char *list, size_t max, size_t entry_size,
                     const struct decl_field *table, size_t n, void **entries, size_t *n_entries,
                     const struct decl_decode_into *into, char *err, size_t errlen);

/*
 * What a field's value was sent as: the input of the one field setter (decl_set_field) that
 * the JSON and the XML forms share. The XML form has only text, so it only gives
 * DECL_VALUE_TEXT (an element's text content) and DECL_VALUE_MARKUP; a decimal or an
 * integer sent as XML text is read exactly as the same text in a JSON string is.
 */
enum decl_value_type {
    DECL_VALUE_NULL,    /* JSON null, an XML element with xsi:nil="true": the field is absent */
    DECL_VALUE_TEXT,    /* a JSON string, or an XML element's text (text and CDATA) */
    DECL_VALUE_NUMBER,  /* a JSON number: its text as written */
    DECL_VALUE_HUGE,    /* a JSON integer of 19 or more digits that json-c clamped: the text is
                           not the sender's (not shown in the fault) */
    DECL_VALUE_BOOLEAN, /* JSON true / false: its text */
    DECL_VALUE_OBJECT,  /* a JSON object: its JSON text */
    DECL_VALUE_ARRAY,   /* a JSON array: its JSON text */
    DECL_VALUE_MARKUP,  /* an XML element with child elements: its text content */
};

struct decl_value {
    enum decl_value_type type;
    const char *text; /* UTF-8, NUL-terminated at text[len] (may hold a U+0000 before); NULL
                         for DECL_VALUE_NULL */
    size_t len;       /* bytes */
};

/*
 * The one check-and-set of a field, for every record form: the value `v` of field `f` into
 * its member of the struct at `base` (a declaration, an item, a document...). Text fields
 * take DECL_VALUE_TEXT; decimals and integers DECL_VALUE_TEXT or DECL_VALUE_NUMBER, read
 * from their text (N19,5 exact decimals, digits-only integers of at most f->max_len
 * digits); DECL_VALUE_NULL leaves the field absent. Anything else, or a text that breaks the
 * format (see the top of this file), is a fault recorded in `into` at `item` (0-based, -1
 * for a header field) with the value as sent, and the member stays absent.
 * Returns 0 (set, absent, or a fault recorded), or -1 when out of memory (err set).
 */
int decl_set_field(const struct decl_decode_into *into, long item, const struct decl_field *f,
                   void *base, const struct decl_value *v, char *err, size_t errlen);

/*
 * Record a fault at `item` (as decl_set_field) named `name`, of value v (NULL when the fault
 * is about no single value: then its value is ""), `fmt` printf-style giving its why.
 * Returns 0 (recorded, or only counted past DECL_MAX_FAULTS), or -1 when out of memory.
 */
int decl_add_fault(const struct decl_decode_into *into, long item, const char *name,
                   const struct decl_value *v, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/*
 * The check of a text key (decl_check_string without the JSON type): s (slen bytes,
 * NUL-terminated at s[slen]) has no U+0000, is not empty when `nonempty`, has at most
 * max_chars code points. Returns 0, or -1 with err "NAME: contains a NUL character
 * (\u0000)", "NAME: empty" or "NAME: longer than MAX characters".
 */
int decl_check_text(const char *s, size_t slen, const char *name, size_t max_chars, bool nonempty,
                    char *err, size_t errlen);

/* Free the string members (per `table`, n entries) of the struct at base. Accepts NULL. */
void decl_free_fields(const struct decl_field *table, size_t n, void *base);

/* Free a declaration and everything it owns. Accepts NULL. */
void declaration_free(struct declaration *d);

/* Number of Unicode code points in a valid UTF-8 string (CEB603 lengths count characters). */
size_t decl_utf8_length(const char *s);

#endif
