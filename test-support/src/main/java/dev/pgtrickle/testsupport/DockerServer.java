package dev.pgtrickle.testsupport;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** The official {@code postgres:<major>} image through Testcontainers. */
final class DockerServer implements PostgresServer {

    private final PostgreSQLContainer container;

    private DockerServer(PostgreSQLContainer container) {
        this.container = container;
    }

    /** Aborts (skips) the calling tests when no Docker engine is reachable. */
    static DockerServer start(int majorVersion) {
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "No Docker engine is reachable: skipping tests on backend 'docker'");
        List<String> command = new ArrayList<>(List.of("postgres"));
        command.addAll(ServerSettings.asCommandLineOptions());
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:" + majorVersion)
                .withCommand(command.toArray(String[]::new));
        container.start();
        return new DockerServer(container);
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
    }

    @Override
    public String adminUser() {
        return container.getUsername();
    }

    @Override
    public String adminPassword() {
        return container.getPassword();
    }

    @Override
    public String maintenanceDatabase() {
        return "postgres";
    }

    @Override
    public void close() {
        container.stop();
    }

    @Override
    public String toString() {
        return container.getDockerImageName() + " container on " + host() + ":" + port();
    }
}
