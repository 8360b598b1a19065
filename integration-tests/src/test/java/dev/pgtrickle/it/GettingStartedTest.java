package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The getting-started flow users know from the reference documentation, kept fresh by the daemon
 * alone: departments and employees, three chained stream tables with the only explicit schedule
 * on the last, and changes that cascade through all three without a single manual refresh.
 * The first stage is the guide's WITH RECURSIVE query, as written there.
 */
@PostgresTest
class GettingStartedTest {

    private static final String TREE = RecursiveQueriesTest.TREE;
    private static final String STATS = """
            SELECT t.id AS department_id, t.name AS department_name, t.path AS full_path, t.depth,
                   COUNT(e.id) AS headcount,
                   COALESCE(SUM(e.salary), 0) AS total_salary,
                   COALESCE(AVG(e.salary), 0) AS avg_salary
            FROM department_tree t
            LEFT JOIN employees e ON e.department_id = t.id
            GROUP BY t.id, t.name, t.path, t.depth""";
    private static final String REPORT = """
            SELECT split_part(full_path, ' > ', 2) AS division,
                   SUM(headcount) AS total_headcount,
                   SUM(total_salary) AS total_payroll
            FROM department_stats
            WHERE depth >= 1
            GROUP BY 1""";

    private final TestDatabase db;

    GettingStartedTest(TestDatabase db) {
        this.db = db;
    }

    @Test
    void changesCascadeThroughThreeLayersWithoutManualRefreshes() throws Exception {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        db.execute("""
                CREATE TABLE departments (id SERIAL PRIMARY KEY, name TEXT NOT NULL,
                                          parent_id INT REFERENCES departments(id));
                CREATE TABLE employees (id SERIAL PRIMARY KEY, name TEXT NOT NULL,
                                        department_id INT NOT NULL REFERENCES departments(id),
                                        salary NUMERIC(10,2) NOT NULL);
                INSERT INTO departments (id, name, parent_id) VALUES (1, 'Company', NULL);
                INSERT INTO departments (id, name, parent_id) VALUES
                    (2, 'Engineering', 1), (3, 'Sales', 1), (4, 'Operations', 1);
                INSERT INTO departments (id, name, parent_id) VALUES
                    (5, 'Backend', 2), (6, 'Frontend', 2), (7, 'Platform', 2);
                INSERT INTO employees (name, department_id, salary) VALUES
                    ('Alice', 5, 120000), ('Bob', 5, 115000), ('Charlie', 6, 110000), ('Diana', 7, 130000),
                    ('Eve', 3, 95000), ('Frank', 3, 90000), ('Grace', 4, 100000);
                """);
        db.execute("SELECT pgtrickle.create_stream_table(name => 'department_tree', query => $q$" + TREE
                + "$q$, schedule => 'calculated')");
        db.execute("SELECT pgtrickle.create_stream_table(name => 'department_stats', query => $q$" + STATS
                + "$q$, schedule => 'calculated')");
        db.execute("SELECT pgtrickle.create_stream_table(name => 'department_report', query => $q$" + REPORT
                + "$q$, schedule => '1s')");
        assertReport(Map.of("Engineering", "4 475000.00", "Operations", "1 100000.00", "Sales", "2 185000.00"));

        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            db.execute("INSERT INTO employees (name, department_id, salary) VALUES ('Heidi', 6, 105000)");
            awaitReport(Map.of("Engineering", "5 580000.00", "Operations", "1 100000.00", "Sales", "2 185000.00"));

            db.execute("UPDATE departments SET name = 'R&D' WHERE id = 2");
            awaitReport(Map.of("R&D", "5 580000.00", "Operations", "1 100000.00", "Sales", "2 185000.00"));
            assertEquals("Company > R&D > Backend", db.queryString(
                    "SELECT full_path FROM department_stats WHERE department_id = 5"));

            db.execute("DELETE FROM employees WHERE name = 'Eve'");
            awaitReport(Map.of("R&D", "5 580000.00", "Operations", "1 100000.00", "Sales", "1 90000.00"));

            db.execute("UPDATE departments SET parent_id = 3 WHERE id = 7"); // Platform moves to Sales
            awaitReport(Map.of("R&D", "4 450000.00", "Operations", "1 100000.00", "Sales", "2 220000.00"));
            assertEquals("Company > Sales > Platform", db.queryString(
                    "SELECT full_path FROM department_stats WHERE department_id = 7"));

            // The guide switches department_stats to IMMEDIATE and back, as it writes it: in
            // between, a write to employees shows in it at once, and a refresh of department_tree
            // (by the daemon) maintains it in the refresh's own statement.
            db.execute("SELECT pgtrickle.alter_stream_table('department_stats', refresh_mode => 'IMMEDIATE')");
            assertEquals(null, db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.department_stats'"));
            db.execute("INSERT INTO employees (name, department_id, salary) VALUES ('Ivan', 5, 100000)");
            Oracle.assertStreamTableMatchesQuery(db, "department_stats", STATS);
            awaitReport(Map.of("R&D", "5 550000.00", "Operations", "1 100000.00", "Sales", "2 220000.00"));
            db.execute("UPDATE departments SET name = 'Eng' WHERE id = 2");
            awaitReport(Map.of("Eng", "5 550000.00", "Operations", "1 100000.00", "Sales", "2 220000.00"));
            db.execute("SELECT pgtrickle.alter_stream_table('department_stats', refresh_mode => 'DIFFERENTIAL', schedule => '1m')");
            db.execute("DELETE FROM employees WHERE name = 'Ivan'");
            db.execute("SELECT pgtrickle.alter_stream_table('department_stats', schedule => 'calculated')");
            awaitReport(Map.of("Eng", "4 450000.00", "Operations", "1 100000.00", "Sales", "2 220000.00"));
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE initiated_by = 'MANUAL'"));
        // The recursive tree and the LEFT JOIN + GROUP BY of the stats are differential.
        assertEquals(3, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                + " WHERE effective_mode = 'DIFFERENTIAL' AND compile_status = 'COMPILED'"));
        Oracle.assertStreamTableMatchesQuery(db, "department_tree", TREE);
        Oracle.assertStreamTableMatchesQuery(db, "department_stats", STATS);
        Oracle.assertStreamTableMatchesQuery(db, "department_report", REPORT);
        for (String table : List.of("department_tree", "department_stats", "department_report")) {
            DifferentialRefreshTest.assertHiddenMultiplicities(db, table);
        }
    }

    private Map<String, String> report() throws SQLException {
        Map<String, String> report = new java.util.TreeMap<>();
        for (Map<String, Object> row : db.queryList(
                "SELECT division, total_headcount || ' ' || total_payroll AS figures FROM department_report")) {
            report.put((String) row.get("division"), (String) row.get("figures"));
        }
        return report;
    }

    private void assertReport(Map<String, String> expected) throws SQLException {
        assertEquals(new java.util.TreeMap<>(expected), report());
    }

    private void awaitReport(Map<String, String> expected) throws Exception {
        Eventually.await("department_report to become " + expected, () -> report().equals(new java.util.TreeMap<>(expected)));
    }
}
