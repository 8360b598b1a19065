package dev.pgtrickle.scheduler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1));
    private final Instant now = Instant.parse("2026-11-21T12:00:00Z");

    @Test
    void delaysDoubleUpToTheMaximum() {
        assertEquals(Duration.ofSeconds(1), backoff.delay(1));
        assertEquals(Duration.ofSeconds(2), backoff.delay(2));
        assertEquals(Duration.ofSeconds(32), backoff.delay(6));
        assertEquals(Duration.ofMinutes(1), backoff.delay(7));
        assertEquals(Duration.ofMinutes(1), backoff.delay(1000));
    }

    @Test
    void aFailedTableWaitsUntilItsRetryTimeAndASuccessClearsIt() {
        backoff.failed(7, 3, now);
        assertTrue(backoff.waiting(7, now.plusSeconds(3)));
        assertFalse(backoff.waiting(7, now.plusSeconds(4)));
        assertFalse(backoff.waiting(8, now));
        backoff.succeeded(7);
        assertFalse(backoff.waiting(7, now));
    }
}
