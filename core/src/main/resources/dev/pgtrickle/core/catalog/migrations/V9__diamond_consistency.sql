-- pgtrickle catalog, version 9: diamond_consistency (docs/sql-reference.md, create_stream_table).
-- 'atomic': the stream tables this one reads are refreshed together with it, in one transaction
-- under one snapshot, so that it never combines one side of a diamond refreshed and the other not.
ALTER TABLE pgtrickle.pgt_stream_tables
    ADD COLUMN diamond_consistency text NOT NULL DEFAULT 'none' CHECK (diamond_consistency IN ('none', 'atomic'));
