#!/bin/sh
# make_fixture.sh - make the upgrade fixture: a plain pg_dump of a database migrated by an
# earlier release, with data that release's functions wrote (before.sql), for
# tests/integration/test_upgrade.sh.
#
#   sh tests/integration/data/upgrade/make_fixture.sh [COMMIT]
#
# COMMIT (default 81da513, the last main with the migrations 001-006) is checked out from
# the repository with git archive; its sql/migrate.sh migrates a scratch database on the
# server the PG* variables name (e.g. the local stack: eval "$(sh tests/stack/stack.sh
# start)"), helpers.sql + before.sql put the data in, and the dump is written to
# main-<commit>.sql next to this script. The scratch database is dropped again.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
commit=${1:-81da513}
full=$(git -C "$repo" rev-parse --verify "$commit^{commit}")
short=$(printf '%s' "$full" | cut -c 1-7)
out=$here/main-$short.sql
db=customsd_fixture_$$
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT

git -C "$repo" archive "$full" sql | tar -x -C "$tmp"
createdb -T template0 -E UTF8 "$db"
sh "$tmp/sql/migrate.sh" "dbname=$db" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
    -f "$here/helpers.sql" -f "$here/before.sql" >/dev/null

{
    printf -- '-- main-%s.sql - upgrade fixture for tests/integration/test_upgrade.sh: a database\n' "$short"
    printf -- '-- migrated by the sql/ of commit %s (migrations 001-006)\n' "$full"
    printf -- '-- with the data of before.sql applied through that commit'"'"'s customs.apply_batch() and\n'
    printf -- '-- officer functions. Made by make_fixture.sh (next to this file); do not edit by hand.\n'
    printf -- '-- The roles customs_owner, customsd and customs_officer must exist to restore it.\n'
    # \restrict carries a random key: left out, so that the file is the same on every run.
    pg_dump -d "$db" | grep -v '^\\\(un\)\{0,1\}restrict '
} > "$out"
echo "wrote $out"
