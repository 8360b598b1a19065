package dev.pgtrickle.it.fuzz;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.it.fuzz.DmlGenerator.Mode;
import dev.pgtrickle.it.fuzz.Shapes.Shape;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential refresh while other sessions write (I1, I3, I4): several stream tables of random
 * shapes over one random schema, and
 *
 * <ul>
 *   <li>{@code open_writer_across_refresh}: a second connection keeps a transaction with writes
 *       open across one or two refreshes and commits (or rolls back) after them; its changes must
 *       not show before its commit and must show, exactly once, after the next refresh;</li>
 *   <li>{@code writer_threads_during_refreshes}: two threads run a bounded number of random
 *       statements and transactions while the main thread refreshes in a loop (in autocommit,
 *       or in REPEATABLE READ / SERIALIZABLE transactions whose snapshot predates the refresh)
 *       and a third session refreshes random stream tables too. Each refresh must be
 *       DIFFERENTIAL and leave consistent hidden columns; after joining the threads, a final
 *       refresh must match the queries. The seed fixes what the sessions do, not how their
 *       statements interleave.</li>
 * </ul>
 */
@PostgresTest
class ConcurrentWriterFuzzTest {

    private static final String OPEN_WRITER = "open_writer_across_refresh";
    private static final String THREADS = "writer_threads_during_refreshes";
    private static final String DEADLOCK = "40P01";
    private static final String SERIALIZATION_FAILURE = "40001";

    private static TestDatabase db;

    @BeforeAll
    static void install(TestDatabase database) throws SQLException {
        db = database;
        try (Connection connection = database.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    @TestFactory
    List<DynamicNode> scenarios() {
        List<DynamicNode> containers = new ArrayList<>();
        if (FuzzConfig.selected(OPEN_WRITER)) {
            List<DynamicTest> tests = new ArrayList<>();
            for (long seed : FuzzConfig.seeds()) {
                tests.add(DynamicTest.dynamicTest("seed " + seed, () -> openWriter(seed)));
            }
            containers.add(DynamicContainer.dynamicContainer(OPEN_WRITER, tests));
        }
        if (FuzzConfig.selected(THREADS)) {
            List<DynamicTest> tests = new ArrayList<>();
            for (long seed : FuzzConfig.seeds()) {
                tests.add(DynamicTest.dynamicTest("seed " + seed, () -> writerThreads(seed)));
            }
            containers.add(DynamicContainer.dynamicContainer(THREADS, tests));
        }
        return containers;
    }

    private static List<Shape> shapes(long seed, String scenario) {
        return FuzzRun.pickShapes(new Random(FuzzConfig.mix(seed, scenario + "/shapes")), 4);
    }

    private static void openWriter(long seed) throws Exception {
        try (FuzzRun run = new FuzzRun(ConcurrentWriterFuzzTest.class, db, OPEN_WRITER, seed, shapes(seed, OPEN_WRITER));
             Connection writer = db.connect()) {
            FuzzRun.reporting(run, () -> {
                run.setUp();
                DmlGenerator writes = new DmlGenerator(new Random(FuzzConfig.mix(seed, "open writer")), run.schema,
                        run.nextIds);
                for (int round = 0; round < FuzzConfig.rounds(); round++) {
                    if (run.random.nextBoolean()) {
                        run.round();
                    }
                    writer.setAutoCommit(false);
                    run.log("writer", "BEGIN");
                    boolean writesBeforeRefresh = run.random.nextInt(3) != 0;
                    if (!writesBeforeRefresh) {
                        // The transaction exists before the refresh but gets its xid only after it.
                        write(run, writer, "SELECT 1");
                        refreshAll(run);
                    }
                    int statements = 1 + run.random.nextInt(4);
                    for (int i = 0; i < statements; i++) {
                        write(run, writer, writes.statement(run.pickTable(), Mode.ANY));
                    }
                    // Meanwhile the main session writes too, only what cannot wait for the writer's locks.
                    for (int i = run.random.nextInt(3); i > 0; i--) {
                        run.execute(run.dml.statement(run.pickTable(), Mode.INSERT_ONLY));
                    }
                    for (int i = 1 + run.random.nextInt(2); i > 0; i--) {
                        refreshAll(run); // the oracle: nothing of the open transaction shows yet
                    }
                    if (run.random.nextInt(5) != 0) {
                        writer.commit();
                        run.log("writer", "COMMIT");
                    } else {
                        writer.rollback();
                        run.log("writer", "ROLLBACK");
                    }
                    writer.setAutoCommit(true);
                    refreshAll(run); // the oracle: a committed transaction shows, exactly once
                }
                run.dropAll();
            });
        }
    }

    private static void writerThreads(long seed) throws Exception {
        try (FuzzRun run = new FuzzRun(ConcurrentWriterFuzzTest.class, db, THREADS, seed, shapes(seed, THREADS))) {
            FuzzRun.reporting(run, () -> {
                run.setUp();
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                List<Thread> writers = new ArrayList<>();
                for (int w = 1; w <= 2; w++) {
                    String who = "writer " + w;
                    DmlGenerator writes = new DmlGenerator(new Random(FuzzConfig.mix(seed, who)), run.schema, run.nextIds);
                    writers.add(new Thread(() -> {
                        try (Connection connection = db.connect()) {
                            writeLoop(run, who, connection, writes);
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }, "fuzz-" + who));
                }
                // A second refresher (another session, like the daemon next to a manual refresh):
                // refreshes of one stream table serialize, and different ones run side by side.
                Random refresherRandom = new Random(FuzzConfig.mix(seed, "refresher"));
                Thread refresher = new Thread(() -> {
                    try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
                        for (int i = 0; i < 4 * FuzzConfig.concurrentOps() && writers.stream().anyMatch(Thread::isAlive); i++) {
                            StreamTableDef st = run.streamTables.get(refresherRandom.nextInt(run.streamTables.size()));
                            String sql = "SELECT pgtrickle.refresh_stream_table('" + st.name() + "')";
                            run.log("refresher", sql);
                            statement.execute(sql);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "fuzz-refresher");
                writers.forEach(Thread::start);
                refresher.start();
                try {
                    int refreshes = 0;
                    // Refresh while the writers run; they stop after a bounded number of statements.
                    while (refreshes == 0 || writers.stream().anyMatch(Thread::isAlive)) {
                        int mode = run.random.nextInt(4);
                        if (mode < 2) {
                            for (StreamTableDef st : run.streamTables) {
                                run.refreshAndCheck(st, false);
                            }
                        } else {
                            try {
                                run.refreshInTransaction(run.streamTables, mode == 2 ? "REPEATABLE READ" : "SERIALIZABLE");
                            } catch (SQLException e) {
                                // Under REPEATABLE READ a refresh that finds the stream table refreshed by
                                // the other session after its snapshot cannot go on; the caller retries.
                                if (!SERIALIZATION_FAILURE.equals(e.getSQLState())) {
                                    throw e;
                                }
                            }
                        }
                        refreshes++;
                    }
                } finally {
                    for (Thread thread : writers) {
                        thread.join();
                    }
                    refresher.join();
                }
                if (!failures.isEmpty()) {
                    AssertionError error = new AssertionError("a concurrent session failed", failures.get(0));
                    failures.stream().skip(1).forEach(error::addSuppressed);
                    throw error;
                }
                refreshAll(run);
                run.dropAll();
            });
        }
    }

    /** Random statements and transactions; a deadlock between the writers rolls one back, as it would anywhere. */
    private static void writeLoop(FuzzRun run, String who, Connection connection, DmlGenerator writes)
            throws SQLException {
        Random random = writes.random();
        int done = 0;
        while (done < FuzzConfig.concurrentOps()) {
            boolean transaction = random.nextInt(10) < 3;
            try {
                if (transaction) {
                    connection.setAutoCommit(false);
                    run.log(who, "BEGIN");
                    for (int i = 1 + random.nextInt(3); i > 0; i--, done++) {
                        write(run, who, connection, writes.statement(run.pickTableFor(random), Mode.ANY));
                    }
                    boolean commit = random.nextInt(4) != 0;
                    if (commit) {
                        connection.commit();
                    } else {
                        connection.rollback();
                    }
                    run.log(who, commit ? "COMMIT" : "ROLLBACK");
                    connection.setAutoCommit(true);
                } else {
                    write(run, who, connection, writes.statement(run.pickTableFor(random), Mode.ANY));
                    done++;
                }
            } catch (SQLException e) {
                if (!DEADLOCK.equals(e.getSQLState())) {
                    throw e;
                }
                run.log(who, "-- deadlock, rolled back: " + e.getMessage().replace('\n', ' '));
                if (!connection.getAutoCommit()) {
                    connection.rollback();
                    connection.setAutoCommit(true);
                }
                done++;
            }
        }
    }

    private static void refreshAll(FuzzRun run) throws SQLException {
        for (StreamTableDef st : run.streamTables) {
            run.refreshAndCheck(st, true);
        }
    }

    private static void write(FuzzRun run, Connection connection, String sql) throws SQLException {
        write(run, "writer", connection, sql);
    }

    private static void write(FuzzRun run, String who, Connection connection, String sql) throws SQLException {
        run.log(who, sql);
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
