-- pgtrickle catalog, version 4: capture from the WAL (see R__70_wal.sql).

ALTER TABLE pgtrickle.pgt_change_sources
    ADD COLUMN cdc_request    text CHECK (cdc_request IN ('trigger', 'wal')),
    ADD COLUMN wal_cut        pg_snapshot,
    ADD COLUMN wal_loaded     pg_snapshot,
    ADD COLUMN wal_loaded_lsn pg_lsn,
    ADD COLUMN cdc_note       text;

COMMENT ON COLUMN pgtrickle.pgt_change_sources.cdc_request IS
    'capture mode an operator asked for (pgtrickle cdc graduate/fallback); NULL: follow the stream tables'' cdc_mode';
COMMENT ON COLUMN pgtrickle.pgt_change_sources.wal_cut IS
    'snapshot of the last switch between trigger and WAL capture: which transactions come from which side';
COMMENT ON COLUMN pgtrickle.pgt_change_sources.wal_loaded IS
    'the journal''s changes of transactions visible in this snapshot are in the change buffer (or not needed)';
COMMENT ON COLUMN pgtrickle.pgt_change_sources.wal_loaded_lsn IS
    'every transaction not visible in wal_loaded commits after this LSN: where reading the journal starts';
COMMENT ON COLUMN pgtrickle.pgt_change_sources.cdc_note IS
    'why the source is not (yet) in the requested capture mode, or the last switch problem';
