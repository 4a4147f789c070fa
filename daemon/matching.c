/*
 * matching.c - three-document matching (三单对碰), the daemon's half: the hold of a
 * decision in 120 and the sweep that decides the waiting parcels. matching.h says what;
 * docs/DESIGN.md "Three-document matching" says why and in which transaction.
 */
#include "matching.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "documents.h"
#include "log.h"
#include "status.h"
#include "util.h"

int matching_hold(const struct rules *r, const struct declaration *d, struct decision *dec)
{
    if (dec->status_code == STATUS_REJECTED || dec->status_code == STATUS_SAVED ||
        (d->appType && strcmp(d->appType, "3") == 0) || !rules_matching_needed(r, d))
        return 0;
    const char *version = dec->rules_version;
    decision_clear(dec);
    dec->rules_version = version;
    dec->status_code = STATUS_STORED;
    return 1;
}

/* A text member of a JSON object, or NULL. */
static const char *member_text(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct document *decode_stored(enum doc_type type, const char *text, char *err,
                                      size_t errlen)
{
    if (!text)
        return NULL;
    return document_decode(type, text, strlen(text), 0, NULL, err, errlen);
}

/* The deadline's decision: rejected, one reason naming what is missing. 0 or -1 (memory). */
static int deadline_decision(const struct rules *r, const char *missing, struct decision *dec)
{
    struct reason *x = calloc(1, sizeof(*x));
    char msg[256];

    if (!x)
        return -1;
    snprintf(msg, sizeof(msg),
             "the %s did not come within %u h of the declaration (three-document matching)",
             missing && *missing ? missing : "order and waybill", rules_matching_deadline_hours(r));
    x->rule_id = util_strdup(MATCHING_DEADLINE_ID);
    x->message = util_strdup(msg);
    x->message_zh = util_strdup(MATCHING_DEADLINE_ZH);
    x->action = RULE_REJECT;
    x->severity = RULE_SEVERITY_HIGH;
    dec->reasons = x;
    dec->n_reasons = 1;
    dec->status_code = STATUS_REJECTED;
    dec->rules_version = rules_version(r);
    if (!x->rule_id || !x->message || !x->message_zh) {
        decision_clear(dec);
        return -1;
    }
    return 0;
}

/*
 * Decide one due parcel (an element of matching_due's answer) into *dec and *event.
 * Returns 1 when decided, 0 when it cannot be (logged, skipped), -1 when out of memory.
 */
static int decide_one(const struct rules *r, struct json_object *due, struct decision *dec,
                      const char **event)
{
    const char *lno = member_text(due, "logisticsNo"), *payload = member_text(due, "payload");
    const char *missing = member_text(due, "missing");
    char err[512] = "";
    int rc = 0;

    if (!lno || !payload)
        return 0;
    struct declaration *d = declaration_decode(payload, strlen(payload), 0, NULL, err, sizeof(err));
    struct document *order = decode_stored(DOC_ORDER, member_text(due, "order"), err, sizeof(err));
    struct document *waybill =
        decode_stored(DOC_WAYBILL, member_text(due, "waybill"), err, sizeof(err));

    if (!d) {
        log_warn("parcel %s: awaiting matching, but its stored declaration does not decode "
                 "again (%s); left in 120",
                 lno, err);
    } else if (order && waybill && !order->n_problems && !waybill->n_problems) {
        struct rules_documents docs = {order, waybill};
        rc = rules_evaluate_docs(r, d, NULL, &docs, dec, NULL, NULL) < 0 ? -1 : 1;
        *event = "matched";
    } else if (!missing) {
        log_warn("parcel %s: its stored order or waybill does not decode again (%s); left "
                 "in 120",
                 lno, err);
    } else {
        rc = deadline_decision(r, missing, dec) < 0 ? -1 : 1;
        *event = "matching_deadline";
    }
    declaration_free(d);
    document_free(order);
    document_free(waybill);
    return rc;
}

/*
 * Decide every due parcel into the decisions array (JSON for customs.matching_apply): per
 * parcel {"logisticsNo", "status_code", "reasons", "rules_version", "event", "note"}.
 */
static int decide_all(const struct rules *r, struct json_object *due, struct json_object *out,
                      struct matching_stats *st)
{
    size_t n = json_object_array_length(due);

    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(due, i);
        struct decision dec = {0};
        const char *event = NULL;
        int rc = decide_one(r, e, &dec, &event);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            st->skipped++;
            continue;
        }
        struct json_object *o = json_object_new_object(), *reasons = batch_reasons(&dec);
        char note[160];
        snprintf(note, sizeof(note), "%s",
                 strcmp(event, "matched") == 0
                     ? "matched with its order and waybill (三单对碰)"
                     : "order / waybill not received by the deadline (三单对碰)");
        if (!o || !reasons || json_object_array_add(out, o)) {
            json_object_put(o);
            json_object_put(reasons);
            decision_clear(&dec);
            return -1;
        }
        if (json_object_object_add(o, "logisticsNo",
                                   json_object_new_string(member_text(e, "logisticsNo"))) ||
            json_object_object_add(o, "status_code", json_object_new_int(dec.status_code)) ||
            json_object_object_add(o, "reasons", reasons) ||
            json_object_object_add(o, "rules_version", json_object_new_string(dec.rules_version)) ||
            json_object_object_add(o, "event", json_object_new_string(event)) ||
            json_object_object_add(o, "note", json_object_new_string(note))) {
            decision_clear(&dec);
            return -1;
        }
        decision_clear(&dec);
    }
    return 0;
}

/* Whether lno is in the JSON array of texts `list`. */
static bool listed(struct json_object *list, const char *lno)
{
    size_t n =
        list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *x = json_object_get_string(json_object_array_get_idx(list, i));
        if (x && strcmp(x, lno) == 0)
            return true;
    }
    return false;
}

/*
 * After the commit: count and log what was recorded, one line per parcel decided (the ones
 * customs.matching_apply skipped, `skipped`, are counted only).
 */
static void report(struct json_object *decisions, struct json_object *skipped,
                   struct json_object *after, struct matching_stats *st)
{
    size_t n = json_object_array_length(decisions);

    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_array_get_idx(decisions, i), *v, *reasons;
        const char *lno = member_text(o, "logisticsNo"), *event = member_text(o, "event");
        const char *msg = NULL;
        int code = json_object_object_get_ex(o, "status_code", &v) ? json_object_get_int(v) : 0;
        if (!lno || !event)
            continue;
        if (listed(skipped, lno)) {
            st->skipped++;
            log_info("parcel %s: no longer awaiting its order / waybill (changed meanwhile): "
                     "not decided by matching",
                     lno);
            continue;
        }
        if (json_object_object_get_ex(o, "reasons", &reasons) &&
            json_object_array_length(reasons) > 0)
            msg = member_text(json_object_array_get_idx(reasons, 0), "message");
        bool matched = strcmp(event, "matched") == 0;
        int now =
            after && json_object_object_get_ex(after, lno, &v) ? json_object_get_int(v) : code;
        char led[64] = "";
        if (now != code)
            snprintf(led, sizeof(led), ", now %d %s", now, status_name(now));
        if (matched) {
            st->matched++;
            st->rejected += code == STATUS_REJECTED;
        } else {
            st->expired++;
        }
        log_info("parcel %s: %s -> %d %s%s%s%s", lno,
                 matched ? "matched with its order and waybill" : "matching deadline passed", code,
                 status_name(code), led, msg ? ": " : "", msg ? msg : "");
    }
}

int matching_sweep(struct store *s, const struct rules *r, int limit, struct matching_stats *st,
                   char *err, size_t errlen)
{
    struct json_object *applied_json = NULL, *skipped = NULL, *after = NULL;
    char *answer = NULL, *applied = NULL;
    struct json_object *due = NULL, *decisions = NULL;

    memset(st, 0, sizeof(*st));
    int rc = store_begin(s, err, errlen);
    if (rc != STORE_OK)
        return rc;
    rc = store_matching_due(s, limit, rules_matching_deadline_hours(r), &answer, err, errlen);
    if (rc == STORE_OK) {
        due = json_tokener_parse(answer);
        if (!due || !json_object_is_type(due, json_type_array)) {
            snprintf(err, errlen, "taking the parcels due for matching: not a JSON array");
            rc = STORE_ERROR;
        }
    }
    if (rc == STORE_OK && (st->due = json_object_array_length(due)) > 0) {
        decisions = json_object_new_array();
        if (!decisions || decide_all(r, due, decisions, st) < 0) {
            snprintf(err, errlen, "deciding parcels due for matching: out of memory");
            rc = STORE_ERROR;
        } else if (json_object_array_length(decisions) > 0) {
            rc = store_matching_apply(
                s, json_object_to_json_string_ext(decisions, JSON_C_TO_STRING_PLAIN), &applied, err,
                errlen);
            struct json_object *v;
            applied_json = rc == STORE_OK ? json_tokener_parse(applied) : NULL;
            if (applied_json && json_object_object_get_ex(applied_json, "events", &v))
                st->events = (size_t)json_object_get_int64(v);
            if (applied_json) {
                json_object_object_get_ex(applied_json, "skipped", &skipped);
                json_object_object_get_ex(applied_json, "after", &after);
            }
        }
    }
    rc = store_finish(s, rc, err, errlen);
    if (rc == STORE_OK && decisions)
        report(decisions, skipped, after, st);
    json_object_put(applied_json);
    json_object_put(due);
    json_object_put(decisions);
    free(answer);
    free(applied);
    return rc;
}
