package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.refreshEachDifferentially;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Window functions at the top of a defining query, end to end: ranking, offsets and running
 * sums per partition, several window specifications sharing a key, and a window without
 * PARTITION BY (one partition). Only touched partitions change; the oracle after every refresh.
 */
@PostgresTest
class WindowFunctionsTest {

    private static final String RANKED = "SELECT region, id, amount,"
            + " rank() OVER (PARTITION BY region ORDER BY amount DESC) AS rnk,"
            + " row_number() OVER (PARTITION BY region ORDER BY amount DESC, id) AS rn,"
            + " lag(amount) OVER (PARTITION BY region ORDER BY amount DESC, id) AS previous,"
            + " sum(amount) OVER (PARTITION BY region ORDER BY amount DESC, id ROWS UNBOUNDED PRECEDING) AS running,"
            + " percent_rank() OVER (PARTITION BY region, kind ORDER BY amount) AS pr"
            + " FROM w_sales";
    private static final String OVERALL = "SELECT id, amount, dense_rank() OVER (ORDER BY amount) AS dr,"
            + " cume_dist() OVER (ORDER BY amount) AS cd FROM w_sales";

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void onlyTouchedPartitionsAreComputedAgain(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE w_sales (id int PRIMARY KEY, region text, kind text, amount int)");
        db.execute("CREATE INDEX ON w_sales (region)");
        db.execute("INSERT INTO w_sales SELECT g, (ARRAY['n', 's', 'e', NULL])[1 + g % 4], (ARRAY['a', 'b'])[1 + g % 2],"
                + " (g * 37) % 50 FROM generate_series(1, 60) g");
        for (String[] table : new String[][] {{"w_ranked", RANKED}, {"w_overall", OVERALL}}) {
            DifferentialRefreshTest.createCompiledDifferential(db, table[0], table[1], "PARTITION_RESCAN");
        }
        String untouched = "SELECT string_agg(ctid::text || __pgt_row_id::text, ',' ORDER BY id) FROM w_ranked WHERE region = 'e'";
        String before = db.queryString(untouched);

        db.execute("UPDATE w_sales SET amount = amount + 100 WHERE id = 4"); // region n
        db.execute("INSERT INTO w_sales VALUES (100, 's', 'a', 25), (101, NULL, 'b', 1)");
        refreshEachDifferentially(db, "w_ranked", RANKED, "w_overall", OVERALL);
        assertEquals(before, db.queryString(untouched), "the rows of an untouched partition stay where they are");

        db.execute("UPDATE w_sales SET region = 'e' WHERE id = 8"); // moves between partitions
        db.execute("DELETE FROM w_sales WHERE region = 's'"); // a partition vanishes
        refreshEachDifferentially(db, "w_ranked", RANKED, "w_overall", OVERALL);
        db.execute("UPDATE w_sales SET amount = NULL WHERE id % 5 = 0");
        db.execute("INSERT INTO w_sales VALUES (200, 'w', 'a', 7)"); // a partition appears
        refreshEachDifferentially(db, "w_ranked", RANKED, "w_overall", OVERALL);
    }
}
