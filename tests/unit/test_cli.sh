#!/bin/sh
# test_cli.sh - the command lines of customsd and customsctl: --help prints the usage on
# stdout and exits 0, an unknown option exits 2 with the usage on stderr, --version prints
# the version written in debian/changelog, and every customsd option has its long form.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
D=$BUILD/customsd
C=$BUILD/customsctl
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect RC OUT_PATTERN ERR_PATTERN CMD...: exit status RC; stdout matches OUT_PATTERN and
# stderr ERR_PATTERN ("" = must be empty).
expect() {
    want=$1 outp=$2 errp=$3
    shift 3
    rc=0
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    what="$*"
    [ "$rc" = "$want" ] || { bad "$what: exit $rc, want $want"; return 0; }
    for s in out err; do
        if [ $s = out ]; then p=$outp; else p=$errp; fi
        if [ -z "$p" ]; then
            [ ! -s "$T/$s" ] || { bad "$what: std$s not empty: $(head -2 "$T/$s")"; return 0; }
        else
            grep -q -- "$p" "$T/$s" || { bad "$what: std$s lacks '$p'"; return 0; }
        fi
    done
    ok "$what -> $rc"
}

version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
[ -n "$version" ] && ok "debian/changelog version $version" || bad "no version in debian/changelog"

# customsd
for h in -h --help; do expect 0 '^usage: customsd' '' "$D" $h; done
for v in -V --version; do expect 0 "^customsd $version\$" '' "$D" $v; done
expect 2 '' '^usage: customsd' "$D" --bogus
expect 2 '' '^usage: customsd' "$D" -x
expect 2 '' "unexpected argument 'extra'" "$D" -T extra
expect 2 '' '^usage: customsd' "$D" --config
# The long options do what the short ones do.
printf 'log:\n  level: nonsense\n' >"$T/bad.yaml"
sed "s|^  path: .*|  path: $PWD/config/rules.yaml|" config/customsd.yaml >"$T/good.yaml"
expect 0 '^configuration OK' '' "$D" -T -c "$T/good.yaml"
expect 0 '^configuration OK' '' "$D" --test-offline --config "$T/good.yaml"
expect 0 '^configuration OK' '' "$D" --test-offline --config="$T/good.yaml"
expect 1 '' 'bad.yaml:2:' "$D" --test-offline --config "$T/bad.yaml"
expect 1 '' 'bad.yaml:2:' "$D" -T -c "$T/bad.yaml"
# Every long option in the usage.
"$D" --help >"$T/usage"
for o in config debug test test-offline version help; do
    grep -q -- "--$o" "$T/usage" && ok "customsd --help names --$o" || bad "customsd --help lacks --$o"
done

# customsctl
for h in -h --help help; do expect 0 '^usage: customsctl' '' "$C" $h; done
for v in -V --version; do expect 0 "^customsctl $version\$" '' "$C" $v; done
expect 2 '' '^usage: customsctl' "$C"
expect 2 '' "unknown option '--bogus'" "$C" --bogus
expect 2 '' "unknown command 'frob'" "$C" frob
expect 2 '' "unknown command 'rules frob'" "$C" rules frob
# --help on every command (stdout, 0), an unknown option after it (stderr, 2).
for cmd in "rules check" "rules test" "decide" "config check" "reload"; do
    # shellcheck disable=SC2086
    expect 0 "^usage: customsctl $cmd" '' "$C" $cmd --help
    # shellcheck disable=SC2086
    expect 0 "^usage: customsctl $cmd" '' "$C" $cmd -h
    # shellcheck disable=SC2086
    expect 2 '' "unknown option '--bogus'" "$C" $cmd --bogus
    # shellcheck disable=SC2086
    expect 2 '' "^usage: customsctl $cmd" "$C" $cmd
done
# The operator's commands (ctl_ops.h): their options anywhere, operands counted by them.
for cmd in "status" "lag" "quarantine list" "quarantine show" "quarantine replay" "outbox status"; do
    # shellcheck disable=SC2086
    expect 0 "^usage: customsctl $cmd \[-c FILE\]" '' "$C" $cmd --help
    # shellcheck disable=SC2086
    expect 2 '' "unknown option '--bogus'" "$C" $cmd --bogus
    # shellcheck disable=SC2086
    expect 2 '' "needs a value" "$C" $cmd -c
done
for cmd in "status" "quarantine show" "quarantine replay"; do
    # shellcheck disable=SC2086
    expect 2 '' "^usage: customsctl $cmd" "$C" $cmd
done
expect 2 '' "^usage: customsctl lag" "$C" lag extra
expect 2 '' "does not apply" "$C" lag --raw
expect 2 '' "expected the number" "$C" quarantine show x1
expect 2 '' "positive number" "$C" quarantine list --limit 0
expect 0 'customsctl quarantine replay' '' "$C" quarantine --help
expect 0 'customsctl rules check' '' "$C" rules --help
expect 0 'customsctl config check' '' "$C" config --help
expect 0 '^configuration OK' '' "$C" config check "$T/good.yaml"
expect 1 '' 'bad.yaml:2:' "$C" config check "$T/bad.yaml"
# customsctl reload CONFIG PID: a bad process id is a usage error; a bad configuration fails
# the check before anything is signalled; without $RUNTIME_DIRECTORY there is nowhere to
# hear customsd's answer (test_reload.sh runs the rest against customsd).
expect 2 '' "'abc' is not a process id" "$C" reload "$T/good.yaml" abc
expect 1 '' 'bad.yaml:2:' "$C" reload "$T/bad.yaml" 12345
expect 1 '^rules OK' 'RUNTIME_DIRECTORY is not set' env -u RUNTIME_DIRECTORY "$C" reload "$T/good.yaml" 12345
# "--" ends the options: a file named "-dash.yaml" is a file after it, an option before.
cp "$T/bad.yaml" "$T/-dash.yaml"
in_t() { (cd "$T" && "$@"); }
expect 1 '' '^-dash.yaml:2:' in_t "$C" config check -- -dash.yaml
expect 2 '' "unknown option '-dash.yaml'" in_t "$C" config check -dash.yaml

# decide: the shipped rules decide a 9610 parcel at once (matching off); with matching on for
# 9610 it says that customsd first records the parcel as 120 awaiting order and waybill.
mkdir -p "$T/rules"
cp -r config/rates.yaml config/lists "$T/rules/"
sed 's/^  trade_modes: \[\]$/  trade_modes: ["9610"]/' config/rules.yaml >"$T/rules/rules.yaml"
expect 0 '^decision: 399 accepted' '' "$C" decide config/rules.yaml tests/rules/decl/parcel.json
if grep -q '^matching:' "$T/out"; then bad "decide: a matching line with matching off"; else ok "decide: no matching line with matching off"; fi
expect 0 '^matching: tradeMode 9610 waits for its order and waybill: customsd records it as 120' '' \
    "$C" decide "$T/rules/rules.yaml" tests/rules/decl/parcel.json

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
