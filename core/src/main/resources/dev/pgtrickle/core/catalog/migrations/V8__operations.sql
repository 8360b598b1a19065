-- pgtrickle catalog, version 8: what subscribers of published stream tables and the operations
-- API need (docs/architecture.md, "Published stream tables"; docs/sql-reference.md, "Operations").

GRANT SELECT ON pgtrickle.pgt_created_publications TO PUBLIC;

-- The transaction of each refresh: a subscriber of a published stream table (pgtrickle subscribe)
-- names the refresh an event came from by the transaction it was decoded from.
ALTER TABLE pgtrickle.pgt_refresh_history ADD COLUMN xid xid8;

-- drain(): the scheduler starts no refresh while drain_requested_at is set; the leading daemon
-- acknowledges it once none runs (is_drained()).
ALTER TABLE pgtrickle.pgt_instance
    ADD COLUMN drain_requested_at timestamptz,
    ADD COLUMN drain_acknowledged_at timestamptz;
