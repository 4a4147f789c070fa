/*
 * yamlread.h - the safe YAML reader shared by the configuration (config.c), the rules
 * (rules_load.c, with its list and rates files) and customsctl's rule tests: libyaml's event
 * API turned into a small tree of scalars, mappings and sequences.
 *
 * What a hand-written file for customs staff needs, and nothing that makes YAML surprising:
 *   - scalars are kept exactly as written: `NO`, `no`, `on`, `007`, `0123`, `1e3` and
 *     `2024-04-01` are those strings (no YAML 1.1 booleans, octals, floats or timestamps);
 *     the key that reads a value decides its type;
 *   - duplicate keys in a mapping are an error (never last-wins);
 *   - anchors, aliases and explicit tags are refused, so no expansion bomb can be written
 *     and no value can ask for a type; the tree is also bounded in depth and node count;
 *   - a tab where indentation is expected, several documents, a non-scalar mapping key and
 *     a NUL character are errors.
 * Every error is "file:line:column: what" (1-based; columns count characters).
 * Pure: parses text given by the caller, no I/O.
 */
#ifndef CUSTOMSD_YAMLREAD_H
#define CUSTOMSD_YAMLREAD_H

#include <stdbool.h>
#include <stddef.h>

#define YAMLREAD_MAX_NODES 1000000 /* scalars + collections in one file */

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

/* One node of the tree. */
struct ynode {
    enum ynode_type type;
    size_t line, column; /* 1-based position of the node's first character */
    char *value;         /* scalar: the text as written, NUL-terminated (no NUL inside) */
    size_t len;          /* scalar: length of value in bytes */
    bool plain;          /* scalar: written without quotes (an empty plain scalar is YAML null) */
    size_t n;            /* map: 2 * pairs, kids = key, value, key, value ...; seq: elements */
    size_t cap;
    struct ynode **kids;
};

/*
 * Parse `text` (`len` bytes, need not be NUL-terminated) into a tree. `file` names the
 * text in errors. `max_depth` bounds nesting of collections (1..64).
 * Returns 0 and *root (NULL for an empty stream: no document at all), or -1 with
 * "file:line:column: what" in err ("file: out of memory" on allocation failure).
 */
int yamlread_parse(const char *file, const char *text, size_t len, size_t max_depth,
                   struct ynode **root, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Free a tree. Accepts NULL. */
void yamlread_free(struct ynode *n);

/* "a mapping", "a sequence" or "a scalar", for messages. */
const char *yamlread_type_name(const struct ynode *n);

/* True for YAML null as this reader sees it: an empty plain scalar (`key:` with nothing). */
bool yamlread_is_null(const struct ynode *n);

/* The value of `key` in a mapping, or NULL. */
const struct ynode *yamlread_get(const struct ynode *map, const char *key);

/* The key node of `key` in a mapping (for its position in errors), or NULL. */
const struct ynode *yamlread_key(const struct ynode *map, const char *key);

#endif
