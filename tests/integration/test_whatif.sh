#!/bin/bash
# test_whatif.sh - customsctl whatif against parcels decided by the real pipeline:
#   - an identical rules file: 0 changed, exit 0;
#   - the EAEU 200 EUR rule of 2024 (the one in effect on the parcels' ieDate) switched from flag to review: exactly the parcels customsd
#     accepted (399) with that flag among their stored reasons go 399 -> 300 (counted in SQL
#     from customs.declarations, i.e. from the daemon's own decisions), by that rule, and the
#     --json report agrees with the text one;
#   - --max-changed gates: over the bound exit 4 (count and percentage), within it exit 0;
#   - usage errors exit 2, a bad rules file exit 1.
source "$(dirname "$0")/lib.sh"
N=whatif${T_RUN}
rules=$(rules_copy "$T_DIR/rules") || finish
cfg=$(write_config "$N" 500 "$rules")
C=$BUILD/customsctl
RULE=EAEU-RU-EUR200-2024

decl() { t_decl "$@"; }

expect_rc() {
    local what=$1 want=$2 rc=0
    shift 2
    "$@" >"$T_DIR/out" 2>"$T_DIR/err" || rc=$?
    if [ "$rc" = "$want" ]; then ok "$what: exit $rc"; else
        fail "$what: exit $rc, expected $want: $(head -c 300 "$T_DIR/err")"
    fi
}

# Only this test's parcels: declared from now on.
since=$(q "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")

t_batch_init
for i in $(seq 1 12); do add_decl "$N-HI-$i" price=4500.00 totalPrice=9000.00; done
for i in $(seq 1 8); do add_decl "$N-LO-$i" price=25.00 totalPrice=50.00; done
for i in $(seq 1 5); do add_decl "$N-RJ-$i" ieFlag=I price=4500.00 totalPrice=9000.00; done
start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "25 declarations committed"; else fail "not committed"; tail -20 "$T_DIR/customsd.log"; finish; fi

total=$(q "SELECT count(*) FROM customs.declarations WHERE declared_at >= '$since'")
check "declarations since the start" 25 "$total"
want=$(q "SELECT count(*) FROM customs.declarations WHERE declared_at >= '$since'
          AND status_code IN (399, 500) AND reasons @> '[{\"rule_id\": \"$RULE\"}]'")
[ "$want" -gt 0 ] && ok "some accepted parcels carry the $RULE flag ($want)" ||
    fail "no accepted parcel carries $RULE: the test would prove nothing"

# --- identical rules ----------------------------------------------------------------------
cp "$rules" "$T_DIR/rules/same.yaml"
expect_rc "identical rules" 0 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/same.yaml" --since "$since" --max-changed 0
grep -q "^declarations:  25 re-decided" "$T_DIR/out" && ok "identical: 25 re-decided" || fail "identical: $(cat "$T_DIR/out")"
grep -q "^changed:       0 (0.00%)" "$T_DIR/out" && ok "identical: 0 changed" || fail "identical: $(cat "$T_DIR/out")"
grep -q "per minute$" "$T_DIR/out" && ok "prints the rate" || fail "no rate: $(tail -2 "$T_DIR/out")"

# --- flag -> review -----------------------------------------------------------------------
awk -v id="  - id: $RULE" '$0 == id {hit = 1} hit && /^    action: flag$/ {sub(/flag/, "review"); hit = 0} {print}' \
    "$rules" >"$T_DIR/rules/review.yaml"
check "the changed file differs in one line" 1 "$(diff "$rules" "$T_DIR/rules/review.yaml" | grep -c '^>')"
expect_rc "flag -> review, --json" 0 "$C" whatif --json -c "$cfg" --rules "$T_DIR/rules/review.yaml" --since "$since" --examples 3
check "json: declarations" 25 "$(jq -r .declarations "$T_DIR/out")"
check "json: changed = accepted parcels with $RULE (SQL)" "$want" "$(jq -r .changed "$T_DIR/out")"
check "json: all changes are 399 -> 300" "399>300:$want" \
    "$(jq -r '[.transitions[] | "\(.from)>\(.to):\(.count)"] | join(",")' "$T_DIR/out")"
check "json: the rule's hits are unchanged, none newly / no longer" "$((want + 5)):$((want + 5)):0:0" \
    "$(jq -r --arg r "$RULE" '.rules[] | select(.rule_id == $r) | "\(.hit_current):\(.hit_new):\(.newly):\(.no_longer)"' "$T_DIR/out")"
check "json: $RULE is in every change" "$want" \
    "$(jq -r --arg r "$RULE" '.rules[] | select(.rule_id == $r) | .changed_with' "$T_DIR/out")"
check "json: 3 examples, each 399 -> 300 by $RULE flag -> review" "3" \
    "$(jq -r --arg r "$RULE:flag->review" '[.examples[] | select(.from == 399 and .to == 300 and .rules == $r)] | length' "$T_DIR/out")"
for l in $(jq -r '.examples[].logistics_no' "$T_DIR/out"); do
    check "example $l is accepted with $RULE in the database" 1 \
        "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no = '$l' AND status_code = 399 AND reasons @> '[{\"rule_id\": \"$RULE\"}]'")"
done
# The text report: the transition line with the same count.
expect_rc "flag -> review, text" 0 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/review.yaml" --since "$since"
grep -Eq "^  399 accepted +-> 300 [a-z_ ]+ +$want " "$T_DIR/out" && ok "text: 399 -> 300 $want" ||
    fail "text: $(cat "$T_DIR/out")"
grep -Eq "^          $RULE +$((want + 5)) +$((want + 5)) +0 +0 +$want " "$T_DIR/out" && ok "text: by rule: $RULE in the $want changes" || fail "text: $(cat "$T_DIR/out")"

# --- --max-changed ------------------------------------------------------------------------
expect_rc "--max-changed below the count" 4 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/review.yaml" --since "$since" --max-changed $((want - 1))
expect_rc "--max-changed at the count" 0 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/review.yaml" --since "$since" --max-changed "$want"
expect_rc "--max-changed 1%" 4 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/review.yaml" --since "$since" --max-changed 1%
expect_rc "--max-changed 100%" 0 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/review.yaml" --since "$since" --max-changed 100%
expect_rc "--limit 0 --max-changed 0: nothing compared" 0 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/review.yaml" --since "$since" --limit 0 --max-changed 0
expect_rc "--limit 5 --json" 0 "$C" whatif -c "$cfg" --json --rules "$T_DIR/rules/review.yaml" --since "$since" --limit 5
check "--limit 5 re-decides 5" 5 "$(jq -r .declarations "$T_DIR/out")"

# --- errors -------------------------------------------------------------------------------
expect_rc "no --rules" 2 "$C" whatif -c "$cfg"
expect_rc "bad --max-changed" 2 "$C" whatif -c "$cfg" --rules "$rules" --max-changed 5x
expect_rc "bad --since" 2 "$C" whatif -c "$cfg" --rules "$rules" --since yesterday
printf 'version: 1\nrules: [\n' >"$T_DIR/rules/bad.yaml"
expect_rc "a bad rules file" 1 "$C" whatif -c "$cfg" --rules "$T_DIR/rules/bad.yaml"
finish
