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
# the revoke before the application thread can use its batch (the consumer then drops the
# batch on the rebalance: also correct, but it does not exercise the fence). A batch that
# was sent is executed by the server at once, frozen client or not. So the scenario
# freezes A's consumer backend first (SIGSTOP to that postgres process while it is idle),
# produces new records so that A sends its next batch into it (A now waits in libpq,
# outside the poll loop: checked in /proc), freezes A, produces more and waits for B to
# take everything over and commit it all, then resumes A and its backend: the backend
# runs A's batch with the fence it was built with.
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-3}
ch_init zombie
for id in A B; do ch_config "$id" 500 100; done

# since_mark ID TEXT: the instance's log after the last line containing TEXT.
since_mark() { awk -v m="$2" 'index($0, m) { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }' "$CH_DIR/$1.log"; }
mark() { printf -- '--- chaos: %s at %s\n' "$2" "$(date +%T.%N)" >>"$CH_DIR/$1.log"; }
# wait_log ID MARK PATTERN SECONDS: until PATTERN appears in ID's log after MARK.
wait_log() {
    local deadline=$(( $(date +%s) + $4 ))
    # (grep without -q reads all: with pipefail, -q's early exit would fail the pipe)
    until since_mark "$1" "$2" | grep -E -- "$3" >/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# in_libpq PID: true when the process's main thread waits in a socket call (libpq
# sending a query or waiting for its result), not in a futex (rd_kafka_consumer_poll).
# x86_64 syscall numbers: 7 poll, 23 select, 1 write, 44 sendto, 45 recvfrom, 0 read,
# 271 ppoll.
in_libpq() {
    local nr
    nr=$(cut -d' ' -f1 "/proc/$1/task/$1/syscall" 2>/dev/null)
    case $nr in 7 | 23 | 1 | 44 | 45 | 0 | 271) return 0 ;; esac
    return 1
}

SEED0=$((RANDOM * 100))
ch_gen_produce 6000 "$SEED0" 2
ch_start A
wait_log A 'chaos: start' 'partition\(s\) assigned' 30 || ch_fail "A got no partitions"
ch_start B
wait_log B 'chaos: start' 'partition\(s\) assigned' 30 || ch_fail "B got no partitions"
ch_gen_produce 4000 $((SEED0 + 1)) 2
ch_wait_committed "$(ch_produced)" 60 || ch_fail "A and B did not catch up"

# backend_of ID: pid of the instance's consumer session (the one that applies batches), by
# its last statement: apply_batch, or the COMMIT / ROLLBACK of a batch applied in an explicit
# transaction (pre-check 19's key lookups), or one of its sweeps (matching, alerts). The
# relay's session runs none of these.
backend_of() {
    q "SELECT pid FROM pg_stat_activity WHERE application_name = 'chaos-$CH_NAME-$1'
          AND query ~ '(apply_batch|^COMMIT|^ROLLBACK|unique_holders|matching_|sweep_alerts)'
          AND state = 'idle' ORDER BY backend_start LIMIT 1"
}
state_of() { q "SELECT state FROM pg_stat_activity WHERE pid = $1"; }

refused=0
for attempt in 1 2 3; do
    # Freeze A's consumer backend while it is idle (A has caught up: between batches).
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
    [ -n "$bpid" ] || { ch_fail "could not catch A's consumer backend idle"; break; }
    # New records: A builds a batch from its partitions' share and sends it into the
    # frozen backend, then waits in libpq for the answer.
    ch_gen_produce 3000 $((SEED0 + 10 * attempt)) 1
    for _ in $(seq 1 50); do in_libpq "${CH_PID[A]}" && break; sleep 0.1; done
    in_libpq "${CH_PID[A]}" && ch_say "attempt $attempt: A waits in libpq on its frozen backend" ||
        ch_say "attempt $attempt: A does not seem to wait in libpq (syscall $(cut -d' ' -f1 "/proc/${CH_PID[A]}/task/${CH_PID[A]}/syscall" 2>/dev/null))"
    mark B "A frozen ($attempt)"
    ch_signal A STOP
    # B must take over every partition (declarations, and 4 each of scans, orders, waybills)
    # and move every stored offset on before A wakes.
    wait_log B "A frozen ($attempt)" "rebalance: $((CH_PARTITIONS + 12)) partition\\(s\\) assigned" 30 ||
        ch_fail "B did not take over A's partitions within 30 s"
    ch_gen_produce 2000 $((SEED0 + 10 * attempt + 1)) 1
    ch_wait_progress "$(ch_produced)" 60 || ch_fail "B did not consume everything while A was frozen"
    ch_say "attempt $attempt: A and its backend frozen, B took all $((CH_PARTITIONS + 12)) partitions; $(ch_committed) of $(ch_produced) committed"
    ch_signal A CONT
    kill -CONT "$bpid"
    if wait_log A 'SIGCONT to A' 'refused by the offset fence' 10; then
        refused=1
        ch_ok "A's stale batch refused: $(since_mark A 'SIGCONT to A' | grep -m1 'refused by the offset fence' | cut -c1-240)"
        break
    fi
    ch_say "attempt $attempt: A had no batch in flight; again"
    wait_log A 'SIGCONT to A' 'partition\(s\) assigned' 30 || ch_fail "A did not rejoin"
    ch_wait_committed "$(ch_produced)" 60 || ch_fail "A and B did not catch up"
done
[ "$refused" = 1 ] || ch_fail "no refused stale batch in A's log after 3 freezes"
wait_log A 'SIGCONT to A' 'partition\(s\) assigned' 30 || ch_fail "A did not rejoin after SIGCONT"
ch_gen_produce 4000 $((SEED0 + 99)) 2
ch_wait_committed "$(ch_produced)" 120 || ch_fail "only $(ch_committed) of $(ch_produced) committed"
n=$(since_mark A 'SIGCONT to A' | grep -c 'batch committed' || true)
[ "$n" -gt 0 ] && ch_ok "A committed $n batches after rejoining" || ch_fail "A committed nothing after rejoining"
for id in A B; do
    ch_stop "$id" TERM 30
    ch_check "$id stopped by SIGTERM: exit status" 0 "$CH_RC"
done
ch_reconcile
ch_finish
