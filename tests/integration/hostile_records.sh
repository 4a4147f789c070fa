# hostile_records.sh - the hostile inputs of issue 4 item 7 as Kafka records (bash library;
# shellcheck shell=bash
# sourced by tests/integration/test_hostile.sh and tests/chaos/scenario_hostile.sh).
#
#   hostile_build DIR PREFIX [JSONTESTSUITE_DIR]
#
# writes DIR/hostile.pN.frames (kafka_produce framing) for partitions N = 0, 1, 2 and
# DIR/hostile.tsv, one line per record:
#   partition  offset  logisticsNo|-  class  label  sha256-of-the-value|null
# where offset is the record's place in its partition's file: produce each file to its
# partition (kafka_produce -p N) by one producer into an empty topic and it is the Kafka
# offset. Partition 0 takes nearly everything; the two big records go alone to
# partitions 1 and 2, because the librdkafka mock cluster keeps only about 5 MiB per
# partition and drops older records beyond that (a 10 MB record cannot be kept at all:
# the big one is 4 MiB + 1 byte here, still four times over customsd's 1 MiB default).
# class: quarantine  must be quarantined with a reason (never stored, never lost)
#        store       must be stored as a declaration, byte-exact
#        reject      a declaration that can be read but has a field breaking the CEB603
#                    format: stored byte-exact, rejected (100) by CEB603-FORMAT, never
#                    quarantined (issue 10)
#        either      stored byte-exact or quarantined, never lost
#        jts_n|jts_y|jts_i   a JSONTestSuite parsing case (file name in label): none is a
#                    declaration, so every one must be quarantined; n_ ones are the contract
# logisticsNo is the declaration's key when the record has one that can be stored.
#
# Every record is built here from printf escapes, so NUL bytes, invalid UTF-8 and raw
# control characters reach Kafka exactly. Nothing needs python.

# The valid declaration the variants start from; $1 = logisticsNo, $2 = extra members
# (text spliced in after the last member, starting with a comma), $3 = the items array.
hostile_decl() {
    local items=${3:-'[{"gnum":1,"itemNo":"EG-ST-001","itemName":"电吉他","gcode":"9207900000","gname":"电吉他","gmodel":"ST型 6弦","barCode":"无","country":"344","currency":"142","qty":"1","unit":"011","qty1":"1","unit1":"011","price":"1399.00","totalPrice":"1399.00"}]'}
    printf '%s' '{"guid":"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"1","appTime":"20240512103000","appStatus":"2","customsCode":"1900","portCode":"1900","ieFlag":"E","ieDate":"20240512","ebpCode":"2303960001","ebpName":"鸡西跨境电商平台","orderNo":"ORD-'"$1"'","ebcCode":"2303960002","ebcName":"鸡西市石墨乐器电子商务有限公司","logisticsCode":"2303960003","logisticsName":"密山国际物流有限公司","logisticsNo":"'"$1"'","copNo":"COP-'"$1"'","agentCode":"2303960004","agentName":"密山报关行","ownerCode":"NO","ownerName":"鸡西市石墨乐器电子商务有限公司","tradeMode":"9610","statisticsFlag":"A","trafMode":"4","country":"344","POD":"RUS","freight":"0","fCurrency":"142","fFlag":"3","insuredFee":"0","iCurrency":"142","iFlag":"3","wrapType":"2","packNo":1,"grossWeight":"1.35","netWeight":"1.2","note":""'"${2:-}"',"items":'"$items"'}'
}

# hostile_add KEY|- CLASS LABEL LNO|-: append $H_DIR/value (or a null value when
# HOSTILE_NULL=1) as the next record of partition ${H_PART:-0}.
hostile_add() {
    local key=$1 class=$2 label=$3 lno=$4 vlen part=${H_PART:-0}
    local out=$H_DIR/hostile.p$part.frames
    if [ "${HOSTILE_NULL:-0}" = 1 ]; then vlen=-1; else vlen=$(wc -c <"$H_DIR/value"); fi
    if [ "$key" = - ]; then
        printf -- '-1 %s\n' "$vlen" >>"$out"
    else
        printf '%d %s\n%s' "${#key}" "$vlen" "$key" >>"$out"
    fi
    [ "$vlen" = -1 ] || cat "$H_DIR/value" >>"$out"
    printf '\n' >>"$out"
    local sum=null
    [ "$vlen" = -1 ] || sum=$(sha256sum <"$H_DIR/value" | cut -c1-64)
    printf '%d\t%d\t%s\t%s\t%s\t%s\n' "$part" "${H_OFF[$part]}" "$lno" "$class" "$label" "$sum" \
        >>"$H_DIR/hostile.tsv"
    H_OFF[$part]=$((H_OFF[$part] + 1))
}

# hostile_raw CLASS LABEL LNO|- PRINTF_FORMAT [ARGS...]: a record whose value is printf's
# output (so \xff, \000 etc. in the format become raw bytes). Key = LNO or the label.
hostile_raw() {
    local class=$1 label=$2 lno=$3
    shift 3
    # shellcheck disable=SC2059 # the format is the point
    printf "$@" >"$H_DIR/value"
    hostile_add "${lno/#-/$H_P-$label}" "$class" "$label" "$lno"
}

# hostile_text CLASS LABEL LNO|- TEXT: a record whose value is TEXT as is.
hostile_text() {
    printf '%s' "$4" >"$H_DIR/value"
    hostile_add "${3/#-/$H_P-$2}" "$1" "$2" "$3"
}

hostile_build() {
    H_DIR=$1
    H_P=$2
    local jts=${3:-}
    H_OFF=(0 0 0)
    : >"$H_DIR/hostile.p0.frames"
    : >"$H_DIR/hostile.p1.frames"
    : >"$H_DIR/hostile.p2.frames"
    : >"$H_DIR/hostile.tsv"
    local p=$H_P i k d deep

    # A valid declaration first: the partition works.
    hostile_text store valid_first "$p-V0" "$(hostile_decl "$p-V0")"

    # --- invalid JSON ---------------------------------------------------------------
    hostile_text quarantine truncated - '{"logisticsNo":"'"$p"'-T1","items":['
    hostile_text quarantine trailing_garbage - "$(hostile_decl "$p-T2") x"
    hostile_text quarantine two_documents - "$(hostile_decl "$p-T3")$(hostile_decl "$p-T3b")"
    hostile_text quarantine single_quotes - "{'logisticsNo':'$p-T4'}"
    hostile_text quarantine trailing_comma - '{"logisticsNo":"'"$p"'-T5",}'
    hostile_text quarantine comments - '{"logisticsNo":"'"$p"'-T6" /* c */}'
    hostile_text quarantine leading_zero - '{"logisticsNo":"'"$p"'-T7","packNo":01}'
    hostile_text quarantine plus_number - '{"logisticsNo":"'"$p"'-T8","packNo":+1}'
    hostile_text quarantine hex_number - '{"logisticsNo":"'"$p"'-T9","packNo":0x10}'
    hostile_raw quarantine empty_value - ''
    hostile_raw quarantine whitespace_only - ' \n\t\r '
    hostile_raw quarantine bom - '\xef\xbb\xbf%s' "$(hostile_decl "$p-T10")"
    hostile_text quarantine json_array - '[1,2,3]'
    hostile_text quarantine json_string - '"a string"'
    hostile_text quarantine json_number - '12345'
    hostile_text quarantine json_null_text - 'null'
    hostile_text quarantine json_true - 'true'
    hostile_raw quarantine binary_garbage - '\x00\x01\x02\xff\xfe\n\x00PK\x03\x04\x7f'

    # --- invalid UTF-8, lone surrogates ---------------------------------------------
    hostile_raw quarantine utf8_ff - '{"logisticsNo":"%s-U1","ebcName":"\xff\xfe"}' "$p"
    hostile_raw quarantine utf8_overlong_slash - '{"logisticsNo":"%s-U2","ebcName":"\xc0\xaf"}' "$p"
    hostile_raw quarantine utf8_overlong_nul - '{"logisticsNo":"%s-U3","note":"a\xc0\x80b"}' "$p"
    hostile_raw quarantine utf8_encoded_surrogate - '{"logisticsNo":"%s-U4","note":"\xed\xa0\x80"}' "$p"
    hostile_raw quarantine utf8_truncated - '{"logisticsNo":"%s-U5","note":"\xe5\xaf"}' "$p"
    hostile_raw quarantine utf8_above_10ffff - '{"logisticsNo":"%s-U6","note":"\xf4\x90\x80\x80"}' "$p"
    hostile_raw quarantine utf8_in_key - '{"logisticsNo":"%s-U7","\xff":1}' "$p"
    hostile_text quarantine lone_high_surrogate - '{"logisticsNo":"'"$p"'-U8","ebcName":"\ud800"}'
    hostile_text quarantine lone_low_surrogate - '{"logisticsNo":"'"$p"'-U9","ebcName":"\udc00x"}'
    hostile_text quarantine reversed_surrogates - '{"logisticsNo":"'"$p"'-U10","note":"\udc00\ud800"}'
    hostile_text quarantine surrogate_in_unknown - '{"logisticsNo":"'"$p"'-U11","zz":"\ud800"}'
    # a correct pair is fine
    hostile_text store surrogate_pair "$p-U12" "$(hostile_decl "$p-U12" ',"remark":"\ud83d\ude00"')"

    # --- NUL bytes --------------------------------------------------------------------
    hostile_raw quarantine nul_raw_in_string - '{"logisticsNo":"%s-N1","note":"a\000b"}' "$p"
    hostile_raw quarantine nul_raw_outside - '{"logisticsNo":"%s-N2"}\000' "$p"
    hostile_text reject nul_escape_known_field "$p-N3" "$(hostile_decl "$p-N3" | sed 's/"note":""/"note":"a\\u0000b"/')"
    hostile_text quarantine nul_escape_in_key_field - '{"logisticsNo":"'"$p"'-N4\u0000"}'
    hostile_text either nul_escape_unknown_field "$p-N5" "$(hostile_decl "$p-N5" ',"remark":"a\u0000b"')"
    hostile_text either nul_escape_unknown_key "$p-N6" "$(hostile_decl "$p-N6" ',"re\u0000mark":1')"

    # --- sizes ------------------------------------------------------------------------
    # Over batch.max_message_bytes (1 MiB default): quarantined, kept byte-exact. Alone in
    # partition 1 (see the top: the mock cannot keep 10 MB).
    {
        printf '{"logisticsNo":"%s-S1","note":"' "$p"
        head -c 4194304 /dev/zero | tr '\0' 'x'
        printf '"}'
    } >"$H_DIR/value"
    H_PART=1 hostile_add "$p-S1" quarantine size_4MB -
    # just under 1 MiB with a big unknown member: a declaration (alone in partition 2)
    d=$(hostile_decl "$p-S2" ',"remark":"@@"')
    { printf '%s' "${d%%@@*}"; head -c 1000000 /dev/zero | tr '\0' 'y'; printf '%s' "${d#*@@}"; } >"$H_DIR/value"
    H_PART=2 hostile_add "$p-S2" either size_1MB_unknown_member "$p-S2"
    # nesting 100,000 deep (arrays and objects), at the top and inside a field
    { printf '{"logisticsNo":"%s-D1","x":' "$p"; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}'; } >"$H_DIR/value"
    hostile_add "$p-D1" quarantine depth_100000_arrays -
    { head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; } >"$H_DIR/value"
    hostile_add - quarantine depth_100000_top -
    { printf '{"logisticsNo":"%s-D2","x":' "$p"; for ((i = 0; i < 100000; i++)); do printf '{"a":'; done; printf '1'; head -c 100000 /dev/zero | tr '\0' '}'; printf '}'; } >"$H_DIR/value"
    hostile_add "$p-D2" quarantine depth_100000_objects -
    deep=$(printf '%0400d' 0 | tr 0 9)
    hostile_text reject number_400_digits "$p-L1" '{"logisticsNo":"'"$p"'-L1","grossWeight":'"$deep"'}'
    hostile_text reject number_400_digits_string "$p-L2" '{"logisticsNo":"'"$p"'-L2","grossWeight":"'"$deep"'"}'
    hostile_text reject number_400_fraction "$p-L3" '{"logisticsNo":"'"$p"'-L3","grossWeight":0.'"$deep"'}'
    hostile_text reject number_exp_huge "$p-L4" '{"logisticsNo":"'"$p"'-L4","freight":1e400}'
    hostile_text either number_400_digits_unknown "$p-L5" "$(hostile_decl "$p-L5" ',"remark":'"$deep")"
    hostile_text reject packno_overflow "$p-L6" "$(hostile_decl "$p-L6" | sed 's/"packNo":1/"packNo":99999999999999999999/')"
    hostile_text quarantine key_81_chars - '{"logisticsNo":"'"$(printf '%081d' 7)"'"}'
    hostile_text reject string_1001_chars "$p-L7" "$(hostile_decl "$p-L7" | sed "s/\"note\":\"\"/\"note\":\"$(printf '%01001d' 0)\"/")"
    k='{"gnum":1,"itemNo":"A","itemName":"B","gcode":"9207900000","gname":"B","gmodel":"C","barCode":"无","country":"344","currency":"142","qty":"1","unit":"011","qty1":"1","unit1":"011","price":"1","totalPrice":"1"}'
    hostile_text reject items_101 "$p-L8" "$(hostile_decl "$p-L8" '' "[$(for ((i = 0; i < 101; i++)); do printf '%s%s' "$([ $i -gt 0 ] && echo ,)" "$k"; done)]")"

    # --- NaN, Infinity ----------------------------------------------------------------
    hostile_text quarantine nan - '{"logisticsNo":"'"$p"'-F1","freight":NaN}'
    hostile_text quarantine infinity - '{"logisticsNo":"'"$p"'-F2","freight":Infinity}'
    hostile_text quarantine minus_infinity - '{"logisticsNo":"'"$p"'-F3","insuredFee":-Infinity}'
    hostile_text reject nan_string "$p-F4" "$(hostile_decl "$p-F4" | sed 's/"freight":"0"/"freight":"NaN"/')"
    hostile_text reject infinity_string "$p-F5" "$(hostile_decl "$p-F5" | sed 's/"grossWeight":"1.35"/"grossWeight":"Infinity"/')"

    # --- duplicate keys (rejected, never last-wins) -----------------------------------
    hostile_text quarantine dup_key_logisticsNo - '{"logisticsNo":"'"$p"'-K1","logisticsNo":"'"$p"'-K1b"}'
    hostile_text quarantine dup_key_head - "$(hostile_decl "$p-K2" ',"grossWeight":"9"')"
    hostile_text quarantine dup_key_item - "$(hostile_decl "$p-K3" '' '[{"gnum":1,"gnum":2}]')"
    hostile_text quarantine dup_key_unknown - "$(hostile_decl "$p-K4" ',"zz":1,"zz":2')"
    hostile_text quarantine dup_key_escaped - "$(hostile_decl "$p-K5" ',"\u006eote":"x"')"

    # --- null value (tombstone), missing key, wrong types -----------------------------
    : >"$H_DIR/value"
    HOSTILE_NULL=1 hostile_add "$p-TOMB" quarantine tombstone -
    hostile_text quarantine missing_logisticsNo - '{"orderNo":"'"$p"'-M1","items":[]}'
    hostile_text quarantine empty_logisticsNo - '{"logisticsNo":""}'
    hostile_text quarantine null_logisticsNo - '{"logisticsNo":null}'
    hostile_text quarantine wrong_type_logisticsNo - '{"logisticsNo":123}'
    hostile_text reject wrong_type_items "$p-W1" "$(hostile_decl "$p-W1" '' '{"gnum":1}')"
    hostile_text reject wrong_type_items_scalars "$p-W2" "$(hostile_decl "$p-W2" '' '[1,2]')"
    hostile_text reject wrong_type_packNo "$p-W3" "$(hostile_decl "$p-W3" | sed 's/"packNo":1/"packNo":"abc"/')"
    hostile_text reject wrong_type_grossWeight "$p-W4" "$(hostile_decl "$p-W4" | sed 's/"grossWeight":"1.35"/"grossWeight":true/')"
    hostile_text reject wrong_type_string_field "$p-W5" "$(hostile_decl "$p-W5" | sed 's/"ebcName":"[^"]*"/"ebcName":{"a":1}/')"
    hostile_text reject wrong_type_gnum "$p-W6" "$(hostile_decl "$p-W6" | sed 's/"gnum":1/"gnum":1.5/')"
    # a declaration with a null Kafka key is fine: the key is in the payload
    printf '%s' "$(hostile_decl "$p-W7")" >"$H_DIR/value"
    hostile_add - store null_kafka_key "$p-W7"
    # a key that differs from the payload's logisticsNo: the payload wins
    printf '%s' "$(hostile_decl "$p-W8")" >"$H_DIR/value"
    hostile_add "not-$p-W8" store kafka_key_mismatch "$p-W8"

    # --- SQL metacharacters and control characters in every field ---------------------
    # (valid JSON escapes: the values are legal; the rules reject most of them, and the
    # declaration must still be stored with every byte as sent, never executed)
    local evil="O'Brien\\\"); DROP TABLE customs.declarations; -- \\\\ \$1 \$\$ %s%n \` \\t\\n\\r\\b\\f\\u0001\\u001f\\u007f\\u2028 ' OR '1'='1 ;SELECT pg_sleep(10);"
    local f fields
    fields="guid appType appTime appStatus customsCode portCode ieFlag ieDate ebpCode ebpName orderNo ebcCode ebcName logisticsCode logisticsName copNo agentCode agentName ownerCode ownerName tradeMode statisticsFlag trafMode country POD fCurrency fFlag iCurrency iFlag wrapType note"
    i=0
    for f in $fields; do
        i=$((i + 1))
        hostile_text store "sql_in_$f" "$p-Q$i" "$(hostile_decl "$p-Q$i" | sed "s/\"$f\":\"[^\"]*\"/\"$f\":\"$(printf '%s' "$evil" | sed 's/[\\&/]/\\&/g')\"/")"
    done
    for f in itemNo itemName gcode gname gmodel barCode country currency unit unit1; do
        i=$((i + 1))
        hostile_text store "sql_in_items_$f" "$p-Q$i" "$(hostile_decl "$p-Q$i" | sed "s/\\(\"items\":.*\\)\"$f\":\"[^\"]*\"/\\1\"$f\":\"$(printf '%s' "$evil" | sed 's/[\\&/]/\\&/g')\"/")"
    done
    # in the key itself
    hostile_text store sql_in_logisticsNo "$p-Q'; DROP TABLE x;--" "$(hostile_decl "$p-Q'; DROP TABLE x;--")"
    # raw control characters inside strings are not JSON
    hostile_raw quarantine raw_tab_in_string - '{"logisticsNo":"%s-R1","note":"a\tb"}' "$p"
    hostile_raw quarantine raw_newline_in_string - '{"logisticsNo":"%s-R2","note":"a\nb"}' "$p"
    hostile_raw quarantine raw_escape_char - '{"logisticsNo":"%s-R3","note":"\033[2J"}' "$p"

    # --- JSONTestSuite parsing cases, one record each ---------------------------------
    if [ -n "$jts" ] && [ -d "$jts" ]; then
        for f in "$jts"/[nyi]_*.json; do
            [ -f "$f" ] || continue
            cp "$f" "$H_DIR/value"
            k=$(basename "$f")
            hostile_add - "jts_${k%%_*}" "$k" -
        done
    fi

    # A valid declaration last: the partition moved on past everything above.
    hostile_text store valid_last "$p-V1" "$(hostile_decl "$p-V1")"
}
