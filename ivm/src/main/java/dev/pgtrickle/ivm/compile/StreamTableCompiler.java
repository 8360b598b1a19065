package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.front.JdbcRelationCatalog;
import dev.pgtrickle.ivm.front.QueryParser;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles stream tables in the database: reads the canonical query from the catalog, builds the
 * operator tree, generates the differential plan and installs it (hidden columns added, contents
 * recomputed under one snapshot), or records why the query cannot be refreshed differentially.
 * Works in the caller's transaction; the caller commits.
 */
public final class StreamTableCompiler {

    private final Connection connection;

    public StreamTableCompiler(Connection connection) {
        this.connection = connection;
    }

    /** Compiles one stream table, whatever its compile status. */
    public CompileResult compile(String name) throws SQLException {
        String normalizedQuery;
        String canonicalName;
        String status;
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pgtrickle._display_name(st.pgt_schema, st.pgt_name), st.normalized_query, st.compile_status"
                        + " FROM pgtrickle._find_stream_table(?) AS st")) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                canonicalName = row.getString(1);
                normalizedQuery = row.getString(2);
                status = row.getString(3);
            }
        }
        if (status.equals("NOT_NEEDED")) {
            return new CompileResult(canonicalName, CompileResult.Outcome.NOT_NEEDED,
                    "refresh mode FULL or volatile functions");
        }
        CompiledPlan plan;
        try {
            QueryPlan tree = new QueryParser().parse(normalizedQuery, new JdbcRelationCatalog(connection));
            plan = new PlanCompiler(new JdbcTypeProbe(connection)).compile(tree, normalizedQuery);
        } catch (UnsupportedQueryException e) {
            boolean refused;
            try (PreparedStatement mark = connection.prepareStatement("SELECT pgtrickle._mark_unsupported(?, ?)")) {
                mark.setString(1, canonicalName);
                mark.setString(2, e.getMessage());
                try (ResultSet row = mark.executeQuery()) {
                    row.next();
                    refused = row.getBoolean(1);
                }
            }
            return new CompileResult(canonicalName,
                    refused ? CompileResult.Outcome.REFUSED : CompileResult.Outcome.UNSUPPORTED, e.getMessage());
        }
        try (PreparedStatement install = connection.prepareStatement("SELECT pgtrickle._install_plan(?, ?::jsonb)")) {
            install.setString(1, canonicalName);
            install.setString(2, PlanJson.write(plan));
            install.execute();
        }
        return new CompileResult(canonicalName, CompileResult.Outcome.COMPILED, plan.strategy().name());
    }

    /** Names of the stream tables waiting for the compiler. */
    public List<String> pending() throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pgtrickle._display_name(pgt_schema, pgt_name) FROM pgtrickle.pgt_stream_tables"
                        + " WHERE compile_status = 'PENDING' ORDER BY pgt_id");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }
}
