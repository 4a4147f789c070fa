#!/bin/bash
# scenario_kafka_outage.sh - Kafka outage (issue 4, item 5). While a stream runs, every
# broker of the mock cluster is set down for 20 s (40 s with CHAOS_LONG=1: connections
# closed and refused, topic data kept: stack.sh kafka-down / kafka-up), then up again.
# The consumer and the outbox relay must recover on their own: every record committed,
# every event published, none lost, none reordered per parcel (ch_reconcile compares the
# order of first publication with the outbox order for each parcel and topic).
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-5}
ch_init kafka_outage
OUTAGE=20
[ "$CHAOS_LONG" = 1 ] && OUTAGE=40
ch_config A 500 100
STACK="sh $REPO/tests/stack/stack.sh"

ch_stream 12 1500 1000 $((RANDOM * 100)) 1
ch_start A
ch_wait_progress 3000 60 || ch_fail "no progress before the outage"
ch_sleep_ms "$(ch_rand 0 1000)"
ch_mark A "Kafka down"
CH_KAFKA_DOWN=1
$STACK kafka-down 2>"$CH_DIR/stack.err" || ch_fail "kafka-down failed: $(cat "$CH_DIR/stack.err")"
down_at=$(ch_committed)
ch_say "brokers down for $OUTAGE s ($down_at committed)"
sleep "$OUTAGE"
ch_alive A && ch_ok "customsd still running after $OUTAGE s without Kafka" ||
    ch_fail "customsd exited during the Kafka outage"
$STACK kafka-up 2>"$CH_DIR/stack.err" || ch_fail "kafka-up failed: $(cat "$CH_DIR/stack.err")"
CH_KAFKA_DOWN=0
ch_mark A "Kafka up"
unpub=$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")
ch_say "brokers up again; $(ch_committed) committed, $unpub events waiting in the outbox"
before=$(ch_committed)
ch_wait_progress $((before + 1000)) 90 && ch_ok "consumer resumed after the outage" ||
    ch_fail "no progress within 90 s after the brokers came back"
ch_stream_wait
ch_wait_committed "$(ch_produced)" 150 && ch_ok "relay drained the outbox" ||
    ch_fail "only $(ch_committed) of $(ch_produced) committed, $(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL") events unpublished"
ch_stop A TERM 30
ch_check "stopped by SIGTERM: exit status" 0 "$CH_RC"
ch_say "relay: $(grep -o 'relay totals: .*' "$CH_DIR/A.log" | tail -n 1)"
ch_reconcile
ch_finish
