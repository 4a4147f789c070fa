/*
 * consumer.h - the declaration consumer: Kafka records in, one PostgreSQL transaction per
 * polled batch out.
 *
 * One step polls up to batch.max_messages records (or batch.max_wait_ms), decodes each
 * (declaration.h), decides it (rules.h), and sends the batch (store_apply_batch_send)
 * together with the fenced next offsets of the partitions it touched; the next step
 * collects the next batch while the database applies it, reads its answer as soon as it
 * arrives (COMMIT, positions, log lines), and only then fences and sends the next, so the
 * batches still commit one after the other, each fenced where the one before ended. A
 * batch that failed or was split is finished (its halves applied) before the next is
 * sent; when it failed, the batch collected meanwhile is dropped and re-read from the
 * stored offsets, and so is it on every rebalance (the batch in flight is finished first,
 * inside the rebalance callback, before positions change). Guarantees (shared
 * docs/DESIGN.md "Guarantees"):
 *   - the offsets of record live in PostgreSQL; on partition assignment the consumer starts at
 *     the stored offset (the earliest offset when none is stored); Kafka commits are made
 *     only after the database commit and are informational;
 *   - a fenced batch (another instance owns the partition now) is abandoned whole and the
 *     consumer re-positions at the stored offsets;
 *   - a database failure abandons the batch whole, pauses the assigned partitions (the
 *     consumer keeps polling so the group membership survives), reconnects with backoff,
 *     re-positions at the stored offsets and resumes. Nothing is quarantined because of it.
 *     A database at another schema release (store.h STORE_SCHEMA) is the same: paused, checked
 *     again with backoff, resumed once migrate.sh has run. An idle consumer checks its
 *     connection every CONSUMER_PING_MS (store_check_idle), so its state stays true.
 */
#ifndef CUSTOMSD_CONSUMER_H
#define CUSTOMSD_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"
#include "rules.h"

/* An idle consumer checks that its connection is still up this often (milliseconds). */
#define CONSUMER_PING_MS 1000

struct consumer;

struct consumer_stats {
    uint64_t records;      /* Kafka records applied (committed) */
    uint64_t declarations; /* new declarations recorded */
    uint64_t duplicates;   /* redelivered identical declarations (no-op) */
    uint64_t conflicts;    /* same logisticsNo, other content */
    uint64_t quarantined;  /* undecodable records */
    uint64_t scans;        /* warehouse scans applied */
    uint64_t refused;      /* records the database refused, quarantined after a split */
    uint64_t batches;      /* committed batches */
    uint64_t fenced;       /* batches refused by the offset fence */
    uint64_t db_failures;  /* batches abandoned because of a database error */
};

/*
 * Create the consumer (subscribed to cfg->topic_declarations and cfg->topic_scans, group
 * cfg->group_id) and
 * the database connection. `rules` is borrowed: it must outlive the consumer or be
 * replaced with consumer_set_rules first. Returns 0 or -1 with err set (bad Kafka
 * property, for instance). A database that is down is not an error here: the consumer
 * starts paused and connects when it can.
 */
int consumer_new(const struct config *cfg, const struct rules *rules, struct consumer **out,
                 char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * One cycle: poll a batch while the one sent before is applied, finish that one, send
 * the new one; or (while the database is unavailable) keep the consumer polled and retry
 * the connection. Blocks at most about batch.max_wait_ms plus the time of one database
 * transaction. Returns the number of records committed in the cycle (0 is normal), or -1
 * after a fatal Kafka error (the caller should exit non-zero; consumer_free finishes the
 * batch in flight).
 */
int consumer_step(struct consumer *p);

/*
 * Swap the rule set between batches and record the new version in the database.
 * `rules` is borrowed as in consumer_new; the previous one may be freed after the call
 * (the batch in flight, decided with it, is finished first: this may block for one
 * database transaction).
 */
void consumer_set_rules(struct consumer *p, const struct rules *rules);

/*
 * Whether the consumer works, for readiness (main: systemd READY=1 and STATUS=). In the
 * order consumer_state checks them: the first that holds is reported.
 */
enum consumer_state {
    CONSUMER_SCHEMA,     /* the database is at another schema release (why: what to run) */
    CONSUMER_DB_DOWN,    /* PostgreSQL unreachable (why: libpq's first line); retrying */
    CONSUMER_DB_FAILING, /* connected, but calls fail: a lock wait, a statement timeout, an
                            error (why says which); retrying */
    CONSUMER_KAFKA_DOWN, /* every Kafka broker is down (librdkafka ALL_BROKERS_DOWN, until a
                            broker answers a metadata request again); why: librdkafka's text */
    CONSUMER_UNASSIGNED, /* no partition assignment yet (since subscribing, or after a
                            revocation): joining the group */
    CONSUMER_STANDBY,    /* assigned no partition: the group has more members than partitions
                            (or the topics do not exist yet) */
    CONSUMER_RUNNING,    /* partitions assigned, database answering at our schema */
};

/*
 * The consumer's state now, as of the last consumer_step; *why (may be NULL) gets a short
 * one-line reason for the states that have one, else "". Both valid until the next step.
 */
enum consumer_state consumer_state(const struct consumer *p, const char **why);

/* Counters since consumer_new (see struct consumer_stats); valid while p lives. */
const struct consumer_stats *consumer_stats(const struct consumer *p);

/*
 * Count into `m` (borrowed, NULL for none) from now on: committed batches with what they
 * recorded, abandoned batches, and the lag of the assigned partitions sampled every 5 s
 * (metrics.h). Call it before the first consumer_step.
 */
void consumer_set_metrics(struct consumer *p, struct metrics *m);

/*
 * The connections as of the last consumer_step, whatever consumer_state reports first:
 * PostgreSQL connected and not paused, Kafka brokers reachable (no ALL_BROKERS_DOWN since a
 * broker last answered), the number of partitions assigned.
 */
void consumer_connections(const struct consumer *p, bool *postgresql_up, bool *kafka_up,
                          int *partitions);

/*
 * Leave the consumer group cleanly (revoke, close) and free everything; the leave is waited
 * for at most 3 s (a silent group coordinator cannot hold a stop). The batch in flight is
 * finished (committed or abandoned) first. Accepts NULL.
 */
void consumer_free(struct consumer *p);

#endif
