package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.CliException;
import dev.pgtrickle.cli.DatabaseCommand;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.ZoneId;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtrickle status}: shows {@code pgtrickle.pgt_status()}, for all stream tables or one. */
@Command(name = "status", description = "Show the status of stream tables.")
public final class StatusCommand extends DatabaseCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Only this stream table.")
    private String name;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    private boolean json;

    @Override
    protected boolean readOnly() {
        return true;
    }

    @Override
    protected void run(Connection connection) throws SQLException {
        List<StatusRow> rows = StatusRow.load(connection, name);
        if (name != null && rows.isEmpty()) {
            // Let the SQL API say it, in the same words as every other command.
            try (PreparedStatement find = connection.prepareStatement("SELECT pgtrickle._find_stream_table(?)")) {
                find.setString(1, name);
                find.execute();
            }
            throw new CliException("stream table \"" + name + "\" does not exist");
        }
        StatusView view = new StatusView(ZoneId.systemDefault());
        out().print(json ? view.json(rows) : view.table(rows));
    }
}
