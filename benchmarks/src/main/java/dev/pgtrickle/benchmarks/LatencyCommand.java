package dev.pgtrickle.benchmarks;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code latency} command: the propagation-latency benchmark ({@link LatencyBenchmark}). */
@Command(name = "latency", sortOptions = false,
        description = "Propagation latency from a source commit to the last of three chained stream tables, "
                + "refreshed by the daemon, under a sustained write rate.")
public final class LatencyCommand extends BenchmarkCommand<LatencyOptions> {

    /** The embedded server of the latency benchmark: autovacuum on, as in production (see LatencyBenchmark). */
    private static final Map<String, String> SERVER_SETTINGS = Map.of("autovacuum", "on");
    private static final LatencyOptions DEFAULTS = LatencyOptions.defaults();

    @Option(names = "--rates", paramLabel = "N,N,...", split = ",", converter = AtLeastOne.class,
            description = "Source rows per second, one run each (default 1000,5000).")
    private List<Integer> rates = DEFAULTS.rates();

    @Option(names = "--duration", paramLabel = "S", converter = AtLeastOne.class,
            description = "Measured seconds per rate (default ${DEFAULT-VALUE}).")
    private int duration = DEFAULTS.durationSeconds();

    @Option(names = "--warmup", paramLabel = "S",
            description = "Seconds of writing before the measured ones (default ${DEFAULT-VALUE}).")
    private int warmup = DEFAULTS.warmupSeconds();

    @Option(names = "--batch-ms", paramLabel = "N", converter = AtLeastOne.class,
            description = "One INSERT transaction every N ms (default ${DEFAULT-VALUE}).")
    private int batchMillis = DEFAULTS.batchMillis();

    @Option(names = "--poll-ms", paramLabel = "N", converter = AtLeastOne.class,
            description = "Read the last stream table every N ms (default ${DEFAULT-VALUE}).")
    private int pollMillis = DEFAULTS.pollMillis();

    @Option(names = "--accounts", paramLabel = "N", converter = AtLeastOne.class,
            description = "Distinct accounts of the written rows (default ${DEFAULT-VALUE}).")
    private int accounts = DEFAULTS.accounts();

    @Option(names = "--cdc", paramLabel = "trigger|wal",
            description = "Capture the source with triggers (default) or from the WAL; wal needs the JVM flags "
                    + "of the wal command.")
    private LatencyOptions.Capture capture = DEFAULTS.capture();

    @Option(names = "--keep-writing",
            description = "After the measured seconds, keep writing (unmeasured) until every measured "
                    + "transaction has arrived.")
    private boolean keepWriting = DEFAULTS.keepWriting();

    @Option(names = "--schedule", paramLabel = "S",
            description = "Schedule of the last stream table, which the others follow (default ${DEFAULT-VALUE}; "
                    + "e.g. 250ms).")
    private String schedule = DEFAULTS.schedule();

    @Override
    public LatencyOptions options() {
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must not be negative");
        }
        SharedOptions shared = shared();
        return new LatencyOptions(rates, duration, warmup, batchMillis, pollMillis, accounts, capture, keepWriting,
                shared.seed(), shared.out(), shared.jdbcUrl(), shared.keepDatabase(), shared.settings(), schedule);
    }

    @Override
    public Map<String, String> serverSettings() {
        return SERVER_SETTINGS;
    }

    @Override
    public boolean journals(LatencyOptions options) {
        return options.capture() == LatencyOptions.Capture.WAL;
    }

    @Override
    public String report(LatencyOptions options, String databaseUrl, String server, Progress progress,
                         String commandLine) throws Exception {
        return ReportWriter.write(new LatencyBenchmark(options, progress).run(databaseUrl, server), commandLine);
    }
}
