/*
 * declaration.c - decode one CEB603 declaration from JSON (json-c) into struct declaration,
 * in named steps: the record prologue every decoder shares (size, strict JSON, an object,
 * a usable logisticsNo: decl_record_parse, also used by scan.c), then the header fields,
 * then the items, each by the field table. See declaration.h for what is refused and why.
 *
 * json-c does the parsing (strict RFC 8259, UTF-8 validated, depth-limited) and keeps the
 * original text of numbers, so decimals go from text to exact decimals without a double.
 * json-c is lenient (and silently keeps the last of duplicate keys), so json_strict.h
 * validates the text first.
 */
#include "declaration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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

static void field_name(char *buf, size_t buflen, long item, const char *name)
{
    if (item >= 0)
        snprintf(buf, buflen, "items[%ld].%s", item, name);
    else
        snprintf(buf, buflen, "%s", name);
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
    if (memchr(s, '\0', slen)) {
        snprintf(err, errlen, "%s: contains a NUL character (\\u0000)", name);
        return NULL;
    }
    if (slen == 0 && nonempty) {
        snprintf(err, errlen, "%s: empty", name);
        return NULL;
    }
    /* A code point takes at least one byte: only a longer text needs counting. */
    if (slen > max_chars && decl_utf8_length(s) > max_chars) {
        snprintf(err, errlen, "%s: longer than %zu characters", name, max_chars);
        return NULL;
    }
    if (len)
        *len = slen;
    return s;
}

/* A text field (`name` as the refusal names it). Returns 0 or -1 with err set. */
static int decode_string(json_object *v, const char *name, char **out, char *err, size_t errlen)
{
    size_t slen;
    const char *s = decl_check_string(v, name, DECL_MAX_STRING, false, &slen, err, errlen);
    if (!s)
        return -1;
    *out = strndup(s, slen);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* An integer field from its text: digits only, at most max_digits significant digits. */
static int decode_integer(const char *text, size_t tlen, unsigned max_digits, const char *name,
                          struct decl_integer *out, char *err, size_t errlen)
{
    size_t sig = 0;
    long long val = 0;
    if (tlen == 0) {
        snprintf(err, errlen, "%s: expected an integer, got an empty string", name);
        return -1;
    }
    for (size_t i = 0; i < tlen; i++) {
        if (text[i] < '0' || text[i] > '9') {
            snprintf(err, errlen, "%s: expected a non-negative integer, got \"%.40s\"", name, text);
            return -1;
        }
        if (sig || text[i] != '0')
            sig++;
        if (sig > max_digits) {
            snprintf(err, errlen, "%s: more than %u digits", name, max_digits);
            return -1;
        }
        val = val * 10 + (text[i] - '0');
    }
    out->present = true;
    out->value = val;
    return 0;
}

/* Decode one field of `obj` into `base`. Returns 0 or -1 with err set. */
static int decode_field(json_object *obj, const struct decl_field *f, void *base, long item,
                        char *err, size_t errlen)
{
    json_object *v;
    char name[64];
    char *member = (char *)base + f->offset;

    if (!json_object_object_get_ex(obj, f->name, &v) || v == NULL)
        return 0; /* absent or null */
    field_name(name, sizeof(name), item, f->name);
    if (f->kind == DECL_STRING)
        return decode_string(v, name, (char **)(void *)member, err, errlen);

    enum json_type t = json_object_get_type(v);
    if (t != json_type_string && t != json_type_int && t != json_type_double) {
        snprintf(err, errlen, "%s: expected a %s, got %s", name,
                 f->kind == DECL_DECIMAL ? "decimal number or string" : "integer",
                 json_type_to_name(t));
        return -1;
    }
    /* For numbers json-c keeps the text as written (json_object_new_double_s), so this is
     * the sender's text, never a double rendered back. */
    const char *text = json_object_get_string(v);
    size_t tlen = t == json_type_string ? (size_t)json_object_get_string_len(v) : strlen(text);
    if (f->kind == DECL_INTEGER)
        return decode_integer(text, tlen, f->max_len, name, (struct decl_integer *)(void *)member,
                              err, errlen);

    struct decl_decimal *d = (struct decl_decimal *)(void *)member;
    char why[128];
    if (decimal_parse(text, tlen, &d->value, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s: %s (\"%.40s\")", name, why, text);
        return -1;
    }
    d->present = true;
    return 0;
}

static int decode_fields(json_object *obj, const struct decl_field *table, size_t n, void *base,
                         long item, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (decode_field(obj, &table[i], base, item, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static void free_strings(const struct decl_field *table, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].kind == DECL_STRING)
            free(*(char **)((char *)base + table[i].offset));
    }
}

void declaration_free(struct declaration *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_items; i++)
        free_strings(decl_item_fields, decl_item_field_count, &d->items[i]);
    free(d->items);
    free_strings(decl_head_fields, decl_head_field_count, d);
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
    json_object *v;
    if (!json_object_object_get_ex(root, "logisticsNo", &v) || v == NULL) {
        snprintf(err, errlen, "%s", spec->key_missing);
        return NULL;
    }
    return decl_check_string(v, "logisticsNo", DECL_MAX_KEY, true, len, err, errlen);
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
    /* With a duplicated logisticsNo the sender is ambiguous: no receipt key then. */
    if (k && key_out && !strstr(dup_err, "\"logisticsNo\"") && !(*key_out = strndup(k, klen))) {
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

/* The items array into d->items. Returns 0 or -1 with err set. */
static int decode_items(json_object *root, struct declaration *d, char *err, size_t errlen)
{
    json_object *items;
    if (!json_object_object_get_ex(root, "items", &items) || items == NULL)
        return 0; /* absent or null */
    if (json_object_get_type(items) != json_type_array) {
        snprintf(err, errlen, "items: expected an array, got %s",
                 json_type_to_name(json_object_get_type(items)));
        return -1;
    }
    size_t n = json_object_array_length(items);
    if (n > DECL_MAX_ITEMS) {
        snprintf(err, errlen, "items: %zu entries, CEB603 allows at most %d", n, DECL_MAX_ITEMS);
        return -1;
    }
    if (n > 0) {
        d->items = calloc(n, sizeof(*d->items));
        if (!d->items) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        d->n_items = i + 1; /* so declaration_free frees what was decoded */
        if (it == NULL || json_object_get_type(it) != json_type_object) {
            snprintf(err, errlen, "items[%zu]: expected an object, got %s", i,
                     json_type_to_name(json_object_get_type(it)));
            return -1;
        }
        if (decode_fields(it, decl_item_fields, decl_item_field_count, &d->items[i], (long)i, err,
                          errlen) < 0)
            return -1;
    }
    return 0;
}

struct declaration *declaration_decode(const char *data, size_t len, size_t max_bytes,
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
    } else if (decode_fields(root, decl_head_fields, decl_head_field_count, d, -1, err, errlen) <
                   0 ||
               decode_items(root, d, err, errlen) < 0) {
        declaration_free(d);
        d = NULL;
    }
    json_object_put(root);
    return d;
}
