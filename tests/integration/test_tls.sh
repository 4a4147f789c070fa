#!/bin/bash
# test_tls.sh - customsd over TLS to PostgreSQL (issue 9): the local stack offers TLS with a
# throwaway CA (stack.sh, CUSTOMSD_TEST_PGSSLROOTCERT). With host=localhost
# sslmode=verify-full sslrootcert=<the stack's CA>, customsd applies a declaration and every
# connection it holds is TLS (pg_stat_ssl). With another CA, and with a host name the
# certificate does not carry, customsd refuses the server with a clear error naming
# postgresql.conninfo, applies nothing, stays up without spinning (its CPU time is sampled)
# and stops on SIGTERM; once the right CA is given again the waiting declaration is applied
# once.
source "$(dirname "$0")/lib.sh"
N=tls${T_RUN}
X=$N-X
Y=$N-Y
CA=${CUSTOMSD_TEST_PGSSLROOTCERT:-}
if [ -z "$CA" ] || [ ! -r "$CA" ]; then
    fail "the stack offers no TLS (CUSTOMSD_TEST_PGSSLROOTCERT empty: openssl missing?)"
    finish
fi
rules=$(rules_copy "$T_DIR/rules")
cfg=$(write_config "$N" 1 "$rules")
log=$T_DIR/customsd.log

# conninfo HOSTPART ROOTCERT: the TLS connection string, its own application_name so that
# this test finds customsd's sessions in pg_stat_activity.
conninfo() {
    echo "$1 port=$PGPORT user=$PGUSER dbname=$PGDATABASE sslmode=verify-full sslrootcert=$2 application_name=$N"
}
# set_conninfo CONNINFO: in this test's configuration file.
set_conninfo() {
    sed -i "s|^  conninfo: .*|  conninfo: \"$1\"|" "$cfg"
    grep -qF "  conninfo: \"$1\"" "$cfg" || { fail "could not set the conninfo"; finish; }
}

# decl LOGISTICSNO: a guitar (9207), accepted by the shipped rules.
decl() { t_decl "$1"; }
stored() { q "SELECT count(*) FROM customs.parcel_status WHERE logistics_no = '$1'"; }
# cpu_ticks PID: user + system time of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# wait_log PATTERN SECONDS: until the log has a line matching PATTERN (grep -E).
wait_log() {
    local deadline=$(( $(date +%s) + $2 ))
    until grep -qE "$1" "$log"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# refused WHAT PATTERN: customsd runs against a server its TLS settings refuse: the refusal
# is logged with libpq's reason (PATTERN) and the settings to check, nothing is applied, it
# stays up without spinning, and SIGTERM stops it cleanly.
refused() {
    local what=$1 pattern=$2 t0 c0 c1 tries
    : >"$log"
    start_customsd "$cfg" "$log"
    if wait_log "database unavailable.*$pattern.*\(TLS: check sslmode, sslrootcert and host in postgresql.conninfo\)" 15; then
        ok "$what: refused, logged: $(grep -oE "$pattern" "$log" | head -n 1)"
    else
        fail "$what: no clear refusal in the log"; tail -n 5 "$log"
    fi
    # Over 5 s: still running, retrying with a growing backoff, not burning the CPU.
    t0=$(grep -c "connecting to PostgreSQL" "$log" || true)
    c0=$(cpu_ticks "$CUSTOMSD_PID")
    sleep 5
    c1=$(cpu_ticks "$CUSTOMSD_PID")
    tries=$(( $(grep -c "connecting to PostgreSQL" "$log" || true) - t0 ))
    kill -0 "$CUSTOMSD_PID" 2>/dev/null && ok "$what: still running" || fail "$what: customsd exited"
    [ $((c1 - c0)) -le 100 ] && ok "$what: $((c1 - c0)) CPU ticks in 5 s" ||
        fail "$what: $((c1 - c0)) CPU ticks in 5 s (spinning)"
    [ "$tries" -ge 1 ] && [ "$tries" -le 20 ] && ok "$what: $tries refused attempts logged in 5 s (backoff)" ||
        fail "$what: $tries refused attempts logged in 5 s"
    grep -q "connecting to PostgreSQL" "$log" && ! grep -q "connected to PostgreSQL" "$log" &&
        ok "$what: never connected" || fail "$what: connected anyway"
    check "$what: Y not applied" 0 "$(stored "$Y")"
    check "$what: nothing more committed" 1 "$(committed "$N" "$N.declarations")"
    stop_customsd TERM
    check "$what: SIGTERM exit status" 0 "$STOP_RC"
    [ "$STOP_MS" -lt 10000 ] && ok "$what: stopped in ${STOP_MS} ms" || fail "$what: stop took ${STOP_MS} ms"
}

# --- the stack's CA, host=localhost, verify-full: applied, over TLS ---------------------------
set_conninfo "$(conninfo host=localhost "$CA")"
out=$("$BUILD/customsd" -t -c "$cfg" 2>&1) && rc=0 || rc=$?
# -t also connects (verify-full) to check the schema release.
[ "$rc" = 0 ] && grep -q "^database schema OK" <<<"$out" && grep -q "^configuration OK$" <<<"$out" &&
    ok "customsd -t with the right CA: schema checked over TLS, configuration OK" ||
    fail "customsd -t with the right CA: exit $rc: $out"

frame_json "$T_DIR/x.frames" "$X" "$(decl "$X")"
produce "$N.declarations" "$T_DIR/x.frames"
start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" 1 60; then ok "X committed"; else fail "X not committed"; tail -n 20 "$log"; fi
check "X stored with a status" 1 "$(stored "$X")"
sessions=$(q "SELECT count(*) FILTER (WHERE s.ssl) || ' tls, ' || count(*) FILTER (WHERE NOT s.ssl) || ' plain'
              FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = '$N'")
case $sessions in
"0 tls, "*) fail "no customsd session found over TLS ($sessions)" ;;
*" tls, 0 plain") ok "customsd's sessions are TLS: $sessions ($(q "SELECT DISTINCT version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '$N'"))" ;;
*) fail "customsd has plain sessions: $sessions" ;;
esac
stop_customsd TERM
check "exit status" 0 "$STOP_RC"

# --- another CA: refused ------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T_DIR/wrong-ca.key" -out "$T_DIR/wrong-ca.pem" -subj "/CN=not the stack's CA" 2>/dev/null ||
    { fail "openssl could not make the second CA"; finish; }
frame_json "$T_DIR/y.frames" "$Y" "$(decl "$Y")"
produce "$N.declarations" "$T_DIR/y.frames"
set_conninfo "$(conninfo host=localhost "$T_DIR/wrong-ca.pem")"
# customsd -t judges the configuration; where it also probes the database it must say why
# the server was refused.
out=$("$BUILD/customsd" -t -c "$cfg" 2>&1) && rc=0 || rc=$?
if grep -q "connecting to PostgreSQL" <<<"$out"; then
    grep -q "certificate verify failed.*postgresql.conninfo" <<<"$out" &&
        ok "customsd -t reports the refused certificate (exit $rc)" || fail "customsd -t: unclear: $out"
else
    check "customsd -t with another CA (configuration only)" "0 configuration OK" "$rc $out"
fi
refused "another CA" "certificate verify failed"

# --- the right CA, a host name the certificate does not carry: refused -------------------------
set_conninfo "$(conninfo "host=wrong.example hostaddr=127.0.0.1" "$CA")"
refused "host name mismatch" 'server certificate for "localhost" \(and 1 other name\) does not match host name "wrong.example"'

# --- the right CA again: Y applied once --------------------------------------------------------
set_conninfo "$(conninfo host=localhost "$CA")"
: >"$log"
start_customsd "$cfg" "$log"
if wait_committed "$N" "$N.declarations" 2 60; then ok "Y committed once the CA is right"; else fail "Y not committed"; tail -n 20 "$log"; fi
check "Y stored with a status" 1 "$(stored "$Y")"
stop_customsd TERM
check "exit status" 0 "$STOP_RC"
check "applied once each: status history rows, versions" "2 1,1" \
    "$(q "SELECT count(*) FROM customs.status_history WHERE logistics_no IN ('$X', '$Y')") $(q "SELECT string_agg(version::text, ',') FROM customs.declarations WHERE logistics_no IN ('$X', '$Y')")"
check "nothing quarantined" 0 "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
finish
