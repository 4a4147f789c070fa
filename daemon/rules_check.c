/*
 * rules_check.c - the check kinds: the table every rule's `check:` is looked up in, what the
 * checks share to read a declaration's fields and to word their findings, and the smallest
 * check, `always`.
 *
 * A check kind is one struct check_kind (rules_int.h): its name, the keys it accepts, a
 * parse function that turns the rule's YAML into a private struct at load time, an eval
 * function that reports findings on one declaration, and a free function. The kinds live
 * by family: text checks in rules_check_text.c, number checks in rules_check_number.c, the
 * currency threshold with the rates table in rules_rates.c. A new check type is one
 * struct, three functions, one struct check_kind, and one line in rules_check_kinds[] below.
 *
 * Semantics a rules author relies on (config/RULES.md says the same):
 *   - a rule "matches" when its check reports at least one finding: a violated constraint
 *     (required, length, one_of, pattern, ...), or a hit (hs_prefix, always);
 *   - value checks skip absent and empty values: presence is the `required` check's job,
 *     so one defect gives one reason;
 *   - item fields (items[].gcode) are checked on every item; in a `when` condition an item
 *     field is true when any item satisfies it.
 */
#include "rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct check_kind rules_check_kind_always;

/* Every check kind, in the order "unknown check" errors list them. */
const struct check_kind *const rules_check_kinds[] = {
    &rules_check_kind_required,  &rules_check_kind_together, &rules_check_kind_length,
    &rules_check_kind_one_of,    &rules_check_kind_pattern,  &rules_check_kind_same,
    &rules_check_kind_absent,    &rules_check_kind_decimal,  &rules_check_kind_date,
    &rules_check_kind_count,     &rules_check_kind_sequence, &rules_check_kind_product,
    &rules_check_kind_sum,       &rules_check_kind_compare,  &rules_check_kind_hs_prefix,
    &rules_check_kind_threshold, &rules_check_kind_unique,   &rules_check_kind_always,
};

const size_t rules_check_kinds_count = ARRAY_SIZE(rules_check_kinds);

/* ------------------------------------------------------------------------------------ */
/* Reading fields                                                                       */
/* ------------------------------------------------------------------------------------ */

/* The field's name as a rules author writes it: "grossWeight", "items[].gcode", "items". */
void rules_field_name(char *buf, size_t buflen, const struct field_ref *fr)
{
    if (!fr->f)
        snprintf(buf, buflen, "items");
    else
        snprintf(buf, buflen, "%s%s", fr->item ? ITEM_PREFIX : "", fr->f->name);
}

/*
 * Call fn for every present, non-empty value of the text fields: once for a header field,
 * once per item for an item field.
 */
void rules_visit_text(const void *check, const struct field_ref *fields, size_t n,
                      const struct declaration *d, text_visit_fn fn, struct findings *fs)
{
    size_t nitems = decl_nitems(d);

    for (size_t i = 0; i < n; i++) {
        const struct field_ref *fr = &fields[i];
        const char *s;

        if (!fr->item) {
            s = decl_get_string(d, fr->f);
            if (s && *s)
                fn(check, fr, s, NULL, 0, fs);
            continue;
        }
        for (size_t j = 0; j < nitems; j++) {
            s = decl_get_string(&d->items[j], fr->f);
            if (s && *s)
                fn(check, fr, s, &d->items[j], j, fs);
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* Wording findings                                                                     */
/* ------------------------------------------------------------------------------------ */

/*
 * A value as it appears in a message: single-quoted, control characters and quotes
 * escaped (values come from senders and end up in logs and receipts), cut after
 * VALUE_SHOW_MAX code points. out must hold QUOTE_MAX bytes.
 */
void rules_quote(char *out, const char *s)
{
    size_t o = 0, chars = 0;

    out[o++] = '\'';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c & 0xC0) != 0x80 && chars++ == VALUE_SHOW_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
        } else if (c == '\'' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '\'';
    out[o] = '\0';
}

/* "grossWeight", "items[gnum=2].gcode", or "items[3].gcode" when the item has no gnum. */
void rules_field_loc(char *buf, const struct field_ref *fr, const struct decl_item *it, size_t idx)
{
    if (!fr->item)
        snprintf(buf, LOC_MAX, "%s", fr->f->name);
    else if (it && it->gnum.present)
        snprintf(buf, LOC_MAX, "items[gnum=%lld].%s", it->gnum.value, fr->f->name);
    else
        snprintf(buf, LOC_MAX, "items[%zu].%s", idx, fr->f->name);
}

/* "items[gnum=2]" or "items[3]". */
void rules_item_loc(char *buf, const struct decl_item *it, size_t idx)
{
    if (it->gnum.present)
        snprintf(buf, LOC_MAX, "items[gnum=%lld]", it->gnum.value);
    else
        snprintf(buf, LOC_MAX, "items[%zu]", idx);
}

/* ------------------------------------------------------------------------------------ */
/* check: always                                                                        */
/* ------------------------------------------------------------------------------------ */

/*
 * Matches every declaration it is evaluated on: with `when`, effective dates or `sample`
 * (2 % random inspection) the rule decides which.
 */
struct check_always {
    char *message;
};

static const char *const always_keys[] = {"message", NULL};

static int always_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_always *c = calloc(1, sizeof(*c));
    const struct ynode *message = ymap_get(rule, "message");

    *out = c;
    if (!c)
        return rules_poom(p);
    if (message) {
        if (rules_want_nonempty_scalar(p, message, "message") < 0)
            return -1;
        c->message = util_strdup(message->value);
        if (!c->message)
            return rules_poom(p);
    }
    return 0;
}

static void always_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_always *c = check;

    (void)cx;
    if (c->message)
        rules_finding(fs, "%s", c->message);
    else
        fs->count++; /* the rule's own words (sampling, when) say why */
}

static void always_free(void *check)
{
    struct check_always *c = check;

    if (!c)
        return;
    free(c->message);
    free(c);
}

static const struct check_kind rules_check_kind_always = {"always", always_keys, always_parse,
                                                          always_eval, always_free};
