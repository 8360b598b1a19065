package dev.pgtrickle.scheduler;

import java.time.Duration;

/**
 * Tuning of the daemon.
 *
 * @param maxWorkers       refreshes running in parallel (one connection each)
 * @param suspendAfter     consecutive failures after which a stream table is suspended
 * @param tick             longest wait between passes; catalog notifications end it early
 * @param isolatedInterval how often a calculated table without consumers is checked for changes
 * @param retryBase        first retry delay after a failure; doubled per further failure
 * @param retryMax         longest retry delay
 * @param standbyPoll      how often a standby tries to become leader
 */
public record DaemonConfig(
        int maxWorkers,
        int suspendAfter,
        Duration tick,
        Duration isolatedInterval,
        Duration retryBase,
        Duration retryMax,
        Duration standbyPoll) {

    public DaemonConfig {
        if (maxWorkers < 1) {
            throw new IllegalArgumentException("max workers must be at least 1, not " + maxWorkers);
        }
        if (suspendAfter < 1) {
            throw new IllegalArgumentException("the failures before suspension must be at least 1, not " + suspendAfter);
        }
    }

    public static DaemonConfig defaults() {
        return new DaemonConfig(2, 3, Duration.ofMillis(200), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(1));
    }

    public DaemonConfig withMaxWorkers(int workers) {
        return new DaemonConfig(workers, suspendAfter, tick, isolatedInterval, retryBase, retryMax, standbyPoll);
    }

    public DaemonConfig withSuspendAfter(int failures) {
        return new DaemonConfig(maxWorkers, failures, tick, isolatedInterval, retryBase, retryMax, standbyPoll);
    }

    public DaemonConfig withRetryBase(Duration base) {
        return new DaemonConfig(maxWorkers, suspendAfter, tick, isolatedInterval, base, retryMax, standbyPoll);
    }
}
