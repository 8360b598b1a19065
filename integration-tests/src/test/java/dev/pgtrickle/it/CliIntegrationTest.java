package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code pgtrickle} command line, run in-process against a real database: exit codes, what it
 * prints on stdout and stderr, and what it leaves in the database.
 */
@PostgresTest
class CliIntegrationTest {

    private final TestDatabase db;

    CliIntegrationTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    // ------------------------------------------------------------------------------------------
    // helpers

    private CliRun cliDb(String... args) {
        return CliRun.against(db, args);
    }

    /**
     * The error format of exit code 1: one {@code error:} line, then at most PostgreSQL's DETAIL
     * and HINT lines; no stack trace.
     */
    private static void assertErrorOutput(CliRun run) {
        run.assertNoStackTrace();
        List<String> lines = run.errLines();
        assertFalse(lines.isEmpty(), () -> "an error message expected: " + run);
        assertTrue(lines.get(0).startsWith("error: "), run::toString);
        for (String line : lines.subList(1, lines.size())) {
            assertTrue(line.startsWith("DETAIL: ") || line.startsWith("HINT: "), run::toString);
        }
        assertTrue(lines.size() <= 3, run::toString);
    }

    /** The row of {@code pgtrickle.pgt_status()} for one stream table, or null. */
    private Map<String, Object> status(String qualifiedName) throws SQLException {
        List<Map<String, Object>> rows = db.queryList(
                "SELECT * FROM pgtrickle.pgt_status() WHERE name = '" + qualifiedName + "'");
        assertTrue(rows.size() <= 1, () -> "one status row expected for " + qualifiedName + ": " + rows);
        return rows.isEmpty() ? null : rows.get(0);
    }

    private boolean relationExists(String name) throws SQLException {
        return db.queryString("SELECT to_regclass('" + name + "')::text") != null;
    }

    private void createSource(String table) throws SQLException {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, grp text NOT NULL, v int);"
                + " INSERT INTO " + table + " SELECT g, 'g' || (g % 3), g * 10 FROM generate_series(1, 9) g");
    }

    private static String groupQuery(String table) {
        return "SELECT grp, count(*) AS n, sum(v) AS total FROM " + table + " GROUP BY grp";
    }

    // ------------------------------------------------------------------------------------------
    // install and the automatic catalog installation

    @Test
    void installOnAnEmptyDatabaseThenAgain() throws SQLException {
        TestDatabase empty = TestDatabase.create(db.server(), "cli_install");
        try {
            CliRun first = CliRun.against(empty, "install").expectExit(0);
            CliRun.assertContains(first.out(), "pgtrickle catalog installed");
            assertEquals("1", empty.queryString(
                    "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle'"), "schema pgtrickle");
            try (Connection connection = empty.connect()) {
                assertTrue(CatalogInstaller.isCurrent(connection), "catalog is current after install");
            }

            CliRun second = CliRun.against(empty, "install").expectExit(0);
            CliRun.assertContains(second.out(), "already up to date");
            assertFalse(second.out().contains("installed"), second::toString);
        } finally {
            empty.drop();
        }
    }

    @Test
    void aCommandOnADatabaseWithoutCatalogInstallsItAndSaysSo() throws SQLException {
        TestDatabase fresh = TestDatabase.create(db.server(), "cli_autoinstall");
        try {
            CliRun first = CliRun.against(fresh, "status").expectExit(0);
            CliRun.assertContains(first.err(), "pgtrickle catalog installed");
            assertFalse(first.out().contains("installed"), () -> "the install notice belongs on stderr: " + first);
            CliRun.assertContains(first.out(), "no stream tables");
            try (Connection connection = fresh.connect()) {
                assertTrue(CatalogInstaller.isCurrent(connection), "catalog is current after the first command");
            }

            fresh.execute("CREATE TABLE src (id int PRIMARY KEY, v int); INSERT INTO src VALUES (1, 1)");
            CliRun second = CliRun.against(fresh, "create", "st", "SELECT id, v FROM src").expectExit(0);
            assertFalse(second.err().contains("installed"), () -> "installed only once: " + second);
            assertEquals("1", fresh.queryString("SELECT count(*) FROM pgtrickle.pgt_stream_tables"));
        } finally {
            fresh.drop();
        }
    }

    // ------------------------------------------------------------------------------------------
    // create

    @Test
    void createWithSchedule() throws SQLException {
        createSource("c_src");
        String query = groupQuery("c_src");

        CliRun run = cliDb("create", "c_stats", query, "--schedule", "5m").expectExit(0);
        CliRun.assertContains(run.out(), "stream table c_stats created");
        run.assertNoStackTrace();

        Map<String, Object> row = status("public.c_stats");
        assertTrue(row != null, "pgt_status() lists public.c_stats");
        assertEquals("5m", row.get("schedule"));
        assertEquals("ACTIVE", row.get("status"));
        assertEquals("AUTO", row.get("refresh_mode"));
        assertEquals(0, ((Number) row.get("consecutive_errors")).intValue());
        assertEquals(Boolean.TRUE, row.get("is_populated"));
        Oracle.assertStreamTableMatchesQuery(db, "public.c_stats", query);
    }

    @Test
    void createIfNotExistsOnAnExistingStreamTableSucceeds() throws SQLException {
        createSource("ine_src");
        cliDb("create", "ine_stats", groupQuery("ine_src"), "--schedule", "5m").expectExit(0);

        CliRun again = cliDb("create", "ine_stats", "SELECT id FROM ine_src", "--if-not-exists").expectExit(0);
        CliRun.assertContains(again.out(), "ine_stats");
        CliRun.assertContains(again.err(), "notice: stream table \"public.ine_stats\" already exists, skipping");
        again.assertNoStackTrace();

        // Left as it was: same query, same schedule.
        assertEquals("5m", status("public.ine_stats").get("schedule"));
        Oracle.assertStreamTableMatchesQuery(db, "public.ine_stats", groupQuery("ine_src"));
    }

    @Test
    void createOfAnExistingStreamTableFailsWithOneClearLine() throws SQLException {
        createSource("dup_src");
        cliDb("create", "x", groupQuery("dup_src")).expectExit(0);

        CliRun run = cliDb("create", "x", "SELECT id FROM dup_src").expectExit(1);
        List<String> lines = run.errLines();
        assertEquals("error: stream table \"public.x\" already exists", lines.get(0), run::toString);
        assertTrue(lines.size() <= 2, () -> "an error line and at most a hint: " + run);
        if (lines.size() == 2) {
            assertTrue(lines.get(1).startsWith("HINT: "), run::toString);
        }
        run.assertNoStackTrace();
        assertEquals("", run.out(), run::toString);
        Oracle.assertStreamTableMatchesQuery(db, "public.x", groupQuery("dup_src"));
    }

    @Test
    void createWithABadScheduleListsTheAcceptedForms() throws SQLException {
        createSource("bad_sched_src");

        CliRun run = cliDb("create", "bad_sched", "SELECT id FROM bad_sched_src", "--schedule", "every 5 minutes")
                .expectExit(1);
        assertTrue(run.errLines().get(0).startsWith("error: invalid schedule \"every 5 minutes\""), run::toString);
        // The accepted forms: durations, cron expressions, macros and 'calculated'.
        CliRun.assertContains(run.err(), "duration", "'5m'", "cron", "@hourly", "calculated");
        assertErrorOutput(run);
        assertFalse(relationExists("public.bad_sched"), "nothing created");
        assertNull(status("public.bad_sched"));
    }

    // ------------------------------------------------------------------------------------------
    // refresh

    @Test
    void refreshAfterSourceChangesMatchesTheQuery() throws SQLException {
        createSource("r_src");
        String query = groupQuery("r_src");
        cliDb("create", "r_stats", query, "--schedule", "1m").expectExit(0);

        db.execute("INSERT INTO r_src SELECT g, 'g' || (g % 4), g FROM generate_series(10, 20) g;"
                + " UPDATE r_src SET v = v + 1 WHERE id % 2 = 0;"
                + " DELETE FROM r_src WHERE id IN (3, 12);"
                + " UPDATE r_src SET grp = 'moved' WHERE id = 5");

        CliRun run = cliDb("refresh", "r_stats").expectExit(0);
        CliRun.assertContains(run.out(), "stream table r_stats refreshed");
        Oracle.assertStreamTableMatchesQuery(db, "public.r_stats", query);
        assertEquals(0, ((Number) status("public.r_stats").get("consecutive_errors")).intValue());
    }

    @Test
    void refreshOfAnUnknownStreamTableFails() {
        CliRun run = cliDb("refresh", "nope").expectExit(1);
        CliRun.assertContains(run.errLines().get(0), "error: ", "stream table \"public.nope\" does not exist");
        assertErrorOutput(run);
    }

    @Test
    void aFailedRefreshIsReportedAndRecorded() throws SQLException {
        db.execute("CREATE TABLE t (id int PRIMARY KEY, d int NOT NULL); INSERT INTO t VALUES (1, 2), (2, 5)");
        String query = "SELECT id, 10 / d AS q FROM t";
        cliDb("create", "div", query).expectExit(0);
        db.execute("INSERT INTO t VALUES (3, 0)");

        CliRun run = cliDb("refresh", "div").expectExit(1);
        CliRun.assertContains(run.errLines().get(0), "error: ", "division by zero");
        assertErrorOutput(run);
        assertFalse(run.out().contains("refreshed"), run::toString);

        Map<String, Object> row = status("public.div");
        assertEquals(1, ((Number) row.get("consecutive_errors")).intValue(), row::toString);
        CliRun.assertContains((String) row.get("last_error"), "division by zero");
        // The failed refresh was rolled back: the previous contents are still there.
        assertEquals(2, db.queryLong("SELECT count(*) FROM div"));
        assertEquals("1", db.queryString("SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)"
                + " WHERE s.pgt_name = 'div' AND h.status = 'FAILED' AND h.error_message LIKE '%division by zero%'"));

        // Once the data is fixed, a refresh succeeds and clears the error.
        db.execute("UPDATE t SET d = 1 WHERE id = 3");
        cliDb("refresh", "div").expectExit(0);
        Oracle.assertStreamTableMatchesQuery(db, "public.div", query);
        row = status("public.div");
        assertEquals(0, ((Number) row.get("consecutive_errors")).intValue(), row::toString);
    }

    // ------------------------------------------------------------------------------------------
    // alter

    private static final String DEFINITION = "SELECT pgt_relid::text, defining_query, normalized_query, refresh_mode,"
            + " effective_mode, mode_reason, status, append_only, cdc_mode, is_populated, frontier::text,"
            + " data_timestamp, consecutive_errors, last_error, plan::text"
            + " FROM pgtrickle.pgt_stream_tables WHERE pgt_schema = 'public' AND pgt_name = ";

    @Test
    void alterChangesExactlyTheGivenOptions() throws SQLException {
        createSource("a_src");
        cliDb("create", "a_stats", groupQuery("a_src"), "--schedule", "5m").expectExit(0);
        List<Map<String, Object>> before = db.queryList(DEFINITION + "'a_stats'");
        assertEquals("hot", db.queryString("SELECT tier FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'a_stats'"));

        CliRun run = cliDb("alter", "a_stats", "--schedule", "1m", "--tier", "warm").expectExit(0);
        CliRun.assertContains(run.out(), "stream table a_stats altered");

        assertEquals("1m", db.queryString(
                "SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'a_stats'"));
        assertEquals("warm", db.queryString(
                "SELECT tier FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'a_stats'"));
        assertEquals(before, db.queryList(DEFINITION + "'a_stats'"), "everything else is unchanged");
        Oracle.assertStreamTableMatchesQuery(db, "public.a_stats", groupQuery("a_src"));
    }

    @Test
    void alterWithoutAnyOptionIsAUsageError() throws SQLException {
        createSource("a0_src");
        cliDb("create", "a0_stats", groupQuery("a0_src"), "--schedule", "5m").expectExit(0);

        CliRun run = cliDb("alter", "a0_stats").expectExit(2);
        CliRun.assertContains(run.err(), "Nothing to change", "--schedule");
        run.assertNoStackTrace();
        assertEquals("5m", status("public.a0_stats").get("schedule"));
    }

    // ------------------------------------------------------------------------------------------
    // status

    @Test
    void statusAsTableAndAsJson() throws Exception {
        createSource("s_src");
        cliDb("create", "s_stats", groupQuery("s_src"), "--schedule", "30s").expectExit(0);

        CliRun table = cliDb("status").expectExit(0);
        String header = table.out().lines().findFirst().orElse("");
        CliRun.assertContains(header, "NAME", "STATUS", "SCHEDULE");
        assertTrue(table.out().lines().anyMatch(line -> line.startsWith("public.s_stats ")
                && line.contains("ACTIVE") && line.contains("30s")), table::toString);

        CliRun json = cliDb("status", "s_stats", "--json").expectExit(0);
        JsonNode parsed = new ObjectMapper().readTree(json.out());
        assertTrue(parsed.isArray(), json::toString);
        assertEquals(1, parsed.size(), json::toString);
        JsonNode entry = parsed.get(0);
        assertEquals("public.s_stats", entry.get("name").asText());
        assertEquals("ACTIVE", entry.get("status").asText());
        assertEquals("30s", entry.get("schedule").asText());
        assertEquals(0, entry.get("consecutive_errors").asInt());

        CliRun unknown = cliDb("status", "nope").expectExit(1);
        CliRun.assertContains(unknown.errLines().get(0), "error: stream table \"", "nope\" does not exist");
        assertErrorOutput(unknown);
    }

    // ------------------------------------------------------------------------------------------
    // drop

    @Test
    void dropRemovesTheStreamTable() throws SQLException {
        createSource("d_src");
        cliDb("create", "d_stats", groupQuery("d_src")).expectExit(0);

        CliRun run = cliDb("drop", "d_stats").expectExit(0);
        CliRun.assertContains(run.out(), "stream table d_stats dropped");
        assertFalse(relationExists("public.d_stats"));
        assertNull(status("public.d_stats"));
        // No other stream table reads d_src: its capture is gone too.
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"
                + " WHERE source_schema = 'public' AND source_name = 'd_src'"));
    }

    @Test
    void dropOfAStreamTableOthersReadNeedsCascade() throws SQLException {
        createSource("dc_src");
        cliDb("create", "dc_base", groupQuery("dc_src")).expectExit(0);
        cliDb("create", "dc_reader", "SELECT grp, n FROM dc_base WHERE n > 1").expectExit(0);

        CliRun refused = cliDb("drop", "dc_base").expectExit(1);
        assertTrue(refused.errLines().get(0).startsWith("error: "), refused::toString);
        CliRun.assertContains(refused.errLines().get(0), "dc_reader");
        assertErrorOutput(refused);
        assertTrue(relationExists("public.dc_base"), "nothing dropped");
        assertTrue(status("public.dc_reader") != null, "nothing dropped");

        CliRun cascaded = cliDb("drop", "dc_base", "--cascade").expectExit(0);
        CliRun.assertContains(cascaded.out(), "stream table dc_base dropped");
        assertFalse(relationExists("public.dc_base"));
        assertFalse(relationExists("public.dc_reader"));
        assertNull(status("public.dc_base"));
        assertNull(status("public.dc_reader"));
    }

    // ------------------------------------------------------------------------------------------
    // usage and error output

    @Test
    void withoutAJdbcUrlItIsAUsageError() {
        // The option defaults to the environment variable; only testable when it is not set here.
        assumeTrue(System.getenv("PGTRICKLE_JDBC_URL") == null, "PGTRICKLE_JDBC_URL is set in this environment");
        CliRun run = CliRun.run("status").expectExit(2);
        CliRun.assertContains(run.err(), "PGTRICKLE_JDBC_URL", "--jdbc-url");
        run.assertNoStackTrace();
    }

    @Test
    void verboseShowsTheStackTraceOtherwiseNot() {
        CliRun plain = cliDb("refresh", "nope_verbose").expectExit(1);
        assertErrorOutput(plain);

        // --verbose also raises the log level of the JVM it runs in: put it back for the other tests.
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.classic.Level level = root.getLevel();
        try {
            CliRun verbose = cliDb("refresh", "nope_verbose", "--verbose").expectExit(1);
            CliRun.assertContains(verbose.err(), CliRun.STACK_FRAME, "error: stream table \"public.nope_verbose\" does not exist");

            CliRun verboseFirst = CliRun.run("--verbose", "refresh", "nope_verbose", "--jdbc-url", db.jdbcUrl()).expectExit(1);
            CliRun.assertContains(verboseFirst.err(), CliRun.STACK_FRAME, "does not exist");
        } finally {
            root.setLevel(level);
        }
    }
}
