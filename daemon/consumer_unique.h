/*
 * consumer_unique.h - pre-check 19 (rules `unique`, docs/DESIGN.md "Uniqueness") for one
 * range of a consumed batch: look up the holders of the range's unique keys in the
 * transaction the range will be applied in, and decide its declarations again with them.
 */
#ifndef CUSTOMSD_CONSUMER_UNIQUE_H
#define CUSTOMSD_CONSUMER_UNIQUE_H

#include <stdbool.h>
#include <stddef.h>

#include "batch.h"
#include "rules.h"
#include "store.h"
#include "unique.h"

/*
 * Called for each declaration decided again: record i of the range (0-based) now has the
 * decision *dec, whose contents the callee takes over (decision_clear it when done).
 */
typedef void (*consumer_unique_decided_fn)(void *ctx, size_t i, struct decision *dec);

/*
 * When `rules` have unique keys and declarations of records[0, n) (batch order) carry some:
 * begin the transaction the range will be applied in (store_begin, *txn = true), lock the
 * keys and look up their holders (store_unique_holders, customs.unique_holders), and decide
 * those declarations again with the answer (rules_evaluate_lookup, then matching_hold), in
 * batch order: a declaration decided before another in the range holds its keys unless it
 * was rejected (or saved, or is a cancellation). Each new decision goes to decided(ctx, i,
 * &dec). `t` is the caller's scratch table (reset here). Without unique keys nothing is
 * done and *txn = false.
 * Returns STORE_OK, or a store code with err set: STORE_ERROR "out of memory" or a failed
 * lookup, or the code of store_begin/store_unique_holders. The caller ends the transaction
 * with store_finish whenever *txn is true, either way.
 */
int consumer_unique_decide(struct store *store, const struct rules *rules, struct unique_table *t,
                           const struct batch_record *records, size_t n,
                           consumer_unique_decided_fn decided, void *ctx, bool *txn, char *err,
                           size_t errlen);

#endif
