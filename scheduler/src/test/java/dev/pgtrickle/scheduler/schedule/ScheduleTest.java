package dev.pgtrickle.scheduler.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static final Instant T = Instant.parse("2026-11-21T12:00:00Z");

    @Test
    void calculatedIsNoSchedule() {
        assertNull(Schedule.parse(null));
    }

    @ParameterizedTest
    @CsvSource({"30s, 30000", "5m, 300000", "1h30m, 5400000", "1d, 86400000", "2h1s, 7201000", "250ms, 250",
                "1s500ms, 1500", "1m5ms, 60005"})
    void durations(String text, long millis) {
        Schedule schedule = Schedule.parse(text);
        assertInstanceOf(Every.class, schedule);
        assertEquals(T.plusMillis(millis), schedule.nextDue(T, 1, ZoneOffset.UTC));
        assertEquals(T.plusMillis(millis * 2), schedule.nextDue(T, 2, ZoneOffset.UTC));
    }

    /** Every form normalize_schedule accepts: 5 and 6 fields, names, ?, steps, ranges, macros. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "*/5 * * * *          | 2026-11-21T12:05:00Z",
        "0 */2 * * * *        | 2026-11-21T12:02:00Z",
        "*/10 * * * * *       | 2026-11-21T12:00:10Z",
        "30 6 * * mon-fri     | 2026-11-23T06:30:00Z",
        "0 0 1 jan *          | 2027-01-01T00:00:00Z",
        "0 12 ? * sun         | 2026-11-22T12:00:00Z",
        "0 0 * * 7            | 2026-11-22T00:00:00Z",
        "15 10 1-3 * *        | 2026-12-01T10:15:00Z",
        "@hourly              | 2026-11-21T13:00:00Z",
        "@daily               | 2026-11-22T00:00:00Z",
        "@midnight            | 2026-11-22T00:00:00Z",
        "@weekly              | 2026-11-22T00:00:00Z",
        "@monthly             | 2026-12-01T00:00:00Z",
        "@yearly              | 2027-01-01T00:00:00Z",
        "@annually            | 2027-01-01T00:00:00Z",
    })
    void cronExpressions(String text, String next) {
        Schedule schedule = Schedule.parse(text);
        assertInstanceOf(CronSchedule.class, schedule);
        assertEquals(Instant.parse(next), schedule.nextDue(T, 1, ZoneOffset.UTC));
    }

    @Test
    void aTierFactorWaitsForTheNthFiring() {
        Schedule schedule = Schedule.parse("*/5 * * * *");
        assertEquals(Instant.parse("2026-11-21T12:50:00Z"), schedule.nextDue(T, 10, ZoneOffset.UTC));
    }

    @Test
    void tiers() {
        assertEquals(1, Tier.of("hot").factor());
        assertEquals(2, Tier.of("warm").factor());
        assertEquals(10, Tier.of("cold").factor());
        assertEquals(false, Tier.of("frozen").scheduled());
    }
}
