#!/bin/bash
# test_group.sh - two customsd instances in one consumer group share the partitions, using
# the cooperative-sticky assignment (an operator's kafka.properties choice; the default is
# eager). One joins mid-stream, one leaves mid-stream: every declaration exactly once.
source "$(dirname "$0")/lib.sh"
N=gr${T_RUN}
COUNT=4000
cfg=$(write_config "$N" 200)
sed -i 's|^  properties:$|  properties:\n    partition.assignment.strategy: "cooperative-sticky"|' "$cfg"
grep -q cooperative-sticky "$cfg" || fail "config not rewritten"
"$BUILD/tools/gen_declarations" -n "$COUNT" -s "$T_RUN" -o "$T_DIR/records.frames" 2>/dev/null
produce "$N.declarations" "$T_DIR/records.frames"

wait_some() {
    local deadline=$(( $(date +%s) + 60 ))
    while [ "$(committed "$N" "$N.declarations")" -lt "$1" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}
start_customsd "$cfg" "$T_DIR/a.log"; a=$CUSTOMSD_PID
wait_some 200 || fail "first instance made no progress"
start_customsd "$cfg" "$T_DIR/b.log"; b=$CUSTOMSD_PID
wait_some 1500 || fail "no progress with two instances"
CUSTOMSD_PID=$a; stop_customsd TERM
check "first instance leaves with exit 0" 0 "$STOP_RC"
if wait_committed "$N" "$N.declarations" "$COUNT" 120; then ok "all $COUNT committed"; else
    fail "only $(committed "$N" "$N.declarations") committed"; fi
CUSTOMSD_PID=$b; stop_customsd TERM
check "second instance exit 0" 0 "$STOP_RC"
grep -q "partition(s) assigned" "$T_DIR/b.log" && ok "second instance was assigned partitions" || fail "second instance never got partitions"
check "declarations exactly once" "$COUNT" "$(q "SELECT count(*) FROM customs.declarations WHERE source_topic = '$N.declarations'")"
check "one history row each" "$COUNT" "$(q "SELECT count(*) FROM customs.status_history h JOIN customs.declarations d USING (logistics_no) WHERE d.source_topic = '$N.declarations'")"
check "nothing quarantined" 0 "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
finish
