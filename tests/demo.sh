#!/bin/bash
# demo.sh - `make demo`: clear 10,000 generated declarations end to end on the local stack.
#
# Starts a fresh local stack (PostgreSQL 15 + librdkafka mock Kafka cluster), applies the
# schema, generates realistic Russia-bound CEB603 declarations from Jixi e-commerce
# companies (about 1 in 10 with a real defect, some on the HS watch list, a few malformed
# records), produces them to Kafka, runs customsd (as a login in role customsd) until every
# record is committed and every outbox event published; then the warehouse scans arrivals,
# an officer (a login in role customs_officer) records a few inspection results in psql,
# orders an inspection of an accepted parcel (its release held until the result) and releases a
# detained parcel whose case is settled, the warehouse scans departures of released parcels
# (and one of a parcel under inspection: an alert);
# then three-document matching on 300 more declarations with their orders and waybills
# (tests/demo_matching.sh). Once the declarations are through, it
# scrapes customsd's /metrics (metrics.listen on a free loopback port) and checks the
# decisions per status code against customs.parcel_status. It prints a summary that it checks
# against PostgreSQL and the topics, shows an officer's queries, and stops the stack.
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

say "schema, and the logins of the daemon and an officer"
sh sql/migrate.sh
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
q "CREATE ROLE demo_customsd LOGIN IN ROLE customsd; CREATE ROLE demo_officer LOGIN IN ROLE customs_officer"
echo "demo_customsd (member of customsd), demo_officer (member of customs_officer)"
officer() { psql -X -q -v ON_ERROR_STOP=1 -U demo_officer "$@"; }

say "generating $COUNT declarations (+$MALFORMED malformed records), seed $SEED"
"$BUILD/tools/gen_declarations" -n "$COUNT" -m "$MALFORMED" -s "$SEED" -o "$work/declarations.frames"

say "producing to customs.declarations"
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t customs.declarations \
    -f "$work/declarations.frames"

# A free loopback port for metrics.listen (nothing answers on it now).
METRICS_PORT=$((9187 + RANDOM % 1000))
while (exec 3<>"/dev/tcp/127.0.0.1/$METRICS_PORT") 2>/dev/null; do METRICS_PORT=$((METRICS_PORT + 1)); done
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
metrics:
  listen: "127.0.0.1:$METRICS_PORT"
YAML
"$BUILD/customsd" -t -c "$work/customsd.yaml"

say "running customsd (as demo_customsd) until every record is committed"
PGUSER=demo_customsd "$BUILD/customsd" -c "$work/customsd.yaml" 2>"$work/customsd.log" &
customsd_pid=$!
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

say "metrics: curl -s 127.0.0.1:$METRICS_PORT/metrics"
# The lag and the outbox backlog are sampled every 5 s: wait for the samples that see the end.
deadline=$(( $(date +%s) + 20 ))
while :; do
    curl -s --max-time 5 "127.0.0.1:$METRICS_PORT/metrics" >"$work/metrics.txt" || die "/metrics did not answer"
    grep -q '^customsd_consumer_lag_total 0$' "$work/metrics.txt" &&
        grep -q '^customsd_outbox_backlog 0$' "$work/metrics.txt" && break
    [ "$(date +%s)" -lt "$deadline" ] || die "/metrics: lag or outbox backlog not 0 after 20 s"
    sleep 0.5
done
grep -E '^customsd_(decisions_total|quarantined_total|consumer_lag_total|outbox_backlog|ready) ?' "$work/metrics.txt" |
    sed 's/^/  /'
# Every line a HELP, TYPE or sample line of the text format; every decision count equal to
# customs.parcel_status (nothing but the declarations has changed a status yet).
bad=$(grep -Ev '^# (HELP|TYPE) customsd_[a-z_]+ .+$|^customsd_[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? -?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$' "$work/metrics.txt" || true)
[ -z "$bad" ] || die "/metrics is not Prometheus text: $(printf '%s' "$bad" | head -3)"
while IFS='|' read -r code n; do
    got=$(awk -v k="customsd_decisions_total{status_code=\"$code\"}" '$1 == k { print $2 }' "$work/metrics.txt")
    [ "$got" = "$n" ] || die "customsd_decisions_total for $code is '${got:-absent}', customs.parcel_status has $n"
done < <(q "SELECT status_code, count(*) FROM customs.parcel_status GROUP BY 1")
echo "  decisions per status code = customs.parcel_status; the text parses as Prometheus text"

# committed TOPIC N: wait until N records of TOPIC are committed and the outbox is drained.
committed() {
    local deadline=$(( $(date +%s) + 120 ))
    until [ "$(q "SELECT coalesce(sum(next_offset),0) FROM customs.consumer_offsets
                  WHERE group_id = 'customsd' AND topic = '$1'")" -ge "$2" ] &&
          [ "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")" -eq 0 ]; do
        kill -0 "$customsd_pid" 2>/dev/null || die "customsd exited early; see $work/customsd.log"
        [ "$(date +%s)" -lt "$deadline" ] || die "timed out waiting for $2 records of $1"
        sleep 0.1
    done
}
# scans FILE KIND SQL: frame one scan of KIND per logisticsNo the query returns.
scans() {
    q "SELECT format('%s %s', octet_length(logistics_no), octet_length(v)) || E'\n'
              || logistics_no || v
         FROM (SELECT logistics_no, format('{\"logisticsNo\":\"%s\",\"scan\":\"$2\",'
                   '\"scannedAt\":\"%s\",\"loctNo\":\"1900W00001\"}', logistics_no,
                   to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS+08:00')) AS v
                 FROM ($3) x) y" > "$1"
    grep -c '^[0-9]* [0-9]*$' "$1" || true
}

say "warehouse: arrival scans (运抵) for 9 in 10 accepted parcels and every inspection parcel"
arrivals=$(scans "$work/arrivals.frames" arrival "SELECT logistics_no FROM customs.declarations
    WHERE status_code = 500 OR (status_code = 399 AND abs(hashtext(logistics_no)) % 10 <> 0)
    ORDER BY logistics_no")
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t mishan.warehouse.scans -f "$work/arrivals.frames"
committed mishan.warehouse.scans "$arrivals"
echo "$arrivals arrivals: accepted parcels released (800), inspection parcels held (500)"

say "an officer in psql (demo_officer): the queue, three inspections passed, two detained, one returned"
officer -P pager=off -c "SELECT logistics_no, waiting_for, arrived, left(reasons_text, 60) AS reasons
  FROM customs.inspection_queue LIMIT 5"
mapfile -t held < <(psql -X -A -t -q -U demo_officer -c \
    "SELECT logistics_no FROM customs.inspection_queue WHERE arrived LIMIT 7")
[ "${#held[@]}" -eq 7 ] || die "expected 7 arrived parcels in the inspection queue, got ${#held[@]}"
t0=$(date +%s%3N)
officer -P pager=off -c "SELECT * FROM customs.record_inspection('${held[0]}', 'passed', 'opened: as declared')"
release=""
until [ -n "$release" ] || [ $(( $(date +%s%3N) - t0 )) -gt 10000 ]; do
    release=$(kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t mishan.warehouse.events -o beginning -e -q \
        -f '%T\t%k\t%s\n' 2>/dev/null | awk -F'\t' -v k="${held[0]}" '$2 == k && /"release"/')
done
[ -n "$release" ] || die "no release event for ${held[0]} on mishan.warehouse.events"
echo "kcat: the release event of ${held[0]} was produced $(( ${release%%$'\t'*} - t0 )) ms after the officer's call:"
printf '%s\n' "$release" | cut -f3- | cut -c1-160
officer -A -t -c "SELECT * FROM customs.record_inspection('${held[1]}', 'passed', 'x-ray: as declared')" \
    -c "SELECT * FROM customs.record_inspection('${held[2]}', 'passed', 'opened: as declared')" \
    -c "SELECT * FROM customs.record_inspection('${held[3]}', 'detained', 'graphite above the licence quantity', 503)" \
    -c "SELECT * FROM customs.record_inspection('${held[4]}', 'detained', 'undeclared goods in the parcel')" \
    -c "SELECT * FROM customs.record_inspection('${held[5]}', 'returned', 'consignee refused, sender asks it back')"

say "the officer's controls: a parcel's goods, an inspection ordered (布控), a detention settled"
control=$(q "SELECT logistics_no FROM customs.declarations WHERE status_code = 399 AND arrived_at IS NULL
             ORDER BY logistics_no LIMIT 1")
[ -n "$control" ] || die "no accepted parcel waiting for its arrival"
officer -P pager=off -c "SELECT gnum, gcode, gname, qty, unit, total_price, currency,
       parcel_gross_weight_kg FROM customs.parcel_goods WHERE logistics_no = '$control'"
officer -P pager=off -c "SELECT * FROM customs.order_inspection('$control', 'risk tip: value looks low')"
n=$(scans "$work/control.frames" arrival "SELECT '$control' AS logistics_no")
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t mishan.warehouse.scans -f "$work/control.frames"
arrivals=$((arrivals + n))
committed mishan.warehouse.scans "$arrivals"
outcome=$(q "SELECT outcome FROM customs.warehouse_scans WHERE logistics_no = '$control' AND scan = 'arrival'")
[ "$outcome" = held ] || die "the arrival of $control (inspection ordered) was '$outcome', not held"
echo "its arrival is recorded, its release held until the result (scan outcome: $outcome)"
officer -P pager=off -c "SELECT * FROM customs.record_inspection('$control', 'passed', 'opened: as declared')"
officer -A -t -c "SELECT * FROM customs.record_inspection('${held[6]}', 'detained', 'papers missing', 502)" >/dev/null
echo "${held[6]} detained (502) for missing papers; the case settled, the officer releases it:"
officer -P pager=off -c "SELECT * FROM customs.reopen_detained('${held[6]}', 'released', 'papers produced, case closed')"
[ "$(q "SELECT status_code FROM customs.declarations WHERE logistics_no = '${held[6]}'")" = 800 ] ||
    die "${held[6]} not released after reopen_detained"
echo "an officer cannot write the tables:"
officer -c "UPDATE customs.declarations SET status_code = 800 WHERE logistics_no = '${held[3]}'" 2>&1 || true

say "warehouse: departure scans (离境) for 9 in 10 released parcels"
departures=$(scans "$work/departures.frames" departure "SELECT logistics_no FROM customs.declarations
    WHERE status_code = 800 AND abs(hashtext(logistics_no || 'd')) % 10 <> 0 ORDER BY logistics_no")
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t mishan.warehouse.scans -f "$work/departures.frames"
committed mishan.warehouse.scans $((arrivals + departures))
echo "$departures departures: parcels closed (899)"

say "the monthly summary declaration (CEB701) of this month's closed parcels: customsctl summary"
month=$(TZ=Asia/Shanghai date +%Y-%m)
"$BUILD/customsctl" summary -c "$work/customsd.yaml" --month "$month" >"$work/summary.txt" ||
    die "customsctl summary --month $month failed"
head -n 8 "$work/summary.txt"
echo "  ... ($(grep -c '^ebcCode' "$work/summary.txt") enterprises)"
# Its totals against customs.parcel_status: the 9610 parcels closed this month.
lines_total=$("$BUILD/customsctl" summary -c "$work/customsd.yaml" --month "$month" --format csv |
    awk -F, 'NR > 1 {n += $13} END {print n + 0}')
sum_total=$("$BUILD/customsctl" summary -c "$work/customsd.yaml" --month "$month" --format json |
    sed -n 's/^      "totalPrice": "\(.*\)",$/\1/p' | paste -sd+ | sed 's/^$/0/')
closed=$(q "SELECT count(*) || ' ' || coalesce(sum(total_value), 0) FROM customs.parcel_status
            WHERE status_code = 899 AND logistics_no IN (SELECT logistics_no FROM customs.declarations WHERE trade_mode = '9610')")
[ "$(q "SELECT ($sum_total)::numeric = ${closed#* }::numeric")" = t ] ||
    die "summary total $sum_total != closed parcels' value ${closed#* }"
echo "totals agree with customs.parcel_status: ${closed% *} parcels closed (899), value ${closed#* } = the summary's lines (${lines_total} inventory-lines)"

say "an alert: a departure scan of a parcel customs has not released (under inspection)"
n=$(scans "$work/alert.frames" departure "SELECT logistics_no FROM customs.declarations
    WHERE status_code = 500 ORDER BY logistics_no LIMIT 1")
[ "$n" = 1 ] || die "no parcel under inspection to scan out"
"$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t mishan.warehouse.scans -f "$work/alert.frames"
departures=$((departures + n))
committed mishan.warehouse.scans $((arrivals + departures))
officer -P pager=off -c "SELECT id, kind, logistics_no, site, must_act, status_code, left(details, 70) AS details
  FROM customs.alerts WHERE open"
[ "$(q "SELECT count(*) FROM customs.alerts WHERE kind = 'departure_not_released' AND open")" = 1 ] ||
    die "no open departure_not_released alert"
echo "the departure was refused (-1 receipt), the parcel held, the warehouse told (alert and hold events)"

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
                       AND (payload->>'status_code')::int NOT IN (-1, 120)")
changes=$(q "SELECT count(*) FROM customs.status_history")
scanned=$(q "SELECT string_agg(format('%s %s', n, outcome), ', ' ORDER BY outcome)
             FROM (SELECT outcome, count(*) n FROM customs.warehouse_scans GROUP BY 1) x")
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
echo "  receipts:            $receipts published ($topic_receipts on customs.receipts): $decision_receipts for $changes status changes,"
received=$(q "SELECT count(*) FROM customs.outbox WHERE type = 'receipt' AND (payload->>'status_code')::int = 120")
echo "                       $received received into the customs system (120), one per declaration before its decision,"
echo "                       $((receipts - decision_receipts - received)) processing-error receipts (-1) for refused or undecodable records whose sender is known"
echo "  warehouse scans:     $((arrivals + departures)) ($scanned)"
echo "  throughput:          $rate declarations/s ($((TOTAL - first_records)) records of customs.declarations, $MALFORMED of them malformed, from the first commit seen to the last: ${elapsed_ms} ms)"

[ "$declared" -eq "$COUNT" ] || die "declarations $declared != $COUNT produced"
[ "$quarantined" -eq "$MALFORMED" ] || die "quarantined $quarantined != $MALFORMED malformed produced"
[ "$decision_receipts" -eq "$changes" ] || die "receipts for status changes $decision_receipts != status changes $changes"
for code in 800 899 500 503 599 700; do
    [ "$(q "SELECT count(*) FROM customs.declarations WHERE status_code = $code")" -gt 0 ] ||
        die "no parcel in status $code"
done
[ "$topic_receipts" -ge "$receipts" ] || die "receipts on the topic $topic_receipts < published $receipts"
[ "$topic_events" -ge "$events" ] || die "events on the topic $topic_events < published $events"
echo "  checks:              status counts = declarations produced, quarantined = malformed,"
echo "                       one receipt per status change, parcels in 800, 899, 500, 503, 599, 700,"
echo "                       topics hold every published event"

. tests/demo_matching.sh

say "officer's queries: one parcel's history; today's summary by HS chapter"
officer -P pager=off -c "SELECT at::time(0), kind, event, from_code, status_code, actor, left(note, 60) AS note
  FROM customs.parcel_history WHERE logistics_no = '${held[0]}'"
officer -P pager=off -c "SELECT hs_chapter, sum(parcels) AS parcels,
       sum(parcels) FILTER (WHERE status_code = 899) AS closed,
       sum(parcels) FILTER (WHERE status_code = 500) AS inspection, sum(value_cny) AS value_cny
  FROM customs.daily_summary GROUP BY 1 ORDER BY 2 DESC LIMIT 6"

say "the operator's view (customsctl, same configuration)"
"$BUILD/customsctl" status -c "$work/customsd.yaml" "${held[0]}"
"$BUILD/customsctl" lag -c "$work/customsd.yaml" | tail -n 1
"$BUILD/customsctl" quarantine list -c "$work/customsd.yaml" --limit 3
"$BUILD/customsctl" outbox status -c "$work/customsd.yaml"

if [ "${KEEP:-}" = 1 ]; then
    say "stack kept running: eval \"\$(sh tests/stack/stack.sh env)\"; psql; sh tests/stack/stack.sh stop"
else
    say "stopping the stack"
fi
