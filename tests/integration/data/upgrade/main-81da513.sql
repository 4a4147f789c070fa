-- main-81da513.sql - upgrade fixture for tests/integration/test_upgrade.sh: a database
-- migrated by the sql/ of commit 81da5133b322d981957b3faaf3049dc0d075afdb (migrations 001-006)
-- with the data of before.sql applied through that commit's customs.apply_batch() and
-- officer functions. Made by make_fixture.sh (next to this file); do not edit by hand.
-- The roles customs_owner, customsd and customs_officer must exist to restore it.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: customs; Type: SCHEMA; Schema: -; Owner: customs_owner
--

CREATE SCHEMA customs;


ALTER SCHEMA customs OWNER TO customs_owner;

--
-- Name: SCHEMA customs; Type: COMMENT; Schema: -; Owner: customs_owner
--

COMMENT ON SCHEMA customs IS 'customsd: cross-border e-commerce export clearance (CEB603)';


--
-- Name: apply_batch(text, jsonb); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.apply_batch(p_group text, p_batch jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
    c_conflict constant text := 'logisticsNo already declared with different content '
        '(appType 1); an amendment is sent with appType 2';
    v_topic_events   text := p_batch->>'topic_events';
    v_topic_receipts text := p_batch->>'topic_receipts';
    -- One time for the whole batch: the transaction start, in UTC.
    v_occurred_at text := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    v_return_time text := to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSMS');
    v_off          record;
    v_rec          record;
    v_scan         customs.warehouse_scans;
    v_rows         bigint;
    v_stored       bigint;
    v_bad          text;
    v_declarations bigint := 0;
    v_duplicates   bigint := 0;
    v_conflicts    bigint := 0;
    v_quarantined  bigint := 0;
    v_events       bigint := 0;
    v_amendments   bigint := 0;
    v_cancels      bigint := 0;
    v_refused      bigint := 0;
    v_scans        bigint := 0;
    v_pending      bigint := 0;
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

    -- The topics officer functions write to (005): those of this customsd. Written only
    -- when they changed, so concurrent batches do not queue on the row.
    IF NOT EXISTS (SELECT 1 FROM customs.outbox_topics t
                    WHERE t.kind = 'events' AND t.topic = v_topic_events)
       OR NOT EXISTS (SELECT 1 FROM customs.outbox_topics t
                       WHERE t.kind = 'receipts' AND t.topic = v_topic_receipts) THEN
        INSERT INTO customs.outbox_topics AS t (kind, topic)
        VALUES ('events', v_topic_events), ('receipts', v_topic_receipts)
        ON CONFLICT (kind) DO UPDATE SET topic = excluded.topic, updated_at = now()
         WHERE t.topic IS DISTINCT FROM excluded.topic;
    END IF;

    ---------------------------------------------------------------------------------------
    -- 2. Stage the records in a session temp table (created once per session, emptied at
    --    commit): later steps classify rows and join on them several times. (v2: v1 of
    --    002 may still exist in a session that ran the old function.)
    ---------------------------------------------------------------------------------------
    IF to_regclass('pg_temp.customs_apply_stage_v2') IS NULL THEN
        CREATE TEMP TABLE customs_apply_stage_v2 (
            seq              bigint  NOT NULL, -- position in the batch = consumption order
            kind             text,
            topic            text,
            partition        integer,
            "offset"         bigint,
            ts               timestamptz,
            logistics_no     text,
            cop_no           text,
            guid             text,
            app_type         text,
            sha256           text,
            payload          text,
            status_code      integer,
            rules_version    text,
            reasons          jsonb,
            decl             jsonb,
            raw              bytea,
            reason           text,
            scan             text,
            scanned_at       timestamptz,
            loct_no          text,
            total_package_no text,
            -- declarations: new | duplicate | conflict | amended | cancelled | refused;
            -- quarantine records: quarantined
            outcome          text
        ) WITH (toast_tuple_target = 8160) -- rows of 2-8 kB stay uncompressed: measured,
          ON COMMIT DELETE ROWS;            -- compressing them took most of the staging
    ELSE
        DELETE FROM pg_temp.customs_apply_stage_v2; -- a second call in one transaction
    END IF;

    INSERT INTO pg_temp.customs_apply_stage_v2
        (seq, kind, topic, partition, "offset", ts, logistics_no, cop_no, guid, app_type,
         sha256, payload, status_code, rules_version, reasons, decl, raw, reason, scan,
         scanned_at, loct_no, total_package_no)
    SELECT r.seq, r.kind, r.topic, r.partition, r."offset",
           CASE WHEN r.timestamp_ms >= 0
                THEN 'epoch'::timestamptz + r.timestamp_ms * interval '1 millisecond' END,
           -- A quarantined record's key is whatever could be read: keep it only when it
           -- can be a logisticsNo (CEB603 C..80), else there is no one to send a receipt.
           CASE WHEN r.kind IN ('declaration', 'scan') OR char_length(r."logisticsNo") <= 80
                THEN nullif(r."logisticsNo", '') END,
           r.decl->>'copNo', r.decl->>'guid', r.decl->>'appType', r.sha256,
           r.payload, r.status_code, r.rules_version,
           CASE WHEN jsonb_typeof(r.reasons) = 'array' THEN r.reasons ELSE '[]' END,
           r.decl, decode(r.raw_b64, 'base64'), r.reason, r.scan,
           customs.scan_time(r."scannedAt"), r."loctNo", r."totalPackageNo"
      FROM ROWS FROM (jsonb_to_recordset(p_batch->'records')
               AS (kind text, topic text, partition integer, "offset" bigint,
                   timestamp_ms bigint, "logisticsNo" text, sha256 text, payload text,
                   status_code integer, rules_version text, reasons jsonb, decl jsonb,
                   raw_b64 text, reason text, scan text, "scannedAt" text, "loctNo" text,
                   "totalPackageNo" text))
           WITH ORDINALITY
           AS r(kind, topic, partition, "offset", timestamp_ms, "logisticsNo", sha256,
                payload, status_code, rules_version, reasons, decl, raw_b64, reason, scan,
                "scannedAt", "loctNo", "totalPackageNo", seq);

    -- A scan whose scannedAt is not a time with an offset (the decoder lets none through;
    -- a client other than customsd might): kept in quarantine, not a reason to stall.
    UPDATE pg_temp.customs_apply_stage_v2 s
       SET kind = 'quarantine', raw = convert_to(s.payload, 'UTF8'),
           reason = 'scan: scannedAt is not an ISO 8601 time with an offset'
     WHERE s.kind = 'scan' AND s.scanned_at IS NULL AND s.payload IS NOT NULL;

    -- Refuse a batch that does not match its own fences or is malformed: better loud
    -- than a record applied without its offset (or an offset moved past a record).
    SELECT format('record %s (%s/%s@%s)', s.seq, s.topic, s.partition, s."offset")
      INTO v_bad
      FROM pg_temp.customs_apply_stage_v2 s
     WHERE s.kind IS NULL OR s.kind NOT IN ('declaration', 'quarantine', 'scan')
        OR s.topic IS NULL OR s.partition IS NULL OR s."offset" IS NULL
        OR (s.kind = 'declaration'
            AND (s.logistics_no IS NULL OR s.sha256 IS NULL OR s.payload IS NULL
                 OR s.decl IS NULL OR s.status_code IS NULL
                 OR s.status_code NOT IN (100, 300, 399, 500)))
        OR (s.kind = 'quarantine' AND (s.raw IS NULL OR s.reason IS NULL))
        OR (s.kind = 'scan'
            AND (s.logistics_no IS NULL OR s.scan IS NULL
                 OR s.scan NOT IN ('arrival', 'departure') OR s.scanned_at IS NULL
                 OR s.sha256 IS NULL OR s.payload IS NULL))
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
      FROM pg_temp.customs_apply_stage_v2 s
     GROUP BY s.topic, s.partition, s."offset" HAVING count(*) > 1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: record % appears twice', v_bad
            USING ERRCODE = 'CS002';
    END IF;

    ---------------------------------------------------------------------------------------
    -- 3. New declarations (appType 1, or anything but 2 and 3: the rules reject a bad
    --    appType, and a rejected declaration is recorded too). Within the batch the first
    --    record of a logisticsNo wins; a stored row wins over the batch (ON CONFLICT DO
    --    NOTHING). RETURNING names the staged records that made it.
    ---------------------------------------------------------------------------------------
    WITH ins AS (
        INSERT INTO customs.declarations AS d
            (logistics_no, order_no, cop_no, guid, app_type, app_time, app_status, ebp_code,
             ebc_code, ebc_name, logistics_code, agent_code, owner_code, customs_code,
             port_code, ie_flag, ie_date, statistics_flag, trade_mode, traf_mode, country,
             pod, wrap_type, gross_weight, net_weight, freight, f_currency, insured_fee,
             i_currency, pack_no, total_price, currency, item_count, status_code, status,
             reasons, rules_version, content_sha256, payload, source_topic,
             source_partition, source_offset, source_timestamp, status_actor)
        SELECT DISTINCT ON (s.logistics_no)
               s.logistics_no, h."orderNo", h."copNo", h.guid, h."appType", h."appTime",
               h."appStatus", h."ebpCode", h."ebcCode", h."ebcName", h."logisticsCode",
               h."agentCode", h."ownerCode", h."customsCode", h."portCode", h."ieFlag",
               h."ieDate", h."statisticsFlag", h."tradeMode", h."trafMode", h.country,
               h."POD", h."wrapType", h."grossWeight", h."netWeight", h.freight,
               h."fCurrency", h."insuredFee", h."iCurrency", h."packNo",
               it.total, it.currency, it.n, s.status_code, customs.status_name(s.status_code),
               s.reasons, s.rules_version, s.sha256, s.payload, s.topic, s.partition,
               s."offset", s.ts, 'rules:' || coalesce(s.rules_version, 'unknown')
          FROM pg_temp.customs_apply_stage_v2 s
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
         WHERE s.kind = 'declaration' AND s.app_type IS DISTINCT FROM '2'
           AND s.app_type IS DISTINCT FROM '3'
         ORDER BY s.logistics_no, s.seq
        ON CONFLICT (logistics_no) DO NOTHING
        RETURNING d.source_topic, d.source_partition, d.source_offset
    )
    UPDATE pg_temp.customs_apply_stage_v2 s
       SET outcome = 'new'
      FROM ins
     WHERE s.topic = ins.source_topic AND s.partition = ins.source_partition
       AND s."offset" = ins.source_offset;
    GET DIAGNOSTICS v_declarations = ROW_COUNT;

    -- Every other appType 1 record already has a row (stored before, earlier in this
    -- batch, or by a concurrent transaction that committed first; this statement sees all
    -- three): the same bytes as the current or an earlier version are a duplicate.
    UPDATE pg_temp.customs_apply_stage_v2 s
       SET outcome = CASE WHEN d.content_sha256 = s.sha256
                               OR EXISTS (SELECT 1 FROM customs.declaration_versions v
                                           WHERE v.logistics_no = s.logistics_no
                                             AND v.content_sha256 = s.sha256)
                          THEN 'duplicate' ELSE 'conflict' END
      FROM customs.declarations d
     WHERE s.kind = 'declaration' AND s.outcome IS NULL AND d.logistics_no = s.logistics_no
       AND s.app_type IS DISTINCT FROM '2' AND s.app_type IS DISTINCT FROM '3';

    SELECT count(*) FILTER (WHERE s.outcome = 'duplicate'),
           count(*) FILTER (WHERE s.outcome = 'conflict'),
           count(*) FILTER (WHERE s.kind = 'declaration' AND s.outcome IS NULL
                              AND s.app_type IS DISTINCT FROM '2'
                              AND s.app_type IS DISTINCT FROM '3')
      INTO v_duplicates, v_conflicts, v_rows
      FROM pg_temp.customs_apply_stage_v2 s;
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
      FROM pg_temp.customs_apply_stage_v2 s
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
        (logistics_no, status_code, status, reasons, rule_ids, rules_version, actor, event,
         source_topic, source_partition, source_offset)
    SELECT s.logistics_no, s.status_code, customs.status_name(s.status_code), s.reasons,
           ARRAY(SELECT r.e->>'rule_id'
                   FROM jsonb_array_elements(s.reasons) WITH ORDINALITY AS r(e, n)
                  ORDER BY r.n),
           s.rules_version, 'rules:' || coalesce(s.rules_version, 'unknown'), 'declared',
           s.topic, s.partition, s."offset"
      FROM pg_temp.customs_apply_stage_v2 s
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
          FROM pg_temp.customs_apply_stage_v2 s
         WHERE s.kind = 'quarantine' OR s.outcome = 'conflict'
         ORDER BY s.seq
        ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
        RETURNING source_topic, source_partition, source_offset
    )
    UPDATE pg_temp.customs_apply_stage_v2 s
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
          FROM pg_temp.customs_apply_stage_v2 s
         WHERE s.outcome = 'new'
        UNION ALL
        SELECT s.seq, 2, v_topic_events,
               CASE s.status_code WHEN 500 THEN 'inspect' ELSE 'return' END,
               s.logistics_no, s.cop_no, s.guid, s.status_code, s.reasons, s.rules_version
          FROM pg_temp.customs_apply_stage_v2 s
         WHERE s.outcome = 'new' AND s.status_code IN (100, 500)
        UNION ALL
        SELECT s.seq, 1, v_topic_receipts, 'receipt', s.logistics_no, s.cop_no, s.guid, -1,
               jsonb_build_array(jsonb_build_object('rule_id', 'conflict', 'action', 'reject',
                                                    'message', c_conflict)),
               s.rules_version
          FROM pg_temp.customs_apply_stage_v2 s
         WHERE s.outcome = 'conflict'
        UNION ALL
        SELECT s.seq, 1, v_topic_receipts, 'receipt', s.logistics_no, NULL, NULL, -1,
               jsonb_build_array(jsonb_build_object('rule_id', 'decode', 'action', 'reject',
                                                    'message', s.reason)),
               NULL
          FROM pg_temp.customs_apply_stage_v2 s
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

    ---------------------------------------------------------------------------------------
    -- 8. Scans are kept first (pending), then amendments/cancellations and scans are
    --    applied one by one: they move existing parcels through the state machine
    --    (003), in order, and may chain (an amendment to 399 of an arrived parcel releases
    --    it). The parcels they touch are locked first, in logisticsNo order, so two
    --    instances never wait on each other in a cycle.
    ---------------------------------------------------------------------------------------
    INSERT INTO customs.warehouse_scans
        (logistics_no, scan, scanned_at, loct_no, total_package_no, sha256, payload,
         source_topic, source_partition, source_offset, source_timestamp)
    SELECT s.logistics_no, s.scan, s.scanned_at, s.loct_no, s.total_package_no, s.sha256,
           s.payload, s.topic, s.partition, s."offset", s.ts
      FROM pg_temp.customs_apply_stage_v2 s
     WHERE s.kind = 'scan'
     ORDER BY s.seq
    ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING;
    GET DIAGNOSTICS v_scans = ROW_COUNT;

    PERFORM 1
       FROM customs.declarations d
      WHERE d.logistics_no IN (
                SELECT s.logistics_no FROM pg_temp.customs_apply_stage_v2 s
                 WHERE s.kind = 'declaration' AND s.outcome IS NULL
                UNION
                SELECT w.logistics_no FROM customs.warehouse_scans w
                 WHERE w.outcome = 'pending')
      ORDER BY d.logistics_no
        FOR UPDATE OF d;

    FOR v_rec IN
        SELECT s.*,
               EXISTS (SELECT 1 FROM pg_temp.customs_apply_stage_v2 n
                        WHERE n.outcome = 'new' AND n.logistics_no = s.logistics_no
                          AND n.seq > s.seq) AS declared_later
          FROM pg_temp.customs_apply_stage_v2 s
         WHERE s.kind = 'declaration' AND s.outcome IS NULL
         ORDER BY s.seq
    LOOP
        SELECT r.outcome, r.events INTO v_rec.outcome, v_rows
          FROM customs.apply_change_record(
                   v_rec.logistics_no, v_rec.app_type, v_rec.sha256, v_rec.payload,
                   v_rec.decl, v_rec.status_code, v_rec.reasons, v_rec.rules_version,
                   v_rec.topic, v_rec.partition, v_rec."offset", v_rec.ts,
                   v_rec.declared_later) r;
        v_events := v_events + v_rows;
        CASE v_rec.outcome
            WHEN 'amended' THEN v_amendments := v_amendments + 1;
            WHEN 'cancelled' THEN v_cancels := v_cancels + 1;
            WHEN 'duplicate' THEN v_duplicates := v_duplicates + 1;
            ELSE v_refused := v_refused + 1;
        END CASE;
        UPDATE pg_temp.customs_apply_stage_v2 s SET outcome = v_rec.outcome
         WHERE s.seq = v_rec.seq;
    END LOOP;

    -- Pending scans whose declaration exists: this batch's, and older ones (their
    -- declaration came in this batch, or in another instance's batch meanwhile).
    FOR v_scan IN
        SELECT w.*
          FROM customs.warehouse_scans w
         WHERE w.outcome = 'pending'
           AND EXISTS (SELECT 1 FROM customs.declarations d
                        WHERE d.logistics_no = w.logistics_no)
         ORDER BY w.id
    LOOP
        v_events := v_events + customs.apply_scan(v_scan);
    END LOOP;
    SELECT count(*) INTO v_pending
      FROM customs.warehouse_scans w
      JOIN pg_temp.customs_apply_stage_v2 s
        ON s.kind = 'scan' AND w.source_topic = s.topic AND w.source_partition = s.partition
       AND w.source_offset = s."offset"
     WHERE w.outcome = 'pending';
    SELECT v_refused + count(*) INTO v_refused
      FROM customs.warehouse_scans w
      JOIN pg_temp.customs_apply_stage_v2 s
        ON s.kind = 'scan' AND w.source_topic = s.topic AND w.source_partition = s.partition
       AND w.source_offset = s."offset"
     WHERE w.outcome = 'refused';

    -- Wake the relay once per batch (delivered at commit, coalesced per transaction).
    IF v_events > 0 THEN
        PERFORM pg_notify('customs_outbox', '');
    END IF;

    RETURN jsonb_build_object('declarations', v_declarations, 'duplicates', v_duplicates,
                              'conflicts', v_conflicts, 'quarantined', v_quarantined,
                              'events', v_events, 'amendments', v_amendments,
                              'cancellations', v_cancels, 'refused', v_refused,
                              'scans', v_scans, 'pending_scans', v_pending);
END;
$$;


ALTER FUNCTION customs.apply_batch(p_group text, p_batch jsonb) OWNER TO customs_owner;

--
-- Name: FUNCTION apply_batch(p_group text, p_batch jsonb); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.apply_batch(p_group text, p_batch jsonb) IS '
Apply one consumed Kafka batch for consumer group p_group, in the caller''s transaction.
Returns {"declarations", "duplicates", "conflicts", "quarantined", "events", "amendments",
"cancellations", "refused", "scans", "pending_scans"} (counts; scans = scan records kept,
pending_scans = those of them whose declaration is not known yet, refused = amendments,
cancellations and scans the state machine refused).
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
              ("1.35"), packNo as an integer, appType "1" | "2" (amendment) |
              "3" (cancellation),
              "items": [{CEB603 list fields, gnum as an integer, decimals as strings}]}},
    {"kind": "quarantine", "topic": "...", "partition": 0, "offset": 42,
     "timestamp_ms": -1, "logisticsNo": "YL..." | null,
     "raw_b64": "<base64 of the raw value>", "reason": "invalid JSON at byte 17: ..."},
    {"kind": "scan", "topic": "mishan.warehouse.scans", "partition": 3, "offset": 7,
     "timestamp_ms": 1715480000000, "logisticsNo": "YL...",
     "scan": "arrival" | "departure",
     "scannedAt": "2024-05-12T10:30:00+08:00",   -- ISO 8601 with its offset
     "loctNo": "1900W00001" | null, "totalPackageNo": "..." | null,
     "sha256": "<hex of the raw value>", "payload": "<raw value as text>"}
  ]
}
';


--
-- Name: apply_change_record(text, text, text, text, jsonb, integer, jsonb, text, text, integer, bigint, timestamp with time zone, boolean); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.apply_change_record(p_logistics_no text, p_app_type text, p_sha256 text, p_payload text, p_decl jsonb, p_status_code integer, p_reasons jsonb, p_rules_version text, p_topic text, p_partition integer, p_offset bigint, p_ts timestamp with time zone, p_declared_later boolean, OUT outcome text, OUT events integer) RETURNS record
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_d       customs.declarations;
    v_event   text := CASE p_app_type WHEN '2' THEN 'amendment' ELSE 'cancellation' END;
    v_to      integer := CASE p_app_type WHEN '2' THEN p_status_code ELSE 100 END;
    v_refusal text;
    v_actor   text;
    v_note    text;
    v_found   boolean;
BEGIN
    events := 0;
    SELECT * INTO v_d FROM customs.declarations d
     WHERE d.logistics_no = p_logistics_no FOR UPDATE;
    v_found := FOUND AND NOT p_declared_later;
    IF v_found
       AND (v_d.content_sha256 = p_sha256
            OR EXISTS (SELECT 1 FROM customs.declaration_versions v
                        WHERE v.logistics_no = p_logistics_no
                          AND v.content_sha256 = p_sha256)) THEN
        outcome := 'duplicate';
        RETURN;
    END IF;
    v_actor := CASE WHEN p_app_type = '2'
                    THEN 'rules:' || coalesce(p_rules_version, 'unknown')
                    ELSE 'declarer:' || coalesce(nullif(p_decl->>'agentCode', ''),
                                                 nullif(p_decl->>'ebcCode', ''), 'unknown') END;
    IF NOT v_found THEN
        v_refusal := format('%s refused: logisticsNo %s is not declared (appType 1 first)',
                            CASE p_app_type WHEN '2' THEN 'amendment (appType 2)'
                                 ELSE 'cancellation (appType 3)' END, p_logistics_no);
    ELSE
        v_refusal := customs.transition_refusal(v_d.status_code, v_to, v_event,
                                                v_d.arrived_at IS NOT NULL,
                                                v_d.cancelled_at IS NOT NULL);
    END IF;
    IF v_refusal IS NOT NULL THEN
        outcome := 'refused';
        INSERT INTO customs.quarantine
            (source_topic, source_partition, source_offset, raw, reason, logistics_no)
        VALUES (p_topic, p_partition, p_offset, convert_to(p_payload, 'UTF8'), v_refusal,
                p_logistics_no)
        ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING;
        events := customs.record_refusal(p_logistics_no,
                                         CASE WHEN v_found THEN v_d.status_code END,
                                         v_event, v_to,
                                         v_refusal, v_actor, p_topic, p_partition, p_offset,
                                         coalesce(v_d.cop_no, p_decl->>'copNo'),
                                         coalesce(v_d.guid, p_decl->>'guid'));
        RETURN;
    END IF;

    IF p_app_type = '3' THEN
        INSERT INTO customs.declaration_versions
            (logistics_no, version, kind, app_type, content_sha256, payload, status_code,
             reasons, rules_version, source_topic, source_partition, source_offset)
        VALUES (p_logistics_no, v_d.version, 'cancellation', p_app_type, p_sha256, p_payload,
                v_d.status_code, p_reasons, p_rules_version, p_topic, p_partition, p_offset);
        v_note := 'cancelled by the declarer (appType 3)';
        events := customs.change_status(
            p_logistics_no, 100, 'cancellation', v_actor, v_note,
            jsonb_build_array(jsonb_build_object('rule_id', 'CANCELLED', 'action', 'reject',
                                                 'message', v_note)),
            p_rules_version, p_topic, p_partition, p_offset);
        UPDATE customs.declarations d SET cancelled_at = now()
         WHERE d.logistics_no = p_logistics_no;
        outcome := 'cancelled';
        RETURN;
    END IF;

    -- Amendment: keep the content it replaces, then replace content, items and status in
    -- one UPDATE (the guard checks it as an 'amendment').
    INSERT INTO customs.declaration_versions
        (logistics_no, version, kind, app_type, content_sha256, payload, status_code, reasons,
         rules_version, source_topic, source_partition, source_offset)
    VALUES (p_logistics_no, v_d.version, 'replaced', v_d.app_type, v_d.content_sha256,
            v_d.payload, v_d.status_code, v_d.reasons, v_d.rules_version, v_d.source_topic,
            v_d.source_partition, v_d.source_offset);
    v_note := format('amended by the declarer (appType 2): version %s replaces version %s',
                     v_d.version + 1, v_d.version);
    PERFORM set_config('customs.transition', 'amendment', true);
    UPDATE customs.declarations d
       SET order_no = h."orderNo", cop_no = h."copNo", guid = h.guid, app_type = h."appType",
           app_time = h."appTime", app_status = h."appStatus", ebp_code = h."ebpCode",
           ebc_code = h."ebcCode", ebc_name = h."ebcName", logistics_code = h."logisticsCode",
           agent_code = h."agentCode", owner_code = h."ownerCode",
           customs_code = h."customsCode", port_code = h."portCode", ie_flag = h."ieFlag",
           ie_date = h."ieDate", statistics_flag = h."statisticsFlag",
           trade_mode = h."tradeMode", traf_mode = h."trafMode", country = h.country,
           pod = h."POD", wrap_type = h."wrapType", gross_weight = h."grossWeight",
           net_weight = h."netWeight", freight = h.freight, f_currency = h."fCurrency",
           insured_fee = h."insuredFee", i_currency = h."iCurrency", pack_no = h."packNo",
           total_price = it.total, currency = it.currency, item_count = it.n,
           status_code = p_status_code, reasons = p_reasons, rules_version = p_rules_version,
           content_sha256 = p_sha256, payload = p_payload, source_topic = p_topic,
           source_partition = p_partition, source_offset = p_offset, source_timestamp = p_ts,
           version = d.version + 1, status_actor = v_actor, status_note = v_note
      FROM jsonb_to_record(p_decl)
               AS h("orderNo" text, "copNo" text, guid text, "appType" text, "appTime" text,
                    "appStatus" text, "ebpCode" text, "ebcCode" text, "ebcName" text,
                    "logisticsCode" text, "agentCode" text, "ownerCode" text,
                    "customsCode" text, "portCode" text, "ieFlag" text, "ieDate" text,
                    "statisticsFlag" text, "tradeMode" text, "trafMode" text, country text,
                    "POD" text, "wrapType" text, "grossWeight" numeric, "netWeight" numeric,
                    freight numeric, "fCurrency" text, "insuredFee" numeric,
                    "iCurrency" text, "packNo" bigint),
           LATERAL (
               SELECT sum(i."totalPrice") AS total,
                      CASE WHEN count(DISTINCT i.currency) = 1
                                AND count(i.currency) = count(*)
                           THEN min(i.currency) END AS currency,
                      count(*)::integer AS n
                 FROM jsonb_to_recordset(CASE WHEN jsonb_typeof(p_decl->'items') = 'array'
                                              THEN p_decl->'items' ELSE '[]' END)
                      AS i("totalPrice" numeric, currency text)) it
     WHERE d.logistics_no = p_logistics_no;
    PERFORM set_config('customs.transition', '', true);

    DELETE FROM customs.declaration_items i WHERE i.logistics_no = p_logistics_no;
    INSERT INTO customs.declaration_items
        (logistics_no, line_no, gnum, item_no, item_record_no, item_name, gcode, gname,
         gmodel, bar_code, country, currency, qty, unit, qty1, unit1, qty2, unit2, price,
         total_price)
    SELECT p_logistics_no, i.line_no, i.gnum, i."itemNo", i."itemRecordNo", i."itemName",
           i.gcode, i.gname, i.gmodel, i."barCode", i.country, i.currency, i.qty, i.unit,
           i.qty1, i.unit1, i.qty2, i.unit2, i.price, i."totalPrice"
      FROM ROWS FROM (jsonb_to_recordset(
               CASE WHEN jsonb_typeof(p_decl->'items') = 'array'
                    THEN p_decl->'items' ELSE '[]' END)
               AS (gnum bigint, "itemNo" text, "itemRecordNo" text, "itemName" text,
                   gcode text, gname text, gmodel text, "barCode" text, country text,
                   currency text, qty numeric, unit text, qty1 numeric, unit1 text,
                   qty2 numeric, unit2 text, price numeric, "totalPrice" numeric))
           WITH ORDINALITY
           AS i(gnum, "itemNo", "itemRecordNo", "itemName", gcode, gname, gmodel,
                "barCode", country, currency, qty, unit, qty1, unit1, qty2, unit2, price,
                "totalPrice", line_no);

    events := customs.record_change(p_logistics_no, v_d.status_code, 'amendment', v_actor,
                                    v_note, p_reasons, p_rules_version, p_topic, p_partition,
                                    p_offset);
    outcome := 'amended';
END;
$$;


ALTER FUNCTION customs.apply_change_record(p_logistics_no text, p_app_type text, p_sha256 text, p_payload text, p_decl jsonb, p_status_code integer, p_reasons jsonb, p_rules_version text, p_topic text, p_partition integer, p_offset bigint, p_ts timestamp with time zone, p_declared_later boolean, OUT outcome text, OUT events integer) OWNER TO customs_owner;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: warehouse_scans; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.warehouse_scans (
    id bigint NOT NULL,
    logistics_no text NOT NULL,
    scan text NOT NULL,
    scanned_at timestamp with time zone NOT NULL,
    loct_no text,
    total_package_no text,
    sha256 text NOT NULL,
    payload text NOT NULL,
    source_topic text NOT NULL,
    source_partition integer NOT NULL,
    source_offset bigint NOT NULL,
    source_timestamp timestamp with time zone,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    outcome text DEFAULT 'pending'::text NOT NULL,
    note text,
    processed_at timestamp with time zone,
    CONSTRAINT warehouse_scans_outcome_check CHECK ((outcome = ANY (ARRAY['pending'::text, 'released'::text, 'held'::text, 'recorded'::text, 'closed'::text, 'duplicate'::text, 'refused'::text]))),
    CONSTRAINT warehouse_scans_scan_check CHECK ((scan = ANY (ARRAY['arrival'::text, 'departure'::text])))
);


ALTER TABLE customs.warehouse_scans OWNER TO customs_owner;

--
-- Name: TABLE warehouse_scans; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.warehouse_scans IS 'Warehouse arrival/departure scans; outcome pending until the declaration is known.';


--
-- Name: apply_scan(customs.warehouse_scans); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.apply_scan(p_scan customs.warehouse_scans) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_d       customs.declarations;
    v_actor   text := 'scan:' || coalesce(nullif(p_scan.loct_no, ''), 'warehouse');
    v_when    text := format('%s %s at %s', p_scan.scan,
                             to_char(p_scan.scanned_at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                             coalesce(p_scan.loct_no, 'the supervised warehouse'));
    v_to      integer;
    v_outcome text;
    v_note    text;
    v_refusal text;
    v_rows    integer := 0;
BEGIN
    -- Locked already by apply_batch in the usual case; not when the declaration was
    -- committed by another instance after apply_batch took its locks.
    SELECT * INTO v_d FROM customs.declarations d
     WHERE d.logistics_no = p_scan.logistics_no FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0; -- still pending
    END IF;
    -- The same scan sent again (same bytes), whenever: a no-op, even after 899.
    IF EXISTS (SELECT 1 FROM customs.warehouse_scans w
                WHERE w.logistics_no = p_scan.logistics_no AND w.id < p_scan.id
                  AND w.sha256 = p_scan.sha256 AND w.outcome <> 'pending') THEN
        v_outcome := 'duplicate';
        v_note := 'the same scan was received before';
    ELSIF p_scan.scan = 'arrival' THEN
        v_to := CASE WHEN v_d.status_code = 399 THEN 800 ELSE v_d.status_code END;
        IF v_d.status_code <> 899 AND v_d.arrived_at IS NOT NULL THEN
            v_outcome := 'duplicate';
            v_note := format('arrival already recorded (%s)', v_d.arrived_at);
        END IF;
    ELSE
        v_to := 899;
        IF v_d.status_code = 899 THEN
            v_outcome := 'duplicate';
            v_note := format('departure already recorded (%s)', v_d.departed_at);
        END IF;
    END IF;
    IF v_outcome IS NULL THEN
        -- An arrival that changes no status is only recorded, but after 899 nothing is.
        IF v_to <> v_d.status_code OR v_d.status_code = 899 THEN
            v_refusal := customs.transition_refusal(v_d.status_code, v_to, p_scan.scan, true,
                                                    v_d.cancelled_at IS NOT NULL);
        END IF;
        IF v_refusal IS NOT NULL THEN
            v_outcome := 'refused';
            v_note := v_refusal;
            v_rows := customs.record_refusal(v_d.logistics_no, v_d.status_code, p_scan.scan,
                                             v_to, v_refusal, v_actor, p_scan.source_topic,
                                             p_scan.source_partition, p_scan.source_offset,
                                             v_d.cop_no, v_d.guid);
        ELSIF p_scan.scan = 'arrival' THEN
            UPDATE customs.declarations d
               SET arrived_at = p_scan.scanned_at, arrival_loct_no = p_scan.loct_no
             WHERE d.logistics_no = v_d.logistics_no;
            IF v_to = 800 THEN
                v_outcome := 'released';
                v_note := v_when || ': released';
                v_rows := customs.change_status(v_d.logistics_no, 800, 'arrival', v_actor,
                                                v_note, NULL, NULL, p_scan.source_topic,
                                                p_scan.source_partition, p_scan.source_offset);
            ELSIF v_d.status_code IN (300, 500) THEN
                v_outcome := 'held';
                v_note := format('%s: held, waiting for %s', v_when,
                                 CASE v_d.status_code WHEN 500 THEN 'the inspection result'
                                      ELSE 'the manual review' END);
            ELSE
                v_outcome := 'recorded';
                v_note := format('%s: recorded; status %s %s is not released', v_when,
                                 v_d.status_code, v_d.status);
            END IF;
        ELSE
            UPDATE customs.declarations d
               SET departed_at = p_scan.scanned_at, departure_loct_no = p_scan.loct_no
             WHERE d.logistics_no = v_d.logistics_no;
            v_outcome := 'closed';
            v_note := v_when || ': closed';
            v_rows := customs.change_status(v_d.logistics_no, 899, 'departure', v_actor, v_note,
                                            NULL, NULL, p_scan.source_topic,
                                            p_scan.source_partition, p_scan.source_offset);
        END IF;
    END IF;
    UPDATE customs.warehouse_scans w
       SET outcome = v_outcome, note = v_note, processed_at = now()
     WHERE w.id = p_scan.id;
    RETURN v_rows;
END;
$$;


ALTER FUNCTION customs.apply_scan(p_scan customs.warehouse_scans) OWNER TO customs_owner;

--
-- Name: change_status(text, integer, text, text, text, jsonb, text, text, integer, bigint); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.change_status(p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text, p_reasons jsonb DEFAULT NULL::jsonb, p_rules_version text DEFAULT NULL::text, p_source_topic text DEFAULT NULL::text, p_source_partition integer DEFAULT NULL::integer, p_source_offset bigint DEFAULT NULL::bigint) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_d       customs.declarations;
    v_refusal text;
BEGIN
    SELECT * INTO v_d FROM customs.declarations d
     WHERE d.logistics_no = p_logistics_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'parcel % is not declared', p_logistics_no USING ERRCODE = 'P0002';
    END IF;
    v_refusal := customs.transition_refusal(v_d.status_code, p_to, p_event,
                                            v_d.arrived_at IS NOT NULL,
                                            v_d.cancelled_at IS NOT NULL);
    IF v_refusal IS NOT NULL THEN
        RAISE EXCEPTION 'parcel %: %', p_logistics_no, v_refusal USING ERRCODE = 'CS010';
    END IF;
    PERFORM set_config('customs.transition', p_event, true);
    UPDATE customs.declarations d
       SET status_code = p_to, status_actor = p_actor, status_note = p_note,
           reasons = coalesce(p_reasons, d.reasons)
     WHERE d.logistics_no = p_logistics_no;
    PERFORM set_config('customs.transition', '', true);
    RETURN customs.record_change(p_logistics_no, v_d.status_code, p_event, p_actor, p_note,
                                 coalesce(p_reasons, '[]'), p_rules_version, p_source_topic,
                                 p_source_partition, p_source_offset);
END;
$$;


ALTER FUNCTION customs.change_status(p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) OWNER TO customs_owner;

--
-- Name: FUNCTION change_status(p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.change_status(p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) IS 'Change a parcel''s status through the state machine, with history, receipt and event.';


--
-- Name: declarations_guard(); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.declarations_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_event   text := nullif(current_setting('customs.transition', true), '');
    v_refusal text;
BEGIN
    IF OLD.status_code = 899 THEN
        RAISE EXCEPTION 'parcel % is closed (899 结关); nothing changes after that',
            OLD.logistics_no USING ERRCODE = 'CS010';
    END IF;
    IF (OLD.arrived_at IS NOT NULL AND NEW.arrived_at IS DISTINCT FROM OLD.arrived_at)
       OR (OLD.departed_at IS NOT NULL AND NEW.departed_at IS DISTINCT FROM OLD.departed_at)
       OR (OLD.cancelled_at IS NOT NULL AND NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at)
    THEN
        RAISE EXCEPTION 'parcel %: a recorded arrival, departure or cancellation cannot change',
            OLD.logistics_no USING ERRCODE = 'CS010';
    END IF;
    IF NEW.status_code IS DISTINCT FROM OLD.status_code
       OR NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256 THEN
        IF v_event IS NULL THEN
            RAISE EXCEPTION 'parcel %: status and content change only through '
                            'customs.change_status() or apply_batch', OLD.logistics_no
                USING ERRCODE = 'CS010';
        END IF;
        IF NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256 AND v_event <> 'amendment' THEN
            RAISE EXCEPTION 'parcel %: the content changes only by an amendment (appType 2)',
                OLD.logistics_no USING ERRCODE = 'CS010';
        END IF;
        v_refusal := customs.transition_refusal(OLD.status_code, NEW.status_code, v_event,
                                                NEW.arrived_at IS NOT NULL,
                                                OLD.cancelled_at IS NOT NULL);
        IF v_refusal IS NOT NULL THEN
            RAISE EXCEPTION 'parcel %: %', OLD.logistics_no, v_refusal USING ERRCODE = 'CS010';
        END IF;
        NEW.status := customs.status_name(NEW.status_code);
        IF NEW.status_code IS DISTINCT FROM OLD.status_code THEN
            NEW.status_since := now();
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;


ALTER FUNCTION customs.declarations_guard() OWNER TO customs_owner;

--
-- Name: event_type_for(integer); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.event_type_for(p_code integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN p_code = 800 THEN 'release'
                WHEN p_code = 500 THEN 'inspect'
                WHEN p_code IN (100, 700) THEN 'return'
                WHEN p_code IN (501, 502, 503, 599) THEN 'detain' END
$$;


ALTER FUNCTION customs.event_type_for(p_code integer) OWNER TO customs_owner;

--
-- Name: officer_actor(); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.officer_actor() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT 'officer:' || session_user $$;


ALTER FUNCTION customs.officer_actor() OWNER TO customs_owner;

--
-- Name: outbox_add(text, text, text, text, integer, jsonb, text, text, text, text, integer); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.outbox_add(p_type text, p_logistics_no text, p_cop_no text, p_guid text, p_code integer, p_reasons jsonb, p_rules_version text, p_event text, p_actor text, p_note text, p_from integer) RETURNS void
    LANGUAGE plpgsql
    AS $$
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


ALTER FUNCTION customs.outbox_add(p_type text, p_logistics_no text, p_cop_no text, p_guid text, p_code integer, p_reasons jsonb, p_rules_version text, p_event text, p_actor text, p_note text, p_from integer) OWNER TO customs_owner;

--
-- Name: outbox_topic(text); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.outbox_topic(p_kind text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce((SELECT t.topic FROM customs.outbox_topics t WHERE t.kind = p_kind),
                    CASE p_kind WHEN 'events' THEN 'mishan.warehouse.events'
                                ELSE 'customs.receipts' END)
$$;


ALTER FUNCTION customs.outbox_topic(p_kind text) OWNER TO customs_owner;

--
-- Name: reasons_text(jsonb); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.reasons_text(p_reasons jsonb) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT string_agg(concat_ws(': ', r.e->>'rule_id', r.e->>'message'), '; ' ORDER BY r.n)
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_reasons) = 'array'
                                     THEN p_reasons ELSE '[]' END)
           WITH ORDINALITY AS r(e, n)
$$;


ALTER FUNCTION customs.reasons_text(p_reasons jsonb) OWNER TO customs_owner;

--
-- Name: record_change(text, integer, text, text, text, jsonb, text, text, integer, bigint); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.record_change(p_logistics_no text, p_from integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_d       customs.declarations;
    v_reasons jsonb := CASE WHEN jsonb_typeof(p_reasons) = 'array' THEN p_reasons ELSE '[]' END;
    v_type    text;
    v_rows    integer := 1;
BEGIN
    SELECT * INTO STRICT v_d FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
    INSERT INTO customs.status_history
        (logistics_no, from_code, status_code, status, reasons, rule_ids, rules_version, actor,
         event, note, source_topic, source_partition, source_offset)
    VALUES (p_logistics_no, p_from, v_d.status_code, v_d.status, v_reasons,
            ARRAY(SELECT r.e->>'rule_id' FROM jsonb_array_elements(v_reasons)
                  WITH ORDINALITY AS r(e, n) ORDER BY r.n),
            p_rules_version, p_actor, p_event, p_note, p_source_topic, p_source_partition,
            p_source_offset);
    PERFORM customs.outbox_add('receipt', p_logistics_no, v_d.cop_no, v_d.guid, v_d.status_code,
                               v_reasons, p_rules_version, p_event, p_actor, p_note, p_from);
    v_type := customs.event_type_for(v_d.status_code);
    IF v_type IS NOT NULL THEN
        PERFORM customs.outbox_add(v_type, p_logistics_no, v_d.cop_no, v_d.guid,
                                   v_d.status_code, v_reasons, p_rules_version, p_event,
                                   p_actor, p_note, p_from);
        v_rows := v_rows + 1;
    END IF;
    PERFORM pg_notify('customs_outbox', ''); -- delivered at commit, once per transaction
    IF v_d.status_code = 399 AND v_d.arrived_at IS NOT NULL THEN
        v_rows := v_rows + customs.change_status(
            p_logistics_no, 800, 'release', p_actor,
            format('accepted; arrived %s at %s: released',
                   to_char(v_d.arrived_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   coalesce(v_d.arrival_loct_no, 'the supervised warehouse')),
            NULL, p_rules_version, p_source_topic, p_source_partition, p_source_offset);
    END IF;
    RETURN v_rows;
END;
$$;


ALTER FUNCTION customs.record_change(p_logistics_no text, p_from integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) OWNER TO customs_owner;

--
-- Name: record_inspection(text, text, text, integer); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.record_inspection(p_logistics_no text, p_result text, p_note text, p_detention_code integer DEFAULT 599) RETURNS TABLE(logistics_no text, status_code integer, status text, arrived boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'customs', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_note    text := nullif(btrim(coalesce(p_note, '')), '');
    v_arrived boolean;
    v_to      integer;
BEGIN
    IF p_result IS NULL OR p_result NOT IN ('passed', 'detained', 'returned') THEN
        RAISE EXCEPTION 'record_inspection: result must be passed, detained or returned, not %',
            coalesce(p_result, 'NULL') USING ERRCODE = '22023';
    END IF;
    IF p_result <> 'passed' AND v_note IS NULL THEN
        RAISE EXCEPTION 'record_inspection: a % parcel needs the reason in the note', p_result
            USING ERRCODE = '22023';
    END IF;
    IF p_result = 'detained'
       AND (p_detention_code IS NULL OR p_detention_code NOT IN (501, 502, 503, 599)) THEN
        RAISE EXCEPTION 'record_inspection: detention code must be 501, 502, 503 or 599, not %',
            coalesce(p_detention_code::text, 'NULL') USING ERRCODE = '22023';
    END IF;
    SELECT d.arrived_at IS NOT NULL INTO v_arrived
      FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
    v_to := CASE p_result WHEN 'passed' THEN 399 WHEN 'returned' THEN 700
                          ELSE p_detention_code END;
    PERFORM customs.change_status(
        p_logistics_no, v_to, 'inspection', customs.officer_actor(),
        concat_ws('; ', 'inspection ' || p_result, v_note,
                  CASE WHEN p_result = 'passed' AND NOT coalesce(v_arrived, true)
                       THEN 'waiting for arrival' END));
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;


ALTER FUNCTION customs.record_inspection(p_logistics_no text, p_result text, p_note text, p_detention_code integer) OWNER TO customs_owner;

--
-- Name: FUNCTION record_inspection(p_logistics_no text, p_result text, p_note text, p_detention_code integer); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.record_inspection(p_logistics_no text, p_result text, p_note text, p_detention_code integer) IS 'Officer: inspection result for a parcel in 500: passed | detained (501-503, 599) | returned.';


--
-- Name: record_refusal(text, integer, text, integer, text, text, text, integer, bigint, text, text); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.record_refusal(p_logistics_no text, p_from integer, p_event text, p_to integer, p_reason text, p_actor text, p_source_topic text, p_source_partition integer, p_source_offset bigint, p_cop_no text, p_guid text) RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO customs.refused_transitions
        (logistics_no, from_code, event, to_code, reason, actor, source_topic,
         source_partition, source_offset)
    VALUES (p_logistics_no, p_from, p_event, p_to, p_reason, p_actor, p_source_topic,
            p_source_partition, p_source_offset);
    PERFORM customs.outbox_add('receipt', p_logistics_no, p_cop_no, p_guid, -1,
                               jsonb_build_array(jsonb_build_object(
                                   'rule_id', 'transition', 'action', 'reject',
                                   'message', p_reason)),
                               NULL, p_event, p_actor, NULL, p_from);
    PERFORM pg_notify('customs_outbox', '');
    RETURN 1;
END;
$$;


ALTER FUNCTION customs.record_refusal(p_logistics_no text, p_from integer, p_event text, p_to integer, p_reason text, p_actor text, p_source_topic text, p_source_partition integer, p_source_offset bigint, p_cop_no text, p_guid text) OWNER TO customs_owner;

--
-- Name: refuse_change(); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;


ALTER FUNCTION customs.refuse_change() OWNER TO customs_owner;

--
-- Name: release_review(text, text); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.release_review(p_logistics_no text, p_note text) RETURNS TABLE(logistics_no text, status_code integer, status text, arrived boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'customs', 'pg_temp'
    AS $$
#variable_conflict use_column
BEGIN
    PERFORM customs.change_status(
        p_logistics_no, 399, 'review', customs.officer_actor(),
        concat_ws('; ', 'manual review passed', nullif(btrim(coalesce(p_note, '')), '')));
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;


ALTER FUNCTION customs.release_review(p_logistics_no text, p_note text) OWNER TO customs_owner;

--
-- Name: FUNCTION release_review(p_logistics_no text, p_note text); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.release_review(p_logistics_no text, p_note text) IS 'Officer: a parcel in manual review (300) passes: 399, released (800) at once if arrived.';


--
-- Name: return_info(integer, text); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.return_info(p_code integer, p_reasons_text text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT left(customs.status_label(p_code) || ' ' || customs.status_name(p_code) ||
                coalesce(': ' || p_reasons_text, ''), 1000)
$$;


ALTER FUNCTION customs.return_info(p_code integer, p_reasons_text text) OWNER TO customs_owner;

--
-- Name: FUNCTION return_info(p_code integer, p_reasons_text text); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.return_info(p_code integer, p_reasons_text text) IS 'CEB604 returnInfo: status in words plus customs.reasons_text(reasons).';


--
-- Name: return_review(text, text); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.return_review(p_logistics_no text, p_note text) RETURNS TABLE(logistics_no text, status_code integer, status text, arrived boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'customs', 'pg_temp'
    AS $$
#variable_conflict use_column
DECLARE
    v_note text := nullif(btrim(coalesce(p_note, '')), '');
BEGIN
    IF v_note IS NULL THEN
        RAISE EXCEPTION 'return_review: returning a parcel needs the reason in the note'
            USING ERRCODE = '22023';
    END IF;
    PERFORM customs.change_status(p_logistics_no, 700, 'review', customs.officer_actor(),
                                  'manual review: returned; ' || v_note);
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;


ALTER FUNCTION customs.return_review(p_logistics_no text, p_note text) OWNER TO customs_owner;

--
-- Name: FUNCTION return_review(p_logistics_no text, p_note text); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.return_review(p_logistics_no text, p_note text) IS 'Officer: a parcel in manual review (300) is returned (700); the note says why.';


--
-- Name: scan_time(text); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.scan_time(p_text text) RETURNS timestamp with time zone
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
BEGIN
    IF p_text !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$' THEN
        RETURN NULL;
    END IF;
    RETURN p_text::timestamptz;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    RETURN NULL;
END;
$_$;


ALTER FUNCTION customs.scan_time(p_text text) OWNER TO customs_owner;

--
-- Name: status_label(integer); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.status_label(p_code integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
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


ALTER FUNCTION customs.status_label(p_code integer) OWNER TO customs_owner;

--
-- Name: FUNCTION status_label(p_code integer); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.status_label(p_code integer) IS 'Chinese receipt wording of a status code.';


--
-- Name: status_name(integer); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.status_name(p_code integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
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


ALTER FUNCTION customs.status_name(p_code integer) OWNER TO customs_owner;

--
-- Name: FUNCTION status_name(p_code integer); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.status_name(p_code integer) IS 'English name of a customs status code.';


--
-- Name: transition_refusal(integer, integer, text, boolean, boolean); Type: FUNCTION; Schema: customs; Owner: customs_owner
--

CREATE FUNCTION customs.transition_refusal(p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean) RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    v_what text := CASE p_event
        WHEN 'amendment' THEN 'amendment (appType 2)'
        WHEN 'cancellation' THEN 'cancellation (appType 3)'
        WHEN 'inspection' THEN 'inspection result'
        WHEN 'review' THEN 'manual review decision'
        ELSE coalesce(p_event, 'change') END;
    v_from text := format('%s %s', p_from, customs.status_name(p_from));
    v_t customs.status_transitions;
BEGIN
    IF p_from = 899 THEN
        RETURN format('%s refused: the parcel is closed (899 结关); nothing changes after that',
                      v_what);
    END IF;
    IF coalesce(p_cancelled, false) THEN
        RETURN format('%s refused: the declaration was cancelled by the declarer (appType 3)',
                      v_what);
    END IF;
    SELECT * INTO v_t FROM customs.status_transitions t
     WHERE t.from_code = p_from AND t.to_code = p_to AND p_event = ANY (t.events);
    IF FOUND THEN
        IF v_t.requires_arrival AND NOT coalesce(p_arrived, false) THEN
            RETURN 'release refused: the parcel has not arrived at the supervised warehouse '
                   '(no arrival scan)';
        END IF;
        RETURN NULL;
    END IF;
    RETURN CASE
        WHEN p_event = 'departure' THEN
            format('departure refused: the parcel was not released (status %s)', v_from)
        WHEN p_event IN ('amendment', 'cancellation') AND p_from = 800 THEN
            format('%s refused: the parcel was already released (800 放行)', v_what)
        WHEN p_event IN ('amendment', 'cancellation') AND p_from = 500 THEN
            format('%s refused: the parcel is under inspection (500 查验); an officer '
                   'records the result first', v_what)
        WHEN p_event = 'inspection' AND p_from <> 500 THEN
            format('inspection result refused: the parcel is not under inspection (status %s)',
                   v_from)
        WHEN p_event = 'review' AND p_from <> 300 THEN
            format('manual review decision refused: the parcel is not held for manual review '
                   '(status %s)', v_from)
        WHEN p_to = 800 THEN
            format('release refused: only an accepted (399) parcel is released, this one is '
                   'in status %s', v_from)
        ELSE
            format('%s refused: status %s cannot change to %s %s', v_what, v_from, p_to,
                   customs.status_name(p_to))
    END;
END;
$$;


ALTER FUNCTION customs.transition_refusal(p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean) OWNER TO customs_owner;

--
-- Name: FUNCTION transition_refusal(p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean); Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON FUNCTION customs.transition_refusal(p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean) IS 'NULL if the status transition is allowed (customs.status_transitions), else the reason.';


--
-- Name: consumer_offsets; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.consumer_offsets (
    group_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT consumer_offsets_next_offset_check CHECK ((next_offset >= 0))
);


ALTER TABLE customs.consumer_offsets OWNER TO customs_owner;

--
-- Name: TABLE consumer_offsets; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.consumer_offsets IS 'Next Kafka offset to consume per (group, topic, partition); the offsets of record.';


--
-- Name: declaration_items; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.declaration_items (
    logistics_no text NOT NULL,
    line_no integer NOT NULL,
    gnum bigint,
    item_no text,
    item_record_no text,
    item_name text,
    gcode text,
    gname text,
    gmodel text,
    bar_code text,
    country text,
    currency text,
    qty numeric(19,5),
    unit text,
    qty1 numeric(19,5),
    unit1 text,
    qty2 numeric(19,5),
    unit2 text,
    price numeric(19,5),
    total_price numeric(19,5)
);


ALTER TABLE customs.declaration_items OWNER TO customs_owner;

--
-- Name: TABLE declaration_items; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.declaration_items IS 'CEB603 InventoryList entries; line_no = position in the declared items array.';


--
-- Name: declarations; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.declarations (
    logistics_no text NOT NULL,
    order_no text,
    cop_no text,
    guid text,
    app_type text,
    app_time text,
    app_status text,
    ebp_code text,
    ebc_code text,
    ebc_name text,
    logistics_code text,
    agent_code text,
    owner_code text,
    customs_code text,
    port_code text,
    ie_flag text,
    ie_date text,
    statistics_flag text,
    trade_mode text,
    traf_mode text,
    country text,
    pod text,
    wrap_type text,
    gross_weight numeric(19,5),
    net_weight numeric(19,5),
    freight numeric(19,5),
    f_currency text,
    insured_fee numeric(19,5),
    i_currency text,
    pack_no bigint,
    total_price numeric,
    currency text,
    item_count integer DEFAULT 0 NOT NULL,
    status_code integer NOT NULL,
    status text NOT NULL,
    reasons jsonb DEFAULT '[]'::jsonb NOT NULL,
    rules_version text,
    content_sha256 text NOT NULL,
    payload text NOT NULL,
    source_topic text NOT NULL,
    source_partition integer NOT NULL,
    source_offset bigint NOT NULL,
    source_timestamp timestamp with time zone,
    declared_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    arrived_at timestamp with time zone,
    arrival_loct_no text,
    departed_at timestamp with time zone,
    departure_loct_no text,
    cancelled_at timestamp with time zone,
    version integer DEFAULT 1 NOT NULL,
    status_since timestamp with time zone DEFAULT now() NOT NULL,
    status_actor text,
    status_note text,
    CONSTRAINT declarations_status_code_check CHECK ((status_code = ANY (ARRAY['-1'::integer, 100, 120, 300, 399, 500, 501, 502, 503, 599, 700, 800, 899])))
);


ALTER TABLE customs.declarations OWNER TO customs_owner;

--
-- Name: TABLE declarations; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.declarations IS 'One CEB603 export inventory (清单) per parcel, keyed by logisticsNo, with its current status.';


--
-- Name: COLUMN declarations.content_sha256; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON COLUMN customs.declarations.content_sha256 IS 'SHA-256 of the raw record bytes: identical redelivery is a no-op, different content a conflict.';


--
-- Name: COLUMN declarations.arrived_at; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON COLUMN customs.declarations.arrived_at IS 'Arrival scan time (运抵); a parcel is released (800) only once this is set.';


--
-- Name: COLUMN declarations.status_since; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON COLUMN customs.declarations.status_since IS 'When the current status was reached (inspection_queue orders by it).';


--
-- Name: daily_summary; Type: VIEW; Schema: customs; Owner: customs_owner
--

CREATE VIEW customs.daily_summary AS
 SELECT ((d.declared_at AT TIME ZONE 'Asia/Shanghai'::text))::date AS day,
    d.country,
    "left"(i.gcode, 2) AS hs_chapter,
    d.status_code,
    d.status,
    count(DISTINCT d.logistics_no) AS parcels,
    count(i.line_no) AS items,
    COALESCE(sum(i.total_price) FILTER (WHERE (i.currency = '142'::text)), (0)::numeric) AS value_cny,
    count(i.line_no) FILTER (WHERE (i.currency IS DISTINCT FROM '142'::text)) AS items_not_cny
   FROM (customs.declarations d
     LEFT JOIN customs.declaration_items i ON ((i.logistics_no = d.logistics_no)))
  GROUP BY (((d.declared_at AT TIME ZONE 'Asia/Shanghai'::text))::date), d.country, ("left"(i.gcode, 2)), d.status_code, d.status
  ORDER BY (((d.declared_at AT TIME ZONE 'Asia/Shanghai'::text))::date) DESC, d.country, ("left"(i.gcode, 2)), d.status_code;


ALTER TABLE customs.daily_summary OWNER TO customs_owner;

--
-- Name: VIEW daily_summary; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON VIEW customs.daily_summary IS 'Per day, destination country, HS chapter and status: parcels, items, value in CNY.';


--
-- Name: declaration_versions; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.declaration_versions (
    id bigint NOT NULL,
    logistics_no text NOT NULL,
    version integer NOT NULL,
    kind text NOT NULL,
    app_type text,
    content_sha256 text NOT NULL,
    payload text NOT NULL,
    status_code integer,
    reasons jsonb,
    rules_version text,
    source_topic text NOT NULL,
    source_partition integer NOT NULL,
    source_offset bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT declaration_versions_kind_check CHECK ((kind = ANY (ARRAY['replaced'::text, 'cancellation'::text])))
);


ALTER TABLE customs.declaration_versions OWNER TO customs_owner;

--
-- Name: TABLE declaration_versions; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.declaration_versions IS 'Declaration contents replaced by amendments (appType 2), and cancellation records.';


--
-- Name: declaration_versions_id_seq; Type: SEQUENCE; Schema: customs; Owner: customs_owner
--

CREATE SEQUENCE customs.declaration_versions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE customs.declaration_versions_id_seq OWNER TO customs_owner;

--
-- Name: declaration_versions_id_seq; Type: SEQUENCE OWNED BY; Schema: customs; Owner: customs_owner
--

ALTER SEQUENCE customs.declaration_versions_id_seq OWNED BY customs.declaration_versions.id;


--
-- Name: inspection_queue; Type: VIEW; Schema: customs; Owner: customs_owner
--

CREATE VIEW customs.inspection_queue AS
 SELECT d.logistics_no,
    d.status_code,
    d.status,
        CASE d.status_code
            WHEN 500 THEN 'inspection result'::text
            ELSE 'manual review'::text
        END AS waiting_for,
    customs.reasons_text(d.reasons) AS reasons_text,
    d.reasons,
    (d.arrived_at IS NOT NULL) AS arrived,
    d.arrived_at,
    d.arrival_loct_no,
    d.status_since AS waiting_since,
    date_trunc('second'::text, (now() - d.status_since)) AS waiting,
    d.ebc_code,
    d.ebc_name,
    d.country,
    d.total_price AS total_value,
    d.currency,
    d.item_count,
    ( SELECT string_agg(DISTINCT i.gcode, ','::text) AS string_agg
           FROM customs.declaration_items i
          WHERE (i.logistics_no = d.logistics_no)) AS gcodes,
    d.declared_at
   FROM customs.declarations d
  WHERE (d.status_code = ANY (ARRAY[300, 500]))
  ORDER BY d.status_since, d.logistics_no;


ALTER TABLE customs.inspection_queue OWNER TO customs_owner;

--
-- Name: VIEW inspection_queue; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON VIEW customs.inspection_queue IS 'Parcels held for an officer (500 inspection, 300 manual review), oldest first.';


--
-- Name: outbox; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.outbox (
    id bigint NOT NULL,
    event_id uuid DEFAULT gen_random_uuid() NOT NULL,
    topic text NOT NULL,
    key text,
    type text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    published_at timestamp with time zone
);


ALTER TABLE customs.outbox OWNER TO customs_owner;

--
-- Name: TABLE outbox; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.outbox IS 'Events and receipts to publish to Kafka; published_at is set once the broker confirmed.';


--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: customs; Owner: customs_owner
--

CREATE SEQUENCE customs.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE customs.outbox_id_seq OWNER TO customs_owner;

--
-- Name: outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: customs; Owner: customs_owner
--

ALTER SEQUENCE customs.outbox_id_seq OWNED BY customs.outbox.id;


--
-- Name: outbox_topics; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.outbox_topics (
    kind text NOT NULL,
    topic text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT outbox_topics_kind_check CHECK ((kind = ANY (ARRAY['events'::text, 'receipts'::text])))
);


ALTER TABLE customs.outbox_topics OWNER TO customs_owner;

--
-- Name: TABLE outbox_topics; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.outbox_topics IS 'Kafka topics of warehouse events and receipts, as last used by customsd (apply_batch).';


--
-- Name: refused_transitions; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.refused_transitions (
    id bigint NOT NULL,
    logistics_no text NOT NULL,
    from_code integer,
    event text NOT NULL,
    to_code integer,
    reason text NOT NULL,
    actor text NOT NULL,
    source_topic text,
    source_partition integer,
    source_offset bigint,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE customs.refused_transitions OWNER TO customs_owner;

--
-- Name: TABLE refused_transitions; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.refused_transitions IS 'Transitions refused by customs.transition_refusal() that came from Kafka records.';


--
-- Name: status_history; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.status_history (
    id bigint NOT NULL,
    logistics_no text NOT NULL,
    status_code integer NOT NULL,
    status text NOT NULL,
    reasons jsonb DEFAULT '[]'::jsonb NOT NULL,
    rule_ids text[] DEFAULT '{}'::text[] NOT NULL,
    rules_version text,
    actor text NOT NULL,
    source_topic text,
    source_partition integer,
    source_offset bigint,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    from_code integer,
    event text DEFAULT 'declared'::text NOT NULL,
    note text
);


ALTER TABLE customs.status_history OWNER TO customs_owner;

--
-- Name: TABLE status_history; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.status_history IS 'Every status change of a parcel; append-only (UPDATE, DELETE and TRUNCATE are refused).';


--
-- Name: COLUMN status_history.event; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON COLUMN customs.status_history.event IS 'declared | amendment | cancellation | arrival | departure | release | inspection | review';


--
-- Name: parcel_history; Type: VIEW; Schema: customs; Owner: customs_owner
--

CREATE VIEW customs.parcel_history AS
 SELECT x.logistics_no,
    x.at,
    x.kind,
    x.event,
    x.from_code,
    x.status_code,
    x.status,
    x.actor,
    x.note,
    x.reasons,
    x.rules_version,
    x.source_topic,
    x.source_partition,
    x.source_offset
   FROM ( SELECT h.logistics_no,
            h.recorded_at AS at,
            'status'::text AS kind,
            1 AS kind_order,
            h.id,
            h.event,
            h.from_code,
            h.status_code,
            h.status,
            h.actor,
            h.note,
            h.reasons,
            h.rules_version,
            h.source_topic,
            h.source_partition,
            h.source_offset
           FROM customs.status_history h
        UNION ALL
         SELECT r.logistics_no,
            r.recorded_at,
            'refused'::text,
            2,
            r.id,
            r.event,
            r.from_code,
            r.to_code,
            customs.status_name(r.to_code) AS status_name,
            r.actor,
            r.reason,
            '[]'::jsonb AS jsonb,
            NULL::text,
            r.source_topic,
            r.source_partition,
            r.source_offset
           FROM customs.refused_transitions r
        UNION ALL
         SELECT w.logistics_no,
            w.received_at,
            'scan'::text,
            0,
            w.id,
            w.scan,
            NULL::integer,
            NULL::integer,
            w.outcome,
            ('scan:'::text || COALESCE(NULLIF(w.loct_no, ''::text), 'warehouse'::text)),
            COALESCE(w.note, format('%s scanned %s'::text, w.scan, w.scanned_at)) AS "coalesce",
            '[]'::jsonb AS jsonb,
            NULL::text,
            w.source_topic,
            w.source_partition,
            w.source_offset
           FROM customs.warehouse_scans w) x
  ORDER BY x.logistics_no, x.at, x.kind_order, x.id;


ALTER TABLE customs.parcel_history OWNER TO customs_owner;

--
-- Name: VIEW parcel_history; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON VIEW customs.parcel_history IS 'Every status change, refused transition and warehouse scan of a parcel, in order.';


--
-- Name: parcel_status; Type: VIEW; Schema: customs; Owner: customs_owner
--

CREATE VIEW customs.parcel_status AS
 SELECT d.logistics_no,
    d.order_no,
    d.cop_no,
    d.ebc_code,
    d.country,
    d.status_code,
    d.status,
    d.reasons,
    d.rules_version,
    d.total_price AS total_value,
    d.currency,
    d.item_count,
    d.declared_at,
    d.updated_at,
    d.status_since,
    d.status_actor,
    d.status_note,
    d.arrived_at,
    d.arrival_loct_no,
    d.departed_at,
    d.version,
    d.cancelled_at
   FROM customs.declarations d;


ALTER TABLE customs.parcel_status OWNER TO customs_owner;

--
-- Name: VIEW parcel_status; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON VIEW customs.parcel_status IS 'Current clearance status per parcel (logisticsNo), with arrival/departure and who set it.';


--
-- Name: quarantine; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.quarantine (
    id bigint NOT NULL,
    source_topic text NOT NULL,
    source_partition integer NOT NULL,
    source_offset bigint NOT NULL,
    raw bytea NOT NULL,
    reason text NOT NULL,
    logistics_no text,
    received_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE customs.quarantine OWNER TO customs_owner;

--
-- Name: TABLE quarantine; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.quarantine IS 'Kafka records kept byte-exact because they could not be applied, with the reason.';


--
-- Name: quarantine_id_seq; Type: SEQUENCE; Schema: customs; Owner: customs_owner
--

CREATE SEQUENCE customs.quarantine_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE customs.quarantine_id_seq OWNER TO customs_owner;

--
-- Name: quarantine_id_seq; Type: SEQUENCE OWNED BY; Schema: customs; Owner: customs_owner
--

ALTER SEQUENCE customs.quarantine_id_seq OWNED BY customs.quarantine.id;


--
-- Name: refused_transitions_id_seq; Type: SEQUENCE; Schema: customs; Owner: customs_owner
--

CREATE SEQUENCE customs.refused_transitions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE customs.refused_transitions_id_seq OWNER TO customs_owner;

--
-- Name: refused_transitions_id_seq; Type: SEQUENCE OWNED BY; Schema: customs; Owner: customs_owner
--

ALTER SEQUENCE customs.refused_transitions_id_seq OWNED BY customs.refused_transitions.id;


--
-- Name: rule_set_versions; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.rule_set_versions (
    version text NOT NULL,
    text text NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE customs.rule_set_versions OWNER TO customs_owner;

--
-- Name: TABLE rule_set_versions; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.rule_set_versions IS 'Rule sets (rules.yaml) used for decisions, by SHA-256 of the file.';


--
-- Name: schema_migrations; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.schema_migrations (
    version text NOT NULL,
    name text NOT NULL,
    sha256 text,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE customs.schema_migrations OWNER TO customs_owner;

--
-- Name: status_history_id_seq; Type: SEQUENCE; Schema: customs; Owner: customs_owner
--

CREATE SEQUENCE customs.status_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE customs.status_history_id_seq OWNER TO customs_owner;

--
-- Name: status_history_id_seq; Type: SEQUENCE OWNED BY; Schema: customs; Owner: customs_owner
--

ALTER SEQUENCE customs.status_history_id_seq OWNED BY customs.status_history.id;


--
-- Name: status_transitions; Type: TABLE; Schema: customs; Owner: customs_owner
--

CREATE TABLE customs.status_transitions (
    from_code integer NOT NULL,
    to_code integer NOT NULL,
    events text[] NOT NULL,
    requires_arrival boolean DEFAULT false NOT NULL,
    description text NOT NULL
);


ALTER TABLE customs.status_transitions OWNER TO customs_owner;

--
-- Name: TABLE status_transitions; Type: COMMENT; Schema: customs; Owner: customs_owner
--

COMMENT ON TABLE customs.status_transitions IS 'Allowed status transitions and their causes; customs.transition_refusal() reads it.';


--
-- Name: warehouse_scans_id_seq; Type: SEQUENCE; Schema: customs; Owner: customs_owner
--

CREATE SEQUENCE customs.warehouse_scans_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE customs.warehouse_scans_id_seq OWNER TO customs_owner;

--
-- Name: warehouse_scans_id_seq; Type: SEQUENCE OWNED BY; Schema: customs; Owner: customs_owner
--

ALTER SEQUENCE customs.warehouse_scans_id_seq OWNED BY customs.warehouse_scans.id;


--
-- Name: declaration_versions id; Type: DEFAULT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.declaration_versions ALTER COLUMN id SET DEFAULT nextval('customs.declaration_versions_id_seq'::regclass);


--
-- Name: outbox id; Type: DEFAULT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.outbox ALTER COLUMN id SET DEFAULT nextval('customs.outbox_id_seq'::regclass);


--
-- Name: quarantine id; Type: DEFAULT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.quarantine ALTER COLUMN id SET DEFAULT nextval('customs.quarantine_id_seq'::regclass);


--
-- Name: refused_transitions id; Type: DEFAULT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.refused_transitions ALTER COLUMN id SET DEFAULT nextval('customs.refused_transitions_id_seq'::regclass);


--
-- Name: status_history id; Type: DEFAULT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.status_history ALTER COLUMN id SET DEFAULT nextval('customs.status_history_id_seq'::regclass);


--
-- Name: warehouse_scans id; Type: DEFAULT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.warehouse_scans ALTER COLUMN id SET DEFAULT nextval('customs.warehouse_scans_id_seq'::regclass);


--
-- Data for Name: consumer_offsets; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.consumer_offsets (group_id, topic, partition, next_offset, updated_at) FROM stdin;
customsd	customs.declarations	0	12	2026-12-04 07:18:43.602155+00
customsd	mishan.warehouse.scans	0	5	2026-12-04 07:18:43.620024+00
\.


--
-- Data for Name: declaration_items; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.declaration_items (logistics_no, line_no, gnum, item_no, item_record_no, item_name, gcode, gname, gmodel, bar_code, country, currency, qty, unit, qty1, unit1, qty2, unit2, price, total_price) FROM stdin;
FX-ACC-1	1	1	EG-1	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	100.50000	100.50000
FX-ACC-1	2	2	EG-2	\N	电吉他	8544422100	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	200.50000	200.50000
FX-ACC-2	1	1	EG-1	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	100.50000	100.50000
FX-ACC-2	2	2	EG-2	\N	电吉他	8544422100	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	200.50000	200.50000
FX-ACC-2	3	3	EG-3	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	840	1.00000	011	0.35000	035	\N	\N	300.50000	300.50000
FX-INS-1	1	1	EG-1	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	100.50000	100.50000
FX-INS-2	1	1	EG-1	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	100.50000	100.50000
FX-INS-2	2	2	EG-2	\N	电吉他	8544422100	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	200.50000	200.50000
FX-REV-1	1	1	EG-1	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	100.50000	100.50000
FX-CAN-1	1	1	EG-1	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	100.50000	100.50000
FX-REJ-1	1	1	EG-1	\N	电吉他	9207900000	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	100.50000	100.50000
FX-REJ-1	2	2	EG-2	\N	电吉他	8544422100	电吉他	6弦|实木|无品牌	无	344	142	1.00000	011	0.35000	035	\N	\N	200.50000	200.50000
\.


--
-- Data for Name: declaration_versions; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.declaration_versions (id, logistics_no, version, kind, app_type, content_sha256, payload, status_code, reasons, rules_version, source_topic, source_partition, source_offset, recorded_at) FROM stdin;
1	FX-REJ-1	1	replaced	1	007f1b6f0edb79d08a9ad3dc6181ab25dd2bd539d1176f301d7f12538b010ce7	{"POD": "RU01", "guid": "GUID-FX-REJ-1", "note": "", "copNo": "COP-FX-REJ-1", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "1", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-REJ-1", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "1.35", "logisticsNo": "FX-REJ-1", "logisticsCode": "2301960003", "statisticsFlag": "A"}	100	[{"action": "reject", "message": "gcode not 10 digits", "rule_id": "CEB603-GCODE", "severity": "error"}]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	5	2026-12-04 07:18:43.602155+00
2	FX-CAN-1	1	cancellation	3	bb8e101dcbdf91611fd312faa2652c4b1662cb8fec5402d7c044343c5d545e54	{"POD": "RU01", "guid": "GUID-FX-CAN-1", "note": "cancel", "copNo": "COP-FX-CAN-1", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "3", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-CAN-1", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "2.5", "logisticsNo": "FX-CAN-1", "logisticsCode": "2301960003", "statisticsFlag": "A"}	399	[]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	11	2026-12-04 07:18:43.602155+00
\.


--
-- Data for Name: declarations; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.declarations (logistics_no, order_no, cop_no, guid, app_type, app_time, app_status, ebp_code, ebc_code, ebc_name, logistics_code, agent_code, owner_code, customs_code, port_code, ie_flag, ie_date, statistics_flag, trade_mode, traf_mode, country, pod, wrap_type, gross_weight, net_weight, freight, f_currency, insured_fee, i_currency, pack_no, total_price, currency, item_count, status_code, status, reasons, rules_version, content_sha256, payload, source_topic, source_partition, source_offset, source_timestamp, declared_at, updated_at, arrived_at, arrival_loct_no, departed_at, departure_loct_no, cancelled_at, version, status_since, status_actor, status_note) FROM stdin;
FX-ACC-2	ORD-FX-ACC-2	COP-FX-ACC-2	GUID-FX-ACC-2	1	20240512103000	2	2301960001	2301960002	鸡西乐器贸易有限公司	2301960003	2301960004	NO	1900	1900	E	20240512	A	9610	4	344	RU01	2	1.35000	1.20000	0.00000	142	0.00000	142	1	601.50	\N	3	399	accepted	[]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	fcb3c167ff1826ee64321195dc19913f3d82e61848ee887871ff076ceabd3c47	{"POD": "RU01", "guid": "GUID-FX-ACC-2", "note": "", "copNo": "COP-FX-ACC-2", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}, {"qty": "1", "gnum": 2, "qty1": "0.35", "unit": "011", "gcode": "8544422100", "gname": "电吉他", "price": "200.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-2", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "200.50"}, {"qty": "1", "gnum": 3, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "300.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-3", "barCode": "无", "country": "344", "currency": "840", "itemName": "电吉他", "totalPrice": "300.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "1", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-ACC-2", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "1.35", "logisticsNo": "FX-ACC-2", "logisticsCode": "2301960003", "statisticsFlag": "A"}	customs.declarations	0	1	2024-05-12 02:13:20+00	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.580426+00	\N	\N	\N	\N	\N	1	2026-12-04 07:18:43.580426+00	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	\N
FX-REV-1	ORD-FX-REV-1	COP-FX-REV-1	GUID-FX-REV-1	1	20240512103000	2	2301960001	2301960002	鸡西乐器贸易有限公司	2301960003	2301960004	NO	1900	1900	E	20240512	A	9610	4	344	RU01	2	1.35000	1.20000	0.00000	142	0.00000	142	1	100.50	142	1	300	manual_review	[{"action": "review", "message": "value over 5000 CNY", "rule_id": "MISHAN-VALUE", "severity": "error"}]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	85da3e9b90af1e8e20fde116da45aa4df83b7dd0dfc233589522a7a8b9b44345	{"POD": "RU01", "guid": "GUID-FX-REV-1", "note": "", "copNo": "COP-FX-REV-1", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "1", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-REV-1", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "1.35", "logisticsNo": "FX-REV-1", "logisticsCode": "2301960003", "statisticsFlag": "A"}	customs.declarations	0	4	2024-05-12 02:13:20+00	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.580426+00	\N	\N	\N	\N	\N	1	2026-12-04 07:18:43.580426+00	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	\N
FX-REJ-1	ORD-FX-REJ-1	COP-FX-REJ-1	GUID-FX-REJ-1	2	20240512103000	2	2301960001	2301960002	鸡西乐器贸易有限公司	2301960003	2301960004	NO	1900	1900	E	20240512	A	9610	4	344	RU01	2	2.50000	1.20000	0.00000	142	0.00000	142	1	301.00	142	2	399	accepted	[]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	74730e426471bf978f1765da98be224e87554c797bb848d10b59890b7bb3f1ee	{"POD": "RU01", "guid": "GUID-FX-REJ-1", "note": "amended", "copNo": "COP-FX-REJ-1", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}, {"qty": "1", "gnum": 2, "qty1": "0.35", "unit": "011", "gcode": "8544422100", "gname": "电吉他", "price": "200.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-2", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "200.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "2", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-REJ-1", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "2.5", "logisticsNo": "FX-REJ-1", "logisticsCode": "2301960003", "statisticsFlag": "A"}	customs.declarations	0	10	2024-05-12 02:13:20+00	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.602155+00	\N	\N	\N	\N	\N	2	2026-12-04 07:18:43.602155+00	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	amended by the declarer (appType 2): version 2 replaces version 1
FX-CAN-1	ORD-FX-CAN-1	COP-FX-CAN-1	GUID-FX-CAN-1	1	20240512103000	2	2301960001	2301960002	鸡西乐器贸易有限公司	2301960003	2301960004	NO	1900	1900	E	20240512	A	9610	4	344	RU01	2	1.35000	1.20000	0.00000	142	0.00000	142	1	100.50	142	1	100	rejected	[{"action": "reject", "message": "cancelled by the declarer (appType 3)", "rule_id": "CANCELLED"}]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	cc43487553d8936325415a0a47aa2311fdc269b62f9f1fe26ea99fe86e1f8485	{"POD": "RU01", "guid": "GUID-FX-CAN-1", "note": "", "copNo": "COP-FX-CAN-1", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "1", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-CAN-1", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "1.35", "logisticsNo": "FX-CAN-1", "logisticsCode": "2301960003", "statisticsFlag": "A"}	customs.declarations	0	6	2024-05-12 02:13:20+00	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.602155+00	\N	\N	\N	\N	2026-12-04 07:18:43.602155+00	1	2026-12-04 07:18:43.602155+00	declarer:2301960004	cancelled by the declarer (appType 3)
FX-INS-1	ORD-FX-INS-1	COP-FX-INS-1	GUID-FX-INS-1	1	20240512103000	2	2301960001	2301960002	鸡西乐器贸易有限公司	2301960003	2301960004	NO	1900	1900	E	20240512	A	9610	4	344	RU01	2	1.35000	1.20000	0.00000	142	0.00000	142	1	100.50	142	1	500	inspection	[{"action": "inspect", "message": "random sample", "rule_id": "MISHAN-RANDOM-2PCT", "severity": "error"}]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	9193bb0a5ed298de5c53374b5099a0e253ea8c6b4815f4377366588fdfb54887	{"POD": "RU01", "guid": "GUID-FX-INS-1", "note": "", "copNo": "COP-FX-INS-1", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "1", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-INS-1", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "1.35", "logisticsNo": "FX-INS-1", "logisticsCode": "2301960003", "statisticsFlag": "A"}	customs.declarations	0	2	2024-05-12 02:13:20+00	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.602155+00	2024-05-12 02:31:00+00	1900W00001	\N	\N	\N	1	2026-12-04 07:18:43.580426+00	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	\N
FX-ACC-1	ORD-FX-ACC-1	COP-FX-ACC-1	GUID-FX-ACC-1	1	20240512103000	2	2301960001	2301960002	鸡西乐器贸易有限公司	2301960003	2301960004	NO	1900	1900	E	20240512	A	9610	4	344	RU01	2	1.35000	1.20000	0.00000	142	0.00000	142	1	301.00	142	2	899	closed	[]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	1953ccd133974034091a1fe6c30f6dae47147655e05dff190f448a08b00cf569	{"POD": "RU01", "guid": "GUID-FX-ACC-1", "note": "", "copNo": "COP-FX-ACC-1", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}, {"qty": "1", "gnum": 2, "qty1": "0.35", "unit": "011", "gcode": "8544422100", "gname": "电吉他", "price": "200.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-2", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "200.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "1", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-ACC-1", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "1.35", "logisticsNo": "FX-ACC-1", "logisticsCode": "2301960003", "statisticsFlag": "A"}	customs.declarations	0	0	2024-05-12 02:13:20+00	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.620024+00	2024-05-12 02:30:00+00	1900W00001	2024-05-13 00:00:00+00	1900W00001	\N	1	2026-12-04 07:18:43.620024+00	scan:1900W00001	departure 2024-05-13T00:00:00Z at 1900W00001: closed
FX-INS-2	ORD-FX-INS-2	COP-FX-INS-2	GUID-FX-INS-2	1	20240512103000	2	2301960001	2301960002	鸡西乐器贸易有限公司	2301960003	2301960004	NO	1900	1900	E	20240512	A	9610	4	344	RU01	2	1.35000	1.20000	0.00000	142	0.00000	142	1	301.00	142	2	502	detained	[{"action": "inspect", "message": "lithium battery", "rule_id": "MISHAN-BATTERY", "severity": "error"}]	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	a6b6fb484e870d94663adffc867e0131752f5dc0234289480b69260dc24850f3	{"POD": "RU01", "guid": "GUID-FX-INS-2", "note": "", "copNo": "COP-FX-INS-2", "items": [{"qty": "1", "gnum": 1, "qty1": "0.35", "unit": "011", "gcode": "9207900000", "gname": "电吉他", "price": "100.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-1", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "100.50"}, {"qty": "1", "gnum": 2, "qty1": "0.35", "unit": "011", "gcode": "8544422100", "gname": "电吉他", "price": "200.50", "unit1": "035", "gmodel": "6弦|实木|无品牌", "itemNo": "EG-2", "barCode": "无", "country": "344", "currency": "142", "itemName": "电吉他", "totalPrice": "200.50"}], "ieDate": "20240512", "ieFlag": "E", "packNo": 1, "appTime": "20240512103000", "appType": "1", "country": "344", "ebcCode": "2301960002", "ebcName": "鸡西乐器贸易有限公司", "ebpCode": "2301960001", "freight": "0", "orderNo": "ORD-FX-INS-2", "portCode": "1900", "trafMode": "4", "wrapType": "2", "agentCode": "2301960004", "appStatus": "2", "fCurrency": "142", "iCurrency": "142", "netWeight": "1.2", "ownerCode": "NO", "tradeMode": "9610", "insuredFee": "0", "customsCode": "1900", "grossWeight": "1.35", "logisticsNo": "FX-INS-2", "logisticsCode": "2301960003", "statisticsFlag": "A"}	customs.declarations	0	3	2024-05-12 02:13:20+00	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.623592+00	\N	\N	\N	\N	\N	1	2026-12-04 07:18:43.623592+00	officer:postgres	inspection detained; undeclared batteries
\.


--
-- Data for Name: outbox; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.outbox (id, event_id, topic, key, type, payload, created_at, published_at) FROM stdin;
1	d967a079-2748-4f70-917a-dbb946883010	customs.receipts	FX-ACC-1	receipt	{"guid": "GUID-FX-ACC-1", "type": "receipt", "copNo": "COP-FX-ACC-1", "status": "accepted", "reasons": [], "event_id": "d967a079-2748-4f70-917a-dbb946883010", "returnInfo": "海关审结 accepted", "returnTime": "20261204071843580", "logisticsNo": "FX-ACC-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 399, "returnStatus": "399", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
2	afc2af18-7135-43c4-9b34-fddeb18781a8	customs.receipts	FX-ACC-2	receipt	{"guid": "GUID-FX-ACC-2", "type": "receipt", "copNo": "COP-FX-ACC-2", "status": "accepted", "reasons": [], "event_id": "afc2af18-7135-43c4-9b34-fddeb18781a8", "returnInfo": "海关审结 accepted", "returnTime": "20261204071843580", "logisticsNo": "FX-ACC-2", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 399, "returnStatus": "399", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
3	ec3d1cd5-890c-4a77-842f-33c2c0b43631	customs.receipts	FX-INS-1	receipt	{"guid": "GUID-FX-INS-1", "type": "receipt", "copNo": "COP-FX-INS-1", "status": "inspection", "reasons": [{"action": "inspect", "message": "random sample", "rule_id": "MISHAN-RANDOM-2PCT", "severity": "error"}], "event_id": "ec3d1cd5-890c-4a77-842f-33c2c0b43631", "returnInfo": "查验 inspection: MISHAN-RANDOM-2PCT: random sample", "returnTime": "20261204071843580", "logisticsNo": "FX-INS-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 500, "returnStatus": "500", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
4	044dee83-e794-4f29-b32e-a4384d22f854	mishan.warehouse.events	FX-INS-1	inspect	{"type": "inspect", "copNo": "COP-FX-INS-1", "status": "inspection", "reasons": [{"action": "inspect", "message": "random sample", "rule_id": "MISHAN-RANDOM-2PCT", "severity": "error"}], "event_id": "044dee83-e794-4f29-b32e-a4384d22f854", "logisticsNo": "FX-INS-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 500, "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
5	7f79a3ba-763a-42ca-a667-5d63dd169104	customs.receipts	FX-INS-2	receipt	{"guid": "GUID-FX-INS-2", "type": "receipt", "copNo": "COP-FX-INS-2", "status": "inspection", "reasons": [{"action": "inspect", "message": "lithium battery", "rule_id": "MISHAN-BATTERY", "severity": "error"}], "event_id": "7f79a3ba-763a-42ca-a667-5d63dd169104", "returnInfo": "查验 inspection: MISHAN-BATTERY: lithium battery", "returnTime": "20261204071843580", "logisticsNo": "FX-INS-2", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 500, "returnStatus": "500", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
6	638f0f15-f6e0-4dc8-8029-ceb1b753c5c1	mishan.warehouse.events	FX-INS-2	inspect	{"type": "inspect", "copNo": "COP-FX-INS-2", "status": "inspection", "reasons": [{"action": "inspect", "message": "lithium battery", "rule_id": "MISHAN-BATTERY", "severity": "error"}], "event_id": "638f0f15-f6e0-4dc8-8029-ceb1b753c5c1", "logisticsNo": "FX-INS-2", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 500, "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
7	bdbdd274-bd63-4099-97f2-7aa8f2102e7b	customs.receipts	FX-REV-1	receipt	{"guid": "GUID-FX-REV-1", "type": "receipt", "copNo": "COP-FX-REV-1", "status": "manual_review", "reasons": [{"action": "review", "message": "value over 5000 CNY", "rule_id": "MISHAN-VALUE", "severity": "error"}], "event_id": "bdbdd274-bd63-4099-97f2-7aa8f2102e7b", "returnInfo": "人工审核 manual_review: MISHAN-VALUE: value over 5000 CNY", "returnTime": "20261204071843580", "logisticsNo": "FX-REV-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 300, "returnStatus": "300", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
8	60792bb3-63e1-4f76-a733-56160ccfc85c	customs.receipts	FX-REJ-1	receipt	{"guid": "GUID-FX-REJ-1", "type": "receipt", "copNo": "COP-FX-REJ-1", "status": "rejected", "reasons": [{"action": "reject", "message": "gcode not 10 digits", "rule_id": "CEB603-GCODE", "severity": "error"}], "event_id": "60792bb3-63e1-4f76-a733-56160ccfc85c", "returnInfo": "海关退单 rejected: CEB603-GCODE: gcode not 10 digits", "returnTime": "20261204071843580", "logisticsNo": "FX-REJ-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 100, "returnStatus": "100", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
9	bdf55c81-9f73-4c02-b3d1-06190296d700	mishan.warehouse.events	FX-REJ-1	return	{"type": "return", "copNo": "COP-FX-REJ-1", "status": "rejected", "reasons": [{"action": "reject", "message": "gcode not 10 digits", "rule_id": "CEB603-GCODE", "severity": "error"}], "event_id": "bdf55c81-9f73-4c02-b3d1-06190296d700", "logisticsNo": "FX-REJ-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 100, "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
10	07d7ceec-04b6-409b-b8b1-140f189a6466	customs.receipts	FX-CAN-1	receipt	{"guid": "GUID-FX-CAN-1", "type": "receipt", "copNo": "COP-FX-CAN-1", "status": "accepted", "reasons": [], "event_id": "07d7ceec-04b6-409b-b8b1-140f189a6466", "returnInfo": "海关审结 accepted", "returnTime": "20261204071843580", "logisticsNo": "FX-CAN-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": 399, "returnStatus": "399", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
11	5f227986-bd9f-4e32-8f1f-85b8482dfa16	customs.receipts	FX-BAD-1	receipt	{"guid": null, "type": "receipt", "copNo": null, "status": "processing_error", "reasons": [{"action": "reject", "message": "invalid JSON at byte 26: unexpected end of input", "rule_id": "decode"}], "event_id": "5f227986-bd9f-4e32-8f1f-85b8482dfa16", "returnInfo": "处理失败 processing_error: decode: invalid JSON at byte 26: unexpected end of input", "returnTime": "20261204071843580", "logisticsNo": "FX-BAD-1", "occurred_at": "2026-12-04T07:18:43.580Z", "status_code": -1, "returnStatus": "-1", "rules_version": null}	2026-12-04 07:18:43.580426+00	2026-12-04 07:18:43.625696+00
12	b1f1024e-537c-4ea4-ac67-0552196199a8	customs.receipts	FX-ACC-2	receipt	{"guid": "GUID-FX-ACC-2", "type": "receipt", "copNo": "COP-FX-ACC-2", "status": "processing_error", "reasons": [{"action": "reject", "message": "logisticsNo already declared with different content (appType 1); an amendment is sent with appType 2", "rule_id": "conflict"}], "event_id": "b1f1024e-537c-4ea4-ac67-0552196199a8", "returnInfo": "处理失败 processing_error: conflict: logisticsNo already declared with different content (appType 1); an amendment is sent with appType 2", "returnTime": "20261204071843602", "logisticsNo": "FX-ACC-2", "occurred_at": "2026-12-04T07:18:43.602Z", "status_code": -1, "returnStatus": "-1", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}	2026-12-04 07:18:43.602155+00	2026-12-04 07:18:43.625696+00
13	8213d3bf-b86f-465d-9388-439ac3a50a81	customs.receipts	FX-REJ-1	receipt	{"guid": "GUID-FX-REJ-1", "note": "amended by the declarer (appType 2): version 2 replaces version 1", "type": "receipt", "actor": "rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "copNo": "COP-FX-REJ-1", "event": "amendment", "status": "accepted", "reasons": [], "event_id": "8213d3bf-b86f-465d-9388-439ac3a50a81", "returnInfo": "海关审结 accepted: amended by the declarer (appType 2): version 2 replaces version 1", "returnTime": "20261204071843602", "logisticsNo": "FX-REJ-1", "occurred_at": "2026-12-04T07:18:43.602Z", "status_code": 399, "returnStatus": "399", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "from_status_code": 100}	2026-12-04 07:18:43.602155+00	2026-12-04 07:18:43.625696+00
14	b5a971dd-b5e2-498b-89d6-f8ed3afb1781	customs.receipts	FX-CAN-1	receipt	{"guid": "GUID-FX-CAN-1", "note": "cancelled by the declarer (appType 3)", "type": "receipt", "actor": "declarer:2301960004", "copNo": "COP-FX-CAN-1", "event": "cancellation", "status": "rejected", "reasons": [{"action": "reject", "message": "cancelled by the declarer (appType 3)", "rule_id": "CANCELLED"}], "event_id": "b5a971dd-b5e2-498b-89d6-f8ed3afb1781", "returnInfo": "海关退单 rejected: cancelled by the declarer (appType 3); CANCELLED: cancelled by the declarer (appType 3)", "returnTime": "20261204071843602", "logisticsNo": "FX-CAN-1", "occurred_at": "2026-12-04T07:18:43.602Z", "status_code": 100, "returnStatus": "100", "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "from_status_code": 399}	2026-12-04 07:18:43.602155+00	2026-12-04 07:18:43.625696+00
15	1577a922-449c-44c6-98ce-908adfc4192f	mishan.warehouse.events	FX-CAN-1	return	{"note": "cancelled by the declarer (appType 3)", "type": "return", "actor": "declarer:2301960004", "copNo": "COP-FX-CAN-1", "event": "cancellation", "status": "rejected", "reasons": [{"action": "reject", "message": "cancelled by the declarer (appType 3)", "rule_id": "CANCELLED"}], "event_id": "1577a922-449c-44c6-98ce-908adfc4192f", "logisticsNo": "FX-CAN-1", "occurred_at": "2026-12-04T07:18:43.602Z", "status_code": 100, "rules_version": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "from_status_code": 399}	2026-12-04 07:18:43.602155+00	2026-12-04 07:18:43.625696+00
16	0d9f0d74-e6e9-42ce-812f-8f0de8584ffc	customs.receipts	FX-ACC-1	receipt	{"guid": "GUID-FX-ACC-1", "note": "arrival 2024-05-12T02:30:00Z at 1900W00001: released", "type": "receipt", "actor": "scan:1900W00001", "copNo": "COP-FX-ACC-1", "event": "arrival", "status": "released", "reasons": [], "event_id": "0d9f0d74-e6e9-42ce-812f-8f0de8584ffc", "returnInfo": "放行 released: arrival 2024-05-12T02:30:00Z at 1900W00001: released", "returnTime": "20261204071843602", "logisticsNo": "FX-ACC-1", "occurred_at": "2026-12-04T07:18:43.602Z", "status_code": 800, "returnStatus": "800", "rules_version": null, "from_status_code": 399}	2026-12-04 07:18:43.602155+00	2026-12-04 07:18:43.625696+00
17	a2b61439-4105-4212-b792-49f9d7f12beb	mishan.warehouse.events	FX-ACC-1	release	{"note": "arrival 2024-05-12T02:30:00Z at 1900W00001: released", "type": "release", "actor": "scan:1900W00001", "copNo": "COP-FX-ACC-1", "event": "arrival", "status": "released", "reasons": [], "event_id": "a2b61439-4105-4212-b792-49f9d7f12beb", "logisticsNo": "FX-ACC-1", "occurred_at": "2026-12-04T07:18:43.602Z", "status_code": 800, "rules_version": null, "from_status_code": 399}	2026-12-04 07:18:43.602155+00	2026-12-04 07:18:43.625696+00
18	deda754a-a7dc-463e-85cf-82ec916ea6cb	customs.receipts	FX-REV-1	receipt	{"guid": "GUID-FX-REV-1", "note": null, "type": "receipt", "actor": "scan:1900W00001", "copNo": "COP-FX-REV-1", "event": "departure", "status": "processing_error", "reasons": [{"action": "reject", "message": "departure refused: the parcel was not released (status 300 manual_review)", "rule_id": "transition"}], "event_id": "deda754a-a7dc-463e-85cf-82ec916ea6cb", "returnInfo": "处理失败 processing_error: transition: departure refused: the parcel was not released (status 300 manual_review)", "returnTime": "20261204071843602", "logisticsNo": "FX-REV-1", "occurred_at": "2026-12-04T07:18:43.602Z", "status_code": -1, "returnStatus": "-1", "rules_version": null, "from_status_code": 300}	2026-12-04 07:18:43.602155+00	2026-12-04 07:18:43.625696+00
19	e0db4796-46ab-41be-b25d-84a7185db4c4	customs.receipts	FX-ACC-1	receipt	{"guid": "GUID-FX-ACC-1", "note": "departure 2024-05-13T00:00:00Z at 1900W00001: closed", "type": "receipt", "actor": "scan:1900W00001", "copNo": "COP-FX-ACC-1", "event": "departure", "status": "closed", "reasons": [], "event_id": "e0db4796-46ab-41be-b25d-84a7185db4c4", "returnInfo": "结关 closed: departure 2024-05-13T00:00:00Z at 1900W00001: closed", "returnTime": "20261204071843620", "logisticsNo": "FX-ACC-1", "occurred_at": "2026-12-04T07:18:43.620Z", "status_code": 899, "returnStatus": "899", "rules_version": null, "from_status_code": 800}	2026-12-04 07:18:43.620024+00	2026-12-04 07:18:43.625696+00
20	6cc3c56a-a106-4ea7-8e03-084a69c3d045	customs.receipts	FX-INS-2	receipt	{"guid": "GUID-FX-INS-2", "note": "inspection detained; undeclared batteries", "type": "receipt", "actor": "officer:postgres", "copNo": "COP-FX-INS-2", "event": "inspection", "status": "detained", "reasons": [], "event_id": "6cc3c56a-a106-4ea7-8e03-084a69c3d045", "returnInfo": "扣留移送缉私 detained: inspection detained; undeclared batteries", "returnTime": "20261204071843623", "logisticsNo": "FX-INS-2", "occurred_at": "2026-12-04T07:18:43.623Z", "status_code": 502, "returnStatus": "502", "rules_version": null, "from_status_code": 500}	2026-12-04 07:18:43.623592+00	2026-12-04 07:18:43.625696+00
21	ca222e56-16d6-47cf-8136-ac083ba8fa8a	mishan.warehouse.events	FX-INS-2	detain	{"note": "inspection detained; undeclared batteries", "type": "detain", "actor": "officer:postgres", "copNo": "COP-FX-INS-2", "event": "inspection", "status": "detained", "reasons": [], "event_id": "ca222e56-16d6-47cf-8136-ac083ba8fa8a", "logisticsNo": "FX-INS-2", "occurred_at": "2026-12-04T07:18:43.623Z", "status_code": 502, "rules_version": null, "from_status_code": 500}	2026-12-04 07:18:43.623592+00	2026-12-04 07:18:43.625696+00
\.


--
-- Data for Name: outbox_topics; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.outbox_topics (kind, topic, updated_at) FROM stdin;
events	mishan.warehouse.events	2026-12-04 07:18:43.580426+00
receipts	customs.receipts	2026-12-04 07:18:43.580426+00
\.


--
-- Data for Name: quarantine; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.quarantine (id, source_topic, source_partition, source_offset, raw, reason, logistics_no, received_at) FROM stdin;
1	customs.declarations	0	7	\\x7b226c6f676973746963734e6f223a2246582d4241442d31222c	invalid JSON at byte 26: unexpected end of input	FX-BAD-1	2026-12-04 07:18:43.580426+00
2	customs.declarations	0	9	\\x7b22504f44223a202252553031222c202267756964223a2022475549442d46582d4143432d32222c20226e6f7465223a20226f74686572222c2022636f704e6f223a2022434f502d46582d4143432d32222c20226974656d73223a205b7b22717479223a202231222c2022676e756d223a20312c202271747931223a2022302e3335222c2022756e6974223a2022303131222c202267636f6465223a202239323037393030303030222c2022676e616d65223a2022e794b5e59089e4bb96222c20227072696365223a20223130302e3530222c2022756e697431223a2022303335222c2022676d6f64656c223a202236e5bca67ce5ae9ee69ca87ce697a0e59381e7898c222c20226974656d4e6f223a202245472d31222c2022626172436f6465223a2022e697a0222c2022636f756e747279223a2022333434222c202263757272656e6379223a2022313432222c20226974656d4e616d65223a2022e794b5e59089e4bb96222c2022746f74616c5072696365223a20223130302e3530227d2c207b22717479223a202231222c2022676e756d223a20322c202271747931223a2022302e3335222c2022756e6974223a2022303131222c202267636f6465223a202238353434343232313030222c2022676e616d65223a2022e794b5e59089e4bb96222c20227072696365223a20223230302e3530222c2022756e697431223a2022303335222c2022676d6f64656c223a202236e5bca67ce5ae9ee69ca87ce697a0e59381e7898c222c20226974656d4e6f223a202245472d32222c2022626172436f6465223a2022e697a0222c2022636f756e747279223a2022333434222c202263757272656e6379223a2022313432222c20226974656d4e616d65223a2022e794b5e59089e4bb96222c2022746f74616c5072696365223a20223230302e3530227d2c207b22717479223a202231222c2022676e756d223a20332c202271747931223a2022302e3335222c2022756e6974223a2022303131222c202267636f6465223a202239323037393030303030222c2022676e616d65223a2022e794b5e59089e4bb96222c20227072696365223a20223330302e3530222c2022756e697431223a2022303335222c2022676d6f64656c223a202236e5bca67ce5ae9ee69ca87ce697a0e59381e7898c222c20226974656d4e6f223a202245472d33222c2022626172436f6465223a2022e697a0222c2022636f756e747279223a2022333434222c202263757272656e6379223a2022383430222c20226974656d4e616d65223a2022e794b5e59089e4bb96222c2022746f74616c5072696365223a20223330302e3530227d5d2c2022696544617465223a20223230323430353132222c20226965466c6167223a202245222c20227061636b4e6f223a20312c202261707054696d65223a20223230323430353132313033303030222c202261707054797065223a202231222c2022636f756e747279223a2022333434222c2022656263436f6465223a202232333031393630303032222c20226562634e616d65223a2022e9b8a1e8a5bfe4b990e599a8e8b4b8e69893e69c89e99990e585ace58fb8222c2022656270436f6465223a202232333031393630303031222c202266726569676874223a202230222c20226f726465724e6f223a20224f52442d46582d4143432d32222c2022706f7274436f6465223a202231393030222c2022747261664d6f6465223a202234222c20227772617054797065223a202232222c20226167656e74436f6465223a202232333031393630303034222c2022617070537461747573223a202232222c20226643757272656e6379223a2022313432222c20226943757272656e6379223a2022313432222c20226e6574576569676874223a2022312e32222c20226f776e6572436f6465223a20224e4f222c202274726164654d6f6465223a202239363130222c2022696e7375726564466565223a202230222c2022637573746f6d73436f6465223a202231393030222c202267726f7373576569676874223a2022322e35222c20226c6f676973746963734e6f223a202246582d4143432d32222c20226c6f67697374696373436f6465223a202232333031393630303033222c202273746174697374696373466c6167223a202241227d	logisticsNo already declared with different content (appType 1); an amendment is sent with appType 2	FX-ACC-2	2026-12-04 07:18:43.602155+00
\.


--
-- Data for Name: refused_transitions; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.refused_transitions (id, logistics_no, from_code, event, to_code, reason, actor, source_topic, source_partition, source_offset, recorded_at) FROM stdin;
1	FX-REV-1	300	departure	899	departure refused: the parcel was not released (status 300 manual_review)	scan:1900W00001	mishan.warehouse.scans	0	3	2026-12-04 07:18:43.602155+00
\.


--
-- Data for Name: rule_set_versions; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.rule_set_versions (version, text, loaded_at) FROM stdin;
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.schema_migrations (version, name, sha256, applied_at) FROM stdin;
001	001_schema.sql	ab3d76022f0999146f981f31d4ed8ad422c2d0ec365109a651dd44f3a12e621d	2026-12-04 07:18:43.06203+00
002	002_apply_batch.sql	d05a7ebc80e88d4ebf77661b767679851bfc202ee3f361f989720096ec09474c	2026-12-04 07:18:43.178674+00
003	003_state_machine.sql	3a99fbc84913e2c927dfb9753ec5fbdbf9f275f4762bd3a2f289bb51c9ee4000	2026-12-04 07:18:43.270331+00
004	004_scans_amendments.sql	1d2947c3094c8cd97b96a77f6fb0b729b6c82d1b30b846b0267d33bb8d7d6ffe	2026-12-04 07:18:43.356742+00
005	005_officers.sql	ab92a669278b3101473974c536be0e5225de51097f5cdb62e75e8406dfc8c07d	2026-12-04 07:18:43.438264+00
006	006_roles.sql	cbbcdfcb642fdaa0046a36941b76491ada6fc0502a21c10daad2f8e99955c015	2026-12-04 07:18:43.518272+00
\.


--
-- Data for Name: status_history; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.status_history (id, logistics_no, status_code, status, reasons, rule_ids, rules_version, actor, source_topic, source_partition, source_offset, recorded_at, from_code, event, note) FROM stdin;
1	FX-ACC-1	399	accepted	[]	{}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	0	2026-12-04 07:18:43.580426+00	\N	declared	\N
2	FX-ACC-2	399	accepted	[]	{}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	1	2026-12-04 07:18:43.580426+00	\N	declared	\N
3	FX-INS-1	500	inspection	[{"action": "inspect", "message": "random sample", "rule_id": "MISHAN-RANDOM-2PCT", "severity": "error"}]	{MISHAN-RANDOM-2PCT}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	2	2026-12-04 07:18:43.580426+00	\N	declared	\N
4	FX-INS-2	500	inspection	[{"action": "inspect", "message": "lithium battery", "rule_id": "MISHAN-BATTERY", "severity": "error"}]	{MISHAN-BATTERY}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	3	2026-12-04 07:18:43.580426+00	\N	declared	\N
5	FX-REV-1	300	manual_review	[{"action": "review", "message": "value over 5000 CNY", "rule_id": "MISHAN-VALUE", "severity": "error"}]	{MISHAN-VALUE}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	4	2026-12-04 07:18:43.580426+00	\N	declared	\N
6	FX-REJ-1	100	rejected	[{"action": "reject", "message": "gcode not 10 digits", "rule_id": "CEB603-GCODE", "severity": "error"}]	{CEB603-GCODE}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	5	2026-12-04 07:18:43.580426+00	\N	declared	\N
7	FX-CAN-1	399	accepted	[]	{}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	6	2026-12-04 07:18:43.580426+00	\N	declared	\N
8	FX-REJ-1	399	accepted	[]	{}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	rules:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	customs.declarations	0	10	2026-12-04 07:18:43.602155+00	100	amendment	amended by the declarer (appType 2): version 2 replaces version 1
9	FX-CAN-1	100	rejected	[{"action": "reject", "message": "cancelled by the declarer (appType 3)", "rule_id": "CANCELLED"}]	{CANCELLED}	0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0	declarer:2301960004	customs.declarations	0	11	2026-12-04 07:18:43.602155+00	399	cancellation	cancelled by the declarer (appType 3)
10	FX-ACC-1	800	released	[]	{}	\N	scan:1900W00001	mishan.warehouse.scans	0	0	2026-12-04 07:18:43.602155+00	399	arrival	arrival 2024-05-12T02:30:00Z at 1900W00001: released
11	FX-ACC-1	899	closed	[]	{}	\N	scan:1900W00001	mishan.warehouse.scans	0	4	2026-12-04 07:18:43.620024+00	800	departure	departure 2024-05-13T00:00:00Z at 1900W00001: closed
12	FX-INS-2	502	detained	[]	{}	\N	officer:postgres	\N	\N	\N	2026-12-04 07:18:43.623592+00	500	inspection	inspection detained; undeclared batteries
\.


--
-- Data for Name: status_transitions; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.status_transitions (from_code, to_code, events, requires_arrival, description) FROM stdin;
100	100	{amendment,cancellation}	f	amended and rejected, or cancelled by the declarer
100	300	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
100	399	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
100	500	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
120	100	{amendment,cancellation}	f	amended and rejected, or cancelled by the declarer
120	300	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
120	399	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
120	500	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
300	100	{amendment,cancellation}	f	amended and rejected, or cancelled by the declarer
300	300	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
300	399	{amendment,review}	f	manual review passed, or amended and accepted
300	500	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
399	100	{amendment,cancellation}	f	amended and rejected, or cancelled by the declarer
399	300	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
399	399	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
399	500	{amendment}	f	amended (appType 2) and re-evaluated under the current rules
399	800	{arrival,release}	t	accepted and arrived: released (放行)
800	899	{departure}	f	released and departed: closed (结关)
500	399	{inspection}	f	inspection passed (released at once when arrived)
500	501	{inspection}	f	inspection: detained, handed over (通关)
500	502	{inspection}	f	inspection: detained, handed over (缉私)
500	503	{inspection}	f	inspection: detained, handed over (法规)
500	599	{inspection}	f	inspection: detained (其它扣留)
500	700	{inspection}	f	inspection: returned (退运)
300	700	{review}	f	manual review: returned (退运)
\.


--
-- Data for Name: warehouse_scans; Type: TABLE DATA; Schema: customs; Owner: customs_owner
--

COPY customs.warehouse_scans (id, logistics_no, scan, scanned_at, loct_no, total_package_no, sha256, payload, source_topic, source_partition, source_offset, source_timestamp, received_at, outcome, note, processed_at) FROM stdin;
3	FX-PEND-1	arrival	2024-05-12 02:32:00+00	1900W00001	PKG-0001	05a83c29ed85563f8ece7f25eba3e397bc62e936e2690ee3b8ff0faa22d083ef	{"scan": "arrival", "loctNo": "1900W00001", "scannedAt": "2024-05-12T10:32:00+08:00", "logisticsNo": "FX-PEND-1", "totalPackageNo": "PKG-0001"}	mishan.warehouse.scans	0	2	2024-05-12 02:13:20+00	2026-12-04 07:18:43.602155+00	pending	\N	\N
1	FX-ACC-1	arrival	2024-05-12 02:30:00+00	1900W00001	PKG-0001	4b2a853acd78516566d9337130092f5b7f5b2137365aad1bb40d8d08da43b834	{"scan": "arrival", "loctNo": "1900W00001", "scannedAt": "2024-05-12T10:30:00+08:00", "logisticsNo": "FX-ACC-1", "totalPackageNo": "PKG-0001"}	mishan.warehouse.scans	0	0	2024-05-12 02:13:20+00	2026-12-04 07:18:43.602155+00	released	arrival 2024-05-12T02:30:00Z at 1900W00001: released	2026-12-04 07:18:43.602155+00
2	FX-INS-1	arrival	2024-05-12 02:31:00+00	1900W00001	PKG-0001	6e657ce21c321b56986cb41823d07eff8c9b4e0abb4399197906acf7383a21a1	{"scan": "arrival", "loctNo": "1900W00001", "scannedAt": "2024-05-12T10:31:00+08:00", "logisticsNo": "FX-INS-1", "totalPackageNo": "PKG-0001"}	mishan.warehouse.scans	0	1	2024-05-12 02:13:20+00	2026-12-04 07:18:43.602155+00	held	arrival 2024-05-12T02:31:00Z at 1900W00001: held, waiting for the inspection result	2026-12-04 07:18:43.602155+00
4	FX-REV-1	departure	2024-05-12 02:33:00+00	1900W00001	PKG-0001	10b2b6cf25cc967fd829c2bd872c39a51b730395d568ec2b5d61618da8db6e38	{"scan": "departure", "loctNo": "1900W00001", "scannedAt": "2024-05-12T10:33:00+08:00", "logisticsNo": "FX-REV-1", "totalPackageNo": "PKG-0001"}	mishan.warehouse.scans	0	3	2024-05-12 02:13:20+00	2026-12-04 07:18:43.602155+00	refused	departure refused: the parcel was not released (status 300 manual_review)	2026-12-04 07:18:43.602155+00
5	FX-ACC-1	departure	2024-05-13 00:00:00+00	1900W00001	PKG-0001	006b9f6524c40f7b628bf4e7feb19fb4f6ceb3da0b4cc297170fa83ac5588534	{"scan": "departure", "loctNo": "1900W00001", "scannedAt": "2024-05-13T08:00:00+08:00", "logisticsNo": "FX-ACC-1", "totalPackageNo": "PKG-0001"}	mishan.warehouse.scans	0	4	2024-05-12 02:13:20+00	2026-12-04 07:18:43.620024+00	closed	departure 2024-05-13T00:00:00Z at 1900W00001: closed	2026-12-04 07:18:43.620024+00
\.


--
-- Name: declaration_versions_id_seq; Type: SEQUENCE SET; Schema: customs; Owner: customs_owner
--

SELECT pg_catalog.setval('customs.declaration_versions_id_seq', 2, true);


--
-- Name: outbox_id_seq; Type: SEQUENCE SET; Schema: customs; Owner: customs_owner
--

SELECT pg_catalog.setval('customs.outbox_id_seq', 21, true);


--
-- Name: quarantine_id_seq; Type: SEQUENCE SET; Schema: customs; Owner: customs_owner
--

SELECT pg_catalog.setval('customs.quarantine_id_seq', 2, true);


--
-- Name: refused_transitions_id_seq; Type: SEQUENCE SET; Schema: customs; Owner: customs_owner
--

SELECT pg_catalog.setval('customs.refused_transitions_id_seq', 1, true);


--
-- Name: status_history_id_seq; Type: SEQUENCE SET; Schema: customs; Owner: customs_owner
--

SELECT pg_catalog.setval('customs.status_history_id_seq', 12, true);


--
-- Name: warehouse_scans_id_seq; Type: SEQUENCE SET; Schema: customs; Owner: customs_owner
--

SELECT pg_catalog.setval('customs.warehouse_scans_id_seq', 5, true);


--
-- Name: consumer_offsets consumer_offsets_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.consumer_offsets
    ADD CONSTRAINT consumer_offsets_pkey PRIMARY KEY (group_id, topic, partition);


--
-- Name: declaration_items declaration_items_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.declaration_items
    ADD CONSTRAINT declaration_items_pkey PRIMARY KEY (logistics_no, line_no);


--
-- Name: declaration_versions declaration_versions_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.declaration_versions
    ADD CONSTRAINT declaration_versions_pkey PRIMARY KEY (id);


--
-- Name: declarations declarations_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.declarations
    ADD CONSTRAINT declarations_pkey PRIMARY KEY (logistics_no);


--
-- Name: outbox outbox_event_id_key; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: outbox_topics outbox_topics_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.outbox_topics
    ADD CONSTRAINT outbox_topics_pkey PRIMARY KEY (kind);


--
-- Name: quarantine quarantine_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.quarantine
    ADD CONSTRAINT quarantine_pkey PRIMARY KEY (id);


--
-- Name: quarantine quarantine_source_topic_source_partition_source_offset_key; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.quarantine
    ADD CONSTRAINT quarantine_source_topic_source_partition_source_offset_key UNIQUE (source_topic, source_partition, source_offset);


--
-- Name: refused_transitions refused_transitions_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.refused_transitions
    ADD CONSTRAINT refused_transitions_pkey PRIMARY KEY (id);


--
-- Name: rule_set_versions rule_set_versions_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.rule_set_versions
    ADD CONSTRAINT rule_set_versions_pkey PRIMARY KEY (version);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: status_history status_history_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.status_history
    ADD CONSTRAINT status_history_pkey PRIMARY KEY (id);


--
-- Name: status_transitions status_transitions_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.status_transitions
    ADD CONSTRAINT status_transitions_pkey PRIMARY KEY (from_code, to_code);


--
-- Name: warehouse_scans warehouse_scans_pkey; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.warehouse_scans
    ADD CONSTRAINT warehouse_scans_pkey PRIMARY KEY (id);


--
-- Name: warehouse_scans warehouse_scans_source_topic_source_partition_source_offset_key; Type: CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.warehouse_scans
    ADD CONSTRAINT warehouse_scans_source_topic_source_partition_source_offset_key UNIQUE (source_topic, source_partition, source_offset);


--
-- Name: declaration_versions_parcel_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX declaration_versions_parcel_idx ON customs.declaration_versions USING btree (logistics_no, content_sha256);


--
-- Name: declarations_order_no_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX declarations_order_no_idx ON customs.declarations USING hash (order_no);


--
-- Name: declarations_status_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX declarations_status_idx ON customs.declarations USING btree (status_code, declared_at);


--
-- Name: outbox_unpublished_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX outbox_unpublished_idx ON customs.outbox USING btree (id) WHERE (published_at IS NULL);


--
-- Name: quarantine_parcel_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX quarantine_parcel_idx ON customs.quarantine USING btree (logistics_no) WHERE (logistics_no IS NOT NULL);


--
-- Name: refused_transitions_parcel_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX refused_transitions_parcel_idx ON customs.refused_transitions USING btree (logistics_no, id);


--
-- Name: status_history_parcel_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX status_history_parcel_idx ON customs.status_history USING btree (logistics_no, id);


--
-- Name: warehouse_scans_parcel_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX warehouse_scans_parcel_idx ON customs.warehouse_scans USING btree (logistics_no, id);


--
-- Name: warehouse_scans_pending_idx; Type: INDEX; Schema: customs; Owner: customs_owner
--

CREATE INDEX warehouse_scans_pending_idx ON customs.warehouse_scans USING btree (logistics_no, id) WHERE (outcome = 'pending'::text);


--
-- Name: declarations declarations_guard; Type: TRIGGER; Schema: customs; Owner: customs_owner
--

CREATE TRIGGER declarations_guard BEFORE UPDATE ON customs.declarations FOR EACH ROW EXECUTE FUNCTION customs.declarations_guard();


--
-- Name: refused_transitions refused_transitions_append_only; Type: TRIGGER; Schema: customs; Owner: customs_owner
--

CREATE TRIGGER refused_transitions_append_only BEFORE DELETE OR UPDATE ON customs.refused_transitions FOR EACH ROW EXECUTE FUNCTION customs.refuse_change();


--
-- Name: status_history status_history_append_only; Type: TRIGGER; Schema: customs; Owner: customs_owner
--

CREATE TRIGGER status_history_append_only BEFORE DELETE OR UPDATE ON customs.status_history FOR EACH ROW EXECUTE FUNCTION customs.refuse_change();


--
-- Name: status_history status_history_no_truncate; Type: TRIGGER; Schema: customs; Owner: customs_owner
--

CREATE TRIGGER status_history_no_truncate BEFORE TRUNCATE ON customs.status_history FOR EACH STATEMENT EXECUTE FUNCTION customs.refuse_change();


--
-- Name: declaration_items declaration_items_logistics_no_fkey; Type: FK CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.declaration_items
    ADD CONSTRAINT declaration_items_logistics_no_fkey FOREIGN KEY (logistics_no) REFERENCES customs.declarations(logistics_no) ON DELETE CASCADE;


--
-- Name: declaration_versions declaration_versions_logistics_no_fkey; Type: FK CONSTRAINT; Schema: customs; Owner: customs_owner
--

ALTER TABLE ONLY customs.declaration_versions
    ADD CONSTRAINT declaration_versions_logistics_no_fkey FOREIGN KEY (logistics_no) REFERENCES customs.declarations(logistics_no) ON DELETE CASCADE;


--
-- Name: SCHEMA customs; Type: ACL; Schema: -; Owner: customs_owner
--

GRANT USAGE ON SCHEMA customs TO customsd;
GRANT USAGE ON SCHEMA customs TO customs_officer;


--
-- Name: FUNCTION apply_batch(p_group text, p_batch jsonb); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.apply_batch(p_group text, p_batch jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.apply_batch(p_group text, p_batch jsonb) TO customsd;


--
-- Name: FUNCTION apply_change_record(p_logistics_no text, p_app_type text, p_sha256 text, p_payload text, p_decl jsonb, p_status_code integer, p_reasons jsonb, p_rules_version text, p_topic text, p_partition integer, p_offset bigint, p_ts timestamp with time zone, p_declared_later boolean, OUT outcome text, OUT events integer); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.apply_change_record(p_logistics_no text, p_app_type text, p_sha256 text, p_payload text, p_decl jsonb, p_status_code integer, p_reasons jsonb, p_rules_version text, p_topic text, p_partition integer, p_offset bigint, p_ts timestamp with time zone, p_declared_later boolean, OUT outcome text, OUT events integer) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.apply_change_record(p_logistics_no text, p_app_type text, p_sha256 text, p_payload text, p_decl jsonb, p_status_code integer, p_reasons jsonb, p_rules_version text, p_topic text, p_partition integer, p_offset bigint, p_ts timestamp with time zone, p_declared_later boolean, OUT outcome text, OUT events integer) TO customsd;


--
-- Name: TABLE warehouse_scans; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.warehouse_scans TO customsd;


--
-- Name: FUNCTION apply_scan(p_scan customs.warehouse_scans); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.apply_scan(p_scan customs.warehouse_scans) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.apply_scan(p_scan customs.warehouse_scans) TO customsd;


--
-- Name: FUNCTION change_status(p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.change_status(p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.change_status(p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) TO customsd;


--
-- Name: FUNCTION declarations_guard(); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.declarations_guard() FROM PUBLIC;


--
-- Name: FUNCTION event_type_for(p_code integer); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.event_type_for(p_code integer) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.event_type_for(p_code integer) TO customsd;


--
-- Name: FUNCTION officer_actor(); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.officer_actor() FROM PUBLIC;


--
-- Name: FUNCTION outbox_add(p_type text, p_logistics_no text, p_cop_no text, p_guid text, p_code integer, p_reasons jsonb, p_rules_version text, p_event text, p_actor text, p_note text, p_from integer); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.outbox_add(p_type text, p_logistics_no text, p_cop_no text, p_guid text, p_code integer, p_reasons jsonb, p_rules_version text, p_event text, p_actor text, p_note text, p_from integer) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.outbox_add(p_type text, p_logistics_no text, p_cop_no text, p_guid text, p_code integer, p_reasons jsonb, p_rules_version text, p_event text, p_actor text, p_note text, p_from integer) TO customsd;


--
-- Name: FUNCTION outbox_topic(p_kind text); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.outbox_topic(p_kind text) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.outbox_topic(p_kind text) TO customsd;


--
-- Name: FUNCTION reasons_text(p_reasons jsonb); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.reasons_text(p_reasons jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.reasons_text(p_reasons jsonb) TO customsd;
GRANT ALL ON FUNCTION customs.reasons_text(p_reasons jsonb) TO customs_officer;


--
-- Name: FUNCTION record_change(p_logistics_no text, p_from integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.record_change(p_logistics_no text, p_from integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.record_change(p_logistics_no text, p_from integer, p_event text, p_actor text, p_note text, p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer, p_source_offset bigint) TO customsd;


--
-- Name: FUNCTION record_inspection(p_logistics_no text, p_result text, p_note text, p_detention_code integer); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.record_inspection(p_logistics_no text, p_result text, p_note text, p_detention_code integer) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.record_inspection(p_logistics_no text, p_result text, p_note text, p_detention_code integer) TO customs_officer;


--
-- Name: FUNCTION record_refusal(p_logistics_no text, p_from integer, p_event text, p_to integer, p_reason text, p_actor text, p_source_topic text, p_source_partition integer, p_source_offset bigint, p_cop_no text, p_guid text); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.record_refusal(p_logistics_no text, p_from integer, p_event text, p_to integer, p_reason text, p_actor text, p_source_topic text, p_source_partition integer, p_source_offset bigint, p_cop_no text, p_guid text) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.record_refusal(p_logistics_no text, p_from integer, p_event text, p_to integer, p_reason text, p_actor text, p_source_topic text, p_source_partition integer, p_source_offset bigint, p_cop_no text, p_guid text) TO customsd;


--
-- Name: FUNCTION refuse_change(); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.refuse_change() FROM PUBLIC;


--
-- Name: FUNCTION release_review(p_logistics_no text, p_note text); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.release_review(p_logistics_no text, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.release_review(p_logistics_no text, p_note text) TO customs_officer;


--
-- Name: FUNCTION return_info(p_code integer, p_reasons_text text); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.return_info(p_code integer, p_reasons_text text) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.return_info(p_code integer, p_reasons_text text) TO customsd;
GRANT ALL ON FUNCTION customs.return_info(p_code integer, p_reasons_text text) TO customs_officer;


--
-- Name: FUNCTION return_review(p_logistics_no text, p_note text); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.return_review(p_logistics_no text, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.return_review(p_logistics_no text, p_note text) TO customs_officer;


--
-- Name: FUNCTION scan_time(p_text text); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.scan_time(p_text text) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.scan_time(p_text text) TO customsd;


--
-- Name: FUNCTION status_label(p_code integer); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.status_label(p_code integer) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.status_label(p_code integer) TO customsd;
GRANT ALL ON FUNCTION customs.status_label(p_code integer) TO customs_officer;


--
-- Name: FUNCTION status_name(p_code integer); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.status_name(p_code integer) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.status_name(p_code integer) TO customsd;
GRANT ALL ON FUNCTION customs.status_name(p_code integer) TO customs_officer;


--
-- Name: FUNCTION transition_refusal(p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean); Type: ACL; Schema: customs; Owner: customs_owner
--

REVOKE ALL ON FUNCTION customs.transition_refusal(p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION customs.transition_refusal(p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean) TO customsd;


--
-- Name: TABLE consumer_offsets; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.consumer_offsets TO customsd;


--
-- Name: TABLE declaration_items; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE customs.declaration_items TO customsd;


--
-- Name: TABLE declarations; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.declarations TO customsd;


--
-- Name: TABLE daily_summary; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.daily_summary TO customsd;
GRANT SELECT ON TABLE customs.daily_summary TO customs_officer;


--
-- Name: TABLE declaration_versions; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.declaration_versions TO customsd;


--
-- Name: SEQUENCE declaration_versions_id_seq; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,USAGE ON SEQUENCE customs.declaration_versions_id_seq TO customsd;


--
-- Name: TABLE inspection_queue; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.inspection_queue TO customsd;
GRANT SELECT ON TABLE customs.inspection_queue TO customs_officer;


--
-- Name: TABLE outbox; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.outbox TO customsd;


--
-- Name: SEQUENCE outbox_id_seq; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,USAGE ON SEQUENCE customs.outbox_id_seq TO customsd;


--
-- Name: TABLE outbox_topics; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.outbox_topics TO customsd;


--
-- Name: TABLE refused_transitions; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.refused_transitions TO customsd;


--
-- Name: TABLE status_history; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.status_history TO customsd;


--
-- Name: TABLE parcel_history; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.parcel_history TO customsd;
GRANT SELECT ON TABLE customs.parcel_history TO customs_officer;


--
-- Name: TABLE parcel_status; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.parcel_status TO customsd;
GRANT SELECT ON TABLE customs.parcel_status TO customs_officer;


--
-- Name: TABLE quarantine; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.quarantine TO customsd;


--
-- Name: SEQUENCE quarantine_id_seq; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,USAGE ON SEQUENCE customs.quarantine_id_seq TO customsd;


--
-- Name: SEQUENCE refused_transitions_id_seq; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,USAGE ON SEQUENCE customs.refused_transitions_id_seq TO customsd;


--
-- Name: TABLE rule_set_versions; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE customs.rule_set_versions TO customsd;


--
-- Name: TABLE schema_migrations; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT ON TABLE customs.schema_migrations TO customsd;


--
-- Name: SEQUENCE status_history_id_seq; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,USAGE ON SEQUENCE customs.status_history_id_seq TO customsd;


--
-- Name: TABLE status_transitions; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT ON TABLE customs.status_transitions TO customsd;


--
-- Name: SEQUENCE warehouse_scans_id_seq; Type: ACL; Schema: customs; Owner: customs_owner
--

GRANT SELECT,USAGE ON SEQUENCE customs.warehouse_scans_id_seq TO customsd;


--
-- PostgreSQL database dump complete
--


