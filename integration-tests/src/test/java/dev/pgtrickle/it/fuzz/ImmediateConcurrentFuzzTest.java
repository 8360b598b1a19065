package dev.pgtrickle.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.it.fuzz.DmlGenerator.Mode;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * IMMEDIATE mode while several sessions write: stream tables of random shapes (those whose plan
 * maintains them inside the statements) over one random schema, three writer threads running
 * random statements and transactions — one at REPEATABLE READ, which may be told to retry (40001);
 * deadlocks between the writers' own row locks (40P01) are theirs, retried too — while the main
 * thread checks, again and again, that every stream table equals its query: the stream tables
 * change in the writers' transactions, so any snapshot must see them exact. After the writers
 * stop, the last check. The seed fixes what the sessions do, not how their statements interleave.
 */
@PostgresTest
class ImmediateConcurrentFuzzTest {

    private static final String SCENARIO = "immediate_writer_threads";

    private static TestDatabase db;

    @BeforeAll
    static void install(TestDatabase database) throws SQLException {
        db = database;
        try (Connection connection = database.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    @TestFactory
    List<DynamicTest> seeds() {
        List<DynamicTest> tests = new ArrayList<>();
        if (FuzzConfig.selected(SCENARIO)) {
            for (long seed : FuzzConfig.seeds()) {
                tests.add(DynamicTest.dynamicTest(SCENARIO + " seed " + seed, () -> run(seed)));
            }
        }
        return tests;
    }

    private static void run(long seed) throws Exception {
        Random picking = new Random(FuzzConfig.mix(seed, SCENARIO + "/shapes"));
        // -Dpgtrickle.fuzz.shape naming shapes besides the scenario picks among those.
        boolean namesShapes = Shapes.all().stream().anyMatch(shape -> FuzzConfig.selected(shape.name()));
        try (FuzzRun run = new FuzzRun(ImmediateConcurrentFuzzTest.class, db, SCENARIO, seed,
                // A query reading the clock is refused at creation in IMMEDIATE mode.
                FuzzRun.pickShapes(picking, 6, shape -> !shape.name().equals("clock_window")
                        && (!namesShapes || FuzzConfig.selected(shape.name()))))) {
            FuzzRun.reporting(run, () -> {
                run.setUp("IMMEDIATE");
                if (run.dropRefusedImmediate() == 0) {
                    run.dropAll();
                    Assumptions.abort("none of the shapes picked is maintained inside the statements");
                }
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                List<Thread> writers = new ArrayList<>();
                for (int w = 1; w <= 3; w++) {
                    String who = "writer " + w;
                    boolean repeatableRead = w == 2;
                    DmlGenerator writes = new DmlGenerator(new Random(FuzzConfig.mix(seed, who)), run.schema, run.nextIds);
                    writers.add(new Thread(() -> {
                        try (Connection connection = db.connect()) {
                            if (repeatableRead) {
                                connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                            }
                            writeLoop(run, who, connection, writes, repeatableRead);
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }, "fuzz-" + who));
                }
                writers.forEach(Thread::start);
                int checks = 0;
                while (writers.stream().anyMatch(Thread::isAlive) && failures.isEmpty()) {
                    run.checkImmediate();
                    checks++;
                }
                for (Thread writer : writers) {
                    writer.join();
                }
                if (!failures.isEmpty()) {
                    throw new AssertionError("a writer failed", failures.get(0));
                }
                run.checkImmediate();
                assertTrue(checks > 0, "checked while the writers ran");
                run.dropAll();
            });
        }
    }

    private static void writeLoop(FuzzRun run, String who, Connection connection, DmlGenerator writes,
                                  boolean mayBeToldToRetry) throws SQLException {
        Random random = writes.random();
        for (int done = 0; done < FuzzConfig.concurrentOps(); ) {
            boolean transaction = random.nextInt(10) < 4;
            try {
                connection.setAutoCommit(!transaction);
                if (transaction) {
                    run.log(who, "BEGIN");
                }
                for (int i = transaction ? 1 + random.nextInt(3) : 1; i > 0; i--, done++) {
                    String sql = writes.statement(run.pickTableFor(random), Mode.ANY);
                    run.log(who, sql);
                    try (Statement statement = connection.createStatement()) {
                        statement.execute(sql);
                    }
                }
                if (transaction) {
                    boolean commit = random.nextInt(4) != 0;
                    if (commit) {
                        connection.commit();
                    } else {
                        connection.rollback();
                    }
                    run.log(who, commit ? "COMMIT" : "ROLLBACK");
                }
            } catch (SQLException e) {
                boolean retry = "40P01".equals(e.getSQLState()) || mayBeToldToRetry && "40001".equals(e.getSQLState());
                if (!retry) {
                    throw e;
                }
                run.log(who, "-- " + e.getSQLState() + ", rolled back: " + e.getMessage().replace('\n', ' '));
                if (!connection.getAutoCommit()) {
                    connection.rollback();
                }
                done++;
            } finally {
                connection.setAutoCommit(true);
            }
        }
    }
}
