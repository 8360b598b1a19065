package dev.pgtrickle.scheduler.schedule;

import java.time.Instant;
import java.time.ZoneId;

/**
 * When a stream table with an explicit schedule is due. A stream table without one
 * ({@code calculated}) has no {@code Schedule}: the planner derives its cadence from its consumers.
 */
public sealed interface Schedule permits Every, CronSchedule {

    /**
     * The first moment after {@code lastRefresh} at which the table is due again, with every
     * interval stretched by the tier's factor.
     */
    Instant nextDue(Instant lastRefresh, int tierFactor, ZoneId zone);

    /**
     * Reads a schedule as the catalog stores it (normalized by {@code pgtrickle.normalize_schedule}).
     *
     * @return the schedule, or {@code null} for {@code calculated} (NULL in the catalog)
     * @throws IllegalArgumentException when the text is no schedule
     */
    static Schedule parse(String normalized) {
        if (normalized == null) {
            return null;
        }
        String text = normalized.trim().toLowerCase(java.util.Locale.ROOT);
        if (text.matches(Every.FORM)) {
            return Every.parse(text);
        }
        return CronSchedule.parse(text);
    }
}
