#!/bin/sh
# test_xml_forms.sh - the JSON and the CEB603 XML form of every declaration of the demo set
# (tests/demo.sh's generator run: its COUNT, MALFORMED and SEED) decode to the same struct
# and get the same decision from the shipped rules (config/rules.yaml), record by record
# (tests/tools/decl_forms.c says what is compared). Pure: no server.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The demo's defaults, read from tests/demo.sh so that the two cannot drift apart.
demo_default() { sed -n "s/^$1=\${DEMO_$1:-\([0-9]*\)}.*/\1/p" tests/demo.sh; }
COUNT=$(demo_default COUNT)
MALFORMED=$(demo_default MALFORMED)
SEED=$(demo_default SEED)
[ -n "$COUNT" ] && [ -n "$MALFORMED" ] && [ -n "$SEED" ] || {
    echo "FAIL: demo defaults not found in tests/demo.sh"
    exit 1
}
echo "demo set: $COUNT declarations + $MALFORMED malformed, seed $SEED"

"$BUILD/tools/gen_declarations" -n "$COUNT" -m "$MALFORMED" -s "$SEED" -e "$T/expect" \
    -o "$T/json.frames" 2>/dev/null
"$BUILD/tools/gen_declarations" -n "$COUNT" -m "$MALFORMED" -s "$SEED" -x -o "$T/xml.frames" \
    2>/dev/null

# The XML really is XML (and not the JSON again): a prologue per declaration.
json_lt=$(grep -c '<?xml version' "$T/json.frames" || true)
xml_lt=$(grep -c '<?xml version' "$T/xml.frames" || true)
[ "$json_lt" -eq 0 ] && [ "$xml_lt" -ge "$COUNT" ] || {
    echo "FAIL: XML prologues: $json_lt in the JSON frames, $xml_lt in the XML frames"
    exit 1
}

"$BUILD/tools/decl_forms" config/rules.yaml "$T/json.frames" "$T/xml.frames" "$T/expect"
