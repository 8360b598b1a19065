package dev.pgtrickle.cli.cdc;

import dev.pgtrickle.cli.DatabaseCommand;
import dev.pgtrickle.cli.output.TextTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import picocli.CommandLine.Command;

/** {@code pgtrickle cdc status}: one line per captured source, from {@code pgtrickle.cdc_status()}. */
@Command(name = "status", description = "Show how each source table's changes are captured and what is pending.")
public final class CdcStatusCommand extends DatabaseCommand {

    @Override
    protected boolean readOnly() {
        return true;
    }

    @Override
    protected void run(Connection connection) throws SQLException {
        TextTable table = new TextTable("SOURCE", "MODE", "TARGET", "TRIGGERS", "JOURNAL", "WHY", "NOTE");
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT source, cdc_mode, target, triggers, journal_pending, why, note FROM pgtrickle.cdc_status()")) {
            while (rows.next()) {
                table.addRow(rows.getString(1), rows.getString(2), rows.getString(3),
                        rows.getBoolean(4) ? "yes" : "no", journal(rows.getString(2), rows.getBoolean(5)),
                        rows.getString(6), rows.getString(7) == null ? "" : rows.getString(7));
            }
        }
        out().print(table.render());
        if (!CdcSwitchCommand.daemonConnected(connection)) {
            err().println("note: no pgtrickle daemon serves this database; switches happen while `pgtrickle serve` runs");
        }
    }

    /** The journal's part: where a WAL source's changes come from, or what a fallback still owes. */
    private static String journal(String mode, boolean owes) {
        return mode.equals("wal") ? "in use" : owes ? "owes changes" : "-";
    }
}
