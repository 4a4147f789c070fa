-- rows.sql - every row of every table of schema customs (but the bookkeeping of migrate.sh:
-- schema_migrations, schema_release), one line
-- each: "table {row as JSON}", sorted, without what differs between two runs of the same
-- input: times the database set (timestamptz columns, but the scan and Kafka times that
-- come from the records) and generated uuids (event_id, also inside outbox payloads, with
-- occurred_at and returnTime). tests/integration/test_upgrade.sh compares two databases
-- with it. Left out as well, what an upgrade adds by design (009_invt_no.sql, the receipts
-- as the platform sends them): declarations.invt_no, the payloads' invtNo, and the 120
-- receipts a new declaration gets before its decision (the outbox ids are numbered again
-- without them: "n", in id order), and the declaration's codes a receipt carries since
-- 021_receipt_codes.sql (customsCode, ebpCode, ebcCode, agentCode: test_store checks
-- them). test_upgrade.sh checks the others on their own. A table
-- partitioned by 018_partitions.sql is read through its parent (its partitions are left
-- out), and the quarantine's key table it adds (quarantine_keys) is checked on its own.
CREATE FUNCTION pg_temp.fx_rows() RETURNS SETOF text
LANGUAGE plpgsql AS $f$
DECLARE
    v_t    record;
    v_drop text[];
BEGIN
    FOR v_t IN SELECT c.oid, c.relname FROM pg_class c
                WHERE c.relnamespace = 'customs'::regnamespace AND c.relkind IN ('r', 'p')
                  AND NOT c.relispartition
                  AND c.relname NOT IN ('schema_migrations', 'schema_release', 'quarantine_keys')
                ORDER BY c.relname LOOP
        SELECT coalesce(array_agg(a.attname::text), '{}') INTO v_drop
          FROM pg_attribute a
         WHERE a.attrelid = v_t.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND ((a.atttypid = 'timestamptz'::regtype
                 AND a.attname NOT IN ('arrived_at', 'departed_at', 'scanned_at',
                                       'source_timestamp'))
                OR a.atttypid = 'uuid'::regtype
                OR (v_t.relname = 'declarations' AND a.attname = 'invt_no')
                OR (v_t.relname = 'outbox' AND a.attname = 'id'));
        RETURN QUERY EXECUTE format(
            $q$SELECT %L || ' ' ||
                      (CASE WHEN jsonb_typeof(j->'payload') = 'object'
                            THEN j || jsonb_build_object('payload', (j->'payload')
                                      - '{event_id,occurred_at,returnTime,invtNo,customsCode,ebpCode,ebcCode,agentCode}'::text[])
                            ELSE j END)::text
                 FROM (SELECT to_jsonb(t) - %L::text[]
                              || CASE WHEN %L = 'outbox' THEN jsonb_build_object(
                                     'n', row_number() OVER (ORDER BY (to_jsonb(t)->>'id')::bigint))
                                 ELSE '{}' END AS j
                         FROM customs.%I t
                        WHERE to_jsonb(t)->'payload'->>'returnStatus' IS DISTINCT FROM '120') x
                ORDER BY 1$q$,
            v_t.relname, v_drop, v_t.relname, v_t.relname);
    END LOOP;
END;
$f$;
SELECT * FROM pg_temp.fx_rows();
