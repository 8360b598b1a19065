package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.benchmarks.window.TimeWindowBenchmark;
import dev.pgtrickle.benchmarks.window.TimeWindowCommand;
import dev.pgtrickle.benchmarks.window.TimeWindowOptions;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Runs the time-window benchmark end to end on 20,000 events for three seconds on the tests'
 * PostgreSQL, options parsed as the {@code window} command parses them: every refresh of the
 * window queries is DIFFERENTIAL and equal to its query at the frozen clock; nothing about timings.
 */
@PostgresTest
class TimeWindowBenchmarkSmokeTest {

    @Test
    void eachSecondOfEventsRefreshesDifferentiallyAndEqualsTheQuery(TestDatabase database) throws Exception {
        TimeWindowOptions options = Main.parse(new TimeWindowCommand(), "--events", "20000", "--rate", "50",
                "--window-minutes", "2", "--rounds", "3");

        TimeWindowBenchmark.Result result = new TimeWindowBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        assertEquals(6, result.rounds().size());
        for (TimeWindowBenchmark.Round round : result.rounds()) {
            assertEquals("DIFFERENTIAL", round.action(), round::toString);
            assertEquals(0, round.differences(), round::toString);
        }
        assertTrue(result.markdown("java -jar …").contains("DIFFERENTIAL and equal every round"), result.markdown(""));
    }
}
