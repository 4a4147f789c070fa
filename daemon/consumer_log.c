/*
 * consumer_log.c - the consumer's per-record log lines of a committed batch, derived from
 * what customs.apply_batch reported (batch.h "outcomes"). See consumer_log.h.
 */
#include "consumer_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "matching.h"
#include "status.h"

/* "the status code and its name", e.g. "399 accepted". */
static const char *status_words(int code, char *buf, size_t len)
{
    if (code < 0)
        snprintf(buf, len, "unknown");
    else
        snprintf(buf, len, "%d %s", code, status_name(code));
    return buf;
}

/* The rule ids of a decision, comma-separated, into ids ("" when none). */
static const char *decision_ids(const struct decision *d, char *ids, size_t len)
{
    size_t used = 0;
    ids[0] = '\0';
    if (d->status_code == STATUS_STORED && d->n_reasons == 0) /* matching_hold: the database */
        snprintf(ids, len, "%s (awaiting order / waybill)", MATCHING_WAIT_ID); /* names them */
    for (size_t k = 0; k < d->n_reasons && used < len; k++) {
        int w = snprintf(ids + used, len - used, "%s%s", k ? "," : "", d->reasons[k].rule_id);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return ids;
}

/* The appType of a declaration record, as the log names it. */
static const char *app_type_words(const struct batch_record *r)
{
    const char *t = r->decl ? r->decl->appType : NULL;
    if (t && strcmp(t, "2") == 0)
        return "amendment (appType 2)";
    if (t && strcmp(t, "3") == 0)
        return "cancellation (appType 3)";
    return "declaration";
}

/* One declaration record: what apply_batch recorded for it (o). */
static void log_declaration(const struct batch_record *r, const struct batch_outcome *o)
{
    const struct decision *d = r->decision;
    char ids[512], st[96], decided[96];
    decision_ids(d, ids, sizeof(ids));
    status_words(d->status_code, decided, sizeof(decided));
    status_words(o->status, st, sizeof(st));
    /* The rule ids only where the decision was recorded. */
    bool decided_now = o->code == BATCH_OUT_APPLIED || o->code == BATCH_OUT_AMENDED;
    struct log_record lr = {r->topic,
                            r->partition,
                            r->offset,
                            r->key,
                            decided_now ? ids : NULL,
                            o->status >= 0 ? o->status
                            : decided_now  ? d->status_code
                                           : -1};

    switch (o->code) {
    case BATCH_OUT_APPLIED:
        /* Recorded with the decision's status; the decision's rule ids are its reasons. */
        if (d->status_code == STATUS_SAVED)
            rec_info(REC_FMT "saved (appStatus 1): recorded as %s, not sent for decision",
                     REC_ARGS(r), decided);
        else if (d->status_code == STATUS_ACCEPTED && d->n_reasons == 0)
            rec_info(REC_FMT "recorded %s", REC_ARGS(r), decided);
        else
            rec_info(REC_FMT "recorded %s by %s", REC_ARGS(r), decided, ids);
        break;
    case BATCH_OUT_DUPLICATE:
        rec_info(REC_FMT "%s with the content of a stored version: nothing changed (parcel at "
                         "%s)",
                 REC_ARGS(r), app_type_words(r), st);
        break;
    case BATCH_OUT_AMENDED:
        if (r->decl && r->decl->appType && strcmp(r->decl->appType, "2") != 0)
            /* appType 1 replacing a saved (1) declaration: saved again or now decided */
            rec_info(REC_FMT "declaration replaced the saved one: %s %s%s%s%s%s", REC_ARGS(r),
                     d->status_code == STATUS_SAVED ? "saved again as" : "decided", decided,
                     ids[0] ? " by " : "", ids, o->status != d->status_code ? ", now " : "",
                     o->status != d->status_code ? st : "");
        else if (o->status == d->status_code)
            rec_info(REC_FMT "amendment (appType 2) applied: re-decided %s%s%s", REC_ARGS(r),
                     decided, ids[0] ? " by " : "", ids);
        else /* the re-decision led on at once (e.g. 399 of an arrived parcel: released) */
            rec_info(REC_FMT "amendment (appType 2) applied: re-decided %s%s%s, now %s",
                     REC_ARGS(r), decided, ids[0] ? " by " : "", ids, st);
        break;
    case BATCH_OUT_CANCELLED:
        rec_info(REC_FMT "cancellation (appType 3) applied: now %s, cancelled by the declarer",
                 REC_ARGS(r), st);
        break;
    case BATCH_OUT_CONFLICT:
        rec_warn(REC_FMT "second declaration with other content (appType %s): quarantined as a "
                         "conflict; stored parcel kept at %s",
                 REC_ARGS(r), r->decl && r->decl->appType ? r->decl->appType : "none", st);
        break;
    case BATCH_OUT_REFUSED:
        if (o->status >= 0)
            rec_warn(REC_FMT "%s; parcel stays at %s", REC_ARGS(r), o->note, st);
        else
            rec_warn(REC_FMT "%s", REC_ARGS(r), o->note);
        break;
    case BATCH_OUT_QUARANTINED:
        rec_warn(REC_FMT "quarantined: %s", REC_ARGS(r), o->note);
        break;
    default: /* S, P, or not reported */
        rec_debug(REC_FMT "committed; outcome not reported", REC_ARGS(r));
        break;
    }
}

/* One scan record: what apply_batch recorded for it (o). */
static void log_scan(const struct batch_record *r, const struct batch_outcome *o)
{
    const char *kind = scan_kind_name(r->scan->kind);
    char st[96];
    status_words(o->status, st, sizeof(st));
    struct log_record lr = {r->topic, r->partition, r->offset, r->key, NULL, o->status};

    switch (o->code) {
    case BATCH_OUT_SCAN:
        rec_info(REC_FMT "%s scan at %s: %s, now %s", REC_ARGS(r), kind, r->scan->scanned_at,
                 o->note[0] ? o->note : "recorded", st);
        break;
    case BATCH_OUT_PENDING:
        rec_info(REC_FMT "%s scan at %s: kept, pending its declaration", REC_ARGS(r), kind,
                 r->scan->scanned_at);
        break;
    case BATCH_OUT_DUPLICATE:
        rec_info(REC_FMT "%s scan at %s: duplicate, nothing changed (%s)", REC_ARGS(r), kind,
                 r->scan->scanned_at, o->note[0] ? o->note : "sent before");
        break;
    case BATCH_OUT_REFUSED:
        rec_warn(REC_FMT "%s scan at %s: %s; parcel stays at %s", REC_ARGS(r), kind,
                 r->scan->scanned_at, o->note, st);
        break;
    case BATCH_OUT_QUARANTINED:
        rec_warn(REC_FMT "%s scan quarantined: %s", REC_ARGS(r), kind, o->note);
        break;
    default:
        rec_debug(REC_FMT "%s scan at %s: committed; outcome not reported", REC_ARGS(r), kind,
                  r->scan->scanned_at);
        break;
    }
}

/* One order, waybill or payment record: what apply_batch recorded for it (o). */
static void log_document(const struct batch_record *r, const struct batch_outcome *o)
{
    const struct doc_spec *sp = r->doc->spec;
    const char *a = document_string(r->doc, sp->key_a);
    if (o->code == BATCH_OUT_DOC_STORED || o->code == BATCH_OUT_DUPLICATE)
        log_info("%s %s %s (%s [%" PRId32 "] offset %" PRId64 "): %s%s", sp->name, a ? a : "?",
                 r->key, r->topic, r->partition, r->offset,
                 o->code == BATCH_OUT_DUPLICATE ? "duplicate, nothing changed: " : "stored ",
                 o->note);
    else if (o->code == BATCH_OUT_DOC_REJECTED)
        log_warn("%s %s %s (%s [%" PRId32 "] offset %" PRId64 "): rejected (100): %s", sp->name,
                 a ? a : "?", r->key, r->topic, r->partition, r->offset, o->note);
    else
        log_debug("%s %s (%s [%" PRId32 "] offset %" PRId64 "): committed; outcome not reported",
                  sp->name, r->key, r->topic, r->partition, r->offset);
}

/* See consumer_log.h. */
void consumer_log_outcomes(const struct batch_record *records, const struct batch_outcome *outcomes,
                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct batch_record *r = &records[i];
        const struct batch_outcome *o = &outcomes[i];
        struct log_record lr = {r->topic, r->partition, r->offset, r->key, NULL, o->status};
        if (r->kind == BATCH_SCAN) {
            log_scan(r, o);
        } else if (r->kind == BATCH_DECLARATION) {
            log_declaration(r, o);
        } else if (r->kind == BATCH_DOCUMENT) {
            log_document(r, o);
        } else if (o->code == BATCH_OUT_QUARANTINED) {
            rec_warn("record %s [%" PRId32 "] offset %" PRId64 " quarantined (logisticsNo %s): %s",
                     r->topic, r->partition, r->offset, r->key ? r->key : "unknown", o->note);
        } else {
            rec_debug("record %s [%" PRId32 "] offset %" PRId64 " (logisticsNo %s): committed; "
                      "outcome not reported",
                      r->topic, r->partition, r->offset, r->key ? r->key : "unknown");
        }
    }
}

/* See consumer_log.h. */
void consumer_log_earlier_scans(const struct batch_earlier_scan *earlier, size_t cap, size_t n)
{
    size_t kept = n < cap ? n : cap;
    for (size_t k = 0; k < kept; k++) {
        const struct batch_earlier_scan *e = &earlier[k];
        const struct batch_outcome *o = &e->outcome;
        char st[96];
        status_words(o->status, st, sizeof(st));
        struct log_record lr = {e->topic, e->partition, e->offset, e->logisticsNo, NULL, o->status};
        if (o->code == BATCH_OUT_REFUSED)
            rec_warn("parcel %s (%s [%" PRId32 "] offset %" PRId64 "): %s scan at %s, pending "
                     "until its declaration came: %s; parcel stays at %s",
                     e->logisticsNo, e->topic, e->partition, e->offset, e->scan, e->scanned_at,
                     o->note, st);
        else if (o->code == BATCH_OUT_DUPLICATE)
            rec_info("parcel %s (%s [%" PRId32 "] offset %" PRId64 "): %s scan at %s, pending "
                     "until its declaration came: duplicate, nothing changed (%s)",
                     e->logisticsNo, e->topic, e->partition, e->offset, e->scan, e->scanned_at,
                     o->note[0] ? o->note : "sent before");
        else
            rec_info("parcel %s (%s [%" PRId32 "] offset %" PRId64 "): %s scan at %s, pending "
                     "until its declaration came: %s, now %s",
                     e->logisticsNo, e->topic, e->partition, e->offset, e->scan, e->scanned_at,
                     o->note[0] ? o->note : "recorded", st);
    }
    if (n > kept)
        log_info("%zu more scans of earlier batches applied (not listed)", n - kept);
}
