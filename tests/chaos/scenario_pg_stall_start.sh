#!/bin/bash
# scenario_pg_stall_start.sh - PostgreSQL unreachable in the worst way at start-up (issue
# 9, item 4): customsd reaches PostgreSQL through tcpproxy, stalled before customsd
# starts, so that its connections are accepted and never answered (no refusal, no error:
# only connect_timeout_s can end the wait).
#   1. customsd must log within connect_timeout_s + 5 s that the database does not answer,
#      and a SIGTERM must stop it within 10 s, exit 0 (the stop time is reported).
#   2. Started again, still stalled: it must say so again and keep trying; once the proxy
#      passes, it must connect and apply every record exactly once.
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-12}
ch_init pg_stall_start
ch_proxy_trap
CT=2
ch_proxy_start pg -m stall "0:$PGPORT" || ch_finish
CH_PG_PROXY_PORT=$CH_PROXY_PORTS
ch_config A 500 100
ch_config_pg_via A "$CH_PG_PROXY_PORT" "connect_timeout_s: $CT
statement_timeout_ms: 3000"
NOANSWER='database|PostgreSQL|postgresql'
ch_gen_produce 10000 $((RANDOM * 100)) 10
ch_say "$(ch_produced) records produced; PostgreSQL stalled behind the proxy"

# 1. Start against the black hole, then SIGTERM.
ch_start A
ch_wait_log A "start A" "$NOANSWER.*(timeout|time out|timed out|unavailable|not answer)" $((CT + 5)) &&
    ch_ok "customsd said the database does not answer after $CH_LOG_MS ms (connect_timeout $CT s): $(cut -c1-200 <<<"$CH_LOG_LINE")" ||
    ch_fail "nothing said about the database within $((CT + 5)) s: $(ch_log_between A "start A" "" | tail -n 3)"
ch_alive A && ch_ok "customsd still running" || ch_say "(customsd exited by itself: status $(cat "$CH_DIR/A.rc" 2>/dev/null))"
sleep 1
if ch_alive A; then
    ch_stop_timed A pg_stalled_at_start
else
    ch_wait A 1
    ch_fail "customsd exited on its own while the database was stalled (status $CH_RC): it should wait"
fi
ch_check "nothing committed while stalled" 0 "$(ch_committed)"

# 2. Started again, still stalled; then the proxy passes.
ch_start A
ch_wait_log A "start A" "$NOANSWER.*(timeout|time out|timed out|unavailable|not answer)" $((CT + 5)) ||
    ch_fail "second start: nothing said about the database within $((CT + 5)) s"
sleep $((CT * 2))
ch_alive A || ch_fail "customsd exited while the database was stalled"
ch_proxy pg pass
ch_wait_committed "$(ch_produced)" 90 && ch_ok "connected and applied everything after the proxy passed" ||
    ch_fail "only $(ch_committed) of $(ch_produced) committed after the proxy passed"
ch_stop A TERM 30
ch_check "stopped by SIGTERM: exit status" 0 "$CH_RC"
ch_reconcile
ch_report_stops
ch_finish
