-- 011_unique_keys.sql - indexes for pre-check 19 (docs/DOMAIN.md section 4): the rules'
-- `unique` keys are looked up in the batch's transaction (customs.unique_holders,
-- sql/repeatable/45_unique.sql) by the stored columns of customs.declarations. orderNo
-- already has a hash index (006_baseline.sql); copNo gets one, hash for the same reason:
-- the text is not length-checked before storage and a btree entry over ~2.7 kB would fail
-- a whole batch. ebpCode and agentCode are tested on the few rows these find.
CREATE INDEX declarations_cop_no_idx ON customs.declarations USING hash (cop_no);
