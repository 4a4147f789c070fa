/*
 * test_config.c - unit tests of config.c: defaults, a file setting every key, scalars kept
 * as written, relative rules path, and every error class with its exact file:line:column;
 * config_check in file order, and with the adapters' checks (kafka.c for librdkafka
 * properties, store.c for the libpq connection string) the messages `customsd -t` prints;
 * and of the safe YAML reader it shares with the rules (yamlread.c) on its own.
 *
 * Fixtures live in tests/data/config/; paths are relative to the source tree, which is the
 * working directory unless CUSTOMSD_SRCDIR says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "kafka.h"
#include "store.h"
#include "yamlread.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char path_buf[4096];

/* What customsd -t and customsctl config check run after loading. */
static const struct config_checks adapter_checks = {
    .kafka_property = kafka_check_property,
    .conninfo = store_check_conninfo,
    .kafka_properties = kafka_check_properties,
};

/* A path inside the source tree. */
static const char *src(const char *rel)
{
    const char *dir = getenv("CUSTOMSD_SRCDIR");

    if (dir && *dir)
        snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, rel);
    else
        snprintf(path_buf, sizeof(path_buf), "%s", rel);
    return path_buf;
}

static const char *fixture(const char *name)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "tests/data/config/%s", name);
    return src(rel);
}

/* Load a fixture that must load; config_check not run. */
static struct config *load_only(const char *name)
{
    struct config *c = NULL;
    char err[1024] = "";

    if (config_load(fixture(name), &c, err, sizeof(err)) != 0)
        fail_msg("%s: unexpected error: %s", name, err);
    assert_non_null(c);
    return c;
}

/* Load a fixture that must load and pass the adapters' checks. */
static struct config *load_ok(const char *name)
{
    struct config *c = load_only(name);
    char err[1024] = "";

    if (config_check(c, &adapter_checks, err, sizeof(err)) != 0)
        fail_msg("%s: unexpected check error: %s", name, err);
    return c;
}

/*
 * Load a broken fixture and check the error: "<path>:<line>:<column>: <what...>", where
 * `what` must appear right after the position.
 */
static void expect_error(const char *name, int line, int column, const char *what)
{
    struct config *c = (struct config *)0x1;
    char err[1024] = "", want[1200];
    const char *path = fixture(name);

    assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
    assert_null(c);
    snprintf(want, sizeof(want), "%s:%d:%d: %s", path, line, column, what);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("%s:\n  got:  %s\n  want: %s...", name, err, want);
}

/*
 * A value only a client library can judge: the file loads (config.c does not ask), then
 * config_check with the adapters' checks refuses it with the same "file:line:column: what".
 */
static void expect_check_error(const char *name, int line, int column, const char *what)
{
    struct config *c = NULL;
    char err[1024] = "", want[1200];
    const char *path = fixture(name);

    if (config_load(path, &c, err, sizeof(err)) != 0)
        fail_msg("%s: unexpected load error: %s", name, err);
    assert_non_null(c);
    assert_int_equal(config_check(c, &adapter_checks, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:%d:%d: %s", path, line, column, what);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("%s:\n  got:  %s\n  want: %s...", name, err, want);
    config_free(c);
}

static void test_defaults(void **state)
{
    struct config *c = config_defaults();

    (void)state;
    assert_non_null(c);
    assert_string_equal(c->path, "(defaults)");
    assert_string_equal(c->bootstrap_servers, "127.0.0.1:9092");
    assert_string_equal(c->group_id, "customsd");
    assert_string_equal(c->topic_declarations, "customs.declarations");
    assert_string_equal(c->topic_scans, "mishan.warehouse.scans");
    assert_string_equal(c->topic_events, "mishan.warehouse.events");
    assert_string_equal(c->topic_receipts, "customs.receipts");
    assert_string_equal(c->topic_orders, "customs.orders");
    assert_string_equal(c->topic_waybills, "customs.waybills");
    assert_string_equal(c->topic_payments, ""); /* not consumed */
    assert_int_equal(c->n_kafka_properties, 0);
    assert_string_equal(c->pg_conninfo, "");
    assert_int_equal(c->pg_connect_timeout_s, 5);
    assert_int_equal(c->pg_statement_timeout_ms, 10000);
    assert_int_equal(c->pg_lock_timeout_ms, 5000);
    assert_string_equal(c->rules_path, "/etc/customsd/rules.yaml");
    assert_int_equal(c->batch_max_messages, 1000);
    assert_int_equal(c->batch_max_wait_ms, 200);
    assert_int_equal(c->max_message_bytes, 1048576);
    assert_int_equal(c->relay_batch, 1000);
    assert_int_equal(c->relay_retention_days, 7);
    assert_int_equal(c->alerts_unknown_parcel_hours, 24);
    assert_string_equal(c->log_level, "info");
    assert_string_equal(c->receipts_format, "json");
    assert_int_equal(c->pg_conninfo_at.line, 0); /* a default: no position in a file */
    assert_int_equal(config_check(c, &adapter_checks, NULL, 0), 0);
    config_free(c);
    config_free(NULL);
}

/* An empty file, or sections with nothing in them, mean all defaults. */
static void test_empty_files_are_defaults(void **state)
{
    static const char *const names[] = {"empty.yaml", "comments_only.yaml"};

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct config *c = load_ok(names[i]);
        struct config *d = config_defaults();
        assert_string_equal(c->path, fixture(names[i]));
        assert_string_equal(c->group_id, d->group_id);
        assert_string_equal(c->rules_path, d->rules_path);
        assert_int_equal(c->batch_max_messages, d->batch_max_messages);
        assert_int_equal(c->max_message_bytes, d->max_message_bytes);
        config_free(c);
        config_free(d);
    }
}

static void test_full_file(void **state)
{
    struct config *c = load_ok("full.yaml");

    (void)state;
    assert_string_equal(c->bootstrap_servers, "broker1:9093,broker2:9093");
    assert_string_equal(c->group_id, "customsd-test");
    assert_string_equal(c->topic_declarations, "t.decl");
    assert_string_equal(c->topic_scans, "t.scans");
    assert_string_equal(c->topic_events, "t.events");
    assert_string_equal(c->topic_receipts, "t.receipts");
    assert_int_equal(c->n_kafka_properties, 5);
    assert_string_equal(c->kafka_properties[0].name, "security.protocol");
    assert_string_equal(c->kafka_properties[0].value, "SASL_SSL");
    assert_string_equal(c->kafka_properties[1].name, "sasl.mechanisms");
    assert_string_equal(c->kafka_properties[1].value, "SCRAM-SHA-512");
    assert_string_equal(c->kafka_properties[2].name, "sasl.username");
    assert_string_equal(c->kafka_properties[3].name, "sasl.password");
    assert_string_equal(c->kafka_properties[4].name, "socket.keepalive.enable");
    assert_string_equal(c->kafka_properties[4].value, "true");
    assert_int_equal(c->kafka_properties[4].at.line, 15);
    assert_int_equal(c->kafka_properties[4].at.column, 30);
    assert_string_equal(c->pg_conninfo, "host=/tmp dbname=customs");
    assert_int_equal(c->pg_conninfo_at.line, 17);
    assert_int_equal(c->pg_conninfo_at.column, 13);
    assert_int_equal(c->pg_connect_timeout_s, 3);
    assert_int_equal(c->pg_statement_timeout_ms, 0);
    assert_int_equal(c->pg_lock_timeout_ms, 250);
    assert_int_equal(c->batch_max_messages, 100000);
    assert_int_equal(c->batch_max_wait_ms, 1);
    assert_int_equal(c->max_message_bytes, 1024);
    assert_int_equal(c->relay_batch, 7);
    assert_int_equal(c->relay_retention_days, 0);
    assert_int_equal(c->alerts_unknown_parcel_hours, 6);
    assert_string_equal(c->log_level, "debug");
    assert_string_equal(c->receipts_format, "xml");
    config_free(c);
}

/* rules.path is relative to the configuration file's directory. */
static void test_relative_rules_path(void **state)
{
    struct config *c = load_ok("full.yaml");
    char want[4200];

    (void)state;
    snprintf(want, sizeof(want), "%s", fixture("rules/mishan.yaml"));
    assert_string_equal(c->rules_path, want);
    config_free(c);

    c = load_ok("strings.yaml"); /* absolute: unchanged */
    assert_string_equal(c->rules_path, "/abs/rules.yaml");
    config_free(c);
}

/* No YAML 1.1 resolution: no, on, 007, 0123, ~ and an empty value stay as written. */
static void test_scalars_as_written(void **state)
{
    struct config *c = load_ok("strings.yaml");

    (void)state;
    assert_string_equal(c->group_id, "no");
    assert_string_equal(c->topic_declarations, "007");
    assert_string_equal(c->topic_scans, "on");
    assert_string_equal(c->topic_events, "0123");
    assert_string_equal(c->topic_receipts, "NO");
    assert_string_equal(c->pg_conninfo, "");
    config_free(c);
}

/* The shipped, documented example loads, and the defaults it documents are the real ones. */
static void test_example_config(void **state)
{
    struct config *c = NULL, *d = config_defaults();
    char err[1024] = "", want[4200];

    (void)state;
    if (config_load(src("config/customsd.yaml"), &c, err, sizeof(err)) != 0 ||
        config_check(c, &adapter_checks, err, sizeof(err)) != 0)
        fail_msg("config/customsd.yaml: %s", err);
    assert_string_equal(c->bootstrap_servers, d->bootstrap_servers);
    assert_string_equal(c->group_id, d->group_id);
    assert_string_equal(c->topic_declarations, d->topic_declarations);
    assert_string_equal(c->topic_scans, d->topic_scans);
    assert_string_equal(c->topic_events, d->topic_events);
    assert_string_equal(c->topic_receipts, d->topic_receipts);
    assert_string_equal(c->pg_conninfo, d->pg_conninfo);
    assert_int_equal(c->pg_connect_timeout_s, d->pg_connect_timeout_s);
    assert_int_equal(c->pg_statement_timeout_ms, d->pg_statement_timeout_ms);
    assert_int_equal(c->pg_lock_timeout_ms, d->pg_lock_timeout_ms);
    assert_int_equal(c->batch_max_messages, d->batch_max_messages);
    assert_int_equal(c->batch_max_wait_ms, d->batch_max_wait_ms);
    assert_int_equal(c->max_message_bytes, d->max_message_bytes);
    assert_int_equal(c->relay_batch, d->relay_batch);
    assert_int_equal(c->relay_retention_days, d->relay_retention_days);
    assert_string_equal(c->log_level, d->log_level);
    assert_string_equal(c->receipts_format, d->receipts_format);
    snprintf(want, sizeof(want), "%s", src("config/rules.yaml"));
    assert_string_equal(c->rules_path, want);
    config_free(c);
    config_free(d);
}

static void test_missing_file(void **state)
{
    struct config *c = (struct config *)0x1;
    char err[1024] = "", want[4200];

    (void)state;
    assert_int_equal(config_load(fixture("does-not-exist.yaml"), &c, err, sizeof(err)), -1);
    assert_null(c);
    snprintf(want, sizeof(want), "%s: No such file or directory", fixture("does-not-exist.yaml"));
    assert_string_equal(err, want);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error("err_unknown_key.yaml", 3, 1,
                 "unknown key 'logging' (known: kafka, postgresql, rules, batch, relay, log, "
                 "metrics, alerts, receipts)");
    expect_error("err_unknown_nested.yaml", 4, 5,
                 "unknown key 'scan' in kafka.topics (known: declarations, scans, events, "
                 "receipts, orders, waybills, payments)");
    /* A dotted key is not a shortcut for a nested one. */
    expect_error("err_dotted_key.yaml", 1, 1, "unknown key 'kafka.group_id'");
    /* Checked at load, so `customsd -t` catches them, not the daemon's start. */
    expect_error("err_topic_same.yaml", 3, 13,
                 "kafka.topics.declarations and kafka.topics.events are the same topic");
    expect_error("err_topic_orders_same.yaml", 3, 13,
                 "kafka.topics.orders and kafka.topics.waybills are the same topic");
    struct config *docs = load_ok("documents_topics.yaml");
    assert_string_equal(docs->topic_payments, "customs.payments");
    assert_string_equal(docs->topic_orders, "o.1");
    config_free(docs);
    expect_error("err_topic_name.yaml", 3, 13,
                 "kafka.topics.events: 'bad topic!' is not a Kafka topic name");
    expect_check_error("err_property_unknown.yaml", 3, 19,
                       "kafka.properties.no.such.prop: No such configuration property");
    expect_check_error("err_property_value.yaml", 3, 30,
                       "kafka.properties.socket.keepalive.enable: Expected bool value");
    expect_check_error("err_conninfo.yaml", 2, 13,
                       "postgresql.conninfo: invalid connection option \"hostx\"");
    /* What libpq quotes from a string it cannot parse may be a piece of a password: hidden
     * (the messages compared to their end: nothing of "se cret" or "s%zzcret" is left). */
    expect_check_error("err_conninfo_password.yaml", 2, 13,
                       "postgresql.conninfo: missing \"=\" after \"(hidden)\" in connection info "
                       "string");
    expect_check_error("err_conninfo_uri.yaml", 2, 13,
                       "postgresql.conninfo: invalid percent-encoded token: \"(hidden)\"");
}

/* ------------------------------------------------------------------------------------ */
/* config_check on its own, with checks that refuse what a test says                    */
/* ------------------------------------------------------------------------------------ */

static char refused_property[64], refused_conninfo[64], asked[256];

static int fake_property(const char *name, const char *value, char *why, size_t whylen)
{
    size_t used = strlen(asked);

    snprintf(asked + used, sizeof(asked) - used, "%s=%s;", name, value);
    if (strcmp(name, refused_property) != 0)
        return 0;
    snprintf(why, whylen, "refused %s", name);
    return -1;
}

static int fake_conninfo(const char *conninfo, char *why, size_t whylen)
{
    size_t used = strlen(asked);

    snprintf(asked + used, sizeof(asked) - used, "conninfo %s;", conninfo);
    if (strcmp(conninfo, refused_conninfo) != 0)
        return 0;
    snprintf(why, whylen, "refused conninfo");
    return -1;
}

/* Run config_check on fixture `name` with the fakes; returns its result, err in err. */
static int check_with_fakes(const char *name, const char *property, const char *conninfo, char *err,
                            size_t errlen)
{
    static const struct config_checks fakes = {fake_property, fake_conninfo, NULL};
    struct config *c = load_only(name);
    int rc;

    snprintf(refused_property, sizeof(refused_property), "%s", property);
    snprintf(refused_conninfo, sizeof(refused_conninfo), "%s", conninfo);
    asked[0] = '\0';
    rc = config_check(c, &fakes, err, errlen);
    config_free(c);
    return rc;
}

/* Every value is asked about once, in file order; the first refusal in the file wins. */
static void test_check_order(void **state)
{
    char err[512], want[4300];

    (void)state;
    assert_int_equal(check_with_fakes("check_order.yaml", "", "", err, sizeof(err)), 0);
    assert_string_equal(asked, "conninfo host=/tmp;a.one=1;a.two=2;");

    assert_int_equal(check_with_fakes("check_order.yaml", "a.two", "host=/tmp", err, sizeof(err)),
                     -1);
    snprintf(want, sizeof(want), "%s:3:13: postgresql.conninfo: refused conninfo",
             fixture("check_order.yaml"));
    assert_string_equal(err, want);
    assert_string_equal(asked, "conninfo host=/tmp;");

    assert_int_equal(check_with_fakes("check_order.yaml", "a.two", "", err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:7:12: kafka.properties.a.two: refused a.two",
             fixture("check_order.yaml"));
    assert_string_equal(err, want);

    /* kafka before postgresql (full.yaml): the property comes first. */
    assert_int_equal(check_with_fakes("full.yaml", "security.protocol", "host=/tmp dbname=customs",
                                      err, sizeof(err)),
                     -1);
    snprintf(want, sizeof(want),
             "%s:11:24: kafka.properties.security.protocol: refused "
             "security.protocol",
             fixture("full.yaml"));
    assert_string_equal(err, want);
    assert_int_equal(
        check_with_fakes("full.yaml", "", "host=/tmp dbname=customs", err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:17:13: postgresql.conninfo: refused conninfo",
             fixture("full.yaml"));
    assert_string_equal(err, want);
    assert_string_equal(asked, "security.protocol=SASL_SSL;sasl.mechanisms=SCRAM-SHA-512;"
                               "sasl.username=customsd;sasl.password=not-a-secret;"
                               "socket.keepalive.enable=true;conninfo host=/tmp dbname=customs;");

    /* No checks: nothing to refuse. */
    {
        static const struct config_checks none = {NULL, NULL, NULL};
        struct config *c = load_ok("full.yaml");
        assert_int_equal(config_check(c, &none, err, sizeof(err)), 0);
        config_free(c);
    }
}

/* The whole-set check runs once every value passed, and points at the property it blames. */
static size_t whole_blame;
static int whole_calls;

static int fake_whole(const struct config *c, size_t *blame, char *why, size_t whylen)
{
    (void)c;
    whole_calls++;
    *blame = whole_blame;
    snprintf(why, whylen, "refused together");
    return -1;
}

static void test_check_whole(void **state)
{
    static const struct config_checks checks = {fake_property, fake_conninfo, fake_whole};
    struct config *c = load_only("check_order.yaml");
    char err[512], want[4300];

    (void)state;
    snprintf(refused_property, sizeof(refused_property), "a.two");
    refused_conninfo[0] = '\0';
    asked[0] = '\0';
    whole_calls = 0;
    assert_int_equal(config_check(c, &checks, err, sizeof(err)), -1);
    assert_int_equal(whole_calls, 0); /* a value refused first: not asked */

    refused_property[0] = '\0';
    whole_blame = 1;
    assert_int_equal(config_check(c, &checks, err, sizeof(err)), -1);
    assert_int_equal(whole_calls, 1);
    snprintf(want, sizeof(want), "%s:7:12: kafka.properties.a.two: refused together",
             fixture("check_order.yaml"));
    assert_string_equal(err, want);

    whole_blame = c->n_kafka_properties; /* nothing to point at: the file */
    assert_int_equal(config_check(c, &checks, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: kafka.properties: refused together",
             fixture("check_order.yaml"));
    assert_string_equal(err, want);
    config_free(c);
}

/*
 * kafka_check_properties through config_check, as `customsd -t` runs it: the TLS files
 * librdkafka loads and the SASL settings, with the position of the property at fault. The
 * fixtures name their files relative to the top of the source tree.
 */
static void test_kafka_together(void **state)
{
    const char *dir = getenv("CUSTOMSD_SRCDIR");

    (void)state;
    if (dir && *dir && chdir(dir) != 0)
        fail_msg("chdir %s failed", dir);
    config_free(load_ok("tls_ok.yaml"));
    expect_check_error("err_tls_ca_missing.yaml", 4, 22,
                       "kafka.properties.ssl.ca.location: cannot read "
                       "tests/data/config/tls/no-such-ca.pem: No such file or directory");
    expect_check_error("err_tls_ca_not_pem.yaml", 4, 22,
                       "kafka.properties.ssl.ca.location: ssl.ca.location failed: ");
    expect_check_error("err_tls_key_missing.yaml", 6, 23,
                       "kafka.properties.ssl.key.location: cannot read "
                       "tests/data/config/tls/no-such.key: No such file or directory");
    expect_check_error("err_tls_key_mismatch.yaml", 6, 23,
                       "kafka.properties.ssl.key.location: ssl.key.location failed: ");
    expect_check_error("err_sasl_mechanism.yaml", 4, 22,
                       "kafka.properties.sasl.mechanisms: Unsupported SASL mechanism: "
                       "SCRAM-SHA512");
    expect_check_error("err_sasl_scram_sha1.yaml", 4, 22,
                       "kafka.properties.sasl.mechanisms: Unsupported SASL mechanism: "
                       "SCRAM-SHA-1 (SCRAM-SHA-256 or SCRAM-SHA-512)");
    expect_check_error("err_sasl_no_credentials.yaml", 5, 22,
                       "kafka.properties.sasl.mechanisms: sasl.username and sasl.password "
                       "must be set");
    expect_check_error("err_sasl_no_mechanism.yaml", 3, 24, "kafka.properties.security.protocol: ");

    /* The key mismatch and the default mechanism say what to do. */
    {
        struct config *c = load_only("err_tls_key_mismatch.yaml");
        char err[1024];
        assert_int_equal(config_check(c, &adapter_checks, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "(the key is not the one of ssl.certificate.location)"));
        config_free(c);
        c = load_only("err_sasl_no_mechanism.yaml");
        assert_int_equal(config_check(c, &adapter_checks, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "(sasl.mechanisms is not set, so GSSAPI (Kerberos) is used"));
        config_free(c);
    }
    /* Without TLS the files are not librdkafka's business, nor ours. */
    {
        struct config *c = load_only("err_tls_ca_missing.yaml");
        char err[1024];
        free(c->kafka_properties[0].value);
        c->kafka_properties[0].value = strdup("PLAINTEXT");
        assert_non_null(c->kafka_properties[0].value);
        assert_int_equal(config_check(c, &adapter_checks, err, sizeof(err)), 0);
        config_free(c);
    }
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error("err_type_map.yaml", 2, 13, "kafka.group_id: expected a scalar, got a mapping");
    expect_error("err_type_section.yaml", 3, 8, "batch: expected a mapping, got a scalar");
    expect_error("err_top_sequence.yaml", 1, 1, "expected a mapping of sections");
    expect_error("err_property_type.yaml", 3, 12,
                 "kafka.properties.debug: expected a string, got a sequence");
}

static void test_numbers(void **state)
{
    (void)state;
    expect_error("err_range_high.yaml", 2, 17,
                 "batch.max_messages: expected an integer from 1 to 100000, got '100001'");
    expect_error("err_range_low.yaml", 2, 16,
                 "batch.max_wait_ms: expected an integer from 1 to 60000, got '0'");
    expect_error("err_range_bytes.yaml", 2, 22,
                 "batch.max_message_bytes: expected an integer from 1024 to 104857600, got "
                 "'1023'");
    expect_error("err_not_integer.yaml", 2, 10,
                 "relay.batch: expected an integer from 1 to 100000, got '2s'");
    expect_error("err_negative.yaml", 2, 10,
                 "relay.batch: expected an integer from 1 to 100000, got '-5'");
    expect_error("err_range_retention.yaml", 2, 19,
                 "relay.retention_days: expected an integer from 0 to 36500, got '36501'");
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("err_log_level.yaml", 2, 10,
                 "log.level: expected error, warn, info or debug, got 'verbose'");
    expect_error("err_receipts_format.yaml", 3, 11,
                 "receipts.format: expected json or xml, got 'XML'");
    expect_error("err_empty_value.yaml", 2, 22, "kafka.bootstrap_servers: must not be empty");
    expect_error("err_empty_path.yaml", 2, 9, "rules.path: must not be empty");
    expect_error("err_property_owned.yaml", 4, 5,
                 "kafka.properties: 'group.id' is set with kafka.group_id, not here");
}

static void test_yaml_errors(void **state)
{
    (void)state;
    expect_error("err_duplicate.yaml", 4, 3, "duplicate key 'group_id' (first at line 2 column 3)");
    expect_error("err_duplicate_section.yaml", 5, 1,
                 "duplicate key 'kafka' (first at line 1 column 1)");
    expect_error("err_tab.yaml", 3, 1, "tab character");
    expect_error("err_syntax.yaml", 3, 1, "did not find expected ',' or ']'");
    expect_error("err_anchor.yaml", 2, 13, "anchors are not supported");
    expect_error("err_tag.yaml", 2, 10, "tags are not supported");
    expect_error("err_two_documents.yaml", 3, 1, "more than one YAML document");
}

/* ------------------------------------------------------------------------------------ */
/* The shared reader (yamlread.c), on text                                              */
/* ------------------------------------------------------------------------------------ */

static struct ynode *parse_ok(const char *text, size_t depth)
{
    struct ynode *root = NULL;
    char err[512] = "";

    if (yamlread_parse("t.yaml", text, strlen(text), depth, &root, err, sizeof(err)) != 0)
        fail_msg("unexpected error: %s", err);
    return root;
}

static void parse_err(const char *text, size_t depth, const char *want)
{
    struct ynode *root = (struct ynode *)0x1;
    char err[512] = "";

    assert_int_equal(yamlread_parse("t.yaml", text, strlen(text), depth, &root, err, sizeof(err)),
                     -1);
    assert_null(root);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("\n  got:  %s\n  want: %s...", err, want);
}

/* Scalars are the text as written; null is an empty plain scalar only. */
static void test_reader_scalars(void **state)
{
    static const char *const want[] = {"NO",  "no",         "on", "007", "0123",
                                       "1e3", "2024-04-01", "",   "~",   "0x1F"};
    struct ynode *root =
        parse_ok("a: [NO, no, on, 007, 0123, 1e3, 2024-04-01, '', ~, 0x1F]\nb:\nc: \"\"\n", 8);
    const struct ynode *a = yamlread_get(root, "a");

    (void)state;
    assert_non_null(a);
    assert_int_equal(a->type, YNODE_SEQ);
    assert_int_equal(a->n, ARRAY_LEN(want));
    for (size_t i = 0; i < a->n; i++)
        assert_string_equal(a->kids[i]->value, want[i]);
    assert_true(yamlread_is_null(yamlread_get(root, "b")));
    assert_false(yamlread_is_null(yamlread_get(root, "c"))); /* quoted: an empty string */
    assert_false(yamlread_is_null(a->kids[7]));
    assert_int_equal(yamlread_key(root, "b")->line, 2);
    assert_null(yamlread_get(root, "d"));
    assert_string_equal(yamlread_type_name(a), "a sequence");
    yamlread_free(root);
    yamlread_free(NULL);
}

/*
 * Duplicate keys in a large mapping (the sorted check): the first repetition in file
 * order is reported, with where the key was first given.
 */
static void test_reader_duplicates_large(void **state)
{
    char text[2048];
    size_t used = 0;

    (void)state;
    for (int i = 1; i <= 20; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "k%02d: %d\n", i, i);
    /* line 21 repeats k07, line 22 repeats k03: k07 comes first. */
    used += (size_t)snprintf(text + used, sizeof(text) - used, "k07: again\nk03: again\n");
    parse_err(text, 8, "t.yaml:21:1: duplicate key 'k07' (first at line 7 column 1)");
    /* No duplicate: fine, and every key is there. */
    text[used - strlen("k07: again\nk03: again\n")] = '\0';
    {
        struct ynode *root = parse_ok(text, 8);
        assert_int_equal(root->n, 40);
        assert_string_equal(yamlread_get(root, "k20")->value, "20");
        yamlread_free(root);
    }
}

/* Depth is bounded; anchors (the start of every alias bomb) and tags are refused. */
static void test_reader_limits(void **state)
{
    char deep[256];
    size_t used = 0;

    (void)state;
    for (int i = 0; i < 10; i++)
        used += (size_t)snprintf(deep + used, sizeof(deep) - used, "[");
    for (int i = 0; i < 10; i++)
        used += (size_t)snprintf(deep + used, sizeof(deep) - used, "]");
    parse_err(deep, 8, "t.yaml:1:9: nested deeper than 8 levels");
    yamlread_free(parse_ok(deep, 10));
    parse_err("a: &x [1, 2]\nb: [*x, *x]\n", 8, "t.yaml:1:4: anchors are not supported");
    parse_err("a: *x\n", 8, "t.yaml:1:4: aliases are not supported");
    parse_err("a: !!int 7\n", 8, "t.yaml:1:4: tags are not supported");
    parse_err("[a]: 1\n", 8, "t.yaml:1:1: a mapping key must be a scalar");
    parse_err("a: 1\n\tb: 2\n", 8, "t.yaml:2:1: tab character");
    {
        struct ynode *root = (struct ynode *)0x1;
        char err[64];
        assert_int_equal(yamlread_parse("t.yaml", "", 0, 8, &root, err, sizeof(err)), 0);
        assert_null(root); /* no document at all */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_files_are_defaults),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_relative_rules_path),
        cmocka_unit_test(test_scalars_as_written),
        cmocka_unit_test(test_example_config),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_check_order),
        cmocka_unit_test(test_check_whole),
        cmocka_unit_test(test_kafka_together),
        cmocka_unit_test(test_reader_scalars),
        cmocka_unit_test(test_reader_duplicates_large),
        cmocka_unit_test(test_reader_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
