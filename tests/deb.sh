#!/bin/sh
# deb.sh - the Debian package built, linted, listed and (with CUSTOMSD_DEB_INSTALL=1, as
# root, on a throwaway machine such as CI) installed and purged. `make deb-test` runs it;
# not part of make check (it needs debhelper, dpkg-dev and lintian: deps.sh deb).
#   1. dpkg-buildpackage -us -uc -b in a copy of the checkout (the package build runs
#      `make clean`, which must not touch this tree's build/).
#   2. lintian: no error (warnings are printed).
#   3. dpkg-deb -c lists the binaries (customsd in sbin/), the unit, the sysusers.d and
#      tmpfiles.d files, the man pages, the configuration (customsd.yaml 0640), the SQL.
#   4. Installed: user and group customsd exist, customsd.yaml is root:customsd 0640, the
#      unit is neither enabled nor running, customsd --version answers; purge removes it.
set -eu
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir "$T/src"
tar --exclude=./build --exclude=./build-asan --exclude=./build-fuzz --exclude=./build-deb \
    --exclude=./.git --exclude=./tests/stack/run -cf - . | (cd "$T/src" && tar -xf -)
(cd "$T/src" && rm -f customsd customsctl && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 || {
    tail -30 "$T/build.log"
    exit 1
}
deb=$(ls "$T"/customsd_*.deb | grep -v dbgsym)
ok "built $(basename "$deb")"

if lintian --fail-on error "$T"/customsd_*.changes >"$T/lintian" 2>&1; then
    ok "lintian: no error ($(grep -c '^W:' "$T/lintian" || true) warnings)"
else
    bad "lintian errors"
fi
cat "$T/lintian"

dpkg-deb -c "$deb" >"$T/list"
for want in "-rwxr-xr-x ./usr/sbin/customsd" "-rwxr-xr-x ./usr/bin/customsctl" \
    "-rw-r--r-- ./lib/systemd/system/customsd.service" \
    "-rw-r--r-- ./usr/lib/sysusers.d/customsd.conf" "-rw-r--r-- ./usr/lib/tmpfiles.d/customsd.conf" \
    "-rw-r--r-- ./usr/share/man/man8/customsd.8.gz" "-rw-r--r-- ./usr/share/man/man5/customsd.yaml.5.gz" \
    "-rw-r--r-- ./usr/share/man/man1/customsctl.1.gz" "-rw-r----- ./etc/customsd/customsd.yaml" \
    "-rw-r--r-- ./etc/customsd/rules.yaml" "-rwxr-xr-x ./usr/share/customsd/sql/migrate.sh" \
    "-rw-r--r-- ./usr/share/customsd/sql/006_baseline.sql"; do
    mode=${want%% *} path=${want#* }
    if awk -v m="$mode" -v p="$path" '$1 == m && $6 == p { f = 1 } END { exit !f }' "$T/list"; then
        ok "lists $mode $path"
    else
        bad "does not list $mode $path"
    fi
done
n=$(grep -c '\./usr/share/customsd/sql/.*\.sql$' "$T/list")
want_n=$(ls sql/*.sql sql/repeatable/*.sql | wc -l)
[ "$n" -eq "$want_n" ] && ok "$n SQL files" || bad "$n SQL files, sql/ has $want_n"

if [ "${CUSTOMSD_DEB_INSTALL:-}" = 1 ]; then
    dpkg -i "$deb" >"$T/install" 2>&1 || { cat "$T/install"; bad "dpkg -i failed"; }
    getent passwd customsd >/dev/null && ok "user customsd created" || bad "no user customsd"
    [ "$(stat -c '%U:%G %a' /etc/customsd/customsd.yaml)" = "root:customsd 640" ] &&
        ok "customsd.yaml root:customsd 0640" || bad "customsd.yaml $(stat -c '%U:%G %a' /etc/customsd/customsd.yaml)"
    [ -z "$(find /etc/systemd/system -name 'customsd*' 2>/dev/null)" ] && ok "unit not enabled" ||
        bad "unit enabled: $(find /etc/systemd/system -name 'customsd*')"
    # The installed binary only: tests elsewhere on the machine may run a build's customsd.
    pgrep -f '^/usr/sbin/customsd' >/dev/null && bad "the installed customsd is running" ||
        ok "customsd not started"
    /usr/sbin/customsd --version | grep -q '^customsd ' && ok "customsd --version" || bad "customsd --version"
    dpkg --purge customsd >/dev/null 2>&1 && [ ! -e /usr/sbin/customsd ] && [ ! -e /etc/customsd ] &&
        ok "purged" || bad "purge left files"
fi

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
