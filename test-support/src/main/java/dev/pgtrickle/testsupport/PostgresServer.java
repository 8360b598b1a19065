package dev.pgtrickle.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * A running PostgreSQL the tests connect to, whichever backend provides it. Use it directly only
 * to create further databases ({@link TestDatabase#create(PostgresServer, String)}) or to reach
 * the server by host and port.
 */
public sealed interface PostgresServer extends AutoCloseable
        permits LocalServer, ExternalServer, DockerServer {

    String host();

    int port();

    /** Superuser for servers the tests start; the role named in the URL for an external server. */
    String adminUser();

    /** {@code null} when the server trusts connections from the tests. */
    String adminPassword();

    /** The database the administrative user connects to for CREATE and DROP DATABASE. */
    String maintenanceDatabase();

    default String jdbcUrl(String database, String user, String password) {
        return JdbcUrls.build(host(), port(), database, user, password, Map.of());
    }

    default String adminJdbcUrl(String database) {
        return jdbcUrl(database, adminUser(), adminPassword());
    }

    default Connection connectAdmin(String database) throws SQLException {
        return DriverManager.getConnection(adminJdbcUrl(database));
    }

    default int majorVersion() throws SQLException {
        try (Connection connection = connectAdmin(maintenanceDatabase());
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    /**
     * Whether the tests started this server (so a test may change its configuration for a while,
     * e.g. with {@code ALTER SYSTEM}); false for an external one, shared with others.
     */
    default boolean startedByTests() {
        return true;
    }

    /**
     * Stops a server the tests started; leaves an external server running. The shared server is
     * closed by a shutdown hook: tests must not call this.
     */
    @Override
    void close();
}
