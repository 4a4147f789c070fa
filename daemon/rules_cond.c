/*
 * rules_cond.c - conditions: a rule's `when` and a sum's `where`, trees of all / any / not
 * over leaves that test one field (struct cond in rules_int.h). Parsed once at load time
 * (values sorted for bsearch, numbers as N19,5), evaluated without allocating.
 */
#include "rules_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const cond_leaf_keys[] = {"field", "equals",  "in", "op",
                                             "value", "present", NULL};

void rules_cond_clear(struct cond *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        rules_cond_clear(&c->kids[i]);
    free(c->kids);
    rules_free_values(c->values, c->n_values);
    memset(c, 0, sizeof(*c));
}

static int cond_parse_list(struct rules_parser *p, const struct ynode *v, const char *key,
                           bool item_scope, struct cond *c, int depth)
{
    if (rules_want_seq(p, v, key) < 0)
        return -1;
    c->kids = calloc(v->n, sizeof(*c->kids));
    if (!c->kids)
        return rules_poom(p);
    for (size_t i = 0; i < v->n; i++) {
        c->n = i + 1;
        if (rules_cond_parse(p, v->kids[i], key, item_scope, &c->kids[i], depth + 1) < 0)
            return -1;
    }
    return 0;
}

int rules_cond_parse(struct rules_parser *p, const struct ynode *v, const char *key,
                     bool item_scope, struct cond *c, int depth)
{
    const struct ynode *k, *equals, *in, *op, *value, *present;
    int forms;

    if (depth > 16)
        return rules_perr(p, v, "%s: conditions nested deeper than 16 levels", key);
    if (v->type == YNODE_SEQ) {
        c->kind = COND_ALL;
        return cond_parse_list(p, v, key, item_scope, c, depth);
    }
    if (v->type != YNODE_MAP)
        return rules_perr(p, v, "%s: expected a condition (a mapping), got %s", key,
                          yamlread_type_name(v));
    if (v->n == 2 &&
        (strcmp(v->kids[0]->value, "all") == 0 || strcmp(v->kids[0]->value, "any") == 0)) {
        c->kind = strcmp(v->kids[0]->value, "all") == 0 ? COND_ALL : COND_ANY;
        return cond_parse_list(p, v->kids[1], v->kids[0]->value, item_scope, c, depth);
    }
    if (v->n == 2 && strcmp(v->kids[0]->value, "not") == 0) {
        c->kind = COND_NOT;
        c->kids = calloc(1, sizeof(*c->kids));
        if (!c->kids)
            return rules_poom(p);
        c->n = 1;
        return rules_cond_parse(p, v->kids[1], "not", item_scope, c->kids, depth + 1);
    }
    for (size_t i = 0; i < v->n; i += 2) {
        k = v->kids[i];
        if (!rules_name_in(k->value, cond_leaf_keys)) {
            if (strcmp(k->value, "all") == 0 || strcmp(k->value, "any") == 0 ||
                strcmp(k->value, "not") == 0)
                return rules_perr(p, k, "%s: '%s' must be the only key of its condition", key,
                                  k->value);
            return rules_perr(p, k,
                              "%s: unknown key '%s' in a condition (known: all, any, not; field "
                              "with equals, in, op and value, or present)",
                              key, k->value);
        }
    }
    k = ymap_get(v, "field");
    if (!k)
        return rules_perr(p, v, "%s: a condition needs 'field' (or all, any, not)", key);
    equals = ymap_get(v, "equals");
    in = ymap_get(v, "in");
    op = ymap_get(v, "op");
    value = ymap_get(v, "value");
    present = ymap_get(v, "present");
    forms = !!equals + !!in + !!op + !!present;
    if (forms != 1 || (!!op != !!value))
        return rules_perr(p, v,
                          "%s: a condition on a field needs exactly one of: equals, in, "
                          "op with value, present",
                          key);
    if (present) {
        c->kind = COND_PRESENT;
        if (rules_parse_field(p, k, "field", FIELD_ANY, &c->fr) < 0)
            return -1;
        if (rules_parse_bool(p, present, "present", &c->present) < 0)
            return -1;
    } else if (op) {
        const char *ignored;
        c->kind = COND_CMP;
        if (rules_parse_field(p, k, "field", FIELD_NUMBER, &c->fr) < 0)
            return -1;
        if (rules_parse_op(p, op, &c->op, &ignored) < 0)
            return -1;
        if (rules_parse_decimal_node(p, value, "value", &c->value) < 0)
            return -1;
    } else {
        c->kind = COND_IN;
        if (rules_parse_field(p, k, "field", FIELD_TEXT, &c->fr) < 0)
            return -1;
        if (equals) {
            if (rules_want_nonempty_scalar(p, equals, "equals") < 0)
                return -1;
            if (rules_collect_values(p, &equals, 1, "equals", LIST_ANY, &c->values, &c->n_values) <
                0)
                return -1;
        } else {
            if (rules_want_seq(p, in, "in") < 0)
                return -1;
            if (rules_collect_values(p, (const struct ynode *const *)in->kids, in->n, "in",
                                     LIST_ANY, &c->values, &c->n_values) < 0)
                return -1;
        }
    }
    if (item_scope && !c->fr.item)
        return rules_perr(p, k, "%s: only item fields (items[].name) can be tested per item", key);
    return 0;
}

/* A leaf on one record (the declaration, or an item for an item field). */
static bool cond_leaf(const struct cond *c, const void *base)
{
    struct decimal v;
    const char *s;

    switch (c->kind) {
    case COND_PRESENT:
        if (c->fr.f->kind == DECL_STRING) {
            s = decl_get_string(base, c->fr.f);
            return (s && *s && !is_blank(s)) == c->present;
        }
        return field_present(base, c->fr.f) == c->present;
    case COND_CMP:
        return read_number(base, c->fr.f, &v) && compare_holds(c->op, decimal_cmp(v, c->value));
    case COND_IN:
        s = decl_get_string(base, c->fr.f);
        return s && in_values(c->values, c->n_values, s);
    default:
        return false;
    }
}

/* Evaluate on the declaration; `it` is the item in hand (NULL at rule level). */
bool rules_cond_eval(const struct cond *c, const struct declaration *d, const struct decl_item *it)
{
    size_t nitems;

    switch (c->kind) {
    case COND_ALL:
        for (size_t i = 0; i < c->n; i++) {
            if (!rules_cond_eval(&c->kids[i], d, it))
                return false;
        }
        return true;
    case COND_ANY:
        for (size_t i = 0; i < c->n; i++) {
            if (rules_cond_eval(&c->kids[i], d, it))
                return true;
        }
        return false;
    case COND_NOT:
        return !rules_cond_eval(c->kids, d, it);
    default:
        break;
    }
    if (!c->fr.item)
        return cond_leaf(c, d);
    if (it)
        return cond_leaf(c, it);
    nitems = decl_nitems(d);
    for (size_t j = 0; j < nitems; j++) {
        if (cond_leaf(c, &d->items[j]))
            return true;
    }
    return false;
}
