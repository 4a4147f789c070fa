#!/bin/bash
# test_metrics.sh - the monitoring endpoint (metrics.listen) during a real run, in a database
# of its own so PostgreSQL's counts are this run's: 400 generated declarations (with defects
# that rules reject, watch-list items sent to inspection, and malformed records that are
# quarantined) plus redelivered duplicates go through customsd in two halves; /metrics is
# scraped between them and after, and must
#   - parse as the Prometheus text format (every line a HELP, TYPE or sample line, every
#     sample of a family declared by a TYPE line),
#   - count decisions per status code exactly as customs.parcel_status holds them, records
#     per topic as the offsets stored, quarantines as customs.quarantine, duplicates as sent,
#   - show the rule set in use, lag 0 and an empty outbox once everything is through, and
#     count a refused reload (SIGHUP with a broken rules file) while the rule set stays;
# /healthz answers 200, /readyz 200 while working and 503 naming PostgreSQL while it is
# stopped (stack.sh pg-stop), 200 again after pg-start; other paths 404, POST 405; an
# address in use is refused at start with the reason.
source "$(dirname "$0")/lib.sh"
N=mt${T_RUN}
DB=it_metrics_$N
STACK="sh tests/stack/stack.sh"
PG_STOPPED=0
restore() {
    [ "$PG_STOPPED" = 0 ] || $STACK pg-start >/dev/null 2>&1 || true
    dropdb --if-exists --force "$DB" >/dev/null 2>&1 || true
}
trap 'restore; t_cleanup' EXIT

createdb -T template0 -E UTF8 "$DB" || { fail "cannot create $DB"; finish; }
sh sql/migrate.sh "dbname=$DB" >"$T_DIR/migrate.out" 2>&1 || { fail "migrate: $(cat "$T_DIR/migrate.out")"; finish; }
for t in declarations scans; do
    $STACK topic "$N.$t" 2 2>/dev/null || { fail "cannot create topic $N.$t"; finish; }
done
qdb() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# A free loopback port: nothing answers on it now (customsd's bind is the real test).
port=$((20000 + T_RUN % 30000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
rules=$(rules_copy "$T_DIR/rules")
cfg=$(write_config "$N" 50 "$rules")
sed -i "s/^  conninfo: \"\"$/  conninfo: \"dbname=$DB\"\n  connect_timeout_s: 2/" "$cfg"
printf 'metrics:\n  listen: "127.0.0.1:%s"\n' "$port" >>"$cfg"
URL=http://127.0.0.1:$port
log=$T_DIR/customsd.log

# scrape FILE: GET /metrics into FILE; 1 unless 200.
scrape() { [ "$(curl -s -o "$1" -w '%{http_code}' --max-time 5 "$URL/metrics")" = 200 ]; }
# metric FILE 'NAME{LABELS}': the sample's value ("" when absent).
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
# parse_check FILE: every line is Prometheus text format 0.0.4; prints what is wrong.
parse_check() {
    awk '
    /^# HELP customsd_[a-z_]+ .+$/ { next }
    /^# TYPE customsd_[a-z_]+ (counter|gauge|histogram)$/ { typed[$3] = $4; next }
    /^customsd_[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? -?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$/ {
        name = $1; sub(/\{.*/, "", name); fam = name
        if (!(fam in typed)) { sub(/_(bucket|sum|count)$/, "", fam) }
        if (!(fam in typed)) { print "undeclared family: " $0; bad = 1 }
        if (name ~ /_bucket$/ && $1 !~ /le="/) { print "bucket without le: " $0; bad = 1 }
        samples++; next
    }
    { print "not exposition format: " $0; bad = 1 }
    END { if (!samples) { print "no samples"; bad = 1 } exit bad }' "$1"
}
# wait_metric NAME VALUE SECONDS: until the sample has that value. 1 on timeout.
wait_metric() {
    local deadline=$(( $(date +%s) + $3 ))
    until scrape "$T_DIR/m.txt" && [ "$(metric "$T_DIR/m.txt" "$1")" = "$2" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.3
    done
}
# compare FILE: decisions per status code equal customs.parcel_status, records and
# quarantines equal the offsets and customs.quarantine.
compare() {
    local f=$1 code n got total=0
    while IFS='|' read -r code n; do
        got=$(metric "$f" "customsd_decisions_total{status_code=\"$code\"}")
        check "$2: decisions with status $code" "$n" "${got:-absent}"
        total=$((total + n))
    done < <(qdb "SELECT status_code, count(*) FROM customs.parcel_status GROUP BY 1 ORDER BY 1")
    check "$2: decisions in all" "$total" \
        "$(awk '$1 ~ /^customsd_decisions_total\{/ { s += $2 } END { print s + 0 }' "$f")"
    check "$2: records of the declarations topic" \
        "$(PGDATABASE=$DB committed "$N" "$N.declarations")" \
        "$(awk -v t="$N.declarations" 'index($1, "customsd_records_total{topic=\"" t "\"") == 1 { s += $2 } END { print s + 0 }' "$f")"
    check "$2: quarantined" "$(qdb "SELECT count(*) FROM customs.quarantine")" \
        "$(metric "$f" customsd_quarantined_total)"
}

# Two halves from two seeds (4 malformed records each); the first half is sent again later.
"$BUILD/tools/gen_declarations" -n 200 -s "$T_RUN" -m 4 -e "$T_DIR/a.expect" -o "$T_DIR/a.frames" 2>/dev/null
"$BUILD/tools/gen_declarations" -n 200 -s "$((T_RUN + 1))" -m 4 -e "$T_DIR/b.expect" -o "$T_DIR/b.frames" 2>/dev/null
na=$(wc -l <"$T_DIR/a.expect")
nb=$(wc -l <"$T_DIR/b.expect")
decls_a=$(awk -F '\t' '$3 != "malformed"' "$T_DIR/a.expect" | wc -l)
[ "$na" -gt 200 ] && [ "$decls_a" -eq 200 ] || { fail "generated: $na records, $decls_a declarations"; finish; }

# --- an address in use is refused ------------------------------------------------------------
busy_cfg=$T_DIR/busy.yaml
# Hold the port with a first customsd, then a second one on the same address must fail.
start_customsd "$cfg" "$log"
deadline=$(( $(date +%s) + 20 ))
until curl -s -o /dev/null --max-time 2 "$URL/healthz"; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "/healthz never answered"; tail -20 "$log"; finish; }
    sleep 0.2
done
ok "/healthz answers on 127.0.0.1:$port"
sed "s/group_id: $N/group_id: $N-busy/" "$cfg" >"$busy_cfg"
rc=0; timeout 20 "$BUILD/customsd" -c "$busy_cfg" 2>"$T_DIR/busy.log" || rc=$?
check "second customsd on the same address: exit status" 1 "$rc"
grep -q "metrics.listen '127.0.0.1:$port': bind: Address already in use" "$T_DIR/busy.log" &&
    ok "the address in use is named" || { fail "busy log:"; cat "$T_DIR/busy.log"; }

# --- first half --------------------------------------------------------------------------------
check "/healthz" "200 ok" "$(curl -s -w '%{http_code}' -o "$T_DIR/h" "$URL/healthz") $(cat "$T_DIR/h")"
produce "$N.declarations" "$T_DIR/a.frames"
if PGDATABASE=$DB wait_committed "$N" "$N.declarations" "$na" 90; then ok "first half committed"; else
    fail "first half: $(PGDATABASE=$DB committed "$N" "$N.declarations") committed"; tail -20 "$log"; finish; fi
scrape "$T_DIR/m1.txt" || fail "/metrics did not answer 200"
if out=$(parse_check "$T_DIR/m1.txt"); then ok "first scrape parses ($(grep -vc '^#' "$T_DIR/m1.txt") samples)"; else
    fail "first scrape: $out"; fi
compare "$T_DIR/m1.txt" "after the first half"
curl -s -D "$T_DIR/headers" -o /dev/null "$URL/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$T_DIR/headers" && ok "Content-Type text/plain; version=0.0.4" ||
    fail "headers: $(cat "$T_DIR/headers")"

# --- second half, and the first half again (redelivered duplicates: no new decisions) ------
produce "$N.declarations" "$T_DIR/b.frames"
produce "$N.declarations" "$T_DIR/a.frames"
if PGDATABASE=$DB wait_committed "$N" "$N.declarations" "$((2 * na + nb))" 90; then ok "all committed"; else
    fail "$(PGDATABASE=$DB committed "$N" "$N.declarations") of $((2 * na + nb)) committed"; tail -20 "$log"; finish; fi
wait_metric customsd_consumer_lag_total 0 20 && ok "lag 0 once all is committed" ||
    fail "lag: $(grep '^customsd_consumer_lag' "$T_DIR/m.txt")"
wait_metric customsd_outbox_backlog 0 20 && ok "outbox backlog 0 once drained" ||
    fail "outbox: $(grep '^customsd_outbox' "$T_DIR/m.txt")"
scrape "$T_DIR/m2.txt" || fail "/metrics did not answer 200"
if out=$(parse_check "$T_DIR/m2.txt"); then ok "second scrape parses"; else fail "second scrape: $out"; fi
compare "$T_DIR/m2.txt" "after the run"
quarantined=$(qdb "SELECT count(*) FROM customs.quarantine")
check "duplicates: the first half's declarations sent again" "$decls_a" \
    "$(metric "$T_DIR/m2.txt" "customsd_records_total{topic=\"$N.declarations\",outcome=\"duplicate\"}")"
for code in 100 399 500; do
    [ -n "$(metric "$T_DIR/m2.txt" "customsd_decisions_total{status_code=\"$code\"}")" ] &&
        ok "the run has decisions $code" || fail "no decisions $code: a weak run"
done
[ "$quarantined" -gt 0 ] && ok "the run has quarantined records ($quarantined)" || fail "nothing quarantined"
n_rules=0
while IFS='|' read -r rule n; do
    check "rule hits of $rule = reasons stored" "$n" "$(metric "$T_DIR/m2.txt" "customsd_rule_hits_total{rule_id=\"$rule\"}")"
    n_rules=$((n_rules + 1))
done < <(qdb "SELECT r->>'rule_id', count(*) FROM customs.declarations d,
                     jsonb_array_elements(d.reasons) r GROUP BY 1 ORDER BY 1")
check "rules with hits: as many as in the database" "$n_rules" "$(grep -c '^customsd_rule_hits_total{' "$T_DIR/m2.txt")"
version=$(qdb "SELECT rules_version FROM customs.declarations LIMIT 1")
check "rules_info names the rule set used" 1 "$(metric "$T_DIR/m2.txt" "customsd_rules_info{version=\"$version\"}")"
check "batch_size count = committed batches" "$(metric "$T_DIR/m2.txt" 'customsd_batches_total{result="committed"}')" \
    "$(metric "$T_DIR/m2.txt" customsd_batch_size_count)"
check "batch_size sum = records committed" \
    "$(awk 'index($1, "customsd_records_total{") == 1 { s += $2 } END { print s + 0 }' "$T_DIR/m2.txt")" \
    "$(metric "$T_DIR/m2.txt" customsd_batch_size_sum)"
check "postgresql_up" 1 "$(metric "$T_DIR/m2.txt" customsd_postgresql_up)"
check "kafka_up" 1 "$(metric "$T_DIR/m2.txt" customsd_kafka_up)"
check "ready" 1 "$(metric "$T_DIR/m2.txt" customsd_ready)"
grep -q 'logistics\|YL[0-9]' "$T_DIR/m2.txt" && fail "a parcel number in the metrics" || ok "no per-parcel label"
check "/readyz while running" 200 "$(curl -s -o "$T_DIR/r" -w '%{http_code}' "$URL/readyz")"
grep -q '^ready: consuming declarations' "$T_DIR/r" && ok "/readyz says: $(cat "$T_DIR/r")" || fail "/readyz: $(cat "$T_DIR/r")"
check "unknown path" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nothing")"
check "POST /metrics" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL/metrics")"

# --- a refused reload is counted; the rule set in use stays -------------------------------------
check "no failed reload yet" 0 "$(metric "$T_DIR/m2.txt" customsd_rules_reload_failures_total)"
cp "$rules" "$rules.good"
printf 'rules: [\n' >"$rules"
kill -HUP "$CUSTOMSD_PID"
if wait_metric customsd_rules_reload_failures_total 1 15; then ok "a refused reload counted"; else
    fail "reload failures: $(metric "$T_DIR/m.txt" customsd_rules_reload_failures_total)"; fi
check "rules_info still names the rule set in use" 1 "$(metric "$T_DIR/m.txt" "customsd_rules_info{version=\"$version\"}")"
cp "$rules.good" "$rules"

# --- PostgreSQL stopped: not ready, postgresql_up 0; started: ready again ---------------------
PG_STOPPED=1
$STACK pg-stop 2>"$T_DIR/stack.err" || { fail "pg-stop: $(cat "$T_DIR/stack.err")"; finish; }
if wait_metric customsd_postgresql_up 0 20; then ok "postgresql_up 0 while it is stopped"; else fail "postgresql_up: $(metric "$T_DIR/m.txt" customsd_postgresql_up)"; fi
check "/readyz while PostgreSQL is stopped" 503 "$(curl -s -o "$T_DIR/r" -w '%{http_code}' "$URL/readyz")"
grep -q '^not ready: paused: PostgreSQL unavailable' "$T_DIR/r" && ok "/readyz says: $(head -c 120 "$T_DIR/r")" || fail "/readyz: $(cat "$T_DIR/r")"
check "/healthz while PostgreSQL is stopped" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")"
check "consumer_state" 1 "$(metric "$T_DIR/m.txt" 'customsd_consumer_state{state="postgresql_down"}')"
$STACK pg-start 2>"$T_DIR/stack.err" || { fail "pg-start: $(cat "$T_DIR/stack.err")"; finish; }
PG_STOPPED=0
if wait_metric customsd_ready 1 40; then ok "ready again after pg-start"; else fail "not ready after pg-start"; fi
check "/readyz after pg-start" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")"

stop_customsd TERM
check "exit status" 0 "$STOP_RC"
finish
