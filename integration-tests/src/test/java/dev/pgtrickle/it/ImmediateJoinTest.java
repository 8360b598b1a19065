package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * IMMEDIATE mode over joins: the reference documentation's {@code order_view} (CQRS) exact after
 * every statement on any of its four tables, compiled or not; writers of different tables whose
 * changes meet in the join running at once; statements run inside other statements (a cascading
 * foreign key, a writable CTE changing two tables).
 */
@PostgresTest
class ImmediateJoinTest {

    /** The reference documentation's order_view, as it writes it. */
    private static final String ORDER_VIEW = """
            SELECT o.id, o.placed_at, c.name AS customer,
                   p.status AS payment_status,
                   COALESCE(s.shipped_at, NULL) AS shipped_at
              FROM orders o
              JOIN customers c ON c.id = o.customer_id
              LEFT JOIN payments p ON p.order_id = o.id
              LEFT JOIN shipments s ON s.order_id = o.id""";

    private final TestDatabase db;

    ImmediateJoinTest(TestDatabase db) {
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
        db.execute("CREATE TABLE customers (id int PRIMARY KEY, name text)");
        db.execute("INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 20) g");
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, placed_at timestamptz, customer_id int)");
        db.execute("INSERT INTO orders SELECT g, timestamptz '2026-01-01' + g * interval '1 hour',"
                + " CASE WHEN g % 9 = 0 THEN NULL ELSE g % 23 END FROM generate_series(1, 60) g");
        db.execute("CREATE TABLE payments (id serial PRIMARY KEY, order_id int, status text)");
        db.execute("INSERT INTO payments (order_id, status) SELECT g % 50, CASE WHEN g % 4 = 0 THEN NULL ELSE 'paid' END"
                + " FROM generate_series(1, 70) g");
        db.execute("CREATE TABLE shipments (id serial PRIMARY KEY, order_id int, shipped_at timestamptz)");
        db.execute("INSERT INTO shipments (order_id, shipped_at) SELECT g * 2, timestamptz '2026-02-01' + g * interval '1 day'"
                + " FROM generate_series(1, 25) g");
    }

    @AfterEach
    void dropAll() throws SQLException {
        Teardown.dropStreamTables(db);
        db.execute("DROP TABLE IF EXISTS shipments, payments, orders, customers");
    }

    @Test
    void orderViewRunsAsTheReferenceWritesItBeforeAndAfterCompiling() throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('order_view', $$" + ORDER_VIEW + "$$, refresh_mode => 'IMMEDIATE')");
        assertEquals(16, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_immediate%'"),
                "four triggers on each of the four tables");
        Random random = new Random(11);
        for (int i = 0; i < 12; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        }

        compile("order_view");
        assertEquals(20, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrickle_immediate%'"),
                "and one counting the running statements on each");
        for (int i = 0; i < 120; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        }
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "order_view");

        // Later statements of a transaction read what the earlier ones did; a savepoint rolls back with them.
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("INSERT INTO customers VALUES (500, 'new customer')");
            s.execute("INSERT INTO orders VALUES (500, now(), 500)");
            assertEquals(1, count(s, "SELECT count(*) FROM order_view WHERE customer = 'new customer'"));
            s.execute("SAVEPOINT a");
            s.execute("UPDATE customers SET name = 'renamed' WHERE id = 500");
            s.execute("INSERT INTO payments (order_id, status) VALUES (500, 'paid'), (500, 'refunded')");
            assertEquals(2, count(s, "SELECT count(*) FROM order_view WHERE customer = 'renamed'"));
            s.execute("ROLLBACK TO SAVEPOINT a");
            assertEquals(1, count(s, "SELECT count(*) FROM order_view WHERE customer = 'new customer'"));
            c.commit();
        }
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        db.execute("TRUNCATE payments");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
    }

    /**
     * A statement run inside another (a cascading foreign key's DELETE, the second table of a
     * writable CTE) fires its trigger while the other's changes are in the tables but not yet in
     * the stream table: both recompute, and the statements after them apply their deltas again.
     * Each such recomputation is a fallback the status and the health check show.
     */
    @Test
    void statementsInsideOtherStatementsRecompute() throws Exception {
        db.execute("DELETE FROM payments WHERE order_id NOT IN (SELECT id FROM orders)");
        db.execute("ALTER TABLE payments ADD FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE");
        db.execute("SELECT pgtrickle.create_stream_table('order_view', $$" + ORDER_VIEW + "$$, refresh_mode => 'IMMEDIATE')");
        compile("order_view");
        db.execute("UPDATE orders SET placed_at = now() WHERE id = 1");
        assertNull(db.queryString("SELECT last_fallback_reason FROM pgtrickle.pgt_status()"), "a plain statement");

        db.execute("DELETE FROM orders WHERE id % 5 = 1");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        assertEquals("a statement ran inside another statement on its sources (a cascading foreign key, a trigger, a"
                + " writable CTE): recomputed instead of applying its changes",
                db.queryString("SELECT last_fallback_reason FROM pgtrickle.pgt_status()"));
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE fallback"
                + " AND initiated_by = 'IMMEDIATE'"), "one fallback for the statement and its cascade");
        assertTrue(db.queryString("SELECT detail FROM pgtrickle.health_check() WHERE check_name = 'differential_fallbacks'")
                .startsWith("public.order_view: 1 refresh(es) fell back to FULL within the last hour"));
        db.execute("WITH c AS (INSERT INTO customers VALUES (300, 'cte') RETURNING id)"
                + " INSERT INTO orders SELECT 300, now(), id FROM c");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        db.execute("WITH o AS (UPDATE orders SET customer_id = 2 WHERE id = 300 RETURNING id)"
                + " UPDATE customers SET name = 'moved' WHERE id = 2");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("DELETE FROM orders WHERE id = 2");
            s.execute("INSERT INTO payments (order_id, status) VALUES (3, 'late')");
            assertEquals(count(s, "SELECT count(*) FROM (" + ORDER_VIEW + ") q"), count(s, "SELECT count(*) FROM order_view"));
            c.commit();
        }
        db.execute("UPDATE customers SET name = 'after' WHERE id = 3");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        db.execute("DELETE FROM payments WHERE order_id = 4");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
    }

    /**
     * Writers of different tables whose changes meet in the join (a customer renamed while an
     * order of theirs is placed, a customer added while an order naming them is) wait for each
     * other through the stamps of the join keys: nothing is lost. READ COMMITTED writers are never
     * refused; REPEATABLE READ ones may be told to retry (40001).
     */
    @Test
    void concurrentWritersOfJoinedTablesLoseNothing() throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('order_view', $$" + ORDER_VIEW + "$$, refresh_mode => 'IMMEDIATE')");
        compile("order_view");
        ConcurrentWriters.run(db, 4, 60, 200, (writer, i, random) -> {
            int customer = 1 + random.nextInt(30);
            int order = 1 + random.nextInt(70);
            return switch (random.nextInt(7)) {
                case 0 -> "UPDATE customers SET name = name || '" + writer + "' WHERE id = " + customer;
                case 1 -> "INSERT INTO customers VALUES (" + customer + ", 'w" + writer + "') ON CONFLICT DO NOTHING";
                case 2 -> "DELETE FROM customers WHERE id = " + customer;
                case 3 -> "INSERT INTO orders VALUES (" + (1000 * (writer + 1) + i) + ", now(), " + customer + ")";
                case 4 -> "UPDATE orders SET customer_id = " + customer + " WHERE id = " + order;
                case 5 -> "INSERT INTO payments (order_id, status) VALUES (" + order + ", 'p" + writer + "')";
                default -> "DELETE FROM shipments WHERE order_id = " + order
                        + "; INSERT INTO shipments (order_id, shipped_at) VALUES (" + order + ", now())";
            };
        }, () -> Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW));
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "order_view");
        assertTrue(db.queryLong("SELECT count(*) FROM pgtrickle.immediate_stamps") > 0, "the writers stamped join keys");
    }

    /**
     * The races a join invites, one by one: a customer added while an uncommitted order names them
     * (neither statement sees the other's row), and a customer renamed while an order of theirs is
     * placed. At READ COMMITTED the second writer waits for the first's stamp and then sees its
     * row; at REPEATABLE READ, where it cannot see it, it is told to retry.
     */
    @Test
    void writersWhoseChangesMeetInTheJoinWaitForEachOther() throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('order_view', $$" + ORDER_VIEW + "$$, refresh_mode => 'IMMEDIATE')");
        compile("order_view");
        LockWaits.secondWaitsForFirst(db, "INSERT INTO orders VALUES (900, now(), 501)", "INSERT INTO customers VALUES (501, 'late')");
        assertEquals("late", db.queryString("SELECT customer FROM order_view WHERE id = 900"));
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);

        LockWaits.secondWaitsForFirst(db, "UPDATE customers SET name = 'renamed' WHERE id = 501", "INSERT INTO orders VALUES (901, now(), 501)");
        assertEquals(2, db.queryLong("SELECT count(*) FROM order_view WHERE customer = 'renamed'"));
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);

        LockWaits.laterSnapshotMustRetry(db, "INSERT INTO orders VALUES (902, now(), 502)",
                "INSERT INTO customers VALUES (502, 'x')");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
    }

    /**
     * A join on the group key of an aggregate inside the query: the key is followed into the
     * grouped table, so a customer added while an uncommitted order names them waits for it, as
     * does a second order of one customer, while orders of other customers go on side by side.
     */
    @Test
    void writersMeetingThroughAGroupKeyWaitAndOthersGoOn() throws Exception {
        String counts = "SELECT c.id, c.name, s.n FROM customers c JOIN (SELECT customer_id, count(*) AS n FROM orders"
                + " GROUP BY customer_id) s ON s.customer_id = c.id";
        db.execute("SELECT pgtrickle.create_stream_table('order_counts', $$" + counts + "$$, refresh_mode => 'IMMEDIATE')");
        compile("order_counts");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.order_counts'"));
        LockWaits.secondWaitsForFirst(db, "INSERT INTO orders VALUES (960, now(), 700)", "INSERT INTO customers VALUES (700, 'late')");
        assertEquals(1, db.queryLong("SELECT n FROM order_counts WHERE id = 700"));
        LockWaits.secondWaitsForFirst(db, "INSERT INTO orders VALUES (961, now(), 3)", "INSERT INTO orders VALUES (962, now(), 3)");
        LockWaits.secondGoesOnBesideFirst(db, "INSERT INTO orders VALUES (963, now(), 4)",
                "INSERT INTO orders VALUES (964, now(), 5)");
        Oracle.assertStreamTableMatchesQuery(db, "order_counts", counts);
        Random random = new Random(29);
        for (int i = 0; i < 40; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "order_counts", counts);
        }
    }

    /** The same race through an EXISTS subquery: its correlation is a join's equality like any other. */
    @Test
    void writersMeetingThroughASubqueryWaitForEachOther() throws Exception {
        String buyers = "SELECT c.id, c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)";
        db.execute("SELECT pgtrickle.create_stream_table('buyers', $$" + buyers + "$$, refresh_mode => 'IMMEDIATE')");
        compile("buyers");
        assertEquals(null, db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.buyers'"));
        LockWaits.secondWaitsForFirst(db, "INSERT INTO customers VALUES (600, 'first-time buyer')", "INSERT INTO orders VALUES (950, now(), 600)");
        assertEquals("first-time buyer", db.queryString("SELECT name FROM buyers WHERE id = 600"));
        Random random = new Random(23);
        for (int i = 0; i < 40; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "buyers", buyers);
        }
    }

    /**
     * Stream tables over stream tables: an IMMEDIATE one over an IMMEDIATE one is maintained in
     * the same statement (the upstream's MERGE fires its triggers), a scheduled one over an
     * IMMEDIATE one through capture, and an IMMEDIATE one over a scheduled one by its refreshes.
     */
    @Test
    void cascadesThroughStreamTablesOfEveryMode() throws Exception {
        String perCustomer = "SELECT customer, count(*) AS n, count(payment_status) AS paid FROM order_view GROUP BY customer";
        String paid = "SELECT id, customer FROM order_view WHERE payment_status IS NOT NULL";
        String perOrder = "SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id";
        String busy = "SELECT b.customer_id, b.n, c.name FROM per_order b JOIN customers c ON c.id = b.customer_id WHERE b.n > 2";
        db.execute("SELECT pgtrickle.create_stream_table('order_view', $$" + ORDER_VIEW + "$$, refresh_mode => 'IMMEDIATE')");
        db.execute("SELECT pgtrickle.create_stream_table('per_customer', $$" + perCustomer + "$$, refresh_mode => 'IMMEDIATE')");
        db.execute("SELECT pgtrickle.create_stream_table('paid', $$" + paid + "$$, schedule => '1h', refresh_mode => 'DIFFERENTIAL')");
        db.execute("SELECT pgtrickle.create_stream_table('per_order', $$" + perOrder + "$$, schedule => '1h', refresh_mode => 'DIFFERENTIAL')");
        db.execute("SELECT pgtrickle.create_stream_table('busy', $$" + busy + "$$, refresh_mode => 'IMMEDIATE')");
        for (String name : List.of("order_view", "per_customer", "paid", "per_order", "busy")) {
            compile(name);
        }
        Random random = new Random(17);
        for (int i = 0; i < 60; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
            Oracle.assertStreamTableMatchesQuery(db, "per_customer", perCustomer);
            if (i % 10 == 9) {
                db.execute("SELECT pgtrickle.refresh_stream_table('paid')");
                db.execute("SELECT pgtrickle.refresh_stream_table('per_order')");
                Oracle.assertStreamTableMatchesQuery(db, "paid", paid);
                Oracle.assertStreamTableMatchesQuery(db, "per_order", perOrder);
                Oracle.assertStreamTableMatchesQuery(db, "busy", busy);
            }
        }
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "per_customer");
        db.execute("TRUNCATE customers");
        Oracle.assertStreamTableMatchesQuery(db, "per_customer", perCustomer);
        db.execute("SELECT pgtrickle.refresh_stream_table('per_order')");
        Oracle.assertStreamTableMatchesQuery(db, "busy", busy);
        db.execute("SELECT pgtrickle.drop_stream_table('order_view', cascade => true)");
        db.execute("INSERT INTO customers VALUES (7, 'after the drop')");
        assertEquals("busy,per_order", db.queryString("SELECT string_agg(pgt_name, ',' ORDER BY pgt_name) FROM pgtrickle.pgt_stream_tables"),
                "the stream tables over order_view went with it");
    }

    /** Source DDL: an added column changes nothing; a renamed one is repaired by the daemon as for the other modes. */
    @Test
    void sourceDdlIsRepairedByTheDaemon() throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('order_view', $$" + ORDER_VIEW + "$$, refresh_mode => 'IMMEDIATE')");
        compile("order_view");
        db.execute("ALTER TABLE payments ADD COLUMN note text");
        db.execute("INSERT INTO payments (order_id, status, note) VALUES (5, 'paid', 'n')");
        Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW);
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            db.execute("ALTER TABLE customers RENAME COLUMN name TO full_name");
            Eventually.await("writes to the renamed source to work again", () -> {
                try {
                    db.execute("UPDATE customers SET full_name = full_name || '!' WHERE id = 3");
                    return true;
                } catch (SQLException stale) {
                    return false;
                }
            });
            db.execute("INSERT INTO orders VALUES (700, now(), 3)");
            db.execute("DELETE FROM payments WHERE order_id = 4");
            Oracle.assertStreamTableMatchesQuery(db, "order_view", ORDER_VIEW.replace("c.name AS customer", "c.full_name AS customer"));
            assertEquals("IMMEDIATE", db.queryString("SELECT effective_mode FROM pgtrickle.pgt_status()"));
        }
    }

    /**
     * A join on no equality has no key telling where two writers' changes meet: the writers of
     * orders (whose rows reach the result each on its own) go on side by side, and those of
     * customers take turns with them and with each other, each seeing what the others committed —
     * or, at REPEATABLE READ, told to retry where its snapshot cannot.
     */
    @Test
    void aJoinWithoutAnEqualityLetsTheWritersOfOneTableGoOnSideBySide() throws Exception {
        String theta = "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id < o.customer_id";
        CliRun created = CliRun.against(db, "create", "theta", theta, "--refresh-mode", "IMMEDIATE").expectExit(0);
        CliRun.assertContains(created.out(), "stream table theta created");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.theta'"));
        assertEquals("concurrent writers: those of public.orders go on side by side; those of public.customers take turns"
                + " with them and with each other", db.queryString("SELECT line FROM pgtrickle.explain_stream_table('theta')"
                        + " AS line WHERE line LIKE 'concurrent writers:%'"));
        LockWaits.secondGoesOnBesideFirst(db, "INSERT INTO orders VALUES (911, now(), 7)",
                "INSERT INTO orders VALUES (912, now(), 1000)");
        LockWaits.secondWaitsForFirst(db, "INSERT INTO orders VALUES (910, now(), 1000)", "INSERT INTO customers VALUES (999, 'between')");
        assertEquals(1, db.queryLong("SELECT count(*) FROM theta WHERE id = 910 AND name = 'between'"));
        LockWaits.secondWaitsForFirst(db, "INSERT INTO customers VALUES (998, 'before')", "INSERT INTO orders VALUES (913, now(), 1000)");
        assertEquals(1, db.queryLong("SELECT count(*) FROM theta WHERE id = 913 AND name = 'before'"));
        LockWaits.secondWaitsForFirst(db, "UPDATE customers SET name = 'x' WHERE id = 998", "UPDATE customers SET name = 'y' WHERE id = 999");
        Oracle.assertStreamTableMatchesQuery(db, "theta", theta);
        LockWaits.laterSnapshotMustRetry(db, "INSERT INTO customers VALUES (997, 'late')", "INSERT INTO orders VALUES (914, now(), 1000)");
        LockWaits.laterSnapshotMustRetry(db, "INSERT INTO orders VALUES (915, now(), 1000)", "INSERT INTO customers VALUES (996, 'later')");
        Oracle.assertStreamTableMatchesQuery(db, "theta", theta);
        Random random = new Random(29);
        for (int i = 0; i < 30; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, "theta", theta);
        }
        ConcurrentWriters.run(db, 4, 40, 100, (writer, i, rnd) -> switch (rnd.nextInt(5)) {
            case 0 -> "INSERT INTO customers VALUES (" + (2000 + 100 * writer + i) + ", 'w" + writer + "')";
            case 1 -> "UPDATE customers SET id = id + 5000 WHERE id = " + (1 + rnd.nextInt(40));
            case 2 -> "DELETE FROM orders WHERE id = " + (1 + rnd.nextInt(70));
            case 3 -> "UPDATE orders SET customer_id = " + rnd.nextInt(60) + " WHERE id = " + (1 + rnd.nextInt(70));
            default -> "INSERT INTO orders VALUES (" + (3000 + 100 * writer + i) + ", now(), " + rnd.nextInt(60) + ")";
        }, () -> Oracle.assertStreamTableMatchesQuery(db, "theta", theta));
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "theta");
        // Written the other way round, once orders is the larger table: still orders' writers.
        db.execute("INSERT INTO orders SELECT 10000 + i, now(), i % 50 FROM generate_series(1, 2000) AS i");
        String flipped = "SELECT o.id, c.name FROM customers c JOIN orders o ON c.id < o.customer_id";
        CliRun.against(db, "create", "theta_flipped", flipped, "--refresh-mode", "IMMEDIATE").expectExit(0);
        assertEquals("concurrent writers: those of public.orders go on side by side; those of public.customers take"
                + " turns with them and with each other", db.queryString("SELECT line FROM"
                        + " pgtrickle.explain_stream_table('theta_flipped') AS line WHERE line LIKE 'concurrent writers:%'"));
        LockWaits.secondGoesOnBesideFirst(db, "INSERT INTO orders VALUES (916, now(), 7)",
                "INSERT INTO orders VALUES (917, now(), 1000)");
        Oracle.assertStreamTableMatchesQuery(db, "theta_flipped", flipped);
    }

    /**
     * An uncorrelated scalar subquery has no key telling where two writers' changes meet: the
     * writers of orders, which it compares with one value, go on side by side, those of its other
     * sources take turns with them; each statement leaves the stream table equal to its query —
     * autocommit, and inside a transaction whose savepoint is rolled back.
     */
    @Test
    void scalarSubqueriesLetTheWritersOfTheOuterTableGoOnSideBySide() throws Exception {
        String query = "SELECT o.id, (SELECT count(*) FROM payments p WHERE p.order_id = o.id) AS payments FROM orders o"
                + " WHERE o.customer_id > (SELECT min(id) FROM customers)";
        db.execute("SELECT pgtrickle.create_stream_table('turns', $$" + query + "$$, refresh_mode => 'IMMEDIATE')");
        compile("turns");
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.turns'"));
        LockWaits.secondWaitsForFirst(db, "INSERT INTO payments (order_id, status) VALUES (3, 'turn')",
                "INSERT INTO customers VALUES (0, 'first')");
        LockWaits.secondWaitsForFirst(db, "INSERT INTO payments (order_id, status) VALUES (4, 'turn')",
                "INSERT INTO orders VALUES (920, now(), 3)");
        LockWaits.secondGoesOnBesideFirst(db, "INSERT INTO orders VALUES (921, now(), 4)",
                "UPDATE orders SET customer_id = 5 WHERE id = 3");
        randomStatementsAndATransaction("turns", query);
    }

    /**
     * A set-returning function's rows follow from its input's row: over a join, its writers meet
     * where the join's keys say, as without it.
     */
    @Test
    void aSetReturningFunctionOverAJoinStampsTheJoinKeys() throws Exception {
        String query = "SELECT o.id, c.name, w.part FROM customers c CROSS JOIN LATERAL string_to_table(c.name, 'c') AS w(part)"
                + " JOIN orders o ON o.customer_id = c.id";
        createStamped("parts", query);
        LockWaits.secondWaitsForFirst(db, "INSERT INTO orders VALUES (950, now(), 3)", "UPDATE customers SET name = 'c3c3' WHERE id = 3");
        LockWaits.secondGoesOnBesideFirst(db, "INSERT INTO orders VALUES (951, now(), 4)", "UPDATE customers SET name = 'c5c' WHERE id = 5");
        randomStatementsAndATransaction("parts", query);
    }

    /**
     * A set operation counts a value on both sides: writers of one value wait for each other (the
     * later one, at READ COMMITTED, then counts what the earlier committed; at REPEATABLE READ it
     * is told to retry), writers of different values go on side by side. Each statement leaves
     * the stream table equal to its query — autocommit, and inside a transaction whose savepoint
     * is rolled back.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "SELECT customer_id AS id FROM orders UNION SELECT id FROM customers"
                + " | INSERT INTO orders VALUES (920, now(), 77) | INSERT INTO customers VALUES (77, 'same')"
                + " | INSERT INTO customers VALUES (78, 'other')",
        "SELECT id FROM customers EXCEPT ALL SELECT customer_id FROM orders"
                + " | DELETE FROM orders WHERE customer_id = 4 | UPDATE customers SET id = 40 WHERE id = 4"
                + " | DELETE FROM orders WHERE customer_id = 5",
        "SELECT order_id FROM payments INTERSECT SELECT order_id FROM shipments"
                + " | INSERT INTO shipments (order_id) VALUES (7) | INSERT INTO payments (order_id) VALUES (7)"
                + " | INSERT INTO payments (order_id) VALUES (9)",
    })
    void setOperationsStampTheValuesTheirWritersTouch(String query, String first, String meeting, String beside)
            throws Exception {
        createStamped("values_st", query);
        LockWaits.secondWaitsForFirst(db, first, meeting);
        Oracle.assertStreamTableMatchesQuery(db, "values_st", query);
        LockWaits.secondGoesOnBesideFirst(db, "INSERT INTO orders VALUES (921, now(), 66), (922, now(), 11)"
                + "; INSERT INTO customers VALUES (66, 'taken') ON CONFLICT DO NOTHING"
                + "; INSERT INTO payments (order_id) VALUES (66); INSERT INTO shipments (order_id) VALUES (66)", beside);
        Oracle.assertStreamTableMatchesQuery(db, "values_st", query);
        LockWaits.laterSnapshotMustRetry(db, "INSERT INTO customers VALUES (88, 'x'); INSERT INTO payments (order_id)"
                + " VALUES (88); DELETE FROM orders WHERE customer_id = 8",
                "INSERT INTO orders VALUES (940, now(), 88), (941, now(), 8); INSERT INTO shipments (order_id) VALUES (88)",
                "INSERT INTO orders VALUES (942, now(), 89)");
        randomStatementsAndATransaction("values_st", query);
    }

    /**
     * Writers meeting in a key of the query wait for each other (at REPEATABLE READ the later one
     * is told to retry), writers of other keys go on, and the oracle holds after random statements:
     * a correlated scalar subquery, followed like a join on its group (an order and its payments); a
     * LATERAL subquery picking each customer's latest orders (a customer and their orders); a join on
     * a set operation's column, followed into each side's table; groups inside the query keyed by an
     * expression (its value stamps the group, hashed as the type the server infers); a grouping of
     * such groups (stamped by the column of the table its key is); sibling subqueries reading one
     * table under one alias (as PostgreSQL prints them when the query does), each followed from its
     * own correlation; a table function as a FROM item of its own, which gives every writer the same
     * rows, so the tables' writers meet only where their join keys do; the first rows of one table,
     * whose writers meet where their changes reach them (a change sorting after the last stored row,
     * below the boundary, waits for one reaching it and the reverse), of a join, whose writers
     * also meet in its keys (an order for a customer being added), and of groups, whose writers also
     * meet in a group (two orders of one customer). Where a second pair of
     * meeting statements is given, it waits too.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "paid | SELECT o.id, (SELECT count(*) FROM payments p WHERE p.order_id = o.id) AS payments FROM orders o"
                + " | INSERT INTO payments (order_id, status) VALUES (3, 'a') | UPDATE orders SET customer_id = 7 WHERE id = 3"
                + " | INSERT INTO payments (order_id, status) VALUES (3, 'b') | DELETE FROM payments WHERE order_id = 3 AND status = 'a'"
                + " | INSERT INTO payments (order_id, status) VALUES (4, 'c')"
                + " | INSERT INTO payments (order_id, status) VALUES (6, 'd'); UPDATE orders SET customer_id = 8 WHERE id = 6"
                + " | INSERT INTO payments (order_id) VALUES (5) | DELETE FROM orders WHERE id = 5 | DELETE FROM orders WHERE id = 9",
        "latest | SELECT c.id, c.name, t.id AS order_id FROM customers c, LATERAL (SELECT o.id FROM orders o"
                + " WHERE o.customer_id = c.id ORDER BY o.placed_at DESC, o.id LIMIT 2) t"
                + " | INSERT INTO orders VALUES (960, now(), 3) | DELETE FROM orders WHERE id = 3"
                + " | INSERT INTO orders VALUES (961, now(), 3) | UPDATE customers SET name = 'three' WHERE id = 3"
                + " | INSERT INTO orders VALUES (962, now(), 4)"
                + " | DELETE FROM orders WHERE customer_id = 5; UPDATE customers SET name = 'five' WHERE id = 5"
                + " | INSERT INTO orders VALUES (963, now(), 6) | DELETE FROM customers WHERE id = 6"
                + " | INSERT INTO orders VALUES (964, now(), 7)",
        "active | SELECT c.name, s.id FROM customers c JOIN (SELECT customer_id AS id FROM orders"
                + " UNION SELECT order_id FROM payments) s ON s.id = c.id"
                + " | INSERT INTO orders VALUES (970, now(), 3) | UPDATE customers SET name = 'x' WHERE id = 3"
                + " | INSERT INTO payments (order_id) VALUES (3) | DELETE FROM orders WHERE customer_id = 3"
                + " | INSERT INTO orders VALUES (971, now(), 4) | INSERT INTO payments (order_id) VALUES (5)"
                + " | INSERT INTO customers VALUES (77, 'new') | INSERT INTO payments (order_id) VALUES (77)"
                + " | INSERT INTO payments (order_id) VALUES (78)",
        "busy_days | SELECT s.day, s.n FROM (SELECT date_trunc('day', placed_at) AS day, count(*) AS n FROM orders"
                + " GROUP BY date_trunc('day', placed_at)) s WHERE s.n > 1"
                + " | INSERT INTO orders VALUES (980, '2026-01-02 07:00+00', 1)"
                + " | UPDATE orders SET customer_id = 2 WHERE placed_at = '2026-01-02 05:00+00' | |"
                + " | INSERT INTO orders VALUES (981, '2026-01-02 08:00+00', 1)"
                + " | INSERT INTO orders VALUES (982, '2026-03-01 08:00+00', 1)"
                + " | INSERT INTO orders VALUES (983, '2026-04-01 08:00+00', 1)"
                + " | INSERT INTO orders VALUES (984, '2026-04-01 09:00+00', 1)"
                + " | INSERT INTO orders VALUES (985, '2026-05-01 09:00+00', 1)",
        "repeat_buyers | SELECT x.customer_id, x.days FROM (SELECT s.customer_id, count(*) AS days FROM (SELECT customer_id,"
                + " date_trunc('day', placed_at) AS day, count(*) AS n FROM orders GROUP BY customer_id, date_trunc('day', placed_at)) s"
                + " GROUP BY s.customer_id) x WHERE x.days > 1"
                + " | INSERT INTO orders VALUES (1001, '2026-01-05 10:00+00', 3) | DELETE FROM orders WHERE customer_id = 3 | |"
                + " | INSERT INTO orders VALUES (1002, now(), 4) | INSERT INTO orders VALUES (1003, now(), 5)"
                + " | INSERT INTO orders VALUES (1004, now(), 6) | UPDATE orders SET placed_at = now() WHERE customer_id = 6"
                + " | INSERT INTO orders VALUES (1005, now(), 7)",
        "even_buyers | SELECT c.id, c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders x WHERE x.customer_id = c.id"
                + " AND x.id % 2 = 0) AND NOT EXISTS (SELECT 1 FROM orders x WHERE x.customer_id = c.id AND x.id % 2 = 1)"
                + " | INSERT INTO orders VALUES (993, now(), 4) | UPDATE customers SET id = 400 WHERE id = 4 | |"
                + " | INSERT INTO orders VALUES (994, now(), 5) | INSERT INTO orders VALUES (995, now(), 6)"
                + " | INSERT INTO orders VALUES (996, now(), 7) | INSERT INTO orders VALUES (997, now(), 7)"
                + " | INSERT INTO orders VALUES (998, now(), 8)",
        "order_copies | SELECT o.id, c.name, g.n FROM orders o JOIN customers c ON c.id = o.customer_id"
                + " CROSS JOIN generate_series(1, 2) g(n)"
                + " | INSERT INTO orders VALUES (975, now(), 3) | UPDATE customers SET name = 'x' WHERE id = 3 | |"
                + " | INSERT INTO orders VALUES (976, now(), 4) | UPDATE customers SET name = 'y' WHERE id = 5"
                + " | INSERT INTO customers VALUES (79, 'new') | INSERT INTO orders VALUES (977, now(), 79)"
                + " | INSERT INTO orders VALUES (978, now(), 6)",
        "latest_orders | SELECT id, customer_id FROM orders ORDER BY id DESC LIMIT 3"
                + " | UPDATE orders SET customer_id = 1 WHERE id = 60 | UPDATE orders SET customer_id = 2 WHERE id = 5"
                + " | UPDATE orders SET customer_id = 3 WHERE id = 5 | DELETE FROM orders WHERE id = 59"
                + " | UPDATE orders SET customer_id = 4 WHERE id = 6; INSERT INTO orders VALUES (-1, now(), 1)"
                + " | INSERT INTO orders VALUES (-5, now(), 1)"
                + " | DELETE FROM orders WHERE id = 60 | UPDATE orders SET customer_id = 5 WHERE id = 7"
                + " | UPDATE customers SET name = 'z' WHERE id = 1",
        "latest_named_orders | SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id"
                + " ORDER BY o.id DESC LIMIT 3"
                + " | INSERT INTO orders VALUES (990, now(), 77) | INSERT INTO customers VALUES (77, 'new')"
                + " | UPDATE orders SET customer_id = 2 WHERE id = 5 | DELETE FROM orders WHERE id = 59"
                + " | UPDATE orders SET customer_id = 3 WHERE id = 6 | UPDATE customers SET name = 'n4' WHERE id = 4"
                + " | DELETE FROM orders WHERE id = 990 | UPDATE orders SET customer_id = 5 WHERE id = 7"
                + " | INSERT INTO payments (order_id) VALUES (3)",
        "busiest_customers | SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id"
                + " ORDER BY count(*) DESC, customer_id LIMIT 3"
                + " | INSERT INTO orders VALUES (995, now(), 0) | INSERT INTO orders VALUES (996, now(), 20)"
                + " | INSERT INTO orders VALUES (997, now(), 21) | INSERT INTO orders VALUES (998, now(), 21)"
                + " | INSERT INTO orders VALUES (999, now(), 8) | INSERT INTO orders VALUES (1000, now(), 9)"
                + " | DELETE FROM orders WHERE customer_id = 21 | INSERT INTO orders VALUES (1001, now(), 13)"
                + " | INSERT INTO payments (order_id) VALUES (3)",
    })
    void writersMeetingInAKeyWaitAndOthersGoOn(String name, String query, String first, String meeting,
            String secondFirst, String secondMeeting, String besideFirst, String besideSecond, String committed,
            String meetingLater, String unaffected) throws Exception {
        createStamped(name, query);
        LockWaits.secondWaitsForFirst(db, first, meeting);
        if (secondFirst != null) {
            LockWaits.secondWaitsForFirst(db, secondFirst, secondMeeting);
        }
        LockWaits.secondGoesOnBesideFirst(db, besideFirst, besideSecond);
        LockWaits.laterSnapshotMustRetry(db, committed, meetingLater, unaffected);
        randomStatementsAndATransaction(name, query);
    }

    /** Creates and compiles an IMMEDIATE stream table whose writers do not take turns (no reason given). */
    private void createStamped(String name, String query) throws Exception {
        db.execute("SELECT pgtrickle.create_stream_table('" + name + "', $$" + query + "$$, refresh_mode => 'IMMEDIATE')");
        compile(name);
        assertNull(db.queryString("SELECT mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public." + name + "'"));
    }

    /** 30 random statements and a transaction with a savepoint rolled back, the oracle after each statement. */
    private void randomStatementsAndATransaction(String name, String query) throws Exception {
        Oracle.assertStreamTableMatchesQuery(db, name, query);
        Random random = new Random(31);
        for (int i = 0; i < 30; i++) {
            statement(db, random);
            Oracle.assertStreamTableMatchesQuery(db, name, query);
        }
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            Oracle.assertAfterEachStatement(c, name, query,
                    "INSERT INTO customers VALUES (500, 'tx') ON CONFLICT DO NOTHING",
                    "INSERT INTO orders VALUES (930, now(), 500), (931, now(), NULL)",
                    "SAVEPOINT undone",
                    "DELETE FROM payments WHERE order_id < 20",
                    "UPDATE shipments SET order_id = 930",
                    "ROLLBACK TO SAVEPOINT undone",
                    "INSERT INTO payments (order_id, status) VALUES (930, 'paid'), (930, NULL)");
            c.commit();
        }
        Oracle.assertStreamTableMatchesQuery(db, name, query);
        assertEquals("IMMEDIATE", db.queryString("SELECT effective_mode FROM pgtrickle.pgt_status() WHERE name = 'public." + name + "'"));
    }

    private void compile(String name) throws Exception {
        CompileResult compiled = DifferentialRefreshTest.compile(db, name);
        assertEquals(CompileResult.Outcome.COMPILED, compiled.outcome(), compiled::describe);
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * One random statement on one of the four tables: NULL keys, several payments of an order,
     * orders moved between customers, customers whose id changes, deletes that empty an order's rows.
     */
    private static void statement(TestDatabase db, Random random) throws SQLException {
        int customer = random.nextInt(25);
        int order = random.nextInt(70);
        String status = random.nextInt(4) == 0 ? "NULL" : "'s" + random.nextInt(3) + "'";
        switch (random.nextInt(10)) {
            case 0 -> db.execute("UPDATE customers SET name = name || 'x' WHERE id = " + customer);
            case 1 -> db.execute("UPDATE customers SET id = id + 100 WHERE id = " + customer
                    + " AND NOT EXISTS (SELECT 1 FROM customers WHERE id = " + (customer + 100) + ")");
            case 2 -> db.execute("INSERT INTO customers VALUES (" + customer + ", 'back') ON CONFLICT DO NOTHING");
            case 3 -> db.execute("UPDATE orders SET customer_id = " + (customer == 0 ? "NULL" : customer) + " WHERE id % 7 = "
                    + random.nextInt(7));
            case 4 -> db.execute("INSERT INTO orders VALUES (" + (100 + random.nextInt(100000)) + ", now(), " + customer
                    + ") ON CONFLICT DO NOTHING");
            case 5 -> db.execute("DELETE FROM orders WHERE customer_id = " + customer);
            case 6 -> db.execute("INSERT INTO payments (order_id, status) VALUES (" + order + ", " + status + "), ("
                    + order + ", " + status + ")");
            case 7 -> db.execute("UPDATE payments SET status = " + status + " WHERE order_id % 5 = " + random.nextInt(5));
            case 8 -> db.execute("DELETE FROM payments WHERE order_id = " + order);
            default -> db.execute("UPDATE shipments SET order_id = " + order + ", shipped_at = now() WHERE id = "
                    + random.nextInt(30));
        }
    }
}
