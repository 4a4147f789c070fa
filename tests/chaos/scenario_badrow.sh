#!/bin/bash
# scenario_badrow.sh - a batch with bad rows (issue 4, item 6): records that decode and
# pass the rules but that the database refuses must cost only themselves: the batch is
# split, each refused record is quarantined with the database's error, every other record
# of the batch is committed, and the partition moves on.
# The refusal comes from a trigger created in this scenario's own database for a few
# marked parcels (RAISE ... check_violation), standing in for any row PostgreSQL cannot
# take (no natural one was found: the decoder refuses NUL, lone surrogates, non-N19,5
# numbers and over-long keys before they reach SQL, and the schema has no length limits).
# Big batches (1000 records) so that the split goes deep; two instances, one of them
# killed in the middle, so that splitting meets a rebalance too.
source "$(dirname "$0")/lib.sh"
RANDOM=${CHAOS_SCENARIO_SEED:-6}
ch_init badrow
TOTAL=20000
BAD=7
[ "$CHAOS_LONG" = 1 ] && TOTAL=50000 && BAD=25
for id in A B; do ch_config "$id" 1000 200; done

ch_gen "$TOTAL" $((RANDOM * 100)) 10
# The marked parcels: valid ones (class ok) spread over the stream.
awk -F'\t' '$2 == "ok" { print $1 }' "$CH_DIR/expect.tsv" | awk -v n="$BAD" -v seed="$RANDOM" \
    'BEGIN { srand(seed) } { k[NR] = $0 } END { for (i = 0; i < n; i++) print k[int(rand() * NR) + 1] }' |
    sort -u >"$CH_DIR/extra_quarantine.keys"
BAD=$(wc -l <"$CH_DIR/extra_quarantine.keys")
list=$(sed "s/.*/'&'/" "$CH_DIR/extra_quarantine.keys" | paste -sd, -)
q "CREATE FUNCTION customs.chaos_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN
     IF NEW.logistics_no IN ($list) THEN
       RAISE EXCEPTION 'chaos trigger refuses parcel %', NEW.logistics_no
             USING ERRCODE = 'check_violation';
     END IF;
     RETURN NEW;
   END \$\$;
   CREATE TRIGGER chaos_refuse BEFORE INSERT ON customs.declarations
     FOR EACH ROW EXECUTE FUNCTION customs.chaos_refuse();" >/dev/null ||
    ch_fail "cannot create the refusing trigger"
ch_say "$BAD parcels will be refused by the database"

ch_produce "$CH_DIR/chunk.frames"
ch_start A
ch_start B
ch_wait_progress $((TOTAL / 3)) 90 || ch_fail "no progress"
ch_stop B KILL 10
ch_say "B killed at $(ch_committed) committed; A goes on alone"
ch_wait_committed "$(ch_produced)" 180 || ch_fail "only $(ch_committed) of $(ch_produced) committed"
ch_stop A TERM 30
ch_check "A stopped by SIGTERM: exit status" 0 "$CH_RC"

ch_check "refused parcels quarantined with the database's error" "$BAD" \
    "$(q "SELECT count(*) FROM customs.quarantine WHERE logistics_no IN ($list)
            AND reason LIKE '%refused by the database%chaos trigger refuses parcel%'")"
ch_check "refused parcels not in declarations" 0 \
    "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no IN ($list)")"
n=$(($(ch_log_count A 'splitting it to find the record') + $(ch_log_count B 'splitting it to find the record')))
[ "$n" -gt 0 ] && ch_ok "batches split ($n split steps in the logs)" || ch_fail "no split in the logs"
n=$(($(ch_log_count A 'abandoned whole') + $(ch_log_count B 'abandoned whole')))
ch_check "batches abandoned as if the database were down" 0 "$n"
ch_say "example: $(grep -h -m1 'refused by the database' "$CH_DIR/A.log" "$CH_DIR/B.log" | head -n 1 | cut -c1-220)"
q "DROP TRIGGER chaos_refuse ON customs.declarations; DROP FUNCTION customs.chaos_refuse();" >/dev/null
ch_reconcile
ch_finish
