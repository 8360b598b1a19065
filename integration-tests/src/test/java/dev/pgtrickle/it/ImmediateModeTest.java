package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IMMEDIATE mode: the stream table is exact after every statement on its source, inside the
 * writing transaction and after it, before the compiler ran (recomputed) and after (the plan's
 * delta rules over the transition tables); savepoints rolled back; concurrent writers; refusals.
 */
@PostgresTest
class ImmediateModeTest {

    /** The reference documentation's live_headcount. */
    private static final String HEADCOUNT = "SELECT department_id, COUNT(*) AS headcount FROM employees GROUP BY department_id";
    /** Departments of more than 12 employees: HAVING, so its groups are recomputed (GROUP_RESCAN). */
    private static final String BUSY = "SELECT department_id, count(*) AS n FROM employees GROUP BY department_id"
            + " HAVING count(*) > 12";
    /** The five lowest paid: TopK, whose writers reaching the first rows take turns. */
    private static final String LOWEST_PAID = "SELECT id, salary FROM employees ORDER BY salary, id LIMIT 5";
    /** A walk down the employees as a tree (department_id naming the parent): its writers stamp the nodes they reach. */
    private static final String TREE = "WITH RECURSIVE tree AS (SELECT id, department_id FROM employees WHERE department_id"
            + " IS NULL UNION ALL SELECT e.id, e.department_id FROM employees e JOIN tree t ON e.department_id = t.id)"
            + " SELECT id, department_id FROM tree";
    /**
     * The tree's nodes joined again: a recursive query inside a larger one, its result kept in a
     * table; its writers take turns.
     */
    private static final String TREE_NAMES = TREE.replace("SELECT id, department_id FROM tree",
            "SELECT t.id, e.name FROM tree t JOIN employees e ON e.id = t.id");
    /** The reference documentation's department_tree: paths and depths down a hierarchy. */
    private static final String DEPARTMENT_TREE = "WITH RECURSIVE tree AS (SELECT id, name, parent_id, name AS path,"
            + " 0 AS depth FROM departments WHERE parent_id IS NULL UNION ALL SELECT d.id, d.name, d.parent_id,"
            + " tree.path || ' > ' || d.name, tree.depth + 1 FROM departments d JOIN tree ON d.parent_id = tree.id)"
            + " SELECT id, name, parent_id, path, depth FROM tree";
    /** An ordered-set aggregate: not differentiable, so IMMEDIATE mode recomputes it at every statement. */
    private static final String MEDIAN = "SELECT department_id, percentile_disc(0.5) WITHIN GROUP (ORDER BY salary) AS median"
            + " FROM employees GROUP BY department_id";
    /** Each employee's rank in their department: a window, its partitions recomputed (PARTITION_RESCAN). */
    private static final String RANKS = "SELECT id, department_id, rank() OVER (PARTITION BY department_id ORDER BY salary)"
            + " AS r FROM employees";
    /** Time spent per page: an aggregate whose state adds up, applied by one relative MERGE per statement. */
    private static final String PAGE_TOTALS = "SELECT page, count(*) AS visits, sum(ms) AS total_ms FROM visits GROUP BY page";
    /** Long visits: rows of one table by their key, whose writers the source's row locks order already. */
    private static final String LONG_VISITS = "SELECT id, page, ms FROM visits WHERE ms > 2";
    /** The reference documentation's live_counter. */
    private static final String COUNTER = "SELECT region, COUNT(*) AS cnt, SUM(amount) AS total FROM orders GROUP BY region";

    private final TestDatabase db;

    ImmediateModeTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    @BeforeEach
    void createSources() throws SQLException {
        db.execute("CREATE TABLE employees (id int PRIMARY KEY, name text, department_id int, salary numeric(10,2))");
        db.execute("INSERT INTO employees SELECT g, 'e' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 5 END, g * 10"
                + " FROM generate_series(1, 60) g");
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, region text, amount int)");
        db.execute("INSERT INTO orders SELECT g, 'r' || (g % 4), g FROM generate_series(1, 40) g");
    }

    @AfterEach
    void dropAll() throws SQLException {
        Teardown.dropStreamTables(db);
        db.execute("DROP TABLE IF EXISTS employees, orders, visits, departments");
    }

    @Test
    void liveHeadcountIsCurrentAfterEveryStatementBeforeAndAfterCompiling() throws Exception {
        db.execute("""
                SELECT pgtrickle.create_stream_table(
                    name         => 'live_headcount',
                    query        => $$
                    SELECT department_id, COUNT(*) AS headcount
                    FROM employees
                    GROUP BY department_id
                    $$,
                    refresh_mode => 'IMMEDIATE'
                )""");
        assertEquals("IMMEDIATE|IMMEDIATE|IMMEDIATE|00:00:00", db.queryString("SELECT refresh_mode || '|' || effective_mode"
                + " || '|' || schedule || '|' || staleness FROM pgtrickle.pgt_status() WHERE name = 'public.live_headcount'"));
        assertTrue(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status()").contains("recomputed at every statement"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'employees'::regclass"
                + " AND tgname LIKE 'pgtrickle_capture%'"), "no change capture: nothing reads a change buffer");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"));

        // Recomputed at every statement until compiled.
        db.execute("INSERT INTO employees VALUES (100, 'new', 9, 1)");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        db.execute("UPDATE employees SET department_id = 1 WHERE id = 100");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        randomStatements(db, "live_headcount", HEADCOUNT, new Random(1), 10);

        CompileResult compiled = DifferentialRefreshTest.compile(db, "live_headcount");
        assertEquals(CompileResult.Outcome.COMPILED, compiled.outcome(), compiled::describe);
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status()"));
        assertTrue(db.queryString("SELECT prosrc FROM pg_proc WHERE proname = 'pgt_immediate_' || "
                + "(SELECT pgt_id FROM pgtrickle.pgt_stream_tables)").contains("MERGE INTO"), "the plan's statements");
        long refreshes = db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history");

        randomStatements(db, "live_headcount", HEADCOUNT, new Random(2), 60);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "live_headcount");
        assertEquals(refreshes, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history"),
                "maintained by the statements themselves, without refreshes");

        db.execute("TRUNCATE employees");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        db.execute("INSERT INTO employees VALUES (1, 'again', 2, 5), (2, 'again', NULL, 6)");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "live_headcount");
    }

    /**
     * Recomputations at REPEATABLE READ: before the plan is compiled every statement recomputes,
     * and one whose snapshot predates another's commit is told to retry (the epoch); a TRUNCATE,
     * whose recomputation could keep rows another writer committed after the snapshot, is refused
     * there with the reason, and runs at READ COMMITTED.
     */
    @Test
    void repeatableReadRecomputationsRetryOrAreRefused() throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('live_headcount', $$" + HEADCOUNT + "$$, refresh_mode => 'IMMEDIATE')");
        LockWaits.laterSnapshotMustRetry(db, "INSERT INTO employees VALUES (300, 'first', 30, 1)",
                "INSERT INTO employees VALUES (301, 'later', 31, 1)");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);

        createCompiled("page_counts", "SELECT department_id, count(*) AS n FROM employees GROUP BY department_id", "IMMEDIATE");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            s.execute("SELECT 1");
            db.execute("INSERT INTO employees VALUES (302, 'committed meanwhile', 32, 1)");
            SQLException refused = assertThrows(SQLException.class, () -> s.execute("TRUNCATE employees"));
            assertEquals("0A000", refused.getSQLState(), refused::getMessage);
            assertTrue(refused.getMessage().contains("at isolation level REPEATABLE READ"), refused.getMessage());
            c.rollback();
        }
        Oracle.assertStreamTableMatchesQuery(db, "page_counts", "SELECT department_id, count(*) AS n FROM employees GROUP BY department_id");
        db.execute("TRUNCATE employees");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        assertEquals(0, db.queryLong("SELECT count(*) FROM page_counts"));
    }

    /** The daemon compiles it, never refreshes it, and a scheduled stream table on the same source goes on as before. */
    @Test
    void theDaemonCompilesItAndLeavesItsMaintenanceToTheStatements() throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('live_headcount', $$" + HEADCOUNT + "$$, refresh_mode => 'IMMEDIATE')");
        db.execute("SELECT pgtrickle.create_stream_table('scheduled', $$" + HEADCOUNT + "$$, schedule => '1s')");
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            Eventually.await("both compiled", () -> db.queryLong(
                    "SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE compile_status = 'COMPILED'") == 2);
            db.execute("INSERT INTO employees VALUES (400, 'd', 1, 1), (401, 'd', 8, 1)");
            Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
            Eventually.await("the scheduled one to catch up", () -> {
                try {
                    Oracle.assertStreamTableMatchesQuery(db, "scheduled", HEADCOUNT);
                    return true;
                } catch (AssertionError notYet) {
                    return false;
                }
            });
            Thread.sleep(2500);
        }
        assertEquals("CREATE,COMPILE", db.queryString("SELECT string_agg(h.initiated_by, ',' ORDER BY h.refresh_id)"
                + " FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                + " WHERE st.pgt_name = 'live_headcount'"), "the daemon never refreshed it");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle_changes.\"changes_" + db.queryLong(
                "SELECT 'employees'::regclass::oid") + "\" WHERE pg_visible_in_snapshot(__pgt_xid, pg_current_snapshot())"),
                "the scheduled reader consumed and cleaned up its changes: the IMMEDIATE one holds none back");
    }

    /** Its function names it; renamed, the daemon's repair step generates the function again. */
    @Test
    void renamedTheDaemonRegeneratesItsMaintenance() throws Exception {
        createCompiled("live_headcount", HEADCOUNT, "IMMEDIATE");
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            db.execute("ALTER TABLE live_headcount RENAME TO headcount_now");
            Eventually.await("writes to the source to work again", () -> {
                try {
                    db.execute("INSERT INTO employees VALUES (600, 'r', 1, 1) ON CONFLICT DO NOTHING");
                    return true;
                } catch (SQLException stale) {
                    return false;
                }
            });
            db.execute("UPDATE employees SET department_id = 4 WHERE id < 10");
            Oracle.assertStreamTableMatchesQuery(db, "headcount_now", HEADCOUNT);
            assertEquals("public.headcount_now|IMMEDIATE", db.queryString("SELECT name || '|' || effective_mode"
                    + " FROM pgtrickle.pgt_status()"));
        }
    }

    @Test
    void insideATransactionLaterStatementsReadTheUpdatedStreamTableAndSavepointsRollBackWithIt() throws Exception {
        createCompiled("live_headcount", HEADCOUNT, "IMMEDIATE");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("INSERT INTO employees VALUES (200, 'x', 3, 1)");
            Oracle.assertStreamTableMatchesQuery(c, "live_headcount", HEADCOUNT);
            s.execute("SAVEPOINT before_delete");
            s.execute("DELETE FROM employees WHERE department_id = 3");
            Oracle.assertStreamTableMatchesQuery(c, "live_headcount", HEADCOUNT);
            assertEquals(0, Oracle.count(c, "SELECT count(*) FROM live_headcount WHERE department_id = 3"),
                    "a group emptied by the statement is gone");
            s.execute("ROLLBACK TO SAVEPOINT before_delete");
            Oracle.assertStreamTableMatchesQuery(c, "live_headcount", HEADCOUNT);
            s.execute("UPDATE employees SET department_id = NULL WHERE id % 2 = 0");
            s.execute("INSERT INTO employees SELECT g, 'y', g % 3, 1 FROM generate_series(300, 320) g");
            Oracle.assertStreamTableMatchesQuery(c, "live_headcount", HEADCOUNT);
            c.rollback();
        }
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "live_headcount");
    }

    @Test
    void liveCounterWithScheduleImmediateAsTheReferenceWritesIt() throws Exception {
        db.execute("""
                SELECT pgtrickle.create_stream_table(
                'live_counter',
                $$SELECT region, COUNT(*) AS cnt, SUM(amount) AS total
                FROM orders GROUP BY region$$,
                schedule => 'IMMEDIATE',
                refresh_mode => 'DIFFERENTIAL'
                )""");
        assertEquals("IMMEDIATE", db.queryString("SELECT refresh_mode FROM pgtrickle.pgt_stream_tables"));
        assertNull(db.queryString("SELECT schedule FROM pgtrickle.pgt_stream_tables"));
        DifferentialRefreshTest.compile(db, "live_counter");
        db.execute("INSERT INTO orders VALUES (1000, 'r9', 5), (1001, NULL, NULL)");
        db.execute("UPDATE orders SET amount = NULL WHERE id % 3 = 0");
        db.execute("DELETE FROM orders WHERE region = 'r1'");
        Oracle.assertStreamTableMatchesQuery(db, "live_counter", COUNTER);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "live_counter");
        // A manual refresh recomputes it; the statements go on maintaining it afterwards.
        db.execute("SELECT pgtrickle.refresh_stream_table('live_counter')");
        assertEquals("FULL", db.queryString("SELECT action FROM pgtrickle.pgt_refresh_history ORDER BY refresh_id DESC LIMIT 1"));
        assertNull(db.queryString("SELECT frontier::text FROM pgtrickle.pgt_stream_tables"), "no frontier: it reads no buffer");
        db.execute("INSERT INTO orders VALUES (1002, 'r9', 7)");
        Oracle.assertStreamTableMatchesQuery(db, "live_counter", COUNTER);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "live_counter");
    }

    @Test
    void rowsOfOneTableKeyedAndByContent() throws Exception {
        String keyed = "SELECT id, name, salary FROM employees WHERE salary > 100";
        String content = "SELECT department_id, salary FROM employees";
        createCompiled("rich", keyed, "IMMEDIATE");
        createCompiled("pairs", content, "IMMEDIATE");
        assertEquals("KEYED,CONTENT", db.queryString("SELECT string_agg(plan ->> 'strategy', ',' ORDER BY pgt_id)"
                + " FROM pgtrickle.pgt_stream_tables"));
        Random random = new Random(3);
        for (int round = 0; round < 40; round++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "rich", keyed);
            Oracle.assertStreamTableMatchesQuery(db, "pairs", content);
        }
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "pairs");
    }

    /**
     * Writers on several connections, each transaction one statement over rows of random groups
     * (some rolled back): those touching other groups go on in parallel, those on the same group
     * wait for each other; the result is exact, no unique violation reaches a writer, and since
     * every statement takes the locks of the groups it touches in one order, none deadlocks.
     * Writers in REPEATABLE READ may be told to retry (40001) when a group changed after their
     * snapshot.
     */
    @Test
    void concurrentWritersLoseNothingAndDoNotDeadlock() throws Exception {
        createCompiled("live_headcount", HEADCOUNT, "IMMEDIATE");
        createCompiled("live_counter", COUNTER, "IMMEDIATE");
        // Groups recomputed from the source (GROUP_RESCAN), stamped for the REPEATABLE READ writers.
        createCompiled("busy_departments", BUSY, "IMMEDIATE");
        // Window partitions recomputed, their writers waiting for each other on the partition's stamp.
        createCompiled("ranks", RANKS, "IMMEDIATE");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_status() WHERE mode_reason IS NOT NULL"));
        // The first rows of an order: writers whose changes reach them take turns, the others go on.
        createCompiled("lowest_paid", LOWEST_PAID, "IMMEDIATE");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_status() WHERE mode_reason IS NOT NULL"));
        writeConcurrently(80);
        Oracle.assertStreamTableMatchesQuery(db, "busy_departments", BUSY);
        Oracle.assertStreamTableMatchesQuery(db, "ranks", RANKS);
        Oracle.assertStreamTableMatchesQuery(db, "lowest_paid", LOWEST_PAID);
    }

    /**
     * The first rows of one table (TopK): writers whose changes sort after the last stored row
     * change nothing and go on side by side; a writer whose changes reach the first rows waits for
     * them, and they for it. A transaction below the boundary that a reaching writer waits for
     * writes below again and then reaches itself, ahead of that writer (no deadlock). At
     * REPEATABLE READ a writer whose snapshot predates a commit of the other kind is told to retry.
     * No boundary lock outlives its transaction, and concurrent writers of both kinds keep the
     * stream table exact.
     */
    @Test
    void writersBelowTheFirstRowsGoOnAndTheOthersTakeTurns() throws Exception {
        createCompiled("lowest_paid", LOWEST_PAID, "IMMEDIATE");
        assertEquals("concurrent writers: those whose changes reach the first rows take turns; the others go on side by side",
                db.queryString("SELECT line FROM pgtrickle.explain_stream_table('lowest_paid') AS line"
                        + " WHERE line LIKE 'concurrent writers:%'"));
        LockWaits.secondGoesOnBesideFirst(db, "UPDATE employees SET salary = 300 WHERE id = 20",
                "UPDATE employees SET salary = 310 WHERE id = 21; INSERT INTO employees VALUES (200, 'n', 1, 900)");
        LockWaits.secondWaitsForFirst(db, "UPDATE employees SET salary = 320 WHERE id = 22",
                "UPDATE employees SET salary = 5 WHERE id = 23");
        LockWaits.secondWaitsForFirst(db, "DELETE FROM employees WHERE id = 1", "UPDATE employees SET salary = 330 WHERE id = 24");
        Oracle.assertStreamTableMatchesQuery(db, "lowest_paid", LOWEST_PAID);
        LockWaits.firstGoesOnAheadOfWaitingSecond(db, "UPDATE employees SET salary = 340 WHERE id = 25",
                "DELETE FROM employees WHERE id = 2",
                "UPDATE employees SET salary = 350 WHERE id = 26", "UPDATE employees SET salary = 1 WHERE id = 27");
        Oracle.assertStreamTableMatchesQuery(db, "lowest_paid", LOWEST_PAID);
        LockWaits.laterSnapshotMustRetry(db, "DELETE FROM employees WHERE id = 3",
                "UPDATE employees SET salary = 360 WHERE id = 28", "UPDATE orders SET amount = 1 WHERE id = 1");
        LockWaits.laterSnapshotMustRetry(db, "UPDATE employees SET salary = 370 WHERE id = 29",
                "DELETE FROM employees WHERE id = 4", "UPDATE orders SET amount = 2 WHERE id = 1");
        Oracle.assertStreamTableMatchesQuery(db, "lowest_paid", LOWEST_PAID);
        // Two statements on the source inside one (a writable CTE): recomputed, as a writer reaching the first rows.
        try (Connection c = db.connect()) {
            Oracle.assertAfterEachStatement(c, "lowest_paid", LOWEST_PAID,
                    "WITH moved AS (UPDATE employees SET salary = 400 WHERE id = 31 RETURNING id)"
                            + " DELETE FROM employees WHERE id = 32",
                    "WITH moved AS (UPDATE employees SET salary = 2 WHERE id = 33 RETURNING id)"
                            + " DELETE FROM employees WHERE id = 34");
        }
        assertTrue(db.queryString("SELECT last_fallback_reason FROM pgtrickle.pgt_status() WHERE name = 'public.lowest_paid'")
                .startsWith("a statement ran inside another statement on its sources"));
        // A writer giving up its wait for the look (lock_timeout) keeps no part of the boundary's lock.
        try (Connection reaching = db.connect(); Statement r = reaching.createStatement();
             Connection below = db.connect(); Statement b = below.createStatement()) {
            reaching.setAutoCommit(false);
            r.execute("DELETE FROM employees WHERE id = 5");
            b.execute("SET lock_timeout = '300ms'");
            SQLException timeout = assertThrows(SQLException.class,
                    () -> b.execute("UPDATE employees SET salary = 380 WHERE id = 30"));
            assertEquals("55P03", timeout.getSQLState(), timeout::getMessage);
            reaching.commit();
            assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    + " AND classid = pgtrickle._immediate_boundary_space()::oid"));
            b.execute("UPDATE employees SET salary = 390 WHERE id = 30");
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = pgtrickle._immediate_boundary_space()::oid"));
        ConcurrentWriters.run(db, 4, 60, 17, (writer, i, random) -> {
            int id = 1 + random.nextInt(70);
            return switch (random.nextInt(4)) {
                case 0 -> "UPDATE employees SET salary = " + random.nextInt(700) + " WHERE id = " + id;
                case 1 -> "INSERT INTO employees VALUES (" + (1000 + writer * 1000 + i) + ", 'w', 1, "
                        + random.nextInt(700) + ")";
                case 2 -> "DELETE FROM employees WHERE id = " + (random.nextBoolean() ? id : 1000 + writer * 1000 + i - 1);
                default -> "UPDATE employees SET salary = salary + 100 WHERE id BETWEEN " + id + " AND " + (id + 3);
            };
        }, () -> Oracle.assertStreamTableMatchesQuery(db, "lowest_paid", LOWEST_PAID));
        Oracle.assertStreamTableMatchesQuery(db, "lowest_paid", LOWEST_PAID);
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = pgtrickle._immediate_boundary_space()::oid"));
    }

    /**
     * Writers creating, emptying and moving rows between the same few groups of an aggregate
     * whose state adds up (one MERGE per statement, locking its groups itself): a writer whose
     * snapshot misses a group that the writer it waited for created applies its change to that
     * group in a second pass; one whose group was emptied meanwhile creates it again; nothing is
     * lost or counted twice, and writers at READ COMMITTED neither fail nor deadlock. Beside it,
     * the rows of the same table by key, maintained without locks of their own.
     */
    @Test
    void writersCreatingAndEmptyingTheSameGroupsLoseNothing() throws Exception {
        db.execute("CREATE TABLE visits (id int PRIMARY KEY, page int, ms int)");
        db.execute("INSERT INTO visits SELECT g, g % 3, g FROM generate_series(1, 30) g");
        createCompiled("page_totals", PAGE_TOTALS, "IMMEDIATE");
        LockWaits.secondWaitsForFirst(db, "INSERT INTO visits VALUES (101, 9, 10)",
                "INSERT INTO visits VALUES (102, 9, 5), (103, 8, 1)");
        assertEquals("2 15", db.queryString("SELECT visits || ' ' || total_ms FROM page_totals WHERE page = 9"));
        LockWaits.secondWaitsForFirst(db, "DELETE FROM visits WHERE page = 9", "INSERT INTO visits VALUES (104, 9, 7)");
        assertEquals("1 7", db.queryString("SELECT visits || ' ' || total_ms FROM page_totals WHERE page = 9"));
        Oracle.assertStreamTableMatchesQuery(db, "page_totals", PAGE_TOTALS);
        createCompiled("long_visits", LONG_VISITS, "IMMEDIATE");
        ConcurrentWriters.run(db, 4, 150, 31, (writer, i, random) -> {
            int page = random.nextInt(4);
            int id = 1000 + writer * 1000 + i;
            return switch (random.nextInt(4)) {
                case 0 -> "INSERT INTO visits SELECT " + id + " * 10 + g, " + page + ", g FROM generate_series(0, "
                        + random.nextInt(3) + ") g";
                case 1 -> "DELETE FROM visits WHERE page = " + page;
                case 2 -> "UPDATE visits SET page = (page + 1) % 4 WHERE id % 3 = " + random.nextInt(3);
                default -> "UPDATE visits SET ms = ms + 1, page = " + page + " WHERE id % 7 = " + random.nextInt(7);
            };
        }, () -> {
            Oracle.assertStreamTableMatchesQuery(db, "page_totals", PAGE_TOTALS);
            Oracle.assertStreamTableMatchesQuery(db, "long_visits", LONG_VISITS);
        });
        Oracle.assertStreamTableMatchesQuery(db, "page_totals", PAGE_TOTALS);
        Oracle.assertStreamTableMatchesQuery(db, "long_visits", LONG_VISITS);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "page_totals");
    }

    /**
     * Which writers apply an aggregate's changes with the one relative statement: on PostgreSQL 18
     * all, on 15 and 16 those at READ COMMITTED, on 17 none (docs/architecture.md, "Relative
     * statements"); the others lock the groups, then apply. A writer at each level keeps it exact.
     */
    @Test
    void theRelativeStatementRunsWhereTheServersMergeAllowsIt() throws Exception {
        db.execute("CREATE TABLE visits (id int PRIMARY KEY, page int, ms int)");
        db.execute("INSERT INTO visits SELECT g, g % 3, g FROM generate_series(1, 30) g");
        createCompiled("page_totals", PAGE_TOTALS, "IMMEDIATE");
        String body = db.queryString("SELECT prosrc FROM pg_proc WHERE proname = 'pgt_immediate_'"
                + " || (SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'page_totals')");
        int major = db.serverMajorVersion();
        int branchesWithIt = major >= 18 ? 2 : major == 17 ? 0 : 1;
        assertEquals(3 * branchesWithIt, body.split("__pgt_retry := NULL", -1).length - 1,
                "relative statements (INSERT, UPDATE, DELETE per isolation branch) on PostgreSQL " + major);
        for (int level : new int[] {Connection.TRANSACTION_READ_COMMITTED, Connection.TRANSACTION_REPEATABLE_READ}) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                c.setTransactionIsolation(level);
                c.setAutoCommit(false);
                s.execute("INSERT INTO visits VALUES (" + (100 + level) + ", 7, 3)");
                s.execute("UPDATE visits SET page = 7 WHERE id % 5 = 0");
                s.execute("DELETE FROM visits WHERE page = 1");
                c.commit();
            }
            Oracle.assertStreamTableMatchesQuery(db, "page_totals", PAGE_TOTALS);
        }
    }

    /**
     * A walk down a tree, alone and inside a larger query (its result kept in a table the
     * statements maintain, refilled by a TRUNCATE's recomputation): maintained after every
     * statement; the writers of the one inside a larger query take turns (the status says why).
     */
    @Test
    void aRecursiveQueryIsMaintainedAfterEveryStatement() throws Exception {
        createCompiled("tree", TREE, "IMMEDIATE");
        createCompiled("tree_names", TREE_NAMES, "IMMEDIATE");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.tree'"));
        assertEquals("writers of its sources take turns: the rows of a recursive query depend on other rows of its tables",
                db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.tree_names'"));
        // explain says so too, and how the tree's writers meet.
        assertEquals("concurrent writers: take turns (the rows of a recursive query depend on other rows of its tables)",
                db.queryString("SELECT line FROM pgtrickle.explain_stream_table('tree_names') AS line"
                        + " WHERE line LIKE 'concurrent writers:%'"));
        assertEquals("concurrent writers: go on side by side; those whose changes meet (in a stored row, a group or a join"
                + " key) wait for each other", db.queryString("SELECT line FROM pgtrickle.explain_stream_table('tree') AS line"
                        + " WHERE line LIKE 'concurrent writers:%'"));
        db.execute("UPDATE employees SET department_id = NULL WHERE id IN (1, 2)");
        assertTrue(db.queryLong("SELECT count(*) FROM tree") > db.queryLong("SELECT count(*) FROM employees"
                + " WHERE department_id IS NULL"), "a tree below the roots");
        Oracle.assertStreamTableMatchesQuery(db, "tree", TREE);
        Oracle.assertStreamTableMatchesQuery(db, "tree_names", TREE_NAMES);
        Random random = new Random(5);
        for (int i = 0; i < 40; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "tree", TREE);
            Oracle.assertStreamTableMatchesQuery(db, "tree_names", TREE_NAMES);
        }
        db.execute("TRUNCATE employees");
        db.execute("INSERT INTO employees SELECT g, 'x', CASE WHEN g < 4 THEN NULL ELSE g / 2 END, g"
                + " FROM generate_series(1, 40) g");
        Oracle.assertStreamTableMatchesQuery(db, "tree_names", TREE_NAMES);
        randomStatements(db, "tree_names", TREE_NAMES, new Random(6), 20);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "tree");
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "tree_names");
    }

    /**
     * A walk from a given row (no tree): a node moved under its own descendant makes a cycle no row
     * of the query reaches, around which the changes carried down would chase each other. After
     * the bound on their steps the statement recomputes the contents instead of failing, recorded
     * as a fallback with the reason.
     */
    @Test
    void changesThatDoNotSettleAreRecomputedWithTheReason() throws Exception {
        String below = "WITH RECURSIVE below AS (SELECT id FROM employees WHERE id = 1 UNION ALL SELECT e.id FROM"
                + " employees e JOIN below b ON e.department_id = b.id) SELECT id FROM below";
        db.execute("UPDATE employees SET department_id = NULL WHERE id = 1");
        db.execute("INSERT INTO employees VALUES (200, 'a', 1, 1), (201, 'b', 200, 1), (202, 'c', 201, 1)");
        createCompiled("below_first", below, "IMMEDIATE");
        db.execute("UPDATE employees SET department_id = 202 WHERE id = 200");
        Oracle.assertStreamTableMatchesQuery(db, "below_first", below);
        assertEquals(0, db.queryLong("SELECT count(*) FROM below_first WHERE id >= 200"));
        String reason = db.queryString("SELECT last_fallback_reason FROM pgtrickle.pgt_status()");
        assertTrue(reason.startsWith("the changes of a recursive query did not settle within 10000 steps"), reason);
        db.execute("UPDATE employees SET department_id = 1 WHERE id = 200");
        Oracle.assertStreamTableMatchesQuery(db, "below_first", below);
        assertEquals(3, db.queryLong("SELECT count(*) FROM below_first WHERE id >= 200"));
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "below_first");
    }

    /**
     * A walk down a tree (the reference documentation's department_tree): each writer stamps the
     * nodes its changes reach — the changed rows, their parents, the rows below them — so writers
     * of different subtrees go on side by side, while a writer moving or renaming a subtree waits
     * for a writer adding below it, and the other way round (at READ COMMITTED then computing with
     * what it committed, walking again the rows that joined the subtree meanwhile); at REPEATABLE
     * READ a writer whose snapshot predates such a commit is told to retry. A subtree moved under
     * its own descendant leaves the tree. Concurrent writers moving nodes keep it exact.
     */
    @Test
    void writersOfDifferentSubtreesGoOnSideBySide() throws Exception {
        db.execute("CREATE TABLE departments (id int PRIMARY KEY, name text, parent_id int)");
        db.execute("CREATE INDEX ON departments (parent_id)");
        db.execute("INSERT INTO departments VALUES (1, 'Company', NULL), (2, 'R&D', 1), (3, 'Sales', 1), (4, 'Data', 2),"
                + " (5, 'Web', 2), (6, 'EMEA', 3), (7, 'US', 3), (8, 'ML', 4), (9, 'Ops', 4), (10, 'Board', NULL)");
        createCompiled("department_tree", DEPARTMENT_TREE, "IMMEDIATE");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status()"));
        LockWaits.secondGoesOnBesideFirst(db, "UPDATE departments SET name = 'Data Science' WHERE id = 4",
                "INSERT INTO departments VALUES (20, 'APAC', 3)");
        LockWaits.secondGoesOnBesideFirst(db, "DELETE FROM departments WHERE id = 7",
                "UPDATE departments SET parent_id = 10 WHERE id = 5");
        Oracle.assertStreamTableMatchesQuery(db, "department_tree", DEPARTMENT_TREE);
        // Added below a node that the second moves: the move walks again after the wait.
        LockWaits.secondWaitsForFirst(db, "INSERT INTO departments VALUES (21, 'Vision', 8)",
                "UPDATE departments SET parent_id = 3 WHERE id = 2");
        assertEquals("Company > Sales > R&D > Data Science > ML > Vision",
                db.queryString("SELECT path FROM department_tree WHERE id = 21"));
        LockWaits.secondWaitsForFirst(db, "UPDATE departments SET name = 'Group' WHERE id = 1",
                "DELETE FROM departments WHERE id = 9");
        LockWaits.secondWaitsForFirst(db, "UPDATE departments SET parent_id = 20 WHERE id = 4",
                "UPDATE departments SET name = 'Pricing' WHERE id = 20");
        Oracle.assertStreamTableMatchesQuery(db, "department_tree", DEPARTMENT_TREE);
        LockWaits.laterSnapshotMustRetry(db, "UPDATE departments SET name = 'Data' WHERE id = 4",
                "INSERT INTO departments VALUES (22, 'Robotics', 8)", "UPDATE departments SET name = 'Europe' WHERE id = 6");
        LockWaits.laterSnapshotMustRetry(db, "INSERT INTO departments VALUES (23, 'Speech', 21)",
                "UPDATE departments SET parent_id = 10 WHERE id = 8", "INSERT INTO departments VALUES (24, 'Audit', 10)");
        Oracle.assertStreamTableMatchesQuery(db, "department_tree", DEPARTMENT_TREE);
        // Moved under its own descendant, a subtree leaves the tree (a cycle no root reaches), and comes back.
        try (Connection c = db.connect()) {
            Oracle.assertAfterEachStatement(c, "department_tree", DEPARTMENT_TREE,
                    "UPDATE departments SET parent_id = 21 WHERE id = 4",
                    "UPDATE departments SET parent_id = 1 WHERE id = 4");
        }
        ConcurrentWriters.run(db, 4, 60, 23, (writer, i, random) -> {
            int id = 1 + random.nextInt(30);
            return switch (random.nextInt(4)) {
                case 0 -> "UPDATE departments SET parent_id = " + (random.nextInt(6) == 0 ? "NULL" : 1 + random.nextInt(30))
                        + " WHERE id = " + id;
                case 1 -> "INSERT INTO departments VALUES (" + (100 + writer * 100 + i) + ", 'd" + i + "', "
                        + (1 + random.nextInt(30)) + ")";
                case 2 -> "DELETE FROM departments WHERE id = " + (random.nextBoolean() ? id : 100 + writer * 100 + i - 1);
                default -> "UPDATE departments SET name = name || '+' WHERE id = " + id;
            };
        }, () -> Oracle.assertStreamTableMatchesQuery(db, "department_tree", DEPARTMENT_TREE));
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "department_tree");
    }

    /**
     * Groups inside the query (the highest salary per department, filtered above): each changed
     * row stamps its department, so writers of different departments go on side by side, a writer
     * of the same one waits and then computes with what the first committed, and a REPEATABLE READ
     * writer whose snapshot predates such a commit is told to retry.
     */
    @Test
    void writersOfDifferentGroupsInsideTheQueryDoNotWaitForEachOther() throws Exception {
        String top = "SELECT s.department_id, s.top FROM (SELECT department_id, max(salary) AS top FROM employees"
                + " GROUP BY department_id) s WHERE s.top > 100";
        createCompiled("top_salaries", top, "IMMEDIATE");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.top_salaries'"),
                "its writers do not take turns");
        // Employees 1 and 6 work in department 1, employee 2 in department 2.
        LockWaits.secondGoesOnBesideFirst(db, "UPDATE employees SET salary = 5000 WHERE id = 1",
                "UPDATE employees SET salary = 6000 WHERE id = 2");
        LockWaits.secondWaitsForFirst(db, "UPDATE employees SET salary = 7000 WHERE id = 1",
                "UPDATE employees SET salary = 6500 WHERE id = 6");
        assertEquals("7000.00", db.queryString("SELECT top::text FROM top_salaries WHERE department_id = 1"));
        Oracle.assertStreamTableMatchesQuery(db, "top_salaries", top);
        // Employees 3 and 8 work in department 3, employee 4 in department 4.
        LockWaits.laterSnapshotMustRetry(db, "DELETE FROM employees WHERE id = 3",
                "UPDATE employees SET salary = 9000 WHERE id = 8", "UPDATE employees SET salary = 1 WHERE id = 4");
        Oracle.assertStreamTableMatchesQuery(db, "top_salaries", top);
        createCompiled("live_headcount", HEADCOUNT, "IMMEDIATE");
        createCompiled("live_counter", COUNTER, "IMMEDIATE");
        writeConcurrently(40);
        Oracle.assertStreamTableMatchesQuery(db, "top_salaries", top);
        randomStatements(db, "top_salaries", top, new Random(13), 20);
    }

    /**
     * Groups inside the query keyed by numerics, where 1.0 and 1.00 are one group shown as either:
     * the statements keep the groups' table as the refreshes do (the old group read as it was
     * output, not recomputed), refilled by a TRUNCATE's recomputation. Each changed row stamps its
     * band, so writers of one band (7.0 and 7.00 alike) wait for each other and writers of other
     * bands go on.
     */
    @Test
    void groupsInsideTheQueryKeyedByNumericsKeepTheirTable() throws Exception {
        db.execute("ALTER TABLE employees ADD COLUMN band numeric");
        db.execute("UPDATE employees SET band = CASE WHEN id % 2 = 0 THEN round(salary / 100, 1)"
                + " ELSE round(salary / 100, 2) END");
        String bands = "SELECT s.band, s.n, s.total FROM (SELECT band, count(*) AS n, sum(id) AS total"
                + " FROM employees GROUP BY band) s WHERE s.n > 1";
        createCompiled("bands", bands, "IMMEDIATE");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.bands'"),
                "its writers do not take turns");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle._kept_tables("
                + "(SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'bands'))"));
        LockWaits.secondWaitsForFirst(db, "INSERT INTO employees VALUES (490, 'p', 1, 1, 9.0)",
                "INSERT INTO employees VALUES (491, 'q', 1, 1, 9.00)");
        LockWaits.secondGoesOnBesideFirst(db, "INSERT INTO employees VALUES (492, 'r', 1, 1, 9.0)",
                "INSERT INTO employees VALUES (493, 's', 1, 1, 8.5)");
        LockWaits.laterSnapshotMustRetry(db, "INSERT INTO employees VALUES (494, 't', 1, 1, 6.10)",
                "INSERT INTO employees VALUES (495, 'u', 1, 1, 6.1)", "INSERT INTO employees VALUES (496, 'v', 1, 1, 6.2)");
        Oracle.assertStreamTableMatchesQuery(db, "bands", bands);
        // Equal bands spelt differently, and their first rows deleted: the group stays as it was shown.
        try (Connection c = db.connect()) {
            Oracle.assertAfterEachStatement(c, "bands", bands,
                    "INSERT INTO employees VALUES (500, 'a', 1, 1, 7.0), (501, 'b', 1, 1, 7.00), (502, 'c', 1, 1, 7.000)",
                    "DELETE FROM employees WHERE id = 500",
                    "UPDATE employees SET band = 7.00000 WHERE id = 501");
        }
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("UPDATE employees SET band = 0.5 WHERE id < 20");
            s.execute("SAVEPOINT a");
            s.execute("DELETE FROM employees WHERE band = 0.5");
            s.execute("ROLLBACK TO SAVEPOINT a");
            Oracle.assertStreamTableMatchesQuery(c, "bands", bands);
            c.commit();
        }
        Oracle.assertStreamTableMatchesQuery(db, "bands", bands);
        randomStatements(db, "bands", bands, new Random(11), 30);
        db.execute("TRUNCATE employees");
        db.execute("INSERT INTO employees SELECT g, 'x', g % 3, g, (g % 4)::numeric / 2 FROM generate_series(1, 30) g");
        Oracle.assertStreamTableMatchesQuery(db, "bands", bands);
        randomStatements(db, "bands", bands, new Random(12), 20);
        createCompiled("live_headcount", HEADCOUNT, "IMMEDIATE");
        createCompiled("live_counter", COUNTER, "IMMEDIATE");
        writeConcurrently(20);
        Oracle.assertStreamTableMatchesQuery(db, "bands", bands);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "bands");
    }

    /** Before it is compiled, each statement recomputes it, the other writers waiting for that. */
    @Test
    void concurrentWritersBeforeCompilingWaitForTheRecomputations() throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('live_headcount', $$" + HEADCOUNT + "$$, refresh_mode => 'IMMEDIATE')");
        db.execute("SELECT pgtrickle.create_stream_table('live_counter', $$" + COUNTER + "$$, refresh_mode => 'IMMEDIATE')");
        writeConcurrently(15);
    }

    private void writeConcurrently(int statementsPerWriter) throws Exception {
        ConcurrentWriters.run(db, 4, statementsPerWriter, 100, (writer, i, random) -> {
            int id = 1000 + writer * 1000 + i;
            return switch (random.nextInt(5)) {
                case 0 -> "INSERT INTO employees SELECT " + id + " * 10 + g, 'w', (g * " + (1 + random.nextInt(7))
                        + ") % 6, 1 FROM generate_series(0, 4) g";
                case 1 -> "UPDATE employees SET department_id = (department_id + 1) % 6"
                        + " WHERE id % 13 = " + random.nextInt(13) + " AND id > 1000";
                case 2 -> "DELETE FROM employees WHERE id BETWEEN " + (1000 + writer * 1000 + random.nextInt(80)) * 10
                        + " AND " + (1000 + writer * 1000 + random.nextInt(80)) * 10 + " + 9";
                case 3 -> "INSERT INTO orders SELECT " + id + " * 10 + g, 'r' || (g % 3), g FROM generate_series(0, 2) g";
                default -> "UPDATE orders SET amount = amount + 1 WHERE id BETWEEN " + (1000 + writer * 1000) * 10
                        + " AND " + (1000 + writer * 1000 + i) * 10;
            };
        }, () -> {
            Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
            Oracle.assertStreamTableMatchesQuery(db, "live_counter", COUNTER);
        });
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "live_headcount");
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "live_counter");
    }

    /**
     * alter_stream_table switches between a scheduled mode and IMMEDIATE while writers run: the
     * switch waits for the running writers and holds the next ones back until it commits, so no
     * write is lost or applied twice — the oracle holds once the writers stop, after the switch
     * into IMMEDIATE at once, after the switch out of it after one refresh.
     */
    @Test
    void switchingModesWithWritersRunningIsACut() throws Exception {
        createCompiled("live_headcount", HEADCOUNT, "DIFFERENTIAL");
        assertEquals(4, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_capture%'"));
        try (Writers writers = new Writers(3)) {
            writers.awaitStatements(20);
            db.execute("SELECT pgtrickle.alter_stream_table('live_headcount', refresh_mode => 'IMMEDIATE')");
            writers.awaitStatements(20);
        }
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        assertEquals("IMMEDIATE|IMMEDIATE|IMMEDIATE", db.queryString("SELECT refresh_mode || '|' || effective_mode"
                + " || '|' || schedule FROM pgtrickle.pgt_status() WHERE name = 'public.live_headcount'"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_capture%'"),
                "nothing else reads the change buffer");
        assertNull(db.queryString("SELECT frontier::text FROM pgtrickle.pgt_stream_tables"));

        try (Writers writers = new Writers(3)) {
            writers.awaitStatements(20);
            db.execute("SELECT pgtrickle.alter_stream_table('live_headcount', refresh_mode => 'DIFFERENTIAL', schedule => '1h')");
            writers.awaitStatements(20);
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_immediate%'"));
        db.execute("SELECT pgtrickle.refresh_stream_table('live_headcount')");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        assertEquals("DIFFERENTIAL|DIFFERENTIAL|1h", db.queryString("SELECT refresh_mode || '|' || effective_mode"
                + " || '|' || schedule FROM pgtrickle.pgt_status() WHERE name = 'public.live_headcount'"));
        assertEquals("DIFFERENTIAL", db.queryString("SELECT action FROM pgtrickle.pgt_refresh_history ORDER BY refresh_id DESC LIMIT 1"));

        // A query change of an IMMEDIATE stream table, and leaving IMMEDIATE mode for the default schedule.
        db.execute("SELECT pgtrickle.alter_stream_table('live_headcount', refresh_mode => 'IMMEDIATE')");
        String perOrders = "SELECT region, count(*) AS cnt FROM orders GROUP BY region";
        db.execute("SELECT pgtrickle.alter_stream_table('live_headcount', query => $$" + perOrders + "$$)");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'employees'::regclass"));
        db.execute("INSERT INTO orders VALUES (900, 'r9', 1)");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", perOrders);
        db.execute("SELECT pgtrickle.alter_stream_table('live_headcount', schedule => '5m', refresh_mode => 'AUTO')");
        db.execute("INSERT INTO orders VALUES (901, 'r9', 1)");
        db.execute("SELECT pgtrickle.refresh_stream_table('live_headcount')");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", perOrders);
    }

    /** Writers changing employees at random on connections of their own until closed; they must not fail. */
    private final class Writers implements AutoCloseable {

        private final List<Thread> threads = new ArrayList<>();
        private final List<Throwable> errors = new CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicLong statements = new java.util.concurrent.atomic.AtomicLong();
        private volatile boolean stop;

        Writers(int count) {
            for (int w = 0; w < count; w++) {
                int writer = w;
                Thread thread = new Thread(() -> {
                    Random random = new Random(300 + writer);
                    try (Connection c = db.connect(); Statement s = c.createStatement()) {
                        while (!stop) {
                            int id = 5000 + writer * 100000 + random.nextInt(300);
                            s.execute(switch (random.nextInt(3)) {
                                case 0 -> "INSERT INTO employees VALUES (" + id + ", 'w', " + random.nextInt(6)
                                        + ", 1) ON CONFLICT DO NOTHING";
                                case 1 -> "UPDATE employees SET department_id = " + random.nextInt(6) + " WHERE id = " + id;
                                default -> "DELETE FROM employees WHERE id = " + id;
                            });
                            statements.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, "writer-" + w);
                threads.add(thread);
                thread.start();
            }
        }

        /** Until {@code more} further statements have run. */
        void awaitStatements(long more) throws InterruptedException {
            long target = statements.get() + more;
            while (statements.get() < target && errors.isEmpty()) {
                Thread.sleep(10);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            for (Thread thread : threads) {
                thread.join();
            }
            assertTrue(errors.isEmpty(), () -> "writer errors: " + errors);
        }
    }

    /**
     * A published IMMEDIATE stream table whose plan cannot be applied inside the statements (a
     * recursive query: recomputed at each) rewrites only the rows that changed, as a FULL refresh does.
     */
    @Test
    void aPublishedOneRecomputedChangesOnlyWhatDiffers() throws Exception {
        createCompiled("tree", TREE_NAMES, "IMMEDIATE");
        db.execute("SELECT pgtrickle.stream_table_to_publication('tree')");
        String rows = "SELECT string_agg(id || ':' || xmin, ',' ORDER BY id) FROM tree";
        String before = db.queryString(rows);
        db.execute("INSERT INTO employees VALUES (700, 'p', 3, 1)");
        Oracle.assertStreamTableMatchesQuery(db, "tree", TREE_NAMES);
        assertEquals(before, db.queryString(rows), "the top rows, unchanged, were not rewritten");
    }

    /**
     * Partitioned and inheritance sources: statements naming the parent or a partition or child
     * directly, rows moving between partitions, a partition truncated; a partition attached later
     * (its rows came without a statement) is picked up by the daemon's repair.
     */
    @Test
    void partitionedAndInheritedSourcesAreMaintainedThroughEveryTable() throws Exception {
        db.execute("CREATE TABLE sales (id int, region int, amount int) PARTITION BY RANGE (id)");
        db.execute("CREATE TABLE sales_1 PARTITION OF sales FOR VALUES FROM (0) TO (1000)");
        db.execute("CREATE TABLE sales_2 PARTITION OF sales FOR VALUES FROM (1000) TO (2000)");
        db.execute("INSERT INTO sales SELECT g * 20, g % 5, g FROM generate_series(1, 90) g");
        String perRegion = "SELECT region, count(*) AS n, sum(amount) AS total FROM sales GROUP BY region";
        db.execute("CREATE TABLE base (id int, v int)");
        db.execute("CREATE TABLE child (extra text) INHERITS (base)");
        db.execute("INSERT INTO base SELECT g, g % 3 FROM generate_series(1, 10) g");
        db.execute("INSERT INTO child SELECT g, g % 4, 'x' FROM generate_series(11, 20) g");
        String perValue = "SELECT v, count(*) AS n FROM base GROUP BY v";
        try {
            createCompiled("per_region", perRegion, "IMMEDIATE");
            createCompiled("per_value", perValue, "IMMEDIATE");
            for (String sql : List.of(
                    "INSERT INTO sales VALUES (5, 9, 1), (1500, 9, 2)",
                    "INSERT INTO sales_2 VALUES (1600, 8, 3)",
                    "UPDATE sales SET id = id + 1000, region = 7 WHERE id < 200",
                    "DELETE FROM sales_1 WHERE region = 2",
                    "UPDATE sales_2 SET amount = amount * 2 WHERE region = 7",
                    "TRUNCATE sales_2",
                    "INSERT INTO sales SELECT g, g % 3, 1 FROM generate_series(1000, 1010) g")) {
                db.execute(sql);
                Oracle.assertStreamTableMatchesQuery(db, "per_region", perRegion);
            }
            for (String sql : List.of(
                    "INSERT INTO child VALUES (30, 9, 'y')",
                    "UPDATE base SET v = v + 10 WHERE id % 2 = 0",
                    "DELETE FROM child WHERE v = 9",
                    "DELETE FROM ONLY base WHERE id < 4",
                    "TRUNCATE child")) {
                db.execute(sql);
                Oracle.assertStreamTableMatchesQuery(db, "per_value", perValue);
            }
            DifferentialRefreshTest.assertHiddenMultiplicities(db, "per_region");

            try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
                db.execute("CREATE TABLE sales_3 (id int, region int, amount int)");
                db.execute("INSERT INTO sales_3 SELECT g, 4, 1 FROM generate_series(2000, 2009) g");
                db.execute("ALTER TABLE sales ATTACH PARTITION sales_3 FOR VALUES FROM (2000) TO (3000)");
                Eventually.await("the attached partition's rows in the stream table", () -> db.queryLong(
                        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'sales_3'::regclass AND tgname LIKE 'pgtrickle_immediate%'") > 0);
                db.execute("INSERT INTO sales_3 VALUES (2500, 4, 5)");
                Oracle.assertStreamTableMatchesQuery(db, "per_region", perRegion);
            }
        } finally {
            Teardown.dropStreamTables(db);
            db.execute("DROP TABLE IF EXISTS sales, child, base");
        }
    }

    @Test
    void aWriterWithoutRightsOnTheStreamTableMaintainsIt() throws Exception {
        db.createRole("imm_owner", "pw", "LOGIN", "NOSUPERUSER");
        db.createRole("imm_writer", "pw", "LOGIN", "NOSUPERUSER");
        db.execute("GRANT CREATE ON SCHEMA public TO imm_owner");
        db.execute("ALTER TABLE employees OWNER TO imm_owner");
        db.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON employees TO imm_writer");
        try (Connection owner = db.connectAs("imm_owner", "pw"); Statement s = owner.createStatement()) {
            s.execute("SELECT pgtrickle.create_stream_table('live_headcount', $$" + HEADCOUNT + "$$, refresh_mode => 'IMMEDIATE')");
        }
        try (Connection writer = db.connectAs("imm_writer", "pw"); Statement s = writer.createStatement()) {
            s.execute("INSERT INTO employees VALUES (500, 'w', 2, 1)");
            s.execute("DELETE FROM employees WHERE department_id = 4");
            assertThrows(SQLException.class, () -> s.execute("DELETE FROM live_headcount"),
                    "the writer has no rights on the stream table itself");
        }
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
        try (Connection owner = db.connectAs("imm_owner", "pw"); Statement s = owner.createStatement()) {
            s.execute("SELECT pgtrickle.drop_stream_table('live_headcount')");
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_immediate%'"));
        db.execute("REVOKE CREATE ON SCHEMA public FROM imm_owner");
    }

    @Test
    void whatCannotBeMaintainedInsideTheStatementIsRefusedWithTheReason() throws Exception {
        assertRefused("SELECT id FROM employees WHERE salary > random()", "IMMEDIATE",
                "its result can change while no statement changes its source");
        SQLException schedule = assertThrows(SQLException.class, () -> db.execute(
                "SELECT pgtrickle.create_stream_table('s', $$" + HEADCOUNT + "$$, schedule => '5s', refresh_mode => 'IMMEDIATE')"));
        assertTrue(schedule.getMessage().contains("has no schedule"), schedule.getMessage());
        SQLException full = assertThrows(SQLException.class, () -> db.execute(
                "SELECT pgtrickle.create_stream_table('s', $$" + HEADCOUNT + "$$, schedule => 'IMMEDIATE', refresh_mode => 'FULL')"));
        assertTrue(full.getMessage().contains("refresh_mode FULL cannot"), full.getMessage());
        SQLException uninitialized = assertThrows(SQLException.class, () -> db.execute(
                "SELECT pgtrickle.create_stream_table('s', $$" + HEADCOUNT + "$$, refresh_mode => 'IMMEDIATE', initialize => false)"));
        assertTrue(uninitialized.getMessage().contains("without being initialized"), uninitialized.getMessage());

        db.execute("SELECT pgtrickle.create_stream_table('scheduled', $$" + HEADCOUNT + "$$, schedule => '1m')");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            SQLException into = assertThrows(SQLException.class, () -> s.execute(
                    "SELECT pgtrickle.alter_stream_table('scheduled', refresh_mode => 'IMMEDIATE')"));
            assertEquals("25000", into.getSQLState(), into::getMessage);
            assertTrue(into.getMessage().contains("runs at READ COMMITTED"), into.getMessage());
            c.rollback();
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE refresh_mode = 'IMMEDIATE'"));

        // A query that is not differentiable: recomputed at every statement, and it says so.
        db.execute("SELECT pgtrickle.create_stream_table('median', $$" + MEDIAN + "$$, refresh_mode => 'IMMEDIATE')");
        assertEquals(CompileResult.Outcome.UNSUPPORTED, DifferentialRefreshTest.compile(db, "median").outcome());
        String reason = db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.median'");
        assertTrue(reason.startsWith("recomputed at every statement on its source: not differentiable: "), reason);
        db.execute("INSERT INTO employees SELECT g, 'h', g % 3, g FROM generate_series(700, 720) g");
        Oracle.assertStreamTableMatchesQuery(db, "median", MEDIAN);
    }

    /** The CLI compiles at creation, so it refuses what the plan cannot maintain inside the statements. */
    @Test
    void theCliCreatesItCompiledOrNotAtAll() throws Exception {
        CliRun created = CliRun.against(db, "create", "live_headcount", HEADCOUNT, "--refresh-mode", "IMMEDIATE").expectExit(0);
        CliRun.assertContains(created.out(), "stream table live_headcount created");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status()"));
        db.execute("DELETE FROM employees WHERE department_id = 2");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);

        CliRun refused = CliRun.against(db, "create", "median", MEDIAN, "--refresh-mode", "IMMEDIATE")
                .expectExit(1).assertNoStackTrace();
        CliRun.assertContains(refused.err(), "cannot be IMMEDIATE: ", "nothing was created");
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables"));

        // One whose writers take turns says why, under the status table.
        CliRun.against(db, "create", "tree_names", TREE_NAMES, "--refresh-mode", "IMMEDIATE").expectExit(0);
        CliRun status = CliRun.against(db, "status").expectExit(0);
        CliRun.assertContains(status.out(), "REFRESHED because:\n  public.tree_names: writers of its sources take turns: "
                + "the rows of a recursive query depend on other rows of its tables\n");
        assertFalse(status.out().contains("live_headcount:"), status.out());
    }

    @Test
    void dropRemovesItsTriggersAndFunctionAndLeavesOtherReadersCapture() throws Exception {
        createCompiled("live_headcount", HEADCOUNT, "IMMEDIATE");
        db.execute("SELECT pgtrickle.create_stream_table('scheduled', $$" + HEADCOUNT + "$$, schedule => '1m')");
        assertEquals(4, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_immediate%'"));
        assertEquals(4, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_capture%'"));
        db.execute("SELECT pgtrickle.drop_stream_table('live_headcount')");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_immediate%'"));
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_proc WHERE proname LIKE 'pgt\\_immediate\\_%'"));
        assertEquals(4, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_capture%'"));

        createCompiled("live_headcount", HEADCOUNT, "IMMEDIATE");
        db.execute("SELECT pgtrickle.drop_stream_table('scheduled')");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_capture%'"),
                "the last scheduled reader takes capture along");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"));
        db.execute("INSERT INTO employees VALUES (900, 'z', 1, 1)");
        Oracle.assertStreamTableMatchesQuery(db, "live_headcount", HEADCOUNT);
    }

    private void createCompiled(String name, String query, String mode) throws SQLException {
        db.execute("SELECT pgtrickle.create_stream_table('" + name + "', $$" + query + "$$, refresh_mode => '" + mode + "')");
        CompileResult compiled = DifferentialRefreshTest.compile(db, name);
        assertEquals(CompileResult.Outcome.COMPILED, compiled.outcome(), compiled::describe);
        Oracle.assertStreamTableMatchesQuery(db, name, query);
    }

    private void assertRefused(String query, String mode, String expected) {
        SQLException e = assertThrows(SQLException.class, () -> db.execute(
                "SELECT pgtrickle.create_stream_table('refused', $$" + query + "$$, refresh_mode => '" + mode + "')"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /** {@code count} random statements on employees, the oracle after each. */
    private static void randomStatements(TestDatabase db, String name, String query, Random random, int count)
            throws SQLException {
        for (int i = 0; i < count; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, name, query);
        }
    }

    /** One random statement on employees: inserts with NULLs and duplicates, key-changing updates, deletes emptying groups. */
    private static void statement(TestDatabase db, Random random) throws SQLException {
        int id = random.nextInt(120);
        String department = random.nextInt(6) == 0 ? "NULL" : String.valueOf(random.nextInt(6));
        switch (random.nextInt(6)) {
            case 0 -> db.execute("INSERT INTO employees VALUES (" + (1000 + random.nextInt(100000)) + ", 'n', "
                    + department + ", " + random.nextInt(300) + ") ON CONFLICT DO NOTHING");
            case 1 -> db.execute("UPDATE employees SET department_id = " + department + " WHERE id = " + id);
            case 2 -> db.execute("UPDATE employees SET id = id + 100000 WHERE id = " + id);
            case 3 -> db.execute("DELETE FROM employees WHERE department_id IS NOT DISTINCT FROM " + department);
            case 4 -> db.execute("UPDATE employees SET salary = salary + 50 WHERE id % 3 = " + random.nextInt(3));
            default -> db.execute("INSERT INTO employees SELECT 2000 + g + " + random.nextInt(100000) + ", 'd', "
                    + department + ", 10 FROM generate_series(1, 3) g ON CONFLICT DO NOTHING");
        }
    }
}
