-- 023_ceb603_inventory_type.sql - the CEB603 inventory as a composite type: customsd stages a
-- declaration's decoded fields as one value of it (COPY text: a row literal) instead of a
-- JSON object that PostgreSQL parsed into jsonb and then took apart field by field
-- (measured: parsing the JSON 15 ms and taking it apart ~20 ms per 1000 declarations;
-- the row literal 7 ms and ~2 ms). The JSON form (customs.apply_batch's documents, psql)
-- becomes the same value with customs.ceb603_inventory_of (repeatable/40_ceb603.sql).
--
-- The attributes are the COLUMN fields of daemon/declaration.h, spelled and ordered as
-- there (DECL_HEAD_FIELDS, then the items; DECL_ITEM_FIELDS for an item): STRING is text,
-- DECIMAL numeric, INTEGER bigint. tests/integration/test_ceb603.c checks the two against
-- each other. A new COLUMN field is a new migration: ALTER TYPE ... ADD ATTRIBUTE, at the
-- place the C list has it (a type's attributes can only be added at the end: then the C
-- field goes at the end of its list too).
CREATE TYPE customs.ceb603_inventory_item AS (
    gnum             bigint,
    "itemNo"         text,
    "itemRecordNo"   text,
    "itemName"       text,
    gcode            text,
    gname            text,
    gmodel           text,
    "barCode"        text,
    country          text,
    currency         text,
    qty              numeric,
    qty1             numeric,
    qty2             numeric,
    unit             text,
    unit1            text,
    unit2            text,
    price            numeric,
    "totalPrice"     numeric
);

CREATE TYPE customs.ceb603_inventory AS (
    guid             text,
    "appType"        text,
    "appTime"        text,
    "appStatus"      text,
    "customsCode"    text,
    "ebpCode"        text,
    "orderNo"        text,
    "logisticsCode"  text,
    "logisticsNo"    text,
    "copNo"          text,
    "ieFlag"         text,
    "portCode"       text,
    "ieDate"         text,
    "statisticsFlag" text,
    "agentCode"      text,
    "ebcCode"        text,
    "ebcName"        text,
    "ownerCode"      text,
    "tradeMode"      text,
    "trafMode"       text,
    country          text,
    "POD"            text,
    freight          numeric,
    "fCurrency"      text,
    "insuredFee"     numeric,
    "iCurrency"      text,
    "wrapType"       text,
    "packNo"         bigint,
    "grossWeight"    numeric,
    "netWeight"      numeric,
    items            customs.ceb603_inventory_item[]
);

-- The JSON-taking functions they replace (repeatable/40_ceb603.sql, 55_amendments.sql,
-- 59_matching.sql now take customs.ceb603_inventory).
DROP FUNCTION IF EXISTS customs.ceb603_head(jsonb);
DROP FUNCTION IF EXISTS customs.ceb603_items(jsonb);
DROP FUNCTION IF EXISTS customs.matching_wait_reasons(jsonb);
DROP FUNCTION IF EXISTS customs.apply_change_record(text, text, text, text, jsonb, integer, jsonb,
                                                    text, text, integer, bigint, timestamptz,
                                                    boolean);
