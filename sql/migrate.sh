#!/bin/sh
# migrate.sh - bring a PostgreSQL database to the customs schema of this checkout, in two
# phases (the "versioned + repeatable migrations" convention of Flyway and Sqitch):
#
#   1. Numbered migrations, sql/NNN_name.sql: what must run exactly once (tables, columns,
#      indexes, backfills, data rows, roles). In order, each in its own transaction, each
#      recorded in customs.schema_migrations with the SHA-256 of the file. Applied ones are
#      skipped; one whose file changed since (SHA-256 differs) is an error: write a new one.
#   2. Repeatable files, sql/repeatable/*.sql: every function, view, trigger and grant, one
#      concern per file, written to be run again (CREATE OR REPLACE; views are dropped and
#      created). All of them, on every run, after the numbered ones, in name order (a file
#      comes after those it uses; grants last), in ONE transaction. Changing a function is
#      editing its file: there is one live definition of each, and no migration copies it.
#      A function or view that goes away (or changes its arguments) is dropped by a new
#      numbered migration (DROP FUNCTION IF EXISTS ...), so an upgraded database ends up
#      with the same objects as a new one: a function, view or trigger of schema customs
#      that the repeatable files did not (re)create fails the run, named.
#
#   sql/migrate.sh [CONNINFO]
#   sql/migrate.sh --release      print this sql/'s release (no database): the baseline's
#                                 version, each numbered migration, the repeatable digest
#
# CONNINFO is a libpq connection string or URI; without it the PG* environment variables
# (PGHOST, PGPORT, PGUSER, PGDATABASE, ...) are used, as by psql.
#
# The baseline, sql/NNN_baseline.sql: the tables, indexes, data and roles the migrations up
# to NNN of earlier releases left, in one file (their functions and views are in
# repeatable/). A database with no migration recorded gets the baseline. A database that
# recorded version NNN under another name (the old NNN file: it was migrated by an earlier
# release) already has all of it: versions up to NNN are history there, neither applied
# nor checked against files. A database that recorded some versions below NNN but not NNN
# itself was migrated by a release older than the one whose last migration was NNN
# (commit 81da513 for 006): refused (run that release's migrate.sh first, then this one).
# Numbered files below the baseline cannot exist; new ones are numbered above it.
#
# Roles: the baseline creates customs_owner, customsd and customs_officer (if missing) and
# gives the schema to customs_owner; everything after it is applied as customs_owner (SET
# ROLE) when the migrating user is a superuser or a member of it, so everything stays its
# own. Run it as a superuser, or as customs_owner itself (LOGIN, with CREATEROLE the first
# time). Concurrent runs on one database wait for each other (advisory lock).
#
# The release: the repeatable phase also records the SHA-256 of the repeatable files (the
# digest below) in customs.schema_release, in its transaction. customsd is built with
# `--release` of its sql/ (the Makefile makes a header of it) and compares on every
# connection: the numbered migrations recorded, and this digest (README "Readiness").
# Exit status: 0 success, 1 failure (nothing of the failing file, or of the repeatable
# phase, is left applied; numbered files applied before it stay).
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
conninfo=${1:-}

die() {
    echo "migrate: $*" >&2
    exit 1
}

# The repeatable digest: SHA-256 of `sha256sum *.sql` run in sql/repeatable (a line per
# file, "hash  name", in name order), so a changed, added, removed or renamed file changes it.
repeatable_digest() {
    (
        LC_ALL=C
        export LC_ALL
        cd "$dir/repeatable" && sha256sum -- *.sql
    ) | sha256sum | cut -c 1-64
}

if [ "$conninfo" = --release ]; then
    command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found"
    for file in "$dir"/[0-9][0-9][0-9]_*.sql; do
        [ -e "$file" ] || die "no migrations found in $dir"
        base=$(basename "$file")
        case $base in
        *_baseline.sql) echo "baseline ${base%%_*}" ;;
        esac
        echo "migration ${base%%_*} $base"
    done
    echo "repeatable $(repeatable_digest)"
    exit 0
fi

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

# Serialises concurrent runs on one database (taken at the start of each transaction).
lock="SELECT pg_advisory_xact_lock(hashtext('customs migrate.sh'))"

# The SET commands a file runs under: once the schema belongs to customs_owner (baseline),
# new objects must belong to it too, so a superuser or a member of customs_owner applies
# the file as that role.
session_setup() {
    as_owner=$(run_psql -A -t -c "SELECT coalesce((SELECT r.rolname = 'customs_owner'
        FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'customs')
        AND current_user <> 'customs_owner' AND pg_has_role('customs_owner', 'MEMBER'), false)") ||
        die "cannot read the owner of schema customs"
    setup="$lock; SET LOCAL search_path = customs, public"
    [ "$as_owner" = t ] && setup="$setup; SET LOCAL ROLE customs_owner"
    echo "$setup"
}

# The bookkeeping table lives in the schema it describes; create both if missing (under
# the lock: a concurrent run waits, then finds them; the -c string is one transaction).
run_psql -o /dev/null -c "$lock;
CREATE SCHEMA IF NOT EXISTS customs;
COMMENT ON SCHEMA customs IS 'customsd: cross-border e-commerce export clearance (CEB603)';
CREATE TABLE IF NOT EXISTS customs.schema_migrations (
    version    text        PRIMARY KEY,  -- the NNN of NNN_name.sql
    name       text        NOT NULL,     -- the file name
    sha256     text,                     -- SHA-256 hex of the file as applied
    applied_at timestamptz NOT NULL DEFAULT now()
);" || die "cannot prepare customs.schema_migrations"

# One line per recorded migration: version sha256 name. Read once, without the lock: a
# concurrent run may record more meanwhile, so each file's transaction checks again.
applied=$(run_psql -A -t -F ' ' -c \
    "SELECT version, coalesce(sha256, '-'), name FROM customs.schema_migrations ORDER BY version") ||
    die "cannot read customs.schema_migrations"

# The baseline's version, if there is one.
baseline=
for file in "$dir"/[0-9][0-9][0-9]_baseline.sql; do
    [ -e "$file" ] || continue
    [ -z "$baseline" ] || die "more than one baseline in $dir"
    base=$(basename "$file")
    baseline=${base%%_*}
done

# ---- 1. numbered migrations ---------------------------------------------------------------
# Applies file :mig_file and records it, unless its version is recorded by now (prints
# "skipped"). Runs after the lock; psql variables mig_version, mig_name, mig_sum, mig_file.
apply_once="
SELECT NOT EXISTS (SELECT 1 FROM customs.schema_migrations WHERE version = :'mig_version')
       AS mig_unrecorded \\gset
\\if :mig_unrecorded
\\i :mig_file
INSERT INTO customs.schema_migrations (version, name, sha256)
VALUES (:'mig_version', :'mig_name', :'mig_sum');
\\else
\\echo skipped
\\endif"
count=0
found=0
for file in "$dir"/[0-9][0-9][0-9]_*.sql; do
    [ -e "$file" ] || die "no migrations found in $dir"
    found=$((found + 1))
    base=$(basename "$file")
    version=${base%%_*}
    sum=$(sha256sum "$file" | cut -d ' ' -f 1)
    recorded=$(printf '%s\n' "$applied" | awk -v v="$version" '$1 == v { print $2 " " $3 }')
    rec_sum=${recorded%% *}
    rec_name=${recorded#* }
    if [ -n "$baseline" ] && [ "$version" -lt "$baseline" ]; then
        die "$base is numbered below the baseline ($baseline): the baseline replaces the" \
            "migrations before it (a file left from an earlier release? remove it; a new" \
            "migration is numbered above the baseline)"
    fi
    if [ -n "$recorded" ]; then
        if [ "$version" = "$baseline" ] && [ "$rec_name" != "$base" ]; then
            continue # recorded by an earlier release as $rec_name: history
        fi
        if [ "$rec_sum" != "-" ] && [ "$rec_sum" != "$sum" ]; then
            die "$base was applied with SHA-256 $rec_sum but the file now has $sum;" \
                "applied migrations must not change (add a new migration instead)"
        fi
        continue
    fi
    if [ "$version" = "$baseline" ]; then
        older=$(printf '%s\n' "$applied" | awk -v v="$version" 'NF && $1 < v { print $1 }' |
            tr '\n' ' ')
        [ -z "$older" ] || die "this database recorded migrations ${older}but not $version:" \
            "it was migrated by a release older than the one whose last migration was" \
            "$version (commit 81da513): run that release's migrate.sh first, then this one"
    fi
    echo "migrate: applying $base"
    setup=$(session_setup) || exit 1
    # One transaction: the file and its bookkeeping row commit together or not at all.
    # After the lock it checks again that the version is still unrecorded: a concurrent run
    # that applied it meanwhile (it held the lock) makes this one skip it.
    # (psql interpolates :'var' only in files and meta-commands, hence the script on stdin.)
    out=$(printf '%s\n' "$apply_once" | run_psql --single-transaction -o /dev/null \
        -v "mig_version=$version" -v "mig_name=$base" -v "mig_sum=$sum" -v "mig_file=$file" \
        -c "$setup" -f -) || die "$base failed; nothing of it was applied"
    if [ "$out" = skipped ]; then
        echo "migrate: $base was applied meanwhile by a concurrent run"
    else
        count=$((count + 1))
    fi
done

# Recorded versions with no file: a newer checkout applied them, or a file was removed.
# (Versions up to the baseline are history: their files are gone on purpose.)
for v in $(printf '%s\n' "$applied" | awk 'NF { print $1 }'); do
    [ -z "$baseline" ] || [ "$v" -gt "$baseline" ] || continue
    set -- "$dir/${v}"_*.sql
    [ -e "$1" ] || echo "migrate: warning: version $v is recorded but has no file in $dir" >&2
done

if [ "$count" -eq 0 ]; then
    echo "migrate: up to date ($found migrations)"
else
    echo "migrate: applied $count migration(s)"
fi

# ---- 2. repeatable files --------------------------------------------------------------------
# After the definitions, in the same transaction: every function, view and trigger of
# schema customs must have been (re)created by it (CREATE OR REPLACE writes a new catalog
# row: its xmin is this transaction's id; views are dropped and created). One that was not
# is defined by no file any more (removed, or an old overload left by changed arguments):
# refused, naming it. It runs before the grants file (*_grants.sql, last): GRANT and REVOKE
# write new catalog rows too, of every function and view.
stale_check="DO \$\$
DECLARE
    this_xact constant bigint := pg_current_xact_id()::text::bigint % 4294967296;
    stale text;
BEGIN
    SELECT string_agg(o.what || ' is defined by no file in sql/repeatable/: drop it in a'
                      || ' numbered migration', E'\n' ORDER BY o.what)
      INTO stale
      FROM (SELECT format('%I.%I(%s)', n.nspname, p.proname,
                          pg_get_function_identity_arguments(p.oid)) AS what, p.xmin
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'customs'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                  AND d.deptype = 'e')
            UNION ALL
            SELECT format('view %I.%I', n.nspname, c.relname), c.xmin
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'customs' AND c.relkind IN ('v', 'm')
            UNION ALL
            SELECT format('trigger %I on %I.%I', t.tgname, n.nspname, c.relname), t.xmin
              FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'customs' AND NOT t.tgisinternal) o
     WHERE o.xmin::text::bigint <> this_xact;
    IF stale IS NOT NULL THEN
        RAISE EXCEPTION '%', stale;
    END IF;
END
\$\$;"
set --
nfiles=0
for file in "$dir"/repeatable/*.sql; do
    [ -e "$file" ] || die "no repeatable files found in $dir/repeatable"
    case $file in
    *_grants.sql) [ -n "$stale_check" ] && set -- "$@" -c "$stale_check" && stale_check= ;;
    esac
    set -- "$@" -f "$file"
    nfiles=$((nfiles + 1))
done
[ -z "$stale_check" ] || set -- "$@" -c "$stale_check"
# Last, in the same transaction: the release of these files, which customsd checks.
digest=$(repeatable_digest)
set -- "$@" -c "INSERT INTO customs.schema_release (id, repeatable_sha256, repeatable_files)
VALUES (true, '$digest', $nfiles)
ON CONFLICT (id) DO UPDATE SET repeatable_sha256 = EXCLUDED.repeatable_sha256,
    repeatable_files = EXCLUDED.repeatable_files, applied_at = now()
WHERE customs.schema_release.repeatable_sha256 IS DISTINCT FROM EXCLUDED.repeatable_sha256;"
setup=$(session_setup) || exit 1
run_psql --single-transaction -o /dev/null -c "$setup" "$@" ||
    die "the repeatable files failed (see above); none of them was applied"
echo "migrate: functions, views, triggers and grants in place ($nfiles repeatable files," \
    "release $(printf '%.12s' "$digest"))"
