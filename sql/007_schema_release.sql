-- 007_schema_release.sql - the release of the functions, views, triggers and grants in a
-- database: one row, written by sql/migrate.sh after it applied sql/repeatable/ (the
-- SHA-256 over those files, see migrate.sh "repeatable_digest"), in the same transaction.
-- With customs.schema_migrations it is what customsd checks on every connection before it
-- works (README "Readiness"): the numbered migrations it was built with must all be
-- recorded, none newer, and this digest must be its own.
CREATE TABLE customs.schema_release (
    id                boolean     PRIMARY KEY DEFAULT true CHECK (id), -- one row
    repeatable_sha256 text        NOT NULL CHECK (repeatable_sha256 ~ '^[0-9a-f]{64}$'),
    repeatable_files  integer     NOT NULL,
    applied_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customs.schema_release IS
    'the sql/repeatable/ release applied last (migrate.sh); customsd compares it with its own';
