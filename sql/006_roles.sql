-- 006_roles.sql - who may do what. Three roles (cluster-wide, so created only if missing;
-- all NOLOGIN: people and services log in as their own users, made members):
--
--   customs_owner    owns the schema customs and everything in it; migrations after this
--                    one run as it (sql/migrate.sh does SET ROLE customs_owner when the
--                    migrating user is a superuser or a member). The officer functions
--                    are SECURITY DEFINER and run as it.
--   customsd         the daemon: reads and writes its tables (no DELETE except the items an
--                    amendment replaces, no TRUNCATE), EXECUTE on apply_batch and the state
--                    machine; no CREATE on the schema or the database: it cannot change
--                    the schema. (Temporary tables stay allowed: apply_batch stages in one.)
--   customs_officer  SELECT on the officer views (parcel_status, inspection_queue,
--                    parcel_history, daily_summary), EXECUTE on the officer functions
--                    (record_inspection, release_review, return_review); nothing else: no
--                    table, no daemon function.
--
-- An operator gives access with, e.g.:
--   CREATE ROLE alice LOGIN IN ROLE customs_officer;      -- or: GRANT customs_officer TO alice;
--   CREATE ROLE customsd_prod LOGIN IN ROLE customsd;     -- customsd's conninfo user
-- (or ALTER ROLE customsd LOGIN, to connect as customsd itself, e.g. with peer auth).
--
-- Creating the roles needs CREATEROLE (or a superuser); where the migrating user has
-- neither, a superuser creates them first (the three CREATE ROLE ... NOLOGIN below), and
-- this migration then only grants.

DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['customs_owner', 'customsd', 'customs_officer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'cannot create role % (needs CREATEROLE)', v_role
                    USING HINT = 'have a superuser run: CREATE ROLE customs_owner NOLOGIN; '
                                 'CREATE ROLE customsd NOLOGIN; '
                                 'CREATE ROLE customs_officer NOLOGIN; then migrate again';
            END;
        END IF;
    END LOOP;
END
$$;

-- Ownership of the schema and of every object in it (tables own their sequences and
-- indexes, views and functions are listed one by one).
DO $$
DECLARE
    v_obj record;
BEGIN
    EXECUTE 'ALTER SCHEMA customs OWNER TO customs_owner';
    FOR v_obj IN
        SELECT c.relname, c.relkind
          FROM pg_class c
         WHERE c.relnamespace = 'customs'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
    LOOP
        EXECUTE format('ALTER %s customs.%I OWNER TO customs_owner',
                       CASE v_obj.relkind WHEN 'v' THEN 'VIEW'
                                          WHEN 'm' THEN 'MATERIALIZED VIEW'
                                          ELSE 'TABLE' END, v_obj.relname);
    END LOOP;
    FOR v_obj IN
        SELECT p.oid::regprocedure AS fn
          FROM pg_proc p
         WHERE p.pronamespace = 'customs'::regnamespace
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO customs_owner', v_obj.fn);
    END LOOP;
END
$$;

-- Nothing for PUBLIC: functions are executable by everyone by default; not here.
REVOKE ALL ON SCHEMA customs FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA customs FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA customs FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE customs_owner IN SCHEMA customs
    REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

GRANT USAGE ON SCHEMA customs TO customsd, customs_officer;

-- Pure helpers the views use (a view's functions are checked against its reader).
GRANT EXECUTE ON FUNCTION customs.status_name(integer), customs.status_label(integer),
                          customs.reasons_text(jsonb), customs.return_info(integer, text)
    TO customsd, customs_officer;

-- The daemon.
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA customs TO customsd;
REVOKE INSERT, UPDATE ON customs.schema_migrations, customs.status_transitions FROM customsd;
GRANT DELETE ON customs.declaration_items TO customsd;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA customs TO customsd;
GRANT EXECUTE ON FUNCTION
    customs.apply_batch(text, jsonb),
    customs.change_status(text, integer, text, text, text, jsonb, text, text, integer, bigint),
    customs.record_change(text, integer, text, text, text, jsonb, text, text, integer, bigint),
    customs.record_refusal(text, integer, text, integer, text, text, text, integer, bigint,
                           text, text),
    customs.transition_refusal(integer, integer, text, boolean, boolean),
    customs.outbox_add(text, text, text, text, integer, jsonb, text, text, text, text, integer),
    customs.outbox_topic(text),
    customs.event_type_for(integer),
    customs.scan_time(text),
    customs.apply_scan(customs.warehouse_scans),
    customs.apply_change_record(text, text, text, text, jsonb, integer, jsonb, text, text,
                                integer, bigint, timestamptz, boolean)
    TO customsd;

-- Officers.
GRANT SELECT ON customs.parcel_status, customs.inspection_queue, customs.parcel_history,
                customs.daily_summary
    TO customs_officer;
GRANT EXECUTE ON FUNCTION
    customs.record_inspection(text, text, text, integer),
    customs.release_review(text, text),
    customs.return_review(text, text)
    TO customs_officer;
