#!/bin/bash
# test_ctl_ops.sh - customsctl's operator commands (status, lag, quarantine list / show /
# replay, outbox status) against the real stack, each compared with the database, the
# brokers (kcat) and what was produced:
#   - after an accepted and arrived, a rejected and a quarantined (truncated JSON)
#     declaration: `status` prints the history, `status --json` parses and equals
#     customs.parcel_status and customs.parcel_history;
#   - with customsd stopped and two more records produced: `lag` per partition = the high
#     watermark (kcat) - the stored offset (customs.consumer_offsets), total 2;
#   - `quarantine list` / `show` (the raw bytes exactly as produced) / `replay` of a
#     corrected record: customsd decides it (399), the declaration comes from the replayed
#     record, the replay is recorded (who, corrected, topic/partition/offset); a second
#     replay, a value that would be quarantined again, an unknown id are refused (exit 1);
#   - `outbox status` counts = SQL, with a backlog held while customsd is stopped;
#   - exit codes: 0, 1 (not found), 2 (usage), 3 (database or brokers unreachable).
source "$(dirname "$0")/lib.sh"
N=ctl${T_RUN}
rules=$(rules_copy "$T_DIR/rules") || finish
cfg=$(write_config "$N" 500 "$rules")
C=$BUILD/customsctl

decl() { t_decl "$@"; }
scan() { t_scan "$@"; }

# expect_rc DESCRIPTION RC COMMAND...: runs it (stdout to $T_DIR/out, stderr to $T_DIR/err).
expect_rc() {
    local what=$1 want=$2 rc=0
    shift 2
    "$@" >"$T_DIR/out" 2>"$T_DIR/err" || rc=$?
    if [ "$rc" = "$want" ]; then ok "$what: exit $rc"; else
        fail "$what: exit $rc, expected $want: $(head -c 300 "$T_DIR/err")"
    fi
}

A=$N-A R=$N-R Q=$N-Q
t_batch_init
add_decl "$A"
add_decl "$R" ieFlag=I
add_scan "$A" arrival "2024-05-12T12:00:00+08:00"
# Quarantined: the declaration of Q cut short (not JSON); kept byte-exact.
qjson=$(t_decl "$Q")
printf '%s' "${qjson%?}" >"$T_DIR/q.raw"
frame "$dframes" "$Q" "$T_DIR/q.raw"
nd=$((nd + 1))
start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "phase 1 committed"; else fail "phase 1 not committed"; tail -20 "$T_DIR/customsd.log"; fi

# --- status ---------------------------------------------------------------------------
expect_rc "status of an accepted, arrived parcel" 0 "$C" status -c "$cfg" "$A"
grep -q "^$A: 800 " "$T_DIR/out" && ok "status: current 800 on the first line" ||
    fail "status first line: $(head -1 "$T_DIR/out")"
hist_sql=$(q "SELECT count(*) FROM customs.parcel_history WHERE logistics_no = '$A'")
hist_out=$(sed -n '/^history:/,/^[a-z]/p' "$T_DIR/out" | grep -c '^  20')
check "status: one history line per parcel_history row" "$hist_sql" "$hist_out"
grep -q "  declared  *-> 399 accepted  by rules:" "$T_DIR/out" && grep -q "  arrival  *399 accepted -> 800 released  by scan:" "$T_DIR/out" &&
    ok "status: history reads declared -> 399, then 399 -> 800" ||
    fail "status history: $(cat "$T_DIR/out")"

expect_rc "status --json" 0 "$C" status --json -c "$cfg" "$A"
check "status --json: status, invtNo, version as in parcel_status" \
    "$(q "SELECT concat_ws('|', status_code, status, invt_no, version) FROM customs.parcel_status WHERE logistics_no = '$A'")" \
    "$(jq -r '[.status_code, .status, .invt_no, .version] | map(tostring) | join("|")' "$T_DIR/out")"
check "status --json: history (kind:event:from:to:actor) as in parcel_history" \
    "$(q "SELECT string_agg(concat_ws(':', kind, event, coalesce(from_code::text, 'null'), coalesce(status_code::text, 'null'), actor), ',') FROM customs.parcel_history WHERE logistics_no = '$A'")" \
    "$(jq -r '[.history[] | [.kind, .event, (.from_code | tostring), (.status_code | tostring), .actor] | join(":")] | join(",")' "$T_DIR/out")"
check "status --json: stored offset of the declaration" \
    "$(q "SELECT source_offset FROM customs.declarations WHERE logistics_no = '$A'")" \
    "$(jq -r '.history[] | select(.kind == "status" and .event == "declared") | .source_offset' "$T_DIR/out")"

expect_rc "status of a rejected parcel, --json" 0 "$C" status "$R" --json -c "$cfg"
check "rejected: status and reasons as in the database" \
    "$(q "SELECT status_code || '|' || (SELECT string_agg(r->>'rule_id', ',') FROM jsonb_array_elements(reasons) r) FROM customs.declarations WHERE logistics_no = '$R'")" \
    "$(jq -r '"\(.status_code)|" + ([.reasons[].rule_id] | join(","))' "$T_DIR/out")"
expect_rc "status of a rejected parcel" 0 "$C" status -c "$cfg" "$R"
grep -q "^reasons:" "$T_DIR/out" && grep -q "$(q "SELECT reasons->0->>'rule_id' FROM customs.declarations WHERE logistics_no = '$R'")" "$T_DIR/out" &&
    ok "status: the reasons are printed" || fail "status reasons: $(cat "$T_DIR/out")"

expect_rc "status of an unknown parcel" 1 "$C" status -c "$cfg" "$N-NONE"
grep -q "no declaration" "$T_DIR/err" && ok "unknown parcel: says so" || fail "unknown parcel: $(cat "$T_DIR/err")"
expect_rc "status without LOGISTICS_NO" 2 "$C" status -c "$cfg"
grep -q "^usage: customsctl status" "$T_DIR/err" && ok "usage on stderr" || fail "usage: $(cat "$T_DIR/err")"
expect_rc "status with an unknown option" 2 "$C" status -c "$cfg" --frob "$A"
expect_rc "status --raw (not its option)" 2 "$C" status -c "$cfg" --raw "$A"
expect_rc "status --help" 0 "$C" status --help
grep -q "^exit status: 0 success" "$T_DIR/out" && ok "--help names the exit statuses" || fail "--help: $(cat "$T_DIR/out")"

# --- quarantine list / show -------------------------------------------------------------
QID=$(q "SELECT id FROM customs.quarantine WHERE source_topic = '$N.declarations'")
[ -n "$QID" ] && ok "the truncated record is quarantined (#$QID)" || fail "nothing quarantined"
# The database is shared with the other tests: the limit is what is there, plus one.
expect_rc "quarantine list --json" 0 "$C" quarantine list -c "$cfg" --json \
    --limit "$(($(q "SELECT count(*) FROM customs.quarantine") + 1))"
check "quarantine list: the record with its topic, offset and reason as stored" \
    "$(q "SELECT concat_ws('|', id, source_topic, source_partition, source_offset, reason) FROM customs.quarantine WHERE id = $QID")" \
    "$(jq -r --argjson id "$QID" '.[] | select(.id == $id) | [.id, .source_topic, .source_partition, .source_offset, .reason] | map(tostring) | join("|")' "$T_DIR/out")"
check "quarantine list --json: every record listed" "$(q "SELECT count(*) FROM customs.quarantine")" "$(jq length "$T_DIR/out")"
expect_rc "quarantine list" 0 "$C" quarantine list -c "$cfg"
grep -q "^#$QID .*$N.declarations\[" "$T_DIR/out" && ok "quarantine list: a line for #$QID" ||
    fail "quarantine list: $(head -5 "$T_DIR/out")"
expect_rc "quarantine show --raw" 0 "$C" quarantine show -c "$cfg" --raw "$QID"
cmp -s "$T_DIR/out" "$T_DIR/q.raw" && ok "show --raw: exactly the bytes produced ($(wc -c <"$T_DIR/q.raw"))" ||
    fail "show --raw differs from the produced value"
expect_rc "quarantine show" 0 "$C" quarantine show -c "$cfg" "$QID"
grep -q "^raw value ($(wc -c <"$T_DIR/q.raw") bytes):" "$T_DIR/out" && grep -q '^  00000000  7b 22' "$T_DIR/out" &&
    ok "show: the raw bytes as a hex dump" || fail "show: $(head -12 "$T_DIR/out")"
expect_rc "quarantine show --json" 0 "$C" quarantine show -c "$cfg" --json "$QID"
jq -r .raw_base64 "$T_DIR/out" | base64 -d | cmp -s - "$T_DIR/q.raw" && ok "show --json: raw_base64 = the bytes" ||
    fail "show --json raw_base64"
expect_rc "quarantine show of an unknown id" 1 "$C" quarantine show -c "$cfg" 999999999
expect_rc "quarantine show of a non-number" 2 "$C" quarantine show -c "$cfg" abc
expect_rc "quarantine show --json --raw" 2 "$C" quarantine show -c "$cfg" --json --raw "$QID"

# --- lag, with customsd stopped and two records waiting ---------------------------------
stop_customsd TERM
check "customsd stopped" 0 "$STOP_RC"
B1=$N-B1 B2=$N-B2
add_decl "$B1"
add_decl "$B2" ieFlag=I
produce "$N.declarations" "$dframes"
: >"$dframes"
expect_rc "lag --json" 0 "$C" lag -c "$cfg" --json
check "lag: total = the 2 records produced while customsd was stopped" 2 "$(jq .total_lag "$T_DIR/out")"
check "lag: stored offsets as in consumer_offsets" \
    "$(q "SELECT string_agg(topic || ':' || partition || ':' || next_offset, ',' ORDER BY topic, partition) FROM customs.consumer_offsets WHERE group_id = '$N'")" \
    "$(jq -r '[.partitions[] | select(.stored_offset != null) | "\(.topic):\(.partition):\(.stored_offset)"] | join(",")' "$T_DIR/out")"
bad=0 nparts=0
while read -r topic part high lag stored; do
    nparts=$((nparts + 1))
    khigh=$(kcat -Q -b "$CUSTOMSD_BOOTSTRAP" -t "$topic:$part:-1" 2>/dev/null | awk '{print $NF}')
    [ "$khigh" = "$high" ] || { fail "lag: $topic [$part] high watermark $high, kcat says $khigh"; bad=1; }
    [ "$stored" = null ] && stored=0 # topics start empty: low watermark 0
    [ "$lag" = $((high - stored)) ] || { fail "lag: $topic [$part] lag $lag != $high - $stored"; bad=1; }
done < <(jq -r '.partitions[] | "\(.topic) \(.partition) \(.high_watermark) \(.lag) \(.stored_offset)"' "$T_DIR/out")
[ "$bad" = 0 ] && [ "$nparts" -gt 0 ] && ok "lag: each of $nparts partitions = high watermark (kcat) - stored offset" ||
    fail "lag per partition ($nparts partitions)"
expect_rc "lag" 0 "$C" lag -c "$cfg"
grep -q "^total lag: 2 records" "$T_DIR/out" && ok "lag: total printed" || fail "lag: $(cat "$T_DIR/out")"

# --- outbox status, with a backlog ------------------------------------------------------
q "INSERT INTO customs.outbox (topic, key, type, payload, created_at)
   VALUES ('$N.receipts', '$A', 'receipt', '{}', now() - interval '10 minutes'),
          ('$N.events', '$A', 'release', '{}', now() - interval '5 minutes'),
          ('$N.events', '$A', 'release', '{}', now())"
expect_rc "outbox status --json" 0 "$C" outbox status -c "$cfg" --json
check "outbox status: unpublished rows per topic as in SQL" \
    "$(q "SELECT string_agg(topic || ':' || n, ',' ORDER BY topic) FROM (SELECT topic, count(*) n FROM customs.outbox WHERE published_at IS NULL GROUP BY topic) x")" \
    "$(jq -r '[.topics[] | "\(.topic):\(.unpublished)"] | join(",")' "$T_DIR/out")"
check "outbox status: total" "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")" "$(jq .unpublished "$T_DIR/out")"
age=$(jq '.oldest_age_s | floor' "$T_DIR/out")
[ "$age" -ge 600 ] && [ "$age" -lt 900 ] && ok "outbox status: oldest unpublished ${age} s old" || fail "oldest age $age"
expect_rc "outbox status" 0 "$C" outbox status -c "$cfg"
grep -q "^outbox: $(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL") unpublished rows" "$T_DIR/out" &&
    ok "outbox status: for people" || fail "outbox status: $(cat "$T_DIR/out")"
expect_rc "outbox status with an operand" 2 "$C" outbox status -c "$cfg" extra

# --- quarantine replay ------------------------------------------------------------------
printf '%s' "${qjson%?}x}" >"$T_DIR/still-bad.json"
expect_rc "replay of a value that is still not JSON" 1 "$C" quarantine replay -c "$cfg" "$QID" "$T_DIR/still-bad.json"
grep -q "would quarantine this value again" "$T_DIR/err" && ok "refused: it would be quarantined again" || fail "$(cat "$T_DIR/err")"
expect_rc "replay of an unknown id" 1 "$C" quarantine replay -c "$cfg" 999999999 "$T_DIR/still-bad.json"
printf '%s' "$qjson" >"$T_DIR/corrected.json"
expect_rc "replay of the corrected record (stdin)" 0 "$C" quarantine replay -c "$cfg" --json "$QID" - <"$T_DIR/corrected.json"
cp "$T_DIR/out" "$T_DIR/replay.json"
check "replay: recorded as in quarantine_replays (who, corrected, topic, partition, offset)" \
    "$(q "SELECT concat_ws('|', replayed_by, CASE WHEN corrected THEN 'true' ELSE 'false' END, target_topic, target_partition, target_offset) FROM customs.quarantine_replays WHERE quarantine_id = $QID")" \
    "$(jq -r '[.replayed_by, .corrected, .topic, .partition, .offset] | map(tostring) | join("|")' "$T_DIR/replay.json")"
check "replay: by this user, corrected, to the declarations topic" "$(id -un)|true|$N.declarations" \
    "$(jq -r '[.replayed_by, .corrected, .topic] | map(tostring) | join("|")' "$T_DIR/replay.json")"
expect_rc "a second replay without --force" 1 "$C" quarantine replay -c "$cfg" "$QID" "$T_DIR/corrected.json"
grep -q "replayed 1 time(s) already" "$T_DIR/err" && ok "second replay refused" || fail "$(cat "$T_DIR/err")"
q "DELETE FROM customs.outbox WHERE topic IN ('$N.receipts', '$N.events') AND payload = '{}'"

start_customsd "$cfg" "$T_DIR/customsd.log"
# 3 declarations of phase 1, the 2 waiting, the replayed one.
if wait_committed "$N" "$N.declarations" 6 60; then ok "the waiting and the replayed records committed"; else
    fail "not committed: $(committed "$N" "$N.declarations") of 6"; tail -20 "$T_DIR/customsd.log"
fi
check "the replayed declaration is decided (399) from the replayed record" \
    "399|$(jq -r '"\(.topic)|\(.partition)|\(.offset)"' "$T_DIR/replay.json")" \
    "$(q "SELECT concat_ws('|', status_code, source_topic, source_partition, source_offset) FROM customs.declarations WHERE logistics_no = '$Q'")"
expect_rc "quarantine show after the replay --json" 0 "$C" quarantine show -c "$cfg" --json "$QID"
check "show: the replay's outcome and history" "399|1|$(id -un)" \
    "$(jq -r '[.replay_status_code, (.replay_history | length), .replay_history[0].replayed_by] | map(tostring) | join("|")' "$T_DIR/out")"
expect_rc "quarantine list after the replay" 0 "$C" quarantine list -c "$cfg"
grep -A1 "^#$QID " "$T_DIR/out" | grep -q "replayed .* by $(id -un) as $N.declarations\[.*: 399 accepted" &&
    ok "list: the replay and its outcome" || fail "list after replay: $(grep -A1 "^#$QID " "$T_DIR/out")"
expect_rc "status of the replayed parcel" 0 "$C" status -c "$cfg" "$Q"
grep -q "declared  *-> 399 accepted  by rules:.*\[$N.declarations\[$(jq .partition "$T_DIR/replay.json")\]@$(jq .offset "$T_DIR/replay.json")\]" "$T_DIR/out" &&
    ok "status: decided from the replayed record" || fail "status of the replayed parcel: $(cat "$T_DIR/out")"
expect_rc "lag after the restart" 0 "$C" lag -c "$cfg" --json
check "lag: 0 once customsd caught up" 0 "$(jq .total_lag "$T_DIR/out")"
stop_customsd TERM

# --- unreachable ------------------------------------------------------------------------
sed 's|^  conninfo: ""|  conninfo: "host=127.0.0.1 port=1 connect_timeout=2"|' "$cfg" >"$T_DIR/nodb.yaml"
expect_rc "status with the database unreachable" 3 "$C" status -c "$T_DIR/nodb.yaml" "$A"
grep -q "cannot connect to PostgreSQL" "$T_DIR/err" && ok "says the database is unreachable" || fail "$(cat "$T_DIR/err")"
expect_rc "outbox status with the database unreachable" 3 "$C" outbox status -c "$T_DIR/nodb.yaml"
sed "s|^  bootstrap_servers: .*|  bootstrap_servers: \"127.0.0.1:1\"|" "$cfg" >"$T_DIR/nokafka.yaml"
expect_rc "lag with the brokers unreachable" 3 "$C" lag -c "$T_DIR/nokafka.yaml"
expect_rc "a configuration that does not exist" 3 "$C" lag -c "$T_DIR/none.yaml"
finish
