/*
 * customsctl.c - the customsd operator's tool: check a configuration or rules file before
 * it goes live, test a rule set against fixture declarations, and dry-run the rules on one
 * declaration. Touches no server.
 *
 *   customsctl rules check FILE
 *   customsctl rules test FILE CASES
 *   customsctl decide RULES DECLARATION.json
 *   customsctl config check FILE
 *
 * Exit status: 0 success, 1 the file or declaration is bad (the reason is printed),
 * 2 usage error. Subcommands are rows of `commands` below.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "declaration.h"
#include "kafka.h"
#include "log.h"
#include "rules.h"
#include "status.h"
#include "store.h"
#include "util.h"
#include "yamlread.h"

#define EXIT_USAGE 2

struct command {
    const char *words[2]; /* "rules", "check"; words[1] NULL for a one-word command */
    const char *args;     /* argument synopsis */
    int nargs;            /* exact number of arguments after the words */
    const char *help;
    int (*run)(char **argv); /* argv = the arguments after the words */
};

static int cmd_rules_check(char **argv);
static int cmd_rules_test(char **argv);
static int cmd_decide(char **argv);
static int cmd_config_check(char **argv);

static const struct command commands[] = {
    {{"rules", "check"},
     "FILE",
     1,
     "validate a rules file and the files it references; prints the rule count, the files "
     "and the version (SHA-256 of them all)",
     cmd_rules_check},
    {{"rules", "test"},
     "FILE CASES",
     2,
     "run the fixture declarations of a cases file against a rule set: pass/fail per case, "
     "then coverage (every enabled rule matched and passed by some case); exit 1 on any "
     "failure",
     cmd_rules_test},
    {{"decide", NULL},
     "RULES DECLARATION.json",
     2,
     "dry run: decode one JSON declaration, print the decision, each matched rule and the "
     "rules version",
     cmd_decide},
    {{"config", "check"}, "FILE", 1, "validate a customsd configuration file", cmd_config_check},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: customsctl COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];
        fprintf(out, "  customsctl %s%s%s %s\n      %s\n", c->words[0], c->words[1] ? " " : "",
                c->words[1] ? c->words[1] : "", c->args, c->help);
    }
    fprintf(out, "\nexit status: 0 success, 1 bad file or declaration, 2 usage error\n");
}

static int cmd_rules_check(char **argv)
{
    struct rules *r = NULL;
    char err[1024];

    if (rules_load(argv[0], &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    printf("rules OK: %zu rules, version %s\n", rules_count(r), rules_version(r));
    for (size_t i = 0; i < rules_file_count(r); i++)
        printf("  with %s\n", rules_file_name(r, i));
    rules_free(r);
    return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------------------ */
/* Rule traces                                                                          */
/* ------------------------------------------------------------------------------------ */

/* Notes of rules that passed (what a threshold computed), for `decide`. */
struct notes {
    size_t n;
    char **ids, **texts;
};

static void notes_free(struct notes *n)
{
    for (size_t i = 0; i < n->n; i++) {
        free(n->ids[i]);
        free(n->texts[i]);
    }
    free(n->ids);
    free(n->texts);
    memset(n, 0, sizeof(*n));
}

static void collect_notes(void *ctx, const struct rule_trace *t)
{
    struct notes *n = ctx;
    char **ids, **texts;

    if (t->outcome != RULE_OUTCOME_PASSED || !t->note[0])
        return;
    ids = realloc(n->ids, (n->n + 1) * sizeof(*ids));
    if (ids)
        n->ids = ids;
    texts = realloc(n->texts, (n->n + 1) * sizeof(*texts));
    if (texts)
        n->texts = texts;
    if (!ids || !texts)
        return; /* a dry run without its notes is still a dry run */
    n->ids[n->n] = xstrdup(t->rule_id);
    n->texts[n->n] = xstrdup(t->note);
    if (n->ids[n->n] && n->texts[n->n])
        n->n++;
    else {
        free(n->ids[n->n]);
        free(n->texts[n->n]);
    }
}

/* ------------------------------------------------------------------------------------ */
/* rules test: a cases file of fixture declarations with expected outcomes              */
/* ------------------------------------------------------------------------------------ */

/*
 * The cases file (YAML, read by the same safe reader as the rules):
 *
 *   base: decl/parcel.json        # declaration the cases start from (relative to this file)
 *   cases:
 *     - name: an import flag is rejected
 *       declaration: decl/other.json   # optional, instead of base
 *       set: {ieFlag: I, "items[0].gcode": "12345678"}   # values are JSON strings
 *       remove: [ebcCode, "items[1]"]
 *       expect:
 *         status: 100                  # 100, 300, 399 or 500
 *         rules: [CEB603-IEFLAG]       # exactly these rules matched (any order)
 *         matched: [...]               # at least these matched
 *         not_matched: [...]           # these did not match
 *         passed: [...]                # these were evaluated and found nothing
 *         messages: {CEB603-IEFLAG: "'I' is not one of E"}   # message contains
 *         notes: {EAEU-RU-EUR1000-2022: "259.02 EUR"}       # note (passed rule) contains
 *         undecodable: "more than 100"  # the decoder refuses it (customsd quarantines)
 *
 * Every enabled rule must have matched in some case and passed in another, or the run
 * fails with the rules that lack one: a rule set ships with a test of each of its rules.
 */
struct case_run {
    const struct rules *r;
    enum rule_outcome *outcome; /* per rule */
    char **note;                /* per rule, borrowed copies valid until the next case */
    char **message;
};

static void case_trace(void *ctx, const struct rule_trace *t)
{
    struct case_run *cr = ctx;

    cr->outcome[t->index] = t->outcome;
    free(cr->note[t->index]);
    cr->note[t->index] = xstrdup(t->note);
    free(cr->message[t->index]);
    cr->message[t->index] = xstrdup(t->message);
}

static long rule_index(const struct rules *r, const char *id)
{
    for (size_t i = 0; i < rules_count(r); i++) {
        if (strcmp(rules_rule_id(r, i), id) == 0)
            return (long)i;
    }
    return -1;
}

/* A YAML tree as JSON: scalars become strings (the decoder reads numbers from strings). */
static json_object *yaml_to_json(const struct ynode *n)
{
    json_object *o;

    if (n->type == YNODE_SCALAR)
        return json_object_new_string_len(n->value, (int)n->len);
    if (n->type == YNODE_SEQ) {
        o = json_object_new_array();
        for (size_t i = 0; o && i < n->n; i++)
            json_object_array_add(o, yaml_to_json(n->kids[i]));
        return o;
    }
    o = json_object_new_object();
    for (size_t i = 0; o && i < n->n; i += 2)
        json_object_object_add(o, n->kids[i]->value, yaml_to_json(n->kids[i + 1]));
    return o;
}

/*
 * Resolve "name", "items[N].name" or "items[N]" in a declaration object: *obj is the
 * object holding the key (or the items array for "items[N]"), *key the member name (NULL
 * for an item), *index the item number. Returns 0, or -1 with why in err.
 */
static int json_path(json_object *root, const char *path, json_object **obj, const char **key,
                     size_t *index, char *err, size_t errlen)
{
    json_object *items, *it;
    char *end;
    unsigned long n;

    *key = path;
    *obj = root;
    if (strncmp(path, "items[", 6) != 0)
        return 0;
    n = strtoul(path + 6, &end, 10);
    if (end == path + 6 || *end != ']') {
        snprintf(err, errlen, "bad path '%s' (write items[0].field)", path);
        return -1;
    }
    if (!json_object_object_get_ex(root, "items", &items) ||
        !json_object_is_type(items, json_type_array) || n >= json_object_array_length(items)) {
        snprintf(err, errlen, "path '%s': no such item", path);
        return -1;
    }
    *index = n;
    if (end[1] == '\0') {
        *obj = items;
        *key = NULL;
        return 0;
    }
    it = json_object_array_get_idx(items, n);
    if (end[1] != '.' || !end[2] || !json_object_is_type(it, json_type_object)) {
        snprintf(err, errlen, "bad path '%s' (write items[0].field)", path);
        return -1;
    }
    *obj = it;
    *key = end + 2;
    return 0;
}

static int apply_set(json_object *root, const struct ynode *set, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->n; i += 2) {
        json_object *obj, *v;
        const char *key;
        size_t idx = 0;

        if (json_path(root, set->kids[i]->value, &obj, &key, &idx, err, errlen) < 0)
            return -1;
        v = yaml_to_json(set->kids[i + 1]);
        if (!v) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (key)
            json_object_object_add(obj, key, v);
        else
            json_object_array_put_idx(obj, idx, v);
    }
    return 0;
}

static int apply_remove(json_object *root, const struct ynode *list, char *err, size_t errlen)
{
    /* Items by descending index, so "items[0]" and "items[1]" both mean the original ones. */
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = list->n; i-- > 0;) {
            json_object *obj;
            const char *key;
            size_t idx = 0;

            if (list->kids[i]->type != YNODE_SCALAR) {
                snprintf(err, errlen, "remove: expected field paths");
                return -1;
            }
            if (json_path(root, list->kids[i]->value, &obj, &key, &idx, err, errlen) < 0)
                return -1;
            if (pass == 0 && key)
                json_object_object_del(obj, key);
            else if (pass == 1 && !key)
                json_object_array_del_idx(obj, idx, 1);
        }
    }
    return 0;
}

/* The strings of a sequence node, checked to be rule ids of the rule set. */
static int id_list(const struct rules *r, const struct ynode *v, const char *key, char *err,
                   size_t errlen)
{
    if (v->type != YNODE_SEQ) {
        snprintf(err, errlen, "expect.%s: expected a list of rule ids", key);
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->kids[i]->type != YNODE_SCALAR || rule_index(r, v->kids[i]->value) < 0) {
            snprintf(err, errlen, "expect.%s: '%s' is not a rule of this rule set", key,
                     v->kids[i]->type == YNODE_SCALAR ? v->kids[i]->value : "?");
            return -1;
        }
    }
    return 0;
}

struct failures {
    size_t n;
    char text[2048];
    size_t len;
};

static void failf(struct failures *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void failf(struct failures *f, const char *fmt, ...)
{
    va_list ap;
    int n;

    f->n++;
    if (f->len + 8 >= sizeof(f->text))
        return;
    memcpy(f->text + f->len, "    ", 4);
    f->len += 4;
    va_start(ap, fmt);
    n = vsnprintf(f->text + f->len, sizeof(f->text) - f->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        f->len +=
            (size_t)n < sizeof(f->text) - f->len - 1 ? (size_t)n : sizeof(f->text) - f->len - 2;
    f->text[f->len++] = '\n';
    f->text[f->len] = '\0';
}

/* Compare one case's outcome with its `expect`. */
static void check_expect(const struct case_run *cr, const struct decision *dec,
                         const struct ynode *expect, struct failures *f)
{
    const struct rules *r = cr->r;
    const struct ynode *v;
    char err[512];

    v = yamlread_get(expect, "status");
    if (v && (v->type != YNODE_SCALAR || atoi(v->value) != dec->status_code))
        failf(f, "status: expected %s, got %d %s", v->type == YNODE_SCALAR ? v->value : "?",
              dec->status_code, status_name(dec->status_code));
    v = yamlread_get(expect, "rules");
    if (v) {
        if (id_list(r, v, "rules", err, sizeof(err)) < 0) {
            failf(f, "%s", err);
        } else {
            for (size_t i = 0; i < v->n; i++) {
                long k = rule_index(r, v->kids[i]->value);
                if (cr->outcome[k] != RULE_OUTCOME_MATCHED)
                    failf(f, "rules: %s did not match", v->kids[i]->value);
            }
            for (size_t k = 0; k < rules_count(r); k++) {
                bool listed = false;
                if (cr->outcome[k] != RULE_OUTCOME_MATCHED)
                    continue;
                for (size_t i = 0; i < v->n && !listed; i++)
                    listed = strcmp(v->kids[i]->value, rules_rule_id(r, k)) == 0;
                if (!listed)
                    failf(f, "rules: %s matched too: %s", rules_rule_id(r, k), cr->message[k]);
            }
        }
    }
    static const struct {
        const char *key;
        enum rule_outcome want;
        bool negate;
    } lists[] = {{"matched", RULE_OUTCOME_MATCHED, false},
                 {"not_matched", RULE_OUTCOME_MATCHED, true},
                 {"passed", RULE_OUTCOME_PASSED, false}};
    for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
        v = yamlread_get(expect, lists[l].key);
        if (!v)
            continue;
        if (id_list(r, v, lists[l].key, err, sizeof(err)) < 0) {
            failf(f, "%s", err);
            continue;
        }
        for (size_t i = 0; i < v->n; i++) {
            long k = rule_index(r, v->kids[i]->value);
            bool is = cr->outcome[k] == lists[l].want;
            if (is == lists[l].negate)
                failf(f, "%s: %s %s", lists[l].key, v->kids[i]->value,
                      cr->outcome[k] == RULE_OUTCOME_MATCHED ? "matched"
                      : cr->outcome[k] == RULE_OUTCOME_PASSED
                          ? "passed"
                          : "was skipped (disabled, not in effect or 'when' false)");
        }
    }
    static const char *const texts[] = {"messages", "notes"};
    for (size_t l = 0; l < ARRAY_SIZE(texts); l++) {
        v = yamlread_get(expect, texts[l]);
        if (!v)
            continue;
        if (v->type != YNODE_MAP) {
            failf(f, "expect.%s: expected a mapping of rule id to text", texts[l]);
            continue;
        }
        for (size_t i = 0; i < v->n; i += 2) {
            long k = rule_index(r, v->kids[i]->value);
            const char *have;
            if (k < 0 || v->kids[i + 1]->type != YNODE_SCALAR) {
                failf(f, "expect.%s: '%s' is not a rule of this rule set", texts[l],
                      v->kids[i]->value);
                continue;
            }
            have = l == 0 ? cr->message[k] : cr->note[k];
            if (!have || !strstr(have, v->kids[i + 1]->value))
                failf(f, "%s: %s: '%s' does not contain '%s'", texts[l], v->kids[i]->value,
                      have ? have : "", v->kids[i + 1]->value);
        }
    }
}

static int cmd_rules_test(char **argv)
{
    static const char *const top_keys[] = {"description", "base", "cases", NULL};
    static const char *const case_keys[] = {"name", "declaration", "set", "remove", "expect", NULL};
    static const char *const expect_keys[] = {"status",      "rules",       "matched",
                                              "not_matched", "passed",      "messages",
                                              "notes",       "undecodable", NULL};
    struct rules *r = NULL;
    struct ynode *root = NULL;
    const struct ynode *cases, *base;
    struct case_run cr = {0};
    bool *matched_any = NULL, *passed_any = NULL;
    size_t pass = 0, fail = 0, uncovered = 0;
    char err[1024], *text = NULL, *dir = NULL;
    const char *slash;
    size_t len = 0;
    int rc = EXIT_FAILURE;

    if (rules_load(argv[0], &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    text = read_file(argv[1], &len);
    if (!text) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        goto out;
    }
    if (yamlread_parse(argv[1], text, len, 32, &root, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    if (!root || root->type != YNODE_MAP || !(cases = yamlread_get(root, "cases")) ||
        cases->type != YNODE_SEQ || cases->n == 0) {
        fprintf(stderr, "%s:1:1: expected a mapping with a non-empty 'cases' list\n", argv[1]);
        goto out;
    }
    for (size_t i = 0; i < root->n; i += 2) {
        bool known = false;
        for (size_t j = 0; top_keys[j] && !known; j++)
            known = strcmp(root->kids[i]->value, top_keys[j]) == 0;
        if (!known) {
            fprintf(stderr, "%s:%zu:%zu: unknown key '%s' (known: description, base, cases)\n",
                    argv[1], root->kids[i]->line, root->kids[i]->column, root->kids[i]->value);
            goto out;
        }
    }
    base = yamlread_get(root, "base");
    slash = strrchr(argv[1], '/');
    dir = slash ? xstrndup(argv[1], (size_t)(slash - argv[1] + 1)) : xstrdup("");
    cr.r = r;
    cr.outcome = calloc(rules_count(r), sizeof(*cr.outcome));
    cr.note = calloc(rules_count(r), sizeof(*cr.note));
    cr.message = calloc(rules_count(r), sizeof(*cr.message));
    matched_any = calloc(rules_count(r), sizeof(*matched_any));
    passed_any = calloc(rules_count(r), sizeof(*passed_any));
    if (!dir || !cr.outcome || !cr.note || !cr.message || !matched_any || !passed_any) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }

    for (size_t c = 0; c < cases->n; c++) {
        const struct ynode *k = cases->kids[c], *name, *decl, *set, *remove, *expect, *undec;
        struct failures f = {0};
        struct decision dec = {0};
        struct declaration *d = NULL;
        json_object *json = NULL;
        char *path = NULL, *raw = NULL;
        const char *body;
        size_t rawlen = 0;

        if (k->type != YNODE_MAP || !(name = yamlread_get(k, "name")) ||
            name->type != YNODE_SCALAR || !(expect = yamlread_get(k, "expect")) ||
            expect->type != YNODE_MAP) {
            fprintf(stderr, "%s:%zu:%zu: a case is a mapping with 'name' and 'expect'\n", argv[1],
                    k->line, k->column);
            goto out;
        }
        for (size_t i = 0; i < k->n; i += 2) {
            bool known = false;
            for (size_t j = 0; case_keys[j] && !known; j++)
                known = strcmp(k->kids[i]->value, case_keys[j]) == 0;
            if (!known) {
                fprintf(stderr, "%s:%zu:%zu: unknown key '%s' in a case\n", argv[1],
                        k->kids[i]->line, k->kids[i]->column, k->kids[i]->value);
                goto out;
            }
        }
        for (size_t i = 0; i < expect->n; i += 2) {
            bool known = false;
            for (size_t j = 0; expect_keys[j] && !known; j++)
                known = strcmp(expect->kids[i]->value, expect_keys[j]) == 0;
            if (!known) {
                fprintf(stderr, "%s:%zu:%zu: unknown key '%s' in expect\n", argv[1],
                        expect->kids[i]->line, expect->kids[i]->column, expect->kids[i]->value);
                goto out;
            }
        }
        decl = yamlread_get(k, "declaration");
        if (!decl)
            decl = base;
        if (!decl || decl->type != YNODE_SCALAR) {
            fprintf(stderr, "%s:%zu:%zu: case '%s' has no declaration (and there is no 'base')\n",
                    argv[1], k->line, k->column, name->value);
            goto out;
        }
        if (decl->value[0] == '/' ? !(path = xstrdup(decl->value))
                                  : asprintf(&path, "%s%s", dir, decl->value) < 0) {
            fprintf(stderr, "out of memory\n");
            goto out;
        }
        raw = read_file(path, &rawlen);
        if (!raw) {
            fprintf(stderr, "%s:%zu:%zu: %s: %s\n", argv[1], decl->line, decl->column, path,
                    strerror(errno));
            free(path);
            goto out;
        }
        set = yamlread_get(k, "set");
        remove = yamlread_get(k, "remove");
        body = raw;
        if (set || remove) {
            json = json_tokener_parse(raw);
            if (!json || !json_object_is_type(json, json_type_object)) {
                failf(&f, "%s is not a JSON object, cannot apply set/remove", path);
            } else if ((set &&
                        (set->type != YNODE_MAP || apply_set(json, set, err, sizeof(err)) < 0)) ||
                       (remove && (remove->type != YNODE_SEQ ||
                                   apply_remove(json, remove, err, sizeof(err)) < 0))) {
                failf(&f, "set/remove: %s",
                      (set && set->type != YNODE_MAP) || (remove && remove->type != YNODE_SEQ)
                          ? "set is a mapping, remove a list"
                          : err);
            } else {
                body = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
            }
        }
        undec = yamlread_get(expect, "undecodable");
        if (f.n == 0) {
            d = declaration_decode(body, strlen(body), 0, NULL, err, sizeof(err));
            if (!d && !undec)
                failf(&f, "the declaration cannot be decoded (customsd would quarantine it): %s",
                      err);
            else if (!d && undec && !strstr(err, undec->value))
                failf(&f, "undecodable: '%s' does not contain '%s'", err, undec->value);
            else if (d && undec)
                failf(&f, "undecodable: expected the decoder to refuse it, but it decoded");
        }
        if (d) {
            for (size_t i = 0; i < rules_count(r); i++)
                cr.outcome[i] = RULE_OUTCOME_SKIPPED;
            if (rules_evaluate_trace(r, d, &dec, case_trace, &cr) < 0) {
                fprintf(stderr, "out of memory\n");
                declaration_free(d);
                json_object_put(json);
                free(raw);
                free(path);
                goto out;
            }
            check_expect(&cr, &dec, expect, &f);
            for (size_t i = 0; i < rules_count(r); i++) {
                matched_any[i] |= cr.outcome[i] == RULE_OUTCOME_MATCHED;
                passed_any[i] |= cr.outcome[i] == RULE_OUTCOME_PASSED;
            }
        }
        if (f.n == 0) {
            pass++;
            printf("PASS  %s\n", name->value);
        } else {
            fail++;
            printf("FAIL  %s (%s:%zu)\n%s", name->value, argv[1], k->line, f.text);
            if (d) {
                printf("    decision %d %s:\n", dec.status_code, status_name(dec.status_code));
                for (size_t i = 0; i < dec.n_reasons; i++)
                    printf("      %s %s: %s\n", dec.reasons[i].rule_id,
                           rule_action_name(dec.reasons[i].action), dec.reasons[i].message);
            }
        }
        decision_clear(&dec);
        declaration_free(d);
        json_object_put(json);
        free(raw);
        free(path);
    }

    printf("coverage:\n");
    for (size_t i = 0; i < rules_count(r); i++) {
        if (!rules_rule_enabled(r, i))
            continue;
        if (!matched_any[i] || !passed_any[i]) {
            uncovered++;
            printf("UNCOVERED  %s: %s\n", rules_rule_id(r, i),
                   !matched_any[i] && !passed_any[i] ? "no case matches it and none passes it"
                   : !matched_any[i]                 ? "no case matches it"
                                                     : "no case passes it (evaluated, no finding)");
        }
    }
    printf("%zu rules: %zu covered (matched and passed by some case), %zu not\n", rules_count(r),
           rules_count(r) - uncovered, uncovered);
    printf("%s: %zu/%zu cases passed\n", fail || uncovered ? "FAIL" : "PASS", pass, pass + fail);
    rc = fail || uncovered ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    for (size_t i = 0; r && i < rules_count(r); i++) {
        if (cr.note)
            free(cr.note[i]);
        if (cr.message)
            free(cr.message[i]);
    }
    free(cr.outcome);
    free(cr.note);
    free(cr.message);
    free(matched_any);
    free(passed_any);
    free(dir);
    yamlread_free(root);
    free(text);
    rules_free(r);
    return rc;
}

static int cmd_decide(char **argv)
{
    struct rules *r = NULL;
    struct declaration *d = NULL;
    struct decision dec = {0};
    struct notes notes = {0};
    char err[1024];
    char *json;
    size_t len = 0;
    int rc = EXIT_FAILURE;

    if (rules_load(argv[0], &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    json = read_file(argv[1], &len);
    if (!json) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        goto out;
    }
    d = declaration_decode(json, len, 0, NULL, err, sizeof(err));
    if (!d) {
        /* customsd would quarantine this record. */
        fprintf(stderr, "%s: cannot be decoded: %s\n", argv[1], err);
        goto out;
    }
    if (rules_evaluate_trace(r, d, &dec, collect_notes, &notes) < 0) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }
    printf("decision: %d %s\n", dec.status_code, status_name(dec.status_code));
    for (size_t i = 0; i < dec.n_reasons; i++)
        printf("%s %s: %s\n", dec.reasons[i].rule_id, rule_action_name(dec.reasons[i].action),
               dec.reasons[i].message);
    /* What rules computed without matching (a value under its threshold), so a dry run
     * shows why a dated limit did not apply. */
    for (size_t i = 0; i < notes.n; i++)
        printf("%s passed: %s\n", notes.ids[i], notes.texts[i]);
    printf("rules version: %s\n", dec.rules_version);
    rc = EXIT_SUCCESS;
out:
    notes_free(&notes);
    decision_clear(&dec);
    declaration_free(d);
    free(json);
    rules_free(r);
    return rc;
}

static int cmd_config_check(char **argv)
{
    struct config *c = NULL;
    char err[1024];

    static const struct config_checks adapter_checks = {
        .kafka_property = kafka_check_property,
        .conninfo = store_check_conninfo,
    };

    if (config_load(argv[0], &c, err, sizeof(err)) < 0 ||
        config_check(c, &adapter_checks, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(c);
        return EXIT_FAILURE;
    }
    printf("configuration OK\n");
    config_free(c);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    log_init("customsctl", LOG_LEVEL_WARN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];
        int nwords = c->words[1] ? 2 : 1;

        if (strcmp(argv[1], c->words[0]) != 0)
            continue;
        if (nwords == 2 && (argc < 3 || strcmp(argv[2], c->words[1]) != 0))
            continue;
        if (argc - 1 - nwords != c->nargs) {
            fprintf(stderr, "usage: customsctl %s%s%s %s\n", c->words[0], c->words[1] ? " " : "",
                    c->words[1] ? c->words[1] : "", c->args);
            return EXIT_USAGE;
        }
        return c->run(argv + 1 + nwords);
    }
    /* "customsctl rules" or "customsctl rules frob": name both words. */
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (commands[i].words[1] && strcmp(argv[1], commands[i].words[0]) == 0) {
            fprintf(stderr, "customsctl: unknown command '%s%s%s'\n\n", argv[1],
                    argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    fprintf(stderr, "customsctl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
