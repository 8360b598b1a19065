package dev.pgtrickle.it.fuzz;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.it.fuzz.Shapes.Shape;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Randomized property test of differential refresh, the main guard of I3 (differential ==
 * full): for every query shape of the catalogue ({@link Shapes}) and every seed, a random schema
 * and data, the shape's stream tables compiled (so refreshed DIFFERENTIAL), then rounds of random
 * DML (inserts, updates of keys and values, deletes, no-op updates, duplicates, transactions
 * committed and rolled back, savepoints, TRUNCATE, refreshes inside the writing transaction),
 * each followed by refreshes. After every refresh the stream table must equal its query as a
 * multiset, its hidden multiplicities must be consistent, and its history must show a
 * DIFFERENTIAL refresh (REINITIALIZE after a TRUNCATE of a source), so a silent fallback to FULL
 * cannot pass.
 *
 * <p>CI runs fixed seeds; see {@link FuzzConfig} for running more ({@code -Dpgtrickle.fuzz.iterations=N})
 * or replaying one ({@code -Dpgtrickle.fuzz.seed=S -Dpgtrickle.fuzz.shape=NAME}). Each seed of
 * each shape is a test of its own.
 */
@PostgresTest
class DifferentialFuzzTest {

    private static final String SHARED_SOURCES = "shared_sources";

    private static TestDatabase db;

    @BeforeAll
    static void install(TestDatabase database) throws SQLException {
        db = database;
        try (Connection connection = database.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    @TestFactory
    List<DynamicNode> shapes() {
        List<DynamicNode> containers = new ArrayList<>();
        for (Shape shape : Shapes.all()) {
            if (!FuzzConfig.selected(shape.name())) {
                continue;
            }
            List<DynamicTest> seeds = new ArrayList<>();
            for (long seed : FuzzConfig.seeds()) {
                seeds.add(DynamicTest.dynamicTest("seed " + seed, () -> run(shape, seed)));
            }
            containers.add(DynamicContainer.dynamicContainer(shape.name(), seeds));
        }
        if (FuzzConfig.selected(SHARED_SOURCES)) {
            List<DynamicTest> seeds = new ArrayList<>();
            for (long seed : FuzzConfig.seeds()) {
                seeds.add(DynamicTest.dynamicTest("seed " + seed, () -> shared(seed)));
            }
            containers.add(DynamicContainer.dynamicContainer(SHARED_SOURCES, seeds));
        }
        return containers;
    }

    /**
     * Several shapes over the same sources: their stream tables share change buffers and are
     * refreshed in random subsets, so buffer rows one of them has consumed must stay for the
     * others (I4).
     */
    private static void shared(long seed) throws Exception {
        List<Shape> shapes = FuzzRun.pickShapes(new Random(FuzzConfig.mix(seed, SHARED_SOURCES + "/shapes")), 5);
        try (FuzzRun run = new FuzzRun(DifferentialFuzzTest.class, db, SHARED_SOURCES, seed, shapes)) {
            FuzzRun.reporting(run, () -> {
                run.setUp();
                for (int round = 0; round < FuzzConfig.rounds(); round++) {
                    run.round();
                }
                run.dropAll();
            });
        }
    }

    private static void run(Shape shape, long seed) throws Exception {
        try (FuzzRun run = new FuzzRun(DifferentialFuzzTest.class, db, shape.name(), seed, List.of(shape))) {
            FuzzRun.reporting(run, () -> {
                run.setUp();
                for (int round = 0; round < FuzzConfig.rounds(); round++) {
                    run.round();
                }
                run.dropAll();
            });
        }
    }
}
