#!/bin/sh
# migrate.sh - apply the numbered migrations sql/NNN_*.sql to a PostgreSQL database, in
# order, each in its own transaction, recording each in customs.schema_migrations.
#
#   sql/migrate.sh [CONNINFO]
#
# CONNINFO is a libpq connection string or URI; without it the PG* environment variables
# (PGHOST, PGPORT, PGUSER, PGDATABASE, ...) are used, as by psql.
# Re-runnable: migrations already recorded are skipped ("up to date" when none is left).
# A recorded migration whose file changed since (SHA-256 differs) is an error: migrations
# are immutable once applied; write a new one instead.
# Roles: 006_roles.sql creates customs_owner, customsd and customs_officer (if missing) and
# gives the schema to customs_owner; later files are applied as customs_owner (SET ROLE)
# when the migrating user is a superuser or a member of it, so everything stays its own.
# Run it as a superuser, or as customs_owner itself (LOGIN, with CREATEROLE the first time).
# Exit status: 0 success, 1 failure (nothing of the failing file is left applied).
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
conninfo=${1:-}

die() {
    echo "migrate: $*" >&2
    exit 1
}

command -v psql >/dev/null 2>&1 || die "psql not found (install postgresql-client)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found"

# psql without ~/.psqlrc, stopping at the first error, quiet, NOTICEs suppressed.
run_psql() {
    if [ -n "$conninfo" ]; then
        PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
            psql -X -q -v ON_ERROR_STOP=1 -d "$conninfo" "$@"
    else
        PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
            psql -X -q -v ON_ERROR_STOP=1 "$@"
    fi
}

# The bookkeeping table lives in the schema it describes; create both if missing.
run_psql -c "
CREATE SCHEMA IF NOT EXISTS customs;
COMMENT ON SCHEMA customs IS 'customsd: cross-border e-commerce export clearance (CEB603)';
CREATE TABLE IF NOT EXISTS customs.schema_migrations (
    version    text        PRIMARY KEY,  -- the NNN of NNN_name.sql
    name       text        NOT NULL,     -- the file name
    sha256     text,                     -- SHA-256 hex of the file as applied
    applied_at timestamptz NOT NULL DEFAULT now()
);" || die "cannot prepare customs.schema_migrations"

applied=$(run_psql -A -t -F ' ' -c \
    "SELECT version, coalesce(sha256, '-') FROM customs.schema_migrations ORDER BY version") ||
    die "cannot read customs.schema_migrations"

count=0
found=0
for file in "$dir"/[0-9][0-9][0-9]_*.sql; do
    [ -e "$file" ] || die "no migrations found in $dir"
    found=$((found + 1))
    base=$(basename "$file")
    version=${base%%_*}
    sum=$(sha256sum "$file" | cut -d ' ' -f 1)
    recorded=$(printf '%s\n' "$applied" | awk -v v="$version" '$1 == v { print $2 }')
    if [ -n "$recorded" ]; then
        if [ "$recorded" != "-" ] && [ "$recorded" != "$sum" ]; then
            die "$base was applied with SHA-256 $recorded but the file now has $sum;" \
                "applied migrations must not change (add a new migration instead)"
        fi
        continue
    fi
    echo "migrate: applying $base"
    # Once the schema belongs to customs_owner (006_roles.sql), new objects must belong to
    # it too: a superuser or a member of customs_owner applies the file as that role.
    as_owner=$(run_psql -A -t -c "SELECT coalesce((SELECT r.rolname = 'customs_owner'
        FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'customs')
        AND current_user <> 'customs_owner' AND pg_has_role('customs_owner', 'MEMBER'), false)") ||
        die "cannot read the owner of schema customs"
    set_role="SET LOCAL search_path = customs, public"
    [ "$as_owner" = t ] && set_role="$set_role; SET LOCAL ROLE customs_owner"
    # One transaction: the file and its bookkeeping row commit together or not at all.
    # A concurrent run applying the same file fails on the primary key and rolls back.
    # (psql interpolates :'var' only in files, hence the bookkeeping INSERT on stdin.)
    run_psql --single-transaction -o /dev/null \
        -v "mig_version=$version" -v "mig_name=$base" -v "mig_sum=$sum" \
        -c "$set_role" \
        -f "$file" -f - <<'EOF' || die "$base failed; nothing of it was applied"
INSERT INTO customs.schema_migrations (version, name, sha256)
VALUES (:'mig_version', :'mig_name', :'mig_sum');
EOF
    count=$((count + 1))
done

# Recorded versions with no file: a newer checkout applied them, or a file was removed.
for v in $(printf '%s\n' "$applied" | awk 'NF { print $1 }'); do
    set -- "$dir/${v}"_*.sql
    [ -e "$1" ] || echo "migrate: warning: version $v is recorded but has no file in $dir" >&2
done

if [ "$count" -eq 0 ]; then
    echo "migrate: up to date ($found migrations)"
else
    echo "migrate: applied $count migration(s)"
fi
