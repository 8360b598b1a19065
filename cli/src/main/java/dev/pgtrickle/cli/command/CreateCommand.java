package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.CliException;
import dev.pgtrickle.cli.DatabaseCommand;
import dev.pgtrickle.cli.FunctionCall;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtrickle create}: calls {@code pgtrickle.create_stream_table} or one of its variants. */
@Command(name = "create", description = "Create a stream table defined by a query.")
public final class CreateCommand extends DatabaseCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "Stream table name, optionally schema-qualified.")
    private String name;

    @Parameters(index = "1", paramLabel = "QUERY", description = "Defining query.")
    private String query;

    @Option(names = "--schedule", paramLabel = "S",
            description = "Refresh schedule: a duration ('5s', '1m'), a cron expression or 'calculated' (default).")
    private String schedule;

    @Option(names = "--refresh-mode", paramLabel = "M",
            description = "One of ${COMPLETION-CANDIDATES} (default: AUTO).")
    private RefreshMode refreshMode;

    @Option(names = "--no-initialize", description = "Create the table empty; the first refresh fills it.")
    private boolean noInitialize;

    @Option(names = "--append-only", description = "Declare the sources insert-only, enabling a cheaper refresh path.")
    private boolean appendOnly;

    @Option(names = "--cdc-mode", paramLabel = "M", description = "Change capture mode: trigger or auto (default: the global default, trigger).")
    private String cdcMode;

    @Option(names = "--diamond-consistency", paramLabel = "C",
            description = "none (default), or atomic: refresh it together with the stream tables it reads.")
    private String diamondConsistency;

    @ArgGroup(exclusive = true)
    private Existing existing;

    /** What to do when the stream table already exists; the default is to fail. */
    static final class Existing {
        @Option(names = "--if-not-exists", required = true, description = "Do nothing if it already exists.")
        boolean ifNotExists;

        @Option(names = "--or-replace", required = true, description = "Replace it if it already exists.")
        boolean orReplace;
    }

    FunctionCall functionCall() {
        String function = existing == null ? "create_stream_table"
                : existing.ifNotExists ? "create_stream_table_if_not_exists"
                : "create_or_replace_stream_table";
        return new FunctionCall("pgtrickle." + function)
                .arg("name", name)
                .arg("query", query)
                .arg("schedule", schedule)
                .arg("refresh_mode", refreshMode)
                // Flags pass a value only when given, so the SQL defaults stay authoritative.
                .arg("initialize", noInitialize ? Boolean.FALSE : null)
                .arg("append_only", appendOnly ? Boolean.TRUE : null)
                .arg("cdc_mode", cdcMode)
                .arg("diamond_consistency", diamondConsistency);
    }

    /**
     * For an IMMEDIATE stream table, why its compiled plan cannot maintain it inside the statements
     * on its source (which the SQL API, unable to compile, leaves to a recomputation); else null.
     */
    private String immediateRefusal(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT coalesce(st.plan ->> 'immediate_refusal', st.compile_error) FROM pgtrickle._find_stream_table(?) st"
                        + " WHERE st.refresh_mode = 'IMMEDIATE'")) {
            statement.setString(1, name);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    /** Creates and compiles in one transaction: a DIFFERENTIAL table that cannot be compiled is not created. */
    @Override
    protected void run(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        try {
            execute(connection, functionCall());
            CompileResult compiled = new StreamTableCompiler(connection).compile(name);
            if (compiled.outcome() == CompileResult.Outcome.REFUSED) {
                throw new CliException("stream table " + name + " cannot be refreshed DIFFERENTIAL: " + compiled.detail()
                        + "; nothing was created (use --refresh-mode AUTO, which falls back to FULL, or FULL)");
            }
            String notImmediate = immediateRefusal(connection);
            if (notImmediate != null) {
                throw new CliException("stream table " + name + " cannot be IMMEDIATE: " + notImmediate
                        + "; nothing was created (use a scheduled --refresh-mode with a short --schedule)");
            }
            connection.commit();
            boolean mayHaveExisted = existing != null && existing.ifNotExists;
            out().println("stream table " + name + (mayHaveExisted ? " is in place" : " created"));
            out().println(compiled.describe());
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }
}
