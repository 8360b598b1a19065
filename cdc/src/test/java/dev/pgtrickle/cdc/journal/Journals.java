package dev.pgtrickle.cdc.journal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.core.time.SetTimeProvider;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;

/** Helpers shared by the journal tests. */
final class Journals {

    private Journals() {
    }

    /** One roll cycle a second, on a clock that only moves when told to. */
    static SetTimeProvider clock() {
        return new SetTimeProvider(Instant.parse("2026-03-01T00:00:00Z"));
    }

    static JournalSettings fastCycles(SetTimeProvider clock) {
        return JournalSettings.defaults().withRollCycle(TestRollCycles.TEST_SECONDLY, clock);
    }

    /** Everything a fresh cursor reads now. */
    static List<JournalEntry> readAll(ChangeJournal journal) {
        try (JournalCursor cursor = journal.cursor()) {
            return drain(cursor);
        }
    }

    static List<JournalEntry> drain(JournalCursor cursor) {
        List<JournalEntry> entries = new ArrayList<>();
        for (JournalEntry entry; (entry = cursor.next()) != null; ) {
            entries.add(entry);
        }
        return entries;
    }

    /** A transaction of {@code rows} inserts with small values. */
    static List<JournalEntry> transaction(long commitLsn, long xid, int relationOid, int rows) {
        List<JournalEntry> entries = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            entries.add(JournalEntry.insert(commitLsn, xid, relationOid, Long.toString(xid), Integer.toString(i), "row"));
        }
        return entries;
    }

    static List<Path> cycleFiles(Path directory) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.cq4")) {
            stream.forEach(files::add);
        }
        files.sort(null);
        return files;
    }

    /**
     * A list that runs {@code failure} on its {@code failAt}-th element access: appendTransaction
     * reads each element once to validate and once to write, so failing in the second pass tears the
     * transaction half way through the write.
     */
    static List<JournalEntry> failingOnAccess(List<JournalEntry> entries, int failAt, Runnable failure) {
        return new AbstractList<>() {
            private int accesses;

            @Override
            public JournalEntry get(int index) {
                if (++accesses == failAt) {
                    failure.run();
                }
                return entries.get(index);
            }

            @Override
            public int size() {
                return entries.size();
            }
        };
    }
}
