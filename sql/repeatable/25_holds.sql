-- 25_holds.sql - holds and alerts, what the state machine and the scans need of them
-- (tables: 016_holds_alerts.sql; the officers' functions: 75_officer_holds.sql).
--
-- A hold stops a parcel's release (-> 800) and its departure (-> 899) without changing its
-- status; the parcel is held while one of its customs.parcel_holds rows is not lifted.
-- customs.change_status() and the declarations_guard trigger refuse those transitions
-- (hold_refusal); customs.record_change() does not release an accepted parcel that arrived;
-- customs.apply_scan() records the arrival of a held parcel without releasing it (outcome
-- 'held') and refuses its departure (-1 receipt, like any departure not released).
--
-- An alert (customs.alert_log, view customs.alerts) is raised by a warehouse scan that shows
-- something customs must look at:
--   departure_not_released  a departure scan refused: the parcel was not released (or is
--                           held)                                    who acts: customs officer
--   second_arrival          an arrival at another supervised site (loctNo) than the one of
--                           the recorded arrival                 who acts: supervised warehouse
--   unknown_parcel          a scan still pending (no declaration) after a deadline: raised
--                           by customs.sweep_alerts()            who acts: supervised warehouse
-- Each writes an 'alert' event to the warehouse (events topic; "event" = the alert's kind)
-- and holds the parcel (a 'hold' event when it was not held yet). A parcel not declared is
-- held as well: the hold waits for its declaration, whose arrival then does not release it.
-- Events carry the one shape of customs.outbox_payload: no officer, no note, no details.

-- Whether the parcel has a hold not lifted.
CREATE OR REPLACE FUNCTION customs.parcel_held(p_logistics_no text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM customs.parcel_holds h
                    WHERE h.logistics_no = p_logistics_no AND h.lifted_at IS NULL)
$$;
COMMENT ON FUNCTION customs.parcel_held(text) IS
    'True while the parcel has a hold (customs.parcel_holds) not lifted.';

-- NULL when the hold state allows the change to p_to, else why not, in words. Only a
-- release (800) and a departure (899) are stopped by a hold. The text may reach the
-- declarer in a -1 receipt (a refused departure scan): it names no officer and no note.
CREATE OR REPLACE FUNCTION customs.hold_refusal(p_logistics_no text, p_to integer,
                                                p_event text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_to IS NULL OR p_to NOT IN (800, 899) OR NOT customs.parcel_held(p_logistics_no) THEN
        RETURN NULL;
    END IF;
    RETURN format('%s refused: the parcel is held by customs; an officer lifts the hold '
                  'first', CASE WHEN p_to = 899 OR p_event = 'departure' THEN 'departure'
                                ELSE 'release' END);
END;
$$;
COMMENT ON FUNCTION customs.hold_refusal(text, integer, text) IS
    'NULL if a hold does not stop the change to p_to (800 release, 899 departure), else why.';

-- An event to the warehouse about a parcel whose status does not change (hold, unhold,
-- alert): the parcel's current status, "event" = p_event, no from_status_code. Returns
-- the outbox rows written (1).
CREATE OR REPLACE FUNCTION customs.hold_event(p_type text, p_logistics_no text, p_event text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_d customs.declarations;
BEGIN
    SELECT * INTO v_d FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
    PERFORM customs.outbox_add(p_type, p_logistics_no, v_d.cop_no, v_d.guid, v_d.status_code,
                               '[]', NULL, p_event, NULL, NULL, NULL);
    PERFORM pg_notify('customs_outbox', '');
    RETURN 1;
END;
$$;

-- A hold on p_logistics_no by p_actor ('officer:<login>' or 'alert:<id>'), p_reason in
-- words (customs' own record), p_alert_id the alert that placed it (NULL: an officer).
-- The warehouse gets a 'hold' event when the parcel was not held and is declared.
-- Returns the outbox rows written.
CREATE OR REPLACE FUNCTION customs.hold_place(p_logistics_no text, p_actor text,
                                              p_reason text, p_alert_id bigint)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_was_held boolean := customs.parcel_held(p_logistics_no);
BEGIN
    INSERT INTO customs.parcel_holds (logistics_no, held_by, reason, alert_id)
    VALUES (p_logistics_no, p_actor, p_reason, p_alert_id);
    IF v_was_held OR NOT EXISTS (SELECT 1 FROM customs.declarations d
                                  WHERE d.logistics_no = p_logistics_no) THEN
        RETURN 0;
    END IF;
    RETURN customs.hold_event('hold', p_logistics_no, 'hold');
END;
$$;

-- An alert (kinds above) about p_logistics_no seen at site p_loct_no at p_occurred_at,
-- from scan p_scan_id, p_details in words: its customs.alert_log row (one per scan and
-- kind: a second call for the same scan does nothing), the 'alert' event, and the hold
-- (but on a closed, 899, parcel: nothing changes after that). The caller holds the
-- declaration's lock when there is one. Returns the outbox rows written.
CREATE OR REPLACE FUNCTION customs.raise_alert(p_kind text, p_logistics_no text,
                                               p_loct_no text, p_occurred_at timestamptz,
                                               p_details text, p_scan_id bigint)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_code integer;
    v_id   bigint;
    v_rows integer;
BEGIN
    SELECT d.status_code INTO v_code FROM customs.declarations d
     WHERE d.logistics_no = p_logistics_no;
    INSERT INTO customs.alert_log (kind, logistics_no, loct_no, occurred_at, details, must_act,
                                   scan_id, status_code)
    VALUES (p_kind, p_logistics_no, nullif(p_loct_no, ''), p_occurred_at, p_details,
            CASE p_kind WHEN 'departure_not_released' THEN 'customs officer'
                        ELSE 'supervised warehouse' END,
            p_scan_id, v_code)
    ON CONFLICT (scan_id, kind) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RETURN 0;
    END IF;
    v_rows := customs.hold_event('alert', p_logistics_no, p_kind);
    IF v_code IS DISTINCT FROM 899 THEN
        v_rows := v_rows + customs.hold_place(p_logistics_no, 'alert:' || v_id,
                                              format('alert %s (%s): %s', v_id, p_kind,
                                                     p_details),
                                              v_id);
    END IF;
    RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION customs.raise_alert(text, text, text, timestamptz, text, bigint) IS
    'An alert for officers (customs.alerts), its ''alert'' event, and the parcel held.';

-- The deadline sweep: an 'unknown_parcel' alert for each parcel with a warehouse scan still
-- pending (no declaration) received more than p_unknown_after ago, once per parcel.
-- customsd runs it every 10 s (alerts.unknown_parcel_hours, customsd.yaml(5)); with that
-- set to 0, run it from cron as a login in role customsd, e.g.
--   psql -c "SELECT customs.sweep_alerts('24 hours')"
-- It is cheap (the pending scans are indexed). Returns the number of alerts raised.
CREATE OR REPLACE FUNCTION customs.sweep_alerts(p_unknown_after interval DEFAULT '24 hours')
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_w customs.warehouse_scans;
    v_n integer := 0;
BEGIN
    IF p_unknown_after IS NULL OR p_unknown_after < interval '0' THEN
        RAISE EXCEPTION 'sweep_alerts: the deadline must be an interval of 0 or more, not %',
            coalesce(p_unknown_after::text, 'NULL') USING ERRCODE = '22023';
    END IF;
    -- One sweep at a time (instances of the consumer group, cron): another one running
    -- raises the same alerts; this one has nothing to add.
    IF NOT pg_try_advisory_xact_lock(603025, 1) THEN
        RETURN 0;
    END IF;
    FOR v_w IN
        SELECT DISTINCT ON (w.logistics_no) w.*
          FROM customs.warehouse_scans w
         WHERE w.outcome = 'pending' AND w.received_at < now() - p_unknown_after
           AND NOT EXISTS (SELECT 1 FROM customs.declarations d
                            WHERE d.logistics_no = w.logistics_no)
           AND NOT EXISTS (SELECT 1 FROM customs.alert_log a
                            WHERE a.logistics_no = w.logistics_no AND a.kind = 'unknown_parcel')
         ORDER BY w.logistics_no, w.id
    LOOP
        PERFORM customs.raise_alert(
            'unknown_parcel', v_w.logistics_no, v_w.loct_no, v_w.scanned_at,
            format('%s scanned %s at %s, received %s: no declaration after %s',
                   v_w.scan,
                   to_char(v_w.scanned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   coalesce(v_w.loct_no, 'the supervised warehouse'),
                   to_char(v_w.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   p_unknown_after),
            v_w.id);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION customs.sweep_alerts(interval) IS
    'Raise an unknown_parcel alert for scans pending (no declaration) longer than the interval.';
