package dev.pgtrickle.benchmarks.tpch;

import static dev.pgtrickle.benchmarks.tpch.TpchGenerator.money;
import static dev.pgtrickle.benchmarks.tpch.TpchGenerator.pick;
import static dev.pgtrickle.benchmarks.tpch.TpchGenerator.retailPrice;
import static dev.pgtrickle.benchmarks.tpch.TpchGenerator.rows;
import static dev.pgtrickle.benchmarks.tpch.TpchGenerator.uniform;

import dev.pgtrickle.benchmarks.Db;
import java.sql.SQLException;

/**
 * The changes of one round, each part a committed transaction of its own, made by the generating
 * session (seeded per round):
 * <ul>
 * <li>RF1: {@link TpchOptions#refreshOrders()} new orders (0.1 %) with their lineitems, keys above
 *     the largest, generated as the initial ones ({@link TpchGenerator#insertOrders});</li>
 * <li>RF2: as many random existing orders deleted with their lineitems;</li>
 * <li>updates: as many random orders get a new o_orderpriority, each of their lineitems a new
 *     l_quantity and l_discount (and l_extendedprice = quantity × retail price), and the order
 *     the o_totalprice of its updated lineitems — about 0.1 % of orders and of lineitems;
 *     c_acctbal of 0.1 % of the customers (random keys, so a few fewer when a key comes twice);
 *     ps_supplycost of the four partsupp rows of 0.1 % of the parts (random keys).</li>
 * </ul>
 */
public final class RefreshFunctions {

    private final TpchOptions options;
    private final TpchGenerator generator;
    /** Orders numbered so far (the next RF1 continues after it). */
    private long ordersNumbered;

    public RefreshFunctions(TpchOptions options, TpchGenerator generator) {
        this.options = options;
        this.generator = generator;
        this.ordersNumbered = options.orders();
    }

    /** What one round changed, in rows. */
    public record Round(long insertedOrders, long insertedLineitems, long deletedOrders, long deletedLineitems,
                        long updatedOrders, long updatedLineitems, long updatedCustomers, long updatedPartsupps) {

        /** Rows inserted, deleted or updated. */
        public long rows() {
            return insertedOrders + insertedLineitems + deletedOrders + deletedLineitems + updatedOrders
                    + updatedLineitems + updatedCustomers + updatedPartsupps;
        }
    }

    /** Applies round {@code round}'s RF1, RF2 and updates through {@code gen}, the generating session. */
    public Round apply(Db gen, int round) throws SQLException {
        gen.execute("SELECT setseed(" + TpchGenerator.seed(options.seed(), round) + ")");
        int n = options.refreshOrders();
        long[] counts = new long[8];

        long first = ordersNumbered + 1;
        long last = ordersNumbered + n;
        gen.inTransaction(() -> {
            TpchGenerator.Inserted inserted = generator.insertOrders(gen, first, last);
            counts[0] = inserted.orders();
            counts[1] = inserted.lineitems();
        });
        ordersNumbered = last;

        gen.inTransaction(() -> {
            gen.execute("CREATE TEMP TABLE tpch_rf2 ON COMMIT DROP AS"
                    + " SELECT o_orderkey FROM orders ORDER BY random() LIMIT " + n);
            counts[3] = rows(gen, "DELETE FROM lineitem WHERE l_orderkey IN (SELECT o_orderkey FROM tpch_rf2)");
            counts[2] = rows(gen, "DELETE FROM orders WHERE o_orderkey IN (SELECT o_orderkey FROM tpch_rf2)");
        });

        gen.inTransaction(() -> {
            gen.execute("CREATE TEMP TABLE tpch_touched ON COMMIT DROP AS"
                    + " SELECT o_orderkey, " + pick(TpchGenerator.PRIORITIES) + " AS priority"
                    + " FROM (SELECT o_orderkey FROM orders ORDER BY random() LIMIT " + n + ") AS s");
            gen.execute("CREATE TEMP TABLE tpch_touched_lines ON COMMIT DROP AS"
                    + " SELECT k, line, quantity, discount, quantity * " + retailPrice("p") + " AS price"
                    + " FROM (SELECT k, line, p, " + uniform(1, 50) + " AS quantity, " + uniform(0, 10) + " / 100.0 AS discount"
                    + " FROM (SELECT l_orderkey AS k, l_linenumber AS line, l_partkey AS p FROM lineitem"
                    + " WHERE l_orderkey IN (SELECT o_orderkey FROM tpch_touched) ORDER BY 1, 2) AS s OFFSET 0) AS g");
            counts[5] = rows(gen, "UPDATE lineitem SET l_quantity = t.quantity, l_discount = t.discount,"
                    + " l_extendedprice = t.price FROM tpch_touched_lines AS t"
                    + " WHERE l_orderkey = t.k AND l_linenumber = t.line");
            counts[4] = rows(gen, "UPDATE orders SET o_orderpriority = t.priority, o_totalprice = (SELECT "
                    + TpchGenerator.TOTAL_PRICE + " FROM lineitem WHERE l_orderkey = orders.o_orderkey)"
                    + " FROM tpch_touched AS t WHERE orders.o_orderkey = t.o_orderkey");
            int customers = Math.max(1, (int) Math.round(options.customers() * 0.001));
            counts[6] = rows(gen, "UPDATE customer SET c_acctbal = " + money(-999.99, 9999.99)
                    + " WHERE c_custkey IN (SELECT " + uniform(1, options.customers()) + " FROM generate_series(1, "
                    + customers + "))");
            int parts = Math.max(1, (int) Math.round(options.parts() * 0.001));
            counts[7] = rows(gen, "UPDATE partsupp SET ps_supplycost = " + money(1, 1000)
                    + " WHERE ps_partkey IN (SELECT " + uniform(1, options.parts()) + " FROM generate_series(1, "
                    + parts + "))");
        });
        return new Round(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7]);
    }
}
