-- 40_ceb603.sql - the CEB603 JSON -> columns mapping, defined once: the head
-- (InventoryHead -> customs.declarations) and the items (InventoryList ->
-- customs.declaration_items) of the "decl" object customsd sends in a batch record
-- (its format: daemon/batch.h, the batch document's definition; the fields: the COLUMN
-- fields of daemon/declaration.h, checked against these two functions by
-- tests/integration/test_ceb603.c). Every site that writes a declaration's content uses
-- these two: the new declarations of apply_batch and the amendments of
-- customs.apply_change_record.
-- A field customsd leaves out, or sends as null, is NULL. Values are stored as declared: the
-- rules engine checked them, and a rejected declaration is recorded too.
--
-- Both are set-returning SQL functions without STRICT on purpose: the planner inlines them
-- into the set-based statements of apply_batch (no per-row function call). Their columns
-- come in the order of the table columns they fill, so a site writes SELECT h.* under the
-- same column list.

-- The columns of customs.declaration_items after logistics_no, one row per entry of the
-- items array in declared order: line_no = the position (1-based), then the CEB603
-- InventoryList fields. No items array: no rows.
CREATE OR REPLACE FUNCTION customs.ceb603_items(p_decl jsonb)
RETURNS TABLE (line_no integer, gnum bigint, item_no text, item_record_no text,
               item_name text, gcode text, gname text, gmodel text, bar_code text,
               country text, currency text, qty numeric, unit text, qty1 numeric,
               unit1 text, qty2 numeric, unit2 text, price numeric, total_price numeric)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT i.n::integer, i.gnum, i."itemNo", i."itemRecordNo", i."itemName", i.gcode,
           i.gname, i.gmodel, i."barCode", i.country, i.currency, i.qty, i.unit, i.qty1,
           i.unit1, i.qty2, i.unit2, i.price, i."totalPrice"
      FROM ROWS FROM (jsonb_to_recordset(customs.array_or_empty(p_decl->'items'))
               AS (gnum bigint, "itemNo" text, "itemRecordNo" text, "itemName" text,
                   gcode text, gname text, gmodel text, "barCode" text, country text,
                   currency text, qty numeric, unit text, qty1 numeric, unit1 text,
                   qty2 numeric, unit2 text, price numeric, "totalPrice" numeric))
           WITH ORDINALITY
           AS i(gnum, "itemNo", "itemRecordNo", "itemName", gcode, gname, gmodel,
                "barCode", country, currency, qty, unit, qty1, unit1, qty2, unit2, price,
                "totalPrice", n)
$$;
COMMENT ON FUNCTION customs.ceb603_items(jsonb) IS
    'CEB603 InventoryList (JSON items) as rows of customs.declaration_items, line_no first.';

-- The head columns of customs.declarations, from order_no to item_count (one row): the
-- CEB603 head fields, then what the items add up to: total_price (sum of the items'
-- totalPrice), currency (the items' currency when they all agree, else NULL), item_count.
CREATE OR REPLACE FUNCTION customs.ceb603_head(p_decl jsonb)
RETURNS TABLE (order_no text, cop_no text, guid text, app_type text, app_time text,
               app_status text, ebp_code text, ebc_code text, ebc_name text,
               logistics_code text, agent_code text, owner_code text, customs_code text,
               port_code text, ie_flag text, ie_date text, statistics_flag text,
               trade_mode text, traf_mode text, country text, pod text, wrap_type text,
               gross_weight numeric, net_weight numeric, freight numeric, f_currency text,
               insured_fee numeric, i_currency text, pack_no bigint, total_price numeric,
               currency text, item_count integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT h."orderNo", h."copNo", h.guid, h."appType", h."appTime", h."appStatus",
           h."ebpCode", h."ebcCode", h."ebcName", h."logisticsCode", h."agentCode",
           h."ownerCode", h."customsCode", h."portCode", h."ieFlag", h."ieDate",
           h."statisticsFlag", h."tradeMode", h."trafMode", h.country, h."POD", h."wrapType",
           h."grossWeight", h."netWeight", h.freight, h."fCurrency", h."insuredFee",
           h."iCurrency", h."packNo", it.total, it.currency, it.n
      FROM jsonb_to_record(p_decl)
               AS h("orderNo" text, "copNo" text, guid text, "appType" text, "appTime" text,
                    "appStatus" text, "ebpCode" text, "ebcCode" text, "ebcName" text,
                    "logisticsCode" text, "agentCode" text, "ownerCode" text,
                    "customsCode" text, "portCode" text, "ieFlag" text, "ieDate" text,
                    "statisticsFlag" text, "tradeMode" text, "trafMode" text, country text,
                    "POD" text, "wrapType" text, "grossWeight" numeric, "netWeight" numeric,
                    freight numeric, "fCurrency" text, "insuredFee" numeric,
                    "iCurrency" text, "packNo" bigint)
           CROSS JOIN LATERAL (
               SELECT sum(i.total_price) AS total,
                      -- all present and equal (min = max: no per-declaration sort, as
                      -- count(DISTINCT) needs)
                      CASE WHEN count(i.currency) = count(*) AND min(i.currency) = max(i.currency)
                           THEN min(i.currency) END AS currency,
                      count(*)::integer AS n
                 FROM customs.ceb603_items(p_decl) i) it
$$;
COMMENT ON FUNCTION customs.ceb603_head(jsonb) IS
    'CEB603 InventoryHead (JSON) as the columns of customs.declarations, order_no..item_count.';
