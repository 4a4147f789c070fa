/*
 * rules_rates.c - the rates table a rule set may reference (`rates: FILE`, exchange rates by
 * validity period) and the check that needs it, `threshold`: a value limit in another
 * currency, converted with the rate valid on the declaration's ieDate.
 */
#include "rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cebdate.h"
#include "util.h"

/* ------------------------------------------------------------------------------------ */
/* The rates table                                                                      */
/* ------------------------------------------------------------------------------------ */

void rules_rates_free(struct rates *r)
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

    if (rules_want_map(p, v, key->value) < 0 ||
        rules_check_keys(p, v, "a currency", currency_keys) < 0)
        return -1;
    rc->code = util_strdup(key->value);
    name = ymap_get(v, "name");
    if (!name)
        return rules_perr(p, v, "currency '%s' without 'name' (e.g. CNY)", key->value);
    if (rules_want_nonempty_scalar(p, name, "name") < 0)
        return -1;
    rc->name = util_strdup(name->value);
    if (!rc->code || !rc->name)
        return rules_poom(p);
    list = ymap_get(v, "rates");
    if (!list)
        return rules_perr(p, v, "currency '%s' without 'rates'", key->value);
    if (rules_want_seq(p, list, "rates") < 0)
        return -1;
    rc->periods = calloc(list->n, sizeof(*rc->periods));
    if (!rc->periods)
        return rules_poom(p);
    for (size_t i = 0; i < list->n; i++) {
        const struct ynode *e = list->kids[i], *from, *to, *rate;
        struct rate_period *per = &rc->periods[i];

        rc->n = i + 1;
        if (rules_want_map(p, e, "rates") < 0 || rules_check_keys(p, e, "a rate", period_keys) < 0)
            return -1;
        from = ymap_get(e, "from");
        to = ymap_get(e, "to");
        rate = ymap_get(e, "rate");
        if (!from || !to || !rate)
            return rules_perr(p, e, "a rate needs from, to and rate");
        if (rules_parse_date_node(p, from, "from", &per->from) < 0 ||
            rules_parse_date_node(p, to, "to", &per->to) < 0)
            return -1;
        if (per->to < per->from)
            return rules_perr(p, to, "to: %s is before from %s", to->value, from->value);
        if (rules_parse_decimal_node(p, rate, "rate", &per->rate) < 0)
            return -1;
        /* Bounded so that amount x 100 / rate stays far inside 128 bits. */
        if (decimal_cmp(per->rate, (struct decimal){1}) < 0 ||
            decimal_cmp(per->rate, decimal_from_int(1000000)) > 0)
            return rules_perr(p, rate, "rate: %s is outside 0.00001 .. 1000000", rate->value);
        per->rate_text = util_strdup(rate->value);
        if (!per->rate_text)
            return rules_poom(p);
    }
    qsort(rc->periods, rc->n, sizeof(*rc->periods), period_cmp);
    for (size_t i = 1; i < rc->n; i++) {
        if (rc->periods[i].from <= rc->periods[i - 1].to) {
            char a[16], b[16];
            cebdate_text(rc->periods[i - 1].from, a, sizeof(a));
            cebdate_text(rc->periods[i].from, b, sizeof(b));
            return rules_perr(p, list, "rates: the periods from %s and from %s overlap", a, b);
        }
    }
    return 0;
}

/*
 * The rates file: `base` (customs currency code the rates convert to), `base_name`, an
 * optional `source` text, and `currencies`: code -> {name, rates: [{from, to, rate}]}
 * where `rate` units of the currency buy one unit of the base (7.7214 CNY per EUR).
 */
int rules_rates_parse(struct rules_parser *p, const struct ynode *at, const char *name)
{
    static const char *const rates_keys[] = {"description", "source",     "base",
                                             "base_name",   "currencies", NULL};
    const struct rules_file *f;
    const struct ynode *base, *base_name, *cur;
    const char *saved = p->file;
    struct rates *r;
    int rc = -1;

    if (rules_load_ref(p, at, name, &f) < 0)
        return -1;
    r = calloc(1, sizeof(*r));
    if (!r)
        return rules_poom(p);
    p->rs->rates = r;
    r->file = util_strdup(name);
    if (!r->file)
        return rules_poom(p);
    p->file = f->path;
    if (rules_check_keys(p, f->tree, "a rates file", rates_keys) < 0)
        goto out;
    base = ymap_get(f->tree, "base");
    base_name = ymap_get(f->tree, "base_name");
    cur = ymap_get(f->tree, "currencies");
    if (!base || !base_name || !cur) {
        rules_perr(p, f->tree, "a rates file needs base, base_name and currencies");
        goto out;
    }
    if (rules_want_nonempty_scalar(p, base, "base") < 0 ||
        rules_want_nonempty_scalar(p, base_name, "base_name") < 0 ||
        rules_want_map(p, cur, "currencies") < 0)
        goto out;
    r->base = util_strdup(base->value);
    r->base_name = util_strdup(base_name->value);
    r->currencies = calloc(cur->n / 2 + 1, sizeof(*r->currencies));
    if (!r->base || !r->base_name || !r->currencies) {
        rules_poom(p);
        goto out;
    }
    for (size_t i = 0; i < cur->n; i += 2) {
        r->n = i / 2 + 1;
        if (strcmp(cur->kids[i]->value, r->base) == 0) {
            rules_perr(p, cur->kids[i], "currencies: '%s' is the base currency", r->base);
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

/* ------------------------------------------------------------------------------------ */
/* check: threshold                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * A value limit in another currency ("parcel value over €200", docs/DOMAIN.md section 5; "a
 * B2B list over ¥5,000", GACC Announcement 2020 No.75): the amount field (summed over items
 * for an item field), each amount in the currency named by the currency field, converted to
 * the limit currency with the rates table entries valid on the declaration's ieDate. The
 * limit currency is the table's base or one of its currencies; between two currencies that
 * are not the base the conversion goes through the base (amount / its rate x the limit's
 * rate), computed exactly and rounded once. The converted value is rounded half away from
 * zero to cents and compared with `max`; the reason carries it, followed by `message` when
 * given. A currency the table cannot convert on that date is a finding (the rule matches),
 * so a gap in the table is seen, not skipped.
 */
#define THRESHOLD_CURRENCIES 8

struct check_threshold {
    struct field_ref amount, currency;
    struct decimal max;
    char *max_text;
    char *limit_currency;
    const char *limit_name;               /* from the rates table, or the code */
    const struct rate_currency *limit_rc; /* NULL: the limit currency is the table's base */
    char *label;                          /* "goods value" */
    char *message;                        /* appended to an over-limit finding, or NULL */
};

static const char *const threshold_keys[] = {"amount", "currency", "max", "limit_currency",
                                             "label",  "message",  NULL};

static int threshold_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_threshold *c = calloc(1, sizeof(*c));
    const struct ynode *amount, *currency, *max, *limit, *label, *message;
    char name[LOC_MAX];

    *out = c;
    if (!c)
        return rules_poom(p);
    amount = ymap_get(rule, "amount");
    currency = ymap_get(rule, "currency");
    max = ymap_get(rule, "max");
    limit = ymap_get(rule, "limit_currency");
    if (!amount || !currency || !max || !limit)
        return rules_perr(p, rule,
                          "a threshold rule needs amount, currency, max and limit_currency");
    if (rules_parse_field(p, amount, "amount", FIELD_DECIMAL, &c->amount) < 0)
        return -1;
    if (rules_parse_field(p, currency, "currency", FIELD_TEXT, &c->currency) < 0)
        return -1;
    if (c->currency.item && !c->amount.item)
        return rules_perr(p, currency, "currency: a header amount takes a header currency field");
    if (rules_parse_decimal_node(p, max, "max", &c->max) < 0)
        return -1;
    if (decimal_is_negative(c->max))
        return rules_perr(p, max, "max: must not be negative");
    if (rules_want_nonempty_scalar(p, limit, "limit_currency") < 0)
        return -1;
    if (!p->rs->rates)
        return rules_perr(p, limit,
                          "limit_currency: a threshold converts currencies: the rule set needs a "
                          "rates table (top-level 'rates: FILE')");
    if (strcmp(limit->value, p->rs->rates->base) == 0) {
        c->limit_name = p->rs->rates->base_name;
    } else {
        c->limit_rc = rates_currency(p->rs->rates, limit->value);
        if (!c->limit_rc)
            return rules_perr(p, limit,
                              "limit_currency: '%s' is neither the base currency '%s' nor a "
                              "currency of the rates table %s",
                              limit->value, p->rs->rates->base, p->rs->rates->file);
        c->limit_name = c->limit_rc->name;
    }
    label = ymap_get(rule, "label");
    if (label && rules_want_nonempty_scalar(p, label, "label") < 0)
        return -1;
    message = ymap_get(rule, "message");
    if (message && rules_want_nonempty_scalar(p, message, "message") < 0)
        return -1;
    rules_field_name(name, sizeof(name), &c->amount);
    c->max_text = util_strdup(max->value);
    c->limit_currency = util_strdup(limit->value);
    if (label)
        c->label = util_strdup(label->value);
    else if (asprintf(&c->label, "%s%s", c->amount.item ? "sum of " : "", name) < 0)
        c->label = NULL;
    if (!c->max_text || !c->limit_currency || !c->label)
        return rules_poom(p);
    if (message && !(c->message = util_strdup(message->value)))
        return rules_poom(p);
    return 0;
}

struct currency_sum {
    const char *code;
    struct decimal units;
};

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

/*
 * The period of rc valid on the declaration's ieDate into *out, else a finding (ieDate not a
 * real date, no period) and -1.
 */
static int threshold_rate(const struct check_threshold *c, const struct eval_ctx *cx,
                          const struct rate_currency *rc, const struct rate_period **out,
                          struct findings *fs)
{
    char date[16];

    if (!cx->ie_date) {
        rules_finding(fs, "%s: cannot convert %s to %s: ieDate is not a real date", c->label,
                      rc->name, c->limit_name);
        return -1;
    }
    *out = rates_period(rc, cx->ie_date);
    if (!*out) {
        cebdate_text(cx->ie_date, date, sizeof(date));
        rules_finding(fs, "%s: no %s rate valid on %s in the rates table %s", c->label, rc->name,
                      date, cx->rs->rates->file);
        return -1;
    }
    return 0;
}

/* "7.5955 CNY per EUR, rate of 2024-04-22 to 2024-06-16" into buf. */
static void rate_words(const struct rates *rates, const struct rate_currency *rc,
                       const struct rate_period *per, char *buf, size_t buflen)
{
    char from[16], to[16];

    cebdate_text(per->from, from, sizeof(from));
    cebdate_text(per->to, to, sizeof(to));
    snprintf(buf, buflen, "%s %s per %s, rate of %s to %s", per->rate_text, rc->name,
             rates->base_name, from, to);
}

static void threshold_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_threshold *c = check;
    const struct declaration *d = cx->d;
    const struct rates *rates = cx->rs->rates;
    struct currency_sum sums[THRESHOLD_CURRENCIES];
    size_t n_sums = 0, nitems = c->amount.item ? decl_nitems(d) : 1;
    __int128 cents = 0;
    const struct rate_period *limit_per = NULL;
    char how[NOTE_MAX], total[DECIMAL_TEXT_MAX + 4], limit_words[128] = "";
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
                rules_finding(fs, "%s: more than %d currencies in one declaration", c->label,
                              THRESHOLD_CURRENCIES);
                return;
            }
            sums[n_sums].code = code;
            sums[n_sums].units.units = 0;
            n_sums++;
        }
        if (decimal_add(sums[k].units, v, &sums[k].units) < 0) {
            rules_finding(fs, "%s leaves the N19,5 range", c->label);
            return;
        }
    }
    if (n_sums == 0)
        return;
    how[0] = '\0';
    for (size_t k = 0; k < n_sums; k++) {
        const struct rate_currency *rc = NULL;
        const struct rate_period *per = NULL;
        char q[QUOTE_MAX], amt[DECIMAL_TEXT_MAX], words[128];
        __int128 num, den;

        decimal_format(sums[k].units, amt, sizeof(amt));
        if (strcmp(sums[k].code, c->limit_currency) == 0) {
            cents += div_round(sums[k].units.units, 1000);
            if (hl < sizeof(how))
                hl += (size_t)snprintf(how + hl, sizeof(how) - hl, "%s%s %s", hl ? " + " : "", amt,
                                       c->limit_name);
            continue;
        }
        if (strcmp(sums[k].code, rates->base) != 0) {
            rc = rates_currency(rates, sums[k].code);
            if (!rc) {
                rules_quote(q, sums[k].code);
                rules_finding(fs, "%s: cannot convert currency %s to %s: not in the rates table %s",
                              c->label, q, c->limit_name, rates->file);
                return;
            }
            if (threshold_rate(c, cx, rc, &per, fs) < 0)
                return;
        }
        if (c->limit_rc && !limit_per) {
            if (threshold_rate(c, cx, c->limit_rc, &limit_per, fs) < 0)
                return;
            rate_words(rates, c->limit_rc, limit_per, limit_words, sizeof(limit_words));
        }
        /*
         * amount / rate x limit rate, in cents: (A / 1e5) / (R / 1e5) x (L / 1e5) x 100 =
         * A x 100 x L / (R x 1e5). A rate of the base is 1 (1e5 units).
         */
        num = sums[k].units.units * 100;
        den = per ? per->rate.units : 100000;
        if (limit_per) {
            __int128 l = limit_per->rate.units, an = num < 0 ? -num : num;
            if (an > 0 && l > ((__int128)1 << 120) / an) {
                rules_finding(fs, "%s: the converted value leaves the range", c->label);
                return;
            }
            num *= l;
            den *= 100000;
        }
        cents += div_round(num, den);
        if (hl >= sizeof(how))
            continue;
        if (rc) {
            rate_words(rates, rc, per, words, sizeof(words));
            hl += (size_t)snprintf(how + hl, sizeof(how) - hl, "%s%s %s at %s%s%s", hl ? " + " : "",
                                   amt, rc->name, words, limit_per ? " and " : "",
                                   limit_per ? limit_words : "");
        } else {
            hl += (size_t)snprintf(how + hl, sizeof(how) - hl, "%s%s %s at %s", hl ? " + " : "",
                                   amt, rates->base_name, limit_words);
        }
    }
    format_cents(cents, total);
    snprintf(fs->value, sizeof(fs->value), "%.24s %.16s", total, c->limit_name);
    if (cents * 1000 > c->max.units) {
        rules_finding(fs, "%s %s %s (%s) is over the limit of %s %s%s%s", c->label, total,
                      c->limit_name, how, c->max_text, c->limit_name, c->message ? ": " : "",
                      c->message ? c->message : "");
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
    free(c->message);
    free(c);
}

const struct check_kind rules_check_kind_threshold = {"threshold", threshold_keys, threshold_parse,
                                                      threshold_eval, threshold_free};
