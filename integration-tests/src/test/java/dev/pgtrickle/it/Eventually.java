package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;

/**
 * Waits for something the daemon does in the background. The limit is generous on purpose: it
 * only keeps a broken test from hanging, it measures nothing.
 */
final class Eventually {

    // 60 s ran out once for a WAL graduation on a loaded 2-core CI machine.
    static final Duration LIMIT = Duration.ofSeconds(120);

    /** A condition that may query the database. */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    /** What the test knows about the state it waited on, for the failure of a wait that ran out. */
    @FunctionalInterface
    interface Diagnosis {
        String describe() throws Exception;
    }

    private Eventually() {
    }

    /** {@link #await(String, Condition)}, the failure of a wait that ran out saying what {@code diagnosis} finds. */
    static void await(String what, Condition condition, Diagnosis diagnosis) throws Exception {
        try {
            await(what, condition);
        } catch (AssertionError timedOut) {
            fail(timedOut.getMessage() + "\n" + diagnosis.describe(), timedOut);
        }
    }

    static void await(String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                fail("still waiting after " + LIMIT.toSeconds() + " s for: " + what);
            }
            Thread.sleep(50);
        }
    }
}
