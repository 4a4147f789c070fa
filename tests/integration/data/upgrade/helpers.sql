-- helpers.sql - psql helpers that feed Kafka-shaped batches to customs.apply_batch() the way
-- customsd does (daemon/batch.c builds the same document, defined in daemon/batch.h), for
-- the upgrade fixture (make_fixture.sh) and tests/integration/test_upgrade.sh.
-- Session-local (pg_temp): nothing of them stays in the database. Consumer group 'customsd', topics customs.declarations
-- and mishan.warehouse.scans (partition 0), events and receipts to the default topics.

-- A CEB603 declaration (the "decl" object of daemon/batch.h, built by daemon/batch.c:
-- CEB603 names, decimals as strings, packNo and gnum as integers) for logisticsNo p_lno,
-- with p_items items.
-- p_app_type '1' declares, '2' amends, '3' cancels; p_variant changes the content.
CREATE FUNCTION pg_temp.fx_decl(p_lno text, p_app_type text, p_items integer,
                                p_variant text DEFAULT '') RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'guid', 'GUID-' || p_lno, 'appType', p_app_type, 'appTime', '20240512103000',
        'appStatus', '2', 'customsCode', '1900', 'portCode', '1900', 'ieFlag', 'E',
        'ieDate', '20240512', 'ebpCode', '2301960001', 'orderNo', 'ORD-' || p_lno,
        'ebcCode', '2301960002', 'ebcName', '鸡西乐器贸易有限公司',
        'logisticsCode', '2301960003', 'logisticsNo', p_lno, 'copNo', 'COP-' || p_lno,
        'agentCode', '2301960004', 'ownerCode', 'NO', 'tradeMode', '9610',
        'statisticsFlag', 'A', 'trafMode', '4', 'country', '344', 'POD', 'RU01',
        'freight', '0', 'fCurrency', '142', 'insuredFee', '0', 'iCurrency', '142',
        'wrapType', '2', 'packNo', 1,
        'grossWeight', CASE p_variant WHEN '' THEN '1.35' ELSE '2.5' END,
        'netWeight', '1.2', 'note', p_variant,
        'items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                      'gnum', g, 'itemNo', 'EG-' || g, 'itemName', '电吉他',
                      'gcode', CASE WHEN g % 2 = 1 THEN '9207900000' ELSE '8544422100' END,
                      'gname', '电吉他', 'gmodel', '6弦|实木|无品牌', 'barCode', '无',
                      'country', '344', 'currency', CASE WHEN g = 3 THEN '840' ELSE '142' END,
                      'qty', '1', 'unit', '011', 'qty1', '0.35', 'unit1', '035',
                      'price', (100 * g)::text || '.50', 'totalPrice', (100 * g)::text || '.50')
                      ORDER BY g), '[]')
                    FROM generate_series(1, p_items) AS g))
$$;

-- A declaration record as customsd sends it: the raw value is the decl's JSON text.
CREATE FUNCTION pg_temp.fx_declaration(p_decl jsonb, p_status integer,
                                       p_reasons jsonb DEFAULT '[]') RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'kind', 'declaration', 'topic', 'customs.declarations', 'partition', 0,
        'timestamp_ms', 1715480000000, 'logisticsNo', p_decl->>'logisticsNo',
        'sha256', encode(sha256(convert_to(p_decl::text, 'UTF8')), 'hex'),
        'payload', p_decl::text, 'status_code', p_status,
        'rules_version', '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
        'reasons', p_reasons, 'decl', p_decl)
$$;

-- A reason as the rules engine reports it.
CREATE FUNCTION pg_temp.fx_reason(p_rule text, p_action text, p_message text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_array(jsonb_build_object('rule_id', p_rule, 'action', p_action,
                                                'severity', 'error', 'message', p_message))
$$;

-- An undecodable record (kept byte-exact with the reason).
CREATE FUNCTION pg_temp.fx_quarantine(p_raw bytea, p_lno text, p_reason text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object('kind', 'quarantine', 'topic', 'customs.declarations',
                              'partition', 0, 'timestamp_ms', -1, 'logisticsNo', p_lno,
                              'raw_b64', encode(p_raw, 'base64'), 'reason', p_reason)
$$;

-- A warehouse scan record (arrival | departure at p_at, ISO 8601 with an offset).
CREATE FUNCTION pg_temp.fx_scan(p_lno text, p_scan text, p_at text) RETURNS jsonb
LANGUAGE sql AS $$
    WITH v AS (SELECT jsonb_build_object('logisticsNo', p_lno, 'scan', p_scan,
                                         'scannedAt', p_at, 'loctNo', '1900W00001',
                                         'totalPackageNo', 'PKG-0001')::text AS payload)
    SELECT jsonb_build_object('kind', 'scan', 'topic', 'mishan.warehouse.scans',
                              'partition', 0, 'timestamp_ms', 1715480000000,
                              'logisticsNo', p_lno, 'scan', p_scan, 'scannedAt', p_at,
                              'loctNo', '1900W00001', 'totalPackageNo', 'PKG-0001',
                              'sha256', encode(sha256(convert_to(v.payload, 'UTF8')), 'hex'),
                              'payload', v.payload)
      FROM v
$$;

-- One batch: the records in consumption order get the next offsets of their topic's
-- partition 0 (after the stored ones), fenced on the stored offsets like customsd.
-- Returns apply_batch's result.
CREATE FUNCTION pg_temp.fx_batch(VARIADIC p_records jsonb[]) RETURNS jsonb
LANGUAGE sql AS $$
    WITH r AS (
        SELECT x.rec, x.n, x.rec->>'topic' AS topic,
               coalesce((SELECT c.next_offset FROM customs.consumer_offsets c
                          WHERE c.group_id = 'customsd' AND c.topic = x.rec->>'topic'
                            AND c.partition = 0), -1) AS expected,
               row_number() OVER (PARTITION BY x.rec->>'topic' ORDER BY x.n) - 1 AS k
          FROM unnest(p_records) WITH ORDINALITY AS x(rec, n)
    )
    SELECT customs.apply_batch('customsd', jsonb_build_object(
        'topic_events', 'mishan.warehouse.events', 'topic_receipts', 'customs.receipts',
        'offsets', (SELECT jsonb_agg(jsonb_build_object(
                               'topic', o.topic, 'partition', 0, 'expected', o.expected,
                               'next', greatest(o.expected, 0) + o.n))
                      FROM (SELECT r.topic, min(r.expected) AS expected, count(*) AS n
                              FROM r GROUP BY r.topic) o),
        'records', (SELECT jsonb_agg(r.rec || jsonb_build_object(
                                         'offset', greatest(r.expected, 0) + r.k)
                                     ORDER BY r.n)
                      FROM r)))
$$;
