package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.util.PSQLException;

/** The monitoring functions: change buffers, dependency tree, refresh timeline, statistics, health check. */
@PostgresTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MonitoringTest {

    private static final String MONITOR = "pgt_monitoring_reader";
    private static final String MONITOR_PASSWORD = "monitor-pw";

    private final TestDatabase db;

    MonitoringTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    private Map<String, Object> baseBuffer() throws SQLException {
        List<Map<String, Object>> rows =
                db.queryList("SELECT * FROM pgtrickle.change_buffer_sizes() WHERE source = 'public.base'");
        assertEquals(1, rows.size(), rows::toString);
        return rows.get(0);
    }

    private Map<String, List<Map<String, Object>>> healthByCheck() throws SQLException {
        return db.queryList("SELECT check_name, severity, detail FROM pgtrickle.health_check()").stream()
                .collect(Collectors.groupingBy(r -> (String) r.get("check_name")));
    }

    private static void assertOnly(Map<String, List<Map<String, Object>>> health, String check, String severity,
                                   String... detailParts) {
        List<Map<String, Object>> rows = health.get(check);
        assertNotNull(rows, () -> "no rows for " + check + ": " + health);
        for (Map<String, Object> row : rows) {
            assertEquals(severity, row.get("severity"), row::toString);
        }
        String details = rows.stream().map(r -> (String) r.get("detail")).collect(Collectors.joining("\n"));
        for (String part : detailParts) {
            assertTrue(details.contains(part), () -> "expected '" + part + "' in " + check + ": " + details);
        }
    }

    @Test
    @Order(1)
    void reportsBuffersTreeTimelineStatisticsAndHealth() throws SQLException {
        db.execute("CREATE TABLE base (id int PRIMARY KEY, v int);"
                + " INSERT INTO base SELECT g, g * 10 FROM generate_series(1, 3) g");
        db.execute("SELECT pgtrickle.create_stream_table('st_a', 'SELECT id, v FROM base')");
        db.execute("SELECT pgtrickle.create_stream_table('st_b', 'SELECT id, v FROM st_a WHERE v > 10',"
                + " initialize => false)");

        // Health before anything went wrong: st_b never populated, both wait for the compiler.
        Map<String, List<Map<String, Object>>> health = healthByCheck();
        assertEquals(List.of("cdc_switch", "change_buffer_backlog", "change_buffer_bloat", "consecutive_errors", "daemon",
                "differential_fallbacks", "never_populated", "pending_compile", "refresh_history", "stream_table_errors",
                "wal_slot"),
                health.keySet().stream().sorted().toList());
        assertOnly(health, "daemon", "WARNING", "no pgtrickle daemon serves this database");
        assertOnly(health, "wal_slot", "OK", "no replication slot");
        assertOnly(health, "cdc_switch", "OK");
        assertOnly(health, "stream_table_errors", "OK");
        assertOnly(health, "consecutive_errors", "OK");
        assertOnly(health, "never_populated", "WARNING", "public.st_b");
        assertEquals(1, health.get("never_populated").size());
        assertOnly(health, "pending_compile", "WARNING", "public.st_a", "public.st_b",
                "run pgtrickle compile --pending");
        assertOnly(health, "change_buffer_backlog", "OK");
        assertOnly(health, "differential_fallbacks", "OK");
        assertOnly(health, "change_buffer_bloat", "OK");
        assertOnly(health, "refresh_history", "OK", "kept for 7 days");

        // Change buffer of base: empty, then two pending rows, then consumed by the refresh.
        Map<String, Object> buffer = baseBuffer();
        assertEquals(0L, buffer.get("pending_rows"));
        assertEquals(1, buffer.get("consumers"));
        assertTrue(((String) buffer.get("buffer")).startsWith("pgtrickle_changes.changes_"), buffer::toString);
        db.execute("INSERT INTO base VALUES (4, 40), (5, 50)");
        buffer = baseBuffer();
        assertEquals(2L, buffer.get("pending_rows"));
        assertTrue((Long) buffer.get("bytes") > 0, buffer::toString);
        db.execute("SELECT pgtrickle.refresh_stream_table('st_a')");
        assertEquals(0L, baseBuffer().get("pending_rows"));

        // Dependency tree: st_a reads the base table (depth 0), st_b reads st_a (depth 1).
        List<Map<String, Object>> tree = db.queryList("SELECT * FROM pgtrickle.dependency_tree()");
        assertEquals(2, tree.size(), tree::toString);
        assertEquals(List.of("public.st_a", "public.base", "TABLE", 0),
                List.copyOf(tree.get(0).values()));
        assertEquals(List.of("public.st_b", "public.st_a", "STREAM_TABLE", 1),
                List.copyOf(tree.get(1).values()));

        db.execute("SELECT pgtrickle.refresh_stream_table('st_b')");
        db.execute("SELECT pgtrickle.record_refresh_failure('st_a', 'boom', 'MANUAL')");

        // Timeline: newest first, limited.
        List<Map<String, Object>> timeline = db.queryList("SELECT * FROM pgtrickle.refresh_timeline(2)");
        assertEquals(2, timeline.size(), timeline::toString);
        assertEquals("public.st_a", timeline.get(0).get("stream_table"));
        assertEquals("FAILED", timeline.get(0).get("status"));
        assertEquals("boom", timeline.get(0).get("error_message"));
        assertEquals("MANUAL", timeline.get(0).get("initiated_by"));
        assertEquals("public.st_b", timeline.get(1).get("stream_table"));
        assertEquals("COMPLETED", timeline.get(1).get("status"));
        assertEquals(4L, timeline.get(1).get("rows_inserted")); // v = 20, 30, 40, 50
        assertNotNull(timeline.get(1).get("duration"));
        long historyRows = db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history");
        assertEquals(historyRows, db.queryLong("SELECT count(*) FROM pgtrickle.refresh_timeline(1000)"));
        assertEquals(Math.min(historyRows, 20), db.queryLong("SELECT count(*) FROM pgtrickle.refresh_timeline()"));
        assertEquals(1L, db.queryLong("SELECT count(*) FROM pgtrickle.refresh_timeline(10) WHERE status = 'FAILED'"));

        // Statistics per stream table.
        Map<String, Map<String, Object>> stats = db.queryList("SELECT * FROM pgtrickle.pg_stat_stream_tables")
                .stream().collect(Collectors.toMap(r -> (String) r.get("pgt_name"), r -> r));
        assertEquals(2, stats.size(), stats::toString);
        Map<String, Object> a = stats.get("public.st_a");
        long aHistory = db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = 'st_a'");
        assertEquals(aHistory, a.get("total_refreshes"));
        assertEquals(1L, a.get("failed_refreshes"));
        assertEquals(aHistory - 1, a.get("successful_refreshes"));
        assertTrue((Long) a.get("successful_refreshes") >= 1, a::toString);
        assertEquals(a.get("successful_refreshes"),
                (Long) a.get("full_refreshes") + (Long) a.get("differential_refreshes"));
        assertNotNull(a.get("avg_duration_ms"));
        assertNotNull(a.get("last_refresh_at"));
        assertNotNull(a.get("staleness"));
        Map<String, Object> b = stats.get("public.st_b");
        assertEquals(1L, b.get("total_refreshes"));
        assertEquals(1L, b.get("successful_refreshes"));
        assertEquals(0L, b.get("failed_refreshes"));
        assertEquals(1L, b.get("full_refreshes"));
        assertEquals(0L, b.get("differential_refreshes"));
        List<Map<String, Object>> documented = db.queryList(
                "SELECT pgt_name, total_refreshes, avg_duration_ms, successful_refreshes FROM pgtrickle.pg_stat_stream_tables");
        assertEquals(2, documented.size());

        // Health after the failure: st_a has a failing refresh; every stream table is populated.
        health = healthByCheck();
        assertOnly(health, "consecutive_errors", "WARNING", "public.st_a", "boom");
        assertEquals(1, health.get("consecutive_errors").size());
        assertOnly(health, "never_populated", "OK");
        assertOnly(health, "stream_table_errors", "OK");

        // A stream table whose storage table was dropped behind pgtrickle's back is an ERROR.
        db.execute("SELECT pgtrickle.create_stream_table('st_c', 'SELECT id FROM base', refresh_mode => 'FULL')");
        db.execute("DROP TABLE st_c");
        health = healthByCheck();
        assertOnly(health, "stream_table_errors", "ERROR", "public.st_c", "dropped");
        db.execute("SELECT pgtrickle.drop_stream_table('st_c')");
        assertOnly(healthByCheck(), "stream_table_errors", "OK");
    }

    @Test
    @Order(2)
    void refreshTimelineRejectsNonPositiveCounts() throws SQLException {
        for (String n : List.of("0", "-1", "NULL")) {
            PSQLException e = assertThrows(PSQLException.class,
                    () -> db.queryList("SELECT * FROM pgtrickle.refresh_timeline(" + n + ")"));
            assertEquals("22023", e.getSQLState(), e::getMessage);
            assertTrue(e.getMessage().contains("positive"), e::getMessage);
        }
    }

    @Test
    @Order(3)
    void everyoneCanMonitor() throws SQLException {
        db.createRole(MONITOR, MONITOR_PASSWORD, "LOGIN");
        try (Connection connection = db.connectAs(MONITOR, MONITOR_PASSWORD);
             Statement statement = connection.createStatement()) {
            for (String sql : List.of(
                    "SELECT check_name, severity, detail FROM pgtrickle.health_check()",
                    "SELECT * FROM pgtrickle.dependency_tree()",
                    "SELECT * FROM pgtrickle.refresh_timeline(10)",
                    "SELECT * FROM pgtrickle.change_buffer_sizes()",
                    "SELECT pgt_name, total_refreshes, avg_duration_ms, successful_refreshes"
                            + " FROM pgtrickle.pg_stat_stream_tables")) {
                int rows = 0;
                try (ResultSet result = statement.executeQuery(sql)) {
                    while (result.next()) {
                        rows++;
                    }
                }
                assertTrue(rows > 0, () -> "no rows from " + sql);
            }
            try (ResultSet result = statement.executeQuery(
                    "SELECT pending_rows FROM pgtrickle.change_buffer_sizes() WHERE source = 'public.base'")) {
                assertTrue(result.next());
                assertEquals(0L, result.getLong(1));
                assertTrue(!result.wasNull());
            }
            // The buffer itself stays closed to the role.
            String buffer = db.queryString("SELECT buffer FROM pgtrickle.change_buffer_sizes() WHERE source = 'public.base'");
            PSQLException e = assertThrows(PSQLException.class, () -> statement.executeQuery("SELECT * FROM " + buffer));
            assertEquals("42501", e.getSQLState(), e::getMessage);
        }
    }
}
