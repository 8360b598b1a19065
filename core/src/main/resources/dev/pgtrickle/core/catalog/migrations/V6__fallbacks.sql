-- pgtrickle catalog, version 6: a refresh that should have been differential and was redone FULL
-- (a data exception in the delta, a manual refresh of tables captured from the WAL) is marked,
-- so that pgt_status(), health_check(), the CLI, /health and the metrics can show it.
ALTER TABLE pgtrickle.pgt_refresh_history ADD COLUMN fallback boolean NOT NULL DEFAULT false;

-- Fallbacks are rare: the latest of a stream table is found without reading its whole history.
CREATE INDEX pgt_refresh_history_fallbacks ON pgtrickle.pgt_refresh_history (pgt_id, refresh_id) WHERE fallback;
