package dev.pgtrickle.cli;

import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.core.catalog.CatalogState;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the commands that work on stream tables: connects, checks the catalog, then runs the
 * command. A role that may install or upgrade the catalog does so when needed (so a first command
 * on a fresh database just works); any other role that can read the catalog may still use the
 * read-only commands, and is told who can upgrade it.
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
            prepareCatalog(c);
            run(c);
        }
        return 0;
    }

    /** Whether the command only reads, and so works with an older catalog it may not upgrade. */
    protected boolean readOnly() {
        return false;
    }

    private void prepareCatalog(Connection c) throws SQLException {
        CatalogState catalog = CatalogState.of(c);
        if (catalog.current()) {
            return;
        }
        if (catalog.mayInstall()) {
            err().println(CatalogInstaller.install(c).describe());
            return;
        }
        if (!catalog.installed()) {
            throw new CliException("pgtrickle is not installed in database " + c.getCatalog()
                    + ", and this role may not install it: run `pgtrickle install` as a role with the CREATE privilege"
                    + " on the database");
        }
        if (!readOnly()) {
            throw new CliException("the pgtrickle catalog is older than this pgtrickle, and upgrading it needs the rights"
                    + " of its owner " + catalog.owner() + ": run `pgtrickle install` as " + catalog.owner());
        }
        err().println("warning: the pgtrickle catalog is older than this pgtrickle; its owner " + catalog.owner()
                + " upgrades it with `pgtrickle install`");
    }

    /** Checks option combinations picocli cannot express, before any connection is made. */
    protected void validate() {
    }

    protected abstract void run(Connection connection) throws SQLException;

    /** Runs a SQL API call, passing the server's notices on to the user. */
    protected void execute(Connection connection, FunctionCall call) throws SQLException {
        call.execute(connection).forEach(notice -> err().println("notice: " + notice));
    }

    /** The JDBC URL the command connects with. */
    protected String jdbcUrl() {
        return connection.url();
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
