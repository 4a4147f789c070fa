/*
 * ctl_ops.h - the operator's commands of customsctl: a parcel's status and history, the
 * consumer's lag per partition, the quarantine (list, show, replay) and the outbox backlog.
 * They read what customsd's configuration points at (`-c FILE`, default
 * /etc/customsd/customsd.yaml): the PostgreSQL database through the views of
 * sql/repeatable/85_operator.sql and 80_officer_views.sql (libpq), and the Kafka brokers
 * (librdkafka: watermarks for `lag`, a producer for `quarantine replay`). Only `quarantine
 * replay` writes: one Kafka record and one row of customs.quarantine_replays.
 *
 * Each command takes the arguments that follow its words on customsctl's command line
 * (a NULL-terminated array: options and operands in any order, "--" ends the options),
 * prints for people on stdout, or one JSON document with --json (json-c), and returns the
 * process exit status: CTL_OPS_EXIT_OK, _NOT_FOUND (no such parcel or quarantined record,
 * or the command refused: the reason on stderr), _USAGE (a bad option or operand: the
 * usage on stderr), _UNREACHABLE (the configuration cannot be loaded, the database or the
 * brokers cannot be reached or answered with an error: the reason on stderr).
 * The synopses below are those customsctl's command table prints.
 */
#ifndef CUSTOMSD_CTL_OPS_H
#define CUSTOMSD_CTL_OPS_H

#define CTL_OPS_EXIT_OK          0
#define CTL_OPS_EXIT_NOT_FOUND   1
#define CTL_OPS_EXIT_USAGE       2
#define CTL_OPS_EXIT_UNREACHABLE 3

/* Where the configuration is read from without -c (customsd's default too). */
#define CTL_OPS_DEFAULT_CONFIG "/etc/customsd/customsd.yaml"

#define CTL_OPS_STATUS_ARGS        "[-c FILE] [--json] LOGISTICS_NO"
#define CTL_OPS_LAG_ARGS           "[-c FILE] [--json]"
#define CTL_OPS_QLIST_ARGS         "[-c FILE] [--json] [--limit N]"
#define CTL_OPS_QSHOW_ARGS         "[-c FILE] [--json | --raw] ID"
#define CTL_OPS_QREPLAY_ARGS       "[-c FILE] [--json] [--force] ID [FILE | -]"
#define CTL_OPS_OUTBOX_STATUS_ARGS "[-c FILE] [--json]"

/*
 * status LOGISTICS_NO: the parcel's current state (customs.parcel_status: status code and
 * name, invtNo, reasons, who set it and when, arrival, departure) and its history
 * (customs.parcel_history: time, kind, from -> to, actor, note), plus any quarantined
 * record of that logisticsNo. _NOT_FOUND when there is no declaration of it.
 */
int ctl_ops_status(char **argv);

/*
 * lag: per partition of the consumed topics (kafka.topics.declarations and .scans), the
 * next offset customsd stored for its group (customs.consumer_offsets, the offsets of
 * record), the brokers' low and high watermarks (rd_kafka_query_watermark_offsets) and the
 * lag = high watermark - stored offset (records not yet applied; with no stored offset,
 * high - low: customsd starts at the earliest). Partitions from the topics' metadata and
 * from the stored offsets.
 */
int ctl_ops_lag(char **argv);

/* quarantine list: the newest N (--limit, default 100) quarantined records, with their
 * latest replay and what became of it. */
int ctl_ops_quarantine_list(char **argv);

/* quarantine show ID: one quarantined record with its raw bytes (a hex dump; --raw writes
 * exactly the stored bytes to stdout, to correct them) and every replay of it. */
int ctl_ops_quarantine_show(char **argv);

/*
 * quarantine replay ID [FILE | -]: produce the record again to the topic customsd consumes
 * (kafka.topics.scans when it came from there, else kafka.topics.declarations), keyed by
 * its logisticsNo: the corrected value read from FILE (or stdin for "-"), or the stored
 * bytes unchanged; then record the replay (customs.record_quarantine_replay: who, when,
 * the new record's topic, partition and offset). customsd decides it as any record. Refused
 * (_NOT_FOUND) when the value would be quarantined again (it cannot be decoded) or the
 * record was replayed before, unless --force.
 */
int ctl_ops_quarantine_replay(char **argv);

/* outbox status: unpublished outbox rows per topic and the age of the oldest
 * (customs.outbox_backlog). */
int ctl_ops_outbox_status(char **argv);

#endif
