/*
 * relay.h - the outbox relay: publishes the rows of customs.outbox (warehouse events and
 * declarer receipts, written in the same transaction as the status change) to Kafka with
 * an idempotent producer (enable.idempotence: no duplicates or reordering from producer
 * retries), keyed by logisticsNo so the events of one parcel stay in order in one
 * partition, and marks a row published only after its successful delivery report.
 * Guarantee (docs/DESIGN.md): every event is published at least once with its stable
 * event_id. One relay per database publishes (advisory-lock lease); others stand by.
 * The lease holder also keeps the partitioned tables' periods ahead and prunes the outbox's
 * rows published more than relay.retention_days ago (sql/repeatable/22_partitions.sql), on
 * taking the lease and every hour.
 *
 * With receipts.format xml, a row on the receipts topic goes out as a CEB604Message
 * (receipt_xml.h) with a "content-type: application/xml" header; a receipt of an order,
 * waybill or payment, or one whose payload cannot be converted (logged, counted in
 * customsd_receipts_xml_fallbacks_total), goes out as its JSON with "content-type:
 * application/json". Same key, same row, marked published the same way. With json (the
 * default) every record is the row's JSON payload, without headers; warehouse events are
 * always JSON without headers.
 *
 * The relay runs in its own thread with its own database connection; it wakes on
 * NOTIFY customs_outbox and otherwise polls every second.
 */
#ifndef CUSTOMSD_RELAY_H
#define CUSTOMSD_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"

struct relay;

struct relay_stats {
    uint64_t published; /* rows delivered and marked published */
    uint64_t failed;    /* delivery failures (retried in a later round) */
};

/*
 * Create the producer and start the relay thread. `cfg` is borrowed for the relay's life,
 * and so is `m` (NULL for none): the relay counts the outbox backlog into it every 5 s
 * (store_outbox_backlog, also while another instance holds the relay lease).
 * Returns 0, or -1 with err set (bad Kafka property, thread creation failure).
 */
int relay_start(const struct config *cfg, struct metrics *m, struct relay **out, char *err,
                size_t errlen) __attribute__((warn_unused_result));

/*
 * Ask the relay thread to stop after its round in flight (whose deliveries it waits for
 * at most 5 s more), without waiting: relay_stop then has less left to wait. Accepts NULL;
 * a second request does nothing.
 */
void relay_request_stop(struct relay *r);

/*
 * Stop: finish the round in flight, mark what was delivered, join the thread, flush the
 * producer for what is left of `flush_ms` milliseconds counted from the first stop request
 * (relay_request_stop or this call), destroy the producer. Rows not yet delivered stay in
 * the outbox for the next run. Accepts NULL.
 */
void relay_stop(struct relay *r, int flush_ms);

/* Counters, read at any time (updated atomically by the relay thread). */
void relay_get_stats(struct relay *r, struct relay_stats *out);

#endif
