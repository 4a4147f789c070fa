/*
 * consumer_slot.h - one polled Kafka record of the consumer and what became of it: decoded
 * by its topic (declaration, warehouse scan, order, waybill, payment; what cannot be read is
 * quarantined), a declaration decided by the rules (and held in 120 by matching_hold), and
 * the batch record (batch.h) that carries it to the database.
 */
#ifndef CUSTOMSD_CONSUMER_SLOT_H
#define CUSTOMSD_CONSUMER_SLOT_H

#include <stdbool.h>

#include <librdkafka/rdkafka.h>

#include "batch.h"
#include "config.h"
#include "declaration.h"
#include "documents.h"
#include "rules.h"
#include "scan.h"

/* One polled record and what became of it; owns everything it points to. */
struct consumer_slot {
    rd_kafka_message_t *msg;
    struct declaration *decl;
    struct warehouse_scan *scan;
    struct document *doc;
    struct decision decision;
    char *key;
    char reason[512];
};

/*
 * Decode and decide the record s->msg (set by the caller; the slot otherwise zeroed) into
 * the slot and its batch record *r (overwritten; it points into the slot and the message,
 * valid until consumer_slot_clear). By topic: cfg->topic_scans a warehouse scan
 * (BATCH_SCAN), the orders, waybills and payments topics a document (BATCH_DOCUMENT), any
 * other a CEB603 declaration decided with `rules` (BATCH_DECLARATION); a record that cannot
 * be read, an empty one, or one whose evaluation ran out of memory is BATCH_QUARANTINE with
 * the reason in s->reason and the key when it could be read (a document's only for a
 * waybill: only its key is a logisticsNo). No errors: every record gets a kind.
 */
void consumer_slot_prepare(const struct config *cfg, const struct rules *rules,
                           struct consumer_slot *s, struct batch_record *r);

/*
 * The slot's declaration decided again (pre-check 19): s->decision is replaced by *dec,
 * whose contents the slot takes over. Returns whether it differs from the one it replaces
 * in anything the batch document carries (status code, rules version, reasons).
 */
bool consumer_slot_redecide(struct consumer_slot *s, struct decision *dec);

/* Free what the slot holds (the message too) and zero it. */
void consumer_slot_clear(struct consumer_slot *s);

#endif
