package dev.pgtrickle.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.it.fuzz.DmlGenerator.Mode;
import dev.pgtrickle.it.fuzz.FuzzSchema.Table;
import dev.pgtrickle.it.fuzz.Shapes.Shape;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.testsupport.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.opentest4j.TestAbortedException;

/**
 * One randomized test: a random schema and data for a seed, the stream tables of one or more
 * query shapes (compiled, so refreshed DIFFERENTIAL), and rounds of random DML followed by
 * refreshes, each refresh checked by {@link FuzzChecks}. Everything executed is logged, so a
 * failure reports the seed, the schema, the stream table queries and the DML since the last
 * refresh, and writes the whole script to {@code target/fuzz-failures/}.
 */
final class FuzzRun implements AutoCloseable {

    private static final AtomicInteger SCHEMAS = new AtomicInteger();
    /** Isolation levels of the random transactions ("" = the default, READ COMMITTED). */
    private static final String[] ISOLATION_LEVELS = {"", "", "REPEATABLE READ", "SERIALIZABLE"};

    private final Class<?> testClass;
    final TestDatabase db;
    final String name;
    final long seed;
    final Random random;
    final FuzzSchema schema;
    final List<StreamTableDef> streamTables = new ArrayList<>();
    final Map<String, AtomicInteger> nextIds = new ConcurrentHashMap<>();
    final DmlGenerator dml;
    final Connection connection;

    private final List<String> setup = new ArrayList<>();
    private final List<String> script = Collections.synchronizedList(new ArrayList<>());
    private final List<String> sinceRefresh = Collections.synchronizedList(new ArrayList<>());
    /** Source tables (1-based) the stream tables read: most DML goes there. */
    private final List<Integer> readTables;
    /** Stream tables whose next refresh must reinitialize: a source was truncated (committed). */
    private final Set<String> truncatedSince = new HashSet<>();
    private int refreshes;
    private String mode = "DIFFERENTIAL";

    FuzzRun(Class<?> testClass, TestDatabase db, String name, long seed, List<Shape> shapes) throws SQLException {
        this.testClass = testClass;
        this.db = db;
        this.name = name;
        this.seed = seed;
        this.random = new Random(FuzzConfig.mix(seed, name));
        int needed = shapes.stream().mapToInt(Shape::tables).max().orElse(1);
        this.schema = FuzzSchema.random(random, "fz" + SCHEMAS.incrementAndGet() + "_s" + seed, needed);
        this.dml = new DmlGenerator(random, schema, nextIds);
        List<String> viewDdl = new ArrayList<>();
        for (int i = 0; i < shapes.size(); i++) {
            Shapes.Context context = new Shapes.Context(schema, shapes.size() == 1 ? "" : "s" + i + "_", random);
            streamTables.addAll(shapes.get(i).definer().define(context));
            viewDdl.addAll(context.setup);
        }
        Set<Integer> read = new TreeSet<>();
        streamTables.forEach(st -> read.addAll(st.tables()));
        this.readTables = List.copyOf(read);
        this.connection = db.connect();
        setup.addAll(schema.ddl());
        setup.addAll(viewDdl);
    }

    // ---------------------------------------------------------------- setup

    /** Creates the schema, fills it, creates and compiles the stream tables and checks them. */
    void setUp() throws SQLException {
        setUp("DIFFERENTIAL");
    }

    /** {@link #setUp()} with the stream tables in {@code mode} (DIFFERENTIAL or IMMEDIATE). */
    void setUp(String mode) throws SQLException {
        this.mode = mode;
        for (String ddl : setup) {
            execute(ddl);
        }
        for (Table table : schema.tables) {
            int rows = random.nextInt(5) == 0 ? 0 : 5 + random.nextInt(25);
            for (int done = 0; done < rows; done += 10) {
                execute(dml.insert(table, Math.min(10, rows - done)));
            }
        }
        // A join term probes a table per changed row or reads it whole, by its statistics
        // (docs/architecture.md, "Join deltas through indexes"): some tables have them.
        for (Table table : schema.tables) {
            if (random.nextBoolean()) {
                execute("ANALYZE " + table.qualified());
            }
        }
        for (StreamTableDef st : streamTables) {
            execute("SELECT pgtrickle.create_stream_table('" + st.name() + "', $q$" + st.query() + "$q$,"
                    + " refresh_mode => '" + mode + "')");
            script.add(FuzzScriptReplayTest.COMPILE + st.name());
            CompileResult result;
            connection.setAutoCommit(false);
            try {
                result = new StreamTableCompiler(connection).compile(st.name());
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
            assertEquals(CompileResult.Outcome.COMPILED, result.outcome(),
                    "every shape of the catalogue must compile differentially: " + result.describe());
            String status = FuzzChecks.status(connection, st.name());
            assertEquals(mode, status.split(":", 2)[0], "pgt_status() of " + st.name() + ": " + status);
            if (st.strategy() != null) {
                assertEquals(st.strategy(), FuzzChecks.strategy(connection, st.name()), "strategy of " + st.name());
            }
            FuzzChecks.assertMatchesQuery(connection, st);
            FuzzChecks.assertHiddenColumnsConsistent(connection, st);
        }
        sinceRefresh.clear();
    }

    // ---------------------------------------------------------------- rounds

    /** Random DML, then a refresh of every stream table (sometimes of a subset), each checked. */
    void round() throws SQLException {
        int units = 1 + random.nextInt(6);
        for (int i = 0; i < units; i++) {
            randomUnit();
        }
        List<StreamTableDef> chosen = streamTables;
        if (streamTables.size() > 1 && random.nextInt(3) == 0) {
            // Leave some stream tables behind: a downstream one then sees several upstream batches at once.
            chosen = streamTables.stream().filter(st -> random.nextBoolean()).toList();
        }
        for (StreamTableDef st : chosen) {
            refreshAndCheck(st, true);
        }
    }

    /** One autocommitted statement, a transaction (possibly rolled back), or a TRUNCATE. */
    void randomUnit() throws SQLException {
        int roll = random.nextInt(100);
        if (roll < 55) {
            execute(dml.statement(pickTable(), Mode.ANY));
        } else if (roll < 84) {
            transaction(false);
        } else if (roll < 96) {
            transaction(true);
        } else {
            Table table = pickTable();
            execute("TRUNCATE " + table.qualified());
            markTruncated(Set.of(table.index()));
            if (random.nextBoolean()) {
                execute(dml.insert(table, 1 + random.nextInt(4)));
            }
        }
    }

    // ---------------------------------------------------------------- IMMEDIATE mode

    /** Why the plan of a stream table cannot maintain it inside the statements, or null for none. */
    String immediateRefusal() throws SQLException {
        for (StreamTableDef st : streamTables) {
            String refusal = immediateRefusal(st);
            if (refusal != null) {
                return st.name() + ": " + refusal;
            }
        }
        return null;
    }

    private String immediateRefusal(StreamTableDef st) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT st.plan ->> 'immediate_refusal' FROM pgtrickle._find_stream_table(?) st")) {
            ps.setString(1, st.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /**
     * Drops the stream tables (last first) whose plan cannot maintain them inside the statements,
     * and those reading them; returns how many are left.
     */
    int dropRefusedImmediate() throws SQLException {
        for (int i = streamTables.size() - 1; i >= 0; i--) {
            StreamTableDef st = streamTables.get(i);
            if (immediateRefusal(st) != null) {
                execute("SELECT pgtrickle.drop_stream_table('" + st.name() + "', cascade => true)");
            }
        }
        streamTables.removeIf(st -> {
            try {
                return FuzzChecks.status(connection, st.name()).startsWith("(not in");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        return streamTables.size();
    }

    /**
     * One autocommitted statement, a TRUNCATE, or a transaction of a few statements (random
     * isolation, maybe a savepoint rolled back to, committed or rolled back); the stream tables,
     * maintained by the statements themselves, are checked after every statement, inside the
     * transaction too, and after it ends.
     */
    void immediateUnit() throws SQLException {
        int roll = random.nextInt(100);
        if (roll < 50) {
            execute(dml.statement(pickTable(), Mode.ANY));
        } else if (roll < 95) {
            connection.setAutoCommit(false);
            log("BEGIN");
            try {
                String isolation = ISOLATION_LEVELS[random.nextInt(ISOLATION_LEVELS.length)];
                if (!isolation.isEmpty()) {
                    run("SET TRANSACTION ISOLATION LEVEL " + isolation);
                }
                Savepoint savepoint = null;
                for (int i = 1 + random.nextInt(4); i > 0; i--) {
                    if (savepoint == null && random.nextInt(4) == 0) {
                        savepoint = connection.setSavepoint("sp");
                        log("SAVEPOINT sp");
                    }
                    run(dml.statement(pickTable(), Mode.ANY));
                    checkImmediate();
                }
                if (savepoint != null && random.nextBoolean()) {
                    connection.rollback(savepoint);
                    log("ROLLBACK TO SAVEPOINT sp");
                    checkImmediate();
                }
                if (random.nextInt(4) == 0) {
                    connection.rollback();
                    log("ROLLBACK");
                } else {
                    connection.commit();
                    log("COMMIT");
                }
            } catch (SQLException | RuntimeException | Error e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } else {
            Table table = pickTable();
            execute("TRUNCATE " + table.qualified());
        }
        checkImmediate();
        sinceRefresh.clear();
    }

    void checkImmediate() throws SQLException {
        refreshes++;
        for (StreamTableDef st : streamTables) {
            FuzzChecks.assertMatchesQuery(connection, st);
            FuzzChecks.assertHiddenColumnsConsistent(connection, st);
        }
    }

    /**
     * BEGIN; a few statements, maybe a savepoint rolled back to, rarely a TRUNCATE; with
     * {@code refreshInside} the stream tables are refreshed inside the writing transaction; then
     * COMMIT or ROLLBACK.
     */
    private void transaction(boolean refreshInside) throws SQLException {
        connection.setAutoCommit(false);
        log("BEGIN");
        String isolation = ISOLATION_LEVELS[random.nextInt(ISOLATION_LEVELS.length)];
        if (!isolation.isEmpty()) {
            run("SET TRANSACTION ISOLATION LEVEL " + isolation);
        }
        Set<Integer> truncated = new HashSet<>();
        boolean commit = random.nextInt(4) != 0;
        try {
            int statements = 1 + random.nextInt(4);
            Savepoint savepoint = null;
            Set<Integer> truncatedBeforeSavepoint = null;
            for (int i = 0; i < statements; i++) {
                if (savepoint == null && random.nextInt(6) == 0) {
                    savepoint = connection.setSavepoint("sp");
                    truncatedBeforeSavepoint = new HashSet<>(truncated);
                    log("SAVEPOINT sp");
                }
                if (random.nextInt(30) == 0) {
                    Table table = pickTable();
                    run("TRUNCATE " + table.qualified());
                    truncated.add(table.index());
                } else {
                    run(dml.statement(pickTable(), Mode.ANY));
                }
            }
            if (savepoint != null && random.nextBoolean()) {
                connection.rollback(savepoint);
                log("ROLLBACK TO SAVEPOINT sp");
                truncated = truncatedBeforeSavepoint;
                run(dml.statement(pickTable(), Mode.ANY));
            }
            Map<String, FuzzChecks.History> before = new HashMap<>();
            boolean writesAfterRefresh = false;
            Set<Integer> truncatedAfterRefresh = new HashSet<>();
            if (refreshInside) {
                for (StreamTableDef st : streamTables) {
                    before.put(st.name(), FuzzChecks.lastHistory(connection, st.name()));
                    run("SELECT pgtrickle.refresh_stream_table('" + st.name() + "')");
                }
                if (random.nextInt(3) == 0) {
                    // More writes in the same transaction after its refresh: they are not in the
                    // stream tables yet, so the next refresh must apply them.
                    writesAfterRefresh = true;
                    for (int i = 1 + random.nextInt(2); i > 0; i--) {
                        if (random.nextInt(10) == 0) {
                            Table table = pickTable();
                            run("TRUNCATE " + table.qualified());
                            truncatedAfterRefresh.add(table.index());
                        } else {
                            run(dml.statement(pickTable(), Mode.ANY));
                        }
                    }
                }
            }
            if (commit) {
                connection.commit();
                log("COMMIT");
                markTruncated(truncated);
                if (refreshInside) {
                    for (StreamTableDef st : streamTables) {
                        checkRefreshed(st, before.get(st.name()), !writesAfterRefresh);
                    }
                    if (!writesAfterRefresh) {
                        sinceRefresh.clear();
                    }
                    markTruncated(truncatedAfterRefresh);
                }
            } else {
                connection.rollback();
                log("ROLLBACK");
            }
        } catch (SQLException | RuntimeException | Error e) {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /**
     * Refreshes the stream tables in one transaction of the given isolation level whose
     * snapshot is taken before the refreshes (so under REPEATABLE READ they see the sources as
     * of then, even when others commit meanwhile), then checks them without the oracle. A
     * serialization failure rolls the transaction back and is rethrown.
     */
    void refreshInTransaction(List<StreamTableDef> sts, String isolation) throws SQLException {
        Map<String, FuzzChecks.History> before = new HashMap<>();
        connection.setAutoCommit(false);
        try {
            log("BEGIN");
            run("SET TRANSACTION ISOLATION LEVEL " + isolation);
            run("SELECT 1");
            for (StreamTableDef st : sts) {
                before.put(st.name(), FuzzChecks.lastHistory(connection, st.name()));
                run("SELECT pgtrickle.refresh_stream_table('" + st.name() + "')");
            }
            connection.commit();
            log("COMMIT");
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            log("ROLLBACK -- " + e.getMessage().lines().findFirst().orElse(""));
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
        for (StreamTableDef st : sts) {
            checkRefreshed(st, before.get(st.name()), false);
        }
        sinceRefresh.clear();
    }

    /** Refreshes one stream table and checks it (the oracle only when nothing writes concurrently). */
    void refreshAndCheck(StreamTableDef st, boolean oracle) throws SQLException {
        FuzzChecks.History before = FuzzChecks.lastHistory(connection, st.name());
        execute("SELECT pgtrickle.refresh_stream_table('" + st.name() + "')");
        checkRefreshed(st, before, oracle);
        sinceRefresh.clear();
    }

    /** Checks a stream table right after a committed refresh. */
    private void checkRefreshed(StreamTableDef st, FuzzChecks.History before, boolean oracle) throws SQLException {
        refreshes++;
        FuzzChecks.History after = FuzzChecks.lastHistory(connection, st.name());
        assertTrue(after.id() > before.id(), "the refresh of " + st.name() + " must leave a history row");
        String expected = truncatedSince.remove(st.name()) ? "REINITIALIZE" : "DIFFERENTIAL";
        // NO_DATA: no change was waiting (e.g. the DML matched no rows); the oracle judges it too.
        String actual = after.action().equals("NO_DATA") && expected.equals("DIFFERENTIAL") ? expected : after.action();
        assertEquals(expected + "/COMPLETED", actual + "/" + after.status(),
                "refresh of " + st.name() + " (history action; " + FuzzChecks.status(connection, st.name()) + ")");
        if (oracle) {
            FuzzChecks.assertMatchesQuery(connection, st);
        }
        FuzzChecks.assertHiddenColumnsConsistent(connection, st);
    }

    private void markTruncated(Set<Integer> tables) {
        for (StreamTableDef st : streamTables) {
            if (tables.stream().anyMatch(st.tables()::contains)) {
                truncatedSince.add(st.name());
            }
        }
    }

    Table pickTable() {
        return pickTableFor(random);
    }

    /** A table to write: mostly one the stream tables read. */
    Table pickTableFor(Random random) {
        if (random.nextInt(100) < 85) {
            return schema.table(readTables.get(random.nextInt(readTables.size())));
        }
        return schema.tables.get(random.nextInt(schema.tables.size()));
    }

    // ---------------------------------------------------------------- execution and logging

    /** Runs SQL in autocommit mode on the run's connection, logging it. */
    void execute(String sql) throws SQLException {
        run(sql);
    }

    private void run(String sql) throws SQLException {
        log(sql);
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    void log(String sql) {
        String line = sql.endsWith(";") ? sql : sql + ";";
        script.add(line);
        sinceRefresh.add(line);
    }

    /** Logs a statement another connection ran (concurrent scenarios), with who ran it. */
    void log(String who, String sql) {
        log("/* " + who + " */ " + sql);
    }

    /** Drops what the test created; called when it passed (a failed test's objects stay for inspection). */
    void dropAll() throws SQLException {
        for (int i = streamTables.size() - 1; i >= 0; i--) {
            try (PreparedStatement drop = connection.prepareStatement("SELECT pgtrickle.drop_stream_table(?)")) {
                drop.setString(1, streamTables.get(i).name());
                drop.execute();
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA " + schema.schema + " CASCADE");
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }

    /** The failure report: how to replay, the schema, the queries, the DML since the last refresh. */
    String report(Throwable failure) {
        StringBuilder out = new StringBuilder();
        out.append(mode.toLowerCase(java.util.Locale.ROOT)).append(" maintenance fuzz failure in ").append(name).append(", seed ").append(seed)
                .append(" (after ").append(refreshes).append(" checked refreshes)\n")
                .append("  replay: mvn -B -ntp -pl integration-tests test -Dtest=").append(testClass.getSimpleName()).append(' ')
                .append(FuzzConfig.replayFlags(seed, name)).append('\n')
                .append("  failure: ").append(summary(failure)).append('\n')
                .append("-- schema:\n");
        setup.forEach(s -> out.append(s).append(";\n"));
        out.append("-- tables: ");
        for (Table table : schema.tables) {
            out.append(table.name()).append(table.primaryKey() ? "(pk) " : "(keyless) ");
        }
        out.append("\n-- stream tables (created with refresh_mode => '").append(mode).append("', then compiled):\n");
        for (StreamTableDef st : streamTables) {
            out.append(st.name()).append(": ").append(st.query()).append('\n');
        }
        out.append("-- DML since the last checked refresh:\n");
        synchronized (sinceRefresh) {
            sinceRefresh.forEach(s -> out.append(s).append('\n'));
        }
        Path file = Path.of("target", "fuzz-failures", name + "-seed" + seed + ".sql");
        try {
            Files.createDirectories(file.getParent());
            List<String> lines = new ArrayList<>();
            lines.add("-- " + name + ", seed " + seed + ": the whole script, in order; replay with"
                    + " -Dtest=FuzzScriptReplayTest -Dpgtrickle.fuzz.script=" + file.toAbsolutePath());
            lines.add("-- " + summary(failure).replace('\n', ' '));
            synchronized (script) {
                lines.addAll(script);
            }
            Files.write(file, lines);
            out.append("-- the whole script: ").append(file.toAbsolutePath()).append('\n');
        } catch (IOException e) {
            out.append("-- (could not write the whole script: ").append(e).append(")\n");
        }
        return out.toString();
    }

    /** The failure without the generated SQL PostgreSQL quotes in "Where:" (the cause has it). */
    private static String summary(Throwable failure) {
        String text = failure.toString();
        int where = text.indexOf("\n  Where: ");
        return where < 0 ? text : text.substring(0, where) + "\n  (Where: see the cause below)";
    }

    /** Runs a test body; a failure is rethrown with the report. */
    static void reporting(FuzzRun run, Body body) throws Exception {
        try {
            body.run();
        } catch (TestAbortedException skipped) {
            throw skipped;
        } catch (Throwable failure) {
            throw new AssertionError(run.report(failure), failure);
        }
    }

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    /** {@code count} different shapes of the catalogue, chosen at random. */
    static List<Shape> pickShapes(Random random, int count) {
        return pickShapes(random, count, shape -> true);
    }

    /** {@link #pickShapes(Random, int)} among the shapes {@code eligible} accepts. */
    static List<Shape> pickShapes(Random random, int count, java.util.function.Predicate<Shape> eligible) {
        List<Shape> all = new ArrayList<>(Shapes.all().stream().filter(eligible).toList());
        Collections.shuffle(all, random);
        return List.copyOf(all.subList(0, Math.min(count, all.size())));
    }
}
