-- pgtrickle catalog, version 3: what the daemon and operators need to know about each refresh.

-- Why a refresh took its action when that is not obvious from the stream table's mode: the AUTO
-- cost model's decision (and the numbers behind it), a truncated source that forced a
-- reinitialization, a differential refresh that failed and was redone FULL.
ALTER TABLE pgtrickle.pgt_refresh_history ADD COLUMN reason text;

COMMENT ON COLUMN pgtrickle.pgt_refresh_history.reason IS
    'why this action was chosen: AUTO decision, truncated source, differential fallback; NULL when nothing needed explaining';
