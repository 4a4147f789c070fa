/*
 * consumer_slot.c - one polled Kafka record of the consumer: decoded by its topic and
 * decided. See consumer_slot.h.
 */
#include "consumer_slot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matching.h"

void consumer_slot_clear(struct consumer_slot *s)
{
    if (s->msg)
        rd_kafka_message_destroy(s->msg);
    declaration_free(s->decl);
    scan_free(s->scan);
    document_free(s->doc);
    decision_clear(&s->decision);
    free(s->key);
    memset(s, 0, sizeof(*s));
}

/* The document type of an orders, waybills or payments topic; -1 for another topic. */
static int document_topic(const struct config *cfg, const char *topic)
{
    if (strcmp(topic, cfg->topic_orders) == 0)
        return DOC_ORDER;
    if (strcmp(topic, cfg->topic_waybills) == 0)
        return DOC_WAYBILL;
    if (*cfg->topic_payments && strcmp(topic, cfg->topic_payments) == 0)
        return DOC_PAYMENT;
    return -1;
}

/* See consumer_slot.h. */
void consumer_slot_prepare(const struct config *cfg, const struct rules *rules,
                           struct consumer_slot *s, struct batch_record *r)
{
    rd_kafka_message_t *m = s->msg;
    rd_kafka_timestamp_type_t tstype;
    int dt;

    memset(r, 0, sizeof(*r));
    r->topic = rd_kafka_topic_name(m->rkt);
    r->partition = m->partition;
    r->offset = m->offset;
    r->timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
    r->value = m->payload ? m->payload : "";
    r->value_len = m->payload ? m->len : 0;

    if (!m->payload) {
        snprintf(s->reason, sizeof(s->reason), "empty record (null value, tombstone)");
    } else if (strcmp(r->topic, cfg->topic_scans) == 0) {
        s->scan = scan_decode(m->payload, m->len, cfg->max_message_bytes, &s->key, s->reason,
                              sizeof(s->reason));
        if (s->scan) {
            r->kind = BATCH_SCAN;
            r->key = s->scan->logisticsNo;
            r->scan = s->scan;
            return;
        }
    } else if ((dt = document_topic(cfg, r->topic)) >= 0) {
        s->doc = document_decode((enum doc_type)dt, m->payload, m->len, cfg->max_message_bytes,
                                 &s->key, s->reason, sizeof(s->reason));
        if (s->doc) {
            r->kind = BATCH_DOCUMENT;
            r->key = document_string(s->doc, s->doc->spec->key_b);
            r->doc = s->doc;
            return;
        }
        /* Quarantined: only a waybill's key is a logisticsNo, that a receipt can carry. */
        if (dt != DOC_WAYBILL) {
            free(s->key);
            s->key = NULL;
        }
    } else {
        s->decl = declaration_decode(m->payload, m->len, cfg->max_message_bytes, &s->key, s->reason,
                                     sizeof(s->reason));
    }
    if (s->decl && rules_evaluate(rules, s->decl, &s->decision) < 0) {
        /* Out of memory: not the record's fault, but never lose it: quarantine says why. */
        declaration_free(s->decl);
        s->decl = NULL;
        snprintf(s->reason, sizeof(s->reason), "rules evaluation failed: out of memory");
    }
    if (s->decl)
        matching_hold(rules, s->decl, &s->decision); /* 120 awaiting order / waybill */
    if (s->decl) {
        r->kind = BATCH_DECLARATION;
        r->key = s->decl->logisticsNo;
        r->decl = s->decl;
        r->decision = &s->decision;
    } else {
        r->kind = BATCH_QUARANTINE;
        r->key = s->key;
        r->reason = s->reason;
    }
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool consumer_slot_redecide(struct consumer_slot *s, struct decision *dec)
{
    const struct decision *old = &s->decision;
    bool changed = old->status_code != dec->status_code || old->n_reasons != dec->n_reasons ||
                   !same_text(old->rules_version, dec->rules_version);
    for (size_t k = 0; !changed && k < dec->n_reasons; k++) {
        const struct reason *a = &old->reasons[k], *b = &dec->reasons[k];
        changed = a->action != b->action || a->severity != b->severity ||
                  !same_text(a->rule_id, b->rule_id) || !same_text(a->message, b->message) ||
                  !same_text(a->message_zh, b->message_zh) || !same_text(a->value, b->value);
    }
    decision_clear(&s->decision);
    s->decision = *dec;
    return changed;
}
