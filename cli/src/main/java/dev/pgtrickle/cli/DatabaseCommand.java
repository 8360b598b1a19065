package dev.pgtrickle.cli;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.core.catalog.InstallResult;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the commands that work on stream tables: connects, installs or upgrades the catalog
 * when needed (so a first command on a fresh database just works), then runs the command.
 */
public abstract class DatabaseCommand implements Callable<Integer> {

    @Mixin
    private ConnectionOptions connection;

    @Spec
    private CommandSpec spec;

    @Override
    public final Integer call() throws SQLException {
        validate();
        try (Connection c = connection.open()) {
            if (!CatalogInstaller.isCurrent(c)) {
                InstallResult result = CatalogInstaller.install(c);
                err().println(result.describe());
            }
            run(c);
        }
        return 0;
    }

    /** Checks option combinations picocli cannot express, before any connection is made. */
    protected void validate() {
    }

    protected abstract void run(Connection connection) throws SQLException;

    /** Runs a SQL API call, passing the server's notices on to the user. */
    protected void execute(Connection connection, FunctionCall call) throws SQLException {
        call.execute(connection).forEach(notice -> err().println("notice: " + notice));
    }

    protected CommandLine commandLine() {
        return spec.commandLine();
    }

    protected PrintWriter out() {
        return commandLine().getOut();
    }

    protected PrintWriter err() {
        return commandLine().getErr();
    }
}
