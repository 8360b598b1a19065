package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.DatabaseCommand;
import dev.pgtrickle.cli.FunctionCall;
import java.sql.Connection;
import java.sql.SQLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtrickle drop}: calls {@code pgtrickle.drop_stream_table}. */
@Command(name = "drop", description = "Drop a stream table.")
public final class DropCommand extends DatabaseCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "Stream table name.")
    private String name;

    @Option(names = "--cascade", description = "Also drop the stream tables that depend on it.")
    private boolean cascade;

    @Override
    protected void run(Connection connection) throws SQLException {
        execute(connection, new FunctionCall("pgtrickle.drop_stream_table")
                .arg("name", name)
                .arg("cascade", cascade));
        out().println("stream table " + name + " dropped");
    }
}
