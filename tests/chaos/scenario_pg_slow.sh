#!/bin/bash
# scenario_pg_slow.sh - a slow database link (issue 9, item 4): customsd reaches
# PostgreSQL through tcpproxy delaying every chunk by 100 ms each way, i.e. 200 ms per round
# trip, for the whole run. 20,000 declarations (60,000 with CHAOS_LONG=1) in batches of up
# to 1000, stopped once by SIGTERM half-way (timed) and restarted: everything must be
# applied exactly once, nothing quarantined but the malformed records, and no call may be
# mistaken for a dead server (no "not answered" closing, no abandoned batch).
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-13}
ch_init pg_slow
ch_proxy_trap
N=20000
[ "$CHAOS_LONG" = 1 ] && N=60000
ch_proxy_start pg -m "delay 100" "0:$PGPORT" || ch_finish
CH_PG_PROXY_PORT=$CH_PROXY_PORTS
ch_config A 1000 200
ch_config_pg_via A "$CH_PG_PROXY_PORT"
t0=$(date +%s%N)
psql -X -q -A -t -h 127.0.0.1 -p "$CH_PG_PROXY_PORT" -d "$CH_DB" -c 'SELECT 1' >/dev/null ||
    ch_fail "no query through the proxy"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -ge 400 ] && ch_ok "psql through the proxy (connection set-up and one query) took $ms ms" ||
    ch_fail "psql through the proxy took $ms ms: the 200 ms round trip is not there"

ch_stream 10 $((N / 10)) 500 $((RANDOM * 100)) 2
ch_start A
t0=$SECONDS
ch_wait_progress $((N / 3)) 90 || ch_fail "only $(ch_committed) committed after 90 s"
ch_stop_timed A pg_slow
st=$(ch_consistent)
ch_check "after the stop: stored offsets cover exactly the rows written" OK "$st"
ch_start A
ch_stream_wait
ch_wait_committed "$(ch_produced)" 150 && ch_ok "all $(ch_produced) records committed in $((SECONDS - t0)) s at 200 ms per round trip" ||
    ch_fail "only $(ch_committed) of $(ch_produced) committed after $((SECONDS - t0)) s"
ch_stop A TERM 30
ch_check "stopped by SIGTERM: exit status" 0 "$CH_RC"
n=$(ch_log_count A 'not answered|abandoned whole|database unavailable|statement timeout')
ch_check "calls taken for a dead server or timed out" 0 "$n"
ch_reconcile
ch_report_stops
ch_finish
