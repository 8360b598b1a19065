package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.benchmarks.tpch.TpchBenchmark;
import dev.pgtrickle.benchmarks.tpch.TpchCommand;
import dev.pgtrickle.benchmarks.tpch.TpchOptions;
import dev.pgtrickle.benchmarks.tpch.TpchQueries;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the TPC-H benchmark end to end at scale factor 0.01 (15,000 orders) for one round on the
 * tests' PostgreSQL, options parsed as the {@code tpch} command parses them. It proves that the
 * generator, the 22 queries and the refresh functions work, that every query exists as a FULL
 * stream table and a materialized view, that every query accepted as DIFFERENTIAL equals its query
 * after the round (and so does its AUTO twin), and that all 22 are accepted; nothing about timings.
 */
@PostgresTest
class TpchBenchmarkSmokeTest {

    @Test
    void runsTheQueriesAndEveryDifferentialStreamTableMatchesItsQuery(TestDatabase database) throws Exception {
        TpchOptions options = Main.parse(new TpchCommand(), "--scale", "0.01", "--runs", "1", "--seed", "7", "--auto-twins");

        TpchBenchmark.Result result = new TpchBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        assertEquals(1, result.rounds().size());
        assertTrue(result.rounds().get(0).insertedOrders() == 15 && result.rounds().get(0).deletedOrders() == 15,
                () -> "RF1 and RF2 change 0.1 % of the orders: " + result.rounds());
        assertEquals(TpchQueries.COUNT, result.queries().size());
        try (Db db = Db.connect(database.jdbcUrl())) {
            assertEquals(15_000, db.queryLong("SELECT count(*) FROM orders"), "RF1 and RF2 keep the number of orders");
            for (TpchBenchmark.QueryResult q : result.queries()) {
                int n = q.number();
                assertEquals("FULL", db.queryString("SELECT refresh_mode FROM pgtrickle.pgt_stream_tables"
                        + " WHERE pgt_name = '" + TpchQueries.fullTable(n) + "'"), "Q" + n + " as a FULL stream table");
                assertEquals(1, db.queryLong("SELECT count(*) FROM pg_matviews WHERE matviewname = '"
                        + TpchQueries.materializedView(n) + "'"), "Q" + n + " as a materialized view");
                assertEquals(1, q.full().size());
                assertEquals(1, q.view().size());
                long differentialTables = db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                        + " WHERE pgt_name = '" + TpchQueries.differentialTable(n) + "'");
                if (q.accepted()) {
                    assertNull(q.failure(), () -> "Q" + n + ": " + q.failure());
                    assertEquals(List.of("DIFFERENTIAL"), q.actions(), "Q" + n + " refreshed differentially");
                    assertEquals(List.of(0L), q.oracle(), "Q" + n + " equalled its query after the round");
                    assertEquals(0, Oracle.differences(db, TpchQueries.differentialTable(n), q.sql()),
                            "Q" + n + " vs. its query");
                    assertEquals(0, Oracle.differences(db, TpchQueries.autoTable(n), q.sql()), "Q" + n + "'s AUTO twin");
                    assertEquals(1, q.auto().size(), "Q" + n + "'s AUTO twin refreshed once");
                    assertTrue(List.of("DIFFERENTIAL", "FULL").contains(q.auto().get(0).action()), q.auto()::toString);
                } else {
                    assertNotNull(q.refusal());
                    assertEquals(0, differentialTables, "Q" + n + ": the refused stream table was dropped");
                }
            }
        }
        assertEquals(TpchQueries.COUNT, result.accepted(), "every query is accepted as DIFFERENTIAL");

        String report = ReportWriter.write(result, "smoke test");
        for (int n = 1; n <= TpchQueries.COUNT; n++) {
            String row = "| Q" + n + " | ";
            assertTrue(report.contains(row), () -> "report lacks the row of " + row + ":\n" + report);
        }
        for (String field : List.of("## Summary", "queries accepted as DIFFERENTIAL", "## Per query",
                "## Changes per round", "every accepted stream table equalled its query after every round.", "## AUTO's choices",
                "## Targets")) {
            assertTrue(report.contains(field), () -> "report lacks " + field + ":\n" + report);
        }
    }
}
