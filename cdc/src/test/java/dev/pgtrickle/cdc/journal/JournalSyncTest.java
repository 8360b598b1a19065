package dev.pgtrickle.cdc.journal;

import static dev.pgtrickle.cdc.journal.Journals.cycleFiles;
import static dev.pgtrickle.cdc.journal.Journals.readAll;
import static dev.pgtrickle.cdc.journal.Journals.transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.cdc.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.time.SetTimeProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalSyncTest {

    @TempDir
    Path root;

    /** Records what was forced, then forces it for real. */
    static final class RecordingSync extends FileSync {
        final List<String> calls = new ArrayList<>();

        @Override
        void force(Path file) throws IOException {
            calls.add("file " + file.getFileName());
            super.force(file);
        }

        @Override
        void forceDirectory(Path directory) throws IOException {
            calls.add("dir " + directory.getFileName());
            super.forceDirectory(directory);
        }

        List<String> take() {
            List<String> taken = List.copyOf(calls);
            calls.clear();
            return taken;
        }
    }

    @Test
    void syncForcesEveryFileWrittenSinceTheLastSyncAndNewFilesNames() throws Exception {
        Path dir = root.resolve("journal");
        SetTimeProvider clock = Journals.clock();
        RecordingSync sync = new RecordingSync();
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock).withFileSync(sync))) {
            assertTrue(sync.take().contains("dir " + root.getFileName()), "a new directory's name is made durable");

            long commit = journal.appendTransaction(transaction(10, 1, 1, 3));
            assertEquals(SyncMode.SYNC, journal.chronicleSyncMode(), "Chronicle's msync blocks (MS_SYNC), not ASYNC");
            journal.sync();
            String first = "file " + cycleFiles(dir).get(0).getFileName();
            assertEquals(List.of(first, "file metadata.cq4t", "dir journal"), sync.take(), "a new file: its name too");
            assertEquals(commit, journal.chronicleLastIndexMSynced(), "Chronicle's appender synced through the COMMIT");

            commit = journal.appendTransaction(transaction(20, 2, 1, 3));
            journal.sync();
            assertEquals(List.of(first), sync.take());
            assertEquals(commit, journal.chronicleLastIndexMSynced());

            journal.sync();
            assertEquals(List.of(), sync.take(), "nothing appended, nothing to force");

            clock.advanceMillis(1_000);
            journal.appendTransaction(transaction(30, 3, 1, 3));
            journal.sync();
            String second = "file " + cycleFiles(dir).get(1).getFileName();
            assertEquals(List.of(first, second, "file metadata.cq4t", "dir journal"), sync.take(),
                    "a roll: the old file (its end marker), the new one and the new name");

            journal.markConsumed("c", 0);
            assertEquals(List.of("dir journal"), sync.take(), "positions are renamed into place, then the directory forced");
        }
    }

    @Test
    void whatWasSyncedSurvivesAKilledWriterAndItsTornTailIsIgnored() throws Exception {
        Path dir = root.resolve("journal");
        File log = root.resolve("writer.log").toFile();
        Process writer = ChildJvm.start(JournalCrashWriter.class, log, dir.toString());
        assertTrue(writer.waitFor(5, TimeUnit.MINUTES), "the writer finishes");
        assertEquals(JournalCrashWriter.EXIT_CODE, writer.exitValue(), () -> "writer output:\n" + read(log));

        int complete = JournalCrashWriter.SYNCED + JournalCrashWriter.UNSYNCED;
        int torn = complete + 1;
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            assertEquals(JournalCrashWriter.lsn(complete), journal.lastCommitLsn(),
                    "the last complete transaction; the torn one does not count");
            List<JournalEntry> read = readAll(journal);
            assertEquals(complete * JournalCrashWriter.ROWS, read.size());
            for (int t = 1; t <= complete; t++) {
                assertEquals(transaction(JournalCrashWriter.lsn(t), t, 16384, JournalCrashWriter.ROWS),
                        read.subList((t - 1) * JournalCrashWriter.ROWS, t * JournalCrashWriter.ROWS));
            }
            // the restarted decoder writes the torn transaction again
            journal.appendTransaction(transaction(JournalCrashWriter.lsn(torn), torn, 16384, JournalCrashWriter.TORN_ROWS));
            journal.sync();
            read = readAll(journal);
            assertEquals(complete * JournalCrashWriter.ROWS + JournalCrashWriter.TORN_ROWS, read.size());
            assertEquals(transaction(JournalCrashWriter.lsn(torn), torn, 16384, JournalCrashWriter.TORN_ROWS),
                    read.subList(complete * JournalCrashWriter.ROWS, read.size()));
        }
    }

    private static String read(File file) {
        try {
            return Files.readString(file.toPath());
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
