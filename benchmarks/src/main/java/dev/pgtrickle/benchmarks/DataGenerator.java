package dev.pgtrickle.benchmarks;

import java.sql.SQLException;
import java.util.List;

/**
 * Creates and loads the benchmark tables, set-based and deterministic (fixed {@code setseed}):
 * {@code customers(id int pk, name, region (10 values), segment)} and
 * {@code orders(id bigint pk, customer_id int, amount numeric(12,2), status, created_at)} with an
 * index on {@code orders(customer_id)}.
 */
public final class DataGenerator {

    /** Order statuses and their cumulative probabilities (paid 50 %, shipped 25 %, …). */
    static final List<String> STATUSES = List.of("paid", "shipped", "pending", "cancelled", "refunded");
    static final double[] STATUS_CUMULATIVE = {0.50, 0.75, 0.85, 0.95, 1.0};
    static final List<String> REGIONS = List.of("north", "south", "east", "west", "central",
            "north-east", "north-west", "south-east", "south-west", "islands");
    /** Amounts are uniform in [MIN_AMOUNT, MAX_AMOUNT]. */
    static final double MIN_AMOUNT = 1.0;
    static final double MAX_AMOUNT = 500.0;
    /** created_at is spread over one year from this instant. */
    static final String EPOCH = "2025-01-01 00:00:00+00";

    private DataGenerator() {
    }

    public static void createAndLoad(Db db, int customers, int orders) throws SQLException {
        db.execute("SELECT setseed(0.42)");
        db.execute("CREATE TABLE customers (id integer NOT NULL, name text NOT NULL, region text NOT NULL,"
                + " segment text NOT NULL)");
        db.execute("INSERT INTO customers (id, name, region, segment)"
                + " SELECT g, 'Customer ' || g, (" + array(REGIONS) + ")[1 + floor(random() * " + REGIONS.size() + ")::int],"
                + " CASE WHEN r < 0.60 THEN 'consumer' WHEN r < 0.85 THEN 'smb' ELSE 'enterprise' END"
                + " FROM (SELECT g, random() AS r FROM generate_series(1, " + customers + ") AS g) AS s");
        db.execute("ALTER TABLE customers ADD PRIMARY KEY (id)");

        createOrdersLike(db, "orders");
        db.execute("INSERT INTO orders (id, customer_id, amount, status, created_at)"
                + " SELECT g, 1 + floor(random() * " + customers + ")::int,"
                + " round((" + MIN_AMOUNT + " + random() * " + (MAX_AMOUNT - MIN_AMOUNT) + ")::numeric, 2),"
                + " " + statusCase("r") + ","
                + " timestamptz '" + EPOCH + "' + random() * interval '365 days'"
                + " FROM (SELECT g, random() AS r FROM generate_series(1, " + orders + ") AS g) AS s");
        indexOrdersLike(db, "orders");
        db.execute("VACUUM (ANALYZE) customers, orders");
    }

    /** A table with the columns of {@code orders} and the same data and indexes. */
    public static void copyOrders(Db db, String table) throws SQLException {
        createOrdersLike(db, table);
        db.execute("INSERT INTO " + table + " SELECT * FROM orders ORDER BY id");
        indexOrdersLike(db, table);
        db.execute("VACUUM (ANALYZE) " + table);
    }

    static void createOrdersLike(Db db, String table) throws SQLException {
        db.execute("CREATE TABLE " + table + " (id bigint NOT NULL, customer_id integer NOT NULL,"
                + " amount numeric(12,2) NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL)");
    }

    static void indexOrdersLike(Db db, String table) throws SQLException {
        db.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (id)");
        db.execute("CREATE INDEX " + table + "_customer_id ON " + table + " (customer_id)");
    }

    /** SQL picking a status from a uniform random value, with the probabilities of STATUSES. */
    static String statusCase(String uniform) {
        StringBuilder sql = new StringBuilder("CASE");
        for (int i = 0; i < STATUSES.size() - 1; i++) {
            sql.append(" WHEN ").append(uniform).append(" < ").append(STATUS_CUMULATIVE[i])
                    .append(" THEN '").append(STATUSES.get(i)).append("'");
        }
        return sql.append(" ELSE '").append(STATUSES.get(STATUSES.size() - 1)).append("' END").toString();
    }

    static String status(double uniform) {
        for (int i = 0; i < STATUSES.size(); i++) {
            if (uniform < STATUS_CUMULATIVE[i]) {
                return STATUSES.get(i);
            }
        }
        return STATUSES.get(STATUSES.size() - 1);
    }

    private static String array(List<String> values) {
        return "ARRAY['" + String.join("', '", values) + "']";
    }
}
