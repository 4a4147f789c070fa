/*
 * rules_check_unique.c - the check kind `unique` (pre-check 19, docs/DOMAIN.md section 4):
 * a key of header text fields ("orderNo unique per ebpCode": fields [ebpCode, orderNo])
 * that no other parcel may hold. Who holds a key is not the engine's to know: the
 * evaluation asks the caller's struct rules_lookup (rules.h), which the daemon answers from
 * PostgreSQL in the batch's transaction and `customsctl rules test` from a case's `stored:`
 * parcels. Without a lookup the rule is not evaluated (rules_eval.c traces why).
 */
#include "rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * A finding reads "ebpCode 'E1', orderNo 'O-1' already declared for parcel LN2 (logisticsNo)
 * <message>", the message defaulting to "" (the rule's description and message_zh say why).
 */
struct check_unique {
    size_t n_fields;
    struct field_ref *fields;
    char *message;
};

static const char *const unique_keys[] = {"fields", "message", NULL};

static int unique_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_unique *c = calloc(1, sizeof(*c));
    const struct ynode *fields = ymap_get(rule, "fields"), *message;

    *out = c;
    if (!c)
        return rules_poom(p);
    if (!fields)
        return rules_perr(p, rule, "missing 'fields' (the key: one to %d header fields)",
                          RULES_KEY_FIELDS);
    if (rules_parse_field_list(p, rule, FIELD_TEXT, &c->fields, &c->n_fields) < 0)
        return -1;
    if (c->n_fields == 0 || c->n_fields > RULES_KEY_FIELDS)
        return rules_perr(p, fields, "fields: a key has one to %d fields, not %zu",
                          RULES_KEY_FIELDS, c->n_fields);
    for (size_t i = 0; i < c->n_fields; i++) {
        /* The holders are looked up by the stored columns of the declaration's head. */
        if (c->fields[i].item || !c->fields[i].f->column)
            return rules_perr(p, fields->kids[i],
                              "fields: '%s' cannot be part of a key: only header fields "
                              "stored as columns can (not item fields)",
                              fields->kids[i]->value);
    }
    message = ymap_get(rule, "message");
    if (message && rules_want_nonempty_scalar(p, message, "message") < 0)
        return -1;
    c->message = util_strdup(message ? message->value : "");
    return c->message ? 0 : rules_poom(p);
}

bool rules_unique_key(const void *check, const struct declaration *d, struct rules_key *k)
{
    const struct check_unique *c = check;

    memset(k, 0, sizeof(*k));
    k->n = c->n_fields;
    for (size_t i = 0; i < c->n_fields; i++) {
        const char *v = decl_get_string(d, c->fields[i].f);
        if (!v || is_blank(v))
            return false;
        k->fields[i] = c->fields[i].f->name;
        k->values[i] = v;
    }
    return true;
}

static void unique_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_unique *c = check;
    struct rules_key k;
    char shown[REASON_MAX / 2], q[QUOTE_MAX];
    size_t used = 0;

    if (!cx->lookup || !rules_unique_key(c, cx->d, &k))
        return;
    const char *holder = cx->lookup->holder(cx->lookup->ctx, &k, cx->d->logisticsNo);
    if (!holder) {
        snprintf(fs->note, sizeof(fs->note), "no other parcel holds this key");
        return;
    }
    shown[0] = '\0';
    for (size_t i = 0; i < k.n; i++) {
        rules_quote(q, k.values[i]);
        int w =
            snprintf(shown + used, sizeof(shown) - used, "%s%s %s", i ? ", " : "", k.fields[i], q);
        if (w < 0 || (size_t)w >= sizeof(shown) - used)
            break;
        used += (size_t)w;
    }
    rules_quote(q, holder);
    rules_finding(fs, "%s already declared for parcel %s (logisticsNo)%s%s", shown, q,
                  c->message[0] ? " " : "", c->message);
}

static void unique_free(void *check)
{
    struct check_unique *c = check;

    if (!c)
        return;
    free(c->fields);
    free(c->message);
    free(c);
}

const struct check_kind rules_check_kind_unique = {"unique", unique_keys, unique_parse, unique_eval,
                                                   unique_free};
