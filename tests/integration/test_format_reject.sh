#!/bin/bash
# test_format_reject.sh - a declaration that can be read (a JSON object with a usable
# logisticsNo) but has a field that breaks the CEB603 format is a rejection, not a
# quarantine (issue 10, item 1): "price" "1,234.00", "12.345678", "1e3" (text and number),
# a text field over 1000 characters, a bad date, wrong types (a number for text, an object
# for text, true for a decimal, a word for packNo), a NUL in a text field, 101 items. Each
# ends in customs.parcel_status with status 100 and a CEB603-FORMAT reason naming the field
# and the value, one status history row, a receipt on the receipts topic, its raw record
# byte-exact in customs.declarations.payload, the bad field NULL in its column; nothing in
# quarantine. Records that cannot be read as a declaration (no logisticsNo, a number for
# it, invalid JSON, duplicate keys) are still quarantined.
source "$(dirname "$0")/lib.sh"
N=fr${T_RUN}
cfg=$(write_config "$N")
frames=$T_DIR/records.frames
: >"$frames"

# decl LNO SED-EXPRESSION: the valid declaration with one change.
decl() {
    printf '%s' '{"guid":"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512103000","appStatus":"2","customsCode":"1900","portCode":"1900","ieFlag":"E","ieDate":"20240512","ebpCode":"2303960001","ebpName":"鸡西跨境电商平台","orderNo":"ORD-'"$1"'","ebcCode":"2303960002","ebcName":"鸡西市石墨乐器电子商务有限公司","logisticsCode":"2303960003","logisticsName":"密山国际物流有限公司","logisticsNo":"'"$1"'","copNo":"COP-'"$1"'","agentCode":"2303960004","agentName":"密山报关行","ownerCode":"NO","ownerName":"鸡西市石墨乐器电子商务有限公司","tradeMode":"9610","statisticsFlag":"A","trafMode":"4","country":"344","POD":"RUS","freight":"0","fCurrency":"142","fFlag":"3","insuredFee":"0","iCurrency":"142","iFlag":"3","wrapType":"2","packNo":1,"grossWeight":"1.35","netWeight":"1.2","note":"","items":[{"gnum":1,"itemNo":"EG-ST-001","itemName":"电吉他","gcode":"9207900000","gname":"电吉他","gmodel":"ST型 6弦","barCode":"无","country":"344","currency":"142","qty":"1","unit":"011","qty1":"1","unit1":"011","price":"1399.00","totalPrice":"1399.00"}]}' |
        sed "$2"
}

# LABEL SED-EXPRESSION RULE-ID TEXT-IN-THE-REASON COLUMN-THAT-MUST-BE-NULL
declare -a cases=(
    "price_comma|s/\"price\":\"1399.00\"/\"price\":\"1,234.00\"/|CEB603-FORMAT|items[gnum=1].price: '1,234.00' is not a decimal number|i.price"
    "price_6_decimals|s/\"price\":\"1399.00\"/\"price\":\"12.345678\"/|CEB603-FORMAT|items[gnum=1].price: '12.345678' has more than 5 digits after the decimal point|i.price"
    "price_exponent_text|s/\"price\":\"1399.00\"/\"price\":\"1e3\"/|CEB603-FORMAT|items[gnum=1].price: '1e3' is not a plain decimal number (exponent notation)|i.price"
    "price_exponent_number|s/\"price\":\"1399.00\"/\"price\":1e3/|CEB603-FORMAT|items[gnum=1].price: 1e3 is not a plain decimal number|i.price"
    "note_1001_chars|s/\"note\":\"\"/\"note\":\"$(printf '%01001d' 0)\"/|CEB603-FORMAT|note: '0000|-"
    "gname_1001_chars|s/\"gname\":\"电吉他\"/\"gname\":\"$(printf '%01001d' 0)\"/|CEB603-FORMAT|items[gnum=1].gname: '0000|i.gname"
    "bad_date|s/\"ieDate\":\"20240512\"/\"ieDate\":\"20240230\"/|CEB603-IEDATE|ieDate: '20240230' is not a real date|-"
    "customsCode_number|s/\"customsCode\":\"1900\"/\"customsCode\":1900/|CEB603-FORMAT|customsCode: 1900 is a number, text expected|d.customs_code"
    "ebcName_object|s/\"ebcName\":\"[^\"]*\"/\"ebcName\":{\"a\":1}/|CEB603-FORMAT|ebcName: {\"a\":1} is an object, text expected|d.ebc_name"
    "grossWeight_bool|s/\"grossWeight\":\"1.35\"/\"grossWeight\":true/|CEB603-FORMAT|grossWeight: true is a boolean, a decimal number expected|d.gross_weight"
    "packNo_word|s/\"packNo\":1/\"packNo\":\"one\"/|CEB603-FORMAT|packNo: 'one' is not a whole number|d.pack_no"
    "note_nul|s/\"note\":\"\"/\"note\":\"a\\\\u0000b\"/|CEB603-FORMAT|note: 'a\\u0000b' contains a NUL character|-"
)
declare -A want_rule want_text want_null
for c in "${cases[@]}"; do
    IFS='|' read -r label expr rule text col <<<"$c"
    lno="$N-$label"
    frame_json "$frames" "$lno" "$(decl "$lno" "$expr")"
    decl "$lno" "$expr" >"$T_DIR/$label.json"
    want_rule[$lno]=$rule want_text[$lno]=$text want_null[$lno]=$col
done
# 101 items: readable, rejected; none of them stored as rows
item='{"gnum":1,"itemNo":"A","itemName":"B","gcode":"9207900000","gname":"B","gmodel":"C","barCode":"无","country":"344","currency":"142","qty":"1","unit":"011","qty1":"1","unit1":"011","price":"1","totalPrice":"1"}'
items=$(for ((i = 0; i < 101; i++)); do printf '%s%s' "$([ $i -gt 0 ] && echo ,)" "$item"; done)
lno="$N-items_101"
decl "$lno" "s/\"items\":\[.*\]}\$/\"items\":[$items]}/" >"$T_DIR/items_101.json"
frame "$frames" "$lno" "$T_DIR/items_101.json"
want_rule[$lno]=CEB603-FORMAT want_text[$lno]="items: has 101 entries, CEB603 allows at most 100" want_null[$lno]=-
n_rejected=${#want_rule[@]}

# Not a declaration at all: still quarantined.
printf '{"orderNo":"%s-Q1","price":"1,234.00"}' "$N" >"$T_DIR/q1"
decl "$N-Q2" 's/"logisticsNo":"[^"]*"/"logisticsNo":12345/' >"$T_DIR/q2"
printf '{"logisticsNo":"%s-Q3","price":"1,234.00"' "$N" >"$T_DIR/q3"
decl "$N-Q4" 's/"packNo":1/"packNo":1,"packNo":2/' >"$T_DIR/q4"
for b in q1 q2 q3 q4; do frame "$frames" "$b" "$T_DIR/$b"; done
total=$((n_rejected + 4))

produce "$N.declarations" "$frames"
start_customsd "$cfg" "$T_DIR/customsd.log"
if wait_committed "$N" "$N.declarations" "$total" 60; then ok "all $total records committed"; else
    fail "only $(committed "$N" "$N.declarations")/$total committed"; tail -20 "$T_DIR/customsd.log"; fi
# the receipts: wait for the relay to publish every one
for _ in $(seq 1 100); do
    [ "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")" = 0 ] && break
    sleep 0.1
done
stop_customsd TERM
check "customsd exits 0 on SIGTERM" 0 "$STOP_RC"
consume "$N.receipts" '%k\t%s\n' >"$T_DIR/receipts"

for lno in "${!want_rule[@]}"; do
    label=${lno#"$N-"}
    row=$(q "SELECT status_code || '|' || (SELECT count(*) FROM customs.quarantine x
                                           WHERE x.logistics_no = p.logistics_no)
             FROM customs.parcel_status p WHERE logistics_no = '$lno'")
    check "$label: status 100 in parcel_status, nothing quarantined" "100|0" "$row"
    got=$(q "SELECT r->>'message' FROM customs.parcel_status p,
                    jsonb_array_elements(p.reasons) r
              WHERE p.logistics_no = '$lno' AND r->>'rule_id' = '${want_rule[$lno]}'")
    if [ -n "$got" ] && [[ $got == *"${want_text[$lno]}"* ]]; then ok "$label: ${want_rule[$lno]}: ${got:0:120}"
    else fail "$label: no ${want_rule[$lno]} reason containing '${want_text[$lno]}' (got '$got', reasons $(q "SELECT reasons FROM customs.parcel_status WHERE logistics_no = '$lno'"))"; fi
    check "$label: one status history row, rejected" "1|100" \
        "$(q "SELECT count(*) || '|' || max(status_code) FROM customs.status_history WHERE logistics_no = '$lno'")"
    check "$label: raw record kept byte-exact" "$(sha256sum <"$T_DIR/$label.json" | cut -c1-64)" \
        "$(q "SELECT content_sha256 || substr(md5(payload), 0, 0) FROM customs.declarations WHERE logistics_no = '$lno'
               AND encode(sha256(convert_to(payload, 'UTF8')), 'hex') = content_sha256")"
    case ${want_null[$lno]} in
    d.*) check "$label: ${want_null[$lno]#d.} stored as NULL" t \
        "$(q "SELECT ${want_null[$lno]#d.} IS NULL FROM customs.declarations WHERE logistics_no = '$lno'")" ;;
    i.*) check "$label: item ${want_null[$lno]#i.} stored as NULL, the item kept" "true|1" \
        "$(q "SELECT bool_and(${want_null[$lno]#i.} IS NULL) || '|' || count(*) FROM customs.declaration_items WHERE logistics_no = '$lno'")" ;;
    esac
    check "$label: a rejection receipt (100) on $N.receipts" 1 \
        "$(grep -F "$lno"$'\t' "$T_DIR/receipts" | grep -c '"returnStatus": *"100"' || true)"
done
# The issue's example as the declarer reads it: the receipt's returnInfo in Chinese, naming
# the field and the value.
info=$(q "SELECT payload->>'returnInfo' FROM customs.outbox
           WHERE key = '$N-price_comma' AND type = 'receipt' AND payload->>'returnStatus' = '100'")
if [[ $info == 海关退单* && $info == *申报数据格式不符合CEB603报文规范* && $info == *"items[gnum=1].price: '1,234.00'"* ]]; then
    ok "price_comma: returnInfo in Chinese naming price: $info"
else fail "price_comma: returnInfo not Chinese or not naming price: '$info'"; fi
check "101 items: no item rows (the raw record keeps them)" 0 \
    "$(q "SELECT count(*) FROM customs.declaration_items WHERE logistics_no = '$N-items_101'")"

check "unreadable records quarantined, nothing else" 4 \
    "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
for b in q1 q2 q3 q4; do
    check "$b quarantined byte-exact with a reason" 1 \
        "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'
               AND raw = decode('$(od -An -v -tx1 "$T_DIR/$b" | tr -d ' \n')', 'hex') AND reason <> ''")"
done
check "declarations stored" "$n_rejected" \
    "$(q "SELECT count(*) FROM customs.declarations WHERE source_topic = '$N.declarations'")"
finish
