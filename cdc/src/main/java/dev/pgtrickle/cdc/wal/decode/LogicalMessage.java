package dev.pgtrickle.cdc.wal.decode;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A message written with {@code pg_logical_emit_message} ('M'); sent only with the slot option
 * {@code messages}. A transactional one arrives inside its transaction, the others at once.
 *
 * @param lsn the LSN of the message record
 */
public record LogicalMessage(boolean transactional, long lsn, String prefix, byte[] content)
        implements PgOutputMessage {

    // Arrays are copied in and out so that the record stays immutable.
    public LogicalMessage {
        Objects.requireNonNull(prefix, "prefix");
        content = content.clone();
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LogicalMessage m && transactional == m.transactional && lsn == m.lsn
                && prefix.equals(m.prefix) && Arrays.equals(content, m.content);
    }

    @Override
    public int hashCode() {
        return Objects.hash(transactional, lsn, prefix, Arrays.hashCode(content));
    }

    @Override
    public String toString() {
        return "LogicalMessage[transactional=" + transactional + ", lsn=" + Lsns.format(lsn) + ", prefix=" + prefix
                + ", content=" + HexFormat.of().formatHex(content) + "]";
    }
}
