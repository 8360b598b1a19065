package dev.pgtrickle.cdc.journal;

import static dev.pgtrickle.cdc.journal.Journals.drain;
import static dev.pgtrickle.cdc.journal.Journals.readAll;
import static dev.pgtrickle.cdc.journal.Journals.transaction;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangeJournalTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsEveryActionWithNullsEmptyStringsNonAsciiAndManyColumns() throws Exception {
        String[] wide = new String[1200];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = i % 3 == 0 ? null : i % 3 == 1 ? "" : "col" + i;
        }
        List<JournalEntry> tx = List.of(
                JournalEntry.insert(100, 7, 16384, "1", "plain", null, ""),
                JournalEntry.delete(100, 7, 16384, "2", "Grüße 日本語 😀 \u0000-free\ttext", "", null),
                JournalEntry.truncate(100, 7, 16390),
                new JournalEntry(100, 7, 0x8000_0001, 'I', wide),
                JournalEntry.insert(100, 7, 16384));
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            long commitIndex = journal.appendTransaction(tx);
            assertTrue(commitIndex > 0);
            journal.sync();
            assertEquals(tx, readAll(journal));
        }
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            assertEquals(tx, readAll(journal), "the same after reopening");
        }
    }

    @Test
    void hundredThousandEntriesComeBackInOrder() throws Exception {
        List<JournalEntry> expected = new ArrayList<>();
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            for (int t = 1; t <= 10_000; t++) {
                List<JournalEntry> tx = transaction(1000L * t, 5_000_000_000L + t, 16384, 10);
                journal.appendTransaction(tx);
                expected.addAll(tx);
            }
            journal.sync();
            try (JournalCursor cursor = journal.cursor(0)) {
                long previous = -1;
                int n = 0;
                for (JournalEntry entry; (entry = cursor.next()) != null; n++) {
                    assertEquals(expected.get(n), entry);
                    assertTrue(cursor.index() > previous, "indexes increase");
                    previous = cursor.index();
                }
                assertEquals(100_000, n);
            }
        }
    }

    @Test
    void lastCommitLsnOnEmptyAfterAppendsAndAfterReopen() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            assertEquals(0, journal.lastCommitLsn());
            assertEquals(-1, journal.appendTransaction(List.of()), "an empty transaction writes nothing");
            assertEquals(0, journal.lastCommitLsn());
            journal.appendTransaction(transaction(0x16_0000_0100L, 900, 1, 3));
            journal.appendTransaction(transaction(0x16_0000_0200L, 901, 1, 1));
            assertEquals(0x16_0000_0200L, journal.lastCommitLsn());
        }
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            assertEquals(0x16_0000_0200L, journal.lastCommitLsn());
            assertEquals(4, readAll(journal).size(), "close syncs");
        }
    }

    @Test
    void rejectsTransactionsOutOfOrderOrMixed() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            journal.appendTransaction(transaction(500, 1, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> journal.appendTransaction(transaction(500, 1, 1, 1)),
                    "already journaled");
            assertThrows(IllegalArgumentException.class, () -> journal.appendTransaction(transaction(400, 2, 1, 1)));
            List<JournalEntry> mixed = List.of(JournalEntry.insert(600, 3, 1, "a"), JournalEntry.insert(600, 4, 1, "b"));
            assertThrows(IllegalArgumentException.class, () -> journal.appendTransaction(mixed));
            assertEquals(500, journal.lastCommitLsn());
            journal.sync();
            assertEquals(1, readAll(journal).size());
        }
    }

    @Test
    void cursorsSeeOnlySyncedTransactionsAndFollowTheWriter() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir); JournalCursor cursor = journal.cursor(0)) {
            journal.appendTransaction(transaction(10, 1, 1, 2));
            assertNull(cursor.next(), "not synced yet");
            journal.sync();
            assertEquals(2, drain(cursor).size());
            journal.appendTransaction(transaction(20, 2, 1, 3));
            journal.sync();
            journal.appendTransaction(transaction(30, 3, 1, 4));
            List<JournalEntry> next = drain(cursor);
            assertEquals(3, next.size());
            assertTrue(next.stream().allMatch(e -> e.commitLsn() == 20));
            journal.sync();
            assertEquals(4, drain(cursor).size());
        }
    }

    @Test
    void aPositionResumesExactlyWhereTheCursorStood() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            List<JournalEntry> all = new ArrayList<>();
            for (int t = 1; t <= 50; t++) {
                List<JournalEntry> tx = transaction(t * 10L, t, 1, t % 4 + 1);
                journal.appendTransaction(tx);
                all.addAll(tx);
            }
            journal.sync();
            for (int stop : new int[] {0, 1, 2, 37, all.size() - 1, all.size()}) {
                long position;
                try (JournalCursor cursor = journal.cursor(0)) {
                    for (int i = 0; i < stop; i++) {
                        assertNotNull(cursor.next());
                    }
                    position = cursor.position();
                }
                try (JournalCursor resumed = journal.cursor(position)) {
                    assertEquals(all.subList(stop, all.size()), drain(resumed), "resumed after " + stop);
                }
            }
        }
    }

    @Test
    void aCursorMayStartInsideATransaction() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            List<JournalEntry> tx = transaction(10, 1, 1, 6);
            journal.appendTransaction(tx);
            journal.appendTransaction(transaction(20, 2, 1, 2));
            journal.sync();
            long thirdIndex;
            try (JournalCursor cursor = journal.cursor(0)) {
                cursor.next();
                cursor.next();
                cursor.next();
                thirdIndex = cursor.index();
            }
            try (JournalCursor cursor = journal.cursor(thirdIndex)) {
                List<JournalEntry> read = drain(cursor);
                assertEquals(tx.subList(2, 6), read.subList(0, 4));
                assertEquals(6, read.size());
            }
        }
    }

    @Test
    void cursorAfterCommitLsnStartsAtTheNextTransaction() throws Exception {
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            for (int t = 1; t <= 300; t++) {
                journal.appendTransaction(transaction(t * 10L, t, 1, t % 3 + 1));
            }
            journal.sync();
            for (long lsn : new long[] {0, 5, 10, 15, 1500, 2995, 2999}) {
                try (JournalCursor cursor = journal.cursorAfterCommitLsn(lsn)) {
                    JournalEntry first = cursor.next();
                    assertEquals((lsn / 10 + 1) * 10, first.commitLsn(), "after " + lsn);
                }
            }
            try (JournalCursor cursor = journal.cursorAfterCommitLsn(3000)) {
                assertNull(cursor.next());
                journal.appendTransaction(transaction(3010, 301, 1, 2));
                journal.sync();
                assertEquals(transaction(3010, 301, 1, 2), drain(cursor), "later transactions are read");
            }
        }
    }

    @Test
    void aLargeTransactionIsWrittenAndReadWhole() throws Exception {
        List<JournalEntry> big = transaction(0x20_0000_0000L, 123_456_789_012L, 16400, 200_000);
        try (ChangeJournal journal = ChangeJournal.open(dir)) {
            journal.appendTransaction(transaction(0x10_0000_0000L, 1, 1, 1));
            journal.appendTransaction(big);
            journal.appendTransaction(transaction(0x30_0000_0000L, 2, 1, 1));
            journal.sync();
            List<JournalEntry> read = readAll(journal);
            assertEquals(200_002, read.size());
            assertEquals(big, read.subList(1, 200_001));
        }
    }

    @Test
    void entriesLargerThanAnExcerptAreWrittenInParts() throws Exception {
        String large = "x".repeat(5_000) + "é".repeat(3_000);
        JournalEntry huge = JournalEntry.insert(10, 1, 1, "k", large, null, large);
        List<JournalEntry> tx = List.of(JournalEntry.insert(10, 1, 1, "small"), huge, JournalEntry.delete(10, 1, 1, "d"));
        // a clock that stands still keeps every excerpt in one roll cycle, where indexes are consecutive
        JournalSettings settings = Journals.fastCycles(Journals.clock()).withMaxExcerptPayload(1_000);
        try (ChangeJournal journal = ChangeJournal.open(dir, settings)) {
            journal.appendTransaction(tx);
            journal.appendTransaction(transaction(20, 2, 1, 2));
            journal.sync();
            List<JournalEntry> read = readAll(journal);
            assertEquals(tx, read.subList(0, 3));
            long hugeIndex;
            try (JournalCursor cursor = journal.cursor(0)) {
                cursor.next();
                assertEquals(huge, cursor.next());
                hugeIndex = cursor.index();
                assertEquals(tx.get(2), cursor.next());
                assertTrue(cursor.index() > hugeIndex + 10, "the large entry took several excerpts");
            }
            try (JournalCursor cursor = journal.cursor(hugeIndex + 1)) {
                assertEquals(tx.get(2), cursor.next(), "a cursor starting inside its parts skips that entry");
            }
        }
    }

    @Test
    void aTornTransactionIsNeverReadAndItsRewriteIsReadOnce() throws Exception {
        List<JournalEntry> first = transaction(100, 1, 1, 3);
        List<JournalEntry> torn = transaction(200, 2, 1, 10);
        List<JournalEntry> later = transaction(300, 3, 1, 2);
        JournalSettings settings = Journals.fastCycles(Journals.clock()); // one cycle: consecutive indexes
        try (ChangeJournal journal = ChangeJournal.open(dir, settings)) {
            journal.appendTransaction(first);
            // validation reads 1 + 10 elements; the write fails at its 5th
            List<JournalEntry> failing = Journals.failingOnAccess(torn, 1 + 10 + 5, () -> {
                throw new IllegalStateException("writer died");
            });
            assertThrows(IllegalStateException.class, () -> journal.appendTransaction(failing));
            assertEquals(100, journal.lastCommitLsn(), "the torn copy does not count");
            journal.sync();
            try (JournalCursor cursor = journal.cursor(0)) {
                assertEquals(first, drain(cursor), "the torn copy is pending, not read");
                journal.appendTransaction(torn);
                journal.appendTransaction(later);
                journal.sync();
                List<JournalEntry> rest = drain(cursor);
                assertEquals(torn.size() + later.size(), rest.size());
                assertEquals(torn, rest.subList(0, torn.size()));
            }
            List<JournalEntry> expected = new ArrayList<>(first);
            expected.addAll(torn);
            expected.addAll(later);
            assertEquals(expected, readAll(journal));
            // a cursor starting inside the torn copy skips it
            try (JournalCursor cursor = journal.cursor(0)) {
                for (int i = 0; i < first.size(); i++) {
                    cursor.next();
                }
                long tornEntry = cursor.position() + 3; // first's COMMIT, torn BEGIN, torn entries...
                try (JournalCursor inside = journal.cursor(tornEntry)) {
                    assertEquals(torn.get(0), inside.next());
                }
            }
        }
        try (ChangeJournal journal = ChangeJournal.open(dir, settings)) {
            assertEquals(300, journal.lastCommitLsn());
            assertEquals(first.size() + torn.size() + later.size(), readAll(journal).size());
        }
    }

    @Test
    void aClosedJournalRefusesWork() throws Exception {
        ChangeJournal journal = ChangeJournal.open(dir);
        journal.close();
        journal.close();
        assertThrows(IllegalStateException.class, () -> journal.appendTransaction(transaction(1, 1, 1, 1)));
        assertThrows(IllegalStateException.class, journal::sync);
    }
}
