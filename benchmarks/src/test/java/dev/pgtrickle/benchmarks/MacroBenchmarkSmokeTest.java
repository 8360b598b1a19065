package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the whole macro benchmark end to end at a tiny scale (2,000 orders) on the tests'
 * PostgreSQL. It proves the benchmark works and that the stream tables equal their queries after
 * the measured refreshes; it asserts nothing about timings.
 */
@PostgresTest
class MacroBenchmarkSmokeTest {

    @Test
    void runsEndToEndAndStreamTablesMatchTheirQueries(TestDatabase database, @TempDir Path dir) throws Exception {
        Path explain = dir.resolve("explain.md");
        BenchmarkOptions options = new BenchmarkOptions(0.002, 2, 1, 3, 1, 20, true, 7, null, explain, null, false, java.util.Map.of(),
                true);

        MacroBenchmark.Result result = new MacroBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        try (Db db = Db.connect(database.jdbcUrl())) {
            for (Scenario scenario : Scenario.ALL) {
                assertEquals(0, Oracle.differences(db, scenario.differentialTable(), scenario.query()),
                        scenario.differentialTable() + " vs. its query");
                assertEquals(0, Oracle.differences(db, scenario.fullTable(), scenario.query()),
                        scenario.fullTable() + " vs. its query");
                assertEquals(0, Oracle.differences(db, scenario.materializedView(), scenario.query()),
                        scenario.materializedView() + " vs. its query");
                assertEquals(0, Oracle.differences(db, scenario.autoTable(), scenario.query()),
                        scenario.autoTable() + " vs. its query");
                assertEquals("DIFFERENTIAL", db.queryString("SELECT effective_mode FROM pgtrickle.pgt_stream_tables"
                        + " WHERE pgt_name = '" + scenario.differentialTable() + "'"));
            }
        }
        result.refresh().oracleDifferences().forEach((relation, differences) ->
                assertEquals(0L, differences, relation + " differed from its query during the run"));
        assertEquals(List.of(0.001, 0.01, 0.05, 0.25), result.refresh().sizes().stream()
                .map(RefreshBenchmark.SizeResult::fraction).toList(), "with AUTO twins, two larger batch sizes");
        result.refresh().sizes().forEach(size -> size.times().values().forEach(t -> {
            assertEquals(2, t.differential().size());
            assertEquals(2, t.full().size());
            assertEquals(2, t.materializedView().size());
            assertEquals(2, t.auto().size());
            // A quarter of the orders changed is over AUTO's threshold (15 % of a source's rows).
            List<String> possible = size.fraction() == 0.25 ? List.of("FULL") : List.of("DIFFERENTIAL", "FULL");
            t.auto().forEach(choice -> assertTrue(possible.contains(choice.action()), choice::toString));
        }));

        String report = ReportWriter.write(result, "smoke test");
        assertTrue(report.contains("## Refresh after a change batch of 0.1 %"), report);
        assertTrue(report.contains("## Capture overhead"), report);
        assertTrue(report.contains("## AUTO's choices"), report);
        assertTrue(report.contains("all equal."), report);
        assertTrue(Files.readString(explain).contains("Merge on"), "EXPLAIN ANALYZE output");
    }
}
