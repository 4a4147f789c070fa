#!/bin/bash
# test_xml_in.sh - CEB603 XML in (issue 14, item 1; daemon/declaration_xml.h) on the real
# stack: the same parcel sent as the E-Port's XML (a CEB603Message) and as JSON, under two
# logisticsNos, gets the same status, the same reasons and the same receipt content (all but
# the fields that name the parcel or the moment), for a clean parcel, one with a field that
# breaks the CEB603 format and ones that break a rule; the XML record is stored byte-exact.
# An XXE document and a billion-laughs document (each a full declaration but for its DTD)
# are quarantined byte-exact with the reason, and nothing else happens: no declaration, no
# status history, no event, no receipt. customsctl whatif, which re-decodes the stored
# payloads, re-decides the XML parcels like the JSON ones.
source "$(dirname "$0")/lib.sh"
N=xi${T_RUN}
rules=$(rules_copy "$T_DIR/rules") # no random inspection: it draws by logisticsNo
cfg=$(write_config "$N" 500 "$rules")
frames=$T_DIR/records.frames
: >"$frames"

# to_xml: a declaration's JSON (stdin) as a CEB603Message, one element per member (in the
# JSON's order), items as InventoryList. Text as in the JSON strings (the fixtures use
# strings for every decimal, so jq's numbers never round).
to_xml() {
    jq -r '
        def esc: tostring | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;");
        def els: to_entries | map(select(.key != "items" and .value != null)
                 | "<ceb:\(.key)>\(.value | esc)</ceb:\(.key)>") | join("\n      ");
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<ceb:CEB603Message guid=\"\(.guid)\" version=\"1.0\" xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\">\n"
        + "  <ceb:Inventory>\n    <ceb:InventoryHead>\n      " + els + "\n    </ceb:InventoryHead>\n"
        + ((.items // []) | map("    <ceb:InventoryList>\n      " + els
                                 + "\n    </ceb:InventoryList>\n") | join(""))
        + "  </ceb:Inventory>\n  <ceb:BaseTransfer><ceb:copCode>2303960004</ceb:copCode>"
        + "<ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>DXPENT0000000001</ceb:dxpId></ceb:BaseTransfer>\n"
        + "</ceb:CEB603Message>"'
}

# LABEL|t_decl changes: each parcel twice, N-LABEL-J as JSON and N-LABEL-X as XML.
# (short labels: copNo is COP-LNO, CEB603 C..30)
cases=(
    "clean|"
    "fmt|price=1,234.00"
    "gcode|gcode=92079000"
    "kg31|grossWeight=35.5 netWeight=35"
)
for c in "${cases[@]}"; do
    IFS='|' read -r label changes <<<"$c"
    # shellcheck disable=SC2086 # the changes are words
    t_decl "$N-$label-J" $changes | tr -d '\n' >"$T_DIR/$label.json"
    # shellcheck disable=SC2086
    t_decl "$N-$label-X" $changes | to_xml >"$T_DIR/$label.xml"
    frame "$frames" "$N-$label-J" "$T_DIR/$label.json"
    frame "$frames" "$N-$label-X" "$T_DIR/$label.xml"
done
head -c 1 "$T_DIR/clean.xml" | grep -q '<' || fail "the XML fixture does not start with '<'"

# Hostile XML: a full clean declaration each, but for a DTD that must never be read.
t_decl "$N-xxe" note=@NOTE@ | to_xml |
    sed -e 's|^\(<?xml[^>]*>\)$|\1\n<!DOCTYPE ceb:CEB603Message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>|' \
        -e 's|@NOTE@|\&xxe;|' >"$T_DIR/xxe.xml"
lol='<!ENTITY l0 "lol">'
for i in 1 2 3 4 5 6 7 8 9; do
    lol+="<!ENTITY l$i \"$(for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&l%d;' $((i - 1)); done)\">"
done
t_decl "$N-laughs" note=@NOTE@ | to_xml |
    sed -e "s|^\(<?xml[^>]*>\)\$|\1\n<!DOCTYPE ceb:CEB603Message [${lol//&/\\&}]>|" \
        -e 's|@NOTE@|\&l9;|' >"$T_DIR/laughs.xml"
grep -q '<!ENTITY xxe SYSTEM' "$T_DIR/xxe.xml" && grep -q '&xxe;' "$T_DIR/xxe.xml" &&
    grep -q '<!ENTITY l9 ' "$T_DIR/laughs.xml" && grep -q '&l9;' "$T_DIR/laughs.xml" ||
    fail "the hostile fixtures are not what they should be"
frame "$frames" "$N-xxe" "$T_DIR/xxe.xml"
frame "$frames" "$N-laughs" "$T_DIR/laughs.xml"
total=$((2 * ${#cases[@]} + 2))

# Only this test's parcels for whatif: declared from now on.
since=$(q "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
produce "$N.declarations" "$frames"
start_customsd "$cfg" "$T_DIR/customsd.log"
if wait_committed "$N" "$N.declarations" "$total" 60; then ok "all $total records committed"; else
    fail "only $(committed "$N" "$N.declarations")/$total committed"; tail -20 "$T_DIR/customsd.log"; fi
stop_customsd TERM
check "customsd exits 0 on SIGTERM" 0 "$STOP_RC"
consume "$N.receipts" '%k\t%s\n' >"$T_DIR/receipts"
consume "$N.events" '%k\t%s\n' >"$T_DIR/events"

# A receipt without what names the parcel or the moment: the rest must be the same.
receipts_of() {
    grep -F "$1"$'\t' "$T_DIR/receipts" | cut -f2- |
        jq -S -c 'del(.event_id, .logisticsNo, .copNo, .occurred_at, .returnTime, .invtNo)'
}

declare -A want_status=([clean]=399 [fmt]=100 [gcode]=100)
for c in "${cases[@]}"; do
    label=${c%%|*}
    j=$N-$label-J x=$N-$label-X
    sj=$(q "SELECT status_code FROM customs.parcel_status WHERE logistics_no = '$j'")
    sx=$(q "SELECT status_code FROM customs.parcel_status WHERE logistics_no = '$x'")
    [ -n "$sj" ] || fail "$label: the JSON parcel was not recorded"
    check "$label: the XML parcel's status is the JSON one's" "$sj" "$sx"
    [ -z "${want_status[$label]:-}" ] || check "$label: status" "${want_status[$label]}" "$sx"
    rj=$(q "SELECT reasons FROM customs.parcel_status WHERE logistics_no = '$j'")
    rx=$(q "SELECT reasons FROM customs.parcel_status WHERE logistics_no = '$x'")
    check "$label: the same reasons" "$rj" "$rx"
    check "$label: one status history row each" "1|1" \
        "$(q "SELECT count(*) FILTER (WHERE logistics_no = '$j') || '|' ||
                     count(*) FILTER (WHERE logistics_no = '$x')
                FROM customs.status_history WHERE logistics_no IN ('$j', '$x')")"
    cj=$(receipts_of "$j")
    cx=$(receipts_of "$x")
    [ -n "$cx" ] || fail "$label: no receipt for the XML parcel"
    check "$label: the same receipts ($(printf '%s\n' "$cx" | wc -l))" "$cj" "$cx"
    check "$label: the XML record stored byte-exact" "$(sha256sum <"$T_DIR/$label.xml" | cut -c1-64)" \
        "$(q "SELECT encode(sha256(convert_to(payload, 'UTF8')), 'hex') FROM customs.declarations
               WHERE logistics_no = '$x' AND content_sha256 = encode(sha256(convert_to(payload, 'UTF8')), 'hex')")"
done
info=$(q "SELECT payload->>'returnInfo' FROM customs.outbox
           WHERE key = '$N-fmt-X' AND type = 'receipt' AND payload->>'returnStatus' = '100'")
if [[ $info == *"items[gnum=1].price: '1,234.00'"* ]]; then ok "fmt (XML): the receipt names the field: $info"
else fail "fmt (XML): returnInfo does not name price: '$info'"; fi

for h in xxe laughs; do
    check "$h: quarantined byte-exact with the reason" 1 \
        "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'
               AND raw = decode('$(od -An -v -tx1 "$T_DIR/$h.xml" | tr -d ' \n')', 'hex')
               AND reason = 'not a declaration: DOCTYPE/entity declarations are not accepted'")"
    check "$h: no declaration, no history, no outbox row" "0|0|0" \
        "$(q "SELECT (SELECT count(*) FROM customs.declarations WHERE logistics_no = '$N-$h') || '|' ||
                     (SELECT count(*) FROM customs.status_history WHERE logistics_no = '$N-$h') || '|' ||
                     (SELECT count(*) FROM customs.outbox WHERE key = '$N-$h')")"
    check "$h: no receipt, no event" 0 "$(cut -f1 "$T_DIR/receipts" "$T_DIR/events" | grep -cxF "$N-$h" || true)"
done
check "nothing else quarantined" 2 \
    "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
grep -q 'root:' "$T_DIR/customsd.log" && fail "a local file's content reached the log"

# What reads the stored payload again decodes the XML ones too: whatif re-decides all of
# this test's stored parcels, none undecodable, none changed under the same rules.
"$BUILD/customsctl" whatif -c "$cfg" --rules "$rules" --current "$rules" --since "$since" --json \
    >"$T_DIR/whatif.json" 2>"$T_DIR/whatif.err" || fail "whatif: $(cat "$T_DIR/whatif.err")"
check "whatif: stored parcels re-decided|undecodable|changed" "$((2 * ${#cases[@]}))|0|0" \
    "$(jq -r '"\(.declarations)|\(.undecodable)|\(.changed)"' "$T_DIR/whatif.json")"
finish
