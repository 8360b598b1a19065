package dev.pgtrickle.benchmarks.tpch;

import dev.pgtrickle.benchmarks.AtLeastOne;
import dev.pgtrickle.benchmarks.BenchmarkCommand;
import dev.pgtrickle.benchmarks.Progress;
import dev.pgtrickle.benchmarks.ReportWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code tpch} command: the TPC-H queries as stream tables ({@link TpchBenchmark}). */
@Command(name = "tpch", sortOptions = false,
        description = "The 22 TPC-H queries, each as a DIFFERENTIAL stream table (where accepted), a FULL stream "
                + "table and a materialized view, refreshed after rounds of the refresh functions (RF1 inserts "
                + "0.1 %% of orders, RF2 deletes 0.1 %%, plus updates of about 0.1 %%); a row per query.")
public final class TpchCommand extends BenchmarkCommand<TpchOptions> {

    private static final TpchOptions DEFAULTS = TpchOptions.defaults();

    @Option(names = "--scale", paramLabel = "SF",
            description = "TPC-H scale factor, at least 0.01 (default ${DEFAULT-VALUE}: 1,500,000 orders, about "
                    + "6,000,000 lineitems).")
    private double scale = DEFAULTS.scale();

    @Option(names = "--runs", paramLabel = "N", converter = AtLeastOne.class,
            description = "Rounds of refresh functions and refreshes (default ${DEFAULT-VALUE}).")
    private int runs = DEFAULTS.runs();

    @Option(names = "--queries", paramLabel = "N,N,...", split = ",", converter = AtLeastOne.class,
            description = "The queries to run, 1-22 (default all).")
    private List<Integer> queries = DEFAULTS.queries();

    @Option(names = "--auto-twins",
            description = "Also an AUTO stream table per accepted query; report whether it chose the faster of "
                    + "DIFFERENTIAL and FULL in each round.")
    private boolean autoTwins = DEFAULTS.autoTwins();

    @Override
    public TpchOptions options() {
        return new TpchOptions(scale, runs, queries, shared().seed(), shared().out(), shared().jdbcUrl(),
                shared().keepDatabase(), shared().settings(), autoTwins);
    }

    @Override
    public String report(TpchOptions options, String databaseUrl, String server, Progress progress,
                         String commandLine) throws Exception {
        return ReportWriter.write(new TpchBenchmark(options, progress).run(databaseUrl, server), commandLine);
    }
}
