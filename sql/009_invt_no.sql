-- 009_invt_no.sql - the inventory number (清单编号, CEB603/CEB604 invtNo, C18) customs
-- gives a declaration when it accepts it (docs/DOMAIN.md section 1: 4 customs code + 4 year
-- + I/E + 9-digit serial; an export list has E): customs.declarations.invt_no, set once by
-- the trigger customs.declarations_invt_no (repeatable/10_status.sql) when the parcel first
-- reaches a status of an accepted declaration, never changed after. The serial comes from
-- customs.invt_no_seq, which never cycles, and the unique index refuses a second use of a
-- number: a number is never reused, even when its parcel is later cancelled.
ALTER TABLE customs.declarations ADD COLUMN invt_no text;
ALTER TABLE customs.declarations ADD CONSTRAINT declarations_invt_no_form
    CHECK (invt_no ~ '^[0-9]{8}E[0-9]{9}$');
CREATE UNIQUE INDEX declarations_invt_no_key ON customs.declarations (invt_no);
CREATE SEQUENCE customs.invt_no_seq AS bigint MINVALUE 1 MAXVALUE 999999999 NO CYCLE;

-- Parcels an earlier release accepted get theirs now, in the order they were declared,
-- with the year of the upgrade (their acceptance time is in status_history, the number's
-- year says when it was given). The guard trigger refuses any change to a closed (899)
-- parcel, so it is off for this statement (it exists only on an upgraded database: the
-- repeatable files come after the numbered migrations).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger
                WHERE tgrelid = 'customs.declarations'::regclass
                  AND tgname = 'declarations_guard') THEN
        ALTER TABLE customs.declarations DISABLE TRIGGER declarations_guard;
    END IF;
END;
$$;
UPDATE customs.declarations d
   SET invt_no = n.invt_no
  FROM (SELECT x.logistics_no,
               CASE WHEN x.customs_code ~ '^[0-9]{4}$' THEN x.customs_code ELSE '0000' END
               || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY') || 'E'
               || lpad(nextval('customs.invt_no_seq')::text, 9, '0') AS invt_no
          FROM (SELECT logistics_no, customs_code FROM customs.declarations
                 WHERE status_code IN (399, 500, 501, 502, 503, 599, 800, 899)
                 ORDER BY declared_at, logistics_no) x) n
 WHERE d.logistics_no = n.logistics_no;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger
                WHERE tgrelid = 'customs.declarations'::regclass
                  AND tgname = 'declarations_guard') THEN
        ALTER TABLE customs.declarations ENABLE TRIGGER declarations_guard;
    END IF;
END;
$$;

-- Receipts and events still waiting in the outbox get the key every payload now has
-- (docs/DESIGN.md "Receipts and warehouse events"): the parcel's number, null before it.
UPDATE customs.outbox o
   SET payload = o.payload || jsonb_build_object('invtNo', d.invt_no)
  FROM customs.declarations d
 WHERE o.published_at IS NULL AND d.logistics_no = o.key;
UPDATE customs.outbox o
   SET payload = o.payload || '{"invtNo": null}'
 WHERE o.published_at IS NULL AND NOT o.payload ? 'invtNo';
