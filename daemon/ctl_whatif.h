/*
 * ctl_whatif.h - customsctl whatif: what a new rules file would change. It re-decides the
 * declarations stored in customs.declarations (their `payload`, the record value as
 * received, latest amendment included, decoded by declaration_decode into the same struct
 * declaration as customsd's), under their own ieDate, with the current rules and with the
 * new ones, and reports how many decisions change, from which status code to which, by rule,
 * with examples. Read-only: one REPEATABLE READ READ ONLY transaction, streamed through a
 * server-side cursor (WHATIF_FETCH rows at a time), so memory does not grow with the table.
 *
 * Not answered here (their rules are counted as skipped, per rule, in the report): `unique`
 * rules (pre-check 19: who else holds a key) and `match` rules (three-document matching);
 * both are evaluated as the engine does without a lookup or documents.
 *
 * The aggregation (struct whatif_agg) and the bound (struct whatif_bound) are pure logic with
 * no I/O, for unit tests.
 */
#ifndef CUSTOMSD_CTL_WHATIF_H
#define CUSTOMSD_CTL_WHATIF_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

#define CTL_WHATIF_ARGS                                                                            \
    "[-c FILE] --rules NEW.yaml [--current RULES.yaml] [--since DATE] [--limit N] "                \
    "[--max-changed P%|N] [--examples K] [--json]"

/* Exit status when the changed decisions exceed --max-changed (distinct from the errors 1-3
 * of ctl_ops.h). */
#define CTL_WHATIF_EXIT_EXCEEDED 4

/* Rows fetched from the cursor at a time. */
#define WHATIF_FETCH 2000

/*
 * customsctl whatif: the command (argv: the arguments after "whatif", NULL-terminated).
 * Returns the exit status: 0, CTL_OPS_EXIT_NOT_FOUND (a rules file does not load),
 * CTL_OPS_EXIT_USAGE, CTL_OPS_EXIT_UNREACHABLE, or CTL_WHATIF_EXIT_EXCEEDED.
 */
int ctl_whatif(char **argv);

/* One status change: `count` decisions that go from status code `from` to `to`. */
struct whatif_transition {
    int from, to;
    unsigned long count;
};

/* One rule id (of either rule set) and how often it matched. */
struct whatif_rule {
    char *id;
    unsigned long hit_current;  /* declarations it matched under the current rules */
    unsigned long hit_new;      /* ... under the new rules */
    unsigned long newly;        /* matched under the new rules only */
    unsigned long no_longer;    /* matched under the current rules only */
    unsigned long skipped_new;  /* not evaluated under the new rules (unique, match) */
    unsigned long changed_with; /* decisions that change status and list it (either side) */
};

/* One example of a changed decision. */
struct whatif_example {
    char *logistics_no;
    int from, to;
    char *rules; /* "+ID" newly hit, "-ID" no longer hit, "ID:flag->review" hit by both with
                    another action; space-separated ("" when none) */
};

struct whatif_agg {
    unsigned long total;           /* declarations compared */
    unsigned long changed;         /* whose status code differs */
    unsigned long reasons_changed; /* same status code, different matched rules */
    unsigned long undecodable;     /* stored payloads that no longer decode (not compared) */
    size_t n_transitions;
    struct whatif_transition *transitions; /* changed ones only, in order of first seen */
    size_t n_rules;
    struct whatif_rule *rules; /* in order of first seen */
    size_t max_examples, n_examples;
    struct whatif_example *examples;
};

/* An empty aggregate keeping at most max_examples examples. */
void whatif_agg_init(struct whatif_agg *a, size_t max_examples);
void whatif_agg_clear(struct whatif_agg *a);

/*
 * Count one declaration decided `cur` under the current rules and `next` under the new ones.
 * skipped_new: the rule ids of the new set not evaluated on it (unique/match; may be NULL
 * when n_skipped is 0). Returns 0, or -1 on allocation failure.
 */
int whatif_agg_add(struct whatif_agg *a, const char *logistics_no, const struct decision *cur,
                   const struct decision *next, const char *const *skipped_new, size_t n_skipped);

/* The rule `id` of a, or NULL. */
const struct whatif_rule *whatif_agg_rule(const struct whatif_agg *a, const char *id);

/* --max-changed: a count ("25") or a percentage of the declarations compared ("1%", "0.5%"). */
struct whatif_bound {
    bool set;
    bool percent;
    unsigned long count;     /* when !percent */
    unsigned long milli_pct; /* when percent: thousandths of a percent (1% = 1000) */
};

/* Parse s into *b. 0, or -1 with the reason in err. */
int whatif_bound_parse(const char *s, struct whatif_bound *b, char *err, size_t errlen);

/* Whether `changed` of `total` exceeds the bound (never when !b->set). Exact integer
 * arithmetic: changed/total > pct/100. */
bool whatif_bound_exceeded(const struct whatif_bound *b, unsigned long changed,
                           unsigned long total);

#endif
