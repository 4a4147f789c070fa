/*
 * rules_eval.c - evaluating a rule set on one declaration: which rules apply (enabled, in
 * effect on ieDate, `when`), each applicable rule's check, sampling, the findings worded
 * into reasons, the decision by precedence, and the per-rule trace of dry runs.
 *
 * An eval function only reads the declaration and writes findings into a stack buffer;
 * memory is allocated only for a rule that matched, so an accepted parcel allocates
 * nothing.
 */
#include "rules_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cebdate.h"
#include "status.h"
#include "util.h"

/* ------------------------------------------------------------------------------------ */
/* Findings                                                                             */
/* ------------------------------------------------------------------------------------ */

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

void rules_finding(struct findings *fs, const char *fmt, ...)
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
    x->rule_id = util_strdup(r->id);
    x->message = util_strdup(fs->text);
    x->message_zh = r->message_zh ? util_strdup(r->message_zh) : NULL;
    x->action = r->action;
    x->severity = r->severity;
    if (fs->value[0])
        x->value = util_strdup(fs->value);
    if (!x->rule_id || !x->message || (fs->value[0] && !x->value) ||
        (r->message_zh && !x->message_zh)) {
        free(x->rule_id);
        free(x->message);
        free(x->message_zh);
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

    cebdate_text(r->eff_from, from, sizeof(from));
    cebdate_text(r->eff_to, to, sizeof(to));
    if (!ie_date) {
        snprintf(buf, buflen,
                 "not applied: ieDate is not a real date and the rule is in effect %s%s%s%s",
                 r->eff_from ? "from " : "", r->eff_from ? from : "", r->eff_to ? " to " : "",
                 r->eff_to ? to : "");
        return;
    }
    cebdate_text(ie_date, d, sizeof(d));
    snprintf(buf, buflen, "not in effect on ieDate %s (in effect %s%s%s%s)", d,
             r->eff_from ? "from " : "", r->eff_from ? from : "", r->eff_to ? " to " : "",
             r->eff_to ? to : "");
}

/*
 * Why `rule` does not apply to the declaration, or NULL when it does: disabled, not in
 * effect on ieDate, or its `when` is false. The dated reason is written into why only when
 * `explain` (a trace shows it); otherwise "" stands for it.
 */
static const char *rule_skip_reason(const struct rule *rule, const struct eval_ctx *cx,
                                    bool explain, char *why, size_t whylen)
{
    if (!rule->enabled)
        return "disabled";
    /* By the declaration's ieDate, never the wall clock: decisions are reproducible. */
    if ((rule->eff_from || rule->eff_to) &&
        (!cx->ie_date || (rule->eff_from && cx->ie_date < rule->eff_from) ||
         (rule->eff_to && cx->ie_date > rule->eff_to))) {
        if (!explain)
            return "";
        not_in_effect(rule, cx->ie_date, why, whylen);
        return why;
    }
    if (rule->has_when && !rules_cond_eval(&rule->when, cx->d, NULL))
        return "'when' condition not met";
    if (rule->kind == &rules_check_kind_unique && !cx->lookup)
        return "not evaluated: the parcels already stored are not looked up here (the daemon "
               "looks them up in PostgreSQL; a rules test case lists them under 'stored')";
    return NULL;
}

/*
 * A sampled rule whose check found something: it stands when logisticsNo's draw is below
 * the sampling rate (the message says so), otherwise its findings are dropped (the note
 * says why).
 */
static void rule_sample(const struct rule *rule, const struct declaration *d, struct findings *fs)
{
    unsigned draw = rules_sample_draw(rule, d->logisticsNo ? d->logisticsNo : "");
    char tdraw[DECIMAL_TEXT_MAX];

    decimal_format((struct decimal){draw}, tdraw, sizeof(tdraw));
    if (draw >= rule->sample_units) {
        snprintf(fs->note, sizeof(fs->note),
                 "not selected by the %s sample (draw %s of logisticsNo with seed '%s')",
                 rule->sample_text, tdraw, rule->seed);
        fs->count = 0;
    } else {
        findings_append(fs, "%sselected by the %s random sample (draw %s < %s, seed '%s')",
                        fs->len ? "; " : "", rule->sample_text, tdraw, rule->sample_text,
                        rule->seed);
    }
}

/*
 * Run an applicable rule's check (and its sampling) into fs. Returns true when the rule
 * matched; fs->text is then its reason's message.
 */
static bool rule_run(const struct rule *rule, const struct eval_ctx *cx, struct findings *fs)
{
    findings_reset(fs);
    rule->kind->eval(rule->check, cx, fs);
    if (fs->count && rule->sampled)
        rule_sample(rule, cx->d, fs);
    if (fs->count == 0)
        return false;
    findings_finish(fs);
    if (fs->len == 0) {
        snprintf(fs->text, sizeof(fs->text), "%s", "applies to this declaration");
        fs->len = strlen(fs->text);
    }
    return true;
}

/* A trace entry for rule i, outcome SKIPPED until told otherwise. */
static void trace_init(struct rule_trace *t, size_t i, const struct rule *rule)
{
    memset(t, 0, sizeof(*t));
    t->index = i;
    t->rule_id = rule->id;
    t->action = rule->action;
    t->outcome = RULE_OUTCOME_SKIPPED;
    t->why = "";
    t->message = "";
    t->note = "";
}

/*
 * The built-in pre-rule RULES_FORMAT_ID (rules.h): a declaration with fields that break the
 * CEB603 format (d->faults, declaration.h) is rejected with one reason naming every such
 * field and its value as sent, e.g. "items[gnum=1].price: '1,234.00' is not a decimal
 * number (plain N19,5 expected)". Returns 0, or -1 when out of memory.
 */
static int format_reject(const struct declaration *d, struct decision *out)
{
    struct findings fs;
    size_t kept = d->n_faults < DECL_MAX_FAULTS ? d->n_faults : DECL_MAX_FAULTS;

    findings_reset(&fs);
    for (size_t k = 0; k < kept; k++) {
        const struct decl_fault *f = &d->faults[k];
        char loc[LOC_MAX + 32];
        const struct decl_item *it =
            f->item >= 0 && (size_t)f->item < d->n_items ? &d->items[f->item] : NULL;

        if (f->item < 0)
            snprintf(loc, sizeof(loc), "%s", f->name);
        else if (it && it->gnum.present)
            snprintf(loc, sizeof(loc), "items[gnum=%lld]%s%s", it->gnum.value,
                     f->name[0] ? "." : "", f->name);
        else
            snprintf(loc, sizeof(loc), "items[%ld]%s%s", f->item, f->name[0] ? "." : "", f->name);
        if (!f->value[0] && !f->text)
            rules_finding(&fs, "%s: %s", loc, f->why);
        else if (f->text)
            rules_finding(&fs, "%s: '%s' %s", loc, f->value, f->why);
        else
            rules_finding(&fs, "%s: %s %s", loc, f->value, f->why);
    }
    fs.omitted += d->n_faults - kept;
    findings_finish(&fs);

    struct reason *x = calloc(1, sizeof(*x));
    if (!x)
        return -1;
    x->rule_id = util_strdup(RULES_FORMAT_ID);
    x->message = util_strdup(fs.text);
    x->message_zh = util_strdup(RULES_FORMAT_MESSAGE_ZH);
    x->action = RULE_REJECT;
    x->severity = RULE_SEVERITY_HIGH;
    if (!x->rule_id || !x->message || !x->message_zh) {
        free(x->rule_id);
        free(x->message);
        free(x->message_zh);
        free(x);
        return -1;
    }
    out->reasons = x;
    out->n_reasons = 1;
    out->status_code = STATUS_REJECTED;
    return 0;
}

/* Whether the rules of the file judge d (no format fault, not appStatus 1 saved). */
static bool judged(const struct declaration *d)
{
    return !d->n_faults && !(d->appStatus && strcmp(d->appStatus, "1") == 0);
}

int rules_has_unique(const struct rules *r)
{
    for (size_t i = 0; i < r->n_rules; i++) {
        if (r->rules[i].enabled && r->rules[i].kind == &rules_check_kind_unique)
            return 1;
    }
    return 0;
}

void rules_unique_keys(const struct rules *r, const struct declaration *d,
                       void (*fn)(void *ctx, const struct rules_key *k), void *ctx)
{
    struct rules_key k;

    if (!judged(d))
        return;
    for (size_t i = 0; i < r->n_rules; i++) {
        const struct rule *rule = &r->rules[i];
        if (rule->enabled && rule->kind == &rules_check_kind_unique &&
            rules_unique_key(rule->check, d, &k))
            fn(ctx, &k);
    }
}

int rules_evaluate_lookup(const struct rules *r, const struct declaration *d,
                          const struct rules_lookup *lookup, struct decision *out,
                          rules_trace_fn fn, void *ctx)
{
    bool reject = false, review = false, inspect = false;
    struct eval_ctx cx = {d, cebdate_date(d->ieDate), r, lookup};
    struct findings fs;
    struct rule_trace t;
    char why[256];

    out->n_reasons = 0;
    out->reasons = NULL;
    out->rules_version = r->version;
    if (d->n_faults) {
        /* Fields that cannot be read: rejected by the pre-rule alone; the rules of the
         * file would judge a declaration with those fields missing, and say so wrongly. */
        if (format_reject(d, out) < 0)
            return -1;
        for (size_t i = 0; fn && i < r->n_rules; i++) {
            trace_init(&t, i, &r->rules[i]);
            t.why = "not evaluated: " RULES_FORMAT_ID " rejects the declaration (a field breaks "
                    "the CEB603 format)";
            fn(ctx, &t);
        }
        return 0;
    }
    if (d->appStatus && strcmp(d->appStatus, "1") == 0) {
        /* 暂存 (saved): recorded and receipted as saved, not sent for customs' decision
         * (pre-check 22): the rules judge the declaration (appStatus 2) that follows. */
        out->status_code = STATUS_SAVED;
        for (size_t i = 0; fn && i < r->n_rules; i++) {
            trace_init(&t, i, &r->rules[i]);
            t.why = "not evaluated: appStatus 1 (暂存, saved) is recorded as saved (1), not "
                    "decided";
            fn(ctx, &t);
        }
        return 0;
    }
    for (size_t i = 0; i < r->n_rules; i++) {
        const struct rule *rule = &r->rules[i];
        const char *skip = rule_skip_reason(rule, &cx, fn != NULL, why, sizeof(why));

        if (fn)
            trace_init(&t, i, rule);
        if (skip) {
            if (fn) {
                t.why = skip;
                fn(ctx, &t);
            }
            continue;
        }
        if (!rule_run(rule, &cx, &fs)) {
            if (fn) {
                t.outcome = RULE_OUTCOME_PASSED;
                t.note = fs.note;
                fn(ctx, &t);
            }
            continue;
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

int rules_evaluate_trace(const struct rules *r, const struct declaration *d, struct decision *out,
                         rules_trace_fn fn, void *ctx)
{
    return rules_evaluate_lookup(r, d, NULL, out, fn, ctx);
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
        free(dec->reasons[i].message_zh);
        free(dec->reasons[i].value);
    }
    free(dec->reasons);
    memset(dec, 0, sizeof(*dec));
}
