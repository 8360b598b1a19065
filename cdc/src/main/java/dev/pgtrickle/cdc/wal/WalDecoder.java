package dev.pgtrickle.cdc.wal;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.cdc.wal.decode.PgOutputDecoder;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the database's slot into the journal, until stopped. The slot's position is confirmed
 * only after the transactions up to it are synced into the journal (automatic flush is off), so
 * after a crash the server sends again what may not have reached the journal; transactions the
 * journal already holds (commit LSN at or below its last one) are skipped: nothing is lost or
 * written twice. A transactional heartbeat message every {@code heartbeat} keeps an idle slot
 * moving and the xid reference fresh. Reconnects after connection loss.
 */
public final class WalDecoder implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(WalDecoder.class);
    /** Transactions journaled before one sync and confirmation (group commit). */
    private static final int BATCH = 1000;
    private static final String HEARTBEAT_PREFIX = "pgtrickle.heartbeat";

    private final WalConnections connections;
    private final PublicationAndSlot names;
    private final ChangeJournal journal;
    private final Duration heartbeat;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile long decodedThrough;

    public WalDecoder(WalConnections connections, PublicationAndSlot names, ChangeJournal journal, Duration heartbeat) {
        this.connections = connections;
        this.names = names;
        this.journal = journal;
        this.heartbeat = heartbeat;
    }

    /**
     * The end position of the last transaction whose entries are durable in the journal: every
     * transaction that committed before it is journaled.
     */
    public long decodedThrough() {
        return decodedThrough;
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
            long unconfirmed = 0;
            int pending = 0;
            long nextHeartbeat = System.nanoTime();
            while (!stopping) {
                if (System.nanoTime() - nextHeartbeat >= 0) {
                    assembler.referenceXid(emitHeartbeat(sql));
                    nextHeartbeat = System.nanoTime() + heartbeat.toNanos();
                }
                ByteBuffer message = stream.readPending();
                if (message == null) {
                    if (unconfirmed != 0) {
                        confirm(stream, unconfirmed);
                        unconfirmed = 0;
                        pending = 0;
                    }
                    pause(Duration.ofMillis(5));
                    continue;
                }
                CommittedTransaction transaction = assembler.accept(PgOutputDecoder.decode(message));
                if (transaction == null) {
                    continue;
                }
                if (transaction.commitLsn() > skipThrough && !transaction.entries().isEmpty()) {
                    journal.appendTransaction(transaction.entries());
                }
                unconfirmed = transaction.endLsn();
                if (++pending >= BATCH) {
                    confirm(stream, unconfirmed);
                    unconfirmed = 0;
                    pending = 0;
                }
            }
            if (unconfirmed != 0) {
                confirm(stream, unconfirmed);
            }
            stream.close();
        }
    }

    /** Makes the journal durable, then lets the server forget the WAL up to {@code lsn}. */
    private void confirm(PGReplicationStream stream, long lsn) throws SQLException {
        journal.sync();
        decodedThrough = lsn;
        LogSequenceNumber position = LogSequenceNumber.valueOf(lsn);
        stream.setFlushedLSN(position);
        stream.setAppliedLSN(position);
        stream.forceUpdateStatus();
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
