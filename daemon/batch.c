/*
 * batch.c - build a batch as customsd sends it (the staged rows that COPY writes into the
 * apply_batch stage table, and the fences document), and read the answer of
 * customs.apply_batch_staged() (the counts and the per-record report of what was recorded).
 * See batch.h for the format.
 *
 * json-c keeps members in insertion order, so the JSON values' key order is the order of
 * the calls below (jsonb does not care; it only makes the text reproducible). Decimals
 * travel as strings from decimal_format, never as doubles, so PostgreSQL reads them into
 * numeric(19,5) exactly.
 */
#include "batch.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "decimal.h"
#include "json_strict.h"
#include "util.h"

/* The reason a declaration or scan is kept as a quarantine record (batch.h). */
#define BATCH_NOT_TEXT "record value is not storable text (NUL byte or invalid UTF-8)"

/* Add a member whose key is a string literal and not yet present (json-c fast path). */
static int batch_add(struct json_object *obj, const char *key, struct json_object *val)
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

/* A string member; nothing when v is NULL (absent). */
static int batch_add_string(struct json_object *obj, const char *key, const char *v)
{
    return v ? batch_add(obj, key, json_object_new_string(v)) : 0;
}

/* Room for a field's text: a decimal (decimal_format) or a 64-bit integer. */
#define FIELD_TEXT_MAX (DECIMAL_TEXT_MAX > 24 ? DECIMAL_TEXT_MAX : 24)

/*
 * Field f of a header or item (declaration.h) as text in *len bytes: a string as it is, a
 * decimal (N19,5) in decimal_format's canonical form, an integer in decimal digits (both
 * written into buf); NULL when the field is absent. The one reading of a field's value for
 * the JSON objects and the row literals below.
 */
static const char *field_text(const void *base, const struct decl_field *f,
                              char buf[FIELD_TEXT_MAX], size_t *len)
{
    switch (f->kind) {
    case DECL_STRING: {
        const char *v = decl_get_string(base, f);
        *len = v ? strlen(v) : 0;
        return v;
    }
    case DECL_DECIMAL: {
        const struct decl_decimal *d = decl_get_decimal(base, f);
        if (!d->present)
            return NULL;
        *len = decimal_format(d->value, buf, FIELD_TEXT_MAX);
        return buf;
    }
    case DECL_INTEGER: {
        const struct decl_integer *v = decl_get_integer(base, f);
        if (!v->present)
            return NULL;
        *len = (size_t)snprintf(buf, FIELD_TEXT_MAX, "%lld", v->value);
        return buf;
    }
    }
    return NULL;
}

/* The COLUMN fields of a header or item (declaration.h); absent fields are left out;
 * integers as JSON numbers, strings and decimals as JSON strings. */
static int batch_add_fields(struct json_object *obj, const void *base,
                            const struct decl_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct decl_field *f = &fields[i];
        char buf[FIELD_TEXT_MAX];
        size_t len;
        const char *t = f->column ? field_text(base, f, buf, &len) : NULL;
        if (!t)
            continue;
        struct json_object *v = f->kind == DECL_INTEGER
                                    ? json_object_new_int64(decl_get_integer(base, f)->value)
                                    : json_object_new_string_len(t, (int)len);
        if (batch_add(obj, f->name, v))
            return -1;
    }
    return 0;
}

/*
 * The decision's reasons: [{"rule_id", "action", "severity", "message", "message_zh"?,
 * "value"?}].
 */
struct json_object *batch_reasons(const struct decision *dec)
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
        if (batch_add_string(o, "rule_id", r->rule_id) ||
            batch_add_string(o, "action", rule_action_name(r->action)) ||
            batch_add_string(o, "severity", rule_severity_name(r->severity)) ||
            batch_add_string(o, "message", r->message) ||
            batch_add_string(o, "message_zh", r->message_zh) ||
            batch_add_string(o, "value", r->value)) {
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

/* ---- the staged rows: COPY text format (PostgreSQL "COPY ... FROM STDIN", text) ---- */

/* A growing buffer; `oom` once an allocation failed (everything after is dropped). */
struct stage_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static bool sb_reserve(struct stage_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (more > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return false;
    }
    if (b->len + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64 * 1024;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void sb_raw(struct stage_buf *b, const char *s, size_t n)
{
    if (sb_reserve(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

/*
 * One column of a row: NULL is \N; text is escaped as COPY's text format wants it:
 * backslash, newline, carriage return and tab as \\ \n \r \t, every other byte as is (the
 * values are UTF-8 without NUL: json_strict_text, the decoders). Columns after the first
 * are preceded by a tab.
 */
static void sb_col(struct stage_buf *b, bool first, const char *s, size_t n)
{
    if (!first)
        sb_raw(b, "\t", 1);
    if (!s) {
        sb_raw(b, "\\N", 2);
        return;
    }
    if (!sb_reserve(b, 2 * n))
        return;
    char *o = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '\\':
            *o++ = '\\';
            *o++ = '\\';
            break;
        case '\n':
            *o++ = '\\';
            *o++ = 'n';
            break;
        case '\r':
            *o++ = '\\';
            *o++ = 'r';
            break;
        case '\t':
            *o++ = '\\';
            *o++ = 't';
            break;
        default:
            *o++ = c;
        }
    }
    b->len = (size_t)(o - b->p);
}

/* The columns of one row, in BATCH_STAGE_COLUMNS order; NULL members are SQL NULL. */
enum stage_col {
    SC_SEQ,
    SC_KIND,
    SC_TOPIC,
    SC_PARTITION,
    SC_OFFSET,
    SC_TS,
    SC_LOGISTICS_NO,
    SC_COP_NO,
    SC_GUID,
    SC_APP_TYPE,
    SC_SHA256,
    SC_PAYLOAD,
    SC_STATUS_CODE,
    SC_RULES_VERSION,
    SC_REASONS,
    SC_DECL,
    SC_INVENTORY,
    SC_RAW,
    SC_REASON,
    SC_SCAN,
    SC_SCANNED_AT,
    SC_LOCT_NO,
    SC_TOTAL_PACKAGE_NO,
    SC_COUNT
};

struct stage_row {
    const char *v[SC_COUNT];
    size_t n[SC_COUNT]; /* lengths of v (0: strlen) */
};

static void row_set(struct stage_row *row, enum stage_col c, const char *v)
{
    row->v[c] = v;
    row->n[c] = 0;
}

static void row_set_len(struct stage_row *row, enum stage_col c, const char *v, size_t n)
{
    row->v[c] = v;
    row->n[c] = n;
}

static void sb_row(struct stage_buf *b, const struct stage_row *row)
{
    for (int c = 0; c < SC_COUNT; c++) {
        const char *v = row->v[c];
        sb_col(b, c == 0, v, v ? (row->n[c] ? row->n[c] : strlen(v)) : 0);
    }
    sb_raw(b, "\n", 1);
}

/* A json-c value as compact JSON text (malloc'd), or NULL when out of memory; puts `v`. */
static char *batch_json_text(struct json_object *v)
{
    if (!v)
        return NULL;
    const char *s =
        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *t = s ? strdup(s) : NULL;
    json_object_put(v);
    return t;
}

/*
 * The columns every row starts with: seq (1-based), kind, where the record was consumed
 * and its timestamp ("2024-05-12 02:30:00.123+00", NULL when there is none or it is beyond
 * year 9999). `seq` and `ts` are the caller's buffers.
 */
static void row_start(struct stage_row *row, const char *kind, const struct batch_record *r,
                      size_t seq, char seqbuf[24], char partbuf[16], char offbuf[24],
                      char tsbuf[40])
{
    memset(row, 0, sizeof(*row));
    snprintf(seqbuf, 24, "%zu", seq);
    snprintf(partbuf, 16, "%" PRId32, r->partition);
    snprintf(offbuf, 24, "%" PRId64, r->offset);
    row_set(row, SC_SEQ, seqbuf);
    row_set(row, SC_KIND, kind);
    row_set(row, SC_TOPIC, r->topic);
    row_set(row, SC_PARTITION, partbuf);
    row_set(row, SC_OFFSET, offbuf);
    if (r->timestamp_ms >= 0) {
        time_t sec = (time_t)(r->timestamp_ms / 1000);
        struct tm tm;
        if (gmtime_r(&sec, &tm) && tm.tm_year + 1900 <= 9999) {
            snprintf(tsbuf, 40, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00",
                     (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
                     tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
                     (int)(r->timestamp_ms % 1000));
            row_set(row, SC_TS, tsbuf);
        }
    }
}

/* The value of a record that is stored as text (payload) and its SHA-256. */
static void row_payload(struct stage_row *row, const struct batch_record *r, const char *sha)
{
    row_set_len(row, SC_PAYLOAD, r->value_len ? (const char *)r->value : "", r->value_len);
    row_set(row, SC_SHA256, sha);
}

/* A record kept byte-exact: raw as bytea in hex ("\x00ff..."), the reason, the key if any. */
static int stage_quarantine(struct stage_buf *b, const struct batch_record *r, size_t seq,
                            const char *key, const char *reason)
{
    char seqbuf[24], partbuf[16], offbuf[24], tsbuf[40];
    struct stage_row row;
    static const char hex[] = "0123456789abcdef";
    if (r->value_len > (SIZE_MAX - 3) / 2)
        return -1;
    char *raw = malloc(2 * r->value_len + 3);
    if (!raw)
        return -1;
    raw[0] = '\\';
    raw[1] = 'x';
    const unsigned char *v = r->value;
    for (size_t i = 0; i < r->value_len; i++) {
        raw[2 + 2 * i] = hex[v[i] >> 4];
        raw[3 + 2 * i] = hex[v[i] & 15];
    }
    row_start(&row, "quarantine", r, seq, seqbuf, partbuf, offbuf, tsbuf);
    row_set_len(&row, SC_RAW, raw, 2 + 2 * r->value_len);
    row_set(&row, SC_REASON, reason);
    row_set(&row, SC_LOGISTICS_NO, key);
    sb_row(b, &row);
    free(raw);
    return 0;
}

/*
 * The decoded fields of a record as compact JSON text (malloc'd; NULL when out of memory):
 * {"items": [LINE, ...], HEAD...} when `with_lines` (n_lines structs of line_size bytes at
 * `lines`, each by `line_table`), else {HEAD...}; absent fields left out (batch_add_fields).
 * The `decl` column of a declaration and of an order, waybill or payment (batch.h).
 */
static char *batch_fields_text(const void *head, const struct decl_field *head_table, size_t n_head,
                               bool with_lines, const void *lines, size_t n_lines, size_t line_size,
                               const struct decl_field *line_table, size_t n_line_fields)
{
    struct json_object *obj = json_object_new_object();
    if (!obj)
        return NULL;
    if (with_lines) {
        struct json_object *arr = json_object_new_array_ext((int)n_lines);
        if (batch_add(obj, "items", arr))
            goto fail;
        for (size_t i = 0; i < n_lines; i++) {
            struct json_object *it = json_object_new_object();
            if (!it || json_object_array_add(arr, it)) {
                json_object_put(it);
                goto fail;
            }
            if (batch_add_fields(it, (const char *)lines + i * line_size, line_table,
                                 n_line_fields))
                goto fail;
        }
    }
    if (batch_add_fields(obj, head, head_table, n_head))
        goto fail;
    return batch_json_text(obj);
fail:
    json_object_put(obj);
    return NULL;
}

/*
 * Row and array literals, as PostgreSQL's record_in and array_in read them: a value in
 * double quotes with " and \ backslash-escaped (always quoted, so that an empty string is
 * not NULL and no character is special), NULL as nothing between the commas.
 */
static void sb_quoted(struct stage_buf *b, const char *s, size_t n)
{
    if (n > SIZE_MAX / 2 - 2 || !sb_reserve(b, 2 * n + 2))
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            *o++ = '\\';
        *o++ = s[i];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

/* The COLUMN fields of a header or item (declaration.h), in table order, as the fields of
 * a row literal, each after a comma but the very first (*first). */
static void sb_fields_literal(struct stage_buf *b, const void *base,
                              const struct decl_field *fields, size_t n, bool *first)
{
    for (size_t i = 0; i < n; i++) {
        const struct decl_field *f = &fields[i];
        if (!f->column)
            continue;
        if (!*first)
            sb_raw(b, ",", 1);
        *first = false;
        char buf[FIELD_TEXT_MAX];
        size_t len;
        const char *t = field_text(base, f, buf, &len);
        if (t && f->kind == DECL_STRING)
            sb_quoted(b, t, len);
        else if (t) /* digits, '.', '-': nothing to quote */
            sb_raw(b, t, len);
    }
}

/* Scratch buffers for the literals of one batch (reused record after record). */
struct stage_scratch {
    struct stage_buf inv, arr, item;
};

/*
 * A declaration's COLUMN fields as a customs.ceb603_inventory row literal (sql/
 * 023_ceb603_inventory_type.sql; attributes in declaration.h's order), in x->inv:
 * (HEAD...,"{\"(ITEM...)\",...}"). Returns false when out of memory.
 */
static bool batch_inventory_literal(struct stage_scratch *x, const struct declaration *d)
{
    bool first = true;
    x->inv.len = x->arr.len = 0;
    sb_raw(&x->inv, "(", 1);
    sb_fields_literal(&x->inv, d, decl_head_fields, decl_head_field_count, &first);
    sb_raw(&x->arr, "{", 1);
    for (size_t i = 0; i < d->n_items; i++) {
        bool item_first = true;
        if (i)
            sb_raw(&x->arr, ",", 1);
        x->item.len = 0;
        sb_raw(&x->item, "(", 1);
        sb_fields_literal(&x->item, &d->items[i], decl_item_fields, decl_item_field_count,
                          &item_first);
        sb_raw(&x->item, ")", 1);
        if (!x->item.oom)
            sb_quoted(&x->arr, x->item.p, x->item.len);
    }
    sb_raw(&x->arr, "}", 1);
    sb_raw(&x->inv, ",", 1);
    if (!x->arr.oom)
        sb_quoted(&x->inv, x->arr.p, x->arr.len);
    sb_raw(&x->inv, ")", 1);
    return !x->inv.oom && !x->arr.oom && !x->item.oom;
}

/* A decided declaration: its COLUMN fields (inventory), the raw value and the decision. */
static int stage_declaration(struct stage_buf *b, struct stage_scratch *x,
                             const struct batch_record *r, size_t seq)
{
    const struct declaration *d = r->decl;
    const char *key = d->logisticsNo ? d->logisticsNo : r->key;
    char seqbuf[24], partbuf[16], offbuf[24], tsbuf[40], status[16], sha[65];
    struct stage_row row;

    if (!json_strict_text(r->value, r->value_len)) {
        /* The decoder accepts only valid UTF-8, so this is a caller bug; still, the raw text
         * cannot go into a text column, and refusing the whole batch would stall the
         * partition for good. Keep the record instead. */
        return stage_quarantine(b, r, seq, key, BATCH_NOT_TEXT);
    }
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return -1;
    char *reasons = batch_json_text(batch_reasons(r->decision));
    int rc = -1;
    if (reasons && batch_inventory_literal(x, d)) {
        row_start(&row, "declaration", r, seq, seqbuf, partbuf, offbuf, tsbuf);
        snprintf(status, sizeof(status), "%d", r->decision->status_code);
        row_set(&row, SC_LOGISTICS_NO, key);
        row_set(&row, SC_COP_NO, d->copNo);
        row_set(&row, SC_GUID, d->guid);
        row_set(&row, SC_APP_TYPE, d->appType);
        row_payload(&row, r, sha);
        row_set(&row, SC_STATUS_CODE, status);
        row_set(&row, SC_RULES_VERSION, r->decision->rules_version);
        row_set(&row, SC_REASONS, reasons);
        row_set_len(&row, SC_INVENTORY, x->inv.p, x->inv.len);
        sb_row(b, &row);
        rc = 0;
    }
    free(reasons);
    return rc;
}

/* A warehouse scan: the decoded fields apply_batch reads, the raw value and its SHA-256. */
static int stage_scan(struct stage_buf *b, const struct batch_record *r, size_t seq)
{
    const struct warehouse_scan *sc = r->scan;
    const char *key = sc->logisticsNo ? sc->logisticsNo : r->key;
    char seqbuf[24], partbuf[16], offbuf[24], tsbuf[40], sha[65];
    struct stage_row row;

    if (!json_strict_text(r->value, r->value_len)) /* as for declarations: a caller bug */
        return stage_quarantine(b, r, seq, key, BATCH_NOT_TEXT);
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return -1;
    row_start(&row, "scan", r, seq, seqbuf, partbuf, offbuf, tsbuf);
    row_set(&row, SC_LOGISTICS_NO, key);
    row_set(&row, SC_SCAN, scan_kind_name(sc->kind));
    row_set(&row, SC_SCANNED_AT, sc->scanned_at);
    row_set(&row, SC_LOCT_NO, sc->loctNo);
    row_set(&row, SC_TOTAL_PACKAGE_NO, sc->totalPackageNo);
    row_payload(&row, r, sha);
    sb_row(b, &row);
    return 0;
}

/* The problems of a rejected document as reasons: [{"rule_id": "CEB303-FORMAT", "action":
 * "reject", "severity": "high", "message": problem, "message_zh"}], one per kept problem and
 * one saying how many more there were. */
static struct json_object *batch_document_reasons(const struct document *doc)
{
    char rule[32], more[64];
    snprintf(rule, sizeof(rule), "%s-FORMAT", doc->spec->standard);
    size_t kept = doc->n_problems < DOC_MAX_PROBLEMS ? doc->n_problems : DOC_MAX_PROBLEMS;
    struct json_object *arr = json_object_new_array_ext((int)kept + 1);
    if (!arr)
        return NULL;
    for (size_t i = 0; i <= kept; i++) {
        const char *msg = doc->problems[i < kept ? i : 0];
        if (i == kept) {
            if (doc->n_problems == kept)
                break;
            snprintf(more, sizeof(more), "and %zu more", doc->n_problems - kept);
            msg = more;
        }
        struct json_object *o = json_object_new_object();
        if (!o || json_object_array_add(arr, o)) {
            json_object_put(o);
            json_object_put(arr);
            return NULL;
        }
        if (batch_add_string(o, "rule_id", rule) || batch_add_string(o, "action", "reject") ||
            batch_add_string(o, "severity", "high") || batch_add_string(o, "message", msg) ||
            batch_add_string(o, "message_zh", "报文格式不符")) {
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

/* An order, waybill or payment: its fields, the raw value, and 120 or 100 with reasons. */
static int stage_document(struct stage_buf *b, const struct batch_record *r, size_t seq)
{
    const struct document *doc = r->doc;
    const struct doc_spec *sp = doc->spec;
    char seqbuf[24], partbuf[16], offbuf[24], tsbuf[40], sha[65];
    struct stage_row row;

    if (!json_strict_text(r->value, r->value_len)) /* as for declarations: a caller bug */
        return stage_quarantine(b, r, seq, NULL, BATCH_NOT_TEXT);
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return -1;
    char *doc_text =
        batch_fields_text(doc->head, sp->head, sp->n_head, sp->lines_name != NULL, doc->lines,
                          doc->n_lines, sp->line_size, sp->lines, sp->n_lines);
    char *reasons =
        batch_json_text(doc->n_problems ? batch_document_reasons(doc) : json_object_new_array());
    int rc = -1;
    if (doc_text && reasons) {
        row_start(&row, sp->name, r, seq, seqbuf, partbuf, offbuf, tsbuf);
        row_payload(&row, r, sha);
        row_set(&row, SC_STATUS_CODE, doc->n_problems ? "100" : "120");
        row_set(&row, SC_REASONS, reasons);
        row_set(&row, SC_DECL, doc_text);
        sb_row(b, &row);
        rc = 0;
    }
    free(doc_text);
    free(reasons);
    return rc;
}

/* A caller bug in a record (batch.h), or NULL when the record is well-formed. */
static const char *batch_record_bug(const struct batch_record *r)
{
    if (!r->topic || (!r->value && r->value_len))
        return "record without topic or value";
    if (r->kind == BATCH_DECLARATION && (!r->decl || !r->decision))
        return "declaration record without declaration or decision";
    if (r->kind == BATCH_SCAN &&
        (!r->scan || !r->scan->scanned_at || (!r->scan->logisticsNo && !r->key)))
        return "scan record without scan, scannedAt or logisticsNo";
    if (r->kind == BATCH_DOCUMENT && !r->doc)
        return "document record without document";
    return NULL;
}

/* One record's row (seq: its 1-based position); -1 when out of memory. */
static int stage_record(struct stage_buf *b, struct stage_scratch *x, const struct batch_record *r,
                        size_t seq)
{
    switch (r->kind) {
    case BATCH_DECLARATION:
        return stage_declaration(b, x, r, seq);
    case BATCH_SCAN:
        return stage_scan(b, r, seq);
    case BATCH_DOCUMENT:
        return stage_document(b, r, seq);
    case BATCH_QUARANTINE:
        break;
    }
    return stage_quarantine(b, r, seq, r->key, r->reason ? r->reason : "unknown");
}

int batch_stage_rows(const struct batch_record *records, size_t n_records, char **rows, size_t *len,
                     char *err, size_t errlen)
{
    *rows = NULL;
    *len = 0;
    for (size_t i = 0; i < n_records; i++) {
        const char *bug = batch_record_bug(&records[i]);
        if (bug) {
            snprintf(err, errlen, "%s", bug);
            return -1;
        }
    }
    struct stage_buf b = {0};
    struct stage_scratch x;
    memset(&x, 0, sizeof(x));
    sb_reserve(&b, 1); /* a batch without records is "" */
    for (size_t i = 0; i < n_records && !b.oom; i++) {
        if (stage_record(&b, &x, &records[i], i + 1) < 0)
            b.oom = true;
    }
    free(x.inv.p);
    free(x.arr.p);
    free(x.item.p);
    if (b.oom) {
        free(b.p);
        snprintf(err, errlen, "out of memory building the batch");
        return -1;
    }
    b.p[b.len] = '\0'; /* sb_reserve kept a byte for it: cap > len */
    *rows = b.p;
    *len = b.len;
    return 0;
}

/* The offset fences: [{"topic", "partition", "expected", "next"}]. */
static int batch_add_offsets(struct json_object *offs, const struct batch_offset *offsets,
                             size_t n_offsets)
{
    for (size_t i = 0; i < n_offsets; i++) {
        struct json_object *o = json_object_new_object();
        if (!o || json_object_array_add(offs, o)) {
            json_object_put(o);
            return -1;
        }
        if (batch_add_string(o, "topic", offsets[i].topic) ||
            batch_add(o, "partition", json_object_new_int(offsets[i].partition)) ||
            batch_add(o, "expected", json_object_new_int64(offsets[i].expected)) ||
            batch_add(o, "next", json_object_new_int64(offsets[i].next)))
            return -1;
    }
    return 0;
}

char *batch_fences(const struct batch_offset *offsets, size_t n_offsets, const char *topic_events,
                   const char *topic_receipts, char *err, size_t errlen)
{
    if (n_offsets > INT_MAX) {
        snprintf(err, errlen, "batch too large");
        return NULL;
    }
    struct json_object *root = json_object_new_object();
    struct json_object *offs = json_object_new_array_ext((int)n_offsets);
    if (!root)
        json_object_put(offs);
    if (!root || batch_add(root, "offsets", offs) || batch_add_offsets(offs, offsets, n_offsets) ||
        batch_add_string(root, "topic_events", topic_events) ||
        batch_add_string(root, "topic_receipts", topic_receipts)) {
        json_object_put(root);
        snprintf(err, errlen, "out of memory building the batch");
        return NULL;
    }
    char *text = batch_json_text(root);
    if (!text)
        snprintf(err, errlen, "out of memory serialising the batch");
    return text;
}

/* A count of the answer: present and positive, else 0. */
static size_t batch_count(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    int64_t n = json_object_get_int64(v);
    return n > 0 ? (size_t)n : 0;
}

/* The counts of the answer object into *res. */
static void batch_counts(struct json_object *counts, struct batch_result *res)
{
    res->declarations = batch_count(counts, "declarations");
    res->duplicates = batch_count(counts, "duplicates");
    res->conflicts = batch_count(counts, "conflicts");
    res->quarantined = batch_count(counts, "quarantined");
    res->events = batch_count(counts, "events");
    res->amendments = batch_count(counts, "amendments");
    res->cancellations = batch_count(counts, "cancellations");
    res->refused = batch_count(counts, "refused");
    res->scans = batch_count(counts, "scans");
    res->pending_scans = batch_count(counts, "pending_scans");
    res->documents = batch_count(counts, "documents");
    res->document_duplicates = batch_count(counts, "document_duplicates");
    res->documents_rejected = batch_count(counts, "documents_rejected");
}

int batch_result_parse(const char *text, struct batch_result *res)
{
    memset(res, 0, sizeof(*res));
    struct json_object *counts = text ? json_tokener_parse(text) : NULL;
    if (!counts || !json_object_is_type(counts, json_type_object)) {
        json_object_put(counts);
        return -1;
    }
    batch_counts(counts, res);
    json_object_put(counts);
    return 0;
}

/* ---- the per-record report of the answer ---- */

/* The letters of "outcomes" (batch.h), indexed by enum batch_outcome_code. */
static const char batch_letters[] = "?ADMCXRQSPVJ";

char batch_outcome_letter(enum batch_outcome_code code)
{
    return (size_t)code < sizeof(batch_letters) - 1 ? batch_letters[code] : '?';
}

/* The code of a letter, or BATCH_OUT_UNKNOWN when it is none of them. */
static enum batch_outcome_code batch_outcome_code(char c)
{
    for (size_t k = 1; k < sizeof(batch_letters) - 1; k++)
        if (batch_letters[k] == c)
            return (enum batch_outcome_code)k;
    return BATCH_OUT_UNKNOWN;
}

/* Copy note into dst (BATCH_NOTE_MAX bytes), cut at a UTF-8 character boundary. */
static void batch_note_copy(char *dst, const char *src, size_t len)
{
    if (len >= BATCH_NOTE_MAX) {
        len = BATCH_NOTE_MAX - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--; /* src[len] would start the cut: back to the start of its character */
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void batch_outcomes_reset(struct batch_outcome *outcomes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        outcomes[i].code = BATCH_OUT_UNKNOWN;
        outcomes[i].status = -1;
        outcomes[i].note[0] = '\0';
    }
}

/* One "details" entry into outcomes[]; *next is the lowest index it may name. */
static int batch_detail(struct json_object *d, size_t k, size_t n_records,
                        struct batch_outcome *outcomes, size_t *next, char *err, size_t errlen)
{
    struct json_object *v;
    if (!json_object_is_type(d, json_type_object))
        return util_errf(err, errlen, "details[%zu]: not an object", k);
    if (!json_object_object_get_ex(d, "i", &v) || !json_object_is_type(v, json_type_int))
        return util_errf(err, errlen, "details[%zu]: no integer \"i\"", k);
    int64_t i = json_object_get_int64(v);
    if (i < 0 || (uint64_t)i >= n_records || (size_t)i < *next)
        return util_errf(err, errlen,
                         "details[%zu]: \"i\" %" PRId64 " is not a later record of %zu", k, i,
                         n_records);
    *next = (size_t)i + 1;
    struct batch_outcome *o = &outcomes[i];
    if (json_object_object_get_ex(d, "status", &v)) {
        int64_t st = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || st < 0 || st > 999)
            return util_errf(err, errlen, "details[%zu]: \"status\" is not a status code", k);
        o->status = (int)st;
    }
    if (json_object_object_get_ex(d, "note", &v)) {
        if (!json_object_is_type(v, json_type_string))
            return util_errf(err, errlen, "details[%zu]: \"note\" is not a string", k);
        batch_note_copy(o->note, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    }
    return 0;
}

/* The report ("outcomes", "details") of the answer object into outcomes[]. */
static int batch_report(struct json_object *ans, size_t n_records, struct batch_outcome *outcomes,
                        char *err, size_t errlen)
{
    struct json_object *v;
    if (!json_object_object_get_ex(ans, "outcomes", &v) ||
        !json_object_is_type(v, json_type_string))
        return util_errf(err, errlen, "answer has no \"outcomes\" string");
    const char *letters = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (n != n_records)
        return util_errf(err, errlen, "outcomes has %zu letters for %zu records", n, n_records);
    for (size_t i = 0; i < n; i++) {
        outcomes[i].code = batch_outcome_code(letters[i]);
        if (outcomes[i].code == BATCH_OUT_UNKNOWN) {
            unsigned char c = (unsigned char)letters[i];
            if (c >= 0x20 && c < 0x7f)
                return util_errf(err, errlen, "unknown outcome '%c' for record %zu", c, i);
            return util_errf(err, errlen, "unknown outcome 0x%02x for record %zu", c, i);
        }
    }
    if (!json_object_object_get_ex(ans, "details", &v))
        v = NULL; /* none: valid when every record is A, D, C or P (checked below) */
    else if (!json_object_is_type(v, json_type_array))
        return util_errf(err, errlen, "details is not an array");
    size_t nd = v ? json_object_array_length(v) : 0, next = 0;
    for (size_t k = 0; k < nd; k++)
        if (batch_detail(json_object_array_get_idx(v, k), k, n_records, outcomes, &next, err,
                         errlen) < 0)
            return -1;
    for (size_t i = 0; i < n; i++) {
        const struct batch_outcome *o = &outcomes[i];
        bool need_status = o->code == BATCH_OUT_AMENDED || o->code == BATCH_OUT_CANCELLED ||
                           o->code == BATCH_OUT_CONFLICT || o->code == BATCH_OUT_SCAN ||
                           o->code == BATCH_OUT_DOC_REJECTED;
        bool need_note = o->code == BATCH_OUT_REFUSED || o->code == BATCH_OUT_QUARANTINED ||
                         o->code == BATCH_OUT_DOC_STORED || o->code == BATCH_OUT_DOC_REJECTED;
        if (need_status && o->status < 0)
            return util_errf(err, errlen, "record %zu (outcome %c): no status", i, letters[i]);
        if (need_note && !o->note[0])
            return util_errf(err, errlen, "record %zu (outcome %c): no note", i, letters[i]);
    }
    return 0;
}

/* A string member of at most max - 1 bytes (and at least one) into dst. */
static int batch_get_text(struct json_object *o, const char *key, char *dst, size_t max)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return -1;
    size_t len = (size_t)json_object_get_string_len(v);
    if (len == 0 || len >= max)
        return -1;
    memcpy(dst, json_object_get_string(v), len + 1);
    return 0;
}

/* A non-negative integer member. */
static int batch_get_count(struct json_object *o, const char *key, int64_t max, int64_t *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return -1;
    *out = json_object_get_int64(v);
    return *out >= 0 && *out <= max ? 0 : -1;
}

/* One "earlier_scans" entry into *e. */
static int batch_earlier(struct json_object *o, size_t k, struct batch_earlier_scan *e, char *err,
                         size_t errlen)
{
    int64_t partition, offset;
    char letter[2];
    if (!json_object_is_type(o, json_type_object))
        return util_errf(err, errlen, "earlier_scans[%zu]: not an object", k);
    if (batch_get_text(o, "logisticsNo", e->logisticsNo, sizeof(e->logisticsNo)) < 0 ||
        batch_get_text(o, "topic", e->topic, sizeof(e->topic)) < 0 ||
        batch_get_text(o, "scan", e->scan, sizeof(e->scan)) < 0 ||
        batch_get_text(o, "scannedAt", e->scanned_at, sizeof(e->scanned_at)) < 0 ||
        batch_get_count(o, "partition", INT32_MAX, &partition) < 0 ||
        batch_get_count(o, "offset", INT64_MAX, &offset) < 0 ||
        batch_get_text(o, "outcome", letter, sizeof(letter)) < 0)
        return util_errf(err, errlen,
                         "earlier_scans[%zu]: logisticsNo, topic, scan, scannedAt, partition, "
                         "offset or outcome missing, of the wrong type or too long",
                         k);
    e->partition = (int32_t)partition;
    e->offset = offset;
    struct batch_outcome *oc = &e->outcome;
    oc->code = batch_outcome_code(letter[0]);
    oc->status = -1;
    oc->note[0] = '\0';
    if (oc->code != BATCH_OUT_SCAN && oc->code != BATCH_OUT_DUPLICATE &&
        oc->code != BATCH_OUT_REFUSED)
        return util_errf(err, errlen, "earlier_scans[%zu]: outcome is not S, D or R", k);
    /* status and note as in "details" (batch_detail reads them the same way) */
    struct json_object *v;
    if (json_object_object_get_ex(o, "status", &v)) {
        int64_t st;
        if (batch_get_count(o, "status", 999, &st) < 0)
            return util_errf(err, errlen, "earlier_scans[%zu]: \"status\" is not a status code", k);
        oc->status = (int)st;
    }
    if (json_object_object_get_ex(o, "note", &v)) {
        if (!json_object_is_type(v, json_type_string))
            return util_errf(err, errlen, "earlier_scans[%zu]: \"note\" is not a string", k);
        batch_note_copy(oc->note, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    }
    if (oc->code == BATCH_OUT_SCAN && oc->status < 0)
        return util_errf(err, errlen, "earlier_scans[%zu] (outcome S): no status", k);
    if (oc->code == BATCH_OUT_REFUSED && !oc->note[0])
        return util_errf(err, errlen, "earlier_scans[%zu] (outcome R): no note", k);
    return 0;
}

/* The "earlier_scans" of the answer (absent: none) into rep. */
static int batch_earlier_scans(struct json_object *ans, struct batch_report *rep, char *err,
                               size_t errlen)
{
    struct json_object *v;
    if (!json_object_object_get_ex(ans, "earlier_scans", &v))
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return util_errf(err, errlen, "earlier_scans is not an array");
    size_t n = json_object_array_length(v);
    for (size_t k = 0; k < n; k++) {
        struct batch_earlier_scan scratch, *e = k < rep->earlier_cap ? &rep->earlier[k] : &scratch;
        if (batch_earlier(json_object_array_get_idx(v, k), k, e, err, errlen) < 0)
            return -1;
    }
    rep->n_earlier = n;
    return 0;
}

int batch_answer_parse(const char *text, size_t n_records, struct batch_result *res,
                       struct batch_report *rep, char *err, size_t errlen)
{
    memset(res, 0, sizeof(*res));
    batch_outcomes_reset(rep->outcomes, n_records);
    rep->n_earlier = 0;
    if (!text)
        return util_errf(err, errlen, "no answer");
    struct json_object *ans = json_tokener_parse(text);
    if (!ans || !json_object_is_type(ans, json_type_object)) {
        json_object_put(ans);
        return util_errf(err, errlen, "answer is not a JSON object");
    }
    batch_counts(ans, res);
    int rc = batch_report(ans, n_records, rep->outcomes, err, errlen);
    if (rc == 0)
        rc = batch_earlier_scans(ans, rep, err, errlen);
    json_object_put(ans);
    if (rc < 0) {
        batch_outcomes_reset(rep->outcomes, n_records);
        rep->n_earlier = 0;
    }
    return rc;
}
