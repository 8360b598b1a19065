package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.benchmarks.immediate.ImmediateBenchmark;
import dev.pgtrickle.benchmarks.immediate.ImmediateCommand;
import dev.pgtrickle.benchmarks.immediate.ImmediateOptions;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Runs the IMMEDIATE-mode benchmark end to end on 5,000 rows, options parsed as the
 * {@code immediate} command parses them: the stream table is maintained by its plan and equals
 * its query after every measurement; nothing about timings.
 */
@PostgresTest
class ImmediateBenchmarkSmokeTest {

    @Test
    void theStreamTableStaysExactThroughEveryMeasurement(TestDatabase database) throws Exception {
        ImmediateOptions options = Main.parse(new ImmediateCommand(), "--rows", "5000", "--groups", "20",
                "--statements", "30", "--bulk-rows", "500", "--clients", "3", "--seconds", "1");

        ImmediateBenchmark.Result result = new ImmediateBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        assertEquals("AGGREGATE", result.strategy());
        assertEquals(0, result.differences());
        assertEquals(30, result.with().insert().size());
        assertEquals(3, result.rounds().size());
        assertTrue(result.rounds().stream().allMatch(r -> r.without() > 0 && r.with() > 0)
                && result.firstRowsThroughput() > 0 && result.innerGroupsThroughput() > 0);
        assertTrue(result.markdown("java -jar …").contains("Afterwards the stream tables equal their queries."),
                result.markdown(""));
    }
}
