package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.CliException;
import dev.pgtrickle.cli.DatabaseCommand;
import dev.pgtrickle.cli.ErrorReporter;
import dev.pgtrickle.cli.FunctionCall;
import dev.pgtrickle.ivm.compile.CompileResult;
import dev.pgtrickle.ivm.compile.StreamTableCompiler;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgtrickle compile}: adopts stream tables created through SQL by compiling their
 * differential plan (hidden columns added, contents recomputed). Each in its own transaction.
 */
@Command(name = "compile", description = "Compile the differential refresh of a stream table, or of all pending ones.")
public final class CompileCommand extends DatabaseCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Stream table name.")
    private String name;

    @Option(names = "--pending", description = "Compile every stream table waiting for the compiler.")
    private boolean pending;

    @Override
    protected void validate() {
        if ((name == null) == !pending) {
            throw new picocli.CommandLine.ParameterException(commandLine(), "Give either NAME or --pending");
        }
    }

    @Override
    protected void run(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        List<String> names = pending ? new StreamTableCompiler(connection).pending() : List.of(name);
        connection.commit();
        if (names.isEmpty()) {
            out().println("no stream table is waiting for the compiler");
        }
        int failures = 0;
        for (String table : names) {
            try {
                CompileResult result = new StreamTableCompiler(connection).compile(table);
                connection.commit();
                if (result.outcome() != CompileResult.Outcome.REFUSED) {
                    out().println(result.describe());
                } else if (pending) {
                    failures++;
                    err().println("error: " + result.describe());
                } else {
                    throw new CliException(result.describe());
                }
            } catch (SQLException e) {
                connection.rollback();
                recordFailure(connection, table, ErrorReporter.message(e));
                if (!pending) {
                    throw e;
                }
                failures++;
                err().println("error: " + table + ": " + ErrorReporter.message(e));
            }
        }
        if (failures > 0) {
            throw new CliException(failures + " of " + names.size() + " stream tables could not be compiled");
        }
    }

    /**
     * Keeps the error with the stream table, so that status and health_check say what happened.
     * Best effort: the error itself has been reported already.
     */
    private static void recordFailure(Connection connection, String table, String error) {
        try {
            new FunctionCall("pgtrickle.record_compile_failure").arg("name", table).arg("error", error).execute(connection);
            connection.commit();
        } catch (SQLException ignored) {
            try {
                connection.rollback();
            } catch (SQLException alsoIgnored) {
                // The connection is closed right after; nothing more to undo.
            }
        }
    }
}
