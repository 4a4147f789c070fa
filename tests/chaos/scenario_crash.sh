#!/bin/bash
# scenario_crash.sh - crash loop (issue 4, item 1): a stream of 50,000 declarations (plus
# malformed records) produced in chunks while customsd is killed with SIGKILL at random
# moments and restarted: at least 20 times (CI), 100 times with CHAOS_LONG=1. Each kill
# falls at a random moment 0-800 ms after the restarted instance committed its first
# batch, while a backlog is left (the stream stays ahead of the consumer), so it lands
# mid-batch, mid-commit or mid-publish. After each kill the stored offsets must cover
# exactly the rows written (no half batch). Then customsd runs to the end and everything
# is reconciled (ch_reconcile).
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-1}
ch_init crash
TOTAL=50000
KILLS=20
[ "$CHAOS_LONG" = 1 ] && KILLS=100
CHUNK=$((TOTAL / KILLS))
SEED0=$((RANDOM * 100))
ch_config A 500 100

kills=0
chunk=0
busy=0
# About 5,000 records ahead, so that a kill usually leaves work in flight.
AHEAD=$((5000 / CHUNK))
for ((chunk = 0; chunk < AHEAD; chunk++)); do
    ch_gen_produce "$CHUNK" $((SEED0 + chunk)) $((chunk % 2 ? 3 : 2))
done
ch_start A
while [ "$kills" -lt "$KILLS" ]; do
    if [ "$chunk" -lt "$KILLS" ]; then
        ch_gen_produce "$CHUNK" $((SEED0 + chunk)) $((chunk % 2 ? 3 : 2))
        chunk=$((chunk + 1))
    fi
    before=$(ch_committed)
    # Let the new instance join and commit something, then kill it at a random moment.
    # (Once the whole stream is committed, kill it 1-3 s after its start instead.)
    if [ "$before" -ge "$(ch_produced)" ]; then
        ch_sleep_ms "$(ch_rand 1000 3000)"
    elif ! ch_wait_progress $((before + 1)) 60; then
        ch_fail "no progress after restart $kills (committed $before)"
        break
    fi
    ch_sleep_ms "$(ch_rand 0 800)"
    ch_stop A KILL 10
    kills=$((kills + 1))
    # The offsets of record and the rows they cover move together: never a half batch.
    # (Read in one snapshot: the killed instance's backend may still be committing.)
    st=$(ch_consistent)
    [ "$st" = OK ] || ch_fail "after kill $kills: stored offsets and rows disagree: $st"
    c=$(ch_committed)
    [ "$c" -lt "$(ch_produced)" ] && busy=$((busy + 1))
    [ $((kills % 5)) -eq 0 ] && ch_say "kill $kills: $c of $CH_PRODUCED records committed"
    ch_start A
done
ch_say "$kills SIGKILLs, $busy of them with records still to commit; running to the end"
ch_wait_committed "$CH_PRODUCED" 180 || ch_fail "only $(ch_committed) of $CH_PRODUCED committed at the end"
ch_stop A TERM 30
ch_check "last stop: exit status" 0 "$CH_RC"
ch_check "SIGKILLs" "$KILLS" "$kills"
ch_reconcile
ch_finish
