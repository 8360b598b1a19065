-- pgtrickle catalog, version 13: the stamps IMMEDIATE mode takes for queries joining tables
-- (docs/architecture.md, "IMMEDIATE mode"): a row per stream table and bucket of join keys, whose
-- row lock a writer holds until it commits and whose version tells a REPEATABLE READ writer that
-- another took it after its snapshot. Unlogged: a stamp only matters to the transactions running
-- with it, which a crash ends.
CREATE UNLOGGED TABLE pgtrickle.immediate_stamps (
    pgt_id bigint NOT NULL,
    stamp bigint NOT NULL,
    holder xid8 NOT NULL,
    PRIMARY KEY (pgt_id, stamp)
) WITH (fillfactor = 50);
