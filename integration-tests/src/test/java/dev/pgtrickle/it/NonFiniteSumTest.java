package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * NaN and the infinities in sums kept by adding and subtracting: they do not cancel
 * ({@code NaN - NaN} is NaN), so a change that brings one in makes the refresh fall back to FULL,
 * with the reason in the history; changes of other rows stay differential. Subqueries' sums
 * (a correlated scalar subquery, a grouped derived table) stay exact too. The oracle throughout.
 */
@PostgresTest
class NonFiniteSumTest {

    private static final String GROUPS = "SELECT g, sum(x) AS s, avg(x) AS a, count(*) AS n FROM nf_t GROUP BY g";
    private static final String LOOKUP = "SELECT c.id, (SELECT sum(t.x) FROM nf_t t WHERE t.g = c.g) AS s FROM nf_c c";
    private static final String DERIVED = "SELECT c.id, d.s FROM (SELECT g, sum(x) AS s FROM nf_t GROUP BY g) d"
            + " JOIN nf_c c ON c.g = d.g";

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void aChangeBringingNaNOrInfinityIntoAKeptSumRefreshesFull(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE nf_t (id int PRIMARY KEY, g text, x numeric)");
        db.execute("CREATE TABLE nf_c (id int PRIMARY KEY, g text)");
        db.execute("INSERT INTO nf_t VALUES (1, 'a', 1.5), (2, 'a', 2), (3, 'b', 3), (4, 'b', 4.25)");
        db.execute("INSERT INTO nf_c VALUES (1, 'a'), (2, 'b'), (3, 'c')");
        DifferentialRefreshTest.createCompiled(db, "nf_groups", GROUPS, "AGGREGATE");
        DifferentialRefreshTest.createCompiled(db, "nf_lookup", LOOKUP, "CONTENT");
        DifferentialRefreshTest.createCompiled(db, "nf_derived", DERIVED, "KEYED");

        db.execute("INSERT INTO nf_t VALUES (5, 'a', 'NaN')");
        refreshBoth(db, "FULL");
        assertEquals("NaN", db.queryString("SELECT s::text FROM nf_groups WHERE g = 'a'"));

        // NaN stays: other rows' changes are finite and add to it as PostgreSQL would.
        db.execute("UPDATE nf_t SET x = 7 WHERE id = 3");
        refreshBoth(db, "DIFFERENTIAL");

        db.execute("DELETE FROM nf_t WHERE id = 5");
        refreshBoth(db, "FULL");
        assertEquals("3.5", db.queryString("SELECT s::text FROM nf_groups WHERE g = 'a'"));

        db.execute("INSERT INTO nf_t VALUES (6, 'b', 'Infinity')");
        refreshBoth(db, "FULL");
        db.execute("INSERT INTO nf_t VALUES (7, 'b', '-Infinity')");
        refreshBoth(db, "FULL");
        assertEquals("NaN", db.queryString("SELECT s::text FROM nf_groups WHERE g = 'b'"));
        db.execute("DELETE FROM nf_t WHERE id IN (6, 7)");
        refreshBoth(db, "FULL");
        db.execute("UPDATE nf_t SET x = x + 1");
        refreshBoth(db, "DIFFERENTIAL");
    }

    /**
     * Refreshes the three and checks them; {@code action} is the one expected of the top-level
     * aggregate. The subqueries' sums are recomputed per touched group, so those refreshes may
     * stay differential: the oracle decides.
     */
    private static void refreshBoth(TestDatabase db, String action) throws SQLException {
        for (String[] table : new String[][] {{"nf_groups", GROUPS}, {"nf_lookup", LOOKUP}, {"nf_derived", DERIVED}}) {
            DifferentialRefreshTest.refresh(db, table[0]);
            DifferentialRefreshTest.assertCorrect(db, table[0], table[1]);
        }
        DifferentialRefreshTest.assertLastAction(db, "nf_groups", action);
        if (action.equals("FULL")) {
            String reason = db.queryString("SELECT h.reason FROM pgtrickle.pgt_refresh_history h"
                    + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id) WHERE s.pgt_name = 'nf_groups'"
                    + " ORDER BY h.refresh_id DESC LIMIT 1");
            assertTrue(reason.contains("into a sum that is kept by adding and subtracting"), reason);
        }
    }
}
