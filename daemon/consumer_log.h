/*
 * consumer_log.h - the consumer's journal lines for a committed batch: one line per record
 * from what customs.apply_batch recorded for it (batch.h "outcomes" and "details"), never
 * from the decision alone, with the record's journal fields (log.h struct log_record).
 * Pure logging: no I/O other than log.h.
 */
#ifndef CUSTOMSD_CONSUMER_LOG_H
#define CUSTOMSD_CONSUMER_LOG_H

#include <stddef.h>

#include "batch.h"
#include "log.h"

/* Every line names the parcel and the record: "parcel X (topic [p] offset o): ". */
#define REC_FMT     "parcel %s (%s [%" PRId32 "] offset %" PRId64 "): "
#define REC_ARGS(r) (r)->key ? (r)->key : "unknown", (r)->topic, (r)->partition, (r)->offset
/* A per-record line with the journal's fields of the record: `lr` (struct log_record, log.h)
 * of the enclosing block. */
#define rec_info(...)  log_record_line(LOG_LEVEL_INFO, &lr, __VA_ARGS__)
#define rec_warn(...)  log_record_line(LOG_LEVEL_WARN, &lr, __VA_ARGS__)
#define rec_debug(...) log_record_line(LOG_LEVEL_DEBUG, &lr, __VA_ARGS__)

/*
 * One line per record of a committed batch: records[0, n) and what apply_batch recorded
 * for each, outcomes[0, n) (same index). A decision is only named where it is what was
 * recorded (a new declaration, an amendment's re-decision). Every record at info (a plain
 * acceptance too, so the journal finds every parcel), quarantines and refusals at warn;
 * only records whose outcome was not reported (BATCH_OUT_UNKNOWN) at debug. No errors.
 */
void consumer_log_outcomes(const struct batch_record *records, const struct batch_outcome *outcomes,
                           size_t n);

/*
 * The scans of earlier batches, pending until their declaration came, that the batch
 * applied: earlier[0, min(n, cap)) (batch.h struct batch_report), one line each, and one
 * line counting the n - cap that did not fit. No errors.
 */
void consumer_log_earlier_scans(const struct batch_earlier_scan *earlier, size_t cap, size_t n);

#endif
