package dev.pgtrickle.scheduler.cdc;

import dev.pgtrickle.cdc.load.JournalLoader;
import dev.pgtrickle.cdc.load.JournalSource;
import dev.pgtrickle.cdc.load.StaleCaptureException;
import dev.pgtrickle.cdc.wal.WalCapture;
import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import dev.pgtrickle.scheduler.metrics.LeaderProblems;
import dev.pgtrickle.scheduler.run.ConnectionFactory;
import dev.pgtrickle.scheduler.run.Connections;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads journaled changes into the buffers of sources captured from the WAL between their
 * refreshes (docs/architecture.md, "Loading the journal ahead"), so that a refresh loads only
 * what arrived since the last round instead of everything since the previous refresh.
 *
 * <p>A round places a snapshot in the WAL ({@link SyncPoint}), waits for the decoder outside any
 * transaction, then gives each source a short transaction: its buffer and catalog row locked
 * without waiting (a refresh or switch holding them does the work itself), the changes of the
 * transactions the snapshot sees and the source's {@code wal_loaded} does not, and
 * {@code wal_loaded} set to the snapshot — only when the snapshot covers {@code wal_loaded}, which
 * a refresh may have moved past it in the meantime.
 */
public final class JournalPreloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JournalPreloader.class);
    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final Duration DECODER_WAIT = Duration.ofSeconds(5);
    /** After a failed round: rounds retried at once would only repeat the failure and its log line. */
    private static final Duration AFTER_FAILURE = Duration.ofSeconds(5);
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final String UNDEFINED_TABLE = "42P01";

    private final WalCapture capture;
    private final ConnectionFactory connections;
    private final DaemonMetrics metrics;
    private final LeaderProblems problems;
    private final Thread thread;
    private volatile boolean stopping;
    /**
     * Where the last round's reading of the journal would start again: a round runs only once
     * the journal holds a commit past it.
     */
    private long nextRoundAfter;
    /** Whether the last round failed (then /health says so until one succeeds). */
    private boolean failing;

    private JournalPreloader(WalCapture capture, ConnectionFactory connections, DaemonMetrics metrics,
                             LeaderProblems problems) {
        this.capture = capture;
        this.connections = connections;
        this.metrics = metrics;
        this.problems = problems;
        this.thread = new Thread(this::run, "pgtrickle-journal-preloader");
        thread.setDaemon(true);
    }

    /** Starts loading ahead on a connection of its own. */
    public static JournalPreloader start(WalCapture capture, ConnectionFactory connections, DaemonMetrics metrics,
                                         LeaderProblems problems) {
        JournalPreloader preloader = new JournalPreloader(capture, connections, metrics, problems);
        preloader.thread.start();
        return preloader;
    }

    private void run() {
        Connection c = null;
        while (!stopping) {
            try {
                Thread.sleep((failing ? AFTER_FAILURE : INTERVAL).toMillis());
                if (!capture.decoding() || Long.compareUnsigned(capture.journal().lastCommitLsn(), nextRoundAfter) <= 0) {
                    continue;
                }
                if (c == null) {
                    c = connections.open();
                }
                round(c);
                failed(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (SQLException | RuntimeException e) {
                metrics.journalPreloadFailed();
                LOG.warn("loading the journal ahead of the refreshes failed: {}", e.getMessage());
                failed(e.getMessage());
                Connections.closeQuietly(c);
                c = null;
            }
        }
        Connections.closeQuietly(c);
        failed(null);
    }

    /**
     * Refreshes still load what a failed round left, so only their speed suffers, but the slot
     * keeps the WAL until they do: /health says so while rounds fail.
     */
    private void failed(String why) {
        if (why == null && failing) {
            problems.standing("journal-preload", null);
        } else if (why != null) {
            problems.standing("journal-preload", "loading the journal ahead of the refreshes fails (" + why
                    + "); refreshes load the changes themselves and the slot keeps the WAL until they do");
        }
        failing = why != null;
    }

    private void round(Connection c) throws SQLException, InterruptedException {
        c.setAutoCommit(true);
        List<JournalSource> sources = JournalSource.walOnly(c);
        if (sources.isEmpty()) {
            nextRoundAfter = capture.journal().lastCommitLsn();
            return;
        }
        long lsnBefore = SyncPoint.insertLsn(c);
        SyncPoint now = SyncPoint.take(c);
        capture.requestFlush();
        if (!capture.awaitDecoded(now.syncLsn(), DECODER_WAIT)) {
            return;
        }
        c.setAutoCommit(false);
        // A transaction journaled before the sync message but not yet visible in the snapshot is
        // left for the next round, which must then run even if nothing else is committed.
        long readFrom = lsnBefore;
        for (JournalSource source : sources) {
            JournalLoader.Loaded loaded = preload(c, source, now, lsnBefore);
            metrics.journalPreloaded(loaded.rows());
            readFrom = Math.min(readFrom, loaded.readFrom());
        }
        nextRoundAfter = readFrom;
    }

    /** Loads one source's owed changes up to {@code now} in a transaction of its own. */
    private JournalLoader.Loaded preload(Connection c, JournalSource listed, SyncPoint now, long lsnBefore)
            throws SQLException {
        JournalLoader.Loaded nothing = new JournalLoader.Loaded(0, lsnBefore);
        try {
            try (Statement lock = c.createStatement()) {
                lock.execute(JournalSource.lockForLoading(List.of(listed), true));
            }
            Optional<JournalSource> source = JournalSource.lockedWalOnly(c, listed.oid());
            if (source.isEmpty() || !now.snapshot().covers(source.get().loaded())
                    || source.get().loaded().covers(now.snapshot())) {
                c.rollback();
                return nothing;
            }
            JournalLoader.Loaded loaded = new JournalLoader(capture.journal()).load(c, List.of(source.get()),
                    now.snapshot(), now.syncLsn(), lsnBefore);
            c.commit();
            return loaded;
        } catch (SQLException e) {
            c.rollback();
            if (LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || UNDEFINED_TABLE.equals(e.getSQLState())) {
                return nothing; // a refresh, switch or drop holds it: it loads (or no longer needs) the changes itself
            }
            throw e;
        } catch (StaleCaptureException e) {
            c.rollback();
            return nothing; // the source's columns changed: its next refresh rebuilds the capture
        }
    }

    /** Stops after the round in progress. */
    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(DECODER_WAIT.multipliedBy(2).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
