package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the WAL-capture benchmark end to end with a few hundred rows on the tests' PostgreSQL,
 * options parsed as the {@code wal} command parses them. Two decode runs, so the decoder's slot is
 * also replaced by a copy of the raw one once. The benchmark itself fails when a decoder run
 * journals or a raw read streams other than the expected number of changes; this test checks the
 * rest and that the report has its fields, nothing about timings.
 */
@PostgresTest
class WalBenchmarkSmokeTest {

    @Test
    void measuresWritersAndDecodingAndReportsThem(TestDatabase database) throws Exception {
        WalOptions options = Main.parse(new WalCommand(), "--bulk-rows", "300", "--single-rows", "40", "--runs", "2",
                "--decode-changes", "500", "--txn-changes", "20", "--decode-runs", "2", "--seed", "7");

        WalBenchmark.Result result = new WalBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        WriterOverhead.Result writers = result.writers();
        writers.times().values().forEach(byCapture -> byCapture.values().forEach(samples ->
                assertEquals(2, samples.size())));
        assertEquals(2, writers.bulkLag().size());
        assertEquals(0, writers.streamTableDifferences(), "the trigger-captured stream table equals its query");
        DecodeThroughput.Result decode = result.decode();
        assertEquals(500, decode.workload().changes());
        assertEquals(25, decode.workload().transactions());
        assertEquals(2, decode.raw().size());
        assertEquals(2, decode.decoded().size());
        assertEquals(0, database.queryLong("SELECT count(*) FROM pg_replication_slots"
                + " WHERE database = current_database()"), "the benchmark dropped its slots");

        String report = ReportWriter.write(result, "smoke test");
        for (String field : List.of("## Writer overhead", "| bulk UPDATE |", "| single-row DELETEs |",
                "WAL / none", "Decoder lag", "## Decode throughput", "| raw (stream and discard) |",
                "| decoded (WalDecoder into the journal) |", "Decoded / raw:", "## Correctness", "equal.", "## Targets")) {
            assertTrue(report.contains(field), () -> "report lacks " + field + ":\n" + report);
        }
    }
}
