package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;

/**
 * Proves that docs/quickstart.md works as written: starts the real playground from the runnable
 * jar, runs every {@code sql} block of the quickstart in order (a block starting with
 * {@code -- fails} must fail, every other block must succeed), runs the command lines of its
 * section "The command line", and stops the playground the way a user does.
 */
class QuickstartTest {

    private static final String READY = "Press Ctrl-C to stop";
    private static final String STOPPED = "PostgreSQL stopped";
    private static final String DOC_PORT = "5433";
    /** Liveness bounds only: how long to wait before declaring a process stuck. */
    private static final long START_MINUTES = 5;
    private static final long COMMAND_MINUTES = 3;
    private static final long STOP_MINUTES = 2;

    private Process playground;
    private final StringBuffer playgroundOutput = new StringBuffer();

    @AfterEach
    void stopPlayground() throws InterruptedException {
        if (playground != null && playground.isAlive()) {
            playground.toHandle().destroy();
            if (!playground.waitFor(STOP_MINUTES, TimeUnit.MINUTES)) {
                playground.descendants().forEach(ProcessHandle::destroyForcibly);
                playground.destroyForcibly();
            }
        }
    }

    @Test
    void quickstartRunsAsWritten() throws Exception {
        Path root = repositoryRoot();
        Path jar = root.resolve("cli/target/pgtrickle.jar");
        assertTrue(Files.isRegularFile(jar), () -> jar + " is missing: package the cli module first");
        List<Block> blocks = Block.parse(Files.readString(root.resolve("docs/quickstart.md")));

        int port = freePort();
        Thread reader = startPlayground(root, jar, port);
        String output = playgroundOutput.toString();
        assertTrue(output.contains("JDBC URL:  jdbc:postgresql://localhost:" + port + "/postgres"), output);
        assertTrue(output.contains("psql -h localhost -p " + port + " -U postgres postgres"), output);

        String url = "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres";
        try (Connection connection = DriverManager.getConnection(url)) {
            checkDemo(connection);
            runSqlBlocks(connection, blocks);
            checkEnd(connection);
            runCommandLines(root, jar, url, blocks);
            assertEquals(null, queryString(connection, "SELECT to_regclass('demo.paid_orders')::text"),
                    "the command line section drops demo.paid_orders again");
        }

        // Stop it like Ctrl-C would (SIGTERM; the JVM runs the same shutdown hook). Through the
        // ProcessHandle: Process.destroy() also closes our end of its output, losing what it prints.
        assertTrue(playground.toHandle().destroy(), "SIGTERM sent");
        assertTrue(playground.waitFor(STOP_MINUTES, TimeUnit.MINUTES),
                () -> "the playground did not stop on SIGTERM; its output:\n" + playgroundOutput);
        reader.join(TimeUnit.MINUTES.toMillis(STOP_MINUTES));
        assertTrue(playgroundOutput.toString().contains(STOPPED),
                () -> "expected '" + STOPPED + "' after SIGTERM; the output:\n" + playgroundOutput);
    }

    /**
     * A client connecting as soon as the port answers (before the playground says it is ready)
     * finds the catalog and the demo in place: the playground prepares them before PostgreSQL
     * listens on its port.
     */
    @Test
    void theFirstConnectionThatSucceedsFindsTheCatalog() throws Exception {
        Path root = repositoryRoot();
        int port = freePort();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = launchPlayground(root, root.resolve("cli/target/pgtrickle.jar"), port, ready);
        String url = "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres&connectTimeout=2";
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(START_MINUTES);
        Connection first = null;
        while (first == null) {
            try {
                first = DriverManager.getConnection(url);
            } catch (PSQLException notYet) {
                assertTrue(playground.isAlive(), () -> "the playground exited:\n" + playgroundOutput);
                assertTrue(System.nanoTime() < deadline, () -> "no connection succeeded:\n" + playgroundOutput);
                Thread.sleep(20);
            }
        }
        try (Connection connection = first) {
            assertEquals("pgtrickle.pgt_status", queryString(connection, "SELECT to_regproc('pgtrickle.pgt_status')::text"));
            assertEquals("demo.revenue_by_region", queryString(connection, "SELECT to_regclass('demo.revenue_by_region')::text"));
        }
        awaitReady(reader, ready);
    }

    // ------------------------------------------------------------------------------------------
    // what the quickstart promises

    /** Section 2: the demo tables and stream tables are there, and revenue_by_region has one row per region. */
    private static void checkDemo(Connection connection) throws SQLException {
        for (String table : List.of("demo.customers", "demo.orders", "demo.revenue_by_region", "demo.large_orders")) {
            assertNotNull(queryString(connection, "SELECT to_regclass('" + table + "')::text"), table + " exists");
        }
        assertEquals(List.of("demo.large_orders", "demo.revenue_by_region"),
                column(connection, "SELECT name FROM pgtrickle.pgt_status() ORDER BY name"));
        assertEquals("4", queryString(connection, "SELECT count(*) FROM demo.revenue_by_region"));
        assertStreamTablesMatchTheirQueries(connection, "before the first block");
    }

    /** Section 7: everything the quickstart created is gone again; the demo is untouched. */
    private static void checkEnd(Connection connection) throws SQLException {
        for (String table : List.of("public.sensor_stats", "public.busy_sensors", "public.readings")) {
            assertEquals(null, queryString(connection, "SELECT to_regclass('" + table + "')::text"), table + " is gone");
        }
        assertEquals(List.of("demo.large_orders", "demo.revenue_by_region"),
                column(connection, "SELECT name FROM pgtrickle.pgt_status() ORDER BY name"));
        assertEquals("0", queryString(connection,
                "SELECT count(*) FROM pgtrickle.pgt_change_sources WHERE source_name = 'readings'"),
                "no capture left for readings");
        assertEquals("4", queryString(connection, "SELECT count(*) FROM demo.revenue_by_region"));
    }

    // ------------------------------------------------------------------------------------------
    // running the blocks

    private static void runSqlBlocks(Connection connection, List<Block> blocks) throws SQLException {
        List<Block> sql = blocks.stream().filter(b -> b.info().equals("sql")).toList();
        assertTrue(sql.size() >= 5, () -> "the quickstart should have sql blocks, found " + sql.size());
        assertTrue(sql.stream().anyMatch(Block::mustFail), "the quickstart shows a failing statement");
        for (Block block : sql) {
            if (block.mustFail()) {
                SQLException e = assertThrows(SQLException.class, () -> execute(connection, block.text()),
                        () -> "this quickstart block should fail:\n" + block.text());
                String expected = block.expectedError();
                if (!expected.isEmpty()) {
                    assertTrue(e.getMessage().contains(expected),
                            () -> "the block says it fails with '" + expected + "', it failed with: " + e.getMessage());
                }
                if (block.text().contains("DROP TABLE readings")) {
                    // "Dropping readings now fails and names the stream table in the way."
                    String full = ((PSQLException) e).getServerErrorMessage().toString();
                    assertTrue(full.contains("sensor_stats"), () -> "the error should name sensor_stats: " + full);
                }
            } else {
                try {
                    execute(connection, block.text());
                } catch (SQLException e) {
                    throw new AssertionError("quickstart block failed: " + e.getMessage() + "\n" + block.text(), e);
                }
            }
            // The quickstart refreshes after every change it makes, so what users see is always
            // exactly what the defining queries return.
            assertStreamTablesMatchTheirQueries(connection, "after the block\n" + block.text());
        }
    }

    /** Runs a whole block in one call, as psql would run it: pgjdbc splits it (dollar quotes intact). */
    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            boolean isResult = statement.execute(sql);
            while (isResult || statement.getUpdateCount() != -1) {
                if (isResult) {
                    try (ResultSet rows = statement.getResultSet()) {
                        while (rows.next()) {
                            // read, as a client shows them
                        }
                    }
                }
                isResult = statement.getMoreResults();
            }
        }
    }

    /** Section 8: the {@code java -jar cli/target/pgtrickle.jar ...} lines, against the playground. */
    private void runCommandLines(Path root, Path jar, String url, List<Block> blocks)
            throws IOException, InterruptedException {
        Block block = blocks.stream()
                .filter(b -> b.info().equals("sh") && b.section().contains("The command line"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no sh block in section 'The command line'"));
        List<String> lines = Block.joinContinuations(block.text());

        String exported = lines.stream()
                .filter(line -> line.startsWith("export PGTRICKLE_JDBC_URL="))
                .map(line -> Block.words(line.substring("export ".length())).get(0)
                        .substring("PGTRICKLE_JDBC_URL=".length()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("section 8 should export PGTRICKLE_JDBC_URL:\n" + block.text()));
        // The quickstart's URL points at the playground on its default port; ours runs on another one.
        assertEquals("jdbc:postgresql://localhost:" + DOC_PORT + "/postgres?user=postgres", exported,
                "section 8 exports the playground's URL");

        List<List<String>> commands = lines.stream()
                .filter(line -> line.startsWith("java -jar cli/target/pgtrickle.jar"))
                .map(Block::words)
                .toList();
        assertTrue(commands.size() >= 3, () -> "section 8 should run the CLI a few times:\n" + block.text());
        for (List<String> words : commands) {
            List<String> command = new ArrayList<>(words);
            command.set(0, javaExecutable());
            assertEquals(jar, root.resolve(command.get(2)).normalize().toAbsolutePath());
            ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
            builder.environment().put("PGTRICKLE_JDBC_URL", url);
            Process process = builder.start();
            StringBuilder output = new StringBuilder();
            Thread reader = collect(process, output, "cli", null);
            if (!process.waitFor(COMMAND_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                fail(String.join(" ", words) + " did not finish; its output:\n" + output);
            }
            reader.join();
            assertEquals(0, process.exitValue(), () -> String.join(" ", words) + " failed:\n" + output);
        }
    }

    // ------------------------------------------------------------------------------------------
    // the oracle, on a plain connection

    private static void assertStreamTablesMatchTheirQueries(Connection connection, String when) throws SQLException {
        List<String> names = column(connection,
                "SELECT quote_ident(pgt_schema) || '.' || quote_ident(pgt_name) FROM pgtrickle.pgt_stream_tables");
        for (String name : names) {
            String query = queryString(connection, "SELECT defining_query FROM pgtrickle.pgt_stream_tables"
                    + " WHERE quote_ident(pgt_schema) || '.' || quote_ident(pgt_name) = '" + name + "'");
            List<String> columns = new ArrayList<>();
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT * FROM (" + query + ") AS q LIMIT 0")) {
                ResultSetMetaData meta = rows.getMetaData();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    columns.add(connection.unwrap(PGConnection.class).escapeIdentifier(meta.getColumnLabel(i)));
                }
            }
            String stored = "SELECT " + String.join(", ", columns) + " FROM " + name;
            String differences = queryString(connection, "SELECT count(*) FROM (((" + stored + ") EXCEPT ALL (" + query
                    + ")) UNION ALL ((" + query + ") EXCEPT ALL (" + stored + "))) AS d");
            assertEquals("0", differences, () -> "stream table " + name + " differs from its query " + when);
        }
    }

    private static String queryString(Connection connection, String sql) throws SQLException {
        List<String> values = column(connection, sql);
        assertEquals(1, values.size(), () -> "one row expected from " + sql);
        return values.get(0);
    }

    private static List<String> column(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet rows = statement.executeQuery()) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }

    // ------------------------------------------------------------------------------------------
    // processes

    /** Starts {@code pgtrickle playground} and waits until it is ready; fails with its output otherwise. */
    private Thread startPlayground(Path root, Path jar, int port) throws IOException, InterruptedException {
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = launchPlayground(root, jar, port, ready);
        awaitReady(reader, ready);
        return reader;
    }

    private Thread launchPlayground(Path root, Path jar, int port, CountDownLatch ready) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(javaExecutable(), "-jar", jar.toString(),
                "playground", "--port", Integer.toString(port))
                .directory(root.toFile())
                .redirectErrorStream(true);
        playground = builder.start();
        return collect(playground, playgroundOutput, "playground", ready);
    }

    private void awaitReady(Thread reader, CountDownLatch ready) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(START_MINUTES);
        while (!ready.await(1, TimeUnit.SECONDS)) {
            if (!playground.isAlive()) {
                reader.join(TimeUnit.SECONDS.toMillis(30));
                fail("the playground exited with code " + playground.exitValue() + " before it was ready:\n"
                        + playgroundOutput);
            }
            if (System.nanoTime() - deadline > 0) {
                fail("the playground did not print '" + READY + "' within " + START_MINUTES + " minutes:\n"
                        + playgroundOutput);
            }
        }
    }

    /** Copies a process's output to {@code sink} and to our stdout; counts {@code ready} down on READY. */
    private static Thread collect(Process process, Appendable sink, String prefix, CountDownLatch ready) {
        Thread thread = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    sink(sink, line);
                    System.out.println("[" + prefix + "] " + line);
                    if (ready != null && line.contains(READY)) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                // Only when our end was closed (forced cleanup): nothing more to read.
                sink(sink, "[output ended: " + e.getMessage() + "]");
            }
        }, "quickstart-" + prefix + "-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void sink(Appendable sink, String line) {
        synchronized (sink) {
            try {
                sink.append(line).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static String javaExecutable() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Surefire runs in the module directory; the repository root is where docs/quickstart.md is. */
    private static Path repositoryRoot() {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docs/quickstart.md"))
                    && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new AssertionError("docs/quickstart.md not found above " + Paths.get("").toAbsolutePath());
    }

    // ------------------------------------------------------------------------------------------
    // the markdown

    /** A fenced code block: its info string, text, and the {@code ##} heading it is under. */
    record Block(String info, String text, String section) {

        /** Every fenced block, in order. */
        static List<Block> parse(String markdown) {
            List<Block> blocks = new ArrayList<>();
            String section = "";
            String info = null;
            StringBuilder text = null;
            for (String line : markdown.split("\\R", -1)) {
                if (text == null) {
                    if (line.startsWith("## ")) {
                        section = line.substring(3).strip();
                    } else if (line.startsWith("```")) {
                        info = line.substring(3).strip();
                        text = new StringBuilder();
                    }
                } else if (line.strip().equals("```")) {
                    blocks.add(new Block(info, text.toString(), section));
                    text = null;
                } else {
                    text.append(line).append('\n');
                }
            }
            assertEquals(null, text, "unclosed code block in the markdown");
            return blocks;
        }

        boolean mustFail() {
            return firstLine().startsWith("-- fails");
        }

        /** What "-- fails: ..." says the error is, or "" when it says nothing. */
        String expectedError() {
            String first = firstLine();
            int colon = first.indexOf(':');
            return colon < 0 ? "" : first.substring(colon + 1).strip();
        }

        private String firstLine() {
            return text.lines().findFirst().orElse("").strip();
        }

        /** Lines of a shell block with backslash continuations joined, blank lines dropped. */
        static List<String> joinContinuations(String text) {
            List<String> lines = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : text.split("\n")) {
                if (line.endsWith("\\")) {
                    current.append(line, 0, line.length() - 1).append(' ');
                    continue;
                }
                current.append(line);
                String joined = current.toString().strip();
                if (!joined.isEmpty()) {
                    lines.add(joined);
                }
                current.setLength(0);
            }
            assertTrue(current.toString().isBlank(), "dangling line continuation");
            return lines;
        }

        /** Splits a command line into words like a POSIX shell does for quotes and backslashes (no expansions). */
        static List<String> words(String line) {
            List<String> words = new ArrayList<>();
            StringBuilder word = null;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\'') {
                    int end = line.indexOf('\'', i + 1);
                    assertTrue(end > 0, () -> "unclosed single quote in: " + line);
                    word = word == null ? new StringBuilder() : word;
                    word.append(line, i + 1, end);
                    i = end;
                } else if (c == '"') {
                    word = word == null ? new StringBuilder() : word;
                    int j = i + 1;
                    for (; j < line.length() && line.charAt(j) != '"'; j++) {
                        char d = line.charAt(j);
                        assertFalse(d == '$' || d == '`', () -> "expansions are not supported: " + line);
                        if (d == '\\' && j + 1 < line.length() && "\"\\$`".indexOf(line.charAt(j + 1)) >= 0) {
                            j++;
                        }
                        word.append(line.charAt(j));
                    }
                    assertTrue(j < line.length(), () -> "unclosed double quote in: " + line);
                    i = j;
                } else if (c == '\\' && i + 1 < line.length()) {
                    word = word == null ? new StringBuilder() : word;
                    word.append(line.charAt(++i));
                } else if (Character.isWhitespace(c)) {
                    if (word != null) {
                        words.add(word.toString());
                        word = null;
                    }
                } else {
                    assertFalse(c == '$' || c == '`' || c == '*' || c == '|' || c == ';' || c == '&',
                            () -> "shell syntax beyond quoting is not supported: " + line);
                    word = word == null ? new StringBuilder() : word;
                    word.append(c);
                }
            }
            if (word != null) {
                words.add(word.toString());
            }
            return words;
        }
    }
}
