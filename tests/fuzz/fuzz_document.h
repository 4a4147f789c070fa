/*
 * fuzz_document.h - the contract the order, waybill and payment fuzz targets check
 * (fuzz_order.c, fuzz_waybill.c, fuzz_payment.c): one Kafka record value through
 * document_decode as the consumer (consumer.c) does with each record of the orders,
 * waybills and payments topics.
 *
 * Beyond "no crash, no sanitizer report": a refusal always carries a reason; a decoded
 * document has its spec, its key member present (1 to its length), at most DOC_MAX_LINES
 * lines (orders only), every kept problem a non-empty text, and no problem exactly when
 * every required field is present, every text within its standard length and no fault.
 */
#ifndef CUSTOMSD_FUZZ_DOCUMENT_H
#define CUSTOMSD_FUZZ_DOCUMENT_H

#include <stdlib.h>
#include <string.h>

#include "documents.h"

/* The fields of one head or line keep their lengths and, with no problem, are complete. */
static inline void fuzz_document_fields(const struct decl_field *t, size_t n, const void *base,
                                        int clean)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == DECL_STRING) {
            const char *s = decl_get_string(base, &t[i]);
            if (s && clean && decl_utf8_length(s) > t[i].max_len)
                abort();
            if (!s && clean && t[i].required)
                abort();
        } else if (t[i].kind == DECL_DECIMAL) {
            if (clean && t[i].required && !decl_get_decimal(base, &t[i])->present)
                abort();
        } else if (clean && t[i].required && !decl_get_integer(base, &t[i])->present) {
            abort();
        }
    }
}

static inline int fuzz_document(enum doc_type type, const uint8_t *data, size_t size)
{
    char err[512] = "";
    char *key = NULL;
    char *copy = malloc(size ? size : 1); /* exact size: no NUL terminator to lean on */
    struct document *doc;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    doc = document_decode(type, copy, size, 0, &key, err, sizeof(err));
    if (!doc) {
        if (err[0] == '\0')
            abort();
    } else {
        const struct doc_spec *sp = doc->spec;
        if (sp != &doc_specs[type] || !key)
            abort();
        const char *k = document_string(doc, sp->key_b);
        if (!k || strcmp(k, key) != 0 || decl_utf8_length(k) == 0)
            abort();
        if (doc->n_lines > DOC_MAX_LINES || (!sp->lines_name && doc->n_lines))
            abort();
        for (size_t i = 0; i < doc->n_problems && i < DOC_MAX_PROBLEMS; i++) {
            if (doc->problems[i][0] == '\0')
                abort();
        }
        if ((doc->n_faults > 0) != (doc->n_faults > 0 && doc->n_problems > 0))
            abort(); /* every fault is a problem */
        int clean = doc->n_problems == 0;
        fuzz_document_fields(sp->head, sp->n_head, doc->head, clean);
        for (size_t i = 0; i < doc->n_lines; i++)
            fuzz_document_fields(sp->lines, sp->n_lines,
                                 (const char *)doc->lines + i * sp->line_size, clean);
        if (clean && sp->lines_name && doc->n_lines == 0)
            abort();
    }
    document_free(doc);
    free(key);
    free(copy);
    return 0;
}

#endif
