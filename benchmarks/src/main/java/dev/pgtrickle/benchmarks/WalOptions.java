package dev.pgtrickle.benchmarks;

import java.nio.file.Path;
import java.util.Map;

/**
 * What one run of the WAL-capture benchmark does ({@code wal} command, see {@link WalBenchmark}).
 *
 * @param bulkRows           rows of the bulk INSERT (then UPDATEd and DELETEd by one statement each)
 * @param singleRows         single-row autocommit INSERTs, then as many UPDATEs and DELETEs by key
 * @param writerRuns         repetitions of the writer measurements (the report shows medians)
 * @param decodeChanges      row changes of the decode-throughput workload
 * @param transactionChanges row changes per transaction of that workload
 * @param decodeRuns         times each reader (raw stream, decoder) reads the whole workload
 * @param seed               seed of the written values and of the workload's mix
 * @param out                Markdown report file, or {@code null}
 * @param jdbcUrl            an existing server to create the benchmark database on, or {@code null}
 *                           for the embedded PostgreSQL
 * @param keepDatabase       keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings   settings given to the benchmark database (ALTER DATABASE … SET)
 */
public record WalOptions(int bulkRows, int singleRows, int writerRuns, int decodeChanges, int transactionChanges,
                         int decodeRuns, long seed, Path out, String jdbcUrl, boolean keepDatabase,
                         Map<String, String> databaseSettings) {

    public WalOptions {
        databaseSettings = Map.copyOf(databaseSettings);
        if (bulkRows < 1 || singleRows < 1 || writerRuns < 1 || decodeChanges < 1 || transactionChanges < 1
                || decodeRuns < 1) {
            throw new IllegalArgumentException("sizes and repetitions must be at least 1");
        }
    }

    /** 100,000-row statements, 5,000 single-row ones, 200,000 changes in transactions of 100. */
    public static WalOptions defaults() {
        return new WalOptions(100_000, 5_000, 5, 200_000, 100, 3, 42, null, null, false, Map.of());
    }
}
