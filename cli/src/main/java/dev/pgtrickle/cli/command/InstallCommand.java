package dev.pgtrickle.cli.command;

import dev.pgtrickle.cli.ConnectionOptions;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code pgtrickle install}: installs or upgrades the catalog and SQL API in the database. */
@Command(name = "install", description = "Install or upgrade the pgtrickle catalog and SQL API in the database.")
public final class InstallCommand implements Callable<Integer> {

    @Mixin
    private ConnectionOptions connection;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws SQLException {
        try (Connection c = connection.open()) {
            spec.commandLine().getOut().println(CatalogInstaller.install(c).describe());
        }
        return 0;
    }
}
