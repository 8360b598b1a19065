package dev.pgtrickle.benchmarks;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code wal} command: the WAL-capture benchmark ({@link WalBenchmark}). */
@Command(name = "wal", sortOptions = false,
        description = "Writer overhead of WAL capture against no capture and trigger capture, and the decoder's "
                + "throughput against streaming the slot raw; needs the JVM flags of docs/benchmarks.md.")
public final class WalCommand extends BenchmarkCommand<WalOptions> {

    private static final WalOptions DEFAULTS = WalOptions.defaults();

    @Option(names = "--bulk-rows", paramLabel = "N", converter = AtLeastOne.class,
            description = "Rows of the bulk INSERT, UPDATE and DELETE (default ${DEFAULT-VALUE}).")
    private int bulkRows = DEFAULTS.bulkRows();

    @Option(names = "--single-rows", paramLabel = "N", converter = AtLeastOne.class,
            description = "Single-row INSERTs, UPDATEs and DELETEs (default ${DEFAULT-VALUE}).")
    private int singleRows = DEFAULTS.singleRows();

    @Option(names = "--runs", paramLabel = "N", converter = AtLeastOne.class,
            description = "Repetitions of the writer measurements (default ${DEFAULT-VALUE}).")
    private int runs = DEFAULTS.writerRuns();

    @Option(names = "--decode-changes", paramLabel = "N", converter = AtLeastOne.class,
            description = "Row changes of the decode workload (default ${DEFAULT-VALUE}).")
    private int decodeChanges = DEFAULTS.decodeChanges();

    @Option(names = "--txn-changes", paramLabel = "N", converter = AtLeastOne.class,
            description = "Row changes per transaction of that workload (default ${DEFAULT-VALUE}).")
    private int transactionChanges = DEFAULTS.transactionChanges();

    @Option(names = "--decode-runs", paramLabel = "N", converter = AtLeastOne.class,
            description = "Reads of the workload by each reader (default ${DEFAULT-VALUE}).")
    private int decodeRuns = DEFAULTS.decodeRuns();

    @Override
    public WalOptions options() {
        return new WalOptions(bulkRows, singleRows, runs, decodeChanges, transactionChanges, decodeRuns, shared().seed(),
                shared().out(), shared().jdbcUrl(), shared().keepDatabase(), shared().settings());
    }

    @Override
    public boolean journals(WalOptions options) {
        return true;
    }

    @Override
    public String report(WalOptions options, String databaseUrl, String server, Progress progress,
                         String commandLine) throws Exception {
        return ReportWriter.write(new WalBenchmark(options, progress).run(databaseUrl, server), commandLine);
    }
}
