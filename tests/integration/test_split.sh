#!/bin/bash
# test_split.sh - a record that decodes but that the database refuses costs only itself:
# the batch is split, that record is quarantined with the database's error, every other
# record of the batch is committed, and the partition moves on.
# The refusal comes from a trigger this test adds (and removes) for one marked parcel,
# standing in for any row the database cannot take.
source "$(dirname "$0")/lib.sh"
N=sp${T_RUN}
COUNT=200
cfg=$(write_config "$N" 1000)
"$BUILD/tools/gen_declarations" -n "$COUNT" -s "$T_RUN" -d 0 -w 0 -e "$T_DIR/expect.tsv" \
    -o "$T_DIR/records.frames" 2>/dev/null
poison=$(awk -F'\t' 'NR == 77 { print $2 }' "$T_DIR/expect.tsv")
[ -n "$poison" ] || { fail "no key at line 77 of the generator's expectations"; finish; }

q "CREATE FUNCTION customs.it_refuse_$N() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN
     IF NEW.logistics_no = '$poison' THEN
       RAISE EXCEPTION 'test trigger refuses parcel %', NEW.logistics_no
             USING ERRCODE = 'check_violation';
     END IF;
     RETURN NEW;
   END \$\$;
   CREATE TRIGGER it_refuse_$N BEFORE INSERT ON customs.declarations
     FOR EACH ROW EXECUTE FUNCTION customs.it_refuse_$N();"
cleanup_trigger() {
    q "DROP TRIGGER IF EXISTS it_refuse_$N ON customs.declarations;
       DROP FUNCTION IF EXISTS customs.it_refuse_$N();" || true
}
trap 'cleanup_trigger; t_cleanup' EXIT

produce "$N.declarations" "$T_DIR/records.frames"
start_customsd "$cfg" "$T_DIR/customsd.log"
if wait_committed "$N" "$N.declarations" "$COUNT" 60; then ok "all $COUNT records committed"; else
    fail "only $(committed "$N" "$N.declarations")/$COUNT committed"; fi
stop_customsd TERM
check "exit status" 0 "$STOP_RC"
check "every other declaration recorded" $((COUNT - 1)) \
    "$(q "SELECT count(*) FROM customs.declarations WHERE source_topic = '$N.declarations'")"
check "the refused parcel is not in declarations" 0 \
    "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no = '$poison'")"
check "it is quarantined with the database's error" 1 \
    "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'
          AND logistics_no = '$poison' AND reason LIKE 'refused by the database:%test trigger refuses%'")"
check "nothing else quarantined" 1 "$(q "SELECT count(*) FROM customs.quarantine WHERE source_topic = '$N.declarations'")"
grep -q "splitting it to find the record" "$T_DIR/customsd.log" && ok "log shows the split" || fail "no split in the log"
finish
