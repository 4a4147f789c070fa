#!/usr/bin/env bash
# test_upgrade.sh - a database made by the previous release upgrades cleanly with
# sql/migrate.sh. The fixture, data/upgrade/main-81da513.sql (made by make_fixture.sh
# there), is a pg_dump of a database migrated by the sql/ of commit 81da513 (migrations
# 001-006, before the baseline) holding what that release's functions wrote: declarations
# in several statuses, a conflict, an amendment, a cancellation, scans (one still pending),
# an officer's decision. Restored into a new database and migrated, it must:
#   - not get the baseline (001-006 are recorded there: history), with no warning;
#   - keep every row of every table as it was;
#   - have exactly the schema of a new database (pg_dump --schema-only: tables, functions,
#     views, triggers, owners, grants) and the same fixed data (status_transitions);
#   - be left as it is by a second run;
#   - (a new database migrated by two runs at once gets the same schema, both succeed);
#   - give, for one more batch and an officer's decision (after.sql), the results and rows
#     the previous release's functions give on the same data, and the expected ones;
#   - pass test_store and test_workflow (customsd end to end), each on a copy of it;
# and migrate.sh's rules hold on it: a new numbered migration applies once and may not
# change afterwards; a database migrated by a release older than 81da513 (001-003) and a
# stale file below the baseline are refused; so are functions, views and triggers that no repeatable file defines.
source "$(dirname "$0")/lib.sh"

N=$T_RUN
FX=tests/integration/data/upgrade
FIXTURE=$FX/main-81da513.sql
UP=it_upgrade_$N      # the fixture, upgraded
OLD=it_upgrade_old_$N # the fixture as the previous release left it
NEW=it_upgrade_new_$N # a new database
DBS=("$UP" "$OLD" "$NEW")

drop_dbs() {
    for db in "${DBS[@]}"; do
        dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
    done
}
trap 'drop_dbs; t_cleanup' EXIT

# same DESCRIPTION EXPECTED ACTUAL: like check, for long values (a diff when they differ).
same() {
    if [ "$2" = "$3" ]; then ok "$1"; else
        fail "$1:"; diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -20; fi
}
qd() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
psql_files() { # DB FILE...: run SQL files, output unaligned
    local db=$1
    shift
    local args=()
    for f in "$@"; do args+=(-f "$f"); done
    PGOPTIONS="-c client_min_messages=warning" psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$db" \
        "${args[@]}"
}
restore() { # DB: a new database holding the fixture
    createdb -T template0 -E UTF8 "$1" && psql_files "$1" "$FIXTURE" >/dev/null
}
copy_db() { # FROM TO
    DBS+=("$2")
    createdb -T "$1" "$2"
}
migrate() { # DB [SQLDIR]: runs migrate.sh, output in $T_DIR/migrate.out; returns its status
    sh "${2:-sql}/migrate.sh" "dbname=$1" >"$T_DIR/migrate.out" 2>&1
}
# The time partitions (018_partitions.sql) are left out: which periods exist depends on the
# rows' times and the day of the run (the DEFAULT partitions are compared).
schema() { # DB: the schema as pg_dump prints it (without the dump's random \restrict key)
    pg_dump --schema-only -T 'customs.status_history_p*' -T 'customs.outbox_p*' \
        -T 'customs.quarantine_p*' -d "$1" | grep -v '^\\\(un\)\{0,1\}restrict '
}
# The inventory number (declarations.invt_no, 009_invt_no.sql) is new by design: the upgrade
# adds it and gives one to each parcel the old release had accepted (checked below), so it
# is left out of the comparison.
# Left out by design: status_transitions, fixed data the numbered migrations extend (compared
# with a new database's below); the tables they create, which the fixture has not:
# quarantine_replays (013_quarantine_replay.sql), alert_log and parcel_holds
# (016_holds_alerts.sql; empty after the upgrade, checked below), quarantine_keys
# (018_partitions.sql; checked below). A partitioned table (018) is summed as one, through
# the parent, whichever partitions hold its rows.
sums() { # DB: rows and checksum of every table's content (but invt_no)
    qd "$1" "SELECT string_agg(format('%s %s %s', c.relname,
                (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM customs.%I t',
                       c.relname), false, true, '')))[1],
                (xpath('/row/m/text()', query_to_xml(format('SELECT md5(coalesce(string_agg(
                       (to_jsonb(t) - ''invt_no'')::text, E''\n''
                       ORDER BY (to_jsonb(t) - ''invt_no'')::text), '''')) AS m
                       FROM customs.%I t', c.relname), false, true, '')))[1]), E'\n'
                ORDER BY c.relname)
              FROM pg_class c
             WHERE c.relnamespace = 'customs'::regnamespace AND c.relkind IN ('r', 'p')
               AND NOT c.relispartition
               AND c.relname NOT IN ('schema_migrations', 'schema_release', 'status_transitions',
                                     'quarantine_replays', 'alert_log', 'parcel_holds',
                                     'quarantine_keys')"
}

# --- the fixture, restored -------------------------------------------------------------
# Its objects belong to the customs roles (run-tests.sh's migration created them already).
qd "${PGDATABASE:-postgres}" "DO \$\$ DECLARE r text; BEGIN
    FOREACH r IN ARRAY ARRAY['customs_owner', 'customsd', 'customs_officer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP; END \$\$"
if ! { restore "$UP" && restore "$OLD"; }; then
    fail "cannot restore $FIXTURE"
    finish
fi
check "fixture: migrations of the previous release recorded" \
    "001 002 003 004 005 006" "$(qd "$UP" "SELECT string_agg(version, ' ' ORDER BY version)
                                             FROM customs.schema_migrations")"
before_sums=$(sums "$UP")

# --- upgrade -------------------------------------------------------------------------------
if migrate "$UP"; then ok "migrate.sh upgrades it"; else fail "migrate.sh: $(cat "$T_DIR/migrate.out")"; fi
baseline=$(basename sql/[0-9][0-9][0-9]_baseline.sql)
if grep -q "applying $baseline" "$T_DIR/migrate.out"; then
    fail "the baseline was applied to a database that has it"
else
    ok "baseline counted as applied ($baseline)"
fi
check "no warning" "" "$(grep -i warning "$T_DIR/migrate.out" || true)"
upgraded_sums=$(sums "$UP")
# The tables the fixture had (a later migration's new tables start empty, and are not its).
same "every row kept" "$before_sums" \
    "$(awk 'NR == FNR { had[$1]; next } $1 in had' <(printf '%s\n' "$before_sums") - <<<"$upgraded_sums")"
check "018: every quarantined row moved with its key (quarantine_keys), in its month" "2 2 0 0" \
    "$(qd "$UP" "SELECT (SELECT count(*) FROM customs.quarantine) || ' ' ||
                        (SELECT count(*) FROM customs.quarantine_keys k JOIN customs.quarantine q
                             ON q.id = k.quarantine_id AND q.received_at = k.received_at
                            AND (q.source_topic, q.source_partition, q.source_offset)
                              = (k.source_topic, k.source_partition, k.source_offset)) || ' ' ||
                        (SELECT count(*) FROM customs.quarantine_default) || ' ' ||
                        (SELECT count(*) FROM customs.status_history_default)")"
check "the tables 016_holds_alerts.sql adds are empty: no alert, no hold" "0 0" \
    "$(qd "$UP" "SELECT (SELECT count(*) FROM customs.alert_log) || ' ' ||
                        (SELECT count(*) FROM customs.parcel_holds)")"
check "the transitions from 1 saved added (010_saved.sql; 1:120 017_matching.sql)" \
    "1:1 1:100 1:120 1:300 1:399 1:500" \
    "$(qd "$UP" "SELECT string_agg(from_code || ':' || to_code, ' ' ORDER BY to_code)
                   FROM customs.status_transitions WHERE from_code = 1")"
check "invtNo given to the parcels the old release had accepted, and to them only" \
    "$(qd "$UP" "SELECT string_agg(logistics_no, ',' ORDER BY logistics_no) FROM customs.declarations
                 WHERE status_code IN (399, 500, 501, 502, 503, 599, 800, 899)")" \
    "$(qd "$UP" "SELECT string_agg(logistics_no, ',' ORDER BY logistics_no) FROM customs.declarations
                 WHERE invt_no ~ '^[0-9]{8}E[0-9]{9}$'")"
check "the parcels as the previous release left them" \
    "FX-ACC-1 899,FX-ACC-2 399,FX-CAN-1 100,FX-INS-1 500,FX-INS-2 502,FX-REJ-1 399,FX-REV-1 300" \
    "$(qd "$UP" "SELECT string_agg(logistics_no || ' ' || status_code, ','
                                   ORDER BY logistics_no)
                   FROM customs.declarations")"

# --- the same schema as a new database -----------------------------------------------------
createdb -T template0 -E UTF8 "$NEW"
migrate "$NEW" || fail "migrate.sh on a new database: $(cat "$T_DIR/migrate.out")"
schema "$UP" >"$T_DIR/schema.up"
schema "$NEW" >"$T_DIR/schema.new"
if diff -u "$T_DIR/schema.new" "$T_DIR/schema.up" >"$T_DIR/schema.diff"; then
    ok "schema equals a new database's ($(grep -c '^CREATE' "$T_DIR/schema.up") CREATE statements)"
else
    fail "schema differs from a new database's:"; head -40 "$T_DIR/schema.diff"
fi
transitions="SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM customs.status_transitions t"
check "status_transitions equal a new database's" "$(qd "$NEW" "$transitions")" \
    "$(qd "$UP" "$transitions")"

for db in "$NEW" "$UP"; do
    for tbl in status_history refused_transitions; do
        if out=$(qd "$db" "TRUNCATE customs.$tbl CASCADE" 2>&1); then
            fail "$db: TRUNCATE customs.$tbl accepted"
        else
            check "$db: $tbl refuses TRUNCATE" 1 \
                "$(printf '%s\n' "$out" | grep -c "customs.$tbl is append-only: TRUNCATE refused")"
        fi
    done
done

# --- two runs at once on a new database: the second waits, then finds it done -------------
CONC=it_upgrade_conc_$N
DBS+=("$CONC")
createdb -T template0 -E UTF8 "$CONC"
sh sql/migrate.sh "dbname=$CONC" >"$T_DIR/conc.1" 2>&1 &
conc1=$!
sh sql/migrate.sh "dbname=$CONC" >"$T_DIR/conc.2" 2>&1 &
conc2=$!
conc_rc=0
wait "$conc1" || conc_rc=$((conc_rc + 1))
wait "$conc2" || conc_rc=$((conc_rc + 1))
if [ "$conc_rc" -eq 0 ]; then ok "two concurrent runs on a new database both succeed"; else
    fail "concurrent runs:"; cat "$T_DIR/conc.1" "$T_DIR/conc.2"; fi
check "each numbered migration applied once" "$(cd sql && echo [0-9][0-9][0-9]_*.sql)" \
    "$(qd "$CONC" "SELECT string_agg(name, ' ' ORDER BY version) FROM customs.schema_migrations")"
if schema "$CONC" | cmp -s - "$T_DIR/schema.new"; then
    ok "after concurrent runs: the schema of a new database"
else
    fail "concurrent runs left another schema:"; schema "$CONC" | diff -u "$T_DIR/schema.new" - | head -40
fi

# --- a second run changes nothing ------------------------------------------------------------
migrate "$UP" || fail "second run: $(cat "$T_DIR/migrate.out")"
check "second run: nothing applied" "" "$(grep applying "$T_DIR/migrate.out" || true)"
if schema "$UP" | cmp -s - "$T_DIR/schema.up"; then ok "second run: schema unchanged"; else
    fail "second run changed the schema"; fi
same "second run: rows unchanged" "$upgraded_sums" "$(sums "$UP")"

# --- migrate.sh's rules on the upgraded database (on copies) -------------------------------
mkdir -p "$T_DIR/sql"
cp -R sql/. "$T_DIR/sql/"
printf 'CREATE TABLE customs.it_upgrade_probe (x integer);\n' >"$T_DIR/sql/999_it_probe.sql"
copy_db "$UP" "${UP}_rules"
if migrate "${UP}_rules" "$T_DIR/sql" && grep -q "applying 999_it_probe.sql" "$T_DIR/migrate.out"; then
    ok "a numbered migration above the baseline applies"
else
    fail "999_it_probe.sql: $(cat "$T_DIR/migrate.out")"
fi
check "its table belongs to customs_owner" "customs_owner" \
    "$(qd "${UP}_rules" "SELECT tableowner FROM pg_tables WHERE tablename = 'it_upgrade_probe'")"
migrate "${UP}_rules" "$T_DIR/sql"
check "then it is up to date" "1" "$(grep -c 'up to date' "$T_DIR/migrate.out")"
printf -- '-- changed\n' >>"$T_DIR/sql/999_it_probe.sql"
if migrate "${UP}_rules" "$T_DIR/sql"; then fail "a changed migration was accepted"; else
    check "a changed migration is refused" 1 \
        "$(grep -c '999_it_probe.sql was applied with SHA-256' "$T_DIR/migrate.out")"
fi
rm "$T_DIR/sql/999_it_probe.sql"
printf 'SELECT 1;\n' >"$T_DIR/sql/001_schema.sql"
if migrate "${UP}_rules" "$T_DIR/sql"; then fail "a file below the baseline was accepted"; else
    check "a stale file below the baseline is refused" 1 \
        "$(grep -c 'numbered below the baseline' "$T_DIR/migrate.out")"
fi
# A function, view or trigger no repeatable file defines (removed from its file, or an old
# overload left by changed arguments) is refused, named, until a migration drops it.
qd "${UP}_rules" "SET ROLE customs_owner;
    CREATE FUNCTION customs.status_name(p_code text) RETURNS text LANGUAGE sql AS 'SELECT p_code';
    CREATE VIEW customs.it_upgrade_stale AS SELECT 1 AS x;
    CREATE TRIGGER it_upgrade_stale BEFORE UPDATE ON customs.declarations
        FOR EACH ROW EXECUTE FUNCTION customs.refuse_change()"
if migrate "${UP}_rules"; then fail "objects defined by no repeatable file were accepted"; else
    check "an old overload defined by no repeatable file is refused, named" 1 \
        "$(grep -c '^ERROR: *customs.status_name(p_code text) is defined by no file in sql/repeatable/: drop it in a numbered migration$' "$T_DIR/migrate.out")"
    check "so is a view" 1 \
        "$(grep -c '^view customs.it_upgrade_stale is defined by no file in sql/repeatable/' "$T_DIR/migrate.out")"
    check "and a trigger" 1 \
        "$(grep -c '^trigger it_upgrade_stale on customs.declarations is defined by no file' "$T_DIR/migrate.out")"
fi
qd "${UP}_rules" "DROP FUNCTION customs.status_name(text); DROP VIEW customs.it_upgrade_stale;
    DROP TRIGGER it_upgrade_stale ON customs.declarations"
if migrate "${UP}_rules"; then ok "dropped, migrate.sh succeeds again"; else
    fail "after dropping them: $(cat "$T_DIR/migrate.out")"; fi
copy_db "$OLD" "${OLD}_half"
qd "${OLD}_half" "DELETE FROM customs.schema_migrations WHERE version >= '004'"
if migrate "${OLD}_half"; then fail "a database migrated by an older release was accepted"; else
    check "a database migrated by an older release (001-003) is refused" 1 \
        "$(grep -c "migrated by a release older than the one whose last migration was 006 (commit 81da513): run that release's migrate.sh first" "$T_DIR/migrate.out")"
fi
check "and left as it was" "0" \
    "$(qd "${OLD}_half" "SELECT count(*) FROM pg_proc WHERE proname = 'ceb603_head'")"

# --- one more batch: the previous functions and the upgraded ones agree ----------------------
copy_db "$UP" "${UP}_tests" # for test_store and test_workflow, below
fx_outbox=$(qd "$OLD" "SELECT coalesce(max(id), 0) FROM customs.outbox")
psql_files "$OLD" "$FX/helpers.sql" "$FX/after.sql" >"$T_DIR/after.old" ||
    fail "after.sql with the previous functions"
psql_files "$UP" "$FX/helpers.sql" "$FX/after.sql" >"$T_DIR/after.up" ||
    fail "after.sql with the upgraded functions"
# By design the upgraded functions write a 120 receipt before each new declaration's
# decision: 3 more outbox rows than the previous functions (14), the one difference in
# their counts.
check "apply_batch's result" '{"scans": 3, "events": 17, "refused": 2, "conflicts": 1, "amendments": 1, "duplicates": 1, "quarantined": 2, "declarations": 3, "cancellations": 1, "pending_scans": 1}' \
    "$(sed -n 1p "$T_DIR/after.up")"
check "the officer's decision" "FX-INS-1|800|released|t" "$(sed -n 2p "$T_DIR/after.up")"
same "results as with the previous functions (but the 120 receipts)" \
    "$(sed '1s/"events": 14/"events": 17/' "$T_DIR/after.old")" "$(cat "$T_DIR/after.up")"
check "120 receipts: one per new declaration of the batch, before its decision, no invtNo" \
    "FX-NEW-1 120,500|FX-NEW-2 120,100|FX-PEND-1 120,399,800" \
    "$(qd "$UP" "SELECT string_agg(key || ' ' || s, '|' ORDER BY key) FROM (
                 SELECT key, string_agg(payload->>'returnStatus', ',' ORDER BY id) s
                   FROM customs.outbox WHERE id > $fx_outbox AND type = 'receipt'
                    AND key IN (SELECT key FROM customs.outbox WHERE id > $fx_outbox
                                   AND payload->>'returnStatus' = '120'
                                   AND payload->'invtNo' = 'null')
                  GROUP BY key) x")"
# One intended difference: the outbox rows written since the upgrade carry nothing internal
# (docs/DESIGN.md "Receipts and warehouse events"). The previous functions' rows, made into
# that shape here (receipts: no actor, note, cause or rules version, returnInfo from the
# reasons only, and reasons only in a 100 or a -1; events: no actor, note, reasons or rules
# version, the cause 'declared' for a first decision), must then equal the upgraded
# functions' rows.
qd "$OLD" "UPDATE customs.outbox o SET payload = CASE WHEN o.type = 'receipt' THEN
        (o.payload - '{actor,note,event,from_status_code,rules_version}'::text[])
        || jsonb_build_object(
               'reasons', CASE WHEN (o.payload->>'status_code')::int IN (100, -1)
                               THEN o.payload->'reasons' ELSE '[]'::jsonb END,
               'returnInfo', customs.return_info((o.payload->>'status_code')::int,
               CASE WHEN (o.payload->>'status_code')::int IN (100, -1) AND o.payload->'reasons' <> '[]'
                    THEN customs.reasons_text(o.payload->'reasons') END))
    ELSE (o.payload - '{actor,note,reasons,rules_version}'::text[])
        || jsonb_build_object('event', coalesce(o.payload->>'event', 'declared'),
                              'from_status_code', o.payload->'from_status_code') END
    WHERE o.id > $fx_outbox"
# status_transitions is fixed data the migrations extend (010_saved.sql, 015_officer_controls.sql):
# checked above against a new database's, not against the previous release's.
psql_files "$OLD" "$FX/rows.sql" | grep -v '^status_transitions ' >"$T_DIR/rows.old"
psql_files "$UP" "$FX/rows.sql" | grep -v '^status_transitions ' >"$T_DIR/rows.up"
if diff -u "$T_DIR/rows.old" "$T_DIR/rows.up" >"$T_DIR/rows.diff"; then
    ok "rows as with the previous functions, outbox payloads without who and why ($(wc -l <"$T_DIR/rows.up") rows)"
else
    fail "rows differ from the previous functions':"; head -40 "$T_DIR/rows.diff"
fi
check "parcels after it (status, version, cancelled)" \
    "FX-ACC-1 899 1 f,FX-ACC-2 300 2 f,FX-CAN-1 100 1 t,FX-INS-1 800 1 f,FX-INS-2 502 1 f,FX-NEW-1 500 1 f,FX-NEW-2 100 1 f,FX-PEND-1 800 1 f,FX-REJ-1 399 2 f,FX-REV-1 100 1 t" \
    "$(qd "$UP" "SELECT string_agg(concat_ws(' ', logistics_no, status_code, version,
                                             cancelled_at IS NOT NULL), ','
                                   ORDER BY logistics_no)
                   FROM customs.declarations")"
check "the pending arrival scan released its parcel" "released" \
    "$(qd "$UP" "SELECT outcome FROM customs.warehouse_scans WHERE logistics_no = 'FX-PEND-1'")"

# --- receipts and events still in the outbox at the upgrade (008_outbox_no_internal.sql) ------
# The fixture's last two rows, written by an officer's decision, carry the officer's login
# and note; left unpublished, the upgrade must rewrite them; published ones stay as sent.
PEND=it_upgrade_pend_$N
DBS+=("$PEND")
restore "$PEND" && qd "$PEND" "UPDATE customs.outbox SET published_at = NULL WHERE id IN (20, 21)" >/dev/null
before_pub=$(qd "$PEND" "SELECT md5(string_agg(payload::text, ',' ORDER BY id)) FROM customs.outbox WHERE id < 20")
check "unpublished rows naming the officer before the upgrade" 2 \
    "$(qd "$PEND" "SELECT count(*) FROM customs.outbox WHERE id IN (20, 21) AND payload ? 'actor' AND payload ? 'note'")"
if migrate "$PEND"; then ok "migrate.sh upgrades a database with unpublished outbox rows"; else
    fail "migrate.sh: $(cat "$T_DIR/migrate.out")"; fi
check "unpublished rows naming the officer or the note after the upgrade" 0 \
    "$(qd "$PEND" "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL
                     AND (payload ?| '{actor,note,rules_version}' OR payload::text ~ 'officer')")"
check "the unpublished receipt's returnInfo: the status in words only" "$(qd "$PEND" "SELECT customs.return_info((payload->>'status_code')::int, NULL) FROM customs.outbox WHERE id = 20")" \
    "$(qd "$PEND" "SELECT payload->>'returnInfo' FROM customs.outbox WHERE id = 20")"
check "the unpublished event's cause kept" "$(qd "$OLD" "SELECT payload->>'event' FROM customs.outbox WHERE id = 21")" \
    "$(qd "$PEND" "SELECT payload->>'event' FROM customs.outbox WHERE id = 21")"
check "published rows untouched" "$before_pub" \
    "$(qd "$PEND" "SELECT md5(string_agg(payload::text, ',' ORDER BY id)) FROM customs.outbox WHERE id < 20")"

# --- the other integration tests on the upgraded database (copies) ---------------------------
if CUSTOMSD_TEST_TEMPLATE="${UP}_tests" "$BUILD/tests/test_store" >"$T_DIR/test_store.out" 2>&1; then
    ok "test_store passes on a copy of the upgraded database"
else
    fail "test_store on a copy of the upgraded database:"; tail -30 "$T_DIR/test_store.out"
fi
if PGDATABASE="${UP}_tests" bash tests/integration/test_workflow.sh >"$T_DIR/test_workflow.out" 2>&1; then
    ok "test_workflow passes on the upgraded database ($(grep -c '^  ok' "$T_DIR/test_workflow.out") checks)"
else
    fail "test_workflow on the upgraded database:"; grep -v '^  ok' "$T_DIR/test_workflow.out" | tail -30
fi

finish
