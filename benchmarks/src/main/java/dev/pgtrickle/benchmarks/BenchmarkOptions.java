package dev.pgtrickle.benchmarks;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.DoubleStream;

/**
 * What one run of the macro benchmark does. The data volume scales linearly with {@code scale}:
 * 1.0 is the 1,000,000 orders and 100,000 customers.
 *
 * @param scale             data volume relative to 1,000,000 orders
 * @param batchesPerSize    measured change batches per batch size (medians over these)
 * @param warmupBatches     unmeasured batches per batch size before the measured ones
 * @param noChangeRuns      refreshes without pending changes per stream table
 * @param captureRuns       repetitions of each capture-overhead measurement
 * @param singleRowInserts  single-row autocommit INSERTs per capture repetition
 * @param analyzeBuffers    ANALYZE the change buffers after each batch, before the refreshes
 * @param seed              seed of the change batches (the initial data uses a fixed SQL seed)
 * @param out               Markdown report file, or {@code null}
 * @param explainOut        file for EXPLAIN ANALYZE of the generated refresh statements, or {@code null}
 * @param jdbcUrl           an existing server to create the benchmark database on, or {@code null}
 *                          for the embedded PostgreSQL
 * @param keepDatabase      keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings  settings given to the benchmark database (ALTER DATABASE … SET)
 * @param autoTwins         also an AUTO twin per query, whose choices are checked against the
 *                          faster of DIFFERENTIAL and FULL (off by default: eight more stream
 *                          tables to refresh and keep in memory slow the others measurably)
 */
public record BenchmarkOptions(double scale, int batchesPerSize, int warmupBatches, int noChangeRuns,
                               int captureRuns, int singleRowInserts, boolean analyzeBuffers, long seed,
                               Path out, Path explainOut, String jdbcUrl, boolean keepDatabase,
                               Map<String, String> databaseSettings, boolean autoTwins) {

    /** Change batch sizes as fractions of the orders table (issue 3: 0.1 % and 1 %). */
    public static final double[] BATCH_FRACTIONS = {0.001, 0.01};
    /**
     * Larger batches measured only with the AUTO twins, so that AUTO is also judged where FULL may
     * be the faster way; fewer of them ({@link #AUTO_BATCHES}), and no speedup target.
     */
    public static final double[] AUTO_FRACTIONS = {0.05, 0.25};
    private static final int AUTO_BATCHES = 3;

    public static BenchmarkOptions defaults() {
        return new BenchmarkOptions(1.0, 7, 1, 25, 5, 1000, true, 42, null, null, null, false, Map.of(), false);
    }

    public int orders() {
        return Math.max(1000, (int) Math.round(1_000_000 * scale));
    }

    public int customers() {
        return Math.max(100, (int) Math.round(100_000 * scale));
    }

    /** Rows of each bulk INSERT, UPDATE and DELETE of the capture-overhead measurement. */
    public int captureBulkRows() {
        return Math.max(100, (int) Math.round(100_000 * scale));
    }

    /** The batch sizes this run measures, in order. */
    public List<Double> fractions() {
        DoubleStream sizes = Arrays.stream(BATCH_FRACTIONS);
        return (autoTwins ? DoubleStream.concat(sizes, Arrays.stream(AUTO_FRACTIONS)) : sizes).boxed().toList();
    }

    /** Whether {@code fraction} is measured for AUTO's choices only (no speedup target). */
    public static boolean forAutoOnly(double fraction) {
        return Arrays.stream(AUTO_FRACTIONS).anyMatch(f -> f == fraction);
    }

    /** Measured batches at {@code fraction}. */
    public int batchesAt(double fraction) {
        return forAutoOnly(fraction) ? Math.min(batchesPerSize, AUTO_BATCHES) : batchesPerSize;
    }

    public int batchSize(double fraction) {
        return Math.max(20, (int) Math.round(orders() * fraction));
    }

    public BenchmarkOptions withScale(double value) {
        return new BenchmarkOptions(value, batchesPerSize, warmupBatches, noChangeRuns, captureRuns,
                singleRowInserts, analyzeBuffers, seed, out, explainOut, jdbcUrl, keepDatabase, databaseSettings, autoTwins);
    }
}
