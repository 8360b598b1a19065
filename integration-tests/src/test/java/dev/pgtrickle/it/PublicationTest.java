package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.lastRefresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Published stream tables (docs/sql-reference.md, "Publications"): what logical replication
 * carries on is exactly how the stream table changed — a source update of a column outside the
 * key is one UPDATE event, a FULL refresh only the rows that differ, and no hidden column leaves
 * the database. The events are read from a pgoutput slot on the publication, as a subscriber
 * receives them.
 */
@PostgresTest
class PublicationTest {

    private static final String ORDER_VIEW = "SELECT o.id, o.amount, c.name AS customer"
            + " FROM pub_orders o JOIN pub_customers c ON c.id = o.customer_id";
    private static final String TOTALS = "SELECT g, count(*) AS n, sum(v) AS s FROM pub_src GROUP BY g";

    private final TestDatabase db;

    PublicationTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        flushCommits(db);
        db.execute("CREATE TABLE pub_customers (id int PRIMARY KEY, name text NOT NULL)");
        db.execute("CREATE TABLE pub_orders (id int PRIMARY KEY, customer_id int NOT NULL, amount int)");
        db.execute("INSERT INTO pub_customers SELECT i, 'customer ' || i FROM generate_series(1, 10) i");
        db.execute("INSERT INTO pub_orders SELECT i, 1 + i % 10, i FROM generate_series(1, 100) i");
        db.execute("CREATE TABLE pub_src (id int PRIMARY KEY, g int NOT NULL, v int)");
        db.execute("INSERT INTO pub_src SELECT i, i % 5, i FROM generate_series(1, 500) i");
    }

    /**
     * Logical decoding reads WAL up to what is flushed: commits must be flushed when they return
     * (the test server runs with synchronous_commit off).
     */
    static void flushCommits(TestDatabase db) throws SQLException {
        db.execute("ALTER DATABASE \"" + db.databaseName() + "\" SET synchronous_commit = on");
    }

    /** A pgoutput slot on {@code publication}, created before the changes it is to see. */
    private final class Subscriber implements AutoCloseable {

        private final String slot;
        private final String publication;

        Subscriber(String slot, String publication) throws SQLException {
            this.slot = slot;
            this.publication = publication;
            db.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        }

        /** The row events since the last call, as pgoutput's message letters (I, U, D, T). */
        List<String> events() throws SQLException {
            List<String> events = new ArrayList<>();
            for (Map<String, Object> row : db.queryList("SELECT chr(get_byte(data, 0)) AS kind,"
                    + " position('\\x5f5f7067745f'::bytea IN data) > 0 AS hidden"
                    + " FROM pg_logical_slot_get_binary_changes('" + slot + "', NULL, NULL,"
                    + " 'proto_version', '1', 'publication_names', '" + publication + "')")) {
                String kind = (String) row.get("kind");
                assertEquals(false, row.get("hidden"), "a hidden __pgt_ column was published in a " + kind + " message");
                if ("IUDT".contains(kind)) {
                    events.add(kind);
                }
            }
            return events;
        }

        @Override
        public void close() throws SQLException {
            db.execute("SELECT pg_drop_replication_slot('" + slot + "')");
        }
    }

    @Test
    void aSourceUpdateOfAColumnOutsideTheKeyReachesSubscribersAsOneUpdate() throws SQLException {
        createCompiled(db, "order_view", ORDER_VIEW, "KEYED");
        assertEquals("pgt_pub_order_view", db.queryString("SELECT pgtrickle.stream_table_to_publication('order_view')"));
        assertEquals("i", db.queryString("SELECT relreplident::text FROM pg_class WHERE oid = 'order_view'::regclass"),
                "replica identity on the key's index");
        assertEquals("{id,amount,customer}", db.queryString("SELECT attnames::text FROM pg_publication_tables"
                + " WHERE pubname = 'pgt_pub_order_view'"), "the visible columns only");
        assertEquals("pgt_pub_order_view", db.queryString("SELECT publication FROM pgtrickle.pgt_status()"
                + " WHERE name = 'public.order_view'"));

        try (Subscriber subscriber = new Subscriber("pub_order_view", "pgt_pub_order_view")) {
            db.execute("UPDATE pub_orders SET amount = amount + 1 WHERE id = 3");
            refresh(db, "order_view");
            assertEquals(List.of("U"), subscriber.events(), "one order's amount changed");
            assertCorrect(db, "order_view", ORDER_VIEW);

            db.execute("UPDATE pub_customers SET name = 'renamed' WHERE id = 2");
            refresh(db, "order_view");
            assertEquals(List.of("U", "U", "U", "U", "U", "U", "U", "U", "U", "U"), subscriber.events(),
                    "the ten orders of the renamed customer");
            assertCorrect(db, "order_view", ORDER_VIEW);

            db.execute("UPDATE pub_orders SET customer_id = 5, amount = amount * 2 WHERE id IN (7, 8)");
            db.execute("DELETE FROM pub_orders WHERE id = 9");
            db.execute("INSERT INTO pub_orders VALUES (101, 1, 1), (102, 2, 2)");
            refresh(db, "order_view");
            List<String> events = subscriber.events();
            events.sort(null);
            assertEquals(List.of("D", "I", "I", "U", "U"), events);
            assertCorrect(db, "order_view", ORDER_VIEW);
            Map<String, Object> last = lastRefresh(db, "order_view");
            assertEquals(2L, ((Number) last.get("rows_updated")).longValue(), last::toString);
        }
    }

    @Test
    void aWindowKeyedByItsInputsKeySendsMovedRanksAsUpdates() throws SQLException {
        String ranks = "SELECT id, customer_id, rank() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS rnk"
                + " FROM pub_orders";
        createCompiled(db, "order_ranks", ranks, "PARTITION_RESCAN");
        assertEquals("pgt_pub_order_ranks", db.queryString("SELECT pgtrickle.stream_table_to_publication('order_ranks')"));
        try (Subscriber subscriber = new Subscriber("pub_order_ranks", "pgt_pub_order_ranks")) {
            // Customer 4's orders are 3, 13, …, 93 (amounts alike): its smallest becomes its largest.
            db.execute("UPDATE pub_orders SET amount = 1000 WHERE id = 3");
            refresh(db, "order_ranks");
            assertEquals(List.of("U", "U", "U", "U", "U", "U", "U", "U", "U", "U"), subscriber.events(),
                    "every rank of the customer moved, each row updated in place");
            assertCorrect(db, "order_ranks", ranks);

            // An order moving to another customer keeps its row (one update); the eight behind it
            // move up, and it comes last among customer 5's orders, moving none of them.
            db.execute("UPDATE pub_orders SET customer_id = 5, amount = 0 WHERE id = 93");
            refresh(db, "order_ranks");
            assertEquals(List.of("U", "U", "U", "U", "U", "U", "U", "U", "U"), subscriber.events());
            assertCorrect(db, "order_ranks", ranks);
        }
    }

    @Test
    void aFullRefreshOrAReinitializationOfAPublishedTableAppliesOnlyTheDifference() throws SQLException {
        createCompiled(db, "pub_totals", TOTALS, "AGGREGATE");
        db.execute("SELECT pgtrickle.stream_table_to_publication('pub_totals', 'totals_feed')");
        try (Subscriber subscriber = new Subscriber("pub_totals", "totals_feed")) {
            db.execute("UPDATE pub_src SET v = v + 1 WHERE id = 10");
            refresh(db, "pub_totals");
            assertEquals(List.of("U"), subscriber.events(), "differential: the one group");

            db.execute("SELECT pgtrickle.alter_stream_table('pub_totals', refresh_mode => 'FULL')");
            assertEquals(List.of(), subscriber.events(), "nothing changed: a FULL refresh sends nothing");
            db.execute("UPDATE pub_src SET v = v + 1 WHERE id IN (11, 21)");
            db.execute("INSERT INTO pub_src VALUES (1001, 7, 1)");
            refresh(db, "pub_totals");
            List<String> events = subscriber.events();
            events.sort(null);
            assertEquals(List.of("I", "U"), events, "FULL: group 1 changed, group 7 is new, groups 0, 2, 3, 4 untouched");
            assertEquals("FULL", lastRefresh(db, "pub_totals").get("action"));
            assertCorrect(db, "pub_totals", TOTALS);

            db.execute("SELECT pgtrickle.alter_stream_table('pub_totals', refresh_mode => 'DIFFERENTIAL')");
            compile(db, "pub_totals");
            // The new plan's hidden state is filled in: each group is updated once, with the
            // same visible values (docs/sql-reference.md, "Publications"); nothing is deleted or re-inserted.
            assertEquals(List.of("U", "U", "U", "U", "U", "U"), subscriber.events(), "recompiled: hidden state refilled");
            db.execute("CREATE TABLE pub_keep AS SELECT * FROM pub_src WHERE g <> 7 AND id <> 12");
            db.execute("TRUNCATE pub_src");
            db.execute("INSERT INTO pub_src SELECT * FROM pub_keep");
            refresh(db, "pub_totals");
            events = subscriber.events();
            events.sort(null);
            assertEquals(List.of("D", "U"), events, "reinitialized after TRUNCATE: group 7 gone, group 2 changed");
            assertEquals("REINITIALIZE", lastRefresh(db, "pub_totals").get("action"));
            assertCorrect(db, "pub_totals", TOTALS);
        }
    }

    @Test
    void publishingAndUnpublishingKeepTheCatalogAndThePublicationsConsistent() throws SQLException {
        String query = "SELECT id, v FROM pub_src WHERE v > 400";
        createCompiled(db, "pub_high", query, "KEYED");
        db.execute("CREATE PUBLICATION shared_feed");
        assertEquals("shared_feed", db.queryString("SELECT pgtrickle.stream_table_to_publication('pub_high', 'shared_feed')"));
        assertEquals("shared_feed", db.queryString("SELECT pgtrickle.stream_table_to_publication('pub_high', 'shared_feed')"),
                "publishing again in the same publication changes nothing");
        SQLException other = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.stream_table_to_publication('pub_high')"));
        assertTrue(other.getMessage().contains("already published in publication \"shared_feed\""), other::getMessage);
        SQLException alter = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.alter_stream_table('pub_high', query => 'SELECT id, v FROM pub_src')"));
        assertEquals("55000", alter.getSQLState(), alter::getMessage);
        assertTrue(alter.getMessage().contains("it is published in publication \"shared_feed\""), alter::getMessage);
        SQLException replace = assertThrows(SQLException.class, () -> db.execute(
                "SELECT pgtrickle.create_or_replace_stream_table('pub_high', 'SELECT id, v FROM pub_src WHERE v > 300')"));
        assertEquals("55000", replace.getSQLState(), replace::getMessage);

        db.execute("SELECT pgtrickle.drop_stream_table_publication('pub_high')");
        assertEquals("d", db.queryString("SELECT relreplident::text FROM pg_class WHERE oid = 'pub_high'::regclass"));
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pg_index WHERE indrelid = 'pub_high'::regclass"
                + " AND indexrelid::regclass::text LIKE '%pgt_key%'"));
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pg_attribute WHERE attrelid = 'pub_high'::regclass"
                + " AND attnum > 0 AND attnotnull"), "the key's NOT NULL markings went with it");
        assertEquals(1L, db.queryLong("SELECT count(*) FROM pg_publication WHERE pubname = 'shared_feed'"),
                "a publication pgtrickle did not create stays");
        assertNull(db.queryString("SELECT publication FROM pgtrickle.pgt_status() WHERE name = 'public.pub_high'"));
        SQLException notPublished = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.drop_stream_table_publication('pub_high')"));
        assertTrue(notPublished.getMessage().contains("is not published"), notPublished::getMessage);

        db.execute("SELECT pgtrickle.stream_table_to_publication('pub_high')");
        db.execute("SELECT pgtrickle.drop_stream_table('pub_high')");
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pg_publication WHERE pubname = 'pgt_pub_pub_high'"),
                "the publication created for a dropped stream table goes with it");
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_created_publications"
                + " WHERE pubname = 'pgt_pub_pub_high'"));
    }

    @Test
    void aStreamTableWithoutAKnownKeyOrPlanIsRefusedWithTheReason() throws SQLException {
        String noKey = "SELECT v FROM pub_src WHERE v < 10";
        createCompiled(db, "pub_values", noKey, "CONTENT");
        SQLException keyless = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.stream_table_to_publication('pub_values')"));
        assertEquals("55000", keyless.getSQLState(), keyless::getMessage);
        assertTrue(keyless.getMessage().contains("no set of its columns is known to be NOT NULL and unique"),
                keyless::getMessage);

        db.execute("SELECT pgtrickle.create_stream_table('pub_full', 'SELECT id, v FROM pub_src', refresh_mode => 'FULL')");
        SQLException full = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.stream_table_to_publication('pub_full')"));
        assertTrue(full.getMessage().contains("it is refreshed FULL"), full::getMessage);

        SQLException unknown = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.stream_table_to_publication('no_such_table')"));
        assertEquals("42P01", unknown.getSQLState(), unknown::getMessage);
        SQLException badName = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.stream_table_to_publication('pub_values', '')"));
        assertEquals("22023", badName.getSQLState(), badName::getMessage);
        assertEquals(0L, db.queryLong("SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgt_pub_pub_%'"),
                "nothing half-done");
    }
}
