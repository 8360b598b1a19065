package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.scheduler.WalSettings;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon as a non-superuser: the role that installed the catalog (its owner), granted the
 * roles owning the stream tables and, for WAL capture, REPLICATION — exactly the grants
 * docs/operations.md lists. Each missing grant is recorded where users look (history, errors,
 * suspension, health_check naming the statement that gives it, /health), never only logged.
 */
@PostgresTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonPrivilegesTest {

    private static final String DAEMON = "dp_daemon";
    private static final String OWNER = "dp_owner";
    private static final String STRANGER = "dp_stranger";
    private static final String PASSWORD = "dp-secret";
    private static final String QUERY = "SELECT grp, count(*) AS n, sum(v) AS total FROM dp_src GROUP BY grp";

    private final TestDatabase db;
    @TempDir
    Path journal;
    private DaemonService daemon;

    DaemonPrivilegesTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void installAsTheDaemonsRole(TestDatabase db) throws SQLException {
        db.createRole(DAEMON, PASSWORD, "LOGIN", "NOSUPERUSER", "NOREPLICATION");
        db.createRole(OWNER, PASSWORD, "LOGIN", "NOSUPERUSER");
        db.createRole(STRANGER, PASSWORD, "LOGIN", "NOSUPERUSER");
        db.execute("GRANT CREATE ON DATABASE " + db.databaseName() + " TO " + DAEMON + ";"
                + " GRANT CREATE ON SCHEMA public TO " + OWNER);
        try (Connection daemon = db.connectAs(DAEMON, PASSWORD)) {
            CatalogInstaller.install(daemon);
        }
        try (Connection owner = db.connectAs(OWNER, PASSWORD); Statement statement = owner.createStatement()) {
            statement.execute("CREATE TABLE dp_src (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL);"
                    + " INSERT INTO dp_src SELECT g, g % 4, g FROM generate_series(1, 100) g;"
                    + " SELECT pgtrickle.create_stream_table('dp_st', $$" + QUERY + "$$, schedule => '1s')");
        }
    }

    @AfterEach
    void stopDaemon() {
        if (daemon != null) {
            daemon.close();
            daemon = null;
        }
    }

    @AfterAll
    static void dropSlot(TestDatabase db) throws SQLException {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
    }

    private void startDaemon(String role) throws Exception {
        daemon = DaemonService.start(() -> db.connectAs(role, PASSWORD), DaemonTest.FAST, 0,
                new WalSettings(WalConnections.of(db.jdbcUrlAs(role, PASSWORD)), journal));
        Eventually.await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
    }

    private void asOwner(String sql) throws SQLException {
        try (Connection owner = db.connectAs(OWNER, PASSWORD); Statement statement = owner.createStatement()) {
            statement.execute(sql);
        }
    }

    private List<Map<String, Object>> daemonHealth() throws SQLException {
        return db.queryList("SELECT severity, detail FROM pgtrickle.health_check() WHERE check_name = 'daemon'");
    }

    /** The body of /health; DEGRADED and UP come with HTTP 200, DOWN (not connected yet) with 503. */
    private String healthEndpoint() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + daemon.metricsPort() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(response.body().contains("\"status\":\"DOWN\"") ? 503 : 200, response.statusCode(), response::body);
        return response.body();
    }

    private void awaitCurrent() throws Exception {
        Eventually.await("dp_st to equal its query", () -> db.queryLong(
                "SELECT count(*) FROM ((SELECT grp, n, total FROM dp_st EXCEPT ALL " + QUERY + ") UNION ALL ("
                        + QUERY + " EXCEPT ALL SELECT grp, n, total FROM dp_st)) d") == 0);
        Oracle.assertStreamTableMatchesQuery(db, "dp_st", QUERY);
    }

    @Test
    @Order(1)
    void withItsGrantsTheDaemonRefreshesAndCapturesFromTheWal() throws Exception {
        db.execute("GRANT " + OWNER + " TO " + DAEMON + "; ALTER ROLE " + DAEMON + " REPLICATION");
        startDaemon(DAEMON);
        Eventually.await("dp_st to be compiled", () -> "COMPILED".equals(db.queryString(
                "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'dp_st'")));
        asOwner("INSERT INTO dp_src SELECT g, g % 4, g FROM generate_series(101, 120) g");
        awaitCurrent();
        assertEquals(List.of(Map.of("severity", "OK", "detail",
                "a daemon serves this database as role dp_daemon, with the rights it needs")), daemonHealth());
        Eventually.await("/health to be UP", () -> healthEndpoint().contains("\"status\":\"UP\""));

        // WAL capture: REPLICATION, and membership in the source's owner (publication, replica identity).
        asOwner("SELECT pgtrickle.set_cdc_mode('dp_src', 'wal')");
        Eventually.await("dp_src to be captured from the WAL", () -> "wal".equals(db.queryString(
                "SELECT cdc_mode FROM pgtrickle.pgt_change_sources WHERE source_name = 'dp_src'")));
        asOwner("UPDATE dp_src SET v = v + 1 WHERE id % 3 = 0; DELETE FROM dp_src WHERE id > 115");
        awaitCurrent();
        asOwner("SELECT pgtrickle.set_cdc_mode('dp_src', 'trigger')");
        Eventually.await("dp_src back on triggers", () -> "trigger".equals(db.queryString(
                "SELECT cdc_mode FROM pgtrickle.pgt_change_sources WHERE source_name = 'dp_src'")));
        asOwner("INSERT INTO dp_src VALUES (500, 1, 500)");
        awaitCurrent();
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"));
    }

    @Test
    @Order(2)
    void withoutTheOwnersRoleEveryFailureIsRecordedAndNamesTheGrant() throws Exception {
        db.execute("REVOKE " + OWNER + " FROM " + DAEMON);
        long failedBefore = db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'");
        startDaemon(DAEMON);
        asOwner("INSERT INTO dp_src VALUES (600, 2, 600)");
        Eventually.await("dp_st to be suspended", () -> "SUSPENDED".equals(db.queryString(
                "SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'dp_st'")));

        Map<String, Object> status = db.queryList(
                "SELECT consecutive_errors, last_error FROM pgtrickle.pgt_status() WHERE name = 'public.dp_st'").get(0);
        int suspendAfter = DaemonTest.FAST.suspendAfter();
        assertEquals(suspendAfter, status.get("consecutive_errors"), status::toString);
        assertTrue(((String) status.get("last_error")).contains("GRANT dp_owner TO dp_daemon"), status::toString);
        assertEquals(suspendAfter, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                + " WHERE status = 'FAILED' AND initiated_by = 'SCHEDULER'") - failedBefore);

        List<Map<String, Object>> health = daemonHealth();
        assertEquals(1, health.size(), health::toString);
        assertEquals("ERROR", health.get(0).get("severity"));
        assertTrue(((String) health.get(0).get("detail")).contains("GRANT dp_owner TO dp_daemon"), health::toString);
        Eventually.await("/health to report the missing grant", () -> {
            String body = healthEndpoint();
            return body.contains("\"status\":\"DEGRADED\"") && body.contains("GRANT dp_owner TO dp_daemon")
                    && body.contains("public.dp_st: status SUSPENDED");
        });
        // Suspended: no more attempts.
        Thread.sleep(500);
        assertEquals(suspendAfter, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                + " WHERE status = 'FAILED' AND initiated_by = 'SCHEDULER'") - failedBefore);

        db.execute("GRANT " + OWNER + " TO " + DAEMON);
        asOwner("SELECT pgtrickle.alter_stream_table('dp_st', status => 'ACTIVE')");
        awaitCurrent();
        Eventually.await("/health to be UP again", () -> healthEndpoint().contains("\"status\":\"UP\""));
    }

    @Test
    @Order(3)
    void withoutReplicationTheSourceStaysOnTriggersAndSaysWhy() throws Exception {
        db.execute("ALTER ROLE " + DAEMON + " NOREPLICATION");
        startDaemon(DAEMON);
        asOwner("SELECT pgtrickle.set_cdc_mode('dp_src', 'wal')");
        Eventually.await("health_check to name the missing REPLICATION", () -> daemonHealth().stream()
                .anyMatch(row -> "ERROR".equals(row.get("severity"))
                        && ((String) row.get("detail")).contains("ALTER ROLE dp_daemon REPLICATION")));
        Eventually.await("cdc_status to say why", () -> {
            String note = db.queryString("SELECT note FROM pgtrickle.cdc_status() WHERE source = 'public.dp_src'");
            return note != null && note.contains("REPLICATION");
        });
        assertEquals("trigger", db.queryString("SELECT cdc_mode FROM pgtrickle.pgt_change_sources WHERE source_name = 'dp_src'"));
        asOwner("INSERT INTO dp_src VALUES (700, 3, 700)");
        awaitCurrent();
        asOwner("SELECT pgtrickle.set_cdc_mode('dp_src', NULL)");
    }

    @Test
    @Order(4)
    void aDaemonWithoutTheCatalogOwnersRightsSaysSo() throws Exception {
        db.execute("GRANT " + OWNER + " TO " + STRANGER);
        startDaemon(STRANGER);
        List<Map<String, Object>> health = daemonHealth();
        assertEquals(List.of("ERROR"), health.stream().map(row -> row.get("severity")).distinct().collect(Collectors.toList()));
        assertTrue(health.stream().anyMatch(row -> ((String) row.get("detail")).contains("GRANT dp_daemon TO dp_stranger")),
                health::toString);
        Eventually.await("/health to name the missing grant", () -> {
            String body = healthEndpoint();
            return body.contains("\"status\":\"DEGRADED\"") && body.contains("GRANT dp_daemon TO dp_stranger");
        });
        assertFalse(healthEndpoint().contains("\"status\":\"UP\""));

        // A buffer full of deleted rows that this role may not vacuum: said on /health too.
        String buffer = "pgtrickle_changes.changes_" + db.queryString("SELECT 'dp_src'::regclass::oid");
        // Autovacuum, which may come by right after the deletion, would leave nothing to report.
        db.execute("ALTER TABLE " + buffer + " SET (autovacuum_enabled = false)");
        db.execute("BEGIN; INSERT INTO " + buffer + " (__pgt_seq, __pgt_action) SELECT 0, 'I' FROM generate_series(1, 10000);"
                + " DELETE FROM " + buffer + " WHERE __pgt_seq = 0; COMMIT");
        Eventually.await("/health to say the buffer is not vacuumed", () -> healthEndpoint().contains(
                "the daemon's role may not vacuum change buffers " + buffer));
    }

    @Test
    @Order(5)
    void aDaemonThatMayNotUpgradeTheCatalogSaysSoInsteadOfLeading() throws Exception {
        TestDatabase old = TestDatabase.create(db.server(), "dp_old_catalog");
        try {
            try (Connection admin = old.connect()) {
                CatalogInstaller.install(admin, "4");
            }
            daemon = DaemonService.start(() -> old.connectAs(STRANGER, PASSWORD), DaemonTest.FAST, 0);
            Eventually.await("/health to say why it does not lead", () -> {
                String body = healthEndpoint();
                return body.contains("\"status\":\"DEGRADED\"") && body.contains("older than this daemon")
                        && body.contains("run `pgtrickle install` as ");
            });
            assertFalse(daemon.daemon().role() == Daemon.Role.LEADER);
            // Still so a few seconds later: it keeps in touch with the database while it waits.
            Thread.sleep(1500);
            assertTrue(healthEndpoint().contains("older than this daemon"));
        } finally {
            daemon.close();
            daemon = null;
            old.drop();
        }
    }
}
