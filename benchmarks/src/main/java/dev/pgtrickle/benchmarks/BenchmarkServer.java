package dev.pgtrickle.benchmarks;

import com.sun.security.auth.module.UnixSystem;
import dev.pgtrickle.testsupport.ServerSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The PostgreSQL the benchmark runs on: the embedded PostgreSQL 18 of the tests (same server
 * settings, {@link ServerSettings}, plus {@link #BENCHMARK_SETTINGS}), or an existing server
 * given by a JDBC URL, on which a fresh database is created and dropped afterwards.
 */
public final class BenchmarkServer implements AutoCloseable {

    /**
     * On top of the tests' settings (fsync off, synchronous_commit off, full_page_writes off,
     * wal_level logical): room for the working set, no checkpoints during the run, and no
     * autovacuum (the benchmark vacuums and analyzes explicitly between measurements, so an
     * autovacuum worker never competes with a timed statement on the 2-core machine).
     */
    static final Map<String, String> BENCHMARK_SETTINGS = Map.of(
            "shared_buffers", "1GB",
            "max_wal_size", "8GB",
            "checkpoint_timeout", "1h",
            "autovacuum", "off");

    private final EmbeddedPostgres embedded;
    private final String adminUrl;
    private final String databaseName;
    private final String databaseUrl;
    private final boolean keepDatabase;

    private BenchmarkServer(EmbeddedPostgres embedded, String adminUrl, String databaseName, String databaseUrl,
                            boolean keepDatabase) {
        this.embedded = embedded;
        this.keepDatabase = keepDatabase;
        this.adminUrl = adminUrl;
        this.databaseName = databaseName;
        this.databaseUrl = databaseUrl;
    }

    /**
     * Starts the embedded server, or uses {@code jdbcUrl}'s server; creates the benchmark database.
     *
     * @param serverSettings for the embedded server: settings that replace or add to
     *                       {@link #BENCHMARK_SETTINGS} (an existing server is left as it is)
     */
    public static BenchmarkServer start(String jdbcUrl, boolean keepDatabase, Map<String, String> serverSettings)
            throws IOException, SQLException {
        String name = "pgtrickle_bench_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        if (jdbcUrl != null) {
            createDatabase(jdbcUrl, name);
            return new BenchmarkServer(null, jdbcUrl, name, withDatabase(jdbcUrl, name), keepDatabase);
        }
        if (new UnixSystem().getUid() == 0 && !LinuxUtils.isUnshareAvailable()) {
            throw new IllegalStateException("PostgreSQL cannot run as root and user namespaces (unshare -U) are"
                    + " not available: run as another user, or pass --jdbc-url (or PGTRICKLE_TEST_JDBC_URL)");
        }
        Map<String, String> settings = new LinkedHashMap<>(ServerSettings.values());
        settings.putAll(BENCHMARK_SETTINGS);
        settings.putAll(serverSettings);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofSeconds(120));
        settings.forEach(builder::setServerConfig);
        EmbeddedPostgres postgres = builder.start();
        String admin = postgres.getJdbcUrl("postgres", "postgres");
        createDatabase(admin, name);
        return new BenchmarkServer(postgres, admin, name, postgres.getJdbcUrl("postgres", name), false);
    }

    public String databaseUrl() {
        return databaseUrl;
    }

    public String describe() {
        return embedded != null ? "embedded PostgreSQL (zonky binaries), port " + embedded.getPort()
                : "external server " + URI.create(adminUrl.substring(5)).getHost();
    }

    @Override
    public void close() throws IOException, SQLException {
        if (keepDatabase && embedded == null) {
            System.err.println("kept database " + databaseName);
            return;
        }
        try (Connection admin = DriverManager.getConnection(adminUrl); Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + databaseName + " WITH (FORCE)");
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static void createDatabase(String adminUrl, String name) throws SQLException {
        try (Connection admin = DriverManager.getConnection(adminUrl); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
    }

    /** The same URL with another database: jdbc:postgresql://host:port/db?params. */
    static String withDatabase(String jdbcUrl, String database) {
        int hostStart = jdbcUrl.indexOf("//");
        int pathStart = jdbcUrl.indexOf('/', hostStart + 2);
        int query = jdbcUrl.indexOf('?');
        String base = pathStart < 0 ? (query < 0 ? jdbcUrl : jdbcUrl.substring(0, query)) : jdbcUrl.substring(0, pathStart);
        return base + "/" + database + (query < 0 ? "" : jdbcUrl.substring(query));
    }
}
