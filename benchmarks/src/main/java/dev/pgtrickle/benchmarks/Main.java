package dev.pgtrickle.benchmarks;

import dev.pgtrickle.benchmarks.hierarchy.HierarchyBenchmark;
import dev.pgtrickle.benchmarks.hierarchy.HierarchyCommand;
import dev.pgtrickle.benchmarks.immediate.ImmediateBenchmark;
import dev.pgtrickle.benchmarks.immediate.ImmediateCommand;
import dev.pgtrickle.benchmarks.tpch.TpchBenchmark;
import dev.pgtrickle.benchmarks.tpch.TpchCommand;
import dev.pgtrickle.benchmarks.window.TimeWindowBenchmark;
import dev.pgtrickle.benchmarks.window.TimeWindowCommand;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ParameterException;

/**
 * The benchmarks of issue 3 §8 (docs/benchmarks.md): the macro benchmark, with the command
 * {@code latency} the propagation-latency benchmark, with {@code wal} the WAL-capture benchmark, and
 * with {@code tpch} the TPC-H queries as stream tables ({@link TpchBenchmark}), with {@code hierarchy}
 * a recursive query over a hierarchy ({@link HierarchyBenchmark}), with {@code window} queries over
 * a moving time window ({@link TimeWindowBenchmark}), with {@code immediate} the writers' cost of
 * IMMEDIATE mode ({@link ImmediateBenchmark});
 * {@code wal} and {@code latency --cdc wal} need Chronicle Queue's JVM flags ({@link #CHRONICLE_FLAGS}):
 * <pre>
 * mvn -B -ntp -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/pgtrickle-benchmarks.jar [--scale 1.0] [--out report.md]
 * java -jar benchmarks/target/pgtrickle-benchmarks.jar latency [--rates 1000,5000] [--duration 60]
 * java &lt;CHRONICLE_FLAGS&gt; -jar benchmarks/target/pgtrickle-benchmarks.jar latency --cdc wal [...]
 * java &lt;CHRONICLE_FLAGS&gt; -jar benchmarks/target/pgtrickle-benchmarks.jar wal [--out wal-report.md]
 * java -jar benchmarks/target/pgtrickle-benchmarks.jar tpch [--scale 1] [--runs 3] [--queries 1,3,5]
 * java -jar benchmarks/target/pgtrickle-benchmarks.jar hierarchy [--nodes 100000] [--rounds 5] [--moves 100]
 * java -jar benchmarks/target/pgtrickle-benchmarks.jar window [--events 1000000] [--rate 1000] [--rounds 10]
 * java -jar benchmarks/target/pgtrickle-benchmarks.jar immediate [--rows 1000000] [--clients 8] [--seconds 10]
 * </pre>
 * Progress goes to stderr, the Markdown report to stdout (and to {@code --out}). The options are
 * picocli's; each command's {@code --help} lists its own.
 */
@Command(name = "pgtrickle-benchmarks", sortOptions = false,
        description = "The macro benchmark: orders and customers, eight stream tables refreshed DIFFERENTIAL and "
                + "FULL and as materialized views after change batches of 0.1 %% and 1 %%, capture overhead, "
                + "refreshes without changes. The commands below run the other benchmarks.",
        subcommands = {LatencyCommand.class, WalCommand.class, TpchCommand.class, HierarchyCommand.class,
                TimeWindowCommand.class, ImmediateCommand.class})
public final class Main extends BenchmarkCommand<BenchmarkOptions> {

    /**
     * What Chronicle Queue (the decoder's journal) needs on Java 17: the root pom's
     * {@code chronicle.jvm.flags}, repeated here for the error message.
     */
    static final String CHRONICLE_FLAGS = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"
            + " --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED"
            + " -Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true";

    private static final BenchmarkOptions DEFAULTS = BenchmarkOptions.defaults();

    @Option(names = "--scale", paramLabel = "X",
            description = "Data volume, 1.0 = 1,000,000 orders / 100,000 customers (default ${DEFAULT-VALUE}).")
    private double scale = DEFAULTS.scale();

    @Option(names = "--batches", paramLabel = "N", converter = AtLeastOne.class,
            description = "Measured change batches per batch size (default ${DEFAULT-VALUE}).")
    private int batches = DEFAULTS.batchesPerSize();

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up batches per batch size (default "
            + "${DEFAULT-VALUE}).")
    private int warmup = DEFAULTS.warmupBatches();

    @Option(names = "--no-change-runs", paramLabel = "N", converter = AtLeastOne.class,
            description = "Refreshes without changes per stream table (default ${DEFAULT-VALUE}).")
    private int noChangeRuns = DEFAULTS.noChangeRuns();

    @Option(names = "--capture-runs", paramLabel = "N", converter = AtLeastOne.class,
            description = "Repetitions of the capture-overhead measurements (default ${DEFAULT-VALUE}).")
    private int captureRuns = DEFAULTS.captureRuns();

    @Option(names = "--single-inserts", paramLabel = "N", converter = AtLeastOne.class,
            description = "Single-row INSERTs per capture repetition (default ${DEFAULT-VALUE}).")
    private int singleInserts = DEFAULTS.singleRowInserts();

    @Option(names = "--no-analyze-buffers", description = "Do not ANALYZE the change buffers after each batch.")
    private boolean noAnalyzeBuffers;

    @Option(names = "--auto-twins",
            description = "Also an AUTO stream table per query; report whether it chose the faster of "
                    + "DIFFERENTIAL and FULL for each batch; adds batches of 5 %% and 25 %% (3 measured each), "
                    + "where FULL may be faster.")
    private boolean autoTwins;

    @Option(names = "--explain", paramLabel = "FILE",
            description = "Write EXPLAIN ANALYZE of the generated refresh statements to FILE.")
    private Path explain;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The benchmarks' command line; the macro benchmark runs when no command is named. */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** The options {@code args} give {@code command}, as the command line parses them. */
    public static <O> O parse(BenchmarkCommand<O> command, String... args) {
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return checked(command);
    }

    @Override
    public BenchmarkOptions options() {
        if (!(scale > 0)) {
            throw new IllegalArgumentException("--scale must be positive");
        }
        SharedOptions shared = shared();
        return new BenchmarkOptions(scale, batches, warmup, noChangeRuns, captureRuns, singleInserts, !noAnalyzeBuffers,
                shared.seed(), shared.out(), explain, shared.jdbcUrl(), shared.keepDatabase(), shared.settings(),
                autoTwins);
    }

    @Override
    public String report(BenchmarkOptions options, String databaseUrl, String server, Progress progress,
                         String commandLine) throws Exception {
        return ReportWriter.write(new MacroBenchmark(options, progress).run(databaseUrl, server), commandLine);
    }

    /**
     * Runs {@code command}'s benchmark on a fresh database (the embedded server's, or one created
     * on the server of --jdbc-url) and prints its report.
     */
    static <O> int run(BenchmarkCommand<O> command) throws Exception {
        ParseResult whole = command.shared().command().root().commandLine().getParseResult();
        if (command != whole.commandSpec().userObject() && !whole.matchedOptions().isEmpty()) {
            // They were the macro benchmark's, which does not run: the command would ignore them.
            throw new ParameterException(command.shared().command().commandLine(), "options "
                    + whole.matchedOptions().stream().map(o -> o.longestName()).toList() + " come before the command "
                    + command.shared().command().name() + ": they go after it");
        }
        O options = checked(command);
        List<String> args = whole.originalArgs();
        if (command.journals(options) && !chronicleFlagsGiven()) {
            System.err.println("WAL capture journals through Chronicle Queue, which needs these JVM flags:\n  java "
                    + CHRONICLE_FLAGS + " -jar benchmarks/target/pgtrickle-benchmarks.jar "
                    + String.join(" ", shown(args)));
            return 2;
        }
        Progress progress = new Progress(System.err);
        SharedOptions shared = command.shared();
        String report;
        try (BenchmarkServer server = BenchmarkServer.start(shared.jdbcUrl(), shared.keepDatabase(),
                command.serverSettings())) {
            progress.log("database ready on " + server.describe());
            report = command.report(options, server.databaseUrl(), server.describe(), progress, commandLine(args));
        }
        System.out.print(report);
        if (shared.out() != null) {
            Files.writeString(shared.out(), report);
            progress.log("report written to " + shared.out());
        }
        return 0;
    }

    /** The command's options; options that do not fit together are a usage error, shown with its help. */
    private static <O> O checked(BenchmarkCommand<O> command) {
        try {
            return command.options();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.shared().command().commandLine(), e.getMessage(), e);
        }
    }

    /**
     * Whether the JVM runs with {@link #CHRONICLE_FLAGS}. Checked before the server starts, so that
     * a run without them stops at once with the command to use, not part-way through.
     */
    private static boolean chronicleFlagsGiven() {
        Module base = Object.class.getModule();
        Module self = Main.class.getModule();
        return base.isExported("jdk.internal.ref", self) && base.isExported("sun.nio.ch", self)
                && base.isOpen("java.lang.reflect", self)
                && Boolean.getBoolean("chronicle.analytics.disable") && Boolean.getBoolean("chronicle.announcer.disable");
    }

    /**
     * The command line for the report, with the JVM's flags (the wal command needs some); a JDBC
     * URL may hold a password, so it is left out.
     */
    private static String commandLine(List<String> args) {
        List<String> parts = new ArrayList<>(List.of("java"));
        parts.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        parts.addAll(List.of("-jar", "benchmarks/target/pgtrickle-benchmarks.jar"));
        parts.addAll(shown(args));
        return String.join(" ", parts);
    }

    /** The arguments as they may be shown: a JDBC URL may hold a password. */
    private static List<String> shown(List<String> args) {
        return args.stream().map(arg -> arg.startsWith("jdbc:") || arg.startsWith("--jdbc-url=jdbc:") ? "<url>" : arg)
                .toList();
    }
}
