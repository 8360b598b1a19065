package dev.pgtrickle.scheduler.run;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import dev.pgtrickle.scheduler.cdc.JournalRefresh;
import dev.pgtrickle.scheduler.plan.AtomicGroups;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs the refreshes of one pass on up to {@code maxWorkers} connections in parallel: a table
 * starts once every table of the pass it reads has finished, and is skipped when one of them
 * failed (it would only re-read old contents; the next pass tries again). The tables of an atomic
 * group ({@link AtomicGroups}) are refreshed together by one worker, in one transaction, once
 * every table of the pass that any of them reads outside the group has finished.
 */
public final class RefreshPass implements AutoCloseable {

    private final ExecutorService executor;
    private final BlockingQueue<RefreshWorker> idle = new LinkedBlockingQueue<>();
    private final List<RefreshWorker> workers = new ArrayList<>();

    /** @param journal loads the changes of WAL-captured sources, or {@code null} without WAL capture */
    public RefreshPass(ConnectionFactory connections, int maxWorkers, int suspendAfter, JournalRefresh journal) {
        this.executor = Executors.newFixedThreadPool(maxWorkers, runnable -> {
            Thread thread = new Thread(runnable, "pgtrickle-refresh");
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < maxWorkers; i++) {
            RefreshWorker worker = new RefreshWorker("pgtrickle worker " + (i + 1) + "/" + maxWorkers, connections,
                    suspendAfter, journal);
            workers.add(worker);
            idle.add(worker);
        }
    }

    /**
     * Refreshes the tables, given in topological order, and returns what happened to each, in
     * that order.
     *
     * @throws SQLException when the database connection was lost during the pass
     */
    public Map<StreamTableState, RefreshOutcome> run(List<StreamTableState> order) throws SQLException {
        Map<Long, List<StreamTableState>> groupOf = new HashMap<>();
        for (List<StreamTableState> group : AtomicGroups.of(order)) {
            group.forEach(member -> groupOf.put(member.id(), group));
        }
        Map<Long, CompletableFuture<RefreshOutcome>> started = new HashMap<>();
        Map<StreamTableState, CompletableFuture<RefreshOutcome>> results = new LinkedHashMap<>();
        for (StreamTableState table : order) {
            List<StreamTableState> group = groupOf.get(table.id());
            if (group == null) {
                List<CompletableFuture<RefreshOutcome>> inputs = inputs(List.of(table), started);
                started.put(table.id(), CompletableFuture.allOf(inputs.toArray(CompletableFuture[]::new))
                        .thenApplyAsync(ignored -> attempt(table, inputs), executor));
            } else if (table == group.get(group.size() - 1)) {
                // The group's last table: every table of the pass the group reads has a future now.
                List<CompletableFuture<RefreshOutcome>> inputs = inputs(group, started);
                CompletableFuture<Map<Long, RefreshOutcome>> together = CompletableFuture
                        .allOf(inputs.toArray(CompletableFuture[]::new))
                        .thenApplyAsync(ignored -> attemptTogether(group, inputs), executor);
                for (StreamTableState member : group) {
                    CompletableFuture<RefreshOutcome> own = started.computeIfAbsent(member.id(), id -> new CompletableFuture<>());
                    together.whenComplete((outcomes, failure) -> {
                        if (failure != null) {
                            own.completeExceptionally(failure instanceof CompletionException c ? c.getCause() : failure);
                        } else {
                            own.complete(outcomes.get(member.id()));
                        }
                    });
                }
            } else {
                // Completed with the group's refresh (above, at its last table).
                started.computeIfAbsent(table.id(), id -> new CompletableFuture<>());
            }
            results.put(table, started.get(table.id()));
        }
        Map<StreamTableState, RefreshOutcome> outcomes = new LinkedHashMap<>();
        for (Map.Entry<StreamTableState, CompletableFuture<RefreshOutcome>> entry : results.entrySet()) {
            try {
                outcomes.put(entry.getKey(), entry.getValue().join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof LostConnection lost) {
                    // Let the other refreshes of the pass end before the caller reconnects.
                    results.values().forEach(f -> f.handle((r, t) -> null).join());
                    throw lost.cause;
                }
                throw e;
            }
        }
        return outcomes;
    }

    /** The futures of the tables of the pass that {@code tables} read, outside {@code tables}. */
    private static List<CompletableFuture<RefreshOutcome>> inputs(List<StreamTableState> tables,
                                                                  Map<Long, CompletableFuture<RefreshOutcome>> started) {
        Set<Long> own = new HashSet<>();
        tables.forEach(t -> own.add(t.id()));
        return tables.stream().flatMap(t -> t.upstream().stream()).filter(id -> !own.contains(id)).distinct()
                .map(started::get).filter(f -> f != null).toList();
    }

    private static boolean upstreamRefreshed(List<CompletableFuture<RefreshOutcome>> inputs) {
        for (CompletableFuture<RefreshOutcome> input : inputs) {
            RefreshOutcome upstream = input.join();
            if (!(upstream instanceof RefreshOutcome.Refreshed || upstream instanceof RefreshOutcome.Unchanged)) {
                return false;
            }
        }
        return true;
    }

    private RefreshOutcome attempt(StreamTableState table, List<CompletableFuture<RefreshOutcome>> inputs) {
        if (!upstreamRefreshed(inputs)) {
            return new RefreshOutcome.Skipped("an upstream stream table was not refreshed");
        }
        return onIdleWorker(worker -> worker.refresh(table));
    }

    private Map<Long, RefreshOutcome> attemptTogether(List<StreamTableState> group,
                                                      List<CompletableFuture<RefreshOutcome>> inputs) {
        if (!upstreamRefreshed(inputs)) {
            Map<Long, RefreshOutcome> skipped = new HashMap<>();
            group.forEach(t -> skipped.put(t.id(), new RefreshOutcome.Skipped("an upstream stream table was not refreshed")));
            return skipped;
        }
        return onIdleWorker(worker -> worker.refreshTogether(group));
    }

    /** What a worker does with its connection; SQLException only when the connection is lost. */
    @FunctionalInterface
    private interface WorkerCall<T> {
        T on(RefreshWorker worker) throws SQLException;
    }

    /** Runs {@code call} on an idle worker (one is free: the executor has as many threads as workers). */
    private <T> T onIdleWorker(WorkerCall<T> call) {
        RefreshWorker worker = idle.poll();
        try {
            return call.on(worker);
        } catch (SQLException e) {
            throw new LostConnection(e);
        } finally {
            idle.add(worker);
        }
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.forEach(RefreshWorker::close);
    }

    /** Carries a lost connection out of a completion stage. */
    private static final class LostConnection extends RuntimeException {
        private final SQLException cause;

        LostConnection(SQLException cause) {
            super(cause);
            this.cause = cause;
        }
    }
}
