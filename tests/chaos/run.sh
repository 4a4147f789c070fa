#!/bin/bash
# run.sh - `make chaos`: the exactly-once scenarios of issue 4 on the local stack
# (tests/chaos/README.md). Starts the stack if it is not running (and stops it again
# unless CUSTOMSD_KEEP_STACK is set), runs each scenario script in turn and prints, for
# each, one line
#   scenario NAME: produced=N applied=N duplicated=N lost=N quarantined=N
# (the black-hole scenarios add "stops: WHAT=N ms", the time each SIGTERM took while stalled)
# then a summary. Exits 0 only when every scenario passed (lost and duplicated 0 and
# every other check of the scenario held).
#
# Environment:
#   CHAOS_LONG=1          the long variant (100 SIGKILLs in the crash loop, more data)
#   CHAOS_SCENARIOS="..." which scenarios, in order (default: all, as below)
#   CHAOS_SEED=N          seed of the random moments (printed; reuse it to replay a run)
#   CHAOS_DIR=DIR         where logs go (default build/chaos); a failed scenario keeps
#                         its logs there and its database chaos_NAME on the stack
#   CHAOS_ALLOW_SKIP=1    a scenario that needs root (disk_full: mounts a tmpfs) prints
#                         "skipped" and passes when not run as root (default: it fails)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
export BUILD=${BUILD:-build}
export CHAOS_LONG=${CHAOS_LONG:-0}
export CHAOS_SEED=${CHAOS_SEED:-$(( $(date +%s) % 100000 ))}
export CHAOS_RUN=${CHAOS_RUN:-$(date +%s)}
export CHAOS_DIR=${CHAOS_DIR:-$PWD/$BUILD/chaos}
ALL="crash scale scale_coop zombie pg_outage kafka_outage badrow hostile graceful retention"
ALL="$ALL pg_stall_mid pg_stall_start pg_slow broker_stall disk_full"
SCENARIOS=${CHAOS_SCENARIOS:-$ALL}

for s in $SCENARIOS; do
    [ -f "tests/chaos/scenario_$s.sh" ] || { echo "chaos: no scenario $s (have: $ALL)"; exit 2; }
done
for b in customsd tools/gen_declarations tools/kafka_produce tools/mock_broker tools/tcpproxy; do
    [ -x "$BUILD/$b" ] || { echo "chaos: $BUILD/$b not built (make tests)"; exit 2; }
done
command -v kcat >/dev/null || { echo "chaos: kcat is needed (make deps)"; exit 2; }

if ! sh tests/stack/stack.sh status >/dev/null 2>&1; then
    sh tests/stack/stack.sh start >/dev/null || exit 1
    [ -n "${CUSTOMSD_KEEP_STACK:-}" ] ||
        trap 'sh tests/stack/stack.sh stop >/dev/null 2>&1 || true' EXIT INT TERM
fi
eval "$(sh tests/stack/stack.sh env)"
mkdir -p "$CHAOS_DIR"
rm -rf "${CHAOS_DIR:?}"/*

echo "chaos: scenarios: $SCENARIOS; seed $CHAOS_SEED; $([ "$CHAOS_LONG" = 1 ] && echo long || echo CI) variant; logs in $CHAOS_DIR"
start=$SECONDS
failed=0
: >"$CHAOS_DIR/summary"
for s in $SCENARIOS; do
    t0=$SECONDS
    echo "=== chaos $s"
    # Each scenario is its own process (its own traps and instance bookkeeping); RANDOM is
    # seeded per scenario so that one scenario can be replayed alone with the same seed.
    CHAOS_SCENARIO_SEED=$((CHAOS_SEED + $(printf '%s' "$s" | cksum | cut -d' ' -f1) % 1000)) \
        bash "tests/chaos/scenario_$s.sh" 2>&1 | tee "$CHAOS_DIR/$s.out"
    rc=${PIPESTATUS[0]}
    line=$(grep '^scenario ' "$CHAOS_DIR/$s.out" | tail -n 1)
    [ -n "$line" ] || line="scenario $s: no result line"
    # The black-hole scenarios also report their stop times ("stops NAME: ...").
    stops=$(grep '^stops ' "$CHAOS_DIR/$s.out" | tail -n 1 | sed 's/^stops [^:]*: //')
    [ -z "$stops" ] || line="$line stops: $stops"
    if [ "$rc" -eq 0 ]; then
        echo "--- PASS $s ($((SECONDS - t0)) s)"
        echo "$line" >>"$CHAOS_DIR/summary"
    else
        echo "--- FAIL $s ($((SECONDS - t0)) s)"
        echo "$line   <- FAILED" >>"$CHAOS_DIR/summary"
        failed=$((failed + 1))
    fi
done
echo "=== chaos summary (seed $CHAOS_SEED, $((SECONDS - start)) s)"
cat "$CHAOS_DIR/summary"
[ "$failed" -eq 0 ] && echo "chaos: all scenarios passed" || echo "chaos: $failed scenario(s) failed"
[ "$failed" -eq 0 ]
