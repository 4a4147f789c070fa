-- 002_apply_batch.sql - status names and customs.apply_batch(), the one call customsd makes
-- per Kafka batch (daemon/store.c). Everything a batch writes happens inside it, in the
-- caller's transaction: the fenced offsets, declarations, items, status history, outbox
-- events and receipts, and quarantine rows. Set-based: a batch of 1000 declarations is a
-- handful of INSERT ... SELECT statements, not 1000 round trips or a loop per row.

-- English status name per customs receipt code (same table as daemon/status.c).
CREATE FUNCTION customs.status_name(p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_code
        WHEN -1  THEN 'processing_error'
        WHEN 100 THEN 'rejected'
        WHEN 120 THEN 'stored'
        WHEN 300 THEN 'manual_review'
        WHEN 399 THEN 'accepted'
        WHEN 500 THEN 'inspection'
        WHEN 501 THEN 'detained'
        WHEN 502 THEN 'detained'
        WHEN 503 THEN 'detained'
        WHEN 599 THEN 'detained'
        WHEN 700 THEN 'returned'
        WHEN 800 THEN 'released'
        WHEN 899 THEN 'closed'
        ELSE 'unknown'
    END
$$;

-- Chinese receipt wording per code (CEB604 returnStatus, shared DOMAIN.md section 2).
CREATE FUNCTION customs.status_label(p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_code
        WHEN -1  THEN '处理失败'
        WHEN 100 THEN '海关退单'
        WHEN 120 THEN '海关入库'
        WHEN 300 THEN '人工审核'
        WHEN 399 THEN '海关审结'
        WHEN 500 THEN '查验'
        WHEN 501 THEN '扣留移送通关'
        WHEN 502 THEN '扣留移送缉私'
        WHEN 503 THEN '扣留移送法规'
        WHEN 599 THEN '其它扣留'
        WHEN 700 THEN '退运'
        WHEN 800 THEN '放行'
        WHEN 899 THEN '结关'
        ELSE '未知'
    END
$$;

-- The reasons in words: "R01: message; R07: message" (NULL for none).
CREATE FUNCTION customs.reasons_text(p_reasons jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT string_agg(concat_ws(': ', r.e->>'rule_id', r.e->>'message'), '; ' ORDER BY r.n)
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_reasons) = 'array'
                                     THEN p_reasons ELSE '[]' END)
           WITH ORDINALITY AS r(e, n)
$$;

-- CEB604 returnInfo (C..1000): the status in words, then the reasons text if any
-- ("海关退单 rejected: R01: ...; R07: ..."). A plain expression, so the planner inlines it;
-- callers pass customs.reasons_text(reasons) only when there are reasons, which keeps the
-- per-row subquery off the common no-reason path (it cost about 7 ms per 1000 rows).
CREATE FUNCTION customs.return_info(p_code integer, p_reasons_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT left(customs.status_label(p_code) || ' ' || customs.status_name(p_code) ||
                coalesce(': ' || p_reasons_text, ''), 1000)
$$;

COMMENT ON FUNCTION customs.status_name(integer) IS 'English name of a customs status code.';
COMMENT ON FUNCTION customs.status_label(integer) IS 'Chinese receipt wording of a status code.';
COMMENT ON FUNCTION customs.return_info(integer, text) IS
    'CEB604 returnInfo: status in words plus customs.reasons_text(reasons).';

CREATE FUNCTION customs.apply_batch(p_group text, p_batch jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    c_conflict constant text := 'logisticsNo already declared with different content '
        '(appType 1); amendments (appType 2) are not supported yet';
    v_topic_events   text := p_batch->>'topic_events';
    v_topic_receipts text := p_batch->>'topic_receipts';
    -- One time for the whole batch: the transaction start, in UTC.
    v_occurred_at text := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    v_return_time text := to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSMS');
    v_off          record;
    v_rows         bigint;
    v_stored       bigint;
    v_bad          text;
    v_declarations bigint := 0;
    v_duplicates   bigint := 0;
    v_conflicts    bigint := 0;
    v_quarantined  bigint := 0;
    v_events       bigint := 0;
BEGIN
    IF coalesce(p_group, '') = '' THEN
        RAISE EXCEPTION 'apply_batch: empty consumer group' USING ERRCODE = 'CS002';
    END IF;
    IF jsonb_typeof(p_batch) IS DISTINCT FROM 'object'
       OR jsonb_typeof(p_batch->'offsets') IS DISTINCT FROM 'array'
       OR jsonb_typeof(p_batch->'records') IS DISTINCT FROM 'array'
       OR coalesce(v_topic_events, '') = '' OR coalesce(v_topic_receipts, '') = '' THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: need an object with topic_events, '
                        'topic_receipts, offsets[] and records[]' USING ERRCODE = 'CS002';
    END IF;

    ---------------------------------------------------------------------------------------
    -- 1. Offset fences, first: a zombie instance must fail before it writes anything.
    --    One statement per partition touched (a handful), each must hit exactly one row.
    ---------------------------------------------------------------------------------------
    SELECT format('%s/%s', o.topic, o.partition) INTO v_bad
      FROM jsonb_to_recordset(p_batch->'offsets') AS o(topic text, partition integer)
     GROUP BY o.topic, o.partition HAVING count(*) > 1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'apply_batch: partition % listed twice in offsets', v_bad
            USING ERRCODE = 'CS002';
    END IF;

    FOR v_off IN
        SELECT o.topic, o.partition, o.expected, o.next
          FROM jsonb_to_recordset(p_batch->'offsets')
               AS o(topic text, partition integer, expected bigint, next bigint)
    LOOP
        IF v_off.topic IS NULL OR v_off.partition IS NULL OR v_off.expected IS NULL
           OR v_off.next IS NULL OR v_off.expected < -1 OR v_off.next < 0
           OR (v_off.expected >= 0 AND v_off.next < v_off.expected) THEN
            RAISE EXCEPTION 'apply_batch: bad offsets entry %', to_jsonb(v_off)
                USING ERRCODE = 'CS002';
        END IF;
        IF v_off.expected = -1 THEN
            -- First batch ever for this partition: the row must not exist yet.
            INSERT INTO customs.consumer_offsets (group_id, topic, partition, next_offset)
            VALUES (p_group, v_off.topic, v_off.partition, v_off.next)
            ON CONFLICT DO NOTHING;
        ELSE
            -- Under READ COMMITTED a concurrent writer of the same row makes this wait,
            -- then re-check the condition on the new value and match nothing.
            UPDATE customs.consumer_offsets
               SET next_offset = v_off.next, updated_at = now()
             WHERE group_id = p_group AND topic = v_off.topic
               AND partition = v_off.partition AND next_offset = v_off.expected;
        END IF;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows <> 1 THEN
            SELECT c.next_offset INTO v_stored
              FROM customs.consumer_offsets c
             WHERE c.group_id = p_group AND c.topic = v_off.topic
               AND c.partition = v_off.partition;
            RAISE EXCEPTION 'offset fence failed for %/%: expected %, stored %',
                v_off.topic, v_off.partition,
                CASE WHEN v_off.expected = -1 THEN 'none' ELSE v_off.expected::text END,
                coalesce(v_stored::text, 'none')
                USING ERRCODE = 'CS001';
        END IF;
    END LOOP;

    ---------------------------------------------------------------------------------------
    -- 2. Stage the records in a session temp table (created once per session, emptied at
    --    commit): later steps classify rows and join on them several times.
    ---------------------------------------------------------------------------------------
    IF to_regclass('pg_temp.customs_apply_stage_v1') IS NULL THEN
        CREATE TEMP TABLE customs_apply_stage_v1 (
            seq           bigint  NOT NULL, -- position in the batch = consumption order
            kind          text,
            topic         text,
            partition     integer,
            "offset"      bigint,
            ts            timestamptz,
            logistics_no  text,
            cop_no        text,
            guid          text,
            sha256        text,
            payload       text,
            status_code   integer,
            rules_version text,
            reasons       jsonb,
            decl          jsonb,
            raw           bytea,
            reason        text,
            -- new | duplicate | conflict (declarations); quarantined (quarantine records)
            outcome       text
        ) WITH (toast_tuple_target = 8160) -- rows of 2-8 kB stay uncompressed: measured,
          ON COMMIT DELETE ROWS;            -- compressing them took most of the staging
    ELSE
        DELETE FROM pg_temp.customs_apply_stage_v1; -- a second call in one transaction
    END IF;

    INSERT INTO pg_temp.customs_apply_stage_v1
        (seq, kind, topic, partition, "offset", ts, logistics_no, cop_no, guid, sha256,
         payload, status_code, rules_version, reasons, decl, raw, reason)
    SELECT r.seq, r.kind, r.topic, r.partition, r."offset",
           CASE WHEN r.timestamp_ms >= 0
                THEN 'epoch'::timestamptz + r.timestamp_ms * interval '1 millisecond' END,
           -- A quarantined record's key is whatever could be read: keep it only when it
           -- can be a logisticsNo (CEB603 C..80), else there is no one to send a receipt.
           CASE WHEN r.kind = 'declaration' OR char_length(r."logisticsNo") <= 80
                THEN nullif(r."logisticsNo", '') END,
           r.decl->>'copNo', r.decl->>'guid', r.sha256,
           r.payload, r.status_code, r.rules_version,
           CASE WHEN jsonb_typeof(r.reasons) = 'array' THEN r.reasons ELSE '[]' END,
           r.decl, decode(r.raw_b64, 'base64'), r.reason
      FROM ROWS FROM (jsonb_to_recordset(p_batch->'records')
               AS (kind text, topic text, partition integer, "offset" bigint,
                   timestamp_ms bigint, "logisticsNo" text, sha256 text, payload text,
                   status_code integer, rules_version text, reasons jsonb, decl jsonb,
                   raw_b64 text, reason text))
           WITH ORDINALITY
           AS r(kind, topic, partition, "offset", timestamp_ms, "logisticsNo", sha256,
                payload, status_code, rules_version, reasons, decl, raw_b64, reason, seq);

    -- Refuse a batch that does not match its own fences or is malformed: better loud
    -- than a record applied without its offset (or an offset moved past a record).
    SELECT format('record %s (%s/%s@%s)', s.seq, s.topic, s.partition, s."offset")
      INTO v_bad
      FROM pg_temp.customs_apply_stage_v1 s
     WHERE s.kind IS NULL OR s.kind NOT IN ('declaration', 'quarantine')
        OR s.topic IS NULL OR s.partition IS NULL OR s."offset" IS NULL
        OR (s.kind = 'declaration'
            AND (s.logistics_no IS NULL OR s.sha256 IS NULL OR s.payload IS NULL
                 OR s.decl IS NULL OR s.status_code IS NULL
                 OR s.status_code NOT IN (100, 300, 399, 500)))
        OR (s.kind = 'quarantine' AND (s.raw IS NULL OR s.reason IS NULL))
        OR NOT EXISTS (
               SELECT 1
                 FROM jsonb_to_recordset(p_batch->'offsets')
                      AS o(topic text, partition integer, expected bigint, next bigint)
                WHERE o.topic = s.topic AND o.partition = s.partition
                  AND s."offset" < o.next AND (o.expected = -1 OR s."offset" >= o.expected))
     ORDER BY s.seq LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: % is incomplete or outside its '
                        'partition''s offset range', v_bad USING ERRCODE = 'CS002';
    END IF;
    SELECT format('%s/%s@%s', s.topic, s.partition, s."offset") INTO v_bad
      FROM pg_temp.customs_apply_stage_v1 s
     GROUP BY s.topic, s.partition, s."offset" HAVING count(*) > 1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: record % appears twice', v_bad
            USING ERRCODE = 'CS002';
    END IF;

    ---------------------------------------------------------------------------------------
    -- 3. New declarations. Within the batch the first record of a logisticsNo wins; a
    --    stored row wins over the batch (ON CONFLICT DO NOTHING). RETURNING names the
    --    staged records that made it.
    ---------------------------------------------------------------------------------------
    WITH ins AS (
        INSERT INTO customs.declarations AS d
            (logistics_no, order_no, cop_no, guid, app_type, app_time, app_status, ebp_code,
             ebc_code, ebc_name, logistics_code, agent_code, owner_code, customs_code,
             port_code, ie_flag, ie_date, statistics_flag, trade_mode, traf_mode, country,
             pod, wrap_type, gross_weight, net_weight, freight, f_currency, insured_fee,
             i_currency, pack_no, total_price, currency, item_count, status_code, status,
             reasons, rules_version, content_sha256, payload, source_topic,
             source_partition, source_offset, source_timestamp)
        SELECT DISTINCT ON (s.logistics_no)
               s.logistics_no, h."orderNo", h."copNo", h.guid, h."appType", h."appTime",
               h."appStatus", h."ebpCode", h."ebcCode", h."ebcName", h."logisticsCode",
               h."agentCode", h."ownerCode", h."customsCode", h."portCode", h."ieFlag",
               h."ieDate", h."statisticsFlag", h."tradeMode", h."trafMode", h.country,
               h."POD", h."wrapType", h."grossWeight", h."netWeight", h.freight,
               h."fCurrency", h."insuredFee", h."iCurrency", h."packNo",
               it.total, it.currency, it.n, s.status_code, customs.status_name(s.status_code),
               s.reasons, s.rules_version, s.sha256, s.payload, s.topic, s.partition,
               s."offset", s.ts
          FROM pg_temp.customs_apply_stage_v1 s
               CROSS JOIN LATERAL jsonb_to_record(s.decl)
                   AS h("orderNo" text, "copNo" text, guid text, "appType" text,
                        "appTime" text, "appStatus" text, "ebpCode" text, "ebcCode" text,
                        "ebcName" text, "logisticsCode" text, "agentCode" text,
                        "ownerCode" text, "customsCode" text, "portCode" text, "ieFlag" text,
                        "ieDate" text, "statisticsFlag" text, "tradeMode" text,
                        "trafMode" text, country text, "POD" text, "wrapType" text,
                        "grossWeight" numeric, "netWeight" numeric, freight numeric,
                        "fCurrency" text, "insuredFee" numeric, "iCurrency" text,
                        "packNo" bigint)
               CROSS JOIN LATERAL (
                   SELECT sum(i."totalPrice") AS total,
                          CASE WHEN count(DISTINCT i.currency) = 1
                                    AND count(i.currency) = count(*)
                               THEN min(i.currency) END AS currency,
                          count(*)::integer AS n
                     FROM jsonb_to_recordset(
                              CASE WHEN jsonb_typeof(s.decl->'items') = 'array'
                                   THEN s.decl->'items' ELSE '[]' END)
                          AS i("totalPrice" numeric, currency text)) it
         WHERE s.kind = 'declaration'
         ORDER BY s.logistics_no, s.seq
        ON CONFLICT (logistics_no) DO NOTHING
        RETURNING d.source_topic, d.source_partition, d.source_offset
    )
    UPDATE pg_temp.customs_apply_stage_v1 s
       SET outcome = 'new'
      FROM ins
     WHERE s.topic = ins.source_topic AND s.partition = ins.source_partition
       AND s."offset" = ins.source_offset;
    GET DIAGNOSTICS v_declarations = ROW_COUNT;

    -- Everything else already has a row (stored before, earlier in this batch, or by a
    -- concurrent transaction that committed first; this statement sees all three).
    UPDATE pg_temp.customs_apply_stage_v1 s
       SET outcome = CASE WHEN d.content_sha256 = s.sha256 THEN 'duplicate' ELSE 'conflict' END
      FROM customs.declarations d
     WHERE s.kind = 'declaration' AND s.outcome IS NULL AND d.logistics_no = s.logistics_no;

    SELECT count(*) FILTER (WHERE s.outcome = 'duplicate'),
           count(*) FILTER (WHERE s.outcome = 'conflict'),
           count(*) FILTER (WHERE s.kind = 'declaration' AND s.outcome IS NULL)
      INTO v_duplicates, v_conflicts, v_rows
      FROM pg_temp.customs_apply_stage_v1 s;
    IF v_rows <> 0 THEN
        RAISE EXCEPTION 'apply_batch: % declaration(s) neither inserted nor found', v_rows;
    END IF;

    -- 4. Items of the new declarations, in declared order.
    INSERT INTO customs.declaration_items
        (logistics_no, line_no, gnum, item_no, item_record_no, item_name, gcode, gname,
         gmodel, bar_code, country, currency, qty, unit, qty1, unit1, qty2, unit2, price,
         total_price)
    SELECT s.logistics_no, i.line_no, i.gnum, i."itemNo", i."itemRecordNo", i."itemName",
           i.gcode, i.gname, i.gmodel, i."barCode", i.country, i.currency, i.qty, i.unit,
           i.qty1, i.unit1, i.qty2, i.unit2, i.price, i."totalPrice"
      FROM pg_temp.customs_apply_stage_v1 s
           CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(
                   CASE WHEN jsonb_typeof(s.decl->'items') = 'array'
                        THEN s.decl->'items' ELSE '[]' END)
                   AS (gnum bigint, "itemNo" text, "itemRecordNo" text, "itemName" text,
                       gcode text, gname text, gmodel text, "barCode" text, country text,
                       currency text, qty numeric, unit text, qty1 numeric, unit1 text,
                       qty2 numeric, unit2 text, price numeric, "totalPrice" numeric))
               WITH ORDINALITY
               AS i(gnum, "itemNo", "itemRecordNo", "itemName", gcode, gname, gmodel,
                    "barCode", country, currency, qty, unit, qty1, unit1, qty2, unit2, price,
                    "totalPrice", line_no)
     WHERE s.outcome = 'new';

    -- 5. One status history row per new declaration: the rules decided it.
    INSERT INTO customs.status_history
        (logistics_no, status_code, status, reasons, rule_ids, rules_version, actor,
         source_topic, source_partition, source_offset)
    SELECT s.logistics_no, s.status_code, customs.status_name(s.status_code), s.reasons,
           ARRAY(SELECT r.e->>'rule_id'
                   FROM jsonb_array_elements(s.reasons) WITH ORDINALITY AS r(e, n)
                  ORDER BY r.n),
           s.rules_version, 'rules:' || coalesce(s.rules_version, 'unknown'),
           s.topic, s.partition, s."offset"
      FROM pg_temp.customs_apply_stage_v1 s
     WHERE s.outcome = 'new'
     ORDER BY s.seq;

    -- 6. Quarantine: undecodable records (raw bytes as sent) and conflicting declarations
    --    (their raw bytes are the payload text). Unique per Kafka record, so another
    --    consumer group reading the same topic does not fail on it.
    WITH q AS (
        INSERT INTO customs.quarantine
            (source_topic, source_partition, source_offset, raw, reason, logistics_no)
        SELECT s.topic, s.partition, s."offset",
               CASE WHEN s.kind = 'quarantine' THEN s.raw
                    ELSE convert_to(s.payload, 'UTF8') END,
               CASE WHEN s.kind = 'quarantine' THEN s.reason ELSE c_conflict END,
               s.logistics_no
          FROM pg_temp.customs_apply_stage_v1 s
         WHERE s.kind = 'quarantine' OR s.outcome = 'conflict'
         ORDER BY s.seq
        ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
        RETURNING source_topic, source_partition, source_offset
    )
    UPDATE pg_temp.customs_apply_stage_v1 s
       SET outcome = 'quarantined'
      FROM q
     WHERE s.kind = 'quarantine' AND s.topic = q.source_topic
       AND s.partition = q.source_partition AND s."offset" = q.source_offset;
    GET DIAGNOSTICS v_quarantined = ROW_COUNT;

    -- 7. Outbox, in consumption order (id order = commit order per parcel): a receipt per
    --    new declaration, a warehouse event for inspection (500) and rejection (100),
    --    and a processing-error receipt (-1) per conflict or undecodable record whose
    --    sender is known. event_id is generated once per row and put in the payload too.
    WITH src AS (
        SELECT s.seq, 1 AS sub, v_topic_receipts AS topic, 'receipt' AS type, s.logistics_no,
               s.cop_no, s.guid, s.status_code, s.reasons, s.rules_version
          FROM pg_temp.customs_apply_stage_v1 s
         WHERE s.outcome = 'new'
        UNION ALL
        SELECT s.seq, 2, v_topic_events,
               CASE s.status_code WHEN 500 THEN 'inspect' ELSE 'return' END,
               s.logistics_no, s.cop_no, s.guid, s.status_code, s.reasons, s.rules_version
          FROM pg_temp.customs_apply_stage_v1 s
         WHERE s.outcome = 'new' AND s.status_code IN (100, 500)
        UNION ALL
        SELECT s.seq, 1, v_topic_receipts, 'receipt', s.logistics_no, s.cop_no, s.guid, -1,
               jsonb_build_array(jsonb_build_object('rule_id', 'conflict', 'action', 'reject',
                                                    'message', c_conflict)),
               s.rules_version
          FROM pg_temp.customs_apply_stage_v1 s
         WHERE s.outcome = 'conflict'
        UNION ALL
        SELECT s.seq, 1, v_topic_receipts, 'receipt', s.logistics_no, NULL, NULL, -1,
               jsonb_build_array(jsonb_build_object('rule_id', 'decode', 'action', 'reject',
                                                    'message', s.reason)),
               NULL
          FROM pg_temp.customs_apply_stage_v1 s
         WHERE s.outcome = 'quarantined' AND s.logistics_no IS NOT NULL
    ), ev AS MATERIALIZED (
        SELECT gen_random_uuid() AS event_id, src.* FROM src
    )
    INSERT INTO customs.outbox (event_id, topic, key, type, payload)
    SELECT ev.event_id, ev.topic, ev.logistics_no, ev.type,
           jsonb_build_object(
               'event_id', ev.event_id,
               'type', ev.type,
               'logisticsNo', ev.logistics_no,
               'copNo', ev.cop_no,
               'status_code', ev.status_code,
               'status', customs.status_name(ev.status_code),
               'reasons', ev.reasons,
               'rules_version', ev.rules_version,
               'occurred_at', v_occurred_at)
           || CASE WHEN ev.type = 'receipt' THEN
                  jsonb_build_object(
                      'guid', ev.guid,
                      'returnStatus', ev.status_code::text,
                      'returnTime', v_return_time,
                      'returnInfo', customs.return_info(ev.status_code,
                          CASE WHEN jsonb_array_length(ev.reasons) > 0
                               THEN customs.reasons_text(ev.reasons) END))
              ELSE '{}'::jsonb END
      FROM ev
     ORDER BY ev.seq, ev.sub;
    GET DIAGNOSTICS v_events = ROW_COUNT;

    -- Wake the relay once per batch (delivered at commit, coalesced per transaction).
    IF v_events > 0 THEN
        PERFORM pg_notify('customs_outbox', '');
    END IF;

    RETURN jsonb_build_object('declarations', v_declarations, 'duplicates', v_duplicates,
                              'conflicts', v_conflicts, 'quarantined', v_quarantined,
                              'events', v_events);
END;
$fn$;

COMMENT ON FUNCTION customs.apply_batch(text, jsonb) IS $c$
Apply one consumed Kafka batch for consumer group p_group, in the caller's transaction.
Returns {"declarations", "duplicates", "conflicts", "quarantined", "events"} (counts).
Errors: SQLSTATE CS001 = an offset fence failed (another instance owns the partition; the
transaction must roll back); CS002 = malformed batch (a caller bug).

Batch (jsonb):
{
  "topic_events":   "mishan.warehouse.events",   -- topic of warehouse events
  "topic_receipts": "customs.receipts",          -- topic of declarer receipts
  "offsets": [ {"topic": "customs.declarations", "partition": 0,
                "expected": 41,                  -- stored next offset, -1 = none yet
                "next": 44} ],                   -- last record offset + 1
  "records": [                                   -- consumption order
    {"kind": "declaration", "topic": "...", "partition": 0, "offset": 41,
     "timestamp_ms": 1715480000000,              -- Kafka timestamp, -1/null = none
     "logisticsNo": "YL...", "sha256": "<hex of the raw value>",
     "payload": "<raw value as text>",
     "status_code": 399,                         -- 100 | 300 | 399 | 500
     "rules_version": "<sha256 of rules.yaml>",
     "reasons": [{"rule_id": "...", "action": "reject|review|inspect|flag",
                  "message": "..."}],
     "decl": {CEB603 head fields by their CEB603 names, decimals as strings
              ("1.35"), packNo as an integer,
              "items": [{CEB603 list fields, gnum as an integer, decimals as strings}]}},
    {"kind": "quarantine", "topic": "...", "partition": 0, "offset": 42,
     "timestamp_ms": -1, "logisticsNo": "YL..." | null,
     "raw_b64": "<base64 of the raw value>", "reason": "invalid JSON at byte 17: ..."}
  ]
}
$c$;
