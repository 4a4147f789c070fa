-- 006_baseline.sql - the customs schema's tables, indexes, fixed data and roles: declarations
-- and their items, earlier versions, the append-only status history, the state machine's
-- transitions, refused transitions, warehouse scans, the outbox and its topics, the
-- quarantine, the consumer offsets of record and the rule sets.
--
-- The baseline of the numbered migrations: what the migrations 001-006 of the first
-- releases left, in one file. sql/migrate.sh applies it only to a database with no migration
-- recorded; on a database where 001-006 are recorded it counts as applied (versions up to
-- the baseline's are history). Functions, views, triggers and grants are not here: they live
-- in sql/repeatable/ and are applied after the numbered files on every run (sql/README.md).
-- See docs/DESIGN.md for the data flow and the guarantees these tables carry.
--
-- Field names follow CEB603 (InventoryHead / InventoryList) in snake_case. Text columns
-- have no length limits on purpose: the CEB603 lengths are checked by the rules engine, and
-- a declaration that breaks them is still recorded (as rejected, with the reasons), so the
-- table must accept it. Amounts, weights and quantities are numeric(19,5) = CEB603 N19,5.
-- Status codes: docs/DESIGN.md "Status lifecycle" (CEB604 returnStatus, docs/DOMAIN.md 2);
-- the list is daemon/status.c's, checked by tests/integration/test_status.c.

-- Declarations carry Chinese text and the raw bytes of conflicting records are read back
-- from a text column: the database should be UTF8. SQL_ASCII keeps the bytes too but
-- counts characters wrong.
DO $$
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE WARNING 'database encoding is %, not UTF8 (create it with ENCODING ''UTF8'')',
            current_setting('server_encoding');
    END IF;
END
$$;

---------------------------------------------------------------------------------------------
-- Roles (cluster-wide, so created only if missing; all NOLOGIN: people and services log in
-- as their own users, made members). What each may do: sql/repeatable/90_grants.sql.
--   customs_owner    owns the schema customs and everything in it
--   customsd         the daemon
--   customs_officer  customs officers (views and officer functions only)
-- Creating them needs CREATEROLE (or a superuser); where the migrating user has neither, a
-- superuser creates them first (the three CREATE ROLE ... NOLOGIN below), and this
-- migration then only uses them.
---------------------------------------------------------------------------------------------
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

---------------------------------------------------------------------------------------------
-- Kafka bookkeeping and rule sets
---------------------------------------------------------------------------------------------

-- Consumer offsets of record: the next offset to read per (consumer group, topic,
-- partition). Written by customs.apply_batch in the same transaction as the rows the
-- records produced, fenced on the previous value (docs/DESIGN.md "Guarantees").
CREATE TABLE customs.consumer_offsets (
    group_id    text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL CHECK (next_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);
COMMENT ON TABLE customs.consumer_offsets IS
    'Next Kafka offset to consume per (group, topic, partition); the offsets of record.';

-- Every rule set a decision was made with: version = SHA-256 hex of the YAML file.
-- Not a foreign key target of declarations.rules_version on purpose: recording the rule
-- set and applying batches are separate calls, and a batch must never fail over it.
CREATE TABLE customs.rule_set_versions (
    version   text        PRIMARY KEY,
    text      text        NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.rule_set_versions IS
    'Rule sets (rules.yaml) used for decisions, by SHA-256 of the file.';

---------------------------------------------------------------------------------------------
-- Declarations
---------------------------------------------------------------------------------------------

-- One row per parcel (logisticsNo, CEB603 C..80). The current status lives here; every
-- change is also appended to status_history. The CEB603 head fields are mapped to these
-- columns by customs.ceb603_head() (sql/repeatable/40_ceb603.sql).
CREATE TABLE customs.declarations (
    logistics_no     text          PRIMARY KEY,
    order_no         text,
    cop_no           text,
    guid             text,
    app_type         text,
    app_time         text,          -- YYYYMMDDhhmmss as declared
    app_status       text,
    ebp_code         text,
    ebc_code         text,
    ebc_name         text,
    logistics_code   text,
    agent_code       text,
    owner_code       text,
    customs_code     text,
    port_code        text,
    ie_flag          text,
    ie_date          text,          -- YYYYMMDD as declared
    statistics_flag  text,
    trade_mode       text,
    traf_mode        text,
    country          text,          -- 运抵国, e.g. 344 Russia
    pod              text,
    wrap_type        text,
    gross_weight     numeric(19,5), -- kg
    net_weight       numeric(19,5), -- kg
    freight          numeric(19,5),
    f_currency       text,
    insured_fee      numeric(19,5),
    i_currency       text,
    pack_no          bigint,
    -- Sum of the items' totalPrice, computed from the items. Plain numeric: 100 items of
    -- N19,5 can exceed numeric(19,5), and a batch must not fail over it.
    total_price      numeric,
    -- The items' currency when they all agree, else NULL (mixed currencies).
    currency         text,
    item_count       integer       NOT NULL DEFAULT 0,
    status_code      integer       NOT NULL
        CHECK (status_code IN (-1, 100, 120, 300, 399, 500, 501, 502, 503, 599, 700, 800, 899)),
    status           text          NOT NULL,
    reasons          jsonb         NOT NULL DEFAULT '[]', -- [{rule_id, action, message}]
    rules_version    text,
    content_sha256   text          NOT NULL, -- SHA-256 hex of the raw Kafka record value
    payload          text          NOT NULL, -- the raw record value (JSON text), as received
    source_topic     text          NOT NULL,
    source_partition integer       NOT NULL,
    source_offset    bigint        NOT NULL,
    source_timestamp timestamptz,            -- Kafka record timestamp, if any
    declared_at      timestamptz   NOT NULL DEFAULT now(), -- first seen
    updated_at       timestamptz   NOT NULL DEFAULT now(),
    -- What the parcel physically did and how its declaration stands, next to its status.
    arrived_at        timestamptz, -- scannedAt of the arrival scan (运抵)
    arrival_loct_no   text,        -- 监管场所代码 of the site that scanned it
    departed_at       timestamptz, -- scannedAt of the departure scan (离境)
    departure_loct_no text,
    cancelled_at      timestamptz, -- the declarer cancelled it (appType 3)
    version           integer     NOT NULL DEFAULT 1, -- 1 + amendments applied
    status_since      timestamptz NOT NULL DEFAULT now(), -- last status change
    status_actor      text,        -- who made the last status change
    status_note       text         -- why, in words (officer's note, scan, ...)
);
COMMENT ON TABLE customs.declarations IS
    'One CEB603 export inventory (清单) per parcel, keyed by logisticsNo, with its current status.';
COMMENT ON COLUMN customs.declarations.content_sha256 IS
    'SHA-256 of the raw record bytes: identical redelivery is a no-op, different content a conflict.';
COMMENT ON COLUMN customs.declarations.arrived_at IS
    'Arrival scan time (运抵); a parcel is released (800) only once this is set.';
COMMENT ON COLUMN customs.declarations.status_since IS
    'When the current status was reached (inspection_queue orders by it).';
-- Hash, not btree: orderNo is not length-checked before storage (up to 1000 characters)
-- and a btree entry over ~2.7 kB would fail the whole batch.
CREATE INDEX declarations_order_no_idx ON customs.declarations USING hash (order_no);
CREATE INDEX declarations_status_idx ON customs.declarations (status_code, declared_at);

-- CEB603 InventoryList. line_no is the position in the items array (1-based), not gnum:
-- gnum is declared by the sender and may be missing or repeated in a declaration that the
-- rules reject; such a declaration is still recorded in full. Mapped by
-- customs.ceb603_items().
CREATE TABLE customs.declaration_items (
    logistics_no   text          NOT NULL REFERENCES customs.declarations ON DELETE CASCADE,
    line_no        integer       NOT NULL,
    gnum           bigint,
    item_no        text,
    item_record_no text,
    item_name      text,
    gcode          text,          -- HS code, 10 digits
    gname          text,
    gmodel         text,
    bar_code       text,
    country        text,
    currency       text,
    qty            numeric(19,5),
    unit           text,
    qty1           numeric(19,5),
    unit1          text,
    qty2           numeric(19,5),
    unit2          text,
    price          numeric(19,5),
    total_price    numeric(19,5),
    PRIMARY KEY (logistics_no, line_no)
);
COMMENT ON TABLE customs.declaration_items IS
    'CEB603 InventoryList entries; line_no = position in the declared items array.';

-- Earlier contents of a declaration: what an amendment replaced, and cancellation records.
CREATE TABLE customs.declaration_versions (
    id               bigserial   PRIMARY KEY,
    logistics_no     text        NOT NULL REFERENCES customs.declarations ON DELETE CASCADE,
    version          integer     NOT NULL, -- declarations.version it had
    kind             text        NOT NULL CHECK (kind IN ('replaced', 'cancellation')),
    app_type         text,
    content_sha256   text        NOT NULL,
    payload          text        NOT NULL,
    status_code      integer,              -- status when it was replaced
    reasons          jsonb,
    rules_version    text,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.declaration_versions IS
    'Declaration contents replaced by amendments (appType 2), and cancellation records.';
CREATE INDEX declaration_versions_parcel_idx
    ON customs.declaration_versions (logistics_no, content_sha256);

---------------------------------------------------------------------------------------------
-- Status: history, allowed transitions, refusals
---------------------------------------------------------------------------------------------

-- Append-only audit trail: who or what set which status, when, and from which record.
-- (The append-only triggers: sql/repeatable/15_append_only.sql.)
CREATE TABLE customs.status_history (
    id               bigserial    PRIMARY KEY,
    logistics_no     text         NOT NULL,
    status_code      integer      NOT NULL,
    status           text         NOT NULL,
    reasons          jsonb        NOT NULL DEFAULT '[]', -- [{rule_id, action, message}]
    rule_ids         text[]       NOT NULL DEFAULT '{}',
    rules_version    text,
    actor            text         NOT NULL, -- 'rules:<version>', 'officer:<name>', ...
    source_topic     text,
    source_partition integer,
    source_offset    bigint,
    recorded_at      timestamptz  NOT NULL DEFAULT now(),
    from_code        integer,                           -- NULL for the first decision
    event            text NOT NULL DEFAULT 'declared',  -- what caused it, see below
    note             text                               -- why, in words
);
COMMENT ON TABLE customs.status_history IS
    'Every status change of a parcel; append-only (UPDATE, DELETE and TRUNCATE are refused).';
COMMENT ON COLUMN customs.status_history.event IS
    'declared | amendment | cancellation | arrival | departure | release | inspection | review';
CREATE INDEX status_history_parcel_idx ON customs.status_history (logistics_no, id);

-- The allowed transitions: (from, to) for which causes (events). Anything else is refused
-- by customs.transition_refusal() (sql/repeatable/30_state_machine.sql). 'declared' (no row
-- yet -> 100/300/399/500) is apply_batch's insert of a new declaration.
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

-- Amendments (appType 2) re-evaluate a declaration in 100, 120, 300 or 399 (not under
-- inspection, released, detained, returned or closed) to whatever the rules decide; a
-- cancellation (appType 3) rejects it (100).
INSERT INTO customs.status_transitions (from_code, to_code, events, requires_arrival, description)
SELECT f, t,
       CASE WHEN t = 100 THEN ARRAY['amendment', 'cancellation'] ELSE ARRAY['amendment'] END
       || CASE WHEN f = 300 AND t = 399 THEN ARRAY['review'] ELSE '{}' END,
       false,
       CASE WHEN t = 100 THEN 'amended and rejected, or cancelled by the declarer'
            WHEN f = 300 AND t = 399 THEN 'manual review passed, or amended and accepted'
            ELSE 'amended (appType 2) and re-evaluated under the current rules' END
  FROM unnest(ARRAY[100, 120, 300, 399]) AS f, unnest(ARRAY[100, 300, 399, 500]) AS t;
-- The warehouse, the officers, and the end of the road.
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

---------------------------------------------------------------------------------------------
-- Warehouse scans
---------------------------------------------------------------------------------------------

-- Every warehouse scan record, byte-exact, and what became of it (customs.apply_scan()).
CREATE TABLE customs.warehouse_scans (
    id               bigserial   PRIMARY KEY,
    logistics_no     text        NOT NULL,
    scan             text        NOT NULL CHECK (scan IN ('arrival', 'departure')),
    scanned_at       timestamptz NOT NULL,
    loct_no          text,                 -- 监管场所代码
    total_package_no text,                 -- 总包号
    sha256           text        NOT NULL, -- SHA-256 hex of the raw record value
    payload          text        NOT NULL, -- the raw record value
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    source_timestamp timestamptz,
    received_at      timestamptz NOT NULL DEFAULT now(),
    outcome          text        NOT NULL DEFAULT 'pending'
        CHECK (outcome IN ('pending', 'released', 'held', 'recorded', 'closed', 'duplicate',
                           'refused')),
    note             text,
    processed_at     timestamptz,
    UNIQUE (source_topic, source_partition, source_offset)
);
COMMENT ON TABLE customs.warehouse_scans IS
    'Warehouse arrival/departure scans; outcome pending until the declaration is known.';
CREATE INDEX warehouse_scans_parcel_idx ON customs.warehouse_scans (logistics_no, id);
CREATE INDEX warehouse_scans_pending_idx ON customs.warehouse_scans (logistics_no, id)
    WHERE outcome = 'pending';

---------------------------------------------------------------------------------------------
-- Outbox and quarantine
---------------------------------------------------------------------------------------------

-- Transactional outbox: events written with the status change, published by the relay
-- (idempotent producer, keyed by logisticsNo). id order is commit order per parcel.
-- event_id is carried in the payload, so consumers can drop re-published copies.
CREATE TABLE customs.outbox (
    id           bigserial    PRIMARY KEY,
    event_id     uuid         NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    topic        text         NOT NULL,
    key          text,                  -- logisticsNo (the Kafka message key)
    type         text         NOT NULL, -- receipt | inspect | return | release | detain
    payload      jsonb        NOT NULL, -- customs.outbox_payload()
    created_at   timestamptz  NOT NULL DEFAULT now(),
    published_at timestamptz
);
COMMENT ON TABLE customs.outbox IS
    'Events and receipts to publish to Kafka; published_at is set once the broker confirmed.';
-- The relay reads only the unpublished rows, oldest first.
CREATE INDEX outbox_unpublished_idx ON customs.outbox (id) WHERE published_at IS NULL;

-- Where the state machine's outbox rows go: the topics customsd is configured with,
-- recorded by apply_batch (the SQL side has no configuration file of its own).
CREATE TABLE customs.outbox_topics (
    kind       text        PRIMARY KEY CHECK (kind IN ('events', 'receipts')),
    topic      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.outbox_topics IS
    'Kafka topics of warehouse events and receipts, as last used by customsd (apply_batch).';

-- Records that could not be decoded (or conflict with a stored declaration), byte-exact.
CREATE TABLE customs.quarantine (
    id               bigserial    PRIMARY KEY,
    source_topic     text         NOT NULL,
    source_partition integer      NOT NULL,
    source_offset    bigint       NOT NULL,
    raw              bytea        NOT NULL, -- the record value exactly as received
    reason           text         NOT NULL,
    logistics_no     text,                  -- when it could be read
    received_at      timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (source_topic, source_partition, source_offset)
);
COMMENT ON TABLE customs.quarantine IS
    'Kafka records kept byte-exact because they could not be applied, with the reason.';
CREATE INDEX quarantine_parcel_idx ON customs.quarantine (logistics_no)
    WHERE logistics_no IS NOT NULL;

---------------------------------------------------------------------------------------------
-- Ownership: the schema and every table in it (with their sequences and indexes) belong to
-- customs_owner; sql/migrate.sh applies everything after this file as customs_owner.
---------------------------------------------------------------------------------------------
DO $$
DECLARE
    v_obj record;
BEGIN
    EXECUTE 'ALTER SCHEMA customs OWNER TO customs_owner';
    FOR v_obj IN
        SELECT c.relname
          FROM pg_class c
         WHERE c.relnamespace = 'customs'::regnamespace AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('ALTER TABLE customs.%I OWNER TO customs_owner', v_obj.relname);
    END LOOP;
END
$$;
