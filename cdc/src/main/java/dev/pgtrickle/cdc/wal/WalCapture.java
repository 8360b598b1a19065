package dev.pgtrickle.cdc.wal;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The WAL side of one database in the daemon: the journal, the slot and publication, and the
 * decoder thread, started once the slot exists. Readers tell how far the slot may be confirmed
 * ({@link #confirmUpTo}); refreshes wait for the decoder with {@link #awaitDecoded}.
 */
public final class WalCapture implements AutoCloseable {

    private static final Duration HEARTBEAT = Duration.ofSeconds(10);

    private final WalConnections connections;
    private final ChangeJournal journal;
    private final AtomicLong confirmBound = new AtomicLong(0);
    private PublicationAndSlot names;
    private WalDecoder decoder;
    private Thread thread;

    private WalCapture(WalConnections connections, ChangeJournal journal) {
        this.connections = connections;
        this.journal = journal;
    }

    public static WalCapture open(WalConnections connections, Path journalDirectory) throws IOException {
        return new WalCapture(connections, ChangeJournal.open(journalDirectory));
    }

    public WalConnections connections() {
        return connections;
    }

    public ChangeJournal journal() {
        return journal;
    }

    /** The slot and publication names of the database {@code c} is connected to. */
    public synchronized PublicationAndSlot names(Connection c) throws SQLException {
        if (names == null) {
            names = PublicationAndSlot.of(c);
        }
        return names;
    }

    /** Creates the publication and slot unless they exist and starts decoding. Autocommit {@code c}. */
    public synchronized void ensureDecoding(Connection c) throws SQLException {
        names(c).ensure(c);
        if (thread == null || !thread.isAlive()) {
            decoder = new WalDecoder(connections, names, journal, HEARTBEAT, confirmBound::get);
            thread = new Thread(decoder, "pgtrickle-wal-decoder");
            thread.setDaemon(true);
            thread.start();
        }
    }

    public synchronized boolean decoding() {
        return thread != null && thread.isAlive();
    }

    /**
     * Sets the LSN up to which the slot may be confirmed: every transaction committed at or below
     * it is in the change buffers ({@link Long#MAX_VALUE}: the journal needs nothing).
     */
    public void confirmUpTo(long lsn) {
        confirmBound.set(lsn);
    }

    /** See {@link WalDecoder#requestFlush()}. */
    public void requestFlush() {
        WalDecoder current;
        synchronized (this) {
            current = decoder;
        }
        if (current != null) {
            current.requestFlush();
        }
    }

    /** Waits until every transaction committed before {@code lsn} is durable in the journal. */
    public boolean awaitDecoded(long lsn, Duration timeout) throws InterruptedException {
        WalDecoder current;
        synchronized (this) {
            current = decoder;
        }
        return current != null && current.awaitDecoded(lsn, timeout);
    }

    /** The stream tables whose refresh was asked for from SQL (see R__70_wal.sql) since the last call. */
    public List<Long> drainRefreshRequests() {
        WalDecoder current;
        synchronized (this) {
            current = decoder;
        }
        return current == null ? List.of() : current.drainRefreshRequests();
    }

    /** Stops decoding (the slot stays). */
    public synchronized void stopDecoding() {
        if (decoder != null) {
            decoder.stop();
            try {
                decoder.awaitStopped(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            decoder = null;
            thread = null;
        }
    }

    @Override
    public synchronized void close() {
        stopDecoding();
        journal.close();
    }
}
