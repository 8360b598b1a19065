package dev.pgtrickle.scheduler.cdc;

import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import dev.pgtrickle.scheduler.metrics.LeaderProblems;
import dev.pgtrickle.scheduler.run.ConnectionFactory;
import dev.pgtrickle.scheduler.run.Connections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vacuums change buffers that filled up with the rows refreshes deleted (docs/architecture.md,
 * "Vacuuming the change buffers"). Every read of a buffer scans all its pages, deleted rows
 * included, and autovacuum comes by about once a minute: at 20,000 changes a second a buffer
 * grows to a million deleted rows and 100 MB in between, and refreshes took four times as long at
 * the end of each minute as at its start. Vacuumed once it holds {@link #DEAD_ROWS} deleted rows,
 * it stays a few megabytes; the price is that PostgreSQL plans the statements reading it again
 * after each vacuum.
 */
public final class BufferVacuum implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BufferVacuum.class);
    /** Deleted rows that make a buffer worth vacuuming: a few megabytes, a scan of about a millisecond. */
    static final long DEAD_ROWS = 10_000;
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    /** After a failed round: rounds retried at once would only repeat the failure and its log line. */
    private static final Duration AFTER_FAILURE = Duration.ofSeconds(30);
    private static final String PROBLEM = "buffer-vacuum";
    /**
     * Buffers holding enough deleted rows (as the statistics counted them), and whether this role
     * may vacuum them (their owner's rights; the catalog owner owns them).
     */
    private static final String DUE = "SELECT format('%I.%I', n.nspname, c.relname), pg_catalog.pg_has_role(c.relowner, 'USAGE')"
            + " FROM pgtrickle.pgt_change_sources cs"
            + " JOIN pg_catalog.pg_class c ON c.relname = cs.buffer_table"
            + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'pgtrickle_changes'"
            + " WHERE pg_catalog.pg_stat_get_dead_tuples(c.oid) >= ? ORDER BY c.relname";

    private final ConnectionFactory connections;
    private final DaemonMetrics metrics;
    private final LeaderProblems problems;
    private final Thread thread;
    private volatile boolean stopping;
    /** What /health says is wrong with the vacuuming now (null: nothing). */
    private String reported;

    private BufferVacuum(ConnectionFactory connections, DaemonMetrics metrics, LeaderProblems problems) {
        this.connections = connections;
        this.metrics = metrics;
        this.problems = problems;
        this.thread = new Thread(this::run, "pgtrickle-buffer-vacuum");
        thread.setDaemon(true);
    }

    /** Starts watching the buffers on a connection of its own. */
    public static BufferVacuum start(ConnectionFactory connections, DaemonMetrics metrics, LeaderProblems problems) {
        BufferVacuum vacuum = new BufferVacuum(connections, metrics, problems);
        vacuum.thread.start();
        return vacuum;
    }

    private void run() {
        Connection c = null;
        while (!stopping) {
            try {
                Thread.sleep((reported != null ? AFTER_FAILURE : INTERVAL).toMillis());
                if (c == null) {
                    c = connections.open();
                    c.setAutoCommit(true);  // VACUUM runs outside a transaction block
                }
                round(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (SQLException | RuntimeException e) {
                metrics.bufferVacuumFailed();
                report("vacuuming the change buffers fails (" + e.getMessage() + ")");
                Connections.closeQuietly(c);
                c = null;
            }
        }
        Connections.closeQuietly(c);
    }

    private void round(Connection c) throws SQLException {
        List<String> due = new ArrayList<>();
        List<String> denied = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement(DUE)) {
            statement.setLong(1, DEAD_ROWS);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    (rows.getBoolean(2) ? due : denied).add(rows.getString(1));
                }
            }
        }
        for (String buffer : due) {
            long start = System.nanoTime();
            try (Statement statement = c.createStatement()) {
                // SKIP_LOCKED: autovacuum may be at it already.
                statement.execute("VACUUM (SKIP_LOCKED) " + buffer);
            }
            metrics.bufferVacuumed(Duration.ofNanos(System.nanoTime() - start));
        }
        report(denied.isEmpty() ? null : "the daemon's role may not vacuum change buffers " + String.join(", ", denied)
                + " (only their owner, the catalog owner, may): refreshes slow down as deleted rows fill them until"
                + " autovacuum comes by; run the daemon as the catalog owner");
    }

    /** Puts {@code problem} on /health (null: ends it), logged once when it starts or changes. */
    private void report(String problem) {
        if (!Objects.equals(problem, reported)) {
            problems.standing(PROBLEM, problem);
            if (problem != null) {
                LOG.warn("{}", problem);
            }
        }
        reported = problem;
    }

    /** Stops after the round in progress. */
    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
