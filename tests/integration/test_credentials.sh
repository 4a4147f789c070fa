#!/bin/bash
# test_credentials.sh - secrets from systemd credentials (LoadCredential=): with
# $CREDENTIALS_DIRECTORY/pg_service.conf, customsd points libpq's PGSERVICEFILE at it, so a
# configuration whose conninfo is only "service=NAME" reaches the database the credential
# describes (customsd -t checks the schema release over that connection). Without the
# credential the same configuration does not reach it; an explicit PGSERVICEFILE wins over
# the credential. The PG* host variables are unset so only the service file can say where
# the database is.
source "$(dirname "$0")/lib.sh"
N=cred${T_RUN}
cfg=$(write_config "$N")
sed -i 's|^  conninfo: .*|  conninfo: "service=customs_test"|' "$cfg"
creds=$T_DIR/credentials
mkdir -m 700 "$creds"
cat >"$creds/pg_service.conf" <<EOF2
[customs_test]
host=$PGHOST
port=$PGPORT
user=$PGUSER
dbname=$PGDATABASE
connect_timeout=5
EOF2
chmod 400 "$creds/pg_service.conf"
printf '[customs_test]\nhost=127.0.0.1\nport=1\n' >"$T_DIR/wrong_service.conf"

run_test() { # ENV...: customsd -t with only these libpq variables; prints "rc output"
    local out rc=0
    out=$(env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGSERVICEFILE -u PGSERVICE \
        -u CREDENTIALS_DIRECTORY "$@" "$BUILD/customsd" -t -c "$cfg" 2>&1) || rc=$?
    echo "$rc $out"
}

r=$(run_test CREDENTIALS_DIRECTORY="$creds")
case $r in
"0 "*"database schema OK"*) ok "credential pg_service.conf: customsd -t reached the database" ;;
*) fail "with the credential: $r" ;;
esac

r=$(run_test)
case $r in
*"database schema OK"*) fail "without the credential the database was reached: $r" ;;
*customs_test*) ok "without the credential: service not found (${r:0:80})" ;;
*) fail "without the credential, unexpected: $r" ;;
esac

r=$(run_test CREDENTIALS_DIRECTORY="$creds" PGSERVICEFILE="$T_DIR/wrong_service.conf")
case $r in
*"database schema OK"*) fail "PGSERVICEFILE did not win over the credential: $r" ;;
*) ok "an explicit PGSERVICEFILE wins over the credential" ;;
esac
finish
