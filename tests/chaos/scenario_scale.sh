#!/bin/bash
# scenario_scale.sh - scale-out and rebalance (issue 4, item 2): while a stream of
# declarations is produced, instance A runs alone, B joins, C joins (three instances in
# one consumer group sharing 32 partitions), A is stopped gracefully (SIGTERM: leaves the
# group), B is killed (SIGKILL: its partitions move after the session timeout), C finishes.
# Same end-state check as the crash loop; each instance must have committed batches.
# With CHAOS_SCALE_COOP=1 (scenario_scale_coop.sh) the instances use the cooperative-sticky
# protocol (incremental assign/revoke: only the partitions that move are handed over).
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-2}
[ "$CHAOS_LONG" = 1 ] && CH_PARTITIONS=96
if [ "${CHAOS_SCALE_COOP:-0}" = 1 ]; then
    CH_PROPS='partition.assignment.strategy: "cooperative-sticky"'
    ch_init scale_coop
else
    ch_init scale
fi
CHUNKS=40
[ "$CHAOS_LONG" = 1 ] && CHUNKS=100
SIZE=2000
for id in A B C; do ch_config "$id" 500 100; done

# wait_assigned ID: until the instance logged a partition assignment since its start.
wait_assigned() {
    local deadline=$(( $(date +%s) + 30 ))
    until sed -n '/--- chaos: start/h; /--- chaos: start/!H; ${x;p}' "$CH_DIR/$1.log" |
        grep 'partition(s) assigned' >/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || { ch_fail "$1 got no partitions in 30 s"; return 1; }
        sleep 0.2
    done
}

# The stream: a chunk every 1.5 s for the whole membership dance (stopped 3-6 s after the
# last change, or after CHUNKS chunks).
ch_stream "$CHUNKS" "$SIZE" 1500 $((RANDOM * 100)) 1
ch_start A
wait_assigned A
ch_wait_progress 1 60 || ch_fail "A committed nothing"
ch_say "A alone: $(ch_committed) committed"
ch_start B
wait_assigned B
ch_sleep_ms "$(ch_rand 1000 3000)"
ch_say "A+B: $(ch_committed) committed"
ch_start C
wait_assigned C
ch_sleep_ms "$(ch_rand 1000 3000)"
ch_say "A+B+C: $(ch_committed) committed"
ch_stop A TERM 30
ch_check "A stopped by SIGTERM: exit status" 0 "$CH_RC"
[ "$CH_MS" -lt 30000 ] && ch_ok "A stopped in $CH_MS ms" || ch_fail "A took $CH_MS ms to stop"
ch_sleep_ms "$(ch_rand 1000 3000)"
ch_say "B+C: $(ch_committed) committed"
ch_stop B KILL 10
ch_say "B killed; C alone"
ch_sleep_ms "$(ch_rand 3000 6000)"
ch_stream_stop
ch_say "stream stopped at $(ch_produced) records"
ch_wait_committed "$(ch_produced)" 180 || ch_fail "only $(ch_committed) of $(ch_produced) committed"
ch_stop C TERM 30
ch_check "C stopped by SIGTERM: exit status" 0 "$CH_RC"
for id in A B C; do
    n=$(ch_log_count "$id" 'batch committed')
    [ "$n" -gt 0 ] && ch_ok "$id committed $n batches" || ch_fail "$id committed no batch"
done
ch_say "fenced batches: A $(ch_log_count A 'refused by the offset fence'), B $(ch_log_count B 'refused by the offset fence'), C $(ch_log_count C 'refused by the offset fence')"
ch_reconcile
ch_finish
