/*
 * ctl_ops.c - customsctl's operator commands (ctl_ops.h): status, lag, quarantine list /
 * show / replay, outbox status. Each one loads customsd's configuration, connects to
 * PostgreSQL (libpq) and, for lag and replay, to the Kafka brokers (librdkafka), reads the
 * operator's views (sql/repeatable/85_operator.sql, 80_officer_views.sql) and prints for
 * people, or one JSON document (json-c) with --json.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>

#include "config.h"
#include "ctl_db.h"
#include "ctl_ops.h"
#include "declaration.h"
#include "json_strict.h"
#include "kafka.h"
#include "scan.h"
#include "util.h"

/* How long a broker may take to answer a metadata, watermark or produce request. */
#define CTL_KAFKA_TIMEOUT_MS 10000

/* Timestamps as the commands print them: UTC, ISO 8601, milliseconds. */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* ------------------------------------------------------------------------------------ */
/* Command lines                                                                        */
/* ------------------------------------------------------------------------------------ */

enum {
    OPT_JSON = 1 << 0,
    OPT_LIMIT = 1 << 1,
    OPT_RAW = 1 << 2,
    OPT_FORCE = 1 << 3,
};

struct ctl_args {
    const char *name;     /* "quarantine replay" */
    const char *synopsis; /* CTL_OPS_*_ARGS */
    const char *config;
    bool json, raw, force;
    long limit;
    int n;            /* operands */
    char *operand[2]; /* borrowed from argv */
};

static void ctl_usage(const struct ctl_args *a)
{
    fprintf(stderr, "usage: customsctl %s %s\n", a->name, a->synopsis);
}

/*
 * Parse a command's arguments: the options `allowed` (OPT_*) besides -c/--config, anywhere
 * among the operands (GNU getopt permutes them; "--" ends the options), and between min and
 * max operands. Returns 0, or CTL_OPS_EXIT_USAGE after printing why.
 */
static int ctl_parse(struct ctl_args *a, char **argv, unsigned allowed, int min, int max)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
        {"limit", required_argument, NULL, 'n'},  {"raw", no_argument, NULL, 'r'},
        {"force", no_argument, NULL, 'f'},        {NULL, 0, NULL, 0},
    };
    char *args[64];
    int argc = 1, opt;

    args[0] = (char *)"customsctl";
    for (; argv[argc - 1]; argc++) {
        if (argc >= (int)ARRAY_SIZE(args) - 1) {
            fprintf(stderr, "customsctl %s: too many arguments\n", a->name);
            ctl_usage(a);
            return CTL_OPS_EXIT_USAGE;
        }
        args[argc] = argv[argc - 1];
    }
    args[argc] = NULL;
    a->config = CTL_OPS_DEFAULT_CONFIG;
    a->limit = 100;
    optind = 0; /* 0: glibc starts a new scan */
    opterr = 0;
    while ((opt = getopt_long(argc, args, "-c:", longopts, NULL)) != -1) {
        unsigned need = opt == 'j'   ? OPT_JSON
                        : opt == 'n' ? OPT_LIMIT
                        : opt == 'r' ? OPT_RAW
                        : opt == 'f' ? OPT_FORCE
                                     : 0;
        if (opt == '?') {
            if (optopt == 'c' || optopt == 'n')
                fprintf(stderr, "customsctl %s: option '%s' needs a value\n", a->name,
                        args[optind - 1]);
            else
                fprintf(stderr, "customsctl %s: unknown option '%s'\n", a->name, args[optind - 1]);
            ctl_usage(a);
            return CTL_OPS_EXIT_USAGE;
        }
        if (need && !(allowed & need)) {
            fprintf(stderr, "customsctl %s: option '%s' does not apply here\n", a->name,
                    args[optind - 1]);
            ctl_usage(a);
            return CTL_OPS_EXIT_USAGE;
        }
        switch (opt) {
        case 1: /* an operand, in its place ("-" in the optstring) */
            if (a->n >= max)
                goto count;
            a->operand[a->n++] = optarg;
            break;
        case 'c':
            a->config = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'r':
            a->raw = true;
            break;
        case 'f':
            a->force = true;
            break;
        case 'n': {
            char *end;
            errno = 0;
            a->limit = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || a->limit < 1) {
                fprintf(stderr, "customsctl %s: --limit: expected a positive number, got '%s'\n",
                        a->name, optarg);
                ctl_usage(a);
                return CTL_OPS_EXIT_USAGE;
            }
            break;
        }
        }
    }
    /* After "--": operands only. */
    for (int i = optind; i < argc; i++) {
        if (a->n >= max)
            goto count;
        a->operand[a->n++] = args[i];
    }
    if (a->n < min)
        goto count;
    if (a->json && a->raw) {
        fprintf(stderr, "customsctl %s: --json and --raw exclude each other\n", a->name);
        ctl_usage(a);
        return CTL_OPS_EXIT_USAGE;
    }
    return 0;
count:
    fprintf(stderr, "customsctl %s: wrong number of arguments\n", a->name);
    ctl_usage(a);
    return CTL_OPS_EXIT_USAGE;
}

/* ------------------------------------------------------------------------------------ */
/* Configuration, database, brokers                                                     */
/* ------------------------------------------------------------------------------------ */

struct ctl {
    struct ctl_args a;
    struct config *cfg;
    PGconn *db;
    rd_kafka_t *rk;
};

static void ctl_close(struct ctl *c)
{
    if (c->rk)
        rd_kafka_destroy(c->rk);
    if (c->db)
        PQfinish(c->db);
    config_free(c->cfg);
}

/* Load the configuration and connect to the database. 0 or CTL_OPS_EXIT_UNREACHABLE. */
static int ctl_open(struct ctl *c)
{
    return ctl_db_open(c->a.config, &c->cfg, &c->db) < 0 ? CTL_OPS_EXIT_UNREACHABLE : 0;
}

/* ctl_db_query on the command's connection. */
static PGresult *ctl_query(struct ctl *c, const char *sql, int n, const char *const *params,
                           int binary)
{
    return ctl_db_query(c->db, sql, n, params, binary);
}

/* A Kafka client of the configuration (a producer: it also answers metadata and
 * watermark queries). 0 or CTL_OPS_EXIT_UNREACHABLE. */
static int ctl_kafka(struct ctl *c, rd_kafka_conf_t *extra_dr(rd_kafka_conf_t *))
{
    char err[512];
    rd_kafka_conf_t *conf = kafka_conf_new(c->cfg, "customsctl", err, sizeof(err));

    if (!conf) {
        fprintf(stderr, "customsctl: %s\n", err);
        return CTL_OPS_EXIT_UNREACHABLE;
    }
    /* A metadata request must not create the topic it asks about. The configuration's
     * consumer properties would each draw a warning from this producer: errors only. */
    if (kafka_conf_set(conf, "allow.auto.create.topics", "false", err, sizeof(err)) < 0 ||
        kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) < 0 ||
        kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) < 0 ||
        kafka_conf_set(conf, "message.timeout.ms", "10000", err, sizeof(err)) < 0) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "customsctl: %s\n", err);
        return CTL_OPS_EXIT_UNREACHABLE;
    }
    if (extra_dr)
        conf = extra_dr(conf);
    c->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "customsctl: cannot create a Kafka client: %s\n", err);
        return CTL_OPS_EXIT_UNREACHABLE;
    }
    /* conf is owned by c->rk now. */
    return 0;
}

/* Print a JSON document and free it (ctl_db_print_json). */
static int ctl_print_json(json_object *o)
{
    return ctl_db_print_json(o) < 0 ? CTL_OPS_EXIT_UNREACHABLE : CTL_OPS_EXIT_OK;
}

/* Column `col` of row `r` as JSON: null, a string, or (as_int) a 64-bit integer. */
static json_object *jcol(const PGresult *res, int r, int col, bool as_int)
{
    if (PQgetisnull(res, r, col))
        return NULL;
    if (as_int)
        return json_object_new_int64(strtoll(PQgetvalue(res, r, col), NULL, 10));
    return json_object_new_string(PQgetvalue(res, r, col));
}

/* A jsonb column parsed as JSON (a [] when it cannot be). */
static json_object *jparse(const PGresult *res, int r, int col)
{
    json_object *o = PQgetisnull(res, r, col) ? NULL : json_tokener_parse(PQgetvalue(res, r, col));
    return o ? o : json_object_new_array();
}

/* The row's columns as a JSON object: names from the result, ints where `ints` names them
 * ("status_code,partition,..."), parsed JSON where `jsons` does. */
static json_object *jrow(const PGresult *res, int r, const char *ints, const char *jsons)
{
    json_object *o = json_object_new_object();

    for (int k = 0; o && k < PQnfields(res); k++) {
        const char *name = PQfname(res, k);
        size_t len = strlen(name);
        bool is = false, isj = false;
        for (const char *p = ints; p && !is && (p = strstr(p, name)); p += len)
            is = (p == ints || p[-1] == ',') && (p[len] == ',' || !p[len]);
        for (const char *p = jsons; p && !isj && (p = strstr(p, name)); p += len)
            isj = (p == jsons || p[-1] == ',') && (p[len] == ',' || !p[len]);
        json_object_object_add(o, name, isj ? jparse(res, r, k) : jcol(res, r, k, is));
    }
    return o;
}

static const char *val(const PGresult *res, int r, int col, const char *null)
{
    return PQgetisnull(res, r, col) ? null : PQgetvalue(res, r, col);
}

/* Up to `max` bytes of s, cut at a UTF-8 character boundary, "..." when cut. */
static void print_cut(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n <= max) {
        fputs(s, stdout);
        return;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    printf("%.*s...", (int)max, s);
}

/* ------------------------------------------------------------------------------------ */
/* status                                                                               */
/* ------------------------------------------------------------------------------------ */

static const char sql_parcel[] =
    "SELECT logistics_no, status_code, status, invt_no, reasons, rules_version, "
    "  " TS("declared_at") " AS declared_at, " TS(
        "status_since") " AS status_since, "
                        "  status_actor, status_note, " TS(
                            "arrived_at") " AS arrived_at, arrival_loct_no, "
                                          "  " TS("departed_at") " AS departed_at, version, " TS(
                                              "cancelled_at") " AS cancelled_at, "
                                                              "  customs.reasons_text(reasons) AS "
                                                              "reasons_text "
                                                              "FROM customs.parcel_status WHERE "
                                                              "logistics_no = $1";

static const char sql_history[] = "SELECT " TS(
    "at") " AS at, kind, event, from_code, "
          "  CASE WHEN from_code IS NULL THEN NULL ELSE customs.status_name(from_code) END "
          "    AS from_status, "
          "  status_code, status, actor, note, reasons, source_topic, source_partition, "
          "  source_offset "
          "FROM customs.parcel_history WHERE logistics_no = $1";

static const char sql_parcel_quarantine[] =
    "SELECT id, " TS("received_at") " AS received_at, source_topic, source_partition, "
                                    "  source_offset, reason FROM customs.quarantine WHERE "
                                    "logistics_no = $1 ORDER BY id";

/* An actor for people: "rules:<SHA-256>" cut to 12 digits of the version. */
static void print_actor(const char *actor)
{
    if (strncmp(actor, "rules:", 6) == 0 && strlen(actor) > 6 + 12)
        printf("rules:%.12s", actor + 6);
    else
        fputs(actor, stdout);
}

static void status_print(const PGresult *p, const PGresult *h, const PGresult *q)
{
    const char *version = val(p, 0, 5, "-");

    printf("%s: %s %s  invtNo %s\n", PQgetvalue(p, 0, 0), PQgetvalue(p, 0, 1), PQgetvalue(p, 0, 2),
           val(p, 0, 3, "-"));
    printf("  since %s by ", val(p, 0, 7, "-"));
    print_actor(val(p, 0, 8, "-"));
    printf("%s%s\n", PQgetisnull(p, 0, 9) ? "" : ": ", val(p, 0, 9, ""));
    printf("  declared %s, version %s, rules %.12s\n", val(p, 0, 6, "-"), val(p, 0, 13, "-"),
           version);
    if (!PQgetisnull(p, 0, 10))
        printf("  arrived %s at %s\n", PQgetvalue(p, 0, 10), val(p, 0, 11, "-"));
    if (!PQgetisnull(p, 0, 12))
        printf("  departed %s\n", PQgetvalue(p, 0, 12));
    if (!PQgetisnull(p, 0, 14))
        printf("  cancelled %s\n", PQgetvalue(p, 0, 14));
    printf("reasons:%s%s\n", PQgetisnull(p, 0, 15) || !*PQgetvalue(p, 0, 15) ? " none" : "\n  ",
           val(p, 0, 15, ""));
    printf("history:\n");
    for (int r = 0; r < PQntuples(h); r++) {
        const char *kind = PQgetvalue(h, r, 1);
        printf("  %s  ", PQgetvalue(h, r, 0));
        if (strcmp(kind, "scan") == 0) {
            printf("%s scan: %s", PQgetvalue(h, r, 2), val(h, r, 6, "-"));
        } else {
            printf("%s%-12s ", strcmp(kind, "refused") == 0 ? "REFUSED " : "", PQgetvalue(h, r, 2));
            if (!PQgetisnull(h, r, 3))
                printf("%s %s ", PQgetvalue(h, r, 3), val(h, r, 4, ""));
            printf("-> %s %s", val(h, r, 5, "-"), val(h, r, 6, ""));
        }
        printf("  by ");
        print_actor(PQgetvalue(h, r, 7));
        if (!PQgetisnull(h, r, 8) && *PQgetvalue(h, r, 8))
            printf(": %s", PQgetvalue(h, r, 8));
        if (!PQgetisnull(h, r, 10))
            printf("  [%s[%s]@%s]", PQgetvalue(h, r, 10), val(h, r, 11, "?"), val(h, r, 12, "?"));
        putchar('\n');
    }
    if (PQntuples(q) > 0) {
        printf("quarantined records of this logisticsNo:\n");
        for (int r = 0; r < PQntuples(q); r++)
            printf("  #%s  %s  %s[%s]@%s: %s\n", PQgetvalue(q, r, 0), PQgetvalue(q, r, 1),
                   PQgetvalue(q, r, 2), PQgetvalue(q, r, 3), PQgetvalue(q, r, 4),
                   PQgetvalue(q, r, 5));
    }
}

static json_object *status_json(const PGresult *p, const PGresult *h, const PGresult *q)
{
    json_object *o = jrow(p, 0, "status_code,version", "reasons");
    json_object *hist = json_object_new_array(), *qa = json_object_new_array();

    for (int r = 0; hist && r < PQntuples(h); r++)
        json_object_array_add(
            hist, jrow(h, r, "from_code,status_code,source_partition,source_offset", "reasons"));
    for (int r = 0; qa && r < PQntuples(q); r++)
        json_object_array_add(qa, jrow(q, r, "id,source_partition,source_offset", NULL));
    json_object_object_add(o, "history", hist);
    json_object_object_add(o, "quarantined", qa);
    return o;
}

int ctl_ops_status(char **argv)
{
    struct ctl c = {.a = {.name = "status", .synopsis = CTL_OPS_STATUS_ARGS}};
    PGresult *p = NULL, *h = NULL, *q = NULL;
    int rc;

    if ((rc = ctl_parse(&c.a, argv, OPT_JSON, 1, 1)) != 0)
        return rc;
    if ((rc = ctl_open(&c)) != 0)
        goto out;
    const char *lno = c.a.operand[0];
    rc = CTL_OPS_EXIT_UNREACHABLE;
    if (!(p = ctl_query(&c, sql_parcel, 1, &lno, 0)) ||
        !(h = ctl_query(&c, sql_history, 1, &lno, 0)) ||
        !(q = ctl_query(&c, sql_parcel_quarantine, 1, &lno, 0)))
        goto out;
    if (PQntuples(p) == 0) {
        fprintf(stderr, "customsctl status: no declaration of logisticsNo '%s'", lno);
        if (PQntuples(h) > 0 || PQntuples(q) > 0)
            fprintf(stderr, " (%d history entries, %d quarantined records name it)", PQntuples(h),
                    PQntuples(q));
        fputc('\n', stderr);
        rc = CTL_OPS_EXIT_NOT_FOUND;
        goto out;
    }
    if (c.a.json) {
        rc = ctl_print_json(status_json(p, h, q));
    } else {
        status_print(p, h, q);
        rc = CTL_OPS_EXIT_OK;
    }
out:
    PQclear(p);
    PQclear(h);
    PQclear(q);
    ctl_close(&c);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* lag                                                                                  */
/* ------------------------------------------------------------------------------------ */

struct lag_row {
    const char *topic;
    int32_t partition;
    int64_t stored; /* -1: none stored */
    int64_t low, high, lag;
    char updated[40];
    bool on_broker;
};

struct lag_rows {
    struct lag_row *v;
    size_t n, cap;
};

static struct lag_row *lag_find(struct lag_rows *rows, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < rows->n; i++)
        if (rows->v[i].partition == partition && strcmp(rows->v[i].topic, topic) == 0)
            return &rows->v[i];
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 16;
        struct lag_row *v = realloc(rows->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        rows->v = v;
        rows->cap = cap;
    }
    rows->v[rows->n] = (struct lag_row){.topic = topic, .partition = partition, .stored = -1};
    return &rows->v[rows->n++];
}

/* The partitions of `topic` on the brokers into rows. 0, 1 (no such topic) or -1 (printed). */
static int lag_metadata(struct ctl *c, const char *topic, struct lag_rows *rows)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(c->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e;
    int rc = 0;

    if (!t) {
        fprintf(stderr, "customsctl lag: topic %s: %s\n", topic,
                rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    e = rd_kafka_metadata(c->rk, 0, t, &md, CTL_KAFKA_TIMEOUT_MS);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "customsctl lag: Kafka metadata of %s: %s\n", topic, rd_kafka_err2str(e));
        rc = -1;
    } else if (md->topic_cnt != 1 || md->topics[0].err) {
        rc = 1; /* unknown topic: nothing produced to it yet */
    } else {
        for (int i = 0; i < md->topics[0].partition_cnt; i++) {
            struct lag_row *l = lag_find(rows, topic, md->topics[0].partitions[i].id);
            if (!l) {
                fprintf(stderr, "customsctl lag: out of memory\n");
                rc = -1;
                break;
            }
            l->on_broker = true;
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return rc;
}

static int lag_cmp(const void *x, const void *y)
{
    const struct lag_row *a = x, *b = y;
    int t = strcmp(a->topic, b->topic);
    return t ? t : (a->partition > b->partition) - (a->partition < b->partition);
}

static int lag_output(const struct ctl *c, struct lag_rows *rows)
{
    int64_t total = 0;

    qsort(rows->v, rows->n, sizeof(*rows->v), lag_cmp);
    for (size_t i = 0; i < rows->n; i++)
        total += rows->v[i].lag;
    if (c->a.json) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();
        json_object_object_add(o, "group", json_object_new_string(c->cfg->group_id));
        for (size_t i = 0; a && i < rows->n; i++) {
            const struct lag_row *l = &rows->v[i];
            json_object *r = json_object_new_object();
            json_object_object_add(r, "topic", json_object_new_string(l->topic));
            json_object_object_add(r, "partition", json_object_new_int(l->partition));
            json_object_object_add(r, "stored_offset",
                                   l->stored < 0 ? NULL : json_object_new_int64(l->stored));
            json_object_object_add(r, "updated_at",
                                   l->updated[0] ? json_object_new_string(l->updated) : NULL);
            json_object_object_add(r, "low_watermark", json_object_new_int64(l->low));
            json_object_object_add(r, "high_watermark", json_object_new_int64(l->high));
            json_object_object_add(r, "lag", json_object_new_int64(l->lag));
            json_object_object_add(r, "on_broker", json_object_new_boolean(l->on_broker));
            json_object_array_add(a, r);
        }
        json_object_object_add(o, "partitions", a);
        json_object_object_add(o, "total_lag", json_object_new_int64(total));
        return ctl_print_json(o);
    }
    printf("group %s\n", c->cfg->group_id);
    printf("%-32s %9s %12s %12s %10s  %s\n", "TOPIC", "PARTITION", "STORED", "HIGH", "LAG",
           "STORED AT");
    for (size_t i = 0; i < rows->n; i++) {
        const struct lag_row *l = &rows->v[i];
        char stored[24];
        if (l->stored < 0)
            snprintf(stored, sizeof(stored), "-");
        else
            snprintf(stored, sizeof(stored), "%" PRId64, l->stored);
        printf("%-32s %9" PRId32 " %12s %12" PRId64 " %10" PRId64 "  %s%s\n", l->topic,
               l->partition, stored, l->high, l->lag, l->updated[0] ? l->updated : "-",
               l->on_broker ? "" : "  (not on the brokers)");
    }
    printf("total lag: %" PRId64 " records\n", total);
    return CTL_OPS_EXIT_OK;
}

int ctl_ops_lag(char **argv)
{
    struct ctl c = {.a = {.name = "lag", .synopsis = CTL_OPS_LAG_ARGS}};
    struct lag_rows rows = {0};
    PGresult *res = NULL;
    int rc;

    if ((rc = ctl_parse(&c.a, argv, OPT_JSON, 0, 0)) != 0)
        return rc;
    if ((rc = ctl_open(&c)) != 0 || (rc = ctl_kafka(&c, NULL)) != 0)
        goto out;
    rc = CTL_OPS_EXIT_UNREACHABLE;
    const char *topics[] = {c.cfg->topic_declarations, c.cfg->topic_scans};
    const char *params[] = {c.cfg->group_id, topics[0], topics[1]};
    res = ctl_query(&c,
                    "SELECT topic, partition, next_offset, " TS(
                        "updated_at") " "
                                      "FROM customs.consumer_positions "
                                      "WHERE group_id = $1 AND topic IN ($2, $3)",
                    3, params, 0);
    if (!res)
        goto out;
    for (size_t t = 0; t < ARRAY_SIZE(topics); t++) {
        if (t == 1 && strcmp(topics[0], topics[1]) == 0)
            break;
        if (lag_metadata(&c, topics[t], &rows) < 0)
            goto out;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        const char *topic = strcmp(PQgetvalue(res, r, 0), topics[0]) == 0 ? topics[0] : topics[1];
        struct lag_row *l = lag_find(&rows, topic, (int32_t)atoi(PQgetvalue(res, r, 1)));
        if (!l) {
            fprintf(stderr, "customsctl lag: out of memory\n");
            goto out;
        }
        l->stored = strtoll(PQgetvalue(res, r, 2), NULL, 10);
        snprintf(l->updated, sizeof(l->updated), "%s", PQgetvalue(res, r, 3));
    }
    for (size_t i = 0; i < rows.n; i++) {
        struct lag_row *l = &rows.v[i];
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (l->on_broker)
            e = rd_kafka_query_watermark_offsets(c.rk, l->topic, l->partition, &l->low, &l->high,
                                                 CTL_KAFKA_TIMEOUT_MS);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "customsctl lag: watermarks of %s [%" PRId32 "]: %s\n", l->topic,
                    l->partition, rd_kafka_err2str(e));
            goto out;
        }
        /* customsd starts a partition with no stored offset at the earliest record; one
         * the brokers do not have (a topic deleted) has nothing to read. */
        l->lag = !l->on_broker ? 0 : l->high - (l->stored >= 0 ? l->stored : l->low);
    }
    rc = lag_output(&c, &rows);
out:
    free(rows.v);
    PQclear(res);
    ctl_close(&c);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* quarantine list / show                                                               */
/* ------------------------------------------------------------------------------------ */

#define QCOLS                                                                                      \
    "id, " TS("received_at") " AS received_at, source_topic, source_partition, "                   \
                             "source_offset, logistics_no, reason, raw_bytes, replays, " TS(       \
                                 "replayed_at") " AS replayed_at, replayed_by, replayed_db_user, " \
                                                "replay_corrected, replay_topic, "                 \
                                                "replay_partition, replay_offset, "                \
                                                "replay_status_code, replay_status, "              \
                                                "replay_quarantine_id "
#define QINTS                                                                                      \
    "id,source_partition,source_offset,raw_bytes,replays,replay_partition,replay_offset,"          \
    "replay_status_code,replay_quarantine_id"

/* What became of the latest replay, in words. */
static void replay_words(const PGresult *q, int r)
{
    if (PQgetisnull(q, r, 9))
        return;
    printf("replayed %s by %s as %s[%s]@%s: ", PQgetvalue(q, r, 9), PQgetvalue(q, r, 10),
           PQgetvalue(q, r, 13), PQgetvalue(q, r, 14), PQgetvalue(q, r, 15));
    if (!PQgetisnull(q, r, 16))
        printf("%s %s", PQgetvalue(q, r, 16), PQgetvalue(q, r, 17));
    else if (!PQgetisnull(q, r, 18))
        printf("quarantined again (#%s)", PQgetvalue(q, r, 18));
    else
        printf("not decided yet");
}

int ctl_ops_quarantine_list(char **argv)
{
    struct ctl c = {.a = {.name = "quarantine list", .synopsis = CTL_OPS_QLIST_ARGS}};
    PGresult *q = NULL;
    char limit[24];
    int rc;

    if ((rc = ctl_parse(&c.a, argv, OPT_JSON | OPT_LIMIT, 0, 0)) != 0)
        return rc;
    if ((rc = ctl_open(&c)) != 0)
        goto out;
    snprintf(limit, sizeof(limit), "%ld", c.a.limit);
    const char *params[] = {limit};
    rc = CTL_OPS_EXIT_UNREACHABLE;
    q = ctl_query(&c, "SELECT " QCOLS "FROM customs.quarantine_overview ORDER BY id DESC LIMIT $1",
                  1, params, 0);
    if (!q)
        goto out;
    if (c.a.json) {
        json_object *a = json_object_new_array();
        for (int r = 0; a && r < PQntuples(q); r++)
            json_object_array_add(a, jrow(q, r, QINTS, NULL));
        rc = ctl_print_json(a);
        goto out;
    }
    if (PQntuples(q) == 0)
        printf("no quarantined records\n");
    for (int r = 0; r < PQntuples(q); r++) {
        printf("#%s  %s  %s[%s]@%s  %s  ", PQgetvalue(q, r, 0), PQgetvalue(q, r, 1),
               PQgetvalue(q, r, 2), PQgetvalue(q, r, 3), PQgetvalue(q, r, 4),
               val(q, r, 5, "(no logisticsNo)"));
        print_cut(PQgetvalue(q, r, 6), 100);
        if (!PQgetisnull(q, r, 9)) {
            printf("\n      ");
            replay_words(q, r);
        }
        putchar('\n');
    }
    rc = CTL_OPS_EXIT_OK;
out:
    PQclear(q);
    ctl_close(&c);
    return rc;
}

/* hexdump -C style: offset, 16 bytes in hex, the printable ASCII. */
static void hexdump(const unsigned char *p, size_t n)
{
    for (size_t off = 0; off < n; off += 16) {
        size_t k, m = n - off < 16 ? n - off : 16;
        printf("  %08zx ", off);
        for (k = 0; k < 16; k++)
            printf(k < m ? "%s%02x" : "%s  ", k == 8 ? "  " : " ", k < m ? p[off + k] : 0);
        printf("  |");
        for (k = 0; k < m; k++)
            putchar(p[off + k] >= 0x20 && p[off + k] < 0x7f ? p[off + k] : '.');
        printf("|\n");
    }
}

/* The stored bytes of quarantined record `id` (binary result). NULL: printed. */
static PGresult *quarantine_raw(struct ctl *c, const char *id)
{
    return ctl_query(c, "SELECT raw FROM customs.quarantine WHERE id = $1::bigint", 1, &id, 1);
}

/* `id` must be a number: _USAGE otherwise. */
static int check_id(const struct ctl_args *a, const char *id)
{
    if (strspn(id, "0123456789") == strlen(id) && strlen(id) > 0 && strlen(id) < 19)
        return 0;
    fprintf(stderr, "customsctl %s: ID: expected the number of a quarantined record, got '%s'\n",
            a->name, id);
    ctl_usage(a);
    return CTL_OPS_EXIT_USAGE;
}

int ctl_ops_quarantine_show(char **argv)
{
    struct ctl c = {.a = {.name = "quarantine show", .synopsis = CTL_OPS_QSHOW_ARGS}};
    PGresult *q = NULL, *raw = NULL, *reps = NULL;
    int rc;

    if ((rc = ctl_parse(&c.a, argv, OPT_JSON | OPT_RAW, 1, 1)) != 0 ||
        (rc = check_id(&c.a, c.a.operand[0])) != 0)
        return rc;
    if ((rc = ctl_open(&c)) != 0)
        goto out;
    const char *id = c.a.operand[0];
    rc = CTL_OPS_EXIT_UNREACHABLE;
    if (!(q = ctl_query(&c,
                        "SELECT " QCOLS "FROM customs.quarantine_overview WHERE id = $1::bigint", 1,
                        &id, 0)) ||
        !(raw = quarantine_raw(&c, id)) ||
        !(reps = ctl_query(
              &c,
              "SELECT id, " TS(
                  "replayed_at") " AS replayed_at, replayed_by, db_user, "
                                 "  corrected, sha256, target_topic, target_partition, "
                                 "target_offset "
                                 "FROM customs.quarantine_replays WHERE quarantine_id = $1::bigint "
                                 "ORDER BY id",
              1, &id, 0)))
        goto out;
    if (PQntuples(q) == 0 || PQntuples(raw) == 0) {
        fprintf(stderr, "customsctl quarantine show: no quarantined record %s\n", id);
        rc = CTL_OPS_EXIT_NOT_FOUND;
        goto out;
    }
    const unsigned char *bytes = (const unsigned char *)PQgetvalue(raw, 0, 0);
    size_t len = (size_t)PQgetlength(raw, 0, 0);
    if (c.a.raw) {
        rc = fwrite(bytes, 1, len, stdout) == len && fflush(stdout) == 0 ? CTL_OPS_EXIT_OK
                                                                         : CTL_OPS_EXIT_UNREACHABLE;
        goto out;
    }
    if (c.a.json) {
        json_object *o = jrow(q, 0, QINTS, NULL), *ra = json_object_new_array();
        char *b64 = malloc(4 * ((len + 2) / 3) + 1);
        if (!b64 || !o) {
            free(b64);
            json_object_put(o);
            fprintf(stderr, "customsctl: out of memory\n");
            goto out;
        }
        EVP_EncodeBlock((unsigned char *)b64, bytes, (int)len);
        json_object_object_add(o, "raw_base64", json_object_new_string(b64));
        free(b64);
        json_object_object_add(o, "raw_text",
                               json_strict_text(bytes, len)
                                   ? json_object_new_string_len((const char *)bytes, (int)len)
                                   : NULL);
        for (int r = 0; ra && r < PQntuples(reps); r++)
            json_object_array_add(ra, jrow(reps, r, "id,target_partition,target_offset", NULL));
        json_object_object_add(o, "replay_history", ra);
        rc = ctl_print_json(o);
        goto out;
    }
    printf("quarantined record #%s\n", id);
    printf("  received  %s\n  from      %s [%s] offset %s\n  logisticsNo %s\n  reason    %s\n",
           PQgetvalue(q, 0, 1), PQgetvalue(q, 0, 2), PQgetvalue(q, 0, 3), PQgetvalue(q, 0, 4),
           val(q, 0, 5, "(could not be read)"), PQgetvalue(q, 0, 6));
    if (!PQgetisnull(q, 0, 9)) {
        printf("  latest    ");
        replay_words(q, 0);
        putchar('\n');
    }
    for (int r = 0; r < PQntuples(reps); r++)
        printf("  replay %s: %s by %s (database user %s), %s, as %s [%s] offset %s, sha256 %s\n",
               PQgetvalue(reps, r, 0), PQgetvalue(reps, r, 1), PQgetvalue(reps, r, 2),
               PQgetvalue(reps, r, 3),
               strcmp(PQgetvalue(reps, r, 4), "t") == 0 ? "corrected" : "unchanged",
               PQgetvalue(reps, r, 6), PQgetvalue(reps, r, 7), PQgetvalue(reps, r, 8),
               PQgetvalue(reps, r, 5));
    printf("raw value (%zu bytes):\n", len);
    hexdump(bytes, len);
    rc = CTL_OPS_EXIT_OK;
out:
    PQclear(q);
    PQclear(raw);
    PQclear(reps);
    ctl_close(&c);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* quarantine replay                                                                    */
/* ------------------------------------------------------------------------------------ */

struct delivery {
    bool done;
    rd_kafka_resp_err_t err;
    int32_t partition;
    int64_t offset;
};

static void replay_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct delivery *d = m->_private;

    (void)rk;
    (void)opaque;
    d->done = true;
    d->err = m->err;
    d->partition = m->partition;
    d->offset = m->offset;
}

static rd_kafka_conf_t *replay_conf(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_dr_msg_cb(conf, replay_dr);
    return conf;
}

/* The value to replay: FILE, stdin ("-"), or NULL for the stored bytes (*corrected false). */
static char *replay_value(const char *path, size_t *len)
{
    if (strcmp(path, "-") != 0)
        return read_file(path, len);
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0 || n < cap) {
            if (ferror(stdin)) {
                free(buf);
                return NULL;
            }
            if (feof(stdin))
                break;
            continue;
        }
        char *b = realloc(buf, cap * 2 + 1);
        if (!b)
            free(buf);
        buf = b;
        cap *= 2;
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* The replay's operating system user: the login that ran customsctl (through sudo: the
 * user who ran sudo). */
static void replay_user(char *out, size_t outlen)
{
    const char *sudo = getenv("SUDO_USER");
    struct passwd *pw = getpwuid(getuid());

    if (pw && sudo && *sudo && getuid() == 0)
        snprintf(out, outlen, "%s (sudo as %s)", sudo, pw->pw_name);
    else if (pw)
        snprintf(out, outlen, "%s", pw->pw_name);
    else
        snprintf(out, outlen, "uid %u", (unsigned)getuid());
}

/*
 * Decode `value` as customsd will; the key it will be produced with (malloc'd) in *key.
 * 0, or -1 with why in err when customsd would quarantine it again.
 */
static int replay_check(const struct ctl *c, const char *topic, const char *value, size_t len,
                        char **key, char *err, size_t errlen)
{
    if (strcmp(topic, c->cfg->topic_scans) == 0) {
        struct warehouse_scan *s = scan_decode(value, len, 0, key, err, errlen);
        scan_free(s);
        return s ? 0 : -1;
    }
    struct declaration *d =
        declaration_decode(value, len, c->cfg->max_message_bytes, key, err, errlen);
    declaration_free(d);
    return d ? 0 : -1;
}

int ctl_ops_quarantine_replay(char **argv)
{
    struct ctl c = {.a = {.name = "quarantine replay", .synopsis = CTL_OPS_QREPLAY_ARGS}};
    struct delivery dl = {0};
    PGresult *q = NULL, *raw = NULL, *res = NULL;
    char *value = NULL, *key = NULL, err[1024], sha[65], user[256], part[16], off[24];
    size_t len = 0;
    bool corrected = false;
    int rc;

    if ((rc = ctl_parse(&c.a, argv, OPT_JSON | OPT_FORCE, 1, 2)) != 0 ||
        (rc = check_id(&c.a, c.a.operand[0])) != 0)
        return rc;
    if ((rc = ctl_open(&c)) != 0)
        goto out;
    const char *id = c.a.operand[0];
    rc = CTL_OPS_EXIT_UNREACHABLE;
    /* One replay of a record at a time: the row stays locked until the replay is recorded. */
    PQclear(PQexec(c.db, "BEGIN"));
    if (!(q = ctl_query(&c,
                        "SELECT q.source_topic, q.logistics_no, "
                        "  (SELECT count(*) FROM customs.quarantine_replays r "
                        "    WHERE r.quarantine_id = q.id) "
                        "FROM customs.quarantine q WHERE q.id = $1::bigint FOR UPDATE",
                        1, &id, 0)) ||
        !(raw = quarantine_raw(&c, id)))
        goto out;
    if (PQntuples(q) == 0 || PQntuples(raw) == 0) {
        fprintf(stderr, "customsctl quarantine replay: no quarantined record %s\n", id);
        rc = CTL_OPS_EXIT_NOT_FOUND;
        goto out;
    }
    if (atoi(PQgetvalue(q, 0, 2)) > 0 && !c.a.force) {
        fprintf(stderr,
                "customsctl quarantine replay: record %s was replayed %s time(s) already "
                "(customsctl quarantine show %s); --force replays it again\n",
                id, PQgetvalue(q, 0, 2), id);
        rc = CTL_OPS_EXIT_NOT_FOUND;
        goto out;
    }
    if (c.a.n == 2) {
        value = replay_value(c.a.operand[1], &len);
        if (!value) {
            fprintf(stderr, "customsctl quarantine replay: %s: %s\n", c.a.operand[1],
                    strerror(errno));
            rc = CTL_OPS_EXIT_NOT_FOUND;
            goto out;
        }
        corrected =
            len != (size_t)PQgetlength(raw, 0, 0) || memcmp(value, PQgetvalue(raw, 0, 0), len) != 0;
    } else {
        len = (size_t)PQgetlength(raw, 0, 0);
        value = util_strndup(PQgetvalue(raw, 0, 0), len);
        if (!value) {
            fprintf(stderr, "customsctl: out of memory\n");
            goto out;
        }
    }
    const char *topic = strcmp(PQgetvalue(q, 0, 0), c.cfg->topic_scans) == 0
                            ? c.cfg->topic_scans
                            : c.cfg->topic_declarations;
    if (replay_check(&c, topic, value, len, &key, err, sizeof(err)) < 0 && !c.a.force) {
        fprintf(stderr,
                "customsctl quarantine replay: customsd would quarantine this value again: %s "
                "(correct it, or --force)\n",
                err);
        rc = CTL_OPS_EXIT_NOT_FOUND;
        goto out;
    }
    if (!key && !PQgetisnull(q, 0, 1))
        key = util_strdup(PQgetvalue(q, 0, 1));
    if ((rc = ctl_kafka(&c, replay_conf)) != 0)
        goto out;
    rc = CTL_OPS_EXIT_UNREACHABLE;
    rd_kafka_resp_err_t e =
        rd_kafka_producev(c.rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                          RD_KAFKA_V_VALUE(value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_OPAQUE(&dl), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        rd_kafka_flush(c.rk, CTL_KAFKA_TIMEOUT_MS + 2000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR || !dl.done || dl.err) {
        fprintf(stderr, "customsctl quarantine replay: producing to %s: %s\n", topic,
                rd_kafka_err2str(e         ? e
                                 : dl.done ? dl.err
                                           : RD_KAFKA_RESP_ERR__TIMED_OUT));
        goto out;
    }
    if (sha256_hex(value, len, sha) < 0) {
        fprintf(stderr, "customsctl: cannot compute SHA-256\n");
        goto out;
    }
    replay_user(user, sizeof(user));
    snprintf(part, sizeof(part), "%" PRId32, dl.partition);
    snprintf(off, sizeof(off), "%" PRId64, dl.offset);
    const char *params[] = {id, user, corrected ? "true" : "false", sha, topic, part, off};
    res = ctl_query(&c,
                    "SELECT customs.record_quarantine_replay($1::bigint, $2, $3::boolean, $4, $5, "
                    "$6::integer, $7::bigint)",
                    7, params, 0);
    PGresult *commit = res ? PQexec(c.db, "COMMIT") : NULL;
    bool committed = commit && PQresultStatus(commit) == PGRES_COMMAND_OK;
    PQclear(commit);
    if (!committed) {
        fprintf(stderr,
                "customsctl quarantine replay: record %s WAS produced as %s [%s] offset %s but "
                "the replay could not be recorded: %s",
                id, topic, part, off, PQerrorMessage(c.db));
        goto out;
    }
    if (c.a.json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "quarantine_id", json_object_new_int64(atoll(id)));
        json_object_object_add(o, "replay_id", json_object_new_int64(atoll(PQgetvalue(res, 0, 0))));
        json_object_object_add(o, "replayed_by", json_object_new_string(user));
        json_object_object_add(o, "corrected", json_object_new_boolean(corrected));
        json_object_object_add(o, "bytes", json_object_new_int64((int64_t)len));
        json_object_object_add(o, "sha256", json_object_new_string(sha));
        json_object_object_add(o, "key", key ? json_object_new_string(key) : NULL);
        json_object_object_add(o, "topic", json_object_new_string(topic));
        json_object_object_add(o, "partition", json_object_new_int(dl.partition));
        json_object_object_add(o, "offset", json_object_new_int64(dl.offset));
        rc = ctl_print_json(o);
    } else {
        printf("quarantined record #%s replayed (%s, %zu bytes, key %s) as %s [%s] offset %s; "
               "replay %s recorded for %s\n",
               id, corrected ? "corrected" : "unchanged", len, key ? key : "(none)", topic, part,
               off, PQgetvalue(res, 0, 0), user);
        rc = CTL_OPS_EXIT_OK;
    }
out:
    free(value);
    free(key);
    PQclear(q);
    PQclear(raw);
    PQclear(res);
    ctl_close(&c);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* outbox status                                                                        */
/* ------------------------------------------------------------------------------------ */

int ctl_ops_outbox_status(char **argv)
{
    struct ctl c = {.a = {.name = "outbox status", .synopsis = CTL_OPS_OUTBOX_STATUS_ARGS}};
    PGresult *b = NULL;
    int rc;

    if ((rc = ctl_parse(&c.a, argv, OPT_JSON, 0, 0)) != 0)
        return rc;
    if ((rc = ctl_open(&c)) != 0)
        goto out;
    rc = CTL_OPS_EXIT_UNREACHABLE;
    /* One snapshot: the per-topic rows, then a total row (topic NULL). */
    b = ctl_query(
        &c,
        "SELECT topic, unpublished, " TS(
            "oldest_created_at") " AS oldest_created_at, "
                                 "  oldest_age_s FROM customs.outbox_backlog "
                                 "UNION ALL SELECT NULL, coalesce(sum(unpublished), 0), "
                                 "  " TS("min(oldest_created_at)") ", max(oldest_age_s) "
                                                                   "FROM customs.outbox_backlog "
                                                                   "ORDER BY 1 NULLS LAST",
        0, NULL, 0);
    if (!b)
        goto out;
    int total = PQntuples(b) - 1;
    if (c.a.json) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();
        json_object_object_add(o, "unpublished", jcol(b, total, 1, true));
        json_object_object_add(o, "oldest_created_at", jcol(b, total, 2, false));
        json_object_object_add(
            o, "oldest_age_s",
            PQgetisnull(b, total, 3)
                ? NULL
                : json_object_new_double_s(atof(PQgetvalue(b, total, 3)), PQgetvalue(b, total, 3)));
        for (int r = 0; a && r < total; r++) {
            json_object *t = json_object_new_object();
            json_object_object_add(t, "topic", jcol(b, r, 0, false));
            json_object_object_add(t, "unpublished", jcol(b, r, 1, true));
            json_object_object_add(t, "oldest_created_at", jcol(b, r, 2, false));
            json_object_object_add(
                t, "oldest_age_s",
                json_object_new_double_s(atof(PQgetvalue(b, r, 3)), PQgetvalue(b, r, 3)));
            json_object_array_add(a, t);
        }
        json_object_object_add(o, "topics", a);
        rc = ctl_print_json(o);
        goto out;
    }
    if (total == 0) {
        printf("outbox: empty (every row published)\n");
    } else {
        printf("outbox: %s unpublished rows, the oldest %s s old (created %s)\n",
               PQgetvalue(b, total, 1), PQgetvalue(b, total, 3), PQgetvalue(b, total, 2));
        printf("%-32s %12s %14s  %s\n", "TOPIC", "UNPUBLISHED", "OLDEST AGE S", "OLDEST CREATED");
        for (int r = 0; r < total; r++)
            printf("%-32s %12s %14s  %s\n", PQgetvalue(b, r, 0), PQgetvalue(b, r, 1),
                   PQgetvalue(b, r, 3), PQgetvalue(b, r, 2));
    }
    rc = CTL_OPS_EXIT_OK;
out:
    PQclear(b);
    ctl_close(&c);
    return rc;
}
