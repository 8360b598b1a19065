package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The refresh history is kept for pgtrickle.history_retention, each stream table's 20 latest rows
 * whatever their age (docs/sql-reference.md, "prune_history"); the daemon prunes it.
 */
@PostgresTest
class HistoryRetentionTest {

    private final TestDatabase db;

    HistoryRetentionTest(TestDatabase db) {
        this.db = db;
    }

    /** {@code count} history rows of the stream table that ended {@code daysAgo} days ago. */
    private void addHistory(String name, int count, int daysAgo) throws SQLException {
        db.execute("INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, start_time, end_time, action, status, initiated_by)"
                + " SELECT pgt_id, now() - interval '" + daysAgo + " days', now() - interval '" + daysAgo + " days',"
                + " 'FULL', 'COMPLETED', 'MANUAL' FROM pgtrickle.pgt_stream_tables, generate_series(1, " + count + ")"
                + " WHERE pgt_name = '" + name + "'");
    }

    private long history(String name) throws SQLException {
        return db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st"
                + " USING (pgt_id) WHERE st.pgt_name = '" + name + "'");
    }

    private Map<String, Object> historyHealth() throws SQLException {
        return db.queryList("SELECT severity, detail FROM pgtrickle.health_check() WHERE check_name = 'refresh_history'").get(0);
    }

    @Test
    void oldHistoryIsDeletedButEachStreamTablesLatestRowsStay() throws Exception {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE hr_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('hr_busy', 'SELECT id, v FROM hr_src', schedule => '1h')");
        db.execute("SELECT pgtrickle.create_stream_table('hr_quiet', 'SELECT count(*) AS n FROM hr_src', schedule => '1h')");
        addHistory("hr_busy", 30, 20);
        addHistory("hr_busy", 25, 1);
        addHistory("hr_quiet", 5, 30);
        long busy = history("hr_busy");
        long quiet = history("hr_quiet");
        Map<String, Object> stale = historyHealth();
        assertEquals("WARNING", stale.get("severity"), "30 rows older than twice the retention");
        assertTrue(((String) stale.get("detail")).startsWith("30 refresh history rows are older than twice"), stale::toString);

        assertEquals(10, db.queryLong("SELECT pgtrickle.prune_history(10)"), "at most the limit per call");
        assertEquals(20, db.queryLong("SELECT pgtrickle.prune_history()"), "the rest of the 30 older than 7 days");
        assertEquals(0, db.queryLong("SELECT pgtrickle.prune_history()"));
        assertEquals(busy - 30, history("hr_busy"));
        assertEquals(quiet, history("hr_quiet"), "fewer than 20 rows: all kept, however old");
        Map<String, Object> pruned = historyHealth();
        assertEquals("OK", pruned.get("severity"), pruned::toString);

        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET pgtrickle.history_retention = '12 hours'");
            statement.execute("SELECT pgtrickle.prune_history()");
            assertEquals(21, history("hr_busy"), "the 20 latest rows, older than 12 hours, and the recent row of its creation");
            for (String invalid : new String[] {"soon", "-1 day", "0"}) {
                statement.execute("SET pgtrickle.history_retention = '" + invalid + "'");
                SQLException refused = assertThrows(SQLException.class, () -> statement.execute("SELECT pgtrickle.prune_history()"));
                assertEquals("22023", refused.getSQLState(), refused::getMessage);
                assertTrue(refused.getMessage().contains("pgtrickle.history_retention"), refused::getMessage);
            }
        }
        SQLException badLimit = assertThrows(SQLException.class, () -> db.execute("SELECT pgtrickle.prune_history(0)"));
        assertEquals("22023", badLimit.getSQLState());

        db.createRole("hr_stranger", "stranger-pw", "LOGIN", "NOSUPERUSER");
        try (Connection stranger = db.connectAs("hr_stranger", "stranger-pw"); Statement statement = stranger.createStatement()) {
            SQLException denied = assertThrows(SQLException.class, () -> statement.execute("SELECT pgtrickle.prune_history()"));
            assertEquals("42501", denied.getSQLState(), denied::getMessage);
        }

        // The daemon prunes on its own, in its first pass and about once a minute after.
        addHistory("hr_quiet", 20, 30);
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            // The 5 old rows go; the 20 latest and the recent row of its creation stay.
            Eventually.await("the daemon pruned", () -> history("hr_quiet") == 21);
            assertTrue(daemon.registry().find("pgtrickle.history.pruned").counter().count() >= 5, "pruning metric");
            assertTrue(daemon.daemon().problems().stream().noneMatch(p -> p.contains("history")),
                    () -> daemon.daemon().problems().toString());
        }
    }
}
