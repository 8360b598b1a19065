package dev.pgtrickle.scheduler.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A fixed interval after the previous refresh, such as {@code 30s} or {@code 1h30m}. */
public record Every(Duration interval) implements Schedule {

    private static final Pattern PART = Pattern.compile("([0-9]+)([dhms])");

    public Every {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("a schedule interval must be positive: " + interval);
        }
    }

    static Every parse(String text) {
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "d" -> Duration.ofDays(amount);
                case "h" -> Duration.ofHours(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofSeconds(amount);
            });
        }
        return new Every(total);
    }

    @Override
    public Instant nextDue(Instant lastRefresh, int tierFactor, ZoneId zone) {
        return lastRefresh.plus(interval.multipliedBy(tierFactor));
    }
}
