-- 65_summary.sql - the monthly summary declaration (汇总申报, CEB701; tables:
-- 019_summary.sql). Under 9610 export, the inventories closed (899, after their departure)
-- in a month are summarised by the 15th of the next, per e-commerce enterprise, grouped by
-- ebcCode, trafMode, ownerCode, country (destination), portCode, the 10-digit HS code and
-- currency (docs/DOMAIN.md section 4 #24), and by the legal first unit (unit1), so that a line's
-- quantity adds up like with like. Months are the port's: Asia/Shanghai. An inventory's
-- month is the one of its first 899 in status_history; it must still be 899.
--
--   summary_month_range(month)        the month's bounds as timestamptz
--   summary_group(logistics_nos)      the grouped lines of those inventories (one definition)
--   summary_compute(month, ebc)       lines of the inventories closed in the month that no
--                                     filed summary holds (NULL ebc: every enterprise)
--   summary_lines(month, ebc)         what customsctl prints: the filed lines of an
--                                     enterprise that filed the month, computed lines for
--                                     the others (a filed summary is never recomputed)
--   file_summary(month, ebc)          file the month (one summary per enterprise; NULL:
--                                     each enterprise with closed inventories); a month not
--                                     over yet is refused; filing again returns the filed one
--   filed_summaries (view)            the filed summaries with their totals

CREATE OR REPLACE FUNCTION customs.summary_month_range(p_month date, OUT lo timestamptz,
                                                       OUT hi timestamptz)
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT date_trunc('month', p_month)::timestamp AT TIME ZONE 'Asia/Shanghai',
           (date_trunc('month', p_month) + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'
$$;

-- The inventories of a summary: 9610, closed (899) in the month, in no filed summary.
CREATE OR REPLACE FUNCTION customs.summary_inventories_of(p_month date, p_ebc text)
RETURNS TABLE (logistics_no text, invt_no text)
LANGUAGE sql STABLE AS $$
    SELECT d.logistics_no, d.invt_no
      FROM customs.declarations d
      JOIN LATERAL (SELECT min(h.recorded_at) AS closed_at
                      FROM customs.status_history h
                     WHERE h.logistics_no = d.logistics_no AND h.status_code = 899) c ON true,
           customs.summary_month_range(p_month) m
     WHERE d.status_code = 899
       AND d.trade_mode = '9610'
       AND (p_ebc IS NULL OR d.ebc_code = p_ebc)
       AND c.closed_at >= m.lo AND c.closed_at < m.hi
       AND NOT EXISTS (SELECT 1 FROM customs.summary_inventories s
                        WHERE s.logistics_no = d.logistics_no)
$$;

-- The grouped lines of the given inventories: quantities in the legal first unit (qty1 /
-- unit1, 法定计量单位, what customs' statistics count), values in the item's currency.
CREATE OR REPLACE FUNCTION customs.summary_group(p_logistics_nos text[])
RETURNS TABLE (ebc_code text, traf_mode text, owner_code text, country text, port_code text,
               gcode text, currency text, unit text, qty numeric, total_price numeric,
               inventory_count integer, invt_nos text[])
LANGUAGE sql STABLE AS $$
    SELECT d.ebc_code, d.traf_mode, d.owner_code, d.country, d.port_code, i.gcode,
           coalesce(i.currency, d.currency), i.unit1,
           sum(i.qty1), sum(i.total_price), count(DISTINCT d.logistics_no)::integer,
           array_agg(DISTINCT coalesce(d.invt_no, d.logistics_no) ORDER BY coalesce(d.invt_no, d.logistics_no))
      FROM customs.declarations d
      JOIN customs.declaration_items i ON i.logistics_no = d.logistics_no
     WHERE d.logistics_no = ANY (p_logistics_nos)
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
     ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
$$;

CREATE OR REPLACE FUNCTION customs.summary_compute(p_month date, p_ebc text DEFAULT NULL)
RETURNS TABLE (ebc_code text, traf_mode text, owner_code text, country text, port_code text,
               gcode text, currency text, unit text, qty numeric, total_price numeric,
               inventory_count integer, invt_nos text[])
LANGUAGE sql STABLE AS $$
    SELECT * FROM customs.summary_group(ARRAY(SELECT s.logistics_no
                                                FROM customs.summary_inventories_of(p_month, p_ebc) s))
$$;

CREATE OR REPLACE FUNCTION customs.summary_lines(p_month date, p_ebc text DEFAULT NULL)
RETURNS TABLE (summary_id bigint, filed_at timestamptz, ebc_code text, traf_mode text,
               owner_code text, country text, port_code text, gcode text, currency text,
               unit text, qty numeric, total_price numeric, inventory_count integer,
               invt_nos text[])
LANGUAGE sql STABLE AS $$
    SELECT s.summary_id, s.filed_at, l.ebc_code, l.traf_mode, l.owner_code, l.country,
           l.port_code, l.gcode, l.currency, l.unit, l.qty, l.total_price, l.inventory_count,
           ARRAY(SELECT coalesce(v.invt_no, v.logistics_no)
                   FROM customs.summary_inventories v
                   JOIN customs.declaration_items i ON i.logistics_no = v.logistics_no
                   JOIN customs.declarations d ON d.logistics_no = v.logistics_no
                  WHERE v.summary_id = s.summary_id
                    AND d.traf_mode IS NOT DISTINCT FROM l.traf_mode
                    AND d.owner_code IS NOT DISTINCT FROM l.owner_code
                    AND d.country IS NOT DISTINCT FROM l.country
                    AND d.port_code IS NOT DISTINCT FROM l.port_code
                    AND i.gcode IS NOT DISTINCT FROM l.gcode
                    AND coalesce(i.currency, d.currency) IS NOT DISTINCT FROM l.currency
                    AND i.unit1 IS NOT DISTINCT FROM l.unit
                  GROUP BY 1 ORDER BY 1)
      FROM customs.summaries s
      JOIN customs.summary_lines l USING (summary_id)
     WHERE s.month = date_trunc('month', p_month)::date
       AND (p_ebc IS NULL OR s.ebc_code = p_ebc)
    UNION ALL
    SELECT NULL, NULL, c.*
      FROM customs.summary_compute(p_month, p_ebc) c
     WHERE NOT EXISTS (SELECT 1 FROM customs.summaries s
                        WHERE s.month = date_trunc('month', p_month)::date
                          AND s.ebc_code = c.ebc_code)
     ORDER BY 3, 4, 5, 6, 7, 8, 9, 10
$$;

CREATE OR REPLACE FUNCTION customs.file_summary(p_month date, p_ebc text DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_month date := date_trunc('month', p_month)::date;
    v_ebc text;
    v_id bigint;
BEGIN
    IF now() < (customs.summary_month_range(v_month)).hi THEN
        RAISE EXCEPTION 'the month % is not over yet (Asia/Shanghai): a summary is filed after it',
                        to_char(v_month, 'YYYY-MM') USING ERRCODE = '22023';
    END IF;
    FOR v_ebc IN
        SELECT p_ebc WHERE p_ebc IS NOT NULL
        UNION
        SELECT DISTINCT c.ebc_code FROM customs.summary_compute(v_month, NULL) c WHERE p_ebc IS NULL
        UNION
        SELECT s.ebc_code FROM customs.summaries s WHERE p_ebc IS NULL AND s.month = v_month
        ORDER BY 1
    LOOP
        -- One filing of an enterprise's month at a time (class 603019 + 1: 65_summary).
        PERFORM pg_advisory_xact_lock(603065, hashtext(v_ebc || '/' || v_month));
        SELECT s.summary_id INTO v_id FROM customs.summaries s
         WHERE s.month = v_month AND s.ebc_code = v_ebc;
        IF NOT FOUND THEN
            INSERT INTO customs.summaries (month, ebc_code, line_count, inventory_count)
            VALUES (v_month, v_ebc, 0, 0) RETURNING summary_id INTO v_id;
            INSERT INTO customs.summary_inventories (logistics_no, summary_id, invt_no)
            SELECT i.logistics_no, v_id, i.invt_no FROM customs.summary_inventories_of(v_month, v_ebc) i;
            INSERT INTO customs.summary_lines (summary_id, line_no, ebc_code, traf_mode, owner_code,
                                               country, port_code, gcode, currency, unit, qty,
                                               total_price, inventory_count)
            SELECT v_id, row_number() OVER (ORDER BY c.traf_mode, c.owner_code, c.country,
                                                     c.port_code, c.gcode, c.currency, c.unit),
                   c.ebc_code, c.traf_mode, c.owner_code, c.country, c.port_code, c.gcode,
                   c.currency, c.unit, c.qty, c.total_price, c.inventory_count
              FROM customs.summary_group(ARRAY(SELECT v.logistics_no FROM customs.summary_inventories v
                                                WHERE v.summary_id = v_id)) c;
            UPDATE customs.summaries s
               SET line_count = (SELECT count(*) FROM customs.summary_lines l WHERE l.summary_id = v_id),
                   inventory_count = (SELECT count(*) FROM customs.summary_inventories v
                                       WHERE v.summary_id = v_id)
             WHERE s.summary_id = v_id;
        END IF;
        RETURN NEXT v_id;
    END LOOP;
END
$$;

DROP VIEW IF EXISTS customs.filed_summaries;
CREATE VIEW customs.filed_summaries AS
SELECT s.summary_id, to_char(s.month, 'YYYY-MM') AS month, s.ebc_code, s.line_count,
       s.inventory_count,
       (SELECT sum(l.total_price) FROM customs.summary_lines l WHERE l.summary_id = s.summary_id)
           AS total_price,
       s.filed_at, s.filed_by
  FROM customs.summaries s;
