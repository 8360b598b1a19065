package dev.pgtrickle.it;


import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * UNION, INTERSECT and EXCEPT with and without ALL, end to end: NULLs (equal in a set
 * operation), duplicates, numerics equal but spelled apart, nesting under a grouping and beside
 * UNION ALL. The oracle after every refresh.
 */
@PostgresTest
class SetOperationsTest {

    private static final String[][] QUERIES = {
            {"so_union", "SELECT k, n FROM so_a UNION SELECT k, n FROM so_b"},
            {"so_intersect", "SELECT k FROM so_a INTERSECT SELECT k FROM so_b"},
            {"so_intersect_all", "SELECT k FROM so_a INTERSECT ALL SELECT k FROM so_b"},
            {"so_except", "SELECT k, n FROM so_a EXCEPT SELECT k, n FROM so_b"},
            {"so_except_all", "SELECT k FROM so_a EXCEPT ALL SELECT k FROM so_b"},
            {"so_grouped", "SELECT k, count(*) AS c FROM (SELECT k FROM so_a UNION SELECT k FROM so_b) u GROUP BY k",
                    "AGGREGATE"},
            {"so_mixed", "SELECT k FROM so_a WHERE n > 1 UNION ALL (SELECT k FROM so_b EXCEPT SELECT k FROM so_a)"}};

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
    }

    @Test
    void setOperationsFollowBothSides(TestDatabase db) throws SQLException {
        db.execute("CREATE TABLE so_a (id serial PRIMARY KEY, k int, n numeric)");
        db.execute("CREATE TABLE so_b (id serial PRIMARY KEY, k bigint, n numeric)");
        db.execute("INSERT INTO so_a (k, n) VALUES (1, 1.0), (1, 1.0), (2, 2), (NULL, NULL), (3, 3.5), (3, 3.5), (3, 3.5)");
        db.execute("INSERT INTO so_b (k, n) VALUES (1, 1.00), (3, 3.5), (NULL, NULL), (4, 4)");
        for (String[] query : QUERIES) {
            DifferentialRefreshTest.createCompiledDifferential(db, query[0], query[1], query.length > 2 ? query[2] : "CONTENT");
        }
        String[] steps = {
                // A copy leaves one side; a value appears on the other side spelled otherwise.
                "DELETE FROM so_a WHERE id = 1; INSERT INTO so_b (k, n) VALUES (2, 2.000)",
                // NULLs leave and come back, the last copy of a value goes.
                "DELETE FROM so_b WHERE k IS NULL; DELETE FROM so_a WHERE k = 1",
                "INSERT INTO so_b (k, n) VALUES (NULL, NULL), (3, 3.50), (3, 3.5); UPDATE so_a SET k = 4 WHERE k = 2",
                "UPDATE so_b SET n = n + 1 WHERE k = 3; DELETE FROM so_a WHERE k IS NULL",
                "DELETE FROM so_a; INSERT INTO so_a (k, n) SELECT g % 3, g FROM generate_series(1, 9) g",
                "DELETE FROM so_b"};
        DifferentialRefreshTest.applyStepsRefreshingEach(db, QUERIES, steps);
    }
}
