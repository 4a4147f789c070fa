/*
 * store.c - the PostgreSQL adapter (libpq), see store.h.
 *
 * A batch becomes one JSON document (format: the comment on customs.apply_batch in
 * sql/004_scans_amendments.sql, which replaced 002's) and one call of the prepared statement
 * `SELECT customs.apply_batch($1, $2::jsonb)`, which runs as a single-statement implicit
 * transaction: everything of the batch commits together or nothing does, and the whole
 * batch costs one round trip. The set-based work (classification, inserts, outbox) happens
 * in SQL.
 *
 * Decimals travel as strings from decimal_format, never as doubles; PostgreSQL reads them
 * into numeric(19,5) exactly.
 */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "decimal.h"
#include "log.h"
#include "util.h"

/* LISTEN/NOTIFY channel that apply_batch notifies once per batch that wrote outbox rows. */
#define STORE_CHANNEL "customs_outbox"

/* Session advisory lock key of the relay lease: "customsd" read as a big-endian int64. */
#define STORE_RELAY_LOCK_KEY "7166761325952856932"

/* SQLSTATE apply_batch raises when an offset fence fails (sql/002_apply_batch.sql). */
#define STORE_SQLSTATE_FENCED "CS001"
/* SQLSTATE of a transition the status state machine refuses (sql/003_state_machine.sql).
 * apply_batch records the refusals it expects instead of raising; one that escapes is about
 * a record's data, so the batch is split like for a constraint violation. */
#define STORE_SQLSTATE_REFUSED "CS010"

struct store {
    PGconn *conn;
    char *conninfo;
    char *topic_events;
    char *topic_receipts;
    bool relay_locked; /* this session holds the relay advisory lock */
};

/* Prepared statements: made once per connection (store_connect). */
static const struct {
    const char *name;
    const char *sql;
    int nparams;
} store_statements[] = {
    {"store_apply_batch", "SELECT customs.apply_batch($1, $2::jsonb)", 2},
    {"store_load_offsets",
     "SELECT partition, next_offset FROM customs.consumer_offsets"
     " WHERE group_id = $1 AND topic = $2 AND partition = ANY ($3::integer[])",
     3},
    {"store_register_rules",
     "INSERT INTO customs.rule_set_versions (version, text) VALUES ($1, $2)"
     " ON CONFLICT (version) DO NOTHING",
     2},
    {"store_outbox_fetch",
     "SELECT id, topic, key, payload::text FROM customs.outbox"
     " WHERE published_at IS NULL ORDER BY id LIMIT $1",
     1},
    {"store_outbox_mark",
     "UPDATE customs.outbox SET published_at = now()"
     " WHERE id = ANY ($1::bigint[]) AND published_at IS NULL",
     1},
};

/* --- errors ----------------------------------------------------------------------------- */

/* Copy a libpq message into err without its trailing newline(s). */
static void store_set_error(char *err, size_t errlen, const char *what, const char *msg)
{
    if (!err || errlen == 0)
        return;
    int n = snprintf(err, errlen, "%s: %s", what, msg && *msg ? msg : "unknown error");
    size_t len = n < 0 ? 0 : (size_t)n < errlen ? (size_t)n : errlen - 1;
    while (len > 0 && (err[len - 1] == '\n' || err[len - 1] == ' '))
        err[--len] = '\0';
}

/* "what: primary message (SQLSTATE xxxxx)" from a failed result, or the connection error. */
static void store_result_error(struct store *s, const PGresult *res, const char *what, char *err,
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

/* (Re)connect from scratch: a new session has no prepared statements, LISTEN or lock. */
static int store_connect(struct store *s, char *err, size_t errlen)
{
    /* client_encoding comes last so it overrides one in conninfo: the batch JSON we send
     * is UTF-8. expand_dbname = 1 lets `dbname` carry a full conninfo string or URI; an
     * empty value means the PG* environment variables. */
    const char *keys[] = {"dbname", "fallback_application_name", "client_encoding", NULL};
    const char *vals[] = {s->conninfo, "customsd", "UTF8", NULL};

    PQfinish(s->conn);
    s->relay_locked = false;
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn) {
        store_set_error(err, errlen, "connecting to PostgreSQL", "out of memory");
        return STORE_ERROR;
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        store_set_error(err, errlen, "connecting to PostgreSQL", PQerrorMessage(s->conn));
        return STORE_ERROR;
    }
    PQsetNoticeProcessor(s->conn, store_notice, NULL);
    if (store_prepare(s, err, errlen) != STORE_OK) {
        /* Keep the session (it is fine); but a later store_reconnect must retry the
         * prepare, so drop it: the next call starts from scratch. */
        PQfinish(s->conn);
        s->conn = NULL;
        return STORE_ERROR;
    }
    return STORE_OK;
}

int store_open(const char *conninfo, const char *topic_events, const char *topic_receipts,
               struct store **out, char *err, size_t errlen)
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
    *out = s; /* even when the connection fails: the caller retries with store_reconnect */
    return store_connect(s, err, errlen);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    PQfinish(s->conn);
    free(s->conninfo);
    free(s->topic_events);
    free(s->topic_receipts);
    free(s);
}

int store_reconnect(struct store *s, char *err, size_t errlen)
{
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        return STORE_OK;
    int rc = store_connect(s, err, errlen);
    if (rc == STORE_OK)
        log_info("connected to PostgreSQL (%s)", PQdb(s->conn));
    return rc;
}

/* Run a prepared statement; reconnects first when the connection was lost. The result is
 * the caller's (PQclear) when STORE_OK. */
static int store_exec(struct store *s, const char *stmt, int nparams, const char *const *values,
                      ExecStatusType want, PGresult **out, const char *what, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (store_reconnect(s, err, errlen) != STORE_OK)
        return STORE_ERROR;
    PGresult *res = PQexecPrepared(s->conn, stmt, nparams, values, NULL, NULL, 0);
    if (PQresultStatus(res) != want) {
        store_result_error(s, res, what, err, errlen);
        PQclear(res);
        return STORE_ERROR;
    }
    *out = res;
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
static char *store_int_array(const int64_t *v, size_t n)
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

/* The fields apply_batch reads from the decoded declaration (everything else is in the
 * raw payload). Names are the CEB603 names the SQL function expects. */
enum store_field_kind { SF_STRING, SF_DECIMAL, SF_INTEGER };

struct store_field {
    const char *name;
    enum store_field_kind kind;
    size_t offset;
};

#define SF_HEAD(n, k)                                                                              \
    {                                                                                              \
#n, k, offsetof(struct declaration, n)                                                     \
    }
#define SF_ITEM(n, k)                                                                              \
    {                                                                                              \
#n, k, offsetof(struct decl_item, n)                                                       \
    }

static const struct store_field store_head_fields[] = {
    SF_HEAD(guid, SF_STRING),         SF_HEAD(appType, SF_STRING),
    SF_HEAD(appTime, SF_STRING),      SF_HEAD(appStatus, SF_STRING),
    SF_HEAD(customsCode, SF_STRING),  SF_HEAD(ebpCode, SF_STRING),
    SF_HEAD(orderNo, SF_STRING),      SF_HEAD(logisticsCode, SF_STRING),
    SF_HEAD(logisticsNo, SF_STRING),  SF_HEAD(copNo, SF_STRING),
    SF_HEAD(ieFlag, SF_STRING),       SF_HEAD(portCode, SF_STRING),
    SF_HEAD(ieDate, SF_STRING),       SF_HEAD(statisticsFlag, SF_STRING),
    SF_HEAD(agentCode, SF_STRING),    SF_HEAD(ebcCode, SF_STRING),
    SF_HEAD(ebcName, SF_STRING),      SF_HEAD(ownerCode, SF_STRING),
    SF_HEAD(tradeMode, SF_STRING),    SF_HEAD(trafMode, SF_STRING),
    SF_HEAD(country, SF_STRING),      SF_HEAD(POD, SF_STRING),
    SF_HEAD(freight, SF_DECIMAL),     SF_HEAD(insuredFee, SF_DECIMAL),
    SF_HEAD(fCurrency, SF_STRING),    SF_HEAD(iCurrency, SF_STRING),
    SF_HEAD(wrapType, SF_STRING),     SF_HEAD(packNo, SF_INTEGER),
    SF_HEAD(grossWeight, SF_DECIMAL), SF_HEAD(netWeight, SF_DECIMAL),
};

static const struct store_field store_item_fields[] = {
    SF_ITEM(gnum, SF_INTEGER),    SF_ITEM(itemNo, SF_STRING),  SF_ITEM(itemRecordNo, SF_STRING),
    SF_ITEM(itemName, SF_STRING), SF_ITEM(gcode, SF_STRING),   SF_ITEM(gname, SF_STRING),
    SF_ITEM(gmodel, SF_STRING),   SF_ITEM(barCode, SF_STRING), SF_ITEM(country, SF_STRING),
    SF_ITEM(currency, SF_STRING), SF_ITEM(qty, SF_DECIMAL),    SF_ITEM(unit, SF_STRING),
    SF_ITEM(qty1, SF_DECIMAL),    SF_ITEM(unit1, SF_STRING),   SF_ITEM(qty2, SF_DECIMAL),
    SF_ITEM(unit2, SF_STRING),    SF_ITEM(price, SF_DECIMAL),  SF_ITEM(totalPrice, SF_DECIMAL),
};

/* Add a member whose key is a string literal and not yet present (json-c fast path). */
static int store_json_add(struct json_object *obj, const char *key, struct json_object *val)
{
    if (!val)
        return -1;
    if (json_object_object_add_ex(obj, key, val,
                                  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT)) {
        json_object_put(val);
        return -1;
    }
    return 0;
}

static int store_json_add_string(struct json_object *obj, const char *key, const char *v)
{
    return v ? store_json_add(obj, key, json_object_new_string(v)) : 0;
}

/* Absent fields are left out (SQL reads them as NULL). */
static int store_json_add_fields(struct json_object *obj, const void *base,
                                 const struct store_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)base + fields[i].offset;
        int rc = 0;
        switch (fields[i].kind) {
        case SF_STRING:
            rc = store_json_add_string(obj, fields[i].name, *(char *const *)(const void *)p);
            break;
        case SF_DECIMAL: {
            const struct decl_decimal *d = (const struct decl_decimal *)(const void *)p;
            if (d->present) {
                char buf[DECIMAL_TEXT_MAX];
                size_t len = decimal_format(d->value, buf, sizeof(buf));
                rc = store_json_add(obj, fields[i].name, json_object_new_string_len(buf, (int)len));
            }
            break;
        }
        case SF_INTEGER: {
            const struct decl_integer *v = (const struct decl_integer *)(const void *)p;
            if (v->present)
                rc = store_json_add(obj, fields[i].name, json_object_new_int64(v->value));
            break;
        }
        }
        if (rc)
            return -1;
    }
    return 0;
}

/* Valid UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) with no NUL. */
static bool store_text_ok(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

static struct json_object *store_json_reasons(const struct decision *dec)
{
    struct json_object *arr = json_object_new_array_ext((int)dec->n_reasons);
    if (!arr)
        return NULL;
    for (size_t i = 0; i < dec->n_reasons; i++) {
        const struct reason *r = &dec->reasons[i];
        struct json_object *o = json_object_new_object();
        if (!o || json_object_array_add(arr, o)) {
            json_object_put(o);
            json_object_put(arr);
            return NULL;
        }
        /* value: what a threshold rule computed ("263.31 EUR"), so officers can query it. */
        if (store_json_add_string(o, "rule_id", r->rule_id) ||
            store_json_add_string(o, "action", rule_action_name(r->action)) ||
            store_json_add_string(o, "severity", rule_severity_name(r->severity)) ||
            store_json_add_string(o, "message", r->message) ||
            (r->value && store_json_add_string(o, "value", r->value))) {
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

/* The common part of both record kinds. */
static struct json_object *store_json_record(const char *kind, const struct batch_record *r)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    if (store_json_add_string(o, "kind", kind) || store_json_add_string(o, "topic", r->topic) ||
        store_json_add(o, "partition", json_object_new_int(r->partition)) ||
        store_json_add(o, "offset", json_object_new_int64(r->offset)) ||
        store_json_add(o, "timestamp_ms", json_object_new_int64(r->timestamp_ms))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* A record kept byte-exact: base64 of the value (the value may hold any bytes). */
static struct json_object *store_json_quarantine(const struct batch_record *r, const char *key,
                                                 const char *reason)
{
    if (r->value_len > (size_t)INT_MAX / 4 * 3 - 3)
        return NULL;
    size_t b64len = 4 * ((r->value_len + 2) / 3);
    char *b64 = malloc(b64len + 1);
    struct json_object *o = b64 ? store_json_record("quarantine", r) : NULL;
    if (!o) {
        free(b64);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)b64, r->value, (int)r->value_len);
    int rc = store_json_add(o, "raw_b64", json_object_new_string_len(b64, (int)b64len)) ||
             store_json_add_string(o, "reason", reason) ||
             (key && store_json_add_string(o, "logisticsNo", key));
    free(b64);
    if (rc) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static struct json_object *store_json_declaration(const struct batch_record *r)
{
    const struct declaration *d = r->decl;
    const char *key = d->logisticsNo ? d->logisticsNo : r->key;
    char sha[65];

    if (!store_text_ok(r->value, r->value_len)) {
        /* The decoder accepts only valid UTF-8 JSON, so this is a caller bug; still, the
         * raw text cannot go into a text column, and refusing the whole batch would stall
         * the partition for good. Keep the record instead. */
        return store_json_quarantine(
            r, key, "record value is not storable text (NUL byte or invalid UTF-8)");
    }
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return NULL;

    /* Each child is attached as soon as it exists, so freeing `o` frees everything. */
    struct json_object *o = store_json_record("declaration", r);
    if (!o)
        return NULL;
    struct json_object *decl = json_object_new_object();
    if (store_json_add(o, "decl", decl))
        goto fail;
    struct json_object *items = json_object_new_array_ext((int)d->n_items);
    if (store_json_add(decl, "items", items))
        goto fail;
    if (store_json_add_string(o, "logisticsNo", key) || store_json_add_string(o, "sha256", sha) ||
        store_json_add(o, "payload",
                       json_object_new_string_len((const char *)r->value, (int)r->value_len)) ||
        store_json_add(o, "status_code", json_object_new_int(r->decision->status_code)) ||
        store_json_add_string(o, "rules_version", r->decision->rules_version) ||
        store_json_add(o, "reasons", store_json_reasons(r->decision)) ||
        store_json_add_fields(decl, d, store_head_fields, ARRAY_SIZE(store_head_fields)))
        goto fail;
    for (size_t i = 0; i < d->n_items; i++) {
        struct json_object *it = json_object_new_object();
        if (!it || json_object_array_add(items, it)) {
            json_object_put(it);
            goto fail;
        }
        if (store_json_add_fields(it, &d->items[i], store_item_fields,
                                  ARRAY_SIZE(store_item_fields)))
            goto fail;
    }
    return o;
fail:
    json_object_put(o);
    return NULL;
}

/* A warehouse scan: the decoded fields apply_batch reads, plus the raw value (kept in
 * customs.warehouse_scans) and its SHA-256. */
static struct json_object *store_json_scan(const struct batch_record *r)
{
    const struct warehouse_scan *sc = r->scan;
    const char *key = sc->logisticsNo ? sc->logisticsNo : r->key;
    char sha[65];

    if (!store_text_ok(r->value, r->value_len)) /* as for declarations: a caller bug */
        return store_json_quarantine(
            r, key, "record value is not storable text (NUL byte or invalid UTF-8)");
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return NULL;
    struct json_object *o = store_json_record("scan", r);
    if (!o)
        return NULL;
    if (store_json_add_string(o, "logisticsNo", key) ||
        store_json_add_string(o, "scan", scan_kind_name(sc->kind)) ||
        store_json_add_string(o, "scannedAt", sc->scanned_at) ||
        store_json_add_string(o, "loctNo", sc->loctNo) ||
        store_json_add_string(o, "totalPackageNo", sc->totalPackageNo) ||
        store_json_add_string(o, "sha256", sha) ||
        store_json_add(o, "payload",
                       json_object_new_string_len((const char *)r->value, (int)r->value_len))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* Build the batch document; NULL with err set on a bad record or out of memory. */
static struct json_object *store_json_batch(struct store *s, const struct batch_record *records,
                                            size_t n_records, const struct batch_offset *offsets,
                                            size_t n_offsets, char *err, size_t errlen)
{
    struct json_object *root = json_object_new_object();
    struct json_object *offs = json_object_new_array_ext((int)n_offsets);
    struct json_object *recs = json_object_new_array_ext((int)n_records);
    if (!root || !offs || !recs) {
        json_object_put(offs);
        json_object_put(recs);
        goto oom;
    }
    if (store_json_add(root, "offsets", offs)) {
        json_object_put(recs);
        goto oom;
    }
    if (store_json_add(root, "records", recs))
        goto oom;
    if (store_json_add_string(root, "topic_events", s->topic_events) ||
        store_json_add_string(root, "topic_receipts", s->topic_receipts))
        goto oom;

    for (size_t i = 0; i < n_offsets; i++) {
        struct json_object *o = json_object_new_object();
        if (!o || json_object_array_add(offs, o)) {
            json_object_put(o);
            goto oom;
        }
        if (store_json_add_string(o, "topic", offsets[i].topic) ||
            store_json_add(o, "partition", json_object_new_int(offsets[i].partition)) ||
            store_json_add(o, "expected", json_object_new_int64(offsets[i].expected)) ||
            store_json_add(o, "next", json_object_new_int64(offsets[i].next)))
            goto oom;
    }
    for (size_t i = 0; i < n_records; i++) {
        const struct batch_record *r = &records[i];
        struct json_object *o;
        if (!r->topic || (!r->value && r->value_len)) {
            store_set_error(err, errlen, "applying a batch", "record without topic or value");
            json_object_put(root);
            return NULL;
        }
        if (r->kind == BATCH_DECLARATION) {
            if (!r->decl || !r->decision) {
                store_set_error(err, errlen, "applying a batch",
                                "declaration record without declaration or decision");
                json_object_put(root);
                return NULL;
            }
            o = store_json_declaration(r);
        } else if (r->kind == BATCH_SCAN) {
            if (!r->scan || !r->scan->scanned_at || (!r->scan->logisticsNo && !r->key)) {
                store_set_error(err, errlen, "applying a batch",
                                "scan record without scan, scannedAt or logisticsNo");
                json_object_put(root);
                return NULL;
            }
            o = store_json_scan(r);
        } else {
            o = store_json_quarantine(r, r->key, r->reason ? r->reason : "unknown");
        }
        if (!o)
            goto oom;
        if (json_object_array_add(recs, o)) {
            json_object_put(o);
            goto oom;
        }
    }
    return root;
oom:
    json_object_put(root);
    store_set_error(err, errlen, "applying a batch", "out of memory building the batch");
    return NULL;
}

static size_t store_json_count(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    int64_t n = json_object_get_int64(v);
    return n > 0 ? (size_t)n : 0;
}

int store_apply_batch(struct store *s, const char *group, const struct batch_record *records,
                      size_t n_records, const struct batch_offset *offsets, size_t n_offsets,
                      struct batch_result *res, char *err, size_t errlen)
{
    if (res)
        memset(res, 0, sizeof(*res));
    if (n_records > INT_MAX || n_offsets > INT_MAX) {
        store_set_error(err, errlen, "applying a batch", "batch too large");
        return STORE_ERROR;
    }
    struct json_object *root =
        store_json_batch(s, records, n_records, offsets, n_offsets, err, errlen);
    if (!root)
        return STORE_ERROR;
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text) {
        json_object_put(root);
        store_set_error(err, errlen, "applying a batch", "out of memory serialising the batch");
        return STORE_ERROR;
    }

    if (store_reconnect(s, err, errlen) != STORE_OK) {
        json_object_put(root);
        return STORE_ERROR;
    }
    const char *values[] = {group, text};
    PGresult *r = PQexecPrepared(s->conn, "store_apply_batch", 2, values, NULL, NULL, 0);
    json_object_put(root); /* text belonged to root */

    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        int rc = STORE_ERROR;
        if (state && strcmp(state, STORE_SQLSTATE_FENCED) == 0)
            rc = STORE_FENCED;
        else if (state && PQstatus(s->conn) == CONNECTION_OK &&
                 (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
                  strncmp(state, "P0", 2) == 0 || strcmp(state, STORE_SQLSTATE_REFUSED) == 0))
            rc = STORE_REJECTED; /* about the data, not the database: split, don't retry */
        store_result_error(s, r, "applying a batch", err, errlen);
        PQclear(r);
        return rc;
    }
    struct json_object *counts = NULL;
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        counts = json_tokener_parse(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!counts) {
        /* Committed, but the answer was unreadable: report success without counts rather
         * than have the caller re-apply (which the fence would refuse anyway). */
        log_warn("applying a batch: unreadable result from customs.apply_batch");
        return STORE_OK;
    }
    if (res) {
        res->declarations = store_json_count(counts, "declarations");
        res->duplicates = store_json_count(counts, "duplicates");
        res->conflicts = store_json_count(counts, "conflicts");
        res->quarantined = store_json_count(counts, "quarantined");
        res->events = store_json_count(counts, "events");
        res->amendments = store_json_count(counts, "amendments");
        res->cancellations = store_json_count(counts, "cancellations");
        res->refused = store_json_count(counts, "refused");
        res->scans = store_json_count(counts, "scans");
        res->pending_scans = store_json_count(counts, "pending_scans");
    }
    json_object_put(counts);
    return STORE_OK;
}

/* --- outbox relay ----------------------------------------------------------------------- */

int store_relay_lock(struct store *s)
{
    char err[256];
    if (store_reconnect(s, err, sizeof(err)) != STORE_OK) {
        log_warn("outbox relay lease: %s", err);
        return STORE_ERROR;
    }
    if (s->relay_locked)
        return 1; /* session locks stack; take it once per session */
    PGresult *res =
        PQexec(s->conn, "SELECT pg_try_advisory_lock(" STORE_RELAY_LOCK_KEY "::bigint)");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        store_result_error(s, res, "taking the outbox relay lease", err, sizeof(err));
        log_warn("%s", err);
        PQclear(res);
        return STORE_ERROR;
    }
    s->relay_locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return s->relay_locked ? 1 : 0;
}

int store_listen(struct store *s)
{
    char err[256];
    if (store_reconnect(s, err, sizeof(err)) != STORE_OK) {
        log_warn("listening on %s: %s", STORE_CHANNEL, err);
        return STORE_ERROR;
    }
    PGresult *res = PQexec(s->conn, "LISTEN " STORE_CHANNEL);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        store_result_error(s, res, "LISTEN " STORE_CHANNEL, err, sizeof(err));
        log_warn("%s", err);
    }
    PQclear(res);
    return ok ? STORE_OK : STORE_ERROR;
}

/* Drop every queued notification; 1 if one was for our channel. */
static int store_drain_notifies(struct store *s)
{
    int got = 0;
    PGnotify *n;
    while ((n = PQnotifies(s->conn))) {
        if (strcmp(n->relname, STORE_CHANNEL) == 0)
            got = 1;
        PQfreemem(n);
    }
    return got;
}

int store_wait_notify(struct store *s, int timeout_ms)
{
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
        return STORE_ERROR;
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        /* Notifications may have arrived with an earlier query's result: look first. */
        if (!PQconsumeInput(s->conn))
            return STORE_ERROR;
        if (store_drain_notifies(s))
            return 1;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};
        if (pfd.fd < 0)
            return STORE_ERROR;
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno != EINTR)
            return STORE_ERROR;
    }
}

int store_outbox_fetch(struct store *s, size_t limit, struct outbox_event **out, size_t *n,
                       char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    char lim[32];
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *values[] = {lim};
    PGresult *res;
    if (store_exec(s, "store_outbox_fetch", 1, values, PGRES_TUPLES_OK, &res,
                   "fetching outbox events", err, errlen) != STORE_OK)
        return STORE_ERROR;
    size_t rows = (size_t)PQntuples(res);
    struct outbox_event *ev = calloc(rows ? rows : 1, sizeof(*ev));
    if (!ev)
        goto oom;
    for (size_t i = 0; i < rows; i++) {
        ev[i].id = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
        ev[i].topic = strdup(PQgetvalue(res, (int)i, 1));
        ev[i].key = PQgetisnull(res, (int)i, 2) ? NULL : strdup(PQgetvalue(res, (int)i, 2));
        ev[i].payload = strdup(PQgetvalue(res, (int)i, 3));
        if (!ev[i].topic || !ev[i].payload || (!ev[i].key && !PQgetisnull(res, (int)i, 2))) {
            store_outbox_free(ev, i + 1);
            goto oom;
        }
    }
    PQclear(res);
    *out = ev;
    *n = rows;
    return STORE_OK;
oom:
    PQclear(res);
    store_set_error(err, errlen, "fetching outbox events", "out of memory");
    return STORE_ERROR;
}

void store_outbox_free(struct outbox_event *ev, size_t n)
{
    if (!ev)
        return;
    for (size_t i = 0; i < n; i++) {
        free(ev[i].topic);
        free(ev[i].key);
        free(ev[i].payload);
    }
    free(ev);
}

int store_outbox_mark_published(struct store *s, const int64_t *ids, size_t n, char *err,
                                size_t errlen)
{
    if (n == 0)
        return STORE_OK;
    char *array = store_int_array(ids, n);
    if (!array) {
        store_set_error(err, errlen, "marking outbox events published", "out of memory");
        return STORE_ERROR;
    }
    const char *values[] = {array};
    PGresult *res;
    int rc = store_exec(s, "store_outbox_mark", 1, values, PGRES_COMMAND_OK, &res,
                        "marking outbox events published", err, errlen);
    free(array);
    if (rc == STORE_OK)
        PQclear(res);
    return rc;
}

int store_check_conninfo(const char *conninfo, char *why, size_t whylen)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);

    if (opts) {
        PQconninfoFree(opts);
        return 0;
    }
    snprintf(why, whylen, "%s", msg ? msg : "cannot parse the connection string");
    PQfreemem(msg);
    size_t n = strlen(why);
    while (n > 0 && why[n - 1] == '\n') /* libpq ends its messages with one */
        why[--n] = '\0';
    return -1;
}
