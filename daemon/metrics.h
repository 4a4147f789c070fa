/*
 * metrics.h - customsd's counters, gauges and histograms, and their rendering in the
 * Prometheus text exposition format (version 0.0.4:
 * https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Pure: no network, no database. One `struct metrics` is made by main and handed to the
 * consumer (consumer_set_metrics) and the relay (relay_start); the HTTP endpoint (httpd.h)
 * renders it. Every function is thread-safe (one mutex; the relay is a thread of its own,
 * the endpoint another) and accepts a NULL `struct metrics *`, which does nothing: the
 * consumer and the relay call them unconditionally.
 *
 * Labels are bounded: topics (the configuration's), outcome letters (batch.h), status
 * codes, rule ids (the loaded rule sets') and assigned partitions; never a logisticsNo. Each
 * labelled family keeps at most a fixed number of label sets (METRICS_MAX_*); what comes
 * after that is counted under the label value "other".
 *
 * The families (all names start with customsd_):
 *   records_total{topic,outcome}            counter  records committed, by what apply_batch
 *                                                    recorded (outcome: applied, duplicate,
 *                                                    amended, cancelled, conflict, refused,
 *                                                    quarantined, scan, pending, unreported)
 *   decisions_total{status_code}            counter  declarations recorded with a decision
 *                                                    (outcome applied or amended) by the
 *                                                    decision's status code (1 = saved)
 *   rule_hits_total{rule_id}                counter  reasons of those decisions, by rule
 *   quarantined_total                       counter  records put in customs.quarantine
 *                                                    (undecodable, refused, conflicts)
 *   batch_size                              histogram  records per committed batch
 *   batch_commit_seconds                    histogram  apply_batch call time of committed
 *                                                    batches (seconds)
 *   batches_total{result}                   counter  committed | fenced | failed
 *   consumer_lag{topic,partition}           gauge    high watermark minus the stored next
 *                                                    offset, per assigned partition
 *   consumer_lag_total                      gauge    their sum
 *   outbox_backlog                          gauge    unpublished outbox rows
 *   outbox_oldest_unpublished_seconds       gauge    age of the oldest of them (0: none)
 *   outbox_published_total, outbox_delivery_failures_total   counters of the relay
 *   postgresql_up, kafka_up                 gauge    1 reachable, 0 not
 *   consumer_state{state}                   gauge    1 for the consumer's state now
 *   partitions_assigned                     gauge
 *   ready                                   gauge    1 when /readyz answers 200
 *   rules_info{version}                     gauge    1 for the rule set in use
 *   rules_reload_failures_total             counter
 *   main_loop_iterations_total              counter  consumer steps of the main loop
 *   build_info{version}                     gauge    1
 * A gauge whose value is not known yet (lag before the first sample, the outbox before the
 * relay asked) is left out.
 */
#ifndef CUSTOMSD_METRICS_H
#define CUSTOMSD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

#define METRICS_MAX_RECORD_LABELS 64   /* (topic, outcome) pairs */
#define METRICS_MAX_STATUS_LABELS 32   /* status codes */
#define METRICS_MAX_RULE_LABELS   1024 /* rule ids */
#define METRICS_MAX_PARTITIONS    1024 /* lag entries */

struct metrics;

/* A new, empty set of metrics; `version` (the build's, copied) goes in build_info. NULL when
 * out of memory. */
struct metrics *metrics_new(const char *version);

void metrics_free(struct metrics *m); /* accepts NULL */

/*
 * A committed batch: records[0..n) with what apply_batch recorded for each (outcomes[i]),
 * and the time of the apply_batch call in milliseconds. Counts records per topic and
 * outcome, decisions per status code and rule hits (declarations recorded A or M, from
 * records[i].decision), quarantines (Q and X), the batch size and commit time.
 */
void metrics_batch_committed(struct metrics *m, const struct batch_record *records,
                             const struct batch_outcome *outcomes, size_t n, int64_t apply_ms);

/* A batch that was not committed: fenced (another instance owns a partition) or failed. */
void metrics_batch_abandoned(struct metrics *m, bool fenced);

/* One partition's lag: records in the log past the stored next offset. */
struct metrics_lag {
    const char *topic; /* copied */
    int32_t partition;
    int64_t lag; /* >= 0 */
};

/* Replace the lag of every partition by lags[0..n) (n = 0: none assigned). */
void metrics_set_lag(struct metrics *m, const struct metrics_lag *lags, size_t n);

/* The sum of the last lags set, or -1 before the first metrics_set_lag. */
int64_t metrics_lag_total(struct metrics *m);

/* The outbox: `backlog` unpublished rows, the oldest `oldest_s` seconds old. */
void metrics_set_outbox(struct metrics *m, int64_t backlog, double oldest_s);

/* The relay's totals (relay.h struct relay_stats): published rows, delivery failures. */
void metrics_set_relay(struct metrics *m, uint64_t published, uint64_t failed);

/* One receipt published as JSON although receipts.format is xml: its payload could not be
 * written as CEB604 XML (relay.c, receipt_xml.h). */
void metrics_receipt_xml_fallback(struct metrics *m);

/*
 * The consumer's state now (main, after every step): `state` is a short name from a fixed
 * list ("schema", "postgresql_down", "postgresql_failing", "kafka_down", "unassigned",
 * "standby", "running"; another name is rendered as "other"), the connections, the number
 * of partitions assigned, and whether it is ready (/readyz) with `why` (one line, copied:
 * what /readyz says).
 */
void metrics_set_state(struct metrics *m, const char *state, bool postgresql_up, bool kafka_up,
                       int partitions, bool ready, const char *why);

/* Whether the consumer is ready; `why` gets the text given with the state ("starting" before
 * the first metrics_set_state). NULL m: not ready. */
bool metrics_ready(struct metrics *m, char *why, size_t whylen);

/* The rule set in use (its version, copied) and the failed reloads so far. */
void metrics_set_rules(struct metrics *m, const char *version, unsigned reload_failures);

/* One iteration of the main loop went by (a consumer step returned). */
void metrics_loop_iteration(struct metrics *m);

/*
 * Everything in the Prometheus text format (version 0.0.4): for each family a # HELP and a
 * # TYPE line, then its samples; label values escaped (backslash, double quote, newline);
 * histograms with cumulative _bucket{le=...} samples up to le="+Inf", _sum and _count.
 * Returns a malloc'd NUL-terminated text (the caller frees it), *len its length, or NULL
 * when out of memory.
 */
char *metrics_render(struct metrics *m, size_t *len);

#endif
