/*
 * kafka.h - librdkafka configuration shared by the consumer (consumer.c) and the producer
 * (outbox relay): bootstrap servers, the passthrough properties of the configuration file
 * (TLS, SASL, tuning), and error logging callbacks.
 */
#ifndef CUSTOMSD_KAFKA_H
#define CUSTOMSD_KAFKA_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "config.h"

/*
 * Would librdkafka accept property `name` set to `value`? Asked of a fresh configuration,
 * so `customsd -t` catches a misspelt property or a bad value with its position in the file
 * (config_check, struct config_checks.kafka_property). Returns 0, or -1 with librdkafka's
 * reason in why (e.g. "No such configuration property: \"no.such.prop\"").
 */
int kafka_check_property(const char *name, const char *value, char *why, size_t whylen);

/*
 * Would librdkafka start a client with all of `c`'s kafka.properties together? Asked of a
 * producer and a consumer built from them alone (no bootstrap.servers, so nothing is
 * connected) and destroyed at once, so `customsd -t` finds what only the whole set shows:
 * with security.protocol SSL or SASL_SSL a CA, certificate, CRL, keystore or key file that
 * cannot be read or parsed, a key that does not match its certificate; an unsupported
 * sasl.mechanisms; SCRAM or PLAIN without sasl.username and sasl.password
 * (config_check, struct config_checks.kafka_properties). Files are opened to be read, so
 * run it as the daemon's user. Returns 0, or -1 with the reason in why and in *blame the
 * index in c->kafka_properties of the property the reason names (else sasl.mechanisms,
 * else security.protocol, else the first property; c->n_kafka_properties when there are
 * none). Takes some milliseconds (librdkafka starts and joins its threads).
 */
int kafka_check_properties(const struct config *c, size_t *blame, char *why, size_t whylen);

/*
 * Set one librdkafka property. Returns 0, or -1 with "kafka property NAME: librdkafka's
 * reason" in err.
 */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                   size_t errlen) __attribute__((warn_unused_result));

/*
 * A new librdkafka configuration with bootstrap.servers, the log and error callbacks that
 * route librdkafka's messages to log.h, and then every passthrough property of `cfg`
 * (so an operator's property wins over our defaults, except where the caller sets one
 * after this call because correctness depends on it). Returns NULL with err set.
 */
rd_kafka_conf_t *kafka_conf_new(const struct config *cfg, const char *client_id, char *err,
                                size_t errlen);

#endif
