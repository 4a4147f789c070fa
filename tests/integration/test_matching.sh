#!/bin/bash
# test_matching.sh - three-document matching (三单对碰, docs/DESIGN.md "Three-document
# matching") through the mock Kafka cluster and PostgreSQL, with a copy of the shipped rules
# that turns matching on for 9610:
#   - declaration first: recorded in 120 with one 120 receipt and a reason naming the missing
#     order and waybill; the order alone leaves it waiting; the waybill then decides it
#     (event 'matched': 399, invtNo, receipt), released at once when it had arrived; an
#     amendment of a waiting parcel waits again and its amended content is matched
#   - documents first (on their own topics and partitions), then the declaration: decided
#     right after the batch that stored it
#   - mismatches rejected naming both sides: goods value, currency, an item line, weight
#     beyond the 0.5 kg tolerance, pack count; a consignee that differs
#   - an inventory failing its own checks rejected at once; a trade mode without matching
#     (9710) decided at once
#   - the deadline: a waiting parcel declared more than deadline_hours ago is rejected
#     (MATCHING-DEADLINE naming what is missing) by the sweep
#   - two instances of one group: 40 waiting parcels matched, each decided exactly once.
source "$(dirname "$0")/lib.sh"
N=mt${T_RUN}
rules=$(rules_copy "$T_DIR/rules")
sed -i 's/^  trade_modes: \[\]$/  trade_modes: ["9610"]/; s/^  deadline_hours: 24$/  deadline_hours: 1/' "$rules"
grep -q 'trade_modes: \["9610"\]' "$rules" && grep -q 'deadline_hours: 1$' "$rules" ||
    fail "could not turn matching on in the rules copy"
cfg=$(write_config "$N" 100 "$rules")
log=$T_DIR/customsd.log

# order ORDERNO [goodsValue=1399.00] [currency=142] [qty=2] [gcode=9207900000] [gnum=1]
# [consignee=...]: the CEB303 order of a t_decl parcel (one line: 2 x 699.50 CNY).
order() {
    local orderNo=$1 goodsValue=1399.00 currency=142 qty=2 gcode=9207900000 gnum=1 consignee="Иванов Иван" kv
    shift
    for kv in "$@"; do printf -v "${kv%%=*}" '%s' "${kv#*=}"; done
    printf '{"guid":"1A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512100000",'
    printf '"appStatus":"2","orderType":"E","orderNo":"%s","ebpCode":"2303960001",' "$orderNo"
    printf '"ebpName":"鸡西跨境电商平台","ebcCode":"2303960002","ebcName":"鸡西市石墨乐器",'
    printf '"goodsValue":"%s","freight":"0","currency":"%s","consignee":"%s",' "$goodsValue" "$currency" "$consignee"
    printf '"items":[{"gnum":%s,"itemNo":"IT-001","itemName":"货物","gcode":"%s","unit":"011",' "$gnum" "$gcode"
    printf '"currency":"142","qty":"%s","price":"699.50","totalPrice":"1399.00"}]}' "$qty"
}
# waybill LOGISTICSNO [grossWeight=3.6] [packNo=1] [consignee=...]: its CEB505 waybill.
waybill() {
    local logisticsNo=$1 grossWeight=3.6 packNo=1 consignee="Иванов Иван" kv
    shift
    for kv in "$@"; do printf -v "${kv%%=*}" '%s' "${kv#*=}"; done
    printf '{"guid":"2A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512100500",'
    printf '"appStatus":"2","logisticsCode":"2303960003","logisticsName":"密山国际物流",'
    printf '"logisticsNo":"%s","consignee":"%s","freight":"12.5","insuredFee":"0",' "$logisticsNo" "$consignee"
    printf '"currency":"142","grossWeight":"%s","packNo":%s,"goodsInfo":"货物"}' "$grossWeight" "$packNo"
}

dfr=$T_DIR/d.frames ofr=$T_DIR/o.frames wfr=$T_DIR/w.frames sfr=$T_DIR/s.frames
nd=0 no=0 nw=0 ns=0
: >"$dfr"; : >"$ofr"; : >"$wfr"; : >"$sfr"
add_d() { frame_json "$dfr" "$1" "$(t_decl "$@")"; nd=$((nd + 1)); }
add_o() { frame_json "$ofr" "ORD-$1" "$(order "ORD-$@")"; no=$((no + 1)); }
add_w() { frame_json "$wfr" "$1" "$(waybill "$@")"; nw=$((nw + 1)); }
send() {
    [ ! -s "$dfr" ] || produce "$N.declarations" "$dfr"
    [ ! -s "$ofr" ] || produce "$N.orders" "$ofr"
    [ ! -s "$wfr" ] || produce "$N.waybills" "$wfr"
    [ ! -s "$sfr" ] || produce "$N.scans" "$sfr"
    : >"$dfr"; : >"$ofr"; : >"$wfr"; : >"$sfr"
    wait_committed "$N" "$N.declarations" "$nd" 60 && wait_committed "$N" "$N.orders" "$no" 60 &&
        wait_committed "$N" "$N.waybills" "$nw" 60 && wait_committed "$N" "$N.scans" "$ns" 60
}
status() { q "SELECT status_code FROM customs.declarations WHERE logistics_no = '$1'"; }
# wait_status LNO CODE [SECONDS]: until the parcel has that status.
wait_status() {
    local deadline=$(( $(date +%s) + ${3:-30} ))
    until [ "$(status "$1")" = "$2" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
receipts_of() { q "SELECT string_agg(payload->>'returnStatus', ',' ORDER BY id) FROM customs.outbox WHERE key = '$1' AND type = 'receipt'"; }
history_of() { q "SELECT string_agg(concat(status_code, ':', event), ',' ORDER BY id) FROM customs.status_history WHERE logistics_no = '$1'"; }
reason_of() { q "SELECT string_agg(concat(r->>'rule_id', ': ', r->>'message'), ' | ') FROM customs.declarations d, jsonb_array_elements(d.reasons) r WHERE d.logistics_no = '$1'"; }

start_customsd "$cfg" "$log"

# ---- 1. Declaration first: 120 awaiting, the order alone keeps it waiting, then the waybill
A=YL$N-A H=YL$N-H
add_d "$A"; add_d "$H"
if send; then ok "declarations committed"; else fail "declarations not committed"; fi
check "A waits in 120" 120 "$(status "$A")"
check "A: one 120 receipt" 120 "$(receipts_of "$A")"
check "A: the reason names the missing order and waybill" \
    "MATCHING: awaiting order / waybill: order (ebpCode '2303960001', orderNo 'ORD-$A') and waybill (logisticsCode '2303960003', logisticsNo '$A')" \
    "$(reason_of "$A")"
check "A: no invtNo while waiting" "t" "$(q "SELECT invt_no IS NULL FROM customs.declarations WHERE logistics_no = '$A'")"
frame_json "$sfr" "$H" "$(t_scan "$H" arrival 2024-05-12T12:00:00+08:00)"; ns=$((ns + 1))
add_o "$A"; add_o "$H"
send || fail "orders not committed"
sleep 1 # the sweep after the batch had its chance: A must still wait (no waybill)
check "A with its order only still waits" 120 "$(status "$A")"
check "officers' parcel_documents: A's order beside its items, no waybill yet" "1399.00|1399.00|142|none" \
    "$(q "SELECT concat_ws('|', items_total::numeric(19,2), order_goods_value::numeric(19,2), order_currency, coalesce(waybill_gross_weight_kg::text, 'none')) FROM customs.parcel_documents WHERE logistics_no = '$A'")"
check "H arrived while waiting, still 120" "120|t" "$(q "SELECT concat_ws('|', status_code, arrived_at IS NOT NULL) FROM customs.declarations WHERE logistics_no = '$H'")"
add_w "$A"; add_w "$H"
send || fail "waybills not committed"
if wait_status "$A" 399; then ok "A matched: 399 once its waybill came"; else fail "A: status $(status "$A")"; fi
check "A: history declared 120, then matched 399" "120:declared,399:matched" "$(history_of "$A")"
check "officers' parcel_documents: A's waybill beside its declared weight and packs" "3.50000|3.60000|1|1" \
    "$(q "SELECT concat_ws('|', declared_gross_weight_kg, waybill_gross_weight_kg, declared_pack_no, waybill_pack_no) FROM customs.parcel_documents WHERE logistics_no = '$A'")"
check "A: receipts 120 then 399, with an invtNo" "120,399|t" \
    "$(receipts_of "$A")|$(q "SELECT invt_no IS NOT NULL FROM customs.declarations WHERE logistics_no = '$A'")"
if wait_status "$H" 800; then ok "H (arrived) matched and released at once"; else fail "H: status $(status "$H")"; fi
check "H: history" "120:declared,399:matched,800:release" "$(history_of "$H")"

# An amendment (appType 2) of a waiting parcel waits again; the sweep decides the amended
# content (grossWeight 3.9: 0.3 kg from the waybill's 3.6, within the tolerance).
M=YL$N-M
add_d "$M"
send || fail "M not committed"
add_d "$M" appType=2 grossWeight=3.9 netWeight=3.5
send || fail "M's amendment not committed"
check "M amended while waiting: still 120" "120:declared,120:amendment" "$(history_of "$M")"
add_o "$M"; add_w "$M"
send || fail "M's documents not committed"
if wait_status "$M" 399 10; then ok "M matched on its amended content"; else fail "M: status $(status "$M")"; fi
check "M: version 2 matched" "2|3.90000" "$(q "SELECT concat_ws('|', version, gross_weight) FROM customs.declarations WHERE logistics_no = '$M'")"

# ---- 2. Documents first, on their own topics, then the declaration --------------------
B=YL$N-B
add_o "$B"; add_w "$B"
send || fail "documents not committed"
add_d "$B"
send || fail "declaration B not committed"
if wait_status "$B" 399 10; then ok "B decided right after its batch (documents first)"; else fail "B: status $(status "$B")"; fi
check "B: history" "120:declared,399:matched" "$(history_of "$B")"

# ---- 3. Mismatches, own checks, a trade mode without matching -------------------------
C1=YL$N-C1 C2=YL$N-C2 C3=YL$N-C3 C4=YL$N-C4 C5=YL$N-C5 C6=YL$N-C6 C7=YL$N-C7 D=YL$N-D
for p in $C1 $C2 $C3 $C4 $C5 $C6 $C7; do add_d "$p"; done
add_o "$C1" goodsValue=1499.00; add_w "$C1"
add_o "$C2" currency=300; add_w "$C2"
add_o "$C3" qty=3 gcode=9207100000; add_w "$C3"
add_o "$C4"; add_w "$C4" grossWeight=4.2
add_o "$C5"; add_w "$C5" packNo=2
add_o "$C6"; add_w "$C6" consignee="Петров Пётр"
add_o "$C7" gnum=2; add_w "$C7"
E1=YL$N-E1
add_d "$E1" gcode=92079 # breaks its own check CEB603-GCODE: rejected at once
t_decl "$D" | sed 's/"tradeMode":"9610"/"tradeMode":"9710"/' >"$T_DIR/d.json"
grep -q '"tradeMode":"9710"' "$T_DIR/d.json" || fail "could not make a 9710 declaration"
frame "$dfr" "$D" "$T_DIR/d.json"; nd=$((nd + 1))
send || fail "mismatch batch not committed"
for p in $C1 $C2 $C3 $C4 $C5 $C6 $C7; do
    wait_status "$p" 100 10 || fail "$p: status $(status "$p"), expected 100"
done
check "C1 goods value names both sides" \
    "MATCH-GOODS-VALUE: goodsValue of order 'ORD-$C1' is 1499, the inventory's items total 1399" "$(reason_of "$C1")"
check "C2 currency" \
    "MATCH-CURRENCY: currency of order 'ORD-$C2' is '300', the inventory's items[gnum=1].currency is '142'" "$(reason_of "$C2")"
check "C3 item line: gcode and qty" \
    "MATCH-ITEMS: gcode of order 'ORD-$C3' line gnum=1 is '9207100000', the inventory's is '9207900000'; qty of order 'ORD-$C3' line gnum=1 is 3, the inventory's is 2" "$(reason_of "$C3")"
check "C4 weight beyond the tolerance" \
    "MATCH-WEIGHT: grossWeight of waybill '$C4' is 4.2 kg, the inventory's is 3.5 kg (0.7 kg apart, tolerance 0.5 kg)" "$(reason_of "$C4")"
check "C5 pack count" \
    "MATCH-PACKNO: packNo of waybill '$C5' is 2, the inventory's is 1" "$(reason_of "$C5")"
check "C6 consignee" \
    "MATCH-CONSIGNEE: consignee of order 'ORD-$C6' is 'Иванов Иван', of waybill '$C6' 'Петров Пётр'" "$(reason_of "$C6")"
check "C7 lines missing on both sides" \
    "MATCH-ITEMS: items[gnum=1] of the inventory has no line in order 'ORD-$C7'; order 'ORD-$C7' line gnum=2 is not in the inventory" "$(reason_of "$C7")"
check "C1: history 120 declared, 100 matched; receipts 120, 100" "120:declared,100:matched|120,100" \
    "$(history_of "$C1")|$(receipts_of "$C1")"
check "C1: the rejection receipt carries the reason" "MATCH-GOODS-VALUE" \
    "$(q "SELECT payload->'reasons'->0->>'rule_id' FROM customs.outbox WHERE key = '$C1' AND type = 'receipt' ORDER BY id DESC LIMIT 1")"
check "E1 failing its own check: rejected at once, never waiting" "100:declared|120,100" \
    "$(history_of "$E1")|$(receipts_of "$E1")"
check "D (9710, no matching) decided at once" "399:declared" "$(history_of "$D")"

# ---- 4. The deadline ------------------------------------------------------------------
F1=YL$N-F1 F2=YL$N-F2
add_d "$F1"; add_d "$F2"; add_o "$F2"
send || fail "deadline batch not committed"
check "F1, F2 wait" "120 120" "$(status "$F1") $(status "$F2")"
q "UPDATE customs.declarations SET declared_at = declared_at - interval '61 minutes' WHERE logistics_no IN ('$F1', '$F2')" >/dev/null
if wait_status "$F1" 100 15 && wait_status "$F2" 100 15; then ok "past the deadline: rejected by the sweep"; else
    fail "deadline: F1 $(status "$F1"), F2 $(status "$F2")"; fi
check "F1: the reason names both documents" \
    "MATCHING-DEADLINE: the order and waybill did not come within 1 h of the declaration (three-document matching)" "$(reason_of "$F1")"
check "F2 (order came): names the waybill" \
    "MATCHING-DEADLINE: the waybill did not come within 1 h of the declaration (three-document matching)" "$(reason_of "$F2")"
check "F1: history, receipts" "120:declared,100:matching_deadline|120,100" "$(history_of "$F1")|$(receipts_of "$F1")"
add_w "$F2"
send || fail "late waybill not committed"
sleep 1
check "a late waybill does not reopen a rejected parcel" "120:declared,100:matching_deadline" "$(history_of "$F2")"

# ---- 5. Two instances of the group: each parcel decided once --------------------------
start_customsd "$cfg" "$T_DIR/b.log"
deadline=$(( $(date +%s) + 45 ))
until grep -q "partition(s) assigned" "$T_DIR/b.log" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.2
done
grep -q "partition(s) assigned" "$T_DIR/b.log" && ok "the second instance was assigned partitions" || fail "the second instance never got partitions"
G=()
for i in $(seq 1 40); do G+=("YL$N-G$i"); add_d "YL$N-G$i"; done
send || fail "group declarations not committed"
for p in "${G[@]}"; do add_o "$p"; add_w "$p"; done
send || fail "group documents not committed"
deadline=$(( $(date +%s) + 30 ))
while [ "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no LIKE 'YL$N-G%' AND status_code = 399")" -lt 40 ] &&
      [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
check "40 parcels matched" 40 "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no LIKE 'YL$N-G%' AND status_code = 399")"
check "each decided once: 40 'matched' history rows, 40 receipts 399" "40 40" \
    "$(q "SELECT count(*) FROM customs.status_history WHERE logistics_no LIKE 'YL$N-G%' AND event = 'matched'") $(q "SELECT count(*) FROM customs.outbox WHERE key LIKE 'YL$N-G%' AND type = 'receipt' AND payload->>'returnStatus' = '399'")"
check "no refused transition" 0 "$(q "SELECT count(*) FROM customs.refused_transitions WHERE logistics_no LIKE 'YL$N-%'")"
grep -q "parcel $A (.*): recorded 120 stored by MATCHING (awaiting order / waybill)$" "$log" && ok "the log says A waits" || fail "no waiting line for $A in the log"
grep -q "parcel $A: matched with its order and waybill -> 399 accepted$" "$log" && ok "the log names matched parcels" || fail "no matching line for $A in the log"
grep -q "parcel $H: matched with its order and waybill -> 399 accepted, now 800 released$" "$log" && ok "... with the release that followed" || fail "no matching line for $H with its release"
grep -q "parcel $C1: matched with its order and waybill -> 100 rejected: goodsValue of order" "$log" && ok "... with the mismatch" || fail "no matching line for $C1"
if grep -q "matching sweep: .*; retrying" "$log" "$T_DIR/b.log"; then fail "a sweep failed: $(grep -h 'matching sweep: .*retrying' "$log" "$T_DIR/b.log" | head -1)"; else ok "no sweep failed"; fi
finish
