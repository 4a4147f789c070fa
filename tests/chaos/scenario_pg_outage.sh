#!/bin/bash
# scenario_pg_outage.sh - PostgreSQL outage (issue 4, item 4). While a stream runs:
#   1. the server is stopped (pg_ctl stop -m fast) for 30 s (60 s with CHAOS_LONG=1), then
#      started again with its data;
#   2. later every customsd session is killed with pg_terminate_backend.
# customsd must pause (partitions paused, the consumer still polled: max.poll.interval.ms
# is set to 10 s here, so an instance that stopped polling during the outage would be
# thrown out of the group), keep its group membership (no revoke, no rejoin during the
# outage), reconnect with backoff, resume at the stored offsets, and quarantine nothing
# because of the outage. Same end-state check as the crash loop.
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-4}
ch_init pg_outage
OUTAGE=30
[ "$CHAOS_LONG" = 1 ] && OUTAGE=60
CH_PROPS='max.poll.interval.ms: "10000"'
ch_config A 500 100
STACK="sh $REPO/tests/stack/stack.sh"

ch_stream $(( (OUTAGE + 25) * 2 / 3 )) 1500 1000 $((RANDOM * 100)) 1
ch_start A
ch_wait_progress 3000 60 || ch_fail "no progress before the outage"
ch_sleep_ms "$(ch_rand 0 1000)"

# 1. Server down for OUTAGE seconds. (No query from here until it is back.)
ch_mark A "PostgreSQL down"
CH_PG_DOWN=1
if $STACK pg-stop 2>"$CH_DIR/stack.err"; then
    ch_say "PostgreSQL stopped for $OUTAGE s"
else
    ch_fail "pg-stop failed: $(cat "$CH_DIR/stack.err")"
fi
sleep "$OUTAGE"
ch_alive A && ch_ok "customsd still running after $OUTAGE s without PostgreSQL" ||
    ch_fail "customsd exited during the outage"
$STACK pg-start 2>"$CH_DIR/stack.err" || ch_fail "pg-start failed: $(cat "$CH_DIR/stack.err")"
CH_PG_DOWN=0
ch_mark A "PostgreSQL up"
ch_say "PostgreSQL started again"
during=$(ch_log_between A "PostgreSQL down" "PostgreSQL up")
grep -q 'database unavailable' <<<"$during" &&
    ch_ok "customsd said it paused: $(printf '%s' "$during" | grep -m1 'database unavailable' | cut -c1-160)" ||
    ch_fail "no 'database unavailable' in the log during the outage"
n=$(printf '%s' "$during" | grep -cE 'partition\(s\) (revoked|assigned)|MAXPOLL|max\.poll|SESSTMOUT' || true)
ch_check "rebalances, session or max.poll timeouts during the outage (group kept)" 0 "$n"
[ "$n" = 0 ] || printf '%s' "$during" | grep -E 'partition\(s\) (revoked|assigned)|MAXPOLL|max\.poll|SESSTMOUT' | head -n 5 | sed 's/^/    /'
before=$(ch_committed)
ch_wait_progress $((before + 1000)) 90 && ch_ok "resumed after the outage" ||
    ch_fail "no progress within 90 s after PostgreSQL came back"
ch_log_between A "PostgreSQL down" "" | grep 'database available again' >/dev/null &&
    ch_ok "customsd logged that it resumed" || ch_fail "no 'database available again' after the outage"

# 2. Dropped connections.
ch_sleep_ms "$(ch_rand 0 1500)"
ch_mark A "backends terminated"
n=$(q "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'chaos-$CH_NAME-A') t")
ch_say "pg_terminate_backend on $n customsd sessions"
before=$(ch_committed)
ch_wait_progress $((before + 1000)) 60 && ch_ok "resumed after pg_terminate_backend" ||
    ch_fail "no progress within 60 s after pg_terminate_backend"
after=$(ch_log_between A "backends terminated" "")
n=$(printf '%s' "$after" | grep -cE 'partition\(s\) (revoked|assigned)|MAXPOLL|max\.poll|SESSTMOUT' || true)
ch_check "rebalances or timeouts after pg_terminate_backend" 0 "$n"

ch_stream_wait
ch_wait_committed "$(ch_produced)" 120 || ch_fail "only $(ch_committed) of $(ch_produced) committed"
ch_stop A TERM 30
ch_check "stopped by SIGTERM: exit status" 0 "$CH_RC"
ch_say "database failures counted by customsd: $(grep -o '[0-9]* database failures' "$CH_DIR/A.log" | tail -n 1)"
ch_reconcile
ch_finish
