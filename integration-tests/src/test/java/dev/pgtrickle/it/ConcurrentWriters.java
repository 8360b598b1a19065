package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Writers on connections of their own, each running random statements in transactions of one
 * statement (one in five rolled back), the odd ones at REPEATABLE READ, which may be told to retry
 * (40001); a deadlock between their own row locks outside pgtrickle's maintenance rolls a
 * statement back as it would anywhere; any other error fails the test. While they write, a check runs again and again (the
 * oracle: IMMEDIATE stream tables change in the writers' transactions, so one snapshot sees them
 * equal to their queries at every point).
 */
final class ConcurrentWriters {

    /** The {@code i}-th statement of writer {@code writer}. */
    @FunctionalInterface
    interface Statements {
        String sql(int writer, int i, Random random);
    }

    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    private ConcurrentWriters() {
    }

    static void run(TestDatabase db, int count, int statementsPerWriter, long seed, Statements statements, Check check)
            throws Exception {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < count; w++) {
            int writer = w;
            writers.add(new Thread(() -> {
                Random random = new Random(seed + writer);
                try (Connection c = db.connect(); Statement s = c.createStatement()) {
                    c.setAutoCommit(false);
                    if (writer % 2 == 1) {
                        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                    }
                    for (int i = 0; i < statementsPerWriter; i++) {
                        try {
                            s.execute(statements.sql(writer, i, random));
                            if (random.nextInt(5) == 0) {
                                c.rollback();
                            } else {
                                c.commit();
                            }
                        } catch (SQLException e) {
                            c.rollback();
                            if (!(writer % 2 == 1 && "40001".equals(e.getSQLState())) && !ownDeadlock(e)) {
                                throw e;
                            }
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "writer-" + w));
        }
        writers.forEach(Thread::start);
        int checks = 0;
        while (writers.stream().anyMatch(Thread::isAlive)) {
            if (errors.isEmpty()) {
                check.run();
                checks++;
            }
            Thread.sleep(20);
        }
        for (Thread writer : writers) {
            writer.join();
        }
        assertTrue(errors.isEmpty(), () -> "writer errors: " + errors);
        assertTrue(checks > 0, "checked while the writers ran");
        check.run();
    }

    /**
     * A deadlock of the writers' own statements on the rows of their tables (two UPDATEs taking
     * overlapping rows in different orders), as it would happen without any stream table: raised
     * outside pgtrickle's maintenance, whose functions the error's context would name.
     */
    private static boolean ownDeadlock(SQLException e) {
        return "40P01".equals(e.getSQLState()) && !e.getMessage().contains("pgt_immediate_")
                && !e.getMessage().contains("pgtrickle.");
    }
}
