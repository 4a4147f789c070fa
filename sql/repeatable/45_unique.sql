-- 45_unique.sql - who already holds a key of pre-check 19 (docs/DOMAIN.md section 4:
-- orderNo unique per ebpCode, copNo unique per sender): the database's half of the rules'
-- check kind `unique` (config/RULES.md). The daemon calls customs.unique_holders in the
-- transaction of the batch it is about to apply, with the keys the batch's declarations
-- carry (request and answer: daemon/unique.h), decides with the answer, then calls
-- apply_batch and commits: a key is looked up and claimed under one lock, so two instances
-- of the consumer group never both accept two parcels with the same orderNo.

-- A key's field names (CEB603 header fields, e.g. "ebpCode") as the columns of
-- customs.declarations that store them ("ebp_code"), or an error naming the one that is
-- not a stored text column.
CREATE OR REPLACE FUNCTION customs.unique_columns(p_fields text[])
RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_cols text[] := '{}';
    v_field text;
    v_col text;
BEGIN
    FOREACH v_field IN ARRAY p_fields LOOP
        v_col := lower(regexp_replace(v_field, '([a-z0-9])([A-Z])', '\1_\2', 'g'));
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = 'customs.declarations'::regclass
                          AND a.attname = v_col AND a.atttypid = 'text'::regtype
                          AND a.attnum > 0 AND NOT a.attisdropped) THEN
            -- Not about the batch's data: the rules file names a field the database does
            -- not store. feature_not_supported: the daemon pauses, it does not quarantine.
            RAISE EXCEPTION 'unique key field % is not a stored text column of '
                            'customs.declarations (%)', v_field, v_col
                USING ERRCODE = 'feature_not_supported';
        END IF;
        v_cols := v_cols || v_col;
    END LOOP;
    RETURN v_cols;
END;
$$;

-- The holders of the keys in p_request ({"keys": [{"f": [field...], "v": [value...]}...]}):
-- [{"i": index in keys, "h": [logisticsNo, at most two, earliest declared first]}] for the
-- keys some parcel holds. A parcel holds its key while its status is neither 1 (saved:
-- not declared to customs yet) nor 100 (rejected or cancelled) nor -1.
-- First every key is locked (transaction-scoped advisory locks, in one order, so that two
-- batches never wait on each other in a circle); the lookups run after, in later
-- statements, so they see what a batch that held a lock committed meanwhile.
CREATE OR REPLACE FUNCTION customs.unique_holders(p_request jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_fields jsonb;
    v_cols text[];
    v_where text;
    v_part jsonb;
    v_answer jsonb := '[]';
BEGIN
    -- Lock class 603019: CEB603 pre-check 19, apart from the relay's one-key lease.
    PERFORM pg_advisory_xact_lock(603019, l.h)
       FROM (SELECT DISTINCT hashtext(k.value::text) AS h
               FROM jsonb_array_elements(p_request->'keys') k
              ORDER BY 1) l;

    FOR v_fields IN SELECT DISTINCT k.value->'f' FROM jsonb_array_elements(p_request->'keys') k
    LOOP
        v_cols := customs.unique_columns(ARRAY(SELECT jsonb_array_elements_text(v_fields)));
        SELECT string_agg(format('d.%I = k.key->''v''->>%s', c.col, c.n - 1), ' AND ')
          INTO v_where
          FROM unnest(v_cols) WITH ORDINALITY AS c(col, n);
        EXECUTE format(
            'SELECT coalesce(jsonb_agg(jsonb_build_object(''i'', k.i - 1, ''h'', to_jsonb(h.lnos))), ''[]'')
               FROM jsonb_array_elements($1->''keys'') WITH ORDINALITY AS k(key, i)
               CROSS JOIN LATERAL (
                   SELECT ARRAY(SELECT d.logistics_no FROM customs.declarations d
                                 WHERE %s AND d.status_code NOT IN (-1, 1, 100)
                                 ORDER BY d.declared_at, d.logistics_no LIMIT 2) AS lnos) h
              WHERE k.key->''f'' = $2 AND cardinality(h.lnos) > 0', v_where)
          INTO v_part USING p_request, v_fields;
        v_answer := v_answer || v_part;
    END LOOP;
    RETURN v_answer;
END;
$$;
COMMENT ON FUNCTION customs.unique_holders(jsonb) IS
    'Pre-check 19: lock the keys of a batch and name the parcels that hold them (daemon/unique.h).';
