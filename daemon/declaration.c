/*
 * declaration.c - decode one CEB603 declaration into struct declaration: the JSON form
 * here (json-c), the XML form in declaration_xml.c (declaration_decode tells them apart by
 * content), both through the one field setter (decl_set_field). The JSON form in named
 * steps: the record prologue every decoder shares (size, strict JSON, an object, a usable
 * logisticsNo: decl_record_parse, also used by scan.c), then the header fields, then the
 * items, each by the field table. See declaration.h for what is refused and why.
 *
 * json-c does the parsing (strict RFC 8259, UTF-8 validated, depth-limited) and keeps the
 * original text of numbers, so decimals go from text to exact decimals without a double.
 * json-c is lenient (and silently keeps the last of duplicate keys), so json_strict.h
 * validates the text first.
 */
#include "declaration.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "declaration_xml.h"
#include "json_strict.h"

#define DECL_MAX_DEPTH 8

/* ------------------------------------------------------------------------------------ */
/* Field tables, made from DECL_HEAD_FIELDS / DECL_ITEM_FIELDS (declaration.h).            */

#define DECL_IS_REQUIRED true
#define DECL_IS_OPTIONAL false
#define DECL_IS_COLUMN   true
#define DECL_IS_PAYLOAD  false

#define DECL_ENTRY(type, field, kind, max, min, req, col)                                          \
    {#field, DECL_##kind, offsetof(type, field), max, min, DECL_IS_##req, DECL_IS_##col},
#define DECL_HEAD_ENTRY(...) DECL_ENTRY(struct declaration, __VA_ARGS__)
#define DECL_ITEM_ENTRY(...) DECL_ENTRY(struct decl_item, __VA_ARGS__)

const struct decl_field decl_head_fields[] = {DECL_HEAD_FIELDS(DECL_HEAD_ENTRY)};
const size_t decl_head_field_count = sizeof(decl_head_fields) / sizeof(decl_head_fields[0]);

const struct decl_field decl_item_fields[] = {DECL_ITEM_FIELDS(DECL_ITEM_ENTRY)};
const size_t decl_item_field_count = sizeof(decl_item_fields) / sizeof(decl_item_fields[0]);

#undef DECL_HEAD_ENTRY
#undef DECL_ITEM_ENTRY
#undef DECL_ENTRY

const struct decl_field *decl_field_find(bool items, const char *name)
{
    const struct decl_field *t = items ? decl_item_fields : decl_head_fields;
    size_t n = items ? decl_item_field_count : decl_head_field_count;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    }
    return NULL;
}

const char *decl_get_string(const void *base, const struct decl_field *f)
{
    return *(char *const *)((const char *)base + f->offset);
}

const struct decl_decimal *decl_get_decimal(const void *base, const struct decl_field *f)
{
    return (const struct decl_decimal *)((const char *)base + f->offset);
}

const struct decl_integer *decl_get_integer(const void *base, const struct decl_field *f)
{
    return (const struct decl_integer *)((const char *)base + f->offset);
}

size_t decl_utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    }
    return n;
}

/* ------------------------------------------------------------------------------------ */
/* Typed fields.                                                                          */

int decl_check_text(const char *s, size_t slen, const char *name, size_t max_chars, bool nonempty,
                    char *err, size_t errlen)
{
    if (memchr(s, '\0', slen)) {
        snprintf(err, errlen, "%s: contains a NUL character (\\u0000)", name);
        return -1;
    }
    if (slen == 0 && nonempty) {
        snprintf(err, errlen, "%s: empty", name);
        return -1;
    }
    /* A code point takes at least one byte: only a longer text needs counting. */
    if (slen > max_chars && decl_utf8_length(s) > max_chars) {
        snprintf(err, errlen, "%s: longer than %zu characters", name, max_chars);
        return -1;
    }
    return 0;
}

const char *decl_check_string(struct json_object *v, const char *name, size_t max_chars,
                              bool nonempty, size_t *len, char *err, size_t errlen)
{
    enum json_type t = json_object_get_type(v);
    if (t != json_type_string) {
        snprintf(err, errlen, "%s: expected a string, got %s", name, json_type_to_name(t));
        return NULL;
    }
    const char *s = json_object_get_string(v);
    size_t slen = (size_t)json_object_get_string_len(v);
    if (decl_check_text(s, slen, name, max_chars, nonempty, err, errlen) < 0)
        return NULL;
    if (len)
        *len = slen;
    return s;
}

/* ------------------------------------------------------------------------------------ */
/* Faults: a known field that breaks the CEB603 format (declaration.h).                   */

/* `src` (len bytes, valid UTF-8) into out (DECL_FAULT_SHOW * 6 + 4 bytes): control
 * characters and U+0000 as \u00XX, cut after DECL_FAULT_SHOW code points with "...". */
static void fault_show(char *out, const char *src, size_t len)
{
    size_t o = 0, chars = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if ((c & 0xC0) != 0x80 && chars++ == DECL_FAULT_SHOW) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

/* "a number", "an object", ... for what a value was sent as, in a fault. */
static const char *fault_type_words(enum decl_value_type t)
{
    switch (t) {
    case DECL_VALUE_TEXT:
        return "text";
    case DECL_VALUE_NUMBER:
    case DECL_VALUE_HUGE:
        return "a number";
    case DECL_VALUE_BOOLEAN:
        return "a boolean";
    case DECL_VALUE_OBJECT:
        return "an object";
    case DECL_VALUE_ARRAY:
        return "an array";
    case DECL_VALUE_MARKUP:
        return "an element with child elements";
    case DECL_VALUE_NULL:
        break;
    }
    return "null";
}

static int fault_vadd(const struct decl_decode_into *into, long item, const char *name,
                      const struct decl_value *v, char *err, size_t errlen, const char *fmt,
                      va_list ap) __attribute__((format(printf, 7, 0)));

static int fault_vadd(const struct decl_decode_into *into, long item, const char *name,
                      const struct decl_value *v, char *err, size_t errlen, const char *fmt,
                      va_list ap)
{
    if ((*into->n_faults)++ >= DECL_MAX_FAULTS)
        return 0; /* counted, not kept */
    if (!*into->faults && !(*into->faults = calloc(DECL_MAX_FAULTS, sizeof(**into->faults)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct decl_fault *f = &(*into->faults)[*into->n_faults - 1];
    f->item = item;
    snprintf(f->name, sizeof(f->name), "%s", name);
    /* A clamped number's text is not the sender's: not shown. */
    if (v && v->type != DECL_VALUE_HUGE) {
        f->text = v->type == DECL_VALUE_TEXT;
        fault_show(f->value, v->text ? v->text : "", v->text ? v->len : 0);
    }
    vsnprintf(f->why, sizeof(f->why), fmt, ap);
    return 0;
}

int decl_add_fault(const struct decl_decode_into *into, long item, const char *name,
                   const struct decl_value *v, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fault_vadd(into, item, name, v, err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* The one field setter: a value as sent (JSON or XML) into its member, or a fault.       */

/* A text field. Returns 0 (decoded, or a fault recorded and the member left NULL) or -1
 * when out of memory. */
static int set_string(const struct decl_decode_into *into, long item, const struct decl_field *f,
                      const struct decl_value *v, char **out, char *err, size_t errlen)
{
    if (v->type != DECL_VALUE_TEXT)
        return decl_add_fault(into, item, f->name, v, err, errlen, "is %s, text expected",
                              fault_type_words(v->type));
    if (memchr(v->text, '\0', v->len))
        return decl_add_fault(into, item, f->name, v, err, errlen,
                              "contains a NUL character (\\u0000)");
    /* A code point takes at least one byte: only a longer text needs counting. */
    if (v->len > DECL_MAX_STRING && decl_utf8_length(v->text) > DECL_MAX_STRING)
        return decl_add_fault(into, item, f->name, v, err, errlen,
                              "is longer than %d characters (the longest %s field)",
                              DECL_MAX_STRING, into->std);
    *out = strndup(v->text, v->len);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* An integer field from its text: digits only, at most max_digits significant digits.
 * Returns 0 (decoded or a fault recorded) or -1 when out of memory. */
static int set_integer(const struct decl_decode_into *into, long item, const struct decl_field *f,
                       const struct decl_value *v, struct decl_integer *out, char *err,
                       size_t errlen)
{
    size_t sig = 0;
    long long val = 0;
    if (v->len == 0)
        return decl_add_fault(into, item, f->name, v, err, errlen,
                              "is empty, a whole number expected");
    for (size_t i = 0; i < v->len; i++) {
        char c = v->text[i];
        if (c < '0' || c > '9')
            return decl_add_fault(into, item, f->name, v, err, errlen,
                                  "is not a whole number (digits only, %s N%u)", into->std,
                                  f->max_len);
        if (sig || c != '0')
            sig++;
        if (sig > f->max_len)
            return decl_add_fault(into, item, f->name, v, err, errlen,
                                  "has more than %u digits (%s N%u)", f->max_len, into->std,
                                  f->max_len);
        val = val * 10 + (c - '0');
    }
    out->present = true;
    out->value = val;
    return 0;
}

/* A decimal field from its text: a plain exact N19,5 decimal (no exponent). Returns 0
 * (decoded or a fault recorded) or -1 when out of memory. */
static int set_decimal(const struct decl_decode_into *into, long item, const struct decl_field *f,
                       const struct decl_value *v, struct decl_decimal *out, char *err,
                       size_t errlen)
{
    char why[128];
    if (memchr(v->text, 'e', v->len) || memchr(v->text, 'E', v->len)) {
        /* "1e3" is a JSON number, but not how CEB603 writes an amount; "NaN" and other
         * words with an e are not numbers at all. */
        struct decimal ignored;
        if (decimal_parse(v->text, v->len, &ignored, why, sizeof(why)) == 0)
            return decl_add_fault(into, item, f->name, v, err, errlen,
                                  "is not a plain decimal number (exponent notation)");
    }
    if (decimal_parse(v->text, v->len, &out->value, why, sizeof(why)) < 0) {
        if (strncmp(why, "not a decimal number", 20) == 0)
            return decl_add_fault(into, item, f->name, v, err, errlen,
                                  "is %s (plain N19,5 expected)", why);
        return decl_add_fault(into, item, f->name, v, err, errlen, "has %s (%s N19,5)", why,
                              into->std);
    }
    out->present = true;
    return 0;
}

int decl_set_field(const struct decl_decode_into *into, long item, const struct decl_field *f,
                   void *base, const struct decl_value *v, char *err, size_t errlen)
{
    char *member = (char *)base + f->offset;

    if (v->type == DECL_VALUE_NULL)
        return 0; /* absent */
    if (f->kind == DECL_STRING)
        return set_string(into, item, f, v, (char **)(void *)member, err, errlen);
    if (v->type != DECL_VALUE_TEXT && v->type != DECL_VALUE_NUMBER && v->type != DECL_VALUE_HUGE)
        return decl_add_fault(into, item, f->name, v, err, errlen, "is %s, %s expected",
                              fault_type_words(v->type),
                              f->kind == DECL_DECIMAL ? "a decimal number" : "a whole number");
    /* More digits than any CEB603 number has. */
    if (v->type == DECL_VALUE_HUGE)
        return decl_add_fault(into, item, f->name, v, err, errlen,
                              "is a number of 19 or more digits, too large for %s N%u%s", into->std,
                              f->max_len, f->kind == DECL_DECIMAL ? ",5" : "");
    if (f->kind == DECL_INTEGER)
        return set_integer(into, item, f, v, (struct decl_integer *)(void *)member, err, errlen);
    return set_decimal(into, item, f, v, (struct decl_decimal *)(void *)member, err, errlen);
}

/* ------------------------------------------------------------------------------------ */
/* JSON values into the setter.                                                           */

/* What the JSON value v (json-c's NULL for null) was sent as. The text of a boolean, an
 * object or an array is its JSON (json-c's buffer inside v: valid while v is). */
static void json_value(json_object *v, struct decl_value *out)
{
    enum json_type t = json_object_get_type(v);
    out->text = NULL;
    out->len = 0;
    switch (t) {
    case json_type_null:
        out->type = DECL_VALUE_NULL;
        return;
    case json_type_string:
        out->type = DECL_VALUE_TEXT;
        out->text = json_object_get_string(v);
        out->len = (size_t)json_object_get_string_len(v);
        return;
    case json_type_int:
    case json_type_double:
        /* For numbers json-c keeps the text as written (json_object_new_double_s), so
         * this is the sender's text, never a double rendered back. */
        out->type = DECL_VALUE_NUMBER;
        out->text = json_object_get_string(v);
        out->len = strlen(out->text);
        /* Except an integer beyond 64 bits, which json-c clamps: its text is not the
         * sender's. */
        if (t == json_type_int && (strcmp(out->text, "18446744073709551615") == 0 ||
                                   strcmp(out->text, "9223372036854775807") == 0 ||
                                   strcmp(out->text, "-9223372036854775808") == 0))
            out->type = DECL_VALUE_HUGE;
        return;
    case json_type_boolean:
        out->type = DECL_VALUE_BOOLEAN;
        break;
    case json_type_object:
        out->type = DECL_VALUE_OBJECT;
        break;
    case json_type_array:
        out->type = DECL_VALUE_ARRAY;
        break;
    }
    out->text =
        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    out->len = out->text ? strlen(out->text) : 0;
}

static int decode_fields(const struct decl_decode_into *into, long item, json_object *obj,
                         const struct decl_field *table, size_t n, void *base, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        json_object *jv;
        struct decl_value v;
        if (!json_object_object_get_ex(obj, table[i].name, &jv))
            continue; /* absent */
        json_value(jv, &v);
        if (decl_set_field(into, item, &table[i], base, &v, err, errlen) < 0)
            return -1;
    }
    return 0;
}

void decl_free_fields(const struct decl_field *table, size_t n, void *base)
{
    if (!base)
        return;
    for (size_t i = 0; i < n; i++) {
        if (table[i].kind == DECL_STRING)
            free(*(char **)((char *)base + table[i].offset));
    }
}

int decl_decode_fields(struct json_object *obj, const struct decl_field *table, size_t n,
                       void *base, const struct decl_decode_into *into, char *err, size_t errlen)
{
    return decode_fields(into, -1, obj, table, n, base, err, errlen);
}

int decl_decode_list(struct json_object *obj, const char *list, size_t max, size_t entry_size,
                     const struct decl_field *table, size_t n, void **entries, size_t *n_entries,
                     const struct decl_decode_into *into, char *err, size_t errlen)
{
    json_object *arr;
    struct decl_value v;
    if (!json_object_object_get_ex(obj, list, &arr) || arr == NULL)
        return 0; /* absent or null */
    if (json_object_get_type(arr) != json_type_array) {
        json_value(arr, &v);
        return decl_add_fault(into, -1, list, &v, err, errlen, "is %s, a list of %s expected",
                              fault_type_words(v.type), list);
    }
    size_t count = json_object_array_length(arr);
    if (count > max)
        return decl_add_fault(into, -1, list, NULL, err, errlen,
                              "has %zu entries, %s allows at most %zu", count, into->std, max);
    if (count > 0) {
        *entries = calloc(count, entry_size);
        if (!*entries) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    for (size_t i = 0; i < count; i++) {
        json_object *it = json_object_array_get_idx(arr, i);
        *n_entries = i + 1; /* so that the caller frees what was decoded */
        if (it == NULL || json_object_get_type(it) != json_type_object) {
            /* kept as an entry without fields, so that positions stay as sent */
            json_value(it, &v);
            if (decl_add_fault(into, (long)i, "", &v, err, errlen,
                               "is %s, an item (object) expected", fault_type_words(v.type)) < 0)
                return -1;
            continue;
        }
        if (decode_fields(into, (long)i, it, table, n, (char *)*entries + i * entry_size, err,
                          errlen) < 0)
            return -1;
    }
    return 0;
}

void declaration_free(struct declaration *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_items; i++)
        decl_free_fields(decl_item_fields, decl_item_field_count, &d->items[i]);
    free(d->items);
    free(d->faults);
    decl_free_fields(decl_head_fields, decl_head_field_count, d);
    free(d);
}

/* ------------------------------------------------------------------------------------ */
/* The record prologue every decoder shares (declarations here, scans in scan.c).        */

/* Why json-c refused text the validator took: in practice only a bare top-level number
 * ("12"), which json-c cannot tell is complete. */
static void parse_refusal(const struct decl_record_spec *spec, enum json_tokener_error jerr,
                          size_t end, size_t len, char *err, size_t errlen)
{
    if (spec->json_c_words)
        snprintf(err, errlen, "invalid JSON: %s", json_tokener_error_desc(jerr));
    else if (jerr == json_tokener_continue)
        snprintf(err, errlen, "invalid JSON: unexpected end of input after %zu bytes", len);
    else if (jerr == json_tokener_error_depth)
        snprintf(err, errlen, "invalid JSON: nesting deeper than %d levels at byte %zu",
                 spec->max_depth, end);
    else
        snprintf(err, errlen, "invalid JSON at byte %zu: %s", end, json_tokener_error_desc(jerr));
}

/* Size limits, strict validation, json-c parse, a JSON object. Returns the root, or NULL
 * with err set. A duplicate key (json_strict_validate's -2) is refused at once unless
 * spec->key_despite_duplicate: then the text is parsed anyway (the sender may still be
 * read) and the refusal is left in dup_err for the caller. */
static json_object *record_object(const char *data, size_t len, size_t max_bytes,
                                  const struct decl_record_spec *spec, char *dup_err, size_t duplen,
                                  char *err, size_t errlen)
{
    if (max_bytes == 0)
        max_bytes = spec->default_max_bytes;
    if (len == 0) {
        snprintf(err, errlen, "empty record");
        return NULL;
    }
    if (len > max_bytes) {
        snprintf(err, errlen, "record too large: %zu bytes, limit %zu bytes", len, max_bytes);
        return NULL;
    }
    if (len > (size_t)INT32_MAX) {
        snprintf(err, errlen, "record too large: %zu bytes", len);
        return NULL;
    }
    int vrc = json_strict_validate(data, len, spec->max_depth, err, errlen);
    if (vrc == -1 || (vrc == -2 && !spec->key_despite_duplicate))
        return NULL;
    if (vrc == -2) /* refused, but parse on to find the sender for the receipt */
        snprintf(dup_err, duplen, "%s", err);

    /* json-c's depth counts differently (one more); our validator enforced the limit. */
    struct json_tokener *tok = json_tokener_new_ex(spec->max_depth + 1);
    if (!tok) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok); /* root does not depend on it */

    if (!root) {
        if (dup_err[0])
            snprintf(err, errlen, "%s", dup_err);
        else
            parse_refusal(spec, jerr, end, len, err, errlen);
        return NULL;
    }
    while (end < len &&
           (data[end] == ' ' || data[end] == '\t' || data[end] == '\n' || data[end] == '\r'))
        end++;
    if (end != len) {
        snprintf(err, errlen, "invalid JSON at byte %zu: unexpected data after the object", end);
        json_object_put(root);
        return NULL;
    }
    if (json_object_get_type(root) != json_type_object) {
        snprintf(err, errlen, "not %s: the record is a JSON %s, not an object", spec->what,
                 json_type_to_name(json_object_get_type(root)));
        json_object_put(root);
        return NULL;
    }
    return root;
}

/*
 * logisticsNo as a usable key (1..DECL_MAX_KEY characters, no NUL, *len bytes), else NULL
 * with the reason in err.
 */
static const char *usable_key(json_object *root, const struct decl_record_spec *spec, size_t *len,
                              char *err, size_t errlen)
{
    const char *name = spec->key_name ? spec->key_name : "logisticsNo";
    json_object *v;
    if (!json_object_object_get_ex(root, name, &v) || v == NULL) {
        snprintf(err, errlen, "%s", spec->key_missing);
        return NULL;
    }
    return decl_check_string(v, name, spec->key_max ? spec->key_max : DECL_MAX_KEY, true, len, err,
                             errlen);
}

struct json_object *decl_record_parse(const char *data, size_t len, size_t max_bytes,
                                      const struct decl_record_spec *spec, char **key_out,
                                      const char **key, char *err, size_t errlen)
{
    char dup_err[256] = "";

    if (key_out)
        *key_out = NULL;
    json_object *root =
        record_object(data, len, max_bytes, spec, dup_err, sizeof(dup_err), err, errlen);
    if (!root)
        return NULL;

    size_t klen = 0;
    char key_err[256];
    const char *k = usable_key(root, spec, &klen, key_err, sizeof(key_err));
    /* With a duplicated key the sender is ambiguous: no receipt key then. */
    char quoted[40];
    snprintf(quoted, sizeof(quoted), "\"%s\"", spec->key_name ? spec->key_name : "logisticsNo");
    if (k && key_out && !strstr(dup_err, quoted) && !(*key_out = strndup(k, klen))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (dup_err[0]) {
        snprintf(err, errlen, "%s", dup_err);
        goto fail;
    }
    if (!k) {
        snprintf(err, errlen, "%s", key_err);
        goto fail;
    }
    if (key)
        *key = k;
    return root;
fail:
    json_object_put(root);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* The declaration.                                                                       */

/* The JSON form (the XML form is declaration_xml.c's). */
static struct declaration *decode_json(const char *data, size_t len, size_t max_bytes,
                                       char **key_out, char *err, size_t errlen)
{
    static const struct decl_record_spec spec = {
        .what = "a declaration",
        .default_max_bytes = DECL_DEFAULT_MAX_BYTES,
        .max_depth = DECL_MAX_DEPTH,
        .key_missing = "logisticsNo: missing (it is the declaration's key)",
        .key_despite_duplicate = true,
    };
    json_object *root = decl_record_parse(data, len, max_bytes, &spec, key_out, NULL, err, errlen);
    if (!root)
        return NULL;

    struct declaration *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        json_object_put(root);
        return NULL;
    }
    struct decl_decode_into into = {&d->n_faults, &d->faults, "CEB603"};
    void *items = NULL;
    int rc =
        decl_decode_fields(root, decl_head_fields, decl_head_field_count, d, &into, err, errlen);
    if (rc == 0)
        rc = decl_decode_list(root, "items", DECL_MAX_ITEMS, sizeof(*d->items), decl_item_fields,
                              decl_item_field_count, &items, &d->n_items, &into, err, errlen);
    d->items = items;
    if (rc < 0) {
        declaration_free(d);
        d = NULL;
    }
    json_object_put(root);
    return d;
}

struct declaration *declaration_decode(const char *data, size_t len, size_t max_bytes,
                                       char **key_out, char *err, size_t errlen)
{
    if (declaration_xml_is_xml(data, len))
        return declaration_xml_decode(data, len, max_bytes, key_out, err, errlen);
    return decode_json(data, len, max_bytes, key_out, err, errlen);
}
