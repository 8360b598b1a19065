package dev.pgtrickle.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code --jdbc-url} option, mixed into every command that talks to an existing database. */
public final class ConnectionOptions {

    static final String ENV = "PGTRICKLE_JDBC_URL";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec mixee;

    @Option(names = "--jdbc-url", paramLabel = "URL", defaultValue = "${env:" + ENV + "}",
            description = "JDBC URL of the database, e.g. jdbc:postgresql://localhost/app?user=app "
                    + "(default: $" + ENV + ").")
    private String jdbcUrl;

    /** Opens a connection; a missing URL is a usage error, since the user forgot an option. */
    public Connection open() throws SQLException {
        return DriverManager.getConnection(url());
    }

    /** The JDBC URL given. */
    public String url() {
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            throw new ParameterException(mixee.commandLine(),
                    "Missing JDBC URL: pass --jdbc-url or set the environment variable " + ENV);
        }
        return jdbcUrl;
    }
}
