#!/bin/bash
# test_saved.sh - appStatus 1 (暂存, saved) is recorded and receipted as saved, never decided
# (docs/DOMAIN.md section 4, pre-check 22), end to end through Kafka and PostgreSQL:
#   - a saved declaration: status 1 in customs.parcel_status, exactly one receipt (returnStatus
#     1, 电子口岸已暂存), no 120, no warehouse event, no invtNo; the rules of the file are not
#     run (a 9-digit gcode is saved, not rejected); a format fault is still rejected (100);
#   - its declaration (appStatus 2, same logisticsNo, other content) replaces the saved content
#     and is decided: receipts 1, 120, 399 with its invtNo, and, arrived meanwhile, 800 and the
#     release event; in one batch too; a saved 9-digit gcode declared is rejected;
#   - saved again (appStatus 1): still 1, a second receipt 1, version 2; a cancellation
#     (appType 3) and an amendment (appType 2) of a saved parcel; resending the saved bytes is
#     a duplicate;
#   - nothing releases a saved parcel: an officer's release is refused (CS010), a departure
#     scan is refused with a -1 receipt;
#   - the consumer's log names each outcome; nothing is quarantined.
source "$(dirname "$0")/lib.sh"
N=sv${T_RUN}
rules=$(rules_copy "$T_DIR/rules") || finish
cfg=$(write_config "$N" 500 "$rules")

decl() { t_decl "$@"; }
scan() { t_scan "$@"; }
status() { q "SELECT status_code FROM customs.parcel_status WHERE logistics_no = '$1'"; }
receipts_of() { q "SELECT string_agg(payload->>'returnStatus', ',' ORDER BY id) FROM customs.outbox WHERE key = '$1' AND type = 'receipt'"; }
events_of() { q "SELECT coalesce(string_agg(type, ',' ORDER BY id), '') FROM customs.outbox WHERE key = '$1' AND type <> 'receipt'"; }

S1=$N-S1 S2=$N-S2 S3=$N-S3 S4=$N-S4 S5=$N-S5 S6=$N-S6 S7=$N-S7
t_batch_init
add_decl "$S1" appStatus=1
add_decl "$S2" appStatus=1 price=1,234.00
add_decl "$S3" appStatus=1
add_decl "$S3" appStatus=2 note="declared in the same batch"
add_decl "$S4" appStatus=1 gcode=920790000
add_decl "$S5" appStatus=1
add_decl "$S6" appStatus=1
add_decl "$S7" appStatus=1
add_scan "$S1" arrival "2024-05-12T12:00:00+08:00"
start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "phase 1 committed"; else fail "phase 1 not committed"; tail -20 "$T_DIR/customsd.log"; fi

check "saved: status 1 saved in parcel_status, no invtNo" "1|saved|t" \
    "$(q "SELECT concat_ws('|', status_code, status, invt_no IS NULL) FROM customs.parcel_status WHERE logistics_no = '$S1'")"
check "saved: one receipt, returnStatus 1, 电子口岸已暂存" "1|电子口岸已暂存 saved|null" \
    "$(q "SELECT concat_ws('|', string_agg(payload->>'returnStatus', ','), string_agg(payload->>'returnInfo', ','), string_agg(coalesce(payload->>'invtNo', 'null'), ',')) FROM customs.outbox WHERE key = '$S1' AND type = 'receipt'")"
check "saved: no warehouse event" "" "$(events_of "$S1")"
check "saved and arrived: the arrival is recorded, the parcel stays saved" "1|t" \
    "$(q "SELECT concat_ws('|', status_code, arrived_at IS NOT NULL) FROM customs.declarations WHERE logistics_no = '$S1'")"
check "saved with a format fault: rejected by CEB603-FORMAT" "100|CEB603-FORMAT" \
    "$(q "SELECT concat_ws('|', status_code, reasons->0->>'rule_id') FROM customs.declarations WHERE logistics_no = '$S2'")"
check "saved with a 9-digit gcode: saved, the rules not run" "1|0" \
    "$(q "SELECT concat_ws('|', status_code, jsonb_array_length(reasons)) FROM customs.declarations WHERE logistics_no = '$S4'")"
check "saved then declared in one batch: receipts 1, 120, 399" "1,120,399" "$(receipts_of "$S3")"
check "saved then declared in one batch: version 2, accepted, an invtNo" "2|399|t" \
    "$(q "SELECT concat_ws('|', version, status_code, invt_no IS NOT NULL) FROM customs.declarations WHERE logistics_no = '$S3'")"
check "the saved content kept as a version" "replaced|1" \
    "$(q "SELECT concat_ws('|', kind, status_code) FROM customs.declaration_versions WHERE logistics_no = '$S3'")"

# Nothing releases a saved parcel.
err=$(psql -X -q -v ON_ERROR_STOP=1 -c "SELECT * FROM customs.release_review('$S5', 'x')" 2>&1 >/dev/null || true)
case $err in
*"not held for manual review (status 1 saved)"*) ok "release_review of a saved parcel refused: ${err%%$'\n'*}" ;;
*) fail "release_review of a saved parcel: '$err'" ;;
esac

add_decl "$S1" appStatus=2 note="now declared"
add_decl "$S4" appStatus=2 gcode=920790000
add_decl "$S5" appStatus=1 note="saved again"
add_decl "$S6" appType=3 appStatus=2
add_decl "$S7" appType=2 appStatus=2 note="amended"
add_decl "$S5" appStatus=1 # the first saved bytes again: a duplicate
add_scan "$S5" departure "2024-05-12T13:00:00+08:00"
if flush; then ok "phase 2 committed"; else fail "phase 2 not committed"; tail -20 "$T_DIR/customsd.log"; fi

check "declared after being saved and arrived: receipts 1, 120, 399, 800" "1,120,399,800" "$(receipts_of "$S1")"
check "... and the release event" "release" "$(events_of "$S1")"
check "... the 120 receipt has no invtNo, the 399 and 800 receipts the parcel's" "null $(q "SELECT invt_no FROM customs.declarations WHERE logistics_no = '$S1'") $(q "SELECT invt_no FROM customs.declarations WHERE logistics_no = '$S1'")" \
    "$(q "SELECT string_agg(coalesce(payload->>'invtNo', 'null'), ' ' ORDER BY id) FROM customs.outbox WHERE key = '$S1' AND type = 'receipt' AND payload->>'returnStatus' IN ('120', '399', '800')")"
check "... its history: saved, then declared" "declared:1,declared:399,release:800" \
    "$(q "SELECT string_agg(event || ':' || status_code, ',' ORDER BY id) FROM customs.status_history WHERE logistics_no = '$S1'")"
check "a saved 9-digit gcode, declared: rejected by the rules" "100" "$(status "$S4")"
# The declaration and the departure scan come on two topics, which are not ordered against
# each other: the receipts are compared as a set.
check "saved again: still 1, version 2, two receipts 1 and the departure's -1" "1|2|-1,1,1" \
    "$(q "SELECT concat_ws('|', status_code, version, (SELECT string_agg(payload->>'returnStatus', ',' ORDER BY payload->>'returnStatus') FROM customs.outbox WHERE key = '$S5' AND type = 'receipt')) FROM customs.declarations WHERE logistics_no = '$S5'")"
check "a saved parcel cancelled: 100, cancelled" "100|t" \
    "$(q "SELECT concat_ws('|', status_code, cancelled_at IS NOT NULL) FROM customs.declarations WHERE logistics_no = '$S6'")"
check "a saved parcel amended with appStatus 2: decided (399), receipts 1, 120, 399" "399|1,120,399" \
    "$(q "SELECT concat_ws('|', status_code, '$(receipts_of "$S7")') FROM customs.declarations WHERE logistics_no = '$S7'")"
check "the departure of a saved parcel refused, -1 receipt, the parcel stays saved" "1|1|-1" \
    "$(q "SELECT concat_ws('|', d.status_code, (SELECT count(*) FROM customs.refused_transitions t WHERE t.logistics_no = d.logistics_no AND t.event = 'departure'), (SELECT string_agg(payload->>'returnStatus', ',') FROM customs.outbox o WHERE o.key = d.logistics_no AND payload->>'returnStatus' = '-1')) FROM customs.declarations d WHERE d.logistics_no = '$S5'")"
check "nothing quarantined" "" \
    "$(q "SELECT coalesce(string_agg(logistics_no, ','), '') FROM customs.quarantine WHERE logistics_no LIKE '$N-%'")"
check "the parcel still saved has no invtNo and no 120 receipt" "$S5|f|0" \
    "$(q "SELECT string_agg(concat_ws('|', d.logistics_no, d.invt_no IS NOT NULL, (SELECT count(*) FROM customs.outbox o WHERE o.key = d.logistics_no AND o.payload->>'returnStatus' = '120')), ',') FROM customs.declarations d WHERE d.logistics_no LIKE '$N-%' AND d.status_code = 1")"

stop_customsd TERM
check "customsd exits 0" 0 "$STOP_RC"
for want in "parcel $S1 .*saved (appStatus 1): recorded as 1 saved, not sent for decision" \
    "parcel $S3 .*declaration replaced the saved one: decided 399 accepted" \
    "parcel $S5 .*declaration replaced the saved one: saved again as 1 saved" \
    "parcel $S2 .*recorded 100 rejected by CEB603-FORMAT"; do
    if grep -q -- "$want" "$T_DIR/customsd.log"; then ok "log: $want"; else fail "log lacks: $want"; fi
done
finish
