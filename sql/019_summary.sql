-- 019_summary.sql - the monthly summary declaration (汇总申报, CEB701; docs/DOMAIN.md section
-- 4 #24 and the 9610 trade mode: "清单核放、汇总申报"): the summaries an e-commerce enterprise
-- filed, their lines, and the inventories behind them. Computed by
-- customs.summary_compute and filed by customs.file_summary (repeatable/65_summary.sql).
-- A filed summary is a record: it is never recomputed (customs.summary_lines returns the
-- filed lines), and an inventory is in at most one filed summary (the primary key of
-- summary_inventories).
CREATE TABLE customs.summaries (
    summary_id      bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    month           date         NOT NULL CHECK (month = date_trunc('month', month)::date),
    ebc_code        text         NOT NULL,
    line_count      integer      NOT NULL,
    inventory_count integer      NOT NULL,
    filed_at        timestamptz  NOT NULL DEFAULT now(),
    filed_by        text         NOT NULL DEFAULT session_user,
    UNIQUE (month, ebc_code)
);
COMMENT ON TABLE customs.summaries IS
    'Filed monthly summary declarations (CEB701), one per e-commerce enterprise (ebcCode) and month of closing (899, Asia/Shanghai).';

CREATE TABLE customs.summary_lines (
    summary_id      bigint       NOT NULL REFERENCES customs.summaries,
    line_no         integer      NOT NULL,
    ebc_code        text         NOT NULL,
    traf_mode       text,
    owner_code      text,
    country         text,
    port_code       text,
    gcode           text,
    currency        text,
    unit            text,
    qty             numeric      NOT NULL,
    total_price     numeric      NOT NULL,
    inventory_count integer      NOT NULL,
    PRIMARY KEY (summary_id, line_no)
);
COMMENT ON TABLE customs.summary_lines IS
    'The lines of a filed summary: one per ebcCode, trafMode, ownerCode, country, portCode, 10-digit gcode, currency (and legal unit, so that quantities add up).';

CREATE TABLE customs.summary_inventories (
    logistics_no    text         PRIMARY KEY REFERENCES customs.declarations,
    summary_id      bigint       NOT NULL REFERENCES customs.summaries,
    invt_no         text
);
CREATE INDEX summary_inventories_summary_idx ON customs.summary_inventories (summary_id);
COMMENT ON TABLE customs.summary_inventories IS
    'Which filed summary each inventory is in: at most one (the primary key).';
