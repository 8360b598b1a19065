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
    /** The same windows holding every column they read: touched partitions are rebuilt from the stored rows. */
    private static final String HELD = RANKED.replace("SELECT region, id,", "SELECT region, kind, id,");
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
        for (String[] table : new String[][] {{"w_ranked", RANKED}, {"w_held", HELD}, {"w_overall", OVERALL}}) {
            DifferentialRefreshTest.createCompiledDifferential(db, table[0], table[1], "PARTITION_RESCAN");
        }
        // Rows are updated in place: pages keep room for an update to stay on its page.
        assertEquals("{fillfactor=85}", db.queryString("SELECT reloptions::text FROM pg_class WHERE oid = 'w_held'::regclass"));
        String untouched = "SELECT string_agg(ctid::text || __pgt_row_id::text, ',' ORDER BY id) FROM w_ranked WHERE region = 'e'";
        String before = db.queryString(untouched);

        db.execute("UPDATE w_sales SET amount = amount + 100 WHERE id = 4"); // region n
        db.execute("INSERT INTO w_sales VALUES (100, 's', 'a', 25), (101, NULL, 'b', 1)");
        refreshEachDifferentially(db, "w_ranked", RANKED, "w_held", HELD, "w_overall", OVERALL);
        assertEquals(before, db.queryString(untouched), "the rows of an untouched partition stay where they are");

        db.execute("UPDATE w_sales SET region = 'e' WHERE id = 8"); // moves between partitions
        db.execute("DELETE FROM w_sales WHERE region = 's'"); // a partition vanishes
        refreshEachDifferentially(db, "w_ranked", RANKED, "w_held", HELD, "w_overall", OVERALL);
        db.execute("UPDATE w_sales SET amount = NULL WHERE id % 5 = 0");
        db.execute("INSERT INTO w_sales VALUES (200, 'w', 'a', 7)"); // a partition appears
        refreshEachDifferentially(db, "w_ranked", RANKED, "w_held", HELD, "w_overall", OVERALL);
        db.execute("UPDATE w_sales SET id = id + 1000 WHERE id % 7 = 0"); // keys change
        db.execute("UPDATE w_sales SET kind = 'c' WHERE id % 3 = 0"); // a column only some windows read
        refreshEachDifferentially(db, "w_ranked", RANKED, "w_held", HELD, "w_overall", OVERALL);
    }

    /**
     * Named windows, written out; outputs without a key of the input, so rows are identified by
     * their content within the partition and equal rows are numbered: duplicates that come, go
     * and move between partitions.
     */
    @Test
    void namedWindowsOverRowsWithoutAKey(TestDatabase db) throws SQLException {
        String named = "SELECT region, amount, rank() OVER w AS rnk, lag(amount) OVER w AS previous,"
                + " count(*) OVER (PARTITION BY region) AS n FROM w_events WINDOW w AS (PARTITION BY region ORDER BY amount)";
        db.execute("CREATE TABLE w_events (region text, amount int)");
        db.execute("INSERT INTO w_events SELECT (ARRAY['n', 's', NULL])[1 + g % 3], g % 4 FROM generate_series(1, 30) g");
        DifferentialRefreshTest.createCompiledDifferential(db, "w_named", named, "PARTITION_RESCAN");
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'w_named'"
                + " AND jsonb_array_length(plan -> 'output_key') > 0"), "no key: rows identified by content");

        db.execute("INSERT INTO w_events VALUES ('n', 1), ('n', 1), (NULL, 0)"); // more copies of stored rows
        refreshEachDifferentially(db, "w_named", named);
        db.execute("UPDATE w_events SET region = 's' WHERE region = 'n' AND amount = 2"); // copies move partitions
        db.execute("DELETE FROM w_events WHERE ctid IN (SELECT ctid FROM w_events WHERE amount = 1 LIMIT 3)");
        refreshEachDifferentially(db, "w_named", named);
        db.execute("DELETE FROM w_events WHERE region IS NULL"); // a partition vanishes
        refreshEachDifferentially(db, "w_named", named);
    }
}
