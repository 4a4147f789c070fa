/*
 * json_strict.c - strict JSON validation in front of json-c. See json_strict.h.
 */
#include "json_strict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * The validator: one recursive-descent pass (depth <= v->max_depth, so the recursion is
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
    int max_depth;
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
        if (v->depth >= v->max_depth) {
            snprintf(v->err, v->errlen, "invalid JSON at byte %zu: nesting deeper than %d levels",
                     v->i, v->max_depth);
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
int json_strict_validate(const char *s, size_t len, int max_depth, char *err, size_t errlen)
{
    struct validator v = {.s = s, .len = len, .err = err, .errlen = errlen, .max_depth = max_depth};
    v_ws(&v);
    if (v_value(&v) < 0)
        return v.duplicate ? -2 : -1;
    v_ws(&v);
    if (v.i != len)
        return v_fail(&v, "unexpected data after the JSON value");
    return 0;
}

bool json_strict_text(const void *p, size_t len)
{
    const unsigned char *s = p;
    size_t i = 0;
    while (i < len) {
        size_t n = s[i] ? utf8_seq(s + i, len - i) : 0;
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}
