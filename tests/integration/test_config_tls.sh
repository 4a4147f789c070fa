#!/bin/bash
# test_config_tls.sh - `customsd -t` and `customsctl config check` on Kafka TLS/SASL settings
# (issue 9): a good SASL_SSL + mutual TLS configuration is accepted; a missing CA, a CA file
# that holds no certificate, a missing or unreadable key, a key that does not match its
# certificate, an unsupported sasl.mechanisms, SCRAM without credentials, SASL without a
# mechanism are refused with exit status 1 and one line naming file:line:column and the
# property. Fixtures: tests/data/config/{tls_ok,err_tls_*,err_sasl_*}.yaml and tls/.
# Needs no server (it sits with the integration tests for their helpers).
source "$(dirname "$0")/lib.sh"
F=tests/data/config

# t_check NAME EXPECTED_RC EXPECTED_OUTPUT_PREFIX: both commands on fixture NAME.
t_check() {
    local name=$1 want_rc=$2 want=$3 out rc
    # -T: the configuration alone (-t would also check the schema of the database the PG*
    # variables point at, which test_ready.sh covers).
    out=$("$BUILD/customsd" -T -c "$F/$name.yaml" 2>&1) && rc=0 || rc=$?
    if [ "$rc" = "$want_rc" ] && [ "${out#"$want"}" != "$out" ] && [ "$(wc -l <<<"$out")" -eq 1 ]; then
        ok "customsd -T $name: exit $rc: $out"
    else
        fail "customsd -T $name: expected exit $want_rc and '$want...', got exit $rc: $out"
    fi
    out=$("$BUILD/customsctl" config check "$F/$name.yaml" 2>&1) && rc=0 || rc=$?
    if [ "$rc" = "$want_rc" ] && [ "${out#"$want"}" != "$out" ]; then
        ok "customsctl config check $name: exit $rc"
    else
        fail "customsctl config check $name: expected exit $want_rc and '$want...', got exit $rc: $out"
    fi
}

t_check tls_ok 0 "configuration OK"
t_check err_tls_ca_missing 1 \
    "$F/err_tls_ca_missing.yaml:4:22: kafka.properties.ssl.ca.location: cannot read $F/tls/no-such-ca.pem: No such file or directory"
t_check err_tls_ca_not_pem 1 \
    "$F/err_tls_ca_not_pem.yaml:4:22: kafka.properties.ssl.ca.location: ssl.ca.location failed: "
t_check err_tls_key_missing 1 \
    "$F/err_tls_key_missing.yaml:6:23: kafka.properties.ssl.key.location: cannot read $F/tls/no-such.key: No such file or directory"
t_check err_tls_key_mismatch 1 \
    "$F/err_tls_key_mismatch.yaml:6:23: kafka.properties.ssl.key.location: ssl.key.location failed: "
out=$("$BUILD/customsd" -t -c "$F/err_tls_key_mismatch.yaml" 2>&1) || true
grep -q "key values mismatch (the key is not the one of ssl.certificate.location)$" <<<"$out" &&
    ok "the mismatch says which certificate" || fail "unclear mismatch: $out"
t_check err_sasl_mechanism 1 \
    "$F/err_sasl_mechanism.yaml:4:22: kafka.properties.sasl.mechanisms: Unsupported SASL mechanism: SCRAM-SHA512"
t_check err_sasl_scram_sha1 1 \
    "$F/err_sasl_scram_sha1.yaml:4:22: kafka.properties.sasl.mechanisms: Unsupported SASL mechanism: SCRAM-SHA-1 (SCRAM-SHA-256 or SCRAM-SHA-512)"
t_check err_sasl_no_credentials 1 \
    "$F/err_sasl_no_credentials.yaml:5:22: kafka.properties.sasl.mechanisms: sasl.username and sasl.password must be set"
t_check err_sasl_no_mechanism 1 \
    "$F/err_sasl_no_mechanism.yaml:3:24: kafka.properties.security.protocol: "

# A key the daemon's user cannot read (as root: the check runs as nobody, like a daemon
# that dropped root would).
d=$T_DIR/unreadable
mkdir -p "$d"
chmod 755 "$T_DIR" "$d"
cp "$F/tls/ca.pem" "$F/tls/client.pem" "$F/tls/client.key" "$BUILD/customsd" "$d/"
chmod 644 "$d/ca.pem" "$d/client.pem"
chmod 755 "$d/customsd"
cat >"$d/c.yaml" <<YAML
kafka:
  properties:
    security.protocol: SSL
    ssl.ca.location: $d/ca.pem
    ssl.certificate.location: $d/client.pem
    ssl.key.location: $d/client.key
YAML
chmod 644 "$d/c.yaml"
if [ "$(id -u)" = 0 ]; then
    chmod 600 "$d/client.key"
    run() { (cd "$d" && setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"); }
else
    chmod 000 "$d/client.key"
    run() { "$@"; }
fi
out=$(run "$d/customsd" -t -c "$d/c.yaml" 2>&1) && rc=0 || rc=$?
check "unreadable key" \
    "1 $d/c.yaml:6:23: kafka.properties.ssl.key.location: cannot read $d/client.key: Permission denied" \
    "$rc $out"
finish
