package dev.pgtrickle.testsupport;

import com.sun.security.auth.module.UnixSystem;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.util.Locale;
import java.util.OptionalInt;

/** Where the tests' PostgreSQL comes from, chosen by system properties and the environment. */
enum Backend {
    EMBEDDED, EXTERNAL, DOCKER;

    static final String BACKEND_PROPERTY = "pgtrickle.test.backend";
    static final String VERSION_PROPERTY = "pgtrickle.test.pgVersion";
    /** The image tag when no version is requested; the embedded binaries default to it as well. */
    static final int DEFAULT_MAJOR_VERSION = 18;

    /**
     * {@code -Dpgtrickle.test.backend=embedded|external|docker}; when empty, an external server
     * if {@code PGTRICKLE_TEST_JDBC_URL} is set, else the embedded one.
     */
    static Backend selected() {
        String name = System.getProperty(BACKEND_PROPERTY, "").trim();
        if (name.isEmpty()) {
            String url = System.getenv(ExternalServer.URL_VARIABLE);
            return url == null || url.isBlank() ? EMBEDDED : EXTERNAL;
        }
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "Unknown " + BACKEND_PROPERTY + "=" + name + "; expected embedded, external or docker", e);
        }
    }

    /** {@code -Dpgtrickle.test.pgVersion}, empty when the run does not ask for a version. */
    static OptionalInt requestedMajorVersion() {
        String value = System.getProperty(VERSION_PROPERTY, "").trim();
        if (value.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(VERSION_PROPERTY + " must be a major version like 17, not " + value, e);
        }
    }

    PostgresServer start() {
        return switch (this) {
            case EMBEDDED -> isRootWithoutUserNamespaces() ? NobodyServer.start() : EmbeddedServer.start();
            case EXTERNAL -> ExternalServer.fromEnvironment();
            case DOCKER -> DockerServer.start(requestedMajorVersion().orElse(DEFAULT_MAJOR_VERSION));
        };
    }

    /** External servers run whatever version they run; the others must match the request. */
    boolean startsItsOwnServer() {
        return this != EXTERNAL;
    }

    /** Zonky copes with root only through {@code unshare -U}; it makes the same check. */
    private static boolean isRootWithoutUserNamespaces() {
        return new UnixSystem().getUid() == 0 && !LinuxUtils.isUnshareAvailable();
    }
}
