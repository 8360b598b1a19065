package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.DatabaseCommand;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code pgtrickle explain}: prints {@code pgtrickle.explain_stream_table(name)}. */
@Command(name = "explain", description = "Show how a stream table is refreshed: operators, strategies, hidden columns, SQL.")
public final class ExplainCommand extends DatabaseCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "Stream table name.")
    private String name;

    @Override
    protected boolean readOnly() {
        return true;
    }

    @Override
    protected void run(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pgtrickle.explain_stream_table(?)")) {
            statement.setString(1, name);
            try (ResultSet lines = statement.executeQuery()) {
                while (lines.next()) {
                    out().println(lines.getString(1));
                }
            }
        }
    }
}
