package dev.pgtrickle.benchmarks.window;

import dev.pgtrickle.benchmarks.Db;
import dev.pgtrickle.benchmarks.Environment;
import dev.pgtrickle.benchmarks.Oracle;
import dev.pgtrickle.benchmarks.Progress;
import dev.pgtrickle.benchmarks.Samples;
import dev.pgtrickle.benchmarks.StreamTables;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.cdc.BufferVacuum;
import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import dev.pgtrickle.scheduler.metrics.LeaderProblems;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The time-window benchmark ({@code window} command; issue 13 §5): an event table of
 * {@link TimeWindowOptions#events()} rows and two queries over its last
 * {@link TimeWindowOptions#windowMinutes()} minutes (the rows themselves, and totals per kind),
 * each as a DIFFERENTIAL and a FULL stream table; then rounds in which a second passes: rows
 * arrive at {@link TimeWindowOptions#rate()} a second, the clock moves on by a second (so as many
 * old rows leave the window), and every stream table is refreshed, timed from the client, the
 * DIFFERENTIAL ones checked against their queries. The clock is frozen (pgtrickle.test_clock) and
 * moved by the benchmark, so that a round is exactly one second of events however long its
 * refreshes take.
 */
public final class TimeWindowBenchmark {

    /** The target of issue 13 §5: DIFFERENTIAL at least this many times faster than FULL. */
    public static final double TARGET = 20.0;

    /** The start of the rounds, on the frozen clock. */
    static final Instant START = Instant.parse("2026-01-01T12:00:00Z");

    private final TimeWindowOptions options;
    private final Progress progress;

    public TimeWindowBenchmark(TimeWindowOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    /** The benchmark's queries by stream table name. */
    Map<String, String> queries() {
        String window = "ts > now() - interval '" + options.windowMinutes() + " minutes'";
        Map<String, String> queries = new LinkedHashMap<>();
        queries.put("recent_events", "SELECT id, kind, amount, ts FROM events WHERE " + window);
        queries.put("recent_totals", "SELECT kind, count(*) AS events, sum(amount) AS amount FROM events WHERE " + window
                + " GROUP BY kind");
        return queries;
    }

    /** One round of one query: the rows it inserted, the times and the oracle's verdict. */
    public record Round(String query, long insertedRows, double differential, double full, String action,
                       long differences) {
    }

    public record Result(TimeWindowOptions options, Environment environment, String server, Instant started,
                         String loadAverageBefore, String loadAverageAfter, Map<String, String> queries,
                         Map<String, String> strategies, List<Round> rounds, double seconds) {

        private Samples times(String query, boolean differential) {
            Samples samples = new Samples();
            rounds.stream().filter(r -> r.query().equals(query))
                    .forEach(r -> samples.addMillis(differential ? r.differential() : r.full()));
            return samples;
        }

        /** FULL / DIFFERENTIAL of the medians of {@code query}. */
        public double ratio(String query) {
            return times(query, false).median() / times(query, true).median();
        }

        /** The report, Markdown. */
        public String markdown(String commandLine) {
            StringBuilder md = new StringBuilder("# pgtrickle time-window benchmark\n\n");
            md.append(environment.runLines(commandLine, started, loadAverageBefore, loadAverageAfter, server));
            md.append(String.format(Locale.ROOT, "- data: %,d events, one every %.3f ms before the start; per round"
                    + " (one second on the frozen clock) %,d new events and the clock moved by 1 s;"
                    + " window %d minutes (%,d rows)%n", options.events(), 1000.0 / options.rate(), options.rate(),
                    options.windowMinutes(), (long) options.windowMinutes() * 60 * options.rate()));
            md.append(String.format(Locale.ROOT, "- run time: %.0f s%n%n", seconds));
            md.append("| query | strategy | DIFFERENTIAL ms (median, min–max) | FULL ms | FULL / DIFF | rows inserted"
                    + " per round (max) | oracle |\n|---|---|---:|---:|---:|---:|---|\n");
            for (Map.Entry<String, String> query : queries.entrySet()) {
                String name = query.getKey();
                Samples diff = times(name, true);
                List<Round> own = rounds.stream().filter(r -> r.query().equals(name)).toList();
                long unequal = own.stream().filter(r -> r.differences() != 0 || !r.action().equals("DIFFERENTIAL")).count();
                md.append(String.format(Locale.ROOT, "| `%s` | %s | %.1f (%.1f–%.1f) | %.1f | **%.1f×** (target ≥ %.0f×: %s)"
                                + " | %,d | %s |%n", query.getValue(), strategies.get(name), diff.median(), diff.min(),
                        diff.max(), times(name, false).median(), ratio(name), TARGET,
                        ratio(name) >= TARGET ? "met" : "**missed**",
                        own.stream().mapToLong(Round::insertedRows).max().orElse(0),
                        unequal == 0 ? "DIFFERENTIAL and equal every round" : unequal + " rounds not"));
            }
            return md.toString();
        }
    }

    /** Runs everything in the (empty) database at {@code jdbcUrl}. */
    public Result run(String jdbcUrl, String serverDescription) throws SQLException {
        Instant started = Instant.now();
        long start = System.nanoTime();
        String loadBefore = Environment.loadAverage();
        try (Db admin = Db.connect(jdbcUrl)) {
            admin.alterDatabase(options.databaseSettings());
        }
        try (Db db = Db.connect(jdbcUrl)) {
            Environment environment = Environment.capture(db);
            CatalogInstaller.install(db.connection());
            setClock(db, START);
            db.execute("CREATE TABLE events (id bigint PRIMARY KEY, ts timestamptz NOT NULL, kind int NOT NULL,"
                    + " amount int NOT NULL)");
            db.execute("SELECT setseed(" + (options.seed() % 1000) / 1000.0 + ")");
            insert(db, 1, options.events(), START.toEpochMilli() / 1000.0 - (double) options.events() / options.rate());
            db.execute("CREATE INDEX ON events (ts)");
            db.execute("VACUUM ANALYZE events");
            Map<String, String> strategies = new LinkedHashMap<>();
            for (Map.Entry<String, String> query : queries().entrySet()) {
                strategies.put(query.getKey(), StreamTables.createDifferential(db, query.getKey(), query.getValue()));
                // A FULL stream table runs its query as written, which reads the real clock: the twin
                // reads the frozen one explicitly.
                StreamTables.createFull(db, query.getKey() + "_full", atTheClock(query.getValue()));
            }
            List<String> buffers = StreamTables.buffers(db);
            vacuum(db, buffers);
            progress.log(String.format("%,d events; %s compiled", options.events(), strategies));

            List<Round> rounds;
            // The daemon's vacuum of the change buffers runs beside the refreshes, as on a server.
            try (BufferVacuum bufferVacuum = BufferVacuum.start(() -> DriverManager.getConnection(jdbcUrl),
                    new DaemonMetrics(new SimpleMeterRegistry()), new LeaderProblems())) {
                rounds = rounds(db);
            }
            return new Result(options, environment, serverDescription, started, loadBefore, Environment.loadAverage(),
                    queries(), strategies, rounds, (System.nanoTime() - start) / 1e9);
        }
    }

    /** The measured rounds: a second of events, the clock moved on, every stream table refreshed. */
    private List<Round> rounds(Db db) throws SQLException {
        List<Round> rounds = new ArrayList<>();
        long next = options.events() + 1L;
        for (int round = 1; round <= options.rounds(); round++) {
            Instant clock = START.plusSeconds(round);
            insert(db, next, options.rate(), clock.toEpochMilli() / 1000.0 - 1);
            next += options.rate();
            setClock(db, clock);
            // The DIFFERENTIAL stream tables one after the other, as the daemon refreshes them;
            // then their FULL twins, then the oracle, so that no DIFFERENTIAL refresh is timed
            // right after a rewrite or comparison of 300,000 rows (see docs/benchmarks.md).
            Map<String, Double> differential = new LinkedHashMap<>();
            Map<String, StreamTables.HistoryRow> last = new LinkedHashMap<>();
            for (String name : queries().keySet()) {
                differential.put(name, db.timed(StreamTables.refreshSql(name)) / 1e6);
                last.put(name, StreamTables.lastRefresh(db, name));
            }
            Map<String, Double> full = new LinkedHashMap<>();
            for (String name : queries().keySet()) {
                full.put(name, db.timed(StreamTables.refreshSql(name + "_full")) / 1e6);
            }
            StringBuilder line = new StringBuilder("round " + round + " of " + options.rounds() + ":");
            for (Map.Entry<String, String> query : queries().entrySet()) {
                String name = query.getKey();
                long differences = Oracle.differences(db, name, atTheClock(query.getValue()));
                rounds.add(new Round(name, last.get(name).rowsInserted(), differential.get(name), full.get(name),
                        last.get(name).action(), differences));
                line.append(String.format(" %s DIFF %.1f ms (%s), FULL %.1f ms;", name, differential.get(name),
                        last.get(name).action(), full.get(name)));
            }
            vacuumFullRefreshed(db);
            progress.log(line.toString());
        }
        return rounds;
    }

    /** {@code count} events from id {@code first}, evenly spread over the seconds after {@code fromEpoch}. */
    private void insert(Db db, long first, int count, double fromEpoch) throws SQLException {
        db.execute("INSERT INTO events SELECT " + first + " + g, to_timestamp(" + fromEpoch + " + (g + 1)::float8 / "
                + options.rate() + "), floor(random() * 20)::int, floor(random() * 1000)::int"
                + " FROM generate_series(0, " + (count - 1) + ") AS g");
    }

    /** Freezes the clock the refreshes of this session read. */
    private static void setClock(Db db, Instant clock) throws SQLException {
        db.execute("SET pgtrickle.test_clock = '" + clock + "'");
    }

    /** The query evaluated at the frozen clock (read once, as the stream tables' statements read it). */
    static String atTheClock(String query) {
        return query.replace("now()", "(SELECT pgtrickle._clock())");
    }

    /**
     * Between rounds only the FULL stream tables, which rewrite every row at each refresh, are
     * vacuumed: the events are left to autovacuum and the change buffers to the daemon's vacuum,
     * as on a server taking 1,000 rows a second. Vacuuming them every second would make
     * PostgreSQL plan the DIFFERENTIAL refresh statements again at every round (a VACUUM or
     * ANALYZE of a table a prepared statement reads invalidates its plan).
     */
    private static void vacuumFullRefreshed(Db db) throws SQLException {
        db.execute("VACUUM recent_events_full, recent_totals_full");
    }

    private static void vacuum(Db db, List<String> buffers) throws SQLException {
        db.execute("VACUUM ANALYZE events, recent_events, recent_totals, recent_events_full, recent_totals_full"
                + (buffers.isEmpty() ? "" : ", " + String.join(", ", buffers)));
    }
}
