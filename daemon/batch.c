/*
 * batch.c - build the batch document customs.apply_batch() reads, and read its answer (the
 * counts and the per-record report of what was recorded).
 * See batch.h for the format.
 *
 * json-c keeps members in insertion order, so the document's key order is the order of
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

#include <json-c/json.h>
#include <openssl/evp.h>

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

/* The raw value as a JSON string (the caller checked it is storable text). */
static int batch_add_payload(struct json_object *obj, const struct batch_record *r)
{
    return batch_add(obj, "payload",
                     json_object_new_string_len((const char *)r->value, (int)r->value_len));
}

/* The COLUMN fields of a header or item (declaration.h); absent fields are left out. */
static int batch_add_fields(struct json_object *obj, const void *base,
                            const struct decl_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct decl_field *f = &fields[i];
        int rc = 0;
        if (!f->column)
            continue;
        switch (f->kind) {
        case DECL_STRING:
            rc = batch_add_string(obj, f->name, decl_get_string(base, f));
            break;
        case DECL_DECIMAL: {
            const struct decl_decimal *d = decl_get_decimal(base, f);
            if (d->present) {
                char buf[DECIMAL_TEXT_MAX];
                size_t len = decimal_format(d->value, buf, sizeof(buf));
                rc = batch_add(obj, f->name, json_object_new_string_len(buf, (int)len));
            }
            break;
        }
        case DECL_INTEGER: {
            const struct decl_integer *v = decl_get_integer(base, f);
            if (v->present)
                rc = batch_add(obj, f->name, json_object_new_int64(v->value));
            break;
        }
        }
        if (rc)
            return -1;
    }
    return 0;
}

/*
 * The decision's reasons: [{"rule_id", "action", "severity", "message", "message_zh"?,
 * "value"?}].
 */
static struct json_object *batch_reasons(const struct decision *dec)
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

/* The members every record starts with. */
static struct json_object *batch_record_start(const char *kind, const struct batch_record *r)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    if (batch_add_string(o, "kind", kind) || batch_add_string(o, "topic", r->topic) ||
        batch_add(o, "partition", json_object_new_int(r->partition)) ||
        batch_add(o, "offset", json_object_new_int64(r->offset)) ||
        batch_add(o, "timestamp_ms", json_object_new_int64(r->timestamp_ms))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* A record kept byte-exact: base64 of the value (the value may hold any bytes). */
static struct json_object *batch_quarantine(const struct batch_record *r, const char *key,
                                            const char *reason)
{
    if (r->value_len > (size_t)INT_MAX / 4 * 3 - 3)
        return NULL;
    size_t b64len = 4 * ((r->value_len + 2) / 3);
    char *b64 = malloc(b64len + 1);
    struct json_object *o = b64 ? batch_record_start("quarantine", r) : NULL;
    if (!o) {
        free(b64);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)b64, r->value, (int)r->value_len);
    int rc = batch_add(o, "raw_b64", json_object_new_string_len(b64, (int)b64len)) ||
             batch_add_string(o, "reason", reason) || batch_add_string(o, "logisticsNo", key);
    free(b64);
    if (rc) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* A decided declaration: its COLUMN fields, the raw value and the decision. */
static struct json_object *batch_declaration(const struct batch_record *r)
{
    const struct declaration *d = r->decl;
    const char *key = d->logisticsNo ? d->logisticsNo : r->key;
    char sha[65];

    if (!json_strict_text(r->value, r->value_len)) {
        /* The decoder accepts only valid UTF-8 JSON, so this is a caller bug; still, the
         * raw text cannot go into a text column, and refusing the whole batch would stall
         * the partition for good. Keep the record instead. */
        return batch_quarantine(r, key, BATCH_NOT_TEXT);
    }
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return NULL;

    /* Each child is attached as soon as it exists, so freeing `o` frees everything. */
    struct json_object *o = batch_record_start("declaration", r);
    if (!o)
        return NULL;
    struct json_object *decl = json_object_new_object();
    if (batch_add(o, "decl", decl))
        goto fail;
    struct json_object *items = json_object_new_array_ext((int)d->n_items);
    if (batch_add(decl, "items", items))
        goto fail;
    if (batch_add_string(o, "logisticsNo", key) || batch_add_string(o, "sha256", sha) ||
        batch_add_payload(o, r) ||
        batch_add(o, "status_code", json_object_new_int(r->decision->status_code)) ||
        batch_add_string(o, "rules_version", r->decision->rules_version) ||
        batch_add(o, "reasons", batch_reasons(r->decision)) ||
        batch_add_fields(decl, d, decl_head_fields, decl_head_field_count))
        goto fail;
    for (size_t i = 0; i < d->n_items; i++) {
        struct json_object *it = json_object_new_object();
        if (!it || json_object_array_add(items, it)) {
            json_object_put(it);
            goto fail;
        }
        if (batch_add_fields(it, &d->items[i], decl_item_fields, decl_item_field_count))
            goto fail;
    }
    return o;
fail:
    json_object_put(o);
    return NULL;
}

/* A warehouse scan: the decoded fields apply_batch reads, plus the raw value (kept in
 * customs.warehouse_scans) and its SHA-256. */
static struct json_object *batch_scan(const struct batch_record *r)
{
    const struct warehouse_scan *sc = r->scan;
    const char *key = sc->logisticsNo ? sc->logisticsNo : r->key;
    char sha[65];

    if (!json_strict_text(r->value, r->value_len)) /* as for declarations: a caller bug */
        return batch_quarantine(r, key, BATCH_NOT_TEXT);
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return NULL;
    struct json_object *o = batch_record_start("scan", r);
    if (!o)
        return NULL;
    if (batch_add_string(o, "logisticsNo", key) ||
        batch_add_string(o, "scan", scan_kind_name(sc->kind)) ||
        batch_add_string(o, "scannedAt", sc->scanned_at) ||
        batch_add_string(o, "loctNo", sc->loctNo) ||
        batch_add_string(o, "totalPackageNo", sc->totalPackageNo) ||
        batch_add_string(o, "sha256", sha) || batch_add_payload(o, r)) {
        json_object_put(o);
        return NULL;
    }
    return o;
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
static struct json_object *batch_doc(const struct batch_record *r)
{
    const struct document *doc = r->doc;
    const struct doc_spec *sp = doc->spec;
    char sha[65];

    if (!json_strict_text(r->value, r->value_len)) /* as for declarations: a caller bug */
        return batch_quarantine(r, NULL, BATCH_NOT_TEXT);
    if (sha256_hex(r->value, r->value_len, sha) != 0)
        return NULL;
    struct json_object *o = batch_record_start(sp->name, r);
    if (!o)
        return NULL;
    struct json_object *fields = json_object_new_object();
    if (batch_add(o, "doc", fields))
        goto fail;
    if (sp->lines_name) {
        struct json_object *lines = json_object_new_array_ext((int)doc->n_lines);
        if (batch_add(fields, "items", lines))
            goto fail;
        for (size_t i = 0; i < doc->n_lines; i++) {
            struct json_object *it = json_object_new_object();
            if (!it || json_object_array_add(lines, it)) {
                json_object_put(it);
                goto fail;
            }
            if (batch_add_fields(it, (const char *)doc->lines + i * sp->line_size, sp->lines,
                                 sp->n_lines))
                goto fail;
        }
    }
    if (batch_add_fields(fields, doc->head, sp->head, sp->n_head) ||
        batch_add_string(o, "sha256", sha) || batch_add_payload(o, r) ||
        batch_add(o, "status_code", json_object_new_int(doc->n_problems ? 100 : 120)) ||
        (doc->n_problems && batch_add(o, "reasons", batch_document_reasons(doc))))
        goto fail;
    return o;
fail:
    json_object_put(o);
    return NULL;
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

/* One record of the document; NULL when out of memory. */
static struct json_object *batch_record(const struct batch_record *r)
{
    switch (r->kind) {
    case BATCH_DECLARATION:
        return batch_declaration(r);
    case BATCH_SCAN:
        return batch_scan(r);
    case BATCH_DOCUMENT:
        return batch_doc(r);
    case BATCH_QUARANTINE:
        break;
    }
    return batch_quarantine(r, r->key, r->reason ? r->reason : "unknown");
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

char *batch_document(const struct batch_record *records, size_t n_records,
                     const struct batch_offset *offsets, size_t n_offsets, const char *topic_events,
                     const char *topic_receipts, char *err, size_t errlen)
{
    if (n_records > INT_MAX || n_offsets > INT_MAX) {
        snprintf(err, errlen, "batch too large");
        return NULL;
    }
    for (size_t i = 0; i < n_records; i++) {
        const char *bug = batch_record_bug(&records[i]);
        if (bug) {
            snprintf(err, errlen, "%s", bug);
            return NULL;
        }
    }

    const char *oom = "out of memory building the batch";
    char *text = NULL;
    struct json_object *root = json_object_new_object();
    struct json_object *offs = json_object_new_array_ext((int)n_offsets);
    struct json_object *recs = json_object_new_array_ext((int)n_records);
    if (!root || !offs || !recs) {
        json_object_put(offs);
        json_object_put(recs);
        goto out;
    }
    if (batch_add(root, "offsets", offs)) {
        json_object_put(recs);
        goto out;
    }
    if (batch_add(root, "records", recs) || batch_add_string(root, "topic_events", topic_events) ||
        batch_add_string(root, "topic_receipts", topic_receipts) ||
        batch_add_offsets(offs, offsets, n_offsets))
        goto out;
    for (size_t i = 0; i < n_records; i++) {
        struct json_object *o = batch_record(&records[i]);
        if (!o)
            goto out;
        if (json_object_array_add(recs, o)) {
            json_object_put(o);
            goto out;
        }
    }
    oom = "out of memory serialising the batch";
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    if (s)
        text = strdup(s);
out:
    json_object_put(root); /* s belonged to root */
    if (!text)
        snprintf(err, errlen, "%s", oom);
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
