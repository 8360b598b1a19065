-- pgtrickle catalog, version 11: moving time windows (docs/architecture.md, "Moving time windows").
-- A stream table whose query compares columns with the clock is computed at a time: the refresh's
-- clock. clock_frontier is the time its contents were computed at (the old time of the next
-- differential refresh); clock_next_due the earliest time after it at which a row enters or
-- leaves its window (NULL: none will until a source changes), which lets the daemon skip a
-- refresh with nothing to do.
ALTER TABLE pgtrickle.pgt_stream_tables ADD COLUMN clock_frontier timestamptz;
ALTER TABLE pgtrickle.pgt_stream_tables ADD COLUMN clock_next_due timestamptz;
