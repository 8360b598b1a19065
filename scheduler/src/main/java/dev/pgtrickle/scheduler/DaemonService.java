package dev.pgtrickle.scheduler;

import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import dev.pgtrickle.scheduler.metrics.MetricsServer;
import dev.pgtrickle.scheduler.run.ConnectionFactory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;

/**
 * A running daemon: its loop on a thread of its own, its metrics registry and, when a port is
 * given, the HTTP endpoint. Closing it stops the loop gracefully and releases the leader lock.
 */
public final class DaemonService implements AutoCloseable {

    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);

    private final Daemon daemon;
    private final MetricsServer server;
    private final PrometheusMeterRegistry registry;

    private DaemonService(Daemon daemon, MetricsServer server, PrometheusMeterRegistry registry) {
        this.daemon = daemon;
        this.server = server;
        this.registry = registry;
    }

    /** A daemon without WAL capture. */
    public static DaemonService start(ConnectionFactory connections, DaemonConfig config, Integer metricsPort)
            throws IOException {
        return start(connections, config, metricsPort, null);
    }

    /**
     * @param metricsPort port of /metrics and /health (0: any free port), or {@code null} for none
     * @param wal         what WAL capture needs, or {@code null} to capture with triggers only
     */
    public static DaemonService start(ConnectionFactory connections, DaemonConfig config, Integer metricsPort,
                                      WalSettings wal) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Daemon daemon = new Daemon(config, connections, new DaemonMetrics(registry), wal);
        MetricsServer server = metricsPort == null ? null : new MetricsServer(metricsPort, registry, daemon);
        Thread loop = new Thread(daemon::run, "pgtrickle-daemon");
        loop.start();
        return new DaemonService(daemon, server, registry);
    }

    public Daemon daemon() {
        return daemon;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The bound port of the HTTP endpoint, or -1 without one. */
    public int metricsPort() {
        return server == null ? -1 : server.port();
    }

    /** Blocks until the daemon has stopped. */
    public void await() throws InterruptedException {
        while (!daemon.awaitStopped(Duration.ofDays(1))) {
            // Keep waiting: only stop() ends the daemon.
        }
    }

    @Override
    public void close() {
        daemon.stop();
        try {
            daemon.awaitStopped(STOP_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (server != null) {
            server.close();
        }
        registry.close();
    }
}
