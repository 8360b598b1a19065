package dev.pgtrickle.cdc.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.cdc.journal.JournalEntry;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading journal changes into a change buffer, with a journal written by hand: which
 * transactions a load takes, and where the next load starts reading.
 */
@PostgresTest
class JournalLoaderTest {

    @TempDir
    Path directory;

    /**
     * A transaction whose commit record precedes the LSN read before the snapshot, but which became
     * visible only after the snapshot: the next load must still find it (reading from that LSN on
     * would skip it for good).
     */
    @Test
    void aTransactionCommittedBeforeTheLsnButNotYetVisibleIsLoadedNextTime(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); ChangeJournal journal = ChangeJournal.open(directory)) {
            CatalogInstaller.install(c);
            db.execute("CREATE TABLE src (id int PRIMARY KEY, v int)");
            db.execute("SELECT pgtrickle._ensure_change_buffer('src'::regclass)");
            db.execute("UPDATE pgtrickle.pgt_change_sources SET cdc_mode = 'wal', wal_loaded = '100:100:',"
                    + " wal_loaded_lsn = '0/10' WHERE source_relid = 'src'::regclass");
            int relation = (int) db.queryLong("SELECT 'src'::regclass::oid");
            journal.appendTransaction(List.of(JournalEntry.schema(0x20, 100, relation, "id", "v"),
                    JournalEntry.insert(0x20, 100, relation, "1", "10")));
            journal.appendTransaction(List.of(JournalEntry.schema(0x30, 101, relation, "id", "v"),
                    JournalEntry.insert(0x30, 101, relation, "2", "20")));
            journal.sync();
            String buffer = "pgtrickle_changes." + JournalSource.walOnly(c).get(0).buffer();

            // Sees 100, not 101 (still in progress for it), though 101's commit LSN is below 0x38.
            c.setAutoCommit(false);
            assertEquals(0x2F, load(c, journal, "101:102:101", 0x40, 0x38).readFrom());
            assertEquals(List.of(1L), ids(db, buffer));
            assertEquals("0/2F", db.queryString("SELECT wal_loaded_lsn::text FROM pgtrickle.pgt_change_sources"),
                    "the next read starts before 101's commit");

            assertEquals(new JournalLoader.Loaded(1, 0x48), load(c, journal, "102:102:", 0x50, 0x48));
            assertEquals(List.of(1L, 2L), ids(db, buffer), "101 loaded by the next load, once");
            assertEquals("0/48", db.queryString("SELECT wal_loaded_lsn::text FROM pgtrickle.pgt_change_sources"));
        }
    }

    private static JournalLoader.Loaded load(Connection c, ChangeJournal journal, String snapshot, long nowLsn,
                                             long lsnBefore) throws Exception {
        JournalLoader.Loaded loaded = new JournalLoader(journal).load(c, JournalSource.walOnly(c), Snapshot.parse(snapshot),
                nowLsn, lsnBefore);
        c.commit();
        return loaded;
    }

    private static List<Long> ids(TestDatabase db, String buffer) throws Exception {
        return db.queryList("SELECT id FROM " + buffer + " ORDER BY id").stream()
                .map(row -> ((Number) row.get("id")).longValue()).toList();
    }
}
