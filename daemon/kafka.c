/*
 * kafka.c - see kafka.h.
 */
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The index of property `name` in c->kafka_properties, or c->n_kafka_properties. */
static size_t kafka_find(const struct config *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->n_kafka_properties; i++)
        if (strcmp(c->kafka_properties[i].name, name) == 0)
            break;
    return i;
}

static bool kafka_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_';
}

/*
 * The property a librdkafka message is about: the configured property whose name appears
 * first in it as a whole word, else sasl.mechanisms, else security.protocol, else the
 * first property.
 */
static size_t kafka_blame(const struct config *c, const char *msg)
{
    size_t best = c->n_kafka_properties;
    const char *best_at = NULL;

    for (size_t i = 0; i < c->n_kafka_properties; i++) {
        const char *name = c->kafka_properties[i].name;
        size_t len = strlen(name);

        for (const char *at = strstr(msg, name); at; at = strstr(at + 1, name)) {
            if ((at > msg && kafka_name_char(at[-1])) || kafka_name_char(at[len]))
                continue;
            if (!best_at || at < best_at) {
                best_at = at;
                best = i;
            }
            break;
        }
    }
    if (best == c->n_kafka_properties)
        best = kafka_find(c, "sasl.mechanisms");
    if (best == c->n_kafka_properties)
        best = kafka_find(c, "security.protocol");
    if (best == c->n_kafka_properties && c->n_kafka_properties > 0)
        best = 0;
    return best;
}

/*
 * With TLS in use, every file librdkafka will load must be readable by us: say which and
 * why (librdkafka's own message for a missing file is "system lib"). Returns 0, or -1
 * with why and *blame set.
 */
static int kafka_check_files(const struct config *c, size_t *blame, char *why, size_t whylen)
{
    static const char *const files[] = {"ssl.ca.location", "ssl.certificate.location",
                                        "ssl.key.location", "ssl.crl.location",
                                        "ssl.keystore.location"};
    size_t proto = kafka_find(c, "security.protocol");

    if (proto == c->n_kafka_properties ||
        (strcasecmp(c->kafka_properties[proto].value, "ssl") != 0 &&
         strcasecmp(c->kafka_properties[proto].value, "sasl_ssl") != 0))
        return 0;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        size_t i = kafka_find(c, files[f]);
        struct stat st;
        const char *path;
        int fd;

        if (i == c->n_kafka_properties)
            continue;
        path = c->kafka_properties[i].value;
        if (f == 0 && strcmp(path, "probe") == 0)
            continue; /* ssl.ca.location: probe = the system's usual CA locations */
        if (stat(path, &st) < 0) {
            /* errno says why */
        } else if (S_ISDIR(st.st_mode)) {
            if (f == 0 && access(path, R_OK | X_OK) == 0)
                continue; /* a CA directory (c_rehash'ed) */
            if (f != 0)
                errno = EISDIR;
        } else if (!S_ISREG(st.st_mode)) {
            *blame = i;
            snprintf(why, whylen, "cannot read %s: not a regular file", path);
            return -1;
        } else if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0) {
            close(fd);
            continue;
        }
        *blame = i;
        snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The first error librdkafka logged while a check's client was created. */
struct kafka_capture {
    char first[256];
};

static void kafka_capture_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct kafka_capture *cap = rd_kafka_opaque(rk);

    (void)fac;
    if (cap && level <= 3 && !cap->first[0])
        snprintf(cap->first, sizeof(cap->first), "%s", buf);
}

int kafka_check_properties(const struct config *c, size_t *blame, char *why, size_t whylen)
{
    static const rd_kafka_type_t types[] = {RD_KAFKA_PRODUCER, RD_KAFKA_CONSUMER};

    *blame = c->n_kafka_properties;
    if (kafka_check_files(c, blame, why, whylen) < 0)
        return -1;
    /* librdkafka takes any SCRAM-* at start and fails only at the broker's handshake. */
    size_t proto = kafka_find(c, "security.protocol"), mech = kafka_find(c, "sasl.mechanisms");
    if (proto < c->n_kafka_properties && mech < c->n_kafka_properties &&
        strncasecmp(c->kafka_properties[proto].value, "sasl_", 5) == 0) {
        const char *m = c->kafka_properties[mech].value;
        if (strncmp(m, "SCRAM-", 6) == 0 && strcmp(m, "SCRAM-SHA-256") != 0 &&
            strcmp(m, "SCRAM-SHA-512") != 0) {
            *blame = mech;
            snprintf(why, whylen, "Unsupported SASL mechanism: %s (SCRAM-SHA-256 or SCRAM-SHA-512)",
                     m);
            return -1;
        }
    }
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        struct kafka_capture cap = {""};
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[512] = "";
        rd_kafka_t *rk;

        rd_kafka_conf_set_opaque(conf, &cap);
        rd_kafka_conf_set_log_cb(conf, kafka_capture_log_cb);
        for (size_t i = 0; i < c->n_kafka_properties; i++) {
            if (rd_kafka_conf_set(conf, c->kafka_properties[i].name, c->kafka_properties[i].value,
                                  why, whylen) != RD_KAFKA_CONF_OK) {
                *blame = i;
                rd_kafka_conf_destroy(conf);
                return -1;
            }
        }
        rk = rd_kafka_new(types[t], conf, errstr, sizeof(errstr));
        if (rk) {
            rd_kafka_destroy(rk); /* it owned conf */
            continue;
        }
        rd_kafka_conf_destroy(conf);
        *blame = kafka_blame(c, errstr);
        int n = snprintf(why, whylen, "%s", errstr[0] ? errstr : "librdkafka refused them");
        size_t used = n < 0 ? 0 : (size_t)n < whylen ? (size_t)n : whylen - 1;
        if (strstr(errstr, "key values mismatch"))
            snprintf(why + used, whylen - used, " (the key is not the one of %s)",
                     "ssl.certificate.location");
        else if (strstr(errstr, "kerberos") &&
                 kafka_find(c, "sasl.mechanisms") == c->n_kafka_properties)
            snprintf(why + used, whylen - used,
                     " (sasl.mechanisms is not set, so GSSAPI (Kerberos) is used: set it to "
                     "SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN)");
        else if (cap.first[0] && !strstr(errstr, cap.first))
            snprintf(why + used, whylen - used, " (%s)", cap.first);
        return -1;
    }
    return 0;
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
