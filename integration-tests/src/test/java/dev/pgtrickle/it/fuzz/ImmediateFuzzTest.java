package dev.pgtrickle.it.fuzz;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.it.fuzz.Shapes.Shape;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Randomized property test of IMMEDIATE mode: every shape of the catalogue ({@link Shapes}) whose
 * plan maintains it inside the statements (the others are recomputed per statement, or refused),
 * over a random schema and data, then random statements, transactions at every isolation level
 * with savepoints rolled back to, commits and rollbacks, TRUNCATEs. After every statement, inside
 * the transaction and after it, the stream table must equal its query as a multiset with
 * consistent hidden multiplicities. A shape's stream tables that the plan cannot maintain yet are
 * dropped; a shape left with none is skipped with the plan's reason.
 *
 * <p>CI runs the first {@value #SEEDS} fixed seeds of each shape; {@code -Dpgtrickle.fuzz.iterations=N}
 * runs more, {@code -Dpgtrickle.fuzz.seed=S -Dpgtrickle.fuzz.shape=NAME} replays one ({@link FuzzConfig}).
 */
@PostgresTest
class ImmediateFuzzTest {

    /** Seeds per shape unless asked for more: the statements check after each, so a seed covers much. */
    private static final int SEEDS = 2;

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
        List<Long> seeds = Integer.getInteger("pgtrickle.fuzz.iterations") == null
                ? FuzzConfig.seeds().subList(0, Math.min(SEEDS, FuzzConfig.seeds().size())) : FuzzConfig.seeds();
        List<DynamicNode> containers = new ArrayList<>();
        for (Shape shape : Shapes.all()) {
            if (!FuzzConfig.selected(shape.name())) {
                continue;
            }
            List<DynamicTest> tests = new ArrayList<>();
            for (long seed : seeds) {
                tests.add(DynamicTest.dynamicTest("seed " + seed, () -> run(shape, seed)));
            }
            containers.add(DynamicContainer.dynamicContainer(shape.name(), tests));
        }
        return containers;
    }

    private static void run(Shape shape, long seed) throws Exception {
        try (FuzzRun run = new FuzzRun(ImmediateFuzzTest.class, db, shape.name(), seed, List.of(shape))) {
            FuzzRun.reporting(run, () -> {
                try {
                    run.setUp("IMMEDIATE");
                } catch (SQLException e) {
                    Assumptions.assumeFalse("0A000".equals(e.getSQLState()), e.getMessage());
                    throw e;
                }
                // The stream tables of the shape that the plan maintains are tested; the others dropped.
                String refusal = run.immediateRefusal();
                if (refusal != null && run.dropRefusedImmediate() == 0) {
                    run.dropAll();
                    Assumptions.abort(refusal);
                }
                for (int unit = 0; unit < 3 * FuzzConfig.rounds(); unit++) {
                    run.immediateUnit();
                }
                run.dropAll();
            });
        }
    }
}
