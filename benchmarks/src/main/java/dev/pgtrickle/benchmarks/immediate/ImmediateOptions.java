package dev.pgtrickle.benchmarks.immediate;

import java.nio.file.Path;
import java.util.Map;

/**
 * What one run of the IMMEDIATE-mode benchmark ({@code immediate} command, see {@link ImmediateBenchmark}) does.
 *
 * @param rows             rows of the source table
 * @param groups           groups (regions) of the aggregate the stream table keeps
 * @param statements       single-row statements of each kind (INSERT, UPDATE, DELETE) timed per phase
 * @param bulkRows         rows of each bulk statement
 * @param clients          concurrent writers of the throughput measurement
 * @param seconds          seconds each throughput measurement lasts
 * @param seed             seed of the generated data and of the rows the statements pick
 * @param out              Markdown report file, or {@code null}
 * @param jdbcUrl          an existing server to create the benchmark database on, or {@code null}
 *                         for the embedded PostgreSQL
 * @param keepDatabase     keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings settings given to the benchmark database (ALTER DATABASE … SET)
 */
public record ImmediateOptions(int rows, int groups, int statements, int bulkRows, int clients, int seconds, long seed,
                               Path out, String jdbcUrl, boolean keepDatabase, Map<String, String> databaseSettings) {

    public ImmediateOptions {
        databaseSettings = Map.copyOf(databaseSettings);
        if (rows < 1000 || groups < 1 || statements < 1 || bulkRows < 1 || bulkRows > rows || clients < 1 || seconds < 1) {
            throw new IllegalArgumentException("--rows must be at least 1000 and at least --bulk-rows; --groups,"
                    + " --statements, --bulk-rows, --clients and --seconds at least 1");
        }
    }

    /** 1,000,000 rows in 1,000 groups, 2,000 statements of each kind, bulk 100,000 rows, 8 clients for 10 s, seed 42. */
    public static ImmediateOptions defaults() {
        return new ImmediateOptions(1_000_000, 1000, 2000, 100_000, 8, 10, 42, null, null, false, Map.of());
    }
}
