package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.testsupport.PostgresServer;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.SecondServer;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.SQLException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A second PostgreSQL subscribed to published stream tables with CREATE SUBSCRIPTION stays equal
 * to them through random changes of their sources and refreshes, differential and FULL: updates
 * arrive as updates on the replica identity, and no hidden column is needed on the subscriber.
 */
@PostgresTest
class SubscriptionReplicaTest {

    private static final long SEED = Long.getLong("pgtrickle.replica.seed", 20261204L);
    private static final int ROUNDS = Integer.getInteger("pgtrickle.replica.rounds", 12);
    private static final String JOINED = "SELECT o.id, o.amount, c.name AS customer"
            + " FROM rep_orders o JOIN rep_customers c ON c.id = o.customer_id";
    private static final String TOTALS = "SELECT customer_id, count(*) AS orders, sum(amount) AS total"
            + " FROM rep_orders GROUP BY customer_id";

    private final TestDatabase db;

    SubscriptionReplicaTest(TestDatabase db) {
        this.db = db;
    }

    @Test
    void aSubscribedServerStaysEqualToThePublishedStreamTables() throws Exception {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE rep_customers (id int PRIMARY KEY, name text NOT NULL)");
        db.execute("CREATE TABLE rep_orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric(10,2))");
        db.execute("INSERT INTO rep_customers SELECT i, 'c' || i FROM generate_series(1, 8) i");
        db.execute("INSERT INTO rep_orders SELECT i, 1 + i % 8, i % 13 FROM generate_series(1, 60) i");
        createCompiled(db, "rep_joined", JOINED, "KEYED");
        createCompiled(db, "rep_totals", TOTALS, "AGGREGATE");
        db.execute("SELECT pgtrickle.stream_table_to_publication('rep_joined', 'rep_feed')");
        db.execute("SELECT pgtrickle.stream_table_to_publication('rep_totals', 'rep_feed')");

        try (PostgresServer replicaServer = SecondServer.start()) {
            TestDatabase replica = TestDatabase.create(replicaServer, "replica");
            replica.execute("CREATE TABLE rep_joined (id int NOT NULL, amount numeric(10,2), customer text NOT NULL,"
                    + " PRIMARY KEY (id))");
            replica.execute("CREATE TABLE rep_totals (customer_id int PRIMARY KEY, orders bigint, total numeric)");
            PostgresServer publisher = db.server();
            String connection = "host=" + publisher.host() + " port=" + publisher.port() + " dbname=" + db.databaseName()
                    + " user=" + publisher.adminUser()
                    + (publisher.adminPassword() == null ? "" : " password=" + publisher.adminPassword());
            replica.execute("CREATE SUBSCRIPTION rep_sub CONNECTION '" + connection.replace("'", "''")
                    + "' PUBLICATION rep_feed");
            try {
                Random random = new Random(SEED);
                awaitEqual(replica);
                for (int round = 1; round <= ROUNDS; round++) {
                    for (int i = 0; i < 5; i++) {
                        change(random);
                    }
                    if (round == ROUNDS / 2) {
                        db.execute("SELECT pgtrickle.alter_stream_table('rep_totals', refresh_mode => 'FULL')");
                    }
                    refresh(db, "rep_joined");
                    refresh(db, "rep_totals");
                    assertCorrect(db, "rep_joined", JOINED);
                    assertCorrect(db, "rep_totals", TOTALS);
                    awaitEqual(replica);
                }
            } finally {
                replica.execute("DROP SUBSCRIPTION rep_sub");
            }
        }
    }

    private void change(Random random) throws SQLException {
        int id = 1 + random.nextInt(70);
        switch (random.nextInt(5)) {
            case 0 -> db.execute("INSERT INTO rep_orders VALUES (" + id + ", " + (1 + random.nextInt(8)) + ", "
                    + random.nextInt(20) + ") ON CONFLICT (id) DO NOTHING");
            case 1 -> db.execute("DELETE FROM rep_orders WHERE id = " + id);
            case 2 -> db.execute("UPDATE rep_orders SET amount = " + random.nextInt(20) + " WHERE id = " + id);
            case 3 -> db.execute("UPDATE rep_orders SET customer_id = " + (1 + random.nextInt(8)) + " WHERE id = " + id);
            default -> db.execute("UPDATE rep_customers SET name = 'c" + random.nextInt(100) + "' WHERE id = "
                    + (1 + random.nextInt(8)));
        }
    }

    /** The replica's tables hold what the stream tables hold (visible columns), once it caught up. */
    private void awaitEqual(TestDatabase replica) throws Exception {
        String joined = "SELECT string_agg(format('%s|%s|%s', id, amount, customer), ',' ORDER BY id) FROM rep_joined";
        String totals = "SELECT string_agg(format('%s|%s|%s', customer_id, orders, total), ',' ORDER BY customer_id)"
                + " FROM rep_totals";
        Eventually.await("the replica to catch up", () -> java.util.Objects.equals(db.queryString(joined), replica.queryString(joined))
                && java.util.Objects.equals(db.queryString(totals), replica.queryString(totals)));
        assertEquals(db.queryString(joined), replica.queryString(joined));
    }
}
