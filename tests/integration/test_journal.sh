#!/bin/bash
# test_journal.sh - customsd's lines in the journal with fields (issue 13 item 2), against a
# real systemd-journald: the test re-runs itself in a private mount namespace (unshare -m, as
# root) with a tmpfs on /run, starts /lib/systemd/systemd-journald there (no systemd as
# PID 1 is needed: it makes /run/systemd/journal/socket and writes /run/log/journal), and
# runs customsd with stderr connected to the journal by systemd-cat and $JOURNAL_STREAM
# naming that stream, as systemd.exec(5) sets it. Without root, unshare or journald the test
# says so and skips.
#   An accepted, a rejected and an undecodable declaration are produced; then for each
#   decided parcel `journalctl LOGISTICS_NO=...` finds exactly one entry, whose TOPIC, PARTITION,
#   OFFSET, STATUS_CODE and RULE_IDS are what the database recorded for it (status_history,
#   quarantine), PRIORITY is 6 (info) or 4 (warn, the quarantine), SYSLOG_IDENTIFIER is
#   customsd and MESSAGE the line's text; the undecodable record (no logisticsNo could be
#   read) is found by its TOPIC, PARTITION and OFFSET. Lines that are not about a record (the start line)
#   carry no record fields. No MESSAGE holds a line break, and the password in the
#   configuration's conninfo appears nowhere in the journal.
if [ -z "${CUSTOMSD_JOURNAL_NS:-}" ]; then
    why=""
    [ "$(id -u)" = 0 ] || why="not root"
    command -v unshare >/dev/null 2>&1 || why="no unshare"
    command -v systemd-cat >/dev/null 2>&1 || why="no systemd-cat"
    [ -x /lib/systemd/systemd-journald ] || why="no /lib/systemd/systemd-journald"
    if [ -n "$why" ]; then
        echo "  skip: $why: the journal cannot be run in a namespace here (test_log covers the fields)"
        exit 0
    fi
    CUSTOMSD_JOURNAL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

# ---- a journal of our own ---------------------------------------------------------------------
mount -t tmpfs -o mode=0755 tmpfs /run || { fail "cannot mount a tmpfs on /run"; finish; }
[ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal # never the host's journal
mkdir -p /run/systemd/journal /run/log/journal
/lib/systemd/systemd-journald >"$T_DIR/journald.out" 2>&1 &
T_PIDS+=($!)
deadline=$(( $(date +%s) + 10 ))
until [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "journald did not start: $(head -3 "$T_DIR/journald.out")"; finish; }
    sleep 0.05
done
ok "systemd-journald runs in a private /run"
jctl() { journalctl -D /run/log/journal --no-pager -q "$@"; }

# ---- customsd with stderr on the journal ------------------------------------------------------
N=jn${T_RUN}
DT=$N.declarations
rules=$(rules_copy "$T_DIR/rules")
cfg=$(write_config "$N" 50 "$rules")
SECRET="pw-$T_RUN-journal"
# The stack trusts local connections: the password is never checked, only carried.
sed -i "s|^  conninfo: \"\"$|  conninfo: \"password=$SECRET\"|" "$cfg"
grep -q "$SECRET" "$cfg" || { fail "could not set the conninfo"; finish; }
ACC=$N-ACC REJ=$N-REJ BAD=$N-BAD
: >"$T_DIR/in.frames"
frame_json "$T_DIR/in.frames" "$ACC" "$(t_decl "$ACC")"
frame_json "$T_DIR/in.frames" "$REJ" "$(t_decl "$REJ" ieFlag=I)"
frame_json "$T_DIR/in.frames" "$BAD" "{\"logisticsNo\":\"$BAD\",\"items\":["
produce "$DT" "$T_DIR/in.frames"

# systemd-cat connects stdout and stderr to journald's stream socket and execs the command;
# JOURNAL_STREAM is the device:inode of that socket, as systemd sets it for a service.
systemd-cat -t customsd-stream bash -c \
    'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec "$0" -c "$1"' \
    "$BUILD/customsd" "$cfg" &
CUSTOMSD_PID=$!
T_PIDS+=("$CUSTOMSD_PID")
wait_committed "$N" "$DT" 3 60 || fail "records not committed"
stop_customsd TERM
check "customsd exits 0 on SIGTERM" 0 "$STOP_RC"
journalctl -D /run/log/journal --sync >/dev/null 2>&1 || true

# entry LNO: the journal entries of a parcel, one JSON object per line
entry() { jctl -o json "LOGISTICS_NO=$1"; }
field() { jq -r --arg f "$2" '.[$f] // "none"' <<<"$1"; }
hist() { q "SELECT source_topic || ' ' || source_partition || ' ' || source_offset || ' ' ||
               status_code || ' ' || coalesce(nullif(array_to_string(rule_ids, ','), ''), 'none')
             FROM customs.status_history WHERE logistics_no = '$1'"; }
fields_of() { # JSON: "TOPIC PARTITION OFFSET STATUS_CODE RULE_IDS"
    echo "$(field "$1" TOPIC) $(field "$1" PARTITION) $(field "$1" OFFSET) $(field "$1" STATUS_CODE) $(field "$1" RULE_IDS)"
}

for lno in "$ACC" "$REJ"; do
    e=$(entry "$lno")
    check "$lno: one journal entry" 1 "$(grep -c . <<<"$e")"
    check "$lno: fields as recorded (topic partition offset status rules)" "$(hist "$lno")" "$(fields_of "$e")"
    check "$lno: PRIORITY, SYSLOG_IDENTIFIER" "6 customsd" "$(field "$e" PRIORITY) $(field "$e" SYSLOG_IDENTIFIER)"
    case "$(field "$e" MESSAGE)" in
        "parcel $lno ($DT ["*"] offset "*"): recorded "*) ok "$lno: MESSAGE $(field "$e" MESSAGE | cut -c1-90)" ;;
        *) fail "$lno: MESSAGE '$(field "$e" MESSAGE)'" ;;
    esac
done
check "rejected by a rule (RULE_IDS non-empty)" "CEB603-IEFLAG" "$(field "$(entry "$REJ")" RULE_IDS)"
check "accepted without rules" "399 none" "$(field "$(entry "$ACC")" STATUS_CODE) $(field "$(entry "$ACC")" RULE_IDS)"

# The undecodable record: its logisticsNo could not be read (NULL in the quarantine too),
# so it is found by where it was: TOPIC, PARTITION, OFFSET.
read -r qt qp qo <<<"$(q "SELECT source_topic || ' ' || source_partition || ' ' || source_offset
                          FROM customs.quarantine WHERE source_topic = '$DT'")"
e=$(jctl -o json "TOPIC=$qt" "PARTITION=$qp" "OFFSET=$qo")
check "quarantined record: one journal entry at $qt [$qp] $qo" 1 "$(grep -c . <<<"$e")"
check "quarantined record: no parcel, status or rules fields, PRIORITY 4 (warn)" "none none none 4" \
    "$(field "$e" LOGISTICS_NO) $(field "$e" STATUS_CODE) $(field "$e" RULE_IDS) $(field "$e" PRIORITY)"
case "$(field "$e" MESSAGE)" in
    "record $qt [$qp] offset $qo quarantined (logisticsNo unknown): invalid JSON"*) ok "quarantined record: MESSAGE says why" ;;
    *) fail "quarantined record: MESSAGE '$(field "$e" MESSAGE)'" ;;
esac
check "one entry per record (LOGISTICS_NO or quarantined)" 3 \
    "$(( $(jctl -o json LOGISTICS_NO="$ACC" LOGISTICS_NO="$REJ" | grep -c .) + $(grep -c . <<<"$e") ))"

start=$(jctl -o json SYSLOG_IDENTIFIER=customsd | jq -c 'select(.MESSAGE | startswith("customsd ") and contains(" starting: "))')
check "start line: one entry, no record fields" "1 none none" \
    "$(grep -c . <<<"$start") $(field "$start" LOGISTICS_NO) $(field "$start" TOPIC)"
total=$(jctl -o json SYSLOG_IDENTIFIER=customsd | grep -c .)
multi=$(jctl -o json SYSLOG_IDENTIFIER=customsd | jq -r 'select((.MESSAGE | type) != "string" or (.MESSAGE | test("[\n\r]")))' | grep -c . || true)
check "no MESSAGE of $total holds a line break" 0 "$multi"
check "nothing went to the stream instead (customsd-stream)" 0 \
    "$(jctl -o cat SYSLOG_IDENTIFIER=customsd-stream | grep -c . || true)"
check "the conninfo password nowhere in the journal" 0 "$(jctl -o export | grep -c -- "$SECRET" || true)"
finish
