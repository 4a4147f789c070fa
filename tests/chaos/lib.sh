# lib.sh - shared helpers for the chaos scenarios (bash; sourced by tests/chaos/scenario_*.sh,
# shellcheck shell=bash disable=SC2034 # sourced: variables are used by the scenarios
# which tests/chaos/run.sh runs one by one). See tests/chaos/README.md.
#
# Each scenario gets, on the local stack:
#   - its own PostgreSQL database (chaos_<scenario>), migrated from sql/, so that every count
#     is the scenario's own and the relay's advisory lock and NOTIFY channel are its own;
#   - its own topics, created on the running mock cluster with many partitions (the mock
#     keeps only about 5 MiB per partition): declarations CH_PARTITIONS (32), the two
#     output topics 32, scans 4;
#   - its own consumer group; instances A, B, C... each with a config, a log and a pid.
# At the end ch_reconcile compares what was produced with what PostgreSQL and the output
# topics hold and prints the scenario line:
#   scenario NAME: produced=N applied=N duplicated=N lost=N quarantined=N
# followed by one line per further check; ch_finish exits 1 if anything failed.
#
# Needs: BUILD, the stack env (PGHOST PGPORT PGUSER CUSTOMSD_BOOTSTRAP), CHAOS_DIR (where the
# logs go), CHAOS_RUN (a run id for topic names), CHAOS_LONG (0/1), RANDOM seeded by run.sh.
set -uo pipefail
export LC_ALL=C
BUILD=${BUILD:-build}
: "${CUSTOMSD_BOOTSTRAP:?run through tests/chaos/run.sh (needs the local stack)}"
: "${CHAOS_DIR:?run through tests/chaos/run.sh}"
CHAOS_RUN=${CHAOS_RUN:-$$}
CHAOS_LONG=${CHAOS_LONG:-0}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

CH_NAME=
# Partitions of the declarations topic (the mock keeps about 5 MiB each: 32 hold about
# 100,000 generated declarations). Set before ch_init.
CH_PARTITIONS=${CH_PARTITIONS:-32}
CH_DIR=
CH_DB=
CH_TOPIC=
CH_FAILS=0
CH_PRODUCED=0
declare -A CH_PID=() CH_WATCH=()

ch_say() { printf '  %s %s\n' "$(date +%H:%M:%S)" "$*"; }
ch_fail() {
    printf '  FAIL %s\n' "$*"
    CH_FAILS=$((CH_FAILS + 1))
}
ch_ok() { printf '  ok   %s\n' "$*"; }
# ch_check DESCRIPTION EXPECTED ACTUAL
ch_check() { if [ "$2" = "$3" ]; then ch_ok "$1 ($3)"; else ch_fail "$1: expected '$2', got '$3'"; fi; }

# q SQL: one query in the scenario's database, unaligned, tuples only.
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$CH_DB" -c "$1"; }

# ch_init NAME: the scenario's database, topics and directory.
ch_init() {
    CH_NAME=$1
    CH_DIR=$CHAOS_DIR/$CH_NAME
    CH_DB=chaos_$CH_NAME
    CH_TOPIC=chaos.$CHAOS_RUN.$CH_NAME
    mkdir -p "$CH_DIR"
    : >"$CH_DIR/expect.tsv"
    : >"$CH_DIR/produced.count"
    : >"$CH_DIR/extra_quarantine.keys"
    trap ch_cleanup EXIT
    PGOPTIONS="-c client_min_messages=warning" \
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $CH_DB WITH (FORCE)" >/dev/null &&
        psql -X -q -d postgres -c "CREATE DATABASE $CH_DB" >/dev/null ||
        { echo "scenario $CH_NAME: cannot create database $CH_DB"; exit 1; }
    PGDATABASE=$CH_DB sh "$REPO/sql/migrate.sh" >/dev/null ||
        { echo "scenario $CH_NAME: migration failed"; exit 1; }
    local t
    for t in declarations:$CH_PARTITIONS events:32 receipts:32 scans:4 orders:4 waybills:4; do
        sh "$REPO/tests/stack/stack.sh" topic "$CH_TOPIC.${t%%:*}" "${t##*:}" 2>/dev/null ||
            { echo "scenario $CH_NAME: cannot create topic $CH_TOPIC.${t%%:*}"; exit 1; }
    done
}

# ch_config ID [MAX_MESSAGES] [MAX_WAIT_MS]: the configuration of instance ID. Extra
# librdkafka properties: CH_PROPS, lines of 'name: "value"'.
ch_config() {
    local id=$1 maxm=${2:-500} wait=${3:-100} props=
    [ -n "${CH_PROPS:-}" ] && props=$(printf '%s\n' "$CH_PROPS" | sed 's/^/    /')
    cat >"$CH_DIR/$id.yaml" <<YAML
kafka:
  bootstrap_servers: "$CUSTOMSD_BOOTSTRAP"
  group_id: chaos-$CH_NAME
  topics:
    declarations: $CH_TOPIC.declarations
    scans: $CH_TOPIC.scans
    events: $CH_TOPIC.events
    receipts: $CH_TOPIC.receipts
    orders: $CH_TOPIC.orders
    waybills: $CH_TOPIC.waybills
  properties:
    session.timeout.ms: "6000"
$props
postgresql:
  conninfo: "dbname=$CH_DB application_name=chaos-$CH_NAME-$id"
rules:
  path: $REPO/config/rules.yaml
batch:
  max_messages: $maxm
  max_wait_ms: $wait
YAML
}

# ch_start ID: run instance ID in the background (config written by ch_config, else a
# default one). Its stderr goes to $CH_DIR/ID.log; each start is marked there.
ch_start() {
    local id=$1
    [ -f "$CH_DIR/$id.yaml" ] || ch_config "$id"
    printf -- '--- chaos: start %s at %s\n' "$id" "$(date +%T.%N)" >>"$CH_DIR/$id.log"
    rm -f "$CH_DIR/$id.pid" "$CH_DIR/$id.rc"
    # A watcher subshell reaps customsd and keeps its exit status, so that bash does not
    # report every killed job on the terminal.
    (
        "$BUILD/customsd" -c "$CH_DIR/$id.yaml" 2>>"$CH_DIR/$id.log" &
        echo $! >"$CH_DIR/$id.pid"
        wait $!
        echo $? >"$CH_DIR/$id.rc"
    ) 2>/dev/null &
    CH_WATCH[$id]=$!
    while [ ! -s "$CH_DIR/$id.pid" ]; do sleep 0.01; done
    CH_PID[$id]=$(cat "$CH_DIR/$id.pid")
}

ch_alive() { [ -n "${CH_PID[$1]:-}" ] && kill -0 "${CH_PID[$1]}" 2>/dev/null; }

# ch_signal ID SIGNAL (marked in the instance's log).
ch_signal() {
    printf -- '--- chaos: SIG%s to %s at %s\n' "$2" "$1" "$(date +%T.%N)" >>"$CH_DIR/$1.log"
    kill -"$2" "${CH_PID[$1]}" 2>/dev/null
}

# ch_wait ID [SECONDS]: wait for instance ID to exit; sets CH_RC (exit status, 124 if it
# did not exit in time: it is then killed) and CH_MS (milliseconds waited).
ch_wait() {
    local id=$1 limit=${2:-60} t0 pid=${CH_PID[$1]:-}
    t0=$(date +%s%N)
    CH_RC=0
    if [ -z "$pid" ]; then CH_MS=0; return; fi
    while kill -0 "$pid" 2>/dev/null; do
        if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$limit" ]; then
            kill -KILL "$pid" 2>/dev/null
            CH_RC=124
            break
        fi
        sleep 0.05
    done
    wait "${CH_WATCH[$id]}" 2>/dev/null
    [ "$CH_RC" = 124 ] || CH_RC=$(cat "$CH_DIR/$id.rc" 2>/dev/null || echo 255)
    CH_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    unset "CH_PID[$id]" "CH_WATCH[$id]"
}

# ch_stop ID SIGNAL [SECONDS]: signal and wait (CH_RC, CH_MS as ch_wait).
ch_stop() {
    ch_signal "$1" "$2"
    ch_wait "$1" "${3:-60}"
}

# Undo what a scenario that failed half-way may have left: frozen processes (CH_FROZEN),
# a stopped PostgreSQL (CH_PG_DOWN=1), brokers down (CH_KAFKA_DOWN=1), the stream producer.
CH_FROZEN=()
CH_PG_DOWN=0
CH_KAFKA_DOWN=0
CH_STREAM_PID=
ch_cleanup() {
    local id pid
    for pid in "${CH_FROZEN[@]}"; do kill -CONT "$pid" 2>/dev/null; done
    [ "$CH_PG_DOWN" = 1 ] && sh "$REPO/tests/stack/stack.sh" pg-start 2>/dev/null
    [ "$CH_KAFKA_DOWN" = 1 ] && sh "$REPO/tests/stack/stack.sh" kafka-up 2>/dev/null
    [ -n "$CH_STREAM_PID" ] && kill "$CH_STREAM_PID" 2>/dev/null
    for id in "${!CH_PID[@]}"; do
        kill -CONT "${CH_PID[$id]}" 2>/dev/null
        kill -KILL "${CH_PID[$id]}" 2>/dev/null
        wait "${CH_WATCH[$id]}" 2>/dev/null
    done
    CH_PID=()
    CH_WATCH=()
}

# ch_gen COUNT SEED [MALFORMED] [TAG]: generate declarations (plus MALFORMED broken
# records) into $CH_DIR/chunkTAG.frames and append their expectations (key, class) to
# expect.tsv. Seeds must differ between calls of a scenario (the seed is in the keys).
ch_gen() {
    local tag=${4:-}
    "$BUILD/tools/gen_declarations" -n "$1" -s "$2" -m "${3:-0}" -e "$CH_DIR/chunk$tag.tsv" \
        -o "$CH_DIR/chunk$tag.frames" 2>/dev/null || { ch_fail "gen_declarations failed"; return 1; }
    cut -f2,3 "$CH_DIR/chunk$tag.tsv" >>"$CH_DIR/expect.tsv"
}

# ch_produce FILE: produce framed records to the scenario's declarations topic; the count
# acknowledged goes to produced.count (ch_produced sums it, also across subshells).
ch_produce() {
    local out n
    out=$("$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t "$CH_TOPIC.declarations" \
        -X message.max.bytes=20000000 -f "$1" 2>>"$CH_DIR/produce.log") ||
        ch_fail "kafka_produce failed: $out (see $CH_DIR/produce.log)"
    n=$(printf '%s\n' "$out" | sed -n 's/^produced \([0-9]*\) records.*/\1/p')
    echo "${n:-0}" >>"$CH_DIR/produced.count"
    CH_PRODUCED=$(ch_produced)
}

ch_produced() { awk '{ s += $1 } END { print s + 0 }' "$CH_DIR/produced.count" 2>/dev/null || echo 0; }

# ch_gen_produce COUNT SEED [MALFORMED] [TAG]: both.
ch_gen_produce() { ch_gen "$@" && ch_produce "$CH_DIR/chunk${4:-}.frames"; }

# ch_stream CHUNKS SIZE INTERVAL_MS SEED0 [MALFORMED]: in the background, produce up to
# CHUNKS chunks of SIZE declarations (seeds SEED0, SEED0+1, ...) every INTERVAL_MS; sets
# CH_STREAM_PID. ch_stream_wait waits for it to finish; ch_stream_stop ends it early
# (after the chunk in progress).
ch_stream() {
    local chunks=$1 size=$2 every=$3 seed0=$4 malf=${5:-1}
    rm -f "$CH_DIR/stream.stop"
    (
        for ((i = 0; i < chunks; i++)); do
            [ -e "$CH_DIR/stream.stop" ] && break
            ch_gen_produce "$size" $((seed0 + i)) "$malf" _stream
            ch_sleep_ms "$every"
        done
    ) &
    CH_STREAM_PID=$!
}
ch_stream_stop() {
    touch "$CH_DIR/stream.stop"
    ch_stream_wait
}
ch_stream_wait() {
    wait "$CH_STREAM_PID" 2>/dev/null
    CH_STREAM_PID=
    CH_PRODUCED=$(ch_produced)
}

# Records whose offsets are stored (topics start empty: the sum of next offsets).
ch_committed() {
    q "SELECT coalesce(sum(next_offset), 0) FROM customs.consumer_offsets
        WHERE group_id = 'chaos-$CH_NAME' AND topic = '$CH_TOPIC.declarations'" 2>/dev/null || echo 0
}

# ch_consistent: "OK" when the stored offsets cover exactly the rows the records produced
# (one snapshot: a batch committing meanwhile is seen whole or not at all), else
# "offsets=N rows=M". Only for scenarios whose every record makes exactly one row.
ch_consistent() {
    q "SELECT CASE WHEN o = r THEN 'OK' ELSE format('offsets=%s rows=%s', o, r) END
         FROM (SELECT (SELECT coalesce(sum(next_offset), 0) FROM customs.consumer_offsets
                        WHERE group_id = 'chaos-$CH_NAME'
                          AND topic = '$CH_TOPIC.declarations') AS o,
                      (SELECT count(*) FROM customs.declarations) +
                      (SELECT count(*) FROM customs.quarantine) AS r) x" 2>&1
}

# ch_wait_committed N [SECONDS]: until N records are committed and the outbox is drained.
ch_wait_committed() {
    local deadline=$(( $(date +%s) + ${2:-120} ))
    while :; do
        if [ "$(ch_committed)" -ge "$1" ] &&
            [ "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL" 2>/dev/null)" = 0 ]; then
            return 0
        fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# ch_wait_progress N [SECONDS]: until at least N records are committed.
ch_wait_progress() {
    local deadline=$(( $(date +%s) + ${2:-60} ))
    while [ "$(ch_committed)" -lt "$1" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# ch_rand LO HI: a random integer in [LO, HI].
ch_rand() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }

# ch_sleep_ms MS
ch_sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# consume TOPIC FORMAT: every record of a topic from the beginning.
ch_consume() {
    kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t "$1" -o beginning -e -q -f "$2" 2>/dev/null
}

# ch_end_offsets TOPIC: "partition<TAB>end offset" for every partition.
ch_end_offsets() {
    local t=$1 args=() p n
    n=$(kcat -L -b "$CUSTOMSD_BOOTSTRAP" -t "$t" 2>/dev/null | grep -c 'partition [0-9]*,')
    for ((p = 0; p < n; p++)); do args+=(-t "$t:$p:-1"); done
    kcat -Q -b "$CUSTOMSD_BOOTSTRAP" "${args[@]}" 2>/dev/null |
        sed -n 's/.* \[\([0-9]*\)\] offset \([0-9]*\).*/\1\t\2/p'
}

# ch_reconcile: compare produced records with PostgreSQL and the topics; print the
# scenario line and one line per check. Keys listed in extra_quarantine.keys are valid
# declarations the scenario expects quarantined (a database refusal it provoked).
ch_reconcile() {
    local topic=$CH_TOPIC.declarations
    CH_PRODUCED=$(ch_produced)
    ch_consume "$topic" '%p\t%o\t%k\n' >"$CH_DIR/topic_records.tsv"
    ch_end_offsets "$topic" >"$CH_DIR/end_offsets.tsv"
    : >"$CH_DIR/published.tsv"
    local out
    for out in events receipts; do
        ch_consume "$CH_TOPIC.$out" "$out\t%p\t%o\t%k\t%s\n" |
            sed -n 's/^\([^\t]*\t[^\t]*\t[^\t]*\t[^\t]*\)\t.*"event_id": *"\([0-9a-f-]*\)".*/\1\t\2/p' \
                >>"$CH_DIR/published.tsv"
    done
    # Everything is compared in SQL: load the expectations and what the topics hold.
    psql -X -q -v ON_ERROR_STOP=1 -d "$CH_DB" >"$CH_DIR/reconcile.out" 2>&1 <<SQL
CREATE TEMP TABLE ch_expect (key text, class text);
CREATE TEMP TABLE ch_extra (key text);
CREATE TEMP TABLE ch_records (p int, o bigint, key text);
CREATE TEMP TABLE ch_end (p int, end_offset bigint);
CREATE TEMP TABLE ch_pub (topic text, p int, o bigint, key text, event_id uuid);
\copy ch_expect FROM '$CH_DIR/expect.tsv'
\copy ch_extra FROM '$CH_DIR/extra_quarantine.keys'
\copy ch_records FROM '$CH_DIR/topic_records.tsv'
\copy ch_end FROM '$CH_DIR/end_offsets.tsv'
\copy ch_pub FROM '$CH_DIR/published.tsv'
CREATE TABLE public.ch_result AS SELECT
  (SELECT count(*) FROM ch_records) AS on_topic,
  (SELECT count(*) FROM ch_expect WHERE class IN ('ok', 'defect')
      AND key NOT IN (SELECT key FROM ch_extra)) AS valid,
  (SELECT count(*) FROM customs.declarations) AS applied,
  (SELECT count(*) FROM customs.quarantine) AS quarantined,
  -- valid declarations missing from customs.declarations
  (SELECT count(*) FROM ch_expect e WHERE class IN ('ok', 'defect')
      AND key NOT IN (SELECT key FROM ch_extra)
      AND NOT EXISTS (SELECT 1 FROM customs.declarations d WHERE d.logistics_no = e.key))
    AS lost_declarations,
  -- records neither applied (as the declaration of record or a duplicate of it) nor
  -- quarantined, other than the valid ones counted above
  (SELECT count(*) FROM ch_records r
    WHERE NOT EXISTS (SELECT 1 FROM customs.declarations d
                       WHERE d.source_partition = r.p AND d.source_offset = r.o)
      AND NOT EXISTS (SELECT 1 FROM customs.quarantine x
                       WHERE x.source_partition = r.p AND x.source_offset = r.o)
      AND NOT EXISTS (SELECT 1 FROM customs.declarations d WHERE d.logistics_no = r.key)
      AND NOT (r.key IS NOT NULL AND r.key IN (SELECT key FROM ch_expect
                                                WHERE class IN ('ok', 'defect')
                                                  AND key NOT IN (SELECT key FROM ch_extra))))
    AS lost_records,
  -- expected quarantines that did not happen (provoked refusals)
  (SELECT count(*) FROM ch_extra k WHERE NOT EXISTS
      (SELECT 1 FROM customs.quarantine x WHERE x.logistics_no = k.key)) AS extra_missing,
  (SELECT count(*) FROM ch_expect WHERE class = 'malformed') AS malformed,
  -- records of class 'either' may be stored or quarantined (never lost: lost_records)
  (SELECT count(*) FROM ch_expect e WHERE class = 'either'
      AND EXISTS (SELECT 1 FROM customs.declarations d WHERE d.logistics_no = e.key))
    AS either_applied,
  (SELECT count(*) FROM ch_expect e WHERE class = 'either'
      AND EXISTS (SELECT 1 FROM customs.quarantine x WHERE x.logistics_no = e.key))
    AS either_quarantined,
  (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM customs.status_history
      GROUP BY logistics_no, status_code HAVING count(*) > 1) h) AS dup_history,
  -- (a new declaration has two receipts: its 120, then its decision's)
  (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM customs.outbox
      GROUP BY topic, key, type, payload->>'status_code' HAVING count(*) > 1) o) AS dup_events,
  (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM customs.quarantine
      GROUP BY source_partition, source_offset HAVING count(*) > 1) o) AS dup_quarantine,
  (SELECT count(*) FROM customs.declarations d
    WHERE NOT EXISTS (SELECT 1 FROM customs.status_history h
                       WHERE h.logistics_no = d.logistics_no)) AS no_history,
  (SELECT count(*) FROM ch_end e LEFT JOIN customs.consumer_offsets c
       ON c.group_id = 'chaos-$CH_NAME' AND c.topic = '$topic' AND c.partition = e.p
    WHERE e.end_offset > 0 AND coalesce(c.next_offset, -1) <> e.end_offset) AS offsets_off,
  (SELECT count(*) FROM ch_end) AS partitions,
  (SELECT count(*) FROM customs.outbox WHERE published_at IS NULL) AS unpublished,
  (SELECT count(*) FROM customs.outbox) AS events,
  (SELECT count(*) FROM customs.outbox o
    WHERE NOT EXISTS (SELECT 1 FROM ch_pub p WHERE p.event_id = o.event_id)) AS events_missing,
  (SELECT count(*) - count(DISTINCT event_id) FROM ch_pub) AS republished,
  (SELECT count(*) FROM ch_pub p
    WHERE NOT EXISTS (SELECT 1 FROM customs.outbox o WHERE o.event_id = p.event_id))
    AS events_unknown,
  -- per parcel and topic, first publications must follow the outbox (commit) order
  (SELECT count(*) FROM (
      SELECT o.id, lag(o.id) OVER (PARTITION BY f.topic, f.key ORDER BY f.p, f.o) AS prev
        FROM (SELECT DISTINCT ON (event_id) * FROM ch_pub ORDER BY event_id, p, o) f
        JOIN customs.outbox o ON o.event_id = f.event_id) s
    WHERE s.prev > s.id) AS reordered,
  (SELECT count(*) FROM customs.quarantine WHERE coalesce(reason, '') = '') AS no_reason;
SQL
    if [ $? -ne 0 ]; then
        ch_fail "reconciliation query failed:"
        sed 's/^/    /' "$CH_DIR/reconcile.out"
        echo "scenario $CH_NAME: produced=$CH_PRODUCED applied=? duplicated=? lost=? quarantined=?"
        return 1
    fi
    local r
    r=$(q "SELECT concat_ws(' ', on_topic, valid, applied, quarantined, lost_declarations,
                 lost_records, extra_missing, malformed, either_applied, either_quarantined,
                 dup_history, dup_events, dup_quarantine,
                 no_history, offsets_off, partitions, unpublished, events, events_missing,
                 republished, events_unknown, reordered, no_reason)
             FROM public.ch_result; DROP TABLE public.ch_result;")
    local on_topic valid applied quarantined lost_decl lost_rec extra_missing malformed \
        either_app either_q dup_hist dup_ev dup_q no_hist offsets_off parts unpublished events ev_missing \
        republished ev_unknown reordered no_reason
    read -r on_topic valid applied quarantined lost_decl lost_rec extra_missing malformed \
        either_app either_q dup_hist dup_ev dup_q no_hist offsets_off parts unpublished events ev_missing \
        republished ev_unknown reordered no_reason <<<"$r"
    CH_LOST=$((lost_decl + lost_rec))
    CH_DUP=$((dup_hist + dup_ev + dup_q))
    echo "scenario $CH_NAME: produced=$CH_PRODUCED applied=$applied duplicated=$CH_DUP lost=$CH_LOST quarantined=$quarantined"
    [ "$CH_LOST" -eq 0 ] || ch_fail "lost: $lost_decl valid declarations missing, $lost_rec other records neither applied nor quarantined"
    [ "$CH_DUP" -eq 0 ] || ch_fail "duplicated: $dup_hist extra history rows, $dup_ev extra outbox events, $dup_q extra quarantine rows"
    ch_check "records on the topic = records produced (mock retention kept them all)" \
        "$CH_PRODUCED" "$on_topic"
    ch_check "declarations = valid declarations produced" "$((valid + either_app))" "$applied"
    ch_check "quarantined = malformed records + provoked refusals" \
        "$((malformed + either_q + $(wc -l <"$CH_DIR/extra_quarantine.keys")))" "$quarantined"
    ch_check "provoked refusals quarantined" 0 "$extra_missing"
    ch_check "quarantine rows without a reason" 0 "$no_reason"
    ch_check "declarations without status history" 0 "$no_hist"
    ch_check "partitions whose stored offset is not the partition's end (of $parts)" 0 "$offsets_off"
    ch_check "outbox events unpublished (of $events)" 0 "$unpublished"
    ch_check "outbox events not found on their topic" 0 "$ev_missing"
    ch_check "events on the topics that are not in the outbox" 0 "$ev_unknown"
    ch_check "events published out of commit order per parcel" 0 "$reordered"
    [ "$republished" -eq 0 ] || ch_say "($republished events published more than once: at least once, same event_id)"
}

# ch_mark ID TEXT: a marker line in the instance's log.
ch_mark() { printf -- '--- chaos: %s at %s\n' "$2" "$(date +%T.%N)" >>"$CH_DIR/$1.log"; }

# ch_log_between ID MARK1 MARK2: the instance's log between the last lines containing
# MARK1 and MARK2 (to the end when MARK2 is empty or absent). Two passes over the file (the
# last MARK1's line, then the lines after it): a log of ~50,000 lines after the mark took
# minutes when they were appended to one string.
ch_log_between() {
    awk -v a="$2" -v b="$3" 'NR == FNR { if (index($0, a)) last = FNR; next }
        !last || FNR <= last { next }
        b != "" && index($0, b) { exit }
        { print }' "$CH_DIR/$1.log" "$CH_DIR/$1.log"
}

# ch_log_count ID PATTERN: lines of the instance's log matching PATTERN (grep -E).
ch_log_count() { grep -cE -- "$2" "$CH_DIR/$1.log" 2>/dev/null || true; }

# ch_finish: exit status of the scenario.
ch_finish() {
    ch_cleanup
    if [ "$CH_FAILS" -eq 0 ]; then
        # Keep the logs of a failed scenario only; the database goes either way.
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $CH_DB WITH (FORCE)" >/dev/null 2>&1
        rm -f "$CH_DIR"/*.frames
        exit 0
    fi
    echo "  $CH_FAILS check(s) failed in scenario $CH_NAME; logs and database $CH_DB kept ($CH_DIR)"
    exit 1
}

# --- TCP proxies: black-hole and slow faults (tests/tools/tcpproxy.c) -------------------
# ch_proxy_start NAME [-n NETNS] LISTEN:TARGET...: a tcpproxy in the background (log
# $CH_DIR/NAME.log, control fifo $CH_DIR/NAME.fifo); sets CH_PROXY_PORTS (the listening
# ports, in the order of the pairs; LISTEN 0 = a free port). ch_proxy NAME MODE [ARG]
# switches it (pass, delay MS, stall, cut) and waits until it has logged the change.
# ch_pg_proxy_start: a proxy to PostgreSQL's TCP port (PGPORT on 127.0.0.1); sets
# CH_PG_PROXY_PORT. ch_config_pg_via ID PORT [YAML_LINES]: instance ID's configuration
# reaches PostgreSQL over TCP at 127.0.0.1:PORT; YAML_LINES (e.g. "statement_timeout_ms:
# 4000") are added to its postgresql section.
# ch_kafka_netns_start: a network namespace (held by a `sleep` in it; CH_NETNS is its
# /proc/PID/ns/net) whose 127.0.0.1:PORT for every broker port of CUSTOMSD_BOOTSTRAP is a
# proxy "kafka" to the real broker: the brokers advertise their own 127.0.0.1:PORT, so only
# a client inside the namespace (ch_start_in_netns ID) goes through the proxy for every
# connection, and everything else (kcat, the producers, other instances) reaches the
# brokers directly. Needs root (unshare, nsenter).
# ch_stop_timed ID WHAT [LIMIT_S]: SIGTERM to ID, timed; checks exit status 0 and at most
# LIMIT_S (10) seconds; "WHAT=N ms" goes to the "stops NAME: ..." line (ch_report_stops)
# that run.sh adds to the scenario's line in the chaos summary. WHAT: one word.
declare -A CH_PROXY_PID=()
CH_PROXY_PORTS=
CH_PG_PROXY_PORT=
CH_NETNS=
CH_NETNS_PID=
CH_STOPS=

ch_proxy_start() {
    local name=$1 i
    shift
    rm -f "$CH_DIR/$name.ports"
    "$BUILD/tools/tcpproxy" -c "$CH_DIR/$name.fifo" -f "$CH_DIR/$name.ports" "$@" \
        >/dev/null 2>>"$CH_DIR/$name.log" &
    CH_PROXY_PID[$name]=$!
    for ((i = 0; i < 100; i++)); do
        [ -s "$CH_DIR/$name.ports" ] && break
        kill -0 "${CH_PROXY_PID[$name]}" 2>/dev/null || break
        sleep 0.05
    done
    CH_PROXY_PORTS=$(cat "$CH_DIR/$name.ports" 2>/dev/null)
    [ -n "$CH_PROXY_PORTS" ] || { ch_fail "tcpproxy $name did not start: $(tail -n 2 "$CH_DIR/$name.log")"; return 1; }
}

ch_proxy() {
    local name=$1 i n
    shift
    n=$(grep -c ' tcpproxy: mode ' "$CH_DIR/$name.log")
    echo "$*" >"$CH_DIR/$name.fifo"
    for ((i = 0; i < 100; i++)); do
        [ "$(grep -c ' tcpproxy: mode ' "$CH_DIR/$name.log")" -gt "$n" ] && break
        sleep 0.05
    done
    ch_say "proxy $name: $(grep ' tcpproxy: mode ' "$CH_DIR/$name.log" | tail -n 1 | sed 's/.*tcpproxy: //')"
    for i in "${!CH_PID[@]}"; do ch_mark "$i" "proxy $name: $*"; done
}

ch_pg_proxy_start() {
    ch_proxy_start pg "0:$PGPORT" && CH_PG_PROXY_PORT=$CH_PROXY_PORTS
}

ch_config_pg_via() {
    local id=$1 port=$2 extra=${3:-}
    [ -f "$CH_DIR/$id.yaml" ] || ch_config "$id"
    awk -v port="$port" -v extra="$extra" '
        /^  conninfo: "/ { sub(/conninfo: "/, "conninfo: \"host=127.0.0.1 port=" port " ")
                           print; n = split(extra, l, "\n"); for (i = 1; i <= n; i++) if (l[i] != "") print "  " l[i]; next }
        { print }' "$CH_DIR/$id.yaml" >"$CH_DIR/$id.yaml.tmp" && mv "$CH_DIR/$id.yaml.tmp" "$CH_DIR/$id.yaml"
}

ch_kafka_netns_start() {
    local pairs=() b i
    command -v unshare >/dev/null && command -v nsenter >/dev/null ||
        { ch_fail "unshare and nsenter (util-linux) are needed"; return 1; }
    unshare -n sleep 100000 &
    CH_NETNS_PID=$!
    CH_NETNS=/proc/$CH_NETNS_PID/ns/net
    # Until the sleep runs in its own namespace (unshare has exec'd it).
    for ((i = 0; i < 100; i++)); do
        [ "$(readlink "$CH_NETNS" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.02
    done
    nsenter --net="$CH_NETNS" ip link set lo up 2>"$CH_DIR/netns.err" ||
        { ch_fail "no network namespace (root needed): $(cat "$CH_DIR/netns.err")"; return 1; }
    for b in ${CUSTOMSD_BOOTSTRAP//,/ }; do pairs+=("${b##*:}:${b##*:}"); done
    ch_proxy_start kafka -n "$CH_NETNS" "${pairs[@]}"
}

# ch_start_in_netns ID: ch_start, with customsd in the network namespace CH_NETNS
# (nsenter execs it: the pid is customsd's).
ch_start_in_netns() {
    local id=$1
    [ -f "$CH_DIR/$id.yaml" ] || ch_config "$id"
    printf -- '--- chaos: start %s (in netns) at %s\n' "$id" "$(date +%T.%N)" >>"$CH_DIR/$id.log"
    rm -f "$CH_DIR/$id.pid" "$CH_DIR/$id.rc"
    (
        nsenter --net="$CH_NETNS" -- "$BUILD/customsd" -c "$CH_DIR/$id.yaml" 2>>"$CH_DIR/$id.log" &
        echo $! >"$CH_DIR/$id.pid"
        wait $!
        echo $? >"$CH_DIR/$id.rc"
    ) 2>/dev/null &
    CH_WATCH[$id]=$!
    while [ ! -s "$CH_DIR/$id.pid" ]; do sleep 0.01; done
    CH_PID[$id]=$(cat "$CH_DIR/$id.pid")
}

ch_stop_timed() {
    local id=$1 label=$2 limit=${3:-10}
    ch_stop "$id" TERM $((limit + 20))
    CH_STOPS="${CH_STOPS:+$CH_STOPS, }$label=$CH_MS ms"
    ch_check "SIGTERM $label: exit status" 0 "$CH_RC"
    if [ "$CH_MS" -le $((limit * 1000)) ]; then
        ch_ok "SIGTERM $label: stopped in $CH_MS ms (limit $limit s)"
    else
        ch_fail "SIGTERM $label: stopping took $CH_MS ms (limit $limit s)"
    fi
}

# ch_report_stops: the line run.sh adds to the summary.
ch_report_stops() { echo "stops $CH_NAME: ${CH_STOPS:-none}"; }

# ch_proxy_cleanup: stop the proxies and the namespace, then ch_cleanup (the EXIT trap of
# the proxy scenarios: ch_proxy_trap after ch_init).
ch_proxy_cleanup() {
    local name
    ch_cleanup
    for name in "${!CH_PROXY_PID[@]}"; do
        kill "${CH_PROXY_PID[$name]}" 2>/dev/null
        wait "${CH_PROXY_PID[$name]}" 2>/dev/null
    done
    CH_PROXY_PID=()
    if [ -n "$CH_NETNS_PID" ]; then
        kill "$CH_NETNS_PID" 2>/dev/null
        wait "$CH_NETNS_PID" 2>/dev/null
        CH_NETNS_PID=
    fi
}
ch_proxy_trap() { trap ch_proxy_cleanup EXIT; }

# ch_wait_log ID MARK PATTERN SECONDS: until a line matching PATTERN (grep -E) appears in
# the instance's log after the last line containing MARK; sets CH_LOG_MS (milliseconds
# waited) and CH_LOG_LINE (the line). Returns 1 after SECONDS without one.
ch_wait_log() {
    local id=$1 mark=$2 pat=$3 t0
    t0=$(date +%s%N)
    CH_LOG_LINE=
    while :; do
        CH_LOG_LINE=$(ch_log_between "$id" "$mark" "" | grep -m1 -E -- "$pat")
        CH_LOG_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
        [ -n "$CH_LOG_LINE" ] && return 0
        [ "$CH_LOG_MS" -lt $(($4 * 1000)) ] || return 1
        sleep 0.1
    done
}
