package dev.pgtrickle.cli.cdc;

import dev.pgtrickle.cli.CliException;
import dev.pgtrickle.cli.DatabaseCommand;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Asks for a capture mode for some sources ({@code pgtrickle.set_cdc_mode}) and waits while the
 * daemon makes the switch: it reports each source once it is there, or the note saying why not.
 */
abstract class CdcSwitchCommand extends DatabaseCommand {

    static final class Tables {
        @Parameters(paramLabel = "TABLE", arity = "1..*", description = "Source table(s), optionally schema-qualified.")
        List<String> names;

        @Option(names = "--all", required = true, description = "Every captured source table.")
        boolean all;
    }

    @ArgGroup(multiplicity = "1")
    private Tables tables;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the daemon to make the switch (0: do not wait; default: ${DEFAULT-VALUE}).")
    private int waitSeconds;

    /** The capture mode asked for: {@code wal} or {@code trigger}. */
    protected abstract String mode();

    @Override
    protected void validate() {
        if (waitSeconds < 0) {
            throw new CliException("--wait must be 0 or more seconds, not " + waitSeconds);
        }
    }

    @Override
    protected void run(Connection connection) throws SQLException {
        List<String> sources = new ArrayList<>();
        for (String name : tables.all ? allSources(connection) : tables.names) {
            try (PreparedStatement request = connection.prepareStatement(
                    "SELECT pgtrickle.set_cdc_mode(?::regclass, ?), ?::regclass::oid")) {
                request.setString(1, name);
                request.setString(2, mode());
                request.setString(3, name);
                try (ResultSet row = request.executeQuery()) {
                    row.next();
                    sources.add(row.getString(2));
                }
            }
        }
        if (sources.isEmpty()) {
            out().println("no captured source tables");
            return;
        }
        if (!daemonConnected(connection)) {
            out().println("requested " + mode() + " capture for " + sources.size() + " table(s); no pgtrickle daemon serves"
                    + " this database, so the switch happens once `pgtrickle serve` runs");
            return;
        }
        if (waitSeconds == 0) {
            out().println("requested " + mode() + " capture for " + sources.size() + " table(s); the daemon makes the"
                    + " switch (see `pgtrickle cdc status`)");
            return;
        }
        await(connection, sources);
    }

    private void await(Connection connection, List<String> sources) throws SQLException {
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        List<String> pending = new ArrayList<>(sources);
        while (true) {
            for (String oid : List.copyOf(pending)) {
                Progress progress = progress(connection, oid);
                if (progress.done()) {
                    out().println(progress.source() + ": captured by " + (mode().equals("wal") ? "the WAL" : "triggers"));
                    pending.remove(oid);
                }
            }
            if (pending.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                StringBuilder message = new StringBuilder("not switched yet after " + waitSeconds + " s:");
                for (String oid : pending) {
                    Progress progress = progress(connection, oid);
                    message.append("\n  ").append(progress.source()).append(": ")
                            .append(progress.note() == null ? "in progress (see `pgtrickle cdc status`)" : progress.note());
                }
                throw new CliException(message.toString());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
        }
    }

    private record Progress(String source, boolean done, String note) {
    }

    private Progress progress(Connection connection, String oid) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT source, cdc_mode = ? AND triggers = (? = 'trigger'), note FROM pgtrickle.cdc_status()"
                        + " WHERE relid = ?::oid")) {
            statement.setString(1, mode());
            statement.setString(2, mode());
            statement.setString(3, oid);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new CliException("table with oid " + oid + " is no longer a captured source");
                }
                return new Progress(row.getString(1), row.getBoolean(2), row.getString(3));
            }
        }
    }

    private static List<String> allSources(Connection connection) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT source FROM pgtrickle.cdc_status()")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }

    /** Whether a pgtrickle daemon leads this database (it holds the leader lock). */
    static boolean daemonConnected(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT pgtrickle.daemon_connected()")) {
            row.next();
            return row.getBoolean(1);
        }
    }
}
