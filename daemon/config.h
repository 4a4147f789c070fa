/*
 * config.h - customsd configuration, loaded from YAML (libyaml). See config/customsd.yaml
 * for every key with its meaning and default.
 *
 * Pure: no Kafka, no PostgreSQL. The values only a client library can judge (librdkafka
 * properties, the libpq connection string) are checked by config_check with checks the
 * adapters provide (kafka.h, store.h); `customsd -t` and `customsctl config check` run it.
 */
#ifndef CUSTOMSD_CONFIG_H
#define CUSTOMSD_CONFIG_H

#include <stddef.h>

/* Where a value was written in the file: 1-based line and column; 0, 0 for a default. */
struct config_position {
    size_t line, column;
};

struct config_property {
    char *name; /* a librdkafka configuration property, e.g. "security.protocol" */
    char *value;
    struct config_position at; /* of the value */
};

struct config {
    char *path; /* the file this was loaded from */

    /* kafka: */
    char *bootstrap_servers;   /* default "127.0.0.1:9092" */
    char *group_id;            /* default "customsd" */
    char *topic_declarations;  /* default "customs.declarations" */
    char *topic_scans;         /* default "mishan.warehouse.scans" */
    char *topic_events;        /* default "mishan.warehouse.events" */
    char *topic_receipts;      /* default "customs.receipts" */
    char *topic_orders;        /* default "customs.orders" (CEB303) */
    char *topic_waybills;      /* default "customs.waybills" (CEB505) */
    char *topic_payments;      /* default "" = not consumed (CEB403) */
    size_t n_kafka_properties; /* passthrough to librdkafka (TLS, SASL, tuning) */
    struct config_property *kafka_properties;

    /* postgresql: */
    char *pg_conninfo; /* libpq conninfo or URI; default "" = libpq PG* variables */
    struct config_position pg_conninfo_at;
    unsigned pg_connect_timeout_s;    /* default 5, 1..3600: libpq connect_timeout */
    unsigned pg_statement_timeout_ms; /* default 10000, 0..3600000 (0 = none) */
    unsigned pg_lock_timeout_ms;      /* default 5000, 0..3600000 (0 = none) */

    /* rules: */
    char *rules_path; /* default "/etc/customsd/rules.yaml"; a relative path is
                         resolved against the directory of the config file */

    /* batch: */
    unsigned batch_max_messages; /* default 1000, 1..100000 */
    unsigned batch_max_wait_ms;  /* default 200, 1..60000 */
    size_t max_message_bytes;    /* default 1048576, 1024..104857600 */

    /* relay: */
    unsigned relay_batch;          /* outbox rows per round, default 1000 */
    unsigned relay_retention_days; /* published outbox rows kept, days; 0 = kept; default 7 */

    /* log: */
    char *log_level; /* "error", "warn", "info" (default), "debug" */

    /* metrics: */
    char *metrics_listen; /* HTTP /metrics, /healthz, /readyz on HOST:PORT; "" (default) = off */

    /* alerts: */
    unsigned alerts_unknown_parcel_hours; /* scan of an undeclared parcel -> alert after N h;
                                             default 24, 0 = customsd does not sweep */

    /* receipts: */
    char *receipts_format; /* "json" (default) or "xml": receipts to the declarer as the
                              outbox's JSON or as CEB604 XML (relay.c, receipt_xml.h) */
};

/*
 * Load a configuration file. Missing keys take their defaults.
 * Returns 0 and *out, or -1 with "file:line:column: what" in err (unknown key, wrong type,
 * out-of-range number, YAML syntax error; "file: strerror" when unreadable).
 * kafka.properties and postgresql.conninfo are taken as text here: config_check judges them.
 */
int config_load(const char *path, struct config **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Checks of values that only a client library can judge. Each returns 0, or -1 with the
 * library's reason (one line, no position) in why. A NULL member skips that check.
 */
struct config_checks {
    /* librdkafka accepts property `name` set to `value` (kafka_check_property). */
    int (*kafka_property)(const char *name, const char *value, char *why, size_t whylen);
    /* libpq can parse the connection string or URI `conninfo` (store_check_conninfo). */
    int (*conninfo)(const char *conninfo, char *why, size_t whylen);
    /* librdkafka accepts all the properties together: files it loads, SASL mechanism and
     * credentials (kafka_check_properties). Asked once every value passed the checks
     * above; *blame = index in c->kafka_properties of the property to point at, or
     * c->n_kafka_properties for none. */
    int (*kafka_properties)(const struct config *c, size_t *blame, char *why, size_t whylen);
};

/*
 * Run `checks` on every kafka.properties entry and on postgresql.conninfo, in the order
 * they are written in the file, then (all passed) kafka_properties on the whole set.
 * Returns 0, or -1 with the first refusal in err as "file:line:column:
 * kafka.properties.NAME: why" or "file:line:column: postgresql.conninfo: why" (the
 * position of the value; for the whole-set check, of the property it blames, or
 * "file: kafka.properties: why" when there is none).
 */
int config_check(const struct config *c, const struct config_checks *checks, char *err,
                 size_t errlen) __attribute__((warn_unused_result));

/* A configuration with every default (path = "(defaults)"). NULL on allocation failure. */
struct config *config_defaults(void);

void config_free(struct config *c); /* accepts NULL */

#endif
