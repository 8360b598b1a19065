package dev.pgtrickle.scheduler.run;

import dev.pgtrickle.core.jdbc.ServerErrors;
import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import dev.pgtrickle.scheduler.metrics.LeaderProblems;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the refresh history to {@code pgtrickle.history_retention} ({@code pgtrickle.prune_history},
 * docs/sql-reference.md): every refresh adds a row, a few a second for a chain on a short
 * schedule, and reading the history (the status, the SLA summary) slows down as it grows. About
 * once a minute, in batches of {@link #BATCH} rows, each its own transaction, at most
 * {@link #BATCHES_PER_ROUND} a round so that a backlog does not hold up the refreshes.
 */
public final class HistoryPruning {

    private static final Logger LOG = LoggerFactory.getLogger(HistoryPruning.class);
    private static final Duration INTERVAL = Duration.ofMinutes(1);
    static final int BATCH = 10_000;
    private static final int BATCHES_PER_ROUND = 10;
    private static final String PROBLEM = "history";

    private final DaemonMetrics metrics;
    private final LeaderProblems problems;
    private Instant next = Instant.MIN;

    public HistoryPruning(DaemonMetrics metrics, LeaderProblems problems) {
        this.metrics = metrics;
        this.problems = problems;
    }

    /** Prunes when a minute has passed since the last round; {@code c} in manual-commit mode. */
    public void step(Connection c) throws SQLException {
        Instant now = Instant.now();
        if (now.isBefore(next)) {
            return;
        }
        next = now.plus(INTERVAL);
        try {
            for (int batch = 0; batch < BATCHES_PER_ROUND; batch++) {
                long deleted = pruneBatch(c);
                metrics.historyPruned(deleted);
                if (deleted < BATCH) {
                    break;
                }
            }
            problems.standing(PROBLEM, null);
        } catch (SQLException e) {
            c.rollback();
            if (Connections.lost(e)) {
                throw e;
            }
            LOG.warn("pruning the refresh history failed: {}", ServerErrors.message(e));
            problems.standing(PROBLEM, "pruning the refresh history fails (" + ServerErrors.message(e)
                    + "): it grows by a row per refresh until it succeeds");
        }
    }

    private static long pruneBatch(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery("SELECT pgtrickle.prune_history(" + BATCH + ")")) {
            row.next();
            long deleted = row.getLong(1);
            c.commit();
            return deleted;
        }
    }
}
