/*
 * batch.h - one consumed Kafka batch as the database applies it (decided declarations,
 * warehouse scans, orders, waybills and payments, records that could not be decoded, and
 * the offset fence of every partition the batch covers), and the counts and per-record
 * report it answers with. Pure: no I/O, no database; store.h sends the batch and hands
 * back the answer.
 *
 * This header is the C side's definition of the format; the SQL functions
 * (sql/repeatable/60_apply_batch.sql) read the same columns and keys. customsd sends a
 * batch in two parts, in one transaction:
 *
 *   1. its records, one row each, staged by
 *        SELECT customs.apply_batch_stage_open();
 *        COPY BATCH_STAGE_TABLE (BATCH_STAGE_COLUMNS) FROM STDIN    -- text format
 *      (batch_stage_rows: the rows, in consumption order; seq = 1-based position);
 *   2. SELECT customs.apply_batch_staged(group, FENCES), FENCES (batch_fences):
 *
 *   {
 *     "offsets": [                          -- one per partition the batch covers
 *       {"topic": "customs.declarations",   -- Kafka topic
 *        "partition": 0,                    -- integer
 *        "expected": 41,                    -- next offset stored when the batch started,
 *                                           -- -1 = no row yet (the partition's first batch)
 *        "next": 44}],                      -- next offset after the batch: last offset + 1
 *     "topic_events": "mishan.warehouse.events",   -- topic of the warehouse event outbox rows
 *     "topic_receipts": "customs.receipts"         -- topic of the declarer receipt rows
 *   }
 *
 * The same batch can be given as one JSON document (FENCES plus "records": [RECORD, ...],
 * each record an object whose keys are given below), to customs.apply_batch(group,
 * document): the form for psql and the tests; customsd does not build it.
 *
 * Every row (RECORD) starts with
 *   seq              bigint   position in the batch, 1-based  (JSON: array order)
 *   kind             "declaration" | "quarantine" | "scan" | "order" | "waybill" | "payment"
 *   topic, partition, "offset"   where it was consumed          (JSON: "offset")
 *   ts               the Kafka record timestamp, "2024-05-12 02:30:00.123+00"; NULL = none
 *                    (JSON: "timestamp_ms", milliseconds since the Unix epoch, -1 = none)
 * followed by, for each kind (columns not named are NULL; JSON key in brackets when it
 * differs):
 *
 *   declaration (BATCH_DECLARATION, a decoded and decided CEB603 declaration)
 *     inventory      (HEAD...,"{ITEM,...}")  -- the COLUMN fields of declaration.h as a
 *                                    customs.ceb603_inventory row literal (sql/
 *                                    023_ceb603_inventory_type.sql): every attribute in
 *                                    table order, the items last as an array of
 *                                    customs.ceb603_inventory_item row literals; strings
 *                                    in double quotes (" and \ backslash-escaped), decimals
 *                                    (N19,5) in decimal_format's canonical form ("1.35",
 *                                    "0", "-0.5"), packNo and gnum as integers, an absent
 *                                    field empty (NULL). JSON: "decl", an object of the
 *                                    same fields by their CEB603 names ({"items": [ITEM,
 *                                    ...], HEAD...}, strings as strings, decimals as
 *                                    strings, integers as numbers, absent fields left out),
 *                                    made the same value by customs.ceb603_inventory_of
 *     logistics_no   the key (the inventory's, else the record key) ["logisticsNo"]
 *     cop_no, guid, app_type   its copNo, guid, appType (JSON: read from "decl")
 *     sha256         lowercase hex SHA-256 of the raw value
 *     payload        the raw value, as text                         [a JSON string]
 *     status_code    the decision: 1 | 100 | 120 | 300 | 399 | 500
 *     rules_version  SHA-256 hex of the rule set
 *     reasons        [{"rule_id": "...", "action": "reject" | "review" | "inspect" | "flag",
 *                      "severity": "low" | "medium" | "high" | "critical",
 *                      "message": "...",                -- English, as logged
 *                      "message_zh": "...",             -- the rule's message_zh, when it
 *                                                       -- has one (the receipt's returnInfo)
 *                      "value": "263.31 EUR"}]          -- only when the rule computed one
 *
 *   scan (BATCH_SCAN, a decoded warehouse scan, scan.h)
 *     logistics_no   the scan's, else the record key                ["logisticsNo"]
 *     scan           "arrival" | "departure"
 *     scanned_at_text  "2024-05-12T10:30:00+08:00", ISO 8601 with its offset ["scannedAt"]
 *     loct_no, total_package_no   NULL when absent                  ["loctNo", ...]
 *     sha256, payload   as for a declaration
 *
 *   order | waybill | payment (BATCH_DOCUMENT, a decoded CEB303, CEB505 or CEB403, documents.h)
 *     decl           {"items": [LINE, ...], HEAD...}  -- its fields (documents.h tables), by
 *                                    CEB name, as for a declaration; "items" for an order
 *                                    only                           ["doc"]
 *     sha256, payload   as for a declaration
 *     status_code    120 well-formed: stored; 100 rejected for its format (a receipt is sent)
 *     reasons        [] for 120; for 100 one per problem, as above, rule_id "CEB303-FORMAT"
 *                    (CEB505-, CEB403-), action "reject"
 *
 *   quarantine (BATCH_QUARANTINE, a record kept byte-exact because it could not be decoded)
 *     raw            the raw value, bytea ("\x00ff...")      ["raw_b64": RFC 4648 base64]
 *     reason         why: "invalid JSON at byte 17: ..."; "unknown" when none was given
 *     logistics_no   only when it could be read (a receipt then goes to the sender); kept
 *                    only if it can be a logisticsNo (C..80)        ["logisticsNo"]
 *
 * A declaration, scan or document whose raw value is not storable as text (invalid UTF-8
 * or a NUL byte; the decoders let none through) goes as a quarantine row with the reason
 * "record value is not storable text (NUL byte or invalid UTF-8)" and its logisticsNo,
 * rather than stall its partition.
 *
 * apply_batch_staged (and apply_batch) answers with one JSON object, read by batch_answer_parse:
 * the counts
 *   {"declarations", "duplicates", "conflicts", "quarantined", "events", "amendments",
 *    "cancellations", "refused", "scans", "pending_scans"} (see struct batch_result)
 * and, only when the batch had orders, waybills or payments, {"documents",
 * "document_duplicates", "documents_rejected"} (stored as a new version, sent again, rejected),
 * and the per-record report of what was recorded (struct batch_outcome):
 *   "outcomes": "AAXAM...",          -- exactly one ASCII letter per record of the batch, in
 *                                    -- batch order (the rows' seq, the document's "records"):
 *       A  new declaration recorded, with the status of its decision (status_code sent;
 *          1 saved for appStatus 1: no decision, one receipt 1)
 *       D  duplicate: a declaration with the bytes of a stored version, or a scan sent
 *          before; nothing changed
 *       M  amendment (appType 2) applied: content replaced, status re-decided; or a
 *          declaration (appType 1) of a parcel saved before (status 1): the saved content
 *          replaced, the status_code sent taken (decided, or 1 when saved again)
 *       C  cancellation (appType 3) applied: status 100, cancelled
 *       X  conflict: appType 1 for a stored logisticsNo (not saved) with other content; the record
 * is quarantined (with a -1 receipt), the stored parcel keeps its status R  refused by the state
 * machine (an amendment, cancellation or scan), or an amendment/cancellation of a logisticsNo not
 * declared; kept with the reason Q  quarantined: could not be decoded, or stored as such by
 * apply_batch S  scan applied (arrival or departure) P  scan kept, pending its declaration
 *       V  document (order, waybill, payment) stored: its first version or a later one
 *          replacing the current one (note "order version 2"); D for one with the bytes of
 *          a stored version (note "order: the content of version 1")
 *       J  document rejected for its format: kept with its reasons, receipt 100 sent
 *          (status 100, note: the reasons)
 *   "details": [{"i": 4, "status": 399, "note": "..."}, ...]
 *                                    -- for the records that are not A, in batch order:
 *                                    -- "i" the record's 0-based index in "outcomes",
 *                                    -- "status" the parcel's status code after the record
 *                                    -- (X: the stored parcel's, kept; R: unchanged; left
 *                                    -- out when there is no parcel), "note" (left out
 *                                    -- when none): R the refusal's reason, Q the quarantine
 *                                    -- reason, S what the scan did ("released", "held",
 *                                    -- "recorded", "closed"), D why a scan is a duplicate.
 *                                    -- M, C, X, S, J always have a status; R, Q, V, J a
 *                                    -- note.
 *   "earlier_scans": [{"logisticsNo": "YL...", "scan": "arrival", "scannedAt":
 *                      "2024-05-12T02:30:00Z", "topic": "...", "partition": 0, "offset": 7,
 *                      "outcome": "S", "status": 800, "note": "released"}, ...]
 *                                    -- only when there are any: the scans of earlier
 *                                    -- batches, pending until now, that this batch applied
 *                                    -- (their declaration came); scannedAt in UTC;
 *                                    -- outcome S, D or R with status and note as above.
 * A plain new declaration costs its letter only: the report stays small at full rate.
 */
#ifndef CUSTOMSD_BATCH_H
#define CUSTOMSD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "declaration.h"
#include "documents.h"
#include "rules.h"
#include "scan.h"

enum batch_kind {
    BATCH_DECLARATION, /* a decided declaration (customs.declarations topic) */
    BATCH_QUARANTINE,  /* a record that could not be decoded (either topic) */
    BATCH_SCAN,        /* a warehouse scan (mishan.warehouse.scans topic) */
    BATCH_DOCUMENT,    /* an order, waybill or payment (their topics, documents.h) */
};

/* One Kafka record of the batch, in consumption order. Nothing here is owned. */
struct batch_record {
    enum batch_kind kind;
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* Kafka record timestamp, -1 if none */
    const void *value;    /* the record value, byte-exact (may contain any bytes) */
    size_t value_len;
    const char *key;                   /* DECLARATION: logisticsNo. QUARANTINE: logisticsNo when it
                                          could be read (a receipt is then sent), else NULL */
    const struct declaration *decl;    /* DECLARATION only */
    const struct decision *decision;   /* DECLARATION only */
    const char *reason;                /* QUARANTINE only: why it could not be decoded */
    const struct warehouse_scan *scan; /* SCAN only */
    const struct document *doc;        /* DOCUMENT only */
};

/* Offset fence for one partition touched by the batch (positions_fence_add fills them). */
struct batch_offset {
    const char *topic;
    int32_t partition;
    int64_t expected; /* next offset stored when the batch started (-1: no row yet) */
    int64_t next;     /* next offset after the batch (last record offset + 1) */
};

/* What a committed batch did: apply_batch's answer. */
struct batch_result {
    size_t declarations;  /* new declarations recorded */
    size_t duplicates;    /* declaration with the bytes of a stored version: no-op */
    size_t conflicts;     /* appType 1, same logisticsNo, other content: quarantined + receipt */
    size_t quarantined;   /* records that could not be decoded */
    size_t events;        /* outbox rows written (warehouse events + receipts) */
    size_t amendments;    /* appType 2 applied: content replaced, re-decided */
    size_t cancellations; /* appType 3 applied: status 100, cancelled */
    size_t refused;       /* amendments, cancellations, scans the state machine refused
                             (kept with the reason and a -1 receipt) */
    size_t scans;         /* warehouse scans recorded (customs.warehouse_scans) */
    size_t pending_scans; /* of those, waiting for their declaration */
    size_t documents;     /* orders, waybills, payments stored (a first or later version) */
    size_t document_duplicates; /* documents with the bytes of a stored version: no-op */
    size_t documents_rejected;  /* documents rejected for their format (receipt 100) */
};

/* What apply_batch recorded for one record (the "outcomes" letters above). */
enum batch_outcome_code {
    BATCH_OUT_UNKNOWN = 0,  /* not reported: the answer had no readable report */
    BATCH_OUT_APPLIED,      /* A */
    BATCH_OUT_DUPLICATE,    /* D */
    BATCH_OUT_AMENDED,      /* M */
    BATCH_OUT_CANCELLED,    /* C */
    BATCH_OUT_CONFLICT,     /* X */
    BATCH_OUT_REFUSED,      /* R */
    BATCH_OUT_QUARANTINED,  /* Q */
    BATCH_OUT_SCAN,         /* S */
    BATCH_OUT_PENDING,      /* P */
    BATCH_OUT_DOC_STORED,   /* V */
    BATCH_OUT_DOC_REJECTED, /* J */
};

/* Longest note kept (bytes with the NUL); a longer one is cut at a UTF-8 boundary. */
#define BATCH_NOTE_MAX 384

struct batch_outcome {
    enum batch_outcome_code code;
    int status;                /* the parcel's status code after the record; -1 = none */
    char note[BATCH_NOTE_MAX]; /* "" = none */
};

/* A scan of an earlier batch, pending until this batch applied it ("earlier_scans"). */
struct batch_earlier_scan {
    char logisticsNo[81]; /* CEB603 C..80 */
    char topic[256];      /* where the scan was consumed */
    int32_t partition;
    int64_t offset;
    char scan[16];                /* "arrival" | "departure" */
    char scanned_at[32];          /* UTC, "2024-05-12T02:30:00Z" */
    struct batch_outcome outcome; /* S, D or R, status after, note */
};

/* Where batch_answer_parse puts the per-record report; the arrays are the caller's. */
struct batch_report {
    struct batch_outcome *outcomes;     /* one per record of the batch */
    struct batch_earlier_scan *earlier; /* earlier_cap entries (NULL when earlier_cap is 0) */
    size_t earlier_cap;
    size_t n_earlier; /* out: earlier scans reported; only the first earlier_cap are kept */
};

/* The stage table and the columns batch_stage_rows fills, in its order (the COPY list). */
#define BATCH_STAGE_TABLE "pg_temp.customs_apply_stage_v5"
#define BATCH_STAGE_COLUMNS                                                                        \
    "seq, kind, topic, partition, \"offset\", ts, logistics_no, cop_no, guid, app_type, "          \
    "sha256, payload, status_code, rules_version, reasons, decl, inventory, raw, reason, scan, "   \
    "scanned_at_text, loct_no, total_package_no"

/*
 * The rows of `n_records` records for COPY BATCH_STAGE_TABLE (BATCH_STAGE_COLUMNS) FROM
 * STDIN, text format: one line per record (columns tab-separated, NULL as \N, backslash,
 * newline, carriage return and tab escaped), in order. Returns 0 with *rows (malloc'd,
 * NUL-terminated, "" for no records; the caller frees it) and *len its bytes, or -1 with
 * *rows NULL and err set: "record without topic or value", "declaration record without
 * declaration or decision", "scan record without scan, scannedAt or logisticsNo",
 * "document record without document" (caller bugs: nothing is built) or "out of memory
 * building the batch".
 */
int batch_stage_rows(const struct batch_record *records, size_t n_records, char **rows, size_t *len,
                     char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * The FENCES document of `n_offsets` offset fences with the outbox topics `topic_events`
 * and `topic_receipts` (left out when NULL, which apply_batch_staged refuses as a
 * malformed batch, CS002: store.c always passes both). Returns it malloc'd (the caller
 * frees it), or NULL with err set: "batch too large" (more than INT_MAX fences), "out of
 * memory building the batch" / "out of memory serialising the batch".
 */
char *batch_fences(const struct batch_offset *offsets, size_t n_offsets, const char *topic_events,
                   const char *topic_receipts, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Read apply_batch's answer `text` (may be NULL) into *res: every count that is present
 * and positive, 0 otherwise. Returns 0, or -1 (and *res all zero) when text is NULL or
 * not a JSON object. The per-record report is not read (batch_answer_parse reads both).
 */
int batch_result_parse(const char *text, struct batch_result *res)
    __attribute__((warn_unused_result));

/*
 * Read apply_batch's whole answer `text` (may be NULL) for a batch of `n_records` records:
 * the counts into *res as batch_result_parse does, and the per-record report into
 * rep->outcomes[0 .. n_records) and the earlier scans into rep->earlier (rep->n_earlier
 * of them reported, at most rep->earlier_cap kept).
 * Returns 0, or -1 with err set, every outcome BATCH_OUT_UNKNOWN (status -1, note "") and
 * n_earlier 0 when the report is missing or malformed: "no answer", "answer is not a JSON
 * object",
 * "answer has no \"outcomes\" string", "outcomes has N letters for M records",
 * "unknown outcome 'z' for record N", "details is not an array", "details[K]: ..." (not
 * an object, "i" missing or out of range or not after the previous one, "status" not a
 * status code, "note" not a string), "record N (outcome M): no status" / "no note",
 * "earlier_scans is not an array", "earlier_scans[K]: ..." (a member missing, of the
 * wrong type or too long, an outcome other than S, D, R, or its status or note missing).
 * The counts are filled whenever the answer is a JSON object.
 */
int batch_answer_parse(const char *text, size_t n_records, struct batch_result *res,
                       struct batch_report *rep, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The letter of an outcome code ('A' ... 'P'), '?' for BATCH_OUT_UNKNOWN. */
char batch_outcome_letter(enum batch_outcome_code code);

/*
 * A decision's reasons as the staged rows send them: a new json-c array
 * [{"rule_id", "action", "severity", "message", "message_zh"?, "value"?}] (the caller
 * puts it), or NULL when out of memory. Also the reasons of matching's decisions.
 */
struct json_object;
struct json_object *batch_reasons(const struct decision *dec);

#endif
