package dev.pgtrickle.benchmarks;

import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.scheduler.WalSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * How the latency benchmark's source table is captured ({@link LatencyOptions.Capture}). With
 * triggers there is nothing to do: the first stream table over the table installs them. With the
 * WAL, the daemon gets a journal in a temporary directory ({@link #walSettings()}), the table is
 * graduated before anything is measured ({@link #establish}), and closing — after the daemon has
 * stopped — drops pgtrickle's slot and publication (a slot holds WAL back for as long as it
 * exists, on an existing server too) and deletes the journal.
 */
final class SourceCapture implements AutoCloseable {

    /** The daemon switches within a few seconds; more than this means it cannot (see the note). */
    private static final Duration GRADUATION_LIMIT = Duration.ofMinutes(2);

    private final LatencyOptions.Capture mode;
    private final String jdbcUrl;
    /** The daemon's journal directory; {@code null} with trigger capture. */
    private final Path journal;

    private SourceCapture(LatencyOptions.Capture mode, String jdbcUrl, Path journal) {
        this.mode = mode;
        this.jdbcUrl = jdbcUrl;
        this.journal = journal;
    }

    static SourceCapture prepare(LatencyOptions.Capture mode, String jdbcUrl) throws IOException {
        Path journal = mode == LatencyOptions.Capture.WAL ? Files.createTempDirectory("pgtrickle-latency-journal") : null;
        return new SourceCapture(mode, jdbcUrl, journal);
    }

    /** What {@code DaemonService.start} needs to capture from the WAL, or {@code null} for triggers only. */
    WalSettings walSettings() {
        return journal == null ? null : new WalSettings(WalConnections.of(jdbcUrl), journal);
    }

    /**
     * Returns once {@code table} is captured the chosen way. For the WAL: asks for it and waits
     * until the daemon has made the switch — the catalog says {@code wal} and the capture triggers
     * are gone, so that no measured write still pays for a trigger.
     *
     * @return how long the switch took after the request (zero for triggers)
     */
    Duration establish(Db db, String table) throws SQLException, InterruptedException {
        if (mode == LatencyOptions.Capture.TRIGGER) {
            return Duration.ZERO;
        }
        long start = System.nanoTime();
        try (PreparedStatement request = db.prepare("SELECT pgtrickle.set_cdc_mode(?::regclass, 'wal')")) {
            request.setString(1, table);
            request.execute();
        }
        long deadline = start + GRADUATION_LIMIT.toNanos();
        while (!graduated(db, table)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the daemon did not graduate " + table + " to WAL capture within "
                        + GRADUATION_LIMIT.toSeconds() + " s; cdc_status: " + describe(db, table));
            }
            Thread.sleep(50);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static boolean graduated(Db db, String table) throws SQLException {
        try (PreparedStatement check = db.prepare("SELECT (SELECT cdc_mode FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = ?::regclass) = 'wal' AND (SELECT NOT triggers FROM pgtrickle.cdc_status()"
                + " WHERE relid = ?::regclass)")) {
            check.setString(1, table);
            check.setString(2, table);
            try (ResultSet row = check.executeQuery()) {
                return row.next() && row.getBoolean(1);
            }
        }
    }

    /** The table's capture as {@code pgtrickle.cdc_status()} shows it, for the report and errors. */
    static String describe(Db db, String table) throws SQLException {
        try (PreparedStatement status = db.prepare("SELECT format('%s (target %s: %s), capture triggers %s%s', cdc_mode,"
                + " target, why, CASE WHEN triggers THEN 'installed' ELSE 'none' END,"
                + " coalesce('; note: ' || note, '')) FROM pgtrickle.cdc_status() WHERE relid = ?::regclass")) {
            status.setString(1, table);
            try (ResultSet row = status.executeQuery()) {
                return row.next() ? row.getString(1) : "not a captured source";
            }
        }
    }

    /**
     * Call after the daemon has stopped: a slot in use cannot be dropped (its walsender lets it go
     * a moment after the daemon's replication connection closes; {@link WalSlots} waits for that).
     */
    @Override
    public void close() throws SQLException, IOException {
        if (journal == null) {
            return;
        }
        try (Db db = Db.connect(jdbcUrl)) {
            WalSlots.existing(db).close();
        } finally {
            RunningDecoder.deleteRecursively(journal);
        }
    }
}
