-- pgtrickle catalog, version 10: snapshots of stream tables (docs/sql-reference.md, "Operations").
-- A snapshot is a plain table holding a stream table's rows as of one refresh; this remembers
-- which stream table and frontier it belongs to. Dropping the stream table forgets its snapshots
-- (the tables stay: they are the user's archives).
CREATE TABLE pgtrickle.pgt_snapshots (
    snapshot_relid oid PRIMARY KEY,
    pgt_id         bigint NOT NULL REFERENCES pgtrickle.pgt_stream_tables (pgt_id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    data_timestamp timestamptz,
    frontier       pg_snapshot,
    row_count      bigint NOT NULL
);
GRANT SELECT ON pgtrickle.pgt_snapshots TO PUBLIC;
COMMENT ON TABLE pgtrickle.pgt_snapshots IS 'pgtrickle: snapshot tables of stream tables (snapshot_stream_table)';
