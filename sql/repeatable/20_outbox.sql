-- 20_outbox.sql - what goes into customs.outbox after a parcel's first decision: the
-- configured topics and one event or receipt row (customs.outbox_add).

-- The configured topic ('events' | 'receipts'), or the default name before customsd ran.
CREATE OR REPLACE FUNCTION customs.outbox_topic(p_kind text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT t.topic FROM customs.outbox_topics t WHERE t.kind = p_kind),
                    CASE p_kind WHEN 'events' THEN 'mishan.warehouse.events'
                                ELSE 'customs.receipts' END)
$$;

-- An event or receipt row for the outbox (the same JSON shape as apply_batch's, plus the
-- cause): receipts carry the CEB604 fields guid, returnStatus, returnTime
-- (yyyyMMddHHmmssfff, UTC like apply_batch's), returnInfo (status and reasons in words).
CREATE OR REPLACE FUNCTION customs.outbox_add(p_type text, p_logistics_no text, p_cop_no text,
                                   p_guid text, p_code integer, p_reasons jsonb,
                                   p_rules_version text, p_event text, p_actor text,
                                   p_note text, p_from integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_id      uuid := gen_random_uuid();
    v_reasons jsonb := CASE WHEN jsonb_typeof(p_reasons) = 'array' THEN p_reasons ELSE '[]' END;
BEGIN
    INSERT INTO customs.outbox (event_id, topic, key, type, payload)
    VALUES (v_id,
            customs.outbox_topic(CASE WHEN p_type = 'receipt' THEN 'receipts' ELSE 'events' END),
            p_logistics_no, p_type,
            jsonb_build_object(
                'event_id', v_id,
                'type', p_type,
                'logisticsNo', p_logistics_no,
                'copNo', p_cop_no,
                'status_code', p_code,
                'status', customs.status_name(p_code),
                'reasons', v_reasons,
                'rules_version', p_rules_version,
                'occurred_at', to_char(now() AT TIME ZONE 'UTC',
                                       'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'event', p_event,
                'from_status_code', p_from,
                'actor', p_actor,
                'note', p_note)
            || CASE WHEN p_type = 'receipt' THEN
                   jsonb_build_object(
                       'guid', p_guid,
                       'returnStatus', p_code::text,
                       'returnTime', to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSMS'),
                       'returnInfo', customs.return_info(p_code, nullif(concat_ws('; ',
                           nullif(p_note, ''), customs.reasons_text(v_reasons)), '')))
               ELSE '{}'::jsonb END);
END;
$$;
