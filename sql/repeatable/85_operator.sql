-- 85_operator.sql - what the operator's commands of customsctl read and record
-- (`customsctl status`, `lag`, `quarantine`, `outbox status`; docs/man/customsctl.1).
-- customsctl connects with customsd's configuration (role customsd, or a login in it);
-- 90_grants.sql grants these to customsd. Views are dropped and created on every run.

DROP VIEW IF EXISTS customs.quarantine_overview, customs.outbox_backlog,
                    customs.consumer_positions;

-- Every quarantined record with its latest replay (if any) and what became of the replayed
-- record: the status of the declaration stored from exactly that topic/partition/offset
-- (NULL while customsd has not decided it yet, or when it was quarantined again).
CREATE VIEW customs.quarantine_overview AS
SELECT q.id,
       q.received_at,
       q.source_topic,
       q.source_partition,
       q.source_offset,
       q.logistics_no,
       q.reason,
       octet_length(q.raw) AS raw_bytes,
       (SELECT count(*) FROM customs.quarantine_replays r WHERE r.quarantine_id = q.id)
           AS replays,
       r.replayed_at,
       r.replayed_by,
       r.db_user AS replayed_db_user,
       r.corrected AS replay_corrected,
       r.target_topic AS replay_topic,
       r.target_partition AS replay_partition,
       r.target_offset AS replay_offset,
       d.logistics_no AS replay_logistics_no,
       d.status_code AS replay_status_code,
       d.status AS replay_status,
       (SELECT rq.quarantine_id FROM customs.quarantine_keys rq
         WHERE rq.source_topic = r.target_topic AND rq.source_partition = r.target_partition
           AND rq.source_offset = r.target_offset) AS replay_quarantine_id
  FROM customs.quarantine q
       LEFT JOIN LATERAL (SELECT * FROM customs.quarantine_replays x
                           WHERE x.quarantine_id = q.id ORDER BY x.id DESC LIMIT 1) r ON true
       LEFT JOIN customs.declarations d
              ON d.source_topic = r.target_topic AND d.source_partition = r.target_partition
             AND d.source_offset = r.target_offset;
COMMENT ON VIEW customs.quarantine_overview IS
    'Quarantined records, their latest replay and the status of the replayed record''s declaration.';

-- The outbox backlog per topic: rows not yet published and the age of the oldest.
CREATE VIEW customs.outbox_backlog AS
SELECT o.topic,
       count(*) AS unpublished,
       min(o.created_at) AS oldest_created_at,
       extract(epoch FROM now() - min(o.created_at))::numeric(20, 3) AS oldest_age_s
  FROM customs.outbox o
 WHERE o.published_at IS NULL
 GROUP BY o.topic;
COMMENT ON VIEW customs.outbox_backlog IS
    'Unpublished outbox rows per Kafka topic and the age of the oldest, in seconds.';

-- The consumer offsets of record, as `customsctl lag` compares them with the brokers.
CREATE VIEW customs.consumer_positions AS
SELECT c.group_id, c.topic, c.partition, c.next_offset, c.updated_at
  FROM customs.consumer_offsets c;
COMMENT ON VIEW customs.consumer_positions IS
    'Next offset to consume per (group, topic, partition), stored by apply_batch.';

-- Record one replay of quarantined record p_quarantine_id as the new Kafka record
-- (p_topic, p_partition, p_offset) whose value has SHA-256 p_sha256. Raises CS020 when there
-- is no such quarantined record. Returns the replay's id.
CREATE OR REPLACE FUNCTION customs.record_quarantine_replay(
    p_quarantine_id bigint, p_replayed_by text, p_corrected boolean, p_sha256 text,
    p_topic text, p_partition integer, p_offset bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM customs.quarantine_keys WHERE quarantine_id = p_quarantine_id) THEN
        RAISE EXCEPTION 'no quarantined record %', p_quarantine_id USING ERRCODE = 'CS020';
    END IF;
    INSERT INTO customs.quarantine_replays (quarantine_id, replayed_by, corrected, sha256,
                                            target_topic, target_partition, target_offset)
    VALUES (p_quarantine_id, p_replayed_by, p_corrected, p_sha256, p_topic, p_partition,
            p_offset)
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;
