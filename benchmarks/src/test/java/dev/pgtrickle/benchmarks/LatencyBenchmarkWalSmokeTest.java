package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code latency --cdc wal} for 3 s at 200 rows/s on the tests' PostgreSQL (options parsed as
 * the command parses them), with the real daemon decoding the WAL into a temporary journal. It
 * proves that the source was graduated and stayed on WAL capture, that latencies were collected
 * through the chain, that no refresh failed, that every stage equals its query afterwards and that
 * no slot is left behind; it asserts nothing about timings. A database of its own: the latency
 * benchmark creates its tables by fixed names.
 */
@PostgresTest
class LatencyBenchmarkWalSmokeTest {

    @Test
    void measuresLatencyWithWalCapture(TestDatabase database) throws Exception {
        LatencyOptions options = Main.parse(new LatencyCommand(), "--cdc", "wal", "--rates", "200", "--duration", "3",
                "--warmup", "0", "--accounts", "50", "--seed", "7");

        LatencyBenchmark.Result result = new LatencyBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        assertTrue(result.sourceCapture().startsWith("wal ") && result.sourceCapture().contains("capture triggers none"),
                () -> "the source is captured from the WAL: " + result.sourceCapture());
        LatencyBenchmark.RateResult rate = result.rates().get(0);
        assertTrue(rate.transactions() > 0, "transactions were written");
        assertTrue(rate.latency().size() > 0, "latencies were collected");
        assertEquals(0, rate.notObserved(), "every transaction reached the last stage");
        assertFalse(rate.stages().isEmpty(), "refresh history was read");
        rate.stages().forEach((name, stage) -> assertFalse(stage.actions().containsKey("FAILED"),
                () -> name + " had failed refreshes: " + stage.actions()));
        result.differences().forEach((name, rows) -> assertEquals(0L, rows, () -> name + " equals its query"));
        assertEquals(result.sourceRows(), result.reflectedRows(), "the chain reflects every source row");
        assertEquals(0, database.queryLong("SELECT count(*) FROM pg_replication_slots"
                + " WHERE database = current_database()"), "the benchmark dropped the daemon's slot");

        String report = ReportWriter.write(result, "smoke test");
        for (String field : List.of("capture of `events`: WAL", "worker mean ms", "## Correctness", "all equal.")) {
            assertTrue(report.contains(field), () -> "report lacks " + field + ":\n" + report);
        }
    }
}
