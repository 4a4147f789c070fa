#!/bin/bash
# test_restart.sh - exactly once across stops: 3,000 declarations; customsd is stopped with
# SIGTERM mid-stream (must exit 0 within 10 s, batch committed or abandoned whole), restarted,
# killed with SIGKILL mid-stream, restarted, and run to the end. Then the stored offsets are
# rewound to 0 (as if every record were delivered again) and customsd runs once more.
# Every declaration must be recorded exactly once, with one history row and one receipt.
source "$(dirname "$0")/lib.sh"
N=rs${T_RUN}
COUNT=3000
cfg=$(write_config "$N" 100)
"$BUILD/tools/gen_declarations" -n "$COUNT" -s "$T_RUN" -o "$T_DIR/records.frames" 2>/dev/null
produce "$N.declarations" "$T_DIR/records.frames"
log=$T_DIR/customsd.log

wait_some() { # until at least $1 records are committed
    local deadline=$(( $(date +%s) + 60 ))
    while [ "$(committed "$N" "$N.declarations")" -lt "$1" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

start_customsd "$cfg" "$log"
wait_some 1 || fail "nothing committed before SIGTERM"
stop_customsd TERM
first=$(committed "$N" "$N.declarations")
check "SIGTERM mid-stream: exit status" 0 "$STOP_RC"
[ "$STOP_MS" -lt 10000 ] && ok "stopped in ${STOP_MS} ms" || fail "stop took ${STOP_MS} ms"
check "stored offsets = declarations recorded after SIGTERM" "$first" \
    "$(q "SELECT count(*) FROM customs.declarations WHERE source_topic = '$N.declarations'")"
echo "  committed $first of $COUNT before SIGTERM"

start_customsd "$cfg" "$log"
wait_some $((first + 1)) || fail "no progress after restart"
stop_customsd KILL
# Both counts in one statement (one snapshot): the server may still commit the batch whose
# COMMIT it received before the kill, between two separate queries.
read -r second rows <<<"$(q "SELECT (SELECT coalesce(sum(next_offset),0) FROM customs.consumer_offsets
       WHERE group_id = '$N' AND topic = '$N.declarations'),
    (SELECT count(*) FROM customs.declarations WHERE source_topic = '$N.declarations')" | tr '|' ' ')"
check "after SIGKILL: stored offsets = declarations recorded (no half batch)" "$second" "$rows"
echo "  committed $second of $COUNT before SIGKILL"

start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" "$COUNT" 120; then ok "all $COUNT committed"; else fail "only $(committed "$N" "$N.declarations") committed"; fi
stop_customsd TERM
check "exit status" 0 "$STOP_RC"

# Redelivery: rewind the offsets of record, as if every record came again.
q "UPDATE customs.consumer_offsets SET next_offset = 0 WHERE group_id = '$N'"
start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" "$COUNT" 120; then ok "all $COUNT re-read"; else fail "re-read stalled"; fi
stop_customsd TERM

check "declarations exactly once" "$COUNT" "$(q "SELECT count(*) FROM customs.declarations WHERE source_topic = '$N.declarations'")"
check "one history row each" "$COUNT" "$(q "SELECT count(*) FROM customs.status_history h JOIN customs.declarations d USING (logistics_no) WHERE d.source_topic = '$N.declarations'")"
check "two receipts each in the outbox (120, the decision)" "$((COUNT * 2))" "$(q "SELECT count(*) FROM customs.outbox WHERE topic = '$N.receipts'")"
check "no duplicate history" 0 "$(q "SELECT count(*) FROM (SELECT logistics_no FROM customs.status_history h JOIN customs.declarations d USING (logistics_no) WHERE d.source_topic = '$N.declarations' GROUP BY logistics_no, h.status_code HAVING count(*) > 1) x")"
check "nothing quarantined" 0 "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
receipts=$(consume "$N.receipts" '%k\n' | sort -u | wc -l)
check "every parcel got a receipt on the topic" "$COUNT" "$receipts"
grep -q 'refused by the offset fence\|abandoned' "$log" && echo "  (log shows abandoned/fenced batches)"
finish
