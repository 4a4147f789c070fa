#!/bin/bash
# demo.sh - `make demo`: clear 10,000 generated declarations end to end on the local stack.
#
# Starts a fresh local stack (PostgreSQL 15 + librdkafka mock Kafka cluster), applies the
# schema, generates realistic Russia-bound CEB603 declarations from Jixi e-commerce
# companies (about 1 in 10 with a real defect, some on the HS watch list, a few malformed
# records), produces them to Kafka, runs customsd until every record is committed and every
# outbox event published, prints a summary that it checks against PostgreSQL and the
# topics, shows an officer's query, and stops the stack.
#
# Environment: DEMO_COUNT (10000), DEMO_MALFORMED (20), DEMO_SEED (2024),
#              KEEP=1 to leave the stack running afterwards (tests/stack/stack.sh stop).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
COUNT=${DEMO_COUNT:-10000}
MALFORMED=${DEMO_MALFORMED:-20}
SEED=${DEMO_SEED:-2024}
TOTAL=$((COUNT + MALFORMED))

say() { printf '\n== %s\n' "$*"; }
die() { printf 'demo: FAILED: %s\n' "$*" >&2; exit 1; }

customsd_pid=""
cleanup() {
    if [ -n "$customsd_pid" ] && kill -0 "$customsd_pid" 2>/dev/null; then
        kill -TERM "$customsd_pid" 2>/dev/null || true
        wait "$customsd_pid" 2>/dev/null || true
    fi
    if [ "${KEEP:-}" != 1 ]; then
        sh tests/stack/stack.sh stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

say "local stack (fresh): PostgreSQL 15 + mock Kafka cluster"
sh tests/stack/stack.sh stop >/dev/null 2>&1 || true
sh tests/stack/stack.sh start >/dev/null
eval "$(sh tests/stack/stack.sh env)"
echo "kafka bootstrap: $CUSTOMSD_BOOTSTRAP"
echo "postgresql:      host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER"
work=$CUSTOMSD_STACK_DIR/demo
mkdir -p "$work"

say "schema"
sh sql/migrate.sh

say "generating $COUNT declarations (+$MALFORMED malformed records), seed $SEED"
"$BUILD/tools/gen_declarations" -n "$COUNT" -m "$MALFORMED" -s "$SEED" -o "$work/declarations.frames"

say "producing to customs.declarations"
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t customs.declarations \
    -f "$work/declarations.frames"

cat > "$work/customsd.yaml" <<YAML
# Written by tests/demo.sh: the example configuration's defaults, pointed at the local stack.
kafka:
  bootstrap_servers: "$CUSTOMSD_BOOTSTRAP"
  group_id: customsd
  properties:
    session.timeout.ms: "6000"
postgresql:
  conninfo: ""
rules:
  path: $PWD/config/rules.yaml
batch:
  max_messages: 1000
  max_wait_ms: 200
log:
  level: info
YAML
"$BUILD/customsd" -t -c "$work/customsd.yaml"

say "running customsd until every record is committed"
"$BUILD/customsd" -c "$work/customsd.yaml" 2>"$work/customsd.log" &
customsd_pid=$!
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
deadline=$(( $(date +%s) + 300 ))
t_first=""; first_records=0; t_all=""
while :; do
    done_records=$(q "SELECT coalesce(sum(next_offset),0) FROM customs.consumer_offsets
                      WHERE group_id = 'customsd' AND topic = 'customs.declarations'")
    now=$(date +%s%N)
    # Throughput is timed from the first commit seen to the last: the consumer group join
    # before it (about 3 s on the mock cluster) is not clearance work.
    if [ -z "$t_first" ] && [ "$done_records" -gt 0 ]; then t_first=$now; first_records=$done_records; fi
    if [ -z "$t_all" ] && [ "$done_records" -ge "$TOTAL" ]; then t_all=$now; fi
    unpublished=$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")
    [ "$done_records" -ge "$TOTAL" ] && [ "$unpublished" -eq 0 ] && break
    kill -0 "$customsd_pid" 2>/dev/null || die "customsd exited early; see $work/customsd.log"
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out: $done_records/$TOTAL records committed, $unpublished events unpublished"
    sleep 0.1
done
kill -TERM "$customsd_pid"
stop_start=$(date +%s%N)
rc=0; wait "$customsd_pid" || rc=$?
customsd_pid=""
stop_ms=$(( ($(date +%s%N) - stop_start) / 1000000 ))
[ "$rc" -eq 0 ] || die "customsd exited $rc on SIGTERM"
echo "customsd stopped on SIGTERM in ${stop_ms} ms, exit 0"

say "summary"
q "SELECT format('  %s %-15s %6s', status_code, status, count(*))
   FROM customs.parcel_status GROUP BY status_code, status ORDER BY status_code"
declared=$(q "SELECT count(*) FROM customs.parcel_status")
quarantined=$(q "SELECT count(*) FROM customs.quarantine")
events=$(q "SELECT count(*) FROM customs.outbox WHERE type <> 'receipt' AND published_at IS NOT NULL")
receipts=$(q "SELECT count(*) FROM customs.outbox WHERE type = 'receipt' AND published_at IS NOT NULL")
decision_receipts=$(q "SELECT count(*) FROM customs.outbox o WHERE type = 'receipt'
                       AND (payload->>'status_code')::int <> -1")
elapsed_ms=$(( (t_all - t_first) / 1000000 ))
if [ "$elapsed_ms" -gt 0 ]; then
    rate=$(( (TOTAL - first_records) * 1000 / elapsed_ms ))
else
    rate="n/a (all $TOTAL records committed in the first batch seen)"
fi
topic_events=$(kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t mishan.warehouse.events -o beginning -e -q -f 'x\n' 2>/dev/null | wc -l)
topic_receipts=$(kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t customs.receipts -o beginning -e -q -f 'x\n' 2>/dev/null | wc -l)
echo "  produced:            $TOTAL records ($COUNT declarations + $MALFORMED malformed)"
echo "  declarations:        $declared (status counts above add up to this)"
echo "  quarantined:         $quarantined"
echo "  warehouse events:    $events published ($topic_events on mishan.warehouse.events)"
echo "  receipts:            $receipts published ($topic_receipts on customs.receipts), $decision_receipts for decisions"
echo "  throughput:          $rate declarations/s ($((TOTAL - first_records)) records from the first commit seen to the last, ${elapsed_ms} ms)"

[ "$declared" -eq "$COUNT" ] || die "declarations $declared != $COUNT produced"
[ "$quarantined" -eq "$MALFORMED" ] || die "quarantined $quarantined != $MALFORMED malformed produced"
[ "$decision_receipts" -eq "$declared" ] || die "receipts for decisions $decision_receipts != declarations $declared"
[ "$topic_receipts" -ge "$receipts" ] || die "receipts on the topic $topic_receipts < published $receipts"
[ "$topic_events" -ge "$events" ] || die "events on the topic $topic_events < published $events"
echo "  checks:              status counts = declarations produced, quarantined = malformed,"
echo "                       one receipt per decided declaration, topics hold every published event"

say "an officer's query: SELECT ... FROM customs.parcel_status WHERE status_code IN (100, 500)"
psql -X -P pager=off -c "SELECT logistics_no, ebc_code, status_code, status,
       left(reasons::text, 90) AS reasons, rules_version IS NOT NULL AS versioned
  FROM customs.parcel_status WHERE status_code IN (100, 500)
  ORDER BY status_code DESC, logistics_no LIMIT 8"

if [ "${KEEP:-}" = 1 ]; then
    say "stack kept running: eval \"\$(sh tests/stack/stack.sh env)\"; psql; sh tests/stack/stack.sh stop"
else
    say "stopping the stack"
fi
