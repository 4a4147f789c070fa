-- 005_officers.sql - what customs officers work with in psql: views to read, functions to
-- record their decisions. Role customs_officer gets SELECT on these views and EXECUTE on
-- these functions, nothing else (006_roles.sql).
--
-- The functions are SECURITY DEFINER (they run as the schema owner, customs_owner, so the
-- officer needs no table privilege) with a fixed search_path. The officer is recorded as
-- 'officer:' || session_user: inside a SECURITY DEFINER function current_user is the
-- function's owner, session_user is the login the officer connected with (alice, also
-- after SET ROLE customs_officer). Each call is one status change through
-- customs.change_status() (003): the transition is checked there, the history row, the
-- CEB604 receipt and the warehouse event are written in the same transaction, and NOTIFY
-- customs_outbox wakes customsd's relay at commit, so the warehouse hears within a second.
--
--   record_inspection(logisticsNo, result, note [, detention code])  500 -> ...
--       passed    -> 800 released ('release' event) when the parcel has arrived; when it has
--                    not, 399 (accepted, waiting for arrival) and its arrival scan
--                    releases it. (Inspection normally happens at the warehouse, after
--                    arrival; a result recorded before arrival is not refused.)
--       detained  -> 501 | 502 | 503 | 599 (default 599), note required ('detain' event)
--       returned  -> 700, note required ('return' event)
--   release_review(logisticsNo, note)  300 -> 399, and 800 at once when arrived
--   return_review(logisticsNo, note)   300 -> 700, note required ('return' event)
--
-- Errors: SQLSTATE CS010 with the reason when the parcel is not in a state for it (e.g.
-- 'inspection result refused: the parcel is not under inspection (status 399 accepted)'),
-- P0002 for an unknown logisticsNo, 22023 for a bad argument.

-- Current state per parcel: the columns of 001, then the workflow's.
CREATE OR REPLACE VIEW customs.parcel_status AS
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
               w.outcome, 'scan:' || coalesce(nullif(w.loct_no, ''), 'warehouse'),
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

-- The officer's name as recorded: the login, not the SECURITY DEFINER owner.
CREATE FUNCTION customs.officer_actor() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT 'officer:' || session_user $$;

CREATE FUNCTION customs.record_inspection(p_logistics_no text, p_result text, p_note text,
                                          p_detention_code integer DEFAULT 599)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
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
COMMENT ON FUNCTION customs.record_inspection(text, text, text, integer) IS
    'Officer: inspection result for a parcel in 500: passed | detained (501-503, 599) | returned.';

CREATE FUNCTION customs.release_review(p_logistics_no text, p_note text)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM customs.change_status(
        p_logistics_no, 399, 'review', customs.officer_actor(),
        concat_ws('; ', 'manual review passed', nullif(btrim(coalesce(p_note, '')), '')));
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.release_review(text, text) IS
    'Officer: a parcel in manual review (300) passes: 399, released (800) at once if arrived.';

CREATE FUNCTION customs.return_review(p_logistics_no text, p_note text)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
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
COMMENT ON FUNCTION customs.return_review(text, text) IS
    'Officer: a parcel in manual review (300) is returned (700); the note says why.';
