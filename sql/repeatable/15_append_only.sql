-- 15_append_only.sql - the audit tables refuse UPDATE, DELETE and TRUNCATE: what happened
-- to a parcel (customs.status_history) and what the state machine refused
-- (customs.refused_transitions) is only ever appended to.

CREATE OR REPLACE FUNCTION customs.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE TRIGGER status_history_append_only
    BEFORE UPDATE OR DELETE ON customs.status_history
    FOR EACH ROW EXECUTE FUNCTION customs.refuse_change();
CREATE OR REPLACE TRIGGER status_history_no_truncate
    BEFORE TRUNCATE ON customs.status_history
    FOR EACH STATEMENT EXECUTE FUNCTION customs.refuse_change();
CREATE OR REPLACE TRIGGER refused_transitions_append_only
    BEFORE UPDATE OR DELETE ON customs.refused_transitions
    FOR EACH ROW EXECUTE FUNCTION customs.refuse_change();
CREATE OR REPLACE TRIGGER refused_transitions_no_truncate
    BEFORE TRUNCATE ON customs.refused_transitions
    FOR EACH STATEMENT EXECUTE FUNCTION customs.refuse_change();
