/*
 * rules.c - the clearance rules engine: a rule set loaded from YAML (the language is
 * documented in config/RULES.md) and evaluated on one declaration.
 *
 * The shape follows OpenSMTPD's ruleset.c: a rule set is an ordered list of rules, each
 * with an id, an action and one check. A check kind is one row of check_kinds[]: its name,
 * the keys it accepts, a parse function that turns the rule's YAML into a private struct
 * at load time, an eval function that reports findings on one declaration, and a free
 * function. A new check type is one struct, three functions and one row. Rule-level
 * features (when-conditions, effective dates, sampling) live in struct rule and
 * rule_parse/evaluate, not in the checks.
 *
 * Load time does the expensive work so evaluation is cheap: field names resolve to
 * decl_field pointers (read by offset, no string compares per declaration), regexes are
 * compiled (simple fixed-shape ones, such as ^[0-9]{10}$, into a byte-set matcher that is
 * much faster than regexec and gives the same answers), value lists and list files are
 * sorted for bsearch, dates become integers, the rates table is sorted by date. An eval
 * function only reads the declaration and writes findings into a stack buffer; memory is
 * allocated only for a rule that matched, so an accepted parcel allocates nothing.
 *
 * Files: the rules file may reference list files (`list:`) and one rates table
 * (`rates:`), relative to its own directory. They are read, checked and hashed in the same
 * load, so a reload is atomic and the version covers them (rules_text).
 *
 * Semantics a rules author relies on (config/RULES.md says the same):
 *   - a rule "matches" when its check reports at least one finding: a violated constraint
 *     (required, length, one_of, pattern, ...), or a hit (hs_prefix, always);
 *   - value checks skip absent and empty values: presence is the `required` check's job,
 *     so one defect gives one reason;
 *   - item fields (items[].gcode) are checked on every item; in a `when` condition an item
 *     field is true when any item satisfies it.
 */
#include "rules.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "declaration.h"
#include "status.h"
#include "util.h"
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

struct rules_parser {
    const char *file; /* the file being read, for errors */
    char *err;
    size_t errlen;
    struct rules *rs;
    char *dir; /* the rules file's directory ("" = current) */
};

static int perr(struct rules_parser *p, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Every load error: "file:line:column: what", pointing at the offending node. */
static int perr(struct rules_parser *p, const struct ynode *at, const char *fmt, ...)
{
    char what[768];
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
    return yamlread_get(map, key);
}

static const struct ynode *ymap_key(const struct ynode *map, const char *key)
{
    return yamlread_key(map, key);
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

/* Refuse keys of a mapping that are not in `known` (a NULL-terminated list). */
static int check_keys(struct rules_parser *p, const struct ynode *map, const char *where,
                      const char *const *known)
{
    char list[256];

    for (size_t i = 0; i < map->n; i += 2) {
        const struct ynode *k = map->kids[i];
        if (!name_in(k->value, known)) {
            names_join(known, list, sizeof(list));
            return perr(p, k, "unknown key '%s' in %s (known: %s)", k->value, where, list);
        }
    }
    return 0;
}

static int want_scalar(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_SCALAR)
        return perr(p, v, "%s: expected a scalar, got %s", key, yamlread_type_name(v));
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

static int want_map(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_MAP)
        return perr(p, v, "%s: expected a mapping, got %s", key, yamlread_type_name(v));
    return 0;
}

static int want_seq(struct rules_parser *p, const struct ynode *v, const char *key)
{
    if (v->type != YNODE_SEQ)
        return perr(p, v, "%s: expected a sequence, got %s", key, yamlread_type_name(v));
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

static int parse_bool(struct rules_parser *p, const struct ynode *v, const char *key, bool *out)
{
    /* Only the two words: YAML 1.1's yes/no/on/off are not booleans here. */
    if (want_scalar(p, v, key) < 0)
        return -1;
    if (strcmp(v->value, "true") == 0)
        *out = true;
    else if (strcmp(v->value, "false") == 0)
        *out = false;
    else
        return perr(p, v, "%s: expected true or false, got '%s'", key, v->value);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Dates                                                                                */
/* ------------------------------------------------------------------------------------ */

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool real_date(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && is_leap(y));
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

static int digits_value(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Eight digits YYYYMMDD (already checked to be digits) as yyyymmdd, or 0 if not real. */
static int ymd_digits(const char *s)
{
    int y = digits_value(s, 4), m = digits_value(s + 4, 2), d = digits_value(s + 6, 2);

    return real_date(y, m, d) ? y * 10000 + m * 100 + d : 0;
}

/* "YYYYMMDD" (CEB603 ieDate) as yyyymmdd, or 0 when it is not exactly a real date. */
static int ceb_date(const char *s)
{
    if (!s || strlen(s) != 8 || !all_digits(s, 8))
        return 0;
    return ymd_digits(s);
}

/* "YYYYMMDDhhmmss" (CEB603 appTime): true when a real date and time of day. */
static bool ceb_datetime(const char *s)
{
    if (!s || strlen(s) != 14 || !all_digits(s, 14) || !ymd_digits(s))
        return false;
    return digits_value(s + 8, 2) < 24 && digits_value(s + 10, 2) < 60 &&
           digits_value(s + 12, 2) < 60;
}

/* A date as written in a rules or rates file: "2024-04-01" (or "20240401"). 0 if not. */
static int iso_date(const char *s)
{
    char compact[9];

    if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
        memcpy(compact, s, 4);
        memcpy(compact + 4, s + 5, 2);
        memcpy(compact + 6, s + 8, 2);
        compact[8] = '\0';
        return ceb_date(compact);
    }
    return ceb_date(s);
}

static int parse_date_node(struct rules_parser *p, const struct ynode *v, const char *key, int *out)
{
    if (want_nonempty_scalar(p, v, key) < 0)
        return -1;
    *out = iso_date(v->value);
    if (!*out)
        return perr(p, v, "%s: '%s' is not a real date (write YYYY-MM-DD)", key, v->value);
    return 0;
}

/* yyyymmdd -> "2024-04-01" (buf of 11 bytes or more). */
static void date_text(int ymd, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
}

/* ------------------------------------------------------------------------------------ */
/* Referenced files                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * Read and parse a file the rules file references, once per rule set. `name` is as
 * written (relative to the rules file's directory unless absolute). On success *tree is
 * the parsed file (owned by the rule set until the end of the load) and *file its entry.
 */
static int load_ref(struct rules_parser *p, const struct ynode *at, const char *name,
                    const struct rules_file **file_out)
{
    struct rules *rs = p->rs;
    struct rules_file *f, *nf;
    char err2[1024];

    for (size_t i = 0; i < rs->n_files; i++) {
        if (strcmp(rs->files[i].name, name) == 0) {
            *file_out = &rs->files[i];
            return 0;
        }
    }
    if (name[0] == '\0')
        return perr(p, at, "empty file name");
    if (rs->n_files == RULES_MAX_FILES)
        return perr(p, at, "more than %d referenced files", RULES_MAX_FILES);
    nf = realloc(rs->files, (rs->n_files + 1) * sizeof(*nf));
    if (!nf)
        return poom(p);
    rs->files = nf;
    f = &rs->files[rs->n_files];
    memset(f, 0, sizeof(*f));
    rs->n_files++;
    f->name = xstrdup(name);
    if (name[0] == '/' || !*p->dir)
        f->path = xstrdup(name);
    else if (asprintf(&f->path, "%s/%s", p->dir, name) < 0)
        f->path = NULL;
    if (!f->name || !f->path)
        return poom(p);
    f->text = read_file(f->path, &f->len);
    if (!f->text)
        return perr(p, at, "cannot read '%s': %s", f->path, strerror(errno));
    if (f->len > RULES_MAX_BYTES)
        return perr(p, at, "'%s' is larger than %d bytes", f->path, RULES_MAX_BYTES);
    if (memchr(f->text, '\0', f->len))
        return perr(p, at, "'%s' contains a NUL byte", f->path);
    if (yamlread_parse(f->path, f->text, f->len, 8, &f->tree, err2, sizeof(err2)) < 0)
        return errf(p->err, p->errlen, "%s", err2);
    if (!f->tree || yamlread_is_null(f->tree))
        return errf(p->err, p->errlen, "%s:1:1: empty file", f->path);
    if (f->tree->type != YNODE_MAP)
        return errf(p->err, p->errlen, "%s:%zu:%zu: expected a mapping, got %s", f->path,
                    f->tree->line, f->tree->column, yamlread_type_name(f->tree));
    *file_out = f;
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

/* The field's name as a rules author writes it: "grossWeight", "items[].gcode", "items". */
static void field_name(char *buf, size_t buflen, const struct field_ref *fr)
{
    if (!fr->f)
        snprintf(buf, buflen, "items");
    else
        snprintf(buf, buflen, "%s%s", fr->item ? ITEM_PREFIX : "", fr->f->name);
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

#define MORE_RESERVE 32 /* room kept for "; and N more" */

static void findings_reset(struct findings *fs)
{
    fs->count = 0;
    fs->omitted = 0;
    fs->len = 0;
    fs->text[0] = '\0';
    fs->note[0] = '\0';
    fs->value[0] = '\0';
}

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

/* Append text to the message without counting a finding (sampling's annotation). */
static void findings_append(struct findings *fs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void findings_append(struct findings *fs, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (fs->len + 1 >= sizeof(fs->text))
        return;
    va_start(ap, fmt);
    n = vsnprintf(fs->text + fs->len, sizeof(fs->text) - fs->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        fs->len +=
            (size_t)n < sizeof(fs->text) - fs->len ? (size_t)n : sizeof(fs->text) - fs->len - 1;
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

/* "items[gnum=2]" or "items[3]". */
static void item_loc(char *buf, const struct decl_item *it, size_t idx)
{
    if (it->gnum.present)
        snprintf(buf, LOC_MAX, "items[gnum=%lld]", it->gnum.value);
    else
        snprintf(buf, LOC_MAX, "items[%zu]", idx);
}

static size_t decl_nitems(const struct declaration *d)
{
    return d->items ? d->n_items : 0;
}

/* The record a field lives in: the declaration, or the item for an item field. */
static const void *field_base(const struct field_ref *fr, const struct declaration *d,
                              const struct decl_item *it)
{
    return fr->item ? (const void *)it : (const void *)d;
}

/*
 * A numeric field (decimal or integer) as a decimal, for comparisons. Returns false when
 * absent.
 */
static bool read_number(const void *base, const struct decl_field *f, struct decimal *out)
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
static bool field_present(const void *base, const struct decl_field *f)
{
    struct decimal ignored;

    if (!base)
        return false;
    if (f->kind == DECL_STRING)
        return decl_get_string(base, f) != NULL;
    return read_number(base, f, &ignored);
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

/*
 * Decimal text with exactly two digits after the point: `cents` hundredths. buf holds at
 * least DECIMAL_TEXT_MAX + 4 bytes.
 */
static void format_cents(__int128 cents, char *buf)
{
    struct decimal d = {cents * 1000};
    char *dot;
    size_t len = decimal_format(d, buf, DECIMAL_TEXT_MAX);

    dot = strchr(buf, '.');
    if (!dot) {
        memcpy(buf + len, ".00", 4);
    } else if (len - (size_t)(dot - buf) == 2) {
        buf[len] = '0';
        buf[len + 1] = '\0';
    }
}

/* Round a / b (b > 0) half away from zero. */
static __int128 div_round(__int128 a, __int128 b)
{
    __int128 q = a / b, r = a % b;

    if (r < 0)
        r = -r;
    if (2 * r >= b)
        q += a < 0 ? -1 : 1;
    return q;
}

/* ------------------------------------------------------------------------------------ */
/* Comparison operators (compare, sum, when)                                            */
/* ------------------------------------------------------------------------------------ */

enum compare_op { OP_LT, OP_LE, OP_EQ, OP_NE, OP_GE, OP_GT };

static const struct {
    const char *name;
    enum compare_op op;
} compare_ops[] = {{"<", OP_LT},  {"<=", OP_LE}, {"=", OP_EQ}, {"==", OP_EQ},
                   {"!=", OP_NE}, {">=", OP_GE}, {">", OP_GT}};

static int parse_op(struct rules_parser *p, const struct ynode *op, enum compare_op *out,
                    const char **name)
{
    if (want_scalar(p, op, "op") < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(compare_ops); i++) {
        if (strcmp(op->value, compare_ops[i].name) == 0) {
            *out = compare_ops[i].op;
            *name = compare_ops[i].name;
            return 0;
        }
    }
    return perr(p, op, "op: unknown operator '%s' (known: <, <=, =, !=, >=, >; quote them in YAML)",
                op->value);
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

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a value list must look like. */
enum list_shape { LIST_ANY, LIST_HS_PREFIX };

static int list_value_ok(struct rules_parser *p, const struct ynode *v, const char *key,
                         enum list_shape shape)
{
    if (want_nonempty_scalar(p, v, key) < 0)
        return -1;
    if (shape == LIST_HS_PREFIX &&
        (v->len < 2 || v->len > 10 || strspn(v->value, "0123456789") != v->len))
        return perr(p, v, "%s: an HS prefix is 2 to 10 digits, got '%s'", key, v->value);
    return 0;
}

/*
 * Collect nodes (a sequence's elements, or a mapping's keys) into sorted, distinct,
 * copied strings.
 */
static int collect_values(struct rules_parser *p, const struct ynode *const *nodes, size_t n,
                          const char *key, enum list_shape shape, char ***out, size_t *n_out)
{
    struct value_at *vals = calloc(n ? n : 1, sizeof(*vals));
    char **copy = calloc(n ? n : 1, sizeof(*copy));
    int rc = -1;

    if (!vals || !copy) {
        poom(p);
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
            perr(p, vals[i].node, "%s: '%s' is listed twice", key, vals[i].value);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        copy[i] = xstrdup(vals[i].value);
        if (!copy[i]) {
            poom(p);
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
 * A list file: a mapping with `codes` (a mapping code -> description, or a sequence of
 * codes) and optional `description` and `source` texts for people.
 */
static int parse_list_file(struct rules_parser *p, const struct ynode *at, const char *name,
                           enum list_shape shape, char ***out, size_t *n_out)
{
    static const char *const list_keys[] = {"description", "source", "codes", NULL};
    const struct rules_file *f;
    const struct ynode *codes, **nodes;
    const char *saved = p->file;
    size_t n;
    int rc;

    if (load_ref(p, at, name, &f) < 0)
        return -1;
    p->file = f->path; /* errors inside the list file point into it */
    rc = -1;
    if (check_keys(p, f->tree, "a list file", list_keys) < 0)
        goto out;
    codes = ymap_get(f->tree, "codes");
    if (!codes) {
        perr(p, f->tree, "missing 'codes'");
        goto out;
    }
    if (codes->type == YNODE_SCALAR || codes->n == 0) {
        perr(p, codes, "codes: expected a non-empty mapping (code: description) or sequence");
        goto out;
    }
    n = codes->type == YNODE_MAP ? codes->n / 2 : codes->n;
    nodes = calloc(n, sizeof(*nodes));
    if (!nodes) {
        poom(p);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        nodes[i] = codes->type == YNODE_MAP ? codes->kids[2 * i] : codes->kids[i];
        if (codes->type == YNODE_MAP && codes->kids[2 * i + 1]->type != YNODE_SCALAR) {
            perr(p, codes->kids[2 * i + 1], "codes: a code's description must be a scalar");
            free(nodes);
            goto out;
        }
    }
    rc = collect_values(p, nodes, n, "codes", shape, out, n_out);
    free(nodes);
out:
    p->file = saved;
    return rc;
}

/*
 * The values of a check: inline under `inline_key` (a sequence), or `list: FILE`.
 * `shown` receives text for messages: the inline list in file order (shortened), or
 * "a code of FILE".
 */
static int parse_values(struct rules_parser *p, const struct ynode *rule, const char *inline_key,
                        enum list_shape shape, char ***values, size_t *n, char **shown)
{
    const struct ynode *inl = ymap_get(rule, inline_key), *list = ymap_get(rule, "list");
    size_t used = 0;

    if (inl && list)
        return perr(p, ymap_key(rule, "list"), "use either '%s' or 'list', not both", inline_key);
    if (!inl && !list)
        return perr(p, rule, "missing '%s' (inline) or 'list' (a list file)", inline_key);
    *shown = malloc(LIST_SHOW_MAX);
    if (!*shown)
        return poom(p);
    if (list) {
        if (want_nonempty_scalar(p, list, "list") < 0)
            return -1;
        if (parse_list_file(p, list, list->value, shape, values, n) < 0)
            return -1;
        snprintf(*shown, LIST_SHOW_MAX, "the %zu codes of %s", *n, list->value);
        return 0;
    }
    if (want_seq(p, inl, inline_key) < 0)
        return -1;
    if (collect_values(p, (const struct ynode *const *)inl->kids, inl->n, inline_key, shape, values,
                       n) < 0)
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

static void free_values(char **values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(values[i]);
    free(values);
}

static bool in_values(char *const *values, size_t n, const char *s)
{
    return bsearch(&s, values, n, sizeof(*values), str_cmp) != NULL;
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
        field_loc(loc, fr, it, idx);
        finding(fs, "%s: %s", loc, what);
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
/* check: together                                                                      */
/* ------------------------------------------------------------------------------------ */

/*
 * Fields present all together or not at all, per item for item fields (qty2 and unit2:
 * DOMAIN.md section 4 rule 9, the second legal quantity comes with its unit).
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
        return poom(p);
    if (!ymap_get(rule, "fields"))
        return perr(p, rule, "missing 'fields' (two or more)");
    if (parse_field_list(p, rule, FIELD_ANY, &c->fields, &c->n_fields) < 0)
        return -1;
    if (c->n_fields < 2)
        return perr(p, ymap_get(rule, "fields"), "fields: 'together' needs two or more fields");
    for (size_t i = 1; i < c->n_fields; i++) {
        if (c->fields[i].item != c->fields[0].item)
            return perr(p, ymap_get(rule, "fields")->kids[i],
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
        item_loc(loc, it, idx);
    else
        snprintf(loc, sizeof(loc), "header");
    finding(fs, "%s: %s present but %s missing (give all or none)", loc, have, miss);
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

/* ------------------------------------------------------------------------------------ */
/* check: length                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * Length in characters (text) or digits (integers). Either `schema: ceb603` (every field
 * with a CEB603 length in the declaration field table: C36 exact, C..100 maximum, C3..4
 * range; DOMAIN.md section 1), or `fields` with `max`, `min` and/or `exact` (one length
 * or a list: ebcCode is 10 or 18 characters, DOMAIN.md section 4 rule 18).
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
        return poom(p);
    if (schema) {
        static const char *const others[] = {"fields", "field", "min", "max", "exact"};
        for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
            const struct ynode *other = ymap_key(rule, others[i]);
            if (other)
                return perr(p, other, "'%s' cannot be combined with 'schema'", other->value);
        }
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
        const struct ynode *const *list = (const struct ynode *const *)&exact;
        size_t n = 1;
        if (exact->type == YNODE_SEQ) {
            if (want_seq(p, exact, "exact") < 0)
                return -1;
            if (exact->n > LENGTH_EXACT_MAX)
                return perr(p, exact, "exact: at most %d lengths", LENGTH_EXACT_MAX);
            list = (const struct ynode *const *)exact->kids;
            n = exact->n;
        }
        for (size_t i = 0; i < n; i++) {
            if (parse_unsigned(p, list[i], "exact", LENGTH_LIMIT, &exacts[i]) < 0)
                return -1;
            if (exacts[i] == 0)
                return perr(p, list[i], "exact: must be at least 1");
        }
        n_exact = (unsigned)n;
        lo = hi = exacts[0];
        for (size_t i = 1; i < n; i++) {
            lo = exacts[i] < lo ? exacts[i] : lo;
            hi = exacts[i] > hi ? exacts[i] : hi;
        }
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
        n = utf8_length(s);
        if (length_ok(lf, n))
            return;
        field_loc(loc, &lf->fr, it, idx);
        quote(q, s);
        length_bounds(bounds, sizeof(bounds), lf);
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
        if (length_ok(lf, n))
            return;
        field_loc(loc, &lf->fr, it, idx);
        length_bounds(bounds, sizeof(bounds), lf);
        finding(fs, "%s: %lld has %zu digits, %s allowed%s", loc, v->value, n, bounds, source);
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

/* ------------------------------------------------------------------------------------ */
/* check: one_of                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * The value is one of a list: inline (ieFlag E) or a list file (the customs code tables:
 * countries, currencies, units, trade modes, transport modes; DOMAIN.md section 3).
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
        return poom(p);
    if (parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    return parse_values(p, rule, "values", LIST_ANY, &c->values, &c->n_values, &c->shown);
}

static void one_of_visit(const void *check, const struct field_ref *fr, const char *value,
                         const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_one_of *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    if (in_values(c->values, c->n_values, value))
        return;
    field_loc(loc, fr, it, idx);
    quote(q, value);
    finding(fs, "%s: %s is not one of %s", loc, q, c->shown);
}

static void one_of_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_one_of *c = check;

    visit_text(c, c->fields, c->n_fields, cx->d, one_of_visit, fs);
}

static void one_of_free(void *check)
{
    struct check_one_of *c = check;

    if (!c)
        return;
    free_values(c->values, c->n_values);
    free(c->shown);
    free(c->fields);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* check: pattern                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * The value matches a POSIX extended regular expression (regcomp REG_EXTENDED|REG_NOSUB),
 * e.g. gcode ^[0-9]{10}$ (DOMAIN.md section 4 rule 8). `message` replaces "does not match
 * ..." in reasons ("is not 10 digits").
 *
 * Most patterns in a customs rule set have a fixed shape: anchored, a few alternatives,
 * each a fixed sequence of literal characters and bracket classes with {n} counts
 * (^[0-9A-F]{8}-[0-9A-F]{4}-...$, ^([0-9A-Z]{10}|NO)$). Those compile to a byte-set
 * matcher: the value's length selects the alternatives and each byte is one table look-up.
 * regexec (glibc) costs a few hundred nanoseconds per call; a parcel calls a dozen
 * patterns. customsd never calls setlocale, so regcomp works on bytes in the C locale,
 * which is exactly what the byte sets do; anything else (repetition ranges, *, +, ?, .,
 * negated classes, escapes inside classes, non-ASCII) is left to regexec.
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

struct check_pattern {
    size_t n_fields;
    struct field_ref *fields;
    bool compiled;
    regex_t re;
    struct fastre *fast; /* NULL: regexec */
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
    c->fast = fastre_compile(regex->value);
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
    bool ok = c->fast ? fastre_match(c->fast, value, strlen(value))
                      : regexec(&c->re, value, 0, NULL, 0) == 0;

    if (ok)
        return;
    field_loc(loc, fr, it, idx);
    quote(q, value);
    finding(fs, "%s: %s %s", loc, q, c->message);
}

static void pattern_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_pattern *c = check;

    visit_text(c, c->fields, c->n_fields, cx->d, pattern_visit, fs);
}

static void pattern_free(void *check)
{
    struct check_pattern *c = check;

    if (!c)
        return;
    if (c->compiled)
        regfree(&c->re);
    fastre_free(c->fast);
    free(c->source);
    free(c->message);
    free(c->fields);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* check: decimal                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * A number's range and precision (DOMAIN.md section 4 rule 12: amounts > 0; rule 16:
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
    if (parse_decimal_node(p, n, key, v) < 0)
        return -1;
    *has = true;
    *text = xstrdup(n->value);
    return *text ? 0 : poom(p);
}

static int decimal_parse_check(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_decimal *c = calloc(1, sizeof(*c));
    const struct ynode *digits, *scale;

    *out = c;
    if (!c)
        return poom(p);
    if (parse_field_list(p, rule, FIELD_NUMBER, &c->fields, &c->n_fields) < 0)
        return -1;
    if (decimal_bound(p, rule, "min", &c->has_min, &c->min, &c->min_text) < 0 ||
        decimal_bound(p, rule, "max", &c->has_max, &c->max, &c->max_text) < 0 ||
        decimal_bound(p, rule, "above", &c->has_above, &c->above, &c->above_text) < 0 ||
        decimal_bound(p, rule, "below", &c->has_below, &c->below, &c->below_text) < 0)
        return -1;
    if (c->has_min && c->has_above)
        return perr(p, ymap_key(rule, "above"), "use either 'min' or 'above', not both");
    if (c->has_max && c->has_below)
        return perr(p, ymap_key(rule, "below"), "use either 'max' or 'below', not both");
    digits = ymap_get(rule, "digits");
    scale = ymap_get(rule, "scale");
    if (digits && parse_unsigned(p, digits, "digits", DECIMAL_PRECISION, &c->digits) < 0)
        return -1;
    if (digits && c->digits == 0)
        return perr(p, digits, "digits: must be at least 1");
    if (scale && parse_unsigned(p, scale, "scale", DECIMAL_SCALE, &c->scale) < 0)
        return -1;
    if (!scale)
        c->scale = DECIMAL_SCALE + 1; /* no limit */
    if (!c->has_min && !c->has_max && !c->has_above && !c->has_below && !digits && !scale)
        return perr(p, rule, "a decimal rule needs min, max, above, below, digits or scale");
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
        field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        finding(fs, "%s: %s is below the minimum %s", loc, tv, c->min_text);
    } else if (c->has_above && decimal_cmp(v, c->above) <= 0) {
        field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        finding(fs, "%s: %s is not above %s", loc, tv, c->above_text);
    } else if (c->has_max && decimal_cmp(v, c->max) > 0) {
        field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        finding(fs, "%s: %s is above the maximum %s", loc, tv, c->max_text);
    } else if (c->has_below && decimal_cmp(v, c->below) >= 0) {
        field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        finding(fs, "%s: %s is not below %s", loc, tv, c->below_text);
    }
    if (c->digits == 0 && c->scale > DECIMAL_SCALE)
        return;
    decimal_digits(v, &id, &fd);
    if (fd > c->scale) {
        field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        finding(fs, "%s: %s has %u digits after the point, at most %u allowed", loc, tv, fd,
                c->scale);
    } else if (c->digits && id + fd > c->digits) {
        field_loc(loc, fr, it, idx);
        decimal_format(v, tv, sizeof(tv));
        finding(fs, "%s: %s has %u digits, at most %u allowed", loc, tv, id + fd, c->digits);
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

/* ------------------------------------------------------------------------------------ */
/* check: date                                                                          */
/* ------------------------------------------------------------------------------------ */

/*
 * The text is a real calendar date or date-time (DOMAIN.md section 4 rule 3: appTime
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
        return poom(p);
    if (parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    format = ymap_get(rule, "format");
    if (!format)
        return perr(p, rule, "missing 'format' (YYYYMMDD or YYYYMMDDhhmmss)");
    if (want_scalar(p, format, "format") < 0)
        return -1;
    if (strcmp(format->value, "YYYYMMDD") == 0)
        c->with_time = false;
    else if (strcmp(format->value, "YYYYMMDDhhmmss") == 0)
        c->with_time = true;
    else
        return perr(p, format, "format: unknown format '%s' (known: YYYYMMDD, YYYYMMDDhhmmss)",
                    format->value);
    return 0;
}

static void date_visit(const void *check, const struct field_ref *fr, const char *value,
                       const struct decl_item *it, size_t idx, struct findings *fs)
{
    const struct check_date *c = check;
    char loc[LOC_MAX], q[QUOTE_MAX];

    if (c->with_time ? ceb_datetime(value) : ceb_date(value) != 0)
        return;
    field_loc(loc, fr, it, idx);
    quote(q, value);
    finding(fs, "%s: %s is not a real %s (%s)", loc, q, c->with_time ? "date and time" : "date",
            c->with_time ? "YYYYMMDDhhmmss" : "YYYYMMDD");
}

static void date_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_date *c = check;

    visit_text(c, c->fields, c->n_fields, cx->d, date_visit, fs);
}

static void date_free(void *check)
{
    struct check_date *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c);
}

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
        return poom(p);
    field = ymap_get(rule, "field");
    if (!field)
        return perr(p, rule, "missing 'field' (items)");
    if (want_scalar(p, field, "field") < 0)
        return -1;
    if (strcmp(field->value, "items") != 0)
        return perr(p, field, "field: only 'items' can be counted");
    min = ymap_get(rule, "min");
    max = ymap_get(rule, "max");
    if (!min && !max)
        return perr(p, rule, "a count rule needs 'min' and/or 'max'");
    c->max = UINT_MAX;
    if (min && parse_unsigned(p, min, "min", 1000000, &c->min) < 0)
        return -1;
    if (max && parse_unsigned(p, max, "max", 1000000, &c->max) < 0)
        return -1;
    if (c->min > c->max)
        return perr(p, min, "min: %u is greater than max %u", c->min, c->max);
    return 0;
}

static void count_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_count *c = check;
    size_t n = decl_nitems(cx->d);

    if (n < c->min)
        finding(fs, "items: %zu declared, at least %u required", n, c->min);
    else if (n > c->max)
        finding(fs, "items: %zu declared, at most %u allowed", n, c->max);
}

static void count_free(void *check)
{
    free(check);
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

static int parse_tolerance(struct rules_parser *p, const struct ynode *rule, struct decimal *tol,
                           char **text)
{
    const struct ynode *tolerance = ymap_get(rule, "tolerance");

    if (tolerance) {
        if (parse_decimal_node(p, tolerance, "tolerance", tol) < 0)
            return -1;
        if (decimal_is_negative(*tol))
            return perr(p, tolerance, "tolerance: must not be negative");
    }
    *text = xstrdup(tolerance ? tolerance->value : "0");
    return *text ? 0 : poom(p);
}

static int product_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_product *c = calloc(1, sizeof(*c));
    const struct ynode *factors, *equals;

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
    return parse_tolerance(p, rule, &c->tolerance, &c->tolerance_text);
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
    if (decimal_mul(a, b, &want) == 0 && decimal_sub(got, want, &diff) == 0 &&
        decimal_cmp(decimal_abs(diff), c->tolerance) <= 0)
        return;
    field_loc(loc, &c->equals, it, idx);
    decimal_format(a, ta, sizeof(ta));
    decimal_format(b, tb, sizeof(tb));
    if (decimal_mul(a, b, &want) < 0) {
        finding(fs, "%s: %s × %s = %s × %s is out of the N19,5 range", loc, c->factors[0].f->name,
                c->factors[1].f->name, ta, tb);
        return;
    }
    decimal_format(want, tw, sizeof(tw));
    decimal_format(got, tg, sizeof(tg));
    finding(fs, "%s: %s, expected %s × %s = %s × %s = %s (tolerance %s)", loc, tg,
            c->factors[0].f->name, c->factors[1].f->name, ta, tb, tw, c->tolerance_text);
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

/* ------------------------------------------------------------------------------------ */
/* check: compare                                                                       */
/* ------------------------------------------------------------------------------------ */

/*
 * left op right, where right is a field or a decimal `value` (grossWeight >= netWeight,
 * netWeight > 0, packNo >= 1; DOMAIN.md section 4 rules 14, 15). Decimal and integer
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
        return poom(p);
    left = ymap_get(rule, "left");
    if (!left)
        return perr(p, rule, "missing 'left'");
    if (parse_field(p, left, "left", FIELD_NUMBER, &c->left) < 0)
        return -1;
    op = ymap_get(rule, "op");
    if (!op)
        return perr(p, rule, "missing 'op'");
    if (parse_op(p, op, &c->op, &c->op_name) < 0)
        return -1;
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

/* ------------------------------------------------------------------------------------ */
/* check: hs_prefix                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * The HS code starts with a listed chapter (2 digits), heading (4), subheading (6) or a
 * longer prefix: a watch list, inline or a list file. Matches are hits, so the usual
 * action is inspect.
 */
struct check_hs_prefix {
    size_t n_fields;
    struct field_ref *fields;
    size_t n_prefixes;
    char **prefixes;
    size_t *lens;
    char *shown;
};

static const char *const hs_prefix_keys[] = {"field", "fields", "prefixes", "list", NULL};

static int hs_prefix_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_hs_prefix *c = calloc(1, sizeof(*c));

    *out = c;
    if (!c)
        return poom(p);
    if (parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    if (parse_values(p, rule, "prefixes", LIST_HS_PREFIX, &c->prefixes, &c->n_prefixes, &c->shown) <
        0)
        return -1;
    c->lens = calloc(c->n_prefixes, sizeof(*c->lens));
    if (!c->lens)
        return poom(p);
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
            field_loc(loc, fr, it, idx);
            quote(q, value);
            finding(fs, "%s: %s is on the watch list (HS prefix %s)", loc, q, c->prefixes[i]);
            return;
        }
    }
}

static void hs_prefix_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_hs_prefix *c = check;

    visit_text(c, c->fields, c->n_fields, cx->d, hs_prefix_visit, fs);
}

static void hs_prefix_free(void *check)
{
    struct check_hs_prefix *c = check;

    if (!c)
        return;
    free_values(c->prefixes, c->n_prefixes);
    free(c->lens);
    free(c->shown);
    free(c->fields);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* Conditions (`when`, and `where` of sum)                                              */
/* ------------------------------------------------------------------------------------ */

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

static void cond_clear(struct cond *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        cond_clear(&c->kids[i]);
    free(c->kids);
    free_values(c->values, c->n_values);
    memset(c, 0, sizeof(*c));
}

static const char *const cond_leaf_keys[] = {"field", "equals",  "in", "op",
                                             "value", "present", NULL};

static int cond_parse(struct rules_parser *p, const struct ynode *v, const char *key,
                      bool item_scope, struct cond *c, int depth);

static int cond_parse_list(struct rules_parser *p, const struct ynode *v, const char *key,
                           bool item_scope, struct cond *c, int depth)
{
    if (want_seq(p, v, key) < 0)
        return -1;
    c->kids = calloc(v->n, sizeof(*c->kids));
    if (!c->kids)
        return poom(p);
    for (size_t i = 0; i < v->n; i++) {
        c->n = i + 1;
        if (cond_parse(p, v->kids[i], key, item_scope, &c->kids[i], depth + 1) < 0)
            return -1;
    }
    return 0;
}

static int cond_parse(struct rules_parser *p, const struct ynode *v, const char *key,
                      bool item_scope, struct cond *c, int depth)
{
    const struct ynode *k, *equals, *in, *op, *value, *present;
    int forms;

    if (depth > 16)
        return perr(p, v, "%s: conditions nested deeper than 16 levels", key);
    if (v->type == YNODE_SEQ) {
        c->kind = COND_ALL;
        return cond_parse_list(p, v, key, item_scope, c, depth);
    }
    if (v->type != YNODE_MAP)
        return perr(p, v, "%s: expected a condition (a mapping), got %s", key,
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
            return poom(p);
        c->n = 1;
        return cond_parse(p, v->kids[1], "not", item_scope, c->kids, depth + 1);
    }
    for (size_t i = 0; i < v->n; i += 2) {
        k = v->kids[i];
        if (!name_in(k->value, cond_leaf_keys)) {
            if (strcmp(k->value, "all") == 0 || strcmp(k->value, "any") == 0 ||
                strcmp(k->value, "not") == 0)
                return perr(p, k, "%s: '%s' must be the only key of its condition", key, k->value);
            return perr(p, k,
                        "%s: unknown key '%s' in a condition (known: all, any, not; field "
                        "with equals, in, op and value, or present)",
                        key, k->value);
        }
    }
    k = ymap_get(v, "field");
    if (!k)
        return perr(p, v, "%s: a condition needs 'field' (or all, any, not)", key);
    equals = ymap_get(v, "equals");
    in = ymap_get(v, "in");
    op = ymap_get(v, "op");
    value = ymap_get(v, "value");
    present = ymap_get(v, "present");
    forms = !!equals + !!in + !!op + !!present;
    if (forms != 1 || (!!op != !!value))
        return perr(p, v,
                    "%s: a condition on a field needs exactly one of: equals, in, "
                    "op with value, present",
                    key);
    if (present) {
        c->kind = COND_PRESENT;
        if (parse_field(p, k, "field", FIELD_ANY, &c->fr) < 0)
            return -1;
        if (parse_bool(p, present, "present", &c->present) < 0)
            return -1;
    } else if (op) {
        const char *ignored;
        c->kind = COND_CMP;
        if (parse_field(p, k, "field", FIELD_NUMBER, &c->fr) < 0)
            return -1;
        if (parse_op(p, op, &c->op, &ignored) < 0)
            return -1;
        if (parse_decimal_node(p, value, "value", &c->value) < 0)
            return -1;
    } else {
        c->kind = COND_IN;
        if (parse_field(p, k, "field", FIELD_TEXT, &c->fr) < 0)
            return -1;
        if (equals) {
            if (want_nonempty_scalar(p, equals, "equals") < 0)
                return -1;
            if (collect_values(p, &equals, 1, "equals", LIST_ANY, &c->values, &c->n_values) < 0)
                return -1;
        } else {
            if (want_seq(p, in, "in") < 0)
                return -1;
            if (collect_values(p, (const struct ynode *const *)in->kids, in->n, "in", LIST_ANY,
                               &c->values, &c->n_values) < 0)
                return -1;
        }
    }
    if (item_scope && !c->fr.item)
        return perr(p, k, "%s: only item fields (items[].name) can be tested per item", key);
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
static bool cond_eval(const struct cond *c, const struct declaration *d, const struct decl_item *it)
{
    size_t nitems;

    switch (c->kind) {
    case COND_ALL:
        for (size_t i = 0; i < c->n; i++) {
            if (!cond_eval(&c->kids[i], d, it))
                return false;
        }
        return true;
    case COND_ANY:
        for (size_t i = 0; i < c->n; i++) {
            if (cond_eval(&c->kids[i], d, it))
                return true;
        }
        return false;
    case COND_NOT:
        return !cond_eval(c->kids, d, it);
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
        return poom(p);
    sum = ymap_get(rule, "sum");
    if (!sum)
        return perr(p, rule, "missing 'sum' (an item field, items[].name)");
    if (parse_field(p, sum, "sum", FIELD_NUMBER, &c->sum) < 0)
        return -1;
    if (!c->sum.item)
        return perr(p, sum, "sum: sums run over items: write items[].%s", c->sum.f->name);
    where = ymap_get(rule, "where");
    if (where) {
        if (cond_parse(p, where, "where", true, &c->where, 0) < 0)
            return -1;
        c->has_where = true;
    }
    op = ymap_get(rule, "op");
    if (!op)
        return perr(p, rule, "missing 'op'");
    if (parse_op(p, op, &c->op, &c->op_name) < 0)
        return -1;
    right = ymap_get(rule, "right");
    value = ymap_get(rule, "value");
    if (right && value)
        return perr(p, ymap_key(rule, "value"), "use either 'right' or 'value', not both");
    if (!right && !value)
        return perr(p, rule, "missing 'right' (a header field) or 'value' (a number)");
    if (right) {
        c->right_is_field = true;
        if (parse_field(p, right, "right", FIELD_NUMBER, &c->right) < 0)
            return -1;
        if (c->right.item)
            return perr(p, right, "right: compare a sum with a header field");
    } else if (parse_decimal_node(p, value, "value", &c->value) < 0) {
        return -1;
    }
    if (ymap_get(rule, "tolerance") && c->op != OP_EQ && c->op != OP_LE && c->op != OP_GE)
        return perr(p, ymap_key(rule, "tolerance"), "tolerance: only with =, <= or >=");
    if (parse_tolerance(p, rule, &c->tolerance, &c->tolerance_text) < 0)
        return -1;
    if (where && asprintf(&c->where_text, " of the matching items") < 0)
        return poom(p);
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
        if (c->has_where && !cond_eval(&c->where, d, &d->items[j]))
            continue;
        if (!read_number(&d->items[j], c->sum.f, &v))
            continue; /* `required` reports it */
        if (decimal_add(total, v, &total) < 0) {
            finding(fs, "sum of items[].%s leaves the N19,5 range", c->sum.f->name);
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
    field_name(name, sizeof(name), &c->sum);
    if (c->right_is_field)
        finding(fs, "sum of %s%s (%zu items) = %s is not %s %s %s%s%s", name,
                c->where_text ? c->where_text : "", counted, ts, c->op_name, c->right.f->name, tr,
                decimal_is_zero(c->tolerance) ? "" : " within ",
                decimal_is_zero(c->tolerance) ? "" : c->tolerance_text);
    else
        finding(fs, "sum of %s%s (%zu items) = %s is not %s %s%s%s", name,
                c->where_text ? c->where_text : "", counted, ts, c->op_name, tr,
                decimal_is_zero(c->tolerance) ? "" : " within ",
                decimal_is_zero(c->tolerance) ? "" : c->tolerance_text);
}

static void sum_free(void *check)
{
    struct check_sum *c = check;

    if (!c)
        return;
    cond_clear(&c->where);
    free(c->where_text);
    free(c->tolerance_text);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* check: threshold                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * A value limit in another currency ("parcel value over €200", DOMAIN.md section 5): the
 * amount field (summed over items for an item field), each amount in the currency named
 * by the currency field, converted to the limit currency with the rates table entry valid
 * on the declaration's ieDate. The converted value is rounded half away from zero to cents
 * and compared with `max`; the reason carries it. A currency the table cannot convert on
 * that date is a finding (the rule matches), so a gap in the table is seen, not skipped.
 */
#define THRESHOLD_CURRENCIES 8

struct check_threshold {
    struct field_ref amount, currency;
    struct decimal max;
    char *max_text;
    char *limit_currency;
    const char *limit_name; /* from the rates table, or the code */
    char *label;            /* "goods value" */
};

static const char *const threshold_keys[] = {"amount",         "currency", "max",
                                             "limit_currency", "label",    NULL};

static int threshold_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_threshold *c = calloc(1, sizeof(*c));
    const struct ynode *amount, *currency, *max, *limit, *label;
    char name[LOC_MAX];

    *out = c;
    if (!c)
        return poom(p);
    amount = ymap_get(rule, "amount");
    currency = ymap_get(rule, "currency");
    max = ymap_get(rule, "max");
    limit = ymap_get(rule, "limit_currency");
    if (!amount || !currency || !max || !limit)
        return perr(p, rule, "a threshold rule needs amount, currency, max and limit_currency");
    if (parse_field(p, amount, "amount", FIELD_DECIMAL, &c->amount) < 0)
        return -1;
    if (parse_field(p, currency, "currency", FIELD_TEXT, &c->currency) < 0)
        return -1;
    if (c->currency.item && !c->amount.item)
        return perr(p, currency, "currency: a header amount takes a header currency field");
    if (parse_decimal_node(p, max, "max", &c->max) < 0)
        return -1;
    if (decimal_is_negative(c->max))
        return perr(p, max, "max: must not be negative");
    if (want_nonempty_scalar(p, limit, "limit_currency") < 0)
        return -1;
    if (!p->rs->rates)
        return perr(p, limit,
                    "limit_currency: a threshold converts currencies: the rule set needs a "
                    "rates table (top-level 'rates: FILE')");
    if (strcmp(limit->value, p->rs->rates->base) != 0)
        return perr(p, limit,
                    "limit_currency: '%s' is not the base currency '%s' of the rates table %s",
                    limit->value, p->rs->rates->base, p->rs->rates->file);
    c->limit_name = p->rs->rates->base_name;
    label = ymap_get(rule, "label");
    if (label && want_nonempty_scalar(p, label, "label") < 0)
        return -1;
    field_name(name, sizeof(name), &c->amount);
    c->max_text = xstrdup(max->value);
    c->limit_currency = xstrdup(limit->value);
    if (label)
        c->label = xstrdup(label->value);
    else if (asprintf(&c->label, "%s%s", c->amount.item ? "sum of " : "", name) < 0)
        c->label = NULL;
    if (!c->max_text || !c->limit_currency || !c->label)
        return poom(p);
    return 0;
}

static int rate_currency_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct rate_currency *)elem)->code);
}

static const struct rate_currency *rates_currency(const struct rates *r, const char *code)
{
    return bsearch(code, r->currencies, r->n, sizeof(*r->currencies), rate_currency_cmp);
}

/* The period valid on ymd, or NULL. */
static const struct rate_period *rates_period(const struct rate_currency *c, int ymd)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->periods[mid].to < ymd)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->n && c->periods[lo].from <= ymd && ymd <= c->periods[lo].to)
        return &c->periods[lo];
    return NULL;
}

struct currency_sum {
    const char *code;
    struct decimal units;
};

static void threshold_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_threshold *c = check;
    const struct declaration *d = cx->d;
    const struct rates *rates = cx->rs->rates;
    struct currency_sum sums[THRESHOLD_CURRENCIES];
    size_t n_sums = 0, nitems = c->amount.item ? decl_nitems(d) : 1;
    __int128 cents = 0;
    char how[NOTE_MAX], total[DECIMAL_TEXT_MAX + 4], date[16];
    size_t hl = 0;

    for (size_t j = 0; j < nitems; j++) {
        const struct decl_item *it = c->amount.item ? &d->items[j] : NULL;
        struct decimal v;
        const char *code = decl_get_string(field_base(&c->currency, d, it), c->currency.f);
        size_t k;

        if (!read_number(field_base(&c->amount, d, it), c->amount.f, &v) || !code || !*code)
            continue; /* `required` reports it */
        for (k = 0; k < n_sums && strcmp(sums[k].code, code) != 0; k++)
            ;
        if (k == n_sums) {
            if (n_sums == THRESHOLD_CURRENCIES) {
                finding(fs, "%s: more than %d currencies in one declaration", c->label,
                        THRESHOLD_CURRENCIES);
                return;
            }
            sums[n_sums].code = code;
            sums[n_sums].units.units = 0;
            n_sums++;
        }
        if (decimal_add(sums[k].units, v, &sums[k].units) < 0) {
            finding(fs, "%s leaves the N19,5 range", c->label);
            return;
        }
    }
    if (n_sums == 0)
        return;
    how[0] = '\0';
    for (size_t k = 0; k < n_sums; k++) {
        const struct rate_currency *rc;
        const struct rate_period *per;
        char q[QUOTE_MAX], amt[DECIMAL_TEXT_MAX], from[16], to[16];

        decimal_format(sums[k].units, amt, sizeof(amt));
        if (strcmp(sums[k].code, c->limit_currency) == 0) {
            cents += div_round(sums[k].units.units, 1000);
            if (hl < sizeof(how))
                hl += (size_t)snprintf(how + hl, sizeof(how) - hl, "%s%s %s", hl ? " + " : "", amt,
                                       c->limit_name);
            continue;
        }
        rc = rates_currency(rates, sums[k].code);
        if (!rc) {
            quote(q, sums[k].code);
            finding(fs, "%s: cannot convert currency %s to %s: not in the rates table %s", c->label,
                    q, c->limit_name, rates->file);
            return;
        }
        if (!cx->ie_date) {
            finding(fs, "%s: cannot convert %s to %s: ieDate is not a real date", c->label,
                    rc->name, c->limit_name);
            return;
        }
        per = rates_period(rc, cx->ie_date);
        if (!per) {
            date_text(cx->ie_date, date, sizeof(date));
            finding(fs, "%s: no %s rate valid on %s in the rates table %s", c->label, rc->name,
                    date, rates->file);
            return;
        }
        /* amount / rate in cents: (A / 1e5) / (R / 1e5) * 100 = A * 100 / R. */
        cents += div_round(sums[k].units.units * 100, per->rate.units);
        date_text(per->from, from, sizeof(from));
        date_text(per->to, to, sizeof(to));
        if (hl < sizeof(how))
            hl += (size_t)snprintf(
                how + hl, sizeof(how) - hl, "%s%s %s at %s %s per %s, rate of %s to %s",
                hl ? " + " : "", amt, rc->name, per->rate_text, rc->name, c->limit_name, from, to);
    }
    format_cents(cents, total);
    snprintf(fs->value, sizeof(fs->value), "%.24s %.16s", total, c->limit_name);
    if (cents * 1000 > c->max.units) {
        finding(fs, "%s %s %s (%s) is over the limit of %s %s", c->label, total, c->limit_name, how,
                c->max_text, c->limit_name);
    } else {
        snprintf(fs->note, sizeof(fs->note), "%s %s %s (%s) is within the limit of %s %s", c->label,
                 total, c->limit_name, how, c->max_text, c->limit_name);
    }
}

static void threshold_free(void *check)
{
    struct check_threshold *c = check;

    if (!c)
        return;
    free(c->max_text);
    free(c->limit_currency);
    free(c->label);
    free(c);
}

/* ------------------------------------------------------------------------------------ */
/* check: always                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * Matches every declaration it is evaluated on: with `when`, effective dates or `sample`
 * (2 % random inspection) the rule decides which.
 */
struct check_always {
    char *message;
};

static const char *const always_keys[] = {"message", NULL};

static int always_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_always *c = calloc(1, sizeof(*c));
    const struct ynode *message = ymap_get(rule, "message");

    *out = c;
    if (!c)
        return poom(p);
    if (message) {
        if (want_nonempty_scalar(p, message, "message") < 0)
            return -1;
        c->message = xstrdup(message->value);
        if (!c->message)
            return poom(p);
    }
    return 0;
}

static void always_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_always *c = check;

    (void)cx;
    if (c->message)
        finding(fs, "%s", c->message);
    else
        fs->count++; /* the rule's own words (sampling, when) say why */
}

static void always_free(void *check)
{
    struct check_always *c = check;

    if (!c)
        return;
    free(c->message);
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
    void (*eval)(const void *check, const struct eval_ctx *cx, struct findings *fs);
    void (*free_fn)(void *check);
};

static const struct check_kind check_kinds[] = {
    {"required", required_keys, required_parse, required_eval, required_free},
    {"together", together_keys, together_parse, together_eval, together_free},
    {"length", length_keys, length_parse, length_eval, length_free},
    {"one_of", one_of_keys, one_of_parse, one_of_eval, one_of_free},
    {"pattern", pattern_keys, pattern_parse, pattern_eval, pattern_free},
    {"decimal", decimal_keys, decimal_parse_check, decimal_eval, decimal_free},
    {"date", date_keys, date_parse, date_eval, date_free},
    {"count", count_keys, count_parse, count_eval, count_free},
    {"sequence", sequence_keys, sequence_parse, sequence_eval, sequence_free},
    {"product", product_keys, product_parse, product_eval, product_free},
    {"sum", sum_keys, sum_parse, sum_eval, sum_free},
    {"compare", compare_keys, compare_parse, compare_eval, compare_free},
    {"hs_prefix", hs_prefix_keys, hs_prefix_parse, hs_prefix_eval, hs_prefix_free},
    {"threshold", threshold_keys, threshold_parse, threshold_eval, threshold_free},
    {"always", always_keys, always_parse, always_eval, always_free},
};

/* ------------------------------------------------------------------------------------ */
/* The rates table                                                                      */
/* ------------------------------------------------------------------------------------ */

static void rates_free(struct rates *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t j = 0; j < r->currencies[i].n; j++)
            free(r->currencies[i].periods[j].rate_text);
        free(r->currencies[i].periods);
        free(r->currencies[i].code);
        free(r->currencies[i].name);
    }
    free(r->currencies);
    free(r->file);
    free(r->base);
    free(r->base_name);
    free(r);
}

static int period_cmp(const void *a, const void *b)
{
    const struct rate_period *x = a, *y = b;

    return x->from < y->from ? -1 : x->from > y->from;
}

static int currency_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rate_currency *)a)->code, ((const struct rate_currency *)b)->code);
}

static int rates_parse_currency(struct rules_parser *p, const struct ynode *key,
                                const struct ynode *v, struct rate_currency *rc)
{
    static const char *const currency_keys[] = {"name", "rates", NULL};
    static const char *const period_keys[] = {"from", "to", "rate", "source", NULL};
    const struct ynode *name, *list;

    if (want_map(p, v, key->value) < 0 || check_keys(p, v, "a currency", currency_keys) < 0)
        return -1;
    rc->code = xstrdup(key->value);
    name = ymap_get(v, "name");
    if (!name)
        return perr(p, v, "currency '%s' without 'name' (e.g. CNY)", key->value);
    if (want_nonempty_scalar(p, name, "name") < 0)
        return -1;
    rc->name = xstrdup(name->value);
    if (!rc->code || !rc->name)
        return poom(p);
    list = ymap_get(v, "rates");
    if (!list)
        return perr(p, v, "currency '%s' without 'rates'", key->value);
    if (want_seq(p, list, "rates") < 0)
        return -1;
    rc->periods = calloc(list->n, sizeof(*rc->periods));
    if (!rc->periods)
        return poom(p);
    for (size_t i = 0; i < list->n; i++) {
        const struct ynode *e = list->kids[i], *from, *to, *rate;
        struct rate_period *per = &rc->periods[i];

        rc->n = i + 1;
        if (want_map(p, e, "rates") < 0 || check_keys(p, e, "a rate", period_keys) < 0)
            return -1;
        from = ymap_get(e, "from");
        to = ymap_get(e, "to");
        rate = ymap_get(e, "rate");
        if (!from || !to || !rate)
            return perr(p, e, "a rate needs from, to and rate");
        if (parse_date_node(p, from, "from", &per->from) < 0 ||
            parse_date_node(p, to, "to", &per->to) < 0)
            return -1;
        if (per->to < per->from)
            return perr(p, to, "to: %s is before from %s", to->value, from->value);
        if (parse_decimal_node(p, rate, "rate", &per->rate) < 0)
            return -1;
        /* Bounded so that amount x 100 / rate stays far inside 128 bits. */
        if (decimal_cmp(per->rate, (struct decimal){1}) < 0 ||
            decimal_cmp(per->rate, decimal_from_int(1000000)) > 0)
            return perr(p, rate, "rate: %s is outside 0.00001 .. 1000000", rate->value);
        per->rate_text = xstrdup(rate->value);
        if (!per->rate_text)
            return poom(p);
    }
    qsort(rc->periods, rc->n, sizeof(*rc->periods), period_cmp);
    for (size_t i = 1; i < rc->n; i++) {
        if (rc->periods[i].from <= rc->periods[i - 1].to) {
            char a[16], b[16];
            date_text(rc->periods[i - 1].from, a, sizeof(a));
            date_text(rc->periods[i].from, b, sizeof(b));
            return perr(p, list, "rates: the periods from %s and from %s overlap", a, b);
        }
    }
    return 0;
}

/*
 * The rates file: `base` (customs currency code the rates convert to), `base_name`, an
 * optional `source` text, and `currencies`: code -> {name, rates: [{from, to, rate}]}
 * where `rate` units of the currency buy one unit of the base (7.7214 CNY per EUR).
 */
static int rates_parse(struct rules_parser *p, const struct ynode *at, const char *name)
{
    static const char *const rates_keys[] = {"description", "source",     "base",
                                             "base_name",   "currencies", NULL};
    const struct rules_file *f;
    const struct ynode *base, *base_name, *cur;
    const char *saved = p->file;
    struct rates *r;
    int rc = -1;

    if (load_ref(p, at, name, &f) < 0)
        return -1;
    r = calloc(1, sizeof(*r));
    if (!r)
        return poom(p);
    p->rs->rates = r;
    r->file = xstrdup(name);
    if (!r->file)
        return poom(p);
    p->file = f->path;
    if (check_keys(p, f->tree, "a rates file", rates_keys) < 0)
        goto out;
    base = ymap_get(f->tree, "base");
    base_name = ymap_get(f->tree, "base_name");
    cur = ymap_get(f->tree, "currencies");
    if (!base || !base_name || !cur) {
        perr(p, f->tree, "a rates file needs base, base_name and currencies");
        goto out;
    }
    if (want_nonempty_scalar(p, base, "base") < 0 ||
        want_nonempty_scalar(p, base_name, "base_name") < 0 || want_map(p, cur, "currencies") < 0)
        goto out;
    r->base = xstrdup(base->value);
    r->base_name = xstrdup(base_name->value);
    r->currencies = calloc(cur->n / 2 + 1, sizeof(*r->currencies));
    if (!r->base || !r->base_name || !r->currencies) {
        poom(p);
        goto out;
    }
    for (size_t i = 0; i < cur->n; i += 2) {
        r->n = i / 2 + 1;
        if (strcmp(cur->kids[i]->value, r->base) == 0) {
            perr(p, cur->kids[i], "currencies: '%s' is the base currency", r->base);
            goto out;
        }
        if (rates_parse_currency(p, cur->kids[i], cur->kids[i + 1], &r->currencies[i / 2]) < 0)
            goto out;
    }
    qsort(r->currencies, r->n, sizeof(*r->currencies), currency_cmp);
    rc = 0;
out:
    p->file = saved;
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Rules                                                                                */
/* ------------------------------------------------------------------------------------ */

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

static const struct {
    const char *name;
    enum rule_action action;
} rule_actions[] = {
    {"reject", RULE_REJECT},
    {"review", RULE_REVIEW},
    {"inspect", RULE_INSPECT},
    {"flag", RULE_FLAG},
};

static const char *const severity_names[] = {"low", "medium", "high", "critical"};

/* Keys every rule may have, whatever its check. */
static const char *const rule_keys[] = {"id",           "description", "action", "severity",
                                        "enabled",      "check",       "when",   "effective_from",
                                        "effective_to", "sample",      "seed",   NULL};

const char *rule_action_name(enum rule_action a)
{
    for (size_t i = 0; i < ARRAY_SIZE(rule_actions); i++) {
        if (rule_actions[i].action == a)
            return rule_actions[i].name;
    }
    return "unknown";
}

const char *rule_severity_name(enum rule_severity s)
{
    return (size_t)s < ARRAY_SIZE(severity_names) ? severity_names[s] : "unknown";
}

static void rule_clear(struct rule *r)
{
    if (r->kind && r->check)
        r->kind->free_fn(r->check);
    cond_clear(&r->when);
    free(r->id);
    free(r->description);
    free(r->sample_text);
    free(r->seed);
    memset(r, 0, sizeof(*r));
}

/* FNV-1a 64 (the sampling hash; documented in config/RULES.md so it can be recomputed). */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* splitmix64's finaliser: spreads FNV's low-entropy high bits. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The draw 0 .. 99999 for a logisticsNo under a rule's seed. */
static unsigned sample_draw(const struct rule *r, const char *key)
{
    uint64_t h = mix64(fnv1a(r->seed_hash, key, strlen(key)));

    return (unsigned)(((unsigned __int128)h * SAMPLE_SCALE) >> 64);
}

static int parse_sample(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *sample = ymap_get(node, "sample"), *seed = ymap_get(node, "seed");
    struct decimal v;

    if (!sample) {
        if (seed)
            return perr(p, ymap_key(node, "seed"), "seed: only with 'sample'");
        return 0;
    }
    if (parse_decimal_node(p, sample, "sample", &v) < 0)
        return -1;
    if (decimal_cmp(v, decimal_from_int(0)) <= 0 || decimal_cmp(v, decimal_from_int(1)) > 0)
        return perr(p, sample, "sample: a fraction above 0 and at most 1 (0.02 = 2 %%), got '%s'",
                    sample->value);
    if (seed && want_nonempty_scalar(p, seed, "seed") < 0)
        return -1;
    r->sampled = true;
    r->sample_units = (unsigned)v.units; /* N19,5: units are 1e-5, the draw's scale */
    r->sample_text = xstrdup(sample->value);
    r->seed = xstrdup(seed ? seed->value : r->id);
    if (!r->sample_text || !r->seed)
        return poom(p);
    r->seed_hash = fnv1a(FNV_OFFSET, r->seed, strlen(r->seed) + 1);
    return 0;
}

static int rule_parse(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *id, *description, *action, *check, *enabled, *severity, *when, *from, *to;
    char known[256], kind_keys[256];

    if (node->type != YNODE_MAP)
        return perr(p, node,
                    "a rule is a mapping (id, description, action, check, ...), "
                    "got %s",
                    yamlread_type_name(node));
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
            names_join(rule_keys, known, sizeof(known));
            names_join(r->kind->keys, kind_keys, sizeof(kind_keys));
            return perr(p, k, "unknown key '%s' in a '%s' rule (rule keys: %s; %s keys: %s)",
                        k->value, r->kind->name, known, r->kind->name,
                        kind_keys[0] ? kind_keys : "none");
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

    r->severity = RULE_SEVERITY_MEDIUM;
    severity = ymap_get(node, "severity");
    if (severity) {
        bool found = false;
        if (want_scalar(p, severity, "severity") < 0)
            return -1;
        for (size_t i = 0; i < ARRAY_SIZE(severity_names) && !found; i++) {
            if (strcmp(severity->value, severity_names[i]) == 0) {
                r->severity = (enum rule_severity)i;
                found = true;
            }
        }
        if (!found)
            return perr(p, severity,
                        "severity: unknown severity '%s' (known: low, medium, high, critical)",
                        severity->value);
    }

    r->enabled = true;
    enabled = ymap_get(node, "enabled");
    if (enabled && parse_bool(p, enabled, "enabled", &r->enabled) < 0)
        return -1;

    from = ymap_get(node, "effective_from");
    to = ymap_get(node, "effective_to");
    if (from && parse_date_node(p, from, "effective_from", &r->eff_from) < 0)
        return -1;
    if (to && parse_date_node(p, to, "effective_to", &r->eff_to) < 0)
        return -1;
    if (from && to && r->eff_to < r->eff_from)
        return perr(p, to, "effective_to: %s is before effective_from %s", to->value, from->value);

    when = ymap_get(node, "when");
    if (when) {
        if (cond_parse(p, when, "when", false, &r->when, 0) < 0)
            return -1;
        r->has_when = true;
    }
    if (parse_sample(p, node, r) < 0)
        return -1;

    return r->kind->parse(p, node, &r->check);
}

static int rules_parse_tree(struct rules_parser *p, const struct ynode *root, struct rules *rs)
{
    static const char *const top_keys[] = {"version", "description", "rates", "rules", NULL};
    const struct ynode *version, *list, *rates, *description;

    if (!root || yamlread_is_null(root))
        return perr(p, NULL, "empty rules file (expected 'version: 1' and 'rules:')");
    if (root->type != YNODE_MAP)
        return perr(p, root, "expected a mapping with 'version' and 'rules', got %s",
                    yamlread_type_name(root));
    for (size_t i = 0; i < root->n; i += 2) {
        const struct ynode *k = root->kids[i];
        if (!name_in(k->value, top_keys))
            return perr(p, k, "unknown key '%s' (known: version, description, rates, rules)",
                        k->value);
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
    description = ymap_get(root, "description");
    if (description && want_scalar(p, description, "description") < 0)
        return -1;
    /* Rates first: threshold rules check their currency against the table. */
    rates = ymap_get(root, "rates");
    if (rates) {
        if (want_nonempty_scalar(p, rates, "rates") < 0)
            return -1;
        if (rates_parse(p, rates, rates->value) < 0)
            return -1;
    }
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

/* The bundle the version hashes: the rules file, then each referenced file (rules.h). */
static int rules_bundle(struct rules *rs, const char *text, size_t len)
{
    size_t total = len;
    char head[600];

    for (size_t i = 0; i < rs->n_files; i++) {
        int n = snprintf(head, sizeof(head), "\n# ---- customsd rule set bundle: %s (%zu bytes)\n",
                         rs->files[i].name, rs->files[i].len);
        if (n < 0 || (size_t)n >= sizeof(head))
            return -1;
        total += (size_t)n + rs->files[i].len;
    }
    rs->text = malloc(total + 1);
    if (!rs->text)
        return -1;
    memcpy(rs->text, text, len);
    rs->len = len;
    for (size_t i = 0; i < rs->n_files; i++) {
        int n = snprintf(head, sizeof(head), "\n# ---- customsd rule set bundle: %s (%zu bytes)\n",
                         rs->files[i].name, rs->files[i].len);
        memcpy(rs->text + rs->len, head, (size_t)n);
        rs->len += (size_t)n;
        memcpy(rs->text + rs->len, rs->files[i].text, rs->files[i].len);
        rs->len += rs->files[i].len;
    }
    rs->text[rs->len] = '\0';
    return 0;
}

static void rules_drop_trees(struct rules *rs)
{
    for (size_t i = 0; i < rs->n_files; i++) {
        yamlread_free(rs->files[i].tree);
        rs->files[i].tree = NULL;
        free(rs->files[i].text);
        rs->files[i].text = NULL;
    }
}

int rules_load_buffer(const char *name, const char *text, size_t len, struct rules **out, char *err,
                      size_t errlen)
{
    struct rules_parser p = {name, err, errlen, NULL, NULL};
    struct rules *rs;
    struct ynode *root = NULL;
    const char *slash = strrchr(name, '/');

    *out = NULL;
    if (len > RULES_MAX_BYTES)
        return errf(err, errlen, "%s: larger than %d bytes", name, RULES_MAX_BYTES);
    if (memchr(text, '\0', len))
        return errf(err, errlen, "%s: contains a NUL byte", name);
    rs = calloc(1, sizeof(*rs));
    p.dir = slash ? xstrndup(name, (size_t)(slash - name)) : xstrdup("");
    if (!rs || !p.dir) {
        free(rs);
        free(p.dir);
        return errf(err, errlen, "%s: out of memory", name);
    }
    p.rs = rs;
    if (slash == name) { /* "/rules.yaml": the root directory */
        free(p.dir);
        p.dir = xstrdup("/");
        if (!p.dir)
            goto oom;
    }
    if (yamlread_parse(name, text, len, RULES_YAML_DEPTH, &root, err, errlen) < 0)
        goto fail;
    if (rules_parse_tree(&p, root, rs) < 0)
        goto fail;
    if (rules_bundle(rs, text, len) < 0)
        goto oom;
    if (sha256_hex(rs->text, rs->len, rs->version) < 0) {
        errf(err, errlen, "%s: cannot compute SHA-256", name);
        goto fail;
    }
    rules_drop_trees(rs);
    yamlread_free(root);
    free(p.dir);
    *out = rs;
    return 0;
oom:
    errf(err, errlen, "%s: out of memory", name);
fail:
    yamlread_free(root);
    free(p.dir);
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
    rules_drop_trees(r);
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i].name);
        free(r->files[i].path);
    }
    free(r->files);
    rates_free(r->rates);
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

size_t rules_file_count(const struct rules *r)
{
    return r->n_files;
}

const char *rules_file_name(const struct rules *r, size_t i)
{
    return i < r->n_files ? r->files[i].name : NULL;
}

const char *rules_rule_id(const struct rules *r, size_t i)
{
    return i < r->n_rules ? r->rules[i].id : NULL;
}

enum rule_action rules_rule_action(const struct rules *r, size_t i)
{
    return i < r->n_rules ? r->rules[i].action : RULE_FLAG;
}

int rules_rule_enabled(const struct rules *r, size_t i)
{
    return i < r->n_rules && r->rules[i].enabled;
}

/* ------------------------------------------------------------------------------------ */
/* Evaluation                                                                           */
/* ------------------------------------------------------------------------------------ */

static int decision_add(struct decision *dec, const struct rule *r, const struct findings *fs)
{
    struct reason *nr = realloc(dec->reasons, (dec->n_reasons + 1) * sizeof(*nr));
    struct reason *x;

    if (!nr)
        return -1;
    dec->reasons = nr;
    x = &nr[dec->n_reasons];
    memset(x, 0, sizeof(*x));
    x->rule_id = xstrdup(r->id);
    x->message = xstrdup(fs->text);
    x->action = r->action;
    x->severity = r->severity;
    if (fs->value[0])
        x->value = xstrdup(fs->value);
    if (!x->rule_id || !x->message || (fs->value[0] && !x->value)) {
        free(x->rule_id);
        free(x->message);
        free(x->value);
        return -1;
    }
    dec->n_reasons++;
    return 0;
}

/* Why a dated rule does not apply (only built for traces). */
static void not_in_effect(const struct rule *r, int ie_date, char *buf, size_t buflen)
{
    char d[16], from[16], to[16];

    date_text(r->eff_from, from, sizeof(from));
    date_text(r->eff_to, to, sizeof(to));
    if (!ie_date) {
        snprintf(buf, buflen,
                 "not applied: ieDate is not a real date and the rule is in effect %s%s%s%s",
                 r->eff_from ? "from " : "", r->eff_from ? from : "", r->eff_to ? " to " : "",
                 r->eff_to ? to : "");
        return;
    }
    date_text(ie_date, d, sizeof(d));
    snprintf(buf, buflen, "not in effect on ieDate %s (in effect %s%s%s%s)", d,
             r->eff_from ? "from " : "", r->eff_from ? from : "", r->eff_to ? " to " : "",
             r->eff_to ? to : "");
}

int rules_evaluate_trace(const struct rules *r, const struct declaration *d, struct decision *out,
                         rules_trace_fn fn, void *ctx)
{
    bool reject = false, review = false, inspect = false;
    struct eval_ctx cx = {d, ceb_date(d->ieDate), r};
    struct findings fs;
    struct rule_trace t;
    char why[256];

    out->n_reasons = 0;
    out->reasons = NULL;
    out->rules_version = r->version;
    for (size_t i = 0; i < r->n_rules; i++) {
        const struct rule *rule = &r->rules[i];

        if (fn) {
            memset(&t, 0, sizeof(t));
            t.index = i;
            t.rule_id = rule->id;
            t.action = rule->action;
            t.outcome = RULE_OUTCOME_SKIPPED;
            t.why = "";
            t.message = "";
            t.note = "";
        }
        if (!rule->enabled) {
            if (fn) {
                t.why = "disabled";
                fn(ctx, &t);
            }
            continue;
        }
        /* By the declaration's ieDate, never the wall clock: decisions are reproducible. */
        if ((rule->eff_from || rule->eff_to) &&
            (!cx.ie_date || (rule->eff_from && cx.ie_date < rule->eff_from) ||
             (rule->eff_to && cx.ie_date > rule->eff_to))) {
            if (fn) {
                not_in_effect(rule, cx.ie_date, why, sizeof(why));
                t.why = why;
                fn(ctx, &t);
            }
            continue;
        }
        if (rule->has_when && !cond_eval(&rule->when, d, NULL)) {
            if (fn) {
                t.why = "'when' condition not met";
                fn(ctx, &t);
            }
            continue;
        }
        findings_reset(&fs);
        rule->kind->eval(rule->check, &cx, &fs);
        if (fs.count && rule->sampled) {
            unsigned draw = sample_draw(rule, d->logisticsNo ? d->logisticsNo : "");
            char tdraw[DECIMAL_TEXT_MAX];
            decimal_format((struct decimal){draw}, tdraw, sizeof(tdraw));
            if (draw >= rule->sample_units) {
                snprintf(fs.note, sizeof(fs.note),
                         "not selected by the %s sample (draw %s of logisticsNo with seed '%s')",
                         rule->sample_text, tdraw, rule->seed);
                fs.count = 0;
            } else {
                findings_append(&fs, "%sselected by the %s random sample (draw %s < %s, seed '%s')",
                                fs.len ? "; " : "", rule->sample_text, tdraw, rule->sample_text,
                                rule->seed);
            }
        }
        if (fs.count == 0) {
            if (fn) {
                t.outcome = RULE_OUTCOME_PASSED;
                t.note = fs.note;
                fn(ctx, &t);
            }
            continue;
        }
        findings_finish(&fs);
        if (fs.len == 0) {
            snprintf(fs.text, sizeof(fs.text), "%s", "applies to this declaration");
            fs.len = strlen(fs.text);
        }
        if (decision_add(out, rule, &fs) < 0) {
            decision_clear(out);
            return -1;
        }
        if (fn) {
            t.outcome = RULE_OUTCOME_MATCHED;
            t.message = fs.text;
            t.note = fs.note;
            fn(ctx, &t);
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

int rules_evaluate(const struct rules *r, const struct declaration *d, struct decision *out)
{
    return rules_evaluate_trace(r, d, out, NULL, NULL);
}

void decision_clear(struct decision *dec)
{
    if (!dec)
        return;
    for (size_t i = 0; i < dec->n_reasons; i++) {
        free(dec->reasons[i].rule_id);
        free(dec->reasons[i].message);
        free(dec->reasons[i].value);
    }
    free(dec->reasons);
    memset(dec, 0, sizeof(*dec));
}
