#!/bin/sh
# stack.sh - the local test stack (docs/DESIGN.md "Local stack"): a throwaway PostgreSQL 15
# cluster and a librdkafka mock Kafka cluster (build/tools/mock_broker), both on loopback.
#
#   stack.sh start         start both (no-op if already up); prints the env lines on stdout
#   stack.sh stop [--keep] stop both, remove the temp dir (--keep: leave it, for its logs)
#   stack.sh status        exit 0 if both are up, 1 otherwise
#   stack.sh env           print the `export` lines (exit 1 if the stack is not up)
#
# Fault injection (tests/chaos), on a running stack:
#   stack.sh pg-stop       stop PostgreSQL (pg_ctl -m fast), keeping its data and port
#   stack.sh pg-start      start it again on the same port
#   stack.sh kafka-down    every mock broker down (connections refused, topic data kept)
#   stack.sh kafka-up      every mock broker up again
#   stack.sh topic NAME PARTITIONS   create a topic on the running mock cluster
#
# Usage from a test script:   eval "$(sh tests/stack/stack.sh start)"
# Exported: PGHOST (socket dir), PGPORT, PGUSER=postgres, PGDATABASE=customs,
#           CUSTOMSD_PG_CONNINFO, CUSTOMSD_BOOTSTRAP (host:port,...), CUSTOMSD_STACK_DIR,
#           CUSTOMSD_TEST_PGSSLROOTCERT (the stack's CA; empty when openssl is missing).
#
# TLS: at start a throwaway CA and a server certificate for localhost and 127.0.0.1 (both
# in subjectAltName) are generated in $D/tls, and PostgreSQL runs with ssl=on. TLS is
# offered, not required: plain connections (socket and TCP) work as before. A client that
# wants it connects with host=localhost sslmode=verify-full sslrootcert=$CUSTOMSD_TEST_PGSSLROOTCERT.
#
# State lives in a temp dir /tmp/customsd-stack.XXXXXX whose path is kept in
# tests/stack/run/state. It is in /tmp, not in the checkout, because the checkout may sit
# under /root (mode 700) where the server user cannot reach it. When run as root, only the
# PostgreSQL server runs as an unprivileged user (CUSTOMSD_STACK_USER, default nobody:
# PostgreSQL refuses to run as root); psql, createdb and the broker run as the caller.
#
# Environment: BUILD (default build) locates $BUILD/tools/mock_broker;
#   CUSTOMSD_STACK_TOPICS   mock_broker -t list (default: the four customsd topics)
#   CUSTOMSD_STACK_PARTITIONS  default partition count (mock_broker -p, default 8)
#   CUSTOMSD_STACK_BROKERS  broker count (default 3)
#   CUSTOMSD_STACK_PG_OPTS  extra postgres options, e.g. "-c fsync=off"
#
# POSIX sh, so that `sh stack.sh` works as well as `bash stack.sh`.
set -eu

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
RUN_DIR=$SCRIPT_DIR/run
STATE=$RUN_DIR/state
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BUILD=${BUILD:-build}
case $BUILD in
/*) BROKER_BIN=$BUILD/tools/mock_broker ;;
*) BROKER_BIN=$REPO/$BUILD/tools/mock_broker ;;
esac

say() { printf 'stack: %s\n' "$*" >&2; }
die() {
    printf 'stack: error: %s\n' "$*" >&2
    exit 1
}

# --- who runs the server ---------------------------------------------------------------

if [ "$(id -u)" = 0 ]; then
    SERVER_USER=${CUSTOMSD_STACK_USER:-nobody}
    SERVER_UID=$(id -u "$SERVER_USER" 2>/dev/null) || die "no user $SERVER_USER to run PostgreSQL"
    SERVER_GID=$(id -g "$SERVER_USER")
    command -v setpriv >/dev/null || die "setpriv (util-linux) is needed to drop root"
else
    SERVER_USER=$(id -un)
    SERVER_UID=$(id -u)
    SERVER_GID=$(id -g)
fi

# Run a command as the server user, from inside the stack dir (the caller's cwd may be
# unreadable for that user, and PostgreSQL tools look at their cwd). fd 9 (the lock) is
# closed so that a server started here does not hold the lock for its whole life.
as_server() {
    if [ "$(id -u)" = 0 ]; then
        (cd "$D" && setpriv --reuid="$SERVER_UID" --regid="$SERVER_GID" --clear-groups -- "$@" 9>&-)
    else
        (cd "$D" && "$@" 9>&-)
    fi
}

# --- process helpers -------------------------------------------------------------------

# True if pid runs and is not a zombie (a dead child whose parent does not reap it).
alive() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
    [ "$state" != Z ]
}

# True if pid is alive and its command line mentions $2 (guards against a reused pid).
is_ours() {
    alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# Wait up to $2 tenths of a second for pid $1 to end.
wait_gone() {
    n=0
    while alive "$1"; do
        [ "$n" -ge "$2" ] && return 1
        sleep 0.1
        n=$((n + 1))
    done
    return 0
}

# After a process ended: give a lazy init up to 5 s to reap it, so that `ps` right after a
# stop shows no <defunct> entry. (Some sandbox inits reap orphans only every second or two.)
wait_reaped() {
    n=0
    while [ -n "$1" ] && [ -e "/proc/$1" ] && [ "$n" -lt 50 ]; do
        sleep 0.1
        n=$((n + 1))
    done
}

port_in_use() {
    hex=$(printf ':%04X' "$1")
    # local_address column, state 0A = LISTEN
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p="$hex" \
        'substr($2, length($2) - 4) == p && $4 == "0A" { found = 1 } END { exit !found }'
}

# A port below the ephemeral range (32768+) so that outgoing connections do not take it.
pick_port() {
    i=0
    while [ $i -lt 50 ]; do
        r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
        p=$((20000 + r % 12000))
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
        i=$((i + 1))
    done
    return 1
}

# --- state -----------------------------------------------------------------------------

D=
load_state() {
    D=
    [ -f "$STATE" ] || return 1
    D=$(cat "$STATE")
    case $D in /tmp/customsd-stack.*) ;; *) die "$STATE holds an unexpected path: $D" ;; esac
    return 0
}

pg_port() { cat "$D/pg.port" 2>/dev/null || true; }
broker_pid() { cat "$D/broker.pid" 2>/dev/null || true; }

pg_up() {
    port=$(pg_port)
    [ -n "$port" ] && "$PG_BIN/pg_isready" -q -h "$D/sock" -p "$port" -U postgres 2>/dev/null
}

broker_up() {
    is_ours "$(broker_pid)" mock_broker && [ -s "$D/bootstrap" ]
}

stack_up() {
    load_state && [ -d "$D" ] && pg_up && broker_up
}

write_env() {
    port=$(pg_port)
    bootstrap=$(cat "$D/bootstrap")
    {
        echo "export PGHOST='$D/sock'"
        echo "export PGPORT='$port'"
        echo "export PGUSER='postgres'"
        echo "export PGDATABASE='customs'"
        echo "export CUSTOMSD_PG_CONNINFO='host=$D/sock port=$port user=postgres dbname=customs'"
        echo "export CUSTOMSD_BOOTSTRAP='$bootstrap'"
        echo "export CUSTOMSD_STACK_DIR='$D'"
        if [ -f "$D/tls/ca.pem" ]; then
            echo "export CUSTOMSD_TEST_PGSSLROOTCERT='$D/tls/ca.pem'"
        else
            echo "export CUSTOMSD_TEST_PGSSLROOTCERT=''"
        fi
    } >"$D/env.tmp"
    mv "$D/env.tmp" "$D/env"
}

# --- stop ------------------------------------------------------------------------------

stop_broker() {
    pid=$(broker_pid)
    if is_ours "$pid" mock_broker; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" 100; then
            say "mock broker $pid did not stop in 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 50 || say "mock broker $pid still there"
        fi
        reap="$reap $pid"
    fi
    rm -f "$D/broker.pid"
}

stop_pg() {
    [ -f "$D/pgdata/postmaster.pid" ] || return 0
    pid=$(head -n 1 "$D/pgdata/postmaster.pid" 2>/dev/null || true)
    if ! as_server "$PG_BIN/pg_ctl" -D "$D/pgdata" -m fast -w -t 30 stop >>"$D/stack.log" 2>&1; then
        if is_ours "$pid" postgres; then
            say "pg_ctl stop failed; signalling postmaster $pid"
            kill -QUIT "$pid" 2>/dev/null || true
            wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 50 || say "postmaster $pid still there"
        fi
    fi
    reap="$reap $pid"
}

do_stop() {
    keep=$1
    if ! load_state; then
        return 0
    fi
    if [ -d "$D" ]; then
        reap=
        stop_broker
        stop_pg
        for pid in $reap; do wait_reaped "$pid"; done
        if [ "$keep" = 1 ]; then
            say "stopped; kept $D"
        else
            rm -rf "$D"
            say "stopped; removed $D"
        fi
    else
        say "state pointed at $D, which is gone; cleared"
    fi
    rm -f "$STATE"
}

# --- start -----------------------------------------------------------------------------

# A throwaway CA (tls/ca.pem) and a server certificate it signs for localhost and 127.0.0.1
# (tls/server.pem, key in the data dir, readable by the server user only), valid 30 days;
# PostgreSQL is told ssl=on. Without openssl the stack runs without TLS (said once).
make_tls() {
    if ! command -v openssl >/dev/null; then
        say "openssl not found: PostgreSQL runs without TLS"
        return 0
    fi
    mkdir -p "$D/tls"
    printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
        'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
        >"$D/tls/server.ext"
    serial=0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    if ! {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$D/tls/ca.key" -out "$D/tls/ca.pem" -days 30 -subj "/CN=customsd test CA" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$D/pgdata/server.key" -out "$D/tls/server.csr" -subj /CN=localhost &&
            openssl x509 -req -in "$D/tls/server.csr" -CA "$D/tls/ca.pem" -CAkey "$D/tls/ca.key" \
                -set_serial "$serial" -days 30 -extfile "$D/tls/server.ext" -out "$D/tls/server.pem"
    } >>"$D/stack.log" 2>&1; then
        cat "$D/stack.log" >&2
        die "generating the test certificates failed"
    fi
    cp "$D/tls/server.pem" "$D/pgdata/server.crt"
    chown "$SERVER_UID:$SERVER_GID" "$D/pgdata/server.key" "$D/pgdata/server.crt"
    chmod 600 "$D/pgdata/server.key"
    chmod 644 "$D/tls/ca.pem" "$D/pgdata/server.crt"
    chmod 600 "$D/tls/ca.key"
    # server.crt and server.key in the data dir are PostgreSQL's defaults.
    echo "ssl = on" >>"$D/pgdata/postgresql.conf"
}

pg_ctl_start() {
    as_server "$PG_BIN/pg_ctl" -D "$D/pgdata" -l "$D/pg.log" -w -t 60 -o "$(cat "$D/pg.opts")" \
        start >>"$D/stack.log" 2>&1
}

start_pg() {
    mkdir -p "$D/pgdata" "$D/sock"
    touch "$D/pg.log"
    # The server user owns its data and socket dirs; the stack dir itself stays the
    # caller's, world-readable so that any local user can reach the socket.
    chown "$SERVER_UID:$SERVER_GID" "$D/pgdata" "$D/sock" "$D/pg.log"
    chmod 700 "$D/pgdata"
    chmod 755 "$D/sock"
    if ! as_server "$PG_BIN/initdb" -D "$D/pgdata" -U postgres --auth=trust --no-locale \
        -E UTF8 --no-instructions >>"$D/stack.log" 2>&1; then
        cat "$D/stack.log" >&2
        die "initdb failed"
    fi
    make_tls
    tries=0
    while :; do
        port=$(pick_port) || die "no free port found"
        # The options are kept for pg-start, which must bring back the same server.
        echo "-p $port -k $D/sock -c listen_addresses=127.0.0.1 ${CUSTOMSD_STACK_PG_OPTS:-}" \
            >"$D/pg.opts"
        if pg_ctl_start; then
            break
        fi
        tries=$((tries + 1))
        if grep -q 'could not bind\|could not create any TCP/IP sockets\|Address already in use' \
            "$D/pg.log" && [ $tries -lt 5 ]; then
            say "port $port was taken; trying another"
            continue
        fi
        tail -n 20 "$D/pg.log" >&2 || true
        die "PostgreSQL did not start (log: $D/pg.log)"
    done
    echo "$port" >"$D/pg.port"
    "$PG_BIN/createdb" -h "$D/sock" -p "$port" -U postgres customs >>"$D/stack.log" 2>&1 ||
        die "createdb customs failed (see $D/stack.log)"
    if [ -f "$D/tls/ca.pem" ]; then
        say "PostgreSQL 15 up on 127.0.0.1:$port (TLS offered, CA $D/tls/ca.pem) and $D/sock (server user $SERVER_USER)"
    else
        say "PostgreSQL 15 up on 127.0.0.1:$port and $D/sock (server user $SERVER_USER)"
    fi
}

start_broker() {
    [ -x "$BROKER_BIN" ] || die "$BROKER_BIN not built; run: make $BUILD/tools/mock_broker"
    set --
    [ -n "${CUSTOMSD_STACK_TOPICS:-}" ] && set -- "$@" -t "$CUSTOMSD_STACK_TOPICS"
    [ -n "${CUSTOMSD_STACK_PARTITIONS:-}" ] && set -- "$@" -p "$CUSTOMSD_STACK_PARTITIONS"
    [ -n "${CUSTOMSD_STACK_BROKERS:-}" ] && set -- "$@" -b "$CUSTOMSD_STACK_BROKERS"
    # stdout/stderr to files: the broker must not hold the pipe of a caller's $(...) open;
    # nor the lock (fd 9).
    "$BROKER_BIN" -f "$D/bootstrap" -c "$D/broker.ctl" "$@" </dev/null >"$D/broker.out" 2>"$D/broker.log" 9>&- &
    echo $! >"$D/broker.pid"
    n=0
    while [ ! -s "$D/bootstrap" ]; do
        if ! alive "$(broker_pid)"; then
            cat "$D/broker.log" >&2 || true
            die "mock broker exited during start"
        fi
        [ $n -ge 300 ] && die "mock broker wrote no bootstrap file in 30 s"
        sleep 0.1
        n=$((n + 1))
    done
    say "mock Kafka up at $(cat "$D/bootstrap") (pid $(broker_pid))"
}

do_start() {
    if load_state; then
        if stack_up; then
            say "already running ($D)"
            cat "$D/env"
            return 0
        fi
        say "found a stale or half-up stack at $D; cleaning it up first"
        do_stop 0
    fi
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql-15)"
    [ -x "$BROKER_BIN" ] || die "$BROKER_BIN not built; run: make $BUILD/tools/mock_broker"
    D=$(mktemp -d /tmp/customsd-stack.XXXXXX)
    chmod 755 "$D"
    mkdir -p "$RUN_DIR"
    echo "$D" >"$STATE.tmp"
    mv "$STATE.tmp" "$STATE"
    # From here on a failure must not leave servers behind.
    # (The logs that explain a failure are printed before it; the dir goes with the rest.)
    # shellcheck disable=SC2154 # st is assigned inside the trap string
    trap 'st=$?; if [ $st -ne 0 ]; then say "start failed; cleaning up"; do_stop 0; fi' EXIT
    start_pg
    start_broker
    write_env
    trap - EXIT
    cat "$D/env"
}

do_status() {
    if ! load_state || [ ! -d "$D" ]; then
        say "not running"
        return 1
    fi
    rc=0
    if pg_up; then say "PostgreSQL up (port $(pg_port), $D/sock)"; else say "PostgreSQL DOWN" && rc=1; fi
    if broker_up; then say "mock Kafka up at $(cat "$D/bootstrap")"; else say "mock Kafka DOWN" && rc=1; fi
    return $rc
}

do_env() {
    stack_up || die "stack not running; run: $0 start"
    cat "$D/env"
}

# --- fault injection -------------------------------------------------------------------

do_pg_stop() {
    load_state && [ -d "$D" ] || die "stack not running"
    as_server "$PG_BIN/pg_ctl" -D "$D/pgdata" -m fast -w -t 30 stop >>"$D/stack.log" 2>&1 ||
        die "pg_ctl stop failed (see $D/stack.log)"
    say "PostgreSQL stopped (data kept in $D/pgdata)"
}

do_pg_start() {
    load_state && [ -d "$D" ] || die "stack not running"
    pg_up && { say "PostgreSQL already up"; return 0; }
    pg_ctl_start || { tail -n 20 "$D/pg.log" >&2; die "PostgreSQL did not start"; }
    say "PostgreSQL up again on port $(pg_port)"
}

# Send one line to the mock broker's control fifo (see mock_broker.c).
broker_ctl() {
    load_state && broker_up || die "mock Kafka not running"
    [ -p "$D/broker.ctl" ] || die "the mock broker has no control fifo (started by an older stack.sh?)"
    printf '%s\n' "$*" >"$D/broker.ctl"
}

# --- main ------------------------------------------------------------------------------

cmd=${1:-}
[ $# -gt 0 ] && shift
keep=0
if [ "$cmd" != topic ]; then
    for a in "$@"; do
        case $a in
        --keep) keep=1 ;;
        *) die "unknown argument: $a" ;;
        esac
    done
fi

mkdir -p "$RUN_DIR"
# One stack operation at a time (two test runs starting at once would race on the state).
if command -v flock >/dev/null; then
    exec 9>"$RUN_DIR/lock"
    flock -w 120 9 || die "another stack.sh holds $RUN_DIR/lock"
fi

case $cmd in
start) do_start ;;
stop) do_stop "$keep" ;;
status) do_status ;;
env) do_env ;;
pg-stop) do_pg_stop ;;
pg-start) do_pg_start ;;
kafka-down) broker_ctl down ;;
kafka-up) broker_ctl up ;;
topic)
    [ $# -eq 2 ] || die "usage: $0 topic NAME PARTITIONS"
    load_state || die "stack not running"
    before=$(grep -c "topic $1 created\|create topic $1:" "$D/broker.log" 2>/dev/null || true)
    broker_ctl topic "$1" "$2"
    n=0
    while [ "$(grep -c "topic $1 created\|create topic $1:" "$D/broker.log" || true)" = "$before" ]; do
        [ $n -ge 50 ] && die "the mock broker did not answer the topic command"
        sleep 0.1
        n=$((n + 1))
    done
    grep "topic $1 created\|create topic $1:" "$D/broker.log" | tail -n 1 | grep -q created ||
        die "$(grep "create topic $1:" "$D/broker.log" | tail -n 1)"
    say "topic $1 created, $2 partitions"
    ;;
*)
    echo "usage: $0 start|stop [--keep]|status|env|pg-stop|pg-start|kafka-down|kafka-up|topic NAME PARTITIONS" >&2
    exit 2
    ;;
esac
