package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A join's delta term reads the other input, where it is one indexed table, per changed row while
 * the changes are few for the table's size and as a whole otherwise; the refresh decides from the
 * number of changes and the table's statistics (see docs/architecture.md, "Join deltas through
 * indexes"). Both forms give the same rows: the oracle after changes of either size.
 */
@PostgresTest
class JoinProbeOrReadTest {

    private static final String ROWS = "SELECT b.id, b.v, s.name FROM jp_big b JOIN jp_small s ON s.k = b.k";
    private static final String GROUPS = "SELECT s.name, count(b.id) AS n, sum(b.v) AS total"
            + " FROM jp_small s LEFT JOIN jp_big b ON b.k = s.k GROUP BY s.name";

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void manyChangesReadTheSmallTableWholeAndFewProbeIt(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE jp_small (k int PRIMARY KEY, name text)");
        db.execute("CREATE TABLE jp_big (id int PRIMARY KEY, k int, v int)");
        db.execute("CREATE INDEX jp_big_k ON jp_big (k)");
        db.execute("INSERT INTO jp_small SELECT i, 'name ' || (i % 7) FROM generate_series(1, 50) i");
        db.execute("INSERT INTO jp_big SELECT i, i % 60, i FROM generate_series(1, 2000) i");
        db.execute("ANALYZE jp_small; ANALYZE jp_big");
        DifferentialRefreshTest.createCompiled(db, "jp_rows", ROWS, "CONTENT");
        DifferentialRefreshTest.createCompiled(db, "jp_groups", GROUPS, "AGGREGATE");
        String plan = db.queryString("SELECT plan ->> 'refresh' FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'jp_rows'");
        long small = db.queryLong("SELECT 'jp_small'::regclass::oid::bigint");
        assertTrue(plan.contains("FROM pg_catalog.pg_class AS c WHERE c.oid = " + small + "), true)"),
                "the refresh weighs the changes against jp_small's size: " + plan);

        // ~700 change rows of jp_big against 50 rows of jp_small: jp_small is read whole.
        db.execute("INSERT INTO jp_big SELECT i, i % 60, -i FROM generate_series(2001, 2200) i");
        db.execute("UPDATE jp_big SET k = (k + 7) % 60, v = v + 1 WHERE id % 9 = 0");
        db.execute("DELETE FROM jp_big WHERE id % 13 = 0");
        refreshBoth(db);

        // One change: probed.
        db.execute("UPDATE jp_big SET k = 3 WHERE id = 5");
        refreshBoth(db);

        // Changes of jp_small probe jp_big through its index; keys appear and vanish.
        db.execute("UPDATE jp_small SET name = 'renamed' WHERE k = 3");
        db.execute("DELETE FROM jp_small WHERE k = 4");
        db.execute("INSERT INTO jp_small VALUES (55, 'new')");
        refreshBoth(db);

        // Both sides at once, many rows.
        db.execute("UPDATE jp_big SET k = k + 1 WHERE id % 4 = 0");
        db.execute("UPDATE jp_small SET k = k + 100 WHERE k % 10 = 0");
        refreshBoth(db);
    }

    private static void refreshBoth(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.refreshDifferentially(db, "jp_rows", ROWS);
        DifferentialRefreshTest.refreshDifferentially(db, "jp_groups", GROUPS);
    }
}
