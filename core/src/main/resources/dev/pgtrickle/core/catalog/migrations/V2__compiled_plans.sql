-- pgtrickle catalog, version 2: state of the differential compiler per stream table, and
-- updated rows in the refresh history (differential refreshes update rows in place).

ALTER TABLE pgtrickle.pgt_stream_tables
    ADD COLUMN compile_status text NOT NULL DEFAULT 'PENDING'
        CHECK (compile_status IN ('PENDING', 'COMPILED', 'UNSUPPORTED', 'NOT_NEEDED'));

COMMENT ON COLUMN pgtrickle.pgt_stream_tables.compile_status IS
    'PENDING: waits for the compiler; COMPILED: plan holds the differential refresh; '
    'UNSUPPORTED: the query cannot be refreshed differentially (mode_reason says why); '
    'NOT_NEEDED: refresh_mode FULL or volatile functions';

UPDATE pgtrickle.pgt_stream_tables SET compile_status = 'NOT_NEEDED'
WHERE refresh_mode = 'FULL' OR mode_reason LIKE 'volatile%';

ALTER TABLE pgtrickle.pgt_refresh_history ADD COLUMN rows_updated bigint;

-- Why the compiler refused the query (compile_status UNSUPPORTED), kept across mode changes.
ALTER TABLE pgtrickle.pgt_stream_tables ADD COLUMN compile_error text;

-- The frontier's cut inside the refreshing transaction itself: its buffer rows stamped before
-- the refresh (__pgt_seq below frontier_own_seq) are covered, those it writes afterwards are not.
ALTER TABLE pgtrickle.pgt_stream_tables
    ADD COLUMN frontier_own_xid xid8,
    ADD COLUMN frontier_own_seq bigint;

-- Stamps each capturing statement's buffer rows, and each refresh's cut, in one order.
CREATE SEQUENCE pgtrickle.pgt_capture_seq;
