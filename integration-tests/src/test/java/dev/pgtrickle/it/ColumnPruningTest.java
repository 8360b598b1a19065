package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A refresh reads only the columns its query uses (see docs/architecture.md, "Column pruning"):
 * updates of the other columns leave the stream table as it was, and changes of a read column's
 * text (a numeric's display scale) still reach it.
 */
@PostgresTest
class ColumnPruningTest {

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void updatesOfUnreadColumnsCancelAndChangesOfTextAreKept(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE pr_src (id int PRIMARY KEY, g text, n numeric, note text, blob jsonb)");
        db.execute("INSERT INTO pr_src SELECT i, 'g' || (i % 3), i * 1.5, 'note ' || i, '{\"a\": 1}'"
                + " FROM generate_series(1, 30) i");
        String rows = "SELECT id, n FROM pr_src WHERE g <> 'g0'";
        String groups = "SELECT g, sum(n) AS total, count(*) AS c FROM pr_src GROUP BY g";
        DifferentialRefreshTest.createCompiled(db, "pr_rows", rows, "CONTENT");
        DifferentialRefreshTest.createCompiled(db, "pr_groups", groups, "AGGREGATE");
        String plan = db.queryString("SELECT plan ->> 'refresh' FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'pr_rows'");
        assertFalse(plan.contains("\"note\"") || plan.contains("\"blob\""), "unread columns are not read: " + plan);

        // Unread columns only, a no-op update, and a numerically equal value with another display scale.
        db.execute("UPDATE pr_src SET note = note || '!', blob = '{\"b\": 2}' WHERE id % 2 = 0");
        db.execute("UPDATE pr_src SET g = g WHERE id % 5 = 0");
        db.execute("UPDATE pr_src SET n = 3.00 WHERE id = 2");
        DifferentialRefreshTest.refreshEachDifferentially(db, "pr_rows", rows, "pr_groups", groups);
        assertEquals("3.00", db.queryString("SELECT n::text FROM pr_rows WHERE id = 2"));
        assertEquals(db.queryString("SELECT sum(n)::text FROM pr_src WHERE g = 'g2'"),
                db.queryString("SELECT total::text FROM pr_groups WHERE g = 'g2'"));

        // Keyless duplicates: one copy's unread column changes, another copy is deleted.
        db.execute("CREATE TABLE pr_dup (v int, note text)");
        db.execute("INSERT INTO pr_dup VALUES (1, 'a'), (1, 'a'), (1, 'a'), (2, 'b')");
        String dups = "SELECT v FROM pr_dup";
        DifferentialRefreshTest.createCompiled(db, "pr_dups", dups, "CONTENT");
        db.execute("UPDATE pr_dup SET note = 'z' WHERE ctid = (SELECT min(ctid) FROM pr_dup WHERE v = 1)");
        db.execute("DELETE FROM pr_dup WHERE ctid = (SELECT max(ctid) FROM pr_dup WHERE v = 1)");
        DifferentialRefreshTest.refreshDifferentially(db, "pr_dups", dups);
        assertEquals(2, db.queryLong("SELECT count(*) FROM pr_dups WHERE v = 1"));
    }
}
