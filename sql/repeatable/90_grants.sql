-- 90_grants.sql - who may do what; applied last, after every function and view exists.
-- The roles (created by 006_baseline.sql, all NOLOGIN):
--
--   customs_owner    owns the schema customs and everything in it; sql/migrate.sh applies
--                    everything after the baseline as it (SET ROLE when the migrating user
--                    is a superuser or a member). The officer functions are SECURITY
--                    DEFINER and run as it.
--   customsd         the daemon: reads and writes its tables (no DELETE except the items an
--                    amendment replaces, no TRUNCATE), EXECUTE on apply_batch, its steps and
--                    the state machine; no CREATE on the schema or the database: it cannot
--                    change the schema. (Temporary tables stay allowed: apply_batch stages
--                    in one.)
--   customs_officer  SELECT on the officer views (parcel_status, inspection_queue,
--                    parcel_history, daily_summary, parcel_goods, alerts,
--                    parcel_documents), EXECUTE on the
--                    officer functions (record_inspection, release_review, return_review,
--                    order_inspection, reopen_detained, find_parcels, hold_parcel,
--                    unhold_parcel, resolve_alert); nothing else: no table, no daemon
--                    function.
--
-- This file is the whole truth: every run first takes back everything PUBLIC, customsd and
-- customs_officer had in the schema, then grants what is listed here, in this order (the
-- same on a new database and on an upgraded one). A new function is executable by nobody
-- but its owner until it is listed here.
--
-- An operator gives access with, e.g.:
--   CREATE ROLE alice LOGIN IN ROLE customs_officer;      -- or: GRANT customs_officer TO alice;
--   CREATE ROLE customsd_prod LOGIN IN ROLE customsd;     -- customsd's conninfo user
-- (or ALTER ROLE customsd LOGIN, to connect as customsd itself, e.g. with peer auth).

REVOKE ALL ON SCHEMA customs FROM PUBLIC, customsd, customs_officer;
REVOKE ALL ON ALL TABLES IN SCHEMA customs FROM PUBLIC, customsd, customs_officer;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA customs FROM PUBLIC, customsd, customs_officer;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA customs FROM PUBLIC, customsd, customs_officer;

GRANT USAGE ON SCHEMA customs TO customsd, customs_officer;

-- Pure helpers the views use (a view's functions are checked against its reader).
GRANT EXECUTE ON FUNCTION customs.status_name(integer), customs.status_label(integer),
                          customs.reasons_text(jsonb), customs.reasons_text_zh(jsonb),
                          customs.return_info(integer, text),
                          customs.array_or_empty(jsonb), customs.scan_actor(text)
    TO customsd, customs_officer;

-- The daemon. (ALL TABLES includes the views.)
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA customs TO customsd;
REVOKE INSERT, UPDATE ON customs.schema_migrations, customs.schema_release,
    customs.status_transitions FROM customsd;
GRANT DELETE ON customs.declaration_items TO customsd;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA customs TO customsd;
GRANT EXECUTE ON FUNCTION
    customs.apply_batch(text, jsonb),
    customs.apply_batch_staged(text, jsonb),
    customs.unique_holders(jsonb),
    customs.unique_columns(text[]),
    customs.change_status(text, integer, text, text, text, jsonb, text, text, integer, bigint),
    customs.record_change(text, integer, text, text, text, jsonb, text, text, integer, bigint),
    customs.record_refusal(text, integer, text, integer, text, text, text, integer, bigint,
                           text, text),
    customs.transition_refusal(integer, integer, text, boolean, boolean),
    customs.outbox_add(text, text, text, text, integer, jsonb, text, text, text, text, integer),
    customs.outbox_topic(text),
    customs.outbox_topic_kind(text),
    customs.rules_actor(text),
    customs.is_stored_content(text, text, text),
    customs.event_type_for(integer),
    customs.invt_no_next(text),
    customs.scan_time(text),
    customs.apply_scan(customs.warehouse_scans),
    customs.apply_change_record(text, text, text, text, customs.ceb603_inventory, integer, jsonb,
                                text, text, integer, bigint, timestamptz, boolean),
    customs.outbox_topics_set(text, text),
    customs.outbox_payload(uuid, text, text, text, text, integer, jsonb, text, jsonb),
    customs.outbox_payload_of(uuid, text, text, text, text, integer, jsonb, jsonb,
                              customs.declarations),
    customs.ceb603_inventory_of(jsonb),
    customs.ceb603_head(customs.ceb603_inventory),
    customs.ceb603_items(customs.ceb603_inventory),
    customs.apply_batch_fence(text, jsonb),
    customs.apply_batch_stage_open(),
    customs.apply_batch_stage(jsonb),
    customs.apply_batch_stage_check(jsonb),
    customs.apply_batch_declare(),
    customs.apply_batch_quarantine(),
    customs.apply_batch_outbox(text, text),
    customs.apply_batch_changes(),
    customs.apply_batch_report(),
    customs.parcel_held(text),
    customs.hold_refusal(text, integer, text),
    customs.hold_event(text, text, text),
    customs.hold_place(text, text, text, bigint),
    customs.raise_alert(text, text, text, timestamptz, text, bigint),
    customs.sweep_alerts(interval)
    TO customsd;
-- The time partitions (22_partitions.sql): the months ahead and the outbox's pruning, run
-- by the relay; the quarantine's key claim runs as the inserting role.
GRANT EXECUTE ON FUNCTION
    customs.partition_name(text, timestamptz),
    customs.partitions_ensure(integer, timestamptz),
    customs.outbox_prune(interval),
    customs.quarantine_key_claim()
    TO customsd;
-- customsctl's operator commands (85_operator.sql) use customsd's configuration.
GRANT EXECUTE ON FUNCTION
    customs.record_quarantine_replay(bigint, text, boolean, text, text, integer, bigint)
    TO customsd;
-- Orders, waybills and payments (58_documents.sql); an order's lines are replaced with it.
GRANT DELETE ON customs.order_items TO customsd;
GRANT EXECUTE ON FUNCTION
    customs.document_keys(text),
    customs.document_row(jsonb),
    customs.document_receipt(uuid, text, text, text, text, integer, jsonb),
    customs.document_store(text, jsonb, text, text, text, integer, bigint, timestamptz),
    customs.apply_batch_documents(text)
    TO customsd;
-- Three-document matching (59_matching.sql): the sweep's two calls and what they use.
GRANT EXECUTE ON FUNCTION
    customs.matching_missing(text, text, text, text),
    customs.matching_wait_reasons(customs.ceb603_inventory),
    customs.matching_due(integer, integer),
    customs.matching_apply(jsonb)
    TO customsd;

-- Officers.
GRANT SELECT ON customs.parcel_status, customs.inspection_queue, customs.parcel_history,
                customs.daily_summary, customs.parcel_goods, customs.alerts,
                customs.parcel_documents
    TO customs_officer;
GRANT EXECUTE ON FUNCTION
    customs.record_inspection(text, text, text, integer),
    customs.release_review(text, text),
    customs.return_review(text, text),
    customs.order_inspection(text, text),
    customs.reopen_detained(text, text, text),
    customs.find_parcels(text, text, text, text, text, text, date),
    customs.hold_parcel(text, text),
    customs.unhold_parcel(text, text),
    customs.resolve_alert(bigint, text)
    TO customs_officer;
-- The monthly summary declaration (65_summary.sql): customsctl summary, with customsd's
-- configuration; officers read the filed ones.
GRANT EXECUTE ON FUNCTION
    customs.summary_month_range(date),
    customs.summary_inventories_of(date, text),
    customs.summary_group(text[]),
    customs.summary_compute(date, text),
    customs.summary_lines(date, text),
    customs.file_summary(date, text)
    TO customsd;
GRANT SELECT ON customs.filed_summaries TO customs_officer;
