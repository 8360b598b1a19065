package dev.pgtrickle.scheduler.run;

import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles the stream tables waiting for the differential compiler (created or altered through
 * SQL), each in its own transaction and as its owner. A compile that fails is retried with
 * backoff instead of on every pass. Suspended and frozen tables wait: installing a plan
 * recomputes the contents, which they must keep as they are.
 */
public final class CompileStep {

    private static final Logger LOG = LoggerFactory.getLogger(CompileStep.class);

    private final Backoff backoff;
    private final Map<Long, Integer> failures = new LinkedHashMap<>();

    public CompileStep(Backoff backoff) {
        this.backoff = backoff;
    }

    /** @param c a connection in manual-commit mode */
    public void compilePending(Connection c) throws SQLException {
        Map<Long, String[]> pending = new LinkedHashMap<>();
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT st.pgt_id, pgtrickle._display_name(n.nspname, cl.relname), pg_get_userbyid(cl.relowner)"
                        + " FROM pgtrickle.pgt_stream_tables st JOIN pg_class cl ON cl.oid = st.pgt_relid"
                        + " JOIN pg_namespace n ON n.oid = cl.relnamespace"
                        + " WHERE st.compile_status = 'PENDING' AND st.status = 'ACTIVE' AND st.tier <> 'frozen'"
                        + " ORDER BY st.pgt_id");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                pending.put(rows.getLong(1), new String[] {rows.getString(2), rows.getString(3)});
            }
        }
        c.commit();
        Instant now = Instant.now();
        for (Map.Entry<Long, String[]> table : pending.entrySet()) {
            if (!backoff.waiting(table.getKey(), now)) {
                compile(c, table.getKey(), table.getValue()[0], table.getValue()[1]);
            }
        }
    }

    private void compile(Connection c, long id, String name, String owner) throws SQLException {
        try {
            Connections.actAs(c, owner);
            // The strongest lock installing the plan needs, first: upgrading a weaker lock later
            // deadlocks with sessions that hold one and want more (e.g. creating a stream table
            // that reads this one).
            try (PreparedStatement lock = c.prepareStatement("SELECT pgtrickle._lock_storage(st, 'ACCESS EXCLUSIVE')"
                    + " FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_id = ?")) {
                lock.setLong(1, id);
                lock.execute();
            }
            CompileResult result = new StreamTableCompiler(c).compile(name);
            c.commit();
            failures.remove(id);
            backoff.succeeded(id);
            LOG.info("{}", result.describe());
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            if (e instanceof SQLException sql && Connections.lost(sql)) {
                throw sql;
            }
            if (e instanceof SQLException sql && "42P01".equals(sql.getSQLState())) {
                // Dropped since the pending list was read: nothing left to compile.
                LOG.debug("stream table {} was dropped before it was compiled", name);
                return;
            }
            int count = failures.merge(id, 1, Integer::sum);
            backoff.failed(id, count, Instant.now());
            LOG.warn("could not compile stream table {} (attempt {}): {}", name, count, e.getMessage());
        }
    }
}
