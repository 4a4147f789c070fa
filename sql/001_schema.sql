-- 001_schema.sql - the customs schema: declarations and their items, the append-only
-- status history, the outbox, the quarantine, the consumer offsets of record, the rule
-- sets, and the parcel_status view officers query.
--
-- Applied by sql/migrate.sh in one transaction (the script creates the schema and
-- customs.schema_migrations before the first migration). See shared DESIGN.md for the data
-- flow and the guarantees these tables carry.
--
-- Field names follow CEB603 (InventoryHead / InventoryList) in snake_case. Text columns
-- have no length limits on purpose: the CEB603 lengths are checked by the rules engine, and
-- a declaration that breaks them is still recorded (as rejected, with the reasons), so the
-- table must accept it. Amounts, weights and quantities are numeric(19,5) = CEB603 N19,5.

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

-- Consumer offsets of record: the next offset to read per (consumer group, topic,
-- partition). Written by customs.apply_batch in the same transaction as the rows the
-- records produced, fenced on the previous value (DESIGN.md "Guarantees").
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

-- One row per parcel (logisticsNo, CEB603 C..80). The current status lives here; every
-- change is also appended to status_history.
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
    -- Sum of the items' totalPrice, computed by apply_batch from the items. Plain numeric:
    -- 100 items of N19,5 can exceed numeric(19,5), and a batch must not fail over it.
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
    updated_at       timestamptz   NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.declarations IS
    'One CEB603 export inventory (清单) per parcel, keyed by logisticsNo, with its current status.';
COMMENT ON COLUMN customs.declarations.content_sha256 IS
    'SHA-256 of the raw record bytes: identical redelivery is a no-op, different content a conflict.';
-- Hash, not btree: orderNo is not length-checked before storage (up to 1000 characters)
-- and a btree entry over ~2.7 kB would fail the whole batch.
CREATE INDEX declarations_order_no_idx ON customs.declarations USING hash (order_no);
CREATE INDEX declarations_status_idx ON customs.declarations (status_code, declared_at);

-- CEB603 InventoryList. line_no is the position in the items array (1-based), not gnum:
-- gnum is declared by the sender and may be missing or repeated in a declaration that the
-- rules reject; such a declaration is still recorded in full.
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

-- Append-only audit trail: who or what set which status, when, and from which record.
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
    recorded_at      timestamptz  NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.status_history IS
    'Every status change of a parcel; append-only (UPDATE, DELETE and TRUNCATE are refused).';
CREATE INDEX status_history_parcel_idx ON customs.status_history (logistics_no, id);

CREATE FUNCTION customs.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER status_history_append_only
    BEFORE UPDATE OR DELETE ON customs.status_history
    FOR EACH ROW EXECUTE FUNCTION customs.refuse_change();
CREATE TRIGGER status_history_no_truncate
    BEFORE TRUNCATE ON customs.status_history
    FOR EACH STATEMENT EXECUTE FUNCTION customs.refuse_change();

-- Transactional outbox: events written with the status change, published by the relay
-- (idempotent producer, keyed by logisticsNo). id order is commit order per parcel.
-- event_id is carried in the payload, so consumers can drop re-published copies.
CREATE TABLE customs.outbox (
    id           bigserial    PRIMARY KEY,
    event_id     uuid         NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    topic        text         NOT NULL,
    key          text,                  -- logisticsNo (the Kafka message key)
    type         text         NOT NULL, -- receipt | inspect | return | release
    payload      jsonb        NOT NULL,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    published_at timestamptz
);
COMMENT ON TABLE customs.outbox IS
    'Events and receipts to publish to Kafka; published_at is set once the broker confirmed.';
-- The relay reads only the unpublished rows, oldest first.
CREATE INDEX outbox_unpublished_idx ON customs.outbox (id) WHERE published_at IS NULL;

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

-- What officers look at first: one row per parcel with its current status.
CREATE VIEW customs.parcel_status AS
SELECT d.logistics_no,
       d.order_no,
       d.cop_no,
       d.ebc_code,
       d.country,
       d.status_code,
       d.status,
       d.reasons,
       d.rules_version,
       d.total_price AS total_value,
       d.currency,
       d.item_count,
       d.declared_at,
       d.updated_at
  FROM customs.declarations d;
COMMENT ON VIEW customs.parcel_status IS
    'Current clearance status per parcel (logisticsNo).';
