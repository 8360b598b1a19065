package dev.pgtrickle.scheduler.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pgtrickle.cdc.load.JournalLoader;
import dev.pgtrickle.cdc.load.JournalSource;
import dev.pgtrickle.cdc.wal.WalCapture;
import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The steps of a graduation against a real server, with commits held where a race would put them. */
@PostgresTest
class CdcSwitchTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path journal;

    /**
     * A transaction that began after the table was published and whose commit record is written
     * before the cut, but which becomes visible only after the cut's snapshot (here: its commit
     * waits for a synchronous standby that never answers, as a commit may wait for the WAL flush):
     * its changes come from the journal, so the journal's first read must start before its commit.
     */
    @Test
    void aCommitVisibleOnlyAfterTheCutIsReadFromTheJournal(TestDatabase db) throws Exception {
        assumeTrue(db.server().startedByTests(), "holds commits server-wide with ALTER SYSTEM: not on an external server");
        try (Connection c = db.connect(); WalCapture capture = WalCapture.open(WalConnections.of(db.jdbcUrl()), journal)) {
            CatalogInstaller.install(c);
            db.execute("CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL)");
            db.execute("SELECT pgtrickle.create_stream_table('st', $$SELECT id, v FROM src$$, schedule => '1h',"
                    + " refresh_mode => 'DIFFERENTIAL')");
            long source = db.queryLong("SELECT 'src'::regclass::oid");
            String owner = db.queryString("SELECT current_user");
            c.setAutoCommit(false);
            CdcSwitch.Published published = new CdcSwitch(capture).publish(c, source, owner);

            try (Statement local = c.createStatement()) {
                local.execute("SET synchronous_commit = local"); // the cut's commit is not held
            }
            c.commit();
            try (Connection writer = db.connect(); Statement writes = writer.createStatement()) {
                writer.setAutoCommit(false);
                writes.execute("SET synchronous_commit = on"); // the test server's default is off
                writes.execute("INSERT INTO src VALUES (1, 10)");
                long writerPid = pid(writer);
                CompletableFuture<Void> commit;
                Connection probe = null;
                try {
                    probe = holdCommits(db);
                    commit = commitAsync(writer);
                    awaitHeld(db, writerPid);
                    CdcSwitch.cutToWal(c, source, published);
                } finally {
                    releaseCommits(db);
                    if (probe != null) {
                        probe.close();
                    }
                }
                commit.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            assertTrue(CdcSwitch.dropTriggers(c, source, owner));
            assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle_changes.changes_" + source),
                    "the writer's trigger rows are after the cut");

            SyncPoint now = SyncPoint.take(c);
            capture.requestFlush();
            assertTrue(capture.awaitDecoded(now.syncLsn(), PATIENCE));
            new JournalLoader(capture.journal()).load(c, JournalSource.walOnly(c), now.snapshot(), now.syncLsn(),
                    now.syncLsn());
            c.commit();
            assertEquals(List.of(1), db.queryList("SELECT id FROM pgtrickle_changes.changes_" + source).stream()
                    .map(row -> row.get("id")).toList(), "the writer's insert, loaded from the journal once");
        } finally {
            db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
        }
    }

    /**
     * From now on commits with an xid wait (after writing their commit record) for a synchronous
     * standby that does not exist, until {@link #releaseCommits}. The reload reaches the server's
     * processes one after the other: a probe's held commit shows when it is in force. Returns the
     * probe's connection, to be closed once released.
     */
    private static Connection holdCommits(TestDatabase db) throws Exception {
        db.execute("ALTER SYSTEM SET synchronous_standby_names = 'pgtrickle_nobody'");
        db.execute("SELECT pg_reload_conf()");
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            Connection probe = db.connect();
            probe.setAutoCommit(false);
            try (Statement statement = probe.createStatement()) {
                statement.execute("SET synchronous_commit = on");
                statement.execute("SELECT pg_logical_emit_message(true, 'pgtrickle.test', '')"); // an xid and WAL
            }
            long pid = pid(probe);
            CompletableFuture<Void> commit = commitAsync(probe);
            while (!commit.isDone()) {
                if (held(db, pid)) {
                    return probe;
                }
                Thread.sleep(5);
            }
            probe.close();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("commits are not held within " + PATIENCE);
            }
        }
    }

    private static void releaseCommits(TestDatabase db) throws SQLException {
        db.execute("ALTER SYSTEM RESET synchronous_standby_names");
        db.execute("SELECT pg_reload_conf()");
    }

    private static CompletableFuture<Void> commitAsync(Connection c) {
        return CompletableFuture.runAsync(() -> {
            try {
                c.commit();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void awaitHeld(TestDatabase db, long pid) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!held(db, pid)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the commit is not held within " + PATIENCE);
            }
            Thread.sleep(10);
        }
    }

    private static boolean held(TestDatabase db, long pid) throws SQLException {
        return db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND wait_event = 'SyncRep'") > 0;
    }

    private static long pid(Connection c) throws SQLException {
        try (Statement statement = c.createStatement(); var row = statement.executeQuery("SELECT pg_backend_pid()")) {
            row.next();
            return row.getLong(1);
        }
    }
}
