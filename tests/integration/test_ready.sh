#!/bin/bash
# test_ready.sh - readiness that means it (issue 9): customsd runs with NOTIFY_SOCKET set to a
# datagram socket of tests/tools/notify_listen, which logs every READY=1 and STATUS= line with
# its arrival time. READY=1 must come only once the database answered at this customsd's
# schema release and the group assigned partitions; until then STATUS= says why:
#   - a new, empty database: "waiting: database is not migrated ... 006_baseline.sql ...",
#     no READY; after sql/migrate.sh, READY and "consuming declarations";
#   - a database as the previous release left it (no 007_schema_release.sql): waiting, the
#     migration named; after migrate.sh, READY; customsd -t exits 3 naming it, then 0;
#   - customsd -t on a newer schema and on functions of another release: exit 3, named;
#   - PostgreSQL down at start (stack.sh pg-stop): "paused: PostgreSQL unavailable", no
#     READY; after pg-start, READY; customsd -t says it could not check (exit 0);
#   - PostgreSQL going away mid-run: STATUS paused, then "consuming declarations" again when
#     it is back, and a declaration produced then is applied;
#   - every Kafka broker down at start (stack.sh kafka-down): no READY, STATUS says the
#     brokers are unreachable; after kafka-up, READY;
#   - STATUS kept current while consuming: the records, declarations/s and lag, the
#     connections, and the last error (the PostgreSQL outage, with its time);
#   - the watchdog (WATCHDOG_USEC set as systemd sets it): WATCHDOG=1 comes regularly while
#     the main loop makes progress, and stops while the loop is stuck: without lock or
#     statement timeouts, an amendment waits for a row lock another session holds, so the
#     consumer's database call never returns; once the lock goes, WATCHDOG=1 comes again.
source "$(dirname "$0")/lib.sh"
N=rd${T_RUN}
DB=it_ready_$N
STACK="sh tests/stack/stack.sh"
PG_STOPPED=0
KAFKA_STOPPED=0

restore() {
    if [ -n "${LISTEN_PID:-}" ]; then
        kill -TERM "$LISTEN_PID" 2>/dev/null || true
        wait "$LISTEN_PID" 2>/dev/null || true
    fi
    [ "$PG_STOPPED" = 0 ] || $STACK pg-start >/dev/null 2>&1 || true
    [ "$KAFKA_STOPPED" = 0 ] || $STACK kafka-up >/dev/null 2>&1 || true
    dropdb --if-exists --force "$DB" >/dev/null 2>&1 || true
}
trap 'restore; t_cleanup' EXIT

createdb -T template0 -E UTF8 "$DB" || { fail "cannot create $DB"; finish; }
for t in declarations scans; do
    $STACK topic "$N.$t" 2 2>/dev/null || { fail "cannot create topic $N.$t"; finish; }
done
cfg=$(write_config "$N" 100)
sed -i "s/^  conninfo: \"\"$/  conninfo: \"dbname=$DB\"\n  connect_timeout_s: 2/" "$cfg"
grep -q "dbname=$DB" "$cfg" || { fail "could not set the database"; finish; }
qdb() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
migrate() { sh sql/migrate.sh "dbname=$DB" >"$T_DIR/migrate.out" 2>&1; }
log=$T_DIR/customsd.log
notes=$T_DIR/notify.out
sock=$T_DIR/notify.sock

"$BUILD/tools/notify_listen" "$sock" >"$notes" 2>"$T_DIR/notify.err" &
LISTEN_PID=$!
deadline=$(( $(date +%s) + 5 ))
until [ -S "$sock" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "notify_listen did not bind $sock"; finish; }
    sleep 0.05
done

# run_ready: start customsd with the notify socket; MARK is the notify line count before it.
run_ready() {
    MARK=$(wc -l <"$notes")
    printf -- '--- start %s\n' "$(date +%T.%N)" >>"$log"
    NOTIFY_SOCKET=$sock "$BUILD/customsd" -c "$cfg" 2>>"$log" &
    CUSTOMSD_PID=$!
    T_PIDS+=("$CUSTOMSD_PID")
}
since() { tail -n +"$((MARK + 1))" "$notes" | cut -d ' ' -f 2-; } # notify lines since MARK
# wait_note REGEX SECONDS: until a notify line since MARK matches (grep -E). 1 on timeout.
wait_note() {
    local deadline=$(( $(date +%s) + $2 ))
    until since | grep -Eq -- "$1"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
# expect_note DESCRIPTION REGEX SECONDS
expect_note() {
    if wait_note "$2" "$3"; then ok "$1: $(since | grep -E -- "$2" | tail -1)"; else
        fail "$1: no notify line matching '$2' within $3 s; got:"; since | sed 's/^/    /'
        tail -5 "$log" | sed 's/^/    log: /'
    fi
}
# not_ready DESCRIPTION SECONDS: no READY=1 since MARK, still none SECONDS later.
not_ready() {
    sleep "$2" # a negative: READY must not come within this window
    if since | grep -q '^READY=1$'; then fail "$1: READY=1 was sent"; else ok "$1: no READY=1 (${2} s)"; fi
}
# last_status: the newest STATUS text since MARK
last_status() { since | sed -n 's/^STATUS=//p' | tail -1; }
# mark: a new MARK at the current end of the notify output
mark() { MARK=$(wc -l <"$notes"); }

# --- customsd -t / -T against an empty database --------------------------------------------
rc=0; "$BUILD/customsd" -t -c "$cfg" >"$T_DIR/t.out" 2>&1 || rc=$?
check "-t on an empty database: exit status" 3 "$rc"
grep -q "database is not migrated .*006_baseline.sql.*: run .*sql/migrate.sh" "$T_DIR/t.out" &&
    ok "-t names the migrations and migrate.sh" || { fail "-t output:"; cat "$T_DIR/t.out"; }
rc=0; "$BUILD/customsd" -T -c "$cfg" >"$T_DIR/t.out" 2>&1 || rc=$?
check "-T (no database): exit status" 0 "$rc"

# --- (ii) a new, empty database: waiting until migrate.sh -----------------------------------
run_ready
expect_note "empty database: STATUS" '^STATUS=waiting: database is not migrated .*006_baseline\.sql.*: run .*migrate\.sh' 20
not_ready "empty database" 3
grep -q "database schema: database is not migrated" "$log" && ok "the log says it" || fail "nothing in the log"
migrate || { fail "migrate.sh: $(cat "$T_DIR/migrate.out")"; finish; }
t0=$(date +%s%N)
expect_note "after migrate.sh: READY" '^READY=1$' 30
ok "READY $(( ($(date +%s%N) - t0) / 1000000 )) ms after migrate.sh"
expect_note "after migrate.sh: STATUS" '^STATUS=consuming declarations' 5
kill -0 "$CUSTOMSD_PID" 2>/dev/null && ok "did not exit meanwhile" || fail "customsd exited"
stop_customsd TERM
check "exit status" 0 "$STOP_RC"

# --- (ii) as the previous release left it: 007 missing --------------------------------------
qdb "DROP TABLE customs.schema_release; DELETE FROM customs.schema_migrations WHERE version = '007'"
rc=0; "$BUILD/customsd" -t -c "$cfg" >"$T_DIR/t.out" 2>&1 || rc=$?
check "-t without 007: exit status" 3 "$rc"
grep -q "database lacks migration 007_schema_release.sql: run .*sql/migrate.sh" "$T_DIR/t.out" &&
    ok "-t names 007_schema_release.sql" || { fail "-t output:"; cat "$T_DIR/t.out"; }
run_ready
expect_note "without 007: STATUS" '^STATUS=waiting: database lacks migration 007_schema_release\.sql: run .*migrate\.sh$' 20
not_ready "without 007" 2
migrate || fail "migrate.sh: $(cat "$T_DIR/migrate.out")"
grep -q "applying 007_schema_release.sql" "$T_DIR/migrate.out" && ok "migrate.sh applied 007" || fail "007 not applied"
expect_note "after migrate.sh: READY" '^READY=1$' 30
expect_note "after migrate.sh: STATUS" '^STATUS=consuming declarations' 5
stop_customsd TERM
check "exit status" 0 "$STOP_RC"

# --- customsd -t: newer schema, functions of another release, the same release -------------
qdb "INSERT INTO customs.schema_migrations (version, name) VALUES ('999', '999_future.sql')"
rc=0; "$BUILD/customsd" -t -c "$cfg" >"$T_DIR/t.out" 2>&1 || rc=$?
check "-t on a newer schema: exit status" 3 "$rc"
grep -q "database schema is newer than this customsd (migration 999_future.sql): upgrade customsd" "$T_DIR/t.out" &&
    ok "-t says to upgrade customsd" || { fail "-t output:"; cat "$T_DIR/t.out"; }
qdb "DELETE FROM customs.schema_migrations WHERE version = '999';
     UPDATE customs.schema_release SET repeatable_sha256 = repeat('0', 64)"
rc=0; "$BUILD/customsd" -t -c "$cfg" >"$T_DIR/t.out" 2>&1 || rc=$?
check "-t on functions of another release: exit status" 3 "$rc"
grep -q "database functions are from another release (sql/repeatable digest 000000000000, this customsd has [0-9a-f]\{12\}): run .*migrate.sh" "$T_DIR/t.out" &&
    ok "-t says to run migrate.sh" || { fail "-t output:"; cat "$T_DIR/t.out"; }
migrate || fail "migrate.sh: $(cat "$T_DIR/migrate.out")"
rc=0; "$BUILD/customsd" -t -c "$cfg" >"$T_DIR/t.out" 2>&1 || rc=$?
check "-t after migrate.sh: exit status" 0 "$rc"
last_migration=$(cd sql && ls [0-9][0-9][0-9]_*.sql | tail -n 1)
grep -q "^database schema OK: migrations up to $last_migration" "$T_DIR/t.out" &&
    grep -q "^configuration OK$" "$T_DIR/t.out" && ok "-t: schema OK, configuration OK" ||
    { fail "-t output:"; cat "$T_DIR/t.out"; }

# --- (i) PostgreSQL down at start, then up; down mid-run, then up ---------------------------
PG_STOPPED=1
$STACK pg-stop 2>"$T_DIR/stack.err" || { fail "pg-stop: $(cat "$T_DIR/stack.err")"; finish; }
rc=0; "$BUILD/customsd" -t -c "$cfg" >"$T_DIR/t.out" 2>&1 || rc=$?
check "-t with PostgreSQL down: exit status" 0 "$rc"
grep -q "^note: schema release not checked" "$T_DIR/t.out" && ok "-t notes the unchecked schema" ||
    { fail "-t output:"; cat "$T_DIR/t.out"; }
run_ready
expect_note "PostgreSQL down: STATUS" '^STATUS=paused: PostgreSQL unavailable: .+; retrying$' 20
not_ready "PostgreSQL down" 3
$STACK pg-start 2>"$T_DIR/stack.err" || { fail "pg-start: $(cat "$T_DIR/stack.err")"; finish; }
PG_STOPPED=0
expect_note "PostgreSQL up: READY" '^READY=1$' 30
expect_note "PostgreSQL up: STATUS" '^STATUS=consuming declarations' 5
check "READY=1 sent once" 1 "$(since | grep -c '^READY=1$')"

mark
PG_STOPPED=1
$STACK pg-stop 2>"$T_DIR/stack.err" || { fail "pg-stop: $(cat "$T_DIR/stack.err")"; finish; }
expect_note "PostgreSQL gone mid-run: STATUS" '^STATUS=paused: PostgreSQL unavailable: .+; retrying$' 20
mark
$STACK pg-start 2>"$T_DIR/stack.err" || { fail "pg-start: $(cat "$T_DIR/stack.err")"; finish; }
PG_STOPPED=0
expect_note "PostgreSQL back: STATUS" '^STATUS=consuming declarations' 30
check "no second READY=1" 0 "$(since | grep -c '^READY=1$')"
"$BUILD/tools/gen_declarations" -n 3 -s "$T_RUN" -o "$T_DIR/d.frames" 2>/dev/null
produce "$N.declarations" "$T_DIR/d.frames"
if PGDATABASE=$DB wait_committed "$N" "$N.declarations" 3 60; then ok "declarations applied after the outage"; else
    fail "not applied: $(PGDATABASE=$DB committed "$N" "$N.declarations")"; tail -20 "$log"; fi
expect_note "the count in STATUS, with the connections and the last error" \
    '^STATUS=consuming declarations: 3 records applied(, [0-9]+\.[0-9] declarations/s)?(, lag [0-9]+)?; PostgreSQL and Kafka up; last error at [0-2][0-9]:[0-5][0-9]:[0-5][0-9] UTC: PostgreSQL unavailable: .+$' 15
expect_note "declarations/s and lag in STATUS" \
    '^STATUS=consuming declarations: 3 records applied, [0-9]+\.[0-9] declarations/s, lag 0; ' 25
stop_customsd TERM
check "exit status" 0 "$STOP_RC"

# --- (iii) every Kafka broker down at start --------------------------------------------------
KAFKA_STOPPED=1
$STACK kafka-down 2>"$T_DIR/stack.err" || { fail "kafka-down: $(cat "$T_DIR/stack.err")"; finish; }
run_ready
expect_note "Kafka down: STATUS" '^STATUS=paused: Kafka brokers unreachable: .+; retrying$' 20
not_ready "Kafka down" 3
$STACK kafka-up 2>"$T_DIR/stack.err" || { fail "kafka-up: $(cat "$T_DIR/stack.err")"; finish; }
KAFKA_STOPPED=0
expect_note "Kafka up: READY" '^READY=1$' 40
expect_note "Kafka up: STATUS" '^STATUS=consuming declarations' 5
stop_customsd TERM
check "exit status" 0 "$STOP_RC"

# --- (iv) the watchdog: regular while the loop works, silent while it is stuck --------------
sed -i "s/^  connect_timeout_s: 2$/  connect_timeout_s: 2\n  statement_timeout_ms: 0\n  lock_timeout_ms: 0/" "$cfg"
grep -q 'lock_timeout_ms: 0' "$cfg" || { fail "could not switch the timeouts off"; finish; }
X=$N-W
frame_json "$T_DIR/w1.frames" "$X" "$(t_decl "$X")"
produce "$N.declarations" "$T_DIR/w1.frames"
export WATCHDOG_USEC=1000000 # 1 s: WATCHDOG=1 every 250 ms
run_ready
unset WATCHDOG_USEC
expect_note "watchdog: READY" '^READY=1$' 30
if PGDATABASE=$DB wait_committed "$N" "$N.declarations" 4 60; then ok "X stored"; else fail "X not stored"; tail -20 "$log"; finish; fi
mark
sleep 2 # a window to count the kicks in
kicks=$(since | grep -c '^WATCHDOG=1$' || true)
[ "$kicks" -ge 4 ] && ok "WATCHDOG=1 $kicks times in 2 s while the loop works" || fail "only $kicks WATCHDOG=1 in 2 s"
# Another session holds X's row lock; an amendment of X makes the consumer wait for it.
PGAPPNAME=locker-$N psql -X -q -d "$DB" -c "BEGIN; SELECT 1 FROM customs.declarations WHERE logistics_no = '$X' FOR UPDATE; SELECT pg_sleep(120)" >/dev/null 2>&1 &
T_PIDS+=("$!")
release() { qdb "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'locker-$N'" >/dev/null; }
deadline=$(( $(date +%s) + 10 ))
until [ "$(qdb "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'locker-$N' AND l.locktype = 'transactionid'")" -ge 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "the locking session did not start"; finish; }
    sleep 0.1
done
frame_json "$T_DIR/w2.frames" "$X" "$(t_decl "$X" appType=2 note=amended)"
produce "$N.declarations" "$T_DIR/w2.frames"
deadline=$(( $(date +%s) + 30 ))
until [ "$(qdb "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB' AND application_name = 'customsd' AND wait_event_type = 'Lock'")" -ge 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "customsd never waited for the lock"; release; finish; }
    sleep 0.1
done
mark
t_stuck=$(date +%s%N)
sleep 3 # a negative: no WATCHDOG=1 may come while the loop waits (12 would in 3 s)
kicks=$(since | grep -c '^WATCHDOG=1$' || true)
check "WATCHDOG=1 while the loop is stuck on the lock (3 s)" 0 "$kicks"
kill -0 "$CUSTOMSD_PID" 2>/dev/null && ok "customsd is alive meanwhile (only stuck)" || fail "customsd exited"
check "the amendment waits, not committed" 4 "$(PGDATABASE=$DB committed "$N" "$N.declarations")"
release
expect_note "lock released: WATCHDOG=1 again" '^WATCHDOG=1$' 10
first=$(tail -n +"$((MARK + 1))" "$notes" | grep -m1 ' WATCHDOG=1$' | cut -d ' ' -f 1)
ok "silent for $(( first - t_stuck / 1000000 )) ms after the loop got stuck"
if PGDATABASE=$DB wait_committed "$N" "$N.declarations" 5 30; then ok "the amendment committed after the release"; else fail "amendment not committed"; fi
stop_customsd TERM
check "exit status" 0 "$STOP_RC"
finish
