/*
 * fuzz_declaration.c - libFuzzer target: one Kafka record value through the CEB603
 * declaration decoder (strict JSON validation, json-c, exact decimals), and when it
 * decodes, through the Mishan rules (config/rules.yaml) and every field accessor, as the
 * consumer (consumer.c) does with each record.
 *
 * Contract checked beyond "no crash, no sanitizer report": a refusal always carries a
 * reason; a decoded declaration always has a non-empty logisticsNo of at most 80
 * characters, at most 100 items, and a decision with a known status code; one with format
 * faults is rejected by CEB603-FORMAT alone, and a fault's value has no control character.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declaration.h"
#include "fuzz.h"
#include "rules.h"
#include "status.h"
#include "util.h"

/* The default rule set, loaded once (NULL when the file cannot be found: decoding only). */
static const struct rules *declaration_rules(void)
{
    static struct rules *rules;
    static int tried;
    char err[1024];

    if (!tried) {
        tried = 1;
        if (rules_load(fuzz_src_path("config/rules.yaml"), &rules, err, sizeof(err)) < 0) {
            fprintf(stderr, "fuzz_declaration: rules not loaded (%s); decoding only\n", err);
            rules = NULL;
        }
    }
    return rules;
}

/* Read one field by its kind, as a rule does; returns a number to keep the reads alive. */
static size_t declaration_touch(const void *base, const struct decl_field *f)
{
    switch (f->kind) {
    case DECL_STRING: {
        const char *s = decl_get_string(base, f);
        return s ? decl_utf8_length(s) : 0;
    }
    case DECL_DECIMAL:
        return decl_get_decimal(base, f)->present;
    case DECL_INTEGER:
        return decl_get_integer(base, f)->present;
    }
    return 0;
}

/* Read every field through the rules engine's accessors (what a rule would read). */
static void declaration_touch_fields(const struct declaration *d)
{
    size_t sum = 0;

    for (size_t i = 0; i < decl_head_field_count; i++)
        sum += declaration_touch(d, &decl_head_fields[i]);
    for (size_t k = 0; k < d->n_items; k++) {
        for (size_t i = 0; i < decl_item_field_count; i++)
            sum += declaration_touch(&d->items[k], &decl_item_fields[i]);
    }
    /* Keep the reads from being optimised away. */
    __asm__ volatile("" : : "r"(sum));
}

int fuzz_declaration(const uint8_t *data, size_t size)
{
    char err[512] = "";
    char *key = NULL;
    /* An exact-size copy, so that ASan sees any read past the end (the decoder must not
     * assume a NUL terminator: Kafka payloads have none). */
    char *copy = malloc(size ? size : 1);
    struct declaration *d;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    d = declaration_decode(copy, size, 0, &key, err, sizeof(err));
    if (!d) {
        if (err[0] == '\0')
            abort(); /* a refusal without a reason would be quarantined without one */
    } else {
        size_t klen = d->logisticsNo ? decl_utf8_length(d->logisticsNo) : 0;
        if (klen == 0 || klen > DECL_MAX_KEY || d->n_items > DECL_MAX_ITEMS)
            abort();
        declaration_touch_fields(d);
        const struct rules *rules = declaration_rules();
        struct decision dec = {0};
        if (rules && rules_evaluate(rules, d, &dec) == 0) {
            /* A decision, or 1 saved for appStatus 1 (never decided: no reasons). */
            if (dec.status_code != STATUS_REJECTED && dec.status_code != STATUS_REVIEW &&
                dec.status_code != STATUS_ACCEPTED && dec.status_code != STATUS_INSPECTION &&
                dec.status_code != STATUS_SAVED)
                abort();
            if (dec.status_code == STATUS_SAVED &&
                (dec.n_reasons != 0 || !d->appStatus || strcmp(d->appStatus, "1") != 0))
                abort();
            for (size_t i = 0; i < dec.n_reasons; i++) {
                if (!dec.reasons[i].rule_id)
                    abort();
            }
            /* A format fault is a rejection by CEB603-FORMAT alone. */
            if (d->n_faults && (dec.status_code != STATUS_REJECTED || dec.n_reasons != 1 ||
                                strcmp(dec.reasons[0].rule_id, RULES_FORMAT_ID) != 0))
                abort();
        }
        /* A fault's value is storable text: no control character (so no U+0000). */
        for (size_t k = 0; k < d->n_faults && k < DECL_MAX_FAULTS; k++) {
            for (const char *c = d->faults[k].value; *c; c++) {
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    abort();
            }
        }
        decision_clear(&dec);
    }
    declaration_free(d);
    free(key);
    free(copy);
    return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_declaration(data, size);
}
#endif
