package dev.pgtrickle.scheduler.run;

import dev.pgtrickle.core.jdbc.ServerErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repairs stream tables after DDL on their sources ({@code pgtrickle._source_changes()} names
 * them): each in its own transaction, as its owner, through {@code pgtrickle._reinitialize}.
 * A dropped source ends in status ERROR with the reason, which takes the table out of the
 * schedule instead of failing every pass. A repair that fails is recorded as a failed refresh of
 * the stream table (it cannot be refreshed until repaired) and retried with backoff.
 */
public final class SourceRepair {

    private static final Logger LOG = LoggerFactory.getLogger(SourceRepair.class);

    private final Backoff backoff;
    private final int suspendAfter;
    private final Map<Long, Integer> failures = new HashMap<>();

    /** @param suspendAfter failed attempts in a row after which the stream table is suspended */
    public SourceRepair(Backoff backoff, int suspendAfter) {
        this.backoff = backoff;
        this.suspendAfter = suspendAfter;
    }

    private record Problem(long id, String name, String owner, String problem) {
    }

    /** @param c a connection in manual-commit mode */
    public void repair(Connection c) throws SQLException {
        List<Problem> problems = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT sc.pgt_id, pgtrickle._display_name(n.nspname, cl.relname), pg_get_userbyid(cl.relowner),"
                        + " string_agg(sc.problem, '; ')"
                        + " FROM pgtrickle._source_changes() sc JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                        + " JOIN pg_class cl ON cl.oid = st.pgt_relid JOIN pg_namespace n ON n.oid = cl.relnamespace"
                        + " GROUP BY 1, 2, 3 ORDER BY 1");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                problems.add(new Problem(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4)));
            }
        }
        c.commit();
        Instant now = Instant.now();
        for (Problem problem : problems) {
            if (!backoff.waiting(problem.id(), now)) {
                reinitialize(c, problem);
            }
        }
    }

    private void reinitialize(Connection c, Problem problem) throws SQLException {
        try {
            Connections.actAs(c, problem.owner());
            String outcome;
            try (PreparedStatement statement = c.prepareStatement("SELECT pgtrickle._reinitialize(?)")) {
                statement.setLong(1, problem.id());
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    outcome = row.getString(1);
                }
            }
            c.commit();
            failures.remove(problem.id());
            backoff.succeeded(problem.id());
            if (outcome.startsWith("ERROR")) {
                LOG.warn("stream table {} is in ERROR: {}", problem.name(), problem.problem());
            } else {
                LOG.info("stream table {}: {}; {}", problem.name(), problem.problem(), outcome);
            }
        } catch (SQLException e) {
            c.rollback();
            if (Connections.lost(e)) {
                throw e;
            }
            int count = failures.merge(problem.id(), 1, Integer::sum);
            backoff.failed(problem.id(), count, Instant.now());
            String error = "could not repair it after source DDL (" + problem.problem() + "): " + ServerErrors.message(e);
            LOG.warn("stream table {}: {} (attempt {})", problem.name(), error, count);
            FailureRecorder.refreshFailed(c, problem.id(), problem.name(), error, suspendAfter);
        }
    }
}
