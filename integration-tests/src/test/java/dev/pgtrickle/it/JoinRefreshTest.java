package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Joins refreshed differentially where the refresh has a choice to make or a value to compute
 * (see docs/architecture.md): whether a delta term reads the other input per changed row or
 * whole, and the column FULL JOIN ... USING merges. The oracle after every refresh.
 */
@PostgresTest
class JoinRefreshTest {

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    /**
     * A delta term reads the other input, where it is one indexed table, per changed row while the
     * changes are few for the table's size and as a whole otherwise, decided from the number of
     * changes and the table's statistics ("Join deltas through indexes"). Both forms give the
     * same rows.
     */
    @Test
    void manyChangesReadTheSmallTableWholeAndFewProbeIt(TestDatabase db) throws SQLException {
        String rows = "SELECT b.id, b.v, s.name FROM jp_big b JOIN jp_small s ON s.k = b.k";
        String groups = "SELECT s.name, count(b.id) AS n, sum(b.v) AS total"
                + " FROM jp_small s LEFT JOIN jp_big b ON b.k = s.k GROUP BY s.name";
        db.execute("CREATE TABLE jp_small (k int PRIMARY KEY, name text)");
        db.execute("CREATE TABLE jp_big (id int PRIMARY KEY, k int, v int)");
        db.execute("CREATE INDEX jp_big_k ON jp_big (k)");
        db.execute("INSERT INTO jp_small SELECT i, 'name ' || (i % 7) FROM generate_series(1, 50) i");
        db.execute("INSERT INTO jp_big SELECT i, i % 60, i FROM generate_series(1, 2000) i");
        db.execute("ANALYZE jp_small; ANALYZE jp_big");
        DifferentialRefreshTest.createCompiled(db, "jp_rows", rows, "KEYED");
        DifferentialRefreshTest.createCompiled(db, "jp_groups", groups, "AGGREGATE");
        String plan = db.queryString("SELECT plan ->> 'refresh' FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'jp_rows'");
        long small = db.queryLong("SELECT 'jp_small'::regclass::oid::bigint");
        assertTrue(plan.contains("FROM pg_catalog.pg_class AS c WHERE c.oid = " + small + "), true)"),
                "the refresh weighs the changes against jp_small's size: " + plan);

        // ~700 change rows of jp_big against 50 rows of jp_small: jp_small is read whole.
        db.execute("INSERT INTO jp_big SELECT i, i % 60, -i FROM generate_series(2001, 2200) i");
        db.execute("UPDATE jp_big SET k = (k + 7) % 60, v = v + 1 WHERE id % 9 = 0");
        db.execute("DELETE FROM jp_big WHERE id % 13 = 0");
        DifferentialRefreshTest.refreshEachDifferentially(db, "jp_rows", rows, "jp_groups", groups);

        // One change: probed.
        db.execute("UPDATE jp_big SET k = 3 WHERE id = 5");
        DifferentialRefreshTest.refreshEachDifferentially(db, "jp_rows", rows, "jp_groups", groups);

        // Changes of jp_small probe jp_big through its index; keys appear and vanish.
        db.execute("UPDATE jp_small SET name = 'renamed' WHERE k = 3");
        db.execute("DELETE FROM jp_small WHERE k = 4");
        db.execute("INSERT INTO jp_small VALUES (55, 'new')");
        DifferentialRefreshTest.refreshEachDifferentially(db, "jp_rows", rows, "jp_groups", groups);

        // Both sides at once, many rows.
        db.execute("UPDATE jp_big SET k = k + 1 WHERE id % 4 = 0");
        db.execute("UPDATE jp_small SET k = k + 100 WHERE k % 10 = 0");
        DifferentialRefreshTest.refreshEachDifferentially(db, "jp_rows", rows, "jp_groups", groups);
    }

    /**
     * The column FULL JOIN ... USING merges is the value of whichever side has a row (PostgreSQL's
     * COALESCE of both), kept exact as matches come and go — including which side's spelling of
     * an equal numeric it shows.
     */
    @Test
    void theColumnAFullJoinUsingMergesFollowsTheSideThatHasARow(TestDatabase db) throws SQLException {
        String rows = "SELECT k, a.x, b.y FROM fu_a a FULL JOIN fu_b b USING (k)";
        String groups = "SELECT k, count(*) AS n, sum(b.y) AS total"
                + " FROM fu_a a FULL JOIN fu_b b USING (k) WHERE k IS DISTINCT FROM 4 GROUP BY k";
        db.execute("CREATE TABLE fu_a (k numeric, x int)");
        db.execute("CREATE TABLE fu_b (k numeric, y int)");
        db.execute("INSERT INTO fu_a VALUES (1.0, 10), (2, 20), (NULL, 30), (4, 40)");
        db.execute("INSERT INTO fu_b VALUES (1.00, 100), (3, 300), (NULL, 400), (4, 50)");
        DifferentialRefreshTest.createCompiled(db, "fu_rows", rows, "CONTENT");
        DifferentialRefreshTest.createCompiled(db, "fu_groups", groups, "AGGREGATE");
        assertEquals("1.0", db.queryString("SELECT k::text FROM fu_rows WHERE x = 10"), "a's spelling while a has the row");

        // a's row of key 1 goes: b's row is unmatched now, and shows b's spelling.
        db.execute("DELETE FROM fu_a WHERE k = 1");
        DifferentialRefreshTest.refreshEachDifferentially(db, "fu_rows", rows, "fu_groups", groups);
        assertEquals("1.00", db.queryString("SELECT k::text FROM fu_rows WHERE y = 100"));

        // Keys change on both sides; a match appears, another disappears; NULL keys never match.
        db.execute("UPDATE fu_a SET k = 3 WHERE k = 2");
        db.execute("UPDATE fu_b SET k = NULL WHERE k = 4");
        db.execute("INSERT INTO fu_a VALUES (NULL, 31), (1.000, 11)");
        DifferentialRefreshTest.refreshEachDifferentially(db, "fu_rows", rows, "fu_groups", groups);

        db.execute("DELETE FROM fu_b WHERE k IS NULL");
        db.execute("UPDATE fu_a SET x = x + 1");
        DifferentialRefreshTest.refreshEachDifferentially(db, "fu_rows", rows, "fu_groups", groups);
    }
}
