-- 003_state_machine.sql - the clearance status state machine, in one place.
--
-- Every status change of a parcel after its first decision goes through
-- customs.change_status() (or, for an amendment, through apply_batch's amendment step, which
-- changes the content and the status in one UPDATE). All of them are checked by ONE
-- function, customs.transition_refusal(), against the table customs.status_transitions, and
-- the trigger customs.declarations_guard enforces it on every UPDATE of customs.declarations:
-- no caller can move a status (or replace a declaration's content) past it. Each change is
-- appended to customs.status_history with who (actor) and why (event, note, reasons), with a
-- CEB604-shaped receipt for the declarer and, where the warehouse must act, an event, both
-- in the outbox in the same transaction (customs.record_change).
--
-- Who, in status_history.actor:
--   rules:<version>     the rules engine (first decision, amendment re-evaluation)
--   officer:<login>     a customs officer (session_user of the officer functions, 005)
--   scan:<loctNo>       a warehouse scan (arrival / departure) from that supervised site
--   declarer:<agent>    the declarer's own cancellation (appType 3)
--
-- Refused transitions raise SQLSTATE CS010 with the reason in words. Where the daemon caused
-- them (a scan or an amendment from Kafka) apply_batch does not let them fail the batch: it
-- asks customs.transition_refusal() first and records the refusal instead
-- (customs.refused_transitions + a -1 receipt, customs.record_refusal).
--
-- Status codes: shared DESIGN.md "Status lifecycle" (CEB604 returnStatus, DOMAIN.md 2).

-- What a parcel physically did and how its declaration stands, next to its status.
ALTER TABLE customs.declarations
    ADD COLUMN arrived_at        timestamptz, -- scannedAt of the arrival scan (运抵)
    ADD COLUMN arrival_loct_no   text,        -- 监管场所代码 of the site that scanned it
    ADD COLUMN departed_at       timestamptz, -- scannedAt of the departure scan (离境)
    ADD COLUMN departure_loct_no text,
    ADD COLUMN cancelled_at      timestamptz, -- the declarer cancelled it (appType 3)
    ADD COLUMN version           integer     NOT NULL DEFAULT 1, -- 1 + amendments applied
    ADD COLUMN status_since      timestamptz NOT NULL DEFAULT now(), -- last status change
    ADD COLUMN status_actor      text,        -- who made the last status change
    ADD COLUMN status_note       text;        -- why, in words (officer's note, scan, ...)
COMMENT ON COLUMN customs.declarations.arrived_at IS
    'Arrival scan time (运抵); a parcel is released (800) only once this is set.';
COMMENT ON COLUMN customs.declarations.status_since IS
    'When the current status was reached (inspection_queue orders by it).';
-- Backfill for rows that existed before this migration: their status was set by the rules.
UPDATE customs.declarations
   SET status_since = declared_at, status_actor = 'rules:' || coalesce(rules_version, 'unknown');

ALTER TABLE customs.status_history
    ADD COLUMN from_code integer,                           -- NULL for the first decision
    ADD COLUMN event     text NOT NULL DEFAULT 'declared',  -- what caused it, see below
    ADD COLUMN note      text;                              -- why, in words
COMMENT ON COLUMN customs.status_history.event IS
    'declared | amendment | cancellation | arrival | departure | release | inspection | review';

-- The allowed transitions: (from, to) for which causes (events). Anything else is refused.
-- 'declared' (no row yet -> 100/300/399/500) is apply_batch's insert of a new declaration.
CREATE TABLE customs.status_transitions (
    from_code        integer NOT NULL,
    to_code          integer NOT NULL,
    events           text[]  NOT NULL,
    requires_arrival boolean NOT NULL DEFAULT false,
    description      text    NOT NULL,
    PRIMARY KEY (from_code, to_code)
);
COMMENT ON TABLE customs.status_transitions IS
    'Allowed status transitions and their causes; customs.transition_refusal() reads it.';

INSERT INTO customs.status_transitions (from_code, to_code, events, requires_arrival, description)
SELECT f, t,
       CASE WHEN t = 100 THEN ARRAY['amendment', 'cancellation'] ELSE ARRAY['amendment'] END
       || CASE WHEN f = 300 AND t = 399 THEN ARRAY['review'] ELSE '{}' END,
       false,
       CASE WHEN t = 100 THEN 'amended and rejected, or cancelled by the declarer'
            WHEN f = 300 AND t = 399 THEN 'manual review passed, or amended and accepted'
            ELSE 'amended (appType 2) and re-evaluated under the current rules' END
  FROM unnest(ARRAY[100, 120, 300, 399]) AS f, unnest(ARRAY[100, 300, 399, 500]) AS t;
INSERT INTO customs.status_transitions (from_code, to_code, events, requires_arrival, description)
VALUES
    (399, 800, '{arrival,release}', true,  'accepted and arrived: released (放行)'),
    (800, 899, '{departure}',       false, 'released and departed: closed (结关)'),
    (500, 399, '{inspection}',      false, 'inspection passed (released at once when arrived)'),
    (500, 501, '{inspection}',      false, 'inspection: detained, handed over (通关)'),
    (500, 502, '{inspection}',      false, 'inspection: detained, handed over (缉私)'),
    (500, 503, '{inspection}',      false, 'inspection: detained, handed over (法规)'),
    (500, 599, '{inspection}',      false, 'inspection: detained (其它扣留)'),
    (500, 700, '{inspection}',      false, 'inspection: returned (退运)'),
    (300, 700, '{review}',          false, 'manual review: returned (退运)');

-- Refused transitions the daemon caused (a scan, an amendment or cancellation from Kafka):
-- kept, with a -1 receipt to the declarer, instead of failing the batch. Append-only.
CREATE TABLE customs.refused_transitions (
    id               bigserial   PRIMARY KEY,
    logistics_no     text        NOT NULL,
    from_code        integer,              -- the status then (NULL: no such declaration)
    event            text        NOT NULL, -- amendment | cancellation | arrival | departure
    to_code          integer,              -- the status it would have led to
    reason           text        NOT NULL,
    actor            text        NOT NULL,
    source_topic     text,
    source_partition integer,
    source_offset    bigint,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.refused_transitions IS
    'Transitions refused by customs.transition_refusal() that came from Kafka records.';
CREATE INDEX refused_transitions_parcel_idx ON customs.refused_transitions (logistics_no, id);
CREATE TRIGGER refused_transitions_append_only
    BEFORE UPDATE OR DELETE ON customs.refused_transitions
    FOR EACH ROW EXECUTE FUNCTION customs.refuse_change();

-- Where officer functions send their outbox rows: the topics customsd is configured with,
-- recorded by apply_batch (the SQL side has no configuration file of its own).
CREATE TABLE customs.outbox_topics (
    kind       text        PRIMARY KEY CHECK (kind IN ('events', 'receipts')),
    topic      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.outbox_topics IS
    'Kafka topics of warehouse events and receipts, as last used by customsd (apply_batch).';

-- The configured topic, or the default name before customsd ever ran.
CREATE FUNCTION customs.outbox_topic(p_kind text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT t.topic FROM customs.outbox_topics t WHERE t.kind = p_kind),
                    CASE p_kind WHEN 'events' THEN 'mishan.warehouse.events'
                                ELSE 'customs.receipts' END)
$$;

-- The warehouse event a status calls for, or NULL: release (800), inspect (500),
-- return (100 rejected or cancelled, 700 returned), detain (501-503, 599).
CREATE FUNCTION customs.event_type_for(p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_code = 800 THEN 'release'
                WHEN p_code = 500 THEN 'inspect'
                WHEN p_code IN (100, 700) THEN 'return'
                WHEN p_code IN (501, 502, 503, 599) THEN 'detain' END
$$;

-- NULL when the transition is allowed, else why not, in words (the one check).
--   p_from, p_to   status codes; p_event  the cause (status_history.event values)
--   p_arrived      an arrival scan is recorded; p_cancelled  cancelled by the declarer
CREATE FUNCTION customs.transition_refusal(p_from integer, p_to integer, p_event text,
                                           p_arrived boolean, p_cancelled boolean)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_what text := CASE p_event
        WHEN 'amendment' THEN 'amendment (appType 2)'
        WHEN 'cancellation' THEN 'cancellation (appType 3)'
        WHEN 'inspection' THEN 'inspection result'
        WHEN 'review' THEN 'manual review decision'
        ELSE coalesce(p_event, 'change') END;
    v_from text := format('%s %s', p_from, customs.status_name(p_from));
    v_t customs.status_transitions;
BEGIN
    IF p_from = 899 THEN
        RETURN format('%s refused: the parcel is closed (899 结关); nothing changes after that',
                      v_what);
    END IF;
    IF coalesce(p_cancelled, false) THEN
        RETURN format('%s refused: the declaration was cancelled by the declarer (appType 3)',
                      v_what);
    END IF;
    SELECT * INTO v_t FROM customs.status_transitions t
     WHERE t.from_code = p_from AND t.to_code = p_to AND p_event = ANY (t.events);
    IF FOUND THEN
        IF v_t.requires_arrival AND NOT coalesce(p_arrived, false) THEN
            RETURN 'release refused: the parcel has not arrived at the supervised warehouse '
                   '(no arrival scan)';
        END IF;
        RETURN NULL;
    END IF;
    RETURN CASE
        WHEN p_event = 'departure' THEN
            format('departure refused: the parcel was not released (status %s)', v_from)
        WHEN p_event IN ('amendment', 'cancellation') AND p_from = 800 THEN
            format('%s refused: the parcel was already released (800 放行)', v_what)
        WHEN p_event IN ('amendment', 'cancellation') AND p_from = 500 THEN
            format('%s refused: the parcel is under inspection (500 查验); an officer '
                   'records the result first', v_what)
        WHEN p_event = 'inspection' AND p_from <> 500 THEN
            format('inspection result refused: the parcel is not under inspection (status %s)',
                   v_from)
        WHEN p_event = 'review' AND p_from <> 300 THEN
            format('manual review decision refused: the parcel is not held for manual review '
                   '(status %s)', v_from)
        WHEN p_to = 800 THEN
            format('release refused: only an accepted (399) parcel is released, this one is '
                   'in status %s', v_from)
        ELSE
            format('%s refused: status %s cannot change to %s %s', v_what, v_from, p_to,
                   customs.status_name(p_to))
    END;
END;
$$;
COMMENT ON FUNCTION customs.transition_refusal(integer, integer, text, boolean, boolean) IS
    'NULL if the status transition is allowed (customs.status_transitions), else the reason.';

-- The guard: every UPDATE of customs.declarations passes here. A status or content change
-- must come with its cause (the transaction-local setting customs.transition, set by
-- change_status and by the amendment step) and be allowed by transition_refusal(); after
-- 899 nothing changes; arrival and departure, once recorded, stay.
CREATE FUNCTION customs.declarations_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_event   text := nullif(current_setting('customs.transition', true), '');
    v_refusal text;
BEGIN
    IF OLD.status_code = 899 THEN
        RAISE EXCEPTION 'parcel % is closed (899 结关); nothing changes after that',
            OLD.logistics_no USING ERRCODE = 'CS010';
    END IF;
    IF (OLD.arrived_at IS NOT NULL AND NEW.arrived_at IS DISTINCT FROM OLD.arrived_at)
       OR (OLD.departed_at IS NOT NULL AND NEW.departed_at IS DISTINCT FROM OLD.departed_at)
       OR (OLD.cancelled_at IS NOT NULL AND NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at)
    THEN
        RAISE EXCEPTION 'parcel %: a recorded arrival, departure or cancellation cannot change',
            OLD.logistics_no USING ERRCODE = 'CS010';
    END IF;
    IF NEW.status_code IS DISTINCT FROM OLD.status_code
       OR NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256 THEN
        IF v_event IS NULL THEN
            RAISE EXCEPTION 'parcel %: status and content change only through '
                            'customs.change_status() or apply_batch', OLD.logistics_no
                USING ERRCODE = 'CS010';
        END IF;
        IF NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256 AND v_event <> 'amendment' THEN
            RAISE EXCEPTION 'parcel %: the content changes only by an amendment (appType 2)',
                OLD.logistics_no USING ERRCODE = 'CS010';
        END IF;
        v_refusal := customs.transition_refusal(OLD.status_code, NEW.status_code, v_event,
                                                NEW.arrived_at IS NOT NULL,
                                                OLD.cancelled_at IS NOT NULL);
        IF v_refusal IS NOT NULL THEN
            RAISE EXCEPTION 'parcel %: %', OLD.logistics_no, v_refusal USING ERRCODE = 'CS010';
        END IF;
        NEW.status := customs.status_name(NEW.status_code);
        IF NEW.status_code IS DISTINCT FROM OLD.status_code THEN
            NEW.status_since := now();
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER declarations_guard
    BEFORE UPDATE ON customs.declarations
    FOR EACH ROW EXECUTE FUNCTION customs.declarations_guard();

-- An event or receipt row for the outbox (the same JSON shape as apply_batch's, plus the
-- cause): receipts carry the CEB604 fields guid, returnStatus, returnTime
-- (yyyyMMddHHmmssfff, UTC like apply_batch's), returnInfo (status and reasons in words).
CREATE FUNCTION customs.outbox_add(p_type text, p_logistics_no text, p_cop_no text,
                                   p_guid text, p_code integer, p_reasons jsonb,
                                   p_rules_version text, p_event text, p_actor text,
                                   p_note text, p_from integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_id      uuid := gen_random_uuid();
    v_reasons jsonb := CASE WHEN jsonb_typeof(p_reasons) = 'array' THEN p_reasons ELSE '[]' END;
BEGIN
    INSERT INTO customs.outbox (event_id, topic, key, type, payload)
    VALUES (v_id,
            customs.outbox_topic(CASE WHEN p_type = 'receipt' THEN 'receipts' ELSE 'events' END),
            p_logistics_no, p_type,
            jsonb_build_object(
                'event_id', v_id,
                'type', p_type,
                'logisticsNo', p_logistics_no,
                'copNo', p_cop_no,
                'status_code', p_code,
                'status', customs.status_name(p_code),
                'reasons', v_reasons,
                'rules_version', p_rules_version,
                'occurred_at', to_char(now() AT TIME ZONE 'UTC',
                                       'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'event', p_event,
                'from_status_code', p_from,
                'actor', p_actor,
                'note', p_note)
            || CASE WHEN p_type = 'receipt' THEN
                   jsonb_build_object(
                       'guid', p_guid,
                       'returnStatus', p_code::text,
                       'returnTime', to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSMS'),
                       'returnInfo', customs.return_info(p_code, nullif(concat_ws('; ',
                           nullif(p_note, ''), customs.reasons_text(v_reasons)), '')))
               ELSE '{}'::jsonb END);
END;
$$;

-- After a status change of p_logistics_no (from p_from; the row holds the new status):
-- the history row, the receipt, the warehouse event if the status calls for one, the
-- relay's wake-up; then, when the parcel is now accepted (399) and has already arrived, its
-- release (399 -> 800) at once. Returns the number of outbox rows written.
CREATE FUNCTION customs.record_change(p_logistics_no text, p_from integer, p_event text,
                                      p_actor text, p_note text, p_reasons jsonb,
                                      p_rules_version text, p_source_topic text,
                                      p_source_partition integer, p_source_offset bigint)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_d       customs.declarations;
    v_reasons jsonb := CASE WHEN jsonb_typeof(p_reasons) = 'array' THEN p_reasons ELSE '[]' END;
    v_type    text;
    v_rows    integer := 1;
BEGIN
    SELECT * INTO STRICT v_d FROM customs.declarations d WHERE d.logistics_no = p_logistics_no;
    INSERT INTO customs.status_history
        (logistics_no, from_code, status_code, status, reasons, rule_ids, rules_version, actor,
         event, note, source_topic, source_partition, source_offset)
    VALUES (p_logistics_no, p_from, v_d.status_code, v_d.status, v_reasons,
            ARRAY(SELECT r.e->>'rule_id' FROM jsonb_array_elements(v_reasons)
                  WITH ORDINALITY AS r(e, n) ORDER BY r.n),
            p_rules_version, p_actor, p_event, p_note, p_source_topic, p_source_partition,
            p_source_offset);
    PERFORM customs.outbox_add('receipt', p_logistics_no, v_d.cop_no, v_d.guid, v_d.status_code,
                               v_reasons, p_rules_version, p_event, p_actor, p_note, p_from);
    v_type := customs.event_type_for(v_d.status_code);
    IF v_type IS NOT NULL THEN
        PERFORM customs.outbox_add(v_type, p_logistics_no, v_d.cop_no, v_d.guid,
                                   v_d.status_code, v_reasons, p_rules_version, p_event,
                                   p_actor, p_note, p_from);
        v_rows := v_rows + 1;
    END IF;
    PERFORM pg_notify('customs_outbox', ''); -- delivered at commit, once per transaction
    IF v_d.status_code = 399 AND v_d.arrived_at IS NOT NULL THEN
        v_rows := v_rows + customs.change_status(
            p_logistics_no, 800, 'release', p_actor,
            format('accepted; arrived %s at %s: released',
                   to_char(v_d.arrived_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   coalesce(v_d.arrival_loct_no, 'the supervised warehouse')),
            NULL, p_rules_version, p_source_topic, p_source_partition, p_source_offset);
    END IF;
    RETURN v_rows;
END;
$$;

-- THE way to change a parcel's status (apply_batch's scans, the officer functions):
-- locks the row, refuses a transition customs.transition_refusal() does not allow
-- (SQLSTATE CS010, the reason as the message; P0002 for an unknown parcel), updates it
-- (the guard trigger checks again), then customs.record_change(). p_reasons replaces the
-- declaration's reasons when not NULL (cancellation); the history row gets p_reasons or [].
-- Returns the number of outbox rows written.
CREATE FUNCTION customs.change_status(p_logistics_no text, p_to integer, p_event text,
                                      p_actor text, p_note text,
                                      p_reasons jsonb DEFAULT NULL,
                                      p_rules_version text DEFAULT NULL,
                                      p_source_topic text DEFAULT NULL,
                                      p_source_partition integer DEFAULT NULL,
                                      p_source_offset bigint DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_d       customs.declarations;
    v_refusal text;
BEGIN
    SELECT * INTO v_d FROM customs.declarations d
     WHERE d.logistics_no = p_logistics_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'parcel % is not declared', p_logistics_no USING ERRCODE = 'P0002';
    END IF;
    v_refusal := customs.transition_refusal(v_d.status_code, p_to, p_event,
                                            v_d.arrived_at IS NOT NULL,
                                            v_d.cancelled_at IS NOT NULL);
    IF v_refusal IS NOT NULL THEN
        RAISE EXCEPTION 'parcel %: %', p_logistics_no, v_refusal USING ERRCODE = 'CS010';
    END IF;
    PERFORM set_config('customs.transition', p_event, true);
    UPDATE customs.declarations d
       SET status_code = p_to, status_actor = p_actor, status_note = p_note,
           reasons = coalesce(p_reasons, d.reasons)
     WHERE d.logistics_no = p_logistics_no;
    PERFORM set_config('customs.transition', '', true);
    RETURN customs.record_change(p_logistics_no, v_d.status_code, p_event, p_actor, p_note,
                                 coalesce(p_reasons, '[]'), p_rules_version, p_source_topic,
                                 p_source_partition, p_source_offset);
END;
$$;
COMMENT ON FUNCTION customs.change_status(text, integer, text, text, text, jsonb, text, text,
                                          integer, bigint) IS
    'Change a parcel''s status through the state machine, with history, receipt and event.';

-- A refused transition the daemon caused: kept, and a -1 receipt to the declarer (when the
-- declaration, or the refused record, names a copNo/guid they are in it). Returns 1 (the
-- outbox rows written).
CREATE FUNCTION customs.record_refusal(p_logistics_no text, p_from integer, p_event text,
                                       p_to integer, p_reason text, p_actor text,
                                       p_source_topic text, p_source_partition integer,
                                       p_source_offset bigint, p_cop_no text, p_guid text)
RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customs.refused_transitions
        (logistics_no, from_code, event, to_code, reason, actor, source_topic,
         source_partition, source_offset)
    VALUES (p_logistics_no, p_from, p_event, p_to, p_reason, p_actor, p_source_topic,
            p_source_partition, p_source_offset);
    PERFORM customs.outbox_add('receipt', p_logistics_no, p_cop_no, p_guid, -1,
                               jsonb_build_array(jsonb_build_object(
                                   'rule_id', 'transition', 'action', 'reject',
                                   'message', p_reason)),
                               NULL, p_event, p_actor, NULL, p_from);
    PERFORM pg_notify('customs_outbox', '');
    RETURN 1;
END;
$$;
