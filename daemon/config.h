/*
 * config.h - customsd configuration, loaded from YAML (libyaml). See config/customsd.yaml
 * for every key with its meaning and default.
 */
#ifndef CUSTOMSD_CONFIG_H
#define CUSTOMSD_CONFIG_H

#include <stddef.h>

struct config_property {
    char *name; /* a librdkafka configuration property, e.g. "security.protocol" */
    char *value;
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
    size_t n_kafka_properties; /* passthrough to librdkafka (TLS, SASL, tuning) */
    struct config_property *kafka_properties;

    /* postgresql: */
    char *pg_conninfo; /* libpq conninfo or URI; default "" = libpq PG* variables */

    /* rules: */
    char *rules_path; /* default "/etc/customsd/rules.yaml"; a relative path is
                         resolved against the directory of the config file */

    /* batch: */
    unsigned batch_max_messages; /* default 1000, 1..100000 */
    unsigned batch_max_wait_ms;  /* default 200, 1..60000 */
    size_t max_message_bytes;    /* default 1048576, 1024..104857600 */

    /* relay: */
    unsigned relay_batch; /* outbox rows per round, default 1000 */

    /* log: */
    char *log_level; /* "error", "warn", "info" (default), "debug" */
};

/*
 * Load a configuration file. Missing keys take their defaults.
 * Returns 0 and *out, or -1 with "file:line:column: what" in err (unknown key, wrong type,
 * out-of-range number, YAML syntax error; "file: strerror" when unreadable).
 */
int config_load(const char *path, struct config **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* A configuration with every default (path = "(defaults)"). NULL on allocation failure. */
struct config *config_defaults(void);

void config_free(struct config *c); /* accepts NULL */

#endif
