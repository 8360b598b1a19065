package dev.pgtrickle.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The embedded binaries run as uid/gid 65534 through {@code setpriv}: PostgreSQL refuses to run as
 * root, and where user namespaces are blocked (e.g. Docker's default seccomp profile) zonky's
 * {@code unshare -U} trick is unavailable to a JVM running as root.
 */
final class NobodyServer implements LocalServer {

    private static final int NOBODY = 65534;

    private final Path baseDirectory;
    private final Path bin;
    private final Path data;
    private final int port;

    private NobodyServer(Path baseDirectory, Path bin, Path data, int port) {
        this.baseDirectory = baseDirectory;
        this.bin = bin;
        this.data = data;
        this.port = port;
    }

    static NobodyServer start() {
        Path base;
        try {
            base = Files.createTempDirectory("pgtrickle-pg-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path bin = PostgresBinaries.unpack(base.resolve("install"));
            Files.setAttribute(base, "unix:uid", NOBODY);
            Files.setAttribute(base, "unix:gid", NOBODY);
            Path data = base.resolve("data");
            int port = freePort();
            NobodyServer server = new NobodyServer(base, bin, data, port);
            server.runAsNobody("initdb", "-A", "trust", "-U", "postgres", "-E", "UTF-8", "-D", data.toString());
            List<String> options = new ArrayList<>(List.of("-p", Integer.toString(port)));
            options.addAll(ServerSettings.asCommandLineOptions());
            // -l sends the server's output to a file: nobody reads the pipe after pg_ctl exits.
            server.runAsNobody("pg_ctl", "-D", data.toString(), "-l", base.resolve("postgres.log").toString(),
                    "-o", String.join(" ", options), "-w", "-t", "120", "start");
            return server;
        } catch (IOException e) {
            UncheckedIOException failure = new UncheckedIOException("Could not start PostgreSQL as uid " + NOBODY, e);
            try {
                deleteTree(base);
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public void close() {
        try {
            runAsNobody("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "stop");
            deleteTree(baseDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "embedded PostgreSQL as uid " + NOBODY + " on port " + port;
    }

    private void runAsNobody(String program, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                "setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                bin.resolve(program).toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command)
                .directory(baseDirectory.toFile()) // the JVM's working directory may be closed to nobody
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            int exit = process.waitFor();
            if (exit != 0) {
                throw new IOException(String.join(" ", command) + " exited with " + exit + ":\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while running " + program, e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
