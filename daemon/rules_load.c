/*
 * rules_load.c - loading a rule set: the rules file's YAML into struct rules (each rule's
 * common keys here, its check's keys by the check kind's parse function), the files it
 * references (list files, the rates table) read and parsed once per load, and the bundle
 * of all their bytes that the version hashes (rules.h).
 *
 * A load builds a whole new rule set and either returns it complete or frees it: a bad file
 * never half-replaces a good one. Errors are "file:line:column: what" (rules_parse.c).
 */
#include "rules_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ------------------------------------------------------------------------------------ */
/* Referenced files                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * Read and parse a file the rules file references, once per rule set. `name` is as
 * written (relative to the rules file's directory unless absolute). On success *tree is
 * the parsed file (owned by the rule set until the end of the load) and *file its entry.
 */
int rules_load_ref(struct rules_parser *p, const struct ynode *at, const char *name,
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
        return rules_perr(p, at, "empty file name");
    if (rs->n_files == RULES_MAX_FILES)
        return rules_perr(p, at, "more than %d referenced files", RULES_MAX_FILES);
    nf = realloc(rs->files, (rs->n_files + 1) * sizeof(*nf));
    if (!nf)
        return rules_poom(p);
    rs->files = nf;
    f = &rs->files[rs->n_files];
    memset(f, 0, sizeof(*f));
    rs->n_files++;
    f->name = util_strdup(name);
    if (name[0] == '/' || !*p->dir)
        f->path = util_strdup(name);
    else if (asprintf(&f->path, "%s/%s", p->dir, name) < 0)
        f->path = NULL;
    if (!f->name || !f->path)
        return rules_poom(p);
    f->text = read_file(f->path, &f->len);
    if (!f->text)
        return rules_perr(p, at, "cannot read '%s': %s", f->path, strerror(errno));
    if (f->len > RULES_MAX_BYTES)
        return rules_perr(p, at, "'%s' is larger than %d bytes", f->path, RULES_MAX_BYTES);
    if (memchr(f->text, '\0', f->len))
        return rules_perr(p, at, "'%s' contains a NUL byte", f->path);
    if (yamlread_parse(f->path, f->text, f->len, 8, &f->tree, err2, sizeof(err2)) < 0)
        return util_errf(p->err, p->errlen, "%s", err2);
    if (!f->tree || yamlread_is_null(f->tree))
        return util_errf(p->err, p->errlen, "%s:1:1: empty file", f->path);
    if (f->tree->type != YNODE_MAP)
        return util_errf(p->err, p->errlen, "%s:%zu:%zu: expected a mapping, got %s", f->path,
                         f->tree->line, f->tree->column, yamlread_type_name(f->tree));
    *file_out = f;
    return 0;
}

/*
 * A list file: a mapping with `codes` (a mapping code -> description, or a sequence of
 * codes) and optional `description` and `source` texts for people.
 */
int rules_parse_list_file(struct rules_parser *p, const struct ynode *at, const char *name,
                          enum list_shape shape, char ***out, size_t *n_out)
{
    static const char *const list_keys[] = {"description", "source", "codes", NULL};
    const struct rules_file *f;
    const struct ynode *codes, **nodes;
    const char *saved = p->file;
    size_t n;
    int rc;

    if (rules_load_ref(p, at, name, &f) < 0)
        return -1;
    p->file = f->path; /* errors inside the list file point into it */
    rc = -1;
    if (rules_check_keys(p, f->tree, "a list file", list_keys) < 0)
        goto out;
    codes = ymap_get(f->tree, "codes");
    if (!codes) {
        rules_perr(p, f->tree, "missing 'codes'");
        goto out;
    }
    if (codes->type == YNODE_SCALAR || codes->n == 0) {
        rules_perr(p, codes, "codes: expected a non-empty mapping (code: description) or sequence");
        goto out;
    }
    n = codes->type == YNODE_MAP ? codes->n / 2 : codes->n;
    nodes = calloc(n, sizeof(*nodes));
    if (!nodes) {
        rules_poom(p);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        nodes[i] = codes->type == YNODE_MAP ? codes->kids[2 * i] : codes->kids[i];
        if (codes->type == YNODE_MAP && codes->kids[2 * i + 1]->type != YNODE_SCALAR) {
            rules_perr(p, codes->kids[2 * i + 1], "codes: a code's description must be a scalar");
            free(nodes);
            goto out;
        }
    }
    rc = rules_collect_values(p, nodes, n, "codes", shape, out, n_out);
    free(nodes);
out:
    p->file = saved;
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Rules                                                                                */
/* ------------------------------------------------------------------------------------ */

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
static const char *const rule_keys[] = {
    "id",   "description",    "message_zh",   "action", "severity", "enabled", "check",
    "when", "effective_from", "effective_to", "sample", "seed",     NULL};

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
    rules_cond_clear(&r->when);
    free(r->id);
    free(r->description);
    free(r->message_zh);
    free(r->sample_text);
    free(r->seed);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------------------ */
/* Sampling (`sample`, `seed`): the draw is a hash of logisticsNo, never random         */
/* ------------------------------------------------------------------------------------ */

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
unsigned rules_sample_draw(const struct rule *r, const char *key)
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
            return rules_perr(p, ymap_key(node, "seed"), "seed: only with 'sample'");
        return 0;
    }
    if (rules_parse_decimal_node(p, sample, "sample", &v) < 0)
        return -1;
    if (decimal_cmp(v, decimal_from_int(0)) <= 0 || decimal_cmp(v, decimal_from_int(1)) > 0)
        return rules_perr(p, sample,
                          "sample: a fraction above 0 and at most 1 (0.02 = 2 %%), got '%s'",
                          sample->value);
    if (seed && rules_want_nonempty_scalar(p, seed, "seed") < 0)
        return -1;
    r->sampled = true;
    r->sample_units = (unsigned)v.units; /* N19,5: units are 1e-5, the draw's scale */
    r->sample_text = util_strdup(sample->value);
    r->seed = util_strdup(seed ? seed->value : r->id);
    if (!r->sample_text || !r->seed)
        return rules_poom(p);
    r->seed_hash = fnv1a(FNV_OFFSET, r->seed, strlen(r->seed) + 1);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* One rule, in named steps                                                             */
/* ------------------------------------------------------------------------------------ */

/*
 * `check`: the rule's kind, then its keys: unknown ones first, so a misspelt key is named
 * rather than reported as missing.
 */
static int rule_parse_check(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *check;
    char known[256], kind_keys[256];

    check = ymap_get(node, "check");
    if (!check)
        return rules_perr(p, node, "rule without 'check'");
    if (rules_want_nonempty_scalar(p, check, "check") < 0)
        return -1;
    for (size_t i = 0; i < rules_check_kinds_count && !r->kind; i++) {
        if (strcmp(check->value, rules_check_kinds[i]->name) == 0)
            r->kind = rules_check_kinds[i];
    }
    if (!r->kind) {
        size_t used = 0;
        known[0] = '\0';
        for (size_t i = 0; i < rules_check_kinds_count; i++)
            used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
                                     rules_check_kinds[i]->name);
        return rules_perr(p, check, "check: unknown check '%s' (known: %s)", check->value, known);
    }

    for (size_t i = 0; i < node->n; i += 2) {
        const struct ynode *k = node->kids[i];
        if (!rules_name_in(k->value, rule_keys) && !rules_name_in(k->value, r->kind->keys)) {
            rules_names_join(rule_keys, known, sizeof(known));
            rules_names_join(r->kind->keys, kind_keys, sizeof(kind_keys));
            return rules_perr(p, k, "unknown key '%s' in a '%s' rule (rule keys: %s; %s keys: %s)",
                              k->value, r->kind->name, known, r->kind->name,
                              kind_keys[0] ? kind_keys : "none");
        }
    }
    return 0;
}

/*
 * `message_zh` (optional): the Chinese text of the declarer's receipt, one line, at most
 * MESSAGE_ZH_MAX characters, with at least one Chinese character (CJK U+4E00-U+9FFF) so
 * that an English text cannot stand in for it. A rule without one falls back to its
 * English message in the receipt (the shipped set has one on every rule: test_rules).
 */
static int rule_parse_message_zh(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *m = ymap_get(node, "message_zh");
    const unsigned char *s;
    bool cjk = false;

    if (!m)
        return 0;
    if (rules_want_nonempty_scalar(p, m, "message_zh") < 0)
        return -1;
    if (decl_utf8_length(m->value) > MESSAGE_ZH_MAX)
        return rules_perr(p, m, "message_zh: longer than %d characters", MESSAGE_ZH_MAX);
    for (s = (const unsigned char *)m->value; *s; s++) {
        if (*s < 0x20 || *s == 0x7f)
            return rules_perr(p, m, "message_zh: control character 0x%02x (one line of text)", *s);
        /* U+4E00..U+9FFF is E4 B8 80 .. E9 BF BF in UTF-8 */
        if ((s[0] == 0xe4 && s[1] >= 0xb8) || (s[0] >= 0xe5 && s[0] <= 0xe9))
            cjk = true;
    }
    if (!cjk)
        return rules_perr(p, m, "message_zh: '%s' has no Chinese character", m->value);
    r->message_zh = util_strdup(m->value);
    if (!r->message_zh)
        return rules_poom(p);
    return 0;
}

/* `id` and `description` (and `message_zh`). */
static int rule_parse_id(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *id, *description;

    id = ymap_get(node, "id");
    if (!id)
        return rules_perr(p, node, "rule without 'id'");
    if (rules_want_nonempty_scalar(p, id, "id") < 0)
        return -1;
    if (decl_utf8_length(id->value) > RULE_ID_MAX || strpbrk(id->value, " \t\r\n"))
        return rules_perr(p, id, "id: '%s' must be at most %d characters without spaces", id->value,
                          RULE_ID_MAX);
    r->id = util_strdup(id->value);

    description = ymap_get(node, "description");
    if (description && rules_want_scalar(p, description, "description") < 0)
        return -1;
    r->description = util_strdup(description ? description->value : "");
    if (!r->id || !r->description)
        return rules_poom(p);
    return rule_parse_message_zh(p, node, r);
}

/* `action` and `severity` (medium when absent). */
static int rule_parse_action(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *action, *severity;

    action = ymap_get(node, "action");
    if (!action)
        return rules_perr(p, node, "rule '%s' without 'action' (reject, review, inspect or flag)",
                          r->id);
    if (rules_want_scalar(p, action, "action") < 0)
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
            return rules_perr(p, action,
                              "action: unknown action '%s' (known: reject, review, "
                              "inspect, flag)",
                              action->value);
    }

    r->severity = RULE_SEVERITY_MEDIUM;
    severity = ymap_get(node, "severity");
    if (severity) {
        bool found = false;
        if (rules_want_scalar(p, severity, "severity") < 0)
            return -1;
        for (size_t i = 0; i < ARRAY_SIZE(severity_names) && !found; i++) {
            if (strcmp(severity->value, severity_names[i]) == 0) {
                r->severity = (enum rule_severity)i;
                found = true;
            }
        }
        if (!found)
            return rules_perr(
                p, severity, "severity: unknown severity '%s' (known: low, medium, high, critical)",
                severity->value);
    }
    return 0;
}

/* When the rule applies: `enabled`, `effective_from` / `effective_to`, `when`. */
static int rule_parse_scope(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    const struct ynode *enabled, *when, *from, *to;

    r->enabled = true;
    enabled = ymap_get(node, "enabled");
    if (enabled && rules_parse_bool(p, enabled, "enabled", &r->enabled) < 0)
        return -1;

    from = ymap_get(node, "effective_from");
    to = ymap_get(node, "effective_to");
    if (from && rules_parse_date_node(p, from, "effective_from", &r->eff_from) < 0)
        return -1;
    if (to && rules_parse_date_node(p, to, "effective_to", &r->eff_to) < 0)
        return -1;
    if (from && to && r->eff_to < r->eff_from)
        return rules_perr(p, to, "effective_to: %s is before effective_from %s", to->value,
                          from->value);

    when = ymap_get(node, "when");
    if (when) {
        if (rules_cond_parse(p, when, "when", false, &r->when, 0) < 0)
            return -1;
        r->has_when = true;
    }
    return 0;
}

/* One rule of the `rules` list: the common keys, then the check's own (its kind's parse). */
static int rule_parse(struct rules_parser *p, const struct ynode *node, struct rule *r)
{
    if (node->type != YNODE_MAP)
        return rules_perr(p, node,
                          "a rule is a mapping (id, description, action, check, ...), "
                          "got %s",
                          yamlread_type_name(node));
    r->line = node->line;
    if (rule_parse_check(p, node, r) < 0 || rule_parse_id(p, node, r) < 0 ||
        rule_parse_action(p, node, r) < 0 || rule_parse_scope(p, node, r) < 0 ||
        parse_sample(p, node, r) < 0)
        return -1;
    return r->kind->parse(p, node, &r->check);
}

/*
 * The `matching:` section (rules.h, config/RULES.md "Matching"): `trade_modes`, a list of
 * tradeMode values (4 digits) whose inventories wait for their order and waybill, empty =
 * off; `deadline_hours`, 1 .. 8760 (default RULES_MATCHING_DEADLINE_HOURS).
 */
static int parse_matching(struct rules_parser *p, const struct ynode *m, struct rules *rs)
{
    static const char *const keys[] = {"trade_modes", "deadline_hours", NULL};
    const struct ynode *modes, *hours;

    if (rules_want_map(p, m, "matching") < 0 || rules_check_keys(p, m, "matching", keys) < 0)
        return -1;
    modes = ymap_get(m, "trade_modes");
    if (modes) {
        if (modes->type != YNODE_SEQ) /* empty is allowed: matching off */
            return rules_perr(p, modes, "matching.trade_modes: expected a sequence, got %s",
                              yamlread_type_name(modes));
        for (size_t i = 0; i < modes->n; i++) {
            const struct ynode *v = modes->kids[i];
            if (rules_want_scalar(p, v, "matching.trade_modes") < 0)
                return -1;
            if (strlen(v->value) != 4 || strspn(v->value, "0123456789") != 4)
                return rules_perr(p, v,
                                  "matching.trade_modes: '%s' is not a tradeMode (4 digits, "
                                  "e.g. \"9610\")",
                                  v->value);
        }
        if (modes->n && rules_collect_values(p, (const struct ynode *const *)modes->kids, modes->n,
                                             "matching.trade_modes", LIST_ANY, &rs->match_modes,
                                             &rs->n_match_modes) < 0)
            return -1;
    }
    hours = ymap_get(m, "deadline_hours");
    if (hours) {
        if (rules_parse_unsigned(p, hours, "matching.deadline_hours", 8760, &rs->deadline_hours) <
            0)
            return -1;
        if (rs->deadline_hours == 0)
            return rules_perr(p, hours, "matching.deadline_hours: must be 1 to 8760");
    }
    return 0;
}

static int rules_parse_tree(struct rules_parser *p, const struct ynode *root, struct rules *rs)
{
    static const char *const top_keys[] = {"version",  "description", "rates",
                                           "matching", "rules",       NULL};
    const struct ynode *version, *list, *rates, *description, *matching;

    if (!root || yamlread_is_null(root))
        return rules_perr(p, NULL, "empty rules file (expected 'version: 1' and 'rules:')");
    if (root->type != YNODE_MAP)
        return rules_perr(p, root, "expected a mapping with 'version' and 'rules', got %s",
                          yamlread_type_name(root));
    for (size_t i = 0; i < root->n; i += 2) {
        const struct ynode *k = root->kids[i];
        if (!rules_name_in(k->value, top_keys))
            return rules_perr(
                p, k, "unknown key '%s' (known: version, description, rates, matching, rules)",
                k->value);
    }
    version = ymap_get(root, "version");
    if (!version)
        return rules_perr(p, root, "missing 'version: 1'");
    if (rules_want_scalar(p, version, "version") < 0)
        return -1;
    if (strcmp(version->value, "1") != 0)
        return rules_perr(p, version,
                          "version: unsupported rules format version '%s' (this "
                          "customsd reads version 1)",
                          version->value);
    description = ymap_get(root, "description");
    if (description && rules_want_scalar(p, description, "description") < 0)
        return -1;
    /* Rates first: threshold rules check their currency against the table. */
    rates = ymap_get(root, "rates");
    if (rates) {
        if (rules_want_nonempty_scalar(p, rates, "rates") < 0)
            return -1;
        if (rules_rates_parse(p, rates, rates->value) < 0)
            return -1;
    }
    matching = ymap_get(root, "matching");
    if (matching && parse_matching(p, matching, rs) < 0)
        return -1;
    list = ymap_get(root, "rules");
    if (!list)
        return rules_perr(p, root, "missing 'rules'");
    /* An empty rule set would accept everything: refuse it rather than clear all parcels. */
    if (rules_want_seq(p, list, "rules") < 0)
        return -1;
    rs->rules = calloc(list->n, sizeof(*rs->rules));
    if (!rs->rules)
        return rules_poom(p);
    for (size_t i = 0; i < list->n; i++) {
        struct rule *r = &rs->rules[i];
        rs->n_rules = i + 1; /* so rules_free clears a half-parsed rule too */
        if (rule_parse(p, list->kids[i], r) < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(rs->rules[j].id, r->id) == 0)
                return rules_perr(p, ymap_get(list->kids[i], "id"),
                                  "duplicate rule id '%s' (first at line %zu)", r->id,
                                  rs->rules[j].line);
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
        return util_errf(err, errlen, "%s: larger than %d bytes", name, RULES_MAX_BYTES);
    if (memchr(text, '\0', len))
        return util_errf(err, errlen, "%s: contains a NUL byte", name);
    rs = calloc(1, sizeof(*rs));
    p.dir = slash ? util_strndup(name, (size_t)(slash - name)) : util_strdup("");
    if (!rs || !p.dir) {
        free(rs);
        free(p.dir);
        return util_errf(err, errlen, "%s: out of memory", name);
    }
    p.rs = rs;
    if (slash == name) { /* "/rules.yaml": the root directory */
        free(p.dir);
        p.dir = util_strdup("/");
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
        util_errf(err, errlen, "%s: cannot compute SHA-256", name);
        goto fail;
    }
    rules_drop_trees(rs);
    yamlread_free(root);
    free(p.dir);
    *out = rs;
    return 0;
oom:
    util_errf(err, errlen, "%s: out of memory", name);
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
        return util_errf(err, errlen, "%s: %s", path, strerror(errno));
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
    rules_rates_free(r->rates);
    rules_free_values(r->match_modes, r->n_match_modes);
    free(r->text);
    free(r);
}
