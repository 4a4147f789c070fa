#!/bin/bash
# test_no_leak.sh - nothing internal reaches the declarer or the warehouse: every path that
# writes a receipt or a warehouse event is driven through Kafka -> customsd -> PostgreSQL,
# the officer functions by a login of this test's own with notes that carry a unique
# marker; then the receipts and events topics are read back through Kafka. The login and
# the marker must be in customs.status_history (customs keeps who and why) and in no
# outbox payload and no record of either topic. Paths:
#   first decisions by the rules: accepted, rejected, inspection, manual review (a review
#   rule in this test's rules file); a conflict (appType 1, other content) and an
#   undecodable record (-1 receipts); arrival (release, held), departure (close), a
#   departure refused (-1); an amendment, an amendment refused (-1), a cancellation;
#   record_inspection passed (arrived: release chained; not arrived: released by the
#   arrival scan), detained, returned; release_review (arrived: release chained);
#   return_review.
source "$(dirname "$0")/lib.sh"
N=nl${T_RUN}
OFFICER=it_leak_officer_$N
MARK=LEAKMARK-$N

rules=$(rules_copy "$T_DIR/rules")
cat >> "$rules" <<'YAML'

  - id: IT-REVIEW-BATTERY
    description: Lithium batteries (8507) - check the transport documents by hand
    action: review
    check: hs_prefix
    field: items[].gcode
    prefixes: ["8507"]
YAML
"$BUILD/customsctl" rules check "$rules" >/dev/null || { fail "test rules file invalid"; finish; }
cfg=$(write_config "$N" 200 "$rules")

q "CREATE ROLE $OFFICER LOGIN IN ROLE customs_officer"
trap 'q "DROP ROLE IF EXISTS $OFFICER" >/dev/null || true; t_cleanup' EXIT
as_officer() { psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$OFFICER" -c "$1" 2>&1; }

# decl LNO APPTYPE GCODE NOTE: a CEB603 declaration (one item, 2 x 699.50 CNY); the note is
# the declarer's own field, never the marker.
decl() { t_decl "$1" appType="$2" gcode="$3" note="$4"; }
scan() { t_scan "$@"; }
status() { q "SELECT status_code FROM customs.declarations WHERE logistics_no = '$1'"; }

GUITAR=9207900000 GRAPHITE=3801100000 BATTERY=8507600000 BADHS=92079000
ACC=$N-ACC REJ=$N-REJ AMD=$N-AMD CAN=$N-CAN I1=$N-I1 I2=$N-I2 I3=$N-I3 I4=$N-I4 R1=$N-R1 R2=$N-R2
t_batch_init

# --- the rules decide; a conflict and an undecodable record; scans ----------------------------
add_decl "$ACC" 1 $GUITAR ""
add_decl "$REJ" 1 $BADHS ""
add_decl "$AMD" 1 $GUITAR ""
add_decl "$CAN" 1 $GUITAR ""
for p in "$I1" "$I2" "$I3" "$I4"; do add_decl "$p" 1 $GRAPHITE ""; done
for p in "$R1" "$R2"; do add_decl "$p" 1 $BATTERY ""; done
add_decl "$ACC" 1 $GUITAR "other content"                 # conflict: -1 receipt
printf '{"logisticsNo":"%s-Q","items":[' "$N" > "$T_DIR/bad"  # undecodable: -1 receipt
frame "$dframes" "$N-Q" "$T_DIR/bad"; nd=$((nd + 1))
start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "declarations committed"; else fail "declarations not committed"; tail -20 "$T_DIR/customsd.log"; fi
check "decisions" "399 100 399 399 500 500 500 500 300 300" \
    "$(for p in "$ACC" "$REJ" "$AMD" "$CAN" "$I1" "$I2" "$I3" "$I4" "$R1" "$R2"; do status "$p"; done | tr '\n' ' ' | sed 's/ $//')"
add_scan "$ACC" arrival "2024-05-12T12:00:00+08:00"          # released
add_scan "$I1" arrival "2024-05-12T12:01:00+08:00"           # held
add_scan "$R1" arrival "2024-05-12T12:02:00+08:00"           # held
add_scan "$I3" departure "2024-05-12T12:03:00+08:00"         # refused: -1 receipt
if flush; then ok "arrivals committed"; else fail "arrivals not committed"; fi
add_scan "$ACC" departure "2024-05-13T08:00:00+08:00"        # closed
add_decl "$AMD" 2 $GRAPHITE "amended"                        # 399 -> 500
add_decl "$CAN" 3 $GUITAR "cancel"                           # 399 -> 100
add_decl "$ACC" 2 $GRAPHITE "amended"                        # after release: refused, -1
if flush; then ok "departure, amendments, cancellation committed"; else fail "phase 2 not committed"; fi
check "after the declarer's changes" "899 500 100" "$(for p in "$ACC" "$AMD" "$CAN"; do status "$p"; done | tr '\n' ' ' | sed 's/ $//')"

# --- the officer: every function, each note with the marker --------------------------------
check "record_inspection passed, arrived" 800 \
    "$(as_officer "SELECT status_code FROM customs.record_inspection('$I1', 'passed', 'opened: $MARK-1 as declared')")"
check "record_inspection detained" 502 \
    "$(as_officer "SELECT status_code FROM customs.record_inspection('$I2', 'detained', 'smuggling referral $MARK-2: undeclared cells', 502)")"
check "record_inspection returned" 700 \
    "$(as_officer "SELECT status_code FROM customs.record_inspection('$I3', 'returned', 'wrong consignee $MARK-3')")"
check "record_inspection passed, not arrived" 399 \
    "$(as_officer "SELECT status_code FROM customs.record_inspection('$I4', 'passed', 'informant tip $MARK-4 unfounded')")"
check "release_review, arrived" 800 \
    "$(as_officer "SELECT status_code FROM customs.release_review('$R1', 'licence checked by phone $MARK-5')")"
check "return_review" 700 \
    "$(as_officer "SELECT status_code FROM customs.return_review('$R2', 'risk profile $MARK-6 matched')")"
add_scan "$I4" arrival "2024-05-12T13:00:00+08:00"           # released after the officer's pass
if flush; then ok "officer's changes published"; else fail "outbox not drained"; fi
check "arrival after the officer's pass releases" 800 "$(status "$I4")"
stop_customsd TERM
check "customsd exits 0" 0 "$STOP_RC"

# --- customs keeps who and why ----------------------------------------------------------------
check "status_history: the officer's login on 6 calls + 2 chained releases, the marker in 6 notes" "8|6" \
    "$(q "SELECT concat_ws('|', count(*) FILTER (WHERE actor = 'officer:$OFFICER'), count(*) FILTER (WHERE note LIKE '%$MARK-%')) FROM customs.status_history WHERE logistics_no LIKE '$N-%'")"

# --- ... and none of it went out ----------------------------------------------------------------
check "no outbox payload names the officer or carries a note" 0 \
    "$(q "SELECT count(*) FROM customs.outbox WHERE key LIKE '$N-%' AND (payload::text LIKE '%$OFFICER%' OR payload::text LIKE '%$MARK%' OR payload ?| array['actor', 'note'])")"
consume "$N.receipts" '%k\t%s\n' > "$T_DIR/receipts"
consume "$N.events" '%k\t%s\n' > "$T_DIR/events"
check "every receipt read back from $N.receipts" \
    "$(q "SELECT count(*) FROM customs.outbox WHERE key LIKE '$N-%' AND type = 'receipt'")" \
    "$(grep -c "^$N-" "$T_DIR/receipts" || true)"
check "every event read back from $N.events" \
    "$(q "SELECT count(*) FROM customs.outbox WHERE key LIKE '$N-%' AND type <> 'receipt'")" \
    "$(grep -c "^$N-" "$T_DIR/events" || true)"
check "receipt kinds: decisions, officers' results, -1 refusals" \
    "-1 100 120 300 399 500 502 700 800 899" \
    "$(grep -o '"returnStatus": *"[-0-9]*"' "$T_DIR/receipts" | sed 's/.*"\([-0-9]*\)"$/\1/' | sort -n -u | tr '\n' ' ' | sed 's/ $//')"
# (alert and hold: a departure scan of a parcel not released, 25_holds.sql)
check "event kinds: every warehouse action" "alert detain hold inspect release return" \
    "$(grep -o '"type": *"[a-z]*"' "$T_DIR/events" | sed 's/.*"\([a-z]*\)"$/\1/' | sort -u | tr '\n' ' ' | sed 's/ $//')"
# Risk information stays with customs: the reasons a rule sent a parcel to inspection (500)
# or manual review (300) are in customs.declarations, and in no receipt; a rejection's (100)
# reasons are what the declarer must correct, so they are there.
check "inspected and reviewed parcels have their rules' reasons on record" 6 \
    "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no IN ('$I1', '$I2', '$I3', '$I4', '$R1', '$R2') AND jsonb_array_length(reasons) > 0")"
check "no receipt but a 100 or -1 carries reasons" 0 \
    "$(grep -v -e '"returnStatus": *"100"' -e '"returnStatus": *"-1"' "$T_DIR/receipts" | grep -c -e '"reasons": *\[ *{' || true)"
check "the 500 and 300 receipts say the status alone" "人工审核 manual_review|查验 inspection" \
    "$(grep -e '"returnStatus": *"500"' -e '"returnStatus": *"300"' "$T_DIR/receipts" | sed 's/.*"returnInfo": *"\([^"]*\)".*/\1/' | sort -u | tr '\n' '|' | sed 's/|$//')"
check "a rejection's receipt names its rule" 1 \
    "$(awk -F'\t' -v k="$REJ" '$1 == k' "$T_DIR/receipts" | grep '"returnStatus": *"100"' | grep -c '"reasons": *\[ *{.*"rule_id"' || true)"
for t in receipts events; do
    check "no record on $N.$t names the officer" 0 "$(grep -c -e "$OFFICER" -e 'officer:' "$T_DIR/$t" || true)"
    check "no record on $N.$t carries the officer's note" 0 "$(grep -c -e "$MARK" "$T_DIR/$t" || true)"
    check "no record on $N.$t has an actor or a note" 0 "$(grep -c -e '"actor"' -e '"note"' "$T_DIR/$t" || true)"
done
finish
