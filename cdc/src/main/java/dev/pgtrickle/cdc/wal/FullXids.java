package dev.pgtrickle.cdc.wal;

/**
 * Widens the 32-bit transaction ids pgoutput sends to the 64-bit xid8 that change buffers,
 * snapshots and frontiers use. PostgreSQL keeps every live xid within 2^31 of the next xid, so a
 * 32-bit xid has exactly one full xid within 2^31 of a recent full xid of the same server.
 */
public final class FullXids {

    private FullXids() {
    }

    /**
     * @param xid       the 32-bit xid as sent (unsigned)
     * @param reference a full xid of the same server taken recently, e.g. {@code pg_snapshot_xmax(pg_current_snapshot())}
     */
    public static long widen(int xid, long reference) {
        int distance = xid - (int) reference;  // signed 32-bit distance, wraps correctly
        return reference + distance;
    }
}
