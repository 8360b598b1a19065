package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.testsupport.PostgresTest;
import dev.pgtrickle.testsupport.TestDatabase;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the daemon (the real jar, as a process) at random moments while a writer runs and
 * the source switches between trigger and WAL capture: decoding, journal writes, loads,
 * refreshes and switch steps are all cut short somewhere. Afterwards the oracle holds.
 * {@code -Dpgtrickle.wal.daemonKills=N} kills more often (default 5).
 */
@PostgresTest
class WalKillTest {

    private static final String QUERY = "SELECT grp, count(*) AS n, sum(v) AS total FROM kill_src GROUP BY grp";

    private final TestDatabase db;

    WalKillTest(TestDatabase db) {
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

    private Process serve(Path dir, int run) throws Exception {
        Path jar = ServeProcessTest.repositoryRoot().resolve("cli/target/pgtrickle.jar");
        Path log = dir.resolve("serve-" + run + ".log");
        Process process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "serve", "--jdbc-url", db.jdbcUrl(), "--journal-dir", dir.resolve("journal").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Eventually.await("the daemon to lead", () -> java.nio.file.Files.readString(log).contains("leader of database"));
        return process;
    }

    @Test
    void killedAtRandomMomentsTheDaemonLosesNothing(@TempDir Path dir) throws Exception {
        db.execute("CREATE TABLE kill_src (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
        db.execute("ALTER TABLE kill_src REPLICA IDENTITY FULL");
        db.execute("INSERT INTO kill_src SELECT g, g % 7, g FROM generate_series(1, 500) g");
        db.execute("SELECT pgtrickle.create_stream_table('kill_st', $$" + QUERY + "$$, schedule => '1s',"
                + " refresh_mode => 'DIFFERENTIAL')");
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Thread writer = new Thread(() -> write(stop, errors), "kill-writer");
        writer.start();
        Random random = new Random(7);
        int kills = Integer.getInteger("pgtrickle.wal.daemonKills", 5);
        try {
            for (int run = 0; run < kills; run++) {
                Process daemon = serve(dir, run);
                db.execute("SELECT pgtrickle.set_cdc_mode('kill_src', '" + (run % 3 == 2 ? "trigger" : "wal") + "')");
                Thread.sleep(500 + random.nextInt(3500));
                daemon.destroyForcibly();
                assertTrue(daemon.waitFor(1, TimeUnit.MINUTES));
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertTrue(errors.isEmpty(), () -> "writer errors: " + errors);
        long graduations = 0;
        for (int run = 0; run < kills; run++) {
            graduations += java.nio.file.Files.readString(dir.resolve("serve-" + run + ".log")).split("captured from the WAL", -1).length - 1;
        }
        assertTrue(graduations > 0, "some runs got as far as a graduation before the kill");

        Process daemon = serve(dir, kills);
        try {
            db.execute("SELECT pgtrickle.set_cdc_mode('kill_src', 'wal')");
            Eventually.await("WAL capture", () -> db.queryLong("SELECT count(*) FROM pgtrickle.cdc_status()"
                    + " WHERE relid = 'kill_src'::regclass AND cdc_mode = 'wal' AND NOT triggers") == 1);
            db.execute("UPDATE kill_src SET v = v + 1 WHERE id % 10 = 0");
            Eventually.await("kill_st to catch up", () -> {
                try {
                    Oracle.assertStreamTableMatchesQuery(db, "kill_st", QUERY);
                    return true;
                } catch (AssertionError notYet) {
                    return false;
                }
            }, () -> diagnosis(dir.resolve("serve-" + kills + ".log")));
            Oracle.assertStreamTableMatchesQuery(db, "kill_st", QUERY);
            DifferentialRefreshTest.assertHiddenMultiplicities(db, "kill_st");
            assertEquals(0, db.queryLong("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE status <> 'ACTIVE'"));
        } finally {
            daemon.destroy();
            assertTrue(daemon.waitFor(2, TimeUnit.MINUTES));
        }
    }

    /** The stream table's status and last refreshes, the capture's state and the daemon's last lines. */
    private String diagnosis(Path log) throws Exception {
        List<String> lines = java.nio.file.Files.readAllLines(log);
        return "status: " + DifferentialRefreshTest.rows(db, "SELECT status, consecutive_errors, last_error,"
                + " last_fallback_reason, data_timestamp FROM pgtrickle.pgt_status() WHERE name = 'public.kill_st'")
                + "\ncapture: " + DifferentialRefreshTest.rows(db, "SELECT * FROM pgtrickle.cdc_status()")
                + "\nlast refreshes: " + DifferentialRefreshTest.rows(db, "SELECT h.action, h.status, h.error_message,"
                        + " h.start_time, h.rows_inserted, h.rows_deleted FROM pgtrickle.pgt_refresh_history h"
                        + " ORDER BY h.refresh_id DESC LIMIT 5")
                + "\ndaemon log (last 40 lines):\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private void write(AtomicBoolean stop, List<Throwable> errors) {
        Random random = new Random(11);
        int next = 10_000;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            while (!stop.get()) {
                for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                    switch (random.nextInt(3)) {
                        case 0 -> s.execute("INSERT INTO kill_src VALUES (" + next++ + ", " + random.nextInt(7) + ", " + random.nextInt(100) + ")");
                        case 1 -> s.execute("UPDATE kill_src SET v = v + 1, grp = (grp + 1) % 7 WHERE id = " + (1 + random.nextInt(500)));
                        default -> s.execute("DELETE FROM kill_src WHERE id = " + (next - 1 - random.nextInt(20)));
                    }
                }
                if (random.nextInt(8) == 0) {
                    c.rollback();
                } else {
                    c.commit();
                }
                Thread.sleep(2);
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }
}
