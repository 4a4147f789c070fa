#!/bin/bash
# scenario_retention.sh - records deleted by retention before customsd read them (an
# offset of record below the partition's first offset). A
# declarations topic with one partition; 2,000 declarations are committed; customsd is
# stopped; 5,000 more are produced, which pushes the oldest ones out of the partition (the
# mock keeps about 5 MiB per partition, like a broker whose retention ran while customsd
# was down). customsd is started again: its stored offset is now below the partition's
# first offset. It must resume at the first record still there (not at the end:
# auto.offset.reset "latest" would skip every record still retained), apply every record
# still on the topic, and say in its log that records were gone. 100 more records are
# produced after the restart, so that a wrong position also shows as stored offsets
# committed past records that were never applied.
# `lost` counts records still on the topic that were not applied; records the broker had
# already deleted are reported, not counted (nobody can apply them).
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-9}
CH_PARTITIONS=1
ch_init retention
ch_config A 500 100
SEED0=$((RANDOM * 100))

ch_gen_produce 2000 "$SEED0" 0
ch_start A
ch_wait_committed 2000 60 || ch_fail "the first 2,000 were not committed"
ch_stop A TERM 30
stored=$(ch_committed)
ch_gen_produce 5000 $((SEED0 + 1)) 0
first=$(kcat -Q -b "$CUSTOMSD_BOOTSTRAP" -t "$CH_TOPIC.declarations:0:-2" 2>/dev/null |
    sed -n 's/.* offset \([0-9]*\).*/\1/p')
end=$(ch_end_offsets "$CH_TOPIC.declarations" | cut -f2)
ch_say "stored offset $stored; partition now holds offsets ${first:-?} to $((end - 1)); $(( ${first:-0} - stored )) records deleted unread"
[ -n "$first" ] && [ "$first" -gt "$stored" ] || ch_fail "the mock did not drop the oldest records (first offset ${first:-?}); the scenario needs it"

ch_mark A "restart after retention"
ch_start A
# 100 more once it runs: whatever position it took, they make it commit.
ch_sleep_ms 8000
ch_gen_produce 100 $((SEED0 + 2)) 0
end=$((end + 100))
ch_wait_progress "$end" 60 || ch_fail "stored offset did not reach the end ($(ch_committed) of $end)"
ch_sleep_ms 1000
ch_stop A TERM 30

# What is still on the topic must be applied.
ch_consume "$CH_TOPIC.declarations" '%o\t%k\n' >"$CH_DIR/on_topic.tsv"
on_topic=$(wc -l <"$CH_DIR/on_topic.tsv")
cut -f2 "$CH_DIR/on_topic.tsv" | sed "s/.*/'&'/" | paste -sd, - >"$CH_DIR/keys.sql"
applied=$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no IN ($(cat "$CH_DIR/keys.sql"))")
lost=$((on_topic - applied))
dup=$(q "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM customs.status_history GROUP BY logistics_no, status_code HAVING count(*) > 1) h")
echo "scenario retention: produced=$(ch_produced) applied=$(q "SELECT count(*) FROM customs.declarations") duplicated=$dup lost=$lost quarantined=$(q "SELECT count(*) FROM customs.quarantine")"
ch_check "records still on the topic that were not applied (of $on_topic)" 0 "$lost"
ch_check "duplicated" 0 "$dup"
after=$(ch_log_between A "restart after retention" "")
# customsd's own line (librdkafka's "Offset out of range" warning is there either way).
pat='customsd\[[a-z]*\] partition .*(not in the log|removed by retention|no longer on the topic)'
if grep -iE "$pat" <<<"$after" >/dev/null; then
    ch_ok "the log tells: $(grep -m1 -iE "$pat" <<<"$after" | cut -c1-240)"
else
    ch_fail "nothing in the log says that $(( ${first:-0} - stored )) records were deleted before they were read"
fi
ch_finish
