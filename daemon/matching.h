/*
 * matching.h - three-document matching (三单对碰, docs/DOMAIN.md section 4 #20 and #13;
 * docs/DESIGN.md "Three-document matching"): the daemon's half. An inventory whose trade
 * mode needs its order (CEB303) and waybill (CEB505) (rules.h rules_matching_needed) and
 * that passes its own rules is recorded in 120 awaiting them (matching_hold, on the
 * consumer's decision); the sweep (matching_sweep) later decides the waiting parcels whose
 * documents are stored, with the `match` rules, or rejects those past the deadline.
 */
#ifndef CUSTOMSD_MATCHING_H
#define CUSTOMSD_MATCHING_H

#include <stddef.h>

#include "declaration.h"
#include "rules.h"
#include "store.h"

#define MATCHING_SWEEP_LIMIT 100  /* parcels taken by one sweep transaction */
#define MATCHING_SWEEP_MS    5000 /* the consumer sweeps at least this often (ms) */
#define MATCHING_IDLE_MS                                                                           \
    60000 /* ... and this often when the rules turn matching off:                                  \
             parcels left waiting by an earlier rule set */

/* The rule ids of matching's own reasons (the wait and the deadline). */
#define MATCHING_WAIT_ID     "MATCHING"
#define MATCHING_DEADLINE_ID "MATCHING-DEADLINE"
#define MATCHING_DEADLINE_ZH "超过时限未收到电子订单或物流运单(三单对碰)"

/*
 * On a decision the rules made on d without documents: when d must wait for its order and
 * waybill (rules_matching_needed), is not a cancellation (appType 3), and the decision is
 * not a rejection (100: rejected at once) nor saved (1), *dec becomes 120 with no reasons
 * (apply_batch gives it the reason naming the missing documents, sql/repeatable/
 * 59_matching.sql) and 1 is returned; otherwise *dec is unchanged and 0 is returned.
 */
int matching_hold(const struct rules *r, const struct declaration *d, struct decision *dec);

/* What one sweep did. */
struct matching_stats {
    size_t due;      /* parcels taken (customs.matching_due) */
    size_t matched;  /* decided with their documents (event 'matched') */
    size_t expired;  /* rejected at the deadline (event 'matching_deadline') */
    size_t rejected; /* of the matched, rejected by a rule (a mismatch) */
    size_t skipped;  /* taken but not decided: no longer 120, or unreadable (logged) */
    size_t events;   /* outbox rows written */
};

/*
 * One sweep transaction on s (no transaction open): take up to `limit` waiting parcels due
 * now (both documents stored, or declared more than rules_matching_deadline_hours(r) ago;
 * rows locked, SKIP LOCKED), decide each (rules_evaluate_docs with its decoded order and
 * waybill; past the deadline without them: 100 with one reason MATCHING_DEADLINE_ID naming
 * what is missing), record the decisions (customs.matching_apply) and commit. Logs one line
 * per parcel decided. Returns STORE_OK with *st, or a store code with err (then nothing was
 * written).
 */
int matching_sweep(struct store *s, const struct rules *r, int limit, struct matching_stats *st,
                   char *err, size_t errlen);

#endif
