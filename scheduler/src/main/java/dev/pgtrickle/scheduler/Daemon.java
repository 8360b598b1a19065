package dev.pgtrickle.scheduler;

import dev.pgtrickle.cdc.journal.JournalLocation;
import dev.pgtrickle.cdc.wal.WalCapture;
import dev.pgtrickle.core.catalog.CatalogInstaller;
import dev.pgtrickle.core.catalog.CatalogState;
import dev.pgtrickle.scheduler.catalog.CatalogReader;
import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.cdc.BufferVacuum;
import dev.pgtrickle.scheduler.cdc.CdcStep;
import dev.pgtrickle.scheduler.cdc.JournalPreloader;
import dev.pgtrickle.scheduler.cdc.JournalRefresh;
import dev.pgtrickle.scheduler.metrics.DaemonMetrics;
import dev.pgtrickle.scheduler.metrics.LeaderProblems;
import dev.pgtrickle.scheduler.plan.RefreshPlanner;
import dev.pgtrickle.scheduler.run.Backoff;
import dev.pgtrickle.scheduler.run.CompileStep;
import dev.pgtrickle.scheduler.run.ConnectionFactory;
import dev.pgtrickle.scheduler.run.Connections;
import dev.pgtrickle.scheduler.run.HistoryPruning;
import dev.pgtrickle.scheduler.run.RefreshOutcome;
import dev.pgtrickle.scheduler.run.RefreshPass;
import dev.pgtrickle.scheduler.run.SourceRepair;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pgtrickle daemon for one database: becomes leader through a session advisory lock (other
 * instances wait as standbys and take over when the leader's session ends), installs or upgrades
 * the catalog, compiles stream tables created through SQL, and refreshes stream tables on their
 * schedules in topological order. Survives the database going away by reconnecting.
 */
public final class Daemon {

    /** Key of the leader lock ("pgtrickl" in ASCII); advisory locks are per database. */
    static final long LEADER_LOCK = 0x7067747269636b6cL;
    static final String CATALOG_CHANNEL = "pgtrickle_catalog";
    private static final Duration PENDING_METRICS_INTERVAL = Duration.ofSeconds(5);
    /** How often source DDL is looked for (also after every catalog notification). */
    private static final Duration SOURCE_CHECK_INTERVAL = Duration.ofSeconds(1);
    /** How long a daemon that may not upgrade the catalog waits before looking again. */
    private static final Duration CATALOG_RETRY = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    /** What this instance is doing now, for /health. */
    public enum Role { STARTING, STANDBY, LEADER, STOPPED }

    private final DaemonConfig config;
    private final ConnectionFactory connections;
    private final WalSettings wal;
    private final DaemonMetrics metrics;
    private final RefreshPlanner planner;
    private final Backoff refreshBackoff;
    private final CompileStep compiler;
    private final SourceRepair repair;
    private final HistoryPruning history;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile Role role = Role.STARTING;
    private volatile Instant lastCatalogContact;
    private final LeaderProblems problems = new LeaderProblems();
    private Instant lastPendingMetrics = Instant.EPOCH;
    private Instant lastSourceCheck = Instant.EPOCH;

    public Daemon(DaemonConfig config, ConnectionFactory connections, DaemonMetrics metrics, WalSettings wal) {
        this.config = config;
        this.connections = connections;
        this.wal = wal;
        this.metrics = metrics;
        this.planner = new RefreshPlanner(config.isolatedInterval(), ZoneId.systemDefault());
        this.refreshBackoff = new Backoff(config.retryBase(), config.retryMax());
        this.compiler = new CompileStep(new Backoff(config.retryBase(), config.retryMax()), metrics);
        this.repair = new SourceRepair(new Backoff(config.retryBase(), config.retryMax()), config.suspendAfter());
        this.history = new HistoryPruning(metrics, problems);
    }

    /** Runs until {@link #stop()}; returns once the lock is released and connections are closed. */
    public void run() {
        Duration reconnectDelay = config.standbyPoll();
        try {
            while (!stopping) {
                try (Connection c = connections.open()) {
                    reconnectDelay = config.standbyPoll();
                    if (becomeLeader(c)) {
                        lead(c);
                    }
                } catch (SQLException e) {
                    lastCatalogContact = null;
                    LOG.warn("database connection failed: {}; retrying in {} ms", e.getMessage(), reconnectDelay.toMillis());
                    pause(reconnectDelay);
                    reconnectDelay = min(reconnectDelay.multipliedBy(2), Duration.ofSeconds(30));
                } finally {
                    if (role == Role.LEADER) {
                        LOG.info("leadership released");
                    }
                    role = stopping ? Role.STOPPED : Role.STANDBY;
                    metrics.leader(false);
                }
            }
        } finally {
            role = Role.STOPPED;
            stopped.countDown();
        }
    }

    /**
     * Asks the loop to end: the running pass finishes (or its transactions roll back when the
     * connections close), then the lock is released.
     */
    public void stop() {
        stopping = true;
    }

    /** Waits until {@link #run()} has returned. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Role role() {
        return role;
    }

    /** Whether the catalog answered within the last few seconds. */
    public boolean catalogReachable() {
        Instant last = lastCatalogContact;
        return last != null && Duration.between(last, Instant.now()).compareTo(config.standbyPoll().plus(config.tick()).multipliedBy(3)) < 0;
    }

    /** Waits as standby until the leader lock is ours; false when stopping first. */
    private boolean becomeLeader(Connection c) throws SQLException {
        role = Role.STANDBY;
        boolean announced = false;
        while (!stopping) {
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                lock.setLong(1, LEADER_LOCK);
                try (ResultSet row = lock.executeQuery()) {
                    row.next();
                    lastCatalogContact = Instant.now();
                    if (row.getBoolean(1)) {
                        return true;
                    }
                }
            }
            if (!announced) {
                LOG.info("standby: another pgtrickle daemon leads database {}", c.getCatalog());
                announced = true;
            }
            pause(config.standbyPoll());
        }
        return false;
    }

    private void lead(Connection c) throws SQLException {
        CatalogState catalog = CatalogState.of(c);
        if (!catalog.current()) {
            if (!catalog.mayInstall()) {
                // Leading with functions of another version would be worse than not leading.
                String problem = "the pgtrickle catalog is " + (catalog.installed() ? "older than this daemon" : "not installed")
                        + " and the daemon's role may not " + (catalog.installed() ? "upgrade" : "install") + " it: run"
                        + " `pgtrickle install` as " + (catalog.installed() ? catalog.owner() : "a role with CREATE on the database")
                        + " or run the daemon as the catalog owner";
                problems.standing("catalog", problem);
                LOG.error("{}; trying again in {} s", problem, CATALOG_RETRY.toSeconds());
                awaitCatalogRetry(c);
                return;
            }
            LOG.info("{}", CatalogInstaller.install(c).describe());
        }
        problems.standing("catalog", null);
        // LEADER only now: whoever waits for it may rely on the catalog being in place.
        role = Role.LEADER;
        metrics.leader(true);
        LOG.info("leader of database {} (catalog version {})", c.getCatalog(), CatalogInstaller.installedVersion(c));
        try (Statement listen = c.createStatement()) {
            listen.execute("LISTEN " + CATALOG_CHANNEL);
        }
        c.setAutoCommit(false);
        PGConnection notifications = c.unwrap(PGConnection.class);
        WalCapture capture = openWalCapture(c);
        CdcStep cdc = new CdcStep(capture, new Backoff(config.retryBase(), config.retryMax()), metrics);
        try (JournalPreloader preloader = capture == null ? null : JournalPreloader.start(capture, connections, metrics, problems);
             BufferVacuum vacuum = BufferVacuum.start(connections, metrics, problems);
             RefreshPass pass = new RefreshPass(connections, config.maxWorkers(), config.suspendAfter(),
                capture == null ? null : new JournalRefresh(capture))) {
            boolean notified = true;
            while (!stopping) {
                if (notified || Duration.between(lastSourceCheck, Instant.now()).compareTo(SOURCE_CHECK_INTERVAL) >= 0) {
                    repair.repair(c);
                    cdc.step(c);
                    lastSourceCheck = Instant.now();
                }
                history.step(c);
                List<StreamTableState> tables = readCatalog(c);
                Optional<Instant> nextDue = Optional.empty();
                if (!drained(c)) {
                    // Every pass, not only after a notification: failed compiles are retried (with backoff).
                    if (compiler.compilePending(c, tables)) {
                        tables = readCatalog(c);
                    }
                    nextDue = passOnce(c, pass, tables, urgent(cdc, capture));
                }
                PGNotification[] received = notifications.getNotifications(waitMillis(nextDue));
                notified = received != null && received.length > 0;
            }
        } finally {
            problems.clear();
            if (capture != null) {
                capture.close();
            }
        }
    }

    /** Waits before looking at the catalog again, keeping in touch with it: /health says the database answers. */
    private void awaitCatalogRetry(Connection c) throws SQLException {
        Instant until = Instant.now().plus(CATALOG_RETRY);
        while (!stopping && Instant.now().isBefore(until)) {
            pause(config.standbyPoll());
            try (Statement ping = c.createStatement()) {
                ping.execute("SELECT 1");
            }
            lastCatalogContact = Instant.now();
        }
    }

    /**
     * Whether {@code pgtrickle.drain()} asked the scheduler to start nothing: then, between passes
     * (no refresh runs), it acknowledges that (is_drained()) and says so on /health.
     */
    private boolean drained(Connection c) throws SQLException {
        java.sql.Timestamp requested;
        try (Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery("SELECT drain_requested_at FROM pgtrickle.pgt_instance")) {
            requested = row.next() ? row.getTimestamp(1) : null;
        }
        if (requested == null) {
            c.commit();
            problems.standing("drain", null);
            return false;
        }
        try (Statement statement = c.createStatement()) {
            statement.execute("SELECT pgtrickle._acknowledge_drain()");
        }
        c.commit();
        problems.standing("drain", "drained since " + requested.toInstant()
                + " (pgtrickle.drain()): no refresh starts until pgtrickle.undrain()");
        return true;
    }

    /** What /health reports as wrong while this instance leads (empty: nothing). */
    public List<String> problems() {
        return problems.current();
    }

    /**
     * Stream tables to refresh now whatever their schedule: those holding the slot back, and
     * those a session asked for from SQL (it waits for the answer).
     */
    private static Set<Long> urgent(CdcStep cdc, WalCapture capture) {
        List<Long> requested = capture == null ? List.of() : capture.drainRefreshRequests();
        if (requested.isEmpty()) {
            return cdc.laggards();
        }
        Set<Long> urgent = new HashSet<>(cdc.laggards());
        urgent.addAll(requested);
        return urgent;
    }

    /**
     * The leader's journal and decoder; none when not configured or the journal cannot be opened
     * (then a problem for /health). Without a configured directory, the default journal of this
     * installation (see {@link JournalLocation}); where it is gets recorded in the catalog, for
     * {@code pgtrickle uninstall}.
     */
    private WalCapture openWalCapture(Connection c) throws SQLException {
        if (wal == null) {
            return null;
        }
        Path directory = wal.journalDirectory() != null ? wal.journalDirectory()
                : JournalLocation.forInstance(JournalLocation.defaultBase(), instanceId(c));
        try {
            WalCapture capture = WalCapture.open(wal.connections(), directory);
            recordJournal(c, directory);
            return capture;
        } catch (IOException | RuntimeException e) {
            String problem = "the journal in " + directory + " cannot be opened (" + e.getMessage()
                    + "): sources stay on trigger capture";
            problems.standing("journal", problem);
            LOG.error("{}", problem);
            return null;
        }
    }

    private static UUID instanceId(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
             ResultSet row = statement.executeQuery("SELECT instance_id FROM pgtrickle.pgt_instance")) {
            row.next();
            return row.getObject(1, UUID.class);
        } finally {
            c.commit();
        }
    }

    private static void recordJournal(Connection c, Path directory) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(
                "UPDATE pgtrickle.pgt_instance SET journal_host = ?, journal_dir = ?")) {
            statement.setString(1, JournalLocation.hostName());
            statement.setString(2, directory.toAbsolutePath().toString());
            statement.execute();
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            if (Connections.lost(e)) {
                throw e;
            }
            // The grant check below reports the missing right on /health and in health_check.
            LOG.warn("could not record the journal's directory in the catalog: {}", e.getMessage());
        }
    }

    /** The catalog for this pass; the metrics and /health follow it. */
    private List<StreamTableState> readCatalog(Connection c) throws SQLException {
        List<StreamTableState> tables = CatalogReader.load(c);
        c.commit();
        Instant now = Instant.now();
        lastCatalogContact = now;
        metrics.staleness(tables, now);
        metrics.statuses(tables);
        if (Duration.between(lastPendingMetrics, now).compareTo(PENDING_METRICS_INTERVAL) >= 0) {
            metrics.pendingChanges(pendingChanges(c));
            problems.checkGrants(c);
            lastPendingMetrics = now;
        }
        metrics.problems(problems.update(tables));
        return tables;
    }

    /**
     * Refreshes the tables due now; returns when the next one is due after them.
     *
     * @param urgent stream tables holding the WAL back: refreshed whatever their schedule
     */
    private Optional<Instant> passOnce(Connection c, RefreshPass pass, List<StreamTableState> tables, Set<Long> urgent)
            throws SQLException {
        Instant now = Instant.now();
        LongPredicate backingOff = id -> refreshBackoff.waiting(id, now);
        RefreshPlanner.Plan plan = planner.plan(tables, now, backingOff, urgent::contains);
        if (!plan.due().isEmpty()) {
            for (Map.Entry<StreamTableState, RefreshOutcome> result : pass.run(plan.due()).entrySet()) {
                account(result.getKey(), result.getValue());
            }
        }
        return plan.nextDue();
    }

    /**
     * How long to wait for notifications before the next pass: until the next table is due, at
     * most a tick (failed compiles and backoffs are looked at again then), at least a millisecond
     * (pgjdbc waits forever for 0).
     */
    private int waitMillis(Optional<Instant> nextDue) {
        long tick = config.tick().toMillis();
        long untilDue = nextDue.map(due -> Duration.between(Instant.now(), due).toMillis()).orElse(tick);
        return (int) Math.max(1, Math.min(tick, untilDue));
    }

    private void account(StreamTableState table, RefreshOutcome outcome) {
        metrics.record(table, outcome);
        if (outcome instanceof RefreshOutcome.Failed failed) {
            int failures = table.consecutiveErrors() + 1;
            refreshBackoff.failed(table.id(), failures, Instant.now());
            LOG.warn("refresh of {} failed ({} in a row{}): {}", table.name(), failures,
                    failures >= config.suspendAfter() ? ", suspended" : "", failed.error());
        } else if (outcome instanceof RefreshOutcome.Refreshed refreshed) {
            refreshBackoff.succeeded(table.id());
            LOG.debug("refreshed {}: {} +{} ~{} -{} in {} ms", table.name(), refreshed.action(),
                    refreshed.rowsInserted(), refreshed.rowsUpdated(), refreshed.rowsDeleted(), refreshed.took().toMillis());
        } else if (outcome instanceof RefreshOutcome.Unchanged) {
            refreshBackoff.succeeded(table.id());
        }
    }

    private static Map<String, Long> pendingChanges(Connection c) throws SQLException {
        Map<String, Long> bySource = new LinkedHashMap<>();
        try (PreparedStatement statement = c.prepareStatement(
                "SELECT source, coalesce(pending_rows, 0) FROM pgtrickle.change_buffer_sizes()");
             ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                bySource.put(rows.getString(1), rows.getLong(2));
            }
        }
        c.commit();
        return bySource;
    }

    private void pause(Duration duration) {
        long until = System.nanoTime() + duration.toNanos();
        try {
            while (!stopping && System.nanoTime() < until) {
                Thread.sleep(Math.min(50, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
