package dev.pgtrickle.benchmarks;

import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The SQL API calls the benchmark makes, and what it reads from the catalog. */
public final class StreamTables {

    private StreamTables() {
    }

    /**
     * Creates a differential stream table and compiles its plan the way {@code pgtrickle compile}
     * does (compiler, then commit); returns the plan's strategy. Fails unless the plan compiled.
     */
    public static String createDifferential(Db db, String name, String query) throws SQLException {
        return createCompiled(db, name, query, "DIFFERENTIAL");
    }

    /**
     * Creates an IMMEDIATE stream table and compiles it, so that its plan's statements maintain it
     * from then on (not a recomputation); returns the strategy.
     */
    public static String createImmediate(Db db, String name, String query) throws SQLException {
        String strategy = createCompiled(db, name, query, "IMMEDIATE");
        String reason = db.queryString("SELECT coalesce(mode_reason, '') FROM pgtrickle.pgt_stream_tables WHERE pgt_name = "
                + db.quoteLiteral(name));
        // Writers that take turns are maintained by the plan too; a recomputation at every statement is not.
        if (reason.startsWith("recomputed")) {
            throw new IllegalStateException("stream table " + name + " is not maintained by its plan: " + reason);
        }
        return strategy;
    }

    private static String createCompiled(Db db, String name, String query, String mode) throws SQLException {
        create(db, name, query, mode);
        CompileResult[] result = new CompileResult[1];
        db.inTransaction(() -> result[0] = new StreamTableCompiler(db.connection()).compile(name));
        if (result[0].outcome() != CompileResult.Outcome.COMPILED) {
            throw new IllegalStateException("stream table " + name + " did not compile: " + result[0].describe());
        }
        return result[0].detail();
    }

    /** Creates an AUTO stream table and compiles it; returns the strategy. */
    public static String createAuto(Db db, String name, String query) throws SQLException {
        return createCompiled(db, name, query, "AUTO");
    }

    public static void createFull(Db db, String name, String query) throws SQLException {
        create(db, name, query, "FULL");
    }

    private static void create(Db db, String name, String query, String mode) throws SQLException {
        try (PreparedStatement statement = db.prepare(
                "SELECT pgtrickle.create_stream_table(name => ?, query => ?, refresh_mode => ?)")) {
            statement.setString(1, name);
            statement.setString(2, query);
            statement.setString(3, mode);
            statement.execute();
        }
    }

    /** The statement a refresh runs, in its own autocommit transaction. */
    public static String refreshSql(String name) {
        return "SELECT pgtrickle.refresh_stream_table('" + name + "')";
    }

    /** The last refresh recorded for a stream table. */
    public record HistoryRow(String action, long changesConsumed, double serverMillis, long rowsInserted, long rowsUpdated) {
    }

    public static HistoryRow lastRefresh(Db db, String name) throws SQLException {
        try (PreparedStatement statement = db.prepare(
                "SELECT h.action, coalesce(h.changes_consumed, -1),"
                        + " extract(epoch FROM h.end_time - h.start_time) * 1000, coalesce(h.rows_inserted, 0),"
                        + " coalesce(h.rows_updated, 0)"
                        + " FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                        + " WHERE st.pgt_schema = 'public' AND st.pgt_name = ? ORDER BY h.refresh_id DESC LIMIT 1")) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("no refresh recorded for " + name);
                }
                return new HistoryRow(row.getString(1), row.getLong(2), row.getDouble(3), row.getLong(4), row.getLong(5));
            }
        }
    }

    /** Change buffer tables (schema pgtrickle_changes) of every captured source. */
    public static List<String> buffers(Db db) throws SQLException {
        List<String> buffers = new ArrayList<>();
        for (String table : db.queryColumn("SELECT buffer_table FROM pgtrickle.pgt_change_sources ORDER BY 1")) {
            buffers.add("pgtrickle_changes." + table);
        }
        return buffers;
    }

    public static String bufferOf(Db db, String source) throws SQLException {
        return "pgtrickle_changes." + db.queryString("SELECT buffer_table FROM pgtrickle.pgt_change_sources"
                + " WHERE source_relid = 'public." + source + "'::regclass");
    }

    /** The plan's refresh statement (storage placeholder and $1 still in it). */
    public static String refreshStatement(Db db, String name) throws SQLException {
        return db.queryString("SELECT plan ->> 'refresh' FROM pgtrickle.pgt_stream_tables"
                + " WHERE pgt_schema = 'public' AND pgt_name = '" + name + "'");
    }
}
