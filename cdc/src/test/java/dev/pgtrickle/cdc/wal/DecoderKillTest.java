package dev.pgtrickle.cdc.wal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.cdc.ChildJvm;
import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the decoder at random moments (decoding, journal writes, syncs, confirmations) while
 * writers run: after a last catch-up the journal still replays exactly to the table — nothing
 * lost, nothing twice.
 */
@PostgresTest
class DecoderKillTest {

    /** Kills per run; more with -Dpgtrickle.wal.kills=N. */
    private static final int KILLS = Integer.getInteger("pgtrickle.wal.kills", 6);

    @TempDir
    Path dir;

    private final TestDatabase db;
    DecoderKillTest(TestDatabase db) {
        this.db = db;
    }

    @Test
    void killedDecodersLoseNothingAndWriteNothingTwice() throws Exception {
        try (CapturedTable captured = CapturedTable.create(db, "k", "id bigint PRIMARY KEY, v text, big text")) {
            run(captured);
        }
    }

    private void run(CapturedTable captured) throws Exception {
        PublicationAndSlot names = captured.names;
        long oid = captured.oid;
        Path journalDir = dir.resolve("journal");
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> write(writing), "kill-test-writer");
        writer.start();
        Random random = new Random(42);
        try {
            for (int kill = 0; kill < KILLS; kill++) {
                File log = dir.resolve("decoder-" + kill + ".log").toFile();
                Process decoder = ChildJvm.start(DecoderMain.class, log, db.jdbcUrl(), journalDir.toString());
                // The first decoder lives long enough to journal something even when a loaded
                // machine is slow to start a JVM; the later ones are killed at random moments.
                Thread.sleep((kill == 0 ? 10_000 : 800) + random.nextInt(1500));
                assertTrue(decoder.isAlive(), () -> "the decoder died by itself:\n" + read(log));
                decoder.destroyForcibly();
                assertTrue(decoder.waitFor(1, TimeUnit.MINUTES), "killed");
            }
        } finally {
            writing.set(false);
            writer.join();
        }
        try (ChangeJournal journal = ChangeJournal.open(journalDir)) {
            assertTrue(WalDecoderTest.entries(journal).size() > 0, "the killed decoders journaled changes");
            WalDecoderTest.Running running = new WalDecoderTest.Running(db, names, journal);
            try (running) {
                running.catchUp();
            }
            WalDecoderTest.assertReplayEqualsTable(db, journal, oid, "SELECT id::text, v, big FROM k");
        }
    }

    /** Small transactions of inserts, updates and deletes, some multi-statement, until told to stop. */
    private void write(AtomicBoolean writing) {
        Random random = new Random(7);
        long next = 1;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            while (writing.get()) {
                int statements = 1 + random.nextInt(3);
                for (int i = 0; i < statements; i++) {
                    switch (random.nextInt(5)) {
                        case 0, 1 -> {
                            s.execute("INSERT INTO k SELECT g, 'v' || g, CASE WHEN g % 50 = 0 THEN repeat(md5(g::text), 300) END "
                                    + "FROM generate_series(" + next + ", " + (next + 9) + ") g");
                            next += 10;
                        }
                        case 2 -> s.execute("UPDATE k SET v = v || '+' WHERE id % 17 = " + random.nextInt(17));
                        case 3 -> s.execute("DELETE FROM k WHERE id % 31 = " + random.nextInt(31));
                        default -> s.execute("UPDATE k SET id = id + 1000000 WHERE id = " + (1 + random.nextInt((int) next)));
                    }
                }
                if (random.nextInt(10) == 0) {
                    c.rollback();
                } else {
                    c.commit();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(File file) {
        try {
            return Files.readString(file.toPath());
        } catch (java.io.IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
