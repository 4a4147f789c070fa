#!/bin/bash
# test_holds_alerts.sh - holds and alerts (sql/repeatable/25_holds.sql, 75_officer_holds.sql),
# through Kafka, customsd (as a member of role customsd) and psql as a login in role
# customs_officer:
#   - hold_parcel: an accepted parcel's arrival is recorded but does not release it (outcome
#     held); unhold_parcel releases it then; a held released parcel's departure is refused
#     (-1 receipt) and raises an alert; release_review, record_inspection 'passed' and
#     reopen_detained 'released' are refused while held (CS010), allowed after unhold; a
#     closed parcel cannot be held, a held one not held again, an unheld one not unheld;
#     the note is required; the warehouse gets 'hold'/'unhold' events without officer or
#     note; parcel_history shows the holds;
#   - alerts: a departure of a parcel not released, a second arrival at another site (the
#     same site: still a duplicate), a scan of a parcel never declared past the deadline of
#     customs.sweep_alerts: each a customs.alerts row (kind, site, who must act), an 'alert'
#     event on Kafka, and the parcel held; resolve_alert lifts the hold (an accepted parcel
#     that arrived is released), once;
#   - permissions: the officer cannot read or write the tables nor run the sweep.
source "$(dirname "$0")/lib.sh"
N=ha${T_RUN}
OFFICER=it_officer_$N
DAEMON=it_daemon_$N

rules=$(rules_copy "$T_DIR/rules") || finish
cat >>"$rules" <<'YAML'

  - id: IT-REVIEW-BATTERY
    description: Lithium batteries (8507) - check the transport documents by hand
    action: review
    check: hs_prefix
    field: items[].gcode
    prefixes: ["8507"]
YAML
"$BUILD/customsctl" rules check "$rules" >/dev/null || { fail "test rules file invalid"; finish; }
cfg=$(write_config "$N" 200 "$rules")
q "CREATE ROLE $OFFICER LOGIN IN ROLE customs_officer; CREATE ROLE $DAEMON LOGIN IN ROLE customsd"
trap 'q "DROP ROLE IF EXISTS $OFFICER; DROP ROLE IF EXISTS $DAEMON" >/dev/null || true; t_cleanup' EXIT
as_officer() { psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$OFFICER" -c "$1" 2>&1; }
as_daemon() { psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$DAEMON" -c "$1" 2>&1; }
decl() { t_decl "$1" gcode="${2:-9207900000}"; }
# scan LNO KIND TIME [LOCTNO]: a warehouse scan, at site 1900W00001 unless told.
scan() {
    printf '{"logisticsNo":"%s","scan":"%s","scannedAt":"%s","loctNo":"%s","totalPackageNo":"PKG-%s"}' \
        "$1" "$2" "$3" "${4:-1900W00001}" "$N"
}
status() { q "SELECT status_code FROM customs.declarations WHERE logistics_no = '$1'"; }
held() { as_officer "SELECT held FROM customs.parcel_status WHERE logistics_no = '$1'"; }
outcomes() { q "SELECT string_agg(outcome, ',' ORDER BY id) FROM customs.warehouse_scans WHERE logistics_no = '$1'"; }
events_of() { q "SELECT coalesce(string_agg(type, ',' ORDER BY id), '') FROM customs.outbox WHERE key = '$1' AND type <> 'receipt'"; }
alert_of() { # LNO KIND: the alert's id|site|must_act|open|held as the officer reads it
    as_officer "SELECT concat_ws('|', id, site, must_act, open, held) FROM customs.alerts WHERE logistics_no = '$1' AND kind = '$2'"
}
refused() { # NAME EXPECTED-TEXT SQL: the officer's call fails with that text
    local out; out=$(as_officer "$3" || true)
    case $out in *"$2"*) ok "$1: ${out%%$'\n'*}" ;; *) fail "$1: expected '$2', got '$out'" ;; esac
}
GUITAR=9207900000 GRAPHITE=3801100000 BATTERY=8507600000
HA=$N-HA HB=$N-HB HR=$N-HR HI=$N-HI HC=$N-HC AD=$N-AD AS=$N-AS AU=$N-AU

# --- phase 1: declarations and first scans --------------------------------------------------
t_batch_init
for p in "$HA" "$HB" "$HC" "$AD" "$AS"; do add_decl "$p" $GUITAR; done
add_decl "$HR" $BATTERY
add_decl "$HI" $GRAPHITE
add_scan "$HB" arrival "2024-05-12T12:00:00+08:00"
add_scan "$HR" arrival "2024-05-12T12:00:00+08:00"
add_scan "$HI" arrival "2024-05-12T12:00:00+08:00"
add_scan "$HC" arrival "2024-05-12T12:00:00+08:00"
add_scan "$HC" departure "2024-05-12T13:00:00+08:00"
add_scan "$AS" arrival "2024-05-12T12:00:00+08:00"
add_scan "$AU" arrival "2024-05-12T12:00:00+08:00" # never declared (yet)
PGUSER=$DAEMON start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "phase 1 committed"; else fail "phase 1 not committed"; tail -20 "$T_DIR/customsd.log"; fi
check "HA accepted, HB released, HR review, HI inspection, HC closed, AD accepted, AS released" \
    "399 800 300 500 899 399 800" \
    "$(for p in "$HA" "$HB" "$HR" "$HI" "$HC" "$AD" "$AS"; do status "$p"; done | tr '\n' ' ' | sed 's/ $//')"

# --- holds ----------------------------------------------------------------------------------
refused "hold_parcel without a note" "the note is required" "SELECT * FROM customs.hold_parcel('$HA', '')"
check "hold_parcel of an accepted parcel" "$HA|399|accepted|f|t" \
    "$(as_officer "SELECT * FROM customs.hold_parcel('$HA', 'tip: counterfeit guitars')")"
refused "hold_parcel of a held parcel" "hold refused: the parcel is held already" \
    "SELECT * FROM customs.hold_parcel('$HA', 'again')"
refused "hold_parcel of a closed parcel" "hold refused: the parcel is closed" \
    "SELECT * FROM customs.hold_parcel('$HC', 'too late')"
refused "hold_parcel of an unknown parcel" "is not declared" \
    "SELECT * FROM customs.hold_parcel('$N-NONE', 'x')"
refused "unhold_parcel of a parcel not held" "unhold refused: the parcel is not held" \
    "SELECT * FROM customs.unhold_parcel('$AD', 'x')"
for p in "$HB" "$HR" "$HI"; do as_officer "SELECT * FROM customs.hold_parcel('$p', 'case 2024-$p')" >/dev/null; done
check "HB, HR, HI held" "t t t" "$(held "$HB") $(held "$HR") $(held "$HI")"
refused "release_review of a held arrived parcel" "manual review decision refused: it would release the parcel, which is held" \
    "SELECT * FROM customs.release_review('$HR', 'documents fine')"
refused "record_inspection passed of a held arrived parcel" "inspection result passed refused: it would release the parcel, which is held" \
    "SELECT * FROM customs.record_inspection('$HI', 'passed', 'fine')"
check "record_inspection detained of a held parcel is allowed (not a release)" "502" \
    "$(as_officer "SELECT status_code FROM customs.record_inspection('$HI', 'detained', 'undeclared cells', 502)")"
refused "reopen_detained released of a held parcel" "release refused: the parcel is held by customs" \
    "SELECT * FROM customs.reopen_detained('$HI', 'released', 'settled')"
check "HR and HI unchanged" "300 502" "$(status "$HR") $(status "$HI")"

add_scan "$HA" arrival "2024-05-12T14:00:00+08:00"
add_scan "$HB" departure "2024-05-12T14:00:00+08:00"
if flush; then ok "phase 2 (arrival of HA, departure of HB) committed"; else fail "phase 2 not committed"; fi
check "held accepted parcel: arrival recorded, not released" "399|t|held" \
    "$(q "SELECT concat_ws('|', status_code, arrived_at IS NOT NULL, (SELECT outcome FROM customs.warehouse_scans w WHERE w.logistics_no = d.logistics_no)) FROM customs.declarations d WHERE logistics_no = '$HA'")"
check "held released parcel: departure refused" "800 released,refused" "$(status "$HB") $(outcomes "$HB")"
check "... with a -1 receipt naming the hold" "departure refused: the parcel is held by customs" \
    "$(q "SELECT payload->'reasons'->0->>'message' FROM customs.outbox WHERE key = '$HB' AND type = 'receipt' AND payload->>'returnStatus' = '-1'" | sed 's/;.*//')"
check "... and a departure_not_released alert for a customs officer" "customs officer|t|t" \
    "$(alert_of "$HB" departure_not_released | cut -d'|' -f3-)"

check "unhold_parcel releases the held parcel that arrived" "$HA|800|released|t|f" \
    "$(as_officer "SELECT * FROM customs.unhold_parcel('$HA', 'tip checked: nothing found')")"
check "... the warehouse is told: hold, unhold, release" "hold,unhold,release" "$(events_of "$HA")"
check "... parcel_history shows the hold and its lifting, with the officer and the note" \
    "hold|held|officer:$OFFICER|tip: counterfeit guitars;unhold|lifted|officer:$OFFICER|tip checked: nothing found;release|800|officer:$OFFICER" \
    "$(as_officer "SELECT string_agg(concat_ws('|', event, coalesce(status_code::text, status), actor, CASE WHEN kind = 'hold' THEN note END), ';' ORDER BY at, kind) FROM customs.parcel_history WHERE logistics_no = '$HA' AND (kind = 'hold' OR event = 'release')")"
as_officer "SELECT * FROM customs.unhold_parcel('$HR', 'documents arrived')" >/dev/null
check "after unhold, release_review releases" "800" \
    "$(as_officer "SELECT status_code FROM customs.release_review('$HR', 'documents fine')")"
as_officer "SELECT * FROM customs.unhold_parcel('$HI', 'case closed')" >/dev/null
check "after unhold, reopen_detained released" "800" \
    "$(as_officer "SELECT status_code FROM customs.reopen_detained('$HI', 'released', 'case settled')")"
check "unhold of HB lifts the officer's and the alert's hold; the alert stays open" "f|t" \
    "$(as_officer "SELECT held FROM customs.unhold_parcel('$HB', 'cleared')")|$(alert_of "$HB" departure_not_released | cut -d'|' -f4)"

# --- alerts -----------------------------------------------------------------------------------
add_scan "$AD" departure "2024-05-12T15:00:00+08:00"                 # not released
add_scan "$AS" arrival "2024-05-12T15:00:00+08:00"                   # same site: duplicate
add_scan "$AS" arrival "2024-05-12T15:30:00+08:00" 1900W00002        # another site
add_scan "$HB" departure "2024-05-12T16:00:00+08:00"                 # unheld now: closes
if flush; then ok "phase 3 (alerts) committed"; else fail "phase 3 not committed"; fi
check "departure of a parcel not released: refused, alert, held" \
    "399 refused|1900W00001|customs officer|t|t" "$(status "$AD") $(outcomes "$AD")|$(alert_of "$AD" departure_not_released | cut -d'|' -f2-)"
check "second arrival at the same site: a duplicate, no alert" "released,duplicate" \
    "$(q "SELECT string_agg(outcome, ',' ORDER BY id) FROM customs.warehouse_scans WHERE logistics_no = '$AS' AND loct_no = '1900W00001'")"
check "second arrival at another site: refused, alert for the warehouse, held" \
    "800 released,duplicate,refused|1900W00002|supervised warehouse|t|t" \
    "$(status "$AS") $(outcomes "$AS")|$(alert_of "$AS" second_arrival | cut -d'|' -f2-)"
check "... one alert for AS" "1" "$(as_officer "SELECT count(*) FROM customs.alerts WHERE logistics_no = '$AS'")"
check "the departure of HB, unheld, closes it" "899" "$(status "$HB")"

check "sweep: the unknown parcel's scan is not past a 1 hour deadline" "0" \
    "$(as_daemon "SELECT customs.sweep_alerts('1 hour'); SELECT count(*) FROM customs.alert_log WHERE logistics_no = '$AU'" | tail -1)"
# 25 hours pass for AU's scan: customsd's own sweep (every 10 s, alerts.unknown_parcel_hours
# 24 by default) raises the alert; a sweep by hand afterwards raises no second one.
q "UPDATE customs.warehouse_scans SET received_at = received_at - interval '25 hours' WHERE logistics_no = '$AU'" >/dev/null
for _ in $(seq 150); do
    [ "$(q "SELECT count(*) FROM customs.alert_log WHERE logistics_no = '$AU'")" = 0 ] || break
    sleep 0.1
done
check "customsd's sweep raised the unknown_parcel alert" "1" \
    "$(q "SELECT count(*) FROM customs.alert_log WHERE logistics_no = '$AU' AND kind = 'unknown_parcel'")"
as_daemon "SELECT customs.sweep_alerts('0 seconds')" >/dev/null
check "past the deadline: one unknown_parcel alert for the warehouse, held before it is declared" \
    "1900W00001|supervised warehouse|t|t" "$(alert_of "$AU" unknown_parcel | cut -d'|' -f2-)"
check "sweep_alerts refuses a negative deadline" "1" \
    "$(as_daemon "SELECT customs.sweep_alerts('-1 hour')" | grep -c 'must be an interval of 0 or more')"
check "the 'alert' events: kind in \"event\", no status for the unknown parcel" \
    "$AD:departure_not_released:399,$AS:second_arrival:800,$AU:unknown_parcel:" \
    "$(q "SELECT string_agg(concat_ws(':', key, payload->>'event', coalesce(payload->>'status_code', '')), ',' ORDER BY key) FROM customs.outbox WHERE type = 'alert' AND key IN ('$AD', '$AS', '$AU')")"
add_decl "$AU" $GUITAR
if flush; then ok "phase 4 (the unknown parcel declared) committed"; else fail "phase 4 not committed"; fi
check "declared late, its arrival is recorded but the alert's hold keeps it" "399 held" "$(status "$AU") $(outcomes "$AU")"

# resolve
ad_id=$(alert_of "$AD" departure_not_released | cut -d'|' -f1)
au_id=$(alert_of "$AU" unknown_parcel | cut -d'|' -f1)
refused "resolve_alert without a note" "the note is required" "SELECT * FROM customs.resolve_alert($ad_id, ' ')"
check "resolve_alert: resolved, the hold lifted (not arrived: stays accepted)" "$ad_id|departure_not_released|$AD|399|f" \
    "$(as_officer "SELECT * FROM customs.resolve_alert($ad_id, 'scanner error, parcel still in the warehouse')")"
check "... the alert shows who resolved it and why" "f|officer:$OFFICER|scanner error, parcel still in the warehouse" \
    "$(as_officer "SELECT concat_ws('|', open, resolved_by, resolution_note) FROM customs.alerts WHERE id = $ad_id")"
refused "resolve_alert twice" "resolve refused: resolved already" "SELECT * FROM customs.resolve_alert($ad_id, 'again')"
refused "resolve_alert of no alert" "does not exist" "SELECT * FROM customs.resolve_alert(-1, 'x')"
check "resolve_alert of an accepted parcel that arrived: released" "$au_id|unknown_parcel|$AU|800|f" \
    "$(as_officer "SELECT * FROM customs.resolve_alert($au_id, 'declared late, documents fine')")"
check "parcel_history shows the alert and its resolution" "unknown_parcel|resolved" \
    "$(as_officer "SELECT string_agg(event, '|' ORDER BY at) FROM customs.parcel_history WHERE logistics_no = '$AU' AND kind = 'alert'")"
check "no officer and no note in any event or receipt" "0" \
    "$(q "SELECT count(*) FROM customs.outbox WHERE key LIKE '$N-%' AND (payload::text LIKE '%$OFFICER%' OR payload::text ~ 'tip|case 20|scanner error|documents|cleared|settled|1900W0000')")"

# --- permissions ------------------------------------------------------------------------------
refused "the officer cannot read the alert table" "permission denied" "SELECT count(*) FROM customs.alert_log"
refused "the officer cannot write the holds" "permission denied" \
    "UPDATE customs.parcel_holds SET lifted_at = now(), lifted_by = 'x', lift_note = 'x'"
refused "the officer cannot insert an alert" "permission denied" \
    "INSERT INTO customs.alert_log (kind, logistics_no, occurred_at, details, must_act) VALUES ('unknown_parcel', 'x', now(), 'x', 'customs officer')"
refused "the officer cannot run the sweep" "permission denied" "SELECT customs.sweep_alerts('1 hour')"
refused "the officer cannot raise an alert" "permission denied" \
    "SELECT customs.raise_alert('unknown_parcel', 'x', NULL, now(), 'x', NULL)"

# --- the warehouse hears it on Kafka ------------------------------------------------------------
stop_customsd TERM
check "customsd exits 0" 0 "$STOP_RC"
consume "$N.events" '%k\t%s\n' >"$T_DIR/events"
evtypes() { awk -F'\t' -v k="$1" '$1 == k' "$T_DIR/events" | grep -o '"type": *"[a-z]*"' | sed 's/.*"\([a-z]*\)"$/\1/' | tr '\n' ' ' | sed 's/ $//'; }
check "events on Kafka: held, then released at unhold" "hold unhold release" "$(evtypes "$HA")"
check "events on Kafka: held released parcel, refused departure, unhold" "release hold alert unhold" "$(evtypes "$HB")"
check "events on Kafka: departure not released" "alert hold unhold" "$(evtypes "$AD")"
check "events on Kafka: second arrival" "release alert hold" "$(evtypes "$AS")"
check "events on Kafka: unknown parcel, released at the resolution" "alert unhold release" "$(evtypes "$AU")"
finish
