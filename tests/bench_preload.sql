-- bench_preload.sql - BENCH_PRELOAD for tests/bench.sh: clone the declarations stored so far
-- (a sample that went through customsd) :rounds times, with their items, versions, status
-- history and outbox rows, under other keys (logisticsNo, orderNo, copNo, invtNo and the
-- outbox's key get '-R' appended, R the round, invtNo a number of its own; new event_ids
-- and ids), so that a run starts
-- with that many parcels stored. Triggers off (session_replication_role = replica): the rows
-- are copies of rows the triggers already checked. Then the tables are analysed.
\set ON_ERROR_STOP on
SELECT set_config('bench.rounds', :'rounds', false);
SET session_replication_role = replica;
DO $$
DECLARE
    t text;
    cols text;
    exprs text;
    rounds int := current_setting('bench.rounds')::int;
BEGIN
    IF rounds < 1 THEN
        RETURN;
    END IF;
    FOREACH t IN ARRAY ARRAY['declarations', 'declaration_items', 'declaration_versions',
                             'status_history', 'outbox'] LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
               string_agg(CASE
                   -- invtNo keeps its form (customs code, year, E, 9 digits): the clones'
                   -- sequence numbers from 500,000,000 up, past any the run will draw.
                   WHEN a.attname = 'invt_no' AND t = 'declarations'
                       THEN 'left(s.invt_no, 9) || (500000000 + r * 10000 + right(s.invt_no, 9)::bigint)'
                   WHEN a.attname IN ('logistics_no', 'order_no', 'cop_no', 'invt_no', 'key')
                       THEN format('s.%I || ''-'' || r', a.attname)
                   WHEN a.attname = 'event_id' THEN 'gen_random_uuid()'
                   ELSE format('s.%I', a.attname) END, ', ' ORDER BY a.attnum)
          INTO cols, exprs
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'customs' AND c.relname = t AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attname <> 'id';
        EXECUTE format('INSERT INTO customs.%I (%s) SELECT %s FROM customs.%I s, generate_series(1, %s) r',
                       t, cols, exprs, t, rounds);
    END LOOP;
END
$$;
RESET session_replication_role;
ANALYZE customs.declarations, customs.declaration_items, customs.declaration_versions,
        customs.status_history, customs.outbox;
