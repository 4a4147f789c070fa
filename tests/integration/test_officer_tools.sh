#!/bin/bash
# test_officer_tools.sh - the officer's controls and searches (sql/repeatable/70_officers.sql,
# 80_officer_views.sql), through Kafka, customsd and psql as a login in role customs_officer:
#   - order_inspection (布控): an accepted parcel (399) and a released one not departed (800)
#     go to 500, the warehouse gets an 'inspect' event, the officer and note are in the
#     history and not in the receipt; a closed parcel (899) is refused; the note is required;
#   - reopen_detained: a detained parcel (502) whose case is settled is released (800,
#     'release' event) or returned (700, 'return' event); release refused before arrival;
#   - parcel_goods lists a parcel's items; find_parcels finds by orderNo, copNo, invtNo,
#     enterprise, HS code prefix and day, and refuses a search without a criterion.
source "$(dirname "$0")/lib.sh"
N=ot${T_RUN}
OFFICER=it_officer_$N
rules=$(rules_copy "$T_DIR/rules") || finish
cfg=$(write_config "$N" 200 "$rules")
q "CREATE ROLE $OFFICER LOGIN IN ROLE customs_officer"
trap 'q "DROP ROLE IF EXISTS $OFFICER" >/dev/null || true; t_cleanup' EXIT
as_officer() { psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$OFFICER" -c "$1" 2>&1; }
decl() { t_decl "$@"; }
scan() { t_scan "$@"; }
status() { q "SELECT status_code FROM customs.declarations WHERE logistics_no = '$1'"; }
events_of() { q "SELECT coalesce(string_agg(type, ',' ORDER BY id), '') FROM customs.outbox WHERE key = '$1' AND type <> 'receipt'"; }
refused() { # NAME EXPECTED-TEXT SQL: the officer's call fails with that text
    local out; out=$(as_officer "$3" || true)
    case $out in *"$2"*) ok "$1: ${out%%$'\n'*}" ;; *) fail "$1: expected '$2', got '$out'" ;; esac
}

A=$N-A B=$N-B C=$N-C D=$N-D E=$N-E
t_batch_init
for p in "$A" "$B" "$C" "$D" "$E"; do add_decl "$p"; done
add_scan "$B" arrival "2024-05-12T12:00:00+08:00"
add_scan "$C" arrival "2024-05-12T12:00:00+08:00"
add_scan "$C" departure "2024-05-12T13:00:00+08:00"
add_scan "$D" arrival "2024-05-12T12:00:00+08:00"
start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "parcels declared and scanned"; else fail "not committed"; tail -20 "$T_DIR/customsd.log"; fi
check "A accepted, B released, C closed, D released, E accepted" "399 800 899 800 399" \
    "$(for p in "$A" "$B" "$C" "$D" "$E"; do status "$p"; done | tr '\n' ' ' | sed 's/ $//')"

# order_inspection
refused "order_inspection without a note" "the note is required" \
    "SELECT * FROM customs.order_inspection('$A', '  ')"
check "order_inspection of an accepted parcel: 500" "$A|500|inspection|f" \
    "$(as_officer "SELECT * FROM customs.order_inspection('$A', 'risk tip: undervalued')")"
check "order_inspection of a released parcel not departed: 500" "$B|500|inspection|t" \
    "$(as_officer "SELECT * FROM customs.order_inspection('$B', 'tip from the warehouse')")"
refused "order_inspection of a closed (departed) parcel" "control refused: the parcel is closed" \
    "SELECT * FROM customs.order_inspection('$C', 'too late')"
check "... the history records the officer, the note and the event" \
    "control|399|500|officer:$OFFICER|inspection ordered (布控); risk tip: undervalued" \
    "$(q "SELECT concat_ws('|', event, from_code, status_code, actor, note) FROM customs.status_history WHERE logistics_no = '$A' ORDER BY id DESC LIMIT 1")"
check "... the warehouse is told (inspect event)" "inspect" "$(events_of "$A")"
check "... the receipt carries neither the officer nor the note" "0" \
    "$(q "SELECT count(*) FROM customs.outbox WHERE key IN ('$A', '$B') AND (payload::text LIKE '%$OFFICER%' OR payload::text LIKE '%undervalued%' OR payload::text LIKE '%tip from%')")"

# reopen_detained
as_officer "SELECT * FROM customs.record_inspection('$B', 'detained', 'undeclared cells', 502)" >/dev/null
as_officer "SELECT * FROM customs.record_inspection('$A', 'detained', 'undeclared cells', 502)" >/dev/null
check "B and A detained (502)" "502 502" "$(status "$B") $(status "$A")"
refused "reopen_detained without an outcome" "outcome must be released or returned" \
    "SELECT * FROM customs.reopen_detained('$B', 'maybe', 'x')"
check "reopen_detained released: 800" "$B|800|released|t" \
    "$(as_officer "SELECT * FROM customs.reopen_detained('$B', 'released', 'case 2024-17 settled: fined')")"
check "... the warehouse is told: released at arrival, inspect, detain, release" \
    "release,inspect,detain,release" "$(events_of "$B")"
refused "reopen_detained released before arrival" "release refused: the parcel has not arrived" \
    "SELECT * FROM customs.reopen_detained('$A', 'released', 'settled')"
check "reopen_detained returned: 700" "$A|700|returned|f" \
    "$(as_officer "SELECT * FROM customs.reopen_detained('$A', 'returned', 'case 2024-18: return to sender')")"
check "... the warehouse is told (return event)" "inspect,detain,return" "$(events_of "$A")"

# parcel_goods and find_parcels
check "parcel_goods: the parcel's item with HS code, quantity, value, weights" \
    "$E|1|9207900000|货物|2.00000|011|1399.00000|142|3.50000" \
    "$(as_officer "SELECT concat_ws('|', logistics_no, gnum, gcode, gname, qty, unit, total_price, currency, parcel_gross_weight_kg) FROM customs.parcel_goods WHERE logistics_no = '$E'")"
check "parcel_documents: the officer reads a parcel's order and waybill (none came here)" "$E|t|t" \
    "$(as_officer "SELECT concat_ws('|', logistics_no, order_goods_value IS NULL, waybill_gross_weight_kg IS NULL) FROM customs.parcel_documents WHERE logistics_no = '$E'")"
invt=$(q "SELECT invt_no FROM customs.declarations WHERE logistics_no = '$E'")
check "find_parcels by orderNo" "$E" "$(as_officer "SELECT logistics_no FROM customs.find_parcels(p_order_no => 'ORD-$E')")"
check "find_parcels by copNo" "$D" "$(as_officer "SELECT logistics_no FROM customs.find_parcels(p_cop_no => 'COP-$D')")"
check "find_parcels by invtNo" "$E" "$(as_officer "SELECT logistics_no FROM customs.find_parcels(p_invt_no => '$invt')")"
today=$(q "SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")
check "find_parcels by enterprise, HS heading and day (this test's parcels)" "5" \
    "$(as_officer "SELECT count(*) FROM customs.find_parcels(p_enterprise => '2303960004', p_gcode => '9207', p_day => '$today') WHERE logistics_no LIKE '$N-%'")"
check "find_parcels by another HS chapter: none of them" "0" \
    "$(as_officer "SELECT count(*) FROM customs.find_parcels(p_gcode => '85', p_day => '$today') WHERE logistics_no LIKE '$N-%'")"
refused "find_parcels without a criterion" "give at least one of" "SELECT * FROM customs.find_parcels()"
refused "the officer still cannot read the tables" "permission denied" \
    "SELECT count(*) FROM customs.declarations"
stop_customsd TERM
finish
