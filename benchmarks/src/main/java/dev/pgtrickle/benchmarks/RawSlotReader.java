package dev.pgtrickle.benchmarks;

import dev.pgtrickle.cdc.wal.WalConnections;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.replication.PGReplicationStream;

/**
 * The baseline of decode throughput: streams a slot's pgoutput messages with pgjdbc's replication
 * API, exactly as the decoder requests them, and discards them — what reading the slot costs
 * before any decoding or journaling. It never confirms a position, so the slot can be read again
 * from the same start.
 */
final class RawSlotReader {

    /** What one read streamed. */
    record Read(long nanos, long messages, long rowMessages, long bytes) {
    }

    private RawSlotReader() {
    }

    /**
     * Reads {@code slot} from its confirmed position until the first commit ending at or after
     * {@code endLsn}; the time includes connecting, as the decoder's does, but not closing.
     */
    static Read read(String jdbcUrl, String slot, String publication, long endLsn) throws SQLException {
        long start = System.nanoTime();
        long messages = 0;
        long rowMessages = 0;
        long bytes = 0;
        long nanos;
        try (Connection replication = WalConnections.of(jdbcUrl).replication()) {
            PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI()
                    .replicationStream().logical()
                    .withSlotName(slot)
                    .withSlotOption("proto_version", 1)
                    .withSlotOption("publication_names", publication)
                    // As the decoder asks: the end marker is a logical message.
                    .withSlotOption("messages", true)
                    .withStatusInterval(1, TimeUnit.SECONDS)
                    .withAutomaticFlush(false)
                    .start();
            while (true) {
                // Blocks until a message arrives: no polling pause of its own between messages.
                ByteBuffer message = stream.read();
                if (message == null) {
                    throw new IllegalStateException("the server ended the stream of " + slot + " before LSN " + endLsn);
                }
                messages++;
                bytes += message.remaining();
                byte kind = message.get(message.position());
                if (kind == 'I' || kind == 'U' || kind == 'D') {
                    rowMessages++;
                } else if (kind == 'C' && Long.compareUnsigned(commitEnd(message), endLsn) >= 0) {
                    nanos = System.nanoTime() - start;
                    break;
                }
            }
            stream.close();
        }
        return new Read(nanos, messages, rowMessages, bytes);
    }

    /** A Commit message is 'C', flags (1 byte), commit LSN, end LSN, timestamp (8 bytes each). */
    private static long commitEnd(ByteBuffer commit) {
        return commit.getLong(commit.position() + 10);
    }
}
