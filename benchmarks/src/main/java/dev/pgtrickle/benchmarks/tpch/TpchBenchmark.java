package dev.pgtrickle.benchmarks.tpch;

import dev.pgtrickle.benchmarks.AutoChoice;
import dev.pgtrickle.benchmarks.Db;
import dev.pgtrickle.benchmarks.Environment;
import dev.pgtrickle.benchmarks.Oracle;
import dev.pgtrickle.benchmarks.Progress;
import dev.pgtrickle.benchmarks.Samples;
import dev.pgtrickle.benchmarks.StreamTables;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.util.PSQLException;

/**
 * The TPC-H benchmark ({@code tpch} command): the eight tables generated at a scale factor
 * ({@link TpchGenerator}); each of the 22 queries ({@link TpchQueries}) as a DIFFERENTIAL stream
 * table (where pgtrickle accepts it), a FULL stream table and a materialized view; then rounds of
 * the refresh functions ({@link RefreshFunctions}) each followed by a refresh of every one of them,
 * timed from the client, and a check of every DIFFERENTIAL stream table against its query.
 */
public final class TpchBenchmark {

    /** A median FULL / DIFF of at least this counts as "much faster" in the summary. */
    public static final double SPEEDUP = 5.0;

    private final TpchOptions options;
    private final Progress progress;

    public TpchBenchmark(TpchOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    /** One query's outcome; filled in as the run goes. */
    public static final class QueryResult {

        private final int number;
        private final String sql;
        private final String strategy;
        private final String refusal;
        private String failure;
        private final Samples differential = new Samples();
        private final Samples full = new Samples();
        private final Samples view = new Samples();
        private final List<String> actions = new ArrayList<>();
        private final List<Long> oracle = new ArrayList<>();
        private final List<AutoChoice> auto = new ArrayList<>();

        QueryResult(int number, String sql, String strategy, String refusal) {
            this.number = number;
            this.sql = sql;
            this.strategy = strategy;
            this.refusal = refusal;
        }

        public int number() {
            return number;
        }

        public String sql() {
            return sql;
        }

        /** The compiled plan's strategy, or {@code null} if DIFFERENTIAL was refused. */
        public String strategy() {
            return strategy;
        }

        /** Why DIFFERENTIAL was refused (the compiler's or the server's message), or {@code null}. */
        public String refusal() {
            return refusal;
        }

        public boolean accepted() {
            return refusal == null;
        }

        /** Why the DIFFERENTIAL stream table stopped being measured (a refresh or the oracle failed), or {@code null}. */
        public String failure() {
            return failure;
        }

        public Samples differential() {
            return differential;
        }

        public Samples full() {
            return full;
        }

        public Samples view() {
            return view;
        }

        /** The action of each DIFFERENTIAL refresh, from pgt_refresh_history. */
        public List<String> actions() {
            return actions;
        }

        /** What the AUTO twin did in each round (with {@code --auto-twins}). */
        public List<AutoChoice> auto() {
            return auto;
        }

        /** Rows in which the DIFFERENTIAL stream table (and the AUTO twin) differed from its query, per round. */
        public List<Long> oracle() {
            return oracle;
        }

        public double fullOverDifferential() {
            return full.median() / differential.median();
        }

        public double viewOverDifferential() {
            return view.median() / differential.median();
        }

        /** Whether the stream table equalled its query after each of {@code rounds} rounds. */
        public boolean oracleEqual(int rounds) {
            return oracle.size() == rounds && oracle.stream().allMatch(d -> d == 0);
        }
    }

    public record Result(TpchOptions options, Environment environment, String server, Instant started,
                         String loadAverageBefore, String loadAverageAfter, double loadSeconds,
                         Map<String, Long> rowCounts, List<RefreshFunctions.Round> rounds, List<QueryResult> queries,
                         double seconds) {

        public long accepted() {
            return queries.stream().filter(QueryResult::accepted).count();
        }

        /** Accepted queries whose median DIFFERENTIAL refresh is at least {@link #SPEEDUP}× faster than FULL. */
        public long fastAgainstFull() {
            return queries.stream().filter(q -> q.accepted() && q.failure() == null && q.differential().size() > 0
                    && q.fullOverDifferential() >= SPEEDUP).count();
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
        try (Db db = Db.connect(jdbcUrl); Db gen = Db.connect(jdbcUrl)) {
            Environment environment = Environment.capture(db);
            progress.log("PostgreSQL: " + environment.postgresVersion());
            CatalogInstaller.install(db.connection());

            TpchGenerator.prepareSession(gen);
            TpchGenerator generator = new TpchGenerator(options);
            long loadStart = System.nanoTime();
            TpchGenerator.createTables(db);
            generator.load(gen);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            Map<String, Long> counts = TpchGenerator.rowCounts(db);
            progress.log(String.format("generated scale factor %s in %.1f s: %s", options.scale(), loadSeconds, counts));

            List<QueryResult> queries = new ArrayList<>();
            for (int number : options.queries()) {
                queries.add(create(db, number));
            }
            List<String> buffers = StreamTables.buffers(db);
            vacuum(db, queries, buffers);

            RefreshFunctions functions = new RefreshFunctions(options, generator);
            List<RefreshFunctions.Round> rounds = new ArrayList<>();
            for (int round = 1; round <= options.runs(); round++) {
                RefreshFunctions.Round changes = functions.apply(gen, round);
                rounds.add(changes);
                db.execute("ANALYZE " + String.join(", ", buffers));
                refreshRound(db, queries, round);
                vacuum(db, queries, buffers);
                progress.log(String.format("round %d of %d: %,d rows changed; %s", round, options.runs(),
                        changes.rows(), differentialTimes(queries)));
            }
            return new Result(options, environment, serverDescription, started, loadBefore, Environment.loadAverage(),
                    loadSeconds, counts, rounds, queries, (System.nanoTime() - start) / 1e9);
        }
    }

    /** The DIFFERENTIAL stream table (if accepted), the FULL one and the materialized view of a query. */
    private QueryResult create(Db db, int number) throws SQLException {
        String sql = TpchQueries.sql(number, options.scale());
        String name = TpchQueries.differentialTable(number);
        String strategy = null;
        String refusal = null;
        long start = System.nanoTime();
        try {
            strategy = StreamTables.createDifferential(db, name, sql);
        } catch (SQLException e) {
            refusal = message(e);
        } catch (IllegalStateException e) {
            // The compiler refused the query: the stream table exists in status ERROR; say why, drop it.
            refusal = compileError(db, name, e.getMessage());
            db.execute("SELECT pgtrickle.drop_stream_table('" + name + "')");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        StreamTables.createFull(db, TpchQueries.fullTable(number), sql);
        if (options.autoTwins() && refusal == null) {
            StreamTables.createAuto(db, TpchQueries.autoTable(number), sql);
        }
        db.execute("CREATE MATERIALIZED VIEW " + TpchQueries.materializedView(number) + " AS " + sql);
        progress.log(String.format("q%02d: %s; FULL stream table and materialized view created", number,
                refusal == null ? String.format("DIFFERENTIAL (%s) in %.1f s", strategy, seconds)
                        : "DIFFERENTIAL refused: " + refusal));
        return new QueryResult(number, sql, strategy, refusal);
    }

    /** One round's refreshes: every DIFFERENTIAL stream table, every FULL one, every view; then the oracle. */
    private void refreshRound(Db db, List<QueryResult> queries, int round) throws SQLException {
        // This round's times, which the AUTO twins' choices are judged against.
        Map<QueryResult, Long> differentialNanos = new IdentityHashMap<>();
        Map<QueryResult, Long> fullNanos = new IdentityHashMap<>();
        for (QueryResult q : queries) {
            if (measured(q)) {
                String name = TpchQueries.differentialTable(q.number());
                try {
                    long nanos = db.timed(StreamTables.refreshSql(name));
                    q.differential().add(nanos);
                    differentialNanos.put(q, nanos);
                    q.actions().add(StreamTables.lastRefresh(db, name).action());
                } catch (SQLException e) {
                    fail(q, "refresh in round " + round + " failed: " + message(e));
                }
            }
        }
        for (QueryResult q : queries) {
            long nanos = db.timed(StreamTables.refreshSql(TpchQueries.fullTable(q.number())));
            q.full().add(nanos);
            fullNanos.put(q, nanos);
        }
        for (QueryResult q : queries) {
            if (options.autoTwins() && measured(q)) {
                String name = TpchQueries.autoTable(q.number());
                long nanos = db.timed(StreamTables.refreshSql(name));
                q.auto().add(new AutoChoice(StreamTables.lastRefresh(db, name).action(), nanos,
                        differentialNanos.get(q), fullNanos.get(q)));
            }
        }
        for (QueryResult q : queries) {
            q.view().add(db.timed("REFRESH MATERIALIZED VIEW " + TpchQueries.materializedView(q.number())));
        }
        for (QueryResult q : queries) {
            if (measured(q)) {
                try {
                    long differential = Oracle.differences(db, TpchQueries.differentialTable(q.number()), q.sql());
                    long auto = options.autoTwins() ? Oracle.differences(db, TpchQueries.autoTable(q.number()), q.sql()) : 0;
                    q.oracle().add(differential + auto);
                    if (differential + auto != 0) {
                        progress.log(String.format("q%02d: after round %d, %,d rows of the DIFFERENTIAL stream table"
                                + " and %,d of its AUTO twin differ from the query", q.number(), round, differential, auto));
                    }
                } catch (SQLException e) {
                    fail(q, "oracle in round " + round + " failed: " + message(e));
                }
            }
        }
    }

    private static boolean measured(QueryResult q) {
        return q.accepted() && q.failure() == null;
    }

    private void fail(QueryResult q, String why) {
        q.failure = why;
        progress.log(String.format("q%02d: %s", q.number(), why));
    }

    /** Outside the timed sections: the sources, every stream table, view and change buffer. */
    private void vacuum(Db db, List<QueryResult> queries, List<String> buffers) throws SQLException {
        List<String> relations = new ArrayList<>(TpchGenerator.TABLES);
        for (QueryResult q : queries) {
            if (q.accepted()) {
                relations.add(TpchQueries.differentialTable(q.number()));
                if (options.autoTwins()) {
                    relations.add(TpchQueries.autoTable(q.number()));
                }
            }
            relations.add(TpchQueries.fullTable(q.number()));
            relations.add(TpchQueries.materializedView(q.number()));
        }
        relations.addAll(buffers);
        db.execute("VACUUM (ANALYZE) " + String.join(", ", relations));
    }

    /** The compiler's reason (compile_error), else the exception's message. */
    private static String compileError(Db db, String name, String fallback) throws SQLException {
        try (PreparedStatement statement = db.prepare("SELECT compile_error FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_schema = 'public' AND pgt_name = ?")) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                String error = row.next() ? row.getString(1) : null;
                return error != null ? error : fallback;
            }
        }
    }

    /** The server's message without the "ERROR:" prefix and the context lines. */
    private static String message(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null
                && p.getServerErrorMessage().getMessage() != null) {
            return p.getServerErrorMessage().getMessage();
        }
        return e.getMessage();
    }

    private static String differentialTimes(List<QueryResult> queries) {
        List<String> parts = new ArrayList<>();
        for (QueryResult q : queries) {
            if (q.accepted() && q.differential().size() > 0) {
                List<Double> values = q.differential().values();
                parts.add(String.format("q%02d %.1f ms", q.number(), values.get(values.size() - 1)));
            }
        }
        return parts.isEmpty() ? "no DIFFERENTIAL stream table" : "DIFF " + String.join(", ", parts);
    }
}
