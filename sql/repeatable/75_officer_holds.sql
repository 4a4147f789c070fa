-- 75_officer_holds.sql - the officers' holds and alerts, in psql (what a hold stops and where
-- alerts come from: 25_holds.sql; the views customs.alerts, parcel_status.held and the
-- parcel_history rows of kinds 'hold' and 'alert': 80_officer_views.sql). SECURITY DEFINER
-- with a fixed search_path like 70_officers.sql; the officer recorded as
-- 'officer:' || session_user; the note required (customs.officer_note) and kept in
-- customs.parcel_holds / alert_log, never in an event or a receipt.
--
--   hold_parcel(logisticsNo, note)    a declared parcel not closed (899), not held yet: held
--       ('hold' event to the warehouse). It is not released (an arrival is recorded, outcome
--       'held') and does not depart (a departure scan is refused, with an alert).
--   unhold_parcel(logisticsNo, note)  lifts every hold of the parcel (the officer's, the
--       alerts'; the alerts stay open until resolved): 'unhold' event; an accepted (399)
--       parcel that arrived meanwhile is released at once (800, 'release' event).
--   resolve_alert(alert id, note)     the alert resolved, and its hold lifted: when the
--       parcel holds no other, as unhold_parcel. Keep it held: hold_parcel afterwards.
--
-- Errors: CS010 with the reason (not held, held already, closed, resolved already), P0002
-- for an unknown parcel or alert, 22023 for a missing note.

-- Lifts the open holds of p_logistics_no (those of alert p_alert_id only, or all when it is
-- NULL) by p_actor with p_note. When none is left: the 'unhold' event and, for an accepted
-- parcel that arrived, its release. The caller has locked the declaration. Returns the
-- number of holds lifted.
CREATE OR REPLACE FUNCTION customs.hold_lift(p_logistics_no text, p_alert_id bigint,
                                             p_actor text, p_note text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_n integer;
    v_d customs.declarations;
BEGIN
    UPDATE customs.parcel_holds h
       SET lifted_at = now(), lifted_by = p_actor, lift_note = p_note
     WHERE h.logistics_no = p_logistics_no AND h.lifted_at IS NULL
       AND (p_alert_id IS NULL OR h.alert_id = p_alert_id);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n = 0 OR customs.parcel_held(p_logistics_no) THEN
        RETURN v_n;
    END IF;
    SELECT * INTO v_d FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
    IF NOT FOUND THEN
        RETURN v_n;
    END IF;
    PERFORM customs.hold_event('unhold', p_logistics_no, 'unhold');
    IF v_d.status_code = 399 AND v_d.arrived_at IS NOT NULL THEN
        PERFORM customs.change_status(
            p_logistics_no, 800, 'release', p_actor,
            format('hold lifted; accepted, arrived %s at %s: released',
                   to_char(v_d.arrived_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   coalesce(v_d.arrival_loct_no, 'the supervised warehouse')));
    END IF;
    RETURN v_n;
END;
$$;

CREATE OR REPLACE FUNCTION customs.hold_parcel(p_logistics_no text, p_note text)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean,
               held boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_note text := customs.officer_note('hold_parcel', p_note);
    v_d    customs.declarations;
    v_h    customs.parcel_holds;
BEGIN
    SELECT * INTO v_d FROM customs.declarations d
     WHERE d.logistics_no = p_logistics_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'parcel % is not declared', p_logistics_no USING ERRCODE = 'P0002';
    END IF;
    IF v_d.status_code = 899 THEN
        RAISE EXCEPTION 'parcel %: hold refused: the parcel is closed (899 结关); nothing '
                        'changes after that', p_logistics_no USING ERRCODE = 'CS010';
    END IF;
    SELECT * INTO v_h FROM customs.parcel_holds h
     WHERE h.logistics_no = p_logistics_no AND h.lifted_at IS NULL ORDER BY h.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'parcel %: hold refused: the parcel is held already (hold % by %, %)',
            p_logistics_no, v_h.id, v_h.held_by,
            to_char(v_h.held_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            USING ERRCODE = 'CS010';
    END IF;
    PERFORM customs.hold_place(p_logistics_no, customs.officer_actor(), v_note, NULL);
    RETURN QUERY SELECT d.logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL,
                        customs.parcel_held(d.logistics_no)
                   FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.hold_parcel(text, text) IS
    'Officer: hold a parcel (not released, does not depart) until unhold_parcel; note required.';

CREATE OR REPLACE FUNCTION customs.unhold_parcel(p_logistics_no text, p_note text)
RETURNS TABLE (logistics_no text, status_code integer, status text, arrived boolean,
               held boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_note text := customs.officer_note('unhold_parcel', p_note);
BEGIN
    PERFORM 1 FROM customs.declarations d WHERE d.logistics_no = p_logistics_no FOR UPDATE;
    IF NOT FOUND AND NOT customs.parcel_held(p_logistics_no) THEN
        RAISE EXCEPTION 'parcel % is not declared', p_logistics_no USING ERRCODE = 'P0002';
    END IF;
    IF customs.hold_lift(p_logistics_no, NULL, customs.officer_actor(), v_note) = 0 THEN
        RAISE EXCEPTION 'parcel %: unhold refused: the parcel is not held', p_logistics_no
            USING ERRCODE = 'CS010';
    END IF;
    RETURN QUERY SELECT p_logistics_no, d.status_code, d.status, d.arrived_at IS NOT NULL,
                        customs.parcel_held(p_logistics_no)
                   FROM (SELECT 1) one
                        LEFT JOIN customs.declarations d ON d.logistics_no = p_logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.unhold_parcel(text, text) IS
    'Officer: lift every hold of a parcel; an accepted parcel that arrived is released.';

CREATE OR REPLACE FUNCTION customs.resolve_alert(p_alert_id bigint, p_note text)
RETURNS TABLE (alert_id bigint, kind text, logistics_no text, status_code integer,
               held boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, customs, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_note text := customs.officer_note('resolve_alert', p_note);
    v_a    customs.alert_log;
BEGIN
    SELECT * INTO v_a FROM customs.alert_log a WHERE a.id = p_alert_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alert % does not exist', coalesce(p_alert_id::text, 'NULL')
            USING ERRCODE = 'P0002';
    END IF;
    -- The parcel first, then the alert: the order of the scans (apply_scan).
    PERFORM 1 FROM customs.declarations d WHERE d.logistics_no = v_a.logistics_no FOR UPDATE;
    SELECT * INTO v_a FROM customs.alert_log a WHERE a.id = p_alert_id FOR UPDATE;
    IF v_a.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'alert %: resolve refused: resolved already (%, by %)', p_alert_id,
            to_char(v_a.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            v_a.resolved_by USING ERRCODE = 'CS010';
    END IF;
    UPDATE customs.alert_log a
       SET resolved_at = now(), resolved_by = customs.officer_actor(), resolution_note = v_note
     WHERE a.id = p_alert_id;
    PERFORM customs.hold_lift(v_a.logistics_no, p_alert_id, customs.officer_actor(),
                              format('alert %s resolved: %s', p_alert_id, v_note));
    RETURN QUERY SELECT v_a.id, v_a.kind, v_a.logistics_no, d.status_code,
                        customs.parcel_held(v_a.logistics_no)
                   FROM (SELECT 1) one
                        LEFT JOIN customs.declarations d ON d.logistics_no = v_a.logistics_no;
END;
$$;
COMMENT ON FUNCTION customs.resolve_alert(bigint, text) IS
    'Officer: resolve an alert (customs.alerts) and lift its hold; note required.';
