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
/* The lag of the assigned partitions is sampled this often (metrics.h consumer_lag). */
#define LAG_SAMPLE_MS 5000

/* One polled record and what became of it. */
struct slot {
    rd_kafka_message_t *msg;
    struct declaration *decl;
    struct warehouse_scan *scan;
    struct document *doc;
    struct decision decision;
    char *key;
    char reason[512];
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

    struct slot *slots;
    struct batch_record *records;
    struct batch_outcome *outcomes;     /* what apply_batch recorded for each record */
    struct batch_earlier_scan *earlier; /* scans of earlier batches it applied (cap) */
    struct batch_offset *fences;        /* of the range being applied */
    size_t cap;
    struct unique_table *unique; /* pre-check 19: the keys of the range being applied */

    struct consumer_stats stats;
    struct metrics *metrics; /* borrowed, may be NULL (consumer_set_metrics) */
    int64_t lag_at_ms;       /* next lag sample */
    int64_t sweep_at_ms;     /* next matching sweep (matching.h); 0: at the next step */
    int64_t alerts_at_ms;    /* next unknown-parcel sweep (alerts.unknown_parcel_hours) */
};

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
    p->slots = calloc(p->cap, sizeof(*p->slots));
    p->records = calloc(p->cap, sizeof(*p->records));
    p->outcomes = calloc(p->cap, sizeof(*p->outcomes));
    p->earlier = calloc(p->cap, sizeof(*p->earlier));
    p->fences = calloc(p->cap, sizeof(*p->fences));
    p->positions = positions_new();
    p->unique = unique_table_new();
    if (!p->slots || !p->records || !p->outcomes || !p->earlier || !p->fences || !p->positions ||
        !p->unique) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }

    conf = kafka_conf_new(cfg, "customsd-consumer", err, errlen);
    if (!conf)
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

/*
 * Every LAG_SAMPLE_MS: the lag of each assigned partition whose stored offset is known, from
 * the high watermark librdkafka last saw in a fetch (rd_kafka_get_watermark_offsets: no
 * request, no wait) minus the stored next offset (the low watermark when none is stored).
 */
static void sample_lag(struct consumer *p)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (!p->metrics || now_ms() < p->lag_at_ms)
        return;
    p->lag_at_ms = now_ms() + LAG_SAMPLE_MS;
    if (rd_kafka_assignment(p->rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR || !assigned)
        return;
    struct metrics_lag *lags = calloc((size_t)assigned->cnt + 1, sizeof(*lags));
    size_t n = 0;
    for (int i = 0; lags && i < assigned->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &assigned->elems[i];
        const struct positions_partition *pp =
            positions_find(p->positions, tp->topic, tp->partition);
        int64_t lo = -1, hi = -1;
        if (!pp || !pp->loaded ||
            rd_kafka_get_watermark_offsets(p->rk, tp->topic, tp->partition, &lo, &hi) || hi < 0)
            continue;
        int64_t from = pp->next >= 0 ? pp->next : lo;
        lags[n++] = (struct metrics_lag){tp->topic, tp->partition, from >= 0 ? hi - from : hi};
    }
    if (lags)
        metrics_set_lag(p->metrics, lags, n);
    free(lags);
    rd_kafka_topic_partition_list_destroy(assigned);
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

static void slot_clear(struct slot *s)
{
    if (s->msg)
        rd_kafka_message_destroy(s->msg);
    declaration_free(s->decl);
    scan_free(s->scan);
    document_free(s->doc);
    decision_clear(&s->decision);
    free(s->key);
    memset(s, 0, sizeof(*s));
}

static void batch_clear(struct consumer *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        slot_clear(&p->slots[i]);
    positions_batch_reset(p->positions);
}

/* The document type of an orders, waybills or payments topic; -1 for another topic. */
static int document_topic(const struct config *cfg, const char *topic)
{
    if (strcmp(topic, cfg->topic_orders) == 0)
        return DOC_ORDER;
    if (strcmp(topic, cfg->topic_waybills) == 0)
        return DOC_WAYBILL;
    if (*cfg->topic_payments && strcmp(topic, cfg->topic_payments) == 0)
        return DOC_PAYMENT;
    return -1;
}

/* Decode and decide one record into slot s and its batch record r. */
static void prepare_record(struct consumer *p, struct slot *s, struct batch_record *r)
{
    rd_kafka_message_t *m = s->msg;
    rd_kafka_timestamp_type_t tstype;
    int dt;

    memset(r, 0, sizeof(*r));
    r->topic = rd_kafka_topic_name(m->rkt);
    r->partition = m->partition;
    r->offset = m->offset;
    r->timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
    r->value = m->payload ? m->payload : "";
    r->value_len = m->payload ? m->len : 0;

    if (!m->payload) {
        snprintf(s->reason, sizeof(s->reason), "empty record (null value, tombstone)");
    } else if (strcmp(r->topic, p->cfg->topic_scans) == 0) {
        s->scan = scan_decode(m->payload, m->len, p->cfg->max_message_bytes, &s->key, s->reason,
                              sizeof(s->reason));
        if (s->scan) {
            r->kind = BATCH_SCAN;
            r->key = s->scan->logisticsNo;
            r->scan = s->scan;
            return;
        }
    } else if ((dt = document_topic(p->cfg, r->topic)) >= 0) {
        s->doc = document_decode((enum doc_type)dt, m->payload, m->len, p->cfg->max_message_bytes,
                                 &s->key, s->reason, sizeof(s->reason));
        if (s->doc) {
            r->kind = BATCH_DOCUMENT;
            r->key = document_string(s->doc, s->doc->spec->key_b);
            r->doc = s->doc;
            return;
        }
        /* Quarantined: only a waybill's key is a logisticsNo, that a receipt can carry. */
        if (dt != DOC_WAYBILL) {
            free(s->key);
            s->key = NULL;
        }
    } else {
        s->decl = declaration_decode(m->payload, m->len, p->cfg->max_message_bytes, &s->key,
                                     s->reason, sizeof(s->reason));
    }
    if (s->decl && rules_evaluate(p->rules, s->decl, &s->decision) < 0) {
        /* Out of memory: not the record's fault, but never lose it: quarantine says why. */
        declaration_free(s->decl);
        s->decl = NULL;
        snprintf(s->reason, sizeof(s->reason), "rules evaluation failed: out of memory");
    }
    if (s->decl)
        matching_hold(p->rules, s->decl, &s->decision); /* 120 awaiting order / waybill */
    if (s->decl) {
        r->kind = BATCH_DECLARATION;
        r->key = s->decl->logisticsNo;
        r->decl = s->decl;
        r->decision = &s->decision;
    } else {
        r->kind = BATCH_QUARANTINE;
        r->key = s->key;
        r->reason = s->reason;
    }
}

/* Tell Kafka what was committed in PostgreSQL (informational, asynchronous). */
static void commit_kafka(struct consumer *p, size_t n_offsets)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n_offsets);
    for (size_t i = 0; i < n_offsets; i++)
        rd_kafka_topic_partition_list_add(list, p->fences[i].topic, p->fences[i].partition)
            ->offset = p->fences[i].next;
    rd_kafka_resp_err_t e = rd_kafka_commit(p->rk, list, 1);
    if (e)
        log_debug("kafka offset commit (informational) not sent: %s", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(list);
}

/*
 * Fence entries for records[lo, hi) into p->fences: per partition,
 * expected = the stored next offset, next = the highest offset in the range + 1. Returns
 * the number of entries, or -1 when a record's partition is no longer tracked (a batch is
 * dropped on every rebalance, so this does not happen).
 */
static int range_offsets(struct consumer *p, size_t lo, size_t hi)
{
    size_t n_offsets = 0;

    for (size_t i = lo; i < hi; i++) {
        const struct batch_record *r = &p->records[i];
        if (positions_fence_add(p->positions, p->fences, &n_offsets, r->topic, r->partition,
                                r->offset) < 0)
            return -1;
    }
    return (int)n_offsets;
}

/* consumer_unique_decide's callback: slot i of the range (ctx) takes the new decision. */
static void unique_decided(void *ctx, size_t i, struct decision *dec)
{
    struct slot *s = (struct slot *)ctx + i;
    decision_clear(&s->decision);
    s->decision = *dec;
}

/*
 * Apply records[lo, hi) in one transaction. When the database refuses the data of the
 * range (STORE_REJECTED), split it in halves and apply each, down to the one record that
 * is refused, which is then quarantined with the database's reason: one bad row never
 * costs the rest of the batch, and never blocks its partition.
 * Returns the number of records committed, or -1 when the work stopped (fenced, or the
 * database is unavailable; what was committed before stays committed and the positions
 * say so, the rest is re-read).
 */
static int apply_range(struct consumer *p, size_t lo, size_t hi)
{
    char err[1024];
    struct batch_result res = {0};
    size_t n = hi - lo;
    int n_fences = range_offsets(p, lo, hi);

    if (n_fences < 0) {
        log_error("batch of %zu records holds a partition no longer assigned; dropping it, "
                  "re-positioning at stored offsets",
                  n);
        p->need_reposition = true;
        return -1;
    }
    size_t n_offsets = (size_t)n_fences;
    struct batch_report report = {p->outcomes + lo, p->earlier, p->cap, 0};
    int64_t apply_start = now_ms(); /* the batch's transaction: lookups, apply, commit */
    bool txn;
    int rc = consumer_unique_decide(p->store, p->rules, p->unique, p->records + lo, n,
                                    unique_decided, p->slots + lo, &txn, err, sizeof(err));
    if (rc == STORE_OK)
        rc = store_apply_batch(p->store, p->cfg->group_id, p->records + lo, n, p->fences, n_offsets,
                               &res, &report, err, sizeof(err));
    if (txn)
        rc = store_finish(p->store, rc, err, sizeof(err));
    if (rc == STORE_OK) {
        resumed(p, "a batch committed");
        positions_commit(p->positions, p->fences, n_offsets);
        p->stats.records += n;
        p->stats.declarations += res.declarations;
        p->stats.duplicates += res.duplicates;
        p->stats.conflicts += res.conflicts;
        p->stats.quarantined += res.quarantined;
        p->stats.batches++;
        p->stats.scans += res.scans;
        metrics_batch_committed(p->metrics, p->records + lo, p->outcomes + lo, n,
                                now_ms() - apply_start);
        consumer_log_outcomes(p->records + lo, p->outcomes + lo, n);
        consumer_log_earlier_scans(p->earlier, p->cap, report.n_earlier);
        log_info("batch committed: %zu records, %zu declarations, %zu amendments, %zu "
                 "cancellations, %zu scans (%zu waiting for their declaration), %zu "
                 "duplicates, %zu conflicts, %zu refused transitions, %zu quarantined, %zu "
                 "events",
                 n, res.declarations, res.amendments, res.cancellations, res.scans,
                 res.pending_scans, res.duplicates, res.conflicts, res.refused, res.quarantined,
                 res.events);
        commit_kafka(p, n_offsets);
        for (size_t i = lo; i < hi; i++) {
            /* Documents stored or parcels waiting: match at the next step, not in 5 s. */
            if (p->records[i].kind == BATCH_DOCUMENT ||
                (p->records[i].kind == BATCH_DECLARATION &&
                 p->records[i].decision->status_code == STATUS_STORED))
                p->sweep_at_ms = 0;
        }
        return (int)n;
    }
    if (rc == STORE_REJECTED) {
        if (n > 1) {
            log_warn("batch of %zu records refused by the database (%s); splitting it to find "
                     "the record",
                     n, err);
            size_t mid = lo + n / 2;
            int a = apply_range(p, lo, mid);
            if (a < 0)
                return -1;
            int b = apply_range(p, mid, hi);
            return b < 0 ? -1 : a + b;
        }
        struct batch_record *r = &p->records[lo];
        if (r->kind != BATCH_QUARANTINE) {
            struct slot *sl = &p->slots[lo];
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
            return apply_range(p, lo, hi);
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
        const char *key = p->records[lo].key ? p->records[lo].key : "unknown";
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

int consumer_step(struct consumer *p)
{
    char err[1024];
    size_t n = 0;

    sample_lag(p);
    if (p->db_down)
        return step_paused(p);
    if (p->rules_registered) {
        int src = consumer_sweep_matching(p->store, p->rules, &p->sweep_at_ms, err, sizeof(err));
        if (src != STORE_OK)
            db_failed(p, "matching sweep", err);
        consumer_sweep_alerts(p->store, p->cfg->alerts_unknown_parcel_hours, &p->alerts_at_ms);
    }
    kafka_probe(p);
    if (p->need_reposition && reposition(p) < 0)
        return 0;
    if (!p->rules_registered) {
        if (store_register_rules(p->store, rules_version(p->rules), rules_text(p->rules), err,
                                 sizeof(err)) != STORE_OK) {
            db_failed(p, "recording the rule set", err);
            return 0;
        }
        p->rules_registered = true;
        log_info("deciding with rule set %s (%zu rules)", rules_version(p->rules),
                 rules_count(p->rules));
    }

    int64_t deadline = now_ms() + p->cfg->batch_max_wait_ms;
    unsigned gen = p->generation;
    size_t bytes = 0;
    while (n < p->cap && bytes < BATCH_MAX_BYTES) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(p->rk, (int)left);
        if (p->generation != gen || p->db_down) {
            /* A rebalance happened inside poll (or the database went away during it). What
             * we hold may be stale, and a partition kept across a cooperative rebalance was
             * not re-positioned: drop the batch and stop here, so every assigned partition
             * is re-positioned at its stored offset before anything more is collected
             * (collecting on would commit past the dropped records). */
            batch_clear(p, n);
            if (m)
                rd_kafka_message_destroy(m);
            p->need_reposition = true;
            return 0;
        }
        if (!m)
            continue;
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                log_error("kafka consumer fatal error: %s", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                batch_clear(p, n);
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
            log_warn("partition %s [%" PRId32 "]: offsets %" PRId64 "..%" PRId64
                     " are not in the log (removed by retention or compaction before they "
                     "were read); continuing at %" PRId64,
                     rd_kafka_topic_name(m->rkt), m->partition, gap_from, m->offset - 1, m->offset);
        bytes += m->len;
        p->slots[n].msg = m;
        prepare_record(p, &p->slots[n], &p->records[n]);
        n++;
    }
    if (n == 0) {
        idle_check(p);
        return 0;
    }

    int rc = apply_range(p, 0, n);
    batch_clear(p, n);
    return rc < 0 ? 0 : rc;
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
    free(p->slots);
    free(p->records);
    free(p->outcomes);
    free(p->earlier);
    free(p->fences);
    free(p);
}
