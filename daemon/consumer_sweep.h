/*
 * consumer_sweep.h - the consumer's timed sweeps between batches: three-document matching
 * of the parcels due (matching.h) and the unknown_parcel alerts (sql/repeatable/25_holds.sql),
 * each on the consumer's database connection, and the lag of its partitions (metrics.h),
 * each when its time has come.
 */
#ifndef CUSTOMSD_CONSUMER_SWEEP_H
#define CUSTOMSD_CONSUMER_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "metrics.h"
#include "positions.h"
#include "rules.h"
#include "store.h"

/* The unknown-parcel sweep runs this often (milliseconds) when alerts are on. */
#define CONSUMER_ALERTS_SWEEP_MS 10000

/*
 * Matching (matching.h): when *due_ms (now_ms() clock, milliseconds; 0 = at once) has come,
 * decide the waiting parcels that are due, a page of MATCHING_SWEEP_LIMIT at a time, a full
 * page followed by the next (at most 10 pages), and set *due_ms to the next sweep:
 * MATCHING_SWEEP_MS ahead (MATCHING_IDLE_MS when the rules turn matching off). The caller
 * sets *due_ms to 0 after a batch that stored documents or waiting parcels. Matched and
 * expired parcels are logged at info.
 * Returns STORE_OK (also when not due, and after a lock or statement timeout or a value
 * refused, which is logged at warn and retried at the next interval), or the store code of
 * a database failure with err set (the caller pauses as for a failed batch).
 */
int consumer_sweep_matching(struct store *store, const struct rules *rules, int64_t *due_ms,
                            char *err, size_t errlen);

/*
 * Alerts: when `hours` is not 0 and *due_ms (now_ms() clock) has come, raise an
 * unknown_parcel alert for each warehouse scan that has waited `hours` hours for its
 * declaration (store_sweep_alerts), and set *due_ms CONSUMER_ALERTS_SWEEP_MS ahead.
 * A failure is logged at warn and retried at the next interval (the next batch meets an
 * outage); raised alerts are counted at warn. No errors returned.
 */
void consumer_sweep_alerts(struct store *store, unsigned hours, int64_t *due_ms);

/* The lag of the assigned partitions is sampled this often (milliseconds). */
#define CONSUMER_LAG_SAMPLE_MS 5000

/*
 * When `m` is not NULL and *due_ms (now_ms() clock) has come: the lag of each assigned
 * partition of `rk` whose stored offset is known (positions `ps`), from the high watermark
 * librdkafka last saw in a fetch (rd_kafka_get_watermark_offsets: no request, no wait) minus
 * the stored next offset (the low watermark when none is stored), into metrics_set_lag; sets
 * *due_ms CONSUMER_LAG_SAMPLE_MS ahead. Out of memory: no sample this time. No errors.
 */
void consumer_sweep_lag(rd_kafka_t *rk, const struct positions *ps, struct metrics *m,
                        int64_t *due_ms);

#endif
