-- 012_documents.sql - the other documents of a parcel (docs/DESIGN.md "Orders, waybills and
-- payments"; docs/DOMAIN.md sections 0, 1 and 4 #20): the e-commerce order (CEB303, with its
-- lines), the logistics waybill (CEB505) and the receipt of payment (CEB403), each keyed as
-- the standard keys it, the current version in its table and every version it replaced in
-- customs.document_versions; documents rejected for their format in
-- customs.document_rejections. Columns are the CEB fields in snake case (goodsValue ->
-- goods_value): customs.document_row maps the decoded fields (daemon/documents.h) by name.
-- Written by customs.apply_batch_documents (repeatable/58_documents.sql).

CREATE TABLE customs.orders (
    ebp_code            text          NOT NULL,
    order_no            text          NOT NULL,
    version             integer       NOT NULL CHECK (version >= 1),
    guid                text,
    app_type            text,
    app_time            text,
    app_status          text,
    order_type          text,
    ebp_name            text,
    ebc_code            text,
    ebc_name            text,
    goods_value         numeric(19,5),
    freight             numeric(19,5),
    currency            text,
    buyer_reg_no        text,
    buyer_name          text,
    buyer_telephone     text,
    consignee           text,
    consignee_telephone text,
    consignee_address   text,
    consignee_country   text,
    note                text,
    content_sha256      text          NOT NULL,
    payload             text          NOT NULL,
    source_topic        text          NOT NULL,
    source_partition    integer       NOT NULL,
    source_offset       bigint        NOT NULL,
    source_timestamp    timestamptz,
    received_at         timestamptz   NOT NULL,
    PRIMARY KEY (ebp_code, order_no)
);
COMMENT ON TABLE customs.orders IS
    'CEB303 e-commerce orders (OrderHead), current version, keyed by (ebpCode, orderNo).';
-- A payment (CEB403) and a declaration find their order by ebcCode + orderNo.
CREATE INDEX orders_ebc_order_idx ON customs.orders (ebc_code, order_no);
CREATE INDEX orders_order_no_idx ON customs.orders (order_no);

CREATE TABLE customs.order_items (
    ebp_code      text          NOT NULL,
    order_no      text          NOT NULL,
    line_no       integer       NOT NULL, -- position in the items array, from 1
    gnum          integer,
    item_no       text,
    item_name     text,
    gcode         text,
    item_describe text,
    bar_code      text,
    unit          text,
    currency      text,
    qty           numeric(19,5),
    price         numeric(19,5),
    total_price   numeric(19,5),
    note          text,
    PRIMARY KEY (ebp_code, order_no, line_no),
    FOREIGN KEY (ebp_code, order_no) REFERENCES customs.orders ON DELETE CASCADE
);
COMMENT ON TABLE customs.order_items IS
    'CEB303 OrderList entries of the current version of an order.';

CREATE TABLE customs.waybills (
    logistics_code      text          NOT NULL,
    logistics_no        text          NOT NULL,
    version             integer       NOT NULL CHECK (version >= 1),
    guid                text,
    app_type            text,
    app_time            text,
    app_status          text,
    logistics_name      text,
    consignee           text,
    consignee_telephone text,
    consignee_address   text,
    freight             numeric(19,5),
    insured_fee         numeric(19,5),
    currency            text,
    gross_weight        numeric(19,5),
    pack_no             bigint,
    goods_info          text,
    note                text,
    content_sha256      text          NOT NULL,
    payload             text          NOT NULL,
    source_topic        text          NOT NULL,
    source_partition    integer       NOT NULL,
    source_offset       bigint        NOT NULL,
    source_timestamp    timestamptz,
    received_at         timestamptz   NOT NULL,
    PRIMARY KEY (logistics_code, logistics_no)
);
COMMENT ON TABLE customs.waybills IS
    'CEB505 logistics waybills, current version, keyed by (logisticsCode, logisticsNo).';
CREATE INDEX waybills_logistics_no_idx ON customs.waybills (logistics_no);

CREATE TABLE customs.payments (
    ebc_code         text          NOT NULL,
    order_no         text          NOT NULL,
    version          integer       NOT NULL CHECK (version >= 1),
    guid             text,
    app_type         text,
    app_time         text,
    app_status       text,
    ebp_code         text,
    ebp_name         text,
    ebc_name         text,
    pay_code         text,
    pay_name         text,
    pay_no           text,
    charge           numeric(19,5),
    currency         text,
    accounting_date  text,
    note             text,
    content_sha256   text          NOT NULL,
    payload          text          NOT NULL,
    source_topic     text          NOT NULL,
    source_partition integer       NOT NULL,
    source_offset    bigint        NOT NULL,
    source_timestamp timestamptz,
    received_at      timestamptz   NOT NULL,
    PRIMARY KEY (ebc_code, order_no)
);
COMMENT ON TABLE customs.payments IS
    'CEB403 receipts of payment, current version, keyed by (ebcCode, orderNo).';

-- Every version a later one replaced (as customs.declaration_versions for declarations).
CREATE TABLE customs.document_versions (
    id               bigserial   PRIMARY KEY,
    document         text        NOT NULL CHECK (document IN ('order', 'waybill', 'payment')),
    key_a            text        NOT NULL, -- ebpCode | logisticsCode | ebcCode
    key_b            text        NOT NULL, -- orderNo | logisticsNo  | orderNo
    version          integer     NOT NULL,
    content_sha256   text        NOT NULL,
    payload          text        NOT NULL,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    received_at      timestamptz NOT NULL,
    replaced_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document, key_a, key_b, version)
);
COMMENT ON TABLE customs.document_versions IS
    'Orders, waybills and payments replaced by a later version of the same key.';
CREATE INDEX document_versions_sha_idx
    ON customs.document_versions (document, key_a, key_b, content_sha256);

-- Readable documents that break their format: rejected (100) with a receipt, kept here
-- with the reasons. Unique per Kafka record, as customs.quarantine.
CREATE TABLE customs.document_rejections (
    id               bigserial   PRIMARY KEY,
    document         text        NOT NULL CHECK (document IN ('order', 'waybill', 'payment')),
    key_a            text,                 -- when it could be read
    key_b            text        NOT NULL,
    content_sha256   text        NOT NULL,
    payload          text        NOT NULL,
    reasons          jsonb       NOT NULL,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_topic, source_partition, source_offset)
);
COMMENT ON TABLE customs.document_rejections IS
    'Orders, waybills and payments rejected (100) for their format, with the reasons.';
CREATE INDEX document_rejections_key_idx ON customs.document_rejections (document, key_b);
