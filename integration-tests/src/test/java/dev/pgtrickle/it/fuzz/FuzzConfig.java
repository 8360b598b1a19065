package dev.pgtrickle.it.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * Knobs of the randomized differential-refresh suite, read from system properties (Maven passes
 * {@code -D} options of the command line on to the test JVM):
 *
 * <ul>
 *   <li>{@code pgtrickle.fuzz.iterations} (default 5): seeds per shape and scenario; CI runs the
 *       fixed seeds 1..N, so every run checks the same cases.</li>
 *   <li>{@code pgtrickle.fuzz.firstSeed} (default 1): the first of the seeds, to explore beyond
 *       the ones CI runs ({@code firstSeed} .. {@code firstSeed + iterations - 1}).</li>
 *   <li>{@code pgtrickle.fuzz.seed}: replay this one seed only (overrides iterations).</li>
 *   <li>{@code pgtrickle.fuzz.shape}: run only the shapes (or concurrent scenarios) of these comma-separated names.</li>
 *   <li>{@code pgtrickle.fuzz.rounds} (default 10): DML + refresh rounds per test.</li>
 *   <li>{@code pgtrickle.fuzz.concurrentOps} (default 40): statements each writer thread runs in
 *       the concurrent scenario.</li>
 * </ul>
 */
final class FuzzConfig {

    private FuzzConfig() {
    }

    static int iterations() {
        return Math.max(1, Integer.getInteger("pgtrickle.fuzz.iterations", 5));
    }

    static int rounds() {
        return Math.max(1, Integer.getInteger("pgtrickle.fuzz.rounds", 10));
    }

    static int concurrentOps() {
        return Math.max(1, Integer.getInteger("pgtrickle.fuzz.concurrentOps", 40));
    }

    /** The seeds to run: the replayed one, or the fixed seeds firstSeed..firstSeed + iterations - 1. */
    static List<Long> seeds() {
        String replay = System.getProperty("pgtrickle.fuzz.seed");
        if (replay != null && !replay.isBlank()) {
            return List.of(Long.parseLong(replay.strip()));
        }
        List<Long> seeds = new ArrayList<>();
        long first = Long.getLong("pgtrickle.fuzz.firstSeed", 1L);
        for (long seed = first; seed < first + iterations(); seed++) {
            seeds.add(seed);
        }
        return seeds;
    }

    /** Whether the shape or scenario of this name is selected by {@code pgtrickle.fuzz.shape}. */
    static boolean selected(String name) {
        String only = System.getProperty("pgtrickle.fuzz.shape");
        return only == null || only.isBlank()
                || java.util.Arrays.stream(only.split(",")).map(String::strip).anyMatch(name::equals);
    }

    /** The random source of one test: depends only on the seed and the shape's name. */
    static long mix(long seed, String name) {
        long h = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 29);
    }

    static String replayFlags(long seed, String name) {
        return "-Dpgtrickle.fuzz.seed=" + seed + " -Dpgtrickle.fuzz.shape=" + name
                + " -Dpgtrickle.fuzz.rounds=" + rounds() + " -Dpgtrickle.fuzz.concurrentOps=" + concurrentOps();
    }
}
