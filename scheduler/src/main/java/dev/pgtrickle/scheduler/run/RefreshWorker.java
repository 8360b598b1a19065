package dev.pgtrickle.scheduler.run;

import dev.pgtrickle.cdc.load.JournalSource;
import dev.pgtrickle.cdc.load.StaleCaptureException;
import dev.pgtrickle.core.jdbc.ServerErrors;
import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.cdc.JournalRefresh;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Refreshes stream tables on its own connection, one transaction per attempt, as the stream
 * table's owner: the defining query then runs with the owner's rights, never the daemon's.
 */
public final class RefreshWorker implements AutoCloseable {

    /** Attempts of a refresh that lost a serialization race before it counts as failed. */
    private static final int CONFLICT_ATTEMPTS = 3;

    private final String name;
    private final ConnectionFactory connections;
    private final int suspendAfter;
    private final JournalRefresh journal;
    private Connection connection;

    /**
     * @param name its connection's application_name, which {@code pgtrickle.worker_pool_status()}
     *     reads (with what it refreshes, while it does)
     * @param journal loads the changes of WAL-captured sources, or {@code null} without WAL capture
     */
    public RefreshWorker(String name, ConnectionFactory connections, int suspendAfter, JournalRefresh journal) {
        this.name = name;
        this.connections = connections;
        this.suspendAfter = suspendAfter;
        this.journal = journal;
    }

    /**
     * @throws SQLException only when the connection is lost (the database went away): the attempt
     *                      is then neither a success nor a failure of the stream table
     */
    public RefreshOutcome refresh(StreamTableState table) throws SQLException {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            Connection c = connection();
            boolean repeatableRead = false;
            try {
                repeatableRead = journal != null && journal.begin(c, table.id());
                RefreshOutcome outcome = refreshInTransaction(c, table, start);
                c.commit();
                return outcome;
            } catch (SQLException e) {
                rollback(c);
                if (Connections.lost(e)) {
                    close();
                    throw e;
                }
                readCommitted(c, repeatableRead);
                if (attempt < CONFLICT_ATTEMPTS && conflict(e)) {
                    // A REPEATABLE READ refresh met a concurrent change (e.g. at a capture switch): nothing applied, go again.
                    continue;
                }
                if (sourceRenamed(c, table.id(), e)) {
                    // Source DDL committed after this pass's repair step: it redefines the stream table next pass.
                    return new RefreshOutcome.Skipped("a source changed (" + ServerErrors.message(e)
                            + "); redefined before its next refresh");
                }
                recordFailure(c, table, ServerErrors.message(e));
                return new RefreshOutcome.Failed(ServerErrors.message(e), since(start));
            } catch (StaleCaptureException e) {
                // Source DDL the repair step has not handled yet: not a failure of the stream table.
                rollback(c);
                return new RefreshOutcome.Skipped(e.getMessage());
            } catch (RuntimeException e) {
                // The journal could not be read: nothing was applied.
                rollback(c);
                readCommitted(c, repeatableRead);
                recordFailure(c, table, ServerErrors.message(e));
                return new RefreshOutcome.Failed(ServerErrors.message(e), since(start));
            } finally {
                readCommitted(c, repeatableRead);
            }
        }
    }

    /**
     * Refreshes an atomic group ({@code plan.AtomicGroups}), in its order, in one REPEATABLE READ
     * transaction: every refresh consumes its sources' changes up to the same snapshot, and the
     * group's readers see all of it or none. A failure rolls back all of them; it counts for the
     * table that failed, the others are skipped. A group that reads sources captured from the WAL
     * is refreshed one table at a time (loading the journal takes a transaction of its own per
     * table); health_check says so.
     *
     * @throws SQLException only when the connection is lost
     */
    public Map<Long, RefreshOutcome> refreshTogether(List<StreamTableState> group) throws SQLException {
        if (readsJournal(group)) {
            Map<Long, RefreshOutcome> outcomes = new LinkedHashMap<>();
            for (StreamTableState table : group) {
                outcomes.put(table.id(), refresh(table));
            }
            return outcomes;
        }
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            Connection c = connection();
            Map<Long, RefreshOutcome> outcomes = new LinkedHashMap<>();
            StreamTableState current = group.get(0);
            try {
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                for (StreamTableState table : group) {
                    current = table;
                    outcomes.put(table.id(), refreshInTransaction(c, table, start));
                }
                c.commit();
                return outcomes;
            } catch (SQLException e) {
                rollback(c);
                if (Connections.lost(e)) {
                    close();
                    throw e;
                }
                readCommitted(c, true);
                if (attempt < CONFLICT_ATTEMPTS && conflict(e)) {
                    continue;
                }
                if (sourceRenamed(c, current.id(), e)) {
                    Map<Long, RefreshOutcome> skipped = new LinkedHashMap<>();
                    String reason = "a source of " + current.name() + " changed (" + ServerErrors.message(e)
                            + "); redefined before its next refresh";
                    group.forEach(table -> skipped.put(table.id(), new RefreshOutcome.Skipped(reason)));
                    return skipped;
                }
                recordFailure(c, current, ServerErrors.message(e));
                Map<Long, RefreshOutcome> failed = new LinkedHashMap<>();
                for (StreamTableState table : group) {
                    failed.put(table.id(), table == current ? new RefreshOutcome.Failed(ServerErrors.message(e), since(start))
                            : new RefreshOutcome.Skipped("refreshed together with " + current.name() + ", which failed"));
                }
                return failed;
            } finally {
                readCommitted(c, true);
            }
        }
    }

    /** Refreshes {@code table} in the open transaction of {@code c} (not committed), as its owner. */
    private RefreshOutcome refreshInTransaction(Connection c, StreamTableState table, long start) throws SQLException {
        Connections.actAs(c, table.owner());
        // One round trip: the look for changes, the refresh and its outcome are one server call,
        // which also names the refresh in application_name for the transaction.
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT action, rows_inserted, rows_updated, rows_deleted, fallback FROM pgtrickle._scheduled_refresh(?, ?)")) {
            statement.setLong(1, table.id());
            statement.setString(2, name + ": refreshing " + table.id() + " since " + System.currentTimeMillis());
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                if (row.getString(1) == null) {
                    return new RefreshOutcome.Unchanged(since(start));
                }
                return new RefreshOutcome.Refreshed(row.getString(1), row.getLong(2), row.getLong(3), row.getLong(4),
                        row.getBoolean(5), since(start));
            }
        }
    }

    private boolean readsJournal(List<StreamTableState> group) throws SQLException {
        if (journal == null) {
            return false;
        }
        Connection c = connection();
        try {
            for (StreamTableState table : group) {
                if (!JournalSource.of(c, table.id()).isEmpty()) {
                    return true;
                }
            }
            return false;
        } finally {
            c.commit();
        }
    }

    /**
     * Whether {@code e}, an undefined table or column, comes from a source renamed (or its column)
     * since the stream table was defined, which the repair step ({@code pgtrickle._source_changes},
     * {@link SourceRepair}) handles: the refresh ran between the DDL and the repair.
     */
    private static boolean sourceRenamed(Connection c, long id, SQLException e) {
        if (!"42P01".equals(e.getSQLState()) && !"42703".equals(e.getSQLState())) {
            return false;
        }
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM pgtrickle._source_changes() WHERE pgt_id = ?)")) {
            statement.setLong(1, id);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getBoolean(1);
            }
        } catch (SQLException broken) {
            return false;
        } finally {
            rollback(c);
        }
    }

    /** Serialization failure or deadlock: the transaction lost a race and may simply run again. */
    private static boolean conflict(SQLException e) {
        return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
    }

    private static void readCommitted(Connection c, boolean changed) {
        if (changed) {
            try {
                if (!c.isClosed() && c.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED) {
                    c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                }
            } catch (SQLException ignored) {
                // A broken connection is replaced on the next attempt.
            }
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = connections.open();
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_catalog.set_config('application_name', ?, false)")) {
                statement.setString(1, name);
                statement.execute();
            }
            connection.setAutoCommit(false);
        }
        return connection;
    }

    private void recordFailure(Connection c, StreamTableState table, String error) throws SQLException {
        try {
            FailureRecorder.refreshFailed(c, table.id(), table.name(), error, suspendAfter);
        } catch (SQLException lost) {
            close();
            throw lost;
        }
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; close() or the next attempt deals with it.
        }
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    @Override
    public void close() {
        Connections.closeQuietly(connection);
        connection = null;
    }
}
