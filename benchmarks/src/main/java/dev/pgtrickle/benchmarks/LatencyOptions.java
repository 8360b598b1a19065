package dev.pgtrickle.benchmarks;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

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
 * @param capture          how the changes to the source table are captured
 * @param keepWriting      after the measured window, keep writing at the rate (unmeasured) until
 *                         every measured transaction has reached the last stage, so that the last
 *                         measured ones travel under the same load as the others
 * @param seed             seed of the written values
 * @param out              Markdown report file, or {@code null}
 * @param jdbcUrl          an existing server to create the benchmark database on, or {@code null}
 *                         for the embedded PostgreSQL
 * @param keepDatabase     keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings settings given to the benchmark database (ALTER DATABASE … SET)
 * @param schedule         the schedule of the last stage, which the two before it follow
 */
public record LatencyOptions(List<Integer> rates, int durationSeconds, int warmupSeconds, int batchMillis,
                             int pollMillis, int accounts, Capture capture, boolean keepWriting, long seed, Path out, String jdbcUrl,
                             boolean keepDatabase, Map<String, String> databaseSettings, String schedule) {

    /** How the source's changes reach the first stage (docs/cdc-modes.md). */
    public enum Capture {
        /** pgtrickle's statement triggers copy them into the change buffer in the writing transaction. */
        TRIGGER,
        /**
         * The daemon decodes them from the WAL into its journal and loads them into the change
         * buffer at the start of each refresh of the first stage.
         */
        WAL;

        /** {@code trigger} or {@code wal}, as the report names it and {@code --cdc} is written. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public LatencyOptions {
        rates = List.copyOf(rates);
        databaseSettings = Map.copyOf(databaseSettings);
        Objects.requireNonNull(capture, "capture");
        Objects.requireNonNull(schedule, "schedule");
        if (rates.isEmpty() || rates.stream().anyMatch(r -> r < 1)) {
            throw new IllegalArgumentException("rates must be at least 1 row/s: " + rates);
        }
    }

    /**
     * 1,000 and 5,000 rows/s for 60 s each with trigger capture (issue 3 §8: p99 under 2 s at
     * 5,000 rows/s).
     */
    public static LatencyOptions defaults() {
        return new LatencyOptions(List.of(1000, 5000), 60, 5, 10, 20, 1000, Capture.TRIGGER, false, 42, null, null, false,
                Map.of(), "1s");
    }
}
