package dev.pgtrickle.scheduler.run;

import dev.pgtrickle.core.jdbc.ServerErrors;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles the stream tables waiting for the differential compiler (created or altered through
 * SQL), each in its own transaction and as its owner, on every pass, so that a compile that
 * failed for a passing reason is retried (with backoff) without waiting for a notification.
 * Every outcome is stored: the plan, UNSUPPORTED with the reason (status ERROR when DIFFERENTIAL
 * was asked for), or the error of a failed attempt.
 */
public final class CompileStep {

    private static final Logger LOG = LoggerFactory.getLogger(CompileStep.class);
    /** Compiling needs the storage table's exclusive lock: never queue behind a long reader. */
    private static final String LOCK_TIMEOUT = "5s";

    private final Backoff backoff;
    private final DaemonMetrics metrics;
    private final Map<Long, Integer> failures = new HashMap<>();

    public CompileStep(Backoff backoff, DaemonMetrics metrics) {
        this.backoff = backoff;
        this.metrics = metrics;
    }

    /**
     * @param c      a connection in manual-commit mode
     * @param tables the catalog as read for this pass
     * @return whether a compile changed the catalog
     */
    public boolean compilePending(Connection c, List<StreamTableState> tables) throws SQLException {
        Instant now = Instant.now();
        boolean changed = false;
        for (StreamTableState table : tables) {
            if (table.awaitsCompiler() && !backoff.waiting(table.id(), now)) {
                changed |= compile(c, table);
            }
        }
        return changed;
    }

    private boolean compile(Connection c, StreamTableState table) throws SQLException {
        try {
            Connections.actAs(c, table.owner());
            try (Statement timeout = c.createStatement()) {
                timeout.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'");
            }
            // The strongest lock installing the plan needs, first: upgrading a weaker lock later
            // deadlocks with sessions that hold one and want more (e.g. creating a stream table
            // that reads this one).
            try (PreparedStatement lock = c.prepareStatement("SELECT pgtrickle._lock_storage(st, 'ACCESS EXCLUSIVE')"
                    + " FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_id = ?")) {
                lock.setLong(1, table.id());
                lock.execute();
            }
            CompileResult result = new StreamTableCompiler(c).compile(table.name());
            c.commit();
            failures.remove(table.id());
            backoff.succeeded(table.id());
            metrics.compiled(table, result.outcome().name());
            if (result.outcome() == CompileResult.Outcome.REFUSED) {
                LOG.error("{}", result.describe());
            } else {
                LOG.info("{}", result.describe());
            }
            return true;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            if (e instanceof SQLException sql && Connections.lost(sql)) {
                throw sql;
            }
            if (e instanceof SQLException sql && "42P01".equals(sql.getSQLState()) && dropped(c, table.id())) {
                LOG.debug("stream table {} was dropped before it was compiled", table.name());
                return false;
            }
            int count = failures.merge(table.id(), 1, Integer::sum);
            backoff.failed(table.id(), count, Instant.now());
            String error = ServerErrors.message(e);
            LOG.warn("could not compile stream table {} (attempt {}, retried with backoff): {}", table.name(), count, error);
            metrics.compiled(table, "FAILED");
            FailureRecorder.compileFailed(c, table.id(), table.name(), error);
            return true;
        }
    }

    private static boolean dropped(Connection c, long id) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?)")) {
            statement.setLong(1, id);
            try (var row = statement.executeQuery()) {
                row.next();
                return row.getBoolean(1);
            } finally {
                c.commit();
            }
        }
    }
}
