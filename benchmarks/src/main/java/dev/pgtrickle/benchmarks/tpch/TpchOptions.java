package dev.pgtrickle.benchmarks.tpch;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What one run of the TPC-H benchmark ({@code tpch} command, see {@link TpchBenchmark}) does.
 *
 * @param scale            TPC-H scale factor: 1 = 1,500,000 orders, 150,000 customers, 200,000
 *                         parts, 10,000 suppliers; at least {@link #MIN_SCALE}
 * @param runs             rounds of refresh functions followed by refreshes (the report shows medians)
 * @param queries          the TPC-H query numbers to run (1–22), ascending
 * @param seed             seed of the generated data and of the refresh functions
 * @param out              Markdown report file, or {@code null}
 * @param jdbcUrl          an existing server to create the benchmark database on, or {@code null}
 *                         for the embedded PostgreSQL
 * @param keepDatabase     keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings settings given to the benchmark database (ALTER DATABASE … SET)
 * @param autoTwins        also an AUTO stream table per accepted query, whose choices are checked
 *                         against the faster of DIFFERENTIAL and FULL in each round
 */
public record TpchOptions(double scale, int runs, List<Integer> queries, long seed, Path out, String jdbcUrl,
                          boolean keepDatabase, Map<String, String> databaseSettings, boolean autoTwins) {

    /**
     * The smallest scale factor: 100 suppliers, so that the four suppliers of every part (the
     * specification's formula) are distinct.
     */
    public static final double MIN_SCALE = 0.01;

    /** Every query of the benchmark. */
    public static final List<Integer> ALL_QUERIES = IntStream.rangeClosed(1, TpchQueries.COUNT).boxed().toList();

    public TpchOptions {
        queries = queries.stream().distinct().sorted().toList();
        databaseSettings = Map.copyOf(databaseSettings);
        if (!(scale >= MIN_SCALE)) {
            throw new IllegalArgumentException("--scale must be at least " + MIN_SCALE);
        }
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1");
        }
        if (queries.isEmpty() || queries.get(0) < 1 || queries.get(queries.size() - 1) > TpchQueries.COUNT) {
            throw new IllegalArgumentException("--queries takes query numbers from 1 to " + TpchQueries.COUNT);
        }
    }

    /** Scale factor 1, 3 rounds, all 22 queries, seed 42. */
    public static TpchOptions defaults() {
        return new TpchOptions(1.0, 3, ALL_QUERIES, 42, null, null, false, Map.of(), false);
    }

    public int suppliers() {
        return scaled(10_000);
    }

    public int customers() {
        return scaled(150_000);
    }

    public int parts() {
        return scaled(200_000);
    }

    public int orders() {
        return scaled(1_500_000);
    }

    /** Clerks the orders name ({@code Clerk#…}): 1,000 per scale factor. */
    public int clerks() {
        return Math.max(1, scaled(1_000));
    }

    /**
     * Orders each refresh function inserts (RF1) or deletes (RF2), and orders whose priority a
     * round updates: 0.1 % of the orders, as in the specification (1,500 per scale factor).
     */
    public int refreshOrders() {
        return Math.max(1, scaled(1_500));
    }

    private int scaled(int perScaleFactor) {
        return (int) Math.round(perScaleFactor * scale);
    }
}
