package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Two writers on two connections, the second shown to wait for the first (IMMEDIATE mode's stamps and locks). */
final class LockWaits {

    private LockWaits() {
    }

    /**
     * Runs {@code first} in a transaction left open, then {@code second} on another connection at
     * READ COMMITTED, which must wait for a lock until the first commits.
     */
    static void secondWaitsForFirst(TestDatabase db, String first, String second) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute(first);
            Thread waiting = inBackground(db, second);
            awaitWaiting(db, second);
            c.commit();
            waiting.join();
        }
    }

    /**
     * Runs {@code first} in a transaction left open, then {@code second} on another connection,
     * which waits for it; meanwhile the first transaction runs {@code firstAgain}, which must not
     * wait for the second (a lock wait would run into its lock_timeout), and commits.
     */
    static void firstGoesOnAheadOfWaitingSecond(TestDatabase db, String first, String second, String... firstAgain)
            throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute(first);
            Thread waiting = inBackground(db, second);
            awaitWaiting(db, second);
            s.execute("SET LOCAL lock_timeout = '10s'");
            for (String statement : firstAgain) {
                s.execute(statement);
            }
            c.commit();
            waiting.join();
        }
    }

    /**
     * Runs {@code first} in a transaction left open, then {@code second} on another connection,
     * which must finish without waiting for it (a lock wait would run into its lock_timeout).
     */
    static void secondGoesOnBesideFirst(TestDatabase db, String first, String second) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             Connection other = db.connect(); Statement o = other.createStatement()) {
            c.setAutoCommit(false);
            s.execute(first);
            o.execute("SET lock_timeout = '10s'");
            o.execute(second);
            c.commit();
        }
    }

    /**
     * A REPEATABLE READ writer whose snapshot predates {@code committed} (run and committed on
     * another connection meanwhile): its statements {@code unaffected} go through, and
     * {@code meeting}, whose changes meet the committed ones, is told to retry (40001).
     */
    static void laterSnapshotMustRetry(TestDatabase db, String committed, String meeting, String... unaffected)
            throws SQLException {
        try (Connection later = db.connect(); Statement s = later.createStatement()) {
            later.setAutoCommit(false);
            later.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            s.execute("SELECT 1");
            db.execute(committed);
            for (String statement : unaffected) {
                s.execute(statement);
            }
            SQLException retry = assertThrows(SQLException.class, () -> s.execute(meeting));
            assertEquals("40001", retry.getSQLState(), retry::getMessage);
            later.rollback();
        }
    }

    /** Runs {@code sql} at READ COMMITTED on a connection of its own, in a thread that fails the test's oracle if it fails. */
    private static Thread inBackground(TestDatabase db, String sql) {
        Thread thread = new Thread(() -> {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                s.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        thread.start();
        return thread;
    }

    /** Until a backend running {@code sql} waits for a lock. */
    private static void awaitWaiting(TestDatabase db, String sql) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query = '"
                    + sql.replace("'", "''") + "'") > 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no statement " + sql + " waited for a lock");
    }
}
