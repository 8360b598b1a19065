-- pgtrickle catalog, version 7: stream tables published for logical replication
-- (docs/architecture.md, "Published stream tables").

-- The publication a stream table was added to by stream_table_to_publication, and the key its
-- replica identity is on (the plan's output key when it was published: a FULL refresh of a
-- published table applies the difference on it, whatever its plan is by then).
ALTER TABLE pgtrickle.pgt_stream_tables
    ADD COLUMN publication name,
    ADD COLUMN publication_key name[];

-- Publications pgtrickle created: dropped when their last stream table leaves them.
CREATE TABLE pgtrickle.pgt_created_publications (
    pubname name PRIMARY KEY
);
COMMENT ON TABLE pgtrickle.pgt_created_publications IS 'pgtrickle: publications created by stream_table_to_publication';
