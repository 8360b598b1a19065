package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiledDifferential;
import static dev.pgtrickle.it.DifferentialRefreshTest.createStreamTable;
import static dev.pgtrickle.it.DifferentialRefreshTest.lastRefresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refreshEachDifferentially;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ORDER BY … LIMIT at the top of a defining query, end to end: changes behind the boundary
 * leave the stored rows alone, changes at or before it recompute them, a deleted top row pulls
 * the next one in; over rows, over groups (the reference documentation's top customers), with
 * OFFSET and WITH TIES. The oracle after every refresh.
 */
@PostgresTest
class TopKTest {

    private static final String LEADERS = "SELECT id, score, name FROM tk_players ORDER BY score DESC, id LIMIT 3";
    private static final String TOP_CUSTOMERS = "SELECT customer_id, sum(amount) AS total, count(*) AS orders"
            + " FROM tk_orders GROUP BY customer_id ORDER BY total DESC, customer_id LIMIT 2";
    private static final String PAGE_TWO = "SELECT id, score FROM tk_players ORDER BY score, id OFFSET 2 LIMIT 2";
    private static final String TIED = "SELECT name, score FROM tk_players ORDER BY score DESC FETCH FIRST 2 ROWS WITH TIES";

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void theFirstRowsFollowTheirSources(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE tk_players (id int PRIMARY KEY, score int, name text)");
        db.execute("INSERT INTO tk_players SELECT i, i * 10, 'p' || i FROM generate_series(1, 10) i");
        createCompiledDifferential(db, "tk_leaders", LEADERS, "TOP_K");
        createCompiledDifferential(db, "tk_page", PAGE_TWO, "TOP_K");
        createCompiledDifferential(db, "tk_tied", TIED, "TOP_K");

        // Behind the boundary (score 80): nothing to do.
        db.execute("UPDATE tk_players SET score = 75 WHERE id = 4");
        refreshAll(db);
        Map<String, Object> quiet = lastRefresh(db, "tk_leaders");
        assertEquals(0L, ((Number) quiet.get("rows_inserted")).longValue() + ((Number) quiet.get("rows_deleted")).longValue());

        // Changes within the first rows that leave enough of them: taken from the stored rows and
        // the changes (a top score moves, a row comes in ahead and leaves again).
        db.execute("UPDATE tk_players SET score = 95 WHERE id = 9");
        db.execute("INSERT INTO tk_players VALUES (13, 200, 'new')");
        refreshAll(db);
        assertEquals(List.of(13, 10, 9), ids(db));
        db.execute("DELETE FROM tk_players WHERE id = 13");
        db.execute("INSERT INTO tk_players VALUES (14, 96, 'next')");
        refreshAll(db);
        assertEquals(List.of(10, 14, 9), ids(db));
        db.execute("DELETE FROM tk_players WHERE id = 14");
        refreshAll(db);

        // A top row leaves: the next one comes in.
        db.execute("DELETE FROM tk_players WHERE id = 10");
        refreshAll(db);
        assertEquals(List.of(9, 8, 4), ids(db));
        // A row climbs in, ties at the boundary, NULL scores sort first descending.
        db.execute("UPDATE tk_players SET score = 1000 WHERE id = 2");
        db.execute("INSERT INTO tk_players VALUES (11, 90, 'tie'), (12, NULL, 'none')");
        refreshAll(db);
        assertEquals(List.of(12, 2, 9), ids(db));
        db.execute("DELETE FROM tk_players WHERE id IN (12, 2)");
        db.execute("UPDATE tk_players SET score = 5 WHERE id = 1");
        refreshAll(db);
        db.execute("DELETE FROM tk_players WHERE id > 3");
        refreshAll(db);
        db.execute("INSERT INTO tk_players SELECT i, i, 'q' || i FROM generate_series(20, 24) i");
        refreshAll(db);
    }

    @Test
    void topGroups(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE tk_orders (id int PRIMARY KEY, customer_id int, amount numeric(10,2))");
        db.execute("INSERT INTO tk_orders SELECT i, i % 7, (i % 13) * 3.5 FROM generate_series(1, 200) i");
        createCompiledDifferential(db, "tk_customers", TOP_CUSTOMERS, "TOP_K");
        db.execute("INSERT INTO tk_orders VALUES (1001, 3, 0.01)"); // customer 3 is not among the first
        refreshEachDifferentially(db, "tk_customers", TOP_CUSTOMERS);
        db.execute("INSERT INTO tk_orders VALUES (1002, 3, 500)");
        refreshEachDifferentially(db, "tk_customers", TOP_CUSTOMERS);
        db.execute("DELETE FROM tk_orders WHERE customer_id = 3");
        refreshEachDifferentially(db, "tk_customers", TOP_CUSTOMERS);
        db.execute("UPDATE tk_orders SET customer_id = 6 WHERE customer_id = 5");
        refreshEachDifferentially(db, "tk_customers", TOP_CUSTOMERS);
    }

    @Test
    void whatATopKCannotBeIsRefusedWithItsReason(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE tk_r (id int PRIMARY KEY, v int)");
        assertRefused(db, "tk_no_order", "SELECT id FROM tk_r LIMIT 3", "LIMIT or OFFSET without ORDER BY");
        assertRefused(db, "tk_hidden_key", "SELECT id FROM tk_r ORDER BY v LIMIT 3",
                "may only order by columns of its SELECT list");
        assertRefused(db, "tk_nested", "SELECT s.id FROM (SELECT id FROM tk_r ORDER BY id LIMIT 3) s",
                "TopK (ORDER BY ... LIMIT) is not supported yet");
    }

    private static void assertRefused(TestDatabase db, String name, String query, String reason) throws SQLException {
        createStreamTable(db, name, query);
        CompileResult result = compile(db, name);
        assertEquals(CompileResult.Outcome.UNSUPPORTED, result.outcome(), result::describe);
        assertTrue(result.detail().contains(reason), result.detail());
    }

    private static void refreshAll(TestDatabase db) throws SQLException {
        refreshEachDifferentially(db, "tk_leaders", LEADERS, "tk_page", PAGE_TWO, "tk_tied", TIED);
    }

    private static List<Integer> ids(TestDatabase db) throws SQLException {
        return DifferentialRefreshTest.rows(db, "SELECT id FROM tk_leaders ORDER BY score DESC NULLS FIRST, id")
                .stream().map(r -> ((Number) r.get("id")).intValue()).toList();
    }
}
