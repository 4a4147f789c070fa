-- 021_receipt_codes.sql - customs.outbox_payload_of takes the parcel's stored row instead of
-- its invtNo alone (repeatable/20_outbox.sql): a receipt carries the CEB604 codes of its
-- declaration (customsCode, ebpCode, ebcCode, agentCode). The old signature goes.
DROP FUNCTION IF EXISTS customs.outbox_payload_of(uuid, text, text, text, text, integer, jsonb,
                                                  jsonb, text);
