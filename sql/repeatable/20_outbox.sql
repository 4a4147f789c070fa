-- 20_outbox.sql - what goes into customs.outbox: the topics, and the one JSON shape of
-- warehouse events and declarer receipts (customs.outbox_payload). apply_batch writes the
-- rows of a batch's first decisions set-based with it; every later change writes its rows
-- through customs.outbox_add(). The relay (daemon/relay.c) publishes payload as it is.

-- The topics customsd is configured with (apply_batch records them on every batch, and
-- writes the row only when they changed, so concurrent batches do not queue on it).
CREATE OR REPLACE FUNCTION customs.outbox_topics_set(p_events text, p_receipts text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM customs.outbox_topics t
                    WHERE t.kind = 'events' AND t.topic = p_events)
       OR NOT EXISTS (SELECT 1 FROM customs.outbox_topics t
                       WHERE t.kind = 'receipts' AND t.topic = p_receipts) THEN
        INSERT INTO customs.outbox_topics AS t (kind, topic)
        VALUES ('events', p_events), ('receipts', p_receipts)
        ON CONFLICT (kind) DO UPDATE SET topic = excluded.topic, updated_at = now()
         WHERE t.topic IS DISTINCT FROM excluded.topic;
    END IF;
END;
$$;

-- Which topic an outbox row of type p_type goes to: 'receipts' for a receipt, else 'events'.
CREATE OR REPLACE FUNCTION customs.outbox_topic_kind(p_type text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_type = 'receipt' THEN 'receipts' ELSE 'events' END
$$;

-- The configured topic ('events' | 'receipts'), or the default name before customsd ran.
CREATE OR REPLACE FUNCTION customs.outbox_topic(p_kind text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT t.topic FROM customs.outbox_topics t WHERE t.kind = p_kind),
                    CASE p_kind WHEN 'events' THEN 'mishan.warehouse.events'
                                ELSE 'customs.receipts' END)
$$;

-- The payload of an outbox row (jsonb): what the declarer or the warehouse may read, and
-- nothing else (docs/DESIGN.md "Receipts and warehouse events"). Who made a change (the
-- officer's login, the scan's site, the declarer's code), the note and the rules version
-- are customs' own record: they stay in customs.status_history and never reach a payload,
-- whatever the caller passes.
--   every row  {"event_id", "type", "logisticsNo", "copNo", "status_code", "status",
--               "occurred_at" (transaction start, UTC, ISO 8601 with ms), "invtNo" (the
--               parcel's inventory number, customs.declarations.invt_no, given on
--               acceptance; null before it, and in a 120 receipt, which precedes the
--               decision)}
--   a receipt (p_type 'receipt', to the declarer): + {"reasons" (the rules' reasons, the
--               declarer-facing text), and the CEB604 fields "guid", "customsCode",
--               "ebpCode", "ebcCode", "agentCode" (the declaration's, as stored; null when
--               there is none, as for a record that could not be read), "returnStatus" (the
--               code as text), "returnTime" (yyyyMMddHHmmssfff, UTC), "returnInfo" (the
--               status in words, then the reasons in Chinese with their rule ids:
--               customs.return_info of customs.reasons_text_zh)}. The reasons only for
--               100 (what the declarer must correct) and -1 (why the record was not
--               applied); for any other status [] and the status in words alone: why a
--               parcel goes to manual review or inspection, or what a rule flagged on an
--               accepted one, is customs' risk information.
--   an event (inspect | return | release | detain, to the warehouse): + {"event" (the cause:
--               p_change's "event", 'declared' for a first decision), "from_status_code"
--               (p_change's, null for a first decision)}
-- p_reasons: an array [{rule_id, action, message, message_zh?}]; p_change: {"event", "from_status_code"}
-- of a change after the first decision, NULL for a first decision (any other key in it is
-- ignored); p_rules_version is not published (the parameter stays so that the signature
-- does). The reasons text is only computed when there are reasons (the per-row subquery
-- cost about 7 ms per 1000 rows).
-- The shape itself is customs.outbox_payload_of, which takes the parcel's stored row
-- (invtNo, the codes) as a parameter: apply_batch joins the batch's declarations once
-- instead of looking each up.
-- outbox_payload_of has no subquery, so PostgreSQL inlines it into the caller's statement:
-- as a function called per row (outbox_payload's invtNo subquery prevents inlining) it
-- cost ~32 us per row, 70 of apply_batch_outbox's 103 ms for 2,163 rows (docs/PERFORMANCE.md).
CREATE OR REPLACE FUNCTION customs.outbox_payload_of(p_event_id uuid, p_type text,
                                                     p_logistics_no text, p_cop_no text,
                                                     p_guid text, p_code integer,
                                                     p_reasons jsonb, p_change jsonb,
                                                     p_decl customs.declarations)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_type = 'receipt' THEN
               jsonb_build_object(
                   'event_id', p_event_id,
                   'type', p_type,
                   'logisticsNo', p_logistics_no,
                   'copNo', p_cop_no,
                   'status_code', p_code,
                   'status', customs.status_name(p_code),
                   'occurred_at', to_char(now() AT TIME ZONE 'UTC',
                                          'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   'invtNo', CASE WHEN p_code <> 120 THEN (p_decl).invt_no END,
                   'reasons', CASE WHEN p_code IN (100, -1) THEN p_reasons
                                   ELSE '[]'::jsonb END,
                   'guid', p_guid,
                   'customsCode', (p_decl).customs_code,
                   'ebpCode', (p_decl).ebp_code,
                   'ebcCode', (p_decl).ebc_code,
                   'agentCode', (p_decl).agent_code,
                   'returnStatus', p_code::text,
                   'returnTime', to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSMS'),
                   'returnInfo', customs.return_info(p_code,
                       CASE WHEN p_code IN (100, -1) AND p_reasons <> '[]'
                            THEN customs.reasons_text_zh(p_reasons) END))
           ELSE
               jsonb_build_object(
                   'event_id', p_event_id,
                   'type', p_type,
                   'logisticsNo', p_logistics_no,
                   'copNo', p_cop_no,
                   'status_code', p_code,
                   'status', customs.status_name(p_code),
                   'occurred_at', to_char(now() AT TIME ZONE 'UTC',
                                          'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   'invtNo', CASE WHEN p_code <> 120 THEN (p_decl).invt_no END,
                   'event', coalesce(p_change->>'event', 'declared'),
                   'from_status_code', p_change->'from_status_code')
           END
$$;
COMMENT ON FUNCTION customs.outbox_payload_of(uuid, text, text, text, text, integer, jsonb,
                                              jsonb, customs.declarations) IS
    'customs.outbox_payload with the parcel''s stored row given (p_decl, NULL when none); inlined by the planner.';

CREATE OR REPLACE FUNCTION customs.outbox_payload(p_event_id uuid, p_type text,
                                                  p_logistics_no text, p_cop_no text,
                                                  p_guid text, p_code integer,
                                                  p_reasons jsonb, p_rules_version text,
                                                  p_change jsonb)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT customs.outbox_payload_of(
               p_event_id, p_type, p_logistics_no, p_cop_no, p_guid, p_code, p_reasons,
               p_change,
               (SELECT d FROM customs.declarations d WHERE d.logistics_no = p_logistics_no))
$$;
COMMENT ON FUNCTION customs.outbox_payload(uuid, text, text, text, text, integer, jsonb, text,
                                           jsonb) IS
    'JSON payload of an outbox event or receipt (CEB604 fields for receipts), never who or why.';

-- One outbox row for a change after the first decision, to the configured topic: p_type
-- as for outbox_payload, p_event the cause (status_history.event), p_from the status before
-- (NULL: none). p_actor and p_note are not written: who and why are customs' own record,
-- kept in customs.status_history (callers pass NULL; the parameters stay so that the
-- signature does).
CREATE OR REPLACE FUNCTION customs.outbox_add(p_type text, p_logistics_no text, p_cop_no text,
                                              p_guid text, p_code integer, p_reasons jsonb,
                                              p_rules_version text, p_event text,
                                              p_actor text, p_note text, p_from integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := gen_random_uuid();
BEGIN
    INSERT INTO customs.outbox (event_id, topic, key, type, payload)
    VALUES (v_id,
            customs.outbox_topic(customs.outbox_topic_kind(p_type)),
            p_logistics_no, p_type,
            customs.outbox_payload(
                v_id, p_type, p_logistics_no, p_cop_no, p_guid, p_code,
                customs.array_or_empty(p_reasons),
                p_rules_version,
                jsonb_build_object('event', p_event, 'from_status_code', p_from)));
END;
$$;
