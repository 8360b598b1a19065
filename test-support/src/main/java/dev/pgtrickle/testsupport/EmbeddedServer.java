package dev.pgtrickle.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * PostgreSQL from the zonky binaries on the class path. As root, zonky runs the binaries inside
 * {@code unshare -U}, where PostgreSQL no longer sees uid 0; {@link NobodyServer} covers root where
 * user namespaces are blocked.
 */
final class EmbeddedServer implements LocalServer {

    /** A cold start on a loaded CI machine can take a while; zonky's default is 10 s. */
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(120);

    private final EmbeddedPostgres postgres;

    private EmbeddedServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    static EmbeddedServer start() {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPGStartupWait(STARTUP_WAIT);
        ServerSettings.values().forEach(builder::setServerConfig);
        try {
            return new EmbeddedServer(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL", e);
        }
    }

    @Override
    public int port() {
        return postgres.getPort();
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "embedded PostgreSQL on port " + port();
    }
}
