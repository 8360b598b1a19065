package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonConfig;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The daemon in-process against a real database: schedules, chains, compiling, failures, leadership. */
@PostgresTest
class DaemonTest {

    /** Short ticks and retries keep the tests quick; the logic is the same as with the defaults. */
    static final DaemonConfig FAST = new DaemonConfig(2, 3, Duration.ofMillis(100), Duration.ofMillis(300),
            Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(200));

    private final TestDatabase db;
    private final List<DaemonService> running = new java.util.ArrayList<>();

    DaemonTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    @AfterEach
    void stopDaemons() {
        for (DaemonService service : running) {
            service.close();
        }
        running.clear();
    }

    private DaemonService startDaemon(DaemonConfig config, Integer metricsPort) throws IOException {
        DaemonService service = DaemonService.start(db::connect, config, metricsPort);
        running.add(service);
        return service;
    }

    private void awaitLeader(DaemonService service) throws Exception {
        Eventually.await("the daemon to lead", () -> service.daemon().role() == Daemon.Role.LEADER);
    }

    @Test
    void aChangeCascadesThroughAChainInTopologicalOrder() throws Exception {
        db.execute("CREATE TABLE chain_src (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
        db.execute("INSERT INTO chain_src SELECT g, g % 5, g FROM generate_series(1, 50) g");
        db.execute("SELECT pgtrickle.create_stream_table('chain_a', $$SELECT id, grp, v FROM chain_src WHERE v > 3$$, "
                + "refresh_mode => 'DIFFERENTIAL')");
        db.execute("SELECT pgtrickle.create_stream_table('chain_b', $$SELECT grp, sum(v) AS total, count(*) AS n FROM chain_a GROUP BY grp$$, "
                + "refresh_mode => 'DIFFERENTIAL')");
        db.execute("SELECT pgtrickle.create_stream_table('chain_c', $$SELECT grp, total FROM chain_b WHERE n > 2$$, "
                + "schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
        DaemonService daemon = startDaemon(FAST, null);
        awaitLeader(daemon);
        Eventually.await("the daemon to compile the chain", () -> db.queryLong(
                "SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE compile_status = 'COMPILED' AND pgt_name LIKE 'chain%'") == 3);

        db.execute("INSERT INTO chain_src SELECT g, g % 7, g * 2 FROM generate_series(51, 80) g");
        db.execute("UPDATE chain_src SET v = v + 100 WHERE id % 3 = 0");
        db.execute("DELETE FROM chain_src WHERE id % 11 = 0");
        long marker = db.queryLong("SELECT coalesce(max(refresh_id), 0) FROM pgtrickle.pgt_refresh_history");
        Eventually.await("chain_c to show the changes", () -> db.queryLong(
                "SELECT count(*) FROM ((SELECT grp, total FROM chain_c) EXCEPT ALL "
                        + "(SELECT grp, sum(v) FROM chain_src WHERE v > 3 GROUP BY grp HAVING count(*) > 2)) d") == 0
                && db.queryLong("SELECT count(*) FROM chain_c") == db.queryLong(
                        "SELECT count(*) FROM (SELECT grp FROM chain_src WHERE v > 3 GROUP BY grp HAVING count(*) > 2) q"));

        Oracle.assertStreamTableMatchesQuery(db, "chain_a", "SELECT id, grp, v FROM chain_src WHERE v > 3");
        Oracle.assertStreamTableMatchesQuery(db, "chain_b", "SELECT grp, sum(v) AS total, count(*) AS n FROM chain_a GROUP BY grp");
        Oracle.assertStreamTableMatchesQuery(db, "chain_c", "SELECT grp, total FROM chain_b WHERE n > 2");
        for (String table : List.of("chain_a", "chain_b", "chain_c")) {
            DifferentialRefreshTest.assertHiddenMultiplicities(db, table);
        }

        // The pass that carried the change refreshed a, then b, then c (history ids follow commit order).
        List<Map<String, Object>> history = db.queryList(
                "SELECT pgtrickle._display_name(st.pgt_schema, st.pgt_name) AS name, h.initiated_by, h.action "
                        + "FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) "
                        + "WHERE h.refresh_id > " + marker + " ORDER BY h.refresh_id");
        assertEquals(List.of("public.chain_a", "public.chain_b", "public.chain_c"),
                history.stream().map(r -> (String) r.get("name")).distinct().limit(3).toList(), history::toString);
        assertTrue(history.stream().allMatch(r -> r.get("initiated_by").equals("SCHEDULER")), history::toString);
        assertTrue(history.stream().allMatch(r -> r.get("action").equals("DIFFERENTIAL")), history::toString);
    }

    @Test
    void compilesStreamTablesCreatedThroughSql() throws Exception {
        DaemonService daemon = startDaemon(FAST, null);
        awaitLeader(daemon);
        db.execute("CREATE TABLE compile_src (id int PRIMARY KEY, v int)");
        db.execute("INSERT INTO compile_src SELECT g, g FROM generate_series(1, 10) g");
        db.execute("SELECT pgtrickle.create_stream_table('compile_st', $$SELECT id, v FROM compile_src$$, schedule => '1s')");
        Eventually.await("compile_st to be compiled", () -> "COMPILED".equals(db.queryString(
                "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'compile_st'")));
        db.execute("SELECT pgtrickle.alter_stream_table('compile_st', query => $$SELECT id, v * 2 AS v FROM compile_src$$)");
        Eventually.await("the new query to be compiled", () -> "COMPILED".equals(db.queryString(
                "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'compile_st'")));
        db.execute("UPDATE compile_src SET v = v + 1 WHERE id <= 5");
        Eventually.await("the update to arrive", () -> db.queryLong(
                "SELECT count(*) FROM compile_st WHERE id <= 5 AND v = (id + 1) * 2") == 5);
        Oracle.assertStreamTableMatchesQuery(db, "compile_st", "SELECT id, v * 2 AS v FROM compile_src");
    }

    @Test
    void aFailingRefreshIsRetriedThenSuspendedAndResumes() throws Exception {
        db.execute("CREATE TABLE failing_src (id int PRIMARY KEY, d int NOT NULL)");
        db.execute("INSERT INTO failing_src VALUES (1, 1), (2, 2)");
        db.execute("SELECT pgtrickle.create_stream_table('failing_st', $$SELECT id, 100 / d AS q FROM failing_src$$, "
                + "schedule => '1s', refresh_mode => 'FULL')");
        DaemonService daemon = startDaemon(FAST, null);
        awaitLeader(daemon);
        db.execute("UPDATE failing_src SET d = 0 WHERE id = 2");

        Eventually.await("failing_st to be suspended", () -> "SUSPENDED".equals(db.queryString(
                "SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'failing_st'")));
        Map<String, Object> state = db.queryList("SELECT consecutive_errors, last_error FROM pgtrickle.pgt_stream_tables "
                + "WHERE pgt_name = 'failing_st'").get(0);
        assertEquals(3, state.get("consecutive_errors"));
        assertTrue(((String) state.get("last_error")).contains("division by zero"), state::toString);
        assertEquals(3, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h "
                + "JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = 'failing_st' "
                + "AND h.status = 'FAILED' AND h.initiated_by = 'SCHEDULER'"));
        // Rolled back cleanly: the contents are those of the last successful refresh.
        assertEquals(100 + 50, db.queryLong("SELECT sum(q) FROM failing_st"));

        db.execute("UPDATE failing_src SET d = 4 WHERE id = 2");
        db.execute("SELECT pgtrickle.alter_stream_table('failing_st', status => 'ACTIVE')");
        Eventually.await("failing_st to recover", () -> db.queryLong("SELECT sum(q) FROM failing_st") == 125);
        Oracle.assertStreamTableMatchesQuery(db, "failing_st", "SELECT id, 100 / d AS q FROM failing_src");
        assertEquals("ACTIVE", db.queryString("SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'failing_st'"));
        assertEquals(0, db.queryLong("SELECT consecutive_errors FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'failing_st'"));
    }

    @Test
    void frozenAndSuspendedTablesAreNotScheduled() throws Exception {
        db.execute("CREATE TABLE tier_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('tier_hot', $$SELECT id, v FROM tier_src$$, schedule => '1s')");
        db.execute("SELECT pgtrickle.create_stream_table('tier_frozen', $$SELECT id, v FROM tier_src$$, schedule => '1s')");
        db.execute("SELECT pgtrickle.create_stream_table('tier_suspended', $$SELECT id, v FROM tier_src$$, schedule => '1s')");
        db.execute("SELECT pgtrickle.alter_stream_table('tier_frozen', tier => 'frozen')");
        db.execute("SELECT pgtrickle.alter_stream_table('tier_suspended', status => 'SUSPENDED')");
        DaemonService daemon = startDaemon(FAST, null);
        awaitLeader(daemon);
        // Frozen means never scheduled, not never compiled; a suspended table waits to be resumed.
        Eventually.await("tier_frozen to be compiled", () -> "COMPILED".equals(db.queryString(
                "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'tier_frozen'")));
        db.execute("INSERT INTO tier_src VALUES (1, 1)");
        Eventually.await("tier_hot to get the row", () -> db.queryLong("SELECT count(*) FROM tier_hot") == 1);
        db.execute("INSERT INTO tier_src VALUES (2, 2)");
        Eventually.await("tier_hot to get the second row", () -> db.queryLong("SELECT count(*) FROM tier_hot") == 2);
        assertEquals(0, db.queryLong("SELECT count(*) FROM tier_frozen"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM tier_suspended"));
        assertEquals("PENDING", db.queryString(
                "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'tier_suspended'"));
        // A manual refresh still works on both, differentially once compiled.
        db.execute("SELECT pgtrickle.refresh_stream_table('tier_frozen')");
        Oracle.assertStreamTableMatchesQuery(db, "tier_frozen", "SELECT id, v FROM tier_src");
        assertEquals("DIFFERENTIAL", db.queryString("SELECT h.action FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = 'tier_frozen'"
                + " ORDER BY h.refresh_id DESC LIMIT 1"));
        db.execute("SELECT pgtrickle.refresh_stream_table('tier_suspended')");
        Oracle.assertStreamTableMatchesQuery(db, "tier_suspended", "SELECT id, v FROM tier_src");
    }

    /**
     * A schedule under a second, with a tick longer than it: the daemon waits for the table's due
     * moment, not for the tick (the due moments are RefreshPlannerTest's).
     */
    @Test
    void aSubSecondScheduleIsKeptByTheDaemon() throws Exception {
        db.execute("CREATE TABLE fast_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('fast_st', $$SELECT id, v FROM fast_src$$, schedule => '150ms',"
                + " refresh_mode => 'DIFFERENTIAL')");
        assertEquals("150ms", db.queryString("SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'fast_st'"));
        DaemonService daemon = startDaemon(new DaemonConfig(2, 3, Duration.ofSeconds(5), Duration.ofMillis(300),
                Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(200)), null);
        awaitLeader(daemon);
        for (int i = 1; i <= 3; i++) {
            int row = i;
            db.execute("INSERT INTO fast_src VALUES (" + row + ", " + row + ")");
            Eventually.await("fast_st to get row " + row, () -> db.queryLong("SELECT count(*) FROM fast_st") == row);
        }
        Oracle.assertStreamTableMatchesQuery(db, "fast_st", "SELECT id, v FROM fast_src");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st"
                + " USING (pgt_id) WHERE st.pgt_name = 'fast_st' AND h.status <> 'COMPLETED'"));
    }

    @Test
    void aStandbyTakesOverWhenTheLeadersSessionEnds() throws Exception {
        db.execute("CREATE TABLE takeover_src (id int PRIMARY KEY)");
        db.execute("SELECT pgtrickle.create_stream_table('takeover_st', $$SELECT id FROM takeover_src$$, schedule => '1s')");
        DaemonService first = startDaemon(FAST, null);
        awaitLeader(first);
        DaemonService second = startDaemon(FAST, null);
        Eventually.await("the second daemon to wait as standby", () -> second.daemon().role() == Daemon.Role.STANDBY);

        db.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
        Eventually.await("one daemon to lead again", () -> first.daemon().role() == Daemon.Role.LEADER
                || second.daemon().role() == Daemon.Role.LEADER);
        db.execute("INSERT INTO takeover_src VALUES (1)");
        Eventually.await("refreshes to go on", () -> db.queryLong("SELECT count(*) FROM takeover_st") == 1);
        assertEquals(1, (first.daemon().role() == Daemon.Role.LEADER ? 1 : 0)
                + (second.daemon().role() == Daemon.Role.LEADER ? 1 : 0));
    }

    @Test
    void survivesItsConnectionsBeingTerminated() throws Exception {
        db.execute("CREATE TABLE restart_src (id int PRIMARY KEY)");
        db.execute("SELECT pgtrickle.create_stream_table('restart_st', $$SELECT id FROM restart_src$$, schedule => '1s')");
        DaemonService daemon = startDaemon(FAST, null);
        awaitLeader(daemon);
        db.execute("INSERT INTO restart_src VALUES (1)");
        Eventually.await("the first row", () -> db.queryLong("SELECT count(*) FROM restart_st") == 1);

        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                + "WHERE datname = current_database() AND pid <> pg_backend_pid()");
        db.execute("INSERT INTO restart_src VALUES (2)");
        Eventually.await("the second row after reconnecting", () -> db.queryLong("SELECT count(*) FROM restart_st") == 2);
        Oracle.assertStreamTableMatchesQuery(db, "restart_st", "SELECT id FROM restart_src");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h "
                + "JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = 'restart_st' AND h.status = 'FAILED'"));
    }

    @Test
    void servesMetricsAndHealth() throws Exception {
        db.execute("CREATE TABLE metrics_src (id int PRIMARY KEY)");
        db.execute("SELECT pgtrickle.create_stream_table('metrics_st', $$SELECT id FROM metrics_src$$, schedule => '1s', "
                + "refresh_mode => 'DIFFERENTIAL')");
        DaemonService daemon = startDaemon(FAST, 0);
        awaitLeader(daemon);
        db.execute("INSERT INTO metrics_src SELECT generate_series(1, 5)");
        Eventually.await("metrics_st to refresh", () -> db.queryLong("SELECT count(*) FROM metrics_st") == 5);

        HttpClient http = HttpClient.newHttpClient();
        String base = "http://localhost:" + daemon.metricsPort();
        Eventually.await("the health endpoint to report the leader", () -> {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200 && health.body().contains("\"role\":\"leader\"")
                    && health.body().contains("\"catalog\":\"reachable\"");
        });
        // The rows may have arrived through the compile's recompute: wait for a scheduled pass too.
        List<String> expected = List.of("pgtrickle_leader 1.0", "pgtrickle_refresh_duration_seconds_bucket",
                "stream_table=\"public.metrics_st\"", "pgtrickle_staleness_seconds");
        Eventually.await("/metrics to show " + expected, () -> {
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return metrics.statusCode() == 200 && expected.stream().allMatch(metrics.body()::contains);
        });
        // The counter sums the rows the daemon's refreshes inserted, as their history rows record.
        db.execute("INSERT INTO metrics_src SELECT generate_series(6, 8)");
        Eventually.await("/metrics to count the rows the scheduled refreshes applied", () -> {
            long recorded = db.queryLong("SELECT coalesce(sum(h.rows_inserted), 0) FROM pgtrickle.pgt_refresh_history h "
                    + "JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) "
                    + "WHERE st.pgt_name = 'metrics_st' AND h.initiated_by = 'SCHEDULER'");
            return db.queryLong("SELECT count(*) FROM metrics_st") == 8 && recorded >= 3
                    && insertedRows(http, base) == recorded;
        });
    }

    @Test
    void aRefreshRedoneFullShowsOnHealthAndInTheMetrics() throws Exception {
        db.execute("CREATE TABLE fallback_src (id int PRIMARY KEY, d int NOT NULL)");
        db.execute("INSERT INTO fallback_src SELECT g, g FROM generate_series(1, 20) g");
        db.execute("SELECT pgtrickle.create_stream_table('fallback_st', $$SELECT id, 100 / d AS q FROM fallback_src$$, "
                + "schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
        DaemonService daemon = startDaemon(FAST, 0);
        awaitLeader(daemon);
        Eventually.await("the daemon to compile fallback_st", () -> db.queryLong("SELECT count(*) FROM"
                + " pgtrickle.pgt_stream_tables WHERE compile_status = 'COMPILED' AND pgt_name = 'fallback_st'") == 1);
        // Inserted and deleted in one transaction: the query never divides by zero, a delta term does.
        try (Connection writer = db.connect()) {
            writer.setAutoCommit(false);
            writer.createStatement().execute("INSERT INTO fallback_src VALUES (1000, 0);"
                    + " DELETE FROM fallback_src WHERE id = 1000; UPDATE fallback_src SET d = 50 WHERE id = 1");
            writer.commit();
        }

        HttpClient http = HttpClient.newHttpClient();
        String base = "http://localhost:" + daemon.metricsPort();
        String problem = "public.fallback_st: 1 refresh(es) fell back to FULL within the last hour";
        String counter = "pgtrickle_refresh_fallbacks_total{stream_table=\"public.fallback_st\"} 1.0";
        Eventually.await("/health to list the fallback and /metrics to count it", () -> {
            String health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return health.contains("\"status\":\"DEGRADED\"") && health.contains(problem)
                    && health.contains("differential refresh failed (division by zero): refreshed FULL")
                    && metrics.contains(counter);
        });
        Oracle.assertStreamTableMatchesQuery(db, "fallback_st", "SELECT id, 100 / d AS q FROM fallback_src");
    }

    /** The value of pgtrickle_rows_applied_total for rows inserted into metrics_st (0 before any). */
    private static double insertedRows(HttpClient http, String base) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher value = java.util.regex.Pattern.compile(
                "pgtrickle_rows_applied_total\\{kind=\"inserted\",stream_table=\"public.metrics_st\"} (\\S+)").matcher(body);
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }
}
