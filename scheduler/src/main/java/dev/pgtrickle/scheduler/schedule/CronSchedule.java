package dev.pgtrickle.scheduler.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Map;

/**
 * A cron expression: 5 fields (minute first), 6 fields (seconds first) or a macro such as
 * {@code @hourly}. A tier factor of n waits for the n-th firing after the previous refresh.
 */
public record CronSchedule(String expression, ExecutionTime executionTime) implements Schedule {

    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@hourly", "0 * * * *");

    private static final CronParser FIVE_FIELDS =
            new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    /** Unix cron with a leading seconds field, the form {@code normalize_schedule} accepts. */
    private static final CronParser SIX_FIELDS = new CronParser(withSeconds());

    static CronSchedule parse(String text) {
        // '?' ("no specific value", accepted for day-of-month and day-of-week) means '*' in Unix cron.
        String expression = MACROS.getOrDefault(text, text).replace('?', '*');
        CronParser parser = expression.split("\\s+").length == 6 ? SIX_FIELDS : FIVE_FIELDS;
        return new CronSchedule(text, ExecutionTime.forCron(parser.parse(expression)));
    }

    @Override
    public Instant nextDue(Instant lastRefresh, int tierFactor, ZoneId zone) {
        ZonedDateTime firing = lastRefresh.atZone(zone);
        for (int i = 0; i < tierFactor; i++) {
            firing = executionTime.nextExecution(firing).orElse(null);
            if (firing == null) {
                return Instant.MAX;
            }
        }
        return firing.toInstant();
    }

    private static CronDefinition withSeconds() {
        return CronDefinitionBuilder.defineCron()
                .withSeconds().withValidRange(0, 59).and()
                .withMinutes().withValidRange(0, 59).and()
                .withHours().withValidRange(0, 23).and()
                .withDayOfMonth().withValidRange(1, 31).and()
                .withMonth().withValidRange(1, 12).and()
                .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).and()
                .instance();
    }
}
