#!/bin/bash
# soak.sh - `make soak` (issue 9, item 6): customsd under steady mixed traffic for
# SOAK_MINUTES (default 60) on the local stack, watching its memory and descriptors.
#
#   1. The maximum: a burst of SOAK_BURST (20,000) declarations produced at once, timed from
#      customsd's first commit until every record is committed and every outbox event
#      published (declarations per second). SOAK_RATE=N skips the measure: N is the steady
#      rate itself.
#   2. Steady traffic at half that maximum for SOAK_MINUTES: every 2 s the declarations due
#      (generated, about 1 in 10 defective, one malformed record per tick), and mixed in:
#      amendments (appType 2) and cancellations (appType 3) of stored parcels in 100 or 399,
#      warehouse arrival scans of parcels in 399 or 500 and departure scans of released
#      ones, officer calls in psql (customs.record_inspection 'passed' on parcels in 500,
#      customs.release_review on parcels in 300, a read of customs.inspection_queue).
#      Each parcel is claimed by one kind of this traffic at a time (public.soak_targets), and
#      the targets of amendments and cancellations are never scanned or inspected, so that
#      nothing is refused and every count below is exact.
#   3. Every 10 s: customsd's VmRSS (/proc/PID/status), its open descriptors (/proc/PID/fd)
#      and the records committed. Printed as a table at the end (and build/soak/soak.png if
#      gnuplot is installed; the samples are in build/soak/samples.tsv).
#   4. The traffic stops; once everything is committed and published, SIGTERM (exit 0 and
#      within 30 s) and the reconciliation.
#
# Passes when, after the warm-up (the first 20 % of the run or 5 minutes, whichever is
# shorter): RSS grows by at most 5 % (the mean of the last three samples against the mean
# of the first three after the warm-up: RSS also moves with librdkafka's prefetch queue,
# a leak only grows), the descriptor count does not grow (last sample <= the first after
# the warm-up: connections may come and go, a leak only grows); and the
# reconciliation is exact: every partition's stored offset is its end (declarations and
# scans), declarations = distinct valid declarations produced, quarantined = malformed
# records produced, one declaration version per amendment and per cancellation produced,
# one scan row per scan produced (none refused), one officer change per officer call,
# no Kafka record applied twice (status_history per record and status), every outbox event
# published, and exactly once (the end offsets of the two output topics add up to the
# outbox rows: the mock keeps only the recent records, so offsets are counted, not records).
#
# Disk: about 5.5 KiB of PostgreSQL data per declaration (the database chaos_soak is dropped
# when the soak passes, kept for inspection when it fails; logs in build/soak/).
# Environment: SOAK_MINUTES (60), SOAK_RATE (steady declarations/s; default half the
# measured maximum), SOAK_BURST (20000), BUILD (build), CUSTOMSD_KEEP_STACK (leave a stack
# this script started running).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
export BUILD=${BUILD:-build}
export LC_ALL=C
MINUTES=${SOAK_MINUTES:-60}
BURST=${SOAK_BURST:-20000}
TICK=2
for b in customsd tools/gen_declarations tools/kafka_produce tools/mock_broker; do
    [ -x "$BUILD/$b" ] || { echo "soak: $BUILD/$b not built (make tests)"; exit 2; }
done
command -v kcat >/dev/null || { echo "soak: kcat is needed (make deps)"; exit 2; }
case $MINUTES in '' | *[!0-9]*) echo "soak: SOAK_MINUTES must be a whole number of minutes"; exit 2 ;; esac
[ "$MINUTES" -ge 1 ] || { echo "soak: SOAK_MINUTES must be at least 1"; exit 2; }

STARTED_STACK=0
if ! sh tests/stack/stack.sh status >/dev/null 2>&1; then
    sh tests/stack/stack.sh start >/dev/null || exit 1
    STARTED_STACK=1
fi
eval "$(sh tests/stack/stack.sh env)"
CHAOS_RUN=soak$(date +%s)
export CHAOS_DIR=$PWD/$BUILD CHAOS_RUN
rm -rf "${CHAOS_DIR:?}/soak"
# shellcheck source=tests/chaos/lib.sh
source tests/chaos/lib.sh
ch_init soak
OUT=$CH_DIR
SAMPLER_PID=
soak_cleanup() {
    touch "$OUT/sampler.stop"
    [ -n "$SAMPLER_PID" ] && wait "$SAMPLER_PID" 2>/dev/null
    ch_cleanup
    if [ "$STARTED_STACK" = 1 ] && [ -z "${CUSTOMSD_KEEP_STACK:-}" ]; then
        sh tests/stack/stack.sh stop >/dev/null 2>&1
    fi
}
trap soak_cleanup EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
say() { printf 'soak: %s %s\n' "$(date +%H:%M:%S)" "$*"; }

q "CREATE TABLE public.soak_targets (key text, what text, at timestamptz DEFAULT now(),
       PRIMARY KEY (key))" >/dev/null || { ch_fail "cannot create soak_targets"; ch_finish; }
ch_config A 1000 200
ch_start A
PID=${CH_PID[A]}

# --- 1. the maximum ------------------------------------------------------------------------
SEED=$(( ($(date +%s) % 5000) * 100 ))
if [ -n "${SOAK_RATE:-}" ]; then
    RATE=$SOAK_RATE
    MAX="not measured (SOAK_RATE)"
else
    ch_gen_produce "$BURST" "$SEED" 0 _burst
    t_first="" c_first=0
    deadline=$(( $(date +%s) + 300 ))
    while :; do
        c=$(ch_committed)
        if [ -z "$t_first" ] && [ "$c" -gt 0 ]; then t_first=$(now_ms); c_first=$c; fi
        [ "$c" -ge "$BURST" ] && ch_wait_committed "$BURST" 60 && break
        ch_alive A || { ch_fail "customsd exited during the burst"; ch_finish; }
        [ "$(date +%s)" -lt "$deadline" ] || { ch_fail "burst: only $c of $BURST committed in 300 s"; ch_finish; }
        sleep 0.1
    done
    ms=$(( $(now_ms) - t_first ))
    [ "$ms" -gt 0 ] || ms=1
    MAX=$(( (BURST - c_first) * 1000 / ms ))
    RATE=$(( MAX / 2 ))
    MAX="$MAX declarations/s ($((BURST - c_first)) in $ms ms)"
fi
[ "$RATE" -ge 1 ] 2>/dev/null || { ch_fail "steady rate '$RATE' is not a positive number"; ch_finish; }
WARMUP=$(( MINUTES * 60 / 5 ))
[ "$WARMUP" -le 300 ] || WARMUP=300
say "maximum: $MAX; steady rate $RATE declarations/s for $MINUTES min (warm-up $WARMUP s," \
    "about $(( RATE * MINUTES * 60 * 55 / 10 / 1024 )) MiB of PostgreSQL data)"

# --- 2. steady traffic, sampled --------------------------------------------------------------
T0=$(date +%s)
END=$(( T0 + MINUTES * 60 ))
rm -f "$OUT/sampler.stop"
printf 't_s\trss_kib\tfds\tcommitted\tbehind\n' >"$OUT/samples.tsv"
sample() {
    local rss fds c
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null) || return 0
    fds=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    c=$(ch_committed)
    [ -n "$rss" ] && printf '%d\t%d\t%d\t%d\t%d\n' $(( $(date +%s) - T0 )) "$rss" "$fds" \
        "$c" $(( $(ch_produced) - c )) >>"$OUT/samples.tsv"
}
(
    next=$T0
    while [ ! -e "$OUT/sampler.stop" ]; do
        if [ "$(date +%s)" -ge "$next" ]; then
            sample
            next=$(( next + 10 ))
        fi
        sleep 0.5
    done
) &
SAMPLER_PID=$!

SIDE=$(( RATE / 50 ))
[ "$SIDE" -ge 4 ] || SIDE=4
N_DECL=0 N_MALF=0 N_AMEND=0 N_CANCEL=0 N_ARRIVAL=0 N_DEPART=0 N_OFFICER=0 N_SCANS=0 TICKS=0
OFFICER_ERRORS=0
# frames FILE CTE SELECT: write the frames of the records a query returns; CTE (a claim
# below) is "t", SELECT its "key" and "v" (value) columns. Prints how many.
frames() {
    q "WITH t AS ($2), x AS ($3)
       SELECT format('%s %s', octet_length(key), octet_length(v)) || E'\n' || key || v FROM x" \
        >"$1" 2>>"$OUT/claims.err" || { echo 0; return 0; }
    grep -c '^[0-9]* [0-9]*$' "$1" || true
}
# claim WHAT CONDITION LIMIT: claim up to LIMIT declarations (alias d) of the last two
# minutes that no earlier claim took (SQL returning their "key").
claim() {
    echo "INSERT INTO public.soak_targets (key, what)
          SELECT logistics_no, '$1' FROM customs.declarations d
           WHERE $2 AND declared_at > now() - interval '2 minutes'
             AND NOT EXISTS (SELECT 1 FROM public.soak_targets s WHERE s.key = d.logistics_no)
           LIMIT $3 RETURNING key"
}
# reclaim FROM TO CONDITION LIMIT: up to LIMIT parcels claimed as FROM (a list of quoted
# names) in the last five minutes that meet CONDITION (alias d) now, claimed as TO.
reclaim() {
    echo "UPDATE public.soak_targets s SET what = '$2', at = now()
           WHERE s.key IN (SELECT s2.key FROM public.soak_targets s2
                             JOIN customs.declarations d ON d.logistics_no = s2.key
                            WHERE s2.what IN ($1) AND s2.at > now() - interval '5 minutes'
                              AND $3 LIMIT $4)
          RETURNING s.key"
}
produce_scans() {
    local out n
    out=$("$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t "$CH_TOPIC.scans" -f "$1" \
        2>>"$OUT/produce.log") || ch_fail "kafka_produce (scans) failed: $out"
    n=$(printf '%s\n' "$out" | sed -n 's/^produced \([0-9]*\) records.*/\1/p')
    N_SCANS=$(( N_SCANS + ${n:-0} ))
}
# scan KIND: the "x" query of a scan of KIND for every claimed parcel.
scan() {
    echo "SELECT t.key, format('{\"logisticsNo\":\"%s\",\"scan\":\"$1\",\"scannedAt\":\"%s\",\"loctNo\":\"1900W00001\"}',
                 t.key, to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS+08:00')) AS v
            FROM t"
}
# change APPTYPE NOTE: the "x" query of a change record (the stored declaration with another
# appType and note) for every claimed parcel.
change() {
    echo "SELECT d.logistics_no AS key,
                 replace(replace(d.payload, '\"appType\":\"1\"', '\"appType\":\"$1\"'),
                         '\"note\":\"\"', '\"note\":\"$2\"') AS v
            FROM customs.declarations d JOIN t ON t.key = d.logistics_no"
}
# officer CLAIM CALL: an officer's calls in psql for every claimed parcel (CALL uses t.key);
# prints how many were made, counts a failed statement in OFFICER_ERRORS.
officer() {
    local n
    n=$(q "WITH t AS ($1), c AS (SELECT r.* FROM t, LATERAL $2 r) SELECT count(*) FROM c" \
        2>>"$OUT/officer.err") || { OFFICER_ERRORS=$(( OFFICER_ERRORS + 1 )); n=0; }
    N_OFFICER=$(( N_OFFICER + n ))
}
# Declarations are hashed into three classes: 0 amendments, 1 cancellations, 2 scans and
# officer calls.
CLASS="abs(hashtext(d.logistics_no)) % 3"

while [ "$(date +%s)" -lt "$END" ]; do
    t_tick=$(now_ms)
    ch_alive A || { ch_fail "customsd exited during the soak (see $OUT/A.log)"; break; }
    TICKS=$(( TICKS + 1 ))
    # Declarations due by the end of this tick at RATE (catching up after a slow tick, at
    # most 10 s worth at once).
    due=$(( RATE * (t_tick / 1000 - T0 + TICK) - N_DECL ))
    [ "$due" -le $(( RATE * 10 )) ] || due=$(( RATE * 10 ))
    if [ "$due" -gt 0 ]; then
        ch_gen_produce "$due" $(( SEED + TICKS )) 1 _tick
        N_DECL=$(( N_DECL + due ))
        N_MALF=$(( N_MALF + 1 ))
    fi
    # Amendments and cancellations of parcels nothing else touches.
    n=$(frames "$OUT/amend.frames" "$(claim amend "status_code IN (100, 399) AND $CLASS = 0" $(( SIDE / 4 + 1 )))" \
        "$(change 2 'soak amendment')")
    [ "$n" -gt 0 ] && ch_produce "$OUT/amend.frames" && N_AMEND=$(( N_AMEND + n ))
    n=$(frames "$OUT/cancel.frames" "$(claim cancel "status_code IN (100, 399) AND $CLASS = 1" $(( SIDE / 8 + 1 )))" \
        "$(change 3 'soak cancellation')")
    [ "$n" -gt 0 ] && ch_produce "$OUT/cancel.frames" && N_CANCEL=$(( N_CANCEL + n ))
    # Warehouse scans: arrivals (399 released, 500 held), departures of released parcels.
    n=$(frames "$OUT/arrival.frames" "$(claim arrival "status_code IN (399, 500) AND $CLASS = 2" "$SIDE")" "$(scan arrival)")
    [ "$n" -gt 0 ] && produce_scans "$OUT/arrival.frames" && N_ARRIVAL=$(( N_ARRIVAL + n ))
    n=$(frames "$OUT/departure.frames" \
        "$(reclaim "'arrival', 'officer'" departure "d.status_code = 800 AND d.departed_at IS NULL" $(( SIDE / 2 + 1 )))" \
        "$(scan departure)")
    [ "$n" -gt 0 ] && produce_scans "$OUT/departure.frames" && N_DEPART=$(( N_DEPART + n ))
    # Officer calls in psql: inspections passed (500, arrived), manual reviews passed (300),
    # and a look at the inspection queue.
    officer "$(reclaim "'arrival'" officer "d.status_code = 500 AND d.arrived_at IS NOT NULL" 2)" \
        "customs.record_inspection(t.key, 'passed', 'soak: as declared')"
    officer "$(claim review "status_code = 300 AND $CLASS = 2" 1)" \
        "customs.release_review(t.key, 'soak: reviewed')"
    q "SELECT count(*) FROM customs.inspection_queue" >/dev/null 2>>"$OUT/officer.err" ||
        OFFICER_ERRORS=$(( OFFICER_ERRORS + 1 ))
    left=$(( TICK * 1000 - ($(now_ms) - t_tick) ))
    [ "$left" -gt 0 ] && ch_sleep_ms "$left"
done
say "traffic stopped after $(( $(date +%s) - T0 )) s: $N_DECL declarations (+$N_MALF malformed)," \
    "$N_AMEND amendments, $N_CANCEL cancellations, $N_ARRIVAL arrival and $N_DEPART departure scans," \
    "$N_OFFICER officer changes ($OFFICER_ERRORS failed officer calls)"

# --- 3. drain, stop, reconcile -------------------------------------------------------------
ch_wait_committed "$(ch_produced)" 300 || ch_fail "only $(ch_committed) of $(ch_produced) declarations records committed"
deadline=$(( $(date +%s) + 120 ))
until [ "$(q "SELECT coalesce(sum(next_offset), 0) FROM customs.consumer_offsets
               WHERE group_id = 'chaos-soak' AND topic = '$CH_TOPIC.scans'")" -ge "$N_SCANS" ] &&
      [ "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")" = 0 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { ch_fail "scans not all committed within 120 s"; break; }
    sleep 0.2
done
sample
touch "$OUT/sampler.stop"
wait "$SAMPLER_PID" 2>/dev/null
SAMPLER_PID=
ch_stop A TERM 30
ch_check "stopped by SIGTERM: exit status" 0 "$CH_RC"
ch_say "stopped in $CH_MS ms"

# The curve.
# (committed: records of the declarations topic applied; behind: produced but not yet
# committed. The mock broker keeps about a minute of this stream: customsd falling
# further behind than that would lose records to the test stack, not to itself.)
echo "   time   RSS MiB   fds   committed   behind"
awk -F'\t' 'NR > 1 { printf "  %3d:%02d  %8.1f  %4d  %10d  %7d\n", $1 / 60, $1 % 60, $2 / 1024, $3, $4, $5 }' \
    "$OUT/samples.tsv"
if command -v gnuplot >/dev/null; then
    gnuplot <<GP 2>"$OUT/gnuplot.err" && ch_say "plot: $OUT/soak.png" || ch_say "gnuplot failed: $(head -c 200 "$OUT/gnuplot.err")"
set terminal png size 900,500
set output '$OUT/soak.png'
set title 'customsd soak: $RATE declarations/s for $MINUTES min'
set xlabel 'seconds'
set ylabel 'RSS MiB'
set y2label 'open descriptors'
set y2tics
set key top left
set arrow from $WARMUP, graph 0 to $WARMUP, graph 1 nohead dt 2
plot '$OUT/samples.tsv' every ::1 using 1:(\$2/1024) with linespoints title 'RSS MiB', \
     '' every ::1 using 1:3 axes x1y2 with steps title 'fds'
GP
fi

# RSS and descriptors after the warm-up. RSS moves with librdkafka's prefetch queue (how
# far behind the stream customsd is at that moment), so its growth is measured on the
# mean of three samples: the first three after the warm-up against the last three.
read -r base_t base_rss base_fds end_rss last_fds max_rss n_after <<<"$(awk -F'\t' -v w="$WARMUP" '
    NR > 1 && $1 >= w { n++; t[n] = $1; r[n] = $2; f[n] = $3; if ($2 > mr) mr = $2 }
    END { if (n < 4) { print 0, 0, 0, 0, 0, 0, n + 0; exit }
          k = n < 6 ? int(n / 2) : 3
          for (i = 1; i <= k; i++) { b += r[i]; e += r[n - k + i] }
          print t[1], int(b / k), f[1], int(e / k), f[n], mr, n }' "$OUT/samples.tsv")"
if [ "$n_after" -lt 4 ]; then
    ch_fail "fewer than 4 samples after the warm-up ($n_after): SOAK_MINUTES too small"
else
    growth=$(awk -v a="$base_rss" -v b="$end_rss" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
    ch_say "RSS after the warm-up (t>=$base_t s): $((base_rss / 1024)) MiB at first, $((end_rss / 1024)) MiB at the end (means of up to 3 samples), largest $((max_rss / 1024)) MiB"
    awk -v g="$growth" 'BEGIN { exit !(g <= 5) }' && ch_ok "RSS growth after the warm-up <= 5 % ($growth %)" ||
        ch_fail "RSS grew by $growth % after the warm-up (limit 5 %)"
    [ "$last_fds" -le "$base_fds" ] && ch_ok "open descriptors did not grow ($base_fds at t=$base_t s, $last_fds at the end)" ||
        ch_fail "open descriptors grew: $base_fds at t=$base_t s, $last_fds at the end"
fi

# Reconciliation.
ch_end_offsets "$CH_TOPIC.declarations" >"$OUT/end_decl.tsv"
ch_end_offsets "$CH_TOPIC.scans" >"$OUT/end_scans.tsv"
ends=0
for t in events receipts; do
    e=$(ch_end_offsets "$CH_TOPIC.$t" | awk '{ s += $2 } END { print s + 0 }')
    ends=$(( ends + e ))
done
r=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$CH_DB" 2>"$OUT/reconcile.err" <<SQL
CREATE TEMP TABLE s_expect (key text, class text);
CREATE TEMP TABLE s_end (topic text, p int, end_offset bigint);
\copy s_expect FROM '$OUT/expect.tsv'
CREATE TEMP TABLE s_end_decl (p int, end_offset bigint);
CREATE TEMP TABLE s_end_scans (p int, end_offset bigint);
\copy s_end_decl FROM '$OUT/end_decl.tsv'
\copy s_end_scans FROM '$OUT/end_scans.tsv'
SELECT concat_ws(' ',
  (SELECT count(DISTINCT key) FROM s_expect WHERE class IN ('ok', 'defect')),
  (SELECT count(*) FROM customs.declarations),
  (SELECT count(*) FROM s_expect e WHERE class IN ('ok', 'defect')
      AND NOT EXISTS (SELECT 1 FROM customs.declarations d WHERE d.logistics_no = e.key)),
  (SELECT count(*) FROM s_expect WHERE class = 'malformed'),
  (SELECT count(*) FROM customs.quarantine),
  (SELECT count(*) FROM customs.declaration_versions WHERE kind = 'replaced'),
  (SELECT count(*) FROM customs.declaration_versions WHERE kind = 'cancellation'),
  (SELECT count(*) FROM customs.declarations WHERE cancelled_at IS NOT NULL),
  (SELECT count(*) FROM customs.warehouse_scans),
  (SELECT count(*) FROM customs.warehouse_scans WHERE outcome IN ('refused', 'duplicate')),
  (SELECT count(DISTINCT logistics_no) FROM customs.status_history WHERE actor LIKE 'officer:%'),
  (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM customs.status_history
      WHERE source_offset IS NOT NULL
      GROUP BY source_topic, source_partition, source_offset, status_code, event
      HAVING count(*) > 1) h),
  (SELECT count(*) FROM s_end_decl e LEFT JOIN customs.consumer_offsets c
       ON c.group_id = 'chaos-soak' AND c.topic = '$CH_TOPIC.declarations' AND c.partition = e.p
    WHERE e.end_offset > 0 AND coalesce(c.next_offset, -1) <> e.end_offset),
  (SELECT count(*) FROM s_end_scans e LEFT JOIN customs.consumer_offsets c
       ON c.group_id = 'chaos-soak' AND c.topic = '$CH_TOPIC.scans' AND c.partition = e.p
    WHERE e.end_offset > 0 AND coalesce(c.next_offset, -1) <> e.end_offset),
  (SELECT count(*) FROM customs.outbox),
  (SELECT count(*) FROM customs.outbox WHERE published_at IS NULL),
  (SELECT coalesce(sum(end_offset), 0) FROM s_end_decl),
  (SELECT coalesce(sum(end_offset), 0) FROM s_end_scans));
SQL
)
if [ -z "$r" ]; then
    ch_fail "reconciliation query failed: $(cat "$OUT/reconcile.err")"
else
    read -r valid applied missing malformed quarantined versions cancels cancelled scans scans_bad \
        officer dup_hist decl_off scan_off events unpublished decl_end scan_end <<<"$r"
    echo "soak: produced=$(ch_produced) applied=$applied duplicated=$dup_hist lost=$missing quarantined=$quarantined" \
        "amendments=$versions cancellations=$cancels scans=$scans officer=$officer events=$events"
    ch_check "records on the declarations topic (end offsets) = records produced" "$(ch_produced)" "$decl_end"
    ch_check "records on the scans topic (end offsets) = scans produced" "$N_SCANS" "$scan_end"
    ch_check "declarations = distinct valid declarations produced" "$valid" "$applied"
    ch_check "valid declarations missing" 0 "$missing"
    ch_check "quarantined = malformed records produced" "$malformed" "$quarantined"
    ch_check "amendments applied = produced" "$N_AMEND" "$versions"
    ch_check "cancellations applied = produced" "$N_CANCEL" "$cancels"
    ch_check "cancelled declarations = cancellations produced" "$N_CANCEL" "$cancelled"
    ch_check "scan rows = scans produced" "$N_SCANS" "$scans"
    ch_check "scans refused or duplicate" 0 "$scans_bad"
    ch_check "parcels changed by an officer = officer changes made" "$N_OFFICER" "$officer"
    ch_check "officer calls that failed" 0 "$OFFICER_ERRORS"
    ch_check "records applied twice (status history per record and status)" 0 "$dup_hist"
    ch_check "declarations partitions whose stored offset is not the end" 0 "$decl_off"
    ch_check "scans partitions whose stored offset is not the end" 0 "$scan_off"
    ch_check "outbox events unpublished" 0 "$unpublished"
    ch_check "events on the output topics (end offsets) = outbox events (each published once)" "$events" "$ends"
fi
[ "$CH_FAILS" -eq 0 ] && echo "soak: passed ($MINUTES min at $RATE declarations/s)" ||
    echo "soak: FAILED ($CH_FAILS checks); logs in $OUT"
ch_finish
