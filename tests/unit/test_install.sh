#!/bin/sh
# test_install.sh - `make install PREFIX=/usr DESTDIR=...` checked file by file: customsd in
# sbin/, customsctl in bin/, the man pages, the unit with its paths filled in, the sysusers.d
# and tmpfiles.d files, the configuration (customsd.yaml 0640: it may hold passwords), the
# rules and the SQL; a second install keeps an edited configuration (FILE.dist beside it).
# With systemd-analyze: the unit, installed with its paths pointing at real files, verifies
# clean and its `systemd-analyze security` exposure is at most 1.5.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

R=$T/root
make -s install BUILD="$BUILD" PREFIX=/usr DESTDIR="$R" >"$T/log" 2>&1 || {
    cat "$T/log"
    exit 1
}
# want MODE PATH
want() {
    if [ ! -f "$R$2" ]; then
        bad "missing $2"
    elif [ "$(stat -c %a "$R$2")" != "$1" ]; then
        bad "$2 mode $(stat -c %a "$R$2"), want $1"
    else
        ok "$2 $1"
    fi
}
want 755 /usr/sbin/customsd
want 755 /usr/bin/customsctl
want 644 /usr/share/man/man8/customsd.8
want 644 /usr/share/man/man5/customsd.yaml.5
want 644 /usr/share/man/man1/customsctl.1
want 644 /lib/systemd/system/customsd.service
want 644 /usr/lib/sysusers.d/customsd.conf
want 644 /usr/lib/tmpfiles.d/customsd.conf
want 640 /etc/customsd/customsd.yaml
want 644 /etc/customsd/rules.yaml
want 644 /etc/customsd/rates.yaml
for f in config/lists/*.yaml; do want 644 "/etc/customsd/lists/${f##*/}"; done
want 755 /usr/share/customsd/sql/migrate.sh
for f in sql/*.sql sql/repeatable/*.sql; do want 644 "/usr/share/customsd/${f}"; done
want 644 /usr/share/doc/customsd/README.md
[ ! -e "$R/usr/bin/customsd" ] && ok "no customsd in bin/" || bad "customsd also in bin/"
if [ "$(id -u)" = 0 ] && getent group customsd >/dev/null; then
    [ "$(stat -c %G "$R/etc/customsd/customsd.yaml")" = customsd ] && ok "customsd.yaml group customsd" ||
        bad "customsd.yaml group $(stat -c %G "$R/etc/customsd/customsd.yaml")"
fi
grep -q '^ExecStart=/usr/sbin/customsd -c /etc/customsd/customsd.yaml$' "$R/lib/systemd/system/customsd.service" &&
    ok "unit runs /usr/sbin/customsd" || bad "unit ExecStart: $(grep ^ExecStart= "$R/lib/systemd/system/customsd.service")"
grep -q '^ExecReload=/usr/bin/customsctl reload /etc/customsd/customsd.yaml $MAINPID$' "$R/lib/systemd/system/customsd.service" &&
    grep -q '^RuntimeDirectory=customsd$' "$R/lib/systemd/system/customsd.service" &&
    ok "unit reloads through customsctl reload, RuntimeDirectory=customsd" ||
    bad "unit ExecReload: $(grep ^ExecReload= "$R/lib/systemd/system/customsd.service")"
grep -q '@[A-Z]*@' "$R/lib/systemd/system/customsd.service" && bad "unit keeps @...@ names" || ok "unit paths filled in"
grep -q '^u customsd ' "$R/usr/lib/sysusers.d/customsd.conf" && ok "sysusers.d creates user customsd" ||
    bad "sysusers.d lacks user customsd"
# An edited configuration survives a second install.
echo "# edited" >>"$R/etc/customsd/customsd.yaml"
make -s install BUILD="$BUILD" PREFIX=/usr DESTDIR="$R" >"$T/log" 2>&1
tail -1 "$R/etc/customsd/customsd.yaml" | grep -q '^# edited$' && [ -f "$R/etc/customsd/customsd.yaml.dist" ] &&
    [ "$(stat -c %a "$R/etc/customsd/customsd.yaml.dist")" = 640 ] &&
    ok "second install kept the edited customsd.yaml, new one as .dist (0640)" ||
    bad "second install overwrote customsd.yaml or .dist missing / not 0640"

if command -v systemd-analyze >/dev/null 2>&1; then
    # Install once more with real paths (no DESTDIR) so verify finds the binaries.
    Q=$T/real
    make -s install BUILD="$BUILD" PREFIX="$Q/usr" SYSCONFDIR="$Q/etc" UNITDIR="$Q/unit" >"$T/log" 2>&1
    if systemd-analyze verify --man=no "$Q/unit/customsd.service" >"$T/verify" 2>&1 && [ ! -s "$T/verify" ]; then
        ok "systemd-analyze verify clean"
    else
        bad "systemd-analyze verify: $(head -5 "$T/verify")"
    fi
    exposure=$(systemd-analyze security --offline=true "$Q/unit/customsd.service" 2>/dev/null |
        sed -n 's/.*Overall exposure level for customsd.service: \([0-9.]*\).*/\1/p')
    if [ -z "$exposure" ]; then
        bad "systemd-analyze security printed no exposure"
    elif awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }'; then
        ok "systemd-analyze security exposure $exposure (<= 1.5)"
    else
        bad "systemd-analyze security exposure $exposure > 1.5"
    fi
else
    echo "skip: systemd-analyze is not installed"
fi

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
