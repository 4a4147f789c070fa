#!/bin/bash
# test_partitions.sh - the time partitions of status_history, outbox and quarantine
# (sql/018_partitions.sql, sql/repeatable/22_partitions.sql) and the outbox's pruning:
#   - partitions_ensure creates the periods ahead (a day of the outbox weeks on, that
#     month of status_history and quarantine), and nothing the second time;
#   - outbox_prune with a 7-day retention: a day that ended before the cutoff and holds
#     only rows published before it is dropped whole; a day still holding an unpublished
#     row is kept, its old published row deleted; rows published within the retention, and
#     every unpublished row (in a day partition or the DEFAULT one), are kept;
#   - the quarantine's key: a Kafka record is quarantined once, a replay names a
#     quarantined record (quarantine_keys);
#   - customsd end to end: its rows land in the partition of their time (none in DEFAULT),
#     every event is published (the relay's ranged UPDATE), and its relay, on taking the
#     lease, prunes (relay.retention_days) an old fully published day.
source "$(dirname "$0")/lib.sh"
N=it${T_RUN}
M=PRUNE-$N # the key of this test's hand-made outbox rows

# in_partition TABLE TIMECOL: rows of TABLE not in the partition their time names.
misplaced() {
    q "SELECT count(*) FROM customs.$1 t
        WHERE t.tableoid::regclass::text <> 'customs.' || customs.partition_name('$1', t.$2)"
}
cleanup_rows() { q "DELETE FROM customs.outbox WHERE key = '$M'" >/dev/null 2>&1 || true; }
trap 'cleanup_rows; t_cleanup' EXIT

# --- partitions ahead ----------------------------------------------------------------------
# Two days past the furthest day the outbox has already (an earlier run made some).
A=$(q "SELECT coalesce(max(to_date(substr(relname, 9), 'YYYYMMDD')), (now() AT TIME ZONE 'UTC')::date)
              - (now() AT TIME ZONE 'UTC')::date + 2
         FROM pg_class WHERE relnamespace = 'customs'::regnamespace AND relname ~ '^outbox_p[0-9]{8}$'")
made=$(q "SELECT customs.partitions_ensure($A)")
[ "$made" -ge 1 ] && ok "partitions_ensure($A) created partitions ahead ($made)" ||
    fail "partitions_ensure($A) created $made"
check "the outbox's day $A days ahead, status_history's and quarantine's month" "true true true" \
    "$(q "SELECT string_agg((to_regclass('customs.' || customs.partition_name(t, now() + interval '$A days'))
                             IS NOT NULL)::text, ' ' ORDER BY o)
            FROM unnest(ARRAY['outbox', 'status_history', 'quarantine']) WITH ORDINALITY AS x(t, o)")"
check "its bounds: that UTC day" "FOR VALUES FROM ('$(date -u -d "+$A days" +%F) 00:00:00+00') TO ('$(date -u -d "+$((A + 1)) days" +%F) 00:00:00+00')" \
    "$(q "SET TIME ZONE 'UTC'; SELECT pg_get_expr(relpartbound, oid) FROM pg_class
           WHERE oid = ('customs.' || customs.partition_name('outbox', now() + interval '$A days'))::regclass")"
check "a second call creates nothing" 0 "$(q "SELECT customs.partitions_ensure($A)")"
check "customsd may call them, not drop tables itself" "true true false" \
    "$(q "SELECT has_function_privilege('customsd', 'customs.partitions_ensure(integer, timestamptz)', 'EXECUTE')
            || ' ' || has_function_privilege('customsd', 'customs.outbox_prune(interval)', 'EXECUTE')
            || ' ' || has_table_privilege('customsd', 'customs.outbox', 'DELETE')")"

# --- pruning -------------------------------------------------------------------------------
# Days from 20 days ago: hand-made rows, one per case, at noon UTC of their day.
q "SELECT customs.partitions_ensure(0, now() - interval '20 days')" >/dev/null
day() { q "SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '$1 days' + interval '12 hours'"; }
row() { # NAME CREATED_DAYS_AGO PUBLISHED_DAYS_AGO|null
    local pub=null
    [ "$3" = null ] || pub="'$(day "$3")'"
    q "INSERT INTO customs.outbox (topic, key, type, payload, created_at, published_at)
       VALUES ('$N.prune', '$M', 'receipt', '{\"case\": \"$1\"}', '$(day "$2")', $pub)"
}
row old_published 20 19        # its day: all published before the cutoff -> dropped
row mixed_published 15 14      # its day keeps an unpublished row -> this row deleted
row mixed_unpublished 15 null  # never pruned
row recent_published 10 2      # published within the retention -> kept
row ancient_published 100 99   # no partition that day: DEFAULT -> deleted
row ancient_unpublished 100 null
check "the hand-made rows in their day's partition, the 100-day-old ones in DEFAULT" \
    "ancient_published:outbox_default ancient_unpublished:outbox_default mixed_published:$(q "SELECT customs.partition_name('outbox', now() - interval '15 days')") mixed_unpublished:$(q "SELECT customs.partition_name('outbox', now() - interval '15 days')") old_published:$(q "SELECT customs.partition_name('outbox', now() - interval '20 days')") recent_published:$(q "SELECT customs.partition_name('outbox', now() - interval '10 days')")" \
    "$(q "SELECT string_agg((payload->>'case') || ':' || (SELECT c.relname FROM pg_class c WHERE c.oid = o.tableoid), ' ' ORDER BY o.payload->>'case')
            FROM customs.outbox o WHERE o.key = '$M'")"
old_part=$(q "SELECT customs.partition_name('outbox', now() - interval '20 days')")
others=$(q "SELECT count(*) FROM customs.outbox WHERE key IS DISTINCT FROM '$M'")
unpub_before=$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")
check "outbox_prune(0 days): nothing" "(0,0)" "$(q "SELECT customs.outbox_prune('0 days')")"
res=$(q "SELECT dropped || ' ' || deleted FROM customs.outbox_prune('7 days')")
dropped=${res% *}
[ "$dropped" -ge 1 ] && ok "outbox_prune(7 days) dropped the fully published old days ($dropped)" ||
    fail "outbox_prune(7 days) dropped $dropped partitions"
check "outbox_prune(7 days) deleted the old published rows elsewhere" 2 "${res#* }"
check "the old published day's partition is gone" "" "$(q "SELECT to_regclass('customs.$old_part')")"
check "what is left: unpublished rows, and published within the retention" \
    "ancient_unpublished mixed_unpublished recent_published" \
    "$(q "SELECT string_agg(payload->>'case', ' ' ORDER BY payload->>'case') FROM customs.outbox WHERE key = '$M'")"
check "no unpublished row pruned" "$unpub_before" "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")"
check "no other row touched" "$others" "$(q "SELECT count(*) FROM customs.outbox WHERE key IS DISTINCT FROM '$M'")"
check "a second run prunes nothing more" "(0,0)" "$(q "SELECT customs.outbox_prune('7 days')")"
cleanup_rows

# --- the quarantine's key ----------------------------------------------------------------
qins="INSERT INTO customs.quarantine (source_topic, source_partition, source_offset, raw, reason)
      VALUES ('$N.q', 0, 7, 'x', 'test') ON CONFLICT DO NOTHING RETURNING id"
qid=$(q "$qins")
check "a record quarantined once: the second insert skipped" "" "$(q "$qins")"
check "one row, one key, naming it" "1 1" \
    "$(q "SELECT (SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.q') || ' ' ||
                 (SELECT count(*) FROM customs.quarantine_keys WHERE source_topic = '$N.q' AND quarantine_id = $qid)")"
rid=$(q "SELECT customs.record_quarantine_replay($qid, 'test', false, repeat('ab', 32), '$N.q', 0, 8)")
[ -n "$rid" ] && ok "a replay of it recorded ($rid)" || fail "no replay recorded"
if q "SELECT customs.record_quarantine_replay(-1, 'test', false, repeat('ab', 32), '$N.q', 0, 9)" 2>/dev/null; then
    fail "a replay of no quarantined record accepted"
else
    ok "a replay of no quarantined record refused"
fi

# --- customsd end to end -------------------------------------------------------------------
# An old day holding one row published long ago: the relay prunes it when it takes the lease.
q "SELECT customs.partitions_ensure(0, now() - interval '30 days')" >/dev/null
row relay_old 30 29
relay_part=$(q "SELECT customs.partition_name('outbox', now() - interval '30 days')")
cfg=$(write_config "$N")
sed -i "s|^  path: .*|  path: $(rules_copy "$T_DIR/rules")|" "$cfg"
printf 'relay:\n  retention_days: 7\n' >> "$cfg"
frames=$T_DIR/records.frames
: > "$frames"
for i in $(seq 1 30); do frame_json "$frames" "$N-$i" "$(t_decl "$N-$i")"; done
frame_json "$frames" "$N-BAD" '{"logisticsNo":"'"$N"'-BAD","items":['
produce "$N.declarations" "$frames"
start_customsd "$cfg" "$T_DIR/customsd.log"
if wait_committed "$N" "$N.declarations" 31 60; then
    ok "31 records committed, every event published"
else
    fail "not committed/published in 60 s: $(committed "$N" "$N.declarations") committed"
fi
check "the test's rows: declarations, history, quarantined" "30 30 1" \
    "$(q "SELECT (SELECT count(*) FROM customs.declarations WHERE logistics_no LIKE '$N-%') || ' ' ||
                 (SELECT count(*) FROM customs.status_history WHERE logistics_no LIKE '$N-%') || ' ' ||
                 (SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations')")"
check "outbox rows in the partition of their day" 0 "$(misplaced outbox created_at)"
check "status_history rows in the partition of their month" 0 "$(misplaced status_history recorded_at)"
check "quarantine rows in the partition of their month" 0 "$(misplaced quarantine received_at)"
check "nothing in the DEFAULT partitions" "0 0 0" \
    "$(q "SELECT (SELECT count(*) FROM customs.outbox_default) || ' ' ||
                 (SELECT count(*) FROM customs.status_history_default) || ' ' ||
                 (SELECT count(*) FROM customs.quarantine_default)")"
deadline=$(($(date +%s) + 30))
while [ -n "$(q "SELECT to_regclass('customs.$relay_part')")" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    sleep 0.2
done
check "customsd's relay pruned the old published day (retention_days 7)" "" \
    "$(q "SELECT to_regclass('customs.$relay_part')")"
grep -q "partition upkeep" "$T_DIR/customsd.log" && ok "and said so in its log" ||
    fail "no partition upkeep line in the log"
stop_customsd TERM
check "customsd stops cleanly" 0 "$STOP_RC"
finish
