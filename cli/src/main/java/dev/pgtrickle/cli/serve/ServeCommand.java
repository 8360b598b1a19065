package dev.pgtrickle.cli.serve;

import dev.pgtrickle.cdc.wal.WalConnections;
import dev.pgtrickle.cli.Logging;
import dev.pgtrickle.scheduler.DaemonConfig;
import dev.pgtrickle.scheduler.DaemonService;
import dev.pgtrickle.scheduler.WalSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgtrickle serve}: the daemon that keeps the stream tables of one database fresh, until
 * SIGTERM or Ctrl-C.
 */
@Command(name = "serve",
        description = {
            "Run the daemon: install or upgrade the catalog, compile stream tables created through SQL, "
                    + "and refresh every stream table on its schedule until SIGTERM or Ctrl-C.",
            "Each setting comes from its flag, else the environment variable PGTRICKLE_<SETTING> "
                    + "(e.g. PGTRICKLE_MAX_WORKERS), else the --config file, else the default."})
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--jdbc-url", paramLabel = "URL", description = "JDBC URL of the database to serve.")
    private String jdbcUrl;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with settings (keys: jdbc-url, metrics-port, max-workers, "
                    + "max-consecutive-errors, log-format, log-level, journal-dir); default: $PGTRICKLE_CONFIG.")
    private Path config;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve /metrics (Prometheus) and /health on this port (default: no HTTP endpoint).")
    private String metricsPort;

    @Option(names = "--max-workers", paramLabel = "N",
            description = "Stream tables refreshed in parallel (default: 2).")
    private String maxWorkers;

    @Option(names = "--max-consecutive-errors", paramLabel = "N",
            description = "Failed refreshes in a row after which a stream table is suspended (default: 3).")
    private String maxConsecutiveErrors;

    @Option(names = "--log-format", paramLabel = "text|json", description = "Log lines as text (default) or JSON.")
    private String logFormat;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Level of pgtrickle's own logs: error, warn, info (default), debug or trace.")
    private String logLevel;

    @Option(names = "--journal-dir", paramLabel = "DIR",
            description = "Directory of the journal of changes decoded from the WAL (default: a directory per"
                    + " installation under $XDG_STATE_HOME/pgtrickle/journal, else ~/.local/state/pgtrickle/journal).")
    private String journalDir;

    @Override
    public Integer call() throws IOException, InterruptedException {
        ServeSettings settings = ServeSettings.resolve(flags(), System.getenv(), configFile());
        String url = settings.jdbcUrl();
        DaemonConfig daemonConfig = DaemonConfig.defaults()
                .withMaxWorkers(settings.maxWorkers())
                .withSuspendAfter(settings.maxConsecutiveErrors());
        Integer port = settings.metricsPort();
        Logging.configure(settings.logLevel(), Logging.Format.valueOf(settings.logFormat().toUpperCase(Locale.ROOT)));
        DaemonService service = DaemonService.start(() -> DriverManager.getConnection(url), daemonConfig, port,
                new WalSettings(WalConnections.of(url), settings.journalDirectory()));
        LoggerFactory.getLogger(ServeCommand.class).info("pgtrickle daemon started (max workers {}, metrics {})",
                daemonConfig.maxWorkers(), port == null ? "off" : "on port " + service.metricsPort());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            LoggerFactory.getLogger(ServeCommand.class).info("pgtrickle daemon stopped");
        }, "pgtrickle-daemon-stop"));
        service.await();
        return 0;
    }

    private Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("jdbc-url", jdbcUrl);
        flags.put("metrics-port", metricsPort);
        flags.put("max-workers", maxWorkers);
        flags.put("max-consecutive-errors", maxConsecutiveErrors);
        flags.put("log-format", logFormat);
        flags.put("log-level", logLevel);
        flags.put("journal-dir", journalDir);
        flags.values().removeIf(value -> value == null);
        return flags;
    }

    private Path configFile() {
        if (config != null) {
            return config;
        }
        String fromEnvironment = System.getenv("PGTRICKLE_CONFIG");
        return fromEnvironment == null || fromEnvironment.isBlank() ? null : Path.of(fromEnvironment);
    }
}
