#!/bin/sh
# run.sh - `make fuzz`: run every libFuzzer target in $FUZZ_BUILD/fuzz/ (default build-fuzz)
# for FUZZ_SECONDS seconds each (default 60), starting from the committed seed corpus
# (tests/fuzz/corpus/NAME) and regression cases (tests/fuzz/regressions/NAME), with the
# target's dictionary. New interesting inputs go to $FUZZ_BUILD/fuzz-work/NAME, not to the
# committed corpus; crashes, leaks and timeouts to $FUZZ_BUILD/fuzz-artifacts/NAME-*.
#
#   sh tests/fuzz/run.sh [NAME...]      (default: every tests/fuzz/fuzz_*.c)
#
# Prints one line per target:  fuzz NAME: RUNS runs in S s, cov N, ft N, corpus N: ok
# and exits 1 if any target found a problem (the libFuzzer log is printed then). A found
# input becomes a regression case: copy it to tests/fuzz/regressions/NAME/ (replayed by
# `make check` through tests/unit/test_fuzz_replay.c), fix the bug, commit both.
set -eu
cd "$(dirname "$0")/../.."
B=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
# The decoder's own limit is 1 MiB; 64 KiB inputs are enough to reach every size check
# short of that one (strings of 1000 characters, 100 items, nesting) and keep runs fast.
MAX_LEN=${FUZZ_MAX_LEN:-65536}

if [ $# -eq 0 ]; then
    for src in tests/fuzz/fuzz_*.c; do
        n=$(basename "$src" .c)
        set -- "$@" "${n#fuzz_}"
    done
fi

failed=0
for name in "$@"; do
    bin=$B/fuzz/fuzz_$name
    [ -x "$bin" ] || { echo "fuzz $name: $bin not built (make fuzz builds it)"; failed=1; continue; }
    work=$B/fuzz-work/$name
    art=$B/fuzz-artifacts
    log=$B/fuzz-$name.log
    mkdir -p "$work" "$art" "tests/fuzz/regressions/$name"
    dict=
    [ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
    rc=0
    # -timeout: one input taking 10 s is a bug (a hang on hostile input);
    # -rss_limit_mb: so is a memory blow-up. Leak detection is on (ASan default).
    "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len="$MAX_LEN" \
        -print_final_stats=1 -artifact_prefix="$art/$name-" $dict \
        "$work" "tests/fuzz/corpus/$name" "tests/fuzz/regressions/$name" >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s\n' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s\n' "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $name: ${runs:-?} runs in $SECS s (${secs:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}: ok"
    else
        echo "fuzz $name: FAILED (exit $rc) after ${runs:-?} runs; log $log"
        grep -E 'ERROR|SUMMARY|Test unit written|artifact_prefix|^==' "$log" | head -n 40 || true
        echo "fuzz $name: copy the artifact above to tests/fuzz/regressions/$name/ as a regression case"
        failed=1
    fi
done
exit $failed
