package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;

/** Every user error of the lifecycle API: its SQLSTATE, a message that says what is wrong, no leftovers. */
@PostgresTest
class StreamTableErrorsTest {

    private static final String STRANGER = "pgt_errors_stranger";
    private static final String STRANGER_PASSWORD = "stranger-pw";

    private final TestDatabase db;

    StreamTableErrorsTest(TestDatabase db) {
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

    private PSQLException expectError(String sql, String sqlState) throws SQLException {
        try (Connection connection = db.connect()) {
            return expectError(connection, sql, sqlState);
        }
    }

    private static PSQLException expectError(Connection connection, String sql, String sqlState) {
        PSQLException e = assertThrows(PSQLException.class, () -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute(sql);
            }
        }, sql);
        assertEquals(sqlState, e.getSQLState(), () -> "SQLSTATE of " + sql + ": " + e.getMessage());
        return e;
    }

    private static String message(PSQLException e) {
        assertNotNull(e.getServerErrorMessage(), e::getMessage);
        return e.getServerErrorMessage().getMessage();
    }

    private static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text != null && text.contains(part), () -> "expected '" + part + "' in: " + text);
        }
    }

    private void createSource(String table) throws SQLException {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v int);"
                + " INSERT INTO " + table + " SELECT g, g * 10 FROM generate_series(1, 5) g");
    }

    private void createStreamTable(String name, String query) throws SQLException {
        db.execute("SELECT pgtrickle.create_stream_table('" + name + "', '" + query.replace("'", "''") + "')");
    }

    /** A failed create left no storage table, catalog row or definition view behind. */
    private void assertNoStreamTable(String name) throws SQLException {
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class WHERE oid = to_regclass('public." + name + "')"),
                "storage table " + name);
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name = '" + name + "'"),
                "catalog row of " + name);
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_views WHERE schemaname = 'pgtrickle'"
                + " AND viewname = 'public." + name + "'"), "definition view of " + name);
    }

    /** A failed create installed no capture on the table. */
    private void assertNotCaptured(String table) throws SQLException {
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = '" + table + "'::regclass"),
                "triggers on " + table);
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = '" + table + "'::regclass"), "change source " + table);
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class WHERE relnamespace = 'pgtrickle_changes'::regnamespace"
                + " AND relname = 'changes_' || '" + table + "'::regclass::oid"), "buffer of " + table);
    }

    private String definingQuery(String name) throws SQLException {
        return db.queryString("SELECT defining_query FROM pgtrickle.pgt_stream_tables WHERE pgt_name = '" + name + "'");
    }

    // ------------------------------------------------------------------------------------------
    // names

    @Test
    void nameOfAnExistingStreamTable() throws SQLException {
        createSource("dup_src");
        createStreamTable("dup_st", "SELECT id FROM dup_src");
        PSQLException e = expectError(
                "SELECT pgtrickle.create_stream_table('dup_st', 'SELECT id, v FROM dup_src')", "42P07");
        assertContains(message(e), "stream table \"public.dup_st\" already exists");
        assertContains(e.getServerErrorMessage().getHint(), "create_or_replace_stream_table");
        assertEquals("SELECT id FROM dup_src", definingQuery("dup_st"));
        assertEquals(1, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'dup_st'"));
    }

    @Test
    void nameOfAPlainTable() throws SQLException {
        createSource("plain_src");
        db.execute("CREATE TABLE plain_taken (x int); INSERT INTO plain_taken VALUES (42)");
        PSQLException e = expectError(
                "SELECT pgtrickle.create_stream_table('plain_taken', 'SELECT id FROM plain_src')", "42P07");
        assertContains(message(e), "relation \"public.plain_taken\" already exists and is not a stream table");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'plain_taken'"));
        assertEquals(42, db.queryLong("SELECT x FROM plain_taken"), "the plain table is untouched");
        assertNotCaptured("plain_src");
    }

    @Test
    void unknownSchema() throws SQLException {
        createSource("schema_src");
        PSQLException e = expectError(
                "SELECT pgtrickle.create_stream_table('no_such_schema.st', 'SELECT id FROM schema_src')", "3F000");
        assertContains(message(e), "schema \"no_such_schema\" does not exist");
        assertNotCaptured("schema_src");
    }

    // ------------------------------------------------------------------------------------------
    // invalid queries

    @Test
    void syntaxError() throws SQLException {
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('syntax_st', 'SELEC 1')", "42601");
        assertContains(message(e), "invalid defining query", "syntax error", "SELEC");
        assertNoStreamTable("syntax_st");
    }

    @Test
    void unknownTable() throws SQLException {
        PSQLException e = expectError(
                "SELECT pgtrickle.create_stream_table('unknown_st', 'SELECT * FROM no_such_table')", "42P01");
        assertContains(message(e), "invalid defining query", "relation \"no_such_table\" does not exist");
        assertNoStreamTable("unknown_st");
    }

    @Test
    void twoStatementsAreRefusedAndTheSecondNeverRuns() throws SQLException {
        db.execute("CREATE TABLE victim (x int); INSERT INTO victim VALUES (1)");
        PSQLException e = expectError(
                "SELECT pgtrickle.create_stream_table('two_st', 'SELECT 1 AS x; DROP TABLE victim')", "42P11");
        assertContains(message(e), "invalid defining query", "single SELECT statement");
        assertEquals(1, db.queryLong("SELECT count(*) FROM victim"), "victim still exists with its row");
        assertNoStreamTable("two_st");
    }

    /**
     * Statements that are not queries. Without RETURNING PostgreSQL refuses to open them as a
     * cursor (42P11); with RETURNING they fail when put into a view (42601). Either way nothing runs.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "INSERT INTO dml_src VALUES (100, 100)                | 42P11",
        "DELETE FROM dml_src                                  | 42P11",
        "UPDATE dml_src SET v = 0                             | 42P11",
        "INSERT INTO dml_src VALUES (100, 100) RETURNING id   | 42601",
        "DELETE FROM dml_src RETURNING id, v                  | 42601"})
    void dataModifyingStatements(String query, String sqlState) throws SQLException {
        db.execute("CREATE TABLE IF NOT EXISTS dml_src (id int, v int);"
                + " TRUNCATE dml_src; INSERT INTO dml_src VALUES (1, 10), (2, 20)");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('dml_st', '" + query + "')", sqlState);
        assertContains(message(e), "invalid defining query", "single SELECT statement");
        assertEquals("[{id=1, v=10}, {id=2, v=20}]", db.queryList("SELECT id, v FROM dml_src ORDER BY id").toString());
        assertNoStreamTable("dml_st");
        assertNotCaptured("dml_src");
    }

    @Test
    void dataModifyingWith() throws SQLException {
        createSource("cte_src");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('cte_st',"
                + " 'WITH gone AS (DELETE FROM cte_src RETURNING *) SELECT id FROM gone')", "0A000");
        assertContains(message(e), "invalid defining query", "must not modify data");
        assertEquals(5, db.queryLong("SELECT count(*) FROM cte_src"));
        assertNoStreamTable("cte_st");
        assertNotCaptured("cte_src");
    }

    // ------------------------------------------------------------------------------------------
    // unsupported sources

    @Test
    void temporaryTable() throws SQLException {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TEMPORARY TABLE tmp_src (id int); INSERT INTO tmp_src VALUES (1)");
            PSQLException e = expectError(connection,
                    "SELECT pgtrickle.create_stream_table('tmp_st', 'SELECT id FROM tmp_src')", "0A000");
            assertContains(message(e), "invalid defining query", "tmp_src", "is a temporary table");
        }
        assertNoStreamTable("tmp_st");
    }

    @Test
    void temporaryTableThroughATemporaryView() throws SQLException {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TEMPORARY TABLE tmpv_src (id int);"
                    + " CREATE TEMPORARY VIEW tmpv_view AS SELECT id FROM tmpv_src");
            PSQLException e = expectError(connection,
                    "SELECT pgtrickle.create_stream_table('tmpv_st', 'SELECT id FROM tmpv_view')", "0A000");
            assertContains(message(e), "invalid defining query", "is a temporary table");
        }
        assertNoStreamTable("tmpv_st");
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT relname FROM pg_class", "SELECT pid, state FROM pg_stat_activity",
        "SELECT table_name FROM information_schema.tables", "SELECT relname FROM pg_catalog.pg_class c"})
    void systemCatalogs(String query) throws SQLException {
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('catalog_st', '" + query + "')", "0A000");
        assertContains(message(e), "invalid defining query", "is a system catalog",
                "stream tables can only read user tables");
        assertNoStreamTable("catalog_st");
    }

    // ------------------------------------------------------------------------------------------
    // options

    @Test
    void unknownRefreshMode() throws SQLException {
        createSource("mode_src");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('mode_st', 'SELECT id FROM mode_src',"
                + " refresh_mode => 'INCREMENTAL')", "22023");
        assertContains(message(e), "unknown refresh_mode \"INCREMENTAL\"", "'AUTO'", "'DIFFERENTIAL'", "'FULL'");
        assertNoStreamTable("mode_st");
        assertNotCaptured("mode_src");
    }

    @ParameterizedTest
    @ValueSource(strings = {"every 5 minutes", "61 * * * *", "0s", "* * *", "@often"})
    void badSchedules(String schedule) throws SQLException {
        createSourceIfAbsent("sched_src");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('sched_st', 'SELECT id FROM sched_src',"
                + " schedule => '" + schedule + "')", "22023");
        assertContains(message(e), "invalid schedule \"" + schedule + "\"");
        // The accepted forms: in the message, or for a well-formed but out-of-range duration in the hint.
        String shown = ScheduleValidationTest.shownText(e);
        for (String form : ScheduleValidationTest.FORMS) {
            assertContains(shown, form);
        }
        assertNoStreamTable("sched_st");
        assertNotCaptured("sched_src");
    }

    private void createSourceIfAbsent(String table) throws SQLException {
        db.execute("CREATE TABLE IF NOT EXISTS " + table + " (id int PRIMARY KEY, v int)");
    }

    @Test
    void badScheduleInAlterChangesNothing() throws SQLException {
        createSource("asched_src");
        db.execute("SELECT pgtrickle.create_stream_table('asched_st', 'SELECT id FROM asched_src', schedule => '5m')");
        PSQLException e = expectError("SELECT pgtrickle.alter_stream_table('asched_st', schedule => '5 minutes')",
                "22023");
        assertContains(message(e), "invalid schedule \"5 minutes\"", "30s", "*/5 * * * *", "@hourly", "calculated");
        assertEquals("5m", db.queryString("SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'asched_st'"));
    }

    @Test
    void unknownTier() throws SQLException {
        createSource("tier_src");
        createStreamTable("tier_st", "SELECT id FROM tier_src");
        PSQLException e = expectError("SELECT pgtrickle.alter_stream_table('tier_st', tier => 'lukewarm')", "22023");
        assertContains(message(e), "unknown tier \"lukewarm\"", "'hot'", "'warm'", "'cold'", "'frozen'");
        assertEquals("hot", db.queryString("SELECT tier FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'tier_st'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"PAUSED", "ERROR"})
    void unknownOrReservedStatus(String status) throws SQLException {
        createSourceIfAbsent("status_src");
        db.execute("SELECT pgtrickle.create_stream_table_if_not_exists('status_st', 'SELECT id FROM status_src')");
        PSQLException e = expectError(
                "SELECT pgtrickle.alter_stream_table('status_st', status => '" + status + "')", "22023");
        assertContains(message(e), "invalid status \"" + status + "\"", "'ACTIVE'", "'SUSPENDED'");
        assertEquals("ACTIVE",
                db.queryString("SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'status_st'"));
    }

    @Test
    void unknownCdcMode() throws SQLException {
        createSource("cdc_src");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('cdc_st', 'SELECT id FROM cdc_src',"
                + " cdc_mode => 'kafka')", "22023");
        assertContains(message(e), "unknown cdc_mode \"kafka\"", "'trigger'", "'wal'", "'auto'");
        assertNoStreamTable("cdc_st");
        assertNotCaptured("cdc_src");
    }

    @Test
    void cdcModeIsNormalizedAndSetCdcModeChecksItsInput() throws SQLException {
        createSource("wal_src");
        db.execute("SELECT pgtrickle.create_stream_table('wal_st', 'SELECT id FROM wal_src', cdc_mode => ' WAL ')");
        assertEquals("wal", db.queryString("SELECT cdc_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'wal_st'"));
        PSQLException bad = expectError("SELECT pgtrickle.set_cdc_mode('wal_src', 'kafka')", "22023");
        assertContains(message(bad), "unknown cdc mode \"kafka\"");
        PSQLException notASource = expectError("SELECT pgtrickle.set_cdc_mode('pg_class', 'wal')", "42704");
        assertContains(message(notASource), "is not a source of any stream table");
        db.execute("SELECT pgtrickle.drop_stream_table('wal_st')");
    }

    // ------------------------------------------------------------------------------------------
    // unknown stream tables

    @ParameterizedTest
    @ValueSource(strings = {"SELECT pgtrickle.refresh_stream_table('nope')",
        "SELECT pgtrickle.alter_stream_table('nope', schedule => '1m')",
        "SELECT pgtrickle.drop_stream_table('nope')",
        "SELECT pgtrickle.drop_stream_table('public.nope', cascade => true)"})
    void streamTableNotFound(String sql) throws SQLException {
        PSQLException e = expectError(sql, "42P01");
        assertContains(message(e), "stream table \"public.nope\" does not exist");
    }

    @Test
    void aPlainTableIsNotAStreamTable() throws SQLException {
        db.execute("CREATE TABLE just_a_table (x int)");
        PSQLException e = expectError("SELECT pgtrickle.refresh_stream_table('just_a_table')", "42P01");
        assertContains(message(e), "stream table \"public.just_a_table\" does not exist");
    }

    // ------------------------------------------------------------------------------------------
    // dependencies

    @Test
    void droppingASourceTableNamesTheStreamTable() throws SQLException {
        db.execute("CREATE TABLE orders (id int PRIMARY KEY, customer int, amount numeric);"
                + " INSERT INTO orders VALUES (1, 1, 10), (2, 1, 5), (3, 2, 7)");
        createStreamTable("order_totals", "SELECT customer, sum(amount) AS total FROM orders GROUP BY customer");
        PSQLException e = expectError("DROP TABLE orders", "2BP01");
        assertContains(e.getServerErrorMessage().getDetail(), "public.order_totals");
        assertEquals(3, db.queryLong("SELECT count(*) FROM orders"));
        Oracle.assertStreamTableMatchesQuery(db, "order_totals",
                "SELECT customer, sum(amount) AS total FROM orders GROUP BY customer");
    }

    @Test
    void droppingAColumnOfASourceTheStreamTableReadsFails() throws SQLException {
        createSource("col_src");
        createStreamTable("col_st", "SELECT id, v FROM col_src");
        PSQLException e = expectError("ALTER TABLE col_src DROP COLUMN v", "2BP01");
        assertContains(e.getServerErrorMessage().getDetail(), "public.col_st");
    }

    @Test
    void differentialWithAVolatileFunction() throws SQLException {
        createSource("vol_src");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('vol_st',"
                + " 'SELECT id, random() AS r FROM vol_src', refresh_mode => 'DIFFERENTIAL')", "0A000");
        assertContains(message(e), "stream table \"public.vol_st\" cannot be DIFFERENTIAL", "random()");
        assertNoStreamTable("vol_st");
        assertNotCaptured("vol_src");

        db.execute("SELECT pgtrickle.create_stream_table('vol_st', 'SELECT id, random() AS r FROM vol_src')");
        List<Map<String, Object>> status = db.queryList(
                "SELECT refresh_mode, effective_mode, mode_reason FROM pgtrickle.pgt_status() WHERE name = 'public.vol_st'");
        assertEquals(1, status.size());
        assertEquals("AUTO", status.get(0).get("refresh_mode"));
        assertEquals("FULL", status.get(0).get("effective_mode"));
        assertContains((String) status.get(0).get("mode_reason"), "random()");
        assertEquals(5, db.queryLong("SELECT count(*) FROM vol_st"));

        e = expectError("SELECT pgtrickle.alter_stream_table('vol_st', refresh_mode => 'DIFFERENTIAL')", "0A000");
        assertContains(message(e), "random()");
        assertEquals("AUTO", db.queryString("SELECT refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'vol_st'"));
    }

    @Test
    void droppingAStreamTableAnotherOneReads() throws SQLException {
        createSource("chain_src");
        createStreamTable("chain_up", "SELECT id, v FROM chain_src");
        createStreamTable("chain_down", "SELECT id FROM chain_up WHERE v > 20");
        PSQLException e = expectError("SELECT pgtrickle.drop_stream_table('chain_up')", "2BP01");
        assertContains(message(e), "cannot drop stream table \"public.chain_up\"", "public.chain_down");
        assertContains(e.getServerErrorMessage().getHint(), "cascade");
        assertEquals(2, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_name IN ('chain_up', 'chain_down')"));
        Oracle.assertStreamTableMatchesQuery(db, "chain_up", "SELECT id, v FROM chain_src");

        PSQLException plain = expectError("DROP TABLE chain_up", "2BP01");
        assertContains(plain.getServerErrorMessage().getDetail(), "public.chain_down");
    }

    @Test
    void aQueryChangeThatWouldCreateACycle() throws SQLException {
        createSource("cycle_src");
        createStreamTable("cycle_b", "SELECT id, v FROM cycle_src");
        createStreamTable("cycle_a", "SELECT id, v FROM cycle_b");
        PSQLException e = expectError(
                "SELECT pgtrickle.alter_stream_table('cycle_b', query => 'SELECT id, v FROM cycle_a')", "42P17");
        assertContains(message(e), "cycle", "public.cycle_a", "public.cycle_b");
        assertEquals("SELECT id, v FROM cycle_src", definingQuery("cycle_b"));
        Oracle.assertStreamTableMatchesQuery(db, "cycle_b", "SELECT id, v FROM cycle_src");

        e = expectError("SELECT pgtrickle.create_or_replace_stream_table('cycle_b', 'SELECT id, v FROM cycle_a')",
                "42P17");
        assertContains(message(e), "cycle");

        e = expectError("SELECT pgtrickle.alter_stream_table('cycle_a', query => 'SELECT id, v FROM cycle_a')",
                "42P17");
        assertContains(message(e), "cannot read itself");
        assertEquals("SELECT id, v FROM cycle_b", definingQuery("cycle_a"));
    }

    // ------------------------------------------------------------------------------------------
    // columns

    @Test
    void reservedColumnNames() throws SQLException {
        createSource("res_src");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('res_st',"
                + " 'SELECT id AS __pgt_id, v FROM res_src')", "42939");
        assertContains(message(e), "__pgt_", "reserved");
        assertNoStreamTable("res_st");
        assertNotCaptured("res_src");
    }

    @Test
    void zeroColumns() throws SQLException {
        createSource("zero_src");
        PSQLException e = expectError("SELECT pgtrickle.create_stream_table('zero_st', 'SELECT FROM zero_src')",
                "22023");
        assertContains(message(e), "at least one column");
        assertNoStreamTable("zero_st");
        assertNotCaptured("zero_src");
    }

    // ------------------------------------------------------------------------------------------
    // authorization

    @Test
    void aRoleThatCannotWriteTheStorageTableCannotManageIt() throws SQLException {
        createSource("auth_src");
        db.execute("SELECT pgtrickle.create_stream_table('auth_st', 'SELECT id, v FROM auth_src', schedule => '5m')");
        db.createRole(STRANGER, STRANGER_PASSWORD, "LOGIN", "NOSUPERUSER");
        db.execute("GRANT SELECT ON auth_st, auth_src TO " + STRANGER);
        long history = db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history");

        try (Connection stranger = db.connectAs(STRANGER, STRANGER_PASSWORD)) {
            for (String sql : List.of(
                    "SELECT pgtrickle.refresh_stream_table('auth_st')",
                    "SELECT pgtrickle.alter_stream_table('auth_st', schedule => '1m')",
                    "SELECT pgtrickle.alter_stream_table('auth_st', query => 'SELECT id FROM auth_src')",
                    "SELECT pgtrickle.create_or_replace_stream_table('auth_st', 'SELECT id FROM auth_src')",
                    "SELECT pgtrickle.record_refresh_failure('auth_st', 'forged')",
                    "SELECT pgtrickle.drop_stream_table('auth_st')")) {
                PSQLException e = expectError(stranger, sql, "42501");
                assertContains(message(e), "permission denied for stream table \"public.auth_st\"");
            }
            long id = db.queryLong("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'auth_st'");
            PSQLException e = expectError(stranger, "SELECT pgtrickle._complete_refresh(" + id
                    + ", pg_current_snapshot(), now(), 'FULL', 0, 0, now(), 'forged')", "42501");
            assertContains(message(e), "permission denied");
            // Reading is fine.
            try (Statement statement = stranger.createStatement()) {
                statement.executeQuery("SELECT * FROM auth_st").close();
            }
        }
        assertEquals(history, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history"));
        List<Map<String, Object>> row = db.queryList("SELECT schedule, defining_query, consecutive_errors"
                + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'auth_st'");
        assertEquals(List.of(Map.of("schedule", "5m", "defining_query", "SELECT id, v FROM auth_src",
                "consecutive_errors", 0)), row);
        Oracle.assertStreamTableMatchesQuery(db, "auth_st", "SELECT id, v FROM auth_src");
    }

    @Test
    void theInternalCompletionHelperRefusesCallersWithoutTheLockEvenTheOwner() throws SQLException {
        createSource("helper_src");
        createStreamTable("helper_st", "SELECT id FROM helper_src");
        long id = db.queryLong("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'helper_st'");
        String frontier = db.queryString("SELECT frontier::text FROM pgtrickle.pgt_stream_tables WHERE pgt_id = " + id);
        PSQLException e = expectError("SELECT pgtrickle._complete_refresh(" + id
                + ", pg_current_snapshot(), now(), 'FULL', 0, 0, now(), 'forged')", "42501");
        assertContains(message(e), "permission denied", "not locked by this session");
        assertEquals(frontier, db.queryString("SELECT frontier::text FROM pgtrickle.pgt_stream_tables WHERE pgt_id = " + id));
    }
}
