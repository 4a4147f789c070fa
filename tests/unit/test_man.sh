#!/bin/sh
# test_man.sh - the man pages in docs/man/: they render without a warning (man --warnings,
# when man is installed), customsd.yaml(5) documents every key of daemon/config.c's key
# table with the default the table gives (one live definition: a key added there fails here
# until it is documented), customsd(8) every long option of daemon/main.c, and
# customsctl(1) every command of daemon/customsctl.c's command table.
set -eu
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

for page in docs/man/customsd.8 docs/man/customsd.yaml.5 docs/man/customsctl.1; do
    if ! command -v man >/dev/null 2>&1; then
        echo "skip: man is not installed (apt-get install man-db groff-base)"
        break
    fi
    if LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >"$T/out" 2>"$T/err" && [ ! -s "$T/err" ] &&
        [ -s "$T/out" ]; then
        ok "$page renders without warnings ($(wc -l <"$T/out") lines)"
    else
        bad "$page: $(head -5 "$T/err")"
    fi
done

# The key table: {"kafka.group_id", CK_NONEMPTY, CFG(group_id), "customsd", ...} (a row may
# wrap after the default). NULL default: "none"; "": "empty".
sed -n '/^static const struct config_key config_keys\[\] = {/,/^};/p' daemon/config.c |
    sed -n 's/^ *{"\([a-z_.]*\)", *CK_[A-Z_]*, *[^,]*, *\(NULL\|"[^"]*"\).*/\1 \2/p' \
        >"$T/keys"
n=$(wc -l <"$T/keys")
[ "$n" -ge 10 ] && ok "$n keys in daemon/config.c" || bad "only $n keys read from daemon/config.c"
while read -r key def; do
    case $def in NULL) def=none ;; '""') def=empty ;; *) def=${def#\"} def=${def%\"} ;; esac
    # The paragraph after ".B key", up to the next .TP/.SS/.SH.
    awk -v k=".B $key" '$0 == k { on = 1; next } on && /^\.(TP|SS|SH)/ { exit } on' \
        docs/man/customsd.yaml.5 >"$T/para"
    if [ ! -s "$T/para" ]; then
        bad "customsd.yaml(5) lacks key $key"
    elif ! grep -qF "Default: \\fB$def\\fR." "$T/para"; then
        bad "customsd.yaml(5): $key: default is not \"$def\" ($(grep Default "$T/para"))"
    elif ! grep -q "^ *${key##*.}:" config/customsd.yaml && ! grep -q "^ *# *${key##*.}:" config/customsd.yaml; then
        bad "config/customsd.yaml does not show $key"
    else
        ok "$key documented, default $def"
    fi
done <"$T/keys"
# ... and no key the table lacks.
grep -A1 '^\.TP' docs/man/customsd.yaml.5 | sed -n 's/^\.B \([a-z_]*\.[a-z_.]*\)$/\1/p' |
    while read -r key; do
        grep -q "^$key " "$T/keys" || echo "$key"
    done >"$T/extra"
[ ! -s "$T/extra" ] && ok "no key in customsd.yaml(5) that config.c lacks" ||
    bad "customsd.yaml(5) documents unknown keys: $(tr '\n' ' ' <"$T/extra")"

# customsd's long options.
sed -n 's/.*{"\([a-z-]*\)", *\(no\|required\)_argument.*/\1/p' daemon/main.c | while read -r o; do
    esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
    grep -q -- "\\\\-\\\\-$esc" docs/man/customsd.8 && echo "ok: customsd(8) --$o" ||
        echo "FAIL: customsd(8) lacks --$o"
done >"$T/opts"
cat "$T/opts"
[ -s "$T/opts" ] || bad "no long option read from daemon/main.c"
fails=$((fails + $(grep -c ^FAIL "$T/opts" || true)))

# customsctl's commands: rows {{"rules", "check"}, or {{"decide", NULL},
sed -n 's/^ *{{"\([a-z]*\)", *\(NULL\|"\([a-z]*\)"\)}.*/\1 \3/p' daemon/customsctl.c |
    while read -r w1 w2; do
        name=$(echo "$w1 $w2" | sed 's/ *$//')
        grep -q "^\.B $name\( \|$\)" docs/man/customsctl.1 && echo "ok: customsctl(1) $name" ||
            echo "FAIL: customsctl(1) lacks command $name"
    done >"$T/cmds"
cat "$T/cmds"
[ -s "$T/cmds" ] || bad "no command read from daemon/customsctl.c"
fails=$((fails + $(grep -c ^FAIL "$T/cmds" || true)))

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
