#!/bin/bash
# test_hostile.sh - hostile input never crashes customsd and is never lost (issue 4, item 7).
# Every record of tests/integration/hostile_records.sh (invalid JSON, invalid UTF-8 and
# lone surrogates, NUL bytes, a record four times the size limit, nesting 100,000 deep,
# 400-digit numbers, NaN/Infinity, duplicate keys, a tombstone, missing keys, wrong types,
# SQL metacharacters and control characters in every field) and every JSONTestSuite parsing
# case (tests/data/jsontestsuite/test_parsing, or CUSTOMSD_JSONTESTSUITE) is produced as one
# Kafka record (all to partition 0 but the two big ones, see hostile_records.sh: the mock
# cluster keeps 5 MiB per partition, so 10 MB cannot be tested end to end here; the
# decoder's size check is the same code for 4 MiB and 10 MB).
# customsd must stay up and commit every offset; each record ends
# either stored byte-exact as a declaration or in quarantine byte-exact with a reason, as
# its class says; every n_ case is quarantined with a reason; the totals reconcile; and
# the valid declaration produced last is stored (the partition moved on).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hostile_records.sh"
N=ho${T_RUN}
JTS=${CUSTOMSD_JSONTESTSUITE:-$PWD/tests/data/jsontestsuite/test_parsing}
[ -d "$JTS" ] || { fail "JSONTestSuite not found at $JTS"; finish; }
cfg=$(write_config "$N" 200)
hostile_build "$T_DIR" "$N" "$JTS"
COUNT=$(wc -l <"$T_DIR/hostile.tsv")
T="$N.declarations"

produced=0
for part in 0 1 2; do
    "$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t "$T" -p "$part" \
        -X message.max.bytes=20000000 -f "$T_DIR/hostile.p$part.frames" >"$T_DIR/produce.out" 2>&1 ||
        { fail "kafka_produce: $(cat "$T_DIR/produce.out")"; finish; }
    produced=$((produced + $(sed -n 's/^produced \([0-9]*\) .*/\1/p' "$T_DIR/produce.out")))
done
check "records produced" "$COUNT" "$produced"
check "records on the topic (the mock kept them all)" "$COUNT" \
    "$(kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t "$T" -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)"

start_customsd "$cfg" "$T_DIR/customsd.log"
if wait_committed "$N" "$T" "$COUNT" 120; then ok "all $COUNT offsets committed"; else
    fail "only $(committed "$N" "$T")/$COUNT committed"; tail -n 20 "$T_DIR/customsd.log"; fi
kill -0 "$CUSTOMSD_PID" 2>/dev/null && ok "customsd still running" || fail "customsd died"
stop_customsd TERM
check "customsd exits 0 on SIGTERM" 0 "$STOP_RC"
grep -qE 'AddressSanitizer|runtime error|Segmentation|Aborted' "$T_DIR/customsd.log" &&
    fail "sanitizer or crash report in the log"

# What became of every offset, in one table: the expectations next to the outcome.
psql -X -q -v ON_ERROR_STOP=1 >"$T_DIR/outcome.tsv" 2>"$T_DIR/psql.err" <<SQL || fail "outcome query: $(cat "$T_DIR/psql.err")"
CREATE TEMP TABLE h (p int, i bigint, lno text, class text, label text, sha text);
\copy h FROM '$T_DIR/hostile.tsv'
\pset format unaligned
\pset tuples_only on
\pset fieldsep '\t'
SELECT h.p || '@' || h.i, h.class, h.label,
       CASE WHEN d.logistics_no IS NOT NULL AND x.id IS NOT NULL THEN 'both'
            WHEN d.logistics_no IS NOT NULL THEN 'stored'
            WHEN x.id IS NOT NULL THEN 'quarantined' ELSE 'missing' END,
       -- stored: the key is the payload's logisticsNo, and the payload is byte-exact
       CASE WHEN d.logistics_no IS NULL THEN '-'
            WHEN d.logistics_no = h.lno AND d.content_sha256 = h.sha
                 AND encode(sha256(convert_to(d.payload, 'UTF8')), 'hex') = h.sha THEN 'exact'
            ELSE 'DIFFERENT' END,
       -- quarantined: raw bytes byte-exact (a tombstone is kept as zero bytes), a reason
       CASE WHEN x.id IS NULL THEN '-'
            WHEN coalesce(x.reason, '') = '' THEN 'NO-REASON'
            WHEN h.sha = 'null' AND length(x.raw) = 0 THEN 'exact'
            WHEN encode(sha256(x.raw), 'hex') = h.sha THEN 'exact'
            ELSE 'DIFFERENT' END,
       coalesce(replace(replace(x.reason, E'\t', ' '), E'\n', ' '), '-')
  FROM h
  LEFT JOIN customs.declarations d ON d.source_topic = '$T' AND d.source_partition = h.p
       AND d.source_offset = h.i
  LEFT JOIN customs.quarantine x ON x.source_topic = '$T' AND x.source_partition = h.p
       AND x.source_offset = h.i
 ORDER BY h.p, h.i;
SQL

bad=0
while IFS=$'\t' read -r i class label outcome stored quar reason; do
    want=
    case $class in
    store | reject) want=stored ;;
    quarantine | jts_*) want=quarantined ;;
    either) want='stored|quarantined' ;;
    esac
    if ! [[ $outcome =~ ^($want)$ ]] || [ "$stored" = DIFFERENT ] || [ "$quar" = DIFFERENT ] ||
        [ "$quar" = NO-REASON ]; then
        bad=$((bad + 1))
        echo "    record $i $label ($class): $outcome, stored $stored, quarantine $quar: ${reason:0:160}"
    fi
done <"$T_DIR/outcome.tsv"
check "records whose outcome breaks their class (of $COUNT)" 0 "$bad"
check "outcome rows" "$COUNT" "$(wc -l <"$T_DIR/outcome.tsv")"

# Reasons say what is wrong. (Loose patterns: the point is that a person can tell.)
reason_of() { awk -F'\t' -v l="$1" '$3 == l { print $7 }' "$T_DIR/outcome.tsv"; }
reason_like() { # LABEL ERE
    local r
    r=$(reason_of "$1")
    if printf '%s' "$r" | grep -qiE -- "$2"; then ok "$1: $r"; else fail "$1: reason '$r' does not match /$2/"; fi
}
reason_like truncated 'json|end of input|unexpected'
reason_like utf8_ff 'utf-?8'
reason_like lone_high_surrogate 'surrogate|utf|escape'
reason_like nul_raw_in_string 'control|nul|character|json'
reason_like size_4MB 'bytes|large|size|limit'
reason_like depth_100000_arrays 'deep|depth|nest'
reason_like nan 'nan|json|unexpected'
reason_like dup_key_head 'duplicate'
reason_like dup_key_item 'duplicate'
reason_like tombstone 'tombstone|null|empty'
reason_like missing_logisticsNo 'logisticsNo'
# A readable declaration with a field breaking the CEB603 format is rejected (issue 10):
# status 100, the reason CEB603-FORMAT names the field; never quarantined.
lno_of() { awk -F'\t' -v l="$1" '$5 == l { print $3 }' "$T_DIR/hostile.tsv"; }
rejected_like() { # LABEL ERE
    local r
    r=$(q "SELECT status_code || ' ' || (r->>'rule_id') || ': ' || (r->>'message')
             FROM customs.parcel_status p, jsonb_array_elements(p.reasons) r
            WHERE p.logistics_no = '$(lno_of "$1")'")
    if printf '%s' "$r" | grep -qE -- "^100 CEB603-FORMAT: .*($2)"; then ok "$1: ${r:0:140}"
    else fail "$1: '$r' is not a CEB603-FORMAT rejection matching /$2/"; fi
}
rejected_like nul_escape_known_field 'note: .*NUL'
rejected_like number_400_digits 'grossWeight: is a number of 19 or more digits'
rejected_like number_400_digits_string "grossWeight: '9999.*digits before"
rejected_like number_exp_huge 'freight: 1e400'
rejected_like items_101 'items: has 101 entries'
rejected_like wrong_type_items 'items: .*list of items'
rejected_like wrong_type_items_scalars 'items\[0\]: 1 is a number'
rejected_like wrong_type_packNo "packNo: 'abc'"
rejected_like wrong_type_grossWeight 'grossWeight: true'
rejected_like wrong_type_string_field 'ebcName: \{"a":1\}'
rejected_like wrong_type_gnum 'gnum: 1.5'
rejected_like nan_string "freight: 'NaN'"
check "every record of class reject: status 100 by CEB603-FORMAT, nothing quarantined" \
    "$(awk -F'\t' '$4 == "reject"' "$T_DIR/hostile.tsv" | wc -l)" \
    "$(awk -F'\t' '$4 == "reject" { print $3 }' "$T_DIR/hostile.tsv" | while read -r l; do
        q "SELECT count(*) FROM customs.parcel_status p WHERE logistics_no = '$l' AND status_code = 100
             AND reasons @> '[{\"rule_id\": \"CEB603-FORMAT\"}]'
             AND NOT EXISTS (SELECT 1 FROM customs.quarantine x WHERE x.logistics_no = p.logistics_no)"
    done | awk '{ s += $1 } END { print s + 0 }')"

# JSONTestSuite
if [ -n "$JTS" ]; then
    for c in n y i; do
        total=$(awk -F'\t' -v c="jts_$c" '$2 == c' "$T_DIR/outcome.tsv" | wc -l)
        quar=$(awk -F'\t' -v c="jts_$c" '$2 == c && $4 == "quarantined" && $6 == "exact"' "$T_DIR/outcome.tsv" | wc -l)
        check "JSONTestSuite ${c}_ cases quarantined byte-exact with a reason" "$total" "$quar"
    done
    [ "$(awk -F'\t' '$2 == "jts_n"' "$T_DIR/outcome.tsv" | wc -l)" -gt 0 ] || fail "no n_ case was produced"
fi

# Totals reconcile: every record is one declaration or one quarantine row.
check "records = declarations + quarantine rows" "$COUNT" \
    "$(q "SELECT (SELECT count(*) FROM customs.declarations WHERE source_topic = '$T') +
                 (SELECT count(*) FROM customs.quarantine WHERE source_topic = '$T')")"
check "stored offsets = end of the partitions" "$COUNT" "$(committed "$N" "$T")"
check "the last record (valid) was stored: the partition moved on" 1 \
    "$(q "SELECT count(*) FROM customs.declarations WHERE logistics_no = '$N-V1'")"
check "declarations table intact after SQL text in every field" t \
    "$(q "SELECT to_regclass('customs.declarations') IS NOT NULL AND to_regclass('customs.quarantine') IS NOT NULL")"
# A stored field holds exactly what the JSON said (PostgreSQL's own JSON decoding agrees).
check "SQL text stored as data, field by field" 0 "$(q "SELECT count(*) FROM customs.declarations
    WHERE source_topic = '$T' AND logistics_no LIKE '$N-Q%'
      AND (ebc_name IS DISTINCT FROM payload::jsonb->>'ebcName'
           OR order_no IS DISTINCT FROM payload::jsonb->>'orderNo'
           OR guid IS DISTINCT FROM payload::jsonb->>'guid'
           OR country IS DISTINCT FROM payload::jsonb->>'country'
           OR app_time IS DISTINCT FROM payload::jsonb->>'appTime')")"
check "SQL text in items stored as data" 0 "$(q "SELECT count(*) FROM customs.declaration_items i
    JOIN customs.declarations d USING (logistics_no)
    WHERE d.source_topic = '$T' AND d.logistics_no LIKE '$N-Q%' AND i.line_no = 1
      AND (i.gname IS DISTINCT FROM d.payload::jsonb->'items'->0->>'gname'
           OR i.item_no IS DISTINCT FROM d.payload::jsonb->'items'->0->>'itemNo'
           OR i.gcode IS DISTINCT FROM d.payload::jsonb->'items'->0->>'gcode')")"
check "a declaration with SQL text is decided by the rules (rejected), not dropped" 100 \
    "$(q "SELECT status_code FROM customs.declarations WHERE logistics_no = '$N-Q13'")"
finish
