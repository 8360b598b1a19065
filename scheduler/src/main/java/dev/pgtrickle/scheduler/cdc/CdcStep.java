package dev.pgtrickle.scheduler.cdc;

import dev.pgtrickle.cdc.journal.ChangeJournal;
import dev.pgtrickle.cdc.journal.JournalCursor;
import dev.pgtrickle.cdc.wal.PublicationAndSlot;
import dev.pgtrickle.cdc.wal.WalCapture;
import dev.pgtrickle.core.jdbc.ServerErrors;
import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import dev.pgtrickle.scheduler.run.Backoff;
import dev.pgtrickle.scheduler.run.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves sources between trigger and WAL capture, a step per tick, never blocking the daemon's
 * loop: a graduation publishes the table, waits (across ticks) for the transactions that were
 * running then, cuts, and drops the triggers once their lock is free; a fallback cuts back in one
 * transaction. Also watches the slot (lost or dropped: every WAL source falls back and its
 * readers are recomputed), tells the decoder how far it may confirm, and releases journal files.
 */
public final class CdcStep {

    private static final Logger LOG = LoggerFactory.getLogger(CdcStep.class);
    private static final String JOURNAL_CONSUMER = "change-buffers";

    private final WalCapture capture;
    private final CdcSwitch steps;
    private final Backoff backoff;
    private final Map<Long, Integer> failures = new HashMap<>();
    /** Graduations between publishing and the cut. */
    private final Map<Long, CdcSwitch.Published> publishing = new HashMap<>();
    private final DaemonMetrics metrics;
    private volatile Set<Long> laggards = Set.of();

    /** @param capture the WAL side, or {@code null} when the daemon runs without a journal */
    public CdcStep(WalCapture capture, Backoff backoff, DaemonMetrics metrics) {
        this.capture = capture;
        this.steps = capture == null ? null : new CdcSwitch(capture);
        this.backoff = backoff;
        this.metrics = metrics;
    }

    /**
     * The stream tables to refresh now because the slot retains more WAL than the warning limit
     * and their sources' journal position is the lowest (they hold it back).
     */
    public Set<Long> laggards() {
        return laggards;
    }

    private record Source(long oid, String name, String owner, String mode, String target, boolean triggers,
                          boolean journal, boolean published) {
    }

    /** @param c a connection in manual-commit mode */
    public void step(Connection c) throws SQLException {
        List<Source> sources = sources(c);
        if (capture == null) {
            for (Source source : sources) {
                if (source.target().equals("wal") && source.mode().equals("trigger")) {
                    CdcSwitch.note(c, source.oid(), "the pgtrickle daemon runs without WAL capture (no journal directory)");
                }
            }
            return;
        }
        if (sources.stream().anyMatch(s -> s.mode().equals("wal") || s.journal()) && slotLost(c)) {
            sources = sources(c);
        }
        if (!capture.decoding() && slotExists(c)) {
            autocommit(c, () -> capture.ensureDecoding(c));
        }
        Instant now = Instant.now();
        for (Source source : sources) {
            if (backoff.waiting(source.oid(), now)) {
                continue;
            }
            try {
                advance(c, source);
                failures.remove(source.oid());
                backoff.succeeded(source.oid());
            } catch (SQLException e) {
                c.rollback();
                if (Connections.lost(e)) {
                    throw e;
                }
                int count = failures.merge(source.oid(), 1, Integer::sum);
                backoff.failed(source.oid(), count, Instant.now());
                LOG.warn("capture switch of {} failed (attempt {}): {}", source.name(), count, e.getMessage());
                CdcSwitch.note(c, source.oid(), ServerErrors.message(e));
            }
        }
        removeUnusedFromPublication(c);
        releaseJournal(c);
    }

    private void advance(Connection c, Source source) throws SQLException {
        if (source.mode().equals("trigger") && source.target().equals("wal")) {
            graduate(c, source);
        } else if (source.mode().equals("wal") && source.target().equals("trigger")) {
            if (CdcSwitch.cutToTriggers(c, source.oid(), source.owner(), false)) {
                LOG.info("{}: back on trigger capture", source.name());
            }
        } else if (source.mode().equals("wal") && source.triggers()) {
            CdcSwitch.dropTriggers(c, source.oid(), source.owner());
        }
    }

    private void graduate(Connection c, Source source) throws SQLException {
        CdcSwitch.Published published = publishing.get(source.oid());
        if (published == null) {
            String why = CdcSwitch.ineligibility(c, source.oid());
            if (why != null) {
                CdcSwitch.note(c, source.oid(), why);
                return;
            }
            published = steps.publish(c, source.oid(), source.owner());
            publishing.put(source.oid(), published);
            CdcSwitch.note(c, source.oid(), "graduating to WAL capture: waiting for the transactions running when it was published");
        }
        if (!CdcSwitch.ended(c, published.running())) {
            return;
        }
        CdcSwitch.cutToWal(c, source.oid(), published);
        publishing.remove(source.oid());
        LOG.info("{}: captured from the WAL", source.name());
        CdcSwitch.dropTriggers(c, source.oid(), source.owner());
    }

    private List<Source> sources(Connection c) throws SQLException {
        List<Source> sources = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT cs.source_relid, cs.source_relid::regclass::text, pg_get_userbyid(cl.relowner), cs.cdc_mode,"
                        + " t.target, pgtrickle._has_capture_triggers(cs.source_relid), pgtrickle._needs_journal(cs),"
                        + " EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid"
                        + "         WHERE p.pubname = ? AND pr.prrelid = cs.source_relid)"
                        + " FROM pgtrickle.pgt_change_sources cs JOIN pg_class cl ON cl.oid = cs.source_relid"
                        + " JOIN pgtrickle._cdc_targets() t USING (source_relid) ORDER BY 1")) {
            statement.setString(1, PublicationAndSlot.PUBLICATION);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    sources.add(new Source(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4),
                            rows.getString(5), rows.getBoolean(6), rows.getBoolean(7), rows.getBoolean(8)));
                }
            }
        }
        c.commit();
        return sources;
    }

    /**
     * A slot that is gone or invalidated (wal_status lost) cannot deliver what the journal has not
     * seen yet: every source that needs the journal falls back to triggers and its readers are
     * recomputed; the slot is dropped so that it can be created anew.
     */
    private boolean slotLost(Connection c) throws SQLException {
        String slot = capture.names(c).slot();
        boolean lost;
        try (PreparedStatement statement = c.prepareStatement("SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots"
                + " WHERE slot_name = ? AND coalesce(wal_status, '') <> 'lost')")) {
            statement.setString(1, slot);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                lost = row.getBoolean(1);
            }
        }
        c.commit();
        if (!lost) {
            return false;
        }
        LOG.warn("replication slot {} was dropped or invalidated: sources fall back to triggers and their stream tables are recomputed", slot);
        capture.stopDecoding();
        for (Source source : sources(c)) {
            if (source.mode().equals("wal") || source.journal()) {
                while (!CdcSwitch.cutToTriggers(c, source.oid(), source.owner(), true)) {
                    LOG.info("{}: waiting for the table's lock to fall back to triggers", source.name());
                }
                CdcSwitch.note(c, source.oid(), "replication slot " + slot + " was lost: fell back to triggers, stream tables recomputed");
            }
        }
        try (PreparedStatement drop = c.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            drop.setString(1, slot);
            drop.execute();
        }
        c.commit();
        return true;
    }

    private boolean slotExists(Connection c) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
            statement.setString(1, capture.names(c).slot());
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                boolean exists = row.getBoolean(1);
                c.commit();
                return exists;
            }
        }
    }

    /** Tables in the publication that no source needs the journal for any more. */
    private void removeUnusedFromPublication(Connection c) throws SQLException {
        List<Long> unused = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement("SELECT pr.prrelid FROM pg_publication_rel pr"
                + " JOIN pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = ? AND NOT EXISTS ("
                + "   SELECT 1 FROM pgtrickle.pgt_change_sources cs WHERE cs.source_relid = pr.prrelid"
                + "   AND pgtrickle._needs_journal(cs))")) {
            statement.setString(1, PublicationAndSlot.PUBLICATION);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    unused.add(rows.getLong(1));
                }
            }
        }
        c.commit();
        PublicationAndSlot names = capture.names(c);
        for (long oid : unused) {
            if (!publishing.containsKey(oid)) {
                autocommit(c, () -> names.removeTable(c, oid));
            }
        }
    }

    /**
     * The slot may be confirmed, and journal files released, up to the lowest LSN below which
     * every source's changes are in its buffer.
     */
    private void releaseJournal(Connection c) throws SQLException {
        long bound = Long.MAX_VALUE;
        try (PreparedStatement statement = c.prepareStatement("SELECT (min(wal_loaded_lsn) - '0/0')::text"
                + " FROM pgtrickle.pgt_change_sources cs WHERE pgtrickle._needs_journal(cs)");
             ResultSet row = statement.executeQuery()) {
            if (row.next() && row.getString(1) != null) {
                bound = Long.parseLong(row.getString(1));
            }
        }
        c.commit();
        if (!publishing.isEmpty()) {
            return;
        }
        capture.confirmUpTo(bound);
        watchSlot(c, bound);
        ChangeJournal journal = capture.journal();
        long through = Math.min(bound, journal.lastCommitLsn());
        try (JournalCursor cursor = journal.cursorAfterCommitLsn(through)) {
            journal.markConsumed(JOURNAL_CONSUMER, cursor.position());
        } catch (IllegalArgumentException alreadyReleased) {
            return;
        }
        journal.releaseCycles();
    }

    /** Metrics of the slot and the journal; the laggards when the slot retains too much WAL. */
    private void watchSlot(Connection c, long bound) throws SQLException {
        long retained = 0;
        Set<Long> holdingBack = new HashSet<>();
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint,"
                        + " pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) > pg_size_bytes(coalesce(nullif("
                        + "   current_setting('pgtrickle.wal_retained_warning', true), ''), '1GB'))"
                        + " FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, capture.names(c).slot());
            try (ResultSet row = statement.executeQuery()) {
                if (row.next()) {
                    retained = row.getLong(1);
                    if (row.getBoolean(2)) {
                        holdingBack.addAll(readersOfLowestSource(c));
                    }
                }
            }
        } catch (SQLException e) {
            if (Connections.lost(e)) {
                throw e;
            }
            c.rollback();
            LOG.warn("cannot watch the replication slot: {}", e.getMessage());
        }
        c.commit();
        laggards = Set.copyOf(holdingBack);
        long decoded = capture.journal().lastCommitLsn();
        metrics.wal(retained, bound == Long.MAX_VALUE ? 0 : Math.max(0, decoded - bound));
    }

    private static List<Long> readersOfLowestSource(Connection c) throws SQLException {
        List<Long> readers = new ArrayList<>();
        try (Statement statement = c.createStatement();
             ResultSet rows = statement.executeQuery("SELECT d.pgt_id FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = ("
                     + " SELECT cs.source_relid FROM pgtrickle.pgt_change_sources cs WHERE pgtrickle._needs_journal(cs)"
                     + " ORDER BY cs.wal_loaded_lsn LIMIT 1)")) {
            while (rows.next()) {
                readers.add(rows.getLong(1));
            }
        }
        return readers;
    }

    private interface Step {
        void run() throws SQLException;
    }

    private static void autocommit(Connection c, Step step) throws SQLException {
        c.setAutoCommit(true);
        try {
            step.run();
        } finally {
            c.setAutoCommit(false);
        }
    }
}
