package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * GROUPING SETS, ROLLUP and CUBE with GROUPING(), end to end: a NULL key next to a rolled-up
 * one (told apart by GROUPING()), groups of every set appearing and vanishing, HAVING, a ROLLUP
 * listed inside GROUPING SETS. The oracle after every refresh.
 */
@PostgresTest
class GroupingSetsTest {

    private static final String[][] QUERIES = {
            {"gs_rollup", "SELECT region, product, count(*) AS n, sum(amount) AS total, GROUPING(region, product) AS level"
                    + " FROM gs_sales GROUP BY ROLLUP(region, product)"},
            {"gs_cube", "SELECT region, product, count(*) AS n, min(amount) AS lo FROM gs_sales GROUP BY CUBE(region, product)"},
            {"gs_sets", "SELECT region, product, sum(amount) AS total FROM gs_sales"
                    + " GROUP BY GROUPING SETS ((region), (product), ()) HAVING count(*) > 1"},
            {"gs_nested", "SELECT region, product, channel, count(*) AS n, GROUPING(channel) AS by_channel FROM gs_sales"
                    + " GROUP BY GROUPING SETS (ROLLUP(region, product), (channel))"},
            {"gs_plain_key", "SELECT channel, region, count(*) AS n FROM gs_sales GROUP BY channel, ROLLUP(region)"}};

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void everyGroupingSetFollowsTheChanges(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE gs_sales (id serial PRIMARY KEY, region text, product text, channel text, amount int)");
        db.execute("INSERT INTO gs_sales (region, product, channel, amount) VALUES ('north', 'pen', 'web', 10),"
                + " ('north', 'ink', 'shop', 5), ('south', 'pen', 'web', 7), (NULL, 'pen', 'shop', 1),"
                + " ('south', NULL, NULL, 3)");
        for (String[] query : QUERIES) {
            DifferentialRefreshTest.createCompiledDifferential(db, query[0], query[1], "CONTENT");
        }
        assertEquals(3, DifferentialRefreshTest.number(db, "SELECT level FROM gs_rollup WHERE region IS NULL"
                + " AND product IS NULL AND n = 5"), "the grand total's GROUPING() has both bits set");
        String[] steps = {
                // A new region and product; a NULL region's group next to the rolled-up rows.
                "INSERT INTO gs_sales (region, product, channel, amount) VALUES ('east', 'cap', 'web', 2), (NULL, 'ink', 'web', 4)",
                // Rows move between groups of every set; amounts change.
                "UPDATE gs_sales SET region = 'north' WHERE region = 'south'; UPDATE gs_sales SET amount = amount * 2 WHERE product = 'pen'",
                // A region's last row leaves; a channel becomes NULL.
                "DELETE FROM gs_sales WHERE region = 'east'; UPDATE gs_sales SET channel = NULL WHERE channel = 'shop'",
                "DELETE FROM gs_sales WHERE region IS NULL OR product IS NULL",
                "DELETE FROM gs_sales",
                "INSERT INTO gs_sales (region, product, channel, amount) SELECT 'r' || (g % 3), 'p' || (g % 2), 'c', g"
                        + " FROM generate_series(1, 12) g"};
        DifferentialRefreshTest.applyStepsRefreshingEach(db, QUERIES, steps);
    }
}
