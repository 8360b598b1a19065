package dev.pgtrickle.scheduler.plan;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Decides which stream tables a pass refreshes, and in which order. Pure: the catalog state,
 * the clock and the retry state come in, an ordered list goes out.
 *
 * <ul>
 *   <li>A table with a schedule is due when its schedule, stretched by its tier, has elapsed
 *       since its contents were last current.</li>
 *   <li>A due table pulls in its calculated upstream tables, so that a change cascades through a
 *       chain in one pass. A calculated table that active tables read is refreshed only that
 *       way: it thereby follows the tightest schedule of its consumers, in step with them (were
 *       it due by its own clock it would drift out of phase and make its consumers wait a pass).
 *       One that no active table reads is checked every {@code isolatedInterval} (the refresh
 *       itself is skipped when nothing changed).</li>
 *   <li>The result is in topological order: every table after the tables it reads.</li>
 * </ul>
 */
public final class RefreshPlanner {

    private final Duration isolatedInterval;
    private final ZoneId zone;

    public RefreshPlanner(Duration isolatedInterval, ZoneId zone) {
        this.isolatedInterval = isolatedInterval;
        this.zone = zone;
    }

    /**
     * What a pass at {@code now} refreshes, and when the next one is due.
     *
     * @param due     the tables to refresh now, in topological order
     * @param nextDue the earliest moment after this pass at which a table becomes due by its own
     *                clock (a table due now counts as refreshed now), or empty when no table has a
     *                clock: the daemon waits until then rather than a whole tick, so that a short
     *                schedule is kept
     */
    public record Plan(List<StreamTableState> due, Optional<Instant> nextDue) {
    }

    /**
     * @param backingOff ids of tables whose retry time after a failure has not come yet
     * @param urgent     ids of tables to refresh now whatever their schedule (they hold the WAL back)
     */
    public Plan plan(List<StreamTableState> tables, Instant now, LongPredicate backingOff, LongPredicate urgent) {
        Map<Long, StreamTableState> byId = byId(tables);
        Set<Long> read = readByActive(tables);
        Set<Long> due = new LinkedHashSet<>();
        Instant nextDue = null;
        for (StreamTableState table : tables) {
            if (!eligible(table, now, backingOff)) {
                continue;
            }
            boolean dueNow = urgent.test(table.id());
            if (ownClock(table, read)) {
                Instant current = currentAsOf(table, byId, now, backingOff);
                boolean dueByClock = isDue(table, current, now);
                dueNow |= dueByClock;
                Instant next = dueAt(table, dueByClock ? now : current);
                nextDue = nextDue == null || next.isBefore(nextDue) ? next : nextDue;
            }
            if (dueNow) {
                pullIn(table, byId, now, backingOff, due);
            }
        }
        pullInAtomicGroups(tables, byId, now, backingOff, due);
        return new Plan(topologicalOrder(due, byId), Optional.ofNullable(nextDue));
    }

    private static Map<Long, StreamTableState> byId(List<StreamTableState> tables) {
        Map<Long, StreamTableState> byId = new HashMap<>();
        tables.forEach(t -> byId.put(t.id(), t));
        return byId;
    }

    /** The tables some active table reads. */
    private static Set<Long> readByActive(List<StreamTableState> tables) {
        Set<Long> read = new HashSet<>();
        tables.stream().filter(StreamTableState::active).forEach(t -> read.addAll(t.upstream()));
        return read;
    }

    /** Whether a table is due by its own clock, not only when a consumer pulls it in. */
    private static boolean ownClock(StreamTableState table, Set<Long> read) {
        return !table.calculated() || !read.contains(table.id());
    }

    private static boolean eligible(StreamTableState table, Instant now, LongPredicate backingOff) {
        return table.active() && !backingOff.test(table.id());
    }

    /**
     * As of when a table's contents reflect its sources: its last refresh, or an earlier one of
     * the calculated tables it pulls in, which it reads as they were then (a chain is as fresh as
     * its first stage, so its cadence counts from the start of its pass); null when one of them
     * was never refreshed.
     */
    private static Instant currentAsOf(StreamTableState table, Map<Long, StreamTableState> byId, Instant now,
                                       LongPredicate backingOff) {
        Set<Long> chain = new LinkedHashSet<>();
        pullIn(table, byId, now, backingOff, chain);
        Instant oldest = null;
        for (long id : chain) {
            Instant refreshed = byId.get(id).lastRefresh();
            if (refreshed == null) {
                return null;
            }
            oldest = oldest == null || refreshed.isBefore(oldest) ? refreshed : oldest;
        }
        return oldest;
    }

    private boolean isDue(StreamTableState table, Instant current, Instant now) {
        return current == null || !dueAt(table, current).isAfter(now);
    }

    /** When a table refreshed at {@code refreshed} is due again. */
    private Instant dueAt(StreamTableState table, Instant refreshed) {
        int factor = table.tier().factor();
        return table.calculated()
                ? refreshed.plus(isolatedInterval.multipliedBy(factor))
                : table.schedule().nextDue(refreshed, factor, zone);
    }

    /**
     * A table of an atomic group ({@link AtomicGroups}) that is due brings the others along: they
     * are refreshed together, whichever of them is due.
     */
    private static void pullInAtomicGroups(List<StreamTableState> tables, Map<Long, StreamTableState> byId, Instant now,
                                           LongPredicate backingOff, Set<Long> due) {
        boolean grew = true;
        while (grew) {
            grew = false;
            for (StreamTableState table : tables) {
                Set<Long> group = AtomicGroups.sides(table, byId);
                if (table.active() && group.stream().anyMatch(due::contains)) {
                    for (long id : group) {
                        StreamTableState member = byId.get(id);
                        if (!due.contains(id) && eligible(member, now, backingOff)) {
                            pullIn(member, byId, now, backingOff, due);
                            grew = true;
                        }
                    }
                }
            }
        }
    }

    /** Adds the table and, before it, its calculated upstream tables (transitively). */
    private static void pullIn(StreamTableState table, Map<Long, StreamTableState> byId, Instant now,
                               LongPredicate backingOff, Set<Long> due) {
        if (!due.add(table.id())) {
            return;
        }
        for (long source : table.upstream()) {
            StreamTableState upstream = byId.get(source);
            if (upstream != null && upstream.calculated() && eligible(upstream, now, backingOff)) {
                pullIn(upstream, byId, now, backingOff, due);
            }
        }
    }

    /** Kahn's algorithm over the due tables; ties go to the lower id, so passes are repeatable. */
    private static List<StreamTableState> topologicalOrder(Set<Long> due, Map<Long, StreamTableState> byId) {
        Map<Long, Integer> waitingFor = new HashMap<>();
        Map<Long, List<Long>> dependents = new HashMap<>();
        for (long id : due) {
            int count = 0;
            for (long source : byId.get(id).upstream()) {
                if (due.contains(source)) {
                    count++;
                    dependents.computeIfAbsent(source, s -> new ArrayList<>()).add(id);
                }
            }
            waitingFor.put(id, count);
        }
        PriorityQueue<Long> ready = new PriorityQueue<>(Comparator.naturalOrder());
        waitingFor.forEach((id, count) -> {
            if (count == 0) {
                ready.add(id);
            }
        });
        List<StreamTableState> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            long id = ready.poll();
            order.add(byId.get(id));
            for (long dependent : dependents.getOrDefault(id, List.of())) {
                if (waitingFor.merge(dependent, -1, Integer::sum) == 0) {
                    ready.add(dependent);
                }
            }
        }
        if (order.size() != due.size()) {
            // The SQL API refuses cycles at creation; a catalog edited by hand could still hold one.
            throw new IllegalStateException("the stream tables " + due + " depend on each other in a cycle");
        }
        return order;
    }
}
