-- pgtrickle catalog, version 5: what users of every role need to see, and what the daemon and
-- `pgtrickle uninstall` need to know.

-- Every role may ask which catalog version is installed (the CLI's read-only commands do).
GRANT SELECT ON pgtrickle.pgt_schema_history TO PUBLIC;

-- One row: the identity of this installation, and the journal the leading daemon last used.
-- The identity names the daemon's default journal directory, so a journal is never shared by two
-- databases, and a reinstall (with a new slot) starts a new journal.
CREATE TABLE pgtrickle.pgt_instance (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    instance_id  uuid NOT NULL DEFAULT gen_random_uuid(),
    installed_at timestamptz NOT NULL DEFAULT now(),
    journal_host text,
    journal_dir  text
);
INSERT INTO pgtrickle.pgt_instance DEFAULT VALUES;
GRANT SELECT ON pgtrickle.pgt_instance TO PUBLIC;

COMMENT ON TABLE pgtrickle.pgt_instance IS 'pgtrickle: identity of this installation and where its journal is';

-- Functions of the defining query whose result changes without any source change: volatile ones
-- (random(), clock_timestamp()) and those reading the clock or other state (now(), CURRENT_DATE,
-- user-defined STABLE functions). Such a query is refreshed FULL, and never skipped as unchanged.
-- NULL: not analyzed yet (stream tables created before version 5; the install fills them in).
ALTER TABLE pgtrickle.pgt_stream_tables ADD COLUMN unstable_functions text[];
