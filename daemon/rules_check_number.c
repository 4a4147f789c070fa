/*
 * rules_check_number.c - the check kinds on numbers and item structure: decimal, count,
 * sequence, product, compare, sum (struct check_kind in rules_int.h; the table of kinds is
 * in rules_check.c). Amounts are N19,5 decimals (decimal.h), compared exactly.
 */
#include "rules_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ------------------------------------------------------------------------------------ */
/* check: decimal                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * A number's range and precision (docs/DOMAIN.md section 4 rule 12: amounts > 0; rule 16:
 * freight >= 0): `min`/`max` inclusive, `above`/`below` exclusive, `digits` (significant
 * digits in all) and `scale` (digits after the point, trailing zeros not counted).
 */
struct check_decimal {
    size_t n_fields;
    struct field_ref *fields;
    bool has_min, has_max, has_above, has_below;
    struct decimal min, max, above, below;
    char *min_text, *max_text, *above_text, *below_text;
    unsigned digits, scale; /* 0: no limit */
};

static const char *const decimal_keys[] = {"field", "fields", "min",   "max", "above",
                                           "below", "digits", "scale", NULL};

static int decimal_bound(struct rules_parser *p, const struct ynode *rule, const char *key,
                         bool *has, struct decimal *v, char **text)
{
    const struct ynode *n = ymap_get(rule, key);

    if (!n)
        return 0;
    if (rules_parse_decimal_node(p, n, key, v) < 0)
        return -1;
    *has = true;
    *text = util_strdup(n->value);
    return *text ? 0 : rules_poom(p);
}

static int decimal_parse_check(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_decimal *c = calloc(1, sizeof(*c));
    const struct ynode *digits, *scale;

    *out = c;
    if (!c)
        return rules_poom(p);
    if (rules_parse_field_list(p, rule, FIELD_NUMBER, &c->fields, &c->n_fields) < 0)
        return -1;
    if (decimal_bound(p, rule, "min", &c->has_min, &c->min, &c->min_text) < 0 ||
        decimal_bound(p, rule, "max", &c->has_max, &c->max, &c->max_text) < 0 ||
        decimal_bound(p, rule, "above", &c->has_above, &c->above, &c->above_text) < 0 ||
        decimal_bound(p, rule, "below", &c->has_below, &c->below, &c->below_text) < 0)
        return -1;
    if (c->has_min && c->has_above)
        return rules_perr(p, ymap_key(rule, "above"), "use either 'min' or 'above', not both");
    if (c->has_max && c->has_below)
        return rules_perr(p, ymap_key(rule, "below"), "use either 'max' or 'below', not both");
    digits = ymap_get(rule, "digits");
    scale = ymap_get(rule, "scale");
    if (digits && rules_parse_unsigned(p, digits, "digits", DECIMAL_PRECISION, &c->digits) < 0)
        return -1;
    if (digits && c->digits == 0)
        return rules_perr(p, digits, "digits: must be at least 1");
    if (scale && rules_parse_unsigned(p, scale, "scale", DECIMAL_SCALE, &c->scale) < 0)
        return -1;
    if (!scale)
        c->scale = DECIMAL_SCALE + 1; /* no limit */
    if (!c->has_min && !c->has_max && !c->has_above && !c->has_below && !digits && !scale)
        return rules_perr(p, rule, "a decimal rule needs min, max, above, below, digits or scale");
    return 0;
}

/* Significant digits before and after the point of an N19,5 value. */
static void decimal_digits(struct decimal v, unsigned *int_digits, unsigned *frac_digits)
{
    __int128 u = v.units < 0 ? -v.units : v.units, ip = u / 100000, fp = u % 100000;
    unsigned f = DECIMAL_SCALE, n = 0;

    while (f > 0 && fp % 10 == 0) {
        fp /= 10;
        f--;
    }
    while (ip > 0) {
        ip /= 10;
        n++;
    }
    *int_digits = n;
    *frac_digits = f;
}

static void decimal_one(const struct check_decimal *c, const struct field_ref *fr, const void *base,
                        const struct decl_item *it, size_t idx, struct findings *fs)
{
    struct decimal v;
    char loc[LOC_MAX], tv[DECIMAL_TEXT_MAX];
    unsigned id, fd;

    if (!read_number(base, fr->f, &v))
        return;
    if (c->has_min && decimal_cmp(v, c->min) < 0) {
        rules_field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        rules_finding(fs, "%s: %s is below the minimum %s", loc, tv, c->min_text);
    } else if (c->has_above && decimal_cmp(v, c->above) <= 0) {
        rules_field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        rules_finding(fs, "%s: %s is not above %s", loc, tv, c->above_text);
    } else if (c->has_max && decimal_cmp(v, c->max) > 0) {
        rules_field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        rules_finding(fs, "%s: %s is above the maximum %s", loc, tv, c->max_text);
    } else if (c->has_below && decimal_cmp(v, c->below) >= 0) {
        rules_field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        rules_finding(fs, "%s: %s is not below %s", loc, tv, c->below_text);
    }
    if (c->digits == 0 && c->scale > DECIMAL_SCALE)
        return;
    decimal_digits(v, &id, &fd);
    if (fd > c->scale) {
        rules_field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        rules_finding(fs, "%s: %s has %u digits after the point, at most %u allowed", loc, tv, fd,
                      c->scale);
    } else if (c->digits && id + fd > c->digits) {
        rules_field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        rules_finding(fs, "%s: %s has %u digits, at most %u allowed", loc, tv, id + fd, c->digits);
    }
}

static void decimal_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_decimal *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d);

    for (size_t i = 0; i < c->n_fields; i++) {
        const struct field_ref *fr = &c->fields[i];
        if (!fr->item) {
            decimal_one(c, fr, d, NULL, 0, fs);
            continue;
        }
        for (size_t j = 0; j < nitems; j++)
            decimal_one(c, fr, &d->items[j], &d->items[j], j, fs);
    }
}

static void decimal_free(void *check)
{
    struct check_decimal *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c->min_text);
    free(c->max_text);
    free(c->above_text);
    free(c->below_text);
    free(c);
}

const struct check_kind rules_check_kind_decimal = {"decimal", decimal_keys, decimal_parse_check,
                                                    decimal_eval, decimal_free};

/* ------------------------------------------------------------------------------------ */
/* check: count                                                                         */
/* ------------------------------------------------------------------------------------ */

/* The number of items is within [min, max] (CEB603: 1 to 100 InventoryList). */
struct check_count {
    unsigned min, max;
};

static const char *const count_keys[] = {"field", "min", "max", NULL};

static int count_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_count *c = calloc(1, sizeof(*c));
    const struct ynode *field, *min, *max;

    *out = c;
    if (!c)
        return rules_poom(p);
    field = ymap_get(rule, "field");
    if (!field)
        return rules_perr(p, rule, "missing 'field' (items)");
    if (rules_want_scalar(p, field, "field") < 0)
        return -1;
    if (strcmp(field->value, "items") != 0)
        return rules_perr(p, field, "field: only 'items' can be counted");
    min = ymap_get(rule, "min");
    max = ymap_get(rule, "max");
    if (!min && !max)
        return rules_perr(p, rule, "a count rule needs 'min' and/or 'max'");
    c->max = UINT_MAX;
    if (min && rules_parse_unsigned(p, min, "min", 1000000, &c->min) < 0)
        return -1;
    if (max && rules_parse_unsigned(p, max, "max", 1000000, &c->max) < 0)
        return -1;
    if (c->min > c->max)
        return rules_perr(p, min, "min: %u is greater than max %u", c->min, c->max);
    return 0;
}

static void count_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_count *c = check;
    size_t n = decl_nitems(cx->d);

    if (n < c->min)
        rules_finding(fs, "items: %zu declared, at least %u required", n, c->min);
    else if (n > c->max)
        rules_finding(fs, "items: %zu declared, at most %u allowed", n, c->max);
}

static void count_free(void *check)
{
    free(check);
}

const struct check_kind rules_check_kind_count = {"count", count_keys, count_parse, count_eval,
                                                  count_free};

/* ------------------------------------------------------------------------------------ */
/* check: sequence                                                                      */
/* ------------------------------------------------------------------------------------ */

/* An item integer runs 1, 2, ... n in item order (gnum; docs/DOMAIN.md section 4 rule 11). */
struct check_sequence {
    struct field_ref field;
};

static const char *const sequence_keys[] = {"field", NULL};

static int sequence_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_sequence *c = calloc(1, sizeof(*c));
    const struct ynode *field;

    *out = c;
    if (!c)
        return rules_poom(p);
    field = ymap_get(rule, "field");
    if (!field)
        return rules_perr(p, rule, "missing 'field'");
    if (rules_parse_field(p, field, "field", FIELD_INTEGER, &c->field) < 0)
        return -1;
    if (!c->field.item)
        return rules_perr(p, field, "field: a sequence runs over items: write items[].%s",
                          c->field.f->name);
    return 0;
}

static void sequence_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_sequence *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d);

    for (size_t j = 0; j < nitems; j++) {
        const struct decl_integer *v = decl_get_integer(&d->items[j], c->field.f);
        if (!v || !v->present)
            continue; /* `required` reports it */
        if (v->value != (long long)j + 1) {
            /* Only the first break: after a gap every later item is off by one too. */
            rules_finding(fs, "items[%zu].%s: %lld, expected %zu (consecutive from 1)", j,
                          c->field.f->name, v->value, j + 1);
            return;
        }
    }
}

static void sequence_free(void *check)
{
    free(check);
}

const struct check_kind rules_check_kind_sequence = {"sequence", sequence_keys, sequence_parse,
                                                     sequence_eval, sequence_free};

/* ------------------------------------------------------------------------------------ */
/* check: product                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * factor1 x factor2 = equals within tolerance, on the header or on every item
 * (totalPrice = qty x price; docs/DOMAIN.md section 4 rule 12). The product is rounded half
 * away from zero, once from the exact product, to `round` decimals (0..5; default 5), so
 * `round: 2` with no tolerance asks for exactly qty x price in cents (decimal_mul_round).
 */
struct check_product {
    struct field_ref factors[2];
    struct field_ref equals;
    struct decimal tolerance;
    char *tolerance_text;
    unsigned round;   /* decimals the product is rounded to */
    bool round_given; /* `round:` written: messages say "rounded to N decimals" */
};

static const char *const product_keys[] = {"factors", "equals", "tolerance", "round", NULL};

static int parse_tolerance(struct rules_parser *p, const struct ynode *rule, struct decimal *tol,
                           char **text)
{
    const struct ynode *tolerance = ymap_get(rule, "tolerance");

    if (tolerance) {
        if (rules_parse_decimal_node(p, tolerance, "tolerance", tol) < 0)
            return -1;
        if (decimal_is_negative(*tol))
            return rules_perr(p, tolerance, "tolerance: must not be negative");
    }
    *text = util_strdup(tolerance ? tolerance->value : "0");
    return *text ? 0 : rules_poom(p);
}

static int product_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_product *c = calloc(1, sizeof(*c));
    const struct ynode *factors, *equals, *round;

    *out = c;
    if (!c)
        return rules_poom(p);
    factors = ymap_get(rule, "factors");
    if (!factors)
        return rules_perr(p, rule, "missing 'factors'");
    if (rules_want_seq(p, factors, "factors") < 0)
        return -1;
    if (factors->n != 2)
        return rules_perr(p, factors, "factors: expected 2 fields, got %zu", factors->n);
    for (size_t i = 0; i < 2; i++) {
        if (rules_parse_field(p, factors->kids[i], "factors", FIELD_NUMBER, &c->factors[i]) < 0)
            return -1;
    }
    equals = ymap_get(rule, "equals");
    if (!equals)
        return rules_perr(p, rule, "missing 'equals'");
    if (rules_parse_field(p, equals, "equals", FIELD_NUMBER, &c->equals) < 0)
        return -1;
    if (c->factors[0].item != c->equals.item || c->factors[1].item != c->equals.item)
        return rules_perr(p, equals,
                          "equals: factors and result must all be item fields or all "
                          "header fields");
    round = ymap_get(rule, "round");
    c->round = DECIMAL_SCALE;
    if (round) {
        if (rules_parse_unsigned(p, round, "round", DECIMAL_SCALE, &c->round) < 0)
            return -1;
        c->round_given = true;
    }
    return parse_tolerance(p, rule, &c->tolerance, &c->tolerance_text);
}

static void product_one(const struct check_product *c, const void *base, const struct decl_item *it,
                        size_t idx, struct findings *fs)
{
    struct decimal a, b, want, got, diff;
    char loc[LOC_MAX], ta[DECIMAL_TEXT_MAX], tb[DECIMAL_TEXT_MAX], tw[DECIMAL_TEXT_MAX],
        tg[DECIMAL_TEXT_MAX], how[64];

    if (!read_number(base, c->factors[0].f, &a) || !read_number(base, c->factors[1].f, &b) ||
        !read_number(base, c->equals.f, &got))
        return; /* `required` reports what is missing */
    if (decimal_mul_round(a, b, c->round, &want) == 0 && decimal_sub(got, want, &diff) == 0 &&
        decimal_cmp(decimal_abs(diff), c->tolerance) <= 0)
        return;
    rules_field_loc(loc, &c->equals, it, idx);
    decimal_format(a, ta, sizeof(ta));
    decimal_format(b, tb, sizeof(tb));
    if (decimal_mul_round(a, b, c->round, &want) < 0) {
        rules_finding(fs, "%s: %s × %s = %s × %s is out of the N19,5 range", loc,
                      c->factors[0].f->name, c->factors[1].f->name, ta, tb);
        return;
    }
    decimal_format(want, tw, sizeof(tw));
    decimal_format(got, tg, sizeof(tg));
    if (!c->round_given)
        snprintf(how, sizeof(how), "tolerance %s", c->tolerance_text);
    else if (decimal_is_zero(c->tolerance))
        snprintf(how, sizeof(how), "rounded half up to %u decimals", c->round);
    else
        snprintf(how, sizeof(how), "rounded half up to %u decimals, tolerance %s", c->round,
                 c->tolerance_text);
    rules_finding(fs, "%s: %s, expected %s × %s = %s × %s = %s (%s)", loc, tg,
                  c->factors[0].f->name, c->factors[1].f->name, ta, tb, tw, how);
}

static void product_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_product *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d);

    if (!c->equals.item) {
        product_one(c, d, NULL, 0, fs);
        return;
    }
    for (size_t j = 0; j < nitems; j++)
        product_one(c, &d->items[j], &d->items[j], j, fs);
}

static void product_free(void *check)
{
    struct check_product *c = check;

    if (!c)
        return;
    free(c->tolerance_text);
    free(c);
}

const struct check_kind rules_check_kind_product = {"product", product_keys, product_parse,
                                                    product_eval, product_free};

/* ------------------------------------------------------------------------------------ */
/* check: compare                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * left op right, where right is a field or a decimal `value` (grossWeight >= netWeight,
 * netWeight > 0, packNo >= 1; docs/DOMAIN.md section 4 rules 14, 15). Decimal and integer
 * fields compare exactly. When either side is an item field it holds for every item (a
 * header operand is the same for all).
 */
struct check_compare {
    struct field_ref left;
    enum compare_op op;
    const char *op_name;
    bool right_is_field;
    struct field_ref right;
    struct decimal value;
};

static const char *const compare_keys[] = {"left", "op", "right", "value", NULL};

static int compare_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_compare *c = calloc(1, sizeof(*c));
    const struct ynode *left, *op, *right, *value;

    *out = c;
    if (!c)
        return rules_poom(p);
    left = ymap_get(rule, "left");
    if (!left)
        return rules_perr(p, rule, "missing 'left'");
    if (rules_parse_field(p, left, "left", FIELD_NUMBER, &c->left) < 0)
        return -1;
    op = ymap_get(rule, "op");
    if (!op)
        return rules_perr(p, rule, "missing 'op'");
    if (rules_parse_op(p, op, &c->op, &c->op_name) < 0)
        return -1;
    right = ymap_get(rule, "right");
    value = ymap_get(rule, "value");
    if (right && value)
        return rules_perr(p, ymap_key(rule, "value"), "use either 'right' or 'value', not both");
    if (!right && !value)
        return rules_perr(p, rule, "missing 'right' (a field) or 'value' (a number)");
    if (right) {
        c->right_is_field = true;
        return rules_parse_field(p, right, "right", FIELD_NUMBER, &c->right);
    }
    return rules_parse_decimal_node(p, value, "value", &c->value);
}

static void compare_one(const struct check_compare *c, const struct declaration *d,
                        const struct decl_item *it, size_t idx, struct findings *fs)
{
    struct decimal l, r;
    char loc[LOC_MAX], rloc[LOC_MAX], tl[DECIMAL_TEXT_MAX], tr[DECIMAL_TEXT_MAX];

    if (!read_number(field_base(&c->left, d, it), c->left.f, &l))
        return;
    if (c->right_is_field) {
        if (!read_number(field_base(&c->right, d, it), c->right.f, &r))
            return;
    } else {
        r = c->value;
    }
    if (compare_holds(c->op, decimal_cmp(l, r)))
        return;
    rules_field_loc(loc, &c->left, it, idx);
    decimal_format(l, tl, sizeof(tl));
    decimal_format(r, tr, sizeof(tr));
    if (c->right_is_field) {
        rules_field_loc(rloc, &c->right, it, idx);
        rules_finding(fs, "%s: %s is not %s %s %s", loc, tl, c->op_name, rloc, tr);
    } else {
        rules_finding(fs, "%s: %s is not %s %s", loc, tl, c->op_name, tr);
    }
}

static void compare_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_compare *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d);

    if (!c->left.item && !(c->right_is_field && c->right.item)) {
        compare_one(c, d, NULL, 0, fs);
        return;
    }
    for (size_t j = 0; j < nitems; j++)
        compare_one(c, d, &d->items[j], j, fs);
}

static void compare_free(void *check)
{
    free(check);
}

const struct check_kind rules_check_kind_compare = {"compare", compare_keys, compare_parse,
                                                    compare_eval, compare_free};

/* ------------------------------------------------------------------------------------ */
/* check: sum                                                                           */
/* ------------------------------------------------------------------------------------ */

/*
 * The sum of an item field over the items (optionally only those matching `where`)
 * compared with a header field or a value, within a tolerance for =, <= and >=
 * (sum(items[].totalPrice) against a declared total; the kilograms declared as legal
 * quantities against netWeight).
 */
struct check_sum {
    struct field_ref sum;
    bool has_where;
    struct cond where;
    char *where_text;
    enum compare_op op;
    const char *op_name;
    bool right_is_field;
    struct field_ref right;
    struct decimal value;
    struct decimal tolerance;
    char *tolerance_text;
};

static const char *const sum_keys[] = {"sum", "where", "op", "right", "value", "tolerance", NULL};

static int sum_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_sum *c = calloc(1, sizeof(*c));
    const struct ynode *sum, *where, *op, *right, *value;

    *out = c;
    if (!c)
        return rules_poom(p);
    sum = ymap_get(rule, "sum");
    if (!sum)
        return rules_perr(p, rule, "missing 'sum' (an item field, items[].name)");
    if (rules_parse_field(p, sum, "sum", FIELD_NUMBER, &c->sum) < 0)
        return -1;
    if (!c->sum.item)
        return rules_perr(p, sum, "sum: sums run over items: write items[].%s", c->sum.f->name);
    where = ymap_get(rule, "where");
    if (where) {
        if (rules_cond_parse(p, where, "where", true, &c->where, 0) < 0)
            return -1;
        c->has_where = true;
    }
    op = ymap_get(rule, "op");
    if (!op)
        return rules_perr(p, rule, "missing 'op'");
    if (rules_parse_op(p, op, &c->op, &c->op_name) < 0)
        return -1;
    right = ymap_get(rule, "right");
    value = ymap_get(rule, "value");
    if (right && value)
        return rules_perr(p, ymap_key(rule, "value"), "use either 'right' or 'value', not both");
    if (!right && !value)
        return rules_perr(p, rule, "missing 'right' (a header field) or 'value' (a number)");
    if (right) {
        c->right_is_field = true;
        if (rules_parse_field(p, right, "right", FIELD_NUMBER, &c->right) < 0)
            return -1;
        if (c->right.item)
            return rules_perr(p, right, "right: compare a sum with a header field");
    } else if (rules_parse_decimal_node(p, value, "value", &c->value) < 0) {
        return -1;
    }
    if (ymap_get(rule, "tolerance") && c->op != OP_EQ && c->op != OP_LE && c->op != OP_GE)
        return rules_perr(p, ymap_key(rule, "tolerance"), "tolerance: only with =, <= or >=");
    if (parse_tolerance(p, rule, &c->tolerance, &c->tolerance_text) < 0)
        return -1;
    if (where && asprintf(&c->where_text, " of the matching items") < 0)
        return rules_poom(p);
    return 0;
}

static void sum_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_sum *c = check;
    const struct declaration *d = cx->d;
    size_t nitems = decl_nitems(d), counted = 0;
    struct decimal total = {0}, v, r, diff;
    char ts[DECIMAL_TEXT_MAX], tr[DECIMAL_TEXT_MAX], name[LOC_MAX];
    bool holds;

    for (size_t j = 0; j < nitems; j++) {
        if (c->has_where && !rules_cond_eval(&c->where, d, &d->items[j]))
            continue;
        if (!read_number(&d->items[j], c->sum.f, &v))
            continue; /* `required` reports it */
        if (decimal_add(total, v, &total) < 0) {
            rules_finding(fs, "sum of items[].%s leaves the N19,5 range", c->sum.f->name);
            return;
        }
        counted++;
    }
    if (c->right_is_field) {
        if (!read_number(d, c->right.f, &r))
            return;
    } else {
        r = c->value;
    }
    if (decimal_sub(total, r, &diff) < 0)
        return;
    switch (c->op) {
    case OP_EQ:
        holds = decimal_cmp(decimal_abs(diff), c->tolerance) <= 0;
        break;
    case OP_LE:
        holds = decimal_cmp(diff, c->tolerance) <= 0;
        break;
    case OP_GE:
        holds = decimal_cmp(decimal_abs(diff), c->tolerance) <= 0 || !decimal_is_negative(diff);
        break;
    default:
        holds = compare_holds(c->op, decimal_cmp(total, r));
        break;
    }
    if (holds)
        return;
    decimal_format(total, ts, sizeof(ts));
    decimal_format(r, tr, sizeof(tr));
    rules_field_name(name, sizeof(name), &c->sum);
    if (c->right_is_field)
        rules_finding(fs, "sum of %s%s (%zu items) = %s is not %s %s %s%s%s", name,
                      c->where_text ? c->where_text : "", counted, ts, c->op_name, c->right.f->name,
                      tr, decimal_is_zero(c->tolerance) ? "" : " within ",
                      decimal_is_zero(c->tolerance) ? "" : c->tolerance_text);
    else
        rules_finding(fs, "sum of %s%s (%zu items) = %s is not %s %s%s%s", name,
                      c->where_text ? c->where_text : "", counted, ts, c->op_name, tr,
                      decimal_is_zero(c->tolerance) ? "" : " within ",
                      decimal_is_zero(c->tolerance) ? "" : c->tolerance_text);
}

static void sum_free(void *check)
{
    struct check_sum *c = check;

    if (!c)
        return;
    rules_cond_clear(&c->where);
    free(c->where_text);
    free(c->tolerance_text);
    free(c);
}

const struct check_kind rules_check_kind_sum = {"sum", sum_keys, sum_parse, sum_eval, sum_free};
