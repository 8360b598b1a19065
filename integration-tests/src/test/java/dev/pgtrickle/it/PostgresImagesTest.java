package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pgtrickle.testsupport.ServerSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** Every supported major version's official image runs with the settings the tests rely on. */
@Testcontainers(disabledWithoutDocker = true)
class PostgresImagesTest {

    @ParameterizedTest(name = "postgres:{0}")
    @ValueSource(ints = {15, 16, 17, 18})
    void officialImageRunsWithLogicalDecoding(int majorVersion) throws SQLException {
        List<String> command = new ArrayList<>(List.of("postgres"));
        command.addAll(ServerSettings.asCommandLineOptions());
        try (PostgreSQLContainer container = new PostgreSQLContainer("postgres:" + majorVersion)
                .withCommand(command.toArray(String[]::new))) {
            container.start();
            try (Connection connection = DriverManager.getConnection(
                         container.getJdbcUrl(), container.getUsername(), container.getPassword());
                 Statement statement = connection.createStatement()) {
                assertEquals("logical", single(statement, "SHOW wal_level"));
                assertEquals(Integer.toString(majorVersion),
                        single(statement, "SELECT current_setting('server_version_num')::int / 10000"));
            }
        }
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
