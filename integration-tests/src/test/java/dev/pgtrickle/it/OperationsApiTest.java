package dev.pgtrickle.it;

import static dev.pgtrickle.it.DifferentialRefreshTest.assertCorrect;
import static dev.pgtrickle.it.DifferentialRefreshTest.compile;
import static dev.pgtrickle.it.DifferentialRefreshTest.createCompiled;
import static dev.pgtrickle.it.DifferentialRefreshTest.refresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operations API (docs/sql-reference.md, "Operations"): definitions exported for backup,
 * the overview view, refresh efficiency and mode recommendations from the history — and the
 * reference documentation's monitoring checklist, run as written.
 */
@PostgresTest
class OperationsApiTest {

    private static final String TOTALS = "SELECT g, count(*) AS n, sum(v) AS s FROM ops_src GROUP BY g";
    private static final String ODD = "SELECT id, v FROM ops_src WHERE v % 2 = 1";

    private final TestDatabase db;

    OperationsApiTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        DifferentialRefreshTest.install(db);
        db.execute("CREATE TABLE ops_src (id int PRIMARY KEY, g int, v int)");
        db.execute("INSERT INTO ops_src SELECT i, i % 7, i FROM generate_series(1, 2000) i");
        db.execute("ANALYZE ops_src");
    }

    private Map<String, Map<String, Object>> byName(String query) throws SQLException {
        return db.queryList(query).stream().collect(Collectors.toMap(r -> (String) r.get("pgt_name"), Function.identity()));
    }

    private void changeAndRefresh(String name, int round) throws SQLException {
        db.execute("UPDATE ops_src SET v = v + 1 WHERE id % 97 = " + round);
        refresh(db, name);
    }

    @Test
    void exportedDefinitionsRecreateTheStreamTable() throws SQLException {
        db.execute("CREATE SCHEMA \"Ops Schema\"");
        String query = "SELECT id, v, 'it''s' AS note FROM ops_src WHERE v > 1990";
        db.execute("SELECT pgtrickle.create_stream_table('\"Ops Schema\".\"Odd Name\"', $q$" + query + "$q$,"
                + " schedule => '30s', refresh_mode => 'FULL', append_only => true)");
        db.execute("SELECT pgtrickle.alter_stream_table('\"Ops Schema\".\"Odd Name\"', tier => 'cold', status => 'SUSPENDED')");
        String exported = db.queryString("SELECT pgtrickle.export_definition('\"Ops Schema\".\"Odd Name\"')");
        assertTrue(exported.startsWith("SELECT pgtrickle.create_stream_table(name => '\"Ops Schema\".\"Odd Name\"'"),
                exported);
        String before = "SELECT pgt_schema, pgt_name, refresh_mode, schedule, tier, status, append_only, defining_query"
                + " FROM pgtrickle.stream_tables_info WHERE pgt_schema = 'Ops Schema'";
        List<Map<String, Object>> defined = db.queryList(before);

        db.execute("SELECT pgtrickle.drop_stream_table('\"Ops Schema\".\"Odd Name\"')");
        db.execute(exported);
        assertEquals(defined, db.queryList(before), "recreated as it was defined");
        assertEquals(0, db.queryLong("SELECT count(*) FROM ((SELECT * FROM \"Ops Schema\".\"Odd Name\" EXCEPT ALL " + query
                + ") UNION ALL (" + query + " EXCEPT ALL SELECT * FROM \"Ops Schema\".\"Odd Name\")) AS d"));

        SQLException unknown = assertThrows(SQLException.class,
                () -> db.execute("SELECT pgtrickle.export_definition('no_such_table')"));
        assertEquals("42P01", unknown.getSQLState(), unknown::getMessage);
        // (The checklist below builds names by concatenation, which needs no quoting.)
        db.execute("SELECT pgtrickle.drop_stream_table('\"Ops Schema\".\"Odd Name\"')");
    }

    @Test
    void efficiencyAndRecommendationsComeFromTheHistory() throws SQLException {
        createCompiled(db, "ops_totals", TOTALS, "AGGREGATE");
        for (int round = 1; round <= 5; round++) {
            changeAndRefresh("ops_totals", round);
        }
        db.execute("SELECT pgtrickle.alter_stream_table('ops_totals', refresh_mode => 'FULL')");
        changeAndRefresh("ops_totals", 6);
        db.execute("SELECT pgtrickle.alter_stream_table('ops_totals', refresh_mode => 'DIFFERENTIAL')");
        compile(db, "ops_totals");
        assertCorrect(db, "ops_totals", TOTALS);

        db.execute("SELECT pgtrickle.create_stream_table('ops_odd', $q$" + ODD + "$q$, refresh_mode => 'FULL')");
        for (int round = 7; round <= 10; round++) {
            changeAndRefresh("ops_odd", round);
        }
        db.execute("SELECT pgtrickle.create_stream_table('ops_young', $q$" + ODD + "$q$, refresh_mode => 'FULL')");
        // Differential refreshes against the first fills only, which wrote into an empty table.
        createCompiled(db, "ops_filled", "SELECT id, g FROM ops_src WHERE v > 1900", "KEYED");
        changeAndRefresh("ops_filled", 11);
        changeAndRefresh("ops_filled", 12);
        // A TopK ordered by a column it does not output is refused by the compiler: DIFFERENTIAL
        // cannot be honoured.
        db.execute("SELECT pgtrickle.create_stream_table('ops_top', 'SELECT id FROM ops_src ORDER BY v DESC LIMIT 3',"
                + " refresh_mode => 'DIFFERENTIAL')");
        compile(db, "ops_top");

        Map<String, Map<String, Object>> efficiency = byName("SELECT * FROM pgtrickle.refresh_efficiency()");
        Map<String, Object> totals = efficiency.get("public.ops_totals");
        assertEquals(5L, totals.get("differential_refreshes"), totals::toString);
        assertTrue((Long) totals.get("full_refreshes") >= 2, totals::toString);
        assertTrue(((BigDecimal) totals.get("diff_speedup")).signum() > 0, totals::toString);
        BigDecimal ratio = (BigDecimal) efficiency.get("public.ops_odd").get("avg_change_ratio");
        assertTrue(ratio.signum() > 0 && ratio.compareTo(new BigDecimal("0.05")) < 0, () -> "about 40 change rows a refresh, of 2,000: " + ratio);
        assertEquals(0L, efficiency.get("public.ops_young").get("differential_refreshes"));

        Map<String, Map<String, Object>> advice = byName("SELECT * FROM pgtrickle.recommend_refresh_mode()");
        assertEquals("AUTO", advice.get("public.ops_odd").get("recommended_mode"), advice.get("public.ops_odd")::toString);
        assertEquals("KEEP", advice.get("public.ops_young").get("recommended_mode"));
        assertEquals("low", advice.get("public.ops_young").get("confidence"));
        assertEquals("KEEP", advice.get("public.ops_filled").get("recommended_mode"));
        assertEquals("low", advice.get("public.ops_filled").get("confidence"));
        assertTrue(((String) advice.get("public.ops_filled").get("reason")).endsWith("(FULL measured at the first fill only)"),
                advice.get("public.ops_filled")::toString);
        assertEquals("AUTO", advice.get("public.ops_top").get("recommended_mode"));
        assertTrue(((String) advice.get("public.ops_top").get("reason")).contains("TopK"),
                advice.get("public.ops_top")::toString);
        String totalsAdvice = (String) advice.get("public.ops_totals").get("reason");
        assertTrue(totalsAdvice.startsWith("differential refreshes took "), totalsAdvice);

        Map<String, Map<String, Object>> info = byName("SELECT * FROM pgtrickle.stream_tables_info");
        assertEquals("ERROR", info.get("ops_top").get("status"), info.get("ops_top")::toString);
        assertTrue(((String) info.get("ops_top").get("last_error_message")).contains("TopK"));
        assertEquals("ACTIVE", info.get("ops_totals").get("status"));
    }

    /** The reference documentation's monitoring checklist, as written. */
    @Test
    void theMonitoringChecklistRunsAsWritten() throws SQLException {
        db.execute("SELECT pgtrickle.create_stream_table('ops_check', $q$" + ODD + "$q$)");
        for (String query : List.of(
                "SELECT pgt_name, refresh_mode, diff_speedup, avg_change_ratio FROM pgtrickle.refresh_efficiency()"
                        + " ORDER BY total_refreshes DESC",
                "SELECT pgt_name, current_mode, recommended_mode, reason FROM pgtrickle.recommend_refresh_mode()"
                        + " WHERE recommended_mode != 'KEEP'",
                "SELECT pgt_name, status, last_error_message FROM pgtrickle.stream_tables_info"
                        + " WHERE status IN ('ERROR', 'SUSPENDED')",
                "SELECT pgtrickle.export_definition(pgt_schema || '.' || pgt_name) FROM pgtrickle.pgt_stream_tables",
                "SELECT pgt_name, recommended_mode, confidence, reason FROM pgtrickle.recommend_refresh_mode()")) {
            db.queryList(query);
        }
        assertTrue(db.queryString("SELECT pgtrickle.export_definition(pgt_schema || '.' || pgt_name)"
                + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'ops_check'").contains("query => 'SELECT id, v"));
    }

    @Test
    void lineageMapsOutputColumnsToSourceColumns() throws SQLException {
        db.execute("CREATE TABLE ops_regions (id int PRIMARY KEY, label text)");
        createCompiled(db, "ops_lineage", "SELECT s.id, s.v * 2 AS doubled, r.label FROM ops_src s"
                + " JOIN ops_regions r ON r.id = s.g", "KEYED");
        assertEquals(List.of("id|public.ops_src|id", "doubled|public.ops_src|v", "label|public.ops_regions|label"),
                db.queryList("SELECT output_column, source_table, source_column FROM pgtrickle.stream_table_lineage('ops_lineage')")
                        .stream().map(r -> r.get("output_column") + "|" + r.get("source_table") + "|" + r.get("source_column"))
                        .toList());
        db.execute("SELECT pgtrickle.create_stream_table('ops_lineage_full', 'SELECT g, max(v) AS top FROM ops_src GROUP BY g',"
                + " refresh_mode => 'FULL')");
        assertEquals(List.of("null|public.ops_src|g", "null|public.ops_src|v"),
                db.queryList("SELECT output_column, source_table, source_column FROM pgtrickle.stream_table_lineage('ops_lineage_full')")
                        .stream().map(r -> r.get("output_column") + "|" + r.get("source_table") + "|" + r.get("source_column"))
                        .toList(), "without a plan: the columns the query reads");
    }
}
