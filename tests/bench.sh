#!/bin/sh
# bench.sh - `make bench`: rules-only benchmark of the shipped rule set (config/rules.yaml)
# on generated declarations, one core. Prints declarations per second and rule evaluations
# per second, the decisions the rules made on the input, and the issue's target (200,000
# declarations/s on one core). BENCH_N (declarations, default 50000) and BENCH_SECONDS
# (default 5) tune it. The declarations are decoded before timing: this measures rules_evaluate
# only (decoding JSON is json-c's cost, see docs/DESIGN.md "Measured on this machine").
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${BENCH_N:-50000}
SECONDS_RUN=${BENCH_SECONDS:-5}
TARGET=200000
tmp=$(mktemp -d "${TMPDIR:-/tmp}/customsd-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$BUILD/tools/gen_declarations" -n "$N" -s 20240512 -o "$tmp/decl.frames" 2>"$tmp/gen.log"
echo "input:         $(sed -n 1p "$tmp/gen.log" | sed 's/^gen_declarations: //')"
echo "cpu:           $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') ($(nproc) cores)"
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
$pin "$BUILD/tools/bench_rules" -r config/rules.yaml -f "$tmp/decl.frames" -s "$SECONDS_RUN" -p \
    | tee "$tmp/out"
rate=$(sed -n 's/^throughput: *\([0-9]*\) declarations.*/\1/p' "$tmp/out")
if [ "${rate:-0}" -ge "$TARGET" ]; then
    echo "target:        $TARGET declarations/s on one core: met ($rate)"
else
    echo "target:        $TARGET declarations/s on one core: NOT met ($rate)"
fi
