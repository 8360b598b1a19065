package dev.pgtrickle.core.catalog;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A DataSource over one caller-owned connection: the installer runs on the caller's session
 * (its role and settings) and leaves the connection open.
 */
final class ConnectionDataSource implements DataSource {

    private final Connection connection;

    ConnectionDataSource(Connection connection) {
        this.connection = NonClosingConnection.wrap(connection);
    }

    @Override
    public Connection getConnection() {
        return connection;
    }

    @Override
    public Connection getConnection(String username, String password) {
        return connection;
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // Not used: Flyway logs through its own logging abstraction.
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // Not applicable: the connection is already open.
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
