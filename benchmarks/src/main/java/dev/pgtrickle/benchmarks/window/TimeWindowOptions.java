package dev.pgtrickle.benchmarks.window;

import java.nio.file.Path;
import java.util.Map;

/**
 * What one run of the time-window benchmark ({@code window} command, see {@link TimeWindowBenchmark}) does.
 *
 * @param events           rows of the event table before the first round, one every 1 / {@code rate} s
 *                         up to the start time
 * @param rate             rows inserted per second of (frozen-clock) time while the rounds run
 * @param windowMinutes    the length of the window the queries keep
 * @param rounds           rounds of one second each: {@code rate} new rows, the clock moved by a second,
 *                         refreshes (the report shows medians)
 * @param seed             seed of the generated kinds and amounts
 * @param out              Markdown report file, or {@code null}
 * @param jdbcUrl          an existing server to create the benchmark database on, or {@code null}
 *                         for the embedded PostgreSQL
 * @param keepDatabase     keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings settings given to the benchmark database (ALTER DATABASE … SET)
 */
public record TimeWindowOptions(int events, int rate, int windowMinutes, int rounds, long seed, Path out, String jdbcUrl,
                                boolean keepDatabase, Map<String, String> databaseSettings) {

    public TimeWindowOptions {
        databaseSettings = Map.copyOf(databaseSettings);
        if (events < 1000 || rate < 1 || windowMinutes < 1 || rounds < 1) {
            throw new IllegalArgumentException("--events must be at least 1000; --rate, --window-minutes and --rounds"
                    + " at least 1");
        }
    }

    /** 1,000,000 events, 1,000 a second, a 5-minute window, 10 rounds, seed 42. */
    public static TimeWindowOptions defaults() {
        return new TimeWindowOptions(1_000_000, 1000, 5, 10, 42, null, null, false, Map.of());
    }
}
