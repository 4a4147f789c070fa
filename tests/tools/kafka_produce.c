/*
 * kafka_produce.c - test tool: produce framed records from a file to a Kafka topic,
 * byte-exact (values may hold NUL bytes, invalid UTF-8 and newlines).
 *
 *   kafka_produce -b BOOTSTRAP -t TOPIC [-f FILE|-] [-p PARTITION] [-T TIMEOUT_S]
 *                 [-r RATE] [-X prop=val ...]
 *
 * -r RATE: an offered load of RATE records/s (1..1000000), paced from the start (record i
 * is produced at start + i / RATE s, no earlier; a late producer catches up without
 * bursting past the schedule), with linger.ms 0 so each record leaves at once. The record's
 * timestamp (CreateTime) is the time it was produced: make bench's latency figure.
 *
 * Input framing, one record after another (gen_declarations writes it):
 *   "<key_len> <value_len>\n" <key bytes> <value bytes> "\n"
 * key_len -1 means a null key, value_len -1 a null value (tombstone); 0 is an empty one.
 *
 * Uses an idempotent producer (no duplicates or reordering on retries), waits for every
 * delivery report, prints "produced N records to TOPIC" (N = records acknowledged) and
 * exits 0 when every record was delivered, 1 if any delivery failed, 2 on bad usage or
 * input (records before a framing error are still sent and counted).
 * Records over 1 MB need -X message.max.bytes=... (librdkafka's default limit).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

/* Delivery bookkeeping, updated by the delivery report callback (runs inside poll). */
struct produce_stats {
    uint64_t delivered;
    uint64_t failed;
    rd_kafka_resp_err_t first_err;
};

struct reader {
    FILE *f;
    const char *name;
    uint64_t offset; /* bytes consumed, for error messages */
    char *buf;       /* key + value of the current record */
    size_t cap;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: kafka_produce -b BOOTSTRAP -t TOPIC [-f FILE|-] [-p PARTITION] "
                 "[-T TIMEOUT_S] [-r RATE] [-X prop=val ...]\n"
                 "input: records framed as \"<key_len> <value_len>\\n\" key value \"\\n\" "
                 "(-1 = null)\n");
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct produce_stats *st = opaque;

    (void)rk;
    if (m->err) {
        if (st->failed == 0) {
            st->first_err = m->err;
            fprintf(stderr, "kafka_produce: delivery failed: %s\n", rd_kafka_err2str(m->err));
        }
        st->failed++;
    } else {
        st->delivered++;
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    char fatal[512];

    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        /* An idempotent producer cannot go on without risking gaps: say why and stop. */
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        fprintf(stderr, "kafka_produce: fatal error: %s\n", fatal);
        return;
    }
    /* The rest (connection failures ...) is transient and already in librdkafka's log. */
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        fprintf(stderr, "kafka_produce: %s\n", reason);
}

/* Parse a decimal int in [min, max]. Returns 0, or -1 when it is not one. */
static int parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

/* Parse a framing length: -1 (null) or 0..max. */
static int parse_len(const char *s, const char *end, long long max, long long *out)
{
    char *e;
    long long v;

    errno = 0;
    v = strtoll(s, &e, 10);
    if (errno || e == s || e != end || v < -1 || v > max)
        return -1;
    /* Refuse "+1", " 1", "01" so that a misaligned read is caught early. */
    if (*s == '+' || *s == ' ' || (*s == '0' && e - s > 1) || (*s == '-' && v != -1))
        return -1;
    *out = v;
    return 0;
}

/*
 * Read the next record. Returns 1 with key/value set (NULL for null), 0 at a clean end of
 * input, -1 on a framing error (message printed).
 */
static int read_record(struct reader *r, uint64_t index, char **key, long long *klen, char **val,
                       long long *vlen)
{
    char line[64];
    size_t n = 0;
    int ch;
    char *sp;
    size_t need;

    /* Header line, read byte-wise: it is short and must not swallow the payload. */
    while ((ch = getc(r->f)) != EOF && ch != '\n') {
        if (n + 1 >= sizeof(line)) {
            fprintf(stderr, "%s: record %" PRIu64 " at byte %" PRIu64 ": header too long\n",
                    r->name, index, r->offset);
            return -1;
        }
        line[n++] = (char)ch;
    }
    if (ch == EOF && n == 0)
        return ferror(r->f) ? -1 : 0;
    if (ch == EOF) {
        fprintf(stderr, "%s: record %" PRIu64 ": truncated header\n", r->name, index);
        return -1;
    }
    line[n] = '\0';
    sp = strchr(line, ' ');
    if (!sp || parse_len(line, sp, 1LL << 30, klen) < 0 ||
        parse_len(sp + 1, line + n, 1LL << 30, vlen) < 0) {
        fprintf(stderr, "%s: record %" PRIu64 " at byte %" PRIu64 ": bad header \"%s\"\n", r->name,
                index, r->offset, line);
        return -1;
    }
    r->offset += n + 1;

    need = (size_t)(*klen > 0 ? *klen : 0) + (size_t)(*vlen > 0 ? *vlen : 0) + 1;
    if (need > r->cap) {
        char *nb = realloc(r->buf, need);
        if (!nb) {
            fprintf(stderr, "kafka_produce: out of memory\n");
            return -1;
        }
        r->buf = nb;
        r->cap = need;
    }
    /* payload + the closing '\n' */
    if (fread(r->buf, 1, need, r->f) != need || r->buf[need - 1] != '\n') {
        fprintf(stderr,
                "%s: record %" PRIu64 " at byte %" PRIu64
                ": payload shorter than its header says, or not followed by a newline\n",
                r->name, index, r->offset);
        return -1;
    }
    r->offset += need;
    *key = *klen >= 0 ? r->buf : NULL;
    *val = *vlen >= 0 ? r->buf + (*klen > 0 ? *klen : 0) : NULL;
    return 1;
}

static int set_conf(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];

    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka_produce: %s=%s: %s\n", name, value, errstr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL, *file = "-";
    const char *xprops[64];
    int n_xprops = 0, c, partition = RD_KAFKA_PARTITION_UA, timeout_s = 60;
    struct produce_stats st = {0};
    struct reader rd = {0};
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    char errstr[512];
    uint64_t produced = 0;
    int rc = 2, r = 0, rate = 0;
    struct timespec start;

    while ((c = getopt(argc, argv, "b:t:f:p:T:r:X:h")) != -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'p':
            if (parse_int(optarg, 0, 1000000, &partition) < 0) {
                fprintf(stderr, "kafka_produce: bad partition: %s\n", optarg);
                return 2;
            }
            break;
        case 'T':
            if (parse_int(optarg, 1, 86400, &timeout_s) < 0) {
                fprintf(stderr, "kafka_produce: -T wants 1..86400 seconds\n");
                return 2;
            }
            break;
        case 'r':
            if (parse_int(optarg, 1, 1000000, &rate) < 0) {
                fprintf(stderr, "kafka_produce: -r wants 1..1000000 records/s\n");
                return 2;
            }
            break;
        case 'X':
            if (n_xprops == (int)(sizeof(xprops) / sizeof(xprops[0])) || !strchr(optarg, '=')) {
                fprintf(stderr, "kafka_produce: -X wants prop=val (at most 64)\n");
                return 2;
            }
            xprops[n_xprops++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!bootstrap || !topic || optind != argc || timeout_s <= 0) {
        usage(stderr);
        return 2;
    }

    if (strcmp(file, "-") == 0) {
        rd.f = stdin;
        rd.name = "<stdin>";
    } else {
        rd.f = fopen(file, "rb");
        rd.name = file;
        if (!rd.f) {
            fprintf(stderr, "kafka_produce: %s: %s\n", file, strerror(errno));
            return 2;
        }
    }

    conf = rd_kafka_conf_new();
    /*
     * Throughput: batch for up to 5 ms, and let the local queue hold far more than one
     * linger period produces, so QUEUE_FULL is rare. -X settings come last and win.
     */
    if (set_conf(conf, "bootstrap.servers", bootstrap) < 0 ||
        set_conf(conf, "enable.idempotence", "true") < 0 || set_conf(conf, "linger.ms", "5") < 0 ||
        set_conf(conf, "queue.buffering.max.messages", "1000000") < 0 ||
        set_conf(conf, "queue.buffering.max.kbytes", "1048576") < 0 ||
        set_conf(conf, "batch.num.messages", "10000") < 0 ||
        (rate > 0 && set_conf(conf, "linger.ms", "0") < 0))
        goto out;
    for (int i = 0; i < n_xprops; i++) {
        char name[256];
        const char *eq = strchr(xprops[i], '=');
        size_t nlen = (size_t)(eq - xprops[i]);

        if (nlen == 0 || nlen >= sizeof(name)) {
            fprintf(stderr, "kafka_produce: bad -X %s\n", xprops[i]);
            goto out;
        }
        memcpy(name, xprops[i], nlen);
        name[nlen] = '\0';
        if (set_conf(conf, name, eq + 1) < 0)
            goto out;
    }
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);

    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kafka_produce: rd_kafka_new: %s\n", errstr);
        goto out;
    }
    conf = NULL; /* owned by rk now */

    rc = 1;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char *key, *val;
        long long klen, vlen;
        rd_kafka_resp_err_t err;

        r = read_record(&rd, produced, &key, &klen, &val, &vlen);
        if (r < 0) {
            rc = 2;
            break;
        }
        if (r == 0)
            break;
        if (rate > 0) { /* record `produced` is due at start + produced / rate */
            int64_t due_ns = (int64_t)(produced * 1000000000ULL / (uint64_t)rate);
            struct timespec at = {start.tv_sec + (time_t)(due_ns / 1000000000),
                                  start.tv_nsec + (long)(due_ns % 1000000000)};
            if (at.tv_nsec >= 1000000000L) {
                at.tv_sec++;
                at.tv_nsec -= 1000000000L;
            }
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
                ;
            rd_kafka_poll(rk, 0);
        }
        for (;;) {
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                    RD_KAFKA_V_KEY(key, key ? (size_t)klen : 0),
                                    RD_KAFKA_V_VALUE(val, val ? (size_t)vlen : 0),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            /* The local queue is full: serve delivery reports until there is room. */
            rd_kafka_poll(rk, 100);
        }
        if (err) {
            fprintf(stderr, "kafka_produce: record %" PRIu64 ": %s\n", produced,
                    rd_kafka_err2str(err));
            break;
        }
        produced++;
        if ((produced & 1023) == 0)
            rd_kafka_poll(rk, 0);
        if (rd_kafka_fatal_error(rk, NULL, 0))
            break;
    }

    /* Wait for every delivery report, even after an input error, before judging. */
    {
        int64_t waited_ms = 0;
        while (rd_kafka_outq_len(rk) > 0 && waited_ms < (int64_t)timeout_s * 1000) {
            rd_kafka_flush(rk, 100);
            waited_ms += 100;
        }
        rd_kafka_poll(rk, 0);
        if (rd_kafka_outq_len(rk) > 0)
            fprintf(stderr, "kafka_produce: %d records still undelivered after %d s\n",
                    rd_kafka_outq_len(rk), timeout_s);
    }
    if (rd_kafka_fatal_error(rk, errstr, sizeof(errstr)))
        fprintf(stderr, "kafka_produce: fatal: %s\n", errstr);

    printf("produced %" PRIu64 " records to %s\n", st.delivered, topic);
    if (st.failed)
        fprintf(stderr, "kafka_produce: %" PRIu64 " records failed (first: %s)\n", st.failed,
                rd_kafka_err2str(st.first_err));
    if (rc == 1 && st.failed == 0 && st.delivered == produced && r == 0)
        rc = 0;

out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (rk)
        rd_kafka_destroy(rk);
    if (rd.f && rd.f != stdin)
        fclose(rd.f);
    free(rd.buf);
    return rc;
}
