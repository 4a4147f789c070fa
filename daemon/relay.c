/*
 * relay.c - the outbox relay thread. See relay.h.
 */
#include "relay.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <libxml/parser.h>

#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "receipt_xml.h"
#include "store.h"
#include "util.h"

#define RELAY_IDLE_WAIT_MS   1000
#define RELAY_BACKOFF_MAX_MS 5000
#define RELAY_REPEAT_LOG_MS  60000 /* the same database failure is said again this often */
#define RELAY_STOP_GRACE_MS  5000
#define RELAY_BACKLOG_MS     5000    /* the outbox backlog is counted this often (metrics) */
#define RELAY_MAINTAIN_MS    3600000 /* partitions ahead and outbox pruning, this often */

struct relay {
    const struct config *cfg;
    struct metrics *metrics; /* borrowed, may be NULL */
    bool receipts_xml;       /* receipts.format xml: receipts as CEB604 (receipt_xml.h) */
    int64_t backlog_at_ms;   /* next count of the outbox backlog (relay thread) */
    int64_t maintain_at_ms;  /* next partition upkeep and pruning (relay thread; 0: now) */
    rd_kafka_t *producer;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    int64_t stop_at_ms; /* now_ms() of the first stop request (main thread only) */
    atomic_uint_fast64_t published;
    atomic_uint_fast64_t failed;

    /* Delivery results of the round in flight, indexed by the event's place in it. */
    rd_kafka_resp_err_t *results;
    size_t cap;
};

/* Delivery report: runs on the relay thread inside rd_kafka_poll/flush. */
static void relay_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct relay *r = opaque;
    size_t idx = (size_t)(uintptr_t)m->_private;
    (void)rk;
    if (idx < r->cap)
        r->results[idx] = m->err;
}

static void relay_sleep(struct relay *r, struct store *s, int ms)
{
    int64_t until = now_ms() + ms;
    while (!atomic_load(&r->stop) && now_ms() < until) {
        int got = s ? store_wait_notify(s, 200) : -1;
        if (got == 1)
            return;
        if (got != 0) { /* no connection to wait on (or it broke): sleep instead of spin */
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

/*
 * receipts.format xml, a row on the receipts topic: its value as a CEB604Message in *xml
 * (malloc'd, *len bytes) and "application/xml", the record's content-type. A receipt of an
 * order, waybill or payment (not an inventory) stays JSON ("application/json", *xml NULL),
 * and so does a payload receipt_xml cannot read: said in the log and counted
 * (customsd_receipts_xml_fallbacks_total), published all the same, so that a receipt is
 * never lost and never holds up the rows behind it.
 */
static const char *relay_receipt_value(struct relay *r, const struct outbox_event *e, char **xml,
                                       size_t *len)
{
    char err[256];
    int rc = receipt_xml_from_payload(e->payload, strlen(e->payload), xml, len, err, sizeof(err));
    if (rc == RECEIPT_XML_OK)
        return "application/xml";
    if (rc == RECEIPT_XML_ERROR) {
        log_warn("outbox relay: receipt %" PRId64 " (logisticsNo %s) cannot be written as CEB604 "
                 "XML, published as JSON: %s",
                 e->id, e->key ? e->key : "none", err);
        metrics_receipt_xml_fallback(r->metrics);
    }
    return "application/json";
}

/* Queue one record; ctype: its content-type header, NULL for none (receipts.format json). */
static rd_kafka_resp_err_t relay_produce(struct relay *r, const struct outbox_event *e,
                                         const char *value, size_t len, const char *ctype,
                                         size_t idx)
{
    if (ctype)
        return rd_kafka_producev(r->producer, RD_KAFKA_V_TOPIC(e->topic),
                                 RD_KAFKA_V_KEY(e->key, e->key ? strlen(e->key) : 0),
                                 RD_KAFKA_V_VALUE((void *)value, len),
                                 RD_KAFKA_V_HEADER("content-type", ctype, -1),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_OPAQUE((void *)(uintptr_t)idx), RD_KAFKA_V_END);
    return rd_kafka_producev(r->producer, RD_KAFKA_V_TOPIC(e->topic),
                             RD_KAFKA_V_KEY(e->key, e->key ? strlen(e->key) : 0),
                             RD_KAFKA_V_VALUE((void *)value, len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_OPAQUE((void *)(uintptr_t)idx), RD_KAFKA_V_END);
}

/*
 * Publish one round of outbox rows. Returns the number of rows fetched (0 = idle), or -1
 * on a database error.
 */
static int relay_round(struct relay *r, struct store *s)
{
    struct outbox_event *ev = NULL;
    size_t n = 0;
    char err[512];

    if (store_outbox_fetch(s, r->cfg->relay_batch, &ev, &n, err, sizeof(err)) != STORE_OK) {
        log_warn("outbox relay: fetching events failed: %s", err);
        return -1;
    }
    if (n == 0) {
        store_outbox_free(ev, n);
        return 0;
    }
    if (n > r->cap) {
        rd_kafka_resp_err_t *nr = realloc(r->results, n * sizeof(*nr));
        if (!nr) {
            store_outbox_free(ev, n);
            return -1;
        }
        r->results = nr;
        r->cap = n;
    }
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
        r->results[i] = RD_KAFKA_RESP_ERR__IN_PROGRESS;
        rd_kafka_resp_err_t e;
        char *xml = NULL;
        size_t xml_len = 0;
        const char *ctype = NULL;
        if (r->receipts_xml && strcmp(ev[i].topic, r->cfg->topic_receipts) == 0)
            ctype = relay_receipt_value(r, &ev[i], &xml, &xml_len);
        for (;;) {
            e = xml ? relay_produce(r, &ev[i], xml, xml_len, ctype, i)
                    : relay_produce(r, &ev[i], ev[i].payload, strlen(ev[i].payload), ctype, i);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(r->producer, 100);
        }
        free(xml); /* copied by the producer (RD_KAFKA_MSG_F_COPY) */
        if (e) {
            r->results[i] = e;
            log_warn("outbox relay: event %" PRId64 " to %s not queued: %s", ev[i].id, ev[i].topic,
                     rd_kafka_err2str(e));
            break; /* keep per-parcel order: the rest goes in a later round */
        }
        sent++;
    }
    /* Wait for every delivery report of this round before the next one reuses the result
     * slots. With Kafka down this waits (that is the outage pausing the relay), but a stop
     * request is honoured within RELAY_STOP_GRACE_MS. */
    int64_t stop_seen = 0;
    while (rd_kafka_outq_len(r->producer) > 0) {
        rd_kafka_poll(r->producer, 100);
        if (atomic_load(&r->stop)) {
            if (!stop_seen)
                stop_seen = now_ms();
            else if (now_ms() - stop_seen > RELAY_STOP_GRACE_MS)
                break;
        }
    }

    /* Mark the delivered prefix (id order) only: a failed event and everything after it is
     * sent again later, so a parcel's events never overtake one another for good. */
    size_t ok = 0;
    for (size_t i = 0; i < sent; i++) {
        if (r->results[i] != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_warn("outbox relay: event %" PRId64 " to %s not delivered: %s; will retry",
                     ev[i].id, ev[i].topic, rd_kafka_err2str(r->results[i]));
            atomic_fetch_add(&r->failed, 1);
            break;
        }
        ok++;
    }
    int rc = (int)n;
    if (ok > 0 && store_outbox_mark_delivered(s, ev, ok, err, sizeof(err)) != STORE_OK) {
        /* Delivered but not marked: published again later (at least once). */
        log_warn("outbox relay: marking %zu events published failed: %s", ok, err);
        rc = -1;
    } else if (ok > 0) {
        atomic_fetch_add(&r->published, ok);
        log_debug("outbox relay: published %zu events", ok);
    }
    store_outbox_free(ev, n);
    if (ok < n && rc > 0)
        rc = -1; /* back off before retrying the rest */
    return rc;
}

/* Every RELAY_BACKLOG_MS, when there are metrics: the outbox backlog into them. */
static void relay_count_backlog(struct relay *r, struct store *s)
{
    int64_t rows;
    double oldest_s;
    char err[512];
    if (!r->metrics || now_ms() < r->backlog_at_ms)
        return;
    r->backlog_at_ms = now_ms() + RELAY_BACKLOG_MS;
    if (store_outbox_backlog(s, &rows, &oldest_s, err, sizeof(err)) == STORE_OK)
        metrics_set_outbox(r->metrics, rows, oldest_s);
    else
        log_debug("outbox relay: %s", err);
}

/*
 * Every RELAY_MAINTAIN_MS, and when this instance takes the relay lease: the partitions
 * ahead and the published outbox rows past relay.retention_days pruned
 * (store_outbox_maintain). Only the lease holder runs it, so one instance of the group at
 * a time. A failure is said and retried at the next interval: the DEFAULT partitions take
 * the rows meanwhile.
 */
static void relay_maintain(struct relay *r, struct store *s)
{
    long created, dropped, deleted;
    char err[512];
    if (now_ms() < r->maintain_at_ms)
        return;
    r->maintain_at_ms = now_ms() + RELAY_MAINTAIN_MS;
    if (store_outbox_maintain(s, r->cfg->relay_retention_days, &created, &dropped, &deleted, err,
                              sizeof(err)) != STORE_OK) {
        log_warn("outbox relay: partition upkeep: %s; next try in %d s", err,
                 RELAY_MAINTAIN_MS / 1000);
        return;
    }
    if (created || dropped || deleted)
        log_info("outbox relay: partition upkeep: %ld partitions created ahead; outbox pruned "
                 "(published more than %u days ago): %ld partitions dropped, %ld rows deleted",
                 created, r->cfg->relay_retention_days, dropped, deleted);
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    struct store *s = NULL;
    char err[512];
    char failing[512] = ""; /* the failure said last ("": none since the last success) */
    int64_t said_at = 0;
    int backoff = 250;
    bool leader = false, listening = false;

    while (!atomic_load(&r->stop)) {
        if (!s) {
            struct store_limits limits = {r->cfg->pg_connect_timeout_s,
                                          r->cfg->pg_statement_timeout_ms,
                                          r->cfg->pg_lock_timeout_ms};
            if (store_open(r->cfg->pg_conninfo, &limits, r->cfg->topic_events,
                           r->cfg->topic_receipts, &s, err, sizeof(err)) != STORE_OK &&
                !s) {
                log_error("outbox relay: %s", err);
                relay_sleep(r, NULL, backoff);
                continue;
            }
        }
        if (store_reconnect(s, err, sizeof(err)) != STORE_OK) {
            /* Said when it starts or changes, then once a minute: the retries are many. */
            if (strcmp(err, failing) != 0 || now_ms() - said_at >= RELAY_REPEAT_LOG_MS) {
                log_warn("outbox relay: database unavailable: %s; retrying (every %d ms at most)",
                         err, RELAY_BACKOFF_MAX_MS);
                snprintf(failing, sizeof(failing), "%s", err);
                said_at = now_ms();
            } else {
                log_debug("outbox relay: database unavailable: %s; retry in %d ms", err, backoff);
            }
            leader = listening = false;
            relay_sleep(r, NULL, backoff);
            backoff = backoff * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        if (failing[0]) {
            log_info("outbox relay: database available again");
            failing[0] = '\0';
        }
        relay_count_backlog(r, s);
        if (!leader) {
            int got = store_relay_lock(s);
            if (got != 1) {
                if (got < 0)
                    listening = false;
                relay_sleep(r, NULL, RELAY_IDLE_WAIT_MS);
                continue;
            }
            leader = true;
            r->maintain_at_ms = 0;
            log_info("outbox relay: publishing (this instance holds the relay lease)");
        }
        if (!listening) {
            if (store_listen(s) != STORE_OK) {
                leader = false;
                continue;
            }
            listening = true;
        }
        relay_maintain(r, s);
        int got = relay_round(r, s);
        if (got < 0) {
            /* A broken connection also drops the lease and LISTEN: take them again. */
            leader = listening = false;
            relay_sleep(r, NULL, backoff);
            backoff = backoff * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        backoff = 250;
        if ((size_t)got < r->cfg->relay_batch)
            relay_sleep(r, s, RELAY_IDLE_WAIT_MS);
    }
    store_close(s);
    return NULL;
}

int relay_start(const struct config *cfg, struct metrics *m, struct relay **out, char *err,
                size_t errlen)
{
    struct relay *r = calloc(1, sizeof(*r));
    rd_kafka_conf_t *conf = NULL;
    char why[512];

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->cfg = cfg;
    r->metrics = m;
    r->receipts_xml = cfg->receipts_format && strcmp(cfg->receipts_format, "xml") == 0;
    if (r->receipts_xml)
        xmlInitParser(); /* libxml2's global state, once, before the relay thread uses it */
    conf = kafka_conf_new(cfg, "customsd-relay", err, errlen);
    if (!conf)
        goto fail;
    /* Idempotence (implies acks=all, bounded in-flight, retries): broker-side dedup of
     * retried batches and no reordering within a partition. Set after the passthrough. */
    if (kafka_conf_set(conf, "enable.idempotence", "true", err, errlen) < 0 ||
        kafka_conf_set(conf, "linger.ms", "5", err, errlen) < 0)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, relay_dr_cb);
    rd_kafka_conf_set_opaque(conf, r);
    r->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!r->producer) {
        snprintf(err, errlen, "kafka producer: %s", why);
        goto fail;
    }
    conf = NULL; /* ownership moved to r->producer */
    if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        snprintf(err, errlen, "cannot start the relay thread");
        goto fail;
    }
    r->thread_started = true;
    *out = r;
    return 0;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    relay_stop(r, 0);
    return -1;
}

void relay_request_stop(struct relay *r)
{
    if (!r || r->stop_at_ms)
        return;
    r->stop_at_ms = now_ms();
    atomic_store(&r->stop, true);
}

void relay_stop(struct relay *r, int flush_ms)
{
    if (!r)
        return;
    relay_request_stop(r);
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    if (r->producer) {
        /* flush_ms counts from the stop request: the round in flight used part of it. */
        int64_t left = r->stop_at_ms + flush_ms - now_ms();
        rd_kafka_resp_err_t e = rd_kafka_flush(r->producer, left > 0 ? (int)left : 0);
        if (e)
            log_warn("outbox relay: %d events still in flight at exit; they stay unpublished "
                     "in the outbox and go out on the next start",
                     rd_kafka_outq_len(r->producer));
        rd_kafka_destroy(r->producer);
    }
    free(r->results);
    free(r);
}

void relay_get_stats(struct relay *r, struct relay_stats *out)
{
    out->published = atomic_load(&r->published);
    out->failed = atomic_load(&r->failed);
}
