package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.assertDifferential;
import static dev.pgtrickle.it.DifferentialRefreshTest.assertLastAction;
import static dev.pgtrickle.it.DifferentialRefreshTest.catalogRow;
import static dev.pgtrickle.it.DifferentialRefreshTest.createStreamTable;
import static dev.pgtrickle.it.DifferentialRefreshTest.hiddenColumns;
import static dev.pgtrickle.it.DifferentialRefreshTest.number;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static dev.pgtrickle.it.DifferentialRefreshTest.refreshDifferentially;
import static dev.pgtrickle.it.DifferentialRefreshTest.rows;
import static dev.pgtrickle.it.DifferentialRefreshTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code pgtrickle compile}, {@code create} (which compiles synchronously) and {@code explain},
 * run in-process against a real database: what they print, their exit codes, and the stream
 * tables they leave behind refreshing differentially.
 */
@PostgresTest
class CompileCliTest {


    private final TestDatabase db;

    CompileCliTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    private CliRun cli(String... args) {
        return CliRun.against(db, args);
    }

    private static void createSource(TestDatabase database, String table) throws SQLException {
        database.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, grp text, v int);"
                + " INSERT INTO " + table + " SELECT g, 'g' || (g % 3), g FROM generate_series(1, 12) g");
    }

    private static void change(TestDatabase database, String table) throws SQLException {
        database.execute("INSERT INTO " + table + " VALUES (100, 'g1', 5), (101, 'new', 7);"
                + " DELETE FROM " + table + " WHERE id = 2; UPDATE " + table + " SET grp = 'g0' WHERE id = 4");
    }

    /** A database of its own, for commands whose output lists every stream table. */
    private TestDatabase ownDatabase(String hint) throws SQLException {
        TestDatabase own = TestDatabase.create(db.server(), hint);
        try (Connection connection = own.connect()) {
            CatalogInstaller.install(connection);
        }
        return own;
    }

    // ------------------------------------------------------------------------------------------
    // compile --pending

    @Test
    void compilePendingCompilesEveryPendingStreamTableAndPrintsOneLineEach() throws SQLException {
        TestDatabase own = ownDatabase("cli_compile_pending");
        try {
            createSource(own, "cp_src");
            Map<String, String> queries = Map.of(
                    "cp_agg", "SELECT grp, count(*) AS n, sum(v) AS s FROM cp_src GROUP BY grp",
                    "cp_rows", "SELECT id, v * 2 AS w FROM cp_src WHERE v > 3",
                    "cp_having", "SELECT grp, count(*) AS n FROM cp_src GROUP BY grp HAVING count(*) > 3",
                    "cp_mode", "SELECT grp, mode() WITHIN GROUP (ORDER BY v) AS m FROM cp_src GROUP BY grp");
            for (String name : List.of("cp_agg", "cp_rows", "cp_having", "cp_mode")) {
                createStreamTable(own, name, queries.get(name));
            }
            rows(own, "SELECT 1 FROM pgtrickle.create_stream_table('cp_full', 'SELECT id FROM cp_src',"
                    + " refresh_mode => 'FULL')");

            CliRun run = CliRun.against(own, "compile", "--pending").expectExit(0);
            run.assertNoStackTrace();
            assertEquals(List.of(
                    "public.cp_agg: compiled (AGGREGATE)",
                    "public.cp_rows: compiled (KEYED)",
                    "public.cp_having: compiled (GROUP_RESCAN)",
                    "public.cp_mode: refreshed FULL, not differentiable: mode() WITHIN GROUP (ORDER BY v):"
                            + " ordered-set and hypothetical-set aggregates (WITHIN GROUP) are not supported yet"),
                    // PostgreSQL 15 prints the query's one table's columns qualified.
                    run.outLines().stream().map(line -> line.replace("(ORDER BY cp_src.v)", "(ORDER BY v)")).toList(),
                    run::toString);

            assertEquals("COMPILED", catalogRow(own, "cp_agg").get("compile_status"));
            assertEquals("UNSUPPORTED", catalogRow(own, "cp_mode").get("compile_status"));
            assertEquals("NOT_NEEDED", catalogRow(own, "cp_full").get("compile_status"));
            assertEquals(0, number(own, "SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE compile_status = 'PENDING'"));

            CliRun again = CliRun.against(own, "compile", "--pending").expectExit(0);
            assertEquals(List.of("no stream table is waiting for the compiler"), again.outLines(), again::toString);

            change(own, "cp_src");
            for (String name : List.of("cp_agg", "cp_rows", "cp_having")) {
                CliRun refreshed = CliRun.against(own, "refresh", name).expectExit(0);
                CliRun.assertContains(refreshed.out(), "refreshed");
                assertDifferential(own, name, queries.get(name));
            }
            refresh(own, "cp_mode");
            assertLastAction(own, "cp_mode", "FULL");
            assertCorrect(own, "cp_mode", queries.get("cp_mode"));
        } finally {
            own.drop();
        }
    }

    @Test
    void compilePendingReportsAStreamTableThatCannotBeCompiledAndGoesOn() throws SQLException {
        TestDatabase own = ownDatabase("cli_compile_pending_err");
        try {
            createSource(own, "ce_src");
            rows(own, "SELECT 1 FROM pgtrickle.create_stream_table('ce_bad', 'SELECT mode() WITHIN GROUP (ORDER BY v) AS m FROM ce_src',"
                    + " refresh_mode => 'DIFFERENTIAL')");
            createStreamTable(own, "ce_ok", "SELECT id, v FROM ce_src");

            CliRun run = CliRun.against(own, "compile", "--pending").expectExit(1);
            run.assertNoStackTrace();
            assertEquals(List.of("public.ce_ok: compiled (KEYED)"), run.outLines(), run::toString);
            CliRun.assertContains(run.err(), "error: public.ce_bad: ", "mode()", "1 of 2 stream tables could not be compiled");

            // The outcome is stored: what compile --pending reported is what the catalog says.
            assertEquals("UNSUPPORTED", catalogRow(own, "ce_bad").get("compile_status"));
            assertEquals("ERROR", value(own, "SELECT status FROM pgtrickle.pgt_status() WHERE name = 'public.ce_bad'"));
            assertEquals(List.of(), hiddenColumns(own, "ce_bad"));
            CliRun again = CliRun.against(own, "compile", "--pending").expectExit(0);
            assertEquals(List.of("no stream table is waiting for the compiler"), again.outLines(), again::toString);
            assertEquals("COMPILED", catalogRow(own, "ce_ok").get("compile_status"));
        } finally {
            own.drop();
        }
    }

    // ------------------------------------------------------------------------------------------
    // compile NAME, usage

    @Test
    void compileOfAnUnsupportedAutoStreamTableSaysItIsRefreshedFull() throws SQLException {
        createSource(db, "cu_src");
        String query = "SELECT a.id, b.v FROM cu_src a LEFT JOIN LATERAL (SELECT c.v FROM cu_src c WHERE c.id > a.id) b ON true";
        createStreamTable(db, "cu_st", query);

        CliRun run = cli("compile", "cu_st").expectExit(0);
        run.assertNoStackTrace();
        assertEquals(1, run.outLines().size(), run::toString);
        assertTrue(run.outLines().get(0).startsWith("public.cu_st: refreshed FULL, not differentiable: "), run::toString);
        CliRun.assertContains(run.out(), "LATERAL");

        assertEquals("FULL", catalogRow(db, "cu_st").get("effective_mode"));
        change(db, "cu_src");
        refresh(db, "cu_st");
        assertLastAction(db, "cu_st", "FULL");
        assertCorrect(db, "cu_st", query);
    }

    @Test
    void compileOfASupportedStreamTableRecomputesItAndMakesItDifferential() throws SQLException {
        createSource(db, "cn_src");
        String query = "SELECT grp, count(*) AS n, avg(v) AS a FROM cn_src GROUP BY grp";
        createStreamTable(db, "cn_st", query);
        db.execute("INSERT INTO cn_src VALUES (50, 'late', 1)");

        CliRun run = cli("compile", "cn_st").expectExit(0);
        assertEquals(List.of("public.cn_st: compiled (AGGREGATE)"), run.outLines(), run::toString);
        assertCorrect(db, "cn_st", query);
        change(db, "cn_src");
        refreshDifferentially(db, "cn_st", query);

        CliRun unknown = cli("compile", "cn_nope").expectExit(1);
        CliRun.assertContains(unknown.errLines().get(0), "error: ", "cn_nope", "does not exist");
        unknown.assertNoStackTrace();
    }

    @Test
    void compileWithNeitherNameNorPendingIsAUsageError() {
        CliRun neither = cli("compile").expectExit(2);
        CliRun.assertContains(neither.err(), "NAME", "--pending");
        neither.assertNoStackTrace();

        CliRun both = cli("compile", "x", "--pending").expectExit(2);
        CliRun.assertContains(both.err(), "NAME", "--pending");
        both.assertNoStackTrace();
    }

    // ------------------------------------------------------------------------------------------
    // create

    @Test
    void createWithRefreshModeDifferentialOfAnUnsupportedQueryFailsAndLeavesNothing() throws SQLException {
        db.execute("CREATE TABLE cd_src (id int PRIMARY KEY, x int); INSERT INTO cd_src VALUES (1, 1), (2, 5)");
        long streamTables = number(db, "SELECT count(*) FROM pgtrickle.pgt_stream_tables");
        long views = number(db, "SELECT count(*) FROM pg_views WHERE schemaname = 'pgtrickle'");

        CliRun run = cli("create", "--refresh-mode", "DIFFERENTIAL", "cd_max",
                "SELECT mode() WITHIN GROUP (ORDER BY x) FROM cd_src").expectExit(1);
        run.assertNoStackTrace();
        List<String> err = run.errLines();
        assertFalse(err.isEmpty(), run::toString);
        assertTrue(err.get(0).startsWith("error: "), run::toString);
        CliRun.assertContains(err.get(0), "mode()", "cannot be refreshed DIFFERENTIAL", "nothing was created",
                "--refresh-mode AUTO");
        assertFalse(run.out().contains("created"), run::toString);

        assertNull(value(db, "SELECT to_regclass('public.cd_max')::text"), "no storage table");
        assertEquals(streamTables, number(db, "SELECT count(*) FROM pgtrickle.pgt_stream_tables"), "no catalog row");
        assertEquals(views, number(db, "SELECT count(*) FROM pg_views WHERE schemaname = 'pgtrickle'"),
                "no definition view");
        assertEquals(0, number(db, "SELECT count(*) FROM pgtrickle.pgt_change_sources WHERE source_name = 'cd_src'"),
                "no change capture");
        assertEquals(0, number(db, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'cd_src'::regclass"),
                "no capture triggers");
    }

    static Stream<Arguments> createOutcomes() {
        return Stream.of(
                Arguments.of("cr_agg", "SELECT grp, count(*) AS n, sum(v) AS s FROM %s GROUP BY grp", new String[0],
                        "compiled (AGGREGATE)"),
                Arguments.of("cr_rows", "SELECT id, v + 1 AS w FROM %s WHERE v %% 2 = 0", new String[0],
                        "compiled (KEYED)"),
                Arguments.of("cr_distinct", "SELECT DISTINCT grp FROM %s", new String[0], "compiled (AGGREGATE)"),
                Arguments.of("cr_having", "SELECT grp, sum(v) AS s FROM %s GROUP BY grp HAVING sum(v) > 10", new String[0],
                        "compiled (GROUP_RESCAN)"),
                Arguments.of("cr_full", "SELECT grp, count(*) AS n FROM %s GROUP BY grp",
                        new String[] {"--refresh-mode", "FULL"}, "nothing to compile"),
                Arguments.of("cr_min", "SELECT grp, min(v) AS lo FROM %s GROUP BY grp", new String[0],
                        "compiled (AGGREGATE)"),
                Arguments.of("cr_mode", "SELECT grp, mode() WITHIN GROUP (ORDER BY v) AS m FROM %s GROUP BY grp",
                        new String[0], "refreshed FULL, not differentiable: mode()"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("createOutcomes")
    void createCompilesSynchronouslyAndPrintsTheOutcome(String name, String template, String[] options, String outcome)
            throws SQLException {
        String source = name + "_src";
        createSource(db, source);
        String query = String.format(template, source);
        String[] args = Stream.concat(Stream.concat(Stream.of("create"), Arrays.stream(options)),
                Stream.of(name, query)).toArray(String[]::new);

        CliRun run = cli(args).expectExit(0);
        run.assertNoStackTrace();
        List<String> lines = run.outLines();
        assertEquals(2, lines.size(), run::toString);
        assertEquals("stream table " + name + " created", lines.get(0), run::toString);
        assertTrue(lines.get(1).startsWith("public." + name + ": " + outcome), run::toString);
        assertCorrect(db, name, query);

        change(db, source);
        refresh(db, name);
        String expected = outcome.startsWith("compiled") ? "DIFFERENTIAL" : "FULL";
        assertLastAction(db, name, expected);
        assertCorrect(db, name, query);
    }

    // ------------------------------------------------------------------------------------------
    // explain

    @Test
    void explainPrintsTheOperatorsAndTheRefreshSql() throws SQLException {
        createSource(db, "ex_src");
        db.execute("CREATE TABLE ex_dim (grp text PRIMARY KEY, label text);"
                + " INSERT INTO ex_dim VALUES ('g0', 'zero'), ('g1', 'one')");
        String query = "SELECT d.label, count(*) AS n, sum(s.v) AS total FROM ex_src s JOIN ex_dim d ON d.grp = s.grp"
                + " WHERE s.v > 1 GROUP BY d.label";
        cli("create", "ex_st", query).expectExit(0);

        CliRun run = cli("explain", "ex_st").expectExit(0);
        run.assertNoStackTrace();
        List<String> lines = run.outLines();
        assertEquals("stream table public.ex_st", lines.get(0), run::toString);
        CliRun.assertContains(run.out(), "refresh mode: AUTO, refreshed DIFFERENTIAL", "compile status: COMPILED",
                "strategy: AGGREGATE", "operators:", "Aggregate GROUP BY d.label", "Inner join ON",
                "Scan table public.ex_src AS s", "Scan table public.ex_dim AS d", "-> algebraic",
                "hidden columns: __pgt_row_id, __pgt_count", "populate SQL:", "refresh SQL ($1 = previous frontier):",
                "MERGE INTO \"__pgt_storage__\"");
        // The operator tree is indented by depth: the scans below the join, below the aggregate.
        int aggregate = indexOf(lines, "Aggregate GROUP BY");
        int join = indexOf(lines, "Inner join ON");
        int scan = indexOf(lines, "Scan table public.ex_src");
        assertTrue(aggregate < join && join < scan, run::toString);
        assertTrue(indent(lines.get(aggregate)) < indent(lines.get(join))
                && indent(lines.get(join)) < indent(lines.get(scan)), run::toString);

        CliRun unknown = cli("explain", "ex_nope").expectExit(1);
        CliRun.assertContains(unknown.errLines().get(0), "error: ", "ex_nope", "does not exist");
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        throw new AssertionError("no line containing '" + part + "' in:\n" + String.join("\n", lines));
    }

    private static int indent(String line) {
        return line.length() - line.stripLeading().length();
    }
}
