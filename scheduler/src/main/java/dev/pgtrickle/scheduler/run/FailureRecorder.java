package dev.pgtrickle.scheduler.run;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the daemon's failures in the catalog, each in a transaction of its own (the failed one
 * rolled back: PostgreSQL has no autonomous transactions). It goes through functions only the
 * catalog owner may call, not through the stream table's owner: the failure to record is often
 * that the daemon may not act as that owner.
 */
public final class FailureRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(FailureRecorder.class);

    private FailureRecorder() {
    }

    /**
     * Counts a failed refresh (history, consecutive errors, last error, suspension after
     * {@code suspendAfter} in a row, events).
     *
     * @throws SQLException only when the connection is lost
     */
    public static void refreshFailed(Connection c, long id, String name, String error, int suspendAfter)
            throws SQLException {
        record(c, "the failed refresh of " + name, "SELECT pgtrickle._daemon_refresh_failure(?, ?, ?)",
                id, error, suspendAfter);
    }

    /**
     * Keeps the error of a failed compile (the stream table stays PENDING and is retried).
     *
     * @throws SQLException only when the connection is lost
     */
    public static void compileFailed(Connection c, long id, String name, String error) throws SQLException {
        record(c, "the failed compile of " + name, "SELECT pgtrickle._apply_compile_failure(?, ?)", id, error);
    }

    private static void record(Connection c, String what, String sql, Object... arguments) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < arguments.length; i++) {
                statement.setObject(i + 1, arguments[i]);
            }
            statement.execute();
            c.commit();
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // The connection is broken: reported below.
            }
            if (Connections.lost(e)) {
                throw e;
            }
            // Visible beyond the log: health_check and /health name the grant the daemon lacks.
            LOG.error("could not record {}: {}", what, e.getMessage());
        }
    }
}
