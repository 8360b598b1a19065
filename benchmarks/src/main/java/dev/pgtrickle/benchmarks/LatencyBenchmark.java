package dev.pgtrickle.benchmarks;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonConfig;
import dev.pgtrickle.scheduler.DaemonService;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

/**
 * Propagation latency (issue 3 §8): how long a row committed to a source table takes to become
 * visible in the last stream table of a three-deep chain refreshed by the real daemon
 * ({@link DaemonService} with {@link DaemonConfig#defaults()}), under a sustained write rate.
 *
 * <p>The chain ({@link #CHAIN}): {@code events} → {@code lat_events} (filter/projection,
 * calculated) → {@code lat_accounts} (GROUP BY account with count/sum, calculated) →
 * {@code lat_totals} (one row: count/sum over the accounts, schedule {@code 1s}); the daemon
 * refreshes the two calculated stages at their consumer's cadence. Every stage is DIFFERENTIAL. {@code lat_totals.events} is the number of source rows the chain reflects; as
 * one writer inserts every row (all pass the filter, ids are dense) and a refresh consumes a
 * prefix of the commits, it is also the highest source id reflected.
 *
 * <p>Per rate: a writer commits a multi-row INSERT every {@code batchMillis} (autocommit, so one
 * transaction each) and records, per transaction, when its commit returned and how many rows the
 * source held after it; an observer reads {@code lat_totals.events} every {@code pollMillis} and
 * records when each new value arrived. The latency of a transaction is the time from its commit
 * to the first observation that includes it. Transactions committed during the warm-up are not
 * measured; after the measured window the observer keeps polling until the last transaction
 * arrived (with {@link LatencyOptions#keepWriting()} the writer goes on writing, unmeasured, until then).
 *
 * <p>The source is captured by triggers or, with {@link LatencyOptions.Capture#WAL}, from the WAL
 * by the daemon's decoder ({@link SourceCapture}): then the source is graduated before the first
 * rate, and each refresh of the first stage waits for the decoder and loads the journal first.
 */
public final class LatencyBenchmark {

    /** One stage of the chain. */
    public record Stage(String name, String schedule, String query) {
    }

    static final String SOURCE = "events";
    static final String LAST = "lat_totals";
    /**
     * Every stage compiles to an algebraic strategy (CONTENT, AGGREGATE, AGGREGATE). The cast in
     * stage 2 gives {@code total} a declared scale, so stage 3 need not track its sums' scale.
     */
    public static final List<Stage> CHAIN = List.of(
            new Stage("lat_events", "calculated", "SELECT id, account, amount FROM events WHERE amount > 0"),
            new Stage("lat_accounts", "calculated",
                    "SELECT account, count(*) AS events, sum(amount)::numeric(16,2) AS total FROM lat_events GROUP BY account"),
            new Stage(LAST, "1s", "SELECT count(*) AS accounts, sum(events) AS events, sum(total) AS total"
                    + " FROM lat_accounts WHERE events > 0"));

    /** The chain with {@code schedule} as the last stage's schedule. */
    public static List<Stage> chain(String schedule) {
        return CHAIN.stream().map(s -> s.name().equals(LAST) ? new Stage(LAST, schedule, s.query()) : s).toList();
    }

    /** How long to wait for the daemon to lead and compile, and for the chain to catch up. */
    private static final Duration SETUP_LIMIT = Duration.ofMinutes(2);
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(60);
    /** The writer catches up after a stall with at most this many batches' worth of rows at once. */
    private static final int MAX_CATCH_UP_BATCHES = 10;

    private final LatencyOptions options;
    private final Progress progress;

    public LatencyBenchmark(LatencyOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    /**
     * Refreshes of one stage during a measured window (from pgt_refresh_history).
     *
     * @param workerMeanMillis the daemon's mean time per refresh that applied changes, worker
     *                         start to commit ({@link WorkerTimes}): {@code durations} plus what
     *                         precedes the refresh function, e.g. loading the journal
     */
    public record StageRefreshes(int refreshes, Map<String, Integer> actions, long changesConsumed,
                                 Samples durations, Samples intervals, double workerMeanMillis) {

        public double changesPerRefresh() {
            return refreshes == 0 ? Double.NaN : (double) changesConsumed / refreshes;
        }
    }

    /**
     * One rate.
     *
     * @param transactions  measured transactions (committed in the measured window)
     * @param rows          rows of those transactions
     * @param latency       per measured transaction, commit to first observation in the last stage
     * @param notObserved   measured transactions the observer never saw (the drain limit passed)
     * @param inserts       duration of the writer's INSERTs (commit included)
     * @param polls         duration of the observer's reads
     * @param stages        refreshes per stage, from the start of the measured window to the end of the drain
     * @param chainPasses   per refresh of the last stage: from the start of the latest refresh of
     *                      the first stage before it to its own end
     */
    public record RateResult(int targetRate, double measuredSeconds, long transactions, long rows, Samples latency,
                             long notObserved, Samples inserts, Samples polls, long observations,
                             Map<String, StageRefreshes> stages, Samples chainPasses,
                             String loadAverageBefore, String loadAverageAfter) {

        public double achievedRate() {
            return rows / measuredSeconds;
        }

        public double rowsPerTransaction() {
            return transactions == 0 ? Double.NaN : (double) rows / transactions;
        }
    }

    /**
     * @param strategies  compiled strategy per stage
     * @param differences rows in which each stage differs from its query after the last drain
     * @param sourceRows    rows in the source at the end
     * @param reflectedRows source rows the last stage reflects at the end
     * @param graduation    how long the daemon took to switch the source to WAL capture (zero for triggers)
     * @param sourceCapture the source's capture after the last rate, as {@code pgtrickle.cdc_status()} shows it
     */
    public record Result(LatencyOptions options, Environment environment, String server, Instant started,
                         String loadAverageBefore, String loadAverageAfter, DaemonConfig daemon,
                         Map<String, String> strategies, List<RateResult> rates, Map<String, Long> differences,
                         long sourceRows, long reflectedRows, Duration graduation, String sourceCapture) {
    }

    /** Runs everything in the (empty) database at {@code jdbcUrl}. */
    public Result run(String jdbcUrl, String serverDescription) throws SQLException, InterruptedException,
            IOException, ExecutionException {
        Instant started = Instant.now();
        String loadBefore = Environment.loadAverage();
        DaemonConfig config = DaemonConfig.defaults();
        try (Db db = Db.connect(jdbcUrl)) {
            db.alterDatabase(options.databaseSettings());
        }
        try (Db db = Db.connect(jdbcUrl)) {
            Environment environment = Environment.capture(db);
            progress.log("PostgreSQL: " + environment.postgresVersion());
            CatalogInstaller.install(db.connection());
            db.execute("CREATE TABLE " + SOURCE + " (id bigserial PRIMARY KEY, account int NOT NULL,"
                    + " amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp())");
            for (Stage stage : chain(options.schedule())) {
                try (PreparedStatement create = db.prepare("SELECT pgtrickle.create_stream_table(name => ?, query => ?,"
                        + " schedule => ?, refresh_mode => 'DIFFERENTIAL')")) {
                    create.setString(1, stage.name());
                    create.setString(2, stage.query());
                    create.setString(3, stage.schedule());
                    create.execute();
                }
            }
            List<RateResult> rates = new ArrayList<>();
            Duration graduation;
            String sourceCapture;
            // Closed in reverse order: the daemon stops before its slot is dropped and its journal deleted.
            try (SourceCapture capture = SourceCapture.prepare(options.capture(), jdbcUrl);
                 DaemonService daemon = DaemonService.start(() -> DriverManager.getConnection(jdbcUrl), config, null,
                         capture.walSettings())) {
                await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
                await("the daemon to compile the chain", () -> db.queryLong("SELECT count(*) FROM"
                        + " pgtrickle.pgt_stream_tables WHERE compile_status = 'COMPILED'") == CHAIN.size());
                progress.log("daemon leads and has compiled the chain " + String.join(" → ", stageNames()));
                graduation = capture.establish(db, SOURCE);
                progress.log(SOURCE + " captured by " + options.capture().label() + ": "
                        + SourceCapture.describe(db, SOURCE));
                for (int rate : options.rates()) {
                    rates.add(runRate(jdbcUrl, db, daemon.registry(), rate));
                }
                sourceCapture = SourceCapture.describe(db, SOURCE);
            }
            Map<String, String> strategies = new LinkedHashMap<>();
            Map<String, Long> differences = new LinkedHashMap<>();
            for (Stage stage : CHAIN) {
                strategies.put(stage.name(), db.queryString("SELECT coalesce(plan ->> 'strategy', '?') FROM"
                        + " pgtrickle.pgt_stream_tables WHERE pgt_schema = 'public' AND pgt_name = '" + stage.name() + "'"));
                differences.put(stage.name(), Oracle.differences(db, stage.name(), stage.query()));
            }
            return new Result(options, environment, serverDescription, started, loadBefore, Environment.loadAverage(),
                    config, strategies, rates, differences, db.queryLong("SELECT count(*) FROM " + SOURCE), reflected(db),
                    graduation, sourceCapture);
        }
    }

    private RateResult runRate(String jdbcUrl, Db db, MeterRegistry daemonMeters, int rate) throws SQLException,
            InterruptedException, ExecutionException {
        // Start from a chain that reflects every row written so far.
        long base = db.queryLong("SELECT count(*) FROM " + SOURCE);
        await("the chain to catch up before " + rate + " rows/s", () -> reflected(db) == base);
        progress.log(String.format("%,d rows/s: %d s warm-up + %d s measured, a transaction every %d ms",
                rate, options.warmupSeconds(), options.durationSeconds(), options.batchMillis()));
        String loadBefore = Environment.loadAverage();

        Observer observer = new Observer(jdbcUrl, options.pollMillis());
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "latency-observer"));
        Writer writer;
        try {
            Future<Void> observing = executor.submit(observer);
            try (Db writerDb = Db.connect(jdbcUrl)) {
                writer = new Writer(writerDb, db, daemonMeters, observer, rate, base);
                writer.run();
            } catch (SQLException | RuntimeException e) {
                observer.stop();
                throw e;
            }
            observer.writerDone(writer.total, DRAIN_LIMIT);
            observing.get();
        } finally {
            executor.shutdownNow();
        }
        long endMarker = historyMarker(db);

        Samples latency = new Samples();
        long transactions = 0;
        long rows = 0;
        long notObserved = 0;
        int next = 0;
        for (Commit commit : writer.commits) {
            if (!commit.measured) {
                continue;
            }
            transactions++;
            rows += commit.rows;
            while (next < observer.seen.size() && observer.seen.get(next).reflected < commit.cumulative) {
                next++;
            }
            if (next < observer.seen.size()) {
                latency.add(observer.seen.get(next).nanos - commit.nanos);
            } else {
                notObserved++;
            }
        }
        Map<String, StageRefreshes> stages = new LinkedHashMap<>();
        Samples chainPasses = new Samples();
        refreshes(db, writer.historyMarker, endMarker, writer.workerTimesAtStart, WorkerTimes.of(daemonMeters), stages,
                chainPasses);
        RateResult result = new RateResult(rate, writer.measuredSeconds(), transactions, rows, latency, notObserved,
                writer.inserts, observer.polls, observer.seen.size(), stages, chainPasses, loadBefore,
                Environment.loadAverage());
        progress.log(String.format("%,d rows/s: achieved %,.0f rows/s, latency p50 %s ms, p99 %s ms, max %s ms"
                        + " over %,d transactions%s", rate, result.achievedRate(), ReportWriter.fmt(latency.median()),
                ReportWriter.fmt(latency.quantile(0.99)), latency.size() == 0 ? "n/a" : ReportWriter.fmt(latency.max()),
                transactions, notObserved == 0 ? "" : String.format(", %,d never observed", notObserved)));
        return result;
    }

    /** The number of source rows {@link #LAST} reflects. */
    private static long reflected(Db db) throws SQLException {
        return db.queryLong("SELECT coalesce(events, 0)::bigint FROM " + LAST);
    }

    private static long historyMarker(Db db) throws SQLException {
        return db.queryLong("SELECT coalesce(max(refresh_id), 0) FROM pgtrickle.pgt_refresh_history");
    }

    private static List<String> stageNames() {
        return CHAIN.stream().map(Stage::name).toList();
    }

    /**
     * Refresh history of the chain with {@code from < refresh_id <= to}, per stage, with the
     * daemon's timing of the same window ({@code timesFrom} to {@code timesTo}).
     */
    private static void refreshes(Db db, long from, long to, WorkerTimes timesFrom, WorkerTimes timesTo,
                                  Map<String, StageRefreshes> stages, Samples chainPasses) throws SQLException {
        Map<String, List<double[]>> byStage = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> actions = new LinkedHashMap<>();
        Map<String, Long> consumed = new LinkedHashMap<>();
        for (Stage stage : CHAIN) {
            byStage.put(stage.name(), new ArrayList<>());
            actions.put(stage.name(), new TreeMap<>());
            consumed.put(stage.name(), 0L);
        }
        String first = CHAIN.get(0).name();
        double lastFirstStart = Double.NaN;
        try (PreparedStatement statement = db.prepare(
                "SELECT st.pgt_name, h.action, h.status, extract(epoch FROM h.start_time) * 1000,"
                        + " extract(epoch FROM h.end_time) * 1000, coalesce(h.changes_consumed, 0)"
                        + " FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                        + " WHERE h.refresh_id > ? AND h.refresh_id <= ? ORDER BY h.start_time, h.refresh_id")) {
            statement.setLong(1, from);
            statement.setLong(2, to);
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    String name = row.getString(1);
                    if (!byStage.containsKey(name)) {
                        continue;
                    }
                    String action = row.getString(3).equals("COMPLETED") ? row.getString(2) : row.getString(3);
                    actions.get(name).merge(action, 1, Integer::sum);
                    consumed.merge(name, row.getLong(6), Long::sum);
                    double start = row.getDouble(4);
                    double end = row.getDouble(5);
                    byStage.get(name).add(new double[] {start, end});
                    if (name.equals(first)) {
                        lastFirstStart = start;
                    } else if (name.equals(LAST) && !Double.isNaN(lastFirstStart)) {
                        chainPasses.addMillis(end - lastFirstStart);
                    }
                }
            }
        }
        byStage.forEach((name, rows) -> {
            Samples durations = new Samples();
            Samples intervals = new Samples();
            for (int i = 0; i < rows.size(); i++) {
                durations.addMillis(rows.get(i)[1] - rows.get(i)[0]);
                if (i > 0) {
                    intervals.addMillis(rows.get(i)[0] - rows.get(i - 1)[0]);
                }
            }
            // The daemon's meters name a stream table with its schema.
            stages.put(name, new StageRefreshes(rows.size(), actions.get(name), consumed.get(name), durations, intervals,
                    timesTo.meanSince(timesFrom, "public." + name)));
        });
    }

    /** A condition that may query the database. */
    @FunctionalInterface
    private interface Condition {
        boolean holds() throws SQLException;
    }

    private static void await(String what, Condition condition) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + SETUP_LIMIT.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("still waiting after " + SETUP_LIMIT.toSeconds() + " s for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** One committed transaction of the writer. */
    private record Commit(long nanos, int rows, long cumulative, boolean measured) {
    }

    /** One new value of {@code lat_totals.events}, and when the read that returned it ended. */
    private record Seen(long nanos, long reflected) {
    }

    /**
     * Commits {@code rate × batchMillis / 1000} rows (on average) every {@code batchMillis},
     * paced against the clock: after a stall it catches up with larger batches (up to
     * {@link #MAX_CATCH_UP_BATCHES} batches' worth), so the achieved rate shows what the
     * database sustained.
     */
    private final class Writer {
        private final Db db;
        private final Db admin;
        private final MeterRegistry daemonMeters;
        private final Observer observer;
        private final int rate;
        private final long base;
        private final List<Commit> commits = new ArrayList<>();
        private final Samples inserts = new Samples();
        private final SplittableRandom random;
        private long total;
        private long historyMarker;
        private WorkerTimes workerTimesAtStart;
        private long measureStart;
        private long measureEnd;

        Writer(Db db, Db admin, MeterRegistry daemonMeters, Observer observer, int rate, long base) {
            this.db = db;
            this.admin = admin;
            this.daemonMeters = daemonMeters;
            this.observer = observer;
            this.rate = rate;
            this.base = base;
            this.total = base;
            this.random = new SplittableRandom(options.seed() + rate);
        }

        double measuredSeconds() {
            return (measureEnd - measureStart) / 1e9;
        }

        void run() throws SQLException {
            long interval = Duration.ofMillis(options.batchMillis()).toNanos();
            long maxRows = Math.max(1, (long) Math.ceil((double) rate * options.batchMillis() / 1000)) * MAX_CATCH_UP_BATCHES;
            long warmup = Duration.ofSeconds(options.warmupSeconds()).toNanos();
            long measured = Duration.ofSeconds(options.durationSeconds()).toNanos();
            mark();
            long start = System.nanoTime();
            measureStart = start + warmup;
            measureEnd = measureStart + measured;
            boolean marked = warmup == 0;
            long written = 0;
            long lastMeasured = base;
            try (PreparedStatement insert = db.prepare("INSERT INTO " + SOURCE + " (account, amount)"
                    + " SELECT * FROM unnest(?::int[], ?::numeric[])")) {
                for (long tick = 0; ; ) {
                    long now = System.nanoTime();
                    if (now >= measureEnd && !writingOn(now, lastMeasured)) {
                        break;
                    }
                    if (!marked && now >= measureStart) {
                        mark();
                        marked = true;
                    }
                    // Rows due by the end of this tick's interval, at the target rate.
                    long due = (long) Math.floor((double) rate * (tick + 1) * interval / 1e9);
                    int rows = (int) Math.min(due - written, maxRows);
                    if (rows > 0) {
                        long begin = System.nanoTime();
                        insert(insert, rows);
                        long committed = System.nanoTime();
                        inserts.add(committed - begin);
                        written += rows;
                        total += rows;
                        boolean inWindow = committed >= measureStart && committed < measureEnd;
                        commits.add(new Commit(committed, rows, total, inWindow));
                        if (inWindow) {
                            lastMeasured = total;
                        }
                    }
                    long nextTick = start + (tick + 1) * interval;
                    long after = System.nanoTime();
                    if (after < nextTick) {
                        LockSupport.parkNanos(nextTick - after);
                        tick++;
                    } else {
                        // Behind: go on with the tick we are in.
                        tick = Math.max(tick + 1, (after - start) / interval);
                    }
                }
            }
            if (!marked) {
                mark();
            }
        }

        /**
         * After the measured window, with {@code --keep-writing}: whether to go on writing because
         * a measured transaction has not arrived yet. Otherwise the last measured transactions would
         * travel through a chain whose load is stopping: quicker refreshes, and with WAL capture a
         * refresh's sync message that no later commit pushes out of the WAL buffers.
         */
        private boolean writingOn(long now, long lastMeasured) {
            return options.keepWriting() && observer.latest() < lastMeasured && now < measureEnd + DRAIN_LIMIT.toNanos();
        }

        /** Where the measured window starts in the refresh history and in the daemon's refresh timer. */
        private void mark() throws SQLException {
            historyMarker = historyMarker(admin);
            workerTimesAtStart = WorkerTimes.of(daemonMeters);
        }

        private void insert(PreparedStatement insert, int rows) throws SQLException {
            Integer[] accounts = new Integer[rows];
            BigDecimal[] amounts = new BigDecimal[rows];
            for (int i = 0; i < rows; i++) {
                accounts[i] = 1 + random.nextInt(options.accounts());
                amounts[i] = BigDecimal.valueOf(1 + random.nextInt(50_000), 2);
            }
            Array accountArray = db.connection().createArrayOf("int4", accounts);
            Array amountArray = db.connection().createArrayOf("numeric", amounts);
            insert.setArray(1, accountArray);
            insert.setArray(2, amountArray);
            insert.executeUpdate();
            accountArray.free();
            amountArray.free();
        }
    }

    /**
     * Reads {@code lat_totals.events} every {@code pollMillis} on a connection of its own until
     * it reflects everything the writer committed, or the drain limit after the writer ended.
     */
    private static final class Observer implements Callable<Void> {
        private final String jdbcUrl;
        private final long pollNanos;
        private final List<Seen> seen = new ArrayList<>();
        private final Samples polls = new Samples();
        private volatile long target = Long.MAX_VALUE;
        private volatile long deadline = Long.MAX_VALUE;
        /** The value of the latest read, for the writer (see {@code Writer.writingOn}). */
        private volatile long latest = -1;

        Observer(String jdbcUrl, int pollMillis) {
            this.jdbcUrl = jdbcUrl;
            this.pollNanos = Duration.ofMillis(pollMillis).toNanos();
        }

        /** Ends once {@code events} reaches {@code total}, or after {@code drain}. */
        void writerDone(long total, Duration drain) {
            deadline = System.nanoTime() + drain.toNanos();
            target = total;
        }

        long latest() {
            return latest;
        }

        /** Ends at once. */
        void stop() {
            target = Long.MIN_VALUE;
        }

        @Override
        public Void call() throws SQLException {
            try (Db db = Db.connect(jdbcUrl);
                 PreparedStatement read = db.prepare("SELECT coalesce(events, 0)::bigint FROM " + LAST)) {
                long last = -1;
                while (true) {
                    long begin = System.nanoTime();
                    long value;
                    try (ResultSet row = read.executeQuery()) {
                        row.next();
                        value = row.getLong(1);
                    }
                    long end = System.nanoTime();
                    polls.add(end - begin);
                    latest = value;
                    if (value != last) {
                        seen.add(new Seen(end, value));
                        last = value;
                    }
                    if (value >= target || end > deadline) {
                        return null;
                    }
                    long wait = begin + pollNanos - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
            }
        }
    }
}
