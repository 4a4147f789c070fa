-- after.sql - one more batch and an officer's decision on the fixture's data
-- (tests/integration/test_upgrade.sh runs it after helpers.sql, with the earlier release's
-- functions and with the upgraded ones, and compares): the parcel whose arrival scan was
-- pending is declared (released at once), a redelivery, an amendment, a cancellation, an
-- amendment the state machine refuses (detained), a conflict, new declarations, two
-- undecodable records, a second arrival, a scan after 899, a departure not declared yet.
-- Prints apply_batch's result (its counts: the per-record report, "outcomes",
-- "details" and "earlier_scans", is newer than the previous release), then the officer's.
SELECT r - 'outcomes' - 'details' - 'earlier_scans' FROM pg_temp.fx_batch(
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-PEND-1', '1', 2), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-ACC-1', '1', 2), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-ACC-2', '2', 1, 'amended'), 300,
                           pg_temp.fx_reason('MISHAN-VALUE', 'review', 'value over 5000 CNY')),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-REV-1', '3', 1, 'cancel'), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-INS-2', '2', 1, 'late'), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-ACC-2', '1', 3, 'third'), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-NEW-1', '1', 1), 500,
                           pg_temp.fx_reason('MISHAN-RANDOM-2PCT', 'inspect', 'random sample')),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-NEW-2', '1', 3), 100,
                           pg_temp.fx_reason('CEB603-GCODE', 'reject', 'gcode not 10 digits')),
    pg_temp.fx_quarantine(convert_to('{"logisticsNo":"FX-BAD-2"', 'UTF8'), 'FX-BAD-2',
                          'invalid JSON at byte 25: unexpected end of input'),
    pg_temp.fx_quarantine('\x00ff'::bytea, NULL, 'invalid UTF-8 at byte 1'),
    pg_temp.fx_scan('FX-INS-1', 'arrival', '2024-05-12T10:31:00+08:00'),
    pg_temp.fx_scan('FX-ACC-1', 'arrival', '2024-05-14T09:00:00+08:00'),
    pg_temp.fx_scan('FX-NEW-9', 'departure', '2024-05-14T09:05:00+08:00')) AS r;
SELECT logistics_no, status_code, status, arrived
  FROM customs.record_inspection('FX-INS-1', 'passed', 'nothing found');
