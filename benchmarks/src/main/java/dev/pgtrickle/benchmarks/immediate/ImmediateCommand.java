package dev.pgtrickle.benchmarks.immediate;

import dev.pgtrickle.benchmarks.AtLeastOne;
import dev.pgtrickle.benchmarks.BenchmarkCommand;
import dev.pgtrickle.benchmarks.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code immediate} command: the writers' cost of IMMEDIATE mode ({@link ImmediateBenchmark}). */
@Command(name = "immediate", sortOptions = false,
        description = "The writers' cost of an IMMEDIATE aggregate stream table: single-row and bulk statements "
                + "and concurrent clients, without and with it.")
public final class ImmediateCommand extends BenchmarkCommand<ImmediateOptions> {

    private static final ImmediateOptions DEFAULTS = ImmediateOptions.defaults();

    @Option(names = "--rows", paramLabel = "N", converter = AtLeastOne.class,
            description = "Rows of the source table (default ${DEFAULT-VALUE}).")
    private int rows = DEFAULTS.rows();

    @Option(names = "--groups", paramLabel = "N", converter = AtLeastOne.class,
            description = "Groups of the aggregate (default ${DEFAULT-VALUE}).")
    private int groups = DEFAULTS.groups();

    @Option(names = "--statements", paramLabel = "N", converter = AtLeastOne.class,
            description = "Single-row statements of each kind timed (default ${DEFAULT-VALUE}).")
    private int statements = DEFAULTS.statements();

    @Option(names = "--bulk-rows", paramLabel = "N", converter = AtLeastOne.class,
            description = "Rows of each bulk statement (default ${DEFAULT-VALUE}).")
    private int bulkRows = DEFAULTS.bulkRows();

    @Option(names = "--clients", paramLabel = "N", converter = AtLeastOne.class,
            description = "Concurrent clients updating random rows (default ${DEFAULT-VALUE}).")
    private int clients = DEFAULTS.clients();

    @Option(names = "--seconds", paramLabel = "N", converter = AtLeastOne.class,
            description = "Seconds of each throughput measurement (default ${DEFAULT-VALUE}).")
    private int seconds = DEFAULTS.seconds();

    @Override
    public ImmediateOptions options() {
        return new ImmediateOptions(rows, groups, statements, bulkRows, clients, seconds, shared().seed(), shared().out(),
                shared().jdbcUrl(), shared().keepDatabase(), shared().settings());
    }

    @Override
    public String report(ImmediateOptions options, String databaseUrl, String server, Progress progress,
                         String commandLine) throws Exception {
        return new ImmediateBenchmark(options, progress).run(databaseUrl, server).markdown(commandLine);
    }
}
