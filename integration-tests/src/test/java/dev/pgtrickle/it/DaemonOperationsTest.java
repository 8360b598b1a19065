package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operations API that watches and steers the daemon (docs/sql-reference.md, "Operations"):
 * its worker pool, recent jobs, freshness per stream table, and draining for upgrades.
 */
@PostgresTest
class DaemonOperationsTest {

    private final TestDatabase db;

    DaemonOperationsTest(TestDatabase db) {
        this.db = db;
    }

    private long refreshes(String name) throws SQLException {
        return db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                + " WHERE pgt_id = (SELECT pgt_id FROM pgtrickle._find_stream_table('" + name + "'))");
    }

    private String acknowledged() throws SQLException {
        return db.queryString("SELECT drain_acknowledged_at::text FROM pgtrickle.pgt_instance");
    }

    @Test
    void theDaemonsWorkersJobsFreshnessAndDraining() throws Exception {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE ops_d_src (id int PRIMARY KEY, g int NOT NULL, v int)");
        db.execute("INSERT INTO ops_d_src SELECT i, i % 3, i FROM generate_series(1, 100) i");
        db.execute("SELECT pgtrickle.create_stream_table('ops_d_totals', $$SELECT g, sum(v) AS s FROM ops_d_src GROUP BY g$$,"
                + " schedule => '1s')");
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            Eventually.await("compiled", () -> "COMPILED".equals(db.queryString(
                    "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'ops_d_totals'")));
            db.execute("UPDATE ops_d_src SET v = v + 1 WHERE id = 1");
            Eventually.await("a refresh by a worker", () -> db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                    + " WHERE initiated_by = 'SCHEDULER' AND action <> 'NO_DATA'") >= 1);

            List<Map<String, Object>> workers = db.queryList("SELECT * FROM pgtrickle.worker_pool_status()");
            assertFalse(workers.isEmpty(), "the worker that refreshed is listed");
            for (Map<String, Object> worker : workers) {
                assertEquals(DaemonTest.FAST.maxWorkers(), ((Number) worker.get("pool_size")).intValue(), worker::toString);
                assertTrue(List.of("idle", "refreshing").contains(worker.get("state")), worker::toString);
                assertNotNull(worker.get("pid"));
            }
            List<Map<String, Object>> jobs = db.queryList("SELECT * FROM pgtrickle.parallel_job_status(600)");
            assertTrue(jobs.stream().anyMatch(j -> "public.ops_d_totals".equals(j.get("stream_table"))
                    && "SCHEDULER".equals(j.get("initiated_by")) && "COMPLETED".equals(j.get("status"))), jobs::toString);
            SQLException badSeconds = assertThrows(SQLException.class,
                    () -> db.execute("SELECT * FROM pgtrickle.parallel_job_status(0)"));
            assertEquals("22023", badSeconds.getSQLState());

            Map<String, Object> sla = db.queryList("SELECT * FROM pgtrickle.sla_summary() WHERE stream_table = 'public.ops_d_totals'").get(0);
            assertEquals("1s", sla.get("schedule"));
            assertTrue(((Number) sla.get("refreshes")).longValue() >= 1, sla::toString);
            assertNotNull(sla.get("freshness_p50"), sla::toString);
            assertNotNull(sla.get("staleness"), sla::toString);

            // Drain: the refresh running finishes, none starts, until undrain().
            assertFalse((Boolean) db.queryList("SELECT pgtrickle.is_drained() AS d").get(0).get("d"));
            db.execute("SELECT pgtrickle.drain()");
            Eventually.await("drained", () -> (Boolean) db.queryList("SELECT pgtrickle.is_drained() AS d").get(0).get("d"));
            assertTrue(daemon.daemon().problems().stream().anyMatch(p -> p.contains("no refresh starts until pgtrickle.undrain()")),
                    () -> daemon.daemon().problems().toString());
            assertEquals(1L, db.queryLong("SELECT count(*) FROM pgtrickle.health_check()"
                    + " WHERE severity = 'WARNING' AND detail LIKE 'drained since %'"));
            long before = refreshes("ops_d_totals");
            db.execute("UPDATE ops_d_src SET v = v + 1 WHERE id = 2");
            // Two more acknowledgements: the daemon went round its loop twice since the change.
            String first = acknowledged();
            Eventually.await("another pass", () -> !first.equals(acknowledged()));
            String second = acknowledged();
            Eventually.await("yet another pass", () -> !second.equals(acknowledged()));
            assertEquals(before, refreshes("ops_d_totals"), "nothing refreshed while drained");

            db.execute("SELECT pgtrickle.undrain()");
            Eventually.await("refreshed after undrain", () -> refreshes("ops_d_totals") > before);
            assertFalse((Boolean) db.queryList("SELECT pgtrickle.is_drained() AS d").get(0).get("d"));
            Eventually.await("the drain problem cleared", () -> daemon.daemon().problems().stream()
                    .noneMatch(p -> p.contains("pgtrickle.undrain()")));
            Oracle.assertStreamTableMatchesQuery(db, "ops_d_totals", "SELECT g, sum(v) AS s FROM ops_d_src GROUP BY g");
        }
    }

    @Test
    void drainingNeedsTheCatalogOwner() throws Exception {
        DifferentialRefreshTest.install(db);
        db.createRole("ops_d_stranger", "stranger-pw", "LOGIN", "NOSUPERUSER");
        try (java.sql.Connection stranger = db.connectAs("ops_d_stranger", "stranger-pw");
             java.sql.Statement statement = stranger.createStatement()) {
            SQLException denied = assertThrows(SQLException.class, () -> statement.execute("SELECT pgtrickle.drain()"));
            assertEquals("42501", denied.getSQLState());
            assertTrue(denied.getMessage().contains("needs the rights of the catalog owner"), denied::getMessage);
            SQLException notLeader = assertThrows(SQLException.class,
                    () -> statement.execute("SELECT pgtrickle._acknowledge_drain()"));
            assertEquals("42501", notLeader.getSQLState());
        }
    }
}
