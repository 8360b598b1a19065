package dev.pgtrickle.scheduler.metrics;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.run.RefreshOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The daemon's Micrometer meters: refresh durations and counts per stream table and action, rows
 * applied, errors, fallbacks to FULL, staleness, pending changes per source, and whether this instance leads.
 */
public final class DaemonMetrics {

    private final MeterRegistry registry;
    private final AtomicLong leader = new AtomicLong();
    private final AtomicLong walRetained = new AtomicLong();
    private final AtomicLong journalBacklog = new AtomicLong();
    private final Map<String, AtomicLong> stalenessMillis = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> pendingChanges = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> byStatus = new ConcurrentHashMap<>();
    private final AtomicLong problems = new AtomicLong();

    public DaemonMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("pgtrickle.leader", leader, AtomicLong::get)
                .description("1 while this instance is the leader, 0 as standby").register(registry);
        Gauge.builder("pgtrickle.wal.slot.retained", walRetained, AtomicLong::get).baseUnit("bytes")
                .description("WAL retained by pgtrickle's replication slot").register(registry);
        Gauge.builder("pgtrickle.wal.journal.backlog", journalBacklog, AtomicLong::get).baseUnit("bytes")
                .description("WAL decoded into the journal but not yet loaded into every change buffer").register(registry);
        for (String status : List.of("ACTIVE", "SUSPENDED", "ERROR", "PENDING_COMPILE")) {
            AtomicLong count = new AtomicLong();
            byStatus.put(status, count);
            Gauge.builder("pgtrickle.stream.tables", count, AtomicLong::get)
                    .description("Stream tables by status (PENDING_COMPILE: active and waiting for the compiler)")
                    .tags("status", status).register(registry);
        }
        Gauge.builder("pgtrickle.health.problems", problems, AtomicLong::get)
                .description("Problems /health reports: failing or stopped stream tables, missing grants of the daemon")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void leader(boolean isLeader) {
        leader.set(isLeader ? 1 : 0);
    }

    public void record(StreamTableState table, RefreshOutcome outcome) {
        Tags tags = Tags.of("stream_table", table.name());
        // Java 17: no pattern matching in switch yet.
        if (outcome instanceof RefreshOutcome.Unchanged unchanged) {
            timed(tags, "NO_DATA", "completed", unchanged.took());
        } else if (outcome instanceof RefreshOutcome.Refreshed refreshed) {
            timed(tags, refreshed.action(), "completed", refreshed.took());
            rows(tags, "inserted", refreshed.rowsInserted());
            rows(tags, "updated", refreshed.rowsUpdated());
            rows(tags, "deleted", refreshed.rowsDeleted());
            if (refreshed.fallback()) {
                Counter.builder("pgtrickle.refresh.fallbacks")
                        .description("Refreshes that should have been differential and were redone FULL")
                        .tags(tags).register(registry).increment();
            }
        } else if (outcome instanceof RefreshOutcome.Failed failed) {
            timed(tags, "FAILED", "failed", failed.took());
            Counter.builder("pgtrickle.refresh.errors").description("Failed refreshes")
                    .tags(tags).register(registry).increment();
        } else {
            Counter.builder("pgtrickle.refresh.skipped")
                    .description("Refreshes not attempted because an upstream table failed")
                    .tags(tags).register(registry).increment();
        }
    }

    /** What compiling a stream table did: COMPILED, UNSUPPORTED, REFUSED, NOT_NEEDED or FAILED. */
    public void compiled(StreamTableState table, String outcome) {
        Counter.builder("pgtrickle.compiles").description("Compiles by the daemon, by outcome")
                .tags("stream_table", table.name(), "outcome", outcome).register(registry).increment();
    }

    /** How many stream tables are in each status. */
    public void statuses(List<StreamTableState> tables) {
        Map<String, Long> counts = new HashMap<>();
        for (StreamTableState table : tables) {
            counts.merge(table.status(), 1L, Long::sum);
            if (table.awaitsCompiler()) {
                counts.merge("PENDING_COMPILE", 1L, Long::sum);
            }
        }
        byStatus.forEach((status, count) -> count.set(counts.getOrDefault(status, 0L)));
    }

    public void problems(int count) {
        problems.set(count);
    }

    /** Seconds since each stream table's contents were last known current. */
    public void staleness(List<StreamTableState> tables, Instant now) {
        Set<String> present = new HashSet<>();
        for (StreamTableState table : tables) {
            present.add(table.name());
            long millis = table.lastRefresh() == null ? -1 : Duration.between(table.lastRefresh(), now).toMillis();
            stalenessMillis.computeIfAbsent(table.name(), name -> {
                AtomicLong value = new AtomicLong();
                Gauge.builder("pgtrickle.staleness", value, v -> v.get() / 1000.0)
                        .description("Seconds since the contents were last current (-0.001: never populated)")
                        .baseUnit("seconds").tags("stream_table", name).register(registry);
                return value;
            }).set(millis);
        }
        forget(stalenessMillis, present, "pgtrickle.staleness", "stream_table");
    }

    /** Buffered changes per source table not yet consumed by every reader. */
    public void pendingChanges(Map<String, Long> bySource) {
        bySource.forEach((source, rows) -> pendingChanges.computeIfAbsent(source, name -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("pgtrickle.pending.changes", value, AtomicLong::get)
                    .description("Rows in the change buffer of a source").tags("source", name).register(registry);
            return value;
        }).set(rows));
        forget(pendingChanges, bySource.keySet(), "pgtrickle.pending.changes", "source");
    }

    /**
     * WAL capture: the WAL the slot retains, and how far the journal runs ahead of what the
     * change buffers hold (both in bytes of WAL).
     */
    public void wal(long slotRetainedBytes, long journalBacklogBytes) {
        walRetained.set(slotRetainedBytes);
        journalBacklog.set(journalBacklogBytes);
    }

    /** Rows one source's round of loading the journal ahead of its refreshes wrote into its buffer. */
    public void journalPreloaded(long rows) {
        Counter.builder("pgtrickle.wal.journal.preloaded").baseUnit("rows")
                .description("Journal changes loaded into change buffers ahead of the refreshes").register(registry)
                .increment(rows);
    }

    /** A round of loading the journal ahead failed (refreshes then load those changes themselves). */
    public void journalPreloadFailed() {
        Counter.builder("pgtrickle.wal.journal.preload.failures")
                .description("Failed rounds of loading the journal ahead of the refreshes").register(registry).increment();
    }

    /** Rows of refresh history the daemon deleted as older than the retention (see HistoryPruning). */
    public void historyPruned(long rows) {
        Counter.builder("pgtrickle.history.pruned").baseUnit("rows")
                .description("Refresh history rows deleted as older than pgtrickle.history_retention").register(registry)
                .increment(rows);
    }

    /** A change buffer vacuumed by the daemon (see BufferVacuum). */
    public void bufferVacuumed(Duration took) {
        Timer.builder("pgtrickle.cdc.buffer.vacuums")
                .description("Change buffers vacuumed by the daemon once deleted rows filled them").register(registry)
                .record(took);
    }

    /** A round of vacuuming the change buffers failed. */
    public void bufferVacuumFailed() {
        Counter.builder("pgtrickle.cdc.buffer.vacuum.failures")
                .description("Failed rounds of vacuuming the change buffers").register(registry).increment();
    }

    private void timed(Tags tags, String action, String status, Duration took) {
        Timer.builder("pgtrickle.refresh.duration").description("Duration of scheduled refreshes")
                .tags(tags.and("action", action, "status", status))
                .publishPercentileHistogram()
                .register(registry).record(took);
    }

    private void rows(Tags tags, String kind, long count) {
        Counter.builder("pgtrickle.rows.applied").description("Rows changed in stream tables by refreshes")
                .tags(tags.and("kind", kind)).register(registry).increment(count);
    }

    /** Removes the gauges of stream tables or sources that no longer exist. */
    private void forget(Map<String, AtomicLong> values, Set<String> present, String meter, String tag) {
        values.keySet().removeIf(name -> {
            if (present.contains(name)) {
                return false;
            }
            registry.find(meter).tag(tag, name).meters().forEach(registry::remove);
            return true;
        });
    }
}
