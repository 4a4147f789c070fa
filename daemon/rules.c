/*
 * rules.c - the clearance rules engine, first cut: a rule set loaded from YAML (the format
 * is documented at the top of config/rules.yaml) and evaluated on one declaration.
 *
 * The shape follows OpenSMTPD's ruleset.c: a rule set is an ordered list of rules, each
 * with an id, an action and one check. A check kind is one row of check_kinds[]: its name,
 * the keys it accepts, a parse function that turns the rule's YAML into a private struct
 * at load time, an eval function that reports findings on one declaration, and a free
 * function. A new check type is one struct, three functions and one row; rule-level
 * features (when-conditions, effective dates, sampling) belong in struct rule and
 * rule_parse/rules_evaluate, not in the checks.
 *
 * Load time does the expensive work so evaluation is cheap: field names resolve to
 * decl_field pointers (read by offset, no string compares per declaration), regexes are
 * compiled, value lists are sorted for bsearch. An eval function only reads the
 * declaration and writes findings into a stack buffer; memory is allocated only for a
 * rule that matched. A rule set is immutable after load, so threads may share it.
 *
 * Semantics a rules author relies on (also in config/rules.yaml):
 *   - a rule "matches" when its check reports at least one finding: a violated constraint
 *     (required, length, one_of, pattern, sequence, product, compare) or a hit (hs_prefix);
 *   - value checks skip absent and empty values: presence is the `required` check's job,
 *     so one defect gives one reason;
 *   - item fields (items[].gcode) are checked on every item; a declaration without items
 *     has nothing to check there (require "items" for that).
 */
#include "rules.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "decimal.h"
#include "declaration.h"
#include "status.h"
#include "util.h"

#define RULES_MAX_BYTES (16 * 1024 * 1024)
#define YTREE_MAX_DEPTH 32  /* rules: [ {fields: [..]} ] is 4; room for when: all/any/not */
#define RULE_ID_MAX     64  /* characters of a rule id */
#define REASON_MAX      512 /* bytes of one reason message, findings beyond say "and N more" */
#define VALUE_SHOW_MAX  64  /* code points of an offending value quoted in a message */
#define QUOTE_MAX       (VALUE_SHOW_MAX * 4 + 8) /* a quoted value, escapes and "..." included */
#define LOC_MAX         64                       /* "items[gnum=12345].totalPrice" */
#define LIST_SHOW_MAX   160 /* bytes of a one_of value list repeated in messages */

/* ------------------------------------------------------------------------------------ */
/* YAML tree (the same reader as config.c: scalars as written, no anchors, aliases or  */
/* tags, duplicate keys refused; kept private to each module so the layers stay apart) */
/* ------------------------------------------------------------------------------------ */

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
    enum ynode_type type;
    size_t line, column; /* 1-based position of the node's first character */
    char *value;         /* scalar: the text as written, NUL-terminated */
    size_t len;          /* scalar: length of value */
    bool plain;          /* scalar: written without quotes (an empty plain scalar is YAML null) */
    size_t n;            /* map: 2 * pairs, kids = key, value, key, value ...; seq: elements */
    size_t cap;
    struct ynode **kids;
};

static int errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void ynode_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        ynode_free(n->kids[i]);
    free(n->kids);
    free(n->value);
    free(n);
}

static const char *ynode_type_name(const struct ynode *n)
{
    switch (n->type) {
    case YNODE_MAP:
        return "a mapping";
    case YNODE_SEQ:
        return "a sequence";
    default:
        return "a scalar";
    }
}

/* libyaml marks are 0-based; people count from 1. A reader error only has a byte offset. */
static void ytree_offset_position(const char *text, size_t len, size_t offset, size_t *line,
                                  size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

/* The byte at a 1-based line and column (columns count characters), or -1. */
static int ytree_char_at(const char *text, size_t len, size_t line, size_t column)
{
    size_t i = 0;

    for (size_t l = 1; l < line; l++) {
        const char *nl = memchr(text + i, '\n', len - i);
        if (!nl)
            return -1;
        i = (size_t)(nl - text) + 1;
    }
    for (size_t c = 1; i < len && text[i] != '\n'; i++) {
        if (((unsigned char)text[i] & 0xC0) == 0x80)
            continue;
        if (c++ == column)
            return (unsigned char)text[i];
    }
    return -1;
}

/* True when the 1-based line contains `needle`. */
static bool ytree_line_has(const char *text, size_t len, size_t line, const char *needle)
{
    size_t i = 0, end;
    const char *nl;

    for (size_t l = 1; l < line; l++) {
        nl = memchr(text + i, '\n', len - i);
        if (!nl)
            return false;
        i = (size_t)(nl - text) + 1;
    }
    nl = memchr(text + i, '\n', len - i);
    end = nl ? (size_t)(nl - text) : len;
    return memmem(text + i, end - i, needle, strlen(needle)) != NULL;
}

static int ytree_parser_error(const yaml_parser_t *p, const char *file, const char *text,
                              size_t len, char *err, size_t errlen)
{
    size_t line, column;

    if (p->error == YAML_MEMORY_ERROR)
        return errf(err, errlen, "%s: out of memory", file);
    if (p->error == YAML_READER_ERROR) {
        ytree_offset_position(text, len, p->problem_offset, &line, &column);
        return errf(err, errlen, "%s:%zu:%zu: %s", file, line, column,
                    p->problem ? p->problem : "cannot read the text");
    }
    line = p->problem_mark.line + 1;
    column = p->problem_mark.column + 1;
    /* libyaml's words for a tab ("cannot start any token") do not say what to fix. */
    if (ytree_char_at(text, len, line, column) == '\t')
        return errf(err, errlen, "%s:%zu:%zu: tab character: YAML indentation must use spaces",
                    file, line, column);
    /* items[].x inside [a, b]: the brackets end the flow list; say how to write it. */
    if (p->context && strstr(p->context, "flow") && ytree_line_has(text, len, line, "[]"))
        return errf(err, errlen,
                    "%s:%zu:%zu: %s (%s at line %zu column %zu; inside [ ] write "
                    "\"items[].name\" in quotes)",
                    file, line, column, p->problem ? p->problem : "syntax error", p->context,
                    (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
    if (p->context)
        return errf(err, errlen, "%s:%zu:%zu: %s (%s at line %zu column %zu)", file, line, column,
                    p->problem ? p->problem : "syntax error", p->context,
                    (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
    return errf(err, errlen, "%s:%zu:%zu: %s", file, line, column,
                p->problem ? p->problem : "syntax error");
}

static int ynode_append(struct ynode *parent, struct ynode *kid)
{
    if (parent->n == parent->cap) {
        size_t ncap = parent->cap ? parent->cap * 2 : 8;
        struct ynode **nk = realloc(parent->kids, ncap * sizeof(*nk));
        if (!nk)
            return -1;
        parent->kids = nk;
        parent->cap = ncap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

/* A mapping is complete: refuse duplicate keys (YAML says keys are unique; never last-wins). */
static int ytree_check_duplicates(const struct ynode *map, const char *file, char *err,
                                  size_t errlen)
{
    for (size_t i = 2; i < map->n; i += 2) {
        const struct ynode *k = map->kids[i];
        for (size_t j = 0; j < i; j += 2) {
            const struct ynode *o = map->kids[j];
            if (o->len == k->len && memcmp(o->value, k->value, k->len) == 0)
                return errf(err, errlen,
                            "%s:%zu:%zu: duplicate key '%s' (first at line %zu "
                            "column %zu)",
                            file, k->line, k->column, k->value, o->line, o->column);
        }
    }
    return 0;
}

/*
 * Parse `text` into a tree. *root is NULL for an empty stream (no document).
 * Returns 0, or -1 with "file:line:column: what" in err.
 */
static int ytree_parse(const char *file, const char *text, size_t len, struct ynode **root,
                       char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct ynode *stack[YTREE_MAX_DEPTH];
    size_t depth = 0;
    struct ynode *doc = NULL;
    int ndocs = 0, rc = -1;
    bool done = false;

    *root = NULL;
    if (!yaml_parser_initialize(&parser))
        return errf(err, errlen, "%s: out of memory", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done) {
        struct ynode *node = NULL;
        const yaml_char_t *anchor = NULL, *tag = NULL;
        size_t line, column;

        if (!yaml_parser_parse(&parser, &ev)) {
            ytree_parser_error(&parser, file, text, len, err, errlen);
            goto out;
        }
        line = ev.start_mark.line + 1;
        column = ev.start_mark.column + 1;

        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (ndocs++ > 0) {
                errf(err, errlen, "%s:%zu:%zu: more than one YAML document", file, line, column);
                goto fail_event;
            }
            break;
        case YAML_ALIAS_EVENT:
            errf(err, errlen, "%s:%zu:%zu: aliases are not supported", file, line, column);
            goto fail_event;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (ev.type == YAML_SCALAR_EVENT) {
                anchor = ev.data.scalar.anchor;
                tag = ev.data.scalar.tag;
            } else if (ev.type == YAML_SEQUENCE_START_EVENT) {
                anchor = ev.data.sequence_start.anchor;
                tag = ev.data.sequence_start.tag;
            } else {
                anchor = ev.data.mapping_start.anchor;
                tag = ev.data.mapping_start.tag;
            }
            if (anchor) {
                errf(err, errlen, "%s:%zu:%zu: anchors are not supported", file, line, column);
                goto fail_event;
            }
            if (tag) {
                /* A tag would ask for a type; here the key decides the type. */
                errf(err, errlen, "%s:%zu:%zu: tags are not supported", file, line, column);
                goto fail_event;
            }
            node = calloc(1, sizeof(*node));
            if (!node) {
                errf(err, errlen, "%s: out of memory", file);
                goto fail_event;
            }
            node->line = line;
            node->column = column;
            if (ev.type == YAML_SCALAR_EVENT) {
                node->type = YNODE_SCALAR;
                node->len = ev.data.scalar.length;
                node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                if (memchr(ev.data.scalar.value, '\0', node->len)) {
                    free(node);
                    errf(err, errlen, "%s:%zu:%zu: NUL character in a scalar", file, line, column);
                    goto fail_event;
                }
                node->value = xstrndup((const char *)ev.data.scalar.value, node->len);
                if (!node->value) {
                    free(node);
                    errf(err, errlen, "%s: out of memory", file);
                    goto fail_event;
                }
            } else {
                node->type = ev.type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ;
            }
            /* Attach to the parent (or make it the document root). */
            if (depth == 0) {
                doc = node;
            } else {
                struct ynode *parent = stack[depth - 1];
                if (parent->type == YNODE_MAP && parent->n % 2 == 0 && node->type != YNODE_SCALAR) {
                    ynode_free(node);
                    errf(err, errlen, "%s:%zu:%zu: a mapping key must be a scalar", file, line,
                         column);
                    goto fail_event;
                }
                if (ynode_append(parent, node) < 0) {
                    ynode_free(node);
                    errf(err, errlen, "%s: out of memory", file);
                    goto fail_event;
                }
            }
            if (node->type != YNODE_SCALAR) {
                if (depth == YTREE_MAX_DEPTH) {
                    errf(err, errlen, "%s:%zu:%zu: nested deeper than %d levels", file, line,
                         column, YTREE_MAX_DEPTH);
                    goto fail_event;
                }
                stack[depth++] = node;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                struct ynode *closed = stack[--depth];
                if (closed->type == YNODE_MAP &&
                    ytree_check_duplicates(closed, file, err, errlen) < 0)
                    goto fail_event;
            }
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    *root = doc;
    doc = NULL;
    rc = 0;
    goto out;

fail_event:
    yaml_event_delete(&ev);
out:
    ynode_free(doc);
    yaml_parser_delete(&parser);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Load-time helpers                                                                    */
/* ------------------------------------------------------------------------------------ */

struct rules_parser {
    const char *file;
    char *err;
    size_t errlen;
};

static int perr(struct rules_parser *p, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Every load error: "file:line:column: what", pointing at the offending node. */
static int perr(struct rules_parser *p, const struct ynode *at, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (at)
        return errf(p->err, p->errlen, "%s:%zu:%zu: %s", p->file, at->line, at->column, what);
    return errf(p->err, p->errlen, "%s:1:1: %s", p->file, what);
}

static int poom(struct rules_parser *p)
{
    return errf(p->err, p->errlen, "%s: out of memory", p->file);
}

static const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
    for (size_t i = 0; i < map->n; i += 2) {
        if (strcmp(map->kids[i]->value, key) == 0)
            return map->kids[i + 1];
    }
    return NULL;
}

static const struct ynode *ymap_key(const struct ynode *map, const char *key)
{
    for (size_t i = 0; i < map->n; i += 2) {
        if (strcmp(map->kids[i]->value, key) == 0)
            return map->kids[i];
    }
    return NULL;
}

static bool name_in(const char *name, const char *const *names)
{
    for (; names && *names; names++) {
        if (strcmp(name, *names) == 0)
            return true;
    }
    return false;
}

static void names_join(const char *const *names, char *buf, size_t buflen)
{
    size_t used = 0;

    buf[0] = '\0';
    for (; names && *names && used < buflen; names++)
        used += (size_t)snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", *names);
}

static int want_scalar(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_SCALAR)
        return perr(p, v, "%s: expected a scalar, got %s", key, ynode_type_name(v));
    return 0;
}

static int want_nonempty_scalar(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (want_scalar(p, v, key) < 0)
        return -1;
    if (v->len == 0)
        return perr(p, v, "%s: must not be empty", key);
    return 0;
}

static int want_seq(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_SEQ)
        return perr(p, v, "%s: expected a sequence, got %s", key, ynode_type_name(v));
    if (v->n == 0)
        return perr(p, v, "%s: must not be empty", key);
    return 0;
}

static int parse_unsigned(struct rules_parser *p, const struct ynode *v, const char *key,
                          unsigned max, unsigned *out)
{
    unsigned long long n = 0;

    if (want_scalar(p, v, key) < 0)
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
    return perr(p, v, "%s: expected an integer from 0 to %u, got '%s'", key, max, v->value);
}

static int parse_decimal_node(struct rules_parser *p, const struct ynode *v, const char *key,
                              struct decimal *out)
{
    char why[128];

    if (want_nonempty_scalar(p, v, key) < 0)
        return -1;
    if (decimal_parse(v->value, v->len, out, why, sizeof(why)) < 0)
        return perr(p, v, "%s: '%s' is not an N19,5 decimal: %s", key, v->value, why);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Fields                                                                               */
/* ------------------------------------------------------------------------------------ */

/* A field a rule reads, resolved at load time. */
struct field_ref {
    const struct decl_field *f; /* NULL: the pseudo-field "items" (the item list itself) */
    bool item;                  /* an InventoryList field, written items[].name */
};

#define FIELD_TEXT    (1u << DECL_STRING)
#define FIELD_DECIMAL (1u << DECL_DECIMAL)
#define FIELD_INTEGER (1u << DECL_INTEGER)
#define FIELD_NUMBER  (FIELD_DECIMAL | FIELD_INTEGER)
#define FIELD_ANY     (FIELD_TEXT | FIELD_NUMBER)
#define FIELD_ITEMS   (1u << 8) /* the pseudo-field "items" is allowed */

#define ITEM_PREFIX "items[]."

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
static int parse_field(struct rules_parser *p, const struct ynode *v, const char *key,
                       unsigned kinds, struct field_ref *out)
{
    const char *name;
    char allowed[64];

    if (want_nonempty_scalar(p, v, key) < 0)
        return -1;
    name = v->value;
    if (strcmp(name, "items") == 0) {
        if (!(kinds & FIELD_ITEMS))
            return perr(p, v,
                        "%s: 'items' (the item list) can only be required; address "
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
            return perr(p, v, "%s: unknown item field '%s'", key, name);
    } else {
        out->item = false;
        out->f = decl_field_find(false, name);
        if (!out->f) {
            if (decl_field_find(true, name))
                return perr(p, v,
                            "%s: unknown header field '%s' (the item field is written "
                            "items[].%s)",
                            key, name, name);
            return perr(p, v, "%s: unknown field '%s'", key, name);
        }
    }
    if (!(kinds & (1u << out->f->kind))) {
        kinds_text(kinds, allowed, sizeof(allowed));
        return perr(p, v, "%s: field '%s' is %s; this check reads %s", key, name,
                    kind_name(out->f->kind), allowed);
    }
    return 0;
}

/* `field: X` or `fields: [X, Y]` (exactly one of them), into a new array. */
static int parse_field_list(struct rules_parser *p, const struct ynode *rule, unsigned kinds,
                            struct field_ref **out, size_t *n_out)
{
    const struct ynode *one = ymap_get(rule, "field"), *many = ymap_get(rule, "fields");

    if (one && many)
        return perr(p, ymap_key(rule, "fields"), "use either 'field' or 'fields', not both");
    if (!one && !many)
        return perr(p, rule, "missing 'field' or 'fields'");
    if (one) {
        *out = calloc(1, sizeof(**out));
        if (!*out)
            return poom(p);
        *n_out = 1;
        return parse_field(p, one, "field", kinds, *out);
    }
    if (want_seq(p, many, "fields") < 0)
        return -1;
    *out = calloc(many->n, sizeof(**out));
    if (!*out)
        return poom(p);
    for (size_t i = 0; i < many->n; i++) {
        if (parse_field(p, many->kids[i], "fields", kinds, &(*out)[i]) < 0)
            return -1;
        *n_out = i + 1;
        for (size_t j = 0; j < i; j++) {
            if ((*out)[j].f == (*out)[i].f && (*out)[j].item == (*out)[i].item)
                return perr(p, many->kids[i], "fields: '%s' is listed twice", many->kids[i]->value);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Evaluation helpers                                                                   */
/* ------------------------------------------------------------------------------------ */

/*
 * What one rule found on one declaration. Lives on the stack of rules_evaluate; the
 * message is copied to the heap only when the rule matched.
 */
struct findings {
    size_t count;   /* findings reported */
    size_t omitted; /* findings that did not fit in text */
    size_t len;
    char text[REASON_MAX];
};

#define MORE_RESERVE 32 /* room kept for "; and N more" */

static void finding(struct findings *fs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void finding(struct findings *fs, const char *fmt, ...)
{
    char one[REASON_MAX];
    size_t sep = fs->len ? 2 : 0;
    va_list ap;
    int n;

    fs->count++;
    va_start(ap, fmt);
    n = vsnprintf(one, sizeof(one), fmt, ap);
    va_end(ap);
    if (n >= 0 && fs->len == 0 && (size_t)n + MORE_RESERVE >= sizeof(fs->text)) {
        /* The first finding is always shown, if need be cut at a character boundary. */
        n = (int)(sizeof(fs->text) - MORE_RESERVE - 4);
        while (n > 0 && ((unsigned char)one[n] & 0xC0) == 0x80)
            n--;
        memcpy(one + n, "...", 4);
        n += 3;
    }
    if (n < 0 || fs->len + sep + (size_t)n + MORE_RESERVE >= sizeof(fs->text)) {
        fs->omitted++;
        return;
    }
    if (sep)
        memcpy(fs->text + fs->len, "; ", 2);
    memcpy(fs->text + fs->len + sep, one, (size_t)n + 1);
    fs->len += sep + (size_t)n;
}

static void findings_finish(struct findings *fs)
{
    if (fs->omitted) {
        int n = snprintf(fs->text + fs->len, sizeof(fs->text) - fs->len, "%sand %zu more",
                         fs->len ? "; " : "", fs->omitted);
        if (n > 0)
            fs->len += (size_t)n;
    }
}

/*
 * A value as it appears in a message: single-quoted, control characters and quotes
 * escaped (values come from senders and end up in logs and receipts), cut after
 * VALUE_SHOW_MAX code points. out must hold QUOTE_MAX bytes.
 */
static void quote(char *out, const char *s)
{
    size_t o = 0, chars = 0;

    out[o++] = '\'';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c & 0xC0) != 0x80 && chars++ == VALUE_SHOW_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
        } else if (c == '\'' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '\'';
    out[o] = '\0';
}

/* "grossWeight", "items[gnum=2].gcode", or "items[3].gcode" when the item has no gnum. */
static void field_loc(char *buf, const struct field_ref *fr, const struct decl_item *it, size_t idx)
{
    if (!fr->item)
        snprintf(buf, LOC_MAX, "%s", fr->f->name);
    else if (it && it->gnum.present)
        snprintf(buf, LOC_MAX, "items[gnum=%lld].%s", it->gnum.value, fr->f->name);
    else
        snprintf(buf, LOC_MAX, "items[%zu].%s", idx, fr->f->name);
}

static size_t decl_nitems(const struct declaration *d)
{
    return d->items ? d->n_items : 0;
}

/*
 * A numeric field (decimal or integer) as a decimal, for comparisons. Returns false when
 * absent.
 */
static bool read_number(const void *base, const struct decl_field *f, struct decimal *out)
{
    if (f->kind == DECL_DECIMAL) {
        const struct decl_decimal *v = decl_get_decimal(base, f);
        if (!v || !v->present)
            return false;
        *out = v->value;
        return true;
    }
    if (f->kind == DECL_INTEGER) {
        const struct decl_integer *v = decl_get_integer(base, f);
        if (!v || !v->present)
            return false;
        *out = decimal_from_int(v->value);
        return true;
    }
    return false;
}

typedef void (*text_visit_fn)(const void *check, const struct field_ref *fr, const char *value,
                              const struct decl_item *it, size_t idx, struct findings *fs);

/*
 * Call fn for every present, non-empty value of the text fields: once for a header field,
 * once per item for an item field.
 */
static void visit_text(const void *check, const struct field_ref *fields, size_t n,
                       const struct declaration *d, text_visit_fn fn, struct findings *fs)
{
    size_t nitems = decl_nitems(d);

    for (size_t i = 0; i < n; i++) {
        const struct field_ref *fr = &fields[i];
        const char *s;

        if (!fr->item) {
            s = decl_get_string(d, fr->f);
            if (s && *s)
                fn(check, fr, s, NULL, 0, fs);
            continue;
        }
        for (size_t j = 0; j < nitems; j++) {
            s = decl_get_string(&d->items[j], fr->f);
            if (s && *s)
                fn(check, fr, s, &d->items[j], j, fs);
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* check: required                                                                      */
/* ------------------------------------------------------------------------------------ */

/*
 * Fields present and non-empty (DOMAIN.md section 4 rule 1: every CEB603 Y field).
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
        return poom(p);
    return parse_field_list(p, rule, FIELD_ANY | FIELD_ITEMS, &c->fields, &c->n_fields);
}

static void required_free(void *check)
{
    struct check_required *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c);
}

static bool is_blank(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    }
    return true;
}

static void required_one(const struct field_ref *fr, const void *base, const struct decl_item *it,
                         size_t idx, struct findings *fs)
{
    char loc[LOC_MAX];
    const char *what = NULL;

    switch (fr->f->kind) {
    case DECL_STRING: {
        const char *s = decl_get_string(base, fr->f);
        if (!s)
            what = "missing";
        else if (is_blank(s))
            what = "empty";
        break;
    }
    case DECL_DECIMAL: {
        const struct decl_decimal *v = decl_get_decimal(base, fr->f);
        if (!v || !v->present)
            what = "missing";
        break;
    }
    case DECL_INTEGER: {
        const struct decl_integer *v = decl_get_integer(base, fr->f);
        if (!v || !v->present)
            what = "missing";
        break;
    }
    }
    if (what) {
        field_loc(loc, fr, it, idx);
        finding(fs, "%s: %s", loc, what);
    }
}

static void required_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_required *c = check;
    size_t nitems = decl_nitems(d);

    for (size_t i = 0; i < c->n_fields; i++) {
        const struct field_ref *fr = &c->fields[i];
        if (!fr->f) {
            if (nitems == 0)
                finding(fs, "items: none declared (CEB603 requires 1 to %d)", DECL_MAX_ITEMS);
        } else if (!fr->item) {
            required_one(fr, d, NULL, 0, fs);
        } else {
            for (size_t j = 0; j < nitems; j++)
                required_one(fr, &d->items[j], &d->items[j], j, fs);
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* check: length                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * Length in characters (text) or digits (integers). Either `schema: ceb603` (every field
 * with a CEB603 length in the declaration field table: C36 exact, C..100 maximum, C3..4
 * range; DOMAIN.md section 1), or `fields` with `max`, `min` and/or `exact`.
 */
struct length_field {
    struct field_ref fr;
    unsigned min, max;
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
    unsigned lo = 0, hi = UINT_MAX;

    *out = c;
    if (!c)
        return poom(p);
    if (schema) {
        const struct ynode *other = ymap_key(rule, "fields");
        if (!other)
            other = ymap_key(rule, "field");
        if (!other)
            other = ymap_key(rule, "min");
        if (!other)
            other = ymap_key(rule, "max");
        if (!other)
            other = ymap_key(rule, "exact");
        if (other)
            return perr(p, other, "'%s' cannot be combined with 'schema'", other->value);
        if (want_scalar(p, schema, "schema") < 0)
            return -1;
        if (strcmp(schema->value, "ceb603") != 0)
            return perr(p, schema, "schema: unknown schema '%s' (known: ceb603)", schema->value);
        c->schema = true;
        c->fields = calloc(decl_head_field_count + decl_item_field_count, sizeof(*c->fields));
        if (!c->fields)
            return poom(p);
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

    if (parse_field_list(p, rule, FIELD_TEXT | FIELD_INTEGER, &refs, &nrefs) < 0) {
        free(refs);
        return -1;
    }
    c->fields = calloc(nrefs, sizeof(*c->fields));
    if (!c->fields) {
        free(refs);
        return poom(p);
    }
    for (size_t i = 0; i < nrefs; i++)
        c->fields[i].fr = refs[i];
    c->n_fields = nrefs;
    free(refs);

    if (exact && (min || max))
        return perr(p, ymap_key(rule, "exact"), "'exact' cannot be combined with 'min'/'max'");
    if (!exact && !min && !max)
        return perr(p, rule, "a length rule needs 'schema', or 'exact', 'min' or 'max'");
    if (exact) {
        if (parse_unsigned(p, exact, "exact", LENGTH_LIMIT, &lo) < 0)
            return -1;
        if (lo == 0)
            return perr(p, exact, "exact: must be at least 1");
        hi = lo;
    }
    if (min && parse_unsigned(p, min, "min", LENGTH_LIMIT, &lo) < 0)
        return -1;
    if (max && parse_unsigned(p, max, "max", LENGTH_LIMIT, &hi) < 0)
        return -1;
    if (lo > hi)
        return perr(p, min, "min: %u is greater than max %u", lo, hi);
    for (size_t i = 0; i < c->n_fields; i++) {
        c->fields[i].min = lo;
        c->fields[i].max = hi;
    }
    return 0;
}

/* "exactly 36", "at most 100", "at least 3", "3 to 4" */
static void length_bounds(char *buf, size_t buflen, unsigned min, unsigned max)
{
    if (min == max)
        snprintf(buf, buflen, "exactly %u", min);
    else if (max == UINT_MAX)
        snprintf(buf, buflen, "at least %u", min);
    else if (min == 0)
        snprintf(buf, buflen, "at most %u", max);
    else
        snprintf(buf, buflen, "%u to %u", min, max);
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
        if (!s || !*s)
            return;
        n = utf8_length(s);
        if (n >= lf->min && n <= lf->max)
            return;
        field_loc(loc, &lf->fr, it, idx);
        quote(q, s);
        length_bounds(bounds, sizeof(bounds), lf->min, lf->max);
        finding(fs, "%s: %s has %zu characters, %s allowed%s", loc, q, n, bounds, source);
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
        if (n >= lf->min && n <= lf->max)
            return;
        field_loc(loc, &lf->fr, it, idx);
        length_bounds(bounds, sizeof(bounds), lf->min, lf->max);
        finding(fs, "%s: %lld has %zu digits, %s allowed%s", loc, v->value, n, bounds, source);
    }
}

static void length_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_length *c = check;
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

/* ------------------------------------------------------------------------------------ */
/* check: one_of                                                                        */
/* ------------------------------------------------------------------------------------ */

/* The value is one of a list (ieFlag E; tradeMode 9610, 9710, 9810, 1210, 1239). */
struct check_one_of {
    size_t n_fields;
    struct field_ref *fields;
    size_t n_values;
    char **values; /* sorted, for bsearch */
    char *shown;   /* the list as written, for messages */
};

static const char *const one_of_keys[] = {"field", "fields", "values", NULL};

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

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read a non-empty sequence of distinct non-empty scalars into a sorted array (the strings
 * are borrowed from the tree; the caller copies what it keeps).
 */
static int parse_value_list(struct rules_parser *p, const struct ynode *v, const char *key,
                            struct value_at **out)
{
    struct value_at *vals;

    *out = NULL;
    if (want_seq(p, v, key) < 0)
        return -1;
    vals = calloc(v->n, sizeof(*vals));
    if (!vals)
        return poom(p);
    for (size_t i = 0; i < v->n; i++) {
        if (want_nonempty_scalar(p, v->kids[i], key) < 0) {
            free(vals);
            return -1;
        }
        vals[i].value = v->kids[i]->value;
        vals[i].node = v->kids[i];
    }
    qsort(vals, v->n, sizeof(*vals), value_at_cmp);
    for (size_t i = 1; i < v->n; i++) {
        if (strcmp(vals[i - 1].value, vals[i].value) == 0) {
            int rc = perr(p, vals[i].node, "%s: '%s' is listed twice", key, vals[i].value);
            free(vals);
            return rc;
        }
    }
    *out = vals;
    return 0;
}

static int one_of_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_one_of *c = calloc(1, sizeof(*c));
    const struct ynode *values;
    struct value_at *vals;
    size_t used = 0;

    *out = c;
    if (!c)
        return poom(p);
    if (parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    values = ymap_get(rule, "values");
    if (!values)
        return perr(p, rule, "missing 'values'");
    if (parse_value_list(p, values, "values", &vals) < 0)
        return -1;
    c->values = calloc(values->n, sizeof(*c->values));
    c->shown = malloc(LIST_SHOW_MAX);
    if (!c->values || !c->shown) {
        free(vals);
        return poom(p);
    }
    for (size_t i = 0; i < values->n; i++) {
        c->values[i] = xstrdup(vals[i].value);
        if (!c->values[i]) {
            free(vals);
            return poom(p);
        }
        c->n_values++;
    }
    free(vals);
    /* Messages repeat the list in file order, shortened when long. */
    c->shown[0] = '\0';
    for (size_t i = 0; i < values->n; i++) {
        const char *s = values->kids[i]->value;
        if (used + strlen(s) + 2 + 24 >= LIST_SHOW_MAX) {
            snprintf(c->shown + used, LIST_SHOW_MAX - used, ", ... (%zu values)", values->n);
            break;
        }
        used += (size_t)snprintf(c->shown + used, LIST_SHOW_MAX - used, "%s%s", i ? ", " : "", s);
    }
    return 0;
}

static void one_of_visit(const void *check, const struct field_ref *fr, const char *value,
                         const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_one_of *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    if (bsearch(&value, c->values, c->n_values, sizeof(*c->values), str_cmp))
        return;
    field_loc(loc, fr, it, idx);
    quote(q, value);
    finding(fs, "%s: %s is not one of %s", loc, q, c->shown);
}

static void one_of_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_one_of *c = check;

    visit_text(c, c->fields, c->n_fields, d, one_of_visit, fs);
}

static void one_of_free(void *check)
{
    struct check_one_of *c = check;

    if (!c)
        return;
    for (size_t i = 0; i < c->n_values; i++)
        free(c->values[i]);
    free(c->values);
    free(c->shown);
    free(c->fields);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* check: pattern                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * The value matches a POSIX extended regular expression (regcomp REG_EXTENDED|REG_NOSUB),
 * e.g. gcode ^[0-9]{10}$ (DOMAIN.md section 4 rule 8), code fields ^[0-9]{3}$ (rule 10).
 * `message` replaces "does not match ..." in reasons ("is not 10 digits").
 */
struct check_pattern {
    size_t n_fields;
    struct field_ref *fields;
    bool compiled;
    regex_t re;
    char *source;
    char *message;
};

static const char *const pattern_keys[] = {"field", "fields", "regex", "message", NULL};

static int pattern_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_pattern *c = calloc(1, sizeof(*c));
    const struct ynode *regex, *message;
    char why[256];
    int rc;

    *out = c;
    if (!c)
        return poom(p);
    if (parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    regex = ymap_get(rule, "regex");
    if (!regex)
        return perr(p, rule, "missing 'regex'");
    if (want_nonempty_scalar(p, regex, "regex") < 0)
        return -1;
    rc = regcomp(&c->re, regex->value, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        regerror(rc, &c->re, why, sizeof(why));
        return perr(p, regex, "regex: bad regular expression '%s': %s", regex->value, why);
    }
    c->compiled = true;
    message = ymap_get(rule, "message");
    if (message && want_nonempty_scalar(p, message, "message") < 0)
        return -1;
    if (message)
        c->message = xstrdup(message->value);
    else if (asprintf(&c->message, "does not match %s", regex->value) < 0)
        c->message = NULL;
    c->source = xstrdup(regex->value);
    if (!c->message || !c->source)
        return poom(p);
    return 0;
}

static void pattern_visit(const void *check, const struct field_ref *fr, const char *value,
                          const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_pattern *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    if (regexec(&c->re, value, 0, NULL, 0) == 0)
        return;
    field_loc(loc, fr, it, idx);
    quote(q, value);
    finding(fs, "%s: %s %s", loc, q, c->message);
}

static void pattern_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_pattern *c = check;

    visit_text(c, c->fields, c->n_fields, d, pattern_visit, fs);
}

static void pattern_free(void *check)
{
    struct check_pattern *c = check;

    if (!c)
        return;
    if (c->compiled)
        regfree(&c->re);
    free(c->source);
    free(c->message);
    free(c->fields);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* check: sequence                                                                      */
/* ------------------------------------------------------------------------------------ */

/* An item integer runs 1, 2, ... n in item order (gnum; DOMAIN.md section 4 rule 11). */
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
        return poom(p);
    field = ymap_get(rule, "field");
    if (!field)
        return perr(p, rule, "missing 'field'");
    if (parse_field(p, field, "field", FIELD_INTEGER, &c->field) < 0)
        return -1;
    if (!c->field.item)
        return perr(p, field, "field: a sequence runs over items: write items[].%s",
                    c->field.f->name);
    return 0;
}

static void sequence_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_sequence *c = check;
    size_t nitems = decl_nitems(d);

    for (size_t j = 0; j < nitems; j++) {
        const struct decl_integer *v = decl_get_integer(&d->items[j], c->field.f);
        if (!v || !v->present)
            continue; /* `required` reports it */
        if (v->value != (long long)j + 1) {
            /* Only the first break: after a gap every later item is off by one too. */
            finding(fs, "items[%zu].%s: %lld, expected %zu (consecutive from 1)", j,
                    c->field.f->name, v->value, j + 1);
            return;
        }
    }
}

static void sequence_free(void *check)
{
    free(check);
}

/* ------------------------------------------------------------------------------------ */
/* check: product                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * factor1 x factor2 = equals within tolerance, on the header or on every item
 * (totalPrice = qty x price; DOMAIN.md section 4 rule 12). The product is rounded half
 * away from zero to 5 decimals (decimal_mul).
 */
struct check_product {
    struct field_ref factors[2];
    struct field_ref equals;
    struct decimal tolerance;
    char *tolerance_text;
};

static const char *const product_keys[] = {"factors", "equals", "tolerance", NULL};

static int product_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_product *c = calloc(1, sizeof(*c));
    const struct ynode *factors, *equals, *tolerance;

    *out = c;
    if (!c)
        return poom(p);
    factors = ymap_get(rule, "factors");
    if (!factors)
        return perr(p, rule, "missing 'factors'");
    if (want_seq(p, factors, "factors") < 0)
        return -1;
    if (factors->n != 2)
        return perr(p, factors, "factors: expected 2 fields, got %zu", factors->n);
    for (size_t i = 0; i < 2; i++) {
        if (parse_field(p, factors->kids[i], "factors", FIELD_NUMBER, &c->factors[i]) < 0)
            return -1;
    }
    equals = ymap_get(rule, "equals");
    if (!equals)
        return perr(p, rule, "missing 'equals'");
    if (parse_field(p, equals, "equals", FIELD_NUMBER, &c->equals) < 0)
        return -1;
    if (c->factors[0].item != c->equals.item || c->factors[1].item != c->equals.item)
        return perr(p, equals,
                    "equals: factors and result must all be item fields or all "
                    "header fields");
    tolerance = ymap_get(rule, "tolerance");
    if (tolerance) {
        if (parse_decimal_node(p, tolerance, "tolerance", &c->tolerance) < 0)
            return -1;
        if (decimal_is_negative(c->tolerance))
            return perr(p, tolerance, "tolerance: must not be negative");
    }
    c->tolerance_text = xstrdup(tolerance ? tolerance->value : "0");
    if (!c->tolerance_text)
        return poom(p);
    return 0;
}

static void product_one(const struct check_product *c, const void *base, const struct decl_item *it,
                        size_t idx, struct findings *fs)
{
    struct decimal a, b, want, got, diff;
    char loc[LOC_MAX], ta[DECIMAL_TEXT_MAX], tb[DECIMAL_TEXT_MAX], tw[DECIMAL_TEXT_MAX],
        tg[DECIMAL_TEXT_MAX];

    if (!read_number(base, c->factors[0].f, &a) || !read_number(base, c->factors[1].f, &b) ||
        !read_number(base, c->equals.f, &got))
        return; /* `required` reports what is missing */
    field_loc(loc, &c->equals, it, idx);
    decimal_format(a, ta, sizeof(ta));
    decimal_format(b, tb, sizeof(tb));
    if (decimal_mul(a, b, &want) < 0) {
        finding(fs, "%s: %s × %s = %s × %s is out of the N19,5 range", loc, c->factors[0].f->name,
                c->factors[1].f->name, ta, tb);
        return;
    }
    if (decimal_sub(got, want, &diff) == 0 && decimal_cmp(decimal_abs(diff), c->tolerance) <= 0)
        return;
    decimal_format(want, tw, sizeof(tw));
    decimal_format(got, tg, sizeof(tg));
    finding(fs, "%s: %s, expected %s × %s = %s × %s = %s (tolerance %s)", loc, tg,
            c->factors[0].f->name, c->factors[1].f->name, ta, tb, tw, c->tolerance_text);
}

static void product_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_product *c = check;
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

/* ------------------------------------------------------------------------------------ */
/* check: compare                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * left op right, where right is a field or a decimal `value` (grossWeight >= netWeight,
 * netWeight > 0, packNo >= 1; DOMAIN.md section 4 rules 14, 15). Decimal and integer
 * fields compare exactly. When either side is an item field it holds for every item (a
 * header operand is the same for all).
 */
enum compare_op { OP_LT, OP_LE, OP_EQ, OP_NE, OP_GE, OP_GT };

static const struct {
    const char *name;
    enum compare_op op;
} compare_ops[] = {{"<", OP_LT},  {"<=", OP_LE}, {"=", OP_EQ}, {"==", OP_EQ},
                   {"!=", OP_NE}, {">=", OP_GE}, {">", OP_GT}};

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
    bool found = false;

    *out = c;
    if (!c)
        return poom(p);
    left = ymap_get(rule, "left");
    if (!left)
        return perr(p, rule, "missing 'left'");
    if (parse_field(p, left, "left", FIELD_NUMBER, &c->left) < 0)
        return -1;
    op = ymap_get(rule, "op");
    if (!op)
        return perr(p, rule, "missing 'op'");
    if (want_scalar(p, op, "op") < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(compare_ops) && !found; i++) {
        if (strcmp(op->value, compare_ops[i].name) == 0) {
            c->op = compare_ops[i].op;
            c->op_name = compare_ops[i].name;
            found = true;
        }
    }
    if (!found)
        return perr(p, op,
                    "op: unknown operator '%s' (known: <, <=, =, !=, >=, >; quote "
                    "them in YAML)",
                    op->value);
    right = ymap_get(rule, "right");
    value = ymap_get(rule, "value");
    if (right && value)
        return perr(p, ymap_key(rule, "value"), "use either 'right' or 'value', not both");
    if (!right && !value)
        return perr(p, rule, "missing 'right' (a field) or 'value' (a number)");
    if (right) {
        c->right_is_field = true;
        return parse_field(p, right, "right", FIELD_NUMBER, &c->right);
    }
    return parse_decimal_node(p, value, "value", &c->value);
}

static bool compare_holds(enum compare_op op, int cmp)
{
    switch (op) {
    case OP_LT:
        return cmp < 0;
    case OP_LE:
        return cmp <= 0;
    case OP_EQ:
        return cmp == 0;
    case OP_NE:
        return cmp != 0;
    case OP_GE:
        return cmp >= 0;
    case OP_GT:
        return cmp > 0;
    }
    return false;
}

static void compare_one(const struct check_compare *c, const struct declaration *d,
                        const struct decl_item *it, size_t idx, struct findings *fs)
{
    struct decimal l, r;
    char loc[LOC_MAX], rloc[LOC_MAX], tl[DECIMAL_TEXT_MAX], tr[DECIMAL_TEXT_MAX];
    const void *lbase = c->left.item ? (const void *)it : (const void *)d;

    if (!read_number(lbase, c->left.f, &l))
        return;
    if (c->right_is_field) {
        const void *rbase = c->right.item ? (const void *)it : (const void *)d;
        if (!read_number(rbase, c->right.f, &r))
            return;
    } else {
        r = c->value;
    }
    if (compare_holds(c->op, decimal_cmp(l, r)))
        return;
    field_loc(loc, &c->left, it, idx);
    decimal_format(l, tl, sizeof(tl));
    decimal_format(r, tr, sizeof(tr));
    if (c->right_is_field) {
        field_loc(rloc, &c->right, it, idx);
        finding(fs, "%s: %s is not %s %s %s", loc, tl, c->op_name, rloc, tr);
    } else {
        finding(fs, "%s: %s is not %s %s", loc, tl, c->op_name, tr);
    }
}

static void compare_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_compare *c = check;
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

/* ------------------------------------------------------------------------------------ */
/* check: hs_prefix                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * The HS code starts with a listed chapter (2 digits), heading (4), subheading (6) or a
 * longer prefix: a watch list. Matches are hits, so the usual action is inspect.
 */
struct check_hs_prefix {
    size_t n_fields;
    struct field_ref *fields;
    size_t n_prefixes;
    char **prefixes;
    size_t *lens;
};

static const char *const hs_prefix_keys[] = {"field", "fields", "prefixes", NULL};

static int hs_prefix_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_hs_prefix *c = calloc(1, sizeof(*c));
    const struct ynode *prefixes;
    struct value_at *vals;

    *out = c;
    if (!c)
        return poom(p);
    if (parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    prefixes = ymap_get(rule, "prefixes");
    if (!prefixes)
        return perr(p, rule, "missing 'prefixes'");
    if (parse_value_list(p, prefixes, "prefixes", &vals) < 0)
        return -1;
    for (size_t i = 0; i < prefixes->n; i++) {
        const struct ynode *v = prefixes->kids[i];
        if (v->len < 2 || v->len > 10 || strspn(v->value, "0123456789") != v->len) {
            free(vals);
            return perr(p, v, "prefixes: an HS prefix is 2 to 10 digits, got '%s'", v->value);
        }
    }
    free(vals);
    c->prefixes = calloc(prefixes->n, sizeof(*c->prefixes));
    c->lens = calloc(prefixes->n, sizeof(*c->lens));
    if (!c->prefixes || !c->lens)
        return poom(p);
    for (size_t i = 0; i < prefixes->n; i++) {
        c->prefixes[i] = xstrdup(prefixes->kids[i]->value);
        if (!c->prefixes[i])
            return poom(p);
        c->lens[i] = prefixes->kids[i]->len;
        c->n_prefixes++;
    }
    return 0;
}

static void hs_prefix_visit(const void *check, const struct field_ref *fr, const char *value,
                            const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_hs_prefix *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    for (size_t i = 0; i < c->n_prefixes; i++) {
        if (strncmp(value, c->prefixes[i], c->lens[i]) == 0) {
            field_loc(loc, fr, it, idx);
            quote(q, value);
            finding(fs, "%s: %s is on the watch list (HS prefix %s)", loc, q, c->prefixes[i]);
            return;
        }
    }
}

static void hs_prefix_eval(const void *check, const struct declaration *d, struct findings *fs)
{
    const struct check_hs_prefix *c = check;

    visit_text(c, c->fields, c->n_fields, d, hs_prefix_visit, fs);
}

static void hs_prefix_free(void *check)
{
    struct check_hs_prefix *c = check;

    if (!c)
        return;
    for (size_t i = 0; i < c->n_prefixes; i++)
        free(c->prefixes[i]);
    free(c->prefixes);
    free(c->lens);
    free(c->fields);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* Check kinds                                                                          */
/* ------------------------------------------------------------------------------------ */

struct check_kind {
    const char *name;        /* `check:` in the rules file */
    const char *const *keys; /* the keys this check reads, besides the rule keys */
    /* Parse the rule's keys into a new private struct, stored in *out even on failure
     * (then freed by the caller with free_fn). Returns 0 or -1 via perr. */
    int (*parse)(struct rules_parser *p, const struct ynode *rule, void **out);
    /* Report findings on one declaration. Must not allocate. */
    void (*eval)(const void *check, const struct declaration *d, struct findings *fs);
    void (*free_fn)(void *check);
};

static const struct check_kind check_kinds[] = {
    {"required", required_keys, required_parse, required_eval, required_free},
    {"length", length_keys, length_parse, length_eval, length_free},
    {"one_of", one_of_keys, one_of_parse, one_of_eval, one_of_free},
    {"pattern", pattern_keys, pattern_parse, pattern_eval, pattern_free},
    {"sequence", sequence_keys, sequence_parse, sequence_eval, sequence_free},
    {"product", product_keys, product_parse, product_eval, product_free},
    {"compare", compare_keys, compare_parse, compare_eval, compare_free},
    {"hs_prefix", hs_prefix_keys, hs_prefix_parse, hs_prefix_eval, hs_prefix_free},
};

/* ------------------------------------------------------------------------------------ */
/* Rules and rule sets                                                                  */
/* ------------------------------------------------------------------------------------ */

struct rule {
    char *id;
    char *description;
    enum rule_action action;
    bool enabled;
    const struct check_kind *kind;
    void *check; /* the kind's parsed arguments, owned */
    size_t line; /* where the rule starts in the file */
};

struct rules {
    char *text; /* the file's bytes, NUL-terminated */
    size_t len;
    char version[65];
    size_t n_rules;
    struct rule *rules;
};

static const struct {
    const char *name;
    enum rule_action action;
} rule_actions[] = {
    {"reject", RULE_REJECT},
    {"review", RULE_REVIEW},
    {"inspect", RULE_INSPECT},
    {"flag", RULE_FLAG},
};

/* Keys every rule may have, whatever its check. */
static const char *const rule_keys[] = {"id", "description", "action", "check", "enabled", NULL};

const char *rule_action_name(enum rule_action a)
{
    for (size_t i = 0; i < ARRAY_SIZE(rule_actions); i++) {
        if (rule_actions[i].action == a)
            return rule_actions[i].name;
    }
    return "unknown";
}

static void rule_clear(struct rule *r)
{
    if (r->kind && r->check)
        r->kind->free_fn(r->check);
    free(r->id);
    free(r->description);
    memset(r, 0, sizeof(*r));
}

static int rule_parse(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *id, *description, *action, *check, *enabled;
    char known[256];

    if (node->type != YNODE_MAP)
        return perr(p, node,
                    "a rule is a mapping (id, description, action, check, ...), "
                    "got %s",
                    ynode_type_name(node));
    r->line = node->line;

    check = ymap_get(node, "check");
    if (!check)
        return perr(p, node, "rule without 'check'");
    if (want_nonempty_scalar(p, check, "check") < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(check_kinds) && !r->kind; i++) {
        if (strcmp(check->value, check_kinds[i].name) == 0)
            r->kind = &check_kinds[i];
    }
    if (!r->kind) {
        size_t used = 0;
        known[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(check_kinds); i++)
            used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
                                     check_kinds[i].name);
        return perr(p, check, "check: unknown check '%s' (known: %s)", check->value, known);
    }

    /* Unknown keys first, so a misspelt key is named rather than reported as missing. */
    for (size_t i = 0; i < node->n; i += 2) {
        const struct ynode *k = node->kids[i];
        if (!name_in(k->value, rule_keys) && !name_in(k->value, r->kind->keys)) {
            names_join(r->kind->keys, known, sizeof(known));
            return perr(p, k,
                        "unknown key '%s' in a '%s' rule (rule keys: id, description, "
                        "action, check, enabled; %s keys: %s)",
                        k->value, r->kind->name, r->kind->name, known);
        }
    }

    id = ymap_get(node, "id");
    if (!id)
        return perr(p, node, "rule without 'id'");
    if (want_nonempty_scalar(p, id, "id") < 0)
        return -1;
    if (utf8_length(id->value) > RULE_ID_MAX || strpbrk(id->value, " \t\r\n"))
        return perr(p, id, "id: '%s' must be at most %d characters without spaces", id->value,
                    RULE_ID_MAX);
    r->id = xstrdup(id->value);

    description = ymap_get(node, "description");
    if (description && want_scalar(p, description, "description") < 0)
        return -1;
    r->description = xstrdup(description ? description->value : "");
    if (!r->id || !r->description)
        return poom(p);

    action = ymap_get(node, "action");
    if (!action)
        return perr(p, node, "rule '%s' without 'action' (reject, review, inspect or flag)", r->id);
    if (want_scalar(p, action, "action") < 0)
        return -1;
    {
        bool found = false;
        for (size_t i = 0; i < ARRAY_SIZE(rule_actions) && !found; i++) {
            if (strcmp(action->value, rule_actions[i].name) == 0) {
                r->action = rule_actions[i].action;
                found = true;
            }
        }
        if (!found)
            return perr(p, action,
                        "action: unknown action '%s' (known: reject, review, "
                        "inspect, flag)",
                        action->value);
    }

    r->enabled = true;
    enabled = ymap_get(node, "enabled");
    if (enabled) {
        /* Only the two words: YAML 1.1's yes/no/on/off are not booleans here. */
        if (want_scalar(p, enabled, "enabled") < 0)
            return -1;
        if (strcmp(enabled->value, "true") == 0)
            r->enabled = true;
        else if (strcmp(enabled->value, "false") == 0)
            r->enabled = false;
        else
            return perr(p, enabled, "enabled: expected true or false, got '%s'", enabled->value);
    }

    return r->kind->parse(p, node, &r->check);
}

static int rules_parse_tree(struct rules_parser *p, const struct ynode *root, struct rules *rs)
{
    const struct ynode *version, *list;

    if (!root || (root->type == YNODE_SCALAR && root->plain && root->len == 0))
        return perr(p, NULL, "empty rules file (expected 'version: 1' and 'rules:')");
    if (root->type != YNODE_MAP)
        return perr(p, root, "expected a mapping with 'version' and 'rules', got %s",
                    ynode_type_name(root));
    for (size_t i = 0; i < root->n; i += 2) {
        const struct ynode *k = root->kids[i];
        if (strcmp(k->value, "version") != 0 && strcmp(k->value, "rules") != 0)
            return perr(p, k, "unknown key '%s' (known: version, rules)", k->value);
    }
    version = ymap_get(root, "version");
    if (!version)
        return perr(p, root, "missing 'version: 1'");
    if (want_scalar(p, version, "version") < 0)
        return -1;
    if (strcmp(version->value, "1") != 0)
        return perr(p, version,
                    "version: unsupported rules format version '%s' (this "
                    "customsd reads version 1)",
                    version->value);
    list = ymap_get(root, "rules");
    if (!list)
        return perr(p, root, "missing 'rules'");
    /* An empty rule set would accept everything: refuse it rather than clear all parcels. */
    if (want_seq(p, list, "rules") < 0)
        return -1;
    rs->rules = calloc(list->n, sizeof(*rs->rules));
    if (!rs->rules)
        return poom(p);
    for (size_t i = 0; i < list->n; i++) {
        struct rule *r = &rs->rules[i];
        rs->n_rules = i + 1; /* so rules_free clears a half-parsed rule too */
        if (rule_parse(p, list->kids[i], r) < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(rs->rules[j].id, r->id) == 0)
                return perr(p, ymap_get(list->kids[i], "id"),
                            "duplicate rule id '%s' (first at line %zu)", r->id, rs->rules[j].line);
        }
    }
    return 0;
}

int rules_load_buffer(const char *name, const char *text, size_t len, struct rules **out, char *err,
                      size_t errlen)
{
    struct rules_parser p = {name, err, errlen};
    struct rules *rs;
    struct ynode *root = NULL;

    *out = NULL;
    if (len > RULES_MAX_BYTES)
        return errf(err, errlen, "%s: larger than %d bytes", name, RULES_MAX_BYTES);
    rs = calloc(1, sizeof(*rs));
    if (!rs)
        return errf(err, errlen, "%s: out of memory", name);
    rs->text = malloc(len + 1);
    if (!rs->text) {
        free(rs);
        return errf(err, errlen, "%s: out of memory", name);
    }
    memcpy(rs->text, text, len);
    rs->text[len] = '\0';
    rs->len = len;
    if (sha256_hex(rs->text, len, rs->version) < 0) {
        errf(err, errlen, "%s: cannot compute SHA-256", name);
        goto fail;
    }
    if (ytree_parse(name, rs->text, len, &root, err, errlen) < 0)
        goto fail;
    if (rules_parse_tree(&p, root, rs) < 0)
        goto fail;
    ynode_free(root);
    *out = rs;
    return 0;
fail:
    ynode_free(root);
    rules_free(rs);
    return -1;
}

int rules_load(const char *path, struct rules **out, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = read_file(path, &len);
    int rc;

    *out = NULL;
    if (!text)
        return errf(err, errlen, "%s: %s", path, strerror(errno));
    rc = rules_load_buffer(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

void rules_free(struct rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_rules; i++)
        rule_clear(&r->rules[i]);
    free(r->rules);
    free(r->text);
    free(r);
}

const char *rules_version(const struct rules *r)
{
    return r->version;
}

const char *rules_text(const struct rules *r)
{
    return r->text;
}

size_t rules_count(const struct rules *r)
{
    return r->n_rules;
}

/* ------------------------------------------------------------------------------------ */
/* Evaluation                                                                           */
/* ------------------------------------------------------------------------------------ */

static int decision_add(struct decision *dec, const struct rule *r, const char *message)
{
    struct reason *nr = realloc(dec->reasons, (dec->n_reasons + 1) * sizeof(*nr));

    if (!nr)
        return -1;
    dec->reasons = nr;
    nr[dec->n_reasons].rule_id = xstrdup(r->id);
    nr[dec->n_reasons].message = xstrdup(message);
    nr[dec->n_reasons].action = r->action;
    if (!nr[dec->n_reasons].rule_id || !nr[dec->n_reasons].message) {
        free(nr[dec->n_reasons].rule_id);
        free(nr[dec->n_reasons].message);
        return -1;
    }
    dec->n_reasons++;
    return 0;
}

int rules_evaluate(const struct rules *r, const struct declaration *d, struct decision *out)
{
    bool reject = false, review = false, inspect = false;
    struct findings fs;

    out->n_reasons = 0;
    out->reasons = NULL;
    out->rules_version = r->version;
    for (size_t i = 0; i < r->n_rules; i++) {
        const struct rule *rule = &r->rules[i];

        if (!rule->enabled)
            continue;
        fs.count = 0;
        fs.omitted = 0;
        fs.len = 0;
        fs.text[0] = '\0';
        rule->kind->eval(rule->check, d, &fs);
        if (fs.count == 0)
            continue;
        findings_finish(&fs);
        if (decision_add(out, rule, fs.text) < 0) {
            decision_clear(out);
            return -1;
        }
        switch (rule->action) {
        case RULE_REJECT:
            reject = true;
            break;
        case RULE_REVIEW:
            review = true;
            break;
        case RULE_INSPECT:
            inspect = true;
            break;
        case RULE_FLAG:
            break; /* recorded, no status change */
        }
    }
    out->status_code = reject    ? STATUS_REJECTED
                       : review  ? STATUS_REVIEW
                       : inspect ? STATUS_INSPECTION
                                 : STATUS_ACCEPTED;
    return 0;
}

void decision_clear(struct decision *dec)
{
    if (!dec)
        return;
    for (size_t i = 0; i < dec->n_reasons; i++) {
        free(dec->reasons[i].rule_id);
        free(dec->reasons[i].message);
    }
    free(dec->reasons);
    memset(dec, 0, sizeof(*dec));
}
