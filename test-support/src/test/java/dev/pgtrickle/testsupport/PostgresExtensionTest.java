package dev.pgtrickle.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@PostgresTest
class PostgresExtensionTest {

    /** Quotes and JDBC escape syntax must reach the server verbatim. */
    private static final String PASSWORD = "s3cret'\"{fn now()}";

    private static TestDatabase fromBeforeAll;
    private final TestDatabase fromConstructor;
    private TestDatabase fromBeforeEach;

    PostgresExtensionTest(TestDatabase database) {
        this.fromConstructor = database;
    }

    @BeforeAll
    static void beforeAll(TestDatabase database) {
        fromBeforeAll = database;
    }

    @BeforeEach
    void beforeEach(TestDatabase database) {
        fromBeforeEach = database;
    }

    @Test
    void resolvesOneDatabasePerClassEverywhere(TestDatabase database) throws SQLException {
        assertSame(fromBeforeAll, database);
        assertSame(fromConstructor, database);
        assertSame(fromBeforeEach, database);
        assertEquals(database.databaseName(), database.queryString("SELECT current_database()"));
    }

    @Test
    void serverIsConfiguredForLogicalDecoding(TestDatabase database) throws SQLException {
        assertEquals("logical", database.queryString("SHOW wal_level"));
    }

    @Test
    void startedServersUseTheTestSettings(TestDatabase database) throws SQLException {
        assumeTrue(Backend.selected().startsItsOwnServer(), "an external server keeps its own settings");
        for (Map.Entry<String, String> setting : ServerSettings.values().entrySet()) {
            assertEquals(setting.getValue(), database.queryString("SHOW " + setting.getKey()), setting.getKey());
        }
    }

    @Test
    void serverRunsTheRequestedMajorVersion(TestDatabase database) throws SQLException {
        assumeTrue(Backend.selected().startsItsOwnServer(), "an external server runs whatever version it runs");
        int expected = Backend.requestedMajorVersion().orElse(Backend.DEFAULT_MAJOR_VERSION);
        assertEquals(expected, database.serverMajorVersion());
        assertEquals(expected, database.queryLong("SHOW server_version_num") / 10000);
    }

    @Test
    void nonSuperuserRoleCanConnect(TestDatabase database) throws SQLException {
        database.createRole("pgt_ext_reader", PASSWORD, "LOGIN", "NOSUPERUSER");
        // Roles are cluster-wide: creating it again updates it instead of failing.
        database.createRole("pgt_ext_reader", PASSWORD, "LOGIN", "NOSUPERUSER");
        try (Connection connection = database.connectAs("pgt_ext_reader", PASSWORD);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT current_user, rolsuper, current_database() FROM pg_roles WHERE rolname = current_user")) {
            rows.next();
            assertEquals("pgt_ext_reader", rows.getString(1));
            assertEquals(false, rows.getBoolean(2));
            assertEquals(database.databaseName(), rows.getString(3));
        }
    }

    @Test
    void queryListReturnsRowsAsColumnMaps(TestDatabase database) throws SQLException {
        database.execute("CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'a'), (2, 'b')");
        assertEquals(
                List.of(Map.of("id", 1, "name", "a"), Map.of("id", 2, "name", "b")),
                database.queryList("SELECT id, name FROM t ORDER BY id"));
    }
}
