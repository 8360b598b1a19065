package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The daemon vacuums a change buffer once the rows its refreshes consumed and deleted fill it
 * (docs/architecture.md, "Vacuuming the change buffers"), instead of leaving every read of the
 * buffer to scan them until autovacuum comes by.
 */
@PostgresTest
class BufferVacuumTest {

    private final TestDatabase db;

    BufferVacuumTest(TestDatabase db) {
        this.db = db;
    }

    private Map<String, Object> bloat() throws SQLException {
        return db.queryList("SELECT severity, detail FROM pgtrickle.health_check() WHERE check_name = 'change_buffer_bloat'").get(0);
    }

    @Test
    void theDaemonVacuumsABufferFilledWithConsumedRows() throws Exception {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE bv_src (id int PRIMARY KEY, v int)");
        db.execute("SELECT pgtrickle.create_stream_table('bv_st', $$SELECT v % 10 AS k, count(*) AS n FROM bv_src GROUP BY 1$$,"
                + " schedule => '1s')");
        String buffer = "pgtrickle_changes.changes_" + db.queryString("SELECT 'bv_src'::regclass::oid");
        // Only the daemon's vacuum counts here.
        db.execute("ALTER TABLE " + buffer + " SET (autovacuum_enabled = false)");
        // Deleted rows enough for health_check to warn (inserted and deleted unseen by any refresh).
        db.execute("BEGIN; INSERT INTO " + buffer + " (__pgt_seq, __pgt_action) SELECT 0, 'I' FROM generate_series(1, 100000);"
                + " DELETE FROM " + buffer + "; COMMIT");
        Eventually.await("health_check to warn", () -> "WARNING".equals(bloat().get("severity")));
        Map<String, Object> warning = bloat();
        assertTrue(((String) warning.get("detail")).contains("deleted rows not vacuumed yet"), warning::toString);
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            Eventually.await("compiled", () -> "COMPILED".equals(db.queryString(
                    "SELECT compile_status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'bv_st'")));
            db.execute("INSERT INTO bv_src SELECT g, g FROM generate_series(1, 6000) g");
            db.execute("UPDATE bv_src SET v = v + 1 WHERE id <= 3000");
            Eventually.await("the consumed rows vacuumed away",
                    () -> db.queryLong("SELECT pg_stat_get_vacuum_count('" + buffer + "'::regclass)") >= 1);
            Eventually.await("refreshed", () -> db.queryLong("SELECT count(*) FROM " + buffer) == 0);
            assertTrue(daemon.registry().find("pgtrickle.cdc.buffer.vacuums").timer().count() >= 1, "vacuum metric");
            assertEquals(0.0, daemon.registry().find("pgtrickle.cdc.buffer.vacuum.failures").counters().stream()
                    .mapToDouble(c -> c.count()).sum());
            assertTrue(daemon.daemon().problems().isEmpty(), () -> daemon.daemon().problems().toString());
            Eventually.await("health_check to be content", () -> "OK".equals(bloat().get("severity")));
        }
        Oracle.assertStreamTableMatchesQuery(db, "bv_st", "SELECT v % 10 AS k, count(*) AS n FROM bv_src GROUP BY 1");
    }
}
