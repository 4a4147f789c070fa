/*
 * unique.h - the keys of pre-check 19 (orderNo unique per ebpCode, copNo per sender;
 * docs/DOMAIN.md section 4) for one batch: which keys the batch's declarations carry, which
 * other parcels hold them (the database's answer to customs.unique_holders, and the
 * parcels decided earlier in the same batch), and the struct rules_lookup the rules engine
 * asks. Pure: no I/O; consumer.c sends the request through store and hands back the answer.
 *
 * The request (JSON text, for customs.unique_holders in sql/repeatable/45_unique.sql):
 *   {"keys": [{"f": ["ebpCode", "orderNo"], "v": ["E01", "O-1"]}, ...]}
 * one entry per distinct key, in the order added; "f" the CEB603 header field names of the
 * key, "v" their values. The answer: [{"i": 0, "h": ["LN1", "LN2"]}, ...], for each key
 * held by a stored parcel (other than saved 1 or rejected 100) its index in the request and
 * up to two holders' logisticsNo, the earliest declared first (two, so that one which is
 * not the asking parcel itself is always known).
 */
#ifndef CUSTOMSD_UNIQUE_H
#define CUSTOMSD_UNIQUE_H

#include <stddef.h>

#include "rules.h"

struct unique_table;

/* An empty table, or NULL when out of memory. */
struct unique_table *unique_table_new(void);

/* Free it (NULL is fine). */
void unique_table_free(struct unique_table *t);

/* Forget every key (the table is reused batch after batch). */
void unique_table_reset(struct unique_table *t);

/* Add key k (copied) unless the table has it. Returns 0, or -1 when out of memory. */
int unique_add(struct unique_table *t, const struct rules_key *k);

/* Number of distinct keys added. */
size_t unique_count(const struct unique_table *t);

/* The request for the keys added (see above), heap text the caller frees; NULL when out of
 * memory. */
char *unique_request(const struct unique_table *t);

/*
 * Record the database's answer (see above). Returns 0, or -1 with why ("not an array",
 * "entry 3: key index 7 out of range", ...) when it cannot be read: then nothing is
 * recorded and the caller must not decide on it.
 */
int unique_answer(struct unique_table *t, const char *answer, char *why, size_t whylen);

/*
 * A parcel of this batch, decided before the ones after it, holds k from now on (when no
 * parcel of the batch holds it yet): a later record of the batch carrying k under another
 * logisticsNo collides with it. Returns 0, or -1 when out of memory or k was never added.
 */
int unique_claim(struct unique_table *t, const struct rules_key *k, const char *logistics_no);

/*
 * struct rules_lookup's holder (ctx is the table): a stored parcel holding k other than
 * logistics_no, else the batch's claimant if it is another parcel, else NULL. The text is
 * the table's, valid until the next reset.
 */
const char *unique_holder(void *ctx, const struct rules_key *k, const char *logistics_no);

#endif
