-- 70_officers.sql - the functions customs officers record their decisions with, in psql.
-- Role customs_officer gets EXECUTE on these and SELECT on the views of
-- 80_officer_views.sql, nothing else (90_grants.sql).
--
-- The functions are SECURITY DEFINER (they run as the schema owner, customs_owner, so the
-- officer needs no table privilege) with a fixed search_path. The officer is recorded as
-- 'officer:' || session_user: inside a SECURITY DEFINER function current_user is the
-- function's owner, session_user is the login the officer connected with (alice, also
-- after SET ROLE customs_officer). Each call is one status change through
-- customs.change_status() (30_state_machine.sql): the transition is checked there, the
-- history row, the CEB604 receipt and the warehouse event are written in the same
-- transaction, and NOTIFY customs_outbox wakes customsd's relay at commit, so the warehouse
-- hears within a second. The officer and the note are customs' own record: they go into
-- status_history (and declarations.status_actor/status_note), never into the receipt or
-- the event (the declarer reads the new status, returnInfo names no officer and no note).
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
--   order_inspection(logisticsNo, note)  布控: 399, or 800 not departed -> 500, note
--       required ('inspect' event: the warehouse holds the parcel for inspection)
--   reopen_detained(logisticsNo, outcome, note)  a detained parcel (501-503, 599) whose case
--       is settled: released -> 800 ('release' event; it must have arrived), returned -> 700
--       ('return' event); note required
--   hold_parcel, unhold_parcel, resolve_alert: 75_officer_holds.sql. While a parcel is held
--   (25_holds.sql), what would release it is refused (CS010): release_review and
--   record_inspection 'passed' of an arrived parcel, reopen_detained 'released'.
--
-- Errors: SQLSTATE CS010 with the reason when the parcel is not in a state for it (e.g.
-- 'inspection result refused: the parcel is not under inspection (status 399 accepted)'),
-- P0002 for an unknown logisticsNo, 22023 for a bad argument.

-- The officer's name as recorded: the login, not the SECURITY DEFINER owner.
CREATE OR REPLACE FUNCTION customs.officer_actor() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT 'officer:' || session_user $$;

-- A decision that would release the parcel at once (it has arrived) is refused while it is
-- held (25_holds.sql): CS010, the decision named (p_what), the hold lifted first.
CREATE OR REPLACE FUNCTION customs.refuse_if_held(p_logistics_no text, p_what text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF customs.parcel_held(p_logistics_no) THEN
        RAISE EXCEPTION 'parcel %: % refused: it would release the parcel, which is held by '
                        'customs; lift the hold first (customs.unhold_parcel, or '
                        'customs.resolve_alert for an alert''s hold; see customs.alerts)',
            p_logistics_no, p_what USING ERRCODE = 'CS010';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION customs.record_inspection(
    p_logistics_no text, p_result text, p_note text, p_detention_code integer DEFAULT 599)
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
    IF p_result = 'passed' AND coalesce(v_arrived, false) THEN
        PERFORM customs.refuse_if_held(p_logistics_no, 'inspection result passed');
    END IF;
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

CREATE OR REPLACE FUNCTION customs.release_review(p_logistics_no text, p_note text)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
#variable_conflict use_column
BEGIN
    IF EXISTS (SELECT 1 FROM customs.declarations d
                WHERE d.logistics_no = p_logistics_no AND d.arrived_at IS NOT NULL) THEN
        PERFORM customs.refuse_if_held(p_logistics_no, 'manual review decision');
    END IF;
    PERFORM customs.change_status(
        p_logistics_no, 399, 'review', customs.officer_actor(),
        concat_ws('; ', 'manual review passed', nullif(btrim(coalesce(p_note, '')), '')));
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.release_review(text, text) IS
    'Officer: a parcel in manual review (300) passes: 399, released (800) at once if arrived.';

CREATE OR REPLACE FUNCTION customs.return_review(p_logistics_no text, p_note text)
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

-- A note an officer must give: trimmed, or the error naming what it is for.
CREATE OR REPLACE FUNCTION customs.officer_note(p_what text, p_note text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_note text := nullif(btrim(coalesce(p_note, '')), '');
BEGIN
    IF v_note IS NULL THEN
        RAISE EXCEPTION '%: the note is required (why, for the record)', p_what
            USING ERRCODE = '22023';
    END IF;
    RETURN v_note;
END;
$$;

CREATE OR REPLACE FUNCTION customs.order_inspection(p_logistics_no text, p_note text)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_note text := customs.officer_note('order_inspection', p_note);
BEGIN
    PERFORM customs.change_status(p_logistics_no, 500, 'control', customs.officer_actor(),
                                  'inspection ordered (布控); ' || v_note);
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.order_inspection(text, text) IS
    'Officer: order the inspection (布控) of an accepted (399) or released, not departed (800) parcel: 500.';

CREATE OR REPLACE FUNCTION customs.reopen_detained(p_logistics_no text, p_outcome text,
                                                   p_note text)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_note text := customs.officer_note('reopen_detained', p_note);
BEGIN
    IF p_outcome IS NULL OR p_outcome NOT IN ('released', 'returned') THEN
        RAISE EXCEPTION 'reopen_detained: outcome must be released or returned, not %',
            coalesce(p_outcome, 'NULL') USING ERRCODE = '22023';
    END IF;
    PERFORM customs.change_status(p_logistics_no,
                                  CASE p_outcome WHEN 'released' THEN 800 ELSE 700 END,
                                  'reopen', customs.officer_actor(),
                                  'detention case settled: ' || p_outcome || '; ' || v_note);
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.reopen_detained(text, text, text) IS
    'Officer: a detained parcel (501-503, 599) whose case is settled: released (800) or returned (700).';
