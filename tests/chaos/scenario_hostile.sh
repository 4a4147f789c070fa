#!/bin/bash
# scenario_hostile.sh - hostile input never a crash, never lost (issue 4, item 7) in a
# stream: the records of tests/integration/hostile_records.sh (see test_hostile.sh for the
# record-by-record checks) and every JSONTestSuite parsing case are mixed into a stream
# of generated declarations on the 32-partition topic, while two instances consume it and
# one of them is killed. customsd must not crash; every record ends stored or quarantined
# as its class says; the totals reconcile (ch_reconcile).
source "$(dirname "$0")/lib.sh"
source "$REPO/tests/integration/hostile_records.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-7}
ch_init hostile
JTS=${CUSTOMSD_JSONTESTSUITE:-$REPO/tests/data/jsontestsuite/test_parsing}
[ -d "$JTS" ] || { ch_say "JSONTestSuite not found at $JTS"; exit 1; }
for id in A B; do ch_config "$id" 500 100; done

hostile_build "$CH_DIR" "H$CHAOS_RUN" "$JTS"
# Expectations in ch_reconcile's terms: store -> ok, reject (a readable declaration with
# a bad field, rejected by CEB603-FORMAT) -> defect, quarantine and JSONTestSuite ->
# malformed, either -> either; the key is the declaration's logisticsNo.
awk -F'\t' 'BEGIN { OFS = "\t" }
    { c = $4 == "store" ? "ok" : $4 == "reject" ? "defect" : $4 == "either" ? "either" : "malformed"
      print $3, c }' \
    "$CH_DIR/hostile.tsv" >>"$CH_DIR/expect.tsv"

ch_gen_produce 5000 $((RANDOM * 100)) 5
ch_start A
ch_start B
for part in 0 1 2; do
    out=$("$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t "$CH_TOPIC.declarations" \
        -p "$part" -X message.max.bytes=20000000 -f "$CH_DIR/hostile.p$part.frames" 2>>"$CH_DIR/produce.log") ||
        ch_fail "kafka_produce (hostile, partition $part) failed"
    printf '%s\n' "$out" | sed -n 's/^produced \([0-9]*\) records.*/\1/p' >>"$CH_DIR/produced.count"
done
ch_gen_produce 5000 $((RANDOM * 100 + 1)) 5
ch_wait_progress $(( $(ch_produced) / 2 )) 90 || ch_fail "no progress"
ch_stop B KILL 10
ch_say "B killed at $(ch_committed) of $(ch_produced)"
ch_gen_produce 5000 $((RANDOM * 100 + 2)) 5
ch_wait_committed "$(ch_produced)" 150 || ch_fail "only $(ch_committed) of $(ch_produced) committed"
ch_alive A && ch_ok "A still running after every hostile record" || ch_fail "A died"
ch_stop A TERM 30
ch_check "A stopped by SIGTERM: exit status" 0 "$CH_RC"
n=$(cat "$CH_DIR"/*.log | grep -cE 'AddressSanitizer|runtime error|Segmentation|Aborted' || true)
ch_check "crash or sanitizer reports in the logs" 0 "$n"
ch_say "$(wc -l <"$CH_DIR/hostile.tsv") hostile records, of which $(grep -c 'jts_n' "$CH_DIR/hostile.tsv") JSONTestSuite n_ cases"
ch_reconcile
ch_finish
