-- 018_partitions.sql - the tables that grow without bound become natively partitioned by
-- time (PostgreSQL declarative partitioning, RANGE: by month, the outbox by day), rows moved:
--
--   customs.status_history  by recorded_at   partitions status_history_pYYYYMM
--   customs.outbox          by created_at    partitions outbox_pYYYYMMDD
--   customs.quarantine      by received_at   partitions quarantine_pYYYYMM
--
-- (the outbox: by month for the months before this one, by day from this month on).
-- Receipts have no table of their own: they are outbox rows of type 'receipt', partitioned
-- with the outbox. Each table also gets a DEFAULT partition (…_default) so that an insert
-- never fails for want of a partition; customs.partitions_ensure()
-- (sql/repeatable/22_partitions.sql) creates the periods ahead, and customs.outbox_prune()
-- drops the outbox's old, fully published days (customsd's relay calls both once an hour,
-- see docs/DESIGN.md "Scale"). Here, the periods that hold rows and those up to two months
-- (the outbox: a week) ahead are created.
--
-- Keys. PostgreSQL requires a partitioned table's primary and unique keys to include the
-- partition key:
--   - status_history: PRIMARY KEY (id, recorded_at); ids still come from one sequence, so
--     id alone stays unique. Nothing references it.
--   - outbox: no primary or unique key; its one index is the partial index of the
--     unpublished rows, outbox_unpublished_idx (id) WHERE published_at IS NULL. Nothing
--     references the outbox, nothing conflicts on its keys, ids come from one sequence and
--     event_id from gen_random_uuid() (122 random bits), and everything that looks rows up
--     by id (the relay marking them published) looks up unpublished rows. A key would be
--     (id, created_at) and (event_id, created_at), i.e. two more btree inserts per event
--     written and, since marking a row published writes a new row version that is not
--     HOT (published_at is in the partial index's predicate), two more per event marked:
--     without them the relay's UPDATE of 1000 delivered rows measured 5-6 ms instead of
--     11-15 ms (docs/PERFORMANCE.md). A marked row's new version leaves the partial index,
--     so marking inserts into no index at all. (Logical replication of the outbox would
--     need REPLICA IDENTITY FULL.)
--   - quarantine: PRIMARY KEY (id, received_at). Its unique key (source_topic,
--     source_partition, source_offset) guaranteed that a Kafka record is quarantined at
--     most once (another consumer group, a replayed batch, a retried transaction): a
--     unique index over (topic, partition, offset, received_at) would no longer guarantee
--     that, since two attempts get different received_at. The guarantee moves to a small
--     unpartitioned table, customs.quarantine_keys, PRIMARY KEY (source_topic,
--     source_partition, source_offset), one row per quarantined record with its
--     quarantine id; a BEFORE INSERT trigger on customs.quarantine
--     (customs.quarantine_key_claim, 22_partitions.sql) claims the key first and skips the
--     row (as ON CONFLICT DO NOTHING did, RETURNING leaves it out) when the record is
--     quarantined already. Concurrent claims of one key serialize on the key's index entry
--     as they did on the old unique index. The inserts keep `ON CONFLICT DO NOTHING`
--     without a conflict target (there is no unique index left for one).
--   - quarantine_replays.quarantine_id referenced quarantine(id), which is no longer a
--     key of its own: it now references quarantine_keys(quarantine_id) (UNIQUE), which
--     names exactly the quarantined records.

-- Partitions of a table from p_first's period to p_last's, p_unit 'month' or 'day' (UTC),
-- created unless present: <table>_pYYYYMM or <table>_pYYYYMMDD (customs.partition_name).
-- A transient helper of this migration (the live one is customs.partitions_ensure).
CREATE FUNCTION customs.tmp_018_parts(p_table text, p_first timestamptz, p_last timestamptz,
                                      p_unit text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_m timestamp := date_trunc(p_unit, p_first AT TIME ZONE 'UTC');
    v_step interval := ('1 ' || p_unit)::interval;
BEGIN
    WHILE v_m <= date_trunc(p_unit, p_last AT TIME ZONE 'UTC') LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS customs.%I PARTITION OF customs.%I
                            FOR VALUES FROM (%L) TO (%L)',
                       p_table || '_p'
                           || to_char(v_m, CASE p_unit WHEN 'day' THEN 'YYYYMMDD' ELSE 'YYYYMM' END),
                       p_table, v_m AT TIME ZONE 'UTC', (v_m + v_step) AT TIME ZONE 'UTC');
        v_m := v_m + v_step;
    END LOOP;
END;
$$;

-- The views over these tables are dropped here; the repeatable files create them again
-- (80_officer_views.sql, 85_operator.sql), as they do on every run.
DO $$
DECLARE
    v_view regclass;
BEGIN
    FOR v_view IN
        SELECT DISTINCT r.ev_class::regclass
          FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass
                                          AND d.objid = r.oid
         WHERE d.refobjid IN ('customs.status_history'::regclass, 'customs.outbox'::regclass,
                              'customs.quarantine'::regclass)
           AND r.ev_class NOT IN ('customs.status_history'::regclass,
                                  'customs.outbox'::regclass, 'customs.quarantine'::regclass)
    LOOP
        EXECUTE format('DROP VIEW IF EXISTS %s CASCADE', v_view);
    END LOOP;
END;
$$;

---------------------------------------------------------------------------------------------
-- status_history
---------------------------------------------------------------------------------------------
ALTER TABLE customs.status_history RENAME TO status_history_018;
ALTER TABLE customs.status_history_018 RENAME CONSTRAINT status_history_pkey
    TO status_history_018_pkey;
ALTER INDEX customs.status_history_parcel_idx RENAME TO status_history_018_parcel_idx;
-- The append-only triggers (15_append_only.sql) come back on the new table below.
DROP TRIGGER IF EXISTS status_history_append_only ON customs.status_history_018;
DROP TRIGGER IF EXISTS status_history_no_truncate ON customs.status_history_018;

CREATE TABLE customs.status_history (
    id               bigint       NOT NULL DEFAULT nextval('customs.status_history_id_seq'),
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
    note             text,                              -- why, in words
    PRIMARY KEY (id, recorded_at)
) PARTITION BY RANGE (recorded_at);
ALTER SEQUENCE customs.status_history_id_seq OWNED BY customs.status_history.id;
COMMENT ON TABLE customs.status_history IS
    'Every status change of a parcel; append-only (UPDATE, DELETE and TRUNCATE are refused). Partitioned by month of recorded_at.';
COMMENT ON COLUMN customs.status_history.event IS
    'declared | amendment | cancellation | arrival | departure | release | inspection | review';
CREATE INDEX status_history_parcel_idx ON customs.status_history (logistics_no, id);
CREATE TABLE customs.status_history_default PARTITION OF customs.status_history DEFAULT;
SELECT customs.tmp_018_parts('status_history',
                             least(now(), (SELECT min(recorded_at) FROM customs.status_history_018)),
                             now() + interval '2 months', 'month');
INSERT INTO customs.status_history SELECT * FROM customs.status_history_018 ORDER BY id;
DROP TABLE customs.status_history_018;

---------------------------------------------------------------------------------------------
-- outbox
---------------------------------------------------------------------------------------------
ALTER TABLE customs.outbox RENAME TO outbox_018;
ALTER TABLE customs.outbox_018 RENAME CONSTRAINT outbox_pkey TO outbox_018_pkey;
ALTER TABLE customs.outbox_018 RENAME CONSTRAINT outbox_event_id_key TO outbox_018_event_id_key;
ALTER INDEX customs.outbox_unpublished_idx RENAME TO outbox_018_unpublished_idx;

CREATE TABLE customs.outbox (
    id           bigint       NOT NULL DEFAULT nextval('customs.outbox_id_seq'),
    event_id     uuid         NOT NULL DEFAULT gen_random_uuid(),
    topic        text         NOT NULL,
    key          text,                  -- logisticsNo (the Kafka message key)
    type         text         NOT NULL, -- receipt | inspect | return | release | detain
    payload      jsonb        NOT NULL, -- customs.outbox_payload()
    created_at   timestamptz  NOT NULL DEFAULT now(),
    published_at timestamptz
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE customs.outbox_id_seq OWNED BY customs.outbox.id;
COMMENT ON TABLE customs.outbox IS
    'Events and receipts to publish to Kafka; published_at is set once the broker confirmed. Partitioned by month of created_at; published months past relay.retention_days are dropped (customs.outbox_prune).';
-- The relay reads only the unpublished rows, oldest first, and marks them by id: the
-- outbox's only index (no key, see above).
CREATE INDEX outbox_unpublished_idx ON customs.outbox (id) WHERE published_at IS NULL;
CREATE TABLE customs.outbox_default PARTITION OF customs.outbox DEFAULT;
-- The months that hold rows before the current one, by month; from the first day of the
-- current month to a week ahead, by day (customs.partitions_ensure's shape from then on).
SELECT customs.tmp_018_parts('outbox', min(created_at),
                             (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 day')
                                 AT TIME ZONE 'UTC', 'month')
  FROM customs.outbox_018
HAVING min(created_at) < date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
SELECT customs.tmp_018_parts('outbox',
                             date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
                             now() + interval '7 days', 'day');
INSERT INTO customs.outbox SELECT * FROM customs.outbox_018 ORDER BY id;
DROP TABLE customs.outbox_018;

---------------------------------------------------------------------------------------------
-- quarantine
---------------------------------------------------------------------------------------------
ALTER TABLE customs.quarantine RENAME TO quarantine_018;
ALTER TABLE customs.quarantine_018 RENAME CONSTRAINT quarantine_pkey TO quarantine_018_pkey;
ALTER TABLE customs.quarantine_018
    RENAME CONSTRAINT quarantine_source_topic_source_partition_source_offset_key
    TO quarantine_018_source_key;
ALTER INDEX customs.quarantine_parcel_idx RENAME TO quarantine_018_parcel_idx;

CREATE TABLE customs.quarantine (
    id               bigint       NOT NULL DEFAULT nextval('customs.quarantine_id_seq'),
    source_topic     text         NOT NULL,
    source_partition integer      NOT NULL,
    source_offset    bigint       NOT NULL,
    raw              bytea        NOT NULL, -- the record value exactly as received
    reason           text         NOT NULL,
    logistics_no     text,                  -- when it could be read
    received_at      timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
ALTER SEQUENCE customs.quarantine_id_seq OWNED BY customs.quarantine.id;
COMMENT ON TABLE customs.quarantine IS
    'Kafka records kept byte-exact because they could not be applied, with the reason. Partitioned by month of received_at; one record at most once (customs.quarantine_keys).';
CREATE INDEX quarantine_parcel_idx ON customs.quarantine (logistics_no)
    WHERE logistics_no IS NOT NULL;
CREATE TABLE customs.quarantine_default PARTITION OF customs.quarantine DEFAULT;
SELECT customs.tmp_018_parts('quarantine',
                             least(now(), (SELECT min(received_at) FROM customs.quarantine_018)),
                             now() + interval '2 months', 'month');

-- One row per quarantined Kafka record: the key that keeps a record from being quarantined
-- twice, and what quarantine_replays references.
CREATE TABLE customs.quarantine_keys (
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    quarantine_id    bigint      NOT NULL UNIQUE,
    received_at      timestamptz NOT NULL,
    PRIMARY KEY (source_topic, source_partition, source_offset)
);
COMMENT ON TABLE customs.quarantine_keys IS
    'The Kafka record of each quarantined row, unique: claimed by customs.quarantine_key_claim() before the row is stored.';

-- The rows move before the trigger exists (22_partitions.sql creates it): keys by hand.
INSERT INTO customs.quarantine SELECT * FROM customs.quarantine_018 ORDER BY id;
INSERT INTO customs.quarantine_keys
SELECT source_topic, source_partition, source_offset, id, received_at
  FROM customs.quarantine_018 ORDER BY id;

ALTER TABLE customs.quarantine_replays DROP CONSTRAINT quarantine_replays_quarantine_id_fkey;
ALTER TABLE customs.quarantine_replays ADD CONSTRAINT quarantine_replays_quarantine_id_fkey
    FOREIGN KEY (quarantine_id) REFERENCES customs.quarantine_keys (quarantine_id);
DROP TABLE customs.quarantine_018;

DROP FUNCTION customs.tmp_018_parts(text, timestamptz, timestamptz, text);
