package dev.pgtrickle.benchmarks.hierarchy;

import java.nio.file.Path;
import java.util.Map;

/**
 * What one run of the hierarchy benchmark ({@code hierarchy} command, see {@link HierarchyBenchmark}) does.
 *
 * @param nodes            nodes of the hierarchy (10 roots; node n's parent is ⌊n / 2.2⌋, at most 12 levels
 *                         below the roots at 100,000 nodes)
 * @param rounds           rounds of moves followed by refreshes (the report shows medians)
 * @param moves            nodes moved under another parent per round
 * @param seed             seed of the moves
 * @param out              Markdown report file, or {@code null}
 * @param jdbcUrl          an existing server to create the benchmark database on, or {@code null}
 *                         for the embedded PostgreSQL
 * @param keepDatabase     keep the benchmark database on {@code jdbcUrl}'s server afterwards
 * @param databaseSettings settings given to the benchmark database (ALTER DATABASE … SET)
 */
public record HierarchyOptions(int nodes, int rounds, int moves, long seed, Path out, String jdbcUrl,
                               boolean keepDatabase, Map<String, String> databaseSettings) {

    public HierarchyOptions {
        databaseSettings = Map.copyOf(databaseSettings);
        if (nodes < 100) {
            throw new IllegalArgumentException("--nodes must be at least 100");
        }
        if (rounds < 1 || moves < 1 || moves > nodes / 2) {
            throw new IllegalArgumentException("--rounds must be at least 1 and --moves between 1 and half the nodes");
        }
    }

    /** 100,000 nodes, 5 rounds of 100 moves (0.1 %), seed 42. */
    public static HierarchyOptions defaults() {
        return new HierarchyOptions(100_000, 5, 100, 42, null, null, false, Map.of());
    }
}
