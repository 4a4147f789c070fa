/*
 * test_store.c - integration tests of the PostgreSQL store (daemon/store.c) and the schema
 * (sql/NNN_*.sql, the migrations) against a real PostgreSQL server.
 *
 * Server: CUSTOMSD_TEST_PG (a libpq conninfo) or the PG* environment variables
 * (PGHOST, PGPORT, PGUSER, ...). With neither, every test is skipped.
 * The tests create a throwaway database customsd_test_<pid> (the role needs CREATEDB),
 * migrate it with sql/migrate.sh (run from CUSTOMSD_SRCDIR, default the current
 * directory = the repository root), and drop it at the end. CUSTOMSD_TEST_TEMPLATE names a
 * database to copy instead of an empty one (tests/integration/test_upgrade.sh: one made by
 * an earlier release and upgraded, with its data), which migrate.sh then finds up to date.
 * CUSTOMSD_STORE_BENCH=1 also runs the apply_batch throughput measurement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "declaration.h"
#include "rules.h"
#include "scan.h"
#include "status.h"
#include "store.h"
#include "util.h"

#define T_EVENTS   "test.warehouse.events"
#define T_RECEIPTS "test.receipts"
#define T_GROUP    "test-group"
#define RULES_V    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

struct fixture {
    char *base_conninfo; /* the server as configured */
    PGconn *admin;       /* to create and drop the test database */
    char dbname[64];
    char *conninfo; /* the test database */
    PGconn *db;     /* checks, as application_name test_store */
    struct store *s;
    char srcdir[PATH_MAX];
    int migrate_rc;
    char *migrate_out;
};

/* ------------------------------------------------------------------------------------- */
/* helpers: processes, SQL                                                                */

/* Run argv, capture stdout+stderr into *out (malloc'd). Returns the exit status or -1. */
static int run_capture(char *const argv[], char **out)
{
    int fds[2];
    *out = NULL;
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - len < 1024)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(fds[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A conninfo string for database `dbname` with the other settings of a live connection. */
static char *conninfo_for(PGconn *c, const char *dbname, const char *appname)
{
    PQconninfoOption *opts = PQconninfo(c);
    size_t cap = 4096, len = 0;
    char *buf = calloc(1, cap);
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        const char *val = o->val;
        if (strcmp(o->keyword, "dbname") == 0)
            val = dbname;
        else if (strcmp(o->keyword, "application_name") == 0 ||
                 strcmp(o->keyword, "fallback_application_name") == 0)
            continue;
        if (!val || !*val)
            continue;
        len += (size_t)snprintf(buf + len, cap - len, "%s='", o->keyword);
        for (const char *p = val; *p && len < cap - 8; p++) {
            if (*p == '\'' || *p == '\\')
                buf[len++] = '\\';
            buf[len++] = *p;
        }
        len += (size_t)snprintf(buf + len, cap - len, "' ");
    }
    if (appname)
        snprintf(buf + len, cap - len, "application_name='%s'", appname);
    PQconninfoFree(opts);
    return buf;
}

static PGresult *sqlv(PGconn *c, const char *fmt, va_list ap)
{
    char sql[8192];
    vsnprintf(sql, sizeof(sql), fmt, ap);
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        fail_msg("SQL failed: %s\n%s", sql, PQresultErrorMessage(res));
    return res;
}

/* Run SQL (printf-style; tests only, trusted input) and return the result (PQclear it). */
static PGresult *sql(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static PGresult *sql(PGconn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = sqlv(c, fmt, ap);
    va_end(ap);
    return res;
}

/* The single value of a one-row, one-column query as a malloc'd string (NULL for NULL). */
static char *sql1(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *sql1(PGconn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = sqlv(c, fmt, ap);
    va_end(ap);
    if (PQntuples(res) != 1 || PQnfields(res) != 1)
        fail_msg("expected one value, got %d rows x %d columns", PQntuples(res), PQnfields(res));
    char *v = PQgetisnull(res, 0, 0) ? NULL : strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

static long long sqlcount(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long long sqlcount(PGconn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = sqlv(c, fmt, ap);
    va_end(ap);
    assert_int_equal(PQntuples(res), 1);
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

/* Assert a query's single value equals `want` (NULL = SQL NULL). */
#define assert_sql_value(c, want, ...)                                                             \
    do {                                                                                           \
        char *got_ = sql1((c), __VA_ARGS__);                                                       \
        const char *want_ = (want);                                                                \
        if (want_ == NULL)                                                                         \
            assert_null(got_);                                                                     \
        else {                                                                                     \
            assert_non_null(got_);                                                                 \
            assert_string_equal(got_, want_);                                                      \
        }                                                                                          \
        free(got_);                                                                                \
    } while (0)

/* Row counts of every table a batch writes, to show that a refused batch wrote nothing. */
struct counts {
    long long decl, items, hist, outbox, quar;
    char offsets[512];
};

static void snapshot(PGconn *c, struct counts *k)
{
    k->decl = sqlcount(c, "SELECT count(*) FROM customs.declarations");
    k->items = sqlcount(c, "SELECT count(*) FROM customs.declaration_items");
    k->hist = sqlcount(c, "SELECT count(*) FROM customs.status_history");
    k->outbox = sqlcount(c, "SELECT count(*) FROM customs.outbox");
    k->quar = sqlcount(c, "SELECT count(*) FROM customs.quarantine");
    char *o = sql1(c, "SELECT coalesce(string_agg(format('%%s/%%s/%%s=%%s', group_id, topic,"
                      " partition, next_offset), ',' ORDER BY 1), '') FROM"
                      " customs.consumer_offsets");
    snprintf(k->offsets, sizeof(k->offsets), "%s", o ? o : "");
    free(o);
}

static void assert_same_counts(const struct counts *a, const struct counts *b)
{
    assert_int_equal(a->decl, b->decl);
    assert_int_equal(a->items, b->items);
    assert_int_equal(a->hist, b->hist);
    assert_int_equal(a->outbox, b->outbox);
    assert_int_equal(a->quar, b->quar);
    assert_string_equal(a->offsets, b->offsets);
}

/* ------------------------------------------------------------------------------------- */
/* helpers: declarations built by hand (the store only reads the structs)                 */

static struct decl_decimal dec(long long units) /* value * 10^5 */
{
    return (struct decl_decimal){.present = true, .value = {.units = units}};
}

struct tdecl {
    struct declaration d;
    struct decl_item items[3];
    struct decision dec;
    struct reason reasons[3];
    char lno[64], cop[64];
    char payload[4096];
    size_t payload_len;
};

/*
 * A declaration of `n_items` items (first item 1399.00 CNY, second 0.00001, third 2.5),
 * status `status` with the standard reasons for it. `note` goes into the raw payload only,
 * so two tdecls with the same lno and a different note are different content.
 */
static void tdecl_init(struct tdecl *t, const char *lno, int status, size_t n_items,
                       const char *note)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->lno, sizeof(t->lno), "%s", lno);
    snprintf(t->cop, sizeof(t->cop), "COP-%s", lno);
    struct declaration *d = &t->d;
    d->guid = "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9";
    d->appType = "1";
    d->appTime = "20240512103000";
    d->appStatus = "2";
    d->customsCode = "1900";
    d->portCode = "1900";
    d->ieFlag = "E";
    d->ieDate = "20240512";
    d->ebpCode = "2301960001";
    d->orderNo = "ORD20240512000001";
    d->ebcCode = "2301960002";
    d->ebcName = "密山跨境电商有限公司";
    d->logisticsCode = "2301960003";
    d->logisticsNo = t->lno;
    d->copNo = t->cop;
    d->agentCode = "2301960004";
    d->ownerCode = "NO";
    d->tradeMode = "9610";
    d->statisticsFlag = "A";
    d->trafMode = "4";
    d->country = "344";
    d->POD = "RUVVO";
    d->freight = dec(0);
    d->fCurrency = "142";
    d->insuredFee = dec(0);
    d->iCurrency = "142";
    d->wrapType = "2";
    d->packNo = (struct decl_integer){true, 1};
    d->grossWeight = dec(135000); /* 1.35 */
    d->netWeight = dec(120000);   /* 1.2 */
    static const long long prices[] = {139900000, 1, 250000};
    static const char *const names[] = {"电吉他", "拨片", "琴弦"};
    for (size_t i = 0; i < n_items && i < 3; i++) {
        struct decl_item *it = &t->items[i];
        it->gnum = (struct decl_integer){true, (long long)i + 1};
        it->itemNo = "EG-ST-001";
        it->itemName = (char *)names[i];
        it->gcode = "9207900000";
        it->gname = (char *)names[i];
        it->gmodel = "6弦";
        it->barCode = "无";
        it->country = "344";
        it->currency = "142";
        it->qty = dec(100000);
        it->unit = "011";
        it->qty1 = dec(100000);
        it->unit1 = "011";
        it->price = dec(prices[i]);
        it->totalPrice = dec(prices[i]);
    }
    d->n_items = n_items;
    d->items = t->items;

    t->dec.status_code = status;
    t->dec.rules_version = RULES_V;
    t->dec.reasons = t->reasons;
    if (status == STATUS_INSPECTION) {
        t->reasons[0] = (struct reason){
            .rule_id = "R-SAMPLE", .action = RULE_INSPECT, .message = "random sampling 1/100"};
        t->dec.n_reasons = 1;
    } else if (status == STATUS_REJECTED) {
        t->reasons[0] = (struct reason){.rule_id = "R-GCODE",
                                        .action = RULE_REJECT,
                                        .message = "items[1].gcode: \"92079\" is not 10 digits",
                                        .message_zh = "商品编码须为10位数字"};
        t->reasons[1] = (struct reason){
            .rule_id = "R-HEAVY", .action = RULE_FLAG, .message = "grossWeight 1.35 kg"};
        t->dec.n_reasons = 2;
    }
    int n = snprintf(t->payload, sizeof(t->payload),
                     "{\"guid\":\"%s\",\"appType\":\"1\",\"logisticsNo\":\"%s\",\"copNo\":\"%s\","
                     "\"ebcName\":\"%s\",\"grossWeight\":\"1.35\",\"netWeight\":1.2,"
                     "\"note\":\"%s\",\"items\":[",
                     d->guid, t->lno, t->cop, d->ebcName, note ? note : "");
    for (size_t i = 0; i < n_items; i++)
        n += snprintf(t->payload + n, sizeof(t->payload) - (size_t)n,
                      "%s{\"gnum\":%zu,\"gname\":\"%s\"}", i ? "," : "", i + 1, names[i]);
    n += snprintf(t->payload + n, sizeof(t->payload) - (size_t)n, "]}");
    t->payload_len = (size_t)n;
}

static struct batch_record rec_decl(const char *topic, int32_t partition, int64_t offset,
                                    const struct tdecl *t)
{
    return (struct batch_record){.kind = BATCH_DECLARATION,
                                 .topic = topic,
                                 .partition = partition,
                                 .offset = offset,
                                 .timestamp_ms = 1715480000123,
                                 .value = t->payload,
                                 .value_len = t->payload_len,
                                 .key = t->lno,
                                 .decl = &t->d,
                                 .decision = &t->dec};
}

static struct batch_record rec_quar(const char *topic, int32_t partition, int64_t offset,
                                    const void *raw, size_t len, const char *key,
                                    const char *reason)
{
    return (struct batch_record){.kind = BATCH_QUARANTINE,
                                 .topic = topic,
                                 .partition = partition,
                                 .offset = offset,
                                 .timestamp_ms = -1,
                                 .value = raw,
                                 .value_len = len,
                                 .key = key,
                                 .reason = reason};
}

static int apply1(struct fixture *f, const struct batch_record *recs, size_t n, const char *topic,
                  int32_t partition, int64_t expected, int64_t next, struct batch_result *res,
                  char *err, size_t errlen)
{
    struct batch_offset off = {topic, partition, expected, next};
    return store_apply_batch(f->s, T_GROUP, recs, n, &off, 1, res, NULL, err, errlen);
}

/* ------------------------------------------------------------------------------------- */
/* helpers: the clearance workflow (scans, amendments, officers)                          */

/* A warehouse scan built by hand, as scan_decode would give it. */
struct tscan {
    struct warehouse_scan s;
    char lno[64], at[40], loct[16];
    char payload[512];
    size_t payload_len;
};

/* `at` is the normalised scannedAt (ISO 8601 with offset); loct NULL = no loctNo. */
static void tscan_init(struct tscan *t, const char *lno, enum scan_kind kind, const char *at,
                       const char *loct)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->lno, sizeof(t->lno), "%s", lno);
    snprintf(t->at, sizeof(t->at), "%s", at);
    t->s.logisticsNo = t->lno;
    t->s.kind = kind;
    t->s.scanned_at = t->at;
    if (loct) {
        snprintf(t->loct, sizeof(t->loct), "%s", loct);
        t->s.loctNo = t->loct;
    }
    int n = snprintf(t->payload, sizeof(t->payload),
                     "{\"logisticsNo\":\"%s\",\"scan\":\"%s\",\"scannedAt\":\"%s\","
                     "\"loctNo\":\"%s\"}",
                     lno, kind == SCAN_ARRIVAL ? "arrival" : "departure", at, loct ? loct : "");
    t->payload_len = (size_t)n;
}

static struct batch_record rec_scan(const struct tscan *t)
{
    return (struct batch_record){.kind = BATCH_SCAN,
                                 .timestamp_ms = 1715480000456,
                                 .value = t->payload,
                                 .value_len = t->payload_len,
                                 .key = t->lno,
                                 .scan = &t->s};
}

/* Turn a tdecl into an amendment (appType "2") or cancellation ("3"): the declared
 * appType and the raw payload's say so (same length, so the payload stays valid). */
static void tdecl_apptype(struct tdecl *t, const char *app_type)
{
    t->d.appType = (char *)app_type;
    char *p = strstr(t->payload, "\"appType\":\"");
    assert_non_null(p);
    p[strlen("\"appType\":\"")] = app_type[0];
}

/* One partition of a test topic, with the next offset the tests hand out. */
struct tpart {
    const char *topic;
    int64_t next; /* -1 until the first batch */
};

/*
 * Apply records on up to two partitions (records of `a` first, then `b`, each kept in the
 * given order): topic, partition 0 and consecutive offsets are filled in. STORE_OK is
 * asserted (with the error shown).
 */
static void apply_on(struct fixture *f, struct tpart *a, struct batch_record *ra, size_t na,
                     struct tpart *b, struct batch_record *rb, size_t nb, struct batch_result *res)
{
    struct batch_record recs[16];
    struct batch_offset offs[2];
    size_t n = 0, no = 0;
    assert_true(na + nb <= ARRAY_SIZE(recs));
    struct tpart *parts[2] = {a, b};
    struct batch_record *src[2] = {ra, rb};
    size_t cnt[2] = {na, nb};
    for (int k = 0; k < 2; k++) {
        if (!parts[k] || cnt[k] == 0)
            continue;
        int64_t first = parts[k]->next < 0 ? 0 : parts[k]->next;
        for (size_t i = 0; i < cnt[k]; i++) {
            recs[n] = src[k][i];
            recs[n].topic = parts[k]->topic;
            recs[n].partition = 0;
            recs[n].offset = first + (int64_t)i;
            n++;
        }
        offs[no++] =
            (struct batch_offset){parts[k]->topic, 0, parts[k]->next, first + (int64_t)cnt[k]};
        parts[k]->next = first + (int64_t)cnt[k];
    }
    char err[512] = "";
    struct batch_outcome outs[16];
    struct batch_report rep = {.outcomes = outs};
    int rc = store_apply_batch(f->s, T_GROUP, recs, n, offs, no, res, &rep, err, sizeof(err));
    if (rc != STORE_OK)
        fail_msg("apply_batch: %s", err);
    for (size_t i = 0; i < n; i++) /* the per-record report is readable, for every record */
        if (outs[i].code == BATCH_OUT_UNKNOWN)
            fail_msg("apply_batch: no readable outcome for record %zu", i);
}

#define APPLY(f, tp, res, ...)                                                                     \
    do {                                                                                           \
        struct batch_record r_[] = {__VA_ARGS__};                                                  \
        apply_on((f), (tp), r_, ARRAY_SIZE(r_), NULL, NULL, 0, (res));                             \
    } while (0)

static long long status_of(struct fixture *f, const char *lno)
{
    return sqlcount(f->db, "SELECT status_code FROM customs.declarations WHERE logistics_no = '%s'",
                    lno);
}

/* The parcel's history as "event:from>to" joined by spaces ("declared:>399 arrival:399>800"). */
static char *history_of(struct fixture *f, const char *lno)
{
    return sql1(f->db,
                "SELECT string_agg(format('%%s:%%s>%%s', event, from_code, status_code), ' '"
                " ORDER BY id) FROM customs.status_history WHERE logistics_no = '%s'",
                lno);
}

#define assert_history(f, lno, want)                                                               \
    do {                                                                                           \
        char *h_ = history_of((f), (lno));                                                         \
        assert_non_null(h_);                                                                       \
        assert_string_equal(h_, (want));                                                           \
        free(h_);                                                                                  \
    } while (0)

/* The parcel's outbox rows as "type:returnStatus-or-status_code" in order. */
#define assert_outbox(f, lno, want)                                                                \
    assert_sql_value((f)->db, (want),                                                              \
                     "SELECT string_agg(type || ':' || coalesce(payload->>'returnStatus',"         \
                     " payload->>'status_code'), ' ' ORDER BY id) FROM customs.outbox"             \
                     " WHERE key = '%s'",                                                          \
                     (lno))

/* Run SQL that must fail with SQLSTATE `state` and a message containing `msg`. */
static void assert_sql_fails(PGconn *c, const char *state, const char *msg, const char *q)
{
    PGresult *r = PQexec(c, q);
    if (PQresultStatus(r) != PGRES_FATAL_ERROR)
        fail_msg("expected %s to fail with %s", q, state);
    const char *got = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (!got || strcmp(got, state) != 0 || !strstr(PQresultErrorMessage(r), msg))
        fail_msg("%s: expected %s '%s', got %s %s", q, state, msg, got ? got : "?",
                 PQresultErrorMessage(r));
    PQclear(r);
}

/* ------------------------------------------------------------------------------------- */
/* setup / teardown                                                                        */

static int group_teardown(void **state)
{
    struct fixture *f = *state;
    if (!f)
        return 0;
    store_close(f->s);
    PQfinish(f->db);
    if (f->admin && f->dbname[0]) {
        char q[128];
        snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->dbname);
        PQclear(PQexec(f->admin, q));
    }
    PQfinish(f->admin);
    free(f->base_conninfo);
    free(f->conninfo);
    free(f->migrate_out);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    *state = NULL;
    const char *ci = getenv("CUSTOMSD_TEST_PG");
    if (!ci && !getenv("PGHOST") && !getenv("PGPORT") && !getenv("PGDATABASE") &&
        !getenv("PGSERVICE") && !getenv("PGUSER")) {
        fprintf(stderr, "test_store: no PostgreSQL configured (CUSTOMSD_TEST_PG or PG* "
                        "variables); skipping\n");
        return 0;
    }
    struct fixture *f = calloc(1, sizeof(*f));
    f->base_conninfo = strdup(ci ? ci : "");
    const char *src = getenv("CUSTOMSD_SRCDIR");
    snprintf(f->srcdir, sizeof(f->srcdir), "%s", src ? src : ".");

    char *ci_store = NULL;
    f->admin = PQconnectdb(f->base_conninfo);
    if (PQstatus(f->admin) != CONNECTION_OK) {
        fprintf(stderr, "test_store: cannot connect: %s", PQerrorMessage(f->admin));
        goto fail;
    }
    snprintf(f->dbname, sizeof(f->dbname), "customsd_test_%d", (int)getpid());
    PQclear(sql(f->admin, "SET client_min_messages = warning"));
    PQclear(sql(f->admin, "DROP DATABASE IF EXISTS %s", f->dbname));
    const char *tmpl = getenv("CUSTOMSD_TEST_TEMPLATE");
    if (tmpl) {
        char *id = PQescapeIdentifier(f->admin, tmpl, strlen(tmpl));
        PQclear(sql(f->admin, "CREATE DATABASE %s TEMPLATE %s", f->dbname, id ? id : "?"));
        PQfreemem(id);
    } else {
        PQclear(sql(f->admin, "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0", f->dbname));
    }

    ci_store = conninfo_for(f->admin, f->dbname, NULL);
    f->conninfo = conninfo_for(f->admin, f->dbname, "test_store");

    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/sql/migrate.sh", f->srcdir);
    char *argv[] = {"sh", path, ci_store, NULL};
    f->migrate_rc = run_capture(argv, &f->migrate_out);
    if (f->migrate_rc != 0) {
        fprintf(stderr, "test_store: migrate.sh failed (%d):\n%s", f->migrate_rc, f->migrate_out);
        goto fail;
    }

    f->db = PQconnectdb(f->conninfo);
    if (PQstatus(f->db) != CONNECTION_OK) {
        fprintf(stderr, "test_store: cannot connect: %s", PQerrorMessage(f->db));
        goto fail;
    }
    char err[512];
    if (store_open(ci_store, NULL, T_EVENTS, T_RECEIPTS, &f->s, err, sizeof(err)) != STORE_OK) {
        fprintf(stderr, "test_store: store_open: %s\n", err);
        goto fail;
    }
    free(ci_store);
    *state = f;
    return 0;
fail:
    /* cmocka skips the group teardown when the setup fails: clean up here. */
    free(ci_store);
    *state = f;
    group_teardown(state);
    *state = NULL;
    return -1;
}

#define FIXTURE(state)                                                                             \
    struct fixture *f = *(state);                                                                  \
    if (!f)                                                                                        \
        skip();

/* ------------------------------------------------------------------------------------- */
/* tests                                                                                   */

/* migrate.sh applied every file once; a second run is a no-op; a changed file is refused. */
static void test_migrate(void **state)
{
    FIXTURE(state);
    glob_t g;
    char pattern[PATH_MAX + 32];
    snprintf(pattern, sizeof(pattern), "%s/sql/[0-9][0-9][0-9]_*.sql", f->srcdir);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 1);
    const char *first = strrchr(g.gl_pathv[0], '/') + 1;
    char line[PATH_MAX + 64];
    long long recorded = sqlcount(f->db, "SELECT count(*) FROM customs.schema_migrations");
    if (getenv("CUSTOMSD_TEST_TEMPLATE")) {
        /* A copy of a migrated database: nothing left to apply (test_upgrade.sh checks the
         * rest of the upgrade). */
        assert_non_null(strstr(f->migrate_out, "up to date"));
        assert_null(strstr(f->migrate_out, "applying"));
        assert_true(recorded >= (long long)g.gl_pathc);
        globfree(&g);
        return;
    }
    /* The first numbered file (the baseline) was applied to the new database. */
    snprintf(line, sizeof(line), "applying %s", first);
    assert_non_null(strstr(f->migrate_out, line));
    assert_int_equal(recorded, (long long)g.gl_pathc);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.schema_migrations"
                                     " WHERE sha256 ~ '^[0-9a-f]{64}$'"),
                     (long long)g.gl_pathc);

    char *ci = conninfo_for(f->admin, f->dbname, NULL);
    char path[PATH_MAX + 32], *out;
    snprintf(path, sizeof(path), "%s/sql/migrate.sh", f->srcdir);
    char *argv[] = {"sh", path, ci, NULL};
    assert_int_equal(run_capture(argv, &out), 0);
    assert_non_null(strstr(out, "up to date"));
    assert_null(strstr(out, "applying"));
    free(out);

    /* A copy of sql/ whose first numbered file has changed since it was applied: refused,
     * exit 1. */
    char tmp[] = "/tmp/test_store_sql.XXXXXX";
    assert_non_null(mkdtemp(tmp));
    char cmd[4 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "cp -R '%s'/sql/. '%s'/ && echo '-- changed' >> '%s'/%s", f->srcdir,
             tmp, tmp, first);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/migrate.sh", tmp);
    assert_int_equal(run_capture(argv, &out), 1);
    snprintf(line, sizeof(line), "%s was applied with SHA-256", first);
    assert_non_null(strstr(out, line));
    free(out);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.schema_migrations"),
                     (long long)g.gl_pathc);
    free(ci);
    globfree(&g);
}

/* Raw bytes of the quarantined record: a NUL byte and invalid UTF-8 in it. */
static const unsigned char q_raw[] = {'{', '"', 'l',  'o',  'g',  'i',  's',  't', 'i', 'c',
                                      's', 'N', 'o',  '"',  ':',  '"',  'Y',  'L', 'Q', '1',
                                      '"', ',', 0x00, 0xff, 0xfe, 0xc3, 0x28, '}', '\n'};

/* Check the JSON of one outbox row. */
static void check_event(PGresult *res, int row, const char *topic, const char *type,
                        const char *key, int status_code, const char *status, size_t n_reasons,
                        const char *first_rule)
{
    assert_string_equal(PQgetvalue(res, row, 1), topic);
    assert_string_equal(PQgetvalue(res, row, 2), type);
    assert_string_equal(PQgetvalue(res, row, 3), key);
    struct json_object *j = json_tokener_parse(PQgetvalue(res, row, 4));
    assert_non_null(j);
    struct json_object *v;
    assert_true(json_object_object_get_ex(j, "event_id", &v));
    assert_string_equal(json_object_get_string(v), PQgetvalue(res, row, 0));
    assert_true(json_object_object_get_ex(j, "type", &v));
    assert_string_equal(json_object_get_string(v), type);
    assert_true(json_object_object_get_ex(j, "logisticsNo", &v));
    assert_string_equal(json_object_get_string(v), key);
    assert_true(json_object_object_get_ex(j, "copNo", &v));
    assert_true(json_object_object_get_ex(j, "status_code", &v));
    assert_true(json_object_is_type(v, json_type_int));
    assert_int_equal(json_object_get_int(v), status_code);
    assert_true(json_object_object_get_ex(j, "status", &v));
    assert_string_equal(json_object_get_string(v), status);
    bool receipt = strcmp(type, "receipt") == 0;
    /* the rules' reasons go to the declarer only; the warehouse gets the cause */
    assert_int_equal(json_object_object_get_ex(j, "reasons", &v), receipt);
    if (receipt) {
        assert_true(json_object_is_type(v, json_type_array));
        assert_int_equal(json_object_array_length(v), n_reasons);
        if (n_reasons > 0) {
            struct json_object *r0 = json_object_array_get_idx(v, 0), *x;
            assert_true(json_object_object_get_ex(r0, "rule_id", &x));
            assert_string_equal(json_object_get_string(x), first_rule);
            assert_true(json_object_object_get_ex(r0, "message", &x));
        }
    } else {
        assert_true(json_object_object_get_ex(j, "event", &v));
        assert_string_equal(json_object_get_string(v), "declared");
        assert_true(json_object_object_get_ex(j, "from_status_code", &v));
        assert_null(v);
    }
    /* customs' own record (who, why, which rule set) is in no payload */
    assert_false(json_object_object_get_ex(j, "rules_version", NULL));
    assert_false(json_object_object_get_ex(j, "actor", NULL));
    assert_false(json_object_object_get_ex(j, "note", NULL));
    assert_true(json_object_object_get_ex(j, "occurred_at", &v));
    const char *at = json_object_get_string(v);
    assert_int_equal(strlen(at), 24); /* 2024-05-12T10:30:00.123Z */
    assert_true(at[4] == '-' && at[10] == 'T' && at[23] == 'Z');
    assert_int_equal(json_object_object_get_ex(j, "returnStatus", &v), receipt);
    if (receipt) {
        char code[16];
        snprintf(code, sizeof(code), "%d", status_code);
        assert_string_equal(json_object_get_string(v), code);
        assert_true(json_object_object_get_ex(j, "returnTime", &v));
        const char *t = json_object_get_string(v);
        assert_int_equal(strlen(t), 17);
        for (const char *p = t; *p; p++)
            assert_true(isdigit((unsigned char)*p));
        assert_true(json_object_object_get_ex(j, "returnInfo", &v));
        assert_non_null(strstr(json_object_get_string(v), status));
        if (first_rule)
            assert_non_null(strstr(json_object_get_string(v), first_rule));
        assert_true(json_object_object_get_ex(j, "guid", &v));
    }
    json_object_put(j);
}

/* Three declarations and one undecodable record: every row, value and event. */
static void test_apply_batch(void **state)
{
    FIXTURE(state);
    static struct tdecl a, b, c;
    tdecl_init(&a, "YL-FULL-A", STATUS_ACCEPTED, 2, "first");
    tdecl_init(&b, "YL-FULL-B", STATUS_INSPECTION, 1, "");
    tdecl_init(&c, "YL-FULL-C", STATUS_REJECTED, 3, "");
    struct batch_record recs[] = {
        rec_decl("t.full", 0, 0, &a),
        rec_decl("t.full", 0, 1, &b),
        rec_quar("t.full", 0, 2, q_raw, sizeof(q_raw), "YLQ1",
                 "invalid JSON at byte 22: unexpected character"),
        rec_decl("t.full", 0, 3, &c),
    };
    struct batch_result res;
    char err[512] = "";
    int rc = apply1(f, recs, 4, "t.full", 0, -1, 4, &res, err, sizeof(err));
    assert_int_equal(rc, STORE_OK);
    assert_int_equal(res.declarations, 3);
    assert_int_equal(res.duplicates, 0);
    assert_int_equal(res.conflicts, 0);
    assert_int_equal(res.quarantined, 1);
    /* 3 x (120 receipt + decision receipt) + inspect + return + quarantine receipt */
    assert_int_equal(res.events, 9);

    /* declarations */
    char sha[65];
    assert_int_equal(sha256_hex(a.payload, a.payload_len, sha), 0);
    PGresult *r =
        sql(f->db, "SELECT cop_no, guid, status_code, status, gross_weight, net_weight,"
                   " freight, pack_no, total_price, currency, item_count, content_sha256,"
                   " payload, source_topic, source_partition, source_offset, reasons::text,"
                   " rules_version, ebc_name, trade_mode, country, order_no,"
                   " source_timestamp = '2024-05-12 02:13:20.123+00'"
                   " FROM customs.declarations WHERE logistics_no = 'YL-FULL-A'");
    assert_int_equal(PQntuples(r), 1);
    assert_string_equal(PQgetvalue(r, 0, 0), "COP-YL-FULL-A");
    assert_string_equal(PQgetvalue(r, 0, 1), "0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9");
    assert_string_equal(PQgetvalue(r, 0, 2), "399");
    assert_string_equal(PQgetvalue(r, 0, 3), "accepted");
    assert_string_equal(PQgetvalue(r, 0, 4), "1.35000");
    assert_string_equal(PQgetvalue(r, 0, 5), "1.20000");
    assert_string_equal(PQgetvalue(r, 0, 6), "0.00000");
    assert_string_equal(PQgetvalue(r, 0, 7), "1");
    assert_string_equal(PQgetvalue(r, 0, 8), "1399.00001");
    assert_string_equal(PQgetvalue(r, 0, 9), "142");
    assert_string_equal(PQgetvalue(r, 0, 10), "2");
    assert_string_equal(PQgetvalue(r, 0, 11), sha);
    assert_int_equal(PQgetlength(r, 0, 12), (int)a.payload_len);
    assert_memory_equal(PQgetvalue(r, 0, 12), a.payload, a.payload_len);
    assert_string_equal(PQgetvalue(r, 0, 13), "t.full");
    assert_string_equal(PQgetvalue(r, 0, 14), "0");
    assert_string_equal(PQgetvalue(r, 0, 15), "0");
    assert_string_equal(PQgetvalue(r, 0, 16), "[]");
    assert_string_equal(PQgetvalue(r, 0, 17), RULES_V);
    assert_string_equal(PQgetvalue(r, 0, 18), "密山跨境电商有限公司");
    assert_string_equal(PQgetvalue(r, 0, 19), "9610");
    assert_string_equal(PQgetvalue(r, 0, 20), "344");
    assert_string_equal(PQgetvalue(r, 0, 21), "ORD20240512000001");
    assert_string_equal(PQgetvalue(r, 0, 22), "t");
    PQclear(r);
    assert_sql_value(f->db, "500|inspection|R-SAMPLE|1",
                     "SELECT concat_ws('|', status_code, status, reasons->0->>'rule_id',"
                     " item_count) FROM customs.declarations WHERE logistics_no = 'YL-FULL-B'");
    assert_sql_value(f->db, "100|rejected|2|1401.50001",
                     "SELECT concat_ws('|', status_code, status, jsonb_array_length(reasons),"
                     " total_price) FROM customs.declarations WHERE logistics_no = 'YL-FULL-C'");
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                     " WHERE source_topic = 't.full'"),
                     3);

    /* items, exact decimals */
    r = sql(f->db, "SELECT line_no, gnum, gname, gcode, qty, unit, price, total_price,"
                   " bar_code, qty2 IS NULL FROM customs.declaration_items"
                   " WHERE logistics_no = 'YL-FULL-A' ORDER BY line_no");
    assert_int_equal(PQntuples(r), 2);
    assert_string_equal(PQgetvalue(r, 0, 0), "1");
    assert_string_equal(PQgetvalue(r, 0, 1), "1");
    assert_string_equal(PQgetvalue(r, 0, 2), "电吉他");
    assert_string_equal(PQgetvalue(r, 0, 3), "9207900000");
    assert_string_equal(PQgetvalue(r, 0, 4), "1.00000");
    assert_string_equal(PQgetvalue(r, 0, 5), "011");
    assert_string_equal(PQgetvalue(r, 0, 6), "1399.00000");
    assert_string_equal(PQgetvalue(r, 0, 7), "1399.00000");
    assert_string_equal(PQgetvalue(r, 0, 8), "无");
    assert_string_equal(PQgetvalue(r, 0, 9), "t");
    assert_string_equal(PQgetvalue(r, 1, 1), "2");
    assert_string_equal(PQgetvalue(r, 1, 6), "0.00001");
    assert_string_equal(PQgetvalue(r, 1, 7), "0.00001");
    PQclear(r);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declaration_items"
                                     " WHERE logistics_no LIKE 'YL-FULL-%%'"),
                     6);

    /* status history: one row per new declaration, in batch order */
    r = sql(f->db, "SELECT logistics_no, status_code, status, rule_ids::text, actor,"
                   " source_offset, rules_version FROM customs.status_history"
                   " WHERE source_topic = 't.full' ORDER BY id");
    assert_int_equal(PQntuples(r), 3);
    assert_string_equal(PQgetvalue(r, 0, 0), "YL-FULL-A");
    assert_string_equal(PQgetvalue(r, 0, 3), "{}");
    assert_string_equal(PQgetvalue(r, 0, 4), "rules:" RULES_V);
    assert_string_equal(PQgetvalue(r, 1, 0), "YL-FULL-B");
    assert_string_equal(PQgetvalue(r, 1, 2), "inspection");
    assert_string_equal(PQgetvalue(r, 1, 3), "{R-SAMPLE}");
    assert_string_equal(PQgetvalue(r, 1, 5), "1");
    assert_string_equal(PQgetvalue(r, 2, 0), "YL-FULL-C");
    assert_string_equal(PQgetvalue(r, 2, 1), "100");
    assert_string_equal(PQgetvalue(r, 2, 3), "{R-GCODE,R-HEAVY}");
    assert_string_equal(PQgetvalue(r, 2, 5), "3");
    assert_string_equal(PQgetvalue(r, 2, 6), RULES_V);
    PQclear(r);

    /* outbox: consumption order, receipts on the receipts topic, events on events */
    r = sql(f->db, "SELECT event_id, topic, type, key, payload::text, published_at IS NULL"
                   " FROM customs.outbox WHERE key IN ('YL-FULL-A', 'YL-FULL-B', 'YL-FULL-C',"
                   " 'YLQ1') ORDER BY id");
    assert_int_equal(PQntuples(r), 9);
    check_event(r, 0, T_RECEIPTS, "receipt", "YL-FULL-A", 120, "stored", 0, NULL);
    check_event(r, 1, T_RECEIPTS, "receipt", "YL-FULL-A", 399, "accepted", 0, NULL);
    check_event(r, 2, T_RECEIPTS, "receipt", "YL-FULL-B", 120, "stored", 0, NULL);
    check_event(r, 3, T_RECEIPTS, "receipt", "YL-FULL-B", 500, "inspection", 0, NULL);
    check_event(r, 4, T_EVENTS, "inspect", "YL-FULL-B", 500, "inspection", 1, "R-SAMPLE");
    check_event(r, 5, T_RECEIPTS, "receipt", "YLQ1", -1, "processing_error", 1, "decode");
    check_event(r, 6, T_RECEIPTS, "receipt", "YL-FULL-C", 120, "stored", 0, NULL);
    check_event(r, 7, T_RECEIPTS, "receipt", "YL-FULL-C", 100, "rejected", 2, "R-GCODE");
    check_event(r, 8, T_EVENTS, "return", "YL-FULL-C", 100, "rejected", 2, "R-GCODE");
    for (int i = 0; i < 9; i++)
        assert_string_equal(PQgetvalue(r, i, 5), "t");
    PQclear(r);
    assert_sql_value(f->db, "海关审结 accepted|COP-YL-FULL-A|0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
                     "SELECT concat_ws('|', payload->>'returnInfo', payload->>'copNo',"
                     " payload->>'guid') FROM customs.outbox WHERE key = 'YL-FULL-A'"
                     " AND payload->>'returnStatus' = '399'");
    assert_sql_value(f->db, "invalid JSON at byte 22: unexpected character",
                     "SELECT payload->'reasons'->0->>'message' FROM customs.outbox"
                     " WHERE key = 'YLQ1'");

    /* quarantine: byte-exact, read back in binary */
    const char *params[] = {"t.full"};
    r = PQexecParams(f->db,
                     "SELECT raw, reason, logistics_no, source_partition::text,"
                     " source_offset::text FROM customs.quarantine WHERE source_topic = $1",
                     1, NULL, params, NULL, NULL, 1);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    assert_int_equal(PQgetlength(r, 0, 0), (int)sizeof(q_raw));
    assert_memory_equal(PQgetvalue(r, 0, 0), q_raw, sizeof(q_raw));
    assert_string_equal(PQgetvalue(r, 0, 1), "invalid JSON at byte 22: unexpected character");
    assert_string_equal(PQgetvalue(r, 0, 2), "YLQ1");
    assert_string_equal(PQgetvalue(r, 0, 3), "0");
    assert_string_equal(PQgetvalue(r, 0, 4), "2");
    PQclear(r);

    /* offsets */
    assert_sql_value(f->db, "4",
                     "SELECT next_offset FROM customs.consumer_offsets WHERE group_id = '" T_GROUP
                     "' AND topic = 't.full' AND partition = 0");

    /* the view */
    assert_sql_value(f->db, "399|accepted|1399.00001|2",
                     "SELECT concat_ws('|', status_code, status, total_value, item_count)"
                     " FROM customs.parcel_status WHERE logistics_no = 'YL-FULL-A'");
}

/* The same batch again (a zombie, or a redelivery) is fenced and writes nothing. */
static void test_redelivery_fenced(void **state)
{
    FIXTURE(state);
    static struct tdecl a, b;
    tdecl_init(&a, "YL-FENCE-A", STATUS_ACCEPTED, 1, "");
    tdecl_init(&b, "YL-FENCE-B", STATUS_INSPECTION, 1, "");
    struct batch_record recs[] = {rec_decl("t.fence", 0, 0, &a), rec_decl("t.fence", 0, 1, &b)};
    struct batch_result res;
    char err[512] = "";
    assert_int_equal(apply1(f, recs, 2, "t.fence", 0, -1, 2, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.declarations, 2);

    struct counts before, after;
    snapshot(f->db, &before);
    memset(&res, 0x55, sizeof(res));
    assert_int_equal(apply1(f, recs, 2, "t.fence", 0, -1, 2, &res, err, sizeof(err)), STORE_FENCED);
    assert_non_null(strstr(err, "offset fence failed for t.fence/0: expected none, stored 2"));
    assert_int_equal(res.declarations, 0);
    assert_int_equal(res.events, 0);
    snapshot(f->db, &after);
    assert_same_counts(&before, &after);

    /* A stale instance that still believes the partition is at 0. */
    assert_int_equal(apply1(f, recs, 2, "t.fence", 0, 0, 2, &res, err, sizeof(err)), STORE_FENCED);
    assert_non_null(strstr(err, "expected 0, stored 2"));
    /* Two partitions: the good one moves only if the other fence holds too. */
    static struct tdecl c;
    tdecl_init(&c, "YL-FENCE-C", STATUS_ACCEPTED, 1, "");
    struct batch_record two[] = {rec_decl("t.fence", 1, 0, &c), rec_decl("t.fence", 0, 2, &a)};
    struct batch_offset offs[] = {{"t.fence", 1, -1, 1}, {"t.fence", 0, 1, 3}};
    assert_int_equal(
        store_apply_batch(f->s, T_GROUP, two, 2, offs, 2, &res, NULL, err, sizeof(err)),
        STORE_FENCED);
    snapshot(f->db, &after);
    assert_same_counts(&before, &after);
}

struct race {
    struct fixture *f;
    struct batch_record rec;
    int64_t expected, next;
    int rc;
    char err[512];
    atomic_bool done;
};

static void *race_apply(void *arg)
{
    struct race *r = arg;
    struct batch_result res;
    r->rc =
        apply1(r->f, &r->rec, 1, "t.race", 0, r->expected, r->next, &res, r->err, sizeof(r->err));
    atomic_store(&r->done, true);
    return NULL;
}

/*
 * Two writers of one partition at once: the batch waits for the other transaction's row
 * lock, then passes if that one rolled back and is fenced if it committed.
 */
static void test_fence_race(void **state)
{
    FIXTURE(state);
    static struct tdecl a, b, c;
    tdecl_init(&a, "YL-RACE-A", STATUS_ACCEPTED, 1, "");
    tdecl_init(&b, "YL-RACE-B", STATUS_ACCEPTED, 1, "");
    tdecl_init(&c, "YL-RACE-C", STATUS_ACCEPTED, 1, "");
    struct batch_record r1[] = {rec_decl("t.race", 0, 0, &a)};
    struct batch_result res;
    char err[512] = "";
    assert_int_equal(apply1(f, r1, 1, "t.race", 0, -1, 1, &res, err, sizeof(err)), STORE_OK);

    for (int commit = 0; commit <= 1; commit++) {
        /* the "other instance": moves the offset in a transaction it keeps open */
        PQclear(sql(f->db, "BEGIN"));
        PQclear(sql(f->db, "UPDATE customs.consumer_offsets SET next_offset = next_offset + 10"
                           " WHERE group_id = '" T_GROUP "' AND topic = 't.race'"));
        char *stored = sql1(f->db, "SELECT next_offset - 10 FROM customs.consumer_offsets"
                                   " WHERE group_id = '" T_GROUP "' AND topic = 't.race'");
        static struct race r;
        memset(&r, 0, sizeof(r));
        r.f = f;
        r.expected = strtoll(stored, NULL, 10);
        r.next = r.expected + 1;
        r.rec = rec_decl("t.race", 0, r.expected, commit ? &c : &b);
        free(stored);
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, race_apply, &r), 0);
        usleep(300 * 1000);
        assert_false(atomic_load(&r.done)); /* waiting for the row lock */
        PQclear(sql(f->db, commit ? "COMMIT" : "ROLLBACK"));
        assert_int_equal(pthread_join(th, NULL), 0);
        if (!commit) {
            if (r.rc != STORE_OK)
                fail_msg("%s", r.err);
            assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                             " WHERE logistics_no = 'YL-RACE-B'"),
                             1);
        } else {
            assert_int_equal(r.rc, STORE_FENCED);
            assert_non_null(strstr(r.err, "expected 2, stored 12"));
            assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                             " WHERE logistics_no = 'YL-RACE-C'"),
                             0);
        }
    }
}

/* Same logisticsNo and content at a new offset: a duplicate, no history, no events. */
static void test_duplicate_same_content(void **state)
{
    FIXTURE(state);
    static struct tdecl a;
    tdecl_init(&a, "YL-DUP-A", STATUS_INSPECTION, 2, "same");
    struct batch_record r1[] = {rec_decl("t.dup", 0, 0, &a)};
    struct batch_result res;
    char err[512] = "";
    assert_int_equal(apply1(f, r1, 1, "t.dup", 0, -1, 1, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.declarations, 1);
    assert_int_equal(res.events, 3); /* 120, the decision's receipt, inspect */

    struct counts before, after;
    snapshot(f->db, &before);
    struct batch_record r2[] = {rec_decl("t.dup", 0, 7, &a)};
    assert_int_equal(apply1(f, r2, 1, "t.dup", 0, 1, 8, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.declarations, 0);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(res.conflicts, 0);
    assert_int_equal(res.events, 0);
    snapshot(f->db, &after);
    assert_int_equal(after.decl, before.decl);
    assert_int_equal(after.items, before.items);
    assert_int_equal(after.hist, before.hist);
    assert_int_equal(after.outbox, before.outbox);
    assert_int_equal(after.quar, before.quar);
    assert_sql_value(f->db, "8",
                     "SELECT next_offset FROM customs.consumer_offsets WHERE topic = 't.dup'");
    assert_sql_value(f->db, "0",
                     "SELECT source_offset FROM customs.declarations"
                     " WHERE logistics_no = 'YL-DUP-A'");
}

/* Same logisticsNo, different content: quarantined with a -1 receipt; the row stays. */
static void test_conflict(void **state)
{
    FIXTURE(state);
    static struct tdecl a, a2;
    tdecl_init(&a, "YL-CONF-A", STATUS_ACCEPTED, 1, "original");
    tdecl_init(&a2, "YL-CONF-A", STATUS_REJECTED, 2, "amended");
    struct batch_record r1[] = {rec_decl("t.conf", 0, 0, &a)};
    struct batch_result res;
    char err[512] = "";
    assert_int_equal(apply1(f, r1, 1, "t.conf", 0, -1, 1, &res, err, sizeof(err)), STORE_OK);
    char *sha = sql1(f->db, "SELECT content_sha256 FROM customs.declarations"
                            " WHERE logistics_no = 'YL-CONF-A'");

    struct counts before, after;
    snapshot(f->db, &before);
    struct batch_record r2[] = {rec_decl("t.conf", 0, 1, &a2)};
    assert_int_equal(apply1(f, r2, 1, "t.conf", 0, 1, 2, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.declarations, 0);
    assert_int_equal(res.duplicates, 0);
    assert_int_equal(res.conflicts, 1);
    assert_int_equal(res.quarantined, 0);
    assert_int_equal(res.events, 1);
    snapshot(f->db, &after);
    assert_int_equal(after.decl, before.decl);
    assert_int_equal(after.items, before.items);
    assert_int_equal(after.hist, before.hist);
    assert_int_equal(after.outbox, before.outbox + 1);
    assert_int_equal(after.quar, before.quar + 1);

    /* the stored declaration is untouched */
    assert_sql_value(f->db, sha,
                     "SELECT content_sha256 FROM customs.declarations"
                     " WHERE logistics_no = 'YL-CONF-A'");
    assert_sql_value(f->db, "399",
                     "SELECT status_code FROM customs.declarations"
                     " WHERE logistics_no = 'YL-CONF-A'");
    free(sha);
    /* quarantined byte-exact with the reason */
    assert_sql_value(f->db,
                     "logisticsNo already declared with different content (appType 1); "
                     "an amendment is sent with appType 2|YL-CONF-A|1",
                     "SELECT concat_ws('|', reason, logistics_no, source_offset)"
                     " FROM customs.quarantine WHERE source_topic = 't.conf'");
    const char *params[] = {"t.conf"};
    PGresult *r = PQexecParams(f->db, "SELECT raw FROM customs.quarantine WHERE source_topic = $1",
                               1, NULL, params, NULL, NULL, 1);
    assert_int_equal(PQntuples(r), 1);
    assert_int_equal(PQgetlength(r, 0, 0), (int)a2.payload_len);
    assert_memory_equal(PQgetvalue(r, 0, 0), a2.payload, a2.payload_len);
    PQclear(r);
    /* a processing-error receipt to the declarer */
    assert_sql_value(f->db, T_RECEIPTS "|receipt|-1|processing_error|conflict|COP-YL-CONF-A",
                     "SELECT concat_ws('|', topic, type, payload->>'returnStatus',"
                     " payload->>'status', payload->'reasons'->0->>'rule_id',"
                     " payload->>'copNo') FROM customs.outbox WHERE key = 'YL-CONF-A'"
                     " ORDER BY id DESC LIMIT 1");
}

/* Within one batch: the first record of a logisticsNo wins, later ones are classified. */
static void test_in_batch_duplicates(void **state)
{
    FIXTURE(state);
    static struct tdecl x, y;
    tdecl_init(&x, "YL-IB-X", STATUS_ACCEPTED, 1, "v1");
    tdecl_init(&y, "YL-IB-X", STATUS_ACCEPTED, 1, "v2");
    struct batch_record recs[] = {rec_decl("t.ib", 0, 10, &x), rec_decl("t.ib", 0, 11, &x),
                                  rec_decl("t.ib", 0, 12, &y)};
    struct batch_result res;
    char err[512] = "";
    assert_int_equal(apply1(f, recs, 3, "t.ib", 0, -1, 13, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.declarations, 1);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(res.conflicts, 1);
    assert_int_equal(res.events, 3); /* 120, the receipt + the conflict's -1 receipt */
    assert_sql_value(f->db, "10",
                     "SELECT source_offset FROM customs.declarations"
                     " WHERE logistics_no = 'YL-IB-X'");
    assert_sql_value(f->db, "12",
                     "SELECT string_agg(source_offset::text, ',') FROM customs.quarantine"
                     " WHERE source_topic = 't.ib'");
    assert_sql_value(f->db, "120,399,-1",
                     "SELECT string_agg(payload->>'returnStatus', ',' ORDER BY id)"
                     " FROM customs.outbox WHERE key = 'YL-IB-X'");
}

/* Values the rules reject but storage must still take: a batch must never jam on them. */
static void test_oversized_values(void **state)
{
    FIXTURE(state);
    static struct tdecl a;
    tdecl_init(&a, "YL-BIG-A", STATUS_REJECTED, 1, "");
    /* 1000 varied CJK characters (3000 bytes, incompressible): over a btree entry's limit */
    static char order_no[3 * 1000 + 1];
    uint32_t seed = 12345;
    for (int i = 0; i < 1000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned cp = 0x4E00 + (seed >> 8) % 0x5000;
        order_no[3 * i] = (char)(0xE0 | (cp >> 12));
        order_no[3 * i + 1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        order_no[3 * i + 2] = (char)(0x80 | (cp & 0x3F));
    }
    a.d.orderNo = order_no;
    a.items[0].gnum.present = false; /* gnum missing: the item is still stored */
    char key[201];
    memset(key, 'K', 200);
    key[200] = '\0';
    const char raw[] = "{\"logisticsNo\":\"KKKK...\"";
    struct batch_record recs[] = {
        rec_decl("t.big", 0, 0, &a),
        rec_quar("t.big", 0, 1, raw, sizeof(raw) - 1, key, "logisticsNo: longer than 80"),
    };
    struct batch_result res;
    char err[512] = "";
    int rc = apply1(f, recs, 2, "t.big", 0, -1, 2, &res, err, sizeof(err));
    if (rc != STORE_OK)
        fail_msg("%s", err);
    assert_int_equal(res.declarations, 1);
    assert_int_equal(res.quarantined, 1);
    /* 120, receipt + return; no receipt without a usable key */
    assert_int_equal(res.events, 3);
    assert_sql_value(f->db, "1000|1|",
                     "SELECT concat_ws('|', char_length(d.order_no), i.line_no,"
                     " coalesce(i.gnum::text, '')) FROM customs.declarations d"
                     " JOIN customs.declaration_items i USING (logistics_no)"
                     " WHERE logistics_no = 'YL-BIG-A'");
    assert_int_equal(sqlcount(f->db,
                              "SELECT count(*) FROM customs.declarations"
                              " WHERE order_no = '%s'",
                              order_no),
                     1);
    assert_sql_value(f->db, NULL,
                     "SELECT logistics_no FROM customs.quarantine WHERE source_topic = 't.big'");
}

/* A declaration record whose raw value cannot be text (a caller bug) is quarantined. */
static void test_unstorable_declaration(void **state)
{
    FIXTURE(state);
    static struct tdecl a;
    tdecl_init(&a, "YL-BYTES-A", STATUS_ACCEPTED, 1, "");
    a.payload[5] = (char)0xff; /* invalid UTF-8 inside the raw value */
    struct batch_record recs[] = {rec_decl("t.bytes", 0, 0, &a)};
    struct batch_result res;
    char err[512] = "";
    assert_int_equal(apply1(f, recs, 1, "t.bytes", 0, -1, 1, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.declarations, 0);
    assert_int_equal(res.quarantined, 1);
    assert_int_equal(res.events, 1);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                     " WHERE logistics_no = 'YL-BYTES-A'"),
                     0);
    const char *params[] = {"t.bytes"};
    PGresult *r = PQexecParams(f->db,
                               "SELECT raw, reason, logistics_no FROM customs.quarantine"
                               " WHERE source_topic = $1",
                               1, NULL, params, NULL, NULL, 1);
    assert_int_equal(PQntuples(r), 1);
    assert_int_equal(PQgetlength(r, 0, 0), (int)a.payload_len);
    assert_memory_equal(PQgetvalue(r, 0, 0), a.payload, a.payload_len);
    assert_non_null(strstr(PQgetvalue(r, 0, 1), "invalid UTF-8"));
    assert_string_equal(PQgetvalue(r, 0, 2), "YL-BYTES-A");
    PQclear(r);
}

/* A batch that does not match its fences is refused whole (a caller bug). */
static void test_malformed_batch(void **state)
{
    FIXTURE(state);
    static struct tdecl a;
    tdecl_init(&a, "YL-BAD-A", STATUS_ACCEPTED, 1, "");
    struct counts before, after;
    snapshot(f->db, &before);
    struct batch_record recs[] = {rec_decl("t.bad", 0, 5, &a)};
    struct batch_result res;
    char err[512] = "";
    /* record offset 5 is not below next = 5 */
    assert_int_equal(apply1(f, recs, 1, "t.bad", 0, -1, 5, &res, err, sizeof(err)), STORE_ERROR);
    assert_non_null(strstr(err, "CS002"));
    /* record of a partition without a fence */
    assert_int_equal(apply1(f, recs, 1, "t.bad", 1, -1, 6, &res, err, sizeof(err)), STORE_ERROR);
    snapshot(f->db, &after);
    assert_same_counts(&before, &after);
}

static void test_load_offsets(void **state)
{
    FIXTURE(state);
    static struct tdecl a;
    tdecl_init(&a, "YL-OFF-A", STATUS_ACCEPTED, 1, "");
    struct batch_record recs[] = {rec_decl("t.off", 3, 41, &a)};
    struct batch_result res;
    char err[512] = "";
    assert_int_equal(apply1(f, recs, 1, "t.off", 3, -1, 42, &res, err, sizeof(err)), STORE_OK);

    int32_t parts[] = {0, 3, 7};
    int64_t offs[3] = {123, 123, 123};
    assert_int_equal(store_load_offsets(f->s, T_GROUP, "t.off", parts, 3, offs, err, sizeof(err)),
                     STORE_OK);
    assert_int_equal(offs[0], -1);
    assert_int_equal(offs[1], 42);
    assert_int_equal(offs[2], -1);
    assert_int_equal(
        store_load_offsets(f->s, "other-group", "t.off", parts, 3, offs, err, sizeof(err)),
        STORE_OK);
    assert_int_equal(offs[1], -1);
}

static void test_register_rules(void **state)
{
    FIXTURE(state);
    char err[512] = "";
    const char *text = "version: 1\nrules:\n  - id: R-GCODE # 海关编码\n";
    assert_int_equal(store_register_rules(f->s, RULES_V, text, err, sizeof(err)), STORE_OK);
    assert_int_equal(store_register_rules(f->s, RULES_V, text, err, sizeof(err)), STORE_OK);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.rule_set_versions"), 1);
    assert_sql_value(f->db, text, "SELECT text FROM customs.rule_set_versions WHERE version = '%s'",
                     RULES_V);
}

/* Fetch oldest first, mark published, fetch again. */
static void test_outbox_fetch_mark(void **state)
{
    FIXTURE(state);
    char err[512] = "";
    long long pending =
        sqlcount(f->db, "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL");
    assert_true(pending >= 4);
    char *first = sql1(f->db, "SELECT min(id) FROM customs.outbox WHERE published_at IS NULL");

    struct outbox_event *ev = NULL;
    size_t n = 0;
    assert_int_equal(store_outbox_fetch(f->s, 3, &ev, &n, err, sizeof(err)), STORE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].id, strtoll(first, NULL, 10));
    assert_true(ev[0].id < ev[1].id && ev[1].id < ev[2].id);
    for (size_t i = 0; i < n; i++) {
        char *p =
            sql1(f->db, "SELECT payload::text FROM customs.outbox WHERE id = %" PRId64, ev[i].id);
        assert_string_equal(ev[i].payload, p);
        free(p);
        char *t = sql1(f->db, "SELECT topic FROM customs.outbox WHERE id = %" PRId64, ev[i].id);
        assert_string_equal(ev[i].topic, t);
        free(t);
        assert_non_null(ev[i].key);
        struct json_object *j = json_tokener_parse(ev[i].payload);
        assert_non_null(j);
        json_object_put(j);
    }
    int64_t ids[] = {ev[0].id, ev[1].id};
    int64_t third = ev[2].id;
    assert_int_equal(store_outbox_mark_delivered(f->s, ev, 2, err, sizeof(err)), STORE_OK);
    store_outbox_free(ev, n);
    assert_int_equal(sqlcount(f->db,
                              "SELECT count(*) FROM customs.outbox WHERE published_at IS NOT NULL"
                              " AND id IN (%" PRId64 ", %" PRId64 ")",
                              ids[0], ids[1]),
                     2);

    assert_int_equal(store_outbox_fetch(f->s, 1000, &ev, &n, err, sizeof(err)), STORE_OK);
    assert_int_equal(n, (size_t)pending - 2);
    assert_int_equal(ev[0].id, third);
    assert_int_equal(store_outbox_mark_delivered(f->s, ev, n, err, sizeof(err)), STORE_OK);
    store_outbox_free(ev, n);
    free(first);

    assert_int_equal(store_outbox_fetch(f->s, 1000, &ev, &n, err, sizeof(err)), STORE_OK);
    assert_int_equal(n, 0);
    store_outbox_free(ev, n);
    assert_int_equal(store_outbox_mark_delivered(f->s, NULL, 0, err, sizeof(err)), STORE_OK);
}

/* status_history is append-only. */
static void test_history_append_only(void **state)
{
    FIXTURE(state);
    long long n = sqlcount(f->db, "SELECT count(*) FROM customs.status_history");
    assert_true(n > 0);
    /* None before on a new database; a database copied from an upgraded one has some. */
    long long released = sqlcount(f->db, "SELECT count(*) FROM customs.status_history"
                                         " WHERE status = 'released'");
    if (!getenv("CUSTOMSD_TEST_TEMPLATE"))
        assert_int_equal(released, 0);
    const char *bad[] = {
        "UPDATE customs.status_history SET status = 'released'",
        "DELETE FROM customs.status_history",
        "TRUNCATE customs.status_history",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        PGresult *r = PQexec(f->db, bad[i]);
        assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
        assert_non_null(strstr(PQresultErrorMessage(r), "append-only"));
        PQclear(r);
    }
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.status_history"), n);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.status_history"
                                     " WHERE status = 'released'"),
                     released);
}

/* NOTIFY once per committed batch with events; the relay lease is exclusive. */
static void test_notify_and_lease(void **state)
{
    FIXTURE(state);
    char err[512] = "";
    struct store *relay = NULL, *other = NULL;
    assert_int_equal(store_open(f->conninfo, NULL, T_EVENTS, T_RECEIPTS, &relay, err, sizeof(err)),
                     STORE_OK);
    assert_int_equal(store_listen(relay), STORE_OK);
    assert_int_equal(store_wait_notify(relay, 0), 0);
    assert_int_equal(store_wait_notify(relay, 50), 0);

    /* a batch with only a duplicate writes no event: no notification */
    static struct tdecl a;
    tdecl_init(&a, "YL-NOTIFY-A", STATUS_ACCEPTED, 1, "");
    struct batch_record r1[] = {rec_decl("t.notify", 0, 0, &a)};
    struct batch_record r2[] = {rec_decl("t.notify", 0, 1, &a)};
    struct batch_result res;
    assert_int_equal(apply1(f, r1, 1, "t.notify", 0, -1, 1, &res, err, sizeof(err)), STORE_OK);
    int64_t t0 = now_ms();
    assert_int_equal(store_wait_notify(relay, 5000), 1);
    assert_true(now_ms() - t0 < 4000);
    assert_int_equal(store_wait_notify(relay, 50), 0);
    assert_int_equal(apply1(f, r2, 1, "t.notify", 0, 1, 2, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(store_wait_notify(relay, 200), 0);

    /* the lease */
    assert_int_equal(store_open(f->conninfo, NULL, T_EVENTS, T_RECEIPTS, &other, err, sizeof(err)),
                     STORE_OK);
    assert_int_equal(store_relay_lock(relay), 1);
    assert_int_equal(store_relay_lock(relay), 1);
    assert_int_equal(store_relay_lock(other), 0);
    store_close(relay); /* the session ends: the lease is free */
    int got = 0;
    for (int i = 0; i < 50 && got != 1; i++) {
        got = store_relay_lock(other);
        if (got != 1)
            usleep(100 * 1000);
    }
    assert_int_equal(got, 1);
    store_close(other);
}

/* A terminated session is replaced on the next call. */
static void test_reconnect(void **state)
{
    FIXTURE(state);
    char err[512] = "";
    int32_t part = 3;
    int64_t off = -1;
    assert_int_equal(store_load_offsets(f->s, T_GROUP, "t.off", &part, 1, &off, err, sizeof(err)),
                     STORE_OK);
    assert_int_equal(sqlcount(f->db, "SELECT count(pg_terminate_backend(pid))"
                                     " FROM pg_stat_activity WHERE datname = current_database()"
                                     " AND application_name = 'customsd'"),
                     1);
    usleep(100 * 1000);
    /* The first call may still see the dead session (and reports it); the next reconnects. */
    int rc = store_load_offsets(f->s, T_GROUP, "t.off", &part, 1, &off, err, sizeof(err));
    if (rc != STORE_OK) {
        assert_int_equal(rc, STORE_ERROR);
        assert_true(strlen(err) > 0);
        rc = store_load_offsets(f->s, T_GROUP, "t.off", &part, 1, &off, err, sizeof(err));
    }
    assert_int_equal(rc, STORE_OK);
    assert_int_equal(off, 42);

    /* and a batch goes through on the new session (prepared statements are back) */
    static struct tdecl a;
    tdecl_init(&a, "YL-RECONNECT", STATUS_ACCEPTED, 1, "");
    struct batch_record recs[] = {rec_decl("t.reconnect", 0, 0, &a)};
    struct batch_result res;
    assert_int_equal(apply1(f, recs, 1, "t.reconnect", 0, -1, 1, &res, err, sizeof(err)), STORE_OK);
    assert_int_equal(res.declarations, 1);

    /* store_open against a server that is not there: an error, but a usable handle */
    struct store *s = NULL;
    assert_int_equal(store_open("host=/nonexistent-socket-dir port=1 connect_timeout=2", NULL,
                                T_EVENTS, T_RECEIPTS, &s, err, sizeof(err)),
                     STORE_ERROR);
    assert_non_null(s);
    assert_non_null(strstr(err, "connecting to PostgreSQL"));
    assert_int_equal(store_reconnect(s, err, sizeof(err)), STORE_ERROR);
    store_close(s);
}

/* ------------------------------------------------------------------------------------- */
/* the clearance workflow                                                                  */

#define AT1  "2024-05-12T10:30:00+08:00"
#define AT2  "2024-05-13T09:00:00+08:00"
#define LOCT "1900W00001"

/* accepted -> arrival -> released -> departure -> closed; repeats are no-ops; after 899
 * a different scan is refused and recorded, not an error. */
static void test_scan_release_close(void **state)
{
    FIXTURE(state);
    static struct tdecl a;
    static struct tscan arr, dep, arr2;
    struct tpart td = {"t.wf1.d", -1}, ts = {"t.wf1.s", -1};
    struct batch_result res;
    tdecl_init(&a, "YL-WF1-A", STATUS_ACCEPTED, 1, "");
    tscan_init(&arr, "YL-WF1-A", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&dep, "YL-WF1-A", SCAN_DEPARTURE, AT2, LOCT);
    tscan_init(&arr2, "YL-WF1-A", SCAN_ARRIVAL, AT2, LOCT);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a));

    APPLY(f, &ts, &res, rec_scan(&arr));
    assert_int_equal(res.scans, 1);
    assert_int_equal(res.pending_scans, 0);
    assert_int_equal(res.events, 2); /* receipt 800 + release event */
    assert_int_equal(status_of(f, "YL-WF1-A"), 800);
    assert_sql_value(f->db, "2024-05-12 02:30:00+00|1900W00001|scan:1900W00001",
                     "SELECT concat_ws('|', arrived_at AT TIME ZONE 'UTC' || '+00',"
                     " arrival_loct_no, status_actor) FROM customs.declarations"
                     " WHERE logistics_no = 'YL-WF1-A'");
    assert_sql_value(f->db, T_EVENTS "|release|800|arrival|399|f",
                     "SELECT concat_ws('|', topic, payload->>'type', payload->>'status_code',"
                     " payload->>'event', payload->>'from_status_code', payload ? 'actor')"
                     " FROM customs.outbox WHERE key = 'YL-WF1-A' AND type = 'release'");
    assert_sql_value(f->db, "released",
                     "SELECT outcome FROM customs.warehouse_scans WHERE source_topic = 't.wf1.s'"
                     " AND source_offset = 0");

    APPLY(f, &ts, &res, rec_scan(&dep));
    assert_int_equal(status_of(f, "YL-WF1-A"), 899);
    assert_int_equal(res.events, 1); /* the receipt: the warehouse did it, no event */
    assert_history(f, "YL-WF1-A", "declared:>399 arrival:399>800 departure:800>899");
    assert_outbox(f, "YL-WF1-A", "receipt:120 receipt:399 receipt:800 release:800 receipt:899");

    /* the same departure again, and the same arrival again: no-ops */
    struct counts before, after;
    snapshot(f->db, &before);
    APPLY(f, &ts, &res, rec_scan(&dep), rec_scan(&arr));
    assert_int_equal(res.scans, 2);
    assert_int_equal(res.events, 0);
    assert_int_equal(res.refused, 0);
    snapshot(f->db, &after);
    assert_int_equal(after.hist, before.hist);
    assert_int_equal(after.outbox, before.outbox);
    assert_sql_value(f->db, "duplicate,duplicate",
                     "SELECT string_agg(outcome, ',' ORDER BY source_offset)"
                     " FROM customs.warehouse_scans WHERE source_topic = 't.wf1.s'"
                     " AND source_offset >= 2");

    /* a new arrival after 899: refused, recorded, a -1 receipt; the batch commits */
    APPLY(f, &ts, &res, rec_scan(&arr2));
    assert_int_equal(res.refused, 1);
    assert_int_equal(res.events, 1);
    assert_int_equal(status_of(f, "YL-WF1-A"), 899);
    assert_sql_value(f->db, "arrival|899|scan:1900W00001",
                     "SELECT concat_ws('|', event, from_code, actor) FROM"
                     " customs.refused_transitions WHERE logistics_no = 'YL-WF1-A'");
    assert_sql_value(f->db,
                     "-1|处理失败 processing_error: transition: arrival refused: the parcel is"
                     " closed (899 结关); nothing changes after that",
                     "SELECT concat_ws('|', payload->>'returnStatus', payload->>'returnInfo')"
                     " FROM customs.outbox WHERE key = 'YL-WF1-A' ORDER BY id DESC LIMIT 1");
    assert_sql_value(f->db, "5",
                     "SELECT next_offset FROM customs.consumer_offsets WHERE topic = 't.wf1.s'");
}

/* Scans for a parcel not declared yet wait, and are applied in order when it comes. */
static void test_scan_before_declaration(void **state)
{
    FIXTURE(state);
    static struct tdecl p, q, m;
    static struct tscan p_arr, q_arr, q_dep, m_arr;
    struct tpart td = {"t.wf2.d", -1}, ts = {"t.wf2.s", -1};
    struct batch_result res;
    tdecl_init(&p, "YL-WF2-P", STATUS_ACCEPTED, 1, "");
    tdecl_init(&q, "YL-WF2-Q", STATUS_ACCEPTED, 1, "");
    tdecl_init(&m, "YL-WF2-M", STATUS_ACCEPTED, 1, "");
    tscan_init(&p_arr, "YL-WF2-P", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&q_arr, "YL-WF2-Q", SCAN_ARRIVAL, AT1, NULL);
    tscan_init(&q_dep, "YL-WF2-Q", SCAN_DEPARTURE, AT2, NULL);
    tscan_init(&m_arr, "YL-WF2-M", SCAN_ARRIVAL, AT1, LOCT);

    APPLY(f, &ts, &res, rec_scan(&p_arr), rec_scan(&q_arr), rec_scan(&q_dep));
    assert_int_equal(res.scans, 3);
    assert_int_equal(res.pending_scans, 3);
    assert_int_equal(res.events, 0);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                     " WHERE logistics_no LIKE 'YL-WF2-%%'"),
                     0);

    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &p), rec_decl(NULL, 0, 0, &q));
    assert_int_equal(res.declarations, 2);
    assert_int_equal(status_of(f, "YL-WF2-P"), 800);
    assert_int_equal(status_of(f, "YL-WF2-Q"), 899);
    assert_history(f, "YL-WF2-Q", "declared:>399 arrival:399>800 departure:800>899");
    assert_sql_value(f->db, "scan:warehouse",
                     "SELECT status_actor FROM customs.declarations WHERE logistics_no ="
                     " 'YL-WF2-Q'");
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.warehouse_scans WHERE"
                                     " logistics_no LIKE 'YL-WF2-%%' AND outcome = 'pending'"),
                     0);

    /* one batch across both topics: the scan first, its declaration after */
    struct batch_record rs[] = {rec_scan(&m_arr)}, rd[] = {rec_decl(NULL, 0, 0, &m)};
    apply_on(f, &ts, rs, 1, &td, rd, 1, &res);
    assert_int_equal(res.declarations, 1);
    assert_int_equal(res.scans, 1);
    assert_int_equal(res.pending_scans, 0);
    assert_int_equal(status_of(f, "YL-WF2-M"), 800);
    assert_sql_value(f->db, "4",
                     "SELECT next_offset FROM customs.consumer_offsets WHERE topic = 't.wf2.s'");
    assert_sql_value(f->db, "3",
                     "SELECT next_offset FROM customs.consumer_offsets WHERE topic = 't.wf2.d'");
}

/* A departure of a parcel that was not released: refused and recorded, an alert raised and
 * the parcel held (25_holds.sql); an arrival of a parcel under inspection or review: held
 * (recorded, no release). */
static void test_scan_held_and_refused(void **state)
{
    FIXTURE(state);
    static struct tdecl x, r, j;
    static struct tscan x_dep, x_arr, r_arr, j_arr;
    struct tpart td = {"t.wf3.d", -1}, ts = {"t.wf3.s", -1};
    struct batch_result res;
    tdecl_init(&x, "YL-WF3-X", STATUS_INSPECTION, 1, "");
    tdecl_init(&r, "YL-WF3-R", STATUS_REVIEW, 1, "");
    tdecl_init(&j, "YL-WF3-J", STATUS_REJECTED, 1, "");
    tscan_init(&x_dep, "YL-WF3-X", SCAN_DEPARTURE, AT2, LOCT);
    tscan_init(&x_arr, "YL-WF3-X", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&r_arr, "YL-WF3-R", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&j_arr, "YL-WF3-J", SCAN_ARRIVAL, AT1, LOCT);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &x), rec_decl(NULL, 0, 0, &r),
          rec_decl(NULL, 0, 0, &j));

    APPLY(f, &ts, &res, rec_scan(&x_dep), rec_scan(&x_arr), rec_scan(&r_arr), rec_scan(&j_arr));
    assert_int_equal(res.scans, 4);
    assert_int_equal(res.refused, 1);
    assert_int_equal(res.events, 3); /* the refusal's -1 receipt, the alert, the hold */
    assert_int_equal(status_of(f, "YL-WF3-X"), 500);
    assert_int_equal(status_of(f, "YL-WF3-R"), 300);
    assert_int_equal(status_of(f, "YL-WF3-J"), 100);
    assert_sql_value(f->db, "refused,held,held,recorded",
                     "SELECT string_agg(outcome, ',' ORDER BY id) FROM customs.warehouse_scans"
                     " WHERE source_topic = 't.wf3.s'");
    assert_sql_value(f->db,
                     "departure|500|899|departure refused: the parcel was not released"
                     " (status 500 inspection)",
                     "SELECT concat_ws('|', event, from_code, to_code, reason) FROM"
                     " customs.refused_transitions WHERE logistics_no = 'YL-WF3-X'");
    assert_sql_value(f->db, "receipt:-1:COP-YL-WF3-X",
                     "SELECT concat_ws(':', type, payload->>'returnStatus', payload->>'copNo')"
                     " FROM customs.outbox WHERE key = 'YL-WF3-X' AND type = 'receipt'"
                     " ORDER BY id DESC LIMIT 1");
    assert_sql_value(f->db, "alert:departure_not_released:500,hold:hold:500",
                     "SELECT string_agg(concat_ws(':', type, payload->>'event',"
                     " payload->>'status_code'), ',' ORDER BY id) FROM customs.outbox"
                     " WHERE key = 'YL-WF3-X' AND type IN ('alert', 'hold')");
    /* the officers' queue: both held parcels, arrived, with their reasons */
    assert_sql_value(f->db, "YL-WF3-R:300:t:,YL-WF3-X:500:t:R-SAMPLE: random sampling 1/100",
                     "SELECT string_agg(concat_ws(':', logistics_no, status_code, arrived,"
                     " coalesce(reasons_text, '')), ',' ORDER BY waiting_since, logistics_no)"
                     " FROM customs.inspection_queue"
                     " WHERE logistics_no LIKE 'YL-WF3-%%'");
    /* parcel_history: the scans, the refusal, the status rows, the alert and the hold */
    assert_sql_value(f->db,
                     "status:inspection scan:refused scan:held refused:closed alert:raised"
                     " hold:held",
                     "SELECT string_agg(kind || ':' || status, ' ') FROM"
                     " customs.parcel_history WHERE logistics_no = 'YL-WF3-X'");
}

/* Officer functions: inspection passed (arrived / not yet), detained, returned; manual
 * review released / returned; NOTIFY wakes the relay; wrong states are refused. */
static void test_officer_functions(void **state)
{
    FIXTURE(state);
    static struct tdecl i1, i2, d1, d2, r1, r2;
    static struct tscan i1_arr, i2_arr, r1_arr;
    struct tpart td = {"t.wf4.d", -1}, ts = {"t.wf4.s", -1};
    struct batch_result res;
    char err[512] = "";
    tdecl_init(&i1, "YL-WF4-I1", STATUS_INSPECTION, 1, "");
    tdecl_init(&i2, "YL-WF4-I2", STATUS_INSPECTION, 1, "");
    tdecl_init(&d1, "YL-WF4-D1", STATUS_INSPECTION, 1, "");
    tdecl_init(&d2, "YL-WF4-D2", STATUS_INSPECTION, 1, "");
    tdecl_init(&r1, "YL-WF4-R1", STATUS_REVIEW, 1, "");
    tdecl_init(&r2, "YL-WF4-R2", STATUS_REVIEW, 1, "");
    tscan_init(&i1_arr, "YL-WF4-I1", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&i2_arr, "YL-WF4-I2", SCAN_ARRIVAL, AT2, LOCT);
    tscan_init(&r1_arr, "YL-WF4-R1", SCAN_ARRIVAL, AT1, LOCT);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &i1), rec_decl(NULL, 0, 0, &i2),
          rec_decl(NULL, 0, 0, &d1), rec_decl(NULL, 0, 0, &d2), rec_decl(NULL, 0, 0, &r1),
          rec_decl(NULL, 0, 0, &r2));
    APPLY(f, &ts, &res, rec_scan(&i1_arr), rec_scan(&r1_arr));
    char *me = sql1(f->db, "SELECT 'officer:' || session_user");

    struct store *relay = NULL;
    assert_int_equal(store_open(f->conninfo, NULL, T_EVENTS, T_RECEIPTS, &relay, err, sizeof(err)),
                     STORE_OK);
    assert_int_equal(store_listen(relay), STORE_OK);

    /* passed, arrived: released at once, release event, the officer recorded */
    assert_sql_value(f->db, "YL-WF4-I1|800|released|t",
                     "SELECT concat_ws('|', logistics_no, status_code, status, arrived) FROM"
                     " customs.record_inspection('YL-WF4-I1', 'passed', 'opened, as declared')");
    assert_int_equal(store_wait_notify(relay, 1000), 1);
    assert_history(f, "YL-WF4-I1", "declared:>500 inspection:500>399 release:399>800");
    assert_outbox(f, "YL-WF4-I1",
                  "receipt:120 receipt:500 inspect:500 receipt:399 receipt:800 release:800");
    char want[256];
    snprintf(want, sizeof(want), "%s|%s|inspection passed; opened, as declared", me, me);
    assert_sql_value(f->db, want,
                     "SELECT concat_ws('|', h.actor, d.status_actor, h2.note) FROM"
                     " customs.status_history h, customs.declarations d, customs.status_history"
                     " h2 WHERE h.logistics_no = 'YL-WF4-I1' AND h.event = 'release' AND"
                     " d.logistics_no = h.logistics_no AND h2.logistics_no = h.logistics_no"
                     " AND h2.event = 'inspection'");
    /* the receipt says what happened, not who or why */
    assert_sql_value(f->db, "放行 released",
                     "SELECT payload->>'returnInfo' FROM customs.outbox WHERE key = 'YL-WF4-I1'"
                     " AND payload->>'returnStatus' = '800'");

    /* passed before arrival: accepted, waiting; the arrival releases it */
    assert_sql_value(f->db, "399|f",
                     "SELECT concat_ws('|', status_code, arrived) FROM"
                     " customs.record_inspection('YL-WF4-I2', 'passed', NULL)");
    assert_sql_value(f->db, "inspection passed; waiting for arrival",
                     "SELECT status_note FROM customs.declarations WHERE logistics_no ="
                     " 'YL-WF4-I2'");
    APPLY(f, &ts, &res, rec_scan(&i2_arr));
    assert_int_equal(status_of(f, "YL-WF4-I2"), 800);

    /* detained with a code; returned */
    assert_sql_value(f->db, "502|detained",
                     "SELECT concat_ws('|', status_code, status) FROM customs.record_inspection("
                     "'YL-WF4-D1', 'detained', 'undeclared batteries', 502)");
    assert_outbox(f, "YL-WF4-D1", "receipt:120 receipt:500 inspect:500 receipt:502 detain:502");
    assert_sql_value(f->db, "700",
                     "SELECT status_code FROM customs.record_inspection('YL-WF4-D2',"
                     " 'returned', 'wrong consignee')");
    assert_outbox(f, "YL-WF4-D2", "receipt:120 receipt:500 inspect:500 receipt:700 return:700");

    /* manual review: released (arrived -> 800), returned */
    assert_sql_value(f->db, "800",
                     "SELECT status_code FROM customs.release_review('YL-WF4-R1', 'invoice ok')");
    assert_history(f, "YL-WF4-R1", "declared:>300 review:300>399 release:399>800");
    assert_sql_value(f->db, "700",
                     "SELECT status_code FROM customs.return_review('YL-WF4-R2', 'no licence')");
    assert_outbox(f, "YL-WF4-R2", "receipt:120 receipt:300 receipt:700 return:700");
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.inspection_queue"
                                     " WHERE logistics_no LIKE 'YL-WF4-%%'"),
                     0);

    /* wrong state, bad arguments, unknown parcel: errors, nothing written */
    struct counts before, after;
    snapshot(f->db, &before);
    assert_sql_fails(f->db, "CS010", "not under inspection (status 700 returned)",
                     "SELECT * FROM customs.record_inspection('YL-WF4-R2', 'passed', 'x')");
    assert_sql_fails(f->db, "CS010", "not held for manual review (status 800 released)",
                     "SELECT * FROM customs.release_review('YL-WF4-I1', 'x')");
    assert_sql_fails(f->db, "22023", "needs the reason",
                     "SELECT * FROM customs.return_review('YL-WF4-R1', ' ')");
    assert_sql_fails(f->db, "22023", "detention code must be",
                     "SELECT * FROM customs.record_inspection('YL-WF4-D1', 'detained', 'x', 504)");
    assert_sql_fails(f->db, "22023", "result must be passed, detained or returned",
                     "SELECT * FROM customs.record_inspection('YL-WF4-D1', 'ok', 'x')");
    assert_sql_fails(f->db, "P0002", "is not declared",
                     "SELECT * FROM customs.record_inspection('YL-NOPE', 'passed', 'x')");
    snapshot(f->db, &after);
    assert_same_counts(&before, &after);
    store_close(relay);
    free(me);
}

/* The one check refuses what the lifecycle does not allow, whoever asks. */
static void test_state_machine_guard(void **state)
{
    FIXTURE(state);
    static struct tdecl a, c;
    static struct tscan c_arr, c_dep;
    struct tpart td = {"t.wf5.d", -1}, ts = {"t.wf5.s", -1};
    struct batch_result res;
    tdecl_init(&a, "YL-WF5-A", STATUS_ACCEPTED, 1, "");
    tdecl_init(&c, "YL-WF5-C", STATUS_ACCEPTED, 1, "");
    tscan_init(&c_arr, "YL-WF5-C", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&c_dep, "YL-WF5-C", SCAN_DEPARTURE, AT2, LOCT);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a), rec_decl(NULL, 0, 0, &c));
    APPLY(f, &ts, &res, rec_scan(&c_arr), rec_scan(&c_dep));

    struct counts before, after;
    snapshot(f->db, &before);
    assert_sql_fails(f->db, "CS010", "release refused: the parcel has not arrived",
                     "SELECT customs.change_status('YL-WF5-A', 800, 'release', 'test', 'x')");
    assert_sql_fails(f->db, "CS010", "only through customs.change_status",
                     "UPDATE customs.declarations SET status_code = 800"
                     " WHERE logistics_no = 'YL-WF5-A'");
    assert_sql_fails(f->db, "CS010", "closed (899",
                     "UPDATE customs.declarations SET status_note = 'x'"
                     " WHERE logistics_no = 'YL-WF5-C'");
    assert_sql_fails(f->db, "CS010", "departure refused: the parcel was not released",
                     "SELECT customs.change_status('YL-WF5-A', 899, 'departure', 'test', 'x')");
    assert_sql_fails(f->db, "CS010", "the content changes only by an amendment",
                     "BEGIN; SELECT set_config('customs.transition', 'review', true);"
                     " UPDATE customs.declarations SET content_sha256 = 'x'"
                     " WHERE logistics_no = 'YL-WF5-A'");
    PQclear(sql(f->db, "ROLLBACK"));
    snapshot(f->db, &after);
    assert_same_counts(&before, &after);

    /* transition_refusal: allowed is NULL, the rest says why */
    static const struct {
        int from, to;
        const char *event;
        bool arrived, cancelled;
        const char *want; /* NULL: allowed; else a substring of the reason */
    } cases[] = {
        {399, 800, "arrival", true, false, NULL},
        {399, 800, "release", false, false, "has not arrived"},
        {800, 899, "departure", false, false, NULL},
        {500, 899, "departure", true, false, "not released (status 500 inspection)"},
        {399, 899, "departure", true, false, "not released (status 399 accepted)"},
        {399, 500, "amendment", false, false, NULL},
        {300, 399, "amendment", true, false, NULL},
        {800, 399, "amendment", true, false, "already released (800"},
        {800, 100, "cancellation", true, false, "already released (800"},
        {500, 399, "amendment", true, false, "under inspection"},
        {399, 100, "cancellation", false, false, NULL},
        {100, 399, "amendment", false, true, "cancelled by the declarer"},
        {899, 800, "arrival", true, false, "closed (899"},
        {500, 501, "inspection", true, false, NULL},
        {500, 504, "inspection", true, false, "cannot change to 504"},
        {399, 700, "inspection", true, false, "not under inspection"},
        {300, 700, "review", false, false, NULL},
        {500, 700, "review", false, false, "not held for manual review"},
        {502, 800, "inspection", true, false, "not under inspection"},
        {700, 800, "release", true, false, "only an accepted (399) parcel is released"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *got =
            sql1(f->db, "SELECT customs.transition_refusal(%d, %d, '%s', %s, %s)", cases[i].from,
                 cases[i].to, cases[i].event, cases[i].arrived ? "true" : "false",
                 cases[i].cancelled ? "true" : "false");
        if (cases[i].want == NULL ? got != NULL : (!got || !strstr(got, cases[i].want)))
            fail_msg("case %zu (%d -> %d %s): got '%s', want '%s'", i, cases[i].from, cases[i].to,
                     cases[i].event, got ? got : "NULL", cases[i].want ? cases[i].want : "NULL");
        free(got);
    }
}

/* appType 2 before release replaces the declaration (history kept); after release, under
 * inspection or for an unknown parcel it is refused with a receipt; resent copies of any
 * version are no-ops. */
static void test_amendment(void **state)
{
    FIXTURE(state);
    static struct tdecl a1, a2, a3, b1, b2, c1, c2, u2, e1, e2;
    static struct tscan b_arr, c_arr;
    struct tpart td = {"t.wf6.d", -1}, ts = {"t.wf6.s", -1};
    struct batch_result res;
    tdecl_init(&a1, "YL-WF6-A", STATUS_ACCEPTED, 1, "v1");
    tdecl_init(&a2, "YL-WF6-A", STATUS_INSPECTION, 2, "v2");
    tdecl_apptype(&a2, "2");
    tdecl_init(&a3, "YL-WF6-A", STATUS_ACCEPTED, 1, "v3");
    tdecl_apptype(&a3, "2");

    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a1));
    char *sha1 = sql1(f->db, "SELECT content_sha256 FROM customs.declarations"
                             " WHERE logistics_no = 'YL-WF6-A'");
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a2));
    assert_int_equal(res.amendments, 1);
    assert_int_equal(res.declarations, 0);
    assert_int_equal(res.conflicts, 0);
    assert_int_equal(res.events, 2); /* receipt 500 + inspect */
    assert_sql_value(f->db, "500|2|2|2|1399.00001",
                     "SELECT concat_ws('|', status_code, version, app_type, item_count,"
                     " total_price) FROM customs.declarations WHERE logistics_no = 'YL-WF6-A'");
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declaration_items"
                                     " WHERE logistics_no = 'YL-WF6-A'"),
                     2);
    char want[256];
    snprintf(want, sizeof(want), "replaced|1|1|399|%s", sha1);
    assert_sql_value(f->db, want,
                     "SELECT concat_ws('|', kind, version, app_type, status_code, content_sha256)"
                     " FROM customs.declaration_versions WHERE logistics_no = 'YL-WF6-A'");
    assert_history(f, "YL-WF6-A", "declared:>399 amendment:399>500");
    assert_sql_value(f->db, "rules:" RULES_V "|{R-SAMPLE}",
                     "SELECT concat_ws('|', actor, rule_ids) FROM customs.status_history"
                     " WHERE logistics_no = 'YL-WF6-A' AND event = 'amendment'");

    /* the amendment again, the original again: duplicates, nothing written */
    struct counts before, after;
    snapshot(f->db, &before);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a2), rec_decl(NULL, 0, 0, &a1));
    assert_int_equal(res.duplicates, 2);
    assert_int_equal(res.conflicts, 0);
    assert_int_equal(res.events, 0);
    snapshot(f->db, &after);
    assert_int_equal(after.hist, before.hist);
    assert_int_equal(after.outbox, before.outbox);
    assert_int_equal(after.quar, before.quar);

    /* under inspection now: refused, quarantined byte-exact with the reason, -1 receipt */
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a3));
    assert_int_equal(res.refused, 1);
    assert_int_equal(res.events, 1);
    assert_int_equal(status_of(f, "YL-WF6-A"), 500);
    assert_sql_value(f->db,
                     "amendment (appType 2) refused: the parcel is under inspection (500 查验);"
                     " an officer records the result first",
                     "SELECT reason FROM customs.quarantine WHERE source_topic = 't.wf6.d'"
                     " AND logistics_no = 'YL-WF6-A'");
    assert_int_equal(sqlcount(f->db,
                              "SELECT count(*) FROM customs.quarantine q WHERE"
                              " source_topic = 't.wf6.d' AND raw = convert_to('%s',"
                              " 'UTF8')",
                              a3.payload),
                     1);

    /* released: refused */
    tdecl_init(&b1, "YL-WF6-B", STATUS_ACCEPTED, 1, "v1");
    tdecl_init(&b2, "YL-WF6-B", STATUS_ACCEPTED, 2, "v2");
    tdecl_apptype(&b2, "2");
    tscan_init(&b_arr, "YL-WF6-B", SCAN_ARRIVAL, AT1, LOCT);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &b1));
    APPLY(f, &ts, &res, rec_scan(&b_arr));
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &b2));
    assert_int_equal(res.refused, 1);
    assert_int_equal(status_of(f, "YL-WF6-B"), 800);
    assert_sql_value(f->db,
                     "amendment|800|amendment (appType 2) refused: the parcel was already"
                     " released (800 放行)",
                     "SELECT concat_ws('|', event, from_code, reason) FROM"
                     " customs.refused_transitions WHERE logistics_no = 'YL-WF6-B'");
    assert_outbox(f, "YL-WF6-B", "receipt:120 receipt:399 receipt:800 release:800 receipt:-1");

    /* rejected and already arrived: the amendment is accepted and released at once */
    tdecl_init(&c1, "YL-WF6-C", STATUS_REJECTED, 1, "v1");
    tdecl_init(&c2, "YL-WF6-C", STATUS_ACCEPTED, 1, "v2");
    tdecl_apptype(&c2, "2");
    tscan_init(&c_arr, "YL-WF6-C", SCAN_ARRIVAL, AT1, LOCT);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &c1));
    APPLY(f, &ts, &res, rec_scan(&c_arr));
    assert_sql_value(f->db, "recorded",
                     "SELECT outcome FROM customs.warehouse_scans WHERE logistics_no = 'YL-WF6-C'");
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &c2));
    assert_int_equal(res.amendments, 1);
    assert_history(f, "YL-WF6-C", "declared:>100 amendment:100>399 release:399>800");

    /* unknown parcel: refused; declared and amended in one batch: both applied in order */
    tdecl_init(&u2, "YL-WF6-U", STATUS_ACCEPTED, 1, "v2");
    tdecl_apptype(&u2, "2");
    tdecl_init(&e1, "YL-WF6-E", STATUS_ACCEPTED, 1, "v1");
    tdecl_init(&e2, "YL-WF6-E", STATUS_REJECTED, 1, "v2");
    tdecl_apptype(&e2, "2");
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &u2), rec_decl(NULL, 0, 0, &e1),
          rec_decl(NULL, 0, 0, &e2));
    assert_int_equal(res.declarations, 1);
    assert_int_equal(res.amendments, 1);
    assert_int_equal(res.refused, 1);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                     " WHERE logistics_no = 'YL-WF6-U'"),
                     0);
    assert_sql_value(f->db,
                     "amendment (appType 2) refused: logisticsNo YL-WF6-U is not declared"
                     " (appType 1 first)",
                     "SELECT reason FROM customs.refused_transitions WHERE logistics_no ="
                     " 'YL-WF6-U'");
    assert_history(f, "YL-WF6-E", "declared:>399 amendment:399>100");
    assert_outbox(f, "YL-WF6-E", "receipt:120 receipt:399 receipt:100 return:100");
    free(sha1);
}

/* appType 3 cancels a parcel not yet released: 100, cancelled; then nothing amends it. */
static void test_cancellation(void **state)
{
    FIXTURE(state);
    static struct tdecl k1, k3, k2;
    static struct tscan k_arr;
    struct tpart td = {"t.wf7.d", -1}, ts = {"t.wf7.s", -1};
    struct batch_result res;
    tdecl_init(&k1, "YL-WF7-K", STATUS_ACCEPTED, 1, "v1");
    tdecl_init(&k3, "YL-WF7-K", STATUS_ACCEPTED, 1, "cancel");
    tdecl_apptype(&k3, "3");
    tdecl_init(&k2, "YL-WF7-K", STATUS_ACCEPTED, 1, "v2");
    tdecl_apptype(&k2, "2");
    tscan_init(&k_arr, "YL-WF7-K", SCAN_ARRIVAL, AT1, LOCT);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &k1));
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &k3));
    assert_int_equal(res.cancellations, 1);
    assert_sql_value(f->db, "100|rejected|t|CANCELLED: cancelled by the declarer (appType 3)",
                     "SELECT concat_ws('|', status_code, status, cancelled_at IS NOT NULL,"
                     " customs.reasons_text(reasons)) FROM customs.declarations"
                     " WHERE logistics_no = 'YL-WF7-K'");
    assert_history(f, "YL-WF7-K", "declared:>399 cancellation:399>100");
    assert_outbox(f, "YL-WF7-K", "receipt:120 receipt:399 receipt:100 return:100");
    assert_sql_value(f->db, "declarer:2301960004",
                     "SELECT actor FROM customs.status_history WHERE logistics_no = 'YL-WF7-K'"
                     " AND event = 'cancellation'");
    assert_sql_value(f->db, "cancellation|3",
                     "SELECT concat_ws('|', kind, app_type) FROM customs.declaration_versions"
                     " WHERE logistics_no = 'YL-WF7-K'");

    /* the parcel still turns up at the warehouse: recorded, not released */
    APPLY(f, &ts, &res, rec_scan(&k_arr));
    assert_int_equal(status_of(f, "YL-WF7-K"), 100);
    /* the cancellation again: a no-op; an amendment now: refused */
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &k3));
    assert_int_equal(res.duplicates, 1);
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &k2));
    assert_int_equal(res.refused, 1);
    assert_sql_value(f->db,
                     "amendment (appType 2) refused: the declaration was cancelled by the"
                     " declarer (appType 3)",
                     "SELECT reason FROM customs.refused_transitions WHERE logistics_no ="
                     " 'YL-WF7-K'");
    assert_int_equal(status_of(f, "YL-WF7-K"), 100);
}

/* Scan records the store or the database cannot take as they are: kept, never a stall. */
static void test_scan_record_checks(void **state)
{
    FIXTURE(state);
    static struct tdecl a;
    static struct tscan ok9, badtime, badutf8;
    struct tpart td = {"t.wf8.d", -1}, ts = {"t.wf8.s", -1};
    struct batch_result res;
    tdecl_init(&a, "YL-WF8-A", STATUS_ACCEPTED, 1, "");
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a));
    tscan_init(&ok9, "YL-WF8-A", SCAN_ARRIVAL, "2024-05-12T10:30:00.123456789+08:00", LOCT);
    tscan_init(&badtime, "YL-WF8-A", SCAN_DEPARTURE, "2024-13-01T10:30:00+08:00", LOCT);
    tscan_init(&badutf8, "YL-WF8-A", SCAN_DEPARTURE, AT2, LOCT);
    badutf8.payload[5] = (char)0xff;
    APPLY(f, &ts, &res, rec_scan(&ok9), rec_scan(&badtime), rec_scan(&badutf8));
    assert_int_equal(res.scans, 1);
    assert_int_equal(res.quarantined, 2);
    assert_int_equal(status_of(f, "YL-WF8-A"), 800);
    assert_sql_value(f->db, "2024-05-12 02:30:00.123457",
                     "SELECT arrived_at AT TIME ZONE 'UTC' FROM customs.declarations"
                     " WHERE logistics_no = 'YL-WF8-A'");
    assert_sql_value(f->db,
                     "1:scan: scannedAt is not an ISO 8601 time with an offset|2:record value is"
                     " not storable text (NUL byte or invalid UTF-8)",
                     "SELECT string_agg(source_offset || ':' || reason, '|' ORDER BY source_offset)"
                     " FROM customs.quarantine WHERE source_topic = 't.wf8.s'");

    /* a scan record without its decoded scan is a caller bug: refused, nothing written */
    struct batch_record bad = rec_scan(&ok9);
    bad.scan = NULL;
    bad.topic = "t.wf8.s";
    bad.offset = 3;
    char err[512] = "";
    assert_int_equal(apply1(f, &bad, 1, "t.wf8.s", 0, 3, 4, &res, err, sizeof(err)), STORE_ERROR);
    assert_non_null(strstr(err, "scan record without scan"));
}

/*
 * Nothing internal reaches the declarer or the warehouse: every path that writes a receipt
 * or an event (first decisions by the rules, a conflict, an undecodable record, arrival and
 * departure scans, a refused scan, an amendment, a refused amendment, a cancellation, and
 * each officer function called by a login of its own with a note carrying a marker) leaves
 * the officer's login and the note in status_history and in no outbox payload. Receipts and
 * events carry exactly the keys docs/DESIGN.md lists.
 */
static void test_no_internal_in_outbox(void **state)
{
    FIXTURE(state);
    static struct tdecl a, a_conf, a_amd, k, k3, j, j2, i1, i2, i3, i4, r1, r2;
    static struct tscan a_arr, a_dep, i1_arr, i3_dep, i4_arr, r1_arr;
    struct tpart td = {"t.nl.d", -1}, ts = {"t.nl.s", -1};
    struct batch_result res;
    char login[64], marker[64], ci[4200];
    snprintf(login, sizeof(login), "it_nl_officer_%d", (int)getpid());
    snprintf(marker, sizeof(marker), "NL-MARKER-%d", (int)getpid());

    /* first decisions: accepted, inspection, rejected, manual review; a conflict and an
     * undecodable record with a known key (-1 receipts) */
    tdecl_init(&a, "YL-NL-A", STATUS_ACCEPTED, 1, "");
    tdecl_init(&a_conf, "YL-NL-A", STATUS_ACCEPTED, 1, "other content");
    tdecl_init(&k, "YL-NL-K", STATUS_ACCEPTED, 1, "");
    tdecl_init(&j, "YL-NL-J", STATUS_REJECTED, 1, "");
    tdecl_init(&i1, "YL-NL-I1", STATUS_INSPECTION, 1, "");
    tdecl_init(&i2, "YL-NL-I2", STATUS_INSPECTION, 1, "");
    tdecl_init(&i3, "YL-NL-I3", STATUS_INSPECTION, 1, "");
    tdecl_init(&i4, "YL-NL-I4", STATUS_INSPECTION, 1, "");
    tdecl_init(&r1, "YL-NL-R1", STATUS_REVIEW, 1, "");
    tdecl_init(&r2, "YL-NL-R2", STATUS_REVIEW, 1, "");
    static const char bad[] = "{\"logisticsNo\":\"YL-NL-Q\",";
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &a), rec_decl(NULL, 0, 0, &k),
          rec_decl(NULL, 0, 0, &j), rec_decl(NULL, 0, 0, &i1), rec_decl(NULL, 0, 0, &i2),
          rec_decl(NULL, 0, 0, &i3), rec_decl(NULL, 0, 0, &i4), rec_decl(NULL, 0, 0, &r1),
          rec_decl(NULL, 0, 0, &r2), rec_decl(NULL, 0, 0, &a_conf),
          rec_quar(NULL, 0, 0, bad, strlen(bad), "YL-NL-Q", "not JSON: unexpected end"));
    assert_int_equal(res.declarations, 9);
    assert_int_equal(res.conflicts, 1);
    assert_int_equal(res.quarantined, 1);

    /* scans: arrival releases A, holds I1 and R1; a departure of I3 (not released) is
     * refused; then A departs */
    tscan_init(&a_arr, "YL-NL-A", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&i1_arr, "YL-NL-I1", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&r1_arr, "YL-NL-R1", SCAN_ARRIVAL, AT1, LOCT);
    tscan_init(&i3_dep, "YL-NL-I3", SCAN_DEPARTURE, AT1, LOCT);
    tscan_init(&a_dep, "YL-NL-A", SCAN_DEPARTURE, AT2, LOCT);
    APPLY(f, &ts, &res, rec_scan(&a_arr), rec_scan(&i1_arr), rec_scan(&r1_arr), rec_scan(&i3_dep));
    assert_int_equal(res.refused, 1);
    APPLY(f, &ts, &res, rec_scan(&a_dep));
    assert_int_equal(status_of(f, "YL-NL-A"), 899);

    /* the declarer: an amendment (100 -> 500), a cancellation, an amendment after 899
     * (refused) */
    tdecl_init(&j2, "YL-NL-J", STATUS_INSPECTION, 1, "v2");
    tdecl_apptype(&j2, "2");
    tdecl_init(&k3, "YL-NL-K", STATUS_ACCEPTED, 1, "cancel");
    tdecl_apptype(&k3, "3");
    tdecl_init(&a_amd, "YL-NL-A", STATUS_ACCEPTED, 1, "v2");
    tdecl_apptype(&a_amd, "2");
    APPLY(f, &td, &res, rec_decl(NULL, 0, 0, &j2), rec_decl(NULL, 0, 0, &k3),
          rec_decl(NULL, 0, 0, &a_amd));
    assert_int_equal(res.amendments, 1);
    assert_int_equal(res.cancellations, 1);
    assert_int_equal(res.refused, 1);

    /* the officer, as a login of its own: every function, each note with the marker */
    PQclear(sql(f->admin, "CREATE ROLE %s LOGIN IN ROLE customs_officer", login));
    snprintf(ci, sizeof(ci), "%s user='%s'", f->conninfo, login);
    PGconn *off = PQconnectdb(ci);
    if (PQstatus(off) != CONNECTION_OK)
        fail_msg("connect as %s: %s", login, PQerrorMessage(off));
    assert_sql_value(off, "800",
                     "SELECT status_code FROM customs.record_inspection('YL-NL-I1', 'passed',"
                     " 'opened: %s-1 as declared')",
                     marker);
    assert_sql_value(off, "502",
                     "SELECT status_code FROM customs.record_inspection('YL-NL-I2', 'detained',"
                     " 'smuggling referral %s-2: undeclared cells', 502)",
                     marker);
    assert_sql_value(off, "700",
                     "SELECT status_code FROM customs.record_inspection('YL-NL-I3', 'returned',"
                     " 'wrong consignee %s-3')",
                     marker);
    assert_sql_value(off, "399",
                     "SELECT status_code FROM customs.record_inspection('YL-NL-I4', 'passed',"
                     " 'informant tip %s-4 unfounded')",
                     marker);
    assert_sql_value(off, "800",
                     "SELECT status_code FROM customs.release_review('YL-NL-R1',"
                     " 'licence checked by phone %s-5')",
                     marker);
    assert_sql_value(off, "700",
                     "SELECT status_code FROM customs.return_review('YL-NL-R2',"
                     " 'risk profile %s-6 matched')",
                     marker);
    PQfinish(off);
    /* the arrival releases the parcel the officer passed before it came */
    tscan_init(&i4_arr, "YL-NL-I4", SCAN_ARRIVAL, AT2, LOCT);
    APPLY(f, &ts, &res, rec_scan(&i4_arr));
    assert_int_equal(status_of(f, "YL-NL-I4"), 800);

    /* customs keeps who and why: the login on the officer's changes (two of them chain a
     * release), the marker in each of the six notes */
    assert_sql_value(f->db, "8|6",
                     "SELECT concat_ws('|', count(*) FILTER (WHERE actor = 'officer:%s'),"
                     " count(*) FILTER (WHERE note LIKE '%%%s-%%')) FROM customs.status_history"
                     " WHERE logistics_no LIKE 'YL-NL-%%'",
                     login, marker);

    /* ... and no outbox row names the officer or carries a note */
    assert_int_equal(sqlcount(f->db,
                              "SELECT count(*) FROM customs.outbox WHERE payload::text LIKE"
                              " '%%%s%%' OR payload::text LIKE '%%%s%%'",
                              login, marker),
                     0);
    /* every path wrote its rows: receipts per status change and refusal, the events */
    assert_outbox(f, "YL-NL-A",
                  "receipt:120 receipt:399 receipt:-1 receipt:800 release:800 receipt:899"
                  " receipt:-1");
    assert_outbox(f, "YL-NL-K", "receipt:120 receipt:399 receipt:100 return:100");
    assert_outbox(f, "YL-NL-J", "receipt:120 receipt:100 return:100 receipt:500 inspect:500");
    assert_outbox(f, "YL-NL-I1",
                  "receipt:120 receipt:500 inspect:500 receipt:399 receipt:800 release:800");
    assert_outbox(f, "YL-NL-I2", "receipt:120 receipt:500 inspect:500 receipt:502 detain:502");
    assert_outbox(f, "YL-NL-I3",
                  "receipt:120 receipt:500 inspect:500 receipt:-1 alert:500 hold:500"
                  " receipt:700 return:700"); /* a departure refused: alert, hold */
    assert_outbox(f, "YL-NL-I4",
                  "receipt:120 receipt:500 inspect:500 receipt:399 receipt:800 release:800");
    assert_outbox(f, "YL-NL-R1", "receipt:120 receipt:300 receipt:399 receipt:800 release:800");
    assert_outbox(f, "YL-NL-R2", "receipt:120 receipt:300 receipt:700 return:700");
    assert_outbox(f, "YL-NL-Q", "receipt:-1");
    assert_sql_value(f->db,
                     "amendment:inspect arrival:release cancellation:return declared:inspect"
                     " declared:return departure_not_released:alert hold:hold inspection:detain"
                     " inspection:return release:release review:return",
                     "SELECT string_agg(DISTINCT concat(payload->>'event', ':', type), ' ')"
                     " FROM customs.outbox WHERE key LIKE 'YL-NL-%%' AND type <> 'receipt'");

    /* every test's rows (YL-*; not those an earlier release left in an upgraded database):
     * no actor of any kind, no note, no rules version; exactly the keys of DESIGN.md */
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.outbox WHERE key LIKE 'YL%%'"
                                     " AND (payload::text ~ '\"(officer|scan|declarer|rules):[^ ]'"
                                     " OR payload ?| array['actor', 'note', 'rules_version'])"),
                     0);
    assert_sql_value(f->db,
                     "event:copNo,event,event_id,from_status_code,invtNo,logisticsNo,"
                     "occurred_at,status,status_code,type receipt:agentCode,copNo,customsCode,"
                     "ebcCode,ebpCode,event_id,guid,invtNo,logisticsNo,occurred_at,reasons,"
                     "returnInfo,returnStatus,returnTime,status,status_code,type",
                     "SELECT string_agg(DISTINCT concat(CASE type WHEN 'receipt' THEN 'receipt'"
                     " ELSE 'event' END, ':', (SELECT string_agg(k, ',' ORDER BY k)"
                     " FROM jsonb_object_keys(payload) k)), ' ') FROM customs.outbox"
                     " WHERE key LIKE 'YL%%'");
    PQclear(sql(f->admin, "DROP ROLE %s", login));
}

/* CEB604-shaped receipts: one per status change, for every parcel of the tests above. */
static void test_receipt_per_change(void **state)
{
    FIXTURE(state);
    assert_true(sqlcount(f->db, "SELECT count(*) FROM customs.status_history"
                                " WHERE logistics_no LIKE 'YL-WF%%'") > 30);
    /* per parcel: status receipts (returnStatus >= 0) in history order = history rows */
    assert_int_equal(
        sqlcount(f->db,
                 "SELECT count(*) FROM (SELECT logistics_no, array_agg(status_code ORDER BY id) s"
                 " FROM customs.status_history WHERE logistics_no LIKE 'YL-WF%%' GROUP BY 1) h"
                 " FULL JOIN (SELECT key, array_agg((payload->>'returnStatus')::int ORDER BY id) s"
                 " FROM customs.outbox WHERE key LIKE 'YL-WF%%' AND type = 'receipt' AND"
                 " payload->>'returnStatus' NOT IN ('-1', '120') GROUP BY 1) r"
                 " ON r.key = h.logistics_no"
                 " WHERE h.s IS DISTINCT FROM r.s"),
        0);
    assert_int_equal(sqlcount(f->db,
                              "SELECT count(*) FROM customs.outbox WHERE key LIKE 'YL-WF%%'"
                              " AND type = 'receipt' AND NOT (payload ?& array['logisticsNo',"
                              " 'copNo', 'guid', 'returnStatus', 'returnTime', 'returnInfo']"
                              " AND payload->>'returnTime' ~ '^[0-9]{17}$'"
                              " AND payload->>'returnInfo' <> '')"),
                     0);
    /* every new declaration's first receipt is its 120, without invtNo; every later row of
     * a parcel once accepted carries the parcel's invtNo from its acceptance on */
    assert_int_equal(sqlcount(f->db,
                              "SELECT count(*) FROM customs.declarations d WHERE d.logistics_no"
                              " LIKE 'YL-WF%%' AND (SELECT o.payload->>'returnStatus' || '/' ||"
                              " coalesce(o.payload->>'invtNo', '-') FROM customs.outbox o"
                              " WHERE o.key = d.logistics_no ORDER BY o.id LIMIT 1)"
                              " IS DISTINCT FROM '120/-'"),
                     0);
    assert_true(sqlcount(f->db, "SELECT count(*) FROM customs.declarations WHERE logistics_no"
                                " LIKE 'YL-WF%%' AND invt_no IS NOT NULL") > 5);
    assert_int_equal(
        sqlcount(f->db, "SELECT count(*) FROM customs.outbox o JOIN customs.declarations d"
                        " ON d.logistics_no = o.key WHERE o.key LIKE 'YL-WF%%'"
                        " AND o.id > (SELECT min(a.id) FROM customs.outbox a WHERE a.key = o.key"
                        " AND a.payload->>'status_code' IN ('399', '500', '800'))"
                        " AND o.payload->>'invtNo' IS DISTINCT FROM d.invt_no"),
        0);
    /* a refused transition: a -1 receipt each */
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.refused_transitions"
                                     " WHERE logistics_no LIKE 'YL-WF%%'"),
                     sqlcount(f->db, "SELECT count(*) FROM customs.outbox WHERE key LIKE"
                                     " 'YL-WF%%' AND payload->>'returnStatus' = '-1'"
                                     " AND payload->'reasons'->0->>'rule_id' = 'transition'"));
    /* the other -1 receipts: records quarantined (undecodable scans) */
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.quarantine WHERE logistics_no"
                                     " LIKE 'YL-WF%%' AND source_topic LIKE '%%.s'"),
                     sqlcount(f->db, "SELECT count(*) FROM customs.outbox WHERE key LIKE"
                                     " 'YL-WF%%' AND payload->>'returnStatus' = '-1'"
                                     " AND payload->'reasons'->0->>'rule_id' = 'decode'"));
}

/*
 * Receipts as the platform sends them: a 120 receipt (海关入库) before each new
 * declaration's decision, in the same batch; an invtNo (4 customs code + 4 year + E + 9
 * digits) given on acceptance, unique, in every later receipt and event and in
 * parcel_status, never in the 120 receipt nor on a parcel never accepted; returnInfo in
 * Chinese with the rule ids (the English detail in brackets).
 */
static void test_receipts_120_invt_no(void **state)
{
    FIXTURE(state);
    static struct tdecl a, b, c;
    tdecl_init(&a, "YL-INV-A", STATUS_ACCEPTED, 1, "");
    tdecl_init(&b, "YL-INV-B", STATUS_INSPECTION, 1, "");
    tdecl_init(&c, "YL-INV-C", STATUS_REJECTED, 1, "");
    struct batch_record recs[] = {rec_decl("t.inv", 0, 0, &a), rec_decl("t.inv", 0, 1, &b),
                                  rec_decl("t.inv", 0, 2, &c)};
    struct batch_result res;
    char err[512] = "";
    if (apply1(f, recs, 3, "t.inv", 0, -1, 3, &res, err, sizeof(err)) != STORE_OK)
        fail_msg("%s", err);
    assert_int_equal(res.events, 8); /* 3 x (120 + decision) + inspect + return */
    assert_outbox(f, "YL-INV-A", "receipt:120 receipt:399");
    assert_outbox(f, "YL-INV-B", "receipt:120 receipt:500 inspect:500");
    assert_outbox(f, "YL-INV-C", "receipt:120 receipt:100 return:100");

    /* the 120 receipt: stored, no reasons, no invtNo yet */
    assert_sql_value(f->db, "3|海关入库 stored|[]|null|stored",
                     "SELECT concat_ws('|', count(*), min(payload->>'returnInfo'),"
                     " min(payload->>'reasons'), min(coalesce(payload->>'invtNo', 'null')),"
                     " min(payload->>'status')) FROM customs.outbox WHERE key LIKE 'YL-INV-%%'"
                     " AND payload->>'returnStatus' = '120'");
    /* invtNo: customs code 1900, this year in Beijing, E, 9 digits; 18 characters */
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                     " WHERE logistics_no IN ('YL-INV-A', 'YL-INV-B')"
                                     " AND invt_no ~ ('^1900' || to_char(now() AT TIME ZONE"
                                     " 'Asia/Shanghai', 'YYYY') || 'E[0-9]{9}$')"
                                     " AND char_length(invt_no) = 18"),
                     2);
    assert_int_equal(sqlcount(f->db, "SELECT count(DISTINCT invt_no) FROM customs.declarations"
                                     " WHERE logistics_no IN ('YL-INV-A', 'YL-INV-B')"),
                     2);
    assert_sql_value(f->db, "",
                     "SELECT coalesce(invt_no, '') FROM customs.declarations"
                     " WHERE logistics_no = 'YL-INV-C'");
    /* the decision's receipt and event carry it; the officers' view shows it */
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.outbox o"
                                     " JOIN customs.declarations d ON d.logistics_no = o.key"
                                     " WHERE o.key IN ('YL-INV-A', 'YL-INV-B')"
                                     " AND o.payload->>'status_code' <> '120'"
                                     " AND o.payload->>'invtNo' = d.invt_no"),
                     3);
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.parcel_status p"
                                     " JOIN customs.declarations d USING (logistics_no)"
                                     " WHERE p.logistics_no LIKE 'YL-INV-%%'"
                                     " AND p.invt_no IS NOT DISTINCT FROM d.invt_no"),
                     3);
    /* unique: a number is not given twice, not even by hand; set once, kept */
    assert_sql_fails(f->db, "23505", "declarations_invt_no_key",
                     "UPDATE customs.declarations SET invt_no = (SELECT invt_no FROM"
                     " customs.declarations WHERE logistics_no = 'YL-INV-A')"
                     " WHERE logistics_no = 'YL-INV-B'");
    assert_sql_fails(f->db, "23514", "declarations_invt_no_form",
                     "UPDATE customs.declarations SET invt_no = '19002026I000000001'"
                     " WHERE logistics_no = 'YL-INV-B'");
    /* returnInfo in Chinese, rule ids kept, the English detail in brackets; the logs' and
     * officers' text (reasons_text) stays English */
    assert_sql_value(
        f->db,
        "海关退单 rejected: R-GCODE: 商品编码须为10位数字 (items[1].gcode: \"92079\" is"
        " not 10 digits); R-HEAVY: grossWeight 1.35 kg",
        "SELECT payload->>'returnInfo' FROM customs.outbox WHERE key = 'YL-INV-C'"
        " AND payload->>'returnStatus' = '100'");
    assert_sql_value(f->db,
                     "R-GCODE: items[1].gcode: \"92079\" is not 10 digits; R-HEAVY: grossWeight"
                     " 1.35 kg",
                     "SELECT customs.reasons_text(reasons) FROM customs.declarations"
                     " WHERE logistics_no = 'YL-INV-C'");
}

/* Throughput of apply_batch: 1000-declaration batches, 3 items each (CUSTOMSD_STORE_BENCH). */
static void test_bench(void **state)
{
    FIXTURE(state);
    if (!getenv("CUSTOMSD_STORE_BENCH"))
        skip();
    enum { BATCH = 1000, BATCHES = 20 };
    struct tdecl *t = calloc(BATCH, sizeof(*t));
    struct batch_record *recs = calloc(BATCH, sizeof(*recs));
    static const int statuses[] = {STATUS_ACCEPTED,   STATUS_ACCEPTED, STATUS_ACCEPTED,
                                   STATUS_INSPECTION, STATUS_REJECTED, STATUS_REVIEW};
    char err[512] = "";
    int64_t total_ms = 0;
    /* Pad the raw payload to about 1.5 kB, the size of a real 3-item CEB603 record. */
    char note[1100];
    memset(note, 'x', sizeof(note) - 1);
    note[sizeof(note) - 1] = '\0';
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++) {
            char lno[64];
            snprintf(lno, sizeof(lno), "YLB%04d%06d", b, i);
            tdecl_init(&t[i], lno, statuses[i % 6], 3, note);
            recs[i] = rec_decl("t.bench", 0, (int64_t)b * BATCH + i, &t[i]);
        }
        struct batch_result res;
        int64_t t0 = now_ms();
        int rc = apply1(f, recs, BATCH, "t.bench", 0, b ? (int64_t)b * BATCH : -1,
                        (int64_t)(b + 1) * BATCH, &res, err, sizeof(err));
        total_ms += now_ms() - t0;
        if (rc != STORE_OK)
            fail_msg("batch %d: %s", b, err);
        assert_int_equal(res.declarations, BATCH);
    }
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declaration_items"
                                     " WHERE logistics_no LIKE 'YLB%%'"),
                     3LL * BATCH * BATCHES);
    printf("bench: %d batches of %d declarations (3 items each) in %" PRId64
           " ms: %.0f declarations/s\n",
           BATCHES, BATCH, total_ms, total_ms ? BATCH * BATCHES * 1000.0 / total_ms : 0.0);

    /* Then an arrival scan for every parcel: the accepted ones are released (399 -> 800). */
    struct tscan *sc = calloc(BATCH, sizeof(*sc));
    long long accepted = 0;
    for (int i = 0; i < BATCH; i++)
        accepted += statuses[i % 6] == STATUS_ACCEPTED;
    total_ms = 0;
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++) {
            char lno[64];
            snprintf(lno, sizeof(lno), "YLB%04d%06d", b, i);
            tscan_init(&sc[i], lno, SCAN_ARRIVAL, "2024-05-12T10:30:00+08:00", "1900W00001");
            recs[i] = rec_scan(&sc[i]);
            recs[i].topic = "t.bench.s";
            recs[i].offset = (int64_t)b * BATCH + i;
        }
        struct batch_result res;
        int64_t t0 = now_ms();
        int rc = apply1(f, recs, BATCH, "t.bench.s", 0, b ? (int64_t)b * BATCH : -1,
                        (int64_t)(b + 1) * BATCH, &res, err, sizeof(err));
        total_ms += now_ms() - t0;
        if (rc != STORE_OK)
            fail_msg("scan batch %d: %s", b, err);
        assert_int_equal(res.scans, BATCH);
    }
    assert_int_equal(sqlcount(f->db, "SELECT count(*) FROM customs.declarations"
                                     " WHERE logistics_no LIKE 'YLB%%' AND status_code = 800"),
                     accepted * BATCHES);
    printf("bench: %d batches of %d arrival scans in %" PRId64 " ms: %.0f scans/s\n", BATCHES,
           BATCH, total_ms, total_ms ? BATCH * BATCHES * 1000.0 / total_ms : 0.0);
    free(sc);
    free(recs);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate),
        cmocka_unit_test(test_apply_batch),
        cmocka_unit_test(test_redelivery_fenced),
        cmocka_unit_test(test_fence_race),
        cmocka_unit_test(test_duplicate_same_content),
        cmocka_unit_test(test_conflict),
        cmocka_unit_test(test_in_batch_duplicates),
        cmocka_unit_test(test_oversized_values),
        cmocka_unit_test(test_unstorable_declaration),
        cmocka_unit_test(test_malformed_batch),
        cmocka_unit_test(test_load_offsets),
        cmocka_unit_test(test_register_rules),
        cmocka_unit_test(test_outbox_fetch_mark),
        cmocka_unit_test(test_history_append_only),
        cmocka_unit_test(test_notify_and_lease),
        cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_scan_release_close),
        cmocka_unit_test(test_scan_before_declaration),
        cmocka_unit_test(test_scan_held_and_refused),
        cmocka_unit_test(test_officer_functions),
        cmocka_unit_test(test_state_machine_guard),
        cmocka_unit_test(test_amendment),
        cmocka_unit_test(test_cancellation),
        cmocka_unit_test(test_scan_record_checks),
        cmocka_unit_test(test_no_internal_in_outbox),
        cmocka_unit_test(test_receipt_per_change),
        cmocka_unit_test(test_receipts_120_invt_no),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
