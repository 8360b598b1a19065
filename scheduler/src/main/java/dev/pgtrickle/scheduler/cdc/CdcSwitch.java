package dev.pgtrickle.scheduler.cdc;

import dev.pgtrickle.cdc.wal.WalCapture;
import dev.pgtrickle.scheduler.run.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/**
 * The steps that move one source between trigger and WAL capture (docs/architecture.md, "WAL capture"), each in its
 * own transaction on a manual-commit connection. Steps that need the table's lock (triggers,
 * REPLICA IDENTITY) give up after {@link #LOCK_TIMEOUT} instead of queueing writers behind them;
 * the caller retries on a later tick.
 */
final class CdcSwitch {

    static final String LOCK_TIMEOUT = "2s";

    private final WalCapture capture;

    CdcSwitch(WalCapture capture) {
        this.capture = capture;
    }

    /** Why the source cannot be captured from the WAL, or {@code null}. */
    static String ineligibility(Connection c, long source) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("SELECT pgtrickle._wal_ineligibility(?::oid)")) {
            statement.setLong(1, source);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                String why = row.getString(1);
                c.commit();
                return why;
            }
        }
    }

    /**
     * A table just published.
     *
     * @param running     the virtual transactions running once it was in the publication: the cut
     *                    waits for them, since their earlier changes were written while it was not
     * @param journalFrom the WAL insert position read before {@code running} was listed: every
     *                    other transaction began after it and so commits after it — the cut's
     *                    {@code wal_loaded_lsn}, where the first read of the journal starts
     */
    record Published(Set<String> running, long journalFrom) {
    }

    /**
     * First half of a graduation: full old rows in the WAL, the slot decoding, the table in the
     * publication.
     */
    Published publish(Connection c, long source, String owner) throws SQLException {
        Connections.actAs(c, owner);
        execute(c, "SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'");
        try (PreparedStatement identity = c.prepareStatement(
                "SELECT format('ALTER TABLE %s REPLICA IDENTITY FULL', oid::regclass) FROM pg_class"
                        + " WHERE oid = ?::oid AND relreplident <> 'f'")) {
            identity.setLong(1, source);
            try (ResultSet row = identity.executeQuery()) {
                if (row.next()) {
                    execute(c, row.getString(1));
                }
            }
        }
        c.commit();
        c.setAutoCommit(true);
        try {
            capture.ensureDecoding(c);
            capture.names(c).addTable(c, source);
        } finally {
            c.setAutoCommit(false);
        }
        long journalFrom = SyncPoint.insertLsn(c);
        Set<String> running = new HashSet<>();
        try (Statement statement = c.createStatement();
             // Only this database's: a transaction elsewhere (another database's long report,
             // its autovacuum) cannot write the table, and must not hold the graduation up.
             ResultSet rows = statement.executeQuery("SELECT l.virtualxid FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                     + " WHERE l.locktype = 'virtualxid' AND l.pid <> pg_backend_pid() AND l.granted"
                     + " AND a.datname = current_database()")) {
            while (rows.next()) {
                running.add(rows.getString(1));
            }
        }
        c.commit();
        return new Published(running, journalFrom);
    }

    /** Whether none of {@code transactions} is still running. */
    static boolean ended(Connection c, Set<String> transactions) throws SQLException {
        if (transactions.isEmpty()) {
            return true;
        }
        try (PreparedStatement statement = c.prepareStatement("SELECT count(*) FROM pg_locks"
                + " WHERE locktype = 'virtualxid' AND virtualxid = ANY (?)")) {
            statement.setArray(1, c.createArrayOf("text", transactions.toArray()));
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                long left = row.getLong(1);
                c.commit();
                return left == 0;
            }
        }
    }

    /**
     * The cut C of a graduation, once the transactions running at {@code published} have ended:
     * transactions C sees come from the triggers, all others from the journal, read from
     * {@link Published#journalFrom}. (An LSN read now would not do: a transaction whose commit
     * record precedes it may become visible only after C is taken, and would be skipped.)
     */
    static void cutToWal(Connection c, long source, Published published) throws SQLException {
        try (PreparedStatement cut = c.prepareStatement("UPDATE pgtrickle.pgt_change_sources"
                + " SET cdc_mode = 'wal', wal_cut = pg_current_snapshot(), wal_loaded = pg_current_snapshot(),"
                + " wal_loaded_lsn = '0/0'::pg_lsn + ?::numeric, cdc_note = NULL"
                + " WHERE source_relid = ?::oid AND cdc_mode = 'trigger'")) {
            cut.setLong(1, published.journalFrom());
            cut.setLong(2, source);
            cut.executeUpdate();
        }
        c.commit();
    }

    /**
     * Drops the triggers of a source now captured from the WAL, and in the same transaction the
     * rows they wrote after the cut (loaders stop looking once the triggers are gone); false when
     * its lock was busy.
     */
    static boolean dropTriggers(Connection c, long source, String owner) throws SQLException {
        return underLock(c, owner, () -> {
            try (PreparedStatement drop = c.prepareStatement("SELECT pgtrickle._drop_capture_triggers(?::oid, false)")) {
                drop.setLong(1, source);
                drop.execute();
            }
            execute(c, "RESET ROLE");
            try (PreparedStatement delete = c.prepareStatement("SELECT pgtrickle._drop_trigger_rows_after_cut(?::oid)")) {
                delete.setLong(1, source);
                delete.execute();
            }
        });
    }

    /**
     * Back to triggers: the triggers first (creating them waits for every writer of the table),
     * then the cut C in the same transaction: transactions C sees come from the journal, all
     * others from the triggers. With {@code reinitialize}, the journal is not trusted (the slot
     * was lost): nothing is owed from it, and a TRUNCATE marker makes every reader recompute.
     * False when the table's lock was busy.
     */
    static boolean cutToTriggers(Connection c, long source, String owner, boolean reinitialize) throws SQLException {
        return underLock(c, owner, () -> {
            try (PreparedStatement install = c.prepareStatement("SELECT pgtrickle._install_capture_triggers(?::oid,"
                    + " (SELECT capture_function FROM pgtrickle.pgt_change_sources WHERE source_relid = ?::oid))")) {
                install.setLong(1, source);
                install.setLong(2, source);
                install.execute();
            }
            execute(c, "RESET ROLE");
            try (PreparedStatement cut = c.prepareStatement("UPDATE pgtrickle.pgt_change_sources"
                    + " SET cdc_mode = 'trigger', wal_cut = pg_current_snapshot(),"
                    + " wal_loaded = CASE WHEN ? THEN pg_current_snapshot() ELSE wal_loaded END"
                    + " WHERE source_relid = ?::oid RETURNING buffer_table")) {
                cut.setBoolean(1, reinitialize);
                cut.setLong(2, source);
                try (ResultSet row = cut.executeQuery()) {
                    if (row.next() && reinitialize) {
                        execute(c, String.format("INSERT INTO pgtrickle_changes.\"%s\" (__pgt_seq, __pgt_action)"
                                + " VALUES (nextval('pgtrickle.pgt_capture_seq'), 'T')", row.getString(1).replace("\"", "\"\"")));
                    }
                }
            }
        });
    }

    /** Records why a source is not where it should be (NULL clears it). */
    static void note(Connection c, long source, String note) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "UPDATE pgtrickle.pgt_change_sources SET cdc_note = ? WHERE source_relid = ?::oid"
                        + " AND cdc_note IS DISTINCT FROM ?")) {
            statement.setString(1, note);
            statement.setLong(2, source);
            statement.setString(3, note);
            statement.executeUpdate();
        }
        c.commit();
    }

    private interface Step {
        void run() throws SQLException;
    }

    /** Runs {@code step} as {@code owner} with the lock timeout; false when a lock was busy. */
    private static boolean underLock(Connection c, String owner, Step step) throws SQLException {
        try {
            Connections.actAs(c, owner);
            execute(c, "SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'");
            step.run();
            c.commit();
            return true;
        } catch (SQLException e) {
            c.rollback();
            if ("55P03".equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement statement = c.createStatement()) {
            statement.execute(sql);
        }
    }
}
