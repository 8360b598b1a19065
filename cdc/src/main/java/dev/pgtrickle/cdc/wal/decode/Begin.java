package dev.pgtrickle.cdc.wal.decode;

/**
 * Start of a transaction ('B').
 *
 * @param finalLsn         LSN of the transaction's commit record
 * @param commitTimeMicros commit time, microseconds since 2000-01-01 UTC
 * @param xid              the top-level transaction id, 32 bits as sent: widen it to an xid8
 *                         with the server's current epoch before comparing with snapshots
 */
public record Begin(long finalLsn, long commitTimeMicros, int xid) implements PgOutputMessage {
}
