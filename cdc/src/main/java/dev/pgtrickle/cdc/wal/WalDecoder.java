package dev.pgtrickle.cdc.wal;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.cdc.wal.decode.LogicalMessage;
import dev.pgtrickle.cdc.wal.decode.PgOutputDecoder;
import dev.pgtrickle.cdc.wal.decode.PgOutputMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the database's slot into the journal, until stopped. Automatic flush is off: the slot
 * is confirmed only up to what is synced into the journal and, below that, up to the bound the
 * readers give ({@code confirmBound}: every transaction committed at or below it is in the change
 * buffers), so the slot, not our disk, stays the source of truth. After a restart the server sends
 * again from the confirmed position; transactions the journal already holds (commit LSN at or
 * below its last one) are skipped: nothing is lost or written twice.
 *
 * <p>A refresh learns that everything committed before its snapshot is journaled by emitting a
 * non-transactional {@value #SYNC_PREFIX} message and waiting for it ({@link #awaitDecoded}):
 * decoding is in commit order, so when that message arrives every earlier commit has been seen.
 * A transactional heartbeat message every {@code heartbeat} keeps an idle slot moving and the xid
 * reference fresh. Reconnects after connection loss.
 */
public final class WalDecoder implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(WalDecoder.class);
    /** Transactions journaled before one sync and confirmation (group commit). */
    private static final int BATCH = 1000;
    private static final String HEARTBEAT_PREFIX = "pgtrickle.heartbeat";
    /** Prefix of the non-transactional messages refreshes emit to wait for the decoder. */
    public static final String SYNC_PREFIX = "pgtrickle.sync";
    /** Prefix of the non-transactional messages asking the daemon to refresh a stream table (its id). */
    public static final String REFRESH_PREFIX = "pgtrickle.refresh";
    private static final Duration STATUS_INTERVAL = Duration.ofSeconds(1);

    private final WalConnections connections;
    private final PublicationAndSlot names;
    private final ChangeJournal journal;
    private final Duration heartbeat;
    private final LongSupplier confirmBound;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object progress = new Object();
    private final Queue<Long> refreshRequests = new ConcurrentLinkedQueue<>();
    private volatile boolean stopping;
    private volatile long decodedThrough;
    private volatile boolean flushRequested;

    /**
     * @param confirmBound the LSN up to which readers no longer need the WAL ({@link Long#MAX_VALUE}
     *                     when no reader needs any): the slot is never confirmed past it
     */
    public WalDecoder(WalConnections connections, PublicationAndSlot names, ChangeJournal journal, Duration heartbeat,
                      LongSupplier confirmBound) {
        this.connections = connections;
        this.names = names;
        this.journal = journal;
        this.heartbeat = heartbeat;
        this.confirmBound = confirmBound;
    }

    /** A decoder whose slot follows the journal (nobody reads it yet). */
    public WalDecoder(WalConnections connections, PublicationAndSlot names, ChangeJournal journal, Duration heartbeat) {
        this(connections, names, journal, heartbeat, () -> Long.MAX_VALUE);
    }

    /**
     * A position every transaction committed before which is durable in the journal: the end of
     * the last synced transaction, or the last sync message seen.
     */
    public long decodedThrough() {
        return decodedThrough;
    }

    /**
     * Asks for a heartbeat now. The server sends only flushed WAL, and a non-transactional message
     * (a refresh's sync message) is not flushed by itself: with asynchronous commits it could wait
     * for the next commit. The heartbeat's commit is synchronous and flushes it.
     */
    public void requestFlush() {
        flushRequested = true;
    }

    /** Waits until {@link #decodedThrough()} reaches {@code lsn}; false on timeout or stop. */
    public boolean awaitDecoded(long lsn, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (Long.compareUnsigned(decodedThrough, lsn) < 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || stopping) {
                    return false;
                }
                progress.wait(Math.max(1, Math.min(left / 1_000_000, 100)));
            }
            return true;
        }
    }

    /** The stream tables whose refresh was asked for from SQL since the last call. */
    public List<Long> drainRefreshRequests() {
        List<Long> ids = new ArrayList<>();
        for (Long id; (id = refreshRequests.poll()) != null; ) {
            ids.add(id);
        }
        return ids;
    }

    private void refreshRequested(String content) {
        try {
            refreshRequests.add(Long.parseLong(content.trim()));
        } catch (NumberFormatException e) {
            LOG.warn("ignoring a refresh request message with content {}", content);
        }
    }

    private void advance(long lsn) {
        synchronized (progress) {
            if (Long.compareUnsigned(lsn, decodedThrough) > 0) {
                decodedThrough = lsn;
            }
            progress.notifyAll();
        }
    }

    public void stop() {
        stopping = true;
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
        try {
            while (!stopping) {
                try {
                    session();
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("WAL decoding interrupted: {}; reconnecting", e.getMessage());
                    pause(Duration.ofSeconds(1));
                }
            }
        } finally {
            stopped.countDown();
        }
    }

    private void session() throws SQLException {
        try (Connection sql = connections.sql(); Connection replication = connections.replication()) {
            TransactionAssembler assembler = new TransactionAssembler();
            try (Statement settings = sql.createStatement()) {
                // The heartbeat's commit flushes the WAL before it (see requestFlush).
                settings.execute("SET synchronous_commit = on");
            }
            assembler.referenceXid(nextXid(sql));
            long skipThrough = journal.lastCommitLsn();
            PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI()
                    .replicationStream().logical()
                    .withSlotName(names.slot())
                    .withSlotOption("proto_version", 1)
                    .withSlotOption("publication_names", names.publication())
                    .withSlotOption("messages", true)
                    .withStatusInterval(1, TimeUnit.SECONDS)
                    .withAutomaticFlush(false)
                    .start();
            long received = 0;
            long confirmed = 0;
            int unsynced = 0;
            long nextHeartbeat = System.nanoTime();
            long nextStatus = System.nanoTime();
            while (!stopping) {
                if (flushRequested || System.nanoTime() - nextHeartbeat >= 0) {
                    flushRequested = false;
                    assembler.referenceXid(emitHeartbeat(sql));
                    nextHeartbeat = System.nanoTime() + heartbeat.toNanos();
                }
                ByteBuffer message = stream.readPending();
                if (message == null || unsynced >= BATCH) {
                    if (unsynced > 0) {
                        journal.sync();
                        unsynced = 0;
                        advance(received);
                    }
                    if (System.nanoTime() - nextStatus >= 0) {
                        confirmed = confirm(stream, confirmed);
                        nextStatus = System.nanoTime() + STATUS_INTERVAL.toNanos();
                    }
                    if (message == null) {
                        pause(Duration.ofMillis(2));
                        continue;
                    }
                }
                PgOutputMessage decoded = PgOutputDecoder.decode(message);
                if (decoded instanceof LogicalMessage request && !request.transactional()
                        && REFRESH_PREFIX.equals(request.prefix())) {
                    refreshRequested(new String(request.content(), StandardCharsets.UTF_8));
                    continue;
                }
                if (decoded instanceof LogicalMessage sync && !sync.transactional() && SYNC_PREFIX.equals(sync.prefix())) {
                    // Everything committed before it has been seen: make it durable, then say so.
                    journal.sync();
                    unsynced = 0;
                    advance(sync.lsn());
                    continue;
                }
                CommittedTransaction transaction = assembler.accept(decoded);
                if (transaction == null) {
                    continue;
                }
                if (transaction.commitLsn() > skipThrough && !transaction.entries().isEmpty()) {
                    journal.appendTransaction(transaction.entries());
                }
                received = transaction.endLsn();
                unsynced++;
            }
            if (unsynced > 0) {
                journal.sync();
                advance(received);
            }
            confirm(stream, confirmed);
            stream.close();
        }
    }

    /**
     * Lets the server forget the WAL up to what is durable in the journal and no reader needs;
     * returns the position confirmed.
     */
    private long confirm(PGReplicationStream stream, long confirmed) throws SQLException {
        long bound = confirmBound.getAsLong();
        long lsn = Long.compareUnsigned(bound, decodedThrough) < 0 ? bound : decodedThrough;
        if (lsn == 0 || Long.compareUnsigned(lsn, confirmed) <= 0) {
            return confirmed;
        }
        LogSequenceNumber position = LogSequenceNumber.valueOf(lsn);
        stream.setFlushedLSN(position);
        stream.setAppliedLSN(position);
        stream.forceUpdateStatus();
        return lsn;
    }

    /** Writes a transactional logical message; returns the server's next full xid. */
    private static long emitHeartbeat(Connection sql) throws SQLException {
        try (PreparedStatement statement = sql.prepareStatement(
                "SELECT pg_logical_emit_message(true, ?, ''), pg_snapshot_xmax(pg_current_snapshot())::text::bigint")) {
            statement.setString(1, HEARTBEAT_PREFIX);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(2);
            }
        }
    }

    private static long nextXid(Connection sql) throws SQLException {
        try (PreparedStatement statement = sql.prepareStatement(
                "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint");
             ResultSet row = statement.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }
}
