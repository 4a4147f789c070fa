/*
 * rules_check_text.c - the check kinds on text fields and presence: required, together,
 * length, one_of, pattern, same, absent, date, hs_prefix (struct check_kind in rules_int.h; the
 * table of kinds is in rules_check.c).
 */
#include "rules_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cebdate.h"
#include "pattern.h"
#include "util.h"

/* ------------------------------------------------------------------------------------ */
/* check: required                                                                      */
/* ------------------------------------------------------------------------------------ */

/*
 * Fields present and non-empty (docs/DOMAIN.md section 4 rule 1: every CEB603 Y field).
 * Text that is only spaces counts as empty. "items" requires at least one item.
 */
struct check_required {
    size_t n_fields;
    struct field_ref *fields;
};

static const char *const required_keys[] = {"field", "fields", NULL};

static int required_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_required *c = calloc(1, sizeof(*c));

    *out = c;
    if (!c)
        return rules_poom(p);
    return rules_parse_field_list(p, rule, FIELD_ANY | FIELD_ITEMS, &c->fields, &c->n_fields);
}

static void required_free(void *check)
{
    struct check_required *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c);
}

static void required_one(const struct field_ref *fr, const void *base, const struct decl_item *it,
                         size_t idx, struct findings *fs)
{
    char loc[LOC_MAX];
    const char *what = NULL;

    if (fr->f->kind == DECL_STRING) {
        const char *s = decl_get_string(base, fr->f);
        if (!s)
            what = "missing";
        else if (is_blank(s))
            what = "empty";
    } else if (!field_present(base, fr->f)) {
        what = "missing";
    }
    if (what) {
        rules_field_loc(loc, fr, it, idx);
        rules_finding(fs, "%s: %s", loc, what);
    }
}

static void required_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_required *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d);

    for (size_t i = 0; i < c->n_fields; i++) {
        const struct field_ref *fr = &c->fields[i];
        if (!fr->f) {
            if (nitems == 0)
                rules_finding(fs, "items: none declared (CEB603 requires 1 to %d)", DECL_MAX_ITEMS);
        } else if (!fr->item) {
            required_one(fr, d, NULL, 0, fs);
        } else {
            for (size_t j = 0; j < nitems; j++)
                required_one(fr, &d->items[j], &d->items[j], j, fs);
        }
    }
}

const struct check_kind rules_check_kind_required = {"required", required_keys, required_parse,
                                                     required_eval, required_free};

/* ------------------------------------------------------------------------------------ */
/* check: together                                                                      */
/* ------------------------------------------------------------------------------------ */

/*
 * Fields present all together or not at all, per item for item fields (qty2 and unit2:
 * docs/DOMAIN.md section 4 rule 9, the second legal quantity comes with its unit).
 */
struct check_together {
    size_t n_fields;
    struct field_ref *fields;
};

static const char *const together_keys[] = {"fields", NULL};

static int together_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_together *c = calloc(1, sizeof(*c));

    *out = c;
    if (!c)
        return rules_poom(p);
    if (!ymap_get(rule, "fields"))
        return rules_perr(p, rule, "missing 'fields' (two or more)");
    if (rules_parse_field_list(p, rule, FIELD_ANY, &c->fields, &c->n_fields) < 0)
        return -1;
    if (c->n_fields < 2)
        return rules_perr(p, ymap_get(rule, "fields"),
                          "fields: 'together' needs two or more fields");
    for (size_t i = 1; i < c->n_fields; i++) {
        if (c->fields[i].item != c->fields[0].item)
            return rules_perr(p, ymap_get(rule, "fields")->kids[i],
                              "fields: all item fields or all header fields");
    }
    return 0;
}

static void together_one(const struct check_together *c, const void *base,
                         const struct decl_item *it, size_t idx, struct findings *fs)
{
    size_t present = 0;
    char loc[LOC_MAX], have[160], miss[160];
    size_t hl = 0, ml = 0;

    for (size_t i = 0; i < c->n_fields; i++) {
        const char *s = NULL;
        bool here = c->fields[i].f->kind == DECL_STRING
                        ? (s = decl_get_string(base, c->fields[i].f)) != NULL && *s
                        : field_present(base, c->fields[i].f);
        present += here;
    }
    if (present == 0 || present == c->n_fields)
        return;
    have[0] = miss[0] = '\0';
    for (size_t i = 0; i < c->n_fields; i++) {
        const char *s = NULL;
        bool here = c->fields[i].f->kind == DECL_STRING
                        ? (s = decl_get_string(base, c->fields[i].f)) != NULL && *s
                        : field_present(base, c->fields[i].f);
        char *buf = here ? have : miss;
        size_t *used = here ? &hl : &ml;
        if (*used < sizeof(have))
            *used += (size_t)snprintf(buf + *used, sizeof(have) - *used, "%s%s", *used ? ", " : "",
                                      c->fields[i].f->name);
    }
    if (it)
        rules_item_loc(loc, it, idx);
    else
        snprintf(loc, sizeof(loc), "header");
    rules_finding(fs, "%s: %s present but %s missing (give all or none)", loc, have, miss);
}

static void together_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_together *c = check;
    size_t nitems = decl_nitems(cx->d);

    if (!c->fields[0].item) {
        together_one(c, cx->d, NULL, 0, fs);
        return;
    }
    for (size_t j = 0; j < nitems; j++)
        together_one(c, &cx->d->items[j], &cx->d->items[j], j, fs);
}

static void together_free(void *check)
{
    required_free(check); /* same layout */
}

const struct check_kind rules_check_kind_together = {"together", together_keys, together_parse,
                                                     together_eval, together_free};

/* ------------------------------------------------------------------------------------ */
/* check: length                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * Length in characters (text) or digits (integers). Either `schema: ceb603` (every field
 * with a CEB603 length in the declaration field table: C36 exact, C..100 maximum, C3..4
 * range; docs/DOMAIN.md section 1), or `fields` with `max`, `min` and/or `exact` (one length
 * or a list: ebcCode is 10 or 18 characters, docs/DOMAIN.md section 4 rule 18).
 */
#define LENGTH_EXACT_MAX 4

struct length_field {
    struct field_ref fr;
    unsigned min, max;
    unsigned n_exact;
    unsigned exact[LENGTH_EXACT_MAX];
};

struct check_length {
    bool schema;
    size_t n_fields;
    struct length_field *fields;
};

static const char *const length_keys[] = {"schema", "field", "fields", "min", "max", "exact", NULL};

#define LENGTH_LIMIT 100000u

static int length_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_length *c = calloc(1, sizeof(*c));
    const struct ynode *schema = ymap_get(rule, "schema");
    const struct ynode *min = ymap_get(rule, "min"), *max = ymap_get(rule, "max");
    const struct ynode *exact = ymap_get(rule, "exact");
    struct field_ref *refs = NULL;
    size_t nrefs = 0;
    unsigned lo = 0, hi = UINT_MAX, exacts[LENGTH_EXACT_MAX] = {0}, n_exact = 0;

    *out = c;
    if (!c)
        return rules_poom(p);
    if (schema) {
        static const char *const others[] = {"fields", "field", "min", "max", "exact"};
        for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
            const struct ynode *other = ymap_key(rule, others[i]);
            if (other)
                return rules_perr(p, other, "'%s' cannot be combined with 'schema'", other->value);
        }
        if (rules_want_scalar(p, schema, "schema") < 0)
            return -1;
        if (strcmp(schema->value, "ceb603") != 0)
            return rules_perr(p, schema, "schema: unknown schema '%s' (known: ceb603)",
                              schema->value);
        c->schema = true;
        c->fields = calloc(decl_head_field_count + decl_item_field_count, sizeof(*c->fields));
        if (!c->fields)
            return rules_poom(p);
        for (size_t pass = 0; pass < 2; pass++) {
            const struct decl_field *table = pass ? decl_item_fields : decl_head_fields;
            size_t count = pass ? decl_item_field_count : decl_head_field_count;
            for (size_t i = 0; i < count; i++) {
                const struct decl_field *f = &table[i];
                /* Decimals are N19,5, which the decoder already enforces. */
                if (f->max_len == 0 || f->kind == DECL_DECIMAL)
                    continue;
                c->fields[c->n_fields].fr.f = f;
                c->fields[c->n_fields].fr.item = pass == 1;
                c->fields[c->n_fields].min = f->min_len;
                c->fields[c->n_fields].max = f->max_len;
                c->n_fields++;
            }
        }
        return 0;
    }

    if (rules_parse_field_list(p, rule, FIELD_TEXT | FIELD_INTEGER, &refs, &nrefs) < 0) {
        free(refs);
        return -1;
    }
    c->fields = calloc(nrefs, sizeof(*c->fields));
    if (!c->fields) {
        free(refs);
        return rules_poom(p);
    }
    for (size_t i = 0; i < nrefs; i++)
        c->fields[i].fr = refs[i];
    c->n_fields = nrefs;
    free(refs);

    if (exact && (min || max))
        return rules_perr(p, ymap_key(rule, "exact"),
                          "'exact' cannot be combined with 'min'/'max'");
    if (!exact && !min && !max)
        return rules_perr(p, rule, "a length rule needs 'schema', or 'exact', 'min' or 'max'");
    if (exact) {
        const struct ynode *const *list = (const struct ynode *const *)&exact;
        size_t n = 1;
        if (exact->type == YNODE_SEQ) {
            if (rules_want_seq(p, exact, "exact") < 0)
                return -1;
            if (exact->n > LENGTH_EXACT_MAX)
                return rules_perr(p, exact, "exact: at most %d lengths", LENGTH_EXACT_MAX);
            list = (const struct ynode *const *)exact->kids;
            n = exact->n;
        }
        for (size_t i = 0; i < n; i++) {
            if (rules_parse_unsigned(p, list[i], "exact", LENGTH_LIMIT, &exacts[i]) < 0)
                return -1;
            if (exacts[i] == 0)
                return rules_perr(p, list[i], "exact: must be at least 1");
        }
        n_exact = (unsigned)n;
        lo = hi = exacts[0];
        for (size_t i = 1; i < n; i++) {
            lo = exacts[i] < lo ? exacts[i] : lo;
            hi = exacts[i] > hi ? exacts[i] : hi;
        }
    }
    if (min && rules_parse_unsigned(p, min, "min", LENGTH_LIMIT, &lo) < 0)
        return -1;
    if (max && rules_parse_unsigned(p, max, "max", LENGTH_LIMIT, &hi) < 0)
        return -1;
    if (lo > hi)
        return rules_perr(p, min, "min: %u is greater than max %u", lo, hi);
    for (size_t i = 0; i < c->n_fields; i++) {
        c->fields[i].min = lo;
        c->fields[i].max = hi;
        c->fields[i].n_exact = n_exact;
        memcpy(c->fields[i].exact, exacts, n_exact * sizeof(*exacts));
    }
    return 0;
}

/* "exactly 36", "at most 100", "at least 3", "3 to 4", "10 or 18" */
static void length_bounds(char *buf, size_t buflen, const struct length_field *lf)
{
    if (lf->n_exact > 1) {
        size_t used = 0;
        for (unsigned i = 0; i < lf->n_exact && used < buflen; i++)
            used += (size_t)snprintf(buf + used, buflen - used, "%s%u",
                                     i == 0 ? "" : (i + 1 == lf->n_exact ? " or " : ", "),
                                     lf->exact[i]);
    } else if (lf->min == lf->max) {
        snprintf(buf, buflen, "exactly %u", lf->min);
    } else if (lf->max == UINT_MAX) {
        snprintf(buf, buflen, "at least %u", lf->min);
    } else if (lf->min == 0) {
        snprintf(buf, buflen, "at most %u", lf->max);
    } else {
        snprintf(buf, buflen, "%u to %u", lf->min, lf->max);
    }
}

static bool length_ok(const struct length_field *lf, size_t n)
{
    if (lf->n_exact > 1) {
        for (unsigned i = 0; i < lf->n_exact; i++) {
            if (n == lf->exact[i])
                return true;
        }
        return false;
    }
    return n >= lf->min && n <= lf->max;
}

static void length_one(const struct check_length *c, const struct length_field *lf,
                       const void *base, const struct decl_item *it, size_t idx,
                       struct findings *fs)
{
    char loc[LOC_MAX], q[QUOTE_MAX], bounds[48];
    const char *source = c->schema ? " (CEB603)" : "";
    size_t n;

    if (lf->fr.f->kind == DECL_STRING) {
        const char *s = decl_get_string(base, lf->fr.f);
        size_t bytes;
        if (!s || !*s)
            return;
        /* Characters <= bytes <= 4 x characters: most values need no counting. */
        bytes = strlen(s);
        if (lf->n_exact <= 1 && bytes <= lf->max && (bytes + 3) / 4 >= lf->min)
            return;
        n = decl_utf8_length(s);
        if (length_ok(lf, n))
            return;
        rules_field_loc(loc, &lf->fr, it, idx);
        rules_quote(q, s);
        length_bounds(bounds, sizeof(bounds), lf);
        rules_finding(fs, "%s: %s has %zu characters, %s allowed%s", loc, q, n, bounds, source);
    } else if (lf->fr.f->kind == DECL_INTEGER) {
        const struct decl_integer *v = decl_get_integer(base, lf->fr.f);
        unsigned long long mag;
        if (!v || !v->present)
            return;
        mag = v->value < 0 ? 0ULL - (unsigned long long)v->value : (unsigned long long)v->value;
        n = 1;
        while (mag >= 10) {
            mag /= 10;
            n++;
        }
        if (length_ok(lf, n))
            return;
        rules_field_loc(loc, &lf->fr, it, idx);
        length_bounds(bounds, sizeof(bounds), lf);
        rules_finding(fs, "%s: %lld has %zu digits, %s allowed%s", loc, v->value, n, bounds,
                      source);
    }
}

static void length_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_length *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d);

    for (size_t i = 0; i < c->n_fields; i++) {
        const struct length_field *lf = &c->fields[i];
        if (!lf->fr.item) {
            length_one(c, lf, d, NULL, 0, fs);
            continue;
        }
        for (size_t j = 0; j < nitems; j++)
            length_one(c, lf, &d->items[j], &d->items[j], j, fs);
    }
}

static void length_free(void *check)
{
    struct check_length *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c);
}

const struct check_kind rules_check_kind_length = {"length", length_keys, length_parse, length_eval,
                                                   length_free};

/* ------------------------------------------------------------------------------------ */
/* check: one_of                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * The value is one of a list: inline (ieFlag E) or a list file (the customs code tables:
 * countries, currencies, units, trade modes, transport modes; docs/DOMAIN.md section 3).
 */
struct check_one_of {
    size_t n_fields;
    struct field_ref *fields;
    size_t n_values;
    char **values; /* sorted, for bsearch */
    char *shown;   /* the list as written, or the list file, for messages */
};

static const char *const one_of_keys[] = {"field", "fields", "values", "list", NULL};

static int one_of_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_one_of *c = calloc(1, sizeof(*c));

    *out = c;
    if (!c)
        return rules_poom(p);
    if (rules_parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    return rules_parse_values(p, rule, "values", LIST_ANY, &c->values, &c->n_values, &c->shown);
}

static void one_of_visit(const void *check, const struct field_ref *fr, const char *value,
                         const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_one_of *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    if (in_values(c->values, c->n_values, value))
        return;
    rules_field_loc(loc, fr, it, idx);
    rules_quote(q, value);
    rules_finding(fs, "%s: %s is not one of %s", loc, q, c->shown);
}

static void one_of_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_one_of *c = check;

    rules_visit_text(c, c->fields, c->n_fields, cx->d, one_of_visit, fs);
}

static void one_of_free(void *check)
{
    struct check_one_of *c = check;

    if (!c)
        return;
    rules_free_values(c->values, c->n_values);
    free(c->shown);
    free(c->fields);
    free(c);
}

const struct check_kind rules_check_kind_one_of = {"one_of", one_of_keys, one_of_parse, one_of_eval,
                                                   one_of_free};

/* ------------------------------------------------------------------------------------ */
/* check: pattern                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * The value matches a POSIX extended regular expression (regcomp REG_EXTENDED|REG_NOSUB),
 * e.g. gcode ^[0-9]{10}$ (docs/DOMAIN.md section 4 rule 8). `message` replaces "does not match
 * ..." in reasons ("is not 10 digits"). pattern.h compiles it, and matches the fixed shapes
 * customs rules use (^[0-9]{10}$, ^([0-9A-Z]{10}|NO)$) without regexec: a parcel calls a
 * dozen patterns.
 */
struct check_pattern {
    size_t n_fields;
    struct field_ref *fields;
    struct pattern *re;
    char *source;
    char *message;
};

static const char *const pattern_keys[] = {"field", "fields", "regex", "message", NULL};

static int pattern_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_pattern *c = calloc(1, sizeof(*c));
    const struct ynode *regex, *message;
    char why[256];

    *out = c;
    if (!c)
        return rules_poom(p);
    if (rules_parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    regex = ymap_get(rule, "regex");
    if (!regex)
        return rules_perr(p, rule, "missing 'regex'");
    if (rules_want_nonempty_scalar(p, regex, "regex") < 0)
        return -1;
    if (pattern_compile(regex->value, &c->re, why, sizeof(why)) < 0)
        return rules_perr(p, regex, "regex: bad regular expression '%s': %s", regex->value, why);
    message = ymap_get(rule, "message");
    if (message && rules_want_nonempty_scalar(p, message, "message") < 0)
        return -1;
    if (message)
        c->message = util_strdup(message->value);
    else if (asprintf(&c->message, "does not match %s", regex->value) < 0)
        c->message = NULL;
    c->source = util_strdup(regex->value);
    if (!c->message || !c->source)
        return rules_poom(p);
    return 0;
}

static void pattern_visit(const void *check, const struct field_ref *fr, const char *value,
                          const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_pattern *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];
    bool ok = pattern_match(c->re, value);

    if (ok)
        return;
    rules_field_loc(loc, fr, it, idx);
    rules_quote(q, value);
    rules_finding(fs, "%s: %s %s", loc, q, c->message);
}

static void pattern_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_pattern *c = check;

    rules_visit_text(c, c->fields, c->n_fields, cx->d, pattern_visit, fs);
}

static void pattern_free_check(void *check)
{
    struct check_pattern *c = check;

    if (!c)
        return;
    pattern_free(c->re);
    free(c->source);
    free(c->message);
    free(c->fields);
    free(c);
}

const struct check_kind rules_check_kind_pattern = {"pattern", pattern_keys, pattern_parse,
                                                    pattern_eval, pattern_free_check};

/* ------------------------------------------------------------------------------------ */
/* check: same                                                                          */
/* ------------------------------------------------------------------------------------ */

/*
 * Every present, non-empty value of the fields is the same text: one currency across the
 * items of a declaration (docs/DOMAIN.md section 4 rule 13). The first value met (header
 * fields first, in the order written, then each item field item by item) is the reference;
 * every value that differs from it is a finding.
 */
struct check_same {
    size_t n_fields;
    struct field_ref *fields;
};

static const char *const same_keys[] = {"field", "fields", NULL};

static int same_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_same *c = calloc(1, sizeof(*c));

    *out = c;
    if (!c)
        return rules_poom(p);
    return rules_parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields);
}

/* The reference value and where it was, shared by the visits of one evaluation. */
struct same_state {
    const struct check_same *c;
    const char *first;
    char first_loc[LOC_MAX];
};

static void same_visit(const void *state, const struct field_ref *fr, const char *value,
                       const struct decl_item *it, size_t idx, struct findings *fs)
{
    /* rules_visit_text hands the state back as it got it: same_eval's own stack variable. */
    struct same_state *st = (struct same_state *)state;
    char loc[LOC_MAX], q[QUOTE_MAX], qf[QUOTE_MAX];

    if (!st->first) {
        st->first = value;
        rules_field_loc(st->first_loc, fr, it, idx);
        return;
    }
    if (strcmp(value, st->first) == 0)
        return;
    rules_field_loc(loc, fr, it, idx);
    rules_quote(q, value);
    rules_quote(qf, st->first);
    rules_finding(fs, "%s: %s differs from %s %s (all must be the same)", loc, q, st->first_loc,
                  qf);
}

static void same_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_same *c = check;
    struct same_state st = {c, NULL, ""};

    rules_visit_text(&st, c->fields, c->n_fields, cx->d, same_visit, fs);
}

static void same_free(void *check)
{
    struct check_same *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c);
}

const struct check_kind rules_check_kind_same = {"same", same_keys, same_parse, same_eval,
                                                 same_free};

/* ------------------------------------------------------------------------------------ */
/* check: absent                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * The fields are absent or empty, the opposite of `required`: with `when`, what a
 * declaration of that kind must not carry (a licence number on a B2B inventory list, GACC
 * Announcement 2020 No.75). A present value is a finding, worded "<field>: <value>
 * <message>" (default "is given; it must be absent").
 */
struct check_absent {
    size_t n_fields;
    struct field_ref *fields;
    char *message;
};

static const char *const absent_keys[] = {"field", "fields", "message", NULL};

static int absent_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_absent *c = calloc(1, sizeof(*c));
    const struct ynode *message;

    *out = c;
    if (!c)
        return rules_poom(p);
    if (rules_parse_field_list(p, rule, FIELD_ANY, &c->fields, &c->n_fields) < 0)
        return -1;
    message = ymap_get(rule, "message");
    if (message && rules_want_nonempty_scalar(p, message, "message") < 0)
        return -1;
    c->message = util_strdup(message ? message->value : "is given; it must be absent");
    return c->message ? 0 : rules_poom(p);
}

static void absent_one(const struct check_absent *c, const struct field_ref *fr, const void *base,
                       const struct decl_item *it, size_t idx, struct findings *fs)
{
    char loc[LOC_MAX], q[QUOTE_MAX], tv[DECIMAL_TEXT_MAX];
    struct decimal v;

    if (fr->f->kind == DECL_STRING) {
        const char *s = decl_get_string(base, fr->f);
        if (!s || is_blank(s))
            return;
        rules_quote(q, s);
    } else {
        if (!read_number(base, fr->f, &v))
            return;
        decimal_format(v, tv, sizeof(tv));
        snprintf(q, sizeof(q), "%s", tv);
    }
    rules_field_loc(loc, fr, it, idx);
    rules_finding(fs, "%s: %s %s", loc, q, c->message);
}

static void absent_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_absent *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d);

    for (size_t i = 0; i < c->n_fields; i++) {
        const struct field_ref *fr = &c->fields[i];
        if (!fr->item) {
            absent_one(c, fr, d, NULL, 0, fs);
            continue;
        }
        for (size_t j = 0; j < nitems; j++)
            absent_one(c, fr, &d->items[j], &d->items[j], j, fs);
    }
}

static void absent_free(void *check)
{
    struct check_absent *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c->message);
    free(c);
}

const struct check_kind rules_check_kind_absent = {"absent", absent_keys, absent_parse, absent_eval,
                                                   absent_free};

/* ------------------------------------------------------------------------------------ */
/* check: date                                                                          */
/* ------------------------------------------------------------------------------------ */

/*
 * The text is a real calendar date or date-time (docs/DOMAIN.md section 4 rule 3: appTime
 * YYYYMMDDhhmmss, ieDate YYYYMMDD), Gregorian calendar with leap years.
 */
struct check_date {
    size_t n_fields;
    struct field_ref *fields;
    bool with_time;
};

static const char *const date_keys[] = {"field", "fields", "format", NULL};

static int date_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_date *c = calloc(1, sizeof(*c));
    const struct ynode *format;

    *out = c;
    if (!c)
        return rules_poom(p);
    if (rules_parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    format = ymap_get(rule, "format");
    if (!format)
        return rules_perr(p, rule, "missing 'format' (YYYYMMDD or YYYYMMDDhhmmss)");
    if (rules_want_scalar(p, format, "format") < 0)
        return -1;
    if (strcmp(format->value, "YYYYMMDD") == 0)
        c->with_time = false;
    else if (strcmp(format->value, "YYYYMMDDhhmmss") == 0)
        c->with_time = true;
    else
        return rules_perr(p, format,
                          "format: unknown format '%s' (known: YYYYMMDD, YYYYMMDDhhmmss)",
                          format->value);
    return 0;
}

static void date_visit(const void *check, const struct field_ref *fr, const char *value,
                       const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_date *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    if (c->with_time ? cebdate_datetime(value) : cebdate_date(value) != 0)
        return;
    rules_field_loc(loc, fr, it, idx);
    rules_quote(q, value);
    rules_finding(fs, "%s: %s is not a real %s (%s)", loc, q,
                  c->with_time ? "date and time" : "date",
                  c->with_time ? "YYYYMMDDhhmmss" : "YYYYMMDD");
}

static void date_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_date *c = check;

    rules_visit_text(c, c->fields, c->n_fields, cx->d, date_visit, fs);
}

static void date_free(void *check)
{
    struct check_date *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c);
}

const struct check_kind rules_check_kind_date = {"date", date_keys, date_parse, date_eval,
                                                 date_free};

/* ------------------------------------------------------------------------------------ */
/* check: hs_prefix                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * The HS code starts with a listed chapter (2 digits), heading (4), subheading (6) or a
 * longer prefix: a watch list, inline or a list file. Matches are hits, so the usual
 * action is inspect; with `message` ("is not in an HS chapter: ...", instead of "is on the
 * watch list") a list of codes that cannot exist, rejected (chapters 00, 77, 98, 99).
 */
struct check_hs_prefix {
    size_t n_fields;
    struct field_ref *fields;
    size_t n_prefixes;
    char **prefixes;
    size_t *lens;
    char *shown;
    char *message;
};

static const char *const hs_prefix_keys[] = {"field", "fields",  "prefixes",
                                             "list",  "message", NULL};

static int hs_prefix_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_hs_prefix *c = calloc(1, sizeof(*c));
    const struct ynode *message;

    *out = c;
    if (!c)
        return rules_poom(p);
    if (rules_parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    if (rules_parse_values(p, rule, "prefixes", LIST_HS_PREFIX, &c->prefixes, &c->n_prefixes,
                           &c->shown) < 0)
        return -1;
    message = ymap_get(rule, "message");
    if (message && rules_want_nonempty_scalar(p, message, "message") < 0)
        return -1;
    c->message = util_strdup(message ? message->value : "is on the watch list");
    c->lens = calloc(c->n_prefixes, sizeof(*c->lens));
    if (!c->lens || !c->message)
        return rules_poom(p);
    for (size_t i = 0; i < c->n_prefixes; i++)
        c->lens[i] = strlen(c->prefixes[i]);
    return 0;
}

static void hs_prefix_visit(const void *check, const struct field_ref *fr, const char *value,
                            const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_hs_prefix *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    for (size_t i = 0; i < c->n_prefixes; i++) {
        if (strncmp(value, c->prefixes[i], c->lens[i]) == 0) {
            rules_field_loc(loc, fr, it, idx);
            rules_quote(q, value);
            rules_finding(fs, "%s: %s %s (HS prefix %s)", loc, q, c->message, c->prefixes[i]);
            return;
        }
    }
}

static void hs_prefix_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_hs_prefix *c = check;

    rules_visit_text(c, c->fields, c->n_fields, cx->d, hs_prefix_visit, fs);
}

static void hs_prefix_free(void *check)
{
    struct check_hs_prefix *c = check;

    if (!c)
        return;
    rules_free_values(c->prefixes, c->n_prefixes);
    free(c->lens);
    free(c->shown);
    free(c->message);
    free(c->fields);
    free(c);
}

const struct check_kind rules_check_kind_hs_prefix = {"hs_prefix", hs_prefix_keys, hs_prefix_parse,
                                                      hs_prefix_eval, hs_prefix_free};
