-- 30_state_machine.sql - the clearance status state machine, in one place.
--
-- Every status change of a parcel after its first decision goes through
-- customs.change_status() (or, for an amendment, through customs.apply_change_record(),
-- which changes the content and the status in one UPDATE). All of them are checked by ONE
-- function, customs.transition_refusal(), against the table customs.status_transitions, and
-- the trigger customs.declarations_guard enforces it on every UPDATE of customs.declarations:
-- no caller can move a status (or replace a declaration's content) past it. Each change is
-- appended to customs.status_history with who (actor) and why (event, note, reasons), with a
-- CEB604-shaped receipt for the declarer and, where the warehouse must act, an event, both
-- in the outbox in the same transaction (customs.record_change). The receipt and the event
-- never carry the actor or the note (customs.outbox_payload): who and why are customs' own
-- record, in status_history.
--
-- Who, in status_history.actor:
--   rules:<version>     the rules engine (first decision, amendment re-evaluation)
--   officer:<login>     a customs officer (session_user of the officer functions, 70_officers)
--   scan:<loctNo>       a warehouse scan (arrival / departure) from that supervised site
--   declarer:<agent>    the declarer's own cancellation (appType 3)
--
-- Refused transitions raise SQLSTATE CS010 with the reason in words. Where the daemon caused
-- them (a scan or an amendment from Kafka) apply_batch does not let them fail the batch: it
-- asks customs.transition_refusal() first and records the refusal instead
-- (customs.refused_transitions + a -1 receipt, customs.record_refusal).
--
-- Status codes: docs/DESIGN.md "Status lifecycle" (CEB604 returnStatus, docs/DOMAIN.md 2);
-- their names and the events they call for: 10_status.sql.

-- The actor of the rules engine's decisions: rules:<version of the rule set> (unknown when
-- none was given).
CREATE OR REPLACE FUNCTION customs.rules_actor(p_rules_version text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'rules:' || coalesce(p_rules_version, 'unknown')
$$;

-- NULL when the transition is allowed, else why not, in words (the one check).
--   p_from, p_to   status codes; p_event  the cause (status_history.event values)
--   p_arrived      an arrival scan is recorded; p_cancelled  cancelled by the declarer
CREATE OR REPLACE FUNCTION customs.transition_refusal(
    p_from integer, p_to integer, p_event text, p_arrived boolean, p_cancelled boolean)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_what text := CASE p_event
        WHEN 'amendment' THEN 'amendment (appType 2)'
        WHEN 'cancellation' THEN 'cancellation (appType 3)'
        WHEN 'declared' THEN 'declaration of a saved parcel'
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
-- 899 nothing changes; arrival and departure, once recorded, stay; a held parcel
-- (25_holds.sql) is neither released nor closed.
CREATE OR REPLACE FUNCTION customs.declarations_guard() RETURNS trigger
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
        IF NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256 AND v_event <> 'amendment'
           AND NOT (v_event = 'declared' AND OLD.status_code = 1) THEN
            RAISE EXCEPTION 'parcel %: the content changes only by an amendment (appType 2), '
                            'or by the declaration of a saved (1) parcel', OLD.logistics_no
                USING ERRCODE = 'CS010';
        END IF;
        v_refusal := coalesce(
            customs.transition_refusal(OLD.status_code, NEW.status_code, v_event,
                                       NEW.arrived_at IS NOT NULL,
                                       OLD.cancelled_at IS NOT NULL),
            CASE WHEN NEW.status_code IS DISTINCT FROM OLD.status_code THEN
                customs.hold_refusal(OLD.logistics_no, NEW.status_code, v_event) END);
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

CREATE OR REPLACE TRIGGER declarations_guard
    BEFORE UPDATE ON customs.declarations
    FOR EACH ROW EXECUTE FUNCTION customs.declarations_guard();

-- After a status change of p_logistics_no (from p_from; the row holds the new status):
-- the history row, the receipt, the warehouse event if the status calls for one, the
-- relay's wake-up; then, when the parcel is now accepted (399), has already arrived and is
-- not held (25_holds.sql), its release (399 -> 800) at once. Returns the number of outbox
-- rows written.
CREATE OR REPLACE FUNCTION customs.record_change(
    p_logistics_no text, p_from integer, p_event text, p_actor text, p_note text,
    p_reasons jsonb, p_rules_version text, p_source_topic text, p_source_partition integer,
    p_source_offset bigint)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_d       customs.declarations;
    v_reasons jsonb := customs.array_or_empty(p_reasons);
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
    -- The receipt and the event say what happened, not who or why: p_actor and p_note
    -- stay in the history row above (customs.outbox_payload).
    PERFORM customs.outbox_add('receipt', p_logistics_no, v_d.cop_no, v_d.guid, v_d.status_code,
                               v_reasons, p_rules_version, p_event, NULL, NULL, p_from);
    v_type := customs.event_type_for(v_d.status_code);
    IF v_type IS NOT NULL THEN
        PERFORM customs.outbox_add(v_type, p_logistics_no, v_d.cop_no, v_d.guid,
                                   v_d.status_code, v_reasons, p_rules_version, p_event,
                                   NULL, NULL, p_from);
        v_rows := v_rows + 1;
    END IF;
    PERFORM pg_notify('customs_outbox', ''); -- delivered at commit, once per transaction
    IF v_d.status_code = 399 AND v_d.arrived_at IS NOT NULL
       AND NOT customs.parcel_held(p_logistics_no) THEN
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
-- locks the row, refuses a transition customs.transition_refusal() does not allow, or a
-- release or departure of a held parcel (customs.hold_refusal) (SQLSTATE CS010, the reason as the message; P0002 for an unknown parcel), updates it
-- (the guard trigger checks again), then customs.record_change(). p_reasons replaces the
-- declaration's reasons when not NULL (cancellation); the history row gets p_reasons or [].
-- Returns the number of outbox rows written.
CREATE OR REPLACE FUNCTION customs.change_status(
    p_logistics_no text, p_to integer, p_event text, p_actor text, p_note text,
    p_reasons jsonb DEFAULT NULL, p_rules_version text DEFAULT NULL,
    p_source_topic text DEFAULT NULL, p_source_partition integer DEFAULT NULL,
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
    v_refusal := coalesce(customs.transition_refusal(v_d.status_code, p_to, p_event,
                                                     v_d.arrived_at IS NOT NULL,
                                                     v_d.cancelled_at IS NOT NULL),
                          customs.hold_refusal(p_logistics_no, p_to, p_event));
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

-- A refused transition the daemon caused: kept (with p_actor), and a -1 receipt to the
-- declarer with the reason, not the actor (when the declaration, or the refused record,
-- names a copNo/guid they are in it). Returns 1 (the outbox rows written).
CREATE OR REPLACE FUNCTION customs.record_refusal(
    p_logistics_no text, p_from integer, p_event text, p_to integer, p_reason text,
    p_actor text, p_source_topic text, p_source_partition integer, p_source_offset bigint,
    p_cop_no text, p_guid text)
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
                               NULL, p_event, NULL, NULL, p_from);
    PERFORM pg_notify('customs_outbox', '');
    RETURN 1;
END;
$$;
