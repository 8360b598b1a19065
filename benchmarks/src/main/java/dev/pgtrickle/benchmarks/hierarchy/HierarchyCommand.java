package dev.pgtrickle.benchmarks.hierarchy;

import dev.pgtrickle.benchmarks.AtLeastOne;
import dev.pgtrickle.benchmarks.BenchmarkCommand;
import dev.pgtrickle.benchmarks.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code hierarchy} command: a recursive query over a hierarchy ({@link HierarchyBenchmark}). */
@Command(name = "hierarchy", sortOptions = false,
        description = "The reference documentation's recursive department tree over a generated hierarchy, as a "
                + "DIFFERENTIAL stream table, a FULL one and a materialized view, refreshed after rounds of "
                + "moved subtrees.")
public final class HierarchyCommand extends BenchmarkCommand<HierarchyOptions> {

    private static final HierarchyOptions DEFAULTS = HierarchyOptions.defaults();

    @Option(names = "--nodes", paramLabel = "N", converter = AtLeastOne.class,
            description = "Nodes of the hierarchy (default ${DEFAULT-VALUE}: 12 levels).")
    private int nodes = DEFAULTS.nodes();

    @Option(names = "--rounds", paramLabel = "N", converter = AtLeastOne.class,
            description = "Rounds of moves and refreshes (default ${DEFAULT-VALUE}).")
    private int rounds = DEFAULTS.rounds();

    @Option(names = "--moves", paramLabel = "N", converter = AtLeastOne.class,
            description = "Nodes moved per round (default ${DEFAULT-VALUE}, 0.1 %%).")
    private int moves = DEFAULTS.moves();

    @Override
    public HierarchyOptions options() {
        return new HierarchyOptions(nodes, rounds, moves, shared().seed(), shared().out(), shared().jdbcUrl(),
                shared().keepDatabase(), shared().settings());
    }

    @Override
    public String report(HierarchyOptions options, String databaseUrl, String server, Progress progress,
                         String commandLine) throws Exception {
        return new HierarchyBenchmark(options, progress).run(databaseUrl, server).markdown(commandLine);
    }
}
