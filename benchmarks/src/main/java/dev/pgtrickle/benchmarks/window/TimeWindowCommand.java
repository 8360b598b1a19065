package dev.pgtrickle.benchmarks.window;

import dev.pgtrickle.benchmarks.AtLeastOne;
import dev.pgtrickle.benchmarks.BenchmarkCommand;
import dev.pgtrickle.benchmarks.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code window} command: queries over a moving time window ({@link TimeWindowBenchmark}). */
@Command(name = "window", sortOptions = false,
        description = "An event table and queries over its last minutes, as DIFFERENTIAL and FULL stream tables, "
                + "refreshed after each second of events on a frozen clock.")
public final class TimeWindowCommand extends BenchmarkCommand<TimeWindowOptions> {

    private static final TimeWindowOptions DEFAULTS = TimeWindowOptions.defaults();

    @Option(names = "--events", paramLabel = "N", converter = AtLeastOne.class,
            description = "Events before the first round (default ${DEFAULT-VALUE}).")
    private int events = DEFAULTS.events();

    @Option(names = "--rate", paramLabel = "N", converter = AtLeastOne.class,
            description = "Events per second (default ${DEFAULT-VALUE}).")
    private int rate = DEFAULTS.rate();

    @Option(names = "--window-minutes", paramLabel = "N", converter = AtLeastOne.class,
            description = "The window's length (default ${DEFAULT-VALUE}).")
    private int minutes = DEFAULTS.windowMinutes();

    @Option(names = "--rounds", paramLabel = "N", converter = AtLeastOne.class,
            description = "Seconds of events and refreshes (default ${DEFAULT-VALUE}).")
    private int rounds = DEFAULTS.rounds();

    @Override
    public TimeWindowOptions options() {
        return new TimeWindowOptions(events, rate, minutes, rounds, shared().seed(), shared().out(), shared().jdbcUrl(),
                shared().keepDatabase(), shared().settings());
    }

    @Override
    public String report(TimeWindowOptions options, String databaseUrl, String server, Progress progress,
                         String commandLine) throws Exception {
        return new TimeWindowBenchmark(options, progress).run(databaseUrl, server).markdown(commandLine);
    }
}
