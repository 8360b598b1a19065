package dev.pgtrickle.benchmarks;

import java.util.List;

/**
 * One defining query of the macro benchmark (issue 3 §8; MIN/MAX, TopK, DISTINCT ON and a window
 * from issue 12 §8) and the objects measured for it: the differential stream table
 * {@code st_<key>}, stream tables of the same query with {@code refresh_mode => 'FULL'}
 * ({@code st_<key>_full}) and {@code 'AUTO'} ({@code st_<key>_auto}), and a plain materialized
 * view ({@code mv_<key>}).
 */
public record Scenario(String key, String title, String query) {

    public static final List<Scenario> ALL = List.of(
            new Scenario("paid_orders", "filter/project over orders",
                    "SELECT id, customer_id, amount FROM orders WHERE status = 'paid' AND amount > 100"),
            new Scenario("customer_totals", "GROUP BY customer_id with COUNT/SUM/AVG",
                    "SELECT customer_id, count(*) AS orders, sum(amount) AS total, avg(amount) AS avg_amount"
                            + " FROM orders GROUP BY customer_id"),
            new Scenario("enterprise_orders", "orders JOIN customers",
                    "SELECT o.id, o.amount, c.region FROM orders o JOIN customers c ON c.id = o.customer_id"
                            + " WHERE c.segment = 'enterprise'"),
            new Scenario("region_totals", "orders JOIN customers GROUP BY region",
                    "SELECT c.region, count(*) AS orders, sum(o.amount) AS total, avg(o.amount) AS avg_amount"
                            + " FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region"),
            new Scenario("customer_extremes", "GROUP BY customer_id with MIN/MAX",
                    "SELECT customer_id, min(amount) AS smallest, max(amount) AS largest, count(*) AS orders"
                            + " FROM orders GROUP BY customer_id"),
            new Scenario("top_orders", "TopK: ORDER BY amount DESC LIMIT 10",
                    "SELECT id, customer_id, amount FROM orders ORDER BY amount DESC, id LIMIT 10"),
            new Scenario("largest_order_per_customer", "DISTINCT ON (customer_id) ORDER BY amount DESC",
                    "SELECT DISTINCT ON (customer_id) customer_id, id, amount FROM orders"
                            + " ORDER BY customer_id, amount DESC, id"),
            new Scenario("order_rank_per_customer", "window: rank() OVER (PARTITION BY customer_id ORDER BY amount DESC)",
                    "SELECT customer_id, id, amount, rank() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS rnk"
                            + " FROM orders"));

    public String differentialTable() {
        return "st_" + key;
    }

    public String fullTable() {
        return "st_" + key + "_full";
    }

    public String autoTable() {
        return "st_" + key + "_auto";
    }

    public String materializedView() {
        return "mv_" + key;
    }
}
