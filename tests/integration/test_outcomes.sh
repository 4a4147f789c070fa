#!/bin/bash
# test_outcomes.sh - every per-parcel log line says what was recorded (issue 9, "logs from
# outcomes"): for each outcome customs.apply_batch reports, one record is produced, its
# batch awaited, and the line customsd logged for it is compared with what the database
# holds (customs.parcel_status, status_history, refused_transitions, warehouse_scans,
# quarantine): new declarations recorded as accepted (399, at info level like
# every decided parcel: the default level, so the log holds one line per parcel), rejected (100)
# and held for inspection (500) with their rule ids; a duplicate; a second appType 1
# declaration with other content, which the rules would reject (ieFlag I) but which is
# quarantined as a conflict while the stored parcel stays at 399 (the issue's case); an
# amendment re-decided; a cancellation; an amendment the state machine refuses; an
# undecodable record; scans applied (released, held), refused, sent twice, and pending
# their declaration, then applied by the batch of that declaration. (The shipped rules have
# no review rule, so 300 does not occur.)
# Each expected line is built from the database's rows, so line and database must agree.
source "$(dirname "$0")/lib.sh"
N=oc${T_RUN}
rules=$(rules_copy "$T_DIR/rules")
cfg=$(write_config "$N" 50 "$rules")
log=$T_DIR/customsd.log
DT=$N.declarations
ST=$N.scans

# decl LNO APPTYPE IEFLAG KIND NOTE: a CEB603 declaration; KIND guitar (9207: accepted) or
# graphite (3801: on the inspection watch list).
decl() {
    if [ "$4" = graphite ]; then
        t_decl "$1" appType="$2" ieFlag="$3" note="$5" gcode=3801100000 qty=10 price=12.34567 \
            totalPrice=123.46 grossWeight=11 netWeight=10
    else
        t_decl "$1" appType="$2" ieFlag="$3" note="$5"
    fi
}
# scan LNO KIND: a warehouse scan at a fixed time (normalised by customsd as below).
SCAN_AT=2024-05-12T10:30:00+08:00
scan() { printf '{"logisticsNo":"%s","scan":"%s","scannedAt":"20240512103000","loctNo":"1900W00001"}' "$1" "$2"; }

# send TOPIC KEY VALUE: produce one record and wait until it is committed; the log is
# examined from the line after the mark set here.
n_decl=0
n_scan=0
send() {
    : >"$T_DIR/one.frames"
    frame_json "$T_DIR/one.frames" "$2" "$3"
    MARK=$(wc -l <"$log")
    produce "$1" "$T_DIR/one.frames"
    local want
    if [ "$1" = "$DT" ]; then n_decl=$((n_decl + 1)); want=$n_decl; else n_scan=$((n_scan + 1)); want=$n_scan; fi
    wait_committed "$N" "$1" "$want" 60 || { fail "record $want of $1 not committed"; tail -20 "$log"; finish; }
}
# where TOPIC KEY: "TOPIC [p] offset o" of the record just committed for KEY: its partition
# is the one KEY's records go to (from the rows below), its offset the partition's stored
# next offset - 1 (one record is committed at a time).
where() {
    local p
    p=$(q "SELECT source_partition FROM customs.status_history WHERE logistics_no = '$2'
           AND source_topic = '$1' UNION ALL
           SELECT source_partition FROM customs.warehouse_scans WHERE logistics_no = '$2'
           AND source_topic = '$1' UNION ALL
           SELECT source_partition FROM customs.quarantine WHERE logistics_no = '$2'
           AND source_topic = '$1' LIMIT 1")
    echo "$1 [$p] offset $(( $(q "SELECT next_offset FROM customs.consumer_offsets
        WHERE group_id = '$N' AND topic = '$1' AND partition = $p") - 1 ))"
}
# expect_line LEVEL TEXT: customsd logged "[LEVEL] TEXT" after the mark (within 10 s).
expect_line() {
    local deadline=$(( $(date +%s) + 10 ))
    until tail -n +$((MARK + 1)) "$log" | grep -qF -- "[$1] $2"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            fail "no log line \"[$1] $2\"; logged:"
            tail -n +$((MARK + 1)) "$log" | grep -F -e parcel -e record | sed 's/^/      /' | tail -5
            return
        fi
        sleep 0.1
    done
    ok "log: [$1] $2"
}
# no_line TEXT: nothing logged after the mark contains TEXT.
no_line() {
    if tail -n +$((MARK + 1)) "$log" | grep -qF -- "$1"; then fail "logged \"$1\""; else ok "not logged: \"$1\""; fi
}
status_of() { q "SELECT status_code || ' ' || status FROM customs.parcel_status WHERE logistics_no = '$1'"; }
history_rows() { q "SELECT count(*) FROM customs.status_history WHERE logistics_no = '$1'"; }
# last_change KEY: "CODE NAME|rule ids" of the parcel's last status_history row.
last_change() {
    q "SELECT status_code || ' ' || status || '|' || array_to_string(rule_ids, ',')
         FROM customs.status_history WHERE logistics_no = '$1' ORDER BY id DESC LIMIT 1"
}
# expect_recorded KEY WHERE: the line of a new declaration, built from its history row.
expect_recorded() {
    local row st ids
    row=$(q "SELECT status_code || ' ' || status || '|' || array_to_string(rule_ids, ',')
               FROM customs.status_history WHERE logistics_no = '$1' AND event = 'declared'")
    st=${row%%|*}
    ids=${row#*|}
    if [ -z "$ids" ]; then expect_line info "parcel $1 ($2): recorded $st"
    else expect_line info "parcel $1 ($2): recorded $st by $ids"; fi
}

start_customsd "$cfg" "$log"

# --- new declarations, one per status the shipped rules give -------------------------------
ACC=$N-ACC REJ=$N-REJ INS=$N-INS CAN=$N-CAN PEND=$N-PEND BAD=$N-BAD
send "$DT" "$ACC" "$(decl "$ACC" 1 E guitar "")"
check "accepted: stored at" "399 accepted" "$(status_of "$ACC")"
expect_recorded "$ACC" "$(where "$DT" "$ACC")"
check "accepted without reasons (a plain accepted parcel is logged too, at info)" "399 accepted|" "$(last_change "$ACC")"

send "$DT" "$REJ" "$(decl "$REJ" 1 I guitar "")"
check "rejected: stored at" "100 rejected" "$(status_of "$REJ")"
case "$(last_change "$REJ")" in *CEB603-IEFLAG*) ok "rejected by CEB603-IEFLAG" ;; *) fail "REJ: $(last_change "$REJ")" ;; esac
expect_recorded "$REJ" "$(where "$DT" "$REJ")"

send "$DT" "$INS" "$(decl "$INS" 1 E graphite "")"
check "inspection: stored at" "500 inspection" "$(status_of "$INS")"
case "$(last_change "$INS")" in *MISHAN-HS-WATCH*) ok "held by MISHAN-HS-WATCH" ;; *) fail "INS: $(last_change "$INS")" ;; esac
expect_recorded "$INS" "$(where "$DT" "$INS")"

# --- the same bytes again: a duplicate -------------------------------------------------------
send "$DT" "$ACC" "$(decl "$ACC" 1 E guitar "")"
expect_line info "parcel $ACC ($(where "$DT" "$ACC")): declaration with the content of a stored version: nothing changed (parcel at $(status_of "$ACC"))"
check "duplicate: no history row added" 1 "$(history_rows "$ACC")"

# --- the issue's case: appType 1 again, other content the rules reject -------------------------
send "$DT" "$ACC" "$(decl "$ACC" 1 I guitar "second")"
at=$(where "$DT" "$ACC")
expect_line warn "parcel $ACC ($at): second declaration with other content (appType 1): quarantined as a conflict; stored parcel kept at $(status_of "$ACC")"
no_line "rejected by CEB603-IEFLAG"
check "conflict: the stored parcel kept at" "399 accepted" "$(status_of "$ACC")"
check "conflict: no history row added" 1 "$(history_rows "$ACC")"
off=${at##* }
check "conflict: the copy quarantined with the reason" 1 \
    "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$DT' AND source_offset = $off
          AND logistics_no = '$ACC' AND reason LIKE 'logisticsNo already declared with different content%'")"

# --- an amendment, re-decided ------------------------------------------------------------------
send "$DT" "$REJ" "$(decl "$REJ" 2 E guitar "amended")"
row=$(last_change "$REJ")
ids=${row#*|}
expect_line info "parcel $REJ ($(where "$DT" "$REJ")): amendment (appType 2) applied: re-decided ${row%%|*}${ids:+ by $ids}"
check "amendment: status now" "399 accepted" "$(status_of "$REJ")"
check "amendment: history row" "amendment|2" \
    "$(q "SELECT h.event || '|' || d.version FROM customs.status_history h JOIN customs.declarations d USING (logistics_no)
          WHERE h.logistics_no = '$REJ' ORDER BY h.id DESC LIMIT 1")"

# --- a cancellation ------------------------------------------------------------------------------
send "$DT" "$CAN" "$(decl "$CAN" 1 E guitar "")"
send "$DT" "$CAN" "$(decl "$CAN" 3 E guitar "cancel")"
expect_line info "parcel $CAN ($(where "$DT" "$CAN")): cancellation (appType 3) applied: now $(status_of "$CAN"), cancelled by the declarer"
check "cancellation: status, cancelled, history" "100 rejected|1|cancellation" \
    "$(q "SELECT d.status_code || ' ' || d.status || '|' || (d.cancelled_at IS NOT NULL)::int || '|' || h.event
          FROM customs.declarations d JOIN customs.status_history h USING (logistics_no)
          WHERE d.logistics_no = '$CAN' ORDER BY h.id DESC LIMIT 1")"

# --- an amendment the state machine refuses (under inspection) --------------------------------------
send "$DT" "$INS" "$(decl "$INS" 2 E graphite "amended")"
at=$(where "$DT" "$INS")
reason=$(q "SELECT reason FROM customs.refused_transitions WHERE logistics_no = '$INS' AND source_topic = '$DT'
            AND source_offset = ${at##* } ORDER BY id DESC LIMIT 1")
check "refused: the reason recorded" "amendment (appType 2) refused: the parcel is under inspection (500 查验); an officer records the result first" "$reason"
expect_line warn "parcel $INS ($at): $reason; parcel stays at $(status_of "$INS")"
check "refused: status unchanged" "500 inspection" "$(status_of "$INS")"
check "refused: no history row added" 1 "$(history_rows "$INS")"

# --- an undecodable record ------------------------------------------------------------------------
send "$DT" "$BAD" "{\"logisticsNo\":\"$BAD\",\"items\":["
qrow=$(q "SELECT source_partition || '|' || source_offset || '|' || coalesce(logistics_no, 'unknown') || '|' || reason
          FROM customs.quarantine WHERE source_topic = '$DT' ORDER BY id DESC LIMIT 1")
IFS='|' read -r qp qo ql qr <<<"$qrow"
[ -n "$qr" ] && ok "quarantined with a reason ($qr)" || fail "no quarantine row: $qrow"
expect_line warn "record $DT [$qp] offset $qo quarantined (logisticsNo $ql): $qr"

# --- scans ----------------------------------------------------------------------------------------
send "$ST" "$PEND" "$(scan "$PEND" arrival)"
expect_line info "parcel $PEND ($(where "$ST" "$PEND")): arrival scan at $SCAN_AT: kept, pending its declaration"
check "pending scan kept" "pending" "$(q "SELECT outcome FROM customs.warehouse_scans WHERE logistics_no = '$PEND'")"
check "pending scan: no parcel" "" "$(status_of "$PEND")"

send "$ST" "$ACC" "$(scan "$ACC" arrival)"
expect_line info "parcel $ACC ($(where "$ST" "$ACC")): arrival scan at $SCAN_AT: released, now $(status_of "$ACC")"
check "arrival of an accepted parcel: released" "800 released|released" \
    "$(q "SELECT p.status_code || ' ' || p.status || '|' || w.outcome FROM customs.parcel_status p
          JOIN customs.warehouse_scans w USING (logistics_no) WHERE p.logistics_no = '$ACC'")"

send "$ST" "$INS" "$(scan "$INS" arrival)"
expect_line info "parcel $INS ($(where "$ST" "$INS")): arrival scan at $SCAN_AT: held, now $(status_of "$INS")"
check "arrival under inspection: held at 500" "500 inspection|held" \
    "$(q "SELECT p.status_code || ' ' || p.status || '|' || w.outcome FROM customs.parcel_status p
          JOIN customs.warehouse_scans w USING (logistics_no) WHERE p.logistics_no = '$INS'")"

send "$ST" "$INS" "$(scan "$INS" departure)"
note=$(q "SELECT note FROM customs.warehouse_scans WHERE logistics_no = '$INS' AND scan = 'departure'")
check "departure before release: refused" "departure refused: the parcel was not released (status 500 inspection)" "$note"
expect_line warn "parcel $INS ($(where "$ST" "$INS")): departure scan at $SCAN_AT: $note; parcel stays at $(status_of "$INS")"
check "refused departure recorded" 1 \
    "$(q "SELECT count(*) FROM customs.refused_transitions WHERE logistics_no = '$INS' AND event = 'departure'")"

send "$ST" "$ACC" "$(scan "$ACC" arrival)"
note=$(q "SELECT note FROM customs.warehouse_scans WHERE logistics_no = '$ACC' ORDER BY id DESC LIMIT 1")
check "the same scan again: a duplicate" "the same scan was received before" "$note"
expect_line info "parcel $ACC ($(where "$ST" "$ACC")): arrival scan at $SCAN_AT: duplicate, nothing changed ($note)"
check "duplicate scan: status unchanged" "800 released" "$(status_of "$ACC")"

# --- the pending scan, applied when its declaration comes -----------------------------------------
send "$DT" "$PEND" "$(decl "$PEND" 1 E guitar "")"
expect_recorded "$PEND" "$(where "$DT" "$PEND")"
ws=$(q "SELECT source_partition || ' ' || source_offset || ' ' || to_char(scanned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
        FROM customs.warehouse_scans WHERE logistics_no = '$PEND'")
read -r wp wo wat <<<"$ws"
expect_line info "parcel $PEND ($ST [$wp] offset $wo): arrival scan at $wat, pending until its declaration came: released, now $(status_of "$PEND")"
check "the pending arrival released its parcel" "800 released|released" \
    "$(q "SELECT p.status_code || ' ' || p.status || '|' || w.outcome FROM customs.parcel_status p
          JOIN customs.warehouse_scans w USING (logistics_no) WHERE p.logistics_no = '$PEND'")"

# --- the batch summary line stays ------------------------------------------------------------------
check "one batch summary line per record (one record per batch here)" "$((n_decl + n_scan))" \
    "$(grep -c '\[info\] batch committed: 1 records, ' "$log")"
grep -qE 'AddressSanitizer|runtime error|unreadable' "$log" && fail "sanitizer or unreadable report in the log" || ok "every report read"

stop_customsd TERM
check "customsd exits 0 on SIGTERM" 0 "$STOP_RC"
finish
