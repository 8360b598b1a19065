package dev.pgtrickle.cdc.journal;

import static dev.pgtrickle.cdc.journal.Journals.transaction;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link JournalSyncTest}: writes and syncs 1000 transactions, appends 5 more
 * without syncing, then dies (halt, no shutdown hooks, nothing closed) in the middle of writing a
 * sixth.
 */
public final class JournalCrashWriter {

    static final int SYNCED = 1000;
    static final int UNSYNCED = 5;
    static final int ROWS = 3;
    static final int TORN_ROWS = 50;
    static final int EXIT_CODE = 77;

    private JournalCrashWriter() {
    }

    static long lsn(int transaction) {
        return 0x100_0000L + 16L * transaction;
    }

    public static void main(String[] args) throws Exception {
        ChangeJournal journal = ChangeJournal.open(Path.of(args[0]));
        int t = 1;
        for (; t <= SYNCED; t++) {
            journal.appendTransaction(transaction(lsn(t), t, 16384, ROWS));
        }
        journal.sync();
        for (; t <= SYNCED + UNSYNCED; t++) {
            journal.appendTransaction(transaction(lsn(t), t, 16384, ROWS));
        }
        journal.appendTransaction(Journals.failingOnAccess(transaction(lsn(t), t, 16384, TORN_ROWS),
                1 + TORN_ROWS + TORN_ROWS / 2, () -> Runtime.getRuntime().halt(EXIT_CODE)));
        throw new AssertionError("the writer should have died");
    }
}
