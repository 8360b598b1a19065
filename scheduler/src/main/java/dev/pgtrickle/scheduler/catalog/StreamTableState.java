package dev.pgtrickle.scheduler.catalog;

import dev.pgtrickle.scheduler.schedule.Schedule;
import dev.pgtrickle.scheduler.schedule.Tier;
import java.time.Instant;
import java.util.Set;

/**
 * What the daemon needs to know of one stream table, as read from the catalog at the start of a
 * pass.
 *
 * @param name          display name (schema.name, quoted where needed): what the SQL API takes
 * @param schedule      explicit schedule, or {@code null} for calculated
 * @param lastRefresh   when the contents were last known current ({@code data_timestamp}), or
 *                      {@code null} when never populated
 * @param owner         owner of the storage table: refreshes run under this role
 * @param upstream      ids of the stream tables this one reads
 * @param compileStatus {@code PENDING} while the differential compiler has yet to run
 * @param recentFallbacks how many refreshes fell back to FULL within the last hour and why the
 *                      latest did, or {@code null} when none did
 * @param atomicDiamond {@code diamond_consistency => 'atomic'}: the stream tables it reads are
 *                      refreshed together with it, in one transaction ({@code plan.AtomicGroups})
 * @param immediate     {@code refresh_mode => 'IMMEDIATE'}: maintained inside the statements on its
 *                      source, never refreshed by the daemon (which compiles it)
 */
public record StreamTableState(
        long id,
        String name,
        Schedule schedule,
        Tier tier,
        String status,
        Instant lastRefresh,
        int consecutiveErrors,
        String owner,
        Set<Long> upstream,
        String compileStatus,
        String recentFallbacks,
        boolean atomicDiamond,
        boolean immediate) {

    public StreamTableState {
        upstream = Set.copyOf(upstream);
    }

    public boolean active() {
        return status.equals("ACTIVE") && tier.scheduled() && !immediate;
    }

    /**
     * Whether the compiler should run: every tier is compiled (frozen means never scheduled, not
     * never compiled); suspended tables wait until resumed, tables in ERROR until repaired.
     */
    public boolean awaitsCompiler() {
        return compileStatus.equals("PENDING") && status.equals("ACTIVE");
    }

    public boolean calculated() {
        return schedule == null;
    }
}
