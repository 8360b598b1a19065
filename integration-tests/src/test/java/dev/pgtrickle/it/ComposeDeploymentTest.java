package dev.pgtrickle.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The repository's docker-compose.yml as docs/deployment.md runs it: the image is built, the
 * daemon comes up healthy beside PostgreSQL 18, and the quickstart's stream table is created,
 * refreshed by the daemon on its schedule after its source changes, and compiled to
 * DIFFERENTIAL. Skipped where no Docker engine runs (the file is still validated offline by
 * .ci/run with docker-compose config).
 */
@Testcontainers(disabledWithoutDocker = true)
class ComposeDeploymentTest {

    private static final String PASSWORD = "compose-test";
    private static final int POSTGRES_PORT = freePort();
    private static final int METRICS_PORT = freePort();

    @Container
    static final ComposeContainer COMPOSE = new ComposeContainer(new File("../docker-compose.yml"))
            .withBuild(true)
            .withEnv("POSTGRES_PASSWORD", PASSWORD)
            .withEnv("POSTGRES_PORT", Integer.toString(POSTGRES_PORT))
            .withEnv("PGTRICKLE_METRICS_PORT", Integer.toString(METRICS_PORT))
            .withExposedService("postgres", 5432, Wait.forHealthcheck())
            .withExposedService("pgtrickle", METRICS_PORT, Wait.forHealthcheck())
            .withRemoveVolumes(true)
            .withStartupTimeout(Duration.ofMinutes(20));

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + COMPOSE.getServiceHost("postgres", 5432) + ":"
                + COMPOSE.getServicePort("postgres", 5432) + "/app", "postgres", PASSWORD);
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    @Test
    void theQuickstartRunsAgainstTheComposedDaemon() throws Exception {
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://"
                + COMPOSE.getServiceHost("pgtrickle", METRICS_PORT) + ":" + COMPOSE.getServicePort("pgtrickle", METRICS_PORT)
                + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health::body);
        assertTrue(health.body().contains("\"role\":\"leader\""), health::body);

        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            Eventually.await("the daemon installed the catalog", () ->
                    single(statement, "SELECT to_regprocedure('pgtrickle.pgt_status()')") != null);
            statement.execute("CREATE TABLE readings (id bigserial PRIMARY KEY, sensor text NOT NULL, value numeric NOT NULL)");
            statement.execute("INSERT INTO readings (sensor, value) VALUES ('a', 1.5), ('a', 2.5), ('b', 10)");
            statement.execute("SELECT pgtrickle.create_stream_table(name => 'sensor_stats', query => $$SELECT sensor,"
                    + " count(*) AS readings, avg(value) AS mean FROM readings GROUP BY sensor$$, schedule => '1s')");
            Eventually.await("the daemon compiled sensor_stats", () -> "DIFFERENTIAL".equals(single(statement,
                    "SELECT effective_mode FROM pgtrickle.pgt_status() WHERE name = 'public.sensor_stats'")));

            statement.execute("INSERT INTO readings (sensor, value) VALUES ('b', 20), ('c', 7)");
            Eventually.await("the daemon refreshed sensor_stats", () -> "0".equals(single(statement,
                    "SELECT count(*) FROM ((SELECT sensor, readings, mean FROM sensor_stats"
                            + " EXCEPT ALL SELECT sensor, count(*), avg(value) FROM readings GROUP BY sensor)"
                            + " UNION ALL (SELECT sensor, count(*), avg(value) FROM readings GROUP BY sensor"
                            + " EXCEPT ALL SELECT sensor, readings, mean FROM sensor_stats)) AS d")));
            assertEquals("3", single(statement, "SELECT count(*) FROM sensor_stats"));
        }
    }
}
