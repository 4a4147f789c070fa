/*
 * rules_parse.c - the rules parser's vocabulary: load errors that point at the offending
 * YAML node ("file:line:column: what"), typed reads of nodes (scalars, mappings,
 * sequences, integers, N19,5 decimals, booleans, dates), field names resolved against the
 * declaration field table, comparison operators, and value lists (inline or from a list
 * file), sorted for bsearch. Every check's parse function is written with these.
 */
#include "rules_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cebdate.h"
#include "util.h"

/* ------------------------------------------------------------------------------------ */
/* Errors and typed reads                                                               */
/* ------------------------------------------------------------------------------------ */

/* Every load error: "file:line:column: what", pointing at the offending node. */
int rules_perr(struct rules_parser *p, const struct ynode *at, const char *fmt, ...)
{
    char what[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (at)
        return util_errf(p->err, p->errlen, "%s:%zu:%zu: %s", p->file, at->line, at->column, what);
    return util_errf(p->err, p->errlen, "%s:1:1: %s", p->file, what);
}

int rules_poom(struct rules_parser *p)
{
    return util_errf(p->err, p->errlen, "%s: out of memory", p->file);
}

bool rules_name_in(const char *name, const char *const *names)
{
    for (; names && *names; names++) {
        if (strcmp(name, *names) == 0)
            return true;
    }
    return false;
}

void rules_names_join(const char *const *names, char *buf, size_t buflen)
{
    size_t used = 0;

    buf[0] = '\0';
    for (; names && *names && used < buflen; names++)
        used += (size_t)snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", *names);
}

/* Refuse keys of a mapping that are not in `known` (a NULL-terminated list). */
int rules_check_keys(struct rules_parser *p, const struct ynode *map, const char *where,
                     const char *const *known)
{
    char list[256];

    for (size_t i = 0; i < map->n; i += 2) {
        const struct ynode *k = map->kids[i];
        if (!rules_name_in(k->value, known)) {
            rules_names_join(known, list, sizeof(list));
            return rules_perr(p, k, "unknown key '%s' in %s (known: %s)", k->value, where, list);
        }
    }
    return 0;
}

int rules_want_scalar(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_SCALAR)
        return rules_perr(p, v, "%s: expected a scalar, got %s", key, yamlread_type_name(v));
    return 0;
}

int rules_want_nonempty_scalar(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (rules_want_scalar(p, v, key) < 0)
        return -1;
    if (v->len == 0)
        return rules_perr(p, v, "%s: must not be empty", key);
    return 0;
}

int rules_want_map(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_MAP)
        return rules_perr(p, v, "%s: expected a mapping, got %s", key, yamlread_type_name(v));
    return 0;
}

int rules_want_seq(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_SEQ)
        return rules_perr(p, v, "%s: expected a sequence, got %s", key, yamlread_type_name(v));
    if (v->n == 0)
        return rules_perr(p, v, "%s: must not be empty", key);
    return 0;
}

int rules_parse_unsigned(struct rules_parser *p, const struct ynode *v, const char *key,
                         unsigned max, unsigned *out)
{
    unsigned long long n = 0;

    if (rules_want_scalar(p, v, key) < 0)
        return -1;
    for (size_t i = 0; i < v->len; i++) {
        if (v->value[i] < '0' || v->value[i] > '9' || n > max)
            break;
        n = n * 10 + (unsigned)(v->value[i] - '0');
        if (i + 1 == v->len && n <= max) {
            *out = (unsigned)n;
            return 0;
        }
    }
    return rules_perr(p, v, "%s: expected an integer from 0 to %u, got '%s'", key, max, v->value);
}

int rules_parse_decimal_node(struct rules_parser *p, const struct ynode *v, const char *key,
                             struct decimal *out)
{
    char why[128];

    if (rules_want_nonempty_scalar(p, v, key) < 0)
        return -1;
    if (decimal_parse(v->value, v->len, out, why, sizeof(why)) < 0)
        return rules_perr(p, v, "%s: '%s' is not an N19,5 decimal: %s", key, v->value, why);
    return 0;
}

int rules_parse_bool(struct rules_parser *p, const struct ynode *v, const char *key, bool *out)
{
    /* Only the two words: YAML 1.1's yes/no/on/off are not booleans here. */
    if (rules_want_scalar(p, v, key) < 0)
        return -1;
    if (strcmp(v->value, "true") == 0)
        *out = true;
    else if (strcmp(v->value, "false") == 0)
        *out = false;
    else
        return rules_perr(p, v, "%s: expected true or false, got '%s'", key, v->value);
    return 0;
}

int rules_parse_date_node(struct rules_parser *p, const struct ynode *v, const char *key, int *out)
{
    if (rules_want_nonempty_scalar(p, v, key) < 0)
        return -1;
    *out = cebdate_iso(v->value);
    if (!*out)
        return rules_perr(p, v, "%s: '%s' is not a real date (write YYYY-MM-DD)", key, v->value);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Fields                                                                               */
/* ------------------------------------------------------------------------------------ */

static const char *kind_name(enum decl_kind k)
{
    switch (k) {
    case DECL_STRING:
        return "text";
    case DECL_DECIMAL:
        return "a decimal";
    case DECL_INTEGER:
        return "an integer";
    }
    return "?";
}

static void kinds_text(unsigned kinds, char *buf, size_t buflen)
{
    const char *names[4];
    size_t n = 0;

    if (kinds & FIELD_TEXT)
        names[n++] = "text";
    if (kinds & FIELD_DECIMAL)
        names[n++] = "a decimal";
    if (kinds & FIELD_INTEGER)
        names[n++] = "an integer";
    names[n] = NULL;
    buf[0] = '\0';
    for (size_t i = 0, used = 0; i < n && used < buflen; i++)
        used += (size_t)snprintf(buf + used, buflen - used, "%s%s",
                                 i == 0 ? "" : (i + 1 == n ? " or " : ", "), names[i]);
}

/*
 * Resolve a field name as written in the rules file: "grossWeight" (InventoryHead),
 * "items[].gcode" (every InventoryList entry), or "items" (the list, when FIELD_ITEMS).
 * `kinds` is the set of field kinds the check can read.
 */
int rules_parse_field(struct rules_parser *p, const struct ynode *v, const char *key,
                      unsigned kinds, struct field_ref *out)
{
    const char *name;
    char allowed[64];

    if (rules_want_nonempty_scalar(p, v, key) < 0)
        return -1;
    name = v->value;
    if (strcmp(name, "items") == 0) {
        if (!(kinds & FIELD_ITEMS))
            return rules_perr(p, v,
                              "%s: 'items' (the item list) cannot be read here; address "
                              "an item field as items[].name",
                              key);
        out->f = NULL;
        out->item = true;
        return 0;
    }
    if (strncmp(name, ITEM_PREFIX, strlen(ITEM_PREFIX)) == 0) {
        out->item = true;
        out->f = decl_field_find(true, name + strlen(ITEM_PREFIX));
        if (!out->f)
            return rules_perr(p, v, "%s: unknown item field '%s'", key, name);
    } else {
        out->item = false;
        out->f = decl_field_find(false, name);
        if (!out->f) {
            if (decl_field_find(true, name))
                return rules_perr(p, v,
                                  "%s: unknown header field '%s' (the item field is written "
                                  "items[].%s)",
                                  key, name, name);
            return rules_perr(p, v, "%s: unknown field '%s'", key, name);
        }
    }
    if (!(kinds & (1u << out->f->kind))) {
        kinds_text(kinds, allowed, sizeof(allowed));
        return rules_perr(p, v, "%s: field '%s' is %s; this check reads %s", key, name,
                          kind_name(out->f->kind), allowed);
    }
    return 0;
}

/* `field: X` or `fields: [X, Y]` (exactly one of them), into a new array. */
int rules_parse_field_list(struct rules_parser *p, const struct ynode *rule, unsigned kinds,
                           struct field_ref **out, size_t *n_out)
{
    const struct ynode *one = ymap_get(rule, "field"), *many = ymap_get(rule, "fields");

    if (one && many)
        return rules_perr(p, ymap_key(rule, "fields"), "use either 'field' or 'fields', not both");
    if (!one && !many)
        return rules_perr(p, rule, "missing 'field' or 'fields'");
    if (one) {
        *out = calloc(1, sizeof(**out));
        if (!*out)
            return rules_poom(p);
        *n_out = 1;
        return rules_parse_field(p, one, "field", kinds, *out);
    }
    if (rules_want_seq(p, many, "fields") < 0)
        return -1;
    *out = calloc(many->n, sizeof(**out));
    if (!*out)
        return rules_poom(p);
    for (size_t i = 0; i < many->n; i++) {
        if (rules_parse_field(p, many->kids[i], "fields", kinds, &(*out)[i]) < 0)
            return -1;
        *n_out = i + 1;
        for (size_t j = 0; j < i; j++) {
            if ((*out)[j].f == (*out)[i].f && (*out)[j].item == (*out)[i].item)
                return rules_perr(p, many->kids[i], "fields: '%s' is listed twice",
                                  many->kids[i]->value);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Comparison operators (compare, sum, when)                                            */
/* ------------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    enum compare_op op;
} compare_ops[] = {{"<", OP_LT},  {"<=", OP_LE}, {"=", OP_EQ}, {"==", OP_EQ},
                   {"!=", OP_NE}, {">=", OP_GE}, {">", OP_GT}};

int rules_parse_op(struct rules_parser *p, const struct ynode *op, enum compare_op *out,
                   const char **name)
{
    if (rules_want_scalar(p, op, "op") < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(compare_ops); i++) {
        if (strcmp(op->value, compare_ops[i].name) == 0) {
            *out = compare_ops[i].op;
            *name = compare_ops[i].name;
            return 0;
        }
    }
    return rules_perr(p, op,
                      "op: unknown operator '%s' (known: <, <=, =, !=, >=, >; quote them in YAML)",
                      op->value);
}

/* ------------------------------------------------------------------------------------ */
/* Value lists: inline or from a list file                                              */
/* ------------------------------------------------------------------------------------ */

struct value_at {
    const char *value;
    const struct ynode *node;
};

static int value_at_cmp(const void *a, const void *b)
{
    const struct value_at *x = a, *y = b;
    int r = strcmp(x->value, y->value);

    if (r)
        return r;
    return x->node->line != y->node->line ? (x->node->line < y->node->line ? -1 : 1)
                                          : (x->node->column < y->node->column ? -1 : 1);
}

static int list_value_ok(struct rules_parser *p, const struct ynode *v, const char *key,
                         enum list_shape shape)
{
    if (rules_want_nonempty_scalar(p, v, key) < 0)
        return -1;
    if (shape == LIST_HS_PREFIX &&
        (v->len < 2 || v->len > 10 || strspn(v->value, "0123456789") != v->len))
        return rules_perr(p, v, "%s: an HS prefix is 2 to 10 digits, got '%s'", key, v->value);
    return 0;
}

/*
 * Collect nodes (a sequence's elements, or a mapping's keys) into sorted, distinct,
 * copied strings.
 */
int rules_collect_values(struct rules_parser *p, const struct ynode *const *nodes, size_t n,
                         const char *key, enum list_shape shape, char ***out, size_t *n_out)
{
    struct value_at *vals = calloc(n ? n : 1, sizeof(*vals));
    char **copy = calloc(n ? n : 1, sizeof(*copy));
    int rc = -1;

    if (!vals || !copy) {
        rules_poom(p);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (list_value_ok(p, nodes[i], key, shape) < 0)
            goto out;
        vals[i].value = nodes[i]->value;
        vals[i].node = nodes[i];
    }
    qsort(vals, n, sizeof(*vals), value_at_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(vals[i - 1].value, vals[i].value) == 0) {
            rules_perr(p, vals[i].node, "%s: '%s' is listed twice", key, vals[i].value);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        copy[i] = util_strdup(vals[i].value);
        if (!copy[i]) {
            rules_poom(p);
            goto out;
        }
        *n_out = i + 1;
    }
    *out = copy;
    copy = NULL;
    rc = 0;
out:
    if (copy) {
        for (size_t i = 0; i < n && copy[i]; i++)
            free(copy[i]);
        free(copy);
    }
    free(vals);
    return rc;
}

/*
 * The values of a check: inline under `inline_key` (a sequence), or `list: FILE`.
 * `shown` receives text for messages: the inline list in file order (shortened), or
 * "a code of FILE".
 */
int rules_parse_values(struct rules_parser *p, const struct ynode *rule, const char *inline_key,
                       enum list_shape shape, char ***values, size_t *n, char **shown)
{
    const struct ynode *inl = ymap_get(rule, inline_key), *list = ymap_get(rule, "list");
    size_t used = 0;

    if (inl && list)
        return rules_perr(p, ymap_key(rule, "list"), "use either '%s' or 'list', not both",
                          inline_key);
    if (!inl && !list)
        return rules_perr(p, rule, "missing '%s' (inline) or 'list' (a list file)", inline_key);
    *shown = malloc(LIST_SHOW_MAX);
    if (!*shown)
        return rules_poom(p);
    if (list) {
        if (rules_want_nonempty_scalar(p, list, "list") < 0)
            return -1;
        if (rules_parse_list_file(p, list, list->value, shape, values, n) < 0)
            return -1;
        snprintf(*shown, LIST_SHOW_MAX, "the %zu codes of %s", *n, list->value);
        return 0;
    }
    if (rules_want_seq(p, inl, inline_key) < 0)
        return -1;
    if (rules_collect_values(p, (const struct ynode *const *)inl->kids, inl->n, inline_key, shape,
                             values, n) < 0)
        return -1;
    /* Messages repeat the list in file order, shortened when long. */
    (*shown)[0] = '\0';
    for (size_t i = 0; i < inl->n; i++) {
        const char *s = inl->kids[i]->value;
        if (used + strlen(s) + 2 + 24 >= LIST_SHOW_MAX) {
            snprintf(*shown + used, LIST_SHOW_MAX - used, ", ... (%zu values)", inl->n);
            break;
        }
        used += (size_t)snprintf(*shown + used, LIST_SHOW_MAX - used, "%s%s", i ? ", " : "", s);
    }
    return 0;
}

void rules_free_values(char **values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(values[i]);
    free(values);
}
