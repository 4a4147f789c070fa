-- 60_apply_batch.sql - applying one Kafka batch: customsd stages its records by COPY and
-- calls customs.apply_batch_staged() (daemon/store.c); customs.apply_batch() takes the same
-- batch as one JSON document (psql, tests). Everything a batch writes happens inside them,
-- in the caller's transaction, in this order:
--   2. apply_batch_stage_open  the records, staged in a session temp table (by COPY, or
--      apply_batch_stage        from the JSON document) ...
--   1. apply_batch_fence       the offsets of record, fenced on the batch's start offsets
--   2. apply_batch_stage_check ... and checked against the fences
--   3. apply_batch_declare     new declarations (appType 1): rows, items, status history;
--                              the others are duplicates or conflicts
--   4. apply_batch_quarantine  undecodable records and conflicting declarations, byte-exact
--   5. apply_batch_outbox      receipts and warehouse events of steps 3 and 4
--   6. apply_batch_changes     amendments, cancellations and scans, one by one through the
--                              state machine (they write their own outbox rows)
--   6b. apply_batch_documents  orders, waybills and payments (58_documents.sql)
--   7. apply_batch_report      the answer's per-record report: what was recorded for each
-- Steps 3 to 5 are set-based: a batch of 1000 declarations is a handful of INSERT ... SELECT
-- statements, not 1000 round trips or a loop per row. Outbox ids follow this order, so a
-- parcel's first receipt always precedes the receipts of its later changes.
-- The staged columns, the batch document and the answer (counts and the per-record report)
-- are defined in daemon/batch.h (built and read by daemon/batch.c); see also the COMMENTs
-- on apply_batch and apply_batch_staged. They are customsd's interface and change together
-- with daemon/batch.c.

---------------------------------------------------------------------------------------------
-- 1. Offset fences, first: a zombie instance must fail before it writes anything. One
--    statement per partition touched (a handful), each must hit exactly one row.
--    p_offsets: the batch's "offsets" array. SQLSTATE CS001 when a fence fails, CS002 for
--    a malformed entry.
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_fence(p_group text, p_offsets jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_off    record;
    v_rows   bigint;
    v_stored bigint;
    v_bad    text;
BEGIN
    SELECT format('%s/%s', o.topic, o.partition) INTO v_bad
      FROM jsonb_to_recordset(p_offsets) AS o(topic text, partition integer)
     GROUP BY o.topic, o.partition HAVING count(*) > 1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'apply_batch: partition % listed twice in offsets', v_bad
            USING ERRCODE = 'CS002';
    END IF;

    FOR v_off IN
        SELECT o.topic, o.partition, o.expected, o.next
          FROM jsonb_to_recordset(p_offsets)
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
END;
$$;

---------------------------------------------------------------------------------------------
-- 2. The records, staged in the session temp table pg_temp.customs_apply_stage_v5 (one row
--    per record, seq = position in the batch): later steps classify rows and join on them
--    several times. Two ways in, one table:
--      customsd   COPY pg_temp.customs_apply_stage_v5 (the columns of daemon/batch.h's
--                 BATCH_STAGE_COLUMNS) FROM STDIN, after apply_batch_stage_open(), in the
--                 batch's transaction, then apply_batch_staged(group, fences);
--      psql/tests apply_batch(group, document): the records of the JSON document (batch.h)
--                 staged by apply_batch_stage(document), then the same.
--    apply_batch_stage_check then normalises what both ways leave to it and refuses a batch
--    that does not match its own fences or is malformed (SQLSTATE CS002): better loud than a
--    record applied without its offset (or an offset moved past a record).
--    A session keeps its temp table for its life, also across a migration: when the
--    columns change, give the table a new name, or a customsd session that staged with the
--    old function fails on the old table until it reconnects.
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_stage_open()
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.customs_apply_stage_v5') IS NULL THEN
        CREATE TEMP TABLE customs_apply_stage_v5 (
            seq              bigint  NOT NULL, -- position in the batch = consumption order
            kind             text,             -- declaration | quarantine | scan | order |
                                               -- waybill | payment
            topic            text,
            partition        integer,
            "offset"         bigint,
            ts               timestamptz,      -- the Kafka record's timestamp
            logistics_no     text,
            cop_no           text,
            guid             text,
            app_type         text,
            sha256           text,
            payload          text,
            status_code      integer,
            rules_version    text,
            reasons          jsonb,            -- a JSON array
            decl             jsonb,            -- an order's, waybill's, payment's doc object
            inventory        customs.ceb603_inventory, -- a declaration's fields (40_ceb603)
            raw              bytea,
            reason           text,             -- why it is quarantined (step 2, 3)
            scan             text,
            scanned_at_text  text,             -- scannedAt as sent
            scanned_at       timestamptz,      -- ... as a time (apply_batch_stage_check)
            loct_no          text,
            total_package_no text,
            -- declarations: new | duplicate | conflict | amended | cancelled | refused;
            -- quarantine records: quarantined
            outcome          text,
            -- what the batch's answer reports of it (apply_batch_report): the parcel's
            -- status after the record (conflict: the stored parcel's, kept), and a note
            -- (a refusal's reason, a scan's outcome)
            result_status    integer,
            result_note      text
        ) WITH (toast_tuple_target = 8160) -- rows of 2-8 kB stay uncompressed: measured,
          ON COMMIT DELETE ROWS;            -- compressing them took most of the staging
        -- apply_batch_changes finds a scan's record by where it was consumed, per scan.
        CREATE INDEX ON pg_temp.customs_apply_stage_v5 (topic, partition, "offset");
    ELSE
        DELETE FROM pg_temp.customs_apply_stage_v5; -- a second batch in one transaction
    END IF;
END;
$$;

-- The records of a JSON batch document (batch.h "records"), staged.
CREATE OR REPLACE FUNCTION customs.apply_batch_stage(p_batch jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customs.apply_batch_stage_open();
    INSERT INTO pg_temp.customs_apply_stage_v5
        (seq, kind, topic, partition, "offset", ts, logistics_no, cop_no, guid, app_type,
         sha256, payload, status_code, rules_version, reasons, decl, inventory, raw, reason,
         scan, scanned_at_text, loct_no, total_package_no)
    SELECT r.seq, r.kind, r.topic, r.partition, r."offset",
           CASE WHEN r.timestamp_ms >= 0
                THEN 'epoch'::timestamptz + r.timestamp_ms * interval '1 millisecond' END,
           r."logisticsNo", r.decl->>'copNo', r.decl->>'guid', r.decl->>'appType', r.sha256,
           r.payload, r.status_code, r.rules_version,
           customs.array_or_empty(r.reasons),
           CASE WHEN r.kind <> 'declaration' THEN coalesce(r.decl, r.doc) END,
           CASE WHEN r.kind = 'declaration' AND r.decl IS NOT NULL
                THEN customs.ceb603_inventory_of(r.decl) END,
           decode(r.raw_b64, 'base64'), r.reason, r.scan,
           r."scannedAt", r."loctNo", r."totalPackageNo"
      FROM ROWS FROM (jsonb_to_recordset(p_batch->'records')
               AS (kind text, topic text, partition integer, "offset" bigint,
                   timestamp_ms bigint, "logisticsNo" text, sha256 text, payload text,
                   status_code integer, rules_version text, reasons jsonb, decl jsonb,
                   raw_b64 text, reason text, scan text, "scannedAt" text, "loctNo" text,
                   "totalPackageNo" text, doc jsonb))
           WITH ORDINALITY
           AS r(kind, topic, partition, "offset", timestamp_ms, "logisticsNo", sha256,
                payload, status_code, rules_version, reasons, decl, raw_b64, reason, scan,
                "scannedAt", "loctNo", "totalPackageNo", doc, seq);
END;
$$;

-- The staged records checked against the batch's fences (p_offsets: the "offsets" array).
CREATE OR REPLACE FUNCTION customs.apply_batch_stage_check(p_offsets jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_bad text;
BEGIN
    -- A quarantined record's key is whatever could be read: keep it only when it can be a
    -- logisticsNo (CEB603 C..80), else there is no one to send a receipt. An empty key is
    -- none.
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET logistics_no = NULL
     WHERE s.logistics_no = ''
        OR (s.kind NOT IN ('declaration', 'scan') AND char_length(s.logistics_no) > 80);
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET scanned_at = customs.scan_time(s.scanned_at_text)
     WHERE s.kind = 'scan';
    -- A scan whose scannedAt is not a time with an offset (the decoder lets none through;
    -- a client other than customsd might): kept in quarantine, not a reason to stall.
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET kind = 'quarantine', raw = convert_to(s.payload, 'UTF8'),
           reason = 'scan: scannedAt is not an ISO 8601 time with an offset'
     WHERE s.kind = 'scan' AND s.scanned_at IS NULL AND s.payload IS NOT NULL;

    SELECT format('record %s (%s/%s@%s)', s.seq, s.topic, s.partition, s."offset")
      INTO v_bad
      FROM pg_temp.customs_apply_stage_v5 s
     WHERE s.kind IS NULL
        OR s.kind NOT IN ('declaration', 'quarantine', 'scan', 'order', 'waybill', 'payment')
        OR s.topic IS NULL OR s.partition IS NULL OR s."offset" IS NULL
        OR (s.kind = 'declaration'
            AND (s.logistics_no IS NULL OR s.sha256 IS NULL OR s.payload IS NULL
                 OR s.inventory IS NULL OR s.status_code IS NULL
                 OR jsonb_typeof(s.reasons) IS DISTINCT FROM 'array'
                 OR s.status_code NOT IN (1, 100, 120, 300, 399, 500)))
        OR (s.kind = 'quarantine' AND (s.raw IS NULL OR s.reason IS NULL))
        OR (s.kind IN ('order', 'waybill', 'payment') -- 58_documents.sql
            AND (s.sha256 IS NULL OR s.payload IS NULL OR s.decl IS NULL
                 OR jsonb_typeof(s.reasons) IS DISTINCT FROM 'array'
                 OR s.status_code IS NULL OR s.status_code NOT IN (100, 120)))
        OR (s.kind = 'scan'
            AND (s.logistics_no IS NULL OR s.scan IS NULL
                 OR s.scan NOT IN ('arrival', 'departure') OR s.scanned_at IS NULL
                 OR s.sha256 IS NULL OR s.payload IS NULL))
        OR NOT EXISTS (
               SELECT 1
                 FROM jsonb_to_recordset(p_offsets)
                      AS o(topic text, partition integer, expected bigint, next bigint)
                WHERE o.topic = s.topic AND o.partition = s.partition
                  AND s."offset" < o.next AND (o.expected = -1 OR s."offset" >= o.expected))
     ORDER BY s.seq LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: % is incomplete or outside its '
                        'partition''s offset range', v_bad USING ERRCODE = 'CS002';
    END IF;
    SELECT format('%s/%s@%s', s.topic, s.partition, s."offset") INTO v_bad
      FROM pg_temp.customs_apply_stage_v5 s
     GROUP BY s.topic, s.partition, s."offset" HAVING count(*) > 1 LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: record % appears twice', v_bad
            USING ERRCODE = 'CS002';
    END IF;
    -- A declaration awaiting its order / waybill (120, three-document matching): its one
    -- reason names what is missing now (59_matching.sql).
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET reasons = customs.matching_wait_reasons(s.inventory)
     WHERE s.kind = 'declaration' AND s.status_code = 120;
END;
$$;

---------------------------------------------------------------------------------------------
-- 3. New declarations (appType 1, or anything but 2 and 3: the rules reject a bad appType,
--    and a rejected declaration is recorded too), with their items and the first status
--    history row (the rules decided it). Within the batch the first record of a
--    logisticsNo wins; a stored row wins over the batch (ON CONFLICT DO NOTHING). Every
--    other such record is a duplicate (the same bytes as the stored content or an earlier
--    version) or a conflict (outcome set in the staging table, with the reason it is
--    quarantined). Amendments and cancellations are left to step 6.
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_declare(OUT n_new bigint,
                                                       OUT n_duplicates bigint,
                                                       OUT n_conflicts bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c_conflict constant text := 'logisticsNo already declared with different content '
        '(appType 1); an amendment is sent with appType 2';
    v_rows bigint;
BEGIN
    -- RETURNING names the staged records that made it.
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
               s.logistics_no, h.*, s.status_code, customs.status_name(s.status_code),
               s.reasons, s.rules_version, s.sha256, s.payload, s.topic, s.partition,
               s."offset", s.ts, customs.rules_actor(s.rules_version)
          FROM pg_temp.customs_apply_stage_v5 s
               CROSS JOIN LATERAL customs.ceb603_head(s.inventory) h
         WHERE s.kind = 'declaration' AND s.app_type IS DISTINCT FROM '2'
           AND s.app_type IS DISTINCT FROM '3'
         ORDER BY s.logistics_no, s.seq
        ON CONFLICT (logistics_no) DO NOTHING
        RETURNING d.source_topic, d.source_partition, d.source_offset
    )
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET outcome = 'new'
      FROM ins
     WHERE s.topic = ins.source_topic AND s.partition = ins.source_partition
       AND s."offset" = ins.source_offset;
    GET DIAGNOSTICS n_new = ROW_COUNT;

    -- Every other appType 1 record already has a row (stored before, earlier in this
    -- batch, or by a concurrent transaction that committed first; this statement sees all
    -- three): the same bytes as the current or an earlier version are a duplicate. Other
    -- bytes for a parcel saved (1, appStatus 1) are its declaration: left for step 6, which
    -- replaces the saved content (customs.apply_change_record); for any other parcel they
    -- are a conflict.
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET outcome = CASE WHEN customs.is_stored_content(s.logistics_no, d.content_sha256,
                                                         s.sha256)
                          THEN 'duplicate' ELSE 'conflict' END,
           result_status = d.status_code -- the stored parcel's, which it keeps
      FROM customs.declarations d
     WHERE s.kind = 'declaration' AND s.outcome IS NULL AND d.logistics_no = s.logistics_no
       AND s.app_type IS DISTINCT FROM '2' AND s.app_type IS DISTINCT FROM '3'
       AND (d.status_code <> 1
            OR customs.is_stored_content(s.logistics_no, d.content_sha256, s.sha256));
    UPDATE pg_temp.customs_apply_stage_v5 s SET reason = c_conflict WHERE s.outcome = 'conflict';

    SELECT count(*) FILTER (WHERE s.outcome = 'duplicate'),
           count(*) FILTER (WHERE s.outcome = 'conflict'),
           count(*) FILTER (WHERE s.kind = 'declaration' AND s.outcome IS NULL
                              AND s.app_type IS DISTINCT FROM '2'
                              AND s.app_type IS DISTINCT FROM '3'
                              AND NOT EXISTS (SELECT 1 FROM customs.declarations d
                                               WHERE d.logistics_no = s.logistics_no
                                                 AND d.status_code = 1))
      INTO n_duplicates, n_conflicts, v_rows
      FROM pg_temp.customs_apply_stage_v5 s;
    IF v_rows <> 0 THEN
        RAISE EXCEPTION 'apply_batch: % declaration(s) neither inserted nor found', v_rows;
    END IF;

    -- Items of the new declarations, in declared order.
    INSERT INTO customs.declaration_items
        (logistics_no, line_no, gnum, item_no, item_record_no, item_name, gcode, gname,
         gmodel, bar_code, country, currency, qty, unit, qty1, unit1, qty2, unit2, price,
         total_price)
    SELECT s.logistics_no, i.*
      FROM pg_temp.customs_apply_stage_v5 s
           CROSS JOIN LATERAL customs.ceb603_items(s.inventory) i
     WHERE s.outcome = 'new';

    -- One status history row per new declaration: the rules decided it.
    INSERT INTO customs.status_history
        (logistics_no, status_code, status, reasons, rule_ids, rules_version, actor, event,
         source_topic, source_partition, source_offset)
    SELECT s.logistics_no, s.status_code, customs.status_name(s.status_code), s.reasons,
           ARRAY(SELECT r.e->>'rule_id'
                   FROM jsonb_array_elements(s.reasons) WITH ORDINALITY AS r(e, n)
                  ORDER BY r.n),
           s.rules_version, customs.rules_actor(s.rules_version), 'declared',
           s.topic, s.partition, s."offset"
      FROM pg_temp.customs_apply_stage_v5 s
     WHERE s.outcome = 'new'
     ORDER BY s.seq;
END;
$$;

---------------------------------------------------------------------------------------------
-- 4. Quarantine: undecodable records (raw bytes as sent) and conflicting declarations
--    (their raw bytes are the payload text), with the reason. Unique per Kafka record, so
--    another consumer group reading the same topic does not fail on it. Returns the number
--    of undecodable records newly quarantined (their outcome: quarantined).
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_quarantine() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_quarantined bigint;
BEGIN
    WITH q AS (
        INSERT INTO customs.quarantine
            (source_topic, source_partition, source_offset, raw, reason, logistics_no)
        SELECT s.topic, s.partition, s."offset",
               CASE WHEN s.kind = 'quarantine' THEN s.raw
                    ELSE convert_to(s.payload, 'UTF8') END,
               s.reason, s.logistics_no
          FROM pg_temp.customs_apply_stage_v5 s
         WHERE s.kind = 'quarantine' OR s.outcome = 'conflict'
         ORDER BY s.seq
        ON CONFLICT DO NOTHING -- once per record: customs.quarantine_key_claim
        RETURNING source_topic, source_partition, source_offset
    )
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET outcome = 'quarantined'
      FROM q
     WHERE s.kind = 'quarantine' AND s.topic = q.source_topic
       AND s.partition = q.source_partition AND s."offset" = q.source_offset;
    GET DIAGNOSTICS v_quarantined = ROW_COUNT;
    RETURN v_quarantined;
END;
$$;

---------------------------------------------------------------------------------------------
-- 5. Outbox, in consumption order (id order = commit order per parcel): per new
--    declaration a 120 receipt (海关入库, received into the customs system: no reasons, no
--    invtNo; not for a saved one, status 1, which is not sent to customs, nor for one
--    awaiting its order / waybill, whose decision receipt is that 120), then the receipt
--    of its decision (or of 1 saved) and the warehouse event its status calls for (customs.event_type_for:
--    inspect for 500, return for 100), and a processing-error receipt (-1) per conflict or
--    undecodable record whose sender is known. event_id is generated once per row and put
--    in the payload too (customs.outbox_payload). Returns the rows written.
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_outbox(p_topic_events text,
                                                      p_topic_receipts text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_events bigint;
BEGIN
    WITH src AS (
        SELECT s.seq, 0 AS sub, 'receipt' AS type, s.logistics_no, s.cop_no, s.guid,
               120 AS status_code, '[]'::jsonb AS reasons, s.rules_version
          FROM pg_temp.customs_apply_stage_v5 s
         WHERE s.outcome = 'new' AND s.status_code NOT IN (1, 120)
        UNION ALL
        SELECT s.seq, 1, 'receipt', s.logistics_no, s.cop_no, s.guid,
               s.status_code, s.reasons, s.rules_version
          FROM pg_temp.customs_apply_stage_v5 s
         WHERE s.outcome = 'new'
        UNION ALL
        SELECT s.seq, 2, customs.event_type_for(s.status_code), s.logistics_no, s.cop_no,
               s.guid, s.status_code, s.reasons, s.rules_version
          FROM pg_temp.customs_apply_stage_v5 s
         WHERE s.outcome = 'new' AND customs.event_type_for(s.status_code) IS NOT NULL
        UNION ALL
        SELECT s.seq, 1, 'receipt', s.logistics_no, s.cop_no, s.guid, -1,
               jsonb_build_array(jsonb_build_object('rule_id', 'conflict', 'action', 'reject',
                                                    'message', s.reason)),
               s.rules_version
          FROM pg_temp.customs_apply_stage_v5 s
         WHERE s.outcome = 'conflict'
        UNION ALL
        SELECT s.seq, 1, 'receipt', s.logistics_no, NULL, NULL, -1,
               jsonb_build_array(jsonb_build_object('rule_id', 'decode', 'action', 'reject',
                                                    'message', s.reason)),
               NULL
          FROM pg_temp.customs_apply_stage_v5 s
         WHERE s.outcome = 'quarantined' AND s.logistics_no IS NOT NULL
    ), ev AS MATERIALIZED (
        SELECT gen_random_uuid() AS event_id, src.* FROM src
    )
    -- The parcel's row joined once (not looked up per row); outbox_payload_of is inlined.
    INSERT INTO customs.outbox (event_id, topic, key, type, payload)
    SELECT ev.event_id,
           CASE customs.outbox_topic_kind(ev.type) WHEN 'receipts' THEN p_topic_receipts
                                                   ELSE p_topic_events END,
           ev.logistics_no, ev.type,
           customs.outbox_payload_of(ev.event_id, ev.type, ev.logistics_no, ev.cop_no,
                                     ev.guid, ev.status_code, ev.reasons, NULL, d)
      FROM ev
           LEFT JOIN customs.declarations d ON d.logistics_no = ev.logistics_no
     ORDER BY ev.seq, ev.sub;
    GET DIAGNOSTICS v_events = ROW_COUNT;
    RETURN v_events;
END;
$$;

---------------------------------------------------------------------------------------------
-- 6. Amendments, cancellations, declarations of saved parcels, and scans. Scans are kept first (pending), then
--    amendments/cancellations (customs.apply_change_record) and scans (customs.apply_scan)
--    are applied one by one: they move existing parcels through the state machine, in
--    order, and may chain (an amendment to 399 of an arrived parcel releases it). The
--    parcels they touch are locked first, in logisticsNo order, so two instances never
--    wait on each other in a cycle. Counts: n_scans = scan records kept, n_pending = those
--    of them still pending, n_refused = amendments, cancellations and scans of this batch
--    the state machine refused, n_events = outbox rows written.
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_changes(OUT n_amendments bigint,
                                                       OUT n_cancellations bigint,
                                                       OUT n_duplicates bigint,
                                                       OUT n_refused bigint,
                                                       OUT n_scans bigint,
                                                       OUT n_pending bigint,
                                                       OUT n_events bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_rec   record;
    v_scan  customs.warehouse_scans;
    v_rows  bigint;
    v_w     customs.warehouse_scans;
    v_seq   bigint;
BEGIN
    n_amendments := 0;
    n_cancellations := 0;
    n_duplicates := 0;
    n_refused := 0;
    n_events := 0;

    INSERT INTO customs.warehouse_scans
        (logistics_no, scan, scanned_at, loct_no, total_package_no, sha256, payload,
         source_topic, source_partition, source_offset, source_timestamp)
    SELECT s.logistics_no, s.scan, s.scanned_at, s.loct_no, s.total_package_no, s.sha256,
           s.payload, s.topic, s.partition, s."offset", s.ts
      FROM pg_temp.customs_apply_stage_v5 s
     WHERE s.kind = 'scan'
     ORDER BY s.seq
    ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING;
    GET DIAGNOSTICS n_scans = ROW_COUNT;
    -- What the batch's answer says of its scans until the loop below applies them: pending
    -- (or, for a row kept before under the same source, what became of it then).
    UPDATE pg_temp.customs_apply_stage_v5 s
       SET outcome = w.outcome,
           result_status = CASE WHEN w.outcome <> 'pending' THEN
                               (SELECT d.status_code FROM customs.declarations d
                                 WHERE d.logistics_no = w.logistics_no) END,
           result_note = CASE WHEN w.outcome IN ('refused', 'duplicate') THEN w.note
                              WHEN w.outcome <> 'pending' THEN w.outcome END
      FROM customs.warehouse_scans w
     WHERE s.kind = 'scan' AND w.source_topic = s.topic AND w.source_partition = s.partition
       AND w.source_offset = s."offset";
    SELECT coalesce(max(s.seq), 0) INTO v_seq FROM pg_temp.customs_apply_stage_v5 s;

    PERFORM 1
       FROM customs.declarations d
      WHERE d.logistics_no IN (
                SELECT s.logistics_no FROM pg_temp.customs_apply_stage_v5 s
                 WHERE s.kind = 'declaration' AND s.outcome IS NULL
                UNION
                SELECT w.logistics_no FROM customs.warehouse_scans w
                 WHERE w.outcome = 'pending')
      ORDER BY d.logistics_no
        FOR UPDATE OF d;

    FOR v_rec IN
        SELECT s.*,
               EXISTS (SELECT 1 FROM pg_temp.customs_apply_stage_v5 n
                        WHERE n.outcome = 'new' AND n.logistics_no = s.logistics_no
                          AND n.seq > s.seq) AS declared_later
          FROM pg_temp.customs_apply_stage_v5 s
         WHERE s.kind = 'declaration' AND s.outcome IS NULL
         ORDER BY s.seq
    LOOP
        SELECT r.outcome, r.events INTO v_rec.outcome, v_rows
          FROM customs.apply_change_record(
                   v_rec.logistics_no, v_rec.app_type, v_rec.sha256, v_rec.payload,
                   v_rec.inventory, v_rec.status_code, v_rec.reasons, v_rec.rules_version,
                   v_rec.topic, v_rec.partition, v_rec."offset", v_rec.ts,
                   v_rec.declared_later) r;
        n_events := n_events + v_rows;
        CASE v_rec.outcome
            WHEN 'amended' THEN n_amendments := n_amendments + 1;
            WHEN 'cancelled' THEN n_cancellations := n_cancellations + 1;
            WHEN 'duplicate' THEN n_duplicates := n_duplicates + 1;
            ELSE n_refused := n_refused + 1;
        END CASE;
        -- For the batch's answer: the parcel's status after this record, and a refusal's
        -- reason (as recorded in refused_transitions).
        UPDATE pg_temp.customs_apply_stage_v5 s
           SET outcome = v_rec.outcome,
               result_status = (SELECT d.status_code FROM customs.declarations d
                                 WHERE d.logistics_no = v_rec.logistics_no),
               result_note = CASE WHEN v_rec.outcome = 'refused' THEN
                   (SELECT t.reason FROM customs.refused_transitions t
                     WHERE t.logistics_no = v_rec.logistics_no AND t.source_topic = v_rec.topic
                       AND t.source_partition = v_rec.partition
                       AND t.source_offset = v_rec."offset"
                     ORDER BY t.id DESC LIMIT 1) END
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
        n_events := n_events + customs.apply_scan(v_scan);
        -- For the batch's answer: the scan's outcome, the parcel's status after it, and the
        -- note (a refusal's reason, why it is a duplicate, else the outcome), on its record;
        -- a scan of an earlier batch gets a row of its own (kind 'earlier_scan', after the
        -- batch's records).
        SELECT * INTO v_w FROM customs.warehouse_scans w WHERE w.id = v_scan.id;
        CONTINUE WHEN v_w.outcome = 'pending';
        UPDATE pg_temp.customs_apply_stage_v5 s
           SET outcome = v_w.outcome,
               result_status = (SELECT d.status_code FROM customs.declarations d
                                 WHERE d.logistics_no = v_w.logistics_no),
               result_note = CASE WHEN v_w.outcome IN ('refused', 'duplicate') THEN v_w.note
                                  ELSE v_w.outcome END
         WHERE s.topic = v_w.source_topic AND s.partition = v_w.source_partition
           AND s."offset" = v_w.source_offset AND s.kind = 'scan';
        IF NOT FOUND THEN
            v_seq := v_seq + 1;
            INSERT INTO pg_temp.customs_apply_stage_v5
                (seq, kind, topic, partition, "offset", logistics_no, scan, scanned_at, outcome,
                 result_status, result_note)
            VALUES (v_seq, 'earlier_scan', v_w.source_topic, v_w.source_partition,
                    v_w.source_offset, v_w.logistics_no, v_w.scan, v_w.scanned_at, v_w.outcome,
                    (SELECT d.status_code FROM customs.declarations d
                      WHERE d.logistics_no = v_w.logistics_no),
                    CASE WHEN v_w.outcome IN ('refused', 'duplicate') THEN v_w.note
                         ELSE v_w.outcome END);
        END IF;
    END LOOP;
    SELECT count(*) FILTER (WHERE w.outcome = 'pending'),
           n_refused + count(*) FILTER (WHERE w.outcome = 'refused')
      INTO n_pending, n_refused
      FROM customs.warehouse_scans w
      JOIN pg_temp.customs_apply_stage_v5 s
        ON s.kind = 'scan' AND w.source_topic = s.topic AND w.source_partition = s.partition
       AND w.source_offset = s."offset";
END;
$$;

---------------------------------------------------------------------------------------------
-- 7. The answer's per-record report (format: daemon/batch.h, its one description): what
--    was recorded for each record, in batch order, one letter each, and details (status
--    after, note) for the records that are not plain new declarations. A new declaration
--    adds one byte to the answer and nothing else: the report stays small on the hot path.
--      A new declaration recorded with its decided status    D duplicate (no-op)
--      M amendment applied         C cancellation applied     X conflict, quarantined
--      R refused by the state machine (or not declared)       Q quarantined
--      S scan applied (note: released | held | recorded | closed)   P scan pending
--    and the scans of earlier batches that were pending and that this batch applied.
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_report() RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        WITH r AS (
            SELECT s.seq, s.result_status,
                   CASE WHEN s.kind = 'quarantine' THEN 'Q'
                        WHEN s.kind = 'declaration' THEN
                            CASE s.outcome WHEN 'new' THEN 'A' WHEN 'duplicate' THEN 'D'
                                           WHEN 'amended' THEN 'M' WHEN 'cancelled' THEN 'C'
                                           WHEN 'conflict' THEN 'X' WHEN 'refused' THEN 'R' END
                        WHEN s.kind = 'scan' THEN
                            CASE WHEN s.outcome = 'pending' THEN 'P'
                                 WHEN s.outcome = 'duplicate' THEN 'D'
                                 WHEN s.outcome = 'refused' THEN 'R'
                                 WHEN s.outcome IN ('released', 'held', 'recorded', 'closed')
                                 THEN 'S' END
                        WHEN s.kind IN ('order', 'waybill', 'payment') THEN
                            CASE s.outcome WHEN 'stored' THEN 'V' WHEN 'duplicate' THEN 'D'
                                           WHEN 'rejected' THEN 'J' END
                   END AS code,
                   CASE WHEN s.kind = 'quarantine' THEN s.reason ELSE s.result_note END AS note
              FROM pg_temp.customs_apply_stage_v5 s
             WHERE s.kind <> 'earlier_scan'
        ), e AS (
            SELECT s.seq, jsonb_strip_nulls(jsonb_build_object(
                       'logisticsNo', s.logistics_no, 'scan', s.scan,
                       'scannedAt', to_char(s.scanned_at AT TIME ZONE 'UTC',
                                            'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       'topic', s.topic, 'partition', s.partition, 'offset', s."offset",
                       'outcome', CASE s.outcome WHEN 'duplicate' THEN 'D'
                                                 WHEN 'refused' THEN 'R' ELSE 'S' END,
                       'status', s.result_status, 'note', s.result_note)) AS o
              FROM pg_temp.customs_apply_stage_v5 s
             WHERE s.kind = 'earlier_scan'
        )
        SELECT coalesce((SELECT jsonb_build_object('earlier_scans',
                                                   jsonb_agg(e.o ORDER BY e.seq))
                           FROM e HAVING count(*) > 0), '{}')
               || jsonb_build_object(
                   'outcomes', coalesce(string_agg(coalesce(r.code, '?'), '' ORDER BY r.seq), ''),
                   'details', coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                                                     'i', r.seq - 1, 'status', r.result_status,
                                                     'note', r.note)) ORDER BY r.seq)
                                           FILTER (WHERE r.code IS DISTINCT FROM 'A'
                                                     AND (r.result_status IS NOT NULL
                                                          OR r.note IS NOT NULL)),
                                       '[]'))
          FROM r);
END;
$$;

---------------------------------------------------------------------------------------------
-- The batch.
---------------------------------------------------------------------------------------------
-- The batch as customsd sends it: its records staged by COPY (step 2), p_batch the batch
-- document of batch.h without "records" (the fences and the outbox topics).
CREATE OR REPLACE FUNCTION customs.apply_batch_staged(p_group text, p_batch jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_topic_events   text := p_batch->>'topic_events';
    v_topic_receipts text := p_batch->>'topic_receipts';
    v_declare        record;
    v_changes        record;
    v_documents      record;
    v_quarantined    bigint;
    v_events         bigint;
BEGIN
    IF coalesce(p_group, '') = '' THEN
        RAISE EXCEPTION 'apply_batch: empty consumer group' USING ERRCODE = 'CS002';
    END IF;
    IF jsonb_typeof(p_batch) IS DISTINCT FROM 'object'
       OR jsonb_typeof(p_batch->'offsets') IS DISTINCT FROM 'array'
       OR coalesce(v_topic_events, '') = '' OR coalesce(v_topic_receipts, '') = '' THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: need an object with topic_events, '
                        'topic_receipts and offsets[]' USING ERRCODE = 'CS002';
    END IF;
    IF to_regclass('pg_temp.customs_apply_stage_v5') IS NULL THEN
        RAISE EXCEPTION 'apply_batch: nothing staged (apply_batch_stage_open, then COPY)'
            USING ERRCODE = 'CS002';
    END IF;

    PERFORM customs.apply_batch_fence(p_group, p_batch->'offsets');
    -- The topics the state machine's outbox rows go to: those of this customsd.
    PERFORM customs.outbox_topics_set(v_topic_events, v_topic_receipts);
    PERFORM customs.apply_batch_stage_check(p_batch->'offsets');
    SELECT * INTO v_declare FROM customs.apply_batch_declare();
    v_quarantined := customs.apply_batch_quarantine();
    v_events := customs.apply_batch_outbox(v_topic_events, v_topic_receipts);
    SELECT * INTO v_changes FROM customs.apply_batch_changes();
    v_events := v_events + v_changes.n_events;
    SELECT * INTO v_documents FROM customs.apply_batch_documents(v_topic_receipts);
    v_events := v_events + v_documents.n_events;

    -- Wake the relay once per batch (delivered at commit, coalesced per transaction).
    IF v_events > 0 THEN
        PERFORM pg_notify('customs_outbox', '');
    END IF;

    RETURN customs.apply_batch_report() || jsonb_build_object(
        'declarations', v_declare.n_new,
        'duplicates', v_declare.n_duplicates + v_changes.n_duplicates,
        'conflicts', v_declare.n_conflicts,
        'quarantined', v_quarantined,
        'events', v_events,
        'amendments', v_changes.n_amendments,
        'cancellations', v_changes.n_cancellations,
        'refused', v_changes.n_refused,
        'scans', v_changes.n_scans,
        'pending_scans', v_changes.n_pending)
        -- only when the batch had orders, waybills or payments (58_documents.sql)
        || CASE WHEN v_documents.n_stored + v_documents.n_duplicates + v_documents.n_rejected > 0
                THEN jsonb_build_object('documents', v_documents.n_stored,
                                        'document_duplicates', v_documents.n_duplicates,
                                        'documents_rejected', v_documents.n_rejected)
                ELSE '{}'::jsonb END;
END;
$$;

-- The batch as one JSON document (batch.h, with "records"): for psql and tests.
CREATE OR REPLACE FUNCTION customs.apply_batch(p_group text, p_batch jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_typeof(p_batch->'records') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'apply_batch: malformed batch: need an object with topic_events, '
                        'topic_receipts, offsets[] and records[]' USING ERRCODE = 'CS002';
    END IF;
    PERFORM customs.apply_batch_stage(p_batch);
    RETURN customs.apply_batch_staged(p_group, p_batch);
END;
$$;

COMMENT ON FUNCTION customs.apply_batch(text, jsonb) IS $c$
Apply one consumed Kafka batch for consumer group p_group, in the caller's transaction.
Returns {"declarations", "duplicates", "conflicts", "quarantined", "events", "amendments",
"cancellations", "refused", "scans", "pending_scans"} and, for a batch with orders, waybills
or payments, {"documents", "document_duplicates", "documents_rejected"} (counts, struct
batch_result) and
{"outcomes", "details"} (what was recorded for each record, in batch order, struct
batch_outcome), each described in daemon/batch.h, their one description.
Errors: SQLSTATE CS001 = an offset fence failed (another instance owns the partition; the
transaction must roll back); CS002 = malformed batch (a caller bug).

Batch (jsonb): the document defined in daemon/batch.h, its one definition: "offsets"
(per partition: topic, partition, the fence "expected" and "next"), "records" in consumption
order (kind "declaration", "quarantine", "scan", "order", "waybill" or "payment"),
"topic_events", "topic_receipts".
$c$;

COMMENT ON FUNCTION customs.apply_batch_staged(text, jsonb) IS $c$
customs.apply_batch for records already staged in pg_temp.customs_apply_stage_v5 in this
transaction (customs.apply_batch_stage_open, then COPY of the columns daemon/batch.h lists
in BATCH_STAGE_COLUMNS): p_batch is the document without "records". Same answer, same errors.
$c$;
