package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.refreshEachDifferentially;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LATERAL subqueries, end to end: the top rows per customer (ORDER BY … LIMIT, with OFFSET, under
 * a LEFT JOIN), an aggregate per customer, a join correlated on two columns, and a grouping over
 * a top-N. Customers and orders come and go, orders move between customers and change their
 * amounts (ties, NULL customers); the oracle after every refresh.
 */
@PostgresTest
class LateralSubqueriesTest {

    private static final String TOP = "SELECT c.id, c.name, t.amount, t.note FROM lat_cust c, LATERAL (SELECT o.amount,"
            + " o.note FROM lat_ord o WHERE o.cust_id = c.id ORDER BY o.amount DESC, o.id LIMIT 3) t";
    private static final String LEFT_TOP = "SELECT c.id, t.amount FROM lat_cust c LEFT JOIN LATERAL (SELECT o.amount"
            + " FROM lat_ord o WHERE o.cust_id = c.id AND o.amount > 20 ORDER BY o.amount LIMIT 2 OFFSET 1) t ON true";
    private static final String TOTALS = "SELECT c.id, t.n, t.s FROM lat_cust c LEFT JOIN LATERAL (SELECT count(*) AS n,"
            + " sum(o.amount) AS s, max(o.note) AS last_note FROM lat_ord o WHERE o.cust_id = c.id AND o.amount > 10) t ON true";
    private static final String JOINED = "SELECT c.id, t.region, t.amount FROM lat_cust c, LATERAL (SELECT r.name AS region,"
            + " o.amount FROM lat_ord o JOIN lat_region r ON r.id = o.region_id WHERE o.cust_id = c.id AND o.tier = c.tier) t";
    private static final String PER_TIER = "SELECT c.tier, count(*) AS n, sum(t.amount) AS amount FROM lat_cust c,"
            + " LATERAL (SELECT o.amount FROM lat_ord o WHERE o.cust_id = c.id ORDER BY o.amount, o.id LIMIT 2) t"
            + " GROUP BY c.tier";

    private static final String[] ALL = {"ls_top", TOP, "ls_left_top", LEFT_TOP, "ls_totals", TOTALS,
            "ls_joined", JOINED, "ls_per_tier", PER_TIER};

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        db.execute("""
                CREATE TABLE lat_cust (id int PRIMARY KEY, name text, tier int);
                CREATE TABLE lat_region (id int PRIMARY KEY, name text);
                CREATE TABLE lat_ord (id int PRIMARY KEY, cust_id int, region_id int, tier int, amount int, note text);
                CREATE INDEX ON lat_ord (cust_id);
                INSERT INTO lat_region VALUES (1, 'north'), (2, 'south');
                INSERT INTO lat_cust SELECT g, 'c' || g, g % 3 FROM generate_series(1, 8) g;
                INSERT INTO lat_ord SELECT g, g % 9, 1 + g % 2, g % 3, (g * 37) % 50, 'n' || g FROM generate_series(1, 60) g;
                """);
        for (int i = 0; i < ALL.length; i += 2) {
            DifferentialRefreshTest.createCompiledDifferential(db, ALL[i], ALL[i + 1],
                    ALL[i].equals("ls_per_tier") ? "AGGREGATE" : "CONTENT");
        }
    }

    @Test
    void ordersAndCustomersComeGoAndMove(TestDatabase db) throws SQLException {
        db.execute("INSERT INTO lat_ord VALUES (100, 3, 1, 0, 49, 'top'), (101, 3, 2, 0, 49, 'tie'), (102, NULL, 1, 1, 45, 'x')");
        refreshEachDifferentially(db, ALL);
        db.execute("DELETE FROM lat_ord WHERE id = 100; UPDATE lat_ord SET amount = 0 WHERE cust_id = 4");
        refreshEachDifferentially(db, ALL);
        db.execute("UPDATE lat_ord SET cust_id = 5 WHERE cust_id = 6"); // a customer's orders all move away
        db.execute("UPDATE lat_cust SET tier = 2, name = 'renamed' WHERE id = 2; DELETE FROM lat_cust WHERE id = 1;"
                + " INSERT INTO lat_cust VALUES (20, 'no orders', 1)");
        refreshEachDifferentially(db, ALL);
        db.execute("UPDATE lat_cust SET id = 21 WHERE id = 3"); // its key changes: its orders no longer belong to it
        db.execute("UPDATE lat_region SET name = 'east' WHERE id = 2");
        refreshEachDifferentially(db, ALL);
    }

    @Test
    void randomChanges(TestDatabase db) throws SQLException {
        Random random = new Random(11);
        for (int round = 0; round < 20; round++) {
            StringBuilder step = new StringBuilder();
            for (int change = 0; change < 5; change++) {
                int order = 200 + random.nextInt(30);
                int customer = random.nextInt(12);
                step.append(switch (random.nextInt(6)) {
                    case 0, 1 -> "INSERT INTO lat_ord VALUES (" + order + ", " + (random.nextInt(8) == 0 ? "NULL" : customer)
                            + ", " + (1 + random.nextInt(2)) + ", " + random.nextInt(3) + ", " + random.nextInt(6) * 10
                            + ", 'r" + random.nextInt(4) + "') ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount;";
                    case 2 -> "UPDATE lat_ord SET cust_id = " + customer + " WHERE id = " + order + ";";
                    case 3 -> "DELETE FROM lat_ord WHERE id = " + order + " OR cust_id = " + customer + " AND amount < 10;";
                    case 4 -> "INSERT INTO lat_cust VALUES (" + customer + ", 'c', " + random.nextInt(3)
                            + ") ON CONFLICT (id) DO UPDATE SET tier = EXCLUDED.tier;";
                    default -> "DELETE FROM lat_cust WHERE id = " + customer + ";";
                });
            }
            db.execute(step.toString());
            refreshEachDifferentially(db, ALL);
        }
    }
}
