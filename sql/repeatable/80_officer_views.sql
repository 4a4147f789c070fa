-- 80_officer_views.sql - what customs officers read in psql (role customs_officer: SELECT on
-- these views, 90_grants.sql). Dropped and created again on every run, so that a change of
-- columns needs nothing more than an edit here; 90_grants.sql then grants them again.

DROP VIEW IF EXISTS customs.parcel_status, customs.inspection_queue, customs.parcel_history,
                    customs.daily_summary, customs.parcel_goods, customs.alerts,
                    customs.parcel_documents;

-- Current state per parcel: identity, status and who set it, arrival and departure.
CREATE VIEW customs.parcel_status AS
SELECT d.logistics_no,
       d.order_no,
       d.cop_no,
       d.ebc_code,
       d.country,
       d.status_code,
       d.status,
       d.invt_no,
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
       d.cancelled_at,
       EXISTS (SELECT 1 FROM customs.parcel_holds h
                WHERE h.logistics_no = d.logistics_no AND h.lifted_at IS NULL) AS held
  FROM customs.declarations d;
COMMENT ON VIEW customs.parcel_status IS
    'Current clearance status per parcel (logisticsNo), with arrival/departure, who set it, held.';

-- Parcels waiting for an officer: inspection (500) and manual review (300), oldest first.
CREATE VIEW customs.inspection_queue AS
SELECT d.logistics_no,
       d.status_code,
       d.status,
       CASE d.status_code WHEN 500 THEN 'inspection result' ELSE 'manual review' END
           AS waiting_for,
       customs.reasons_text(d.reasons) AS reasons_text,
       d.reasons,
       d.arrived_at IS NOT NULL AS arrived,
       d.arrived_at,
       d.arrival_loct_no,
       d.status_since AS waiting_since,
       date_trunc('second', now() - d.status_since) AS waiting,
       d.ebc_code,
       d.ebc_name,
       d.country,
       d.total_price AS total_value,
       d.currency,
       d.item_count,
       (SELECT string_agg(DISTINCT i.gcode, ',') FROM customs.declaration_items i
         WHERE i.logistics_no = d.logistics_no) AS gcodes,
       d.declared_at
  FROM customs.declarations d
 WHERE d.status_code IN (300, 500)
 ORDER BY d.status_since, d.logistics_no;
COMMENT ON VIEW customs.inspection_queue IS
    'Parcels held for an officer (500 inspection, 300 manual review), oldest first.';

-- Everything that happened to a parcel: status changes (kind 'status'), refused
-- transitions ('refused'), warehouse scans ('scan', status = the scan's outcome), alerts
-- ('alert': event = the alert's kind, status 'raised', then event and status 'resolved';
-- the note names the alert's id) and holds ('hold':
-- event 'hold' / 'unhold', status 'held' / 'lifted'; the officer and the note).
-- Use: SELECT * FROM customs.parcel_history WHERE logistics_no = '...';
CREATE VIEW customs.parcel_history AS
SELECT x.logistics_no, x.at, x.kind, x.event, x.from_code, x.status_code, x.status,
       x.actor, x.note, x.reasons, x.rules_version, x.source_topic, x.source_partition,
       x.source_offset
  FROM (SELECT h.logistics_no, h.recorded_at AS at, 'status' AS kind, 1 AS kind_order, h.id,
               h.event, h.from_code, h.status_code, h.status, h.actor, h.note, h.reasons,
               h.rules_version, h.source_topic, h.source_partition, h.source_offset
          FROM customs.status_history h
        UNION ALL
        SELECT r.logistics_no, r.recorded_at, 'refused', 2, r.id, r.event, r.from_code,
               r.to_code, customs.status_name(r.to_code), r.actor, r.reason, '[]'::jsonb,
               NULL, r.source_topic, r.source_partition, r.source_offset
          FROM customs.refused_transitions r
        UNION ALL
        SELECT w.logistics_no, w.received_at, 'scan', 0, w.id, w.scan, NULL, NULL,
               w.outcome, customs.scan_actor(w.loct_no),
               coalesce(w.note, format('%s scanned %s', w.scan, w.scanned_at)), '[]'::jsonb,
               NULL, w.source_topic, w.source_partition, w.source_offset
          FROM customs.warehouse_scans w
        UNION ALL
        SELECT a.logistics_no, a.raised_at, 'alert', 3, a.id, a.kind, NULL, NULL, 'raised',
               customs.scan_actor(a.loct_no), format('alert %s: %s', a.id, a.details),
               '[]'::jsonb, NULL, NULL, NULL, NULL
          FROM customs.alert_log a
        UNION ALL
        SELECT a.logistics_no, a.resolved_at, 'alert', 5, a.id, 'resolved', NULL, NULL,
               'resolved', a.resolved_by, format('alert %s resolved: %s', a.id,
                                                 a.resolution_note),
               '[]'::jsonb, NULL, NULL, NULL, NULL
          FROM customs.alert_log a
         WHERE a.resolved_at IS NOT NULL
        UNION ALL
        SELECT h.logistics_no, h.held_at, 'hold', 4, h.id, 'hold', NULL, NULL, 'held',
               h.held_by, h.reason, '[]'::jsonb, NULL, NULL, NULL, NULL
          FROM customs.parcel_holds h
        UNION ALL
        SELECT h.logistics_no, h.lifted_at, 'hold', 6, h.id, 'unhold', NULL, NULL, 'lifted',
               h.lifted_by, h.lift_note, '[]'::jsonb, NULL, NULL, NULL, NULL
          FROM customs.parcel_holds h
         WHERE h.lifted_at IS NOT NULL) x
 ORDER BY x.logistics_no, x.at, x.kind_order, x.id;
COMMENT ON VIEW customs.parcel_history IS
    'Every status change, refused transition, warehouse scan, alert and hold of a parcel, in order.';

-- Alerts for officers (25_holds.sql says which scans raise them), open ones first, oldest
-- first: what happened (kind, details), to which parcel, where (site = the scan's loctNo)
-- and when (occurred_at = scannedAt, raised_at), who must act ('supervised warehouse' or
-- 'customs officer'), the parcel's status then and now, whether it is still held, and the
-- resolution. Resolve with customs.resolve_alert(id, note). Use:
--   SELECT * FROM customs.alerts WHERE open;
CREATE VIEW customs.alerts AS
SELECT a.id,
       a.kind,
       a.logistics_no,
       a.loct_no AS site,
       a.occurred_at,
       a.raised_at,
       a.details,
       a.must_act,
       a.resolved_at IS NULL AS open,
       a.status_code AS status_code_then,
       d.status_code,
       d.status,
       EXISTS (SELECT 1 FROM customs.parcel_holds h
                WHERE h.logistics_no = a.logistics_no AND h.lifted_at IS NULL) AS held,
       a.resolved_at,
       a.resolved_by,
       a.resolution_note,
       a.scan_id
  FROM customs.alert_log a
       LEFT JOIN customs.declarations d ON d.logistics_no = a.logistics_no
 ORDER BY a.resolved_at IS NOT NULL, a.id;
COMMENT ON VIEW customs.alerts IS
    'Alerts from warehouse scans: kind, parcel, site, when, who must act; open ones first.';

-- Per day (China Standard Time, the date the declaration was first received), destination
-- country, HS chapter (first two digits of gcode) and current status: parcels, items and
-- the declared value in CNY (items in currency 142; items in another currency are counted
-- in items_not_cny and left out of the value: there are no exchange rates here). A parcel
-- with items in two chapters is counted under both; the values add up exactly.
CREATE VIEW customs.daily_summary AS
SELECT (d.declared_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
       d.country,
       left(i.gcode, 2) AS hs_chapter,
       d.status_code,
       d.status,
       count(DISTINCT d.logistics_no) AS parcels,
       count(i.line_no) AS items,
       coalesce(sum(i.total_price) FILTER (WHERE i.currency = '142'), 0) AS value_cny,
       count(i.line_no) FILTER (WHERE i.currency IS DISTINCT FROM '142') AS items_not_cny
  FROM customs.declarations d
       LEFT JOIN customs.declaration_items i ON i.logistics_no = d.logistics_no
 GROUP BY 1, 2, 3, 4, 5
 ORDER BY 1 DESC, 2, 3, 4;
COMMENT ON VIEW customs.daily_summary IS
    'Per day, destination country, HS chapter and status: parcels, items, value in CNY.';


-- The goods of a parcel, one row per declared item (CEB603 InventoryList) with the
-- parcel's weights beside them (CEB603 declares weights per parcel, in kg), amounts in the
-- item's currency (customs code, 142 = CNY). Use:
--   SELECT * FROM customs.parcel_goods WHERE logistics_no = '...';
CREATE VIEW customs.parcel_goods AS
SELECT d.logistics_no,
       d.invt_no,
       d.status_code,
       i.line_no,
       i.gnum,
       i.item_no,
       i.gcode,
       i.gname,
       i.item_name,
       i.gmodel,
       i.country AS origin_country,
       i.qty,
       i.unit,
       i.qty1,
       i.unit1,
       i.price,
       i.total_price,
       i.currency,
       d.gross_weight AS parcel_gross_weight_kg,
       d.net_weight AS parcel_net_weight_kg
  FROM customs.declarations d
       JOIN customs.declaration_items i ON i.logistics_no = d.logistics_no
 ORDER BY d.logistics_no, i.line_no;
COMMENT ON VIEW customs.parcel_goods IS
    'The declared goods of each parcel: HS code, name, quantity, value, with the parcel weights.';

-- The other documents of each parcel (三单): its order (CEB303, by the declaration's ebpCode
-- and orderNo) and its waybill (CEB505, by logisticsCode and logisticsNo), as currently
-- stored, beside the declaration's own figures; NULL where the document has not come.
-- Amounts in their currency's units, weights in kg. Use:
--   SELECT * FROM customs.parcel_documents WHERE logistics_no = '...';
CREATE VIEW customs.parcel_documents AS
SELECT d.logistics_no,
       d.status_code,
       d.order_no,
       d.total_price AS items_total,
       d.currency AS items_currency,
       o.goods_value AS order_goods_value,
       o.currency AS order_currency,
       o.consignee AS order_consignee,
       o.version AS order_version,
       o.received_at AS order_received_at,
       d.gross_weight AS declared_gross_weight_kg,
       w.gross_weight AS waybill_gross_weight_kg,
       d.pack_no AS declared_pack_no,
       w.pack_no AS waybill_pack_no,
       w.consignee AS waybill_consignee,
       w.version AS waybill_version,
       w.received_at AS waybill_received_at
  FROM customs.declarations d
       LEFT JOIN customs.orders o ON o.ebp_code = d.ebp_code AND o.order_no = d.order_no
       LEFT JOIN customs.waybills w
              ON w.logistics_code = d.logistics_code AND w.logistics_no = d.logistics_no;
COMMENT ON VIEW customs.parcel_documents IS
    'Each parcel''s order (CEB303) and waybill (CEB505) as stored, beside the declaration''s figures.';

-- The search officers need: every argument optional, those given must all match; at least
-- one is required. enterprise matches any of the parcel's enterprise codes (ebpCode,
-- ebcCode, agentCode, ownerCode, logisticsCode); gcode matches an item's HS code by prefix
-- (a chapter "84", a heading "8471" or the 10 digits); day is the day the declaration was
-- first received, China Standard Time. Use, e.g.:
--   SELECT * FROM customs.find_parcels(p_gcode => '8471', p_day => '2024-05-12');
-- logisticsNo, invtNo, orderNo and copNo are indexed; the others scan.
DROP FUNCTION IF EXISTS customs.find_parcels(text, text, text, text, text, text, date);
CREATE FUNCTION customs.find_parcels(
    p_logistics_no text DEFAULT NULL, p_invt_no text DEFAULT NULL, p_order_no text DEFAULT NULL,
    p_cop_no text DEFAULT NULL, p_enterprise text DEFAULT NULL, p_gcode text DEFAULT NULL,
    p_day date DEFAULT NULL)
RETURNS TABLE (logistics_no text, invt_no text, order_no text, cop_no text, ebp_code text,
               ebc_code text, agent_code text, status_code integer, status text,
               declared_at timestamptz, arrived_at timestamptz, departed_at timestamptz,
               total_value numeric, currency text, item_count integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
BEGIN
    IF num_nonnulls(p_logistics_no, p_invt_no, p_order_no, p_cop_no, p_enterprise, p_gcode,
                    p_day) = 0 THEN
        RAISE EXCEPTION 'find_parcels: give at least one of p_logistics_no, p_invt_no, '
                        'p_order_no, p_cop_no, p_enterprise, p_gcode, p_day'
            USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    SELECT d.logistics_no, d.invt_no, d.order_no, d.cop_no, d.ebp_code, d.ebc_code,
           d.agent_code, d.status_code, d.status, d.declared_at, d.arrived_at, d.departed_at,
           d.total_price, d.currency, d.item_count
      FROM customs.declarations d
     WHERE (p_logistics_no IS NULL OR d.logistics_no = p_logistics_no)
       AND (p_invt_no IS NULL OR d.invt_no = p_invt_no)
       AND (p_order_no IS NULL OR d.order_no = p_order_no)
       AND (p_cop_no IS NULL OR d.cop_no = p_cop_no)
       AND (p_enterprise IS NULL
            OR p_enterprise IN (d.ebp_code, d.ebc_code, d.agent_code, d.owner_code,
                                d.logistics_code))
       AND (p_gcode IS NULL
            OR EXISTS (SELECT 1 FROM customs.declaration_items i
                        WHERE i.logistics_no = d.logistics_no
                          AND left(i.gcode, length(p_gcode)) = p_gcode))
       AND (p_day IS NULL
            OR (d.declared_at AT TIME ZONE 'Asia/Shanghai')::date = p_day)
     ORDER BY d.declared_at, d.logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.find_parcels(text, text, text, text, text, text, date) IS
    'Officer: parcels by logisticsNo, invtNo, orderNo, copNo, enterprise code, HS code prefix, day.';
