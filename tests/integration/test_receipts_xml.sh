#!/bin/bash
# test_receipts_xml.sh - receipts.format xml on the real stack: declarations accepted,
# rejected (one whose reason quotes "<&>" and Cyrillic back) and one quarantined with a
# -1 receipt each reach the receipts topic as CEB604Message XML with a content-type:
# application/xml header, keyed by logisticsNo, each well-formed (xmllint), exactly once
# per receipt row of customs.outbox, with guid = the row's event_id and every
# InventoryReturn field equal to the row's JSON payload (customs.outbox_payload, the one
# definition); fields the payload has as null are left out. A rejected order's receipt
# (not an inventory) stays JSON with content-type application/json; warehouse events stay
# JSON without a header. A receipt row whose payload cannot be converted (put into the
# outbox by hand) is published as JSON all the same, with a log line and
# customsd_receipts_xml_fallbacks_total 1, and the rows after it are not held up.
source "$(dirname "$0")/lib.sh"
N=rx${T_RUN}
rules=$(rules_copy "$T_DIR/rules")
cfg=$(write_config "$N" 100 "$rules")
port=$((20000 + T_RUN % 30000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
printf 'metrics:\n  listen: "127.0.0.1:%s"\nreceipts:\n  format: xml\n' "$port" >>"$cfg"
log=$T_DIR/customsd.log

A1=$N-A1 A2=$N-A2 R1=$N-R1 R2=$N-R2 Q1=$N-Q1 OB=ORD-$N-BAD
frames=$T_DIR/decl.frames orders=$T_DIR/orders.frames
: >"$frames"; : >"$orders"
frame_json "$frames" "$A1" "$(t_decl "$A1")"
frame_json "$frames" "$A2" "$(t_decl "$A2" copNo="COP-$N-密山-Мишань")"
frame_json "$frames" "$R1" "$(t_decl "$R1" gcode=92079)"
frame_json "$frames" "$R2" "$(t_decl "$R2" gcode='9<2&>Ж')"
# a key given twice: quarantined, its sender told with a -1 receipt (no guid, no copNo)
frame_json "$frames" "$Q1" "$(t_decl "$Q1" | sed 's/"packNo":1,/"packNo":1,"packNo":2,/')"
n_decl=5
frame_json "$orders" "$OB" '{"guid":"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512103000","appStatus":"2","orderType":"E","orderNo":"'"$OB"'","ebpCode":"2303960001","ebpName":"平台","ebcCode":"2303960002","ebcName":"企业","goodsValue":"1,399.10","freight":"0","currency":"142","buyerName":"Иванов","consignee":"Иванов","consigneeAddress":"Владивосток","consigneeCountry":"344","items":[{"gnum":1,"itemNo":"IT-1","itemName":"吉他","gcode":"9207900000","unit":"011","currency":"142","qty":"2","price":"699.55","totalPrice":"1399.10"}]}'
produce "$N.declarations" "$frames"
produce "$N.orders" "$orders"

start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" "$n_decl" 60 && wait_committed "$N" "$N.orders" 1 60; then
    ok "all records committed, the outbox drained"
else
    fail "not committed or not published: $(committed "$N" "$N.declarations") declarations"
    tail -20 "$log"
fi

# A receipt row whose payload cannot be converted (no returnStatus), then a declaration's
# receipts behind it: all published, the broken one as JSON.
q "INSERT INTO customs.outbox (topic, key, type, payload)
   VALUES ('$N.receipts', '$N-BROKEN', 'receipt',
           '{\"event_id\": \"00000000-0000-4000-8000-000000000001\", \"type\": \"receipt\",
             \"returnInfo\": \"x\", \"returnTime\": \"20240512023000123\"}')"
A3=$N-A3
: >"$frames"
frame_json "$frames" "$A3" "$(t_decl "$A3")"
produce "$N.declarations" "$frames"
n_decl=$((n_decl + 1))
wait_committed "$N" "$N.declarations" "$n_decl" 60 && ok "the rows after a broken receipt are published" ||
    fail "the rows after a broken receipt stay unpublished"
metrics=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics")
check "customsd_receipts_xml_fallbacks_total" 1 \
    "$(awk '$1 == "customsd_receipts_xml_fallbacks_total" { print $2 }' <<<"$metrics")"
stop_customsd TERM
check "customsd exits 0 on SIGTERM" 0 "$STOP_RC"
grep -q "receipt [0-9]* (logisticsNo $N-BROKEN) cannot be written as CEB604 XML, published as JSON: receipt payload: \"returnStatus\" missing" "$log" &&
    ok "the broken receipt is said in the log" || fail "no log line for the broken receipt"

# Every record of the receipts topic: key, content-type, value (kcat's JSON envelope).
kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t "$N.receipts" -o beginning -e -q -J 2>/dev/null >"$T_DIR/receipts.jsonl"
n_rows=$(q "SELECT count(*) FROM customs.outbox WHERE topic = '$N.receipts'")
check "one record per receipt row" "$n_rows" "$(wc -l <"$T_DIR/receipts.jsonl")"
ct() { jq -r '[.headers // [] | _nwise(2) | select(.[0] == "content-type") | .[1]] | join(",")'; }

n_xml=0
xv() { xmllint --xpath "string(/*[local-name()='CEB604Message']$1)" "$T_DIR/r.xml"; }
ir() { xv "/*[local-name()='InventoryReturn']/*[local-name()='$1']"; }
has() { xmllint --xpath "count(/*/*[local-name()='InventoryReturn']/*[local-name()='$1'])" "$T_DIR/r.xml"; }
declare -A seen
while IFS= read -r rec; do
    key=$(jq -r .key <<<"$rec")
    type=$(ct <<<"$rec")
    jq -j .payload <<<"$rec" >"$T_DIR/r.xml"
    [ "$type" = application/xml ] || continue
    n_xml=$((n_xml + 1))
    if ! xmllint --noout --nonet "$T_DIR/r.xml" 2>"$T_DIR/xmlerr"; then
        fail "$key: not well-formed: $(head -3 "$T_DIR/xmlerr")"; continue
    fi
    ns=$(xmllint --xpath "namespace-uri(/*)" "$T_DIR/r.xml")
    [ "$ns" = http://www.chinaport.gov.cn/ceb ] || fail "$key: namespace '$ns'"
    id=$(xv "/@guid" | tr 'A-F' 'a-f')
    seen[$id]=$((${seen[$id]:-0} + 1))
    # The row's payload, field by field ('' for null), and what the XML says.
    want=$(q "SELECT concat_ws('|', key, coalesce(payload->>'guid', ''),
                                coalesce(payload->>'customsCode', ''), coalesce(payload->>'ebpCode', ''),
                                coalesce(payload->>'ebcCode', ''), coalesce(payload->>'agentCode', ''),
                                coalesce(payload->>'copNo', ''),
                                coalesce(payload->>'invtNo', ''), payload->>'returnStatus',
                                payload->>'returnTime', payload->>'returnInfo')
                FROM customs.outbox WHERE topic = '$N.receipts' AND event_id = '$id'")
    got="$key"
    for f in guid customsCode ebpCode ebcCode agentCode copNo invtNo returnStatus returnTime returnInfo; do
        if [ "$(has "$f")" = 1 ]; then got="$got|$(ir "$f")"; else got="$got|"; fi
    done
    if [ "$got" = "$want" ]; then ok "$key: CEB604 = the outbox row's payload ($(ir returnStatus))"; else
        fail "$key: XML '$got' but the row says '$want'"; fi
    [ "$(xv /@version)" = 1.0 ] || fail "$key: version"
done <"$T_DIR/receipts.jsonl"

# Each declaration receipt row once as XML: 120 + decision for the 5 decided, -1 for Q1.
n_decl_rows=$(q "SELECT count(*) FROM customs.outbox WHERE topic = '$N.receipts' AND NOT payload ? 'document'
                   AND key <> '$N-BROKEN'")
check "every declaration receipt published as XML" "$n_decl_rows" "$n_xml"
check "... each exactly once" "$n_xml" "${#seen[@]}"
check "receipts: 3x 120+399, 2x 120+100, Q1 -1" 11 "$n_decl_rows"
for lno in "$A1" "$A2" "$A3" "$R1" "$R2" "$Q1"; do
    got=$(q "SELECT string_agg(payload->>'returnStatus', ',' ORDER BY id) FROM customs.outbox
              WHERE topic = '$N.receipts' AND key = '$lno'")
    case $lno in
    "$A1" | "$A2" | "$A3") want=120,399 ;; "$Q1") want=-1 ;; *) want=120,100 ;;
    esac
    check "$lno: receipts in the database" "$want" "$got"
done
# The texts on the topic, as a declarer's parser reads them.
rec=$(jq -c "select(.key == \"$R2\")" "$T_DIR/receipts.jsonl" | tail -1)
jq -j .payload <<<"$rec" >"$T_DIR/r.xml"
grep -q '&lt;2&amp;&gt;Ж' "$T_DIR/r.xml" && ok "$R2: '<&>' escaped, Cyrillic as UTF-8" ||
    fail "$R2: escaping: $(cat "$T_DIR/r.xml")"
case $(ir returnInfo) in *"CEB603-GCODE"*"'9<2&>Ж'"*) ok "$R2: returnInfo reads back with the reason" ;;
*) fail "$R2: returnInfo '$(ir returnInfo)'" ;; esac
rec=$(jq -c "select(.key == \"$A2\")" "$T_DIR/receipts.jsonl" | tail -1)
jq -j .payload <<<"$rec" >"$T_DIR/r.xml"
check "$A2: the accepted receipt's invtNo and copNo" "$(q "SELECT invt_no FROM customs.declarations WHERE logistics_no = '$A2'")|COP-$N-密山-Мишань" \
    "$(ir invtNo)|$(ir copNo)"
check "$A2: the accepted receipt's customsCode, ebpCode, ebcCode, agentCode: the declaration's" \
    "$(q "SELECT concat_ws('|', customs_code, ebp_code, ebc_code, agent_code) FROM customs.declarations WHERE logistics_no = '$A2'")" \
    "$(ir customsCode)|$(ir ebpCode)|$(ir ebcCode)|$(ir agentCode)"
rec=$(jq -c "select(.key == \"$Q1\")" "$T_DIR/receipts.jsonl")
jq -j .payload <<<"$rec" >"$T_DIR/r.xml"
check "$Q1: the -1 receipt has no guid, copNo, invtNo or codes" "0 0 0 0 0 -1" \
    "$(has guid) $(has copNo) $(has invtNo) $(has customsCode) $(has agentCode) $(ir returnStatus)"

# What stays JSON.
rec=$(jq -c "select(.key == \"$OB\")" "$T_DIR/receipts.jsonl")
check "the rejected order's receipt: JSON, content-type application/json" \
    "application/json|order|100" "$(ct <<<"$rec")|$(jq -r '.payload | fromjson | "\(.document)|\(.returnStatus)"' <<<"$rec")"
rec=$(jq -c "select(.key == \"$N-BROKEN\")" "$T_DIR/receipts.jsonl")
check "the broken receipt: published as its JSON, content-type application/json" \
    "application/json|x" "$(ct <<<"$rec")|$(jq -r '.payload | fromjson | .returnInfo' <<<"$rec")"
kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t "$N.events" -o beginning -e -q -J 2>/dev/null >"$T_DIR/events.jsonl"
n_ev=$(q "SELECT count(*) FROM customs.outbox WHERE topic = '$N.events'")
check "warehouse events: JSON, no content-type header" "$n_ev $n_ev 0" \
    "$(wc -l <"$T_DIR/events.jsonl") $(jq -r '.payload | fromjson | .event_id' "$T_DIR/events.jsonl" | grep -c .) $(ct <"$T_DIR/events.jsonl" | grep -c . || true)"
finish
