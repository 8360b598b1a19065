package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.DatabaseCommand;
import dev.pgtrickle.cli.FunctionCall;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code pgtrickle alter}: calls {@code pgtrickle.alter_stream_table}; options not given stay unchanged. */
@Command(name = "alter", description = "Change a stream table's query, schedule, refresh mode, status or tier.")
public final class AlterCommand extends DatabaseCommand {

    /** Values of {@code status} a user may set. */
    public enum Status { ACTIVE, SUSPENDED }

    /** Scheduling tiers; the SQL API spells them in lower case. */
    public enum Tier { HOT, WARM, COLD, FROZEN }

    @Parameters(index = "0", paramLabel = "NAME", description = "Stream table name.")
    private String name;

    @Option(names = "--query", paramLabel = "Q", description = "New defining query.")
    private String query;

    @Option(names = "--schedule", paramLabel = "S", description = "New schedule.")
    private String schedule;

    @Option(names = "--refresh-mode", paramLabel = "M", description = "One of ${COMPLETION-CANDIDATES}.")
    private RefreshMode refreshMode;

    @Option(names = "--status", paramLabel = "STATUS", description = "One of ${COMPLETION-CANDIDATES}.")
    private Status status;

    @Option(names = "--tier", paramLabel = "TIER", description = "One of hot, warm, cold, frozen.")
    private Tier tier;

    @Option(names = "--diamond-consistency", paramLabel = "C",
            description = "none, or atomic: refresh it together with the stream tables it reads.")
    private String diamondConsistency;

    @Override
    protected void validate() {
        if (functionCall().argumentNames().size() == 1) {
            throw new ParameterException(commandLine(),
                    "Nothing to change: give at least one of --query, --schedule, --refresh-mode, --status, --tier,"
                            + " --diamond-consistency");
        }
    }

    FunctionCall functionCall() {
        return new FunctionCall("pgtrickle.alter_stream_table")
                .arg("name", name)
                .arg("query", query)
                .arg("schedule", schedule)
                .arg("refresh_mode", refreshMode)
                .arg("status", status)
                .arg("tier", tier == null ? null : tier.name().toLowerCase(Locale.ROOT))
                .arg("diamond_consistency", diamondConsistency);
    }

    @Override
    protected void run(Connection connection) throws SQLException {
        execute(connection, functionCall());
        out().println("stream table " + name + " altered");
    }
}
