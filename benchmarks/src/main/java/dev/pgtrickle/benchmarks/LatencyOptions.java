package dev.pgtrickle.benchmarks;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What one run of the propagation-latency benchmark does ({@code latency} command, see
 * {@link LatencyBenchmark}).
 *
 * @param rates            source rows per second, one measured run each, in this order
 * @param durationSeconds  measured seconds of writing per rate
 * @param warmupSeconds    seconds of writing at the rate before the measured ones (not measured)
 * @param batchMillis      the writer commits one multi-row INSERT every this many milliseconds
 * @param pollMillis       the observer reads the last stream table every this many milliseconds
 * @param accounts         distinct accounts the writer spreads the rows over (groups of stage 2)
 * @param seed             seed of the written values
 * @param out              Markdown report file, or {@code null}
 * @param jdbcUrl          an existing server to create the benchmark database on, or {@code null}
 *                         for the embedded PostgreSQL
 * @param keepDatabase     keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings settings given to the benchmark database (ALTER DATABASE … SET)
 */
public record LatencyOptions(List<Integer> rates, int durationSeconds, int warmupSeconds, int batchMillis,
                             int pollMillis, int accounts, long seed, Path out, String jdbcUrl,
                             boolean keepDatabase, Map<String, String> databaseSettings) {

    public LatencyOptions {
        rates = List.copyOf(rates);
        databaseSettings = Map.copyOf(databaseSettings);
        if (rates.isEmpty() || rates.stream().anyMatch(r -> r < 1)) {
            throw new IllegalArgumentException("rates must be at least 1 row/s: " + rates);
        }
    }

    /** 1,000 and 5,000 rows/s for 60 s each (issue 3 §8: p99 under 2 s at 5,000 rows/s). */
    public static LatencyOptions defaults() {
        return new LatencyOptions(List.of(1000, 5000), 60, 5, 10, 20, 1000, 42, null, null, false, Map.of());
    }
}
