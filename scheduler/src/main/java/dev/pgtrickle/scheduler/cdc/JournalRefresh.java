package dev.pgtrickle.scheduler.cdc;

import dev.pgtrickle.cdc.load.JournalLoader;
import dev.pgtrickle.cdc.load.JournalSource;
import dev.pgtrickle.cdc.wal.WalCapture;
import dev.pgtrickle.scheduler.run.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * Opens the transaction of a refresh whose stream table reads sources captured from the WAL
 * (docs/architecture.md, "WAL capture"): REPEATABLE READ; the locks taken before the snapshot S (LOCK takes no
 * snapshot), in the order every refresh and drop takes them — the sources, the storage table (as
 * its owner), then the sources' buffers against concurrent loaders; S and a sync message in one
 * statement; the decoder awaited past that message; the owed journal changes loaded into the
 * buffers. The caller then refreshes in the same transaction, so the delta, the base tables and
 * the frontier all use S.
 */
public final class JournalRefresh {

    private static final Duration DECODER_WAIT = Duration.ofSeconds(60);
    private static final int ATTEMPTS = 3;

    private final WalCapture capture;

    public JournalRefresh(WalCapture capture) {
        this.capture = capture;
    }

    /**
     * Leaves {@code c} (manual commit) in a REPEATABLE READ transaction with the journal loaded
     * when the stream table has journal sources; otherwise changes nothing.
     *
     * @return whether the transaction was opened here (the caller restores READ COMMITTED after it)
     */
    public boolean begin(Connection c, long pgtId) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            List<JournalSource> sources = JournalSource.of(c, pgtId);
            if (sources.isEmpty()) {
                c.commit();
                return false;
            }
            long lsnBefore = SyncPoint.insertLsn(c);
            StreamTableLocks locks = StreamTableLocks.of(c, pgtId);
            c.commit();
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement lock = c.createStatement()) {
                locks.take(lock);
                lock.execute(JournalSource.lockForLoading(sources, false));
            }
            SyncPoint now = SyncPoint.take(c);
            List<JournalSource> locked = JournalSource.of(c, pgtId);
            if (!oids(locked).equals(oids(sources))) {
                // A source switched capture mode in between: lock the right buffers.
                c.rollback();
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                if (attempt < ATTEMPTS) {
                    continue;
                }
                throw new SQLException("the capture mode of a source kept changing during the refresh; retrying later", "40001");
            }
            capture.requestFlush();
            awaitDecoder(now.syncLsn());
            new JournalLoader(capture.journal()).load(c, locked, now.snapshot(), now.syncLsn(), lsnBefore);
            return true;
        }
    }

    private void awaitDecoder(long lsn) throws SQLException {
        try {
            if (!capture.awaitDecoded(lsn, DECODER_WAIT)) {
                throw new SQLException("the WAL decoder has not reached the refresh's position within "
                        + DECODER_WAIT.toSeconds() + " s" + (capture.decoding() ? "" : " (it is not running)"), "55000");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for the WAL decoder", "57014", e);
        }
    }

    /**
     * The locks a refresh takes first (see {@code pgtrickle._locked}), as LOCK statements: the
     * sources' read locks, then the storage table's, the latter as its owner.
     */
    private record StreamTableLocks(String sources, String storage, String owner, boolean actAsOwner) {

        /** Read before the refresh's transaction: there, nothing may take a snapshot before the locks. */
        static StreamTableLocks of(Connection c, long pgtId) throws SQLException {
            try (PreparedStatement statement = c.prepareStatement(
                    "SELECT (SELECT string_agg(s.oid::regclass::text, ', ' ORDER BY s.oid) FROM pgtrickle.pgt_dependencies d"
                            + "         JOIN pg_class s ON s.oid = d.source_relid"
                            + "         WHERE d.pgt_id = st.pgt_id AND s.relkind IN ('r', 'p', 'v')),"
                            + " st.pgt_relid::regclass::text, quote_ident(pg_get_userbyid(c.relowner)),"
                            + " current_user <> pg_get_userbyid(c.relowner), pg_get_userbyid(c.relowner)"
                            + " FROM pgtrickle.pgt_stream_tables st JOIN pg_class c ON c.oid = st.pgt_relid WHERE st.pgt_id = ?")) {
                statement.setLong(1, pgtId);
                try (ResultSet row = statement.executeQuery()) {
                    if (!row.next()) {
                        throw new SQLException("stream table " + pgtId + " no longer exists", "42P01");
                    }
                    StreamTableLocks locks = new StreamTableLocks(row.getString(1), row.getString(2), row.getString(3),
                            row.getBoolean(4));
                    if (locks.actAsOwner()) {
                        // Raises, naming the missing grant, unless the daemon may act as the owner.
                        Connections.actAs(c, row.getString(5));
                    }
                    return locks;
                }
            }
        }

        void take(Statement statement) throws SQLException {
            if (sources != null) {
                statement.execute("LOCK TABLE " + sources + " IN ACCESS SHARE MODE");
            }
            if (actAsOwner) {
                statement.execute("SET LOCAL ROLE " + owner);
            }
            statement.execute("LOCK TABLE " + storage + " IN SHARE ROW EXCLUSIVE MODE");
            if (actAsOwner) {
                statement.execute("RESET ROLE");
            }
        }
    }

    private static List<Long> oids(List<JournalSource> sources) {
        return sources.stream().map(JournalSource::oid).toList();
    }
}
