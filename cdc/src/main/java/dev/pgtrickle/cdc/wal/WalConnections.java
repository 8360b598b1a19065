package dev.pgtrickle.cdc.wal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.PGProperty;

/** The two kinds of connection the decoder needs: ordinary SQL and logical replication. */
public interface WalConnections {

    Connection sql() throws SQLException;

    Connection replication() throws SQLException;

    /** Both kinds from one JDBC URL (credentials and driver settings included). */
    static WalConnections of(String jdbcUrl) {
        return new WalConnections() {
            @Override
            public Connection sql() throws SQLException {
                return DriverManager.getConnection(jdbcUrl);
            }

            @Override
            public Connection replication() throws SQLException {
                Properties properties = new Properties();
                PGProperty.REPLICATION.set(properties, "database");
                PGProperty.ASSUME_MIN_SERVER_VERSION.set(properties, "10");
                // The replication protocol accepts only simple queries.
                PGProperty.PREFER_QUERY_MODE.set(properties, "simple");
                return DriverManager.getConnection(jdbcUrl, properties);
            }
        };
    }
}
