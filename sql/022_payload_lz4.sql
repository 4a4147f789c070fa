-- 022_payload_lz4.sql - the raw record values are compressed with lz4 instead of pglz.
-- A declaration row with its payload (1.8 kB on average in `make bench`) is over the 2 kB
-- at which PostgreSQL compresses a row's values: pglz_compress took 7 % of the applying
-- backend's CPU (perf, BENCH_N=60000). lz4 compresses several times faster, decompresses
-- faster, and makes the values a little larger. Only values written from now on are lz4;
-- older ones stay pglz, and both are read alike.
ALTER TABLE customs.declarations ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE customs.declaration_versions ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE customs.warehouse_scans ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE customs.orders ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE customs.waybills ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE customs.payments ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE customs.document_versions ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE customs.document_rejections ALTER COLUMN payload SET COMPRESSION lz4;
