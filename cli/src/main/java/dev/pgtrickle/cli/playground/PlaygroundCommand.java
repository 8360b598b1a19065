package dev.pgtrickle.cli.playground;

import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.cli.command.StatusRow;
import dev.pgtrickle.cli.command.StatusView;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.scheduler.DaemonConfig;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.scheduler.WalSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgtrickle playground}: a throw-away (or, with {@code --data-dir}, persistent) PostgreSQL 18
 * with the catalog, a small demo and the daemon running until Ctrl-C.
 */
@Command(name = "playground", description = "Run an embedded PostgreSQL 18 with pgtrickle, demo data and the daemon until Ctrl-C.")
public final class PlaygroundCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--port", defaultValue = "5433",
            description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    private int port;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the database in DIR across runs (default: a temporary directory, removed on exit).")
    private Path dataDir;

    @Option(names = "--no-demo", description = "Do not create the demo schema and stream tables.")
    private boolean noDemo;

    @Override
    public Integer call() throws IOException, SQLException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = dataDir == null ? null : dataDir.toAbsolutePath();
        out.println("starting PostgreSQL on port " + port
                + (dir == null ? " (temporary data directory)" : " (data directory " + dir + ")"));
        out.flush();
        EmbeddedServer.checkPortFree(port);
        Path data = dir == null ? Files.createTempDirectory("pgtrickle-playground-") : dir;
        // Next to a kept data directory; a temporary one goes with the temporary database.
        Path journal = dir == null ? Files.createTempDirectory("pgtrickle-journal-")
                : dir.resolveSibling(dir.getFileName() + "-journal");
        Runnable removeTemporary = () -> {
            if (dir == null) {
                deleteTree(data);
                deleteTree(journal);
            }
        };
        // Catalog and demo first, on a port nobody knows: whoever connects to the playground's
        // port finds them in place.
        try (EmbeddedPostgres setup = EmbeddedServer.start(EmbeddedServer.freePort(), data);
             Connection connection = setup.getPostgresDatabase().getConnection()) {
            prepare(connection, out);
        } catch (SQLException | IOException | RuntimeException e) {
            removeTemporary.run();
            throw e;
        }
        EmbeddedPostgres postgres;
        try {
            postgres = EmbeddedServer.start(port, data);
        } catch (IOException | RuntimeException e) {
            removeTemporary.run();
            throw e;
        }
        AtomicReference<DaemonService> daemon = new AtomicReference<>();
        Thread stopper = new Thread(() -> {
            stop(daemon.get(), postgres, out);
            removeTemporary.run();
        }, "pgtrickle-playground-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            DataSource database = postgres.getPostgresDatabase();
            daemon.set(DaemonService.start(database::getConnection, DaemonConfig.defaults(), null,
                    new WalSettings(WalConnections.of(postgres.getJdbcUrl("postgres", "postgres")), journal)));
        } catch (IOException | RuntimeException e) {
            Runtime.getRuntime().removeShutdownHook(stopper);
            stopper.run();
            throw e;
        }
        out.println();
        out.println("The pgtrickle daemon runs too: stream tables refresh on their schedules by themselves.");
        out.println("JDBC URL:  " + postgres.getJdbcUrl("postgres", "postgres"));
        out.println("psql:      psql -h localhost -p " + port + " -U postgres postgres");
        out.println();
        out.println("Press Ctrl-C to stop");
        out.flush();
        // Until SIGINT/SIGTERM: the JVM then runs the shutdown hook, which stops PostgreSQL cleanly.
        new CountDownLatch(1).await();
        return 0;
    }

    private void prepare(Connection connection, PrintWriter out) throws SQLException {
        out.println(CatalogInstaller.install(connection).describe());
        if (noDemo) {
            return;
        }
        DemoData.load(connection);
        List<StatusRow> demo = StatusRow.load(connection, null).stream()
                .filter(row -> row.name().startsWith(DemoData.SCHEMA + "."))
                .collect(Collectors.toList());
        out.println();
        out.println("demo stream tables (sources: demo.customers, demo.orders):");
        out.print(new StatusView(ZoneId.systemDefault()).table(demo));
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless.
        }
    }

    private static void stop(DaemonService daemon, EmbeddedPostgres postgres, PrintWriter out) {
        if (daemon != null) {
            daemon.close();
        }
        out.println("stopping PostgreSQL");
        out.flush();
        try {
            postgres.close();
            out.println("PostgreSQL stopped");
        } catch (IOException e) {
            out.println("could not stop PostgreSQL: " + e.getMessage());
        }
        out.flush();
    }
}
