package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.lastRefresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshots of stream tables (docs/sql-reference.md, "Operations"): taken, listed, compared,
 * restored — the stream table then shows the snapshot's rows, suspended, until resumed, when its
 * first refresh recomputes it — and dropped.
 */
@PostgresTest
class SnapshotTest {

    private static final String TOTALS = "SELECT g, count(*) AS n, sum(v) AS s FROM snap_src GROUP BY g";

    private final TestDatabase db;

    SnapshotTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE snap_src (id int PRIMARY KEY, g int NOT NULL, v int)");
        db.execute("INSERT INTO snap_src SELECT i, i % 4, i FROM generate_series(1, 200) i");
    }

    private long differences(String table, String snapshot) throws SQLException {
        return db.queryLong("SELECT count(*) FROM ((SELECT g, n, s FROM " + table + " EXCEPT ALL SELECT * FROM " + snapshot
                + ") UNION ALL (SELECT * FROM " + snapshot + " EXCEPT ALL SELECT g, n, s FROM " + table + ")) d");
    }

    @Test
    void aSnapshotIsTakenListedRestoredAndDropped() throws SQLException {
        createCompiled(db, "snap_totals", TOTALS, "AGGREGATE");
        String automatic = db.queryString("SELECT pgtrickle.snapshot_stream_table('snap_totals')");
        assertTrue(automatic.startsWith("public.snap_totals_snapshot_"), automatic);
        assertEquals("public.snap_before", db.queryString("SELECT pgtrickle.snapshot_stream_table('snap_totals', 'snap_before')"));
        assertEquals(0L, differences("snap_totals", "snap_before"));
        assertEquals(List.of("g", "n", "s"), db.queryList("SELECT attname::text AS a FROM pg_attribute"
                + " WHERE attrelid = 'snap_before'::regclass AND attnum > 0 ORDER BY attnum").stream().map(r -> r.get("a")).toList(),
                "visible columns only");
        List<Map<String, Object>> listed = db.queryList("SELECT * FROM pgtrickle.list_snapshots('snap_totals')");
        assertEquals(2, listed.size(), listed::toString);
        assertEquals(4L, ((Number) listed.get(0).get("row_count")).longValue());
        assertTrue(listed.stream().allMatch(r -> "public.snap_totals".equals(r.get("stream_table"))), listed::toString);

        SQLException taken = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.snapshot_stream_table('snap_totals', 'snap_before')"));
        assertEquals("42P07", taken.getSQLState());
        SQLException badName = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.snapshot_stream_table('snap_totals', 'a.b.c')"));
        assertEquals("42602", badName.getSQLState());

        db.execute("UPDATE snap_src SET v = v + 100 WHERE id <= 10");
        refresh(db, "snap_totals");
        assertTrue(differences("snap_totals", "snap_before") > 0);

        db.execute("SELECT pgtrickle.restore_from_snapshot('snap_totals', 'snap_before')");
        assertEquals(0L, differences("snap_totals", "snap_before"), "the snapshot's rows are back");
        Map<String, Object> status = db.queryList("SELECT status, last_error FROM pgtrickle.pgt_status()"
                + " WHERE name = 'public.snap_totals'").get(0);
        assertEquals("SUSPENDED", status.get("status"));
        assertTrue(((String) status.get("last_error")).startsWith("restored from snapshot public.snap_before"), status::toString);

        db.execute("SELECT pgtrickle.alter_stream_table('snap_totals', status => 'ACTIVE')");
        refresh(db, "snap_totals");
        assertEquals("FULL", lastRefresh(db, "snap_totals").get("action"), "recomputed: the buffers lack what happened since");
        assertCorrect(db, "snap_totals", TOTALS);
        db.execute("UPDATE snap_src SET v = v - 1 WHERE id = 3");
        refresh(db, "snap_totals");
        assertEquals("DIFFERENTIAL", lastRefresh(db, "snap_totals").get("action"));
        assertCorrect(db, "snap_totals", TOTALS);

        db.execute("SELECT pgtrickle.drop_snapshot('snap_before')");
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'snap_before'"));
        assertEquals(1L, db.queryLong("SELECT count(*) FROM pgtrickle.list_snapshots('snap_totals')"));
        SQLException unknown = assertThrows(SQLException.class, () -> db.execute("SELECT pgtrickle.drop_snapshot('snap_before')"));
        assertEquals("42P01", unknown.getSQLState());
    }

    @Test
    void aSnapshotOfAnotherTableOrShapeIsNotRestored() throws SQLException {
        createCompiled(db, "snap_a", "SELECT id, v FROM snap_src WHERE v < 50", "KEYED");
        createCompiled(db, "snap_b", "SELECT id, v FROM snap_src WHERE v > 150", "KEYED");
        db.execute("SELECT pgtrickle.snapshot_stream_table('snap_a', 'snap_of_a')");
        SQLException other = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.restore_from_snapshot('snap_b', 'snap_of_a')"));
        assertEquals("55000", other.getSQLState());
        assertTrue(other.getMessage().contains("was taken of another stream table"), other::getMessage);

        db.execute("SELECT pgtrickle.alter_stream_table('snap_a', query => 'SELECT id, v, g FROM snap_src WHERE v < 50')");
        SQLException shape = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.restore_from_snapshot('snap_a', 'snap_of_a')"));
        assertEquals("42804", shape.getSQLState());
        assertEquals("ACTIVE", db.queryString("SELECT status FROM pgtrickle.pgt_status() WHERE name = 'public.snap_a'"),
                "nothing changed");
        db.execute("SELECT pgtrickle.drop_stream_table('snap_a')");
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_snapshots s JOIN pg_class c"
                + " ON c.oid = s.snapshot_relid WHERE c.relname = 'snap_of_a'"), "forgotten with its stream table");
        assertEquals(1L, db.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'snap_of_a'"), "the archive stays");
    }
}
