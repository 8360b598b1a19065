package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Patterns of the reference documentation, created as written there with
 * {@code refresh_mode => 'DIFFERENTIAL'} (the schedule shortened to 1s) and kept fresh by the
 * daemon alone: each refresh must be differential and leave the stream table equal to its query.
 */
@PostgresTest
class ReferencePatternsTest {

    /** SCD type 1: the current customer state with order statistics (LEFT JOIN + GROUP BY). */
    private static final String CUSTOMER_360 = """
            SELECT c.customer_id,
            c.name,
            c.email,
            c.tier,
            COUNT(o.id) AS total_orders,
            COALESCE(SUM(o.amount), 0) AS lifetime_value
            FROM customers c
            LEFT JOIN orders o ON o.customer_id = c.customer_id
            GROUP BY c.customer_id, c.name, c.email, c.tier""";

    /** The leaderboard: the first rows of a grouping in an order (TopK over an aggregate). */
    private static final String TOP_10_CUSTOMERS = """
            SELECT customer_id, SUM(amount) AS lifetime_spend
              FROM orders
              GROUP BY customer_id
              ORDER BY lifetime_spend DESC
              LIMIT 10""";

    /** Medallion silver layer: deduplicated, filtered events (DISTINCT ON the key). */
    private static final String EVENTS_CLEANED = """
            SELECT DISTINCT ON (event_id)
            event_id,
            user_id,
            event_type,
            (payload->>'amount')::numeric AS amount,
            received_at
            FROM raw_events
            WHERE event_type IN ('purchase', 'refund', 'subscription')""";

    /** Event sourcing: the latest event of each aggregate (DISTINCT ON with an order). */
    private static final String AGGREGATE_STATE = """
            SELECT DISTINCT ON (aggregate_id)
            aggregate_id,
            event_type AS last_event,
            payload AS current_state,
            created_at AS last_updated
            FROM events
            ORDER BY aggregate_id, created_at DESC""";

    private static final String HOURLY_EVENT_COUNTS = """
            SELECT date_trunc('hour', created_at) AS hour,
            event_type,
            COUNT(*) AS event_count
            FROM events
            GROUP BY 1, 2""";

    private final TestDatabase db;

    ReferencePatternsTest(TestDatabase db) {
        this.db = db;
    }

    @Test
    void customer360AndTheTopCustomersFollowTheirSources() throws Exception {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        db.execute("""
                CREATE TABLE customers (
                    customer_id INT PRIMARY KEY,
                    name TEXT NOT NULL,
                    email TEXT,
                    tier TEXT DEFAULT 'standard',
                    updated_at TIMESTAMPTZ DEFAULT now());
                CREATE TABLE orders (id SERIAL PRIMARY KEY, customer_id INT, amount NUMERIC(10,2));
                CREATE INDEX ON orders (customer_id);
                INSERT INTO customers (customer_id, name, email)
                    SELECT g, 'c' || g, 'c' || g || '@example.com' FROM generate_series(1, 20) g;
                INSERT INTO orders (customer_id, amount) SELECT 1 + g % 12, g * 1.25 FROM generate_series(1, 40) g;
                """);
        db.execute("SELECT pgtrickle.create_stream_table('customer_360', $$" + CUSTOMER_360 + "$$,"
                + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
        db.execute("SELECT pgtrickle.create_stream_table('top_10_customers', $$" + TOP_10_CUSTOMERS + "$$,"
                + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
        Random random = new Random(360);
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            List<String> steps = List.of(
                    // A customer without orders gets its first one; another loses all of its orders.
                    "INSERT INTO orders (customer_id, amount) VALUES (15, 10.00), (15, 2.50);"
                            + " DELETE FROM orders WHERE customer_id = 3",
                    // SCD-1: the dimension is overwritten in place.
                    "UPDATE customers SET tier = 'gold', email = NULL WHERE customer_id IN (1, 15)",
                    // Orders move between customers, to a customer that does not exist, and back.
                    "UPDATE orders SET customer_id = 99 WHERE customer_id = 4;"
                            + " UPDATE orders SET customer_id = 5 WHERE id IN (SELECT id FROM orders WHERE customer_id = 6 LIMIT 1)",
                    "INSERT INTO customers (customer_id, name) VALUES (99, 'late'); DELETE FROM customers WHERE customer_id = 2",
                    "UPDATE orders SET amount = NULL WHERE customer_id = 7; UPDATE orders SET amount = amount * 2 WHERE customer_id = 8");
            for (String step : steps) {
                db.execute(step);
                awaitOracle();
            }
            for (int round = 0; round < 5; round++) {
                int customer = 1 + random.nextInt(25);
                db.execute(switch (random.nextInt(4)) {
                    case 0 -> "INSERT INTO orders (customer_id, amount) VALUES (" + customer + ", " + random.nextInt(100) + ".10)";
                    case 1 -> "DELETE FROM orders WHERE customer_id = " + customer;
                    case 2 -> "UPDATE customers SET name = name || '+' WHERE customer_id = " + customer;
                    default -> "INSERT INTO customers (customer_id, name) VALUES (" + (100 + round) + ", 'new')";
                });
                awaitOracle();
            }
        }
        for (String[] table : new String[][] {{"customer_360", "AGGREGATE"}, {"top_10_customers", "TOP_K"}}) {
            assertEquals(0L, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                    + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = '" + table[0] + "'"
                    + " AND h.initiated_by = 'SCHEDULER' AND h.action NOT IN ('DIFFERENTIAL', 'NO_DATA')"), table[0]);
            assertEquals(table[1], db.queryString("SELECT plan ->> 'strategy' FROM pgtrickle.pgt_stream_tables"
                    + " WHERE pgt_name = '" + table[0] + "'"));
            DifferentialRefreshTest.assertHiddenMultiplicities(db, table[0]);
        }
    }

    @Test
    void eventSourcingProjectionsFollowTheirEvents() throws Exception {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
        db.execute("""
                CREATE TABLE raw_events (
                    event_id BIGSERIAL PRIMARY KEY,
                    user_id INT NOT NULL,
                    event_type TEXT NOT NULL,
                    payload JSONB,
                    received_at TIMESTAMPTZ NOT NULL DEFAULT now());
                CREATE TABLE events (
                    event_id BIGSERIAL PRIMARY KEY,
                    aggregate_id UUID NOT NULL,
                    event_type TEXT NOT NULL,
                    payload JSONB NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL DEFAULT now());
                CREATE INDEX ON events (aggregate_id);
                INSERT INTO raw_events (user_id, event_type, payload)
                    SELECT g % 5, (ARRAY['purchase', 'refund', 'view', 'subscription'])[1 + g % 4],
                           jsonb_build_object('amount', g * 2.5) FROM generate_series(1, 30) g;
                """);
        // Created a second apart: the latest event of an aggregate is one event.
        String events = "INSERT INTO events (aggregate_id, event_type, payload, created_at)"
                + " SELECT ('00000000-0000-0000-0000-00000000000' || (g %% 6))::uuid, 'e' || g, jsonb_build_object('n', g),"
                + " timestamptz '2026-01-01 10:00' + (g + %d) * interval '97 seconds' FROM generate_series(1, %d) g";
        db.execute(String.format(events, 0, 40));
        String[][] tables = {{"events_cleaned", EVENTS_CLEANED, "5s"}, {"aggregate_state", AGGREGATE_STATE, "2s"},
                {"hourly_event_counts", HOURLY_EVENT_COUNTS, "10s"}};
        for (String[] table : tables) {
            db.execute("SELECT pgtrickle.create_stream_table('" + table[0] + "', $$" + table[1] + "$$,"
                    + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
        }
        try (DaemonService daemon = DaemonService.start(db::connect, DaemonTest.FAST, null)) {
            List<String> steps = List.of(
                    String.format(events, 100, 12),
                    // The latest event of an aggregate goes: the one before it is the state again.
                    "DELETE FROM events WHERE event_id IN (SELECT DISTINCT ON (aggregate_id) event_id FROM events"
                            + " ORDER BY aggregate_id, created_at DESC LIMIT 2)",
                    "UPDATE events SET created_at = created_at + interval '1 day' WHERE event_id = 7;"
                            + " DELETE FROM events WHERE aggregate_id = '00000000-0000-0000-0000-000000000003'",
                    "UPDATE raw_events SET event_type = 'view' WHERE event_id % 7 = 0;"
                            + " UPDATE raw_events SET event_type = 'refund', payload = '{\"amount\": 1}' WHERE event_id % 4 = 3;"
                            + " DELETE FROM raw_events WHERE user_id = 2",
                    "INSERT INTO raw_events (user_id, event_type, payload) VALUES (9, 'purchase', NULL), (9, 'subscription', '{}')");
            for (String step : steps) {
                db.execute(step);
                for (String[] table : tables) {
                    awaitOracle(table[0], table[1]);
                }
            }
        }
        for (String[] table : tables) {
            assertEquals(0L, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                    + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE st.pgt_name = '" + table[0] + "'"
                    + " AND h.initiated_by = 'SCHEDULER' AND h.action NOT IN ('DIFFERENTIAL', 'NO_DATA')"), table[0]);
        }
        assertEquals("GROUP_RESCAN", db.queryString("SELECT plan ->> 'strategy' FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_name = 'aggregate_state'"));
    }

    /** Both stream tables equal their queries (the data never ties at the tenth place). */
    private void awaitOracle() throws Exception {
        assertEquals(0L, db.queryLong("WITH g AS (SELECT SUM(amount) AS s FROM orders GROUP BY customer_id),"
                + " r AS (SELECT s, row_number() OVER (ORDER BY s DESC) AS n FROM g)"
                + " SELECT count(*) FROM r a JOIN r b ON a.n = 10 AND b.n = 11 AND a.s IS NOT DISTINCT FROM b.s"),
                "the test's data ties at the tenth place, where the query itself may pick either row");
        awaitOracle("customer_360", CUSTOMER_360);
        awaitOracle("top_10_customers", TOP_10_CUSTOMERS);
    }

    private void awaitOracle(String name, String query) throws Exception {
        Eventually.await(name + " to equal its query", () -> {
            try {
                Oracle.assertStreamTableMatchesQuery(db, name, query);
                return true;
            } catch (AssertionError notYet) {
                return false;
            }
        });
    }
}
