/*
 * rules_int.h - the rules engine's internals, shared by its files and by nothing else (the
 * rest of customsd sees rules.h only). rules.c says how the files divide the work.
 *
 * What lives here: the rule set as loaded (struct rules, struct rule, the rates table), the
 * parser context every load step writes its errors through (struct rules_parser, rules_perr), a
 * field as a rule reads it (struct field_ref), what a check sees and reports at evaluation
 * (struct eval_ctx, struct findings), conditions (struct cond), and the check kind vtable
 * (struct check_kind) with the list of kinds. Each function declared here has a line saying
 * what it takes, gives and refuses; the groups below say which file defines it, where the
 * details are. Nothing outside daemon/rules*.c includes this, but the functions and check
 * kinds are global symbols of the library, so they carry the prefix rules_.
 */
#ifndef CUSTOMSD_RULES_INT_H
#define CUSTOMSD_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "declaration.h"
#include "rules.h"
#include "yamlread.h"

#define RULES_MAX_BYTES  (16 * 1024 * 1024) /* the rules file and each file it references */
#define RULES_MAX_FILES  64                 /* referenced files in one rule set */
#define RULES_YAML_DEPTH 32  /* rules: [ {when: {all: [ {not: ...} ]}} ] needs room */
#define RULE_ID_MAX      64  /* characters of a rule id */
#define MESSAGE_ZH_MAX   200 /* characters (code points) of a rule's message_zh */
#define REASON_MAX       512 /* bytes of one reason message, findings beyond say "and N more" */
#define NOTE_MAX         256 /* bytes of a check's note (what it computed) */
#define RVALUE_MAX       48  /* bytes of a reason's computed value ("263.31 EUR") */
#define VALUE_SHOW_MAX   64  /* code points of an offending value quoted in a message */
#define QUOTE_MAX        (VALUE_SHOW_MAX * 4 + 8) /* a quoted value, escapes and "..." included */
#define LOC_MAX          64                       /* "items[gnum=12345].totalPrice" */
#define LIST_SHOW_MAX    160     /* bytes of a one_of value list repeated in messages */
#define SAMPLE_SCALE     100000u /* sampling rates have at most 5 decimals */

/* ------------------------------------------------------------------------------------ */
/* Rule sets and load-time context                                                      */
/* ------------------------------------------------------------------------------------ */

/* A file the rules file references (a list or the rates table). */
struct rules_file {
    char *name; /* as written in the rules file, e.g. "lists/countries.yaml" */
    char *path; /* resolved against the rules file's directory */
    char *text; /* exact bytes, NUL-terminated */
    size_t len;
    struct ynode *tree; /* parsed, kept during the load only */
};

/* One validity period of a rate: `rate` units of the currency buy one unit of the base. */
struct rate_period {
    int from, to; /* yyyymmdd, inclusive */
    struct decimal rate;
    char *rate_text; /* as written, for messages */
};

struct rate_currency {
    char *code; /* customs currency code, e.g. "142" */
    char *name; /* e.g. "CNY" */
    size_t n;
    struct rate_period *periods; /* sorted by from, not overlapping */
};

struct rates {
    char *file;      /* the name as written in the rules file */
    char *base;      /* customs currency code the rates convert to, e.g. "300" */
    char *base_name; /* e.g. "EUR" */
    size_t n;
    struct rate_currency *currencies; /* sorted by code */
};

struct rule;

struct rules {
    char *text; /* the bundle: rules file bytes, then referenced files (see rules.h) */
    size_t len;
    char version[65];
    size_t n_rules;
    struct rule *rules;
    size_t n_files;
    struct rules_file *files;
    struct rates *rates;
};

/* What every load step reads and writes: where errors go and the rule set being built. */
struct rules_parser {
    const char *file; /* the file being read, for errors */
    char *err;
    size_t errlen;
    struct rules *rs;
    char *dir; /* the rules file's directory ("" = current) */
};

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

/* ------------------------------------------------------------------------------------ */
/* Evaluation: what a check sees and reports                                            */
/* ------------------------------------------------------------------------------------ */

/* What every check sees: the declaration and what is computed once per declaration. */
struct eval_ctx {
    const struct declaration *d;
    int ie_date; /* yyyymmdd of ieDate, 0 when absent or not a real date */
    const struct rules *rs;
    const struct rules_lookup *lookup; /* holders of `unique` keys; NULL: not looked up */
};

/*
 * What one rule found on one declaration. Lives on the stack of the evaluation; the
 * message is copied to the heap only when the rule matched.
 */
struct findings {
    size_t count;   /* findings reported */
    size_t omitted; /* findings that did not fit in text */
    size_t len;
    char text[REASON_MAX];
    char note[NOTE_MAX];    /* what the check computed, also when nothing was found */
    char value[RVALUE_MAX]; /* the computed value for struct reason.value */
};

typedef void (*text_visit_fn)(const void *check, const struct field_ref *fr, const char *value,
                              const struct decl_item *it, size_t idx, struct findings *fs);

/* ------------------------------------------------------------------------------------ */
/* Comparison operators, value lists, conditions                                        */
/* ------------------------------------------------------------------------------------ */

enum compare_op { OP_LT, OP_LE, OP_EQ, OP_NE, OP_GE, OP_GT };

/* What a value list must look like. */
enum list_shape { LIST_ANY, LIST_HS_PREFIX };

/*
 * A condition tree: all / any / not over leaves that test one field:
 *   {field: country, equals: "344"}          text equals a value
 *   {field: tradeMode, in: [9610, 1210]}     text is one of the values
 *   {field: grossWeight, op: ">", value: 31} number compares to a value
 *   {field: iacCode, present: true}          present and non-empty (or not)
 * A leaf on an item field is evaluated on the item in hand (sum's `where`), or, at rule
 * level, is true when any item satisfies it. A sequence is short for `all`.
 */
enum cond_kind { COND_ALL, COND_ANY, COND_NOT, COND_IN, COND_CMP, COND_PRESENT };

struct cond {
    enum cond_kind kind;
    size_t n;
    struct cond *kids; /* all / any: n; not: 1 */
    struct field_ref fr;
    size_t n_values;
    char **values; /* in / equals: sorted */
    enum compare_op op;
    struct decimal value;
    bool present;
};

/* ------------------------------------------------------------------------------------ */
/* Check kinds and rules                                                                */
/* ------------------------------------------------------------------------------------ */

struct check_kind {
    const char *name;        /* `check:` in the rules file */
    const char *const *keys; /* the keys this check reads, besides the rule keys */
    /* Parse the rule's keys into a new private struct, stored in *out even on failure
     * (then freed by the caller with free_fn). Returns 0 or -1 via rules_perr. */
    int (*parse)(struct rules_parser *p, const struct ynode *rule, void **out);
    /* Report findings on one declaration. Must not allocate. */
    void (*eval)(const void *check, const struct eval_ctx *cx, struct findings *fs);
    void (*free_fn)(void *check);
};

/*
 * The check kinds, in the order error messages list them (rules_check.c, at the top), and
 * the kinds the families define: rules_check_text.c, rules_check_number.c, rules_rates.c.
 */
extern const struct check_kind *const rules_check_kinds[];
extern const size_t rules_check_kinds_count;

extern const struct check_kind rules_check_kind_required, rules_check_kind_together,
    rules_check_kind_length, rules_check_kind_one_of, rules_check_kind_pattern,
    rules_check_kind_same, rules_check_kind_absent, rules_check_kind_date,
    rules_check_kind_hs_prefix, rules_check_kind_unique;
extern const struct check_kind rules_check_kind_decimal, rules_check_kind_count,
    rules_check_kind_sequence, rules_check_kind_product, rules_check_kind_compare,
    rules_check_kind_sum;
extern const struct check_kind rules_check_kind_threshold;

/* One rule as loaded (struct rules holds them in file order). */
struct rule {
    char *id;
    char *description;
    char *message_zh; /* `message_zh`, the declarer-facing Chinese text; NULL when absent */
    enum rule_action action;
    enum rule_severity severity;
    bool enabled;
    const struct check_kind *kind;
    void *check;          /* the kind's parsed arguments, owned */
    size_t line;          /* where the rule starts in the file */
    int eff_from, eff_to; /* yyyymmdd by ieDate, inclusive; 0 = open */
    bool has_when;
    struct cond when;
    bool sampled;
    unsigned sample_units; /* selected when the draw (0 .. 99999) is below this */
    char *sample_text;     /* as written, "0.02" */
    char *seed;
    uint64_t seed_hash; /* FNV-1a state after the seed and its terminating NUL */
};

/* ------------------------------------------------------------------------------------ */
/* Functions, by the file that defines them                                             */
/* ------------------------------------------------------------------------------------ */

/*
 * rules_parse.c: errors with positions, typed reads of YAML nodes, fields, operators, value
 * lists. Those returning int return 0, or -1 with "file:line:column: what" in p->err.
 */
/* Write "file:line:column: what" (at `at`; 1:1 when at is NULL) to p->err; returns -1. */
int rules_perr(struct rules_parser *p, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Write "file: out of memory" to p->err; returns -1. */
int rules_poom(struct rules_parser *p);
/* Whether name is one of names (a NULL-terminated list; NULL = empty). */
bool rules_name_in(const char *name, const char *const *names);
/* names (NULL-terminated) joined with ", " into buf, cut at buflen bytes. */
void rules_names_join(const char *const *names, char *buf, size_t buflen);
/* Refuse a key of map not in known (NULL-terminated); where names map in the error. */
int rules_check_keys(struct rules_parser *p, const struct ynode *map, const char *where,
                     const char *const *known);
/* v is a scalar, else -1: "key: expected a scalar, got TYPE". */
int rules_want_scalar(struct rules_parser *p, const struct ynode *v, const char *key);
/* v is a non-empty scalar, else -1 as rules_want_scalar or "key: must not be empty". */
int rules_want_nonempty_scalar(struct rules_parser *p, const struct ynode *v, const char *key);
/* v is a mapping, else -1: "key: expected a mapping, got TYPE". */
int rules_want_map(struct rules_parser *p, const struct ynode *v, const char *key);
/* v is a sequence, else -1: "key: expected a sequence, got TYPE". */
int rules_want_seq(struct rules_parser *p, const struct ynode *v, const char *key);
/* v as a decimal integer 0 .. max into *out, else -1 "key: expected an integer ...". */
int rules_parse_unsigned(struct rules_parser *p, const struct ynode *v, const char *key,
                         unsigned max, unsigned *out);
/* v as an N19,5 decimal into *out, else -1 "key: 'V' is not an N19,5 decimal: why". */
int rules_parse_decimal_node(struct rules_parser *p, const struct ynode *v, const char *key,
                             struct decimal *out);
/* v is exactly "true" or "false" (not YAML 1.1 yes/no) into *out, else -1. */
int rules_parse_bool(struct rules_parser *p, const struct ynode *v, const char *key, bool *out);
/* v as a real YYYY-MM-DD date into *out as yyyymmdd, else -1. */
int rules_parse_date_node(struct rules_parser *p, const struct ynode *v, const char *key, int *out);
/* A field name ("grossWeight", "items[].gcode", "items" with FIELD_ITEMS) whose kind is in
 * kinds (FIELD_*) into *out, else -1 (unknown field, or a kind this check cannot read). */
int rules_parse_field(struct rules_parser *p, const struct ynode *v, const char *key,
                      unsigned kinds, struct field_ref *out);
/* `field: X` or `fields: [X, ...]` (exactly one) of kinds into *out (new array, caller frees)
 * and *n_out. */
int rules_parse_field_list(struct rules_parser *p, const struct ynode *rule, unsigned kinds,
                           struct field_ref **out, size_t *n_out);
/* op as <, <=, =, !=, >=, > into *out, *name its static spelling; else -1. */
int rules_parse_op(struct rules_parser *p, const struct ynode *op, enum compare_op *out,
                   const char **name);
/* nodes as sorted, distinct, copied strings of shape into *out (rules_free_values it) and
 * *n_out; key names them in errors. */
int rules_collect_values(struct rules_parser *p, const struct ynode *const *nodes, size_t n,
                         const char *key, enum list_shape shape, char ***out, size_t *n_out);
/* A check's values: a sequence under inline_key or `list: FILE`, sorted into *values
 * (rules_free_values it) and *n; *shown (heap) the text messages repeat: the inline list in file
 * order, shortened, or "a code of FILE". */
int rules_parse_values(struct rules_parser *p, const struct ynode *rule, const char *inline_key,
                       enum list_shape shape, char ***values, size_t *n, char **shown);
/* Free n strings and the array (values may be NULL). */
void rules_free_values(char **values, size_t n);

/* yamlread_get and yamlread_key: a mapping's value for key, and the key node itself. */
static inline const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
    return yamlread_get(map, key);
}

static inline const struct ynode *ymap_key(const struct ynode *map, const char *key)
{
    return yamlread_key(map, key);
}

/* rules_load.c: referenced files and list files; sampling. */
/* Read and parse a referenced file (name relative to p->dir unless absolute) once per rule
 * set; *file_out is its entry, owned by p->rs. */
int rules_load_ref(struct rules_parser *p, const struct ynode *at, const char *name,
                   const struct rules_file **file_out);
/* A list file (`codes`: a mapping code -> description, or a sequence) as sorted values of
 * shape into *out (rules_free_values it) and *n_out. */
int rules_parse_list_file(struct rules_parser *p, const struct ynode *at, const char *name,
                          enum list_shape shape, char ***out, size_t *n_out);
/* The draw 0 .. SAMPLE_SCALE - 1 for key (a logisticsNo) under r's seed; deterministic. */
unsigned rules_sample_draw(const struct rule *r, const char *key);

/* rules_rates.c: the rates table (rules_free frees it). */
/* Load the rates file name (once per rule set) into p->rs->rates; -1 via rules_perr. */
int rules_rates_parse(struct rules_parser *p, const struct ynode *at, const char *name);
/* Free a rates table (NULL is fine). */
void rules_rates_free(struct rates *r);

/* rules_cond.c: conditions. */
/* A condition at v into *c (rules_cond_clear it, also on failure); item_scope: item fields
 * mean the item in hand; depth: the nesting so far (beyond 16 is refused). */
int rules_cond_parse(struct rules_parser *p, const struct ynode *v, const char *key,
                     bool item_scope, struct cond *c, int depth);
/* Whether c holds on d; it is the item in hand (NULL at rule level). Does not allocate. */
bool rules_cond_eval(const struct cond *c, const struct declaration *d, const struct decl_item *it);
/* Free what c owns and zero it (NULL is fine). */
void rules_cond_clear(struct cond *c);

/* rules_check.c: what checks share to read fields and word findings. */
/* The field as an author writes it ("grossWeight", "items[].gcode", "items") into buf. */
void rules_field_name(char *buf, size_t buflen, const struct field_ref *fr);
/* s single-quoted for a message, controls and quotes escaped, cut after VALUE_SHOW_MAX code
 * points; out must hold QUOTE_MAX bytes. */
void rules_quote(char *out, const char *s);
/* "grossWeight", "items[gnum=2].gcode", or "items[3].gcode" (item without gnum) into buf,
 * which must hold LOC_MAX bytes. */
void rules_field_loc(char *buf, const struct field_ref *fr, const struct decl_item *it, size_t idx);
/* "items[gnum=2]" or "items[3]" into buf, which must hold LOC_MAX bytes. */
void rules_item_loc(char *buf, const struct decl_item *it, size_t idx);
/* Call fn for every present, non-empty value of the n text fields: once for a header field,
 * once per item for an item field. */
void rules_visit_text(const void *check, const struct field_ref *fields, size_t n,
                      const struct declaration *d, text_visit_fn fn, struct findings *fs);

/*
 * Small readers every check and condition calls per field and per item, inline so that
 * splitting the engine into files costs no calls on the evaluation path.
 */
static inline size_t decl_nitems(const struct declaration *d)
{
    return d->items ? d->n_items : 0;
}

/* The record a field lives in: the declaration, or the item for an item field. */
static inline const void *field_base(const struct field_ref *fr, const struct declaration *d,
                                     const struct decl_item *it)
{
    return fr->item ? (const void *)it : (const void *)d;
}

/*
 * A numeric field (decimal or integer) as a decimal, for comparisons. Returns false when
 * absent.
 */
static inline bool read_number(const void *base, const struct decl_field *f, struct decimal *out)
{
    if (!base)
        return false;
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

/* A field is present: text non-NULL (may be empty), number present. */
static inline bool field_present(const void *base, const struct decl_field *f)
{
    struct decimal ignored;

    if (!base)
        return false;
    if (f->kind == DECL_STRING)
        return decl_get_string(base, f) != NULL;
    return read_number(base, f, &ignored);
}

/* Only spaces, tabs and line breaks (or nothing): `required` calls such text empty. */
static inline bool is_blank(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    }
    return true;
}

static inline bool compare_holds(enum compare_op op, int cmp)
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

/* Value lists are sorted with strcmp (rules_collect_values), so bsearch finds a value. */
static inline int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline bool in_values(char *const *values, size_t n, const char *s)
{
    return bsearch(&s, values, n, sizeof(*values), str_cmp) != NULL;
}

/* rules_check_unique.c: the key a `unique` check (a rule's parsed check) reads on d into *k;
 * false when a field of the key is absent or blank (then there is no key). */
bool rules_unique_key(const void *check, const struct declaration *d, struct rules_key *k);

/* rules_eval.c: findings. */
/* Report one finding: count it and append it "; "-separated to fs->text, or count it as
 * omitted when it does not fit (the first one is always shown, cut if need be). */
void rules_finding(struct findings *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
