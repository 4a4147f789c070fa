/*
 * rules_check_match.c - the check kind `match`: three-document matching (三单对碰,
 * docs/DOMAIN.md section 4 #20 and #13), the inventory (CEB603) against its e-commerce
 * order (CEB303) and logistics waybill (CEB505), or the order against the waybill. Which
 * comparison a rule makes is its `compare:`
 *
 *   goods_value  the sum of items[].totalPrice equals the order's goodsValue (exact)
 *   currency     every item's currency equals the order's currency
 *   items        per gnum: the item's gcode and qty equal the order line's; a gnum on one
 *                side only is a finding
 *   consignee    the order's consignee equals the waybill's (both present)
 *   weight       |grossWeight - the waybill's grossWeight| <= `tolerance` (kg, default 0)
 *   pack_no      packNo equals the waybill's packNo
 *
 * The documents are not the engine's to find: the caller hands them in a struct
 * rules_documents (rules.h) to rules_evaluate_docs; without them a `match` rule is not
 * evaluated (rules_eval.c traces why). A field absent on either side is no finding here:
 * the format checks of each document own presence. Findings name both sides: "goodsValue
 * of order 'ORD1' is 1399, the inventory's items total 1299".
 */
#include "rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "documents.h"
#include "util.h"

enum match_compare { M_GOODS_VALUE, M_CURRENCY, M_ITEMS, M_CONSIGNEE, M_WEIGHT, M_PACK_NO };

static const char *const compare_names[] = {"goods_value", "currency", "items", "consignee",
                                            "weight",      "pack_no",  NULL};

struct check_match {
    enum match_compare compare;
    struct decimal tolerance; /* weight: kg */
};

static const char *const match_keys[] = {"compare", "tolerance", NULL};

static int match_parse(struct rules_parser *p, const struct ynode *rule, void **out)
{
    struct check_match *c = calloc(1, sizeof(*c));
    const struct ynode *compare = ymap_get(rule, "compare"), *tol = ymap_get(rule, "tolerance");
    char known[160];

    *out = c;
    if (!c)
        return rules_poom(p);
    rules_names_join(compare_names, known, sizeof(known));
    if (!compare)
        return rules_perr(p, rule, "missing 'compare' (one of %s)", known);
    if (rules_want_nonempty_scalar(p, compare, "compare") < 0)
        return -1;
    size_t i = 0;
    while (compare_names[i] && strcmp(compare_names[i], compare->value) != 0)
        i++;
    if (!compare_names[i])
        return rules_perr(p, compare, "compare: '%s' is not one of %s", compare->value, known);
    c->compare = (enum match_compare)i;
    if (tol) {
        if (c->compare != M_WEIGHT)
            return rules_perr(p, tol, "tolerance: only 'compare: weight' has a tolerance");
        if (rules_parse_decimal_node(p, tol, "tolerance", &c->tolerance) < 0)
            return -1;
        if (decimal_is_negative(c->tolerance))
            return rules_perr(p, tol, "tolerance: must not be negative");
    }
    return 0;
}

/* Two texts equal, NULL equal to NULL only. */
static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void show_decimal(char *buf, size_t len, struct decimal v)
{
    decimal_format(v, buf, len);
}

static void match_goods_value(const struct eval_ctx *cx, const struct doc_order *o, const char *ono,
                              struct findings *fs)
{
    const struct declaration *d = cx->d;
    struct decimal sum = {0};
    char a[DECIMAL_TEXT_MAX], b[DECIMAL_TEXT_MAX];

    if (!o->goodsValue.present)
        return;
    for (size_t i = 0; i < decl_nitems(d); i++) {
        if (!d->items[i].totalPrice.present)
            return; /* the inventory's own checks say so */
        if (decimal_add(sum, d->items[i].totalPrice.value, &sum) < 0)
            return;
    }
    show_decimal(a, sizeof(a), o->goodsValue.value);
    show_decimal(b, sizeof(b), sum);
    if (decimal_cmp(sum, o->goodsValue.value) != 0)
        rules_finding(fs, "goodsValue of order %s is %s, the inventory's items total %s", ono, a,
                      b);
    else
        snprintf(fs->note, sizeof(fs->note), "items total %s = goodsValue of order %.64s", b, ono);
}

static void match_currency(const struct eval_ctx *cx, const struct doc_order *o, const char *ono,
                           struct findings *fs)
{
    const struct declaration *d = cx->d;
    char a[QUOTE_MAX], b[QUOTE_MAX], loc[LOC_MAX];

    if (!o->currency)
        return;
    rules_quote(a, o->currency);
    for (size_t i = 0; i < decl_nitems(d); i++) {
        const char *cur = d->items[i].currency;
        if (!cur || same_text(cur, o->currency))
            continue;
        rules_item_loc(loc, &d->items[i], i);
        rules_quote(b, cur);
        rules_finding(fs, "currency of order %s is %s, the inventory's %s.currency is %s", ono, a,
                      loc, b);
    }
}

static const struct doc_order_line *order_line(const struct document *order, long long gnum)
{
    const struct doc_order_line *lines = order->lines;

    for (size_t j = 0; lines && j < order->n_lines; j++) {
        if (lines[j].gnum.present && lines[j].gnum.value == gnum)
            return &lines[j];
    }
    return NULL;
}

static void match_items(const struct eval_ctx *cx, const struct document *order, const char *ono,
                        struct findings *fs)
{
    const struct declaration *d = cx->d;
    const struct doc_order_line *lines = order->lines;
    char a[QUOTE_MAX], b[QUOTE_MAX], x[DECIMAL_TEXT_MAX], y[DECIMAL_TEXT_MAX];

    for (size_t i = 0; i < decl_nitems(d); i++) {
        const struct decl_item *it = &d->items[i];
        if (!it->gnum.present)
            continue;
        const struct doc_order_line *l = order_line(order, it->gnum.value);
        if (!l) {
            rules_finding(fs, "items[gnum=%lld] of the inventory has no line in order %s",
                          it->gnum.value, ono);
            continue;
        }
        if (it->gcode && l->gcode && strcmp(it->gcode, l->gcode) != 0) {
            rules_quote(a, l->gcode);
            rules_quote(b, it->gcode);
            rules_finding(fs, "gcode of order %s line gnum=%lld is %s, the inventory's is %s", ono,
                          it->gnum.value, a, b);
        }
        if (it->qty.present && l->qty.present && decimal_cmp(it->qty.value, l->qty.value) != 0) {
            show_decimal(x, sizeof(x), l->qty.value);
            show_decimal(y, sizeof(y), it->qty.value);
            rules_finding(fs, "qty of order %s line gnum=%lld is %s, the inventory's is %s", ono,
                          it->gnum.value, x, y);
        }
    }
    for (size_t j = 0; lines && j < order->n_lines; j++) {
        bool found = false;
        if (!lines[j].gnum.present)
            continue;
        for (size_t i = 0; i < decl_nitems(d) && !found; i++)
            found = d->items[i].gnum.present && d->items[i].gnum.value == lines[j].gnum.value;
        if (!found)
            rules_finding(fs, "order %s line gnum=%lld is not in the inventory", ono,
                          lines[j].gnum.value);
    }
}

static void match_consignee(const struct doc_order *o, const struct doc_waybill *w, const char *ono,
                            const char *wno, struct findings *fs)
{
    char a[QUOTE_MAX], b[QUOTE_MAX];

    if (!o->consignee || !w->consignee || strcmp(o->consignee, w->consignee) == 0)
        return;
    rules_quote(a, o->consignee);
    rules_quote(b, w->consignee);
    rules_finding(fs, "consignee of order %s is %s, of waybill %s %s", ono, a, wno, b);
}

static void match_weight(const struct check_match *c, const struct eval_ctx *cx,
                         const struct doc_waybill *w, const char *wno, struct findings *fs)
{
    struct decimal diff;
    char a[DECIMAL_TEXT_MAX], b[DECIMAL_TEXT_MAX], t[DECIMAL_TEXT_MAX], dd[DECIMAL_TEXT_MAX];

    if (!cx->d->grossWeight.present || !w->grossWeight.present ||
        decimal_sub(cx->d->grossWeight.value, w->grossWeight.value, &diff) < 0)
        return;
    diff = decimal_abs(diff);
    show_decimal(a, sizeof(a), w->grossWeight.value);
    show_decimal(b, sizeof(b), cx->d->grossWeight.value);
    show_decimal(t, sizeof(t), c->tolerance);
    show_decimal(dd, sizeof(dd), diff);
    if (decimal_cmp(diff, c->tolerance) > 0)
        rules_finding(fs,
                      "grossWeight of waybill %s is %s kg, the inventory's is %s kg (%s kg "
                      "apart, tolerance %s kg)",
                      wno, a, b, dd, t);
    else
        snprintf(fs->note, sizeof(fs->note), "%s kg apart, within %s kg", dd, t);
}

static void match_pack_no(const struct eval_ctx *cx, const struct doc_waybill *w, const char *wno,
                          struct findings *fs)
{
    if (!cx->d->packNo.present || !w->packNo.present || cx->d->packNo.value == w->packNo.value)
        return;
    rules_finding(fs, "packNo of waybill %s is %lld, the inventory's is %lld", wno, w->packNo.value,
                  cx->d->packNo.value);
}

static void match_eval(const void *check, const struct eval_ctx *cx, struct findings *fs)
{
    const struct check_match *c = check;
    const struct rules_documents *docs = cx->docs;
    char ono[QUOTE_MAX], wno[QUOTE_MAX];

    if (!docs || !docs->order || !docs->waybill)
        return;
    const struct doc_order *o = docs->order->head;
    const struct doc_waybill *w = docs->waybill->head;
    rules_quote(ono, o->orderNo ? o->orderNo : "");
    rules_quote(wno, w->logisticsNo ? w->logisticsNo : "");
    switch (c->compare) {
    case M_GOODS_VALUE:
        match_goods_value(cx, o, ono, fs);
        break;
    case M_CURRENCY:
        match_currency(cx, o, ono, fs);
        break;
    case M_ITEMS:
        match_items(cx, docs->order, ono, fs);
        break;
    case M_CONSIGNEE:
        match_consignee(o, w, ono, wno, fs);
        break;
    case M_WEIGHT:
        match_weight(c, cx, w, wno, fs);
        break;
    case M_PACK_NO:
        match_pack_no(cx, w, wno, fs);
        break;
    }
}

static void match_free(void *check)
{
    free(check);
}

const struct check_kind rules_check_kind_match = {"match", match_keys, match_parse, match_eval,
                                                  match_free};
