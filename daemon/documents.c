/*
 * documents.c - decode and check a CEB303 order, CEB505 waybill or CEB403 receipt of payment
 * from JSON (json-c), with the declaration's decoding steps and one field table per
 * document. See documents.h for what is refused, what is a problem, and why.
 */
#include "documents.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define DOC_MAX_DEPTH 8

/* ------------------------------------------------------------------------------------ */
/* Field tables (documents.h), made as declaration.c makes the CEB603 ones.               */

#define DOC_IS_REQUIRED true
#define DOC_IS_OPTIONAL false
#define DOC_IS_COLUMN   true
#define DOC_IS_PAYLOAD  false

#define DOC_ENTRY(type, field, kind, max, min, req, col)                                           \
    {#field, DECL_##kind, offsetof(type, field), max, min, DOC_IS_##req, DOC_IS_##col},
#define DOC_ORDER_ENTRY(...)      DOC_ENTRY(struct doc_order, __VA_ARGS__)
#define DOC_ORDER_LINE_ENTRY(...) DOC_ENTRY(struct doc_order_line, __VA_ARGS__)
#define DOC_WAYBILL_ENTRY(...)    DOC_ENTRY(struct doc_waybill, __VA_ARGS__)
#define DOC_PAYMENT_ENTRY(...)    DOC_ENTRY(struct doc_payment, __VA_ARGS__)

static const struct decl_field order_fields[] = {DOC_ORDER_FIELDS(DOC_ORDER_ENTRY)};
static const struct decl_field order_line_fields[] = {DOC_ORDER_LINE_FIELDS(DOC_ORDER_LINE_ENTRY)};
static const struct decl_field waybill_fields[] = {DOC_WAYBILL_FIELDS(DOC_WAYBILL_ENTRY)};
static const struct decl_field payment_fields[] = {DOC_PAYMENT_FIELDS(DOC_PAYMENT_ENTRY)};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct doc_spec doc_specs[3] = {
    [DOC_ORDER] = {DOC_ORDER, "order", "CEB303", "ebpCode", "orderNo", order_fields,
                   N(order_fields), sizeof(struct doc_order), "items", order_line_fields,
                   N(order_line_fields), sizeof(struct doc_order_line)},
    [DOC_WAYBILL] = {DOC_WAYBILL, "waybill", "CEB505", "logisticsCode", "logisticsNo",
                     waybill_fields, N(waybill_fields), sizeof(struct doc_waybill), NULL, NULL, 0,
                     0},
    [DOC_PAYMENT] = {DOC_PAYMENT, "payment", "CEB403", "ebcCode", "orderNo", payment_fields,
                     N(payment_fields), sizeof(struct doc_payment), NULL, NULL, 0, 0},
};

/* ------------------------------------------------------------------------------------ */
/* Problems.                                                                              */

static void problem(struct document *doc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct document *doc, const char *fmt, ...)
{
    va_list ap;
    if (doc->n_problems++ >= DOC_MAX_PROBLEMS)
        return; /* counted, not kept */
    va_start(ap, fmt);
    vsnprintf(doc->problems[doc->n_problems - 1], DOC_PROBLEM_MAX, fmt, ap);
    va_end(ap);
}

/* "goodsValue" or "items[2].qty" into buf. */
static const char *where(const char *lines, long item, const char *name, char *buf, size_t len)
{
    if (item < 0)
        snprintf(buf, len, "%s", name);
    else if (*name)
        snprintf(buf, len, "%s[%ld].%s", lines, item, name);
    else
        snprintf(buf, len, "%s[%ld]", lines, item);
    return buf;
}

/* True when s has no control character (it may be shown in a reason, a log line). */
static bool printable(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}

/* Required fields present, texts within their lengths; the fields of one head or line. */
static void check_fields(struct document *doc, const struct decl_field *t, size_t n,
                         const void *base, long item)
{
    char at[64];
    for (size_t i = 0; i < n; i++) {
        const struct decl_field *f = &t[i];
        bool present;
        /* A field with a fault is absent now: its fault is the problem, not "missing". */
        bool faulted = false;
        for (size_t k = 0; k < doc->n_faults && k < DECL_MAX_FAULTS; k++) {
            if (doc->faults[k].item == item && strcmp(doc->faults[k].name, f->name) == 0)
                faulted = true;
        }
        if (f->kind == DECL_STRING) {
            const char *s = decl_get_string(base, f);
            present = s != NULL;
            if (s && f->max_len) {
                size_t chars = decl_utf8_length(s);
                if (chars > f->max_len)
                    problem(doc, "%s: %zu characters, %s allows at most %u",
                            where(doc->spec->lines_name, item, f->name, at, sizeof(at)), chars,
                            doc->spec->standard, f->max_len);
                else if (f->min_len && chars < f->min_len)
                    problem(doc, "%s: '%s' has %zu characters, %s C%u%s expected",
                            where(doc->spec->lines_name, item, f->name, at, sizeof(at)),
                            printable(s) ? s : "...", chars, doc->spec->standard, f->min_len,
                            f->min_len == f->max_len ? "" : " or more");
            }
        } else if (f->kind == DECL_DECIMAL) {
            present = decl_get_decimal(base, f)->present;
        } else {
            present = decl_get_integer(base, f)->present;
        }
        if (!present && f->required && !faulted)
            problem(doc, "%s: missing (required in %s)",
                    where(doc->spec->lines_name, item, f->name, at, sizeof(at)),
                    doc->spec->standard);
    }
}

/* The order's lines: at least one, each gnum once. */
static void check_lines(struct document *doc)
{
    const struct doc_order_line *l = doc->lines;
    bool list_fault = false;
    for (size_t k = 0; k < doc->n_faults && k < DECL_MAX_FAULTS; k++) {
        if (doc->faults[k].item < 0 && strcmp(doc->faults[k].name, "items") == 0)
            list_fault = true;
    }
    if (doc->n_lines == 0 && !list_fault)
        problem(doc, "items: no order line (%s OrderList: at least one)", doc->spec->standard);
    for (size_t i = 0; i < doc->n_lines; i++) {
        if (!l[i].gnum.present)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (l[j].gnum.present && l[j].gnum.value == l[i].gnum.value) {
                problem(doc, "items[%zu].gnum: %lld given twice (also items[%zu])", i,
                        l[i].gnum.value, j);
                break;
            }
        }
    }
}

static void check_document(struct document *doc)
{
    char at[64];
    const struct doc_spec *sp = doc->spec;
    size_t kept = doc->n_faults < DECL_MAX_FAULTS ? doc->n_faults : DECL_MAX_FAULTS;

    for (size_t k = 0; k < kept; k++) {
        const struct decl_fault *f = &doc->faults[k];
        const char *q = f->text ? "'" : "";
        if (f->value[0])
            problem(doc, "%s: %s%s%s %s", where(sp->lines_name, f->item, f->name, at, sizeof(at)),
                    q, f->value, q, f->why);
        else
            problem(doc, "%s: %s", where(sp->lines_name, f->item, f->name, at, sizeof(at)), f->why);
    }
    if (doc->n_faults > kept)
        doc->n_problems += doc->n_faults - kept; /* counted as problems too */
    check_fields(doc, sp->head, sp->n_head, doc->head, -1);
    for (size_t i = 0; i < doc->n_lines; i++)
        check_fields(doc, sp->lines, sp->n_lines, (char *)doc->lines + i * sp->line_size, (long)i);
    if (sp->lines_name)
        check_lines(doc);
}

/* ------------------------------------------------------------------------------------ */
/* Decoding.                                                                              */

struct document *document_decode(enum doc_type type, const char *data, size_t len, size_t max_bytes,
                                 char **key_out, char *err, size_t errlen)
{
    const struct doc_spec *sp = &doc_specs[type];
    char what[32], missing[96];
    snprintf(what, sizeof(what), "an %s", sp->name);
    if (type != DOC_ORDER)
        snprintf(what, sizeof(what), "a %s", sp->name);
    snprintf(missing, sizeof(missing), "%s: missing (it is the %s's key)", sp->key_b, sp->name);
    const struct decl_field *kf = NULL;
    for (size_t i = 0; i < sp->n_head; i++) {
        if (strcmp(sp->head[i].name, sp->key_b) == 0)
            kf = &sp->head[i];
    }
    const struct decl_record_spec rspec = {
        .what = what,
        .default_max_bytes = DECL_DEFAULT_MAX_BYTES,
        .max_depth = DOC_MAX_DEPTH,
        .key_missing = missing,
        .key_despite_duplicate = true, /* as declarations: the sender may get a receipt */
        .key_name = sp->key_b,
        .key_max = kf ? kf->max_len : 0,
    };
    struct json_object *root =
        decl_record_parse(data, len, max_bytes, &rspec, key_out, NULL, err, errlen);
    if (!root)
        return NULL;

    struct document *doc = calloc(1, sizeof(*doc));
    if (doc)
        doc->head = calloc(1, sp->head_size);
    if (!doc || !doc->head) {
        free(doc);
        json_object_put(root);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    doc->spec = sp;
    struct decl_decode_into into = {&doc->n_faults, &doc->faults, sp->standard};
    int rc = decl_decode_fields(root, sp->head, sp->n_head, doc->head, &into, err, errlen);
    if (rc == 0 && sp->lines_name)
        rc = decl_decode_list(root, sp->lines_name, DOC_MAX_LINES, sp->line_size, sp->lines,
                              sp->n_lines, &doc->lines, &doc->n_lines, &into, err, errlen);
    json_object_put(root);
    if (rc < 0) {
        document_free(doc);
        return NULL;
    }
    check_document(doc);
    return doc;
}

const char *document_string(const struct document *doc, const char *name)
{
    const struct doc_spec *sp = doc->spec;
    for (size_t i = 0; i < sp->n_head; i++) {
        if (sp->head[i].kind == DECL_STRING && strcmp(sp->head[i].name, name) == 0)
            return decl_get_string(doc->head, &sp->head[i]);
    }
    return NULL;
}

void document_free(struct document *doc)
{
    if (!doc)
        return;
    const struct doc_spec *sp = doc->spec;
    for (size_t i = 0; i < doc->n_lines; i++)
        decl_free_fields(sp->lines, sp->n_lines, (char *)doc->lines + i * sp->line_size);
    free(doc->lines);
    decl_free_fields(sp->head, sp->n_head, doc->head);
    free(doc->head);
    free(doc->faults);
    free(doc);
}
