package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.Daemon;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.scheduler.WalSettings;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capture from the WAL with the daemon: graduation and fallback as snapshot cuts while writers
 * run throughout (some transactions spanning the cut), then the oracle; manual refreshes from
 * SQL; TRUNCATE and ALTER TABLE on a WAL source; a slot dropped behind the daemon's back.
 */
@PostgresTest
class WalCaptureTest {

    private static final String TOTALS = "SELECT grp, count(*) AS n, sum(v) AS total FROM wal_src GROUP BY grp";
    private static final String JOINED = "SELECT s.id, s.v, g.label FROM wal_src s JOIN wal_groups g ON g.grp = s.grp";

    private final TestDatabase db;
    @TempDir
    Path journal;
    private DaemonService daemon;
    /**
     * Rows of wal_src and a group no writer touches (for a negative id {@code id % 50} is
     * negative; the writers' groups are 0–4): the spanning transactions update and delete them.
     */
    private static final int SPANNING_ROW = -1;
    private static final int SPANNING_GROUP = 5;
    /** Ids of rows the writers insert, unique across the writers of a test. */
    private final AtomicInteger nextId = new AtomicInteger(100_000);

    WalCaptureTest(TestDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void install(TestDatabase db) throws SQLException {
        try (Connection connection = db.connect()) {
            CatalogInstaller.install(connection);
        }
    }

    @AfterAll
    static void dropSlot(TestDatabase db) throws SQLException {
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
    }

    @BeforeEach
    void createSources() throws Exception {
        db.execute("CREATE TABLE wal_groups (grp int PRIMARY KEY, label text NOT NULL)");
        db.execute("INSERT INTO wal_groups SELECT g, 'group ' || g FROM generate_series(0, 4) g");
        db.execute("CREATE TABLE wal_src (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL, note text)");
        db.execute("INSERT INTO wal_src SELECT g, g % 5, g, repeat('x', g % 7) FROM generate_series(1, 200) g");
        db.execute("SELECT pgtrickle.create_stream_table('wal_totals', $$" + TOTALS + "$$, schedule => '1s',"
                + " refresh_mode => 'DIFFERENTIAL')");
        db.execute("SELECT pgtrickle.create_stream_table('wal_joined', $$" + JOINED + "$$, schedule => '1s',"
                + " refresh_mode => 'DIFFERENTIAL')");
        daemon = DaemonService.start(db::connect, DaemonTest.FAST, null,
                new WalSettings(WalConnections.of(db.jdbcUrl()), journal));
        Eventually.await("the daemon to lead", () -> daemon.daemon().role() == Daemon.Role.LEADER);
        // Installing a plan recomputes a stream table without reading the journal: it must not
        // race a test's first changes (a TRUNCATE it absorbs is then no reinitialization).
        Eventually.await("the daemon to compile the stream tables", () -> db.queryLong(
                "SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE compile_status = 'COMPILED'") == 2);
    }

    @AfterEach
    void dropSources() throws SQLException {
        daemon.close();
        Teardown.dropStreamTables(db);
        db.execute("DROP TABLE IF EXISTS wal_src, wal_groups");
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
        db.execute("DROP PUBLICATION IF EXISTS pgtrickle_publication");
    }

    private String mode(String table) throws SQLException {
        return db.queryString("SELECT cdc_mode FROM pgtrickle.pgt_change_sources WHERE source_relid = '" + table + "'::regclass");
    }

    private void awaitMode(String table, String mode) throws Exception {
        try {
            Eventually.await(table + " captured by " + mode, () -> mode.equals(mode(table))
                    && db.queryLong("SELECT count(*) FROM pgtrickle.cdc_status() WHERE source = 'public." + table + "'"
                    + " AND triggers = " + mode.equals("trigger") + " AND NOT journal_pending") == 1);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; cdc_status: "
                    + queryText("SELECT string_agg(s::text, ' | ') FROM pgtrickle.cdc_status() s"), e);
        }
    }

    /** Waits until both stream tables equal their queries (the daemon refreshes them), then checks them. */
    private void awaitOracle() throws Exception {
        for (String[] table : new String[][] {{"wal_totals", TOTALS}, {"wal_joined", JOINED}}) {
            Eventually.await(table[0] + " to catch up", () -> {
                try {
                    Oracle.assertStreamTableMatchesQuery(db, table[0], table[1]);
                    return true;
                } catch (AssertionError notYet) {
                    return false;
                }
            });
        }
        Oracle.assertStreamTableMatchesQuery(db, "wal_totals", TOTALS);
        Oracle.assertStreamTableMatchesQuery(db, "wal_joined", JOINED);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "wal_totals");
        assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"),
                () -> "failed refreshes: " + queryText("SELECT string_agg(error_message, ' | ') FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"));
    }

    private String queryText(String sql) {
        try {
            return db.queryString(sql);
        } catch (SQLException e) {
            return e.getMessage();
        }
    }

    /**
     * Writers changing wal_src in multi-statement transactions (some rolled back) until stopped,
     * plus one transaction that begins once {@code spanFrom} holds, runs {@code first}, and runs
     * more and commits only once {@code spanUntil} holds: it spans the cut.
     */
    private final class Writers implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();
        private final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final CountDownLatch spanning = new CountDownLatch(1);

        Writers(int count, Eventually.Condition spanFrom, String first, Eventually.Condition spanUntil) {
            for (int i = 0; i < count; i++) {
                long seed = 42 + i;
                threads.add(new Thread(() -> write(new Random(seed)), "writer-" + i));
            }
            threads.add(new Thread(() -> span(spanFrom, first, spanUntil), "spanning-writer"));
            threads.forEach(Thread::start);
        }

        private void write(Random random) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                while (!stop.get()) {
                    for (int statement = 0, n = 1 + random.nextInt(4); statement < n; statement++) {
                        int id = 1 + random.nextInt(200);
                        switch (random.nextInt(5)) {
                            case 0 -> s.execute("INSERT INTO wal_src VALUES (" + nextId.incrementAndGet() + ", "
                                    + random.nextInt(5) + ", " + random.nextInt(1000) + ", 'new')");
                            case 1 -> s.execute("UPDATE wal_src SET v = v + 1 WHERE id % 50 = " + (id % 50));
                            case 2 -> s.execute("DELETE FROM wal_src WHERE id = (SELECT max(id) FROM wal_src WHERE id > 100000 AND id % 3 = "
                                    + random.nextInt(3) + ")");
                            case 3 -> s.execute("UPDATE wal_src SET grp = (grp + 1) % 5, note = NULL WHERE id = " + id);
                            default -> s.execute("UPDATE wal_groups SET label = label || '.' WHERE grp = " + random.nextInt(5)
                                    + " AND length(label) < 40");
                        }
                    }
                    if (random.nextInt(10) == 0) {
                        c.rollback();
                    } else {
                        c.commit();
                    }
                }
            } catch (Throwable e) {
                if (!(e instanceof SQLException sql && "40P01".equals(sql.getSQLState()))) {
                    errors.add(e);
                }
            }
        }

        private void span(Eventually.Condition from, String first, Eventually.Condition until) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                Eventually.await("the spanning transaction's start", from);
                c.setAutoCommit(false);
                s.execute(first);
                spanning.countDown();
                Eventually.await("the cut", until);
                s.execute("INSERT INTO wal_src VALUES (" + nextId.incrementAndGet() + ", 2, 2, 'after the cut')");
                s.execute("DELETE FROM wal_src WHERE id = (SELECT max(id) FROM wal_src WHERE id < 0)");
                c.commit();
            } catch (Throwable e) {
                errors.add(e);
                spanning.countDown();
            }
        }

        void awaitSpanning() throws InterruptedException {
            spanning.await();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread thread : threads) {
                thread.join();
            }
            assertTrue(errors.isEmpty(), () -> "writer errors: " + errors);
        }
    }

    /**
     * Graduation: a transaction that begins after the table joined the publication writes before
     * and after the cut (transactions running when it joined are waited for). Fallback: one that
     * began before the cut writes the source only after it (one that wrote it before would hold
     * the lock the triggers need). Writers run throughout.
     */
    @Test
    void graduationAndFallbackWhileWritersRunLoseNothing() throws Exception {
        db.execute("ALTER TABLE wal_src REPLICA IDENTITY FULL");
        // The spanning transaction writes rows and a group no other writer touches: a writer
        // waiting for its row lock inside a transaction the cut waits for would hold the cut up
        // until the spanning one gives up (a wait PostgreSQL cannot see as a deadlock).
        db.execute("INSERT INTO wal_src VALUES (" + SPANNING_ROW + ", 2, 7, 'spanning'), (" + (SPANNING_ROW - 1) + ", " + SPANNING_GROUP + ", 8, 'spanning')");
        db.execute("INSERT INTO wal_groups VALUES (" + SPANNING_GROUP + ", 'group " + SPANNING_GROUP + "')");
        awaitOracle();
        // The daemon waits for the transactions running once the table is published; one held
        // open keeps it waiting until the spanning transaction has begun after that moment (a
        // transaction beginning between the publication and the daemon's look at the running
        // ones would be waited for too, and the spanning one waits for the cut).
        try (Connection held = db.connect(); Statement holding = held.createStatement()) {
            held.setAutoCommit(false);
            holding.execute("SELECT 1");
            try (Writers writers = new Writers(3,
                    () -> String.valueOf(queryText("SELECT cdc_note FROM pgtrickle.pgt_change_sources"
                            + " WHERE source_relid = 'wal_src'::regclass")).contains("waiting for the transactions running"),
                    "UPDATE wal_src SET v = v + 1000 WHERE id = " + SPANNING_ROW,
                    () -> "wal".equals(mode("wal_src")))) {
                db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', 'wal')");
                writers.awaitSpanning();
                held.commit();
                awaitMode("wal_src", "wal");
                Thread.sleep(1500);
            }
        }
        assertEquals("trigger", mode("wal_groups"), "only the requested source graduates");
        assertFalse(db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'wal_src'::regclass"
                + " AND tgname LIKE 'pgtrickle_capture%'") > 0, "no triggers on a WAL source");
        awaitOracle();

        try (Writers writers = new Writers(3, () -> true, "UPDATE wal_groups SET label = label || '!' WHERE grp = " + SPANNING_GROUP,
                () -> "trigger".equals(mode("wal_src")))) {
            writers.awaitSpanning();
            db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', 'trigger')");
            awaitMode("wal_src", "trigger");
            Thread.sleep(1500);
        }
        awaitOracle();
        Eventually.await("wal_src to leave the publication", () -> db.queryLong(
                "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'pgtrickle_publication'") == 0);
    }

    /**
     * Both sources switched back and forth a few times while writers change both throughout, the
     * switches at seeded random moments: every cut is exact, so the stream tables end equal to
     * their queries and no refresh fails.
     */
    @Test
    void repeatedSwitchesOfBothSourcesWhileWritersRunLoseNothing() throws Exception {
        Random random = new Random(7);
        try (Writers writers = new Writers(3, () -> true, "UPDATE wal_groups SET label = label || '' WHERE grp = 0",
                () -> true)) {
            writers.awaitSpanning();
            for (int round = 0; round < 3; round++) {
                for (String mode : new String[] {"wal", "trigger"}) {
                    db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', '" + mode + "')");
                    db.execute("SELECT pgtrickle.set_cdc_mode('wal_groups', '" + mode + "')");
                    awaitMode("wal_src", mode);
                    awaitMode("wal_groups", mode);
                    Thread.sleep(100 + random.nextInt(700));
                }
            }
        }
        awaitOracle();
    }

    /**
     * A transaction elsewhere in the cluster: while it holds an xid, PostgreSQL cannot create the
     * slot, and the daemon says so instead of stalling (the other stream tables go on refreshing);
     * without an xid it does not hold the graduation up (only this database's transactions can
     * write the table).
     */
    @Test
    void aTransactionInAnotherDatabaseNeitherStallsTheDaemonNorHoldsUpAGraduation() throws Exception {
        TestDatabase other = TestDatabase.create(db.server(), "wal_other");
        try (Connection elsewhere = other.connect(); Statement statement = elsewhere.createStatement()) {
            elsewhere.setAutoCommit(false);
            statement.execute("SELECT pg_current_xact_id()");
            db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', 'wal')");
            Eventually.await("the note on the slot", () -> {
                String note = db.queryString("SELECT note FROM pgtrickle.cdc_status() WHERE source = 'public.wal_src'");
                return note != null && note.contains("cannot be created yet") && note.contains(other.databaseName());
            });
            db.execute("UPDATE wal_groups SET label = label || '!' WHERE grp = 1");
            Eventually.await("refreshes to go on meanwhile", () -> db.queryLong(
                    "SELECT count(*) FROM wal_joined WHERE label = 'group 1!'") > 0);
            elsewhere.rollback();

            statement.execute("SELECT 1");
            awaitMode("wal_src", "wal");
            elsewhere.rollback();
        } finally {
            other.drop();
        }
        db.execute("UPDATE wal_src SET v = v + 1 WHERE id % 10 = 0");
        awaitOracle();
    }

    @Test
    void aManualRefreshFromSqlIsDelegatedToTheDaemonOrFull() throws Exception {
        db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', 'wal')");
        awaitMode("wal_src", "wal");
        assertEquals("f", db.queryString("SELECT relreplident::text FROM pg_class WHERE oid = 'wal_src'::regclass"),
                "graduation sets REPLICA IDENTITY FULL");
        assertEquals("OK", db.queryString("SELECT severity FROM pgtrickle.health_check() WHERE check_name = 'wal_slot'"));
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SET pgtrickle.wal_retained_warning = '0'");
            try (java.sql.ResultSet row = s.executeQuery(
                    "SELECT severity, detail FROM pgtrickle.health_check() WHERE check_name = 'wal_slot'")) {
                row.next();
                assertEquals("WARNING", row.getString(1));
                assertTrue(row.getString(2).contains("held back by: public.wal_src"), row.getString(2));
            }
        }
        assertTrue(daemon.registry().find("pgtrickle.wal.slot.retained").gauge() != null, "slot metric");
        // With the daemon leading, a refresh from SQL is delegated to it and waits for it.
        db.execute("INSERT INTO wal_src VALUES (5000, 1, 5, 'manual')");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pgtrickle.refresh_stream_table('wal_totals')");
            SQLWarning warning = s.getWarnings();
            assertTrue(warning != null && warning.getMessage().contains("refreshed by the pgtrickle daemon"), String.valueOf(warning));
        }
        Oracle.assertStreamTableMatchesQuery(db, "wal_totals", TOTALS);

        // Where it cannot delegate (REPEATABLE READ: it would not see the daemon's commit), FULL.
        db.execute("INSERT INTO wal_src VALUES (5001, 2, 6, 'manual')");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setAutoCommit(false);
            s.execute("SELECT pgtrickle.refresh_stream_table('wal_totals')");
            SQLWarning warning = s.getWarnings();
            assertTrue(warning != null && warning.getMessage().contains("captured from the WAL"), String.valueOf(warning));
            c.commit();
        }
        assertEquals("FULL", db.queryString("SELECT action FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st"
                + " USING (pgt_id) WHERE pgt_name = 'wal_totals' AND initiated_by = 'MANUAL' ORDER BY refresh_id DESC LIMIT 1"));
        Oracle.assertStreamTableMatchesQuery(db, "wal_totals", TOTALS);
        db.execute("UPDATE wal_src SET v = v * 2 WHERE id % 4 = 0");
        awaitOracle();
        assertTrue(db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st"
                + " USING (pgt_id) WHERE pgt_name = 'wal_totals' AND initiated_by = 'SCHEDULER' AND action = 'DIFFERENTIAL'"
                + " AND changes_consumed > 0") > 0, "the daemon refreshes differentially from the journal");
    }

    /**
     * Between refreshes the daemon loads journaled changes into the buffer (the refresh then loads
     * only what arrived since) and the slot moves on without waiting for a refresh; the refresh
     * that follows consumes them exactly once.
     */
    @Test
    void changesAreLoadedAheadOfTheRefreshes() throws Exception {
        db.execute("SELECT pgtrickle.alter_stream_table(pgt_name, schedule => '1h') FROM pgtrickle.pgt_stream_tables");
        db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', 'wal')");
        awaitMode("wal_src", "wal");
        String buffer = db.queryString("SELECT 'pgtrickle_changes.' || quote_ident(buffer_table) FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = 'wal_src'::regclass");
        long lastRefresh = db.queryLong("SELECT coalesce(max(refresh_id), 0) FROM pgtrickle.pgt_refresh_history");
        String refreshesSince = "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE refresh_id > " + lastRefresh;
        db.execute("INSERT INTO wal_src SELECT g, g % 5, g, 'ahead' FROM generate_series(7000, 7099) g");
        long changed = 100 + 2 * db.queryLong("SELECT count(*) FROM wal_src WHERE id % 7 = 0") + 10;
        db.execute("UPDATE wal_src SET v = v + 1 WHERE id % 7 = 0");
        db.execute("DELETE FROM wal_src WHERE id BETWEEN 7090 AND 7099");
        String written = db.queryString("SELECT pg_current_wal_lsn()::text");
        Eventually.await("the changes in the buffer", () -> db.queryLong("SELECT count(*) FROM " + buffer) == changed);
        // Once they are in the buffer the WAL holding them is no longer needed.
        Eventually.await("the slot confirmed past the changes", () -> db.queryLong("SELECT count(*) FROM pg_replication_slots"
                + " WHERE database = current_database() AND confirmed_flush_lsn >= '" + written + "'::pg_lsn") == 1);
        assertEquals(0, db.queryLong(refreshesSince), "loaded without a refresh");
        assertTrue(daemon.registry().find("pgtrickle.wal.journal.preloaded").counter().count() >= changed, "preload metric");
        assertEquals(0.0, daemon.registry().find("pgtrickle.wal.journal.preload.failures").counters().stream()
                .mapToDouble(c -> c.count()).sum(), "no failed round yet");

        // A failing round is listed under /health until one succeeds; the refresh loads what it left.
        db.execute("ALTER TABLE " + buffer + " ADD CONSTRAINT broken_for_the_test CHECK (false) NOT VALID");
        try {
            db.execute("INSERT INTO wal_src VALUES (7200, 1, 1, 'while broken')");
            Eventually.await("the failing rounds on /health", () -> daemon.daemon().problems().stream()
                    .anyMatch(p -> p.contains("loading the journal ahead of the refreshes fails") && p.contains("broken_for_the_test")));
        } finally {
            db.execute("ALTER TABLE " + buffer + " DROP CONSTRAINT broken_for_the_test");
        }
        db.execute("INSERT INTO wal_src VALUES (7201, 2, 2, 'repaired')");
        Eventually.await("the problem cleared", () -> daemon.daemon().problems().stream()
                .noneMatch(p -> p.contains("loading the journal ahead")));
        Eventually.await("both changes in the buffer", () -> db.queryLong("SELECT count(*) FROM " + buffer) == changed + 2);

        db.execute("SELECT pgtrickle.refresh_stream_table('wal_totals')");
        db.execute("SELECT pgtrickle.refresh_stream_table('wal_joined')");
        Oracle.assertStreamTableMatchesQuery(db, "wal_totals", TOTALS);
        Oracle.assertStreamTableMatchesQuery(db, "wal_joined", JOINED);
        DifferentialRefreshTest.assertHiddenMultiplicities(db, "wal_totals");
        assertEquals(changed + 2, db.queryLong("SELECT sum(changes_consumed) FROM pgtrickle.pgt_refresh_history h"
                + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE pgt_name = 'wal_totals' AND action = 'DIFFERENTIAL'"
                + " AND refresh_id > " + lastRefresh), "each change consumed once");
    }

    @Test
    void truncateAndAlterTableOnAWalSource() throws Exception {
        db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', 'wal')");
        awaitMode("wal_src", "wal");
        db.execute("TRUNCATE wal_src");
        db.execute("INSERT INTO wal_src SELECT g, g % 3, g * 2, NULL FROM generate_series(1, 30) g");
        awaitOracle();
        assertTrue(db.queryLong("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE reason LIKE '%truncated%'") > 0,
                "a truncate reinitializes");

        db.execute("ALTER TABLE wal_src ADD COLUMN extra int DEFAULT 7");
        db.execute("UPDATE wal_src SET v = v + 1, extra = 8 WHERE id < 10");
        awaitOracle();
        db.execute("ALTER TABLE wal_src RENAME COLUMN note TO remark");
        db.execute("DELETE FROM wal_src WHERE id > 25");
        awaitOracle();
        assertEquals("wal", mode("wal_src"));
    }

    @Test
    void aSlotDroppedBehindTheDaemonsBackFallsBackAndRecomputes() throws Exception {
        db.execute("SELECT pgtrickle.set_cdc_mode('wal_src', 'wal')");
        awaitMode("wal_src", "wal");
        daemon.close();
        db.execute("INSERT INTO wal_src VALUES (6000, 2, 6, 'lost with the slot')");
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
        db.execute("UPDATE wal_src SET v = 0 WHERE id = 9");
        daemon = DaemonService.start(db::connect, DaemonTest.FAST, null,
                new WalSettings(WalConnections.of(db.jdbcUrl()), journal));
        // Fallback to triggers with a reinitialization of the readers, then, since WAL capture is
        // still requested, a new graduation with a new slot.
        Eventually.await("the readers' reinitialization", () -> db.queryLong("SELECT count(DISTINCT pgt_id)"
                + " FROM pgtrickle.pgt_refresh_history WHERE reason LIKE '%truncated%'") == 2);
        awaitOracle();
        awaitMode("wal_src", "wal");
        db.execute("DELETE FROM wal_src WHERE id < 20");
        awaitOracle();
    }

    @Test
    void theCdcCommandsSwitchAndReport() throws Exception {
        CliRun graduate = CliRun.against(db, "cdc", "graduate", "wal_src").expectExit(0);
        CliRun.assertContains(graduate.out(), "public.wal_src: captured by the WAL");
        CliRun status = CliRun.against(db, "cdc", "status").expectExit(0);
        CliRun.assertContains(status.out(), "SOURCE", "public.wal_src", "wal", "requested by an operator", "public.wal_groups");
        // The journal is where a WAL source's changes come from, not something pending.
        assertTrue(status.outLines().stream().anyMatch(line -> line.startsWith("public.wal_src") && line.contains("in use")
                && !line.contains("pending")), status::toString);
        db.execute("UPDATE wal_src SET v = v + 1 WHERE id % 3 = 0");
        awaitOracle();

        // --wait 0 asks and returns at once.
        CliRun asked = CliRun.against(db, "cdc", "fallback", "wal_src", "--wait", "0").expectExit(0);
        CliRun.assertContains(asked.out(), "requested trigger capture for 1 table(s)");
        awaitMode("wal_src", "trigger");
        CliRun.against(db, "cdc", "graduate", "wal_src").expectExit(0);

        CliRun fallback = CliRun.against(db, "cdc", "fallback", "--all").expectExit(0);
        CliRun.assertContains(fallback.out(), "public.wal_src: captured by triggers", "public.wal_groups: captured by triggers");
        CliRun.assertContains(CliRun.against(db, "cdc", "graduate", "no_such_table").expectExit(1).assertNoStackTrace().err(),
                "no_such_table");
        CliRun.against(db, "cdc", "graduate").expectExit(2);
        CliRun.assertContains(CliRun.against(db, "cdc", "graduate", "wal_src", "--wait", "-1").expectExit(1).err(), "--wait");

        daemon.close();
        CliRun queued = CliRun.against(db, "cdc", "graduate", "wal_groups").expectExit(0);
        CliRun.assertContains(queued.out(), "no pgtrickle daemon serves this database");
        assertEquals("trigger", mode("wal_groups"));
        daemon = DaemonService.start(db::connect, DaemonTest.FAST, null,
                new WalSettings(WalConnections.of(db.jdbcUrl()), journal));
        awaitMode("wal_groups", "wal");
        db.execute("UPDATE wal_groups SET label = upper(label)");
        awaitOracle();
    }

    @Test
    void autoGraduatesAfterTheFirstRefreshAndAnIdleSlotKeepsMoving() throws Exception {
        db.execute("CREATE TABLE wal_auto (id int PRIMARY KEY, v int)");
        db.execute("INSERT INTO wal_auto SELECT g, g FROM generate_series(1, 10) g");
        db.execute("SELECT pgtrickle.create_stream_table('wal_auto_st', 'SELECT id, v FROM wal_auto', schedule => '1s',"
                + " cdc_mode => 'auto')");
        awaitMode("wal_auto", "wal");
        db.execute("UPDATE wal_auto SET v = -v WHERE id < 4");
        Eventually.await("wal_auto_st to catch up", () -> db.queryLong("SELECT count(*) FROM wal_auto_st WHERE v < 0") == 3);
        Oracle.assertStreamTableMatchesQuery(db, "wal_auto_st", "SELECT id, v FROM wal_auto");

        String before = db.queryString("SELECT pg_current_wal_lsn()::text");
        Eventually.await("the idle slot to move past " + before, () -> db.queryLong(
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"
                        + " AND confirmed_flush_lsn >= '" + before + "'::pg_lsn") == 1);
        db.execute("SELECT pgtrickle.drop_stream_table('wal_auto_st')");
        db.execute("DROP TABLE wal_auto");
    }
}
