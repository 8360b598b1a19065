package dev.pgtrickle.cdc.wal.decode;

/**
 * End of a transaction ('C').
 *
 * @param flags            unused by PostgreSQL so far, kept as sent
 * @param commitLsn        LSN of the commit record (equals {@link Begin#finalLsn()})
 * @param endLsn           LSN just past the commit record: the position to confirm to the slot
 * @param commitTimeMicros commit time, microseconds since 2000-01-01 UTC
 */
public record Commit(byte flags, long commitLsn, long endLsn, long commitTimeMicros) implements PgOutputMessage {
}
