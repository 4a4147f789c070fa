-- before.sql - the data of the upgrade fixture: what customsd and the officers did on a
-- database migrated by the earlier release, through that release's customs.apply_batch()
-- and officer functions (make_fixture.sh runs it after helpers.sql). Every outbox row ends
-- up published, as the relay would have done.

-- Declarations in several statuses, and an undecodable record.
SELECT pg_temp.fx_batch(
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-ACC-1', '1', 2), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-ACC-2', '1', 3), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-INS-1', '1', 1), 500,
                           pg_temp.fx_reason('MISHAN-RANDOM-2PCT', 'inspect', 'random sample')),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-INS-2', '1', 2), 500,
                           pg_temp.fx_reason('MISHAN-BATTERY', 'inspect', 'lithium battery')),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-REV-1', '1', 1), 300,
                           pg_temp.fx_reason('MISHAN-VALUE', 'review', 'value over 5000 CNY')),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-REJ-1', '1', 1), 100,
                           pg_temp.fx_reason('CEB603-GCODE', 'reject', 'gcode not 10 digits')),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-CAN-1', '1', 1), 399),
    pg_temp.fx_quarantine(convert_to('{"logisticsNo":"FX-BAD-1",', 'UTF8'), 'FX-BAD-1',
                          'invalid JSON at byte 26: unexpected end of input'));

-- A redelivery (duplicate), a conflict, an amendment, a cancellation; arrival scans: an
-- accepted parcel is released, one under inspection held, one not declared yet pending; a
-- departure before release refused.
SELECT pg_temp.fx_batch(
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-ACC-1', '1', 2), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-ACC-2', '1', 3, 'other'), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-REJ-1', '2', 2, 'amended'), 399),
    pg_temp.fx_declaration(pg_temp.fx_decl('FX-CAN-1', '3', 1, 'cancel'), 399),
    pg_temp.fx_scan('FX-ACC-1', 'arrival', '2024-05-12T10:30:00+08:00'),
    pg_temp.fx_scan('FX-INS-1', 'arrival', '2024-05-12T10:31:00+08:00'),
    pg_temp.fx_scan('FX-PEND-1', 'arrival', '2024-05-12T10:32:00+08:00'),
    pg_temp.fx_scan('FX-REV-1', 'departure', '2024-05-12T10:33:00+08:00'));

-- The released parcel leaves (closed, 899); an officer detains a parcel under inspection.
SELECT pg_temp.fx_batch(pg_temp.fx_scan('FX-ACC-1', 'departure', '2024-05-13T08:00:00+08:00'));
SELECT * FROM customs.record_inspection('FX-INS-2', 'detained', 'undeclared batteries', 502);

UPDATE customs.outbox SET published_at = now() WHERE published_at IS NULL;
