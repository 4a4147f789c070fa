#!/bin/sh
# run-tests.sh - the test suite: `make check` runs it (BUILD selects build/ or build-asan/).
#   sh tests/run-tests.sh [unit|integration|all]
# Unit tests need no server. Integration tests start the throwaway local stack
# (tests/stack/stack.sh: PostgreSQL 15 + the librdkafka mock Kafka cluster), apply the
# schema, run tests/integration/*.sh and test_* programs, and stop the stack again.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
what=${1:-all}
failed=0
total=0

run() { # name command...
    name=$1; shift
    total=$((total + 1))
    printf '=== %s\n' "$name"
    start=$(date +%s)
    if "$@"; then
        printf -- '--- PASS %s (%ss)\n' "$name" $(( $(date +%s) - start ))
    else
        printf -- '--- FAIL %s (%ss)\n' "$name" $(( $(date +%s) - start ))
        failed=$((failed + 1))
    fi
}

if [ "$what" = unit ] || [ "$what" = all ]; then
    for src in tests/unit/test_*.c; do
        [ -e "$src" ] || continue
        t=$(basename "$src" .c)
        run "unit/$t" "$BUILD/tests/$t"
    done
    for t in tests/unit/test_*.sh; do
        [ -e "$t" ] || continue
        run "unit/$(basename "$t" .sh)" sh "$t"
    done
    if [ -f tests/rules/cases.yaml ]; then
        run "rules/cases" "$BUILD/customsctl" rules test config/rules.yaml tests/rules/cases.yaml
    fi
fi

if [ "$what" = integration ] || [ "$what" = all ]; then
    kept=${CUSTOMSD_KEEP_STACK:-}
    if ! sh tests/stack/stack.sh status >/dev/null 2>&1; then
        sh tests/stack/stack.sh start >/dev/null
        [ -n "$kept" ] || trap 'sh tests/stack/stack.sh stop >/dev/null 2>&1 || true' EXIT INT TERM
    fi
    eval "$(sh tests/stack/stack.sh env)"
    sh sql/migrate.sh >/dev/null
    for src in tests/integration/test_*.c; do
        [ -e "$src" ] || continue
        t=$(basename "$src" .c)
        run "integration/$t" "$BUILD/tests/$t"
    done
    for t in tests/integration/test_*.sh; do
        [ -e "$t" ] || continue
        run "integration/$(basename "$t" .sh)" bash "$t"
    done
fi

echo "=== $((total - failed))/$total passed"
[ "$failed" -eq 0 ]
