package dev.pgtrickle.it.fuzz;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.it.Oracle;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays a script a fuzz failure wrote to {@code target/fuzz-failures/} (or one written by hand
 * in the same form) against a fresh database, one statement per line:
 *
 * <ul>
 *   <li>{@code -- compile: NAME} runs the differential compiler on a stream table;</li>
 *   <li>{@code -- show: QUERY} prints what a query returns;</li>
 *   <li>a statement after a comment {@code /* writer *}{@code /} runs on the session of that name
 *       (opened on first use); the others run on the main session;</li>
 *   <li>after every refresh outside a transaction the stream table is checked like in the fuzz
 *       tests (the oracle, the hidden columns).</li>
 * </ul>
 *
 * Without {@code -Dpgtrickle.fuzz.script=PATH} there is nothing to replay and this factory yields
 * no test:
 *
 * <pre>
 * mvn -B -ntp -pl integration-tests test -Dtest=FuzzScriptReplayTest -Dpgtrickle.fuzz.script=/abs/path.sql
 * </pre>
 *
 * Statements of concurrent sessions are replayed one at a time in logged order, so such a replay
 * approximates the interleaving. Float columns are compared exactly here.
 */
@PostgresTest
class FuzzScriptReplayTest {

    private static final Pattern CREATE = Pattern.compile(
            "SELECT pgtrickle\\.create_stream_table\\('([^']+)', \\$q\\$(.*)\\$q\\$");
    private static final Pattern REFRESH = Pattern.compile("SELECT pgtrickle\\.refresh_stream_table\\('([^']+)'\\)");
    /** {@code /* name *}{@code /} before a statement: the session that ran it. */
    private static final Pattern SESSION = Pattern.compile("^/\\*(.*?)\\*/\\s*");
    static final String COMPILE = "-- compile: ";
    private static final String SHOW = "-- show: ";

    @TestFactory
    List<DynamicTest> replay(TestDatabase db) {
        String script = System.getProperty("pgtrickle.fuzz.script");
        if (script == null || script.isBlank()) {
            return List.of();
        }
        return List.of(DynamicTest.dynamicTest(Path.of(script).getFileName().toString(), () -> run(db, Path.of(script))));
    }

    /** Whether a query groups (GROUP BY or DISTINCT): stored groups then need a positive count. */
    private static boolean grouped(String query) {
        String upper = query.toUpperCase(Locale.ROOT);
        return upper.contains("GROUP BY") || upper.contains("SELECT DISTINCT");
    }

    private static void run(TestDatabase db, Path script) throws Exception {
        Map<String, StreamTableDef> streamTables = new LinkedHashMap<>();
        Map<String, Connection> sessions = new LinkedHashMap<>();
        Set<String> inTransaction = new HashSet<>();
        List<String> lines = Files.readAllLines(script);
        try {
            Connection main = session(db, sessions, "main");
            CatalogInstaller.install(main);
            int lineNumber = 0;
            for (String line : lines) {
                lineNumber++;
                String sql = line.strip();
                if (sql.startsWith(COMPILE)) {
                    String name = sql.substring(COMPILE.length()).strip();
                    main.setAutoCommit(false);
                    CompileResult result = new StreamTableCompiler(main).compile(name);
                    main.commit();
                    main.setAutoCommit(true);
                    System.out.println("line " + lineNumber + ": " + result.describe());
                    continue;
                }
                if (sql.startsWith(SHOW)) {
                    String query = sql.substring(SHOW.length()).replaceAll(";$", "");
                    System.out.println("line " + lineNumber + ": " + query + "\n  -> " + Oracle.rows(main, query));
                    continue;
                }
                if (sql.isEmpty() || sql.startsWith("--")) {
                    continue;
                }
                Matcher who = SESSION.matcher(sql);
                String name = "main";
                String bare = sql;
                if (who.find()) {
                    name = who.group(1).strip();
                    bare = sql.substring(who.end());
                }
                bare = bare.replaceAll(";$", "");
                Connection connection = session(db, sessions, name);
                try (Statement statement = connection.createStatement()) {
                    statement.execute(bare);
                } catch (SQLException e) {
                    throw new AssertionError("line " + lineNumber + " (session " + name + ") failed: " + bare, e);
                }
                Matcher create = CREATE.matcher(bare);
                if (create.find()) {
                    streamTables.put(create.group(1), new StreamTableDef(create.group(1), create.group(2), Set.of(),
                            grouped(create.group(2)), null, Map.of()));
                }
                String upper = bare.toUpperCase(Locale.ROOT);
                if (upper.equals("BEGIN") || upper.startsWith("BEGIN ")) {
                    inTransaction.add(name);
                } else if (upper.startsWith("COMMIT") || upper.startsWith("ROLLBACK") && !upper.startsWith("ROLLBACK TO")) {
                    inTransaction.remove(name);
                }
                Matcher refresh = REFRESH.matcher(bare);
                if (refresh.find() && !inTransaction.contains(name) && streamTables.containsKey(refresh.group(1))) {
                    StreamTableDef st = streamTables.get(refresh.group(1));
                    try {
                        FuzzChecks.assertMatchesQuery(main, st);
                        FuzzChecks.assertHiddenColumnsConsistent(main, st);
                    } catch (AssertionError e) {
                        throw new AssertionError("after line " + lineNumber + ": " + e.getMessage(), e);
                    }
                }
            }
            System.out.println("replayed " + lines.size() + " lines of " + script + ": all checks passed ("
                    + new ArrayList<>(streamTables.keySet()) + ")");
        } finally {
            for (Connection connection : sessions.values()) {
                connection.close();
            }
        }
    }

    /** The connection of a session named in the script, opened on first use; waits for locks are bounded. */
    private static Connection session(TestDatabase db, Map<String, Connection> sessions, String name)
            throws SQLException {
        Connection connection = sessions.get(name);
        if (connection == null) {
            connection = db.connect();
            try (Statement statement = connection.createStatement()) {
                // A statement that waited for another session's lock in the logged run would wait
                // forever in a replay on one thread.
                statement.execute("SET lock_timeout = '10s'");
            }
            sessions.put(name, connection);
        }
        return connection;
    }
}
