package dev.pgtrickle.testsupport;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.PGConnection;

/**
 * A database of its own on a {@link PostgresServer}, with small JDBC helpers for tests.
 *
 * <p>{@link PostgresTest} creates one per test class. Tests that need more databases create them
 * with {@link #create(PostgresServer, String)} on {@link #server()} and {@link #drop()} them.
 */
public final class TestDatabase {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String DUPLICATE_OBJECT = "42710";
    private static final String DEPENDENT_OBJECTS_STILL_EXIST = "2BP01";
    /** Leaves room for the random suffix within PostgreSQL's 63-byte identifiers. */
    private static final int MAX_HINT_LENGTH = 40;

    private final PostgresServer server;
    private final String name;
    private final Set<String> createdRoles = ConcurrentHashMap.newKeySet();

    private TestDatabase(PostgresServer server, String name) {
        this.server = server;
        this.name = name;
    }

    /**
     * Creates a database whose name starts with the sanitized hint and ends with a random suffix,
     * so that runs sharing an external server never collide.
     */
    public static TestDatabase create(PostgresServer server, String nameHint) throws SQLException {
        String name = uniqueName(nameHint);
        try (Connection admin = server.connectAdmin(server.maintenanceDatabase());
             Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return new TestDatabase(server, name);
    }

    /** Drops the database, disconnecting its sessions, and the roles {@link #createRole} created. */
    public void drop() throws SQLException {
        try (Connection admin = server.connectAdmin(server.maintenanceDatabase());
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            for (String role : createdRoles) {
                dropRole(admin, statement, role);
            }
        }
    }

    public PostgresServer server() {
        return server;
    }

    public String databaseName() {
        return name;
    }

    /** URL of the administrative user (superuser unless an external server names another role). */
    public String jdbcUrl() {
        return server.adminJdbcUrl(name);
    }

    public String jdbcUrlAs(String role, String password) {
        return server.jdbcUrl(name, role, password);
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl());
    }

    public Connection connectAs(String role, String password) throws SQLException {
        return DriverManager.getConnection(jdbcUrlAs(role, password));
    }

    public int serverMajorVersion() throws SQLException {
        return server.majorVersion();
    }

    /** Runs SQL (one or more statements) as the administrative user in autocommit mode. */
    public void execute(String sql) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** Returns every row as a map from column label to value, in column order. */
    public List<Map<String, Object>> queryList(String sql) throws SQLException {
        try (Connection connection = connect();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rows.getMetaData();
            List<Map<String, Object>> result = new ArrayList<>();
            while (rows.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int column = 1; column <= meta.getColumnCount(); column++) {
                    row.put(meta.getColumnLabel(column), rows.getObject(column));
                }
                result.add(row);
            }
            return result;
        }
    }

    /** Returns the first column of the only row as text; fails unless there is exactly one row. */
    public String queryString(String sql) throws SQLException {
        try (Connection connection = connect();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            if (!rows.next()) {
                throw new SQLException("Expected one row, got none: " + sql);
            }
            String value = rows.getString(1);
            if (rows.next()) {
                throw new SQLException("Expected one row, got more: " + sql);
            }
            return value;
        }
    }

    /** Returns the first column of the only row as a number; fails on NULL or a row count other than one. */
    public long queryLong(String sql) throws SQLException {
        String value = queryString(sql);
        if (value == null) {
            throw new SQLException("Expected a number, got NULL: " + sql);
        }
        return Long.parseLong(value);
    }

    /**
     * Creates a role, or updates it when it exists already: roles are cluster-wide, so another
     * test class or an earlier run may have left one with the same name. Roles created here are
     * dropped with the database.
     *
     * @param password the password, or {@code null} for none
     * @param options  role options spliced in as SQL, e.g. {@code "LOGIN"}, {@code "NOSUPERUSER"}
     */
    public void createRole(String role, String password, String... options) throws SQLException {
        try (Connection admin = server.connectAdmin(name); Statement statement = admin.createStatement()) {
            statement.setEscapeProcessing(false); // a password may contain JDBC escape syntax like {fn ...}
            PGConnection pg = admin.unwrap(PGConnection.class);
            String quoted = pg.escapeIdentifier(role);
            String passwordClause = password == null ? "" : " PASSWORD '" + pg.escapeLiteral(password) + "'";
            try {
                statement.execute("CREATE ROLE " + quoted + " " + String.join(" ", options) + passwordClause);
                createdRoles.add(role);
            } catch (SQLException e) {
                if (!DUPLICATE_OBJECT.equals(e.getSQLState())) {
                    throw e;
                }
                String clause = String.join(" ", withoutSuperuserOptionsThatHold(admin, role, options)) + passwordClause;
                if (!clause.isBlank()) {
                    statement.execute("ALTER ROLE " + quoted + " WITH " + clause);
                }
            }
        }
    }

    @Override
    public String toString() {
        return name + " on " + server;
    }

    /**
     * Drops [NO]SUPERUSER options the role satisfies already: PostgreSQL accepts them in ALTER ROLE
     * only from superusers, even when nothing changes, and an external server's user may not be one.
     */
    private static List<String> withoutSuperuserOptionsThatHold(Connection admin, String role, String[] options)
            throws SQLException {
        boolean superuser;
        try (PreparedStatement query = admin.prepareStatement("SELECT rolsuper FROM pg_roles WHERE rolname = ?")) {
            query.setString(1, role);
            try (ResultSet rows = query.executeQuery()) {
                superuser = rows.next() && rows.getBoolean(1);
            }
        }
        List<String> changes = new ArrayList<>();
        for (String option : options) {
            boolean holds = superuser ? option.equalsIgnoreCase("SUPERUSER") : option.equalsIgnoreCase("NOSUPERUSER");
            if (!holds) {
                changes.add(option);
            }
        }
        return changes;
    }

    private static void dropRole(Connection admin, Statement statement, String role) throws SQLException {
        try {
            statement.execute("DROP ROLE IF EXISTS " + admin.unwrap(PGConnection.class).escapeIdentifier(role));
        } catch (SQLException e) {
            // The role still holds privileges in another database; a later createRole reuses it.
            if (!DEPENDENT_OBJECTS_STILL_EXIST.equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    private static String uniqueName(String hint) {
        String sanitized = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_");
        if (sanitized.length() > MAX_HINT_LENGTH) {
            sanitized = sanitized.substring(0, MAX_HINT_LENGTH);
        }
        return "pgt_" + sanitized + "_" + Long.toHexString(RANDOM.nextLong() & 0xffffffffL);
    }
}
