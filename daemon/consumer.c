/*
 * consumer.c - the declaration consumer loop (librdkafka consumer, batches to the store).
 * See consumer.h for the guarantees.
 *
 * Positions: for every assigned partition positions.h keeps `next`, the next offset stored
 * in PostgreSQL (the offset of record). A polled record below it was applied already and is
 * skipped; a batch carries `expected = next` as its fence, so if another instance has
 * moved the stored offset meanwhile the whole batch is refused by the database. This file
 * makes the librdkafka and store calls; positions.c does the bookkeeping.
 */
#include "consumer.h"
#include "consumer_log.h"
#include "consumer_slot.h"
#include "consumer_sweep.h"
#include "consumer_unique.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "declaration.h"
#include "kafka.h"
#include "log.h"
#include "matching.h"
#include "metrics.h"
#include "positions.h"
#include "scan.h"
#include "status.h"
#include "store.h"
#include "unique.h"
#include "util.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000 /* a recovered database is used again within 5 s */
/* Longest wait for the group leave at a stop: a coordinator that does not answer would
 * otherwise hold the stop for socket.timeout.ms and more (the broker then ends the session
 * after session.timeout.ms by itself). */
#define CLOSE_MAX_MS 3000
/* A batch travels to PostgreSQL as one jsonb document (limit about 256 MB; the raw value is
 * sent twice, once base64 or as text and once decoded): cap the raw bytes per batch. */
#define BATCH_MAX_BYTES (32u * 1024 * 1024)

/*
 * One batch's records and what became of them. Two of them: while the database applies the
 * batch in flight (store_apply_batch_send), the next one is collected and decided.
 */
struct batchbuf {
    struct consumer_slot *slots;
    struct batch_record *records;
    struct batch_outcome *outcomes;     /* what apply_batch recorded for each record */
    struct batch_earlier_scan *earlier; /* scans of earlier batches it applied (cap) */
    struct batch_offset *fences;        /* of the range being applied */
    size_t n;                           /* records collected */
    size_t n_offsets;                   /* in flight: its fences */
    bool txn;                           /* in flight: inside store_begin (pre-check 19) */
    int64_t start_ms;                   /* in flight: when its transaction began */
    char *rows;      /* prebuild: the staged rows of its first rows_n records, built while */
    size_t rows_len; /* the batch before was applied (rows_len bytes) */
    size_t rows_n;
    char err[1024]; /* apply_send's error, for apply_done */
    /* Committed, its report (stats, metrics, log lines) left for after the next send. */
    bool defer;   /* apply_done may leave the report of the whole batch */
    bool pending; /* it did: res, n_earlier, apply_ms */
    struct batch_result res;
    size_t n_earlier;
    int64_t apply_ms;
};

struct consumer {
    const struct config *cfg;
    const struct rules *rules;
    bool rules_registered;
    rd_kafka_t *rk;
    struct store *store;

    bool db_down;
    bool resuming;        /* reconnected after an outage; no batch committed since */
    int64_t failed_at_ms; /* the last database failure */
    bool need_reposition;
    int64_t retry_at_ms;
    int backoff_ms;

    /* Readiness (consumer_state). */
    bool db_schema;           /* db_down because of the schema release (STORE_SCHEMA) */
    char db_why[256];         /* why db_down, one line */
    int64_t schema_logged_ms; /* when the schema error was last logged */
    int64_t ping_at_ms;       /* when an idle consumer next checks the database */
    bool kafka_down;          /* librdkafka said ALL_BROKERS_DOWN, no broker answered since */
    char kafka_why[256];
    int64_t kafka_probe_at_ms;
    bool assigned_once;   /* an assignment arrived since subscribing */
    bool awaiting_assign; /* revoked (eager rebalance): the next assignment is pending */
    int n_assigned;       /* partitions assigned now */

    struct positions *positions;
    unsigned generation; /* bumped on every rebalance */

    struct batchbuf buf[2];
    struct batchbuf *cur;  /* being collected */
    struct batchbuf *fly;  /* sent, its answer not read yet; NULL: none */
    struct batchbuf *done; /* committed, report pending (within consumer_step); NULL: none */
    size_t cap;
    struct unique_table *unique; /* pre-check 19: the keys of the range being applied */

    struct consumer_stats stats;
    struct metrics *metrics; /* borrowed, may be NULL (consumer_set_metrics) */
    int64_t lag_at_ms;       /* next lag sample */
    int64_t sweep_at_ms;     /* next matching sweep (matching.h); 0: at the next step */
    int64_t alerts_at_ms;    /* next unknown-parcel sweep (alerts.unknown_parcel_hours) */
};

static int finish_inflight(struct consumer *p);

/* The first line of `text` into buf (libpq's messages run on over several lines). */
static void one_line(char *buf, size_t len, const char *text)
{
    size_t n = text ? strcspn(text, "\n") : 0;
    if (n >= len)
        n = len - 1;
    memcpy(buf, text ? text : "", n);
    buf[n] = '\0';
}

/* The database failed `what` (NULL: the caller logged it already): pause and back off. */
static void db_failed(struct consumer *p, const char *what, const char *why)
{
    if (!p->db_down && what) {
        if (p->resuming) /* the connection came back, the work did not: no new alarm */
            log_warn("database still failing (%s): %s; paused, next try in %d ms", what, why,
                     p->backoff_ms);
        else
            log_error("database unavailable (%s): %s; pausing consumption, nothing is dropped",
                      what, why);
    }
    one_line(p->db_why, sizeof(p->db_why), why);
    p->db_schema = false;
    p->db_down = true;
    p->failed_at_ms = now_ms();
    p->need_reposition = true;
    p->stats.db_failures++;
    p->retry_at_ms = now_ms() + p->backoff_ms;
    p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->backoff_ms * 2;

    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rd_kafka_assignment(p->rk, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned) {
        if (assigned->cnt > 0)
            rd_kafka_pause_partitions(p->rk, assigned);
        rd_kafka_topic_partition_list_destroy(assigned);
    }
}

/* Work succeeded after an outage: back to the shortest backoff, and say so once. */
static void resumed(struct consumer *p, const char *how)
{
    if (!p->resuming)
        return;
    p->resuming = false;
    p->backoff_ms = BACKOFF_MIN_MS;
    log_info("database available again (%s); consumption resumed", how);
}

/*
 * Load the stored offsets of the partitions in `list` (all one topic or several) into the
 * partition states and into list->elems[].offset (BEGINNING when none is stored).
 * Returns 0, or -1 when the database could not answer.
 */
static int load_offsets(struct consumer *p, rd_kafka_topic_partition_list_t *list)
{
    char err[512];

    for (int i = 0; i < list->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        int64_t off = -1;
        if (store_load_offsets(p->store, p->cfg->group_id, tp->topic, &tp->partition, 1, &off, err,
                               sizeof(err)) != STORE_OK) {
            db_failed(p, "loading stored offsets", err);
            return -1;
        }
        positions_set_stored(p->positions, tp->topic, tp->partition, off);
        tp->offset = off >= 0 ? off : RD_KAFKA_OFFSET_BEGINNING;
        /* Said once per assignment and per recovery, not on every retry of one. */
        char where[64];
        if (off >= 0)
            snprintf(where, sizeof(where), "stored offset %" PRId64, off);
        else
            snprintf(where, sizeof(where), "earliest offset (none stored)");
        if (p->resuming)
            log_debug("partition %s [%" PRId32 "]: starting at %s", tp->topic, tp->partition,
                      where);
        else
            log_info("partition %s [%" PRId32 "]: starting at %s", tp->topic, tp->partition, where);
    }
    return 0;
}

/*
 * Both rebalance protocols: eager (range, roundrobin: the default) hands over the whole
 * assignment each time; cooperative (cooperative-sticky, if an operator sets it through
 * kafka.properties) only the partitions that move.
 */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *partitions, void *opaque)
{
    struct consumer *p = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;

    /* The batch in flight first: its answer before any other call on the connection, its
     * commit before its partitions' positions change. */
    finish_inflight(p);
    p->generation++;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        p->assigned_once = true;
        p->awaiting_assign = false;
        p->n_assigned = cooperative ? p->n_assigned + partitions->cnt : partitions->cnt;
        for (int i = 0; i < partitions->cnt; i++) {
            if (positions_add(p->positions, partitions->elems[i].topic,
                              partitions->elems[i].partition) < 0)
                log_error("out of memory tracking partition %s [%" PRId32 "]",
                          partitions->elems[i].topic, partitions->elems[i].partition);
        }
        log_info("rebalance: %d partition(s) assigned", partitions->cnt);
        bool loaded = !p->db_down && load_offsets(p, partitions) == 0;
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, partitions);
            if (e) {
                log_error("incremental assign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, partitions);
        }
        if (!loaded) {
            /* Positions are unknown until the database answers: hold the partitions. */
            rd_kafka_pause_partitions(rk, partitions);
            p->need_reposition = true;
        }
    } else {
        log_info("rebalance: %d partition(s) revoked (%s)", partitions->cnt, rd_kafka_err2str(err));
        p->n_assigned =
            cooperative && p->n_assigned > partitions->cnt ? p->n_assigned - partitions->cnt : 0;
        if (!cooperative)
            p->awaiting_assign = true;
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, partitions);
            if (e) {
                log_error("incremental unassign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
            for (int i = 0; i < partitions->cnt; i++)
                positions_remove(p->positions, partitions->elems[i].topic,
                                 partitions->elems[i].partition);
        } else {
            rd_kafka_assign(rk, NULL);
            positions_clear(p->positions);
        }
    }
}

/*
 * librdkafka's errors (kafka.c's callback says the same in the log; this one replaces it on
 * the consumer to notice ALL_BROKERS_DOWN for consumer_state). Runs inside consumer poll.
 */
static void consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct consumer *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));
        log_error("kafka %s: fatal error %s: %s", rd_kafka_name(rk), rd_kafka_err2name(orig), why);
        return;
    }
    log_warn("kafka %s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err),
             reason);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        p->kafka_down = true;
        one_line(p->kafka_why, sizeof(p->kafka_why), reason);
        p->kafka_probe_at_ms = now_ms() + 1000;
    }
}

/*
 * After ALL_BROKERS_DOWN: once a second, does a broker answer a metadata request (up to
 * 500 ms)? librdkafka reconnects by itself but says nothing when it succeeds.
 */
static void kafka_probe(struct consumer *p)
{
    const struct rd_kafka_metadata *md = NULL;
    if (!p->kafka_down || now_ms() < p->kafka_probe_at_ms)
        return;
    rd_kafka_resp_err_t e = rd_kafka_metadata(p->rk, 0, NULL, &md, 500);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        p->kafka_down = false;
        log_info("kafka: a broker answers again");
    } else {
        p->kafka_probe_at_ms = now_ms() + 1000;
    }
}

/*
 * The database is at another schema release (err: what to run): pause like an outage, and
 * log it when it changes or once a minute (an operator has to act; the check repeats with
 * the backoff).
 */
static void schema_failed(struct consumer *p, const char *err)
{
    char why[sizeof(p->db_why)];
    one_line(why, sizeof(why), err);
    bool changed = !(p->db_down && p->db_schema) || strcmp(why, p->db_why) != 0;
    if (!p->db_down)
        db_failed(p, NULL, err);
    if (changed || now_ms() - p->schema_logged_ms >= 60000) {
        log_error("database schema: %s; consumption waits for it (checked again every %d s)", why,
                  BACKOFF_MAX_MS / 1000);
        p->schema_logged_ms = now_ms();
    }
    snprintf(p->db_why, sizeof(p->db_why), "%s", why);
    p->db_schema = true;
}

/*
 * Re-read every assigned partition's stored offset, seek there and resume. Used after a
 * fenced batch and after the database came back.
 */
static int reposition(struct consumer *p)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    int rc = 0;

    if (rd_kafka_assignment(p->rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR || !assigned)
        return -1;
    if (assigned->cnt > 0) {
        if (load_offsets(p, assigned) < 0) {
            rc = -1;
        } else {
            rd_kafka_error_t *e = rd_kafka_seek_partitions(p->rk, assigned, 5000);
            if (e) {
                log_warn("seek to stored offsets failed: %s; will retry", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                rc = -1;
            } else {
                rd_kafka_resume_partitions(p->rk, assigned);
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(assigned);
    if (rc == 0)
        p->need_reposition = false;
    return rc;
}

/*
 * librdkafka's fetch queue sized for the batches rather than its default 64 MB per
 * consumer (all of it resident when the topic holds a backlog): 8 kB per record of a batch,
 * at least 4 MB, two batches of typical declarations ahead. Unless kafka.properties sets it.
 */
static int fetch_queue_limit(const struct config *cfg, rd_kafka_conf_t *conf, char *err,
                             size_t errlen)
{
    char kb[32];
    for (size_t i = 0; i < cfg->n_kafka_properties; i++) {
        if (strcmp(cfg->kafka_properties[i].name, "queued.max.messages.kbytes") == 0)
            return 0;
    }
    size_t k = cfg->batch_max_messages * 8;
    snprintf(kb, sizeof(kb), "%zu", k < 4096 ? 4096 : k > 65536 ? 65536 : k);
    return kafka_conf_set(conf, "queued.max.messages.kbytes", kb, err, errlen);
}

int consumer_new(const struct config *cfg, const struct rules *rules, struct consumer **out,
                 char *err, size_t errlen)
{
    struct consumer *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = NULL;
    char why[512];

    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->cfg = cfg;
    p->rules = rules;
    p->backoff_ms = BACKOFF_MIN_MS;
    p->cap = cfg->batch_max_messages;
    bool nomem = false;
    for (int k = 0; k < 2; k++) {
        struct batchbuf *b = &p->buf[k];
        b->slots = calloc(p->cap, sizeof(*b->slots));
        b->records = calloc(p->cap, sizeof(*b->records));
        b->outcomes = calloc(p->cap, sizeof(*b->outcomes));
        b->earlier = calloc(p->cap, sizeof(*b->earlier));
        b->fences = calloc(p->cap, sizeof(*b->fences));
        nomem |= !b->slots || !b->records || !b->outcomes || !b->earlier || !b->fences;
    }
    p->cur = &p->buf[0];
    p->positions = positions_new();
    p->unique = unique_table_new();
    if (nomem || !p->positions || !p->unique) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }

    conf = kafka_conf_new(cfg, "customsd-consumer", err, errlen);
    if (!conf || fetch_queue_limit(cfg, conf, err, errlen) < 0)
        goto fail;
    /* Correctness depends on these: offsets of record are in PostgreSQL, so the consumer
     * never commits or stores offsets on its own. Set after the passthrough on purpose. */
    if (kafka_conf_set(conf, "group.id", cfg->group_id, err, errlen) < 0 ||
        kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) < 0 ||
        kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen) < 0 ||
        kafka_conf_set(conf, "enable.partition.eof", "false", err, errlen) < 0 ||
        /* A stored offset below the log start (retention removed records we never read)
         * must resume at the oldest record still there, never jump to the end. */
        kafka_conf_set(conf, "auto.offset.reset", "earliest", err, errlen) < 0)
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_error_cb(conf, consumer_error_cb);
    rd_kafka_conf_set_opaque(conf, p);

    p->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!p->rk) {
        snprintf(err, errlen, "kafka consumer: %s", why);
        goto fail;
    }
    conf = NULL; /* ownership moved to p->rk */
    rd_kafka_poll_set_consumer(p->rk);

    /* The database may be down at start: start paused rather than refuse to run. */
    struct store_limits limits = {cfg->pg_connect_timeout_s, cfg->pg_statement_timeout_ms,
                                  cfg->pg_lock_timeout_ms};
    int src = store_open(cfg->pg_conninfo, &limits, cfg->topic_events, cfg->topic_receipts,
                         &p->store, why, sizeof(why));
    if (src != STORE_OK) {
        if (!p->store) {
            snprintf(err, errlen, "postgresql: %s", why);
            goto fail;
        }
        if (src == STORE_SCHEMA)
            schema_failed(p, why);
        else
            db_failed(p, "connecting", why);
    }
    p->ping_at_ms = now_ms() + CONSUMER_PING_MS;

    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(topics, cfg->topic_declarations, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, cfg->topic_scans, RD_KAFKA_PARTITION_UA);
    /* orders, waybills, payments (the payments topic is optional: "" = not consumed) */
    const char *doc_topics[] = {cfg->topic_orders, cfg->topic_waybills, cfg->topic_payments};
    for (size_t i = 0; i < 3; i++) {
        if (doc_topics[i] && *doc_topics[i])
            rd_kafka_topic_partition_list_add(topics, doc_topics[i], RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_resp_err_t kerr = rd_kafka_subscribe(p->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kerr) {
        snprintf(err, errlen, "kafka subscribe to %s and %s: %s", cfg->topic_declarations,
                 cfg->topic_scans, rd_kafka_err2str(kerr));
        goto fail;
    }
    log_info("consuming %s and %s as group %s from %s; orders %s, waybills %s, payments %s",
             cfg->topic_declarations, cfg->topic_scans, cfg->group_id, cfg->bootstrap_servers,
             cfg->topic_orders, cfg->topic_waybills,
             *cfg->topic_payments ? cfg->topic_payments : "(not consumed)");
    *out = p;
    return 0;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    consumer_free(p);
    return -1;
}

void consumer_set_rules(struct consumer *p, const struct rules *rules)
{
    finish_inflight(p); /* its decisions point into the rules being replaced */
    p->rules = rules;
    p->rules_registered = false;
}

const struct consumer_stats *consumer_stats(const struct consumer *p)
{
    return &p->stats;
}

void consumer_set_metrics(struct consumer *p, struct metrics *m)
{
    p->metrics = m;
}

void consumer_connections(const struct consumer *p, bool *postgresql_up, bool *kafka_up,
                          int *partitions)
{
    *postgresql_up = !p->db_down && store_connected(p->store);
    *kafka_up = !p->kafka_down;
    *partitions = p->n_assigned;
}

enum consumer_state consumer_state(const struct consumer *p, const char **why)
{
    const char *none = "";
    enum consumer_state st;

    if (!why)
        why = &none;
    *why = "";
    if (p->db_down) {
        *why = p->db_why;
        st = p->db_schema                ? CONSUMER_SCHEMA
             : store_connected(p->store) ? CONSUMER_DB_FAILING
                                         : CONSUMER_DB_DOWN;
    } else if (p->kafka_down) {
        *why = p->kafka_why;
        st = CONSUMER_KAFKA_DOWN;
    } else if (!p->assigned_once || p->awaiting_assign) {
        st = CONSUMER_UNASSIGNED;
    } else {
        st = p->n_assigned > 0 ? CONSUMER_RUNNING : CONSUMER_STANDBY;
    }
    return st;
}

/* Free the records of b (positions untouched). */
static void slots_clear(struct batchbuf *b)
{
    for (size_t i = 0; i < b->n; i++)
        consumer_slot_clear(&b->slots[i]);
    b->n = 0;
    free(b->rows);
    b->rows = NULL;
}

/* Drop the batch being collected: its records are re-read from the stored offsets. */
static void batch_drop(struct consumer *p)
{
    slots_clear(p->cur);
    positions_batch_reset(p->positions);
}

/* Tell Kafka what was committed in PostgreSQL (informational, asynchronous). */
static void commit_kafka(struct consumer *p, const struct batchbuf *b, size_t n_offsets)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n_offsets);
    for (size_t i = 0; i < n_offsets; i++)
        rd_kafka_topic_partition_list_add(list, b->fences[i].topic, b->fences[i].partition)
            ->offset = b->fences[i].next;
    rd_kafka_resp_err_t e = rd_kafka_commit(p->rk, list, 1);
    if (e)
        log_debug("kafka offset commit (informational) not sent: %s", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(list);
}

/*
 * Fence entries for records[lo, hi) of b into b->fences: per partition,
 * expected = the stored next offset, next = the highest offset in the range + 1. Returns
 * the number of entries, or -1 when a record's partition is no longer tracked (a batch is
 * dropped on every rebalance, so this does not happen).
 */
static int range_offsets(struct consumer *p, struct batchbuf *b, size_t lo, size_t hi)
{
    size_t n_offsets = 0;

    for (size_t i = lo; i < hi; i++) {
        const struct batch_record *r = &b->records[i];
        if (positions_fence_add(p->positions, b->fences, &n_offsets, r->topic, r->partition,
                                r->offset) < 0)
            return -1;
    }
    return (int)n_offsets;
}

/* consumer_unique_decide's callback: slot i of the range (ctx) takes the new decision;
 * the batch's prebuilt document is stale when it differs. */
struct redecided {
    struct consumer_slot *slots;
    bool changed;
};
static void unique_decided(void *ctx, size_t i, struct decision *dec)
{
    struct redecided *rd = ctx;
    if (consumer_slot_redecide(&rd->slots[i], dec))
        rd->changed = true;
}

/*
 * While the batch in flight is applied: build the staged rows of the batch collected
 * (b->rows). apply_send uses them when the decisions turn out the same (pre-check 19
 * changed none) and the batch goes whole, else builds them anew.
 */
static void prebuild(struct batchbuf *b)
{
    char why[256];
    free(b->rows);
    b->rows_n = b->n;
    if (batch_stage_rows(b->records, b->n, &b->rows, &b->rows_len, why, sizeof(why)) < 0)
        b->rows = NULL;
}

/* The prebuilt rows of b when they are still right for records[lo, hi), else NULL (freed).
 * Either way b->rows is NULL after. */
static char *prebuilt(struct batchbuf *b, size_t lo, size_t hi, bool changed)
{
    char *rows = b->rows;
    b->rows = NULL;
    if (rows && (changed || lo != 0 || hi != b->rows_n)) {
        free(rows);
        rows = NULL;
    }
    return rows;
}

#define APPLY_DROPPED 1 /* apply_send: not a store code */

/*
 * Begin applying records[lo, hi) of b in one transaction: the fences, pre-check 19 (which
 * may begin the transaction, *txn) and the batch sent (store_apply_batch_send). Returns
 * STORE_OK once sent, else a store code with err (apply_done then handles it), or
 * APPLY_DROPPED when a record's partition is no longer tracked (need_reposition set).
 */
static int apply_send(struct consumer *p, struct batchbuf *b, size_t lo, size_t hi, bool *txn,
                      char *err, size_t errlen)
{
    size_t n = hi - lo;
    int n_fences = range_offsets(p, b, lo, hi);

    *txn = false;
    if (n_fences < 0) {
        log_error("batch of %zu records holds a partition no longer assigned; dropping it, "
                  "re-positioning at stored offsets",
                  n);
        p->need_reposition = true;
        return APPLY_DROPPED;
    }
    b->n_offsets = (size_t)n_fences;
    b->start_ms = now_ms(); /* the batch's transaction: lookups, apply, commit */
    struct redecided rd = {b->slots + lo, false};
    int rc = consumer_unique_decide(p->store, p->rules, p->unique, b->records + lo, n,
                                    unique_decided, &rd, txn, err, errlen);
    char *rows = prebuilt(b, lo, hi, rd.changed);
    if (rc == STORE_OK && !*txn) { /* the rows are staged in the batch's transaction */
        rc = store_begin(p->store, err, errlen);
        *txn = rc == STORE_OK;
    }
    if (rc == STORE_OK && rows)
        return store_apply_batch_send_rows(p->store, p->cfg->group_id, rows, b->rows_len, b->fences,
                                           b->n_offsets, err, errlen);
    free(rows);
    if (rc == STORE_OK)
        rc = store_apply_batch_send(p->store, p->cfg->group_id, b->records + lo, n, b->fences,
                                    b->n_offsets, err, errlen);
    return rc;
}

static int apply_range(struct consumer *p, struct batchbuf *b, size_t lo, size_t hi);

/*
 * The report of the committed range records[lo, hi) of b: counters, metrics, one log line
 * per record and one for the batch, the informational Kafka commit, the matching sweep
 * brought forward when it stored documents or waiting parcels.
 */
static void reported(struct consumer *p, struct batchbuf *b, size_t lo, size_t hi,
                     const struct batch_result *res, size_t n_earlier, int64_t apply_ms)
{
    size_t n = hi - lo;
    p->stats.records += n;
    p->stats.declarations += res->declarations;
    p->stats.duplicates += res->duplicates;
    p->stats.conflicts += res->conflicts;
    p->stats.quarantined += res->quarantined;
    p->stats.batches++;
    p->stats.scans += res->scans;
    metrics_batch_committed(p->metrics, b->records + lo, b->outcomes + lo, n, apply_ms);
    consumer_log_outcomes(b->records + lo, b->outcomes + lo, n);
    consumer_log_earlier_scans(b->earlier, p->cap, n_earlier);
    log_info("batch committed: %zu records, %zu declarations, %zu amendments, %zu "
             "cancellations, %zu scans (%zu waiting for their declaration), %zu "
             "duplicates, %zu conflicts, %zu refused transitions, %zu quarantined, %zu "
             "events",
             n, res->declarations, res->amendments, res->cancellations, res->scans,
             res->pending_scans, res->duplicates, res->conflicts, res->refused, res->quarantined,
             res->events);
    commit_kafka(p, b, b->n_offsets);
    for (size_t i = lo; i < hi; i++) {
        /* Documents stored or parcels waiting: match at the next step, not in 5 s. */
        if (b->records[i].kind == BATCH_DOCUMENT ||
            (b->records[i].kind == BATCH_DECLARATION &&
             b->records[i].decision->status_code == STATUS_STORED))
            p->sweep_at_ms = 0;
    }
}

/* The report a pipelined finish left (p->done), then its records freed. */
static void flush_report(struct consumer *p)
{
    struct batchbuf *b = p->done;
    if (!b)
        return;
    p->done = NULL;
    if (b->pending)
        reported(p, b, 0, b->n, &b->res, b->n_earlier, b->apply_ms);
    b->pending = false;
    slots_clear(b);
}

/*
 * Finish applying records[lo, hi) of b: rc is apply_send's; when the batch was sent, its
 * answer is read (store_apply_batch_wait, blocking), then the transaction ended. Then as
 * apply_range says.
 */
static int apply_done(struct consumer *p, struct batchbuf *b, size_t lo, size_t hi, int rc,
                      bool txn)
{
    char err[1024];
    struct batch_result res = {0};
    size_t n = hi - lo;
    size_t n_offsets = b->n_offsets;
    int64_t start_ms = b->start_ms;
    struct batch_report report = {b->outcomes + lo, b->earlier, p->cap, 0};

    if (rc == STORE_OK)
        rc = store_apply_batch_wait(p->store, n, &res, &report, err, sizeof(err));
    else
        snprintf(err, sizeof(err), "%s", b->err);
    if (txn)
        rc = store_finish(p->store, rc, err, sizeof(err));
    if (rc == STORE_OK) {
        resumed(p, "a batch committed");
        positions_commit(p->positions, b->fences, n_offsets);
        if (b->defer && lo == 0 && hi == b->n) {
            b->pending = true;
            b->res = res;
            b->n_earlier = report.n_earlier;
            b->apply_ms = now_ms() - start_ms;
        } else {
            reported(p, b, lo, hi, &res, report.n_earlier, now_ms() - start_ms);
        }
        return (int)n;
    }
    if (rc == STORE_REJECTED) {
        if (n > 1) {
            log_warn("batch of %zu records refused by the database (%s); splitting it to find "
                     "the record",
                     n, err);
            size_t mid = lo + n / 2;
            int a = apply_range(p, b, lo, mid);
            if (a < 0)
                return -1;
            int c = apply_range(p, b, mid, hi);
            return c < 0 ? -1 : a + c;
        }
        struct batch_record *r = &b->records[lo];
        if (r->kind != BATCH_QUARANTINE) {
            struct consumer_slot *sl = &b->slots[lo];
            struct log_record lr = {r->topic, r->partition, r->offset, r->key, NULL, -1};
            rec_warn("record %s [%" PRId32 "] offset %" PRId64
                     " (logisticsNo %s) refused by the database: %s; quarantining it",
                     r->topic, r->partition, r->offset, r->key ? r->key : "unknown", err);
            snprintf(sl->reason, sizeof(sl->reason), "refused by the database: %.480s", err);
            if (r->kind == BATCH_DOCUMENT && r->doc->spec->type != DOC_WAYBILL) {
                r->key = NULL; /* an orderNo is not a logisticsNo: no receipt */
                free(sl->key);
                sl->key = NULL;
            }
            if (!sl->key && r->key)
                sl->key = strdup(r->key);
            r->kind = BATCH_QUARANTINE;
            r->key = sl->key;
            r->reason = sl->reason;
            r->decl = NULL;
            r->decision = NULL;
            r->scan = NULL;
            r->doc = NULL;
            p->stats.refused++;
            return apply_range(p, b, lo, hi);
        }
        /* Even the quarantine row was refused: that is the database's problem, not the
         * record's. Treat it as an outage so the record is retried, never lost. */
        rc = STORE_ERROR;
    }
    if (rc == STORE_FENCED) {
        p->stats.fenced++;
        metrics_batch_abandoned(p->metrics, true);
        log_warn("batch of %zu records refused by the offset fence (another instance owns a "
                 "partition now): %s; nothing written, re-positioning at stored offsets",
                 n, err);
        p->need_reposition = true;
        return -1;
    }
    if (rc == STORE_BUSY) {
        /* A lock wait or statement timeout: not an outage, but handled like one (the
         * batch is abandoned whole and retried after the backoff), never split. */
        const char *key = b->records[lo].key ? b->records[lo].key : "unknown";
        if (n == 1)
            log_warn("parcel %s: %s; batch abandoned whole (nothing written), retrying in %d ms",
                     key, err, p->backoff_ms);
        else
            log_warn("batch of %zu records (first parcel %s): %s; abandoned whole (nothing "
                     "written), retrying in %d ms",
                     n, key, err, p->backoff_ms);
        metrics_batch_abandoned(p->metrics, false);
        db_failed(p, NULL, err);
        return -1;
    }
    metrics_batch_abandoned(p->metrics, false);
    db_failed(p, "applying a batch", err);
    log_warn("batch of %zu records abandoned whole (nothing written); it will be re-read", n);
    return -1;
}

/*
 * Apply records[lo, hi) of b in one transaction. When the database refuses the data of the
 * range (STORE_REJECTED), split it in halves and apply each, down to the one record that
 * is refused, which is then quarantined with the database's reason: one bad row never
 * costs the rest of the batch, and never blocks its partition.
 * Returns the number of records committed, or -1 when the work stopped (fenced, or the
 * database is unavailable; what was committed before stays committed and the positions
 * say so, the rest is re-read).
 */
static int apply_range(struct consumer *p, struct batchbuf *b, size_t lo, size_t hi)
{
    bool txn;
    int rc = apply_send(p, b, lo, hi, &txn, b->err, sizeof(b->err));
    return rc == APPLY_DROPPED ? -1 : apply_done(p, b, lo, hi, rc, txn);
}

static int step_paused(struct consumer *p)
{
    char err[512];
    /* Keep serving the group protocol; any record that still arrives is re-read later from
     * the stored offset, so dropping it here loses nothing. */
    rd_kafka_message_t *m = rd_kafka_consumer_poll(p->rk, 100);
    if (m) {
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            log_error("kafka consumer fatal error: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            return -1;
        }
        rd_kafka_message_destroy(m);
    }
    kafka_probe(p);
    if (now_ms() < p->retry_at_ms)
        return 0;
    int rc = store_reconnect(p->store, err, sizeof(err));
    if (rc != STORE_OK) {
        p->retry_at_ms = now_ms() + p->backoff_ms;
        if (rc == STORE_SCHEMA) {
            schema_failed(p, err);
        } else {
            log_warn("database still unavailable: %s; next try in %d ms", err, p->backoff_ms);
            one_line(p->db_why, sizeof(p->db_why), err);
            p->db_schema = false;
        }
        p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->backoff_ms * 2;
        return 0;
    }
    p->db_down = false;
    p->db_schema = false;
    p->ping_at_ms = now_ms() + CONSUMER_PING_MS;
    bool again = p->resuming; /* it answered before, and the work failed again */
    if (reposition(p) < 0) {
        if (!p->db_down) {
            p->db_down = true;
            p->retry_at_ms = now_ms() + p->backoff_ms;
        }
        return 0;
    }
    /* The backoff is reset, and "resumed" said, only once work succeeds (resumed()): a
     * server that answers but cannot write (out of disk space) keeps the growing backoff. */
    if (!again)
        log_info("database answers again; retrying at the stored offsets");
    p->resuming = true;
    return 0;
}

/*
 * An idle cycle: every CONSUMER_PING_MS, check that the connection is still up (an idle
 * consumer would not notice an outage otherwise; after it, the reconnection checks the
 * schema release). A failure pauses like a failed batch.
 */
static void idle_check(struct consumer *p)
{
    char err[512];
    if (now_ms() < p->ping_at_ms)
        return;
    p->ping_at_ms = now_ms() + CONSUMER_PING_MS;
    int rc = store_check_idle(p->store, err, sizeof(err));
    if (rc == STORE_SCHEMA)
        schema_failed(p, err);
    else if (rc != STORE_OK)
        db_failed(p, "checking an idle connection", err);
    else if (now_ms() - p->failed_at_ms > 2 * BACKOFF_MAX_MS)
        resumed(p, "idle, no failure since"); /* nothing to write, and nothing failed */
}

/* Offsets gap_from..offset-1 of a partition are not in the log: say so. */
static void log_gap(const char *topic, int32_t partition, int64_t gap_from, int64_t offset)
{
    log_warn("partition %s [%" PRId32 "]: offsets %" PRId64 "..%" PRId64
             " are not in the log (removed by retention or compaction before they were read); "
             "continuing at %" PRId64,
             topic, partition, gap_from, offset - 1, offset);
}

/*
 * The batch in flight was finished: take the records collected meanwhile again (positions
 * forget a finished batch), so that their partitions' fences start where it ended. A gap
 * is said here for the partitions of the finished batch (fences[0, n_fences)) only: the
 * others were checked when collected. A record no longer takeable (its partition revoked
 * meanwhile) drops the collected batch.
 */
static void retake(struct consumer *p, const struct batch_offset *fences, size_t n_fences)
{
    struct batchbuf *b = p->cur;

    positions_batch_reset(p->positions);
    for (size_t i = 0; i < b->n; i++) {
        const struct batch_record *r = &b->records[i];
        int64_t gap_from;
        if (!positions_take(p->positions, r->topic, r->partition, r->offset, &gap_from)) {
            batch_drop(p);
            p->need_reposition = true;
            return;
        }
        for (size_t k = 0; gap_from >= 0 && k < n_fences; k++) {
            if (fences[k].partition == r->partition && strcmp(fences[k].topic, r->topic) == 0)
                log_gap(r->topic, r->partition, gap_from, r->offset);
        }
    }
}

/*
 * Read the answer of the batch in flight (blocking) and finish it as apply_range does (a
 * refused batch is split and applied here). Then the batch being collected goes on from
 * where it ended, or is dropped when it failed (need_reposition or db_down: re-read from
 * the stored offsets). Called before anything else uses the database connection, and from
 * the rebalance callback before positions change. Returns the records committed (0 when
 * none was in flight or it failed). With `defer` (the end of a step: the next batch is to
 * be sent first), the report of a batch committed whole is left to flush_report.
 */
static int finish_batch(struct consumer *p, bool defer)
{
    struct batchbuf *b = p->fly;
    if (!b)
        return 0;
    p->fly = NULL;
    b->defer = defer;
    int rc = apply_done(p, b, 0, b->n, STORE_OK, b->txn);
    b->defer = false;
    if (p->need_reposition || p->db_down)
        batch_drop(p);
    else
        retake(p, b->fences, b->n_offsets);
    if (b->pending)
        p->done = b; /* reported and freed by flush_report */
    else
        slots_clear(b);
    return rc < 0 ? 0 : rc;
}

static int finish_inflight(struct consumer *p)
{
    return finish_batch(p, false);
}

/*
 * Collect the next batch into p->cur: up to batch.max_messages records or
 * batch.max_wait_ms from now (or, past that, until the batch in flight is done: it could not
 * be sent earlier), decoded and decided, while the batch in flight (if any) is applied; its
 * answer is read as soon as it arrives. Returns 0, 1 when the collected batch
 * was dropped (a rebalance, a failure: re-read later), or -1 after a fatal Kafka error.
 */
static int collect(struct consumer *p, int *committed)
{
    int64_t deadline = now_ms() + p->cfg->batch_max_wait_ms;
    unsigned gen = p->generation;
    size_t bytes = 0;
    struct batchbuf *b = p->cur;
    while (b->n < p->cap && bytes < BATCH_MAX_BYTES) {
        int64_t left = deadline - now_ms();
        if (left <= 0 && !p->fly)
            break;
        /* With a batch in flight, look at its answer every few ms: its COMMIT waits for it.
         * Past the deadline, collect on until it is done (the connection is busy anyway). */
        if (p->fly && (left > 2 || left <= 0))
            left = 2;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(p->rk, (int)left);
        if (p->fly && store_apply_batch_ready(p->store))
            *committed += finish_inflight(p);
        if (p->generation != gen || p->db_down || p->need_reposition) {
            /* A rebalance happened inside poll (or the database went away, or the batch in
             * flight failed). What we hold may be stale, and a partition kept across a
             * cooperative rebalance was not re-positioned: drop the batch and stop here, so
             * every assigned partition is re-positioned at its stored offset before
             * anything more is collected (collecting on would commit past the dropped
             * records). */
            batch_drop(p);
            if (m)
                rd_kafka_message_destroy(m);
            p->need_reposition = true;
            return 1;
        }
        if (!m)
            continue;
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                log_error("kafka consumer fatal error: %s", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                batch_drop(p);
                return -1;
            }
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                log_warn("kafka consumer: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        int64_t gap_from;
        if (!positions_take(p->positions, rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                            &gap_from)) {
            /* Not ours, position unknown, or applied already (redelivery): skip. */
            rd_kafka_message_destroy(m);
            continue;
        }
        if (gap_from >= 0)
            log_gap(rd_kafka_topic_name(m->rkt), m->partition, gap_from, m->offset);
        bytes += m->len;
        b->slots[b->n].msg = m;
        consumer_slot_prepare(p->cfg, p->rules, &b->slots[b->n], &b->records[b->n]);
        b->n++;
    }
    return 0;
}

static int step(struct consumer *p)
{
    char err[1024];
    int done = 0;

    consumer_sweep_lag(p->rk, p->positions, p->metrics, &p->lag_at_ms);
    if (p->db_down)
        return step_paused(p);
    if (p->rules_registered) {
        if (now_ms() >= p->sweep_at_ms ||
            (p->cfg->alerts_unknown_parcel_hours && now_ms() >= p->alerts_at_ms))
            done += finish_inflight(p);
        if (p->db_down)
            return done;
        int src = consumer_sweep_matching(p->store, p->rules, &p->sweep_at_ms, err, sizeof(err));
        if (src != STORE_OK)
            db_failed(p, "matching sweep", err);
        consumer_sweep_alerts(p->store, p->cfg->alerts_unknown_parcel_hours, &p->alerts_at_ms);
    }
    kafka_probe(p);
    if (p->need_reposition) {
        done += finish_inflight(p);
        if (reposition(p) < 0)
            return done;
    }
    if (!p->rules_registered) {
        done += finish_inflight(p);
        if (store_register_rules(p->store, rules_version(p->rules), rules_text(p->rules), err,
                                 sizeof(err)) != STORE_OK) {
            db_failed(p, "recording the rule set", err);
            return done;
        }
        p->rules_registered = true;
        log_info("deciding with rule set %s (%zu rules)", rules_version(p->rules),
                 rules_count(p->rules));
    }

    int c = collect(p, &done);
    if (c < 0)
        return -1;
    if (c == 0 && p->fly && p->cur->n > 0)
        prebuild(p->cur);
    done += finish_batch(p, true); /* the connection is free for the next one */
    if (c > 0 || p->need_reposition || p->db_down)
        return done;
    struct batchbuf *b = p->cur;
    if (b->n == 0) {
        idle_check(p);
        return done;
    }
    /* Send it, and collect the next while the database applies it. */
    bool txn;
    int rc = apply_send(p, b, 0, b->n, &txn, b->err, sizeof(b->err));
    if (rc == STORE_OK) {
        b->txn = txn;
        p->fly = b;
        p->cur = b == &p->buf[0] ? &p->buf[1] : &p->buf[0];
        return done;
    }
    if (rc != APPLY_DROPPED) {
        int a = apply_done(p, b, 0, b->n, rc, txn);
        done += a < 0 ? 0 : a;
    }
    batch_drop(p);
    return done;
}

int consumer_step(struct consumer *p)
{
    int rc = step(p);
    flush_report(p); /* the batch committed in the step, after the next one was sent */
    return rc;
}

/* rd_kafka_destroy of a consumer whose close did not finish (no callbacks run). */
static void *consumer_destroy_thread(void *arg)
{
    rd_kafka_destroy_flags(arg, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return NULL;
}

void consumer_free(struct consumer *p)
{
    if (!p)
        return;
    if (p->store)
        finish_inflight(p);
    if (p->rk) {
        /* Leave the group: revokes our partitions (rebalance_cb, called here) and closes,
         * waiting at most CLOSE_MAX_MS. Offsets live in PostgreSQL: nothing is lost when the
         * leave is cut short. */
        int closed = 0;
        rd_kafka_queue_t *q = rd_kafka_queue_new(p->rk);
        rd_kafka_error_t *e = q ? rd_kafka_consumer_close_queue(p->rk, q) : NULL;
        if (!q || e) {
            log_warn("kafka consumer close: %s", e ? rd_kafka_error_string(e) : "out of memory");
        } else {
            int64_t until = now_ms() + CLOSE_MAX_MS;
            /* Served as events: librdkafka 2.0 asserts on the close's own ops when this
             * queue is served through callbacks (rd_kafka_queue_poll_callback). */
            while (!(closed = rd_kafka_consumer_closed(p->rk)) && now_ms() < until) {
                rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
                if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
                    rebalance_cb(p->rk, rd_kafka_event_error(ev),
                                 rd_kafka_event_topic_partition_list(ev), p);
                if (ev)
                    rd_kafka_event_destroy(ev);
            }
            if (!closed)
                log_warn("kafka consumer close: no answer from the group coordinator within %d "
                         "ms; leaving without it (the broker ends the session after "
                         "session.timeout.ms)",
                         CLOSE_MAX_MS);
        }
        if (e)
            rd_kafka_error_destroy(e);
        if (q)
            rd_kafka_queue_destroy(q);
        if (closed) {
            rd_kafka_destroy(p->rk);
        } else {
            /* Even without the close, rd_kafka_destroy waits for the group handler to end,
             * i.e. for the silent coordinator: let a thread wait for it while the stop goes
             * on (the process exits without it if it is still waiting then). */
            pthread_t t;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&t, &attr, consumer_destroy_thread, p->rk) != 0)
                consumer_destroy_thread(p->rk); /* no thread: wait here after all */
            pthread_attr_destroy(&attr);
        }
    }
    store_close(p->store);
    positions_free(p->positions);
    unique_table_free(p->unique);
    for (int k = 0; k < 2; k++) {
        free(p->buf[k].slots);
        free(p->buf[k].records);
        free(p->buf[k].outcomes);
        free(p->buf[k].earlier);
        free(p->buf[k].fences);
        free(p->buf[k].rows);
    }
    free(p);
}
