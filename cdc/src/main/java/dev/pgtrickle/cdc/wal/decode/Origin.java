package dev.pgtrickle.cdc.wal.decode;

import java.util.Objects;

/**
 * Replication origin of the current transaction ('O'), sent after {@link Begin} when the
 * transaction was replayed from elsewhere.
 *
 * @param lsn  the commit LSN on the origin server
 * @param name the origin's name
 */
public record Origin(long lsn, String name) implements PgOutputMessage {

    public Origin {
        Objects.requireNonNull(name, "name");
    }
}
