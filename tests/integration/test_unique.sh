#!/bin/bash
# test_unique.sh - pre-check 19 (docs/DOMAIN.md section 4): orderNo unique per ebpCode and
# copNo unique per declaring enterprise (the shipped rules CEB603-UNIQUE-ORDERNO and
# CEB603-UNIQUE-COPNO, check kind `unique`), end to end through Kafka and PostgreSQL:
#   - in one batch: of two parcels with one order, one is accepted and the other rejected
#     naming it (reason, Chinese returnInfo on its receipt); the same orderNo under another
#     ebpCode is another order;
#   - in a later batch: a parcel reusing a stored parcel's order or copNo is rejected naming it; an
#     order held only by a rejected or a saved parcel is free; redelivery and an amendment of
#     the holder itself are not collisions;
#   - the lookup is taken under a lock per key: while another transaction holds an order's
#     lock, a parcel with that order waits, and is decided once the other commits;
#   - nothing is quarantined.
source "$(dirname "$0")/lib.sh"
N=un${T_RUN}
rules=$(rules_copy "$T_DIR/rules") || finish
cfg=$(write_config "$N" 500 "$rules")

decl() { t_decl "$@"; }
scan() { t_scan "$@"; }
row() { q "SELECT concat_ws('|', status_code, coalesce(string_agg(r->>'rule_id', ','), '')) FROM customs.declarations d LEFT JOIN LATERAL jsonb_array_elements(d.reasons) r ON true WHERE logistics_no = '$1' GROUP BY status_code"; }
message() { q "SELECT r->>'message' FROM customs.declarations d, jsonb_array_elements(d.reasons) r WHERE logistics_no = '$1' AND r->>'rule_id' = '$2'"; }

U1=$N-U1 U2=$N-U2 U3=$N-U3 U4=$N-U4 U5=$N-U5 U6=$N-U6 U7=$N-U7 U8=$N-U8 U9=$N-U9 U10=$N-U10
O=ORD-$N-SHARED
t_batch_init
# U1 and U2 share an order. Keyed by logisticsNo they may land on different partitions,
# so which one is decided first is not known in advance: exactly one must win.
add_decl "$U1" orderNo="$O"
add_decl "$U2" orderNo="$O"
add_decl "$U3" orderNo="$O" ebpCode=2303960099
add_decl "$U6" orderNo="ORD-$N-R" gcode=920790000  # rejected for its HS code
add_decl "$U8" orderNo="ORD-$N-S" appStatus=1       # saved, not declared
start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "batch 1 committed"; else fail "batch 1 not committed"; tail -20 "$T_DIR/customsd.log"; fi

W=$(q "SELECT logistics_no FROM customs.declarations WHERE logistics_no IN ('$U1', '$U2') AND status_code = 399")
L=$(q "SELECT logistics_no FROM customs.declarations WHERE logistics_no IN ('$U1', '$U2') AND status_code = 100")
check "two parcels with one order: one accepted, the other rejected" "1|1" \
    "$(q "SELECT concat_ws('|', count(*) FILTER (WHERE status_code = 399), count(*) FILTER (WHERE status_code = 100)) FROM customs.declarations WHERE logistics_no IN ('$U1', '$U2')")"
check "... rejected by CEB603-UNIQUE-ORDERNO alone" "100|CEB603-UNIQUE-ORDERNO" "$(row "$L")"
check "... its reason names the order and the parcel holding it" \
    "ebpCode '2303960001', orderNo '$O' already declared for parcel '$W' (logisticsNo)" \
    "$(message "$L" CEB603-UNIQUE-ORDERNO)"
check "... its receipt says it in Chinese" "1" \
    "$(q "SELECT count(*) FROM customs.outbox WHERE key = '$L' AND type = 'receipt' AND payload->>'returnStatus' = '100' AND payload->>'returnInfo' LIKE '%订单编号已被其他清单申报%'")"
check "the same orderNo under another ebpCode: another order, accepted" "399|" "$(row "$U3")"
check "a rejected parcel (HS code) with its own order" "100" "$(row "$U6" | cut -d'|' -f1)"
check "a saved parcel with its own order" "1|" "$(row "$U8")"

add_decl "$U5" orderNo="$O"                 # the stored winner holds it
add_decl "$U4" copNo="COP-$U3"              # the stored U3's copNo, same agentCode
add_decl "$U7" orderNo="ORD-$N-R"           # held only by the rejected U6: free
add_decl "$U9" orderNo="ORD-$N-S"           # held only by the saved U8: free
add_decl "$W" orderNo="$O"                  # the same bytes again: a duplicate
add_decl "$W" orderNo="$O" appType=2 note="amended"   # the holder amends itself
if flush; then ok "batch 2 committed"; else fail "batch 2 not committed"; tail -20 "$T_DIR/customsd.log"; fi
check "a later parcel reusing a stored parcel's order: rejected" "100|CEB603-UNIQUE-ORDERNO" "$(row "$U5")"
check "... naming the stored parcel" "ebpCode '2303960001', orderNo '$O' already declared for parcel '$W' (logisticsNo)" \
    "$(message "$U5" CEB603-UNIQUE-ORDERNO)"
check "a copNo the same agent used for a stored parcel: rejected" "100|CEB603-UNIQUE-COPNO" "$(row "$U4")"
check "... naming it" "agentCode '2303960004', copNo 'COP-$U3' already declared for parcel '$U3' (logisticsNo)" \
    "$(message "$U4" CEB603-UNIQUE-COPNO)"
check "an order held only by a rejected parcel is free" "399|" "$(row "$U7")"
check "an order held only by a saved parcel is free" "399|" "$(row "$U9")"
check "the holder's own amendment is no collision: version 2, accepted" "2|399" \
    "$(q "SELECT concat_ws('|', version, status_code) FROM customs.declarations WHERE logistics_no = '$W'")"

# The lock: another transaction holds the key of ORD-$N-L (as an instance deciding a parcel
# with that order would); U10 with that order waits for it, then is decided.
OL=ORD-$N-L
key="{\"keys\":[{\"f\":[\"ebpCode\",\"orderNo\"],\"v\":[\"2303960001\",\"$OL\"]}]}"
{ echo "BEGIN; SELECT customs.unique_holders('$key');"; sleep 3; echo "COMMIT;"; } |
    psql -X -q -v ON_ERROR_STOP=1 >/dev/null &
holder=$!
for _ in $(seq 50); do
    [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 603019 AND granted")" -ge 1 ] && break
    sleep 0.1
done
add_decl "$U10" orderNo="$OL"
produce "$N.declarations" "$dframes"; : >"$dframes"
sleep 1.5
check "while another transaction holds the order's key, the parcel waits" "0" \
    "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no = '$U10'")"
check "... its batch waits on the key's lock" "1" \
    "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 603019 AND NOT granted")"
wait "$holder"
if wait_committed "$N" "$N.declarations" "$nd" 30; then ok "batch 3 committed once the lock was released"; else fail "batch 3 not committed"; fi
check "... and decided" "399|" "$(row "$U10")"

check "nothing quarantined" "0" "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
check "the log names the rejection and the parcel it collides with" "1" \
    "$(grep -c "parcel $U5 .*CEB603-UNIQUE-ORDERNO" "$T_DIR/customsd.log" || true)"
stop_customsd TERM
finish
