package dev.pgtrickle.scheduler.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A fixed interval after the previous refresh, such as {@code 30s}, {@code 1h30m} or {@code 250ms}. */
public record Every(Duration interval) implements Schedule {

    /** The text of a duration: amounts with units, {@code ms} tried before {@code m}. */
    static final String FORM = "([0-9]+(ms|[dhms]))+";
    private static final Pattern PART = Pattern.compile("([0-9]+)(ms|[dhms])");

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
                case "ms" -> Duration.ofMillis(amount);
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
