package dev.pgtrickle.testsupport;

/**
 * A server this JVM started from the zonky binaries: on localhost, with the superuser
 * {@code postgres} trusted without a password (initdb {@code -A trust}).
 */
sealed interface LocalServer extends PostgresServer permits EmbeddedServer, NobodyServer {

    @Override
    default String host() {
        return "localhost";
    }

    @Override
    default String adminUser() {
        return "postgres";
    }

    @Override
    default String adminPassword() {
        return null;
    }

    @Override
    default String maintenanceDatabase() {
        return "postgres";
    }
}
