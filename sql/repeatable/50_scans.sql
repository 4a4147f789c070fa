-- 50_scans.sql - warehouse scans (mishan.warehouse.scans, docs/DESIGN.md): apply_batch keeps
-- every scan record in customs.warehouse_scans (outcome 'pending') and then applies it here,
-- through the state machine (30_state_machine.sql). What becomes of a scan (its outcome):
--   arrival (运抵) of an accepted parcel (399)       -> released (800), a 'release' event
--   arrival of a parcel held (300 review, 500 inspection) -> held: the arrival is recorded,
--            the parcel waits for the officer; the officer's release then finds it arrived
--   arrival of an accepted parcel held by customs (25_holds.sql) -> held: recorded, not
--            released; lifting the hold releases it
--   arrival of any other parcel (1 saved, 100, 5xx, 700) -> recorded (arrival noted, no
--            change; a saved parcel declared and accepted later is released at once)
--   departure (离境) of a released parcel (800) not held -> closed (899)
--   a second arrival at the same site, a second departure -> duplicate (no-op)
--   a second arrival at another site (both scans name their loctNo, and they differ)
--                                                     -> refused (refused_transitions, -1
--            receipt), the first arrival stays; a 'second_arrival' alert, the parcel held
--   a departure of a parcel not released (or held)    -> refused (refused_transitions, -1
--            receipt); a 'departure_not_released' alert, the parcel held
--   any scan after 899                                -> refused (refused_transitions, -1 receipt)
--   a scan for a logisticsNo not declared yet        -> pending, applied (in scan order) by the
--            batch that brings the declaration: the two topics are not ordered against each
--            other. Every batch also retries the pending scans whose declaration now exists
--            (one committed by another instance meanwhile).

-- The actor of a scan: scan:<loctNo of the supervised site> (warehouse when none was given).
CREATE OR REPLACE FUNCTION customs.scan_actor(p_loct_no text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'scan:' || coalesce(nullif(p_loct_no, ''), 'warehouse')
$$;

-- scannedAt as the C decoder normalises it (ISO 8601 with an offset), or NULL.
CREATE OR REPLACE FUNCTION customs.scan_time(p_text text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_text !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$' THEN
        RETURN NULL;
    END IF;
    RETURN p_text::timestamptz;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    RETURN NULL;
END;
$$;

-- One scan (a customs.warehouse_scans row, pending) against its declaration, which the
-- caller has locked. Sets the scan's outcome; returns the outbox rows written.
CREATE OR REPLACE FUNCTION customs.apply_scan(p_scan customs.warehouse_scans) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_d       customs.declarations;
    v_actor   text := customs.scan_actor(p_scan.loct_no);
    v_when    text := format('%s %s at %s', p_scan.scan,
                             to_char(p_scan.scanned_at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                             coalesce(p_scan.loct_no, 'the supervised warehouse'));
    v_to      integer;
    v_outcome text;
    v_note    text;
    v_refusal text;
    v_held    boolean;
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
        v_held := customs.parcel_held(v_d.logistics_no);
        v_to := CASE WHEN v_d.status_code = 399 AND NOT v_held THEN 800
                     ELSE v_d.status_code END;
        IF v_d.status_code <> 899 AND v_d.arrived_at IS NOT NULL
           AND nullif(p_scan.loct_no, '') <> nullif(v_d.arrival_loct_no, '') THEN
            v_outcome := 'refused';
            -- (the note may reach the declarer in the -1 receipt: no site named)
            v_note := format('arrival refused: the parcel arrived already (%s), at another '
                             'site; a second arrival is an alert',
                             to_char(v_d.arrived_at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
            v_rows := customs.record_refusal(v_d.logistics_no, v_d.status_code, p_scan.scan,
                                             v_d.status_code, v_note, v_actor,
                                             p_scan.source_topic, p_scan.source_partition,
                                             p_scan.source_offset, v_d.cop_no, v_d.guid)
                      + customs.raise_alert('second_arrival', v_d.logistics_no,
                                            p_scan.loct_no, p_scan.scanned_at,
                                            format('%s; the parcel arrived at %s on %s',
                                                   v_when, v_d.arrival_loct_no,
                                                   to_char(v_d.arrived_at AT TIME ZONE 'UTC',
                                                           'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
                                            p_scan.id);
        ELSIF v_d.status_code <> 899 AND v_d.arrived_at IS NOT NULL THEN
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
            v_refusal := coalesce(
                customs.transition_refusal(v_d.status_code, v_to, p_scan.scan, true,
                                           v_d.cancelled_at IS NOT NULL),
                customs.hold_refusal(v_d.logistics_no, v_to, p_scan.scan));
        END IF;
        IF v_refusal IS NOT NULL THEN
            v_outcome := 'refused';
            v_note := v_refusal;
            v_rows := customs.record_refusal(v_d.logistics_no, v_d.status_code, p_scan.scan,
                                             v_to, v_refusal, v_actor, p_scan.source_topic,
                                             p_scan.source_partition, p_scan.source_offset,
                                             v_d.cop_no, v_d.guid);
            IF p_scan.scan = 'departure' THEN
                v_rows := v_rows + customs.raise_alert(
                    'departure_not_released', v_d.logistics_no, p_scan.loct_no,
                    p_scan.scanned_at,
                    format('%s, but customs has not released the parcel: %s', v_when,
                           v_refusal),
                    p_scan.id);
            END IF;
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
            ELSIF v_d.status_code = 399 THEN
                v_outcome := 'held';
                v_note := format('%s: held by customs (a hold is on the parcel); released '
                                 'when it is lifted', v_when);
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
