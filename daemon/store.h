/*
 * store.h - the PostgreSQL adapter (libpq): applies a batch of decided declarations and
 * quarantined records in one transaction together with the fenced consumer offsets, loads
 * stored offsets on partition assignment, and serves the outbox relay.
 *
 * The tables, the view and the batch function live in sql/ (schema `customs`). The batch
 * is sent as one JSON document (batch.h) to customs.apply_batch() so a batch costs one
 * round trip.
 * Guarantee (docs/DESIGN.md "Guarantees"): the next offset of every (group, topic,
 * partition) is stored in the same transaction as the rows it produced; the update is
 * fenced so an instance that lost the partition cannot commit.
 *
 * A struct store owns one connection and is used by one thread at a time. Every call
 * reconnects first when the connection was lost, and is bounded (struct store_limits). Every
 * connection first checks the schema release (customs.schema_migrations and
 * customs.schema_release against schema_expected(), schema.h): a database at another release
 * is not used (STORE_SCHEMA) and the connection is closed again. A failed
 * call returns STORE_ERROR, or STORE_BUSY when a statement gave up waiting (a lock, the
 * statement timeout, a cancel), and leaves nothing half-written (the transaction is rolled
 * back).
 */
#ifndef CUSTOMSD_STORE_H
#define CUSTOMSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

enum store_result {
    STORE_OK = 0,
    STORE_ERROR = -1,    /* database unreachable or statement failed; retry later */
    STORE_FENCED = -2,   /* an offset fence failed: another instance owns a partition now */
    STORE_BUSY = -4,     /* a statement gave up waiting: lock_timeout (SQLSTATE 55P03, a row
                            lock held by another session), statement_timeout or a cancel
                            (57014). Nothing written; retry later like STORE_ERROR. */
    STORE_REJECTED = -3, /* the database refused the batch's data (SQLSTATE class 22 data
                            exception, 23 constraint violation, P0 raised by a function,
                            CS010 a transition the status state machine refused)
                            while the connection is fine: retrying the same batch would
                            fail again, so the caller splits it. (CS002, a batch that does
                            not match its fences, is a caller bug: STORE_ERROR.) */
    STORE_SCHEMA = -5,   /* connected, but the database's schema is not the release this
                            customsd was built for (schema.h): err names the migration or the
                            action (run migrate.sh, upgrade customsd). Nothing was used;
                            every later call checks again. */
};

struct store;

/*
 * Bounds on every database call. connect_timeout_s (seconds) goes to libpq's
 * connect_timeout; statement_timeout_ms and lock_timeout_ms (milliseconds, 0 = none) are
 * SET for the session after connecting. TCP keepalives (idle 10 s, interval 5 s, count 3)
 * and tcp_user_timeout 15000 ms are asked for too. A parameter the conninfo sets itself
 * (connect_timeout, keepalives*, tcp_user_timeout) keeps the conninfo's value.
 */
struct store_limits {
    unsigned connect_timeout_s;
    unsigned statement_timeout_ms;
    unsigned lock_timeout_ms;
};

/* The defaults: 5 s, 10000 ms, 5000 ms (config.h has the same for the configuration). */
extern const struct store_limits store_default_limits;

/*
 * Connect. `conninfo` is a libpq connection string or URI ("" = PG* environment
 * variables). `limits` bounds every call (NULL = store_default_limits).
 * `topic_events`/`topic_receipts` are the Kafka topics the outbox rows are written for (warehouse
 * events, declarer receipts). Returns STORE_OK and *out, STORE_SCHEMA (the database answered,
 * at another schema release: err says which migration or what to do), or STORE_ERROR with the
 * libpq message in err. *out is set even on STORE_ERROR and STORE_SCHEMA when only the
 * connection or the schema failed, so the caller can retry with store_reconnect; check `*out`.
 */
int store_open(const char *conninfo, const struct store_limits *limits, const char *topic_events,
               const char *topic_receipts, struct store **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

void store_close(struct store *s); /* accepts NULL */

/*
 * Re-establish the connection (check the schema release, prepare the statements) if it is
 * down. STORE_OK, STORE_SCHEMA or STORE_ERROR (err as for store_open).
 */
int store_reconnect(struct store *s, char *err, size_t errlen) __attribute__((warn_unused_result));

/* 1 when the connection is up (the last call did not lose it), 0 otherwise. */
int store_connected(const struct store *s);

/*
 * Is an idle connection still up? Reads what the server sent unasked (a shutdown's FATAL,
 * the end of the connection) without sending anything, so it costs a poll and leaves the
 * session's last statement as it was (pg_stat_activity); a connection already lost is
 * reconnected. STORE_OK, or STORE_ERROR / STORE_SCHEMA (as store_reconnect) with err set.
 * A server that vanished without closing is found by the TCP keepalives (store_limits).
 */
int store_check_idle(struct store *s, char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * Record a rule set (version = SHA-256 hex, text = the YAML) in customs.rule_set_versions,
 * once per version. STORE_OK or STORE_ERROR.
 */
int store_register_rules(struct store *s, const char *version, const char *text, char *err,
                         size_t errlen) __attribute__((warn_unused_result));

/*
 * Stored next offsets for `n` partitions of (group, topic): offsets_out[i] = next offset
 * to read for partitions[i], or -1 when none is stored yet. STORE_OK or STORE_ERROR.
 */
int store_load_offsets(struct store *s, const char *group, const char *topic,
                       const int32_t *partitions, size_t n, int64_t *offsets_out, char *err,
                       size_t errlen) __attribute__((warn_unused_result));

/*
 * Apply one batch in one transaction: declarations (one row per logisticsNo), items,
 * status history, outbox events and receipts, quarantine rows, and the fenced offset
 * update of every partition in `offsets`. Redelivery-safe: a record whose logisticsNo is
 * already stored with identical content changes nothing.
 * Amendments (decl->appType "2") and cancellations ("3") and warehouse scans (BATCH_SCAN,
 * `scan` set, scanned_at normalised as scan.h says) move stored parcels through the status
 * state machine in the database (sql/repeatable/30_state_machine.sql); what it refuses is
 * recorded, not an error. A scan for a logisticsNo not declared yet is kept and applied when the
 * declaration arrives. Semantics: the comments of sql/repeatable/50_scans.sql and
 * 55_amendments.sql.
 * The records go as the rows of batch.h staged by COPY, the offsets as its fences, in one
 * transaction: the caller's (store_begin) or, when none is open, one of its own; a record
 * batch_stage_rows
 * refuses (a caller bug) is STORE_ERROR with "applying a batch: <why>", nothing sent.
 * `group` is the consumer group id. Returns STORE_OK (and fills *res if not NULL, and
 * *report if not NULL: what was recorded for each record and the earlier scans applied,
 * batch.h's batch_answer_parse; all BATCH_OUT_UNKNOWN and no earlier scans, with a
 * warning logged, when the answer's report is unreadable),
 * STORE_FENCED (nothing written), STORE_REJECTED (nothing written; one of the records'
 * data was refused: err says why), STORE_BUSY (nothing written; a lock wait or statement
 * timeout: retry later) or STORE_ERROR (nothing written; the database is unavailable or
 * failing: retry later).
 */
int store_apply_batch(struct store *s, const char *group, const struct batch_record *records,
                      size_t n_records, const struct batch_offset *offsets, size_t n_offsets,
                      struct batch_result *res, struct batch_report *report, char *err,
                      size_t errlen) __attribute__((warn_unused_result));

/*
 * store_apply_batch in two halves, so that the caller can work while the database applies
 * the batch (the consumer collects and decides the next one), inside store_begin /
 * store_finish: store_apply_batch_send stages the rows (one round trip, then the rows
 * streamed) and returns (STORE_OK once sent, or STORE_ERROR / STORE_BUSY with err: rows
 * refused as store_apply_batch says, "not in a transaction", or the connection failed;
 * nothing applied); the batch itself (apply_batch_staged) is sent as soon as the COPY's
 * result is in, from store_apply_batch_ready or store_apply_batch_wait. Then
 * store_apply_batch_wait reads its answer, with store_apply_batch's results and return codes
 * (STORE_ERROR "no batch was sent" without a send; a row the COPY refused is STORE_REJECTED
 * like a record the batch refused). Between the two, no other call may use the store but
 * store_apply_batch_ready, which says without waiting whether the answer (or a failure) has
 * arrived, so that the wait will not block (always true when nothing was sent). The call
 * counts as open for store_interrupt_all from the send to the end of the wait.
 */
int store_apply_batch_send(struct store *s, const char *group, const struct batch_record *records,
                           size_t n_records, const struct batch_offset *offsets, size_t n_offsets,
                           char *err, size_t errlen) __attribute__((warn_unused_result));
/*
 * store_apply_batch_send with the rows built already (batch_stage_rows: `rows`, malloc'd,
 * `len` bytes; freed here in every case). `group` must stay valid until the wait. Same
 * returns.
 */
int store_apply_batch_send_rows(struct store *s, const char *group, char *rows, size_t len,
                                const struct batch_offset *offsets, size_t n_offsets, char *err,
                                size_t errlen) __attribute__((warn_unused_result));
bool store_apply_batch_ready(struct store *s);
int store_apply_batch_wait(struct store *s, size_t n_records, struct batch_result *res,
                           struct batch_report *report, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * A transaction around store_apply_batch, for the lookups of pre-check 19 that must see and
 * lock what the batch is decided on (docs/DESIGN.md, "Uniqueness"): store_begin, then
 * store_unique_holders and store_apply_batch (which then write nothing until the commit),
 * then store_finish. While it is open a lost connection is STORE_ERROR, never a reconnect.
 * store_begin: STORE_OK, or STORE_ERROR / STORE_BUSY with err (nothing begun).
 */
int store_begin(struct store *s, char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * Ends the transaction: COMMIT when rc is STORE_OK (returns STORE_OK, or STORE_ERROR /
 * STORE_BUSY with err: then nothing was written), else ROLLBACK and returns rc unchanged (err
 * untouched). Without an open transaction, returns rc.
 */
int store_finish(struct store *s, int rc, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * In the open transaction: customs.unique_holders(request) (sql/repeatable/45_unique.sql;
 * request and answer as daemon/unique.h defines them): locks the keys, names their holders.
 * STORE_OK with *answer (heap text, the caller frees), STORE_REJECTED (a value of the
 * request the database refuses), STORE_BUSY (a lock wait or statement timeout) or
 * STORE_ERROR (unavailable, or a key field the database does not store).
 */
int store_unique_holders(struct store *s, const char *request, char **answer, char *err,
                         size_t errlen) __attribute__((warn_unused_result));

/*
 * Three-document matching (docs/DESIGN.md "Three-document matching"), in the open
 * transaction: store_matching_due calls customs.matching_due(limit, deadline_hours)
 * (sql/repeatable/59_matching.sql): the waiting parcels (120) due now, locked, as a JSON
 * array of {"logisticsNo", "payload", "order", "waybill", "missing", "expired"};
 * store_matching_apply calls customs.matching_apply(decisions) with a JSON array of
 * {"logisticsNo", "status_code", "reasons", "rules_version", "event", "note"} and answers
 * {"decided": n, "skipped": [logisticsNo...], "events": n, "after": {logisticsNo: status
 * afterwards}}. STORE_OK with *answer (heap text, the
 * caller frees), STORE_REJECTED (a value the database refuses), STORE_BUSY or STORE_ERROR with err.
 */
int store_matching_due(struct store *s, int limit, unsigned deadline_hours, char **answer,
                       char *err, size_t errlen) __attribute__((warn_unused_result));
int store_matching_apply(struct store *s, const char *decisions, char **answer, char *err,
                         size_t errlen) __attribute__((warn_unused_result));

/* --- outbox relay --- */

struct outbox_event {
    int64_t id;
    char *topic;
    char *key;          /* logisticsNo */
    char *payload;      /* event JSON */
    int64_t created_us; /* created_at, microseconds since 1970 (the row's partition) */
};

/*
 * Take the relay lease: a session advisory lock, so one relay per database publishes.
 * Returns 1 when held, 0 when another session holds it, STORE_ERROR on failure.
 */
int store_relay_lock(struct store *s);

/* Start LISTENing on the outbox channel (customs_outbox). STORE_OK / STORE_ERROR. */
int store_listen(struct store *s);

/*
 * Wait up to timeout_ms for a NOTIFY on the outbox channel. Returns 1 when notified,
 * 0 on timeout, STORE_ERROR when the connection broke.
 */
int store_wait_notify(struct store *s, int timeout_ms);

/*
 * Up to `limit` unpublished outbox rows, oldest first (id order = commit order per
 * parcel). *out is a malloc'd array of *n events; free with store_outbox_free.
 */
int store_outbox_fetch(struct store *s, size_t limit, struct outbox_event **out, size_t *n,
                       char *err, size_t errlen) __attribute__((warn_unused_result));
void store_outbox_free(struct outbox_event *ev, size_t n);

/*
 * The outbox backlog: *rows unpublished rows, the oldest created *oldest_s seconds ago (0
 * when there is none). STORE_OK, or STORE_ERROR / STORE_BUSY with err set.
 */
int store_outbox_backlog(struct store *s, int64_t *rows, double *oldest_s, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * customs.sweep_alerts (sql/repeatable/25_holds.sql): an unknown_parcel alert for each
 * parcel whose warehouse scan has waited more than `hours` hours for its declaration; one
 * instance at a time (the others skip). *raised: the alerts raised. STORE_OK, or
 * STORE_ERROR / STORE_BUSY with err set.
 */
int store_sweep_alerts(struct store *s, unsigned hours, long *raised, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * The partitioned tables' upkeep (sql/repeatable/22_partitions.sql), in two transactions:
 * customs.partitions_ensure(7) creates the partitions up to 7 days ahead (*created: how
 * many), then, unless retention_days is 0, customs.outbox_prune drops the outbox's
 * partitions and deletes its rows published more than retention_days days ago (*dropped
 * partitions, *deleted rows); unpublished rows are never pruned. Called by the relay
 * holding the relay lease (one instance at a time). STORE_OK, or STORE_ERROR / STORE_BUSY
 * with err set (what ran before the failure stays done).
 */
int store_outbox_maintain(struct store *s, unsigned retention_days, long *created, long *dropped,
                          long *deleted, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Mark the n fetched outbox rows ev[0..n) published (delivery confirmed by the broker):
 * one UPDATE of exactly those ids, kept to the partitions of their created_at range
 * (the outbox is partitioned by day, sql/018_partitions.sql). STORE_OK / STORE_ERROR.
 */
int store_outbox_mark_delivered(struct store *s, const struct outbox_event *ev, size_t n, char *err,
                                size_t errlen) __attribute__((warn_unused_result));

/* --- stopping --- */

/*
 * Interrupt every open store's call that has been in progress for min_busy_ms or more,
 * once each, from any thread (not from a signal handler): `hard` = 0 sends a cancel request
 * (PQcancel, from a detached thread: it never blocks the caller, even when the server
 * accepts connections and never answers; a connection sends at most one); `hard` = 1 shuts
 * the connections' sockets down instead, for a server that does not answer even a cancel. The
 * interrupted call returns STORE_BUSY (cancelled) or STORE_ERROR (connection closed), nothing
 * written. Calls started afterwards are not affected by a cancel; after a hard interrupt they
 * reconnect.
 */
void store_interrupt_all(int hard, int min_busy_ms);

/* --- configuration --- */

/*
 * Can libpq parse `conninfo` (a connection string or URI, "" allowed)? Connects to
 * nothing: `customsd -t` runs it through config_check (struct config_checks.conninfo).
 * Returns 0, or -1 with libpq's reason in why (one line, no trailing newline). The pieces of
 * the string libpq quotes are shown as "(hidden)" (a password may be what did not parse:
 * `password=a b` gives 'missing "=" after "b"'), except an unknown option's name.
 */
int store_check_conninfo(const char *conninfo, char *why, size_t whylen);

#endif
