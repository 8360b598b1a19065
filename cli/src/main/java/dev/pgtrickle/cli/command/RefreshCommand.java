package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.DatabaseCommand;
import dev.pgtrickle.cli.ErrorReporter;
import dev.pgtrickle.cli.FunctionCall;
import java.sql.Connection;
import java.sql.SQLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code pgtrickle refresh}: refreshes one stream table now. A failed refresh is recorded in the
 * catalog, like the scheduler does, so {@code status} shows it.
 */
@Command(name = "refresh", description = "Refresh a stream table now.")
public final class RefreshCommand extends DatabaseCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "Stream table name.")
    private String name;

    @Override
    protected void run(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        try {
            execute(connection, new FunctionCall("pgtrickle.refresh_stream_table").arg("name", name));
            connection.commit();
        } catch (SQLException failure) {
            connection.rollback();
            recordFailure(connection, failure);
            throw failure;
        }
        out().println("stream table " + name + " refreshed");
    }

    /** Best effort: the refresh error is what the user needs to see, not a failure to record it. */
    private void recordFailure(Connection connection, SQLException failure) {
        try {
            new FunctionCall("pgtrickle.record_refresh_failure")
                    .arg("name", name)
                    .arg("error", ErrorReporter.message(failure))
                    .arg("initiated_by", "MANUAL")
                    .execute(connection);
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
