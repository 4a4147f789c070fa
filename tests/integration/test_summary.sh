#!/bin/bash
# test_summary.sh - the monthly summary declaration (汇总申报, CEB701; sql/019_summary.sql,
# sql/repeatable/65_summary.sql): parcels of two e-commerce enterprises declared, arrived and
# departed (899) through Kafka and customsd, their closing moved into May 2026 as the port
# keeps time (Asia/Shanghai: a parcel closed at 00:30 on 1 June in Mishan is June's though
# it is still 31 May in UTC); then:
#   - summary_lines groups May's inventories per ebcCode, trafMode, ownerCode, country,
#     portCode, gcode, currency and unit; quantities and values equal the items' sums;
#     parcels not closed, or closed in June, are not in it;
#   - file_summary files one summary per enterprise; filing again returns the same ones and
#     the same lines; a filed inventory is in no other summary (the key refuses it), nor in
#     what is computed afterwards; a month not over yet is refused;
#   - an officer reads customs.filed_summaries;
#   - customsctl summary prints the same lines for people, as CSV, JSON and a CEB701
#     message, files a month with --file, and exits 1 for a month not over or with nothing.
source "$(dirname "$0")/lib.sh"
N=sm${T_RUN}
OFFICER=it_officer_$N
cfg=$(write_config "$N" 200 "$(rules_copy "$T_DIR/rules")")
q "CREATE ROLE $OFFICER LOGIN IN ROLE customs_officer"
trap 'q "DROP ROLE IF EXISTS $OFFICER" >/dev/null || true; t_cleanup' EXIT
as_officer() { psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$OFFICER" -c "$1" 2>&1; }
# decl LNO EBC GCODE QTY PRICE: one item, qty x price.
decl() {
    local total; total=$(awk -v q="$4" -v p="$5" 'BEGIN {printf "%.2f", q * p}')
    t_decl "$1" gcode="$3" qty="$4" price="$5" totalPrice="$total" | sed "s/\"ebcCode\":\"2303960002\"/\"ebcCode\":\"$2\"/"
}
scan() {
    printf '{"logisticsNo":"%s","scan":"%s","scannedAt":"%s","loctNo":"1900W00001","totalPackageNo":"PKG-%s"}' \
        "$1" "$2" "$3" "$N"
}
# Enterprises of this run alone (a kept stack holds the filed summaries of earlier runs).
EA=$(printf '23039%05d' $((RANDOM % 50000))) EB=$(printf '23039%05d' $((50000 + RANDOM % 50000)))
GUITAR=9207900000 TOYS=9503006000
# May: A1, A2 (guitars), A3 (toys), B1; June in Mishan (31 May UTC): A4; not closed: A5.
t_batch_init
add_decl "$N-A1" $EA $GUITAR 2 699.50
add_decl "$N-A2" $EA $GUITAR 1 120.25
add_decl "$N-A3" $EA $TOYS 3 10.10
add_decl "$N-B1" $EB $GUITAR 1 300
add_decl "$N-A4" $EA $GUITAR 1 99
add_decl "$N-A5" $EA $GUITAR 1 88
for p in A1 A2 A3 B1 A4 A5; do add_scan "$N-$p" arrival "2024-05-12T12:00:00+08:00"; done
for p in A1 A2 A3 B1 A4; do add_scan "$N-$p" departure "2024-05-12T13:00:00+08:00"; done
start_customsd "$cfg" "$T_DIR/customsd.log"
if flush; then ok "declarations and scans committed"; else fail "not committed"; tail -20 "$T_DIR/customsd.log"; finish; fi
check "five parcels closed (899), one released (800)" "899 899 899 899 899 800" \
    "$(for p in A1 A2 A3 B1 A4 A5; do q "SELECT status_code FROM customs.declarations WHERE logistics_no = '$N-$p'"; done | tr '\n' ' ' | sed 's/ $//')"
stop_customsd TERM

# Their closing moved back (as the superuser; the history is append-only for everyone else),
# into partitions of their own months (UTC, as customs.partitions_ensure makes them, owned
# by customs_owner: migrate.sh's triggers on the table reach them), not the DEFAULT
# partition.
q "DO \$\$ DECLARE m timestamp; n text; BEGIN
     FOREACH m IN ARRAY ARRAY['2026-05-01', '2026-06-01']::timestamp[] LOOP
       n := customs.partition_name('status_history', m AT TIME ZONE 'UTC');
       IF to_regclass('customs.' || n) IS NULL THEN
         -- (rows an earlier run of a kept stack left in the DEFAULT partition move in)
         SET LOCAL session_replication_role = replica;
         CREATE TEMP TABLE IF NOT EXISTS sm_rows (LIKE customs.status_history);
         WITH d AS (DELETE FROM customs.status_history_default
                     WHERE recorded_at >= m AT TIME ZONE 'UTC'
                       AND recorded_at < (m + interval '1 month') AT TIME ZONE 'UTC' RETURNING *)
         INSERT INTO sm_rows SELECT * FROM d;
         EXECUTE format('CREATE TABLE customs.%I PARTITION OF customs.status_history FOR VALUES FROM (%L) TO (%L)',
                        n, m AT TIME ZONE 'UTC', (m + interval '1 month') AT TIME ZONE 'UTC');
         EXECUTE format('ALTER TABLE customs.%I OWNER TO customs_owner', n); -- as the others
         PERFORM customs.partition_grants('status_history', n);
         INSERT INTO customs.status_history SELECT * FROM sm_rows;
         TRUNCATE sm_rows;
       END IF;
     END LOOP; END \$\$" >/dev/null
moved() { q "SET session_replication_role = replica;
             UPDATE customs.status_history SET recorded_at = '$2' WHERE logistics_no = '$N-$1' AND status_code = 899"; }
moved A1 "2026-05-03 10:00+08"; moved A2 "2026-05-20 10:00+08"; moved A3 "2026-05-31 23:30+08"
moved B1 "2026-05-15 09:00+08"; moved A4 "2026-06-01 00:30+08"
mine="ebc_code IN ('$EA', '$EB')"
lines() { q "SELECT concat_ws('|', coalesce(summary_id::text, '-'), ebc_code, gcode, currency, unit, qty, total_price,
                      inventory_count, array_to_string(invt_nos, ','))
               FROM customs.summary_lines('2026-05-01') WHERE $mine AND ebc_code IS NOT NULL"; }
invt() { q "SELECT invt_no FROM customs.declarations WHERE logistics_no = '$N-$1'"; }
before=$(lines)
check "May's lines: one per enterprise, HS code, currency and unit (computed, not filed)" \
    "-|$EA|$GUITAR|142|011|3.00000|1519.25000|2|$(printf '%s\n' "$(invt A1)" "$(invt A2)" | sort | paste -sd,)
-|$EA|$TOYS|142|011|3.00000|30.30000|1|$(invt A3)
-|$EB|$GUITAR|142|011|1.00000|300.00000|1|$(invt B1)" "$before"
check "totals agree with the closed parcels' items" \
    "$(q "SELECT sum(i.total_price) FROM customs.declaration_items i WHERE i.logistics_no IN ('$N-A1', '$N-A2', '$N-A3', '$N-B1')")" \
    "$(q "SELECT sum(total_price) FROM customs.summary_lines('2026-05-01') WHERE $mine")"
check "A4 (00:30 on 1 June in Mishan) is June's" "$(invt A4)" \
    "$(q "SELECT array_to_string(invt_nos, ',') FROM customs.summary_lines('2026-06-01') WHERE $mine")"

# Filing: one summary per enterprise; again: the same.
refusal=$(q "SELECT customs.file_summary('2099-01-01', '$EA')" 2>&1 || true)
case $refusal in *"not over yet"*) ok "a month not over is refused: $(sed -n 's/^.*ERROR: *//p' <<<"$refusal")" ;;
    *) fail "filing a future month: $refusal" ;; esac
ids=$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM customs.file_summary('2026-05-01', '$EA') id")
ids_b=$(q "SELECT string_agg(id::text, ',') FROM customs.file_summary('2026-05-01', '$EB') id")
[ -n "$ids" ] && [ -n "$ids_b" ] && ok "filed: summaries $ids ($EA) and $ids_b ($EB)" || fail "not filed: '$ids' '$ids_b'"
check "filing again returns the filed summary" "$ids" \
    "$(q "SELECT string_agg(id::text, ',') FROM customs.file_summary('2026-05-01', '$EA') id")"
after=$(lines)
check "the filed lines are the lines computed before" "$(cut -d'|' -f2- <<<"$before")" "$(cut -d'|' -f2- <<<"$after")"
check "the lines now name their summary" "$ids $ids $ids_b" "$(cut -d'|' -f1 <<<"$after" | tr '\n' ' ' | sed 's/ $//')"
check "summary $ids: 2 lines, 3 inventories" "2|3" \
    "$(q "SELECT line_count || '|' || inventory_count FROM customs.summaries WHERE summary_id = $ids")"
check "nothing of May left to compute" 0 "$(q "SELECT count(*) FROM customs.summary_compute('2026-05-01') WHERE $mine")"
dup=$(q "INSERT INTO customs.summary_inventories VALUES ('$N-A1', $ids_b, NULL)" 2>&1 || true)
case $dup in *duplicate*) ok "an inventory cannot be in a second summary" ;; *) fail "second summary: $dup" ;; esac
check "the officer reads the filed summaries" "$ids|2026-05|$EA|2|3|1549.55" \
    "$(as_officer "SELECT concat_ws('|', summary_id, month, ebc_code, line_count, inventory_count, total_price::numeric(12,2)) FROM customs.filed_summaries WHERE summary_id = $ids")"

# customsctl summary.
ctl() { "$BUILD/customsctl" summary -c "$cfg" "$@"; }
csv=$(ctl --month 2026-05 --ebc "$EA" --format csv)
check "csv: a header and the filed lines" \
    "summary_id,filed_at,ebcCode,trafMode,ownerCode,country,portCode,gcode,currency,unit,qty,totalPrice,inventories,invtNos
$(cut -d'|' -f1 <<<"$after" | sed -n 1p)|$EA|$GUITAR|1519.25000
$(cut -d'|' -f1 <<<"$after" | sed -n 2p)|$EA|$TOYS|30.30000" \
    "$(awk -F, 'NR == 1 {print; next} {print $1 "|" $3 "|" $8 "|" $12}' <<<"$csv")"
json=$(ctl --month 2026-05 --ebc "$EA" --format json)
grep -q '"totalPrice": "1549.55000"' <<<"$json" && grep -q '"inventories": 3' <<<"$json" &&
    ok "json: the enterprise's total 1549.55000 over 3 inventories" || fail "json: $json"
xml=$(ctl --month 2026-05 --ebc "$EA" --format xml)
check "xml: a CEB701Message, 2 lines, 3 invtNos, the month's bounds" "1 2 3 1 1" \
    "$(grep -c '<ceb:CEB701Message .*xmlns:ceb="http://www.chinaport.gov.cn/ceb"' <<<"$xml") $(grep -c '<ceb:SummaryApplyList>' <<<"$xml") $(grep -c '<ceb:invtNo>' <<<"$xml") $(grep -c '<ceb:startTime>20260501000000<' <<<"$xml") $(grep -c '<ceb:endTime>20260531235959<' <<<"$xml")"
text=$(ctl --month 2026-06 --ebc "$EA")
grep -q "ebcCode $EA: not filed (computed now); 1 lines, 1 inventories, totalPrice 99.00000" <<<"$text" &&
    ok "text: June not filed yet, A4's line" || fail "text: $text"
ctl --month 2026-06 --ebc "$EA" --file >/dev/null && ok "--file files June" || fail "--file June failed"
check "June filed with A4" "$(invt A4)" \
    "$(q "SELECT v.invt_no FROM customs.summary_inventories v JOIN customs.summaries s USING (summary_id) WHERE s.month = '2026-06-01' AND s.ebc_code = '$EA'")"
rc=0; ctl --month 2099-01 --ebc "$EA" --file >/dev/null 2>"$T_DIR/err" || rc=$?
check "--file of a month not over: exit 1" 1 "$rc"
rc=0; ctl --month 2026-04 --ebc "$EA" >/dev/null 2>&1 || rc=$?
check "nothing closed in April: exit 1" 1 "$rc"
rc=0; ctl --month 2026-13 >/dev/null 2>&1 || rc=$?
check "--month 2026-13: usage, exit 2" 2 "$rc"
finish
