/*
 * ctl_whatif.c - customsctl whatif (ctl_whatif.h): re-decide the stored declarations with
 * the current and a new rule set, read-only from PostgreSQL, and report what would change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "config.h"
#include "ctl_db.h"
#include "ctl_ops.h"
#include "ctl_whatif.h"
#include "declaration.h"
#include "rules.h"
#include "status.h"
#include "util.h"

/* ---- the aggregation: pure logic ---- */

void whatif_agg_init(struct whatif_agg *a, size_t max_examples)
{
    memset(a, 0, sizeof(*a));
    a->max_examples = max_examples;
}

void whatif_agg_clear(struct whatif_agg *a)
{
    for (size_t i = 0; i < a->n_rules; i++)
        free(a->rules[i].id);
    for (size_t i = 0; i < a->n_examples; i++) {
        free(a->examples[i].logistics_no);
        free(a->examples[i].rules);
    }
    free(a->rules);
    free(a->examples);
    free(a->transitions);
    whatif_agg_init(a, 0);
}

const struct whatif_rule *whatif_agg_rule(const struct whatif_agg *a, const char *id)
{
    for (size_t i = 0; i < a->n_rules; i++)
        if (strcmp(a->rules[i].id, id) == 0)
            return &a->rules[i];
    return NULL;
}

static struct whatif_rule *agg_rule(struct whatif_agg *a, const char *id)
{
    struct whatif_rule *r = (struct whatif_rule *)whatif_agg_rule(a, id);

    if (r)
        return r;
    r = realloc(a->rules, (a->n_rules + 1) * sizeof(*r));
    if (!r)
        return NULL;
    a->rules = r;
    r = &a->rules[a->n_rules];
    memset(r, 0, sizeof(*r));
    r->id = strdup(id);
    if (!r->id)
        return NULL;
    a->n_rules++;
    return r;
}

static bool has_rule(const struct decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_reasons; i++)
        if (strcmp(d->reasons[i].rule_id, id) == 0)
            return true;
    return false;
}

static int agg_transition(struct whatif_agg *a, int from, int to)
{
    struct whatif_transition *t;

    for (size_t i = 0; i < a->n_transitions; i++) {
        if (a->transitions[i].from == from && a->transitions[i].to == to) {
            a->transitions[i].count++;
            return 0;
        }
    }
    t = realloc(a->transitions, (a->n_transitions + 1) * sizeof(*t));
    if (!t)
        return -1;
    a->transitions = t;
    a->transitions[a->n_transitions++] = (struct whatif_transition){from, to, 1};
    return 0;
}

/* The reason of rule `id` in d, or NULL. */
static const struct reason *find_reason(const struct decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_reasons; i++)
        if (strcmp(d->reasons[i].rule_id, id) == 0)
            return &d->reasons[i];
    return NULL;
}

/* "+A -C B:flag->review": the rules newly hit, no longer hit, and hit by both with another
 * action. */
static char *diff_text(const struct decision *cur, const struct decision *next)
{
    size_t len = 1;
    char *s, *p;
    const struct reason *o;

    for (size_t i = 0; i < next->n_reasons; i++)
        len += strlen(next->reasons[i].rule_id) + 24;
    for (size_t i = 0; i < cur->n_reasons; i++)
        len += strlen(cur->reasons[i].rule_id) + 2;
    s = p = malloc(len);
    if (!s)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < next->n_reasons; i++)
        if (!has_rule(cur, next->reasons[i].rule_id))
            p += sprintf(p, "%s+%s", p == s ? "" : " ", next->reasons[i].rule_id);
    for (size_t i = 0; i < cur->n_reasons; i++)
        if (!has_rule(next, cur->reasons[i].rule_id))
            p += sprintf(p, "%s-%s", p == s ? "" : " ", cur->reasons[i].rule_id);
    for (size_t i = 0; i < next->n_reasons; i++) {
        o = find_reason(cur, next->reasons[i].rule_id);
        if (o && o->action != next->reasons[i].action)
            p += sprintf(p, "%s%s:%s->%s", p == s ? "" : " ", next->reasons[i].rule_id,
                         rule_action_name(o->action), rule_action_name(next->reasons[i].action));
    }
    return s;
}

int whatif_agg_add(struct whatif_agg *a, const char *logistics_no, const struct decision *cur,
                   const struct decision *next, const char *const *skipped_new, size_t n_skipped)
{
    bool differ = false;
    struct whatif_rule *r;

    a->total++;
    for (size_t i = 0; i < next->n_reasons; i++) {
        const char *id = next->reasons[i].rule_id;
        if (!(r = agg_rule(a, id)))
            return -1;
        r->hit_new++;
        if (!has_rule(cur, id)) {
            r->newly++;
            differ = true;
        }
    }
    for (size_t i = 0; i < cur->n_reasons; i++) {
        const char *id = cur->reasons[i].rule_id;
        if (!(r = agg_rule(a, id)))
            return -1;
        r->hit_current++;
        if (!has_rule(next, id)) {
            r->no_longer++;
            differ = true;
        }
    }
    for (size_t i = 0; i < n_skipped; i++) {
        if (!(r = agg_rule(a, skipped_new[i])))
            return -1;
        r->skipped_new++;
    }
    if (cur->status_code == next->status_code) {
        if (differ)
            a->reasons_changed++;
        return 0;
    }
    a->changed++;
    for (size_t i = 0; i < a->n_rules; i++)
        if (has_rule(next, a->rules[i].id) || has_rule(cur, a->rules[i].id))
            a->rules[i].changed_with++;
    if (agg_transition(a, cur->status_code, next->status_code) < 0)
        return -1;
    if (a->n_examples < a->max_examples) {
        struct whatif_example *e = realloc(a->examples, (a->n_examples + 1) * sizeof(*e));
        if (!e)
            return -1;
        a->examples = e;
        e = &a->examples[a->n_examples];
        e->logistics_no = strdup(logistics_no);
        e->rules = diff_text(cur, next);
        e->from = cur->status_code;
        e->to = next->status_code;
        if (!e->logistics_no || !e->rules) {
            free(e->logistics_no);
            free(e->rules);
            return -1;
        }
        a->n_examples++;
    }
    return 0;
}

int whatif_bound_parse(const char *s, struct whatif_bound *b, char *err, size_t errlen)
{
    unsigned long whole = 0, frac = 0, scale = 1000;
    const char *p = s;

    memset(b, 0, sizeof(*b));
    if (*p < '0' || *p > '9')
        goto bad;
    while (*p >= '0' && *p <= '9') {
        if (whole > 100000000UL)
            goto bad;
        whole = whole * 10 + (unsigned long)(*p++ - '0');
    }
    if (*p == '\0') {
        b->set = true;
        b->count = whole;
        return 0;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            goto bad;
        while (*p >= '0' && *p <= '9') {
            if (scale == 1)
                goto bad; /* more than 3 decimals */
            scale /= 10;
            frac += (unsigned long)(*p++ - '0') * scale;
        }
    }
    if (strcmp(p, "%") != 0 || whole > 100)
        goto bad;
    b->set = true;
    b->percent = true;
    b->milli_pct = whole * 1000 + frac;
    if (b->milli_pct > 100000)
        goto bad;
    return 0;
bad:
    memset(b, 0, sizeof(*b));
    snprintf(err, errlen,
             "--max-changed '%s': expected a count (25) or a percentage from 0%% to 100%% with "
             "at most 3 decimals (1%%, 0.5%%)",
             s);
    return -1;
}

bool whatif_bound_exceeded(const struct whatif_bound *b, unsigned long changed, unsigned long total)
{
    if (!b->set)
        return false;
    if (!b->percent)
        return changed > b->count;
    /* changed / total > milli_pct / 100000, without division. */
    return (unsigned long long)changed * 100000ULL > (unsigned long long)b->milli_pct * total;
}

/* ---- the command ---- */

struct whatif_args {
    const char *config, *rules_new, *rules_current, *since;
    long limit; /* -1: all */
    size_t examples;
    struct whatif_bound bound;
    bool json;
};

static void whatif_usage(FILE *out)
{
    fprintf(out, "usage: customsctl whatif %s\n", CTL_WHATIF_ARGS);
}

static int parse_count(const char *opt, const char *s, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > max) {
        fprintf(stderr, "customsctl whatif: %s '%s': expected a whole number from 0 to %ld\n", opt,
                s, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* A DATE for --since: YYYY-MM-DD, or YYYY-MM-DD followed by a time PostgreSQL reads. */
static bool since_ok(const char *s)
{
    if (strlen(s) < 10 || strlen(s) > 40)
        return false;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-')
                return false;
        } else if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    for (const char *p = s + 10; *p; p++)
        if (!strchr("0123456789:.+- TZ", *p))
            return false;
    return true;
}

static int whatif_parse(struct whatif_args *a, char **argv)
{
    enum { O_RULES = 256, O_CURRENT, O_SINCE, O_LIMIT, O_MAX, O_EXAMPLES, O_JSON };
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"rules", required_argument, NULL, O_RULES},
                                             {"current", required_argument, NULL, O_CURRENT},
                                             {"since", required_argument, NULL, O_SINCE},
                                             {"limit", required_argument, NULL, O_LIMIT},
                                             {"max-changed", required_argument, NULL, O_MAX},
                                             {"examples", required_argument, NULL, O_EXAMPLES},
                                             {"json", no_argument, NULL, O_JSON},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int argc = 0, o;
    long v;
    char err[256];

    memset(a, 0, sizeof(*a));
    a->config = CTL_OPS_DEFAULT_CONFIG;
    a->limit = -1;
    a->examples = 10;
    while (argv[argc])
        argc++;
    /* getopt_long wants argv[0] to be the program. */
    char **av = calloc((size_t)argc + 2, sizeof(*av));
    if (!av)
        return CTL_OPS_EXIT_UNREACHABLE;
    av[0] = "customsctl whatif";
    memcpy(av + 1, argv, (size_t)argc * sizeof(*av));
    optind = 1;
    opterr = 0;
    int rc = 0;
    while (rc == 0 && (o = getopt_long(argc + 1, av, "+c:h", longopts, NULL)) != -1) {
        switch (o) {
        case 'c':
            a->config = optarg;
            break;
        case O_RULES:
            a->rules_new = optarg;
            break;
        case O_CURRENT:
            a->rules_current = optarg;
            break;
        case O_SINCE:
            if (!since_ok(optarg)) {
                fprintf(stderr, "customsctl whatif: --since '%s': expected YYYY-MM-DD\n", optarg);
                rc = CTL_OPS_EXIT_USAGE;
            }
            a->since = optarg;
            break;
        case O_LIMIT:
            if (parse_count("--limit", optarg, 2000000000L, &a->limit) < 0)
                rc = CTL_OPS_EXIT_USAGE;
            break;
        case O_EXAMPLES:
            if (parse_count("--examples", optarg, 1000, &v) < 0)
                rc = CTL_OPS_EXIT_USAGE;
            a->examples = (size_t)v;
            break;
        case O_MAX:
            if (whatif_bound_parse(optarg, &a->bound, err, sizeof(err)) < 0) {
                fprintf(stderr, "customsctl whatif: %s\n", err);
                rc = CTL_OPS_EXIT_USAGE;
            }
            break;
        case O_JSON:
            a->json = true;
            break;
        case 'h':
            whatif_usage(stdout);
            rc = -1;
            break;
        default:
            fprintf(stderr, "customsctl whatif: bad option '%s'\n", av[optind - 1]);
            rc = CTL_OPS_EXIT_USAGE;
        }
    }
    if (rc == 0 && optind < argc + 1) {
        fprintf(stderr, "customsctl whatif: unexpected argument '%s'\n", av[optind]);
        rc = CTL_OPS_EXIT_USAGE;
    }
    if (rc == 0 && !a->rules_new) {
        fprintf(stderr, "customsctl whatif: --rules NEW.yaml is required\n");
        rc = CTL_OPS_EXIT_USAGE;
    }
    free(av);
    if (rc == CTL_OPS_EXIT_USAGE)
        whatif_usage(stderr);
    return rc;
}

/* The rule ids of a set its trace reports as not evaluated here (unique, match) on one
 * declaration. */
struct skips {
    const struct rules *r;
    size_t n, cap;
    const char **ids; /* borrowed from r */
};

static void collect_skips(void *ctx, const struct rule_trace *t)
{
    struct skips *s = ctx;

    if (t->outcome != RULE_OUTCOME_SKIPPED || !t->why)
        return;
    if (strncmp(t->why, "not evaluated: the parcels", 26) != 0 &&
        strncmp(t->why, "not evaluated: no order", 23) != 0)
        return;
    if (s->n < s->cap)
        s->ids[s->n++] = rules_rule_id(s->r, t->index);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run a command that returns no rows; 0, or -1 with the error printed. */
static int exec_ok(PGconn *db, const char *sql)
{
    PGresult *res = PQexec(db, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        const char *m = PQresultErrorMessage(res);
        fprintf(stderr, "customsctl: database: %.*s\n", (int)strcspn(m, "\n"), m);
    }
    PQclear(res);
    return ok ? 0 : -1;
}

/* Decide one stored declaration with both sets and count it. 0, or -1 (out of memory). */
static int whatif_one(struct whatif_agg *agg, const struct rules *cur, const struct rules *next,
                      const char *logistics_no, const char *payload, size_t len, struct skips *sk)
{
    struct decision dc = {0}, dn = {0};
    char err[512];
    struct declaration *d = declaration_decode(payload, len, 0, NULL, err, sizeof(err));
    int rc = -1;

    if (!d) {
        /* Stored, so it decoded once: a payload that no longer decodes is counted, not
         * compared (it would be quarantined today). */
        agg->undecodable++;
        return 0;
    }
    sk->n = 0;
    if (rules_evaluate(cur, d, &dc) < 0 ||
        rules_evaluate_trace(next, d, &dn, collect_skips, sk) < 0)
        goto out;
    rc = whatif_agg_add(agg, logistics_no, &dc, &dn, sk->ids, sk->n);
out:
    decision_clear(&dc);
    decision_clear(&dn);
    declaration_free(d);
    return rc;
}

/* Stream the declarations through a cursor. 0, or an exit status. */
static int whatif_scan(PGconn *db, const struct whatif_args *a, const struct rules *cur,
                       const struct rules *next, struct whatif_agg *agg)
{
    char *since = NULL, limit[32] = "", fetch[64];
    struct skips sk = {.r = next, .cap = rules_count(next)};
    int rc = CTL_OPS_EXIT_UNREACHABLE;

    sk.ids = calloc(sk.cap + 1, sizeof(*sk.ids));
    if (!sk.ids)
        return rc;
    if (a->since && !(since = PQescapeLiteral(db, a->since, strlen(a->since))))
        goto out;
    if (a->limit >= 0)
        snprintf(limit, sizeof(limit), " LIMIT %ld", a->limit);
    size_t qlen = 256 + (since ? strlen(since) : 0);
    char *q = malloc(qlen);
    if (!q)
        goto out;
    /* Read-only and one snapshot: the counts describe one consistent state of the table.
     * Each FETCH is a statement under the configured statement_timeout. */
    snprintf(q, qlen,
             "DECLARE whatif NO SCROLL CURSOR FOR SELECT logistics_no, payload "
             "FROM customs.declarations%s%s%s ORDER BY logistics_no%s",
             since ? " WHERE declared_at >= " : "", since ? since : "",
             since ? "::timestamptz" : "", limit);
    if (exec_ok(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") < 0 || exec_ok(db, q) < 0) {
        free(q);
        goto out;
    }
    free(q);
    snprintf(fetch, sizeof(fetch), "FETCH %d FROM whatif", WHATIF_FETCH);
    for (;;) {
        PGresult *res = PQexec(db, fetch);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            const char *m = PQresultErrorMessage(res);
            fprintf(stderr, "customsctl: database: %.*s\n", (int)strcspn(m, "\n"), m);
            PQclear(res);
            goto out;
        }
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            if (whatif_one(agg, cur, next, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                           (size_t)PQgetlength(res, i, 1), &sk) < 0) {
                fprintf(stderr, "customsctl whatif: out of memory\n");
                PQclear(res);
                goto out;
            }
        }
        PQclear(res);
        if (n < WHATIF_FETCH)
            break;
    }
    (void)exec_ok(db, "COMMIT");
    rc = 0;
out:
    PQfreemem(since);
    free(sk.ids);
    return rc;
}

static double pct(unsigned long n, unsigned long total)
{
    return total ? 100.0 * (double)n / (double)total : 0.0;
}

static void report_text(const struct whatif_args *a, const struct rules *cur,
                        const struct rules *next, const struct whatif_agg *g, double secs)
{
    printf("current rules: %s (%s)\n", a->rules_current, rules_version(cur));
    printf("new rules:     %s (%s)\n", a->rules_new, rules_version(next));
    printf("declarations:  %lu re-decided%s%s", g->total, a->since ? ", declared since " : "",
           a->since ? a->since : "");
    if (g->undecodable)
        printf(", %lu no longer decode (not compared)", g->undecodable);
    printf("\nchanged:       %lu (%.2f%%) change status; %lu more keep it with other rules\n",
           g->changed, pct(g->changed, g->total), g->reasons_changed);
    if (g->n_transitions) {
        printf("\nstatus changes:\n");
        for (size_t i = 0; i < g->n_transitions; i++) {
            const struct whatif_transition *t = &g->transitions[i];
            printf("  %3d %-12s -> %3d %-12s %8lu  %6.2f%%\n", t->from, status_name(t->from), t->to,
                   status_name(t->to), t->count, pct(t->count, g->total));
        }
    }
    bool any = false;
    for (size_t i = 0; i < g->n_rules; i++) {
        const struct whatif_rule *r = &g->rules[i];
        if (!r->newly && !r->no_longer && !r->changed_with)
            continue;
        if (!any)
            printf("\nby rule:  %-28s %9s %9s %9s %9s %9s\n", "rule", "current", "new", "newly",
                   "no longer", "changed");
        any = true;
        printf("          %-28s %9lu %9lu %9lu %9lu %9lu  (new: %.2f%% of declarations)\n", r->id,
               r->hit_current, r->hit_new, r->newly, r->no_longer, r->changed_with,
               pct(r->hit_new, g->total));
    }
    any = false;
    for (size_t i = 0; i < g->n_rules; i++) {
        const struct whatif_rule *r = &g->rules[i];
        if (!r->skipped_new)
            continue;
        printf("%s %s (%lu)",
               any ? "," : "\nnot evaluated here (unique, match; see customsctl(1)):", r->id,
               r->skipped_new);
        any = true;
    }
    if (any)
        printf("\n");
    if (g->n_examples) {
        printf("\nexamples:\n");
        for (size_t i = 0; i < g->n_examples; i++) {
            const struct whatif_example *e = &g->examples[i];
            printf("  %-24s %d -> %d  %s\n", e->logistics_no, e->from, e->to, e->rules);
        }
    }
    printf("\n%lu declarations in %.1f s: %.0f per minute\n", g->total + g->undecodable, secs,
           secs > 0 ? 60.0 * (double)(g->total + g->undecodable) / secs : 0.0);
}

static json_object *jstr(const char *s)
{
    return json_object_new_string(s);
}

static void report_json(const struct whatif_args *a, const struct rules *cur,
                        const struct rules *next, const struct whatif_agg *g, double secs,
                        bool exceeded)
{
    json_object *o = json_object_new_object(), *arr;

    json_object_object_add(o, "current_rules", jstr(a->rules_current));
    json_object_object_add(o, "current_version", jstr(rules_version(cur)));
    json_object_object_add(o, "new_rules", jstr(a->rules_new));
    json_object_object_add(o, "new_version", jstr(rules_version(next)));
    json_object_object_add(o, "since", a->since ? jstr(a->since) : NULL);
    json_object_object_add(o, "declarations", json_object_new_int64((int64_t)g->total));
    json_object_object_add(o, "undecodable", json_object_new_int64((int64_t)g->undecodable));
    json_object_object_add(o, "changed", json_object_new_int64((int64_t)g->changed));
    json_object_object_add(o, "changed_percent", json_object_new_double(pct(g->changed, g->total)));
    json_object_object_add(o, "reasons_changed",
                           json_object_new_int64((int64_t)g->reasons_changed));
    json_object_object_add(o, "exceeded", json_object_new_boolean(exceeded));
    arr = json_object_new_array();
    for (size_t i = 0; i < g->n_transitions; i++) {
        json_object *t = json_object_new_object();
        json_object_object_add(t, "from", json_object_new_int(g->transitions[i].from));
        json_object_object_add(t, "to", json_object_new_int(g->transitions[i].to));
        json_object_object_add(t, "count", json_object_new_int64((int64_t)g->transitions[i].count));
        json_object_array_add(arr, t);
    }
    json_object_object_add(o, "transitions", arr);
    arr = json_object_new_array();
    for (size_t i = 0; i < g->n_rules; i++) {
        const struct whatif_rule *r = &g->rules[i];
        json_object *t = json_object_new_object();
        json_object_object_add(t, "rule_id", jstr(r->id));
        json_object_object_add(t, "hit_current", json_object_new_int64((int64_t)r->hit_current));
        json_object_object_add(t, "hit_new", json_object_new_int64((int64_t)r->hit_new));
        json_object_object_add(t, "newly", json_object_new_int64((int64_t)r->newly));
        json_object_object_add(t, "no_longer", json_object_new_int64((int64_t)r->no_longer));
        json_object_object_add(t, "skipped_new", json_object_new_int64((int64_t)r->skipped_new));
        json_object_object_add(t, "changed_with", json_object_new_int64((int64_t)r->changed_with));
        json_object_array_add(arr, t);
    }
    json_object_object_add(o, "rules", arr);
    arr = json_object_new_array();
    for (size_t i = 0; i < g->n_examples; i++) {
        const struct whatif_example *e = &g->examples[i];
        json_object *t = json_object_new_object();
        json_object_object_add(t, "logistics_no", jstr(e->logistics_no));
        json_object_object_add(t, "from", json_object_new_int(e->from));
        json_object_object_add(t, "to", json_object_new_int(e->to));
        json_object_object_add(t, "rules", jstr(e->rules));
        json_object_array_add(arr, t);
    }
    json_object_object_add(o, "examples", arr);
    json_object_object_add(o, "seconds", json_object_new_double(secs));
    json_object_object_add(
        o, "per_minute",
        json_object_new_int64(
            secs > 0 ? (int64_t)(60.0 * (double)(g->total + g->undecodable) / secs) : 0));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

int ctl_whatif(char **argv)
{
    struct whatif_args a;
    struct config *cfg = NULL;
    struct rules *cur = NULL, *next = NULL;
    struct whatif_agg agg;
    PGconn *db = NULL;
    char err[1024];
    int rc = whatif_parse(&a, argv);
    double t0;

    if (rc)
        return rc < 0 ? CTL_OPS_EXIT_OK : rc;
    whatif_agg_init(&agg, a.examples);
    /* The configuration and the database, as every database command opens them. */
    rc = CTL_OPS_EXIT_UNREACHABLE;
    if (ctl_db_open(a.config, &cfg, &db) < 0)
        goto out;
    if (!a.rules_current)
        a.rules_current = cfg->rules_path;
    rc = CTL_OPS_EXIT_NOT_FOUND;
    if (rules_load(a.rules_current, &cur, err, sizeof(err)) < 0 ||
        rules_load(a.rules_new, &next, err, sizeof(err)) < 0) {
        fprintf(stderr, "customsctl whatif: %s\n", err);
        goto out;
    }
    t0 = now_s();
    if ((rc = whatif_scan(db, &a, cur, next, &agg)) != 0)
        goto out;
    double secs = now_s() - t0;
    bool exceeded = whatif_bound_exceeded(&a.bound, agg.changed, agg.total);
    if (a.json)
        report_json(&a, cur, next, &agg, secs, exceeded);
    else
        report_text(&a, cur, next, &agg, secs);
    if (exceeded) {
        fprintf(stderr, "customsctl whatif: %lu changed decisions exceed --max-changed\n",
                agg.changed);
        rc = CTL_WHATIF_EXIT_EXCEEDED;
    }
out:
    PQfinish(db);
    whatif_agg_clear(&agg);
    rules_free(cur);
    rules_free(next);
    config_free(cfg);
    return rc;
}
