package dev.pgtrickle.cdc.journal;

import static dev.pgtrickle.cdc.journal.Journals.transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints append throughput of small entries, with one sync per batch and with one sync per
 * transaction. Measures, asserts nothing about speed (the figures depend on the disk).
 */
class JournalThroughputTest {

    @TempDir
    Path root;

    @Test
    void printsAppendThroughput() throws Exception {
        measure("1-row transactions, one sync at the end", 1, 300_000, Integer.MAX_VALUE);
        measure("10-row transactions, one sync at the end", 10, 50_000, Integer.MAX_VALUE);
        measure("1-row transactions, sync after each", 1, 2_000, 1);
        measure("10-row transactions, sync after each", 10, 2_000, 1);
        measure("100-row transactions, sync after each", 100, 500, 1);
        measure("1-row transactions, sync every 100", 1, 100_000, 100);
    }

    private void measure(String what, int rows, int transactions, int syncEvery) throws Exception {
        List<List<JournalEntry>> prepared = new ArrayList<>(transactions);
        for (int t = 1; t <= transactions; t++) {
            prepared.add(transaction(16L * t, t, 16384, rows));
        }
        Path dir = root.resolve(what.replaceAll("[^a-z0-9]+", "-"));
        long started;
        long elapsed;
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            // warm up the appender and the mapping on a few transactions first
            int t = 0;
            for (; t < Math.min(1_000, transactions / 10); t++) {
                journal.appendTransaction(prepared.get(t));
            }
            journal.sync();
            int warm = t;
            started = System.nanoTime();
            for (; t < transactions; t++) {
                journal.appendTransaction(prepared.get(t));
                if ((t + 1) % syncEvery == 0) {
                    journal.sync();
                }
            }
            journal.sync();
            elapsed = System.nanoTime() - started;
            int measured = transactions - warm;
            double seconds = elapsed / 1e9;
            System.out.printf("journal throughput: %-42s %,9d tx %,10.0f tx/s %,11.0f entries/s (%.1f µs/tx)%n",
                    what, measured, measured / seconds, (double) measured * rows / seconds, elapsed / 1e3 / measured);
            assertEquals(16L * transactions, journal.lastCommitLsn());
        }
    }
}
