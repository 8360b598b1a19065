package dev.pgtrickle.scheduler.run;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Exponential backoff per stream table after failed attempts: base, 2×base, 4×base … up to max. */
public final class Backoff {

    private final Duration base;
    private final Duration max;
    private final Map<Long, Instant> retryAt = new ConcurrentHashMap<>();

    public Backoff(Duration base, Duration max) {
        this.base = base;
        this.max = max;
    }

    /** Records the n-th consecutive failure (n ≥ 1) at {@code now}. */
    public void failed(long id, int consecutiveFailures, Instant now) {
        retryAt.put(id, now.plus(delay(consecutiveFailures)));
    }

    public void succeeded(long id) {
        retryAt.remove(id);
    }

    public boolean waiting(long id, Instant now) {
        Instant at = retryAt.get(id);
        return at != null && now.isBefore(at);
    }

    Duration delay(int consecutiveFailures) {
        int doublings = Math.min(Math.max(consecutiveFailures - 1, 0), 30);
        Duration delay = base.multipliedBy(1L << doublings);
        return delay.compareTo(max) > 0 ? max : delay;
    }
}
