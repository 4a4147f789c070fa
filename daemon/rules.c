/*
 * rules.c - the clearance rules engine: a rule set loaded from YAML (the language is
 * documented in config/RULES.md) and evaluated on one declaration. This file holds the rule
 * set's accessors; the engine is split by what it does:
 *
 *   rules_int.h          the internal structs and the functions the files share
 *   rules_load.c         YAML -> rules, referenced files (lists, rates), the bundle version
 *   rules_parse.c        load errors, typed YAML reads, fields, operators, value lists
 *   rules_check.c        the table of check kinds, what checks share, `always`
 *   rules_check_text.c   required, together, length, one_of, pattern, same, absent, date,
 *                        hs_prefix
 *   rules_check_number.c decimal, count, sequence, product, compare, sum
 *   rules_rates.c        the rates table and `threshold`
 *   rules_cond.c         `when` / `where` conditions (all, any, not)
 *   rules_eval.c         evaluation, sampling, findings, decisions, traces
 *   pattern.c, cebdate.c regular expressions and CEB dates, usable outside the engine
 *
 * The shape follows OpenSMTPD's ruleset.c: a rule set is an ordered list of rules, each
 * with an id, an action and one check. A check kind is one struct check_kind: its name,
 * the keys it accepts, a parse function that turns the rule's YAML into a private struct
 * at load time, an eval function that reports findings on one declaration, and a free
 * function (rules_check.c). Rule-level features (when-conditions, effective dates,
 * sampling) live in struct rule and rule_parse/evaluate, not in the checks.
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
 */
#include "rules_int.h"

#include <stddef.h>

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
