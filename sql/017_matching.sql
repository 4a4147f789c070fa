-- 017_matching.sql - three-document matching (三单对碰, docs/DOMAIN.md section 4 #20 and
-- #13; docs/DESIGN.md "Three-document matching"): an inventory whose trade mode needs its
-- order (CEB303) and waybill (CEB505) is recorded in 120 (海关入库, awaiting order /
-- waybill) and decided later, when both are stored ('matched'), or rejected at the
-- deadline ('matching_deadline'). The transitions out of 120 that exist for amendments
-- get these two events; a saved parcel (1) declared, and an amended parcel, may now wait
-- in 120 too. The partial index finds the waiting parcels for the sweep
-- (customs.matching_due, repeatable/59_matching.sql).
UPDATE customs.status_transitions
   SET events = events || ARRAY['matched'],
       description = description || '; or matched with its order and waybill'
 WHERE from_code = 120 AND to_code IN (100, 300, 399, 500);
UPDATE customs.status_transitions
   SET events = events || ARRAY['matching_deadline'],
       description = description || ', or its order / waybill did not come by the deadline'
 WHERE from_code = 120 AND to_code = 100;

INSERT INTO customs.status_transitions (from_code, to_code, events, requires_arrival, description)
VALUES (1, 120, '{declared,amendment}', false,
        'declared (appStatus 2) after being saved: awaiting its order / waybill'),
       (100, 120, '{amendment}', false, 'amended: awaiting its order / waybill'),
       (120, 120, '{amendment}', false, 'amended while awaiting its order / waybill'),
       (300, 120, '{amendment}', false, 'amended: awaiting its order / waybill'),
       (399, 120, '{amendment}', false, 'amended: awaiting its order / waybill');

CREATE INDEX declarations_waiting_idx ON customs.declarations (declared_at)
    WHERE status_code = 120;
