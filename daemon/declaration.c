/*
 * declaration.c - decode one CEB603 declaration from JSON (json-c) into struct declaration.
 * See declaration.h for what is refused and why.
 *
 * json-c does the parsing (strict RFC 8259, UTF-8 validated, depth-limited) and keeps the
 * original text of numbers, so decimals go from text to exact decimals without a double.
 * json-c silently keeps the last of duplicate keys, so a second pass over the text checks
 * that every object's keys are unique (keys are compared after unescaping).
 */
#include "declaration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define DECL_MAX_DEPTH 8

/* ------------------------------------------------------------------------------------ */
/* Field tables: CEB603 InventoryHead / InventoryList (E-Port XSD 2018-05, DOMAIN.md §1). */

#define H(name, kind, maxl, minl, req)                                                             \
    {                                                                                              \
#name, kind, offsetof(struct declaration, name), maxl, minl, req                           \
    }
#define I(name, kind, maxl, minl, req)                                                             \
    {                                                                                              \
#name, kind, offsetof(struct decl_item, name), maxl, minl, req                             \
    }

const struct decl_field decl_head_fields[] = {
    H(guid, DECL_STRING, 36, 36, true),
    H(appType, DECL_STRING, 1, 1, true),
    H(appTime, DECL_STRING, 14, 14, true),
    H(appStatus, DECL_STRING, 1, 1, true),
    H(customsCode, DECL_STRING, 4, 4, true),
    H(ebpCode, DECL_STRING, 50, 0, true),
    H(ebpName, DECL_STRING, 100, 0, true),
    H(orderNo, DECL_STRING, 60, 0, true),
    H(logisticsCode, DECL_STRING, 18, 0, true),
    H(logisticsName, DECL_STRING, 100, 0, true),
    H(logisticsNo, DECL_STRING, 80, 0, true),
    H(copNo, DECL_STRING, 30, 0, true),
    H(preNo, DECL_STRING, 18, 18, false),
    H(invtNo, DECL_STRING, 18, 18, false),
    H(ieFlag, DECL_STRING, 1, 1, true),
    H(portCode, DECL_STRING, 4, 4, true),
    H(ieDate, DECL_STRING, 8, 8, true),
    H(statisticsFlag, DECL_STRING, 1, 1, true),
    H(agentCode, DECL_STRING, 18, 0, true),
    H(agentName, DECL_STRING, 100, 0, true),
    H(ebcCode, DECL_STRING, 18, 0, true),
    H(ebcName, DECL_STRING, 100, 0, true),
    H(ownerCode, DECL_STRING, 18, 0, true),
    H(ownerName, DECL_STRING, 100, 0, true),
    H(iacCode, DECL_STRING, 18, 0, false),
    H(iacName, DECL_STRING, 100, 0, false),
    H(emsNo, DECL_STRING, 30, 0, false),
    H(tradeMode, DECL_STRING, 4, 4, true),
    H(trafMode, DECL_STRING, 1, 1, true),
    H(trafName, DECL_STRING, 100, 0, false),
    H(voyageNo, DECL_STRING, 32, 0, false),
    H(billNo, DECL_STRING, 37, 0, false),
    H(totalPackageNo, DECL_STRING, 60, 0, false),
    H(loctNo, DECL_STRING, 10, 0, false),
    H(licenseNo, DECL_STRING, 19, 0, false),
    H(country, DECL_STRING, 3, 3, true),
    H(POD, DECL_STRING, 4, 3, true),
    H(freight, DECL_DECIMAL, 19, 0, true),
    H(fCurrency, DECL_STRING, 3, 3, true),
    H(fFlag, DECL_STRING, 1, 1, true),
    H(insuredFee, DECL_DECIMAL, 19, 0, true),
    H(iCurrency, DECL_STRING, 3, 3, true),
    H(iFlag, DECL_STRING, 1, 1, true),
    H(wrapType, DECL_STRING, 1, 1, true),
    H(packNo, DECL_INTEGER, 9, 0, true),
    H(grossWeight, DECL_DECIMAL, 19, 0, true),
    H(netWeight, DECL_DECIMAL, 19, 0, true),
    H(note, DECL_STRING, 1000, 0, false),
};
const size_t decl_head_field_count = sizeof(decl_head_fields) / sizeof(decl_head_fields[0]);

const struct decl_field decl_item_fields[] = {
    I(gnum, DECL_INTEGER, 5, 0, true),          I(itemNo, DECL_STRING, 20, 0, true),
    I(itemRecordNo, DECL_STRING, 30, 0, false), I(itemName, DECL_STRING, 250, 0, false),
    I(gcode, DECL_STRING, 10, 10, true),        I(gname, DECL_STRING, 250, 0, true),
    I(gmodel, DECL_STRING, 250, 0, true),       I(barCode, DECL_STRING, 50, 0, true),
    I(country, DECL_STRING, 3, 3, true),        I(currency, DECL_STRING, 3, 3, true),
    I(qty, DECL_DECIMAL, 19, 0, true),          I(qty1, DECL_DECIMAL, 19, 0, true),
    I(qty2, DECL_DECIMAL, 19, 0, false),        I(unit, DECL_STRING, 3, 3, true),
    I(unit1, DECL_STRING, 3, 3, true),          I(unit2, DECL_STRING, 3, 3, false),
    I(price, DECL_DECIMAL, 19, 0, true),        I(totalPrice, DECL_DECIMAL, 19, 0, true),
    I(note, DECL_STRING, 1000, 0, false),
};
const size_t decl_item_field_count = sizeof(decl_item_fields) / sizeof(decl_item_fields[0]);

#undef H
#undef I

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

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    }
    return n;
}

/* ------------------------------------------------------------------------------------ */
/* Strict JSON validation (json-c is lenient: leading zeros, "1.", raw tabs, overlong   */
/* UTF-8, NaN, duplicate keys, lone surrogates all pass it).                            */

struct key_ref {
    const char *p; /* key text without quotes, possibly with escapes */
    size_t len;
    char *unescaped; /* malloc'd when the key had escapes */
};

static void append_utf8(char *out, size_t *o, unsigned cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xC0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xE0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*o)++] = (char)(0xF0 | (cp >> 18));
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* Unescape a JSON string body that json-c accepted (so escapes are well-formed). */
static char *unescape(const char *p, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\\' || i + 1 >= len) {
            out[o++] = p[i];
            continue;
        }
        char c = p[++i];
        switch (c) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u':
            if (i + 4 < len) {
                unsigned cp = hex4(p + i + 1);
                i += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < len && p[i + 1] == '\\' &&
                    p[i + 2] == 'u') {
                    unsigned lo = hex4(p + i + 3);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                append_utf8(out, &o, cp);
            }
            break;
        default:
            out[o++] = c;
            break; /* \" \\ \/ */
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static int key_cmp(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    const char *xp = x->unescaped ? x->unescaped : x->p;
    const char *yp = y->unescaped ? y->unescaped : y->p;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(xp, yp, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/*
 * The validator: one recursive-descent pass (depth <= DECL_MAX_DEPTH, so the recursion is
 * bounded) over the whole record that accepts exactly RFC 8259 JSON text with strict UTF-8
 * (Unicode 15 table 3-7: no overlongs, no encoded surrogates, nothing above U+10FFFF),
 * unique keys in every object (compared after unescaping), and no lone UTF-16 surrogate
 * escapes. Only then does json-c build the tree.
 */
struct validator {
    const char *s;
    size_t len, i;
    int depth;
    char *err;
    size_t errlen;
    char path[160]; /* where we are, for messages: items[2] */
    int duplicate;  /* the failure was a duplicate key (the text itself is JSON so far) */
};

static int v_fail(struct validator *v, const char *what)
{
    snprintf(v->err, v->errlen, "invalid JSON at byte %zu%s%s: %s", v->i, v->path[0] ? " in " : "",
             v->path, what);
    return -1;
}

static void v_ws(struct validator *v)
{
    while (v->i < v->len &&
           (v->s[v->i] == ' ' || v->s[v->i] == '\t' || v->s[v->i] == '\n' || v->s[v->i] == '\r'))
        v->i++;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Length of the strict UTF-8 sequence at p (1..4), or 0 when it is not valid UTF-8. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 &&
                       (p[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

/* A string starting at the opening quote; body and body_len get the text between quotes. */
static int v_string(struct validator *v, const char **body, size_t *body_len)
{
    size_t start = ++v->i;
    while (v->i < v->len) {
        unsigned char c = (unsigned char)v->s[v->i];
        if (c == '"') {
            *body = v->s + start;
            *body_len = v->i - start;
            v->i++;
            return 0;
        }
        if (c < 0x20)
            return v_fail(v, "control character in a string (must be escaped)");
        if (c == '\\') {
            if (v->i + 1 >= v->len)
                break;
            char e = v->s[v->i + 1];
            if (e == 'u') {
                if (v->i + 5 >= v->len || !is_hex(v->s[v->i + 2]) || !is_hex(v->s[v->i + 3]) ||
                    !is_hex(v->s[v->i + 4]) || !is_hex(v->s[v->i + 5]))
                    return v_fail(v, "bad \\u escape");
                unsigned cp = hex4(v->s + v->i + 2);
                if (cp >= 0xDC00 && cp < 0xE000)
                    return v_fail(v, "lone UTF-16 surrogate escape");
                if (cp >= 0xD800 && cp < 0xDC00) {
                    size_t j = v->i + 6;
                    if (j + 5 >= v->len || v->s[j] != '\\' || v->s[j + 1] != 'u' ||
                        !is_hex(v->s[j + 2]) || !is_hex(v->s[j + 3]) || !is_hex(v->s[j + 4]) ||
                        !is_hex(v->s[j + 5]))
                        return v_fail(v, "lone UTF-16 surrogate escape");
                    unsigned lo = hex4(v->s + j + 2);
                    if (lo < 0xDC00 || lo >= 0xE000)
                        return v_fail(v, "lone UTF-16 surrogate escape");
                    v->i += 12;
                } else {
                    v->i += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return v_fail(v, "bad escape in a string");
            v->i += 2;
            continue;
        }
        size_t n = utf8_seq((const unsigned char *)v->s + v->i, v->len - v->i);
        if (n == 0)
            return v_fail(v, "invalid UTF-8");
        v->i += n;
    }
    return v_fail(v, "unterminated string (unexpected end of input)");
}

static int v_digits(struct validator *v)
{
    size_t start = v->i;
    while (v->i < v->len && v->s[v->i] >= '0' && v->s[v->i] <= '9')
        v->i++;
    return v->i > start ? 0 : -1;
}

static int v_number(struct validator *v)
{
    if (v->s[v->i] == '-')
        v->i++;
    if (v->i < v->len && v->s[v->i] == '0') {
        v->i++;
        if (v->i < v->len && v->s[v->i] >= '0' && v->s[v->i] <= '9')
            return v_fail(v, "number with a leading zero");
    } else if (v_digits(v) < 0) {
        if (v->i < v->len && v->s[v->i] == 'I')
            return v_fail(v, "NaN and Infinity are not JSON");
        return v_fail(v, "bad number");
    }
    if (v->i < v->len && v->s[v->i] == '.') {
        v->i++;
        if (v_digits(v) < 0)
            return v_fail(v, "bad number (no digit after the point)");
    }
    if (v->i < v->len && (v->s[v->i] == 'e' || v->s[v->i] == 'E')) {
        v->i++;
        if (v->i < v->len && (v->s[v->i] == '+' || v->s[v->i] == '-'))
            v->i++;
        if (v_digits(v) < 0)
            return v_fail(v, "bad number (no digit in the exponent)");
    }
    return 0;
}

static int v_literal(struct validator *v, const char *word)
{
    size_t n = strlen(word);
    if (v->len - v->i < n || memcmp(v->s + v->i, word, n) != 0)
        return v_fail(v, "unexpected character");
    v->i += n;
    return 0;
}

static int v_value(struct validator *v);

static int v_check_keys(struct validator *v, struct key_ref *keys, size_t n)
{
    if (n < 2)
        return 0;
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (size_t k = 1; k < n; k++) {
        if (key_cmp(&keys[k - 1], &keys[k]) == 0) {
            const struct key_ref *d = &keys[k];
            v->duplicate = 1;
            snprintf(v->err, v->errlen, "duplicate key \"%.*s\" in %s",
                     (int)(d->len > 64 ? 64 : d->len), d->unescaped ? d->unescaped : d->p,
                     v->path[0] ? v->path : "the top-level object");
            return -1;
        }
    }
    return 0;
}

static void keys_free(struct key_ref *keys, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(keys[k].unescaped);
    free(keys);
}

static int v_object(struct validator *v)
{
    struct key_ref *keys = NULL;
    size_t n = 0, cap = 0, path_len = strlen(v->path);
    int rc = -1;

    v->i++; /* { */
    v_ws(v);
    if (v->i < v->len && v->s[v->i] == '}') {
        v->i++;
        return 0;
    }
    for (;;) {
        if (v->i >= v->len || v->s[v->i] != '"') {
            v_fail(v, v->i >= v->len ? "unexpected end of input" : "expected a key string");
            break;
        }
        struct key_ref k = {NULL, 0, NULL};
        if (v_string(v, &k.p, &k.len) < 0)
            break;
        if (memchr(k.p, '\\', k.len)) {
            k.unescaped = unescape(k.p, k.len, &k.len);
            if (!k.unescaped) {
                snprintf(v->err, v->errlen, "out of memory");
                break;
            }
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct key_ref *nk = realloc(keys, ncap * sizeof(*nk));
            if (!nk) {
                free(k.unescaped);
                snprintf(v->err, v->errlen, "out of memory");
                break;
            }
            keys = nk;
            cap = ncap;
        }
        keys[n++] = k;
        v_ws(v);
        if (v->i >= v->len || v->s[v->i] != ':') {
            v_fail(v, "expected ':' after a key");
            break;
        }
        v->i++;
        v_ws(v);
        snprintf(v->path + path_len, sizeof(v->path) - path_len, "%s%.*s", path_len ? "." : "",
                 (int)(k.len > 40 ? 40 : k.len), k.unescaped ? k.unescaped : k.p);
        int vr = v_value(v);
        v->path[path_len] = '\0';
        if (vr < 0)
            break;
        v_ws(v);
        if (v->i < v->len && v->s[v->i] == ',') {
            v->i++;
            v_ws(v);
            continue;
        }
        if (v->i < v->len && v->s[v->i] == '}') {
            v->i++;
            rc = v_check_keys(v, keys, n);
            break;
        }
        v_fail(v, v->i >= v->len ? "unexpected end of input" : "expected ',' or '}'");
        break;
    }
    keys_free(keys, n);
    return rc;
}

static int v_array(struct validator *v)
{
    size_t path_len = strlen(v->path);
    long index = 0;

    v->i++; /* [ */
    v_ws(v);
    if (v->i < v->len && v->s[v->i] == ']') {
        v->i++;
        return 0;
    }
    for (;;) {
        snprintf(v->path + path_len, sizeof(v->path) - path_len, "[%ld]", index++);
        int vr = v_value(v);
        v->path[path_len] = '\0';
        if (vr < 0)
            return -1;
        v_ws(v);
        if (v->i < v->len && v->s[v->i] == ',') {
            v->i++;
            v_ws(v);
            continue;
        }
        if (v->i < v->len && v->s[v->i] == ']') {
            v->i++;
            return 0;
        }
        return v_fail(v, v->i >= v->len ? "unexpected end of input" : "expected ',' or ']'");
    }
}

static int v_value(struct validator *v)
{
    if (v->i >= v->len)
        return v_fail(v, "unexpected end of input");
    char c = v->s[v->i];
    if (c == '{' || c == '[') {
        if (v->depth >= DECL_MAX_DEPTH) {
            snprintf(v->err, v->errlen, "invalid JSON at byte %zu: nesting deeper than %d levels",
                     v->i, DECL_MAX_DEPTH);
            return -1;
        }
        v->depth++;
        int rc = c == '{' ? v_object(v) : v_array(v);
        v->depth--;
        return rc;
    }
    if (c == '"') {
        const char *b;
        size_t bl;
        return v_string(v, &b, &bl);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return v_number(v);
    if (c == 't')
        return v_literal(v, "true");
    if (c == 'f')
        return v_literal(v, "false");
    if (c == 'n')
        return v_literal(v, "null");
    if (c == 'N' || c == 'I')
        return v_fail(v, "NaN and Infinity are not JSON");
    return v_fail(v, "unexpected character");
}

/*
 * Validate the whole record as one JSON text. Returns 0, or -1 with err set, or -2 with
 * err set when the refusal is a duplicate key (so the caller may still read the sender's
 * logisticsNo for a receipt).
 */
static int json_validate(const char *s, size_t len, char *err, size_t errlen)
{
    struct validator v = {.s = s, .len = len, .err = err, .errlen = errlen};
    v_ws(&v);
    if (v_value(&v) < 0)
        return v.duplicate ? -2 : -1;
    v_ws(&v);
    if (v.i != len)
        return v_fail(&v, "unexpected data after the JSON value");
    return 0;
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

/* Decode one field of `obj` into `base`. Returns 0 or -1 with err set. */
static int decode_field(json_object *obj, const struct decl_field *f, void *base, long item,
                        char *err, size_t errlen)
{
    json_object *v;
    char name[64];

    if (!json_object_object_get_ex(obj, f->name, &v) || v == NULL)
        return 0; /* absent or null */
    field_name(name, sizeof(name), item, f->name);
    enum json_type t = json_object_get_type(v);

    if (f->kind == DECL_STRING) {
        if (t != json_type_string) {
            snprintf(err, errlen, "%s: expected a string, got %s", name, json_type_to_name(t));
            return -1;
        }
        const char *s = json_object_get_string(v);
        int slen = json_object_get_string_len(v);
        if (memchr(s, '\0', (size_t)slen)) {
            snprintf(err, errlen, "%s: contains a NUL character (\\u0000)", name);
            return -1;
        }
        if ((size_t)slen > DECL_MAX_STRING && utf8_length(s) > DECL_MAX_STRING) {
            snprintf(err, errlen, "%s: longer than %d characters", name, DECL_MAX_STRING);
            return -1;
        }
        char *copy = strndup(s, (size_t)slen);
        if (!copy) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        *(char **)((char *)base + f->offset) = copy;
        return 0;
    }

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

    if (f->kind == DECL_DECIMAL) {
        struct decl_decimal *d = (struct decl_decimal *)((char *)base + f->offset);
        char why[128];
        if (decimal_parse(text, tlen, &d->value, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s: %s (\"%.40s\")", name, why, text);
            return -1;
        }
        d->present = true;
        return 0;
    }

    /* DECL_INTEGER: digits only, at most f->max_len significant digits. */
    struct decl_integer *n = (struct decl_integer *)((char *)base + f->offset);
    size_t i = 0, sig = 0;
    long long val = 0;
    if (tlen == 0) {
        snprintf(err, errlen, "%s: expected an integer, got an empty string", name);
        return -1;
    }
    for (; i < tlen; i++) {
        if (text[i] < '0' || text[i] > '9') {
            snprintf(err, errlen, "%s: expected a non-negative integer, got \"%.40s\"", name, text);
            return -1;
        }
        if (sig || text[i] != '0')
            sig++;
        if (sig > f->max_len) {
            snprintf(err, errlen, "%s: more than %u digits", name, f->max_len);
            return -1;
        }
        val = val * 10 + (text[i] - '0');
    }
    n->present = true;
    n->value = val;
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

/* logisticsNo as a usable key (1..80 characters, no NUL), else NULL. */
static const char *usable_key(json_object *root, size_t *len)
{
    json_object *v;
    if (!json_object_object_get_ex(root, "logisticsNo", &v) ||
        json_object_get_type(v) != json_type_string)
        return NULL;
    const char *s = json_object_get_string(v);
    int slen = json_object_get_string_len(v);
    if (slen <= 0 || memchr(s, '\0', (size_t)slen) || utf8_length(s) > DECL_MAX_KEY)
        return NULL;
    *len = (size_t)slen;
    return s;
}

struct declaration *declaration_decode(const char *data, size_t len, size_t max_bytes,
                                       char **key_out, char *err, size_t errlen)
{
    struct json_tokener *tok = NULL;
    json_object *root = NULL;
    struct declaration *d = NULL;

    if (key_out)
        *key_out = NULL;
    if (max_bytes == 0)
        max_bytes = DECL_DEFAULT_MAX_BYTES;
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

    char dup_err[256] = "";
    int vrc = json_validate(data, len, err, errlen);
    if (vrc == -1)
        return NULL;
    if (vrc == -2) /* refused, but parse on to find the sender for the receipt */
        snprintf(dup_err, sizeof(dup_err), "%s", err);
    /* json-c's depth counts differently (one more); our validator enforced the limit. */
    tok = json_tokener_new_ex(DECL_MAX_DEPTH + 1);
    if (!tok) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (!root && dup_err[0]) {
        snprintf(err, errlen, "%s", dup_err);
        goto fail;
    }
    if (!root) {
        if (jerr == json_tokener_continue)
            snprintf(err, errlen, "invalid JSON: unexpected end of input after %zu bytes", len);
        else if (jerr == json_tokener_error_depth)
            snprintf(err, errlen, "invalid JSON: nesting deeper than %d levels at byte %zu",
                     DECL_MAX_DEPTH, end);
        else
            snprintf(err, errlen, "invalid JSON at byte %zu: %s", end,
                     json_tokener_error_desc(jerr));
        goto fail;
    }
    while (end < len &&
           (data[end] == ' ' || data[end] == '\t' || data[end] == '\n' || data[end] == '\r'))
        end++;
    if (end != len) {
        snprintf(err, errlen, "invalid JSON at byte %zu: unexpected data after the object", end);
        goto fail;
    }
    if (json_object_get_type(root) != json_type_object) {
        snprintf(err, errlen, "not a declaration: the record is a JSON %s, not an object",
                 json_type_to_name(json_object_get_type(root)));
        goto fail;
    }

    size_t klen = 0;
    const char *key = usable_key(root, &klen);
    /* With a duplicated logisticsNo the sender is ambiguous: no receipt key then. */
    if (key && key_out && !strstr(dup_err, "\"logisticsNo\""))
        *key_out = strndup(key, klen);
    if (dup_err[0]) {
        snprintf(err, errlen, "%s", dup_err);
        goto fail;
    }

    json_object *lv;
    if (!json_object_object_get_ex(root, "logisticsNo", &lv) || lv == NULL) {
        snprintf(err, errlen, "logisticsNo: missing (it is the declaration's key)");
        goto fail;
    }
    if (!key) {
        if (json_object_get_type(lv) != json_type_string)
            snprintf(err, errlen, "logisticsNo: expected a string, got %s",
                     json_type_to_name(json_object_get_type(lv)));
        else if (json_object_get_string_len(lv) == 0)
            snprintf(err, errlen, "logisticsNo: empty");
        else if (memchr(json_object_get_string(lv), '\0', (size_t)json_object_get_string_len(lv)))
            snprintf(err, errlen, "logisticsNo: contains a NUL character (\\u0000)");
        else
            snprintf(err, errlen, "logisticsNo: longer than %d characters", DECL_MAX_KEY);
        goto fail;
    }

    d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (decode_fields(root, decl_head_fields, decl_head_field_count, d, -1, err, errlen) < 0)
        goto fail;

    json_object *items;
    if (json_object_object_get_ex(root, "items", &items) && items != NULL) {
        if (json_object_get_type(items) != json_type_array) {
            snprintf(err, errlen, "items: expected an array, got %s",
                     json_type_to_name(json_object_get_type(items)));
            goto fail;
        }
        size_t n = json_object_array_length(items);
        if (n > DECL_MAX_ITEMS) {
            snprintf(err, errlen, "items: %zu entries, CEB603 allows at most %d", n,
                     DECL_MAX_ITEMS);
            goto fail;
        }
        if (n > 0) {
            d->items = calloc(n, sizeof(*d->items));
            if (!d->items) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
        }
        for (size_t i = 0; i < n; i++) {
            json_object *it = json_object_array_get_idx(items, i);
            d->n_items = i + 1; /* so declaration_free frees what was decoded */
            if (it == NULL || json_object_get_type(it) != json_type_object) {
                snprintf(err, errlen, "items[%zu]: expected an object, got %s", i,
                         json_type_to_name(json_object_get_type(it)));
                goto fail;
            }
            if (decode_fields(it, decl_item_fields, decl_item_field_count, &d->items[i], (long)i,
                              err, errlen) < 0)
                goto fail;
        }
    }
    json_object_put(root);
    json_tokener_free(tok);
    return d;

fail:
    declaration_free(d);
    json_object_put(root);
    json_tokener_free(tok);
    return NULL;
}
