package dev.pgtrickle.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** One autocommit JDBC session of the benchmark with small helpers. */
public final class Db implements AutoCloseable {

    private final Connection connection;

    private Db(Connection connection) {
        this.connection = connection;
    }

    public static Db connect(String jdbcUrl) throws SQLException {
        Connection connection = DriverManager.getConnection(jdbcUrl);
        connection.setAutoCommit(true);
        return new Db(connection);
    }

    public Connection connection() {
        return connection;
    }

    public void execute(String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** Runs the statement in autocommit mode and returns its wall-clock time, commit included. */
    public long timed(String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            long start = System.nanoTime();
            statement.execute(sql);
            return System.nanoTime() - start;
        }
    }

    public long queryLong(String sql) throws SQLException {
        String value = queryString(sql);
        if (value == null) {
            throw new SQLException("NULL from " + sql);
        }
        return Long.parseLong(value);
    }

    public String queryString(String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            if (!rows.next()) {
                throw new SQLException("no row from " + sql);
            }
            return rows.getString(1);
        }
    }

    /** First column of every row, as text. */
    public List<String> queryColumn(String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }

    public PreparedStatement prepare(String sql) throws SQLException {
        return connection.prepareStatement(sql);
    }

    /** Runs the work in one transaction and commits it. */
    public void inTransaction(Samples.SqlAction work) throws SQLException {
        connection.setAutoCommit(false);
        try {
            work.run();
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /** Gives the current database these settings (ALTER DATABASE … SET); new sessions get them. */
    public void alterDatabase(java.util.Map<String, String> settings) throws SQLException {
        for (var setting : settings.entrySet()) {
            execute("ALTER DATABASE " + queryString("SELECT quote_ident(current_database())")
                    + " SET " + setting.getKey() + " = " + quoteLiteral(setting.getValue()));
        }
    }

    public String quoteLiteral(String value) throws SQLException {
        return "'" + connection.unwrap(org.postgresql.PGConnection.class).escapeLiteral(value) + "'";
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
