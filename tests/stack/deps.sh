#!/bin/sh
# deps.sh - install the Debian packages customsd needs to build, test and demo, if missing.
# As root: apt-get installs them. Otherwise: prints the one apt-get line to run.
#   sh deps.sh          what make check, make demo and make chaos need
#   sh deps.sh fuzz     the same plus clang with libFuzzer and the sanitizer runtimes (make fuzz)
#   sh deps.sh deb      the same plus what `make deb` needs (debhelper, dpkg-dev, lintian)
set -eu
PKGS="build-essential pkg-config librdkafka-dev libpq-dev libyaml-dev libjson-c-dev \
libsystemd-dev libssl-dev libmicrohttpd-dev libxml2-dev libcmocka-dev postgresql-15 postgresql-client-15 kcat clang-format \
valgrind openssl man-db groff-base curl jq libxml2-utils"
# -fsanitize=fuzzer needs libclang_rt.fuzzer*, in libclang-rt-14-dev, which clang-14 only
# recommends (and --no-install-recommends skips).
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev"
[ "${1:-}" = deb ] && PKGS="$PKGS debhelper dpkg-dev fakeroot lintian"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends $missing >/dev/null || {
        apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null; }
else
    echo "deps: missing packages; run:" >&2
    echo "  sudo apt-get install -y$missing" >&2
    exit 1
fi
