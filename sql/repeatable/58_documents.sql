-- 58_documents.sql - orders (CEB303), waybills (CEB505) and receipts of payment (CEB403)
-- into their tables (012_documents.sql): apply_batch's documents step
-- (customs.apply_batch_documents), the one JSON -> row mapping (customs.document_row), the
-- receipt of a rejected document (customs.document_receipt). The batch records are the
-- kinds "order", "waybill" and "payment" of daemon/batch.h, staged by apply_batch_stage.

-- Where a document lives and how the standard keys it: its table, the JSON names and the
-- columns of (key_a, key_b). NULL columns for an unknown document.
CREATE OR REPLACE FUNCTION customs.document_keys(p_document text, OUT tbl text,
                                                 OUT json_a text, OUT json_b text,
                                                 OUT col_a text, OUT col_b text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT k.tbl, k.json_a, k.json_b, k.col_a, k.col_b
      FROM (VALUES ('order', 'orders', 'ebpCode', 'orderNo', 'ebp_code', 'order_no'),
                   ('waybill', 'waybills', 'logisticsCode', 'logisticsNo', 'logistics_code',
                    'logistics_no'),
                   ('payment', 'payments', 'ebcCode', 'orderNo', 'ebc_code', 'order_no'))
           AS k(document, tbl, json_a, json_b, col_a, col_b)
     WHERE k.document = p_document
$$;

-- The decoded fields of a document or an order line (CEB names, batch.h) as the columns of
-- its table: each key in snake case (goodsValue -> goods_value), items left out. Read with
-- jsonb_populate_record, which takes the columns by name and ignores the rest.
CREATE OR REPLACE FUNCTION customs.document_row(p_doc jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(lower(regexp_replace(e.key, '([A-Z])', '_\1', 'g')),
                                     e.value), '{}')
      FROM jsonb_each(p_doc) AS e
     WHERE e.key <> 'items'
$$;

-- The receipt of a rejected document (docs/DESIGN.md "Orders, waybills and payments"): the
-- document, its key by CEB names, the CEB604-style status fields and the reasons.
CREATE OR REPLACE FUNCTION customs.document_receipt(p_event_id uuid, p_document text,
                                                    p_key_a text, p_key_b text,
                                                    p_guid text, p_code integer,
                                                    p_reasons jsonb)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
               'event_id', p_event_id,
               'type', 'receipt',
               'document', p_document,
               k.json_a, p_key_a,
               k.json_b, p_key_b,
               'guid', p_guid,
               'status_code', p_code,
               'status', customs.status_name(p_code),
               'returnStatus', p_code::text,
               'returnTime', to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSMS'),
               'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'returnInfo', customs.return_info(p_code, customs.reasons_text_zh(p_reasons)),
               'reasons', customs.array_or_empty(p_reasons))
      FROM customs.document_keys(p_document) AS k
$$;

-- Store one readable, well-formed document (p_doc: its decoded fields, batch.h) as the
-- current version of its key: the first one is version 1; the bytes of the current or an
-- earlier version are a duplicate (nothing changes); other bytes replace the current
-- version, which goes to customs.document_versions, and become version n + 1 (an order's
-- lines are replaced with it). outcome: 'stored' | 'duplicate'; version: the current one
-- after it (a duplicate: the version it repeats, or the current one).
CREATE OR REPLACE FUNCTION customs.document_store(p_document text, p_doc jsonb, p_sha text,
                                                  p_payload text, p_topic text,
                                                  p_partition integer, p_offset bigint,
                                                  p_ts timestamptz, OUT outcome text,
                                                  OUT version integer)
LANGUAGE plpgsql AS $$
DECLARE
    k       record;
    v_a     text;
    v_b     text;
    v_row   jsonb;
    v_cur   record;
    v_old   integer;
    v_rows  bigint;
    v_set   text;
BEGIN
    SELECT * INTO k FROM customs.document_keys(p_document);
    v_a := p_doc->>k.json_a;
    v_b := p_doc->>k.json_b;
    IF k.tbl IS NULL OR v_a IS NULL OR v_b IS NULL THEN
        RAISE EXCEPTION 'apply_batch: % record without its key', coalesce(p_document, 'document')
            USING ERRCODE = 'CS002';
    END IF;
    v_row := customs.document_row(p_doc) || jsonb_build_object(
        'content_sha256', p_sha, 'payload', p_payload, 'source_topic', p_topic,
        'source_partition', p_partition, 'source_offset', p_offset,
        'source_timestamp', p_ts, 'received_at', now());

    -- The first version; ON CONFLICT: stored before, or by a concurrent batch (then the
    -- row lock below waits for it).
    EXECUTE format('INSERT INTO customs.%I SELECT * FROM jsonb_populate_record('
                   'NULL::customs.%I, $1) ON CONFLICT DO NOTHING', k.tbl, k.tbl)
        USING v_row || jsonb_build_object('version', 1);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows = 1 THEN
        outcome := 'stored';
        version := 1;
    ELSE
        EXECUTE format('SELECT t.version, t.content_sha256, t.payload, t.source_topic, '
                       't.source_partition, t.source_offset, t.received_at FROM customs.%I t '
                       'WHERE t.%I = $1 AND t.%I = $2 FOR UPDATE', k.tbl, k.col_a, k.col_b)
            INTO v_cur USING v_a, v_b;
        IF v_cur.content_sha256 = p_sha THEN
            outcome := 'duplicate';
            version := v_cur.version;
            RETURN;
        END IF;
        SELECT dv.version INTO v_old
          FROM customs.document_versions dv
         WHERE dv.document = p_document AND dv.key_a = v_a AND dv.key_b = v_b
           AND dv.content_sha256 = p_sha
         ORDER BY dv.version LIMIT 1;
        IF v_old IS NOT NULL THEN
            outcome := 'duplicate';
            version := v_old;
            RETURN;
        END IF;
        INSERT INTO customs.document_versions
            (document, key_a, key_b, version, content_sha256, payload, source_topic,
             source_partition, source_offset, received_at)
        VALUES (p_document, v_a, v_b, v_cur.version, v_cur.content_sha256, v_cur.payload,
                v_cur.source_topic, v_cur.source_partition, v_cur.source_offset,
                v_cur.received_at);
        -- Every column but the key from the new row (absent fields become NULL).
        SELECT string_agg(format('%I = r.%I', a.attname, a.attname), ', ' ORDER BY a.attnum)
          INTO v_set
          FROM pg_attribute a
         WHERE a.attrelid = format('customs.%I', k.tbl)::regclass AND a.attnum > 0
           AND NOT a.attisdropped AND a.attname NOT IN (k.col_a, k.col_b);
        EXECUTE format('UPDATE customs.%I t SET %s FROM jsonb_populate_record(NULL::customs.%I, $1) r '
                       'WHERE t.%I = $2 AND t.%I = $3', k.tbl, v_set, k.tbl, k.col_a, k.col_b)
            USING v_row || jsonb_build_object('version', v_cur.version + 1), v_a, v_b;
        outcome := 'stored';
        version := v_cur.version + 1;
        IF p_document = 'order' THEN
            DELETE FROM customs.order_items i WHERE i.ebp_code = v_a AND i.order_no = v_b;
        END IF;
    END IF;

    IF p_document = 'order' THEN
        INSERT INTO customs.order_items
        SELECT r.*
          FROM jsonb_array_elements(coalesce(p_doc->'items', '[]')) WITH ORDINALITY AS e(item, n)
               CROSS JOIN LATERAL jsonb_populate_record(
                   NULL::customs.order_items,
                   customs.document_row(e.item)
                   || jsonb_build_object('ebp_code', v_a, 'order_no', v_b, 'line_no', e.n)) r
         ORDER BY e.n;
    END IF;
END;
$$;

---------------------------------------------------------------------------------------------
-- apply_batch's documents step: the staged records of kind order, waybill and payment
-- (status_code 120: well-formed; 100: rejected for its format, with its reasons), in batch
-- order. A well-formed one is stored (customs.document_store); a rejected one is kept in
-- customs.document_rejections (once per Kafka record) with a receipt (100) to its sender on
-- the receipts topic, keyed by key_b. Sets each record's outcome (stored | duplicate |
-- rejected) and the note of the answer's report (batch.h: V, D, J). Counts as named; n_events
-- = outbox rows written.
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION customs.apply_batch_documents(p_topic_receipts text,
                                                         OUT n_stored bigint,
                                                         OUT n_duplicates bigint,
                                                         OUT n_rejected bigint,
                                                         OUT n_events bigint)
LANGUAGE plpgsql AS $$
DECLARE
    s      record;
    k      record;
    v_res  record;
    v_id   uuid;
    v_rows bigint;
    v_lock integer;
BEGIN
    n_stored := 0;
    n_duplicates := 0;
    n_rejected := 0;
    n_events := 0;
    -- The keys of the documents to store, locked first and in one order (transaction
    -- advisory locks of class 58, by a hash of document and key; two keys of one hash only
    -- wait for each other), so that two instances storing documents of the same keys in
    -- other orders never wait on each other in a cycle.
    FOR v_lock IN
        SELECT DISTINCT hashtext(concat_ws('|', st.kind, st.decl->>dk.json_a,
                                           st.decl->>dk.json_b)) AS h
          FROM pg_temp.customs_apply_stage_v5 st
               CROSS JOIN LATERAL customs.document_keys(st.kind) AS dk
         WHERE st.kind IN ('order', 'waybill', 'payment') AND st.status_code = 120
         ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(58, v_lock);
    END LOOP;
    FOR s IN
        SELECT st.seq, st.kind, st.topic, st.partition, st."offset", st.ts, st.sha256,
               st.payload, st.status_code, st.reasons, st.decl
          FROM pg_temp.customs_apply_stage_v5 st
         WHERE st.kind IN ('order', 'waybill', 'payment')
         ORDER BY st.seq
    LOOP
        SELECT * INTO k FROM customs.document_keys(s.kind);
        IF s.status_code = 100 THEN
            INSERT INTO customs.document_rejections
                (document, key_a, key_b, content_sha256, payload, reasons, source_topic,
                 source_partition, source_offset)
            VALUES (s.kind, s.decl->>k.json_a, s.decl->>k.json_b, s.sha256, s.payload,
                    s.reasons, s.topic, s.partition, s."offset")
            ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            IF v_rows = 1 THEN -- not for a record another consumer group applied
                v_id := gen_random_uuid();
                INSERT INTO customs.outbox (event_id, topic, key, type, payload)
                VALUES (v_id, p_topic_receipts, s.decl->>k.json_b, 'receipt',
                        customs.document_receipt(v_id, s.kind, s.decl->>k.json_a,
                                                 s.decl->>k.json_b, s.decl->>'guid', 100,
                                                 s.reasons));
                n_events := n_events + 1;
            END IF;
            n_rejected := n_rejected + 1;
            UPDATE pg_temp.customs_apply_stage_v5 st
               SET outcome = 'rejected', result_status = 100,
                   result_note = CASE WHEN v_rows = 1 THEN 'receipt sent: '
                                      ELSE 'rejected before, no second receipt: ' END
                                 || left(customs.reasons_text(s.reasons), 300)
             WHERE st.seq = s.seq;
        ELSE
            SELECT * INTO v_res
              FROM customs.document_store(s.kind, s.decl, s.sha256, s.payload, s.topic,
                                          s.partition, s."offset", s.ts);
            IF v_res.outcome = 'stored' THEN
                n_stored := n_stored + 1;
            ELSE
                n_duplicates := n_duplicates + 1;
            END IF;
            UPDATE pg_temp.customs_apply_stage_v5 st
               SET outcome = v_res.outcome,
                   result_note = CASE v_res.outcome
                                     WHEN 'stored' THEN format('%s version %s', s.kind, v_res.version)
                                     ELSE format('%s: the content of version %s', s.kind,
                                                 v_res.version) END
             WHERE st.seq = s.seq;
        END IF;
    END LOOP;
END;
$$;
