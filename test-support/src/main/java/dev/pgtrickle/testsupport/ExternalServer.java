package dev.pgtrickle.testsupport;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * A server the developer or CI already runs, named by {@code PGTRICKLE_TEST_JDBC_URL}. Its user
 * needs CREATEDB (and CREATEROLE for tests that create roles); its version is whatever it runs.
 */
final class ExternalServer implements PostgresServer {

    static final String URL_VARIABLE = "PGTRICKLE_TEST_JDBC_URL";

    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    /** Further URL parameters (sslmode, …) carried over to every URL built for the tests. */
    private final Map<String, String> parameters;

    private ExternalServer(String host, int port, String database, String user, String password,
                           Map<String, String> parameters) {
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.parameters = parameters;
    }

    static ExternalServer fromEnvironment() {
        String url = System.getenv(URL_VARIABLE);
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("Backend 'external' needs the environment variable " + URL_VARIABLE);
        }
        return parse(url);
    }

    @Override
    public boolean startedByTests() {
        return false;
    }

    static ExternalServer parse(String url) {
        Properties properties = Driver.parseURL(url, null);
        if (properties == null) {
            throw new IllegalArgumentException(URL_VARIABLE + " is not a PostgreSQL JDBC URL: " + url);
        }
        String user = properties.getProperty(PGProperty.USER.getName(), System.getProperty("user.name"));
        String password = properties.getProperty(PGProperty.PASSWORD.getName());
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (!name.startsWith("PG") && !name.equals(PGProperty.USER.getName())
                    && !name.equals(PGProperty.PASSWORD.getName())) {
                parameters.put(name, properties.getProperty(name));
            }
        }
        return new ExternalServer(
                properties.getProperty(PGProperty.PG_HOST.getName()),
                Integer.parseInt(properties.getProperty(PGProperty.PG_PORT.getName())),
                properties.getProperty(PGProperty.PG_DBNAME.getName()),
                user, password, parameters);
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String adminUser() {
        return user;
    }

    @Override
    public String adminPassword() {
        return password;
    }

    /** The database named in the URL: the only one the user is known to reach. */
    @Override
    public String maintenanceDatabase() {
        return database;
    }

    @Override
    public String jdbcUrl(String database, String user, String password) {
        return JdbcUrls.build(host, port, database, user, password, parameters);
    }

    /** The server belongs to someone else: leave it running. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "external PostgreSQL at " + host + ":" + port;
    }
}
