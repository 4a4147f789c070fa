# lib.sh - shared helpers for the integration tests (bash). Sourced, not run.
# Needs the local stack's environment (tests/run-tests.sh evals `stack.sh env`):
# PGHOST PGPORT PGUSER PGDATABASE CUSTOMSD_BOOTSTRAP CUSTOMSD_STACK_DIR, and BUILD.
set -euo pipefail
export LC_ALL=C
BUILD=${BUILD:-build}
: "${CUSTOMSD_BOOTSTRAP:?run under tests/run-tests.sh (needs the local stack)}"

T_NAME=$(basename "$0" .sh)
# Decimal without leading zeros: tests pass it to tools as a number (-s SEED), where a
# leading 0 would read as octal and fail.
T_RUN=$((10#$(date +%s%N | tail -c 9)))
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/customsd-$T_NAME.XXXXXX")
T_FAILS=0
T_PIDS=()

t_cleanup() {
    for pid in "${T_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ "$T_FAILS" -eq 0 ]; then rm -rf "$T_DIR"; else echo "  (kept $T_DIR)"; fi
}
trap t_cleanup EXIT

ok() { printf '  ok   %s\n' "$*"; }
fail() { printf '  FAIL %s\n' "$*"; T_FAILS=$((T_FAILS + 1)); }
# check DESCRIPTION EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi; }
finish() { [ "$T_FAILS" -eq 0 ] || { echo "  $T_FAILS check(s) failed"; exit 1; }; }

q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

# frame FILE KEY VALUEFILE: append one record in kafka_produce's framed format.
frame() {
    local out=$1 key=$2 vf=$3
    printf '%d %d\n' "${#key}" "$(wc -c < "$vf")" >> "$out"
    printf '%s' "$key" >> "$out"
    cat "$vf" >> "$out"
    printf '\n' >> "$out"
}

# frame_json FILE KEY JSON: same with the value given as a string.
frame_json() {
    printf '%s' "$3" > "$T_DIR/.value"
    frame "$1" "$2" "$T_DIR/.value"
}

produce() { # TOPIC FILE
    "$BUILD/tools/kafka_produce" -b "$CUSTOMSD_BOOTSTRAP" -t "$1" -f "$2" >/dev/null
}

# write_config NAME [max_messages] [rules file]: a config for this test's own topics and group.
write_config() {
    local name=$1 maxm=${2:-500} rules=${3:-$PWD/config/rules.yaml}
    cat > "$T_DIR/$name.yaml" <<YAML
kafka:
  bootstrap_servers: "$CUSTOMSD_BOOTSTRAP"
  group_id: $name
  topics:
    declarations: $name.declarations
    scans: $name.scans
    events: $name.events
    receipts: $name.receipts
    orders: $name.orders
    waybills: $name.waybills
  properties:
    session.timeout.ms: "6000"
    # The test's topics are created by its producers, possibly after customsd subscribed.
    topic.metadata.refresh.interval.ms: "1000"
postgresql:
  conninfo: ""
rules:
  path: $rules
batch:
  max_messages: $maxm
  max_wait_ms: 100
YAML
    echo "$T_DIR/$name.yaml"
}

# start_customsd CONFIG LOG: runs customsd in the background; sets CUSTOMSD_PID.
start_customsd() {
    "$BUILD/customsd" -c "$1" 2>>"$2" &
    CUSTOMSD_PID=$!
    T_PIDS+=("$CUSTOMSD_PID")
}

# stop_customsd SIGNAL: sends it and waits; sets STOP_RC and STOP_MS.
stop_customsd() {
    local t0; t0=$(date +%s%N)
    kill -"$1" "$CUSTOMSD_PID"
    STOP_RC=0; wait "$CUSTOMSD_PID" || STOP_RC=$?
    STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# committed GROUP TOPIC: records whose offsets are stored (topics start empty, so the sum
# of next offsets is the number of records applied).
committed() {
    q "SELECT coalesce(sum(next_offset),0) FROM customs.consumer_offsets
       WHERE group_id = '$1' AND topic = '$2'"
}

# wait_committed GROUP TOPIC N [SECONDS]: until N records are committed and the outbox is
# drained. Returns 1 on timeout.
wait_committed() {
    local deadline=$(( $(date +%s) + ${4:-60} ))
    while :; do
        if [ "$(committed "$1" "$2")" -ge "$3" ] &&
           [ "$(q "SELECT count(*) FROM customs.outbox WHERE published_at IS NULL")" -eq 0 ]; then
            return 0
        fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# consume TOPIC FORMAT: every record of a topic from the beginning, via kcat.
consume() {
    kcat -C -b "$CUSTOMSD_BOOTSTRAP" -t "$1" -o beginning -e -q -f "$2" 2>/dev/null
}

# rules_copy DIR: a copy of the shipped rule set (rules.yaml with its rates table and list
# files) in DIR, with the 2 % random inspection switched off: it draws by logisticsNo, and
# the tests' logisticsNo change every run. Prints the rules file's path.
rules_copy() {
    mkdir -p "$1"
    cp -r config/rules.yaml config/rates.yaml config/lists "$1/"
    sed -i '/^  - id: MISHAN-RANDOM-2PCT$/a\    enabled: false' "$1/rules.yaml"
    grep -q 'enabled: false' "$1/rules.yaml" || { fail "could not disable the random sample"; return 1; }
    echo "$1/rules.yaml"
}

# t_decl LNO [FIELD=VALUE...]: a CEB603 declaration of parcel LNO, one item (2 x 699.50 CNY,
# HS 9207900000, 3.5 kg gross), accepted by the shipped rules. FIELD=VALUE sets appType (1),
# appStatus (2), ieFlag (E), note (""), gcode, qty, price, totalPrice, grossWeight, netWeight,
# ebpCode (2303960001), orderNo (ORD-LNO), copNo (COP-LNO).
t_decl() {
    local lno=$1 kv appType=1 appStatus=2 ieFlag=E note="" gcode=9207900000 qty=2 price=699.50 \
        totalPrice=1399.00 grossWeight=3.5 netWeight=3.125 ebpCode=2303960001
    local orderNo=ORD-$lno copNo=COP-$lno
    shift
    for kv in "$@"; do
        case ${kv%%=*} in
        appType | appStatus | ieFlag | note | gcode | qty | price | totalPrice | grossWeight | \
            netWeight | ebpCode | orderNo | copNo)
            printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
        *) echo "t_decl: unknown field ${kv%%=*}" >&2; return 1 ;;
        esac
    done
    cat <<JSON
{"guid":"0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9","appType":"$appType","appTime":"20240512103000","appStatus":"$appStatus",
"customsCode":"1900","portCode":"1900","ieFlag":"$ieFlag","ieDate":"20240512",
"ebpCode":"$ebpCode","ebpName":"鸡西跨境电商平台","orderNo":"$orderNo",
"ebcCode":"2303960002","ebcName":"鸡西市石墨乐器电子商务有限公司",
"logisticsCode":"2303960003","logisticsName":"密山国际物流有限公司","logisticsNo":"$lno",
"copNo":"$copNo","agentCode":"2303960004","agentName":"密山报关行","ownerCode":"NO","ownerName":"鸡西市石墨乐器电子商务有限公司",
"tradeMode":"9610","statisticsFlag":"A","trafMode":"4","country":"344","POD":"RUS",
"freight":"0","fCurrency":"142","fFlag":"3","insuredFee":0,"iCurrency":"142","iFlag":"3",
"wrapType":"2","packNo":1,"grossWeight":"$grossWeight","netWeight":"$netWeight","note":"$note",
"items":[{"gnum":1,"itemNo":"IT-001","itemName":"货物","gcode":"$gcode","gname":"货物",
"gmodel":"型号","barCode":"无","country":"344","currency":"142","qty":"$qty","unit":"011",
"qty1":"$qty","unit1":"011","price":"$price","totalPrice":"$totalPrice"}]}
JSON
}

# t_scan LNO KIND TIME: a warehouse scan record as the warehouse publishes it.
t_scan() {
    printf '{"logisticsNo":"%s","scan":"%s","scannedAt":"%s","loctNo":"1900W00001","totalPackageNo":"PKG-%s"}' \
        "$1" "$2" "$3" "$N"
}

# Records framed in two files and produced together: t_batch_init; add_decl ARGS... and
# add_scan ARGS... frame one declaration or scan with the test's own decl and scan builders
# (the key is the first argument); flush produces what was framed and waits until customsd
# committed every record added so far (returns 1 on timeout).
t_batch_init() {
    dframes=$T_DIR/decl.frames sframes=$T_DIR/scan.frames nd=0 ns=0
    : >"$dframes"; : >"$sframes"
}
add_decl() { frame_json "$dframes" "$1" "$(decl "$@")"; nd=$((nd + 1)); }
add_scan() { frame_json "$sframes" "$1" "$(scan "$@")"; ns=$((ns + 1)); }
flush() {
    [ ! -s "$dframes" ] || produce "$N.declarations" "$dframes"
    [ ! -s "$sframes" ] || produce "$N.scans" "$sframes"
    : >"$dframes"; : >"$sframes"
    wait_committed "$N" "$N.declarations" "$nd" 60 && wait_committed "$N" "$N.scans" "$ns" 60
}
