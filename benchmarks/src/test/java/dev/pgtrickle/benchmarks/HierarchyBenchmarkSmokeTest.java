package dev.pgtrickle.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.benchmarks.hierarchy.HierarchyBenchmark;
import dev.pgtrickle.benchmarks.hierarchy.HierarchyCommand;
import dev.pgtrickle.benchmarks.hierarchy.HierarchyOptions;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * Runs the hierarchy benchmark end to end on 2,000 nodes for two rounds on the tests'
 * PostgreSQL, options parsed as the {@code hierarchy} command parses them: every refresh of the
 * recursive stream table is DIFFERENTIAL and equal to its query; nothing about timings.
 */
@PostgresTest
class HierarchyBenchmarkSmokeTest {

    @Test
    void movedSubtreesRefreshDifferentiallyAndEqualTheQuery(TestDatabase database) throws Exception {
        HierarchyOptions options = Main.parse(new HierarchyCommand(), "--nodes", "2000", "--rounds", "2", "--moves", "20");

        HierarchyBenchmark.Result result = new HierarchyBenchmark(options, Progress.silent())
                .run(database.jdbcUrl(), database.toString());

        assertEquals("KEYED", result.strategy());
        assertEquals(2, result.rounds().size());
        for (HierarchyBenchmark.Round round : result.rounds()) {
            assertEquals("DIFFERENTIAL", round.action(), round::toString);
            assertEquals(0, round.differences(), round::toString);
            assertTrue(round.changedRows() >= 20, round::toString);
        }
        assertTrue(result.markdown("java -jar …").contains("| 2 |"), result.markdown(""));
    }
}
