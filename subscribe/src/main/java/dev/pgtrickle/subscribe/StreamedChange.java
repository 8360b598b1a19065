package dev.pgtrickle.subscribe;

import java.time.Instant;
import java.util.Map;

/**
 * One change of a published stream table as a subscriber receives it.
 *
 * @param operation what happened to the row
 * @param streamTable {@code schema.table}
 * @param refreshId the refresh whose transaction made the change ({@code pgt_refresh_history}); null
 *     for rows read when the subscription started from the beginning
 * @param refreshAction that refresh's action ({@code DIFFERENTIAL}, {@code FULL}, {@code REINITIALIZE})
 * @param before the row before an update or a delete: whole where the subscriber saw it (it reads
 *     the rows when it starts), else its key, which is what logical replication carries; null for
 *     inserts and reads
 * @param after the row after an insert, an update or a read; null for deletes
 * @param lsn where the change is in the WAL
 * @param committedAt when its transaction committed; null for rows read at the start
 */
public record StreamedChange(Operation operation, String streamTable, Long refreshId, String refreshAction,
                             Map<String, Object> before, Map<String, Object> after, Long lsn, Instant committedAt) {

    /** What happened to a row. */
    public enum Operation {
        INSERT, UPDATE, DELETE, TRUNCATE, READ;

        /** From Debezium's {@code op} code. */
        static Operation of(String code) {
            return switch (code) {
                case "c" -> INSERT;
                case "u" -> UPDATE;
                case "d" -> DELETE;
                case "t" -> TRUNCATE;
                case "r" -> READ;
                default -> throw new IllegalArgumentException("unknown Debezium operation " + code);
            };
        }
    }
}
