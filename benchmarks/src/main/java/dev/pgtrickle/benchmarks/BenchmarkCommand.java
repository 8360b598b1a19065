package dev.pgtrickle.benchmarks;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * A benchmark as a command of the benchmarks' command line: the options given, and how it runs on
 * a fresh database and reports. {@link Main#run} starts the server, runs it and writes the report.
 *
 * @param <O> the benchmark's options
 */
public abstract class BenchmarkCommand<O> implements Callable<Integer> {

    @Mixin
    private SharedOptions shared;

    /** The options given (a record whose constructor rejects what does not fit together). */
    public abstract O options();

    /** Runs the benchmark on the database at {@code databaseUrl} and returns the Markdown report. */
    public abstract String report(O options, String databaseUrl, String server, Progress progress, String commandLine)
            throws Exception;

    /** The options every command takes. */
    public SharedOptions shared() {
        return shared;
    }

    /** Settings of the embedded server the benchmark needs beyond the defaults. */
    public Map<String, String> serverSettings() {
        return Map.of();
    }

    /** Whether the run opens a Chronicle Queue journal, which needs {@link Main#CHRONICLE_FLAGS}. */
    public boolean journals(O options) {
        return false;
    }

    @Override
    public Integer call() throws Exception {
        return Main.run(this);
    }
}
