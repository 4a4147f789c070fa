-- 40_ceb603.sql - the CEB603 inventory -> columns mapping, defined once: the head
-- (InventoryHead -> customs.declarations) and the items (InventoryList ->
-- customs.declaration_items) of a customs.ceb603_inventory value (the composite type of
-- 023_ceb603_inventory_type.sql: the COLUMN fields of daemon/declaration.h, checked against
-- these functions by tests/integration/test_ceb603.c). customsd stages that value by COPY
-- (daemon/batch.c); the JSON form of a batch document (daemon/batch.h) becomes it with
-- customs.ceb603_inventory_of. Every site that writes a declaration's content uses
-- ceb603_head and ceb603_items: the new declarations of apply_batch and the amendments of
-- customs.apply_change_record.
-- A field customsd leaves out, or sends as null, is NULL. Values are stored as declared: the
-- rules engine checked them, and a rejected declaration is recorded too.
--
-- Both are set-returning SQL functions without STRICT on purpose: the planner inlines them
-- into the set-based statements of apply_batch (no per-row function call). Their columns
-- come in the order of the table columns they fill, so a site writes SELECT h.* under the
-- same column list.

-- The "decl" object of a JSON batch document (batch.h) as the inventory: its members by
-- name (unknown ones ignored, absent ones NULL), "items" an array of objects (anything else
-- is no items).
CREATE OR REPLACE FUNCTION customs.ceb603_inventory_of(p_decl jsonb)
RETURNS customs.ceb603_inventory
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_populate_record(NULL::customs.ceb603_inventory,
                                 p_decl || jsonb_build_object(
                                     'items', customs.array_or_empty(p_decl->'items')))
$$;
COMMENT ON FUNCTION customs.ceb603_inventory_of(jsonb) IS
    'A batch document''s CEB603 "decl" object (JSON) as a customs.ceb603_inventory value.';

-- The columns of customs.declaration_items after logistics_no, one row per item in declared
-- order: line_no = the position (1-based), then the CEB603 InventoryList fields. No items:
-- no rows.
CREATE OR REPLACE FUNCTION customs.ceb603_items(p_inv customs.ceb603_inventory)
RETURNS TABLE (line_no integer, gnum bigint, item_no text, item_record_no text,
               item_name text, gcode text, gname text, gmodel text, bar_code text,
               country text, currency text, qty numeric, unit text, qty1 numeric,
               unit1 text, qty2 numeric, unit2 text, price numeric, total_price numeric)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT i.n::integer, i.gnum, i."itemNo", i."itemRecordNo", i."itemName", i.gcode,
           i.gname, i.gmodel, i."barCode", i.country, i.currency, i.qty, i.unit, i.qty1,
           i.unit1, i.qty2, i.unit2, i.price, i."totalPrice"
      FROM unnest((p_inv).items) WITH ORDINALITY
           AS i(gnum, "itemNo", "itemRecordNo", "itemName", gcode, gname, gmodel, "barCode",
                country, currency, qty, qty1, qty2, unit, unit1, unit2, price, "totalPrice", n)
$$;
COMMENT ON FUNCTION customs.ceb603_items(customs.ceb603_inventory) IS
    'CEB603 InventoryList as rows of customs.declaration_items, line_no first.';

-- The head columns of customs.declarations, from order_no to item_count (one row): the
-- CEB603 head fields, then what the items add up to: total_price (sum of the items'
-- totalPrice), currency (the items' currency when they all agree, else NULL), item_count.
CREATE OR REPLACE FUNCTION customs.ceb603_head(p_inv customs.ceb603_inventory)
RETURNS TABLE (order_no text, cop_no text, guid text, app_type text, app_time text,
               app_status text, ebp_code text, ebc_code text, ebc_name text,
               logistics_code text, agent_code text, owner_code text, customs_code text,
               port_code text, ie_flag text, ie_date text, statistics_flag text,
               trade_mode text, traf_mode text, country text, pod text, wrap_type text,
               gross_weight numeric, net_weight numeric, freight numeric, f_currency text,
               insured_fee numeric, i_currency text, pack_no bigint, total_price numeric,
               currency text, item_count integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (p_inv)."orderNo", (p_inv)."copNo", (p_inv).guid, (p_inv)."appType",
           (p_inv)."appTime", (p_inv)."appStatus", (p_inv)."ebpCode", (p_inv)."ebcCode",
           (p_inv)."ebcName", (p_inv)."logisticsCode", (p_inv)."agentCode",
           (p_inv)."ownerCode", (p_inv)."customsCode", (p_inv)."portCode", (p_inv)."ieFlag",
           (p_inv)."ieDate", (p_inv)."statisticsFlag", (p_inv)."tradeMode",
           (p_inv)."trafMode", (p_inv).country, (p_inv)."POD", (p_inv)."wrapType",
           (p_inv)."grossWeight", (p_inv)."netWeight", (p_inv).freight,
           (p_inv)."fCurrency", (p_inv)."insuredFee", (p_inv)."iCurrency", (p_inv)."packNo",
           it.total, it.currency, it.n
      FROM (SELECT sum(i."totalPrice") AS total,
                   -- all present and equal (min = max: no per-declaration sort, as
                   -- count(DISTINCT) needs)
                   CASE WHEN count(i.currency) = count(*) AND min(i.currency) = max(i.currency)
                        THEN min(i.currency) END AS currency,
                   count(*)::integer AS n
              FROM unnest((p_inv).items) i) it
$$;
COMMENT ON FUNCTION customs.ceb603_head(customs.ceb603_inventory) IS
    'CEB603 InventoryHead as the columns of customs.declarations, order_no..item_count.';
