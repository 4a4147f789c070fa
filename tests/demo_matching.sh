# demo_matching.sh - sourced by tests/demo.sh (its q, say, die, officer, $work, $BUILD, $SEED,
# $CUSTOMSD_BOOTSTRAP, customsd_pid): three-document matching (三单对碰, docs/DESIGN.md
# "Three-document matching") on 300 more declarations, with a copy of the shipped rules that
# turns matching on for 9610 (the shipped Mishan set leaves it to the platform upstream).
# Orders (CEB303) and waybills (CEB505) are built from the declarations as recorded, one
# per parcel waiting in 120, with faults put in by the parcel's rank among them:
#   rank % 20 = 1  the order's goodsValue 10.00 above the items' total (MATCH-GOODS-VALUE)
#   rank % 20 = 2  the waybill's grossWeight 2 kg above the declaration's (MATCH-WEIGHT)
#   rank % 20 = 3  no order; rank % 20 = 4  no waybill (rejected at the deadline,
#                  MATCHING-DEADLINE, once 25 hours pass: declared_at is moved back)
# and the counts PostgreSQL records are checked against what was put in.

M=demo.matching
say "three-document matching (三单对碰): 300 more declarations, then their orders and waybills"
mkdir -p "$work/matching"
cp -r config/rules.yaml config/rates.yaml config/lists "$work/matching/"
sed -i 's/^  trade_modes: \[\]$/  trade_modes: ["9610"]/' "$work/matching/rules.yaml"
grep -q '^  trade_modes: \["9610"\]$' "$work/matching/rules.yaml" || die "could not turn matching on"
sed -e "s/^  group_id: customsd$/  group_id: customsd-matching\n  topics:\n    declarations: $M.declarations\n    scans: $M.scans\n    orders: $M.orders\n    waybills: $M.waybills/" \
    -e "s|^  path: .*rules.yaml$|  path: $work/matching/rules.yaml|" -e '/^metrics:/,$d' \
    "$work/customsd.yaml" > "$work/matching/customsd.yaml"
grep -q "orders: $M.orders" "$work/matching/customsd.yaml" || die "could not write the matching configuration"
"$BUILD/tools/gen_declarations" -n 300 -m 0 -s $((SEED + 1)) -o "$work/matching/declarations.frames"
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t $M.declarations -f "$work/matching/declarations.frames"
PGUSER=demo_customsd "$BUILD/customsd" -c "$work/matching/customsd.yaml" 2>"$work/matching/customsd.log" &
customsd_pid=$!

# until QUERY answers N (or die after 120 s)
until_sql() {
    local deadline=$(( $(date +%s) + 120 ))
    until [ "$(q "$1")" = "$2" ]; do
        kill -0 "$customsd_pid" 2>/dev/null || die "customsd exited early; see $work/matching/customsd.log"
        [ "$(date +%s)" -lt "$deadline" ] || die "timed out waiting for: $1 = $2"
        sleep 0.2
    done
}
until_sql "SELECT count(*) FROM customs.declarations WHERE source_topic = '$M.declarations'" 300
q "SELECT format('  %s %-15s %s', status_code, status, count(*)) FROM customs.declarations
    WHERE source_topic = '$M.declarations' GROUP BY status_code, status ORDER BY status_code"
waiting=$(q "SELECT count(*) FROM customs.declarations WHERE source_topic = '$M.declarations' AND status_code = 120")
echo "  $waiting of 300 wait in 120 for their order and waybill; the others were decided at once (own rules, or 9710)"

# The waiting parcels ranked, with their documents' JSON; frames as kafka_produce reads them.
ranked="SELECT row_number() OVER (ORDER BY d.logistics_no) AS rank, d.*, d.payload::jsonb AS p
          FROM customs.declarations d
         WHERE d.source_topic = '$M.declarations' AND d.status_code = 120"
q "CREATE TABLE demo_matching_plan AS SELECT logistics_no, rank % 20 AS fault FROM ($ranked) r"
q "WITH r AS ($ranked),
        o AS (SELECT r.order_no AS k, jsonb_build_object(
                  'guid', upper(gen_random_uuid()::text), 'appType', '1', 'appStatus', '2',
                  'appTime', r.p->>'appTime', 'orderType', 'E', 'orderNo', r.order_no,
                  'ebpCode', r.ebp_code, 'ebpName', r.p->>'ebpName', 'ebcCode', r.ebc_code,
                  'ebcName', r.ebc_name, 'freight', '0', 'currency', r.currency,
                  'consignee', 'Иванов Иван',
                  'goodsValue', (r.total_price + CASE WHEN r.rank % 20 = 1 THEN 10 ELSE 0 END)::text,
                  'items', (SELECT jsonb_agg(jsonb_build_object(
                                'gnum', i.gnum, 'itemNo', i.item_no, 'itemName', i.gname,
                                'gcode', i.gcode, 'unit', i.unit, 'currency', i.currency,
                                'qty', i.qty::text, 'price', i.price::text,
                                'totalPrice', i.total_price::text) ORDER BY i.line_no)
                              FROM customs.declaration_items i
                             WHERE i.logistics_no = r.logistics_no))::text AS v
                FROM r WHERE r.rank % 20 <> 3)
   SELECT format('%s %s', octet_length(k), octet_length(v)) || E'\n' || k || v FROM o" \
    > "$work/matching/orders.frames"
q "WITH r AS ($ranked),
        w AS (SELECT r.logistics_no AS k, jsonb_build_object(
                  'guid', upper(gen_random_uuid()::text), 'appType', '1', 'appStatus', '2',
                  'appTime', r.p->>'appTime', 'logisticsCode', r.logistics_code,
                  'logisticsName', r.p->>'logisticsName', 'logisticsNo', r.logistics_no,
                  'consignee', 'Иванов Иван', 'freight', '0', 'insuredFee', '0',
                  'currency', '142', 'packNo', r.pack_no, 'goodsInfo', 'goods',
                  'grossWeight', (r.gross_weight + CASE WHEN r.rank % 20 = 2 THEN 2 ELSE 0 END)::text
              )::text AS v
                FROM r WHERE r.rank % 20 <> 4)
   SELECT format('%s %s', octet_length(k), octet_length(v)) || E'\n' || k || v FROM w" \
    > "$work/matching/waybills.frames"
n_orders=$(grep -c '^[0-9]* [0-9]*$' "$work/matching/orders.frames" || true)
n_waybills=$(grep -c '^[0-9]* [0-9]*$' "$work/matching/waybills.frames" || true)
plan() { q "SELECT count(*) FROM demo_matching_plan WHERE $1"; }
want_goods=$(plan "fault = 1") want_weight=$(plan "fault = 2") want_missing=$(plan "fault IN (3, 4)")
want_matched=$(plan "fault NOT IN (1, 2, 3, 4)")
echo "  producing $n_orders orders and $n_waybills waybills: $want_goods with the goods value off,"
echo "  $want_weight with the weight 2 kg off, $want_missing with a document missing"
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t $M.waybills -f "$work/matching/waybills.frames"
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t $M.orders -f "$work/matching/orders.frames"
until_sql "SELECT count(*) FROM customs.declarations WHERE source_topic = '$M.declarations' AND status_code = 120" "$want_missing"
echo "  the sweep decided every parcel with both documents; $want_missing still wait"
q "UPDATE customs.declarations SET declared_at = declared_at - interval '25 hours'
    WHERE source_topic = '$M.declarations' AND status_code = 120" >/dev/null
echo "  25 hours pass for them (declared_at moved back): the next sweep rejects them"
until_sql "SELECT count(*) FROM customs.declarations WHERE source_topic = '$M.declarations' AND status_code = 120" 0
until_sql "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL" 0
kill -TERM "$customsd_pid"; wait "$customsd_pid" || die "customsd (matching) exited non-zero"
customsd_pid=""

# What PostgreSQL recorded for the parcels that waited, by the fault put in.
got() { q "SELECT count(*) FROM demo_matching_plan x JOIN customs.declarations d USING (logistics_no)
           WHERE $1"; }
has_rule() { echo "EXISTS (SELECT 1 FROM jsonb_array_elements(d.reasons) r WHERE r->>'rule_id' = '$1')"; }
matched=$(got "d.status_code <> 100 AND EXISTS (SELECT 1 FROM customs.status_history h
               WHERE h.logistics_no = d.logistics_no AND h.event = 'matched')")
goods=$(got "d.status_code = 100 AND $(has_rule MATCH-GOODS-VALUE)")
weight=$(got "d.status_code = 100 AND $(has_rule MATCH-WEIGHT)")
missing=$(got "d.status_code = 100 AND $(has_rule MATCHING-DEADLINE)")
echo "  matched and decided:                 $matched (put in: $want_matched)"
echo "  rejected, goodsValue (MATCH-GOODS-VALUE): $goods (put in: $want_goods)"
echo "  rejected, weight (MATCH-WEIGHT):     $weight (put in: $want_weight)"
echo "  rejected, documents missing (MATCHING-DEADLINE): $missing (put in: $want_missing)"
q "SELECT '  e.g. ' || d.logistics_no || ': ' || (r->>'message')
     FROM demo_matching_plan x JOIN customs.declarations d USING (logistics_no),
          jsonb_array_elements(d.reasons) r
    WHERE x.fault = 1 AND r->>'rule_id' = 'MATCH-GOODS-VALUE' ORDER BY 1 LIMIT 1"
[ "$matched" = "$want_matched" ] && [ "$goods" = "$want_goods" ] && [ "$weight" = "$want_weight" ] &&
    [ "$missing" = "$want_missing" ] || die "matching outcomes differ from what was put in"
[ "$((matched + goods + weight + missing))" = "$waiting" ] || die "not every waiting parcel was decided"
echo "  checks: PostgreSQL's outcomes = the faults put in, every waiting parcel decided"
q "DROP TABLE demo_matching_plan"
