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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code diamond_consistency => 'atomic'} (docs/sql-reference.md, create_stream_table): the two
 * sides of a diamond and the stream table that joins them are refreshed by the daemon in one
 * transaction, so the join never combines one side's newer state with the other's older one —
 * checked against an invariant that holds only for consistent sides, while a writer keeps adding
 * rows.
 */
@PostgresTest
class DiamondConsistencyTest {

    /** Every source row has v = 1, so per group the sum equals the count when both sides agree. */
    private static final String JOINED = "SELECT s.g, s.total, c.n FROM dc_sums s JOIN dc_counts c ON c.g = s.g";

    private final TestDatabase db;

    DiamondConsistencyTest(TestDatabase db) {
        this.db = db;
    }

    @Test
    void theSidesOfAnAtomicDiamondAreRefreshedTogether() throws Exception {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE dc_src (id bigserial PRIMARY KEY, g int NOT NULL, v int NOT NULL DEFAULT 1)");
        db.execute("INSERT INTO dc_src (g) SELECT i % 3 FROM generate_series(1, 30) i");
        db.execute("SELECT pgtrickle.create_stream_table('dc_sums', 'SELECT g, sum(v) AS total FROM dc_src GROUP BY g')");
        db.execute("SELECT pgtrickle.create_stream_table('dc_counts', 'SELECT g, count(*) AS n FROM dc_src GROUP BY g')");
        db.execute("SELECT pgtrickle.create_stream_table('dc_joined', $$" + JOINED + "$$, schedule => '1s',"
                + " diamond_consistency => 'atomic')");
        assertEquals("atomic", db.queryString("SELECT diamond_consistency FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_name = 'dc_joined'"));
        assertTrue(db.queryString("SELECT pgtrickle.export_definition('dc_joined')")
                .contains("diamond_consistency => 'atomic'"));

        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Exception> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                while (writing.get()) {
                    s.execute("INSERT INTO dc_src (g) SELECT (random() * 2)::int FROM generate_series(1, 5)");
                }
            } catch (SQLException e) {
                writerFailure.set(e);
            }
        }, "dc-writer");
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            writer.start();
            Eventually.await("the three compiled", () -> db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                    + " WHERE compile_status = 'COMPILED' AND pgt_name LIKE 'dc\\_%'") == 3);
            long before = schedulerRefreshes("dc_joined");
            for (int observed = 0; observed < 5; observed++) {
                long seen = schedulerRefreshes("dc_joined");
                Eventually.await("another refresh of dc_joined", () -> schedulerRefreshes("dc_joined") > seen);
                assertEquals(0L, db.queryLong("SELECT count(*) FROM dc_joined WHERE total <> n"),
                        "a group whose sum and count disagree: the sides were refreshed from different moments");
            }
            assertTrue(schedulerRefreshes("dc_joined") >= before + 5);
            // Refreshed in one transaction: the latest refreshes of the three share theirs.
            Map<String, Object> xids = db.queryList("SELECT count(DISTINCT h.xid) AS transactions FROM pgtrickle.pgt_stream_tables st"
                    + " CROSS JOIN LATERAL (SELECT xid FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = st.pgt_id"
                    + " AND h.initiated_by = 'SCHEDULER' ORDER BY refresh_id DESC LIMIT 1) h"
                    + " WHERE st.pgt_name LIKE 'dc\\_%'").get(0);
            writing.set(false);
            writer.join();
            assertEquals(null, writerFailure.get());
            Eventually.await("caught up", () -> db.queryLong("SELECT count(*) FROM ((SELECT g, total, n FROM dc_joined EXCEPT ALL "
                    + JOINED + ") UNION ALL (" + JOINED + " EXCEPT ALL SELECT g, total, n FROM dc_joined)) d") == 0);
            assertEquals(1L, ((Number) xids.get("transactions")).longValue(),
                    "the sides and the join were refreshed in one transaction: " + xids);
        } finally {
            writing.set(false);
            writer.join();
        }

        SQLException invalid = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.alter_stream_table('dc_joined', diamond_consistency => 'sometimes')"));
        assertEquals("22023", invalid.getSQLState());
        assertTrue(invalid.getMessage().contains("use 'none' or 'atomic'"), invalid::getMessage);
        db.execute("SELECT pgtrickle.alter_stream_table('dc_joined', diamond_consistency => 'NONE')");
        assertEquals("none", db.queryString("SELECT diamond_consistency FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_name = 'dc_joined'"));
        CliRun.against(db, "alter", "dc_joined", "--diamond-consistency", "atomic").expectExit(0);
        assertEquals("atomic", db.queryString("SELECT diamond_consistency FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_name = 'dc_joined'"));
        CliRun bad = CliRun.against(db, "create", "dc_cli", "SELECT g FROM dc_src", "--diamond-consistency", "maybe")
                .expectExit(1);
        CliRun.assertContains(bad.err(), "invalid diamond_consistency \"maybe\": use 'none' or 'atomic'");
        SQLException invalidCreate = assertThrows(SQLException.class, () -> db.execute(
                "SELECT pgtrickle.create_stream_table('dc_bad', 'SELECT g FROM dc_src', diamond_consistency => 'x')"));
        assertEquals("22023", invalidCreate.getSQLState());
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'dc_bad'"), "nothing created");
    }

    private long schedulerRefreshes(String name) throws SQLException {
        return db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE initiated_by = 'SCHEDULER'"
                + " AND pgt_id = (SELECT pgt_id FROM pgtrickle._find_stream_table('" + name + "'))");
    }
}
