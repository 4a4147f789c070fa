/*
 * pattern.c - regular expressions for field values: regcomp/regexec, with a byte-set matcher
 * for fixed-shape patterns that gives the same answers much faster. See pattern.h.
 */
#include "pattern.h"

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The byte-set matcher ("fastre"): an anchored pattern of at most FASTRE_MAX_ALTS
 * alternatives, each a fixed sequence of at most FASTRE_MAX_LEN bytes, compiles to one
 * 256-bit set of allowed bytes per position and alternative. A value matches when an
 * alternative of its length allows each of its bytes.
 */
#define FASTRE_MAX_LEN  64
#define FASTRE_MAX_ALTS 8

struct fastre_alt {
    size_t len;
    uint64_t (*sets)[4]; /* len 256-bit sets: bit b of sets[i] = byte b allowed at i */
};

struct fastre {
    size_t n_alts;
    struct fastre_alt alts[FASTRE_MAX_ALTS];
};

static void fastre_free(struct fastre *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_alts; i++)
        free(f->alts[i].sets);
    free(f);
}

static bool fastre_meta(char c)
{
    return strchr(".[]{}()*+?|^$\\", c) != NULL;
}

/* One alternative [s, end): atoms with optional {n}. Returns false when not fixed-shape. */
static bool fastre_alt_compile(const char *s, const char *end, struct fastre_alt *alt)
{
    uint64_t set[4];
    uint64_t(*sets)[4] = calloc(FASTRE_MAX_LEN, sizeof(*sets));
    size_t len = 0;

    if (!sets)
        return false;
    while (s < end) {
        memset(set, 0, sizeof(set));
        if (*s == '[') {
            s++;
            if (s < end && (*s == '^' || *s == ']'))
                goto no;
            while (s < end && *s != ']') {
                unsigned char lo = (unsigned char)*s, hi = lo;
                if (lo == '\\' || lo == '[' || lo < 0x20 || lo >= 0x7f)
                    goto no;
                if (s + 2 < end && s[1] == '-' && s[2] != ']') {
                    hi = (unsigned char)s[2];
                    if (hi < lo || hi == '\\' || hi == '[' || hi >= 0x7f)
                        goto no;
                    s += 3;
                } else {
                    s++;
                }
                for (unsigned b = lo; b <= hi; b++)
                    set[b / 64] |= 1ULL << (b % 64);
            }
            if (s >= end)
                goto no;
            s++; /* ']' */
        } else if (*s == '\\') {
            if (s + 1 >= end || !fastre_meta(s[1]))
                goto no;
            set[(unsigned char)s[1] / 64] |= 1ULL << ((unsigned char)s[1] % 64);
            s += 2;
        } else if (fastre_meta(*s) || (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) {
            goto no;
        } else {
            set[(unsigned char)*s / 64] |= 1ULL << ((unsigned char)*s % 64);
            s++;
        }
        unsigned count = 1;
        if (s < end && *s == '{') {
            const char *q = s + 1;
            count = 0;
            while (q < end && *q >= '0' && *q <= '9' && count <= FASTRE_MAX_LEN)
                count = count * 10 + (unsigned)(*q++ - '0');
            if (q == s + 1 || q >= end || *q != '}' || count == 0)
                goto no; /* {n,m}, {,n}, {0} */
            s = q + 1;
        }
        if (s < end && (*s == '*' || *s == '+' || *s == '?' || *s == '{'))
            goto no;
        if (len + count > FASTRE_MAX_LEN)
            goto no;
        for (unsigned i = 0; i < count; i++)
            memcpy(sets[len++], set, sizeof(set));
    }
    alt->len = len;
    alt->sets = sets;
    return true;
no:
    free(sets);
    return false;
}

/* A fixed-shape matcher for `re`, or NULL (then regexec decides). */
static struct fastre *fastre_compile(const char *re)
{
    size_t n = strlen(re);
    const char *s, *end, *a;
    struct fastre *f;

    if (n < 2 || re[0] != '^' || re[n - 1] != '$' || (n >= 3 && re[n - 2] == '\\'))
        return NULL;
    s = re + 1;
    end = re + n - 1;
    if (s < end && *s == '(' && end[-1] == ')' && end - s >= 2) {
        /* One group around everything: no other parentheses may appear. */
        for (const char *q = s + 1; q < end - 1; q++) {
            if ((*q == '(' || *q == ')') && (q == s + 1 || q[-1] != '\\'))
                return NULL;
        }
        s++;
        end--;
    } else {
        for (const char *q = s; q < end; q++) {
            if (*q == '|' && (q == s || q[-1] != '\\'))
                return NULL; /* ^a|b$ means (^a)|(b$): leave it to regexec */
        }
    }
    f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    for (a = s;;) {
        const char *bar = a;
        /* The next '|' outside a bracket class (classes here cannot contain '|' escapes). */
        bool in_class = false;
        while (bar < end && (in_class || *bar != '|')) {
            if (*bar == '\\' && bar + 1 < end && !in_class)
                bar++;
            else if (*bar == '[')
                in_class = true;
            else if (*bar == ']')
                in_class = false;
            bar++;
        }
        if (f->n_alts == FASTRE_MAX_ALTS || a == bar ||
            !fastre_alt_compile(a, bar, &f->alts[f->n_alts])) {
            fastre_free(f);
            return NULL;
        }
        f->n_alts++;
        if (bar >= end)
            break;
        a = bar + 1;
        if (a >= end) { /* trailing '|': an empty alternative */
            fastre_free(f);
            return NULL;
        }
    }
    return f;
}

static bool fastre_match(const struct fastre *f, const char *s, size_t len)
{
    for (size_t a = 0; a < f->n_alts; a++) {
        const struct fastre_alt *alt = &f->alts[a];
        size_t i;
        if (alt->len != len)
            continue;
        for (i = 0; i < len; i++) {
            unsigned char b = (unsigned char)s[i];
            if (!(alt->sets[i][b / 64] & (1ULL << (b % 64))))
                break;
        }
        if (i == len)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------------------------ */
/* Patterns                                                                             */
/* ------------------------------------------------------------------------------------ */

struct pattern {
    regex_t re;
    struct fastre *fast; /* NULL: regexec decides */
};

int pattern_compile(const char *re, struct pattern **out, char *err, size_t errlen)
{
    struct pattern *p = calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = regcomp(&p->re, re, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        regerror(rc, &p->re, err, errlen);
        free(p);
        return -1;
    }
    p->fast = fastre_compile(re);
    *out = p;
    return 0;
}

bool pattern_match(const struct pattern *p, const char *s)
{
    return p->fast ? fastre_match(p->fast, s, strlen(s)) : regexec(&p->re, s, 0, NULL, 0) == 0;
}

bool pattern_is_fixed(const struct pattern *p)
{
    return p->fast != NULL;
}

void pattern_free(struct pattern *p)
{
    if (!p)
        return;
    regfree(&p->re);
    fastre_free(p->fast);
    free(p);
}
