/*
 * rules.h - the clearance rules engine: a rule set loaded from YAML (libyaml) and
 * evaluated on one decoded declaration to a decision (status code + reasons).
 *
 * Pure logic: no I/O except reading the rules file in rules_load.
 * Decision precedence: any failed `reject` rule -> 100 (rejected); else any matched
 * `review` rule -> 300 (manual review); else any matched `inspect` rule -> 500
 * (inspection); else 399 (accepted). `flag` rules are recorded as reasons without changing
 * the status. Every matched rule is listed in the reasons, in rule-file order.
 * Status codes: shared DESIGN.md "Status lifecycle"; checks: DOMAIN.md section 4.
 */
#ifndef CUSTOMSD_RULES_H
#define CUSTOMSD_RULES_H

#include <stddef.h>

#include "declaration.h"

enum rule_action { RULE_REJECT, RULE_REVIEW, RULE_INSPECT, RULE_FLAG };

struct rules; /* opaque; immutable after load, so it may be shared by threads */

/* One matched rule. */
struct reason {
    char *rule_id; /* the rule's `id` from the rules file */
    enum rule_action action;
    char *message; /* human-readable, names the field, item gnum and value */
};

struct decision {
    int status_code; /* 100, 300, 399 or 500 (enum status_code) */
    size_t n_reasons;
    struct reason *reasons;    /* owned; free with decision_clear */
    const char *rules_version; /* borrowed from the rule set: valid while it lives */
};

/*
 * Load and validate a rules file. Returns 0 and *out, or -1 with
 * "file:line:column: what" in err (the position of the offending YAML node; for I/O
 * errors "file: strerror"). Unknown keys, unknown fields, unknown check types and
 * malformed values are errors.
 */
int rules_load(const char *path, struct rules **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Same, from a buffer; `name` is used as the file name in errors. */
int rules_load_buffer(const char *name, const char *text, size_t len, struct rules **out, char *err,
                      size_t errlen) __attribute__((warn_unused_result));

void rules_free(struct rules *r); /* accepts NULL */

/* The rule set version: lowercase hex SHA-256 of the file's bytes (64 characters). */
const char *rules_version(const struct rules *r);

/* The file's exact text (NUL-terminated), for recording the rule set in the database. */
const char *rules_text(const struct rules *r);

/* Number of rules loaded. */
size_t rules_count(const struct rules *r);

/*
 * Evaluate every enabled rule on `d`. Fills *out (which the caller zero-initialises or has
 * cleared). Returns 0, or -1 on allocation failure.
 */
int rules_evaluate(const struct rules *r, const struct declaration *d, struct decision *out)
    __attribute__((warn_unused_result));

/* Free the reasons of a decision and zero it. Accepts a zeroed decision. */
void decision_clear(struct decision *dec);

/* "reject", "review", "inspect", "flag". */
const char *rule_action_name(enum rule_action a);

#endif
