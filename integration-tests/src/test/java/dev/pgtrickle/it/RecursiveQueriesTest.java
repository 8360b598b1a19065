package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.lastRefresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refreshEachDifferentially;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WITH RECURSIVE as the whole defining query, end to end: the reference documentation's
 * department tree, hierarchies changed at random (re-parented subtrees, deleted inner nodes,
 * renames that change every path below), a DAG whose nodes are reached by several paths (equal
 * rows), a query guarded against cycles, and a change that makes a cycle. The oracle after every
 * refresh.
 */
@PostgresTest
class RecursiveQueriesTest {

    /** The reference documentation's department_tree, as written there. */
    static final String TREE = """
            WITH RECURSIVE tree AS (
                SELECT id, name, parent_id, name AS path, 0 AS depth
                FROM departments
                WHERE parent_id IS NULL
                UNION ALL
                SELECT d.id, d.name, d.parent_id,
                       tree.path || ' > ' || d.name AS path,
                       tree.depth + 1
                FROM departments d
                JOIN tree ON d.parent_id = tree.id
            )
            SELECT id, name, parent_id, path, depth FROM tree""";
    /** Guarded: a row's ancestors are carried and never visited twice, so cycles end. */
    private static final String GUARDED = """
            WITH RECURSIVE walk (id, ids, depth) AS (
                SELECT id, ARRAY[id], 0 FROM departments WHERE parent_id IS NULL OR id % 10 = 3
                UNION ALL
                SELECT d.id, w.ids || d.id, w.depth + 1
                FROM walk w JOIN departments d ON d.parent_id = w.id
                WHERE NOT d.id = ANY (w.ids)
            )
            SELECT depth, ids, id FROM walk""";
    /** Every path from the roots of a DAG: a node reached by several paths is several equal rows. */
    private static final String REACH = """
            WITH RECURSIVE reach AS (
                SELECT n.id, n.label FROM nodes n WHERE n.root
                UNION ALL
                SELECT e.child, c.label FROM edges e JOIN reach r ON e.parent = r.id JOIN nodes c ON c.id = e.child
            )
            SELECT id, label FROM reach""";

    /** The tree inside larger queries: its result is kept in a table of its own. */
    private static final String DEPTHS = "WITH RECURSIVE tree AS (SELECT id, 0 AS depth FROM departments WHERE parent_id"
            + " IS NULL UNION ALL SELECT d.id, tree.depth + 1 FROM departments d JOIN tree ON d.parent_id = tree.id)"
            + " SELECT depth, count(*) AS departments FROM tree GROUP BY depth";
    private static final String UNDER_ROOT = "WITH RECURSIVE under AS (SELECT id, id AS root FROM departments WHERE"
            + " parent_id IS NULL UNION ALL SELECT d.id, u.root FROM departments d JOIN under u ON d.parent_id = u.id)"
            + " SELECT u.id, r.name AS root_name FROM under u JOIN departments r ON r.id = u.root WHERE u.id <> u.root";
    private static final String REACHED = "WITH RECURSIVE r (id) AS (SELECT id FROM departments WHERE parent_id IS NULL"
            + " UNION SELECT d.id FROM departments d JOIN r ON d.parent_id = r.id) SELECT count(*) AS reached FROM r";

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        db.execute("""
                CREATE TABLE departments (id int PRIMARY KEY, name text NOT NULL, parent_id int);
                CREATE INDEX ON departments (parent_id);
                INSERT INTO departments VALUES (1, 'Company', NULL), (2, 'Engineering', 1), (3, 'Sales', 1),
                    (4, 'Operations', 1), (5, 'Backend', 2), (6, 'Frontend', 2), (7, 'Platform', 2);
                """);
        DifferentialRefreshTest.createCompiledDifferential(db, "department_tree", TREE, "KEYED");
        DifferentialRefreshTest.createCompiledDifferential(db, "department_walk", GUARDED, "CONTENT");
        DifferentialRefreshTest.createCompiledDifferential(db, "department_depths", DEPTHS, "AGGREGATE");
        DifferentialRefreshTest.createCompiledDifferential(db, "department_roots", UNDER_ROOT, "KEYED");
        DifferentialRefreshTest.createCompiledDifferential(db, "department_reached", REACHED, "AGGREGATE");
    }

    private static void refreshAll(TestDatabase db) throws SQLException {
        refreshEachDifferentially(db, "department_tree", TREE, "department_walk", GUARDED, "department_depths", DEPTHS,
                "department_roots", UNDER_ROOT, "department_reached", REACHED);
    }

    @Test
    void theGuidesTreeFollowsNewNodesRenamesMovesAndDeletes(TestDatabase db) throws SQLException {
        // The stored result is read by the column the step joins it on, through an index.
        assertEquals(1, db.queryLong("SELECT count(*) FROM pg_indexes WHERE tablename = 'department_tree'"
                + " AND indexdef LIKE '%(id)'"));
        db.execute("INSERT INTO departments VALUES (8, 'Data', 2), (9, 'ML', 8), (10, 'Research', NULL)");
        refreshAll(db);
        assertEquals("Company > Engineering > Data > ML",
                db.queryString("SELECT path FROM department_tree WHERE id = 9"));
        db.execute("UPDATE departments SET name = 'R&D' WHERE id = 2"); // every path below changes
        refreshAll(db);
        assertEquals("Company > R&D > Data > ML", db.queryString("SELECT path FROM department_tree WHERE id = 9"));
        db.execute("UPDATE departments SET parent_id = 10 WHERE id = 8"); // a subtree moves to another root
        refreshAll(db);
        assertEquals("Research > Data > ML", db.queryString("SELECT path FROM department_tree WHERE id = 9"));
        db.execute("DELETE FROM departments WHERE id = 10"); // its subtree is no longer reached
        refreshAll(db);
        assertEquals(0, db.queryLong("SELECT count(*) FROM department_tree WHERE id IN (8, 9)"));
        db.execute("UPDATE departments SET parent_id = NULL WHERE id = 8"); // and is a tree of its own
        db.execute("UPDATE departments SET parent_id = 3, name = 'Field' WHERE id = 4");
        refreshAll(db);
        db.execute("DELETE FROM departments WHERE id >= 8");
        refreshAll(db);
    }

    /**
     * Re-parenting a node under its own descendant makes a cycle that no root reaches: the query
     * no longer returns those rows. A walk down a tree derives the affected nodes again, so its
     * refresh stays differential, alone and inside larger queries. A walk from a given row is no
     * tree: the removal of the old rows and the re-adding of the moved node chase each other
     * around the cycle, so the refresh stops after a bounded number of steps and runs FULL, with
     * the reason recorded; the guarded query ends on its own.
     */
    @Test
    void aChangeMakingACycleRefreshesFullWithTheReasonUnlessTheQueryIsATree(TestDatabase db) throws SQLException {
        String below = "WITH RECURSIVE below AS (SELECT id, name FROM departments WHERE id = 1 UNION ALL"
                + " SELECT d.id, d.name FROM departments d JOIN below b ON d.parent_id = b.id) SELECT id, name FROM below";
        DifferentialRefreshTest.createCompiledDifferential(db, "below_company", below, "CONTENT");
        db.execute("INSERT INTO departments VALUES (20, 'Loop', 1), (21, 'Inner', 20), (22, 'Innermost', 21)");
        refreshAll(db);
        refreshEachDifferentially(db, "below_company", below);
        db.execute("UPDATE departments SET parent_id = 22 WHERE id = 20");
        refreshAll(db);
        assertEquals(0, db.queryLong("SELECT count(*) FROM department_tree WHERE id IN (20, 21, 22)"));
        refresh(db, "below_company");
        Map<String, Object> last = lastRefresh(db, "below_company");
        assertEquals("FULL", last.get("action"), last::toString);
        assertCorrect(db, "below_company", below);
        assertTrue(db.queryString("SELECT last_fallback_reason FROM pgtrickle.pgt_status() WHERE name = 'public.below_company'")
                .contains("did not settle within 10000 steps"));
        db.execute("DELETE FROM departments WHERE id IN (20, 21, 22)");
        refreshAll(db);
        db.execute("SELECT pgtrickle.drop_stream_table('below_company')");
    }

    @Test
    void randomHierarchiesStayEqualToTheirQueries(TestDatabase db) throws SQLException {
        Random random = new Random(13);
        int next = 1000;
        for (int round = 0; round < 25; round++) {
            StringBuilder step = new StringBuilder();
            for (int change = 0; change < 6; change++) {
                int kind = random.nextInt(10);
                String anyNode = "(SELECT id FROM departments WHERE id >= 1000 ORDER BY random() LIMIT 1)";
                String parent = random.nextInt(6) == 0 ? "NULL"
                        : "(SELECT id FROM departments ORDER BY random() LIMIT 1)";
                if (kind < 4) {
                    step.append("INSERT INTO departments VALUES (").append(next++).append(", 'n").append(next)
                            .append("', ").append(parent).append(");");
                } else if (kind == 5) {
                    // Under any node: one below it makes a cycle that the walks down the tree, and
                    // the guarded walk, leave out.
                    step.append("UPDATE departments SET parent_id = ").append(parent).append(" WHERE id = ")
                            .append(anyNode).append(";");
                } else if (kind < 6) {
                    // Only under a node that is not below it: such moves keep the hierarchy a forest
                    // (the nodes below found with UNION, which ends on the cycles the moves above make).
                    step.append("UPDATE departments SET parent_id = (SELECT p.id FROM departments p WHERE p.id NOT IN")
                            .append(" (WITH RECURSIVE below AS (SELECT x.id FROM departments x WHERE x.id = m.id")
                            .append(" UNION SELECT y.id FROM departments y JOIN below b ON y.parent_id = b.id)")
                            .append(" SELECT id FROM below) ORDER BY random() LIMIT 1)")
                            .append(" FROM (SELECT ").append(anyNode).append(" AS id) m WHERE departments.id = m.id;");
                } else if (kind < 8) {
                    step.append("UPDATE departments SET name = name || '+' WHERE id = ").append(anyNode).append(";");
                } else {
                    step.append("DELETE FROM departments WHERE id = ").append(anyNode).append(";");
                }
            }
            db.execute("SELECT setseed(" + (round + 1) / 100.0 + ")");
            db.execute(step.toString());
            refreshAll(db);
        }
        db.execute("DELETE FROM departments WHERE id >= 1000");
        refreshAll(db);
    }

    @Test
    void pathsThroughADagAreRowsOfTheirOwn(TestDatabase db) throws SQLException {
        db.execute("""
                CREATE TABLE nodes (id int PRIMARY KEY, label text, root boolean NOT NULL DEFAULT false);
                CREATE TABLE edges (parent int NOT NULL, child int NOT NULL);
                CREATE INDEX ON edges (parent);
                INSERT INTO nodes SELECT g, 'L' || (g % 4), g <= 2 FROM generate_series(1, 30) g;
                INSERT INTO edges SELECT a, b FROM generate_series(1, 30) a, generate_series(1, 30) b
                    WHERE a < b AND (a * 7 + b * 3) % 11 = 0;
                """);
        DifferentialRefreshTest.createCompiledDifferential(db, "dag_reach", REACH, "CONTENT");
        Random random = new Random(7);
        for (int round = 0; round < 15; round++) {
            int a = 1 + random.nextInt(29);
            int b = a + 1 + random.nextInt(30 - a);
            switch (random.nextInt(4)) {
                case 0 -> db.execute("INSERT INTO edges VALUES (" + a + ", " + b + ")"); // may duplicate an edge
                case 1 -> db.execute("DELETE FROM edges WHERE ctid = (SELECT ctid FROM edges WHERE parent = " + a
                        + " OR child = " + b + " LIMIT 1)");
                case 2 -> db.execute("UPDATE nodes SET label = label || '*' WHERE id = " + b);
                default -> db.execute("UPDATE nodes SET root = NOT root WHERE id = " + a);
            }
            refreshEachDifferentially(db, "dag_reach", REACH);
        }
        assertTrue(db.queryLong("SELECT count(*) - count(DISTINCT (id, label)) FROM dag_reach") > 0,
                "some node is reached by several paths");
    }

    /** Reachability in a graph with cycles, as a set (UNION): the recursion ends where the query's does. */
    private static final String REACHABLE = "WITH RECURSIVE r (id, via) AS (SELECT s.id, s.via FROM starts s"
            + " UNION SELECT g.dst, g.kind FROM graph g JOIN r ON g.src = r.id) SELECT id, via FROM r";

    @Test
    void reachabilityInAGraphWithCyclesFollowsEdgesComingAndGoing(TestDatabase db) throws SQLException {
        db.execute("""
                CREATE TABLE starts (id int, via text);
                CREATE TABLE graph (src int, dst int, kind text);
                CREATE INDEX ON graph (src);
                INSERT INTO starts VALUES (1, 'start'), (1, 'start'), (NULL, 'nowhere');
                INSERT INTO graph SELECT a, b, CASE WHEN (a + b) % 3 = 0 THEN 'x' END FROM generate_series(1, 25) a,
                    generate_series(1, 25) b WHERE (a * 5 + b * 3) % 13 = 0;
                """);
        DifferentialRefreshTest.createCompiledDifferential(db, "graph_reach", REACHABLE, "CONTENT");
        db.execute("DELETE FROM graph WHERE src = 1"); // the start loses every edge
        refreshEachDifferentially(db, "graph_reach", REACHABLE);
        db.execute("INSERT INTO graph VALUES (1, 2, 'x'), (2, 1, 'x'), (2, 2, NULL)"); // cycles of one and two
        refreshEachDifferentially(db, "graph_reach", REACHABLE);
        Random random = new Random(23);
        for (int round = 0; round < 25; round++) {
            StringBuilder step = new StringBuilder();
            for (int change = 0; change < 3; change++) {
                int a = 1 + random.nextInt(25);
                int b = 1 + random.nextInt(25);
                step.append(switch (random.nextInt(5)) {
                    case 0, 1 -> "INSERT INTO graph VALUES (" + a + ", " + b + ", " + (random.nextBoolean() ? "'x'" : "NULL")
                            + ");";
                    case 2 -> "DELETE FROM graph WHERE ctid IN (SELECT ctid FROM graph WHERE src = " + a + " LIMIT 2);";
                    case 3 -> "UPDATE graph SET kind = CASE WHEN kind IS NULL THEN 'y' END WHERE dst = " + b + ";";
                    default -> random.nextBoolean() ? "INSERT INTO starts VALUES (" + a + ", 'start');"
                            : "DELETE FROM starts WHERE id = " + a + ";";
                });
            }
            db.execute(step.toString());
            refreshEachDifferentially(db, "graph_reach", REACHABLE);
        }
        assertTrue(db.queryLong("SELECT count(*) FROM graph_reach") > 1, "something is reached");
    }
}
