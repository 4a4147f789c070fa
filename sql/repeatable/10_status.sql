-- 10_status.sql - status codes in words, and the warehouse event each status calls for.
--
-- The customs receipt codes (CEB604 returnStatus, docs/DOMAIN.md section 2; lifecycle in
-- docs/DESIGN.md "Status lifecycle"). The same codes and English names as daemon/status.c:
-- tests/integration/test_status.c fails when either side has a code the other lacks, or a
-- name differs. A new code also goes into the CHECK of customs.declarations.status_code (a
-- numbered migration) and, if a transition leads to it, customs.status_transitions.
-- Plain CASE expressions on purpose: the planner inlines them into apply_batch's statements.

-- A JSON value as an array: itself when it is one, else [] (reasons and items that are
-- absent, null or not an array count as none). Every file reads such arrays through it.
CREATE OR REPLACE FUNCTION customs.array_or_empty(p_value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(p_value) = 'array' THEN p_value ELSE '[]'::jsonb END
$$;

-- English status name per code (daemon/status.c status_name()).
CREATE OR REPLACE FUNCTION customs.status_name(p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_code
        WHEN -1  THEN 'processing_error'
        WHEN 1   THEN 'saved'
        WHEN 100 THEN 'rejected'
        WHEN 120 THEN 'stored'
        WHEN 300 THEN 'manual_review'
        WHEN 399 THEN 'accepted'
        WHEN 500 THEN 'inspection'
        WHEN 501 THEN 'detained'
        WHEN 502 THEN 'detained'
        WHEN 503 THEN 'detained'
        WHEN 599 THEN 'detained'
        WHEN 700 THEN 'returned'
        WHEN 800 THEN 'released'
        WHEN 899 THEN 'closed'
        ELSE 'unknown'
    END
$$;
COMMENT ON FUNCTION customs.status_name(integer) IS 'English name of a customs status code.';

-- Chinese receipt wording per code (CEB604 returnStatus, docs/DOMAIN.md section 2).
CREATE OR REPLACE FUNCTION customs.status_label(p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_code
        WHEN -1  THEN '处理失败'
        WHEN 1   THEN '电子口岸已暂存'
        WHEN 100 THEN '海关退单'
        WHEN 120 THEN '海关入库'
        WHEN 300 THEN '人工审核'
        WHEN 399 THEN '海关审结'
        WHEN 500 THEN '查验'
        WHEN 501 THEN '扣留移送通关'
        WHEN 502 THEN '扣留移送缉私'
        WHEN 503 THEN '扣留移送法规'
        WHEN 599 THEN '其它扣留'
        WHEN 700 THEN '退运'
        WHEN 800 THEN '放行'
        WHEN 899 THEN '结关'
        ELSE '未知'
    END
$$;
COMMENT ON FUNCTION customs.status_label(integer) IS 'Chinese receipt wording of a status code.';

-- The warehouse event a status calls for, or NULL: release (800), inspect (500),
-- return (100 rejected or cancelled, 700 returned), detain (501-503, 599). The one mapping:
-- apply_batch's first decisions and every later change (customs.record_change) use it.
CREATE OR REPLACE FUNCTION customs.event_type_for(p_code integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_code = 800 THEN 'release'
                WHEN p_code = 500 THEN 'inspect'
                WHEN p_code IN (100, 700) THEN 'return'
                WHEN p_code IN (501, 502, 503, 599) THEN 'detain' END
$$;

-- The reasons in words: "R01: message; R07: message" (NULL for none).
CREATE OR REPLACE FUNCTION customs.reasons_text(p_reasons jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT string_agg(concat_ws(': ', r.e->>'rule_id', r.e->>'message'), '; ' ORDER BY r.n)
      FROM jsonb_array_elements(customs.array_or_empty(p_reasons)) WITH ORDINALITY AS r(e, n)
$$;

-- CEB604 returnInfo (C..1000): the status in words, then the details if any
-- ("海关退单 rejected: R01: ...; R07: ..."). A plain expression, so the planner inlines it.
CREATE OR REPLACE FUNCTION customs.return_info(p_code integer, p_reasons_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT left(customs.status_label(p_code) || ' ' || customs.status_name(p_code) ||
                coalesce(': ' || p_reasons_text, ''), 1000)
$$;
-- The reasons as the declarer reads them, for returnInfo: each rule's id, its Chinese text
-- (the rule's message_zh) and, in brackets, the English detail that names the field and
-- the value: "CEB603-GCODE: 商品编码(gcode)须为10位数字 (items[gnum=2].gcode: '92079' is
-- not 10 digits); ...". A reason without message_zh (a rule that has none, a -1's
-- transition, conflict or decode reason) reads as in reasons_text. NULL for none.
CREATE OR REPLACE FUNCTION customs.reasons_text_zh(p_reasons jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT string_agg(concat_ws(': ', r.e->>'rule_id',
                                coalesce((r.e->>'message_zh') || ' (' || (r.e->>'message') || ')',
                                         r.e->>'message_zh', r.e->>'message')),
                      '; ' ORDER BY r.n)
      FROM jsonb_array_elements(customs.array_or_empty(p_reasons)) WITH ORDINALITY AS r(e, n)
$$;

COMMENT ON FUNCTION customs.return_info(integer, text) IS
    'CEB604 returnInfo: status in words plus customs.reasons_text(reasons).';

-- The inventory number (清单编号, invtNo, C18; docs/DOMAIN.md section 1) of a declaration
-- accepted now: its customs code (4 digits; 0000 when it has none of that form), the year
-- in Beijing time, E (export), and the next serial of customs.invt_no_seq, 9 digits
-- (009_invt_no.sql). Each call takes a new serial: a number is never given twice.
CREATE OR REPLACE FUNCTION customs.invt_no_next(p_customs_code text) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN p_customs_code ~ '^[0-9]{4}$' THEN p_customs_code ELSE '0000' END
           || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY') || 'E'
           || lpad(nextval('customs.invt_no_seq')::text, 9, '0')
$$;

-- A declaration gets its invtNo when it first reaches a status of an accepted declaration
-- (399 accepted, and what follows an acceptance: 500 inspection, 501-503/599 detained,
-- 800 released, 899 closed), whichever path sets it (apply_batch's first decision, an
-- amendment, an officer); it keeps it for good, also when an amendment or a cancellation
-- later takes it to 100 (the number is not given to another parcel).
CREATE OR REPLACE FUNCTION customs.declarations_invt_no() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.invt_no := customs.invt_no_next(NEW.customs_code);
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER declarations_invt_no
    BEFORE INSERT OR UPDATE OF status_code ON customs.declarations
    FOR EACH ROW
    WHEN (NEW.invt_no IS NULL AND NEW.status_code IN (399, 500, 501, 502, 503, 599, 800, 899))
    EXECUTE FUNCTION customs.declarations_invt_no();
