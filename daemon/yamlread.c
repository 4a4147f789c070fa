/*
 * yamlread.c - the safe YAML reader (see yamlread.h): libyaml events into a tree of
 * scalars as written, refusing anchors, aliases, tags, duplicate keys, several documents,
 * deep nesting and oversized trees, with errors as "file:line:column: what".
 *
 * Config and rules used to carry a copy each; one reader means one set of safety rules.
 */
#include "yamlread.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util.h"

#define YAMLREAD_DEPTH_LIMIT 64

void yamlread_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        yamlread_free(n->kids[i]);
    free(n->kids);
    free(n->value);
    free(n);
}

const char *yamlread_type_name(const struct ynode *n)
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
        return util_errf(err, errlen, "%s: out of memory", file);
    if (p->error == YAML_READER_ERROR) {
        ytree_offset_position(text, len, p->problem_offset, &line, &column);
        return util_errf(err, errlen, "%s:%zu:%zu: %s", file, line, column,
                         p->problem ? p->problem : "cannot read the text");
    }
    line = p->problem_mark.line + 1;
    column = p->problem_mark.column + 1;
    /* libyaml's words for a tab ("cannot start any token") do not say what to fix. */
    if (ytree_char_at(text, len, line, column) == '\t')
        return util_errf(err, errlen, "%s:%zu:%zu: tab character: YAML indentation must use spaces",
                         file, line, column);
    /* items[].x inside [a, b]: the brackets end the flow list; say how to write it. */
    if (p->context && strstr(p->context, "flow") && ytree_line_has(text, len, line, "[]"))
        return util_errf(err, errlen,
                         "%s:%zu:%zu: %s (%s at line %zu column %zu; inside [ ] write "
                         "\"items[].name\" in quotes)",
                         file, line, column, p->problem ? p->problem : "syntax error", p->context,
                         (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
    if (p->context)
        return util_errf(err, errlen, "%s:%zu:%zu: %s (%s at line %zu column %zu)", file, line,
                         column, p->problem ? p->problem : "syntax error", p->context,
                         (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
    return util_errf(err, errlen, "%s:%zu:%zu: %s", file, line, column,
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

struct key_at {
    const struct ynode *node;
};

static int key_at_cmp(const void *a, const void *b)
{
    const struct ynode *x = ((const struct key_at *)a)->node, *y = ((const struct key_at *)b)->node;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->value, y->value, n);

    if (r)
        return r;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    /* Equal keys: file order, so the error names the first and points at the second. */
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->column < y->column ? -1 : (x->column > y->column);
}

static int duplicate_error(const struct ynode *first, const struct ynode *again, const char *file,
                           char *err, size_t errlen)
{
    return util_errf(err, errlen, "%s:%zu:%zu: duplicate key '%s' (first at line %zu column %zu)",
                     file, again->line, again->column, again->value, first->line, first->column);
}

/*
 * A mapping is complete: refuse duplicate keys (YAML says keys are unique; never
 * last-wins). Small mappings compare pairwise; large ones (code tables) sort a copy, so a
 * big list file stays O(n log n).
 */
static int ytree_check_duplicates(const struct ynode *map, const char *file, char *err,
                                  size_t errlen)
{
    size_t pairs = map->n / 2;
    struct key_at *keys;
    int rc = 0;

    if (pairs <= 16) {
        for (size_t i = 2; i < map->n; i += 2) {
            const struct ynode *k = map->kids[i];
            for (size_t j = 0; j < i; j += 2) {
                const struct ynode *o = map->kids[j];
                if (o->len == k->len && memcmp(o->value, k->value, k->len) == 0)
                    return duplicate_error(o, k, file, err, errlen);
            }
        }
        return 0;
    }
    keys = malloc(pairs * sizeof(*keys));
    if (!keys)
        return util_errf(err, errlen, "%s: out of memory", file);
    for (size_t i = 0; i < pairs; i++)
        keys[i].node = map->kids[2 * i];
    qsort(keys, pairs, sizeof(*keys), key_at_cmp);
    /* Each run of equal keys is in file order: its first two are a duplicate. Report the
     * one whose repetition comes first in the file, as the pairwise scan would. */
    const struct ynode *first = NULL, *again = NULL;
    for (size_t i = 1; i < pairs; i++) {
        const struct ynode *a = keys[i - 1].node, *b = keys[i].node;
        bool run_start = i == 1 || keys[i - 2].node->len != a->len ||
                         memcmp(keys[i - 2].node->value, a->value, a->len) != 0;
        if (!run_start || a->len != b->len || memcmp(a->value, b->value, a->len) != 0)
            continue;
        if (!again || b->line < again->line ||
            (b->line == again->line && b->column < again->column)) {
            first = a;
            again = b;
        }
    }
    if (again)
        rc = duplicate_error(first, again, file, err, errlen);
    free(keys);
    return rc;
}

/* The tree being built from libyaml's events, and where errors go. */
struct ytree_build {
    const char *file;
    size_t max_depth;
    struct ynode *stack[YAMLREAD_DEPTH_LIMIT]; /* open collections, innermost last */
    size_t depth;
    size_t nodes; /* created so far, against YAMLREAD_MAX_NODES */
    struct ynode *doc;
    int ndocs;
    char *err;
    size_t errlen;
};

/* Anchors and tags are refused: no expansion bombs, and the key decides the type. */
static int ytree_refuse_properties(struct ytree_build *b, const yaml_event_t *ev, size_t line,
                                   size_t column)
{
    const yaml_char_t *anchor, *tag;

    if (ev->type == YAML_SCALAR_EVENT) {
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
    } else {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
    }
    if (anchor)
        return util_errf(b->err, b->errlen, "%s:%zu:%zu: anchors are not supported", b->file, line,
                         column);
    if (tag) /* A tag would ask for a type; here the key decides the type. */
        return util_errf(b->err, b->errlen, "%s:%zu:%zu: tags are not supported", b->file, line,
                         column);
    return 0;
}

/* A new node for a scalar or collection start event, or NULL with err set. */
static struct ynode *ytree_new_node(struct ytree_build *b, const yaml_event_t *ev, size_t line,
                                    size_t column)
{
    struct ynode *node;

    if (++b->nodes > YAMLREAD_MAX_NODES) {
        util_errf(b->err, b->errlen, "%s:%zu:%zu: more than %d YAML nodes", b->file, line, column,
                  YAMLREAD_MAX_NODES);
        return NULL;
    }
    node = calloc(1, sizeof(*node));
    if (!node) {
        util_errf(b->err, b->errlen, "%s: out of memory", b->file);
        return NULL;
    }
    node->line = line;
    node->column = column;
    if (ev->type != YAML_SCALAR_EVENT) {
        node->type = ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ;
        return node;
    }
    node->type = YNODE_SCALAR;
    node->len = ev->data.scalar.length;
    node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (memchr(ev->data.scalar.value, '\0', node->len)) {
        free(node);
        util_errf(b->err, b->errlen, "%s:%zu:%zu: NUL character in a scalar", b->file, line,
                  column);
        return NULL;
    }
    node->value = util_strndup((const char *)ev->data.scalar.value, node->len);
    if (!node->value) {
        free(node);
        util_errf(b->err, b->errlen, "%s: out of memory", b->file);
        return NULL;
    }
    return node;
}

/*
 * Attach a new node to the open collection (or make it the document root) and open it
 * when it is a collection. On error the node is freed unless the tree owns it already.
 */
static int ytree_attach(struct ytree_build *b, struct ynode *node)
{
    if (b->depth == 0) {
        b->doc = node;
    } else {
        struct ynode *parent = b->stack[b->depth - 1];
        if (parent->type == YNODE_MAP && parent->n % 2 == 0 && node->type != YNODE_SCALAR) {
            util_errf(b->err, b->errlen, "%s:%zu:%zu: a mapping key must be a scalar", b->file,
                      node->line, node->column);
            yamlread_free(node);
            return -1;
        }
        if (ynode_append(parent, node) < 0) {
            yamlread_free(node);
            return util_errf(b->err, b->errlen, "%s: out of memory", b->file);
        }
    }
    if (node->type == YNODE_SCALAR)
        return 0;
    if (b->depth == b->max_depth)
        return util_errf(b->err, b->errlen, "%s:%zu:%zu: nested deeper than %zu levels", b->file,
                         node->line, node->column, b->max_depth);
    b->stack[b->depth++] = node;
    return 0;
}

/* One libyaml event into the tree. Returns 0, or -1 with err set. *done at stream end. */
static int ytree_event(struct ytree_build *b, const yaml_event_t *ev, bool *done)
{
    size_t line = ev->start_mark.line + 1, column = ev->start_mark.column + 1;
    struct ynode *node;

    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        *done = true;
        return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (b->ndocs++ > 0)
            return util_errf(b->err, b->errlen, "%s:%zu:%zu: more than one YAML document", b->file,
                             line, column);
        return 0;
    case YAML_ALIAS_EVENT:
        return util_errf(b->err, b->errlen, "%s:%zu:%zu: aliases are not supported", b->file, line,
                         column);
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (ytree_refuse_properties(b, ev, line, column) < 0)
            return -1;
        node = ytree_new_node(b, ev, line, column);
        if (!node)
            return -1;
        return ytree_attach(b, node);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0) {
            struct ynode *closed = b->stack[--b->depth];
            if (closed->type == YNODE_MAP &&
                ytree_check_duplicates(closed, b->file, b->err, b->errlen) < 0)
                return -1;
        }
        return 0;
    default:
        return 0;
    }
}

int yamlread_parse(const char *file, const char *text, size_t len, size_t max_depth,
                   struct ynode **root, char *err, size_t errlen)
{
    struct ytree_build b = {.file = file, .max_depth = max_depth, .err = err, .errlen = errlen};
    yaml_parser_t parser;
    yaml_event_t ev;
    bool done = false;
    int rc = 0;

    *root = NULL;
    if (max_depth == 0 || max_depth > YAMLREAD_DEPTH_LIMIT)
        b.max_depth = YAMLREAD_DEPTH_LIMIT;
    if (!yaml_parser_initialize(&parser))
        return util_errf(err, errlen, "%s: out of memory", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = ytree_parser_error(&parser, file, text, len, err, errlen);
            break;
        }
        rc = ytree_event(&b, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc < 0) {
        yamlread_free(b.doc);
        return -1;
    }
    *root = b.doc;
    return 0;
}

bool yamlread_is_null(const struct ynode *n)
{
    return n && n->type == YNODE_SCALAR && n->plain && n->len == 0;
}

const struct ynode *yamlread_get(const struct ynode *map, const char *key)
{
    if (!map || map->type != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i += 2) {
        if (strcmp(map->kids[i]->value, key) == 0)
            return map->kids[i + 1];
    }
    return NULL;
}

const struct ynode *yamlread_key(const struct ynode *map, const char *key)
{
    if (!map || map->type != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i += 2) {
        if (strcmp(map->kids[i]->value, key) == 0)
            return map->kids[i];
    }
    return NULL;
}
