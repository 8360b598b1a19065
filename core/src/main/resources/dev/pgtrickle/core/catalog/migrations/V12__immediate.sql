-- pgtrickle catalog, version 12: IMMEDIATE mode (docs/architecture.md, "IMMEDIATE mode"): a stream
-- table maintained inside every statement that changes its source, by triggers of its own.
ALTER TABLE pgtrickle.pgt_stream_tables DROP CONSTRAINT pgt_stream_tables_refresh_mode_check;
ALTER TABLE pgtrickle.pgt_stream_tables ADD CONSTRAINT pgt_stream_tables_refresh_mode_check
    CHECK (refresh_mode IN ('AUTO', 'FULL', 'DIFFERENTIAL', 'IMMEDIATE'));
ALTER TABLE pgtrickle.pgt_stream_tables DROP CONSTRAINT pgt_stream_tables_effective_mode_check;
ALTER TABLE pgtrickle.pgt_stream_tables ADD CONSTRAINT pgt_stream_tables_effective_mode_check
    CHECK (effective_mode IN ('FULL', 'DIFFERENTIAL', 'IMMEDIATE'));
