-- pgtrickle catalog, version 1.
-- Flyway creates the schemas pgtrickle and pgtrickle_changes before running this script.
-- Tables are readable by everyone (they hold metadata, like pg_views does); only the SQL API's
-- SECURITY DEFINER functions write them.

COMMENT ON SCHEMA pgtrickle IS 'pgtrickle: catalog and SQL API of stream tables';
COMMENT ON SCHEMA pgtrickle_changes IS 'pgtrickle: change buffers of captured source tables';

CREATE TABLE pgtrickle.pgt_stream_tables (
    pgt_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The storage table is the identity of a stream table; names are kept for display only
    -- (renaming the storage table keeps the stream table).
    pgt_relid          oid NOT NULL UNIQUE,
    pgt_schema         name NOT NULL,
    pgt_name           name NOT NULL,
    defining_query     text NOT NULL,
    -- The query as deparsed by PostgreSQL with every name qualified: what refresh executes.
    normalized_query   text NOT NULL,
    -- View in schema pgtrickle holding the defining query, so that PostgreSQL's dependency
    -- tracking refuses to drop a source the stream table needs.
    definition_view    name NOT NULL,
    schedule           text,
    refresh_mode       text NOT NULL
        CHECK (refresh_mode IN ('AUTO', 'FULL', 'DIFFERENTIAL')),
    -- How refresh actually runs and, when that differs from refresh_mode, why.
    effective_mode     text NOT NULL DEFAULT 'FULL'
        CHECK (effective_mode IN ('FULL', 'DIFFERENTIAL')),
    mode_reason        text,
    status             text NOT NULL DEFAULT 'ACTIVE'
        CHECK (status IN ('ACTIVE', 'SUSPENDED', 'ERROR')),
    tier               text NOT NULL DEFAULT 'hot'
        CHECK (tier IN ('hot', 'warm', 'cold', 'frozen')),
    append_only        boolean NOT NULL DEFAULT false,
    cdc_mode           text CHECK (cdc_mode IN ('trigger', 'wal', 'auto')),
    is_populated       boolean NOT NULL DEFAULT false,
    -- Snapshot under which the contents were last computed (invariant I1).
    frontier           pg_snapshot,
    data_timestamp     timestamptz,
    consecutive_errors integer NOT NULL DEFAULT 0,
    last_error         text,
    -- Compiled refresh plan (generated statements, strategy per operator, hidden columns),
    -- written by the IVM compiler; NULL means refresh runs FULL.
    plan               jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    altered_at         timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pgtrickle.pgt_stream_tables IS 'pgtrickle: one row per stream table';

-- Direct sources of each stream table: base tables (views are expanded) and stream tables.
CREATE TABLE pgtrickle.pgt_dependencies (
    pgt_id        bigint NOT NULL REFERENCES pgtrickle.pgt_stream_tables ON DELETE CASCADE,
    source_relid  oid NOT NULL,
    source_kind   text NOT NULL CHECK (source_kind IN ('TABLE', 'STREAM_TABLE')),
    source_schema name NOT NULL,
    source_name   name NOT NULL,
    PRIMARY KEY (pgt_id, source_relid)
);

CREATE INDEX pgt_dependencies_source ON pgtrickle.pgt_dependencies (source_relid);

-- One row per captured base table: its change buffer and capture function, shared by all
-- stream tables that read the table.
CREATE TABLE pgtrickle.pgt_change_sources (
    source_relid     oid PRIMARY KEY,
    source_schema    name NOT NULL,
    source_name      name NOT NULL,
    buffer_table     name NOT NULL UNIQUE,
    capture_function name NOT NULL UNIQUE,
    captured_columns name[] NOT NULL,
    cdc_mode         text NOT NULL DEFAULT 'trigger' CHECK (cdc_mode IN ('trigger', 'wal')),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pgtrickle.pgt_refresh_history (
    refresh_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pgt_id           bigint NOT NULL REFERENCES pgtrickle.pgt_stream_tables ON DELETE CASCADE,
    start_time       timestamptz NOT NULL,
    end_time         timestamptz NOT NULL,
    action           text NOT NULL
        CHECK (action IN ('FULL', 'DIFFERENTIAL', 'REINITIALIZE', 'NO_DATA')),
    status           text NOT NULL CHECK (status IN ('COMPLETED', 'FAILED')),
    rows_inserted    bigint,
    rows_deleted     bigint,
    -- Buffered source changes this refresh accounted for: rows whose transaction is visible in
    -- the new frontier and not in the previous one.
    changes_consumed bigint,
    initiated_by     text NOT NULL,
    frontier         pg_snapshot,
    error_message    text
);

CREATE INDEX pgt_refresh_history_pgt ON pgtrickle.pgt_refresh_history (pgt_id, refresh_id);

GRANT USAGE ON SCHEMA pgtrickle TO PUBLIC;
GRANT USAGE ON SCHEMA pgtrickle_changes TO PUBLIC;
GRANT SELECT ON pgtrickle.pgt_stream_tables, pgtrickle.pgt_dependencies,
    pgtrickle.pgt_change_sources, pgtrickle.pgt_refresh_history TO PUBLIC;
