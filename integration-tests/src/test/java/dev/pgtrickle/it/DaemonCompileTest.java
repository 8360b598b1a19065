package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * What the daemon's compiler does is always recorded and visible: an explicit DIFFERENTIAL it
 * cannot honour is an error state (status, last_error, health_check, pgtrickle status, an event,
 * metrics, /health), never a quiet FULL refresh; a compile that failed for a passing reason keeps
 * its error and is retried with backoff without any catalog notification.
 */
@PostgresTest
class DaemonCompileTest {

    private final TestDatabase db;
    private DaemonService daemon;

    DaemonCompileTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    @AfterEach
    void stopDaemon() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private void startDaemon() throws Exception {
        daemon = DaemonService.start(db::connect, DaemonTest.FAST, 0);
        Eventually.await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
    }

    private String get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:"
                + daemon.metricsPort() + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static List<String> drain(PGConnection listener) throws SQLException {
        List<String> payloads = new ArrayList<>();
        PGNotification[] received = listener.getNotifications(200);
        while (received != null && received.length > 0) {
            for (PGNotification notification : received) {
                payloads.add(notification.getName() + " " + notification.getParameter());
            }
            received = listener.getNotifications(200);
        }
        return payloads;
    }

    private String status(String name) throws SQLException {
        return db.queryString("SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = '" + name + "'");
    }

    @Test
    void anExplicitDifferentialTheCompilerCannotHonourIsAVisibleError() throws Exception {
        db.execute("CREATE TABLE dc_a (id int PRIMARY KEY, k int, v int); CREATE TABLE dc_b (k int PRIMARY KEY, w int);"
                + " INSERT INTO dc_a SELECT g, g % 4, g FROM generate_series(1, 20) g; INSERT INTO dc_b VALUES (1, 10), (2, 20)");
        Map<String, String> refused = Map.of(
                "dc_window", "SELECT s.id FROM (SELECT a.id, rank() OVER (PARTITION BY a.k ORDER BY a.v) AS r FROM dc_a a) s",
                "dc_distinct_on", "SELECT s.k FROM (SELECT DISTINCT ON (k) k, id FROM dc_a ORDER BY k, id) s",
                "dc_top_k", "SELECT a.id FROM dc_a a ORDER BY a.v DESC LIMIT 3");
        try (Connection listening = db.connect(); Statement listen = listening.createStatement()) {
            listen.execute("LISTEN pgtrickle_events");
            for (Map.Entry<String, String> table : refused.entrySet()) {
                db.execute("SELECT pgtrickle.create_stream_table('" + table.getKey() + "', $$" + table.getValue()
                        + "$$, schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
            }
            db.execute("SELECT pgtrickle.create_stream_table('dc_auto', $$" + refused.get("dc_window") + "$$, schedule => '1s')");
            startDaemon();
            for (String name : refused.keySet()) {
                Eventually.await(name + " to be in ERROR", () -> "ERROR".equals(status(name)));
            }
            Eventually.await("dc_auto to be compiled", () -> "UNSUPPORTED".equals(db.queryString(
                    "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'dc_auto'")));

            for (String name : refused.keySet()) {
                Map<String, Object> row = db.queryList("SELECT compile_status, compile_error, last_error, effective_mode"
                        + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = '" + name + "'").get(0);
                assertEquals("UNSUPPORTED", row.get("compile_status"), row::toString);
                assertTrue(((String) row.get("last_error")).contains("cannot be refreshed DIFFERENTIAL: "
                        + row.get("compile_error")), row::toString);
                assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.health_check() WHERE check_name ="
                        + " 'stream_table_errors' AND severity = 'ERROR' AND detail LIKE '%" + name + "%DIFFERENTIAL%'"));
            }
            // Under AUTO the same query is refreshed FULL, with its reason, and is no error.
            assertEquals("ACTIVE", status("dc_auto"));
            CliRun.assertContains(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'dc_auto'"),
                    "not differentiable", "OVER");

            List<String> events = new ArrayList<>();
            Eventually.await("a stream_table_error event per table", () -> {
                events.addAll(drain(listening.unwrap(PGConnection.class)));
                return refused.keySet().stream().allMatch(name -> events.stream().anyMatch(event ->
                        event.contains("\"event\": \"stream_table_error\"") && event.contains("public." + name)));
            });
        }

        // Not refreshed FULL in silence: a source change is not applied to them, and nothing fails.
        db.execute("INSERT INTO dc_a VALUES (100, 1, 100)");
        Eventually.await("dc_auto to take the change", () -> db.queryLong("SELECT count(*) FROM dc_auto WHERE id = 100") == 1);
        for (String name : refused.keySet()) {
            assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables"
                    + " st USING (pgt_id) WHERE st.pgt_name = '" + name + "'"), name + ": only its creation");
        }

        CliRun cli = CliRun.against(db, "status").expectExit(0);
        for (String name : refused.keySet()) {
            assertTrue(cli.outLines().stream().anyMatch(line -> line.contains("public." + name) && line.contains("ERROR")
                    && line.contains("cannot be refreshed DIFFERENTIAL")), cli::toString);
        }
        CliRun.assertContains(CliRun.against(db, "compile", "--pending").expectExit(0).out(),
                "no stream table is waiting for the compiler");
        String metrics = get("/metrics");
        CliRun.assertContains(metrics, "pgtrickle_stream_tables{status=\"ERROR\"} 3.0",
                "outcome=\"REFUSED\",stream_table=\"public.dc_window\"");
        CliRun.assertContains(get("/health"), "\"status\":\"DEGRADED\"", "public.dc_window: status ERROR");

        // Asking for AUTO resolves it.
        db.execute("SELECT pgtrickle.alter_stream_table('dc_window', refresh_mode => 'AUTO')");
        Eventually.await("dc_window to take the change", () -> db.queryLong("SELECT count(*) FROM dc_window WHERE id = 100") == 1);
        assertEquals("ACTIVE", status("dc_window"));
        Oracle.assertStreamTableMatchesQuery(db, "dc_window", refused.get("dc_window"));
    }

    @Test
    void aCompileThatFailedIsRecordedAndRetriedWithoutANotification() throws Exception {
        db.execute("CREATE TABLE cf_src (id int PRIMARY KEY, d int NOT NULL); INSERT INTO cf_src VALUES (1, 5), (2, 0)");
        String query = "SELECT id, 100 / d AS q FROM cf_src";
        // Frozen: never scheduled, so only the compiler touches it (and frozen tables are compiled).
        db.execute("SELECT pgtrickle.create_stream_table('cf_st', '" + query + "', initialize => false);"
                + " SELECT pgtrickle.alter_stream_table('cf_st', tier => 'frozen')");
        try (Connection listening = db.connect(); Statement listen = listening.createStatement()) {
            listen.execute("LISTEN pgtrickle_events; LISTEN pgtrickle_catalog");
            startDaemon();
            Eventually.await("the failed compile to be recorded", () -> db.queryString(
                    "SELECT coalesce(compile_error, '') FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'cf_st'")
                    .contains("division by zero"));
            Map<String, Object> row = db.queryList("SELECT compile_status, status, mode_reason FROM pgtrickle.pgt_stream_tables"
                    + " WHERE pgt_name = 'cf_st'").get(0);
            assertEquals("PENDING", row.get("compile_status"), row::toString);
            assertEquals("ACTIVE", row.get("status"), row::toString);
            CliRun.assertContains((String) row.get("mode_reason"), "last attempt failed (division by zero)");
            CliRun.assertContains(db.queryString("SELECT detail FROM pgtrickle.health_check() WHERE check_name = 'pending_compile'"),
                    "public.cf_st", "the last compile failed (division by zero); the daemon retries");
            List<String> events = new ArrayList<>();
            Eventually.await("a compile_failed event", () -> {
                events.addAll(drain(listening.unwrap(PGConnection.class)));
                return events.stream().anyMatch(event -> event.contains("\"event\": \"compile_failed\"")
                        && event.contains("division by zero"));
            });
            CliRun.assertContains(get("/metrics"), "outcome=\"FAILED\",stream_table=\"public.cf_st\"");

            // The data changes, the catalog does not: the retry needs no notification.
            drain(listening.unwrap(PGConnection.class));
            db.execute("UPDATE cf_src SET d = 4 WHERE id = 2");
            Eventually.await("the retried compile to succeed", () -> "COMPILED".equals(db.queryString(
                    "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'cf_st'")));
            assertTrue(drain(listening.unwrap(PGConnection.class)).stream().noneMatch(event -> event.startsWith("pgtrickle_catalog")),
                    "no catalog notification was involved");
        }
        assertNull(db.queryString("SELECT compile_error FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'cf_st'"));
        Oracle.assertStreamTableMatchesQuery(db, "cf_st", query);
        // Frozen and compiled: a manual refresh is differential.
        db.execute("INSERT INTO cf_src VALUES (3, 10)");
        db.execute("SELECT pgtrickle.refresh_stream_table('cf_st')");
        assertEquals("DIFFERENTIAL", db.queryString("SELECT h.action FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = 'cf_st' ORDER BY h.refresh_id DESC LIMIT 1"));
        Oracle.assertStreamTableMatchesQuery(db, "cf_st", query);
    }

    /** A reader holding the storage table makes a compile time out (never queue behind it); retried later. */
    @Test
    void aCompileThatMeetsALockIsRetriedOnceTheLockIsGone() throws Exception {
        db.execute("CREATE TABLE cl_src (id int PRIMARY KEY, v int); INSERT INTO cl_src VALUES (1, 1), (2, 2);"
                + " SELECT pgtrickle.create_stream_table('cl_st', 'SELECT id, v FROM cl_src', schedule => '1h')");
        try (Connection reader = db.connect(); Statement statement = reader.createStatement()) {
            reader.setAutoCommit(false);
            statement.execute("LOCK TABLE cl_st IN ACCESS SHARE MODE");
            startDaemon();
            Eventually.await("the lock timeout to be recorded", () -> db.queryString(
                    "SELECT coalesce(compile_error, '') FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'cl_st'")
                    .contains("lock timeout"));
            assertEquals("PENDING", db.queryString("SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'cl_st'"));
            reader.rollback();
        }
        Eventually.await("the retried compile to succeed", () -> "COMPILED".equals(db.queryString(
                "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'cl_st'")));
        Oracle.assertStreamTableMatchesQuery(db, "cl_st", "SELECT id, v FROM cl_src");
    }
}
