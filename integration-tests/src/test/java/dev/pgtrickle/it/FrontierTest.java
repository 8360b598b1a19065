package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshot frontiers (I1) and refresh bookkeeping (I2): which buffered changes each refresh
 * accounts for, serialization of concurrent refreshes, and the history.
 */
@PostgresTest
class FrontierTest {

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    private static List<Map<String, Object>> history(TestDatabase db, String streamTable) throws SQLException {
        return db.queryList("SELECT h.action, h.status, h.changes_consumed, h.rows_inserted, h.rows_deleted,"
                + " h.initiated_by, h.start_time <= h.end_time AS ordered, h.frontier::text AS frontier,"
                + " h.error_message FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)"
                + " WHERE s.pgt_name = '" + streamTable + "' ORDER BY h.refresh_id");
    }

    private static long consumed(Map<String, Object> historyRow) {
        return ((Number) historyRow.get("changes_consumed")).longValue();
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            assertTrue(rows.next(), sql);
            return rows.getString(1);
        }
    }

    @Test
    void aTransactionOpenAcrossTwoRefreshesCountsOnceInTheFirstRefreshThatSeesItsCommit(TestDatabase db)
            throws SQLException {
        db.execute("CREATE TABLE open_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('open_st', 'SELECT id, v FROM open_src')");
        try (Connection longWriter = db.connect(); Statement writer = longWriter.createStatement()) {
            longWriter.setAutoCommit(false);
            writer.execute("INSERT INTO open_src SELECT g, g FROM generate_series(1, 5) g");
            String longXid = single(writer, "SELECT pg_current_xact_id()::text");

            db.execute("INSERT INTO open_src SELECT g, g FROM generate_series(101, 103) g");
            db.execute("SELECT pgtrickle.refresh_stream_table('open_st')");
            Map<String, Object> first = history(db, "open_st").get(1);
            assertEquals(3, consumed(first), "only the committed transaction belongs to the first refresh");
            assertEquals("f", db.queryString("SELECT pg_visible_in_snapshot('" + longXid + "'::xid8, '"
                    + first.get("frontier") + "'::pg_snapshot)"));
            Oracle.assertStreamTableMatchesQuery(db, "open_st", "SELECT id, v FROM open_src");

            longWriter.commit();
            db.execute("SELECT pgtrickle.refresh_stream_table('open_st')");
            Map<String, Object> second = history(db, "open_st").get(2);
            assertEquals(5, consumed(second), "the long transaction belongs to the first refresh that sees it");
            assertEquals("t", db.queryString("SELECT pg_visible_in_snapshot('" + longXid + "'::xid8, '"
                    + second.get("frontier") + "'::pg_snapshot)"));
            Oracle.assertStreamTableMatchesQuery(db, "open_st", "SELECT id, v FROM open_src");
        }
        db.execute("SELECT pgtrickle.refresh_stream_table('open_st')");
        assertEquals(0, consumed(history(db, "open_st").get(3)), "nothing is counted twice");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle_changes.changes_"
                + db.queryString("SELECT 'open_src'::regclass::oid")), "consumed rows are purged");
    }

    @Test
    void aRefreshInTheWritingTransactionCoversItsOwnWrites(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE own_src (id int PRIMARY KEY)");
        db.execute("SELECT pgtrickle.create_stream_table('own_st', 'SELECT id FROM own_src')");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("INSERT INTO own_src SELECT generate_series(1, 4)");
            statement.execute("SELECT pgtrickle.refresh_stream_table('own_st')");
            assertEquals("t", single(statement, "SELECT pg_visible_in_snapshot(pg_current_xact_id(), frontier)"
                    + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'own_st'"));
            connection.commit();
        }
        assertEquals(4, db.queryLong("SELECT count(*) FROM own_st"));
        db.execute("SELECT pgtrickle.refresh_stream_table('own_st')");
        List<Map<String, Object>> history = history(db, "own_st");
        assertEquals(4, consumed(history.get(1)));
        assertEquals(0, consumed(history.get(2)), "own writes are not counted again");
    }

    /**
     * A frontier is the refresh statement's snapshot with the refreshing transaction's own xid made
     * visible: at the snapshot's xmax (the usual case) only xmax moves; above it, the xids in
     * between stay invisible; already visible, nothing changes.
     */
    @Test
    void aFrontierMakesOnlyItsOwnTransactionVisible(TestDatabase db) throws SQLException {
        assertEquals("100:201:120,150", db.queryString("SELECT pgtrickle._frontier_of('100:200:120,150', '200')::text"));
        assertEquals("100:201:", db.queryString("SELECT pgtrickle._frontier_of('100:200:', '200')::text"));
        assertEquals("100:204:120,150,200,201,202",
                db.queryString("SELECT pgtrickle._frontier_of('100:200:120,150', '203')::text"));
        assertEquals("100:200:120,150", db.queryString("SELECT pgtrickle._frontier_of('100:200:120,150', '90')::text"));
        assertEquals("100:200:120,150", db.queryString("SELECT pgtrickle._frontier_of('100:200:120,150', NULL)::text"));
    }

    /**
     * Buffered rows are deleted once every populated reader's frontier covers them: while one of
     * two readers is behind, the other's refreshes keep them; a refresh inside the writing
     * transaction covers the rows captured before it and keeps the ones captured after.
     */
    @Test
    void bufferedChangesStayUntilEveryReaderHasConsumedThem(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE two_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('two_a', 'SELECT id, v FROM two_src')");
        db.execute("SELECT pgtrickle.create_stream_table('two_b', 'SELECT v, count(*) AS n FROM two_src GROUP BY v')");
        String buffered = "SELECT count(*) FROM pgtrickle_changes.changes_" + db.queryString("SELECT 'two_src'::regclass::oid");
        db.execute("INSERT INTO two_src SELECT g, g % 3 FROM generate_series(1, 6) g");
        db.execute("SELECT pgtrickle.refresh_stream_table('two_a')");
        assertEquals(6, db.queryLong(buffered), "two_b has not read them");
        db.execute("UPDATE two_src SET v = v + 1 WHERE id <= 2");
        db.execute("SELECT pgtrickle.refresh_stream_table('two_a')");
        assertEquals(10, db.queryLong(buffered));
        db.execute("SELECT pgtrickle.refresh_stream_table('two_b')");
        assertEquals(0, db.queryLong(buffered), "both readers consumed everything");

        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("INSERT INTO two_src VALUES (7, 1)");
            statement.execute("SELECT pgtrickle.refresh_stream_table('two_a')");
            statement.execute("SELECT pgtrickle.refresh_stream_table('two_b')");
            statement.execute("DELETE FROM two_src WHERE id = 1");
            assertEquals("1", single(statement, buffered),
                    "the INSERT's row, captured before both refreshes, is gone; the DELETE's stays");
            connection.commit();
        }
        assertEquals(1, db.queryLong(buffered));
        db.execute("SELECT pgtrickle.refresh_stream_table('two_b')");
        assertEquals(1, db.queryLong(buffered), "two_a still needs the row of the DELETE");
        db.execute("SELECT pgtrickle.refresh_stream_table('two_a')");
        assertEquals(0, db.queryLong(buffered));
        Oracle.assertStreamTableMatchesQuery(db, "two_a", "SELECT id, v FROM two_src");
        Oracle.assertStreamTableMatchesQuery(db, "two_b", "SELECT v, count(*) AS n FROM two_src GROUP BY v");
    }

    /**
     * The cleanup scans a whole buffer, so a refresh leaves it out where it could delete nothing:
     * when another reader's frontier predates the oldest change it consumed, or when it consumed
     * none (a window's clock moved). Observed through the calls of the buffer's cleanup function
     * in one transaction (pending function statistics only grow within it).
     */
    @Test
    void aRefreshLeavesTheBufferCleanupOutWhereItCouldDeleteNothing(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE skip_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('skip_a', 'SELECT id, v FROM skip_src')");
        DifferentialRefreshTest.compile(db, "skip_a"); // its statement reports the oldest change it read
        db.execute("SELECT pgtrickle.create_stream_table('skip_b', 'SELECT v, count(*) AS n FROM skip_src GROUP BY v')");
        String oid = db.queryString("SELECT 'skip_src'::regclass::oid");
        String buffered = "SELECT count(*) FROM pgtrickle_changes.changes_" + oid;
        db.execute("CREATE TABLE skip_events (id int PRIMARY KEY, ts timestamptz NOT NULL)");
        String eventsOid = db.queryString("SELECT 'skip_events'::regclass::oid");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET track_functions = 'all'");
            statement.execute("SET pgtrickle.test_clock = '2026-01-01 12:00:00+00'");
            statement.execute("SELECT pgtrickle.create_stream_table('skip_w',"
                    + " 'SELECT id FROM skip_events WHERE ts > now() - interval ''1 minute''',"
                    + " refresh_mode => 'DIFFERENTIAL')");
            DifferentialRefreshTest.compile(db, "skip_w");
            statement.execute("INSERT INTO skip_src SELECT g, g % 3 FROM generate_series(1, 6) g");
            statement.execute("INSERT INTO skip_events VALUES (1, '2026-01-01 11:59:30+00')");
            statement.execute("SELECT pgtrickle.refresh_stream_table('skip_w')");
            connection.setAutoCommit(false);
            long before = cleanups(statement, oid);
            statement.execute("SELECT pgtrickle.refresh_stream_table('skip_a')");
            assertTrue(lastRefresh(statement, "skip_a").startsWith("DIFFERENTIAL"), lastRefresh(statement, "skip_a"));
            assertEquals(before, cleanups(statement, oid), "skip_b's frontier predates the insert");
            assertEquals("6", single(statement, buffered));
            statement.execute("SELECT pgtrickle.refresh_stream_table('skip_b')");
            assertTrue(lastRefresh(statement, "skip_b").startsWith("FULL"),
                    "not compiled: the FULL path counts what it read itself");
            assertEquals(before + 1, cleanups(statement, oid), "skip_a has read the rows too");
            assertEquals("0", single(statement, buffered));

            long windowBefore = cleanups(statement, eventsOid);
            statement.execute("SET LOCAL pgtrickle.test_clock = '2026-01-01 12:01:00+00'");
            statement.execute("SELECT pgtrickle.refresh_stream_table('skip_w')");
            assertEquals("0", single(statement, "SELECT count(*) FROM skip_w"), "the event left the window");
            assertTrue(lastRefresh(statement, "skip_w").startsWith("DIFFERENTIAL"), lastRefresh(statement, "skip_w"));
            assertEquals(windowBefore, cleanups(statement, eventsOid), "no change consumed");
            connection.commit();
        }
        Oracle.assertStreamTableMatchesQuery(db, "skip_a", "SELECT id, v FROM skip_src");
        Oracle.assertStreamTableMatchesQuery(db, "skip_b", "SELECT v, count(*) AS n FROM skip_src GROUP BY v");
    }

    /** The action of a stream table's last refresh, and its reason if it has one. */
    private static String lastRefresh(Statement statement, String name) throws SQLException {
        return single(statement, "SELECT action || coalesce(': ' || reason, '') FROM pgtrickle.pgt_refresh_history"
                + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = '" + name + "'"
                + " ORDER BY refresh_id DESC LIMIT 1");
    }

    /** Calls of the cleanup function of a source's buffer, pending in this session. */
    private static long cleanups(Statement statement, String sourceOid) throws SQLException {
        return Long.parseLong(single(statement, "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions"
                + " WHERE schemaname = 'pgtrickle_changes' AND funcname = 'changes_" + sourceOid + "_cleanup'"));
    }

    @Test
    void aRolledBackRefreshLeavesFrontierContentsAndHistoryUnchanged(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE rb_src (id int PRIMARY KEY)");
        db.execute("INSERT INTO rb_src VALUES (1)");
        db.execute("SELECT pgtrickle.create_stream_table('rb_st', 'SELECT id FROM rb_src')");
        String frontier = db.queryString("SELECT frontier::text FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'rb_st'");
        db.execute("INSERT INTO rb_src VALUES (2)");
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SELECT pgtrickle.refresh_stream_table('rb_st')");
            connection.rollback();
        }
        assertEquals(frontier, db.queryString("SELECT frontier::text FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'rb_st'"));
        assertEquals(1, db.queryLong("SELECT count(*) FROM rb_st"));
        assertEquals(1, history(db, "rb_st").size());
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle_changes.changes_"
                + db.queryString("SELECT 'rb_src'::regclass::oid")), "the buffered change is still pending");
    }

    @Test
    void concurrentRefreshesOfOneStreamTableSerialize(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE ser_src (id int PRIMARY KEY)");
        db.execute("SELECT pgtrickle.create_stream_table('ser_st', 'SELECT id FROM ser_src')");
        try (Connection first = db.connect(); Statement firstStatement = first.createStatement();
             Connection second = db.connect(); Statement secondStatement = second.createStatement()) {
            first.setAutoCommit(false);
            firstStatement.execute("SELECT pgtrickle.refresh_stream_table('ser_st')");
            String secondPid = single(secondStatement, "SELECT pg_backend_pid()");

            db.execute("INSERT INTO ser_src VALUES (1)");
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
                try {
                    secondStatement.execute("SELECT pgtrickle.refresh_stream_table('ser_st')");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitLockWait(db, secondPid);
            assertFalse(blocked.isDone(), "the second refresh waits for the first");

            first.commit();
            blocked.get(2, TimeUnit.MINUTES);
        }
        List<Map<String, Object>> history = history(db, "ser_st");
        assertEquals(3, history.size());
        assertEquals(0, consumed(history.get(1)));
        assertEquals(1, consumed(history.get(2)), "the second refresh starts from the first one's frontier");
        Oracle.assertStreamTableMatchesQuery(db, "ser_st", "SELECT id FROM ser_src");
    }

    /** Waits until the backend is blocked on a lock; a liveness bound, not a timing assertion. */
    private static void awaitLockWait(TestDatabase db, String pid) throws SQLException, InterruptedException {
        for (int attempt = 0; attempt < 1200; attempt++) {
            if (db.queryLong("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = " + pid) > 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("backend " + pid + " never waited for the refresh lock");
    }

    /**
     * A transaction that replaces an upstream stream table's query (new columns: its storage is
     * altered) and then drops it with its dependents,
     * while a refresh of a dependent waits: the refresh takes its source locks before its own
     * storage lock, so it waits holding nothing the drop needs (the other order deadlocked).
     */
    @Test
    void dropCascadeInTheTransactionOfAReplaceDoesNotDeadlockWithAWaitingRefresh(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE dl_src (id int PRIMARY KEY, v int)");
        db.execute("INSERT INTO dl_src SELECT g, g FROM generate_series(1, 5) g");
        db.execute("SELECT pgtrickle.create_stream_table('dl_up', 'SELECT id, v FROM dl_src')");
        db.execute("SELECT pgtrickle.create_stream_table('dl_down', 'SELECT count(*) AS n FROM dl_up')");
        try (Connection user = db.connect(); Statement userStatement = user.createStatement();
             Connection refresher = db.connect(); Statement refresherStatement = refresher.createStatement()) {
            user.setAutoCommit(false);
            userStatement.execute("SELECT pgtrickle.create_or_replace_stream_table('dl_up',"
                    + " 'SELECT id, v, v * 2 AS w FROM dl_src')");
            String refresherPid = single(refresherStatement, "SELECT pg_backend_pid()");
            CompletableFuture<Void> refresh = CompletableFuture.runAsync(() -> {
                try {
                    refresherStatement.execute("SELECT pgtrickle.refresh_stream_table('dl_down')");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitLockWait(db, refresherPid);

            userStatement.execute("SELECT pgtrickle.drop_stream_table('dl_up', cascade => true)");
            user.commit();

            ExecutionException failure = assertThrows(ExecutionException.class, () -> refresh.get(2, TimeUnit.MINUTES));
            SQLException cause = (SQLException) failure.getCause().getCause();
            assertEquals("42P01", cause.getSQLState(), cause.getMessage());
            assertTrue(cause.getMessage().contains("\"public.dl_down\" was dropped while waiting"), cause.getMessage());
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name LIKE 'dl_%'"));
    }

    @Test
    void historyRecordsEachRefreshAndFailuresAreCounted(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE hist_src (id int PRIMARY KEY)");
        db.execute("INSERT INTO hist_src SELECT generate_series(1, 3)");
        db.execute("SELECT pgtrickle.create_stream_table('hist_st', 'SELECT id FROM hist_src')");
        db.execute("INSERT INTO hist_src VALUES (4)");
        db.execute("SELECT pgtrickle.refresh_stream_table('hist_st')");
        db.execute("SELECT pgtrickle.record_refresh_failure('hist_st', 'boom', 'CLI')");
        db.execute("SELECT pgtrickle.record_refresh_failure('hist_st', 'boom again', 'CLI')");

        List<Map<String, Object>> status = db.queryList("SELECT consecutive_errors, last_error FROM pgtrickle.pgt_status()"
                + " WHERE name = 'public.hist_st'");
        assertEquals(2, ((Number) status.get(0).get("consecutive_errors")).intValue());
        assertEquals("boom again", status.get(0).get("last_error"));

        List<Map<String, Object>> history = history(db, "hist_st");
        assertEquals(4, history.size());
        Map<String, Object> create = history.get(0);
        assertEquals("FULL", create.get("action"));
        assertEquals("COMPLETED", create.get("status"));
        assertEquals("CREATE", create.get("initiated_by"));
        assertEquals(3L, ((Number) create.get("rows_inserted")).longValue());
        assertEquals(Boolean.TRUE, create.get("ordered"));
        assertNotNull(create.get("frontier"));
        Map<String, Object> manual = history.get(1);
        assertEquals("MANUAL", manual.get("initiated_by"));
        assertEquals(3L, ((Number) manual.get("rows_deleted")).longValue());
        Map<String, Object> failure = history.get(3);
        assertEquals("FAILED", failure.get("status"));
        assertEquals("boom again", failure.get("error_message"));
        assertEquals("CLI", failure.get("initiated_by"));

        db.execute("SELECT pgtrickle.refresh_stream_table('hist_st')");
        assertEquals(0, db.queryLong("SELECT consecutive_errors FROM pgtrickle.pgt_status() WHERE name = 'public.hist_st'"));
    }

    @Test
    void aFailingRefreshRaisesAndChangesNothing(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE fail_src (id int PRIMARY KEY, d int)");
        db.execute("INSERT INTO fail_src VALUES (1, 1)");
        db.execute("SELECT pgtrickle.create_stream_table('fail_st', 'SELECT id, 10 / d AS q FROM fail_src')");
        db.execute("INSERT INTO fail_src VALUES (2, 0)");
        SQLException error = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.refresh_stream_table('fail_st')"));
        assertEquals("22012", error.getSQLState());
        assertEquals(1, db.queryLong("SELECT count(*) FROM fail_st"));
        assertEquals(1, history(db, "fail_st").size());
    }
}
