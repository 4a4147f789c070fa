#!/bin/bash
# scenario_zombie.sh - zombie fencing (issue 4, item 3): instances A and B share the group
# while a stream runs. A is frozen with a batch in flight that PostgreSQL has not run yet,
# its partitions move to B, B moves their stored offsets on, A is resumed: its stale batch
# carries the old fence and must be refused by PostgreSQL ("refused by the offset fence"
# in A's log), after which A rejoins and both finish the stream. Same end-state check as
# the crash loop.
#
# How A is caught with a batch in flight: a SIGSTOP'ed customsd is almost always inside
# rd_kafka_consumer_poll, and on SIGCONT librdkafka notices the expired session and runs
# the revoke before the application thread can use its batch (the pipeline then drops the
# batch on the rebalance: also correct, but it does not exercise the fence). A batch that
# was sent is executed by the server at once, frozen client or not. So the scenario
# freezes A's pipeline backend first (SIGSTOP to that postgres process while it is idle),
# lets A send its next batch into it (A now waits in libpq, outside the poll loop),
# freezes A, waits for B to take everything over and commit, then resumes A and its
# backend: the backend runs A's batch with the fence it was built with.
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-3}
ch_init zombie
CHUNKS=25
[ "$CHAOS_LONG" = 1 ] && CHUNKS=60
for id in A B; do ch_config "$id" 500 100; done

# since_mark ID TEXT: the instance's log after the last line containing TEXT.
since_mark() { awk -v m="$2" 'index($0, m) { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }' "$CH_DIR/$1.log"; }
mark() { printf -- '--- chaos: %s at %s\n' "$2" "$(date +%T.%N)" >>"$CH_DIR/$1.log"; }
# wait_log ID MARK PATTERN SECONDS: until PATTERN appears in ID's log after MARK.
wait_log() {
    local deadline=$(( $(date +%s) + $4 ))
    until since_mark "$1" "$2" | grep -qE -- "$3"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

ch_stream "$CHUNKS" 2000 1000 $((RANDOM * 100)) 1
ch_start A
wait_log A 'chaos: start' 'partition\(s\) assigned' 30 || ch_fail "A got no partitions"
ch_start B
wait_log B 'chaos: start' 'partition\(s\) assigned' 30 || ch_fail "B got no partitions"
ch_wait_progress $(( $(ch_committed) + 2000 )) 60 || ch_fail "no progress with A and B"

# backend_of ID: pid of the instance's pipeline session (the one that applies batches).
backend_of() {
    q "SELECT pid FROM pg_stat_activity WHERE application_name = 'chaos-$CH_NAME-$1'
          AND query LIKE '%apply_batch%' AND state = 'idle' ORDER BY backend_start LIMIT 1"
}
state_of() { q "SELECT state FROM pg_stat_activity WHERE pid = $1"; }

refused=0
for attempt in 1 2 3; do
    ch_sleep_ms "$(ch_rand 0 1000)"
    # Freeze A's pipeline backend while it is idle (between two batches).
    bpid=
    for _ in $(seq 1 200); do
        bpid=$(backend_of A)
        if [ -n "$bpid" ] && kill -STOP "$bpid" 2>/dev/null; then
            CH_FROZEN+=("$bpid")
            [ "$(state_of "$bpid")" = idle ] && break
            kill -CONT "$bpid"
        fi
        bpid=
        sleep 0.02
    done
    [ -n "$bpid" ] || { ch_fail "could not catch A's pipeline backend idle"; break; }
    # A sends its next batch (the stream keeps a backlog) and waits for the answer.
    sleep 1
    mark B "A frozen ($attempt)"
    ch_signal A STOP
    frozen_at=$(ch_committed)
    # B must take over every partition and move stored offsets on before A wakes up.
    wait_log B "A frozen ($attempt)" 'rebalance: 36 partition\(s\) assigned' 30 ||
        ch_fail "B did not take over A's partitions within 30 s"
    ch_wait_progress $((frozen_at + 2000)) 60 || ch_fail "B made no progress while A was frozen"
    ch_say "attempt $attempt: A and its backend frozen, B took all 36 partitions; $(ch_committed) committed"
    ch_signal A CONT
    kill -CONT "$bpid"
    if wait_log A 'SIGCONT to A' 'refused by the offset fence' 10; then
        refused=1
        ch_ok "A's stale batch refused: $(since_mark A 'SIGCONT to A' | grep -m1 'refused by the offset fence' | cut -c1-240)"
        break
    fi
    ch_say "attempt $attempt: A had no batch in flight; again"
    wait_log A 'SIGCONT to A' 'partition\(s\) assigned' 30 || ch_fail "A did not rejoin"
done
[ "$refused" = 1 ] || ch_fail "no refused stale batch in A's log after 3 freezes"
wait_log A 'SIGCONT to A' 'partition\(s\) assigned' 30 || ch_fail "A did not rejoin after SIGCONT"
ch_stream_wait
ch_wait_committed "$(ch_produced)" 120 || ch_fail "only $(ch_committed) of $(ch_produced) committed"
n=$(since_mark A 'SIGCONT to A' | grep -c 'batch committed' || true)
[ "$n" -gt 0 ] && ch_ok "A committed $n batches after rejoining" || ch_say "(A committed nothing after rejoining: the stream ended first)"
for id in A B; do
    ch_stop "$id" TERM 30
    ch_check "$id stopped by SIGTERM: exit status" 0 "$CH_RC"
done
ch_reconcile
ch_finish
