#!/bin/bash
# test_lockwait.sh - a row lock held by another session never hangs customsd (issue 9): with
# max_messages 1, parcel X is stored; another session holds X's row lock (SELECT ... FOR
# UPDATE in an open transaction); an amendment of X (appType 2) is produced. customsd must
# log the lock wait within a few seconds (lock_timeout 1000 ms here), exit 0 on SIGTERM
# within 10 s, and after the lock is released and customsd restarted, the amendment must be
# applied exactly once. Then the same without lock or statement timeouts: customsd waits
# for the lock until SIGTERM, which cancels the waiting statement: exit 0 within 10 s, and
# after a restart the second amendment is applied once too.
source "$(dirname "$0")/lib.sh"
N=lw${T_RUN}
X=$N-X
rules=$(rules_copy "$T_DIR/rules")
cfg=$(write_config "$N" 1 "$rules")
sed -i 's/^  conninfo: ""$/  conninfo: ""\n  connect_timeout_s: 2\n  statement_timeout_ms: 3000\n  lock_timeout_ms: 1000/' "$cfg"
grep -q 'lock_timeout_ms: 1000' "$cfg" || { fail "could not set the timeouts"; finish; }
log=$T_DIR/customsd.log

# decl APPTYPE NOTE: parcel X, a guitar (9207: accepted, not released: an amendment is applied).
decl() { t_decl "$X" appType="$1" note="$2"; }
history_rows() { q "SELECT count(*) FROM customs.status_history WHERE logistics_no = '$X'"; }
versions() { q "SELECT count(*) FROM customs.declaration_versions WHERE logistics_no = '$X'"; }

frame_json "$T_DIR/one.frames" "$X" "$(decl 1 "")"
produce "$N.declarations" "$T_DIR/one.frames"
start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" 1 60; then ok "X stored"; else fail "X not stored"; tail -20 "$log"; finish; fi
hist0=$(history_rows)
vers0=$(versions)

# Another session holds X's row lock until it is terminated.
PGAPPNAME=locker-$N psql -X -q -c "BEGIN; SELECT 1 FROM customs.declarations WHERE logistics_no = '$X' FOR UPDATE; SELECT pg_sleep(120)" >/dev/null 2>&1 &
T_PIDS+=("$!")
release() { q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'locker-$N'" >/dev/null; }
deadline=$(( $(date +%s) + 10 ))
until [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'locker-$N' AND l.locktype = 'transactionid'")" -ge 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "the locking session did not start"; finish; }
    sleep 0.1
done

frame_json "$T_DIR/amend.frames" "$X" "$(decl 2 "amended")"
t0=$(date +%s%N)
produce "$N.declarations" "$T_DIR/amend.frames"
deadline=$(( $(date +%s) + 15 ))
until grep -q "parcel $X: .*waiting for a row lock held by another session (lock_timeout 1000 ms)" "$log"; do
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.1
done
if grep -q "parcel $X: .*waiting for a row lock held by another session (lock_timeout 1000 ms)" "$log"; then
    ok "lock wait logged after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
    fail "no lock wait in the log"; tail -20 "$log"
fi
grep -q "database unavailable" "$log" && fail "lock wait logged as database unavailable" || ok "not logged as an outage"
check "amendment not committed while locked" 1 "$(committed "$N" "$N.declarations")"

stop_customsd TERM
check "SIGTERM while locked: exit status" 0 "$STOP_RC"
[ "$STOP_MS" -lt 10000 ] && ok "stopped in ${STOP_MS} ms" || fail "stop took ${STOP_MS} ms"
check "nothing committed of the amendment" 1 "$(committed "$N" "$N.declarations")"

release
start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" 2 60; then ok "amendment committed after restart"; else fail "amendment not committed"; tail -20 "$log"; fi
stop_customsd TERM
check "exit status" 0 "$STOP_RC"
check "amendment applied once: one more history row" $((hist0 + 1)) "$(history_rows)"
check "amendment applied once: one more version" $((vers0 + 1)) "$(versions)"
check "X is at its second version" 2 "$(q "SELECT version FROM customs.declarations WHERE logistics_no = '$X'")"

# --- no timeouts: SIGTERM must cancel the statement waiting for the lock ---------------------
sed -i 's/^  statement_timeout_ms: .*/  statement_timeout_ms: 0/; s/^  lock_timeout_ms: .*/  lock_timeout_ms: 0/' "$cfg"
start_customsd "$cfg" "$log"
PGAPPNAME=locker-$N psql -X -q -c "BEGIN; SELECT 1 FROM customs.declarations WHERE logistics_no = '$X' FOR UPDATE; SELECT pg_sleep(120)" >/dev/null 2>&1 &
T_PIDS+=("$!")
frame_json "$T_DIR/amend2.frames" "$X" "$(decl 2 "amended again")"
produce "$N.declarations" "$T_DIR/amend2.frames"
deadline=$(( $(date +%s) + 30 ))
until [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'customsd' AND wait_event_type = 'Lock'")" -ge 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "customsd never waited for the lock"; break; }
    sleep 0.1
done
sleep 1
stop_customsd TERM
check "SIGTERM while waiting for the lock: exit status" 0 "$STOP_RC"
[ "$STOP_MS" -lt 10000 ] && ok "stopped in ${STOP_MS} ms (statement cancelled)" || fail "stop took ${STOP_MS} ms"
grep -q "parcel $X: .*statement timeout or cancel" "$log" && ok "the cancelled statement is logged" || fail "no cancel in the log"
check "nothing committed of the second amendment" 2 "$(committed "$N" "$N.declarations")"
release
start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" 3 60; then ok "second amendment committed after restart"; else fail "second amendment not committed"; tail -20 "$log"; fi
stop_customsd TERM
check "exit status" 0 "$STOP_RC"
check "second amendment applied once: history rows" $((hist0 + 2)) "$(history_rows)"
check "second amendment applied once: versions" $((vers0 + 2)) "$(versions)"
check "X is at its third version" 3 "$(q "SELECT version FROM customs.declarations WHERE logistics_no = '$X'")"
check "nothing quarantined" 0 "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
finish
