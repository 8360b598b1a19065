package dev.pgtrickle.cdc.journal;

import static dev.pgtrickle.cdc.journal.Journals.cycleFiles;
import static dev.pgtrickle.cdc.journal.Journals.drain;
import static dev.pgtrickle.cdc.journal.Journals.readAll;
import static dev.pgtrickle.cdc.journal.Journals.transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.openhft.chronicle.core.time.SetTimeProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalReleaseTest {

    @TempDir
    Path dir;

    private final SetTimeProvider clock = Journals.clock();

    /** Five roll cycles with three transactions of two entries each; returns the first entry index of each cycle. */
    private long[] fillFiveCycles(ChangeJournal journal, List<List<JournalEntry>> perCycle) {
        long[] firstIndex = new long[5];
        long lsn = 0;
        for (int cycle = 0; cycle < 5; cycle++) {
            List<JournalEntry> entries = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                lsn += 16;
                List<JournalEntry> tx = transaction(lsn, lsn, 16384, 2);
                journal.appendTransaction(tx);
                entries.addAll(tx);
            }
            perCycle.add(entries);
            clock.advanceMillis(1_000);
        }
        journal.sync();
        try (JournalCursor cursor = journal.cursor(0)) {
            for (int cycle = 0; cycle < 5; cycle++) {
                for (int i = 0; i < 6; i++) {
                    cursor.next();
                    if (i == 0) {
                        firstIndex[cycle] = cursor.index();
                    }
                }
            }
        }
        return firstIndex;
    }

    @Test
    void releasesWholeCyclesBelowEveryConsumerAndKeepsTheRestReadable() throws Exception {
        List<List<JournalEntry>> perCycle = new ArrayList<>();
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock))) {
            long[] firstIndex = fillFiveCycles(journal, perCycle);
            assertEquals(5, cycleFiles(dir).size());
            assertEquals(0, journal.releaseCycles(), "no consumer registered: nothing is released");

            journal.markConsumed("st_orders", firstIndex[3] + 2);
            journal.markConsumed("st_revenue", firstIndex[4]);
            List<Path> before = cycleFiles(dir);
            assertEquals(3, journal.releaseCycles(), "cycles 0-2 lie below both consumers");
            List<Path> after = cycleFiles(dir);
            assertEquals(before.subList(3, 5), after);
            for (Path gone : before.subList(0, 3)) {
                assertFalse(Files.exists(gone), gone + " deleted");
            }
            assertEquals(0, journal.releaseCycles(), "nothing more to release");

            List<JournalEntry> kept = new ArrayList<>(perCycle.get(3));
            kept.addAll(perCycle.get(4));
            assertEquals(kept, readAll(journal));
            try (JournalCursor cursor = journal.cursor(firstIndex[3] + 2)) {
                assertEquals(kept.subList(2, kept.size()), drain(cursor));
            }
            assertThrows(IllegalArgumentException.class, () -> journal.cursor(0), "released");
            assertThrows(IllegalArgumentException.class, () -> journal.cursor(firstIndex[2]), "released");
            assertThrows(IllegalArgumentException.class, () -> journal.markConsumed("late", firstIndex[1]));
            assertThrows(IllegalArgumentException.class, () -> journal.cursorAfterCommitLsn(16));
            try (JournalCursor cursor = journal.cursorAfterCommitLsn(perCycle.get(2).get(5).commitLsn())) {
                assertEquals(kept, drain(cursor), "LSNs after the released ones are all kept");
            }
        }
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock))) {
            Map<String, Long> positions = journal.consumerPositions();
            assertEquals(2, positions.size(), "positions survive a restart");
            assertEquals(perCycle.get(4).get(5).commitLsn(), journal.lastCommitLsn());
            assertEquals(12, readAll(journal).size());
            assertThrows(IllegalArgumentException.class, () -> journal.cursor(0), "still released after a restart");
        }
    }

    @Test
    void neverReleasesTheNewestFileOrTheOneBeingWritten() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock))) {
            fillFiveCycles(journal, new ArrayList<>());
            journal.markConsumed("ahead", Long.MAX_VALUE);
            assertEquals(4, journal.releaseCycles());
            assertEquals(1, cycleFiles(dir).size());
            assertEquals(6, readAll(journal).size());
            clock.advanceMillis(5_000);
            journal.appendTransaction(transaction(10_000, 10_000, 1, 1));
            journal.sync();
            assertEquals(1, journal.releaseCycles(), "the old newest file goes once a newer one exists");
            assertEquals(1, readAll(journal).size());
            assertEquals(0, journal.releaseCycles());
        }
    }

    @Test
    void consumerPositionsArePersistedAndCanBeRemoved() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock))) {
            journal.markConsumed("a", 10);
            journal.markConsumed("b = with spaces: and colons", 20);
            journal.markConsumed("a", 15);
            assertThrows(IllegalArgumentException.class, () -> journal.markConsumed(" ", 1));
        }
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock))) {
            assertEquals(Map.of("a", 15L, "b = with spaces: and colons", 20L), journal.consumerPositions());
            assertTrue(journal.removeConsumer("a"));
            assertFalse(journal.removeConsumer("a"));
        }
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock))) {
            assertEquals(Map.of("b = with spaces: and colons", 20L), journal.consumerPositions());
            assertFalse(Files.exists(dir.resolve(ConsumerPositions.FILE_NAME + ".tmp")));
        }
    }

    @Test
    void transactionsSpanningSeveralCyclesAreReadWhole() throws Exception {
        clock.autoIncrement(40, java.util.concurrent.TimeUnit.MILLISECONDS); // every clock reading moves it on
        List<JournalEntry> all = new ArrayList<>();
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock))) {
            for (int t = 1; t <= 20; t++) {
                List<JournalEntry> tx = transaction(t * 100L, t, 1, 30);
                journal.appendTransaction(tx);
                all.addAll(tx);
            }
            journal.sync();
            assertTrue(cycleFiles(dir).size() > 20, "transactions were cut by rolls: " + cycleFiles(dir).size());
            assertEquals(all, readAll(journal));
            for (long lsn : new long[] {0, 100, 150, 1000, 1999}) {
                try (JournalCursor cursor = journal.cursorAfterCommitLsn(lsn)) {
                    int skip = (int) Math.min(lsn / 100, 20) * 30;
                    assertEquals(all.subList(skip, all.size()), drain(cursor), "after " + lsn);
                }
            }
            // resume and start at every entry's index: always the rest of the journal from there
            List<Long> indexes = new ArrayList<>();
            try (JournalCursor cursor = journal.cursor(0)) {
                while (cursor.next() != null) {
                    indexes.add(cursor.index());
                }
            }
            for (int i = 0; i < all.size(); i += 7) {
                try (JournalCursor cursor = journal.cursor(indexes.get(i))) {
                    assertEquals(all.subList(i, all.size()), drain(cursor), "from entry " + i);
                }
            }
            // release below the middle of a transaction: its remaining entries stay readable
            journal.markConsumed("c", indexes.get(315));
            assertTrue(journal.releaseCycles() > 0);
            try (JournalCursor cursor = journal.cursor(indexes.get(315))) {
                assertEquals(all.subList(315, all.size()), drain(cursor));
            }
        }
    }

    @Test
    void aReaderCrossesCyclesAndGaps() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir, Journals.fastCycles(clock));
             JournalCursor cursor = journal.cursor(0)) {
            List<JournalEntry> expected = new ArrayList<>();
            for (int t = 1; t <= 6; t++) {
                List<JournalEntry> tx = transaction(t * 100L, t, 1, 2);
                journal.appendTransaction(tx);
                expected.addAll(tx);
                clock.advanceMillis(t % 2 == 0 ? 3_000 : 1_000); // gaps between cycle files
            }
            journal.sync();
            assertEquals(expected, drain(cursor));
            long position = cursor.position();
            clock.advanceMillis(10_000);
            List<JournalEntry> tx = transaction(1_000, 7, 1, 1);
            journal.appendTransaction(tx);
            journal.sync();
            try (JournalCursor resumed = journal.cursor(position)) {
                assertEquals(tx, drain(resumed), "a position at the end of an old cycle resumes in a later one");
            }
            for (long lsn : new long[] {0, 150, 300, 550}) {
                try (JournalCursor byLsn = journal.cursorAfterCommitLsn(lsn)) {
                    assertEquals((lsn / 100 + 1) * 100, byLsn.next().commitLsn());
                }
            }
        }
    }
}
