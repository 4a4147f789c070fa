/*
 * metrics.c - customsd's metrics: bounded label tables behind one mutex, rendered in the
 * Prometheus text exposition format 0.0.4 (see metrics.h for the families).
 */
#include "metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "util.h"

#define OTHER "other"

/* Histogram upper bounds (the +Inf bucket is implicit). */
static const double batch_size_bounds[] = {1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
static const double commit_seconds_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10,  30};
#define MAX_BOUNDS 12

struct histogram {
    const double *bounds;
    size_t n_bounds;
    uint64_t buckets[MAX_BOUNDS + 1]; /* per bucket, not cumulative; last = above all */
    double sum;
    uint64_t count;
};

struct record_count {
    char *topic;
    char outcome; /* batch_outcome_letter, '?' unreported */
    uint64_t n;
};

struct status_count {
    int code;
    uint64_t n;
};

struct rule_count {
    char *rule_id;
    uint64_t n;
};

struct lag_entry {
    char *topic;
    int32_t partition;
    int64_t lag;
};

/* The consumer states metrics_set_state knows, in the order they are rendered. */
static const char *const state_names[] = {"schema",
                                          "postgresql_down",
                                          "postgresql_failing",
                                          "kafka_down",
                                          "unassigned",
                                          "standby",
                                          "running",
                                          OTHER};
#define N_STATES (sizeof(state_names) / sizeof(state_names[0]))

struct metrics {
    pthread_mutex_t lock;
    char *version;

    struct record_count records[METRICS_MAX_RECORD_LABELS + 1]; /* + the "other" row */
    size_t n_records;
    struct status_count decisions[METRICS_MAX_STATUS_LABELS];
    size_t n_decisions;
    uint64_t decisions_other;
    struct rule_count *rules; /* METRICS_MAX_RULE_LABELS */
    size_t n_rules;
    uint64_t rules_other;
    uint64_t quarantined;
    struct histogram batch_size, commit_seconds;
    uint64_t batches_committed, batches_fenced, batches_failed;

    struct lag_entry *lags; /* METRICS_MAX_PARTITIONS */
    size_t n_lags;
    bool lag_known;
    int64_t lag_total;

    bool outbox_known;
    int64_t outbox_backlog;
    double outbox_oldest_s;
    uint64_t published, delivery_failures;
    uint64_t receipt_xml_fallbacks;

    bool state_known;
    size_t state; /* index in state_names */
    bool postgresql_up, kafka_up, ready;
    int partitions;
    char why[256];

    char *rules_version;
    unsigned reload_failures;
    uint64_t loop_iterations;
};

static void histogram_init(struct histogram *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof(*h));
    h->bounds = bounds;
    h->n_bounds = n;
}

static void histogram_observe(struct histogram *h, double v)
{
    size_t i = 0;
    while (i < h->n_bounds && v > h->bounds[i])
        i++;
    h->buckets[i]++;
    h->sum += v;
    h->count++;
}

struct metrics *metrics_new(const char *version)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->version = util_strdup(version ? version : "");
    m->rules = calloc(METRICS_MAX_RULE_LABELS, sizeof(*m->rules));
    m->lags = calloc(METRICS_MAX_PARTITIONS, sizeof(*m->lags));
    if (!m->version || !m->rules || !m->lags || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m->version);
        free(m->rules);
        free(m->lags);
        free(m);
        return NULL;
    }
    histogram_init(&m->batch_size, batch_size_bounds, ARRAY_SIZE(batch_size_bounds));
    histogram_init(&m->commit_seconds, commit_seconds_bounds, ARRAY_SIZE(commit_seconds_bounds));
    snprintf(m->why, sizeof(m->why), "starting");
    return m;
}

static void lags_clear(struct metrics *m)
{
    for (size_t i = 0; i < m->n_lags; i++)
        free(m->lags[i].topic);
    m->n_lags = 0;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_records; i++)
        free(m->records[i].topic);
    for (size_t i = 0; i < m->n_rules; i++)
        free(m->rules[i].rule_id);
    lags_clear(m);
    pthread_mutex_destroy(&m->lock);
    free(m->rules);
    free(m->lags);
    free(m->rules_version);
    free(m->version);
    free(m);
}

/* ------------------------------------------------------------------------------------ */
/* Updates (the lock is held by the caller of these helpers)                             */
/* ------------------------------------------------------------------------------------ */

static void count_record(struct metrics *m, const char *topic, char outcome)
{
    size_t i;
    for (i = 0; i < m->n_records; i++) {
        if (m->records[i].outcome == outcome && strcmp(m->records[i].topic, topic) == 0) {
            m->records[i].n++;
            return;
        }
    }
    /* A new pair, or the "other" row once the table is full (or out of memory). */
    char *copy = i < METRICS_MAX_RECORD_LABELS ? util_strdup(topic) : NULL;
    if (!copy) {
        for (i = 0; i < m->n_records; i++) {
            if (m->records[i].outcome == '*') {
                m->records[i].n++;
                return;
            }
        }
        copy = util_strdup(OTHER);
        if (!copy)
            return;
        outcome = '*';
    }
    m->records[m->n_records++] = (struct record_count){copy, outcome, 1};
}

static void count_decision(struct metrics *m, int code)
{
    for (size_t i = 0; i < m->n_decisions; i++) {
        if (m->decisions[i].code == code) {
            m->decisions[i].n++;
            return;
        }
    }
    if (m->n_decisions == METRICS_MAX_STATUS_LABELS) {
        m->decisions_other++;
        return;
    }
    /* Kept in ascending order of code, so the output is stable. */
    size_t at = m->n_decisions;
    while (at > 0 && m->decisions[at - 1].code > code) {
        m->decisions[at] = m->decisions[at - 1];
        at--;
    }
    m->decisions[at] = (struct status_count){code, 1};
    m->n_decisions++;
}

static void count_rule(struct metrics *m, const char *rule_id)
{
    for (size_t i = 0; i < m->n_rules; i++) {
        if (strcmp(m->rules[i].rule_id, rule_id) == 0) {
            m->rules[i].n++;
            return;
        }
    }
    char *copy = m->n_rules < METRICS_MAX_RULE_LABELS ? util_strdup(rule_id) : NULL;
    if (!copy) {
        m->rules_other++;
        return;
    }
    m->rules[m->n_rules++] = (struct rule_count){copy, 1};
}

void metrics_batch_committed(struct metrics *m, const struct batch_record *records,
                             const struct batch_outcome *outcomes, size_t n, int64_t apply_ms)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < n; i++) {
        const struct batch_record *r = &records[i];
        enum batch_outcome_code code = outcomes[i].code;
        count_record(m, r->topic ? r->topic : "", batch_outcome_letter(code));
        if (code == BATCH_OUT_QUARANTINED || code == BATCH_OUT_CONFLICT)
            m->quarantined++;
        if (r->kind == BATCH_DECLARATION && r->decision &&
            (code == BATCH_OUT_APPLIED || code == BATCH_OUT_AMENDED)) {
            count_decision(m, r->decision->status_code);
            for (size_t k = 0; k < r->decision->n_reasons; k++)
                if (r->decision->reasons[k].rule_id)
                    count_rule(m, r->decision->reasons[k].rule_id);
        }
    }
    histogram_observe(&m->batch_size, (double)n);
    histogram_observe(&m->commit_seconds, (double)(apply_ms < 0 ? 0 : apply_ms) / 1000.0);
    m->batches_committed++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_batch_abandoned(struct metrics *m, bool fenced)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    if (fenced)
        m->batches_fenced++;
    else
        m->batches_failed++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_set_lag(struct metrics *m, const struct metrics_lag *lags, size_t n)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    lags_clear(m);
    m->lag_total = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t lag = lags[i].lag < 0 ? 0 : lags[i].lag;
        m->lag_total += lag;
        char *copy = m->n_lags < METRICS_MAX_PARTITIONS ? util_strdup(lags[i].topic) : NULL;
        if (copy)
            m->lags[m->n_lags++] = (struct lag_entry){copy, lags[i].partition, lag};
    }
    m->lag_known = true;
    pthread_mutex_unlock(&m->lock);
}

int64_t metrics_lag_total(struct metrics *m)
{
    if (!m)
        return -1;
    pthread_mutex_lock(&m->lock);
    int64_t total = m->lag_known ? m->lag_total : -1;
    pthread_mutex_unlock(&m->lock);
    return total;
}

void metrics_set_outbox(struct metrics *m, int64_t backlog, double oldest_s)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->outbox_known = true;
    m->outbox_backlog = backlog;
    m->outbox_oldest_s = oldest_s < 0 ? 0 : oldest_s;
    pthread_mutex_unlock(&m->lock);
}

void metrics_set_relay(struct metrics *m, uint64_t published, uint64_t failed)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->published = published;
    m->delivery_failures = failed;
    pthread_mutex_unlock(&m->lock);
}

void metrics_receipt_xml_fallback(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->receipt_xml_fallbacks++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_set_state(struct metrics *m, const char *state, bool postgresql_up, bool kafka_up,
                       int partitions, bool ready, const char *why)
{
    if (!m)
        return;
    size_t s = 0;
    while (s < N_STATES - 1 && strcmp(state_names[s], state ? state : "") != 0)
        s++;
    pthread_mutex_lock(&m->lock);
    m->state_known = true;
    m->state = s;
    m->postgresql_up = postgresql_up;
    m->kafka_up = kafka_up;
    m->partitions = partitions;
    m->ready = ready;
    snprintf(m->why, sizeof(m->why), "%s", why ? why : "");
    pthread_mutex_unlock(&m->lock);
}

bool metrics_ready(struct metrics *m, char *why, size_t whylen)
{
    if (!m) {
        snprintf(why, whylen, "no metrics");
        return false;
    }
    pthread_mutex_lock(&m->lock);
    bool ready = m->ready;
    snprintf(why, whylen, "%s", m->why);
    pthread_mutex_unlock(&m->lock);
    return ready;
}

void metrics_set_rules(struct metrics *m, const char *version, unsigned reload_failures)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    if (!m->rules_version || strcmp(m->rules_version, version ? version : "") != 0) {
        char *copy = util_strdup(version ? version : "");
        if (copy) {
            free(m->rules_version);
            m->rules_version = copy;
        }
    }
    m->reload_failures = reload_failures;
    pthread_mutex_unlock(&m->lock);
}

void metrics_loop_iteration(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->loop_iterations++;
    pthread_mutex_unlock(&m->lock);
}

/* ------------------------------------------------------------------------------------ */
/* Rendering                                                                            */
/* ------------------------------------------------------------------------------------ */

/* A label value with \, " and newline escaped, as the text format wants. */
static void put_label(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            fputs("\\\\", f);
        else if (*v == '"')
            fputs("\\\"", f);
        else if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP customsd_%s %s\n# TYPE customsd_%s %s\n", name, help, name, type);
}

/* A number as the text format writes floats: shortest round trip, +Inf spelled so. */
static void put_double(FILE *f, double v)
{
    fprintf(f, "%.17g", v);
}

static void render_histogram(FILE *f, const char *name, const char *help, const struct histogram *h)
{
    uint64_t cum = 0;
    family(f, name, "histogram", help);
    for (size_t i = 0; i < h->n_bounds; i++) {
        cum += h->buckets[i];
        fprintf(f, "customsd_%s_bucket{le=\"", name);
        fprintf(f, "%g", h->bounds[i]);
        fprintf(f, "\"} %" PRIu64 "\n", cum);
    }
    cum += h->buckets[h->n_bounds];
    fprintf(f, "customsd_%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
    fprintf(f, "customsd_%s_sum ", name);
    put_double(f, h->sum);
    fprintf(f, "\ncustomsd_%s_count %" PRIu64 "\n", name, h->count);
}

static const char *outcome_word(char letter)
{
    switch (letter) {
    case 'A':
        return "applied";
    case 'D':
        return "duplicate";
    case 'M':
        return "amended";
    case 'C':
        return "cancelled";
    case 'X':
        return "conflict";
    case 'R':
        return "refused";
    case 'Q':
        return "quarantined";
    case 'S':
        return "scan";
    case 'P':
        return "pending";
    case '*':
        return OTHER;
    default:
        return "unreported";
    }
}

static void render_records(FILE *f, const struct metrics *m)
{
    family(f, "records_total", "counter",
           "Kafka records committed to PostgreSQL, by topic and by what was recorded.");
    for (size_t i = 0; i < m->n_records; i++) {
        fputs("customsd_records_total{topic=\"", f);
        put_label(f, m->records[i].topic);
        fprintf(f, "\",outcome=\"%s\"} %" PRIu64 "\n", outcome_word(m->records[i].outcome),
                m->records[i].n);
    }
    family(f, "decisions_total", "counter",
           "Declarations recorded with a decision (new or amended), by the decision's status "
           "code.");
    for (size_t i = 0; i < m->n_decisions; i++)
        fprintf(f, "customsd_decisions_total{status_code=\"%d\"} %" PRIu64 "\n",
                m->decisions[i].code, m->decisions[i].n);
    if (m->decisions_other)
        fprintf(f, "customsd_decisions_total{status_code=\"" OTHER "\"} %" PRIu64 "\n",
                m->decisions_other);
    family(f, "rule_hits_total", "counter", "Reasons of recorded decisions, by rule id.");
    for (size_t i = 0; i < m->n_rules; i++) {
        fputs("customsd_rule_hits_total{rule_id=\"", f);
        put_label(f, m->rules[i].rule_id);
        fprintf(f, "\"} %" PRIu64 "\n", m->rules[i].n);
    }
    if (m->rules_other)
        fprintf(f, "customsd_rule_hits_total{rule_id=\"" OTHER "\"} %" PRIu64 "\n", m->rules_other);
    family(f, "quarantined_total", "counter",
           "Records put in customs.quarantine (undecodable, refused by the database, "
           "conflicting declarations).");
    fprintf(f, "customsd_quarantined_total %" PRIu64 "\n", m->quarantined);
    render_histogram(f, "batch_size", "Records per committed batch.", &m->batch_size);
    render_histogram(f, "batch_commit_seconds",
                     "Time of the apply_batch transaction of committed batches, in seconds.",
                     &m->commit_seconds);
    family(f, "batches_total", "counter",
           "Batches by result: committed, fenced (another instance owns a partition), failed "
           "(database unavailable or busy; re-read later).");
    fprintf(f, "customsd_batches_total{result=\"committed\"} %" PRIu64 "\n", m->batches_committed);
    fprintf(f, "customsd_batches_total{result=\"fenced\"} %" PRIu64 "\n", m->batches_fenced);
    fprintf(f, "customsd_batches_total{result=\"failed\"} %" PRIu64 "\n", m->batches_failed);
}

static void render_state(FILE *f, const struct metrics *m)
{
    if (m->lag_known) {
        family(f, "consumer_lag", "gauge",
               "Records in the partition past the next offset stored in PostgreSQL.");
        for (size_t i = 0; i < m->n_lags; i++) {
            fputs("customsd_consumer_lag{topic=\"", f);
            put_label(f, m->lags[i].topic);
            fprintf(f, "\",partition=\"%" PRId32 "\"} %" PRId64 "\n", m->lags[i].partition,
                    m->lags[i].lag);
        }
        family(f, "consumer_lag_total", "gauge", "The sum of customsd_consumer_lag.");
        fprintf(f, "customsd_consumer_lag_total %" PRId64 "\n", m->lag_total);
    }
    if (m->outbox_known) {
        family(f, "outbox_backlog", "gauge", "Unpublished rows in customs.outbox.");
        fprintf(f, "customsd_outbox_backlog %" PRId64 "\n", m->outbox_backlog);
        family(f, "outbox_oldest_unpublished_seconds", "gauge",
               "Age of the oldest unpublished outbox row in seconds (0: none).");
        fputs("customsd_outbox_oldest_unpublished_seconds ", f);
        put_double(f, m->outbox_oldest_s);
        fputc('\n', f);
    }
    family(f, "outbox_published_total", "counter",
           "Outbox rows delivered to Kafka and marked published by this process.");
    fprintf(f, "customsd_outbox_published_total %" PRIu64 "\n", m->published);
    family(f, "outbox_delivery_failures_total", "counter",
           "Outbox deliveries that failed (retried later).");
    fprintf(f, "customsd_outbox_delivery_failures_total %" PRIu64 "\n", m->delivery_failures);
    family(f, "receipts_xml_fallbacks_total", "counter",
           "Receipts published as JSON under receipts.format xml: their payload could not be "
           "written as CEB604 XML.");
    fprintf(f, "customsd_receipts_xml_fallbacks_total %" PRIu64 "\n", m->receipt_xml_fallbacks);
    if (m->state_known) {
        family(f, "postgresql_up", "gauge", "1 when the consumer's PostgreSQL connection is up.");
        fprintf(f, "customsd_postgresql_up %d\n", m->postgresql_up ? 1 : 0);
        family(f, "kafka_up", "gauge", "1 unless every Kafka broker is unreachable.");
        fprintf(f, "customsd_kafka_up %d\n", m->kafka_up ? 1 : 0);
        family(f, "consumer_state", "gauge", "1 for the consumer's state now.");
        for (size_t s = 0; s < N_STATES; s++)
            fprintf(f, "customsd_consumer_state{state=\"%s\"} %d\n", state_names[s],
                    s == m->state ? 1 : 0);
        family(f, "partitions_assigned", "gauge", "Partitions assigned to this consumer.");
        fprintf(f, "customsd_partitions_assigned %d\n", m->partitions);
    }
    family(f, "ready", "gauge",
           "1 when the database answers at this release's schema and partitions are assigned.");
    fprintf(f, "customsd_ready %d\n", m->ready ? 1 : 0);
    if (m->rules_version) {
        family(f, "rules_info", "gauge", "The rule set in use (its version).");
        fputs("customsd_rules_info{version=\"", f);
        put_label(f, m->rules_version);
        fputs("\"} 1\n", f);
    }
    family(f, "rules_reload_failures_total", "counter",
           "Rule reloads refused (the rule set in use was kept).");
    fprintf(f, "customsd_rules_reload_failures_total %u\n", m->reload_failures);
    family(f, "main_loop_iterations_total", "counter", "Consumer steps of the main loop.");
    fprintf(f, "customsd_main_loop_iterations_total %" PRIu64 "\n", m->loop_iterations);
    family(f, "build_info", "gauge", "customsd's version.");
    fputs("customsd_build_info{version=\"", f);
    put_label(f, m->version);
    fputs("\"} 1\n", f);
}

char *metrics_render(struct metrics *m, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);

    if (!f)
        return NULL;
    if (m) {
        pthread_mutex_lock(&m->lock);
        render_records(f, m);
        render_state(f, m);
        pthread_mutex_unlock(&m->lock);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    if (len)
        *len = n;
    return text;
}
