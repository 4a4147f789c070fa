/*
 * kafka.c - see kafka.h.
 */
#include "kafka.h"

#include <stdio.h>

#include "log.h"

int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                   size_t errlen)
{
    char why[512];

    if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "kafka property %s: %s", name, why);
        return -1;
    }
    return 0;
}

int kafka_check_property(const char *name, const char *value, char *why, size_t whylen)
{
    rd_kafka_conf_t *probe = rd_kafka_conf_new();
    rd_kafka_conf_res_t res = rd_kafka_conf_set(probe, name, value, why, whylen);

    rd_kafka_conf_destroy(probe);
    return res == RD_KAFKA_CONF_OK ? 0 : -1;
}

static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* librdkafka uses syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug. */
    if (level <= 3)
        log_error("kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
    else if (level == 4)
        log_warn("kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
    else if (level <= 6)
        log_info("kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
    else
        log_debug("kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));
        log_error("kafka %s: fatal error %s: %s", rd_kafka_name(rk), rd_kafka_err2name(orig), why);
        return;
    }
    /* Transient: librdkafka retries by itself; say it once so operators see the outage. */
    log_warn("kafka %s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err),
             reason);
}

rd_kafka_conf_t *kafka_conf_new(const struct config *cfg, const char *client_id, char *err,
                                size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
    if (kafka_conf_set(conf, "bootstrap.servers", cfg->bootstrap_servers, err, errlen) < 0 ||
        kafka_conf_set(conf, "client.id", client_id, err, errlen) < 0)
        goto fail;
    for (size_t i = 0; i < cfg->n_kafka_properties; i++) {
        if (kafka_conf_set(conf, cfg->kafka_properties[i].name, cfg->kafka_properties[i].value, err,
                           errlen) < 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}
