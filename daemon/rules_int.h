/*
 * rules_int.h - the rules engine's internals, shared by its files and by nothing else (the
 * rest of customsd sees rules.h only). rules.c says how the files divide the work.
 *
 * What lives here: the rule set as loaded (struct rules, struct rule, the rates table), the
 * parser context every load step writes its errors through (struct rules_parser, perr), a
 * field as a rule reads it (struct field_ref), what a check sees and reports at evaluation
 * (struct eval_ctx, struct findings), conditions (struct cond), and the check kind vtable
 * (struct check_kind) with the list of kinds. Each function declared here is documented
 * where it is defined; the groups below say which file that is. The names carry no module
 * prefix, as when the engine was one file: nothing outside daemon/rules*.c includes this.
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
     * (then freed by the caller with free_fn). Returns 0 or -1 via perr. */
    int (*parse)(struct rules_parser *p, const struct ynode *rule, void **out);
    /* Report findings on one declaration. Must not allocate. */
    void (*eval)(const void *check, const struct eval_ctx *cx, struct findings *fs);
    void (*free_fn)(void *check);
};

/*
 * The check kinds, in the order error messages list them (rules_check.c, at the top), and
 * the kinds the families define: rules_check_text.c, rules_check_number.c, rules_rates.c.
 */
extern const struct check_kind *const check_kinds[];
extern const size_t check_kinds_count;

extern const struct check_kind check_kind_required, check_kind_together, check_kind_length,
    check_kind_one_of, check_kind_pattern, check_kind_date, check_kind_hs_prefix;
extern const struct check_kind check_kind_decimal, check_kind_count, check_kind_sequence,
    check_kind_product, check_kind_compare, check_kind_sum;
extern const struct check_kind check_kind_threshold;

/* One rule as loaded (struct rules holds them in file order). */
struct rule {
    char *id;
    char *description;
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
int perr(struct rules_parser *p, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int poom(struct rules_parser *p);
bool name_in(const char *name, const char *const *names);
void names_join(const char *const *names, char *buf, size_t buflen);
int check_keys(struct rules_parser *p, const struct ynode *map, const char *where,
               const char *const *known);
int want_scalar(struct rules_parser *p, const struct ynode *v, const char *key);
int want_nonempty_scalar(struct rules_parser *p, const struct ynode *v, const char *key);
int want_map(struct rules_parser *p, const struct ynode *v, const char *key);
int want_seq(struct rules_parser *p, const struct ynode *v, const char *key);
int parse_unsigned(struct rules_parser *p, const struct ynode *v, const char *key, unsigned max,
                   unsigned *out);
int parse_decimal_node(struct rules_parser *p, const struct ynode *v, const char *key,
                       struct decimal *out);
int parse_bool(struct rules_parser *p, const struct ynode *v, const char *key, bool *out);
int parse_date_node(struct rules_parser *p, const struct ynode *v, const char *key, int *out);
int parse_field(struct rules_parser *p, const struct ynode *v, const char *key, unsigned kinds,
                struct field_ref *out);
int parse_field_list(struct rules_parser *p, const struct ynode *rule, unsigned kinds,
                     struct field_ref **out, size_t *n_out);
int parse_op(struct rules_parser *p, const struct ynode *op, enum compare_op *out,
             const char **name);
int collect_values(struct rules_parser *p, const struct ynode *const *nodes, size_t n,
                   const char *key, enum list_shape shape, char ***out, size_t *n_out);
int parse_values(struct rules_parser *p, const struct ynode *rule, const char *inline_key,
                 enum list_shape shape, char ***values, size_t *n, char **shown);
void free_values(char **values, size_t n);

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
int load_ref(struct rules_parser *p, const struct ynode *at, const char *name,
             const struct rules_file **file_out);
int parse_list_file(struct rules_parser *p, const struct ynode *at, const char *name,
                    enum list_shape shape, char ***out, size_t *n_out);
unsigned sample_draw(const struct rule *r, const char *key);

/* rules_rates.c: the rates table (rules_free frees it). */
int rates_parse(struct rules_parser *p, const struct ynode *at, const char *name);
void rates_free(struct rates *r);

/* rules_cond.c: conditions. */
int cond_parse(struct rules_parser *p, const struct ynode *v, const char *key, bool item_scope,
               struct cond *c, int depth);
bool cond_eval(const struct cond *c, const struct declaration *d, const struct decl_item *it);
void cond_clear(struct cond *c);

/* rules_check.c: what checks share to read fields and word findings. */
void field_name(char *buf, size_t buflen, const struct field_ref *fr);
void quote(char *out, const char *s);
void field_loc(char *buf, const struct field_ref *fr, const struct decl_item *it, size_t idx);
void item_loc(char *buf, const struct decl_item *it, size_t idx);
void visit_text(const void *check, const struct field_ref *fields, size_t n,
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

/* Value lists are sorted with strcmp (collect_values), so bsearch finds a value. */
static inline int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline bool in_values(char *const *values, size_t n, const char *s)
{
    return bsearch(&s, values, n, sizeof(*values), str_cmp) != NULL;
}

/* rules_eval.c: findings. */
void finding(struct findings *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
