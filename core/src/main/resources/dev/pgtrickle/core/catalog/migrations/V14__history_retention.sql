-- pgtrickle catalog, version 14: the refresh history is pruned by age (pgtrickle.prune_history,
-- docs/sql-reference.md), which finds the old rows through this index instead of reading the
-- whole history, one row per refresh, every time.
CREATE INDEX pgt_refresh_history_end_time ON pgtrickle.pgt_refresh_history (end_time);
