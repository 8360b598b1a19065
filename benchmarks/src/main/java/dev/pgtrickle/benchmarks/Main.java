package dev.pgtrickle.benchmarks;

import dev.pgtrickle.benchmarks.hierarchy.HierarchyBenchmark;
import dev.pgtrickle.benchmarks.hierarchy.HierarchyOptions;
import dev.pgtrickle.benchmarks.immediate.ImmediateBenchmark;
import dev.pgtrickle.benchmarks.immediate.ImmediateOptions;
import dev.pgtrickle.benchmarks.window.TimeWindowBenchmark;
import dev.pgtrickle.benchmarks.window.TimeWindowOptions;
import dev.pgtrickle.benchmarks.tpch.TpchBenchmark;
import dev.pgtrickle.benchmarks.tpch.TpchOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * Progress goes to stderr, the Markdown report to stdout (and to {@code --out}).
 */
public final class Main {

    private static final String USAGE = """
            usage: java -jar pgtrickle-benchmarks.jar [options]
              --scale X           data volume, 1.0 = 1,000,000 orders / 100,000 customers (default 1.0)
              --batches N         measured change batches per batch size (default 7)
              --warmup N          warm-up batches per batch size (default 1)
              --no-change-runs N  refreshes without changes per stream table (default 25)
              --capture-runs N    repetitions of the capture-overhead measurements (default 5)
              --single-inserts N  single-row INSERTs per capture repetition (default 1000)
              --no-analyze-buffers  do not ANALYZE the change buffers after each batch
              --auto-twins        also an AUTO stream table per query; report whether it chose the
                                  faster of DIFFERENTIAL and FULL for each batch; adds batches of
                                  5 % and 25 % (3 measured each), where FULL may be faster
              --seed N            seed of the change batches (default 42)
              --out FILE          also write the Markdown report to FILE
              --explain FILE      write EXPLAIN ANALYZE of the generated refresh statements to FILE
              --jdbc-url URL      use this server (a fresh database is created on it) instead of the
                                  embedded PostgreSQL 18; PGTRICKLE_TEST_JDBC_URL works too
              --keep-database     with --jdbc-url: keep the benchmark database for inspection
              --set NAME=VALUE    a server setting of the benchmark database (ALTER DATABASE … SET),
                                  e.g. --set random_page_cost=1.1; repeatable

            usage: java -jar pgtrickle-benchmarks.jar latency [options]
              propagation latency from a source commit to the last of three chained stream tables,
              refreshed by the daemon, under a sustained write rate
              --rates N,N,...     source rows per second, one run each (default 1000,5000)
              --duration S        measured seconds per rate (default 60)
              --warmup S          seconds of writing before the measured ones (default 5)
              --batch-ms N        one INSERT transaction every N ms (default 10)
              --poll-ms N         read the last stream table every N ms (default 20)
              --accounts N        distinct accounts of the written rows (default 1000)
              --cdc trigger|wal   capture the source with triggers (default) or from the WAL; wal
                                  needs the JVM flags of the wal command
              --keep-writing      after the measured seconds, keep writing (unmeasured) until every
                                  measured transaction has arrived
              --schedule S        schedule of the last stream table, which the others follow
                                  (default 1s; e.g. 250ms)
              --seed N, --out FILE, --jdbc-url URL, --keep-database, --set NAME=VALUE  as above

            usage: java <chronicle flags> -jar pgtrickle-benchmarks.jar wal [options]
              writer overhead of WAL capture against no capture and trigger capture, and the decoder's
              throughput against streaming the slot raw; needs the JVM flags of docs/benchmarks.md
              --bulk-rows N       rows of the bulk INSERT, UPDATE and DELETE (default 100000)
              --single-rows N     single-row INSERTs, UPDATEs and DELETEs (default 5000)
              --runs N            repetitions of the writer measurements (default 5)
              --decode-changes N  row changes of the decode workload (default 200000)
              --txn-changes N     row changes per transaction of that workload (default 100)
              --decode-runs N     reads of the workload by each reader (default 3)
              --seed N, --out FILE, --jdbc-url URL, --keep-database, --set NAME=VALUE  as above

            usage: java -jar pgtrickle-benchmarks.jar tpch [options]
              the 22 TPC-H queries, each as a DIFFERENTIAL stream table (where accepted), a FULL stream
              table and a materialized view, refreshed after rounds of the refresh functions (RF1
              inserts 0.1 % of orders, RF2 deletes 0.1 %, plus updates of about 0.1 %); a row per query
              --scale SF          TPC-H scale factor, at least 0.01 (default 1: 1,500,000 orders,
                                  about 6,000,000 lineitems)
              --runs N            rounds of refresh functions and refreshes (default 3)
              --queries N,N,...   the queries to run, 1-22 (default all)
              --seed N            seed of the generated data and of the refresh functions (default 42)
              --auto-twins        also an AUTO stream table per accepted query; report whether it
                                  chose the faster of DIFFERENTIAL and FULL in each round
              --out FILE, --jdbc-url URL, --keep-database, --set NAME=VALUE  as above

            usage: java -jar pgtrickle-benchmarks.jar hierarchy [options]
              the reference documentation's recursive department tree over a generated hierarchy, as a
              DIFFERENTIAL stream table, a FULL one and a materialized view, refreshed after rounds of
              moved subtrees
              --nodes N           nodes of the hierarchy (default 100000: 12 levels)
              --rounds N          rounds of moves and refreshes (default 5)
              --moves N           nodes moved per round (default 100, 0.1 %)
              --seed N, --out FILE, --jdbc-url URL, --keep-database, --set NAME=VALUE  as above

            usage: java -jar pgtrickle-benchmarks.jar window [options]
              an event table and queries over its last minutes, as DIFFERENTIAL and FULL stream tables,
              refreshed after each second of events on a frozen clock
              --events N          events before the first round (default 1000000)
              --rate N            events per second (default 1000)
              --window-minutes N  the window's length (default 5)
              --rounds N          seconds of events and refreshes (default 10)
              --seed N, --out FILE, --jdbc-url URL, --keep-database, --set NAME=VALUE  as above

            usage: java -jar pgtrickle-benchmarks.jar immediate [options]
              the writers' cost of an IMMEDIATE aggregate stream table: single-row and bulk statements
              and concurrent clients, without and with it
              --rows N            rows of the source table (default 1000000)
              --groups N          groups of the aggregate (default 1000)
              --statements N      single-row statements of each kind timed (default 2000)
              --bulk-rows N       rows of each bulk statement (default 100000)
              --clients N         concurrent clients updating random rows (default 8)
              --seconds N         seconds of each throughput measurement (default 10)
              --seed N, --out FILE, --jdbc-url URL, --keep-database, --set NAME=VALUE  as above
            """;

    /**
     * What Chronicle Queue (the decoder's journal) needs on Java 17: the root pom's
     * {@code chronicle.jvm.flags}, repeated here for the error message.
     */
    static final String CHRONICLE_FLAGS = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"
            + " --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED"
            + " -Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true";

    /** The embedded server of the latency benchmark: autovacuum on, as in production (see LatencyBenchmark). */
    static final Map<String, String> LATENCY_SERVER_SETTINGS = Map.of("autovacuum", "on");

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        String command = args.length > 0 && List.of("latency", "wal", "tpch", "hierarchy", "window", "immediate").contains(args[0]) ? args[0] : "";
        String[] rest = command.isEmpty() ? args : Arrays.copyOfRange(args, 1, args.length);
        Object options;
        try {
            options = switch (command) {
                case "latency" -> parseLatency(rest);
                case "wal" -> parseWal(rest);
                case "tpch" -> parseTpch(rest);
                case "hierarchy" -> parseHierarchy(rest);
                case "window" -> parseWindow(rest);
                case "immediate" -> parseImmediate(rest);
                default -> parse(rest);
            };
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (journals(options) && !chronicleFlagsGiven()) {
            System.err.println("WAL capture journals through Chronicle Queue, which needs these JVM flags:\n  java "
                    + CHRONICLE_FLAGS + " -jar benchmarks/target/pgtrickle-benchmarks.jar " + String.join(" ", shown(args)));
            System.exit(2);
            return;
        }
        Progress progress = new Progress(System.err);
        String report;
        Path out;
        if (options instanceof LatencyOptions latency) {
            LatencyBenchmark.Result result;
            try (BenchmarkServer server = BenchmarkServer.start(latency.jdbcUrl(), latency.keepDatabase(),
                    LATENCY_SERVER_SETTINGS)) {
                progress.log("database ready on " + server.describe());
                result = new LatencyBenchmark(latency, progress).run(server.databaseUrl(), server.describe());
            }
            report = ReportWriter.write(result, commandLine(args));
            out = latency.out();
        } else if (options instanceof WalOptions wal) {
            WalBenchmark.Result result;
            try (BenchmarkServer server = BenchmarkServer.start(wal.jdbcUrl(), wal.keepDatabase())) {
                progress.log("database ready on " + server.describe());
                result = new WalBenchmark(wal, progress).run(server.databaseUrl(), server.describe());
            }
            report = ReportWriter.write(result, commandLine(args));
            out = wal.out();
        } else if (options instanceof TpchOptions tpch) {
            TpchBenchmark.Result result;
            try (BenchmarkServer server = BenchmarkServer.start(tpch.jdbcUrl(), tpch.keepDatabase())) {
                progress.log("database ready on " + server.describe());
                result = new TpchBenchmark(tpch, progress).run(server.databaseUrl(), server.describe());
            }
            report = ReportWriter.write(result, commandLine(args));
            out = tpch.out();
        } else if (options instanceof HierarchyOptions hierarchy) {
            HierarchyBenchmark.Result result;
            try (BenchmarkServer server = BenchmarkServer.start(hierarchy.jdbcUrl(), hierarchy.keepDatabase())) {
                progress.log("database ready on " + server.describe());
                result = new HierarchyBenchmark(hierarchy, progress).run(server.databaseUrl(), server.describe());
            }
            report = result.markdown(commandLine(args));
            out = hierarchy.out();
        } else if (options instanceof TimeWindowOptions window) {
            TimeWindowBenchmark.Result result;
            try (BenchmarkServer server = BenchmarkServer.start(window.jdbcUrl(), window.keepDatabase())) {
                progress.log("database ready on " + server.describe());
                result = new TimeWindowBenchmark(window, progress).run(server.databaseUrl(), server.describe());
            }
            report = result.markdown(commandLine(args));
            out = window.out();
        } else if (options instanceof ImmediateOptions immediate) {
            ImmediateBenchmark.Result result;
            try (BenchmarkServer server = BenchmarkServer.start(immediate.jdbcUrl(), immediate.keepDatabase())) {
                progress.log("database ready on " + server.describe());
                result = new ImmediateBenchmark(immediate, progress).run(server.databaseUrl(), server.describe());
            }
            report = result.markdown(commandLine(args));
            out = immediate.out();
        } else {
            BenchmarkOptions macro = (BenchmarkOptions) options;
            MacroBenchmark.Result result;
            try (BenchmarkServer server = BenchmarkServer.start(macro.jdbcUrl(), macro.keepDatabase())) {
                progress.log("database ready on " + server.describe());
                result = new MacroBenchmark(macro, progress).run(server.databaseUrl(), server.describe());
            }
            report = ReportWriter.write(result, commandLine(args));
            out = macro.out();
        }
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report);
            progress.log("report written to " + out);
        }
    }

    /** Whether the run opens a Chronicle Queue journal: the wal command, and latency with WAL capture. */
    private static boolean journals(Object options) {
        return options instanceof WalOptions
                || options instanceof LatencyOptions latency && latency.capture() == LatencyOptions.Capture.WAL;
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

    static BenchmarkOptions parse(String[] args) {
        BenchmarkOptions d = BenchmarkOptions.defaults();
        double scale = d.scale();
        int batches = d.batchesPerSize();
        int warmup = d.warmupBatches();
        int noChange = d.noChangeRuns();
        int captureRuns = d.captureRuns();
        int singleInserts = d.singleRowInserts();
        boolean analyze = d.analyzeBuffers();
        boolean autoTwins = d.autoTwins();
        Path explain = null;
        SharedOptions shared = new SharedOptions(d.seed());
        Iterator<String> it = List.of(args).iterator();
        while (it.hasNext()) {
            String arg = it.next();
            if (shared.accept(arg, it)) {
                continue;
            }
            switch (arg) {
                case "--scale" -> scale = Double.parseDouble(value(it, arg));
                case "--batches" -> batches = positive(value(it, arg), arg);
                case "--warmup" -> warmup = Integer.parseInt(value(it, arg));
                case "--no-change-runs" -> noChange = positive(value(it, arg), arg);
                case "--capture-runs" -> captureRuns = positive(value(it, arg), arg);
                case "--single-inserts" -> singleInserts = positive(value(it, arg), arg);
                case "--no-analyze-buffers" -> analyze = false;
                case "--explain" -> explain = Path.of(value(it, arg));
                case "--auto-twins" -> autoTwins = true;
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        if (!(scale > 0)) {
            throw new IllegalArgumentException("--scale must be positive");
        }
        return new BenchmarkOptions(scale, batches, warmup, noChange, captureRuns, singleInserts, analyze,
                shared.seed, shared.out, explain, shared.url(), shared.keep, shared.settings, autoTwins);
    }

    /** The options of the {@code latency} command (the arguments after it). */
    static LatencyOptions parseLatency(String[] args) {
        LatencyOptions d = LatencyOptions.defaults();
        List<Integer> rates = d.rates();
        int duration = d.durationSeconds();
        int warmup = d.warmupSeconds();
        int batchMillis = d.batchMillis();
        int pollMillis = d.pollMillis();
        int accounts = d.accounts();
        LatencyOptions.Capture capture = d.capture();
        boolean keepWriting = d.keepWriting();
        String schedule = d.schedule();
        SharedOptions shared = new SharedOptions(d.seed());
        Iterator<String> it = List.of(args).iterator();
        while (it.hasNext()) {
            String arg = it.next();
            if (shared.accept(arg, it)) {
                continue;
            }
            switch (arg) {
                case "--rates" -> {
                    List<Integer> parsed = new ArrayList<>();
                    for (String rate : value(it, arg).split(",")) {
                        parsed.add(positive(rate.trim(), arg));
                    }
                    rates = parsed;
                }
                case "--duration" -> duration = positive(value(it, arg), arg);
                case "--warmup" -> warmup = Integer.parseInt(value(it, arg));
                case "--batch-ms" -> batchMillis = positive(value(it, arg), arg);
                case "--poll-ms" -> pollMillis = positive(value(it, arg), arg);
                case "--accounts" -> accounts = positive(value(it, arg), arg);
                case "--cdc" -> capture = LatencyOptions.Capture.parse(value(it, arg));
                case "--keep-writing" -> keepWriting = true;
                case "--schedule" -> schedule = value(it, arg);
                default -> throw new IllegalArgumentException("unknown option of latency: " + arg);
            }
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must not be negative");
        }
        return new LatencyOptions(rates, duration, warmup, batchMillis, pollMillis, accounts, capture, keepWriting,
                shared.seed, shared.out, shared.url(), shared.keep, shared.settings, schedule);
    }

    /** The options of the {@code wal} command (the arguments after it). */
    static WalOptions parseWal(String[] args) {
        WalOptions d = WalOptions.defaults();
        int bulkRows = d.bulkRows();
        int singleRows = d.singleRows();
        int runs = d.writerRuns();
        int decodeChanges = d.decodeChanges();
        int transactionChanges = d.transactionChanges();
        int decodeRuns = d.decodeRuns();
        SharedOptions shared = new SharedOptions(d.seed());
        Iterator<String> it = List.of(args).iterator();
        while (it.hasNext()) {
            String arg = it.next();
            if (shared.accept(arg, it)) {
                continue;
            }
            switch (arg) {
                case "--bulk-rows" -> bulkRows = positive(value(it, arg), arg);
                case "--single-rows" -> singleRows = positive(value(it, arg), arg);
                case "--runs" -> runs = positive(value(it, arg), arg);
                case "--decode-changes" -> decodeChanges = positive(value(it, arg), arg);
                case "--txn-changes" -> transactionChanges = positive(value(it, arg), arg);
                case "--decode-runs" -> decodeRuns = positive(value(it, arg), arg);
                default -> throw new IllegalArgumentException("unknown option of wal: " + arg);
            }
        }
        return new WalOptions(bulkRows, singleRows, runs, decodeChanges, transactionChanges, decodeRuns, shared.seed,
                shared.out, shared.url(), shared.keep, shared.settings);
    }

    /** The options of the {@code tpch} command (the arguments after it). */
    static TpchOptions parseTpch(String[] args) {
        TpchOptions d = TpchOptions.defaults();
        double scale = d.scale();
        int runs = d.runs();
        List<Integer> queries = d.queries();
        boolean autoTwins = d.autoTwins();
        SharedOptions shared = new SharedOptions(d.seed());
        Iterator<String> it = List.of(args).iterator();
        while (it.hasNext()) {
            String arg = it.next();
            if (shared.accept(arg, it)) {
                continue;
            }
            switch (arg) {
                case "--scale" -> scale = Double.parseDouble(value(it, arg));
                case "--runs" -> runs = positive(value(it, arg), arg);
                case "--queries" -> {
                    List<Integer> parsed = new ArrayList<>();
                    for (String query : value(it, arg).split(",")) {
                        parsed.add(positive(query.trim(), arg));
                    }
                    queries = parsed;
                }
                case "--auto-twins" -> autoTwins = true;
                default -> throw new IllegalArgumentException("unknown option of tpch: " + arg);
            }
        }
        return new TpchOptions(scale, runs, queries, shared.seed, shared.out, shared.url(), shared.keep,
                shared.settings, autoTwins);
    }

    /** The options of the {@code hierarchy} command (the arguments after it). */
    static HierarchyOptions parseHierarchy(String[] args) {
        HierarchyOptions d = HierarchyOptions.defaults();
        int nodes = d.nodes();
        int rounds = d.rounds();
        int moves = d.moves();
        SharedOptions shared = new SharedOptions(d.seed());
        Iterator<String> it = List.of(args).iterator();
        while (it.hasNext()) {
            String arg = it.next();
            if (shared.accept(arg, it)) {
                continue;
            }
            switch (arg) {
                case "--nodes" -> nodes = positive(value(it, arg), arg);
                case "--rounds" -> rounds = positive(value(it, arg), arg);
                case "--moves" -> moves = positive(value(it, arg), arg);
                default -> throw new IllegalArgumentException("unknown option of hierarchy: " + arg);
            }
        }
        return new HierarchyOptions(nodes, rounds, moves, shared.seed, shared.out, shared.url(), shared.keep,
                shared.settings);
    }

    /** The options of the {@code window} command (the arguments after it). */
    static TimeWindowOptions parseWindow(String[] args) {
        TimeWindowOptions d = TimeWindowOptions.defaults();
        int events = d.events();
        int rate = d.rate();
        int minutes = d.windowMinutes();
        int rounds = d.rounds();
        SharedOptions shared = new SharedOptions(d.seed());
        Iterator<String> it = List.of(args).iterator();
        while (it.hasNext()) {
            String arg = it.next();
            if (shared.accept(arg, it)) {
                continue;
            }
            switch (arg) {
                case "--events" -> events = positive(value(it, arg), arg);
                case "--rate" -> rate = positive(value(it, arg), arg);
                case "--window-minutes" -> minutes = positive(value(it, arg), arg);
                case "--rounds" -> rounds = positive(value(it, arg), arg);
                default -> throw new IllegalArgumentException("unknown option of window: " + arg);
            }
        }
        return new TimeWindowOptions(events, rate, minutes, rounds, shared.seed, shared.out, shared.url(), shared.keep,
                shared.settings);
    }

    /** The options of the {@code immediate} command (the arguments after it). */
    static ImmediateOptions parseImmediate(String[] args) {
        ImmediateOptions d = ImmediateOptions.defaults();
        int rows = d.rows();
        int groups = d.groups();
        int statements = d.statements();
        int bulkRows = d.bulkRows();
        int clients = d.clients();
        int seconds = d.seconds();
        SharedOptions shared = new SharedOptions(d.seed());
        Iterator<String> it = List.of(args).iterator();
        while (it.hasNext()) {
            String arg = it.next();
            if (shared.accept(arg, it)) {
                continue;
            }
            switch (arg) {
                case "--rows" -> rows = positive(value(it, arg), arg);
                case "--groups" -> groups = positive(value(it, arg), arg);
                case "--statements" -> statements = positive(value(it, arg), arg);
                case "--bulk-rows" -> bulkRows = positive(value(it, arg), arg);
                case "--clients" -> clients = positive(value(it, arg), arg);
                case "--seconds" -> seconds = positive(value(it, arg), arg);
                default -> throw new IllegalArgumentException("unknown option of immediate: " + arg);
            }
        }
        return new ImmediateOptions(rows, groups, statements, bulkRows, clients, seconds, shared.seed, shared.out,
                shared.url(), shared.keep, shared.settings);
    }

    /** The options every command takes: --seed, --out, --jdbc-url, --keep-database, --set. */
    private static final class SharedOptions {
        long seed;
        Path out;
        String url = System.getenv("PGTRICKLE_TEST_JDBC_URL");
        boolean keep;
        final Map<String, String> settings = new LinkedHashMap<>();

        SharedOptions(long seed) {
            this.seed = seed;
        }

        /** Takes {@code arg} (and its value from {@code it}) if it is a shared option. */
        boolean accept(String arg, Iterator<String> it) {
            switch (arg) {
                case "--seed" -> seed = Long.parseLong(value(it, arg));
                case "--out" -> out = Path.of(value(it, arg));
                case "--jdbc-url" -> url = value(it, arg);
                case "--keep-database" -> keep = true;
                case "--set" -> setting(value(it, arg), settings);
                default -> {
                    return false;
                }
            }
            return true;
        }

        /** The JDBC URL, or null (an empty environment variable counts as unset). */
        String url() {
            return url == null || url.isBlank() ? null : url;
        }
    }

    private static void setting(String setting, Map<String, String> settings) {
        int eq = setting.indexOf('=');
        if (eq < 1 || !setting.substring(0, eq).matches("[a-z_.]+")) {
            throw new IllegalArgumentException("--set needs NAME=VALUE, not " + setting);
        }
        settings.put(setting.substring(0, eq), setting.substring(eq + 1));
    }

    private static String value(Iterator<String> it, String option) {
        if (!it.hasNext()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return it.next();
    }

    private static int positive(String value, String option) {
        int n = Integer.parseInt(value);
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1");
        }
        return n;
    }

    /**
     * The command line for the report, with the JVM's flags (the wal command needs some); a JDBC
     * URL may hold a password, so it is left out.
     */
    private static String commandLine(String[] args) {
        List<String> parts = new ArrayList<>(List.of("java"));
        parts.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        parts.addAll(List.of("-jar", "benchmarks/target/pgtrickle-benchmarks.jar"));
        parts.addAll(shown(args));
        return String.join(" ", parts);
    }

    /** The arguments as they may be shown: a JDBC URL may hold a password. */
    private static List<String> shown(String[] args) {
        return Arrays.stream(args).map(arg -> arg.startsWith("jdbc:") ? "<url>" : arg).toList();
    }
}
