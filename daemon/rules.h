/*
 * rules.h - the clearance rules engine: a rule set loaded from YAML (config/RULES.md is the
 * language reference) and evaluated on one decoded declaration to a decision (status code
 * + reasons).
 *
 * Pure logic: no I/O except reading the rules file and the files it references (code
 * lists, the rates table) in rules_load. A rule set is immutable after load, so threads may
 * share it, and a reload builds a whole new one: a bad file never half-replaces a good one.
 *
 * Decision precedence: any matched `reject` rule -> 100 (rejected); else any matched
 * `review` rule -> 300 (manual review); else any matched `inspect` rule -> 500
 * (inspection); else 399 (accepted). `flag` rules are recorded as reasons without changing
 * the status. Every matched rule is listed in the reasons, in rule-file order.
 * Rules with effective dates apply by the declaration's ieDate (CEB603 出口日期), never by
 * the wall clock, so a decision is reproducible; random sampling hashes logisticsNo.
 * Status codes: docs/DESIGN.md "Status lifecycle"; checks: docs/DOMAIN.md section 4.
 *
 * Before the rules of the file, the built-in pre-rule RULES_FORMAT_ID: a declaration whose
 * decoding found fields that break the CEB603 format (declaration.h, d->n_faults > 0) is
 * rejected (100) with one reason (action reject, severity high) naming each such field and
 * its value as sent; the rules of the file are then not evaluated (traced as skipped).
 */
#ifndef CUSTOMSD_RULES_H
#define CUSTOMSD_RULES_H

#include <stddef.h>

#include "declaration.h"

/* The rule id of the built-in format pre-rule (config/RULES.md "Format pre-check"), and its
 * Chinese text for the declarer's receipt (like a rule's message_zh). */
#define RULES_FORMAT_ID         "CEB603-FORMAT"
#define RULES_FORMAT_MESSAGE_ZH "申报数据格式不符合CEB603报文规范(字段类型、数值或长度有误)"

enum rule_action { RULE_REJECT, RULE_REVIEW, RULE_INSPECT, RULE_FLAG };

/* A rule's `severity`, for people and reports; it does not change the decision. */
enum rule_severity {
    RULE_SEVERITY_LOW,
    RULE_SEVERITY_MEDIUM,
    RULE_SEVERITY_HIGH,
    RULE_SEVERITY_CRITICAL
};

struct rules; /* opaque; immutable after load, so it may be shared by threads */

/* One matched rule. */
struct reason {
    char *rule_id; /* the rule's `id` from the rules file */
    enum rule_action action;
    char *message; /* human-readable, names the field, item gnum and value (English) */
    /*
     * The rule's `message_zh`: what the rule requires in Chinese, for the declarer's
     * receipt (returnInfo); the same text whatever the values. NULL when the rule has none.
     */
    char *message_zh;
    enum rule_severity severity;
    /*
     * The value the rule computed and decided on, when the check computes one (a
     * currency threshold: the converted amount, e.g. "263.31 EUR"); NULL otherwise.
     */
    char *value;
};

struct decision {
    int status_code; /* 100, 300, 399 or 500 (enum status_code) */
    size_t n_reasons;
    struct reason *reasons;    /* owned; free with decision_clear */
    const char *rules_version; /* borrowed from the rule set: valid while it lives */
};

/*
 * Load and validate a rules file and every file it references (list files, the rates
 * table), relative to the rules file's directory. Returns 0 and *out, or -1 with
 * "file:line:column: what" in err (the position of the offending YAML node, in whichever
 * file it is; for I/O errors "file: strerror"). Unknown keys, unknown fields, unknown check
 * types and malformed values are errors.
 */
int rules_load(const char *path, struct rules **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Same, from a buffer; `name` is used as the file name in errors, and its directory (if it
 * has one) is where referenced files are looked up.
 */
int rules_load_buffer(const char *name, const char *text, size_t len, struct rules **out, char *err,
                      size_t errlen) __attribute__((warn_unused_result));

void rules_free(struct rules *r); /* accepts NULL */

/*
 * The rule set version: lowercase hex SHA-256 (64 characters) of rules_text(), i.e. of the
 * rules file and of every file it references, so that changing a list file or a rate
 * changes the version.
 */
const char *rules_version(const struct rules *r);

/*
 * The text the version is the hash of (NUL-terminated), for recording the rule set in the
 * database: the rules file's exact bytes when it references no other file; otherwise those
 * bytes followed, for each referenced file in order of first reference, by the line
 * "\n# ---- customsd rule set bundle: NAME (N bytes)\n" (NAME as written in the rules file)
 * and that file's exact bytes.
 */
const char *rules_text(const struct rules *r);

/* Number of rules loaded. */
size_t rules_count(const struct rules *r);

/* Number of files the rule set references, and the name of file i as written (i < count). */
size_t rules_file_count(const struct rules *r);
const char *rules_file_name(const struct rules *r, size_t i);

/* Rule i (i < rules_count): its id, action and whether it is enabled. */
const char *rules_rule_id(const struct rules *r, size_t i);
enum rule_action rules_rule_action(const struct rules *r, size_t i);
int rules_rule_enabled(const struct rules *r, size_t i);

/*
 * Evaluate every enabled rule on `d`. Fills *out (which the caller zero-initialises or has
 * cleared). Returns 0, or -1 on allocation failure. Allocates nothing when no rule matches.
 * In this order: a declaration with format faults (d->n_faults) is rejected (100) by the
 * built-in pre-rule RULES_FORMAT_ID alone; one with appStatus "1" (暂存, saved; docs/DOMAIN.md
 * section 4, pre-check 22) gets status 1 (STATUS_SAVED), no reasons, and no rule of the
 * file runs: only a declaration with appStatus 2 (申报) is decided; otherwise every enabled
 * rule runs and the status is 100 if one rejects, else 300 if one sends it to review, else
 * 500 if one selects it for inspection, else 399.
 */
int rules_evaluate(const struct rules *r, const struct declaration *d, struct decision *out)
    __attribute__((warn_unused_result));

/*
 * Pre-check 19 (docs/DOMAIN.md section 4): `orderNo` unique per `ebpCode`, `copNo` unique
 * per sender. The check kind `unique` (config/RULES.md) names a key of one to
 * RULES_KEY_FIELDS header text fields; a declaration matches when another parcel (another
 * logisticsNo) already holds the same values. Who holds what lives outside the engine (the
 * database, or a rules test's `stored:` parcels): the caller hands a struct rules_lookup to
 * rules_evaluate_lookup. Without one, `unique` rules are not evaluated (traced as skipped).
 */
#define RULES_KEY_FIELDS 4

/* One key a `unique` rule reads on a declaration: every field present and not blank. */
struct rules_key {
    size_t n;                             /* 1 .. RULES_KEY_FIELDS */
    const char *fields[RULES_KEY_FIELDS]; /* CEB603 head field names, e.g. "ebpCode" */
    const char *values[RULES_KEY_FIELDS]; /* the declaration's values, borrowed from it */
};

struct rules_lookup {
    /* The logisticsNo of a parcel other than logistics_no that holds k, or NULL when none.
     * Must not allocate for the caller to free: the text must outlive the evaluation. */
    const char *(*holder)(void *ctx, const struct rules_key *k, const char *logistics_no);
    void *ctx;
};

/* Whether r has an enabled `unique` rule (then the caller should look keys up). */
int rules_has_unique(const struct rules *r);

/*
 * Call fn for every key the enabled `unique` rules of r read on d, in rule order (one per
 * rule whose fields are all present and not blank, whatever its `when` and dates). Nothing
 * for a declaration the rules of the file do not judge (format faults, appStatus 1). The
 * key's texts are borrowed from r and d.
 */
void rules_unique_keys(const struct rules *r, const struct declaration *d,
                       void (*fn)(void *ctx, const struct rules_key *k), void *ctx);

/* What happened to one rule on one declaration (for dry runs and rule tests). */
enum rule_outcome {
    RULE_OUTCOME_SKIPPED, /* disabled, not in effect on ieDate, or `when` false */
    RULE_OUTCOME_PASSED,  /* evaluated; the check found nothing (or not sampled) */
    RULE_OUTCOME_MATCHED  /* listed in the decision */
};

struct rule_trace {
    size_t index;        /* rule number in file order */
    const char *rule_id; /* borrowed, valid during the callback */
    enum rule_action action;
    enum rule_outcome outcome;
    const char *why;     /* SKIPPED: why ("disabled", "not in effect on 2023-06-15 ...") */
    const char *message; /* MATCHED: the reason's message */
    const char *note;    /* what the check computed even when it passed, e.g. the converted
                            value of a threshold ("" when nothing) */
};

typedef void (*rules_trace_fn)(void *ctx, const struct rule_trace *t);

/* rules_evaluate, calling fn (if not NULL) once per rule in file order. */
int rules_evaluate_trace(const struct rules *r, const struct declaration *d, struct decision *out,
                         rules_trace_fn fn, void *ctx) __attribute__((warn_unused_result));

/*
 * rules_evaluate_trace with the holders of `unique` keys (pre-check 19) answered by lookup
 * (NULL: `unique` rules are skipped, traced "not evaluated: ...").
 */
int rules_evaluate_lookup(const struct rules *r, const struct declaration *d,
                          const struct rules_lookup *lookup, struct decision *out,
                          rules_trace_fn fn, void *ctx) __attribute__((warn_unused_result));

/* Free the reasons of a decision and zero it. Accepts a zeroed decision. */
void decision_clear(struct decision *dec);

/* "reject", "review", "inspect", "flag". */
const char *rule_action_name(enum rule_action a);

/* "low", "medium", "high", "critical". */
const char *rule_severity_name(enum rule_severity s);

#endif
