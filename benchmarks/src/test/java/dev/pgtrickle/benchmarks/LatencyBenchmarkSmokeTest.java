package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the propagation-latency benchmark for 3 s at 200 rows/s on the tests' PostgreSQL, with the
 * real daemon. It proves the benchmark works end to end: latencies were collected and the report
 * has its fields. It asserts nothing about timings.
 */
@PostgresTest
class LatencyBenchmarkSmokeTest {

    @Test
    void collectsLatenciesThroughTheChainAndReportsThem(TestDatabase database) throws Exception {
        LatencyOptions options = new LatencyOptions(List.of(200), 3, 0, 10, 20, 50,
                LatencyOptions.Capture.TRIGGER, false, 7, null, null, false, Map.of(), "500ms");

        LatencyBenchmark.Result result = new LatencyBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        assertEquals(1, result.rates().size());
        LatencyBenchmark.RateResult rate = result.rates().get(0);
        assertTrue(rate.transactions() > 0, "transactions were written");
        assertTrue(rate.latency().size() > 0, "latencies were collected");
        assertFalse(rate.stages().isEmpty(), "refresh history was read");

        String report = ReportWriter.write(result, "smoke test");
        for (String field : List.of("## Latency from source commit to `lat_totals`", "achieved rows/s", "p50 ms",
                "p99 ms", "max ms", "count", "target p99 < 2,000 ms", "## Refreshes by the daemon", "## Chain",
                "`lat_events`", "`lat_accounts`", "## Correctness", "## Targets")) {
            assertTrue(report.contains(field), () -> "report lacks " + field + ":\n" + report);
        }
    }
}
