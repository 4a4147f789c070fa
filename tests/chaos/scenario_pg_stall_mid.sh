#!/bin/bash
# scenario_pg_stall_mid.sh - PostgreSQL stops answering mid-stream (issue 9, item 4): a
# black hole, not an outage. customsd reaches PostgreSQL through tcpproxy; while a stream
# is being applied, the proxy stalls (connections kept open, nothing forwarded or answered,
# new connections accepted and left silent) for 20 s (40 s with CHAOS_LONG=1).
#   1. Within statement_timeout + 5 s (+ 3 s slack) customsd must log that the database
#      does not answer and pause (the call's connection closed by the stop watcher, the
#      batch abandoned whole); it stays up, quarantines nothing, keeps its group (no
#      rebalance); back to pass, it must resume at the stored offsets.
#   2. Stalled again with batches in flight, SIGTERM: exit 0 within 10 s (the stop time is
#      reported); back to pass, restarted, it runs to the end.
# Then everything is reconciled (nothing lost, duplicated or quarantined for the stall).
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-11}
ch_init pg_stall_mid
ch_proxy_trap
STALL=20
[ "$CHAOS_LONG" = 1 ] && STALL=40
ST_MS=3000
ch_pg_proxy_start || ch_finish
ch_config A 500 100
ch_config_pg_via A "$CH_PG_PROXY_PORT" "statement_timeout_ms: $ST_MS
connect_timeout_s: 2"
NOANSWER='error\] database unavailable'

ch_stream $(( (STALL + 40) * 2 / 3 )) 1500 1000 $((RANDOM * 100)) 1
ch_start A
ch_wait_progress 3000 60 || ch_fail "no progress before the stall"
ch_sleep_ms "$(ch_rand 0 1000)"

# 1. Stalled mid-stream: the consumer's next call (or the one in flight) gets no answer;
# the stop watcher closes its connection statement_timeout + 5 s after it started.
at=$(ch_committed)
ch_proxy pg stall
ch_wait_log A "proxy pg: stall" "$NOANSWER" $((ST_MS / 1000 + 8)) &&
    ch_ok "customsd said the database does not answer after $CH_LOG_MS ms (statement_timeout $ST_MS ms + 5 s): $(cut -c1-200 <<<"$CH_LOG_LINE")" ||
    ch_fail "nothing logged within $((ST_MS / 1000 + 8)) s of the stall"
rest=$(( STALL - CH_LOG_MS / 1000 ))
[ "$rest" -gt 0 ] && sleep "$rest"
ch_alive A && ch_ok "customsd still running after $STALL s of a silent database" ||
    ch_fail "customsd exited during the stall"
ch_say "committed $at at the stall, $(ch_committed) now; quarantine rows $(q "SELECT count(*) FROM customs.quarantine")"
ch_proxy pg pass
during=$(ch_log_between A "proxy pg: stall" "proxy pg: pass")
n=$(printf '%s' "$during" | grep -cE 'partition\(s\) (revoked|assigned)|MAXPOLL|max\.poll|SESSTMOUT' || true)
ch_check "rebalances, session or max.poll timeouts during the stall (group kept)" 0 "$n"
before=$(ch_committed)
ch_wait_progress $((before + 1000)) 60 && ch_ok "resumed after the stall" ||
    ch_fail "no progress within 60 s after the proxy passed again"
ch_wait_log A "proxy pg: pass" 'database available again' 30 &&
    ch_ok "customsd logged that it resumed" || ch_fail "no 'database available again' after the stall"
# A stall taken for the data's fault would split the batch in flight and quarantine its
# records "refused by the database", during the stall or when it is retried after it. (A
# malformed record of a batch committed just before the stall may be logged after the
# mark: its quarantine is the stream's, counted by the reconciliation below.)
during=$(ch_log_between A "proxy pg: stall" "")
ch_check "batches split to find a bad record for the stall" 0 \
    "$(printf '%s\n' "$during" | grep -c 'splitting it to find the record')"
ch_check "records refused by the database (quarantined) for the stall" 0 \
    "$(printf '%s\n' "$during" | grep -c 'refused by the database')"

# 2. SIGTERM while stalled, batches in flight.
ch_sleep_ms "$(ch_rand 200 1500)"
ch_proxy pg stall
sleep 2
ch_stop_timed A pg_stalled_mid
ch_proxy pg pass
st=$(ch_consistent)
ch_check "after the stop: stored offsets cover exactly the rows written" OK "$st"
ch_start A

ch_stream_wait
ch_wait_committed "$(ch_produced)" 120 || ch_fail "only $(ch_committed) of $(ch_produced) committed"
ch_stop A TERM 30
ch_check "stopped by SIGTERM: exit status" 0 "$CH_RC"
ch_say "database failures counted by customsd, per run: $(grep -o '[0-9]* database failures' "$CH_DIR/A.log" | cut -d' ' -f1 | paste -sd,)"
ch_reconcile
ch_report_stops
ch_finish
