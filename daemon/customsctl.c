/*
 * customsctl.c - the customsd operator's tool: check a configuration or rules file before
 * it goes live, test a rule set against fixture declarations, and dry-run the rules on one
 * declaration (these touch no server); and the operator's commands of ctl_ops.h, which
 * read the database and brokers of a customsd configuration.
 *
 *   customsctl rules check FILE
 *   customsctl rules test FILE CASES
 *   customsctl decide RULES DECLARATION
 *   customsctl config check FILE
 *   customsctl status | lag | quarantine list|show|replay | outbox status  (ctl_ops.h)
 *   customsctl whatif --rules NEW.yaml [...]   (ctl_whatif.h: what a rules change would do)
 *   customsctl reload CONFIG PID      (systemd's ExecReload=: check, SIGHUP, await the outcome)
 *   customsctl --help | --version;  customsctl COMMAND --help
 *
 * Exit status: 0 success, 1 the file or declaration is bad, or not found (the reason is
 * printed), 2 usage error (an unknown command or option, a wrong number of arguments: the
 * usage goes to stderr), 3 the database or the Kafka brokers cannot be reached. --help prints to
 * stdout and exits 0. Subcommands are rows of `commands` below. The version comes from
 * debian/changelog (build/version.h, made by the Makefile).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "ctl_ops.h"
#include "ctl_summary.h"
#include "ctl_whatif.h"
#include "declaration.h"
#include "documents.h"
#include "kafka.h"
#include "log.h"
#include "reload.h"
#include "rules.h"
#include "status.h"
#include "store.h"
#include "util.h"
#include "version.h"
#include "yamlread.h"

#define EXIT_USAGE 2

struct command {
    const char *words[2]; /* "rules", "check"; words[1] NULL for a one-word command */
    const char *args;     /* argument synopsis */
    int nargs;            /* exact number of arguments after the words; -1: the command
                             parses its own options and arguments (ctl_ops.h) */
    const char *help;
    int (*run)(char **argv); /* argv = the arguments after the words */
};

static int cmd_rules_check(char **argv);
static int cmd_rules_test(char **argv);
static int cmd_decide(char **argv);
static int cmd_config_check(char **argv);
static int cmd_reload(char **argv);

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
     "RULES DECLARATION",
     2,
     "dry run: decode one JSON declaration, print the decision, each matched rule and the "
     "rules version",
     cmd_decide},
    {{"config", "check"}, "FILE", 1, "validate a customsd configuration file", cmd_config_check},
    {{"status", NULL},
     CTL_OPS_STATUS_ARGS,
     -1,
     "a parcel's current status, invtNo and reasons, and its history (time, from -> to, "
     "actor, note)",
     ctl_ops_status},
    {{"lag", NULL},
     CTL_OPS_LAG_ARGS,
     -1,
     "per partition of the consumed topics: the offset customsd stored, the high watermark "
     "and the difference",
     ctl_ops_lag},
    {{"quarantine", "list"},
     CTL_OPS_QLIST_ARGS,
     -1,
     "the newest quarantined records (id, when, topic/partition/offset, reason, replay)",
     ctl_ops_quarantine_list},
    {{"quarantine", "show"},
     CTL_OPS_QSHOW_ARGS,
     -1,
     "one quarantined record with its raw bytes and its replays (--raw: the bytes alone)",
     ctl_ops_quarantine_show},
    {{"quarantine", "replay"},
     CTL_OPS_QREPLAY_ARGS,
     -1,
     "produce a quarantined record again, corrected (from FILE, or stdin for -) or unchanged, "
     "to the topic customsd consumes, and record the replay",
     ctl_ops_quarantine_replay},
    {{"outbox", "status"},
     CTL_OPS_OUTBOX_STATUS_ARGS,
     -1,
     "unpublished outbox rows per topic and the age of the oldest",
     ctl_ops_outbox_status},
    {{"summary", NULL},
     CTL_SUMMARY_ARGS,
     -1,
     "the monthly summary declaration (CEB701) of the 9610 inventories closed (899) in a month "
     "(Asia/Shanghai), per enterprise; --file files it (once, after the month)",
     ctl_summary},
    {{"whatif", NULL},
     CTL_WHATIF_ARGS,
     -1,
     "re-decide the stored declarations (read-only) with the current and a new rules file: "
     "decisions that change, from status to status, by rule, with examples; exit 4 when they "
     "exceed --max-changed",
     ctl_whatif},
    {{"reload", NULL},
     "CONFIG PID",
     2,
     "reload customsd's rules (systemd's ExecReload=): check the configuration and the rules "
     "it names, signal process PID (SIGHUP) and wait up to 60 s for its answer in "
     "$RUNTIME_DIRECTORY/reload; exit 1 when a check fails or customsd refuses the rules",
     cmd_reload},
};

#define EXIT_STATUS_TEXT                                                                           \
    "exit status: 0 success, 1 bad file or declaration, or not found, 2 usage error, 3 "           \
    "database or Kafka unreachable\n"

/* One command's synopsis and, with `help`, what it does. */
static void command_usage(FILE *out, const struct command *c, bool help)
{
    fprintf(out, "usage: customsctl %s%s%s %s\n", c->words[0], c->words[1] ? " " : "",
            c->words[1] ? c->words[1] : "", c->args);
    if (help)
        fprintf(out, "  %s\n\n" EXIT_STATUS_TEXT, c->help);
}

/* The usage of every command, or of those whose first word is `word` (NULL: all). */
static void usage_of(FILE *out, const char *word)
{
    fprintf(out, "usage: customsctl COMMAND [ARGS]\n"
                 "       customsctl COMMAND --help\n"
                 "       customsctl --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];
        if (word && strcmp(word, c->words[0]) != 0)
            continue;
        fprintf(out, "  customsctl %s%s%s %s\n      %s\n", c->words[0], c->words[1] ? " " : "",
                c->words[1] ? c->words[1] : "", c->args, c->help);
    }
    fprintf(out, "\n" EXIT_STATUS_TEXT "see customsctl(1)\n");
}

static void usage(FILE *out)
{
    usage_of(out, NULL);
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/*
 * The options among a command's arguments: --help/-h anywhere prints its help (1); "--"
 * ends the options and is removed; any other argument starting with '-' (but "-" alone)
 * is an unknown option (-1, reported). 0 otherwise; *argc may shrink by the "--".
 */
static int command_options(const struct command *c, int *argc, char **argv)
{
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0 && c->nargs < 0)
            return 0; /* the command's own parser sees the "--" */
        if (strcmp(argv[i], "--") == 0) {
            memmove(argv + i, argv + i + 1, (size_t)(*argc - i) * sizeof(*argv));
            (*argc)--;
            return 0;
        }
        if (is_help(argv[i])) {
            command_usage(stdout, c, true);
            return 1;
        }
        if (argv[i][0] == '-' && argv[i][1] && c->nargs >= 0) {
            fprintf(stderr, "customsctl: unknown option '%s'\n", argv[i]);
            command_usage(stderr, c, false);
            return -1;
        }
    }
    return 0;
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
    n->ids[n->n] = util_strdup(t->rule_id);
    n->texts[n->n] = util_strdup(t->note);
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
 *       stored:                        # parcels already in the database, for `unique`
 *         - {logisticsNo: YL1, ebpCode: "2301960001", orderNo: ORD1}
 *       order: docs/order.json         # the parcel's CEB303 order and CEB505 waybill (files
 *       waybill: docs/waybill.json     # relative to this file), for `match` rules
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
    cr->note[t->index] = util_strdup(t->note);
    free(cr->message[t->index]);
    cr->message[t->index] = util_strdup(t->message);
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

/* A `rules test` run: the rule set, the cases file, and what the cases found so far. */
struct rules_test {
    const char *cases_path; /* as given: messages name it */
    struct rules *r;
    char *text;         /* the cases file */
    struct ynode *root; /* its tree */
    const struct ynode *cases, *base;
    char *dir; /* directory of the cases file, with its '/', or "" */
    struct case_run cr;
    bool *matched_any, *passed_any; /* per rule, over all cases */
    size_t pass, fail;
};

/* One case being run; case_clear frees what it holds. */
struct case_state {
    const struct ynode *node, *name, *expect;
    char *path;        /* the declaration file */
    char *raw;         /* its bytes */
    json_object *json; /* parsed, when set/remove change it */
    const char *body;  /* what is decoded: raw, or json as text */
    struct declaration *d;
    struct decision dec;
    struct failures f;
    const struct ynode *stored;       /* `stored`: parcels already in the database, or NULL */
    struct document *order, *waybill; /* `order`, `waybill`: for `match` rules, or NULL */
};

/*
 * The case's `stored` parcels as the holders of `unique` keys (pre-check 19), as the
 * daemon's lookup in PostgreSQL would answer: the first stored parcel, other than the one
 * decided, whose fields equal every field of the key.
 */
static const char *stored_holder(void *ctx, const struct rules_key *k, const char *logistics_no)
{
    const struct ynode *stored = ctx;

    for (size_t i = 0; stored && i < stored->n; i++) {
        const struct ynode *p = stored->kids[i], *lno = yamlread_get(p, "logisticsNo");
        bool all = lno && !(logistics_no && strcmp(lno->value, logistics_no) == 0);
        for (size_t j = 0; all && j < k->n; j++) {
            const struct ynode *v = yamlread_get(p, k->fields[j]);
            all = v && strcmp(v->value, k->values[j]) == 0;
        }
        if (all)
            return lno->value;
    }
    return NULL;
}

/* The first key of mapping `map` that is not in the NULL-terminated `known`, or NULL. */
static const struct ynode *first_unknown_key(const struct ynode *map, const char *const *known)
{
    for (size_t i = 0; i < map->n; i += 2) {
        bool found = false;
        for (size_t j = 0; known[j] && !found; j++)
            found = strcmp(map->kids[i]->value, known[j]) == 0;
        if (!found)
            return map->kids[i];
    }
    return NULL;
}

/*
 * Read and parse the cases file: a mapping with a non-empty `cases` list and only known
 * top-level keys. Returns 0, or -1 after printing why.
 */
static int rules_test_parse(struct rules_test *t)
{
    static const char *const top_keys[] = {"description", "base", "cases", NULL};
    const struct ynode *bad;
    char err[1024];
    size_t len = 0;

    t->text = read_file(t->cases_path, &len);
    if (!t->text) {
        fprintf(stderr, "%s: %s\n", t->cases_path, strerror(errno));
        return -1;
    }
    if (yamlread_parse(t->cases_path, t->text, len, 32, &t->root, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (!t->root || t->root->type != YNODE_MAP || !(t->cases = yamlread_get(t->root, "cases")) ||
        t->cases->type != YNODE_SEQ || t->cases->n == 0) {
        fprintf(stderr, "%s:1:1: expected a mapping with a non-empty 'cases' list\n",
                t->cases_path);
        return -1;
    }
    if ((bad = first_unknown_key(t->root, top_keys))) {
        fprintf(stderr, "%s:%zu:%zu: unknown key '%s' (known: description, base, cases)\n",
                t->cases_path, bad->line, bad->column, bad->value);
        return -1;
    }
    t->base = yamlread_get(t->root, "base");
    return 0;
}

/*
 * Load the rule set and the cases file, and allocate the per-rule tables. Returns 0, or -1
 * after printing why.
 */
static int rules_test_open(struct rules_test *t, const char *rules_path, const char *cases_path)
{
    char err[1024];
    const char *slash = strrchr(cases_path, '/');
    size_t n;

    t->cases_path = cases_path;
    if (rules_load(rules_path, &t->r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (rules_test_parse(t) < 0)
        return -1;
    n = rules_count(t->r);
    t->dir = slash ? util_strndup(cases_path, (size_t)(slash - cases_path + 1)) : util_strdup("");
    t->cr.r = t->r;
    t->cr.outcome = calloc(n, sizeof(*t->cr.outcome));
    t->cr.note = calloc(n, sizeof(*t->cr.note));
    t->cr.message = calloc(n, sizeof(*t->cr.message));
    t->matched_any = calloc(n, sizeof(*t->matched_any));
    t->passed_any = calloc(n, sizeof(*t->passed_any));
    if (!t->dir || !t->cr.outcome || !t->cr.note || !t->cr.message || !t->matched_any ||
        !t->passed_any) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    return 0;
}

static void rules_test_close(struct rules_test *t)
{
    for (size_t i = 0; t->r && i < rules_count(t->r); i++) {
        if (t->cr.note)
            free(t->cr.note[i]);
        if (t->cr.message)
            free(t->cr.message[i]);
    }
    free(t->cr.outcome);
    free(t->cr.note);
    free(t->cr.message);
    free(t->matched_any);
    free(t->passed_any);
    free(t->dir);
    yamlread_free(t->root);
    free(t->text);
    rules_free(t->r);
}

/* A case is a mapping with `name` and `expect` and only known keys. 0, or -1 printed. */
static int case_validate(const struct rules_test *t, struct case_state *cs)
{
    static const char *const case_keys[] = {"name",  "declaration", "set",    "remove", "stored",
                                            "order", "waybill",     "expect", NULL};
    static const char *const expect_keys[] = {"status",      "rules",       "matched",
                                              "not_matched", "passed",      "messages",
                                              "notes",       "undecodable", NULL};
    const struct ynode *k = cs->node, *bad;

    if (k->type != YNODE_MAP || !(cs->name = yamlread_get(k, "name")) ||
        cs->name->type != YNODE_SCALAR || !(cs->expect = yamlread_get(k, "expect")) ||
        cs->expect->type != YNODE_MAP) {
        fprintf(stderr, "%s:%zu:%zu: a case is a mapping with 'name' and 'expect'\n", t->cases_path,
                k->line, k->column);
        return -1;
    }
    if ((bad = first_unknown_key(k, case_keys))) {
        fprintf(stderr, "%s:%zu:%zu: unknown key '%s' in a case\n", t->cases_path, bad->line,
                bad->column, bad->value);
        return -1;
    }
    if ((bad = first_unknown_key(cs->expect, expect_keys))) {
        fprintf(stderr, "%s:%zu:%zu: unknown key '%s' in expect\n", t->cases_path, bad->line,
                bad->column, bad->value);
        return -1;
    }
    cs->stored = yamlread_get(k, "stored");
    const struct ynode *const *parcels =
        cs->stored ? (const struct ynode *const *)cs->stored->kids : NULL;
    size_t n_parcels = cs->stored ? cs->stored->n : 0;
    if (cs->stored && cs->stored->type != YNODE_SEQ) {
        parcels = &cs->stored; /* reported below as not a list */
        n_parcels = 1;
    }
    for (size_t i = 0; i < n_parcels; i++) {
        const struct ynode *p = parcels[i];
        const struct ynode *lno = p->type == YNODE_MAP ? yamlread_get(p, "logisticsNo") : NULL;
        bool scalars = p->type == YNODE_MAP;
        for (size_t j = 1; scalars && j < p->n; j += 2)
            scalars = p->kids[j]->type == YNODE_SCALAR;
        if (cs->stored->type != YNODE_SEQ || !lno || !scalars) {
            fprintf(stderr,
                    "%s:%zu:%zu: stored: a list of parcels, each a mapping of CEB603 header "
                    "fields to values with its logisticsNo\n",
                    t->cases_path, p->line, p->column);
            return -1;
        }
    }
    return 0;
}

/*
 * Read the case's declaration (its own or the base, relative to the cases file) and apply
 * `set` and `remove`. A file that cannot be read stops the run (-1, printed); a change
 * that cannot be applied is a failure of the case (cs->f).
 */
static int case_load_body(const struct rules_test *t, struct case_state *cs)
{
    const struct ynode *decl = yamlread_get(cs->node, "declaration");
    const struct ynode *set = yamlread_get(cs->node, "set");
    const struct ynode *remove = yamlread_get(cs->node, "remove");
    char err[1024];
    size_t rawlen = 0;

    if (!decl)
        decl = t->base;
    if (!decl || decl->type != YNODE_SCALAR) {
        fprintf(stderr, "%s:%zu:%zu: case '%s' has no declaration (and there is no 'base')\n",
                t->cases_path, cs->node->line, cs->node->column, cs->name->value);
        return -1;
    }
    if (decl->value[0] == '/' ? !(cs->path = util_strdup(decl->value))
                              : asprintf(&cs->path, "%s%s", t->dir, decl->value) < 0) {
        cs->path = NULL; /* asprintf leaves it undefined on failure */
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    cs->raw = read_file(cs->path, &rawlen);
    if (!cs->raw) {
        fprintf(stderr, "%s:%zu:%zu: %s: %s\n", t->cases_path, decl->line, decl->column, cs->path,
                strerror(errno));
        return -1;
    }
    cs->body = cs->raw;
    if (!set && !remove)
        return 0;
    cs->json = json_tokener_parse(cs->raw);
    if (!cs->json || !json_object_is_type(cs->json, json_type_object)) {
        failf(&cs->f, "%s is not a JSON object, cannot apply set/remove", cs->path);
    } else if ((set &&
                (set->type != YNODE_MAP || apply_set(cs->json, set, err, sizeof(err)) < 0)) ||
               (remove && (remove->type != YNODE_SEQ ||
                           apply_remove(cs->json, remove, err, sizeof(err)) < 0))) {
        failf(&cs->f, "set/remove: %s",
              (set && set->type != YNODE_MAP) || (remove && remove->type != YNODE_SEQ)
                  ? "set is a mapping, remove a list"
                  : err);
    } else {
        cs->body = json_object_to_json_string_ext(cs->json, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    }
    return 0;
}

/*
 * The case's document under key (`order` or `waybill`): a file relative to the cases file,
 * decoded as customsd decodes that topic's records. 0 with *out (NULL when the case has no
 * such key), or -1 printed when it cannot be read or decoded or breaks its format.
 */
static int case_document(const struct rules_test *t, const struct case_state *cs, const char *key,
                         enum doc_type type, struct document **out)
{
    const struct ynode *v = yamlread_get(cs->node, key);
    char err[1024], *path = NULL, *raw;
    size_t len = 0;

    *out = NULL;
    if (!v)
        return 0;
    if (v->type != YNODE_SCALAR || !v->value[0]) {
        fprintf(stderr, "%s:%zu:%zu: %s: a file name\n", t->cases_path, v->line, v->column, key);
        return -1;
    }
    if (v->value[0] == '/' ? !(path = util_strdup(v->value))
                           : asprintf(&path, "%s%s", t->dir, v->value) < 0) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    raw = read_file(path, &len);
    if (!raw) {
        fprintf(stderr, "%s:%zu:%zu: %s: %s\n", t->cases_path, v->line, v->column, path,
                strerror(errno));
        free(path);
        return -1;
    }
    *out = document_decode(type, raw, len, 0, NULL, err, sizeof(err));
    free(raw);
    if (!*out || (*out)->n_problems) {
        fprintf(stderr, "%s:%zu:%zu: %s: %s\n", t->cases_path, v->line, v->column, path,
                *out ? (*out)->problems[0] : err);
        document_free(*out);
        *out = NULL;
        free(path);
        return -1;
    }
    free(path);
    return 0;
}

/*
 * Decode the body (or check that it is refused, for `undecodable`), decide it with a trace
 * of every rule, compare with `expect` and add the outcomes to the coverage. Returns 0, or
 * -1 when out of memory (printed).
 */
static int case_decide(struct rules_test *t, struct case_state *cs)
{
    const struct ynode *undec = yamlread_get(cs->expect, "undecodable");
    char err[1024];

    if (cs->f.n == 0) {
        cs->d = declaration_decode(cs->body, strlen(cs->body), 0, NULL, err, sizeof(err));
        if (!cs->d && !undec)
            failf(&cs->f, "the declaration cannot be decoded (customsd would quarantine it): %s",
                  err);
        else if (!cs->d && undec && !strstr(err, undec->value))
            failf(&cs->f, "undecodable: '%s' does not contain '%s'", err, undec->value);
        else if (cs->d && undec)
            failf(&cs->f, "undecodable: expected the decoder to refuse it, but it decoded");
    }
    if (!cs->d)
        return 0;
    for (size_t i = 0; i < rules_count(t->r); i++)
        t->cr.outcome[i] = RULE_OUTCOME_SKIPPED;
    struct rules_lookup lookup = {stored_holder, (void *)cs->stored};
    struct rules_documents docs = {cs->order, cs->waybill};
    if (rules_evaluate_docs(t->r, cs->d, &lookup, cs->order || cs->waybill ? &docs : NULL, &cs->dec,
                            case_trace, &t->cr) < 0) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    check_expect(&t->cr, &cs->dec, cs->expect, &cs->f);
    for (size_t i = 0; i < rules_count(t->r); i++) {
        t->matched_any[i] |= t->cr.outcome[i] == RULE_OUTCOME_MATCHED;
        t->passed_any[i] |= t->cr.outcome[i] == RULE_OUTCOME_PASSED;
    }
    return 0;
}

/* PASS, or FAIL with the failures and the decision. */
static void case_report(struct rules_test *t, const struct case_state *cs)
{
    if (cs->f.n == 0) {
        t->pass++;
        printf("PASS  %s\n", cs->name->value);
        return;
    }
    t->fail++;
    printf("FAIL  %s (%s:%zu)\n%s", cs->name->value, t->cases_path, cs->node->line, cs->f.text);
    if (cs->d) {
        printf("    decision %d %s:\n", cs->dec.status_code, status_name(cs->dec.status_code));
        for (size_t i = 0; i < cs->dec.n_reasons; i++)
            printf("      %s %s: %s\n", cs->dec.reasons[i].rule_id,
                   rule_action_name(cs->dec.reasons[i].action), cs->dec.reasons[i].message);
    }
}

static void case_clear(struct case_state *cs)
{
    decision_clear(&cs->dec);
    declaration_free(cs->d);
    json_object_put(cs->json);
    free(cs->raw);
    free(cs->path);
    document_free(cs->order);
    document_free(cs->waybill);
}

/* Run case node k. Returns 0 (passed or failed), or -1 when the run must stop (printed). */
static int rules_test_case(struct rules_test *t, const struct ynode *k)
{
    struct case_state cs = {.node = k};
    int rc = -1;

    if (case_validate(t, &cs) == 0 && case_load_body(t, &cs) == 0 &&
        case_document(t, &cs, "order", DOC_ORDER, &cs.order) == 0 &&
        case_document(t, &cs, "waybill", DOC_WAYBILL, &cs.waybill) == 0 &&
        case_decide(t, &cs) == 0) {
        case_report(t, &cs);
        rc = 0;
    }
    case_clear(&cs);
    return rc;
}

/* Every enabled rule must have matched in some case and passed in another. Prints the
 * coverage and the summary; returns the exit status of the run. */
static int rules_test_coverage(const struct rules_test *t)
{
    const struct rules *r = t->r;
    size_t uncovered = 0;

    printf("coverage:\n");
    for (size_t i = 0; i < rules_count(r); i++) {
        if (!rules_rule_enabled(r, i))
            continue;
        if (!t->matched_any[i] || !t->passed_any[i]) {
            uncovered++;
            printf("UNCOVERED  %s: %s\n", rules_rule_id(r, i),
                   !t->matched_any[i] && !t->passed_any[i] ? "no case matches it and none passes it"
                   : !t->matched_any[i]                    ? "no case matches it"
                                        : "no case passes it (evaluated, no finding)");
        }
    }
    printf("%zu rules: %zu covered (matched and passed by some case), %zu not\n", rules_count(r),
           rules_count(r) - uncovered, uncovered);
    printf("%s: %zu/%zu cases passed\n", t->fail || uncovered ? "FAIL" : "PASS", t->pass,
           t->pass + t->fail);
    return t->fail || uncovered ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_rules_test(char **argv)
{
    struct rules_test t = {0};
    int rc = EXIT_FAILURE;

    if (rules_test_open(&t, argv[0], argv[1]) == 0) {
        size_t c = 0;
        while (c < t.cases->n && rules_test_case(&t, t.cases->kids[c]) == 0)
            c++;
        if (c == t.cases->n)
            rc = rules_test_coverage(&t);
    }
    rules_test_close(&t);
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
    /* Three-document matching: what customsd records first, before the `match` rules. */
    if (dec.status_code != STATUS_REJECTED && dec.status_code != STATUS_SAVED &&
        !(d->appType && strcmp(d->appType, "3") == 0) && rules_matching_needed(r, d)) {
        printf("matching: tradeMode %s waits for its order and waybill: customsd records it as "
               "120 awaiting them, then decides it with the match rules (within %u h)\n",
               d->tradeMode, rules_matching_deadline_hours(r));
    }
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
        .kafka_properties = kafka_check_properties,
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

#define RELOAD_TIMEOUT_MS 60000

/* customsctl reload CONFIG PID: see reload.h. */
static int cmd_reload(char **argv)
{
    struct config *c = NULL;
    struct rules *r = NULL;
    struct reload_outcome o;
    char err[1024], dir[4096], *end;

    errno = 0;
    long pid = strtol(argv[1], &end, 10);
    if (errno || end == argv[1] || *end || pid <= 1) {
        fprintf(stderr, "customsctl reload: '%s' is not a process id\n", argv[1]);
        return EXIT_USAGE;
    }
    if (cmd_config_check(argv) != EXIT_SUCCESS)
        return EXIT_FAILURE;
    if (config_load(argv[0], &c, err, sizeof(err)) < 0 ||
        rules_load(c->rules_path, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(c);
        return EXIT_FAILURE;
    }
    printf("rules OK: %zu rules, version %s\n", rules_count(r), rules_version(r));
    rules_free(r);
    config_free(c);
    if (reload_dir(dir, sizeof(dir)) < 0) {
        fprintf(stderr, "customsctl reload: $RUNTIME_DIRECTORY is not set (systemd sets it "
                        "from RuntimeDirectory=); customsd answers a reload there\n");
        return EXIT_FAILURE;
    }
    if (reload_request((pid_t)pid, dir, RELOAD_TIMEOUT_MS, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, "customsctl reload: %s\n", err);
        return EXIT_FAILURE;
    }
    if (!o.live) {
        fprintf(stderr, "customsd refused the reload, rule set %s still live: %s\n", o.version,
                o.message);
        return EXIT_FAILURE;
    }
    printf("customsd: rule set %s live (%s)\n", o.version, o.message);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    log_init("customsctl", LOG_LEVEL_WARN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("customsctl %s\n", CUSTOMSD_VERSION);
        return EXIT_SUCCESS;
    }
    if (argv[1][0] == '-') {
        fprintf(stderr, "customsctl: unknown option '%s'\n\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];
        int nwords = c->words[1] ? 2 : 1;

        if (strcmp(argv[1], c->words[0]) != 0)
            continue;
        if (nwords == 2 && (argc < 3 || strcmp(argv[2], c->words[1]) != 0))
            continue;
        int nargs = argc - 1 - nwords;
        int opt = command_options(c, &nargs, argv + 1 + nwords);
        if (opt != 0)
            return opt > 0 ? EXIT_SUCCESS : EXIT_USAGE;
        if (c->nargs >= 0 && nargs != c->nargs) {
            command_usage(stderr, c, false);
            return EXIT_USAGE;
        }
        return c->run(argv + 1 + nwords);
    }
    /* "customsctl rules --help": the commands under that word. */
    if (argc == 3 && is_help(argv[2])) {
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
            if (strcmp(argv[1], commands[i].words[0]) == 0) {
                usage_of(stdout, argv[1]);
                return EXIT_SUCCESS;
            }
        }
    }
    /* "customsctl rules" or "customsctl rules frob": name both words. */
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (commands[i].words[1] && strcmp(argv[1], commands[i].words[0]) == 0) {
            fprintf(stderr, "customsctl: unknown command '%s%s%s'\n\n", argv[1],
                    argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
            usage_of(stderr, argv[1]);
            return EXIT_USAGE;
        }
    }
    fprintf(stderr, "customsctl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
