#!/bin/bash
# test_workflow.sh - the clearance workflow end to end: declarations and warehouse scans
# through Kafka -> customsd (connected as a member of the customsd role) -> PostgreSQL; an
# officer (a login in role customs_officer) works in psql; events and receipts come back
# on Kafka. One parcel of each kind:
#   accepted -> arrival -> released (release event) -> departure -> closed
#   inspection -> arrival (held) -> officer: passed -> released, event within 1 s
#   inspection -> officer: detained 502 (detain event)
#   manual review (a review rule in this test's rules file) -> officer: returned (700)
#   arrival scanned before the declaration arrives -> released when it does
#   amendment (appType 2) before release: replaced, re-decided (inspection)
#   amendment after release: refused, quarantined, -1 receipt; cancellation (appType 3)
# and the permissions: the officer cannot UPDATE a table or call a daemon function, the
# daemon role cannot CREATE TABLE or ALTER the schema.
source "$(dirname "$0")/lib.sh"
N=wf${T_RUN}
OFFICER=it_officer_$N
DAEMON=it_daemon_$N

# A rules file with a manual-review rule: lithium batteries (HS 8507) need a document check.
rules=$(rules_copy "$T_DIR/rules")
{
    cat <<'YAML'

  - id: IT-REVIEW-BATTERY
    description: Lithium batteries (8507) - check the transport documents by hand
    action: review
    check: hs_prefix
    field: items[].gcode
    prefixes: ["8507"]
YAML
} >> "$rules"
"$BUILD/customsctl" rules check "$rules" >/dev/null || { fail "test rules file invalid"; finish; }
cfg=$(write_config "$N" 200 "$rules")

q "CREATE ROLE $OFFICER LOGIN IN ROLE customs_officer; CREATE ROLE $DAEMON LOGIN IN ROLE customsd"
drop_roles() { q "DROP ROLE IF EXISTS $OFFICER; DROP ROLE IF EXISTS $DAEMON" >/dev/null || true; }
trap 'drop_roles; t_cleanup' EXIT

# as_officer SQL / as_daemon SQL: psql as that login; stderr kept for the error checks.
as_officer() { psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$OFFICER" -c "$1" 2>&1; }
as_daemon() { psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$DAEMON" -c "$1" 2>&1; }

# decl LNO APPTYPE GCODE NOTE: a valid CEB603 declaration (one item, 2 x 699.50 CNY).
decl() { t_decl "$1" appType="$2" gcode="$3" note="$4"; }
# scan LNO KIND TIME: a warehouse scan record as the warehouse publishes it.
scan() { t_scan "$@"; }
words() { tr '\n' ' ' | sed 's/ $//'; } # lines -> one line, space-separated
status() { q "SELECT status_code FROM customs.declarations WHERE logistics_no = '$1'"; }
history() {
    q "SELECT string_agg(format('%s:%s>%s', event, from_code, status_code), ' ' ORDER BY id)
       FROM customs.status_history WHERE logistics_no = '$1'"
}

GUITAR=9207900000 GRAPHITE=3801100000 BATTERY=8507600000
ACC=$N-ACC INSP=$N-INSP INSD=$N-INSD REV=$N-REV EARLY=$N-EARLY AMD1=$N-AMD1 AMD2=$N-AMD2 CAN=$N-CAN
t_batch_init

# --- phase 1: declarations, and a scan for a parcel not declared yet ------------------------
add_decl "$ACC" 1 $GUITAR ""
add_decl "$INSP" 1 $GRAPHITE ""
add_decl "$INSD" 1 $GRAPHITE ""
add_decl "$REV" 1 $BATTERY ""
add_decl "$AMD1" 1 $GUITAR ""
add_decl "$AMD2" 1 $GUITAR ""
add_decl "$CAN" 1 $GUITAR ""
add_scan "$EARLY" arrival "2024-05-12T11:00:00+08:00"
PGUSER=$DAEMON start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "phase 1 committed"; else fail "phase 1 not committed"; tail -20 "$T_DIR/customsd.log"; fi
check "customsd connects as the daemon role" "$DAEMON" \
    "$(q "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'customsd'")"
check "decisions: accepted, inspection, review" "399 500 500 300" \
    "$(for p in "$ACC" "$INSP" "$INSD" "$REV"; do status "$p"; done | words)"
check "scan before its declaration waits" pending \
    "$(q "SELECT outcome FROM customs.warehouse_scans WHERE logistics_no = '$EARLY'")"

# --- phase 2: arrivals; the early parcel's declaration --------------------------------------
add_scan "$ACC" arrival "2024-05-12T12:00:00+08:00"
add_scan "$INSP" arrival "2024-05-12T12:01:00+08:00"
add_scan "$AMD2" arrival "2024-05-12T12:02:00+08:00"
add_scan "$INSD" departure "2024-05-12T12:03:00+08:00"   # not released: refused
add_decl "$EARLY" 1 $GUITAR ""
if flush; then ok "phase 2 committed"; else fail "phase 2 not committed"; fi
check "accepted + arrival: released" "declared:>399 arrival:399>800" "$(history "$ACC")"
check "inspection + arrival: held" "500|t" \
    "$(q "SELECT concat_ws('|', status_code, arrived_at IS NOT NULL) FROM customs.declarations WHERE logistics_no = '$INSP'")"
check "scan before declaration: released once declared" "declared:>399 arrival:399>800" "$(history "$EARLY")"
check "departure before release refused and recorded" "departure|500" \
    "$(q "SELECT concat_ws('|', event, from_code) FROM customs.refused_transitions WHERE logistics_no = '$INSD'")"
check "batch with the refused departure committed" "$ns" "$(committed "$N" "$N.scans")"

# --- phase 3: departure, amendments, cancellation -------------------------------------------
add_scan "$ACC" departure "2024-05-13T08:00:00+08:00"
add_scan "$ACC" departure "2024-05-13T08:00:00+08:00"    # sent twice: harmless
add_decl "$AMD1" 2 $GRAPHITE "amended"                   # before release: re-decided 500
add_decl "$AMD2" 2 $GRAPHITE "amended"                   # after release: refused
add_decl "$CAN" 3 $GUITAR "cancel"
add_decl "$ACC" 1 $GUITAR ""                             # the original re-sent: no-op
if flush; then ok "phase 3 committed"; else fail "phase 3 not committed"; fi
check "accepted parcel's full path" "declared:>399 arrival:399>800 departure:800>899" "$(history "$ACC")"
check "second departure scan is a duplicate" "closed,duplicate" \
    "$(q "SELECT string_agg(outcome, ',' ORDER BY id) FROM customs.warehouse_scans WHERE logistics_no = '$ACC' AND scan = 'departure'")"
check "amendment before release: replaced and re-decided" "500|2|3801100000" \
    "$(q "SELECT concat_ws('|', d.status_code, d.version, i.gcode) FROM customs.declarations d JOIN customs.declaration_items i USING (logistics_no) WHERE d.logistics_no = '$AMD1'")"
check "amendment history kept" "declared:>399 amendment:399>500" "$(history "$AMD1")"
check "amendment after release refused, parcel stays released" "800|1" \
    "$(q "SELECT concat_ws('|', status_code, version) FROM customs.declarations WHERE logistics_no = '$AMD2'")"
check "refused amendment quarantined with the reason" 1 \
    "$(q "SELECT count(*) FROM customs.quarantine WHERE logistics_no = '$AMD2' AND reason LIKE '%already released (800%'")"
check "cancellation: 100, cancelled" "100|t" \
    "$(q "SELECT concat_ws('|', status_code, cancelled_at IS NOT NULL) FROM customs.declarations WHERE logistics_no = '$CAN'")"
check "re-sent original is a no-op" 1 \
    "$(q "SELECT count(*) FROM customs.status_history WHERE logistics_no = '$ACC' AND event = 'declared'")"

# --- phase 4: the officer in psql --------------------------------------------------------------
queue=$(as_officer "SELECT logistics_no, status_code, arrived FROM customs.inspection_queue WHERE logistics_no LIKE '$N-%'")
check "officer's inspection_queue lists the held parcels" \
    "$AMD1|500|f $INSD|500|f $INSP|500|t $REV|300|f" "$(printf '%s\n' "$queue" | sort | words)"
check "oldest first: the parcel amended last comes last" "$AMD1|500|f" "$(printf '%s\n' "$queue" | tail -1)"
t0=$(date +%s%3N)
check "officer passes the inspection: released" "$INSP|800|released|t" \
    "$(as_officer "SELECT * FROM customs.record_inspection('$INSP', 'passed', 'opened: graphite electrodes as declared')")"
ev=""
deadline=$(( $(date +%s) + 10 ))
while [ -z "$ev" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    ev=$(consume "$N.events" '%T\t%k\t%s\n' | awk -F'\t' -v k="$INSP" '$2 == k && $3 ~ /"type": *"release"/' | head -1)
    [ -n "$ev" ] || sleep 0.1
done
if [ -n "$ev" ]; then
    lag=$(( $(printf '%s\n' "$ev" | cut -f1) - t0 ))
    if [ "$lag" -lt 1000 ]; then ok "release event on $N.events ${lag} ms after the officer's call"
    else fail "release event produced ${lag} ms after the call (want < 1000)"; fi
    case "$ev" in *"\"event\": \"release\""*) ok "event gives the cause (release)" ;;
        *) fail "event does not give its cause: $ev" ;; esac
    case "$ev" in *"$OFFICER"*|*'"actor"'*) fail "event names the officer: $ev" ;;
        *) ok "event does not name the officer (status_history does)" ;; esac
else
    fail "no release event for $INSP on $N.events"
fi
check "officer detains a parcel" "502" \
    "$(as_officer "SELECT status_code FROM customs.record_inspection('$INSD', 'detained', 'undeclared lithium cells', 502)")"
check "officer returns a parcel held for review" "700" \
    "$(as_officer "SELECT status_code FROM customs.return_review('$REV', 'no dangerous-goods declaration')")"
check "officer recorded as the login" "officer:$OFFICER officer:$OFFICER officer:$OFFICER" \
    "$(q "SELECT actor FROM customs.status_history WHERE logistics_no IN ('$INSP', '$INSD', '$REV') AND event IN ('inspection', 'review') ORDER BY id" | words)"
check "queue left: the amended parcel" "$AMD1" \
    "$(as_officer "SELECT logistics_no FROM customs.inspection_queue WHERE logistics_no LIKE '$N-%'")"
out=$(as_officer "SELECT * FROM customs.record_inspection('$ACC', 'passed', 'x')" || true)
case "$out" in *"refused: the parcel is closed (899"*) ok "inspection result on a closed parcel refused" ;;
    *) fail "inspection result on a closed parcel: $out" ;; esac
check "officer reads one parcel's history" "declared|inspection|release" \
    "$(as_officer "SELECT string_agg(event, '|') FROM customs.parcel_history WHERE logistics_no = '$INSP' AND kind = 'status'")"
check "officer reads the daily summary" t \
    "$(as_officer "SELECT sum(parcels) >= 8 FROM customs.daily_summary WHERE hs_chapter IN ('92', '38', '85')")"

# --- permissions ---------------------------------------------------------------------------------
denied() { # DESCRIPTION OUTPUT: the command must have failed with a privilege error
    case "$2" in *"permission denied"*|*"must be owner"*) ok "$1" ;; *) fail "$1: $2" ;; esac
}
denied "officer cannot UPDATE customs.declarations" \
    "$(as_officer "UPDATE customs.declarations SET status_code = 800 WHERE logistics_no = '$INSD'" || true)"
denied "officer cannot read the tables directly" \
    "$(as_officer "SELECT count(*) FROM customs.outbox" || true)"
denied "officer cannot call apply_batch" \
    "$(as_officer "SELECT customs.apply_batch('x', '{}')" || true)"
denied "officer cannot call change_status" \
    "$(as_officer "SELECT customs.change_status('$INSD', 800, 'release', 'me', 'x')" || true)"
denied "officer cannot write the outbox" \
    "$(as_officer "INSERT INTO customs.outbox (topic, type, payload) VALUES ('x', 'release', '{}')" || true)"
denied "daemon role cannot CREATE TABLE in customs" \
    "$(as_daemon "CREATE TABLE customs.it_$N (x int)" || true)"
denied "daemon role cannot CREATE TABLE in public" \
    "$(as_daemon "CREATE TABLE public.it_$N (x int)" || true)"
denied "daemon role cannot ALTER a table" \
    "$(as_daemon "ALTER TABLE customs.declarations ADD COLUMN it_$N int" || true)"
denied "daemon role cannot call officer functions" \
    "$(as_daemon "SELECT * FROM customs.record_inspection('$AMD1', 'passed', 'x')" || true)"
check "detained parcel unchanged by the refused attempts" 502 "$(status "$INSD")"

# --- what went out -----------------------------------------------------------------------------
wait_committed "$N" "$N.declarations" "$nd" 30 || fail "outbox not drained"
stop_customsd TERM
check "customsd exits 0" 0 "$STOP_RC"
consume "$N.events" '%k\t%s\n' > "$T_DIR/events"
consume "$N.receipts" '%k\t%s\n' > "$T_DIR/receipts"
evtypes() { awk -F'\t' -v k="$1" '$1 == k' "$T_DIR/events" | grep -o '"type": *"[a-z]*"' | sed 's/.*"\([a-z]*\)"$/\1/' | tr '\n' ' ' | sed 's/ $//'; }
check "events: accepted parcel" "release" "$(evtypes "$ACC")"
check "events: inspection passed" "inspect release" "$(evtypes "$INSP")"
# (its departure scan before release raised an alert and held it: 25_holds.sql)
check "events: detained" "inspect alert hold detain" "$(evtypes "$INSD")"
check "events: review returned" "return" "$(evtypes "$REV")"
check "events: early scan" "release" "$(evtypes "$EARLY")"
check "events: cancelled" "return" "$(evtypes "$CAN")"
check "a receipt per status change (and per refusal), and a 120 per new declaration" \
    "$(q "SELECT (SELECT count(*) FROM customs.status_history WHERE logistics_no LIKE '$N-%') + (SELECT count(*) FROM customs.refused_transitions WHERE logistics_no LIKE '$N-%') + (SELECT count(*) FROM customs.status_history WHERE logistics_no LIKE '$N-%' AND event = 'declared')")" \
    "$(grep -c "^$N-" "$T_DIR/receipts" || true)"
check "closed parcel's receipts: received (120), accepted, released, closed" "120 399 800 899" \
    "$(awk -F'\t' -v k="$ACC" '$1 == k' "$T_DIR/receipts" | grep -o '"returnStatus": *"[0-9-]*"' | grep -o '[0-9-]*' | tr '\n' ' ' | sed 's/ $//')"
# invtNo: given on acceptance (customs code 1900 of the test declaration, the year, E, 9
# digits), none in the 120 receipt, the same in every later receipt, the release event and
# the officers' view.
INVT=$(q "SELECT invt_no FROM customs.parcel_status WHERE logistics_no = '$ACC'")
check "accepted parcel's invtNo: 18 characters, 1900 + year + E + serial" 1 \
    "$(q "SELECT count(*) FROM customs.parcel_status WHERE logistics_no = '$ACC' AND invt_no ~ ('^1900' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY') || 'E[0-9]{9}$')")"
invt_of() { awk -F'\t' -v k="$2" '$1 == k' "$T_DIR/$1" | sed 's/.*"invtNo": *\("[0-9A-Z]*"\|null\).*/\1/' | tr -d '"' | tr '\n' ' ' | sed 's/ $//'; }
check "closed parcel's receipts carry its invtNo from the acceptance on" "null $INVT $INVT $INVT" \
    "$(invt_of receipts "$ACC")"
check "closed parcel's release event carries its invtNo" "$INVT" "$(invt_of events "$ACC")"
check "each accepted parcel has its own invtNo" \
    "$(q "SELECT count(*) FROM customs.parcel_status WHERE logistics_no LIKE '$N-%' AND invt_no IS NOT NULL")" \
    "$(q "SELECT count(DISTINCT invt_no) FROM customs.parcel_status WHERE logistics_no LIKE '$N-%'")"
check "a first receipt is the 120 (海关入库)" "海关入库 stored" \
    "$(awk -F'\t' -v k="$ACC" '$1 == k' "$T_DIR/receipts" | head -1 | sed 's/.*"returnInfo": *"\([^"]*\)".*/\1/')"
finish
