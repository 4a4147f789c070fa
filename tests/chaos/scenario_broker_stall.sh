#!/bin/bash
# scenario_broker_stall.sh - the Kafka brokers stop answering (issue 9, item 4): a black
# hole, not the refused connections of kafka_outage. customsd runs in a network namespace
# of its own whose 127.0.0.1:PORT, for every broker of the stack, is tcpproxy forwarding to
# that broker (ch_kafka_netns_start: the brokers advertise their own 127.0.0.1:PORT, so a
# proxy on the bootstrap address alone would be bypassed after the first metadata); the
# producers of the stream, kcat and psql reach the brokers and PostgreSQL (unix socket)
# directly. While a stream runs:
#   1. every connection to every broker stalls for 20 s (40 s with CHAOS_LONG=1): customsd
#      must stay up, commit nothing it has not applied, and resume (consumer and relay) once
#      the proxy passes again;
#   2. stalled again, SIGTERM: exit 0 within 10 s (the stop time is reported) - the group
#      leave, the offsets and the relay's flush must not wait on a silent broker;
# then restarted and run to the end. Events unpublished at the stop stay in the outbox and
# are published after the restart; everything is reconciled.
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-14}
ch_init broker_stall
ch_proxy_trap
STALL=20
[ "$CHAOS_LONG" = 1 ] && STALL=40
ch_kafka_netns_start || ch_finish
ch_config A 500 100

ch_stream $(( (STALL + 35) * 2 / 3 )) 1500 1000 $((RANDOM * 100)) 1
ch_start_in_netns A
ch_wait_progress 3000 60 || ch_fail "no progress before the stall"
ch_sleep_ms "$(ch_rand 0 1000)"

# 1. Brokers stalled.
ch_proxy kafka stall
at=$(ch_committed)
# Not silent: the group session (session.timeout.ms 6 s) or a request times out and is logged.
ch_wait_log A "proxy kafka: stall" 'kafka .*(SESSTMOUT|REQTMOUT|[Tt]imed out)' "$STALL" &&
    ch_ok "customsd logged the silent brokers after $CH_LOG_MS ms: $(cut -c1-160 <<<"$CH_LOG_LINE")" ||
    ch_fail "nothing logged about the brokers within $STALL s of the stall"
rest=$(( STALL - CH_LOG_MS / 1000 ))
[ "$rest" -gt 0 ] && sleep "$rest"
ch_alive A && ch_ok "customsd still running after $STALL s of silent brokers" ||
    ch_fail "customsd exited during the broker stall"
ch_say "committed $at at the stall, $(ch_committed) after $STALL s; $(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL") events unpublished"
st=$(ch_consistent)
ch_check "during the stall: stored offsets cover exactly the rows written" OK "$st"
ch_proxy kafka pass
before=$(ch_committed)
ch_wait_progress $((before + 1000)) 90 && ch_ok "consumer resumed after the stall" ||
    ch_fail "no progress within 90 s after the proxy passed again"

# 2. SIGTERM while the brokers are stalled.
ch_sleep_ms "$(ch_rand 200 1500)"
ch_proxy kafka stall
sleep 2
ch_stop_timed A kafka_stalled
ch_proxy kafka pass
st=$(ch_consistent)
ch_check "after the stop: stored offsets cover exactly the rows written" OK "$st"
ch_say "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL") events unpublished at the stop"
ch_start_in_netns A

ch_stream_wait
ch_wait_committed "$(ch_produced)" 150 && ch_ok "everything committed and published after the restart" ||
    ch_fail "only $(ch_committed) of $(ch_produced) committed, $(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL") events unpublished"
ch_stop A TERM 30
ch_check "stopped by SIGTERM: exit status" 0 "$CH_RC"
ch_say "relay: $(grep -o 'relay totals: .*' "$CH_DIR/A.log" | paste -sd';')"
ch_reconcile
ch_report_stops
ch_finish
