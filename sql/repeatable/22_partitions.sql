-- 22_partitions.sql - the time partitions of customs.status_history, customs.outbox and
-- customs.quarantine (tables: 018_partitions.sql): the quarantine's one-record-once key
-- (quarantine_key_claim), the months created ahead (partitions_ensure) and the outbox's
-- published rows pruned after the retention (outbox_prune). customsd's relay calls
-- partitions_ensure and outbox_prune once an hour while it holds the relay lease (one
-- instance of the group at a time; daemon/relay.c); cron can call them as well.

-- BEFORE INSERT on customs.quarantine: claim the record's (topic, partition, offset) in
-- customs.quarantine_keys; a record quarantined already is skipped (the row is not stored
-- and not RETURNed), as ON CONFLICT DO NOTHING on the old unique key did.
CREATE OR REPLACE FUNCTION customs.quarantine_key_claim() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customs.quarantine_keys
        (source_topic, source_partition, source_offset, quarantine_id, received_at)
    VALUES (NEW.source_topic, NEW.source_partition, NEW.source_offset, NEW.id,
            NEW.received_at)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER quarantine_key_claim
    BEFORE INSERT ON customs.quarantine
    FOR EACH ROW EXECUTE FUNCTION customs.quarantine_key_claim();

-- The partition of p_table holding instant p_at (UTC): the outbox has a partition per
-- day, outbox_pYYYYMMDD (its rows are dropped a few days after, by the day); status_history
-- and quarantine one per month, <table>_pYYYYMM. (018_partitions.sql made month partitions
-- of the outbox for the months that held rows when it ran: a day inside one of those is
-- not created.)
CREATE OR REPLACE FUNCTION customs.partition_name(p_table text, p_at timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT p_table || '_p' || to_char(p_at AT TIME ZONE 'UTC',
                                      CASE p_table WHEN 'outbox' THEN 'YYYYMMDD' ELSE 'YYYYMM' END)
$$;

-- Give partition p_part of customs.p_table the privileges the table has.
CREATE OR REPLACE FUNCTION customs.partition_grants(p_table text, p_part text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_acl record;
BEGIN
    FOR v_acl IN
        SELECT a.grantee, string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privs
          FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = format('customs.%I', p_table)::regclass AND a.grantee <> c.relowner
         GROUP BY a.grantee
    LOOP
        EXECUTE format('GRANT %s ON customs.%I TO %s', v_acl.privs, p_part,
                       CASE WHEN v_acl.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident(v_acl.grantee::regrole::text) END);
    END LOOP;
END;
$$;

-- Create the partitions of status_history and quarantine (months) and of the outbox (days)
-- from p_from to p_days_ahead days after now (all UTC), those not there yet. A period
-- whose rows already went to the table's DEFAULT partition (nobody created it in time)
-- cannot be created while they are there: it is skipped with a WARNING (the rows stay in
-- the DEFAULT partition, which works, and is pruned by row). Waits at most 2 s for the
-- table's lock (creating a partition locks the table; a long batch may hold it): else
-- skipped with a WARNING, for the next call. Returns the number of partitions created.
-- SECURITY DEFINER: runs as the tables' owner.
CREATE OR REPLACE FUNCTION customs.partitions_ensure(p_days_ahead integer DEFAULT 7,
                                                     p_from timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '2s' AS $$
DECLARE
    v_table text;
    v_step interval;
    v_m timestamp; -- a period's first instant, UTC
    v_last timestamp;
    v_name text;
    v_created integer := 0;
BEGIN
    IF p_days_ahead IS NULL OR p_days_ahead < 0 OR p_days_ahead > 3660 THEN
        RAISE EXCEPTION 'partitions_ensure: days ahead must be 0..3660, got %',
            p_days_ahead USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH v_table IN ARRAY ARRAY['status_history', 'outbox', 'quarantine'] LOOP
        v_step := CASE v_table WHEN 'outbox' THEN interval '1 day' ELSE interval '1 month' END;
        v_m := date_trunc(CASE v_table WHEN 'outbox' THEN 'day' ELSE 'month' END,
                          least(p_from, now()) AT TIME ZONE 'UTC');
        v_last := (now() AT TIME ZONE 'UTC') + make_interval(days => p_days_ahead);
        WHILE v_m <= v_last LOOP
            v_name := customs.partition_name(v_table, v_m AT TIME ZONE 'UTC');
            -- A day of the outbox inside a month partition made by 018: there already.
            IF to_regclass(format('customs.%I', v_name)) IS NULL
               AND to_regclass(format('customs.%I_p%s', v_table, to_char(v_m, 'YYYYMM'))) IS NULL
            THEN
                BEGIN
                    EXECUTE format('CREATE TABLE customs.%I PARTITION OF customs.%I
                                        FOR VALUES FROM (%L) TO (%L)',
                                   v_name, v_table, v_m AT TIME ZONE 'UTC',
                                   (v_m + v_step) AT TIME ZONE 'UTC');
                    -- The table's privileges, as 90_grants.sql gives them to the partitions
                    -- there when it runs (access through the table needs none).
                    PERFORM customs.partition_grants(v_table, v_name);
                    v_created := v_created + 1;
                EXCEPTION
                    WHEN check_violation THEN
                        RAISE WARNING 'partitions_ensure: %: rows of that period are in %_default already; not created',
                            v_name, v_table;
                    WHEN lock_not_available THEN
                        RAISE WARNING 'partitions_ensure: % busy; % left for the next run',
                            v_table, v_name;
                END;
            END IF;
            v_m := v_m + v_step;
        END LOOP;
    END LOOP;
    RETURN v_created;
END;
$$;
-- Prune the outbox's published rows older than p_retention (published_at before now() -
-- p_retention); an unpublished row is never touched. A partition (a day, or a month made
-- by 018_partitions.sql) that ended before that cutoff and holds only such rows is
-- dropped whole (detached, then dropped: no row DELETE, no dead tuples); in such a
-- partition that still holds a row to keep, and in the DEFAULT partition, the rows to
-- prune are deleted. The partition the cutoff falls in is left whole until it ends: a row
-- stays at most a day longer than p_retention. p_retention NULL or not positive: nothing
-- is pruned. Returns the partitions dropped and the rows deleted. Dropping a partition
-- takes an ACCESS EXCLUSIVE lock on the outbox until the caller's transaction ends (call
-- it alone, autocommit): the rows are deleted first, the partitions dropped last; a lock
-- not had within 2 s (a long batch running) leaves that partition for the next call.
-- SECURITY DEFINER: runs as the tables' owner.
CREATE OR REPLACE FUNCTION customs.outbox_prune(p_retention interval,
                                                OUT dropped integer, OUT deleted bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '2s' AS $$
DECLARE
    v_cutoff timestamptz := now() - p_retention;
    v_drop oid[] := '{}';
    v_rows oid[] := ARRAY['customs.outbox_default'::regclass::oid];
    v_part record;
    v_busy boolean;
BEGIN
    dropped := 0;
    deleted := 0;
    IF p_retention IS NULL OR p_retention <= interval '0' THEN
        RETURN;
    END IF;
    -- The partitions that ended before the cutoff (periods are UTC, read from the name).
    -- No new row lands in a period that has ended.
    FOR v_part IN
        SELECT p.oid, p.oid::regclass AS rel
          FROM (SELECT c.oid, c.relname,
                       CASE length(c.relname)
                           WHEN 14 THEN to_date(substr(c.relname, 9), 'YYYYMM')::timestamp
                                        + interval '1 month'
                           ELSE to_date(substr(c.relname, 9), 'YYYYMMDD')::timestamp
                                + interval '1 day' END AS ends
                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'customs.outbox'::regclass
                   AND c.relname ~ '^outbox_p([0-9]{6}|[0-9]{8})$') p
         WHERE (p.ends AT TIME ZONE 'UTC') <= v_cutoff
         ORDER BY p.relname
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE published_at IS NULL
                                                          OR published_at >= $1)', v_part.rel)
            INTO STRICT v_busy USING v_cutoff;
        IF v_busy THEN
            v_rows := v_rows || v_part.oid;
        ELSE
            v_drop := v_drop || v_part.oid;
        END IF;
    END LOOP;
    -- The rows to prune in partitions kept, by DELETE.
    DELETE FROM customs.outbox o
     WHERE o.published_at < v_cutoff AND o.created_at < v_cutoff
       AND o.tableoid = ANY (v_rows);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    -- The whole partitions last: their lock is held until the caller commits.
    FOR v_part IN SELECT d.oid::regclass AS rel FROM unnest(v_drop) AS d(oid) LOOP
        BEGIN
            EXECUTE format('LOCK TABLE customs.outbox, %s IN ACCESS EXCLUSIVE MODE', v_part.rel);
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE published_at IS NULL
                                                              OR published_at >= $1)', v_part.rel)
                INTO STRICT v_busy USING v_cutoff;
            IF NOT v_busy THEN
                EXECUTE format('ALTER TABLE customs.outbox DETACH PARTITION %s', v_part.rel);
                EXECUTE format('DROP TABLE %s', v_part.rel);
                dropped := dropped + 1;
            END IF;
        EXCEPTION WHEN lock_not_available THEN
            RAISE WARNING 'outbox_prune: % busy; left for the next run', v_part.rel;
        END;
    END LOOP;
END;
$$;
