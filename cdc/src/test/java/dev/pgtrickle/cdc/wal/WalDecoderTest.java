package dev.pgtrickle.cdc.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.cdc.journal.JournalCursor;
import dev.pgtrickle.cdc.journal.JournalEntry;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoder against a real slot: replaying the journal (+1 per 'I', -1 per 'D', empty on 'T')
 * must give exactly the table's rows, across a decoder restart, with the writers' xids.
 */
@PostgresTest
class WalDecoderTest {

    @TempDir
    Path journalDir;

    private final TestDatabase db;
    WalDecoderTest(TestDatabase db) {
        this.db = db;
    }

    /** A decoder on a thread of the test JVM. */
    static final class Running implements AutoCloseable {
        final TestDatabase db;
        final WalDecoder decoder;
        final Thread thread;

        Running(TestDatabase db, PublicationAndSlot names, ChangeJournal journal) {
            this.db = db;
            decoder = new WalDecoder(WalConnections.of(db.jdbcUrl()), names, journal, Duration.ofMillis(100));
            thread = new Thread(decoder, "wal-decoder-test");
            thread.start();
        }

        /** Waits until everything committed so far is journaled. */
        void catchUp() throws Exception {
            long target = lsn(db.queryString("SELECT pg_current_wal_insert_lsn()::text"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (Long.compareUnsigned(decoder.decodedThrough(), target) < 0) {
                if (System.nanoTime() > deadline) {
                    fail("the decoder did not reach " + target + " (at " + decoder.decodedThrough() + ")");
                }
                Thread.sleep(20);
            }
        }

        @Override
        public void close() throws InterruptedException {
            decoder.stop();
            assertTrue(decoder.awaitStopped(Duration.ofSeconds(60)), "decoder stopped");
        }
    }

    private static long lsn(String text) {
        return org.postgresql.replication.LogSequenceNumber.valueOf(text).asLong();
    }

    @Test
    void theJournalReplaysToTheTableAcrossARestart() throws Exception {
        try (CapturedTable captured = CapturedTable.create(db, "w", "id int PRIMARY KEY, v text, big text")) {
            run(captured);
        }
    }

    private void run(CapturedTable captured) throws Exception {
        PublicationAndSlot names = captured.names;
        long oid = captured.oid;
        long knownXid;
        try (ChangeJournal journal = ChangeJournal.open(journalDir)) {
            try (Running running = new Running(db, names, journal)) {
                knownXid = writeSome(new Random(1), 0);
                running.catchUp();
            }
            // Written while no decoder runs: the slot keeps it.
            writeSome(new Random(2), 1000);
        }
        try (ChangeJournal journal = ChangeJournal.open(journalDir); Running running = new Running(db, names, journal)) {
            writeSome(new Random(3), 2000);
            running.catchUp();
            assertReplayEqualsTable(db, journal, oid, "SELECT id::text, v, big FROM w");
            assertTrue(entries(journal).stream().anyMatch(e -> e.xid() == knownXid), "the writer's xid8 is kept");
        }
    }

    /** Random inserts, updates (some of a TOASTed column's row), deletes, a rollback; returns one writer xid. */
    private long writeSome(Random random, int base) throws SQLException {
        long xid;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("INSERT INTO w SELECT " + base + " + g, 'v' || g, CASE WHEN g % 10 = 0 THEN repeat(md5(g::text), 400) END "
                    + "FROM generate_series(1, 200) g");
            try (ResultSet row = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
                row.next();
                xid = row.getLong(1);
            }
            c.commit();
            for (int i = 0; i < 30; i++) {
                int id = base + 1 + random.nextInt(200);
                switch (random.nextInt(4)) {
                    case 0 -> s.execute("UPDATE w SET v = v || 'x' WHERE id = " + id);
                    case 1 -> s.execute("DELETE FROM w WHERE id = " + id);
                    case 2 -> s.execute("UPDATE w SET v = NULL, id = id + 100000 WHERE id = " + id);
                    default -> s.execute("UPDATE w SET v = 'ü€' WHERE id % 10 = " + (id % 10) + " AND id BETWEEN " + base
                            + " AND " + (base + 200));
                }
                c.commit();
            }
            s.execute("INSERT INTO w VALUES (" + (base + 999) + ", 'rolled back', NULL)");
            c.rollback();
        }
        return xid;
    }

    static List<JournalEntry> entries(ChangeJournal journal) {
        List<JournalEntry> all = new ArrayList<>();
        try (JournalCursor cursor = journal.cursor(0)) {
            for (JournalEntry entry; (entry = cursor.next()) != null; ) {
                all.add(entry);
            }
        }
        return all;
    }

    private static List<String> key(JournalEntry entry) {
        return java.util.Arrays.stream(entry.values()).map(v -> v == null ? "\0null" : v).toList();
    }

    /** Replaying the journal's entries of the table gives exactly the rows of {@code query}. */
    static void assertReplayEqualsTable(TestDatabase db, ChangeJournal journal, long oid, String query) throws SQLException {
        Map<List<String>, Integer> replay = new HashMap<>();
        long describedXid = -1;
        for (JournalEntry entry : entries(journal)) {
            if (entry.relationOid() != (int) oid) {
                continue;
            }
            if (entry.action() == 'S') {
                assertTrue(entry.columnCount() > 0, "a schema entry names the columns");
                describedXid = entry.xid();
                continue;
            }
            assertEquals(describedXid, entry.xid(), "a transaction's changes follow its schema entry");
            switch (entry.action()) {
                case 'T' -> replay.clear();
                case 'I' -> replay.merge(key(entry), 1, Integer::sum);
                default -> replay.merge(key(entry), -1, Integer::sum);
            }
        }
        replay.values().removeIf(count -> count == 0);
        replay.forEach((row, count) -> assertTrue(count > 0, "negative multiplicity " + count + " of " + row));
        Map<List<String>, Integer> table = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery(query)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rows.getString(i) == null ? "\0null" : rows.getString(i));
                }
                table.merge(row, 1, Integer::sum);
            }
        }
        assertEquals(table.size(), replay.size(), "distinct rows");
        assertEquals(table, replay);
    }
}
