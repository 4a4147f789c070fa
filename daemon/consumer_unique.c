/*
 * consumer_unique.c - pre-check 19 for a range of a consumed batch: holders of its unique
 * keys looked up in the range's transaction, declarations decided again. See
 * consumer_unique.h.
 */
#include "consumer_unique.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matching.h"
#include "status.h"

/* For rules_unique_keys: add each key to the table, or claim it for w->logistics_no. */
struct unique_walk {
    struct unique_table *t;
    const char *logistics_no; /* NULL: add */
    bool failed;
};

static void unique_visit(void *ctx, const struct rules_key *k)
{
    struct unique_walk *w = ctx;
    int rc = w->logistics_no ? unique_claim(w->t, k, w->logistics_no) : unique_add(w->t, k);
    if (rc < 0)
        w->failed = true;
}

int consumer_unique_decide(struct store *store, const struct rules *rules, struct unique_table *t,
                           const struct batch_record *records, size_t n,
                           consumer_unique_decided_fn decided, void *ctx, bool *txn, char *err,
                           size_t errlen)
{
    struct unique_walk w = {t, NULL, false};
    char *request, *answer = NULL;

    *txn = false;
    if (!rules_has_unique(rules))
        return STORE_OK;
    unique_table_reset(t);
    for (size_t i = 0; i < n; i++) {
        if (records[i].kind == BATCH_DECLARATION)
            rules_unique_keys(rules, records[i].decl, unique_visit, &w);
    }
    if (!w.failed && unique_count(t) == 0)
        return STORE_OK;
    if (w.failed || !(request = unique_request(t))) {
        snprintf(err, errlen, "looking up unique keys: out of memory");
        return STORE_ERROR;
    }
    int rc = store_begin(store, err, errlen);
    if (rc == STORE_OK) {
        *txn = true;
        rc = store_unique_holders(store, request, &answer, err, errlen);
    }
    free(request);
    if (rc == STORE_OK && unique_answer(t, answer, err, errlen) < 0)
        rc = STORE_ERROR;
    free(answer);
    if (rc != STORE_OK)
        return rc;

    struct rules_lookup lookup = {unique_holder, t};
    for (size_t i = 0; i < n; i++) {
        const struct batch_record *r = &records[i];
        struct decision dec = {0};
        if (r->kind != BATCH_DECLARATION)
            continue;
        if (rules_evaluate_lookup(rules, r->decl, &lookup, &dec, NULL, NULL) < 0) {
            snprintf(err, errlen, "deciding with unique keys: out of memory");
            return STORE_ERROR;
        }
        matching_hold(rules, r->decl, &dec);
        bool holds = dec.status_code != STATUS_REJECTED && dec.status_code != STATUS_SAVED &&
                     !(r->decl->appType && strcmp(r->decl->appType, "3") == 0);
        decided(ctx, i, &dec);
        if (holds) {
            w.logistics_no = r->decl->logisticsNo;
            rules_unique_keys(rules, r->decl, unique_visit, &w);
            if (w.failed) {
                snprintf(err, errlen, "deciding with unique keys: out of memory");
                return STORE_ERROR;
            }
        }
    }
    return STORE_OK;
}
