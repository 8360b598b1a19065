package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.assertHiddenMultiplicities;
import static dev.pgtrickle.it.DifferentialRefreshTest.assertLastAction;
import static dev.pgtrickle.it.DifferentialRefreshTest.catalogRow;
import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.createStreamTable;
import static dev.pgtrickle.it.DifferentialRefreshTest.dump;
import static dev.pgtrickle.it.DifferentialRefreshTest.hiddenColumns;
import static dev.pgtrickle.it.DifferentialRefreshTest.lastRefresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.number;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refreshDifferentially;
import static dev.pgtrickle.it.DifferentialRefreshTest.rows;
import static dev.pgtrickle.it.DifferentialRefreshTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How the refresh mode is chosen: AUTO falls back to FULL (with a readable reason) for what the
 * compiler cannot differentiate, DIFFERENTIAL refuses it, FULL never needs a plan; mode and query
 * changes keep the plan and the hidden columns consistent; the plan lives in the catalog and is
 * explained; stream tables created through SQL wait for the compiler.
 */
@PostgresTest
class DifferentialModesTest {

    private final TestDatabase db;

    DifferentialModesTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    private void createSource(String table) throws SQLException {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, k int, v int);"
                + " CREATE TABLE " + table + "_b (id int PRIMARY KEY, k int, w int);"
                + " INSERT INTO " + table + " SELECT g, g % 3, g FROM generate_series(1, 12) g;"
                + " INSERT INTO " + table + "_b SELECT g, g % 2, g * 10 FROM generate_series(1, 4) g");
    }

    /** Some changes to the sources made by {@link #createSource}. */
    private void change(String table, int round) throws SQLException {
        int id = 100 + round * 10;
        db.execute("INSERT INTO " + table + " VALUES (" + id + ", 1, " + id + "), (" + (id + 1) + ", 5, " + (id + 1) + ");"
                + " DELETE FROM " + table + " WHERE id = " + (round + 1) + ";"
                + " UPDATE " + table + " SET v = v + 1000 WHERE id = " + (round + 5) + ";"
                + " INSERT INTO " + table + "_b VALUES (" + id + ", " + (round % 3) + ", " + id + ")");
    }

    private List<String> explain(String name) throws SQLException {
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> row : rows(db, "SELECT * FROM pgtrickle.explain_stream_table(?) AS line", name)) {
            lines.add((String) row.get("line"));
        }
        return lines;
    }

    private Map<String, Object> status(String qualifiedName) throws SQLException {
        List<Map<String, Object>> found = rows(db, "SELECT * FROM pgtrickle.pgt_status() WHERE name = ?", qualifiedName);
        assertEquals(1, found.size(), () -> "status of " + qualifiedName + ": " + found);
        return found.get(0);
    }

    private static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text != null && text.contains(part), () -> "expected '" + part + "' in:\n" + text);
        }
    }

    private static void assertAnyLineContains(List<String> lines, String part) {
        assertTrue(lines.stream().anyMatch(line -> line.contains(part)),
                () -> "expected a line containing '" + part + "' in:\n" + String.join("\n", lines));
    }

    // ------------------------------------------------------------------------------------------
    // unsupported constructs

    /** The constructs as PostgreSQL 15 to 18 print them (before 16, columns come qualified). */
    static Stream<Arguments> unsupportedConstructs() {
        return Stream.of(
                Arguments.of("correlated_inequality", "SELECT a.id FROM %1$s a WHERE a.v > (SELECT avg(b.w) FROM %1$s_b b"
                        + " WHERE b.k < a.k)", "by equality"),
                Arguments.of("ordered_set", "SELECT k, mode() WITHIN GROUP (ORDER BY v) AS m FROM %1$s GROUP BY k",
                        "mode() WITHIN GROUP"),
                Arguments.of("top_k", "SELECT s.id FROM (SELECT id FROM %1$s ORDER BY v DESC LIMIT 3) s", "LIMIT 3"),
                Arguments.of("window", "SELECT s.id FROM (SELECT id, sum(v) OVER (PARTITION BY k) AS s FROM %1$s) s",
                        "OVER (PARTITION BY"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupportedConstructs")
    void autoFallsBackToFullWithTheConstructAsReason(String tag, String template, String construct) throws SQLException {
        String source = "au_" + tag;
        String name = source + "_st";
        createSource(source);
        String query = String.format(template, source);
        createStreamTable(db, name, query);

        CompileResult result = compile(db, name);
        assertEquals(CompileResult.Outcome.UNSUPPORTED, result.outcome(), result::describe);
        assertContains(result.detail(), construct);
        assertContains(result.describe(), "refreshed FULL, not differentiable: ", construct);

        Map<String, Object> status = status("public." + name);
        assertEquals("AUTO", status.get("refresh_mode"));
        assertEquals("FULL", status.get("effective_mode"));
        assertContains((String) status.get("mode_reason"), "not differentiable", construct);
        Map<String, Object> entry = catalogRow(db, name);
        assertEquals("UNSUPPORTED", entry.get("compile_status"));
        assertEquals(Boolean.FALSE, entry.get("has_plan"));
        assertContains((String) entry.get("compile_error"), construct);
        assertEquals(List.of(), hiddenColumns(db, name), "no hidden columns without a plan");

        List<String> explained = explain(name);
        assertAnyLineContains(explained, "refreshed FULL");
        assertTrue(explained.stream().noneMatch(line -> line.indexOf("refreshed FULL") != line.lastIndexOf("refreshed FULL")),
                () -> "said once:\n" + String.join("\n", explained));
        assertAnyLineContains(explained, construct);
        assertAnyLineContains(explained, "compile status: UNSUPPORTED");

        for (int round = 0; round < 2; round++) {
            change(source, round);
            refresh(db, name);
            assertLastAction(db, name, "FULL");
            assertCorrect(db, name, query);
        }
    }

    /**
     * An explicit DIFFERENTIAL the compiler cannot honour is an error state the user sees, never a
     * quiet FULL refresh: the outcome is stored, the status is ERROR with the reason, health_check
     * reports it, a refresh refuses, and asking for AUTO resolves it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupportedConstructs")
    void differentialModeWithAnUnsupportedConstructPutsTheStreamTableInError(String tag, String template,
                                                                            String construct)
            throws SQLException {
        String source = "du_" + tag;
        String name = source + "_st";
        createSource(source);
        String query = String.format(template, source);
        rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?, refresh_mode => 'DIFFERENTIAL')", name, query);
        Map<String, Object> before = catalogRow(db, name);
        assertEquals("PENDING", before.get("compile_status"), "waits for the compiler like any other");
        List<String> contents = dump(db, name);

        CompileResult result = compile(db, name);
        assertEquals(CompileResult.Outcome.REFUSED, result.outcome(), result::describe);
        assertContains(result.describe(), "cannot be refreshed DIFFERENTIAL", construct);

        Map<String, Object> entry = catalogRow(db, name);
        assertEquals("UNSUPPORTED", entry.get("compile_status"), entry::toString);
        assertContains((String) entry.get("compile_error"), construct);
        assertEquals(Boolean.FALSE, entry.get("has_plan"));
        Map<String, Object> status = status("public." + name);
        assertEquals("ERROR", status.get("status"));
        assertContains((String) status.get("last_error"), "cannot be refreshed DIFFERENTIAL", construct);
        assertEquals(contents, dump(db, name), "contents unchanged");
        assertEquals(List.of(), hiddenColumns(db, name));
        assertEquals(1L, number(db, "SELECT count(*) FROM pgtrickle.health_check() WHERE check_name = 'stream_table_errors'"
                + " AND severity = 'ERROR' AND detail LIKE ?", "%" + name + "%cannot be refreshed DIFFERENTIAL%"));
        assertAnyLineContains(explain(name), "status: ERROR");

        change(source, 0);
        SQLException refused = assertThrows(SQLException.class, () -> refresh(db, name));
        assertEquals("0A000", refused.getSQLState(), refused::getMessage);
        assertContains(refused.getMessage(), "cannot be refreshed DIFFERENTIAL", construct);

        rows(db, "SELECT 1 FROM pgtrickle.alter_stream_table(?, refresh_mode => 'AUTO')", name);
        status = status("public." + name);
        assertEquals("ACTIVE", status.get("status"), status::toString);
        assertNull(status.get("last_error"), status::toString);
        assertEquals("FULL", status.get("effective_mode"));
        assertContains((String) status.get("mode_reason"), "not differentiable", construct);
        refresh(db, name);
        assertLastAction(db, name, "FULL");
        assertCorrect(db, name, query);

        // The same query under AUTO, then asked to become DIFFERENTIAL: refused, nothing changed.
        String auto = source + "_auto";
        createStreamTable(db, auto, query);
        assertEquals(CompileResult.Outcome.UNSUPPORTED, compile(db, auto).outcome());
        Map<String, Object> autoBefore = catalogRow(db, auto);
        SQLException altered = assertThrows(SQLException.class, () -> rows(db,
                "SELECT 1 FROM pgtrickle.alter_stream_table(?, refresh_mode => 'DIFFERENTIAL')", auto));
        assertEquals("0A000", altered.getSQLState(), altered::getMessage);
        assertContains(altered.getMessage(), construct);
        assertEquals(autoBefore, catalogRow(db, auto));
        assertEquals("AUTO", value(db, "SELECT refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", auto));
    }

    // ------------------------------------------------------------------------------------------
    // FULL and volatile functions

    @Test
    void fullModeNeedsNoPlanAndAlwaysRefreshesFull() throws SQLException {
        createSource("fm");
        Map<String, String> queries = Map.of(
                "fm_agg", "SELECT k, count(*) AS n, sum(v) AS s FROM fm GROUP BY k",
                "fm_min", "SELECT k, min(v) AS lo FROM fm GROUP BY k");
        for (Map.Entry<String, String> entry : queries.entrySet()) {
            rows(db, "SELECT 1 FROM pgtrickle.create_stream_table(?, ?, refresh_mode => 'FULL')",
                    entry.getKey(), entry.getValue());
            CompileResult result = compile(db, entry.getKey());
            assertEquals(CompileResult.Outcome.NOT_NEEDED, result.outcome(), result::describe);
            assertContains(result.describe(), "nothing to compile");
            Map<String, Object> row = catalogRow(db, entry.getKey());
            assertEquals("NOT_NEEDED", row.get("compile_status"), row::toString);
            assertEquals("FULL", row.get("effective_mode"), row::toString);
            assertEquals(Boolean.FALSE, row.get("has_plan"), row::toString);
            assertEquals(List.of(), hiddenColumns(db, entry.getKey()));
        }
        for (int round = 0; round < 2; round++) {
            change("fm", round);
            for (Map.Entry<String, String> entry : queries.entrySet()) {
                refresh(db, entry.getKey());
                assertLastAction(db, entry.getKey(), "FULL");
                assertCorrect(db, entry.getKey(), entry.getValue());
            }
        }
    }

    @Test
    void volatileFunctionsUnderAutoAreRefreshedFullAndNotCompiled() throws SQLException {
        createSource("vf");
        db.execute("CREATE FUNCTION vf_twice(x int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT x * 2'");
        // Volatile, yet with a deterministic result, so the oracle can judge the contents.
        Map<String, String[]> cases = Map.of(
                "vf_user", new String[] {"SELECT id, vf_twice(v) AS w FROM vf", "vf_twice"},
                "vf_builtin", new String[] {"SELECT k, count(*) AS n FROM vf WHERE random() >= 0 GROUP BY k", "random()"});
        int round = 0;
        for (Map.Entry<String, String[]> entry : cases.entrySet()) {
            String name = entry.getKey();
            String query = entry.getValue()[0];
            createStreamTable(db, name, query);
            Map<String, Object> status = status("public." + name);
            assertEquals("FULL", status.get("effective_mode"));
            assertContains((String) status.get("mode_reason"), "volatile function", entry.getValue()[1]);

            CompileResult result = compile(db, name);
            assertEquals(CompileResult.Outcome.NOT_NEEDED, result.outcome(), result::describe);
            assertEquals("NOT_NEEDED", catalogRow(db, name).get("compile_status"));
            assertEquals(Boolean.FALSE, catalogRow(db, name).get("has_plan"));
            assertEquals(List.of(), hiddenColumns(db, name));
            assertAnyLineContains(explain(name), "volatile function");

            change("vf", round++);
            refresh(db, name);
            assertLastAction(db, name, "FULL");
            assertCorrect(db, name, query);
        }

        SQLException refused = assertThrows(SQLException.class, () -> rows(db,
                "SELECT 1 FROM pgtrickle.create_stream_table('vf_diff', 'SELECT id, vf_twice(v) AS w FROM vf',"
                        + " refresh_mode => 'DIFFERENTIAL')"));
        assertEquals("0A000", refused.getSQLState(), refused::getMessage);
        assertContains(refused.getMessage(), "vf_twice");
        assertNull(value(db, "SELECT to_regclass('vf_diff')::text"), "nothing created");
    }

    // ------------------------------------------------------------------------------------------
    // mode and query changes

    @Test
    void switchingACompiledTableToFullAndBackKeepsDifferentialWorking() throws SQLException {
        createSource("sw");
        Map<String, String> queries = Map.of(
                "sw_rows", "SELECT a.id, a.v + b.w AS s FROM sw a JOIN sw_b b ON a.k = b.k",
                "sw_agg", "SELECT k, count(*) AS n, sum(v) AS s, avg(v) AS a FROM sw GROUP BY k",
                "sw_dst", "SELECT DISTINCT k FROM sw");
        for (Map.Entry<String, String> entry : queries.entrySet()) {
            createCompiled(db, entry.getKey(), entry.getValue(),
                    entry.getKey().equals("sw_rows") ? "CONTENT" : "AGGREGATE");
            rows(db, "SELECT 1 FROM pgtrickle.alter_stream_table(?, refresh_mode => 'FULL')", entry.getKey());
            Map<String, Object> row = catalogRow(db, entry.getKey());
            assertEquals("FULL", row.get("effective_mode"), row::toString);
            assertEquals("FULL", row.get("refresh_mode"), row::toString);
        }

        // FULL refreshes keep the hidden columns right (they run the plan's populate query).
        change("sw", 0);
        for (Map.Entry<String, String> entry : queries.entrySet()) {
            refresh(db, entry.getKey());
            assertLastAction(db, entry.getKey(), "FULL");
            assertCorrect(db, entry.getKey(), entry.getValue());
            assertFalse(hiddenColumns(db, entry.getKey()).isEmpty(), "hidden columns kept under FULL");
        }

        // Changes made under FULL but not yet refreshed, then back to AUTO: applied differentially.
        change("sw", 1);
        for (Map.Entry<String, String> entry : queries.entrySet()) {
            rows(db, "SELECT 1 FROM pgtrickle.alter_stream_table(?, refresh_mode => 'AUTO')", entry.getKey());
            Map<String, Object> row = catalogRow(db, entry.getKey());
            assertEquals("DIFFERENTIAL", row.get("effective_mode"), row::toString);
            assertEquals("COMPILED", row.get("compile_status"), row::toString);
            refreshDifferentially(db, entry.getKey(), entry.getValue());
        }
        change("sw", 2);
        for (Map.Entry<String, String> entry : queries.entrySet()) {
            refreshDifferentially(db, entry.getKey(), entry.getValue());
        }
    }

    @Test
    void aNewQueryThroughAlterDropsThePlanUntilCompiledAgain() throws SQLException {
        newQueryDropsThePlan("aq", (name, query) -> rows(db,
                "SELECT 1 FROM pgtrickle.alter_stream_table(?, query => ?)", name, query));
    }

    @Test
    void aNewQueryThroughCreateOrReplaceDropsThePlanUntilCompiledAgain() throws SQLException {
        newQueryDropsThePlan("rq", (name, query) -> rows(db,
                "SELECT 1 FROM pgtrickle.create_or_replace_stream_table(?, ?)", name, query));
    }

    private interface Replace {
        void replace(String name, String query) throws SQLException;
    }

    private void newQueryDropsThePlan(String source, Replace how) throws SQLException {
        createSource(source);
        String name = source + "_st";
        String first = "SELECT k, count(*) AS n, sum(v) AS s FROM " + source + " GROUP BY k";
        String second = "SELECT a.id, a.v, b.w FROM " + source + " a JOIN " + source + "_b b ON a.k = b.k WHERE a.v > 2";
        createCompiled(db, name, first, "AGGREGATE");
        change(source, 0);
        refreshDifferentially(db, name, first);

        how.replace(name, second);
        Map<String, Object> row = catalogRow(db, name);
        assertEquals("PENDING", row.get("compile_status"), row::toString);
        assertEquals("FULL", row.get("effective_mode"), row::toString);
        assertEquals(Boolean.FALSE, row.get("has_plan"), row::toString);
        assertContains((String) row.get("mode_reason"), "waiting for the differential compiler");
        assertEquals(List.of(), hiddenColumns(db, name), "the old plan's hidden columns are gone");
        Oracle.assertStreamTableMatchesQuery(db, name, second);

        change(source, 1);
        refresh(db, name);
        assertLastAction(db, name, "FULL");
        Oracle.assertStreamTableMatchesQuery(db, name, second);

        CompileResult compiled = compile(db, name);
        assertEquals(CompileResult.Outcome.COMPILED, compiled.outcome(), compiled::describe);
        assertEquals("CONTENT", compiled.detail());
        assertEquals("DIFFERENTIAL", catalogRow(db, name).get("effective_mode"));
        assertCorrect(db, name, second);
        change(source, 2);
        refreshDifferentially(db, name, second);
    }

    // ------------------------------------------------------------------------------------------
    // the plan in the catalog, explain

    @Test
    void thePlanIsStoredInTheCatalogAndExplained() throws SQLException {
        createSource("pe");
        String grouped = "SELECT k, count(*) AS n, sum(v) AS s, avg(v) AS a FROM pe WHERE v > 1 GROUP BY k";
        createCompiled(db, "pe_agg", grouped, "AGGREGATE");

        Map<String, Object> plan = rows(db, "SELECT plan ->> 'strategy' AS strategy, plan ->> 'refresh' AS refresh,"
                + " plan ->> 'populate' AS populate, plan -> 'hidden_columns' AS hidden,"
                + " plan ->> 'normalized_query' = normalized_query AS same_query,"
                + " jsonb_typeof(plan -> 'hidden_columns') AS hidden_type,"
                + " (SELECT array_agg(c ORDER BY o) FROM jsonb_array_elements_text(plan -> 'hidden_columns')"
                + "   WITH ORDINALITY AS h(c, o))::text AS hidden_list"
                + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'pe_agg'").get(0);
        assertEquals("AGGREGATE", plan.get("strategy"));
        assertContains((String) plan.get("refresh"), "MERGE INTO \"__pgt_storage__\"", "pgtrickle_changes.");
        assertContains((String) plan.get("populate"), "GROUP BY");
        assertEquals(Boolean.TRUE, plan.get("same_query"), "compiled from the catalog's normalized query");
        assertEquals("array", plan.get("hidden_type"));
        assertEquals("{" + String.join(",", hiddenColumns(db, "pe_agg")) + "}", plan.get("hidden_list"),
                "the storage table's hidden columns are the plan's");
        assertTrue(hiddenColumns(db, "pe_agg").containsAll(List.of("__pgt_row_id", "__pgt_count")));

        List<String> lines = explain("pe_agg");
        assertEquals("stream table public.pe_agg", lines.get(0));
        assertAnyLineContains(lines, "refreshed DIFFERENTIAL");
        assertAnyLineContains(lines, "compile status: COMPILED");
        assertAnyLineContains(lines, "strategy: AGGREGATE");
        assertAnyLineContains(lines, "operators:");
        assertAnyLineContains(lines, "Aggregate GROUP BY ");
        assertAnyLineContains(lines, "Filter (");
        assertAnyLineContains(lines, "Scan table public.pe AS pe");
        assertAnyLineContains(lines, "-> algebraic");
        assertAnyLineContains(lines, "hidden columns: __pgt_row_id, __pgt_count");
        assertAnyLineContains(lines, "row identity: __pgt_row_id");
        assertAnyLineContains(lines, "populate SQL:");
        assertAnyLineContains(lines, "refresh SQL");
        assertAnyLineContains(lines, "MERGE INTO \"__pgt_storage__\"");

        String joined = "SELECT a.id, b.w FROM pe a JOIN pe_b b ON a.k = b.k";
        createCompiled(db, "pe_join", joined, "CONTENT");
        List<String> joinLines = explain("pe_join");
        assertAnyLineContains(joinLines, "strategy: CONTENT");
        assertAnyLineContains(joinLines, "Inner join ON");
        assertAnyLineContains(joinLines, "ΔL⋈R + L⋈ΔR − ΔL⋈ΔR");
        assertAnyLineContains(joinLines, "Scan table public.pe_b AS b");
        assertAnyLineContains(joinLines, "hidden columns: __pgt_row_id, __pgt_dup");
        assertEquals("CONTENT", value(db, "SELECT plan ->> 'strategy' FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'pe_join'"));
    }

    // ------------------------------------------------------------------------------------------
    // adoption of stream tables created through SQL

    @Test
    void streamTablesCreatedThroughSqlArePendingUntilTheCompilerAdoptsThem() throws SQLException {
        // A database of its own: pending() lists every pending stream table of the database.
        TestDatabase own = TestDatabase.create(db.server(), "modes_pending");
        try {
            try (Connection connection = own.connect()) {
                CatalogInstaller.install(connection);
            }
            own.execute("CREATE TABLE pd_src (id int PRIMARY KEY, k int, v int);"
                    + " INSERT INTO pd_src SELECT g, g % 3, g FROM generate_series(1, 9) g");
            Map<String, String> queries = Map.of(
                    "pd_rows", "SELECT id, v * 2 AS w FROM pd_src WHERE v > 2",
                    "pd_agg", "SELECT k, count(*) AS n, sum(v) AS s FROM pd_src GROUP BY k");
            for (Map.Entry<String, String> entry : queries.entrySet()) {
                createStreamTable(own, entry.getKey(), entry.getValue());
                Map<String, Object> row = catalogRow(own, entry.getKey());
                assertEquals("PENDING", row.get("compile_status"), row::toString);
                assertEquals("FULL", row.get("effective_mode"), row::toString);
                assertContains((String) row.get("mode_reason"), "waiting for the differential compiler");
                assertEquals(List.of(), hiddenColumns(own, entry.getKey()));
            }
            // Written after the creation, not refreshed: the compiler recomputes the contents.
            own.execute("INSERT INTO pd_src VALUES (10, 1, 10); DELETE FROM pd_src WHERE id = 3");
            refresh(own, "pd_rows");
            assertLastAction(own, "pd_rows", "FULL");
            own.execute("UPDATE pd_src SET v = 0 WHERE id = 4");

            try (Connection connection = own.connect()) {
                connection.setAutoCommit(false);
                StreamTableCompiler compiler = new StreamTableCompiler(connection);
                List<String> pending = compiler.pending();
                assertEquals(List.of("public.pd_rows", "public.pd_agg").stream().sorted().toList(),
                        pending.stream().sorted().toList());
                for (String name : pending) {
                    CompileResult result = compiler.compile(name);
                    assertEquals(CompileResult.Outcome.COMPILED, result.outcome(), result::describe);
                }
                connection.commit();
                assertEquals(List.of(), compiler.pending(), "nothing pending any more");
            }
            for (Map.Entry<String, String> entry : queries.entrySet()) {
                String name = entry.getKey();
                Map<String, Object> row = catalogRow(own, name);
                assertEquals("COMPILED", row.get("compile_status"), row::toString);
                assertEquals("DIFFERENTIAL", row.get("effective_mode"), row::toString);
                assertNull(row.get("mode_reason"), row::toString);
                assertTrue(hiddenColumns(own, name).contains("__pgt_row_id"), "hidden columns added to " + name);
                Map<String, Object> last = lastRefresh(own, name);
                assertEquals("FULL", last.get("action"), last::toString);
                assertEquals("COMPILE", last.get("initiated_by"), last::toString);
                assertCorrect(own, name, entry.getValue());
            }

            own.execute("INSERT INTO pd_src VALUES (11, 2, 11); UPDATE pd_src SET k = 0 WHERE id = 5");
            for (Map.Entry<String, String> entry : queries.entrySet()) {
                refreshDifferentially(own, entry.getKey(), entry.getValue());
                assertHiddenMultiplicities(own, entry.getKey());
            }
        } finally {
            own.drop();
        }
    }
}
