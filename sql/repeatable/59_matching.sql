-- 59_matching.sql - three-document matching (三单对碰, docs/DOMAIN.md section 4 #20 and #13;
-- docs/DESIGN.md "Three-document matching"): the database's half. An inventory whose trade
-- mode needs its order and waybill (config/RULES.md "Matching") comes from the daemon with
-- status 120; apply_batch gives it the reason naming what is missing
-- (matching_wait_reasons). The daemon's sweep then, in one transaction, takes up to N
-- waiting parcels that have both documents or are past the deadline (matching_due, rows
-- locked FOR UPDATE SKIP LOCKED: two instances of the group never take one parcel), decides
-- them with the rules and the documents, and records the decisions (matching_apply: through
-- the state machine, event 'matched' or 'matching_deadline', with receipt, warehouse event,
-- inventory number and the release of an arrived parcel as for any decision).
-- A parcel's order is found by (ebpCode, orderNo), its waybill by (logisticsCode,
-- logisticsNo), as the standard keys them (012_documents.sql).

-- What a waiting parcel still lacks, in words: 'order (ebpCode '..', orderNo '..')',
-- 'waybill (logisticsCode '..', logisticsNo '..')', both joined with ' and ', or NULL when
-- both are stored.
CREATE OR REPLACE FUNCTION customs.matching_missing(
    p_ebp_code text, p_order_no text, p_logistics_code text, p_logistics_no text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT nullif(concat_ws(' and ',
        CASE WHEN NOT EXISTS (SELECT 1 FROM customs.orders o
                               WHERE o.ebp_code = p_ebp_code AND o.order_no = p_order_no)
             THEN format('order (ebpCode %L, orderNo %L)', coalesce(p_ebp_code, ''),
                         coalesce(p_order_no, '')) END,
        CASE WHEN NOT EXISTS (SELECT 1 FROM customs.waybills w
                               WHERE w.logistics_code = p_logistics_code
                                 AND w.logistics_no = p_logistics_no)
             THEN format('waybill (logisticsCode %L, logisticsNo %L)',
                         coalesce(p_logistics_code, ''), coalesce(p_logistics_no, '')) END),
        '')
$$;

-- The reasons of a parcel recorded in 120: one reason, rule id MATCHING, naming what is
-- missing (p_inv: the inventory as staged by apply_batch).
CREATE OR REPLACE FUNCTION customs.matching_wait_reasons(p_inv customs.ceb603_inventory)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(jsonb_build_object(
        'rule_id', 'MATCHING', 'action', 'flag', 'severity', 'low',
        'message', 'awaiting order / waybill: ' || coalesce(
            customs.matching_missing((p_inv)."ebpCode", (p_inv)."orderNo",
                                     (p_inv)."logisticsCode", (p_inv)."logisticsNo"),
            'both stored, matching next'),
        'message_zh', '等待电子订单、物流运单(三单对碰)'))
$$;

-- Up to p_limit waiting parcels (120) that can be decided now: both documents stored, or
-- declared more than p_deadline_hours ago. Locks their rows (FOR UPDATE SKIP LOCKED: a
-- parcel another transaction holds is left to it). Returns a JSON array, oldest first:
-- [{"logisticsNo", "payload": the CEB603 text, "order": the CEB303 text or null,
--   "waybill": the CEB505 text or null, "missing": matching_missing's text or null,
--   "expired": true when past the deadline}].
CREATE OR REPLACE FUNCTION customs.matching_due(p_limit integer, p_deadline_hours integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_out jsonb;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_deadline_hours IS NULL OR p_deadline_hours < 1 THEN
        RAISE EXCEPTION 'matching_due: limit and deadline hours must be positive'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH due AS (
        SELECT d.logistics_no, d.payload, d.declared_at, o.payload AS order_payload,
               w.payload AS waybill_payload,
               d.declared_at < now() - make_interval(hours => p_deadline_hours) AS expired
          FROM customs.declarations d
               LEFT JOIN customs.orders o
                      ON o.ebp_code = d.ebp_code AND o.order_no = d.order_no
               LEFT JOIN customs.waybills w
                      ON w.logistics_code = d.logistics_code AND w.logistics_no = d.logistics_no
         WHERE d.status_code = 120
           AND ((o.order_no IS NOT NULL AND w.logistics_no IS NOT NULL)
                OR d.declared_at < now() - make_interval(hours => p_deadline_hours))
         ORDER BY d.declared_at, d.logistics_no
         LIMIT p_limit
           FOR UPDATE OF d SKIP LOCKED
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'logisticsNo', due.logistics_no, 'payload', due.payload,
               'order', due.order_payload, 'waybill', due.waybill_payload,
               'missing', CASE WHEN due.order_payload IS NULL OR due.waybill_payload IS NULL
                               THEN concat_ws(' and ',
                                   CASE WHEN due.order_payload IS NULL THEN 'order' END,
                                   CASE WHEN due.waybill_payload IS NULL THEN 'waybill' END)
                          END,
               'expired', due.expired)
               ORDER BY due.declared_at, due.logistics_no), '[]')
      INTO v_out
      FROM due;
    RETURN v_out;
END;
$$;

-- Record the sweep's decisions, in the transaction of matching_due (whose locks they rely
-- on): p_decisions [{"logisticsNo", "status_code": 100 | 300 | 399 | 500, "reasons",
-- "rules_version", "event": "matched" | "matching_deadline", "note"}]. Each parcel still in
-- 120 goes through customs.change_status (history, receipt, warehouse event, invtNo,
-- release at once when arrived); one no longer in 120 (amended, cancelled meanwhile) is
-- skipped. Returns {"decided": parcels changed, "skipped": [their logisticsNo], "events":
-- outbox rows, "after": {logisticsNo: status afterwards} of the decided (800 when an
-- accepted parcel had arrived)}.
CREATE OR REPLACE FUNCTION customs.matching_apply(p_decisions jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_rec     record;
    v_decided integer := 0;
    v_skipped text[] := '{}';
    v_events  integer := 0;
    v_after   jsonb := '{}';
BEGIN
    IF jsonb_typeof(p_decisions) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'matching_apply: decisions must be a JSON array'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR v_rec IN
        SELECT x."logisticsNo" AS lno, x.status_code, x.reasons, x.rules_version, x.event,
               x.note
          FROM jsonb_to_recordset(p_decisions)
               AS x("logisticsNo" text, status_code integer, reasons jsonb,
                    rules_version text, event text, note text)
         ORDER BY x."logisticsNo"
    LOOP
        IF v_rec.event IS NULL OR v_rec.event NOT IN ('matched', 'matching_deadline')
           OR v_rec.status_code IS NULL OR v_rec.status_code NOT IN (100, 300, 399, 500) THEN
            RAISE EXCEPTION 'matching_apply: bad decision for parcel %', v_rec.lno
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM customs.declarations d
                        WHERE d.logistics_no = v_rec.lno AND d.status_code = 120) THEN
            v_skipped := v_skipped || v_rec.lno;
            CONTINUE;
        END IF;
        v_events := v_events + customs.change_status(
            v_rec.lno, v_rec.status_code, v_rec.event, customs.rules_actor(v_rec.rules_version),
            v_rec.note, customs.array_or_empty(v_rec.reasons), v_rec.rules_version);
        v_decided := v_decided + 1;
        v_after := v_after || jsonb_build_object(v_rec.lno, (
            SELECT d.status_code FROM customs.declarations d WHERE d.logistics_no = v_rec.lno));
    END LOOP;
    RETURN jsonb_build_object('decided', v_decided, 'skipped', to_jsonb(v_skipped),
                              'events', v_events, 'after', v_after);
END;
$$;
