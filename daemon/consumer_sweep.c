/*
 * consumer_sweep.c - the consumer's timed sweeps: matching of the parcels due, the
 * unknown_parcel alerts, the lag of its partitions. See consumer_sweep.h.
 */
#include "consumer_sweep.h"

#include <stdlib.h>

#include "log.h"
#include "matching.h"
#include "util.h"

int consumer_sweep_matching(struct store *store, const struct rules *rules, int64_t *due_ms,
                            char *err, size_t errlen)
{
    struct matching_stats st;

    if (now_ms() < *due_ms)
        return STORE_OK;
    int every = rules_matching_on(rules) ? MATCHING_SWEEP_MS : MATCHING_IDLE_MS;
    *due_ms = now_ms() + every;
    for (int round = 0; round < 10; round++) {
        int rc = matching_sweep(store, rules, MATCHING_SWEEP_LIMIT, &st, err, errlen);
        if (rc == STORE_BUSY || rc == STORE_REJECTED) {
            log_warn("matching sweep: %s; retrying in %d ms", err, every);
            return STORE_OK;
        }
        if (rc != STORE_OK)
            return rc;
        if (st.matched || st.expired)
            log_info("matching sweep: %zu parcels matched (%zu of them rejected for a "
                     "mismatch), %zu rejected at the deadline, %zu skipped, %zu events",
                     st.matched, st.rejected, st.expired, st.skipped, st.events);
        if (st.due < MATCHING_SWEEP_LIMIT)
            return STORE_OK;
    }
    return STORE_OK;
}

void consumer_sweep_alerts(struct store *store, unsigned hours, int64_t *due_ms)
{
    char err[1024];
    long raised = 0;

    if (!hours || now_ms() < *due_ms)
        return;
    *due_ms = now_ms() + CONSUMER_ALERTS_SWEEP_MS;
    if (store_sweep_alerts(store, hours, &raised, err, sizeof(err)) != STORE_OK)
        log_warn("alerts sweep: %s; retrying in %d ms", err, CONSUMER_ALERTS_SWEEP_MS);
    else if (raised)
        log_warn("alerts sweep: %ld unknown_parcel alert(s) raised: warehouse scans waiting "
                 "more than %u h for their declaration (customs.alerts)",
                 raised, hours);
}

void consumer_sweep_lag(rd_kafka_t *rk, const struct positions *ps, struct metrics *m,
                        int64_t *due_ms)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (!m || now_ms() < *due_ms)
        return;
    *due_ms = now_ms() + CONSUMER_LAG_SAMPLE_MS;
    if (rd_kafka_assignment(rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR || !assigned)
        return;
    struct metrics_lag *lags = calloc((size_t)assigned->cnt + 1, sizeof(*lags));
    size_t n = 0;
    for (int i = 0; lags && i < assigned->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &assigned->elems[i];
        const struct positions_partition *pp = positions_find(ps, tp->topic, tp->partition);
        int64_t lo = -1, hi = -1;
        if (!pp || !pp->loaded ||
            rd_kafka_get_watermark_offsets(rk, tp->topic, tp->partition, &lo, &hi) || hi < 0)
            continue;
        int64_t from = pp->next >= 0 ? pp->next : lo;
        lags[n++] = (struct metrics_lag){tp->topic, tp->partition, from >= 0 ? hi - from : hi};
    }
    if (lags)
        metrics_set_lag(m, lags, n);
    free(lags);
    rd_kafka_topic_partition_list_destroy(assigned);
}
