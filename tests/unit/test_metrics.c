/*
 * test_metrics.c - unit tests of metrics.c: what a committed batch counts (records per topic
 * and outcome, decisions per status code, rule hits, quarantines), the histograms'
 * cumulative buckets, lag, outbox, state and rules gauges, label escaping, the bound on
 * label sets, and that every rendered line is in the Prometheus text format 0.0.4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <regex.h>

#include "metrics.h"

#define DECL  "customs.declarations"
#define SCANS "mishan.warehouse.scans"

static int setup(void **state)
{
    *state = metrics_new("1.2.3");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    metrics_free(*state);
    return 0;
}

static char *render(struct metrics *m)
{
    size_t len = 0;
    char *text = metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    return text;
}

/* The text has exactly this line. */
static void assert_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return;
    }
    fail_msg("no line '%s' in:\n%s", line, text);
}

/* No line of the text starts with this. */
static void assert_no_line_starting(const char *text, const char *start)
{
    size_t n = strlen(start);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, start, n) == 0)
            fail_msg("unexpected line starting '%s' in:\n%s", start, text);
    }
}

/*
 * Every line is a # HELP or # TYPE line of a customsd_ family, or a sample
 * name{label="value",...} number, with the sample's family declared by a TYPE line before.
 */
static void assert_exposition(const char *text)
{
    regex_t help, type, sample;
    assert_int_equal(regcomp(&help, "^# HELP customsd_[a-z_]+ [^\n]+$", REG_EXTENDED), 0);
    assert_int_equal(
        regcomp(&type, "^# TYPE customsd_[a-z_]+ (counter|gauge|histogram)$", REG_EXTENDED), 0);
    assert_int_equal(regcomp(&sample,
                             "^customsd_[a-z_]+(\\{[a-z_]+=\"([^\"\\\\]|\\\\.)*\""
                             "(,[a-z_]+=\"([^\"\\\\]|\\\\.)*\")*\\})? "
                             "(-?[0-9]+(\\.[0-9]+)?(e[-+][0-9]+)?|\\+Inf)$",
                             REG_EXTENDED),
                     0);
    char *copy = strdup(text);
    char typed[4096] = "";
    assert_non_null(copy);
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (regexec(&help, line, 0, NULL, 0) == 0)
            continue;
        if (regexec(&type, line, 0, NULL, 0) == 0) {
            char name[128];
            assert_int_equal(sscanf(line, "# TYPE %127s", name), 1);
            strncat(typed, " ", sizeof(typed) - strlen(typed) - 1);
            strncat(typed, name, sizeof(typed) - strlen(typed) - 1);
            continue;
        }
        if (regexec(&sample, line, 0, NULL, 0) != 0)
            fail_msg("not a sample line: '%s'", line);
        char name[128];
        size_t n = strcspn(line, "{ ");
        assert_true(n < sizeof(name));
        memcpy(name, line, n);
        name[n] = '\0';
        char *suffix = NULL;
        char fam[140];
        snprintf(fam, sizeof(fam), " %s", name);
        if (!strstr(typed, fam)) { /* a histogram's _bucket, _sum, _count */
            if ((suffix = strstr(name, "_bucket")) || (suffix = strstr(name, "_sum")) ||
                (suffix = strstr(name, "_count")))
                *suffix = '\0';
            snprintf(fam, sizeof(fam), " %s", name);
        }
        if (!strstr(typed, fam))
            fail_msg("sample of an undeclared family: '%s'", line);
    }
    free(copy);
    regfree(&help);
    regfree(&type);
    regfree(&sample);
}

static void test_empty(void **state)
{
    char *t = render(*state);
    assert_exposition(t);
    assert_line(t, "# TYPE customsd_records_total counter");
    assert_line(t, "customsd_quarantined_total 0");
    assert_line(t, "customsd_batches_total{result=\"committed\"} 0");
    assert_line(t, "customsd_batch_size_bucket{le=\"+Inf\"} 0");
    assert_line(t, "customsd_batch_size_count 0");
    assert_line(t, "customsd_ready 0");
    assert_line(t, "customsd_build_info{version=\"1.2.3\"} 1");
    /* Not known yet: left out rather than a made-up 0. */
    assert_no_line_starting(t, "customsd_consumer_lag");
    assert_no_line_starting(t, "customsd_outbox_backlog");
    assert_no_line_starting(t, "customsd_postgresql_up");
    assert_no_line_starting(t, "customsd_rules_info");
    assert_no_line_starting(t, "customsd_decisions_total{");
    free(t);
}

/* A decision with the given status and rule ids (static storage, for one test). */
struct fixture {
    struct reason reasons[4];
    struct decision decision;
};

static void decided(struct fixture *fx, int status, const char *r1, const char *r2)
{
    memset(fx, 0, sizeof(*fx));
    fx->reasons[0].rule_id = (char *)r1;
    fx->reasons[1].rule_id = (char *)r2;
    fx->decision.status_code = status;
    fx->decision.n_reasons = r2 ? 2 : r1 ? 1 : 0;
    fx->decision.reasons = fx->reasons;
}

static void test_batch_counts(void **state)
{
    struct metrics *m = *state;
    struct fixture accepted, rejected, review;
    decided(&accepted, 399, NULL, NULL);
    decided(&rejected, 100, "R-VALUE", "R-HS");
    decided(&review, 300, "R-VALUE", NULL);
    struct batch_record rec[] = {
        {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &accepted.decision},
        {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &rejected.decision},
        {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &accepted.decision}, /* dup */
        {.kind = BATCH_QUARANTINE, .topic = DECL},
        {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &review.decision},   /* amended */
        {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &rejected.decision}, /* conflict */
        {.kind = BATCH_SCAN, .topic = SCANS},
        {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &accepted.decision},
    };
    struct batch_outcome out[] = {
        {.code = BATCH_OUT_APPLIED},     {.code = BATCH_OUT_APPLIED}, {.code = BATCH_OUT_DUPLICATE},
        {.code = BATCH_OUT_QUARANTINED}, {.code = BATCH_OUT_AMENDED}, {.code = BATCH_OUT_CONFLICT},
        {.code = BATCH_OUT_SCAN},        {.code = BATCH_OUT_APPLIED},
    };
    metrics_batch_committed(m, rec, out, 8, 7);
    metrics_batch_committed(m, rec, out, 1, 30); /* the first record again */
    metrics_batch_abandoned(m, true);
    metrics_batch_abandoned(m, false);
    metrics_batch_abandoned(m, false);

    char *t = render(m);
    assert_exposition(t);
    assert_line(t, "customsd_records_total{topic=\"" DECL "\",outcome=\"applied\"} 4");
    assert_line(t, "customsd_records_total{topic=\"" DECL "\",outcome=\"duplicate\"} 1");
    assert_line(t, "customsd_records_total{topic=\"" DECL "\",outcome=\"quarantined\"} 1");
    assert_line(t, "customsd_records_total{topic=\"" DECL "\",outcome=\"amended\"} 1");
    assert_line(t, "customsd_records_total{topic=\"" DECL "\",outcome=\"conflict\"} 1");
    assert_line(t, "customsd_records_total{topic=\"" SCANS "\",outcome=\"scan\"} 1");
    /* Decisions: applied and amended only; the duplicate and the conflict decide nothing. */
    assert_line(t, "customsd_decisions_total{status_code=\"100\"} 1");
    assert_line(t, "customsd_decisions_total{status_code=\"300\"} 1");
    assert_line(t, "customsd_decisions_total{status_code=\"399\"} 3");
    assert_true(strstr(t, "status_code=\"100\"") < strstr(t, "status_code=\"399\""));
    assert_line(t, "customsd_rule_hits_total{rule_id=\"R-VALUE\"} 2");
    assert_line(t, "customsd_rule_hits_total{rule_id=\"R-HS\"} 1");
    assert_line(t, "customsd_quarantined_total 2");
    assert_line(t, "customsd_batches_total{result=\"committed\"} 2");
    assert_line(t, "customsd_batches_total{result=\"fenced\"} 1");
    assert_line(t, "customsd_batches_total{result=\"failed\"} 2");
    free(t);
}

static void test_histograms(void **state)
{
    struct metrics *m = *state;
    struct batch_record rec[1] = {{.kind = BATCH_QUARANTINE, .topic = DECL}};
    struct batch_outcome out[1] = {{.code = BATCH_OUT_QUARANTINED}};

    metrics_batch_committed(m, rec, out, 1, 5);     /* size 1, 0.005 s: on the bounds */
    metrics_batch_committed(m, rec, out, 1, 6);     /* 0.006 s: le 0.01 */
    metrics_batch_committed(m, rec, out, 1, 40000); /* 40 s: above every bound */
    char *t = render(m);
    assert_exposition(t);
    assert_line(t, "customsd_batch_size_bucket{le=\"1\"} 3");
    assert_line(t, "customsd_batch_size_bucket{le=\"10000\"} 3");
    assert_line(t, "customsd_batch_size_bucket{le=\"+Inf\"} 3");
    assert_line(t, "customsd_batch_size_sum 3");
    assert_line(t, "customsd_batch_size_count 3");
    assert_line(t, "customsd_batch_commit_seconds_bucket{le=\"0.005\"} 1");
    assert_line(t, "customsd_batch_commit_seconds_bucket{le=\"0.01\"} 2");
    assert_line(t, "customsd_batch_commit_seconds_bucket{le=\"30\"} 2");
    assert_line(t, "customsd_batch_commit_seconds_bucket{le=\"+Inf\"} 3");
    assert_line(t, "customsd_batch_commit_seconds_count 3");
    assert_line(t, "customsd_batch_commit_seconds_sum 40.011000000000003");
    free(t);

    /* Bigger batches land in their buckets, cumulatively. */
    struct batch_record many[300];
    struct batch_outcome outs[300];
    for (size_t i = 0; i < 300; i++) {
        many[i] = rec[0];
        outs[i] = out[0];
    }
    metrics_batch_committed(m, many, outs, 300, 100);
    metrics_batch_committed(m, many, outs, 50, 100);
    t = render(m);
    assert_line(t, "customsd_batch_size_bucket{le=\"10\"} 3");
    assert_line(t, "customsd_batch_size_bucket{le=\"50\"} 4");
    assert_line(t, "customsd_batch_size_bucket{le=\"250\"} 4");
    assert_line(t, "customsd_batch_size_bucket{le=\"500\"} 5");
    assert_line(t, "customsd_batch_size_sum 353");
    free(t);
}

static void test_gauges(void **state)
{
    struct metrics *m = *state;
    char why[128];

    assert_int_equal(metrics_lag_total(m), -1);
    assert_false(metrics_ready(m, why, sizeof(why)));
    assert_string_equal(why, "starting");
    struct metrics_lag lags[] = {{DECL, 0, 5}, {DECL, 1, 0}, {SCANS, 0, 7}, {SCANS, 1, -3}};
    metrics_set_lag(m, lags, 4);
    assert_int_equal(metrics_lag_total(m), 12);
    metrics_set_outbox(m, 42, 3.5);
    metrics_set_relay(m, 1000, 2);
    metrics_receipt_xml_fallback(m);
    metrics_receipt_xml_fallback(m);
    metrics_set_state(m, "postgresql_down", false, true, 4, false,
                      "PostgreSQL unavailable: connection refused");
    metrics_set_rules(m, "abc123", 2);
    metrics_loop_iteration(m);
    metrics_loop_iteration(m);

    char *t = render(m);
    assert_exposition(t);
    assert_line(t, "customsd_consumer_lag{topic=\"" DECL "\",partition=\"0\"} 5");
    assert_line(t, "customsd_consumer_lag{topic=\"" SCANS "\",partition=\"1\"} 0");
    assert_line(t, "customsd_consumer_lag_total 12");
    assert_line(t, "customsd_outbox_backlog 42");
    assert_line(t, "customsd_outbox_oldest_unpublished_seconds 3.5");
    assert_line(t, "customsd_outbox_published_total 1000");
    assert_line(t, "customsd_outbox_delivery_failures_total 2");
    assert_line(t, "customsd_receipts_xml_fallbacks_total 2");
    assert_line(t, "customsd_postgresql_up 0");
    assert_line(t, "customsd_kafka_up 1");
    assert_line(t, "customsd_consumer_state{state=\"postgresql_down\"} 1");
    assert_line(t, "customsd_consumer_state{state=\"running\"} 0");
    assert_line(t, "customsd_partitions_assigned 4");
    assert_line(t, "customsd_ready 0");
    assert_line(t, "customsd_rules_info{version=\"abc123\"} 1");
    assert_line(t, "customsd_rules_reload_failures_total 2");
    assert_line(t, "customsd_main_loop_iterations_total 2");
    free(t);
    assert_false(metrics_ready(m, why, sizeof(why)));
    assert_string_equal(why, "PostgreSQL unavailable: connection refused");

    /* A new sample replaces the partitions (one was revoked); the state changes. */
    metrics_set_lag(m, lags, 1);
    metrics_set_state(m, "running", true, true, 1, true, "consuming");
    metrics_set_rules(m, "def456", 2);
    t = render(m);
    assert_exposition(t);
    assert_no_line_starting(t, "customsd_consumer_lag{topic=\"" SCANS);
    assert_line(t, "customsd_consumer_lag_total 5");
    assert_line(t, "customsd_consumer_state{state=\"running\"} 1");
    assert_line(t, "customsd_consumer_state{state=\"postgresql_down\"} 0");
    assert_line(t, "customsd_ready 1");
    assert_line(t, "customsd_rules_info{version=\"def456\"} 1");
    assert_no_line_starting(t, "customsd_rules_info{version=\"abc123\"");
    free(t);
    assert_true(metrics_ready(m, why, sizeof(why)));

    /* An unknown state name is "other", never a new label. */
    metrics_set_state(m, "weird\"", true, true, 1, false, "");
    t = render(m);
    assert_line(t, "customsd_consumer_state{state=\"other\"} 1");
    assert_null(strstr(t, "weird"));
    free(t);
}

static void test_escaping(void **state)
{
    struct metrics *m = *state;
    struct fixture fx;
    decided(&fx, 100, "odd\"id\\with\nnewline", NULL);
    struct batch_record rec = {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &fx.decision};
    struct batch_outcome out = {.code = BATCH_OUT_APPLIED};
    metrics_batch_committed(m, &rec, &out, 1, 1);
    char *t = render(m);
    assert_exposition(t);
    assert_line(t, "customsd_rule_hits_total{rule_id=\"odd\\\"id\\\\with\\nnewline\"} 1");
    free(t);
}

static void test_bounded_labels(void **state)
{
    struct metrics *m = *state;
    static char ids[METRICS_MAX_RULE_LABELS + 10][16];
    static struct reason reasons[METRICS_MAX_RULE_LABELS + 10];
    struct decision d = {
        .status_code = 100, .n_reasons = METRICS_MAX_RULE_LABELS + 10, .reasons = reasons};
    for (size_t i = 0; i < METRICS_MAX_RULE_LABELS + 10; i++) {
        snprintf(ids[i], sizeof(ids[i]), "R%zu", i);
        reasons[i].rule_id = ids[i];
    }
    struct batch_record rec = {.kind = BATCH_DECLARATION, .topic = DECL, .decision = &d};
    struct batch_outcome out = {.code = BATCH_OUT_APPLIED};
    metrics_batch_committed(m, &rec, &out, 1, 1);

    /* Topics beyond the table go to topic "other". */
    char topics[METRICS_MAX_RECORD_LABELS + 5][32];
    for (size_t i = 0; i < METRICS_MAX_RECORD_LABELS + 5; i++) {
        snprintf(topics[i], sizeof(topics[i]), "t%zu", i);
        struct batch_record q = {.kind = BATCH_QUARANTINE, .topic = topics[i]};
        struct batch_outcome qo = {.code = BATCH_OUT_QUARANTINED};
        metrics_batch_committed(m, &q, &qo, 1, 1);
    }
    char *t = render(m);
    assert_exposition(t);
    assert_line(t, "customsd_rule_hits_total{rule_id=\"R0\"} 1");
    char last[64];
    snprintf(last, sizeof(last), "customsd_rule_hits_total{rule_id=\"R%d\"} 1",
             METRICS_MAX_RULE_LABELS - 1);
    assert_line(t, last);
    snprintf(last, sizeof(last), "customsd_rule_hits_total{rule_id=\"R%d\"",
             METRICS_MAX_RULE_LABELS);
    assert_null(strstr(t, last));
    assert_line(t, "customsd_rule_hits_total{rule_id=\"other\"} 10");
    /* The decl topic took one row; METRICS_MAX_RECORD_LABELS - 1 quarantine topics fit. */
    assert_line(t, "customsd_records_total{topic=\"other\",outcome=\"other\"} 6");
    free(t);
}

static void test_null_metrics(void **state)
{
    (void)state;
    char why[32];
    struct batch_record rec = {.kind = BATCH_QUARANTINE, .topic = DECL};
    struct batch_outcome out = {.code = BATCH_OUT_QUARANTINED};
    metrics_batch_committed(NULL, &rec, &out, 1, 1);
    metrics_batch_abandoned(NULL, true);
    metrics_set_lag(NULL, NULL, 0);
    metrics_set_outbox(NULL, 1, 1);
    metrics_set_relay(NULL, 1, 1);
    metrics_receipt_xml_fallback(NULL);
    metrics_set_state(NULL, "running", true, true, 1, true, "");
    metrics_set_rules(NULL, "x", 1);
    metrics_loop_iteration(NULL);
    assert_int_equal(metrics_lag_total(NULL), -1);
    assert_false(metrics_ready(NULL, why, sizeof(why)));
    metrics_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_histograms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gauges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded_labels, setup, teardown),
        cmocka_unit_test(test_null_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
