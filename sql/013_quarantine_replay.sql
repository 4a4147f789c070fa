-- 013_quarantine_replay.sql - what an operator re-injected from quarantine
-- (`customsctl quarantine replay ID`): one row per replay, naming the quarantined record,
-- who replayed it (the operating system user that ran customsctl and the database user),
-- when, whether the bytes were corrected or sent unchanged, and the new Kafka record it was
-- produced as (topic, partition, offset, SHA-256 of its value). The new record goes through
-- the normal path (customsd consumes and decides it); its declaration is found by that
-- source topic/partition/offset (repeatable/85_operator.sql, customs.quarantine_overview).
-- Append-only by convention: customsctl only inserts (customs.record_quarantine_replay).
CREATE TABLE customs.quarantine_replays (
    id               bigserial   PRIMARY KEY,
    quarantine_id    bigint      NOT NULL REFERENCES customs.quarantine,
    replayed_at      timestamptz NOT NULL DEFAULT now(),
    replayed_by      text        NOT NULL, -- the operating system user running customsctl
    db_user          text        NOT NULL DEFAULT session_user,
    corrected        boolean     NOT NULL, -- false: the stored bytes unchanged
    sha256           text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    target_topic     text        NOT NULL,
    target_partition integer     NOT NULL,
    target_offset    bigint      NOT NULL,
    UNIQUE (target_topic, target_partition, target_offset)
);
COMMENT ON TABLE customs.quarantine_replays IS
    'Quarantined records re-injected by an operator (customsctl quarantine replay): who, when, which new record.';
CREATE INDEX quarantine_replays_quarantine_idx ON customs.quarantine_replays (quarantine_id, id);
