-- 016_holds_alerts.sql - holds and alerts (functions: sql/repeatable/75_holds_alerts.sql).
--
-- A hold stops a parcel's release and departure without changing its status: an officer
-- holds it (hold_parcel), or an alert does. A parcel is held while one of its holds is not
-- lifted. Holds are keyed by logisticsNo alone, not by a declaration: an alert on a scan of
-- a parcel not declared yet holds it before its declaration comes.
--
-- An alert is something a warehouse scan showed that customs must look at: a departure of
-- a parcel customs has not released, a second arrival at another supervised site, a scan
-- of a parcel still not declared after a deadline. Each names who must act; an officer
-- resolves it (resolve_alert), which lifts the hold the alert placed.
--
-- No status changes and no new transitions: a held parcel keeps its status; lifting the
-- last hold of an accepted (399) parcel that has arrived releases it through the existing
-- 399 -> 800 'release' transition.

CREATE TABLE customs.alert_log (
    id              bigserial   PRIMARY KEY,
    kind            text        NOT NULL
        CHECK (kind IN ('departure_not_released', 'second_arrival', 'unknown_parcel')),
    logistics_no    text        NOT NULL,
    loct_no         text,                  -- the supervised site of the scan
    occurred_at     timestamptz NOT NULL,  -- when it happened: the scan's scannedAt
    raised_at       timestamptz NOT NULL DEFAULT now(),
    details         text        NOT NULL,  -- what happened, in words
    must_act        text        NOT NULL
        CHECK (must_act IN ('supervised warehouse', 'customs officer')),
    scan_id         bigint      REFERENCES customs.warehouse_scans (id),
    status_code     integer,               -- the parcel's status then (NULL: not declared)
    resolved_at     timestamptz,
    resolved_by     text,                  -- 'officer:<login>'
    resolution_note text,
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL)
           AND (resolved_at IS NULL) = (resolution_note IS NULL))
);
COMMENT ON TABLE customs.alert_log IS
    'Alerts from warehouse scans for officers (view customs.alerts); one per scan and kind.';
CREATE UNIQUE INDEX alert_log_scan_kind_idx ON customs.alert_log (scan_id, kind);
CREATE INDEX alert_log_parcel_idx ON customs.alert_log (logistics_no, id);
CREATE INDEX alert_log_open_idx ON customs.alert_log (id) WHERE resolved_at IS NULL;

CREATE TABLE customs.parcel_holds (
    id           bigserial   PRIMARY KEY,
    logistics_no text        NOT NULL,
    held_at      timestamptz NOT NULL DEFAULT now(),
    held_by      text        NOT NULL,     -- 'officer:<login>', or the alert's scan actor
    reason       text        NOT NULL,     -- the officer's note, or the alert's details
    alert_id     bigint      UNIQUE REFERENCES customs.alert_log (id),
    lifted_at    timestamptz,
    lifted_by    text,                     -- 'officer:<login>'
    lift_note    text,
    CHECK ((lifted_at IS NULL) = (lifted_by IS NULL)
           AND (lifted_at IS NULL) = (lift_note IS NULL))
);
COMMENT ON TABLE customs.parcel_holds IS
    'Holds on parcels (by an officer or an alert); held while one is not lifted.';
CREATE INDEX parcel_holds_parcel_idx ON customs.parcel_holds (logistics_no, id);
CREATE INDEX parcel_holds_open_idx ON customs.parcel_holds (logistics_no)
    WHERE lifted_at IS NULL;
