-- 010_saved.sql - status 1, saved (电子口岸已暂存; CEB604 returnStatus 1, docs/DOMAIN.md
-- section 2): a declaration sent with appStatus 1 (暂存) is recorded and receipted as saved,
-- never decided (docs/DOMAIN.md section 4, pre-check 22). Only a declaration with appStatus 2
-- (申报) goes to customs' decision: the declarer's next declaration of the same logisticsNo
-- (appType 1 or 2) replaces the saved content and is decided then ('declared', or
-- 'amendment'), or saves it again (status 1); a cancellation (appType 3) withdraws it.
-- No other path leaves 1: no officer decision, no scan, no release.
ALTER TABLE customs.declarations DROP CONSTRAINT declarations_status_code_check;
ALTER TABLE customs.declarations ADD CONSTRAINT declarations_status_code_check
    CHECK (status_code IN (-1, 1, 100, 120, 300, 399, 500, 501, 502, 503, 599, 700, 800, 899));

INSERT INTO customs.status_transitions (from_code, to_code, events, requires_arrival, description)
SELECT 1, t,
       ARRAY['declared', 'amendment'] || CASE WHEN t = 100 THEN ARRAY['cancellation'] ELSE '{}' END,
       false,
       CASE WHEN t = 1 THEN 'saved again (appStatus 1): the new content replaces the saved one'
            WHEN t = 100 THEN 'declared (appStatus 2) and rejected, or cancelled by the declarer'
            ELSE 'declared (appStatus 2) after being saved: decided under the current rules' END
  FROM unnest(ARRAY[1, 100, 300, 399, 500]) AS t;
