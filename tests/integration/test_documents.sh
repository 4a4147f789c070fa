#!/bin/bash
# test_documents.sh - orders (CEB303), waybills (CEB505) and receipts of payment (CEB403) in,
# through the mock Kafka cluster and PostgreSQL: each stored once under its standard key
# (exact decimals), a second version stored with the first kept as history, the same bytes
# again a no-op, a readable document that breaks its format rejected with a receipt naming
# the document, its key and the reason, unreadable ones quarantined byte-exact; then the
# stored offsets of the three topics are rewound (every record delivered again) and nothing
# is recorded twice; a batch with a stale fence on an orders partition is refused (CS001).
source "$(dirname "$0")/lib.sh"
N=dc${T_RUN}
cfg=$(write_config "$N" 100)
sed -i "/^    receipts: /a\\    payments: $N.payments" "$cfg"
grep -q "payments: $N.payments" "$cfg" || fail "payments topic not configured"
log=$T_DIR/customsd.log

# order ORDERNO GOODSVALUE QTY: a CEB303 order of one line (unit price 699.55).
order() {
    printf '{"guid":"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512103000",'
    printf '"appStatus":"2","orderType":"E","orderNo":"%s","ebpCode":"2303960001",' "$1"
    printf '"ebpName":"鸡西跨境电商平台","ebcCode":"2303960002","ebcName":"鸡西市石墨乐器",'
    printf '"goodsValue":"%s","freight":"0","currency":"142","buyerName":"Иванов","consignee":"Иванов Иван",' "$2"
    printf '"consigneeAddress":"Владивосток","consigneeCountry":"344","items":[{"gnum":1,"itemNo":"IT-1",'
    printf '"itemName":"吉他","gcode":"9207900000","unit":"011","currency":"142","qty":"%s",' "$3"
    printf '"price":"699.55","totalPrice":"%s"}]}' "$2"
}
waybill() { # LOGISTICSNO WEIGHT
    printf '{"guid":"1A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512103000",'
    printf '"appStatus":"2","logisticsCode":"2303960003","logisticsName":"密山国际物流","logisticsNo":"%s",' "$1"
    printf '"consignee":"Иванов Иван","freight":"12.5","insuredFee":"0","currency":"142",'
    printf '"grossWeight":"%s","packNo":1,"goodsInfo":"吉他"}' "$2"
}
payment() { # ORDERNO CHARGE
    printf '{"guid":"2A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512103000",'
    printf '"appStatus":"2","ebcCode":"2303960002","ebcName":"鸡西市石墨乐器","orderNo":"%s",' "$1"
    printf '"payCode":"2303960009","payName":"支付","payNo":"PAY-%s","charge":"%s","currency":"142",' "$1" "$2"
    printf '"accountingDate":"20240512103000"}'
}

O1=ORD-$N-1 O2=ORD-$N-2 OB=ORD-$N-BAD W1=YL$N-1
of=$T_DIR/orders.frames wf=$T_DIR/waybills.frames pf=$T_DIR/payments.frames
: >"$of"; : >"$wf"; : >"$pf"
frame_json "$of" "$O1" "$(order "$O1" 1399.10 2)"       # O1 version 1
frame_json "$of" "$O2" "$(order "$O2" 699.55 1)"        # O2 version 1
frame_json "$of" "$O1" "$(order "$O1" 2098.65 3)"       # O1 version 2 replaces version 1
frame_json "$of" "$O1" "$(order "$O1" 1399.10 2)"       # version 1's bytes again: no-op
frame_json "$of" "$OB" "$(order "$OB" 1,399.10 2)"      # readable, breaks CEB303: rejected
frame_json "$of" "x" 'not json {'                       # unreadable: quarantined
frame_json "$wf" "$W1" "$(waybill "$W1" 3.50000)"
frame_json "$wf" "$W1" "$(waybill "$W1" 3.6)"           # version 2
frame_json "$wf" "y" "{\"logisticsNo\":\"YLQ$N\",\"packNo\":1,\"packNo\":2}" # a key twice: quarantined
frame_json "$pf" "$O1" "$(payment "$O1" 2098.65)"
produce "$N.orders" "$of"
produce "$N.waybills" "$wf"
produce "$N.payments" "$pf"

start_customsd "$cfg" "$log"
wait_all() {
    wait_committed "$N" "$N.orders" 6 60 && wait_committed "$N" "$N.waybills" 3 60 &&
        wait_committed "$N" "$N.payments" 1 60
}
if wait_all; then ok "all 10 records committed"; else fail "committed: orders $(committed "$N" "$N.orders"), waybills $(committed "$N" "$N.waybills"), payments $(committed "$N" "$N.payments")"; fi

counts() {
    q "SELECT (SELECT count(*) FROM customs.orders WHERE source_topic = '$N.orders') || ' ' ||
              (SELECT count(*) FROM customs.order_items i JOIN customs.orders o USING (ebp_code, order_no)
                WHERE o.source_topic = '$N.orders') || ' ' ||
              (SELECT count(*) FROM customs.waybills WHERE source_topic = '$N.waybills') || ' ' ||
              (SELECT count(*) FROM customs.payments WHERE source_topic = '$N.payments') || ' ' ||
              (SELECT count(*) FROM customs.document_versions WHERE source_topic LIKE '$N.%') || ' ' ||
              (SELECT count(*) FROM customs.document_rejections WHERE source_topic LIKE '$N.%') || ' ' ||
              (SELECT count(*) FROM customs.quarantine WHERE source_topic LIKE '$N.%') || ' ' ||
              (SELECT count(*) FROM customs.outbox WHERE topic = '$N.receipts')"
}
# orders, lines, waybills, payments, versions, rejections, quarantined, receipts (the
# rejected order's, the -1 of the quarantined waybill, whose logisticsNo could be read)
want="2 2 1 1 2 1 2 2"
check "stored: orders lines waybills payments versions rejections quarantined receipts" "$want" "$(counts)"
check "order O1: version 2 is current, exact decimals" "2|2098.65000|3.00000|2098.65000" \
    "$(q "SELECT o.version, o.goods_value, i.qty, i.total_price FROM customs.orders o
          JOIN customs.order_items i USING (ebp_code, order_no)
          WHERE o.ebp_code = '2303960001' AND o.order_no = '$O1'")"
check "order O1: version 1 kept as history" "1|1399.10" \
    "$(q "SELECT v.version, v.payload::jsonb->>'goodsValue' FROM customs.document_versions v
          WHERE v.document = 'order' AND v.key_a = '2303960001' AND v.key_b = '$O1'")"
check "order O1: buyer and consignee stored" "Иванов|Иван" \
    "$(q "SELECT buyer_name, split_part(consignee, ' ', 2) FROM customs.orders WHERE order_no = '$O1'")"
check "waybill: version 2 by (logisticsCode, logisticsNo), weight exact" "2|3.60000|1" \
    "$(q "SELECT version, gross_weight, pack_no FROM customs.waybills
          WHERE logistics_code = '2303960003' AND logistics_no = '$W1'")"
check "payment by (ebcCode, orderNo)" "1|2098.65000|142" \
    "$(q "SELECT version, charge, currency FROM customs.payments
          WHERE ebc_code = '2303960002' AND order_no = '$O1'")"
check "the rejected order is stored nowhere else" 0 "$(q "SELECT count(*) FROM customs.orders WHERE order_no = '$OB'")"
check "rejection kept with its reason" "order|2303960001|t" \
    "$(q "SELECT document, key_a, reasons::text LIKE '%goodsValue%' FROM customs.document_rejections WHERE key_b = '$OB'")"
check "quarantined byte-exact, with reasons" "2" \
    "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic LIKE '$N.%'
          AND (raw = convert_to('not json {', 'UTF8') AND reason LIKE 'invalid JSON%'
                   AND logistics_no IS NULL
               OR reason LIKE 'duplicate key \"packNo\"%' AND logistics_no = 'YLQ$N')")"
check "the quarantined waybill's sender gets a -1 receipt" "-1" \
    "$(q "SELECT payload->>'returnStatus' FROM customs.outbox WHERE topic = '$N.receipts' AND key = 'YLQ$N'")"

# The receipt on the topic: the document kind, its key, 100 and the reason.
receipt=$(consume "$N.receipts" '%k %s\n' | grep "^$OB " || true)
[ -n "$receipt" ] && ok "rejection receipt published, keyed by orderNo" || fail "no receipt for $OB on $N.receipts"
r=${receipt#* }
check "receipt names the document and its key" "order|2303960001|$OB|100" \
    "$(q "SELECT concat_ws('|', j->>'document', j->>'ebpCode', j->>'orderNo', j->>'returnStatus')
          FROM (SELECT \$\$$r\$\$::jsonb AS j) x")"
case $r in *goodsValue*"'1,399.10'"*) ok "receipt gives the reason (goodsValue '1,399.10')" ;;
*) fail "receipt reason: $r" ;; esac
grep -q "order 2303960001 $O1 ($N.orders \[[0-9]*\] offset [0-9]*): stored order version 2" "$log" &&
    ok "log: version 2 stored" || fail "no 'stored order version 2' line in the log"
grep -q "$OB ($N.orders \[[0-9]*\] offset [0-9]*): rejected (100): receipt sent: CEB303-FORMAT" "$log" &&
    ok "log: rejection" || fail "no rejection line in the log"

# Every record delivered again: nothing recorded twice, no second receipt.
stop_customsd TERM
check "exit status" 0 "$STOP_RC"
check "offsets stored per (topic, partition) for the three topics" 3 \
    "$(q "SELECT count(DISTINCT topic) FROM customs.consumer_offsets WHERE group_id = '$N'")"
q "UPDATE customs.consumer_offsets SET next_offset = 0 WHERE group_id = '$N'"
start_customsd "$cfg" "$log"
if wait_all; then ok "all re-read after the rewind"; else fail "re-read stalled"; fi
stop_customsd TERM
check "after redelivery: nothing twice" "$want" "$(counts)"
check "after redelivery: O1 still at version 2" 2 "$(q "SELECT version FROM customs.orders WHERE order_no = '$O1'")"
grep -q "$OB ($N.orders \[[0-9]*\] offset [0-9]*): rejected (100): rejected before, no second receipt" "$log" &&
    ok "log: the rejection delivered again sends no second receipt" ||
    fail "no 'rejected before' line in the log"
grep -q "order 2303960001 $O1 ($N.orders \[[0-9]*\] offset [0-9]*): duplicate, nothing changed: order: the content of version 2" "$log" &&
    ok "log: version 2 delivered again is a duplicate" || fail "no duplicate line for version 2"

# As the daemon's role (customsd: no DELETE but on the lines an order's new version
# replaces): an order, its second version, a rejected one.
rec() { # OFFSET DOC SHA STATUS
    printf '{"kind":"order","topic":"%s.r","partition":0,"offset":%s,"timestamp_ms":-1,"doc":%s,"sha256":"%s","payload":"{}","status_code":%s,"reasons":[{"rule_id":"CEB303-FORMAT","action":"reject","message":"x"}]}' \
        "$N" "$1" "$2" "$3" "$4"
}
batch="{\"offsets\":[{\"topic\":\"$N.r\",\"partition\":0,\"expected\":-1,\"next\":3}],\"records\":[
$(rec 0 "{\"orderNo\":\"R$N\",\"ebpCode\":\"E\",\"items\":[{\"gnum\":1}]}" s1 120),
$(rec 1 "{\"orderNo\":\"R$N\",\"ebpCode\":\"E\",\"items\":[{\"gnum\":2}]}" s2 120),
$(rec 2 "{\"orderNo\":\"R$N\"}" s3 100)],\"topic_events\":\"$N.events\",\"topic_receipts\":\"$N.receipts\"}"
check "as role customsd: an order, its second version, a rejection" "VVJ" \
    "$(psql -X -A -t -q -v ON_ERROR_STOP=1 -c "SET ROLE customsd" \
        -c "SELECT customs.apply_batch('$N-role', \$\$$batch\$\$)->>'outcomes'" 2>&1)"
check "... the second version's lines" "2" \
    "$(q "SELECT string_agg(gnum::text, ',') FROM customs.order_items WHERE order_no = 'R$N'")"

# The fence: a batch on an orders partition that expects an offset not stored is refused.
part=$(q "SELECT partition FROM customs.consumer_offsets WHERE group_id = '$N' AND topic = '$N.orders' AND next_offset > 0 LIMIT 1")
out=$(psql -X -A -t -q -c "SELECT customs.apply_batch('$N', '{\"offsets\":[{\"topic\":\"$N.orders\",
      \"partition\":$part,\"expected\":0,\"next\":1}],\"records\":[],\"topic_events\":\"e\",
      \"topic_receipts\":\"r\"}')" 2>&1 || true)
case $out in *"offset fence failed for $N.orders/$part"*) ok "stale fence on $N.orders/$part refused" ;;
*) fail "stale fence not refused: $out" ;; esac
finish
