-- 80_officer_views.sql - what customs officers read in psql (role customs_officer: SELECT on
-- these views, 90_grants.sql). Dropped and created again on every run, so that a change of
-- columns needs nothing more than an edit here; 90_grants.sql then grants them again.

DROP VIEW IF EXISTS customs.parcel_status, customs.inspection_queue, customs.parcel_history,
                    customs.daily_summary;

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
       d.cancelled_at
  FROM customs.declarations d;
COMMENT ON VIEW customs.parcel_status IS
    'Current clearance status per parcel (logisticsNo), with arrival/departure and who set it.';

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
-- transitions ('refused'), warehouse scans ('scan', status = the scan's outcome).
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
          FROM customs.warehouse_scans w) x
 ORDER BY x.logistics_no, x.at, x.kind_order, x.id;
COMMENT ON VIEW customs.parcel_history IS
    'Every status change, refused transition and warehouse scan of a parcel, in order.';

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

