package dev.pgtrickle.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Refresh timings (issue 3 §8): for each change batch size, batches are applied and committed,
 * then every differential stream table is refreshed (each refresh consumes exactly that batch,
 * which is checked in the refresh history), then the FULL-mode twins and the materialized views
 * are refreshed. Between batches, outside the timed sections, the touched tables are vacuumed
 * and analyzed so every batch starts from the same state. Then refreshes without pending changes
 * are timed, and finally every relation is compared with its query (the oracle).
 */
public final class RefreshBenchmark {

    private final Db db;
    private final BenchmarkOptions options;
    private final Progress progress;
    private final ChangeWorkload workload;
    private final Map<String, String> strategies = new LinkedHashMap<>();
    private final StringBuilder explain = new StringBuilder();
    private List<String> buffers = List.of();

    public RefreshBenchmark(Db db, BenchmarkOptions options, Progress progress) {
        this.db = db;
        this.options = options;
        this.progress = progress;
        this.workload = new ChangeWorkload("orders", options.orders(), options.customers(), options.seed());
    }

    /** Timings of one scenario for one batch size. */
    public record ScenarioTimes(Samples differential, Samples full, Samples materializedView, List<AutoChoice> auto) {

        static ScenarioTimes empty() {
            return new ScenarioTimes(new Samples(), new Samples(), new Samples(), new ArrayList<>());
        }

        public double viewOverDifferential() {
            return materializedView.median() / differential.median();
        }

        public double fullOverDifferential() {
            return full.median() / differential.median();
        }
    }

    public record SizeResult(double fraction, ChangeWorkload.Batch batch, Map<Scenario, ScenarioTimes> times) {
    }

    public record NoChange(Samples client, Samples server) {
    }

    public record Result(Map<Scenario, String> strategies, Map<Scenario, Double> setupMillis,
                         List<SizeResult> sizes, Map<Scenario, NoChange> noChange,
                         Map<String, Long> oracleDifferences, String explain) {
    }

    public Result run() throws SQLException, IOException {
        Map<Scenario, String> strategyByScenario = new LinkedHashMap<>();
        Map<Scenario, Double> setup = new LinkedHashMap<>();
        for (Scenario scenario : Scenario.ALL) {
            long start = System.nanoTime();
            String strategy = StreamTables.createDifferential(db, scenario.differentialTable(), scenario.query());
            setup.put(scenario, (System.nanoTime() - start) / 1e6);
            strategyByScenario.put(scenario, strategy);
            StreamTables.createFull(db, scenario.fullTable(), scenario.query());
            if (options.autoTwins()) {
                StreamTables.createAuto(db, scenario.autoTable(), scenario.query());
            }
            db.execute("CREATE MATERIALIZED VIEW " + scenario.materializedView() + " AS " + scenario.query());
            progress.log("created " + scenario.differentialTable() + " (" + strategy + "), " + scenario.fullTable()
                    + (options.autoTwins() ? ", " + scenario.autoTable() : "") + ", " + scenario.materializedView());
        }
        buffers = StreamTables.buffers(db);
        vacuum();

        List<SizeResult> sizes = new ArrayList<>();
        for (double fraction : options.fractions()) {
            sizes.add(measureSize(fraction));
        }

        Map<Scenario, NoChange> noChange = new LinkedHashMap<>();
        for (Scenario scenario : Scenario.ALL) {
            noChange.put(scenario, measureNoChange(scenario));
        }
        progress.log("no-change refreshes measured");

        Map<String, Long> oracle = new LinkedHashMap<>();
        for (Scenario scenario : Scenario.ALL) {
            for (String relation : streamTables(scenario)) {
                oracle.put(relation, Oracle.differences(db, relation, scenario.query()));
            }
            oracle.put(scenario.materializedView(), Oracle.differences(db, scenario.materializedView(), scenario.query()));
        }
        progress.log("oracle: " + oracle);
        if (options.explainOut() != null) {
            Files.writeString(options.explainOut(), explain.toString());
        }
        return new Result(strategyByScenario, setup, sizes, noChange, oracle, explain.toString());
    }

    private SizeResult measureSize(double fraction) throws SQLException {
        int size = options.batchSize(fraction);
        Map<Scenario, ScenarioTimes> times = new LinkedHashMap<>();
        Scenario.ALL.forEach(s -> times.put(s, ScenarioTimes.empty()));
        ChangeWorkload.Batch composition = ChangeWorkload.composition(size);
        for (int i = 0; i < options.warmupBatches() + options.batchesAt(fraction); i++) {
            boolean measured = i >= options.warmupBatches();
            ChangeWorkload.Batch batch = workload.apply(db, size);
            analyzeBuffers();
            Map<Scenario, Long> differential = new LinkedHashMap<>();
            for (Scenario scenario : Scenario.ALL) {
                differential.put(scenario, db.timed(StreamTables.refreshSql(scenario.differentialTable())));
                checkConsumedOneBatch(scenario, batch);
            }
            Map<Scenario, Long> full = new LinkedHashMap<>();
            for (Scenario scenario : Scenario.ALL) {
                full.put(scenario, db.timed(StreamTables.refreshSql(scenario.fullTable())));
            }
            Map<Scenario, AutoChoice> auto = new LinkedHashMap<>();
            for (Scenario scenario : options.autoTwins() ? Scenario.ALL : List.<Scenario>of()) {
                long nanos = db.timed(StreamTables.refreshSql(scenario.autoTable()));
                auto.put(scenario, new AutoChoice(StreamTables.lastRefresh(db, scenario.autoTable()).action(), nanos,
                        differential.get(scenario), full.get(scenario)));
            }
            if (measured) {
                for (Scenario scenario : Scenario.ALL) {
                    ScenarioTimes t = times.get(scenario);
                    t.differential().add(differential.get(scenario));
                    t.full().add(full.get(scenario));
                    if (auto.containsKey(scenario)) {
                        t.auto().add(auto.get(scenario));
                    }
                }
            }
            for (Scenario scenario : Scenario.ALL) {
                long nanos = db.timed("REFRESH MATERIALIZED VIEW " + scenario.materializedView());
                if (measured) {
                    times.get(scenario).materializedView().add(nanos);
                }
            }
            vacuum();
            progress.log(String.format("batch %s of %d rows (%s): DIFF %s", measured ? "#" + (i - options.warmupBatches() + 1) : "warm-up",
                    size, percent(fraction), lastDifferentials(times, measured)));
        }
        if (options.explainOut() != null && !BenchmarkOptions.forAutoOnly(fraction)) {
            explainOneBatch(fraction, size);
        }
        return new SizeResult(fraction, composition, times);
    }

    private NoChange measureNoChange(Scenario scenario) throws SQLException {
        Samples client = new Samples();
        Samples server = new Samples();
        String sql = StreamTables.refreshSql(scenario.differentialTable());
        db.execute(sql); // nothing pending, but make sure
        for (int i = 0; i < options.noChangeRuns(); i++) {
            client.add(db.timed(sql));
            StreamTables.HistoryRow row = StreamTables.lastRefresh(db, scenario.differentialTable());
            if (row.changesConsumed() != 0) {
                throw new IllegalStateException("a no-change refresh of " + scenario.differentialTable()
                        + " consumed " + row.changesConsumed() + " changes");
            }
            server.add(Math.round(row.serverMillis() * 1e6));
        }
        return new NoChange(client, server);
    }

    /** Each differential refresh must consume exactly the batch just applied, differentially. */
    private void checkConsumedOneBatch(Scenario scenario, ChangeWorkload.Batch batch) throws SQLException {
        StreamTables.HistoryRow row = StreamTables.lastRefresh(db, scenario.differentialTable());
        if (!row.action().equals("DIFFERENTIAL") || row.changesConsumed() != batch.bufferRows()) {
            throw new IllegalStateException("refresh of " + scenario.differentialTable() + " was " + row.action()
                    + " consuming " + row.changesConsumed() + " changes; expected DIFFERENTIAL consuming "
                    + batch.bufferRows() + " (one batch)");
        }
    }

    /**
     * An extra, unmeasured batch whose generated refresh statements are run under EXPLAIN
     * ANALYZE exactly as the refresh runs them (plpgsql EXECUTE … USING the old frontier), in a
     * transaction that is rolled back; then the batch is consumed by real refreshes.
     */
    private void explainOneBatch(double fraction, int size) throws SQLException {
        workload.apply(db, size);
        analyzeBuffers();
        // The refresh binds the old frontier as $1 and its cut inside the transaction that took
        // it as $2, $3.
        db.execute("CREATE OR REPLACE FUNCTION pg_temp.pgt_bench_explain(p_sql text, p_frontier pg_snapshot,"
                + " p_own_xid xid8, p_own_seq bigint)"
                + " RETURNS SETOF text LANGUAGE plpgsql AS $$ DECLARE v_line text; BEGIN"
                + " FOR v_line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS) ' || p_sql USING p_frontier, p_own_xid, p_own_seq"
                + " LOOP RETURN NEXT v_line; END LOOP; END $$");
        String cutArguments = "st.frontier_own_xid, st.frontier_own_seq";
        for (Scenario scenario : Scenario.ALL) {
            explain.append("## ").append(scenario.differentialTable()).append(", batch of ").append(size)
                    .append(" changes (").append(percent(fraction)).append(")\n\n```\n");
            db.connection().setAutoCommit(false);
            try {
                List<String> lines = db.queryColumn("SELECT pg_temp.pgt_bench_explain("
                        + "pgtrickle._plan_statement(st, st.plan ->> 'refresh'), st.frontier, "
                        + cutArguments + ")"
                        + " FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_schema = 'public' AND st.pgt_name = '"
                        + scenario.differentialTable() + "'");
                lines.forEach(line -> explain.append(line).append('\n'));
            } finally {
                db.connection().rollback();
                db.connection().setAutoCommit(true);
            }
            explain.append("```\n\n");
        }
        for (Scenario scenario : Scenario.ALL) {
            for (String table : streamTables(scenario)) {
                db.execute(StreamTables.refreshSql(table));
            }
            db.execute("REFRESH MATERIALIZED VIEW " + scenario.materializedView());
        }
        vacuum();
        progress.log("EXPLAIN ANALYZE of the refresh statements captured (" + percent(fraction) + ")");
    }

    /** The scenario's stream tables: the DIFFERENTIAL one, the FULL twin and, with {@code --auto-twins}, the AUTO twin. */
    private List<String> streamTables(Scenario scenario) {
        return options.autoTwins() ? List.of(scenario.differentialTable(), scenario.fullTable(), scenario.autoTable())
                : List.of(scenario.differentialTable(), scenario.fullTable());
    }

    private void analyzeBuffers() throws SQLException {
        if (options.analyzeBuffers()) {
            db.execute("ANALYZE " + String.join(", ", buffers));
        }
    }

    /** Outside the timed sections: every table the batch or the refreshes wrote. */
    private void vacuum() throws SQLException {
        List<String> tables = new ArrayList<>(List.of("orders"));
        for (Scenario scenario : Scenario.ALL) {
            tables.addAll(streamTables(scenario));
            tables.add(scenario.materializedView());
        }
        tables.addAll(buffers);
        db.execute("VACUUM (ANALYZE) " + String.join(", ", tables));
    }

    private static String lastDifferentials(Map<Scenario, ScenarioTimes> times, boolean measured) {
        if (!measured) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        times.forEach((scenario, t) -> {
            List<Double> values = t.differential().values();
            parts.add(String.format("%s %.1f ms", scenario.key(), values.get(values.size() - 1)));
        });
        return String.join(", ", parts);
    }

    static String percent(double fraction) {
        return String.format("%s %%", new java.math.BigDecimal(Double.toString(fraction * 100)).stripTrailingZeros().toPlainString());
    }
}
