/*
 * store.c - the PostgreSQL adapter (libpq), see store.h.
 *
 * A batch goes in one transaction as its records staged by COPY into a session temp table
 * (batch.h builds the rows; the format is described there) and one call of the prepared
 * statement `SELECT customs.apply_batch_staged($1, $2::jsonb)` with its fences: everything
 * of the batch commits together or nothing does. COPY, not one JSON document of the whole
 * batch: PostgreSQL then parses no document of several MB at bind and decomposes no JSON
 * array into rows (docs/PERFORMANCE.md, fifth round). The set-based work (classification,
 * inserts, outbox) happens in SQL.
 */
#include "store.h"
#include "store_int.h"

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libpq-fe.h>

#include "log.h"
#include "schema.h"
#include "util.h"

/* SQLSTATE apply_batch raises when an offset fence fails (sql/repeatable/60_apply_batch.sql). */
#define STORE_SQLSTATE_FENCED "CS001"
/* SQLSTATE of a transition the status state machine refuses (sql/repeatable/30_state_machine.sql).
 * apply_batch records the refusals it expects instead of raising; one that escapes is about
 * a record's data, so the batch is split like for a constraint violation. */
#define STORE_SQLSTATE_REFUSED "CS010"

/* SQLSTATEs of a statement that gave up waiting: STORE_BUSY. */
#define STORE_SQLSTATE_LOCK_TIMEOUT "55P03" /* lock_not_available */
#define STORE_SQLSTATE_CANCELED     "57014" /* query_canceled: statement_timeout or cancel */
/* SQLSTATE of a server out of disk space ("could not extend file"): an outage, STORE_ERROR. */
#define STORE_SQLSTATE_DISK_FULL "53100" /* disk_full */

const struct store_limits store_default_limits = {
    .connect_timeout_s = 5, .statement_timeout_ms = 10000, .lock_timeout_ms = 5000};

/* Every open store, for store_interrupt_all. */
static pthread_mutex_t store_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *store_registry;

/* Prepared statements: made once per connection (store_connect). */
static const struct {
    const char *name;
    const char *sql;
    int nparams;
} store_statements[] = {
    {"store_apply_batch", "SELECT customs.apply_batch_staged($1, $2::jsonb)", 2},
    {"store_unique_holders", "SELECT customs.unique_holders($1::jsonb)::text", 1},
    {"store_matching_due", "SELECT customs.matching_due($1::integer, $2::integer)::text", 2},
    {"store_matching_apply", "SELECT customs.matching_apply($1::jsonb)::text", 1},
    {"store_load_offsets",
     "SELECT partition, next_offset FROM customs.consumer_offsets"
     " WHERE group_id = $1 AND topic = $2 AND partition = ANY ($3::integer[])",
     3},
    {"store_register_rules",
     "INSERT INTO customs.rule_set_versions (version, text) VALUES ($1, $2)"
     " ON CONFLICT (version) DO NOTHING",
     2},
    {"store_outbox_fetch",
     "SELECT id, topic, key, payload::text,"
     " (extract(epoch FROM created_at) * 1000000)::bigint FROM customs.outbox"
     " WHERE published_at IS NULL ORDER BY id LIMIT $1",
     1},
    /* The outbox is partitioned by created_at (sql/018_partitions.sql): the range of the
     * delivered rows' created_at keeps the UPDATE to their partitions (pruned at executor
     * start), not a probe of every day's index per id. */
    {"store_outbox_mark_range",
     "UPDATE customs.outbox SET published_at = now()"
     " WHERE id = ANY ($1::bigint[]) AND published_at IS NULL"
     " AND created_at BETWEEN to_timestamp($2::bigint / 1000000.0) - interval '1 ms'"
     " AND to_timestamp($3::bigint / 1000000.0) + interval '1 ms'",
     3},
    {"store_sweep_alerts", "SELECT customs.sweep_alerts(make_interval(hours => $1::integer))", 1},
    {"store_partitions_ensure", "SELECT customs.partitions_ensure(7)", 0},
    {"store_outbox_prune",
     "SELECT dropped, deleted FROM customs.outbox_prune(make_interval(days => $1::integer))", 1},
    {"store_outbox_backlog",
     "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8"
     " FROM customs.outbox WHERE published_at IS NULL",
     0},
};

/* --- errors ----------------------------------------------------------------------------- */

/* Copy a libpq message into err without its trailing newline(s). */
void store_set_error(char *err, size_t errlen, const char *what, const char *msg)
{
    if (!err || errlen == 0)
        return;
    int n = snprintf(err, errlen, "%s: %s", what, msg && *msg ? msg : "unknown error");
    size_t len = n < 0 ? 0 : (size_t)n < errlen ? (size_t)n : errlen - 1;
    while (len > 0 && (err[len - 1] == '\n' || err[len - 1] == ' '))
        err[--len] = '\0';
}

/* "what: primary message (SQLSTATE xxxxx)" from a failed result, or the connection error. */
void store_result_error(struct store *s, const PGresult *res, const char *what, char *err,
                        size_t errlen)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (primary) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s (SQLSTATE %s)", primary, state ? state : "?");
        store_set_error(err, errlen, what, msg);
    } else {
        store_set_error(err, errlen, what, s->conn ? PQerrorMessage(s->conn) : "not connected");
    }
}

/*
 * A failed result: STORE_BUSY with "what: waiting for a row lock held by another session
 * (lock_timeout N ms): message (SQLSTATE 55P03)" or "what: statement timeout or cancel
 * (statement_timeout N ms): ..." when the statement gave up waiting, else STORE_ERROR
 * with store_result_error's text ("what: PostgreSQL is out of disk space ...: message
 * (SQLSTATE 53100)" when it is full: never the data's fault, so never split or quarantined).
 */
static int store_failure(struct store *s, const PGresult *res, const char *what, char *err,
                         size_t errlen)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char why[256];
    if (state && strcmp(state, STORE_SQLSTATE_LOCK_TIMEOUT) == 0)
        snprintf(why, sizeof(why),
                 "%s: waiting for a row lock held by another session (lock_timeout %u ms)", what,
                 s->limits.lock_timeout_ms);
    else if (state && strcmp(state, STORE_SQLSTATE_CANCELED) == 0)
        snprintf(why, sizeof(why), "%s: statement timeout or cancel (statement_timeout %u ms)",
                 what, s->limits.statement_timeout_ms);
    else if (state && strcmp(state, STORE_SQLSTATE_DISK_FULL) == 0) {
        snprintf(why, sizeof(why),
                 "%s: PostgreSQL is out of disk space (nothing written; retried until space is "
                 "freed on the database server)",
                 what);
        store_result_error(s, res, why, err, errlen);
        return STORE_ERROR;
    } else {
        store_result_error(s, res, what, err, errlen);
        return STORE_ERROR;
    }
    store_result_error(s, res, why, err, errlen);
    return STORE_BUSY;
}

/* Server NOTICEs/WARNINGs go to our log instead of libpq's default stderr printer. */
static void store_notice(void *arg, const char *message)
{
    (void)arg;
    size_t len = strlen(message);
    while (len > 0 && message[len - 1] == '\n')
        len--;
    log_warn("postgresql: %.*s", (int)len, message);
}

/* --- connection ------------------------------------------------------------------------- */

static int store_prepare(struct store *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < ARRAY_SIZE(store_statements); i++) {
        PGresult *res = PQprepare(s->conn, store_statements[i].name, store_statements[i].sql,
                                  store_statements[i].nparams, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            char what[128];
            snprintf(what, sizeof(what),
                     "preparing %s (is the schema migrated? run sql/migrate.sh)",
                     store_statements[i].name);
            store_result_error(s, res, what, err, errlen);
            PQclear(res);
            return STORE_ERROR;
        }
        PQclear(res);
    }
    return STORE_OK;
}

/* Mark the start (busy = true) or end of a blocking call, for store_interrupt_all. */
void store_busy(struct store *s, bool busy)
{
    pthread_mutex_lock(&store_registry_lock);
    s->busy_since = busy ? now_ms() : 0;
    s->interrupted = 0;
    pthread_mutex_unlock(&store_registry_lock);
}

/* Nothing sent any more (store_apply_batch_send's state dropped). */
static void store_batch_reset(struct store *s)
{
    s->sent = false;
    s->staging = false;
    free(s->fences);
    s->fences = NULL;
    PQclear(s->failed);
    s->failed = NULL;
}

/* Close the connection (NULL-safe); the cancel object goes first, under the lock. */
static void store_disconnect(struct store *s)
{
    pthread_mutex_lock(&store_registry_lock);
    PQfreeCancel(s->cancel);
    s->cancel = NULL;
    s->sock = -1;
    pthread_mutex_unlock(&store_registry_lock);
    PQfinish(s->conn);
    s->conn = NULL;
    store_batch_reset(s);
}

/*
 * Session settings: the statement and lock timeouts of struct store_limits, and two for
 * apply_batch's speed (docs/PERFORMANCE.md): no JIT (the staging table has no statistics,
 * the planner's estimates pass the JIT threshold and compiling cost ~13 ms of a ~300 ms
 * batch for nothing) and temp buffers that hold a batch's staging table (4-9 MB for 1000
 * declarations; the default 8 MB sent every scan of it through the kernel). temp_buffers
 * can only be set before the session's first temp table, hence here.
 */
static int store_session(struct store *s, char *err, size_t errlen)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SET statement_timeout = %u; SET lock_timeout = %u; SET jit = off;"
             " SET temp_buffers = '32MB'",
             s->limits.statement_timeout_ms, s->limits.lock_timeout_ms);
    PGresult *res = PQexec(s->conn, sql);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? STORE_OK : STORE_ERROR;
    if (rc != STORE_OK)
        store_result_error(s, res, "setting the session parameters", err, errlen);
    PQclear(res);
    return rc;
}

/*
 * A failed connection's message on one line, naming the settings to look at when TLS
 * refused it (libpq says "certificate verify failed", "does not match host name", "root
 * certificate file ... does not exist", "SSL ..."; nothing customsd could fix by retrying).
 */
static void store_connect_error(struct store *s, char *err, size_t errlen)
{
    store_set_error(err, errlen, "connecting to PostgreSQL", PQerrorMessage(s->conn));
    for (char *c = err; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    if (strstr(err, "SSL") || strstr(err, "certificate")) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used,
                 " (TLS: check sslmode, sslrootcert and host in postgresql.conninfo)");
    }
}

/*
 * Read the schema release a database recorded into *have (schema.h; clear it with
 * schema_release_clear): the rows of customs.schema_migrations and the digest in
 * customs.schema_release, either table possibly missing. STORE_OK or STORE_ERROR.
 */
static int store_schema_read(struct store *s, struct schema_release *have, char *err, size_t errlen)
{
    memset(have, 0, sizeof(*have));
    PGresult *res = PQexec(s->conn, "SELECT to_regclass('customs.schema_migrations') IS NOT NULL,"
                                    " to_regclass('customs.schema_release') IS NOT NULL");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        store_result_error(s, res, "checking the schema release", err, errlen);
        PQclear(res);
        return STORE_ERROR;
    }
    have->migrated = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    bool has_release = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    PQclear(res);
    if (!have->migrated)
        return STORE_OK;

    res = PQexec(s->conn, "SELECT version, name FROM customs.schema_migrations ORDER BY version");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_result_error(s, res, "checking the schema release (customs.schema_migrations)", err,
                           errlen);
        PQclear(res);
        return STORE_ERROR;
    }
    size_t n = (size_t)PQntuples(res);
    have->migrations = calloc(n ? n : 1, sizeof(*have->migrations));
    if (!have->migrations) {
        PQclear(res);
        store_set_error(err, errlen, "checking the schema release", "out of memory");
        return STORE_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(have->migrations[i].version, sizeof(have->migrations[i].version), "%s",
                 PQgetvalue(res, (int)i, 0));
        snprintf(have->migrations[i].name, sizeof(have->migrations[i].name), "%s",
                 PQgetvalue(res, (int)i, 1));
    }
    have->n_migrations = n;
    PQclear(res);
    if (!has_release)
        return STORE_OK;

    res = PQexec(s->conn, "SELECT repeatable_sha256 FROM customs.schema_release");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_result_error(s, res, "checking the schema release (customs.schema_release)", err,
                           errlen);
        PQclear(res);
        schema_release_clear(have);
        return STORE_ERROR;
    }
    if (PQntuples(res) == 1)
        snprintf(have->repeatable_sha256, sizeof(have->repeatable_sha256), "%s",
                 PQgetvalue(res, 0, 0));
    PQclear(res);
    return STORE_OK;
}

/* Is the database at this customsd's schema release? STORE_OK, STORE_SCHEMA or STORE_ERROR. */
static int store_schema_check(struct store *s, char *err, size_t errlen)
{
    struct schema_release have;
    int rc = store_schema_read(s, &have, err, errlen);
    if (rc != STORE_OK)
        return rc;
    if (schema_compare(schema_expected(), &have, schema_migrate_path(), err, errlen) !=
        SCHEMA_MATCH)
        rc = STORE_SCHEMA;
    schema_release_clear(&have);
    return rc;
}

/* (Re)connect from scratch: a new session has no prepared statements, LISTEN or lock. */
static int store_connect(struct store *s, char *err, size_t errlen)
{
    /* The bounds come before dbname so a value the conninfo sets wins (the last value of
     * a keyword counts, and the conninfo is expanded in dbname's place); client_encoding
     * comes last so it overrides one in conninfo: the batch JSON we send is UTF-8.
     * expand_dbname = 1 lets `dbname` carry a full conninfo string or URI; an empty value
     * means the PG* environment variables. */
    char connect_timeout[16];
    snprintf(connect_timeout, sizeof(connect_timeout), "%u", s->limits.connect_timeout_s);
    const char *keys[] = {"connect_timeout",  "keepalives",
                          "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout",
                          "dbname",           "fallback_application_name",
                          "client_encoding",  NULL};
    const char *vals[] = {connect_timeout, "1",         "10",       "5",    "3",
                          "15000",         s->conninfo, "customsd", "UTF8", NULL};

    store_disconnect(s);
    s->relay_locked = false;
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn) {
        store_set_error(err, errlen, "connecting to PostgreSQL", "out of memory");
        return STORE_ERROR;
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        store_connect_error(s, err, errlen);
        return STORE_ERROR;
    }
    PQsetNoticeProcessor(s->conn, store_notice, NULL);
    pthread_mutex_lock(&store_registry_lock);
    s->cancel = PQgetCancel(s->conn);
    s->sock = PQsocket(s->conn);
    pthread_mutex_unlock(&store_registry_lock);
    store_busy(s, true);
    int rc = store_session(s, err, errlen);
    if (rc == STORE_OK)
        rc = store_schema_check(s, err, errlen);
    if (rc == STORE_OK)
        rc = store_prepare(s, err, errlen);
    store_busy(s, false);
    if (rc != STORE_OK) {
        /* Keep the session (it is fine); but a later store_reconnect must retry the
         * prepare, so drop it: the next call starts from scratch. */
        store_disconnect(s);
        return rc == STORE_SCHEMA ? STORE_SCHEMA : STORE_ERROR;
    }
    return STORE_OK;
}

int store_open(const char *conninfo, const struct store_limits *limits, const char *topic_events,
               const char *topic_receipts, struct store **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!topic_events || !*topic_events || !topic_receipts || !*topic_receipts) {
        store_set_error(err, errlen, "store", "event and receipt topics are required");
        return STORE_ERROR;
    }
    struct store *s = calloc(1, sizeof(*s));
    if (!s || !(s->conninfo = strdup(conninfo ? conninfo : "")) ||
        !(s->topic_events = strdup(topic_events)) ||
        !(s->topic_receipts = strdup(topic_receipts))) {
        store_close(s);
        store_set_error(err, errlen, "store", "out of memory");
        return STORE_ERROR;
    }
    s->limits = limits ? *limits : store_default_limits;
    s->sock = -1;
    pthread_mutex_lock(&store_registry_lock);
    s->next = store_registry;
    store_registry = s;
    pthread_mutex_unlock(&store_registry_lock);
    *out = s; /* even when the connection fails: the caller retries with store_reconnect */
    return store_connect(s, err, errlen);
}

int store_connected(const struct store *s)
{
    return s && s->conn && PQstatus(s->conn) == CONNECTION_OK;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&store_registry_lock);
    for (struct store **pp = &store_registry; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    pthread_mutex_unlock(&store_registry_lock);
    store_disconnect(s);
    free(s->conninfo);
    free(s->topic_events);
    free(s->topic_receipts);
    free(s);
}

int store_reconnect(struct store *s, char *err, size_t errlen)
{
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        return STORE_OK;
    if (s->in_txn) {
        /* A new session would not hold what the transaction did (its locks): the work of
         * the transaction is lost, never continued elsewhere. */
        store_set_error(err, errlen, "connection to PostgreSQL lost in a transaction",
                        s->conn ? PQerrorMessage(s->conn) : "not connected");
        return STORE_ERROR;
    }
    int rc = store_connect(s, err, errlen);
    if (rc == STORE_OK)
        log_info("connected to PostgreSQL (%s)", PQdb(s->conn));
    return rc;
}

/* Run a prepared statement; reconnects first when the connection was lost. The result is
 * the caller's (PQclear) when STORE_OK. */
int store_exec(struct store *s, const char *stmt, int nparams, const char *const *values,
               ExecStatusType want, PGresult **out, const char *what, char *err, size_t errlen)
{
    *out = NULL;
    int rc = store_reconnect(s, err, errlen);
    if (rc != STORE_OK)
        return rc;
    store_busy(s, true);
    PGresult *res = PQexecPrepared(s->conn, stmt, nparams, values, NULL, NULL, 0);
    store_busy(s, false);
    if (PQresultStatus(res) != want) {
        rc = store_failure(s, res, what, err, errlen);
        PQclear(res);
        return rc;
    }
    *out = res;
    return STORE_OK;
}

int store_check_idle(struct store *s, char *err, size_t errlen)
{
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
        return store_reconnect(s, err, errlen);
    struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};
    if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
        return STORE_OK; /* nothing arrived: up, as far as anyone can tell without asking */
    if (!PQconsumeInput(s->conn) || PQstatus(s->conn) != CONNECTION_OK) {
        store_set_error(err, errlen, "connection to PostgreSQL lost", PQerrorMessage(s->conn));
        return STORE_ERROR;
    }
    PGnotify *n;
    while ((n = PQnotifies(s->conn)))
        PQfreemem(n);
    return STORE_OK;
}

/* --- rules and offsets ------------------------------------------------------------------ */

int store_register_rules(struct store *s, const char *version, const char *text, char *err,
                         size_t errlen)
{
    const char *values[] = {version, text};
    PGresult *res;
    if (store_exec(s, "store_register_rules", 2, values, PGRES_COMMAND_OK, &res,
                   "recording the rule set", err, errlen) != STORE_OK)
        return STORE_ERROR;
    PQclear(res);
    return STORE_OK;
}

/* Append "{a,b,c}" (a PostgreSQL array literal of integers) to a malloc'd string. */
char *store_int_array(const int64_t *v, size_t n)
{
    size_t cap = 2 + n * 21 + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[len++] = '{';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%" PRId64, i ? "," : "", v[i]);
    buf[len++] = '}';
    buf[len] = '\0';
    return buf;
}

int store_load_offsets(struct store *s, const char *group, const char *topic,
                       const int32_t *partitions, size_t n, int64_t *offsets_out, char *err,
                       size_t errlen)
{
    int64_t *wide = malloc((n ? n : 1) * sizeof(*wide));
    if (!wide) {
        store_set_error(err, errlen, "loading offsets", "out of memory");
        return STORE_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        wide[i] = partitions[i];
        offsets_out[i] = -1;
    }
    char *array = store_int_array(wide, n);
    free(wide);
    if (!array) {
        store_set_error(err, errlen, "loading offsets", "out of memory");
        return STORE_ERROR;
    }
    const char *values[] = {group, topic, array};
    PGresult *res;
    int rc = store_exec(s, "store_load_offsets", 3, values, PGRES_TUPLES_OK, &res,
                        "loading offsets", err, errlen);
    free(array);
    if (rc != STORE_OK)
        return rc;
    for (int row = 0; row < PQntuples(res); row++) {
        long partition = strtol(PQgetvalue(res, row, 0), NULL, 10);
        int64_t next = strtoll(PQgetvalue(res, row, 1), NULL, 10);
        for (size_t i = 0; i < n; i++)
            if (partitions[i] == partition)
                offsets_out[i] = next;
    }
    PQclear(res);
    return STORE_OK;
}

/* --- batch ------------------------------------------------------------------------------ */

/* The statement that opens the stage table and starts the COPY of a batch's rows, and the
 * size of the pieces the rows go in. */
#define STORE_COPY_CHUNK ((size_t)1 << 20)
static const char store_stage_sql[] =
    "SELECT customs.apply_batch_stage_open(); COPY " BATCH_STAGE_TABLE " (" BATCH_STAGE_COLUMNS
    ") FROM STDIN";

int store_apply_batch_send(struct store *s, const char *group, const struct batch_record *records,
                           size_t n_records, const struct batch_offset *offsets, size_t n_offsets,
                           char *err, size_t errlen)
{
    char why[256];
    char *rows;
    size_t len;
    if (batch_stage_rows(records, n_records, &rows, &len, why, sizeof(why)) < 0) {
        store_set_error(err, errlen, "applying a batch", why);
        return STORE_ERROR;
    }
    return store_apply_batch_send_rows(s, group, rows, len, offsets, n_offsets, err, errlen);
}

int store_apply_batch_send_rows(struct store *s, const char *group, char *rows, size_t len,
                                const struct batch_offset *offsets, size_t n_offsets, char *err,
                                size_t errlen)
{
    char why[256];
    char *fences =
        batch_fences(offsets, n_offsets, s->topic_events, s->topic_receipts, why, sizeof(why));
    if (!fences) {
        free(rows);
        store_set_error(err, errlen, "applying a batch", why);
        return STORE_ERROR;
    }
    if (!s->in_txn) {
        free(rows);
        free(fences);
        store_set_error(err, errlen, "applying a batch", "not in a transaction");
        return STORE_ERROR;
    }
    int rc = store_reconnect(s, err, errlen);
    if (rc != STORE_OK) {
        free(rows);
        free(fences);
        return rc;
    }
    store_busy(s, true); /* until store_apply_batch_wait: the call is open */
    /* The stage table opened and the COPY started: one round trip, then the rows go. */
    PGresult *r = NULL;
    if (PQsendQuery(s->conn, store_stage_sql)) {
        for (PGresult *x; (x = PQgetResult(s->conn));) {
            ExecStatusType st = PQresultStatus(x);
            if (st == PGRES_COPY_IN) {
                PQclear(x);
                break;
            }
            if (st != PGRES_TUPLES_OK && !r) {
                r = x; /* the first failure; the results up to the end are read */
                continue;
            }
            PQclear(x);
        }
        for (size_t off = 0; !r && off < len; off += STORE_COPY_CHUNK) {
            size_t n = len - off < STORE_COPY_CHUNK ? len - off : STORE_COPY_CHUNK;
            if (PQputCopyData(s->conn, rows + off, (int)n) != 1)
                r = PQmakeEmptyPGresult(s->conn, PGRES_FATAL_ERROR);
        }
        if (!r && PQputCopyEnd(s->conn, NULL) != 1)
            r = PQmakeEmptyPGresult(s->conn, PGRES_FATAL_ERROR);
    } else {
        r = PQmakeEmptyPGresult(s->conn, PGRES_FATAL_ERROR);
    }
    free(rows);
    if (r) {
        free(fences);
        store_busy(s, false);
        rc = store_failure(s, r, "applying a batch", err, errlen);
        PQclear(r);
        return rc;
    }
    s->sent = true;
    s->staging = true;
    s->fences = fences;
    s->group = group;
    return STORE_OK;
}

/*
 * The COPY of the batch sent: once its result is in (waiting for it when `block`), the
 * batch itself goes (apply_batch_staged), or the failure is kept in s->failed. Returns
 * false when the COPY's result is still to come (only when not `block`).
 */
static bool store_staged(struct store *s, bool block)
{
    while (s->staging) {
        /* A broken connection makes PQgetResult return at once: no wait then. */
        if (!block && PQconsumeInput(s->conn) && PQisBusy(s->conn))
            return false;
        PGresult *x = PQgetResult(s->conn);
        if (!x) { /* the COPY's statement is over */
            s->staging = false;
            if (!s->failed) {
                const char *values[] = {s->group, s->fences};
                if (!PQsendQueryPrepared(s->conn, "store_apply_batch", 2, values, NULL, NULL, 0))
                    s->failed = PQmakeEmptyPGresult(s->conn, PGRES_FATAL_ERROR);
            }
            free(s->fences);
            s->fences = NULL;
            break;
        }
        if (PQresultStatus(x) != PGRES_COMMAND_OK && !s->failed)
            s->failed = x;
        else
            PQclear(x);
    }
    return true;
}

bool store_apply_batch_ready(struct store *s)
{
    if (!s->sent)
        return true;
    if (!store_staged(s, false))
        return false;
    return s->failed || !PQconsumeInput(s->conn) || !PQisBusy(s->conn);
}

int store_apply_batch_wait(struct store *s, size_t n_records, struct batch_result *res,
                           struct batch_report *report, char *err, size_t errlen)
{
    struct batch_result counts;
    char why[256];

    if (res)
        memset(res, 0, sizeof(*res));
    for (size_t i = 0; report && i < n_records; i++)
        report->outcomes[i] = (struct batch_outcome){.code = BATCH_OUT_UNKNOWN, .status = -1};
    if (report)
        report->n_earlier = 0;
    if (!s->sent) {
        store_set_error(err, errlen, "applying a batch", "no batch was sent");
        return STORE_ERROR;
    }
    store_staged(s, true);
    PGresult *r = s->failed;
    s->failed = NULL;
    if (!r) {
        /* The one result, then NULL: the connection is free again after it. */
        r = PQgetResult(s->conn);
        for (PGresult *more; (more = PQgetResult(s->conn));)
            PQclear(more);
    }
    store_batch_reset(s);
    store_busy(s, false);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        int rc = STORE_ERROR;
        if (state && strcmp(state, STORE_SQLSTATE_FENCED) == 0)
            rc = STORE_FENCED;
        else if (state && PQstatus(s->conn) == CONNECTION_OK &&
                 (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
                  strncmp(state, "P0", 2) == 0 || strcmp(state, STORE_SQLSTATE_REFUSED) == 0))
            rc = STORE_REJECTED; /* about the data, not the database: split, don't retry */
        if (rc != STORE_ERROR)
            store_result_error(s, r, "applying a batch", err, errlen);
        else
            rc = store_failure(s, r, "applying a batch", err, errlen);
        PQclear(r);
        return rc;
    }
    const char *answer = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : NULL;
    if (report) {
        /* Committed, whatever the answer says: with an unreadable report the outcomes stay
         * BATCH_OUT_UNKNOWN (the caller then says "not reported") and the counts are kept
         * when they could be read; the caller must not re-apply (the fence would refuse). */
        if (batch_answer_parse(answer, n_records, &counts, report, why, sizeof(why)) < 0)
            log_warn("applying a batch: committed, but the per-record report of "
                     "customs.apply_batch is unreadable (%s): its parcels are logged without "
                     "their outcome",
                     why);
        if (res)
            *res = counts;
    } else if (batch_result_parse(answer, &counts) < 0) {
        log_warn("applying a batch: committed, but the result of customs.apply_batch is "
                 "unreadable");
    } else if (res) {
        *res = counts;
    }
    PQclear(r);
    return STORE_OK;
}

int store_apply_batch(struct store *s, const char *group, const struct batch_record *records,
                      size_t n_records, const struct batch_offset *offsets, size_t n_offsets,
                      struct batch_result *res, struct batch_report *report, char *err,
                      size_t errlen)
{
    bool own = !s->in_txn; /* the batch's transaction, begun and ended here */
    int rc = own ? store_begin(s, err, errlen) : STORE_OK;
    if (rc == STORE_OK)
        rc = store_apply_batch_send(s, group, records, n_records, offsets, n_offsets, err, errlen);
    if (rc == STORE_OK) {
        rc = store_apply_batch_wait(s, n_records, res, report, err, errlen);
    } else {
        if (res)
            memset(res, 0, sizeof(*res));
        for (size_t i = 0; report && i < n_records; i++)
            report->outcomes[i] = (struct batch_outcome){.code = BATCH_OUT_UNKNOWN, .status = -1};
        if (report)
            report->n_earlier = 0;
    }
    return own ? store_finish(s, rc, err, errlen) : rc;
}

/* --- transactions around a batch (pre-check 19) ---------------------------------------- */

/* Run a plain command (BEGIN, COMMIT, ROLLBACK) on the open connection. */
static int store_command(struct store *s, const char *sql, char *err, size_t errlen)
{
    store_busy(s, true);
    PGresult *r = PQexec(s->conn, sql);
    store_busy(s, false);
    int rc = STORE_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = store_failure(s, r, sql, err, errlen);
    else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        /* COMMIT of a failed transaction answers ROLLBACK: nothing was written. */
        store_set_error(err, errlen, "COMMIT", "the transaction had failed and was rolled back");
        rc = STORE_ERROR;
    }
    PQclear(r);
    return rc;
}

int store_begin(struct store *s, char *err, size_t errlen)
{
    int rc = store_reconnect(s, err, errlen);
    if (rc != STORE_OK)
        return rc;
    rc = store_command(s, "BEGIN", err, errlen);
    s->in_txn = rc == STORE_OK;
    return rc;
}

int store_finish(struct store *s, int rc, char *err, size_t errlen)
{
    if (!s->in_txn)
        return rc;
    s->in_txn = false;
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        if (rc == STORE_OK) {
            store_set_error(err, errlen, "connection to PostgreSQL lost before COMMIT",
                            s->conn ? PQerrorMessage(s->conn) : "not connected");
            rc = STORE_ERROR;
        }
        return rc;
    }
    if (rc == STORE_OK)
        return store_command(s, "COMMIT", err, errlen);
    char ignored[256];
    if (store_command(s, "ROLLBACK", ignored, sizeof(ignored)) != STORE_OK)
        store_disconnect(s); /* whatever state it is in, a new session starts clean */
    return rc;
}

/*
 * One prepared statement returning one text value, in the open transaction: STORE_OK with
 * *answer (heap), STORE_REJECTED for a value the database refuses (SQLSTATE class 22 or
 * 23), else as store_failure; `what` names the call in errors.
 */
static int store_txn_text(struct store *s, const char *stmt, int n, const char *const *values,
                          const char *what, char **answer, char *err, size_t errlen)
{
    *answer = NULL;
    if (!s->in_txn) {
        store_set_error(err, errlen, what, "not in a transaction");
        return STORE_ERROR;
    }
    int rc = store_reconnect(s, err, errlen);
    if (rc != STORE_OK)
        return rc;
    store_busy(s, true);
    PGresult *r = PQexecPrepared(s->conn, stmt, n, values, NULL, NULL, 0);
    store_busy(s, false);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state && PQstatus(s->conn) == CONNECTION_OK &&
            (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)) {
            store_result_error(s, r, what, err, errlen);
            rc = STORE_REJECTED;
        } else {
            rc = store_failure(s, r, what, err, errlen);
        }
        PQclear(r);
        return rc;
    }
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        *answer = util_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!*answer) {
        store_set_error(err, errlen, what, "no answer (or out of memory)");
        return STORE_ERROR;
    }
    return STORE_OK;
}

int store_matching_due(struct store *s, int limit, unsigned deadline_hours, char **answer,
                       char *err, size_t errlen)
{
    char tlimit[24], thours[24];
    snprintf(tlimit, sizeof(tlimit), "%d", limit);
    snprintf(thours, sizeof(thours), "%u", deadline_hours);
    const char *values[] = {tlimit, thours};
    return store_txn_text(s, "store_matching_due", 2, values, "taking the parcels due for matching",
                          answer, err, errlen);
}

int store_matching_apply(struct store *s, const char *decisions, char **answer, char *err,
                         size_t errlen)
{
    const char *values[] = {decisions};
    return store_txn_text(s, "store_matching_apply", 1, values, "recording matching decisions",
                          answer, err, errlen);
}

int store_unique_holders(struct store *s, const char *request, char **answer, char *err,
                         size_t errlen)
{
    const char *values[] = {request};
    *answer = NULL;
    if (!s->in_txn) {
        store_set_error(err, errlen, "looking up unique keys", "not in a transaction");
        return STORE_ERROR;
    }
    int rc = store_reconnect(s, err, errlen);
    if (rc != STORE_OK)
        return rc;
    store_busy(s, true);
    PGresult *r = PQexecPrepared(s->conn, "store_unique_holders", 1, values, NULL, NULL, 0);
    store_busy(s, false);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state && PQstatus(s->conn) == CONNECTION_OK &&
            (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)) {
            store_result_error(s, r, "looking up unique keys", err, errlen);
            rc = STORE_REJECTED; /* a value of the batch the database cannot take */
        } else {
            rc = store_failure(s, r, "looking up unique keys", err, errlen);
        }
        PQclear(r);
        return rc;
    }
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        *answer = util_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!*answer) {
        store_set_error(err, errlen, "looking up unique keys", "no answer (or out of memory)");
        return STORE_ERROR;
    }
    return STORE_OK;
}

static void *store_cancel_thread(void *arg)
{
    PGcancel *cancel = arg;
    char why[256];

    if (!PQcancel(cancel, why, (int)sizeof(why)))
        log_warn("cancelling a database call: %s", why);
    PQfreeCancel(cancel);
    return NULL;
}

void store_interrupt_all(int hard, int min_busy_ms)
{
    int64_t now = now_ms();
    pthread_mutex_lock(&store_registry_lock);
    for (struct store *s = store_registry; s; s = s->next) {
        if (!s->busy_since || now - s->busy_since < min_busy_ms || s->interrupted >= (hard ? 2 : 1))
            continue;
        /* A hard interrupt closes the connection: a cancel request would add nothing. The
         * cancel object moves to the thread (a connection cancels at most one call; the
         * hard interrupt still works for the next). */
        if (!hard && s->interrupted < 1 && s->cancel) {
            pthread_t t;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&t, &attr, store_cancel_thread, s->cancel) == 0)
                s->cancel = NULL; /* owned by the thread now */
            else
                log_warn("cancelling a database call: no thread; its connection will be closed");
            pthread_attr_destroy(&attr);
        }
        if (hard && s->sock >= 0) {
            log_warn("a database call has not answered for %lld ms: closing its connection",
                     (long long)(now - s->busy_since));
            shutdown(s->sock, SHUT_RDWR); /* the blocked call sees the connection closed */
        }
        s->interrupted = hard ? 2 : 1;
    }
    pthread_mutex_unlock(&store_registry_lock);
}

/*
 * libpq's parse error with what it quotes from the connection string replaced by
 * "(hidden)" (it may be a piece of a password), but for "=" and the name of an unknown
 * option (useful, and a name, not a value).
 */
static void conninfo_redact(const char *msg, char *out, size_t outlen)
{
    bool names = strncmp(msg, "invalid connection option", 25) == 0 ||
                 strncmp(msg, "invalid URI query parameter", 27) == 0;
    size_t w = 0;
    const char *p = msg;
    while (*p && w + 1 < outlen) {
        const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
        if (!close || names || (close == p + 2 && p[1] == '=')) {
            size_t n = close ? (size_t)(close - p) + 1 : 1;
            if (n > outlen - 1 - w)
                n = outlen - 1 - w;
            memcpy(out + w, p, n);
            w += n;
            p += close ? (size_t)(close - p) + 1 : 1;
            continue;
        }
        w += (size_t)snprintf(out + w, outlen - w, "\"(hidden)\"");
        if (w >= outlen)
            w = outlen - 1;
        p = close + 1;
    }
    out[w] = '\0';
}

int store_check_conninfo(const char *conninfo, char *why, size_t whylen)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);

    if (opts) {
        PQconninfoFree(opts);
        return 0;
    }
    if (msg)
        conninfo_redact(msg, why, whylen);
    else
        snprintf(why, whylen, "cannot parse the connection string");
    PQfreemem(msg);
    size_t n = strlen(why);
    while (n > 0 && why[n - 1] == '\n') /* libpq ends its messages with one */
        why[--n] = '\0';
    return -1;
}
